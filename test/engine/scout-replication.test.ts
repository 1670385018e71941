import { describe, expect, it } from 'vitest';
import { hours, minutes } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { advance, replicaEqualsSourceAt, settle, smallScoutLab } from './scout-helpers.js';

function protectedLab(seed: number) {
  const l = smallScoutLab(seed);
  l.world.startGuests();
  for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
  return l;
}

describe('Scout protect, initial resync and continuous replication', () => {
  it('reaches differential replication after the initial resync and keeps the replica exact', () => {
    const l = protectedLab(1);
    expect(l.controller.stateOf('vm1').value).toBe('initialReplication');
    advance(l, hours(2));
    for (const vm of l.vms) {
      expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
      settle(l, vm.vmId, 'mt-b1');
      const status = l.masterTargets.get('mt-b1')!.statusOf(vm.vmId)!;
      expect(status.consistent).toBe(true);
      expect(l.world.now() - status.latestConsistentAt!).toBeLessThan(minutes(1));
      // The replica is the source image at the newest consistent instant, exactly.
      expect(replicaEqualsSourceAt(l, vm.vmId, 'mt-b1', status.latestConsistentAt!)).toBe(true);
      expect(l.controller.configurationServer.pair(vm.vmId)).toMatchObject({ state: 'differential', rpoAlert: false });
    }
    const agent = l.agents.get('esx-a1')!.pairOf('vm1')!.status();
    expect(agent.resyncBlocksShipped).toBeGreaterThan(0); // the initial resync shipped the used blocks
    expect(l.masterTargets.get('mt-b1')!.tagsOf('vm1').some((t) => t.kind === 'app')).toBe(true);
    expect(l.masterTargets.get('mt-b1')!.tagsOf('vm1').some((t) => t.kind === 'crash')).toBe(true);
    expect(l.world.tracer.reached('tag-app-consistent')).toBe(true);
    expect(l.world.tracer.reached('resync-complete:initial-replication')).toBe(true);
    expect(l.controller.configurationServer.health('ps-a1', 'process-server')).toMatchObject({ level: 'normal' });
  });

  it('is deterministic: the same seed gives the same trace hash', () => {
    const run = () => {
      const l = protectedLab(7);
      advance(l, hours(1));
      return l.world.traceHash();
    };
    expect(run()).toBe(run());
  });
});
