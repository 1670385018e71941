// The Vega-Lite specifications of one run's charts. Everything that shares the simulated time axis
// (RPO, backlog, links, recovery points) shows the faults as shaded spans on it, so a reader sees
// cause and effect without lining up two charts by eye. Data is inlined: the page stays static.
import type { TopLevelSpec } from 'vega-lite';
import type { JobRecord, RunRecord, SeriesPoint } from '../model/index.js';
import { faultSpans, type FaultSpan } from './fault-spans.js';
import {
  ITEMS_CHARTED_MAX,
  ITEM_COLOURS,
  OTHERS_COLOUR,
  byteUnit,
  downsample,
  peak,
  runEndSeconds,
  runTimeUnit,
  selectItems,
  spanUnit,
  type ItemSelection,
  type ScaleUnit,
} from './chart-scales.js';
import { formatBytes, formatClock, formatCount, formatDuration } from './format.js';

export type ChartName = 'rpo' | 'backlog' | 'links' | 'recovery-points' | 'jobs';

export interface ChartDefinition {
  readonly name: ChartName;
  readonly title: string;
  readonly caption: string;
  /** Half-width charts sit two to a row. */
  readonly wide: boolean;
  readonly spec: TopLevelSpec;
}

/** Points per drawn series: more than the pixels of a wide chart, so nothing visible is lost. */
const SERIES_POINTS_MAX = 800;
const LINKS_CHARTED_MAX = 8;
const JOBS_CHARTED_MAX = 30;
/** Pixels a chart may take in all, axis labels and legends included: a wide figure, a half one. */
const FIGURE_WIDE = 1130;
const FIGURE_HALF = 540;
const LABEL_FONT_SIZE = 11;
const LEGEND_LABEL_LIMIT = 260;
export const CHART_FONT = 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif';

type Layer = Record<string, unknown>;

interface RunContext {
  readonly run: RunRecord;
  readonly end: number;
  readonly time: ScaleUnit;
  readonly faults: readonly FaultSpan[];
  readonly items: ItemSelection;
  /** Colour domain of the per-item charts: shown items worst first, then the "others" series. */
  readonly itemDomain: readonly string[];
  readonly othersLabel: string | null;
}

/** The charts a run has data for, in page order. */
export function chartDefinitions(run: RunRecord): ChartDefinition[] {
  const items = selectItems(run.items);
  const othersLabel = items.hidden.length === 0 ? null : `${items.hidden.length} other items`;
  const end = runEndSeconds(run);
  const context: RunContext = {
    run,
    end,
    time: runTimeUnit(end),
    faults: faultSpans(run.faults),
    items,
    itemDomain: othersLabel === null ? items.shown : [...items.shown, othersLabel],
    othersLabel,
  };
  const charts: Array<ChartDefinition | null> = [rpoChart(context), backlogChart(context), linksChart(context), recoveryPointChart(context), jobsChart(context)];
  return charts.filter((chart): chart is ChartDefinition => chart !== null);
}

// ---------------------------------------------------------------------------------------------- RPO

function rpoChart(context: RunContext): ChartDefinition | null {
  const { run, items } = context;
  if (!run.items.some((series) => series.rpoSeconds.length > 0)) return null;
  const peakAll = Math.max(run.rpoTargetSeconds ?? 0, ...run.items.map((series) => peak(series.rpoSeconds)));
  const unit = spanUnit(peakAll);
  const byItem = new Map(run.items.map((series) => [series.item, series.rpoSeconds]));
  const rows = items.shown.flatMap((item) => seriesRows(byItem.get(item) ?? [], item, context.time, unit));
  if (context.othersLabel !== null) {
    const hiddenMax = combineOnGrid(items.hidden.map((item) => byItem.get(item) ?? []), Math.max);
    rows.push(...seriesRows(hiddenMax, context.othersLabel, context.time, unit));
  }
  // Tall enough for the legend: one row per drawn series.
  const height = Math.max(260, 15 * context.itemDomain.length + 30);
  const layers: Layer[] = [
    ...faultLayers(context, true),
    ...phaseLayers(context),
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.4, clip: true },
      encoding: {
        x: timeX(context),
        y: { field: 'y', type: 'quantitative', title: `RPO exposure (${unit.label})`, scale: { zero: true, nice: true } },
        color: itemColour(context, 'item (worst first)', 'right'),
      },
    },
  ];
  if (run.rpoTargetSeconds !== null) layers.push(...targetLayers(context, run.rpoTargetSeconds / unit.size));
  layers.push(...violationLayers(context, height));
  const target = run.rpoTargetSeconds === null ? 'no RPO target is set' : `the policy's RPO target of ${formatDuration(run.rpoTargetSeconds)} is the red dashed line`;
  return {
    name: 'rpo',
    title: 'RPO over time per item',
    caption: `RPO exposure of each protected item (time since its newest applied recovery point); ${target}. ${faultNote(context)}${violationNote(run)}${selectionNote(context)}`,
    wide: true,
    spec: topLevel(layers, plotWidth(FIGURE_WIDE, ['100.0'], ['item (worst first)', ...context.itemDomain]), height),
  };
}

function targetLayers(context: RunContext, target: number): Layer[] {
  const values = [{ y: target, x: context.end / context.time.size, label: `RPO target ${formatDuration(context.run.rpoTargetSeconds ?? 0)}` }];
  return [
    { data: { values }, mark: { type: 'rule', color: '#dc2626', strokeDash: [6, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    {
      data: { values },
      mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, fontSize: 11, fontWeight: 600, color: '#b91c1c' },
      encoding: { x: timeX(context), y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

// ---------------------------------------------------------------------------------------------- backlog

function backlogChart(context: RunContext): ChartDefinition | null {
  const { run, items } = context;
  if (!run.items.some((series) => series.backlogBytes.length > 0)) return null;
  const byItem = new Map(run.items.map((series) => [series.item, series.backlogBytes]));
  const grid = sharedGrid(run.items.map((series) => series.backlogBytes));
  const shownOnGrid = items.shown.map((item) => onGrid(byItem.get(item) ?? [], grid));
  const othersOnGrid = items.hidden.length === 0 ? null : sumColumns(items.hidden.map((item) => onGrid(byItem.get(item) ?? [], grid)), grid.length);
  const totals = sumColumns(othersOnGrid === null ? shownOnGrid : [...shownOnGrid, othersOnGrid], grid.length);
  const unit = byteUnit(Math.max(0, ...totals));
  const rows: Array<Record<string, unknown>> = [];
  const addRows = (values: readonly number[], item: string, order: number) => {
    for (let i = 0; i < grid.length; i++) rows.push({ x: grid[i] / context.time.size, y: values[i] / unit.size, item, order });
  };
  shownOnGrid.forEach((values, index) => addRows(values, items.shown[index], index));
  if (othersOnGrid !== null && context.othersLabel !== null) addRows(othersOnGrid, context.othersLabel, items.shown.length);
  const height = 220;
  const layers: Layer[] = [
    ...faultLayers(context, false),
    {
      data: { values: rows },
      mark: { type: 'area', opacity: 0.85, line: { strokeWidth: 0.6 } },
      encoding: {
        x: timeX(context),
        y: { field: 'y', type: 'quantitative', stack: 'zero', title: `backlog on the primary (${unit.label})` },
        color: itemColour(context, 'item', 'bottom'),
        order: { field: 'order', type: 'quantitative' },
      },
    },
  ];
  return {
    name: 'backlog',
    title: 'Replication backlog',
    caption: `Change logs waiting on the primary, stacked by item: the top edge is the total backlog, peak ${formatBytes(Math.max(0, ...totals))}. ${faultNote(context)}`,
    wide: false,
    // Without a legend at its side (it moved below) the plot takes the legend's width.
    spec: topLevel(layers, plotWidth(FIGURE_HALF, ['100.0'], legendBelow(context) ? [] : ['item', ...context.itemDomain]), height),
  };
}

// ---------------------------------------------------------------------------------------------- links

function linksChart(context: RunContext): ChartDefinition | null {
  const links = context.run.links.filter((link) => link.utilisation.length > 0);
  if (links.length === 0) return null;
  const ranked = [...links].sort((a, b) => mean(b.utilisation) - mean(a.utilisation)).slice(0, LINKS_CHARTED_MAX);
  const rows = ranked.flatMap((link) => seriesRows(link.utilisation, link.link, context.time, { size: 0.01, label: '%' }));
  const height = 220;
  const layers: Layer[] = [
    ...faultLayers(context, false),
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.3, clip: true },
      encoding: {
        x: timeX(context),
        y: { field: 'y', type: 'quantitative', title: 'link utilisation (%)', scale: { domain: [0, 100] } },
        color: {
          field: 'item',
          type: 'nominal',
          title: 'link',
          scale: { domain: ranked.map((link) => link.link), range: ['#1b9e77', '#7570b3', '#d95f02', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'] },
        },
      },
    },
  ];
  const omitted = links.length - ranked.length;
  return {
    name: 'links',
    title: 'Link utilisation',
    caption:
      `Utilisation of the busier direction of each link per sampling interval; 100 % means replication is bandwidth-bound. ${faultNote(context)}` +
      (omitted > 0 ? ` Showing the ${ranked.length} busiest of ${links.length} links.` : ''),
    wide: false,
    spec: topLevel(layers, plotWidth(FIGURE_HALF, ['100'], ['link', ...ranked.map((link) => link.link)]), height),
  };
}

// ---------------------------------------------------------------------------------------------- recovery points

const STATE_COLOURS: ReadonlyArray<readonly [string, string]> = [
  ['unprotected', '#e5e7eb'],
  ['initialReplication', '#bfdbfe'],
  ['protected', '#bbf7d0'],
  ['testing', '#a5f3fc'],
  ['paused', '#fde68a'],
  ['resyncRequired', '#fecaca'],
  ['resyncing', '#fed7aa'],
  ['failedOver', '#f5d0fe'],
  ['committed', '#d8b4fe'],
];
const STATE_COLOURS_OTHER = ['#e7e5e4', '#d9f99d', '#fbcfe8', '#99f6e4'];

const VERIFICATION = { exact: 'verified exact', unverified: 'not verified', wrong: 'differs from source' } as const;

function recoveryPointChart(context: RunContext): ChartDefinition | null {
  const { run, items, time } = context;
  const shown = new Set(items.shown);
  const points = run.recoveryPoints.filter((point) => shown.has(point.item));
  const stateRows = run.items
    .filter((series) => shown.has(series.item))
    .flatMap((series) =>
      series.states.map((sample, index) => ({
        item: series.item,
        x: sample.t / time.size,
        x2: (series.states[index + 1]?.t ?? context.end) / time.size,
        state: sample.state,
      })),
    );
  if (points.length === 0 && stateRows.length === 0) return null;
  const stateDomain = [...STATE_COLOURS.map(([state]) => state)];
  for (const row of stateRows) if (!stateDomain.includes(row.state)) stateDomain.push(row.state);
  const used = new Set(stateRows.map((row) => row.state));
  const stateScale = stateDomain
    .map((state, index) => [state, STATE_COLOURS[index]?.[1] ?? STATE_COLOURS_OTHER[(index - STATE_COLOURS.length) % STATE_COLOURS_OTHER.length]] as const)
    .filter(([state]) => used.has(state));
  const pointRows = points.map((point) => ({
    item: point.item,
    x: point.cutSeconds / time.size,
    consistency: point.appConsistent ? 'app-consistent' : 'crash-consistent',
    verification: point.exact === null ? VERIFICATION.unverified : point.exact ? VERIFICATION.exact : VERIFICATION.wrong,
  }));
  const y = { field: 'item', type: 'nominal', title: null, scale: { domain: items.shown, paddingInner: 0.3 }, axis: { labelLimit: 220 } };
  const layers: Layer[] = [
    {
      data: { values: stateRows },
      mark: { type: 'rect', aria: false },
      encoding: {
        x: timeX(context),
        x2: { field: 'x2' },
        y,
        color: { field: 'state', type: 'nominal', title: 'lifecycle state', scale: { domain: stateScale.map(([state]) => state), range: stateScale.map(([, colour]) => colour) } },
      },
    },
    ...faultLayers(context, false),
    ...violationRules(context),
    {
      data: { values: pointRows },
      // aria: false drops a per-mark description that would double the size of a busy chart.
      mark: { type: 'point', filled: true, size: 42, stroke: '#1f2937', strokeWidth: 0.9, opacity: 1, aria: false },
      encoding: {
        x: timeX(context),
        y,
        shape: { field: 'consistency', type: 'nominal', title: 'recovery point', scale: { domain: ['crash-consistent', 'app-consistent'], range: ['circle', 'diamond'] } },
        fill: {
          field: 'verification',
          type: 'nominal',
          title: 'checked against source',
          scale: { domain: Object.values(VERIFICATION), range: ['#1f2937', '#ffffff', '#dc2626'] },
        },
      },
    },
  ];
  const wrong = pointRows.filter((row) => row.verification === VERIFICATION.wrong);
  if (wrong.length > 0) {
    layers.push({ data: { values: wrong }, mark: { type: 'point', shape: 'circle', filled: false, size: 320, color: '#dc2626', strokeWidth: 2 }, encoding: { x: timeX(context), y } });
  }
  const wrongNote = wrong.length === 0 ? '' : ` ${wrong.length} point${wrong.length === 1 ? '' : 's'} (ringed red) differ from the source image at their instant.`;
  return {
    name: 'recovery-points',
    title: 'Recovery-point timeline',
    caption: `Lifecycle state of each item (bands) and the recovery points it holds at the end of the run, placed at their cut instant: circles are crash-consistent, diamonds app-consistent; filled means verified equal to the source, hollow not verified.${wrongNote} ${faultNote(context)}${selectionNote(context, false)}`,
    wide: true,
    spec: topLevel(layers, plotWidth(FIGURE_WIDE, items.shown, ['checked against source', ...stateScale.map(([state]) => state)]), { step: 20 }),
  };
}

// ---------------------------------------------------------------------------------------------- jobs

function jobsChart(context: RunContext): ChartDefinition | null {
  const jobs = [...context.run.jobs].sort((a, b) => a.startSeconds - b.startSeconds || a.id - b.id).slice(0, JOBS_CHARTED_MAX);
  if (jobs.length === 0) return null;
  // An unfinished job runs to the end of the run; an unfinished step of a finished job ends with it.
  const jobEnd = (job: JobRecord) => job.endSeconds ?? context.end;
  const longest = Math.max(1, ...jobs.map((job) => jobEnd(job) - job.startSeconds));
  const unit = spanUnit(longest);
  const label = (job: JobRecord) => `#${job.id} ${job.kind} · ${job.item} @ ${formatClock(job.startSeconds)}`;
  const stepRows = jobs.flatMap((job) =>
    job.steps
      .filter((step) => step.endSeconds !== null || step.startSeconds < jobEnd(job))
      .map((step) => ({
        job: label(job),
        step: step.name,
        x: (step.startSeconds - job.startSeconds) / unit.size,
        x2: (Math.min(step.endSeconds ?? jobEnd(job), jobEnd(job)) - job.startSeconds) / unit.size,
        failed: step.status === 'failed',
        unfinished: step.endSeconds === null,
      })),
  );
  const outcomeRows = jobs.map((job) => ({
    job: label(job),
    x: (jobEnd(job) - job.startSeconds) / unit.size,
    text: jobOutcome(job, context.end),
    bad: job.status === 'failed' || (job.dataLossSeconds ?? 0) > 0 || (job.dataLossWrites ?? 0) > 0,
  }));
  const stepDomain = [...new Set(stepRows.map((row) => row.step))];
  const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#edc948', '#76b7b2', '#ff9da7', '#9c755f', '#e15759', '#bab0ac', ...ITEM_COLOURS.slice(10)];
  const y = { field: 'job', type: 'nominal', title: null, sort: null, scale: { domain: jobs.map(label), paddingInner: 0.25 }, axis: { labelLimit: 480 } };
  const width = plotWidth(FIGURE_WIDE, jobs.map(label), ['phase', ...stepDomain]);
  // Room right of the longest bar for its outcome text, at the width the text really renders (about 0.55 em a character).
  const outcomePixels = Math.max(...outcomeRows.map((row) => row.text.length)) * 0.55 * LABEL_FONT_SIZE + 12;
  const barShare = Math.max(0.4, 1 - outcomePixels / width);
  const x = {
    field: 'x',
    type: 'quantitative',
    title: `time since the job started (${unit.label})`,
    scale: { domain: [0, longest / unit.size / barShare], nice: false },
  };
  const layers: Layer[] = [
    {
      data: { values: stepRows },
      mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5, clip: true },
      encoding: {
        x,
        x2: { field: 'x2' },
        y,
        color: { field: 'step', type: 'nominal', title: 'phase', scale: { domain: stepDomain, range: palette.slice(0, Math.max(1, stepDomain.length)) } },
        opacity: { condition: { test: 'datum.unfinished', value: 0.35 }, value: 1 },
      },
    },
    {
      data: { values: stepRows.filter((row) => row.failed) },
      mark: { type: 'rect', fill: null, stroke: '#dc2626', strokeWidth: 2 },
      encoding: { x, x2: { field: 'x2' }, y },
    },
    {
      data: { values: outcomeRows },
      mark: { type: 'text', align: 'left', baseline: 'middle', dx: 5, fontSize: 11 },
      encoding: { x, y, text: { field: 'text' }, color: { condition: { test: 'datum.bad', value: '#b91c1c' }, value: '#1f2937' } },
    },
  ];
  const omitted = context.run.jobs.length - jobs.length;
  return {
    name: 'jobs',
    title: 'Failover timings',
    caption:
      `Each job's phases, measured from the job's start (its simulated start time is in the label); right of each bar its outcome, total time and data loss. Faded bars are unfinished, red outlines failed phases.` +
      (omitted > 0 ? ` Showing the first ${jobs.length} of ${context.run.jobs.length} jobs; the table below lists all.` : ''),
    wide: true,
    spec: topLevel(
      layers.filter((layer) => (layer.data as { values: unknown[] }).values.length > 0),
      width,
      { step: 24 },
    ),
  };
}

function jobOutcome(job: JobRecord, runEnd: number): string {
  const parts =
    job.endSeconds === null
      ? [`${job.status}, unfinished after ${formatDuration(runEnd - job.startSeconds)}`]
      : [`${job.status} in ${formatDuration(job.endSeconds - job.startSeconds)}`];
  if (job.dataLossSeconds !== undefined) parts.push(`loss ${formatDuration(job.dataLossSeconds)}`);
  if (job.dataLossWrites !== undefined && job.dataLossWrites > 0) parts.push(`${formatCount(job.dataLossWrites)} writes`);
  return parts.join(' · ');
}

// ---------------------------------------------------------------------------------------------- shared layers

/**
 * The plot width that keeps the whole chart within `figureWidth`, so the page never shrinks an SVG
 * (and its text) to fit. Vega lays out with its own estimate of text width when no canvas is
 * present (0.8 em per character), so the same estimate is used here.
 */
function plotWidth(figureWidth: number, axisLabels: readonly string[], legendLines: readonly string[]): number {
  const estimate = (texts: readonly string[], limit: number) => Math.min(limit, Math.max(0, ...texts.map((text) => text.length)) * 0.8 * LABEL_FONT_SIZE);
  const axis = estimate(axisLabels, 480) + 36; // labels, ticks, the rotated title
  const legend = legendLines.length === 0 ? 0 : estimate(legendLines, LEGEND_LABEL_LIMIT) + 44; // symbol, padding, offset
  return Math.max(280, Math.round(figureWidth - axis - legend));
}

function topLevel(layers: Layer[], width: number, height: number | { step: number }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width,
    height,
    layer: layers,
    resolve: { scale: { color: 'independent' } },
    config: {
      font: CHART_FONT,
      background: 'white',
      padding: 4,
      view: { stroke: '#d1d5db' },
      axis: {
        labelFontSize: LABEL_FONT_SIZE,
        titleFontSize: LABEL_FONT_SIZE,
        titleFontWeight: 600,
        titleColor: '#374151',
        labelColor: '#374151',
        gridColor: '#eef0f3',
        domainColor: '#9ca3af',
        tickColor: '#9ca3af',
      },
      // Vega measures text without a canvas as 0.8 em per character, wider than it renders: generous limits.
      legend: { labelFontSize: LABEL_FONT_SIZE, titleFontSize: LABEL_FONT_SIZE, titleFontWeight: 600, symbolSize: 70, rowPadding: 2, labelLimit: LEGEND_LABEL_LIMIT, titleLimit: LEGEND_LABEL_LIMIT },
    },
  } as unknown as TopLevelSpec; // layers are built as plain objects; the tests render every chart and demand no warnings
}

function timeX(context: RunContext): Layer {
  return {
    field: 'x',
    type: 'quantitative',
    title: `simulated time (${context.time.label})`,
    scale: { domain: [0, context.end / context.time.size], nice: false },
    axis: { tickMinStep: context.time.size === 1 ? 1 : 0.25 },
  };
}

/**
 * The same item has the same colour in every chart of a run. A half-width chart with many items
 * puts its legend below in columns, so the legend does not outgrow the plot.
 */
function itemColour(context: RunContext, title: string, orient: 'right' | 'bottom'): Layer {
  const range = context.itemDomain.map((item, index) => (item === context.othersLabel ? OTHERS_COLOUR : ITEM_COLOURS[index % ITEM_COLOURS.length]));
  const below = orient === 'bottom' && legendBelow(context) ? { orient: 'bottom', columns: 3, direction: 'vertical' } : {};
  return { field: 'item', type: 'nominal', title, scale: { domain: context.itemDomain, range }, legend: { symbolType: 'stroke', symbolStrokeWidth: 2.5, ...below } };
}

function legendBelow(context: RunContext): boolean {
  return context.itemDomain.length > 8;
}

/** Shaded fault spans with a rule at each injection; labelled "F1".. in three staggered rows on the main chart. */
function faultLayers(context: RunContext, labelled: boolean): Layer[] {
  if (context.faults.length === 0) return [];
  const values = context.faults.map((span) => ({
    x: span.startSeconds / context.time.size,
    x2: (span.healSeconds ?? context.end) / context.time.size,
    label: `F${span.number} ${span.kind}`,
    row: (span.number - 1) % 3,
  }));
  const layers: Layer[] = [
    { data: { values }, mark: { type: 'rect', color: '#f59e0b', opacity: 0.11 }, encoding: { x: timeX(context), x2: { field: 'x2' } } },
    { data: { values }, mark: { type: 'rule', color: '#d97706', strokeWidth: 1, opacity: 0.7 }, encoding: { x: timeX(context) } },
  ];
  if (!labelled) return layers;
  for (let row = 0; row < 3; row++) {
    const inRow = values.filter((value) => value.row === row);
    if (inRow.length === 0) continue;
    layers.push({
      data: { values: inRow },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 10, fontWeight: 600, color: '#92400e' },
      encoding: { x: timeX(context), y: { value: 3 + row * 12 }, text: { field: 'label' } },
    });
  }
  return layers;
}

/** The boundary between the safety phase (faults on) and the liveness phase. */
function phaseLayers(context: RunContext): Layer[] {
  const boundary = context.run.phases.safetyEndSeconds;
  if (!(boundary > 0 && boundary < context.end)) return [];
  const values = [{ x: boundary / context.time.size, label: 'liveness phase →' }];
  return [
    { data: { values }, mark: { type: 'rule', color: '#6b7280', strokeDash: [6, 4], strokeWidth: 1.2 }, encoding: { x: timeX(context) } },
    {
      data: { values },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, fontSize: 10, color: '#4b5563' },
      encoding: { x: timeX(context), y: { value: 3 + 3 * 12 }, text: { field: 'label' } },
    },
  ];
}

function violationRules(context: RunContext): Layer[] {
  if (context.run.violations.length === 0) return [];
  const values = context.run.violations.map((violation) => ({ x: violation.atSeconds / context.time.size }));
  return [{ data: { values }, mark: { type: 'rule', color: '#dc2626', strokeWidth: 1.2, strokeDash: [2, 2] }, encoding: { x: timeX(context) } }];
}

/** Red markers at the bottom edge, "V1".., numbered like the violation table; neighbours share a label. */
function violationLayers(context: RunContext, height: number): Layer[] {
  if (context.run.violations.length === 0) return [];
  const values = violationClusters(context).map((cluster) => ({ x: cluster.atSeconds / context.time.size, label: cluster.label }));
  return [
    ...violationRules(context),
    { data: { values }, mark: { type: 'point', shape: 'triangle-up', filled: true, size: 110, color: '#dc2626', opacity: 1 }, encoding: { x: timeX(context), y: { value: height - 5 } } },
    {
      data: { values },
      mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -7, dy: -1, fontSize: 10, fontWeight: 700, color: '#b91c1c' },
      encoding: { x: timeX(context), y: { value: height }, text: { field: 'label' } },
    },
  ];
}

/** Violations closer than 2 % of the run apart would print their labels over each other: one label, "V1–V3". */
function violationClusters(context: RunContext): Array<{ atSeconds: number; label: string }> {
  const near = context.end * 0.02;
  const ordered = context.run.violations.map((violation, index) => ({ at: violation.atSeconds, number: index + 1 })).sort((a, b) => a.at - b.at);
  const clusters: Array<{ atSeconds: number; numbers: number[] }> = [];
  for (const { at, number } of ordered) {
    const last = clusters[clusters.length - 1];
    if (last && at - last.atSeconds <= near) last.numbers.push(number);
    else clusters.push({ atSeconds: at, numbers: [number] });
  }
  return clusters.map(({ atSeconds, numbers }) => {
    const sorted = [...numbers].sort((a, b) => a - b);
    const contiguous = sorted[sorted.length - 1] - sorted[0] === sorted.length - 1;
    const label = sorted.length === 1 ? `V${sorted[0]}` : contiguous ? `V${sorted[0]}–V${sorted[sorted.length - 1]}` : sorted.map((n) => `V${n}`).join(',');
    return { atSeconds, label };
  });
}

function faultNote(context: RunContext): string {
  if (context.faults.length === 0) return '';
  return `Shaded: fault spans from injection to heal (F1–F${context.faults.length}, see the fault table).`;
}

function violationNote(run: RunRecord): string {
  return run.violations.length === 0 ? '' : ` Red triangles: violations (V1–V${run.violations.length}).`;
}

function selectionNote(context: RunContext, othersDrawn = true): string {
  const { shown, hidden } = context.items;
  if (hidden.length === 0) return '';
  const rest = othersDrawn ? ` the other ${hidden.length} are drawn as one grey series` : ` the other ${hidden.length} are left out`;
  return ` Showing the ${shown.length} items with the highest peak RPO of ${shown.length + hidden.length} (at most ${ITEMS_CHARTED_MAX});${rest}.`;
}

// ---------------------------------------------------------------------------------------------- data shaping

function seriesRows(points: readonly SeriesPoint[], item: string, time: ScaleUnit, unit: ScaleUnit): Array<Record<string, unknown>> {
  return downsample(points, SERIES_POINTS_MAX).map((point) => ({ x: point.t / time.size, y: point.value / unit.size, item }));
}

/**
 * The sample instants every stacked series is evaluated at: the union of their instants, or equal
 * bins when that union is too fine to draw.
 */
function sharedGrid(seriesList: ReadonlyArray<readonly SeriesPoint[]>): number[] {
  const instants = new Set<number>();
  for (const points of seriesList) for (const point of points) instants.add(point.t);
  const sorted = [...instants].sort((a, b) => a - b);
  if (sorted.length <= SERIES_POINTS_MAX) return sorted;
  const first = sorted[0];
  const step = (sorted[sorted.length - 1] - first) / (SERIES_POINTS_MAX - 1);
  return Array.from({ length: SERIES_POINTS_MAX }, (_, index) => first + index * step);
}

/**
 * One value per grid cell [grid[i], grid[i+1]): the cell's largest sample (peaks survive), else the
 * line between the neighbouring samples, else 0 outside the series (nothing is waiting there).
 */
function onGrid(points: readonly SeriesPoint[], grid: readonly number[]): number[] {
  const values = new Array<number>(grid.length).fill(0);
  let next = 0;
  for (let cell = 0; cell < grid.length; cell++) {
    const cellEnd = cell + 1 < grid.length ? grid[cell + 1] : Number.POSITIVE_INFINITY;
    while (next < points.length && points[next].t < grid[cell]) next++;
    let max = Number.NEGATIVE_INFINITY;
    let cursor = next;
    while (cursor < points.length && points[cursor].t < cellEnd) max = Math.max(max, points[cursor++].value);
    if (max > Number.NEGATIVE_INFINITY) values[cell] = max;
    else if (next > 0 && next < points.length) values[cell] = interpolate(points[next - 1], points[next], grid[cell]);
  }
  return values;
}

function interpolate(before: SeriesPoint, after: SeriesPoint, t: number): number {
  const span = after.t - before.t;
  return span <= 0 ? after.value : before.value + ((after.value - before.value) * (t - before.t)) / span;
}

function sumColumns(rows: ReadonlyArray<readonly number[]>, length: number): number[] {
  const sums = new Array<number>(length).fill(0);
  for (const row of rows) for (let i = 0; i < length; i++) sums[i] += row[i];
  return sums;
}

/** Several series folded into one on their shared grid, e.g. the worst RPO of the items not drawn. */
function combineOnGrid(seriesList: ReadonlyArray<readonly SeriesPoint[]>, combine: (a: number, b: number) => number): SeriesPoint[] {
  const grid = sharedGrid(seriesList);
  const columns = seriesList.map((points) => onGrid(points, grid));
  return grid.map((t, index) => ({ t, value: columns.reduce((acc, column) => combine(acc, column[index]), 0) }));
}

function mean(points: readonly SeriesPoint[]): number {
  return points.length === 0 ? 0 : points.reduce((total, point) => total + point.value, 0) / points.length;
}
