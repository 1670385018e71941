// The workload the planner sizes, after loading: every machine expanded from its fleet line, every
// disk with its churn resolved to a per-minute description, the objectives in plain units
// (seconds, bytes, fractions). Nothing here is grown or compressed yet: the plan applies those.
import type { OsFamily } from '../model/index.js';

export type Provider = 'inmage-scout' | 'hyperv-replica';
export type TierTable = 'current' | 'legacy';

export interface BurstShape {
  readonly everySeconds: number;
  readonly lengthSeconds: number;
  readonly multiplier: number;
}

/** A disk's churn stated by parameters; `weights` are the 24 hourly rates relative to the mean. */
export interface ParametricChurn {
  readonly kind: 'parametric';
  readonly meanBytesPerDay: number;
  readonly weights: readonly number[];
  readonly bursts: BurstShape | null;
  readonly hotSet: number | null;
  readonly hotSetShare: number | null;
}

/** A disk's churn measured per minute (bytes per second, one value a minute, scale applied). */
export interface SeriesChurn {
  readonly kind: 'series';
  readonly source: string;
  readonly bytesPerSecond: Float32Array;
}

export type DiskChurn = ParametricChurn | SeriesChurn;

export interface PlannedDisk {
  readonly sizeBytes: number;
  readonly usedBytes: number;
  readonly churn: DiskChurn;
}

export interface PlannedMachine {
  readonly id: string;
  readonly os: OsFamily;
  /** The replication group, or null when the machine stands alone. */
  readonly group: string | null;
  readonly link: string;
  readonly volume: string;
  readonly writeSizeBytes: number;
  readonly disks: readonly PlannedDisk[];
}

export interface PlannedLink {
  readonly id: string;
  /** The link's bandwidth when the file states one (what-if and achievable RPO), else null. */
  readonly bandwidthBitsPerSecond: number | null;
  readonly latencySeconds: number;
}

export interface Workload {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly provider: Provider;
  readonly rpoSeconds: number;
  readonly growth: number;
  readonly percentile: number;
  readonly initialReplicationGoalSeconds: number;
  readonly failback: boolean;
  readonly retentionSeconds: number;
  readonly compression: number;
  readonly tiers: TierTable;
  readonly links: readonly PlannedLink[];
  readonly masterTarget: { readonly ownDisks: number; readonly retentionVolumeBytes: number; readonly retentionIops: number };
  readonly hyperv: { readonly copyFrequencySeconds: 30 | 300 | 900; readonly recoveryPoints: number; readonly volumes: ReadonlyMap<string, number> };
  readonly simulation: { readonly enabled: boolean; readonly seeds: number; readonly sampleMachines: number; readonly blockSizeBytes: number };
  readonly machines: readonly PlannedMachine[];
}
