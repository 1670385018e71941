// The 60-disk limit of a master target (DOMAIN.md) holds in the engine too, not only in topology
// validation: a pair that would take the master target past it is refused with a message naming
// the master target, and nothing is added.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCOUT_POLICY, hours, seconds, type Instant } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { SCOUT_MT_SERVICE } from '../../engine/providers/inmage-scout/requests.js';
import { smallScoutLab } from './scout-helpers.js';

describe('master target: the 60-disk limit', () => {
  it('refuses a pair that would take it past 60 disks, counting other pairs and its own disk', () => {
    const l = smallScoutLab(5, { vmCount: 1 });
    expect(runScoutOperation(l, (done) => l.controller.enable('vm1', done), hours(1))).toMatchObject({ ok: true });
    const mt = l.masterTargets.get('mt-b1')!;
    const addPair = (vmId: string, disks: number) => {
      let answer: unknown = null;
      const targetDisks = Array.from({ length: disks }, (_, i) => `${vmId}/d${i}@mt-b1`);
      l.world.management.request('mt-b1', SCOUT_MT_SERVICE, { op: 'add-pair', vmId, epoch: 1, processServer: 'ps-a1', agentHost: 'esx-a1', targetDisks, policy: DEFAULT_SCOUT_POLICY }, (result) => (answer = result));
      l.world.run((l.world.now() + seconds(5)) as Instant);
      return answer;
    };
    // vm1 holds 2 disks: 2 + 58 + 1 of its own is 61.
    expect(addPair('big', 58)).toEqual({ ok: true, value: { ok: false, error: 'master target mt-b1 would hold 61 disks (2 of other pairs, 58 of big, 1 of its own at least); a master target holds at most 60' } });
    expect(mt.statusOf('big')).toBeNull();
    expect(mt.statusOf('vm1')).not.toBeNull();
  });
});
