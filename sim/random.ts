// Seeded randomness (DESIGN.md section 2.4). One run seed; every component forks its own stream
// by a stable label, so adding a component never shifts another component's draws. Streams use
// seedrandom's alea (fast, small state); `.double()` gives 53 bits.
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
  private readonly prng: seedrandom.PRNG;

  constructor(readonly label: string) {
    this.prng = seedrandom.alea(label);
  }

  /** A child stream whose draws depend only on this stream's label and `label`. */
  fork(label: string): RandomStream {
    return new RandomStream(`${this.label}/${label}`);
  }

  next(): number {
    return this.prng.double();
  }

  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number {
    if (!(bound > 0 && Number.isInteger(bound))) assert(false, `nextInt: bound must be a positive integer, got ${bound}`);
    return Math.floor(this.prng.double() * bound);
  }

  /** A uniform integer in [min, max]. */
  between(min: number, max: number): number {
    if (max < min) assert(false, `between: ${max} < ${min}`);
    return min + this.nextInt(max - min + 1);
  }

  /** True with exactly the probability `p`. */
  chance(p: Ratio): boolean {
    if (p.numerator === 0) return false;
    if (p.numerator === p.denominator) return true;
    return this.nextInt(p.denominator) < p.numerator;
  }

  /** An exponentially distributed value with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.prng.double());
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
    let draw = this.prng.double() * total;
    for (let i = 0; i < weights.length; i++) {
      draw -= weights[i];
      if (draw < 0) return i;
    }
    return weights.length - 1;
  }
}

/** The root stream of a run. */
export const rootStream = (seed: number | string): RandomStream => new RandomStream(`seed:${seed}`);
