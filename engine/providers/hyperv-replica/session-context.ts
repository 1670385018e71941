// What a primary or replica session needs from the per-host service that owns it.
import type { Frame, HyperVHostPorts, ObservableBlockDevice } from '../../ports.js';
import type { HyperVReplicaPolicy } from '../../../model/index.js';
import type { HvrMessage } from './messages.js';

export interface SessionContext {
  readonly ports: HyperVHostPorts;
  /** Seals `message` for this session's pairing and epoch. */
  seal(message: HvrMessage, payloadBytes: number): Frame;
  /** Sends a frame to the session's peer (unreliable; see Retransmitter for reliable sends). */
  /** `left` runs when the frame leaves the local queue (see Retransmitter). */
  sendToPeer(frame: Frame, left?: () => void): void;
  /** Persists the session's durable state; `done(false)` when the host volume failed. */
  persist(state: PersistedSession, done: (ok: boolean) => void): void;
  device(index: number): ObservableBlockDevice;
}

export interface SessionConfig {
  readonly vmId: string;
  readonly epoch: number;
  /** Transport address of the peer service (`host/hvr`). */
  readonly peer: string;
  readonly peerHost: string;
  readonly policy: HyperVReplicaPolicy;
  readonly diskCount: number;
}

export type PersistedSession =
  | {
      readonly role: 'primary';
      readonly config: SessionConfig;
      readonly phase: string;
      readonly nextSeq: number;
      /** True while a log is being written: a crash leaves it not closed cleanly. */
      readonly logOpen: boolean;
      readonly generation: number;
    }
  | {
      readonly role: 'replica';
      readonly config: SessionConfig;
      readonly appliedSeq: number;
      readonly appliedCut: number | null;
      readonly generation: number;
      readonly bulkComplete: boolean;
      /** A log whose apply started and did not finish (set durably before the first write). */
      readonly applyingSeq: number | null;
      /** The replica failed over: it must never take data from the old primary again. */
      readonly failedOver?: boolean;
      /** The failover was cancelled: replication stays stopped across restarts. */
      readonly failoverCancelled?: boolean;
    };
