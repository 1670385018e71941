// Turns raw choices into an InMage Scout timeline that is valid by construction, like
// timeline-plan.ts does for Hyper-V Replica: each machine walks the reference statechart, every
// operation meets the deployment at rest, and faults go into the quiet windows between operations.
// What differs for Scout:
// - the operations the walk offers Scout (test failover is left to its own engine tests), plus group tags when all
//   machines are in one replication group and all of them are protected;
// - an unplanned failover recovers to the latest point, to the n-th newest tag, or to the group
//   tag the machine took since it last changed direction (the runner then checks the image is
//   exactly the source at that tag);
// - it powers the running copy off itself, so "unplanned failover while the primary runs" is no
//   mistake here; reverse replication without a primary-site master target is one;
// - host faults hit the ESXi host, the master targets or the process servers.
import { OPERATOR_EVENTS, initialLifecycle, mistakeEvents, mistakeName, settle, stateName, step, validEvents, type LifecycleSnapshot, type OperatorEvent } from './lifecycle-walk.js';
import type { ExperimentFault, ExperimentOperation, ExperimentShape } from './experiment.js';
import { CRASH_RESTART_MINUTES, FIRST_OPERATION_MINUTES, SETTLE_MINUTES, busyMinutes, placeFault, type FaultChoice, type Plan, type PlanOptions, type StepChoice, type Window } from './timeline-plan.js';
import { SCOUT_MASTER_TARGET, SCOUT_SOURCE_HOST, scoutFaultHosts, type ExperimentGroupTag, type ScoutDeploymentChoice } from './scout-experiment.js';

/** What an unplanned failover recovers to. */
export type ScoutRecovery = 'latest' | 'earlier-tag' | 'group-tag';

export interface ScoutStepChoice extends StepChoice {
  readonly recovery: ScoutRecovery;
  /** earlier-tag: how many tags before the newest one. */
  readonly tagsBack: number;
}

export interface ScoutFaultChoice extends FaultChoice {
  /** Host faults: which server, modulo scoutFaultHosts (0 is the ESXi host). */
  readonly hostPick: number;
}

/** An operator step of a Scout walk: a lifecycle event, or a group tag. */
export type ScoutEvent = OperatorEvent | 'GROUP_TAG';

/** The lifecycle operations the Scout controller offers. */
export const SCOUT_OPERATOR_EVENTS: readonly OperatorEvent[] = ['PLANNED_FAILOVER', 'UNPLANNED_FAILOVER', 'COMMIT', 'REVERSE_REPLICATE', 'PAUSE', 'RESUME'];
export const SCOUT_EVENTS: readonly ScoutEvent[] = [...SCOUT_OPERATOR_EVENTS, 'GROUP_TAG'];

/** As for Hyper-V; `events` may include group tags. */
export interface ScoutPlanOptions extends Omit<PlanOptions, 'events'> {
  /** Events the walk may choose (default all of SCOUT_EVENTS). */
  readonly events?: readonly ScoutEvent[];
}

export interface ScoutPlan extends Plan {
  readonly groupTags: ExperimentGroupTag[];
}

interface ScoutWalk {
  snapshot: LifecycleSnapshot;
  /** The group tag this machine can recover to: taken since it last changed direction. */
  groupTag: string | null;
}

interface Emitted {
  readonly operations: ExperimentOperation[];
  readonly groupTag?: ExperimentGroupTag;
  readonly busyUntil: number;
  readonly unplanned?: boolean;
  /** The quiet window before this step gets no fault: the step recovers to a recent tag, which
   *  must not have been taken while a fault forced a resync. */
  readonly quietBefore?: boolean;
}

/** Events that end the machine's current replication epoch (a group tag of it is gone). */
const EPOCH_ENDING: ReadonlySet<OperatorEvent> = new Set(['PLANNED_FAILOVER', 'UNPLANNED_FAILOVER', 'COMMIT', 'REVERSE_REPLICATE']);

interface PlanState {
  readonly shape: ExperimentShape;
  readonly deployment: ScoutDeploymentChoice;
  readonly allowed: ReadonlySet<ScoutEvent>;
  readonly walks: ScoutWalk[];
  readonly groupTags: ExperimentGroupTag[];
  readonly faults: ExperimentFault[];
}

const sourceHost = (snapshot: LifecycleSnapshot) => (snapshot.context.direction === 'forward' ? SCOUT_SOURCE_HOST : SCOUT_MASTER_TARGET);

export function planScoutTimeline(shape: ExperimentShape, deployment: ScoutDeploymentChoice, steps: readonly ScoutStepChoice[], faults: readonly ScoutFaultChoice[], options: ScoutPlanOptions): ScoutPlan {
  const state: PlanState = {
    shape,
    deployment,
    allowed: new Set(options.events ?? SCOUT_EVENTS),
    walks: Array.from({ length: shape.vmCount }, () => ({ snapshot: settle(step(initialLifecycle(), 'ENABLE')), groupTag: null })),
    groupTags: [],
    faults: [],
  };
  const operations: ExperimentOperation[] = [];
  const windows: Window[] = [];
  let quietFrom = 2;
  let now = FIRST_OPERATION_MINUTES;
  let unplanned = false;
  const openWindow = (until: number) => {
    if (until - SETTLE_MINUTES - quietFrom >= 4) windows.push({ from: quietFrom, to: until - SETTLE_MINUTES, tail: false });
  };
  for (const choice of steps) {
    const at = Math.max(now, quietFrom + SETTLE_MINUTES) + (operations.length === 0 && state.groupTags.length === 0 ? 0 : choice.gapMinutes);
    const emitted = choice.mistake ? mistake(state, choice, at) : validStep(state, choice, at);
    if (emitted === null) continue;
    if (emitted.quietBefore !== true) openWindow(at);
    operations.push(...emitted.operations);
    if (emitted.groupTag !== undefined) state.groupTags.push(emitted.groupTag);
    if (emitted.unplanned === true) unplanned = true;
    now = emitted.busyUntil;
    quietFrom = emitted.busyUntil;
  }
  const tailFrom = Math.max(quietFrom, FIRST_OPERATION_MINUTES);
  const durationMinutes = tailFrom + options.tailMinutes;
  if (operations.length === 0 && state.groupTags.length === 0) openWindow(tailFrom);
  windows.push({ from: tailFrom, to: durationMinutes - 2, tail: true });
  placeFaults(state, faults, windows);
  const finalStates: Record<string, string> = {};
  state.walks.forEach((walk, i) => {
    const name = stateName(walk.snapshot);
    if (name !== 'protected') finalStates[`vm${i + 1}`] = name;
  });
  return { operations, groupTags: state.groupTags, faults: state.faults, durationMinutes, finalStates, expectDataLoss: unplanned ? 'bounded' : 'none' };
}

/** Puts each fault choice into its window, on its host. */
function placeFaults(state: PlanState, faults: readonly ScoutFaultChoice[], windows: readonly Window[]): void {
  const hosts = scoutFaultHosts(state.deployment);
  for (const choice of faults) {
    const fault = placeFault(choice, windows, hosts[choice.hostPick % hosts.length]);
    if (fault !== null) state.faults.push(fault);
  }
  state.faults.sort((a, b) => a.atMinutes - b.atMinutes);
}

const vmOf = (state: PlanState, choice: StepChoice) => ({ index: choice.vm % state.shape.vmCount, vm: `vm${(choice.vm % state.shape.vmCount) + 1}` });

/** A group tag needs a group and every member protected (each tags on its current path). */
function groupTagPossible(state: PlanState): boolean {
  return state.deployment.group && state.shape.vmCount >= 2 && state.allowed.has('GROUP_TAG') && state.walks.every((w) => stateName(w.snapshot) === 'protected');
}

/** Lifecycle events the walk may take now: enabled by the statechart, offered by Scout, and
 *  reverse replication only with a primary-site master target. */
function enabledEvents(state: PlanState, walk: ScoutWalk): ScoutEvent[] {
  const events: ScoutEvent[] = validEvents(walk.snapshot).filter(
    (e) => SCOUT_OPERATOR_EVENTS.includes(e) && state.allowed.has(e) && (e !== 'REVERSE_REPLICATE' || state.deployment.failback),
  );
  return groupTagPossible(state) ? [...events, 'GROUP_TAG'] : events;
}

function validStep(state: PlanState, choice: ScoutStepChoice, at: number): Emitted | null {
  const { index, vm } = vmOf(state, choice);
  const walk = state.walks[index];
  const enabled = enabledEvents(state, walk);
  if (enabled.length === 0) return null;
  const type = enabled[choice.pick % enabled.length];
  if (type === 'GROUP_TAG') {
    const name = `tag${state.groupTags.length + 1}`;
    for (const w of state.walks) w.groupTag = name;
    return { operations: [], groupTag: { atMinutes: at, name }, busyUntil: at + 2 };
  }
  const before = walk.snapshot;
  const groupTag = walk.groupTag;
  walk.snapshot = settle(step(before, type));
  if (EPOCH_ENDING.has(type)) walk.groupTag = null;
  const op = OPERATOR_EVENTS[type];
  if (type !== 'UNPLANNED_FAILOVER') {
    const note = noteFor(before, type);
    return { operations: [{ atMinutes: at, op, vm, expect: 'ok', ...(note !== undefined ? { note } : {}) }], busyUntil: at + busyMinutes(op) };
  }
  return unplannedFailover(state, choice, before, at, vm, groupTag);
}

/** The disaster (the active VM stops, or its host crashes) and the recovery an operator chose. */
function unplannedFailover(state: PlanState, choice: ScoutStepChoice, before: LifecycleSnapshot, at: number, vm: string, groupTag: string | null): Emitted {
  const target: Pick<ExperimentOperation, 'tag' | 'point' | 'note'> =
    choice.recovery === 'group-tag' && groupTag !== null
      ? { tag: groupTag, note: 'recover to the group tag' }
      : choice.recovery === 'earlier-tag'
        ? { point: choice.tagsBack, note: 'recover to an earlier tag' }
        : {};
  const quietBefore = target.point !== undefined;
  if (choice.unplanned === 'crash') {
    const host = sourceHost(before);
    state.faults.push({ atMinutes: at, fault: 'host-crash', host, restartAfterMinutes: CRASH_RESTART_MINUTES });
    return {
      operations: [{ atMinutes: at + 2, op: 'unplanned-failover', vm, expect: 'ok', ...target, note: [`${host} crashed`, target.note].filter((n) => n !== undefined).join(', ') }],
      busyUntil: at + CRASH_RESTART_MINUTES + busyMinutes('unplanned-failover'),
      unplanned: true,
      quietBefore,
    };
  }
  // 'shutdown', and 'sync' (Scout has no "shut down and sync": the controller powers the source off).
  return {
    operations: [
      { atMinutes: at, op: 'shutdown-vm', vm, expect: 'ok', note: 'the primary VM stops' },
      { atMinutes: at + 3, op: 'unplanned-failover', vm, expect: 'ok', ...target },
    ],
    busyUntil: at + 3 + busyMinutes('unplanned-failover'),
    unplanned: true,
    quietBefore,
  };
}

function noteFor(before: LifecycleSnapshot, type: OperatorEvent): string | undefined {
  if (type === 'PLANNED_FAILOVER') return before.context.direction === 'reverse' ? 'failback' : undefined;
  if (type === 'REVERSE_REPLICATE') return before.context.lastFailover === 'planned' ? 'resume the in-sync reverse pair' : 'full resync after unplanned failover';
  return undefined;
}

/** An operation the engine must refuse whatever the timing: one the statechart refuses in every
 *  state faults may push the machine to, reverse replication with no master target to
 *  replicate back to, or a resync of a machine at rest (a resync is only for a pair that needs
 *  one, and the walk meets every machine after its automatic resync ended). */
function mistake(state: PlanState, choice: StepChoice, at: number): Emitted | null {
  const { index, vm } = vmOf(state, choice);
  const snapshot = state.walks[index].snapshot;
  const candidates: Array<Pick<ExperimentOperation, 'op' | 'note'>> = mistakeEvents(snapshot)
    .filter((e) => SCOUT_OPERATOR_EVENTS.includes(e))
    .map((e) => ({ op: OPERATOR_EVENTS[e], note: mistakeName(snapshot, e) }));
  if (!state.deployment.failback && snapshot.can({ type: 'REVERSE_REPLICATE' })) candidates.push({ op: 'reverse-replicate', note: 'failback without a primary-site master target' });
  if (!snapshot.can({ type: 'RESYNC' })) candidates.push({ op: 'resync', note: `resync while ${stateName(snapshot)}` });
  if (candidates.length === 0) return null;
  return { operations: [{ atMinutes: at, vm, expect: 'refused', ...candidates[choice.pick % candidates.length] }], busyUntil: at + 2 };
}
