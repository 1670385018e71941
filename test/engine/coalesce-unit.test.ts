// Coalescing a log into runs: last writer wins, runs are maximal, sorted and non-overlapping;
// the packed-sort path and the Map path (keys too large to pack) agree with a plain model.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { coalesce, coalesceByMap, coalescePacked, type PackedWrites } from '../../engine/data-plane/coalesce.js';
import { SimCodec, SymbolicPayload } from '../../sim/index.js';

const codec = new SimCodec({ blockSizeBytes: 4096 });

interface Write {
  readonly disk: number;
  readonly start: number;
  readonly payload: SymbolicPayload;
}

function model(writes: readonly Write[]): Map<string, number> {
  const image = new Map<string, number>();
  for (const w of writes) w.payload.ids.forEach((id, i) => image.set(`${w.disk}:${w.start + i}`, id));
  return image;
}

function writesOf(startMax: number) {
  return fc.array(
    fc.record({ disk: fc.integer({ min: 0, max: 3 }), start: fc.integer({ min: 0, max: startMax }), count: fc.integer({ min: 0, max: 6 }) }),
    { maxLength: 40 },
  );
}

describe('coalesce', () => {
  // Blocks near the end of the largest disk (2^32 blocks) too.
  for (const [name, run, offset] of [
    ['packed sort', coalesce, 0],
    ['packed sort, last blocks of a 2^32-block disk', coalesce, 2 ** 32 - 60],
    ['map', coalesceByMap, 0],
    ['map, last blocks of a 2^32-block disk', coalesceByMap, 2 ** 32 - 60],
  ] as const) {
    it(`gives maximal sorted runs holding the last writer of every block (${name})`, () => {
      let nextId = 1;
      fc.assert(
        fc.property(writesOf(40), (specs) => {
          const writes: Write[] = specs.map((s) => ({ disk: s.disk, start: offset + s.start, payload: SymbolicPayload.sequence((nextId += 10), s.count) }));
          const runs = run(codec, writes);
          const expected = model(writes);
          const seen = new Map<string, number>();
          for (let r = 0; r < runs.length; r++) {
            const { disk, start, payload } = runs[r];
            const ids = (payload as SymbolicPayload).ids;
            // A lone write passes through as it is; otherwise no run is empty.
            if (writes.length > 1) expect(ids.length).toBeGreaterThan(0);
            ids.forEach((id, i) => seen.set(`${disk}:${start + i}`, id));
            if (r > 0) {
              const before = runs[r - 1];
              const beforeEnd = before.start + before.payload.blockCount;
              // Sorted, non-overlapping, and not touching (touching runs would have merged).
              expect(before.disk < disk || (before.disk === disk && beforeEnd < start)).toBe(true);
            }
          }
          expect(seen).toEqual(expected);
        }),
      );
    });
  }

  it('coalesces packed groups (chunks of one log) exactly like the same writes one by one', () => {
    let nextId = 1;
    fc.assert(
      fc.property(fc.array(writesOf(40), { maxLength: 4 }), (groupSpecs) => {
        const groups: PackedWrites[] = [];
        const writes: Write[] = [];
        for (const specs of groupSpecs) {
          const groupWrites = specs.map((s) => ({ disk: s.disk, start: s.start, payload: SymbolicPayload.sequence((nextId += 10), s.count) }));
          writes.push(...groupWrites);
          const content = new Uint32Array(groupWrites.reduce((sum, w) => sum + w.payload.blockCount, 0));
          let at = 0;
          for (const w of groupWrites) {
            content.set(w.payload.ids, at);
            at += w.payload.blockCount;
          }
          groups.push({ disks: groupWrites.map((w) => w.disk), starts: groupWrites.map((w) => w.start), counts: groupWrites.map((w) => w.payload.blockCount), content: groupWrites.length === 0 ? null : new SymbolicPayload(content) });
        }
        const image = (runs: ReturnType<typeof coalesce>) => runs.flatMap((r) => [...(r.payload as SymbolicPayload).ids].map((id, i) => [r.disk, r.start + i, id]));
        const packed = coalescePacked(codec, groups);
        expect(image(packed)).toEqual([...model(writes)].map(([key, id]) => [...key.split(':').map(Number), id]).sort((a, b) => a[0] - b[0] || a[1] - b[1]));
        expect(packed.map((r) => [r.disk, r.start, r.payload.blockCount])).toEqual(coalesce(codec, writes).filter((r) => r.payload.blockCount > 0).map((r) => [r.disk, r.start, r.payload.blockCount]));
      }),
    );
  });

  it('refuses packed writes whose columns and content disagree', () => {
    const content = SymbolicPayload.sequence(1, 2);
    expect(() => coalescePacked(codec, [{ disks: [0], starts: [0], counts: [3], content }])).toThrow(/exactly the blocks/);
    expect(() => coalescePacked(codec, [{ disks: [0, 1], starts: [0], counts: [1], content }])).toThrow(/one disk, start and count/);
    expect(() => coalescePacked(codec, [{ disks: [0], starts: [0], counts: [1], content: null }])).toThrow(/without content/);
  });

  it('passes a single write through and gives nothing for no writes', () => {
    const write = { disk: 1, start: 5, payload: SymbolicPayload.sequence(1, 3) };
    expect(coalesce(codec, [write])).toEqual([write]);
    expect(coalesce(codec, [])).toEqual([]);
  });
});
