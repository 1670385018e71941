// A virtual host: a clock, a file system, a CPU and the services (engine components) it runs.
//
// Fault model:
// - Power is 'on' or 'off'. `powerOff()` is graceful: services are told to stop, the file system
//   writes everything back, then the processes die. `crash()` is abrupt: un-synced file data is
//   lost (the last append may tear), queued CPU work and timers vanish, services get no warning.
// - Every power-off or crash ends an epoch. Everything a service was handed runs through ports
//   bound to its epoch (guarded-ports.ts), so no completion, timer, frame or observed write of an
//   old epoch ever reaches a dead instance. `powerOn()` starts every installed service afresh.
// - The host's clock may be skewed against true time (`setClockSkew`); its timers are not.
// - The world hears of power changes through `onPowerChange` (to take the host's network
//   endpoints down and its disks offline); the host itself knows nothing of networks or disks.
import { assert } from '../../model/index.js';
import type { Codec, HostPorts, ObservableBlockDevice, Tracer, Transport } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import { KernelClock } from '../kernel-clock.js';
import type { RandomStream } from '../random.js';
import { SimCpu, type CpuOptions } from './cpu.js';
import { SimHostFs, type HostFsOptions } from './host-fs.js';
import {
  GuardedBlockDevice,
  GuardedClock,
  GuardedCpu,
  GuardedFs,
  GuardedTransport,
  type EpochBinding,
  type PowerEpoch,
} from './guarded-ports.js';

export type PowerState = 'on' | 'off';
export type PowerCause = 'power-on' | 'power-off' | 'crash';

/** A running instance of software on a host. `stop` is called on a graceful power-off only. */
export interface Service {
  stop?(): void;
}

export type ServiceStart = (ports: HostPorts) => Service;

export type PowerListener = (state: PowerState, cause: PowerCause) => void;

export interface VirtualHostOptions {
  readonly kernel: Kernel;
  readonly hostId: string;
  readonly siteId: string;
  /** A parent stream; the host forks its own (`host/<hostId>`) from it. */
  readonly random: RandomStream;
  readonly fs: HostFsOptions;
  readonly cpu: CpuOptions;
  readonly codec: Codec;
  readonly tracer: Tracer;
  /** The network endpoint of `service` on host `hostId`; called once per service per host. */
  readonly transportFor: (hostId: string, service: string) => Transport;
  /** A block device by id, or undefined when no such device exists. */
  readonly deviceFor: (deviceId: string) => ObservableBlockDevice | undefined;
  /** Power state at creation (default 'on'); no listener hears it. */
  readonly powerState?: PowerState;
}

interface RunningService {
  readonly name: string;
  readonly service: Service;
}

export class VirtualHost implements PowerEpoch {
  readonly hostId: string;
  readonly siteId: string;
  readonly clock: KernelClock;
  readonly fs: SimHostFs;
  readonly cpu: SimCpu;
  readonly random: RandomStream;
  private readonly kernel: Kernel;
  private readonly fsCrashRandom: RandomStream;
  private readonly codec: Codec;
  private readonly tracer: Tracer;
  private readonly transportFor: (hostId: string, service: string) => Transport;
  private readonly deviceFor: (deviceId: string) => ObservableBlockDevice | undefined;
  private readonly staleLabel: number;
  private powerState: PowerState;
  private currentEpoch = 0;
  private boots = 0;
  private readonly installed = new Map<string, ServiceStart>();
  private running: RunningService[] = [];
  private epochCleanups: Array<() => void> = [];
  private readonly listeners: PowerListener[] = [];
  private readonly rawTransports = new Map<string, Transport>();
  /** The guarded ports of the current epoch, shared by its services. */
  private epochPorts: { binding: EpochBinding; clock: GuardedClock; fs: GuardedFs; cpu: GuardedCpu } | null = null;

  constructor(options: VirtualHostOptions) {
    this.kernel = options.kernel;
    this.hostId = options.hostId;
    this.siteId = options.siteId;
    this.random = options.random.fork(`host/${options.hostId}`);
    this.fsCrashRandom = this.random.fork('fs-crash');
    this.clock = new KernelClock(options.kernel, options.hostId);
    this.fs = new SimHostFs(options.kernel, options.hostId, options.fs);
    this.cpu = new SimCpu(options.kernel, options.hostId, options.cpu);
    this.codec = options.codec;
    this.tracer = options.tracer;
    this.transportFor = options.transportFor;
    this.deviceFor = options.deviceFor;
    this.staleLabel = options.kernel.labelId(`${options.hostId}:stale-port`);
    this.powerState = options.powerState ?? 'on';
    if (this.powerState === 'on') this.boots = 1;
    else this.fs.setDown(true);
    this.invariants();
  }

  get state(): PowerState {
    return this.powerState;
  }

  /** Increases on every power-off and crash. */
  get epoch(): number {
    return this.currentEpoch;
  }

  atEpochEnd(cleanup: () => void): void {
    this.epochCleanups.push(cleanup);
  }

  /** `fn`, made to do nothing once this host's epoch changes (it powered off or crashed). */
  guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    const epoch = this.currentEpoch;
    return (...args) => {
      if (this.currentEpoch === epoch) fn(...args);
    };
  }

  /** Registers software to run on this host; starts it at once when the host is on. */
  install(name: string, start: ServiceStart): void {
    assert(!this.installed.has(name), `host ${this.hostId}: service ${name} installed twice`);
    this.installed.set(name, start);
    if (this.powerState === 'on') this.startService(name, start);
  }

  /** The running instance of `name`, if the host is on. */
  service(name: string): Service | undefined {
    return this.running.find((running) => running.name === name)?.service;
  }

  onPowerChange(listener: PowerListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  setClockSkew(offsetMicros: number): void {
    this.clock.setSkew(offsetMicros);
  }

  /** Boots the host and starts every installed service; false when it was already on. */
  powerOn(): boolean {
    if (this.powerState === 'on') return false;
    this.powerState = 'on';
    this.boots++;
    this.fs.setDown(false);
    this.tracer.record(this.hostId, 'power-on');
    this.notify('on', 'power-on');
    for (const [name, start] of this.installed) this.startService(name, start);
    this.invariants();
    return true;
  }

  /** Graceful shutdown: services stop, files are written back; false when already off. */
  powerOff(): boolean {
    if (this.powerState === 'off') return false;
    for (let i = this.running.length - 1; i >= 0; i--) this.running[i].service.stop?.();
    this.fs.shutdown();
    this.tracer.record(this.hostId, 'power-off');
    this.endEpoch('power-off');
    return true;
  }

  /** Abrupt power loss; false when the host was already off. */
  crash(): boolean {
    if (this.powerState === 'off') return false;
    this.fs.crash(this.fsCrashRandom);
    this.tracer.record(this.hostId, 'crash');
    this.endEpoch('crash');
    return true;
  }

  invariants(): void {
    assert(this.fs.down === (this.powerState === 'off'), `host ${this.hostId}: file system ${this.fs.down ? 'down' : 'up'} while host ${this.powerState}`);
    if (this.powerState === 'off') {
      assert(this.running.length === 0, `host ${this.hostId}: services running while off`);
      assert(this.clock.pendingTimers === 0, `host ${this.hostId}: timers pending while off`);
      assert(this.cpu.pending === 0, `host ${this.hostId}: CPU work pending while off`);
      assert(this.epochPorts === null && this.epochCleanups.length === 0, `host ${this.hostId}: epoch state left while off`);
    } else {
      assert(this.running.length <= this.installed.size, `host ${this.hostId}: more services running than installed`);
    }
    this.cpu.invariants();
    this.fs.invariants();
  }

  private endEpoch(cause: PowerCause): void {
    this.cpu.crash();
    this.clock.cancelAll();
    this.currentEpoch++;
    const cleanups = this.epochCleanups;
    this.epochCleanups = [];
    for (const cleanup of cleanups) cleanup();
    this.running = [];
    this.epochPorts = null;
    this.fs.setDown(true);
    this.powerState = 'off';
    this.notify('off', cause);
    this.invariants();
  }

  private startService(name: string, start: ServiceStart): void {
    const service = start(this.portsFor(name));
    this.running.push({ name, service });
  }

  private portsFor(service: string): HostPorts {
    const shared = this.sharedPorts();
    const binding = shared.binding;
    return {
      hostId: this.hostId,
      clock: shared.clock,
      fs: shared.fs,
      cpu: shared.cpu,
      entropy: this.random.fork(`entropy/${service}/boot-${this.boots}`),
      tracer: this.tracer,
      codec: this.codec,
      transport: (endpoint) => new GuardedTransport(binding, this.rawTransport(endpoint)),
      device: (deviceId) => new GuardedBlockDevice(binding, this.rawDevice(deviceId)),
    };
  }

  private sharedPorts(): { binding: EpochBinding; clock: GuardedClock; fs: GuardedFs; cpu: GuardedCpu } {
    if (this.epochPorts === null) {
      const binding: EpochBinding = { power: this, epoch: this.currentEpoch, kernel: this.kernel, staleLabel: this.staleLabel };
      this.epochPorts = {
        binding,
        clock: new GuardedClock(binding, this.clock),
        fs: new GuardedFs(binding, this.fs),
        cpu: new GuardedCpu(binding, this.cpu),
      };
    }
    return this.epochPorts;
  }

  private rawTransport(service: string): Transport {
    let transport = this.rawTransports.get(service);
    if (transport === undefined) {
      transport = this.transportFor(this.hostId, service);
      this.rawTransports.set(service, transport);
    }
    return transport;
  }

  private rawDevice(deviceId: string): ObservableBlockDevice {
    const device = this.deviceFor(deviceId);
    assert(device !== undefined, `host ${this.hostId}: no device ${deviceId} is attached`);
    return device;
  }

  private notify(state: PowerState, cause: PowerCause): void {
    for (const listener of [...this.listeners]) listener(state, cause);
  }
}
