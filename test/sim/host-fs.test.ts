import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { instant, millis, micros } from '../../model/index.js';
import type { FsResult } from '../../engine/ports.js';
import { Kernel } from '../../sim/kernel.js';
import { ALWAYS, NEVER, ratio, rootStream, type Ratio } from '../../sim/random.js';
import { SimHostFs } from '../../sim/host/host-fs.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined): string | undefined => (data === undefined ? undefined : new TextDecoder().decode(data));

function makeFs(tearChance: Ratio = ratio(1, 2), capacityBytes = 1 << 20) {
  const kernel = new Kernel();
  const fs = new SimHostFs(kernel, 'h1', { capacityBytes, tearChance, opLatency: micros(10), syncLatency: millis(1) });
  return { kernel, fs };
}

const expectOk = (result: FsResult<unknown> | undefined): void => expect(result).toMatchObject({ ok: true });

// ---------------------------------------------------------------------------------------------
// A reference model of what survives a crash.

type Op =
  | { readonly kind: 'append'; readonly path: string; readonly data: string }
  | { readonly kind: 'write'; readonly path: string; readonly data: string }
  | { readonly kind: 'sync'; readonly path: string }
  | { readonly kind: 'append-durable'; readonly path: string; readonly data: string }
  | { readonly kind: 'remove'; readonly path: string };

interface ModelFile {
  content: string;
  /** Content at the last completed sync; undefined when never synced since created. */
  durable: string | undefined;
  /** Non-empty changes since the last sync: the tear needs exactly one append. */
  changes: Array<{ kind: 'append'; data: string } | { kind: 'write' }>;
}

const paths = ['/hrl/vm1-d0.hrl', '/hrl/vm1-d1.hrl', '/meta/state.json'];
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), path: fc.constantFrom(...paths), data: fc.string({ maxLength: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('write' as const), path: fc.constantFrom(...paths), data: fc.string({ maxLength: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), path: fc.constantFrom(...paths) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), path: fc.constantFrom(...paths) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('append-durable' as const), path: fc.constantFrom(...paths), data: fc.string({ maxLength: 12 }) }) },
);

function applyToModel(model: Map<string, ModelFile>, op: Op): void {
  const file = model.get(op.path);
  switch (op.kind) {
    case 'append': {
      const target = file ?? { content: '', durable: undefined, changes: [] };
      model.set(op.path, target);
      if (op.data.length > 0) {
        target.content += op.data;
        target.changes.push({ kind: 'append', data: op.data });
      }
      return;
    }
    case 'write':
      if (file === undefined) model.set(op.path, { content: op.data, durable: undefined, changes: [{ kind: 'write' }] });
      else {
        file.content = op.data;
        file.changes.push({ kind: 'write' });
      }
      return;
    case 'sync':
      if (file !== undefined) {
        file.durable = file.content;
        file.changes = [];
      }
      return;
    case 'remove':
      model.delete(op.path);
      return;
    case 'append-durable':
      applyToModel(model, { kind: 'append', path: op.path, data: op.data });
      applyToModel(model, { kind: 'sync', path: op.path });
      return;
  }
}

function applyToFs(fs: SimHostFs, kernel: Kernel, op: Op): void {
  let result: FsResult<unknown> | undefined;
  const done = (r: FsResult<unknown>) => (result = r);
  if (op.kind === 'append') fs.append(op.path, bytes(op.data), done);
  else if (op.kind === 'write') fs.writeFile(op.path, bytes(op.data), done);
  else if (op.kind === 'sync') fs.sync(op.path, done);
  else if (op.kind === 'append-durable') fs.appendDurable(op.path, bytes(op.data), done);
  else fs.remove(op.path, done);
  kernel.run();
  expect(result).toBeDefined();
}

/** The bytes a torn lone append may leave behind it: a non-empty strict prefix. */
function tornPrefixes(file: ModelFile): string[] {
  if (file.durable === undefined || file.changes.length !== 1 || file.changes[0].kind !== 'append') return [];
  const appended = bytes(file.changes[0].data);
  const prefixes: string[] = [];
  for (let keep = 1; keep < appended.length; keep++) prefixes.push(file.durable + new TextDecoder().decode(appended.subarray(0, keep)));
  return prefixes;
}

describe('SimHostFs durability', () => {
  it('after a crash every file holds exactly its content at its last sync, but for the torn tail of a lone unsynced append', () => {
    fc.assert(
      fc.property(
        fc.array(opArbitrary, { maxLength: 40 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom(NEVER, ratio(1, 2), ALWAYS),
        (ops, seed, tearChance) => {
          const { kernel, fs } = makeFs(tearChance);
          const model = new Map<string, ModelFile>();
          for (const op of ops) {
            applyToModel(model, op);
            applyToFs(fs, kernel, op);
          }
          for (const path of paths) {
            expect(text(fs.content(path))).toBe(model.get(path)?.content);
            expect(text(fs.durableContent(path))).toBe(model.get(path)?.durable);
          }
          fs.crash(rootStream(seed).fork('crash'));
          for (const path of paths) {
            const file = model.get(path);
            const after = fs.content(path);
            if (file === undefined || file.durable === undefined) {
              expect(after, `${path} was never synced and must disappear`).toBeUndefined();
              continue;
            }
            const torn = tornPrefixes(file);
            const decoded = text(after);
            // Strings from fc.string may hold surrogates: compare bytes for the exact cases.
            if (torn.length === 0 || tearChance === NEVER) expect(after).toEqual(bytes(file.durable));
            else if (tearChance === ALWAYS) expect(after!.length).toBeGreaterThan(bytes(file.durable).length);
            if (torn.length > 0 && tearChance !== NEVER) {
              const durableBytes = bytes(file.durable);
              const appended = bytes((file.changes[0] as { data: string }).data);
              expect(after!.length).toBeGreaterThanOrEqual(durableBytes.length);
              expect(after!.length).toBeLessThan(durableBytes.length + appended.length);
              expect(after!.subarray(0, durableBytes.length)).toEqual(durableBytes);
              expect(after!.subarray(durableBytes.length)).toEqual(appended.subarray(0, after!.length - durableBytes.length));
            }
            // What is on disk after the crash is durable now.
            expect(text(fs.durableContent(path))).toBe(decoded);
          }
          fs.invariants();
          const total = paths.reduce((sum, path) => sum + (fs.content(path)?.length ?? 0), 0);
          expect(fs.usage().usedBytes).toBe(total);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never delivers a completion pending at a crash, and a sync still in flight makes nothing durable', () => {
    const { kernel, fs } = makeFs(NEVER);
    const seen: string[] = [];
    fs.append('/log', bytes('synced'), () => seen.push('append-1'));
    fs.sync('/log', () => seen.push('sync-1'));
    kernel.run();
    fs.append('/log', bytes('+lost'), () => seen.push('append-2'));
    fs.sync('/log', () => seen.push('sync-2'));
    fs.readFile('/log', () => seen.push('read'));
    kernel.run({ until: instant(kernel.now() + micros(500)) });
    expect(seen).toEqual(['append-1', 'sync-1', 'append-2', 'read']);
    fs.crash(rootStream(1));
    kernel.run();
    expect(seen).toEqual(['append-1', 'sync-1', 'append-2', 'read']);
    expect(text(fs.content('/log'))).toBe('synced');
  });

  it('makes a durable append durable at its completion, after both latencies, and treats it as unsynced before', () => {
    const { kernel, fs } = makeFs(NEVER);
    const seen: string[] = [];
    fs.appendDurable('/index', bytes('first'), (r) => seen.push(`first ${r.ok}`));
    kernel.run();
    expect(seen).toEqual(['first true']);
    expect(kernel.now()).toBe(micros(10) + millis(1));
    expect(text(fs.durableContent('/index'))).toBe('first');
    fs.appendDurable('/index', bytes('+second'), (r) => seen.push(`second ${r.ok}`));
    kernel.run({ until: instant(kernel.now() + millis(1)) }); // past the append's latency, not the sync's
    expect(text(fs.content('/index'))).toBe('first+second');
    fs.crash(rootStream(3));
    kernel.run();
    expect(seen).toEqual(['first true']);
    expect(text(fs.content('/index'))).toBe('first');
    // With tearing certain, a crash in the middle of a durable append tears it like any lone
    // unsynced append: a non-empty strict prefix stays.
    const tearing = makeFs(ALWAYS);
    tearing.fs.appendDurable('/index', bytes('first'), () => undefined);
    tearing.kernel.run();
    tearing.fs.appendDurable('/index', bytes('+second'), () => undefined);
    tearing.kernel.run({ until: instant(tearing.kernel.now() + micros(500)) });
    tearing.fs.crash(rootStream(4));
    const after = text(tearing.fs.content('/index'))!;
    expect(after.startsWith('first')).toBe(true);
    expect(after.length).toBeGreaterThan('first'.length);
    expect('first+second'.startsWith(after) && after !== 'first+second').toBe(true);
  });

  it('tears a lone unsynced append to a non-empty strict prefix, and exactly as often as asked over many crashes', () => {
    let torn = 0;
    const crashes = 400;
    const random = rootStream('tear-rate');
    for (let i = 0; i < crashes; i++) {
      const { kernel, fs } = makeFs(ratio(1, 4));
      fs.append('/log', bytes('base'), () => {});
      fs.sync('/log', () => {});
      kernel.run();
      fs.append('/log', bytes('0123456789'), () => {});
      kernel.run();
      fs.crash(random);
      const after = text(fs.content('/log'))!;
      expect(after.startsWith('base')).toBe(true);
      expect('base0123456789'.startsWith(after)).toBe(true);
      expect(after.length).toBeLessThan('base0123456789'.length);
      if (after.length > 4) torn++;
    }
    // Binomial(400, 1/4): mean 100, sd ~8.7; 5 sd either side.
    expect(torn).toBeGreaterThan(56);
    expect(torn).toBeLessThan(144);
  });

  it('loses a whole-file rewrite that was not synced and restores the durable version', () => {
    const { kernel, fs } = makeFs(ALWAYS);
    fs.writeFile('/meta/state.json', bytes('{"v":1}'), () => {});
    fs.sync('/meta/state.json', () => {});
    kernel.run();
    fs.writeFile('/meta/state.json', bytes('{"v":2,"more":true}'), () => {});
    fs.append('/meta/state.json', bytes('tail'), () => {});
    kernel.run();
    expect(text(fs.durableContent('/meta/state.json'))).toBe('{"v":1}');
    fs.crash(rootStream(3));
    expect(text(fs.content('/meta/state.json'))).toBe('{"v":1}');
    expect(fs.usage().usedBytes).toBe(7);
  });

  it('a clean shutdown makes everything durable; a removed file stays removed', () => {
    const { kernel, fs } = makeFs(NEVER);
    fs.append('/a', bytes('kept'), () => {});
    fs.append('/b', bytes('gone'), () => {});
    fs.sync('/b', () => {});
    kernel.run();
    fs.remove('/b', () => {});
    kernel.run();
    fs.shutdown();
    fs.crash(rootStream(4));
    expect(fs.paths()).toEqual(['/a']);
    expect(text(fs.content('/a'))).toBe('kept');
  });

  it('fails every operation with host-down while down, as a later event', () => {
    const { kernel, fs } = makeFs();
    fs.setDown(true);
    const results: Array<FsResult<unknown>> = [];
    fs.append('/x', bytes('1'), (r) => results.push(r));
    fs.writeFile('/x', bytes('1'), (r) => results.push(r));
    fs.readFile('/x', (r) => results.push(r));
    fs.sync('/x', (r) => results.push(r));
    fs.remove('/x', (r) => results.push(r));
    fs.list('/', (r) => results.push(r));
    expect(results).toEqual([]);
    kernel.run();
    expect(results).toHaveLength(6);
    for (const result of results) expect(result).toEqual({ ok: false, error: { kind: 'host-down' } });
    expect(fs.paths()).toEqual([]);
    fs.setDown(false);
    let appended: FsResult<void> | undefined;
    fs.append('/x', bytes('1'), (r) => (appended = r));
    kernel.run();
    expectOk(appended);
  });

  it('completes after the configured latency, sync slower than the rest', () => {
    const { kernel, fs } = makeFs();
    const at: Record<string, number> = {};
    fs.append('/x', bytes('1'), () => (at.append = kernel.now()));
    fs.sync('/x', () => (at.sync = kernel.now()));
    fs.readFile('/x', () => (at.read = kernel.now()));
    kernel.run();
    expect(at).toEqual({ append: micros(10), read: micros(10), sync: millis(1) });
  });

  it('reports a path that runs through a file as an io-error', () => {
    const { kernel, fs } = makeFs();
    const results: Array<FsResult<void>> = [];
    fs.append('/a', bytes('1'), (r) => results.push(r));
    fs.append('/a/b', bytes('1'), (r) => results.push(r));
    kernel.run();
    expect(results[0]).toEqual({ ok: true, value: undefined });
    expect(results[1]).toMatchObject({ ok: false, error: { kind: 'io-error', path: '/a/b' } });
    fs.invariants();
  });

  it('keeps appending correctly to more files than memfs would let a process keep open (10,000)', () => {
    const { kernel, fs } = makeFs(NEVER);
    const files = 10_050;
    for (let round = 0; round < 2; round++) for (let i = 0; i < files; i++) fs.append(`/many/f${i}`, bytes(`${round}`), () => {});
    kernel.run();
    fs.invariants();
    expect(text(fs.content('/many/f0'))).toBe('01');
    expect(text(fs.content(`/many/f${files - 1}`))).toBe('01');
    expect(fs.usage().usedBytes).toBe(2 * files);
  });

  it('stays cheap: 100k small appends with periodic syncs and a crash', () => {
    const { kernel, fs } = makeFs(ALWAYS, 1 << 30);
    const record = new Uint8Array(64).fill(7);
    for (let i = 0; i < 100_000; i++) {
      fs.append(`/hrl/d${i % 8}.hrl`, record, () => {});
      if (i % 1000 === 999) fs.sync(`/hrl/d${i % 8}.hrl`, () => {});
      if (i % 256 === 0) kernel.run();
    }
    kernel.run();
    fs.crash(rootStream(5));
    fs.invariants();
    expect(fs.usage().usedBytes).toBeGreaterThan(0);
  });
});
