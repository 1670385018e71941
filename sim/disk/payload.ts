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
const LONG_ARRAY_SEED = 0x1f83d9ab;

export class SimCodec implements Codec {
  readonly blockSizeBytes: number;
  private readonly headers = new HeaderStates();
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

  /** A frame's checksum input, [version, pairing, epoch, message], starts from the walk's state
   *  after its first three items, remembered per pairing (see HeaderStates). */
  digest(body: unknown): number {
    if (Array.isArray(body) && body.length >= HEADER_ITEMS && body.length < REMEMBERED_ARRAY_LENGTH_MIN) {
      const items = body as readonly unknown[];
      const first = items[0];
      const second = items[1];
      const third = items[2];
      if (typeof first === 'number' && (first | 0) === first && typeof second === 'string' && typeof third === 'number' && (third | 0) === third) {
        let h = this.headers.stateAfter(items.length, first, second, third);
        for (let i = HEADER_ITEMS; i < items.length; i++) h = this.digestInto(items[i], h);
        return h >>> 0;
      }
    }
    return this.digestInto(body, DIGEST_SEED) >>> 0;
  }

  buffer(): PayloadBuffer {
    return new SimPayloadBuffer();
  }

  /** digestValue's canonical walk, with payloads folded in by checksum (so modes agree). The hot
   *  cases (small integers, strings, payloads, arrays, plain records) are handled here without
   *  allocating; strings are digested once each and remembered (message bodies repeat a few
   *  type names and ids millions of times). Digests travel as int32 inside the walk (the same
   *  bits; see model/hash.ts) and become a uint32 in `digest`.
   *
   *  The walk in one sentence (test/sim/codec-digest.test.ts spells it out without any shortcut):
   *  an int32 is (1, value); a positive safe integer beyond it is (12, low word, high word); a
   *  string is (2, its remembered digest); a payload is (11, blocks, checksum); an array shorter
   *  than REMEMBERED_ARRAY_LENGTH_MIN is (7, length, items...), a longer one (13, its digest from
   *  LONG_ARRAY_SEED); a record is (9, key count, the sum over its keys of the value's digest
   *  seeded by the key's); anything else is digestValue's. */
  private digestInto(value: unknown, hash: number): number {
    switch (typeof value) {
      case 'number':
        if ((value | 0) === value) return fold32Int(fold32Int(hash, 1), value);
        // Instants and byte counts: non-negative integers beyond 32 bits, as two words.
        if (Number.isSafeInteger(value) && value > 0) return fold32Int(fold32Int(fold32Int(hash, 12), value | 0), Math.floor(value / TWO_POW_32));
        return digestValue(value, hash) | 0;
      case 'string':
        return fold32Int(fold32Int(hash, 2), stringDigests.of(value));
      case 'object':
        return value === null ? digestValue(value, hash) | 0 : this.digestObject(value, hash);
      default:
        return digestValue(value, hash) | 0;
    }
  }

  /** The order of digestValue's tests, with payloads first (their class is known here). */
  private digestObject(value: object, hash: number): number {
    if (value instanceof SymbolicPayload || value instanceof BytesPayload) {
      return fold32Int(fold32Int(fold32Int(hash, PAYLOAD_TAG), value.blockCount), this.checksumInt(value));
    }
    if (Array.isArray(value)) return this.digestArray(value as readonly unknown[], hash);
    if (ArrayBuffer.isView(value)) return digestValue(value, hash) | 0;
    return this.digestRecord(value as Record<string, unknown>, hash);
  }

  private digestArray(items: readonly unknown[], hash: number): number {
    return items.length < REMEMBERED_ARRAY_LENGTH_MIN ? this.digestItems(items, fold32Int(hash, 7)) : fold32Int(fold32Int(hash, 13), this.arrayDigest(items));
  }

  /** Small integers (most items: the packed columns of a batch) are folded here, not in a call. */
  private digestItems(items: readonly unknown[], hash: number): number {
    let h = fold32Int(hash, items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      h = typeof item === 'number' && (item | 0) === item ? fold32Int(fold32Int(h, 1), item) : this.digestInto(item, h);
    }
    return h;
  }

  /** digestItems for long arrays, apart so that its element loads see only the few array kinds
   *  of packed columns (numbers, mostly doubles) and stay fast, where the loads of digestItems
   *  see every kind of short array and go generic; large integers are folded here too. */
  private digestLongItems(items: readonly unknown[], hash: number): number {
    let h = fold32Int(hash, items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (typeof item === 'number') {
        if ((item | 0) === item) {
          h = fold32Int(fold32Int(h, 1), item);
          continue;
        }
        if (Number.isSafeInteger(item) && item > 0) {
          h = fold32Int(fold32Int(fold32Int(h, 12), item | 0), Math.floor(item / TWO_POW_32));
          continue;
        }
      }
      h = this.digestInto(item, h);
    }
    return h;
  }

  /** A long array (the columns of a packed log or batch) is digested once: the same array object
   *  is sealed by its sender, opened by each hop and forwarded, and it never changes once sent.
   *  It is frozen when first digested, so an engine that changed a message after sending it
   *  would fail loudly instead of being trusted on a stale digest; a corrupted copy made by the
   *  network is a new array, digested afresh. The digest rides on the array itself (see
   *  RememberedDigest): a WeakMap entry per batch cost several times as much. */
  private arrayDigest(items: readonly unknown[]): number {
    const remembered = RememberedDigest.of(items);
    if (remembered !== undefined) return remembered;
    const digest = this.digestLongItems(items, LONG_ARRAY_SEED);
    // One its sender made non-extensible (sealed items may still change, and later engines refuse
    // a private field on it) is digested afresh each time instead.
    if (!Object.isExtensible(items)) return digest;
    RememberedDigest.attach(items, digest);
    Object.freeze(items);
    return digest;
  }

  /** Key order must not matter: fields are combined by a commutative sum instead of sorting the
   *  keys (sorting every record of every frame was the codec's main cost). Bodies are plain
   *  objects: no inherited enumerable keys. Small integer and string fields are folded here, not
   *  in a call, from the key's seed with the value's tag already folded in (see KeySeeds). */
  private digestRecord(record: Record<string, unknown>, hash: number): number {
    let count = 0;
    let sum = 0;
    for (const key in record) {
      count++;
      const value = record[key];
      const slot = keySeeds.slotOf(key);
      let field: number;
      if (typeof value === 'number' && (value | 0) === value) field = fold32Int(keySeeds.intSeeds[slot], value);
      else if (typeof value === 'string') field = fold32Int(keySeeds.stringSeeds[slot], stringDigests.of(value));
      else field = this.digestInto(value, keySeeds.hashes[slot]);
      sum = (sum + field) | 0;
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

/** A buffer's first id array: room for a busy minute's batch of one machine (tens of blocks), so
 *  that a batch rarely grows its array (each growth a fresh array and a copy). */
const INITIAL_BUFFER_IDS = 64;

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
/** Slots of the table of recent strings: two per set, 2^bits slots. */
const STRING_SLOT_BITS = 10;
const KEY_SLOT_BITS = 7;

/** Digests of strings, remembered: message bodies repeat a few record keys, type names and ids
 *  millions of times a simulated day. A table of recent strings sits in front of the Map of all
 *  of them, since a Map lookup costs several times a slot compare (record keys and type names
 *  are interned, so a hit is mostly one pointer compare). It is two-way set associative, the
 *  newer string of a set in its first slot, so two busy strings of one set do not evict each
 *  other. The set is a hash of the length and the first and last three characters: the ids of
 *  a run (vm1 ... vm200) differ only in their last characters. */
class StringDigests {
  private readonly texts: Array<string | null>;
  private readonly digests: Int32Array;
  private readonly remembered = new Map<string, number>();
  private readonly setShift: number;

  constructor(
    private readonly seed: number,
    slotBits: number,
    private readonly lengthMax: number,
    private readonly countMax: number,
  ) {
    this.texts = new Array<string | null>(1 << slotBits).fill(null);
    this.digests = new Int32Array(1 << slotBits);
    this.setShift = 32 - (slotBits - 1);
  }

  /** digestValue(text, seed) as an int32. */
  of(text: string): number {
    const first = setOf(text, this.setShift) << 1;
    const texts = this.texts;
    if (texts[first] === text) return this.digests[first];
    if (texts[first + 1] === text) return this.digests[first + 1];
    let digest = this.remembered.get(text);
    if (digest === undefined) {
      digest = digestValue(text, this.seed) | 0;
      if (text.length > this.lengthMax || this.remembered.size >= this.countMax) return digest;
      this.remembered.set(text, digest);
    }
    texts[first + 1] = texts[first];
    this.digests[first + 1] = this.digests[first];
    texts[first] = text;
    this.digests[first] = digest;
    return digest;
  }
}

const FNV_PRIME = 0x01000193;

/** The set of `text` in a StringDigests table: the top bits of a multiplicative hash. */
function setOf(text: string, shift: number): number {
  const length = text.length;
  let key = Math.imul(length, FNV_PRIME);
  if (length > 0) key = Math.imul(key ^ text.charCodeAt(0), FNV_PRIME) ^ text.charCodeAt(length - 1);
  if (length > 2) key = Math.imul(key, FNV_PRIME) ^ (text.charCodeAt(length - 2) << 8) ^ (text.charCodeAt(length - 3) << 16);
  return Math.imul(key, 0x9e3779b1) >>> shift;
}

/** Lets RememberedDigest add its private field to any object: a base class whose constructor
 *  returns the object it is given makes that object the `this` of the derived constructor. */
class OnObject {
  constructor(target: object) {
    return target;
  }
}

/** A digest carried by the object it is the digest of, in a private field: invisible to every
 *  walk, copy and spread (a copy of the object never carries it), and written only here, just
 *  before the object is frozen. */
class RememberedDigest extends OnObject {
  readonly #digest: number;

  private constructor(target: object, digest: number) {
    super(target);
    this.#digest = digest;
  }

  static attach(target: object, digest: number): void {
    new RememberedDigest(target, digest);
  }

  static of(target: object): number | undefined {
    return #digest in target ? (target as RememberedDigest).#digest : undefined;
  }
}

/** Record keys and what a field folds from them: the key's digest (the seed of the field's
 *  value) and that seed with the tag of an int32 or of a string already folded in, which saves
 *  a fold per field. Every key ever seen is kept (a run has a few dozen), the recent ones in a
 *  table like StringDigests', so a key's slot is valid as soon as slotOf returns it. */
class KeySeeds {
  private readonly texts: Array<string | null>;
  readonly hashes: Int32Array;
  readonly intSeeds: Int32Array;
  readonly stringSeeds: Int32Array;
  private readonly remembered = new Map<string, number>();
  private readonly setShift: number;

  constructor(
    private readonly seed: number,
    slotBits: number,
  ) {
    this.texts = new Array<string | null>(1 << slotBits).fill(null);
    this.hashes = new Int32Array(1 << slotBits);
    this.intSeeds = new Int32Array(1 << slotBits);
    this.stringSeeds = new Int32Array(1 << slotBits);
    this.setShift = 32 - (slotBits - 1);
  }

  /** The slot holding `key` (until the next call). */
  slotOf(key: string): number {
    const length = key.length;
    // Keys are few and interned: length and two characters pick their set well enough.
    const first = (length === 0 ? 0 : Math.imul(length * 31 + key.charCodeAt(0) * 7 + key.charCodeAt(length - 1), 0x9e3779b1) >>> this.setShift) << 1;
    const texts = this.texts;
    if (texts[first] === key) return first;
    if (texts[first + 1] === key) return first + 1;
    let hash = this.remembered.get(key);
    if (hash === undefined) {
      hash = digestValue(key, this.seed) | 0;
      this.remembered.set(key, hash);
    }
    this.move(first, first + 1);
    texts[first] = key;
    this.hashes[first] = hash;
    this.intSeeds[first] = fold32Int(hash, 1);
    this.stringSeeds[first] = fold32Int(hash, 2);
    return first;
  }

  private move(from: number, to: number): void {
    this.texts[to] = this.texts[from];
    this.hashes[to] = this.hashes[from];
    this.intSeeds[to] = this.intSeeds[from];
    this.stringSeeds[to] = this.stringSeeds[from];
  }
}

const stringDigests = new StringDigests(0x5be0cd19, STRING_SLOT_BITS, REMEMBERED_STRING_LENGTH_MAX, REMEMBERED_STRINGS_MAX);
const keySeeds = new KeySeeds(0x3c6ef372, KEY_SLOT_BITS);

/** Items of a top-level array whose walk state HeaderStates remembers. */
const HEADER_ITEMS = 3;
const HEADER_SLOT_BITS = 10;
const HEADER_WORDS = 4;

/** The walk's state after the first three items of a top-level array that begins with an
 *  int32, a string and an int32: every frame's checksum input begins with the wire version, its
 *  pairing and its epoch, which repeat for all the frames of a pairing, so eight folds per
 *  frame are looked up instead (the state is a function of the length and those three values:
 *  a slot is used only when all four are equal, strings compared by content). */
class HeaderStates {
  private readonly seconds: Array<string | null> = new Array<string | null>(1 << HEADER_SLOT_BITS).fill(null);
  /** Per slot, HEADER_WORDS int32s side by side (one cache line): length, first, third, state. */
  private readonly words = new Int32Array(HEADER_WORDS << HEADER_SLOT_BITS);

  stateAfter(length: number, first: number, second: string, third: number): number {
    const secondDigest = stringDigests.of(second);
    const slot = Math.imul(secondDigest ^ Math.imul(third ^ (length << 16) ^ (first << 24), FNV_PRIME), 0x9e3779b1) >>> (32 - HEADER_SLOT_BITS);
    const words = this.words;
    const at = slot * HEADER_WORDS;
    if (this.seconds[slot] === second && words[at] === length && words[at + 1] === first && words[at + 2] === third) return words[at + 3];
    let h = fold32Int(fold32Int(DIGEST_SEED, 7), length);
    h = fold32Int(fold32Int(h, 1), first);
    h = fold32Int(fold32Int(h, 2), secondDigest);
    h = fold32Int(fold32Int(h, 1), third);
    this.seconds[slot] = second;
    words[at] = length;
    words[at + 1] = first;
    words[at + 2] = third;
    words[at + 3] = h;
    return h;
  }
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
