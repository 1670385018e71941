import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, hours, minutes, type Instant } from '../../model/index.js';
import { buildHyperVLab, runOperation, type HyperVLab } from '../../scenarios/hyperv-lab.js';
import { twoSiteHyperV } from '../../scenarios/topologies.js';
import { workloadProfile } from '../../sim/index.js';

function lab(seed: number): HyperVLab {
  return buildHyperVLab({
    seed,
    topology: twoSiteHyperV({ vmCount: 2, disksPerVm: 2, diskSizeBytes: 64 * MiB, diskUsedBytes: 16 * MiB }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 2 * 1024 * MiB, diurnal: 'flat', writeSizeMix: [{ sizeBytes: 4096, weight: 3 }, { sizeBytes: 65536, weight: 1 }] }),
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 300, additionalRecoveryPoints: 4, appConsistentFrequencyHours: 2 },
  });
}

function imageEquals(l: HyperVLab, vmId: string, hostId: string): boolean {
  const guest = l.world.guest(vmId);
  return guest.truths.every((truth, i) => l.world.disk(vmId, i, hostId).imageHash() === truth.imageHash());
}

const advance = (l: HyperVLab, span: number) => l.world.run((l.world.now() + span) as Instant);

describe('Hyper-V Replica lifecycle', () => {
  it('enables, replicates, fails over, reverses and fails back with zero loss', () => {
    const l = lab(1);
    l.world.startGuests();
    for (const vm of l.vms) expect(runOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(2));
    for (const vm of l.vms) expect(l.controller.stateOf(vm.vmId).value).toBe('protected');

    const planned = runOperation(l, (done) => l.controller.plannedFailover('vm1', done), hours(1));
    expect(planned).toMatchObject({ ok: true });
    expect(imageEquals(l, 'vm1', 'hv-b1')).toBe(true); // planned-failover-zero-loss
    expect(l.world.guest('vm1').runningOn).toBe('hv-b1');
    expect(runOperation(l, (done) => l.controller.commit('vm1', done), minutes(5))).toMatchObject({ ok: true });
    expect(runOperation(l, (done) => l.controller.reverseReplicate('vm1', done), minutes(5))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', direction: 'reverse' });

    expect(runOperation(l, (done) => l.controller.plannedFailover('vm1', done), hours(1))).toMatchObject({ ok: true });
    expect(imageEquals(l, 'vm1', 'hv-a1')).toBe(true); // failback-zero-loss
    expect(runOperation(l, (done) => l.controller.commit('vm1', done), minutes(5))).toMatchObject({ ok: true });
    expect(runOperation(l, (done) => l.controller.reverseReplicate('vm1', done), minutes(5))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', direction: 'forward' });
    expect(l.world.guest('vm1').truths[0].acknowledgedWrites).toBeGreaterThan(100);
    expect(l.world.tracer.reached('planned-failover-final-sync')).toBe(true);
  });
});
