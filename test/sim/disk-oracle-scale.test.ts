// The oracle's storage is a log of rows in fixed-size chunks, found through samples taken every
// few hundred bytes, with one image hash per instant rather than per change. These tests drive it
// across many chunk boundaries and samples, with many changes per instant, and compare every query
// with a replay.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DiskOracle, type OracleChangeKind } from '../../sim/disk/disk-oracle.js';
import { ImageHash } from '../../sim/disk/image-hash.js';
import { RandomStream } from '../../sim/random.js';
import type { Instant } from '../../model/index.js';

const BLOCKS = 300;

interface ModelChange {
  readonly at: number;
  readonly kind: OracleChangeKind;
  /** (block, id) pairs in the order the change applies them. */
  readonly pairs: ReadonlyArray<readonly [number, number]>;
  readonly start: number;
  readonly hash: string;
}

interface Recorded {
  readonly oracle: DiskOracle;
  readonly changes: readonly ModelChange[];
  readonly baseHash: string;
  readonly baseAt: number;
}

/** Records `count` random changes: writes of 1 to 9 blocks (some of 2000 blocks, to span word
 *  chunks), reversions, several changes per instant. */
function record(seed: number, count: number): Recorded {
  const random = new RandomStream(`oracle-scale/${seed}`);
  const oracle = new DiskOracle('d');
  const hash = new ImageHash();
  const image = new Map<number, number>();
  const baseBlocks = random.between(0, 40);
  const baseId = baseBlocks > 0 ? 7 : 0;
  for (let block = 0; block < baseBlocks; block++) image.set(block, baseId);
  hash.addRange(0, baseBlocks, baseId);
  const baseAt = random.between(0, 5);
  oracle.begin(baseAt as Instant, baseBlocks, baseId, hash);
  const baseHash = hash.toString();
  const changes: ModelChange[] = [];
  let at = baseAt;
  let nextId = 100;
  for (let c = 0; c < count; c++) {
    if (random.chance({ numerator: 1, denominator: 3 })) at += random.between(1, 1000);
    const set = (block: number, id: number): void => {
      hash.replace(block, image.get(block) ?? 0, id);
      image.set(block, id);
    };
    if (random.chance({ numerator: 1, denominator: 10 })) {
      const pairs: Array<[number, number]> = [];
      const seen = new Set<number>();
      const size = random.between(1, 6);
      for (let i = 0; i < size; i++) {
        const block = random.nextInt(BLOCKS);
        if (seen.has(block)) continue;
        seen.add(block);
        pairs.push([block, random.chance({ numerator: 1, denominator: 4 }) ? 0 : nextId++]);
      }
      for (const [block, id] of pairs) set(block, id);
      oracle.recordReversion(at as Instant, pairs.map((p) => p[0]), pairs.map((p) => p[1]), hash);
      changes.push({ at, kind: 'crash-reversion', pairs, start: -1, hash: hash.toString() });
      continue;
    }
    const size = random.chance({ numerator: 1, denominator: 200 }) ? 2000 : random.between(1, 9);
    const start = random.nextInt(BLOCKS - Math.min(size, BLOCKS - 1));
    const blocks = Math.min(size, BLOCKS - start);
    const ids = new Uint32Array(blocks);
    for (let i = 0; i < blocks; i++) ids[i] = nextId++;
    ids.forEach((id, i) => set(start + i, id));
    const acknowledged = random.chance({ numerator: 4, denominator: 5 });
    oracle.recordWrite(at as Instant, start, ids, blocks, acknowledged, hash);
    const pairs = Array.from(ids, (id, i) => [start + i, id] as const);
    changes.push({ at, kind: acknowledged ? 'acknowledged-write' : 'unacknowledged-write', pairs, start, hash: hash.toString() });
  }
  return { oracle, changes, baseHash, baseAt };
}

function replay(recorded: Recorded, t: number, baseBlocks: number): Map<number, number> {
  const image = new Map<number, number>();
  for (let block = 0; block < baseBlocks; block++) image.set(block, 7);
  for (const change of recorded.changes) {
    if (change.at > t) break;
    for (const [block, id] of change.pairs) image.set(block, id);
  }
  return image;
}

const nonZero = (image: ReadonlyMap<number, number>): Array<[number, number]> => [...image].filter(([, id]) => id !== 0).sort((a, b) => a[0] - b[0]);

describe('disk oracle at scale', () => {
  it('answers every query like a replay, across chunk boundaries and shared instants', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seed) => {
        const recorded = record(seed, 3000);
        const { oracle, changes } = recorded;
        oracle.invariants();
        expect(oracle.changeCount).toBe(changes.length);
        changes.forEach((change, i) => expect(oracle.changeAt(i)).toEqual({ kind: change.kind, at: change.at, blockCount: change.pairs.length }));
        const acknowledged = changes.filter((c) => c.kind === 'acknowledged-write');
        expect(oracle.acknowledgedWrites().map((w) => [w.at, w.start, [...w.ids]])).toEqual(acknowledged.map((c) => [c.at, c.start, c.pairs.map((p) => p[1])]));
        const instants = [...new Set(changes.map((c) => c.at))];
        const probes = [recorded.baseAt - 1, recorded.baseAt, ...instants.flatMap((t) => [t - 1, t, t + 1])];
        for (const t of probes) {
          const last = changes.filter((c) => c.at <= t).pop();
          expect(oracle.imageHashAt(t), `hash at ${t}`).toBe(last?.hash ?? recorded.baseHash);
        }
        const baseBlocks = [...Array(BLOCKS).keys()].filter((block) => oracle.idAt(block, recorded.baseAt - 1) === 7).length;
        for (const t of instants.filter((_, i) => i % 97 === 0)) {
          const truth = replay(recorded, t, baseBlocks);
          expect(nonZero(oracle.imageAt(t))).toEqual(nonZero(truth));
          for (let block = 0; block < BLOCKS; block += 7) expect(oracle.idAt(block, t)).toBe(truth.get(block) ?? 0);
        }
      }),
      { numRuns: 4 },
    );
  });

  it('refuses a change before the previous instant', () => {
    const oracle = new DiskOracle('d');
    const hash = new ImageHash();
    oracle.begin(10 as Instant, 0, 0, hash);
    oracle.recordWrite(20 as Instant, 0, Uint32Array.of(1), 1, true, hash);
    oracle.recordWrite(20 as Instant, 1, Uint32Array.of(2), 1, true, hash);
    expect(() => oracle.recordWrite(19 as Instant, 0, Uint32Array.of(3), 1, true, hash)).toThrow(/before the previous one/);
    expect(() => oracle.recordWrite(5 as Instant, 0, Uint32Array.of(3), 1, true, hash)).toThrow(/before the previous one/);
  });
});
