// Coalescing of an ordered list of block writes into non-overlapping runs per disk, last writer
// wins. A replication log is applied as one unit (its end is the recovery point), so the order
// of writes inside it only matters for which write wins a block; coalesced runs can then be
// written in parallel. A crash in the middle of an apply is repaired by applying the whole log
// again, which is idempotent.
import { assert } from '../../model/index.js';
import type { Codec, Payload } from '../ports.js';
import { grown } from './grown.js';

export interface BlockWrite {
  readonly disk: number;
  readonly start: number;
  readonly payload: Payload;
}

export interface Run {
  readonly disk: number;
  readonly start: number;
  readonly payload: Payload;
}

/** Writes packed as columns (a replication log as it is stored and shipped): write i puts
 *  `counts[i]` blocks at `starts[i]` of disk `disks[i]`, and its content is the next `counts[i]`
 *  blocks of `content` (null when there are no writes). */
export interface PackedWrites {
  readonly disks: readonly number[];
  readonly starts: readonly number[];
  readonly counts: readonly number[];
  readonly content: Payload | null;
}

const DISK_STRIDE = 2 ** 32;

/** The writes to coalesce, whatever their form: write w's content is blocks
 *  [sourceOffsets[w], + counts[w]) of sources[sourceOf[w]]. Typed arrays grown by doubling and
 *  reused between calls, like `scratch` below. */
class Writes {
  disks = new Float64Array(256);
  starts = new Float64Array(256);
  counts = new Float64Array(256);
  sourceOf = new Uint32Array(256);
  sourceOffsets = new Float64Array(256);
  sources: Payload[] = [];
  length = 0;

  reset(): this {
    this.length = 0;
    this.sources = [];
    return this;
  }

  push(disk: number, start: number, count: number, source: number, sourceOffset: number): void {
    if (this.length === this.disks.length) this.grow();
    const w = this.length++;
    this.disks[w] = disk;
    this.starts[w] = start;
    this.counts[w] = count;
    this.sourceOf[w] = source;
    this.sourceOffsets[w] = sourceOffset;
  }

  private grow(): void {
    const capacity = this.disks.length * 2;
    this.disks = grown(this.disks, new Float64Array(capacity));
    this.starts = grown(this.starts, new Float64Array(capacity));
    this.counts = grown(this.counts, new Float64Array(capacity));
    this.sourceOf = grown(this.sourceOf, new Uint32Array(capacity));
    this.sourceOffsets = grown(this.sourceOffsets, new Float64Array(capacity));
  }
}

const reusedWrites = new Writes();

/** Every block of every write as one number, (disk, block) above and the write's index below,
 *  so that a plain numeric sort orders blocks and, within a block, writes. Reused between calls
 *  (coalesce never calls out, so it cannot be re-entered): a log is coalesced without a Map or a
 *  comparator sort, and without allocating per block. */
let scratch = new Float64Array(1024);

export function coalesce(codec: Codec, writes: readonly BlockWrite[]): Run[] {
  if (writes.length === 0) return [];
  if (writes.length === 1) return [writes[0]];
  return coalesceColumns(codec, toColumns(writes));
}

/** coalesce of packed groups of writes, in order (the chunks of one log). Contiguous blocks
 *  taken from one group's content become one slice of it, not a concatenation. */
export function coalescePacked(codec: Codec, groups: readonly PackedWrites[]): Run[] {
  const columns = reusedWrites.reset();
  for (const { disks, starts, counts, content } of groups) {
    assert(disks.length === starts.length && disks.length === counts.length, 'packed writes: one disk, start and count per write');
    if (disks.length === 0) continue;
    assert(content !== null, 'packed writes: writes without content');
    const source = columns.sources.length;
    columns.sources.push(content);
    let offset = 0;
    for (let i = 0; i < disks.length; i++) {
      columns.push(disks[i], starts[i], counts[i], source, offset);
      offset += counts[i];
    }
    assert(offset === content.blockCount, 'packed writes: the content holds exactly the blocks of the writes');
  }
  if (columns.length === 0) return [];
  return coalesceColumns(codec, columns);
}

function coalesceColumns(codec: Codec, writes: Writes): Run[] {
  const count = writes.length;
  const indexScale = 2 ** Math.ceil(Math.log2(Math.max(2, count)));
  let blocks = 0;
  let keyMax = 0;
  for (let w = 0; w < count; w++) {
    blocks += writes.counts[w];
    keyMax = Math.max(keyMax, writes.disks[w] * DISK_STRIDE + writes.starts[w] + writes.counts[w]);
  }
  if (keyMax * indexScale + indexScale > Number.MAX_SAFE_INTEGER) return coalesceColumnsByMap(codec, writes);
  if (scratch.length < blocks) scratch = new Float64Array(2 ** Math.ceil(Math.log2(blocks)));
  const entries = scratch.subarray(0, blocks);
  let n = 0;
  for (let w = 0; w < count; w++) {
    const first = (writes.disks[w] * DISK_STRIDE + writes.starts[w]) * indexScale + w;
    for (let i = 0; i < writes.counts[w]; i++) entries[n++] = first + i * indexScale;
  }
  entries.sort();
  const builder = new RunBuilder(codec, writes);
  for (let e = 0; e < blocks; e++) {
    const packed = entries[e];
    const key = Math.floor(packed / indexScale);
    // Only the last write of a block counts: skip entries followed by one for the same block.
    if (e + 1 < blocks && Math.floor(entries[e + 1] / indexScale) === key) continue;
    builder.add(key, packed - key * indexScale);
  }
  return builder.finish();
}

/** The general case (keys beyond 2^53 once packed: logs of over 2^17 writes): one Map entry per
 *  block. Exported for tests. */
export function coalesceByMap(codec: Codec, writes: readonly BlockWrite[]): Run[] {
  return writes.length === 0 ? [] : coalesceColumnsByMap(codec, toColumns(writes));
}

function coalesceColumnsByMap(codec: Codec, columns: Writes): Run[] {
  const owner = new Map<number, number>();
  for (let w = 0; w < columns.length; w++) {
    const base = columns.disks[w] * DISK_STRIDE + columns.starts[w];
    for (let i = 0; i < columns.counts[w]; i++) owner.set(base + i, w);
  }
  const builder = new RunBuilder(codec, columns);
  for (const key of [...owner.keys()].sort((a, b) => a - b)) builder.add(key, owner.get(key)!);
  return builder.finish();
}

function toColumns(writes: readonly BlockWrite[]): Writes {
  const columns = reusedWrites.reset();
  for (let w = 0; w < writes.length; w++) {
    const { disk, start, payload } = writes[w];
    columns.sources.push(payload);
    columns.push(disk, start, payload.blockCount, w, 0);
  }
  return columns;
}

/** Turns (block key, winning write) pairs, in ascending key order, into runs: contiguous blocks
 *  of one disk make one run, made of slices of the sources that hold the winning content. */
class RunBuilder {
  private readonly runs: Run[] = [];
  private runStartKey = -2;
  private previousKey = -2;
  private readonly parts: Payload[] = [];
  private pieceSource = -1;
  private pieceOffset = 0;
  private pieceLength = 0;

  constructor(
    private readonly codec: Codec,
    private readonly writes: Writes,
  ) {}

  add(key: number, w: number): void {
    const writes = this.writes;
    const source = writes.sourceOf[w];
    const offset = writes.sourceOffsets[w] + key - (writes.disks[w] * DISK_STRIDE + writes.starts[w]);
    const contiguous = key === this.previousKey + 1 && Math.floor(key / DISK_STRIDE) === Math.floor(this.previousKey / DISK_STRIDE);
    if (!contiguous) {
      this.flushRun();
      this.runStartKey = key;
    }
    if (this.pieceLength > 0 && source === this.pieceSource && offset === this.pieceOffset + this.pieceLength) {
      this.pieceLength++;
    } else {
      this.flushPiece();
      this.pieceSource = source;
      this.pieceOffset = offset;
      this.pieceLength = 1;
    }
    this.previousKey = key;
  }

  finish(): Run[] {
    this.flushRun();
    return this.runs;
  }

  private flushPiece(): void {
    if (this.pieceLength > 0) this.parts.push(sliceOf(this.codec, this.writes.sources[this.pieceSource], this.pieceOffset, this.pieceLength));
    this.pieceLength = 0;
  }

  private flushRun(): void {
    this.flushPiece();
    if (this.parts.length === 0) return;
    const disk = Math.floor(this.runStartKey / DISK_STRIDE);
    this.runs.push({ disk, start: this.runStartKey - disk * DISK_STRIDE, payload: this.parts.length === 1 ? this.parts[0] : this.codec.concat(this.parts) });
    this.parts.length = 0; // concat copied the parts: the array is reused for the next run
  }
}

function sliceOf(codec: Codec, payload: Payload, offset: number, count: number): Payload {
  return offset === 0 && count === payload.blockCount ? payload : codec.slice(payload, offset, count);
}

/** Calls `done` once `expected` completions have arrived (at once when 0). */
export function join(expected: number, done: () => void): () => void {
  let remaining = expected;
  if (remaining === 0) done();
  return () => {
    remaining--;
    if (remaining === 0) done();
  };
}
