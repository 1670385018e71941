// What the master target does with the writes of a segment, against the obvious block-by-block
// reference: the blocks it reads for the undo are each block touched, once, in block order; each
// write's undo is what its blocks held just before it; and the runs it writes to each disk are
// those of data-plane `coalesce` (last writer wins). Both the fast path (no block written twice)
// and the general one are exercised, with segments short and long (sorted by insertion or not).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SimCodec, SymbolicPayload } from '../../sim/index.js';
import { coalesce } from '../../engine/data-plane/coalesce.js';
import { blockOfKey, blockWrites, coalescedByDisk, diskOfKey, SegmentScratch, undoOf } from '../../engine/providers/inmage-scout/segment-writes.js';
import type { Payload } from '../../engine/ports.js';

const codec = new SimCodec({ blockSizeBytes: 4096 });
const idsOf = (payload: Payload) => [...(payload as SymbolicPayload).ids];

interface Write {
  readonly disk: number;
  readonly start: number;
  readonly count: number;
}

/** Writes on 2 disks, dense enough to be adjacent and to overlap, or spread so that none do. */
const segment = fc.oneof(
  fc.array(fc.record({ disk: fc.nat(1), start: fc.nat(20), count: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 120 }),
  fc.uniqueArray(fc.record({ disk: fc.nat(1), slot: fc.nat(100) }), { minLength: 1, maxLength: 150, selector: (w) => `${w.disk}:${w.slot}` }).map((ws) => ws.map((w) => ({ disk: w.disk, start: 4 * w.slot, count: 1 + (w.slot % 4) }))),
);

/** A scratch shared by every case, as a master-target pair reuses one from segment to segment:
 *  a segment must not depend on what an earlier, longer one left in it. */
const scratch = new SegmentScratch();

function build(writes: readonly Write[], skip: number) {
  // A segment is a range of its batch's columns: put a few unrelated records before it, with
  // their content before the segment's in the batch's content.
  const before = Array.from({ length: skip }, (_, i) => ({ disk: 1, start: 100 + i, count: 1 }));
  const all = [...before, ...writes];
  let id = 1000;
  const payloads = writes.map((w) => SymbolicPayload.sequence((id += 10), w.count));
  const content = codec.concat([...before.map((_, i) => SymbolicPayload.filled(1 + i, 1)), ...payloads]);
  const offsets: number[] = [];
  all.reduce((offset, w) => (offsets.push(offset), offset + w.count), 0);
  const columns = { records: all.flatMap((w, i) => [w.disk, w.start, w.count, i]) };
  return { payloads, segment: blockWrites(columns, skip, all.length, content, offsets, scratch) };
}

describe('segment writes at the master target', () => {
  it('reads each touched block once, in order, and undoes each write to what its blocks held before it', () => {
    fc.assert(
      fc.property(segment, fc.nat(3), (writes, skip) => {
        const { payloads, segment: w } = build(writes, skip);
        const replica = (disk: number, block: number) => 7 + 100 * disk + block; // the id a block holds
        const runs = { keys: [...w.runKeys.subarray(0, w.runCount)], counts: [...w.runCounts.subarray(0, w.runCount)] };
        const touched = new Set(writes.flatMap((x) => Array.from({ length: x.count }, (_, b) => `${x.disk}:${x.start + b}`)));
        const read = runs.keys.flatMap((key, r) => Array.from({ length: runs.counts[r] }, (_, b) => `${diskOfKey(key)}:${blockOfKey(key) + b}`));
        expect(read).toEqual([...touched].sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]) || Number(a.split(':')[1]) - Number(b.split(':')[1])));
        // Runs are maximal: two runs never touch on one disk.
        for (let r = 1; r < runs.keys.length; r++) expect(runs.keys[r - 1] + runs.counts[r - 1]).toBeLessThan(runs.keys[r]);
        const runPayloads = runs.keys.map((key, r) => new SymbolicPayload(Uint32Array.from({ length: runs.counts[r] }, (_, b) => replica(diskOfKey(key), blockOfKey(key) + b))));
        const undo = undoOf(codec, w, runPayloads).map(idsOf);
        const image = new Map<string, number>();
        const expected = writes.map((x, i) => {
          const old = Array.from({ length: x.count }, (_, b) => image.get(`${x.disk}:${x.start + b}`) ?? replica(x.disk, x.start + b));
          idsOf(payloads[i]).forEach((id, b) => image.set(`${x.disk}:${x.start + b}`, id));
          return old;
        });
        expect(undo).toEqual(expected);
      }),
    );
  });

  it('writes the runs coalesce gives, grouped by disk in disk order', () => {
    fc.assert(
      fc.property(segment, fc.nat(3), (writes, skip) => {
        const { payloads, segment: w } = build(writes, skip);
        const reference = coalesce(
          codec,
          writes.map((x, i) => ({ disk: x.disk, start: x.start, payload: payloads[i] })),
        ).map((run) => ({ disk: run.disk, start: run.start, ids: idsOf(run.payload) }));
        const groups = coalescedByDisk(codec, w);
        expect(groups.map((g) => g.disk)).toEqual([...new Set(reference.map((r) => r.disk))]);
        expect(groups.flatMap((g) => g.extents.map((e) => ({ disk: g.disk, start: e.start, ids: idsOf(e.payload) })))).toEqual(reference);
        expect(w.disjoint).toBe(writes.every((a, i) => writes.every((b, j) => i === j || a.disk !== b.disk || a.start + a.count <= b.start || b.start + b.count <= a.start)));
      }),
      // The last blocks of disk 0 and the first of disk 1 have consecutive numbers: two runs.
      { examples: [[[{ disk: 1, start: 2, count: 1 }, { disk: 0, start: 0, count: 2 }], 0]] },
    );
  });
});
