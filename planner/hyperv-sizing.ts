// Hyper-V Replica sizing beyond bandwidth: free space per primary volume (rows 5 and 6: up to
// 100% of the VHD size during initial replication, 50% for delta logs) and the resync deadline
// after a link loss (derived formula: the logs grow by the churn until they pass 50% of the VM's
// VHD size, row 4, or fill the volume's free space; the worst start minute of the horizon counts).
import type { ChurnSeries } from './churn-series.js';
import { aggregate } from './churn-series.js';
import type { LinkPlan } from './link-plan.js';
import type { MachineDemand } from './machine-demand.js';
import { HYPERV_DELTA_FREE_FRACTION, HYPERV_IR_FREE_FRACTION, HYPERV_RESYNC_LOG_FRACTION, MINUTES_PER_DAY } from './rules.js';
import type { Workload } from './workload.js';

export interface VolumePlan {
  readonly volume: string;
  readonly machines: number;
  readonly vhdBytes: number;
  /** Free space the largest initial replication batch on the volume needs (row 5). */
  readonly freeForInitialReplicationBytes: number;
  /** Free space the delta logs may need (row 6). */
  readonly freeForDeltaBytes: number;
  readonly freeNeededBytes: number;
  /** Free space the file states for the volume, or null. */
  readonly freeBytes: number | null;
  /** Link-loss time until the volume's free space is full of logs (only when freeBytes is known). */
  readonly fullAfterSeconds: number | null;
}

export interface ResyncDeadline {
  readonly machine: string;
  readonly seconds: number;
  readonly limit: 'log-threshold' | 'volume-free-space';
}

export interface HyperVPlan {
  readonly volumes: readonly VolumePlan[];
  /** Per machine: link-loss time after which it needs a resync, at the worst start minute. */
  readonly resyncDeadlines: readonly ResyncDeadline[];
  readonly resyncDeadlineMin: ResyncDeadline | null;
}

export function planHyperV(workload: Workload, series: ChurnSeries, demands: readonly MachineDemand[], links: readonly LinkPlan[]): HyperVPlan {
  const interval = workload.hyperv.copyFrequencySeconds;
  const batchOf = new Map<string, number>();
  for (const link of links) link.initialReplication.batches.forEach((batch, b) => batch.machines.forEach((id) => batchOf.set(id, b)));
  const byVolume = new Map<string, number[]>();
  workload.machines.forEach((machine, i) => byVolume.set(machine.volume, [...(byVolume.get(machine.volume) ?? []), i]));
  const volumes: VolumePlan[] = [];
  const fullAfter = new Map<string, number | null>();
  for (const [volume, members] of [...byVolume.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const vhd = members.reduce((s, m) => s + demands[m].vhdBytes, 0);
    const perBatch = new Map<number, number>();
    for (const m of members) perBatch.set(batchOf.get(demands[m].id) ?? 0, (perBatch.get(batchOf.get(demands[m].id) ?? 0) ?? 0) + demands[m].vhdBytes);
    const forIr = HYPERV_IR_FREE_FRACTION * Math.max(0, ...perBatch.values());
    const forDelta = HYPERV_DELTA_FREE_FRACTION * vhd;
    const free = workload.hyperv.volumes.get(volume) ?? null;
    const full = free === null ? null : timeToWrite(aggregate(series, members), free, interval);
    fullAfter.set(volume, full);
    volumes.push({ volume, machines: members.length, vhdBytes: vhd, freeForInitialReplicationBytes: forIr, freeForDeltaBytes: forDelta, freeNeededBytes: Math.max(forIr, forDelta), freeBytes: free, fullAfterSeconds: full });
  }
  const resyncDeadlines = workload.machines.map((machine, i): ResyncDeadline => {
    const byLog = timeToWrite(series.perMachine[i], HYPERV_RESYNC_LOG_FRACTION * demands[i].vhdBytes, interval);
    const byVolume = fullAfter.get(machine.volume) ?? null;
    if (byVolume !== null && byVolume < byLog) return { machine: machine.id, seconds: byVolume, limit: 'volume-free-space' };
    return { machine: machine.id, seconds: byLog, limit: 'log-threshold' };
  });
  const resyncDeadlineMin = resyncDeadlines.reduce<ResyncDeadline | null>((min, d) => (min === null || d.seconds < min.seconds ? d : min), null);
  return { volumes, resyncDeadlines, resyncDeadlineMin };
}

/**
 * The shortest time, over start minutes of the horizon, in which `rate` (bytes/s per minute,
 * repeating) writes `bytes` on top of the one copy interval of log already held at the start.
 * Infinity when nothing is written.
 */
export function timeToWrite(rate: ArrayLike<number>, bytes: number, copyIntervalSeconds: number): number {
  const minutes = rate.length;
  const prefix = new Float64Array(3 * minutes + 1);
  for (let m = 0; m < 3 * minutes; m++) prefix[m + 1] = prefix[m] + rate[m % minutes] * 60;
  const cycle = prefix[minutes];
  if (cycle <= 0) return Number.POSITIVE_INFINITY;
  const stride = Math.max(1, Math.floor(minutes / MINUTES_PER_DAY));
  let best = Number.POSITIVE_INFINITY;
  for (let start = 0; start < minutes; start += stride) {
    const threshold = bytes - rate[start] * copyIntervalSeconds;
    if (threshold <= 0) return 0;
    const cycles = Math.max(0, Math.floor(threshold / cycle) - 1);
    const rest = threshold - cycles * cycle;
    // First minute end at which the bytes written since `start` reach `rest` (within two cycles).
    let low = start + 1;
    let high = start + 2 * minutes;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (prefix[middle] - prefix[start] >= rest) high = middle;
      else low = middle + 1;
    }
    const before = prefix[low - 1] - prefix[start];
    const minuteRate = rate[(low - 1) % minutes];
    const seconds = (low - 1 - start) * 60 + (minuteRate > 0 ? (rest - before) / minuteRate : 60);
    best = Math.min(best, cycles * minutes * 60 + seconds);
  }
  return best;
}
