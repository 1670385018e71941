// Small, fast, deterministic 32-bit mixing functions used for trace hashes, image hashes and
// message checksums. Not cryptographic: they detect accidents (corruption, divergence), and the
// simulated adversary never forges them.

/** Murmur3's 32-bit finaliser: a bijection on uint32 with good avalanche. */
export function mix32(x: number): number {
  return mix32Int(x) >>> 0;
}

/** Fold one 32-bit value into a running 32-bit hash (order-dependent). */
export function fold32(hash: number, value: number): number {
  return fold32Int(hash, value) >>> 0;
}

// The Int forms below compute the same 32 bits as an int32. Hot paths (trace hash, image hashes,
// digests) keep their running hashes in that form and convert with `>>> 0` only where a value
// leaves them: a uint32 of 2^31 or more that is returned from a function not inlined, or stored
// in a field or an array, is a heap-allocated number, and millions of them a simulated day were
// a visible share of the garbage.

/** mix32 as an int32 (the same bits); accepts an int32 or a uint32. */
export function mix32Int(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** fold32 as an int32 (the same bits); `hash` may be an int32 or a uint32. */
export function fold32Int(hash: number, value: number): number {
  return mix32Int((Math.imul(hash ^ value, 0x9e3779b1) + 0x7f4a7c15) | 0);
}

/** Fold any finite number (integer or not, possibly beyond 32 bits). */
export function foldNumber(hash: number, value: number): number {
  if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return fold32(hash, value);
  const low = value % 0x1_0000_0000;
  const high = Math.floor(value / 0x1_0000_0000);
  return fold32(fold32(hash, low >>> 0), high >>> 0);
}

export function foldString(hash: number, text: string): number {
  let h = fold32(hash, text.length);
  for (let i = 0; i < text.length; i++) h = fold32(h, text.charCodeAt(i));
  return h;
}

/** Canonical digest of a JSON-like value: key order does not matter, types do. */
export function digestValue(value: unknown, hash = 0x2545f491): number {
  switch (typeof value) {
    case 'number':
      return foldNumber(fold32(hash, 1), Number.isFinite(value) ? value : 0x7ff00000);
    case 'string':
      return foldString(fold32(hash, 2), value);
    case 'boolean':
      return fold32(fold32(hash, 3), value ? 1 : 0);
    case 'undefined':
      return fold32(hash, 4);
    case 'bigint':
      return foldString(fold32(hash, 5), value.toString());
    case 'object': {
      if (value === null) return fold32(hash, 6);
      if (Array.isArray(value)) {
        let h = fold32(fold32(hash, 7), value.length);
        for (const item of value) h = digestValue(item, h);
        return h;
      }
      if (ArrayBuffer.isView(value)) {
        const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        let h = fold32(fold32(hash, 8), bytes.length);
        for (let i = 0; i < bytes.length; i++) h = fold32(h, bytes[i]);
        return h;
      }
      const keys = Object.keys(value).sort();
      let h = fold32(fold32(hash, 9), keys.length);
      for (const key of keys) h = digestValue((value as Record<string, unknown>)[key], foldString(h, key));
      return h;
    }
    default:
      return fold32(hash, 10);
  }
}

export const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
