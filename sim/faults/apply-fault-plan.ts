// Applies a fault plan to the world: each fault becomes one kernel event at its instant (label
// `fault:<kind>`, digest of the fault, so the trace hash covers the plan), and each fault that
// lasts (timed link faults, crashes with `restartAfter`) schedules its own undo when injected
// (label `fault-heal:<kind>`).
//
// Fault model: this is the injector. It keeps what is in force (timed faults, partitions, downed
// hosts, clock skews) so that the runner can end the safety phase with `healAll()`; persistent
// disk damage (latent sector errors, bit rot, armed torn, lost and misdirected writes) and
// process-server cache loss are never undone: the product has to detect and repair them.
import { assert, digestValue, unreachable, type Instant } from '../../model/index.js';
import type { EventHandle, Kernel } from '../kernel.js';
import {
  healDelayOf,
  type ClockSkewFault,
  type Fault,
  type FaultPlan,
  type HostCrashFault,
  type PartitionFault,
  type PowerLossFault,
  type TimedLinkFault,
} from './fault.js';
import type { FaultTarget } from './fault-target.js';

export interface AppliedFault {
  /** Position of the fault in the plan. */
  readonly index: number;
  readonly at: Instant;
  readonly fault: Fault;
  /** 'inject' when the fault starts, 'heal' when the applier undoes it. */
  readonly phase: 'inject' | 'heal';
}

export interface FaultPlanHandle {
  /** Number of plan entries injected so far. */
  readonly injectedCount: number;
  /** Cancels the injections that have not happened yet; undoes already scheduled still happen. */
  cancelPending(): void;
  /**
   * Ends the safety phase: cancels pending injections and undoes now every fault still in force
   * (timed link faults, partitions, downed hosts, clock skews). Disk damage stays.
   */
  healAll(): void;
}

const HEAL_DIGEST_SEED = 0x68ea1;

export function applyFaultPlan(kernel: Kernel, plan: FaultPlan, target: FaultTarget, onApplied?: (applied: AppliedFault) => void): FaultPlanHandle {
  for (let i = 1; i < plan.length; i++) assert(plan[i - 1].at <= plan[i].at, `fault plan not sorted by at: entry ${i} (${plan[i].at}) before entry ${i - 1} (${plan[i - 1].at})`);
  assert(plan.length === 0 || plan[0].at >= kernel.now(), `fault plan starts at ${plan[0]?.at}, before now (${kernel.now()})`);

  const pending = new Map<number, EventHandle>();
  const timed = new Map<number, { fault: TimedLinkFault; handle: EventHandle }>();
  // What is in force, keyed by site pair or host, with the plan entry that started it.
  const partitions = new Map<string, { index: number; fault: PartitionFault }>();
  const downHosts = new Map<string, { index: number; fault: HostCrashFault | PowerLossFault; restart: EventHandle | null }>();
  const skewedHosts = new Map<string, { index: number; fault: ClockSkewFault }>();
  let injectedCount = 0;

  const report = (index: number, fault: Fault, phase: AppliedFault['phase']): void => {
    onApplied?.({ index, at: kernel.now(), fault, phase });
  };

  const restartHost = (host: string): void => {
    const down = downHosts.get(host);
    assert(down !== undefined, `fault plan: scheduled restart of ${host}, which is not down`);
    downHosts.delete(host);
    target.hostRestart({ kind: 'host-restart', host });
    report(down.index, down.fault, 'heal');
  };

  const track = (index: number, fault: Fault): void => {
    switch (fault.kind) {
      case 'partition':
        partitions.set(pairKey(fault.siteA, fault.siteB), { index, fault });
        return;
      case 'heal':
        partitions.delete(pairKey(fault.siteA, fault.siteB));
        return;
      case 'host-crash':
      case 'power-loss': {
        const previous = downHosts.get(fault.host);
        if (previous?.restart) kernel.cancel(previous.restart);
        const delay = healDelayOf(fault);
        const restart = delay === undefined ? null : kernel.schedule(delay, `fault-heal:${fault.kind}`, () => restartHost(fault.host), digestValue(fault, HEAL_DIGEST_SEED));
        downHosts.set(fault.host, { index, fault, restart });
        return;
      }
      case 'host-restart': {
        const down = downHosts.get(fault.host);
        if (down?.restart) kernel.cancel(down.restart);
        downHosts.delete(fault.host);
        return;
      }
      case 'clock-skew':
        if (fault.offset === 0) skewedHosts.delete(fault.host);
        else skewedHosts.set(fault.host, { index, fault });
        return;
      default: {
        if (!isTimedLinkFault(fault)) return;
        const handle = kernel.schedule(
          fault.duration,
          `fault-heal:${fault.kind}`,
          () => {
            timed.delete(index);
            undoTimedLinkFault(target, fault);
            report(index, fault, 'heal');
          },
          digestValue(fault, HEAL_DIGEST_SEED),
        );
        timed.set(index, { fault, handle });
      }
    }
  };

  plan.forEach(({ at, fault }, index) => {
    const handle = kernel.scheduleAt(
      at,
      `fault:${fault.kind}`,
      () => {
        pending.delete(index);
        injectedCount++;
        injectFault(target, fault);
        track(index, fault);
        report(index, fault, 'inject');
      },
      digestValue(fault),
    );
    pending.set(index, handle);
  });

  const cancelPending = (): void => {
    for (const handle of pending.values()) kernel.cancel(handle);
    pending.clear();
  };

  return {
    get injectedCount() {
      return injectedCount;
    },
    cancelPending,
    healAll(): void {
      cancelPending();
      for (const [index, { fault, handle }] of timed) {
        kernel.cancel(handle);
        undoTimedLinkFault(target, fault);
        report(index, fault, 'heal');
      }
      timed.clear();
      for (const { index, fault } of partitions.values()) {
        target.heal({ kind: 'heal', siteA: fault.siteA, siteB: fault.siteB });
        report(index, fault, 'heal');
      }
      partitions.clear();
      for (const [host, { index, fault, restart }] of downHosts) {
        if (restart) kernel.cancel(restart);
        target.hostRestart({ kind: 'host-restart', host });
        report(index, fault, 'heal');
      }
      downHosts.clear();
      for (const [host, { index, fault }] of skewedHosts) {
        target.clockSkew({ kind: 'clock-skew', host, offset: 0 });
        report(index, fault, 'heal');
      }
      skewedHosts.clear();
    },
  };
}

/** Calls the target method for `fault`. */
export function injectFault(target: FaultTarget, fault: Fault): void {
  switch (fault.kind) {
    case 'partition':
      return target.partition(fault);
    case 'heal':
      return target.heal(fault);
    case 'clog':
      return target.clog(fault);
    case 'loss':
      return target.loss(fault);
    case 'duplication':
      return target.duplication(fault);
    case 'reordering':
      return target.reordering(fault);
    case 'corruption':
      return target.corruption(fault);
    case 'throttle':
      return target.throttle(fault);
    case 'host-crash':
      return target.hostCrash(fault);
    case 'power-loss':
      return target.powerLoss(fault);
    case 'host-restart':
      return target.hostRestart(fault);
    case 'latent-sector-error':
      return target.latentSectorError(fault);
    case 'torn-write':
      return target.tornWrite(fault);
    case 'lost-write':
      return target.lostWrite(fault);
    case 'bit-rot':
      return target.bitRot(fault);
    case 'misdirected-write':
      return target.misdirectedWrite(fault);
    case 'clock-skew':
      return target.clockSkew(fault);
    case 'ps-cache-loss':
      return target.psCacheLoss(fault);
    case 'operator-mistake':
      return target.operatorMistake(fault);
    default:
      return unreachable(fault, 'injectFault: unknown fault kind');
  }
}

export function isTimedLinkFault(fault: Fault): fault is TimedLinkFault {
  switch (fault.kind) {
    case 'clog':
    case 'loss':
    case 'duplication':
    case 'reordering':
    case 'corruption':
    case 'throttle':
      return true;
    default:
      return false;
  }
}

function undoTimedLinkFault(target: FaultTarget, fault: TimedLinkFault): void {
  switch (fault.kind) {
    case 'clog':
      return target.endClog(fault);
    case 'loss':
      return target.endLoss(fault);
    case 'duplication':
      return target.endDuplication(fault);
    case 'reordering':
      return target.endReordering(fault);
    case 'corruption':
      return target.endCorruption(fault);
    case 'throttle':
      return target.endThrottle(fault);
    default:
      return unreachable(fault, 'undoTimedLinkFault: not a timed link fault');
  }
}

/** Partitions are keyed by the unordered site pair: heal(b, a) ends partition(a, b). */
const pairKey = (siteA: string, siteB: string): string => (siteA < siteB ? `${siteA}\u0000${siteB}` : `${siteB}\u0000${siteA}`);
