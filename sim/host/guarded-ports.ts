// Ports bound to one power epoch of a host: what a service instance gets when the host boots.
//
// Fault model: a crash or power-off ends the epoch and with it the process's volatile state. A
// completion, timer, received frame or observed write that arrives after the epoch ended must
// never reach the dead instance, so every callback handed in through these ports is dropped
// unless the host is still in the epoch it was handed in. A call made through a port of an
// ended epoch (only code outside the dead instance can make one) changes nothing; where the
// port has an error channel it reports the host as down, as a later event.
import type {
  BlockRange,
  Clock,
  Cpu,
  Frame,
  FsResult,
  HostFs,
  Extent,
  IoResult,
  ObservableBlockDevice,
  Payload,
  SendResult,
  TimerId,
  Transport,
  WriteObserver,
} from '../../engine/ports.js';
import type { Duration, Instant } from '../../model/index.js';
import type { Kernel } from '../kernel.js';

/** The host's side of the guard: its current epoch and what to undo when that epoch ends. */
export interface PowerEpoch {
  readonly epoch: number;
  /** Runs `cleanup` when the current epoch ends (power-off or crash). */
  atEpochEnd(cleanup: () => void): void;
}

/** What a guarded port needs: the host's epoch, the epoch the port belongs to, and a kernel to
 *  report stale calls on. */
export interface EpochBinding {
  readonly power: PowerEpoch;
  readonly epoch: number;
  readonly kernel: Kernel;
  /** Kernel label id for reports on stale calls. */
  readonly staleLabel: number;
}

const NO_TIMER = 0 as TimerId;
const HOST_DOWN_FS: FsResult<never> = Object.freeze({ ok: false, error: Object.freeze({ kind: 'host-down' }) });
const HOST_DOWN_SEND: SendResult = Object.freeze({ ok: false, reason: 'host-down' });
const DEVICE_OFFLINE: IoResult<never> = Object.freeze({ ok: false, error: Object.freeze({ kind: 'device-offline' }) });

const live = (binding: EpochBinding): boolean => binding.power.epoch === binding.epoch;

/** `fn` made inert once the binding's epoch ends. */
export function guardCallback<A>(binding: EpochBinding, fn: (arg: A) => void): (arg: A) => void {
  return (arg) => {
    if (binding.power.epoch === binding.epoch) fn(arg);
  };
}

function reportStale<T>(binding: EpochBinding, done: (result: T) => void, result: T): void {
  binding.kernel.schedule(0, binding.staleLabel, () => done(result));
}

export class GuardedClock implements Clock {
  constructor(
    private readonly binding: EpochBinding,
    private readonly clock: Clock,
  ) {}

  now(): Instant {
    return this.clock.now();
  }

  setTimer(after: Duration, label: string, fire: () => void): TimerId {
    if (!live(this.binding)) return NO_TIMER;
    const binding = this.binding;
    return this.clock.setTimer(after, label, () => {
      if (binding.power.epoch === binding.epoch) fire();
    });
  }

  cancelTimer(id: TimerId): boolean {
    return live(this.binding) && this.clock.cancelTimer(id);
  }
}

export class GuardedFs implements HostFs {
  constructor(
    private readonly binding: EpochBinding,
    private readonly fs: HostFs,
  ) {}

  append(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    if (live(this.binding)) this.fs.append(path, data, guardCallback(this.binding, done));
    else reportStale(this.binding, done, HOST_DOWN_FS);
  }

  writeFile(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    if (live(this.binding)) this.fs.writeFile(path, data, guardCallback(this.binding, done));
    else reportStale(this.binding, done, HOST_DOWN_FS);
  }

  readFile(path: string, done: (result: FsResult<Uint8Array>) => void): void {
    if (live(this.binding)) this.fs.readFile(path, guardCallback(this.binding, done));
    else reportStale(this.binding, done, HOST_DOWN_FS);
  }

  sync(path: string, done: (result: FsResult<void>) => void): void {
    if (live(this.binding)) this.fs.sync(path, guardCallback(this.binding, done));
    else reportStale(this.binding, done, HOST_DOWN_FS);
  }

  appendDurable(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    if (live(this.binding)) this.fs.appendDurable(path, data, guardCallback(this.binding, done));
    else reportStale(this.binding, done, HOST_DOWN_FS);
  }

  remove(path: string, done: (result: FsResult<void>) => void): void {
    if (live(this.binding)) this.fs.remove(path, guardCallback(this.binding, done));
    else reportStale(this.binding, done, HOST_DOWN_FS);
  }

  list(dir: string, done: (result: FsResult<readonly string[]>) => void): void {
    if (live(this.binding)) this.fs.list(dir, guardCallback(this.binding, done));
    else reportStale(this.binding, done, HOST_DOWN_FS);
  }

  usage(): { readonly usedBytes: number; readonly capacityBytes: number } {
    return this.fs.usage();
  }
}

export class GuardedCpu implements Cpu {
  constructor(
    private readonly binding: EpochBinding,
    private readonly cpu: Cpu,
  ) {}

  spend(cost: Duration, label: string, done: () => void): void {
    if (!live(this.binding)) return; // the work died with the process that queued it
    const binding = this.binding;
    this.cpu.spend(cost, label, () => {
      if (binding.power.epoch === binding.epoch) done();
    });
  }

  utilisation(): number {
    return this.cpu.utilisation();
  }
}

export class GuardedTransport implements Transport {
  readonly address: string;

  constructor(
    private readonly binding: EpochBinding,
    private readonly transport: Transport,
  ) {
    this.address = transport.address;
  }

  send(to: string, frame: Frame, done?: (result: SendResult) => void): void {
    if (live(this.binding)) this.transport.send(to, frame, done === undefined ? undefined : guardCallback(this.binding, done));
    else if (done !== undefined) reportStale(this.binding, done, HOST_DOWN_SEND);
  }

  onReceive(handler: (from: string, frame: Frame) => void): void {
    if (!live(this.binding)) return;
    const binding = this.binding;
    this.transport.onReceive((from, frame) => {
      if (binding.power.epoch === binding.epoch) handler(from, frame);
    });
  }
}

export class GuardedBlockDevice implements ObservableBlockDevice {
  readonly deviceId: string;
  readonly blockSizeBytes: number;
  readonly blockCount: number;

  constructor(
    private readonly binding: EpochBinding,
    private readonly device: ObservableBlockDevice,
  ) {
    this.deviceId = device.deviceId;
    this.blockSizeBytes = device.blockSizeBytes;
    this.blockCount = device.blockCount;
  }

  read(start: number, count: number, done: (result: IoResult<Payload>) => void): void {
    if (live(this.binding)) this.device.read(start, count, guardCallback(this.binding, done));
    else reportStale(this.binding, done, DEVICE_OFFLINE);
  }

  readMany(ranges: readonly BlockRange[], done: (result: IoResult<readonly Payload[]>) => void): void {
    if (live(this.binding)) this.device.readMany(ranges, guardCallback(this.binding, done));
    else reportStale(this.binding, done, DEVICE_OFFLINE);
  }

  write(start: number, payload: Payload, done: (result: IoResult<void>) => void): void {
    if (live(this.binding)) this.device.write(start, payload, guardCallback(this.binding, done));
    else reportStale(this.binding, done, DEVICE_OFFLINE);
  }

  writeMany(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    if (live(this.binding)) this.device.writeMany(extents, guardCallback(this.binding, done));
    else reportStale(this.binding, done, DEVICE_OFFLINE);
  }

  writeManyDurable(extents: readonly Extent[], done: (result: IoResult<void>) => void): void {
    if (live(this.binding)) this.device.writeManyDurable(extents, guardCallback(this.binding, done));
    else reportStale(this.binding, done, DEVICE_OFFLINE);
  }

  flush(done: (result: IoResult<void>) => void): void {
    if (live(this.binding)) this.device.flush(guardCallback(this.binding, done));
    else reportStale(this.binding, done, DEVICE_OFFLINE);
  }

  /** The filter lives in the host's kernel: it is detached when the epoch ends, so the next boot
   *  starts with no stale observers. */
  attachObserver(observer: WriteObserver): () => void {
    if (!live(this.binding)) return () => {};
    const binding = this.binding;
    const detach = this.device.attachObserver({
      onWrite: (start, payload, at) => {
        if (binding.power.epoch === binding.epoch) observer.onWrite(start, payload, at);
      },
    });
    let attached = true;
    const detachOnce = (): void => {
      if (!attached) return;
      attached = false;
      detach();
    };
    this.binding.power.atEpochEnd(detachOnce);
    return detachOnce;
  }
}
