// Daily throttle schedules: the calendar arithmetic, and the bandwidth a link actually uses.
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../sim/kernel.js';
import { rootStream } from '../../sim/random.js';
import { Network, nextBoundaryAfter, windowAt, type ThrottleWindow } from '../../sim/network/index.js';
import { days, hours, instant, millis, minutes, seconds } from '../../model/index.js';

const MBPS = 1_000_000;
const WORKDAY: ThrottleWindow = { fromHour: 8, toHour: 18, bandwidthBitsPerSecond: 10 * MBPS };
const NIGHT: ThrottleWindow = { fromHour: 22, toHour: 2, bandwidthBitsPerSecond: 50 * MBPS };

describe('throttle calendar', () => {
  it('finds the window in force, wrapping midnight, first window winning', () => {
    const windows = [WORKDAY, NIGHT];
    expect(windowAt(windows, hours(7) + minutes(59))).toBeNull();
    expect(windowAt(windows, hours(8))).toBe(WORKDAY);
    expect(windowAt(windows, hours(18) - 1)).toBe(WORKDAY);
    expect(windowAt(windows, hours(18))).toBeNull();
    expect(windowAt(windows, hours(23))).toBe(NIGHT);
    expect(windowAt(windows, days(3) + hours(1))).toBe(NIGHT);
    expect(windowAt(windows, days(3) + hours(2))).toBeNull();
    const overlapping = { fromHour: 12, toHour: 13, bandwidthBitsPerSecond: 1 };
    expect(windowAt([WORKDAY, overlapping], hours(12))).toBe(WORKDAY);
    expect(windowAt([{ fromHour: 0, toHour: 24, bandwidthBitsPerSecond: 1 }], hours(23))).not.toBeNull();
  });

  it('finds the next boundary, on the next day when today has none left', () => {
    const windows = [WORKDAY, NIGHT];
    expect(nextBoundaryAfter(windows, 0)).toBe(hours(2));
    expect(nextBoundaryAfter(windows, hours(2))).toBe(hours(8));
    expect(nextBoundaryAfter(windows, hours(12))).toBe(hours(18));
    expect(nextBoundaryAfter(windows, hours(22))).toBe(days(1) + hours(2));
    expect(nextBoundaryAfter([{ fromHour: 7.5, toHour: 24, bandwidthBitsPerSecond: 1 }], hours(8))).toBe(days(1));
  });
});

function linkedSites() {
  const kernel = new Kernel();
  const network = new Network(kernel, rootStream(5).fork('network'));
  network.addLink({ id: 'wan', siteA: 'A', siteB: 'B', bandwidthBitsPerSecond: 100 * MBPS, latency: millis(0), jitter: millis(0) });
  network.addNode('a1', 'A');
  network.addNode('b1', 'B');
  return { kernel, network };
}

describe('throttle schedule on a link', () => {
  it('changes bandwidth at the hour boundaries, every day', () => {
    const { kernel, network } = linkedSites();
    network.throttleSchedule('wan', [WORKDAY, NIGHT]);
    const samples: Array<[number, number]> = [];
    const checkpoints = [0, hours(2), hours(8), hours(18), hours(22), days(1) + hours(1), days(1) + hours(2), days(1) + hours(8), days(1) + hours(18)];
    for (const at of checkpoints) {
      for (const offset of at === 0 ? [1] : [-1, 1]) {
        kernel.scheduleAt(instant(at + offset), 'test:sample', () => samples.push([at + offset, network.bandwidthOf('wan')]));
      }
    }
    expect(kernel.run({ until: instant(days(2)) })).toBe('time-limit');
    const at = (instantMicros: number): number => samples.find(([t]) => t === instantMicros)![1];
    expect(at(1)).toBe(50 * MBPS); // midnight is inside the night window
    expect(at(hours(2) - 1)).toBe(50 * MBPS);
    expect(at(hours(2) + 1)).toBe(100 * MBPS);
    expect(at(hours(8) - 1)).toBe(100 * MBPS);
    expect(at(hours(8) + 1)).toBe(10 * MBPS);
    expect(at(hours(18) - 1)).toBe(10 * MBPS);
    expect(at(hours(18) + 1)).toBe(100 * MBPS);
    expect(at(hours(22) + 1)).toBe(50 * MBPS);
    expect(at(days(1) + hours(1) + 1)).toBe(50 * MBPS);
    expect(at(days(1) + hours(2) + 1)).toBe(100 * MBPS);
    expect(at(days(1) + hours(8) + 1)).toBe(10 * MBPS);
    expect(at(days(1) + hours(18) + 1)).toBe(100 * MBPS);
  });

  it('charges a frame at the bandwidth in force when it starts transmitting', () => {
    const { kernel, network } = linkedSites();
    network.throttleSchedule('wan', [WORKDAY]);
    const sender = network.endpoint('a1', 'svc');
    const receiver = network.endpoint('b1', 'svc');
    const arrivals: number[] = [];
    receiver.onReceive(() => arrivals.push(kernel.now()));
    const tenMegabits = 1_250_000; // bytes: 0.1 s at 100 Mbps, 1 s at 10 Mbps
    kernel.scheduleAt(instant(hours(8) - seconds(1)), 'test:send', () => sender.send(receiver.address, { sizeBytes: tenMegabits, body: 1 }));
    kernel.scheduleAt(instant(hours(8) + seconds(1)), 'test:send', () => sender.send(receiver.address, { sizeBytes: tenMegabits, body: 2 }));
    kernel.run({ until: instant(hours(9)) });
    expect(arrivals).toEqual([hours(8) - seconds(1) + millis(100), hours(8) + seconds(2)]);
  });

  it('keeps a new base bandwidth for outside the windows, and can be removed', () => {
    const { kernel, network } = linkedSites();
    network.throttleSchedule('wan', [WORKDAY]);
    kernel.run({ until: instant(hours(9)) });
    network.setBandwidth('wan', 200 * MBPS);
    expect(network.bandwidthOf('wan')).toBe(10 * MBPS);
    kernel.run({ until: instant(hours(19)) });
    expect(network.bandwidthOf('wan')).toBe(200 * MBPS);
    kernel.run({ until: instant(days(1) + hours(9)) });
    expect(network.bandwidthOf('wan')).toBe(10 * MBPS);
    network.throttleSchedule('wan', []);
    expect(network.bandwidthOf('wan')).toBe(200 * MBPS);
    expect(kernel.run()).toBe('idle');
    network.invariants();
  });

  it('rejects malformed windows', () => {
    const { network } = linkedSites();
    expect(() => network.throttleSchedule('wan', [{ fromHour: 24, toHour: 2, bandwidthBitsPerSecond: 1 }])).toThrow(/fromHour/);
    expect(() => network.throttleSchedule('wan', [{ fromHour: 3, toHour: 3, bandwidthBitsPerSecond: 1 }])).toThrow(/empty/);
    expect(() => network.throttleSchedule('wan', [{ fromHour: 1, toHour: 3, bandwidthBitsPerSecond: 0 }])).toThrow(/positive/);
  });
});
