// The real bytes of a block, derived from its symbolic content (DESIGN.md section 3), so that
// bytes mode can always be checked against symbolic truth.
//
// Fault model: none (pure functions). The encoding is what lets damage be seen: a block written
// by write id `w` for block number `b` holds words [w, b low, b high, pseudo-random fill...,
// balance], and the block checksum is a position-weighted sum of its words whose balance word is
// solved so that the sum equals `mix32(w)`, the symbolic checksum of id `w`. Hence:
//   - symbolic and bytes payloads of the same content have the same per-block checksum;
//   - every weight is odd, so any single flipped bit changes the checksum (it moves the sum by
//     an odd multiple of a power of two below 2^32), and other damage is caught with
//     probability 1 - 2^-32;
//   - id 0 (never written) is the all-zero block, whose checksum is mix32(0) = 0.
// Bytes that are not exactly the encoding of (id, block) for the block they land on (damaged,
// or written at the wrong place) are "foreign": they get an opaque id with FOREIGN_ID_BIT set,
// derived from their checksum. Allocated write ids never have that bit (write-ids.ts).
import { assert, fold32, mix32 } from '../../model/index.js';

export const WORD_BYTES = 4;
/** Header (id, block low, block high) plus the balance word. */
export const BLOCK_SIZE_BYTES_MIN = 4 * WORD_BYTES;
/** Ids with this bit set are never allocated: they name foreign (unrecognised) content. */
export const FOREIGN_ID_BIT = 0x8000_0000;
/** `decodeBlock` result for bytes that are not the encoding of any (id, block). */
export const NOT_AN_ENCODING = -1;

const TWO_POW_32 = 0x1_0000_0000;
const GOLDEN = 0x9e3779b9;
const FILL_SEED = 0x3c6ef372;

export function assertBlockSize(blockSizeBytes: number): void {
  assert(
    Number.isInteger(blockSizeBytes) && blockSizeBytes >= BLOCK_SIZE_BYTES_MIN && blockSizeBytes % WORD_BYTES === 0,
    `block size must be a whole number of 4-byte words, at least ${BLOCK_SIZE_BYTES_MIN} bytes, got ${blockSizeBytes}`,
  );
}

/** The checksum of a block holding content id `id` (symbolic mode's definition, matched by bytes). */
export function blockChecksumOfId(id: number): number {
  return mix32(id);
}

/** Odd weight of word `index` in the block checksum; the last word weighs 1 so it can be solved for. */
function weight(index: number, lastIndex: number): number {
  return index === lastIndex ? 1 : Math.imul(index + 1, GOLDEN) | 1;
}

function fillWord(seed: number, index: number): number {
  return mix32((seed + Math.imul(index, GOLDEN)) >>> 0);
}

function readWord(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function writeWord(bytes: Uint8Array, at: number, word: number): void {
  bytes[at] = word & 0xff;
  bytes[at + 1] = (word >>> 8) & 0xff;
  bytes[at + 2] = (word >>> 16) & 0xff;
  bytes[at + 3] = word >>> 24;
}

/** Word `index` of the encoding of (id, block), except the balance word. */
function encodedWord(id: number, block: number, seed: number, index: number): number {
  if (index === 0) return id >>> 0;
  if (index === 1) return block % TWO_POW_32 >>> 0;
  if (index === 2) return Math.floor(block / TWO_POW_32) >>> 0;
  return fillWord(seed, index);
}

function fillSeed(id: number, block: number): number {
  return fold32(fold32(FILL_SEED, id), block % TWO_POW_32 >>> 0);
}

/** Writes the bytes of block `block` written by `id` into `target` at `offset`. */
export function writeContent(target: Uint8Array, offset: number, id: number, block: number, blockSizeBytes: number): void {
  if (id === 0) {
    target.fill(0, offset, offset + blockSizeBytes);
    return;
  }
  const lastIndex = blockSizeBytes / WORD_BYTES - 1;
  const seed = fillSeed(id, block);
  let sum = 0;
  for (let index = 0; index < lastIndex; index++) {
    const word = encodedWord(id, block, seed, index);
    writeWord(target, offset + index * WORD_BYTES, word);
    sum = (sum + Math.imul(word, weight(index, lastIndex))) >>> 0;
  }
  writeWord(target, offset + lastIndex * WORD_BYTES, (blockChecksumOfId(id) - sum) >>> 0);
}

/** Deterministic bytes of block `block` as written by write `writeId` (zeros for id 0). */
export function contentBytes(writeId: number, block: number, blockSizeBytes: number): Uint8Array {
  assertBlockSize(blockSizeBytes);
  const bytes = new Uint8Array(blockSizeBytes);
  writeContent(bytes, 0, writeId, block, blockSizeBytes);
  return bytes;
}

/** The checksum of the block of real bytes at `offset` (equal to mix32(id) for an encoding). */
export function bytesBlockChecksum(bytes: Uint8Array, offset: number, blockSizeBytes: number): number {
  const lastIndex = blockSizeBytes / WORD_BYTES - 1;
  let sum = 0;
  for (let index = 0; index <= lastIndex; index++) {
    sum = (sum + Math.imul(readWord(bytes, offset + index * WORD_BYTES), weight(index, lastIndex))) >>> 0;
  }
  return sum;
}

/** The id whose encoding for `block` the bytes at `offset` are exactly, or NOT_AN_ENCODING. */
export function decodeBlock(bytes: Uint8Array, offset: number, block: number, blockSizeBytes: number): number {
  const id = readWord(bytes, offset);
  if (id === 0) {
    for (let at = offset; at < offset + blockSizeBytes; at++) if (bytes[at] !== 0) return NOT_AN_ENCODING;
    return 0;
  }
  const lastIndex = blockSizeBytes / WORD_BYTES - 1;
  const seed = fillSeed(id, block);
  let sum = 0;
  for (let index = 0; index < lastIndex; index++) {
    const word = encodedWord(id, block, seed, index);
    if (readWord(bytes, offset + index * WORD_BYTES) !== word) return NOT_AN_ENCODING;
    sum = (sum + Math.imul(word, weight(index, lastIndex))) >>> 0;
  }
  const balance = (blockChecksumOfId(id) - sum) >>> 0;
  return readWord(bytes, offset + lastIndex * WORD_BYTES) === balance ? id : NOT_AN_ENCODING;
}

/** The opaque id naming foreign content with checksum `checksum`. */
export function foreignIdOf(checksum: number): number {
  return (FOREIGN_ID_BIT | (checksum & 0x7fff_ffff)) >>> 0;
}
