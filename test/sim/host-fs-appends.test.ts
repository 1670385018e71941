// Model-based test of SimHostFs, whose file content lives in its own chunks beside memfs:
// random sequences of appends, whole-file writes, syncs, crashes, shutdowns, removes, reads and
// lists run on the file system and on a reference that keeps every file as a plain copied array,
// and after every step both must agree on content, durable content, results and usage.
// The reference also replays the crash's random draws (file creation order, one chance and one
// length per lone unsynced append), so a tear must land on exactly the same byte.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { micros, millis } from '../../model/index.js';
import type { FsResult } from '../../engine/ports.js';
import { Kernel } from '../../sim/kernel.js';
import { ALWAYS, NEVER, ratio, rootStream, type RandomStream, type Ratio } from '../../sim/random.js';
import { SimHostFs } from '../../sim/host/host-fs.js';

// ---------------------------------------------------------------------------------------------
// The reference: obviously correct, slow, copies everything.

interface ReferenceFile {
  content: Uint8Array;
  /** Content at the last completed sync (or shutdown); undefined when never made durable. */
  durable: Uint8Array | undefined;
  /** Non-empty changes since then; a lone append may tear at a crash. */
  changes: Array<{ readonly kind: 'append'; readonly length: number } | { readonly kind: 'write' }>;
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
};

/** Index of the first byte where `a` and `b` differ (or the shorter length), -1 when equal:
 *  vitest's deep equality walks a megabyte array far too slowly. */
const firstDifference = (a: Uint8Array, b: Uint8Array): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
};

/** Fast when equal; vitest's message (which bytes differ) when not. */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array | undefined, label: string): void {
  const same = actual === undefined || expected === undefined ? actual === expected : firstDifference(actual, expected) === -1;
  if (!same) expect(actual, label).toEqual(expected);
}

class ReferenceFs {
  /** In creation order: the order in which a crash draws tears. */
  readonly files = new Map<string, ReferenceFile>();
  /** Directories are created for a file's path and never lost or removed. */
  private readonly directories = new Set<string>(['/']);
  usedBytes = 0;

  constructor(
    private readonly capacityBytes: number,
    private readonly tearChance: Ratio,
  ) {}

  append(path: string, data: Uint8Array): FsResult<void> {
    if (this.usedBytes + data.length > this.capacityBytes) return { ok: false, error: { kind: 'no-space', path } };
    const file = this.files.get(path) ?? this.create(path);
    if (file === undefined) return { ok: false, error: { kind: 'io-error', path, message: '' } };
    if (data.length > 0) {
      file.content = concat(file.content, data);
      file.changes.push({ kind: 'append', length: data.length });
      this.usedBytes += data.length;
    }
    return { ok: true, value: undefined };
  }

  writeFile(path: string, data: Uint8Array): FsResult<void> {
    const oldLength = this.files.get(path)?.content.length ?? 0;
    if (this.usedBytes - oldLength + data.length > this.capacityBytes) return { ok: false, error: { kind: 'no-space', path } };
    const file = this.files.get(path) ?? this.create(path);
    if (file === undefined) return { ok: false, error: { kind: 'io-error', path, message: '' } };
    file.content = data.slice();
    file.changes.push({ kind: 'write' });
    this.usedBytes += data.length - oldLength;
    return { ok: true, value: undefined };
  }

  readFile(path: string): FsResult<Uint8Array> {
    const file = this.files.get(path);
    return file === undefined ? { ok: false, error: { kind: 'not-found', path } } : { ok: true, value: file.content.slice() };
  }

  sync(path: string): FsResult<void> {
    const file = this.files.get(path);
    if (file === undefined) return { ok: false, error: { kind: 'not-found', path } };
    file.durable = file.content.slice();
    file.changes = [];
    return { ok: true, value: undefined };
  }

  remove(path: string): FsResult<void> {
    const file = this.files.get(path);
    if (file === undefined) return { ok: false, error: { kind: 'not-found', path } };
    this.usedBytes -= file.content.length;
    this.files.delete(path);
    return { ok: true, value: undefined };
  }

  list(dir: string): FsResult<readonly string[]> {
    if (!this.directories.has(dir)) return { ok: false, error: { kind: 'not-found', path: dir } };
    const prefix = dir === '/' ? '/' : `${dir}/`;
    return { ok: true, value: [...this.files.keys()].filter((path) => path.startsWith(prefix)).sort() };
  }

  crash(random: RandomStream): void {
    for (const [path, file] of this.files) {
      if (file.durable === undefined) {
        this.usedBytes -= file.content.length;
        this.files.delete(path);
        continue;
      }
      let kept = file.durable;
      const lone = file.changes.length === 1 ? file.changes[0] : undefined;
      if (lone?.kind === 'append' && lone.length >= 2 && random.chance(this.tearChance)) {
        kept = file.content.slice(0, file.durable.length + random.between(1, lone.length - 1));
      }
      this.usedBytes += kept.length - file.content.length;
      file.content = kept.slice();
      file.durable = kept.slice();
      file.changes = [];
    }
  }

  shutdown(): void {
    for (const file of this.files.values()) {
      file.durable = file.content.slice();
      file.changes = [];
    }
  }

  /** A file at `path`, or undefined when a path component is a file or the path a directory. */
  private create(path: string): ReferenceFile | undefined {
    const ancestors: string[] = [];
    for (let cut = path.indexOf('/', 1); cut > 0; cut = path.indexOf('/', cut + 1)) ancestors.push(path.slice(0, cut));
    if (this.directories.has(path) || ancestors.some((ancestor) => this.files.has(ancestor))) return undefined;
    for (const ancestor of ancestors) this.directories.add(ancestor);
    const file: ReferenceFile = { content: new Uint8Array(0), durable: undefined, changes: [] };
    this.files.set(path, file);
    return file;
  }
}

// ---------------------------------------------------------------------------------------------
// Operations

/** Two journal-like files, one state file, and a file and a file beneath it that collide. */
const PATHS = ['/mt/journal.bin', '/mt/state.json', '/mt/d', '/mt/d/x'];
const DIRECTORIES = ['/', '/mt', '/mt/d'];
const CAPACITY_BYTES = 1000;

type Op =
  | { readonly kind: 'append' | 'write'; readonly path: string; readonly data: Uint8Array }
  | { readonly kind: 'sync' | 'remove' | 'read'; readonly path: string }
  | { readonly kind: 'list'; readonly dir: string }
  | { readonly kind: 'crash' | 'shutdown' };

/** Mostly the two files that take appends; the colliding pair rarely, as each collision is final. */
const pathArbitrary = fc.oneof(
  { weight: 5, arbitrary: fc.constant(PATHS[0]) },
  { weight: 3, arbitrary: fc.constant(PATHS[1]) },
  { weight: 1, arbitrary: fc.constant(PATHS[2]) },
  { weight: 1, arbitrary: fc.constant(PATHS[3]) },
);
/** Mostly small records, sometimes big ones that span chunks or fill the volume at once. */
const dataArbitrary = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 40, maxLength: 400, size: 'max' }) });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('append' as const), path: pathArbitrary, data: dataArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('write' as const), path: pathArbitrary, data: dataArbitrary }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), path: pathArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), path: pathArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), path: pathArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), dir: fc.constantFrom(...DIRECTORIES) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'shutdown' as const }) },
);

/** Compares results, io-errors by kind and path only (their message is memfs's error code). */
function expectSameResult(actual: FsResult<unknown> | undefined, expected: FsResult<unknown>, step: string): void {
  if (!expected.ok && expected.error.kind === 'io-error') expect(actual, step).toMatchObject({ ok: false, error: { kind: 'io-error', path: expected.error.path } });
  else expect(actual, step).toEqual(expected);
}

interface Subject {
  readonly kernel: Kernel;
  readonly fs: SimHostFs;
  readonly reference: ReferenceFs;
  readonly fsCrashRandom: RandomStream;
  readonly referenceCrashRandom: RandomStream;
  /** Buffers handed over by writeFile, with a copy: the file system must never write into them. */
  readonly handedOver: Array<{ readonly given: Uint8Array; readonly copy: Uint8Array }>;
}

function makeSubject(seed: number, tearChance: Ratio): Subject {
  const kernel = new Kernel();
  return {
    kernel,
    fs: new SimHostFs(kernel, 'mt1', { capacityBytes: CAPACITY_BYTES, tearChance, opLatency: micros(10), syncLatency: millis(1) }),
    reference: new ReferenceFs(CAPACITY_BYTES, tearChance),
    fsCrashRandom: rootStream(seed).fork('fs-crash'),
    referenceCrashRandom: rootStream(seed).fork('fs-crash'),
    handedOver: [],
  };
}

/** Runs `op` on both, delivering the file system's completion, and compares the results. */
function step(subject: Subject, op: Op, label: string): void {
  const { kernel, fs, reference } = subject;
  let result: FsResult<unknown> | undefined;
  const done = (r: FsResult<unknown>): void => {
    result = r;
  };
  let expected: FsResult<unknown> | undefined;
  switch (op.kind) {
    case 'append':
      fs.append(op.path, op.data, done);
      expected = reference.append(op.path, op.data);
      break;
    case 'write': {
      const given = op.data.slice(); // a buffer of its own: fast-check may share one between ops
      subject.handedOver.push({ given, copy: given.slice() });
      fs.writeFile(op.path, given, done);
      expected = reference.writeFile(op.path, given);
      break;
    }
    case 'sync':
      fs.sync(op.path, done);
      expected = reference.sync(op.path);
      break;
    case 'remove':
      fs.remove(op.path, done);
      expected = reference.remove(op.path);
      break;
    case 'read':
      fs.readFile(op.path, done);
      expected = reference.readFile(op.path);
      break;
    case 'list':
      fs.list(op.dir, done);
      expected = reference.list(op.dir);
      break;
    case 'crash':
      fs.crash(subject.fsCrashRandom);
      reference.crash(subject.referenceCrashRandom);
      break;
    case 'shutdown':
      fs.shutdown();
      reference.shutdown();
      break;
  }
  kernel.run();
  if (expected !== undefined) expectSameResult(result, expected, label);
  // A read hands out a copy: scribbling on it must not reach the file.
  if (op.kind === 'read' && result?.ok === true) (result.value as Uint8Array).fill(0xee);
}

/** Content, durable content, the file list and usage agree; nothing handed over was written. */
function expectAgreement(subject: Subject, label: string): void {
  const { fs, reference } = subject;
  for (const path of PATHS) {
    const file = reference.files.get(path);
    expectBytes(fs.content(path), file?.content, `${label}: content of ${path}`);
    expectBytes(fs.durableContent(path), file?.durable, `${label}: durable content of ${path}`);
  }
  expect(fs.paths(), `${label}: paths`).toEqual([...reference.files.keys()].sort());
  expect(fs.usage(), `${label}: usage`).toEqual({ usedBytes: reference.usedBytes, capacityBytes: CAPACITY_BYTES });
  for (const { given, copy } of subject.handedOver) expectBytes(given, copy, `${label}: a buffer handed to writeFile was changed`);
  fs.invariants();
}

function runOps(ops: readonly Op[], seed: number, tearChance: Ratio): void {
  const subject = makeSubject(seed, tearChance);
  ops.forEach((op, index) => {
    const label = `step ${index} ${op.kind}`;
    step(subject, op, label);
    expectAgreement(subject, label);
  });
}

describe('SimHostFs appends against a reference model', () => {
  it('agrees with the reference after every step of random appends, writes, syncs, crashes, removes and reads', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 50, size: 'max' }), fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(NEVER, ratio(1, 2), ALWAYS), (ops, seed, tearChance) =>
        runOps(ops, seed, tearChance),
      ),
      { numRuns: 200 },
    );
  });

  it('tears a lone append at the byte the reference draws, drops every older unsynced append, and frees what a tear cuts off', () => {
    const data = (length: number, fill: number): Uint8Array => new Uint8Array(length).fill(fill);
    const journal = '/mt/journal.bin';
    for (let seed = 0; seed < 40; seed++) {
      // Enough appends to spread the content over several chunks before and after the sync.
      const grow: Op[] = Array.from({ length: 12 }, (_, i) => ({ kind: 'append' as const, path: journal, data: data(10 + i, i + 1) }));
      runOps([...grow, { kind: 'sync', path: journal }, { kind: 'append', path: journal, data: data(9, 0xa0) }, { kind: 'crash' }], seed, ratio(1, 2));
      runOps([...grow, { kind: 'sync', path: journal }, ...grow, { kind: 'crash' }, ...grow.slice(0, 3), { kind: 'crash' }], seed, ALWAYS);
      // A big record after a small rewritten file: an early tear leaves most of its chunk dead.
      runOps([{ kind: 'write', path: journal, data: data(10, 0xb0) }, { kind: 'sync', path: journal }, { kind: 'append', path: journal, data: data(900, 0xc0) }, { kind: 'crash' }], seed, ALWAYS);
    }
  });

  it('draws tears file by file in creation order, one chance and one length per lone append of two bytes or more', () => {
    const append = (path: string, length: number): Op => ({ kind: 'append', path, data: new Uint8Array(length).fill(length) });
    const files = [PATHS[0], PATHS[1], PATHS[2]];
    const round = (lengths: readonly number[]): Op[] => [...files.map((path, i) => append(path, lengths[i])), { kind: 'crash' }];
    const setup: Op[] = [...files.map((path) => append(path, 3)), ...files.map((path): Op => ({ kind: 'sync', path }))];
    for (let seed = 0; seed < 40; seed++) runOps([...setup, ...round([1, 6, 4]), ...round([5, 1, 0]), ...round([2, 9, 1]), ...round([7, 7, 7])], seed, ratio(1, 2));
  });

  it('keeps a long journal exact: 30k appends with a sync after each (past the largest chunk size), a torn last record, then recovery by rewrite', () => {
    const kernel = new Kernel();
    const fs = new SimHostFs(kernel, 'mt1', { capacityBytes: 1 << 24, tearChance: ALWAYS });
    const record = new Uint8Array(48);
    const expected = new Uint8Array(30_000 * record.length);
    for (let i = 0; i < 30_000; i++) {
      record.fill(i & 0xff); // the caller reuses its buffer: every append must have copied it
      expected.set(record, i * record.length);
      fs.append('/mt/journal.bin', record, () => {});
      fs.sync('/mt/journal.bin', () => {});
      if (i % 500 === 0) kernel.run();
    }
    kernel.run();
    fs.append('/mt/journal.bin', record, () => {});
    kernel.run();
    fs.crash(rootStream(7));
    const after = fs.content('/mt/journal.bin')!;
    expect(after.length).toBeGreaterThan(expected.length);
    expect(after.length).toBeLessThan(expected.length + record.length);
    expect(firstDifference(after.subarray(0, expected.length), expected)).toBe(-1);
    // What recovery does: cut the torn record by rewriting the valid prefix, then go on appending.
    fs.writeFile('/mt/journal.bin', after.slice(0, expected.length), () => {});
    fs.append('/mt/journal.bin', record, () => {});
    kernel.run();
    expect(firstDifference(fs.content('/mt/journal.bin')!, concat(expected, record))).toBe(-1);
    expect(fs.durableContent('/mt/journal.bin')!.length).toBe(after.length);
    fs.invariants();
  });
});
