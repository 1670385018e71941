// run.json and `lab run --json`: the DESIGN.md section 6 document. The contract names the leading
// keys of each run, so they come first in that order; every other RunRecord field follows so that
// nothing the HTML report draws is missing from the machine-readable file.
import type { RunMetrics, RunRecord, RunSummary } from '../model/index.js';

const RUN_KEYS_FIRST = ['scenario', 'seed', 'verdict', 'traceHash', 'violations', 'metrics', 'marks', 'replay'] as const;
const METRIC_KEYS_FIRST = ['dataLossWrites', 'rpoSecondsMax'] as const;

export function toJson(summary: RunSummary): string {
  const document = { runs: summary.runs.map(orderRun), passed: summary.passed, failed: summary.failed };
  return `${stringifyCompactLeaves(document, '')}\n`;
}

function orderRun(run: RunRecord): Record<string, unknown> {
  // Spreading keeps each key where it was first inserted, so the named keys stay first.
  return { ...pick(run, RUN_KEYS_FIRST), ...omitUndefined(run), metrics: orderMetrics(run.metrics) };
}

function orderMetrics(metrics: RunMetrics): Record<string, unknown> {
  return { ...pick(metrics, METRIC_KEYS_FIRST), ...metrics };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) picked[key] = value[key];
  return picked;
}

/** JSON.stringify drops undefined members anyway; dropping them first keeps key order stable. */
function omitUndefined(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}

/**
 * Indented JSON in which an array or object holding only primitives stays on one line: a day of
 * samples reads as one `{"t":60,"value":12.5}` per line instead of four, and the file is half the size.
 */
function stringifyCompactLeaves(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const entries: Array<[string | null, unknown]> = Array.isArray(value)
    ? value.map((member) => [null, member])
    : Object.entries(value).filter(([, member]) => member !== undefined);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return `${open}${close}`;
  if (entries.every(([, member]) => member === null || typeof member !== 'object')) return JSON.stringify(value);
  const inner = `${indent}  `;
  const lines = entries.map(([key, member]) => `${inner}${key === null ? '' : `${JSON.stringify(key)}: `}${stringifyCompactLeaves(member, inner)}`);
  return `${open}\n${lines.join(',\n')}\n${indent}${close}`;
}
