// The truth of one VM disk as its guest sees it: every write the guest issued that landed, on
// whichever copy of the disk the VM was running from at the time (primary, then the failed-over
// replica, then the primary again after failback). Checkers compare replicas against it.
//
// Fault model: none; this is the oracle. A write that landed after the guest died (host crash)
// is kept as unacknowledged: the disk holds it, the guest was never told.
import type { Instant } from '../../model/index.js';
import { BlockMap, DiskOracle, ImageHash, type DenseLane } from '../disk/index.js';

export class GuestTruth {
  private blocks: BlockMap;
  private readonly hash = new ImageHash();
  readonly oracle: DiskOracle;
  private acknowledged = 0;

  constructor(
    readonly diskId: string,
    readonly blockCount: number,
    private baseBlocks: number,
    baseId: number,
    at: Instant,
    denseLane?: DenseLane,
  ) {
    // A lane shared with the source disk's content: both maps take every guest write in one event.
    this.blocks = new BlockMap(baseBlocks, baseId, blockCount, denseLane);
    this.oracle = new DiskOracle(diskId);
    if (baseBlocks > 0) this.hash.addRange(0, baseBlocks, baseId);
    this.oracle.begin(at, baseBlocks, baseId, this.hash);
  }

  idAt(block: number): number {
    return this.blocks.get(block);
  }

  /** A guest write of ids[idOffset, idOffset + count) at `start` landed at `at`. */
  recordWrite(at: Instant, start: number, ids: Uint32Array, acknowledged: boolean, idOffset = 0, count = ids.length - idOffset): void {
    for (let i = 0; i < count; i++) {
      const block = start + i;
      const id = ids[idOffset + i];
      const old = this.blocks.exchange(block, id);
      if (old !== id) this.hash.replace(block, old, id);
    }
    this.oracle.recordWrite(at, start, ids, count, acknowledged, this.hash, idOffset);
    if (acknowledged) this.acknowledged++;
  }

  /** The guest now sees `content` (an unplanned failover rolled it back to a recovery point):
   *  the truth becomes that image, and the oracle records the change as a reversion. */
  rebase(at: Instant, content: ReadonlyMap<number, number>): number {
    const changedBlocks: number[] = [];
    const changedIds: number[] = [];
    const touched = new Set<number>(content.keys());
    for (const [block] of this.blocks.differingBlocks()) touched.add(block);
    for (let b = 0; b < this.baseBlocks; b++) touched.add(b);
    for (const block of [...touched].sort((x, y) => x - y)) {
      const old = this.idAt(block);
      const next = content.get(block) ?? 0;
      if (old === next) continue;
      this.hash.replace(block, old, next);
      changedBlocks.push(block);
      changedIds.push(next);
    }
    this.baseBlocks = 0;
    // A map of its own: the shared lane belongs to the map being replaced (the guest
    // now runs from the replica anyway, so the lane's partner is no longer written in step).
    this.blocks = new BlockMap(0, 0, this.blockCount);
    for (const [block, id] of content) if (id !== 0) this.blocks.exchange(block, id);
    if (changedBlocks.length > 0) this.oracle.recordReversion(at, changedBlocks, changedIds, this.hash);
    return changedBlocks.length;
  }

  imageHash(): string {
    return this.hash.toString();
  }

  get acknowledgedWrites(): number {
    return this.acknowledged;
  }
}
