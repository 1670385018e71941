// Coalescing of an ordered list of block writes into non-overlapping runs per disk, last writer
// wins. A replication log is applied as one unit (its end is the recovery point), so the order
// of writes inside it only matters for which write wins a block; coalesced runs can then be
// written in parallel. A crash in the middle of an apply is repaired by applying the whole log
// again, which is idempotent.
import type { Codec, Payload } from '../ports.js';

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

const DISK_STRIDE = 2 ** 32;

/** Every block of every write as one number, (disk, block) above and the write's index below,
 *  so that a plain numeric sort orders blocks and, within a block, writes. Reused between calls
 *  (coalesce never calls out, so it cannot be re-entered): a log is coalesced without a Map or a
 *  comparator sort, and without allocating per block. */
let scratch = new Float64Array(1024);

export function coalesce(codec: Codec, writes: readonly BlockWrite[]): Run[] {
  if (writes.length === 0) return [];
  if (writes.length === 1) return [writes[0]];
  const indexScale = 2 ** Math.ceil(Math.log2(writes.length));
  let blocks = 0;
  let keyMax = 0;
  for (const { disk, start, payload } of writes) {
    blocks += payload.blockCount;
    keyMax = Math.max(keyMax, disk * DISK_STRIDE + start + payload.blockCount);
  }
  if (keyMax * indexScale + indexScale > Number.MAX_SAFE_INTEGER) return coalesceByMap(codec, writes);
  if (scratch.length < blocks) scratch = new Float64Array(2 ** Math.ceil(Math.log2(blocks)));
  const entries = scratch.subarray(0, blocks);
  let n = 0;
  for (let w = 0; w < writes.length; w++) {
    const { disk, start, payload } = writes[w];
    const first = (disk * DISK_STRIDE + start) * indexScale + w;
    for (let i = 0; i < payload.blockCount; i++) entries[n++] = first + i * indexScale;
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
  const owner = new Map<number, number>();
  for (let w = 0; w < writes.length; w++) {
    const { disk, start, payload } = writes[w];
    const base = disk * DISK_STRIDE + start;
    for (let i = 0; i < payload.blockCount; i++) owner.set(base + i, w);
  }
  const builder = new RunBuilder(codec, writes);
  for (const key of [...owner.keys()].sort((a, b) => a - b)) builder.add(key, owner.get(key)!);
  return builder.finish();
}

/** Turns (block key, winning write) pairs, in ascending key order, into runs: contiguous blocks
 *  of one disk make one run, made of slices of the writes that won them. */
class RunBuilder {
  private readonly runs: Run[] = [];
  private runStartKey = -2;
  private previousKey = -2;
  private parts: Payload[] = [];
  private pieceWrite = -1;
  private pieceOffset = 0;
  private pieceLength = 0;

  constructor(
    private readonly codec: Codec,
    private readonly writes: readonly BlockWrite[],
  ) {}

  add(key: number, w: number): void {
    const write = this.writes[w];
    const offset = key - (write.disk * DISK_STRIDE + write.start);
    const contiguous = key === this.previousKey + 1 && Math.floor(key / DISK_STRIDE) === Math.floor(this.previousKey / DISK_STRIDE);
    if (!contiguous) {
      this.flushRun();
      this.runStartKey = key;
    }
    if (this.pieceLength > 0 && w === this.pieceWrite && offset === this.pieceOffset + this.pieceLength) {
      this.pieceLength++;
    } else {
      this.flushPiece();
      this.pieceWrite = w;
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
    if (this.pieceLength > 0) this.parts.push(sliceOf(this.codec, this.writes[this.pieceWrite].payload, this.pieceOffset, this.pieceLength));
    this.pieceLength = 0;
  }

  private flushRun(): void {
    this.flushPiece();
    if (this.parts.length === 0) return;
    const disk = Math.floor(this.runStartKey / DISK_STRIDE);
    this.runs.push({ disk, start: this.runStartKey - disk * DISK_STRIDE, payload: this.parts.length === 1 ? this.parts[0] : this.codec.concat(this.parts) });
    this.parts = [];
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
