// The HRL change log: byte accounting (what the 50%-of-VHD resync threshold is measured on) and
// splitting a closed log into chunks that never split a record and never exceed the limit.
import { describe, expect, it } from 'vitest';
import type { Instant } from '../../model/index.js';
import { ChangeLog, LOG_RECORD_HEADER_BYTES, recordsOf } from '../../engine/providers/hyperv-replica/change-log.js';
import { SimCodec, SymbolicPayload } from '../../sim/index.js';

const codec = new SimCodec({ blockSizeBytes: 4096 });
const blocks = (count: number) => SymbolicPayload.sequence(1, count);

describe('ChangeLog', () => {
  it('counts each record as its header plus its payload bytes', () => {
    const log = new ChangeLog(1, 0 as Instant);
    log.append(codec, 0, 10, blocks(2));
    log.append(codec, 1, 0, blocks(1));
    expect(log.sizeBytes).toBe(2 * LOG_RECORD_HEADER_BYTES + 3 * 4096);
    expect(log.records(codec).map((r) => [r.disk, r.start, [...(r.payload as SymbolicPayload).ids]])).toEqual([
      [0, 10, [1, 2]],
      [1, 0, [1]],
    ]);
    expect(log.appConsistent).toBe(false);
  });

  it('refuses appends after close, and a second close', () => {
    const log = new ChangeLog(2, 0 as Instant);
    log.close(5 as Instant, true);
    expect(log.isClosed).toBe(true);
    expect(log.appConsistent).toBe(true);
    expect(() => log.append(codec, 0, 0, blocks(1))).toThrow(/log 2 is closed/);
    expect(() => log.close(6 as Instant, false)).toThrow(/closed twice/);
  });

  it('splits into chunks at the byte limit, keeping records whole and in order', () => {
    const log = new ChangeLog(3, 0 as Instant);
    const record = LOG_RECORD_HEADER_BYTES + 4096;
    for (let i = 0; i < 5; i++) log.append(codec, 0, i, blocks(1));
    // Exactly two records fit in a chunk of 2 × record bytes; a third starts a new chunk.
    expect(log.chunks(2 * record).map((c) => c.records.starts)).toEqual([[0, 1], [2, 3], [4]]);
    // One byte less and only one record fits per chunk.
    expect(log.chunks(2 * record - 1).map((c) => c.records.disks.length)).toEqual([1, 1, 1, 1, 1]);
    // A record larger than the limit still travels, alone.
    const big = new ChangeLog(4, 0 as Instant);
    big.append(codec, 0, 0, blocks(8));
    big.append(codec, 0, 8, blocks(1));
    expect(big.chunks(record).map((c) => c.records.counts)).toEqual([[8], [1]]);
    // An empty log is one empty chunk (an empty cycle still moves the recovery point).
    expect(new ChangeLog(5, 0 as Instant).chunks(record).map((c) => c.records)).toEqual([{ disks: [], starts: [], counts: [], content: null }]);
  });

  it('packs each chunk with exactly its records\' content, and counts its wire bytes raw and compressed', () => {
    const log = new ChangeLog(6, 0 as Instant);
    log.append(codec, 0, 100, SymbolicPayload.sequence(10, 3));
    log.append(codec, 2, 7, SymbolicPayload.sequence(20, 1));
    log.append(codec, 1, 50, SymbolicPayload.sequence(30, 2));
    const chunks = log.chunks(2 * (LOG_RECORD_HEADER_BYTES + 3 * 4096));
    expect(chunks.map((c) => recordsOf(codec, c.records).map((r) => [r.disk, r.start, [...(r.payload as SymbolicPayload).ids]]))).toEqual([
      [
        [0, 100, [10, 11, 12]],
        [2, 7, [20]],
      ],
      [[1, 50, [30, 31]]],
    ]);
    expect(chunks.map((c) => c.rawBytes)).toEqual([4 * 4096, 2 * 4096]);
    expect(chunks.map((c) => c.compressedBytes)).toEqual([codec.compressedSizeBytes(blocks(3)) + codec.compressedSizeBytes(blocks(1)), codec.compressedSizeBytes(blocks(2))]);
  });

  it('refuses a packed chunk whose columns and content disagree', () => {
    const content = SymbolicPayload.sequence(1, 2);
    expect(() => recordsOf(codec, { disks: [0], starts: [0], counts: [3], content })).toThrow(/holds the content/);
    expect(() => recordsOf(codec, { disks: [0], starts: [0], counts: [1], content })).toThrow(/no content beyond/);
    expect(() => recordsOf(codec, { disks: [0, 1], starts: [0], counts: [1], content })).toThrow(/one disk, start and count/);
  });

  it('reuses the columns of a released log: the next log starts empty and grows past the first capacity', () => {
    const first = new ChangeLog(7, 0 as Instant);
    for (let i = 0; i < 200; i++) first.append(codec, i % 3, 1000 + i, blocks(1));
    const spare = first.release();
    expect(() => first.append(codec, 0, 0, blocks(1))).toThrow(/log 7 was released/);
    const next = new ChangeLog(8, 0 as Instant, spare);
    expect(next.recordCount).toBe(0);
    for (let i = 0; i < 150; i++) next.append(codec, 2, i, blocks(1));
    const [chunk] = next.chunks(1 << 30);
    expect(chunk.records.disks).toEqual(Array(150).fill(2));
    expect(chunk.records.starts).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(next.records(codec)).toHaveLength(150);
  });
});
