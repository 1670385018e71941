// Determinism (DESIGN.md section 2.5): a world with hosts, disks, links, workloads, the engine and
// a random fault plan gives the same trace hash for the same seed, and different hashes for
// different seeds, across many seeds; a divergence is named by its first differing event.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, hours, minutes, type Instant } from '../../model/index.js';
import { buildHyperVLab, twoSiteHyperV, TOLERATED_FAULT_KINDS } from '../../scenarios/index.js';
import { firstDivergence, randomFaultPlan, workloadProfile } from '../../sim/index.js';

function run(seed: number, captureTrace = false) {
  const lab = buildHyperVLab({
    seed,
    topology: twoSiteHyperV({ vmCount: 2, disksPerVm: 2, diskSizeBytes: 16 * MiB, diskUsedBytes: 4 * MiB, hostsPerSite: 2 }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 1024 * MiB, diurnal: 'office-hours' }),
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 30, additionalRecoveryPoints: 2 },
    captureTrace,
  });
  const plan = randomFaultPlan(lab.world.random.fork('test-faults'), {
    horizon: hours(2),
    intensity: 4,
    kinds: TOLERATED_FAULT_KINDS,
    known: { ...lab.world.faultUniverse(), disks: [] },
  });
  lab.world.startGuests();
  for (const vm of lab.vms) lab.controller.enable(vm.vmId, () => undefined);
  lab.world.applyFaults(plan);
  lab.world.run(hours(2) as number as Instant);
  return { hash: lab.world.traceHash(), events: lab.world.kernel.eventCount, faults: plan.length, lab };
}

describe('world determinism', () => {
  it('gives the same trace hash for the same seed, for many seeds, and different hashes across seeds', () => {
    const hashes = new Set<string>();
    let faults = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const a = run(seed);
      const b = run(seed);
      expect(b.hash, `seed ${seed}`).toBe(a.hash);
      expect(b.events).toBe(a.events);
      hashes.add(a.hash);
      faults += a.faults;
    }
    expect(hashes.size).toBe(12);
    expect(faults).toBeGreaterThan(20); // the runs really had faults in them
  });

  it('names the first divergent event of two different runs', () => {
    const a = run(1, true).lab.world.kernel.capturedTrace;
    const b = run(2, true).lab.world.kernel.capturedTrace;
    const divergence = firstDivergence(a, b);
    expect(divergence).not.toBeNull();
    expect(divergence!.left).not.toEqual(divergence!.right);
    expect(firstDivergence(a, run(1, true).lab.world.kernel.capturedTrace)).toBeNull();
  });
});
