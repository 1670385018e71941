// The management requests the Scout services answer (what the configuration server and
// vContinuum ask of the unified agent, the process server and the master target). They arrive
// over the ManagementChannel port.
import type { Instant, ScoutPolicy } from '../../../model/index.js';
import type { TagKind } from './messages.js';

export const SCOUT_AGENT_SERVICE = 'scout-ua';
export const SCOUT_PS_SERVICE = 'scout-ps';
export const SCOUT_MT_SERVICE = 'scout-mt';

export type ScoutResponse = { readonly ok: true; readonly value?: unknown } | { readonly ok: false; readonly error: string };

/** How a pair starts: a full resync (initial replication, block compare), or already in sync. */
export type PairStart = 'full-resync' | 'in-sync';

export type AgentRequest =
  | {
      readonly op: 'protect';
      readonly vmId: string;
      readonly epoch: number;
      readonly processServer: string;
      readonly masterTarget: string;
      readonly policy: ScoutPolicy;
      readonly start: PairStart;
      /** Capture but do not ship until resumed (the reverse pair after a planned failover). */
      readonly paused?: boolean;
    }
  | { readonly op: 'status-all' }
  | { readonly op: 'pause'; readonly vmId: string }
  | { readonly op: 'resume'; readonly vmId: string }
  /** `forced`: the user asked, so it starts now; else a full resync waits for the off-hours
   *  window of the policy (rule 22). */
  | { readonly op: 'start-resync'; readonly vmId: string; readonly reason: string; readonly forced: boolean }
  | { readonly op: 'disk-resized'; readonly vmId: string }
  | { readonly op: 'prepare-planned-failover'; readonly vmId: string }
  | { readonly op: 'remove'; readonly vmId: string }
  | { readonly op: 'quiesce'; readonly vmId: string }
  | { readonly op: 'tag'; readonly vmId: string; readonly name: string; readonly tagKind: TagKind }
  | { readonly op: 'thaw'; readonly vmId: string }
  | { readonly op: 'shutdown-vm'; readonly vmId: string }
  | { readonly op: 'start-vm'; readonly vmId: string }
  | { readonly op: 'vm-running'; readonly vmId: string };

export type ProcessServerRequest =
  | { readonly op: 'add-pair'; readonly vmId: string; readonly epoch: number; readonly agentHost: string; readonly masterTarget: string }
  | { readonly op: 'remove-pair'; readonly vmId: string }
  | { readonly op: 'status' };

/** What to recover to (rule 24): the newest consistent instant, the newest tag, a named tag, an
 *  instant inside the retention window. */
export type RecoveryTarget =
  | { readonly kind: 'latest' }
  | { readonly kind: 'latest-tag' }
  | { readonly kind: 'tag'; readonly name: string }
  | { readonly kind: 'instant'; readonly at: Instant };

export type MasterTargetRequest =
  | {
      readonly op: 'add-pair';
      readonly vmId: string;
      readonly epoch: number;
      readonly processServer: string;
      readonly agentHost: string;
      /** Device ids of the replica disks attached to this master target, in disk order. */
      readonly targetDisks: readonly string[];
      readonly policy: ScoutPolicy;
      /** Set when the replica disks already hold the source image of that instant. */
      readonly inSyncAt?: Instant;
    }
  | { readonly op: 'status-all' }
  | {
      readonly op: 'recover';
      readonly vmId: string;
      readonly target: RecoveryTarget;
      /** Wait (up to this long) for a named tag still on its way (planned failover). */
      readonly waitMicros?: number;
    }
  | { readonly op: 'remove-pair'; readonly vmId: string }
  /** Boots a test copy from a recovery point; the replica and its journal stay untouched. */
  | { readonly op: 'test-failover'; readonly vmId: string; readonly target: RecoveryTarget; readonly network: 'none' | 'isolated' }
  | { readonly op: 'test-cleanup'; readonly vmId: string };
