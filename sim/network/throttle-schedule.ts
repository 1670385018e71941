// A daily bandwidth throttling schedule (Hyper-V Replica and Scout both let an administrator cap
// replication bandwidth by time of day). Simulated instant 0 is midnight of day 0, and the
// schedule repeats every simulated day.
//
// Fault model: none; this is the pure calendar arithmetic the network's throttle events use.
// A window [fromHour, toHour) with fromHour > toHour wraps midnight (22 to 6 is the night).
// Where windows overlap, the first one listed wins; outside every window the link runs at its
// base bandwidth.
import { assert, MICROS_PER_DAY, MICROS_PER_HOUR, type Instant } from '../../model/index.js';

export interface ThrottleWindow {
  /** Hour of the day the window opens, in [0, 24). Fractions are allowed (7.5 is 07:30). */
  readonly fromHour: number;
  /** Hour of the day the window closes, in (0, 24]. */
  readonly toHour: number;
  readonly bandwidthBitsPerSecond: number;
}

export function assertValidWindows(windows: readonly ThrottleWindow[]): void {
  for (const window of windows) {
    assert(window.fromHour >= 0 && window.fromHour < 24, `throttle: fromHour ${window.fromHour} is not in [0, 24)`);
    assert(window.toHour > 0 && window.toHour <= 24, `throttle: toHour ${window.toHour} is not in (0, 24]`);
    assert(hourToMicros(window.fromHour) !== hourToMicros(window.toHour) % MICROS_PER_DAY, 'throttle: a window must not be empty');
    assert(window.bandwidthBitsPerSecond > 0, 'throttle: bandwidth must be positive');
  }
}

/** The window in force at `at`, or null when the base bandwidth applies. */
export function windowAt(windows: readonly ThrottleWindow[], at: Instant | number): ThrottleWindow | null {
  const timeOfDay = at % MICROS_PER_DAY;
  for (const window of windows) {
    const from = hourToMicros(window.fromHour);
    const to = hourToMicros(window.toHour);
    const inside = from < to ? timeOfDay >= from && timeOfDay < to : timeOfDay >= from || timeOfDay < to;
    if (inside) return window;
  }
  return null;
}

/** The first instant after `at` at which some window opens or closes. */
export function nextBoundaryAfter(windows: readonly ThrottleWindow[], at: Instant | number): Instant {
  assert(windows.length > 0, 'throttle: no windows, so no boundary');
  const dayStart = at - (at % MICROS_PER_DAY);
  let next = Number.MAX_SAFE_INTEGER;
  for (const window of windows) {
    for (const hour of [window.fromHour, window.toHour]) {
      const offset = hourToMicros(hour) % MICROS_PER_DAY;
      const candidate = dayStart + offset > at ? dayStart + offset : dayStart + MICROS_PER_DAY + offset;
      if (candidate < next) next = candidate;
    }
  }
  return next as Instant;
}

function hourToMicros(hour: number): number {
  return Math.round(hour * MICROS_PER_HOUR);
}
