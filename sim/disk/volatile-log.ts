// The volatile part of a disk's write cache: every write that completed since the last flush
// that covers it, in completion order, with the content each of its blocks held before it (the
// undo image) and the content it wrote. A power loss resolves these records (virtual-disk.ts);
// a completed flush makes a prefix of them durable and drops it. A durable write (forced unit
// access) is logged only behind volatile ones, marked durable: it must outlive them at a power
// loss, so it takes its place in their order and is always kept. Once no volatile record is left
// the durable ones go too (nothing could revert them), so a disk written durably ever after one
// volatile write does not log forever.
//
// Fault model: none itself; it is the bookkeeping of the disk's power-loss fault. Storage is
// typed arrays grown by doubling and compacted when the durable prefix dominates, so logging a
// write allocates nothing in the steady state.
import { assert } from '../../model/index.js';

const INITIAL_RECORDS = 64;
const INITIAL_BLOCKS = 256;

export class VolatileLog {
  private recordStart = new Float64Array(INITIAL_RECORDS);
  private recordCount = new Uint32Array(INITIAL_RECORDS);
  private recordOffset = new Uint32Array(INITIAL_RECORDS);
  /** 1 for a durable write's record. */
  private recordDurable = new Uint8Array(INITIAL_RECORDS);
  /** Content before the write, per logged block. */
  previousIds = new Uint32Array(INITIAL_BLOCKS);
  /** Content the write stored, per logged block. */
  writtenIds = new Uint32Array(INITIAL_BLOCKS);
  private head = 0;
  private tail = 0;
  private blocksUsed = 0;
  /** Absolute sequence number of the record at `head` (records dropped so far). */
  private droppedRecords = 0;
  /** Live records that are not durable writes. */
  private volatileRecords = 0;

  /** Live records: volatile writes, and durable ones behind them. */
  get length(): number {
    return this.tail - this.head;
  }

  /** Live records of volatile writes (a durable write is logged only while there are some). */
  get volatileLength(): number {
    return this.volatileRecords;
  }

  /** Absolute sequence number the next appended record will get. */
  get endSequence(): number {
    return this.droppedRecords + this.length;
  }

  /** Appends a record of `count` blocks from `start`; returns the offset of its blocks in
   *  previousIds/writtenIds (fetch those arrays after this call: it may replace them). */
  append(start: number, count: number, durable = false): number {
    if (this.tail === this.recordStart.length) this.makeRoomForRecord();
    if (this.blocksUsed + count > this.previousIds.length) this.makeRoomForBlocks(count);
    const offset = this.blocksUsed;
    this.recordStart[this.tail] = start;
    this.recordCount[this.tail] = count;
    this.recordOffset[this.tail] = offset;
    this.recordDurable[this.tail] = durable ? 1 : 0;
    if (!durable) this.volatileRecords++;
    this.tail++;
    this.blocksUsed += count;
    return offset;
  }

  /** Records with sequence below `sequence` became durable. */
  dropBefore(sequence: number): void {
    const drop = Math.min(sequence - this.droppedRecords, this.length);
    if (drop <= 0) return;
    for (let r = this.head; r < this.head + drop; r++) if (this.recordDurable[r] === 0) this.volatileRecords--;
    this.head += drop;
    this.droppedRecords += drop;
    if (this.volatileRecords === 0) this.clear();
  }

  /** Forgets every record (after a power loss resolved them, or once only durable ones are left). */
  clear(): void {
    this.droppedRecords += this.length;
    this.head = 0;
    this.tail = 0;
    this.blocksUsed = 0;
    this.volatileRecords = 0;
  }

  /** Visits live records in completion order. */
  forEach(visit: (start: number, count: number, offset: number, durable: boolean) => void): void {
    for (let r = this.head; r < this.tail; r++) visit(this.recordStart[r], this.recordCount[r], this.recordOffset[r], this.recordDurable[r] === 1);
  }

  invariants(): void {
    assert(this.head <= this.tail && this.tail <= this.recordStart.length, 'volatile log: record cursor out of order');
    let expectedOffset = this.head < this.tail ? this.recordOffset[this.head] : 0;
    for (let r = this.head; r < this.tail; r++) {
      assert(this.recordOffset[r] === expectedOffset, 'volatile log: records do not tile the block arena');
      expectedOffset += this.recordCount[r];
    }
    assert(this.head === this.tail || expectedOffset === this.blocksUsed, 'volatile log: block arena accounting is off');
    let volatile = 0;
    for (let r = this.head; r < this.tail; r++) if (this.recordDurable[r] === 0) volatile++;
    assert(volatile === this.volatileRecords, 'volatile log: volatile record count is off');
  }

  /** Compacts away the durable prefix if it is large, otherwise doubles the record arrays. */
  private makeRoomForRecord(): void {
    if (this.head * 2 >= this.recordStart.length) {
      this.compact();
      return;
    }
    const size = this.recordStart.length * 2;
    this.recordStart = grow(this.recordStart, new Float64Array(size));
    this.recordCount = grow(this.recordCount, new Uint32Array(size));
    this.recordOffset = grow(this.recordOffset, new Uint32Array(size));
    this.recordDurable = grow(this.recordDurable, new Uint8Array(size));
  }

  private makeRoomForBlocks(count: number): void {
    this.compact();
    if (this.blocksUsed + count <= this.previousIds.length) return;
    let size = this.previousIds.length * 2;
    while (size < this.blocksUsed + count) size *= 2;
    this.previousIds = grow(this.previousIds, new Uint32Array(size));
    this.writtenIds = grow(this.writtenIds, new Uint32Array(size));
  }

  /** Moves live records and their blocks to the front. */
  private compact(): void {
    if (this.head === 0) return;
    const firstBlock = this.head < this.tail ? this.recordOffset[this.head] : this.blocksUsed;
    this.previousIds.copyWithin(0, firstBlock, this.blocksUsed);
    this.writtenIds.copyWithin(0, firstBlock, this.blocksUsed);
    this.blocksUsed -= firstBlock;
    for (let r = this.head; r < this.tail; r++) this.recordOffset[r] -= firstBlock;
    this.recordStart.copyWithin(0, this.head, this.tail);
    this.recordCount.copyWithin(0, this.head, this.tail);
    this.recordOffset.copyWithin(0, this.head, this.tail);
    this.recordDurable.copyWithin(0, this.head, this.tail);
    this.tail -= this.head;
    this.head = 0;
  }
}

function grow<T extends Float64Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
