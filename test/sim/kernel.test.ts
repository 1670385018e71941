import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel, firstDivergence } from '../../sim/kernel.js';
import { KernelClock } from '../../sim/kernel-clock.js';
import { xstateClock } from '../../engine/index.js';
import { rootStream } from '../../sim/random.js';
import { seconds, type Instant } from '../../model/index.js';
import { createActor, createMachine } from 'xstate';

describe('kernel', () => {
  it('runs events in (time, sequence) order, whatever order they were scheduled in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (delays) => {
        const kernel = new Kernel();
        const ran: Array<[number, number]> = [];
        delays.forEach((delay, index) => kernel.schedule(delay, 'e', () => ran.push([kernel.now(), index])));
        kernel.invariants();
        expect(kernel.run()).toBe('idle');
        const expected = delays.map((delay, index) => [delay, index] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(ran).toEqual(expected);
      }),
    );
  });

  it('never runs a cancelled event and reports whether cancel did anything', () => {
    const kernel = new Kernel();
    const ran: string[] = [];
    const a = kernel.schedule(10, 'a', () => ran.push('a'));
    kernel.schedule(5, 'b', () => ran.push('b'));
    expect(kernel.cancel(a)).toBe(true);
    expect(kernel.cancel(a)).toBe(false);
    kernel.run();
    expect(ran).toEqual(['b']);
  });

  it('delivers events scheduled by a handler later, never re-entrantly', () => {
    const kernel = new Kernel();
    const ran: string[] = [];
    kernel.schedule(0, 'outer', () => {
      kernel.schedule(0, 'inner', () => ran.push('inner'));
      ran.push('outer-end');
    });
    kernel.run();
    expect(ran).toEqual(['outer-end', 'inner']);
  });

  it('stops at the time bound and at the event bound', () => {
    const kernel = new Kernel();
    let count = 0;
    const tick = (): void => {
      count++;
      kernel.schedule(seconds(1), 'tick', tick);
    };
    kernel.schedule(0, 'tick', tick);
    expect(kernel.run({ until: seconds(10) as number as Instant })).toBe('time-limit');
    expect(count).toBe(11);
    expect(kernel.now()).toBe(seconds(10));
    expect(kernel.run({ maxEvents: 5 })).toBe('event-limit');
    expect(count).toBe(16);
  });

  it('refuses to schedule in the past', () => {
    const kernel = new Kernel();
    kernel.schedule(100, 'x', () => undefined);
    kernel.run();
    expect(() => kernel.scheduleAt(50 as Instant, 'y', () => undefined)).toThrow(/before now/);
    expect(() => kernel.schedule(-1, 'y', () => undefined)).toThrow(/non-negative/);
  });

  it('gives the same trace hash for the same seed and names the first divergent event otherwise', () => {
    const runOnce = (seed: number) => {
      const kernel = new Kernel({ captureTrace: true });
      const random = rootStream(seed).fork('arrivals');
      let left = 200;
      const arrive = (): void => {
        if (--left > 0) kernel.schedule(Math.round(random.exponential(1000)), 'arrive', arrive, left);
      };
      kernel.schedule(0, 'arrive', arrive);
      kernel.run();
      return kernel;
    };
    for (let seed = 0; seed < 20; seed++) expect(runOnce(seed).traceHash).toBe(runOnce(seed).traceHash);
    const a = runOnce(1);
    const b = runOnce(2);
    expect(a.traceHash).not.toBe(b.traceHash);
    const divergence = firstDivergence(a.capturedTrace, b.capturedTrace);
    expect(divergence).not.toBeNull();
    expect(divergence!.index).toBe(1);
    expect(firstDivergence(a.capturedTrace, runOnce(1).capturedTrace)).toBeNull();
  });
});

describe('kernel clock', () => {
  it('fires and cancels timers, and reads skewed time', () => {
    const kernel = new Kernel();
    const clock = new KernelClock(kernel, 'host-a');
    const fired: number[] = [];
    clock.setTimer(seconds(2), 't1', () => fired.push(kernel.now()));
    const t2 = clock.setTimer(seconds(3), 't2', () => fired.push(-1));
    expect(clock.cancelTimer(t2)).toBe(true);
    clock.setSkew(5_000_000);
    kernel.run();
    expect(fired).toEqual([2_000_000]);
    expect(clock.now()).toBe(7_000_000);
    clock.setTimer(seconds(1), 't3', () => fired.push(-3));
    expect(clock.cancelAll()).toBe(1);
    kernel.run();
    expect(fired).toEqual([2_000_000]);
  });

  it('drives xstate delayed transitions as kernel events', () => {
    const kernel = new Kernel();
    const clock = new KernelClock(kernel, 'control');
    const machine = createMachine({ initial: 'waiting', states: { waiting: { after: { 5000: 'done' } }, done: {} } });
    const actor = createActor(machine, { clock: xstateClock(clock) });
    actor.start();
    expect(actor.getSnapshot().value).toBe('waiting');
    kernel.run({ until: seconds(4.999) as number as Instant });
    expect(actor.getSnapshot().value).toBe('waiting');
    kernel.run();
    expect(actor.getSnapshot().value).toBe('done');
    expect(kernel.now()).toBe(seconds(5));
  });
});

describe('random streams', () => {
  it('forks by label: a new component never shifts another one’s draws', () => {
    const a1 = rootStream(7).fork('link/a-b');
    const root = rootStream(7);
    root.fork('something-new').next();
    const a2 = root.fork('link/a-b');
    expect([a1.next(), a1.next()]).toEqual([a2.next(), a2.next()]);
    expect(rootStream(7).fork('x').next()).not.toBe(rootStream(8).fork('x').next());
  });
});
