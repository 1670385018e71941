// Seeded randomness (DESIGN.md section 2.4). One run seed; every component forks its own stream
// by a stable label, so adding a component never shifts another component's draws. Streams use
// seedrandom's alea (fast, small state); a draw is its `.double()`, 53 bits. The stream seeds
// through seedrandom and then steps alea's recurrence itself, on its own fields: the same numbers
// as `prng.double()`, without two closure calls and a property-bag state per draw (millions of
// draws a simulated day).
//
// Fault model: none. Probabilities are exact ratios (`chance(1, 1000)`), never floats compared
// against a float draw, so a knob written as 1/1000 means exactly that.
import seedrandom from 'seedrandom';
import { assert } from '../model/index.js';
import type { Entropy } from '../engine/ports.js';

/** An exact probability numerator/denominator, 0 <= numerator <= denominator. */
export interface Ratio {
  readonly numerator: number;
  readonly denominator: number;
}

export const ratio = (numerator: number, denominator: number): Ratio => {
  assert(Number.isInteger(numerator) && Number.isInteger(denominator), 'ratio: integers only');
  assert(denominator > 0 && numerator >= 0 && numerator <= denominator, `ratio: ${numerator}/${denominator} is not a probability`);
  return { numerator, denominator };
};

export const NEVER: Ratio = { numerator: 0, denominator: 1 };
export const ALWAYS: Ratio = { numerator: 1, denominator: 1 };

const TWO_POW_32 = 0x1_0000_0000;

/** A lag of seedrandom's alea state (a multiple of 2^-32 in [0, 1)) as its int32 bits. */
function lagBits(lag: number): number {
  const bits = lag * TWO_POW_32;
  assert(Number.isInteger(bits) && bits >= 0 && bits < TWO_POW_32, `random: alea lag ${lag} is not a multiple of 2^-32 in [0, 1)`);
  return bits | 0;
}

export class RandomStream implements Entropy {
  // alea's state (Baagoe): three lags and a carry. seedrandom keeps each lag as a double in
  // [0, 1), but every lag is a whole multiple of 2^-32 (mash yields such multiples and the
  // recurrence keeps them so), so the lags are kept here as those multiples, in int32 form: small
  // integers that sit in the object itself. A double field would be a box of its own, one more
  // cache line to load for every draw on a cold stream (a disk draws once per request). The
  // draws are bit for bit seedrandom's (see step).
  private u0 = 0;
  private u1 = 0;
  private u2 = 0;
  private c = 0;

  constructor(readonly label: string) {
    const seeded = seedrandom.alea(label, { state: true }).state();
    this.u0 = lagBits(seeded.s0);
    this.u1 = lagBits(seeded.s1);
    this.u2 = lagBits(seeded.s2);
    this.c = seeded.c;
  }

  /** A child stream whose draws depend only on this stream's label and `label`. */
  fork(label: string): RandomStream {
    return new RandomStream(`${this.label}/${label}`);
  }

  /** A uniform draw in [0, 1) with 53 bits: seedrandom's `double()` (two alea steps). */
  next(): number {
    const high = this.step();
    return high + ((this.step() * 0x200000) | 0) * 1.1102230246251565e-16; // 2^-53
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    if (!(bound > 0 && Number.isInteger(bound))) assert(false, `nextInt: bound must be a positive integer, got ${bound}`);
    return Math.floor(this.next() * bound);
  }

  /** A uniform integer in [min, max]. */
  between(min: number, max: number): number {
    const bound = max - min + 1;
    if (!(bound > 0 && Number.isInteger(bound))) assert(false, `between: [${min}, ${max}] is not a range of whole numbers`);
    return min + Math.floor(this.next() * bound);
  }

  /** True with exactly the probability `p`. */
  chance(p: Ratio): boolean {
    if (p.numerator === 0) return false;
    if (p.numerator === p.denominator) return true;
    return this.nextInt(p.denominator) < p.numerator;
  }

  /** An exponentially distributed value with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick: empty list');
    return items[this.nextInt(items.length)];
  }

  /** An index drawn with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    assert(total > 0, 'weighted: weights sum to zero');
    let draw = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      draw -= weights[i];
      if (draw < 0) return i;
    }
    return weights.length - 1;
  }

  /** One step of alea's recurrence: a uniform in [0, 1) with 32 bits. seedrandom computes
   *  t = 2091639 * s0 + c * 2^-32, then c = t | 0 and s2 = t - c. With s0 = u0 * 2^-32, t is
   *  T * 2^-32 for the integer T = 2091639 * u0 + c, below 2^53, so every one of those steps is
   *  exact in doubles; the integer form below computes the same bits. */
  private step(): number {
    const whole = 2091639 * (this.u0 >>> 0) + this.c;
    const carry = Math.floor(whole / TWO_POW_32);
    const low = whole - carry * TWO_POW_32;
    this.u0 = this.u1;
    this.u1 = this.u2;
    this.u2 = low | 0;
    this.c = carry;
    return low * 2.3283064365386963e-10; // 2^-32
  }
}


/** The root stream of a run. */
export const rootStream = (seed: number | string): RandomStream => new RandomStream(`seed:${seed}`);
