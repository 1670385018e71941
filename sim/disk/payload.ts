// Disk payloads and the simulator's Codec port (DESIGN.md section 3). A payload is immutable once
// made: slices share memory with their source, and every change makes a copy.
//
// Fault model: `corruptedCopy` is the damage a network corruption fault does to a payload in
// flight: a copy with exactly one block's content changed (a symbolic payload gets one bit of one
// id flipped, a bytes payload one bit flipped). The original is never touched. A payload of zero
// blocks has no content to damage; its copy is equal to it.
//
// Checksums: a block's checksum is mix32(id) in symbolic mode, and the bytes encoding of
// content-bytes.ts is built so that the position-weighted word sum of those bytes equals the same
// value. Symbolic and bytes payloads of the same content therefore checksum alike.
import { assert, digestValue, fold32Int } from '../../model/index.js';
import type { Codec, Payload, PayloadBuffer } from '../../engine/ports.js';
import type { RandomStream, Ratio } from '../random.js';
import { assertBlockSize, blockChecksumOfId, bytesBlockChecksum } from './content-bytes.js';

export {
  BLOCK_SIZE_BYTES_MIN,
  FOREIGN_ID_BIT,
  blockChecksumOfId,
  bytesBlockChecksum,
  contentBytes,
  decodeBlock,
} from './content-bytes.js';

/** Symbolic content: the write id each block was last written by (0: never written, zeros).
 *  The ids are `idSource[idOffset, idOffset + blockCount)`: a slice, a read's range or a guest
 *  write shares a larger array instead of holding a typed-array view of its own (a view is an
 *  allocation about four times the payload's, and there are millions of these payloads a
 *  simulated day). Hot paths read idSource and idOffset; `ids` makes the view on first use. */
export class SymbolicPayload implements Payload {
  readonly blockCount: number;
  /** The codec's checksum as an int32, computed once: a payload's content never changes after creation. */
  checksumMemo: number | undefined = undefined;
  readonly idSource: Uint32Array;
  readonly idOffset: number;
  private idView: Uint32Array | null;

  /** The payload of `source[offset, offset + count)` (all of `source` by default). */
  constructor(source: Uint32Array, offset = 0, count = source.length - offset) {
    if (!(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= source.length)) {
      assert(false, `symbolic payload [${offset}, +${count}) outside an array of ${source.length} ids`);
    }
    this.idSource = source;
    this.idOffset = offset;
    this.blockCount = count;
    this.idView = offset === 0 && count === source.length ? source : null;
  }

  /** The ids, one per block (a view of idSource, made once). */
  get ids(): Uint32Array {
    return (this.idView ??= this.idSource.subarray(this.idOffset, this.idOffset + this.blockCount));
  }

  /** `count` blocks all written by one write. */
  static filled(writeId: number, count: number): SymbolicPayload {
    return new SymbolicPayload(new Uint32Array(count).fill(writeId));
  }

  /** `count` blocks with ids firstId, firstId + 1, ... (one id per block of a write). */
  static sequence(firstId: number, count: number): SymbolicPayload {
    const ids = new Uint32Array(count);
    for (let i = 0; i < count; i++) ids[i] = firstId + i;
    return new SymbolicPayload(ids);
  }

  corruptedCopy(random: RandomStream): SymbolicPayload {
    const ids = this.ids.slice();
    if (ids.length > 0) {
      const block = random.nextInt(ids.length);
      ids[block] = (ids[block] ^ (1 << random.nextInt(32))) >>> 0;
    }
    return new SymbolicPayload(ids);
  }
}

/** Real bytes, `blockSizeBytes` per block. */
export class BytesPayload implements Payload {
  readonly blockCount: number;
  /** The codec's checksum as an int32, computed once: a payload's content never changes after creation. */
  checksumMemo: number | undefined = undefined;

  constructor(
    readonly bytes: Uint8Array,
    readonly blockSizeBytes: number,
  ) {
    assertBlockSize(blockSizeBytes);
    if (bytes.length % blockSizeBytes !== 0) assert(false, `bytes payload of ${bytes.length} bytes is not whole blocks of ${blockSizeBytes}`);
    this.blockCount = bytes.length / blockSizeBytes;
  }

  corruptedCopy(random: RandomStream): BytesPayload {
    const bytes = this.bytes.slice();
    if (bytes.length > 0) {
      const bit = random.nextInt(bytes.length * 8);
      bytes[bit >>> 3] ^= 1 << (bit & 7);
    }
    return new BytesPayload(bytes, this.blockSizeBytes);
  }
}

export type SimPayload = SymbolicPayload | BytesPayload;

export function asSimPayload(payload: Payload): SimPayload {
  assert(payload instanceof SymbolicPayload || payload instanceof BytesPayload, 'payload was not made by the simulator (sim/disk)');
  return payload;
}

export interface SimCodecOptions {
  /** Block size of symbolic payloads (bytes payloads carry their own). */
  readonly blockSizeBytes: number;
  /** Compressed size over raw size; the default 7/10 is Scout's ~30% saving (DOMAIN.md rule 18). */
  readonly compressionRatio?: Ratio;
}

const PAYLOAD_TAG = 11;
const TWO_POW_32 = 0x1_0000_0000;
/** Arrays at least this long have their digest remembered (see SimCodec.arrayDigest). */
const REMEMBERED_ARRAY_LENGTH_MIN = 16;
const DIGEST_SEED = 0x2545f491;

export class SimCodec implements Codec {
  readonly blockSizeBytes: number;
  private readonly arrayDigests = new WeakMap<readonly unknown[], number>();
  readonly compressionRatio: Ratio;

  constructor(options: SimCodecOptions) {
    assertBlockSize(options.blockSizeBytes);
    this.blockSizeBytes = options.blockSizeBytes;
    this.compressionRatio = options.compressionRatio ?? { numerator: 7, denominator: 10 };
    const { numerator, denominator } = this.compressionRatio;
    assert(Number.isInteger(numerator) && Number.isInteger(denominator) && denominator > 0 && numerator > 0, 'compression ratio must be a positive exact ratio');
  }

  slice(payload: Payload, offset: number, count: number): Payload {
    const sim = asSimPayload(payload);
    if (!(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= sim.blockCount)) assert(false, `slice [${offset}, +${count}) outside a payload of ${sim.blockCount} blocks`);
    if (sim instanceof SymbolicPayload) return new SymbolicPayload(sim.idSource, sim.idOffset + offset, count);
    const size = sim.blockSizeBytes;
    return new BytesPayload(sim.bytes.subarray(offset * size, (offset + count) * size), size);
  }

  concat(parts: readonly Payload[]): Payload {
    if (parts.length === 0) return new SymbolicPayload(new Uint32Array(0));
    if (parts.length === 1) return asSimPayload(parts[0]);
    const first = asSimPayload(parts[0]);
    if (first instanceof SymbolicPayload) {
      let length = 0;
      for (const part of parts) {
        assert(part instanceof SymbolicPayload, 'concat: cannot mix symbolic and bytes payloads');
        length += part.blockCount;
      }
      const ids = new Uint32Array(length);
      let at = 0;
      for (const part of parts as readonly SymbolicPayload[]) at = copyIds(part, ids, at);
      return new SymbolicPayload(ids);
    }
    const bytes = parts.map((part) => {
      assert(part instanceof BytesPayload && part.blockSizeBytes === first.blockSizeBytes, 'concat: bytes payloads of one block size only');
      return part.bytes;
    });
    return new BytesPayload(concatArrays(bytes, (length) => new Uint8Array(length)), first.blockSizeBytes);
  }

  checksum(payload: Payload): number {
    return this.checksumInt(asSimPayload(payload)) >>> 0;
  }

  /** The checksum as an int32 (the same bits), memoised in that form (see model/hash.ts). */
  private checksumInt(sim: SimPayload): number {
    if (sim.checksumMemo !== undefined) return sim.checksumMemo;
    let hash = fold32Int(0x6a09e667, sim.blockCount);
    if (sim instanceof SymbolicPayload) {
      const source = sim.idSource;
      const end = sim.idOffset + sim.blockCount;
      for (let i = sim.idOffset; i < end; i++) hash = fold32Int(hash, blockChecksumOfId(source[i]));
    } else {
      for (let i = 0; i < sim.blockCount; i++) hash = fold32Int(hash, bytesBlockChecksum(sim.bytes, i * sim.blockSizeBytes, sim.blockSizeBytes));
    }
    sim.checksumMemo = hash;
    return hash;
  }

  blockChecksums(payload: Payload): Uint32Array {
    const sim = asSimPayload(payload);
    const sums = new Uint32Array(sim.blockCount);
    if (sim instanceof SymbolicPayload) {
      for (let i = 0; i < sums.length; i++) sums[i] = blockChecksumOfId(sim.idSource[sim.idOffset + i]);
    } else {
      for (let i = 0; i < sums.length; i++) sums[i] = bytesBlockChecksum(sim.bytes, i * sim.blockSizeBytes, sim.blockSizeBytes);
    }
    return sums;
  }

  sizeBytes(payload: Payload): number {
    const sim = asSimPayload(payload);
    return sim instanceof BytesPayload ? sim.bytes.length : sim.blockCount * this.blockSizeBytes;
  }

  compressedSizeBytes(payload: Payload): number {
    const { numerator, denominator } = this.compressionRatio;
    return Math.ceil((this.sizeBytes(payload) * numerator) / denominator);
  }

  digest(body: unknown): number {
    return this.digestInto(body, DIGEST_SEED) >>> 0;
  }

  buffer(): PayloadBuffer {
    return new SimPayloadBuffer();
  }

  /** digestValue's canonical walk, with payloads folded in by checksum (so modes agree). The hot
   *  cases (small integers, strings, payloads, arrays, plain records) are handled here without
   *  allocating; strings are digested once each and remembered (message bodies repeat a few
   *  type names and ids millions of times). Digests travel as int32 inside the walk (the same
   *  bits; see model/hash.ts) and become a uint32 in `digest`. */
  private digestInto(value: unknown, hash: number): number {
    switch (typeof value) {
      case 'number':
        if ((value | 0) === value) return fold32Int(fold32Int(hash, 1), value);
        // Instants and byte counts: non-negative integers beyond 32 bits, as two words.
        if (Number.isSafeInteger(value) && value > 0) return fold32Int(fold32Int(fold32Int(hash, 12), value | 0), Math.floor(value / TWO_POW_32));
        return digestValue(value, hash) | 0;
      case 'string':
        return fold32Int(fold32Int(hash, 2), stringDigest(value));
      case 'object': {
        if (value === null) return digestValue(value, hash) | 0;
        if (value instanceof SymbolicPayload || value instanceof BytesPayload) {
          return fold32Int(fold32Int(fold32Int(hash, PAYLOAD_TAG), value.blockCount), this.checksumInt(value));
        }
        if (Array.isArray(value)) return value.length < REMEMBERED_ARRAY_LENGTH_MIN ? this.digestItems(value, fold32Int(hash, 7)) : fold32Int(fold32Int(hash, 13), this.arrayDigest(value));
        if (ArrayBuffer.isView(value)) return digestValue(value, hash) | 0;
        return this.digestRecord(value as Record<string, unknown>, hash);
      }
      default:
        return digestValue(value, hash) | 0;
    }
  }

  private digestItems(items: readonly unknown[], hash: number): number {
    let h = fold32Int(hash, items.length);
    for (let i = 0; i < items.length; i++) h = this.digestInto(items[i], h);
    return h;
  }

  /** A long array (the columns of a packed log or batch) is digested once: the same array object
   *  is sealed by its sender, opened by each hop and forwarded, and it never changes once sent.
   *  It is frozen when first digested, so an engine that changed a message after sending it
   *  would fail loudly instead of being trusted on a stale digest; a corrupted copy made by the
   *  network is a new array, digested afresh. */
  private arrayDigest(items: readonly unknown[]): number {
    let digest = this.arrayDigests.get(items);
    if (digest === undefined) {
      digest = this.digestItems(items, 0x1f83d9ab);
      Object.freeze(items);
      this.arrayDigests.set(items, digest);
    }
    return digest;
  }

  /** Key order must not matter: fields are combined by a commutative sum instead of sorting the
   *  keys (sorting every record of every frame was the codec's main cost). Bodies are plain
   *  objects: no inherited enumerable keys. */
  private digestRecord(record: Record<string, unknown>, hash: number): number {
    let count = 0;
    let sum = 0;
    for (const key in record) {
      count++;
      sum = (sum + this.digestInto(record[key], keyHash(key))) | 0;
    }
    return fold32Int(fold32Int(fold32Int(hash, 9), count), sum);
  }
}

/** The codec's PayloadBuffer: one typed array grown by doubling, symbolic ids or bytes (the
 *  first payload appended decides). Slices are views: content already appended never changes,
 *  and a grown buffer is a copy, so a slice taken before keeps its own. */
class SimPayloadBuffer implements PayloadBuffer {
  private ids: Uint32Array | null = null;
  private bytes: Uint8Array | null = null;
  private blockSizeBytes = 0;
  private blocks = 0;

  get blockCount(): number {
    return this.blocks;
  }

  append(payload: Payload): number {
    const sim = asSimPayload(payload);
    const offset = this.blocks;
    if (sim.blockCount === 0) return offset;
    if (sim instanceof SymbolicPayload) {
      assert(this.bytes === null, 'payload buffer: cannot mix symbolic and bytes payloads');
      this.ids = this.roomFor(sim.blockCount);
      copyIds(sim, this.ids, offset);
    } else {
      assert(this.ids === null, 'payload buffer: cannot mix symbolic and bytes payloads');
      assert(this.blocks === 0 || sim.blockSizeBytes === this.blockSizeBytes, 'payload buffer: bytes payloads of one block size only');
      this.blockSizeBytes = sim.blockSizeBytes;
      this.bytes = appendInto(this.bytes ?? new Uint8Array(sim.bytes.length), offset * sim.blockSizeBytes, sim.bytes, (length) => new Uint8Array(length));
    }
    this.blocks += sim.blockCount;
    return offset;
  }

  slice(offset: number, count: number): Payload {
    if (!(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 0 && offset + count <= this.blocks)) assert(false, `payload buffer: slice [${offset}, +${count}) outside ${this.blocks} blocks`);
    if (this.bytes !== null) {
      const size = this.blockSizeBytes;
      return new BytesPayload(this.bytes.subarray(offset * size, (offset + count) * size), size);
    }
    return this.ids === null ? new SymbolicPayload(new Uint32Array(0)) : new SymbolicPayload(this.ids, offset, count);
  }

  /** The id array, with room for `count` more ids (a copy of twice the size when full). */
  private roomFor(count: number): Uint32Array {
    const ids = this.ids;
    const needed = this.blocks + count;
    if (ids === null) return new Uint32Array(Math.max(INITIAL_BUFFER_IDS, count));
    if (needed <= ids.length) return ids;
    let length = ids.length * 2;
    while (length < needed) length *= 2;
    const grown = new Uint32Array(length);
    grown.set(ids.subarray(0, this.blocks));
    return grown;
  }
}

/** Copies a symbolic payload's ids into `target` at `at`; returns the index after them. A loop
 *  (payloads are mostly a block or a few) rather than `set`, which needs a view of the source. */
function copyIds(payload: SymbolicPayload, target: Uint32Array, at: number): number {
  const source = payload.idSource;
  const offset = payload.idOffset;
  const count = payload.blockCount;
  if (count > COPY_LOOP_IDS_MAX) {
    target.set(source.subarray(offset, offset + count), at);
    return at + count;
  }
  for (let i = 0; i < count; i++) target[at + i] = source[offset + i];
  return at + count;
}

const COPY_LOOP_IDS_MAX = 64;

const INITIAL_BUFFER_IDS = 16;

/** Writes `source` at `at` in `target`, first moving to a copy of twice the size if it is full. */
function appendInto<T extends Uint8Array | Uint32Array>(target: T, at: number, source: T, make: (length: number) => T): T {
  let result = target;
  if (at + source.length > target.length) {
    let length = target.length * 2;
    while (length < at + source.length) length *= 2;
    result = make(length);
    result.set(target.subarray(0, at));
  }
  result.set(source, at);
  return result;
}

/** Strings longer than this are digested each time rather than remembered. */
const REMEMBERED_STRING_LENGTH_MAX = 64;
/** At most this many strings are remembered (ids of a large run stay well below it). */
const REMEMBERED_STRINGS_MAX = 100_000;
const STRING_SLOTS = 64;

/** Digests of strings, remembered: message bodies repeat a few record keys, type names and ids
 *  millions of times a simulated day. A direct-mapped table of recent strings sits in front of
 *  the Map of all of them, since a Map lookup costs several times a slot compare (record keys
 *  and type names are interned, so a hit is mostly one pointer compare). Slots are picked by
 *  length and first and last characters, which tell apart the keys of one record and the ids of
 *  one run. */
class StringDigests {
  private readonly texts: Array<string | null> = new Array<string | null>(STRING_SLOTS).fill(null);
  private readonly digests = new Int32Array(STRING_SLOTS);
  private readonly remembered = new Map<string, number>();

  constructor(
    private readonly seed: number,
    private readonly lengthMax: number,
    private readonly countMax: number,
  ) {}

  /** digestValue(text, seed) as an int32. */
  of(text: string): number {
    const length = text.length;
    const slot = length === 0 ? 0 : (length * 31 + text.charCodeAt(0) * 7 + text.charCodeAt(length - 1)) & (STRING_SLOTS - 1);
    if (this.texts[slot] === text) return this.digests[slot];
    let digest = this.remembered.get(text);
    if (digest === undefined) {
      digest = digestValue(text, this.seed) | 0;
      if (length > this.lengthMax || this.remembered.size >= this.countMax) return digest;
      this.remembered.set(text, digest);
    }
    this.texts[slot] = text;
    this.digests[slot] = digest;
    return digest;
  }
}

const stringDigests = new StringDigests(0x5be0cd19, REMEMBERED_STRING_LENGTH_MAX, REMEMBERED_STRINGS_MAX);
const keyHashes = new StringDigests(0x3c6ef372, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);

function stringDigest(text: string): number {
  return stringDigests.of(text);
}

function keyHash(key: string): number {
  return keyHashes.of(key);
}

function concatArrays<T extends Uint8Array | Uint32Array>(arrays: readonly T[], make: (length: number) => T): T {
  let length = 0;
  for (const array of arrays) length += array.length;
  const result = make(length);
  let at = 0;
  for (const array of arrays) {
    result.set(array, at);
    at += array.length;
  }
  return result;
}
