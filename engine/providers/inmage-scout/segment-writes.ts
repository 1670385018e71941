// The writes the master target applies at once (a segment of a batch, or a roll-back's undo) and
// the three things applying them needs: which replica blocks to read for the undo, the undo of
// each write, and the writes coalesced into runs per disk (last writer wins).
//
// The usual segment is a tick's writes of one machine with no block written twice. For it the
// writes are put in block order once and adjacent writes join into runs: the same runs are read
// for the undo and written to the replica, each write's undo is a piece of one read, and each
// run's new content is one slice of the batch's content. No per-block map, set or sort, and the
// order and runs live in typed arrays the caller reuses from one segment to the next (this runs
// for every replicated write: what it allocates per write is what the garbage collector copies).
// Segments that do write a block twice take the general path, block by block; both paths read,
// undo and write exactly the same content.
import { coalesce, type BlockWrite } from '../../data-plane/coalesce.js';
import type { Codec, Extent, Payload } from '../../ports.js';
import { RECORD_AT, RECORD_COUNT, RECORD_DISK, RECORD_START, RECORD_WORDS } from './messages.js';

/** A block's key: disk * DISK_STRIDE + block (block numbers are 32-bit). */
const DISK_STRIDE = 2 ** 32;
/** Writes up to this many are put in block order by insertion (a segment is a tick's writes of
 *  one machine: tens at a busy hour). */
const INSERTION_SORT_MAX = 96;
const SCRATCH_LENGTH_INITIAL = 64;

/** The typed arrays of one segment's order and runs, reused by the next segment of the same
 *  owner (a master-target pair applies one segment at a time: the arrays are free again once
 *  the segment is written). Grown by doubling. */
export class SegmentScratch {
  order = new Int32Array(SCRATCH_LENGTH_INITIAL);
  runOfWrite = new Int32Array(SCRATCH_LENGTH_INITIAL);
  runKeys = new Float64Array(SCRATCH_LENGTH_INITIAL);
  runCounts = new Float64Array(SCRATCH_LENGTH_INITIAL);

  reserveWrites(count: number): void {
    if (this.order.length >= count) return;
    const length = grownLength(this.order.length, count);
    this.order = new Int32Array(length);
    this.runOfWrite = new Int32Array(length);
  }

  reserveRuns(count: number): void {
    if (this.runKeys.length >= count) return;
    const length = grownLength(this.runKeys.length, count);
    this.runKeys = new Float64Array(length);
    this.runCounts = new Float64Array(length);
  }
}

function grownLength(length: number, needed: number): number {
  let grown = Math.max(1, length);
  while (grown < needed) grown *= 2;
  return grown;
}

/** The packed records of a batch (a segment is a range of them) or of a roll-back: write i is
 *  the RECORD_WORDS numbers from records[i * RECORD_WORDS] (see DataRecords). */
export interface WriteRecords {
  readonly records: readonly number[];
}

export const diskOf = (writes: WriteRecords, w: number): number => writes.records[w * RECORD_WORDS + RECORD_DISK];
export const startOf = (writes: WriteRecords, w: number): number => writes.records[w * RECORD_WORDS + RECORD_START];
export const countOf = (writes: WriteRecords, w: number): number => writes.records[w * RECORD_WORDS + RECORD_COUNT];
export const atOf = (writes: WriteRecords, w: number): number => writes.records[w * RECORD_WORDS + RECORD_AT];

/** Writes to apply in order: write i (first <= i < end) puts blocks [offsets[i], + its count) of
 *  `content` at its start on its disk, as the source had it at its instant. */
export interface BlockWrites extends WriteRecords {
  readonly first: number;
  readonly end: number;
  /** The content of every write, one after another (null when there are none). */
  readonly content: Payload | null;
  readonly offsets: readonly number[];
  /** The writes in block order (disk, then start): order[0 .. end - first). */
  readonly order: Int32Array;
  /** No two writes share a block. */
  readonly disjoint: boolean;
  /** Every block the writes touch, once, as runs of adjacent blocks of one disk in block order:
   *  run r covers runCounts[r] blocks from block key runKeys[r] (r < runCount). What is read
   *  from the replica for the undo; when disjoint, also what is written (adjacent writes join). */
  readonly runCount: number;
  readonly runKeys: Float64Array;
  readonly runCounts: Float64Array;
  /** When disjoint: the run of write i is runOfWrite[i - first]. */
  readonly runOfWrite: Int32Array;
}

/** The writes [first, end) of `columns`, their order and their runs, in `scratch`'s arrays
 *  (valid until the next call with the same scratch). */
export function blockWrites(columns: WriteRecords, first: number, end: number, content: Payload | null, offsets: readonly number[], scratch = new SegmentScratch()): BlockWrites {
  scratch.reserveWrites(end - first);
  const disjoint = putInBlockOrder(columns, first, end, scratch.order);
  const runCount = disjoint ? runsOfDisjoint(columns, first, end, scratch) : runsOfBlocks(columns, first, end, scratch);
  return { records: columns.records, first, end, content, offsets, order: scratch.order, disjoint, runCount, runKeys: scratch.runKeys, runCounts: scratch.runCounts, runOfWrite: scratch.runOfWrite };
}

export const diskOfKey = (key: number): number => Math.floor(key / DISK_STRIDE);
export const blockOfKey = (key: number): number => key - diskOfKey(key) * DISK_STRIDE;

/** The content of write w. */
export function payloadOf(codec: Codec, writes: BlockWrites, w: number): Payload {
  return sliceOfContent(codec, writes, writes.offsets[w], countOf(writes, w));
}

function sliceOfContent(codec: Codec, writes: BlockWrites, offset: number, count: number): Payload {
  const content = writes.content!;
  return offset === 0 && count === content.blockCount ? content : codec.slice(content, offset, count);
}

/** The key of each write of a segment being put in order (reused: filled and read synchronously). */
let writeKeys = new Float64Array(256);

/** Puts writes [first, end) in block order (disk, then start) into `order`; whether no two
 *  share a block. */
function putInBlockOrder(columns: WriteRecords, first: number, end: number, order: Int32Array): boolean {
  const n = end - first;
  if (writeKeys.length < n) writeKeys = new Float64Array(grownLength(writeKeys.length, n));
  const keys = writeKeys;
  for (let w = first; w < end; w++) keys[w - first] = keyOf(columns, w);
  if (n <= INSERTION_SORT_MAX) {
    for (let w = first; w < end; w++) {
      const key = keys[w - first];
      let i = w - first;
      for (; i > 0 && keys[order[i - 1] - first] > key; i--) order[i] = order[i - 1];
      order[i] = w;
    }
  } else {
    for (let w = first; w < end; w++) order[w - first] = w;
    order.subarray(0, n).sort((a, b) => keys[a - first] - keys[b - first]);
  }
  for (let i = 1; i < n; i++) {
    const a = order[i - 1];
    const b = order[i];
    if (diskOf(columns, a) === diskOf(columns, b) && startOf(columns, a) + countOf(columns, a) > startOf(columns, b)) return false;
  }
  return true;
}

/** The block key of write w's first block. */
function keyOf(columns: WriteRecords, w: number): number {
  return diskOf(columns, w) * DISK_STRIDE + startOf(columns, w);
}

/** No block written twice: runs are the writes in block order, adjacent ones joined. */
function runsOfDisjoint(columns: WriteRecords, first: number, end: number, scratch: SegmentScratch): number {
  scratch.reserveRuns(end - first);
  const { order, runOfWrite, runKeys, runCounts } = scratch;
  let runs = 0;
  for (let i = 0; i < end - first; i++) {
    const w = order[i];
    const key = keyOf(columns, w);
    const count = countOf(columns, w);
    const last = runs - 1;
    if (last >= 0 && key === runKeys[last] + runCounts[last] && diskOfKey(runKeys[last]) === diskOf(columns, w)) runCounts[last] += count;
    else {
      runKeys[runs] = key;
      runCounts[runs] = count;
      runs++;
    }
    runOfWrite[w - first] = runs - 1;
  }
  return runs;
}

/** Block keys of a segment's blocks being put in order (reused: filled and read synchronously). */
let keyScratch = new Float64Array(256);

/** In general, block by block: every block touched, once, in runs. */
function runsOfBlocks(columns: WriteRecords, first: number, end: number, scratch: SegmentScratch): number {
  let blocks = 0;
  for (let w = first; w < end; w++) blocks += countOf(columns, w);
  if (keyScratch.length < blocks) keyScratch = new Float64Array(grownLength(keyScratch.length, blocks));
  const sorted = keyScratch.subarray(0, blocks);
  let k = 0;
  for (let w = first; w < end; w++) {
    const base = keyOf(columns, w);
    const count = countOf(columns, w);
    for (let b = 0; b < count; b++) sorted[k++] = base + b;
  }
  sorted.sort();
  scratch.reserveRuns(blocks);
  const { runKeys, runCounts } = scratch;
  let runs = 0;
  for (let j = 0; j < blocks; j++) {
    const key = sorted[j];
    if (j > 0 && key === sorted[j - 1]) continue;
    const last = runs - 1;
    if (last >= 0 && key === runKeys[last] + runCounts[last] && diskOfKey(key) === diskOfKey(runKeys[last])) runCounts[last]++;
    else {
      runKeys[runs] = key;
      runCounts[runs] = 1;
      runs++;
    }
  }
  return runs;
}

/** The undo of each write (`undo[i - first]` is write i's): the content its blocks had before
 *  it, given the replica's content of every run (`runPayloads[r]` holds run r's blocks). */
export function undoOf(codec: Codec, writes: BlockWrites, runPayloads: readonly Payload[]): Payload[] {
  return writes.disjoint ? undoFromRuns(codec, writes, runPayloads) : undoThroughSegment(codec, writes, runPayloads);
}

/** No block is written twice: each write's undo is the replica's content, a piece of its run. */
function undoFromRuns(codec: Codec, writes: BlockWrites, runPayloads: readonly Payload[]): Payload[] {
  const { first, runOfWrite, runKeys, runCounts } = writes;
  const undo: Payload[] = new Array(writes.end - first);
  for (let w = first; w < writes.end; w++) {
    const r = runOfWrite[w - first];
    const count = countOf(writes, w);
    undo[w - first] = count === runCounts[r] ? runPayloads[r] : codec.slice(runPayloads[r], keyOf(writes, w) - runKeys[r], count);
  }
  return undo;
}

/** In general, block by block: the replica's content for the first write of a block, the
 *  earlier write's content for a later one. */
function undoThroughSegment(codec: Codec, writes: BlockWrites, runPayloads: readonly Payload[]): Payload[] {
  const current = new Map<number, Payload>();
  for (let r = 0; r < writes.runCount; r++) {
    const count = writes.runCounts[r];
    for (let b = 0; b < count; b++) current.set(writes.runKeys[r] + b, count === 1 ? runPayloads[r] : codec.slice(runPayloads[r], b, 1));
  }
  const undo: Payload[] = [];
  for (let w = writes.first; w < writes.end; w++) {
    const base = keyOf(writes, w);
    const count = countOf(writes, w);
    const payload = payloadOf(codec, writes, w);
    const parts: Payload[] = [];
    for (let b = 0; b < count; b++) {
      parts.push(current.get(base + b)!);
      current.set(base + b, count === 1 ? payload : codec.slice(payload, b, 1));
    }
    undo.push(parts.length === 1 ? parts[0] : codec.concat(parts));
  }
  return undo;
}

/** An extent the master target writes (a class, not a literal: its start stays a small integer
 *  in place, where a literal of a shape shared with other code may box it; one per write). */
export class PlacedPayload implements Extent {
  constructor(
    readonly start: number,
    readonly payload: Payload,
  ) {}
}

/** The extents one disk gets from a segment. */
export interface DiskExtents {
  readonly disk: number;
  readonly extents: Extent[];
}

/** The writes coalesced into runs (last writer wins), grouped by disk in disk order, in block
 *  order within a disk: what `coalesce` gives, without its per-block work when no block is
 *  written twice (the runs of adjacent writes are already known). */
export function coalescedByDisk(codec: Codec, writes: BlockWrites): DiskExtents[] {
  if (!writes.disjoint) return groupedByDisk(coalesce(codec, blockWriteList(codec, writes)));
  const { runCount, runKeys } = writes;
  let diskCount = 0;
  for (let r = 0; r < runCount; r++) if (r === 0 || diskOfKey(runKeys[r]) !== diskOfKey(runKeys[r - 1])) diskCount++;
  const groups: DiskExtents[] = new Array(diskCount);
  let g = 0;
  // Runs [runFirst, runEnd) are one disk's; the writes of run r are order[i ..] while their run is r.
  let i = 0;
  for (let runFirst = 0; runFirst < runCount; ) {
    const disk = diskOfKey(runKeys[runFirst]);
    let runEnd = runFirst + 1;
    while (runEnd < runCount && diskOfKey(runKeys[runEnd]) === disk) runEnd++;
    const extents: Extent[] = new Array(runEnd - runFirst);
    for (let r = runFirst; r < runEnd; r++) {
      let next = i + 1;
      while (next < writes.end - writes.first && writes.runOfWrite[writes.order[next] - writes.first] === r) next++;
      extents[r - runFirst] = new PlacedPayload(runKeys[r] - disk * DISK_STRIDE, runContent(codec, writes, i, next));
      i = next;
    }
    groups[g++] = { disk, extents };
    runFirst = runEnd;
  }
  return groups;
}

/** The new content of the run made of the writes order[from .. to): one slice of the content
 *  when they are also consecutive records (always, for a run of one write). */
function runContent(codec: Codec, writes: BlockWrites, from: number, to: number): Payload {
  const { order, offsets } = writes;
  let blocks = countOf(writes, order[from]);
  let consecutive = true;
  for (let i = from + 1; i < to; i++) {
    blocks += countOf(writes, order[i]);
    if (order[i] !== order[i - 1] + 1) consecutive = false;
  }
  if (consecutive) return sliceOfContent(codec, writes, offsets[order[from]], blocks);
  const parts: Payload[] = new Array(to - from);
  for (let i = from; i < to; i++) parts[i - from] = payloadOf(codec, writes, order[i]);
  return codec.concat(parts);
}

function blockWriteList(codec: Codec, writes: BlockWrites): BlockWrite[] {
  const list: BlockWrite[] = new Array(writes.end - writes.first);
  for (let w = writes.first; w < writes.end; w++) list[w - writes.first] = { disk: diskOf(writes, w), start: startOf(writes, w), payload: payloadOf(codec, writes, w) };
  return list;
}

function groupedByDisk(runs: ReadonlyArray<{ readonly disk: number; readonly start: number; readonly payload: Payload }>): DiskExtents[] {
  const groups: DiskExtents[] = [];
  for (const run of runs) {
    const group = groups[groups.length - 1];
    if (group !== undefined && group.disk === run.disk) group.extents.push(new PlacedPayload(run.start, run.payload));
    else groups.push({ disk: run.disk, extents: [new PlacedPayload(run.start, run.payload)] });
  }
  return groups;
}
