// The control plane of an InMage Scout deployment: the configuration server with vContinuum's
// operations (DOMAIN.md rules 16-24). It keeps the same user-visible lifecycle as Hyper-V Replica
// (the reference statechart of model/, as an xstate actor on the engine's clock), runs each
// operation as a job of management requests to the unified agents, process servers and master
// targets (through the job steps both providers share), and polls their status to notice a
// resync ending or becoming necessary, and to feed the configuration server's registry, RPO
// alerts and health. Failback goes through the primary-site master target and the DR-side
// process server; without them it is refused. Recovery plans and test failover run as they do
// for Hyper-V Replica: the same plan statechart, the same one-test-at-a-time lifecycle.
import { createActor, type Actor } from 'xstate';
import { assert, protectedItemLifecycle, seconds, type Direction, type Duration, type Instant, type LifecycleEvent, type ScoutPolicy } from '../../model/index.js';
import type { ManagementChannel, TimerId } from '../ports.js';
import { xstateClock } from './xstate-clock.js';
import { JobLog, type Job } from './jobs.js';
import { JobSteps, type StepResponse } from './job-steps.js';
import type { ControllerPorts, OperationResult } from './hyperv-controller.js';
import { TestFailoverTimers } from './test-failover-timers.js';
import { runPlanOn, type PlanKind, type PlanRun, type RecoveryPlan } from './recovery-plan.js';
import { ConfigurationServer } from '../providers/inmage-scout/configuration-server.js';
import type { ProcessServerStatus } from '../providers/inmage-scout/process-server.js';
import {
  SCOUT_AGENT_SERVICE,
  SCOUT_MT_SERVICE,
  SCOUT_PS_SERVICE,
  type AgentRequest,
  type MasterTargetRequest,
  type ProcessServerRequest,
  type RecoveryTarget,
} from '../providers/inmage-scout/requests.js';

export const SCOUT_STATUS_POLL_INTERVAL = seconds(60);
/** How long a planned failover waits for the final tag to reach the master target. */
export const FINAL_TAG_WAIT: Duration = seconds(3_600);

export interface ScoutProtectedVm {
  readonly vmId: string;
  /** The ESXi host (or physical server) the machine runs on at the primary site. */
  readonly primaryHost: string;
  readonly diskCount: number;
  readonly processServer: string;
  /** The secondary-site master target: its host holds the replica disks and boots the machine
   *  at recovery (the ESXi host of the master target's datastore). */
  readonly masterTarget: string;
  /** The DR-side process server and primary-site master target failback goes through. */
  readonly failback: { readonly processServer: string; readonly masterTarget: string } | null;
  readonly policy: ScoutPolicy;
  readonly autoResync: boolean;
}

interface Path {
  /** Where the machine runs and its agent captures. */
  readonly source: string;
  readonly processServer: string;
  readonly masterTarget: string;
  /** The host whose copy of the disks the master target writes, and where recovery boots. */
  readonly target: string;
}

interface Item {
  readonly vm: ScoutProtectedVm;
  readonly actor: Actor<typeof protectedItemLifecycle>;
  epoch: number;
  busy: boolean;
}

type Done = (result: OperationResult) => void;

/** A request and the Scout service that answers it: one job may ask the agent, the process
 *  server and the master target in turn, while JobSteps speaks to one service. */
interface Routed {
  readonly service: string;
  readonly request: AgentRequest | ProcessServerRequest | MasterTargetRequest;
}

const agent = (request: AgentRequest): Routed => ({ service: SCOUT_AGENT_SERVICE, request });
const processServer = (request: ProcessServerRequest): Routed => ({ service: SCOUT_PS_SERVICE, request });
const masterTarget = (request: MasterTargetRequest): Routed => ({ service: SCOUT_MT_SERVICE, request });

/** The management channel as JobSteps sees it: each request goes to the service it names. */
function routing(management: ManagementChannel): ManagementChannel {
  return { request: (host, _service, routed, done) => management.request(host, (routed as Routed).service, (routed as Routed).request, done) };
}

interface AgentPairView {
  readonly vmId: string;
  readonly phase: string;
  /** A resync the agent holds until the off-hours window (rule 22). */
  readonly resyncDeferred?: boolean;
}

interface MtPairView {
  readonly vmId: string;
  readonly latestConsistentAt: number | null;
}

export class ScoutController {
  private readonly items = new Map<string, Item>();
  readonly jobs: JobLog;
  readonly configurationServer = new ConfigurationServer();
  private pollTimer: TimerId | null = null;
  private readonly steps: JobSteps<Routed>;
  private readonly testTimers: TestFailoverTimers;

  constructor(
    private readonly ports: ControllerPorts,
    private readonly pollInterval: Duration = SCOUT_STATUS_POLL_INTERVAL,
  ) {
    this.jobs = new JobLog(() => ports.clock.now());
    // The service name is unused: each routed request names its own.
    this.steps = new JobSteps<Routed>(this.jobs, routing(ports.management), 'scout');
    this.testTimers = new TestFailoverTimers(ports.clock, ports.tracer);
  }

  register(vm: ScoutProtectedVm): void {
    assert(!this.items.has(vm.vmId), `${vm.vmId} registered twice`);
    const actor = createActor(protectedItemLifecycle, { clock: xstateClock(this.ports.clock) });
    actor.start();
    this.items.set(vm.vmId, { vm, actor, epoch: 0, busy: false });
    if (this.pollTimer === null) this.schedulePoll();
  }

  stateOf(vmId: string): { value: string; direction: Direction; busy: boolean; testing: boolean } {
    const item = this.item(vmId);
    const snapshot = item.actor.getSnapshot();
    return { value: topStateOf(item), direction: snapshot.context.direction, busy: item.busy, testing: snapshot.matches({ protected: 'testing' }) };
  }

  /** Where the machine runs (or will run) and where its replica disks are. */
  hostsOf(vmId: string): { active: string; replica: string } {
    const item = this.item(vmId);
    const forward = item.actor.getSnapshot().context.direction === 'forward';
    return forward ? { active: item.vm.primaryHost, replica: item.vm.masterTarget } : { active: item.vm.masterTarget, replica: item.vm.primaryHost };
  }

  /** The replication path of a direction: forward to the secondary MT, reverse to the primary MT. */
  pathOf(vmId: string, direction: Direction): Path | null {
    const vm = this.item(vmId).vm;
    if (direction === 'forward') return { source: vm.primaryHost, processServer: vm.processServer, masterTarget: vm.masterTarget, target: vm.masterTarget };
    if (vm.failback === null) return null;
    return { source: vm.masterTarget, processServer: vm.failback.processServer, masterTarget: vm.failback.masterTarget, target: vm.primaryHost };
  }

  private currentPath(vmId: string): Path {
    const path = this.pathOf(vmId, this.stateOf(vmId).direction);
    assert(path !== null, `${vmId} has no replication path in its current direction`);
    return path;
  }

  // --- operations ------------------------------------------------------------------------------

  /** vContinuum "protect": pairs created on the master target and process server, then the agent
   *  starts with a full resync (initial replication by block compare). */
  enable(vmId: string, done: Done): void {
    this.operation(vmId, 'enable-protection', 'ENABLE', done, (item, job, finish) => this.protect(item, job, finish, this.currentPath(vmId), 'full-resync', null, false));
  }

  /** Takes over a machine whose replica already holds its image (a capacity run starts from a
   *  steady state): differential replication at once. */
  adoptInSync(vmId: string, done: Done): void {
    this.operation(vmId, 'adopt-replication', 'ENABLE', done, (item, job, finish) => this.protect(item, job, finish, this.currentPath(vmId), 'in-sync', this.ports.clock.now(), false));
  }

  private protect(item: Item, job: Job, finish: (error: string | null) => void, path: Path, start: 'in-sync' | 'full-resync', inSyncAt: Instant | null, paused: boolean, then?: () => void): void {
    const { vm } = item;
    item.epoch++;
    const epoch = item.epoch;
    const targetDisks = Array.from({ length: vm.diskCount }, (_, i) => `${vm.vmId}/d${i}@${path.target}`);
    this.configurationServer.registerPair(vm.vmId, path.source, path.processServer, path.masterTarget);
    this.steps.chain(job, finish, [
      ['attach replica disks to the master target', path.masterTarget, masterTarget({ op: 'add-pair', vmId: vm.vmId, epoch, processServer: path.processServer, agentHost: path.source, targetDisks, policy: vm.policy, ...(inSyncAt !== null ? { inSyncAt } : {}) })],
      ['create the pair on the process server', path.processServer, processServer({ op: 'add-pair', vmId: vm.vmId, epoch, agentHost: path.source, masterTarget: path.masterTarget })],
      ['start the unified agent', path.source, agent({ op: 'protect', vmId: vm.vmId, epoch, processServer: path.processServer, masterTarget: path.masterTarget, policy: vm.policy, start, paused })],
    ], () => (then ?? (() => finish(null)))());
  }

  /** Planned failover (rule 24 with the source shut down first): the final tag is shipped, the
   *  master target recovers to it, and the reverse pair is set up in sync (paused until reverse
   *  replication is asked for) when the reverse path exists. */
  plannedFailover(vmId: string, done: Done): void {
    this.operation(vmId, 'planned-failover', 'PLANNED_FAILOVER', done, (item, job, finish) => {
      const direction = this.stateOf(vmId).direction;
      const path = this.currentPath(vmId);
      const { replica } = this.hostsOf(vmId);
      this.steps.chain(job, finish, [
        ['shut down the source machine', path.source, agent({ op: 'shutdown-vm', vmId })],
        ['ship the final tag', path.source, agent({ op: 'prepare-planned-failover', vmId })],
      ], (final) => {
        const { tag } = final as { tag: string; at: Instant };
        this.steps.chain(job, finish, [['recover to the final tag (readiness check, detach disks)', path.masterTarget, masterTarget({ op: 'recover', vmId, target: { kind: 'tag', name: tag }, waitMicros: FINAL_TAG_WAIT })]], (recovered) => {
          const { recoveredAt } = recovered as { recoveredAt: Instant };
          job.facts.recoveredAt = recoveredAt;
          job.facts.finalTag = tag;
          this.removePair(path, vmId, () => {
            const startVm = () => this.steps.chain(job, finish, [['boot the machine at the recovery site', replica, agent({ op: 'start-vm', vmId })]], () => finish(null));
            const reverse = this.pathOf(vmId, direction === 'forward' ? 'reverse' : 'forward');
            if (reverse === null) {
              this.ports.tracer.mark('planned-failover-without-reverse-path');
              return startVm();
            }
            this.protect(item, job, finish, reverse, 'in-sync', recoveredAt, true, startVm);
          });
        });
      });
    });
  }

  /** Unplanned failover / vContinuum recover: readiness check, power off the running copy first
   *  when it can be reached (split brain), recover to the latest point, the latest tag, a tag or
   *  an instant, detach the replica disks and boot the machine at the recovery site. */
  unplannedFailover(vmId: string, options: { target?: RecoveryTarget }, done: Done): void {
    this.operation(vmId, 'unplanned-failover', 'UNPLANNED_FAILOVER', done, (_item, job, finish) => {
      const path = this.currentPath(vmId);
      const { replica } = this.hostsOf(vmId);
      const target = options.target ?? { kind: 'latest-tag' };
      this.steps.step(job, 'power off the running copy', path.source, agent({ op: 'shutdown-vm', vmId }), () => {
        this.steps.chain(job, finish, [['recover the replica (readiness check, detach disks)', path.masterTarget, masterTarget({ op: 'recover', vmId, target })]], (recovered) => {
          const value = recovered as { recoveredAt: Instant; tag: string | null };
          job.facts.recoveredAt = value.recoveredAt;
          job.facts.cutAt = value.recoveredAt;
          job.facts.tag = value.tag;
          this.removePair(path, vmId, () => this.steps.chain(job, finish, [['boot the machine at the recovery site', replica, agent({ op: 'start-vm', vmId })]], () => finish(null)));
        });
      });
    });
  }

  commit(vmId: string, done: Done): void {
    this.operation(vmId, 'commit', 'COMMIT', done, (_item, _job, finish) => finish(null));
  }

  /** Reverse replication (re-protect): after a planned failover the reverse pair is already in
   *  sync and only resumes; after an unplanned one it starts with a full resync. Failback to the
   *  primary site needs its master target and a DR-side process server. */
  reverseReplicate(vmId: string, done: Done): void {
    this.operation(vmId, 'reverse-replicate', 'REVERSE_REPLICATE', done, (item, job, finish) => {
      const snapshot = item.actor.getSnapshot();
      const path = this.pathOf(vmId, snapshot.context.direction);
      if (path === null) return finish('failback needs a master target at the primary site and a process server on the DR side; none is configured');
      if (snapshot.context.lastFailover === 'planned') return this.steps.chain(job, finish, [['resume replication', path.source, agent({ op: 'resume', vmId })]], () => finish(null));
      this.protect(item, job, finish, path, 'full-resync', null, false);
    });
  }

  pause(vmId: string, done: Done): void {
    this.operation(vmId, 'pause', 'PAUSE', done, (_item, job, finish) =>
      this.steps.chain(job, finish, [['pause replication', this.currentPath(vmId).source, agent({ op: 'pause', vmId })]], () => finish(null)),
    );
  }

  resume(vmId: string, done: Done): void {
    this.operation(vmId, 'resume', 'RESUME', done, (_item, job, finish) =>
      this.steps.chain(job, finish, [['resume replication', this.currentPath(vmId).source, agent({ op: 'resume', vmId })]], () => finish(null)),
    );
  }

  /** The user's resync: it starts now, whatever the hour (rule 22 lets the user force it). */
  resync(vmId: string, done: Done): void {
    this.startResync(vmId, true, done);
  }

  /** An automatic resync (the item's autoResync): the agent holds a full resync until the
   *  policy's off-hours window, so it does not compete with the business day for the WAN. */
  private startResync(vmId: string, forced: boolean, done: Done): void {
    this.operation(vmId, 'resynchronize', 'RESYNC', done, (_item, job, finish) =>
      this.steps.chain(job, finish, [['start resynchronization', this.currentPath(vmId).source, agent({ op: 'start-resync', vmId, reason: forced ? 'manual' : 'automatic', forced })]], () => finish(null)),
    );
  }

  // --- test failover (rule 8's semantics for a Scout replica) ---------------------------------------

  /** Boots a test copy of the machine from a recovery point (the latest tag unless told) at the
   *  replica site, on an isolated network or none; the master target keeps applying the stream
   *  to the production replica and its retention journal meanwhile. One test at a time per
   *  machine; force-completed after 14 days as ASR does. */
  testFailover(vmId: string, options: { target?: RecoveryTarget; network?: 'none' | 'isolated' }, done: Done): void {
    this.operation(vmId, 'test-failover', 'TEST_FAILOVER', done, (item, job, finish) => {
      const path = this.currentPath(vmId);
      const target = options.target ?? { kind: 'latest-tag' };
      const request = masterTarget({ op: 'test-failover', vmId, target, network: options.network ?? 'isolated' });
      this.steps.chain(job, finish, [['create the test copy from a recovery point', path.masterTarget, request]], (point) => {
        const value = point as { recoveredAt: Instant; tag: string | null };
        job.facts.recoveredAt = value.recoveredAt;
        job.facts.tag = value.tag;
        this.testTimers.arm(vmId, () => this.testCleanup(vmId, () => undefined));
        finish(null);
      });
    });
  }

  /** Deletes the test copy: its writes are discarded with it. */
  testCleanup(vmId: string, done: Done): void {
    this.operation(vmId, 'test-failover-cleanup', 'TEST_CLEANUP', done, (item, job, finish) => {
      this.cancelTestTimer(item);
      this.steps.chain(job, finish, [['delete the test copy', this.currentPath(vmId).masterTarget, masterTarget({ op: 'test-cleanup', vmId })]], () => finish(null));
    });
  }

  private cancelTestTimer(item: Item): void {
    this.testTimers.cancel(item.vm.vmId);
  }

  // --- recovery plans (rule 14) --------------------------------------------------------------------

  /** Runs a recovery plan over Scout machines with the plan statechart Hyper-V Replica uses:
   *  groups in order, machines of a group in parallel, manual actions that pause the plan. An
   *  unplanned plan recovers each machine to its latest tag; a test plan boots test copies. */
  runRecoveryPlan(plan: RecoveryPlan, kind: PlanKind, onEnd?: (run: PlanRun) => void): PlanRun {
    return runPlanOn(this, this.ports.clock, this.ports.tracer, plan, kind, onEnd);
  }

  /** Whether `vmId` is one of this controller's protected items. */
  isProtectedItem(vmId: string): boolean {
    return this.items.has(vmId);
  }


  /** A common consistency point across a replication group (rule 20): quiesce every member,
   *  tag each with one name while all are held, thaw. A failed quiesce thaws all and fails. */
  groupTag(vmIds: readonly string[], name: string, done: (result: { ok: true; instants: Record<string, Instant> } | { ok: false; error: string }) => void): void {
    for (const vmId of vmIds) {
      // A member that no longer replicates (committed after a failover, no failback MT) has
      // no stream to tag: the request is refused, never half taken.
      if (!this.items.has(vmId) || this.pathOf(vmId, this.stateOf(vmId).direction) === null) {
        this.ports.tracer.mark('operation-refused');
        return done({ ok: false, error: `group tag "${name}": ${vmId} has no replication stream to tag` });
      }
    }
    const sources = vmIds.map((vmId) => ({ vmId, host: this.currentPath(vmId).source }));
    const thawAll = (then: () => void) => {
      let remaining = sources.length;
      for (const s of sources) this.steps.request(s.host, agent({ op: 'thaw', vmId: s.vmId }), () => --remaining === 0 && then());
    };
    let pending = sources.length;
    let failure: string | null = null;
    for (const s of sources) {
      this.steps.request(s.host, agent({ op: 'quiesce', vmId: s.vmId }), (response) => {
        if (!response.ok) failure = response.error;
        if (--pending > 0) return;
        if (failure !== null) {
          this.ports.tracer.mark('tag-group-quiesce-failed');
          return thawAll(() => done({ ok: false, error: failure! }));
        }
        const instants: Record<string, Instant> = {};
        let tagged = sources.length;
        for (const t of sources) {
          this.steps.request(t.host, agent({ op: 'tag', vmId: t.vmId, name, tagKind: 'group' }), (tagResponse) => {
            if (!tagResponse.ok) failure = tagResponse.error;
            else instants[t.vmId] = tagResponse.value as Instant;
            if (--tagged > 0) return;
            thawAll(() => {
              if (failure !== null) return done({ ok: false, error: failure });
              this.ports.tracer.mark('tag-group-common');
              done({ ok: true, instants });
            });
          });
        }
      });
    }
  }

  /** Tells the agent a disk of the machine was resized (a resync trigger, rule 22). */
  diskResized(vmId: string, done: (response: StepResponse) => void): void {
    this.steps.request(this.currentPath(vmId).source, agent({ op: 'disk-resized', vmId }), done);
  }

  private removePair(path: Path, vmId: string, then: () => void): void {
    this.steps.request(path.source, agent({ op: 'remove', vmId }), () => this.steps.request(path.processServer, processServer({ op: 'remove-pair', vmId }), () => then()));
  }

  // --- status watching -------------------------------------------------------------------------

  private schedulePoll(): void {
    this.pollTimer = this.ports.clock.setTimer(this.pollInterval, 'scout-status-poll', () => {
      this.poll();
      this.schedulePoll();
    });
  }

  /** One status request per server: agents of the active sides, process servers, master targets. */
  private poll(): void {
    const now = this.ports.clock.now();
    const agentHosts = new Set<string>();
    const psHosts = new Set<string>();
    const mtHosts = new Set<string>();
    for (const item of this.items.values()) {
      // The direction alone: stateOf would also match the test state, for every item every poll.
      const path = this.pathOf(item.vm.vmId, item.actor.getSnapshot().context.direction);
      if (path === null) continue;
      agentHosts.add(path.source);
      psHosts.add(path.processServer);
      mtHosts.add(path.masterTarget);
    }
    const agents = new Map<string, AgentPairView>();
    const mts = new Map<string, MtPairView>();
    let remaining = agentHosts.size + psHosts.size + mtHosts.size;
    const arrived = () => {
      if (--remaining > 0) return;
      this.configurationServer.evaluate(this.ports.clock.now());
      for (const item of this.items.values()) this.observe(item, agents, mts);
    };
    for (const host of agentHosts) {
      this.steps.request(host, agent({ op: 'status-all' }), (response) => {
        if (response.ok) {
          this.configurationServer.heartbeat(host, 'agent', now);
          for (const pair of response.value as AgentPairView[]) agents.set(`${host}|${pair.vmId}`, pair);
        }
        arrived();
      });
    }
    for (const host of psHosts) {
      this.steps.request(host, processServer({ op: 'status' }), (response) => {
        if (response.ok) {
          this.configurationServer.heartbeat(host, 'process-server', now);
          this.configurationServer.observeProcessServer(response.value as ProcessServerStatus);
        }
        arrived();
      });
    }
    for (const host of mtHosts) {
      this.steps.request(host, masterTarget({ op: 'status-all' }), (response) => {
        if (response.ok) {
          this.configurationServer.heartbeat(host, 'master-target', now);
          for (const pair of response.value as MtPairView[]) mts.set(`${host}|${pair.vmId}`, pair);
        }
        arrived();
      });
    }
  }

  private observe(item: Item, agents: ReadonlyMap<string, AgentPairView>, mts: ReadonlyMap<string, MtPairView>): void {
    // Every item at every poll: the state is read straight off the snapshot (stateOf would also
    // match the test state each time).
    const vmId = item.vm.vmId;
    const state = topStateOf(item);
    const path = this.pathOf(vmId, item.actor.getSnapshot().context.direction);
    if (path === null || item.busy) return;
    const agentPair = agents.get(`${path.source}|${vmId}`);
    const mt = mts.get(`${path.masterTarget}|${vmId}`);
    if (agentPair === undefined || mt === undefined) return;
    const consistentAt = mt.latestConsistentAt;
    this.configurationServer.observePair(vmId, agentPair.phase, consistentAt, this.ports.clock.now(), item.vm.policy.rpoThreshold);
    const send = (event: LifecycleEvent) => item.actor.send(event);
    const caughtUp = agentPair.phase === 'streaming' && consistentAt !== null;
    if (state === 'initialReplication' && caughtUp) send({ type: 'INITIAL_REPLICATION_DONE' });
    if (state === 'protected' && (agentPair.phase === 'bitmap' || agentPair.phase === 'resyncing')) {
      // Leaving `protected` ends a running test: its copy goes, as Hyper-V's does.
      if (this.stateOf(vmId).testing) this.discardTest(item, path);
      send({ type: 'RESYNC_REQUIRED' });
      this.ports.tracer.mark('controller-saw-resync-required');
    }
    if (state === 'resyncing' && caughtUp) send({ type: 'RESYNC_DONE' });
    if (topStateOf(item) !== 'resyncRequired' || !item.vm.autoResync) return;
    // A resync the agent holds for the off-hours window stays "resync required" until it starts.
    if (agentPair.resyncDeferred === true) return void this.ports.tracer.mark('resync-waits-for-off-hours');
    this.startResync(vmId, false, () => undefined);
  }

  private discardTest(item: Item, path: Path): void {
    this.cancelTestTimer(item);
    this.ports.tracer.mark('test-failover-ended-by-resync');
    this.steps.request(path.masterTarget, masterTarget({ op: 'test-cleanup', vmId: item.vm.vmId }), () => undefined);
  }

  // --- plumbing --------------------------------------------------------------------------------

  private operation(vmId: string, kind: string, event: LifecycleEvent['type'], done: Done, body: (item: Item, job: Job, finish: (error: string | null) => void) => void): void {
    const item = this.items.get(vmId);
    if (item === undefined) return done({ ok: false, error: `${vmId} is not a protected item`, job: null });
    if (item.busy) return done({ ok: false, error: `another job is running on ${vmId}`, job: null });
    if (!item.actor.getSnapshot().can({ type: event } as LifecycleEvent)) {
      this.ports.tracer.mark('operation-refused');
      return done({ ok: false, error: `${kind} is not allowed while ${vmId} is ${this.stateOf(vmId).value}`, job: null });
    }
    const job = this.jobs.start(kind, vmId);
    item.busy = true;
    const finish = (error: string | null) => {
      item.busy = false;
      if (error !== null) {
        this.jobs.finish(job, 'failed', error);
        this.ports.tracer.mark(`job-failed:${kind}`);
        return done({ ok: false, error, job });
      }
      item.actor.send({ type: event } as LifecycleEvent);
      this.jobs.finish(job, 'succeeded');
      this.ports.tracer.mark(`job-succeeded:${kind}`);
      done({ ok: true, job });
    };
    // Leaving `protected` ends a running test failover: its copy is deleted first, so a failover
    // never rolls back a replica a test copy still reads through.
    const testing = this.stateOf(vmId).testing && event !== 'TEST_CLEANUP' && event !== 'TEST_FAILOVER';
    if (!testing) return body(item, job, finish);
    this.cancelTestTimer(item);
    this.ports.tracer.mark('test-failover-cleaned-up-before-leaving-protected');
    const cleanup = masterTarget({ op: 'test-cleanup', vmId });
    this.steps.chain(job, finish, [['clean up the running test failover', this.currentPath(vmId).masterTarget, cleanup]], () => body(item, job, finish));
  }

  private item(vmId: string): Item {
    const item = this.items.get(vmId);
    assert(item !== undefined, `${vmId} is not a protected item`);
    return item;
  }
}

/** The item's top-level lifecycle state (its snapshot's value, or the parent of a nested one). */
function topStateOf(item: Item): string {
  const value = item.actor.getSnapshot().value;
  return typeof value === 'string' ? value : Object.keys(value)[0];
}
