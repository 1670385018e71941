// Write ids: the symbolic content of blocks (DESIGN.md section 3). One allocator per world, so an
// id names one guest write (or one block of it) everywhere: on the source, on every replica, in
// every recovery point.
//
// Fault model: none. Id 0 is reserved for never-written (zero) blocks, and ids with the top bit
// set are reserved for foreign content (content-bytes.ts), so allocation stops, by assertion,
// below 2^31.
import { assert } from '../../model/index.js';
import { FOREIGN_ID_BIT } from './content-bytes.js';

/** Content id of a block that was never written: it reads as zeros. */
export const UNWRITTEN_ID = 0;
/** The largest id the allocator hands out. */
export const WRITE_ID_MAX = FOREIGN_ID_BIT - 1;

export class WriteIdAllocator {
  private nextId = 1;

  /** One fresh id. */
  next(): number {
    return this.nextRange(1);
  }

  /** The first of `count` fresh consecutive ids (one per block, when a write wants them distinct). */
  nextRange(count: number): number {
    if (!(Number.isInteger(count) && count >= 1)) assert(false, `nextRange: count must be a positive integer, got ${count}`);
    const first = this.nextId;
    assert(first + count - 1 <= WRITE_ID_MAX, 'write ids exhausted (2^31 - 1 per world)');
    this.nextId += count;
    return first;
  }

  /** How many ids were handed out. */
  get issuedCount(): number {
    return this.nextId - 1;
  }

  invariants(): void {
    assert(Number.isInteger(this.nextId) && this.nextId >= 1 && this.nextId - 1 <= WRITE_ID_MAX, 'write id allocator out of range');
  }
}
