// Properties of the sizing machinery: the packing places every item exactly once, within the
// capacities unless an item alone exceeds them, and never beats its lower bounds; the fluid
// queue's lag only falls as bandwidth rises, and the bandwidth found for a target meets it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { achievableRpo, bandwidthFor, lagOver, lowerBound, packFirstFitDecreasing, timeToWrite } from '../../planner/index.js';

const items = fc.array(fc.tuple(fc.integer({ min: 1, max: 58 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 60 });

describe('first-fit-decreasing packing', () => {
  it('places each item exactly once, respects capacities and is never below a lower bound when every item fits a bin', () => {
    fc.assert(
      fc.property(items, (tuples) => {
        const capacity = [58, 1500, 5000];
        const list = tuples.map((demand, i) => ({ key: `m${i}`, demand }));
        const bins = packFirstFitDecreasing(list, capacity);
        const placed = bins.flatMap((b) => b.items).sort((a, b) => a - b);
        expect(placed).toEqual(list.map((_, i) => i));
        for (const bin of bins) {
          const fits = bin.load.every((load, d) => load <= capacity[d]);
          expect(fits || (bin.overCapacity && bin.items.length === 1)).toBe(true);
        }
        // An item larger than a bin cannot be split, so only then may the count fall below a bound.
        if (bins.some((b) => b.overCapacity)) return;
        for (let d = 0; d < capacity.length; d++) expect(bins.length).toBeGreaterThanOrEqual(lowerBound(list, capacity, d));
      }),
    );
  });
});

const series = fc.array(fc.double({ min: 0, max: 5e6, noNaN: true }), { minLength: 60, maxLength: 300 });
const model = fc.record({ copyIntervalSeconds: fc.constantFrom(0, 30, 300), compression: fc.constantFrom(0, 0.3), latencySeconds: fc.constantFrom(0, 0.02) });

describe('fluid queue', () => {
  it('lag falls as bandwidth rises', () => {
    fc.assert(
      fc.property(series, model, fc.double({ min: 1e6, max: 1e9, noNaN: true }), (arrivals, m, bits) => {
        const low = lagOver(arrivals, bits, m);
        const high = lagOver(arrivals, bits * 1.5, m);
        if (low.unbounded) return;
        expect(high.unbounded).toBe(false);
        for (let i = 0; i < arrivals.length; i++) expect(high.lagSeconds[i]).toBeLessThanOrEqual(low.lagSeconds[i] + 1e-6);
      }),
    );
  });

  it('the bandwidth found for a target meets it, and 5% less does not (for a busy enough series)', () => {
    fc.assert(
      fc.property(series, model, fc.integer({ min: 400, max: 7200 }), (arrivals, m, target) => {
        const need = bandwidthFor(arrivals, target, 1, m);
        if (need.bitsPerSecond === null || need.bitsPerSecond < 1e5) return;
        expect(achievableRpo(arrivals, need.bitsPerSecond, target, m).rpo100Seconds!).toBeLessThanOrEqual(target + 1e-6);
        const below = achievableRpo(arrivals, need.bitsPerSecond * 0.95, target, m);
        expect(below.unbounded || below.rpo100Seconds! > target).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('time to write a threshold: exact at a flat rate, across several repeats of the series', () => {
    const flat = new Array<number>(1440).fill(1e6);
    expect(timeToWrite(flat, 3e9, 0)).toBeCloseTo(3000, 6);
    expect(timeToWrite(flat, 2e11, 0)).toBeCloseTo(2e5, 3);
    expect(timeToWrite(flat, 3e9, 300)).toBeCloseTo(2700, 6);
    expect(timeToWrite(new Array<number>(1440).fill(0), 1e9, 300)).toBe(Number.POSITIVE_INFINITY);
  });
});
