// The `mm1` benchmark (DESIGN.md section 6): an M/M/1 queue (arrival rate 0.9, service rate 1.0,
// one million customers, seeded) simulated on the project's Kernel. It checks the kernel twice:
// the mean wait in queue must match queueing theory (Wq = lambda / (mu (mu - lambda)) = 9.0),
// and its speed is compared in the same process with a ceiling, the same model on a bare binary
// heap written here (same event structure, same PRNG draws, no trace hash, no bounds, no
// assertions). Both sides run alternately after a warm-up, and the figures are medians.
import { assert, MICROS_PER_SECOND } from '../../model/index.js';
// sim/index.ts does not exist yet; switch to '../../sim/index.js' once it does.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { Kernel } from '../../sim/kernel.js';
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { rootStream, type RandomStream } from '../../sim/random.js';
import type { Benchmark, BenchContext, Figures } from './benchmark.js';
import { median, significant, timed } from './measure.js';

const ARRIVAL_RATE = 0.9;
const SERVICE_RATE = 1.0;
const CUSTOMERS = 1_000_000;
const ROUNDS_DEFAULT = 5;
const SEED = 1;
/** One model time unit in kernel microseconds: rounding each draw to 1 us is then negligible. */
const MICROS_PER_UNIT = MICROS_PER_SECOND;
const MEAN_INTERARRIVAL_MICROS = MICROS_PER_UNIT / ARRIVAL_RATE;
const MEAN_SERVICE_MICROS = MICROS_PER_UNIT / SERVICE_RATE;
/** Wq of M/M/1, in model time units (rounded: 1.0 - 0.9 is not exact in binary). */
export const ANALYTIC_MEAN_WAIT = significant(ARRIVAL_RATE / (SERVICE_RATE * (SERVICE_RATE - ARRIVAL_RATE)), 12);

/** What one simulation of `customers` customers produced. */
interface QueueOutcome {
  readonly customersServed: number;
  /** Sum over customers of the time spent waiting before service, in microseconds. */
  readonly waitMicrosTotal: number;
}

/**
 * The state of the queue, shared by both event loops so that they differ only in the loop.
 * `schedule(delay, departure?)` is how each loop posts the next event.
 */
class QueueModel {
  private waiting = new Float64Array(1024); // ring buffer of arrival instants
  private head = 0;
  private length = 0;
  private busy = false;
  arrivals = 0;
  served = 0;
  waitMicrosTotal = 0;

  constructor(
    readonly customers: number,
    private readonly interarrivals: RandomStream,
    private readonly services: RandomStream,
  ) {}

  nextInterarrival(): number {
    return Math.round(this.interarrivals.exponential(MEAN_INTERARRIVAL_MICROS));
  }

  nextService(): number {
    return Math.round(this.services.exponential(MEAN_SERVICE_MICROS));
  }

  /** A customer arrives at `now`; returns true when the server starts serving it at once. */
  arrive(now: number): boolean {
    this.arrivals++;
    if (!this.busy) {
      this.busy = true;
      return true;
    }
    if (this.length === this.waiting.length) this.grow();
    this.waiting[(this.head + this.length) % this.waiting.length] = now;
    this.length++;
    return false;
  }

  /** The server finishes at `now`; returns true when it starts serving the next customer. */
  depart(now: number): boolean {
    this.served++;
    if (this.length === 0) {
      this.busy = false;
      return false;
    }
    this.waitMicrosTotal += now - this.waiting[this.head];
    this.head = (this.head + 1) % this.waiting.length;
    this.length--;
    return true;
  }

  outcome(): QueueOutcome {
    assert(this.served === this.customers && this.length === 0, `mm1: ${this.served} of ${this.customers} customers served`);
    return { customersServed: this.served, waitMicrosTotal: this.waitMicrosTotal };
  }

  private grow(): void {
    const larger = new Float64Array(this.waiting.length * 2);
    for (let i = 0; i < this.length; i++) larger[i] = this.waiting[(this.head + i) % this.waiting.length];
    this.waiting = larger;
    this.head = 0;
  }
}

function newModel(customers: number): QueueModel {
  const root = rootStream(SEED).fork('mm1');
  return new QueueModel(customers, root.fork('arrivals'), root.fork('service'));
}

/** The model on the project's kernel, with labels interned once. */
export function simulateOnKernel(customers: number): QueueOutcome {
  const kernel = new Kernel();
  const model = newModel(customers);
  const arrivalLabel = kernel.labelId('mm1/arrival');
  const departureLabel = kernel.labelId('mm1/departure');
  const onDeparture = (): void => {
    if (model.depart(kernel.now())) kernel.schedule(model.nextService(), departureLabel, onDeparture);
  };
  const onArrival = (): void => {
    if (model.arrivals + 1 < customers) kernel.schedule(model.nextInterarrival(), arrivalLabel, onArrival);
    if (model.arrive(kernel.now())) kernel.schedule(model.nextService(), departureLabel, onDeparture);
  };
  kernel.schedule(model.nextInterarrival(), arrivalLabel, onArrival);
  kernel.run();
  return model.outcome();
}

/** An event of the ceiling loop: the same (time, sequence) order as the kernel's events. */
interface BareEvent {
  time: number;
  seq: number;
  fn: () => void;
}

/** The same model on the least a discrete-event loop needs: one binary heap of (time, seq). */
export function simulateOnBareHeap(customers: number): QueueOutcome {
  const heap: BareEvent[] = [];
  let now = 0;
  let nextSeq = 0;
  const model = newModel(customers);
  const schedule = (delay: number, fn: () => void): void => {
    const event: BareEvent = { time: now + delay, seq: nextSeq++, fn };
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex];
      if (!bareBefore(event, parent)) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = event;
  };
  const onDeparture = (): void => {
    if (model.depart(now)) schedule(model.nextService(), onDeparture);
  };
  const onArrival = (): void => {
    if (model.arrivals + 1 < customers) schedule(model.nextInterarrival(), onArrival);
    if (model.arrive(now)) schedule(model.nextService(), onDeparture);
  };
  schedule(model.nextInterarrival(), onArrival);
  while (heap.length > 0) {
    const top = heap[0];
    const last = heap.pop()!;
    const size = heap.length;
    if (size > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        const child = right < size && bareBefore(heap[right], heap[left]) ? right : left;
        if (!bareBefore(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    now = top.time;
    top.fn();
  }
  return model.outcome();
}

function bareBefore(a: BareEvent, b: BareEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

function runMm1(context: BenchContext): Figures {
  const customers = Math.max(1000, Math.round(CUSTOMERS * context.scale));
  const rounds = context.repeat ?? ROUNDS_DEFAULT;
  const warmUpCustomers = Math.max(1000, Math.round(customers / 10));
  simulateOnKernel(warmUpCustomers);
  simulateOnBareHeap(warmUpCustomers);
  const kernelRates: number[] = [];
  const ceilingRates: number[] = [];
  let kernelOutcome: QueueOutcome | null = null;
  for (let round = 1; round <= rounds; round++) {
    context.progress(`mm1: round ${round} of ${rounds} (${customers} customers per side)`);
    const onKernel = timed(() => simulateOnKernel(customers));
    const onBareHeap = timed(() => simulateOnBareHeap(customers));
    // Same seed, same event order: the two loops must have simulated exactly the same queue.
    assert(onKernel.result.waitMicrosTotal === onBareHeap.result.waitMicrosTotal, 'mm1: kernel and ceiling disagree on the waits');
    kernelRates.push(customers / onKernel.seconds);
    ceilingRates.push(customers / onBareHeap.seconds);
    kernelOutcome = onKernel.result;
  }
  assert(kernelOutcome !== null, 'mm1: --repeat must be at least 1');
  const customersPerSecond = median(kernelRates);
  const ceilingCustomersPerSecond = median(ceilingRates);
  return {
    customersPerSecond: Math.round(customersPerSecond),
    meanWait: significant(kernelOutcome.waitMicrosTotal / kernelOutcome.customersServed / MICROS_PER_UNIT, 6),
    analyticMeanWait: ANALYTIC_MEAN_WAIT,
    ceilingCustomersPerSecond: Math.round(ceilingCustomersPerSecond),
    ratioToCeiling: significant(customersPerSecond / ceilingCustomersPerSecond, 3),
    customers,
    rounds,
  };
}

export const mm1: Benchmark = {
  name: 'mm1',
  description: 'M/M/1 queue (rho 0.9, 1,000,000 customers) on the kernel vs a bare-heap ceiling',
  run: runMm1,
};
