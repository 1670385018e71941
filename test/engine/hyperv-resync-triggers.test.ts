// Each resync trigger of DOMAIN.md rule 6 that the catalogue cannot reach by ordinary operation:
// an out-of-sequence log (the primary never sends one, so the test forges it from the paired
// endpoint, as a replica restored from an old backup would see it). The others (log overflow, a
// log not closed cleanly after a host crash, a VHD changed while the VM was off) are reached by
// catalogue scenarios: resync-after-log-overflow, resync-after-primary-host-crash,
// resync-after-offline-vhd-edit.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HYPERV_POLICY, MiB, hours, minutes, type Instant } from '../../model/index.js';
import { buildHyperVLab, type HyperVLab } from '../../scenarios/hyperv-lab.js';
import { twoSiteHyperV } from '../../scenarios/topologies.js';
import { workloadProfile } from '../../sim/index.js';
import type { PrimarySession, ReplicaSession} from '../../engine/index.js';
import { seal } from '../../engine/index.js';

function lab(): HyperVLab {
  const l = buildHyperVLab({
    seed: 9,
    topology: twoSiteHyperV({ vmCount: 1, disksPerVm: 2, diskSizeBytes: 32 * MiB, diskUsedBytes: 8 * MiB }),
    blockSizeBytes: 4096,
    workload: workloadProfile({ churnBytesPerDay: 1024 * MiB, diurnal: 'flat' }),
    tick: minutes(1),
    policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 30 },
  });
  l.world.startGuests();
  l.controller.enable('vm1', () => undefined);
  l.world.run(hours(1) as number as Instant);
  return l;
}

const advance = (l: HyperVLab, span: number) => l.world.run((l.world.now() + span) as Instant);

describe('resync triggers', () => {
  it('an out-of-sequence log makes the replica ask for a resync, which converges', () => {
    const l = lab();
    const primary = l.services.get('hv-a1')!.sessionOf('vm1') as PrimarySession;
    const replica = l.services.get('hv-b1')!.sessionOf('vm1') as ReplicaSession;
    const expected = replica.status.appliedSeq + 1;
    const forged = seal(l.world.codec, 'vm1', primary.config.epoch, { type: 'log-chunk', seq: expected + 5, chunk: 0, chunkCount: 1, cutAt: l.world.now(), appConsistent: false, records: { disks: [], starts: [], counts: [], content: null } }, 0);
    l.world.network.endpoint('hv-a1', 'hvr').send('hv-b1/hvr', forged);
    advance(l, minutes(2));
    expect(l.world.tracer.reached('out-of-sequence-log')).toBe(true);
    expect(l.world.tracer.reached('resync-trigger:out-of-sequence-log')).toBe(true);
    advance(l, hours(1));
    expect(l.world.tracer.reached('resync-complete')).toBe(true);
    expect(l.controller.stateOf('vm1').value).toBe('protected');
    // The replica equals the source at the cut of its newest applied log.
    const cut = replica.status.appliedCut!;
    const guest = l.world.guest('vm1');
    guest.truths.forEach((truth, i) => expect(l.world.disk('vm1', i, 'hv-b1').imageHash()).toBe(truth.oracle.imageHashAt(cut)));
  });
});
