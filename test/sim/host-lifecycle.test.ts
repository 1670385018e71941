import { describe, expect, it } from 'vitest';
import type {
  Codec,
  Frame,
  FsResult,
  HostPorts,
  BlockRange,
  Extent,
  IoResult,
  ObservableBlockDevice,
  Payload,
  SendResult,
  Transport,
  WriteObserver,
} from '../../engine/ports.js';
import { instant, millis, seconds, type Instant } from '../../model/index.js';
import { Kernel } from '../../sim/kernel.js';
import { NEVER, rootStream } from '../../sim/random.js';
import { RunTracer } from '../../sim/tracer.js';
import { VirtualHost, type PowerCause, type PowerState, type Service } from '../../sim/host/host.js';
import { KernelClock } from '../../sim/kernel-clock.js';
import { SimCpu } from '../../sim/host/cpu.js';
import { SimHostFs } from '../../sim/host/host-fs.js';
import { GuardedClock, GuardedCpu, GuardedFs, type EpochBinding } from '../../sim/host/guarded-ports.js';

// ---------------------------------------------------------------------------------------------
// Small stand-ins for the network and a disk, enough to see what reaches a service.

/** Frames arrive 1 ms after they are sent, at whatever handler the address has then. */
class LoopbackNetwork {
  readonly handlers = new Map<string, (from: string, frame: Frame) => void>();
  constructor(private readonly kernel: Kernel) {}

  transportFor = (hostId: string, service: string): Transport => {
    const address = `${hostId}/${service}`;
    return {
      address,
      send: (to: string, frame: Frame, done?: (result: SendResult) => void) => {
        this.kernel.schedule(millis(1), 'net:deliver', () => this.handlers.get(to)?.(address, frame));
        if (done !== undefined) this.kernel.schedule(0, 'net:accepted', () => done({ ok: true }));
      },
      onReceive: (handler) => this.handlers.set(address, handler),
    };
  };
}

/** Completes every request after 1 ms; tells observers about each write before completing it. */
class LoopbackDisk implements ObservableBlockDevice {
  readonly blockSizeBytes = 4096;
  readonly blockCount = 1024;
  readonly observers = new Set<WriteObserver>();
  constructor(
    private readonly kernel: Kernel,
    readonly deviceId: string,
  ) {}

  read(_start: number, count: number, done: (result: IoResult<Payload>) => void): void {
    this.kernel.schedule(millis(1), 'disk:read', () => done({ ok: true, value: { blockCount: count } }));
  }

  readMany(ranges: readonly BlockRange[], done: (result: IoResult<readonly Payload[]>) => void): void {
    this.kernel.schedule(millis(1), 'disk:read-many', () => done({ ok: true, value: ranges.map((r) => ({ blockCount: r.count })) }));
  }

  write(start: number, payload: Payload, done: (result: IoResult<void>) => void): void {
    this.kernel.schedule(millis(1), 'disk:write', () => {
      for (const observer of this.observers) observer.onWrite(start, payload, this.kernel.now());
      done({ ok: true, value: undefined });
    });
  }

  writeMany(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    this.kernel.schedule(millis(1), 'disk:write-many', () => {
      for (const extent of extents) for (const observer of this.observers) observer.onWrite(extent.start, extent.payload, this.kernel.now());
      done({ ok: true, value: undefined });
    });
  }

  writeManyDurable(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    this.writeMany(extents, done);
  }

  flush(done: (result: IoResult<void>) => void): void {
    this.kernel.schedule(millis(1), 'disk:flush', () => done({ ok: true, value: undefined }));
  }

  attachObserver(observer: WriteObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }
}

const unusedCodec = new Proxy({} as Codec, {
  get: (_, key) => {
    throw new Error(`codec.${String(key)} used in a host test`);
  },
});

function makeWorld(seed = 1) {
  const kernel = new Kernel();
  const network = new LoopbackNetwork(kernel);
  const disk = new LoopbackDisk(kernel, 'vhd-1');
  const tracer = new RunTracer(() => kernel.now(), true);
  const host = new VirtualHost({
    kernel,
    hostId: 'hv-a1',
    siteId: 'primary',
    random: rootStream(seed),
    fs: { capacityBytes: 1 << 20, opLatency: millis(1), syncLatency: millis(5), tearChance: NEVER },
    cpu: { cores: 2 },
    codec: unusedCodec,
    tracer: tracer.forActor('hv-a1'),
    transportFor: network.transportFor,
    deviceFor: (id) => (id === disk.deviceId ? disk : undefined),
  });
  const at = (t: Instant, fn: () => void) => kernel.scheduleAt(t, 'test', fn);
  return { kernel, network, disk, tracer, host, at };
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A service that starts one of everything asynchronous and logs what comes back. */
function busyService(log: string[], instances: HostPorts[]) {
  return (ports: HostPorts): Service => {
    instances.push(ports);
    const me = `#${instances.length}`;
    log.push(`start${me}`);
    if (instances.length === 1) {
      ports.clock.setTimer(seconds(1), 'tick', () => log.push(`timer${me}`));
      ports.fs.append('/hrl/vm1.hrl', bytes('record'), () => log.push(`fs${me}`));
      ports.cpu.spend(seconds(1), 'compress', () => log.push(`cpu${me}`));
      const disk = ports.device('vhd-1');
      disk.attachObserver({ onWrite: () => log.push(`observed${me}`) });
      disk.write(0, { blockCount: 1 }, () => log.push(`disk${me}`));
      const transport = ports.transport('replica-server');
      transport.onReceive(() => log.push(`frame${me}`));
      transport.send('hv-a1/replica-server', { sizeBytes: 10, body: 'hello' }, () => log.push(`sent${me}`));
    }
    return { stop: () => log.push(`stop${me}`) };
  };
}

describe('VirtualHost power epochs', () => {
  it('delivers every kind of callback while the host stays up', () => {
    const { kernel, host } = makeWorld();
    const log: string[] = [];
    host.install('replica-server', busyService(log, []));
    kernel.run();
    expect([...log].sort()).toEqual(['cpu#1', 'disk#1', 'frame#1', 'fs#1', 'observed#1', 'sent#1', 'start#1', 'timer#1']);
    host.invariants();
  });

  it('drops every pending callback of the old epoch on a crash: timers, fs, CPU, disk, observers, frames', () => {
    const { kernel, host, disk, at } = makeWorld();
    const log: string[] = [];
    host.install('replica-server', busyService(log, []));
    host.crash();
    at(instant(20), () => host.powerOn());
    kernel.run();
    // The frame and the disk write still complete in the world; nothing reaches instance #1.
    expect(log).toEqual(['start#1', 'start#2']);
    expect(disk.observers.size).toBe(0);
    expect(host.epoch).toBe(1);
    host.invariants();
  });

  it('a graceful power-off stops services, writes files back, and drops their callbacks too', () => {
    const { kernel, host, at } = makeWorld();
    const log: string[] = [];
    host.install('replica-server', busyService(log, []));
    at(instant(10), () => host.powerOff());
    kernel.run();
    expect(log).toEqual(['start#1', 'sent#1', 'stop#1']);
    expect(host.state).toBe('off');
    expect(new TextDecoder().decode(host.fs.durableContent('/hrl/vm1.hrl'))).toBe('record');
  });

  it('a crash loses un-synced file data and calls no stop()', () => {
    const { kernel, host, at } = makeWorld();
    const log: string[] = [];
    host.install('replica-server', busyService(log, []));
    at(instant(millis(50)), () => host.crash());
    kernel.run();
    expect(log).not.toContain('stop#1');
    expect(host.fs.content('/hrl/vm1.hrl')).toBeUndefined();
  });

  it('restarts every installed service on powerOn with fresh state and a fresh entropy stream', () => {
    const { kernel, host } = makeWorld();
    const starts: Array<{ service: Service & { count: number }; draw: number }> = [];
    host.install('counter', (ports) => {
      const service: Service & { count: number } = { count: 0 };
      ports.clock.setTimer(seconds(1), 'count', () => service.count++);
      starts.push({ service, draw: ports.entropy.next() });
      return service;
    });
    kernel.run();
    expect(starts[0].service.count).toBe(1);
    host.crash();
    expect(host.service('counter')).toBeUndefined();
    host.powerOn();
    expect(starts).toHaveLength(2);
    expect(host.service('counter')).toBe(starts[1].service);
    expect(starts[1].service.count).toBe(0);
    expect(starts[1].draw).not.toBe(starts[0].draw);
    kernel.run();
    expect(starts.map((s) => s.service.count)).toEqual([1, 1]);

    // The same seed gives the same draws; another seed does not.
    const again = makeWorld();
    const other = makeWorld(2);
    const firstDraw = (world: ReturnType<typeof makeWorld>) => {
      let draw = -1;
      world.host.install('counter', (ports) => ((draw = ports.entropy.next()), {}));
      return draw;
    };
    expect(firstDraw(again)).toBe(starts[0].draw);
    expect(firstDraw(other)).not.toBe(starts[0].draw);
  });

  it('tells listeners about power changes and their cause, until they unsubscribe', () => {
    const { host, tracer } = makeWorld();
    const heard: Array<[PowerState, PowerCause]> = [];
    const unsubscribe = host.onPowerChange((state, cause) => heard.push([state, cause]));
    expect(host.powerOn()).toBe(false);
    expect(host.crash()).toBe(true);
    expect(host.crash()).toBe(false);
    expect(host.powerOff()).toBe(false);
    expect(host.powerOn()).toBe(true);
    expect(host.powerOff()).toBe(true);
    unsubscribe();
    host.powerOn();
    expect(heard).toEqual([
      ['off', 'crash'],
      ['on', 'power-on'],
      ['off', 'power-off'],
    ]);
    expect(tracer.allRecords.map((r) => r.kind)).toEqual(['crash', 'power-on', 'power-off', 'power-on']);
    expect(host.epoch).toBe(2);
  });

  it('guard() makes a callback inert once the epoch changes', () => {
    const { host } = makeWorld();
    const calls: number[] = [];
    const guarded = host.guard((n: number) => calls.push(n));
    guarded(1);
    host.powerOff();
    guarded(2);
    host.powerOn();
    guarded(3);
    host.guard((n: number) => calls.push(n))(4);
    expect(calls).toEqual([1, 4]);
  });

  it('ports of an ended epoch change nothing and report the host down to whoever calls them', () => {
    const { kernel, host, network } = makeWorld();
    const instances: HostPorts[] = [];
    host.install('probe', (ports) => (instances.push(ports), {}));
    host.crash();
    host.powerOn();
    const [stale, current] = instances;
    const results: unknown[] = [];
    stale.fs.append('/stale', bytes('x'), (r: FsResult<void>) => results.push(r));
    stale.transport('probe').send('hv-a1/probe', { sizeBytes: 1, body: 'x' }, (r) => results.push(r));
    stale.device('vhd-1').write(0, { blockCount: 1 }, (r) => results.push(r));
    stale.cpu.spend(seconds(1), 'stale', () => results.push('cpu'));
    const timer = stale.clock.setTimer(seconds(1), 'stale', () => results.push('timer'));
    expect(stale.clock.cancelTimer(timer)).toBe(false);
    expect(results).toEqual([]);
    current.fs.append('/live', bytes('y'), (r) => results.push(r));
    kernel.run();
    expect(results).toEqual([
      { ok: false, error: { kind: 'host-down' } },
      { ok: false, reason: 'host-down' },
      { ok: false, error: { kind: 'device-offline' } },
      { ok: true, value: undefined },
    ]);
    expect(host.fs.paths()).toEqual(['/live']);
    expect(network.handlers.size).toBe(0);
  });

  it('keeps the file system down while off and installs without starting', () => {
    const { kernel, host } = makeWorld();
    host.powerOff();
    const started: string[] = [];
    host.install('late', () => (started.push('late'), {}));
    expect(started).toEqual([]);
    let result: FsResult<Uint8Array> | undefined;
    host.fs.readFile('/anything', (r) => (result = r));
    kernel.run();
    expect(result).toEqual({ ok: false, error: { kind: 'host-down' } });
    host.powerOn();
    expect(started).toEqual(['late']);
    host.invariants();
  });

  it('asks for each service endpoint once per host, across reboots', () => {
    const kernel = new Kernel();
    const network = new LoopbackNetwork(kernel);
    const asked: string[] = [];
    const host = new VirtualHost({
      kernel,
      hostId: 'ps-1',
      siteId: 'primary',
      random: rootStream(1),
      fs: { capacityBytes: 1024 },
      cpu: { cores: 1 },
      codec: unusedCodec,
      tracer: new RunTracer(() => kernel.now(), false).forActor('ps-1'),
      transportFor: (hostId, service) => (asked.push(`${hostId}/${service}`), network.transportFor(hostId, service)),
      deviceFor: () => undefined,
      powerState: 'off',
    });
    host.install('process-server', (ports) => {
      expect(ports.transport('process-server').address).toBe('ps-1/process-server');
      expect(() => ports.device('nope')).toThrow(/no device nope/);
      return {};
    });
    host.powerOn();
    host.crash();
    host.powerOn();
    expect(asked).toEqual(['ps-1/process-server']);
  });
});

describe('guarded ports', () => {
  it('drop completions of an ended epoch even when the port beneath does not cancel them', () => {
    const kernel = new Kernel();
    const power = { epoch: 0, atEpochEnd: () => {} };
    const binding: EpochBinding = { power, epoch: 0, kernel, staleLabel: kernel.labelId('stale') };
    const fs = new GuardedFs(binding, new SimHostFs(kernel, 'h', { capacityBytes: 1024 }));
    const cpu = new GuardedCpu(binding, new SimCpu(kernel, 'h', { cores: 1 }));
    const clock = new GuardedClock(binding, new KernelClock(kernel, 'h'));
    const log: string[] = [];
    fs.append('/a', bytes('1'), () => log.push('fs'));
    fs.sync('/a', () => log.push('sync'));
    cpu.spend(seconds(1), 'work', () => log.push('cpu'));
    clock.setTimer(seconds(1), 'timer', () => log.push('timer'));
    kernel.run({ until: instant(millis(1)) });
    expect(log).toEqual(['fs']);
    power.epoch = 1;
    kernel.run();
    expect(log).toEqual(['fs']);
  });
});

describe('VirtualHost clock skew', () => {
  it('skews what now() reads, not how long timers take, and survives a reboot', () => {
    const { kernel, host, at } = makeWorld();
    const readings: Array<[number, number]> = [];
    host.install('clocky', (ports) => {
      ports.clock.setTimer(seconds(1), 'read', () => readings.push([kernel.now(), ports.clock.now()]));
      return {};
    });
    host.setClockSkew(seconds(30));
    kernel.run();
    expect(readings).toEqual([[seconds(1), seconds(31)]]);
    at(instant(seconds(2)), () => host.crash());
    at(instant(seconds(3)), () => host.powerOn());
    kernel.run();
    expect(readings[1]).toEqual([seconds(4), seconds(34)]);
    host.setClockSkew(-seconds(2));
    expect(host.clock.now()).toBe(seconds(2));
  });
});
