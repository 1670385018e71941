// The records of one Scout batch as the agent builds them and every hop reads them: data records
// packed as numbers in one array with their content in one PayloadBuffer (a batch of a tick's
// writes is one array and one payload, not an object and a payload per write that the garbage
// collector must copy and promote while the batch waits in the process server's cache), control
// records (tags, resync markers, compares: rare) as objects beside them, each with its position
// among the data records.
import { assert, type Instant } from '../../../model/index.js';
import type { Codec, Payload, PayloadBuffer } from '../../ports.js';
import { dataRecordCount, RECORD_AT, RECORD_COUNT, RECORD_DISK, RECORD_START, RECORD_WORDS, type ControlRecord, type DataRecords, type StreamRecord } from './messages.js';

type WithoutPosition<R> = R extends ControlRecord ? Omit<R, 'position'> : never;
/** A control record as the agent appends it: the builder fills in its position. */
export type UnplacedControl = WithoutPosition<ControlRecord>;

/** The open batch of an agent: records appended in stream order until it is sealed. The data
 *  records are packed in an array reused from one batch to the next (it only grows); a batch
 *  taken gets a copy of exactly its length. A plain array of doubles, not a typed array: its
 *  `slice` is the batch's array in one allocation, already of double elements, where a typed
 *  array copied into `new Array(n)` allocated it twice (the array's elements turned from small
 *  integers to doubles at the first instant stored). */
export class BatchBuilder {
  private readonly packed: number[] = [];
  /** Numbers of `packed` in use: RECORD_WORDS per data record appended. */
  private used = 0;
  private content: PayloadBuffer | null = null;
  /** Blocks of content the data records hold (what `content` must hold). */
  private blocks = 0;
  private control: ControlRecord[] = [];

  constructor(private readonly codec: Codec) {}

  get recordCount(): number {
    return this.used / RECORD_WORDS + this.control.length;
  }

  /** Appends a data record; its content is copied into the batch's buffer. */
  appendData(disk: number, start: number, payload: Payload, at: Instant): void {
    this.content ??= this.codec.buffer();
    const offset = this.content.append(payload);
    // Records are written in order from `used`: a store at the array's length appends, as push does.
    const i = this.used;
    this.used += RECORD_WORDS;
    const packed = this.packed;
    packed[i + RECORD_DISK] = disk;
    packed[i + RECORD_START] = start;
    packed[i + RECORD_COUNT] = payload.blockCount;
    packed[i + RECORD_AT] = at;
    // Constant time, at every captured write: the content held exactly the earlier records' blocks.
    if (offset !== this.blocks) assert(false, 'batch builder: the content holds the blocks of the data records');
    this.blocks += payload.blockCount;
  }

  appendControl(record: UnplacedControl): void {
    this.control.push({ ...record, position: this.used / RECORD_WORDS } as ControlRecord);
  }

  /** The records so far, and a new empty batch to build. */
  take(): { data: DataRecords; control: readonly ControlRecord[] } {
    this.invariants();
    const content = this.content === null ? null : this.content.slice(0, this.content.blockCount);
    const records = this.packed.slice(0, this.used);
    const taken = { data: { records, content }, control: this.control };
    this.used = 0;
    this.content = null;
    this.blocks = 0;
    this.control = [];
    return taken;
  }

  /** Forgets every record (the agent drops its buffer for the bitmap). */
  clear(): void {
    this.take();
  }

  /** Constant time; runs at every batch taken (appendData checks its own part per write). */
  invariants(): void {
    assert(this.used % RECORD_WORDS === 0 && this.used <= this.packed.length, 'batch builder: whole data records only');
    assert((this.content?.blockCount ?? 0) === this.blocks, 'batch builder: the content holds the blocks of the data records');
    const last = this.control[this.control.length - 1];
    assert(last === undefined || last.position <= this.used / RECORD_WORDS, 'batch builder: a control record placed after data not yet appended');
  }

  /** Calls `visit` for each data record appended so far (what the bitmap must remember). */
  forEachData(visit: (disk: number, start: number, count: number) => void): void {
    const packed = this.packed;
    for (let i = 0; i < this.used; i += RECORD_WORDS) visit(packed[i + RECORD_DISK], packed[i + RECORD_START], packed[i + RECORD_COUNT]);
  }
}

export function forEachData(data: DataRecords, visit: (disk: number, start: number, count: number) => void): void {
  const records = data.records;
  for (let i = 0; i < records.length; i += RECORD_WORDS) visit(records[i + RECORD_DISK], records[i + RECORD_START], records[i + RECORD_COUNT]);
}

/** Where each data record's content starts in `content`: offsets[i], and offsets[n] is the total;
 *  checks that the records are whole and agree with the content. */
export function contentOffsets(data: DataRecords): number[] {
  const n = checkedRecordCount(data);
  const records = data.records;
  const offsets = new Array<number>(n + 1);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = offset;
    offset += records[i * RECORD_WORDS + RECORD_COUNT];
  }
  offsets[n] = offset;
  assert(offset === (data.content?.blockCount ?? 0), 'a batch holds the content of its data records and nothing more');
  return offsets;
}

/** The number of data records, checked to be whole (a disk, start, count and instant each). */
function checkedRecordCount(data: DataRecords): number {
  const n = dataRecordCount(data);
  assert(Number.isInteger(n), 'a batch has a disk, start, count and instant per data record');
  return n;
}

/** The content of data record i (the whole content, uncut, when it is the only record). */
export function dataPayload(codec: Codec, data: DataRecords, offsets: readonly number[], i: number): Payload {
  const content = data.content!;
  const count = data.records[i * RECORD_WORDS + RECORD_COUNT];
  return count === content.blockCount ? content : codec.slice(content, offsets[i], count);
}

/** Bytes of the batch's data content, raw and as the process server's compression makes it
 *  (record by record, as each record is compressed on its own). Compression is the codec's
 *  ratio model (ports.ts): records of as many blocks compress to as many bytes, so a record is
 *  cut out of the content and measured only when its block count differs from the previous
 *  record's (a batch of same-size writes is measured once, not sliced write by write). */
export function contentBytes(codec: Codec, data: DataRecords): { raw: number; compressed: number } {
  const { records, content } = data;
  const n = checkedRecordCount(data);
  if (content === null) {
    assert(n === 0, 'a batch holds the content of its data records and nothing more');
    return { raw: 0, compressed: 0 };
  }
  let compressed = 0;
  let offset = 0;
  let measuredCount = -1;
  let measuredBytes = 0;
  for (let i = 0; i < n; i++) {
    const count = records[i * RECORD_WORDS + RECORD_COUNT];
    if (count !== measuredCount) {
      measuredBytes = codec.compressedSizeBytes(count === content.blockCount ? content : codec.slice(content, offset, count));
      measuredCount = count;
    }
    compressed += measuredBytes;
    offset += count;
  }
  assert(offset === content.blockCount, 'a batch holds the content of its data records and nothing more');
  return { raw: codec.sizeBytes(content), compressed };
}

/** Every record of a batch as an object, in stream order (for inspection and tests). */
export function recordsOf(codec: Codec, batch: { readonly data: DataRecords; readonly control: readonly ControlRecord[] }): StreamRecord[] {
  const { data, control } = batch;
  const offsets = contentOffsets(data);
  const n = dataRecordCount(data);
  const packed = data.records;
  const records: StreamRecord[] = [];
  let next = 0;
  const dataUpTo = (end: number) => {
    for (; next < end; next++) {
      const i = next * RECORD_WORDS;
      records.push({ kind: 'data', disk: packed[i + RECORD_DISK], start: packed[i + RECORD_START], payload: dataPayload(codec, data, offsets, next), at: packed[i + RECORD_AT] as Instant });
    }
  };
  for (const record of control) {
    assert(record.position >= next && record.position <= n, 'control records are in stream order');
    dataUpTo(record.position);
    records.push(record);
  }
  dataUpTo(n);
  return records;
}
