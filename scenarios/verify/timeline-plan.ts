// Turns raw choices (what fast-check or a swarm seed draws) into a timeline that is valid by
// construction: operations follow each VM's walk of the reference statechart, spaced so that
// each one meets a deployment at rest, and faults go into the quiet windows between operations,
// ending early enough that the deployment recovers before the next operation. Shrinking the
// choices (fewer steps, fewer faults, smaller numbers) always yields another valid timeline, so
// a failure shrinks to a minimal one.
import { OPERATOR_EVENTS, initialLifecycle, mistakeEvents, mistakeName, settle, stateName, step, validEvents, type LifecycleSnapshot, type OperatorEvent } from './lifecycle-walk.js';
import { PRIMARY_HOST, SECONDARY_HOST, type ExperimentFault, type ExperimentFaultKind, type ExperimentOperation, type ExperimentPolicy, type ExperimentShape } from './experiment.js';

export type UnplannedStyle = 'shutdown' | 'sync' | 'crash';

/** One step of the operator: which VM, which of the enabled events (pick modulo their count),
 *  or a mistake, and how long after the previous step. */
export interface StepChoice {
  readonly vm: number;
  readonly pick: number;
  readonly mistake: boolean;
  readonly gapMinutes: number;
  readonly unplanned: UnplannedStyle;
}

/** One fault: which quiet window (modulo their count; the last one is the tail after the last
 *  operation; -1 is the tail), where in it (per mille), and its parameters. */
export interface FaultChoice {
  readonly window: number;
  readonly offsetPermille: number;
  readonly kind: ExperimentFaultKind;
  readonly lengthMinutes: number;
  readonly probabilityPercent: number;
  readonly bandwidthMbps: number;
  readonly offsetSeconds: number;
  readonly restartAfterMinutes: number;
  readonly secondaryHost: boolean;
  readonly direction: 'both' | 'a-to-b' | 'b-to-a';
}

export interface PlanOptions {
  /** Operator events the walk may choose (default all the engine supports). */
  readonly events?: readonly OperatorEvent[];
  /** Minutes of quiet after the last operation (faults of the tail go there). */
  readonly tailMinutes: number;
}

export interface Plan {
  readonly operations: ExperimentOperation[];
  readonly faults: ExperimentFault[];
  readonly durationMinutes: number;
  readonly finalStates: Record<string, string>;
  readonly expectDataLoss: 'none' | 'bounded';
}

/** Minutes before the first operation: initial replication and a status poll, with margin. */
export const FIRST_OPERATION_MINUTES = 30;
/** Minutes of calm a deployment needs after a fault ends before the next operation meets it at
 *  rest: a host restart, service boot, a status poll, an automatic resync and another poll. */
export const SETTLE_MINUTES = 12;
/** Minutes an operation may keep its item busy (shut down, final log, failover, start). */
const BUSY_MINUTES: Readonly<Partial<Record<ExperimentOperation['op'], number>>> = {
  enable: 5,
  'planned-failover': 8,
  'unplanned-failover': 8,
  commit: 2,
  'reverse-replicate': 10,
  pause: 2,
  resume: 5,
  resync: 10,
  'shutdown-vm': 3,
  'test-failover': 3,
  'test-cleanup': 3,
};
export const busyMinutes = (op: ExperimentOperation['op']): number => BUSY_MINUTES[op] ?? 5;
/** A crashed active host (unplanned failover, crash style) comes back after this long. */
export const CRASH_RESTART_MINUTES = 6;

interface VmWalk {
  snapshot: LifecycleSnapshot;
}

/** A quiet stretch between operations (or the tail after the last one) where faults may go. */
export interface Window {
  readonly from: number;
  readonly to: number;
  readonly tail: boolean;
}

const activeHost = (snapshot: LifecycleSnapshot) => (snapshot.context.direction === 'forward' ? PRIMARY_HOST : SECONDARY_HOST);

export function planTimeline(shape: ExperimentShape, policy: ExperimentPolicy, steps: readonly StepChoice[], faults: readonly FaultChoice[], options: PlanOptions): Plan {
  const allowed = new Set(options.events ?? (Object.keys(OPERATOR_EVENTS) as OperatorEvent[]));
  const walks: VmWalk[] = Array.from({ length: shape.vmCount }, () => ({ snapshot: settle(step(initialLifecycle(), 'ENABLE')) }));
  const operations: ExperimentOperation[] = [];
  const plannedFaults: ExperimentFault[] = [];
  const windows: Window[] = [];
  const start = FIRST_OPERATION_MINUTES + (policy.initialReplication === 'network-scheduled' ? policy.initialDelayMinutes : 0);
  let quietFrom = 2;
  let now = start;
  let unplanned = false;
  const openWindow = (until: number) => {
    if (until - SETTLE_MINUTES - quietFrom >= 4) windows.push({ from: quietFrom, to: until - SETTLE_MINUTES, tail: false });
  };
  const fragile = new FragileSpans();

  for (const choice of steps) {
    const vm = `vm${(choice.vm % shape.vmCount) + 1}`;
    const walk = walks[choice.vm % shape.vmCount];
    const at = Math.max(now, quietFrom + SETTLE_MINUTES) + (operations.length === 0 ? 0 : choice.gapMinutes);
    const emitted = choice.mistake ? mistake(walk, vm, at, choice.pick) : validStep(walk, vm, at, choice, allowed, plannedFaults);
    if (emitted === null) continue;
    openWindow(at);
    operations.push(...emitted.operations);
    fragile.note(vm, emitted.operations);
    if (emitted.unplanned) unplanned = true;
    now = emitted.busyUntil;
    quietFrom = emitted.busyUntil;
  }
  const tailFrom = Math.max(quietFrom, start);
  const durationMinutes = tailFrom + options.tailMinutes;
  if (operations.length === 0) openWindow(tailFrom);
  windows.push({ from: tailFrom, to: durationMinutes - 2, tail: true });
  for (const choice of faults) {
    const fault = placeFault(choice, windows, choice.secondaryHost ? SECONDARY_HOST : PRIMARY_HOST);
    if (fault !== null && !fragile.breaks(fault)) plannedFaults.push(fault);
  }
  plannedFaults.sort((a, b) => a.atMinutes - b.atMinutes);
  const finalStates: Record<string, string> = {};
  walks.forEach((walk, i) => {
    const state = stateName(walk.snapshot);
    if (state !== 'protected') finalStates[`vm${i + 1}`] = state;
  });
  return { operations, faults: plannedFaults, durationMinutes, finalStates, expectDataLoss: unplanned ? 'bounded' : 'none' };
}

/** Spans in which a host fault would make a later valid operation of the walk refused, for
 *  reasons the statechart walk cannot see (they are the engine's documented behaviour, shown by
 *  their own tests): a host crash or power loss while a test VM runs ends the test (the resync it
 *  forces, or the test VM's host going down, cleans it up), so the walk's test-cleanup would be
 *  refused; a restart of the replica host while an unplanned failover is uncommitted loses its
 *  discardable layer (kept in memory, like the hourly points), so a cancel would be refused. */
class FragileSpans {
  private readonly spans: Array<{ vm: string; kind: 'test' | 'uncommitted'; from: number; to: number; cancelled: boolean }> = [];

  note(vm: string, operations: readonly ExperimentOperation[]): void {
    for (const o of operations) {
      if (o.expect !== 'ok') continue;
      if (o.op === 'test-failover') this.spans.push({ vm, kind: 'test', from: o.atMinutes, to: Number.POSITIVE_INFINITY, cancelled: false });
      if (o.op === 'unplanned-failover') this.spans.push({ vm, kind: 'uncommitted', from: o.atMinutes, to: Number.POSITIVE_INFINITY, cancelled: false });
      const closes = o.op === 'test-cleanup' ? 'test' : o.op === 'commit' || o.op === 'cancel-failover' ? 'uncommitted' : null;
      for (const span of this.spans) {
        if (span.vm !== vm || span.kind !== closes || span.to !== Number.POSITIVE_INFINITY) continue;
        span.to = o.atMinutes;
        span.cancelled = o.op === 'cancel-failover';
      }
    }
  }

  breaks(fault: ExperimentFault): boolean {
    if (fault.fault !== 'host-crash' && fault.fault !== 'power-loss') return false;
    return this.spans.some((span) => {
      const inside = fault.atMinutes >= span.from - SETTLE_MINUTES && fault.atMinutes <= span.to;
      return inside && (span.kind === 'test' || span.cancelled);
    });
  }
}

interface Emitted {
  readonly operations: ExperimentOperation[];
  readonly busyUntil: number;
  readonly unplanned?: boolean;
}

function mistake(walk: VmWalk, vm: string, at: number, pick: number): Emitted | null {
  const refused = mistakeEvents(walk.snapshot);
  const state = stateName(walk.snapshot);
  // The statechart allows these, but the engine must refuse them because of the world: an
  // unplanned failover while the primary VM runs; reverse replication after an unplanned failover
  // while the old primary VM runs again (an administrator booted it: split brain), which is then
  // shut down so that reverse replication can go on later.
  const splitBrain = state === 'protected' || state === 'paused';
  const staleCopy = state === 'committed' && walk.snapshot.context.lastFailover === 'unplanned';
  const extra = splitBrain || staleCopy ? 1 : 0;
  const count = refused.length + extra;
  if (count === 0) return null;
  // The stale copy is one mistake among many refused events in `committed`: half the picks go to
  // it, or sweeps would hardly ever meet it.
  const index = staleCopy ? (pick % 2 === 0 ? refused.length : (pick >> 1) % refused.length) : pick % count;
  if (index === refused.length && splitBrain) {
    return { operations: [{ atMinutes: at, op: 'unplanned-failover', vm, expect: 'refused', note: 'unplanned failover while the primary runs' }], busyUntil: at + 2 };
  }
  if (index === refused.length) {
    return {
      operations: [
        { atMinutes: at, op: 'start-vm', vm, on: 'old-primary', expect: 'ok', note: 'the old primary VM is booted again' },
        { atMinutes: at + 1, op: 'reverse-replicate', vm, expect: 'refused', note: 'reverse replication while the old primary runs' },
        { atMinutes: at + 3, op: 'shutdown-vm', vm, on: 'old-primary', expect: 'ok' },
      ],
      busyUntil: at + 5,
    };
  }
  const type = refused[index];
  return { operations: [{ atMinutes: at, op: OPERATOR_EVENTS[type], vm, expect: 'refused', note: mistakeName(walk.snapshot, type) }], busyUntil: at + 2 };
}

function validStep(walk: VmWalk, vm: string, at: number, choice: StepChoice, allowed: ReadonlySet<OperatorEvent>, faults: ExperimentFault[]): Emitted | null {
  const enabled = validEvents(walk.snapshot).filter((e) => allowed.has(e));
  if (enabled.length === 0) return null;
  const type = enabled[choice.pick % enabled.length];
  const before = walk.snapshot;
  walk.snapshot = settle(step(before, type));
  const op = OPERATOR_EVENTS[type];
  const note = noteFor(before, type);
  if (type !== 'UNPLANNED_FAILOVER') {
    return { operations: [{ atMinutes: at, op, vm, expect: 'ok', ...(note ? { note } : {}) }], busyUntil: at + busyMinutes(op) };
  }
  const host = activeHost(before);
  switch (choice.unplanned) {
    case 'sync':
      return { operations: [{ atMinutes: at, op, vm, shutDownAndSync: true, expect: 'ok' }], busyUntil: at + busyMinutes(op), unplanned: true };
    case 'shutdown':
      return {
        operations: [
          { atMinutes: at, op: 'shutdown-vm', vm, expect: 'ok', note: 'the primary VM stops' },
          { atMinutes: at + 3, op, vm, expect: 'ok' },
        ],
        busyUntil: at + 3 + busyMinutes(op),
        unplanned: true,
      };
    case 'crash':
      // The disaster itself: the active host dies; it boots again a little later, and the VMs
      // that still run nowhere else start on it again.
      faults.push({ atMinutes: at, fault: 'host-crash', host, restartAfterMinutes: CRASH_RESTART_MINUTES });
      return {
        operations: [{ atMinutes: at + 2, op, vm, expect: 'ok', note: `${host} crashed` }],
        busyUntil: at + CRASH_RESTART_MINUTES + busyMinutes(op),
        unplanned: true,
      };
  }
}

function noteFor(before: LifecycleSnapshot, type: OperatorEvent): string | undefined {
  if (type === 'PLANNED_FAILOVER') return before.context.direction === 'reverse' ? 'failback' : undefined;
  if (type === 'REVERSE_REPLICATE') return before.context.lastFailover === 'planned' ? 'delta after planned failover' : 'resync after unplanned failover';
  return undefined;
}

/** The fault of a choice in its window, on `host` when it is a host fault; null when the
 *  window is too short for it. */
export function placeFault(choice: FaultChoice, windows: readonly Window[], host: string): ExperimentFault | null {
  if (windows.length === 0) return null;
  // Partitions have no duration in a scenario file: they last until the faults heal, so they
  // only go into the tail.
  const window = choice.kind === 'partition' || choice.window < 0 ? windows[windows.length - 1] : windows[choice.window % windows.length];
  const span = window.to - window.from;
  if (span < 2) return null;
  const at = window.from + Math.floor((choice.offsetPermille / 1000) * (span - 1));
  const room = window.to - at;
  const length = Math.max(1, Math.min(choice.lengthMinutes, room));
  switch (choice.kind) {
    case 'partition':
      return { atMinutes: at, fault: 'partition', direction: choice.direction };
    case 'clog':
      return { atMinutes: at, fault: 'clog', forMinutes: length };
    case 'loss':
    case 'duplication':
    case 'corruption':
      return { atMinutes: at, fault: choice.kind, forMinutes: length, probabilityPercent: choice.probabilityPercent };
    case 'reordering':
      return { atMinutes: at, fault: 'reordering', forMinutes: length, probabilityPercent: choice.probabilityPercent, offsetSeconds: choice.offsetSeconds };
    case 'throttle':
      return { atMinutes: at, fault: 'throttle', forMinutes: length, bandwidthMbps: choice.bandwidthMbps };
    case 'host-crash':
    case 'power-loss': {
      if (window.tail && choice.restartAfterMinutes > room) return { atMinutes: at, fault: choice.kind, host };
      return { atMinutes: at, fault: choice.kind, host, restartAfterMinutes: Math.max(1, Math.min(choice.restartAfterMinutes, room)) };
    }
    case 'clock-skew':
      return { atMinutes: at, fault: 'clock-skew', host, offsetSeconds: choice.offsetSeconds };
  }
}
