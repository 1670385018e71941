// The day both provider benchmarks simulate (hyperv-day-100, scout-day-200): replication is
// established before the guests write (every pair adopted in sync), the guests run for a day, and
// the replicas are checked against the oracle at the end; the whole is timed, and the figures
// DESIGN.md section 6 names are reported with the provider's own, and with the machine reference
// measured just after (referenceSeconds; wallInReferences is the wall time in those units).
import { days, type Instant } from '../../model/index.js';
import type { World } from '../../sim/index.js';
import type { Figures } from './benchmark.js';
import { machineReferenceSeconds, peakRssMiB, significant, timed } from './measure.js';

interface DayLab {
  readonly world: World;
  readonly vms: readonly { readonly vmId: string }[];
  readonly controller: { adoptInSync(vmId: string, done: () => void): void };
}

export interface SteadyDay<R> {
  /** The figures both benchmarks report: wall time, events, peak memory, simulated/wall, churn. */
  readonly figures: Figures;
  /** What the replica check returned. */
  readonly check: R;
  readonly churnBytes: number;
}

export function steadyDay<L extends DayLab, R extends { readonly mismatched: number }>(lab: L, checkReplicas: (lab: L) => R): SteadyDay<R> {
  const horizon = days(1) as number as Instant;
  const { seconds, result } = timed(() => {
    for (const vm of lab.vms) lab.controller.adoptInSync(vm.vmId, () => undefined);
    lab.world.run(1_000_000 as Instant);
    lab.world.startGuests();
    lab.world.run(horizon);
    return checkReplicas(lab);
  });
  // The day's peak memory, then the reference: after the day, so that its 64 MiB of scratch
  // memory changes neither how the day runs nor its peak.
  const dayPeakRssMiB = peakRssMiB();
  const referenceSeconds = machineReferenceSeconds();
  const churnBytes = [...lab.world.guests.values()].reduce((sum, g) => sum + (g.generator?.statistics().bytesIssued ?? 0), 0);
  const figures: Figures = {
    wallSeconds: significant(seconds),
    simulatedSeconds: horizon / 1e6,
    events: lab.world.kernel.eventCount,
    peakRssMiB: dayPeakRssMiB,
    simulatedToWall: significant(horizon / 1e6 / seconds),
    dataLossWrites: result.mismatched,
    vms: lab.vms.length,
    churnTerabytes: significant(churnBytes / 1e12),
    referenceSeconds: significant(referenceSeconds),
    wallInReferences: significant(seconds / referenceSeconds),
  };
  return { figures, check: result, churnBytes };
}
