import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunRecord, RunSummary } from '../../model/index.js';
import { toJson } from '../../reports/index.js';

const FIXTURES = new URL('../fixtures/run-records/', import.meta.url);
const runs: RunRecord[] = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as RunRecord);
const summary: RunSummary = { runs, passed: runs.filter((run) => run.verdict === 'pass').length, failed: runs.filter((run) => run.verdict !== 'pass').length };

describe('toJson', () => {
  const text = toJson(summary);
  const document = JSON.parse(text) as { runs: Array<Record<string, unknown>>; passed: number; failed: number };

  it('is the DESIGN.md section 6 document: runs, passed, failed', () => {
    expect(Object.keys(document)).toEqual(['runs', 'passed', 'failed']);
    expect(document.passed).toBe(1);
    expect(document.failed).toBe(2);
    expect(document.runs).toHaveLength(3);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('puts the contract keys of each run first, in contract order, and metrics lead with data loss and RPO', () => {
    for (const run of document.runs) {
      expect(Object.keys(run).slice(0, 8)).toEqual(['scenario', 'seed', 'verdict', 'traceHash', 'violations', 'metrics', 'marks', 'replay']);
      expect(Object.keys(run.metrics as object).slice(0, 2)).toEqual(['dataLossWrites', 'rpoSecondsMax']);
    }
  });

  it('keeps every field of every run record', () => {
    expect(document.runs).toEqual(runs);
    for (const [index, run] of runs.entries()) expect(new Set(Object.keys(document.runs[index]))).toEqual(new Set(Object.keys(run)));
  });

  it('writes one sample per line and drops undefined members', () => {
    expect(text).toMatch(/\n +\{"t":\d+(\.\d+)?,"value":[\d.]+\},?\n/);
    const withoutDiagnosis: RunRecord = { ...runs[0], diagnosis: undefined };
    const single = JSON.parse(toJson({ runs: [withoutDiagnosis], passed: 1, failed: 0 })) as { runs: Array<Record<string, unknown>> };
    expect('diagnosis' in single.runs[0]).toBe(false);
  });

  it('renders an empty summary', () => {
    expect(JSON.parse(toJson({ runs: [], passed: 0, failed: 0 }))).toEqual({ runs: [], passed: 0, failed: 0 });
  });
});
