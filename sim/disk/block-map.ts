// The pristine content of a disk: block -> content id, for disks of any virtual size.
//
// Fault model: none; it is a data structure. Content is kept by pages of PAGE_BLOCKS ids (2 KiB):
// a page is "allocated" by the first write that changes a block in it; until then it reads as the
// implicit content (the base image, or 0), so memory follows the blocks written, never the disk
// size (a dense array's untouched pages are never faulted in).
//
// Two layouts, one behaviour:
//   - dense (disks of at most DENSE_BLOCKS_MAX blocks, when the size is given): one typed array
//     over the whole disk, each word holding the block's id XOR its implicit id, so the zeroes a
//     fresh array starts with already read as the implicit content: a read or a write is one array
//     access, with no "is this page allocated?" test on the way and no page fill at the first
//     write into a page (that fill, with its test, was ~3% of a day at scale). Which pages hold a
//     change (for comparisons, walking the changed blocks, and the page count) is found by scanning
//     for non-zero words: a per-page flag kept on every write cost a cache miss of its own.
//     So a dense page counts as allocated while it holds a change; a paged page, once written.
//     (The array's zeroes are the allocator's: the kernel hands out zeroed pages at their first
//     touch. Views of fresh lazily-zeroed slabs shared by many maps were tried and were slower.)
//     Maps written block for block in step (a VM's source disk and the guest's truth of it, both
//     updated in the same event for every guest write) may share one array as lanes of
//     DenseLanes, interleaved block by block: the second map's access then hits the cache line
//     the first one just touched instead of costing a cache (and TLB) miss of its own, ~250 ns
//     per block at scale. Each map keeps its own count of changed blocks.
//     This is the layout of simulations at scale (a day of hundreds of VMs with 1 MiB blocks),
//     where every write lands on a random block of a random disk and the paged layout's hash
//     lookup and page object cost several cache misses per block (measured: 220 ns against 39).
//   - paged (disks larger than that, or of unknown size): a Map of page arrays, with a one-page
//     cache so consecutive blocks of one write cost an array access each.
import { assert } from '../../model/index.js';

const PAGE_SHIFT = 9;
export const PAGE_BLOCKS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_BLOCKS - 1;
const TWO_POW_31 = 0x8000_0000;
/** Largest disk (in blocks) kept in the dense layout: 4 MiB of address space per disk. */
export const DENSE_BLOCKS_MAX = 1 << 20;

function pageOf(block: number): number {
  return block < TWO_POW_31 ? block >>> PAGE_SHIFT : Math.floor(block / PAGE_BLOCKS);
}

/** One dense array shared by `laneCount` block maps of the same disk size, interleaved block by
 *  block: map `lane` keeps block b at index b * laneCount + lane. */
export class DenseLanes {
  readonly ids: Uint32Array;
  /** Disk size in blocks, rounded up to whole pages. */
  readonly blockCount: number;
  private readonly claimed: Uint8Array;

  constructor(
    blockCount: number,
    readonly laneCount: number,
  ) {
    assert(Number.isInteger(blockCount) && blockCount >= 1 && blockCount <= DENSE_BLOCKS_MAX, `dense lanes: ${blockCount} blocks is not a dense disk size`);
    assert(Number.isInteger(laneCount) && laneCount >= 1 && laneCount <= 8, 'dense lanes: lane count must be in [1, 8]');
    this.blockCount = Math.ceil(blockCount / PAGE_BLOCKS) * PAGE_BLOCKS;
    this.ids = new Uint32Array(this.blockCount * laneCount);
    this.claimed = new Uint8Array(laneCount);
  }

  /** Hands `lane` to one map; two maps writing one lane would corrupt each other. */
  claim(lane: number): void {
    assert(Number.isInteger(lane) && lane >= 0 && lane < this.laneCount, `dense lanes: no lane ${lane} of ${this.laneCount}`);
    assert(this.claimed[lane] === 0, `dense lanes: lane ${lane} is already taken`);
    this.claimed[lane] = 1;
  }
}

/** A lane of a shared dense array, for a block map to use instead of an array of its own. */
export interface DenseLane {
  readonly lanes: DenseLanes;
  readonly lane: number;
}

export class BlockMap {
  private readonly pages = new Map<number, Uint32Array>();
  private cachedPageIndex = -1;
  private cachedPage: Uint32Array | null = null;
  /** Dense layout: every block's id, valid in allocated pages only, at block * denseStride + denseLane. */
  private readonly dense: Uint32Array | null;
  private readonly denseStride: number;
  private readonly denseLane: number;
  /** Dense layout: the disk's size in blocks, whole pages (0 for the paged layout). */
  private readonly blockCountDense: number;
  private differing = 0;

  /** Blocks [0, baseBlocks) implicitly hold `baseId`; every other block holds 0. Given the disk's
   *  size in blocks, a small disk gets the dense layout, in an array of its own or in `shared`
   *  (whose size must be the disk's). */
  constructor(
    readonly baseBlocks: number,
    readonly baseId: number,
    blockCount?: number,
    shared?: DenseLane,
  ) {
    assert(Number.isInteger(baseBlocks) && baseBlocks >= 0, 'block map: base image size must be a non-negative integer');
    const dense = blockCount !== undefined && blockCount <= DENSE_BLOCKS_MAX;
    const pageCount = dense ? Math.ceil(blockCount / PAGE_BLOCKS) : 0;
    if (shared !== undefined) {
      assert(dense && shared.lanes.blockCount === pageCount * PAGE_BLOCKS, 'block map: shared lanes must be of the dense disk\'s size');
      shared.lanes.claim(shared.lane);
      this.dense = shared.lanes.ids;
      this.denseStride = shared.lanes.laneCount;
      this.denseLane = shared.lane;
    } else {
      this.dense = dense ? new Uint32Array(pageCount * PAGE_BLOCKS) : null;
      this.denseStride = 1;
      this.denseLane = 0;
    }
    this.blockCountDense = pageCount * PAGE_BLOCKS;
  }

  /** What `block` holds when nothing was written to it. */
  implicitId(block: number): number {
    return block < this.baseBlocks ? this.baseId : 0;
  }

  get(block: number): number {
    const dense = this.dense;
    if (dense !== null) {
      const index = this.denseIndexOf(block);
      const implicit = block < this.baseBlocks ? this.baseId : 0;
      return implicit === 0 ? dense[index] : (dense[index] ^ implicit) >>> 0;
    }
    const pageIndex = pageOf(block);
    const page = pageIndex === this.cachedPageIndex ? this.cachedPage : this.lookUp(pageIndex);
    return page === null ? this.implicitId(block) : page[block & PAGE_MASK];
  }

  /** Reads `block` and discards it, so that a later access finds its cache line loaded: a caller
   *  about to land or read several random blocks first warms them all in a tight loop, where the
   *  processor overlaps the misses (measured ~125 ns saved per block at scale), instead of taking
   *  them one at a time between other work. Returns the raw word, for the caller to fold into a
   *  sink the compiler cannot drop. */
  warm(block: number): number {
    const dense = this.dense;
    return dense === null || !(block >= 0 && block < this.blockCountDense) ? 0 : dense[block * this.denseStride + this.denseLane];
  }

  /** Stores `id` at `block` and returns what it held before. */
  exchange(block: number, id: number): number {
    const dense = this.dense;
    if (dense !== null) {
      const index = this.denseIndexOf(block);
      const implicit = block < this.baseBlocks ? this.baseId : 0;
      const old = implicit === 0 ? dense[index] : (dense[index] ^ implicit) >>> 0;
      if (old !== id) {
        dense[index] = id ^ implicit;
        if (old === implicit) this.differing++;
        else if (id === implicit) this.differing--;
      }
      return old;
    }
    const pageIndex = pageOf(block);
    let page = pageIndex === this.cachedPageIndex ? this.cachedPage : this.lookUp(pageIndex);
    if (page === null) {
      const implicit = this.implicitId(block);
      if (id === implicit) return implicit;
      page = this.allocate(pageIndex);
    }
    const slot = block & PAGE_MASK;
    const old = page[slot];
    if (old !== id) {
      page[slot] = id;
      this.countChange(block, old, id);
    }
    return old;
  }

  /** Number of blocks whose content differs from the implicit content. */
  get differingCount(): number {
    return this.differing;
  }

  /** Number of pages allocated (memory is about 2 KiB each). */
  get pageCount(): number {
    return this.dense !== null ? this.allocatedPages().length : this.pages.size;
  }

  /** Blocks whose content differs from the implicit content, ascending, with their id. */
  *differingBlocks(): IterableIterator<[number, number]> {
    for (const pageIndex of this.allocatedPages()) {
      const first = pageIndex * PAGE_BLOCKS;
      for (let slot = 0; slot < PAGE_BLOCKS; slot++) {
        const block = first + slot;
        const id = this.get(block);
        if (id !== this.implicitId(block)) yield [block, id];
      }
    }
  }

  /** Calls `visit` for every block whose content differs from the implicit content, ascending,
   *  without a tuple per block (a whole-disk hash visits millions). */
  forEachDiffering(visit: (block: number, id: number) => void): void {
    const dense = this.dense;
    if (dense === null) {
      for (const [block, id] of this.differingBlocks()) visit(block, id);
      return;
    }
    // It stops at the last differing block: the pages past it (on most disks, the unused end)
    // are never read, and stay unbacked.
    const stride = this.denseStride;
    let remaining = this.differing;
    for (let block = 0, index = this.denseLane; remaining > 0 && block < this.blockCountDense; block++, index += stride) {
      const word = dense[index];
      if (word === 0) continue;
      remaining--;
      visit(block, (word ^ this.implicitId(block)) >>> 0);
    }
  }

  /** Lowest and highest block of every allocated page, for comparisons: [first, end) pairs. */
  allocatedRanges(): Array<[number, number]> {
    return this.allocatedPages().map((pageIndex) => [pageIndex * PAGE_BLOCKS, (pageIndex + 1) * PAGE_BLOCKS]);
  }

  invariants(): void {
    let differing = 0;
    for (const [block] of this.differingBlocks()) {
      assert(Number.isInteger(block) && block >= 0, 'block map: negative block');
      differing++;
    }
    assert(differing === this.differing, `block map: counted ${differing} differing blocks, tracked ${this.differing}`);
    if (this.dense !== null) {
      assert(this.pages.size === 0, 'block map: a dense map holds pages');
      assert(this.denseLane < this.denseStride && this.dense.length === this.blockCountDense * this.denseStride, 'block map: dense lane outside its array');
    }
  }

  /** Indices of allocated pages, ascending. */
  private allocatedPages(): number[] {
    if (this.dense === null) return [...this.pages.keys()].sort((a, b) => a - b);
    const indices: number[] = [];
    for (let pageIndex = 0; pageIndex < this.blockCountDense / PAGE_BLOCKS; pageIndex++) if (this.denseHoldsChange(pageIndex)) indices.push(pageIndex);
    return indices;
  }

  private countChange(block: number, old: number, id: number): void {
    const implicit = this.implicitId(block);
    if (old === implicit) this.differing++;
    else if (id === implicit) this.differing--;
  }

  /** Where `block` sits in the dense array (asserting it is on the disk). */
  private denseIndexOf(block: number): number {
    if (!(block >= 0 && block < this.blockCountDense)) assert(false, `block map: block ${block} is beyond the disk's ${this.blockCountDense} blocks`);
    return block * this.denseStride + this.denseLane;
  }

  /** Whether a dense page holds a block that differs from the implicit content (a non-zero word):
   *  found by scanning, as only comparisons and memory reports ask, never the per-write path. */
  private denseHoldsChange(pageIndex: number): boolean {
    const dense = this.dense!;
    const stride = this.denseStride;
    const end = (pageIndex + 1) * PAGE_BLOCKS * stride;
    for (let index = pageIndex * PAGE_BLOCKS * stride + this.denseLane; index < end; index += stride) if (dense[index] !== 0) return true;
    return false;
  }

  private lookUp(pageIndex: number): Uint32Array | null {
    const page = this.pages.get(pageIndex);
    if (page === undefined) return null;
    this.cachedPageIndex = pageIndex;
    this.cachedPage = page;
    return page;
  }

  private allocate(pageIndex: number): Uint32Array {
    const page = new Uint32Array(PAGE_BLOCKS);
    const first = pageIndex * PAGE_BLOCKS;
    if (this.baseId !== 0 && first < this.baseBlocks) page.fill(this.baseId, 0, Math.min(PAGE_BLOCKS, this.baseBlocks - first));
    this.pages.set(pageIndex, page);
    this.cachedPageIndex = pageIndex;
    this.cachedPage = page;
    return page;
  }
}
