// The InMage Scout data path on the wire (DOMAIN.md rule 18): the unified agent streams batches
// of ordered records to the process server, the process server forwards them to the master
// target, and acknowledgements flow back hop by hop. Every message travels inside the sealed
// envelope of data-plane/envelope.ts; `pairing` is the protected machine's id and the epoch is
// bumped by the configuration server at every (re)protection, so stale senders are refused.
//
// One machine is one stream: all its disks' writes in capture order, so a cut anywhere in the
// stream is consistent across the machine's disks (a Scout "pair" per disk, sharing one order).
import { assert, type Instant } from '../../../model/index.js';
import type { Payload } from '../../ports.js';

export type TagKind = 'crash' | 'app' | 'group' | 'final';

/** The data records of a batch, packed (one object per batch, not per write, so the records
 *  waiting in the agent's buffer, the process server's cache and in flight cost one array and
 *  one payload). Record i is the RECORD_WORDS numbers from `records[i * RECORD_WORDS]`: disk,
 *  start, count and instant (the RECORD_* offsets). It holds the content of `count` blocks from
 *  `start` of disk `disk` as it was at `at`: a guest write the agent captured (CDP: every write,
 *  in order), or, during a resync, source blocks read because they differ. Its content is the
 *  next `count` blocks of `content` (null when there are no records). One array for all the
 *  fields, not a column per field: every hop checksums the whole body (seal and open), and one
 *  array of a batch's numbers is cheaper to checksum, and to remember once checksummed, than
 *  four short ones. */
export interface DataRecords {
  readonly records: readonly number[];
  readonly content: Payload | null;
}

/** Numbers per data record in `DataRecords.records`, and where each field sits among them. */
export const RECORD_WORDS = 4;
export const RECORD_DISK = 0;
export const RECORD_START = 1;
export const RECORD_COUNT = 2;
export const RECORD_AT = 3;

/** How many data records a batch holds. */
export const dataRecordCount = (data: DataRecords): number => data.records.length / RECORD_WORDS;

/** A data record on its own (an unpacked view, for inspection: the wire carries columns). */
export interface DataRecord {
  readonly kind: 'data';
  readonly disk: number;
  readonly start: number;
  readonly payload: Payload;
  readonly at: Instant;
}

/** The rarer records travel as objects beside the columns. Each names its place in the stream:
 *  it comes after the first `position` data records of its batch (and after the control records
 *  before it in the list). */
interface Positioned {
  readonly position: number;
}

/** A consistency tag (bookmark): the image at `at` is a named recovery point. */
export interface TagRecord extends Positioned {
  readonly kind: 'tag';
  readonly name: string;
  readonly tagKind: TagKind;
  readonly at: Instant;
}

/** A resync starts: until its end the replica is not consistent (no recovery point). */
export interface ResyncBeginRecord extends Positioned {
  readonly kind: 'resync-begin';
  readonly scope: 'bitmap' | 'full';
  readonly reason: string;
  readonly at: Instant;
}

/** Checksums of source blocks [start, start + checksums.length) at `at`, to compare. */
export interface CompareRecord extends Positioned {
  readonly kind: 'compare';
  readonly region: number;
  readonly disk: number;
  readonly start: number;
  readonly checksums: readonly number[];
  readonly at: Instant;
}

/** Every block of the resync is in sync from `at` on: the replica is consistent again. */
export interface ResyncEndRecord extends Positioned {
  readonly kind: 'resync-end';
  readonly at: Instant;
}

export type ControlRecord = TagRecord | ResyncBeginRecord | CompareRecord | ResyncEndRecord;

/** Any record of the stream as an object, in stream order (see `recordsOf`). */
export type StreamRecord = DataRecord | ControlRecord;

/** A batch of the stream. `generation` starts over at each resync of the agent; `seq` counts
 *  from 1 inside a generation. Every record captured before `sealedAt` is in this batch or an
 *  earlier one, so the stream is a consistent image at `sealedAt - 1` once applied. */
export interface StreamBatch {
  readonly type: 'batch';
  readonly generation: number;
  readonly seq: number;
  readonly sealedAt: Instant;
  readonly data: DataRecords;
  readonly control: readonly ControlRecord[];
}

/** Process server to agent: every batch up to (generation, seq) is in the cache. */
export interface BatchAck {
  readonly type: 'batch-ack';
  readonly generation: number;
  readonly seq: number;
}

/** Process server to agent: the cache is full, (generation, seq) was not accepted (throttle). */
export interface Throttle {
  readonly type: 'throttle';
  readonly generation: number;
  readonly seq: number;
}

/** Agent to process server: may a resync start? */
export interface Probe {
  readonly type: 'probe';
  readonly nonce: number;
}

export interface ProbeReply {
  readonly type: 'probe-reply';
  readonly nonce: number;
  readonly cacheFreeFraction: number;
}

/** Process server to agent: the cache lost this stream's data (a process-server crash). */
export interface StreamLost {
  readonly type: 'stream-lost';
  readonly reason: string;
}

/** Process server to master target: a batch, compressed on the wire. */
export interface ForwardBatch {
  readonly type: 'forward';
  readonly generation: number;
  readonly seq: number;
  readonly sealedAt: Instant;
  readonly data: DataRecords;
  readonly control: readonly ControlRecord[];
}

/** Master target to process server: every batch up to (generation, seq) is applied and durable. */
export interface Applied {
  readonly type: 'applied';
  readonly generation: number;
  readonly seq: number;
}

/** Master target to agent: the blocks of a compared region that differ (offsets from start). */
export interface CompareResult {
  readonly type: 'compare-result';
  readonly generation: number;
  readonly region: number;
  readonly differing: readonly number[];
}

/** Generations are below this (a resync per second for twelve days), seqs below 2^32: the key
 *  generation * 2^32 + seq of a batch stays a safe integer. */
const GENERATION_LIMIT = 2 ** 20;
const SEQ_STRIDE = 2 ** 32;

/** The number naming batch (generation, seq) until it is acknowledged (a number, not a string:
 *  no string is made twice per batch at each hop). */
export function batchKey(generation: number, seq: number): number {
  if (!(generation >= 0 && generation < GENERATION_LIMIT && seq >= 0 && seq < SEQ_STRIDE)) assert(false, `batch (${generation}, ${seq}) has no key`);
  return generation * SEQ_STRIDE + seq;
}

export type ScoutMessage = StreamBatch | BatchAck | Throttle | Probe | ProbeReply | StreamLost | ForwardBatch | Applied | CompareResult;
