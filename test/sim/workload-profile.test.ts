import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_BURSTS,
  DEFAULT_WORKLOAD_PROFILE,
  InvalidWorkloadProfile,
  validateWorkloadProfile,
  workloadProfile,
  type WorkloadProfile,
} from '../../sim/workload/profile.js';
import { expectedBytesInWindow, hourlyWeights } from '../../sim/workload/diurnal.js';
import { burstRateScale } from '../../sim/workload/burst-process.js';
import { meanOneGamma } from '../../sim/workload/gamma-noise.js';
import { rootStream } from '../../sim/random.js';
import { GiB, days, hours, minutes, type Instant } from '../../model/index.js';

const at = (micros: number) => micros as Instant;

describe('workload profile validation', () => {
  it('accepts the defaults and the default bursts', () => {
    expect(validateWorkloadProfile(DEFAULT_WORKLOAD_PROFILE)).toEqual([]);
    expect(() => workloadProfile({ bursts: DEFAULT_BURSTS })).not.toThrow();
  });

  it('names every bad field in its message', () => {
    const bad = {
      ...DEFAULT_WORKLOAD_PROFILE,
      churnBytesPerDay: -1,
      diurnal: [1, 2, 3],
      hotSetFraction: 0,
      hotSetWriteShare: 1.5,
      writeSizeMix: [{ sizeBytes: 4096, weight: 1 }, { sizeBytes: 1.5, weight: -2 }],
      bursts: { meanInterval: 0, meanLength: minutes(1), multiplier: 0.5 },
      dependentWriteShare: 2,
    } as unknown as WorkloadProfile;
    const problems = validateWorkloadProfile(bad);
    for (const field of [
      'churnBytesPerDay',
      'diurnal must have 24',
      'hotSetFraction',
      'hotSetWriteShare',
      'writeSizeMix[1].sizeBytes',
      'writeSizeMix[1].weight',
      'bursts.meanInterval',
      'bursts.multiplier',
      'dependentWriteShare',
    ]) {
      expect(problems.some((problem) => problem.startsWith(field)), field).toBe(true);
    }
    expect(problems.some((problem) => problem.startsWith('bursts.meanLength'))).toBe(false);
    expect(() => workloadProfile(bad)).toThrow(InvalidWorkloadProfile);
    expect(() => workloadProfile({ diurnal: new Array(24).fill(0) })).toThrow(/diurnal weights must not all be zero/);
    expect(() => workloadProfile({ diurnal: [...new Array(23).fill(1), Number.NaN] })).toThrow(/diurnal\[23\]/);
    expect(() => workloadProfile({ writeSizeMix: [] })).toThrow(/writeSizeMix must list/);
  });
});

describe('expected bytes in a window', () => {
  it('gives the churn over a whole day, whatever the shape and where the day starts', () => {
    for (const diurnal of ['flat', 'office-hours', Array.from({ length: 24 }, (_, h) => h % 5)] as const) {
      const profile = workloadProfile({ diurnal, churnBytesPerDay: 24 * GiB });
      expect(expectedBytesInWindow(profile, at(0), at(days(1)))).toBeCloseTo(24 * GiB, 0);
      expect(expectedBytesInWindow(profile, at(hours(7.5)), at(hours(31.5)))).toBeCloseTo(24 * GiB, 0);
    }
  });

  it('follows the hourly weights', () => {
    const flat = workloadProfile({ diurnal: 'flat', churnBytesPerDay: 24 * GiB });
    expect(expectedBytesInWindow(flat, at(hours(3)), at(hours(4)))).toBeCloseTo(GiB, 0);
    const office = workloadProfile({ diurnal: 'office-hours', churnBytesPerDay: 24 * GiB });
    const weights = hourlyWeights('office-hours');
    expect(expectedBytesInWindow(office, at(hours(10)), at(hours(10.5)))).toBeCloseTo((weights[10] * GiB) / 2, 0);
    expect(weights[10] / weights[2]).toBeCloseTo(10, 10);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(24, 10);
  });

  it('is additive over adjacent windows', () => {
    const profile = workloadProfile({ diurnal: 'office-hours' });
    fc.assert(
      fc.property(fc.nat({ max: days(3) }), fc.nat({ max: days(2) }), fc.nat({ max: days(2) }), (start, first, second) => {
        const whole = expectedBytesInWindow(profile, at(start), at(start + first + second));
        const parts = expectedBytesInWindow(profile, at(start), at(start + first)) + expectedBytesInWindow(profile, at(start + first), at(start + first + second));
        expect(Math.abs(whole - parts)).toBeLessThan(1e-3 * Math.max(1, whole));
      }),
    );
  });
});

describe('bursts and noise keep the mean', () => {
  it('scales the base rate so that bursts preserve the mean', () => {
    expect(burstRateScale(undefined)).toBe(1);
    // Bursts 1/4 of the time at 4x: mean = s * (3/4 + 4/4) = 1 => s = 4/7.
    expect(burstRateScale({ meanInterval: hours(3), meanLength: hours(1), multiplier: 4 })).toBeCloseTo(4 / 7, 12);
  });

  it('draws gamma factors of mean 1 for small and large shapes', () => {
    const random = rootStream(5).fork('gamma');
    for (const shape of [0.2, 1, 30, 5000]) {
      let sum = 0;
      const draws = 20_000;
      for (let i = 0; i < draws; i++) sum += meanOneGamma(random, shape);
      expect(Math.abs(sum / draws - 1), `shape ${shape}`).toBeLessThan(0.05);
    }
  });
});
