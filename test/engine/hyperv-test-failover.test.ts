import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, hours, minutes, type Instant } from '../../model/index.js';
import { buildHyperVLab, runOperation, type HyperVLab } from '../../scenarios/hyperv-lab.js';
import { twoSiteHyperV } from '../../scenarios/topologies.js';
import { workloadProfile } from '../../sim/index.js';
import type { ReplicaSession } from '../../engine/index.js';

function lab(): HyperVLab {
  return buildHyperVLab({
    seed: 3,
    topology: twoSiteHyperV({ vmCount: 1, disksPerVm: 2, diskSizeBytes: 64 * MiB, diskUsedBytes: 16 * MiB }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 2 * 1024 * MiB, diurnal: 'flat' }),
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 30, additionalRecoveryPoints: 3 },
  });
}

const advance = (l: HyperVLab, span: number) => l.world.run((l.world.now() + span) as Instant);

function testIdsIn(l: HyperVLab): number {
  let found = 0;
  for (const disk of l.world.disks.values()) for (const [, id] of disk.writtenBlocks()) if (l.world.testWriteIds.has(id)) found++;
  return found;
}

describe('test failover (DOMAIN.md rule 8)', () => {
  it('boots an isolated test VM from a recovery point while replication goes on, and cleans up', () => {
    const l = lab();
    l.world.startGuests();
    expect(runOperation(l, (done) => l.controller.enable('vm1', done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(2));
    const replica = l.services.get('hv-b1')!.sessionOf('vm1') as ReplicaSession;
    const points = replica.history.points();
    expect(points.length).toBeGreaterThan(1);
    expect(runOperation(l, (done) => l.controller.testFailover('vm1', { pointId: points[0].id }, done), hours(1))).toMatchObject({ ok: true });
    expect(l.controller.stateOf('vm1').testing).toBe(true);
    // A second test failover of the same VM is refused.
    expect(runOperation(l, (done) => l.controller.testFailover('vm1', {}, done), hours(1))).toMatchObject({ ok: false });
    const appliedBefore = replica.status.logsApplied;
    advance(l, hours(1));
    expect(replica.status.logsApplied).toBeGreaterThan(appliedBefore + 50); // replication continues
    expect(l.world.testGuests.get('vm1')!.writes).toBeGreaterThan(10);
    expect(testIdsIn(l)).toBe(0); // test-failover-isolation
    expect(runOperation(l, (done) => l.controller.testCleanup('vm1', done), hours(1))).toMatchObject({ ok: true });
    expect(l.world.testGuests.has('vm1')).toBe(false);
    advance(l, hours(1));
    expect(testIdsIn(l)).toBe(0);
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', testing: false });
  });
});

describe('a test failover and a host crash', () => {
  it('cleans up the test VM when a crash forces a resync, and protection comes back', () => {
    const l = lab();
    l.world.startGuests();
    expect(runOperation(l, (done) => l.controller.enable('vm1', done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(runOperation(l, (done) => l.controller.testFailover('vm1', {}, done), hours(1))).toMatchObject({ ok: true });
    l.world.faults.hostCrash({ kind: 'host-crash', host: 'hv-a1', restartAfter: minutes(5) as never });
    advance(l, hours(2));
    expect(l.world.tracer.reached('resync-trigger:log-not-closed-cleanly')).toBe(true);
    expect(l.world.testGuests.has('vm1')).toBe(false);
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', testing: false });
    expect(testIdsIn(l)).toBe(0);
    // A new test failover works: nothing of the old one is left behind.
    expect(runOperation(l, (done) => l.controller.testFailover('vm1', {}, done), hours(1))).toMatchObject({ ok: true });
  });
});

describe('the time limit of a test failover (ASR force-completes it after 14 days)', () => {
  it('cleans up a test failover left running for two weeks, and only then', () => {
    const l = buildHyperVLab({
      seed: 5,
      topology: twoSiteHyperV({ vmCount: 1, disksPerVm: 1, diskSizeBytes: 16 * MiB, diskUsedBytes: 4 * MiB }),
      blockSizeBytes: 4096,
      workload: workloadProfile({ churnBytesPerDay: 8 * MiB, diurnal: 'flat' }),
      tick: minutes(15),
      policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 900 },
    });
    l.world.startGuests();
    expect(runOperation(l, (done) => l.controller.enable('vm1', done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(1)); // a recovery point to test from
    const started = runOperation(l, (done) => l.controller.testFailover('vm1', {}, done), hours(1));
    expect(started, JSON.stringify(started)).toMatchObject({ ok: true });
    advance(l, hours(24 * 14 - 2));
    expect(l.controller.stateOf('vm1').testing).toBe(true); // 13 days and 22 hours: still running
    advance(l, hours(3));
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', testing: false });
    expect(l.world.testGuests.has('vm1')).toBe(false);
    expect(l.world.tracer.marks().get('test-failover-force-completed')).toBe(1);
  });
});
