import { describe, expect, it } from 'vitest';
import { dayRuns } from '../../cli/bench/day-runs.js';

const contextOf = (repeat: number | undefined, lines: string[] = []) => ({ scale: 1, repeat, progress: (line: string) => void lines.push(line) });

/** A day whose wall times come from `walls`, one per call, with a figure that tells runs apart. */
function daysOf(walls: number[]): () => Record<string, number> {
  let call = 0;
  return () => {
    const wallSeconds = walls[call];
    call++;
    return { wallSeconds, wallInReferences: wallSeconds / 2, peakRssMiB: 100 + call, call };
  };
}

describe('dayRuns: a day benchmark repeated, reported by its median run', () => {
  it('runs once and reports that run as it is when asked for one', () => {
    expect(dayRuns(contextOf(1), daysOf([7]))).toEqual({ wallSeconds: 7, wallInReferences: 3.5, peakRssMiB: 101, call: 1 });
  });

  it('runs three days by default and reports the median one', () => {
    const figures = dayRuns(contextOf(undefined), daysOf([25, 17, 18]));
    expect(figures).toMatchObject({ runs: 3, wallSeconds: 18, call: 3, wallSecondsMedian: 18, wallSecondsAll: '25 17 18' });
  });

  it('reports the median run with the spread of all of them, and says how each went', () => {
    const lines: string[] = [];
    const figures = dayRuns(contextOf(5, lines), daysOf([21, 18, 30, 19, 20]));
    expect(figures.call).toBe(5); // the run of 20 s, the median of five
    expect(figures.wallSeconds).toBe(20);
    expect(figures).toMatchObject({ runs: 5, wallSecondsMedian: 20, wallSecondsMin: 18, wallSecondsMax: 30, wallSecondsAll: '21 18 30 19 20', wallInReferencesMedian: 10, peakRssMiBMax: 105 });
    expect(lines).toEqual(['day 1 of 5: 21 s', 'day 2 of 5: 18 s', 'day 3 of 5: 30 s', 'day 4 of 5: 19 s', 'day 5 of 5: 20 s']);
  });

  it('takes the lower middle run for an even count, and the mean of the middle two as the median', () => {
    const figures = dayRuns(contextOf(4), daysOf([24, 18, 20, 22]));
    expect(figures.wallSeconds).toBe(20);
    expect(figures.wallSecondsMedian).toBe(21);
  });
});
