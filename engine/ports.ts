// The ports: the only way the replication engine touches the world (DESIGN.md section 1).
// Every operation that takes time takes a completion callback, placed last, and an
// implementation delivers that callback as a later event, never re-entrantly (section 2.2).
// The simulator implements these in sim/; real node adapters may later live in adapters/node/.
import type { Duration, Instant } from '../model/index.js';

// ---------------------------------------------------------------------------------------------
// Clock and timers

export type TimerId = number & { readonly __brand: 'TimerId' };

export interface Clock {
  /** The local clock of the host the caller runs on (it may be skewed against true time). */
  now(): Instant;
  /** Runs `fire` once, `after` from now, as its own event. `label` names it in the trace. */
  setTimer(after: Duration, label: string, fire: () => void): TimerId;
  /** Cancels a pending timer. Returns false when it already fired or was cancelled. */
  cancelTimer(id: TimerId): boolean;
}

/** The clock shape xstate v5 accepts in `createActor(machine, { clock })`. */
export interface XstateClock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

// ---------------------------------------------------------------------------------------------
// Entropy: the engine's only source of randomness (jitter of retries, ids).

export interface Entropy {
  /** A uniform double in [0, 1) with 53 bits of randomness. */
  next(): number;
  /** A uniform integer in [0, bound). */
  nextInt(bound: number): number;
}

// ---------------------------------------------------------------------------------------------
// Tracer: structured trace records and coverage marks (DESIGN.md section 5).

export interface Tracer {
  /** Records that a named, interesting branch was reached (`hrl-overflow`, `resync-started`). */
  mark(name: string): void;
  /** Records a structured event in the run's trace; `detail` must be JSON-like. */
  record(actor: string, kind: string, detail?: Readonly<Record<string, unknown>>): void;
}

// ---------------------------------------------------------------------------------------------
// Data payloads. The engine never looks inside a payload except through the Codec port: it only
// knows how many blocks it covers. The simulator's payloads are symbolic (write ids) or bytes.

export interface Payload {
  readonly blockCount: number;
}

export interface Codec {
  /** The blocks [offset, offset + count) of `payload`. */
  slice(payload: Payload, offset: number, count: number): Payload;
  /** One payload made of `parts` in order. */
  concat(parts: readonly Payload[]): Payload;
  /** A 32-bit checksum of the whole payload (what a block-compare resync exchanges). */
  checksum(payload: Payload): number;
  /** One 32-bit checksum per block, for block-by-block comparison. */
  blockChecksums(payload: Payload): Uint32Array;
  /** Bytes the payload occupies uncompressed. */
  sizeBytes(payload: Payload): number;
  /** Bytes the payload occupies after compression. The codec's model is a ratio: the result
   *  depends on the payload's uncompressed size only (never on its content), so a caller may
   *  measure one payload of a size and reuse the figure for others of that size. */
  compressedSizeBytes(payload: Payload): number;
  /** A canonical 32-bit digest of a JSON-like message body, payloads included by checksum. */
  digest(body: unknown): number;
  /** An empty append-only buffer of payload content (an .hrl file's data, a batch being built). */
  buffer(): PayloadBuffer;
}

/** Payloads appended one after another and kept as one: appending copies the content, so a log
 *  of thousands of writes holds one growing buffer instead of thousands of payload objects. */
export interface PayloadBuffer {
  /** Blocks appended so far. */
  readonly blockCount: number;
  /** Appends the blocks of `payload` after the others; returns the block offset they start at. */
  append(payload: Payload): number;
  /** Blocks [offset, offset + count) as an immutable payload (later appends never change it). */
  slice(offset: number, count: number): Payload;
}

// ---------------------------------------------------------------------------------------------
// Block devices: virtual disks (VHDs, VMDKs, replica disks, retention volumes).

export type IoError =
  | { readonly kind: 'media-error'; readonly block: number }
  | { readonly kind: 'device-offline' }
  | { readonly kind: 'out-of-range'; readonly block: number };

export type IoResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: IoError };

export interface BlockDevice {
  readonly deviceId: string;
  readonly blockSizeBytes: number;
  readonly blockCount: number;
  /** Reads `count` blocks from `start`. */
  read(start: number, count: number, done: (result: IoResult<Payload>) => void): void;
  /** A scatter-gather read: `count` blocks from each `start`, as one request answered once with
   *  one payload per range, in order (the old content of every block an apply step overwrites).
   *  It fails as a whole when any range fails. */
  readMany(ranges: readonly BlockRange[], done: (result: IoResult<readonly Payload[]>) => void): void;
  /** Writes `payload` at `start`. Completion means the device accepted it into its write cache
   *  (or medium, if it has no volatile cache): only a later flush makes it durable. */
  write(start: number, payload: Payload, done: (result: IoResult<void>) => void): void;
  /** A scatter-gather write: the extents land in order, as one request with one completion
   *  (a batch of guest writes of one tick, or one applied log's coalesced runs). */
  writeMany(extents: readonly Extent[], done: (result: IoResult<void>) => void): void;
  /** writeMany with forced unit access: the extents bypass the volatile cache, so completion
   *  means they are durable. For a device nobody else writes, a writeMany followed at once by a
   *  flush, as one request (an applier that confirms only durable writes). */
  writeManyDurable(extents: readonly Extent[], done: (result: IoResult<void>) => void): void;
  /** A barrier: completes when every write completed before it is durable. */
  flush(done: (result: IoResult<void>) => void): void;
}

export interface Extent {
  readonly start: number;
  readonly payload: Payload;
}

export interface BlockRange {
  readonly start: number;
  readonly count: number;
}

/** Observes writes on a device as a filter driver would (Hyper-V Replica's change tracking, the
 *  Scout unified agent's capture). `onWrite` runs when a guest write completes, before the guest
 *  sees the completion, so tracking can never miss an acknowledged write. */
export interface WriteObserver {
  onWrite(start: number, payload: Payload, at: Instant): void;
}

export interface ObservableBlockDevice extends BlockDevice {
  /** Attaches a filter; returns a function that detaches it. */
  attachObserver(observer: WriteObserver): () => void;
}

// ---------------------------------------------------------------------------------------------
// Host file system: .hrl logs, replica metadata, registries, retention journals. Durability is
// the simulator's fault model: what was not synced may be lost, and the last write may tear.

export type FsError =
  | { readonly kind: 'not-found'; readonly path: string }
  | { readonly kind: 'no-space'; readonly path: string }
  | { readonly kind: 'host-down' }
  | { readonly kind: 'io-error'; readonly path: string; readonly message: string };

export type FsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FsError };

export interface HostFs {
  /** Appends `data` to `path` (created if missing). Volatile until `sync`. */
  append(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void;
  /** Replaces the whole content of `path`. Volatile until `sync`. `data` is handed over: the
   *  caller must not change it afterwards (the file system may keep it as the file's content). */
  writeFile(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void;
  readFile(path: string, done: (result: FsResult<Uint8Array>) => void): void;
  /** Makes every completed append/write of `path` durable. */
  sync(path: string, done: (result: FsResult<void>) => void): void;
  /** An append and then a sync of `path`, as one request: on success the file is durable as of
   *  completion; a failed append is answered with its error (nothing to sync). */
  appendDurable(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void;
  remove(path: string, done: (result: FsResult<void>) => void): void;
  /** Paths under `dir`, sorted. */
  list(dir: string, done: (result: FsResult<readonly string[]>) => void): void;
  /** Bytes used on the volume and its capacity. */
  usage(): { readonly usedBytes: number; readonly capacityBytes: number };
}

// ---------------------------------------------------------------------------------------------
// Transport: unreliable, unordered datagrams between endpoints. The network may delay, drop,
// duplicate, reorder or corrupt a frame; reliability is the engine's job.

export interface Frame {
  /** Size on the wire: what the link's bandwidth is charged for. */
  readonly sizeBytes: number;
  /** The message; JSON-like, payloads inside it are opaque. */
  readonly body: unknown;
}

export type SendResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'host-down' | 'no-route' };

export interface Transport {
  /** This endpoint's address, e.g. `hv-b1/replica-server`. */
  readonly address: string;
  /** Queues `frame` for `to`. `done`, if given, reports only local acceptance, never delivery. */
  send(to: string, frame: Frame, done?: (result: SendResult) => void): void;
  /** The handler for frames that reach this endpoint (one handler; a later call replaces it). */
  onReceive(handler: (from: string, frame: Frame) => void): void;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: engine work that costs host CPU (compression on a process server).

export interface Cpu {
  /** Runs `work` after the host's CPU has spent `cost` on it (queued behind earlier work). */
  spend(cost: Duration, label: string, done: () => void): void;
  /** Busy fraction over the last accounting window, in [0, 1]. */
  utilisation(): number;
}

// ---------------------------------------------------------------------------------------------
// Everything one engine component gets from the host it runs on.

export interface HostPorts {
  readonly hostId: string;
  readonly clock: Clock;
  readonly entropy: Entropy;
  readonly tracer: Tracer;
  readonly codec: Codec;
  readonly fs: HostFs;
  readonly cpu: Cpu;
  /** An endpoint on this host's network interface. */
  transport(service: string): Transport;
  /** A block device attached to this host. */
  device(deviceId: string): ObservableBlockDevice;
}

// ---------------------------------------------------------------------------------------------
// Hypervisor: what the engine asks of the host that runs VMs (Hyper-V host, ESXi host).

export type VmPowerResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'unknown-vm' | 'host-down' | 'no-disks' };

export interface Hypervisor {
  /** Whether the VM is running on this host (guest writes go to this host's copy of its disks). */
  isRunning(vmId: string): boolean;
  /** Whether writes to the VM's disks here come from its guest: running, or shutting down with
   *  writes still in flight. A write at any other time edited a VHD while the VM was off. */
  isGuestWriting(vmId: string): boolean;
  /** Shuts the VM down cleanly; guest writes stop before `done`. */
  shutdown(vmId: string, done: (result: VmPowerResult) => void): void;
  /** Starts the VM on this host from the disks this host holds for it. */
  start(vmId: string, done: (result: VmPowerResult) => void): void;
  /** VSS quiesce: flushes and holds guest writes; `done(false)` when the quiesce failed. */
  quiesce(vmId: string, done: (ok: boolean) => void): void;
  /** Ends a quiesce; held writes go on. */
  thaw(vmId: string): void;
  /** Device ids of the VM's disks on this host, in disk order. */
  diskIds(vmId: string): readonly string[];
  /** Boots the test VM "<vmId> - Test" on this host from `disks` (test failover, DOMAIN.md
   *  rule 8). Its writes go to those devices only; `network` is what it is connected to. */
  startTestVm(vmId: string, disks: readonly BlockDevice[], network: 'none' | 'isolated', done: (result: VmPowerResult) => void): void;
  /** Turns the test VM off and deletes it (test failover cleanup). */
  deleteTestVm(vmId: string, done: (result: VmPowerResult) => void): void;
}

/** Offline media (initial replication by disk shipping, DOMAIN.md rule 2): an export is handed
 *  to a courier and arrives at the destination host after the shipping delay, reliably. */
export interface OfflineMedia {
  ship(toHost: string, label: string, contents: unknown, delay: Duration, done: (result: { ok: boolean }) => void): void;
  /** The handler for media that arrive at this host (one handler; a later call replaces it). */
  onArrival(handler: (label: string, contents: unknown) => void): void;
}

export interface HyperVHostPorts extends HostPorts {
  readonly hypervisor: Hypervisor;
  readonly media: OfflineMedia;
}

// ---------------------------------------------------------------------------------------------
// Management channel: how the control plane (the Site Recovery vault talking to VMM and host
// agents) reaches an engine service on a host. Separate from the data path, as in the product.

export type ManagementResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'host-down' | 'no-service' };

export interface ManagementChannel {
  /** Delivers `request` to `service` on `hostId` as a later event; `done` gets its answer. */
  request(hostId: string, service: string, request: unknown, done: (result: ManagementResult) => void): void;
}

/** What an engine service exposes to the management channel. */
export interface ManagedService {
  handleRequest(request: unknown, done: (response: unknown) => void): void;
  /** Called when the host shuts down gracefully (not on a crash). */
  stop?(): void;
}
