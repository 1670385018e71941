// The SimCodec digest against a reference walk written plainly: no remembered strings, keys,
// frame headers or arrays, no shortcut for small integers. The codec's remembering must never
// change a digest (the digests are folded into every trace hash), and a copy damaged by the
// network must never pass for the original.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { digestValue, fold32 } from '../../model/index.js';
import { BytesPayload, SimCodec, SymbolicPayload, blockChecksumOfId, bytesBlockChecksum, contentBytes } from '../../sim/disk/payload.js';
import { corruptedCopy } from '../../sim/network/index.js';
import { RandomStream } from '../../sim/random.js';

const BLOCK = 64;
const DIGEST_SEED = 0x2545f491;
const STRING_SEED = 0x5be0cd19;
const KEY_SEED = 0x3c6ef372;
const LONG_ARRAY_SEED = 0x1f83d9ab;
const LONG_ARRAY_LENGTH_MIN = 16;

/** A payload's checksum from its blocks' checksums, apart from the codec's remembered one. */
function referenceChecksum(payload: SymbolicPayload | BytesPayload): number {
  let hash = fold32(0x6a09e667, payload.blockCount);
  for (let i = 0; i < payload.blockCount; i++) {
    const block = payload instanceof SymbolicPayload ? blockChecksumOfId(payload.ids[i]) : bytesBlockChecksum(payload.bytes, i * payload.blockSizeBytes, payload.blockSizeBytes);
    hash = fold32(hash, block);
  }
  return hash;
}

function referenceItems(items: readonly unknown[], hash: number): number {
  let h = fold32(hash, items.length);
  for (const item of items) h = reference(item, h);
  return h;
}

/** The walk SimCodec documents, as a uint32. */
function reference(value: unknown, hash = DIGEST_SEED): number {
  if (typeof value === 'number') {
    if ((value | 0) === value) return fold32(fold32(hash, 1), value >>> 0);
    if (Number.isSafeInteger(value) && value > 0) return fold32(fold32(fold32(hash, 12), value % 2 ** 32), Math.floor(value / 2 ** 32));
    return digestValue(value, hash);
  }
  if (typeof value === 'string') return fold32(fold32(hash, 2), digestValue(value, STRING_SEED));
  if (typeof value !== 'object' || value === null) return digestValue(value, hash);
  if (value instanceof SymbolicPayload || value instanceof BytesPayload) return fold32(fold32(fold32(hash, 11), value.blockCount), referenceChecksum(value));
  if (Array.isArray(value)) {
    const items = value as readonly unknown[];
    if (items.length < LONG_ARRAY_LENGTH_MIN) return referenceItems(items, fold32(hash, 7));
    return fold32(fold32(hash, 13), referenceItems(items, LONG_ARRAY_SEED));
  }
  if (ArrayBuffer.isView(value)) return digestValue(value, hash);
  let count = 0;
  let sum = 0;
  for (const key in value) {
    count++;
    sum = (sum + reference((value as Record<string, unknown>)[key], digestValue(key, KEY_SEED))) >>> 0;
  }
  return fold32(fold32(fold32(hash, 9), count), sum);
}

// Small alphabets and many pairings, so that strings and keys share table sets and evict each
// other, and frame headers share slots.
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'x', '1', '/'), maxLength: 5 });
const key = fc.oneof(text, fc.constantFrom('type', 'generation', 'seq', 'sealedAt', 'data', 'records', 'content', 'control'));
const pairing = fc.integer({ min: 1, max: 400 }).map((n) => `vm${n}`);
/** Numbers any change of which the digest sees: int32s and non-negative safe integers (what
 *  messages carry). digestValue, which the walk defers to for other numbers, keeps no fraction,
 *  so a bit flipped below the point of a large negative integer or a fraction goes unseen. */
const exactNumber = fc.oneof(fc.integer(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 2 ** 40 }));
/** Any number, for the comparison with the reference walk. */
const anyNumber = fc.oneof(exactNumber, fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.double());
const symbolic = fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 6 }).map((ids) => new SymbolicPayload(Uint32Array.from(ids)));
const bytes = fc
  .array(fc.integer({ min: 0, max: 2 ** 30 }), { minLength: 1, maxLength: 3 })
  .map((ids) => {
    const content = new Uint8Array(ids.length * BLOCK);
    ids.forEach((id, i) => content.set(contentBytes(id, i, BLOCK), i * BLOCK));
    return new BytesPayload(content, BLOCK);
  });
const leaf = fc.oneof(exactNumber, text, pairing, fc.boolean(), symbolic, bytes);
const numberColumn = fc.array(exactNumber, { minLength: LONG_ARRAY_LENGTH_MIN, maxLength: 40 });

const { body } = fc.letrec<{ body: unknown; array: unknown[]; record: Record<string, unknown> }>((tie) => ({
  body: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('record'), numberColumn),
  array: fc.array(tie('body'), { maxLength: 5 }),
  record: fc.dictionary(key, tie('body'), { maxKeys: 5 }),
}));
/** Any body, and a fresh frame's checksum input around it. */
const frame = fc.tuple(pairing, fc.integer({ min: 0, max: 3 }), body).map(([p, epoch, message]) => [1, p, epoch, message]);
const anything = fc.oneof(body, frame, fc.constant(null), fc.constant(undefined), anyNumber, fc.array(anyNumber, { maxLength: 40 }), fc.bigInt());

describe('SimCodec digest against the plain reference walk', () => {
  it('equals the reference for any body, first and repeated (remembered) digests alike', () => {
    const codec = new SimCodec({ blockSizeBytes: BLOCK });
    fc.assert(
      fc.property(fc.array(anything, { minLength: 1, maxLength: 8 }), (values) => {
        for (const value of values) expect(codec.digest(value)).toBe(reference(value));
        for (const value of values) expect(codec.digest(value)).toBe(reference(value));
      }),
      { numRuns: 400 },
    );
  });

  it('equals the reference for frames of many pairings and epochs, sealed and opened in any order', () => {
    const codec = new SimCodec({ blockSizeBytes: BLOCK });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, reopen) => {
        for (const f of frames) expect(codec.digest(f)).toBe(reference(f));
        for (const at of reopen) {
          const f = frames[at % frames.length] as unknown[];
          // A receiver's open builds a new checksum input around the same message.
          expect(codec.digest([f[0], f[1], f[2], f[3]])).toBe(reference(f));
        }
      }),
    );
  });

  it('gives a copy damaged by the network a digest of its own', () => {
    const codec = new SimCodec({ blockSizeBytes: BLOCK });
    fc.assert(
      fc.property(frame, fc.string(), (original, seed) => {
        const sealed = codec.digest(original);
        const damaged = corruptedCopy(original, new RandomStream(seed));
        if (damaged === null) return;
        expect(codec.digest(damaged.body)).not.toBe(sealed);
        expect(codec.digest(damaged.body)).toBe(reference(damaged.body));
        expect(codec.digest(original)).toBe(sealed);
      }),
    );
  });

  it('remembers a long array once, frozen, so that a later change fails loudly', () => {
    const codec = new SimCodec({ blockSizeBytes: BLOCK });
    const column = Array.from({ length: 40 }, (_, i) => 86_400_000_000 + i * 7);
    const first = codec.digest({ column });
    expect(Object.isFrozen(column)).toBe(true);
    expect(() => (column as number[]).push(1)).toThrow(TypeError);
    expect(codec.digest({ column })).toBe(first);
    // Nothing of the memo is visible to a walk or a copy: keys, spread and slice see the items only.
    expect(Object.getOwnPropertySymbols(column)).toEqual([]);
    expect(codec.digest({ column: [...column] })).toBe(first);
  });

  it('digests a long array its sender froze, which it cannot remember, alike every time', () => {
    const codec = new SimCodec({ blockSizeBytes: BLOCK });
    const column = Object.freeze(Array.from({ length: 20 }, (_, i) => i * 3));
    expect(codec.digest(column)).toBe(reference(column));
    expect(codec.digest(column)).toBe(reference(column));
  });
});
