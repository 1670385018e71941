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

export function coalesce(codec: Codec, writes: readonly BlockWrite[]): Run[] {
  if (writes.length === 0) return [];
  if (writes.length === 1) return [writes[0]];
  // block key -> [write index, offset in that write]
  const owner = new Map<number, number>();
  for (let w = 0; w < writes.length; w++) {
    const { disk, start, payload } = writes[w];
    const base = disk * DISK_STRIDE + start;
    for (let i = 0; i < payload.blockCount; i++) owner.set(base + i, w * DISK_STRIDE + i);
  }
  const keys = [...owner.keys()].sort((a, b) => a - b);
  const runs: Run[] = [];
  let runStartKey = keys[0];
  let parts: Payload[] = [];
  let prevKey = -2;
  let pieceWrite = -1;
  let pieceOffset = 0;
  let pieceLength = 0;
  const flushPiece = () => {
    if (pieceLength > 0) parts.push(sliceOf(codec, writes[pieceWrite].payload, pieceOffset, pieceLength));
    pieceLength = 0;
  };
  const flushRun = () => {
    flushPiece();
    if (parts.length === 0) return;
    const disk = Math.floor(runStartKey / DISK_STRIDE);
    runs.push({ disk, start: runStartKey - disk * DISK_STRIDE, payload: parts.length === 1 ? parts[0] : codec.concat(parts) });
    parts = [];
  };
  for (const key of keys) {
    const ref = owner.get(key)!;
    const w = Math.floor(ref / DISK_STRIDE);
    const offset = ref - w * DISK_STRIDE;
    const contiguous = key === prevKey + 1 && Math.floor(key / DISK_STRIDE) === Math.floor(prevKey / DISK_STRIDE);
    if (!contiguous) {
      flushRun();
      runStartKey = key;
    }
    if (pieceLength > 0 && w === pieceWrite && offset === pieceOffset + pieceLength) {
      pieceLength++;
    } else {
      flushPiece();
      pieceWrite = w;
      pieceOffset = offset;
      pieceLength = 1;
    }
    prevKey = key;
  }
  flushRun();
  return runs;
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
