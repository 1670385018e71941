// `scout-day-200`: a simulated day of an InMage Scout deployment at capacity-planning scale
// (issue: Scout provider, acceptance): 200 VMs with 3 disks each, about 4 TB of churn a day in
// total, office-hours shaped, 1 MiB blocks, 11 master targets and 2 process servers, oracle
// checks on, the VMs writing out of phase over each minute. Replication is already established
// when the day starts (the replicas are seeded with the source images and the pairs adopted in
// sync), so the day measures continuous data protection: capture, cache, compress, forward,
// retention journal and apply. At the end every replica must equal its source image at its
// master target's newest consistent instant.
import { DEFAULT_SCOUT_POLICY, GiB, MiB, TiB, minutes, type Instant } from '../../model/index.js';
import { buildScoutLab, twoSiteScout, type ScoutLab } from '../../scenarios/index.js';
import { workloadProfile } from '../../sim/index.js';
import type { BenchContext, Figures } from './benchmark.js';
import { significant } from './measure.js';
import { steadyDay } from './steady-day.js';

export function scoutDay(vmCount: number, context: BenchContext): Figures {
  const vms = Math.max(1, Math.round(vmCount * context.scale));
  const churnPerVm = (4 * TiB) / 200;
  const lab = buildScoutLab({
    seed: 200,
    topology: twoSiteScout({
      vmCount: vms,
      disksPerVm: 3,
      diskSizeBytes: 64 * GiB,
      diskUsedBytes: 32 * GiB,
      esxHosts: 10,
      processServers: 2,
      masterTargets: 11,
      bandwidthBitsPerSecond: 1e9,
      retentionBytes: 512 * GiB,
    }),
    blockSizeBytes: MiB,
    workload: workloadProfile({ churnBytesPerDay: churnPerVm, diurnal: 'office-hours', writeSizeMix: [{ sizeBytes: MiB, weight: 1 }], hotSetFraction: 0.1, hotSetWriteShare: 0.8 }),
    tick: minutes(1),
    // Guests of a population write out of phase with one another, as real ones do: in lockstep,
    // all of them wrote at the same instant of every minute, a burst that queued on every link.
    tickPhases: 'spread',
    policy: DEFAULT_SCOUT_POLICY,
    replicasPreSeeded: true,
    pollInterval: minutes(5),
  });
  const day = steadyDay(lab, checkReplicas);
  const masterTargets = [...lab.masterTargets.values()];
  context.progress(`scout-day: ${vms} VMs, ${(day.churnBytes / 1e12).toFixed(2)} TB of churn`);
  return {
    ...day.figures,
    masterTargets: lab.masterTargets.size,
    processServers: lab.processServers.size,
    replicasChecked: day.check.checked,
    batchesApplied: day.check.batchesApplied,
    retentionEntries: masterTargets.reduce((sum, mt) => sum + mt.journal.size, 0),
    rpoSecondsMax: significant(day.check.rpoMicrosMax / 1e6),
  };
}

/** Oracle check: each replica equals its source image at its newest consistent instant. A
 *  replica whose master target is in the middle of a batch is checked once the batch is done. */
function checkReplicas(lab: ScoutLab): { checked: number; mismatched: number; batchesApplied: number; rpoMicrosMax: number } {
  let checked = 0;
  let mismatched = 0;
  let batchesApplied = 0;
  let rpoMicrosMax = 0;
  const pending = new Set(lab.vms.map((vm) => vm.vmId));
  for (let step = 0; step < 100_000 && pending.size > 0; step++) {
    for (const vm of lab.vms) {
      if (!pending.has(vm.vmId)) continue;
      const status = lab.masterTargets.get(vm.masterTarget)?.statusOf(vm.vmId);
      if (status === null || status === undefined || status.applying) continue;
      pending.delete(vm.vmId);
      batchesApplied += status.batchesApplied;
      const at = status.latestConsistentAt;
      if (at === null) continue;
      rpoMicrosMax = Math.max(rpoMicrosMax, lab.world.now() - at);
      checked++;
      const guest = lab.world.guest(vm.vmId);
      const equal = [at, at - 1, at + 1].some((t) => guest.truths.every((truth, i) => lab.world.disk(vm.vmId, i, vm.masterTarget).imageHash() === truth.oracle.imageHashAt(t)));
      if (!equal) mismatched++;
    }
    if (pending.size > 0) lab.world.run((lab.world.now() + 1_000) as Instant);
  }
  return { checked, mismatched: mismatched + pending.size, batchesApplied, rpoMicrosMax };
}
