// The discrete-event kernel (DESIGN.md section 2.3).
//
// Fault model: none; the kernel is the ground truth of time. Time is integer microseconds and
// never goes backwards (asserted). Events are totally ordered by (time, sequence): two events at
// the same instant run in the order they were scheduled. Handlers run to completion; an event
// scheduled by a handler is a later event, never re-entrant. Every run is bounded by simulated
// time and by event count. Each event is folded into a running trace hash (time, label, digest)
// so that two runs of one seed can be proven identical; with `captureTrace` every event is also
// kept, so that the first divergent event of two runs can be named.
import { assert, fold32, foldNumber, hex32, type Duration, type Instant } from '../model/index.js';

/** An event in the heap. Exposed only as an opaque handle for cancellation. */
interface KernelEvent {
  time: number;
  seq: number;
  label: number;
  digest: number;
  fn: (() => void) | null; // null once cancelled
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

export class Kernel {
  private heap: KernelEvent[] = [];
  private nowMicros = 0;
  private nextSeq = 0;
  private eventsRun = 0;
  private hash = 0x811c9dc5;
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
    return this.heap.length;
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

  /** Cancels a pending event; false if it already ran or was cancelled. */
  cancel(handle: EventHandle): boolean {
    const event = handle as unknown as KernelEvent;
    if (event.fn === null) return false;
    event.fn = null;
    return true;
  }

  /** Makes the current `run` return after the event being handled. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Runs events in order until the heap is empty, a bound is reached, or `stop()` is called. */
  run(bounds: RunBounds = {}): RunOutcome {
    const until = bounds.until ?? Number.MAX_SAFE_INTEGER;
    const lastEvent = bounds.maxEvents === undefined ? Number.MAX_SAFE_INTEGER : this.eventsRun + bounds.maxEvents;
    this.stopRequested = false;
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0];
      if (top.fn === null) {
        this.pop();
        continue;
      }
      if (top.time > until) {
        this.nowMicros = until;
        return 'time-limit';
      }
      if (this.eventsRun >= lastEvent) return 'event-limit';
      this.pop();
      this.nowMicros = top.time;
      this.eventsRun++;
      this.hash = fold32(foldNumber(fold32(this.hash, top.label), top.time), top.digest);
      if (this.trace !== null) {
        this.trace.push({ index: this.eventsRun - 1, time: top.time as Instant, label: this.labelNames[top.label], digest: top.digest });
      }
      const fn = top.fn;
      top.fn = null;
      fn();
      if (this.stopRequested) return 'stopped';
    }
    if (bounds.until !== undefined && bounds.until > this.nowMicros) this.nowMicros = bounds.until;
    return 'idle';
  }

  /** Heap invariant: every parent precedes its children. O(n); for tests. */
  invariants(): void {
    const heap = this.heap;
    for (let i = 1; i < heap.length; i++) {
      const parent = heap[(i - 1) >> 1];
      assert(!precedes(heap[i], parent), `kernel heap order broken at ${i}`);
    }
    for (const event of heap) assert(event.time >= this.nowMicros, 'kernel: pending event in the past');
  }

  private push(time: number, label: number, fn: () => void, digest: number): EventHandle {
    const event: KernelEvent = { time, seq: this.nextSeq++, label, digest: digest >>> 0, fn };
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex];
      if (!precedes(event, parent)) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = event;
    return event as unknown as EventHandle;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    const size = heap.length;
    if (size === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && precedes(heap[right], heap[left]) ? right : left;
      if (!precedes(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }
}

function precedes(a: KernelEvent, b: KernelEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
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
