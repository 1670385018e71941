// The serialised record of one scenario run: what the runner produces, what reports/ renders
// and what `lab run --json` prints (DESIGN.md section 6). Plain JSON data only.
import type { InvariantId, Verdict } from './invariants.js';

export interface RunViolation {
  readonly invariant: InvariantId | 'expectation';
  readonly item: string;
  /** Simulated seconds since the start of the run. */
  readonly atSeconds: number;
  readonly message: string;
}

/** One sample of a time series; `t` is simulated seconds since the start. */
export interface SeriesPoint {
  readonly t: number;
  readonly value: number;
}

export interface ItemSeries {
  readonly item: string;
  /** RPO exposure the engine reports, in seconds (time since the newest applied cut). */
  readonly rpoSeconds: readonly SeriesPoint[];
  /** Bytes of change logs waiting on the primary. */
  readonly backlogBytes: readonly SeriesPoint[];
  /** Lifecycle state sampled over time (for the timeline strip). */
  readonly states: ReadonlyArray<{ readonly t: number; readonly state: string }>;
}

export interface LinkSeries {
  readonly link: string;
  /** Utilisation of the busier direction over each sampling interval, 0..1. */
  readonly utilisation: readonly SeriesPoint[];
}

export interface RecoveryPointRecord {
  readonly item: string;
  /** Simulated seconds of the source instant the point holds. */
  readonly cutSeconds: number;
  readonly appConsistent: boolean;
  readonly kind: string;
  /** Whether the point was verified equal to the source image at its instant. */
  readonly exact: boolean | null;
}

export interface JobRecord {
  readonly id: number;
  readonly kind: string;
  readonly item: string;
  readonly status: string;
  readonly startSeconds: number;
  readonly endSeconds: number | null;
  readonly error?: string;
  readonly steps: ReadonlyArray<{ readonly name: string; readonly startSeconds: number; readonly endSeconds: number | null; readonly status: string }>;
  /** Seconds of source writes lost by this failover (0 for a planned one), when measured. */
  readonly dataLossSeconds?: number;
  readonly dataLossWrites?: number;
}

export interface FaultRecord {
  readonly atSeconds: number;
  readonly kind: string;
  readonly description: string;
  readonly phase: 'inject' | 'heal';
}

export interface RunMetrics {
  readonly dataLossWrites: number;
  readonly rpoSecondsMax: number;
  readonly rpoSecondsP95: number;
  readonly logsApplied: number;
  readonly bytesShipped: number;
  readonly cyclesMissed: number;
  readonly resyncs: number;
  readonly acknowledgedWrites: number;
  readonly events: number;
  readonly simulatedSeconds: number;
  readonly wallSeconds: number;
}

export interface RunRecord {
  readonly scenario: string;
  readonly description: string;
  readonly file: string | null;
  readonly seed: number;
  readonly verdict: Verdict;
  readonly traceHash: string;
  readonly violations: readonly RunViolation[];
  readonly metrics: RunMetrics;
  readonly marks: readonly string[];
  /** Marks the scenario exists to reach but did not. */
  readonly marksMissing: readonly string[];
  readonly replay: string;
  readonly items: readonly ItemSeries[];
  readonly links: readonly LinkSeries[];
  readonly recoveryPoints: readonly RecoveryPointRecord[];
  readonly jobs: readonly JobRecord[];
  readonly faults: readonly FaultRecord[];
  /** Set when the run failed: the first divergent event of two runs, or the error of a crash. */
  readonly diagnosis?: { readonly crash?: string; readonly divergence?: string; readonly shrunkTimeline?: readonly string[] };
  readonly phases: { readonly safetyEndSeconds: number; readonly livenessEndSeconds: number };
  readonly rpoTargetSeconds: number | null;
}

export interface RunSummary {
  readonly runs: readonly RunRecord[];
  readonly passed: number;
  readonly failed: number;
}
