import { describe, expect, it } from 'vitest';
import { MiB, hours, minutes } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { advance, replicaEqualsSourceAt, settle, smallScoutLab } from './scout-helpers.js';

describe('Scout WAN outage long enough to fill the process-server cache', () => {
  it('throttles, falls back to the bitmap, resynchronises after the link heals and loses nothing', () => {
    const l = smallScoutLab(31, { psCacheBytes: 24 * MiB }, { agentBufferBytes: 8 * MiB });
    l.world.startGuests();
    for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(1));
    for (const vm of l.vms) expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
    const states = new Set<string>();
    const watch = () => {
      for (const vm of l.vms) states.add(l.controller.stateOf(vm.vmId).value);
    };

    l.world.faults.partition({ kind: 'partition', siteA: 'primary', siteB: 'secondary', direction: 'both' });
    for (let i = 0; i < 120; i++) {
      advance(l, minutes(1));
      watch();
    }
    // The designed state: cache full, agents throttled and in bitmap mode, resync required.
    const tracer = l.world.tracer;
    for (const mark of ['ps-cache-full', 'agent-throttled', 'bitmap-mode', 'bitmap-trigger:ps-cache-full']) expect(tracer.reached(mark), mark).toBe(true);
    expect(l.agents.get('esx-a1')!.pairOf('vm1')!.status().capturePhase).toBe('bitmap');
    expect(tracer.reached('controller-saw-resync-required')).toBe(true);
    expect(states.has('resyncing')).toBe(true); // auto-resync armed: it waits for the process server
    const ps = l.controller.configurationServer.health('ps-a1', 'process-server')!;
    expect(ps.level).toBe('critical');
    expect(ps.reasons.join()).toMatch(/cache free|backlog/);
    expect(l.controller.configurationServer.alerts.some((a) => a.kind === 'rpo-threshold')).toBe(true);

    l.world.faults.heal({ kind: 'heal', siteA: 'primary', siteB: 'secondary' });
    for (let i = 0; i < 180; i++) {
      advance(l, minutes(1));
      watch();
    }
    expect(tracer.reached('resync-started')).toBe(true);
    expect(tracer.reached('resync-complete:ps-cache-full')).toBe(true);
    expect(states.has('resyncing')).toBe(true);
    for (const vm of l.vms) {
      expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
      settle(l, vm.vmId, 'mt-b1');
      const status = l.masterTargets.get('mt-b1')!.statusOf(vm.vmId)!;
      expect(l.world.now() - status.latestConsistentAt!).toBeLessThan(minutes(2));
      // Converged: the replica is the source image, nothing acknowledged was lost.
      expect(replicaEqualsSourceAt(l, vm.vmId, 'mt-b1', status.latestConsistentAt!)).toBe(true);
    }
    expect(l.controller.configurationServer.health('ps-a1', 'process-server')!.level).toBe('normal');
    expect(l.controller.configurationServer.pair('vm1')).toMatchObject({ state: 'differential', rpoAlert: false });
  });
});
