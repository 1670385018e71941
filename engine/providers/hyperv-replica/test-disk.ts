// The disk of a test VM (DOMAIN.md rule 8): a differencing disk over a recovery point of the
// replica. Reads see the point's image; writes stay in the differencing layer and never reach
// the replica disk, which keeps receiving logs while the test runs. Blocks the replica
// overwrites during the test are preserved first (ReplicaSession calls `preserve`), the same
// copy-before-write a recovery point uses.
import type { BlockDevice, BlockRange, Codec, Extent, IoResult, Payload } from '../../ports.js';
import { join } from '../../data-plane/coalesce.js';
import { readRangesOneByOne } from '../../data-plane/read-ranges.js';

export class TestDisk implements BlockDevice {
  readonly deviceId: string;
  readonly blockSizeBytes: number;
  readonly blockCount: number;
  /** Blocks the test VM wrote. */
  private readonly written = new Map<number, Payload>();
  /** Blocks as they were at the point: from the recovery history, then preserved during the test. */
  private readonly pointContent: Map<number, Payload>;

  constructor(
    private readonly replica: BlockDevice,
    private readonly codec: Codec,
    pointContent: ReadonlyMap<number, Payload>,
  ) {
    this.deviceId = `${replica.deviceId}#test`;
    this.blockSizeBytes = replica.blockSizeBytes;
    this.blockCount = replica.blockCount;
    this.pointContent = new Map(pointContent);
  }

  /** Whether the replica may overwrite `block` without saving it for the test first. */
  needsPreserve(block: number): boolean {
    return !this.pointContent.has(block) && !this.written.has(block);
  }

  preserve(block: number, content: Payload): void {
    if (this.needsPreserve(block)) this.pointContent.set(block, content);
  }

  read(start: number, count: number, done: (result: IoResult<Payload>) => void): void {
    const parts: Payload[] = new Array(count);
    const missing: number[] = [];
    for (let i = 0; i < count; i++) {
      const mine = this.written.get(start + i) ?? this.pointContent.get(start + i);
      if (mine !== undefined) parts[i] = mine;
      else missing.push(i);
    }
    let failed: IoResult<Payload> | null = null;
    // With every block in the layer, one replica read still waits: completions are never re-entrant.
    const finish = join(Math.max(1, missing.length), () => done(failed ?? { ok: true, value: this.codec.concat(parts) }));
    if (missing.length === 0) {
      this.replica.read(start, 1, () => finish());
      return;
    }
    for (const offset of missing) {
      this.replica.read(start + offset, 1, (result) => {
        if (result.ok) parts[offset] = this.pointContent.get(start + offset) ?? this.written.get(start + offset) ?? result.value;
        else failed = result;
        finish();
      });
    }
  }

  readMany(ranges: readonly BlockRange[], done: (result: IoResult<readonly Payload[]>) => void): void {
    readRangesOneByOne(this, ranges, done);
  }

  write(start: number, payload: Payload, done: (result: IoResult<void>) => void): void {
    for (let i = 0; i < payload.blockCount; i++) this.written.set(start + i, this.codec.slice(payload, i, 1));
    this.replica.flush(() => done({ ok: true, value: undefined })); // asynchronous, never touches the replica's data
  }

  writeMany(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    for (const extent of extents) for (let i = 0; i < extent.payload.blockCount; i++) this.written.set(extent.start + i, this.codec.slice(extent.payload, i, 1));
    this.replica.flush(() => done({ ok: true, value: undefined }));
  }

  /** The test copy's own writes are kept here, not on a volatile cache: every write is durable. */
  writeManyDurable(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    this.writeMany(extents, done);
  }

  flush(done: (result: IoResult<void>) => void): void {
    this.replica.flush(() => done({ ok: true, value: undefined }));
  }

  get writtenBlocks(): number {
    return this.written.size;
  }
}
