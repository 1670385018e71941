// Growing a typed-array column: the columns of packed logs and batches grow by doubling.

/** `to` (a larger, empty array) holding `from`'s elements at the front. */
export function grown<T extends Uint8Array | Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
