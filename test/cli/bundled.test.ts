import { describe, expect, it } from 'vitest';
import { runBundled, withHugePages } from '../../cli/bench/bundled.js';
import type * as fixture from './fixtures/bundled-module.js';

const context = { scale: 0.5, repeat: undefined, progress: () => undefined };
const fixtureUrl = new URL('./fixtures/bundled-module.ts', import.meta.url);

describe('runBundled: the day benchmarks run in a process of their own, from one bundle', () => {
  it('runs the function with its arguments and the context, in another process with huge pages asked of malloc', () => {
    // Whatever tunables the person running the tests has set (a hugetlb mode of theirs is kept).
    const saved = process.env.GLIBC_TUNABLES;
    delete process.env.GLIBC_TUNABLES;
    let result: ReturnType<typeof fixture.describeProcess>;
    try {
      result = runBundled<typeof fixture, 'describeProcess'>(fixtureUrl, 'describeProcess', [2, 'two'], context);
    } finally {
      if (saved !== undefined) process.env.GLIBC_TUNABLES = saved;
    }
    expect(result.tunables).toBe('glibc.malloc.hugetlb=1');
    expect(result.hex).toBe('00000002');
    expect(result.label).toBe('two');
    expect(result.scale).toBe(0.5);
    expect(result.pid).not.toBe(process.pid);
  });

  it('returns the result whatever the function prints on stdout', () => {
    expect(runBundled<typeof fixture, 'chatty'>(fixtureUrl, 'chatty', [3], context)).toEqual({ tripled: 9 });
  });

  it('throws when the function fails in its process', () => {
    expect(() => runBundled<typeof fixture, 'fail'>(fixtureUrl, 'fail', [], context)).toThrow(/fail of .*bundled-module\.ts failed in its process \(exit code 1\)/);
  });

  it('refuses a module the bundle would run wrongly (import.meta in CommonJS)', () => {
    expect(() => runBundled(new URL('./fixtures/bundled-import-meta.ts', import.meta.url), 'value' as never, [] as never, context)).toThrow(/import\.meta/);
  });

  it('adds the huge-page tunable to the user\'s tunables, and keeps a hugetlb mode the user chose', () => {
    expect(withHugePages(undefined)).toBe('glibc.malloc.hugetlb=1');
    expect(withHugePages('')).toBe('glibc.malloc.hugetlb=1');
    expect(withHugePages('glibc.malloc.arena_max=2')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    expect(withHugePages('glibc.malloc.hugetlb=0')).toBe('glibc.malloc.hugetlb=0');
    expect(withHugePages('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2');
  });
});
