// The Clock port backed by the kernel. (xstate actors run on any Clock port through
// engine/control-plane/xstate-clock.ts, so their delayed transitions are kernel events.)
//
// Fault model: a host's clock may be skewed (a constant offset, set by the world's clock-skew
// fault): `now()` reads skewed time while timers still run on true durations, as a real host
// whose wall clock is wrong but whose timers are monotonic.
import { assert, type Duration, type Instant } from '../model/index.js';
import type { Clock, TimerId } from '../engine/ports.js';
import type { EventHandle, Kernel } from './kernel.js';

/** Timer slots are reused; an id names a slot and the generation of its use, so an id of a timer
 *  that fired or was cancelled never matches the slot's next timer. */
const SLOT_BITS = 20;
const SLOTS_MAX = 2 ** SLOT_BITS;

/** A timer slot: the argument of its kernel call while pending (a record is a third of a
 *  closure's memory, and a day sets millions of timers), free otherwise. */
class Timer {
  /** 0 while free; otherwise (generation + 1) * SLOTS_MAX + slot. */
  id = 0;
  generation = 0;
  fire: (() => void) | null = null;
  handle: EventHandle | null = null;
  /** The next free slot, while free (-1: none). */
  nextFree = -1;

  constructor(readonly slot: number) {}
}

export class KernelClock implements Clock {
  // Pending timers live in reused slots found from their id, not in a Map by id: a Map that
  // gains and loses an entry per timer reallocates its table as its size crosses its bounds,
  // and those tables outlived the young generation (a tenth of what a day's scavenges copied).
  private readonly slots: Timer[] = [];
  private freeSlot = -1;
  private pending = 0;
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
    let labelId = this.labelIds.get(label);
    if (labelId === undefined) {
      labelId = this.kernel.labelId(this.labelPrefix + label);
      this.labelIds.set(label, labelId);
    }
    const timer = this.takeSlot();
    timer.fire = fire;
    timer.handle = this.kernel.scheduleCall(after, labelId, this.fireTimer, timer);
    return timer.id as TimerId;
  }

  private readonly fireTimer = (timer: Timer): void => {
    const fire = timer.fire!;
    this.freeTimer(timer);
    fire();
  };

  cancelTimer(id: TimerId): boolean {
    // A free slot's id is 0, which no timer is given (GuardedClock's "no timer" is 0 too).
    const timer = this.slots[id % SLOTS_MAX];
    if (timer === undefined || timer.id === 0 || timer.id !== id) return false;
    const cancelled = this.kernel.cancel(timer.handle!);
    this.freeTimer(timer);
    return cancelled;
  }

  /** Cancels every pending timer (the host crashed or powered off). */
  cancelAll(): number {
    let cancelled = 0;
    for (const timer of this.slots) {
      if (timer.id === 0) continue;
      if (this.kernel.cancel(timer.handle!)) cancelled++;
      this.freeTimer(timer);
    }
    return cancelled;
  }

  get pendingTimers(): number {
    return this.pending;
  }

  /** Every pending timer is in the slot its id names; the free list holds the other slots. */
  invariants(): void {
    let pending = 0;
    for (const [slot, timer] of this.slots.entries()) {
      assert(timer.slot === slot, `clock ${this.owner}: slot ${slot} holds another slot's timer`);
      if (timer.id === 0) continue;
      pending++;
      assert(timer.id === (timer.generation + 1) * SLOTS_MAX + slot && timer.handle !== null && timer.fire !== null, `clock ${this.owner}: timer ${timer.id} is not the one its slot names`);
    }
    assert(pending === this.pending, `clock ${this.owner}: ${pending} timers pending, counted ${this.pending}`);
    let free = 0;
    for (let slot = this.freeSlot; slot !== -1; slot = this.slots[slot].nextFree) {
      assert(this.slots[slot].id === 0 && ++free <= this.slots.length, `clock ${this.owner}: the free list holds a pending timer or loops`);
    }
    assert(free + pending === this.slots.length, `clock ${this.owner}: ${this.slots.length - free - pending} slots lost`);
  }

  private takeSlot(): Timer {
    let timer: Timer;
    if (this.freeSlot !== -1) {
      timer = this.slots[this.freeSlot];
      this.freeSlot = timer.nextFree;
      timer.nextFree = -1;
      timer.generation++;
    } else {
      assert(this.slots.length < SLOTS_MAX, `clock ${this.owner}: more than ${SLOTS_MAX} timers pending`);
      timer = new Timer(this.slots.length);
      this.slots.push(timer);
    }
    timer.id = (timer.generation + 1) * SLOTS_MAX + timer.slot;
    this.pending++;
    return timer;
  }

  private freeTimer(timer: Timer): void {
    timer.id = 0;
    timer.fire = null;
    timer.handle = null;
    timer.nextFree = this.freeSlot;
    this.freeSlot = timer.slot;
    this.pending--;
  }
}
