import { afterEach, describe, expect, it } from 'vitest';
import { hours, minutes } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { setPlantedBug } from '../../engine/testing.js';
import { advance, equalsGuestNow, hashesAtBoot, settle, replicaEqualsSourceAt, smallScoutLab } from './scout-helpers.js';

afterEach(() => setPlantedBug(null));

function protectedLab(seed: number, failback = true) {
  const l = smallScoutLab(seed, { failback });
  l.world.startGuests();
  for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
  advance(l, hours(2));
  for (const vm of l.vms) expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
  return l;
}

describe('Scout planned failover, reverse replication and failback', () => {
  it('fails over, replicates back through the primary-site master target and fails back with zero loss', () => {
    const l = protectedLab(21);
    const guest = l.world.guest('vm1');
    const writesBefore = guest.truths[0].acknowledgedWrites;

    const toDr = hashesAtBoot(l, 'vm1');
    expect(runScoutOperation(l, (done) => l.controller.plannedFailover('vm1', done), hours(1))).toMatchObject({ ok: true });
    expect(toDr.host).toBe('mt-b1');
    expect(toDr.hashes).toEqual(toDr.truth); // planned-failover-zero-loss
    expect(guest.runningOn).toBe('mt-b1');
    expect(runScoutOperation(l, (done) => l.controller.commit('vm1', done), minutes(5))).toMatchObject({ ok: true });
    expect(runScoutOperation(l, (done) => l.controller.reverseReplicate('vm1', done), minutes(5))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', direction: 'reverse' });
    settle(l, 'vm1', 'mt-a1');
    const reverse = l.masterTargets.get('mt-a1')!.statusOf('vm1')!;
    expect(replicaEqualsSourceAt(l, 'vm1', 'esx-a1', reverse.latestConsistentAt!)).toBe(true);

    const back = hashesAtBoot(l, 'vm1');
    expect(runScoutOperation(l, (done) => l.controller.plannedFailover('vm1', done), hours(1))).toMatchObject({ ok: true });
    expect(back.host).toBe('esx-a1');
    expect(back.hashes).toEqual(back.truth); // failback-zero-loss
    expect(runScoutOperation(l, (done) => l.controller.commit('vm1', done), minutes(5))).toMatchObject({ ok: true });
    expect(runScoutOperation(l, (done) => l.controller.reverseReplicate('vm1', done), minutes(5))).toMatchObject({ ok: true });
    advance(l, hours(1));
    expect(l.controller.stateOf('vm1')).toMatchObject({ value: 'protected', direction: 'forward' });
    settle(l, 'vm1', 'mt-b1');
    const forward = l.masterTargets.get('mt-b1')!.statusOf('vm1')!;
    expect(replicaEqualsSourceAt(l, 'vm1', 'mt-b1', forward.latestConsistentAt!)).toBe(true);
    expect(guest.truths[0].acknowledgedWrites).toBeGreaterThan(writesBefore + 100);
    expect(l.world.tracer.reached('planned-failover-final-sync')).toBe(true);
    expect(l.controller.stateOf('vm2')).toMatchObject({ value: 'protected', direction: 'forward' });
  });

  it('re-protects after an unplanned failover with a full resync through the primary-site master target', () => {
    const l = protectedLab(22);
    l.world.faults.hostCrash({ kind: 'host-crash', host: 'esx-a1' });
    hashesAtBoot(l, 'vm2'); // the guest's truth becomes the recovered image
    const result = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm2', { target: { kind: 'latest' } }, done), hours(1));
    expect(result).toMatchObject({ ok: true });
    expect(runScoutOperation(l, (done) => l.controller.commit('vm2', done), minutes(5))).toMatchObject({ ok: true });
    l.world.host('esx-a1').powerOn();
    advance(l, minutes(5));
    expect(runScoutOperation(l, (done) => l.controller.reverseReplicate('vm2', done), minutes(5))).toMatchObject({ ok: true });
    expect(l.controller.stateOf('vm2').value).toBe('initialReplication');
    advance(l, hours(2));
    expect(l.controller.stateOf('vm2')).toMatchObject({ value: 'protected', direction: 'reverse' });
    settle(l, 'vm2', 'mt-a1');
    const status = l.masterTargets.get('mt-a1')!.statusOf('vm2')!;
    expect(replicaEqualsSourceAt(l, 'vm2', 'esx-a1', status.latestConsistentAt!)).toBe(true);
  });

  it('refuses reverse replication (failback) without a primary-site master target', () => {
    const l = protectedLab(23, false);
    expect(runScoutOperation(l, (done) => l.controller.plannedFailover('vm1', done), hours(1))).toMatchObject({ ok: true });
    expect(equalsGuestNow(l, 'vm1', 'mt-b1')).toBe(true);
    expect(runScoutOperation(l, (done) => l.controller.commit('vm1', done), minutes(5))).toMatchObject({ ok: true });
    const refused = runScoutOperation(l, (done) => l.controller.reverseReplicate('vm1', done), minutes(5));
    expect(refused).toMatchObject({ ok: false });
    expect(refused.ok ? '' : refused.error).toMatch(/master target at the primary site/);
    expect(l.controller.stateOf('vm1').value).toBe('committed');
  });

  it('catches a planned failover that skips the final drain (planted bug)', () => {
    setPlantedBug('scout-skip-final-drain');
    const l = protectedLab(21);
    const toDr = hashesAtBoot(l, 'vm1');
    const result = runScoutOperation(l, (done) => l.controller.plannedFailover('vm1', done), hours(2));
    const lossless = result.ok && toDr.hashes.join() === toDr.truth.join();
    expect(lossless).toBe(false);
  });
});
