// The records of one Scout batch as the agent builds them and every hop reads them: data records
// packed as columns with their content in one PayloadBuffer (a batch of a tick's writes is a few
// arrays, not an object and a payload per write that the garbage collector must copy and promote
// while the batch waits in the process server's cache), control records (tags, resync markers,
// compares: rare) as objects beside them, each with its position among the data records.
import { assert, type Instant } from '../../../model/index.js';
import type { Codec, Payload, PayloadBuffer } from '../../ports.js';
import type { ControlRecord, DataRecords, StreamRecord } from './messages.js';
import { grown } from '../../data-plane/grown.js';

type WithoutPosition<R> = R extends ControlRecord ? Omit<R, 'position'> : never;
/** A control record as the agent appends it: the builder fills in its position. */
export type UnplacedControl = WithoutPosition<ControlRecord>;

const COLUMN_LENGTH_INITIAL = 64;

/** The open batch of an agent: records appended in stream order until it is sealed. The data
 *  columns are typed arrays reused from one batch to the next (grown by doubling); a batch taken
 *  gets arrays of exactly its length (arrays grown by push leave garbage behind at every write). */
export class BatchBuilder {
  private disks = new Float64Array(COLUMN_LENGTH_INITIAL);
  private starts = new Float64Array(COLUMN_LENGTH_INITIAL);
  private counts = new Float64Array(COLUMN_LENGTH_INITIAL);
  private ats = new Float64Array(COLUMN_LENGTH_INITIAL);
  /** Data records appended. */
  private length = 0;
  private content: PayloadBuffer | null = null;
  /** Blocks of content the data records hold (what `content` must hold). */
  private blocks = 0;
  private control: ControlRecord[] = [];

  constructor(private readonly codec: Codec) {}

  get recordCount(): number {
    return this.length + this.control.length;
  }

  /** Appends a data record; its content is copied into the batch's buffer. */
  appendData(disk: number, start: number, payload: Payload, at: Instant): void {
    this.content ??= this.codec.buffer();
    this.content.append(payload);
    if (this.length === this.disks.length) this.grow();
    const i = this.length++;
    this.disks[i] = disk;
    this.starts[i] = start;
    this.counts[i] = payload.blockCount;
    this.ats[i] = at;
    this.blocks += payload.blockCount;
    this.invariants();
  }

  private grow(): void {
    const length = 2 * this.disks.length;
    this.disks = grown(this.disks, new Float64Array(length));
    this.starts = grown(this.starts, new Float64Array(length));
    this.counts = grown(this.counts, new Float64Array(length));
    this.ats = grown(this.ats, new Float64Array(length));
  }

  appendControl(record: UnplacedControl): void {
    this.control.push({ ...record, position: this.length } as ControlRecord);
  }

  /** The records so far, and a new empty batch to build. */
  take(): { data: DataRecords; control: readonly ControlRecord[] } {
    const content = this.content === null ? null : this.content.slice(0, this.content.blockCount);
    const n = this.length;
    const data: DataRecords = { disks: columnOf(this.disks, n), starts: columnOf(this.starts, n), counts: columnOf(this.counts, n), ats: columnOf(this.ats, n), content };
    const taken = { data, control: this.control };
    this.length = 0;
    this.content = null;
    this.blocks = 0;
    this.control = [];
    return taken;
  }

  /** Forgets every record (the agent drops its buffer for the bitmap). */
  clear(): void {
    this.take();
  }

  /** Cheap (constant time): it runs at every captured write. */
  invariants(): void {
    const n = this.length;
    assert(n <= this.disks.length && this.starts.length === this.disks.length && this.counts.length === this.disks.length && this.ats.length === this.disks.length, 'batch builder: one disk, start, count and instant per data record');
    assert((this.content?.blockCount ?? 0) === this.blocks, 'batch builder: the content holds the blocks of the data records');
    const last = this.control[this.control.length - 1];
    assert(last === undefined || last.position <= n, 'batch builder: a control record placed after data not yet appended');
  }

  /** Calls `visit` for each data record appended so far (what the bitmap must remember). */
  forEachData(visit: (disk: number, start: number, count: number) => void): void {
    for (let i = 0; i < this.length; i++) visit(this.disks[i], this.starts[i], this.counts[i]);
  }
}

/** The first `length` values of `column` as an array of exactly that length. */
function columnOf(column: Float64Array, length: number): number[] {
  const values: number[] = new Array(length);
  for (let i = 0; i < length; i++) values[i] = column[i];
  return values;
}

export function forEachData(data: DataRecords, visit: (disk: number, start: number, count: number) => void): void {
  for (let i = 0; i < data.disks.length; i++) visit(data.disks[i], data.starts[i], data.counts[i]);
}

/** Where each data record's content starts in `content`: offsets[i], and offsets[n] is the total;
 *  checks that the columns agree with each other and with the content. */
export function contentOffsets(data: DataRecords): number[] {
  const n = data.disks.length;
  assert(data.starts.length === n && data.counts.length === n && data.ats.length === n, 'a batch has one disk, start, count and instant per data record');
  const offsets = new Array<number>(n + 1);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = offset;
    offset += data.counts[i];
  }
  offsets[n] = offset;
  assert(offset === (data.content?.blockCount ?? 0), 'a batch holds the content of its data records and nothing more');
  return offsets;
}

/** The content of data record i (the whole content, uncut, when it is the only record). */
export function dataPayload(codec: Codec, data: DataRecords, offsets: readonly number[], i: number): Payload {
  const content = data.content!;
  const count = data.counts[i];
  return count === content.blockCount ? content : codec.slice(content, offsets[i], count);
}

/** Bytes of the batch's data content, raw and as the process server's compression makes it
 *  (record by record, as each record is compressed on its own). Compression is the codec's
 *  ratio model (ports.ts): records of as many blocks compress to as many bytes, so a record is
 *  cut out of the content and measured only when its block count differs from the previous
 *  record's (a batch of same-size writes is measured once, not sliced write by write). */
export function contentBytes(codec: Codec, data: DataRecords): { raw: number; compressed: number } {
  const { counts, content } = data;
  const n = data.disks.length;
  assert(data.starts.length === n && counts.length === n && data.ats.length === n, 'a batch has one disk, start, count and instant per data record');
  if (content === null) {
    assert(n === 0, 'a batch holds the content of its data records and nothing more');
    return { raw: 0, compressed: 0 };
  }
  let compressed = 0;
  let offset = 0;
  let measuredCount = -1;
  let measuredBytes = 0;
  for (let i = 0; i < n; i++) {
    const count = counts[i];
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
  const records: StreamRecord[] = [];
  let next = 0;
  const dataUpTo = (end: number) => {
    for (; next < end; next++) records.push({ kind: 'data', disk: data.disks[next], start: data.starts[next], payload: dataPayload(codec, data, offsets, next), at: data.ats[next] as Instant });
  };
  for (const record of control) {
    assert(record.position >= next && record.position <= data.disks.length, 'control records are in stream order');
    dataUpTo(record.position);
    records.push(record);
  }
  dataUpTo(data.disks.length);
  return records;
}
