// Volume noise for a workload tick: a mean-1 gamma factor whose shape is the expected number of
// writes in the tick, so a tick's bytes vary about as much as a Poisson count of writes would
// (relative spread 1/sqrt(writes)) while the mean stays exact.
//
// Fault model: none. Marsaglia and Tsang's method (2000), with the U^(1/shape) boost for shapes
// below 1; every draw comes from the stream it is given.
import { assert } from '../../model/index.js';
import type { RandomStream } from '../random.js';

/** A gamma variate with the given shape, scaled to mean 1. */
export function meanOneGamma(random: RandomStream, shape: number): number {
  if (!(shape > 0 && Number.isFinite(shape))) assert(false, `gamma: shape must be positive, got ${shape}`);
  if (shape < 1) {
    const boosted = gammaAtLeastOne(random, shape + 1);
    return (boosted * Math.pow(uniformOpen(random), 1 / shape)) / shape;
  }
  return gammaAtLeastOne(random, shape) / shape;
}

function gammaAtLeastOne(random: RandomStream, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = standardNormal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = uniformOpen(random);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Box-Muller; the second normal of the pair is dropped to keep the function stateless. */
function standardNormal(random: RandomStream): number {
  return Math.sqrt(-2 * Math.log(uniformOpen(random))) * Math.cos(2 * Math.PI * random.next());
}

/** A uniform draw in (0, 1): never 0, so its logarithm is finite. */
function uniformOpen(random: RandomStream): number {
  return 1 - random.next();
}
