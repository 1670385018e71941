import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunRecord, RunSummary } from '../../model/index.js';
import { renderAll, toHtml } from '../../reports/index.js';

const FIXTURES = new URL('../fixtures/run-records/', import.meta.url);
const runs: RunRecord[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as RunRecord);
const summary: RunSummary = { runs, passed: 1, failed: 2 };
const CHARTS = ['rpo', 'backlog', 'links', 'recovery-points', 'jobs'];

describe('toHtml', async () => {
  const html = await toHtml(summary);

  it('is one self-contained page: no script, no external resource', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link\b|<img\b|<iframe|@import|url\((?!#)/i);
    // The only absolute URLs are XML namespace names, which are never fetched.
    const urls = [...html.matchAll(/https?:\/\/[^\s"')<]+/g)].map((match) => match[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
  });

  it('opens with the verdict table: one row per run with its replay command', () => {
    const table = html.slice(html.indexOf('<table id="verdicts">'), html.indexOf('</table>', html.indexOf('<table id="verdicts">')));
    expect(html.indexOf('<table id="verdicts">')).toBeLessThan(html.indexOf('<figure'));
    const rows = table.match(/<tr data-verdict="[a-z]+">/g)!;
    expect(rows).toHaveLength(runs.length);
    for (const run of runs) expect(table).toContain(`<code class="replay">${run.replay}</code>`);
  });

  it('draws five SVG charts per run, each in a captioned figure', () => {
    const figures = [...html.matchAll(/<figure class="chart[^"]*" data-chart="([a-z-]+)"><figcaption>(.*?)<\/figcaption>(<svg[\s\S]*?<\/svg>)<\/figure>/g)];
    expect(figures.map((figure) => figure[1])).toEqual(runs.flatMap(() => CHARTS));
    expect(html.match(/<svg\b/g)).toHaveLength(runs.length * CHARTS.length);
    for (const [, , caption] of figures) expect(caption.length).toBeGreaterThan(40);
  });

  it('labels axes with units, and reads the day-long run in hours', () => {
    const day = html.slice(html.indexOf('id="run-2"'), html.indexOf('id="run-3"'));
    expect(runs[1].scenario).toBe('scout-day-28-vms-wan-throttle');
    expect(day).toContain('simulated time (h)');
    expect(day).toContain('RPO exposure (h)');
    expect(day).toContain('backlog on the primary (GiB)');
    expect(day).toContain('link utilisation (%)');
    expect(day).toContain('Showing the 20 items with the highest peak RPO of 28');
    expect(day).toContain('8 other items');
    const short = html.slice(html.indexOf('id="run-3"'));
    expect(short).toContain('simulated time (min)');
  });

  it('shows what broke: violated invariants, the first divergent event and the shrunk timeline', () => {
    const failed = runs[2];
    const section = html.slice(html.indexOf('id="run-3"'));
    expect(section).toContain('Why it failed: FAIL: correctness');
    for (const violation of failed.violations) expect(section).toContain(`<code>${violation.invariant}</code>`);
    expect(section).toContain('<h3>First divergent event</h3>');
    expect(section.match(/<ol class="timeline">(.*?)<\/ol>/)![1].match(/<li>/g)).toHaveLength(failed.diagnosis!.shrunkTimeline!.length);
    expect(html.slice(html.indexOf('id="run-1"'), html.indexOf('id="run-2"'))).not.toContain('Why it failed');
  });

  it('gives every id in the page once, so no chart borrows another chart’s clip path', () => {
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    expect(ids.length).toBeGreaterThan(10);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [, reference] of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(reference);
  });

  it('escapes names from the run record', async () => {
    const hostile: RunRecord = { ...runs[0], scenario: '<img src=x onerror=alert(1)>', description: 'a & b' };
    const page = await toHtml({ runs: [hostile], passed: 1, failed: 0 });
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('renders a run without samples, and an empty summary', async () => {
    const bare: RunRecord = { ...runs[0], items: [], links: [], recoveryPoints: [], jobs: [], faults: [] };
    const page = await toHtml({ runs: [bare], passed: 1, failed: 0 });
    expect(page).toContain('The run recorded no samples to chart.');
    expect(await toHtml({ runs: [], passed: 0, failed: 0 })).toContain('<table id="verdicts">');
  });

  it('is reproducible, and renderAll returns all four documents', async () => {
    const all = await renderAll(summary);
    expect(all.html).toBe(html);
    expect(JSON.parse(all.json).runs).toHaveLength(runs.length);
    expect(all.junit).toContain('<testsuites');
    expect(all.markdown.startsWith('# Replication lab')).toBe(true);
  });
});
