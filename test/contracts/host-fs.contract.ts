// The HostFs port contract (engine/ports.ts): what every implementation must do, simulated or
// real. Durability is not part of it (that is the simulator's fault model, tested on its own).
import { describe, expect, it } from 'vitest';
import type { FsResult, HostFs } from '../../engine/ports.js';

export interface FsUnderTest {
  readonly fs: HostFs;
  /** Delivers every pending completion. */
  run(): void;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** Calls `op`, checks its completion is neither synchronous nor repeated, and returns its result. */
function settle<T>(subject: FsUnderTest, op: (done: (result: FsResult<T>) => void) => void): FsResult<T> {
  const results: Array<FsResult<T>> = [];
  let returned = false;
  op((result) => {
    expect(returned, 'completion ran re-entrantly, inside the call').toBe(true);
    results.push(result);
  });
  returned = true;
  expect(results).toHaveLength(0);
  subject.run();
  expect(results, 'completion must run exactly once').toHaveLength(1);
  return results[0];
}

function valueOf<T>(result: FsResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

export function hostFsContract(name: string, makeFs: (capacityBytes: number) => FsUnderTest): void {
  describe(`HostFs contract: ${name}`, () => {
    const append = (s: FsUnderTest, path: string, data: string) => settle<void>(s, (done) => s.fs.append(path, bytes(data), done));
    const writeFile = (s: FsUnderTest, path: string, data: string) => settle<void>(s, (done) => s.fs.writeFile(path, bytes(data), done));
    const read = (s: FsUnderTest, path: string) => settle<Uint8Array>(s, (done) => s.fs.readFile(path, done));
    const readText = (s: FsUnderTest, path: string) => text(valueOf(read(s, path)));

    it('appends in order, creating the file and its directories', () => {
      const s = makeFs(1024);
      valueOf(append(s, '/logs/vm1/disk0.hrl', 'ab'));
      valueOf(append(s, '/logs/vm1/disk0.hrl', 'cd'));
      valueOf(settle<void>(s, (done) => s.fs.sync('/logs/vm1/disk0.hrl', done)));
      valueOf(append(s, '/logs/vm1/disk0.hrl', 'e'));
      expect(readText(s, '/logs/vm1/disk0.hrl')).toBe('abcde');
      expect(s.fs.usage().usedBytes).toBe(5);
    });

    it('a durable append appends as append does, once, and fails with no-space as append does', () => {
      const s = makeFs(8);
      valueOf(settle<void>(s, (done) => s.fs.appendDurable('/journal/index', bytes('abc'), done)));
      valueOf(settle<void>(s, (done) => s.fs.appendDurable('/journal/index', bytes('de'), done)));
      expect(readText(s, '/journal/index')).toBe('abcde');
      expect(settle<void>(s, (done) => s.fs.appendDurable('/journal/index', bytes('0123'), done))).toEqual({ ok: false, error: { kind: 'no-space', path: '/journal/index' } });
      expect(readText(s, '/journal/index')).toBe('abcde');
    });

    it('copies the data it is given: later changes to the caller buffer do not leak in', () => {
      const s = makeFs(1024);
      const data = bytes('xyz');
      settle<void>(s, (done) => s.fs.append('/f', data, done));
      data[0] = 0x41;
      expect(readText(s, '/f')).toBe('xyz');
    });

    it('writeFile replaces the whole content', () => {
      const s = makeFs(1024);
      valueOf(append(s, '/meta/replica.json', 'a long first version'));
      valueOf(writeFile(s, '/meta/replica.json', 'v2'));
      expect(readText(s, '/meta/replica.json')).toBe('v2');
      expect(s.fs.usage().usedBytes).toBe(2);
      valueOf(writeFile(s, '/meta/new.json', 'fresh'));
      expect(readText(s, '/meta/new.json')).toBe('fresh');
    });

    it('remove deletes the file and frees its space', () => {
      const s = makeFs(1024);
      valueOf(append(s, '/a/x', '12345'));
      valueOf(settle<void>(s, (done) => s.fs.remove('/a/x', done)));
      expect(read(s, '/a/x')).toEqual({ ok: false, error: { kind: 'not-found', path: '/a/x' } });
      expect(s.fs.usage().usedBytes).toBe(0);
    });

    it('lists the paths under a directory, at any depth, sorted', () => {
      const s = makeFs(1024);
      for (const path of ['/d/b', '/d/c/x', '/d/a', '/e/z', '/d/B', '/dd']) valueOf(append(s, path, '.'));
      expect(valueOf(settle<readonly string[]>(s, (done) => s.fs.list('/d', done)))).toEqual(['/d/B', '/d/a', '/d/b', '/d/c/x']);
      expect(valueOf(settle<readonly string[]>(s, (done) => s.fs.list('/d/c', done)))).toEqual(['/d/c/x']);
    });

    it('reports missing files and directories as not-found, naming the path', () => {
      const s = makeFs(1024);
      const missing = { ok: false, error: { kind: 'not-found', path: '/nope' } };
      expect(read(s, '/nope')).toEqual(missing);
      expect(settle<void>(s, (done) => s.fs.sync('/nope', done))).toEqual(missing);
      expect(settle<void>(s, (done) => s.fs.remove('/nope', done))).toEqual(missing);
      expect(settle<readonly string[]>(s, (done) => s.fs.list('/nope', done))).toEqual(missing);
    });

    it('fails with no-space when an append or write would pass capacity, changing nothing', () => {
      const s = makeFs(10);
      valueOf(append(s, '/log', '123456'));
      expect(append(s, '/log', '12345')).toEqual({ ok: false, error: { kind: 'no-space', path: '/log' } });
      expect(writeFile(s, '/other', '12345')).toEqual({ ok: false, error: { kind: 'no-space', path: '/other' } });
      expect(readText(s, '/log')).toBe('123456');
      expect(s.fs.usage()).toEqual({ usedBytes: 6, capacityBytes: 10 });
      // Replacing a file only needs room for the difference.
      valueOf(writeFile(s, '/log', '1234567890'));
      valueOf(append(s, '/log', ''));
      expect(s.fs.usage().usedBytes).toBe(10);
    });

    it('never completes an operation inside the call, even when many are issued at once', () => {
      const s = makeFs(1024);
      const completed: string[] = [];
      s.fs.append('/q', bytes('1'), () => completed.push('append'));
      s.fs.readFile('/missing', () => completed.push('read'));
      s.fs.sync('/q', () => completed.push('sync'));
      s.fs.list('/', () => completed.push('list'));
      expect(completed).toEqual([]);
      s.run();
      expect([...completed].sort()).toEqual(['append', 'list', 'read', 'sync']);
    });
  });
}
