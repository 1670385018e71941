// Model-based tests (issue: verification, point 3): @xstate/graph walks the reference statechart
// of model/lifecycle.ts (shortest paths to every state and transition, and the simple paths to a
// failover), each path drives the real engine in the simulator, and after every step the
// engine's observable state must match the statechart's (the portal state, the direction, where
// the VM runs, what the primary and replica sessions do) while the data invariants hold (the
// replica checker on every applied log, zero loss on planned failover, one-instant images on
// unplanned failover). State and transition coverage must be 100%.
import { createTestModel, getStateNodes, type TestParam } from '@xstate/graph';
import type { EventFromLogic, SnapshotFrom } from 'xstate';
import { afterAll, describe, expect, it } from 'vitest';
import { PrimarySession, ReplicaSession, type OperationResult } from '../../engine/index.js';
import { DEFAULT_HYPERV_POLICY, LIFECYCLE_EVENTS, MiB, minutes, protectedItemLifecycle, seconds, type Instant, type LifecycleEvent, type RunViolation } from '../../model/index.js';
import { contentOf, matchingInstant } from '../../scenarios/checkers/image-match.js';
import { buildHyperVLab, runOperation, type HyperVLab } from '../../scenarios/hyperv-lab.js';
import { twoSiteHyperV } from '../../scenarios/topologies.js';
import { ReplicaChecker } from '../../scenarios/verify/replica-checker.js';
import { workloadProfile } from '../../sim/index.js';

type Snapshot = SnapshotFrom<typeof protectedItemLifecycle>;
type Event = EventFromLogic<typeof protectedItemLifecycle>;
const VM = 'vm1';
const ALL_EVENTS = LIFECYCLE_EVENTS.map((type) => ({ type }) as Event);
/** Only events the statechart enables (the traversal would otherwise add no-op steps). */
const enabledOnly = { events: (s: Snapshot) => ALL_EVENTS.filter((e) => s.can(e)) };

// --- coverage --------------------------------------------------------------------------------

const nodes = getStateNodes(protectedItemLifecycle.root);
const pathOf = (path: readonly string[]) => path.join('.');
const ALL_STATES = new Set(nodes.map((n) => pathOf(n.path)));
const ALL_TRANSITIONS = new Set<string>();
for (const node of nodes) for (const [type, definitions] of node.transitions) for (const d of definitions) for (const target of d.target ?? []) ALL_TRANSITIONS.add(`${pathOf(node.path)} -${type}-> ${pathOf(target.path)}`);
const coveredStates = new Set<string>();
const coveredTransitions = new Set<string>();

/** Every state node the snapshot is in (`protected` and `protected.testing`...). */
const activePaths = (s: Snapshot) => nodes.filter((n) => s.matches(valueOf(n.path) as never)).map((n) => pathOf(n.path));
function valueOf(path: readonly string[]): unknown {
  return path.length === 1 ? path[0] : { [path[0]]: valueOf(path.slice(1)) };
}
/** The transition definition a step took: the deepest active node that handles the event and
 *  targets a state the next snapshot is in. */
function transitionTaken(before: Snapshot, type: string, after: Snapshot): string | null {
  const now = new Set(activePaths(after));
  const candidates = nodes.filter((n) => before.matches(valueOf(n.path) as never)).sort((a, b) => b.path.length - a.path.length);
  for (const node of candidates) {
    for (const d of node.transitions.get(type) ?? []) {
      const target = d.target?.[0];
      if (target !== undefined && now.has(pathOf(target.path))) return `${pathOf(node.path)} -${type}-> ${pathOf(target.path)}`;
    }
  }
  return null;
}

// --- the system under test -------------------------------------------------------------------

class EngineDriver {
  readonly lab: HyperVLab;
  readonly violations: RunViolation[] = [];
  private previous: Snapshot | null = null;

  constructor(seed: number) {
    this.lab = buildHyperVLab({
      seed,
      topology: twoSiteHyperV({ vmCount: 1, disksPerVm: 1, diskSizeBytes: 16 * MiB, diskUsedBytes: 4 * MiB, bandwidthBitsPerSecond: 20e6 }),
      blockSizeBytes: 4096,
      workload: workloadProfile({ churnBytesPerDay: 48 * MiB, diurnal: 'flat' }),
      tick: minutes(1),
      policy: { ...DEFAULT_HYPERV_POLICY, copyFrequencySeconds: 30, additionalRecoveryPoints: 2 },
      // resyncRequired must be observable: an operator starts the resync (RESYNC).
      autoResync: false,
    });
    new ReplicaChecker(this, 0);
    this.lab.world.startGuests();
  }

  get controller() {
    return this.lab.controller;
  }

  advance(span: number): void {
    this.lab.world.run((this.lab.world.now() + span) as Instant);
  }

  operate(start: (done: (result: OperationResult) => void) => void): void {
    const result = runOperation(this.lab, start, minutes(60));
    expect(result.ok ? null : result.error).toBeNull();
  }

  /** Lets time pass until the portal shows `state` (events nobody sends by hand). */
  waitFor(state: string, limit = minutes(30)): void {
    const deadline = this.lab.world.now() + limit;
    while (this.controller.stateOf(VM).value !== state && this.lab.world.now() < deadline) this.advance(seconds(20));
    expect(this.controller.stateOf(VM).value).toBe(state);
  }

  /** Crashes the host the VM runs on; it boots again a minute later with its logs not closed
   *  cleanly, which requires a resync. */
  crashActiveHost(): void {
    // A moment first: the enable and resync jobs answer before the primary's state is durable
    // (see the reported bug in properties.test.ts); the crash must meet a persisted session.
    this.advance(seconds(2));
    const host = this.controller.hostsOf(VM).active;
    this.lab.world.applyFaults([{ at: this.lab.world.now(), fault: { kind: 'host-crash', host, restartAfter: minutes(1) } }]);
  }

  /** Cancels a failover job in flight (rule 11). From protected: a planned failover whose final
   *  sync waits behind a clogged WAN; elsewhere: an unplanned failover, cancelled at once. The
   *  VM then runs again where it ran, unreplicated. */
  cancelFailoverJob(): void {
    const c = this.controller;
    const planned = this.controller.stateOf(VM).value === 'protected';
    let original: OperationResult | null = null;
    if (planned) {
      this.lab.world.applyFaults([{ at: this.lab.world.now(), fault: { kind: 'clog', link: 'wan', duration: minutes(3) } }]);
      c.plannedFailover(VM, (result) => (original = result));
      const job = c.jobs.all().at(-1)!;
      for (let i = 0; i < 600 && job.steps.at(-1)?.name !== 'send the final changes'; i++) this.advance(seconds(1));
    } else {
      this.shutDownActiveVm();
      c.unplannedFailover(VM, {}, (result) => (original = result));
    }
    this.operate((done) => c.cancelFailover(VM, done));
    expect(original).toMatchObject({ ok: false, job: { status: 'cancelled' } });
    this.advance(minutes(4)); // the clog ends
    let started = false;
    this.lab.world.management.request(c.hostsOf(VM).active, 'hvr', { op: 'start-vm', vmId: VM }, () => (started = true));
    while (!started) this.advance(seconds(1));
  }

  /** After a cancelled failover the writes of the failed-over VM are gone: the VM is its image on
   *  the active site again (until another failover boots it elsewhere). */
  rebaseOnActive(): void {
    const { world } = this.lab;
    const host = this.controller.hostsOf(VM).active;
    world.guest(VM).truths.forEach((truth, i) => truth.rebase(world.now(), contentOf(world.disk(VM, i, host))));
  }

  /** Cancels the running resync; the WAN clogs first so that it is still running. */
  cancelResync(): void {
    this.lab.world.applyFaults([{ at: this.lab.world.now(), fault: { kind: 'clog', link: 'wan', duration: minutes(2) } }]);
    this.operate((done) => this.controller.cancelResync(VM, done));
  }

  shutDownActiveVm(): void {
    let answered = false;
    this.lab.world.management.request(this.controller.hostsOf(VM).active, 'hvr', { op: 'shutdown-vm', vmId: VM }, () => (answered = true));
    while (!answered) this.advance(seconds(1));
  }

  /** planned-failover-zero-loss / failback-zero-loss: the new primary holds every write. */
  checkZeroLoss(host: string): void {
    const guest = this.lab.world.guest(VM);
    guest.truths.forEach((truth, i) => expect(this.lab.world.disk(VM, i, host).imageHash(), `disk ${i} on ${host}`).toBe(truth.imageHash()));
  }

  /** unplanned-loss-bounded: when the VM boots on the recovered disks, they hold the source
   *  image at one instant; from then on that image is the truth (the guest runs on it). */
  expectOneInstantAtBoot(host: string): void {
    const { world } = this.lab;
    const guest = world.guest(VM);
    guest.onStart = (started, on) => {
      guest.onStart = null;
      if (on !== host) return;
      const hashes = started.truths.map((_, i) => world.disk(VM, i, host).imageHash());
      if (matchingInstant(started.truths, hashes, 0, world.now()) === null) {
        this.violations.push({ invariant: 'unplanned-loss-bounded', item: VM, atSeconds: world.now() / 1e6, message: `the image on ${host} is not the source at any instant` });
      }
      started.truths.forEach((truth, i) => truth.rebase(world.now(), contentOf(world.disk(VM, i, host))));
    };
  }

  /** The engine's observable state must be the statechart's. */
  assertMatches(snapshot: Snapshot): void {
    for (const path of activePaths(snapshot)) coveredStates.add(path);
    if (this.previous !== null) {
      const taken = transitionTaken(this.previous, this.lastEvent!, snapshot);
      if (taken !== null) coveredTransitions.add(taken);
    }
    this.previous = snapshot;
    const state = this.controller.stateOf(VM);
    const top = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
    expect(state.value).toBe(top);
    expect(state.direction).toBe(snapshot.context.direction);
    expect(state.testing).toBe(snapshot.matches({ protected: 'testing' }));
    expect(state.busy).toBe(false);
    const { active, replica } = this.controller.hostsOf(VM);
    const primary = this.lab.services.get(active)?.sessionOf(VM);
    const replicaSession = this.lab.services.get(replica)?.sessionOf(VM);
    const runningOn = this.lab.world.guest(VM).runningOn;
    switch (top) {
      case 'unprotected':
        if (this.lastEvent === 'DISABLE' || this.lastEvent === 'CANCEL_FAILOVER_JOB') expect([primary, replicaSession]).toEqual([undefined, undefined]);
        break;
      case 'protected':
      case 'initialReplication':
      case 'resyncing':
        expect(primary).toBeInstanceOf(PrimarySession);
        expect(replicaSession).toBeInstanceOf(ReplicaSession);
        break;
      case 'paused':
        expect((primary as PrimarySession).currentPhase).toMatch(/^(paused|resync-required)$/);
        break;
      case 'resyncRequired':
        expect((primary as PrimarySession).currentPhase).toBe('resync-required');
        break;
      case 'failedOver':
        expect(runningOn).toBe(replica);
        break;
      case 'failoverCancelled':
        expect(runningOn).toBeNull();
        expect((replicaSession as ReplicaSession).status.phase).toBe('failover-cancelled');
        break;
      case 'committed':
        expect(runningOn).toBe(active);
        break;
    }
    if (snapshot.matches({ protected: 'testing' })) expect((replicaSession as ReplicaSession).testRunning).toBe(true);
    expect(this.violations).toEqual([]);
  }

  lastEvent: string | null = null;
}

function parameters(driver: EngineDriver): TestParam<Snapshot, Event> {
  const on = (type: LifecycleEvent['type'], act: () => void) => () => {
    driver.lastEvent = type;
    act();
  };
  const c = driver.controller;
  return {
    states: { '*': (snapshot) => driver.assertMatches(snapshot) },
    events: {
      ENABLE: on('ENABLE', () => driver.operate((done) => c.enable(VM, done))),
      INITIAL_REPLICATION_DONE: on('INITIAL_REPLICATION_DONE', () => driver.waitFor('protected')),
      PAUSE: on('PAUSE', () => driver.operate((done) => c.pause(VM, done))),
      RESUME: on('RESUME', () => driver.operate((done) => c.resume(VM, done))),
      RESYNC_REQUIRED: on('RESYNC_REQUIRED', () => {
        driver.crashActiveHost();
        driver.waitFor('resyncRequired');
        driver.advance(minutes(1)); // the VM starts again on the restarted host
      }),
      RESYNC: on('RESYNC', () => driver.operate((done) => c.resync(VM, done))),
      RESYNC_DONE: on('RESYNC_DONE', () => driver.waitFor('protected')),
      TEST_FAILOVER: on('TEST_FAILOVER', () => driver.operate((done) => c.testFailover(VM, { network: 'isolated' }, done))),
      TEST_CLEANUP: on('TEST_CLEANUP', () => driver.operate((done) => c.testCleanup(VM, done))),
      PLANNED_FAILOVER: on('PLANNED_FAILOVER', () => {
        const target = c.hostsOf(VM).replica;
        driver.operate((done) => c.plannedFailover(VM, done));
        driver.checkZeroLoss(target);
        driver.advance(minutes(2));
      }),
      UNPLANNED_FAILOVER: on('UNPLANNED_FAILOVER', () => {
        const target = c.hostsOf(VM).replica;
        driver.shutDownActiveVm();
        driver.expectOneInstantAtBoot(target);
        driver.operate((done) => c.unplannedFailover(VM, {}, done));
        driver.advance(minutes(2));
      }),
      COMMIT: on('COMMIT', () => driver.operate((done) => c.commit(VM, done))),
      REVERSE_REPLICATE: on('REVERSE_REPLICATE', () => driver.operate((done) => c.reverseReplicate(VM, done))),
      DISABLE: on('DISABLE', () => driver.operate((done) => c.disable(VM, done))),
      CANCEL_RESYNC: on('CANCEL_RESYNC', () => driver.cancelResync()),
      CANCEL_FAILOVER: on('CANCEL_FAILOVER', () => {
        driver.operate((done) => c.cancelFailover(VM, done));
        driver.rebaseOnActive();
      }),
      CANCEL_FAILOVER_JOB: on('CANCEL_FAILOVER_JOB', () => driver.cancelFailoverJob()),
    },
  };
}

const model = createTestModel(protectedItemLifecycle);

// Two findings of these paths were fixed and are now ordinary paths: enabling protection again
// after DISABLE now starts from where the VM runs (it used the registered primary host), and the
// statechart no longer offers UNPLANNED_FAILOVER before any recovery point exists.


describe('model-based: shortest paths through the reference statechart drive the engine', () => {
  model.getShortestPaths(enabledOnly).forEach((path, i) => {
    it(path.description, async () => {
      await path.test(parameters(new EngineDriver(100 + i)));
    });
  });
});

describe('model-based: simple paths to a failover drive the engine', () => {
  // Every simple path (no vertex twice) that ends in a failover. Simple paths to every state
  // are too many to enumerate (the vertices carry direction and last failover kind).
  model.getSimplePaths({ ...enabledOnly, toState: (s: Snapshot) => s.matches('failedOver') }).forEach((path, i) => {
    it(path.description, async () => {
      await path.test(parameters(new EngineDriver(500 + i)));
    });
  });
});

afterAll(() => {
  const states = [...ALL_STATES].filter((s) => coveredStates.has(s));
  const transitions = [...ALL_TRANSITIONS].filter((t) => coveredTransitions.has(t));
  console.log(`model-based coverage: ${states.length}/${ALL_STATES.size} states, ${transitions.length}/${ALL_TRANSITIONS.size} transitions`);
  // Only meaningful when the whole file ran (a -t filter runs a subset).
  if (coveredStates.size > 0 && process.env.FC_PATH === undefined && !process.argv.some((a) => a === '-t' || a.startsWith('--testNamePattern'))) {
    expect([...ALL_STATES].filter((s) => !coveredStates.has(s)), 'states never reached').toEqual([]);
    expect([...ALL_TRANSITIONS].filter((t) => !coveredTransitions.has(t)), 'transitions never taken').toEqual([]);
  }
});
