// Recovery plans (DOMAIN.md rule 14, numbers table row 16): up to 7 ordered groups and 100
// protected items; the items of a group fail over in parallel, the next group waits for all of
// them; each group has pre and post actions (a VMM script, or a manual action that pauses the
// plan until someone acknowledges it). A planned run stops at the first error; an unplanned run
// goes on past errors and reports them. The plan's progress is an xstate machine with no I/O:
// the runner provides the actions that start scripts and failovers, and feeds back events.
import { assign, createActor, setup, type Actor } from 'xstate';
import { assert, seconds, type Duration } from '../../model/index.js';
import type { Clock, Tracer } from '../ports.js';
import { xstateClock } from './xstate-clock.js';
import type { Job, JobLog } from './jobs.js';
import type { OperationResult } from './hyperv-controller.js';

export const RECOVERY_PLAN_GROUPS_MAX = 7;
export const RECOVERY_PLAN_ITEMS_MAX = 100;

export type PlanAction =
  | { readonly kind: 'script'; readonly name: string; readonly duration: Duration; readonly fails?: boolean }
  | { readonly kind: 'manual'; readonly name: string };

export interface PlanGroup {
  readonly items: readonly string[];
  readonly pre?: readonly PlanAction[];
  readonly post?: readonly PlanAction[];
}

export interface RecoveryPlan {
  readonly name: string;
  readonly groups: readonly PlanGroup[];
}

export type PlanKind = 'planned' | 'unplanned' | 'test';

export function validateRecoveryPlan(plan: RecoveryPlan): string[] {
  const problems: string[] = [];
  if (plan.groups.length === 0) problems.push('a recovery plan needs at least one group');
  if (plan.groups.length > RECOVERY_PLAN_GROUPS_MAX) problems.push(`a recovery plan has at most ${RECOVERY_PLAN_GROUPS_MAX} groups, got ${plan.groups.length}`);
  const items = plan.groups.flatMap((g) => g.items);
  if (items.length > RECOVERY_PLAN_ITEMS_MAX) problems.push(`a recovery plan has at most ${RECOVERY_PLAN_ITEMS_MAX} protected items, got ${items.length}`);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) problems.push(`${item} appears in more than one group`);
    seen.add(item);
  }
  return problems;
}

/** One step of a plan run, in order: group g's pre actions, its failovers, its post actions. */
type Step = { readonly group: number; readonly kind: 'action'; readonly action: PlanAction } | { readonly group: number; readonly kind: 'failover'; readonly items: readonly string[] };

function stepsOf(plan: RecoveryPlan): Step[] {
  return plan.groups.flatMap((group, g) => [
    ...(group.pre ?? []).map((action) => ({ group: g, kind: 'action' as const, action })),
    { group: g, kind: 'failover' as const, items: group.items },
    ...(group.post ?? []).map((action) => ({ group: g, kind: 'action' as const, action })),
  ]);
}

type PlanEvent = { type: 'STEP_OK' } | { type: 'STEP_FAILED'; error: string } | { type: 'WAIT_MANUAL' } | { type: 'ACKNOWLEDGE' } | { type: 'CANCEL' };

interface PlanContext {
  step: number;
  readonly stepCount: number;
  readonly continueOnError: boolean;
  errors: string[];
}

/** The progress of one plan run. `startStep` is provided by the runner. */
export const planRunMachine = setup({
  types: { context: {} as PlanContext, events: {} as PlanEvent, input: {} as { stepCount: number; continueOnError: boolean } },
  actions: {
    startStep: () => undefined,
    advance: assign({ step: ({ context }) => context.step + 1 }),
    recordError: assign({ errors: ({ context, event }) => (event.type === 'STEP_FAILED' ? [...context.errors, event.error] : context.errors) }),
  },
  guards: {
    moreSteps: ({ context }) => context.step + 1 < context.stepCount,
    continueOnError: ({ context }) => context.continueOnError,
    hadErrors: ({ context }) => context.errors.length > 0,
  },
}).createMachine({
  id: 'recovery-plan-run',
  context: ({ input }) => ({ step: 0, stepCount: input.stepCount, continueOnError: input.continueOnError, errors: [] }),
  initial: 'running',
  states: {
    running: {
      entry: 'startStep',
      on: {
        STEP_OK: [{ guard: 'moreSteps', target: 'running', reenter: true, actions: 'advance' }, { guard: 'hadErrors', target: 'completedWithErrors' }, { target: 'completed' }],
        STEP_FAILED: [
          { guard: 'continueOnError', target: 'stepFailedContinuing', actions: 'recordError' },
          { target: 'failed', actions: 'recordError' },
        ],
        WAIT_MANUAL: 'waitingForAction',
        CANCEL: 'cancelled',
      },
    },
    stepFailedContinuing: {
      always: [{ guard: 'moreSteps', target: 'running', actions: 'advance' }, { target: 'completedWithErrors' }],
    },
    waitingForAction: {
      on: { ACKNOWLEDGE: [{ guard: 'moreSteps', target: 'running', actions: 'advance' }, { guard: 'hadErrors', target: 'completedWithErrors' }, { target: 'completed' }], CANCEL: 'cancelled' },
    },
    completed: { type: 'final' },
    completedWithErrors: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

export interface PlanItemOperations {
  /** Fails one item over the way the plan asks; `done` reports the item's job. */
  failover(kind: PlanKind, item: string, done: (result: OperationResult) => void): void;
}

/** The operations a provider's controller offers a plan for one item, each with its own
 *  defaults (latest point, isolated test network). */
export interface PlanFailoverControls {
  readonly jobs: JobLog;
  isProtectedItem(item: string): boolean;
  stateOf(item: string): { readonly value: string };
  plannedFailover(item: string, done: (result: OperationResult) => void): void;
  unplannedFailover(item: string, done: (result: OperationResult) => void): void;
  testFailover(item: string, done: (result: OperationResult) => void): void;
}

/** What both providers' controllers offer a recovery plan: their items, and failovers whose
 *  options all have defaults (an empty options object means latest point, default network). */
export interface PlanController {
  readonly jobs: JobLog;
  isProtectedItem(item: string): boolean;
  stateOf(item: string): { readonly value: string };
  plannedFailover(item: string, done: (result: OperationResult) => void): void;
  unplannedFailover(item: string, options: Record<string, never>, done: (result: OperationResult) => void): void;
  testFailover(item: string, options: Record<string, never>, done: (result: OperationResult) => void): void;
}

/** Runs `plan` over a controller's items with their default failover options. */
export function runPlanOn(controller: PlanController, clock: Clock, tracer: Tracer, plan: RecoveryPlan, kind: PlanKind, onEnd?: (run: PlanRun) => void): PlanRun {
  const items = planItemOperations(
    {
      jobs: controller.jobs,
      isProtectedItem: (item) => controller.isProtectedItem(item),
      stateOf: (item) => controller.stateOf(item),
      plannedFailover: (item, done) => controller.plannedFailover(item, done),
      unplannedFailover: (item, done) => controller.unplannedFailover(item, {}, done),
      testFailover: (item, done) => controller.testFailover(item, {}, done),
    },
    tracer,
  );
  return new RecoveryPlanRunner(clock, tracer, controller.jobs, items).run(plan, kind, onEnd);
}

/** How a plan fails one item over through a controller, whatever the provider: an item another
 *  plan already deployed (failed over or committed) is skipped, as rule 14 says, except by a
 *  test run, which never deploys anything. */
export function planItemOperations(controls: PlanFailoverControls, tracer: Tracer): PlanItemOperations {
  return {
    failover: (kind, item, done) => {
      const state = controls.isProtectedItem(item) ? controls.stateOf(item).value : 'unknown';
      if ((state === 'failedOver' || state === 'committed') && kind !== 'test') {
        tracer.mark('recovery-plan-item-skipped');
        return done({ ok: true, job: controls.jobs.start('skipped-already-failed-over', item) });
      }
      if (kind === 'planned') controls.plannedFailover(item, done);
      else if (kind === 'unplanned') controls.unplannedFailover(item, done);
      else controls.testFailover(item, done);
    },
  };
}

export interface PlanRun {
  readonly plan: RecoveryPlan;
  readonly kind: PlanKind;
  readonly job: Job;
  readonly actor: Actor<typeof planRunMachine>;
  /** Acknowledges the manual action the plan waits for. */
  acknowledge(): boolean;
  readonly status: () => string;
}

export class RecoveryPlanRunner {
  constructor(
    private readonly clock: Clock,
    private readonly tracer: Tracer,
    private readonly jobs: JobLog,
    private readonly items: PlanItemOperations,
  ) {}

  run(plan: RecoveryPlan, kind: PlanKind, onEnd?: (run: PlanRun) => void): PlanRun {
    const problems = validateRecoveryPlan(plan);
    assert(problems.length === 0, `invalid recovery plan ${plan.name}: ${problems.join('; ')}`);
    const steps = stepsOf(plan);
    const job = this.jobs.start(`recovery-plan-${kind}`, plan.name);
    let actor: Actor<typeof planRunMachine> | null = null;
    const send = (event: PlanEvent) => this.clock.setTimer(seconds(0), 'recovery-plan-event', () => actor!.send(event));
    const machine = planRunMachine.provide({
      actions: { startStep: ({ context }) => this.startStep(steps[context.step], kind, job, send) },
    });
    actor = createActor(machine, { input: { stepCount: steps.length, continueOnError: kind === 'unplanned' }, clock: xstateClock(this.clock) });
    const run: PlanRun = {
      plan,
      kind,
      job,
      actor,
      acknowledge: () => {
        if (!actor!.getSnapshot().matches('waitingForAction')) return false;
        this.jobs.endStep(job.steps[job.steps.length - 1], 'succeeded');
        actor!.send({ type: 'ACKNOWLEDGE' });
        return true;
      },
      status: () => String(actor!.getSnapshot().value),
    };
    actor.subscribe((snapshot) => {
      if (snapshot.status !== 'done') return;
      const value = String(snapshot.value);
      const errors = snapshot.context.errors;
      if (value === 'completed') this.jobs.finish(job, 'succeeded');
      else if (value === 'cancelled') this.jobs.finish(job, 'cancelled');
      else this.jobs.finish(job, 'failed', errors.join('; '));
      job.facts.errors = errors;
      this.tracer.mark(`recovery-plan-${value}`);
      onEnd?.(run);
    });
    actor.start();
    return run;
  }

  private startStep(step: Step, kind: PlanKind, job: Job, send: (event: PlanEvent) => void): void {
    if (step.kind === 'failover') {
      const record = this.jobs.step(job, `group ${step.group + 1}: fail over ${step.items.join(', ')}`);
      const errors: string[] = [];
      let remaining = step.items.length;
      if (remaining === 0) return void send({ type: 'STEP_OK' });
      this.tracer.mark('recovery-plan-group-started');
      for (const item of step.items) {
        this.items.failover(kind, item, (result) => {
          if (!result.ok) errors.push(`${item}: ${result.error}`);
          if (--remaining > 0) return;
          this.jobs.endStep(record, errors.length === 0 ? 'succeeded' : 'failed', errors.join('; ') || undefined);
          send(errors.length === 0 ? { type: 'STEP_OK' } : { type: 'STEP_FAILED', error: errors.join('; ') });
        });
      }
      return;
    }
    const action = step.action;
    const record = this.jobs.step(job, `group ${step.group + 1}: ${action.kind} action ${action.name}`);
    if (action.kind === 'manual') {
      record.status = 'waiting-for-action';
      this.tracer.mark('recovery-plan-manual-action');
      send({ type: 'WAIT_MANUAL' });
      return;
    }
    this.tracer.mark('recovery-plan-script');
    this.clock.setTimer(action.duration, 'recovery-plan-script', () => {
      this.jobs.endStep(record, action.fails ? 'failed' : 'succeeded', action.fails ? `script ${action.name} failed` : undefined);
      send(action.fails ? { type: 'STEP_FAILED', error: `script ${action.name} failed` } : { type: 'STEP_OK' });
    });
  }
}
