// A day benchmark run `--repeat` times (3 by default), each day in a process of its own
// (bundled.ts), reported as the run with the median wall time, plus the spread: a single day on
// these shared machines varies by tens of percent, and a median of several is the figure worth
// quoting.
import type { BenchContext, Figures } from './benchmark.js';
import { median } from './measure.js';

/** Days run when --repeat does not say: a median of three is not moved by one busy spell of
 *  the machine, which a single day is. */
export const DAY_ROUNDS_DEFAULT = 3;

/** Runs `day` `context.repeat` times (DAY_ROUNDS_DEFAULT by default) and returns the median run's
 *  figures (by wall time; the lower middle one for an even count) with the spread of all runs;
 *  a single run is reported as it is. */
export function dayRuns(context: BenchContext, day: () => Figures): Figures {
  const rounds = context.repeat ?? DAY_ROUNDS_DEFAULT;
  const runs: Figures[] = [];
  for (let round = 0; round < rounds; round++) {
    runs.push(day());
    if (rounds > 1) context.progress(`day ${round + 1} of ${rounds}: ${String(runs[round].wallSeconds)} s`);
  }
  if (rounds === 1) return runs[0];
  const walls = runs.map(wallOf);
  const sorted = [...runs].sort((a, b) => wallOf(a) - wallOf(b));
  return {
    ...sorted[(rounds - 1) >> 1],
    runs: rounds,
    wallSecondsMedian: median(walls),
    wallSecondsMin: Math.min(...walls),
    wallSecondsMax: Math.max(...walls),
    wallSecondsAll: walls.join(' '),
    wallInReferencesMedian: median(runs.map((run) => Number(run.wallInReferences))),
    peakRssMiBMax: Math.max(...runs.map((run) => Number(run.peakRssMiB))),
  };
}

function wallOf(figures: Figures): number {
  return Number(figures.wallSeconds);
}
