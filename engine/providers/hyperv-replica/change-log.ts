// The Hyper-V Replica log (.hrl) of one VM: every write to any of its disks since the log was
// opened, in order (DOMAIN.md rules 1, 3 and 6). The primary keeps at most two: the one being
// shipped and the one accumulating. Sizes are what the log would occupy on the host volume,
// which is what the 50%-of-VHD resync threshold is measured against.
//
// Like the file it models, the log is packed: records are columns of numbers and their content
// one PayloadBuffer, so a log of thousands of writes is a handful of arrays, not thousands of
// objects the garbage collector must copy while the log waits for its copy cycle.
import { assert, type Instant } from '../../../model/index.js';
import type { Codec, Payload, PayloadBuffer } from '../../ports.js';
import type { LogRecords, WireRecord } from './messages.js';
import { grown } from '../../data-plane/grown.js';

/** Per-record header in the .hrl file (disk, offset, length, checksum). */
export const LOG_RECORD_HEADER_BYTES = 64;

/** The numeric columns of a log's records, in typed arrays grown by doubling. A primary hands
 *  the columns of a log its replica has applied to the next log it opens (ChangeLog.release),
 *  so in the steady state recording a write allocates nothing the garbage collector sees; the
 *  wire gets copies (chunks), never these arrays. */
export class LogColumns {
  disks = new Uint8Array(COLUMNS_INITIAL);
  starts = new Float64Array(COLUMNS_INITIAL);
  counts = new Uint32Array(COLUMNS_INITIAL);
  /** Bytes of each record's content, raw and as compression would make it. */
  sizes = new Float64Array(COLUMNS_INITIAL);
  compressedSizes = new Float64Array(COLUMNS_INITIAL);
  length = 0;

  push(disk: number, start: number, count: number, size: number, compressedSize: number): void {
    if (!(disk >= 0 && disk < 256 && Number.isInteger(disk))) assert(false, `log columns: disk ${disk} is not a disk index`);
    if (this.length === this.disks.length) this.grow();
    const i = this.length++;
    this.disks[i] = disk;
    this.starts[i] = start;
    this.counts[i] = count;
    this.sizes[i] = size;
    this.compressedSizes[i] = compressedSize;
  }

  private grow(): void {
    const capacity = this.disks.length * 2;
    this.disks = grown(this.disks, new Uint8Array(capacity));
    this.starts = grown(this.starts, new Float64Array(capacity));
    this.counts = grown(this.counts, new Uint32Array(capacity));
    this.sizes = grown(this.sizes, new Float64Array(capacity));
    this.compressedSizes = grown(this.compressedSizes, new Float64Array(capacity));
  }
}

const COLUMNS_INITIAL = 64;

/** Elements [first, end) as a plain array (what the wire carries; Array.from on a typed array
 *  view was a visible cost). */
function numbersOf(column: Uint8Array | Uint32Array | Float64Array, first: number, end: number): number[] {
  const numbers: number[] = [];
  for (let i = first; i < end; i++) numbers.push(column[i]);
  return numbers;
}

export class ChangeLog {
  private columnsStore: LogColumns | null;
  private content: PayloadBuffer | null = null;
  private bytes = 0;
  cutAt: Instant | null = null;
  appConsistent = false;

  /** `recycled`: the columns of a log that is done with them (see release), or fresh ones. */
  constructor(
    readonly seq: number,
    readonly openedAt: Instant,
    recycled: LogColumns | null = null,
  ) {
    this.columnsStore = recycled ?? new LogColumns();
    this.columnsStore.length = 0;
  }

  append(codec: Codec, disk: number, start: number, payload: Payload): void {
    assert(this.cutAt === null, `log ${this.seq} is closed`);
    this.content ??= codec.buffer();
    this.content.append(payload);
    const size = codec.sizeBytes(payload);
    this.store.push(disk, start, payload.blockCount, size, codec.compressedSizeBytes(payload));
    this.bytes += LOG_RECORD_HEADER_BYTES + size;
  }

  /** Gives up the log's columns for the next log to reuse: the log must not be used after. */
  release(): LogColumns {
    const columns = this.store;
    this.columnsStore = null;
    return columns;
  }

  private get store(): LogColumns {
    assert(this.columnsStore !== null, `log ${this.seq} was released`);
    return this.columnsStore;
  }

  close(at: Instant, appConsistent: boolean): void {
    assert(this.cutAt === null, `log ${this.seq} closed twice`);
    this.cutAt = at;
    this.appConsistent = appConsistent;
  }

  get recordCount(): number {
    return this.store.length;
  }

  /** The records as objects (for inspection; the wire carries columns). */
  records(codec: Codec): WireRecord[] {
    return recordsOf(codec, this.columns(0, this.recordCount, 0, this.content?.blockCount ?? 0).records);
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get isClosed(): boolean {
    return this.cutAt !== null;
  }

  /** Splits the records into chunks of at most `bytesMax` (a record never splits); an empty log
   *  is one empty chunk. */
  chunks(bytesMax: number): PackedChunk[] {
    const chunks: PackedChunk[] = [];
    let first = 0;
    let firstBlock = 0;
    let size = 0;
    let blocks = 0;
    const { sizes, counts } = this.store;
    for (let i = 0; i < this.recordCount; i++) {
      const recordBytes = LOG_RECORD_HEADER_BYTES + sizes[i];
      if (size > 0 && size + recordBytes > bytesMax) {
        chunks.push(this.columns(first, i, firstBlock, blocks));
        first = i;
        firstBlock += blocks;
        size = 0;
        blocks = 0;
      }
      size += recordBytes;
      blocks += counts[i];
    }
    chunks.push(this.columns(first, this.recordCount, firstBlock, blocks));
    return chunks;
  }

  /** Records [first, end) and their `blocks` blocks of content from `firstBlock`. */
  private columns(first: number, end: number, firstBlock: number, blocks: number): PackedChunk {
    const columns = this.store;
    let rawBytes = 0;
    let compressedBytes = 0;
    for (let i = first; i < end; i++) {
      rawBytes += columns.sizes[i];
      compressedBytes += columns.compressedSizes[i];
    }
    const records: LogRecords = {
      disks: numbersOf(columns.disks, first, end),
      starts: numbersOf(columns.starts, first, end),
      counts: numbersOf(columns.counts, first, end),
      content: this.content === null ? null : this.content.slice(firstBlock, blocks),
    };
    return { records, rawBytes, compressedBytes };
  }
}

/** A chunk of a closed log and the bytes its content takes on the wire, raw and compressed. */
export interface PackedChunk {
  readonly records: LogRecords;
  readonly rawBytes: number;
  readonly compressedBytes: number;
}

/** The records of a packed chunk as objects, each with its slice of the content, in order. */
export function recordsOf(codec: Codec, packed: LogRecords): WireRecord[] {
  const { disks, starts, counts, content } = packed;
  assert(disks.length === starts.length && disks.length === counts.length, 'a packed chunk has one disk, start and count per record');
  const records: WireRecord[] = [];
  let offset = 0;
  for (let i = 0; i < disks.length; i++) {
    assert(content !== null && offset + counts[i] <= content.blockCount, 'a packed chunk holds the content of its records');
    records.push({ disk: disks[i], start: starts[i], payload: codec.slice(content, offset, counts[i]) });
    offset += counts[i];
  }
  assert(offset === (content?.blockCount ?? 0), 'a packed chunk holds no content beyond its records');
  return records;
}
