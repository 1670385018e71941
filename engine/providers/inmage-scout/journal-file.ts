// The durable index of a master target's retention journal: one record per applied segment of
// a batch, appended and synced to the host volume before the segment's writes touch the replica
// (write-ahead), so a crash never leaves a replica block overwritten without its old content
// findable. The file grows by every replicated write (millions a day on a busy master target,
// and every new page of it costs), so every byte of an entry counts: a record is a fixed 8-byte
// head (magic, the record's length in bytes, as little-endian 32-bit words) then unsigned LEB128
// varints: pair, generation, seq, segment, seal instant + 1 (0: not the batch's last segment),
// entry count, JSON length; then per entry disk, start, count, and two zigzag deltas: its
// instant from the previous entry's (the first from 0) and its volume offset from the previous
// entry's end (the first from 0). A segment's writes were captured within a tick and sit back to
// back on the ring, so an entry is about 8 bytes where fixed-width words took 24. The JSON of the
// segment's tags and resync markers, if any, ends the record. A torn last record (the host
// crashed in the middle of an append, leaving a prefix of it) is shorter than its length says:
// it is recognised and dropped.
import { assert } from '../../../model/index.js';

export type JournalEvent =
  | { readonly k: 'tag'; readonly name: string; readonly kind: string; readonly at: number }
  | { readonly k: 'begin'; readonly at: number }
  | { readonly k: 'end'; readonly at: number };

export interface SegmentRecord {
  readonly pair: number;
  readonly generation: number;
  readonly seq: number;
  readonly segment: number;
  /** The batch's seal instant when this is its last segment, else -1. */
  readonly sealedAt: number;
  /** disk, start, count, at, offset per entry. */
  readonly entries: Float64Array;
  readonly events: readonly JournalEvent[];
}

const MAGIC = 0x5c07_1a1f;
/** Magic and record length. */
const HEAD_BYTES = 8;
/** The most bytes a varint of a safe integer takes (53 bits, 7 per byte). */
const VARINT_BYTES_MAX = 8;
/** Varints in a record's header after its head. */
const HEADER_VARINTS = 7;
const ENTRY_VARINTS = 5;
/** Words per entry of a decoded record's `entries`: disk, start, count, at, offset. */
export const ENTRY_WORDS = 5;
const LITTLE_ENDIAN = true;
const TWO_POW_31 = 2 ** 31;
/** Instants are below this (71 years of microseconds), so a zigzag delta of two of them, twice
 *  their difference, stays a safe integer. */
export const INSTANT_LIMIT = 2 ** 51;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The header of a segment record: the record without its entries. */
export type SegmentHeader = Omit<SegmentRecord, 'entries'>;

/** Encodes segment records one after another into one buffer that is reused from one group
 *  commit to the next (a fresh buffer per segment was a large part of the master target's cost:
 *  small typed arrays are slow to allocate). A record is `begin`, its entries, then `end`. The
 *  caller must not reuse the writer before an append of `bytes()` has completed. */
export class SegmentWriter {
  private buffer = new Uint8Array(8192);
  private view = new DataView(this.buffer.buffer);
  /** Bytes written so far. */
  private length = 0;
  /** Where the record being written starts. */
  private headerAt = 0;
  private entriesLeft = 0;
  private json: Uint8Array | null = null;
  /** The previous entry's instant and end on the volume: what the next entry is a delta from. */
  private previousAt = 0;
  private previousEnd = 0;

  /** Starts a record of `entryCount` entries. */
  begin(header: SegmentHeader, entryCount: number): void {
    assert(this.entriesLeft === 0, 'journal: a segment record began before the previous one ended');
    assert(header.sealedAt >= -1 && header.sealedAt < INSTANT_LIMIT, 'journal: a seal instant is an instant, or -1');
    this.json = header.events.length === 0 ? null : encoder.encode(JSON.stringify(header.events));
    this.reserve(HEAD_BYTES + HEADER_VARINTS * VARINT_BYTES_MAX);
    const at = this.length;
    this.view.setUint32(at, MAGIC, LITTLE_ENDIAN);
    this.length += HEAD_BYTES;
    this.varint(header.pair);
    this.varint(header.generation);
    this.varint(header.seq);
    this.varint(header.segment);
    this.varint(header.sealedAt + 1);
    this.varint(entryCount);
    this.varint(this.json === null ? 0 : this.json.length);
    this.headerAt = at;
    this.entriesLeft = entryCount;
    this.previousAt = 0;
    this.previousEnd = 0;
  }

  entry(disk: number, start: number, count: number, at: number, offset: number): void {
    assert(this.entriesLeft > 0, 'journal: more entries than the segment record announced');
    if (!(at >= 0 && at < INSTANT_LIMIT)) assert(false, `journal: instant ${at} out of range`);
    this.entriesLeft--;
    this.reserve(ENTRY_VARINTS * VARINT_BYTES_MAX);
    this.varint(disk);
    this.varint(start);
    this.varint(count);
    this.varint(zigzag(at - this.previousAt));
    this.varint(zigzag(offset - this.previousEnd));
    this.previousAt = at;
    this.previousEnd = offset + count;
  }

  /** Ends the record: its tags and resync markers follow the entries as JSON, and its length is
   *  filled in. */
  end(): void {
    assert(this.entriesLeft === 0, 'journal: fewer entries than the segment record announced');
    const json = this.json;
    if (json !== null) {
      this.reserve(json.length);
      this.buffer.set(json, this.length);
      this.length += json.length;
      this.json = null;
    }
    this.view.setUint32(this.headerAt + 4, this.length - this.headerAt, LITTLE_ENDIAN);
  }

  /** The records written since the last `clear` (a view of the writer's buffer). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  clear(): void {
    assert(this.entriesLeft === 0, 'journal: cleared in the middle of a segment record');
    this.length = 0;
  }

  /** Appends `value` (a non-negative safe integer) as an unsigned LEB128 varint; room for it is
   *  reserved by the caller. Small values (every field but instants) take the int32 path. */
  private varint(value: number): void {
    if (!(value >= 0 && Number.isSafeInteger(value))) assert(false, `journal: ${value} is not a non-negative integer`);
    const buffer = this.buffer;
    let i = this.length;
    let rest = value;
    while (rest >= TWO_POW_31) {
      buffer[i++] = (rest % 128) | 128;
      rest = Math.floor(rest / 128);
    }
    while (rest >= 128) {
      buffer[i++] = (rest & 127) | 128;
      rest >>>= 7;
    }
    buffer[i++] = rest;
    this.length = i;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** A signed delta as an unsigned number: 0, -1, 1, -2 ... become 0, 1, 2, 3 ... */
function zigzag(delta: number): number {
  return delta >= 0 ? 2 * delta : -2 * delta - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Reads varints from a whole record (its length was checked against the file's). */
class VarintReader {
  constructor(
    private readonly bytes: Uint8Array,
    public at: number,
    private readonly end: number,
  ) {}

  next(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      assert(this.at < this.end, 'journal: a record runs past the length it announced');
      const byte = this.bytes[this.at++];
      value += (byte & 127) * scale;
      if (byte < 128) return value;
      scale *= 128;
    }
  }
}

/** Every whole record in `bytes`, and how many bytes they take (a torn tail is left out). */
export function decodeSegments(bytes: Uint8Array): { records: SegmentRecord[]; validBytes: number } {
  const records: SegmentRecord[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + HEAD_BYTES <= bytes.length) {
    if (v.getUint32(at, LITTLE_ENDIAN) !== MAGIC) break;
    const length = v.getUint32(at + 4, LITTLE_ENDIAN);
    if (at + length > bytes.length) break;
    assert(length > HEAD_BYTES, 'journal: a record shorter than its head');
    const end = at + length;
    const read = new VarintReader(bytes, at + HEAD_BYTES, end);
    const pair = read.next();
    const generation = read.next();
    const seq = read.next();
    const segment = read.next();
    const sealedAt = read.next() - 1;
    const entryCount = read.next();
    const jsonBytes = read.next();
    const entries = new Float64Array(entryCount * ENTRY_WORDS);
    let previousAt = 0;
    let previousEnd = 0;
    for (let e = 0; e < entries.length; e += ENTRY_WORDS) {
      const disk = read.next();
      const start = read.next();
      const count = read.next();
      const instant = previousAt + unzigzag(read.next());
      const offset = previousEnd + unzigzag(read.next());
      entries[e] = disk;
      entries[e + 1] = start;
      entries[e + 2] = count;
      entries[e + 3] = instant;
      entries[e + 4] = offset;
      previousAt = instant;
      previousEnd = offset + count;
    }
    assert(read.at + jsonBytes === end, 'journal: a record of another length than it announced');
    const events = jsonBytes === 0 ? [] : (JSON.parse(decoder.decode(bytes.subarray(read.at, end))) as JournalEvent[]);
    records.push({ pair, generation, seq, segment, sealedAt, entries, events });
    at = end;
  }
  return { records, validBytes: at };
}
