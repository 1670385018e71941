// Measuring helpers shared by the benchmarks: wall-clock timing, medians of repeated rounds and
// the process's peak resident set size.
import { performance } from 'node:perf_hooks';

/** Runs `work` once and returns its wall time in seconds with its result. */
export function timed<T>(work: () => T): { seconds: number; result: T } {
  const start = performance.now();
  const result = work();
  return { seconds: (performance.now() - start) / 1000, result };
}

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Peak resident set size of this process so far, in MiB. It is a process-wide high-water mark,
 * so a benchmark that reports it should run first in its process (or alone).
 */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

/** Rounds a figure for reporting, keeping `digits` significant digits. */
export function significant(value: number, digits = 4): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(digits)) : value;
}
