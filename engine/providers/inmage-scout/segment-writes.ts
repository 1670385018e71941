// The writes the master target applies at once (a segment of a batch, or a roll-back's undo) and
// the three things applying them needs: which replica blocks to read for the undo, the undo of
// each write, and the writes coalesced into runs per disk (last writer wins).
//
// The usual segment is a tick's writes of one machine with no block written twice. For it the
// writes are put in block order once, adjacent writes join into runs, and each write's undo is a
// piece of one read: no per-block map, set or sort. Segments that do write a block twice take the
// general path, block by block; both paths read, undo and write exactly the same content.
import { coalesce, type BlockWrite } from '../../data-plane/coalesce.js';
import type { Codec, Extent, Payload } from '../../ports.js';

/** A block's key: disk * DISK_STRIDE + block (block numbers are 32-bit). */
const DISK_STRIDE = 2 ** 32;
/** Writes up to this many are put in block order by insertion (a segment is a tick's writes of
 *  one machine: tens at a busy hour). */
const INSERTION_SORT_MAX = 96;

/** Writes to apply in order: write i (first <= i < end) puts `payloads[i - first]` (counts[i]
 *  blocks) at starts[i] of disk disks[i], as the source had it at ats[i]. The columns are a
 *  batch's (a segment is a range of them) or a roll-back's. */
export interface BlockWrites {
  readonly disks: readonly number[];
  readonly starts: readonly number[];
  readonly counts: readonly number[];
  readonly ats: readonly number[];
  readonly first: number;
  readonly end: number;
  readonly payloads: readonly Payload[];
  /** The writes in block order (disk, then start). */
  readonly order: readonly number[];
  /** No two writes share a block. */
  readonly disjoint: boolean;
}

/** Runs of adjacent blocks of one disk, in block order, each block once: run r covers counts[r]
 *  blocks from block key keys[r]. */
export interface BlockRuns {
  readonly keys: readonly number[];
  readonly counts: readonly number[];
}

export function blockWrites(
  columns: { readonly disks: readonly number[]; readonly starts: readonly number[]; readonly counts: readonly number[]; readonly ats: readonly number[] },
  first: number,
  end: number,
  payloads: readonly Payload[],
): BlockWrites {
  const { disks, starts, counts, ats } = columns;
  return { disks, starts, counts, ats, first, end, payloads, ...blockOrder(disks, starts, counts, first, end) };
}

export const diskOfKey = (key: number): number => Math.floor(key / DISK_STRIDE);
export const blockOfKey = (key: number): number => key - diskOfKey(key) * DISK_STRIDE;

/** The key of each write of a segment being put in order (reused: filled and read synchronously). */
let writeKeys = new Float64Array(256);

/** Writes [first, end) in block order (disk, then start), and whether no two share a block. */
function blockOrder(disks: readonly number[], starts: readonly number[], counts: readonly number[], first: number, end: number): { order: number[]; disjoint: boolean } {
  const n = end - first;
  if (writeKeys.length < n) writeKeys = new Float64Array(Math.max(n, 2 * writeKeys.length));
  const keys = writeKeys;
  for (let w = first; w < end; w++) keys[w - first] = disks[w] * DISK_STRIDE + starts[w];
  const order: number[] = new Array(n);
  if (n <= INSERTION_SORT_MAX) {
    for (let w = first; w < end; w++) {
      const key = keys[w - first];
      let i = w - first;
      for (; i > 0 && keys[order[i - 1] - first] > key; i--) order[i] = order[i - 1];
      order[i] = w;
    }
  } else {
    for (let w = first; w < end; w++) order[w - first] = w;
    order.sort((a, b) => keys[a - first] - keys[b - first]);
  }
  let disjoint = true;
  for (let i = 1; i < order.length && disjoint; i++) {
    const a = order[i - 1];
    const b = order[i];
    if (disks[a] === disks[b] && starts[a] + counts[a] > starts[b]) disjoint = false;
  }
  return { order, disjoint };
}

/** Every block the writes touch, once, as runs: what to read from the replica for the undo. */
export function blocksTouched(writes: BlockWrites): BlockRuns {
  return writes.disjoint ? runsOfDisjoint(writes) : runsOfBlocks(writes);
}

function runsOfDisjoint(writes: BlockWrites): BlockRuns {
  const keys: number[] = [];
  const counts: number[] = [];
  for (const w of writes.order) {
    const key = writes.disks[w] * DISK_STRIDE + writes.starts[w];
    const last = keys.length - 1;
    if (last >= 0 && key === keys[last] + counts[last] && diskOfKey(keys[last]) === writes.disks[w]) counts[last] += writes.counts[w];
    else {
      keys.push(key);
      counts.push(writes.counts[w]);
    }
  }
  return { keys, counts };
}

/** Block keys of a segment's blocks being put in order (reused: filled and read synchronously). */
let keyScratch = new Float64Array(256);

function runsOfBlocks(writes: BlockWrites): BlockRuns {
  const { disks, starts, counts, first, end } = writes;
  let blocks = 0;
  for (let w = first; w < end; w++) blocks += counts[w];
  if (keyScratch.length < blocks) keyScratch = new Float64Array(Math.max(blocks, 2 * keyScratch.length));
  const sorted = keyScratch.subarray(0, blocks);
  let k = 0;
  for (let w = first; w < end; w++) {
    const base = disks[w] * DISK_STRIDE + starts[w];
    for (let b = 0; b < counts[w]; b++) sorted[k++] = base + b;
  }
  sorted.sort();
  const keys: number[] = [];
  const runCounts: number[] = [];
  for (let j = 0; j < blocks; j++) {
    const key = sorted[j];
    if (j > 0 && key === sorted[j - 1]) continue;
    const last = keys.length - 1;
    if (last >= 0 && key === keys[last] + runCounts[last] && diskOfKey(key) === diskOfKey(keys[last])) runCounts[last]++;
    else {
      keys.push(key);
      runCounts.push(1);
    }
  }
  return { keys, counts: runCounts };
}

/** The undo of each write (`undo[i - first]` is write i's): the content its blocks had before
 *  it, given the replica's content of every run of `blocksTouched(writes)`. */
export function undoOf(codec: Codec, writes: BlockWrites, runs: BlockRuns, runPayloads: readonly Payload[]): Payload[] {
  return writes.disjoint ? undoFromRuns(codec, writes, runs, runPayloads) : undoThroughSegment(codec, writes, runs, runPayloads);
}

/** The run holding block `key`. */
function runOf(runs: BlockRuns, key: number): number {
  let low = 0;
  let high = runs.keys.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (runs.keys[middle] <= key) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** No block is written twice: each write's undo is the replica's content, a piece of one run. */
function undoFromRuns(codec: Codec, writes: BlockWrites, runs: BlockRuns, runPayloads: readonly Payload[]): Payload[] {
  const undo: Payload[] = new Array(writes.end - writes.first);
  for (let w = writes.first; w < writes.end; w++) {
    const key = writes.disks[w] * DISK_STRIDE + writes.starts[w];
    const r = runOf(runs, key);
    const count = writes.counts[w];
    undo[w - writes.first] = count === runs.counts[r] ? runPayloads[r] : codec.slice(runPayloads[r], key - runs.keys[r], count);
  }
  return undo;
}

/** In general, block by block: the replica's content for the first write of a block, the
 *  earlier write's content for a later one. */
function undoThroughSegment(codec: Codec, writes: BlockWrites, runs: BlockRuns, runPayloads: readonly Payload[]): Payload[] {
  const current = new Map<number, Payload>();
  for (let r = 0; r < runs.keys.length; r++) {
    const count = runs.counts[r];
    for (let b = 0; b < count; b++) current.set(runs.keys[r] + b, count === 1 ? runPayloads[r] : codec.slice(runPayloads[r], b, 1));
  }
  const undo: Payload[] = [];
  for (let w = writes.first; w < writes.end; w++) {
    const base = writes.disks[w] * DISK_STRIDE + writes.starts[w];
    const count = writes.counts[w];
    const payload = writes.payloads[w - writes.first];
    const parts: Payload[] = [];
    for (let b = 0; b < count; b++) {
      parts.push(current.get(base + b)!);
      current.set(base + b, count === 1 ? payload : codec.slice(payload, b, 1));
    }
    undo.push(parts.length === 1 ? parts[0] : codec.concat(parts));
  }
  return undo;
}

/** The writes coalesced into runs (last writer wins), grouped by disk in disk order, in block
 *  order within a disk: what `coalesce` gives, without its per-block map when no block is
 *  written twice (adjacent writes are joined). */
export function coalescedByDisk(codec: Codec, writes: BlockWrites): Array<{ disk: number; extents: Extent[] }> {
  const { disks, starts, counts, first, order } = writes;
  const groups: Array<{ disk: number; extents: Extent[] }> = [];
  const addRun = (disk: number, start: number, payload: Payload) => {
    const group = groups[groups.length - 1];
    if (group !== undefined && group.disk === disk) group.extents.push({ start, payload });
    else groups.push({ disk, extents: [{ start, payload }] });
  };
  if (!writes.disjoint) {
    const list: BlockWrite[] = [];
    for (let w = first; w < writes.end; w++) list.push({ disk: disks[w], start: starts[w], payload: writes.payloads[w - first] });
    for (const run of coalesce(codec, list)) addRun(run.disk, run.start, run.payload);
    return groups;
  }
  // A run is order[runFirst..i]: writes joined while each ends where the next starts.
  let runFirst = 0;
  for (let i = 0; i < order.length; i++) {
    const w = order[i];
    const next = order[i + 1];
    if (next !== undefined && disks[next] === disks[w] && starts[w] + counts[w] === starts[next]) continue;
    const payload = i === runFirst ? writes.payloads[w - first] : codec.concat(order.slice(runFirst, i + 1).map((v) => writes.payloads[v - first]));
    addRun(disks[w], starts[order[runFirst]], payload);
    runFirst = i + 1;
  }
  return groups;
}
