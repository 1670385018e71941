// The durable index of a master target's retention journal: one record per applied segment of
// a batch, appended and synced to the host volume before the segment's writes touch the replica
// (write-ahead), so a crash never leaves a replica block overwritten without its old content
// findable. Records are binary (float64 words) with a JSON tail only when the segment carries
// tags or resync markers, which keeps the per-batch cost small. A torn last record (the host
// crashed in the middle of an append) is recognised and dropped.
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
const HEADER_WORDS = 8;
export const ENTRY_WORDS = 5;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeSegment(record: SegmentRecord): Uint8Array {
  const json = record.events.length === 0 ? null : encoder.encode(JSON.stringify(record.events));
  const jsonWords = json === null ? 0 : Math.ceil(json.length / 8);
  const words = new Float64Array(HEADER_WORDS + record.entries.length + jsonWords);
  words[0] = MAGIC;
  words[1] = record.pair;
  words[2] = record.generation;
  words[3] = record.seq;
  words[4] = record.segment;
  words[5] = record.sealedAt;
  words[6] = record.entries.length / ENTRY_WORDS;
  words[7] = json === null ? 0 : json.length;
  words.set(record.entries, HEADER_WORDS);
  const bytes = new Uint8Array(words.buffer);
  if (json !== null) bytes.set(json, 8 * (HEADER_WORDS + record.entries.length));
  return bytes;
}

/** Every whole record in `bytes`, and how many bytes they take (a torn tail is left out). */
export function decodeSegments(bytes: Uint8Array): { records: SegmentRecord[]; validBytes: number } {
  const records: SegmentRecord[] = [];
  let at = 0;
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  while (at + 8 * HEADER_WORDS <= bytes.length) {
    const header = new Float64Array(aligned.buffer, at, HEADER_WORDS);
    if (header[0] !== MAGIC) break;
    const entryCount = header[6];
    const jsonBytes = header[7];
    const length = 8 * (HEADER_WORDS + entryCount * ENTRY_WORDS + Math.ceil(jsonBytes / 8));
    if (at + length > bytes.length) break;
    const entries = new Float64Array(aligned.buffer.slice(at + 8 * HEADER_WORDS, at + 8 * (HEADER_WORDS + entryCount * ENTRY_WORDS)));
    const jsonStart = at + 8 * (HEADER_WORDS + entryCount * ENTRY_WORDS);
    const events = jsonBytes === 0 ? [] : (JSON.parse(decoder.decode(aligned.subarray(jsonStart, jsonStart + jsonBytes))) as JournalEvent[]);
    records.push({ pair: header[1], generation: header[2], seq: header[3], segment: header[4], sealedAt: header[5], entries, events });
    at += length;
  }
  return { records, validBytes: at };
}
