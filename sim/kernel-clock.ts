// The Clock port backed by the kernel. (xstate actors run on any Clock port through
// engine/control-plane/xstate-clock.ts, so their delayed transitions are kernel events.)
//
// Fault model: a host's clock may be skewed (a constant offset, set by the world's clock-skew
// fault): `now()` reads skewed time while timers still run on true durations, as a real host
// whose wall clock is wrong but whose timers are monotonic.
import { assert, type Duration, type Instant } from '../model/index.js';
import type { Clock, TimerId } from '../engine/ports.js';
import type { EventHandle, Kernel } from './kernel.js';

/** A pending timer: the argument of its kernel call (a record is a third of a closure's memory,
 *  and a day sets millions of timers). */
class Timer {
  constructor(
    readonly id: number,
    readonly fire: () => void,
  ) {}
}

export class KernelClock implements Clock {
  private readonly timers = new Map<number, EventHandle>();
  private nextTimer = 1;
  private skewMicros = 0;
  private readonly labelPrefix: string;
  /** The kernel's label id of each timer label used so far (a string concatenation and a
   *  lookup per timer was a visible cost of a day's benchmark). */
  private readonly labelIds = new Map<string, number>();

  constructor(
    private readonly kernel: Kernel,
    readonly owner: string,
  ) {
    this.labelPrefix = `${owner}:timer:`;
  }

  now(): Instant {
    return Math.max(0, this.kernel.now() + this.skewMicros) as Instant;
  }

  /** Sets this clock's offset from true time (positive: the host's clock runs ahead). */
  setSkew(offsetMicros: number): void {
    assert(Number.isInteger(offsetMicros), 'clock skew must be whole microseconds');
    this.skewMicros = offsetMicros;
  }

  get skew(): number {
    return this.skewMicros;
  }

  setTimer(after: Duration, label: string, fire: () => void): TimerId {
    const id = this.nextTimer++;
    let labelId = this.labelIds.get(label);
    if (labelId === undefined) {
      labelId = this.kernel.labelId(this.labelPrefix + label);
      this.labelIds.set(label, labelId);
    }
    const handle = this.kernel.scheduleCall(after, labelId, this.fireTimer, new Timer(id, fire));
    this.timers.set(id, handle);
    return id as TimerId;
  }

  private readonly fireTimer = (timer: Timer): void => {
    this.timers.delete(timer.id);
    timer.fire();
  };

  cancelTimer(id: TimerId): boolean {
    const handle = this.timers.get(id);
    if (handle === undefined) return false;
    this.timers.delete(id);
    return this.kernel.cancel(handle);
  }

  /** Cancels every pending timer (the host crashed or powered off). */
  cancelAll(): number {
    let cancelled = 0;
    for (const handle of this.timers.values()) if (this.kernel.cancel(handle)) cancelled++;
    this.timers.clear();
    return cancelled;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
