import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { instant, seconds, type Duration } from '../../model/index.js';
import { Kernel } from '../../sim/kernel.js';
import { SimCpu } from '../../sim/host/cpu.js';

const us = (n: number): Duration => n as Duration;

function makeCpu(cores: number, windowSeconds = 300) {
  const kernel = new Kernel();
  return { kernel, cpu: new SimCpu(kernel, 'ps1', { cores, utilisationWindow: seconds(windowSeconds) }) };
}

describe('SimCpu queueing', () => {
  it('serves one core first come, first served', () => {
    const { kernel, cpu } = makeCpu(1);
    const done: Array<[string, number]> = [];
    for (const name of ['a', 'b', 'c']) cpu.spend(us(10), 'compress', () => done.push([name, kernel.now()]));
    expect(done).toEqual([]);
    expect(cpu.pending).toBe(3);
    expect(cpu.idleAt()).toBe(30);
    kernel.run();
    expect(done).toEqual([['a', 10], ['b', 20], ['c', 30]]);
    expect(cpu.pending).toBe(0);
  });

  it('puts each job on the first free core', () => {
    const { kernel, cpu } = makeCpu(2);
    const done: Array<[string, number]> = [];
    const job = (name: string, cost: number) => cpu.spend(us(cost), name, () => done.push([name, kernel.now()]));
    job('a', 10);
    job('b', 10);
    job('c', 10); // waits for a's core: 10..20
    job('d', 5); // waits for b's core: 10..15
    kernel.run();
    expect(done).toEqual([['a', 10], ['b', 10], ['d', 15], ['c', 20]]);
  });

  it('completes zero-cost work as a later event, never inside the call', () => {
    const { kernel, cpu } = makeCpu(1);
    let ran = false;
    cpu.spend(us(0), 'noop', () => (ran = true));
    expect(ran).toBe(false);
    kernel.run();
    expect(ran).toBe(true);
  });

  it('behaves as a FIFO multi-server queue: no wait while a core is free, never more busy cores than cores', () => {
    const job = fc.record({ gap: fc.integer({ min: 0, max: 20 }), cost: fc.integer({ min: 0, max: 50 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(job, { minLength: 1, maxLength: 60 }), (cores, jobs) => {
        const { kernel, cpu } = makeCpu(cores);
        const arrivals: number[] = [];
        const ends: number[] = [];
        let at = 0;
        jobs.forEach((j, index) => {
          at += j.gap;
          arrivals.push(at);
          kernel.scheduleAt(instant(at), 'arrive', () => cpu.spend(us(j.cost), 'job', () => (ends[index] = kernel.now())));
        });
        kernel.run();
        cpu.invariants();
        const starts = jobs.map((j, i) => ends[i] - j.cost);
        const busyAt = (t: number): number => starts.filter((s, i) => s <= t && t < ends[i] && jobs[i].cost > 0).length;
        for (let i = 0; i < jobs.length; i++) {
          expect(starts[i]).toBeGreaterThanOrEqual(arrivals[i]);
          if (i > 0) expect(starts[i]).toBeGreaterThanOrEqual(starts[i - 1]);
          // Waiting is only allowed while every core is busy.
          if (starts[i] > arrivals[i]) {
            const instants = [arrivals[i], ...starts, ...ends].filter((t) => t >= arrivals[i] && t < starts[i]);
            for (const t of instants) expect(busyAt(t)).toBe(cores);
          }
        }
        for (const t of [...starts, ...ends]) expect(busyAt(t)).toBeLessThanOrEqual(cores);
      }),
    );
  });

  it('matches the Lindley recursion on one core', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), { maxLength: 80 }), (jobs) => {
        const { kernel, cpu } = makeCpu(1);
        const ends: number[] = [];
        let at = 0;
        jobs.forEach(([gap, cost], index) => {
          at += gap;
          kernel.scheduleAt(instant(at), 'arrive', () => cpu.spend(us(cost), 'job', () => (ends[index] = kernel.now())));
        });
        kernel.run();
        let arrival = 0;
        let previousEnd = 0;
        jobs.forEach(([gap, cost], index) => {
          arrival += gap;
          previousEnd = Math.max(arrival, previousEnd) + cost;
          expect(ends[index]).toBe(previousEnd);
        });
      }),
    );
  });
});

describe('SimCpu utilisation', () => {
  it('is the busy fraction of the window, counting running work up to now', () => {
    const { kernel, cpu } = makeCpu(1, 100);
    cpu.spend(seconds(30), 'job', () => {});
    const readings: Record<number, number> = {};
    for (const t of [15, 30, 60, 100, 115, 130, 200]) kernel.scheduleAt(instant(seconds(t)), 'read', () => (readings[t] = cpu.utilisation()));
    kernel.run();
    // Before a whole window has passed, the window is what has passed.
    expect(readings).toEqual({ 15: 1, 30: 1, 60: 0.5, 100: 0.3, 115: 0.15, 130: 0, 200: 0 });
  });

  it('divides by the core-time the window offers', () => {
    const { kernel, cpu } = makeCpu(4, 100);
    cpu.spend(seconds(100), 'a', () => {});
    cpu.spend(seconds(50), 'b', () => {});
    kernel.run({ until: instant(seconds(100)) });
    expect(cpu.utilisation()).toBe(150 / 400);
    expect(makeCpu(2).cpu.utilisation()).toBe(0);
  });

  it('stays exact over many jobs as old intervals leave the window', () => {
    const { kernel, cpu } = makeCpu(2, 60);
    // 5,000 jobs of 1 s, two arriving every 4 s: 50% busy in steady state.
    for (let i = 0; i < 2_500; i++) {
      kernel.scheduleAt(instant(seconds(4 * i)), 'arrive', () => {
        cpu.spend(seconds(1), 'job', () => {});
        cpu.spend(seconds(1), 'job', () => {});
      });
    }
    const readings: number[] = [];
    for (let t = 120; t < 9_000; t += 997) kernel.scheduleAt(instant(seconds(t) + 1), 'read', () => readings.push(cpu.utilisation()));
    kernel.run();
    cpu.invariants();
    for (const reading of readings) expect(reading).toBeCloseTo(0.25, 2);
  });
});

describe('SimCpu crash', () => {
  it('drops queued and running work, whose callbacks never run, and frees the cores at once', () => {
    const { kernel, cpu } = makeCpu(1, 100);
    const done: string[] = [];
    cpu.spend(seconds(10), 'running', () => done.push('running'));
    cpu.spend(seconds(10), 'queued', () => done.push('queued'));
    kernel.scheduleAt(instant(seconds(4)), 'crash', () => cpu.crash());
    kernel.scheduleAt(instant(seconds(5)), 'after', () => cpu.spend(seconds(1), 'after', () => done.push(`after@${kernel.now()}`)));
    kernel.run({ until: instant(seconds(8)) });
    // Busy 0..4 (until the crash) and 5..6.
    expect(cpu.utilisation()).toBe(5 / 8);
    kernel.run();
    expect(done).toEqual([`after@${seconds(6)}`]);
    expect(cpu.pending).toBe(0);
    cpu.invariants();
  });
});
