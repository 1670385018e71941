// A host's CPU: `cores` identical servers working through one FIFO queue.
//
// Fault model: the CPU itself never fails; a host crash or power-off (`crash()`) drops all
// queued and running work, whose callbacks never run, and the cores stop at that instant.
//
// Because the queue is FIFO and non-preemptive, a job's start is known when it is queued: it
// starts when the earliest-free core frees up (or at once), so each job is one kernel event at
// its completion instant and no queue structure is needed. Utilisation is the busy core-time in
// the last `utilisationWindow` divided by the core-time the window offers; busy intervals are
// kept in growable typed arrays, oldest first, and pruned as they leave the window.
import { assert, minutes, type Duration } from '../../model/index.js';
import type { Cpu } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';

export interface CpuOptions {
  readonly cores: number;
  /** The sliding window `utilisation()` looks back over. */
  readonly utilisationWindow?: Duration;
}

export const CPU_UTILISATION_WINDOW_DEFAULT = minutes(5);

export class SimCpu implements Cpu {
  readonly cores: number;
  private readonly window: Duration;
  /** When each core finishes the work already assigned to it. */
  private readonly coreFreeAt: Float64Array;
  /** Busy intervals [start, end), oldest first, from `head` to `tail`. */
  private starts = new Float64Array(64);
  private ends = new Float64Array(64);
  private head = 0;
  private tail = 0;
  private epoch = 0;
  private pendingJobs = 0;
  private readonly labelIds = new Map<string, number>();

  constructor(
    private readonly kernel: Kernel,
    readonly owner: string,
    options: CpuOptions,
  ) {
    assert(Number.isInteger(options.cores) && options.cores > 0, `cpu ${owner}: cores must be a positive integer`);
    this.cores = options.cores;
    this.window = options.utilisationWindow ?? CPU_UTILISATION_WINDOW_DEFAULT;
    assert(this.window > 0, `cpu ${owner}: utilisation window must be positive`);
    this.coreFreeAt = new Float64Array(options.cores);
  }

  spend(cost: Duration, label: string, done: () => void): void {
    assert(Number.isInteger(cost) && cost >= 0, `cpu ${this.owner}: cost must be whole microseconds, got ${cost}`);
    const now = this.kernel.now();
    const core = this.earliestFreeCore();
    const start = Math.max(now, this.coreFreeAt[core]);
    const end = start + cost;
    this.coreFreeAt[core] = end;
    if (cost > 0) this.recordBusy(start, end);
    this.pendingJobs++;
    const epoch = this.epoch;
    this.kernel.schedule(end - now, this.labelFor(label), () => {
      if (this.epoch !== epoch) return;
      this.pendingJobs--;
      done();
    });
  }

  utilisation(): number {
    const now = this.kernel.now();
    const windowStart = Math.max(0, now - this.window);
    const span = now - windowStart;
    this.prune(windowStart);
    if (span === 0) return 0;
    let busy = 0;
    for (let i = this.head; i < this.tail; i++) {
      const overlap = Math.min(this.ends[i], now) - Math.max(this.starts[i], windowStart);
      if (overlap > 0) busy += overlap;
    }
    return Math.min(1, busy / (span * this.cores));
  }

  /** Jobs queued or running whose callbacks have not run yet. */
  get pending(): number {
    return this.pendingJobs;
  }

  /** When all work queued so far will be done (now, when idle). */
  idleAt(): number {
    let latest = this.kernel.now() as number;
    for (let core = 0; core < this.cores; core++) latest = Math.max(latest, this.coreFreeAt[core]);
    return latest;
  }

  /** The host died: queued and running work is dropped and the cores stop now. */
  crash(): void {
    const now = this.kernel.now();
    this.epoch++;
    this.pendingJobs = 0;
    this.coreFreeAt.fill(now);
    // Work that had not started never ran; running work stopped now.
    let kept = this.head;
    for (let i = this.head; i < this.tail; i++) {
      if (this.starts[i] >= now) continue;
      this.starts[kept] = this.starts[i];
      this.ends[kept] = Math.min(this.ends[i], now);
      kept++;
    }
    this.tail = kept;
    this.invariants();
  }

  invariants(): void {
    const now = this.kernel.now();
    assert(this.pendingJobs >= 0, `cpu ${this.owner}: negative pending count`);
    assert(this.head <= this.tail && this.tail <= this.starts.length, `cpu ${this.owner}: interval ring out of bounds`);
    for (let i = this.head + 1; i < this.tail; i++) assert(this.starts[i - 1] <= this.starts[i], `cpu ${this.owner}: busy intervals out of order`);
    if (this.pendingJobs === 0) for (let core = 0; core < this.cores; core++) assert(this.coreFreeAt[core] <= now, `cpu ${this.owner}: idle but a core is busy`);
  }

  private earliestFreeCore(): number {
    let best = 0;
    for (let core = 1; core < this.cores; core++) if (this.coreFreeAt[core] < this.coreFreeAt[best]) best = core;
    return best;
  }

  private recordBusy(start: number, end: number): void {
    if (this.tail === this.starts.length) this.makeRoom();
    this.starts[this.tail] = start;
    this.ends[this.tail] = end;
    this.tail++;
  }

  /** Compacts the live intervals to the front, doubling the arrays when they are over half full. */
  private makeRoom(): void {
    this.prune(Math.max(0, this.kernel.now() - this.window));
    const live = this.tail - this.head;
    if (live * 2 > this.starts.length) {
      const starts = new Float64Array(this.starts.length * 2);
      const ends = new Float64Array(this.ends.length * 2);
      starts.set(this.starts.subarray(this.head, this.tail));
      ends.set(this.ends.subarray(this.head, this.tail));
      this.starts = starts;
      this.ends = ends;
    } else {
      this.starts.copyWithin(0, this.head, this.tail);
      this.ends.copyWithin(0, this.head, this.tail);
    }
    this.head = 0;
    this.tail = live;
  }

  /** Drops intervals from the front that ended before the window. Starts are in order but ends
   *  are not (cores finish out of order), so an old interval behind a long one waits its turn;
   *  it contributes no overlap meanwhile. */
  private prune(windowStart: number): void {
    while (this.head < this.tail && this.ends[this.head] <= windowStart) this.head++;
  }

  private labelFor(label: string): number {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.kernel.labelId(`${this.owner}:cpu:${label}`);
      this.labelIds.set(label, id);
    }
    return id;
  }
}
