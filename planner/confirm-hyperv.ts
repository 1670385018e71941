// The Hyper-V Replica confirmation: the sampled machines' representative day at the planned
// bandwidth over several seeds, then along a curve of bandwidths (Hyper-V Replica has no master
// targets or process servers, so bandwidth is the one deployment knob).
import type { AnalyticPlan } from './analytic-plan.js';
import { busiestDay } from './churn-series.js';
import { BANDWIDTH_FACTORS, BANDWIDTH_FACTORS_EXTRA, burstNote, busiestHourShare, mbpsText, pointOf, sampleByChurn, simMachine, verdictOf, type ConfirmationPoint } from './confirm-points.js';
import type { Confirmation, ConfirmOptions } from './confirm.js';
import { simulateHyperVDay } from './hyperv-simulation.js';
import type { LinkPlan } from './link-plan.js';

export function confirmHyperV(plan: AnalyticPlan, link: LinkPlan, options: ConfirmOptions): Confirmation {
  const workload = plan.workload;
  const day = busiestDay(link.arrivals);
  const sample = sampleByChurn(plan, link.machineIndexes, options.sampleMachines ?? workload.simulation.sampleMachines);
  const share = busiestHourShare(plan, link, sample, day);
  const machines = sample.map((index) => simMachine(plan, index, day));
  const seeds = Array.from({ length: options.seeds ?? workload.simulation.seeds }, (_, i) => i + 1);
  const target = workload.rpoSeconds;
  const planned = link.rpo100BitsPerSecond!;
  const warmup = 2 * workload.hyperv.copyFrequencySeconds + 300;
  const run = (variant: 'planned' | 'bandwidth', label: string, bandwidth: number, runSeeds: readonly number[]): ConfirmationPoint => {
    const runs = runSeeds.map((seed) => {
      options.progress?.(`simulating ${label}, seed ${seed}: ${machines.length} machines, one day`);
      return { ...simulateHyperVDay({ machines, bandwidthBitsPerSecond: bandwidth * share, latencySeconds: link.link.latencySeconds, copyFrequencySeconds: workload.hyperv.copyFrequencySeconds, seed, blockSizeBytes: workload.simulation.blockSizeBytes, warmupSeconds: warmup }), cacheHighWaterBytes: null };
    });
    return pointOf(variant, label, bandwidth, runSeeds, runs, target);
  };
  const points: ConfirmationPoint[] = [run('planned', `planned ${mbpsText(planned)}`, planned, seeds)];
  for (const factor of BANDWIDTH_FACTORS) points.push(run('bandwidth', `${factor} × planned`, planned * factor, seeds.slice(0, 1)));
  for (const factor of BANDWIDTH_FACTORS_EXTRA) {
    if (points.some((p) => p.meetsTarget)) break;
    points.push(run('bandwidth', `${factor} × planned`, planned * factor, seeds.slice(0, 1)));
  }
  const stated = link.link.bandwidthBitsPerSecond;
  if (stated !== null && points.every((p) => Math.abs(p.bandwidthMbps * 1e6 - stated) > 0.05 * stated)) points.push(run('bandwidth', `stated link ${mbpsText(stated)}`, stated, seeds.slice(0, 1)));
  points.sort((a, b) => a.bandwidthMbps - b.bandwidthMbps);
  const notes = [
    'Hyper-V Replica has no master targets or process servers: the curve is over bandwidth only, and the backlog is the primary host\'s change log (.hrl).',
    'Each sampled machine writes its representative-day total with its hourly shape; measured CSV series enter through that hourly shape, and bursts are drawn at random by the simulator.',
    `The simulator compresses by 30% (its codec's ratio)${Math.abs(workload.compression - 0.3) > 1e-9 ? `, the plan assumed ${Math.round(workload.compression * 100)}%` : ''}.`,
  ];
  notes.push(...burstNote(plan));
  if (plan.links.length > 1) notes.push(`Only link ${link.link.id}, the busiest of ${plan.links.length}, was simulated.`);
  return {
    available: true,
    provider: 'hyperv-replica',
    link: link.link.id,
    representativeDay: day,
    targetSeconds: target,
    sampling: {
      machinesSimulated: sample.map((i) => plan.demands[i].id),
      machinesOnLink: link.machineIndexes.length,
      bandwidthShare: share,
      rule: `${sample.length} of ${link.machineIndexes.length} machines, evenly spaced through the machines sorted by daily churn; the simulated link is ${(share * 100).toFixed(2)}% of the planned one, the sample's share of the link's churn in its busiest hour`,
    },
    notes,
    points,
    notSimulated: [
      { variant: 'fewer-master-targets', label: 'one fewer master target', masterTargets: null, reason: 'Hyper-V Replica has no master targets' },
      { variant: 'fewer-process-servers', label: 'one fewer process server', masterTargets: null, reason: 'Hyper-V Replica has no process servers' },
    ],
    verdict: verdictOf(points, planned, target),
  };
}
