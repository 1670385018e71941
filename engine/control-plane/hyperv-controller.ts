// The Site Recovery orchestrator for VMM-to-VMM Hyper-V Replica (DOMAIN.md rules 1, 7-12): it
// keeps the lifecycle of every protected item (the reference statechart of model/, run as an
// xstate actor on the engine's clock), runs operations as jobs made of management requests to
// the Hyper-V hosts, and watches replication status to notice initial replication ending and
// resync becoming necessary. It holds no data; everything it knows comes through ports.
// Cancelling (rules 7, 10, 11): a resync before its merge; a completed, uncommitted unplanned
// failover (its layer is discarded, another point may be chosen); a failover job still running
// before the replica failed over (replication is stopped on both sides: the item is unprotected).
import { createActor, type Actor } from 'xstate';
import { assert, protectedItemLifecycle, seconds, type Direction, type Duration, type HyperVReplicaPolicy, type Instant, type LifecycleEvent, type ReplicaConnection } from '../../model/index.js';
import type { Clock, ManagementChannel, Tracer } from '../ports.js';
import { xstateClock } from './xstate-clock.js';
import { JobLog, type Job } from './jobs.js';
import { JobSteps } from './job-steps.js';
import { TestFailoverTimers } from './test-failover-timers.js';
import { runPlanOn, type PlanKind, type PlanRun, type RecoveryPlan } from './recovery-plan.js';
import { HVR_SERVICE, type HvrRequest } from '../providers/hyperv-replica/requests.js';
import type { RecoveryPointInfo } from '../providers/hyperv-replica/recovery-history.js';
import { plantedBugs } from '../planted-bugs.js';

export const STATUS_POLL_INTERVAL = seconds(60);
/** Steady (protected) items are polled every 5th interval: every 5 minutes. */
export const STEADY_POLL_EVERY = 5;

export interface ProtectedVm {
  readonly vmId: string;
  readonly primaryHost: string;
  readonly secondaryHost: string;
  readonly policy: HyperVReplicaPolicy;
  /** Start a resync as soon as one is required (else an operator must). */
  readonly autoResync: boolean;
  /** What the replica VM is connected to when it starts after a failover (network mapping). */
  readonly replicaConnection?: ReplicaConnection;
}

/** A failover job in progress, as far as cancelling it is concerned (rule 11). */
interface RunningFailover {
  readonly job: Job;
  readonly done: Done;
  /** False once the replica failed over: from there the job only starts the VM. */
  cancellable: boolean;
}

interface Item {
  readonly vm: ProtectedVm;
  readonly actor: Actor<typeof protectedItemLifecycle>;
  epoch: number;
  busy: boolean;
  running: RunningFailover | null;
  /** An operator cancelled a resync: automatic resync waits until an operator resyncs again. */
  autoResyncHeld: boolean;
}

export type OperationResult = { ok: true; job: Job } | { ok: false; error: string; job: Job | null };
type Done = (result: OperationResult) => void;

export interface ControllerPorts {
  readonly clock: Clock;
  readonly tracer: Tracer;
  readonly management: ManagementChannel;
}

export class HyperVReplicaController {
  private readonly items = new Map<string, Item>();
  readonly jobs: JobLog;
  private pollTimer: ReturnType<Clock['setTimer']> | null = null;

  private readonly steps: JobSteps<HvrRequest>;
  private readonly testTimers: TestFailoverTimers;

  constructor(private readonly ports: ControllerPorts) {
    this.jobs = new JobLog(() => ports.clock.now());
    this.steps = new JobSteps<HvrRequest>(this.jobs, ports.management, HVR_SERVICE);
    this.testTimers = new TestFailoverTimers(ports.clock, ports.tracer);
  }

  register(vm: ProtectedVm): void {
    assert(!this.items.has(vm.vmId), `${vm.vmId} registered twice`);
    const actor = createActor(protectedItemLifecycle, { clock: xstateClock(this.ports.clock) });
    actor.start();
    this.items.set(vm.vmId, { vm, actor, epoch: 0, busy: false, running: null, autoResyncHeld: false });
    if (this.pollTimer === null) this.schedulePoll();
  }

  /** The lifecycle state the portal shows, e.g. `protected`, `failedOver`. */
  stateOf(vmId: string): { value: string; direction: Direction; busy: boolean; testing: boolean } {
    const item = this.item(vmId);
    const snapshot = item.actor.getSnapshot();
    const value = typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value)[0];
    return { value, direction: snapshot.context.direction, busy: item.busy, testing: snapshot.matches({ protected: 'testing' }) };
  }

  /** The host where the VM runs (or will run) and the host it replicates to. */
  hostsOf(vmId: string): { active: string; replica: string } {
    const item = this.item(vmId);
    const forward = item.actor.getSnapshot().context.direction === 'forward';
    return forward ? { active: item.vm.primaryHost, replica: item.vm.secondaryHost } : { active: item.vm.secondaryHost, replica: item.vm.primaryHost };
  }

  // --- operations ------------------------------------------------------------------------------

  enable(vmId: string, done: Done): void {
    this.operation(vmId, 'enable-protection', 'ENABLE', done, (item, job, finish) => {
      const { vm } = item;
      const start = startModeFor(vm.policy);
      // Protection starts from wherever the VM runs now (it may have been failed over before a
      // disable), towards the other site.
      const { active, replica } = this.hostsOf(vmId);
      item.epoch++;
      this.steps.chain(job, finish, [
        ['create replica VM', replica, { op: 'enable-replica', vmId, peerHost: active, epoch: item.epoch, policy: vm.policy }],
        ['start initial replication', active, { op: 'enable-primary', vmId, peerHost: replica, epoch: item.epoch, policy: vm.policy, start }],
      ], () => finish(null));
    });
  }

  /** Takes over a VM whose replica already holds its image (initial replication finished before
   *  the observed window: a capacity run starts from a steady state). Delta cycles start at once. */
  adoptInSync(vmId: string, done: Done): void {
    this.operation(vmId, 'adopt-replication', 'ENABLE', done, (item, job, finish) => {
      const { vm } = item;
      item.epoch++;
      const inSyncAt = this.ports.clock.now();
      this.steps.chain(job, finish, [
        ['register the replica VM', vm.secondaryHost, { op: 'enable-replica', vmId, peerHost: vm.primaryHost, epoch: item.epoch, policy: vm.policy, inSyncAt }],
        ['start delta replication', vm.primaryHost, { op: 'enable-primary', vmId, peerHost: vm.secondaryHost, epoch: item.epoch, policy: vm.policy, start: { kind: 'in-sync' } }],
      ], () => finish(null));
    });
  }

  plannedFailover(vmId: string, done: Done): void {
    this.operation(vmId, 'planned-failover', 'PLANNED_FAILOVER', done, (item, job, finish) => {
      this.trackFailover(item, job, done);
      const { active, replica } = this.hostsOf(vmId);
      const reversedEpoch = item.epoch + 1;
      this.steps.chain(job, finish, [
        ['shut down the primary VM', active, { op: 'shutdown-vm', vmId }],
        ['send the final changes', active, { op: 'prepare-planned-failover', vmId }],
      ], (finalCut) => {
        job.facts.finalCut = finalCut;
        this.steps.chain(job, finish, [
          ['fail over the replica', replica, { op: 'failover', vmId, pointId: null }],
        ], (point) => {
          this.pastPointOfNoReturn(item);
          job.facts.recoveryPoint = point;
          job.facts.network = item.vm.replicaConnection ?? { connected: false, reason: 'no network mapping' };
          item.epoch = reversedEpoch;
          // The direction reverses at once (DOMAIN.md rule 9): the old primary's disks become the
          // replica, already in sync, and the new primary tracks from before its VM starts.
          const [newSource, newTarget] = plantedBugs.has('reverse-replication-wrong-direction') ? [active, replica] : [replica, active];
          this.steps.chain(job, finish, [
            ['reverse the replication direction (old primary)', newTarget, { op: 'enable-replica', vmId, peerHost: newSource, epoch: reversedEpoch, policy: item.vm.policy, inSyncAt: finalCut as Instant }],
            ['reverse the replication direction (new primary)', newSource, { op: 'enable-primary', vmId, peerHost: newTarget, epoch: reversedEpoch, policy: item.vm.policy, start: { kind: 'in-sync' } }],
            ['pause until reverse replication is requested', newSource, { op: 'pause', vmId }],
            ['start the replica VM', replica, { op: 'start-vm', vmId }],
          ], () => finish(null));
        });
      });
    });
  }

  /** Unplanned failover to the latest point or `pointId` (DOMAIN.md rule 10). */
  unplannedFailover(vmId: string, options: { pointId?: number; shutDownAndSync?: boolean }, done: Done): void {
    this.operation(vmId, 'unplanned-failover', 'UNPLANNED_FAILOVER', done, (item, job, finish) => {
      this.trackFailover(item, job, done);
      const { active, replica } = this.hostsOf(vmId);
      this.steps.step(job, 'check that the primary VM is not running', active, { op: 'vm-running', vmId }, (running, reachable) => {
        if (reachable && running === true && !options.shutDownAndSync) return finish('the primary VM is running: refusing an unplanned failover (split brain)');
        const failOver = () =>
          // On a discardable layer until commit, so that it can be cancelled (DOMAIN.md rule 10).
          this.steps.chain(job, finish, [['fail over the replica', replica, { op: 'failover', vmId, pointId: options.pointId ?? null, discardable: true }]], (point) => {
            this.pastPointOfNoReturn(item);
            job.facts.recoveryPoint = point;
            job.facts.cutAt = (point as RecoveryPointInfo).cutAt;
            job.facts.network = item.vm.replicaConnection ?? { connected: false, reason: 'no network mapping' };
            // Replication stops; the old primary's session is removed if its host answers.
            this.steps.request(active, { op: 'remove', vmId }, () => {
              this.steps.chain(job, finish, [['start the replica VM', replica, { op: 'start-vm', vmId }]], () => finish(null));
            });
          });
        if (!reachable || !options.shutDownAndSync) return failOver();
        // Best effort: shut down and send the latest changes; failures are ignored.
        this.steps.request(active, { op: 'shutdown-vm', vmId }, () => this.steps.request(active, { op: 'prepare-planned-failover', vmId }, () => failOver()));
      });
    });
  }

  /** Commit (rule 10): the failed-over VM's layer merges and the extra recovery points go. A
   *  replica host that does not answer may be partitioned from VMM while it runs the failed-over
   *  VM on its layer, so the commit fails and stays to be retried: reporting it done would let
   *  the portal show a committed failover whose layer and extra points still exist (a host that
   *  restarted meanwhile answers the retry: its failed-over session commits with no layer). */
  commit(vmId: string, done: Done): void {
    this.operation(vmId, 'commit', 'COMMIT', done, (_item, job, finish) => {
      const { replica } = this.hostsOf(vmId);
      this.steps.chain(job, finish, [['merge the failover layer and remove the other recovery points', replica, { op: 'commit-failover', vmId }]], () => finish(null));
    });
  }

  /** Cancel a failover. While its job runs and the replica has not failed over yet (rule 11):
   *  the job ends cancelled and replication is stopped on both hosts, so the item is unprotected
   *  and needs enabling again. After an unplanned failover completed, before commit (rule 10):
   *  the VM is shut down and its layer discarded; another point may then be failed over to. */
  cancelFailover(vmId: string, done: Done): void {
    const item = this.items.get(vmId);
    if (item?.running != null) return this.cancelRunningFailover(item, item.running, done);
    this.operation(vmId, 'cancel-failover', 'CANCEL_FAILOVER', done, (_item, job, finish) => {
      const { replica } = this.hostsOf(vmId);
      this.steps.chain(job, finish, [
        ['shut down the failed-over VM', replica, { op: 'shutdown-vm', vmId }],
        ['discard the failover layer', replica, { op: 'cancel-failover', vmId }],
      ], () => {
        this.ports.tracer.mark('failover-cancelled');
        finish(null);
      });
    });
  }

  private cancelRunningFailover(item: Item, running: RunningFailover, done: Done): void {
    const vmId = item.vm.vmId;
    // Answers go out as later events: neither caller is ever called back from inside this call.
    const later = (answer: () => void) => this.ports.clock.setTimer(seconds(0), 'failover-cancel-answer', answer);
    if (!running.cancellable || !item.actor.getSnapshot().can({ type: 'CANCEL_FAILOVER_JOB' })) {
      this.ports.tracer.mark('operation-refused');
      later(() => done({ ok: false, error: `the ${running.job.kind} of ${vmId} is past its point of no return (the replica failed over): let it finish, then cancel the failover`, job: null }));
      return;
    }
    item.running = null;
    this.jobs.finish(running.job, 'cancelled', 'cancelled by the operator');
    this.ports.tracer.mark('failover-job-cancelled');
    later(() => running.done({ ok: false, error: `${running.job.kind} was cancelled`, job: running.job }));
    // Replication was stopped before the failover (rule 11): stop it on both hosts. A host that
    // does not answer is down; its session is already not replicating.
    const job = this.jobs.start('cancel-failover-job', vmId);
    const { active, replica } = this.hostsOf(vmId);
    const stop = (name: string, host: string, next: () => void) =>
      this.steps.step(job, name, host, { op: 'remove', vmId }, (_value, reachable) => {
        if (!reachable) this.ports.tracer.mark('cancel-cleanup-host-unreachable');
        next();
      });
    stop('stop replication on the primary', active, () =>
      stop('stop replication on the replica', replica, () => {
        item.busy = false;
        item.actor.send({ type: 'CANCEL_FAILOVER_JOB' });
        this.jobs.finish(job, 'succeeded');
        this.ports.tracer.mark('job-succeeded:cancel-failover-job');
        done({ ok: true, job });
      }),
    );
  }

  /** The failover job `job` may be cancelled until the replica has failed over. */
  private trackFailover(item: Item, job: Job, done: Done): void {
    item.running = { job, done, cancellable: true };
  }

  private pastPointOfNoReturn(item: Item): void {
    if (item.running !== null) item.running.cancellable = false;
  }

  /** Reverse replication (DOMAIN.md rule 12): delta after a planned failover, a block-compare
   *  resync of the old primary's disks after an unplanned one. */
  reverseReplicate(vmId: string, done: Done): void {
    this.operation(vmId, 'reverse-replicate', 'REVERSE_REPLICATE', done, (item, job, finish) => {
      const snapshot = item.actor.getSnapshot();
      // After COMMIT the direction already names the new active site.
      const { active, replica } = this.hostsOf(vmId);
      if (snapshot.context.lastFailover === 'planned') {
        return this.steps.chain(job, finish, [['resume replication', active, { op: 'resume', vmId }]], () => finish(null));
      }
      item.epoch++;
      const [source, target] = plantedBugs.has('reverse-replication-wrong-direction') ? [replica, active] : [active, replica];
      this.steps.chain(job, finish, [
        ['prepare the old primary as replica', target, { op: 'enable-replica', vmId, peerHost: source, epoch: item.epoch, policy: item.vm.policy }],
        ['resynchronise from the active VM', source, { op: 'enable-primary', vmId, peerHost: target, epoch: item.epoch, policy: item.vm.policy, start: { kind: 'initial', bulk: 'compare' } }],
      ], () => finish(null));
    });
  }

  /** Disables protection (DOMAIN.md rule 15): replication stops on both hosts; with
   *  deleteReplicaOnDisable the replica VM and its settings are deleted too. */
  disable(vmId: string, done: Done): void {
    this.operation(vmId, 'disable-protection', 'DISABLE', done, (item, job, finish) => {
      const { active, replica } = this.hostsOf(vmId);
      const removeReplica = item.vm.policy.deleteReplicaOnDisable;
      this.steps.chain(job, finish, [['stop replication on the primary', active, { op: 'remove', vmId }]], () => {
        if (!removeReplica) {
          // The replica VM is kept (replicaDeletion not required), detached from replication.
          return this.steps.chain(job, finish, [['detach the replica VM', replica, { op: 'remove', vmId }]], () => finish(null));
        }
        this.ports.tracer.mark('replica-deleted-on-disable');
        this.steps.chain(job, finish, [['delete the replica VM and its settings', replica, { op: 'remove', vmId }]], () => finish(null));
      });
    });
  }

  /** Test failover (DOMAIN.md rule 8): a test VM from a recovery point on the replica host,
   *  isolated; production replication goes on. Force-completed after 14 days. */
  testFailover(vmId: string, options: { pointId?: number; network?: 'none' | 'isolated' }, done: Done): void {
    this.operation(vmId, 'test-failover', 'TEST_FAILOVER', done, (_item, job, finish) => {
      const { replica } = this.hostsOf(vmId);
      this.steps.chain(job, finish, [['create the test VM from a recovery point', replica, { op: 'test-failover', vmId, pointId: options.pointId ?? null, network: options.network ?? 'none' }]], (point) => {
        job.facts.recoveryPoint = point;
        this.testTimers.arm(vmId, () => this.testCleanup(vmId, () => undefined));
        finish(null);
      });
    });
  }

  testCleanup(vmId: string, done: Done): void {
    this.operation(vmId, 'test-failover-cleanup', 'TEST_CLEANUP', done, (_item, job, finish) => {
      this.testTimers.cancel(vmId);
      this.steps.chain(job, finish, [['delete the test VM', this.hostsOf(vmId).replica, { op: 'test-cleanup', vmId }]], () => finish(null));
    });
  }

  pause(vmId: string, done: Done): void {
    this.operation(vmId, 'pause', 'PAUSE', done, (_item, job, finish) =>
      this.steps.chain(job, finish, [['pause replication', this.hostsOf(vmId).active, { op: 'pause', vmId }]], () => finish(null)),
    );
  }

  resume(vmId: string, done: Done): void {
    this.operation(vmId, 'resume', 'RESUME', done, (_item, job, finish) =>
      this.steps.chain(job, finish, [['resume replication', this.hostsOf(vmId).active, { op: 'resume', vmId }]], () => finish(null)),
    );
  }

  resync(vmId: string, done: Done): void {
    this.operation(vmId, 'resynchronize', 'RESYNC', done, (item, job, finish) => {
      item.autoResyncHeld = false;
      this.steps.chain(job, finish, [['start resynchronization', this.hostsOf(vmId).active, { op: 'start-resync', vmId }]], () => finish(null));
    });
  }

  /** Cancel a resync before its merge (rule 7): back to Resync Required; the next resync starts
   *  from zero. Automatic resync holds off until an operator resyncs (else it would undo this). */
  cancelResync(vmId: string, done: Done): void {
    this.operation(vmId, 'cancel-resync', 'CANCEL_RESYNC', done, (item, job, finish) =>
      this.steps.chain(job, finish, [['cancel the resynchronization', this.hostsOf(vmId).active, { op: 'cancel-resync', vmId }]], () => {
        item.autoResyncHeld = true;
        this.ports.tracer.mark('resync-cancelled');
        finish(null);
      }),
    );
  }

  // --- recovery plans ----------------------------------------------------------------------------

  /** Runs a recovery plan (DOMAIN.md rule 14); `onEnd` gets the finished run. */
  runRecoveryPlan(plan: RecoveryPlan, kind: PlanKind, onEnd?: (run: PlanRun) => void): PlanRun {
    return runPlanOn(this, this.ports.clock, this.ports.tracer, plan, kind, onEnd);
  }

  /** Whether `vmId` is one of this controller's protected items. */
  isProtectedItem(vmId: string): boolean {
    return this.items.has(vmId);
  }


  // --- status watching -------------------------------------------------------------------------

  /** Items in a transition (initial replication, resync) are watched every interval; steady
   *  ones every STEADY_POLL_EVERY intervals, which is all a portal needs to notice a resync. */
  private schedulePoll(): void {
    this.pollTimer = this.ports.clock.setTimer(STATUS_POLL_INTERVAL, 'status-poll', () => {
      this.pollRound++;
      const steadyToo = this.pollRound % STEADY_POLL_EVERY === 0;
      for (const item of this.items.values()) if (steadyToo || this.stateOf(item.vm.vmId).value !== 'protected') this.poll(item);
      this.schedulePoll();
    });
  }

  private pollRound = 0;

  private poll(item: Item): void {
    if (item.busy) return;
    const state = this.stateOf(item.vm.vmId).value;
    if (!['initialReplication', 'protected', 'resyncing', 'resyncRequired'].includes(state)) return;
    this.steps.request(this.hostsOf(item.vm.vmId).active, { op: 'status', vmId: item.vm.vmId }, (response) => {
      if (!response.ok || item.busy) return;
      const phase = (response.value as { phase: string }).phase;
      this.observe(item, state, phase);
    });
  }

  private observe(item: Item, state: string, phase: string): void {
    const send = (event: LifecycleEvent) => item.actor.send(event);
    if (phase === 'resync-required' && state !== 'resyncRequired') {
      if (item.actor.getSnapshot().matches({ protected: 'testing' })) {
        this.steps.request(this.hostsOf(item.vm.vmId).replica, { op: 'test-cleanup', vmId: item.vm.vmId }, () => undefined);
      }
      send({ type: 'RESYNC_REQUIRED' });
      this.ports.tracer.mark('controller-saw-resync-required');
    }
    if (phase === 'replicating' && state === 'initialReplication') send({ type: 'INITIAL_REPLICATION_DONE' });
    if (phase === 'replicating' && state === 'resyncing') send({ type: 'RESYNC_DONE' });
    if (this.stateOf(item.vm.vmId).value === 'resyncRequired' && item.vm.autoResync && !item.autoResyncHeld) {
      this.resync(item.vm.vmId, () => undefined);
    }
  }

  // --- plumbing --------------------------------------------------------------------------------

  private operation(
    vmId: string,
    kind: string,
    event: LifecycleEvent['type'],
    done: Done,
    body: (item: Item, job: Job, finish: (error: string | null) => void) => void,
  ): void {
    const item = this.items.get(vmId);
    if (item === undefined) return done({ ok: false, error: `${vmId} is not a protected item`, job: null });
    const snapshot = item.actor.getSnapshot();
    if (item.busy) return done({ ok: false, error: `another job is running on ${vmId}`, job: null });
    if (!snapshot.can({ type: event } as LifecycleEvent)) {
      this.ports.tracer.mark('operation-refused');
      return done({ ok: false, error: `${kind} is not allowed while ${vmId} is ${this.stateOf(vmId).value}`, job: null });
    }
    const job = this.jobs.start(kind, vmId);
    item.busy = true;
    const finish = (error: string | null) => {
      if (job.status === 'cancelled') return; // the cancel already answered and cleans up
      if (item.running?.job === job) item.running = null;
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
    // Leaving `protected` ends a running test failover: its test VM is cleaned up first, so the
    // portal never shows a test that no longer exists (or misses one that does).
    const testing = snapshot.matches({ protected: 'testing' }) && event !== 'TEST_CLEANUP' && event !== 'TEST_FAILOVER';
    if (!testing) return body(item, job, finish);
    this.testTimers.cancel(vmId);
    this.ports.tracer.mark('test-failover-cleaned-up-before-leaving-protected');
    this.steps.chain(job, finish, [['clean up the running test failover', this.hostsOf(vmId).replica, { op: 'test-cleanup', vmId }]], () => body(item, job, finish));
  }

  private item(vmId: string): Item {
    const item = this.items.get(vmId);
    assert(item !== undefined, `${vmId} is not a protected item`);
    return item;
  }
}

function startModeFor(policy: HyperVReplicaPolicy): { kind: 'initial'; bulk: 'full' | 'compare' | 'media'; delay?: Duration; shippingDelay?: Duration } {
  switch (policy.initialReplication.method) {
    case 'network-now':
      return { kind: 'initial', bulk: 'full' };
    case 'network-scheduled':
      return { kind: 'initial', bulk: 'full', delay: policy.initialReplication.startDelay };
    case 'existing-vm':
      return { kind: 'initial', bulk: 'compare' };
    case 'offline-media':
      return { kind: 'initial', bulk: 'media', shippingDelay: policy.initialReplication.shippingDelay };
  }
}
