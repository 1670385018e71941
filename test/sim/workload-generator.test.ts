import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Kernel } from '../../sim/kernel.js';
import { rootStream } from '../../sim/random.js';
import { WorkloadGenerator, type WorkloadVm, type WriteSink } from '../../sim/workload/generator.js';
import { workloadProfile, type WorkloadProfile } from '../../sim/workload/profile.js';
import { GiB, KiB, MICROS_PER_HOUR, MiB, days, fold32, hours, millis, minutes, seconds, type Instant } from '../../model/index.js';

interface RecordedWrite {
  readonly time: number;
  readonly diskIndex: number;
  readonly startBlock: number;
  readonly blockCount: number;
  /** The write whose acknowledgement issued this one, or -1 when issued by a tick. */
  readonly issuedInAckOf: number;
}

/** A sink that records every write and acknowledges it `ackDelay` later (or never, or fails it). */
class RecordingSink implements WriteSink {
  readonly writes: RecordedWrite[] = [];
  private acking = -1;

  constructor(
    private readonly kernel: Kernel,
    private readonly mode: { ackDelay?: number; fail?: boolean; record?: boolean } = {},
  ) {}

  bytesPerHour = new Float64Array(24);
  count = 0;
  hash = 0;

  write(diskIndex: number, startBlock: number, blockCount: number, done: (ok: boolean) => void): void {
    const index = this.count++;
    this.hash = fold32(fold32(fold32(fold32(this.hash, this.kernel.now() % 0xffffffff), diskIndex), startBlock), blockCount);
    this.bytesPerHour[Math.floor((this.kernel.now() % days(1)) / MICROS_PER_HOUR)] += blockCount * 4 * KiB;
    if (this.mode.record !== false) {
      this.writes.push({ time: this.kernel.now(), diskIndex, startBlock, blockCount, issuedInAckOf: this.acking });
    }
    if (this.mode.ackDelay === undefined) return;
    this.kernel.schedule(this.mode.ackDelay, 'ack', () => {
      this.acking = index;
      done(!this.mode.fail);
      this.acking = -1;
    });
  }
}

const oneDisk = (blockCount = 25_000_000): WorkloadVm => ({ vmId: 'vm1', disks: [{ diskIndex: 0, blockCount, blockSizeBytes: 4 * KiB }] });
const twoDisks: WorkloadVm = {
  vmId: 'db1',
  disks: [
    { diskIndex: 0, blockCount: 1_000_000, blockSizeBytes: 4 * KiB },
    { diskIndex: 1, blockCount: 5_000_000, blockSizeBytes: 4 * KiB },
  ],
};

function runDay(profile: WorkloadProfile, options: { seed?: number; vm?: WorkloadVm; ackDelay?: number; record?: boolean; span?: number } = {}) {
  const kernel = new Kernel();
  const sink = new RecordingSink(kernel, { ackDelay: options.ackDelay, record: options.record });
  const generator = new WorkloadGenerator(kernel, rootStream(options.seed ?? 1).fork('workload/vm1'), options.vm ?? oneDisk(), profile, minutes(1), sink);
  generator.start();
  kernel.run({ until: ((options.span ?? days(1)) - 1) as Instant });
  generator.invariants();
  return { kernel, sink, generator, statistics: generator.statistics() };
}

describe('workload generator: volume', () => {
  it('delivers the flat profile churn within 2% over a day, in exactly 1440 tick events', () => {
    const { kernel, statistics } = runDay(workloadProfile({ diurnal: 'flat' }), { record: false });
    expect(kernel.eventCount).toBe(1440);
    expect(statistics.ticks).toBe(1440);
    expect(Math.abs(statistics.bytesIssued / (20 * GiB) - 1)).toBeLessThan(0.02);
  });

  it('delivers the office-hours churn within 2%, with far more bytes from 9 to 17 than from 0 to 6', () => {
    const { sink, statistics } = runDay(workloadProfile({ diurnal: 'office-hours' }), { record: false });
    expect(Math.abs(statistics.bytesIssued / (20 * GiB) - 1)).toBeLessThan(0.02);
    const sum = (from: number, to: number) => sink.bytesPerHour.slice(from, to).reduce((a, b) => a + b, 0);
    const officeRate = sum(9, 17) / 8;
    const nightRate = sum(0, 6) / 6;
    expect(officeRate).toBeGreaterThan(5 * nightRate);
    expect(nightRate).toBeGreaterThan(0);
  });

  it('normalises explicit hourly weights: an hour of weight 0 writes nothing, the daily churn is kept', () => {
    const weights = Array.from({ length: 24 }, (_, hour) => (hour === 3 ? 0 : hour < 12 ? 1 : 3));
    const { sink, statistics } = runDay(workloadProfile({ diurnal: weights, churnBytesPerDay: 4 * GiB }), { record: false });
    expect(sink.bytesPerHour[3]).toBe(0);
    expect(Math.abs(statistics.bytesIssued / (4 * GiB) - 1)).toBeLessThan(0.03);
    expect(sink.bytesPerHour[15] / sink.bytesPerHour[5]).toBeGreaterThan(2);
  });

  it('keeps the mean churn with bursts, but makes hourly volumes far more uneven', () => {
    const base = { diurnal: 'flat' as const, churnBytesPerDay: 8 * GiB, writeSizeMix: [{ sizeBytes: 1 * MiB, weight: 1 }] };
    const span = days(6);
    const quiet = runDay(workloadProfile(base), { record: false, span, seed: 7 });
    const bursty = runDay(workloadProfile({ ...base, bursts: { meanInterval: hours(1), meanLength: minutes(20), multiplier: 8 } }), { record: false, span, seed: 7 });
    expect(Math.abs(bursty.statistics.bytesIssued / (6 * 8 * GiB) - 1)).toBeLessThan(0.1);
    const spread = (perHour: Float64Array) => Math.max(...perHour) / Math.min(...perHour);
    expect(spread(bursty.sink.bytesPerHour)).toBeGreaterThan(spread(quiet.sink.bytesPerHour));
    expect(Math.abs(quiet.statistics.bytesIssued / (6 * 8 * GiB) - 1)).toBeLessThan(0.02);
  });
});

describe('workload generator: placement and sizes', () => {
  it('lands the hot-set share of writes in the hot set, the rest outside it', () => {
    const profile = workloadProfile({ diurnal: 'flat', churnBytesPerDay: 1 * GiB, writeSizeMix: [{ sizeBytes: 4 * KiB, weight: 1 }], hotSetFraction: 0.1, hotSetWriteShare: 0.8 });
    const { sink, generator } = runDay(profile, { vm: oneDisk(1_000_000) });
    const hot = generator.hotSetOf(0);
    expect(hot.blockCount).toBe(100_000);
    const inHot = sink.writes.filter((w) => w.startBlock >= hot.startBlock && w.startBlock < hot.startBlock + hot.blockCount).length;
    expect(sink.writes.length).toBeGreaterThan(200_000);
    expect(Math.abs(inHot / sink.writes.length - 0.8)).toBeLessThan(0.01);
  });

  it('draws sizes by the mix, rounded up to whole blocks', () => {
    const profile = workloadProfile({ diurnal: 'flat', churnBytesPerDay: 1 * GiB, writeSizeMix: [{ sizeBytes: 6 * KiB, weight: 3 }, { sizeBytes: 64 * KiB, weight: 1 }] });
    const { sink } = runDay(profile);
    const twoBlock = sink.writes.filter((w) => w.blockCount === 2).length;
    const sixteenBlock = sink.writes.filter((w) => w.blockCount === 16).length;
    expect(twoBlock + sixteenBlock).toBe(sink.writes.length);
    expect(Math.abs(twoBlock / sink.writes.length - 0.75)).toBeLessThan(0.02);
  });

  it('never writes past the used end of a disk, whatever the geometry and sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.record({ sizeBytes: fc.integer({ min: 1, max: 512 * KiB }), weight: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (blockCount, usedPart, writeSizeMix, hotSetFraction) => {
          const usedBlocks = Math.max(1, Math.min(blockCount, usedPart));
          const vm: WorkloadVm = { vmId: 'tiny', disks: [{ diskIndex: 3, blockCount, blockSizeBytes: 4 * KiB, usedBlocks }] };
          const profile = workloadProfile({ diurnal: 'flat', churnBytesPerDay: 200 * MiB, writeSizeMix, hotSetFraction });
          const kernel = new Kernel();
          const sink = new RecordingSink(kernel, { ackDelay: 10 });
          const generator = new WorkloadGenerator(kernel, rootStream(blockCount).fork('w'), vm, profile, minutes(10), sink);
          generator.start();
          kernel.run({ until: hours(2) as number as Instant });
          generator.invariants();
          expect(sink.writes.length).toBeGreaterThan(0);
          const outside = sink.writes.filter((w) => w.diskIndex !== 3 || w.blockCount <= 0 || w.startBlock < 0 || w.startBlock + w.blockCount > usedBlocks);
          expect(outside).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('workload generator: dependent writes', () => {
  const profile = workloadProfile({ diurnal: 'flat', churnBytesPerDay: 1 * GiB, dependentWriteShare: 0.3, writeSizeMix: [{ sizeBytes: 8 * KiB, weight: 1 }] });

  it('issues the second write of a pair only in the acknowledgement of the first, on the other disk', () => {
    const { sink, statistics } = runDay(profile, { vm: twoDisks, ackDelay: millis(3), span: hours(6) });
    const dependents = sink.writes.filter((w) => w.issuedInAckOf >= 0);
    expect(dependents.length).toBe(statistics.dependentWritesIssued);
    expect(statistics.dependentPairsStarted).toBeGreaterThan(1000);
    // Each pair is one tick draw out of 1 + share: the pair share of all draws is 0.3.
    expect(Math.abs(statistics.dependentPairsStarted / (statistics.writesIssued - statistics.dependentWritesIssued) - 0.3)).toBeLessThan(0.02);
    for (const second of dependents) {
      const first = sink.writes[second.issuedInAckOf];
      expect(first.issuedInAckOf).toBe(-1);
      expect(second.diskIndex).not.toBe(first.diskIndex);
      expect(second.time).toBe(first.time + millis(3));
    }
    expect(statistics.dependentPairsStarted - statistics.dependentWritesIssued).toBeLessThanOrEqual(1);
  });

  it('never issues a second write while the first is unacknowledged, and abandons it when the first fails', () => {
    const silent = runDay(profile, { vm: twoDisks, span: hours(2) });
    expect(silent.statistics.dependentPairsStarted).toBeGreaterThan(0);
    expect(silent.statistics.dependentWritesIssued).toBe(0);
    expect(silent.sink.writes.every((w) => w.issuedInAckOf === -1)).toBe(true);

    const kernel = new Kernel();
    const sink = new RecordingSink(kernel, { ackDelay: 5, fail: true });
    const generator = new WorkloadGenerator(kernel, rootStream(2).fork('w'), twoDisks, profile, minutes(1), sink);
    generator.start();
    kernel.run({ until: (hours(1) - 1) as Instant });
    const statistics = generator.statistics();
    expect(statistics.writesFailed).toBe(statistics.writesIssued);
    expect(statistics.dependentWritesIssued).toBe(0);
    expect(statistics.dependentWritesAbandoned).toBe(statistics.dependentPairsStarted);
  });

  it('abandons the second write of a pair whose first completes while the VM is off', () => {
    const kernel = new Kernel();
    const sink = new RecordingSink(kernel, { ackDelay: seconds(1) });
    const generator = new WorkloadGenerator(kernel, rootStream(6).fork('w'), twoDisks, profile, minutes(1), sink);
    generator.start();
    kernel.run({ until: minutes(30) as number as Instant });
    generator.pause();
    kernel.run({ until: minutes(31) as number as Instant });
    const statistics = generator.statistics();
    expect(statistics.dependentWritesAbandoned).toBeGreaterThan(0);
    expect(statistics.dependentWritesIssued + statistics.dependentWritesAbandoned).toBe(statistics.dependentPairsStarted);
    expect(sink.writes.filter((w) => w.time > minutes(30))).toEqual([]);
    generator.invariants();
  });
});

describe('workload generator: lifecycle and determinism', () => {
  const profile = workloadProfile({ diurnal: 'flat', churnBytesPerDay: 1 * GiB });

  it('writes nothing while paused, and starts again on resume', () => {
    const kernel = new Kernel();
    const sink = new RecordingSink(kernel, { ackDelay: 100 });
    const generator = new WorkloadGenerator(kernel, rootStream(3).fork('w'), oneDisk(), profile, minutes(1), sink);
    generator.start();
    kernel.run({ until: hours(1) as number as Instant });
    generator.pause();
    expect(generator.currentState).toBe('paused');
    const before = sink.writes.length;
    const ticksBefore = generator.statistics().ticks;
    kernel.run({ until: hours(3) as number as Instant });
    expect(sink.writes.length).toBe(before);
    expect(generator.statistics().ticks).toBe(ticksBefore);
    generator.resume();
    kernel.run({ until: hours(4) as number as Instant });
    expect(sink.writes.length).toBeGreaterThan(before);
    expect(sink.writes.filter((w) => w.time > hours(1) && w.time < hours(3)).length).toBe(0);
    generator.stop();
    const stopped = sink.writes.length;
    kernel.run({ until: hours(6) as number as Instant });
    expect(sink.writes.length).toBe(stopped);
    const statistics = generator.statistics();
    expect(statistics.writesAcknowledged).toBe(statistics.writesIssued);
    expect(() => generator.resume()).toThrow(/resume while stopped/);
  });

  it('starts at the requested instant', () => {
    const kernel = new Kernel();
    const sink = new RecordingSink(kernel);
    const generator = new WorkloadGenerator(kernel, rootStream(4).fork('w'), oneDisk(), profile, minutes(1), sink);
    generator.start(hours(5) as number as Instant);
    kernel.run({ until: hours(6) as number as Instant });
    expect(sink.writes.length).toBeGreaterThan(0);
    expect(Math.min(...sink.writes.map((w) => w.time))).toBe(hours(5));
  });

  it('replays the same write sequence for the same seed and a different one for another seed', () => {
    const bursty = workloadProfile({ churnBytesPerDay: 2 * GiB, bursts: { meanInterval: hours(1), meanLength: minutes(10), multiplier: 3 }, dependentWriteShare: 0.1 });
    const run = (seed: number) => runDay(bursty, { seed, vm: twoDisks, ackDelay: 250, record: false, span: hours(8) });
    const a = run(11);
    const b = run(11);
    const c = run(12);
    expect(a.sink.count).toBeGreaterThan(1000);
    expect(b.sink.hash).toBe(a.sink.hash);
    expect(b.sink.count).toBe(a.sink.count);
    expect(b.kernel.traceHash).toBe(a.kernel.traceHash);
    expect(c.sink.hash).not.toBe(a.sink.hash);
  });

  it('refuses a VM without disks or with a disk whose used blocks exceed its size', () => {
    const kernel = new Kernel();
    const sink = new RecordingSink(kernel);
    expect(() => new WorkloadGenerator(kernel, rootStream(1), { vmId: 'x', disks: [] }, profile, minutes(1), sink)).toThrow(/at least one disk/);
    const bad: WorkloadVm = { vmId: 'x', disks: [{ diskIndex: 0, blockCount: 10, blockSizeBytes: 4096, usedBlocks: 11 }] };
    expect(() => new WorkloadGenerator(kernel, rootStream(1), bad, profile, minutes(1), sink)).toThrow(/disks\[0\]\.usedBlocks/);
    expect(() => new WorkloadGenerator(kernel, rootStream(1), oneDisk(), profile, 0 as never, sink)).toThrow(/tick/);
    expect(() => new WorkloadGenerator(kernel, rootStream(1), oneDisk(), profile, minutes(1), sink, minutes(1))).toThrow(/phase/);
    expect(() => new WorkloadGenerator(kernel, rootStream(1), oneDisk(), profile, minutes(1), sink, -1 as never)).toThrow(/phase/);
  });
});

describe('workload generator: phase', () => {
  it('ticks at its phase into every tick, and writes what the same generator without a phase writes, later by the phase', () => {
    const profile = workloadProfile({ diurnal: 'flat' });
    const ticksOf = (phase: number) => {
      const kernel = new Kernel({ captureTrace: true });
      const sink = new RecordingSink(kernel, { ackDelay: 0, record: false });
      const generator = new WorkloadGenerator(kernel, rootStream(9).fork('w'), oneDisk(), profile, minutes(1), sink, phase as never);
      generator.start();
      kernel.run({ until: (minutes(10) + phase - 1) as Instant });
      return { times: kernel.capturedTrace.filter((e) => e.label.startsWith('workload:')).map((e) => e.time), statistics: generator.statistics() };
    };
    const aligned = ticksOf(0);
    const phased = ticksOf(17_000_000);
    expect(aligned.times.slice(0, 3)).toEqual([0, minutes(1), minutes(2)]);
    expect(phased.times.slice(0, 3)).toEqual([17_000_000, minutes(1) + 17_000_000, minutes(2) + 17_000_000]);
    // A flat profile draws the same bytes per tick wherever the tick starts.
    expect(phased.statistics.ticks).toBe(aligned.statistics.ticks);
    expect(phased.statistics.bytesIssued).toBe(aligned.statistics.bytesIssued);
  });
});
