// Reverse replication after a planned failover (DOMAIN.md rules 9 and 12): the planned failover
// leaves the new primary paused, already in sync; reverse replication must resume it, so
// replication goes on with delta cycles and never needs a resync. One VM with one small disk.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, hours, minutes, type Instant } from '../../model/index.js';
import { buildHyperVLab, runOperation, type HyperVLab } from '../../scenarios/hyperv-lab.js';
import { twoSiteHyperV } from '../../scenarios/topologies.js';
import { workloadProfile } from '../../sim/index.js';
import { PrimarySession } from '../../engine/providers/hyperv-replica/primary-session.js';

function lab(): HyperVLab {
  return buildHyperVLab({
    seed: 3,
    topology: twoSiteHyperV({ vmCount: 1, disksPerVm: 1, diskSizeBytes: 64 * MiB, diskUsedBytes: 16 * MiB }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 2 * 1024 * MiB, diurnal: 'flat', writeSizeMix: [{ sizeBytes: 4096, weight: 1 }] }),
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 300 },
  });
}

const advance = (l: HyperVLab, span: number) => l.world.run((l.world.now() + span) as Instant);

function primaryOn(l: HyperVLab, host: string): PrimarySession {
  const session = l.services.get(host)!.sessionOf('vm1');
  expect(session).toBeInstanceOf(PrimarySession);
  return session as PrimarySession;
}

describe('HyperVReplicaController.reverseReplicate after a planned failover', () => {
  it('resumes the paused new primary, which then replicates by delta cycles', () => {
    const l = lab();
    l.world.startGuests();
    expect(runOperation(l, (done) => l.controller.enable('vm1', done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(runOperation(l, (done) => l.controller.plannedFailover('vm1', done), hours(1))).toMatchObject({ ok: true });
    expect(primaryOn(l, 'hv-b1').currentPhase).toBe('paused');
    expect(runOperation(l, (done) => l.controller.commit('vm1', done), minutes(5))).toMatchObject({ ok: true });
    const reversed = runOperation(l, (done) => l.controller.reverseReplicate('vm1', done), minutes(5));
    expect(reversed).toMatchObject({ ok: true });
    expect(reversed.job!.steps.map((s) => [s.name, s.status])).toEqual([['resume replication', 'succeeded']]);
    expect(primaryOn(l, 'hv-b1').currentPhase).toBe('replicating');
    expect(l.world.tracer.reached('replication-resumed')).toBe(true);
    advance(l, hours(1));
    const primary = primaryOn(l, 'hv-b1');
    expect(primary.currentPhase).toBe('replicating');
    expect(primary.stats.logsShipped).toBeGreaterThan(5);
    expect(primary.stats.resyncs).toBe(0);
    expect(l.controller.jobs.all().map((j) => j.kind)).not.toContain('resynchronize');
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', direction: 'reverse' });
  });
});
