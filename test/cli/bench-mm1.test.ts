// The mm1 benchmark's two event loops and the measuring helpers, without a child process.
import { describe, expect, it } from 'vitest';
import { ANALYTIC_MEAN_WAIT, simulateOnBareHeap, simulateOnKernel } from '../../cli/bench/mm1.js';
import { median, significant } from '../../cli/bench/measure.js';

describe('mm1', () => {
  it('simulates the same queue on the kernel and on the bare-heap ceiling', () => {
    for (const customers of [1, 2, 1000, 30_000]) {
      const onKernel = simulateOnKernel(customers);
      expect(onKernel.customersServed).toBe(customers);
      expect(onKernel).toEqual(simulateOnBareHeap(customers));
    }
  });

  it('gives no wait to a lone customer, and some wait once a queue forms', () => {
    expect(simulateOnKernel(1).waitMicrosTotal).toBe(0);
    expect(simulateOnKernel(1000).waitMicrosTotal).toBeGreaterThan(0);
  });

  it('states the analytic mean wait of M/M/1 at rho 0.9', () => {
    expect(ANALYTIC_MEAN_WAIT).toBe(9);
  });
});

describe('measure', () => {
  it('takes the median of odd and even counts, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(RangeError);
  });

  it('rounds figures to significant digits', () => {
    expect(significant(0.123456, 3)).toBe(0.123);
    expect(significant(1234567, 2)).toBe(1200000);
    expect(significant(0)).toBe(0);
  });
});
