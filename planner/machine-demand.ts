// What each machine asks of the deployment, from its per-minute series (growth applied): daily
// churn (the percentile of its daily totals), its percentile rate, its write IOPS at that rate,
// its disks and the bytes initial replication must copy. Every sizing rule reads these.
import { dailyTotals, percentile, type ChurnSeries } from './churn-series.js';
import { SECONDS_PER_DAY } from './rules.js';
import type { Workload } from './workload.js';

export interface MachineDemand {
  readonly index: number;
  readonly id: string;
  readonly disks: number;
  readonly vhdBytes: number;
  readonly usedBytes: number;
  /** Bytes a day at the planning percentile of the horizon's daily totals. */
  readonly churnBytesPerDay: number;
  /** Mean bytes per second over the horizon. */
  readonly meanBytesPerSecond: number;
  /** The percentile of the per-minute rate (rule 26: a machine's value is its per-minute sum). */
  readonly percentileBytesPerSecond: number;
  readonly peakBytesPerSecond: number;
  /** Source write IOPS at the percentile rate. */
  readonly writeIops: number;
}

export function machineDemands(workload: Workload, series: ChurnSeries): MachineDemand[] {
  return workload.machines.map((machine, index) => {
    const values = series.perMachine[index];
    let sum = 0;
    let peak = 0;
    for (const v of values) {
      sum += v;
      peak = Math.max(peak, v);
    }
    const rate = percentile(values, workload.percentile);
    return {
      index,
      id: machine.id,
      disks: machine.disks.length,
      vhdBytes: machine.disks.reduce((s, d) => s + d.sizeBytes, 0),
      usedBytes: machine.disks.reduce((s, d) => s + d.usedBytes, 0),
      churnBytesPerDay: percentile(dailyTotals(values), workload.percentile),
      meanBytesPerSecond: sum / values.length,
      percentileBytesPerSecond: rate,
      peakBytesPerSecond: peak,
      writeIops: rate / machine.writeSizeBytes,
    };
  });
}

export const perDay = (bytesPerSecond: number): number => bytesPerSecond * SECONDS_PER_DAY;
