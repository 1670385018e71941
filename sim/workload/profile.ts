// What a guest VM writes, as data (DESIGN.md section 6: churn rate, diurnal pattern, hot set,
// bursts). A profile is plain JSON-like data so a scenario file or the planner can state it; the
// generator turns it into block writes.
//
// Fault model: none; a profile is a description. Fractions are written as numbers (YAML-friendly)
// and the generator turns them into exact `Ratio`s in parts per million, so 0.8 means exactly
// 800000/1000000.
import { KiB, MiB, GiB, minutes, hours, type Duration } from '../../model/index.js';

export type DiurnalPattern = 'flat' | 'office-hours' | readonly number[];

export interface BurstProfile {
  /** Mean quiet time between the end of one burst and the start of the next (exponential). */
  readonly meanInterval: Duration;
  /** Mean length of a burst (exponential). */
  readonly meanLength: Duration;
  /** How much faster the VM writes during a burst than between bursts (>= 1). */
  readonly multiplier: number;
}

export interface WriteSize {
  readonly sizeBytes: number;
  readonly weight: number;
}

export interface WorkloadProfile {
  /** Mean bytes written per VM per simulated day, diurnal shape and bursts included. */
  readonly churnBytesPerDay: number;
  /** 'flat', 'office-hours', or 24 relative weights, one per hour of the simulated day. */
  readonly diurnal: DiurnalPattern;
  readonly bursts?: BurstProfile;
  /** Fraction of each disk's used blocks that form its hot set, in (0, 1]. */
  readonly hotSetFraction: number;
  /** Fraction of writes whose first block lands in the hot set, in [0, 1]. */
  readonly hotSetWriteShare: number;
  readonly writeSizeMix: readonly WriteSize[];
  /**
   * Fraction of writes that start an ordered pair across two disks of the VM (a database log
   * write, then a data write issued only once the log write is acknowledged), in [0, 1].
   */
  readonly dependentWriteShare?: number;
}

/** Office hours: quiet nights, a ramp around 8 and 18, the bulk of the churn from 9 to 17. */
export const OFFICE_HOURS_WEIGHTS: readonly number[] = Object.freeze([
  0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.6, 1.2, 2, 2, 2, 1.8, 2, 2, 2, 2, 1.6, 1, 0.6, 0.4, 0.3, 0.2, 0.2,
]);

/** A mid-sized server: 20 GiB a day, office hours, 10% of blocks take 80% of the writes. */
export const DEFAULT_WORKLOAD_PROFILE: WorkloadProfile = Object.freeze({
  churnBytesPerDay: 20 * GiB,
  diurnal: 'office-hours',
  hotSetFraction: 0.1,
  hotSetWriteShare: 0.8,
  writeSizeMix: Object.freeze([
    Object.freeze({ sizeBytes: 4 * KiB, weight: 0.5 }),
    Object.freeze({ sizeBytes: 8 * KiB, weight: 0.2 }),
    Object.freeze({ sizeBytes: 64 * KiB, weight: 0.2 }),
    Object.freeze({ sizeBytes: 1 * MiB, weight: 0.1 }),
  ]),
  dependentWriteShare: 0,
});

/** Bursts used when a scenario asks for bursts without saying how: 5-minute storms, 4x, every ~2h. */
export const DEFAULT_BURSTS: BurstProfile = Object.freeze({ meanInterval: hours(2), meanLength: minutes(5), multiplier: 4 });

export class InvalidWorkloadProfile extends Error {
  override readonly name = 'InvalidWorkloadProfile';
  constructor(readonly problems: readonly string[]) {
    super(`invalid workload profile: ${problems.join('; ')}`);
  }
}

/** The default profile with `overrides` applied, validated; throws InvalidWorkloadProfile. */
export function workloadProfile(overrides: Partial<WorkloadProfile> = {}): WorkloadProfile {
  const profile: WorkloadProfile = { ...DEFAULT_WORKLOAD_PROFILE, ...overrides };
  assertValidWorkloadProfile(profile);
  return profile;
}

export function assertValidWorkloadProfile(profile: WorkloadProfile): void {
  const problems = validateWorkloadProfile(profile);
  if (problems.length > 0) throw new InvalidWorkloadProfile(problems);
}

/** Every problem of `profile`, each naming its field; empty when the profile is valid. */
export function validateWorkloadProfile(profile: WorkloadProfile): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, field: string, want: string, got: unknown): void => {
    if (!ok) problems.push(`${field} must be ${want}, got ${JSON.stringify(got)}`);
  };
  check(isFiniteNumber(profile.churnBytesPerDay) && profile.churnBytesPerDay >= 0, 'churnBytesPerDay', 'a non-negative number of bytes', profile.churnBytesPerDay);
  problems.push(...validateDiurnal(profile.diurnal));
  if (profile.bursts !== undefined) {
    const { meanInterval, meanLength, multiplier } = profile.bursts;
    check(isPositiveInteger(meanInterval), 'bursts.meanInterval', 'a positive integer of microseconds', meanInterval);
    check(isPositiveInteger(meanLength), 'bursts.meanLength', 'a positive integer of microseconds', meanLength);
    check(isFiniteNumber(multiplier) && multiplier >= 1, 'bursts.multiplier', 'a number >= 1', multiplier);
  }
  check(isFiniteNumber(profile.hotSetFraction) && profile.hotSetFraction > 0 && profile.hotSetFraction <= 1, 'hotSetFraction', 'a fraction in (0, 1]', profile.hotSetFraction);
  check(isFraction(profile.hotSetWriteShare), 'hotSetWriteShare', 'a fraction in [0, 1]', profile.hotSetWriteShare);
  problems.push(...validateSizeMix(profile.writeSizeMix));
  if (profile.dependentWriteShare !== undefined) {
    check(isFraction(profile.dependentWriteShare), 'dependentWriteShare', 'a fraction in [0, 1]', profile.dependentWriteShare);
  }
  return problems;
}

function validateDiurnal(diurnal: DiurnalPattern): string[] {
  if (diurnal === 'flat' || diurnal === 'office-hours') return [];
  if (!Array.isArray(diurnal)) return [`diurnal must be 'flat', 'office-hours' or 24 hourly weights, got ${JSON.stringify(diurnal)}`];
  if (diurnal.length !== 24) return [`diurnal must have 24 hourly weights, got ${diurnal.length}`];
  const problems: string[] = [];
  diurnal.forEach((weight, hour) => {
    if (!isFiniteNumber(weight) || weight < 0) problems.push(`diurnal[${hour}] must be a non-negative number, got ${JSON.stringify(weight)}`);
  });
  if (problems.length === 0 && diurnal.every((weight) => weight === 0)) problems.push('diurnal weights must not all be zero');
  return problems;
}

function validateSizeMix(mix: readonly WriteSize[]): string[] {
  if (!Array.isArray(mix) || mix.length === 0) return ['writeSizeMix must list at least one { sizeBytes, weight }'];
  const problems: string[] = [];
  mix.forEach((entry, index) => {
    if (!isPositiveInteger(entry.sizeBytes)) problems.push(`writeSizeMix[${index}].sizeBytes must be a positive integer of bytes, got ${JSON.stringify(entry.sizeBytes)}`);
    if (!isFiniteNumber(entry.weight) || entry.weight < 0) problems.push(`writeSizeMix[${index}].weight must be a non-negative number, got ${JSON.stringify(entry.weight)}`);
  });
  if (problems.length === 0 && mix.every((entry) => entry.weight === 0)) problems.push('writeSizeMix weights must not all be zero');
  return problems;
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPositiveInteger = (value: unknown): boolean => isFiniteNumber(value) && Number.isSafeInteger(value) && value > 0;
const isFraction = (value: unknown): boolean => isFiniteNumber(value) && value >= 0 && value <= 1;
