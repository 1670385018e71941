// The discardable layer under a VM that failed over without commit (DOMAIN.md rule 10): until
// the failover is committed the operator may cancel it and fail over to another recovery point,
// so everything written to the replica disks since the failover began (the roll-back to the
// chosen point, then the VM's own writes) must be undoable. Hyper-V keeps a differencing disk
// over the replica VHD; the VM here writes the replica disks directly (the hypervisor boots a VM
// from its host's disks), so the layer is kept the other way round, with the same
// copy-before-write idea as a test VM's disk (test-disk.ts): the base image is captured before
// the first write, every write after it marks its blocks dirty through a write observer, and
// discarding the layer writes the base content of the dirty blocks back.
//
// Fault model: the layer lives in the replica service's memory, as the hourly recovery points
// do; a restart of the replica host loses it (cancel is then refused). A disk that cannot be
// read while capturing fails the capture, and the failover with it.
import { assert } from '../../../model/index.js';
import type { ObservableBlockDevice, Payload } from '../../ports.js';
import { join } from '../../data-plane/coalesce.js';
import { BULK_CHUNK_BYTES_MAX, BULK_WINDOW_MAX, runsOf } from './bulk-copy.js';
import type { SessionContext } from './session-context.js';

type Result = { ok: true } | { ok: false; error: string };

interface DiskLayer {
  readonly device: ObservableBlockDevice;
  readonly chunkBlocks: number;
  /** Base content, one payload per chunk of `chunkBlocks` blocks (the last may be shorter). */
  readonly base: Payload[];
  /** One byte per block: 1 when the block changed since the capture. */
  readonly dirty: Uint8Array;
}

export class FailoverLayer {
  private readonly disks: DiskLayer[];
  private detachers: Array<() => void> = [];
  private captured = false;
  /** Released (committed, or its session stopped): a capture still reading never starts tracking. */
  private released = false;

  constructor(private readonly ctx: SessionContext, diskCount: number) {
    this.disks = Array.from({ length: diskCount }, (_, d) => {
      const device = ctx.device(d);
      const chunkBlocks = Math.max(1, Math.floor(BULK_CHUNK_BYTES_MAX / device.blockSizeBytes));
      return { device, chunkBlocks, base: new Array<Payload>(Math.ceil(device.blockCount / chunkBlocks)), dirty: new Uint8Array(device.blockCount) };
    });
  }

  /** Reads the base image of every disk (a bounded window of chunk reads at a time), then starts
   *  tracking writes. Nothing may write the disks until `done`. */
  capture(done: (result: Result) => void): void {
    const reads: Array<{ disk: number; chunk: number }> = [];
    this.disks.forEach((layer, disk) => {
      for (let chunk = 0; chunk < layer.base.length; chunk++) reads.push({ disk, chunk });
    });
    let next = 0;
    let failed: string | null = null;
    const finished = join(reads.length, () => {
      if (failed !== null) return done({ ok: false, error: failed });
      if (this.released) return done({ ok: false, error: 'the failover layer was released while it was being captured' });
      this.track();
      this.captured = true;
      this.ctx.ports.tracer.mark('failover-layer-captured');
      this.invariants();
      done({ ok: true });
    });
    const pump = () => {
      if (next >= reads.length) return;
      const { disk, chunk } = reads[next++];
      const layer = this.disks[disk];
      const start = chunk * layer.chunkBlocks;
      const count = Math.min(layer.chunkBlocks, layer.device.blockCount - start);
      layer.device.read(start, count, (result) => {
        if (result.ok) layer.base[chunk] = result.value;
        else failed = `the replica disk ${disk} could not be read to keep the failover discardable (${result.error.kind})`;
        finished();
        pump();
      });
    };
    for (let i = 0; i < BULK_WINDOW_MAX; i++) pump();
  }

  private track(): void {
    for (const layer of this.disks) {
      this.detachers.push(layer.device.attachObserver({ onWrite: (start, payload) => layer.dirty.fill(1, start, start + payload.blockCount) }));
    }
  }

  /** Cancel: every dirty block gets its base content back, durably; the disks then hold the
   *  image they had before the failover, and the layer is gone. */
  discard(done: (result: Result) => void): void {
    assert(this.captured, 'failover layer: discard before capture');
    this.stopTracking();
    const codec = this.ctx.ports.codec;
    const perDisk = this.disks.map((layer) => {
      const dirty: number[] = [];
      for (let b = 0; b < layer.dirty.length; b++) if (layer.dirty[b] === 1) dirty.push(b);
      return runsOf(dirty).flatMap((run) => this.baseExtents(layer, run.offset, run.count, codec.slice.bind(codec)));
    });
    let failed: string | null = null;
    const written = join(this.disks.length, () => {
      if (failed !== null) return done({ ok: false, error: failed });
      this.captured = false;
      this.ctx.ports.tracer.mark('failover-layer-discarded');
      done({ ok: true });
    });
    this.disks.forEach((layer, disk) => {
      const extents = perDisk[disk];
      const flush = () => layer.device.flush((flushed) => {
        if (!flushed.ok) failed = `the replica disk ${disk} could not be flushed (${flushed.error.kind})`;
        written();
      });
      if (extents.length === 0) return flush();
      layer.device.writeMany(extents, (result) => {
        if (!result.ok) {
          failed = `the replica disk ${disk} could not be rolled back (${result.error.kind})`;
          return written();
        }
        layer.dirty.fill(0);
        flush();
      });
    });
  }

  /** Commit: the layer merges into the disks (nothing to write: they already hold it). */
  merge(): void {
    this.release();
    this.ctx.ports.tracer.mark('failover-layer-merged');
  }

  /** Stops tracking (commit, or the session stopped); the owner then drops the layer. */
  release(): void {
    this.stopTracking();
    this.captured = false;
    this.released = true;
  }

  /** The base content of blocks [start, start + count) as extents cut at chunk boundaries. */
  private baseExtents(layer: DiskLayer, start: number, count: number, slice: (payload: Payload, offset: number, count: number) => Payload) {
    const extents: Array<{ start: number; payload: Payload }> = [];
    let block = start;
    while (block < start + count) {
      const chunk = Math.floor(block / layer.chunkBlocks);
      const offset = block - chunk * layer.chunkBlocks;
      const take = Math.min(start + count - block, layer.chunkBlocks - offset);
      extents.push({ start: block, payload: slice(layer.base[chunk], offset, take) });
      block += take;
    }
    return extents;
  }

  private stopTracking(): void {
    for (const detach of this.detachers) detach();
    this.detachers = [];
  }

  get isCaptured(): boolean {
    return this.captured;
  }

  invariants(): void {
    for (const layer of this.disks) {
      assert(!this.captured || layer.base.every((p) => p !== undefined), 'failover layer: a chunk of the base image is missing');
      assert(layer.dirty.length === layer.device.blockCount, 'failover layer: dirty map does not cover the disk');
    }
  }
}
