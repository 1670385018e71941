import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DiskOracle } from '../../sim/disk/disk-oracle.js';
import { ImageHash } from '../../sim/disk/image-hash.js';
import { VirtualDisk } from '../../sim/disk/virtual-disk.js';
import { SymbolicPayload } from '../../sim/disk/payload.js';
import { Kernel } from '../../sim/kernel.js';
import { RandomStream, ratio } from '../../sim/random.js';
import { micros, type Instant } from '../../model/index.js';

const BLOCKS = 40;

/** Hash of an image computed from scratch, block by block (no range formula, no running sum). */
function freshHash(image: ReadonlyMap<number, number>): string {
  const hash = new ImageHash();
  for (const [block, id] of image) hash.replace(block, 0, id);
  return hash.toString();
}

function nonZero(image: ReadonlyMap<number, number>): Map<number, number> {
  return new Map([...image].filter(([, id]) => id !== 0).sort((a, b) => a[0] - b[0]));
}

interface Snapshot {
  readonly at: number;
  readonly image: Map<number, number>;
  readonly hash: string;
}

/** The brute-force truth at `t`: the last snapshot taken at or before it. */
function truthAt(snapshots: readonly Snapshot[], t: number): Snapshot {
  let found = snapshots[0];
  for (const snapshot of snapshots) if (snapshot.at <= t) found = snapshot;
  return found;
}

function checkAgainstSnapshots(oracle: DiskOracle, snapshots: readonly Snapshot[], queries: readonly number[]): void {
  const end = snapshots[snapshots.length - 1].at;
  const times = [...queries.map((q) => q % (end + 2)), ...snapshots.map((s) => s.at), end + 1];
  for (const t of times) {
    const truth = truthAt(snapshots, t);
    expect(nonZero(oracle.imageAt(t))).toEqual(nonZero(truth.image));
    expect(oracle.imageHashAt(t)).toBe(truth.hash);
    expect(oracle.imageHashAt(t)).toBe(freshHash(truth.image));
    for (let block = 0; block < BLOCKS; block++) expect(oracle.idAt(block, t)).toBe(truth.image.get(block) ?? 0);
  }
}

const change = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    gap: fc.integer({ min: 0, max: 4 }),
    start: fc.integer({ min: 0, max: BLOCKS - 6 }),
    ids: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 6 }),
    acknowledged: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('reversion' as const),
    gap: fc.integer({ min: 0, max: 4 }),
    blocks: fc.uniqueArray(fc.integer({ min: 0, max: BLOCKS - 1 }), { minLength: 1, maxLength: 6 }),
    id: fc.integer({ min: 0, max: 9 }),
  }),
);

describe('disk oracle, fed directly', () => {
  it('reconstructs the image, its hash and every block at any instant, as a brute-force replay does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: BLOCKS }),
        fc.integer({ min: 0, max: 9 }),
        fc.array(change, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (baseBlocks, baseId, changes, queries) => {
          const oracle = new DiskOracle('d');
          const hash = new ImageHash();
          hash.addRange(0, baseBlocks, baseId);
          const image = new Map<number, number>();
          for (let block = 0; block < baseBlocks; block++) image.set(block, baseId);
          const start = 10;
          oracle.begin(start as Instant, baseBlocks, baseId, hash);
          const snapshots: Snapshot[] = [{ at: start, image: new Map(image), hash: hash.toString() }];
          const acknowledged: Array<{ at: number; start: number; ids: number[] }> = [];
          let now = start;
          const set = (block: number, id: number): void => {
            hash.replace(block, image.get(block) ?? 0, id);
            image.set(block, id);
          };
          for (const step of changes) {
            now += step.gap;
            if (step.kind === 'write') {
              step.ids.forEach((id, i) => set(step.start + i, id));
              oracle.recordWrite(now as Instant, step.start, Uint32Array.from(step.ids), step.ids.length, step.acknowledged, hash);
              if (step.acknowledged) acknowledged.push({ at: now, start: step.start, ids: step.ids });
            } else {
              const ids = step.blocks.map((block) => (block + step.id) % 10);
              step.blocks.forEach((block, i) => set(block, ids[i]));
              oracle.recordReversion(now as Instant, step.blocks, ids, hash);
            }
            snapshots.push({ at: now, image: new Map(image), hash: hash.toString() });
          }
          oracle.invariants();
          expect(oracle.changeCount).toBe(changes.length);
          checkAgainstSnapshots(oracle, snapshots, queries);
          expect(oracle.acknowledgedWrites().map((w) => ({ at: w.at, start: w.start, ids: [...w.ids] }))).toEqual(acknowledged);
        },
      ),
    );
  });

  it('refuses changes that go back in time and a second disk', () => {
    const oracle = new DiskOracle('d');
    const hash = new ImageHash();
    oracle.begin(5 as Instant, 0, 0, hash);
    oracle.recordWrite(7 as Instant, 0, Uint32Array.of(1), 1, true, hash);
    expect(() => oracle.recordWrite(6 as Instant, 0, Uint32Array.of(1), 1, true, hash)).toThrow(/before the previous/);
    expect(() => oracle.begin(8 as Instant, 0, 0, hash)).toThrow(/second disk/);
  });
});

describe('disk oracle attached to a virtual disk', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), at: fc.integer({ min: 0, max: 600 }), start: fc.integer({ min: 0, max: BLOCKS - 5 }), count: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ kind: fc.constant('flush' as const), at: fc.integer({ min: 0, max: 600 }) }),
    fc.record({ kind: fc.constant('crash' as const), at: fc.integer({ min: 0, max: 600 }) }),
  );

  it('matches snapshots of the disk taken after every event, across power losses', () => {
    let runsWithReversions = 0;
    let runsWithUnacknowledged = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), fc.string(), fc.array(fc.nat(), { maxLength: 6 }), (ops, writeCache, seed, queries) => {
        const kernel = new Kernel();
        const oracle = new DiskOracle('d');
        const disk = new VirtualDisk({
          deviceId: 'd',
          blockSizeBytes: 64,
          blockCount: BLOCKS,
          mode: 'symbolic',
          writeCache,
          latency: { readMin: micros(5), readMax: micros(20), writeMin: micros(5), writeMax: micros(60), flush: micros(15) },
          baseImage: { blocks: 8, writeId: 1 },
          kernel,
          random: new RandomStream(seed),
          oracle,
          crashLoss: { lost: ratio(1, 3), torn: ratio(1, 3) },
        });
        let nextId = 2;
        for (const step of ops) {
          kernel.scheduleAt(step.at as Instant, 'test', () => {
            if (step.kind === 'write') {
              disk.write(step.start, SymbolicPayload.sequence(nextId, step.count), () => {});
              nextId += step.count;
            } else if (step.kind === 'flush') disk.flush(() => {});
            else disk.powerLoss();
          });
        }
        const snapshot = (): Snapshot => {
          const image = new Map<number, number>();
          for (let block = 0; block < BLOCKS; block++) image.set(block, disk.pristineId(block));
          return { at: kernel.now(), image, hash: disk.imageHash() };
        };
        const snapshots: Snapshot[] = [snapshot()];
        for (;;) {
          const outcome = kernel.run({ maxEvents: 1 });
          snapshots.push(snapshot());
          if (outcome !== 'event-limit') break;
        }
        disk.invariants();
        oracle.invariants();
        checkAgainstSnapshots(oracle, snapshots, queries);
        const kinds = new Set(Array.from({ length: oracle.changeCount }, (_, i) => oracle.changeAt(i).kind));
        if (!ops.some((step) => step.kind === 'crash')) expect(kinds.has('crash-reversion') || kinds.has('unacknowledged-write')).toBe(false);
        if (kinds.has('crash-reversion')) runsWithReversions++;
        if (kinds.has('unacknowledged-write')) runsWithUnacknowledged++;
      }),
      { numRuns: 200 },
    );
    expect(runsWithReversions).toBeGreaterThan(5);
    expect(runsWithUnacknowledged).toBeGreaterThan(5);
  });
});
