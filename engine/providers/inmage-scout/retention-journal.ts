// The retention journal of one master target (DOMAIN.md rules 18, 20, 21; numbers table rows
// 22-24): one retention volume shared by every disk the master target protects. Before a source
// write is applied to a replica disk, the old content of the blocks it overwrites is read and
// written here (two target I/Os per source write: read old, write new, plus this journal write).
// Undoing every write newer than an instant, newest first, turns the replica back into the
// source image of that instant: any-point-in-time recovery.
//
// Space is a ring on the volume; entries are kept oldest first in typed arrays. The journal is
// bounded by a time window (entries older than it expire) and by the volume's size: when a new
// undo does not fit, the oldest entries are purged (INFERRED, rule 21: the window shrinks, as in
// Zerto). A purge raises the pair's window start: no instant before it can be recovered.
import { assert, type Instant } from '../../../model/index.js';

const INITIAL_ENTRIES = 1024;

export interface JournalEntry {
  readonly pair: number;
  readonly disk: number;
  readonly start: number;
  readonly count: number;
  readonly at: Instant;
  /** Where the undo blocks sit on the retention volume. */
  readonly offset: number;
}

export type PurgeCause = 'window' | 'space';

export class RetentionJournal {
  private pairs = new Int32Array(INITIAL_ENTRIES);
  private disks = new Uint16Array(INITIAL_ENTRIES);
  private starts = new Float64Array(INITIAL_ENTRIES);
  private counts = new Uint32Array(INITIAL_ENTRIES);
  private ats = new Float64Array(INITIAL_ENTRIES);
  private offsets = new Float64Array(INITIAL_ENTRIES);
  /** Live entries are [head, tail). */
  private head = 0;
  private tail = 0;
  /** Next free block of the ring. */
  private next = 0;
  private usedBlocks = 0;
  readonly stats = { entriesAppended: 0, entriesPurged: 0, purgedForSpace: 0, purgedForWindow: 0 };

  constructor(
    /** Blocks on the retention volume. */
    readonly capacityBlocks: number,
    /** Told of every purged entry (the pair's window start moves past its instant). */
    private readonly onPurged: (pair: number, at: Instant, cause: PurgeCause) => void,
  ) {
    assert(capacityBlocks >= 1, 'retention journal: the volume needs at least one block');
  }

  get size(): number {
    return this.tail - this.head;
  }

  get blocksUsed(): number {
    return this.usedBlocks;
  }

  /** Space for `count` undo blocks, purging the oldest entries if needed; null when it can never fit. */
  allocate(count: number): number | null {
    if (count > this.capacityBlocks / 2) return null;
    for (;;) {
      const offset = this.fitAt(count);
      if (offset !== null) {
        this.next = offset + count;
        return offset;
      }
      this.purgeOldest('space');
    }
  }

  /** Where `count` blocks fit now without touching a live entry, or null. */
  private fitAt(count: number): number | null {
    if (this.size === 0) {
      this.next = 0;
      return 0;
    }
    const oldest = this.offsets[this.head];
    if (this.next > oldest) {
      // Live region [oldest, next): free space is [next, capacity) and [0, oldest).
      if (this.next + count <= this.capacityBlocks) return this.next;
      if (count <= oldest) return 0;
      return null;
    }
    // Wrapped: live is [oldest, capacity) and [0, next); free is [next, oldest).
    return this.next + count <= oldest ? this.next : null;
  }

  append(entry: JournalEntry): void {
    if (this.tail === this.pairs.length) this.makeRoom();
    const i = this.tail++;
    this.pairs[i] = entry.pair;
    this.disks[i] = entry.disk;
    this.starts[i] = entry.start;
    this.counts[i] = entry.count;
    this.ats[i] = entry.at;
    this.offsets[i] = entry.offset;
    this.usedBlocks += entry.count;
    this.stats.entriesAppended++;
  }

  /** Re-adds an entry read back from the durable index after a restart (in allocation order). */
  restore(entry: JournalEntry): void {
    this.append(entry);
    this.next = entry.offset + entry.count;
  }

  /** Expires entries older than `before` from the oldest end (per-pair windows decide). */
  expire(windowStartOf: (pair: number) => number): void {
    while (this.size > 0 && this.ats[this.head] < windowStartOf(this.pairs[this.head])) this.purgeOldest('window');
  }

  /** Drops every entry of `pair` from the recovery view (a removed pair); space comes back as
   *  the ring moves past them. */
  forget(pair: number): void {
    for (let i = this.head; i < this.tail; i++) if (this.pairs[i] === pair) this.pairs[i] = -1;
  }

  private purgeOldest(cause: PurgeCause): void {
    assert(this.size > 0, 'retention journal: nothing left to purge');
    const i = this.head++;
    this.usedBlocks -= this.counts[i];
    this.stats.entriesPurged++;
    if (cause === 'space') this.stats.purgedForSpace++;
    else this.stats.purgedForWindow++;
    if (this.pairs[i] >= 0) this.onPurged(this.pairs[i], this.ats[i] as Instant, cause);
    if (this.size === 0) {
      this.head = this.tail = 0;
      this.next = 0;
    }
  }

  /** Entries of `pair` newer than `after`, newest first: the undo that recovers instant `after`. */
  newerThan(pair: number, after: number): JournalEntry[] {
    const found: JournalEntry[] = [];
    for (let i = this.tail - 1; i >= this.head; i--) {
      if (this.pairs[i] !== pair || this.ats[i] <= after) continue;
      found.push({ pair, disk: this.disks[i], start: this.starts[i], count: this.counts[i], at: this.ats[i] as Instant, offset: this.offsets[i] });
    }
    return found;
  }

  /** Drops the entries of `pair` newer than `after` (the replica went back to that instant). */
  truncateAfter(pair: number, after: number): void {
    for (let i = this.head; i < this.tail; i++) if (this.pairs[i] === pair && this.ats[i] > after) this.pairs[i] = -1;
  }

  private makeRoom(): void {
    const live = this.size;
    const capacity = live * 2 > this.pairs.length ? this.pairs.length * 2 : this.pairs.length;
    const move = <T extends Int32Array | Uint16Array | Uint32Array | Float64Array>(from: T, make: (n: number) => T): T => {
      const to = capacity === from.length ? from : make(capacity);
      if (to === from) from.copyWithin(0, this.head, this.tail);
      else to.set(from.subarray(this.head, this.tail));
      return to;
    };
    this.pairs = move(this.pairs, (n) => new Int32Array(n));
    this.disks = move(this.disks, (n) => new Uint16Array(n));
    this.starts = move(this.starts, (n) => new Float64Array(n));
    this.counts = move(this.counts, (n) => new Uint32Array(n));
    this.ats = move(this.ats, (n) => new Float64Array(n));
    this.offsets = move(this.offsets, (n) => new Float64Array(n));
    this.head = 0;
    this.tail = live;
  }

  invariants(): void {
    assert(this.head <= this.tail, 'retention journal: head past tail');
    let blocks = 0;
    for (let i = this.head; i < this.tail; i++) {
      blocks += this.counts[i];
      assert(this.offsets[i] + this.counts[i] <= this.capacityBlocks, 'retention journal: an entry runs off the volume');
    }
    assert(blocks === this.usedBlocks, 'retention journal: block accounting is off');
    assert(this.usedBlocks <= this.capacityBlocks, 'retention journal: more blocks than the volume has');
  }
}
