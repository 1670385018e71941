// `hyperv-day-100`: a simulated day of a Hyper-V Replica site at capacity-planning scale (issue:
// engine part 1): 100 VMs with 3 disks each at a 5-minute copy frequency and about 2 TB of churn
// a day in total, office-hours shaped, 1 MiB blocks, oracle checks on, the VMs writing out of phase
// over each minute. Replication is already established when the day starts (initial replication
// is another benchmark's subject). At the end every VM's replica must equal the source image at
// its newest applied cut.
import { DEFAULT_HYPERV_POLICY, GiB, MiB, TiB, minutes } from '../../model/index.js';
import { buildHyperVLab, twoSiteHyperV } from '../../scenarios/index.js';
import { workloadProfile } from '../../sim/index.js';
import { ReplicaSession } from '../../engine/index.js';
import type { BenchContext, Figures } from './benchmark.js';
import { steadyDay } from './steady-day.js';

export function hypervDay(vmCount: number, context: BenchContext): Figures {
  const vms = Math.max(1, Math.round(vmCount * context.scale));
  const churnPerVm = (2 * TiB) / 100;
  const lab = buildHyperVLab({
    seed: 100,
    topology: twoSiteHyperV({ vmCount: vms, disksPerVm: 3, diskSizeBytes: 64 * GiB, diskUsedBytes: 32 * GiB, hostsPerSite: 10, bandwidthBitsPerSecond: 1e9 }),
    blockSizeBytes: MiB,
    workload: workloadProfile({ churnBytesPerDay: churnPerVm, diurnal: 'office-hours', writeSizeMix: [{ sizeBytes: MiB, weight: 1 }], hotSetFraction: 0.1, hotSetWriteShare: 0.8 }),
    tick: minutes(1),
    // Guests of a population write out of phase with one another, as real ones do: in lockstep,
    // all of them wrote at the same instant of every minute, a burst that queued on every link.
    tickPhases: 'spread',
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 300 },
    replicasPreSeeded: true,
  });
  const day = steadyDay(lab, checkReplicas);
  context.progress(`hyperv-day: ${vms} VMs, ${(day.churnBytes / 1e12).toFixed(2)} TB of churn`);
  return { ...day.figures, replicasChecked: day.check.checked, logsApplied: day.check.logsApplied };
}

/** Oracle check: each replica equals its source image at the cut of its newest applied log. */
function checkReplicas(lab: ReturnType<typeof buildHyperVLab>): { checked: number; mismatched: number; logsApplied: number } {
  let checked = 0;
  let mismatched = 0;
  let logsApplied = 0;
  for (const vm of lab.vms) {
    const replica = lab.services.get(vm.secondaryHost)?.sessionOf(vm.vmId);
    if (!(replica instanceof ReplicaSession)) continue;
    logsApplied += replica.status.logsApplied;
    const cut = replica.status.appliedCut;
    if (cut === null || replica.status.phase !== 'receiving') continue;
    const guest = lab.world.guest(vm.vmId);
    checked++;
    const equal = guest.truths.every((truth, i) => {
      const hash = lab.world.disk(vm.vmId, i, vm.secondaryHost).imageHash();
      return truth.oracle.imageHashAt(cut) === hash || truth.oracle.imageHashAt(cut - 1) === hash;
    });
    if (!equal) mismatched++;
  }
  return { checked, mismatched, logsApplied };
}
