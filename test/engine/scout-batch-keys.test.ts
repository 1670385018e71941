// Scout names a batch in flight by a number (generation, seq) instead of a string: keys of
// distinct batches differ, equal batches get equal keys even when computed apart (large keys are
// heap numbers, compared by value), keys out of range are refused, and the retransmitter finds,
// refuses twice and acknowledges frames by such keys.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seconds } from '../../model/index.js';
import { Kernel, KernelClock } from '../../sim/index.js';
import { Retransmitter } from '../../engine/data-plane/retransmitter.js';
import { batchKey } from '../../engine/providers/inmage-scout/messages.js';
import type { Frame } from '../../engine/index.js';

const generation = fc.integer({ min: 0, max: 2 ** 20 - 1 });
const seq = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe('batchKey', () => {
  it('is one to one on (generation, seq) and a safe integer', () => {
    fc.assert(
      fc.property(generation, seq, generation, seq, (g1, s1, g2, s2) => {
        expect(Number.isSafeInteger(batchKey(g1, s1))).toBe(true);
        expect(batchKey(g1, s1) === batchKey(g2, s2)).toBe(g1 === g2 && s1 === s2);
      }),
    );
  });

  it('refuses batches outside its range', () => {
    expect(() => batchKey(2 ** 20, 1)).toThrow(/no key/);
    expect(() => batchKey(1, 2 ** 32)).toThrow(/no key/);
    expect(() => batchKey(-1, 1)).toThrow(/no key/);
  });
});

describe('Retransmitter with numbered keys', () => {
  it('tracks frames by key value', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(generation, seq), { minLength: 1, maxLength: 8, selector: ([g, s]) => `${g}:${s}` }), (batches) => {
        const kernel = new Kernel();
        const sent: string[] = [];
        const retx = new Retransmitter<number>(new KernelClock(kernel, 'retx'), (frame, left) => {
          sent.push(String(frame.body));
          left();
        });
        for (const [g, s] of batches) {
          const frame: Frame = { sizeBytes: 10, body: `${g}:${s}` };
          retx.send(batchKey(g, s), frame, seconds(30));
        }
        expect(sent).toEqual(batches.map(([g, s]) => `${g}:${s}`));
        const [g0, s0] = batches[0];
        expect(() => retx.send(batchKey(g0, s0), { sizeBytes: 10, body: 'again' }, seconds(30))).toThrow(/already outstanding/);
        retx.invariants();
        for (const [g, s] of [...batches].reverse()) {
          expect(retx.has(batchKey(g, s))).toBe(true);
          expect(retx.acknowledge(batchKey(g, s))).toBe(true);
          expect(retx.acknowledge(batchKey(g, s))).toBe(false);
        }
        expect(retx.size).toBe(0);
        retx.invariants();
      }),
    );
  });
});
