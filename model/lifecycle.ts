// The reference statechart of the user-visible lifecycle of one protected item, shared by both
// providers (DOMAIN.md rules 1, 6-12; DESIGN.md section 4). Cancelling (rules 7, 10, 11): a
// resync in progress goes back to resyncRequired; a completed unplanned failover not yet
// committed goes to failoverCancelled, from which the operator fails over again to another point;
// a failover job cancelled while it runs leaves the item unprotected (replication was stopped). It is the specification that
// model-based tests walk: each event is an operation a user (or a fault) causes, and each state
// is what the portal shows. It holds no I/O and no delays, so @xstate/graph can traverse it.
import { assign, setup } from 'xstate';

export type Direction = 'forward' | 'reverse';

export type LifecycleEvent =
  | { type: 'ENABLE' }
  | { type: 'INITIAL_REPLICATION_DONE' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'RESYNC_REQUIRED' }
  | { type: 'RESYNC' }
  | { type: 'RESYNC_DONE' }
  | { type: 'TEST_FAILOVER' }
  | { type: 'TEST_CLEANUP' }
  | { type: 'PLANNED_FAILOVER' }
  | { type: 'UNPLANNED_FAILOVER' }
  | { type: 'COMMIT' }
  | { type: 'REVERSE_REPLICATE' }
  | { type: 'DISABLE' }
  | { type: 'CANCEL_RESYNC' }
  | { type: 'CANCEL_FAILOVER' }
  | { type: 'CANCEL_FAILOVER_JOB' };

export const LIFECYCLE_EVENTS: readonly LifecycleEvent['type'][] = [
  'ENABLE',
  'INITIAL_REPLICATION_DONE',
  'PAUSE',
  'RESUME',
  'RESYNC_REQUIRED',
  'RESYNC',
  'RESYNC_DONE',
  'TEST_FAILOVER',
  'TEST_CLEANUP',
  'PLANNED_FAILOVER',
  'UNPLANNED_FAILOVER',
  'COMMIT',
  'REVERSE_REPLICATE',
  'DISABLE',
  'CANCEL_RESYNC',
  'CANCEL_FAILOVER',
  'CANCEL_FAILOVER_JOB',
];

export interface LifecycleContext {
  /** forward: primary site active; reverse: secondary site active and replicating back. */
  direction: Direction;
  /** How the item got to failedOver: a planned failover keeps the reverse path in sync. */
  lastFailover: 'planned' | 'unplanned' | null;
  /** Whether the replica holds a recovery point (initial replication ended in this direction):
   *  an unplanned failover needs one. */
  hasRecoveryPoint: boolean;
}

/** A failover job cancelled while it runs (rule 11): replication was already stopped, so the item
 *  is unprotected and its replica holds no point the engine still vouches for. */
const jobCancelled = { target: 'unprotected', actions: 'forgetRecoveryPoint' } as const;

export const protectedItemLifecycle = setup({
  types: { context: {} as LifecycleContext, events: {} as LifecycleEvent },
  actions: {
    flipDirection: assign({ direction: ({ context }) => (context.direction === 'forward' ? 'reverse' : 'forward') as Direction }),
    markPlanned: assign({ lastFailover: () => 'planned' as const }),
    markUnplanned: assign({ lastFailover: () => 'unplanned' as const }),
    markRecoveryPoint: assign({ hasRecoveryPoint: () => true }),
    forgetRecoveryPoint: assign({ hasRecoveryPoint: () => false }),
  },
  guards: {
    hasRecoveryPoint: ({ context }) => context.hasRecoveryPoint,
    lastFailoverPlanned: ({ context }) => context.lastFailover === 'planned',
    lastFailoverUnplanned: ({ context }) => context.lastFailover === 'unplanned',
  },
}).createMachine({
  id: 'protected-item',
  initial: 'unprotected',
  context: { direction: 'forward', lastFailover: null, hasRecoveryPoint: false },
  states: {
    unprotected: { on: { ENABLE: { target: 'initialReplication', actions: 'forgetRecoveryPoint' } } },
    initialReplication: {
      on: { INITIAL_REPLICATION_DONE: { target: 'protected', actions: 'markRecoveryPoint' }, RESYNC_REQUIRED: 'resyncRequired', DISABLE: 'unprotected' },
    },
    protected: {
      initial: 'normal',
      states: {
        normal: { on: { TEST_FAILOVER: 'testing' } },
        testing: { on: { TEST_CLEANUP: 'normal' } },
      },
      on: {
        PAUSE: 'paused',
        RESYNC_REQUIRED: 'resyncRequired',
        PLANNED_FAILOVER: { target: 'failedOver', actions: 'markPlanned' },
        UNPLANNED_FAILOVER: { target: 'failedOver', actions: 'markUnplanned' },
        CANCEL_FAILOVER_JOB: jobCancelled,
        DISABLE: 'unprotected',
      },
    },
    paused: {
      on: {
        RESUME: 'protected',
        UNPLANNED_FAILOVER: { guard: 'hasRecoveryPoint', target: 'failedOver', actions: 'markUnplanned' },
        CANCEL_FAILOVER_JOB: { guard: 'hasRecoveryPoint', ...jobCancelled },
        DISABLE: 'unprotected',
      },
    },
    resyncRequired: {
      on: {
        RESYNC: 'resyncing',
        UNPLANNED_FAILOVER: { guard: 'hasRecoveryPoint', target: 'failedOver', actions: 'markUnplanned' },
        CANCEL_FAILOVER_JOB: { guard: 'hasRecoveryPoint', ...jobCancelled },
        DISABLE: 'unprotected',
      },
    },
    resyncing: {
      on: {
        RESYNC_DONE: { target: 'protected', actions: 'markRecoveryPoint' },
        RESYNC_REQUIRED: 'resyncRequired',
        CANCEL_RESYNC: 'resyncRequired',
        UNPLANNED_FAILOVER: { guard: 'hasRecoveryPoint', target: 'failedOver', actions: 'markUnplanned' },
        CANCEL_FAILOVER_JOB: { guard: 'hasRecoveryPoint', ...jobCancelled },
      },
    },
    failedOver: {
      on: {
        COMMIT: { target: 'committed', actions: 'flipDirection' },
        // Only an unplanned failover runs on a discardable layer; a planned one already reversed.
        CANCEL_FAILOVER: { guard: 'lastFailoverUnplanned', target: 'failoverCancelled' },
      },
    },
    failoverCancelled: {
      on: {
        UNPLANNED_FAILOVER: { target: 'failedOver', actions: 'markUnplanned' },
        CANCEL_FAILOVER_JOB: jobCancelled,
        DISABLE: 'unprotected',
      },
    },
    committed: {
      on: {
        REVERSE_REPLICATE: [
          { guard: 'lastFailoverPlanned', target: 'protected', actions: 'markRecoveryPoint' },
          { target: 'initialReplication', actions: 'forgetRecoveryPoint' },
        ],
      },
    },
  },
});
