// The Hyper-V Replica replication policy (DOMAIN.md rules 1 to 4, numbers table rows 1 to 3, 17),
// with validation that names the offending field.
import { hours, seconds, type Duration } from './units.js';

export const COPY_FREQUENCIES_SECONDS = [30, 300, 900] as const;
export type CopyFrequencySeconds = (typeof COPY_FREQUENCIES_SECONDS)[number];

export const RECOVERY_POINTS_ADDITIONAL_MAX = 24;
export const APP_CONSISTENT_HOURS_MAX = 12;
export const SCHEDULED_START_DELAY_MAX = hours(24);

export type InitialReplicationMethod = 'network-now' | 'network-scheduled' | 'offline-media' | 'existing-vm';
export const INITIAL_REPLICATION_METHODS: readonly InitialReplicationMethod[] = ['network-now', 'network-scheduled', 'offline-media', 'existing-vm'];

export interface HyperVReplicaPolicy {
  readonly copyFrequencySeconds: CopyFrequencySeconds;
  /** Hourly recovery points kept besides the latest (0 to 24). */
  readonly additionalRecoveryPoints: number;
  /** Every k-th hourly point is app-consistent (VSS); 0 disables. Must be below the point count. */
  readonly appConsistentFrequencyHours: number;
  readonly compression: boolean;
  readonly initialReplication: {
    readonly method: InitialReplicationMethod;
    /** For network-scheduled: delay after the enable job starts (at most 24 h). */
    readonly startDelay?: Duration;
    /** For offline-media: how long the media takes to reach the replica site. */
    readonly shippingDelay?: Duration;
  };
  readonly authentication: 'kerberos' | 'certificate';
  readonly deleteReplicaOnDisable: boolean;
}

export const DEFAULT_HYPERV_POLICY: HyperVReplicaPolicy = {
  copyFrequencySeconds: 300,
  additionalRecoveryPoints: 0,
  appConsistentFrequencyHours: 0,
  compression: true,
  initialReplication: { method: 'network-now' },
  authentication: 'kerberos',
  deleteReplicaOnDisable: false,
};

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export function validateHyperVPolicy(policy: HyperVReplicaPolicy, at = 'policy'): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field: `${at}.${field}`, message });
  if (!COPY_FREQUENCIES_SECONDS.includes(policy.copyFrequencySeconds)) {
    fail('copyFrequencySeconds', `must be one of ${COPY_FREQUENCIES_SECONDS.join(', ')} seconds, got ${policy.copyFrequencySeconds}`);
  }
  const points = policy.additionalRecoveryPoints;
  if (!Number.isInteger(points) || points < 0 || points > RECOVERY_POINTS_ADDITIONAL_MAX) {
    fail('additionalRecoveryPoints', `must be an integer from 0 to ${RECOVERY_POINTS_ADDITIONAL_MAX}, got ${points}`);
  }
  const appHours = policy.appConsistentFrequencyHours;
  if (!Number.isInteger(appHours) || appHours < 0 || appHours > APP_CONSISTENT_HOURS_MAX) {
    fail('appConsistentFrequencyHours', `must be 0 (off) or an integer from 1 to ${APP_CONSISTENT_HOURS_MAX}, got ${appHours}`);
  } else if (appHours > 0 && appHours >= points) {
    fail('appConsistentFrequencyHours', `must be below additionalRecoveryPoints (${points}), got ${appHours}`);
  }
  const ir = policy.initialReplication;
  if (!INITIAL_REPLICATION_METHODS.includes(ir.method)) {
    fail('initialReplication.method', `must be one of ${INITIAL_REPLICATION_METHODS.join(', ')}, got ${ir.method}`);
  }
  if (ir.method === 'network-scheduled') {
    if (ir.startDelay === undefined) fail('initialReplication.startDelay', 'is required for network-scheduled');
    else if (ir.startDelay > SCHEDULED_START_DELAY_MAX) fail('initialReplication.startDelay', 'must be at most 24h after the job starts');
  }
  if (ir.method === 'offline-media' && ir.shippingDelay === undefined) fail('initialReplication.shippingDelay', 'is required for offline-media');
  return errors;
}

export const copyInterval = (policy: HyperVReplicaPolicy): Duration => seconds(policy.copyFrequencySeconds);
