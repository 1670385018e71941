// Damage done to a frame body in flight (the network's corruption fault).
//
// Fault model: exactly one leaf of the body is damaged, the leaf picked uniformly with the
// link's stream: a number gets one bit flipped (an int32 in its low 31 bits, any other finite
// number in its mantissa, so the value always changes and stays finite), a string gets one
// character changed, a boolean is negated, a bigint gets one bit flipped, a typed array or
// ArrayBuffer gets one bit flipped, and an object offering `corruptedCopy(random)` (a disk
// payload) is replaced by what that method returns. The result is a deep copy: the sender's
// object is never touched. Plain objects and arrays are containers; any other object (a Map, a
// class instance without `corruptedCopy`) is opaque, neither copied nor damaged. A body with no
// leaf at all (`{}`, `null`) cannot be damaged; the caller drops such a frame, as a link CRC would.
import { assert } from '../../model/index.js';
import type { RandomStream } from '../random.js';

/** A value that knows how to produce a damaged copy of itself (disk payloads). */
export interface Corruptible {
  corruptedCopy(random: RandomStream): unknown;
}

/** Containers nested deeper than this are taken for a cycle (bodies are JSON-like trees). */
const DEPTH_MAX = 256;

type Kind = 'leaf' | 'array' | 'record' | 'opaque';

/** A deep copy of `body` with one leaf damaged, or null when `body` has no leaf to damage. */
export function corruptedCopy(body: unknown, random: RandomStream): { readonly body: unknown } | null {
  const leaves = countLeaves(body, 0);
  if (leaves === 0) return null;
  const cursor = { leavesBeforeTarget: random.nextInt(leaves) };
  return { body: copyDamaging(body, cursor, random, 0) };
}

export function isCorruptible(value: unknown): value is Corruptible {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Corruptible>).corruptedCopy === 'function';
}

function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'bigint':
      return 'leaf';
    case 'object':
      if (value === null) return 'opaque';
      if (isCorruptible(value)) return 'leaf';
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength > 0 ? 'leaf' : 'opaque';
      if (Array.isArray(value)) return 'array';
      return isPlainObject(value) ? 'record' : 'opaque';
    default:
      return 'opaque';
  }
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function countLeaves(value: unknown, depth: number): number {
  assert(depth < DEPTH_MAX, 'corruption: body nested too deep (a cycle?)');
  switch (kindOf(value)) {
    case 'leaf':
      return 1;
    case 'array': {
      let count = 0;
      for (const item of value as unknown[]) count += countLeaves(item, depth + 1);
      return count;
    }
    case 'record': {
      let count = 0;
      for (const key of Object.keys(value as object)) count += countLeaves((value as Record<string, unknown>)[key], depth + 1);
      return count;
    }
    default:
      return 0;
  }
}

/** Copies `value`, damaging the leaf the cursor counts down to (leaves in depth-first order). */
function copyDamaging(value: unknown, cursor: { leavesBeforeTarget: number }, random: RandomStream, depth: number): unknown {
  switch (kindOf(value)) {
    case 'leaf':
      if (cursor.leavesBeforeTarget-- === 0) return damageLeaf(value, random);
      return copyLeaf(value);
    case 'array':
      return (value as unknown[]).map((item) => copyDamaging(item, cursor, random, depth + 1));
    case 'record': {
      const copy: Record<string, unknown> = {};
      // defineProperty, not assignment: a key named "__proto__" must stay an own property.
      for (const key of Object.keys(value as object)) {
        const field = copyDamaging((value as Record<string, unknown>)[key], cursor, random, depth + 1);
        Object.defineProperty(copy, key, { value: field, enumerable: true, writable: true, configurable: true });
      }
      return copy;
    }
    default:
      return value;
  }
}

/** Primitives are values already; byte buffers are copied; payloads are immutable and shared. */
function copyLeaf(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (ArrayBuffer.isView(value)) return copyView(value);
  return value;
}

function copyView(view: ArrayBufferView): ArrayBufferView {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
  if (view instanceof DataView) return new DataView(bytes.buffer);
  const Constructor = view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView;
  return new Constructor(bytes.buffer);
}

function damageLeaf(value: unknown, random: RandomStream): unknown {
  switch (typeof value) {
    case 'number':
      return damageNumber(value, random);
    case 'string':
      return damageString(value, random);
    case 'boolean':
      return !value;
    case 'bigint':
      return value ^ (1n << BigInt(random.nextInt(64)));
    default:
      break;
  }
  if (isCorruptible(value)) return value.corruptedCopy(random);
  if (value instanceof ArrayBuffer) {
    const copy = value.slice(0);
    flipBit(new Uint8Array(copy), random);
    return copy;
  }
  assert(ArrayBuffer.isView(value), 'corruption: a leaf of unknown kind');
  const copy = copyView(value);
  flipBit(new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength), random);
  return copy;
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const MANTISSA_LOW_BITS = 32;
const MANTISSA_BITS = 52;
const float64Scratch = new Float64Array(1);
const wordsScratch = new Uint32Array(float64Scratch.buffer);
const lowWord = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

function damageNumber(value: number, random: RandomStream): number {
  if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return value ^ (1 << random.nextInt(31));
  if (!Number.isFinite(value)) return 0;
  float64Scratch[0] = value;
  const bit = random.nextInt(MANTISSA_BITS);
  if (bit < MANTISSA_LOW_BITS) wordsScratch[lowWord] ^= 1 << bit;
  else wordsScratch[1 - lowWord] ^= 1 << (bit - MANTISSA_LOW_BITS);
  return float64Scratch[0];
}

function damageString(value: string, random: RandomStream): string {
  if (value.length === 0) return String.fromCharCode(0x20 + random.nextInt(95));
  const index = random.nextInt(value.length);
  const damaged = value.charCodeAt(index) ^ (1 << random.nextInt(7));
  return value.slice(0, index) + String.fromCharCode(damaged) + value.slice(index + 1);
}

function flipBit(bytes: Uint8Array, random: RandomStream): void {
  bytes[random.nextInt(bytes.length)] ^= 1 << random.nextInt(8);
}
