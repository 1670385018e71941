// Recovery plan runs on their own (DOMAIN.md rule 14): a kernel clock and fake failovers whose
// timing and outcome each test chooses, so group ordering and error handling can be pinned.
import { describe, expect, it } from 'vitest';
import { seconds, type Instant } from '../../model/index.js';
import { Kernel, KernelClock, RunTracer } from '../../sim/index.js';
import { JobLog } from '../../engine/control-plane/jobs.js';
import { planItemOperations, RECOVERY_PLAN_GROUPS_MAX, RECOVERY_PLAN_ITEMS_MAX, RecoveryPlanRunner, validateRecoveryPlan, type PlanKind, type RecoveryPlan } from '../../engine/control-plane/recovery-plan.js';
import type { OperationResult } from '../../engine/control-plane/hyperv-controller.js';

/** Items fail over after `seconds` each (default 10); items in `failing` fail. */
function planWorld(durations: Record<string, number> = {}, failing: string[] = []) {
  const kernel = new Kernel();
  const clock = new KernelClock(kernel, 'vault');
  const tracer = new RunTracer(() => kernel.now(), false);
  const jobs = new JobLog(() => kernel.now());
  const events: string[] = [];
  const runner = new RecoveryPlanRunner(clock, tracer.forActor('vault'), jobs, {
    failover: (kind: PlanKind, item: string, done: (result: OperationResult) => void) => {
      events.push(`${kernel.now() / 1e6}s start ${kind} ${item}`);
      const job = jobs.start(`${kind}-failover`, item);
      clock.setTimer(seconds(durations[item] ?? 10), 'failover', () => {
        events.push(`${kernel.now() / 1e6}s end ${item}`);
        done(failing.includes(item) ? { ok: false, error: 'boom', job } : { ok: true, job });
      });
    },
  });
  const run = (span = seconds(3600)) => kernel.run({ until: (kernel.now() + span) as Instant });
  return { kernel, tracer, jobs, runner, events, run };
}

const plan = (groups: RecoveryPlan['groups']): RecoveryPlan => ({ name: 'p1', groups });

describe('RecoveryPlanRunner', () => {
  it('fails a group over in parallel, and starts the next group only when all of it is done', () => {
    const w = planWorld({ a: 10, b: 30, c: 5 });
    const run = w.runner.run(plan([{ items: ['a', 'b'] }, { items: ['c'] }]), 'planned');
    w.run();
    expect(w.events).toEqual(['0s start planned a', '0s start planned b', '10s end a', '30s end b', '30s start planned c', '35s end c']);
    expect(run.status()).toBe('completed');
    expect(run.job).toMatchObject({ kind: 'recovery-plan-planned', target: 'p1', status: 'succeeded', endedAt: seconds(35) });
    expect(run.job.steps.map((s) => [s.name, s.status])).toEqual([
      ['group 1: fail over a, b', 'succeeded'],
      ['group 2: fail over c', 'succeeded'],
    ]);
    expect(w.tracer.marks().get('recovery-plan-group-started')).toBe(2);
    expect(w.tracer.reached('recovery-plan-completed')).toBe(true);
  });

  it('passes an empty group at once, starting no failover', () => {
    const w = planWorld();
    const run = w.runner.run(plan([{ items: [] }, { items: ['a'] }]), 'test');
    w.run();
    expect(run.status()).toBe('completed');
    expect(w.events).toEqual(['0s start test a', '10s end a']);
    expect(w.tracer.marks().get('recovery-plan-group-started')).toBe(1);
  });

  it('stops a planned run at the first failed group, and reports every error of it', () => {
    const w = planWorld({}, ['a', 'b']);
    const ended: string[] = [];
    const run = w.runner.run(plan([{ items: ['a', 'b'] }, { items: ['c'] }]), 'planned', (r) => ended.push(r.status()));
    w.run();
    expect(run.status()).toBe('failed');
    expect(ended).toEqual(['failed']);
    expect(w.events.some((e) => e.includes('start planned c'))).toBe(false);
    expect(run.job.steps[0]).toMatchObject({ status: 'failed', error: 'a: boom; b: boom' });
    expect(run.job).toMatchObject({ status: 'failed', error: 'a: boom; b: boom' });
    expect(run.job.facts.errors).toEqual(['a: boom; b: boom']);
  });

  it('goes on past errors in an unplanned run and ends with them', () => {
    const w = planWorld({}, ['a']);
    const run = w.runner.run(plan([{ items: ['a'] }, { items: ['c'] }]), 'unplanned');
    w.run();
    expect(w.events).toContain('10s start unplanned c');
    expect(run.status()).toBe('completedWithErrors');
    expect(run.job).toMatchObject({ status: 'failed', error: 'a: boom' });
  });

  it('runs scripts in order around the failovers and waits for a manual action to be acknowledged', () => {
    const w = planWorld();
    const run = w.runner.run(
      plan([{ items: ['a'], pre: [{ kind: 'script', name: 'drain', duration: seconds(20) }], post: [{ kind: 'manual', name: 'check the app' }] }, { items: ['b'] }]),
      'planned',
    );
    expect(run.acknowledge()).toBe(false); // nothing waits yet
    w.run();
    expect(w.events).toEqual(['20s start planned a', '30s end a']);
    expect(run.status()).toBe('waitingForAction');
    expect(run.job.steps.at(-1)).toMatchObject({ name: 'group 1: manual action check the app', status: 'waiting-for-action' });
    expect(run.acknowledge()).toBe(true);
    w.run();
    expect(run.job.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(w.events.slice(2)).toEqual(['3600s start planned b', '3610s end b']);
    expect(run.status()).toBe('completed');
  });

  it('fails a planned run whose script fails', () => {
    const w = planWorld();
    const run = w.runner.run(plan([{ items: ['a'], pre: [{ kind: 'script', name: 'stop-db', duration: seconds(1), fails: true }] }]), 'planned');
    w.run();
    expect(run.status()).toBe('failed');
    expect(run.job.steps[0]).toMatchObject({ status: 'failed', error: 'script stop-db failed' });
    expect(w.events).toEqual([]);
  });
});

describe('RecoveryPlanRunner: validation, marks and cancel', () => {
  it('validates the published limits: 1 to 7 groups, at most 100 items, each item once', () => {
    const items = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `vm${from + i}`);
    expect(RECOVERY_PLAN_GROUPS_MAX).toBe(7);
    expect(RECOVERY_PLAN_ITEMS_MAX).toBe(100);
    expect(validateRecoveryPlan(plan([]))).toEqual(['a recovery plan needs at least one group']);
    expect(validateRecoveryPlan(plan(Array.from({ length: 7 }, (_, g) => ({ items: items(1, g) }))))).toEqual([]);
    expect(validateRecoveryPlan(plan(Array.from({ length: 8 }, (_, g) => ({ items: items(1, g) }))))).toEqual(['a recovery plan has at most 7 groups, got 8']);
    expect(validateRecoveryPlan(plan([{ items: items(100) }]))).toEqual([]);
    expect(validateRecoveryPlan(plan([{ items: items(60) }, { items: items(41, 60) }]))).toEqual(['a recovery plan has at most 100 protected items, got 101']);
    expect(validateRecoveryPlan(plan([{ items: ['a', 'b'] }, { items: ['b'] }]))).toEqual(['b appears in more than one group']);
    const w = planWorld();
    expect(() => w.runner.run(plan([{ items: ['a'] }, { items: ['a'] }]), 'planned')).toThrow('invalid recovery plan p1: a appears in more than one group');
  });

  it('marks scripts and manual actions, and reports a failed script as the plan error', () => {
    const w = planWorld();
    const run = w.runner.run(plan([{ items: ['a'], pre: [{ kind: 'script', name: 's', duration: seconds(1), fails: true }] }]), 'unplanned');
    w.run();
    expect(w.tracer.reached('recovery-plan-script')).toBe(true);
    expect(run.job).toMatchObject({ status: 'failed', error: 'script s failed' });
    const v = planWorld();
    v.runner.run(plan([{ items: ['a'], post: [{ kind: 'manual', name: 'm' }] }]), 'planned');
    v.run();
    expect(v.tracer.reached('recovery-plan-manual-action')).toBe(true);
  });

  it('cancels a run waiting for a manual action', () => {
    const w = planWorld();
    const run = w.runner.run(plan([{ items: ['a'], post: [{ kind: 'manual', name: 'm' }] }, { items: ['b'] }]), 'planned');
    w.run();
    run.actor.send({ type: 'CANCEL' });
    w.run();
    expect(run.status()).toBe('cancelled');
    expect(run.job).toMatchObject({ status: 'cancelled' });
    expect(run.job.error).toBeUndefined();
    expect(w.tracer.reached('recovery-plan-cancelled')).toBe(true);
    expect(w.events.some((e) => e.includes(' b'))).toBe(false);
  });
});

describe('planItemOperations', () => {
  it('skips an item another plan already deployed, except in a test run', () => {
    const kernel = new Kernel();
    const tracer = new RunTracer(() => kernel.now(), false);
    const jobs = new JobLog(() => kernel.now());
    const calls: string[] = [];
    const states: Record<string, string> = { a: 'failedOver', b: 'committed', c: 'protected' };
    const operations = planItemOperations(
      {
        jobs,
        isProtectedItem: (item) => item in states,
        stateOf: (item) => ({ value: states[item] }),
        plannedFailover: (item) => calls.push(`planned ${item}`),
        unplannedFailover: (item) => calls.push(`unplanned ${item}`),
        testFailover: (item) => calls.push(`test ${item}`),
      },
      tracer.forActor('vault'),
    );
    const results: OperationResult[] = [];
    operations.failover('planned', 'a', (r) => results.push(r));
    operations.failover('unplanned', 'b', (r) => results.push(r));
    expect(results.map((r) => r.ok && r.job.kind)).toEqual(['skipped-already-failed-over', 'skipped-already-failed-over']);
    expect(tracer.marks().get('recovery-plan-item-skipped')).toBe(2);
    operations.failover('test', 'a', () => undefined);
    operations.failover('planned', 'c', () => undefined);
    operations.failover('unplanned', 'c', () => undefined);
    operations.failover('planned', 'unknown-vm', () => undefined);
    expect(calls).toEqual(['test a', 'planned c', 'unplanned c', 'planned unknown-vm']);
  });
});
