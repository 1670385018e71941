// Operation sequences that follow the reference statechart (model/lifecycle.ts): a walk chooses,
// at each step, one operator event the statechart enables (snapshot.can), or on purpose one it
// refuses (an operator mistake, which the engine must refuse too). Events nobody sends by hand
// (INITIAL_REPLICATION_DONE, RESYNC_REQUIRED, RESYNC_DONE) happen on their own while time passes,
// so after each step the walk settles the snapshot the way a quiet deployment would.
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { protectedItemLifecycle, type LifecycleEvent } from '../../model/index.js';
import type { ScenarioOperation } from '../schema.js';

export type LifecycleSnapshot = SnapshotFrom<typeof protectedItemLifecycle>;
export type OperatorEvent =
  | 'PLANNED_FAILOVER'
  | 'UNPLANNED_FAILOVER'
  | 'COMMIT'
  | 'REVERSE_REPLICATE'
  | 'PAUSE'
  | 'RESUME'
  | 'TEST_FAILOVER'
  | 'TEST_CLEANUP'
  | 'CANCEL_FAILOVER'
  | 'CANCEL_RESYNC';

/** Operator events a walk sends at rest, and the scenario operation that sends each. DISABLE
 *  has no scenario operation yet; RESYNC is only enabled in resyncRequired, which a quiet walk
 *  never rests in (auto resync), nor does it rest in resyncing, so CANCEL_RESYNC only appears as
 *  a mistake. CANCEL_FAILOVER_JOB cancels a job in flight, which no walk at rest can do. */
export const OPERATOR_EVENTS: Readonly<Record<OperatorEvent, ScenarioOperation['op']>> = {
  PLANNED_FAILOVER: 'planned-failover',
  UNPLANNED_FAILOVER: 'unplanned-failover',
  COMMIT: 'commit',
  REVERSE_REPLICATE: 'reverse-replicate',
  PAUSE: 'pause',
  RESUME: 'resume',
  TEST_FAILOVER: 'test-failover',
  TEST_CLEANUP: 'test-cleanup',
  CANCEL_FAILOVER: 'cancel-failover',
  CANCEL_RESYNC: 'cancel-resync',
};
export const OPERATOR_EVENT_TYPES = Object.keys(OPERATOR_EVENTS) as OperatorEvent[];

/** Events that happen by themselves; the walk waits for them. */
const SPONTANEOUS: Partial<Record<string, LifecycleEvent['type']>> = {
  initialReplication: 'INITIAL_REPLICATION_DONE',
  resyncing: 'RESYNC_DONE',
  resyncRequired: 'RESYNC', // the lab resyncs automatically (policy autoResync)
};

export function initialLifecycle(): LifecycleSnapshot {
  return initialTransition(protectedItemLifecycle)[0];
}

export function step(snapshot: LifecycleSnapshot, type: LifecycleEvent['type']): LifecycleSnapshot {
  return transition(protectedItemLifecycle, snapshot, { type } as LifecycleEvent)[0];
}

/** The top-level state name (`protected`, `failedOver`, ...). */
export function stateName(snapshot: LifecycleSnapshot): string {
  return typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
}

/** Lets the spontaneous events happen until the snapshot rests (protected, paused, ...). */
export function settle(snapshot: LifecycleSnapshot): LifecycleSnapshot {
  let current = snapshot;
  for (let guard = 0; guard < 8; guard++) {
    const next = SPONTANEOUS[stateName(current)];
    if (next === undefined || !current.can({ type: next } as LifecycleEvent)) return current;
    current = step(current, next);
  }
  return current;
}

/** The states a rested snapshot may really be in while faults come and go (a crash forces a
 *  resync, auto resync starts it, it completes). */
function neighbourhood(snapshot: LifecycleSnapshot): LifecycleSnapshot[] {
  const seen = [snapshot];
  const name = stateName(snapshot);
  if (name === 'protected' || name === 'initialReplication') {
    const required = step(snapshot, 'RESYNC_REQUIRED');
    seen.push(required, step(required, 'RESYNC'));
  }
  return seen;
}

/** Operator events the statechart enables now (valid operations). */
export function validEvents(snapshot: LifecycleSnapshot): OperatorEvent[] {
  return OPERATOR_EVENT_TYPES.filter((type) => snapshot.can({ type } as LifecycleEvent));
}

/** Operator events refused now and in every state faults may push the item to (mistakes whose
 *  refusal does not depend on timing). */
export function mistakeEvents(snapshot: LifecycleSnapshot): OperatorEvent[] {
  const states = neighbourhood(snapshot);
  return OPERATOR_EVENT_TYPES.filter((type) => states.every((s) => !s.can({ type } as LifecycleEvent)));
}

/** The name people use for a mistake, for timelines and reports. */
export function mistakeName(snapshot: LifecycleSnapshot, type: OperatorEvent): string {
  const state = stateName(snapshot);
  if (type === 'PLANNED_FAILOVER' && state === 'failedOver') return 'failback before commit';
  if (type === 'REVERSE_REPLICATE' && state === 'failedOver') return 'reverse replication before commit';
  if (type === 'COMMIT' && state !== 'failedOver') return 'commit without failover';
  if (type === 'TEST_FAILOVER' && snapshot.matches({ protected: 'testing' })) return 'second test failover';
  if (type === 'TEST_CLEANUP') return 'test cleanup without a test';
  if (type === 'CANCEL_FAILOVER' && state === 'failedOver') return 'cancel of a planned failover';
  if (type === 'CANCEL_FAILOVER' && state === 'committed') return 'cancel after commit';
  if (type === 'CANCEL_RESYNC') return 'cancel without a resync';
  return `${OPERATOR_EVENTS[type]} while ${state}`;
}
