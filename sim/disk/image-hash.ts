// The order-independent hash of a disk image (DESIGN.md section 3): the sum over blocks of
// h(block, content), with h(block, 0) = 0, so it is updated in O(1) per block write and two disks
// holding the same content at the same block numbers hash alike whatever order the writes came in.
//
// Fault model: none. Each of the two lanes is a sum modulo a prime just below 2^26 of
//   h(block, id) = coefficient(id) * block + constant(id),
// where coefficient (never 0) and constant are mixes of the id. Being linear in the block number
// lets the sum over a whole pre-existing image (blocks [0, n) all holding one id) be computed in
// O(1), so a 2 TB base image costs nothing. The moduli are distinct primes, so a difference of
// content between two blocks cancels only when mixed coefficients collide, never because of the
// block distance (that would need it to be a multiple of both primes, about 2^52). Lanes below
// 2^26 keep every product below 2^53, so an update is a few integer operations and no BigInt;
// the hash has about 52 effective bits, reported as 16 hex digits.
import { hex32, mix32Int } from '../../model/index.js';

const MODULUS_A = 67_108_859; // largest prime below 2^26
const MODULUS_B = 67_108_837; // the next one down
// Salts as int32 (the same bits, so the same mixes): every value on the per-block path stays a
// small integer, never a heap-allocated number.
const SALT_A = 0x68e31da4 | 0;
const SALT_B = 0xb5297a4d | 0;
const TWO_POW_31 = 0x8000_0000;

// The reductions below avoid integer division where their operands allow it: they run four
// times per block written on every guest truth and every disk with an oracle, and per differing
// block when another disk works its hash out.

/** The block number reduced modulo `modulus` (the integer path for blocks below 2^31). */
function reduceBlock(block: number, modulus: number): number {
  if (block < modulus) return block;
  return block < TWO_POW_31 ? (block | 0) % modulus : block % modulus;
}

/** A mix (of any sign: `>>> 6` reads its 32 bits) shifted down to 26 bits is below twice `modulus`: one subtraction reduces it. */
function reduceMixed(shifted: number, modulus: number): number {
  return shifted >= modulus ? shifted - modulus : shifted;
}

function coefficient(mixed: number, modulus: number): number {
  return 1 + reduceMixed(mixed >>> 6, modulus - 1);
}

function constant(mixed: number, modulus: number): number {
  return reduceMixed(Math.imul(mixed, 0x9e3779b1) >>> 6, modulus);
}

/** h(block, id) in one lane, in [0, modulus). */
function laneTerm(block: number, id: number, salt: number, modulus: number): number {
  if (id === 0) return 0;
  const mixed = mix32Int(id ^ salt);
  const value = coefficient(mixed, modulus) * reduceBlock(block, modulus) + constant(mixed, modulus);
  return value - Math.floor(value / modulus) * modulus;
}

/** The sum over blocks [low, high) of h(block, id) in one lane. */
function laneRange(low: number, high: number, id: number, salt: number, modulus: number): number {
  if (id === 0 || high <= low) return 0;
  const mixed = mix32Int(id ^ salt);
  const m = BigInt(modulus);
  const count = BigInt(high - low);
  const blockSum = ((BigInt(low) + BigInt(high - 1)) * count) / 2n;
  return Number((BigInt(coefficient(mixed, modulus)) * blockSum + BigInt(constant(mixed, modulus)) * count) % m);
}

export class ImageHash {
  laneA = 0;
  laneB = 0;

  /** Renders two lanes as the 64-bit hash string disks and oracles report. */
  static format(laneA: number, laneB: number): string {
    return hex32(laneA) + hex32(laneB);
  }

  /** Block `block` changes from `oldId` to `newId`. */
  replace(block: number, oldId: number, newId: number): void {
    if (oldId === newId) return;
    this.laneA = addMod(this.laneA, laneTerm(block, newId, SALT_A, MODULUS_A), laneTerm(block, oldId, SALT_A, MODULUS_A), MODULUS_A);
    this.laneB = addMod(this.laneB, laneTerm(block, newId, SALT_B, MODULUS_B), laneTerm(block, oldId, SALT_B, MODULUS_B), MODULUS_B);
  }

  /** Blocks [low, high), each holding nothing before, now all hold `id`. */
  addRange(low: number, high: number, id: number): void {
    this.laneA = addMod(this.laneA, laneRange(low, high, id, SALT_A, MODULUS_A), 0, MODULUS_A);
    this.laneB = addMod(this.laneB, laneRange(low, high, id, SALT_B, MODULUS_B), 0, MODULUS_B);
  }

  copyFrom(other: ImageHash): void {
    this.laneA = other.laneA;
    this.laneB = other.laneB;
  }

  equals(other: ImageHash): boolean {
    return this.laneA === other.laneA && this.laneB === other.laneB;
  }

  toString(): string {
    return ImageHash.format(this.laneA, this.laneB);
  }
}

/** (value + plus - minus) mod m, for integer operands in [0, m). */
function addMod(value: number, plus: number, minus: number, modulus: number): number {
  const result = value + plus - minus;
  if (result >= modulus) return result - modulus;
  return result < 0 ? result + modulus : result;
}
