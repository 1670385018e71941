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

export class RandomStream implements Entropy {
  // alea's state (Baagoe): three lags and a carry, exactly as seedrandom keeps them. The fields
  // start as numbers so the engine stores them unboxed (a field first set to undefined would
  // box every double stored in it: an allocation per draw).
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private c = 0;

  constructor(readonly label: string) {
    const seeded = seedrandom.alea(label, { state: true }).state();
    this.s0 = seeded.s0;
    this.s1 = seeded.s1;
    this.s2 = seeded.s2;
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

  /** One step of alea's recurrence: a uniform in [0, 1) with 32 bits. */
  private step(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10; // 2^-32
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.c = t | 0;
    this.s2 = t - this.c;
    return this.s2;
  }
}


/** The root stream of a run. */
export const rootStream = (seed: number | string): RandomStream => new RandomStream(`seed:${seed}`);
