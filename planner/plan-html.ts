// The plan as a self-contained HTML page: the figures with their rules, the binding constraint,
// warnings, the simulated confirmation, and charts drawn with the reports' renderer (Vega-Lite
// compiled and rendered to SVG server-side, inlined: no script, no network).
import type { TopLevelSpec } from 'vega-lite';
import { renderChart } from '../reports/index.js';
import type { AnalyticPlan } from './analytic-plan.js';
import { lagOver } from './fluid-queue.js';
import type { PlanDocument } from './plan-document.js';
import { durationText, round, sizeText } from './plan-format.js';

const FONT = 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif';
const POINTS_MAX = 1440;

export interface Chart {
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

export async function planHtml(plan: AnalyticPlan, doc: PlanDocument): Promise<string> {
  const charts = planCharts(plan, doc);
  const rendered: string[] = [];
  for (const [i, chart] of charts.entries()) {
    const { svg } = await renderChart(chart.spec, `plan-chart-${i + 1}`);
    rendered.push(`<figure class="chart"><figcaption><strong>${escape(chart.title)}</strong> ${escape(chart.caption)}</figcaption>${svg}</figure>`);
  }
  const w = doc.workload;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Capacity plan: ${escape(w.name)}</title>
<style>${CSS}</style></head><body><main>
<h1>Capacity plan: ${escape(w.name)}</h1>
<p class="muted">${escape(w.provider)} · ${w.machines} machines · ${w.disks} disks · RPO target ${durationText(doc.settings.rpoSeconds)} · growth ${round(doc.settings.growth * 100, 0)}% · ${doc.settings.percentile}th percentile · ${w.horizonDays} day horizon · ${escape(w.file)}</p>
${w.description === '' ? '' : `<p>${escape(w.description)}</p>`}
<section class="card"><h2>Binding constraint</h2><p><code>${escape(doc.bindingConstraint.id)}</code> (${escape(doc.bindingConstraint.component)}, ${Number.isFinite(doc.bindingConstraint.utilisation) ? `${round(doc.bindingConstraint.utilisation * 100, 1)}% used` : 'exceeded'}): ${escape(doc.bindingConstraint.description)}</p>
${doc.warnings.length === 0 ? '' : `<ul class="warnings">${doc.warnings.map((x) => `<li>${escape(x)}</li>`).join('')}</ul>`}</section>
<section class="card"><h2>Figures</h2><table><thead><tr><th>figure</th><th class="num">value</th><th>rule</th></tr></thead><tbody>
${doc.figures.map((f) => `<tr><td>${escape(f.label)}</td><td class="num nw">${f.value === null ? '–' : escape(`${f.value}${f.unit === '' ? '' : ` ${f.unit}`}`)}</td><td class="rule">${escape(f.rule)}</td></tr>`).join('\n')}
</tbody></table></section>
<section class="card"><h2>Constraints</h2><table><thead><tr><th>constraint</th><th>component</th><th class="num">used</th><th>what</th></tr></thead><tbody>
${doc.constraints.map((c) => `<tr><td><code>${escape(c.id)}</code></td><td>${escape(c.component)}</td><td class="num">${Number.isFinite(c.utilisation) ? `${round(c.utilisation * 100, 1)}%` : 'over'}</td><td>${escape(c.description)}</td></tr>`).join('\n')}
</tbody></table></section>
${simulationSection(doc)}
<section class="card"><h2>Charts</h2><div class="charts">${rendered.join('\n')}</div></section>
</main></body></html>
`;
}

function simulationSection(doc: PlanDocument): string {
  const sim = doc.simulation;
  if (!sim.available) return `<section class="card"><h2>Simulated confirmation</h2><p class="bad">${escape(sim.reason)}</p></section>`;
  const rows = sim.points
    .map((p) => {
      const r = p.rpoSeconds;
      return `<tr class="${p.meetsTarget ? '' : 'miss'}"><td>${escape(p.label)}</td><td class="num">${p.bandwidthMbps}</td><td class="num">${p.seeds.length}</td><td class="num">${durationText(r.p50)}</td><td class="num">${durationText(r.p95)}</td><td class="num">${durationText(r.p99)}</td><td class="num">${durationText(r.max)}</td><td class="num">${sizeText(p.backlogBytesMax)}</td><td class="num">${p.retransmits}</td><td>${p.meetsTarget ? 'yes' : 'no'}</td></tr>`;
    })
    .join('\n');
  const scout = sim.provider === 'inmage-scout';
  const planned = sim.points.find((p) => p.variant === 'planned');
  const perMachine = (planned?.perMachine ?? [])
    .map((m) => `<tr><td>${escape(m.machine)}</td><td class="num">${durationText(m.rpoSeconds.p50)}</td><td class="num">${durationText(m.rpoSeconds.p95)}</td><td class="num">${durationText(m.rpoSeconds.p99)}</td><td class="num">${durationText(m.rpoSeconds.max)}</td><td class="num">${sizeText(m.backlogBytesMax)}</td><td class="num">${m.cyclesMissed}</td></tr>`)
    .join('\n');
  return `<section class="card"><h2>Simulated confirmation</h2>
<p class="${sim.verdict.agrees ? 'good' : 'bad'}">${escape(sim.verdict.message)}</p>
<p class="muted">${escape(sim.sampling.rule)}. ${sim.notes.map(escape).join(' ')}</p>
<table><thead><tr><th>point</th><th class="num">Mbps</th><th class="num">seeds</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">max</th><th class="num">${scout ? 'cache peak' : 'log max'}</th><th class="num">${scout ? 'refused batches' : 'resends'}</th><th>meets target</th></tr></thead><tbody>
${rows}
</tbody></table>
${sim.notSimulated.length === 0 ? '' : `<h3>Not simulated</h3><ul>${sim.notSimulated.map((n) => `<li><strong>${escape(n.label)}</strong>: ${escape(n.reason)}</li>`).join('')}</ul>`}
<h3>Per machine at the planned deployment (worst seed)</h3>
<table><thead><tr><th>machine</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">max</th><th class="num">log backlog max</th><th class="num">cycles missed</th></tr></thead><tbody>
${perMachine}
</tbody></table></section>`;
}

/** The page's charts as Vega-Lite specifications (tests render them and demand no warnings). */
export function planCharts(plan: AnalyticPlan, doc: PlanDocument): Chart[] {
  const charts: Chart[] = [churnChart(plan)];
  const lag = lagChart(plan, doc);
  if (lag !== null) charts.push(lag);
  const sim = doc.simulation;
  if (sim.available) charts.push(bandwidthCurveChart(plan, doc));
  if (sim.available && sim.provider === 'inmage-scout') charts.push(masterTargetCurveChart(doc));
  return charts;
}

/** Churn of all machines over the horizon, with the drain rates the planned bandwidths give. */
function churnChart(plan: AnalyticPlan): Chart {
  const minutes = plan.series.minutes;
  const total = new Float64Array(minutes);
  for (const link of plan.links) for (let m = 0; m < minutes; m++) total[m] += link.arrivals[m];
  const step = Math.max(1, Math.ceil(minutes / POINTS_MAX));
  const values: Array<Record<string, number>> = [];
  for (let start = 0; start < minutes; start += step) {
    let sum = 0;
    for (let m = start; m < Math.min(minutes, start + step); m++) sum += total[m];
    values.push({ hour: start / 60, mbs: sum / Math.min(step, minutes - start) / 1e6 });
  }
  const drain = (bits: number | null) => (bits === null ? null : bits / 8 / (1 - plan.workload.compression) / 1e6);
  const rules = [
    { label: 'rpo100 bandwidth', value: drain(plan.bandwidth.rpo100) },
    { label: 'rpo90 bandwidth', value: drain(plan.bandwidth.rpo90) },
  ].filter((r): r is { label: string; value: number } => r.value !== null);
  return {
    title: 'Churn over the horizon',
    caption: `Source bytes written per second by all machines (growth applied${step > 1 ? `, ${step}-minute means` : ''}); the dashed lines are the churn the planned bandwidths drain after ${Math.round(plan.workload.compression * 100)}% compression. Churn above a line is absorbed by the backlog within the RPO target.`,
    spec: spec(
      [
        { data: { values }, mark: { type: 'area', opacity: 0.5, line: { strokeWidth: 1 } }, encoding: { x: { field: 'hour', type: 'quantitative', title: 'hour of the horizon' }, y: { field: 'mbs', type: 'quantitative', title: 'churn (MB/s)' } } },
        { data: { values: rules }, mark: { type: 'rule', strokeDash: [6, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'value', type: 'quantitative' }, color: { field: 'label', type: 'nominal', title: 'drain rate', scale: { range: ['#dc2626', '#d97706'] } } } },
      ],
    ),
  };
}

/** The analytic lag over the horizon at the planned bandwidth of the busiest link. */
function lagChart(plan: AnalyticPlan, doc: PlanDocument): Chart | null {
  const link = [...plan.links].sort((a, b) => b.meanBitsPerSecond - a.meanBitsPerSecond)[0];
  if (link === undefined || link.rpo100BitsPerSecond === null) return null;
  const result = lagOver(link.arrivals, link.rpo100BitsPerSecond, link.model);
  const step = Math.max(1, Math.ceil(result.lagSeconds.length / POINTS_MAX));
  const values: Array<Record<string, number>> = [];
  for (let m = 0; m < result.lagSeconds.length; m += step) values.push({ hour: m / 60, lag: result.lagSeconds[m] / 60 });
  return {
    title: 'Analytic lag at the rpo100 bandwidth',
    caption: `The fluid model's recovery-point lag on link ${link.link.id} at ${round(link.rpo100BitsPerSecond / 1e6, 1)} Mbps; the red line is the ${durationText(doc.settings.rpoSeconds)} target it just meets.`,
    spec: spec(
      [
        { data: { values }, mark: { type: 'line', strokeWidth: 1.4 }, encoding: { x: { field: 'hour', type: 'quantitative', title: 'hour of the horizon' }, y: { field: 'lag', type: 'quantitative', title: 'lag (minutes)' } } },
        { data: { values: [{ y: doc.settings.rpoSeconds / 60 }] }, mark: { type: 'rule', color: '#dc2626', strokeDash: [6, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      ],
    ),
  };
}

/** Achieved RPO against bandwidth: the simulation's statistics and the fluid model's maximum. */
function bandwidthCurveChart(plan: AnalyticPlan, doc: PlanDocument): Chart {
  const sim = doc.simulation;
  if (!sim.available) throw new Error('bandwidthCurveChart: no simulation');
  const link = plan.links.find((l) => l.link.id === sim.link)!;
  const values: Array<Record<string, number | string>> = [];
  for (const p of sim.points.filter((q) => q.variant === 'planned' || q.variant === 'bandwidth')) {
    for (const key of ['p50', 'p95', 'p99', 'max'] as const) values.push({ mbps: p.bandwidthMbps, minutes: p.rpoSeconds[key] / 60, statistic: `simulated ${key}` });
    const analytic = lagOver(link.arrivals, p.bandwidthMbps * 1e6, link.model);
    let max = 0;
    for (const lag of analytic.lagSeconds) max = Math.max(max, lag);
    if (!analytic.unbounded) values.push({ mbps: p.bandwidthMbps, minutes: max / 60, statistic: 'analytic max' });
  }
  return {
    title: 'Achieved RPO against bandwidth',
    caption: `Simulated RPO statistics of the sampled machines at each bandwidth of the whole link (log scale), with the fluid model's worst lag; the red line is the ${durationText(doc.settings.rpoSeconds)} target.`,
    spec: spec(
      [
        {
          data: { values },
          mark: { type: 'line', point: true, strokeWidth: 1.5 },
          encoding: {
            x: { field: 'mbps', type: 'quantitative', title: 'link bandwidth (Mbps)', scale: { zero: false } },
            y: { field: 'minutes', type: 'quantitative', title: 'RPO (minutes)', scale: { type: 'symlog' } },
            color: { field: 'statistic', type: 'nominal', title: 'statistic' },
          },
        },
        { data: { values: [{ y: doc.settings.rpoSeconds / 60 }] }, mark: { type: 'rule', color: '#dc2626', strokeDash: [6, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      ],
    ),
  };
}

/** Achieved RPO against the number of master targets; counts the rules refuse are marked. */
function masterTargetCurveChart(doc: PlanDocument): Chart {
  const sim = doc.simulation;
  if (!sim.available) throw new Error('masterTargetCurveChart: no simulation');
  const planned = sim.points.find((p) => p.variant === 'planned')!;
  const values: Array<Record<string, number | string>> = [];
  for (const p of sim.points.filter((q) => (q.variant === 'planned' || q.variant === 'master-targets') && q.bandwidthMbps === planned.bandwidthMbps)) {
    for (const key of ['p50', 'p95', 'max'] as const) values.push({ masterTargets: p.masterTargets ?? 0, minutes: p.rpoSeconds[key] / 60, statistic: `simulated ${key}` });
  }
  const refused = sim.notSimulated.filter((n) => n.variant === 'fewer-master-targets' && n.masterTargets !== null).map((n) => ({ masterTargets: n.masterTargets!, minutes: 0, label: 'refused by the sizing rules' }));
  return {
    title: 'Achieved RPO against master targets',
    caption: `Simulated RPO of the busiest master target's sample at the planned bandwidth as the master-target count changes; a cross marks a count the sizing rules refuse (${refused.length === 0 ? 'none' : refused.map((r) => r.masterTargets).join(', ')}); the red line is the ${durationText(doc.settings.rpoSeconds)} target.`,
    spec: spec([
      { data: { values }, mark: { type: 'line', point: true, strokeWidth: 1.5 }, encoding: { x: { field: 'masterTargets', type: 'quantitative', title: 'master targets', scale: { zero: false }, axis: { tickMinStep: 1 } }, y: { field: 'minutes', type: 'quantitative', title: 'RPO (minutes)' }, color: { field: 'statistic', type: 'nominal', title: 'statistic' } } },
      ...(refused.length === 0 ? [] : [{ data: { values: refused }, mark: { type: 'point', shape: 'cross', size: 120, color: '#b91c1c', filled: true }, encoding: { x: { field: 'masterTargets', type: 'quantitative' }, y: { field: 'minutes', type: 'quantitative' }, tooltip: { field: 'label' } } }]),
      { data: { values: [{ y: doc.settings.rpoSeconds / 60 }] }, mark: { type: 'rule', color: '#dc2626', strokeDash: [6, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ]),
  };
}

function spec(layers: Array<Record<string, unknown>>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 900,
    height: 260,
    layer: layers,
    resolve: { scale: { color: 'independent' } },
    config: { font: FONT, background: 'white', padding: 4, view: { stroke: '#d1d5db' }, axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#eef0f3' }, legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 260 } },
  } as unknown as TopLevelSpec;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CSS = `
body { margin: 0; color: #111827; background: #f3f4f6; font: 13px/1.45 ${FONT}; }
main { max-width: 1240px; margin: 0 auto; padding: 12px 16px; }
h1 { font-size: 20px; margin: 8px 0 4px; } h2 { font-size: 16px; margin: 0 0 6px; } h3 { font-size: 14px; margin: 14px 0 6px; }
.card { background: white; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f9fafb; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.rule { color: #4b5563; font-size: 12px; }
.nw { white-space: nowrap; } .muted { color: #6b7280; }
.good { color: #15803d; font-weight: 600; } .bad { color: #b91c1c; font-weight: 600; }
tr.miss td { background: #fff1f2; }
.warnings { color: #b45309; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.charts { display: grid; grid-template-columns: 1fr; gap: 10px; }
figure.chart { margin: 0; border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 10px; }
figure.chart figcaption { font-size: 12px; color: #4b5563; margin-bottom: 6px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
`;
