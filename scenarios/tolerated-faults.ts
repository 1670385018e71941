// Faults the product claims to tolerate (DESIGN.md section 2.6): a failure under them is a bug.
// Network faults of every kind, host crashes and power losses with restart, clock skew. Disk
// damage on the source (latent sector errors, bit rot, misdirected writes) is not tolerated by
// Hyper-V Replica (it replicates what the guest wrote, and reads the disk for resync), so random
// plans never draw it; dedicated scenarios show its designed outcome.
import type { FaultKind } from '../sim/index.js';

export const TOLERATED_FAULT_KINDS: readonly FaultKind[] = [
  'partition',
  'clog',
  'loss',
  'duplication',
  'reordering',
  'corruption',
  'throttle',
  'host-crash',
  'power-loss',
  'clock-skew',
];
