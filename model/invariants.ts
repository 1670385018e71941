// The named invariants of DESIGN.md section 5: each has an id, one sentence of rationale, and
// (in scenarios/checkers/) exactly one checker. Violations carry the id, so a report and a
// replay command can name what broke.

export const INVARIANTS = {
  'planned-failover-zero-loss': "After a planned failover the new primary's disks equal the old primary's disks at shutdown, block for block: the product promises no data loss.",
  'failback-zero-loss': 'Across planned failover, writes on the secondary, reverse replication and failback, every acknowledged write survives, in order.',
  'unplanned-loss-bounded': 'After an unplanned failover the recovered image is the source image at one instant, lost time never exceeds the exposure the engine reported at the failure.',
  'recovery-point-exact': 'Every retained recovery point equals the source image at its instant, and all disks of a VM are cut at one instant.',
  'test-failover-isolation': 'Writes in a test VM never reach the replica or the primary, and replication goes on during the test.',
  'resync-converges': 'After a resync completes the replica equals the source image of the instant it was cut.',
  'tracking-superset': 'Change tracking never misses a write: every acknowledged write reaches the replica by the next applied log.',
  'no-foreign-data': 'Nothing from an unpaired, corrupt or stale sender is applied: a replica only ever holds images the source once had.',
  liveness: 'Once faults heal, every protected item is healthy again and its RPO is within target inside a stated bound.',
  determinism: 'The same seed gives the same trace hash.',
} as const;

export type InvariantId = keyof typeof INVARIANTS;

export interface Violation {
  readonly invariant: InvariantId;
  readonly item: string;
  /** Simulated time of the violation, in microseconds. */
  readonly at: number;
  readonly message: string;
}

export type Verdict = 'pass' | 'correctness' | 'liveness' | 'crash';
