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

/**
 * A fixed piece of work that loads the machine the way a simulated day does (random reads and
 * writes over a working set far larger than the caches, and short-lived objects), timed as the
 * median of `rounds`. A day benchmark reports it beside its wall time: these machines are shared
 * and their speed drifts by tens of percent within minutes, so a wall time is only comparable
 * with others through the reference measured in the same run.
 */
export function machineReferenceSeconds(rounds = 3): number {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) times.push(timed(referenceWork).seconds);
  return median(times);
}

const REFERENCE_WORDS = 1 << 24; // 64 MiB
const REFERENCE_STEPS = 10_000_000;

function referenceWork(): number {
  const words = new Uint32Array(REFERENCE_WORDS);
  let x = 0x9e3779b9;
  let sum = 0;
  let objects: Array<{ at: number; value: number }> = [];
  for (let step = 0; step < REFERENCE_STEPS; step++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const slot = (x >>> 0) & (REFERENCE_WORDS - 1);
    sum += words[slot];
    words[slot] = step;
    if ((step & 7) === 0) objects.push({ at: step, value: slot });
    if (objects.length === 4096) objects = [];
  }
  return sum + objects.length;
}
