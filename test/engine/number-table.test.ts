// NumberTable against a Map: random sets, deletes, gets and clears over keys that collide in a
// small table (few distinct low bits) and keys beyond 32 bits, checking every answer, the
// enumeration and the table's invariants after each step.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NumberTable } from '../../engine/data-plane/number-table.js';

const key = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 40 }).map((k) => k * 2 ** 32 + 7),
  fc.constantFrom(2 ** 53 - 1, 2 ** 40, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff),
);

type Step = { kind: 'set' | 'delete' | 'get'; key: number } | { kind: 'clear' };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: key.map((k) => ({ kind: 'set' as const, key: k })) },
  { weight: 4, arbitrary: key.map((k) => ({ kind: 'delete' as const, key: k })) },
  { weight: 3, arbitrary: key.map((k) => ({ kind: 'get' as const, key: k })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('NumberTable', () => {
  it('answers as a Map does through any sequence of sets, deletes and clears', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
        const table = new NumberTable<{ value: number }>();
        const model = new Map<number, { value: number }>();
        steps.forEach((s, i) => {
          if (s.kind === 'set') {
            const value = { value: i };
            table.set(s.key, value);
            model.set(s.key, value);
          } else if (s.kind === 'delete') {
            expect(table.delete(s.key)).toBe(model.delete(s.key));
          } else if (s.kind === 'get') {
            expect(table.get(s.key)).toBe(model.get(s.key));
            expect(table.has(s.key)).toBe(model.has(s.key));
          } else {
            table.clear();
            model.clear();
          }
          expect(table.size).toBe(model.size);
          table.invariants();
        });
        const seen: Array<[number, number]> = [];
        table.forEach((value, k) => seen.push([k, value.value]));
        expect(seen.sort((a, b) => a[0] - b[0])).toEqual([...model].map(([k, v]) => [k, v.value]).sort((a, b) => a[0] - b[0]));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every key findable through long runs of churn in a small, crowded table (probe runs wrap around its end)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 11 }), fc.boolean()), { minLength: 200, maxLength: 600 }), (steps) => {
        // At most 12 keys: the table stays at 32 slots or fewer, and runs cross its last slot.
        const table = new NumberTable<number>();
        const model = new Map<number, number>();
        steps.forEach(([k, insert], i) => {
          if (insert) {
            table.set(k * 977, i);
            model.set(k * 977, i);
          } else expect(table.delete(k * 977)).toBe(model.delete(k * 977));
          for (let probe = 0; probe < 12; probe++) expect(table.get(probe * 977)).toBe(model.get(probe * 977));
        });
        table.invariants();
      }),
    );
  });

  it('refuses keys that are not non-negative safe integers, and undefined values', () => {
    const table = new NumberTable<number>();
    expect(() => table.set(-1, 1)).toThrow(/safe integer/);
    expect(() => table.set(1.5, 1)).toThrow(/safe integer/);
    expect(() => table.set(2 ** 53, 1)).toThrow(/safe integer/);
    expect(() => table.set(1, undefined as unknown as number)).toThrow(/undefined/);
  });
});

describe('NumberTable: keys that share their low bits', () => {
  it('spreads multiples of a large power of two over the table (a slot is the top bits of the mix)', () => {
    const table = new NumberTable<number>();
    for (let i = 0; i < 64; i++) table.set(i * 2 ** 16, i);
    // Probe runs stay short: no slot's run of occupied slots covers most of the table.
    let longest = 0;
    let run = 0;
    const occupied: boolean[] = [];
    for (let i = 0; i < 64; i++) occupied.push(table.get(i * 2 ** 16) === i);
    expect(occupied.every(Boolean)).toBe(true);
    const slots = (table as unknown as { values: (number | undefined)[] }).values;
    for (const value of [...slots, ...slots]) {
      run = value === undefined ? 0 : run + 1;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThan(32);
    table.invariants();
  });
});
