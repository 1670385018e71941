// Per-minute churn of every machine over the planning horizon, the input of every rate-based
// rule (rule 26: profile per-minute churn per disk, a machine's value is the per-minute sum).
// A parametric disk follows its hourly shape (a step per hour, as the simulated guests write)
// with bursts placed on a fixed period at a phase drawn from the machine's name, so machines do
// not all burst at once; a measured series repeats to fill the horizon. Growth is applied here.
import { fold32, foldString } from '../model/index.js';
import { MINUTES_PER_DAY, SECONDS_PER_DAY } from './rules.js';
import type { DiskChurn, PlannedMachine, Workload } from './workload.js';

export interface ChurnSeries {
  /** Minutes in the horizon: whole days, at least one. */
  readonly minutes: number;
  /** Bytes per second written by each machine in each minute, growth applied (machine order). */
  readonly perMachine: readonly Float32Array[];
}

export function buildChurnSeries(workload: Workload): ChurnSeries {
  const minutes = horizonMinutes(workload);
  const scale = 1 + workload.growth;
  const perMachine = workload.machines.map((machine) => machineSeries(machine, minutes, scale));
  return { minutes, perMachine };
}

/** Whole days covering the longest measured series (one day when every disk is parametric). */
export function horizonMinutes(workload: Workload): number {
  let longest = MINUTES_PER_DAY;
  for (const machine of workload.machines) for (const disk of machine.disks) if (disk.churn.kind === 'series') longest = Math.max(longest, disk.churn.bytesPerSecond.length);
  return Math.ceil(longest / MINUTES_PER_DAY) * MINUTES_PER_DAY;
}

function machineSeries(machine: PlannedMachine, minutes: number, scale: number): Float32Array {
  const series = new Float32Array(minutes);
  const phase = fold32(foldString(0x9e3779b9, machine.id), 0) >>> 0;
  for (const disk of machine.disks) addDisk(series, disk.churn, phase, scale);
  return series;
}

function addDisk(series: Float32Array, churn: DiskChurn, phase: number, scale: number): void {
  if (churn.kind === 'series') {
    const values = churn.bytesPerSecond;
    for (let m = 0; m < series.length; m++) series[m] += values[m % values.length] * scale;
    return;
  }
  const base = (churn.meanBytesPerDay / SECONDS_PER_DAY) * scale;
  const burst = burstPlan(churn, phase);
  for (let m = 0; m < series.length; m++) {
    const hour = Math.floor((m % MINUTES_PER_DAY) / 60);
    series[m] += base * churn.weights[hour] * (burst === null ? 1 : burst.factorAt(m));
  }
}

/** Bursts on a fixed period; the base rate is lowered so the mean is unchanged (as in the sim). */
function burstPlan(churn: DiskChurn & { kind: 'parametric' }, phase: number): { factorAt(minute: number): number } | null {
  const bursts = churn.bursts;
  if (bursts === null) return null;
  const lengthMinutes = Math.max(1, Math.round(bursts.lengthSeconds / 60));
  const periodMinutes = Math.max(lengthMinutes + 1, Math.round((bursts.everySeconds + bursts.lengthSeconds) / 60));
  const offset = phase % periodMinutes;
  const rateScale = 1 / (1 + ((bursts.multiplier - 1) * lengthMinutes) / periodMinutes);
  return { factorAt: (minute) => rateScale * ((minute + offset) % periodMinutes < lengthMinutes ? bursts.multiplier : 1) };
}

/** Sum of several machines' series. */
export function aggregate(series: ChurnSeries, machineIndexes: Iterable<number>): Float64Array {
  const total = new Float64Array(series.minutes);
  for (const index of machineIndexes) {
    const one = series.perMachine[index];
    for (let m = 0; m < total.length; m++) total[m] += one[m];
  }
  return total;
}

/** The p-th percentile (0-100) of the values, nearest rank. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Bytes written in each whole day of the horizon. */
export function dailyTotals(values: ArrayLike<number>): number[] {
  const days: number[] = [];
  for (let start = 0; start + MINUTES_PER_DAY <= values.length; start += MINUTES_PER_DAY) {
    let sum = 0;
    for (let m = start; m < start + MINUTES_PER_DAY; m++) sum += values[m] * 60;
    days.push(sum);
  }
  return days;
}

/** The busiest day of the horizon (the representative day a simulation plays). */
export function busiestDay(values: ArrayLike<number>): number {
  const totals = dailyTotals(values);
  let best = 0;
  for (let d = 1; d < totals.length; d++) if (totals[d] > totals[best]) best = d;
  return best;
}
