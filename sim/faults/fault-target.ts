// What a fault plan drives: the world implements FaultTarget, one method per fault kind, and
// the applier calls them at the planned instants. Faults with a duration (timed link faults) and
// crashes with `restartAfter` are undone by the applier, which calls the matching undo method
// with the very fault object it injected, so the world can tell overlapping faults apart.
//
// Fault model: the methods inject; whether the product tolerates the fault is what runs check.
import type {
  BitRotFault,
  ClockSkewFault,
  ClogFault,
  CorruptionFault,
  DuplicationFault,
  HealFault,
  HostCrashFault,
  HostRestartFault,
  LatentSectorErrorFault,
  LossFault,
  LostWriteFault,
  MisdirectedWriteFault,
  OperatorMistakeFault,
  PartitionFault,
  PowerLossFault,
  PsCacheLossFault,
  ReorderingFault,
  ThrottleFault,
  TornWriteFault,
} from './fault.js';

export interface FaultTarget {
  partition(fault: PartitionFault): void;
  heal(fault: HealFault): void;

  clog(fault: ClogFault): void;
  endClog(fault: ClogFault): void;
  loss(fault: LossFault): void;
  endLoss(fault: LossFault): void;
  duplication(fault: DuplicationFault): void;
  endDuplication(fault: DuplicationFault): void;
  reordering(fault: ReorderingFault): void;
  endReordering(fault: ReorderingFault): void;
  corruption(fault: CorruptionFault): void;
  endCorruption(fault: CorruptionFault): void;
  throttle(fault: ThrottleFault): void;
  endThrottle(fault: ThrottleFault): void;

  hostCrash(fault: HostCrashFault): void;
  powerLoss(fault: PowerLossFault): void;
  /** Boots a crashed or powered-off host (a planned `host-restart`, or the end of `restartAfter`). */
  hostRestart(fault: HostRestartFault): void;
  clockSkew(fault: ClockSkewFault): void;

  latentSectorError(fault: LatentSectorErrorFault): void;
  tornWrite(fault: TornWriteFault): void;
  lostWrite(fault: LostWriteFault): void;
  bitRot(fault: BitRotFault): void;
  misdirectedWrite(fault: MisdirectedWriteFault): void;

  psCacheLoss(fault: PsCacheLossFault): void;
  operatorMistake(fault: OperatorMistakeFault): void;
}
