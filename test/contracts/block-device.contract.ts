// The BlockDevice contract (engine/ports.ts): a reusable suite every implementation must pass,
// simulated (sim/disk/) or real (adapters/node/, later). Run it with
//   blockDeviceContract('my device', () => ({ device, codec, freshPayload, settle }));
// What it pins down:
//   - a completion is never delivered re-entrantly: `done` never runs before the call returns;
//   - every operation completes exactly once;
//   - reads return what was written; where writes in flight together overlap, a block holds
//     the content of the write that completed last (what a write observer sees, in order);
//   - a read or a flush issued after a write completed sees that write / completes after it;
//   - a durable scatter-gather write lands like a plain one (its durability is the simulated
//     disk's own power-loss property, test/sim/disk-virtual.test.ts);
//   - ranges outside [0, blockCount) fail with out-of-range naming the first offending block,
//     and change nothing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BlockDevice, Codec, IoResult, Payload } from '../../engine/ports.js';

export interface BlockDeviceHarness {
  /** A fresh device, at least 16 blocks, online, with nothing in flight. */
  readonly device: BlockDevice;
  /** Compares contents (per-block checksums). */
  readonly codec: Codec;
  /** A payload of `count` blocks whose every block differs from all content made before. */
  freshPayload(count: number): Payload;
  /** Delivers every pending completion (runs the world until it is idle). */
  settle(): void;
}

type Done<T> = (result: IoResult<T>) => void;

/** Wraps a completion: checks it is not re-entrant and runs once, then records it. */
function tracked<T>(log: string[], name: string, then?: Done<T>): { done: Done<T>; returned: () => void; calls: () => number } {
  let returned = false;
  let calls = 0;
  return {
    done: (result) => {
      expect(returned, `${name}: completion ran before the call returned`).toBe(true);
      calls++;
      log.push(name);
      then?.(result);
    },
    returned: () => {
      returned = true;
    },
    calls: () => calls,
  };
}

function readAll(harness: BlockDeviceHarness): Uint32Array {
  const { device, codec } = harness;
  let sums: Uint32Array | null = null;
  device.read(0, device.blockCount, (result) => {
    expect(result.ok).toBe(true);
    if (result.ok) sums = codec.blockChecksums(result.value);
  });
  harness.settle();
  expect(sums).not.toBeNull();
  return sums!;
}

export function blockDeviceContract(name: string, makeHarness: () => BlockDeviceHarness): void {
  describe(`BlockDevice contract: ${name}`, () => {
    it('reads back what was written; overlapping writes in flight together end as the last to complete', () => {
      const write = fc.record({ start: fc.nat(), count: fc.integer({ min: 1, max: 6 }) });
      fc.assert(
        fc.property(fc.array(fc.array(write, { minLength: 1, maxLength: 5 }), { maxLength: 8 }), (batches) => {
          const harness = makeHarness();
          const { device, codec } = harness;
          const expected = readAll(harness);
          for (const batch of batches) {
            for (const { start: rawStart, count: rawCount } of batch) {
              const count = Math.min(rawCount, device.blockCount);
              const start = rawStart % (device.blockCount - count + 1);
              const payload = harness.freshPayload(count);
              const sums = codec.blockChecksums(payload);
              device.write(start, payload, (result) => {
                expect(result.ok).toBe(true);
                expected.set(sums, start);
              });
            }
            harness.settle();
          }
          expect(readAll(harness)).toEqual(expected);
        }),
        { numRuns: 60 },
      );
    });

    it('never runs a completion before the call returns, and runs each exactly once', () => {
      const harness = makeHarness();
      const { device } = harness;
      const log: string[] = [];
      const operations = [
        ['write', (done: Done<void>) => device.write(1, harness.freshPayload(2), done)],
        ['read', (done: Done<Payload>) => device.read(0, 4, done)],
        ['flush', (done: Done<void>) => device.flush(done)],
        ['bad-read', (done: Done<Payload>) => device.read(device.blockCount, 1, done)],
        ['bad-write', (done: Done<void>) => device.write(device.blockCount - 1, harness.freshPayload(2), done)],
      ] as const;
      const trackers = operations.map(([label, issue]) => {
        const tracker = tracked<unknown>(log, label);
        (issue as (done: Done<unknown>) => void)(tracker.done);
        tracker.returned();
        return tracker;
      });
      expect(log).toEqual([]);
      harness.settle();
      expect(trackers.map((t) => t.calls())).toEqual([1, 1, 1, 1, 1]);
      harness.settle();
      expect(trackers.map((t) => t.calls())).toEqual([1, 1, 1, 1, 1]);
    });

    it('fails ranges outside the device with out-of-range, naming the first block outside, and changes nothing', () => {
      const harness = makeHarness();
      const { device } = harness;
      const before = readAll(harness);
      const results: Array<IoResult<unknown>> = [];
      const push = (result: IoResult<unknown>): void => {
        results.push(result);
      };
      device.read(device.blockCount, 1, push);
      device.read(device.blockCount - 2, 3, push);
      device.read(-1, 2, push);
      device.write(device.blockCount - 1, harness.freshPayload(2), push);
      device.write(-3, harness.freshPayload(1), push);
      harness.settle();
      expect(results).toEqual([
        { ok: false, error: { kind: 'out-of-range', block: device.blockCount } },
        { ok: false, error: { kind: 'out-of-range', block: device.blockCount } },
        { ok: false, error: { kind: 'out-of-range', block: -1 } },
        { ok: false, error: { kind: 'out-of-range', block: device.blockCount } },
        { ok: false, error: { kind: 'out-of-range', block: -3 } },
      ]);
      expect(readAll(harness)).toEqual(before);
    });

    it('completes a flush issued after a write completed after that write, and a read issued then sees it', () => {
      const harness = makeHarness();
      const { device, codec } = harness;
      const log: string[] = [];
      const payload = harness.freshPayload(3);
      let seen: Uint32Array | null = null;
      device.write(4, payload, (written) => {
        expect(written.ok).toBe(true);
        log.push('write');
        device.flush((flushed) => {
          expect(flushed.ok).toBe(true);
          log.push('flush');
        });
        device.read(4, 3, (read) => {
          expect(read.ok).toBe(true);
          if (read.ok) seen = codec.blockChecksums(read.value);
          log.push('read');
        });
      });
      harness.settle();
      expect(log[0]).toBe('write');
      expect([...log].sort()).toEqual(['flush', 'read', 'write']);
      expect(seen).toEqual(codec.blockChecksums(payload));
    });

    it('completes a flush issued while writes are in flight, and keeps their content', () => {
      const harness = makeHarness();
      const { device, codec } = harness;
      const payloads = [harness.freshPayload(2), harness.freshPayload(2), harness.freshPayload(2)];
      const log: string[] = [];
      payloads.forEach((payload, i) => device.write(2 * i, payload, (r) => log.push(`write ${i} ${r.ok}`)));
      device.flush((r) => log.push(`flush ${r.ok}`));
      harness.settle();
      expect([...log].sort()).toEqual(['flush true', 'write 0 true', 'write 1 true', 'write 2 true']);
      const sums = readAll(harness);
      expect(sums.subarray(0, 6)).toEqual(Uint32Array.from(payloads.flatMap((payload) => [...codec.blockChecksums(payload)])));
    });

    for (const method of ['writeMany', 'writeManyDurable'] as const) {
      it(`lands the extents of a scatter-gather write (${method}) in order, with one completion after the call returns`, () => {
        const harness = makeHarness();
        const { device, codec } = harness;
        const first = harness.freshPayload(3);
        const overlapping = harness.freshPayload(2);
        const apart = harness.freshPayload(1);
        const log: string[] = [];
        const call = tracked<void>(log, method);
        device[method](
          [
            { start: 0, payload: first },
            { start: 1, payload: overlapping },
            { start: 8, payload: apart },
          ],
          call.done,
        );
        call.returned();
        expect(log).toEqual([]);
        harness.settle();
        expect(call.calls()).toBe(1);
        const sums = readAll(harness);
        const [a] = codec.blockChecksums(first);
        expect([...sums.subarray(0, 3)]).toEqual([a, ...codec.blockChecksums(overlapping)]);
        expect(sums[8]).toBe(codec.blockChecksums(apart)[0]);
      });
    }

    it('reads the ranges of a scatter-gather read as single reads would, with one completion after the call returns', () => {
      const harness = makeHarness();
      const { device, codec } = harness;
      const written = harness.freshPayload(6);
      device.write(2, written, () => undefined);
      harness.settle();
      const ranges = [
        { start: 4, count: 3 },
        { start: 0, count: 1 },
        { start: 2, count: 2 },
      ];
      const log: string[] = [];
      let got: readonly Payload[] = [];
      const call = tracked<readonly Payload[]>(log, 'readMany', (result) => {
        expect(result.ok).toBe(true);
        if (result.ok) got = result.value;
      });
      device.readMany(ranges, call.done);
      call.returned();
      expect(log).toEqual([]);
      harness.settle();
      expect(call.calls()).toBe(1);
      const sums = readAll(harness);
      expect(got.map((payload) => [...codec.blockChecksums(payload)])).toEqual(ranges.map(({ start, count }) => [...sums.subarray(start, start + count)]));
      // No range at all still answers once, later.
      const empty = tracked<readonly Payload[]>(log, 'readMany-empty', (result) => expect(result).toEqual({ ok: true, value: [] }));
      device.readMany([], empty.done);
      empty.returned();
      harness.settle();
      expect(empty.calls()).toBe(1);
      // A range outside the device fails the whole read.
      const outside = tracked<readonly Payload[]>(log, 'readMany-outside', (result) => expect(result.ok).toBe(false));
      device.readMany([{ start: 0, count: 1 }, { start: device.blockCount - 1, count: 2 }], outside.done);
      outside.returned();
      harness.settle();
      expect(outside.calls()).toBe(1);
    });
  });
}
