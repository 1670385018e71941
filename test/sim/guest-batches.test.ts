// The guest's batching of writes (one scatter-gather request per disk per instant, answered
// through reused records) and the codec's remembered string digests must behave like the plain
// forms: every write is answered once with the disk's answer, the truth holds what landed, and a
// string digests alike whether its digest was remembered or not.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { digestValue, fold32, micros, type Instant } from '../../model/index.js';
import { Kernel } from '../../sim/kernel.js';
import { RandomStream, ratio } from '../../sim/random.js';
import { SimCodec, VirtualDisk, WriteIdAllocator } from '../../sim/disk/index.js';
import { Guest } from '../../sim/world/guest.js';

const DISKS = 3;
const BLOCKS = 24;
const HOSTS = ['a', 'b'] as const;

type Step =
  | { kind: 'write'; disk: number; start: number; count: number }
  | { kind: 'gathered'; writes: Array<{ disk: number; start: number; count: number }> }
  | { kind: 'wait'; micros: number }
  | { kind: 'offline'; disk: number }
  | { kind: 'online'; disk: number }
  | { kind: 'kill' }
  | { kind: 'quiesce' }
  | { kind: 'thaw' }
  | { kind: 'shutdown' }
  | { kind: 'start'; host: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('write' as const), disk: fc.integer({ min: 0, max: DISKS - 1 }), start: fc.integer({ min: 0, max: BLOCKS - 3 }), count: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('gathered' as const),
      writes: fc.array(fc.record({ disk: fc.integer({ min: 0, max: DISKS - 1 }), start: fc.integer({ min: 0, max: BLOCKS - 3 }), count: fc.integer({ min: 1, max: 3 }) }), { maxLength: 6 }),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('wait' as const), micros: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('offline' as const), disk: fc.integer({ min: 0, max: DISKS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('online' as const), disk: fc.integer({ min: 0, max: DISKS - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'kill' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'quiesce' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'thaw' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('start' as const), host: fc.integer({ min: 0, max: HOSTS.length - 1 }) }) },
);

function world(): { kernel: Kernel; guest: Guest; disks: Map<string, VirtualDisk> } {
  const kernel = new Kernel();
  const disks = new Map<string, VirtualDisk>();
  for (const host of HOSTS) {
    for (let d = 0; d < DISKS; d++) {
      disks.set(
        `${host}/${d}`,
        new VirtualDisk({
          deviceId: `${host}/${d}`,
          blockSizeBytes: 4096,
          blockCount: BLOCKS,
          mode: 'symbolic',
          writeCache: false,
          latency: { readMin: micros(1), readMax: micros(30), writeMin: micros(1), writeMax: micros(30), flush: micros(5) },
          kernel,
          random: new RandomStream(`disk/${host}/${d}`),
        }),
      );
    }
  }
  const guest = new Guest(
    'vm',
    kernel,
    new RandomStream('guest'),
    new WriteIdAllocator(),
    Array.from({ length: DISKS }, () => ({ blockCount: BLOCKS, baseBlocks: 0, baseId: 0 })),
    (host, d) => disks.get(`${host}/${d}`)!,
    ratio(0, 1),
  );
  return { kernel, guest, disks };
}

describe('guest write batches', () => {
  it('answer each write once, with its disk request\'s answer, and the truth records exactly what landed', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const { kernel, guest, disks } = world();
        guest.start('a');
        const answers: Array<boolean[]> = [];
        /** Per write: the guest's life when issued, or -1 if it was not running then. */
        const issuedIn: number[] = [];
        let lives = 0;
        let issued = 0;
        let shutdowns = 0;
        let shutdownsDone = 0;
        const write = (w: { disk: number; start: number; count: number }): void => {
          const index = issued++;
          answers.push([]);
          issuedIn.push(guest.runningOn === null ? -1 : lives);
          guest.write(w.disk, w.start, w.count, (ok) => answers[index].push(ok));
        };
        for (const s of steps) {
          if (s.kind === 'write') {
            write(s);
          } else if (s.kind === 'gathered') {
            // A workload generator's tick: the batch goes out at endWrites (or with the event of
            // writes issued before at the same instant).
            guest.beginWrites();
            s.writes.forEach(write);
            guest.endWrites();
          } else if (s.kind === 'wait') {
            kernel.run({ until: (kernel.now() + s.micros) as Instant });
          } else if (s.kind === 'offline' || s.kind === 'online') {
            for (const host of HOSTS) disks.get(`${host}/${s.disk}`)!.setOnline(s.kind === 'online');
          } else if (s.kind === 'quiesce') {
            guest.quiesce(() => undefined);
          } else if (s.kind === 'thaw') {
            guest.thaw();
          } else if (s.kind === 'kill') {
            if (guest.runningOn !== null) lives++;
            guest.kill();
          } else if (s.kind === 'shutdown') {
            if (guest.runningOn !== null) {
              shutdowns++;
              lives++;
            }
            guest.shutdown(() => shutdownsDone++);
          } else if (guest.runningOn === null && guest.drainingOn === null) {
            guest.start(HOSTS[s.host]);
          }
        }
        guest.thaw();
        kernel.run();
        expect(guest.pendingWrites).toBe(0);
        // A write refused by a guest that was not running hears false; one issued in the guest's
        // last life hears exactly once; one whose life ended before its answer may hear nothing.
        answers.forEach((heard, i) => {
          if (issuedIn[i] === -1) expect(heard).toEqual([false]);
          else if (issuedIn[i] === lives) expect(heard).toHaveLength(1);
          else expect(heard.length).toBeLessThanOrEqual(1);
        });
        expect(shutdownsDone).toBeGreaterThanOrEqual(shutdowns);
        // Nothing but the guest writes these disks, and only one host's disks at a time, so the
        // truth of each disk is the union of what landed on either host, in landing order: its
        // image hash equals the hash of each block's latest id across the hosts' disks.
        for (let d = 0; d < DISKS; d++) {
          const truth = guest.truths[d];
          const oracle = truth.oracle;
          for (let block = 0; block < BLOCKS; block++) {
            const onHosts = HOSTS.map((host) => disks.get(`${host}/${d}`)!.pristineId(block));
            // Ids grow with issue order, and each host's disk holds the last write that landed
            // there; the truth holds the last that landed anywhere, which is one of them.
            expect(onHosts).toContain(truth.idAt(block));
            expect(oracle.idAt(block, kernel.now())).toBe(truth.idAt(block));
          }
          expect(oracle.imageHashAt(kernel.now())).toBe(truth.imageHash());
        }
      }),
    );
  });

  it('answer like one request per disk and instant: a batch spread over disks hears each disk on its own', () => {
    const { kernel, guest, disks } = world();
    guest.start('a');
    const heard: string[] = [];
    disks.get('a/1')!.setOnline(false);
    // One instant: writes to disks 0, 1, 0, 2, 1. Disk 1 is offline: its two writes fail together.
    const plan = [0, 1, 0, 2, 1];
    plan.forEach((d, i) => guest.write(d, i, 1, (ok) => heard.push(`${i}:${ok}`)));
    kernel.run();
    expect([...heard].sort()).toEqual(['0:true', '1:false', '2:true', '3:true', '4:false']);
    expect(guest.truths[0].idAt(0)).not.toBe(0);
    expect(guest.truths[0].idAt(2)).not.toBe(0);
    expect(guest.truths[1].idAt(1)).toBe(0);
    expect(guest.truths[2].idAt(3)).not.toBe(0);
    // The records are reused: a later batch of a different shape is answered just as well.
    heard.length = 0;
    disks.get('a/1')!.setOnline(true);
    for (let i = 0; i < 7; i++) guest.write(1, i, 2, (ok) => heard.push(`${i}:${ok}`));
    guest.write(0, 20, 1, (ok) => heard.push(`x:${ok}`));
    kernel.run();
    expect(heard).toHaveLength(8);
    expect(heard.every((h) => h.endsWith('true'))).toBe(true);
    for (let block = 0; block < 8; block++) expect(guest.truths[1].idAt(block)).toBe(disks.get('a/1')!.pristineId(block));
  });
});

describe('guest write batches gathered by the writer', () => {
  it('go to the disks at endWrites, in the writer\'s event, or with the event of earlier writes of the instant', () => {
    const { kernel, guest } = world();
    guest.start('a');
    kernel.run();
    const events = kernel.eventCount;
    guest.beginWrites();
    guest.write(0, 0, 1, () => undefined);
    guest.write(1, 0, 1, () => undefined);
    expect(guest.pendingWrites).toBe(2);
    expect(kernel.eventCount).toBe(events);
    guest.endWrites();
    kernel.run();
    // Two disk requests and nothing else: no event of the guest's own.
    expect(kernel.eventCount - events).toBe(2);
    expect(guest.pendingWrites).toBe(0);
    // A write before the writer's at the same instant: its event takes the writer's writes too.
    const before = kernel.eventCount;
    guest.write(2, 5, 1, () => undefined);
    guest.beginWrites();
    guest.write(2, 6, 1, () => undefined);
    guest.endWrites();
    kernel.run();
    expect(kernel.eventCount - before).toBe(2); // the batch event and one request for disk 2
    expect(guest.truths[2].idAt(5)).not.toBe(0);
    expect(guest.truths[2].idAt(6)).not.toBe(0);
    expect(() => guest.endWrites()).toThrow(/endWrites without beginWrites/);
  });
});

describe('remembered string digests', () => {
  const codec = new SimCodec({ blockSizeBytes: 4096 });
  const SEED = 0x2545f491;
  // What the codec's walk folds for a string, and for a record of one string-valued key,
  // computed from the model's digestValue without any memo.
  const stringDigest = (text: string): number => fold32(fold32(SEED, 2), digestValue(text, 0x5be0cd19));
  const recordDigest = (key: string, value: string): number => {
    const field = fold32(fold32(digestValue(key, 0x3c6ef372) >>> 0, 2), digestValue(value, 0x5be0cd19));
    return fold32(fold32(fold32(SEED, 9), 1), field);
  };
  // A small alphabet and lengths, so that distinct strings share a slot (same length, first and
  // last character) and evict each other.
  const text = fc.string({ unit: fc.constantFrom('a', 'b', 'x', '1', '/'), maxLength: 5 });

  it('are the digests of the strings, in any order of first and repeated use', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 60 }), (pairs) => {
        for (const [key, value] of pairs) {
          expect(codec.digest(value)).toBe(stringDigest(value));
          expect(codec.digest({ [key]: value })).toBe(recordDigest(key, value));
          // A string equal in content but built apart (not the same object) digests alike.
          const rebuilt = [...value].join('');
          expect(codec.digest(rebuilt)).toBe(stringDigest(value));
        }
      }),
    );
  });

  it('digest long strings, which are not remembered, alike every time', () => {
    const long = 'vm'.repeat(50);
    expect(codec.digest(long)).toBe(stringDigest(long));
    expect(codec.digest(long)).toBe(stringDigest(long));
  });
});
