import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../model/index.js';
import { toMarkdown } from '../../reports/index.js';

const FIXTURES = new URL('../fixtures/run-records/', import.meta.url);
const runs: RunRecord[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as RunRecord);

/** Cells of a GFM table row, honouring escaped pipes. */
function cells(row: string): string[] {
  return row
    .slice(2, -2)
    .split(/(?<!\\) \| /)
    .map((cell) => cell.trim());
}

describe('toMarkdown', () => {
  const markdown = toMarkdown({ runs, passed: 1, failed: 2 });
  const lines = markdown.split('\n');

  it('opens with the totals and a verdict table with a replay command per run', () => {
    expect(lines[0]).toBe('# Replication lab: 1 passed, 2 failed');
    const header = lines.indexOf('| Verdict | Scenario | Seed | Violations | Data loss (writes) | RPO max (target) | Replay |');
    expect(header).toBe(2);
    expect(lines[header + 1]).toBe('|---|---|---|---|---|---|---|');
    const rows = lines.slice(header + 2, header + 2 + runs.length);
    for (const [index, run] of runs.entries()) {
      const row = cells(rows[index]);
      expect(row).toHaveLength(7);
      expect(row[0]).toContain(run.verdict === 'pass' ? 'PASS' : 'FAIL');
      expect(row[2]).toBe(String(run.seed));
      expect(row[3]).toBe(String(run.violations.length));
      expect(row[6]).toBe(`\`${run.replay}\``);
    }
    expect(lines[header + 2 + runs.length]).toBe('');
  });

  it('has a section per run with metrics, violations, jobs with phase timings and data loss, and faults', () => {
    for (const run of runs) expect(markdown).toContain(`## ${run.scenario.replace(/_/g, '\\_')} \\[seed ${run.seed}\\]`);
    expect(markdown.match(/^### Metrics$/gm)).toHaveLength(runs.length);
    expect(markdown.match(/^### Violations$/gm)).toHaveLength(2);
    expect(markdown).toContain('| Job | Kind | Item | Status | Start | Duration | Phases | Data loss |');
    expect(markdown).toMatch(/\| #32 \| unplanned-failover \| db-02 \| succeeded \| 00:48:04 \| 3 min 07 s \| check-prerequisites 6\.9 s<br>/);
    expect(markdown).toContain('| 10 min 11 s, 70\u2009721 writes |');
    expect(markdown).toMatch(/\| F1 \| 00:30:00 \| 00:40:00 \| link-latency \|/);
    expect(markdown).toContain('**Shrunk timeline:**');
    expect(markdown).toContain('- Missing: `resync-after-corruption`');
  });

  it('keeps a hostile message inside its table cell', () => {
    const run: RunRecord = { ...runs[0], violations: [{ invariant: 'expectation', item: 'vm|1', atSeconds: 3, message: 'a | b\nc *d*' }] };
    const text = toMarkdown({ runs: [run], passed: 0, failed: 1 });
    const row = text.split('\n').find((line) => line.startsWith('| `expectation`'))!;
    expect(cells(row)).toEqual(['`expectation`', 'vm\\|1', '00:00:03', 'a \\| b c \\*d\\*']);
  });
});
