// The Tracer port: coverage marks and structured records. Records are folded into the run's
// trace hash through the kernel (a zero-delay-free fold: they do not schedule events), so a
// change in what the engine reports is a change in the hash.
//
// Fault model: none.
import { digestValue, foldString, type Instant } from '../model/index.js';
import type { Tracer } from '../engine/ports.js';

export interface TraceRecord {
  readonly time: Instant;
  readonly actor: string;
  readonly kind: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export class RunTracer {
  private readonly markCounts = new Map<string, number>();
  private readonly records: TraceRecord[] = [];
  private hash = 0x1b873593;

  constructor(
    private readonly now: () => Instant,
    private readonly keepRecords: boolean,
  ) {}

  /** A Tracer port for one actor. */
  forActor(actor: string): Tracer {
    return {
      mark: (name) => this.mark(name),
      record: (recordActor, kind, detail) => this.record(recordActor || actor, kind, detail),
    };
  }

  mark(name: string): void {
    this.markCounts.set(name, (this.markCounts.get(name) ?? 0) + 1);
    this.hash = foldString(this.hash, name);
  }

  record(actor: string, kind: string, detail?: Readonly<Record<string, unknown>>): void {
    this.hash = digestValue(detail ?? null, foldString(foldString(this.hash, actor), kind));
    if (this.keepRecords) this.records.push({ time: this.now(), actor, kind, detail });
  }

  /** Marks reached, sorted by name, with how often. */
  marks(): ReadonlyMap<string, number> {
    return new Map([...this.markCounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  reached(name: string): boolean {
    return this.markCounts.has(name);
  }

  get recordHash(): number {
    return this.hash >>> 0;
  }

  get allRecords(): readonly TraceRecord[] {
    return this.records;
  }
}
