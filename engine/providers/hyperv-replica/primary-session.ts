// The primary side of one protected VM (DOMAIN.md rules 1-3, 5-7, 9): tracks every write of
// the VM's disks into the current log, closes and ships the log every copy interval (one log in
// flight at a time: an overrunning transfer delays the next cycle and counts it missed), runs
// initial replication and resync as bulk copies, requires resync when the logs outgrow half of
// the VM's VHD size, and prepares a planned failover by shipping the final log.
import { MICROS_PER_HOUR, MiB, assert, copyInterval, seconds, type Duration, type Instant } from '../../../model/index.js';
import type { Payload, TimerId } from '../../ports.js';
import { Retransmitter } from '../../data-plane/retransmitter.js';
import { plantedBugs } from '../../planted-bugs.js';
import { BulkCopy } from './bulk-copy.js';
import { ChangeLog, type LogColumns } from './change-log.js';
import { CycleWindow, evaluateHealth, type Health } from './health.js';
import type { HvrMessage } from './messages.js';
import type { PersistedSession, SessionConfig, SessionContext } from './session-context.js';

/** Logs past this fraction of the VM's total VHD size force a resync (numbers table row 4). */
export const HRL_RESYNC_FRACTION = 0.5;
export const LOG_CHUNK_BYTES_MAX = 16 * MiB;
/** Assumed throughput before the first acknowledgement measures one (10 Mbps). */
const RATE_BYTES_PER_SECOND_INITIAL = 1.25 * MiB;

export type PrimaryPhase =
  | 'waiting-initial-replication'
  | 'initial-replication'
  | 'replicating'
  | 'resync-required'
  | 'resyncing'
  | 'paused'
  | 'preparing-failover'
  | 'prepared-for-failover'
  | 'stopped';

export type StartMode =
  | { readonly kind: 'initial'; readonly bulk: 'full' | 'compare' | 'media'; readonly delay?: Duration; readonly shippingDelay?: Duration }
  /** Both sides already hold the same image (reverse replication after a planned failover). */
  | { readonly kind: 'in-sync' }
  | { readonly kind: 'restored'; readonly state: Extract<PersistedSession, { role: 'primary' }> };

interface Shipping {
  readonly log: ChangeLog;
  readonly chunkCount: number;
  readonly sentAt: Instant;
  readonly bytes: number;
}

export interface PrimaryStats {
  cycles: number;
  cyclesMissed: number;
  logsShipped: number;
  bytesShipped: number;
  /** The primary-clock instant of the newest log the replica confirmed applied. */
  lastSyncedCut: Instant | null;
  resyncs: number;
}

export class PrimarySession {
  private phase: PrimaryPhase = 'initial-replication';
  private phaseBeforePause: PrimaryPhase = 'replicating';
  private current: ChangeLog | null = null;
  /** The columns of the last log the replica applied, for the next log to reuse. */
  private spareColumns: LogColumns | null = null;
  private shipping: Shipping | null = null;
  private nextSeq = 1;
  private generation = 0;
  private bulk: BulkCopy | null = null;
  private cycleTimer: TimerId | null = null;
  private detachers: Array<() => void> = [];
  private readonly retx: Retransmitter;
  private readonly vhdBytesTotal: number;
  private rateBytesPerSecond = RATE_BYTES_PER_SECOND_INITIAL;
  private prepareDone: ((result: { ok: true; finalCut: Instant } | { ok: false; error: string }) => void) | null = null;
  resyncReason: string | null = null;
  private readonly cycleWindow = new CycleWindow();
  private sendFailures = 0;
  private lastSyncedAt: Instant | null = null;
  readonly stats: PrimaryStats = { cycles: 0, cyclesMissed: 0, logsShipped: 0, bytesShipped: 0, lastSyncedCut: null, resyncs: 0 };

  constructor(
    private readonly ctx: SessionContext,
    readonly config: SessionConfig,
    private readonly mode: StartMode,
  ) {
    this.retx = new Retransmitter(ctx.ports.clock, (frame, left) => ctx.sendToPeer(frame, left), (_key, attempts) => {
      ctx.ports.tracer.mark('retransmit');
      this.sendFailures = Math.max(this.sendFailures, attempts - 1);
    });
    let total = 0;
    for (let d = 0; d < config.diskCount; d++) total += ctx.device(d).blockCount * ctx.device(d).blockSizeBytes;
    this.vhdBytesTotal = total;
  }

  /** Starts replication; `durable` runs once the session's state is on the host volume (an
   *  enable job must not report success for a session a host crash would forget). */
  start(durable: () => void = () => undefined): void {
    const mode = this.mode;
    if (mode.kind === 'restored') {
      this.restore(mode.state);
      return durable();
    }
    this.startTracking();
    if (mode.kind === 'in-sync') {
      this.phase = 'replicating';
      this.persist(durable);
      this.scheduleCycle();
      return;
    }
    if (mode.delay !== undefined && mode.delay > 0) {
      this.phase = 'waiting-initial-replication';
      this.persist(durable);
      this.ctx.ports.clock.setTimer(mode.delay, 'scheduled-initial-replication', () => {
        if (this.phase !== 'waiting-initial-replication') return;
        this.ctx.ports.tracer.mark('scheduled-initial-replication-started');
        this.startBulk('initial-replication', mode.bulk);
      });
      return;
    }
    this.startBulk('initial-replication', mode.bulk, durable);
  }

  private restore(state: Extract<PersistedSession, { role: 'primary' }>): void {
    this.nextSeq = state.nextSeq;
    this.generation = state.generation;
    if (state.phase === 'prepared-for-failover') {
      this.phase = 'prepared-for-failover';
      return;
    }
    if (state.logOpen) {
      // The host went down with the log open: it was not closed cleanly (DOMAIN.md rule 6).
      this.requireResync('log-not-closed-cleanly');
      return;
    }
    this.phase = state.phase === 'resync-required' ? 'resync-required' : 'paused';
    this.resyncReason = state.phase === 'resync-required' ? 'restored' : null;
  }

  // --- change tracking -------------------------------------------------------------------------

  private startTracking(): void {
    this.stopTracking();
    this.current = new ChangeLog(this.nextSeq++, this.ctx.ports.clock.now());
    for (let d = 0; d < this.config.diskCount; d++) {
      const disk = d;
      this.detachers.push(this.ctx.device(d).attachObserver({ onWrite: (start, payload) => this.track(disk, start, payload) }));
    }
  }

  private stopTracking(): void {
    for (const detach of this.detachers) detach();
    this.detachers = [];
    this.current = null;
  }

  private track(disk: number, start: number, payload: Payload): void {
    const log = this.current;
    if (log === null) return;
    if (this.phase === 'initial-replication' && plantedBugs.has('untracked-writes-during-initial-replication')) return;
    if (!this.ctx.ports.hypervisor.isGuestWriting(this.config.vmId)) {
      // Not the guest: the VHD was changed while the VM was off (DOMAIN.md rule 6).
      this.ctx.ports.tracer.mark('vhd-changed-while-off');
      this.requireResync('vhd-changed-while-off');
      return;
    }
    log.append(this.ctx.ports.codec, disk, start, payload);
    if (this.logBytes() > HRL_RESYNC_FRACTION * this.vhdBytesTotal) {
      this.ctx.ports.tracer.mark('hrl-overflow');
      this.requireResync('hrl-overflow');
    }
  }

  /** Bytes of .hrl logs held on the primary volume. */
  logBytes(): number {
    return (this.current?.sizeBytes ?? 0) + (this.shipping?.log.sizeBytes ?? 0);
  }

  // --- bulk copies -----------------------------------------------------------------------------

  private startBulk(phase: 'initial-replication' | 'resyncing', mode: 'full' | 'compare' | 'media', durable: () => void = () => undefined): void {
    this.phase = phase;
    this.generation++;
    this.persist(durable);
    this.bulk = new BulkCopy(this.ctx, this.retx, this.generation, mode, this.config.diskCount, this.config.policy.compression, () => this.current!.seq, () =>
      this.bulkDone(phase),
    );
    if (mode === 'media') {
      this.bulk.vmId = this.config.vmId;
      this.bulk.peerHost = this.config.peerHost;
      this.bulk.shippingDelay = this.mode.kind === 'initial' ? (this.mode.shippingDelay ?? (0 as Duration)) : (0 as Duration);
    }
    this.bulk.start();
  }

  private bulkDone(phase: 'initial-replication' | 'resyncing'): void {
    this.bulk = null;
    this.ctx.ports.tracer.mark(phase === 'initial-replication' ? 'initial-replication-complete' : 'resync-complete');
    this.phase = 'replicating';
    this.persist();
    this.closeAndShip(false); // the writes tracked during the copy go at once
    this.scheduleCycle();
  }

  // --- delta cycles ----------------------------------------------------------------------------

  private scheduleCycle(): void {
    if (this.cycleTimer !== null) this.ctx.ports.clock.cancelTimer(this.cycleTimer);
    this.cycleTimer = this.ctx.ports.clock.setTimer(copyInterval(this.config.policy), 'replication-cycle', () => {
      this.cycleTimer = null;
      this.cycle();
    });
  }

  private cycle(): void {
    if (this.phase === 'stopped' || this.phase === 'prepared-for-failover' || this.phase === 'resync-required') return;
    this.scheduleCycle();
    if (this.phase !== 'replicating') return;
    this.stats.cycles++;
    this.cycleWindow.record(this.ctx.ports.clock.now(), this.shipping !== null);
    if (this.shipping !== null) {
      this.stats.cyclesMissed++;
      this.ctx.ports.tracer.mark('cycle-missed');
      return;
    }
    if (this.wantsAppConsistentPoint()) this.quiesceAndShip();
    else this.closeAndShip(false);
  }

  /** Every k-th hourly point is app-consistent: the first cut of such an hour takes VSS. */
  private wantsAppConsistentPoint(): boolean {
    const { appConsistentFrequencyHours: k, additionalRecoveryPoints } = this.config.policy;
    if (k === 0 || additionalRecoveryPoints === 0 || this.current === null) return false;
    const hour = Math.floor(this.ctx.ports.clock.now() / MICROS_PER_HOUR);
    const previousHour = this.stats.lastSyncedCut === null ? -1 : Math.floor(this.stats.lastSyncedCut / MICROS_PER_HOUR);
    return hour > previousHour && hour % k === 0;
  }

  private quiesceAndShip(): void {
    const hypervisor = this.ctx.ports.hypervisor;
    hypervisor.quiesce(this.config.vmId, (ok) => {
      if (this.phase !== 'replicating' || this.shipping !== null) {
        hypervisor.thaw(this.config.vmId);
        return;
      }
      this.ctx.ports.tracer.mark(ok ? 'vss-snapshot' : 'vss-failed');
      this.closeAndShip(ok);
      hypervisor.thaw(this.config.vmId);
    });
  }

  private closeAndShip(appConsistent: boolean): void {
    const log = this.current;
    assert(log !== null && this.shipping === null, 'closeAndShip: nothing to close or a log is in flight');
    log.close(this.ctx.ports.clock.now(), appConsistent);
    this.current = new ChangeLog(this.nextSeq++, this.ctx.ports.clock.now(), this.spareColumns);
    this.spareColumns = null;
    this.ship(log);
  }

  private ship(log: ChangeLog): void {
    const chunks = log.chunks(LOG_CHUNK_BYTES_MAX);
    const compress = this.config.policy.compression;
    let total = 0;
    chunks.forEach(({ records, rawBytes, compressedBytes }, chunk) => {
      const bytes = compress ? compressedBytes : rawBytes;
      total += bytes;
      const frame = this.ctx.seal(
        { type: 'log-chunk', seq: log.seq, chunk, chunkCount: chunks.length, cutAt: log.cutAt!, appConsistent: log.appConsistent, records },
        bytes,
      );
      this.retx.send(this.chunkKey(log.seq, chunk), frame, this.timeoutFor(bytes));
    });
    this.shipping = { log, chunkCount: chunks.length, sentAt: this.ctx.ports.clock.now(), bytes: total };
    this.stats.bytesShipped += total;
  }

  private timeoutFor(bytes: number): Duration {
    return (seconds(30) + Math.ceil((4 * bytes * 1_000_000) / this.rateBytesPerSecond)) as Duration;
  }

  private chunkKey(seq: number, chunk: number): string {
    return `log:${seq}:${chunk}`;
  }

  // --- messages from the replica ---------------------------------------------------------------

  receive(message: HvrMessage): void {
    if (this.phase === 'stopped') return;
    switch (message.type) {
      case 'chunk-received':
        // The last chunk stays outstanding until the log is applied, so a lost log-applied is
        // recovered by resending it (the replica answers a duplicate of an applied log).
        if (this.shipping !== null && message.seq === this.shipping.log.seq && message.chunk < this.shipping.chunkCount - 1) {
          this.retx.acknowledge(this.chunkKey(message.seq, message.chunk));
        }
        return;
      case 'log-applied':
        return this.onLogApplied(message.seq);
      case 'replica-needs-resync':
        this.requireResync('out-of-sequence-log');
        return;
      case 'bulk-ack':
      case 'compare-reply':
        this.bulk?.receive(message);
        return;
      default:
        this.ctx.ports.tracer.mark('primary-ignored-message');
    }
  }

  private onLogApplied(seq: number): void {
    const shipping = this.shipping;
    if (shipping === null || seq < shipping.log.seq) return;
    for (let c = 0; c < shipping.chunkCount; c++) this.retx.acknowledge(this.chunkKey(shipping.log.seq, c));
    const took = Math.max(1, this.ctx.ports.clock.now() - shipping.sentAt);
    if (shipping.bytes > 64 * 1024) {
      const measured = (shipping.bytes * 1_000_000) / took;
      this.rateBytesPerSecond = Math.max(1024, 0.7 * this.rateBytesPerSecond + 0.3 * measured);
    }
    this.shipping = null;
    this.spareColumns = shipping.log.release();
    this.sendFailures = 0;
    this.lastSyncedAt = this.ctx.ports.clock.now();
    this.stats.logsShipped++;
    this.stats.lastSyncedCut = shipping.log.cutAt;
    this.ctx.ports.tracer.mark('log-acknowledged');
    if (this.phase === 'preparing-failover') this.continuePrepare();
  }

  // --- resync ----------------------------------------------------------------------------------

  /** Tracking can no longer be trusted: stop tracking and replicating (DOMAIN.md rule 6). */
  requireResync(reason: string): void {
    if (this.phase === 'resync-required' || this.phase === 'stopped') return;
    this.ctx.ports.tracer.mark('resync-required');
    this.ctx.ports.tracer.mark(`resync-trigger:${reason}`);
    this.resyncReason = reason;
    this.failPrepare(`resync required (${reason})`);
    this.dropReplication();
    this.phase = 'resync-required';
    this.persist();
  }

  /** Stops tracking and drops whatever was being shipped (a log or a bulk copy). */
  private dropReplication(): void {
    this.stopTracking();
    this.bulk?.stop();
    this.bulk = null;
    this.shipping = null;
    this.retx.clear();
  }

  startResync(): { ok: true } | { ok: false; error: string } {
    if (this.phase !== 'resync-required') return { ok: false, error: `resync needs state resync-required, not ${this.phase}` };
    this.ctx.ports.tracer.mark('resync-started');
    this.stats.resyncs++;
    this.resyncReason = null;
    this.startTracking();
    this.startBulk('resyncing', 'compare');
    return { ok: true };
  }

  /** Cancel a resync before its merge (DOMAIN.md rule 7): back to resync-required; the staged
   *  blocks on the replica are dropped by the next resync, which starts from zero. */
  cancelResync(): { ok: true } | { ok: false; error: string } {
    if (this.phase !== 'resyncing') return { ok: false, error: `no resync is running (${this.phase})` };
    if (this.bulk?.isCompleting === true) return { ok: false, error: 'the resync is merging on the replica (its point of no return): it can no longer be cancelled' };
    this.dropReplication();
    this.resyncReason = 'resync-cancelled';
    this.phase = 'resync-required';
    this.persist();
    this.invariants();
    return { ok: true };
  }

  // --- pause and resume ------------------------------------------------------------------------

  pause(): { ok: true } | { ok: false; error: string } {
    if (this.phase === 'paused' || this.phase === 'stopped' || this.phase === 'prepared-for-failover') return { ok: false, error: `cannot pause in ${this.phase}` };
    // Tracking goes on while paused; only sending stops.
    this.phaseBeforePause = this.phase === 'resync-required' ? 'resync-required' : this.phase === 'replicating' ? 'replicating' : this.phase;
    this.phase = 'paused';
    this.ctx.ports.tracer.mark('replication-paused');
    this.persist();
    return { ok: true };
  }

  resume(): { ok: true } | { ok: false; error: string } {
    // Logs outgrew their limit while paused: resuming means resynchronising.
    if (this.phase === 'resync-required') return this.startResync();
    if (this.phase !== 'paused') return { ok: false, error: `not paused (${this.phase})` };
    this.phase = this.phaseBeforePause;
    if (this.current === null && this.phase !== 'resync-required') {
      // Restored after a clean restart with no log: tracking must start over with a resync.
      this.phase = 'replicating';
      this.requireResync('restarted-without-log');
      return { ok: true };
    }
    this.ctx.ports.tracer.mark('replication-resumed');
    this.persist();
    if (this.phase === 'replicating' && this.cycleTimer === null) this.scheduleCycle();
    return { ok: true };
  }

  // --- planned failover ------------------------------------------------------------------------

  /** Ships the final log of a shut-down VM (DOMAIN.md rule 9). */
  prepareForPlannedFailover(done: (result: { ok: true; finalCut: Instant } | { ok: false; error: string }) => void): void {
    if (this.ctx.ports.hypervisor.isRunning(this.config.vmId)) return done({ ok: false, error: 'the primary VM is running: shut it down first' });
    if (this.phase !== 'replicating') return done({ ok: false, error: `planned failover needs state replicating, not ${this.phase}` });
    this.phase = 'preparing-failover';
    this.prepareDone = done;
    this.ctx.ports.tracer.mark('planned-failover-final-sync');
    if (this.shipping === null) this.continuePrepare();
  }

  private continuePrepare(): void {
    if (this.current !== null && !plantedBugs.has('skip-final-log-on-planned-failover')) {
      const final = this.current;
      this.current = null;
      final.close(this.ctx.ports.clock.now(), false);
      this.ship(final);
      return;
    }
    const cut = this.stats.lastSyncedCut ?? this.ctx.ports.clock.now();
    this.stopTracking();
    this.phase = 'prepared-for-failover';
    if (this.cycleTimer !== null) this.ctx.ports.clock.cancelTimer(this.cycleTimer);
    this.cycleTimer = null;
    this.persist();
    const done = this.prepareDone;
    this.prepareDone = null;
    done?.({ ok: true, finalCut: cut });
  }

  private failPrepare(error: string): void {
    const done = this.prepareDone;
    this.prepareDone = null;
    done?.({ ok: false, error });
  }

  // --- lifecycle -------------------------------------------------------------------------------

  stop(): void {
    this.failPrepare('replication stopped');
    this.dropReplication();
    if (this.cycleTimer !== null) this.ctx.ports.clock.cancelTimer(this.cycleTimer);
    this.cycleTimer = null;
    this.phase = 'stopped';
  }

  get status() {
    const now = this.ctx.ports.clock.now();
    return {
      phase: this.phase,
      resyncReason: this.resyncReason,
      logBytes: this.logBytes(),
      vhdBytesTotal: this.vhdBytesTotal,
      shippingSeq: this.shipping?.log.seq ?? null,
      nextSeq: this.nextSeq,
      bulkProgress: this.bulk?.progress ?? null,
      /** The exposure the engine reports: time since the newest cut the replica confirmed. */
      rpoExposureMicros: this.stats.lastSyncedCut === null ? null : now - this.stats.lastSyncedCut,
      health: this.health(),
      ...this.stats,
    };
  }

  health(): Health {
    return evaluateHealth({
      phase: this.phase,
      now: this.ctx.ports.clock.now(),
      lastSyncedAt: this.lastSyncedAt,
      cycleOutcomes: this.cycleWindow.outcomes(),
      sendFailures: this.sendFailures,
    });
  }

  get currentPhase(): PrimaryPhase {
    return this.phase;
  }

  private persist(durable: () => void = () => undefined): void {
    const logOpen = this.current !== null && this.phase !== 'prepared-for-failover';
    this.ctx.persist(
      { role: 'primary', config: this.config, phase: this.phase, nextSeq: this.nextSeq, logOpen, generation: this.generation },
      (ok) => {
        if (ok) durable();
        else this.ctx.ports.tracer.mark('primary-persist-failed');
      },
    );
  }

  invariants(): void {
    assert(this.shipping === null || this.shipping.log.isClosed, 'primary: an open log is in flight');
    assert(this.current === null || !this.current.isClosed, 'primary: the current log is closed');
    assert(this.phase !== 'replicating' || this.current !== null, 'primary: replicating without tracking');
  }
}
