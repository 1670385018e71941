// The corruption fault's damage: one leaf of a deep copy, every kind of leaf, never the original.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../../sim/random.js';
import { corruptedCopy, type Corruptible } from '../../sim/network/index.js';

const stream = (label = 'corruption-test'): RandomStream => new RandomStream(label);

/** Damages `value` (which must have a leaf) with a fresh stream per label. */
function damaged(value: unknown, label?: string): unknown {
  const result = corruptedCopy(value, stream(label));
  expect(result).not.toBeNull();
  return result!.body;
}

/** Paths of the leaves where `a` and `b` differ; throws if their shapes differ. */
function differingLeaves(a: unknown, b: unknown, path = '$'): string[] {
  if (Array.isArray(a)) {
    expect(Array.isArray(b)).toBe(true);
    expect((b as unknown[]).length).toBe(a.length);
    return a.flatMap((item, i) => differingLeaves(item, (b as unknown[])[i], `${path}[${i}]`));
  }
  if (typeof a === 'object' && a !== null && !ArrayBuffer.isView(a)) {
    expect(Object.keys(b as object)).toEqual(Object.keys(a));
    return Object.keys(a).flatMap((key) => differingLeaves((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`));
  }
  if (ArrayBuffer.isView(a)) {
    const left = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const right = new Uint8Array((b as ArrayBufferView).buffer, (b as ArrayBufferView).byteOffset, (b as ArrayBufferView).byteLength);
    return left.every((byte, i) => byte === right[i]) ? [] : [path];
  }
  return Object.is(a, b) ? [] : [path];
}

/** Whether a JSON value holds a number, string or boolean anywhere. */
function hasJsonLeaf(value: unknown): boolean {
  if (typeof value === 'object' && value !== null) return Object.values(value).some(hasJsonLeaf);
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
}

describe('corruptedCopy', () => {
  it('flips one bit of an int32 and keeps it an integer', () => {
    for (const value of [0, -0, 1, -1, 42, 2 ** 31 - 1, -(2 ** 31)]) {
      const result = damaged(value, `int-${value}`) as number;
      expect(Number.isInteger(result)).toBe(true);
      expect(result).not.toBe(value);
      const xor = (result ^ value) >>> 0;
      expect(xor & (xor - 1)).toBe(0); // exactly one bit differs
    }
  });

  it('changes any other finite number to a different finite number', () => {
    for (const value of [0.5, -3.25, 1e300, 2 ** 40, Math.PI, 5e-324]) {
      const result = damaged(value, `float-${value}`) as number;
      expect(Number.isFinite(result)).toBe(true);
      expect(result).not.toBe(value);
    }
    expect(damaged(Number.NaN)).toBe(0);
  });

  it('changes one character of a string, and gives an empty string one', () => {
    const result = damaged('replica-server') as string;
    expect(result).toHaveLength('replica-server'.length);
    expect([...result].filter((c, i) => c !== 'replica-server'[i])).toHaveLength(1);
    expect(damaged('') as string).toHaveLength(1);
  });

  it('negates booleans and flips one bit of a bigint', () => {
    expect(damaged(true)).toBe(false);
    expect(damaged(false)).toBe(true);
    const result = damaged(12345678901234567890n) as bigint;
    const xor = result ^ 12345678901234567890n;
    expect(xor > 0n && (xor & (xor - 1n)) === 0n).toBe(true);
  });

  it('flips one bit of a typed array, a DataView or an ArrayBuffer, in a copy', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const words = new Float64Array([1.5, 2.5]);
    const view = new DataView(new Uint8Array([9, 9, 9]).buffer);
    const buffer = new Uint8Array([7, 7]).buffer;
    for (const original of [bytes, words, view, buffer]) {
      const before = new Uint8Array(original instanceof ArrayBuffer ? original.slice(0) : original.buffer.slice(0));
      const result = damaged(original);
      expect(result).not.toBe(original);
      expect(result?.constructor).toBe(original.constructor);
      const after = new Uint8Array(result instanceof ArrayBuffer ? result : (result as ArrayBufferView).buffer);
      let bitsChanged = 0;
      for (let i = 0; i < before.length; i++) for (let x = before[i] ^ after[i]; x !== 0; x &= x - 1) bitsChanged++;
      expect(bitsChanged).toBe(1);
      const untouched = new Uint8Array(original instanceof ArrayBuffer ? original : original.buffer);
      expect([...untouched]).toEqual([...before]);
    }
  });

  it('replaces a payload by its own corrupted copy, made with the link stream', () => {
    const damagedPayload = { blockCount: 1, damaged: true };
    let calls = 0;
    const payload: Corruptible & { blockCount: number } = {
      blockCount: 1,
      corruptedCopy: (random) => {
        calls++;
        expect(random).toBeInstanceOf(RandomStream);
        return damagedPayload;
      },
    };
    expect(damaged({ kind: 'data', payload })).toEqual({ kind: 'data', payload: damagedPayload });
    expect(calls).toBe(1);
  });

  it('finds nothing to damage in bodies without leaves, and leaves opaque objects alone', () => {
    expect(corruptedCopy({}, stream())).toBeNull();
    expect(corruptedCopy(null, stream())).toBeNull();
    expect(corruptedCopy([[], {}, undefined, new Uint8Array(0)], stream())).toBeNull();
    const opaque = new Map([['k', 1]]);
    const result = damaged({ opaque, n: 1 }) as { opaque: unknown; n: number };
    expect(result.opaque).toBe(opaque);
    expect(result.n).not.toBe(1);
  });

  it('damages exactly one leaf of a deep copy and never the original', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.string({ maxLength: 8 }), (value, label) => {
        const pristine = structuredClone(value);
        const result = corruptedCopy(value, stream(label));
        expect(value).toEqual(pristine);
        if (result === null) {
          expect(hasJsonLeaf(value)).toBe(false);
          return;
        }
        expect(differingLeaves(value, result.body)).toHaveLength(1);
        if (typeof value === 'object' && value !== null) expect(result.body).not.toBe(value);
      }),
    );
  });

  it('picks the damaged leaf uniformly enough to reach every leaf', () => {
    const value = { a: 1, b: [2, 3, { c: 'x' }], d: true };
    const hit = new Set<string>();
    for (let i = 0; i < 200; i++) for (const path of differingLeaves(value, damaged(value, `spread-${i}`))) hit.add(path);
    expect([...hit].sort()).toEqual(['$.a', '$.b[0]', '$.b[1]', '$.b[2].c', '$.d']);
  });

  it('is deterministic for a given stream', () => {
    const value = { seq: 7, name: 'abc', data: new Uint8Array(64) };
    expect(damaged(value, 'same')).toEqual(damaged(value, 'same'));
  });
});

describe('corruptedCopy of a record with a "__proto__" key', () => {
  it('keeps the key as an own property (found by the property above with a random seed)', () => {
    const body = JSON.parse('{"__proto__": 5, "a": 1}') as Record<string, unknown>;
    const result = corruptedCopy(body, new RandomStream('proto'));
    expect(result).not.toBeNull();
    expect(Object.keys(result!.body as object).sort()).toEqual(['__proto__', 'a']);
  });
});
