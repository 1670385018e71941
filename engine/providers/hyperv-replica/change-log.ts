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

/** Per-record header in the .hrl file (disk, offset, length, checksum). */
export const LOG_RECORD_HEADER_BYTES = 64;

export class ChangeLog {
  private readonly disks: number[] = [];
  private readonly starts: number[] = [];
  private readonly counts: number[] = [];
  /** Bytes of each record's content, raw and as compression would make it. */
  private readonly sizes: number[] = [];
  private readonly compressedSizes: number[] = [];
  private content: PayloadBuffer | null = null;
  private bytes = 0;
  cutAt: Instant | null = null;
  appConsistent = false;

  constructor(
    readonly seq: number,
    readonly openedAt: Instant,
  ) {}

  append(codec: Codec, disk: number, start: number, payload: Payload): void {
    assert(this.cutAt === null, `log ${this.seq} is closed`);
    this.content ??= codec.buffer();
    this.content.append(payload);
    const size = codec.sizeBytes(payload);
    this.disks.push(disk);
    this.starts.push(start);
    this.counts.push(payload.blockCount);
    this.sizes.push(size);
    this.compressedSizes.push(codec.compressedSizeBytes(payload));
    this.bytes += LOG_RECORD_HEADER_BYTES + size;
  }

  close(at: Instant, appConsistent: boolean): void {
    assert(this.cutAt === null, `log ${this.seq} closed twice`);
    this.cutAt = at;
    this.appConsistent = appConsistent;
  }

  get recordCount(): number {
    return this.disks.length;
  }

  /** The records as objects (for inspection; the wire carries columns). */
  records(codec: Codec): WireRecord[] {
    return recordsOf(codec, this.columns(0, this.disks.length, 0, this.content?.blockCount ?? 0).records);
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
    for (let i = 0; i < this.disks.length; i++) {
      const recordBytes = LOG_RECORD_HEADER_BYTES + this.sizes[i];
      if (size > 0 && size + recordBytes > bytesMax) {
        chunks.push(this.columns(first, i, firstBlock, blocks));
        first = i;
        firstBlock += blocks;
        size = 0;
        blocks = 0;
      }
      size += recordBytes;
      blocks += this.counts[i];
    }
    chunks.push(this.columns(first, this.disks.length, firstBlock, blocks));
    return chunks;
  }

  /** Records [first, end) and their `blocks` blocks of content from `firstBlock`. */
  private columns(first: number, end: number, firstBlock: number, blocks: number): PackedChunk {
    let rawBytes = 0;
    let compressedBytes = 0;
    for (let i = first; i < end; i++) {
      rawBytes += this.sizes[i];
      compressedBytes += this.compressedSizes[i];
    }
    const records: LogRecords = {
      disks: this.disks.slice(first, end),
      starts: this.starts.slice(first, end),
      counts: this.counts.slice(first, end),
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
