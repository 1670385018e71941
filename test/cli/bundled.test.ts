import { describe, expect, it } from 'vitest';
import { loadBundled } from '../../cli/bench/bundled.js';
import type * as fixture from './fixtures/bundled-module.js';

describe('loadBundled: the day benchmarks run their module from one bundle', () => {
  it('runs the module and what it imports, as the module would run itself', () => {
    const bundled = loadBundled<typeof fixture>(new URL('./fixtures/bundled-module.ts', import.meta.url));
    const counter = new bundled.Counter();
    counter.add();
    expect(counter.add()).toBe('00000002');
  });

  it('refuses a module the bundle would run wrongly (import.meta in CommonJS)', () => {
    expect(() => loadBundled(new URL('./fixtures/bundled-import-meta.ts', import.meta.url))).toThrow(/import\.meta/);
  });
});
