// The Clock port contract (engine/ports.ts): timers fire once, in order, at the right time, as
// their own events; cancel works and says whether it did anything; now() never goes backwards
// while nobody changes the clock's skew.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Clock, TimerId } from '../../engine/ports.js';
import type { Duration } from '../../model/index.js';

export interface ClockUnderTest {
  readonly clock: Clock;
  /** Runs every pending event. */
  run(): void;
}

const us = (n: number): Duration => n as Duration;

export function clockContract(name: string, makeClockAndRun: () => ClockUnderTest): void {
  describe(`Clock contract: ${name}`, () => {
    it('fires every timer once, after exactly its delay, in (due time, order set) order', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 60 }), (delays) => {
          const { clock, run } = makeClockAndRun();
          const start = clock.now();
          const fired: Array<{ index: number; at: number }> = [];
          delays.forEach((delay, index) => clock.setTimer(us(delay), `t${index}`, () => fired.push({ index, at: clock.now() })));
          expect(fired).toEqual([]);
          run();
          const expected = delays
            .map((delay, index) => ({ index, at: start + delay }))
            .sort((a, b) => a.at - b.at || a.index - b.index);
          expect(fired).toEqual(expected);
        }),
      );
    });

    it('never fires a timer inside the call that sets it, even with zero delay', () => {
      const { clock, run } = makeClockAndRun();
      const order: string[] = [];
      clock.setTimer(us(0), 'outer', () => {
        clock.setTimer(us(0), 'inner', () => order.push('inner'));
        order.push('outer-end');
      });
      order.push('set');
      run();
      expect(order).toEqual(['set', 'outer-end', 'inner']);
    });

    it('cancels a pending timer, and reports false once it fired or was cancelled', () => {
      const { clock, run } = makeClockAndRun();
      const fired: string[] = [];
      const early = clock.setTimer(us(5), 'early', () => fired.push('early'));
      const late = clock.setTimer(us(10), 'late', () => fired.push('late'));
      const kept = clock.setTimer(us(20), 'kept', () => fired.push('kept'));
      let cancelledFromTimer: boolean | undefined;
      clock.setTimer(us(7), 'canceller', () => {
        cancelledFromTimer = clock.cancelTimer(late);
      });
      expect(clock.cancelTimer(early)).toBe(true);
      expect(clock.cancelTimer(early)).toBe(false);
      run();
      expect(cancelledFromTimer).toBe(true);
      expect(fired).toEqual(['kept']);
      expect(clock.cancelTimer(kept)).toBe(false);
      expect(clock.cancelTimer(late)).toBe(false);
    });

    it('keeps ids apart: cancelling one timer leaves the others alone', () => {
      const { clock, run } = makeClockAndRun();
      const ids: TimerId[] = [];
      const fired: number[] = [];
      for (let i = 0; i < 10; i++) ids.push(clock.setTimer(us(i), `t${i}`, () => fired.push(i)));
      expect(new Set(ids).size).toBe(10);
      for (const i of [1, 4, 7]) expect(clock.cancelTimer(ids[i])).toBe(true);
      run();
      expect(fired).toEqual([0, 2, 3, 5, 6, 8, 9]);
    });

    it('reads a monotonic now() across nested timers', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 40 }), (delays) => {
          const { clock, run } = makeClockAndRun();
          const readings: number[] = [clock.now()];
          const chain = (i: number): void => {
            readings.push(clock.now());
            if (i < delays.length) clock.setTimer(us(delays[i]), 'chain', () => chain(i + 1));
          };
          chain(0);
          for (const delay of delays) clock.setTimer(us(delay), 'side', () => readings.push(clock.now()));
          run();
          for (let i = 1; i < readings.length; i++) expect(readings[i]).toBeGreaterThanOrEqual(readings[i - 1]);
          expect(readings[readings.length - 1] - readings[0]).toBeGreaterThanOrEqual(Math.max(...delays));
        }),
      );
    });
  });
}
