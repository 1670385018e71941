// The changed-block bitmap of one machine (DOMAIN.md rule 19, INFERRED semantics): when the
// agent's memory buffer or the process server cannot keep up, the agent stops keeping writes
// and only remembers which blocks changed; a later resync compares and ships those blocks
// (cf. DRBD's and Zerto's bitmap sync). One bit per block per disk, so even a 2 TB disk of 4 KiB
// blocks costs 64 MiB at most, and is allocated in pages only where blocks changed.
import { assert } from '../../../model/index.js';

const PAGE_BITS = 1 << 16;
const PAGE_WORDS = PAGE_BITS >>> 5;

export class ChangedBlockBitmap {
  private readonly pages: Map<number, Uint32Array>[];
  private counts: number[];

  constructor(readonly blockCounts: readonly number[]) {
    this.pages = blockCounts.map(() => new Map());
    this.counts = blockCounts.map(() => 0);
  }

  mark(disk: number, start: number, count: number): void {
    // The message is built only on failure: this runs at every write captured in bitmap mode.
    if (!(start >= 0 && start + count <= this.blockCounts[disk])) assert(false, `bitmap: blocks [${start}, ${start + count}) outside disk ${disk}`);
    const pages = this.pages[disk];
    for (let block = start; block < start + count; block++) {
      const pageIndex = Math.floor(block / PAGE_BITS);
      let page = pages.get(pageIndex);
      if (page === undefined) {
        page = new Uint32Array(PAGE_WORDS);
        pages.set(pageIndex, page);
      }
      const bit = block - pageIndex * PAGE_BITS;
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if ((page[word] & mask) === 0) {
        page[word] |= mask;
        this.counts[disk]++;
      }
    }
  }

  /** Marks every block of every disk (a full resync). */
  markAll(): void {
    for (let disk = 0; disk < this.blockCounts.length; disk++) this.mark(disk, 0, this.blockCounts[disk]);
  }

  get size(): number {
    let total = 0;
    for (const count of this.counts) total += count;
    return total;
  }

  /** Removes and returns up to `runsMax` runs of marked blocks (each at most `runBlocksMax`
   *  long), lowest disk and block first. */
  take(runsMax: number, runBlocksMax: number): Array<{ disk: number; start: number; count: number }> {
    const runs: Array<{ disk: number; start: number; count: number }> = [];
    for (let disk = 0; disk < this.pages.length && runs.length < runsMax; disk++) {
      const pages = this.pages[disk];
      for (const pageIndex of [...pages.keys()].sort((a, b) => a - b)) {
        const page = pages.get(pageIndex)!;
        let bit = 0;
        while (bit < PAGE_BITS && runs.length < runsMax) {
          if ((page[bit >>> 5] & (1 << (bit & 31))) === 0) {
            bit++;
            continue;
          }
          const first = bit;
          while (bit < PAGE_BITS && bit - first < runBlocksMax && (page[bit >>> 5] & (1 << (bit & 31))) !== 0) {
            page[bit >>> 5] &= ~(1 << (bit & 31));
            bit++;
          }
          runs.push({ disk, start: pageIndex * PAGE_BITS + first, count: bit - first });
          this.counts[disk] -= bit - first;
        }
        if (page.every((word) => word === 0)) pages.delete(pageIndex);
        if (runs.length >= runsMax) break;
      }
    }
    return runs;
  }

  clear(): void {
    for (const pages of this.pages) pages.clear();
    this.counts = this.counts.map(() => 0);
  }

  invariants(): void {
    this.pages.forEach((pages, disk) => {
      let bits = 0;
      for (const page of pages.values()) for (const word of page) bits += popcount(word);
      assert(bits === this.counts[disk], `bitmap: disk ${disk} counts ${this.counts[disk]} blocks but holds ${bits}`);
    });
  }
}

function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
