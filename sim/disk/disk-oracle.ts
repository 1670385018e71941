// The disk oracle (DESIGN.md section 3): the time-ordered record of every change of one disk's
// pristine image, so a checker can ask "what did this disk hold at instant t?" exactly.
//
// Fault model: none; it is the truth the checkers judge faults against. It records what the disk
// tells it: the pre-existing image, writes landing (acknowledged, or landing unacknowledged at a
// power loss) and crash reversions, each with the disk's running image hash after the change.
// Storage is typed arrays grown by doubling: per change about 30 bytes plus 4 per block
// (8 per reverted block). `imageHashAt` is a binary search; `idAt` uses a per-block index built
// lazily on first use; `imageAt` replays (for diagnosis).
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

const INITIAL_CHANGES = 256;
const INITIAL_WORDS = 1024;

export class DiskOracle {
  private times = new Float64Array(INITIAL_CHANGES);
  private starts = new Float64Array(INITIAL_CHANGES);
  /** Blocks in a write; (block, id) pairs in a reversion. */
  private counts = new Uint32Array(INITIAL_CHANGES);
  private offsets = new Float64Array(INITIAL_CHANGES);
  private kinds = new Uint8Array(INITIAL_CHANGES);
  private lanesA = new Uint32Array(INITIAL_CHANGES);
  private lanesB = new Uint32Array(INITIAL_CHANGES);
  private words = new Uint32Array(INITIAL_WORDS);
  private changes = 0;
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
    this.baseBlocks = baseBlocks;
    this.baseId = baseId;
    this.baseLaneA = hash.laneA;
    this.baseLaneB = hash.laneB;
  }

  /** Blocks [start, start + count) got ids[0, count); `hash` is the image hash after that. */
  recordWrite(at: Instant, start: number, ids: Uint32Array, count: number, acknowledged: boolean, hash: ImageHash): void {
    const index = this.appendChange(at, start, count, acknowledged ? ACKNOWLEDGED : UNACKNOWLEDGED, hash, count);
    const words = this.words;
    const offset = this.offsets[index];
    for (let i = 0; i < count; i++) words[offset + i] = ids[i];
  }

  /** A power loss set each `blocks[i]` back to `ids[i]`; `hash` is the image hash after that. */
  recordReversion(at: Instant, blocks: readonly number[], ids: readonly number[], hash: ImageHash): void {
    assert(blocks.length === ids.length, 'reversion: one id per block');
    const index = this.appendChange(at, -1, blocks.length, REVERSION, hash, 2 * blocks.length);
    const offset = this.offsets[index];
    for (let i = 0; i < blocks.length; i++) {
      this.words[offset + 2 * i] = blocks[i];
      this.words[offset + 2 * i + 1] = ids[i];
    }
  }

  /** The image hash after every change at or before `t`. O(log n). */
  imageHashAt(t: Instant | number): string {
    this.assertStarted();
    const last = this.lastChangeAtOrBefore(t);
    if (last < 0) return ImageHash.format(this.baseLaneA, this.baseLaneB);
    return ImageHash.format(this.lanesA[last], this.lanesB[last]);
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
      if (this.kinds[change] !== ACKNOWLEDGED) continue;
      const offset = this.offsets[change];
      writes.push({ at: this.times[change] as Instant, start: this.starts[change], ids: this.words.slice(offset, offset + this.counts[change]) });
    }
    return writes;
  }

  /** The kind and instant of change `index` (for reports and diagnosis). */
  changeAt(index: number): { readonly kind: OracleChangeKind; readonly at: Instant; readonly blockCount: number } {
    assert(index >= 0 && index < this.changes, `oracle: no change ${index}`);
    return { kind: KIND_CODES[this.kinds[index]], at: this.times[index] as Instant, blockCount: this.counts[index] };
  }

  invariants(): void {
    let previous = this.baseAt;
    let words = 0;
    for (let change = 0; change < this.changes; change++) {
      assert(this.times[change] >= previous, `oracle ${this.deviceId}: change ${change} goes back in time`);
      previous = this.times[change];
      assert(this.offsets[change] === words, `oracle ${this.deviceId}: change ${change} does not follow the previous one`);
      words += this.kinds[change] === REVERSION ? 2 * this.counts[change] : this.counts[change];
    }
    assert(words === this.wordsUsed, `oracle ${this.deviceId}: word arena accounting is off`);
  }

  private assertStarted(): void {
    if (!this.started) assert(false, `oracle ${this.deviceId}: no disk attached`);
  }

  private appendChange(at: Instant, start: number, count: number, kind: number, hash: ImageHash, wordCount: number): number {
    this.assertStarted();
    const index = this.changes;
    if (at < (index === 0 ? this.baseAt : this.times[index - 1])) assert(false, `oracle ${this.deviceId}: change at ${at} is before the previous one`);
    if (index === this.times.length) this.growChanges();
    if (this.wordsUsed + wordCount > this.words.length) this.growWords(this.wordsUsed + wordCount);
    this.times[index] = at;
    this.starts[index] = start;
    this.counts[index] = count;
    this.offsets[index] = this.wordsUsed;
    this.kinds[index] = kind;
    this.lanesA[index] = hash.laneA;
    this.lanesB[index] = hash.laneB;
    this.wordsUsed += wordCount;
    this.changes++;
    return index;
  }

  /** Index of the last change with time <= t, or -1. */
  private lastChangeAtOrBefore(t: number): number {
    let low = 0;
    let high = this.changes - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.times[middle] <= t) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  private forEachBlockOf(change: number, visit: (block: number, id: number) => void): void {
    const offset = this.offsets[change];
    const count = this.counts[change];
    if (this.kinds[change] === REVERSION) {
      for (let i = 0; i < count; i++) visit(this.words[offset + 2 * i], this.words[offset + 2 * i + 1]);
    } else {
      const start = this.starts[change];
      for (let i = 0; i < count; i++) visit(start + i, this.words[offset + i]);
    }
  }

  private idIn(change: number, block: number): number {
    const offset = this.offsets[change];
    if (this.kinds[change] !== REVERSION) return this.words[offset + block - this.starts[change]];
    for (let i = 0; i < this.counts[change]; i++) if (this.words[offset + 2 * i] === block) return this.words[offset + 2 * i + 1];
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

  private growChanges(): void {
    const size = this.times.length * 2;
    this.times = copyInto(this.times, new Float64Array(size));
    this.starts = copyInto(this.starts, new Float64Array(size));
    this.counts = copyInto(this.counts, new Uint32Array(size));
    this.offsets = copyInto(this.offsets, new Float64Array(size));
    this.kinds = copyInto(this.kinds, new Uint8Array(size));
    this.lanesA = copyInto(this.lanesA, new Uint32Array(size));
    this.lanesB = copyInto(this.lanesB, new Uint32Array(size));
  }

  private growWords(needed: number): void {
    let size = this.words.length * 2;
    while (size < needed) size *= 2;
    this.words = copyInto(this.words, new Uint32Array(size));
  }
}

function copyInto<T extends Float64Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
