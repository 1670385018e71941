// The allocation-free forms of the per-write path must behave exactly like the forms they
// replace: int32 hashes against uint32 ones, payloads sharing an array against payloads holding
// their own, kernel calls with an argument against closures, reused disk records against fresh.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fold32, fold32Int, mix32, mix32Int, micros, type Instant } from '../../model/index.js';
import { Kernel } from '../../sim/kernel.js';
import { SimCodec, SymbolicPayload } from '../../sim/disk/payload.js';
import { VirtualDisk } from '../../sim/disk/virtual-disk.js';
import { DiskOracle } from '../../sim/disk/disk-oracle.js';
import { RandomStream } from '../../sim/random.js';
import type { IoResult, Payload } from '../../engine/ports.js';

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });

describe('int32 hash forms', () => {
  it('mix32Int and fold32Int give the bits of mix32 and fold32, for int32 and uint32 operands alike', () => {
    fc.assert(
      fc.property(fc.oneof(uint32, int32), fc.oneof(uint32, int32), (a, b) => {
        expect(mix32Int(a) >>> 0).toBe(mix32(a));
        expect(mix32Int(a)).toBe(mix32(a) | 0);
        expect(fold32Int(a, b) >>> 0).toBe(fold32(a, b));
        // A hash kept as int32 folds on exactly like its uint32 form.
        expect(fold32Int(a | 0, b) >>> 0).toBe(fold32(a >>> 0, b));
      }),
    );
  });

  it('returns small integers only (no value at or above 2^31)', () => {
    fc.assert(
      fc.property(uint32, uint32, (a, b) => {
        expect(mix32Int(a)).toBeLessThan(0x8000_0000);
        expect(fold32Int(a, b)).toBeGreaterThanOrEqual(-0x8000_0000);
      }),
    );
  });
});

describe('symbolic payloads over a shared array', () => {
  const codec = new SimCodec({ blockSizeBytes: 4096 });
  const window = fc
    .uint32Array({ minLength: 1, maxLength: 40 })
    .chain((ids) => fc.tuple(fc.constant(ids), fc.integer({ min: 0, max: ids.length })))
    .chain(([ids, offset]) => fc.tuple(fc.constant(ids), fc.constant(offset), fc.integer({ min: 0, max: ids.length - offset })));

  it('reads, checksums, slices, concatenates and buffers like a payload holding a copy of its ids', () => {
    fc.assert(
      fc.property(window, fc.nat(), ([ids, offset, count], cut) => {
        const shared = new SymbolicPayload(ids, offset, count);
        const own = new SymbolicPayload(ids.slice(offset, offset + count));
        expect(shared.blockCount).toBe(count);
        expect(Array.from(shared.ids)).toEqual(Array.from(own.ids));
        expect(shared.ids).toBe(shared.ids);
        expect(codec.checksum(shared)).toBe(codec.checksum(own));
        expect(Array.from(codec.blockChecksums(shared))).toEqual(Array.from(codec.blockChecksums(own)));
        expect(codec.digest({ content: [shared] })).toBe(codec.digest({ content: [own] }));
        const at = count === 0 ? 0 : cut % count;
        const slice = codec.slice(shared, at, count - at) as SymbolicPayload;
        expect(Array.from(slice.ids)).toEqual(Array.from(own.ids.subarray(at)));
        const joined = codec.concat([slice, shared, own]) as SymbolicPayload;
        expect(Array.from(joined.ids)).toEqual([...own.ids.subarray(at), ...own.ids, ...own.ids]);
        const buffer = codec.buffer();
        buffer.append(shared);
        buffer.append(slice);
        expect(Array.from((buffer.slice(0, buffer.blockCount) as SymbolicPayload).ids)).toEqual([...own.ids, ...own.ids.subarray(at)]);
      }),
    );
  });

  it('checksums as a uint32, the same before and after the memo is set', () => {
    const payload = new SymbolicPayload(Uint32Array.from([0xffff_fff0, 7, 0x8000_0001]), 1, 2);
    const first = codec.checksum(payload);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(codec.checksum(payload)).toBe(first);
    expect(first).toBe(codec.checksum(new SymbolicPayload(Uint32Array.from([7, 0x8000_0001]))));
  });

  it('refuses a window outside its array', () => {
    expect(() => new SymbolicPayload(new Uint32Array(4), 3, 2)).toThrow(/outside/);
    expect(() => new SymbolicPayload(new Uint32Array(4), -1, 1)).toThrow(/outside/);
  });
});

describe('kernel calls with an argument', () => {
  it('run in (time, sequence) order among closures, with their argument, and hash like closures', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean(), fc.boolean()), { maxLength: 100 }), (steps) => {
        const withCalls = new Kernel();
        const withClosures = new Kernel();
        const ranCalls: number[] = [];
        const ranClosures: number[] = [];
        const record = (index: number): void => {
          ranCalls.push(index);
        };
        steps.forEach(([delay, asCall, absolute], index) => {
          const label = withCalls.labelId(`e${index % 3}`);
          if (!asCall) withCalls.schedule(delay, label, () => ranCalls.push(index), index);
          else if (absolute) withCalls.scheduleCallAt(delay, label, record, index, index);
          else withCalls.scheduleCall(delay, label, record, index, index);
          withClosures.schedule(delay, `e${index % 3}`, () => ranClosures.push(index), index);
        });
        withCalls.invariants();
        withCalls.run();
        withClosures.run();
        expect(ranCalls).toEqual(ranClosures);
        expect(withCalls.traceHash).toBe(withClosures.traceHash);
      }),
    );
  });

  it('never runs a cancelled call', () => {
    const kernel = new Kernel();
    const ran: string[] = [];
    const handle = kernel.scheduleCall(5, kernel.labelId('a'), (name: string) => ran.push(name), 'a');
    kernel.scheduleCall(6, kernel.labelId('b'), (name: string) => ran.push(name), 'b');
    expect(kernel.cancel(handle)).toBe(true);
    kernel.run();
    expect(ran).toEqual(['b']);
  });

  it('refuses a negative delay and an instant in the past', () => {
    const kernel = new Kernel();
    kernel.schedule(10, 'tick', () => undefined);
    kernel.run();
    expect(() => kernel.scheduleCall(-1, 0, () => undefined, 0)).toThrow(/delay/);
    expect(() => kernel.scheduleCallAt(5, 0, () => undefined, 0)).toThrow(/before now/);
  });
});

describe('virtual disk request records', () => {
  const BLOCKS = 32;
  const makeDisk = (kernel: Kernel, random: RandomStream, oracle?: DiskOracle): VirtualDisk =>
    new VirtualDisk({
      deviceId: 'd',
      blockSizeBytes: 4096,
      blockCount: BLOCKS,
      mode: 'symbolic',
      writeCache: true,
      latency: { readMin: micros(1), readMax: micros(40), writeMin: micros(1), writeMax: micros(40), flush: micros(5) },
      kernel,
      random,
      oracle,
    });

  type Step =
    | { kind: 'write'; start: number; ids: number[] }
    | { kind: 'read'; ranges: Array<[number, number]> }
    | { kind: 'power-loss' }
    | { kind: 'offline' }
    | { kind: 'wait'; micros: number };
  const extent = fc.tuple(fc.integer({ min: 0, max: BLOCKS - 4 }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 4 }));
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: extent.map(([start, ids]) => ({ kind: 'write' as const, start, ids })) },
    { weight: 3, arbitrary: fc.array(fc.tuple(fc.integer({ min: 0, max: BLOCKS - 3 }), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 5 }).map((ranges) => ({ kind: 'read' as const, ranges })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'power-loss' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'offline' as const }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 50 }).map((wait) => ({ kind: 'wait' as const, micros: wait })) },
  );

  it('answer every request exactly once, read what the disk holds, and stay free of stale records', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const kernel = new Kernel();
        const oracle = new DiskOracle('d');
        const disk = makeDisk(kernel, new RandomStream('records'), oracle);
        const answers = new Map<number, number>();
        let issued = 0;
        const answer = (request: number) => (): void => {
          answers.set(request, (answers.get(request) ?? 0) + 1);
        };
        for (const s of steps) {
          if (s.kind === 'write') {
            const request = issued++;
            // Several extents (a request of its own each half the time) over one shared array.
            const source = Uint32Array.from(s.ids);
            const extents = s.ids.map((_, i) => ({ start: s.start + i, payload: new SymbolicPayload(source, i, 1) }));
            if (request % 2 === 0) disk.writeMany(extents, answer(request));
            else disk.write(s.start, new SymbolicPayload(source), answer(request));
          } else if (s.kind === 'read') {
            const request = issued++;
            const ranges = s.ranges.map(([start, count]) => ({ start, count }));
            disk.readMany(ranges, (result: IoResult<readonly Payload[]>) => {
              answer(request)();
              if (!result.ok) return;
              // The request reads at one instant: each block shows the pristine content then.
              ranges.forEach(({ start, count }, r) => {
                const ids = (result.value[r] as SymbolicPayload).ids;
                expect(ids.length).toBe(count);
                for (let b = 0; b < count; b++) expect(ids[b]).toBe(disk.pristineId(start + b));
              });
            });
          } else if (s.kind === 'power-loss') {
            disk.powerLoss();
          } else if (s.kind === 'offline') {
            disk.setOnline(false);
            disk.setOnline(true);
          } else {
            kernel.run({ until: (kernel.now() + s.micros) as Instant });
          }
          disk.invariants();
        }
        kernel.run();
        disk.invariants();
        expect(answers.size).toBe(issued);
        for (const count of answers.values()) expect(count).toBe(1);
        expect(oracle.imageHashAt(kernel.now())).toBe(disk.imageHash());
      }),
    );
  });
});
