// Runs one scenario with one seed: builds the lab, plays the timeline of operations and faults
// during the safety phase, heals every fault, runs the liveness phase until the deployment is
// healthy again (or the bound passes), then checks the named invariants and the scenario's
// expectations, and returns the run record reports render.
import {
  MICROS_PER_SECOND,
  hours,
  type Instant,
  type InvariantId,
  type JobRecord,
  type RunRecord,
  type RunViolation,
  type Verdict,
} from '../model/index.js';
import { PrimarySession, type OperationResult } from '../engine/index.js';
import { describeFault, randomFaultPlan, sortFaultPlan, type Fault, type FaultPlanEntry, type Guest, type World } from '../sim/index.js';
import type { HyperVLab } from './hyperv-lab.js';
import { scenarioPolicy, scenarioTopology, scenarioWorkload } from './scenario-model.js';
import { isFault, isGroupTag, isOperation, isPlanEvent, scoutSection, type Scenario, type ScenarioFault, type ScenarioGroupTag, type ScenarioOperation, type ScenarioPlanEvent } from './schema.js';
import type { PlanRun, RecoveryPlan } from '../engine/index.js';
import { TOLERATED_FAULT_KINDS } from './tolerated-faults.js';
import { contentOf, matchNear, matchingInstant } from './checkers/image-match.js';
import { buildProviderAdapter, type ProviderAdapter } from './provider-adapter.js';
import { Telemetry } from './telemetry.js';
import { KNOBS, type MutableLabOptions } from './knobs.js';

export interface RunOptions {
  readonly seed?: number;
  readonly file?: string | null;
  readonly captureTrace?: boolean;
  /** Wall clock for the record's wallSeconds (cli passes performance.now). */
  readonly wallClock?: () => number;
}

const SAMPLE_INTERVAL = 60 * MICROS_PER_SECOND;
const seconds = (micros: number) => Math.round((micros / MICROS_PER_SECOND) * 1000) / 1000;

interface FailoverContext {
  readonly kind: 'planned' | 'unplanned';
  readonly at: number;
  readonly exposureMicros: number | null;
  readonly fromHost: string;
  /** The cut of the older recovery point an operator chose (absent: the latest). */
  readonly chosenCut?: number;
  job?: number;
}

export class ScenarioRun {
  /** The provider behind the run (Hyper-V Replica or InMage Scout). */
  readonly adapter: ProviderAdapter;
  readonly world: World;
  readonly violations: RunViolation[] = [];
  private readonly failovers = new Map<string, FailoverContext>();
  /** VMs whose failover was cancelled: their next boot on the same host is a new failover. */
  private readonly cancelledFailovers = new Set<string>();
  private readonly losses = new Map<number, { seconds: number; writes: number }>();
  private readonly pendingLoss: Array<{ vm: string; seconds: number; writes: number }> = [];
  readonly telemetry: Telemetry;
  private maxSkew = 0;
  readonly seed: number;

  constructor(
    readonly scenario: Scenario,
    readonly options: RunOptions = {},
  ) {
    this.seed = options.seed ?? scenario.seed;
    const labOptions: MutableLabOptions = {
      seed: this.seed,
      topology: scenarioTopology(scenario),  // Scout: the adapter builds its own from the scenario
      blockSizeBytes: scenario.blockSize,
      workload: scenarioWorkload(scenario),
      tick: scenario.workload.tick as never,
      policy: scenarioPolicy(scenario),
      autoResync: scenario.policy.autoResync,
      captureTrace: options.captureTrace,
    };
    for (const knob of scenario.knobs) {
      const error = KNOBS[knob.name]?.apply(knob.value, labOptions);
      if (error !== null && error !== undefined) throw new Error(`knob ${knob.name}: ${error}`); // the loader refused it already
    }
    this.adapter = buildProviderAdapter(scenario, labOptions);
    this.world = this.adapter.world;
    this.telemetry = new Telemetry(this.adapter, SAMPLE_INTERVAL);
    for (const guest of this.world.guests.values()) guest.onStart = (g, host, previous) => this.guestStarted(g, host, previous);
  }

  /** The Hyper-V lab of a Hyper-V run (the replica checker of scenarios/verify watches it). */
  get lab(): HyperVLab {
    if (this.adapter.hyperV === null) throw new Error(`scenario ${this.scenario.name} runs ${this.scenario.provider}, not hyperv-replica`);
    return this.adapter.hyperV;
  }

  private violate(invariant: RunViolation['invariant'], item: string, message: string): void {
    this.violations.push({ invariant, item, atSeconds: seconds(this.world.now()), message });
  }

  // --- the timeline ----------------------------------------------------------------------------

  private schedule(): void {
    const { world } = this;
    const operations = this.scenario.timeline.filter(isOperation);
    const explicitEnable = new Set(operations.filter((o) => o.op === 'enable').map((o) => o.vm));
    world.startGuests();
    for (const vm of this.adapter.vms) {
      if (!explicitEnable.has(vm.vmId)) this.operate({ at: 0, op: 'enable', vm: vm.vmId, point: 'latest', shutDownAndSync: false, on: 'active', expect: 'ok' });
    }
    for (const op of operations) world.kernel.scheduleAt(op.at as Instant, 'scenario:operation', () => this.operate(op));
    for (const event of this.scenario.timeline.filter(isPlanEvent)) world.kernel.scheduleAt(event.at as Instant, 'scenario:recovery-plan', () => this.runPlan(event));
    for (const event of this.scenario.timeline.filter(isGroupTag)) world.kernel.scheduleAt(event.at as Instant, 'scenario:group-tag', () => this.groupTag(event));
    const plan = this.faultPlan();
    world.applyFaults(plan);
    for (const entry of plan) if (entry.fault.kind === 'clock-skew') this.maxSkew = Math.max(this.maxSkew, Math.abs(entry.fault.offset));
    this.telemetry.start(plan.map((e) => ({ atSeconds: seconds(e.at), kind: e.fault.kind, description: describeFault(e.fault), phase: 'inject' as const })));
  }

  private faultPlan(): FaultPlanEntry[] {
    const timed = this.scenario.timeline.filter(isFault).map((e) => ({ at: e.at as Instant, fault: toFault(e) }));
    const random = this.scenario.randomFaults;
    const drawn =
      random === undefined
        ? []
        : randomFaultPlan(this.world.random.fork('scenario-faults'), {
            horizon: this.scenario.duration as never,
            intensity: random.intensity,
            kinds: random.kinds === 'swarm' ? TOLERATED_FAULT_KINDS : random.kinds.filter((k) => TOLERATED_FAULT_KINDS.includes(k)),
            known: { ...this.world.faultUniverse(), disks: [] },
          });
    return sortFaultPlan([...timed, ...drawn]) as FaultPlanEntry[];
  }

  private operate(op: ScenarioOperation): void {
    const { controller } = this.adapter;
    const done = (result: OperationResult) => this.operationDone(op, result);
    const hosts = controller.hostsOf(op.vm);
    switch (op.op) {
      case 'enable':
        return controller.enable(op.vm, done);
      case 'planned-failover':
        this.failovers.set(op.vm, { kind: 'planned', at: this.world.now(), exposureMicros: 0, fromHost: hosts.active });
        return controller.plannedFailover(op.vm, done);
      case 'unplanned-failover': {
        const context: FailoverContext = { kind: 'unplanned', at: this.world.now(), exposureMicros: this.telemetry.exposureNow(op.vm), fromHost: hosts.active };
        this.failovers.set(op.vm, context);
        const { chosenCut } = this.adapter.unplannedFailover(op.vm, op, done);
        if (chosenCut !== undefined) this.failovers.set(op.vm, { ...context, chosenCut });
        return;
      }
      case 'commit':
        return controller.commit(op.vm, done);
      case 'reverse-replicate':
        return controller.reverseReplicate(op.vm, done);
      case 'pause':
        return controller.pause(op.vm, done);
      case 'resume':
        return controller.resume(op.vm, done);
      case 'resync':
        return controller.resync(op.vm, done);
      case 'shutdown-vm':
        return this.world.management.request(op.on === 'active' ? hosts.active : this.oldPrimaryOf(op.vm), this.adapter.machineService, { op: 'shutdown-vm', vmId: op.vm }, () => undefined);
      case 'start-vm':
        if (op.on === 'old-primary') {
          // An administrator boots the old copy (no engine API does): a split brain.
          if (!this.world.startStaleCopy(op.vm, this.oldPrimaryOf(op.vm))) this.violate('expectation', op.vm, `start-vm on the old primary at ${seconds(op.at)}s: the host is down, or the VM runs there`);
          return;
        }
        return this.world.management.request(hosts.active, this.adapter.machineService, { op: 'start-vm', vmId: op.vm }, () => undefined);
      case 'edit-vhd-offline': {
        // An administrator mounts the VHD on the host and changes a few blocks while the VM is off.
        const guest = this.world.guest(op.vm);
        if (guest.runningOn !== null) return this.violate('expectation', op.vm, `edit-vhd-offline at ${seconds(op.at)}s: the VM is running`);
        return guest.editOffline(hosts.active, 0, 0, 8, () => undefined);
      }
      case 'test-failover': {
        return this.adapter.testFailover(op.vm, op, done);
      }
      case 'test-cleanup':
        return this.adapter.testCleanup(op.vm, (result) => {
          this.checkTestIsolation(op.vm);
          done(result);
        });
      case 'cancel-failover':
        return this.adapter.cancelFailover(op.vm, (result) => {
          if (result.ok) {
            // Cancelled in flight, the VM never booted: the pending check goes. After a completed
            // failover the VM was shut down and its writes there are gone: it is its image on the
            // active site again, and booting it on the replica host again is another failover.
            this.failovers.delete(op.vm);
            if (result.job.kind === 'cancel-failover') {
              this.cancelledFailovers.add(op.vm);
              const guest = this.world.guest(op.vm);
              guest.truths.forEach((truth, i) => truth.rebase(this.world.now(), contentOf(this.world.disk(op.vm, i, hosts.active))));
            }
          }
          done(result);
        });
      case 'cancel-resync':
        return this.adapter.cancelResync(op.vm, done);
    }
  }

  // --- recovery plans --------------------------------------------------------------------------

  /** The host of the VM's pair where it does not run now: its primary before the last failover. */
  private oldPrimaryOf(vmId: string): string {
    const { active, replica } = this.adapter.controller.hostsOf(vmId);
    return this.world.guest(vmId).runningOn === active ? replica : active;
  }

  private readonly planRuns = new Map<string, PlanRun>();

  private runPlan(event: ScenarioPlanEvent): void {
    const spec = this.scenario.recoveryPlans.find((p) => p.name === event.plan)!;
    if (event.action === 'acknowledge') {
      const acknowledged = this.planRuns.get(event.plan)?.acknowledge() ?? false;
      if (!acknowledged && event.expect === 'ok') this.violate('expectation', event.plan, `no manual action of plan ${event.plan} was waiting at ${seconds(event.at)}s`);
      return;
    }
    const plan: RecoveryPlan = {
      name: spec.name,
      groups: spec.groups.map((g) => ({
        items: g.vms,
        pre: g.pre.map(toPlanAction),
        post: g.post.map(toPlanAction),
      })),
    };
    const kind = event.action === 'planned-failover' ? 'planned' : event.action === 'unplanned-failover' ? 'unplanned' : 'test';
    for (const item of plan.groups.flatMap((g) => g.items)) {
      const hosts = this.adapter.controller.hostsOf(item);
      if (kind !== 'test') this.failovers.set(item, { kind, at: this.world.now(), exposureMicros: kind === 'planned' ? 0 : this.telemetry.exposureNow(item), fromHost: hosts.active });
    }
    const run = this.adapter.runRecoveryPlan(plan, kind, (finished) => {
      const ok = finished.job.status === 'succeeded';
      if (event.expect === 'ok' && !ok) this.violate('expectation', event.plan, `recovery plan ${event.plan} (${kind}) ended ${finished.status()}: ${finished.job.error ?? ''}`);
      if (event.expect === 'refused' && ok) this.violate('expectation', event.plan, `recovery plan ${event.plan} (${kind}) was expected to fail but succeeded`);
    });
    this.planRuns.set(event.plan, run);
  }

  /** test-failover-isolation: no id a test VM wrote is on a replica or primary disk. */
  private checkTestIsolation(vmId: string): void {
    const world = this.world;
    for (const disk of world.disks.values()) {
      for (const [block, id] of disk.writtenBlocks()) {
        if (world.testWriteIds.has(id)) {
          this.violate('test-failover-isolation', vmId, `block ${block} of ${disk.deviceId} holds a write of a test VM`);
          return;
        }
      }
    }
  }

  /** InMage Scout: a common consistency point across a replication group. */
  private groupTag(event: ScenarioGroupTag): void {
    const group = scoutSection(this.scenario).groups.find((g) => g.id === event.group)!;
    this.adapter.scout!.controller.groupTag(group.vms, event.groupTag, (result) => {
      if (event.expect === 'ok' && !result.ok) this.violate('expectation', event.group, `group tag "${event.groupTag}" at ${seconds(event.at)}s failed: ${result.error}`);
      if (event.expect === 'refused' && result.ok) this.violate('expectation', event.group, `group tag "${event.groupTag}" at ${seconds(event.at)}s was expected to fail but succeeded`);
    });
  }

  private operationDone(op: ScenarioOperation, result: OperationResult): void {
    if (op.expect === 'ok' && !result.ok) this.violate('expectation', op.vm, `${op.op} at ${op.at / MICROS_PER_SECOND}s failed: ${result.error}`);
    if (op.expect === 'refused' && result.ok) this.violate('expectation', op.vm, `${op.op} at ${op.at / MICROS_PER_SECOND}s was expected to be refused but succeeded`);
    if (result.ok && result.job !== null) {
      const loss = this.pendingLoss.findIndex((l) => l.vm === op.vm);
      if (loss >= 0) {
        this.losses.set(result.job.id, this.pendingLoss[loss]);
        this.pendingLoss.splice(loss, 1);
      }
    }
  }

  // --- checks at the moment a VM boots elsewhere -----------------------------------------------

  private guestStarted(guest: Guest, host: string, previous: string | null): void {
    const context = this.failovers.get(guest.vmId);
    const again = this.cancelledFailovers.has(guest.vmId) && previous === host;
    if (previous === null || (previous === host && !again) || context === undefined) return;
    this.failovers.delete(guest.vmId);
    this.cancelledFailovers.delete(guest.vmId);
    const world = this.world;
    const hashes = guest.truths.map((_, i) => world.disk(guest.vmId, i, host).imageHash());
    if (context.kind === 'planned') {
      const equal = guest.truths.every((truth, i) => truth.imageHash() === hashes[i]);
      const vm = this.adapter.vms.find((v) => v.vmId === guest.vmId)!;
      const invariant: InvariantId = host === vm.primaryHost ? 'failback-zero-loss' : 'planned-failover-zero-loss';
      if (!equal) this.violate(invariant, guest.vmId, `after the planned failover to ${host} the disks differ from what the guest wrote before shutdown`);
      return;
    }
    if (context.chosenCut !== undefined) {
      // An older point chosen on purpose: the image must be the source image at that point's cut.
      const slack = this.maxSkew + MICROS_PER_SECOND;
      const at = matchNear(guest.truths, hashes, context.chosenCut, slack);
      if (at === null) this.violate('recovery-point-exact', guest.vmId, `the recovered image on ${host} is not the source image at the chosen point's cut ${seconds(context.chosenCut)}s`);
      else {
        const lostWrites = guest.truths.reduce((sum, truth) => sum + countAcknowledgedBetween(truth, at, context.at), 0);
        this.pendingLoss.push({ vm: guest.vmId, seconds: seconds(context.at - at), writes: lostWrites });
        this.telemetry.lostWrites += lostWrites;
      }
      guest.truths.forEach((truth, i) => truth.rebase(world.now(), contentOf(world.disk(guest.vmId, i, host))));
      return;
    }
    // Unplanned: the image must be the source image at one instant, and the time lost must not
    // exceed the exposure the engine reported when the failure happened.
    const exposure = context.exposureMicros ?? Number.POSITIVE_INFINITY;
    const window = Number.isFinite(exposure) ? exposure + 2 * this.adapter.lossSlackMicros + this.maxSkew : hours(48);
    // The guest may have written until the failover shut it down ("shut down and sync"): the
    // recovered image may be as new as the last write before it booted here.
    const end = world.now();
    const t0 = matchingInstant(guest.truths, hashes, context.at - window, end);
    if (t0 === null) {
      this.violate('unplanned-loss-bounded', guest.vmId, `the recovered image on ${host} is not the source image at any instant in the ${window / MICROS_PER_SECOND}s before the failure`);
    } else {
      const lostMicros = Math.max(0, context.at - t0);
      const lostWrites = guest.truths.reduce((sum, truth) => sum + countAcknowledgedBetween(truth, t0, end), 0);
      this.pendingLoss.push({ vm: guest.vmId, seconds: seconds(lostMicros), writes: lostWrites });
      this.telemetry.lostWrites += lostWrites;
      if (lostMicros > exposure + this.maxSkew + MICROS_PER_SECOND) {
        this.violate('unplanned-loss-bounded', guest.vmId, `lost ${seconds(lostMicros)}s of writes but the engine reported an exposure of ${seconds(exposure)}s`);
      }
    }
    // The guest now sees the recovered image: that is the truth from here on.
    guest.truths.forEach((truth, i) => truth.rebase(world.now(), contentOf(world.disk(guest.vmId, i, host))));
  }

  // --- phases ----------------------------------------------------------------------------------

  run(): RunRecord {
    const wall = this.options.wallClock ?? (() => 0);
    const wallStart = wall();
    let crash: string | undefined;
    let safetyEnd = 0;
    try {
      this.schedule();
      this.world.run(this.scenario.duration as Instant);
      safetyEnd = this.world.now();
      this.world.healAll();
      this.liveness();
      this.checkRecoveryPoints();
      if (this.world.testWriteIds.size > 0) this.checkTestIsolation('*');
      this.checkExpectations();
    } catch (error) {
      crash = error instanceof Error ? `${error.name}: ${error.message}\n${(error.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(error);
    }
    return this.record(crash, safetyEnd, wall() - wallStart);
  }

  private liveness(): void {
    const world = this.world;
    const deadline = world.now() + this.scenario.expect.healedWithin;
    const step = 60 * MICROS_PER_SECOND;
    while (world.now() < deadline) {
      world.run(Math.min(deadline, world.now() + step) as Instant);
      if (this.healthy()) return;
    }
    for (const vm of this.adapter.vms) {
      const problem = this.unhealthy(vm.vmId);
      if (problem !== null) this.violate('liveness', vm.vmId, `${problem} ${seconds(this.scenario.expect.healedWithin)}s after the faults healed`);
    }
  }

  private healthy(): boolean {
    return this.adapter.vms.every((vm) => this.unhealthy(vm.vmId) === null);
  }

  /** Why an item is not healthy yet, or null. */
  private unhealthy(vmId: string): string | null {
    const expected = this.scenario.expect.finalState[vmId];
    const state = this.adapter.controller.stateOf(vmId);
    if (expected !== undefined) return state.value === expected && !state.busy ? null : `state is ${state.value}, expected ${expected}`;
    if (state.value !== 'protected') return `state is ${state.value}, not protected`;
    const exposure = this.telemetry.exposureNow(vmId);
    const target = this.rpoTargetMicros();
    if (exposure === null) return 'no recovery point yet';
    if (exposure > target) return `RPO exposure ${seconds(exposure)}s is above the target ${seconds(target)}s`;
    return null;
  }

  rpoTargetMicros(): number {
    return this.scenario.expect.rpoMax ?? this.adapter.rpoTargetMicros;
  }

  /** recovery-point-exact: every retained point (for Scout: a sample of the tags and the latest
   *  consistent point in the retention journal) equals the source image at its instant. */
  private checkRecoveryPoints(): void {
    const world = this.world;
    for (const vm of this.adapter.vms) {
      const guest = world.guest(vm.vmId);
      const slack = this.maxSkew + MICROS_PER_SECOND;
      for (const point of this.adapter.recoveryPoints(vm.vmId)) {
        const hashes = point.hashes();
        if (hashes === null) continue;
        const at = matchNear(guest.truths, hashes, point.cutAt, slack);
        this.telemetry.recordPoint(vm.vmId, point, at !== null);
        if (at === null) this.violate('recovery-point-exact', vm.vmId, `recovery point ${point.kind} (cut at ${seconds(point.cutAt)}s) is not the source image at that instant`);
        else if (!this.quiesced(guest, point.quiesce, point.cutAt, slack)) this.violate('recovery-point-exact', vm.vmId, `app-consistent point (${point.kind}, cut at ${seconds(point.cutAt)}s) does not hold a VSS quiesce image`);
      }
    }
  }

  /** An app-consistent point holds the image of a quiesce: at its cut (Hyper-V), or the newest
   *  quiesce before it with no write in between (a Scout tag is inserted while the guest is held). */
  private quiesced(guest: Guest, quiesce: 'at-cut' | 'held-before-cut' | 'none', cutAt: number, slack: number): boolean {
    if (quiesce === 'none') return true;
    if (quiesce === 'at-cut') return guest.quiesceInstants.some((q) => Math.abs(q - cutAt) <= slack);
    const before = guest.quiesceInstants.filter((q) => q <= cutAt + slack);
    const q = before[before.length - 1];
    return q !== undefined && guest.truths.every((truth) => truth.oracle.imageHashAt(q) === truth.oracle.imageHashAt(cutAt));
  }

  private checkExpectations(): void {
    for (const vm of this.adapter.vms) {
      const expected = this.scenario.expect.finalState[vm.vmId];
      if (expected !== undefined && this.adapter.controller.stateOf(vm.vmId).value !== expected) {
        this.violate('expectation', vm.vmId, `final state ${this.adapter.controller.stateOf(vm.vmId).value}, expected ${expected}`);
      }
    }
    if (this.scenario.expect.dataLoss === 'none' && this.telemetry.lostWrites > 0) {
      this.violate('expectation', '*', `${this.telemetry.lostWrites} acknowledged writes were lost but the scenario expects no data loss`);
    }
  }

  // --- the record ------------------------------------------------------------------------------

  private record(crash: string | undefined, safetyEnd: number, wallMillis: number): RunRecord {
    const world = this.world;
    const marks = [...world.tracer.marks().keys()];
    const marksMissing = this.scenario.expect.marks.filter((m) => !world.tracer.reached(m));
    const correctness = this.violations.some((v) => v.invariant !== 'liveness') || marksMissing.length > 0;
    const verdict: Verdict = crash !== undefined ? 'crash' : correctness ? 'correctness' : this.violations.length > 0 ? 'liveness' : 'pass';
    const file = this.options.file ?? null;
    const jobs: JobRecord[] = this.adapter.controller.jobs.all().map((job) => ({
      id: job.id,
      kind: job.kind,
      item: job.target,
      status: job.status,
      startSeconds: seconds(job.startedAt),
      endSeconds: job.endedAt === null ? null : seconds(job.endedAt),
      ...(job.error !== undefined ? { error: job.error } : {}),
      steps: job.steps.map((s) => ({ name: s.name, startSeconds: seconds(s.startedAt), endSeconds: s.endedAt === null ? null : seconds(s.endedAt), status: s.status })),
      ...(job.kind === 'planned-failover' && job.status === 'succeeded' ? { dataLossSeconds: 0, dataLossWrites: 0 } : {}),
      ...(this.losses.has(job.id) ? { dataLossSeconds: this.losses.get(job.id)!.seconds, dataLossWrites: this.losses.get(job.id)!.writes } : {}),
    }));
    const missingViolations: RunViolation[] = marksMissing.map((m) => ({ invariant: 'expectation', item: '*', atSeconds: seconds(world.now()), message: `coverage mark "${m}" was never reached` }));
    return {
      scenario: this.scenario.name,
      description: this.scenario.description,
      file,
      seed: this.seed,
      verdict,
      traceHash: world.traceHash(),
      violations: [...this.violations, ...missingViolations],
      metrics: this.telemetry.metrics(wallMillis / 1000),
      marks,
      marksMissing,
      replay: `npx lab run ${file ?? `--builtin ${this.scenario.name}`} --seed ${this.seed}`,
      items: this.telemetry.itemSeries(),
      links: this.telemetry.linkSeries(),
      recoveryPoints: this.telemetry.points(),
      jobs,
      faults: this.telemetry.faultRecords(),
      ...(crash !== undefined ? { diagnosis: { crash } } : {}),
      phases: { safetyEndSeconds: seconds(safetyEnd), livenessEndSeconds: seconds(world.now()) },
      rpoTargetSeconds: seconds(this.rpoTargetMicros()),
    };
  }
}

function countAcknowledgedBetween(truth: Guest['truths'][number], from: number, to: number): number {
  let count = 0;
  const oracle = truth.oracle;
  for (let i = oracle.changeCount - 1; i >= 0; i--) {
    const change = oracle.changeAt(i);
    if (change.at <= from) break;
    if (change.at <= to && change.kind === 'acknowledged-write') count++;
  }
  return count;
}

function toPlanAction(action: Scenario['recoveryPlans'][number]['groups'][number]['pre'][number]): RecoveryPlan['groups'][number]['pre'] extends readonly (infer A)[] | undefined ? A : never {
  return 'script' in action ? { kind: 'script', name: action.script, duration: action.duration as never, fails: action.fails } : { kind: 'manual', name: action.manual };
}

function toFault(event: ScenarioFault): Fault {
  const forMicros = (event.for ?? hours(1)) as never;
  const probability = event.probability ?? 0.1;
  const asRatio = { numerator: Math.round(probability * 1_000_000), denominator: 1_000_000 };
  const link = event.link ?? 'wan';
  switch (event.fault) {
    case 'partition':
      return { kind: 'partition', siteA: event.between![0], siteB: event.between![1], direction: event.direction };
    case 'clog':
      return { kind: 'clog', link, duration: forMicros };
    case 'loss':
      return { kind: 'loss', link, ratio: asRatio, duration: forMicros };
    case 'duplication':
      return { kind: 'duplication', link, ratio: asRatio, duration: forMicros };
    case 'reordering':
      return { kind: 'reordering', link, ratio: asRatio, extraDelayMax: (event.offset ?? 5_000_000) as never, duration: forMicros };
    case 'corruption':
      return { kind: 'corruption', link, ratio: asRatio, duration: forMicros };
    case 'throttle':
      return { kind: 'throttle', link, bandwidthBitsPerSecond: event.bandwidth ?? 1e6, duration: forMicros };
    case 'host-crash':
      return { kind: 'host-crash', host: event.host!, ...(event.restartAfter !== undefined ? { restartAfter: event.restartAfter as never } : {}) };
    case 'power-loss':
      return { kind: 'power-loss', host: event.host!, ...(event.restartAfter !== undefined ? { restartAfter: event.restartAfter as never } : {}) };
    case 'latent-sector-error':
      return { kind: 'latent-sector-error', disk: `${event.vm}/d${event.disk}@${event.host}`, block: 0 };
    case 'bit-rot':
      return { kind: 'bit-rot', disk: `${event.vm}/d${event.disk}@${event.host}`, block: 0 };
    case 'clock-skew':
      return { kind: 'clock-skew', host: event.host!, offset: event.offset ?? 60_000_000 };
  }
}

export { PrimarySession };
