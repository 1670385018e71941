// The disk oracle (DESIGN.md section 3): the time-ordered record of every change of one disk's
// pristine image, so a checker can ask "what did this disk hold at instant t?" exactly.
//
// Fault model: none; it is the truth the checkers judge faults against. It records what the disk
// tells it: the pre-existing image, writes landing (acknowledged, or landing unacknowledged at a
// power loss) and crash reversions, each with the disk's running image hash after the change.
//
// Storage: a simulated day records millions of changes over hundreds of disks, each disk taking a
// batch of writes now and then, so its record is cold (out of cache) at every batch, and fresh
// memory is slow to touch. So a change is appended as one row to a log of 32-bit words, its fields
// and its block ids side by side, and a batch touches one or two cache lines; nothing is indexed
// while writing. Rows (the top 3 bits of a row's first word say which):
//   - an acknowledged write of one block below 2^29 (the common change): [start, id], 8 bytes;
//   - any other write: [header (acknowledged bit, count), start, ids...];
//   - a reversion: [header (count), block, id, block, id...];
//   - an instant: [header, laneA, laneB] before the first change at a new instant, with the image
//     hash after the previous instant's last change (the base image's for the first instant);
//     the header holds the time since the previous instant when it is a whole number of
//     microseconds below 2^28, else two more words hold the instant's float64 bits. The open (last)
//     instant's hash is kept in fields until the next instant closes it. The changes of one
//     instant (a batch landing together) share one hash: no query can tell their intermediate
//     hashes apart, since every query asks about the image after all changes at or before some t.
// The log lives in fixed-size chunks, so it is appended to without ever being copied. Queries
// find instants through samples taken while writing: an instant's row becomes a sample (its
// offset and time) when it begins at least SAMPLE_WORDS words after the previous sample, so a few
// hundred bytes of log separate samples and the rows past those words up to the next sample all
// belong to one instant. "Which row closes the last instant at or before t?" (whose hash is the
// image's after t, and before which lie the changes an image at t holds) is a binary search over
// the samples and a scan of at most SAMPLE_WORDS words. `idAt` also uses a per-block index of
// rows, and `changeAt` an index of where each change's row begins, both built lazily from where
// the last query left off; `imageAt` and `acknowledgedWrites` replay the log.
import { assert, type Instant } from '../../model/index.js';
import { ImageHash } from './image-hash.js';

export type OracleChangeKind = 'acknowledged-write' | 'unacknowledged-write' | 'crash-reversion';

/** A write as the oracle saw it land. */
export interface OracleWrite {
  readonly at: Instant;
  readonly start: number;
  readonly ids: Uint32Array;
}

const ROW_TYPE_SHIFT = 29;
const ROW_SINGLE = 0;
const ROW_WRITE = 1;
const ROW_REVERSION = 2;
const ROW_INSTANT = 3;
const WRITE_HEADER = ROW_WRITE << ROW_TYPE_SHIFT;
const REVERSION_HEADER = ROW_REVERSION << ROW_TYPE_SHIFT;
const INSTANT_HEADER = ROW_INSTANT << ROW_TYPE_SHIFT;
/** In a write's header: the write was acknowledged; in an instant's: its time follows in full. */
const FLAG = 1 << 28;
/** A single-block acknowledged write row's first word is its start block, so below 2^29. */
const SINGLE_START_MAX = (1 << ROW_TYPE_SHIFT) - 1;
/** Blocks in a write, pairs in a reversion, microseconds since the previous instant in a header. */
const HEADER_VALUE_MAX = FLAG - 1;
const SINGLE_ROW_WORDS = 2;
const INSTANT_ROW_WORDS = 3;
const TIMED_INSTANT_ROW_WORDS = 5;

const LOG_CHUNK_SHIFT = 12;
const LOG_CHUNK = 1 << LOG_CHUNK_SHIFT;
const LOG_MASK = LOG_CHUNK - 1;
/** Log offsets are indexed as uint32 (and change numbers, fewer: a change takes two words or more). */
const INDEX_MAX = 0xffff_ffff;
/** Log words between samples: a query scans at most this many (a few hundred bytes). */
const SAMPLE_WORDS = 128;

// An instant's full time as two words: the bits of its float64, so any value round-trips exactly.
const timeBits = new Float64Array(1);
const timeWords = new Uint32Array(timeBits.buffer);

export class DiskOracle {
  /** The log, in chunks of LOG_CHUNK words; a row may span chunks. */
  private readonly chunks: Uint32Array[] = [];
  /** The last chunk, and the log offset at which it ends: the log's words are [0, used). */
  private tail = new Uint32Array(0);
  private tailEnd = 0;
  private used = 0;
  private changes = 0;
  private instants = 0;
  /** The last instant's time (-Infinity before the first), so that a change at it opens none. */
  private lastAt = -Infinity;
  /** The image hash after the last change (the base image's before the first). */
  private openLaneA = 0;
  private openLaneB = 0;
  private started = false;
  private baseBlocks = 0;
  private baseId = 0;
  private baseLaneA = 0;
  private baseLaneB = 0;
  private baseAt = 0;

  /** Sampled instants' rows (increasing offsets) and times (increasing). */
  private readonly sampleOffsets: number[] = [];
  private readonly sampleTimes: number[] = [];
  /** The last sample's offset (far back before the first, so that the first instant is one). */
  private lastSampleOffset = -SAMPLE_WORDS;
  /** Where the rows of changes [0, changesIndexed) begin, read from the log up to changeScan. */
  private changeOffsets = new Uint32Array(0);
  private changesIndexed = 0;
  private changeScan = 0;
  /** block -> the rows of the changes touching it, for the log up to blockScan. */
  private readonly byBlock = new Map<number, number[]>();
  private blockScan = 0;

  constructor(readonly deviceId = '') {}

  /** Number of recorded changes. */
  get changeCount(): number {
    return this.changes;
  }

  /** Called once by the disk: blocks [0, baseBlocks) hold `baseId` at `at`; `hash` is its hash. */
  begin(at: Instant, baseBlocks: number, baseId: number, hash: ImageHash): void {
    assert(!this.started, `oracle ${this.deviceId}: attached to a second disk`);
    this.started = true;
    this.baseAt = at;
    this.baseBlocks = baseBlocks;
    this.baseId = baseId;
    this.baseLaneA = hash.laneA;
    this.baseLaneB = hash.laneB;
    this.openLaneA = hash.laneA;
    this.openLaneB = hash.laneB;
  }

  /** Blocks [start, start + count) got ids[idOffset, idOffset + count); `hash` is the image hash after that. */
  recordWrite(at: Instant, start: number, ids: Uint32Array, count: number, acknowledged: boolean, hash: ImageHash, idOffset = 0): void {
    if (count > HEADER_VALUE_MAX) this.refuseCount(count);
    if (at !== this.lastAt) this.openInstant(at);
    const used = this.used;
    // (A negative start goes to a full row, whose start word wraps as a uint32 does.)
    if (count === 1 && acknowledged && start >>> 0 <= SINGLE_START_MAX) {
      if (used + SINGLE_ROW_WORDS <= this.tailEnd) {
        const tail = this.tail;
        const slot = used & LOG_MASK;
        tail[slot] = start;
        tail[slot + 1] = ids[idOffset];
        this.used = used + SINGLE_ROW_WORDS;
      } else {
        this.push(start);
        this.push(ids[idOffset]);
      }
    } else {
      this.push(WRITE_HEADER | (acknowledged ? FLAG : 0) | count);
      this.push(start);
      for (let i = 0; i < count; i++) this.push(ids[idOffset + i]);
    }
    this.changes++;
    this.openLaneA = hash.laneA;
    this.openLaneB = hash.laneB;
  }

  /** A power loss set each `blocks[i]` back to `ids[i]`; `hash` is the image hash after that. */
  recordReversion(at: Instant, blocks: readonly number[], ids: readonly number[], hash: ImageHash): void {
    assert(blocks.length === ids.length, 'reversion: one id per block');
    if (blocks.length > HEADER_VALUE_MAX) this.refuseCount(blocks.length);
    if (at !== this.lastAt) this.openInstant(at);
    this.push(REVERSION_HEADER | blocks.length);
    for (let i = 0; i < blocks.length; i++) {
      this.push(blocks[i]);
      this.push(ids[i]);
    }
    this.changes++;
    this.openLaneA = hash.laneA;
    this.openLaneB = hash.laneB;
  }

  /** The image hash after every change at or before `t`. O(log n). */
  imageHashAt(t: Instant | number): string {
    this.assertStarted();
    // The row closing the changes at or before t holds the hash after them (the base image's
    // when it is the first instant's); past the log's end, the hash is the open instant's.
    const closing = this.closingRowAfter(t);
    if (closing === this.used) return ImageHash.format(this.openLaneA, this.openLaneB);
    return ImageHash.format(this.wordAt(closing + 1), this.wordAt(closing + 2));
  }

  /** The content id of `block` after every change at or before `t`. */
  idAt(block: number, t: Instant | number): number {
    this.assertStarted();
    this.extendBlockIndex();
    const touching = this.byBlock.get(block);
    if (touching !== undefined) {
      const closing = this.closingRowAfter(t);
      let low = 0;
      let high = touching.length - 1;
      let found = -1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (touching[middle] < closing) {
          found = touching[middle];
          low = middle + 1;
        } else high = middle - 1;
      }
      if (found >= 0) return this.idIn(found, block);
    }
    return block < this.baseBlocks ? this.baseId : 0;
  }

  /** Every non-zero block after every change at or before `t` (includes the base image). */
  imageAt(t: Instant | number): Map<number, number> {
    this.assertStarted();
    const image = new Map<number, number>();
    if (this.baseId !== 0) for (let block = 0; block < this.baseBlocks; block++) image.set(block, this.baseId);
    const closing = this.closingRowAfter(t);
    for (let offset = 0; offset < closing; offset = this.rowEnd(offset)) {
      if (this.wordAt(offset) >>> ROW_TYPE_SHIFT !== ROW_INSTANT) this.forEachBlockAt(offset, (block, id) => (id === 0 ? image.delete(block) : image.set(block, id)));
    }
    return image;
  }

  /** Every acknowledged write, in the order they landed. */
  acknowledgedWrites(): OracleWrite[] {
    const writes: OracleWrite[] = [];
    let at = this.baseAt;
    for (let offset = 0; offset < this.used; offset = this.rowEnd(offset)) {
      const header = this.wordAt(offset);
      const type = header >>> ROW_TYPE_SHIFT;
      if (type === ROW_INSTANT) at = this.instantTime(offset, at);
      else if (type === ROW_SINGLE) writes.push({ at: at as Instant, start: header, ids: Uint32Array.of(this.wordAt(offset + 1)) });
      else if (type === ROW_WRITE && (header & FLAG) !== 0) {
        const ids = new Uint32Array(header & HEADER_VALUE_MAX);
        for (let i = 0; i < ids.length; i++) ids[i] = this.wordAt(offset + 2 + i);
        writes.push({ at: at as Instant, start: this.wordAt(offset + 1), ids });
      }
    }
    return writes;
  }

  /** The kind and instant of change `index` (for reports and diagnosis). O(log n). */
  changeAt(index: number): { readonly kind: OracleChangeKind; readonly at: Instant; readonly blockCount: number } {
    assert(Number.isInteger(index) && index >= 0 && index < this.changes, `oracle: no change ${index}`);
    this.extendChangeIndex();
    const offset = this.changeOffsets[index];
    const header = this.wordAt(offset);
    const type = header >>> ROW_TYPE_SHIFT;
    const kind: OracleChangeKind = type === ROW_REVERSION ? 'crash-reversion' : type === ROW_SINGLE || (header & FLAG) !== 0 ? 'acknowledged-write' : 'unacknowledged-write';
    const blockCount = type === ROW_SINGLE ? 1 : header & HEADER_VALUE_MAX;
    return { kind, at: this.timeOfRow(offset) as Instant, blockCount };
  }

  invariants(): void {
    const id = this.deviceId;
    assert(this.chunks.length === Math.ceil(this.used / LOG_CHUNK) && this.tailEnd === this.chunks.length * LOG_CHUNK, `oracle ${id}: ${this.chunks.length} chunks for ${this.used} words`);
    assert(this.chunks.length === 0 || this.tail === this.chunks[this.chunks.length - 1], `oracle ${id}: the tail is not the last chunk`);
    assert(this.changesIndexed <= this.changes && this.changeScan <= this.used && this.blockScan <= this.used, `oracle ${id}: indexed past the log`);
    let changes = 0;
    let instants = 0;
    let samples = 0;
    let at = this.baseAt;
    /** The changes before the last instant seen. */
    let changesBefore = 0;
    let offset = 0;
    for (; offset < this.used; offset = this.rowEnd(offset)) {
      const header = this.wordAt(offset);
      const type = header >>> ROW_TYPE_SHIFT;
      assert(type <= ROW_INSTANT, `oracle ${id}: a row of unknown type ${type} at ${offset}`);
      if (type !== ROW_INSTANT) {
        assert(instants > 0, `oracle ${id}: change ${changes} comes before any instant`);
        if (changes < this.changesIndexed) assert(this.changeOffsets[changes] === offset, `oracle ${id}: change ${changes} is indexed at the wrong offset`);
        changes++;
        continue;
      }
      const time = this.instantTime(offset, at);
      assert(instants === 0 ? time >= at : time > at, `oracle ${id}: instant ${instants} does not come after the previous one`);
      if (instants === 0) assert(this.wordAt(offset + 1) === this.baseLaneA && this.wordAt(offset + 2) === this.baseLaneB, `oracle ${id}: the first instant does not close the base image's hash`);
      else assert(changes > changesBefore, `oracle ${id}: instant ${instants - 1} has no change of its own`);
      const sampled = samples < this.sampleOffsets.length && this.sampleOffsets[samples] === offset;
      const due = instants === 0 || offset - this.sampleOffsets[samples - 1] >= SAMPLE_WORDS;
      assert(sampled === due, `oracle ${id}: instant ${instants} ${sampled ? 'is sampled too early' : 'is not sampled'}`);
      if (sampled) assert(this.sampleTimes[samples++] === time, `oracle ${id}: sample ${samples - 1} has the wrong time`);
      at = time;
      changesBefore = changes;
      instants++;
    }
    assert(offset === this.used, `oracle ${id}: the last row runs past the log's end`);
    assert(changes === this.changes && instants === this.instants, `oracle ${id}: the log holds ${changes} changes at ${instants} instants, not ${this.changes} at ${this.instants}`);
    assert(instants === 0 || changes > changesBefore, `oracle ${id}: the last instant has no change of its own`);
    assert(this.lastAt === (instants === 0 ? -Infinity : at), `oracle ${id}: the last instant is not ${this.lastAt}`);
    assert(samples === this.sampleOffsets.length && samples === this.sampleTimes.length, `oracle ${id}: ${this.sampleOffsets.length} samples, ${samples} in the log`);
    assert(this.lastSampleOffset === (samples === 0 ? -SAMPLE_WORDS : this.sampleOffsets[samples - 1]), `oracle ${id}: the last sample is not at ${this.lastSampleOffset}`);
  }

  private assertStarted(): void {
    if (!this.started) assert(false, `oracle ${this.deviceId}: no disk attached`);
  }

  /** The first change at `at`: the row of a new instant, closing the previous one with its hash. */
  private openInstant(at: number): void {
    this.assertStarted();
    const previous = this.instants === 0 ? this.baseAt : this.lastAt;
    if (!(at >= previous)) assert(false, `oracle ${this.deviceId}: change at ${at} is before the previous one`);
    const delta = at - previous;
    const inHeader = delta <= HEADER_VALUE_MAX && Number.isInteger(delta) && previous + delta === at;
    const used = this.used;
    if (used - this.lastSampleOffset >= SAMPLE_WORDS) {
      this.sampleOffsets.push(used);
      this.sampleTimes.push(at);
      this.lastSampleOffset = used;
    }
    if (inHeader && used + INSTANT_ROW_WORDS <= this.tailEnd) {
      const tail = this.tail;
      const slot = used & LOG_MASK;
      tail[slot] = INSTANT_HEADER | delta;
      tail[slot + 1] = this.openLaneA;
      tail[slot + 2] = this.openLaneB;
      this.used = used + INSTANT_ROW_WORDS;
    } else {
      this.push(inHeader ? INSTANT_HEADER | delta : INSTANT_HEADER | FLAG);
      this.push(this.openLaneA);
      this.push(this.openLaneB);
      if (!inHeader) {
        timeBits[0] = at;
        this.push(timeWords[0]);
        this.push(timeWords[1]);
      }
    }
    this.instants++;
    this.lastAt = at;
  }

  /** A row's header holds its block count. */
  private refuseCount(count: number): never {
    assert(false, `oracle ${this.deviceId}: a change of ${count} blocks is more than ${HEADER_VALUE_MAX}`);
  }

  private push(word: number): void {
    if (this.used === this.tailEnd) {
      if (this.tailEnd + LOG_CHUNK > INDEX_MAX + 1) assert(false, `oracle ${this.deviceId}: more than ${INDEX_MAX} words recorded`);
      this.tail = new Uint32Array(LOG_CHUNK);
      this.chunks.push(this.tail);
      this.tailEnd += LOG_CHUNK;
    }
    this.tail[this.used++ & LOG_MASK] = word;
  }

  private wordAt(offset: number): number {
    return this.chunks[offset >>> LOG_CHUNK_SHIFT][offset & LOG_MASK];
  }

  /** The offset just past the row at `offset`. */
  private rowEnd(offset: number): number {
    const header = this.wordAt(offset);
    switch (header >>> ROW_TYPE_SHIFT) {
      case ROW_SINGLE:
        return offset + SINGLE_ROW_WORDS;
      case ROW_WRITE:
        return offset + 2 + (header & HEADER_VALUE_MAX);
      case ROW_REVERSION:
        return offset + 1 + 2 * (header & HEADER_VALUE_MAX);
      default:
        return offset + ((header & FLAG) !== 0 ? TIMED_INSTANT_ROW_WORDS : INSTANT_ROW_WORDS);
    }
  }

  /** The time of the instant whose row is at `offset`, given the previous instant's. */
  private instantTime(offset: number, previous: number): number {
    const header = this.wordAt(offset);
    if ((header & FLAG) === 0) return previous + (header & HEADER_VALUE_MAX);
    timeWords[0] = this.wordAt(offset + 3);
    timeWords[1] = this.wordAt(offset + 4);
    return timeBits[0];
  }

  /** The index of the last of the increasing `values` (samples' times or offsets) at or below `value`, or -1. */
  private lastSampleAtOrBefore(value: number, values: readonly number[]): number {
    let low = 0;
    let high = values.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (values[middle] <= value) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  /** The offset of the first instant's row later than `t`, or the log's end: every change row
   *  before it happened at or before `t`, every one after it later. */
  private closingRowAfter(t: number): number {
    const sample = this.lastSampleAtOrBefore(t, this.sampleTimes);
    if (sample < 0) return 0;
    const from = this.sampleOffsets[sample];
    // No instant begins past SAMPLE_WORDS after a sample without being the next one.
    const next = sample + 1 < this.sampleOffsets.length ? this.sampleOffsets[sample + 1] : this.used;
    const scanEnd = Math.min(from + SAMPLE_WORDS, next);
    let at = this.sampleTimes[sample];
    for (let offset = this.rowEnd(from); offset < scanEnd; offset = this.rowEnd(offset)) {
      if (this.wordAt(offset) >>> ROW_TYPE_SHIFT !== ROW_INSTANT) continue;
      at = this.instantTime(offset, at);
      if (at > t) return offset;
    }
    return next;
  }

  /** The time of the instant of the change whose row is at `offset`. */
  private timeOfRow(offset: number): number {
    const sample = this.lastSampleAtOrBefore(offset, this.sampleOffsets);
    const from = this.sampleOffsets[sample];
    const scanEnd = Math.min(from + SAMPLE_WORDS, offset);
    let at = this.sampleTimes[sample];
    for (let row = this.rowEnd(from); row < scanEnd; row = this.rowEnd(row)) {
      if (this.wordAt(row) >>> ROW_TYPE_SHIFT === ROW_INSTANT) at = this.instantTime(row, at);
    }
    return at;
  }

  /** Indexes where the rows of the changes recorded since the last query begin. */
  private extendChangeIndex(): void {
    if (this.changesIndexed === this.changes) return;
    if (this.changeOffsets.length < this.changes) {
      const grown = new Uint32Array(Math.max(this.changes, 2 * this.changeOffsets.length));
      grown.set(this.changeOffsets);
      this.changeOffsets = grown;
    }
    let offset = this.changeScan;
    let change = this.changesIndexed;
    for (; offset < this.used; offset = this.rowEnd(offset)) {
      if (this.wordAt(offset) >>> ROW_TYPE_SHIFT !== ROW_INSTANT) this.changeOffsets[change++] = offset;
    }
    this.changesIndexed = change;
    this.changeScan = offset;
  }

  /** Files the rows recorded since the last query under the blocks they touch. */
  private extendBlockIndex(): void {
    let offset = this.blockScan;
    for (; offset < this.used; offset = this.rowEnd(offset)) {
      if (this.wordAt(offset) >>> ROW_TYPE_SHIFT === ROW_INSTANT) continue;
      const row = offset;
      this.forEachBlockAt(row, (block) => {
        const list = this.byBlock.get(block);
        if (list === undefined) this.byBlock.set(block, [row]);
        else if (list[list.length - 1] !== row) list.push(row);
      });
    }
    this.blockScan = offset;
  }

  /** Visits the (block, id) pairs of the change whose row is at `offset`, in the order it applied them. */
  private forEachBlockAt(offset: number, visit: (block: number, id: number) => void): void {
    const header = this.wordAt(offset);
    const type = header >>> ROW_TYPE_SHIFT;
    if (type === ROW_SINGLE) visit(header, this.wordAt(offset + 1));
    else if (type === ROW_WRITE) {
      const start = this.wordAt(offset + 1);
      const count = header & HEADER_VALUE_MAX;
      for (let i = 0; i < count; i++) visit(start + i, this.wordAt(offset + 2 + i));
    } else {
      const count = header & HEADER_VALUE_MAX;
      for (let i = 0; i < count; i++) visit(this.wordAt(offset + 1 + 2 * i), this.wordAt(offset + 2 + 2 * i));
    }
  }

  /** The id the change whose row is at `offset` gave `block`, which it touches. */
  private idIn(offset: number, block: number): number {
    const header = this.wordAt(offset);
    const type = header >>> ROW_TYPE_SHIFT;
    if (type === ROW_SINGLE) return this.wordAt(offset + 1);
    if (type === ROW_WRITE) return this.wordAt(offset + 2 + block - this.wordAt(offset + 1));
    const count = header & HEADER_VALUE_MAX;
    // The last pair for the block is the one that stuck.
    for (let i = count - 1; i >= 0; i--) if (this.wordAt(offset + 1 + 2 * i) === block) return this.wordAt(offset + 2 + 2 * i);
    assert(false, `oracle ${this.deviceId}: the change at ${offset} was indexed under block ${block} but does not touch it`);
  }
}

