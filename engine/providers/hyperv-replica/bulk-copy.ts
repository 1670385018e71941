// The primary's side of a bulk copy: initial replication over the network (every block, disks
// one after another, DOMAIN.md rule 1) or a block-compare resync / existing-VM initial
// replication (per-block checksums compared on the replica, only differing blocks sent, rule 7).
// A bounded window of requests is in flight; every request is resent until acknowledged.
import { MiB, seconds, type Duration } from '../../../model/index.js';
import type { Payload } from '../../ports.js';
import type { Retransmitter } from '../../data-plane/retransmitter.js';
import type { HvrMessage } from './messages.js';
import type { SessionContext } from './session-context.js';

export const BULK_CHUNK_BYTES_MAX = 8 * MiB;

/** What an offline-media export carries: every block of every disk, and its generation. */
export interface MediaContents {
  readonly vmId: string;
  readonly generation: number;
  readonly extents: ReadonlyArray<{ readonly disk: number; readonly start: number; readonly payload: Payload }>;
}
export const BULK_WINDOW_MAX = 4;
/** Wait before reading an unreadable chunk again (a latent sector error may be rewritten). */
export const BULK_REREAD_DELAY = seconds(30);

export interface BulkProgress {
  blocksRead: number;
  blocksSent: number;
  blocksTotal: number;
}

export class BulkCopy {
  private disk = 0;
  private nextBlock = 0;
  private inFlight = 0;
  private nextId = 1;
  private begun = false;
  private completing = false;
  private finished = false;
  private readonly chunkPayloads = new Map<number, { disk: number; start: number; payload: Payload }>();
  readonly progress: BulkProgress;
  private readonly chunkBlocks: number;
  private readonly exported: Array<{ disk: number; start: number; payload: Payload }> = [];
  /** For offline media: who gets the package, and how long the courier takes. */
  vmId = '';
  peerHost = '';
  shippingDelay: Duration = 0 as Duration;

  constructor(
    private readonly ctx: SessionContext,
    private readonly retx: Retransmitter,
    readonly generation: number,
    readonly mode: 'full' | 'compare' | 'media',
    private readonly diskCount: number,
    private readonly compression: boolean,
    private readonly nextSeq: () => number,
    private readonly onDone: () => void,
  ) {
    const device = ctx.device(0);
    this.chunkBlocks = Math.max(1, Math.floor(BULK_CHUNK_BYTES_MAX / device.blockSizeBytes));
    let total = 0;
    for (let d = 0; d < diskCount; d++) total += ctx.device(d).blockCount;
    this.progress = { blocksRead: 0, blocksSent: 0, blocksTotal: total };
  }

  start(): void {
    if (this.mode === 'media') {
      // Offline media: the disks are exported locally; nothing crosses the WAN until the
      // import is confirmed (DOMAIN.md rule 2).
      this.begun = true;
      this.ctx.ports.tracer.mark('offline-media-export-started');
      this.pump();
      return;
    }
    this.send('begin', { type: 'bulk-begin', generation: this.generation, mode: this.mode }, 0);
  }

  /** The session dropped this copy (resync required again, cancelled, stopped): reads and timers
   *  still in flight must not send anything any more. */
  stop(): void {
    this.finished = true;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The bulk-complete went out: the replica may be merging (a resync's point of no return). */
  get isCompleting(): boolean {
    return this.completing;
  }

  receive(message: HvrMessage): void {
    if (this.finished) return;
    if (message.type === 'bulk-ack' && message.generation === this.generation) this.onAck(message.id);
    else if (message.type === 'compare-reply' && message.generation === this.generation) this.onCompareReply(message.id, message.differing);
  }

  private onAck(id: number): void {
    if (id === -1) {
      if (this.retx.acknowledge(this.key('begin')) && !this.begun) {
        this.begun = true;
        this.pump();
      }
      return;
    }
    if (id === -2) {
      if (this.retx.acknowledge(this.key('complete'))) {
        this.finished = true;
        this.onDone();
      }
      return;
    }
    if (!this.retx.acknowledge(this.key(id))) return;
    this.inFlight--;
    this.pump();
  }

  private onCompareReply(id: number, differing: readonly number[]): void {
    const chunk = this.chunkPayloads.get(id);
    if (chunk === undefined || !this.retx.acknowledge(this.key(id))) return;
    this.chunkPayloads.delete(id);
    this.inFlight--;
    for (const run of runsOf(differing)) {
      const payload = this.ctx.ports.codec.slice(chunk.payload, run.offset, run.count);
      this.sendBlocks(chunk.disk, chunk.start + run.offset, payload);
    }
    this.pump();
  }

  private pump(): void {
    while (this.begun && this.inFlight < BULK_WINDOW_MAX && this.disk < this.diskCount) {
      const device = this.ctx.device(this.disk);
      const disk = this.disk;
      const start = this.nextBlock;
      const count = Math.min(this.chunkBlocks, device.blockCount - start);
      this.nextBlock += count;
      if (this.nextBlock >= device.blockCount) {
        this.disk++;
        this.nextBlock = 0;
      }
      this.inFlight++;
      device.read(start, count, (result) => {
        this.inFlight--;
        if (this.finished) return;
        if (!result.ok) {
          // Unreadable source blocks cannot be copied: retry the chunk later through a resend.
          this.ctx.ports.tracer.mark('bulk-read-failed');
          this.ctx.ports.clock.setTimer(this.retxDelay(), 'bulk-reread', () => this.reread(disk, start, count));
          this.inFlight++;
          return;
        }
        this.progress.blocksRead += count;
        this.chunkRead(disk, start, result.value);
      });
    }
    if (this.begun && this.inFlight === 0 && this.disk >= this.diskCount && !this.completing) {
      this.completing = true;
      const complete = () =>
        this.send('complete', { type: 'bulk-complete', generation: this.generation, nextSeq: this.nextSeq(), deleteRecoveryPoints: this.mode === 'compare' }, 0);
      if (this.mode !== 'media') return complete();
      const contents: MediaContents = { vmId: this.vmId, generation: this.generation, extents: this.exported };
      this.ctx.ports.media.ship(this.peerHost, `hvr:${this.vmId}:${this.generation}`, contents, this.shippingDelay, (shipped) => {
        if (!shipped.ok) this.ctx.ports.tracer.mark('offline-media-refused');
        this.ctx.ports.tracer.mark('offline-media-shipped');
        complete(); // resent until the replica has imported the media
      });
    }
  }

  private reread(disk: number, start: number, count: number): void {
    this.ctx.device(disk).read(start, count, (result) => {
      if (this.finished) return;
      if (!result.ok) {
        this.ctx.ports.clock.setTimer(this.retxDelay(), 'bulk-reread', () => this.reread(disk, start, count));
        return;
      }
      this.inFlight--;
      this.progress.blocksRead += count;
      this.chunkRead(disk, start, result.value);
    });
  }

  private chunkRead(disk: number, start: number, payload: Payload): void {
    if (this.mode === 'media') {
      this.exported.push({ disk, start, payload });
      this.progress.blocksSent += payload.blockCount;
      this.pump();
      return;
    }
    if (this.mode === 'full') {
      this.sendBlocks(disk, start, payload);
      return;
    }
    const id = this.nextId++;
    this.chunkPayloads.set(id, { disk, start, payload });
    const checksums = Array.from(this.ctx.ports.codec.blockChecksums(payload));
    this.inFlight++;
    this.send(id, { type: 'compare-request', generation: this.generation, id, disk, start, checksums }, checksums.length * 4);
  }

  private sendBlocks(disk: number, start: number, payload: Payload): void {
    const id = this.nextId++;
    const codec = this.ctx.ports.codec;
    this.inFlight++;
    this.progress.blocksSent += payload.blockCount;
    const bytes = this.compression ? codec.compressedSizeBytes(payload) : codec.sizeBytes(payload);
    this.send(id, { type: 'bulk-blocks', generation: this.generation, id, disk, start, payload }, bytes);
  }

  private send(id: number | string, message: HvrMessage, payloadBytes: number): void {
    if (this.finished) return;
    this.retx.send(this.key(id), this.ctx.seal(message, payloadBytes));
  }

  private key(id: number | string): string {
    return `bulk:${this.generation}:${id}`;
  }

  private retxDelay(): Duration {
    return BULK_REREAD_DELAY;
  }
}

/** Runs of consecutive offsets: [0,1,2,5] -> [{0,3},{5,1}]. */
export function runsOf(offsets: readonly number[]): Array<{ offset: number; count: number }> {
  const runs: Array<{ offset: number; count: number }> = [];
  for (const offset of offsets) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.offset + last.count === offset) last.count++;
    else runs.push({ offset, count: 1 });
  }
  return runs;
}
