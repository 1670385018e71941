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

/** A pending event, for cancellation: its record's slot and the slot's generation (see Kernel). */
export type EventHandle = number & { readonly __brand: 'EventHandle' };

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
  /** How many events a slot holds before it is retired (tests lower it from 2^29 - 1 to show
   *  that a handle never outlives its slot's generations). */
  readonly slotGenerationsMax?: number;
}

const SLOT_CAPACITY_INITIAL = 256;

/** Handles are generation * SLOTS_LIMIT + slot: below 2^53 for 2^29 generations of a slot. */
const SLOTS_LIMIT = 2 ** 24;
const GENERATIONS_MAX = 2 ** 29 - 1;

export class Kernel {
  // Every pending event is a record in a slot of the arrays below, which are reused: an event
  // allocates nothing, and the records of the few thousand pending events stay a few dense,
  // warm arrays instead of one cold object per event read at its turn. A slot's generation
  // moves on when its event runs or is dropped, so a handle to it stops matching (cancel is then
  // false, as for any event that already ran).
  private fns: Array<((arg: never) => void) | null> = [];
  /** What fns[slot] is called with (scheduleCall), so a hot path needs no closure per event. */
  private args: unknown[] = [];
  private labels = new Int32Array(SLOT_CAPACITY_INITIAL);
  /** The trace digest as an int32 (folding treats it as its 32 bits, like the uint32 it stands for). */
  private digests = new Int32Array(SLOT_CAPACITY_INITIAL);
  private generations = new Int32Array(SLOT_CAPACITY_INITIAL).fill(1);
  private slotSeqs = new Float64Array(SLOT_CAPACITY_INITIAL);
  private freeSlots = new Int32Array(SLOT_CAPACITY_INITIAL);
  private freeCount = 0;
  // The heap of future events: heapSlots[i] with its key (times[i], seqs[i]) beside it, so ordering
  // reads no record.
  private heapSlots = new Int32Array(SLOT_CAPACITY_INITIAL);
  private times = new Float64Array(SLOT_CAPACITY_INITIAL);
  private seqs = new Float64Array(SLOT_CAPACITY_INITIAL);
  private size = 0;
  /** Events scheduled for the current instant, in sequence order: a zero delay is a sixth of all
   *  events, and such an event follows every event already pending for its instant and precedes
   *  every later one, so a FIFO holds them in the heap's order without the heap's climb. All its
   *  events are at `nowQueueTime` (time moves on only once it is empty); `run` takes the earlier
   *  of its head and the heap's top. The queue is nowSlots[nowHead, nowTail), restarting at 0
   *  whenever it empties. */
  private nowSlots = new Int32Array(SLOT_CAPACITY_INITIAL);
  private nowHead = 0;
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

  private readonly generationsMax: number;

  constructor(options: KernelOptions = {}) {
    this.trace = options.captureTrace ? [] : null;
    this.generationsMax = options.slotGenerationsMax ?? GENERATIONS_MAX;
    assert(Number.isInteger(this.generationsMax) && this.generationsMax >= 1 && this.generationsMax <= GENERATIONS_MAX, `kernel: slot generations must be in [1, ${GENERATIONS_MAX}]`);
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
    const slot = handle % SLOTS_LIMIT;
    if (!(slot < this.fns.length && this.generations[slot] === (handle - slot) / SLOTS_LIMIT && this.fns[slot] !== null)) return false;
    this.fns[slot] = null;
    this.args[slot] = undefined;
    return true;
  }

  /** Makes the current `run` return after the event in progress. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Runs events in order until none is pending, a bound is reached, or `stop()` is called. */
  run(bounds: RunBounds = {}): RunOutcome {
    if (bounds.until !== undefined && !(bounds.until >= this.nowMicros)) assert(false, `run: until ${bounds.until} is before now (${this.nowMicros}): time never goes backwards`);
    const until = bounds.until ?? Number.MAX_SAFE_INTEGER;
    const lastEvent = bounds.maxEvents === undefined ? Number.MAX_SAFE_INTEGER : this.eventsRun + bounds.maxEvents;
    this.stopRequested = false;
    for (;;) {
      // The next event is the earlier of the now-queue's head and the heap's top.
      let slot: number;
      let time: number;
      const queued = this.nowHead < this.nowTail && (this.size === 0 || this.queueHeadFirst());
      if (queued) {
        slot = this.nowSlots[this.nowHead];
        time = this.nowQueueTime;
      } else if (this.size > 0) {
        slot = this.heapSlots[0];
        time = this.times[0];
      } else {
        break;
      }
      const fn = this.fns[slot] as ((arg: unknown) => void) | null;
      if (fn === null) {
        this.take(queued);
        this.release(slot);
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
      const label = this.labels[slot];
      const digest = this.digests[slot];
      this.hash = fold32Int(foldTime(fold32Int(this.hash, label), time), digest);
      if (this.trace !== null) {
        this.trace.push({ index: this.eventsRun - 1, time: time as Instant, label: this.labelNames[label], digest: digest >>> 0 });
      }
      const arg = this.args[slot];
      this.release(slot);
      fn(arg);
      if (this.stopRequested) return 'stopped';
    }
    if (bounds.until !== undefined && bounds.until > this.nowMicros) this.nowMicros = bounds.until;
    return 'idle';
  }

  /** Heap invariant: every parent precedes its children; the now-queue is one instant, in order;
   *  every slot is either free or holds exactly one pending event. O(n); for tests. */
  invariants(): void {
    for (let i = 1; i < this.size; i++) {
      const parent = (i - 1) >> 1;
      assert(!this.heapPrecedes(i, parent), `kernel heap order broken at ${i}`);
    }
    for (let i = 0; i < this.size; i++) assert(this.times[i] >= this.nowMicros, 'kernel: pending event in the past');
    for (let i = 0; i < this.size; i++) assert(this.slotSeqs[this.heapSlots[i]] === this.seqs[i], `kernel: heap entry ${i} and its slot disagree on the sequence`);
    for (let i = this.nowHead; i < this.nowTail; i++) {
      assert(i === this.nowHead || this.slotSeqs[this.nowSlots[i - 1]] < this.slotSeqs[this.nowSlots[i]], 'kernel: events queued for now are out of order');
    }
    assert(this.nowHead === this.nowTail || this.nowQueueTime >= this.nowMicros, 'kernel: events queued for an instant in the past');
    const slotCount = this.fns.length;
    const holders = new Uint8Array(slotCount);
    for (let i = 0; i < this.size; i++) holders[this.heapSlots[i]]++;
    for (let i = this.nowHead; i < this.nowTail; i++) holders[this.nowSlots[i]]++;
    for (let i = 0; i < this.freeCount; i++) holders[this.freeSlots[i]] += 2;
    let retired = 0;
    for (let slot = 0; slot < slotCount; slot++) {
      if (this.generations[slot] > this.generationsMax) {
        assert(holders[slot] === 0, `kernel: retired slot ${slot} is in use`);
        retired++;
        continue;
      }
      assert(holders[slot] === 1 || holders[slot] === 2, `kernel: slot ${slot} is ${holders[slot] === 0 ? 'lost' : 'held twice'}`);
      assert(holders[slot] === 1 || (this.fns[slot] === null && this.args[slot] === undefined), `kernel: free slot ${slot} keeps its event`);
    }
    assert(this.pendingCount + this.freeCount + retired === slotCount, 'kernel: slots are off');
  }

  private push(time: number, label: number, fn: (arg: never) => void, digest: number, arg?: unknown): EventHandle {
    const seq = this.nextSeq++;
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount] : this.newSlot();
    this.fns[slot] = fn;
    this.args[slot] = arg;
    this.labels[slot] = label;
    this.digests[slot] = digest | 0;
    this.slotSeqs[slot] = seq;
    const handle = (this.generations[slot] * SLOTS_LIMIT + slot) as EventHandle;
    if (this.nowHead === this.nowTail) {
      if (time === this.nowMicros) {
        this.nowHead = 0;
        this.nowTail = 0;
        this.enqueueNow(slot);
        this.nowQueueTime = time;
        return handle;
      }
    } else if (time === this.nowQueueTime) {
      this.enqueueNow(slot);
      return handle;
    }
    if (this.size === this.times.length) this.growHeap();
    const heapSlots = this.heapSlots;
    const times = this.times;
    const seqs = this.seqs;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent];
      if (!(time < parentTime || (time === parentTime && seq < seqs[parent]))) break;
      heapSlots[i] = heapSlots[parent];
      times[i] = parentTime;
      seqs[i] = seqs[parent];
      i = parent;
    }
    heapSlots[i] = slot;
    times[i] = time;
    seqs[i] = seq;
    return handle;
  }

  /** A slot never used before, the arrays grown when full. */
  private newSlot(): number {
    const slot = this.fns.length;
    assert(slot < SLOTS_LIMIT, `kernel: more than ${SLOTS_LIMIT} events pending at once`);
    if (slot === this.labels.length) {
      const capacity = slot * 2;
      this.labels = grownInt32(this.labels, capacity);
      this.digests = grownInt32(this.digests, capacity);
      const generations = grownInt32(this.generations, capacity);
      generations.fill(1, slot);
      this.generations = generations;
      this.freeSlots = grownInt32(this.freeSlots, capacity);
      const slotSeqs = new Float64Array(capacity);
      slotSeqs.set(this.slotSeqs);
      this.slotSeqs = slotSeqs;
    }
    this.fns.push(null);
    this.args.push(undefined);
    return slot;
  }

  /** The slot's event ran or was dropped: the slot is free, and its handle stale. */
  private release(slot: number): void {
    this.fns[slot] = null;
    this.args[slot] = undefined;
    const generation = this.generations[slot] + 1;
    this.generations[slot] = generation;
    // A slot whose generations ran out is retired, never reused: a generation that wrapped
    // would let a stale handle cancel an unrelated event. (2^29 events in one slot.)
    if (generation <= this.generationsMax) this.freeSlots[this.freeCount++] = slot;
  }

  private enqueueNow(slot: number): void {
    if (this.nowTail === this.nowSlots.length) this.nowSlots = grownInt32(this.nowSlots, this.nowSlots.length * 2);
    this.nowSlots[this.nowTail++] = slot;
  }

  /** Whether the now-queue's head precedes the heap's top (both present). */
  private queueHeadFirst(): boolean {
    const time = this.nowQueueTime;
    return time < this.times[0] || (time === this.times[0] && this.slotSeqs[this.nowSlots[this.nowHead]] < this.seqs[0]);
  }

  /** Removes the next event from the queue or the heap (its slot is released by the caller). */
  private take(queued: boolean): void {
    if (queued) this.nowHead++;
    else this.pop();
  }

  private pop(): void {
    const heapSlots = this.heapSlots;
    const times = this.times;
    const seqs = this.seqs;
    const size = --this.size;
    if (size === 0) return;
    const lastSlot = heapSlots[size];
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
      heapSlots[i] = heapSlots[child];
      times[i] = childTime;
      seqs[i] = seqs[child];
      i = child;
    }
    heapSlots[i] = lastSlot;
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
    this.heapSlots = grownInt32(this.heapSlots, capacity);
  }
}

function grownInt32(array: Int32Array, capacity: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
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
