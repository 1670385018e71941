// Recovery plans over InMage Scout machines (DOMAIN.md rule 14 with rule 24's recovery): the plan
// statechart Hyper-V Replica uses runs Scout failovers group by group, pauses on a manual action,
// stops a planned run at the first error and carries an unplanned run past errors.
import { describe, expect, it } from 'vitest';
import { hours, seconds } from '../../model/index.js';
import { runScoutOperation, type ScoutLab } from '../../scenarios/scout-lab.js';
import type { PlanRun, RecoveryPlan } from '../../engine/index.js';
import { advance, hashesAtBoot, smallScoutLab } from './scout-helpers.js';

function protectedLab(seed: number, vmCount: number): ScoutLab {
  const l = smallScoutLab(seed, { vmCount, disksPerVm: 1 });
  l.world.startGuests();
  for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
  advance(l, hours(2));
  for (const vm of l.vms) expect(l.controller.stateOf(vm.vmId).value).toBe('protected');
  return l;
}

const threeGroups: RecoveryPlan = {
  name: 'erp',
  groups: [
    { items: ['vm1'], pre: [{ kind: 'script', name: 'stop-app-tier', duration: seconds(30) }] },
    { items: ['vm2', 'vm3'], post: [{ kind: 'manual', name: 'check the database' }] },
    { items: ['vm4'], post: [{ kind: 'script', name: 'start-web', duration: seconds(10) }] },
  ],
};

describe('Scout recovery plans', () => {
  it('fails over three groups in order, in parallel inside a group, pausing on a manual action, with zero loss', () => {
    const l = protectedLab(41, 4);
    const boots = l.vms.map((vm) => hashesAtBoot(l, vm.vmId));
    let ended: PlanRun | null = null;
    const run = l.controller.runRecoveryPlan(threeGroups, 'planned', (r) => (ended = r));
    advance(l, hours(1));
    expect(run.status()).toBe('waitingForAction');
    for (const vm of ['vm1', 'vm2', 'vm3']) expect(l.controller.stateOf(vm).value).toBe('failedOver');
    expect(l.controller.stateOf('vm4').value).toBe('protected'); // group 3 waits for the acknowledgement
    expect(run.acknowledge()).toBe(true);
    advance(l, hours(1));
    expect(ended).not.toBeNull();
    expect(run.job.status).toBe('succeeded');
    expect(l.controller.stateOf('vm4').value).toBe('failedOver');
    for (const boot of boots) {
      expect(boot.host).toBe('mt-b1');
      expect(boot.hashes).toEqual(boot.truth); // planned-failover-zero-loss, machine by machine
    }
    const failovers = new Map(l.controller.jobs.all().filter((j) => j.kind === 'planned-failover').map((j) => [j.target, j]));
    expect(failovers.get('vm1')!.endedAt!).toBeLessThanOrEqual(failovers.get('vm2')!.startedAt);
    expect(failovers.get('vm3')!.endedAt!).toBeLessThanOrEqual(failovers.get('vm4')!.startedAt);
    expect(failovers.get('vm3')!.startedAt).toBeLessThan(failovers.get('vm2')!.endedAt!); // parallel
    expect(run.job.steps.map((s) => s.name)).toEqual([
      'group 1: script action stop-app-tier',
      'group 1: fail over vm1',
      'group 2: fail over vm2, vm3',
      'group 2: manual action check the database',
      'group 3: fail over vm4',
      'group 3: script action start-web',
    ]);
    expect(l.world.tracer.reached('recovery-plan-completed')).toBe(true);
  });

  it('stops a planned run at the first error and carries an unplanned run past it', () => {
    const failing: RecoveryPlan = {
      name: 'app',
      groups: [{ items: ['vm1'], post: [{ kind: 'script', name: 'broken', duration: seconds(5), fails: true }] }, { items: ['vm2'] }],
    };
    const planned = protectedLab(42, 2);
    const stopped = planned.controller.runRecoveryPlan(failing, 'planned');
    advance(planned, hours(1));
    expect(stopped.status()).toBe('failed');
    expect(planned.controller.stateOf('vm2').value).toBe('protected');

    const unplanned = protectedLab(43, 2);
    unplanned.world.faults.hostCrash({ kind: 'host-crash', host: 'esx-a1' }); // the primary site is lost
    const carried = unplanned.controller.runRecoveryPlan(failing, 'unplanned');
    advance(unplanned, hours(1));
    expect(carried.status()).toBe('completedWithErrors');
    expect(carried.job.facts.errors).toEqual(['script broken failed']);
    for (const vm of ['vm1', 'vm2']) expect(unplanned.controller.stateOf(vm).value).toBe('failedOver');
    expect(unplanned.world.guest('vm2').runningOn).toBe('mt-b1');
  });

  it('skips machines another plan already failed over, and a test run boots test copies only', () => {
    const l = protectedLab(44, 2);
    expect(runScoutOperation(l, (done) => l.controller.unplannedFailover('vm1', {}, done), hours(1))).toMatchObject({ ok: true });
    const plan: RecoveryPlan = { name: 'both', groups: [{ items: ['vm1', 'vm2'] }] };
    const test = l.controller.runRecoveryPlan(plan, 'test');
    advance(l, hours(1));
    // vm1 is failed over: its test failover is refused; vm2 boots a test copy and stays protected.
    expect(test.status()).toBe('failed');
    expect(l.controller.stateOf('vm2')).toMatchObject({ value: 'protected', testing: true });
    expect(runScoutOperation(l, (done) => l.controller.testCleanup('vm2', done), hours(1))).toMatchObject({ ok: true });
    const planned = l.controller.runRecoveryPlan(plan, 'planned');
    advance(l, hours(1));
    expect(planned.job.status).toBe('succeeded');
    expect(l.world.tracer.reached('recovery-plan-item-skipped')).toBe(true);
    expect(l.controller.stateOf('vm2').value).toBe('failedOver');
  });
});
