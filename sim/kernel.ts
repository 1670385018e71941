// The discrete-event kernel (DESIGN.md section 2.3).
//
// Fault model: none; the kernel is the ground truth of time. Time is integer microseconds and
// never goes backwards (asserted). Events are totally ordered by (time, sequence): two events at
// the same instant run in the order they were scheduled. Handlers run to completion; an event
// scheduled by a handler is a later event, never re-entrant. Every run is bounded by simulated
// time and by event count. Each event is folded into a running trace hash (time, label, digest)
// so that two runs of one seed can be proven identical; with `captureTrace` every event is also
// kept, so that the first divergent event of two runs can be named.
import { assert, fold32Int, hex32, type Duration, type Instant } from '../model/index.js';

/** A pending event; exposed only as an opaque handle for cancellation. Its instant is kept
 *  beside it (in the heap's key arrays, or as the now-queue's instant), so the event holds only
 *  small integers and stays free of boxed doubles. */
interface KernelEvent {
  readonly seq: number;
  readonly label: number;
  /** The trace digest as an int32 (folding treats it as its 32 bits, like the uint32 it stands for). */
  readonly digest: number;
  fn: ((arg: never) => void) | null; // null once cancelled
  /** What `fn` is called with (scheduleCall), so a hot path needs no closure per event. */
  arg: unknown;
}

export type EventHandle = { readonly __brand: 'EventHandle' };

export interface TraceEntry {
  readonly index: number;
  readonly time: Instant;
  readonly label: string;
  readonly digest: number;
}

export type RunOutcome = 'idle' | 'time-limit' | 'event-limit' | 'stopped';

export interface RunBounds {
  /** Simulated time after which no event runs (events at exactly `until` do run). */
  readonly until?: Instant;
  /** Maximum number of events this call may run. */
  readonly maxEvents?: number;
}

export interface KernelOptions {
  /** Keep every event in memory (for naming the first divergent event). */
  readonly captureTrace?: boolean;
}

const HEAP_CAPACITY_INITIAL = 256;

export class Kernel {
  // The heap of future events: events[i] with its key (times[i], seqs[i]); keys in typed arrays,
  // so ordering reads no event objects.
  private events: KernelEvent[] = [];
  private times = new Float64Array(HEAP_CAPACITY_INITIAL);
  private seqs = new Float64Array(HEAP_CAPACITY_INITIAL);
  private size = 0;
  /** Events scheduled for the current instant, in sequence order: a zero delay is a sixth of all
   *  events, and such an event follows every event already pending for its instant and precedes
   *  every later one, so a FIFO holds them in the heap's order without the heap's climb. All its
   *  events are at `nowQueueTime` (time moves on only once it is empty); `run` takes the earlier
   *  of its head and the heap's top. */
  private readonly nowQueue: Array<KernelEvent | undefined> = [];
  private nowHead = 0;
  /** The queue is nowQueue[nowHead, nowTail). Slots are overwritten and emptied, never the
   *  array's length cut: `length = 0` gives its room back, and an instant's first zero-delay
   *  event then paid for a new backing store (measured: 1% of a day, at the push). */
  private nowTail = 0;
  private nowQueueTime = 0;
  private nowMicros = 0;
  private nextSeq = 0;
  private eventsRun = 0;
  /** The running trace hash as an int32 (the same bits as the uint32 it reports): kept that way,
   *  folding an event stores a small integer, not a newly allocated heap number. */
  private hash = 0x811c9dc5 | 0;
  private stopRequested = false;
  private readonly labelIds = new Map<string, number>();
  private readonly labelNames: string[] = [];
  private readonly trace: TraceEntry[] | null;

  constructor(options: KernelOptions = {}) {
    this.trace = options.captureTrace ? [] : null;
  }

  now(): Instant {
    return this.nowMicros as Instant;
  }

  /** Number of events run so far. */
  get eventCount(): number {
    return this.eventsRun;
  }

  /** Number of events waiting (including cancelled ones not yet discarded). */
  get pendingCount(): number {
    return this.size + this.nowTail - this.nowHead;
  }

  /** The running trace hash over every event run so far. */
  get traceHash(): string {
    return hex32(this.hash);
  }

  get capturedTrace(): readonly TraceEntry[] {
    assert(this.trace !== null, 'capturedTrace needs a kernel created with captureTrace');
    return this.trace;
  }

  /** Interns a label so hot paths can schedule without a map lookup. */
  labelId(label: string): number {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.labelNames.length;
      this.labelNames.push(label);
      this.labelIds.set(label, id);
    }
    return id;
  }

  labelName(id: number): string {
    return this.labelNames[id];
  }

  /** Schedules `fn` after `delay`; `label` names it in the trace, `digest` summarises its payload. */
  schedule(delay: Duration | number, label: string | number, fn: () => void, digest = 0): EventHandle {
    if (!(delay >= 0 && Number.isInteger(delay))) assert(false, `schedule: delay must be a non-negative integer, got ${delay}`);
    return this.push(this.nowMicros + delay, typeof label === 'number' ? label : this.labelId(label), fn, digest);
  }

  /** Schedules `fn` at an absolute instant, which must not be in the past. */
  scheduleAt(at: Instant, label: string | number, fn: () => void, digest = 0): EventHandle {
    if (!(at >= this.nowMicros && Number.isInteger(at))) assert(false, `scheduleAt: ${at} is before now (${this.nowMicros})`);
    return this.push(at, typeof label === 'number' ? label : this.labelId(label), fn, digest);
  }

  /** Schedules `fn(arg)` after `delay`: for hot paths, where a method bound once and a value
   *  passed in cost nothing per event, and a closure capturing the value costs an allocation. */
  scheduleCall<T>(delay: Duration | number, label: number, fn: (arg: T) => void, arg: T, digest = 0): EventHandle {
    if (!(delay >= 0 && Number.isInteger(delay))) assert(false, `scheduleCall: delay must be a non-negative integer, got ${delay}`);
    return this.push(this.nowMicros + delay, label, fn, digest, arg);
  }

  /** scheduleCall at an absolute instant, which must not be in the past. */
  scheduleCallAt<T>(at: Instant | number, label: number, fn: (arg: T) => void, arg: T, digest = 0): EventHandle {
    if (!(at >= this.nowMicros && Number.isInteger(at))) assert(false, `scheduleCallAt: ${at} is before now (${this.nowMicros})`);
    return this.push(at, label, fn, digest, arg);
  }

  /** Cancels a pending event; false if it already ran or was cancelled. */
  cancel(handle: EventHandle): boolean {
    const event = handle as unknown as KernelEvent;
    if (event.fn === null) return false;
    event.fn = null;
    event.arg = undefined;
    return true;
  }

  /** Makes the current `run` return after the event being handled. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Runs events in order until none is pending, a bound is reached, or `stop()` is called. */
  run(bounds: RunBounds = {}): RunOutcome {
    const until = bounds.until ?? Number.MAX_SAFE_INTEGER;
    const lastEvent = bounds.maxEvents === undefined ? Number.MAX_SAFE_INTEGER : this.eventsRun + bounds.maxEvents;
    this.stopRequested = false;
    const nowQueue = this.nowQueue;
    for (;;) {
      // The next event is the earlier of the now-queue's head and the heap's top.
      let top: KernelEvent;
      let time: number;
      const queued = this.nowHead < this.nowTail && (this.size === 0 || this.queueHeadFirst());
      if (queued) {
        top = nowQueue[this.nowHead]!;
        time = this.nowQueueTime;
      } else if (this.size > 0) {
        top = this.events[0];
        time = this.times[0];
      } else {
        break;
      }
      if (top.fn === null) {
        this.take(queued);
        continue;
      }
      if (time > until) {
        this.nowMicros = until;
        return 'time-limit';
      }
      if (this.eventsRun >= lastEvent) return 'event-limit';
      this.take(queued);
      this.nowMicros = time;
      this.eventsRun++;
      this.hash = fold32Int(foldTime(fold32Int(this.hash, top.label), time), top.digest);
      if (this.trace !== null) {
        this.trace.push({ index: this.eventsRun - 1, time: time as Instant, label: this.labelNames[top.label], digest: top.digest >>> 0 });
      }
      const fn = top.fn as (arg: unknown) => void;
      const arg = top.arg;
      top.fn = null;
      top.arg = undefined;
      fn(arg);
      if (this.stopRequested) return 'stopped';
    }
    if (bounds.until !== undefined && bounds.until > this.nowMicros) this.nowMicros = bounds.until;
    return 'idle';
  }

  /** Heap invariant: every parent precedes its children; the now-queue is one instant, in order. O(n); for tests. */
  invariants(): void {
    for (let i = 1; i < this.size; i++) {
      const parent = (i - 1) >> 1;
      assert(!this.heapPrecedes(i, parent), `kernel heap order broken at ${i}`);
    }
    for (let i = 0; i < this.size; i++) assert(this.times[i] >= this.nowMicros, 'kernel: pending event in the past');
    assert(this.events.length === this.size, 'kernel: heap size is off');
    for (let i = 0; i < this.nowQueue.length; i++) assert((i >= this.nowHead && i < this.nowTail) === (this.nowQueue[i] !== undefined), 'kernel: a now-queue slot outside the queue holds an event, or one inside it none');
    for (let i = this.nowHead; i < this.nowTail; i++) {
      assert(i === this.nowHead || this.nowQueue[i - 1]!.seq < this.nowQueue[i]!.seq, 'kernel: events queued for now are out of order');
    }
    assert(this.nowHead === this.nowTail || this.nowQueueTime >= this.nowMicros, 'kernel: events queued for an instant in the past');
  }

  private push(time: number, label: number, fn: (arg: never) => void, digest: number, arg?: unknown): EventHandle {
    const seq = this.nextSeq++;
    const event: KernelEvent = { seq, label, digest: digest | 0, fn, arg };
    if (this.nowHead === this.nowTail) {
      if (time === this.nowMicros) {
        this.enqueueNow(event);
        this.nowQueueTime = time;
        return event as unknown as EventHandle;
      }
    } else if (time === this.nowQueueTime) {
      this.enqueueNow(event);
      return event as unknown as EventHandle;
    }
    if (this.size === this.times.length) this.growHeap();
    const events = this.events;
    const times = this.times;
    const seqs = this.seqs;
    let i = this.size++;
    events.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent];
      if (!(time < parentTime || (time === parentTime && seq < seqs[parent]))) break;
      events[i] = events[parent];
      times[i] = parentTime;
      seqs[i] = seqs[parent];
      i = parent;
    }
    events[i] = event;
    times[i] = time;
    seqs[i] = seq;
    return event as unknown as EventHandle;
  }

  private enqueueNow(event: KernelEvent): void {
    if (this.nowTail === this.nowQueue.length) this.nowQueue.push(event);
    else this.nowQueue[this.nowTail] = event;
    this.nowTail++;
  }

  /** Whether the now-queue's head precedes the heap's top (both present). */
  private queueHeadFirst(): boolean {
    const time = this.nowQueueTime;
    return time < this.times[0] || (time === this.times[0] && this.nowQueue[this.nowHead]!.seq < this.seqs[0]);
  }

  /** Removes the next event: the queue's head, or the heap's top. */
  private take(queued: boolean): void {
    if (!queued) {
      this.pop();
      return;
    }
    this.nowQueue[this.nowHead++] = undefined;
    if (this.nowHead === this.nowTail) {
      this.nowHead = 0;
      this.nowTail = 0;
    }
  }

  private pop(): void {
    const events = this.events;
    const times = this.times;
    const seqs = this.seqs;
    const size = --this.size;
    const last = events.pop()!;
    if (size === 0) return;
    const lastTime = times[size];
    const lastSeq = seqs[size];
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.heapPrecedes(right, left) ? right : left;
      const childTime = times[child];
      if (!(childTime < lastTime || (childTime === lastTime && seqs[child] < lastSeq))) break;
      events[i] = events[child];
      times[i] = childTime;
      seqs[i] = seqs[child];
      i = child;
    }
    events[i] = last;
    times[i] = lastTime;
    seqs[i] = lastSeq;
  }

  /** Whether heap slot `a` precedes heap slot `b` in (time, sequence) order. */
  private heapPrecedes(a: number, b: number): boolean {
    const times = this.times;
    return times[a] < times[b] || (times[a] === times[b] && this.seqs[a] < this.seqs[b]);
  }

  private growHeap(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    const seqs = new Float64Array(capacity);
    times.set(this.times);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
  }
}

/** foldNumber for an event time (a non-negative integer below 2^53), without its general cases:
 *  times pass 2^32 microseconds after 72 simulated minutes, so the long form is the common one. */
function foldTime(hash: number, time: number): number {
  if (time <= 0xffffffff) return fold32Int(hash, time);
  return fold32Int(fold32Int(hash, time | 0), (time / 0x1_0000_0000) | 0);
}

/** The first index where two captured traces differ, with both versions; null when equal. */
export function firstDivergence(
  a: readonly TraceEntry[],
  b: readonly TraceEntry[],
): { index: number; left: TraceEntry | null; right: TraceEntry | null } | null {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = a[i] ?? null;
    const right = b[i] ?? null;
    if (left === null || right === null || left.time !== right.time || left.label !== right.label || left.digest !== right.digest) {
      return { index: i, left, right };
    }
  }
  return null;
}
