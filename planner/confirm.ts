// The simulated confirmation of an analytic plan (issue part 3): the workload played on the
// planned deployment for its representative day (the busiest day of the horizon) over several
// seeds, then on other deployments (bandwidths; for Scout, master-target counts, one fewer
// process server, a failed master target), the achieved RPO compared with the target. Where the
// simulation and the analysis disagree the simulated answer is recommended.
//
// Scale: a day of hundreds of machines at 1 MiB blocks does not fit the time a plan may take, so a
// stratified sample of machines is simulated (evenly spaced through the machines sorted by daily
// churn, so light and heavy ones are both in it) on a link scaled by the sample's share of the
// link's churn in its busiest hour: each sampled machine sees the bandwidth it would get in the
// full deployment when the link is busiest.
import type { AnalyticPlan } from './analytic-plan.js';
import { confirmHyperV } from './confirm-hyperv.js';
import type { ConfirmationPoint, NotSimulated, Verdict } from './confirm-points.js';
import { confirmScout } from './confirm-scout.js';

export type { ConfirmationPoint, MachineResult, NotSimulated, RpoStats, Variant, Verdict } from './confirm-points.js';
export { rpoStats } from './confirm-points.js';

export type Confirmation =
  | {
      readonly available: true;
      readonly provider: 'hyperv-replica' | 'inmage-scout';
      readonly link: string;
      readonly representativeDay: number;
      readonly targetSeconds: number;
      readonly sampling: { readonly machinesSimulated: readonly string[]; readonly machinesOnLink: number; readonly bandwidthShare: number; readonly rule: string };
      readonly notes: readonly string[];
      readonly points: readonly ConfirmationPoint[];
      readonly notSimulated: readonly NotSimulated[];
      readonly verdict: Verdict;
    }
  | { readonly available: false; readonly reason: string };

export interface ConfirmOptions {
  /** Called before each simulated day (progress for a person watching). */
  readonly progress?: (message: string) => void;
  readonly seeds?: number;
  readonly sampleMachines?: number;
}

export function confirmPlan(plan: AnalyticPlan, options: ConfirmOptions = {}): Confirmation {
  const workload = plan.workload;
  if (!workload.simulation.enabled) return { available: false, reason: 'not requested: simulation disabled (simulation.enabled: false in the file, or --no-simulate)' };
  const link = [...plan.links].sort((a, b) => b.meanBitsPerSecond - a.meanBitsPerSecond)[0];
  if (link === undefined || link.rpo100BitsPerSecond === null) return { available: false, reason: `not available: ${link?.impossible ?? 'no link carries machines'}` };
  return workload.provider === 'inmage-scout' ? confirmScout(plan, options) : confirmHyperV(plan, link, options);
}
