// The InMage Scout confirmation: the busiest master target of the plan, with a sample of its
// machines, replicating through a process server over the WAN for the representative day, over
// several seeds; then along a bandwidth curve, with more master targets (each carries less),
// with its master target failed for an hour at the busiest hour (the process-server cache must
// hold the backlog), and the smaller deployments the sizing rules refuse, with the rule.
//
// Scaling: the simulated link is the sample's share of the link's churn in its busiest hour; the
// simulated process-server cache is the planned cache of each sampled machine's process server in
// proportion to the machine's churn; the simulated retention volume is the planned volume in
// proportion to the sample's share of its master target's churn.
import type { AnalyticPlan } from './analytic-plan.js';
import { busiestDay } from './churn-series.js';
import {
  BANDWIDTH_FACTORS,
  BANDWIDTH_FACTORS_EXTRA,
  burstNote,
  busiestHour,
  busiestHourShare,
  mbpsText,
  pointOf,
  sampleByChurn,
  simMachine,
  verdictOf,
  type ConfirmationPoint,
  type DayRun,
  type NotSimulated,
  type Variant,
} from './confirm-points.js';
import type { Confirmation, ConfirmOptions } from './confirm.js';
import type { LinkPlan } from './link-plan.js';
import { decimalSizeText, durationText, sizeText } from './plan-format.js';
import type { MasterTargetAssignment } from './scout-sizing.js';
import { simulateScoutDay, type ScoutDayResult } from './scout-simulation.js';

const FAILURE_SECONDS = 3600;
const RETENTION_SIMULATED_MIN_BYTES = 1024 ** 3;

export function confirmScout(plan: AnalyticPlan, options: ConfirmOptions): Confirmation {
  const workload = plan.workload;
  const mts = plan.masterTargets.secondary!;
  const churnOf = (a: MasterTargetAssignment) => a.machineIndexes.reduce((s, m) => s + plan.demands[m].churnBytesPerDay, 0);
  const busiest = [...mts.assignments].filter((a) => !a.overCapacity).sort((a, b) => churnOf(b) - churnOf(a) || (a.id < b.id ? -1 : 1))[0] ?? mts.assignments[0];
  const link = linkOf(plan, busiest);
  if (link.rpo100BitsPerSecond === null) return { available: false, reason: `not available: ${link.impossible}` };
  const day = busiestDay(link.arrivals);
  const perMt = options.sampleMachines ?? workload.simulation.sampleMachines;
  const seeds = Array.from({ length: options.seeds ?? workload.simulation.seeds }, (_, i) => i + 1);
  const target = workload.rpoSeconds;
  const planned = link.rpo100BitsPerSecond;
  const n = mts.count;
  const psCount = plan.processServers!.count;
  const busiestChurn = churnOf(busiest);

  /** One point: `count` machines of the busiest master target (its load at `masterTargets`). */
  const run = (variant: Variant, label: string, bandwidth: number, runSeeds: readonly number[], masterTargets: number, failure = false): ConfirmationPoint => {
    const count = Math.max(1, Math.round((perMt * n) / masterTargets));
    const sample = sampleByChurn(plan, busiest.machineIndexes, count);
    const share = busiestHourShare(plan, link, sample, day);
    const sampleChurn = sample.reduce((s, m) => s + plan.demands[m].churnBytesPerDay, 0);
    const runs = runSeeds.map((seed): DayRun & ScoutDayResult => {
      options.progress?.(`simulating ${label}, seed ${seed}: ${sample.length} machines of ${busiest.id}, one day`);
      const result = simulateScoutDay({
        machines: sample.map((m) => simMachine(plan, m, day)),
        os: busiest.os,
        bandwidthBitsPerSecond: bandwidth * share,
        latencySeconds: link.link.latencySeconds,
        processServerCacheBytes: cacheShare(plan, sample),
        retentionVolumeBytes: Math.max(RETENTION_SIMULATED_MIN_BYTES, (workload.masterTarget.retentionVolumeBytes * sampleChurn * n) / Math.max(1, busiestChurn * masterTargets)),
        masterTargetOwnDisks: workload.masterTarget.ownDisks,
        retentionSeconds: workload.retentionSeconds,
        rpoTargetSeconds: target,
        seed,
        blockSizeBytes: workload.simulation.blockSizeBytes,
        warmupSeconds: 600,
        ...(failure ? { masterTargetFailure: { atSeconds: busiestHour(link, day) * 3600, forSeconds: FAILURE_SECONDS } } : {}),
      });
      return { ...result, machines: result.machines.map((m) => ({ ...m, logBytesMax: 0, cyclesMissed: 0, resyncs: 0 })), retransmits: result.cacheFullRefusals };
    });
    return pointOf(variant, label, bandwidth, runSeeds, runs, target, { count: masterTargets, id: busiest.id }, psCount);
  };

  const points: ConfirmationPoint[] = [run('planned', `planned: ${n} master targets, ${mbpsText(planned)}`, planned, seeds, n)];
  for (const factor of BANDWIDTH_FACTORS) points.push(run('bandwidth', `${factor} × planned bandwidth`, planned * factor, seeds.slice(0, 1), n));
  for (const factor of BANDWIDTH_FACTORS_EXTRA) {
    if (points.some((p) => p.meetsTarget)) break;
    points.push(run('bandwidth', `${factor} × planned bandwidth`, planned * factor, seeds.slice(0, 1), n));
  }
  const stated = link.link.bandwidthBitsPerSecond;
  if (stated !== null && points.every((p) => Math.abs(p.bandwidthMbps * 1e6 - stated) > 0.05 * stated)) points.push(run('bandwidth', `stated link ${mbpsText(stated)}`, stated, seeds.slice(0, 1), n));
  points.push(run('master-targets', `${n + 1} master targets`, planned, seeds.slice(0, 1), n + 1));
  const notSimulated: NotSimulated[] = [fewerMasterTargets(plan), fewerProcessServers(plan)];
  const failed = run('master-target-failed', `${busiest.id} failed for ${durationText(FAILURE_SECONDS)} at the busiest hour`, planned, seeds.slice(0, 1), n, true);
  points.push(failed);
  const cachePlanned = cacheShare(plan, sampleByChurn(plan, busiest.machineIndexes, perMt));
  const verdict = verdictOf(points, planned, target);
  const failureNote =
    `With ${busiest.id} down for ${durationText(FAILURE_SECONDS)} the worst RPO was ${durationText(failed.rpoSeconds.max)} and the process-server cache peaked at ${sizeText(failed.cacheHighWaterBytes ?? 0)} of the ${sizeText(cachePlanned)} the sample's share of the planned cache gives` +
    (failed.retransmits > 0 ? `; the cache refused ${failed.retransmits} batches (full): plan a larger cache to ride out such a failure` : '; the cache held the backlog');
  return {
    available: true,
    provider: 'inmage-scout',
    link: link.link.id,
    representativeDay: day,
    targetSeconds: target,
    sampling: {
      machinesSimulated: sampleByChurn(plan, busiest.machineIndexes, perMt).map((i) => plan.demands[i].id),
      machinesOnLink: link.machineIndexes.length,
      bandwidthShare: busiestHourShare(plan, link, sampleByChurn(plan, busiest.machineIndexes, perMt), day),
      rule:
        `${Math.min(perMt, busiest.machineIndexes.length)} of the ${busiest.machineIndexes.length} machines of ${busiest.id}, the busiest of ${n} master targets, evenly spaced by daily churn (with m master targets, ${perMt} × ${n} ÷ m of them); ` +
        'the simulated link is the sample\'s share of the link\'s churn in its busiest hour, the process-server cache and the retention volume the sample\'s share of the planned ones',
    },
    notes: [
      failureNote,
      'The simulated master target carries its sample, not its whole load: its apply rate is not limited by retention IOPS (the simulator models disk latency, not an IOPS budget), so the master-target count is confirmed by its rules (disk slots, OS family, retention) rather than by saturation.',
      'For Scout the "refused" column counts batches the process-server cache refused because it was full.',
      'Replication groups are not formed among sampled machines (groups decide recovery consistency, not RPO).',
      ...burstNote(plan),
      ...(plan.links.length > 1 ? [`Only link ${link.link.id} was simulated.`] : []),
    ],
    points: points.sort((a, b) => order(a) - order(b) || a.bandwidthMbps - b.bandwidthMbps),
    notSimulated,
    verdict,
  };
}

const order = (p: ConfirmationPoint) => (p.variant === 'planned' || p.variant === 'bandwidth' ? 0 : p.variant === 'master-targets' ? 1 : 2);

/** The link most of the master target's machines use. */
function linkOf(plan: AnalyticPlan, assignment: MasterTargetAssignment): LinkPlan {
  const counts = new Map<string, number>();
  for (const m of assignment.machineIndexes) counts.set(plan.workload.machines[m].link, (counts.get(plan.workload.machines[m].link) ?? 0) + 1);
  const id = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  return plan.links.find((l) => l.link.id === id)!;
}

/** The planned caches of the sampled machines' process servers, in proportion to their churn. */
function cacheShare(plan: AnalyticPlan, sample: readonly number[]): number {
  let bytes = 0;
  for (const m of sample) {
    const ps = plan.processServers!.assignments.find((a) => a.machineIndexes.includes(m))!;
    const cache = plan.processServerCaches.find((c) => c.id === ps.id)!.bytes;
    bytes += ps.churnBytesPerDay > 0 ? (cache * plan.demands[m].churnBytesPerDay) / ps.churnBytesPerDay : cache / ps.machineIndexes.length;
  }
  return bytes;
}

/** One fewer master target breaks the rule that bound the count (the plan is the least that fits). */
function fewerMasterTargets(plan: AnalyticPlan): NotSimulated {
  const mt = plan.masterTargets.secondary!;
  const fewer = mt.count - 1;
  const w = plan.workload;
  const reasons: Record<typeof mt.binding, string> = {
    'disk-slots': `${fewer} × ${mt.slotsPerMasterTarget} = ${fewer * mt.slotsPerMasterTarget} disk slots cannot hold ${mt.totals.disks} protected disks: the configuration server refuses more than 60 disks on a master target (row 20), so this deployment cannot be built, let alone simulated`,
    'os-family': 'each OS family needs its own master target (rule 17): one fewer leaves a family without one',
    indivisibility: `${fewer} master targets cannot hold every machine and replication group whole within ${mt.slotsPerMasterTarget} disk slots each (rule 17): the packing needs ${mt.count}`,
    'retention-capacity': `${fewer} retention volumes of ${sizeText(w.masterTarget.retentionVolumeBytes)} cannot keep ${durationText(w.retentionSeconds)} of journal (${sizeText(mt.totals.retentionBytes)}, row 22): the window would shrink, which RPO does not show`,
    'retention-iops': `${fewer} × ${w.masterTarget.retentionIops} IOPS cannot absorb ${Math.round(mt.totals.retentionIops)} target IOPS (rows 23-24); the simulator does not model an IOPS budget, so the analytic rule stands`,
  };
  return { variant: 'fewer-master-targets', label: `${fewer} master targets`, masterTargets: fewer, reason: fewer === 0 ? 'at least one master target is needed' : reasons[mt.binding] };
}

function fewerProcessServers(plan: AnalyticPlan): NotSimulated {
  const ps = plan.processServers!;
  const fewer = ps.count - 1;
  if (fewer === 0) return { variant: 'fewer-process-servers', label: '0 process servers', masterTargets: null, reason: 'at least one process server is needed' };
  const reason =
    ps.binding === 'machines'
      ? `${fewer} × ${ps.machinesMax} machines is below the ${plan.demands.length} protected (row 27)`
      : `${fewer} × ${decimalSizeText(ps.churnPerDayMax)}/day is below the ${decimalSizeText(ps.totalChurnBytesPerDay)}/day of churn (rows 25, 27), or a machine would have to be split`;
  return { variant: 'fewer-process-servers', label: `${fewer} process servers`, masterTargets: null, reason: `${reason}; the simulator models the process server's cache but not its published throughput limit, so the rule stands` };
}
