// The data shaping behind the charts: fault spans, units, item selection, downsampling, and that
// every chart of every fixture compiles and renders without a Vega-Lite or Vega warning.
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FaultRecord, ItemSeries, RunRecord } from '../../model/index.js';
import { byteUnit, downsample, runTimeUnit, selectItems, spanUnit } from '../../reports/chart-scales.js';
import { faultSpans } from '../../reports/fault-spans.js';
import { prefixIds, renderChart } from '../../reports/chart-render.js';
import { chartDefinitions } from '../../reports/chart-specs.js';

const FIXTURES = new URL('../fixtures/run-records/', import.meta.url);
const fixtures: RunRecord[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as RunRecord);

describe('faultSpans', () => {
  const fault = (atSeconds: number, kind: string, phase: 'inject' | 'heal'): FaultRecord => ({ atSeconds, kind, phase, description: `${kind} ${phase} ${atSeconds}` });

  it('pairs each heal with the oldest open injection of its kind and leaves the rest open', () => {
    const spans = faultSpans([fault(50, 'partition', 'heal'), fault(10, 'partition', 'inject'), fault(20, 'partition', 'inject'), fault(30, 'crash', 'inject'), fault(5, 'crash', 'heal')]);
    expect(spans.map((span) => [span.number, span.kind, span.startSeconds, span.healSeconds])).toEqual([
      [1, 'partition', 10, 50],
      [2, 'partition', 20, null],
      [3, 'crash', 30, null],
    ]);
  });

  it('pairs a zero-length fault', () => {
    expect(faultSpans([fault(7, 'flip', 'heal'), fault(7, 'flip', 'inject')])[0].healSeconds).toBe(7);
  });
});

describe('units', () => {
  it('reads a long run in hours, a medium one in minutes, a short one in seconds', () => {
    expect(runTimeUnit(86400).label).toBe('h');
    expect(runTimeUnit(7200).label).toBe('min');
    expect(runTimeUnit(120).label).toBe('s');
  });

  it('picks span and byte units that keep numbers readable', () => {
    expect(spanUnit(35).label).toBe('s');
    expect(spanUnit(611).label).toBe('min');
    expect(spanUnit(31_000).label).toBe('h');
    expect(byteUnit(3 * 1024 ** 3).label).toBe('GiB');
    expect(byteUnit(700 * 1024 ** 2).label).toBe('MiB');
  });
});

describe('selectItems', () => {
  const series = (item: string, rpoPeak: number, backlogPeak = 0): ItemSeries => ({
    item,
    rpoSeconds: [{ t: 0, value: 0 }, { t: 60, value: rpoPeak }],
    backlogBytes: [{ t: 60, value: backlogPeak }],
    states: [],
  });

  it('keeps the worst items by peak RPO, then backlog, then name', () => {
    const selection = selectItems([series('c', 5), series('a', 9), series('b', 5, 10), series('d', 1)], 3);
    expect(selection.shown).toEqual(['a', 'b', 'c']);
    expect(selection.hidden).toEqual(['d']);
  });

  it('shows at most 20 of the 28 items of the day fixture', () => {
    const day = fixtures.find((run) => run.items.length > 20);
    expect(day).toBeDefined();
    const selection = selectItems(day!.items);
    expect(selection.shown).toHaveLength(20);
    expect(selection.hidden).toHaveLength(day!.items.length - 20);
    const peaks = day!.items.map((item) => Math.max(...item.rpoSeconds.map((point) => point.value)));
    const shownPeakMin = Math.min(...day!.items.filter((item) => selection.shown.includes(item.item)).map((item) => Math.max(...item.rpoSeconds.map((p) => p.value))));
    expect(peaks.filter((peak) => peak > shownPeakMin).length).toBeLessThan(20);
  });
});

describe('downsample', () => {
  it('keeps every bucket extreme, so the peaks of a sawtooth survive', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 3000 }), fc.integer({ min: 4, max: 500 }), (values, pointsMax) => {
        const points = values.map((value, t) => ({ t, value }));
        const kept = downsample(points, pointsMax);
        expect(kept.length).toBeLessThanOrEqual(Math.max(points.length <= pointsMax ? points.length : pointsMax + 2, 1));
        expect(Math.max(...kept.map((p) => p.value))).toBe(Math.max(...values));
        expect(Math.min(...kept.map((p) => p.value))).toBe(Math.min(...values));
        for (let i = 1; i < kept.length; i++) expect(kept[i].t).toBeGreaterThan(kept[i - 1].t);
      }),
    );
  });
});

describe('charts of the fixtures', () => {
  it.each(fixtures.map((run) => [run.scenario, run] as const))('%s: every chart renders to SVG without a warning', async (_name, run) => {
    const charts = chartDefinitions(run);
    expect(charts.map((chart) => chart.name)).toEqual(['rpo', 'backlog', 'links', 'recovery-points', 'jobs']);
    for (const chart of charts) {
      const rendered = await renderChart(chart.spec, `t-${chart.name}`);
      expect(rendered.warnings, `${chart.name}: ${rendered.warnings.join('; ')}`).toEqual([]);
      expect(rendered.svg.startsWith('<svg')).toBe(true);
      expect(rendered.svg).toContain('<path');
    }
  });

  it('renames every id and every reference to it, in order of definition', () => {
    const svg = '<svg><g clip-path="url(#clip39)"/><clipPath id="clip39"><rect/></clipPath><clipPath id="clip7"/><use href="#clip7"/><a href="#other"/></svg>';
    expect(prefixIds(svg, 'p')).toBe('<svg><g clip-path="url(#p-1)"/><clipPath id="p-1"><rect/></clipPath><clipPath id="p-2"/><use href="#p-2"/><a href="#other"/></svg>');
  });
});
