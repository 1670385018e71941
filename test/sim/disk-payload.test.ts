import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BytesPayload,
  SimCodec,
  SymbolicPayload,
  blockChecksumOfId,
  bytesBlockChecksum,
  contentBytes,
  decodeBlock,
} from '../../sim/disk/payload.js';
import { FOREIGN_ID_BIT, NOT_AN_ENCODING, foreignIdOf } from '../../sim/disk/content-bytes.js';
import { WRITE_ID_MAX, WriteIdAllocator } from '../../sim/disk/write-ids.js';
import { RandomStream, ratio } from '../../sim/random.js';

const BLOCK = 64;
const codec = new SimCodec({ blockSizeBytes: BLOCK });

const ids = fc.array(fc.integer({ min: 0, max: WRITE_ID_MAX }), { minLength: 1, maxLength: 12 });

/** The bytes payload holding the same content as `ids` written at `start`. */
function bytesOf(values: readonly number[], start: number): BytesPayload {
  const bytes = new Uint8Array(values.length * BLOCK);
  values.forEach((id, i) => bytes.set(contentBytes(id, start + i, BLOCK), i * BLOCK));
  return new BytesPayload(bytes, BLOCK);
}

describe('content bytes', () => {
  it('gives zeros for id 0 and distinct, deterministic bytes per (id, block)', () => {
    expect(contentBytes(0, 7, BLOCK).every((b) => b === 0)).toBe(true);
    expect(contentBytes(5, 7, BLOCK)).toEqual(contentBytes(5, 7, BLOCK));
    expect(contentBytes(5, 7, BLOCK)).not.toEqual(contentBytes(5, 8, BLOCK));
    expect(contentBytes(5, 7, BLOCK)).not.toEqual(contentBytes(6, 7, BLOCK));
  });

  it('checksums the bytes of id w to the symbolic checksum of w, for any block and block size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 4, max: 40 }), (id, block, words) => {
        const size = words * 4;
        expect(bytesBlockChecksum(contentBytes(id, block, size), 0, size)).toBe(blockChecksumOfId(id));
      }),
    );
  });

  it('decodes an encoding back to its id only at the block it was made for', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: WRITE_ID_MAX }), fc.integer({ min: 0, max: 2 ** 33 }), (id, block) => {
        const bytes = contentBytes(id, block, BLOCK);
        expect(decodeBlock(bytes, 0, block, BLOCK)).toBe(id);
        if (id !== 0) expect(decodeBlock(bytes, 0, block + 1, BLOCK)).toBe(NOT_AN_ENCODING);
      }),
    );
  });

  it('changes the checksum whenever one bit flips (every word weight is odd)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: WRITE_ID_MAX }), fc.integer({ min: 0, max: BLOCK * 8 - 1 }), (id, bit) => {
        const bytes = contentBytes(id, 3, BLOCK);
        bytes[bit >>> 3] ^= 1 << (bit & 7);
        expect(bytesBlockChecksum(bytes, 0, BLOCK)).not.toBe(blockChecksumOfId(id));
        expect(decodeBlock(bytes, 0, 3, BLOCK)).toBe(NOT_AN_ENCODING);
      }),
    );
  });

  it('names foreign content with the reserved top bit, never an allocatable id', () => {
    expect((foreignIdOf(0) & FOREIGN_ID_BIT) >>> 0).toBe(FOREIGN_ID_BIT);
    expect(foreignIdOf(0)).toBeGreaterThan(WRITE_ID_MAX);
    expect(foreignIdOf(0xffff_ffff) >>> 0).toBeGreaterThan(WRITE_ID_MAX);
  });
});

describe('write id allocator', () => {
  it('hands out unique ids from 1, ranges consecutive', () => {
    const allocator = new WriteIdAllocator();
    expect(allocator.next()).toBe(1);
    expect(allocator.nextRange(4)).toBe(2);
    expect(allocator.next()).toBe(6);
    expect(allocator.issuedCount).toBe(6);
    allocator.invariants();
    expect(() => allocator.nextRange(0)).toThrow();
  });
});

describe('SimCodec', () => {
  it('gives symbolic and bytes payloads of the same content the same block checksums, checksum and digest', () => {
    fc.assert(
      fc.property(ids, fc.integer({ min: 0, max: 1_000_000 }), (values, start) => {
        const symbolic = new SymbolicPayload(Uint32Array.from(values));
        const bytes = bytesOf(values, start);
        expect(codec.blockChecksums(bytes)).toEqual(codec.blockChecksums(symbolic));
        expect(codec.checksum(bytes)).toBe(codec.checksum(symbolic));
        expect(codec.digest({ seq: 3, data: [bytes] })).toBe(codec.digest({ data: [symbolic], seq: 3 }));
        expect(codec.sizeBytes(bytes)).toBe(codec.sizeBytes(symbolic));
      }),
    );
  });

  it('slices and concatenates without changing content, in both modes', () => {
    fc.assert(
      fc.property(ids, fc.nat(), fc.nat(), (values, a, b) => {
        const cut = a % (values.length + 1);
        for (const payload of [new SymbolicPayload(Uint32Array.from(values)), bytesOf(values, 0)]) {
          const head = codec.slice(payload, 0, cut);
          const tail = codec.slice(payload, cut, values.length - cut);
          expect(head.blockCount + tail.blockCount).toBe(values.length);
          const joined = codec.concat([head, tail]);
          expect(codec.blockChecksums(joined)).toEqual(codec.blockChecksums(payload));
          const one = b % values.length;
          expect(codec.blockChecksums(codec.slice(payload, one, 1))[0]).toBe(blockChecksumOfId(values[one]));
        }
      }),
    );
  });

  it('refuses slices outside the payload and mixed concatenations', () => {
    const symbolic = SymbolicPayload.filled(4, 3);
    expect(() => codec.slice(symbolic, 2, 2)).toThrow();
    expect(() => codec.concat([symbolic, bytesOf([4], 0)])).toThrow();
    expect(codec.concat([]).blockCount).toBe(0);
  });

  it('models compression as an exact ratio of the raw size (default 7/10)', () => {
    const payload = SymbolicPayload.sequence(1, 10);
    expect(codec.sizeBytes(payload)).toBe(640);
    expect(codec.compressedSizeBytes(payload)).toBe(448);
    const half = new SimCodec({ blockSizeBytes: BLOCK, compressionRatio: ratio(1, 3) });
    expect(half.compressedSizeBytes(SymbolicPayload.filled(1, 1))).toBe(22);
  });

  it('digests bodies canonically: key order does not matter, content does', () => {
    const payload = SymbolicPayload.sequence(9, 4);
    expect(codec.digest({ a: 1, b: [payload, 'x'] })).toBe(codec.digest({ b: [payload, 'x'], a: 1 }));
    expect(codec.digest({ a: 1, b: [payload, 'x'] })).not.toBe(codec.digest({ a: 1, b: [SymbolicPayload.sequence(10, 4), 'x'] }));
    expect(codec.digest({ a: 1 })).not.toBe(codec.digest({ a: 2 }));
  });
});

describe('corruptedCopy', () => {
  it('damages exactly one block of a copy and leaves the original alone, in both modes', () => {
    fc.assert(
      fc.property(ids, fc.string(), (values, seed) => {
        for (const payload of [new SymbolicPayload(Uint32Array.from(values)), bytesOf(values, 5)]) {
          const before = codec.blockChecksums(payload);
          const damaged = payload.corruptedCopy(new RandomStream(seed));
          expect(codec.blockChecksums(payload)).toEqual(before);
          const after = codec.blockChecksums(damaged);
          const changed = [...after].filter((sum, i) => sum !== before[i]).length;
          expect(changed).toBe(1);
          expect(codec.checksum(damaged)).not.toBe(codec.checksum(payload));
        }
      }),
    );
  });

  it('returns an equal copy of an empty payload (nothing to damage)', () => {
    expect(new SymbolicPayload(new Uint32Array(0)).corruptedCopy(new RandomStream('x')).blockCount).toBe(0);
  });
});

describe('SimCodec payload buffer', () => {
  const parts = fc.array(fc.array(fc.integer({ min: 1, max: WRITE_ID_MAX }), { minLength: 0, maxLength: 40 }), { maxLength: 12 });

  it('holds the appended payloads in order, and a slice never changes when more is appended', () => {
    fc.assert(
      fc.property(parts, fc.boolean(), (lists, asBytes) => {
        const buffer = codec.buffer();
        const all: number[] = [];
        const slices: Array<{ payload: ReturnType<typeof buffer.slice>; expected: number[] }> = [];
        for (const list of lists) {
          const payload = asBytes ? bytesOf(list, 0) : new SymbolicPayload(Uint32Array.from(list));
          expect(buffer.append(payload)).toBe(all.length);
          all.push(...list);
          expect(buffer.blockCount).toBe(all.length);
          if (all.length > 0) slices.push({ payload: buffer.slice(0, all.length), expected: [...all] });
        }
        for (const { payload, expected } of slices) {
          expect([...codec.blockChecksums(payload)]).toEqual(expected.map(blockChecksumOfId));
        }
      }),
    );
  });

  it('refuses a slice outside what was appended, and a mix of symbolic and bytes payloads', () => {
    const buffer = codec.buffer();
    buffer.append(SymbolicPayload.sequence(1, 3));
    expect(() => buffer.slice(2, 2)).toThrow(/outside 3 blocks/);
    expect(() => buffer.append(new BytesPayload(new Uint8Array(BLOCK), BLOCK))).toThrow(/cannot mix/);
    expect(buffer.slice(1, 2).blockCount).toBe(2);
  });
});

describe('SimCodec digest', () => {
  const column = () => Array.from({ length: 40 }, (_, i) => 86_400_000_000 + i * 7);

  it('remembers the digest of a long array, equal to that of an equal array digested afresh', () => {
    const fresh = new SimCodec({ blockSizeBytes: BLOCK });
    const items = column();
    const body = { type: 'batch', ats: items };
    expect(codec.digest(body)).toBe(codec.digest(body));
    expect(fresh.digest({ type: 'batch', ats: column() })).toBe(codec.digest(body));
  });

  it('tells apart any change of one element, short or long array, small or large numbers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 40 }), fc.nat(), (values, at) => {
        const changed = [...values];
        changed[at % values.length] += 1;
        expect(codec.digest({ values })).not.toBe(codec.digest({ values: changed }));
      }),
    );
  });

  it('freezes a remembered array, so a message changed after it was sent fails loudly', () => {
    const items = column();
    codec.digest({ items });
    expect(() => items.push(1)).toThrow(TypeError);
    const short = [1, 2, 3];
    codec.digest({ short });
    expect(() => short.push(4)).not.toThrow();
  });
});
