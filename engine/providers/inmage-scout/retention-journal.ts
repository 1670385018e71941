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
//
// Memory: entries live in fixed-size chunks of columns, appended as the journal grows and reused
// once the oldest end moves past them, so the journal never copies itself to grow (fresh memory is
// expensive to touch, and a day of a large site appends millions of entries). For the same
// reason an entry's pair and disk share one 32-bit word: 24 bytes an entry, not 26.
import { assert, MT_DISKS_MAX, type Instant } from '../../../model/index.js';

/** Entries per chunk of columns (a power of two). */
const CHUNK_BITS = 12;
const CHUNK_ENTRIES = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_ENTRIES - 1;
/** Block numbers (starts on a disk, offsets on the volume) are stored in 32 bits. */
const BLOCK_NUMBER_LIMIT = 2 ** 32;
/** An entry's owner is pair * DISK_SLOTS + disk (-1 once its pair is forgotten): a pair's disks
 *  are on one master target, which holds at most MT_DISKS_MAX disks, so its disk index is below
 *  that; pair indexes count the pairs a master target ever added. */
const DISK_SLOTS = 64;
const PAIR_LIMIT = 2 ** 31 / DISK_SLOTS;
const FORGOTTEN = -1;

const ownerOf = (pair: number, disk: number): number => pair * DISK_SLOTS + disk;
const pairOfOwner = (owner: number): number => (owner === FORGOTTEN ? FORGOTTEN : Math.floor(owner / DISK_SLOTS));

/** The columns of CHUNK_ENTRIES entries. */
class Chunk {
  /** ownerOf(pair, disk), or FORGOTTEN. */
  readonly owners = new Int32Array(CHUNK_ENTRIES);
  readonly starts = new Uint32Array(CHUNK_ENTRIES);
  readonly counts = new Uint32Array(CHUNK_ENTRIES);
  readonly ats = new Float64Array(CHUNK_ENTRIES);
  readonly offsets = new Uint32Array(CHUNK_ENTRIES);
}

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
  /** Entry i (counted from the first entry of chunks[0]) is at chunks[i >>> CHUNK_BITS], slot
   *  i & CHUNK_MASK. */
  private readonly chunks: Chunk[] = [];
  /** Chunks the oldest end left behind, kept for the next ones the newest end needs. */
  private readonly spares: Chunk[] = [];
  /** Live entries are [head, tail); head is inside chunks[0]. */
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
    assert(capacityBlocks <= BLOCK_NUMBER_LIMIT, 'retention journal: volume offsets are 32-bit block numbers');
    assert(MT_DISKS_MAX <= DISK_SLOTS, 'retention journal: a disk index fits its slot of the owner word');
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
    const oldest = this.chunks[0].offsets[this.head];
    if (this.next > oldest) {
      // Live region [oldest, next): free space is [next, capacity) and [0, oldest).
      if (this.next + count <= this.capacityBlocks) return this.next;
      if (count <= oldest) return 0;
      return null;
    }
    // Wrapped: live is [oldest, capacity) and [0, next); free is [next, oldest).
    return this.next + count <= oldest ? this.next : null;
  }

  /** Adds the entry of an undo just written at `offset` (allocated there): fields as in
   *  JournalEntry, passed one by one (this runs once per replicated write). */
  append(pair: number, disk: number, start: number, count: number, at: Instant, offset: number): void {
    if (!(pair >= FORGOTTEN && pair < PAIR_LIMIT && disk >= 0 && disk < MT_DISKS_MAX && start >= 0 && start + count <= BLOCK_NUMBER_LIMIT)) assert(false, `retention journal: pair ${pair} disk ${disk} blocks [${start}, +${count}) do not fit its columns`);
    const i = this.tail++;
    const slot = i & CHUNK_MASK;
    if (i >>> CHUNK_BITS === this.chunks.length) this.chunks.push(this.spares.pop() ?? new Chunk());
    const chunk = this.chunks[i >>> CHUNK_BITS];
    chunk.owners[slot] = pair === FORGOTTEN ? FORGOTTEN : ownerOf(pair, disk);
    chunk.starts[slot] = start;
    chunk.counts[slot] = count;
    chunk.ats[slot] = at;
    chunk.offsets[slot] = offset;
    this.usedBlocks += count;
    this.stats.entriesAppended++;
  }

  /** Re-adds an entry read back from the durable index after a restart (in allocation order).
   *  The index holds every entry ever written, so the replay purges what the allocator purged
   *  when it placed this entry: the oldest entries, until the ring's next fit is where the entry
   *  went. That is more than the entries the new one overlaps: an allocation that finds no room
   *  before the end of the volume wraps to its start, and purges the oldest entries until the
   *  start is free, even those lying past the end of the new one (found by a property test with
   *  longer histories: purging only overlapped entries kept entries the ring had written over).
   *  Entries expired by their window before the allocation are purged here for space instead;
   *  the fit only ever needs the same oldest-first purges. */
  restore(pair: number, disk: number, start: number, count: number, at: Instant, offset: number): void {
    assert(offset >= 0 && offset + count <= this.capacityBlocks, `retention journal: a restored entry [${offset}, +${count}) runs off the volume`);
    while (this.size > 0 && (this.fitAt(count) !== offset || this.oldestOverlaps(offset, count))) this.purgeOldest('space');
    this.append(pair, disk, start, count, at, offset);
    this.next = offset + count;
  }

  private oldestOverlaps(offset: number, count: number): boolean {
    const oldest = this.chunks[0];
    const from = oldest.offsets[this.head];
    return offset < from + oldest.counts[this.head] && from < offset + count;
  }

  /** Expires entries older than `before` from the oldest end (per-pair windows decide). */
  expire(windowStartOf: (pair: number) => number): void {
    while (this.size > 0 && this.chunks[0].ats[this.head] < windowStartOf(pairOfOwner(this.chunks[0].owners[this.head]))) this.purgeOldest('window');
  }

  /** Drops every entry of `pair` from the recovery view (a removed pair); space comes back as
   *  the ring moves past them. */
  forget(pair: number): void {
    for (let i = this.head; i < this.tail; i++) {
      const owners = this.chunks[i >>> CHUNK_BITS].owners;
      if (pairOfOwner(owners[i & CHUNK_MASK]) === pair) owners[i & CHUNK_MASK] = FORGOTTEN;
    }
  }

  private purgeOldest(cause: PurgeCause): void {
    assert(this.size > 0, 'retention journal: nothing left to purge');
    const oldest = this.chunks[0];
    const i = this.head++;
    this.usedBlocks -= oldest.counts[i];
    this.stats.entriesPurged++;
    if (cause === 'space') this.stats.purgedForSpace++;
    else this.stats.purgedForWindow++;
    if (oldest.owners[i] !== FORGOTTEN) this.onPurged(pairOfOwner(oldest.owners[i]), oldest.ats[i] as Instant, cause);
    if (this.size === 0) {
      // Empty: start again at the first slot of the first chunk.
      this.head = this.tail = 0;
      this.next = 0;
    } else if (this.head === CHUNK_ENTRIES) {
      // The oldest chunk is empty: the next chunk becomes the first, this one a spare.
      this.spares.push(this.chunks.shift()!);
      this.head -= CHUNK_ENTRIES;
      this.tail -= CHUNK_ENTRIES;
    }
  }

  /** Entries of `pair` newer than `after`, newest first: the undo that recovers instant `after`. */
  newerThan(pair: number, after: number): JournalEntry[] {
    const found: JournalEntry[] = [];
    for (let i = this.tail - 1; i >= this.head; i--) {
      const chunk = this.chunks[i >>> CHUNK_BITS];
      const slot = i & CHUNK_MASK;
      const owner = chunk.owners[slot];
      if (pairOfOwner(owner) !== pair || chunk.ats[slot] <= after) continue;
      found.push({ pair, disk: owner - pair * DISK_SLOTS, start: chunk.starts[slot], count: chunk.counts[slot], at: chunk.ats[slot] as Instant, offset: chunk.offsets[slot] });
    }
    return found;
  }

  /** Drops the entries of `pair` newer than `after` (the replica went back to that instant). */
  truncateAfter(pair: number, after: number): void {
    for (let i = this.head; i < this.tail; i++) {
      const chunk = this.chunks[i >>> CHUNK_BITS];
      const slot = i & CHUNK_MASK;
      if (pairOfOwner(chunk.owners[slot]) === pair && chunk.ats[slot] > after) chunk.owners[slot] = FORGOTTEN;
    }
  }

  invariants(): void {
    assert(this.head <= this.tail, 'retention journal: head past tail');
    assert(this.head < CHUNK_ENTRIES || this.size === 0, 'retention journal: the oldest chunk is empty but kept');
    assert(this.tail <= this.chunks.length * CHUNK_ENTRIES, 'retention journal: entries past the last chunk');
    let blocks = 0;
    for (let i = this.head; i < this.tail; i++) {
      const chunk = this.chunks[i >>> CHUNK_BITS];
      const slot = i & CHUNK_MASK;
      blocks += chunk.counts[slot];
      assert(chunk.offsets[slot] + chunk.counts[slot] <= this.capacityBlocks, 'retention journal: an entry runs off the volume');
    }
    assert(blocks === this.usedBlocks, 'retention journal: block accounting is off');
    assert(this.usedBlocks <= this.capacityBlocks, 'retention journal: more blocks than the volume has');
  }
}
