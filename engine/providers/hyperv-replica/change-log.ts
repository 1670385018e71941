// The Hyper-V Replica log (.hrl) of one VM: every write to any of its disks since the log was
// opened, in order (DOMAIN.md rules 1, 3 and 6). The primary keeps at most two: the one being
// shipped and the one accumulating. Sizes are what the log would occupy on the host volume,
// which is what the 50%-of-VHD resync threshold is measured against.
import { assert, type Instant } from '../../../model/index.js';
import type { Codec, Payload } from '../../ports.js';
import type { WireRecord } from './messages.js';

/** Per-record header in the .hrl file (disk, offset, length, checksum). */
export const LOG_RECORD_HEADER_BYTES = 64;

export class ChangeLog {
  private readonly entries: WireRecord[] = [];
  private bytes = 0;
  cutAt: Instant | null = null;
  appConsistent = false;

  constructor(
    readonly seq: number,
    readonly openedAt: Instant,
  ) {}

  append(codec: Codec, disk: number, start: number, payload: Payload): void {
    assert(this.cutAt === null, `log ${this.seq} is closed`);
    this.entries.push({ disk, start, payload });
    this.bytes += LOG_RECORD_HEADER_BYTES + codec.sizeBytes(payload);
  }

  close(at: Instant, appConsistent: boolean): void {
    assert(this.cutAt === null, `log ${this.seq} closed twice`);
    this.cutAt = at;
    this.appConsistent = appConsistent;
  }

  get records(): readonly WireRecord[] {
    return this.entries;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get isClosed(): boolean {
    return this.cutAt !== null;
  }

  /** Splits the records into chunks of at most `bytesMax` (a record never splits). */
  chunks(codec: Codec, bytesMax: number): WireRecord[][] {
    const chunks: WireRecord[][] = [[]];
    let size = 0;
    for (const record of this.entries) {
      const recordBytes = LOG_RECORD_HEADER_BYTES + codec.sizeBytes(record.payload);
      if (size > 0 && size + recordBytes > bytesMax) {
        chunks.push([]);
        size = 0;
      }
      chunks[chunks.length - 1].push(record);
      size += recordBytes;
    }
    return chunks;
  }
}
