// The kernel clock keeps pending timers in reused slots named by (generation, slot) ids. A model
// (a set of pending timers, each with its due time) is run beside it through random sets, cancels
// (of pending, fired, cancelled and unknown ids), cancel-alls and runs of the kernel.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from '../../sim/kernel.js';
import { KernelClock } from '../../sim/kernel-clock.js';
import type { TimerId } from '../../engine/ports.js';
import { micros } from '../../model/index.js';

type Step =
  | { kind: 'set'; after: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'cancel-all' }
  | { kind: 'run'; by: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 20 }).map((after) => ({ kind: 'set' as const, after })) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: 'cancel' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel-all' as const }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 15 }).map((by) => ({ kind: 'run' as const, by })) },
);

describe('KernelClock: timers in reused slots', () => {
  it('fires, cancels and counts exactly as a model of pending timers, and never confuses an old id with a new timer', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150 }), (steps) => {
        const kernel = new Kernel();
        const clock = new KernelClock(kernel, 'h1');
        const pending = new Map<number, { due: number; serial: number }>(); // id -> model timer
        const issued: TimerId[] = [];
        const fired: number[] = [];
        const expectedFired: number[] = [];
        let serial = 0;
        for (const s of steps) {
          if (s.kind === 'set') {
            const mine = serial++;
            const id = clock.setTimer(micros(s.after), 't', () => fired.push(mine));
            expect(pending.has(id)).toBe(false);
            pending.set(id, { due: kernel.now() + s.after, serial: mine });
            issued.push(id);
          } else if (s.kind === 'cancel') {
            // Mostly ids this clock issued; sometimes ids it never issued (0 is GuardedClock's "no timer").
            const unknown = [0, -1, 1.5, 2 ** 20, 2 ** 21 + 3];
            const id = issued.length > 0 && s.pick % 4 !== 0 ? issued[s.pick % issued.length] : (unknown[s.pick % unknown.length] as TimerId);
            expect(clock.cancelTimer(id)).toBe(pending.has(id));
            pending.delete(id);
          } else if (s.kind === 'cancel-all') {
            expect(clock.cancelAll()).toBe(pending.size);
            pending.clear();
          } else if (s.kind === 'run') {
            const until = kernel.now() + s.by;
            const due = [...pending].filter(([, t]) => t.due <= until).sort((a, b) => a[1].due - b[1].due || a[1].serial - b[1].serial);
            for (const [id, t] of due) {
              expectedFired.push(t.serial);
              pending.delete(id);
            }
            kernel.run({ until: until as never });
          }
          expect(clock.pendingTimers).toBe(pending.size);
          clock.invariants();
        }
        expect(fired).toEqual(expectedFired);
      }),
    );
  });

  it('refuses to cancel ids it never issued, 0 among them, once slots are free', () => {
    const kernel = new Kernel();
    const clock = new KernelClock(kernel, 'h1');
    clock.setTimer(micros(1), 't', () => undefined);
    kernel.run();
    for (const id of [0, -1, 1.5, 2 ** 20]) expect(clock.cancelTimer(id as TimerId)).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.invariants();
  });

  it('gives a fired timer\'s slot to the next timer under a new id', () => {
    const kernel = new Kernel();
    const clock = new KernelClock(kernel, 'h1');
    const first = clock.setTimer(micros(1), 't', () => undefined);
    kernel.run();
    const second = clock.setTimer(micros(1), 't', () => undefined);
    expect(second).not.toBe(first);
    expect(clock.cancelTimer(first)).toBe(false);
    expect(clock.pendingTimers).toBe(1);
    expect(clock.cancelTimer(second)).toBe(true);
    expect(clock.cancelTimer(second)).toBe(false);
    clock.invariants();
  });
});
