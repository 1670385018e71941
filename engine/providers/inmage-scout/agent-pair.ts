// The unified agent's side of one protected machine (DOMAIN.md rules 18-20, 22): a filter on
// each of the machine's disks captures every write in order (CDP) into an in-memory buffer, the
// buffer is cut into batches streamed to the process server (reliably, a window at a time), and
// consistency tags are inserted into the same stream. When the buffer passes its bound (the
// process server throttles, or cannot be reached) the agent drops the buffer and falls back to a
// bitmap of changed blocks (INFERRED semantics: "track changed blocks only, catch up later"), and
// catches up with a resync once the process server has room again: region checksums go down the
// stream, the master target answers with the blocks that differ, and only those are shipped.
//
// Ordering argument (why a resync converges): every record is appended at the instant its
// content was read or written, so the stream is in time order. A compare record states the
// source content of a region at its stream position; the master target compares at the same
// position; a differing block is read later and shipped at a later position with the content of
// that later instant, and every write in between is in the stream too. So once every region of
// the scope is compared and its differing blocks shipped, the replica equals the source at the
// position of the resync-end record.
//
// Scheduling (rule 22): a full resync a trigger forced (crash, disk resize, lost cache) compares
// every block, so an automatic one waits for the policy's off-hours window; until then the pair
// stays in bitmap mode, tracking. The user's resync starts at once. Initial replication and the
// catch-up of a bitmap (only the blocks written during an outage) are not held.
import { assert, insideResyncWindow, type Duration, type Instant, type ScoutPolicy } from '../../../model/index.js';
import type { Frame, HostPorts, ObservableBlockDevice, Payload, TimerId } from '../../ports.js';
import { Retransmitter } from '../../data-plane/retransmitter.js';
import { plantedBugs } from '../../planted-bugs.js';
import { ChangedBlockBitmap } from './bitmap.js';
import { TagScheduler } from './consistency-tags.js';
import { BatchBuilder, forEachData, type UnplacedControl } from './batch-records.js';
import { batchKey, type ScoutMessage, type StreamBatch, type TagKind } from './messages.js';

/** A batch is sealed this long after its first record (one guest tick's writes travel together). */
export const BATCH_SEAL_DELAY: Duration = 200_000 as Duration;
/** A batch holding only tags waits this long for writes to travel with (tags are bookmarks). */
export const TAG_SEAL_DELAY: Duration = 60_000_000 as Duration;
/** A batch is sealed at once past this size. */
export const BATCH_BYTES_MAX = 64 * 1024 * 1024;
/** Batches sent and not yet acknowledged by the process server. */
export const AGENT_WINDOW = 8;
/** Per-record overhead in the buffer and on the wire (disk, offset, length, timestamp). */
export const RECORD_HEADER_BYTES = 48;
/** In bitmap mode the agent asks the process server this often whether a resync may start. */
export const PROBE_INTERVAL: Duration = 30_000_000 as Duration;
/** A resync starts only when the process-server cache is at least this free (INFERRED). */
export const RESYNC_CACHE_FREE_MIN = 0.5;
/** A resync region: this many bytes of blocks compared at a time. */
export const REGION_BYTES = 4 * 1024 * 1024;
/** Regions being compared at once. */
export const REGIONS_IN_PROGRESS_MAX = 4;
/** A compared region whose answer has not come back after this is compared again. */
export const COMPARE_TIMEOUT: Duration = 600_000_000 as Duration;

export type AgentPhase = 'streaming' | 'bitmap' | 'resyncing' | 'stopped';

export interface AgentPairConfig {
  readonly vmId: string;
  readonly epoch: number;
  readonly processServer: string;
  readonly masterTarget: string;
  readonly policy: ScoutPolicy;
  readonly diskIds: readonly string[];
}

export interface AgentPairContext {
  readonly ports: HostPorts;
  /** Seals and sends a message to the process server (unreliably). */
  sendToProcessServer(message: ScoutMessage, payloadBytes: number): void;
  seal(message: ScoutMessage, payloadBytes: number): Frame;
  /** `left` runs when the frame leaves the local queue (see Retransmitter). */
  transmit(frame: Frame, left: () => void): void;
  /** Persists the pair (config and generation) durably. */
  persist(generation: number): void;
  quiesce(done: (ok: boolean) => void): void;
  thaw(): void;
}

interface Region {
  readonly id: number;
  readonly disk: number;
  readonly start: number;
  readonly count: number;
  stage: 'reading' | 'compared' | 'shipping';
  timer: TimerId | null;
}

export class AgentPair {
  private phase: AgentPhase = 'streaming';
  paused = false;
  private generation: number;
  private nextSeq = 1;
  private readonly open: BatchBuilder;
  private openBytes = 0;
  private sealTimer: TimerId | null = null;
  private sealDeadline = 0;
  private unacked: Array<{ batch: StreamBatch; bytes: number; sent: boolean }> = [];
  private unackedBytes = 0;
  private readonly retx: Retransmitter<number>;
  private readonly devices: ObservableBlockDevice[];
  private detachers: Array<() => void> = [];
  readonly bitmap: ChangedBlockBitmap;
  private readonly regions = new Map<number, Region>();
  private nextRegion = 1;
  private resyncScope: 'bitmap' | 'full' | null = null;
  private resyncReason = '';
  private pendingReason = '';
  private probeTimer: TimerId | null = null;
  private lastThrottledAt: Instant | null = null;
  private readonly tags: TagScheduler;
  private drainWaiters: Array<() => void> = [];
  /** The user asked for the pending resync: it does not wait for the off-hours window. */
  private resyncForced = false;
  private deferralMarked = false;
  readonly stats = { writesCaptured: 0, batchesSent: 0, batchesAcked: 0, bytesAcked: 0, bitmapEntries: 0, resyncs: 0, resyncBlocksShipped: 0, throttles: 0, lastAckedSealedAt: null as Instant | null };

  constructor(
    private readonly ctx: AgentPairContext,
    readonly config: AgentPairConfig,
    generation: number,
  ) {
    this.generation = generation;
    this.open = new BatchBuilder(ctx.ports.codec);
    this.devices = config.diskIds.map((id) => ctx.ports.device(id));
    this.bitmap = new ChangedBlockBitmap(this.devices.map((d) => d.blockCount));
    this.retx = new Retransmitter<number>(ctx.ports.clock, (frame, left) => ctx.transmit(frame, left), () => ctx.ports.tracer.mark('agent-retransmit'));
    this.tags = new TagScheduler(ctx.ports.clock, ctx.ports.tracer, config.policy.crashTagInterval, config.policy.appTagInterval, {
      insertTag: (name, kind) => this.insertTag(name, kind),
      quiesce: (done) => ctx.quiesce(done),
      thaw: () => ctx.thaw(),
    });
  }

  /** Starts capturing: in sync (differential at once) or with a full resync (initial). */
  start(mode: 'in-sync' | 'full-resync' | 'restored', paused: boolean): void {
    this.paused = paused;
    this.attach();
    this.tags.start();
    if (mode === 'in-sync') {
      this.phase = 'streaming';
      return;
    }
    this.bitmap.markAll();
    this.enterBitmapState(mode === 'restored' ? 'forced-shutdown' : 'initial-replication');
  }

  private attach(): void {
    this.detach();
    this.devices.forEach((device, disk) => {
      this.detachers.push(device.attachObserver({ onWrite: (start, payload) => this.capture(disk, start, payload) }));
    });
  }

  private detach(): void {
    for (const detach of this.detachers) detach();
    this.detachers = [];
  }

  // --- capture -----------------------------------------------------------------------------------

  private capture(disk: number, start: number, payload: Payload): void {
    this.stats.writesCaptured++;
    if (this.phase === 'stopped') return;
    if (this.phase === 'bitmap') {
      this.bitmap.mark(disk, start, payload.blockCount);
      return;
    }
    if (plantedBugs.has('scout-agent-drops-write') && this.stats.writesCaptured % 1000 === 999) return;
    this.appendData(disk, start, payload);
  }

  /** Appends a guest write, or source blocks read for a resync, at this instant. */
  private appendData(disk: number, start: number, payload: Payload): void {
    this.open.appendData(disk, start, payload, this.ctx.ports.clock.now());
    this.appended(this.ctx.ports.codec.sizeBytes(payload), BATCH_SEAL_DELAY);
  }

  private appendControl(record: UnplacedControl, payloadBytes: number): void {
    this.open.appendControl(record);
    this.appended(payloadBytes, record.kind === 'tag' ? TAG_SEAL_DELAY : BATCH_SEAL_DELAY);
  }

  /** Accounts for the record just appended, and seals the batch now or arms its seal timer. */
  private appended(payloadBytes: number, delay: Duration): void {
    this.openBytes += payloadBytes + RECORD_HEADER_BYTES;
    if (this.bufferBytes > this.config.policy.agentBufferBytes) {
      this.enterBitmap(this.lastThrottledAt !== null ? 'ps-cache-full' : 'connectivity-loss');
      return;
    }
    if (this.openBytes >= BATCH_BYTES_MAX) return this.seal();
    const deadline = this.ctx.ports.clock.now() + delay;
    if (this.sealTimer !== null && this.sealDeadline <= deadline) return;
    if (this.sealTimer !== null) this.ctx.ports.clock.cancelTimer(this.sealTimer);
    this.sealDeadline = deadline;
    this.sealTimer = this.ctx.ports.clock.setTimer(delay, 'scout-seal-batch', () => {
      this.sealTimer = null;
      this.seal();
    });
  }

  get bufferBytes(): number {
    return this.openBytes + this.unackedBytes;
  }

  private insertTag(name: string, tagKind: TagKind): boolean {
    if (this.phase !== 'streaming') return false;
    this.appendControl({ kind: 'tag', name, tagKind, at: this.ctx.ports.clock.now() }, 0);
    return this.phase === 'streaming';
  }

  /** A tag requested by the control plane (common consistency point of a group). */
  tag(name: string, tagKind: TagKind): boolean {
    const ok = this.insertTag(name, tagKind);
    if (ok) this.seal();
    return ok;
  }

  // --- batches -----------------------------------------------------------------------------------

  private seal(): void {
    if (this.sealTimer !== null) this.ctx.ports.clock.cancelTimer(this.sealTimer);
    this.sealTimer = null;
    if (this.open.recordCount === 0) return;
    const { data, control } = this.open.take();
    const batch: StreamBatch = { type: 'batch', generation: this.generation, seq: this.nextSeq++, sealedAt: this.ctx.ports.clock.now(), data, control };
    this.unacked.push({ batch, bytes: this.openBytes, sent: false });
    this.unackedBytes += this.openBytes;
    this.openBytes = 0;
    this.pump();
  }

  private pump(): void {
    if (this.paused || this.phase === 'bitmap' || this.phase === 'stopped') return;
    let sent = 0;
    for (const entry of this.unacked) {
      if (sent >= AGENT_WINDOW) return;
      sent++;
      if (entry.sent) continue;
      entry.sent = true;
      this.stats.batchesSent++;
      const frame = this.ctx.seal(entry.batch, entry.bytes);
      this.retx.send(this.key(entry.batch), frame, this.timeoutFor(entry.bytes));
    }
  }

  private timeoutFor(bytes: number): Duration {
    // LAN to the process server: 30 s plus a generous 10 MB/s floor for the transfer itself.
    return (30_000_000 + Math.ceil(bytes / 10)) as Duration;
  }

  private key(batch: StreamBatch): number {
    return batchKey(batch.generation, batch.seq);
  }

  receive(message: ScoutMessage): void {
    if (this.phase === 'stopped') return;
    switch (message.type) {
      case 'batch-ack':
        return this.onAck(message.generation, message.seq);
      case 'throttle':
        if (message.generation !== this.generation) return;
        this.stats.throttles++;
        this.lastThrottledAt = this.ctx.ports.clock.now();
        this.ctx.ports.tracer.mark('agent-throttled');
        return;
      case 'probe-reply':
        return this.onProbeReply(message.cacheFreeFraction);
      case 'stream-lost':
        this.ctx.ports.tracer.mark('resync-trigger:ps-cache-lost');
        this.requireFullResync('ps-cache-lost');
        return;
      case 'compare-result':
        if (message.generation === this.generation) this.onCompareResult(message.region, message.differing);
        return;
      default:
        this.ctx.ports.tracer.mark('agent-ignored-message');
    }
  }

  private onAck(generation: number, seq: number): void {
    if (generation !== this.generation) return;
    this.lastThrottledAt = null;
    while (this.unacked.length > 0 && this.unacked[0].batch.seq <= seq) {
      const entry = this.unacked.shift()!;
      this.retx.acknowledge(this.key(entry.batch));
      this.unackedBytes -= entry.bytes;
      this.stats.batchesAcked++;
      this.stats.bytesAcked += entry.bytes;
      this.stats.lastAckedSealedAt = entry.batch.sealedAt;
    }
    this.pump();
    this.invariants();
    if (this.phase === 'resyncing') this.resyncStep();
    if (this.unacked.length === 0 && this.open.recordCount === 0 && this.drainWaiters.length > 0) {
      this.pendingDrainError = null;
      for (const waiter of this.drainWaiters.splice(0)) waiter();
    }
  }

  // --- bitmap mode -------------------------------------------------------------------------------

  /** The buffer cannot be kept: remember its blocks, drop it, and start a new generation. */
  private enterBitmap(reason: string, overflow = true): void {
    if (overflow) {
      this.ctx.ports.tracer.mark('bitmap-mode');
      this.ctx.ports.tracer.mark(`bitmap-trigger:${reason}`);
    }
    const mark = (disk: number, start: number, count: number) => this.bitmap.mark(disk, start, count);
    for (const entry of this.unacked) forEachData(entry.batch.data, mark);
    this.open.forEachData(mark);
    for (const region of this.regions.values()) this.bitmap.mark(region.disk, region.start, region.count);
    this.enterBitmapState(reason);
  }

  private enterBitmapState(reason: string): void {
    for (const region of this.regions.values()) if (region.timer !== null) this.ctx.ports.clock.cancelTimer(region.timer);
    this.regions.clear();
    this.retx.clear();
    if (this.sealTimer !== null) this.ctx.ports.clock.cancelTimer(this.sealTimer);
    this.sealTimer = null;
    this.unacked = [];
    this.unackedBytes = 0;
    this.open.clear();
    this.openBytes = 0;
    this.generation++;
    this.nextSeq = 1;
    this.phase = 'bitmap';
    this.stats.bitmapEntries++;
    this.pendingReason = reason;
    this.resyncScope = this.resyncScope === 'full' || reason === 'initial-replication' || reason === 'forced-shutdown' || reason === 'ps-cache-lost' ? 'full' : 'bitmap';
    this.ctx.persist(this.generation);
    this.failDrainWaiters();
    this.scheduleProbe(0 as Duration);
  }

  private scheduleProbe(after: Duration): void {
    if (this.probeTimer !== null) return;
    this.probeTimer = this.ctx.ports.clock.setTimer(after, 'scout-probe', () => {
      this.probeTimer = null;
      if (this.phase !== 'bitmap') return;
      if (!this.paused) this.ctx.sendToProcessServer({ type: 'probe', nonce: this.generation }, 0);
      this.scheduleProbe(PROBE_INTERVAL);
    });
  }

  private onProbeReply(cacheFreeFraction: number): void {
    if (this.phase !== 'bitmap' || this.paused) return;
    if (cacheFreeFraction < RESYNC_CACHE_FREE_MIN) {
      this.ctx.ports.tracer.mark('resync-waits-for-ps-cache');
      return;
    }
    if (this.resyncDeferred) {
      if (!this.deferralMarked) this.ctx.ports.tracer.mark('resync-deferred-to-off-hours');
      this.deferralMarked = true;
      return;
    }
    this.startResync(this.resyncScope ?? 'bitmap', this.pendingReason);
  }

  /** Whether the pending resync waits for the off-hours window (see the scheduling note above). */
  get resyncDeferred(): boolean {
    const window = this.config.policy.resyncWindow;
    if (this.phase !== 'bitmap' || this.resyncScope !== 'full' || this.resyncForced || window === null) return false;
    if (this.pendingReason === 'initial-replication') return false;
    return !insideResyncWindow(window, this.ctx.ports.clock.now());
  }

  /** The user's resync: the pending one starts as soon as the process server has room. */
  forceResync(): void {
    // Only a pending resync can be forced: a flag set while one runs would let the next
    // automatic resync skip its off-hours window.
    if (this.phase !== 'bitmap') return;
    this.resyncForced = true;
    if (this.paused) return;
    if (this.probeTimer !== null) this.ctx.ports.clock.cancelTimer(this.probeTimer);
    this.probeTimer = null;
    this.scheduleProbe(0 as Duration);
  }

  /** Everything must be compared again (cache lost, disk resized, operator request). */
  requireFullResync(reason: string): void {
    if (this.phase === 'stopped') return;
    this.bitmap.markAll();
    this.resyncScope = 'full';
    if (this.phase === 'bitmap') {
      this.pendingReason = reason;
      return;
    }
    this.enterBitmap(reason, false);
  }

  // --- resync ------------------------------------------------------------------------------------

  private startResync(scope: 'bitmap' | 'full', reason: string): void {
    if (this.probeTimer !== null) this.ctx.ports.clock.cancelTimer(this.probeTimer);
    this.probeTimer = null;
    this.phase = 'resyncing';
    if (this.deferralMarked) this.ctx.ports.tracer.mark(this.resyncForced ? 'resync-forced-by-user' : 'resync-started-off-hours');
    this.resyncForced = false;
    this.deferralMarked = false;
    this.resyncScope = scope;
    this.resyncReason = reason;
    this.stats.resyncs++;
    this.ctx.ports.tracer.mark('resync-started');
    this.ctx.ports.tracer.mark(`resync-trigger:${reason}`);
    this.appendControl({ kind: 'resync-begin', scope, reason, at: this.ctx.ports.clock.now() }, 0);
    this.seal();
    this.resyncStep();
  }

  private regionBlocks(disk: number): number {
    return Math.max(1, Math.floor(REGION_BYTES / this.devices[disk].blockSizeBytes));
  }

  /** Takes more regions while the buffer has room; ends the resync when all are done. */
  private resyncStep(): void {
    if (this.phase !== 'resyncing') return;
    while (this.regions.size < REGIONS_IN_PROGRESS_MAX && this.bufferBytes < this.config.policy.agentBufferBytes / 2 && this.bitmap.size > 0) {
      const [run] = this.bitmap.take(1, this.regionBlocks(0));
      if (run === undefined) break;
      const region: Region = { id: this.nextRegion++, disk: run.disk, start: run.start, count: run.count, stage: 'reading', timer: null };
      this.regions.set(region.id, region);
      this.compareRegion(region);
    }
    if (this.regions.size === 0 && this.bitmap.size === 0) this.finishResync();
  }

  private compareRegion(region: Region): void {
    const generation = this.generation;
    this.devices[region.disk].read(region.start, region.count, (result) => {
      if (generation !== this.generation || this.regions.get(region.id) !== region) return;
      if (!result.ok) {
        // The source cannot be read: ship nothing now and compare the region again later.
        this.regions.delete(region.id);
        this.bitmap.mark(region.disk, region.start, region.count);
        this.ctx.ports.tracer.mark('agent-source-read-failed');
        return;
      }
      region.stage = 'compared';
      const checksums = Array.from(this.ctx.ports.codec.blockChecksums(result.value));
      this.appendControl({ kind: 'compare', region: region.id, disk: region.disk, start: region.start, checksums, at: this.ctx.ports.clock.now() }, 4 * checksums.length);
      if (this.regions.get(region.id) !== region) return; // the append overflowed into bitmap mode
      region.timer = this.ctx.ports.clock.setTimer(COMPARE_TIMEOUT, 'scout-compare-timeout', () => {
        region.timer = null;
        if (this.regions.get(region.id) !== region || region.stage !== 'compared') return;
        this.regions.delete(region.id);
        this.bitmap.mark(region.disk, region.start, region.count);
        this.ctx.ports.tracer.mark('compare-timeout');
        this.resyncStep();
      });
    });
  }

  private onCompareResult(regionId: number, differing: readonly number[]): void {
    const region = this.regions.get(regionId);
    if (region === undefined || region.stage !== 'compared') return;
    if (region.timer !== null) this.ctx.ports.clock.cancelTimer(region.timer);
    region.timer = null;
    region.stage = 'shipping';
    const runs = toRuns(differing);
    let remaining = runs.length;
    const generation = this.generation;
    const finish = () => {
      if (generation !== this.generation || this.regions.get(region.id) !== region) return;
      this.regions.delete(region.id);
      this.resyncStep();
    };
    if (remaining === 0) return finish();
    if (runs.length > 0) this.ctx.ports.tracer.mark('resync-blocks-differ');
    for (const run of runs) {
      this.devices[region.disk].read(region.start + run.start, run.count, (result) => {
        if (generation !== this.generation || this.regions.get(region.id) !== region) return;
        if (result.ok) {
          this.stats.resyncBlocksShipped += run.count;
          this.appendData(region.disk, region.start + run.start, result.value);
        } else {
          this.bitmap.mark(region.disk, region.start + run.start, run.count);
        }
        if (--remaining === 0) finish();
      });
    }
  }

  private finishResync(): void {
    this.appendControl({ kind: 'resync-end', at: this.ctx.ports.clock.now() }, 0);
    this.seal();
    if (this.phase !== 'resyncing') return;
    this.phase = 'streaming';
    this.resyncScope = null;
    this.ctx.ports.tracer.mark('resync-complete');
    this.ctx.ports.tracer.mark(`resync-complete:${this.resyncReason}`);
  }

  // --- operations --------------------------------------------------------------------------------

  pause(): void {
    this.paused = true;
    this.retx.clear();
    for (const entry of this.unacked) entry.sent = false;
    this.ctx.ports.tracer.mark('replication-paused');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ctx.ports.tracer.mark('replication-resumed');
    if (this.phase === 'bitmap') this.scheduleProbe(0 as Duration);
    this.pump();
  }

  /** Ships a final tag and everything before it (planned failover: the machine is off). */
  drainWithFinalTag(name: string, done: (result: { ok: true; at: Instant } | { ok: false; error: string }) => void): void {
    if (this.phase !== 'streaming' || this.paused) return done({ ok: false, error: `the pair of ${this.config.vmId} is ${this.status().phase}, not differential` });
    const at = this.ctx.ports.clock.now();
    if (!plantedBugs.has('scout-skip-final-drain')) {
      this.appendControl({ kind: 'tag', name, tagKind: 'final', at }, 0);
      this.seal();
    }
    if (this.unacked.length === 0) return done({ ok: true, at });
    this.drainWaiters.push(() => done({ ok: true, at }));
    this.pendingDrainError = (error) => done({ ok: false, error });
  }

  private pendingDrainError: ((error: string) => void) | null = null;

  private failDrainWaiters(): void {
    this.drainWaiters = [];
    const fail = this.pendingDrainError;
    this.pendingDrainError = null;
    fail?.('the stream broke (bitmap mode) before the final tag was shipped');
  }

  stop(): void {
    this.phase = 'stopped';
    this.detach();
    this.tags.stop();
    this.retx.clear();
    for (const region of this.regions.values()) if (region.timer !== null) this.ctx.ports.clock.cancelTimer(region.timer);
    this.regions.clear();
    if (this.sealTimer !== null) this.ctx.ports.clock.cancelTimer(this.sealTimer);
    if (this.probeTimer !== null) this.ctx.ports.clock.cancelTimer(this.probeTimer);
    this.sealTimer = null;
    this.probeTimer = null;
    this.failDrainWaiters();
  }

  status() {
    return {
      vmId: this.config.vmId,
      phase: this.paused && this.phase !== 'stopped' ? 'paused' : this.phase,
      capturePhase: this.phase,
      generation: this.generation,
      bufferBytes: this.bufferBytes,
      bitmapBlocks: this.bitmap.size,
      regionsInProgress: this.regions.size,
      unackedBatches: this.unacked.length,
      resyncScope: this.resyncScope,
      resyncDeferred: this.resyncDeferred,
      tagFailures: this.tags.appFailures,
      ...this.stats,
    };
  }

  get currentPhase(): AgentPhase {
    return this.phase;
  }

  invariants(): void {
    let bytes = 0;
    for (const entry of this.unacked) bytes += entry.bytes;
    // Messages are built only on failure: this runs at every acknowledgement.
    if (bytes !== this.unackedBytes) assert(false, `agent ${this.config.vmId}: buffer accounting is off`);
    if (this.phase === 'bitmap' && (this.unacked.length > 0 || this.open.recordCount > 0)) assert(false, `agent ${this.config.vmId}: records kept in bitmap mode`);
    for (let i = 1; i < this.unacked.length; i++) if (this.unacked[i].batch.seq !== this.unacked[i - 1].batch.seq + 1) assert(false, `agent ${this.config.vmId}: unacked batches out of order`);
  }
}

/** Sorted offsets as runs of consecutive offsets. */
function toRuns(offsets: readonly number[]): Array<{ start: number; count: number }> {
  const runs: Array<{ start: number; count: number }> = [];
  for (const offset of offsets) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.start + last.count === offset) last.count++;
    else runs.push({ start: offset, count: 1 });
  }
  return runs;
}
