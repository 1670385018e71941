// A Scout batch as the agent packs it: data records as columns over one content buffer, control
// records beside them with their position. Unpacking gives back every record in stream order with
// its own content, and the sizes the process server charges are those of the records one by one.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Instant } from '../../model/index.js';
import { BytesPayload, SimCodec, SymbolicPayload, contentBytes as bytesOfBlock } from '../../sim/index.js';
import { BatchBuilder, contentBytes, contentOffsets, recordsOf, type UnplacedControl } from '../../engine/providers/inmage-scout/batch-records.js';
import type { DataRecord, StreamRecord } from '../../engine/providers/inmage-scout/messages.js';

const BLOCK = 4096;

type Appended = DataRecord | UnplacedControl;

const at = fc.nat({ max: 1_000_000 }).map((n) => n as Instant);
const data: fc.Arbitrary<Appended> = fc.record({
  kind: fc.constant('data' as const),
  disk: fc.nat(3),
  start: fc.nat(1000),
  payload: fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 5 })).map(([id, blocks]) => SymbolicPayload.sequence(id, blocks)),
  at,
});
const control: fc.Arbitrary<Appended> = fc.oneof(
  fc.record({ kind: fc.constant('tag' as const), name: fc.string({ maxLength: 8 }), tagKind: fc.constantFrom('crash' as const, 'app' as const), at }),
  fc.record({ kind: fc.constant('resync-begin' as const), scope: fc.constantFrom('bitmap' as const, 'full' as const), reason: fc.string({ maxLength: 8 }), at }),
  fc.record({ kind: fc.constant('compare' as const), region: fc.nat(9), disk: fc.nat(3), start: fc.nat(1000), checksums: fc.array(fc.nat(), { maxLength: 4 }), at }),
  fc.record({ kind: fc.constant('resync-end' as const), at }),
);

/** What `recordsOf` must give back: the records as appended, control ones placed. */
function expected(appended: readonly Appended[]): StreamRecord[] {
  let dataBefore = 0;
  return appended.map((record) => {
    if (record.kind === 'data') {
      dataBefore++;
      return record;
    }
    return { ...record, position: dataBefore } as StreamRecord;
  });
}

const ids = (records: readonly StreamRecord[]) => records.map((r) => (r.kind === 'data' ? { ...r, payload: [...(r.payload as SymbolicPayload).ids] } : r));

describe('BatchBuilder', () => {
  it('gives back every record in stream order, each data record with its own content', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 3, arbitrary: data }, { weight: 1, arbitrary: control }), { maxLength: 30 }), fc.array(data, { maxLength: 3 }), (records, next) => {
        const codec = new SimCodec({ blockSizeBytes: BLOCK });
        const builder = new BatchBuilder(codec);
        const append = (r: Appended) => (r.kind === 'data' ? builder.appendData(r.disk, r.start, r.payload, r.at) : builder.appendControl(r));
        records.forEach(append);
        expect(builder.recordCount).toBe(records.length);
        const batch = builder.take();
        // The next batch starts empty, and never changes the content of the one taken.
        next.forEach(append);
        expect(ids(recordsOf(codec, batch))).toEqual(ids(expected(records)));
        expect(ids(recordsOf(codec, builder.take()))).toEqual(ids(expected(next)));
        const dataRecords = records.filter((r): r is DataRecord => r.kind === 'data');
        expect(contentOffsets(batch.data).at(-1)).toBe(dataRecords.reduce((sum, r) => sum + r.payload.blockCount, 0));
        // Compression is charged record by record, as if each were sent alone.
        expect(contentBytes(codec, batch.data)).toEqual({
          raw: dataRecords.reduce((sum, r) => sum + codec.sizeBytes(r.payload), 0),
          compressed: dataRecords.reduce((sum, r) => sum + codec.compressedSizeBytes(r.payload), 0),
        });
      }),
    );
  });

  it('packs bytes payloads as well as symbolic ones', () => {
    const codec = new SimCodec({ blockSizeBytes: BLOCK });
    const builder = new BatchBuilder(codec);
    const first = new BytesPayload(Uint8Array.from([...bytesOfBlock(7, 10, BLOCK), ...bytesOfBlock(8, 11, BLOCK)]), BLOCK);
    const second = new BytesPayload(bytesOfBlock(9, 3, BLOCK), BLOCK);
    builder.appendData(0, 10, first, 1 as Instant);
    builder.appendData(1, 3, second, 2 as Instant);
    const records = recordsOf(codec, builder.take());
    expect(records.map((r) => r.kind === 'data' && codec.checksum(r.payload))).toEqual([codec.checksum(first), codec.checksum(second)]);
  });

  it('refuses columns that disagree with the content', () => {
    const codec = new SimCodec({ blockSizeBytes: BLOCK });
    const content = SymbolicPayload.sequence(1, 3);
    expect(() => contentOffsets({ records: [0, 0, 2, 0], content })).toThrow(/nothing more/);
    expect(() => recordsOf(codec, { data: { records: [0, 0, 1, 0, 0, 2, 0], content }, control: [] })).toThrow(/a disk, start, count and instant per data record/);
  });
});
