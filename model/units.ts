// Units of the simulation. Time is integer microseconds (DESIGN.md section 2.3), sizes are
// integer bytes. Branded types keep an Instant (a point) apart from a Duration (a span).

export type Instant = number & { readonly __unit: 'instant-us' };
export type Duration = number & { readonly __unit: 'duration-us' };

export const MICROS_PER_MILLI = 1_000;
export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;
export const MICROS_PER_DAY = 24 * MICROS_PER_HOUR;

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

export const INSTANT_ZERO = 0 as Instant;

export function instant(micros: number): Instant {
  if (!Number.isSafeInteger(micros) || micros < 0) throw new RangeError(`instant must be a non-negative integer of microseconds, got ${micros}`);
  return micros as Instant;
}

export function duration(micros: number): Duration {
  if (!Number.isSafeInteger(micros) || micros < 0) throw new RangeError(`duration must be a non-negative integer of microseconds, got ${micros}`);
  return micros as Duration;
}

export const micros = (n: number): Duration => duration(Math.round(n));
export const millis = (n: number): Duration => duration(Math.round(n * MICROS_PER_MILLI));
export const seconds = (n: number): Duration => duration(Math.round(n * MICROS_PER_SECOND));
export const minutes = (n: number): Duration => duration(Math.round(n * MICROS_PER_MINUTE));
export const hours = (n: number): Duration => duration(Math.round(n * MICROS_PER_HOUR));
export const days = (n: number): Duration => duration(Math.round(n * MICROS_PER_DAY));

export function addDuration(at: Instant, span: Duration): Instant {
  return (at + span) as Instant;
}

export function elapsed(from: Instant, to: Instant): Duration {
  if (to < from) throw new RangeError(`elapsed: ${to} is before ${from}`);
  return (to - from) as Duration;
}

export const toSeconds = (span: Duration | Instant): number => span / MICROS_PER_SECOND;

/** Time to move `sizeBytes` over a link of `bitsPerSecond`, rounded up to a whole microsecond. */
export function transferDuration(sizeBytes: number, bitsPerSecond: number): Duration {
  if (bitsPerSecond <= 0) throw new RangeError('transferDuration: bandwidth must be positive');
  return Math.ceil((sizeBytes * 8 * MICROS_PER_SECOND) / bitsPerSecond) as Duration;
}

/** Human form of a duration for messages and reports: 1h2m3s, 250ms, 17us. */
export function formatDuration(span: Duration | number): string {
  if (span < MICROS_PER_MILLI) return `${span}us`;
  if (span < MICROS_PER_SECOND) return `${Number((span / MICROS_PER_MILLI).toFixed(3))}ms`;
  let rest = Math.round(span / MICROS_PER_SECOND);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.length > 0 ? parts.join('') : '0s';
}
