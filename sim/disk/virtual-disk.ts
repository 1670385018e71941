// A virtual disk: a sparse block device of any size (DESIGN.md section 3).
//
// Fault model:
//   - Every operation completes as a later kernel event after a latency drawn from the disk's
//     own stream (times a latency factor the world may raise). Content changes when a write
//     completes; attached observers then see it; then the caller's completion runs.
//   - Offline: operations issued while offline fail with device-offline; operations in flight
//     when the disk goes offline (or loses power) also complete with device-offline and never land.
//   - Volatile write cache (when on): a completed write is not durable until a flush issued after
//     it completes, unless it was written durably (forced unit access: it completes after the
//     write and a flush's latency, and is durable when it does). At a power loss every
//     non-durable write (completed-but-unflushed, acknowledged; or still in flight,
//     unacknowledged) is independently, with exact probabilities, lost, kept, or torn (a write of
//     two or more blocks keeps a non-empty proper prefix; torn one-block writes are lost). Writes
//     are resolved in completion order, then in-flight writes in issue order; a flushed or
//     durably written write is never lost (one completed behind unflushed writes is resolved in
//     their order, always kept). Overlays survive a power loss.
//   - Media faults are overlays kept apart from pristine content, so checkers always know the truth:
//     a latent sector error fails every read covering the block until the block is rewritten; bit
//     rot makes reads of the block return damaged content until it is rewritten; a misdirected write
//     lands `offset` blocks away (clipped to the disk): reads of the landing blocks show it, reads of
//     the intended blocks keep showing what was there, while pristine content records the write at
//     its intended place. Misdirected content counts as having reached the medium.
// Pristine content lives in a paged BlockMap over the base image (the used part of a VHD before
// protection), so memory follows blocks written, not disk size.
import { assert, type Duration, type Instant } from '../../model/index.js';
import type { BlockRange, Extent, IoResult, ObservableBlockDevice, Payload, WriteObserver } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import { ratio, type RandomStream, type Ratio } from '../random.js';
import { assertBlockSize, bytesBlockChecksum, decodeBlock, foreignIdOf, NOT_AN_ENCODING, writeContent } from './content-bytes.js';
import type { DiskOracle } from './disk-oracle.js';
import { ImageHash } from './image-hash.js';
import { BlockMap, type DenseLane } from './block-map.js';
import { asSimPayload, BytesPayload, SymbolicPayload, type SimPayload } from './payload.js';
import { VolatileLog } from './volatile-log.js';

export type DiskMode = 'symbolic' | 'bytes';

export interface DiskLatency {
  readonly readMin: Duration;
  readonly readMax: Duration;
  readonly writeMin: Duration;
  readonly writeMax: Duration;
  readonly flush: Duration;
}

/** Fate probabilities of a non-durable write at a power loss; kept = 1 - lost - torn. */
export interface CrashLoss {
  readonly lost: Ratio;
  readonly torn: Ratio;
}

export const CRASH_LOSS_DEFAULT: CrashLoss = { lost: ratio(1, 3), torn: ratio(1, 3) };

/** Pre-existing content: blocks [0, blocks) hold `writeId`. */
export interface BaseImage {
  readonly blocks: number;
  readonly writeId: number;
}

export interface VirtualDiskOptions {
  readonly deviceId: string;
  readonly blockSizeBytes: number;
  readonly blockCount: number;
  readonly mode: DiskMode;
  readonly writeCache: boolean;
  readonly latency: DiskLatency;
  readonly baseImage?: BaseImage;
  readonly kernel: Kernel;
  readonly random: RandomStream;
  readonly oracle?: DiskOracle;
  readonly crashLoss?: CrashLoss;
  /** A lane of an array shared with another map written in step with this disk's content (the
   *  guest's truth of it), so both live in one cache line per block (see block-map.ts). */
  readonly denseLane?: DenseLane;
}

export type CrashFate = 'lost' | 'kept' | 'torn';

export interface CrashedWrite {
  readonly start: number;
  readonly blockCount: number;
  /** True for a completed (acknowledged) but unflushed write (or a durable one resolved in their
   *  order, always kept), false for one in flight. */
  readonly acknowledged: boolean;
  readonly fate: CrashFate;
  readonly keptBlocks: number;
}

export interface PowerLossReport {
  readonly at: Instant;
  /** Every write that was not durable (and durable ones completed behind them), in the order
   *  they were resolved. */
  readonly writes: readonly CrashedWrite[];
  /** Blocks whose pristine content went back to an older version. */
  readonly revertedBlocks: number;
}

export interface BlockDifference {
  readonly block: number;
  readonly ours: number;
  readonly theirs: number;
}

export interface ContentDiff {
  readonly equal: boolean;
  /** The lowest differing blocks, at most the requested limit. */
  readonly differences: readonly BlockDifference[];
}

/** A write in flight, linked into the disk's in-flight list (issue order) until it completes.
 *  The extents of one request are also chained by `sibling`, which a power loss leaves alone;
 *  the first carries the request's completion, and is the argument of the kernel call that
 *  completes the request (a closure per request would cost more than the record).
 *  (Records are not pooled: measured, a reused record is a cache miss per write, as each disk's
 *  free records go cold between its writes, and cost more than a fresh allocation.) */
class PendingWrite {
  previous: PendingWrite | null;
  next: PendingWrite | null = null;
  sibling: PendingWrite | null = null;
  done: ((result: IoResult<void>) => void) | null = null;

  constructor(
    readonly start: number,
    readonly payload: SimPayload,
    readonly epoch: number,
    readonly misdirectOffset: number,
    previous: PendingWrite | null,
    /** Forced unit access: durable once it lands (logged only behind volatile writes, as one
     *  that is always kept). */
    readonly durable: boolean,
  ) {
    this.previous = previous;
  }
}

/** A read in flight: the argument of the kernel call that completes it. */
class PendingRead {
  constructor(
    readonly start: number,
    readonly count: number,
    readonly ranges: readonly BlockRange[] | null,
    readonly epoch: number,
    readonly done: ((result: IoResult<Payload>) => void) | null,
    readonly doneMany: ((result: IoResult<readonly Payload[]>) => void) | null,
  ) {}
}

const OK: IoResult<void> = Object.freeze({ ok: true, value: undefined });
const KEPT = (count: number): { fate: CrashFate; keptBlocks: number } => ({ fate: 'kept', keptBlocks: count });
const OFFLINE: IoResult<never> = Object.freeze({ ok: false, error: Object.freeze({ kind: 'device-offline' }) });
const BLOCK_COUNT_MAX = 0x1_0000_0000;
const SYMBOLIC_ID_BITS = 32;

export class VirtualDisk implements ObservableBlockDevice {
  readonly deviceId: string;
  readonly blockSizeBytes: number;
  readonly blockCount: number;
  readonly mode: DiskMode;
  readonly writeCache: boolean;
  private readonly latency: DiskLatency;
  private readonly kernel: Kernel;
  private readonly random: RandomStream;
  private readonly oracle: DiskOracle | null;
  /** Fate draw: nextInt(fateDenominator) below lostCut is lost, below tornCut torn, else kept. */
  private readonly fateDenominator: number;
  private readonly lostCut: number;
  private readonly tornCut: number;

  /** Pristine content. */
  private readonly content: BlockMap;
  /** The image hash. A disk with an oracle keeps it running (the oracle records it after every
   *  write); any other disk only marks it stale on a write and works it out again from the block
   *  map when asked, which checks do once in a while: keeping it running cost two hash terms per
   *  block written on every source and replica disk, for a figure nobody read in between. */
  private readonly hash = new ImageHash();
  private hashStale = false;
  private readonly log = new VolatileLog();
  /** Writes in flight, oldest first: an intrusive list, so tracking costs no hashing. */
  private inFlightHead: PendingWrite | null = null;
  private inFlightTail: PendingWrite | null = null;
  private observers: readonly WriteObserver[] = [];

  /** What the medium shows instead of pristine content (misdirected writes). */
  private readonly shown = new Map<number, number>();
  /** Bit flipped in reads of a block (bit rot). */
  private readonly rot = new Map<number, number>();
  private readonly latent = new Set<number>();
  /** False only while all three overlays are known to be empty: the common case, checked per
   *  write without touching the maps. Set on every insertion, cleared when found empty. */
  private mayHaveOverlays = false;
  /** Bytes of foreign content ids (bytes mode). */
  private readonly foreignBytes = new Map<number, Uint8Array>();

  private online = true;
  /** Bumped when the disk goes offline or loses power: older operations fail. */
  private epoch = 0;
  private latencyFactor = 1;
  private pendingMisdirect = 0;
  /** Where warmed words go, so the compiler keeps the loads (see warmWrites); never read. */
  private warmSink = 0;

  private readonly readLabel: number;
  private readonly writeLabel: number;
  private readonly flushLabel: number;
  private readonly refusedLabel: number;

  constructor(options: VirtualDiskOptions) {
    assertBlockSize(options.blockSizeBytes);
    assert(Number.isInteger(options.blockCount) && options.blockCount >= 1 && options.blockCount <= BLOCK_COUNT_MAX, `disk ${options.deviceId}: block count must be in [1, 2^32]`);
    const { readMin, readMax, writeMin, writeMax, flush } = options.latency;
    assert(readMin >= 0 && readMin <= readMax && writeMin >= 0 && writeMin <= writeMax && flush >= 0, `disk ${options.deviceId}: latency bounds out of order`);
    this.deviceId = options.deviceId;
    this.blockSizeBytes = options.blockSizeBytes;
    this.blockCount = options.blockCount;
    this.mode = options.mode;
    this.writeCache = options.writeCache;
    this.latency = options.latency;
    this.kernel = options.kernel;
    this.random = options.random;
    this.oracle = options.oracle ?? null;
    const baseBlocks = options.baseImage?.blocks ?? 0;
    const baseId = options.baseImage?.writeId ?? 0;
    assert(Number.isInteger(baseBlocks) && baseBlocks >= 0 && baseBlocks <= this.blockCount, `disk ${this.deviceId}: base image larger than the disk`);
    assert(Number.isInteger(baseId) && baseId >= 0 && baseId <= 0xffff_ffff, `disk ${this.deviceId}: base image id is not a uint32`);
    this.content = new BlockMap(baseBlocks, baseId, this.blockCount, options.denseLane);
    const loss = options.crashLoss ?? CRASH_LOSS_DEFAULT;
    this.fateDenominator = lcm(loss.lost.denominator, loss.torn.denominator);
    assert(this.fateDenominator <= BLOCK_COUNT_MAX, `disk ${this.deviceId}: crash-loss ratios need a common denominator below 2^32`);
    this.lostCut = (loss.lost.numerator * this.fateDenominator) / loss.lost.denominator;
    this.tornCut = this.lostCut + (loss.torn.numerator * this.fateDenominator) / loss.torn.denominator;
    assert(this.tornCut <= this.fateDenominator, `disk ${this.deviceId}: crash-loss probabilities sum above 1`);
    this.readLabel = this.kernel.labelId(`${this.deviceId}:read`);
    this.writeLabel = this.kernel.labelId(`${this.deviceId}:write`);
    this.flushLabel = this.kernel.labelId(`${this.deviceId}:flush`);
    this.refusedLabel = this.kernel.labelId(`${this.deviceId}:refused`);
    this.hash.addRange(0, baseBlocks, baseId);
    this.oracle?.begin(this.kernel.now(), baseBlocks, baseId, this.hash);
  }

  // -------------------------------------------------------------------------------------------
  // BlockDevice

  read(start: number, count: number, done: (result: IoResult<Payload>) => void): void {
    if (this.refused(start, count, done)) return;
    const pending = new PendingRead(start, count, null, this.epoch, done, null);
    const delay = this.drawDelay(this.latency.readMin, this.latency.readMax);
    this.kernel.scheduleCall(delay, this.readLabel, this.finishRead, pending, start);
  }

  /** The ranges are read together, after one latency, and the request answers once. */
  readMany(ranges: readonly BlockRange[], done: (result: IoResult<readonly Payload[]>) => void): void {
    for (let i = 0; i < ranges.length; i++) if (this.refused(ranges[i].start, ranges[i].count, done)) return;
    if (ranges.length === 0) {
      this.deliverLater(done, { ok: true, value: [] });
      return;
    }
    const pending = new PendingRead(0, 0, ranges, this.epoch, null, done);
    const delay = this.drawDelay(this.latency.readMin, this.latency.readMax);
    this.kernel.scheduleCall(delay, this.readLabel, this.finishReadMany, pending, ranges[0].start);
  }

  write(start: number, payload: Payload, done: (result: IoResult<void>) => void): void {
    const sim = asSimPayload(payload);
    if (this.refused(start, sim.blockCount, done)) return;
    const pending = this.enqueue(start, sim, false);
    pending.done = done;
    const delay = this.drawDelay(this.latency.writeMin, this.latency.writeMax);
    this.kernel.scheduleCall(delay, this.writeLabel, this.finishWrites, pending, start);
  }

  /** The extents land together, in order, and the request answers once. The disk is done with
   *  the `extents` array when this returns (callers may reuse it). */
  writeMany(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    this.submitWrites(extents, done, false);
  }

  /** writeMany with forced unit access: the request completes after the write's latency and a
   *  flush's, its extents durable (a write then a flush of this disk alone, as one request). */
  writeManyDurable(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    this.submitWrites(extents, done, true);
  }

  private submitWrites(extents: readonly Extent[], done: (result: IoResult<void>) => void, durable: boolean): void {
    const count = extents.length;
    if (count === 0) {
      this.deliverLater(done, OK);
      return;
    }
    for (let i = 0; i < count; i++) if (this.refused(extents[i].start, extents[i].payload.blockCount, done)) return;
    const first = this.enqueue(extents[0].start, asSimPayload(extents[0].payload), durable);
    let last = first;
    for (let i = 1; i < count; i++) {
      const pending = this.enqueue(extents[i].start, asSimPayload(extents[i].payload), durable);
      last.sibling = pending;
      last = pending;
    }
    first.done = done;
    // A durable write's flush is the disk's fixed flush latency, scaled like the write's.
    const delay = this.drawDelay(this.latency.writeMin, this.latency.writeMax) + (durable ? this.scaled(this.latency.flush) : 0);
    this.kernel.scheduleCall(delay, this.writeLabel, this.finishWrites, first, first.start);
  }

  private enqueue(start: number, payload: SimPayload, durable: boolean): PendingWrite {
    if (payload instanceof BytesPayload && payload.blockSizeBytes !== this.blockSizeBytes) assert(false, `disk ${this.deviceId}: payload block size differs from the disk's`);
    const pending = new PendingWrite(start, payload, this.epoch, this.pendingMisdirect, this.inFlightTail, durable);
    this.pendingMisdirect = 0;
    if (this.inFlightTail === null) this.inFlightHead = pending;
    else this.inFlightTail.next = pending;
    this.inFlightTail = pending;
    return pending;
  }

  flush(done: (result: IoResult<void>) => void): void {
    if (!this.online) {
      this.deliverLater(done, OFFLINE);
      return;
    }
    const epoch = this.epoch;
    const durableBefore = this.log.endSequence;
    this.kernel.schedule(this.scaled(this.latency.flush), this.flushLabel, () => {
      if (!this.online || epoch !== this.epoch) {
        done(OFFLINE);
        return;
      }
      this.log.dropBefore(durableBefore);
      done(OK);
    });
  }

  attachObserver(observer: WriteObserver): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((attached) => attached !== observer);
    };
  }

  // -------------------------------------------------------------------------------------------
  // World-facing faults

  setOnline(online: boolean): void {
    if (this.online && !online) this.epoch++;
    this.online = online;
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** Multiplies every later latency by `factor` (a slow or overloaded disk). */
  setLatencyFactor(factor: number): void {
    assert(Number.isFinite(factor) && factor > 0, `disk ${this.deviceId}: latency factor must be positive`);
    this.latencyFactor = factor;
  }

  /** Power is cut: resolves every non-durable write (see the fault model) and fails in-flight operations. */
  powerLoss(): PowerLossReport {
    const at = this.kernel.now();
    this.epoch++;
    const writes: CrashedWrite[] = [];
    const revertedBlocks = this.resolveVolatileWrites(at, writes);
    for (let pending = this.inFlightHead; pending !== null; pending = pending.next) {
      const payload = pending.payload;
      const count = payload.blockCount;
      const { fate, keptBlocks } = this.drawFate(count);
      writes.push({ start: pending.start, blockCount: count, acknowledged: false, fate, keptBlocks });
      if (keptBlocks > 0) this.landPayload(pending.start, payload, keptBlocks, pending.misdirectOffset, false);
    }
    this.forgetInFlight();
    this.log.clear();
    this.invariants();
    return { at, writes, revertedBlocks };
  }

  /** Reads covering `block` fail with media-error until the block is rewritten. */
  injectLatentSectorError(block: number): void {
    this.assertBlock(block);
    this.latent.add(block);
    this.mayHaveOverlays = true;
  }

  /** Reads of `block` return damaged content (one bit flipped) until it is rewritten. */
  injectBitRot(block: number): void {
    this.assertBlock(block);
    const bits = this.mode === 'bytes' ? this.blockSizeBytes * 8 : SYMBOLIC_ID_BITS;
    this.rot.set(block, this.random.nextInt(bits));
    this.mayHaveOverlays = true;
  }

  /** The next write issued lands `offsetBlocks` away from where it was aimed. */
  misdirectNextWrite(offsetBlocks: number): void {
    assert(Number.isInteger(offsetBlocks) && offsetBlocks !== 0, `disk ${this.deviceId}: a misdirection moves a write by a non-zero whole number of blocks`);
    this.pendingMisdirect = offsetBlocks;
  }

  // -------------------------------------------------------------------------------------------
  // Truth

  /** The id the guest last wrote to `block` (overlays ignored). */
  pristineId(block: number): number {
    this.assertBlock(block);
    return this.pristine(block);
  }

  /** Order-independent 64-bit hash of the pristine image, as 16 hex digits. */
  imageHash(): string {
    this.settleHash();
    return this.hash.toString();
  }

  /** Works a stale image hash out again. */
  private settleHash(): void {
    if (!this.hashStale) return;
    this.hash.copyFrom(this.recomputedHash());
    this.hashStale = false;
  }

  /** Block `block` changed from `old` to `id`: the running hash follows, or goes stale. */
  private hashChanged(block: number, old: number, id: number): void {
    if (this.oracle !== null) this.hash.replace(block, old, id);
    else this.hashStale = true;
  }

  /** The image hash worked out from the block map alone. */
  private recomputedHash(): ImageHash {
    const content = this.content;
    const recomputed = new ImageHash();
    recomputed.addRange(0, content.baseBlocks, content.baseId);
    content.forEachDiffering((block, id) => recomputed.replace(block, content.implicitId(block), id));
    return recomputed;
  }

  /** Blocks whose content differs from the base image, ascending, with their pristine id. */
  writtenBlocks(): IterableIterator<[number, number]> {
    return this.content.differingBlocks();
  }

  /** Every non-zero block as block -> id, base image included (for rebasing a guest's truth
   *  and for diagnosis; O(base image + written blocks)). */
  contentMap(): Map<number, number> {
    const map = new Map<number, number>();
    const { baseBlocks, baseId } = this.content;
    if (baseId !== 0) for (let block = 0; block < baseBlocks; block++) map.set(block, baseId);
    for (const [block, id] of this.content.differingBlocks()) {
      if (id === 0) map.delete(block);
      else map.set(block, id);
    }
    return map;
  }

  /** Number of blocks whose content differs from the base image. */
  get writtenBlockCount(): number {
    return this.content.differingCount;
  }

  /** Pages of content held (about 2 KiB each): the disk's memory footprint. */
  get contentPageCount(): number {
    return this.content.pageCount;
  }

  /** Full comparison of pristine content with another disk of the same size. */
  contentEquals(other: VirtualDisk, limit = 16): ContentDiff {
    assert(other.blockCount === this.blockCount, `contentEquals: ${this.deviceId} and ${other.deviceId} differ in size`);
    const candidates = new Set<number>();
    for (const [first, end] of [...this.content.allocatedRanges(), ...other.content.allocatedRanges()]) {
      for (let block = first; block < Math.min(end, this.blockCount); block++) candidates.add(block);
    }
    const ours = this.content;
    const theirs = other.content;
    if (ours.baseId !== theirs.baseId || ours.baseBlocks !== theirs.baseBlocks) {
      const high = Math.max(ours.baseBlocks, theirs.baseBlocks);
      const low = ours.baseId === theirs.baseId ? Math.min(ours.baseBlocks, theirs.baseBlocks) : 0;
      for (let block = low; block < high; block++) candidates.add(block);
    }
    const differences: BlockDifference[] = [];
    for (const block of [...candidates].sort((a, b) => a - b)) {
      const ours = this.pristine(block);
      const theirs = other.pristine(block);
      if (ours !== theirs) differences.push({ block, ours, theirs });
      if (differences.length >= limit) break;
    }
    return { equal: differences.length === 0, differences };
  }

  invariants(): void {
    this.content.invariants();
    for (const [block] of this.content.differingBlocks()) this.assertBlock(block);
    assert(this.oracle === null || !this.hashStale, `disk ${this.deviceId}: an oracle's disk lets its image hash go stale`);
    this.settleHash();
    const recomputed = this.recomputedHash();
    assert(recomputed.equals(this.hash), `disk ${this.deviceId}: image hash ${this.hash} differs from recomputed ${recomputed}`);
    for (const block of this.shown.keys()) this.assertBlock(block);
    for (const block of this.rot.keys()) this.assertBlock(block);
    for (const block of this.latent) this.assertBlock(block);
    assert(this.mayHaveOverlays || (this.shown.size === 0 && this.rot.size === 0 && this.latent.size === 0), `disk ${this.deviceId}: overlays the write path does not know of`);
    assert(this.writeCache || this.log.length === 0, `disk ${this.deviceId}: volatile writes without a write cache`);
    let previous: PendingWrite | null = null;
    for (let pending = this.inFlightHead; pending !== null; pending = pending.next) {
      assert(pending.previous === previous, `disk ${this.deviceId}: in-flight list links are broken`);
      previous = pending;
    }
    assert(previous === this.inFlightTail, `disk ${this.deviceId}: in-flight list tail is wrong`);
    this.log.invariants();
  }

  // -------------------------------------------------------------------------------------------
  // Completions

  private readonly finishRead = (pending: PendingRead): void => {
    const { start, count, epoch } = pending;
    const done = pending.done!;
    if (!this.online || epoch !== this.epoch) {
      done(OFFLINE);
      return;
    }
    const latent = this.latentBlockIn(start, count);
    if (latent !== null) {
      done({ ok: false, error: { kind: 'media-error', block: latent } });
      return;
    }
    done({ ok: true, value: this.contentOf(start, count) });
  };

  private readonly finishReadMany = (pending: PendingRead): void => {
    const ranges = pending.ranges!;
    const done = pending.doneMany!;
    const epoch = pending.epoch;
    if (!this.online || epoch !== this.epoch) {
      done(OFFLINE);
      return;
    }
    for (let i = 0; i < ranges.length; i++) {
      const latent = this.latentBlockIn(ranges[i].start, ranges[i].count);
      if (latent !== null) {
        done({ ok: false, error: { kind: 'media-error', block: latent } });
        return;
      }
    }
    const payloads: Payload[] = new Array<Payload>(ranges.length);
    if (this.mode === 'symbolic') this.readSymbolicMany(ranges, payloads);
    else for (let i = 0; i < ranges.length; i++) payloads[i] = this.readBytes(ranges[i].start, ranges[i].count);
    done({ ok: true, value: payloads });
  };

  /** The first block of [start, start + count) with a latent sector error, or null. */
  private latentBlockIn(start: number, count: number): number | null {
    // The flag is a field of the disk, already in cache; the set is an object of its own.
    if (!this.mayHaveOverlays || this.latent.size === 0) return null;
    for (let block = start; block < start + count; block++) if (this.latent.has(block)) return block;
    return null;
  }

  private contentOf(start: number, count: number): SimPayload {
    return this.mode === 'symbolic' ? this.readSymbolic(start, count) : this.readBytes(start, count);
  }

  /** Completes a request's extents in issue order. Failures of any extent (offline, power
   *  loss) answer the whole request once, at the first; otherwise it answers OK after the last. */
  private readonly finishWrites = (first: PendingWrite): void => {
    const done = first.done!;
    if (first.sibling !== null) this.warmWrites(first);
    let answered = false;
    for (let pending: PendingWrite | null = first; pending !== null; pending = pending.sibling) {
      if (this.finishWrite(pending) || answered) continue;
      answered = true;
      done(OFFLINE);
    }
    if (!answered) done(OK);
  };

  /** Loads the blocks a request's extents will land on before landing any of them: the extents
   *  are random blocks of a large map, and landing one runs its observers before the next, so
   *  without this each costs a cache miss of its own; in this tight loop the misses overlap. */
  private warmWrites(first: PendingWrite): void {
    let sink = 0;
    for (let pending: PendingWrite | null = first; pending !== null; pending = pending.sibling) sink ^= this.content.warm(pending.start);
    this.warmSink ^= sink;
  }

  /** Lands one extent and tells the observers; false if the disk lost it (offline, power loss). */
  private finishWrite(pending: PendingWrite): boolean {
    this.unlink(pending);
    if (!this.online || pending.epoch !== this.epoch) return false;
    const payload = pending.payload;
    this.landPayload(pending.start, payload, payload.blockCount, pending.misdirectOffset, true, pending.durable);
    const observers = this.observers;
    if (observers.length > 0) {
      const at = this.kernel.now();
      for (let i = 0; i < observers.length; i++) observers[i].onWrite(pending.start, payload, at);
    }
    return true;
  }

  /** Empties the in-flight list; its writes will still complete, with device-offline. */
  private forgetInFlight(): void {
    for (let pending = this.inFlightHead; pending !== null; ) {
      const next: PendingWrite | null = pending.next;
      pending.previous = null;
      pending.next = null;
      pending = next;
    }
    this.inFlightHead = null;
    this.inFlightTail = null;
  }

  /** Takes a completed write out of the in-flight list (a no-op once a power loss emptied it). */
  private unlink(pending: PendingWrite): void {
    if (pending.previous === null && pending.next === null && this.inFlightHead !== pending) return;
    if (pending.previous === null) this.inFlightHead = pending.next;
    else pending.previous.next = pending.next;
    if (pending.next === null) this.inFlightTail = pending.previous;
    else pending.next.previous = pending.previous;
    pending.previous = null;
    pending.next = null;
  }

  /** The first `count` blocks of a write aimed at `start` land (bytes are decoded against the
   *  blocks they are aimed at). */
  private landPayload(start: number, payload: SimPayload, count: number, misdirectOffset: number, acknowledged: boolean, durable = false): void {
    if (payload instanceof SymbolicPayload) this.land(start, payload.idSource, payload.idOffset, count, payload, misdirectOffset, acknowledged, durable);
    else this.land(start, this.idsOfBytes(payload, start), 0, count, payload, misdirectOffset, acknowledged, durable);
  }

  /** Pristine blocks [start, start + count) take ids[idOffset, idOffset + count); overlays and the log follow. */
  private land(start: number, ids: Uint32Array, idOffset: number, count: number, payload: SimPayload, misdirectOffset: number, acknowledged: boolean, durable: boolean): void {
    if (misdirectOffset !== 0) this.misplace(start, ids, idOffset, count, payload, misdirectOffset);
    // An acknowledged write stays volatile until a flush, unless written durably: a durable
    // write skips the log, unless volatile writes are in it (it must then outlive them in order).
    const logging = acknowledged && this.writeCache && (!durable || this.log.volatileLength > 0);
    const offset = logging ? this.log.append(start, count, durable) : 0;
    // Only a logging disk touches its log (a disk without a write cache never does).
    const previousIds = logging ? this.log.previousIds : null;
    const writtenIds = logging ? this.log.writtenIds : null;
    const clearsOverlays = misdirectOffset === 0 && this.hasOverlays();
    for (let i = 0; i < count; i++) {
      const block = start + i;
      const id = ids[idOffset + i];
      const old = this.content.exchange(block, id);
      if (previousIds !== null && writtenIds !== null) {
        previousIds[offset + i] = old;
        writtenIds[offset + i] = id;
      }
      if (old !== id) this.hashChanged(block, old, id);
      if (clearsOverlays) this.clearOverlaysAt(block);
    }
    this.oracle?.recordWrite(this.kernel.now(), start, ids, count, acknowledged, this.hash, idOffset);
  }

  /** A misdirected write: intended blocks keep showing their old content, landing blocks show the write. */
  private misplace(start: number, ids: Uint32Array, idOffset: number, count: number, payload: SimPayload, offset: number): void {
    this.mayHaveOverlays = true;
    for (let i = 0; i < count; i++) {
      const block = start + i;
      if (!this.shown.has(block)) this.shown.set(block, this.pristine(block));
    }
    for (let i = 0; i < count; i++) {
      const target = start + i + offset;
      if (target < 0 || target >= this.blockCount) continue;
      const id = ids[idOffset + i];
      this.shown.set(target, this.mode === 'bytes' ? this.idLandedAt(payload, id, i, start + i, target) : id);
      this.rot.delete(target);
      this.latent.delete(target);
    }
  }

  /** Bytes mode: the id of block `index` (pristine id `id`) of a write aimed at `intended` as read back at `target`. */
  private idLandedAt(payload: SimPayload, id: number, index: number, intended: number, target: number): number {
    const size = this.blockSizeBytes;
    let bytes: Uint8Array;
    let offset = 0;
    if (payload instanceof BytesPayload) {
      bytes = payload.bytes;
      offset = index * size;
    } else {
      bytes = new Uint8Array(size);
      writeContent(bytes, 0, id, intended, size);
    }
    return this.idOfBytes(bytes, offset, target);
  }

  /** Resolves unflushed acknowledged writes at a power loss; returns how many blocks reverted. */
  private resolveVolatileWrites(at: Instant, writes: CrashedWrite[]): number {
    if (this.log.length === 0) return 0;
    const previousIds = this.log.previousIds;
    const writtenIds = this.log.writtenIds;
    const survivor = new Map<number, number>();
    this.log.forEach((start, count, offset) => {
      for (let i = 0; i < count; i++) if (!survivor.has(start + i)) survivor.set(start + i, previousIds[offset + i]);
    });
    this.log.forEach((start, count, offset, durable) => {
      const { fate, keptBlocks } = durable ? KEPT(count) : this.drawFate(count);
      writes.push({ start, blockCount: count, acknowledged: true, fate, keptBlocks });
      for (let i = 0; i < keptBlocks; i++) survivor.set(start + i, writtenIds[offset + i]);
    });
    const blocks: number[] = [];
    const ids: number[] = [];
    for (const block of [...survivor.keys()].sort((a, b) => a - b)) {
      const id = survivor.get(block)!;
      const old = this.content.exchange(block, id);
      if (old === id) continue;
      this.hashChanged(block, old, id);
      if (this.shown.get(block) === id) this.shown.delete(block);
      blocks.push(block);
      ids.push(id);
    }
    if (blocks.length > 0) this.oracle?.recordReversion(at, blocks, ids, this.hash);
    return blocks.length;
  }

  private drawFate(count: number): { fate: CrashFate; keptBlocks: number } {
    const draw = this.random.nextInt(this.fateDenominator);
    if (draw < this.lostCut) return { fate: 'lost', keptBlocks: 0 };
    if (draw < this.tornCut) {
      if (count < 2) return { fate: 'lost', keptBlocks: 0 };
      return { fate: 'torn', keptBlocks: this.random.between(1, count - 1) };
    }
    return { fate: 'kept', keptBlocks: count };
  }

  // -------------------------------------------------------------------------------------------
  // Content

  private pristine(block: number): number {
    return this.content.get(block);
  }

  /** What the medium holds at `block`: a misdirected write's content, else pristine. */
  private medium(block: number): number {
    const shown = this.shown.get(block);
    return shown !== undefined ? shown : this.pristine(block);
  }

  private hasOverlays(): boolean {
    if (!this.mayHaveOverlays) return false;
    this.mayHaveOverlays = this.shown.size !== 0 || this.rot.size !== 0 || this.latent.size !== 0;
    return this.mayHaveOverlays;
  }

  private clearOverlaysAt(block: number): void {
    this.shown.delete(block);
    this.rot.delete(block);
    this.latent.delete(block);
  }

  /** Pristine ids of bytes aimed at `start` (decoded against the blocks they are aimed at). */
  private idsOfBytes(payload: BytesPayload, start: number): Uint32Array {
    const ids = new Uint32Array(payload.blockCount);
    for (let i = 0; i < ids.length; i++) ids[i] = this.idOfBytes(payload.bytes, i * this.blockSizeBytes, start + i);
    return ids;
  }

  /** The content id of a block of bytes found at `block`: its write id, or a foreign id. */
  private idOfBytes(bytes: Uint8Array, offset: number, block: number): number {
    const size = this.blockSizeBytes;
    const decoded = decodeBlock(bytes, offset, block, size);
    if (decoded !== NOT_AN_ENCODING) return decoded;
    let id = foreignIdOf(bytesBlockChecksum(bytes, offset, size));
    if (this.mode === 'symbolic') return id;
    for (;;) {
      const known = this.foreignBytes.get(id);
      if (known === undefined) {
        this.foreignBytes.set(id, bytes.slice(offset, offset + size));
        return id;
      }
      if (sameBytes(known, bytes, offset)) return id;
      id = foreignIdOf(id + 1);
    }
  }

  private readSymbolic(start: number, count: number): SymbolicPayload {
    const ids = new Uint32Array(count);
    this.readSymbolicInto(ids, 0, start, count);
    return new SymbolicPayload(ids);
  }

  /** The ranges of one request share one array (a read of many one-block ranges would otherwise
   *  cost a typed array of its own per block). */
  private readSymbolicMany(ranges: readonly BlockRange[], payloads: Payload[]): void {
    let total = 0;
    let sink = 0;
    // Summing the counts warms every range's first block too (see warmWrites).
    for (let i = 0; i < ranges.length; i++) {
      total += ranges[i].count;
      sink ^= this.content.warm(ranges[i].start);
    }
    this.warmSink ^= sink;
    const ids = new Uint32Array(total);
    let offset = 0;
    for (let i = 0; i < ranges.length; i++) {
      const { start, count } = ranges[i];
      this.readSymbolicInto(ids, offset, start, count);
      payloads[i] = new SymbolicPayload(ids, offset, count);
      offset += count;
    }
  }

  /** What the medium shows at blocks [start, start + count), into ids[at, at + count). */
  private readSymbolicInto(ids: Uint32Array, at: number, start: number, count: number): void {
    if (!this.hasOverlays()) {
      for (let i = 0; i < count; i++) ids[at + i] = this.pristine(start + i);
      return;
    }
    for (let i = 0; i < count; i++) {
      const bit = this.rot.get(start + i);
      const id = this.medium(start + i);
      ids[at + i] = bit === undefined ? id : (id ^ (1 << bit)) >>> 0;
    }
  }

  private readBytes(start: number, count: number): BytesPayload {
    const size = this.blockSizeBytes;
    const bytes = new Uint8Array(count * size);
    for (let i = 0; i < count; i++) {
      const block = start + i;
      const id = this.medium(block);
      const foreign = this.foreignBytes.get(id);
      if (foreign !== undefined) bytes.set(foreign, i * size);
      else writeContent(bytes, i * size, id, block, size);
      const bit = this.rot.get(block);
      if (bit !== undefined) bytes[i * size + (bit >>> 3)] ^= 1 << (bit & 7);
    }
    return new BytesPayload(bytes, size);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /** Delivers an immediate refusal (range or offline) as a later event; true if refused. */
  private refused<T>(start: number, count: number, done: (result: IoResult<T>) => void): boolean {
    if (!(Number.isInteger(start) && Number.isInteger(count) && count >= 0)) assert(false, `disk ${this.deviceId}: block ranges are integers, got start ${start} count ${count}`);
    if (start < 0 || start + count > this.blockCount) {
      const block = start < 0 ? start : Math.max(start, this.blockCount);
      this.deliverLater(done, { ok: false, error: { kind: 'out-of-range', block } });
      return true;
    }
    if (!this.online) {
      this.deliverLater(done, OFFLINE);
      return true;
    }
    return false;
  }

  private deliverLater<T>(done: (result: IoResult<T>) => void, result: IoResult<T>): void {
    this.kernel.schedule(0, this.refusedLabel, () => done(result));
  }

  private drawDelay(min: Duration, max: Duration): number {
    return this.scaled(min === max ? min : this.random.between(min, max));
  }

  private scaled(delay: number): number {
    return this.latencyFactor === 1 ? delay : Math.round(delay * this.latencyFactor);
  }

  private assertBlock(block: number): void {
    if (!(Number.isInteger(block) && block >= 0 && block < this.blockCount)) assert(false, `disk ${this.deviceId}: block ${block} outside [0, ${this.blockCount})`);
  }
}

function sameBytes(known: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[offset + i]) return false;
  return true;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
