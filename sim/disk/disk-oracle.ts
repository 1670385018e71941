// The disk oracle (DESIGN.md section 3): the time-ordered record of every change of one disk's
// pristine image, so a checker can ask "what did this disk hold at instant t?" exactly.
//
// Fault model: none; it is the truth the checkers judge faults against. It records what the disk
// tells it: the pre-existing image, writes landing (acknowledged, or landing unacknowledged at a
// power loss) and crash reversions, each with the disk's running image hash after the change.
//
// Storage: a simulated day records millions of changes over hundreds of disks, and fresh memory
// is slow to touch, so the record is small and is appended to without ever being copied:
//   - per change, 13 bytes (first block, block count, kind, where its words begin) plus its
//     words: 4 bytes per block written, 8 per reverted block;
//   - per instant at which changes happened, 20 bytes (the instant, its first change, and the
//     image hash after its last change): the changes of one instant (a batch of writes landing
//     together) share it, and no query can tell their intermediate hashes apart, since every
//     query asks about the image after all the changes at or before some instant.
// All of it lives in fixed-size chunks of typed arrays. `imageHashAt` and `changeAt` are binary
// searches; `idAt` uses a per-block index built lazily on first use; `imageAt` replays (for
// diagnosis).
import { assert, type Instant } from '../../model/index.js';
import { ImageHash } from './image-hash.js';

export type OracleChangeKind = 'acknowledged-write' | 'unacknowledged-write' | 'crash-reversion';

const KIND_CODES: readonly OracleChangeKind[] = ['acknowledged-write', 'unacknowledged-write', 'crash-reversion'];
const ACKNOWLEDGED = 0;
const UNACKNOWLEDGED = 1;
const REVERSION = 2;

/** A write as the oracle saw it land. */
export interface OracleWrite {
  readonly at: Instant;
  readonly start: number;
  readonly ids: Uint32Array;
}

const CHANGE_CHUNK_SHIFT = 10;
const CHANGE_CHUNK = 1 << CHANGE_CHUNK_SHIFT;
const INSTANT_CHUNK_SHIFT = 9;
const INSTANT_CHUNK = 1 << INSTANT_CHUNK_SHIFT;
const WORD_CHUNK_SHIFT = 12;
const WORD_CHUNK = 1 << WORD_CHUNK_SHIFT;
/** Change numbers and word offsets are kept as uint32. */
const INDEX_MAX = 0xffff_ffff;

/** Changes [k * CHANGE_CHUNK, (k + 1) * CHANGE_CHUNK): a column per field, in one buffer. */
class ChangeChunk {
  /** First block of a write (unused by a reversion). */
  readonly starts: Uint32Array;
  /** Blocks in a write; (block, id) pairs in a reversion. */
  readonly counts: Uint32Array;
  /** Where the change's words begin in the word arena. */
  readonly offsets: Uint32Array;
  readonly kinds: Uint8Array;

  constructor() {
    const n = CHANGE_CHUNK;
    const buffer = new ArrayBuffer(13 * n);
    this.starts = new Uint32Array(buffer, 0, n);
    this.counts = new Uint32Array(buffer, 4 * n, n);
    this.offsets = new Uint32Array(buffer, 8 * n, n);
    this.kinds = new Uint8Array(buffer, 12 * n, n);
  }
}

/** Instants [k * INSTANT_CHUNK, (k + 1) * INSTANT_CHUNK) at which changes happened. */
class InstantChunk {
  readonly times: Float64Array;
  /** The first change at the instant; the instant's changes run up to the next instant's first. */
  readonly firstChanges: Uint32Array;
  /** The image hash after the instant's last change. */
  readonly lanesA: Uint32Array;
  readonly lanesB: Uint32Array;

  constructor() {
    const n = INSTANT_CHUNK;
    const buffer = new ArrayBuffer(20 * n);
    this.times = new Float64Array(buffer, 0, n);
    this.firstChanges = new Uint32Array(buffer, 8 * n, n);
    this.lanesA = new Uint32Array(buffer, 12 * n, n);
    this.lanesB = new Uint32Array(buffer, 16 * n, n);
  }
}

export class DiskOracle {
  private readonly changeChunks: ChangeChunk[] = [];
  private readonly instantChunks: InstantChunk[] = [];
  /** The word arena: chunks of WORD_CHUNK words; a change's words may span chunks. */
  private readonly wordChunks: Uint32Array[] = [];
  private changes = 0;
  private instants = 0;
  /** The instant of the last change (the base image's before the first), kept apart from the
   *  chunks so that appending reads no chunk memory. */
  private lastAt = 0;
  private wordsUsed = 0;
  private started = false;
  private baseBlocks = 0;
  private baseId = 0;
  private baseLaneA = 0;
  private baseLaneB = 0;
  private baseAt = 0;
  /** block -> indices of the changes touching it, for changes [0, indexedChanges). */
  private readonly byBlock = new Map<number, number[]>();
  private indexedChanges = 0;

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
    this.lastAt = at;
    this.baseBlocks = baseBlocks;
    this.baseId = baseId;
    this.baseLaneA = hash.laneA;
    this.baseLaneB = hash.laneB;
  }

  /** Blocks [start, start + count) got ids[idOffset, idOffset + count); `hash` is the image hash after that. */
  recordWrite(at: Instant, start: number, ids: Uint32Array, count: number, acknowledged: boolean, hash: ImageHash, idOffset = 0): void {
    const offset = this.wordsUsed;
    this.appendChange(at, start, count, acknowledged ? ACKNOWLEDGED : UNACKNOWLEDGED, hash, count);
    // The words go after the last one stored: into the last chunk, unless it is full.
    let slot = offset & (WORD_CHUNK - 1);
    let chunk = slot === 0 ? null : this.wordChunks[this.wordChunks.length - 1];
    for (let i = 0; i < count; i++) {
      if (chunk === null || slot === WORD_CHUNK) {
        chunk = this.addWordChunk();
        slot = 0;
      }
      chunk[slot++] = ids[idOffset + i];
    }
  }

  /** A power loss set each `blocks[i]` back to `ids[i]`; `hash` is the image hash after that. */
  recordReversion(at: Instant, blocks: readonly number[], ids: readonly number[], hash: ImageHash): void {
    assert(blocks.length === ids.length, 'reversion: one id per block');
    const offset = this.wordsUsed;
    this.appendChange(at, 0, blocks.length, REVERSION, hash, 2 * blocks.length);
    for (let i = 0; i < blocks.length; i++) {
      this.putWord(offset + 2 * i, blocks[i]);
      this.putWord(offset + 2 * i + 1, ids[i]);
    }
  }

  /** The image hash after every change at or before `t`. O(log n). */
  imageHashAt(t: Instant | number): string {
    this.assertStarted();
    const instant = this.lastInstantAtOrBefore(t);
    if (instant < 0) return ImageHash.format(this.baseLaneA, this.baseLaneB);
    const chunk = this.instantChunkOf(instant);
    const slot = instant & (INSTANT_CHUNK - 1);
    return ImageHash.format(chunk.lanesA[slot], chunk.lanesB[slot]);
  }

  /** The content id of `block` after every change at or before `t`. */
  idAt(block: number, t: Instant | number): number {
    this.assertStarted();
    this.extendIndex();
    const touching = this.byBlock.get(block);
    const last = this.lastChangeAtOrBefore(t);
    if (touching !== undefined) {
      let low = 0;
      let high = touching.length - 1;
      let found = -1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (touching[middle] <= last) {
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
    const last = this.lastChangeAtOrBefore(t);
    for (let change = 0; change <= last; change++) this.forEachBlockOf(change, (block, id) => (id === 0 ? image.delete(block) : image.set(block, id)));
    return image;
  }

  /** Every acknowledged write, in the order they landed. */
  acknowledgedWrites(): OracleWrite[] {
    const writes: OracleWrite[] = [];
    for (let change = 0; change < this.changes; change++) {
      const chunk = this.changeChunkOf(change);
      const slot = change & (CHANGE_CHUNK - 1);
      if (chunk.kinds[slot] !== ACKNOWLEDGED) continue;
      const ids = new Uint32Array(chunk.counts[slot]);
      for (let i = 0; i < ids.length; i++) ids[i] = this.wordAt(chunk.offsets[slot] + i);
      writes.push({ at: this.timeOf(this.instantOf(change)) as Instant, start: chunk.starts[slot], ids });
    }
    return writes;
  }

  /** The kind and instant of change `index` (for reports and diagnosis). O(log n). */
  changeAt(index: number): { readonly kind: OracleChangeKind; readonly at: Instant; readonly blockCount: number } {
    assert(Number.isInteger(index) && index >= 0 && index < this.changes, `oracle: no change ${index}`);
    const chunk = this.changeChunkOf(index);
    const slot = index & (CHANGE_CHUNK - 1);
    return { kind: KIND_CODES[chunk.kinds[slot]], at: this.timeOf(this.instantOf(index)) as Instant, blockCount: chunk.counts[slot] };
  }

  invariants(): void {
    const id = this.deviceId;
    assert(this.changeChunks.length === Math.ceil(this.changes / CHANGE_CHUNK), `oracle ${id}: ${this.changeChunks.length} change chunks for ${this.changes} changes`);
    assert(this.instantChunks.length === Math.ceil(this.instants / INSTANT_CHUNK), `oracle ${id}: ${this.instantChunks.length} instant chunks for ${this.instants} instants`);
    assert(this.wordChunks.length === Math.ceil(this.wordsUsed / WORD_CHUNK), `oracle ${id}: ${this.wordChunks.length} word chunks for ${this.wordsUsed} words`);
    assert((this.instants === 0) === (this.changes === 0), `oracle ${id}: ${this.instants} instants for ${this.changes} changes`);
    let previous = this.baseAt;
    for (let instant = 0; instant < this.instants; instant++) {
      const time = this.timeOf(instant);
      assert(instant === 0 ? time >= previous : time > previous, `oracle ${id}: instant ${instant} does not come after the previous one`);
      previous = time;
      const first = this.firstChangeOf(instant);
      assert(instant === 0 ? first === 0 : first > this.firstChangeOf(instant - 1), `oracle ${id}: instant ${instant} has no change of its own`);
      assert(first < this.changes, `oracle ${id}: instant ${instant} starts past the last change`);
    }
    let words = 0;
    for (let change = 0; change < this.changes; change++) {
      const chunk = this.changeChunkOf(change);
      const slot = change & (CHANGE_CHUNK - 1);
      assert(chunk.offsets[slot] === words, `oracle ${id}: change ${change} does not follow the previous one`);
      words += chunk.kinds[slot] === REVERSION ? 2 * chunk.counts[slot] : chunk.counts[slot];
    }
    assert(words === this.wordsUsed, `oracle ${id}: word arena accounting is off`);
    assert(this.lastAt === (this.instants === 0 ? this.baseAt : this.timeOf(this.instants - 1)), `oracle ${id}: the last instant is not ${this.lastAt}`);
  }

  private assertStarted(): void {
    if (!this.started) assert(false, `oracle ${this.deviceId}: no disk attached`);
  }

  private appendChange(at: Instant, start: number, count: number, kind: number, hash: ImageHash, wordCount: number): void {
    this.assertStarted();
    const instant = this.instants - 1;
    const lastAt = this.lastAt;
    if (at < lastAt) assert(false, `oracle ${this.deviceId}: change at ${at} is before the previous one`);
    if (this.changes >= INDEX_MAX || this.wordsUsed + wordCount > INDEX_MAX) assert(false, `oracle ${this.deviceId}: more than ${INDEX_MAX} changes or recorded block ids`);
    const index = this.changes;
    const slot = index & (CHANGE_CHUNK - 1);
    const chunk = slot === 0 ? this.addChangeChunk() : this.changeChunks[this.changeChunks.length - 1];
    chunk.starts[slot] = start;
    chunk.counts[slot] = count;
    chunk.offsets[slot] = this.wordsUsed;
    chunk.kinds[slot] = kind;
    this.wordsUsed += wordCount;
    this.changes++;
    // A change at the last instant only moves that instant's hash on.
    const current = instant < 0 || at !== lastAt ? this.addInstant(at, index) : instant;
    this.lastAt = at;
    const instantChunk = this.instantChunks[this.instantChunks.length - 1];
    const instantSlot = current & (INSTANT_CHUNK - 1);
    instantChunk.lanesA[instantSlot] = hash.laneA;
    instantChunk.lanesB[instantSlot] = hash.laneB;
  }

  private addInstant(at: number, firstChange: number): number {
    const instant = this.instants++;
    const slot = instant & (INSTANT_CHUNK - 1);
    if (slot === 0) this.instantChunks.push(new InstantChunk());
    const chunk = this.instantChunks[this.instantChunks.length - 1];
    chunk.times[slot] = at;
    chunk.firstChanges[slot] = firstChange;
    return instant;
  }

  /** Index of the last instant at or before t, or -1. */
  private lastInstantAtOrBefore(t: number): number {
    let low = 0;
    let high = this.instants - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.timeOf(middle) <= t) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  /** Index of the last change at or before t, or -1. */
  private lastChangeAtOrBefore(t: number): number {
    const instant = this.lastInstantAtOrBefore(t);
    if (instant < 0) return -1;
    return instant + 1 < this.instants ? this.firstChangeOf(instant + 1) - 1 : this.changes - 1;
  }

  /** The instant change `change` happened at (the last instant whose first change is at or before it). */
  private instantOf(change: number): number {
    let low = 0;
    let high = this.instants - 1;
    let found = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.firstChangeOf(middle) <= change) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  private timeOf(instant: number): number {
    return this.instantChunkOf(instant).times[instant & (INSTANT_CHUNK - 1)];
  }

  private firstChangeOf(instant: number): number {
    return this.instantChunkOf(instant).firstChanges[instant & (INSTANT_CHUNK - 1)];
  }

  private forEachBlockOf(change: number, visit: (block: number, id: number) => void): void {
    const chunk = this.changeChunkOf(change);
    const slot = change & (CHANGE_CHUNK - 1);
    const offset = chunk.offsets[slot];
    const count = chunk.counts[slot];
    if (chunk.kinds[slot] === REVERSION) {
      for (let i = 0; i < count; i++) visit(this.wordAt(offset + 2 * i), this.wordAt(offset + 2 * i + 1));
    } else {
      const start = chunk.starts[slot];
      for (let i = 0; i < count; i++) visit(start + i, this.wordAt(offset + i));
    }
  }

  private idIn(change: number, block: number): number {
    const chunk = this.changeChunkOf(change);
    const slot = change & (CHANGE_CHUNK - 1);
    const offset = chunk.offsets[slot];
    if (chunk.kinds[slot] !== REVERSION) return this.wordAt(offset + block - chunk.starts[slot]);
    for (let i = 0; i < chunk.counts[slot]; i++) if (this.wordAt(offset + 2 * i) === block) return this.wordAt(offset + 2 * i + 1);
    assert(false, `oracle ${this.deviceId}: change ${change} was indexed under block ${block} but does not touch it`);
  }

  private extendIndex(): void {
    for (; this.indexedChanges < this.changes; this.indexedChanges++) {
      const change = this.indexedChanges;
      this.forEachBlockOf(change, (block) => {
        const list = this.byBlock.get(block);
        if (list === undefined) this.byBlock.set(block, [change]);
        else if (list[list.length - 1] !== change) list.push(change);
      });
    }
  }

  private changeChunkOf(change: number): ChangeChunk {
    return this.changeChunks[change >>> CHANGE_CHUNK_SHIFT];
  }

  private instantChunkOf(instant: number): InstantChunk {
    return this.instantChunks[instant >>> INSTANT_CHUNK_SHIFT];
  }

  private addChangeChunk(): ChangeChunk {
    const chunk = new ChangeChunk();
    this.changeChunks.push(chunk);
    return chunk;
  }

  private wordAt(offset: number): number {
    return this.wordChunks[offset >>> WORD_CHUNK_SHIFT][offset & (WORD_CHUNK - 1)];
  }

  /** Stores the word at `offset`, which is at most one past the last stored word. */
  private putWord(offset: number, value: number): void {
    const index = offset >>> WORD_CHUNK_SHIFT;
    const chunk = index === this.wordChunks.length ? this.addWordChunk() : this.wordChunks[index];
    chunk[offset & (WORD_CHUNK - 1)] = value;
  }

  private addWordChunk(): Uint32Array {
    const chunk = new Uint32Array(WORD_CHUNK);
    this.wordChunks.push(chunk);
    return chunk;
  }
}
