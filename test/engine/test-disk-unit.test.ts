// The test VM's differencing disk (DOMAIN.md rule 8): reads see the recovery point, the test
// VM's own writes succeed and stay in the layer, and the replica disk is never written.
import { describe, expect, it } from 'vitest';
import { millis, type Instant } from '../../model/index.js';
import { Kernel, RandomStream, SimCodec, SymbolicPayload, VirtualDisk } from '../../sim/index.js';
import { TestDisk } from '../../engine/providers/hyperv-replica/test-disk.js';
import type { IoResult, Payload } from '../../engine/index.js';

function world() {
  const kernel = new Kernel();
  const codec = new SimCodec({ blockSizeBytes: 4096 });
  const replica = new VirtualDisk({
    deviceId: 'vm1-disk0',
    blockSizeBytes: 4096,
    blockCount: 16,
    mode: 'symbolic',
    writeCache: true,
    latency: { readMin: millis(1), readMax: millis(1), writeMin: millis(1), writeMax: millis(1), flush: millis(1) },
    baseImage: { blocks: 16, writeId: 7 },
    kernel,
    random: new RandomStream('test-disk'),
  });
  const run = () => kernel.run({ until: (kernel.now() + millis(100)) as Instant });
  return { kernel, codec, replica, run };
}

const ids = (payload: Payload) => Array.from((payload as SymbolicPayload).ids);

describe('TestDisk', () => {
  it('reads ranges together as single reads would: the point, the test VM writes, the replica', () => {
    const { codec, replica, run } = world();
    const disk = new TestDisk(replica, codec, new Map([[2, SymbolicPayload.filled(5, 1)]]));
    disk.write(3, SymbolicPayload.sequence(100, 2), () => undefined);
    run();
    const results: Array<IoResult<readonly Payload[]>> = [];
    disk.readMany([{ start: 1, count: 4 }, { start: 9, count: 1 }], (r) => results.push(r));
    disk.readMany([], (r) => results.push(r));
    expect(results).toEqual([]); // never re-entrant
    run();
    expect(results.map((r) => (r.ok ? r.value.map(ids) : r))).toEqual([[[7, 5, 100, 101], [7]], []]);
    disk.readMany([{ start: 15, count: 2 }], (r) => results.push(r));
    run();
    expect(results[2].ok).toBe(false);
  });

  it('acknowledges the test VM writes as successes, later, and keeps them out of the replica', () => {
    const { codec, replica, run } = world();
    const disk = new TestDisk(replica, codec, new Map([[2, SymbolicPayload.filled(5, 1)]]));
    expect(disk.deviceId).toBe('vm1-disk0#test');
    const results: Array<IoResult<void>> = [];
    disk.write(1, SymbolicPayload.sequence(100, 3), (r) => results.push(r));
    expect(results).toEqual([]); // never re-entrant
    disk.writeMany([{ start: 10, payload: SymbolicPayload.filled(200, 2) }], (r) => results.push(r));
    disk.flush((r) => results.push(r));
    run();
    expect(results).toEqual([
      { ok: true, value: undefined },
      { ok: true, value: undefined },
      { ok: true, value: undefined },
    ]);
    expect(disk.writtenBlocks).toBe(5);
    expect(replica.pristineId(1)).toBe(7);
    expect(replica.pristineId(10)).toBe(7);
    let read: IoResult<Payload> | null = null;
    disk.read(0, 12, (r) => (read = r));
    run();
    expect(read).not.toBeNull();
    const value = read as unknown as { ok: true; value: Payload };
    expect(value.ok).toBe(true);
    expect(ids(value.value)).toEqual([7, 100, 101, 102, 7, 7, 7, 7, 7, 7, 200, 200]);
  });

  it('reads the point content over the replica, and preserves blocks before the replica overwrites them', () => {
    const { codec, replica, run } = world();
    const disk = new TestDisk(replica, codec, new Map([[0, SymbolicPayload.filled(3, 1)]]));
    expect(disk.needsPreserve(0)).toBe(false);
    expect(disk.needsPreserve(4)).toBe(true);
    disk.preserve(4, SymbolicPayload.filled(9, 1));
    disk.preserve(4, SymbolicPayload.filled(11, 1)); // only the first, older content counts
    disk.write(5, SymbolicPayload.filled(12, 1), () => undefined);
    expect(disk.needsPreserve(5)).toBe(false);
    replica.write(4, SymbolicPayload.filled(50, 2), () => undefined); // the replica moves on
    run();
    let seen: number[] = [];
    disk.read(0, 6, (r) => {
      if (r.ok) seen = ids(r.value);
    });
    run();
    expect(seen).toEqual([3, 7, 7, 7, 9, 12]);
  });
});

describe('TestDisk reads', () => {
  it('reads ranges that do not start at block 0, mixing layers', () => {
    const { codec, replica, run } = world();
    const disk = new TestDisk(replica, codec, new Map([[6, SymbolicPayload.filled(4, 1)]]));
    disk.write(8, SymbolicPayload.filled(20, 2), () => undefined);
    let seen: number[] = [];
    disk.read(5, 6, (r) => {
      if (r.ok) seen = ids(r.value);
    });
    run();
    expect(seen).toEqual([7, 4, 7, 20, 20, 7]);
  });

  // A read served wholly from the differencing layer once completed inside read() (join(0)
  // fires at once); ports.ts says completions are never re-entrant.
  it('answers a read of blocks it holds itself later, never re-entrantly', () => {
    const { codec, replica, run } = world();
    const disk = new TestDisk(replica, codec, new Map([[3, SymbolicPayload.filled(4, 1)]]));
    let seen: number[] | null = null;
    disk.read(3, 1, (r) => {
      if (r.ok) seen = ids(r.value);
    });
    expect(seen).toBeNull();
    run();
    expect(seen).toEqual([4]);
  });

  it('returns the point content of a block preserved while its read was in flight', () => {
    const { codec, replica, run } = world();
    const disk = new TestDisk(replica, codec, new Map());
    let seen: number[] = [];
    disk.read(9, 2, (r) => {
      if (r.ok) seen = ids(r.value);
    });
    // The replica applies a log over block 10 first: the old content is preserved for the test,
    // and the new content lands before the test VM's read completes.
    disk.preserve(10, SymbolicPayload.filled(3, 1));
    replica.write(10, SymbolicPayload.filled(60, 1), () => undefined);
    run();
    expect(seen).toEqual([7, 3]);
  });
});
