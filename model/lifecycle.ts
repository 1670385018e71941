// The reference statechart of the user-visible lifecycle of one protected item, shared by both
// providers (DOMAIN.md rules 1, 6-12; DESIGN.md section 4). It is the specification that
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
  | { type: 'DISABLE' };

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
        DISABLE: 'unprotected',
      },
    },
    paused: { on: { RESUME: 'protected', UNPLANNED_FAILOVER: { guard: 'hasRecoveryPoint', target: 'failedOver', actions: 'markUnplanned' }, DISABLE: 'unprotected' } },
    resyncRequired: {
      on: { RESYNC: 'resyncing', UNPLANNED_FAILOVER: { guard: 'hasRecoveryPoint', target: 'failedOver', actions: 'markUnplanned' }, DISABLE: 'unprotected' },
    },
    resyncing: {
      on: {
        RESYNC_DONE: { target: 'protected', actions: 'markRecoveryPoint' },
        RESYNC_REQUIRED: 'resyncRequired',
        UNPLANNED_FAILOVER: { guard: 'hasRecoveryPoint', target: 'failedOver', actions: 'markUnplanned' },
      },
    },
    failedOver: { on: { COMMIT: { target: 'committed', actions: 'flipDirection' } } },
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
