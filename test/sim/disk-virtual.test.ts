import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualDisk, type CrashLoss, type PowerLossReport, type VirtualDiskOptions } from '../../sim/disk/virtual-disk.js';
import { BytesPayload, SimCodec, SymbolicPayload, contentBytes } from '../../sim/disk/payload.js';
import { ImageHash } from '../../sim/disk/image-hash.js';
import { FOREIGN_ID_BIT } from '../../sim/disk/content-bytes.js';
import { Kernel } from '../../sim/kernel.js';
import { ALWAYS, NEVER, RandomStream, ratio } from '../../sim/random.js';
import { micros, type Instant } from '../../model/index.js';
import type { IoResult, Payload } from '../../engine/ports.js';

const BLOCK = 64;
const BLOCKS = 48;

function makeDisk(kernel: Kernel, overrides: Partial<VirtualDiskOptions> = {}): VirtualDisk {
  return new VirtualDisk({
    deviceId: 'vhd-0',
    blockSizeBytes: BLOCK,
    blockCount: BLOCKS,
    mode: 'symbolic',
    writeCache: true,
    latency: { readMin: micros(5), readMax: micros(20), writeMin: micros(5), writeMax: micros(60), flush: micros(15) },
    kernel,
    random: new RandomStream('disk'),
    ...overrides,
  });
}

/** Runs one operation to completion and returns its result. */
function complete<T>(kernel: Kernel, issue: (done: (result: IoResult<T>) => void) => void): IoResult<T> {
  let result: IoResult<T> | null = null;
  issue((r) => {
    result = r;
  });
  kernel.run();
  expect(result).not.toBeNull();
  return result!;
}

function readIds(kernel: Kernel, disk: VirtualDisk, start: number, count: number): IoResult<Payload> {
  return complete<Payload>(kernel, (done) => disk.read(start, count, done));
}

function hashOf(image: ReadonlyMap<number, number>): string {
  const hash = new ImageHash();
  for (const [block, id] of image) hash.replace(block, 0, id);
  return hash.toString();
}

function diskImage(disk: VirtualDisk): Map<number, number> {
  const image = new Map<number, number>();
  for (let block = 0; block < disk.blockCount; block++) image.set(block, disk.pristineId(block));
  return image;
}

const popcount = (x: number): number => {
  let count = 0;
  for (let v = x >>> 0; v !== 0; v >>>= 1) count += v & 1;
  return count;
};

describe('virtual disk: basic semantics', () => {
  it('completes operations as later events, changes content at completion, and tells observers before the caller', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel);
    const order: string[] = [];
    disk.attachObserver({
      onWrite: (start, payload, at) => {
        order.push(`observer ${start} ${payload.blockCount} ${at === kernel.now()} ${disk.pristineId(start)}`);
      },
    });
    let returned = false;
    disk.write(3, SymbolicPayload.filled(42, 2), (result) => {
      expect(returned).toBe(true);
      order.push(`done ${result.ok}`);
    });
    returned = true;
    expect(disk.pristineId(3)).toBe(0);
    kernel.run();
    expect(order).toEqual(['observer 3 2 true 42', 'done true']);
    expect(kernel.now()).toBeGreaterThanOrEqual(5);
    const read = readIds(kernel, disk, 2, 3);
    expect(read.ok && [...(read.value as SymbolicPayload).ids]).toEqual([0, 42, 42]);
  });

  it('detaches observers', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel);
    let seen = 0;
    const detach = disk.attachObserver({ onWrite: () => seen++ });
    complete(kernel, (done) => disk.write(0, SymbolicPayload.filled(1, 1), done));
    detach();
    complete(kernel, (done) => disk.write(0, SymbolicPayload.filled(2, 1), done));
    expect(seen).toBe(1);
  });

  it('fails operations while offline and in-flight ones when it goes offline, without landing them', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel);
    const results: Array<IoResult<void>> = [];
    disk.write(0, SymbolicPayload.filled(7, 1), (r) => results.push(r));
    disk.setOnline(false);
    kernel.run();
    expect(results).toEqual([{ ok: false, error: { kind: 'device-offline' } }]);
    expect(disk.pristineId(0)).toBe(0);
    expect(complete(kernel, (done) => disk.flush(done))).toEqual({ ok: false, error: { kind: 'device-offline' } });
    expect(readIds(kernel, disk, 0, 1)).toEqual({ ok: false, error: { kind: 'device-offline' } });
    disk.setOnline(true);
    expect(complete(kernel, (done) => disk.write(0, SymbolicPayload.filled(8, 1), done))).toEqual({ ok: true, value: undefined });
    expect(disk.pristineId(0)).toBe(8);
  });

  it('reports out-of-range blocks as errors, as later events', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel);
    expect(readIds(kernel, disk, BLOCKS - 1, 2)).toEqual({ ok: false, error: { kind: 'out-of-range', block: BLOCKS } });
    expect(readIds(kernel, disk, -1, 1)).toEqual({ ok: false, error: { kind: 'out-of-range', block: -1 } });
    expect(complete(kernel, (done) => disk.write(BLOCKS, SymbolicPayload.filled(1, 1), done))).toEqual({ ok: false, error: { kind: 'out-of-range', block: BLOCKS } });
  });

  it('stretches latency by the latency factor', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel, { latency: { readMin: micros(10), readMax: micros(10), writeMin: micros(10), writeMax: micros(10), flush: micros(10) } });
    disk.setLatencyFactor(7);
    complete(kernel, (done) => disk.write(0, SymbolicPayload.filled(1, 1), done));
    expect(kernel.now()).toBe(70);
  });

  it('stays sparse on a huge disk: memory follows the blocks written', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel, { blockCount: 2 ** 32, baseImage: { blocks: 2 ** 31, writeId: 3 } });
    for (const block of [0, 2 ** 31 - 1, 2 ** 31 + 5, 2 ** 32 - 1]) complete(kernel, (done) => disk.write(block, SymbolicPayload.filled(9, 1), done));
    expect(disk.contentPageCount).toBe(4);
    expect(disk.writtenBlockCount).toBe(4);
    expect(disk.pristineId(2 ** 31 - 2)).toBe(3);
    expect(disk.pristineId(2 ** 31 + 5)).toBe(9);
    expect(disk.pristineId(2 ** 31 + 6)).toBe(0);
    expect([...disk.writtenBlocks()]).toEqual([[0, 9], [2 ** 31 - 1, 9], [2 ** 31 + 5, 9], [2 ** 32 - 1, 9]]);
    disk.invariants();
  });
});

// -----------------------------------------------------------------------------------------------

interface WriteRecord {
  readonly start: number;
  readonly ids: readonly number[];
}

const crashLoss: fc.Arbitrary<CrashLoss> = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.nat(12), fc.nat(12))
  .filter(([d, l, t]) => l + t <= d)
  .map(([d, l, t]) => ({ lost: ratio(l, d), torn: ratio(t, d) }));

const crashOp = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('write' as const), at: fc.integer({ min: 0, max: 400 }), start: fc.integer({ min: 0, max: BLOCKS - 6 }), count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const), at: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('durable' as const), at: fc.integer({ min: 0, max: 400 }), start: fc.integer({ min: 0, max: BLOCKS - 6 }), count: fc.integer({ min: 1, max: 6 }) }) },
);

describe('virtual disk: power loss', () => {
  it('loses exactly the non-durable writes the fault model says, never a flushed or durably written one', () => {
    let tornSeen = 0;
    let keptUnflushed = 0;
    let durableLogged = 0;
    fc.assert(
      fc.property(fc.array(crashOp, { maxLength: 30 }), fc.integer({ min: 0, max: 450 }), crashLoss, fc.boolean(), fc.string(), (ops, crashAt, loss, writeCache, seed) => {
        const kernel = new Kernel();
        const disk = makeDisk(kernel, { writeCache, crashLoss: loss, random: new RandomStream(seed), baseImage: { blocks: 10, writeId: 1 } });
        // `logged`: the write is in the volatile log. A durable write is logged only behind
        // volatile writes not yet flushed (it must outlive them), and is then always kept; once
        // a flush leaves no volatile write in the log, the durable ones leave it too.
        type Logged = WriteRecord & { logged: boolean; durable: boolean };
        const volatileLeft = (): boolean => completed.slice(durableCount).some((w) => w.logged && !w.durable);
        const completed: Logged[] = [];
        const inFlight: WriteRecord[] = [];
        let report: PowerLossReport | null = null;
        let inFlightAtCrash: WriteRecord[] = [];
        let completedAtCrash = 0;
        kernel.scheduleAt(crashAt as Instant, 'crash', () => {
          inFlightAtCrash = [...inFlight];
          completedAtCrash = completed.length;
          report = disk.powerLoss();
        });
        let durableCount = 0;
        let nextId = 2;
        for (const step of ops.filter((o) => o.at < crashAt)) {
          kernel.scheduleAt(step.at as Instant, 'issue', () => {
            if (step.kind === 'flush') {
              const covered = completed.length;
              disk.flush((r) => {
                if (r.ok) durableCount = Math.max(durableCount, covered);
                if (!volatileLeft()) for (const w of completed.slice(durableCount)) w.logged = false;
              });
              return;
            }
            const record = { start: step.start, ids: Array.from({ length: step.count }, () => nextId++) };
            inFlight.push(record);
            const payload = new SymbolicPayload(Uint32Array.from(record.ids));
            const done = (r: IoResult<void>): void => {
              inFlight.splice(inFlight.indexOf(record), 1);
              if (!r.ok) return;
              const logged = writeCache && (step.kind === 'write' || volatileLeft());
              if (step.kind === 'durable' && logged) durableLogged++;
              completed.push({ ...record, logged, durable: step.kind === 'durable' });
            };
            if (step.kind === 'write') disk.write(step.start, payload, done);
            else disk.writeManyDurable([{ start: step.start, payload }], done);
          });
        }
        kernel.run();
        expect(completed.length).toBe(completedAtCrash);
        expect(report).not.toBeNull();
        const { writes } = report!;
        // Every write the log does not hold precedes every write it holds (see Logged).
        const durable = completed.filter((w, i) => i < durableCount || !w.logged);
        const unflushed = completed.filter((w, i) => i >= durableCount && w.logged);
        expect(durable.every((w) => completed.indexOf(w) < Math.min(...unflushed.map((u) => completed.indexOf(u))))).toBe(true);
        const candidates = [...unflushed, ...inFlightAtCrash];
        expect(writes.map((w) => [w.start, w.blockCount, w.acknowledged])).toEqual(candidates.map((c, i) => [c.start, c.ids.length, i < unflushed.length]));
        const expected = new Map<number, number>();
        for (let block = 0; block < BLOCKS; block++) expected.set(block, block < 10 ? 1 : 0);
        for (const write of durable) write.ids.forEach((id, i) => expected.set(write.start + i, id));
        writes.forEach((fate, i) => {
          const count = fate.blockCount;
          if (fate.fate === 'lost') expect(fate.keptBlocks).toBe(0);
          if (fate.fate === 'kept') expect(fate.keptBlocks).toBe(count);
          if (fate.fate === 'torn') {
            expect(fate.keptBlocks).toBeGreaterThanOrEqual(1);
            expect(fate.keptBlocks).toBeLessThan(count);
            tornSeen++;
          }
          if (fate.acknowledged && fate.keptBlocks > 0) keptUnflushed++;
          if (i < unflushed.length && unflushed[i].durable) expect(fate.fate).toBe('kept');
          candidates[i].ids.slice(0, fate.keptBlocks).forEach((id, j) => expected.set(candidates[i].start + j, id));
        });
        expect(diskImage(disk)).toEqual(expected);
        expect(disk.imageHash()).toBe(hashOf(expected));
        disk.invariants();
      }),
      { numRuns: 300 },
    );
    expect(tornSeen).toBeGreaterThan(0);
    expect(keptUnflushed).toBeGreaterThan(0);
    expect(durableLogged).toBeGreaterThan(0); // durable writes behind volatile ones were tried
  });

  it('keeps exactly the flushed and durably written image across long runs of overlapping writes and flushes (log growth and compaction)', () => {
    const rareFlushes = fc.oneof(
      { weight: 24, arbitrary: crashOp.filter((op) => op.kind === 'write') },
      { weight: 6, arbitrary: crashOp.filter((op) => op.kind === 'durable') },
      { weight: 1, arbitrary: crashOp.filter((op) => op.kind === 'flush') },
    );
    let durableLogged = 0;
    fc.assert(
      fc.property(fc.array(rareFlushes, { minLength: 300, maxLength: 600 }), fc.boolean(), fc.string(), (ops, loseAll, seed) => {
        const kernel = new Kernel();
        const disk = makeDisk(kernel, { crashLoss: { lost: loseAll ? ALWAYS : NEVER, torn: NEVER }, random: new RandomStream(seed) });
        // As in the property above: which completed writes the log holds.
        const completed: Array<WriteRecord & { logged: boolean; durable: boolean }> = [];
        let durableCount = 0;
        let nextId = 1;
        const volatileLeft = (): boolean => completed.slice(durableCount).some((w) => w.logged && !w.durable);
        ops.forEach((step, i) => {
          kernel.scheduleAt((i * 7 + (step.at % 50)) as Instant, 'issue', () => {
            if (step.kind === 'flush') {
              const covered = completed.length;
              disk.flush(() => {
                durableCount = Math.max(durableCount, covered);
                if (!volatileLeft()) for (const w of completed.slice(durableCount)) w.logged = false;
              });
              return;
            }
            const record = { start: step.start, ids: Array.from({ length: step.count }, () => nextId++) };
            const payload = new SymbolicPayload(Uint32Array.from(record.ids));
            const done = (): void => {
              const logged = step.kind === 'write' || volatileLeft();
              if (step.kind === 'durable' && logged) durableLogged++;
              completed.push({ ...record, logged, durable: step.kind === 'durable' });
            };
            if (step.kind === 'write') disk.write(step.start, payload, done);
            else disk.writeManyDurable([{ start: step.start, payload }], done);
          });
        });
        for (let at = 0; at < ops.length * 7 + 60; at += 23) kernel.scheduleAt(at as Instant, 'check', () => disk.invariants());
        kernel.run();
        const expected = new Map(Array.from({ length: BLOCKS }, (_, block) => [block, 0]));
        const kept = loseAll ? completed.filter((w, i) => i < durableCount || w.durable) : completed;
        for (const write of kept) write.ids.forEach((id, j) => expected.set(write.start + j, id));
        const report = disk.powerLoss();
        expect(report.writes.length).toBe(completed.slice(durableCount).filter((w) => w.logged).length);
        expect(diskImage(disk)).toEqual(expected);
      }),
      { numRuns: 25 },
    );
    expect(durableLogged).toBeGreaterThan(64); // past the log's first record arrays: growth and compaction with durable records
  });

  it('loses every unflushed write when the loss ratio is 1, and none when it is 0', () => {
    for (const [lost, expectWrite] of [[ALWAYS, false], [NEVER, true]] as const) {
      const kernel = new Kernel();
      const disk = makeDisk(kernel, { crashLoss: { lost, torn: NEVER } });
      complete(kernel, (done) => disk.write(0, SymbolicPayload.filled(5, 2), done));
      complete(kernel, (done) => disk.flush(done));
      complete(kernel, (done) => disk.write(1, SymbolicPayload.filled(6, 2), done));
      const report = disk.powerLoss();
      expect(report.writes).toHaveLength(1);
      expect([disk.pristineId(0), disk.pristineId(1), disk.pristineId(2)]).toEqual(expectWrite ? [5, 6, 6] : [5, 5, 0]);
      expect(report.revertedBlocks).toBe(expectWrite ? 0 : 2);
    }
  });

  it('fails writes in flight at a power loss and resolves only those in flight at the next one', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel, {
      crashLoss: { lost: NEVER, torn: NEVER },
      latency: { readMin: micros(1), readMax: micros(1), writeMin: micros(10), writeMax: micros(10), flush: micros(5) },
    });
    const results: string[] = [];
    disk.write(0, SymbolicPayload.filled(5, 1), (r) => results.push(`a ${r.ok}`));
    const first = disk.powerLoss();
    expect(first.writes).toEqual([{ start: 0, blockCount: 1, acknowledged: false, fate: 'kept', keptBlocks: 1 }]);
    expect(disk.pristineId(0)).toBe(5);
    kernel.scheduleAt(5 as Instant, 'issue', () => disk.write(1, SymbolicPayload.filled(6, 2), (r) => results.push(`b ${r.ok}`)));
    kernel.scheduleAt(12 as Instant, 'crash', () => {
      disk.invariants();
      const second = disk.powerLoss();
      expect(second.writes).toEqual([{ start: 1, blockCount: 2, acknowledged: false, fate: 'kept', keptBlocks: 2 }]);
    });
    kernel.run();
    expect(results).toEqual(['a false', 'b false']);
    expect([disk.pristineId(0), disk.pristineId(1), disk.pristineId(2)]).toEqual([5, 6, 6]);
    disk.invariants();
  });

  it('completes a durable write after a write and a flush latency, and no power loss after that reverts it', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel, {
      crashLoss: { lost: ALWAYS, torn: NEVER },
      latency: { readMin: micros(1), readMax: micros(1), writeMin: micros(10), writeMax: micros(10), flush: micros(50) },
    });
    let doneAt = -1;
    disk.writeManyDurable([{ start: 3, payload: SymbolicPayload.filled(7, 2) }], () => (doneAt = kernel.now()));
    kernel.run();
    expect(doneAt).toBe(60);
    const report = disk.powerLoss();
    expect(report.writes).toEqual([]);
    expect([disk.pristineId(3), disk.pristineId(4)]).toEqual([7, 7]);
  });

  it('makes durable only the writes completed before the flush was issued', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel, {
      crashLoss: { lost: ALWAYS, torn: NEVER },
      latency: { readMin: micros(1), readMax: micros(1), writeMin: micros(10), writeMax: micros(10), flush: micros(50) },
    });
    complete(kernel, (done) => disk.write(0, SymbolicPayload.filled(5, 1), done));
    let flushed = false;
    disk.flush(() => (flushed = true));
    disk.write(1, SymbolicPayload.filled(6, 1), () => undefined);
    kernel.run();
    expect(flushed).toBe(true);
    disk.powerLoss();
    expect([disk.pristineId(0), disk.pristineId(1)]).toEqual([5, 0]);
  });
});

// -----------------------------------------------------------------------------------------------

const overlayOp = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), start: fc.integer({ min: 0, max: BLOCKS - 4 }), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('latent' as const), block: fc.integer({ min: 0, max: BLOCKS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rot' as const), block: fc.integer({ min: 0, max: BLOCKS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('misdirect' as const), offset: fc.integer({ min: -5, max: 5 }).filter((o) => o !== 0) }) },
);

describe('virtual disk: fault overlays', () => {
  it('never change pristine content, and reads show exactly the overlays', () => {
    fc.assert(
      fc.property(fc.array(overlayOp, { maxLength: 40 }), fc.string(), (ops, seed) => {
        const kernel = new Kernel();
        const disk = makeDisk(kernel, { random: new RandomStream(seed), writeCache: false });
        const pristine = new Map<number, number>();
        const shown = new Map<number, number>();
        const rotted = new Set<number>();
        const latent = new Set<number>();
        let misdirect = 0;
        let nextId = 1;
        for (const step of ops) {
          if (step.kind === 'latent') {
            disk.injectLatentSectorError(step.block);
            latent.add(step.block);
          } else if (step.kind === 'rot') {
            disk.injectBitRot(step.block);
            rotted.add(step.block);
          } else if (step.kind === 'misdirect') {
            disk.misdirectNextWrite(step.offset);
            misdirect = step.offset;
          } else {
            const ids = Array.from({ length: step.count }, () => nextId++);
            complete(kernel, (done) => disk.write(step.start, new SymbolicPayload(Uint32Array.from(ids)), done));
            for (let i = 0; i < ids.length; i++) {
              const block = step.start + i;
              if (misdirect !== 0 && !shown.has(block)) shown.set(block, pristine.get(block) ?? 0);
              if (misdirect === 0) [shown, rotted, latent].forEach((overlay) => overlay.delete(block));
            }
            for (let i = 0; i < ids.length && misdirect !== 0; i++) {
              const target = step.start + i + misdirect;
              if (target < 0 || target >= BLOCKS) continue;
              shown.set(target, ids[i]);
              [rotted, latent].forEach((overlay) => overlay.delete(target));
            }
            ids.forEach((id, i) => pristine.set(step.start + i, id));
            misdirect = 0;
          }
          const expected = new Map(Array.from({ length: BLOCKS }, (_, block) => [block, pristine.get(block) ?? 0]));
          expect(diskImage(disk)).toEqual(expected);
          expect(disk.imageHash()).toBe(hashOf(expected));
        }
        for (let block = 0; block < BLOCKS; block++) {
          const read = readIds(kernel, disk, block, 1);
          if (latent.has(block)) {
            expect(read).toEqual({ ok: false, error: { kind: 'media-error', block } });
            continue;
          }
          if (!read.ok) throw new Error(`read of block ${block} failed: ${read.error.kind}`);
          const got = (read.value as SymbolicPayload).ids[0];
          const medium = shown.get(block) ?? pristine.get(block) ?? 0;
          expect(popcount(got ^ medium)).toBe(rotted.has(block) ? 1 : 0);
        }
        disk.invariants();
      }),
    );
  });

  it('fails a read covering any latent sector error until the block is rewritten', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel);
    disk.injectLatentSectorError(5);
    expect(readIds(kernel, disk, 2, 6)).toEqual({ ok: false, error: { kind: 'media-error', block: 5 } });
    expect(readIds(kernel, disk, 6, 2).ok).toBe(true);
    complete(kernel, (done) => disk.write(5, SymbolicPayload.filled(3, 1), done));
    expect(readIds(kernel, disk, 2, 6).ok).toBe(true);
  });
});

// -----------------------------------------------------------------------------------------------

describe('virtual disk: image hash', () => {
  const assignment = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: BLOCKS - 1 }), fc.integer({ min: 1, max: 1_000_000 })), { selector: ([block]) => block, maxLength: BLOCKS });

  it('depends only on content, not on the order writes came in', () => {
    fc.assert(
      fc.property(assignment, fc.array(fc.nat()), (pairs, keys) => {
        const kernel = new Kernel();
        const a = makeDisk(kernel, { deviceId: 'a' });
        const b = makeDisk(kernel, { deviceId: 'b', random: new RandomStream('other') });
        const shuffled = pairs.map((pair, i) => ({ pair, key: keys[i] ?? i })).sort((x, y) => x.key - y.key).map(({ pair }) => pair);
        for (const [block, id] of pairs) a.write(block, SymbolicPayload.filled(id, 1), () => undefined);
        for (const [block, id] of shuffled) b.write(block, SymbolicPayload.filled(id, 1), () => undefined);
        kernel.run();
        expect(a.imageHash()).toBe(b.imageHash());
        expect(a.contentEquals(b).equal).toBe(true);
      }),
    );
  });

  it('equals between a disk with a base image and a replica filled by writes, and tells them apart after one write', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: BLOCKS }), fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (baseBlocks, baseId, chunks) => {
        const kernel = new Kernel();
        const source = makeDisk(kernel, { deviceId: 'source', baseImage: { blocks: baseBlocks, writeId: baseId } });
        const replica = makeDisk(kernel, { deviceId: 'replica' });
        expect(source.imageHash()).not.toBe(replica.imageHash());
        const starts: Array<[number, number]> = [];
        for (let start = 0, i = 0; start < baseBlocks; i++) {
          const count = Math.min(chunks[i % chunks.length], baseBlocks - start);
          starts.push([start, count]);
          start += count;
        }
        for (const [start, count] of starts.reverse()) replica.write(start, SymbolicPayload.filled(baseId, count), () => undefined);
        kernel.run();
        expect(replica.imageHash()).toBe(source.imageHash());
        expect(replica.contentEquals(source).equal).toBe(true);
        complete(kernel, (done) => replica.write(0, SymbolicPayload.filled(baseId + 1, 1), done));
        expect(replica.imageHash()).not.toBe(source.imageHash());
        expect(replica.contentEquals(source).differences).toEqual([{ block: 0, ours: baseId + 1, theirs: baseId }]);
      }),
    );
  });
});

// -----------------------------------------------------------------------------------------------

describe('virtual disk: symbolic and bytes modes agree', () => {
  const codec = new SimCodec({ blockSizeBytes: BLOCK });
  const writes = fc.array(fc.tuple(fc.integer({ min: 0, max: BLOCKS - 4 }), fc.integer({ min: 1, max: 4 })), { maxLength: 25 });

  it('hold the same truth, hash alike and read back the same checksums, with bytes that decode to the truth', () => {
    fc.assert(
      fc.property(writes, fc.string(), (steps, seed) => {
        const kernel = new Kernel();
        const symbolic = makeDisk(kernel, { deviceId: 's', random: new RandomStream(seed) });
        const bytes = makeDisk(kernel, { deviceId: 'b', mode: 'bytes', random: new RandomStream(seed) });
        let nextId = 1;
        for (const [start, count] of steps) {
          const ids = Uint32Array.from({ length: count }, () => nextId++);
          const raw = new Uint8Array(count * BLOCK);
          ids.forEach((id, i) => raw.set(contentBytes(id, start + i, BLOCK), i * BLOCK));
          symbolic.write(start, new SymbolicPayload(ids), () => undefined);
          bytes.write(start, new BytesPayload(raw, BLOCK), () => undefined);
        }
        kernel.run();
        expect(bytes.imageHash()).toBe(symbolic.imageHash());
        expect(bytes.contentEquals(symbolic).equal).toBe(true);
        const fromSymbolic = readIds(kernel, symbolic, 0, BLOCKS);
        const fromBytes = readIds(kernel, bytes, 0, BLOCKS);
        expect(fromSymbolic.ok && fromBytes.ok).toBe(true);
        if (!fromSymbolic.ok || !fromBytes.ok) return;
        expect(fromBytes.value).toBeInstanceOf(BytesPayload);
        expect(codec.blockChecksums(fromBytes.value)).toEqual(codec.blockChecksums(fromSymbolic.value));
        const raw = (fromBytes.value as BytesPayload).bytes;
        for (let block = 0; block < BLOCKS; block++) {
          expect(raw.subarray(block * BLOCK, (block + 1) * BLOCK)).toEqual(contentBytes(symbolic.pristineId(block), block, BLOCK));
        }
      }),
    );
  });

  it('keeps damaged bytes exactly, under a foreign id that no write owns', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel, { mode: 'bytes' });
    const damaged = new BytesPayload(contentBytes(9, 4, BLOCK), BLOCK).corruptedCopy(new RandomStream('net'));
    complete(kernel, (done) => disk.write(4, damaged, done));
    expect((disk.pristineId(4) & FOREIGN_ID_BIT) >>> 0).toBe(FOREIGN_ID_BIT);
    const read = readIds(kernel, disk, 4, 1);
    expect(read.ok && (read.value as BytesPayload).bytes).toEqual(damaged.bytes);
    disk.invariants();
  });

  it('shows bit rot as one flipped bit of real bytes, and misplaced bytes where a misdirected write landed', () => {
    const kernel = new Kernel();
    const disk = makeDisk(kernel, { mode: 'bytes' });
    complete(kernel, (done) => disk.write(2, new BytesPayload(contentBytes(5, 2, BLOCK), BLOCK), done));
    disk.injectBitRot(2);
    const rotted = readIds(kernel, disk, 2, 1);
    const flipped = [...(rotted.ok ? (rotted.value as BytesPayload).bytes : [])].reduce((bits, byte, i) => bits + popcount(byte ^ contentBytes(5, 2, BLOCK)[i]), 0);
    expect(flipped).toBe(1);
    disk.misdirectNextWrite(3);
    complete(kernel, (done) => disk.write(10, new SymbolicPayload(Uint32Array.of(6)), done));
    expect(disk.pristineId(10)).toBe(6);
    const landed = readIds(kernel, disk, 13, 1);
    expect(landed.ok && (landed.value as BytesPayload).bytes).toEqual(contentBytes(6, 10, BLOCK));
    const intended = readIds(kernel, disk, 10, 1);
    expect(intended.ok && (intended.value as BytesPayload).bytes).toEqual(contentBytes(0, 10, BLOCK));
  });
});

describe('virtual disk: determinism', () => {
  it('gives the same trace hash, image and power-loss report for the same seed', () => {
    const runOnce = (seed: string): [string, string, string] => {
      const kernel = new Kernel();
      const disk = makeDisk(kernel, { random: new RandomStream(seed), baseImage: { blocks: 12, writeId: 1 } });
      const workload = new RandomStream(`${seed}/workload`);
      let report: PowerLossReport | null = null;
      for (let i = 0; i < 200; i++) {
        kernel.scheduleAt((i * 3) as Instant, 'issue', () => {
          if (workload.nextInt(10) === 0) disk.flush(() => undefined);
          else disk.write(workload.nextInt(BLOCKS - 4), SymbolicPayload.sequence(2 + i * 4, 1 + workload.nextInt(4)), () => undefined);
        });
      }
      kernel.scheduleAt(400 as Instant, 'crash', () => (report = disk.powerLoss()));
      kernel.run();
      return [kernel.traceHash, disk.imageHash(), JSON.stringify(report)];
    };
    expect(runOnce('a')).toEqual(runOnce('a'));
    expect(runOnce('a')[1]).not.toEqual(runOnce('b')[1]);
  });
});
