// Messages between a primary server and a replica server for one protected VM. They travel
// inside the sealed envelope of data-plane/envelope.ts; `pairing` is the VM id.
import type { Instant } from '../../../model/index.js';
import type { Payload } from '../../ports.js';
import type { PackedWrites } from '../../data-plane/coalesce.js';

export interface WireRecord {
  readonly disk: number;
  readonly start: number;
  readonly payload: Payload;
}

/** Records packed as an .hrl file packs them (see PackedWrites). */
export type LogRecords = PackedWrites;

/** One chunk of a closed replication log (an .hrl file shipped in pieces). */
export interface LogChunk {
  readonly type: 'log-chunk';
  readonly seq: number;
  readonly chunk: number;
  readonly chunkCount: number;
  /** The instant the primary closed the log: the source image the log completes. */
  readonly cutAt: Instant;
  readonly appConsistent: boolean;
  readonly records: LogRecords;
}

export interface ChunkReceived {
  readonly type: 'chunk-received';
  readonly seq: number;
  readonly chunk: number;
}

/** The replica applied every log up to and including `seq`. */
export interface LogApplied {
  readonly type: 'log-applied';
  readonly seq: number;
}

/** Bulk copy (initial replication, resync): blocks to write as they are. */
export interface BulkBlocks {
  readonly type: 'bulk-blocks';
  readonly generation: number;
  readonly id: number;
  readonly disk: number;
  readonly start: number;
  readonly payload: Payload;
}

/** Resync and existing-VM initial replication: per-block checksums to compare. */
export interface CompareRequest {
  readonly type: 'compare-request';
  readonly generation: number;
  readonly id: number;
  readonly disk: number;
  readonly start: number;
  readonly checksums: readonly number[];
}

export interface CompareReply {
  readonly type: 'compare-reply';
  readonly generation: number;
  readonly id: number;
  /** Offsets (from the request's start) whose checksums differ. */
  readonly differing: readonly number[];
}

export interface BulkAck {
  readonly type: 'bulk-ack';
  readonly generation: number;
  readonly id: number;
}

/** The bulk copy of `generation` is complete: later bulk messages of it are stale. `nextSeq` is
 *  the first log sequence the replica must expect afterwards. */
export interface BulkComplete {
  readonly type: 'bulk-complete';
  readonly generation: number;
  readonly nextSeq: number;
  /** Recovery points must be deleted (resync), or there are none yet (initial replication). */
  readonly deleteRecoveryPoints: boolean;
}

export interface BulkBegin {
  readonly type: 'bulk-begin';
  readonly generation: number;
  /** full: the replica is empty and written directly (initial replication); compare: differing
   *  blocks are staged and merged at the end, so the recovery points stay usable until then. */
  readonly mode: 'full' | 'compare';
}

/** The replica cannot continue from the logs it gets (an out-of-sequence log): resync needed. */
export interface ReplicaNeedsResync {
  readonly type: 'replica-needs-resync';
  readonly reason: string;
  readonly expectedSeq: number;
}

export type HvrMessage =
  | LogChunk
  | ChunkReceived
  | LogApplied
  | BulkBegin
  | BulkBlocks
  | CompareRequest
  | CompareReply
  | BulkAck
  | BulkComplete
  | ReplicaNeedsResync;
