// Rule 22: an automatic full resync waits for the off-hours window; the user's resync does not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hours, insideResyncWindow, MICROS_PER_DAY, minutes, type Duration } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { advance, replicaEqualsSourceAt, settle, smallScoutLab } from './scout-helpers.js';

describe('the resync window', () => {
  it('spans midnight when it starts after it ends', () => {
    const night = { from: hours(20), to: hours(6) };
    expect([hours(21), hours(2), hours(5.99), MICROS_PER_DAY + hours(23)].map((t) => insideResyncWindow(night, t))).toEqual([true, true, true, true]);
    expect([hours(6), hours(12), hours(19.99), MICROS_PER_DAY + hours(9)].map((t) => insideResyncWindow(night, t))).toEqual([false, false, false, false]);
  });

  it('and its complement split every day exactly', () => {
    const timeOfDay = fc.integer({ min: 0, max: MICROS_PER_DAY - 1 });
    fc.assert(
      fc.property(timeOfDay, timeOfDay, fc.integer({ min: 0, max: 400 * MICROS_PER_DAY }), (from, to, at) => {
        fc.pre(from !== to);
        const window = { from: from as Duration, to: to as Duration };
        const complement = { from: to as Duration, to: from as Duration };
        expect(insideResyncWindow(window, at)).toBe(!insideResyncWindow(complement, at));
      }),
    );
  });
});

describe('Scout resync scheduling', () => {
  it('holds an automatic full resync until the window, and starts a forced one at once', () => {
    const l = smallScoutLab(51, {}, { resyncWindow: { from: hours(4), to: hours(5) } });
    l.world.startGuests();
    for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(2) - l.world.now()); // 02:00, outside the 04:00-05:00 window
    for (const vm of l.vms) expect(l.controller.stateOf(vm.vmId).value).toBe('protected'); // initial replication is never held

    for (const vm of ['vm1', 'vm2']) l.controller.diskResized(vm, () => undefined);
    advance(l, minutes(5));
    expect(l.world.tracer.reached('resync-deferred-to-off-hours')).toBe(true);
    for (const vm of ['vm1', 'vm2']) expect(l.controller.stateOf(vm).value).toBe('resyncRequired');
    expect(runScoutOperation(l, (done) => l.controller.resync('vm2', done), minutes(5))).toMatchObject({ ok: true }); // the user forces it

    advance(l, hours(1));
    const agent = l.agents.get('esx-a1')!;
    expect(agent.pairOf('vm1')!.status()).toMatchObject({ phase: 'bitmap', resyncDeferred: true });
    expect(l.controller.stateOf('vm1').value).toBe('resyncRequired'); // still held at 03:05
    expect(l.controller.stateOf('vm2').value).toBe('protected');
    expect(l.world.tracer.reached('resync-forced-by-user')).toBe(true);
    expect(l.world.tracer.reached('resync-started-off-hours')).toBe(false);

    advance(l, hours(4) - l.world.now() + hours(0.75)); // 04:45, inside the window
    expect(l.world.tracer.reached('resync-started-off-hours')).toBe(true);
    expect(l.controller.stateOf('vm1').value).toBe('protected');
    for (const vm of ['vm1', 'vm2']) {
      settle(l, vm, 'mt-b1');
      expect(replicaEqualsSourceAt(l, vm, 'mt-b1', l.masterTargets.get('mt-b1')!.statusOf(vm)!.latestConsistentAt!)).toBe(true); // resync-converges
    }
  });

  it('runs an automatic full resync at once when the policy has no window', () => {
    const l = smallScoutLab(52, {}, { resyncWindow: null });
    l.world.startGuests();
    for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(10) - l.world.now()); // 10:00, office hours
    l.controller.diskResized('vm1', () => undefined);
    advance(l, hours(1));
    expect(l.world.tracer.reached('resync-deferred-to-off-hours')).toBe(false);
    expect(l.world.tracer.reached('resync-complete:disk-resize')).toBe(true);
    expect(l.controller.stateOf('vm1').value).toBe('protected');
  });
});
