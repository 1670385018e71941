// The oracle stores changes as rows of a word log (a compact row for one-block acknowledged writes
// below block 2^29, an instant's time in its header when it is a whole number of microseconds
// below 2^28 after the previous one, samples every SAMPLE_WORDS words, chunks of 4096 words) and
// indexes it lazily. This model-based test drives it with changes at the edges of those encodings
// (block 2^29 - 1 and 2^29, gaps of 2^28 - 1, 2^28 and fractions, instants of hundreds of changes,
// runs long enough to span chunks), asking queries between changes, and compares every answer
// with a plain array of changes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DiskOracle, type OracleChangeKind } from '../../sim/disk/disk-oracle.js';
import { ImageHash } from '../../sim/disk/image-hash.js';
import type { Instant } from '../../model/index.js';

const EDGE_START = 2 ** 29;
const EDGE_GAP = 2 ** 28;

interface Change {
  readonly at: number;
  readonly kind: OracleChangeKind;
  /** (block, id) pairs in the order the change applies them. */
  readonly pairs: ReadonlyArray<readonly [number, number]>;
  readonly start: number;
  readonly hash: string;
}

/** The plain reference: the changes in order, answering every query by a linear replay. */
class Reference {
  readonly changes: Change[] = [];
  constructor(
    readonly baseAt: number,
    readonly baseBlocks: number,
    readonly baseId: number,
    readonly baseHash: string,
  ) {}

  hashAt(t: number): string {
    let hash = this.baseHash;
    for (const change of this.changes) if (change.at <= t) hash = change.hash;
    return hash;
  }

  idAt(block: number, t: number): number {
    let id = block < this.baseBlocks ? this.baseId : 0;
    for (const change of this.changes) if (change.at <= t) for (const [b, i] of change.pairs) if (b === block) id = i;
    return id;
  }

  imageAt(t: number): Array<[number, number]> {
    const image = new Map<number, number>();
    for (let block = 0; block < this.baseBlocks; block++) image.set(block, this.baseId);
    for (const change of this.changes) if (change.at <= t) for (const [b, i] of change.pairs) image.set(b, i);
    return [...image].filter(([, id]) => id !== 0).sort((x, y) => x[0] - y[0]);
  }
}

const gap = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(EDGE_GAP - 1, EDGE_GAP, EDGE_GAP + 1, 0.5, 2 ** 40 + 3) },
);
const start = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom(EDGE_START - 2, EDGE_START - 1, EDGE_START, EDGE_START + 1, 2 ** 32 - 4) },
);
const step = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('write' as const), gap, start, count: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 4 })), acknowledged: fc.oneof(fc.constant(true), fc.boolean()) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('burst' as const), gap, writes: fc.integer({ min: 1, max: 400 }), gapEvery: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reversion' as const), gap, blocks: fc.uniqueArray(start, { minLength: 0, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('query' as const), pick: fc.nat(), block: start, nudge: fc.constantFrom(-1, 0, 1) }) },
);

type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

function run(steps: readonly Step[], baseBlocks = 5, baseId = 3): void {
  const oracle = new DiskOracle('d');
  const hash = new ImageHash();
  hash.addRange(0, baseBlocks, baseId);
  const image = new Map<number, number>();
  for (let block = 0; block < baseBlocks; block++) image.set(block, baseId);
  const baseAt = 100;
  oracle.begin(baseAt as Instant, baseBlocks, baseId, hash);
  const reference = new Reference(baseAt, baseBlocks, baseId, hash.toString());
  let at = baseAt;
  let nextId = 10;
  const set = (block: number, id: number): void => {
    hash.replace(block, image.get(block) ?? 0, id);
    image.set(block, id);
  };
  const write = (first: number, count: number, acknowledged: boolean): void => {
    const ids = new Uint32Array(count + 2);
    for (let i = 0; i < ids.length; i++) ids[i] = nextId++;
    // The ids sit at an offset in a larger array, as a guest's batch hands them over.
    for (let i = 0; i < count; i++) set(first + i, ids[1 + i]);
    oracle.recordWrite(at as Instant, first, ids, count, acknowledged, hash, 1);
    const pairs = Array.from({ length: count }, (_, i) => [first + i, ids[1 + i]] as const);
    reference.changes.push({ at, kind: acknowledged ? 'acknowledged-write' : 'unacknowledged-write', pairs, start: first, hash: hash.toString() });
  };
  const times = (): number[] => [baseAt - 1, baseAt, ...reference.changes.map((c) => c.at)];
  for (const s of steps) {
    if (s.kind === 'query') {
      const candidates = times();
      const t = candidates[s.pick % candidates.length] + s.nudge;
      expect(oracle.imageHashAt(t), `hash at ${t}`).toBe(reference.hashAt(t));
      const touched = reference.changes.flatMap((c) => c.pairs.map((p) => p[0]));
      const block = touched.length > 0 && s.pick % 3 !== 0 ? touched[s.pick % touched.length] : s.block;
      expect(oracle.idAt(block, t), `block ${block} at ${t}`).toBe(reference.idAt(block, t));
      if (reference.changes.length > 0) {
        const index = s.pick % reference.changes.length;
        const change = reference.changes[index];
        expect(oracle.changeAt(index), `change ${index}`).toEqual({ kind: change.kind, at: change.at, blockCount: change.pairs.length });
      }
      continue;
    }
    at += s.gap;
    if (s.kind === 'write') write(s.start, s.count, s.acknowledged);
    else if (s.kind === 'burst') {
      for (let i = 0; i < s.writes; i++) {
        if (i > 0 && i % s.gapEvery === 0) at += 1 + (i % 7);
        write((i * 37) % 50, 1, true);
      }
    } else {
      const pairs = s.blocks.map((block, i) => [block, i % 2 === 0 ? 0 : nextId++] as const);
      for (const [block, id] of pairs) set(block, id);
      oracle.recordReversion(at as Instant, pairs.map((p) => p[0]), pairs.map((p) => p[1]), hash);
      reference.changes.push({ at, kind: 'crash-reversion', pairs, start: -1, hash: hash.toString() });
    }
  }
  oracle.invariants();
  expect(oracle.changeCount).toBe(reference.changes.length);
  const all = times();
  for (const t of all.filter((_, i) => i % Math.ceil(all.length / 12) === 0).concat(at, at + 1)) {
    expect(oracle.imageHashAt(t), `hash at ${t}`).toBe(reference.hashAt(t));
    expect(oracle.imageAt(t).size).toBe(reference.imageAt(t).length);
    expect([...oracle.imageAt(t)].sort((x, y) => x[0] - y[0])).toEqual(reference.imageAt(t));
  }
  reference.changes.forEach((change, i) => expect(oracle.changeAt(i), `change ${i}`).toEqual({ kind: change.kind, at: change.at, blockCount: change.pairs.length }));
  const acknowledged = reference.changes.filter((c) => c.kind === 'acknowledged-write');
  expect(oracle.acknowledgedWrites().map((w) => [w.at, w.start, [...w.ids]])).toEqual(acknowledged.map((c) => [c.at, c.start, c.pairs.map((p) => p[1])]));
  oracle.invariants();
}

describe('disk oracle log layout', () => {
  it('answers like a plain list of changes at the edges of every row encoding, with queries between changes', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => run(steps)),
      { numRuns: 150 },
    );
  });

  it('spans log chunks at every alignment of its rows, and samples across huge instants', () => {
    // Day-like runs of 5-write batches (13 words each: an instant's row and five single rows)
    // cross the first chunk boundary at an alignment set by a leading write of `shift` blocks,
    // so each kind of row meets the boundary at each position; then one instant far larger than
    // the samples' spacing, then the edge encodings, with queries throughout.
    for (let shift = 0; shift < 13; shift++) {
      const steps: Step[] = [{ kind: 'write', gap: 0, start: 0, count: shift, acknowledged: false }];
      for (let batch = 0; batch < 330; batch++) {
        steps.push({ kind: 'burst', gap: 60, writes: 5, gapEvery: 80 });
        if (batch % 25 === 0) steps.push({ kind: 'query', pick: batch * 7919 + shift, block: 3, nudge: ((batch % 3) - 1) as -1 | 0 | 1 });
      }
      steps.push({ kind: 'burst', gap: 1, writes: 600, gapEvery: 5000 });
      for (let i = 0; i < 20; i++) steps.push({ kind: 'query', pick: i * 104_729 + shift, block: 3, nudge: ((i % 3) - 1) as -1 | 0 | 1 });
      steps.push({ kind: 'write', gap: EDGE_GAP, start: EDGE_START - 1, count: 1, acknowledged: true });
      steps.push({ kind: 'write', gap: EDGE_GAP - 1, start: EDGE_START, count: 1, acknowledged: true });
      steps.push({ kind: 'write', gap: 0.5, start: 7, count: 3, acknowledged: false });
      steps.push({ kind: 'query', pick: 5, block: EDGE_START, nudge: 0 });
      run(steps);
    }
  });

  it('rejects a change whose block count does not fit a row header', () => {
    const oracle = new DiskOracle('d');
    const hash = new ImageHash();
    oracle.begin(0 as Instant, 0, 0, hash);
    expect(() => oracle.recordReversion(1 as Instant, { length: 2 ** 28 } as number[], { length: 2 ** 28 } as number[], hash)).toThrow(/more than/);
  });
});
