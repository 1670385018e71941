// The diurnal shape of a workload: how a day's churn spreads over the hours of the simulated day,
// and the analytic bytes a profile writes in any window (the planner reuses it).
//
// Fault model: none; pure functions. Instant 0 is midnight of day 0, so hour h of every day is
// [d * 24h + h * 1h, d * 24h + (h + 1) * 1h).
import { MICROS_PER_DAY, MICROS_PER_HOUR, assert, type Instant } from '../../model/index.js';
import { OFFICE_HOURS_WEIGHTS, type DiurnalPattern, type WorkloadProfile } from './profile.js';

/** 24 hourly rate weights normalised to a mean of exactly 1, so the daily total is preserved. */
export function hourlyWeights(diurnal: DiurnalPattern): Float64Array {
  const raw = diurnal === 'flat' ? new Array<number>(24).fill(1) : diurnal === 'office-hours' ? OFFICE_HOURS_WEIGHTS : diurnal;
  assert(raw.length === 24, `diurnal: need 24 hourly weights, got ${raw.length}`);
  let sum = 0;
  for (const weight of raw) sum += weight;
  assert(sum > 0, 'diurnal: weights sum to zero');
  const weights = new Float64Array(24);
  for (let hour = 0; hour < 24; hour++) weights[hour] = (raw[hour] * 24) / sum;
  return weights;
}

/**
 * The integral of the hourly weight over [from, to), in weighted microseconds: a window of one
 * flat hour gives 3.6e9, a whole day always gives 8.64e10 whatever the shape.
 */
export function weightedSpan(weights: Float64Array, from: number, to: number): number {
  if (to <= from) return 0;
  const wholeDays = Math.floor((to - from) / MICROS_PER_DAY);
  let total = wholeDays * MICROS_PER_DAY;
  let cursor = from + wholeDays * MICROS_PER_DAY;
  while (cursor < to) {
    const intoHour = cursor % MICROS_PER_HOUR;
    const hour = Math.floor((cursor % MICROS_PER_DAY) / MICROS_PER_HOUR);
    const end = Math.min(cursor - intoHour + MICROS_PER_HOUR, to);
    total += weights[hour] * (end - cursor);
    cursor = end;
  }
  return total;
}

/**
 * Mean bytes one VM of `profile` writes in [from, to). Bursts are normalised to preserve the mean
 * (see burst-process.ts), so only the churn and the diurnal shape matter.
 */
export function expectedBytesInWindow(profile: WorkloadProfile, from: Instant, to: Instant): number {
  assert(to >= from, `expectedBytesInWindow: ${to} is before ${from}`);
  return (profile.churnBytesPerDay * weightedSpan(hourlyWeights(profile.diurnal), from, to)) / MICROS_PER_DAY;
}
