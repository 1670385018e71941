// What a simulated confirmation reports, and the pieces both providers' confirmations share:
// RPO statistics, one point of a curve from several seeds' days, the verdict against the
// analytic plan, and the sampling rule (machines evenly spaced by churn, the link scaled by the
// sample's share of its busiest hour).
import { MICROS_PER_SECOND } from '../model/index.js';
import type { AnalyticPlan } from './analytic-plan.js';
import { percentile } from './churn-series.js';
import type { SimMachine, SimProfile } from './hyperv-simulation.js';
import type { LinkPlan } from './link-plan.js';
import { MINUTES_PER_DAY } from './rules.js';

export interface RpoStats {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
}

export interface MachineResult {
  readonly machine: string;
  readonly rpoSeconds: RpoStats;
  readonly backlogBytesMax: number;
  readonly cyclesMissed: number;
  readonly resyncs: number;
}

export type Variant = 'planned' | 'bandwidth' | 'master-targets' | 'fewer-master-targets' | 'fewer-process-servers' | 'master-target-failed';

export interface ConfirmationPoint {
  readonly variant: Variant;
  readonly label: string;
  /** Bandwidth of the whole deployment's link (the sample ran on its share). */
  readonly bandwidthMbps: number;
  /** Master targets (Scout) the point stands for; null for Hyper-V Replica. */
  readonly masterTargets: number | null;
  readonly processServers: number | null;
  readonly seeds: readonly number[];
  /** Over every sampled machine, every minute after the warm-up and every seed. */
  readonly rpoSeconds: RpoStats;
  readonly meetsTarget: boolean;
  /** Per machine, the worst seed of each statistic. */
  readonly perMachine: readonly MachineResult[];
  /** Per simulated master target (Scout): its sampled machines together. */
  readonly perMasterTarget: ReadonlyArray<{ readonly masterTarget: string; readonly machines: number; readonly rpoSeconds: RpoStats }> | null;
  /** Hyper-V: the largest change log (.hrl) on a primary; Scout: the process-server cache at its peak. */
  readonly backlogBytesMax: number;
  /** Process-server cache high-water mark (Scout); null for Hyper-V Replica, which has none. */
  readonly cacheHighWaterBytes: number | null;
  /** Messages the engine resent for want of an answer in time, worst seed. */
  readonly retransmits: number;
}

/** A variant the confirmation did not simulate, and why (an impossible deployment, say). */
export interface NotSimulated {
  readonly variant: Variant;
  readonly label: string;
  readonly masterTargets: number | null;
  readonly reason: string;
}

export interface Verdict {
  readonly agrees: boolean;
  readonly message: string;
  readonly recommendedBandwidthMbps: number | null;
}

/** One simulated day, in the shape both providers' simulations report. */
export interface DayRun {
  readonly machines: ReadonlyArray<{ readonly machine: string; readonly rpoSeconds: readonly number[]; readonly logBytesMax: number; readonly cyclesMissed: number; readonly resyncs: number }>;
  readonly retransmits: number;
  readonly cacheHighWaterBytes: number | null;
}

/** Bandwidths of the curve, as fractions of the planned one; the curve goes on upwards while no
 *  point meets the target, so a disagreement comes with a simulated answer if one exists. */
export const BANDWIDTH_FACTORS = [0.5, 0.75, 1.25, 1.5, 2];
export const BANDWIDTH_FACTORS_EXTRA = [3, 4];
/** A point with more resends than this is called congested in the verdict. */
const RETRANSMITS_CONGESTED = 1000;

export function pointOf(
  variant: Variant,
  label: string,
  bandwidth: number,
  seeds: readonly number[],
  runs: readonly DayRun[],
  target: number,
  masterTargets: { count: number; id: string } | null = null,
  processServers: number | null = null,
): ConfirmationPoint {
  const bySeed = runs.map((r) => r.machines);
  const all = bySeed.flatMap((run) => run.flatMap((m) => m.rpoSeconds));
  const perMachine = bySeed[0].map((first, i): MachineResult => {
    const mine = bySeed.map((run) => run[i]);
    const stats = mine.map((r) => rpoStats(r.rpoSeconds));
    return {
      machine: first.machine,
      rpoSeconds: { p50: maxOf(stats, 'p50'), p95: maxOf(stats, 'p95'), p99: maxOf(stats, 'p99'), max: maxOf(stats, 'max'), samples: stats.reduce((s, x) => s + x.samples, 0) },
      backlogBytesMax: Math.max(...mine.map((r) => r.logBytesMax)),
      cyclesMissed: Math.max(...mine.map((r) => r.cyclesMissed)),
      resyncs: Math.max(...mine.map((r) => r.resyncs)),
    };
  });
  const rpo = rpoStats(all);
  const cache = runs.some((r) => r.cacheHighWaterBytes !== null) ? Math.max(...runs.map((r) => r.cacheHighWaterBytes ?? 0)) : null;
  return {
    variant,
    label,
    bandwidthMbps: Math.round(bandwidth / 1e4) / 100,
    masterTargets: masterTargets?.count ?? null,
    processServers,
    seeds,
    rpoSeconds: rpo,
    meetsTarget: rpo.max <= target,
    perMachine,
    perMasterTarget: masterTargets === null ? null : [{ masterTarget: masterTargets.id, machines: perMachine.length, rpoSeconds: rpo }],
    backlogBytesMax: cache ?? Math.max(0, ...perMachine.map((m) => m.backlogBytesMax)),
    cacheHighWaterBytes: cache,
    retransmits: Math.max(...runs.map((r) => r.retransmits)),
  };
}

/** The bandwidth verdict: the planned point against the rest of the bandwidth curve. */
export function verdictOf(points: readonly ConfirmationPoint[], planned: number, target: number): Verdict {
  const curve = points.filter((p) => p.variant === 'planned' || p.variant === 'bandwidth');
  const plannedPoint = curve.find((p) => p.variant === 'planned')!;
  const meeting = curve.filter((p) => p.meetsTarget);
  const smallest = meeting.length === 0 ? null : meeting.reduce((a, b) => (b.bandwidthMbps < a.bandwidthMbps ? b : a));
  const plannedMbps = Math.round(planned / 1e4) / 100;
  const worst = `${plannedPoint.rpoSeconds.max.toFixed(0)}s`;
  const why =
    plannedPoint.retransmits > RETRANSMITS_CONGESTED
      ? `; the engine resent ${plannedPoint.retransmits} messages there: data queued behind other machines' on the shared link outlives its retransmission timeout, and the resends congest the link further (engine behaviour the fluid model does not include)`
      : '';
  if (plannedPoint.meetsTarget && smallest === plannedPoint) {
    return { agrees: true, message: `the simulation agrees: at the planned ${plannedMbps} Mbps the worst RPO over ${plannedPoint.seeds.length} seeds was ${worst} (target ${target}s), and less bandwidth missed it`, recommendedBandwidthMbps: plannedMbps };
  }
  if (smallest === null) {
    return { agrees: false, message: `the simulation disagrees: no simulated bandwidth up to ${Math.max(...curve.map((p) => p.bandwidthMbps))} Mbps kept the RPO within ${target}s (worst at the planned bandwidth: ${worst})${why}; plan for more than the curve's top`, recommendedBandwidthMbps: null };
  }
  if (!plannedPoint.meetsTarget) {
    return { agrees: false, message: `the simulation disagrees: at the planned ${plannedMbps} Mbps the worst RPO was ${worst}, over the ${target}s target${why}; the smallest simulated bandwidth that met it is ${smallest.bandwidthMbps} Mbps: recommended`, recommendedBandwidthMbps: smallest.bandwidthMbps };
  }
  return {
    agrees: false,
    message: `the simulation disagrees (the analysis is conservative): ${smallest.bandwidthMbps} Mbps already kept the worst RPO at ${smallest.rpoSeconds.max.toFixed(0)}s within the ${target}s target (${smallest.seeds.length} seed${smallest.seeds.length === 1 ? '' : 's'}): recommended, with the planned ${plannedMbps} Mbps as headroom`,
    recommendedBandwidthMbps: smallest.bandwidthMbps,
  };
}

export function rpoStats(values: readonly number[]): RpoStats {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, samples: 0 };
  const round = (v: number) => Math.round(v * 10) / 10;
  let max = 0;
  for (const v of values) max = Math.max(max, v);
  return { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)), p99: round(percentile(values, 99)), max: round(max), samples: values.length };
}

const maxOf = (stats: readonly RpoStats[], key: 'p50' | 'p95' | 'p99' | 'max') => Math.max(...stats.map((s) => s[key]));

/** `count` machines evenly spaced through `indexes` sorted by daily churn (all when fewer). */
export function sampleByChurn(plan: AnalyticPlan, indexes: readonly number[], count: number): number[] {
  const sorted = [...indexes].sort((a, b) => plan.demands[a].churnBytesPerDay - plan.demands[b].churnBytesPerDay || a - b);
  if (sorted.length <= count) return sorted;
  return Array.from({ length: count }, (_, j) => sorted[Math.floor(((j + 0.5) * sorted.length) / count)]);
}

/** The busiest hour of a day of the link's churn. */
export function busiestHour(link: LinkPlan, day: number): number {
  const start = day * MINUTES_PER_DAY;
  let best = 0;
  let bestBytes = -1;
  for (let hour = 0; hour < 24; hour++) {
    let bytes = 0;
    for (let m = start + hour * 60; m < start + hour * 60 + 60; m++) bytes += link.arrivals[m];
    if (bytes > bestBytes) {
      bestBytes = bytes;
      best = hour;
    }
  }
  return best;
}

/** The machines' share of the link's churn in the busiest hour of the day. */
export function busiestHourShare(plan: AnalyticPlan, link: LinkPlan, machines: readonly number[], day: number): number {
  const from = day * MINUTES_PER_DAY + busiestHour(link, day) * 60;
  let all = 0;
  let mine = 0;
  for (let m = from; m < from + 60; m++) all += link.arrivals[m];
  for (const index of machines) for (let m = from; m < from + 60; m++) mine += plan.series.perMachine[index][m];
  return all > 0 ? mine / all : machines.length / link.machineIndexes.length;
}

/** A machine's representative day as the simulator's workload profile. */
export function simMachine(plan: AnalyticPlan, index: number, day: number): SimMachine {
  const machine = plan.workload.machines[index];
  const values = plan.series.perMachine[index];
  const hourly = new Array<number>(24).fill(0);
  for (let m = 0; m < MINUTES_PER_DAY; m++) hourly[Math.floor(m / 60)] += values[day * MINUTES_PER_DAY + m] * 60;
  const total = hourly.reduce((a, b) => a + b, 0);
  const parametric = machine.disks.map((d) => d.churn).find((c) => c.kind === 'parametric');
  const bursts = parametric?.bursts ?? null;
  const profile: SimProfile = {
    churnBytesPerDay: total,
    diurnal: total > 0 ? hourly : 'flat',
    hotSetFraction: parametric?.hotSet ?? 0.1,
    hotSetWriteShare: parametric?.hotSetShare ?? 0.8,
    writeSizeMix: [{ sizeBytes: machine.writeSizeBytes, weight: 1 }],
    dependentWriteShare: 0,
    ...(bursts === null ? {} : { bursts: { meanInterval: (bursts.everySeconds * MICROS_PER_SECOND) as never, meanLength: (bursts.lengthSeconds * MICROS_PER_SECOND) as never, multiplier: bursts.multiplier } }),
  };
  return { id: machine.id, os: machine.os, disks: machine.disks, profile };
}

export const mbpsText = (bits: number): string => `${(bits / 1e6).toFixed(1)} Mbps`;

/** Why a sample may look worse than the whole: its bursts do not average out over few machines. */
export function burstNote(plan: AnalyticPlan): string[] {
  const bursty = plan.workload.machines.some((m) => m.disks.some((d) => d.churn.kind === 'parametric' && d.churn.bursts !== null));
  if (!bursty) return [];
  return ['A few sampled machines burst more, relative to their share of the link, than hundreds do together (their bursts do not average out), so a sampled RPO errs on the pessimistic side where the workload has bursts.'];
}
