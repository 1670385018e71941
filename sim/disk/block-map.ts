// The pristine content of a disk: block -> content id, for disks of any virtual size.
//
// Fault model: none; it is a data structure. Content is stored in pages of PAGE_BLOCKS ids
// (2 KiB), allocated on the first write into them and filled with the implicit content (the base
// image, or 0), so memory follows the blocks written, never the disk size: at most one page per
// written block, and 4 bytes per block where writes are dense (guest writes cluster in the used
// part of a disk and in its hot set). A one-page cache makes consecutive blocks of one write cost
// an array access each, not a hash lookup. Whole runs of blocks of a write usually share a page.
import { assert } from '../../model/index.js';

const PAGE_SHIFT = 9;
export const PAGE_BLOCKS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_BLOCKS - 1;
const TWO_POW_31 = 0x8000_0000;

function pageOf(block: number): number {
  return block < TWO_POW_31 ? block >>> PAGE_SHIFT : Math.floor(block / PAGE_BLOCKS);
}

export class BlockMap {
  private readonly pages = new Map<number, Uint32Array>();
  private cachedPageIndex = -1;
  private cachedPage: Uint32Array | null = null;
  private differing = 0;

  /** Blocks [0, baseBlocks) implicitly hold `baseId`; every other block holds 0. */
  constructor(
    readonly baseBlocks: number,
    readonly baseId: number,
  ) {
    assert(Number.isInteger(baseBlocks) && baseBlocks >= 0, 'block map: base image size must be a non-negative integer');
  }

  /** What `block` holds when nothing was written to it. */
  implicitId(block: number): number {
    return block < this.baseBlocks ? this.baseId : 0;
  }

  get(block: number): number {
    const pageIndex = pageOf(block);
    const page = pageIndex === this.cachedPageIndex ? this.cachedPage : this.lookUp(pageIndex);
    return page === null ? this.implicitId(block) : page[block & PAGE_MASK];
  }

  /** Stores `id` at `block` and returns what it held before. */
  exchange(block: number, id: number): number {
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
      const implicit = this.implicitId(block);
      if (old === implicit) this.differing++;
      else if (id === implicit) this.differing--;
    }
    return old;
  }

  /** Number of blocks whose content differs from the implicit content. */
  get differingCount(): number {
    return this.differing;
  }

  /** Number of pages allocated (memory is about 2 KiB each). */
  get pageCount(): number {
    return this.pages.size;
  }

  /** Blocks whose content differs from the implicit content, ascending, with their id. */
  *differingBlocks(): IterableIterator<[number, number]> {
    for (const pageIndex of [...this.pages.keys()].sort((a, b) => a - b)) {
      const page = this.pages.get(pageIndex)!;
      const first = pageIndex * PAGE_BLOCKS;
      for (let slot = 0; slot < PAGE_BLOCKS; slot++) {
        const block = first + slot;
        if (page[slot] !== this.implicitId(block)) yield [block, page[slot]];
      }
    }
  }

  /** Lowest and highest block of every allocated page, for comparisons: [first, end) pairs. */
  allocatedRanges(): Array<[number, number]> {
    return [...this.pages.keys()].sort((a, b) => a - b).map((pageIndex) => [pageIndex * PAGE_BLOCKS, (pageIndex + 1) * PAGE_BLOCKS]);
  }

  invariants(): void {
    let differing = 0;
    for (const [block] of this.differingBlocks()) {
      assert(Number.isInteger(block) && block >= 0, 'block map: negative block');
      differing++;
    }
    assert(differing === this.differing, `block map: counted ${differing} differing blocks, tracked ${this.differing}`);
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
