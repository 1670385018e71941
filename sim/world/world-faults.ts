// The world's FaultTarget: turns fault-plan entries into actions on the network, hosts and
// disks. Disk damage is never undone; link and partition faults are healed by the plan's undo
// events or by healEverything() at the end of the safety phase.
//
// Fault model: exactly the faults of sim/faults/fault.ts. A crashed or powered-off host is
// restarted after `restartAfter` when given; VMs that ran there start again on boot (Hyper-V's
// automatic start action) unless the VM runs elsewhere by then (after a failover).
import { ratio, NEVER } from '../random.js';
import type { FaultTarget } from '../faults/index.js';
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
} from '../faults/fault.js';
import type { Guest } from './guest.js';
import type { World } from './world.js';

export type OperatorMistakeHandler = (fault: OperatorMistakeFault) => void;

export class WorldFaults implements FaultTarget {
  onOperatorMistake: OperatorMistakeHandler = () => undefined;
  private readonly partitions = new Set<string>();
  private readonly restartGuestsOf = new Map<string, Guest[]>();
  private readonly originalBandwidth = new Map<string, number>();

  constructor(private readonly world: World) {}

  // --- network ---------------------------------------------------------------------------------

  partition(fault: PartitionFault): void {
    this.world.network.partition(fault.siteA, fault.siteB, fault.direction);
    this.partitions.add(`${fault.siteA}\u0000${fault.siteB}`);
  }

  heal(fault: HealFault): void {
    this.world.network.heal(fault.siteA, fault.siteB);
    this.partitions.delete(`${fault.siteA}\u0000${fault.siteB}`);
  }

  clog(fault: ClogFault): void {
    this.world.network.clog(fault.link);
  }
  endClog(fault: ClogFault): void {
    this.world.network.unclog(fault.link);
  }
  loss(fault: LossFault): void {
    this.world.network.setLoss(fault.link, ratio(fault.ratio.numerator, fault.ratio.denominator));
  }
  endLoss(fault: LossFault): void {
    this.world.network.setLoss(fault.link, NEVER);
  }
  duplication(fault: DuplicationFault): void {
    this.world.network.setDuplication(fault.link, ratio(fault.ratio.numerator, fault.ratio.denominator));
  }
  endDuplication(fault: DuplicationFault): void {
    this.world.network.setDuplication(fault.link, NEVER);
  }
  reordering(fault: ReorderingFault): void {
    this.world.network.setReordering(fault.link, ratio(fault.ratio.numerator, fault.ratio.denominator), fault.extraDelayMax);
  }
  endReordering(fault: ReorderingFault): void {
    this.world.network.setReordering(fault.link, NEVER, 0 as never);
  }
  corruption(fault: CorruptionFault): void {
    this.world.network.setCorruption(fault.link, ratio(fault.ratio.numerator, fault.ratio.denominator));
  }
  endCorruption(fault: CorruptionFault): void {
    this.world.network.setCorruption(fault.link, NEVER);
  }
  throttle(fault: ThrottleFault): void {
    if (!this.originalBandwidth.has(fault.link)) this.originalBandwidth.set(fault.link, this.world.network.bandwidthOf(fault.link));
    this.world.network.setBandwidth(fault.link, fault.bandwidthBitsPerSecond);
  }
  endThrottle(fault: ThrottleFault): void {
    const original = this.originalBandwidth.get(fault.link);
    if (original !== undefined) this.world.network.setBandwidth(fault.link, original);
    this.originalBandwidth.delete(fault.link);
  }

  // --- hosts -----------------------------------------------------------------------------------

  hostCrash(fault: HostCrashFault): void {
    const host = this.world.host(fault.host);
    if (!host.crash()) return;
    this.scheduleRestart(fault.host, fault.restartAfter);
  }

  powerLoss(fault: PowerLossFault): void {
    const host = this.world.host(fault.host);
    if (!host.crash()) return;
    // Power loss also drops the volatile caches of the disks attached to the host. A guest whose
    // disks these are lost its unflushed writes with them: that is the guest's own exposure,
    // not replication's, so its truth becomes what the disks hold now.
    for (const disk of this.world.disks.values()) if (disk.deviceId.endsWith(`@${fault.host}`)) disk.powerLoss();
    for (const guest of this.world.guests.values()) {
      if (guest.homeHost !== fault.host) continue;
      guest.truths.forEach((truth, i) => truth.rebase(this.world.now(), this.world.disk(guest.vmId, i, fault.host).contentMap()));
      this.world.tracer.record('world', 'guest-truth-rebased-after-power-loss', { vm: guest.vmId });
    }
    this.scheduleRestart(fault.host, fault.restartAfter);
  }

  hostRestart(fault: HostRestartFault): void {
    this.world.host(fault.host).powerOn();
  }

  clockSkew(fault: ClockSkewFault): void {
    this.world.host(fault.host).setClockSkew(fault.offset);
  }

  private scheduleRestart(hostId: string, after: number | undefined): void {
    if (after === undefined) return;
    this.world.kernel.schedule(after, 'fault:auto-restart', () => this.world.host(hostId).powerOn());
  }

  noteGuestsDown(hostId: string, guests: readonly Guest[]): void {
    if (guests.length > 0) this.restartGuestsOf.set(hostId, [...guests]);
  }

  restartGuests(hostId: string): void {
    const guests = this.restartGuestsOf.get(hostId) ?? [];
    this.restartGuestsOf.delete(hostId);
    for (const guest of guests) {
      // The automatic start action boots the VM after the host is up, unless it runs elsewhere.
      this.world.kernel.schedule(30_000_000, 'world:auto-start-vm', () => {
        if (guest.runningOn === null && this.world.host(hostId).state === 'on') guest.start(hostId);
      });
    }
  }

  // --- disks -----------------------------------------------------------------------------------

  latentSectorError(fault: LatentSectorErrorFault): void {
    this.world.disks.get(fault.disk)?.injectLatentSectorError(fault.block);
  }
  tornWrite(fault: TornWriteFault): void {
    this.world.tracer.record('world', 'torn-write-armed', { disk: fault.disk });
  }
  lostWrite(fault: LostWriteFault): void {
    this.world.tracer.record('world', 'lost-write-armed', { disk: fault.disk });
  }
  bitRot(fault: BitRotFault): void {
    this.world.disks.get(fault.disk)?.injectBitRot(fault.block);
  }
  misdirectedWrite(fault: MisdirectedWriteFault): void {
    this.world.disks.get(fault.disk)?.misdirectNextWrite(fault.offsetBlocks);
  }

  // --- components and operators ----------------------------------------------------------------

  psCacheLoss(fault: PsCacheLossFault): void {
    this.world.tracer.record('world', 'ps-cache-loss-ignored', { processServer: fault.processServer });
  }

  operatorMistake(fault: OperatorMistakeFault): void {
    this.onOperatorMistake(fault);
  }

  /** The liveness phase begins: heal every network fault, restart every host that is down. */
  healEverything(): void {
    const network = this.world.network;
    for (const key of this.partitions) {
      const [a, b] = key.split('\u0000');
      network.heal(a, b);
    }
    this.partitions.clear();
    for (const link of network.linkIds()) {
      network.unclog(link);
      network.setLoss(link, NEVER);
      network.setDuplication(link, NEVER);
      network.setCorruption(link, NEVER);
      network.setReordering(link, NEVER, 0 as never);
    }
    for (const [link, bandwidth] of this.originalBandwidth) network.setBandwidth(link, bandwidth);
    this.originalBandwidth.clear();
    for (const host of this.world.hosts.values()) {
      if (host.state === 'off') host.powerOn();
      host.setClockSkew(0);
    }
  }
}
