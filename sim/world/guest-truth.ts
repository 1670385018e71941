// The truth of one VM disk as its guest sees it: every write the guest issued that landed, on
// whichever copy of the disk the VM was running from at the time (primary, then the failed-over
// replica, then the primary again after failback). Checkers compare replicas against it.
//
// Fault model: none; this is the oracle. A write that landed after the guest died (host crash)
// is kept as unacknowledged: the disk holds it, the guest was never told.
import type { Instant } from '../../model/index.js';
import { DiskOracle, ImageHash } from '../disk/index.js';

export class GuestTruth {
  private readonly blocks = new Map<number, number>();
  private readonly hash = new ImageHash();
  readonly oracle: DiskOracle;
  private acknowledged = 0;

  constructor(
    readonly diskId: string,
    readonly blockCount: number,
    private readonly baseBlocks: number,
    private readonly baseId: number,
    at: Instant,
  ) {
    this.oracle = new DiskOracle(diskId);
    if (baseBlocks > 0) this.hash.addRange(0, baseBlocks, baseId);
    this.oracle.begin(at, baseBlocks, baseId, this.hash);
  }

  idAt(block: number): number {
    return this.blocks.get(block) ?? (block < this.baseBlocks ? this.baseId : 0);
  }

  /** A guest write of `ids` at `start` landed at `at`. */
  recordWrite(at: Instant, start: number, ids: Uint32Array, acknowledged: boolean): void {
    for (let i = 0; i < ids.length; i++) {
      const block = start + i;
      const old = this.idAt(block);
      this.blocks.set(block, ids[i]);
      this.hash.replace(block, old, ids[i]);
    }
    this.oracle.recordWrite(at, start, ids, ids.length, acknowledged, this.hash);
    if (acknowledged) this.acknowledged++;
  }

  imageHash(): string {
    return this.hash.toString();
  }

  get acknowledgedWrites(): number {
    return this.acknowledged;
  }
}
