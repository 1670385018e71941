// The durable index of a master target's retention journal: one record per applied segment of
// a batch, appended and synced to the host volume before the segment's writes touch the replica
// (write-ahead), so a crash never leaves a replica block overwritten without its old content
// findable. Records are binary, little-endian, with a JSON tail only when the segment carries
// tags or resync markers, which keeps the per-batch cost small: a 40-byte header (magic, pair,
// generation, seq, segment, entry count, JSON length as 32-bit words, then the seal instant as a
// float64) and 24 bytes per entry (instant as a float64; start, count, volume offset as 32-bit
// words; disk as 16 bits), the JSON padded to 8 bytes. The file grows by every replicated write,
// so every byte of an entry counts. A torn last record (the host crashed in the middle of an
// append) is recognised and dropped.
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

const MAGIC = 0x5c07_1a1e;
const HEADER_BYTES = 40;
const ENTRY_BYTES = 24;
/** Words per entry of a decoded record's `entries`: disk, start, count, at, offset. */
export const ENTRY_WORDS = 5;
const LITTLE_ENDIAN = true;
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
  private events: readonly JournalEvent[] = [];

  /** Starts a record of `entryCount` entries. */
  begin(header: SegmentHeader, entryCount: number): void {
    assert(this.entriesLeft === 0, 'journal: a segment record began before the previous one ended');
    this.reserve(HEADER_BYTES + entryCount * ENTRY_BYTES);
    const v = this.view;
    const at = this.length;
    v.setUint32(at, MAGIC, LITTLE_ENDIAN);
    v.setUint32(at + 4, header.pair, LITTLE_ENDIAN);
    v.setUint32(at + 8, header.generation, LITTLE_ENDIAN);
    v.setUint32(at + 12, header.seq, LITTLE_ENDIAN);
    v.setUint32(at + 16, header.segment, LITTLE_ENDIAN);
    v.setUint32(at + 20, entryCount, LITTLE_ENDIAN);
    v.setUint32(at + 24, 0, LITTLE_ENDIAN);
    v.setUint32(at + 28, 0, LITTLE_ENDIAN);
    v.setFloat64(at + 32, header.sealedAt, LITTLE_ENDIAN);
    this.length += HEADER_BYTES;
    this.headerAt = at;
    this.entriesLeft = entryCount;
    this.events = header.events;
  }

  entry(disk: number, start: number, count: number, at: number, offset: number): void {
    assert(this.entriesLeft > 0, 'journal: more entries than the segment record announced');
    this.entriesLeft--;
    const v = this.view;
    const i = this.length;
    v.setFloat64(i, at, LITTLE_ENDIAN);
    v.setUint32(i + 8, start, LITTLE_ENDIAN);
    v.setUint32(i + 12, count, LITTLE_ENDIAN);
    v.setUint32(i + 16, offset, LITTLE_ENDIAN);
    v.setUint16(i + 20, disk, LITTLE_ENDIAN);
    v.setUint16(i + 22, 0, LITTLE_ENDIAN);
    this.length += ENTRY_BYTES;
  }

  /** Ends the record: its tags and resync markers follow the entries as JSON, zero-padded to a
   *  multiple of 8 bytes. */
  end(): void {
    assert(this.entriesLeft === 0, 'journal: fewer entries than the segment record announced');
    if (this.events.length === 0) return;
    const json = encoder.encode(JSON.stringify(this.events));
    const padded = 8 * Math.ceil(json.length / 8);
    this.reserve(padded);
    this.view.setUint32(this.headerAt + 24, json.length, LITTLE_ENDIAN);
    this.buffer.set(json, this.length);
    this.buffer.fill(0, this.length + json.length, this.length + padded);
    this.length += padded;
    this.events = [];
  }

  /** The records written since the last `clear` (a view of the writer's buffer). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  clear(): void {
    assert(this.entriesLeft === 0, 'journal: cleared in the middle of a segment record');
    this.length = 0;
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

/** Every whole record in `bytes`, and how many bytes they take (a torn tail is left out). */
export function decodeSegments(bytes: Uint8Array): { records: SegmentRecord[]; validBytes: number } {
  const records: SegmentRecord[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length) {
    if (v.getUint32(at, LITTLE_ENDIAN) !== MAGIC) break;
    const entryCount = v.getUint32(at + 20, LITTLE_ENDIAN);
    const jsonBytes = v.getUint32(at + 24, LITTLE_ENDIAN);
    const jsonStart = at + HEADER_BYTES + entryCount * ENTRY_BYTES;
    const length = jsonStart - at + 8 * Math.ceil(jsonBytes / 8);
    if (at + length > bytes.length) break;
    const entries = new Float64Array(entryCount * ENTRY_WORDS);
    for (let e = 0; e < entryCount; e++) {
      const i = at + HEADER_BYTES + e * ENTRY_BYTES;
      entries.set([v.getUint16(i + 20, LITTLE_ENDIAN), v.getUint32(i + 8, LITTLE_ENDIAN), v.getUint32(i + 12, LITTLE_ENDIAN), v.getFloat64(i, LITTLE_ENDIAN), v.getUint32(i + 16, LITTLE_ENDIAN)], e * ENTRY_WORDS);
    }
    const events = jsonBytes === 0 ? [] : (JSON.parse(decoder.decode(bytes.subarray(jsonStart, jsonStart + jsonBytes))) as JournalEvent[]);
    records.push({
      pair: v.getUint32(at + 4, LITTLE_ENDIAN),
      generation: v.getUint32(at + 8, LITTLE_ENDIAN),
      seq: v.getUint32(at + 12, LITTLE_ENDIAN),
      segment: v.getUint32(at + 16, LITTLE_ENDIAN),
      sealedAt: v.getFloat64(at + 32, LITTLE_ENDIAN),
      entries,
      events,
    });
    at += length;
  }
  return { records, validBytes: at };
}
