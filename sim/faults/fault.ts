// Faults as data (DESIGN.md section 2.6): every fault the world can inject, as plain
// JSON-serialisable objects discriminated by `kind`, and a fault plan as a time-sorted list of
// `{ at, fault }`. fast-check generates and shrinks plans; scenario files state them.
//
// Fault model: this file is the catalogue of the fault model itself. Identifiers (sites, links,
// hosts, disks, process servers, protected items) are the world's names; times, durations and
// offsets are integer microseconds; probabilities are exact ratios.
import type { Duration, Instant } from '../../model/index.js';
import type { Ratio } from '../random.js';

/** Which way a partition cuts: both ways, or only traffic from siteA to siteB (or back). */
export type PartitionDirection = 'both' | 'a-to-b' | 'b-to-a';

// ---------------------------------------------------------------------------------------------
// Network faults

/** The sites stop reaching each other (in `direction`) until a `heal` of the same pair. */
export interface PartitionFault {
  readonly kind: 'partition';
  readonly siteA: string;
  readonly siteB: string;
  readonly direction: PartitionDirection;
}

/** Ends every partition between the two sites (either order). */
export interface HealFault {
  readonly kind: 'heal';
  readonly siteA: string;
  readonly siteB: string;
}

/** The link delivers nothing for `duration`; what was sent waits and is delivered afterwards. */
export interface ClogFault {
  readonly kind: 'clog';
  readonly link: string;
  readonly duration: Duration;
}

/** Each message on the link is dropped with probability `ratio`, for `duration`. */
export interface LossFault {
  readonly kind: 'loss';
  readonly link: string;
  readonly ratio: Ratio;
  readonly duration: Duration;
}

/** Each message on the link is delivered twice with probability `ratio`, for `duration`. */
export interface DuplicationFault {
  readonly kind: 'duplication';
  readonly link: string;
  readonly ratio: Ratio;
  readonly duration: Duration;
}

/** Each message is held back up to `extraDelayMax` with probability `ratio`, so messages overtake one another. */
export interface ReorderingFault {
  readonly kind: 'reordering';
  readonly link: string;
  readonly ratio: Ratio;
  readonly extraDelayMax: Duration;
  readonly duration: Duration;
}

/** Each message is corrupted in flight with probability `ratio`, for `duration` (checksums must catch it). */
export interface CorruptionFault {
  readonly kind: 'corruption';
  readonly link: string;
  readonly ratio: Ratio;
  readonly duration: Duration;
}

/** The link's bandwidth drops to `bandwidthBitsPerSecond` for `duration`. */
export interface ThrottleFault {
  readonly kind: 'throttle';
  readonly link: string;
  readonly bandwidthBitsPerSecond: number;
  readonly duration: Duration;
}

// ---------------------------------------------------------------------------------------------
// Host faults

/** The host's processes die (memory and un-synced file data lost); it restarts after `restartAfter` if given. */
export interface HostCrashFault {
  readonly kind: 'host-crash';
  readonly host: string;
  readonly restartAfter?: Duration;
}

/** Like a crash, and the disks' volatile write caches are lost too (and an armed torn write tears). */
export interface PowerLossFault {
  readonly kind: 'power-loss';
  readonly host: string;
  readonly restartAfter?: Duration;
}

/** A crashed or powered-off host boots again. */
export interface HostRestartFault {
  readonly kind: 'host-restart';
  readonly host: string;
}

/** The host's clock reads `offset` away from true time from now on (0 ends the skew). */
export interface ClockSkewFault {
  readonly kind: 'clock-skew';
  readonly host: string;
  /** Signed integer microseconds; positive means the host's clock runs ahead. */
  readonly offset: number;
}

// ---------------------------------------------------------------------------------------------
// Disk faults (persistent damage: they are never undone, the product must detect and repair)

/** Reading `block` fails with a media error until it is rewritten. */
export interface LatentSectorErrorFault {
  readonly kind: 'latent-sector-error';
  readonly disk: string;
  readonly block: number;
}

/** Arms the disk so the write in flight at its host's next power loss is torn (partly applied). */
export interface TornWriteFault {
  readonly kind: 'torn-write';
  readonly disk: string;
}

/** The disk's next write is acknowledged but never reaches the medium. */
export interface LostWriteFault {
  readonly kind: 'lost-write';
  readonly disk: string;
}

/** `block` silently changes content on the medium. */
export interface BitRotFault {
  readonly kind: 'bit-rot';
  readonly disk: string;
  readonly block: number;
}

/** The disk's next write lands `offsetBlocks` away from where it was addressed (signed, non-zero). */
export interface MisdirectedWriteFault {
  readonly kind: 'misdirected-write';
  readonly disk: string;
  readonly offsetBlocks: number;
}

// ---------------------------------------------------------------------------------------------
// Component and operator faults

/** The process server loses its cache disk's contents (every cached, unforwarded change). */
export interface PsCacheLossFault {
  readonly kind: 'ps-cache-loss';
  readonly processServer: string;
}

/**
 * Operations a careless operator may attempt that the product must refuse (DOMAIN.md rules 7-10,
 * 14, 16, 17): the world attempts the operation on `item`, and the refusal is what is checked.
 */
export const OPERATOR_MISTAKES = [
  'unplanned-failover-while-primary-running',
  'planned-failover-before-initial-replication',
  'planned-failover-during-resync',
  'test-failover-during-resync',
  'second-test-failover',
  'commit-without-failover',
  'reverse-replication-before-commit',
  'failback-without-primary-master-target',
  'master-target-over-disk-limit',
  'recovery-plan-over-group-limit',
] as const;
export type OperatorMistake = (typeof OPERATOR_MISTAKES)[number];

export interface OperatorMistakeFault {
  readonly kind: 'operator-mistake';
  readonly operation: OperatorMistake;
  /** The protected item (VM) the operation targets. */
  readonly item: string;
}

// ---------------------------------------------------------------------------------------------

export type Fault =
  | PartitionFault
  | HealFault
  | ClogFault
  | LossFault
  | DuplicationFault
  | ReorderingFault
  | CorruptionFault
  | ThrottleFault
  | HostCrashFault
  | PowerLossFault
  | HostRestartFault
  | LatentSectorErrorFault
  | TornWriteFault
  | LostWriteFault
  | BitRotFault
  | MisdirectedWriteFault
  | ClockSkewFault
  | PsCacheLossFault
  | OperatorMistakeFault;

export type FaultKind = Fault['kind'];
export type FaultOfKind<K extends FaultKind> = Extract<Fault, { readonly kind: K }>;

export const FAULT_KINDS: readonly FaultKind[] = [
  'partition',
  'heal',
  'clog',
  'loss',
  'duplication',
  'reordering',
  'corruption',
  'throttle',
  'host-crash',
  'power-loss',
  'host-restart',
  'latent-sector-error',
  'torn-write',
  'lost-write',
  'bit-rot',
  'misdirected-write',
  'clock-skew',
  'ps-cache-loss',
  'operator-mistake',
];

/** Faults that last `duration` and are then undone by the applier. */
export type TimedLinkFault = ClogFault | LossFault | DuplicationFault | ReorderingFault | CorruptionFault | ThrottleFault;

export interface FaultPlanEntry {
  readonly at: Instant;
  readonly fault: Fault;
}

/** Faults in the order they are injected (sorted by `at`; equal instants keep their list order). */
export type FaultPlan = readonly FaultPlanEntry[];

/** How long after injection the applier undoes the fault; undefined when it is not undone by itself. */
export function healDelayOf(fault: Fault): Duration | undefined {
  switch (fault.kind) {
    case 'clog':
    case 'loss':
    case 'duplication':
    case 'reordering':
    case 'corruption':
    case 'throttle':
      return fault.duration;
    case 'host-crash':
    case 'power-loss':
      return fault.restartAfter;
    default:
      return undefined;
  }
}

/** A plan sorted by `at`, stable for equal instants. */
export function sortFaultPlan(entries: readonly FaultPlanEntry[]): FaultPlan {
  return [...entries].sort((a, b) => a.at - b.at); // Array.prototype.sort is stable (ES2019)
}
