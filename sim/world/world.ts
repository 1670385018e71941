// The world: one simulated deployment built from a topology. It owns the kernel, the seeded
// streams, the network, the hosts with their file systems and CPUs, every virtual disk (the VMs'
// disks at the primary site and their replicas), the guests with their workloads and the truth
// of what each guest wrote. Engine software is installed on hosts from outside (scenarios/
// composes the engine; sim/ never imports it), and gets the world only through the ports.
//
// Fault model: whatever the fault plan says, applied through WorldFaults; every component's own
// fault model is stated in its file.
import {
  MICROS_PER_MILLI,
  assert,
  fold32,
  foldString,
  hex32,
  type Duration,
  type Instant,
  type Topology,
} from '../../model/index.js';
import type { BlockDevice, Clock, Entropy, HostPorts, HyperVHostPorts, ManagementChannel, Tracer } from '../../engine/ports.js';
import { Kernel, type RunOutcome } from '../kernel.js';
import { KernelClock } from '../kernel-clock.js';
import { ratio, rootStream, type RandomStream, type Ratio } from '../random.js';
import { RunTracer } from '../tracer.js';
import { Network } from '../network/index.js';
import { VirtualHost, type Service } from '../host/host.js';
import { DENSE_BLOCKS_MAX, DenseLanes, SimCodec, VirtualDisk, WriteIdAllocator, type DenseLane, type DiskMode } from '../disk/index.js';
import { WorkloadGenerator, type WorkloadProfile } from '../workload/index.js';
import { applyFaultPlan, type FaultPlan, type FaultPlanHandle, type FaultUniverse } from '../faults/index.js';
import { Guest } from './guest.js';
import { TestGuest } from './test-guest.js';
import { SimHypervisor } from './hypervisor.js';
import { SimManagementChannel } from './management.js';
import { Couriers } from './offline-media.js';
import { WorldFaults, type OperatorMistakeHandler } from './world-faults.js';

export interface WorldOptions {
  readonly seed: number | string;
  readonly topology: Topology;
  readonly blockSizeBytes: number;
  /** The workload of each VM (the same profile for all when one is given). */
  readonly workload: WorkloadProfile | ((vmId: string) => WorkloadProfile);
  /** Workload batching: one event per VM per tick. */
  readonly tick: Duration;
  /** Where in the tick each VM writes. 'aligned' (the default): every VM ticks at the same
   *  instants. 'spread': VM i (in topology order) ticks at the fraction frac(i * golden ratio) of
   *  the tick, so a population's writes spread over the tick as real guests' do instead of
   *  arriving in one burst (the population benchmarks; a burst of hundreds of VMs at one
   *  instant queues on every link and runs every VM's pipeline step by step in lockstep). A
   *  workload resumed after a pause ticks from the instant it resumes, without its phase. */
  readonly tickPhases?: 'aligned' | 'spread';
  readonly diskMode?: DiskMode;
  /** Replica disks have a volatile write cache (the engine must flush, or write durably).
   *  Default true. */
  readonly replicaWriteCache?: boolean;
  /** Replica disks start as a copy of the primary's base image (existing-VM initial replication). */
  readonly replicasPreSeeded?: boolean;
  readonly vssFailure?: Ratio;
  readonly captureTrace?: boolean;
  readonly keepTraceRecords?: boolean;
  /** Extra block devices attached to hosts (a Scout master target's retention volume), with a
   *  volatile write cache like replica disks. */
  readonly volumes?: readonly VolumeSpec[];
}

export interface VolumeSpec {
  readonly hostId: string;
  readonly deviceId: string;
  readonly sizeBytes: number;
}

/** The fractional part of the golden ratio: multiples of it spread evenly over [0, 1). */
const GOLDEN_RATIO_FRACTION = (Math.sqrt(5) - 1) / 2;

const DISK_LATENCY = {
  readMin: (200 as Duration),
  readMax: (2 * MICROS_PER_MILLI) as Duration,
  writeMin: (200 as Duration),
  writeMax: (2 * MICROS_PER_MILLI) as Duration,
  flush: (1 * MICROS_PER_MILLI) as Duration,
};

export interface ControlPorts {
  readonly clock: Clock;
  readonly tracer: Tracer;
  readonly entropy: Entropy;
  readonly management: ManagementChannel;
}

export class World {
  readonly kernel: Kernel;
  readonly random: RandomStream;
  readonly tracer: RunTracer;
  readonly network: Network;
  readonly codec: SimCodec;
  readonly writeIds = new WriteIdAllocator();
  readonly hosts = new Map<string, VirtualHost>();
  readonly disks = new Map<string, VirtualDisk>();
  readonly guests = new Map<string, Guest>();
  readonly hypervisors = new Map<string, SimHypervisor>();
  readonly management: SimManagementChannel;
  readonly faults: WorldFaults;
  readonly couriers: Couriers;
  private readonly disksByHost = new Map<string, Map<string, string[]>>();
  private readonly controlClock: KernelClock;
  private faultHandle: FaultPlanHandle | null = null;

  constructor(readonly options: WorldOptions) {
    this.kernel = new Kernel({ captureTrace: options.captureTrace });
    this.random = rootStream(options.seed);
    this.tracer = new RunTracer(() => this.kernel.now(), options.keepTraceRecords ?? false);
    this.network = new Network(this.kernel, this.random.fork('network'));
    this.codec = new SimCodec({ blockSizeBytes: options.blockSizeBytes });
    this.buildNetwork(options.topology);
    this.buildHosts(options.topology);
    this.buildVms(options.topology);
    this.buildVolumes(options.volumes ?? []);
    this.management = new SimManagementChannel(this.kernel, this.hosts);
    this.couriers = new Couriers(this.kernel, this.hosts);
    this.controlClock = new KernelClock(this.kernel, 'vault');
    this.faults = new WorldFaults(this);
  }

  // --- construction ----------------------------------------------------------------------------

  private buildNetwork(topology: Topology): void {
    for (const link of topology.links) {
      this.network.addLink({
        id: link.id,
        siteA: link.siteA,
        siteB: link.siteB,
        bandwidthBitsPerSecond: link.bandwidthBitsPerSecond,
        latency: link.latency,
        jitter: link.jitter ?? (0 as Duration),
      });
    }
  }

  private buildHosts(topology: Topology): void {
    for (const spec of topology.hosts) {
      this.network.addNode(spec.id, spec.site);
      const host = new VirtualHost({
        kernel: this.kernel,
        hostId: spec.id,
        siteId: spec.site,
        random: this.random.fork('hosts'),
        fs: { capacityBytes: spec.fsCapacityBytes ?? 2 ** 41 },
        cpu: { cores: spec.cores ?? 8 },
        codec: this.codec,
        tracer: this.tracer.forActor(spec.id),
        transportFor: (hostId, service) => this.network.endpoint(hostId, service),
        deviceFor: (deviceId) => this.disks.get(deviceId),
        powerState: 'on',
      });
      host.onPowerChange((state, cause) => this.powerChanged(host, state, cause));
      this.hosts.set(spec.id, host);
      this.disksByHost.set(spec.id, new Map());
      this.hypervisors.set(
        spec.id,
        new SimHypervisor(this.kernel, host, this.guests, (vmId) => this.disksByHost.get(spec.id)!.get(vmId) ?? [], {
          start: (vmId, hostId, disks) => this.startTestGuest(vmId, hostId, disks),
          stop: (vmId) => this.stopTestGuest(vmId),
          staleCopyHere: (vmId) => this.staleCopyOn(vmId, spec.id),
          stopStaleCopy: (vmId) => this.stopStaleCopy(vmId),
        }),
      );
    }
  }

  private buildVms(topology: Topology): void {
    const blockSize = this.options.blockSizeBytes;
    const diskRandom = this.random.fork('disks');
    topology.vms.forEach((vm, vmIndex) => {
      assert(vm.replicaHost !== undefined, `${vm.id}: the world needs a replica host (placement happens before)`);
      const disks = vm.disks.map((disk) => {
        const blockCount = Math.max(1, Math.ceil(disk.sizeBytes / blockSize));
        const baseBlocks = Math.min(blockCount, Math.ceil(disk.usedBytes / blockSize));
        // Every guest write lands on the primary disk and then, in the same event, in the guest's
        // truth: both dense maps share one array, interleaved, so the second access is no cache miss.
        const lanes = blockCount <= DENSE_BLOCKS_MAX ? new DenseLanes(blockCount, 2) : null;
        const denseLane = lanes === null ? undefined : { lanes, lane: 1 };
        return { blockCount, baseBlocks, baseId: baseBlocks > 0 ? this.writeIds.next() : 0, lanes, denseLane };
      });
      disks.forEach((d, i) => {
        const primaryLane = d.lanes === null ? undefined : { lanes: d.lanes, lane: 0 };
        this.addDisk(vm.id, i, vm.host, d.blockCount, d.baseBlocks > 0 ? { blocks: d.baseBlocks, writeId: d.baseId } : undefined, false, diskRandom, primaryLane);
        const seeded = this.options.replicasPreSeeded && d.baseBlocks > 0;
        this.addDisk(vm.id, i, vm.replicaHost!, d.blockCount, seeded ? { blocks: d.baseBlocks, writeId: d.baseId } : undefined, this.options.replicaWriteCache ?? true, diskRandom);
      });
      const guest = new Guest(
        vm.id,
        this.kernel,
        this.random.fork(`guest/${vm.id}`),
        this.writeIds,
        disks,
        this.diskResolver(vm.id),
        this.options.vssFailure ?? ratio(1, 50),
      );
      const profile = typeof this.options.workload === 'function' ? this.options.workload(vm.id) : this.options.workload;
      guest.generator = new WorkloadGenerator(
        this.kernel,
        this.random.fork(`workload/${vm.id}`),
        { vmId: vm.id, disks: disks.map((d, i) => ({ diskIndex: i, blockCount: d.blockCount, blockSizeBytes: blockSize, usedBlocks: Math.max(d.baseBlocks, 1) })) },
        profile,
        this.options.tick,
        guest,
        this.tickPhase(vmIndex),
      );
      this.guests.set(vm.id, guest);
    });
  }

  /** The phase of VM `vmIndex`'s workload ticks (see WorldOptions.tickPhases). */
  private tickPhase(vmIndex: number): Duration {
    if ((this.options.tickPhases ?? 'aligned') === 'aligned') return 0 as Duration;
    const fraction = (vmIndex * GOLDEN_RATIO_FRACTION) % 1;
    return Math.min(this.options.tick - 1, Math.floor(fraction * this.options.tick)) as Duration;
  }

  private buildVolumes(volumes: readonly VolumeSpec[]): void {
    const random = this.random.fork('volumes');
    for (const volume of volumes) {
      assert(this.hosts.has(volume.hostId) && !this.disks.has(volume.deviceId), `volume ${volume.deviceId}: unknown host or duplicate device`);
      this.disks.set(
        volume.deviceId,
        new VirtualDisk({
          deviceId: volume.deviceId,
          blockSizeBytes: this.options.blockSizeBytes,
          blockCount: Math.max(1, Math.ceil(volume.sizeBytes / this.options.blockSizeBytes)),
          mode: this.options.diskMode ?? 'symbolic',
          writeCache: this.options.replicaWriteCache ?? true,
          latency: DISK_LATENCY,
          kernel: this.kernel,
          random: random.fork(volume.deviceId),
        }),
      );
    }
  }

  /** The guest's way to its disk on a host. It runs for every disk of every batch of writes, so
   *  it remembers what it found instead of building the disk's id and looking it up each time
   *  (disks are only ever added, never replaced or removed). */
  private diskResolver(vmId: string): (hostId: string, index: number) => VirtualDisk {
    const known = new Map<string, VirtualDisk[]>();
    return (hostId, index) => {
      let onHost = known.get(hostId);
      if (onHost === undefined) known.set(hostId, (onHost = []));
      const remembered = onHost[index];
      if (remembered !== undefined) return remembered;
      const disk = this.disks.get(diskId(vmId, index, hostId));
      assert(disk !== undefined, `guest ${vmId}: no disk ${index} on ${hostId}`);
      onHost[index] = disk;
      return disk;
    };
  }

  private addDisk(vmId: string, index: number, hostId: string, blockCount: number, baseImage: { blocks: number; writeId: number } | undefined, writeCache: boolean, random: RandomStream, denseLane?: DenseLane): void {
    const id = diskId(vmId, index, hostId);
    this.disks.set(
      id,
      new VirtualDisk({
        deviceId: id,
        blockSizeBytes: this.options.blockSizeBytes,
        blockCount,
        mode: this.options.diskMode ?? 'symbolic',
        writeCache,
        latency: DISK_LATENCY,
        baseImage,
        kernel: this.kernel,
        random: random.fork(id),
        denseLane,
      }),
    );
    const byVm = this.disksByHost.get(hostId)!;
    if (!byVm.has(vmId)) byVm.set(vmId, []);
    byVm.get(vmId)![index] = id;
  }

  // --- test VMs and stale copies --------------------------------------------------------------

  /** Every write id a test VM ever wrote (none may reach a replica or primary disk). */
  readonly testWriteIds = new Set<number>();
  readonly testGuests = new Map<string, TestGuest>();
  /** Every write id a stale copy wrote (reverse replication must erase them). */
  readonly staleWriteIds = new Set<number>();
  /** Stale copies by VM: the old primary VM started again after an unplanned failover. */
  readonly staleCopies = new Map<string, { readonly guest: TestGuest; readonly hostId: string }>();
  /** Boots per kind, so that a stale copy never shifts the random streams of test guests. */
  private readonly sideBoots = { test: 0, stale: 0 };
  private readonly sideStops = new Map<string, () => void>();

  private startTestGuest(vmId: string, hostId: string, disks: readonly BlockDevice[]): boolean {
    if (this.testGuests.has(vmId)) return false;
    this.testGuests.set(vmId, this.startSideGuest(`test/${vmId}`, vmId, `${vmId} - Test`, hostId, disks, this.testWriteIds));
    return true;
  }

  private stopTestGuest(vmId: string): void {
    this.testGuests.get(vmId)?.stop();
    this.testGuests.delete(vmId);
    this.stopSideGuest(`test/${vmId}`);
  }

  /** An administrator (or the host's automatic start action) boots the VM's old copy on
   *  `hostId`, which holds its disks but is no longer where the VM runs: a split brain the
   *  engine must notice before it makes those disks a replica again. False when the VM runs
   *  there, a copy runs already, the host is down or holds no disks of the VM. */
  startStaleCopy(vmId: string, hostId: string): boolean {
    const host = this.host(hostId);
    const disks = (this.disksByHost.get(hostId)?.get(vmId) ?? []).map((id) => this.disks.get(id)!);
    if (this.staleCopies.has(vmId) || this.guest(vmId).runningOn === hostId || host.state !== 'on' || disks.length === 0) return false;
    const guest = this.startSideGuest(`stale/${vmId}`, vmId, `${vmId} (stale copy)`, hostId, disks, this.staleWriteIds);
    this.staleCopies.set(vmId, { guest, hostId });
    return true;
  }

  /** Whether a stale copy of `vmId` runs on `hostId`. */
  staleCopyOn(vmId: string, hostId: string): boolean {
    return this.staleCopies.get(vmId)?.hostId === hostId;
  }

  stopStaleCopy(vmId: string): void {
    this.staleCopies.get(vmId)?.guest.stop();
    this.staleCopies.delete(vmId);
    this.stopSideGuest(`stale/${vmId}`);
  }

  private startSideGuest(key: string, vmId: string, label: string, hostId: string, disks: readonly BlockDevice[], writtenIds: Set<number>): TestGuest {
    const profile = typeof this.options.workload === 'function' ? this.options.workload(vmId) : this.options.workload;
    const kind = key.startsWith('test/') ? 'test' : 'stale';
    const random = this.random.fork(`${kind === 'test' ? `test-guest/${vmId}` : `stale-copy/${vmId}`}/${this.sideBoots[kind]++}`);
    const guest = new TestGuest(vmId, label, this.kernel, random, this.writeIds, disks, profile, this.options.tick, writtenIds);
    // A side guest dies with its host.
    const unsubscribe = this.host(hostId).onPowerChange((state) => {
      if (state !== 'off') return;
      if (key.startsWith('test/')) this.stopTestGuest(vmId);
      else this.stopStaleCopy(vmId);
    });
    this.sideStops.set(key, unsubscribe);
    return guest;
  }

  private stopSideGuest(key: string): void {
    this.sideStops.get(key)?.();
    this.sideStops.delete(key);
  }

  // --- software --------------------------------------------------------------------------------

  /** Installs engine software on a host; it starts now and again at every boot. */
  install(hostId: string, name: string, start: (ports: HyperVHostPorts) => Service): void {
    const host = this.host(hostId);
    const hypervisor = this.hypervisors.get(hostId)!;
    host.install(name, (ports: HostPorts) =>
      start({
        hostId: ports.hostId,
        clock: ports.clock,
        entropy: ports.entropy,
        tracer: ports.tracer,
        codec: ports.codec,
        fs: ports.fs,
        cpu: ports.cpu,
        transport: (service) => ports.transport(service),
        device: (deviceId) => ports.device(deviceId),
        hypervisor,
        media: this.couriers.portFor(host),
      }),
    );
  }

  /** Ports of the control plane (the Site Recovery vault: it never crashes in this lab). */
  controlPorts(): ControlPorts {
    return { clock: this.controlClock, tracer: this.tracer.forActor('vault'), entropy: this.random.fork('vault'), management: this.management };
  }

  /** Starts every VM on its primary host (its workload begins). */
  startGuests(): void {
    for (const vm of this.options.topology.vms) this.guests.get(vm.id)!.start(vm.host);
  }

  applyFaults(plan: FaultPlan, onMistake?: OperatorMistakeHandler): FaultPlanHandle {
    if (onMistake !== undefined) this.faults.onOperatorMistake = onMistake;
    this.faultHandle = applyFaultPlan(this.kernel, plan, this.faults, ({ fault, phase }) => this.tracer.record('world', `fault-${phase}`, { kind: fault.kind }));
    return this.faultHandle;
  }

  /** Ends the safety phase: pending faults are cancelled and every healable fault healed. */
  healAll(): void {
    this.faultHandle?.healAll();
    this.faults.healEverything();
  }

  run(until: Instant, maxEvents?: number): RunOutcome {
    return this.kernel.run({ until, maxEvents });
  }

  /** The run's trace hash: every kernel event and every engine trace record. */
  traceHash(): string {
    return hex32(fold32(foldString(0x9e3779b9, this.kernel.traceHash), this.tracer.recordHash)) + this.kernel.traceHash;
  }

  faultUniverse(): FaultUniverse {
    const topology = this.options.topology;
    return {
      sites: topology.sites.map((s) => s.id),
      links: topology.links.map((l) => l.id),
      hosts: topology.hosts.map((h) => h.id),
      disks: [...this.disks.values()].map((d) => ({ id: d.deviceId, blockCount: d.blockCount })),
      items: topology.vms.map((v) => v.id),
    };
  }

  // --- lookups ---------------------------------------------------------------------------------

  host(hostId: string): VirtualHost {
    const host = this.hosts.get(hostId);
    assert(host !== undefined, `no host ${hostId}`);
    return host;
  }

  disk(vmId: string, index: number, hostId: string): VirtualDisk {
    const disk = this.disks.get(diskId(vmId, index, hostId));
    assert(disk !== undefined, `no disk ${index} of ${vmId} on ${hostId}`);
    return disk;
  }

  guest(vmId: string): Guest {
    const guest = this.guests.get(vmId);
    assert(guest !== undefined, `no VM ${vmId}`);
    return guest;
  }

  now(): Instant {
    return this.kernel.now();
  }

  private powerChanged(host: VirtualHost, state: 'on' | 'off', cause: string): void {
    this.network.setNodeUp(host.hostId, state === 'on');
    if (state === 'off') {
      const victims = [...this.guests.values()].filter((guest) => guest.runningOn === host.hostId);
      for (const guest of victims) guest.kill();
      this.faults.noteGuestsDown(host.hostId, victims);
    } else {
      this.faults.restartGuests(host.hostId);
    }
    this.tracer.record('world', `host-${cause}`, { host: host.hostId });
  }
}

export const diskId = (vmId: string, index: number, hostId: string): string => `${vmId}/d${index}@${hostId}`;
