// The HRL change log: byte accounting (what the 50%-of-VHD resync threshold is measured on) and
// splitting a closed log into chunks that never split a record and never exceed the limit.
import { describe, expect, it } from 'vitest';
import type { Instant } from '../../model/index.js';
import { ChangeLog, LOG_RECORD_HEADER_BYTES } from '../../engine/providers/hyperv-replica/change-log.js';
import { SimCodec, SymbolicPayload } from '../../sim/index.js';

const codec = new SimCodec({ blockSizeBytes: 4096 });
const blocks = (count: number) => SymbolicPayload.sequence(1, count);

describe('ChangeLog', () => {
  it('counts each record as its header plus its payload bytes', () => {
    const log = new ChangeLog(1, 0 as Instant);
    log.append(codec, 0, 10, blocks(2));
    log.append(codec, 1, 0, blocks(1));
    expect(log.sizeBytes).toBe(2 * LOG_RECORD_HEADER_BYTES + 3 * 4096);
    expect(log.records.map((r) => [r.disk, r.start])).toEqual([
      [0, 10],
      [1, 0],
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
    expect(log.chunks(codec, 2 * record).map((c) => c.map((r) => r.start))).toEqual([[0, 1], [2, 3], [4]]);
    // One byte less and only one record fits per chunk.
    expect(log.chunks(codec, 2 * record - 1).map((c) => c.length)).toEqual([1, 1, 1, 1, 1]);
    // A record larger than the limit still travels, alone.
    const big = new ChangeLog(4, 0 as Instant);
    big.append(codec, 0, 0, blocks(8));
    big.append(codec, 0, 8, blocks(1));
    expect(big.chunks(codec, record).map((c) => c.length)).toEqual([1, 1]);
    // An empty log is one empty chunk (an empty cycle still moves the recovery point).
    expect(new ChangeLog(5, 0 as Instant).chunks(codec, record)).toEqual([[]]);
  });
});
