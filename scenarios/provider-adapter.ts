// What the scenario runner needs from a replication provider, behind one interface: the
// controller's lifecycle operations, the RPO exposure the engine reports for an item, its backlog,
// the replica's recovery points with a way to compute each point's image hash (for the
// recovery-point-exact check against the guest oracle), and where each machine runs. Hyper-V
// Replica answers from its primary and replica sessions; InMage Scout from the unified agents and
// the master targets' retention journals. Reading state here never changes it (no kernel events).
import { ImageHash, type VirtualDisk, type World } from '../sim/index.js';
import { copyInterval, MICROS_PER_SECOND, type Direction, type Duration, type Instant } from '../model/index.js';
import {
  PrimarySession,
  ReplicaSession,
  SCOUT_AGENT_SERVICE,
  retentionVolumeId,
  type JobLog,
  type MasterTargetService,
  type OperationResult,
  type PlanKind,
  type PlanRun,
  type RecoveryPlan,
  type RecoveryTarget,
  type ScoutController,
} from '../engine/index.js';
import { buildHyperVLab, type HyperVLab } from './hyperv-lab.js';
import { buildScoutLab, type ScoutLab } from './scout-lab.js';
import { hashWith } from './checkers/image-match.js';
import type { MutableLabOptions } from './knobs.js';
import { scenarioPolicy, scenarioScoutModel } from './scenario-model.js';
import { scoutSection, type Scenario, type ScenarioOperation } from './schema.js';

type Done = (result: OperationResult) => void;

/** The lifecycle operations both controllers offer with the same signatures. */
export interface LifecycleController {
  readonly jobs: JobLog;
  stateOf(vmId: string): { value: string; direction: Direction; busy: boolean };
  hostsOf(vmId: string): { active: string; replica: string };
  enable(vmId: string, done: Done): void;
  plannedFailover(vmId: string, done: Done): void;
  commit(vmId: string, done: Done): void;
  reverseReplicate(vmId: string, done: Done): void;
  pause(vmId: string, done: Done): void;
  resume(vmId: string, done: Done): void;
  resync(vmId: string, done: Done): void;
}

/** One point the replica can recover to. `hashes` computes the image hash of each disk at the
 *  point (null when it cannot be computed now). */
export interface RecoveryPointView {
  readonly cutAt: number;
  readonly kind: string;
  readonly appConsistent: boolean;
  /** Hyper-V: an app-consistent point sits at the quiesce instant. Scout: a quiesced tag holds the
   *  image of the quiesce before it (the tag is inserted while the guest is held). */
  readonly quiesce: 'at-cut' | 'held-before-cut' | 'none';
  hashes(): string[] | null;
}

export interface ProviderCounters {
  logsApplied: number;
  bytesShipped: number;
  cyclesMissed: number;
  resyncs: number;
}

export interface ProviderAdapter {
  readonly world: World;
  readonly controller: LifecycleController;
  readonly vms: ReadonlyArray<{ readonly vmId: string; readonly primaryHost: string }>;
  /** The management service that starts and shuts down machines on a host. */
  readonly machineService: string;
  /** The Hyper-V lab, for Hyper-V-only features (recovery plans, test failover). */
  readonly hyperV: HyperVLab | null;
  readonly scout: ScoutLab | null;
  /** The exposure the engine reports now (time since the newest recoverable instant), or null. */
  exposureNow(vmId: string): number | null;
  /** Bytes captured on the source and not yet confirmed by the replica side. */
  backlogBytes(vmId: string): number;
  /** Cancels a failover (Hyper-V Replica only; other providers refuse, as a later event). */
  cancelFailover(vmId: string, done: Done): void;
  /** Cancels a resync before its merge (Hyper-V Replica only). */
  cancelResync(vmId: string, done: Done): void;
  /** Starts an unplanned failover; returns the cut of the point an operator chose, if any. */
  unplannedFailover(vmId: string, op: ScenarioOperation, done: Done): { chosenCut?: number };
  /** Starts a test failover on an isolated network from the point `op` names (latest if none). */
  testFailover(vmId: string, op: ScenarioOperation, done: Done): void;
  testCleanup(vmId: string, done: Done): void;
  /** Runs a recovery plan over the provider's items (the same plan statechart for both). */
  runRecoveryPlan(plan: RecoveryPlan, kind: PlanKind, onEnd: (run: PlanRun) => void): PlanRun;
  /** The points to verify now (empty when the replica is not in a state to be checked). */
  recoveryPoints(vmId: string): RecoveryPointView[];
  /** How far behind the reported exposure a recovered image may lawfully be. */
  readonly lossSlackMicros: number;
  /** The default RPO target of the liveness phase. */
  readonly rpoTargetMicros: number;
  counters(): ProviderCounters;
}

export function buildProviderAdapter(scenario: Scenario, options: MutableLabOptions): ProviderAdapter {
  return scenario.provider === 'inmage-scout' ? new ScoutAdapter(scenario, options) : new HyperVAdapter(scenario, options);
}

// --- Hyper-V Replica -------------------------------------------------------------------------------

class HyperVAdapter implements ProviderAdapter {
  readonly hyperV: HyperVLab;
  readonly scout = null;
  readonly world: World;
  readonly controller: LifecycleController;
  readonly vms: HyperVLab['vms'];
  readonly machineService = 'hvr';
  readonly lossSlackMicros: number;
  readonly rpoTargetMicros: number;
  private readonly lastSyncedCut = new Map<string, number>();

  constructor(scenario: Scenario, options: MutableLabOptions) {
    this.hyperV = buildHyperVLab(options);
    this.world = this.hyperV.world;
    this.controller = this.hyperV.controller;
    this.vms = this.hyperV.vms;
    this.lossSlackMicros = copyInterval(scenarioPolicy(scenario));
    this.rpoTargetMicros = 2 * this.lossSlackMicros + 120 * MICROS_PER_SECOND;
  }

  private primaryOf(vmId: string): PrimarySession | null {
    const { active } = this.hyperV.controller.hostsOf(vmId);
    if (this.world.host(active).state !== 'on') return null;
    const session = this.hyperV.services.get(active)?.sessionOf(vmId);
    return session instanceof PrimarySession ? session : null;
  }

  exposureNow(vmId: string): number | null {
    const primary = this.primaryOf(vmId);
    const cut = primary?.stats.lastSyncedCut ?? this.lastSyncedCut.get(vmId) ?? null;
    if (primary !== null && primary.stats.lastSyncedCut !== null) this.lastSyncedCut.set(vmId, primary.stats.lastSyncedCut);
    return cut === null ? null : Math.max(0, this.world.now() - cut);
  }

  backlogBytes(vmId: string): number {
    return this.primaryOf(vmId)?.logBytes() ?? 0;
  }

  private replicaSession(vmId: string, host: string): ReplicaSession | null {
    const session = this.hyperV.services.get(host)?.sessionOf(vmId);
    return session instanceof ReplicaSession ? session : null;
  }

  cancelFailover(vmId: string, done: Done): void {
    this.hyperV.controller.cancelFailover(vmId, done);
  }

  cancelResync(vmId: string, done: Done): void {
    this.hyperV.controller.cancelResync(vmId, done);
  }

  unplannedFailover(vmId: string, op: ScenarioOperation, done: Done): { chosenCut?: number } {
    const { replica } = this.controller.hostsOf(vmId);
    const points = this.replicaSession(vmId, replica)?.history.points() ?? [];
    const point = op.point === 'latest' ? undefined : points[Math.max(0, points.length - 1 - op.point)];
    this.hyperV.controller.unplannedFailover(vmId, { pointId: point?.id, shutDownAndSync: op.shutDownAndSync }, done);
    return point === undefined ? {} : { chosenCut: point.cutAt };
  }

  testFailover(vmId: string, op: ScenarioOperation, done: Done): void {
    const points = this.replicaSession(vmId, this.controller.hostsOf(vmId).replica)?.history.points() ?? [];
    const pointId = op.point === 'latest' ? undefined : points[Math.max(0, points.length - 1 - op.point)]?.id;
    this.hyperV.controller.testFailover(vmId, { pointId, network: 'isolated' }, done);
  }

  testCleanup(vmId: string, done: Done): void {
    this.hyperV.controller.testCleanup(vmId, done);
  }

  runRecoveryPlan(plan: RecoveryPlan, kind: PlanKind, onEnd: (run: PlanRun) => void): PlanRun {
    return this.hyperV.controller.runRecoveryPlan(plan, kind, onEnd);
  }

  recoveryPoints(vmId: string): RecoveryPointView[] {
    const { replica } = this.controller.hostsOf(vmId);
    const session = this.replicaSession(vmId, replica);
    if (session === null || session.isFailedOver) return [];
    const status = session.status;
    if (status.phase !== 'receiving' || !status.bulkComplete) return [];
    const disks = this.world.guest(vmId).truths.map((_, i) => this.world.disk(vmId, i, replica));
    return session.history.points().map((point) => ({
      cutAt: point.cutAt,
      kind: point.kind,
      appConsistent: point.appConsistent,
      quiesce: point.appConsistent ? 'at-cut' : 'none',
      hashes: () => {
        const restore = session.history.restoreWrites(point.id);
        return restore === null ? null : disks.map((disk, i) => hashWith(disk, restore, i));
      },
    }));
  }

  counters(): ProviderCounters {
    const counters: ProviderCounters = { logsApplied: 0, bytesShipped: 0, cyclesMissed: 0, resyncs: 0 };
    for (const service of this.hyperV.services.values()) {
      for (const vm of this.vms) {
        const session = service.sessionOf(vm.vmId);
        if (session instanceof ReplicaSession) counters.logsApplied += session.status.logsApplied;
        if (session instanceof PrimarySession) {
          counters.bytesShipped += session.stats.bytesShipped;
          counters.cyclesMissed += session.stats.cyclesMissed;
          counters.resyncs += session.stats.resyncs;
        }
      }
    }
    return counters;
  }
}

// --- InMage Scout ----------------------------------------------------------------------------------

/** Tags verified per item besides the newest and the latest consistent point. */
const TAG_SAMPLE_SIZE = 6;

class ScoutAdapter implements ProviderAdapter {
  readonly hyperV = null;
  readonly scout: ScoutLab;
  readonly world: World;
  readonly controller: ScoutController;
  readonly vms: ScoutLab['vms'];
  readonly machineService = SCOUT_AGENT_SERVICE;
  readonly lossSlackMicros: number;
  readonly rpoTargetMicros: number;
  private readonly lastConsistentAt = new Map<string, number>();

  constructor(scenario: Scenario, options: MutableLabOptions) {
    const model = scenarioScoutModel(scenario);
    const { topology: _ignored, policy: _hyperVPolicy, ...rest } = options;
    const section = scoutSection(scenario);
    const resyncWindow = section.resyncWindow === false ? null : { from: section.resyncWindow.from as Duration, to: section.resyncWindow.to as Duration };
    this.scout = buildScoutLab({ ...rest, topology: model.topology, policy: { ...model.policy, resyncWindow }, pollInterval: section.pollInterval });
    this.world = this.scout.world;
    this.controller = this.scout.controller;
    this.vms = this.scout.vms;
    this.lossSlackMicros = model.policy.crashTagInterval;
    this.rpoTargetMicros = model.policy.rpoThreshold;
  }

  /** The master target of the item's current direction, when its host is up. */
  /** The master target of the current direction, and the host holding the replica disks it
   *  writes (the secondary MT itself forward; the primary host in reverse). */
  private masterTargetOf(vmId: string): { host: string; service: MasterTargetService; replicaHost: string } | null {
    const path = this.controller.pathOf(vmId, this.controller.stateOf(vmId).direction);
    if (path === null || this.world.host(path.masterTarget).state !== 'on') return null;
    const service = this.scout.masterTargets.get(path.masterTarget);
    return service === undefined ? null : { host: path.masterTarget, service, replicaHost: path.target };
  }

  exposureNow(vmId: string): number | null {
    const consistentAt = this.masterTargetOf(vmId)?.service.statusOf(vmId)?.latestConsistentAt ?? null;
    if (consistentAt !== null) this.lastConsistentAt.set(vmId, consistentAt);
    const at = consistentAt ?? this.lastConsistentAt.get(vmId) ?? null;
    return at === null ? null : Math.max(0, this.world.now() - at);
  }

  backlogBytes(vmId: string): number {
    const path = this.controller.pathOf(vmId, this.controller.stateOf(vmId).direction);
    if (path === null || this.world.host(path.source).state !== 'on') return 0;
    const status = this.scout.agents.get(path.source)?.pairOf(vmId)?.status();
    return status === undefined ? 0 : status.bufferBytes + status.bitmapBlocks * this.world.options.blockSizeBytes;
  }

  cancelFailover(_vmId: string, done: Done): void {
    this.notSupported('cancel-failover', done);
  }

  cancelResync(_vmId: string, done: Done): void {
    this.notSupported('cancel-resync', done);
  }

  private notSupported(op: string, done: Done): void {
    this.world.kernel.schedule(0, 'scenario:refused', () => done({ ok: false, error: `${op} is not supported by inmage-scout`, job: null }));
  }

  unplannedFailover(vmId: string, op: ScenarioOperation, done: Done): { chosenCut?: number } {
    const { target, chosenCut } = this.recoveryTargetOf(vmId, op);
    this.controller.unplannedFailover(vmId, { target }, done);
    return chosenCut === undefined ? {} : { chosenCut };
  }

  /** The point an operation names: an instant, a tag by name (its newest tag), the n-th newest
   *  tag, or the latest instant. */
  private recoveryTargetOf(vmId: string, op: ScenarioOperation): { target: RecoveryTarget; chosenCut?: number } {
    if (op.instant !== undefined) return { target: { kind: 'instant', at: op.instant as Instant }, chosenCut: op.instant };
    const tags = this.masterTargetOf(vmId)?.service.tagsOf(vmId) ?? [];
    const named = tags.filter((t) => t.name === op.tag);
    const tag = op.tag !== undefined ? named[named.length - 1] : op.point === 'latest' ? undefined : tags[Math.max(0, tags.length - 1 - op.point)];
    const target: RecoveryTarget = op.tag !== undefined ? { kind: 'tag', name: op.tag } : tag !== undefined ? { kind: 'tag', name: tag.name } : { kind: 'latest' };
    return tag === undefined ? { target } : { target, chosenCut: tag.at };
  }

  testFailover(vmId: string, op: ScenarioOperation, done: Done): void {
    this.controller.testFailover(vmId, { target: this.recoveryTargetOf(vmId, op).target, network: 'isolated' }, done);
  }

  testCleanup(vmId: string, done: Done): void {
    this.controller.testCleanup(vmId, done);
  }

  runRecoveryPlan(plan: RecoveryPlan, kind: PlanKind, onEnd: (run: PlanRun) => void): PlanRun {
    return this.controller.runRecoveryPlan(plan, kind, onEnd);
  }

  recoveryPoints(vmId: string): RecoveryPointView[] {
    const mt = this.masterTargetOf(vmId);
    const state = this.controller.stateOf(vmId);
    if (mt === null || state.busy || state.value !== 'protected') return [];
    const status = mt.service.statusOf(vmId);
    if (status === null || status.applying || status.inResync || status.latestConsistentAt === null) return [];
    const spans = status.spans;
    const recoverable = (at: number) => at >= status.windowStart && spans.some(([from, to]) => from <= at && at <= to);
    const tags = mt.service.tagsOf(vmId).filter((t) => recoverable(t.at));
    const sampled = tags.filter((_, i) => i === tags.length - 1 || i % Math.max(1, Math.ceil(tags.length / TAG_SAMPLE_SIZE)) === 0);
    const views: RecoveryPointView[] = sampled.map((tag) => ({
      cutAt: tag.at,
      kind: `tag-${tag.kind}`,
      appConsistent: tag.kind === 'app' || tag.kind === 'group',
      quiesce: tag.kind === 'app' || tag.kind === 'group' ? 'held-before-cut' : 'none',
      hashes: () => this.hashesAt(vmId, mt, tag.at),
    }));
    const latest = status.latestConsistentAt;
    views.push({ cutAt: latest, kind: 'latest', appConsistent: false, quiesce: 'none', hashes: () => this.hashesAt(vmId, mt, latest) });
    return views;
  }

  /** The replica image at `at`: the current replica with every journaled undo newer than `at`
   *  put back, the oldest undo of each block winning (as the master target's roll-back does). */
  private hashesAt(vmId: string, mt: { host: string; service: MasterTargetService; replicaHost: string }, at: number): string[] | null {
    const index = mt.service.journalIndexOf(vmId);
    const volume = this.world.disks.get(retentionVolumeId(mt.host));
    if (index === null || volume === undefined) return null;
    const restored = new Map<number, Map<number, number>>();
    for (const entry of mt.service.journal.newerThan(index, at)) {
      let blocks = restored.get(entry.disk);
      if (blocks === undefined) restored.set(entry.disk, (blocks = new Map()));
      for (let b = 0; b < entry.count; b++) blocks.set(entry.start + b, volume.pristineId(entry.offset + b));
    }
    return this.world.guest(vmId).truths.map((_, i) => hashRestored(this.world.disk(vmId, i, mt.replicaHost), restored.get(i)));
  }

  counters(): ProviderCounters {
    const counters: ProviderCounters = { logsApplied: 0, bytesShipped: 0, cyclesMissed: 0, resyncs: 0 };
    for (const mt of this.scout.masterTargets.values()) {
      for (const vm of this.vms) counters.logsApplied += mt.statusOf(vm.vmId)?.batchesApplied ?? 0;
    }
    for (const agent of this.scout.agents.values()) {
      for (const vm of this.vms) {
        const pair = agent.pairOf(vm.vmId);
        if (pair === undefined) continue;
        counters.bytesShipped += pair.stats.bytesAcked;
        counters.resyncs += pair.stats.resyncs;
      }
    }
    return counters;
  }
}

function hashRestored(disk: VirtualDisk, blocks: ReadonlyMap<number, number> | undefined): string {
  const current = disk.imageHash();
  if (blocks === undefined) return current;
  const hash = new ImageHash();
  hash.laneA = parseInt(current.slice(0, 8), 16);
  hash.laneB = parseInt(current.slice(8, 16), 16);
  for (const [block, id] of blocks) hash.replace(block, disk.pristineId(block), id);
  return hash.toString();
}
