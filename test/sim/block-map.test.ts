import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BlockMap, DENSE_BLOCKS_MAX, DenseLanes, PAGE_BLOCKS } from '../../sim/disk/block-map.js';

/** The model: a plain map of every block ever set, with the implicit content elsewhere. */
class ModelMap {
  readonly ids = new Map<number, number>();
  constructor(
    readonly baseBlocks: number,
    readonly baseId: number,
  ) {}
  get(block: number): number {
    return this.ids.get(block) ?? (block < this.baseBlocks ? this.baseId : 0);
  }
  exchange(block: number, id: number): number {
    const old = this.get(block);
    this.ids.set(block, id);
    return old;
  }
  differing(): Array<[number, number]> {
    return [...this.ids].filter(([block, id]) => id !== (block < this.baseBlocks ? this.baseId : 0)).sort((a, b) => a[0] - b[0]);
  }
}

const blockCount = 5 * PAGE_BLOCKS + 17;
/** Blocks anywhere, and often among a few, so that blocks are rewritten and reverted. */
const someBlock = fc.oneof(fc.integer({ min: 0, max: blockCount - 1 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: PAGE_BLOCKS - 2, max: PAGE_BLOCKS + 2 }));
/** Ids small and large: the dense layout stores id XOR implicit id, so ids and base ids with the
 *  top bit set (negative as int32) must come back as the same uint32. */
const someId = fc.constantFrom(0, 1, 2, 3, 4, 0x7fff_ffff, 0x8000_0001, 0xffff_fffe, 0xffff_ffff);

const scenario = fc.record({
  baseBlocks: fc.integer({ min: 0, max: blockCount }),
  baseId: someId,
  operations: fc.array(fc.tuple(someBlock, someId), { maxLength: 200 }),
});

describe('BlockMap: dense and paged layouts behave as one map', () => {
  it('both layouts agree with a plain model on every exchange, read and enumeration', () => {
    fc.assert(
      fc.property(scenario, ({ baseBlocks, baseId, operations }) => {
        const model = new ModelMap(baseBlocks, baseId);
        const paged = new BlockMap(baseBlocks, baseId);
        const dense = new BlockMap(baseBlocks, baseId, blockCount);
        for (const [block, id] of operations) {
          const expected = model.exchange(block, id);
          expect(paged.exchange(block, id)).toBe(expected);
          expect(dense.exchange(block, id)).toBe(expected);
        }
        for (const map of [paged, dense]) {
          for (let block = 0; block < blockCount; block += 7) expect(map.get(block)).toBe(model.get(block));
          expect([...map.differingBlocks()]).toEqual(model.differing());
          expect(visited(map)).toEqual(model.differing());
          expect(map.differingCount).toBe(model.differing().length);
          map.invariants();
        }
        // A dense page counts while it holds a change; a paged page once written (a superset).
        const holding = [...new Set(model.differing().map(([block]) => Math.floor(block / PAGE_BLOCKS)))].sort((a, b) => a - b);
        expect(dense.allocatedRanges()).toEqual(holding.map((page) => [page * PAGE_BLOCKS, (page + 1) * PAGE_BLOCKS]));
        expect(dense.pageCount).toBe(holding.length);
        for (const range of dense.allocatedRanges()) expect(paged.allocatedRanges()).toContainEqual(range);
      }),
    );
  });

  it('counts a dense page while it holds a change: none for a write of the implicit content, none once reverted', () => {
    const dense = new BlockMap(PAGE_BLOCKS, 9, 4 * PAGE_BLOCKS);
    dense.exchange(3, 9);
    dense.exchange(2 * PAGE_BLOCKS + 1, 0);
    expect(dense.pageCount).toBe(0);
    dense.exchange(3, 10);
    dense.exchange(4, 11);
    dense.exchange(3 * PAGE_BLOCKS, 1);
    expect(dense.pageCount).toBe(2);
    expect(dense.get(5)).toBe(9);
    expect(dense.get(PAGE_BLOCKS + 5)).toBe(0);
    dense.exchange(3 * PAGE_BLOCKS, 0);
    expect(dense.pageCount).toBe(1);
    expect(dense.allocatedRanges()).toEqual([[0, PAGE_BLOCKS]]);
    dense.invariants();
  });

  it('warms any block without changing what any block holds, and reads nothing off the disk', () => {
    const dense = new BlockMap(PAGE_BLOCKS, 0xffff_ffff, 2 * PAGE_BLOCKS);
    dense.exchange(5, 7);
    for (const block of [-1, 0, 5, PAGE_BLOCKS + 3, 2 * PAGE_BLOCKS, 10 * PAGE_BLOCKS]) expect(typeof dense.warm(block)).toBe('number');
    expect(new BlockMap(0, 0).warm(3)).toBe(0);
    expect([dense.get(5), dense.get(6), dense.get(PAGE_BLOCKS + 3)]).toEqual([7, 0xffff_ffff, 0]);
    dense.invariants();
  });

  it('refuses a block beyond the disk in the dense layout', () => {
    const dense = new BlockMap(0, 0, PAGE_BLOCKS);
    expect(() => dense.exchange(PAGE_BLOCKS, 1)).toThrow(/beyond the disk/);
    expect(() => dense.exchange(-1, 1)).toThrow(/beyond the disk/);
  });

  it('keeps disks larger than DENSE_BLOCKS_MAX paged, so memory follows the blocks written', () => {
    const large = new BlockMap(0, 0, 2 * DENSE_BLOCKS_MAX);
    large.exchange(2 * DENSE_BLOCKS_MAX - 1, 5);
    expect(large.pageCount).toBe(1);
    expect(large.get(2 * DENSE_BLOCKS_MAX - 1)).toBe(5);
    large.invariants();
  });
});

const sharedScenario = fc.record({
  laneCount: fc.integer({ min: 2, max: 3 }),
  maps: fc.array(fc.record({ baseBlocks: fc.integer({ min: 0, max: blockCount }), baseId: someId }), { minLength: 2, maxLength: 3 }),
  // [which map, block, id]: the maps' writes interleaved in random order, as a disk's and its truth's are.
  operations: fc.array(fc.tuple(fc.nat(), someBlock, someId), { maxLength: 300 }),
});

describe('BlockMap: maps sharing one dense array as interleaved lanes', () => {
  it('each lane behaves as a map of its own, whatever the other lanes hold', () => {
    fc.assert(
      fc.property(sharedScenario, ({ laneCount, maps: specs, operations }) => {
        const used = specs.slice(0, laneCount);
        const lanes = new DenseLanes(blockCount, laneCount);
        // The maps take the last lanes, so a lane index ignored by the layout would show.
        const maps = used.map(({ baseBlocks, baseId }, i) => new BlockMap(baseBlocks, baseId, blockCount, { lanes, lane: laneCount - used.length + i }));
        const models = used.map(({ baseBlocks, baseId }) => new ModelMap(baseBlocks, baseId));
        for (const [which, block, id] of operations) {
          const i = which % maps.length;
          expect(maps[i].exchange(block, id)).toBe(models[i].exchange(block, id));
        }
        maps.forEach((map, i) => {
          const every = Array.from({ length: blockCount }, (_, block) => block);
          expect(every.map((block) => map.get(block))).toEqual(every.map((block) => models[i].get(block)));
          expect([...map.differingBlocks()]).toEqual(models[i].differing());
          expect(visited(map)).toEqual(models[i].differing());
          expect(map.differingCount).toBe(models[i].differing().length);
          const alone = new BlockMap(used[i].baseBlocks, used[i].baseId, blockCount);
          for (const [block, id] of models[i].ids) alone.exchange(block, id);
          expect(map.pageCount).toBe(alone.pageCount);
          expect(map.allocatedRanges()).toEqual(alone.allocatedRanges());
          map.invariants();
        });
      }),
    );
  });

  it('hands each lane to one map only, and only to a map of the lanes\' disk size', () => {
    const lanes = new DenseLanes(3 * PAGE_BLOCKS, 2);
    const first = new BlockMap(0, 0, 3 * PAGE_BLOCKS, { lanes, lane: 0 });
    expect(() => new BlockMap(0, 0, 3 * PAGE_BLOCKS, { lanes, lane: 0 })).toThrow(/already taken/);
    expect(() => new BlockMap(0, 0, 3 * PAGE_BLOCKS, { lanes, lane: 2 })).toThrow(/no lane 2/);
    expect(() => new BlockMap(0, 0, 5 * PAGE_BLOCKS, { lanes, lane: 1 })).toThrow(/size/);
    expect(() => new BlockMap(0, 0, undefined, { lanes, lane: 1 })).toThrow(/size/);
    const second = new BlockMap(0, 0, 3 * PAGE_BLOCKS - 5, { lanes, lane: 1 });
    first.exchange(7, 1);
    second.exchange(7, 2);
    expect([first.get(7), second.get(7)]).toEqual([1, 2]);
    expect(() => second.exchange(3 * PAGE_BLOCKS, 1)).toThrow(/beyond the disk/);
  });
});

/** What forEachDiffering visits, in its order. */
function visited(map: BlockMap): Array<[number, number]> {
  const seen: Array<[number, number]> = [];
  map.forEachDiffering((block, id) => seen.push([block, id]));
  return seen;
}
