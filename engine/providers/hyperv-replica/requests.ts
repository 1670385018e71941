// The management requests a Hyper-V Replica service on a host answers (what VMM and the Site
// Recovery provider ask of a Hyper-V host). They arrive over the ManagementChannel port.
import type { HyperVReplicaPolicy, Instant } from '../../../model/index.js';
import type { StartMode } from './primary-session.js';

export const HVR_SERVICE = 'hvr';

export type HvrRequest =
  | { readonly op: 'enable-primary'; readonly vmId: string; readonly peerHost: string; readonly epoch: number; readonly policy: HyperVReplicaPolicy; readonly start: Exclude<StartMode, { kind: 'restored' }> }
  | {
      readonly op: 'enable-replica';
      readonly vmId: string;
      readonly peerHost: string;
      readonly epoch: number;
      readonly policy: HyperVReplicaPolicy;
      /** Set when the replica disks already hold the primary's image (reverse after a planned failover). */
      readonly inSyncAt?: Instant;
    }
  | { readonly op: 'status'; readonly vmId: string }
  | { readonly op: 'start-resync'; readonly vmId: string }
  | { readonly op: 'pause'; readonly vmId: string }
  | { readonly op: 'resume'; readonly vmId: string }
  | { readonly op: 'prepare-planned-failover'; readonly vmId: string }
  /** `discardable`: keep the failover undoable until commit (unplanned failover, rule 10). */
  | { readonly op: 'failover'; readonly vmId: string; readonly pointId: number | null; readonly discardable?: boolean }
  | { readonly op: 'commit-failover'; readonly vmId: string }
  | { readonly op: 'cancel-failover'; readonly vmId: string }
  | { readonly op: 'cancel-resync'; readonly vmId: string }
  | { readonly op: 'test-failover'; readonly vmId: string; readonly pointId: number | null; readonly network: 'none' | 'isolated' }
  | { readonly op: 'test-cleanup'; readonly vmId: string }
  | { readonly op: 'remove'; readonly vmId: string }
  | { readonly op: 'shutdown-vm'; readonly vmId: string }
  | { readonly op: 'start-vm'; readonly vmId: string }
  | { readonly op: 'vm-running'; readonly vmId: string };

export type HvrResponse = { readonly ok: true; readonly value?: unknown } | { readonly ok: false; readonly error: string };
