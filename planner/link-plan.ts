// WAN sizing per link (rule 26): the bandwidth that keeps the recovery point within the target
// 100% and 90% of the minutes, the percentile churn rule of thumb (derived formula "delta
// bandwidth"), the RPO a stated bandwidth achieves, and initial replication batches for the goal.
import { aggregate, percentile, type ChurnSeries } from './churn-series.js';
import { achievableRpo, bandwidthFor, lagOver, type AchievableRpo, type LagModel } from './fluid-queue.js';
import type { MachineDemand } from './machine-demand.js';
import type { PlannedLink, Workload } from './workload.js';

export interface InitialReplicationBatch {
  readonly machines: readonly string[];
  readonly bytes: number;
  /** Bandwidth left for copying once the machines of earlier batches send their deltas. */
  readonly availableBitsPerSecond: number;
  readonly seconds: number;
  /** A machine alone that cannot finish within the goal. */
  readonly overGoal: boolean;
}

export interface InitialReplicationPlan {
  readonly bytes: number;
  readonly bitsPerSecond: number;
  /** Bandwidth at which all of it finishes within the goal, deltas of the protected included. */
  readonly bitsPerSecondForGoal: number;
  readonly seconds: number | null;
  readonly batches: readonly InitialReplicationBatch[];
  readonly problem: string | null;
}

export interface LinkPlan {
  readonly link: PlannedLink;
  readonly machineIndexes: readonly number[];
  readonly model: LagModel;
  readonly arrivals: Float64Array;
  readonly rpo100BitsPerSecond: number | null;
  readonly rpo90BitsPerSecond: number | null;
  readonly impossible: string | null;
  readonly percentileBitsPerSecond: number;
  readonly meanBitsPerSecond: number;
  /** The bandwidth the deployment is planned with: the one stated for the link, else rpo100. */
  readonly plannedBitsPerSecond: number;
  readonly atPlanned: AchievableRpo;
  /** The RPO the stated bandwidth achieves, when the file states one. */
  readonly atGiven: AchievableRpo | null;
  readonly initialReplication: InitialReplicationPlan;
}

export function planLinks(workload: Workload, series: ChurnSeries, demands: readonly MachineDemand[]): LinkPlan[] {
  return workload.links
    .map((link) => ({ link, machineIndexes: workload.machines.flatMap((m, i) => (m.link === link.id ? [i] : [])) }))
    .filter((l) => l.machineIndexes.length > 0)
    .map(({ link, machineIndexes }) => planLink(workload, series, demands, link, machineIndexes));
}

export function lagModel(workload: Workload, link: PlannedLink): LagModel {
  return { copyIntervalSeconds: workload.provider === 'hyperv-replica' ? workload.hyperv.copyFrequencySeconds : 0, compression: workload.compression, latencySeconds: link.latencySeconds };
}

function planLink(workload: Workload, series: ChurnSeries, demands: readonly MachineDemand[], link: PlannedLink, machineIndexes: number[]): LinkPlan {
  const arrivals = aggregate(series, machineIndexes);
  const model = lagModel(workload, link);
  const target = workload.rpoSeconds;
  const rpo100 = bandwidthFor(arrivals, target, 1, model);
  const rpo90 = bandwidthFor(arrivals, target, 0.9, model);
  const wire = 8 * (1 - workload.compression);
  let mean = 0;
  for (const a of arrivals) mean += a;
  mean /= arrivals.length;
  const planned = link.bandwidthBitsPerSecond ?? rpo100.bitsPerSecond ?? mean * wire * 2;
  const atPlanned = achievableRpo(arrivals, planned, target, model);
  const atGiven = link.bandwidthBitsPerSecond === null ? null : atPlanned;
  return {
    link,
    machineIndexes,
    model,
    arrivals,
    rpo100BitsPerSecond: rpo100.bitsPerSecond,
    rpo90BitsPerSecond: rpo90.bitsPerSecond,
    impossible: rpo100.impossible,
    percentileBitsPerSecond: percentile(arrivals, workload.percentile) * wire,
    meanBitsPerSecond: mean * wire,
    plannedBitsPerSecond: planned,
    atPlanned,
    atGiven,
    initialReplication: planInitialReplication(workload, demands, machineIndexes, planned),
  };
}

/** Peak backlog on the link at a bandwidth (what the process servers' caches must hold). */
export function backlogAt(plan: LinkPlan, bitsPerSecond: number): number {
  return lagOver(plan.arrivals, bitsPerSecond, plan.model).backlogBytesMax;
}

/**
 * Initial replication (derived formula "IR duration", row 39's 72 h goal): machines in order of
 * size, smallest first, so most machines are protected early. A batch takes machines while its
 * copy, at the bandwidth the earlier batches' deltas leave, finishes within the goal.
 */
export function planInitialReplication(workload: Workload, demands: readonly MachineDemand[], machineIndexes: readonly number[], bitsPerSecond: number): InitialReplicationPlan {
  const wire = (bytes: number) => bytes * 8 * (1 - workload.compression);
  const goal = workload.initialReplicationGoalSeconds;
  const order = [...machineIndexes].sort((a, b) => demands[a].usedBytes - demands[b].usedBytes || a - b);
  const total = order.reduce((s, m) => s + demands[m].usedBytes, 0);
  const deltaAll = order.reduce((s, m) => s + wire(demands[m].meanBytesPerSecond), 0);
  const forGoal = wire(total) / goal + deltaAll;
  const batches: InitialReplicationBatch[] = [];
  let protectedDelta = 0;
  let seconds = 0;
  let current: { machines: number[]; bytes: number } = { machines: [], bytes: 0 };
  const close = () => {
    if (current.machines.length === 0) return;
    const available = bitsPerSecond - protectedDelta;
    const time = wire(current.bytes) / available;
    batches.push({ machines: current.machines.map((m) => demands[m].id), bytes: current.bytes, availableBitsPerSecond: available, seconds: time, overGoal: time > goal });
    seconds += time;
    for (const m of current.machines) protectedDelta += wire(demands[m].meanBytesPerSecond);
    current = { machines: [], bytes: 0 };
  };
  for (const m of order) {
    const available = bitsPerSecond - protectedDelta;
    if (available <= 0) {
      return { bytes: total, bitsPerSecond, bitsPerSecondForGoal: forGoal, seconds: null, batches, problem: `the deltas of the protected machines fill the link (${(bitsPerSecond / 1e6).toFixed(1)} Mbps): initial replication of the rest never finishes` };
    }
    const bytes = current.bytes + demands[m].usedBytes;
    if (current.machines.length > 0 && wire(bytes) / available > goal) close();
    current.machines.push(m);
    current.bytes += demands[m].usedBytes;
  }
  close();
  if (batches.length > 0 && batches[batches.length - 1].availableBitsPerSecond <= 0) {
    return { bytes: total, bitsPerSecond, bitsPerSecondForGoal: forGoal, seconds: null, batches, problem: 'the deltas of the protected machines fill the link: the last batch never finishes' };
  }
  return { bytes: total, bitsPerSecond, bitsPerSecondForGoal: forGoal, seconds, batches, problem: null };
}
