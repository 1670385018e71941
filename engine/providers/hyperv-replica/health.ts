// Replication health as Hyper-V Replica reports it (DOMAIN.md rule 5, numbers table rows 7-9):
// Critical when it cannot send, replication is paused on the replica, or resync is required;
// else Warning when more than 20% of cycles were missed in the monitoring interval, the last
// synchronisation is more than an hour old, initial replication is incomplete, or replication
// is paused on the primary; else Normal.
import { MICROS_PER_HOUR, hours, type Duration, type Instant } from '../../../model/index.js';
import type { PrimaryPhase } from './primary-session.js';

export type HealthState = 'normal' | 'warning' | 'critical';

export const HEALTH_MONITORING_INTERVAL_DEFAULT = hours(12);
export const MISSED_CYCLES_WARNING_FRACTION = 0.2;
export const LAST_SYNC_WARNING_AGE = hours(1);

export interface HealthInput {
  readonly phase: PrimaryPhase;
  readonly now: Instant;
  /** Instant of the newest log the replica confirmed applied, null before the first. */
  readonly lastSyncedAt: Instant | null;
  /** Cycle outcomes in the monitoring interval: true for a missed cycle. */
  readonly cycleOutcomes: readonly boolean[];
  /** The current transfer has been resent at least this many times (cannot send). */
  readonly sendFailures: number;
}

export interface Health {
  readonly state: HealthState;
  readonly reasons: readonly string[];
}

export function evaluateHealth(input: HealthInput): Health {
  const critical: string[] = [];
  if (input.phase === 'resync-required') critical.push('resynchronization required');
  if (input.sendFailures >= 3) critical.push('replication cannot send changes to the replica server');
  if (critical.length > 0) return { state: 'critical', reasons: critical };
  const warning: string[] = [];
  const missed = input.cycleOutcomes.filter((m) => m).length;
  if (input.cycleOutcomes.length > 0 && missed / input.cycleOutcomes.length > MISSED_CYCLES_WARNING_FRACTION) {
    warning.push(`${missed} of ${input.cycleOutcomes.length} replication cycles missed (more than 20%)`);
  }
  if (input.lastSyncedAt !== null && input.now - input.lastSyncedAt > LAST_SYNC_WARNING_AGE) {
    warning.push(`last synchronised ${((input.now - input.lastSyncedAt) / MICROS_PER_HOUR).toFixed(1)} h ago (more than 1 h)`);
  }
  if (input.phase === 'initial-replication' || input.phase === 'waiting-initial-replication') warning.push('initial replication is not complete');
  if (input.phase === 'resyncing') warning.push('resynchronization in progress');
  if (input.phase === 'paused') warning.push('replication is paused on the primary');
  if (warning.length > 0) return { state: 'warning', reasons: warning };
  return { state: 'normal', reasons: [] };
}

/** A sliding record of cycle outcomes over the monitoring interval. */
export class CycleWindow {
  private readonly times: number[] = [];
  private readonly missed: boolean[] = [];

  constructor(private readonly interval: Duration = HEALTH_MONITORING_INTERVAL_DEFAULT) {}

  record(at: Instant, missed: boolean): void {
    this.times.push(at);
    this.missed.push(missed);
    while (this.times.length > 0 && this.times[0] < at - this.interval) {
      this.times.shift();
      this.missed.shift();
    }
  }

  outcomes(): readonly boolean[] {
    return this.missed;
  }
}
