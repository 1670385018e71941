// The Scout process server (DOMAIN.md rules 18-19, numbers table rows 25-27, 30, 32): it
// accepts each machine's stream from the unified agent in order into its cache, compresses each
// batch (CPU spent on this host through the Cpu port) and forwards the batches in order to the
// master target over the WAN, a window at a time, dropping a batch from the cache once the master
// target confirms it applied and durable. When the cache is full it refuses new batches and tells
// the agent (throttling: the agent's buffer then fills and it falls back to its bitmap); when the
// master target does not answer, the pair is throttled (an alert).
//
// The cache's content is kept in this process (the page cache over the cache volume) and its
// size is accounted against the cache volume's capacity: the host file system's capacity. A
// process-server crash loses the cache (INFERRED: the lab does not model the cache volume's
// on-disk format); the agents are told their stream is lost and resynchronise, so nothing
// acknowledged is lost without a resync being the designed, reported outcome.
import { assert, type Duration, type Instant } from '../../../model/index.js';
import type { Codec, Frame, HostPorts, ManagedService, Transport } from '../../ports.js';
import { open, seal } from '../../data-plane/envelope.js';
import { readStates } from '../../data-plane/persisted-states.js';
import { Retransmitter } from '../../data-plane/retransmitter.js';
import { batchKey, dataRecordCount, type ControlRecord, type DataRecords, type ScoutMessage, type StreamBatch } from './messages.js';
import { contentBytes } from './batch-records.js';
import { RECORD_HEADER_BYTES } from './agent-pair.js';
import { SCOUT_AGENT_SERVICE, SCOUT_MT_SERVICE, SCOUT_PS_SERVICE, type ProcessServerRequest, type ScoutResponse } from './requests.js';

/** Batches forwarded to the master target and not yet confirmed, per pair. */
export const FORWARD_WINDOW = 4;
/** CPU time to compress one MiB (about 200 MB/s per core). */
export const COMPRESS_MICROS_PER_MIB = 5_000;
/** Memory the process server has for batches waiting to be compressed and sent (INFERRED). */
export const PS_MEMORY_BYTES = 16 * 1024 * 1024 * 1024;
/** A pair whose forwarded batch was resent this often is throttled (an MT download failure). */
export const THROTTLE_AFTER_RESENDS = 3;
/** Assumed WAN throughput before a confirmation measures one (10 Mbps). */
const RATE_BYTES_PER_SECOND_INITIAL = 1.25 * 1024 * 1024;

interface CachedBatch {
  readonly generation: number;
  readonly seq: number;
  readonly sealedAt: Instant;
  readonly data: DataRecords;
  readonly control: readonly ControlRecord[];
  readonly bytes: number;
  readonly cachedAt: Instant;
  compressedBytes: number;
  state: 'cached' | 'compressing' | 'sent';
  sentAt: Instant;
}

interface PsPair {
  readonly vmId: string;
  readonly epoch: number;
  readonly agent: string;
  readonly masterTarget: string;
  readonly retx: Retransmitter<number>;
  acceptedGeneration: number;
  acceptedSeq: number;
  /** After a crash the cache is gone: only a new stream starting with a full resync is taken. */
  lost: boolean;
  readonly queue: CachedBatch[];
  /** Bytes of `queue` in the cache. */
  cachedBytes: number;
  throttled: boolean;
  resends: number;
}

interface PersistedPsPair {
  readonly vmId: string;
  readonly epoch: number;
  readonly agentHost: string;
  readonly masterTarget: string;
}

const STATE_DIR = '/scout-ps';
const encoder = new TextEncoder();

export class ProcessServerService implements ManagedService {
  private readonly pairs = new Map<string, PsPair>();
  private readonly transport: Transport;
  private readonly cacheBytesMax: number;
  private cacheBytes = 0;
  private rateBytesPerSecond = RATE_BYTES_PER_SECOND_INITIAL;
  private booted = false;
  private readonly waitingForBoot: Array<() => void> = [];
  readonly stats = { batchesCached: 0, batchesForwarded: 0, batchesConfirmed: 0, bytesIn: 0, bytesOut: 0, cacheFullRefusals: 0, cacheBytesPeak: 0 };

  constructor(
    private readonly ports: HostPorts,
    cacheBytesMax?: number,
  ) {
    this.cacheBytesMax = cacheBytesMax ?? ports.fs.usage().capacityBytes;
    assert(this.cacheBytesMax > 0, `process server ${ports.hostId}: the cache needs a positive size`);
    this.transport = ports.transport(SCOUT_PS_SERVICE);
    this.transport.onReceive((from, frame) => this.onFrame(from, frame));
    this.boot();
  }

  static address(hostId: string): string {
    return `${hostId}/${SCOUT_PS_SERVICE}`;
  }

  private boot(): void {
    const restore = (state: PersistedPsPair) => {
      this.pairs.set(state.vmId, this.makePair(state, true));
      this.ports.tracer.mark('ps-cache-lost');
    };
    readStates(this.ports.fs, STATE_DIR, restore, () => {
      this.booted = true;
      for (const waiting of this.waitingForBoot.splice(0)) waiting();
    });
  }

  private makePair(state: PersistedPsPair, lost: boolean): PsPair {
    const masterTarget = `${state.masterTarget}/${SCOUT_MT_SERVICE}`;
    const pair: PsPair = {
      vmId: state.vmId,
      epoch: state.epoch,
      agent: `${state.agentHost}/${SCOUT_AGENT_SERVICE}`,
      masterTarget,
      retx: new Retransmitter<number>(this.ports.clock, (frame, left) => this.transport.send(masterTarget, frame, () => left()), (_key, attempts) => {
        this.ports.tracer.mark('ps-retransmit');
        pair.resends = Math.max(pair.resends, attempts - 1);
        if (pair.resends >= THROTTLE_AFTER_RESENDS && !pair.throttled) {
          pair.throttled = true;
          this.ports.tracer.mark('ps-pair-throttled');
        }
      }),
      acceptedGeneration: 0,
      acceptedSeq: 0,
      lost,
      queue: [],
      cachedBytes: 0,
      throttled: false,
      resends: 0,
    };
    return pair;
  }

  // --- frames ------------------------------------------------------------------------------------

  private onFrame(from: string, frame: Frame): void {
    const opened = open<ScoutMessage>(this.ports.codec, frame);
    if (!opened.ok) {
      this.ports.tracer.mark(`frame-rejected-${opened.reason}`);
      return;
    }
    const { pairing, epoch, message } = opened.envelope;
    const pair = this.pairs.get(pairing);
    if (pair === undefined || (from !== pair.agent && from !== pair.masterTarget)) {
      this.ports.tracer.mark('frame-rejected-foreign');
      return;
    }
    if (epoch !== pair.epoch) {
      this.ports.tracer.mark('frame-rejected-stale');
      return;
    }
    if (from === pair.agent) this.fromAgent(pair, message);
    else if (message.type === 'applied') this.onApplied(pair, message.generation, message.seq);
  }

  private fromAgent(pair: PsPair, message: ScoutMessage): void {
    if (message.type === 'probe') {
      this.reply(pair, { type: 'probe-reply', nonce: message.nonce, cacheFreeFraction: this.cacheFreeFraction() });
      return;
    }
    if (message.type === 'batch') this.onBatch(pair, message);
  }

  private onBatch(pair: PsPair, batch: StreamBatch): void {
    if (pair.lost) {
      const first = batch.control[0];
      if (batch.seq !== 1 || first === undefined || first.position !== 0 || first.kind !== 'resync-begin' || first.scope !== 'full') {
        this.reply(pair, { type: 'stream-lost', reason: 'the process server lost its cache' });
        return;
      }
      pair.lost = false;
      pair.acceptedGeneration = batch.generation - 1;
    }
    const sameGeneration = batch.generation === pair.acceptedGeneration;
    if (batch.generation < pair.acceptedGeneration || (sameGeneration && batch.seq <= pair.acceptedSeq)) {
      if (sameGeneration) this.reply(pair, { type: 'batch-ack', generation: pair.acceptedGeneration, seq: pair.acceptedSeq });
      return;
    }
    const next = sameGeneration ? batch.seq === pair.acceptedSeq + 1 : batch.seq === 1;
    if (!next) return; // a gap: the agent resends in order
    const bytes = cachedBytes(this.ports.codec, batch);
    if (this.cacheBytes + bytes > this.cacheBytesMax) {
      this.stats.cacheFullRefusals++;
      this.ports.tracer.mark('ps-cache-full');
      this.reply(pair, { type: 'throttle', generation: batch.generation, seq: batch.seq });
      return;
    }
    pair.acceptedGeneration = batch.generation;
    pair.acceptedSeq = batch.seq;
    const now = this.ports.clock.now();
    pair.queue.push({ generation: batch.generation, seq: batch.seq, sealedAt: batch.sealedAt, data: batch.data, control: batch.control, bytes, cachedAt: now, compressedBytes: 0, state: 'cached', sentAt: now });
    this.cacheBytes += bytes;
    pair.cachedBytes += bytes;
    this.stats.batchesCached++;
    this.stats.bytesIn += bytes;
    if (this.cacheBytes > this.stats.cacheBytesPeak) this.stats.cacheBytesPeak = this.cacheBytes;
    this.reply(pair, { type: 'batch-ack', generation: batch.generation, seq: batch.seq });
    this.forward(pair);
  }

  // --- forwarding --------------------------------------------------------------------------------

  /** Compresses and sends the oldest batches of a pair, at most FORWARD_WINDOW in flight. */
  private forward(pair: PsPair): void {
    let inFlight = 0;
    for (const batch of pair.queue) {
      if (inFlight >= FORWARD_WINDOW) return;
      inFlight++;
      if (batch.state !== 'cached') continue;
      batch.state = 'compressing';
      const cost = Math.ceil((batch.bytes * COMPRESS_MICROS_PER_MIB) / (1024 * 1024)) as Duration;
      this.ports.cpu.spend(cost, 'scout-compress', () => this.send(pair, batch));
    }
  }

  private send(pair: PsPair, batch: CachedBatch): void {
    if (this.pairs.get(pair.vmId) !== pair || !pair.queue.includes(batch)) return;
    const compressed = compressedBytes(this.ports.codec, batch);
    batch.compressedBytes = compressed;
    batch.state = 'sent';
    batch.sentAt = this.ports.clock.now();
    this.stats.batchesForwarded++;
    this.stats.bytesOut += compressed;
    const frame = seal(this.ports.codec, pair.vmId, pair.epoch, { type: 'forward', generation: batch.generation, seq: batch.seq, sealedAt: batch.sealedAt, data: batch.data, control: batch.control } satisfies ScoutMessage, compressed);
    // Batches go in parallel down one link: the timeout covers the window's transfer time.
    const timeout = (30_000_000 + Math.ceil((4 * FORWARD_WINDOW * compressed * 1_000_000) / this.rateBytesPerSecond)) as Duration;
    pair.retx.send(batchKey(batch.generation, batch.seq), frame, timeout);
  }

  private onApplied(pair: PsPair, generation: number, seq: number): void {
    const now = this.ports.clock.now();
    while (pair.queue.length > 0) {
      const head = pair.queue[0];
      if (head.generation > generation || (head.generation === generation && head.seq > seq)) break;
      pair.queue.shift();
      pair.retx.acknowledge(batchKey(head.generation, head.seq));
      this.cacheBytes -= head.bytes;
      pair.cachedBytes -= head.bytes;
      this.stats.batchesConfirmed++;
      if (head.state === 'sent' && head.compressedBytes > 64 * 1024) {
        const measured = (head.compressedBytes * 1_000_000) / Math.max(1, now - head.sentAt);
        this.rateBytesPerSecond = Math.max(1024, 0.8 * this.rateBytesPerSecond + 0.2 * measured);
      }
      pair.resends = 0;
      if (pair.throttled) {
        pair.throttled = false;
        this.ports.tracer.mark('ps-pair-throttle-lifted');
      }
    }
    // The pair's own accounting: checking every pair here would cost O(pairs) per confirmation.
    this.pairInvariants(pair);
    this.forward(pair);
  }

  private reply(pair: PsPair, message: ScoutMessage): void {
    this.transport.send(pair.agent, seal(this.ports.codec, pair.vmId, pair.epoch, message, 0));
  }

  // --- management --------------------------------------------------------------------------------

  handleRequest(request: unknown, done: (response: unknown) => void): void {
    if (!this.booted) {
      this.waitingForBoot.push(() => this.handleRequest(request, done));
      return;
    }
    this.handle(request as ProcessServerRequest, done as (response: ScoutResponse) => void);
  }

  private handle(request: ProcessServerRequest, done: (response: ScoutResponse) => void): void {
    switch (request.op) {
      case 'add-pair': {
        const state: PersistedPsPair = { vmId: request.vmId, epoch: request.epoch, agentHost: request.agentHost, masterTarget: request.masterTarget };
        this.dropPair(request.vmId);
        this.pairs.set(request.vmId, this.makePair(state, false));
        const path = `${STATE_DIR}/${request.vmId}.json`;
        this.ports.fs.writeFile(path, encoder.encode(JSON.stringify(state)), (written) => {
          if (!written.ok) return done({ ok: false, error: `process server ${this.ports.hostId} could not persist the pair` });
          this.ports.fs.sync(path, () => done({ ok: true }));
        });
        return;
      }
      case 'remove-pair':
        this.dropPair(request.vmId);
        this.ports.fs.remove(`${STATE_DIR}/${request.vmId}.json`, () => done({ ok: true }));
        return;
      case 'status':
        return done({ ok: true, value: this.status() });
    }
  }

  private dropPair(vmId: string): void {
    const pair = this.pairs.get(vmId);
    if (pair === undefined) return;
    pair.retx.clear();
    for (const batch of pair.queue) this.cacheBytes -= batch.bytes;
    this.pairs.delete(vmId);
  }

  cacheFreeFraction(): number {
    return Math.max(0, 1 - this.cacheBytes / this.cacheBytesMax);
  }

  /** What the configuration server's health evaluation reads (numbers table row 32). */
  status(): ProcessServerStatus {
    const now = this.ports.clock.now();
    let oldest: Instant | null = null;
    let waiting = 0;
    const pairs: Array<{ vmId: string; cachedBatches: number; throttled: boolean; backlogMicros: number }> = [];
    for (const pair of this.pairs.values()) {
      const head = pair.queue[0];
      if (head !== undefined && (oldest === null || head.cachedAt < oldest)) oldest = head.cachedAt;
      for (const batch of pair.queue) if (batch.state !== 'sent') waiting += batch.bytes;
      pairs.push({ vmId: pair.vmId, cachedBatches: pair.queue.length, throttled: pair.throttled, backlogMicros: head === undefined ? 0 : now - head.cachedAt });
    }
    return {
      host: this.ports.hostId,
      cpuUtilisation: this.ports.cpu.utilisation(),
      memoryUtilisation: Math.min(1, waiting / PS_MEMORY_BYTES),
      cacheBytes: this.cacheBytes,
      cacheBytesMax: this.cacheBytesMax,
      cacheFreeFraction: this.cacheFreeFraction(),
      backlogMicros: oldest === null ? 0 : now - oldest,
      pairs,
      ...this.stats,
    };
  }

  stop(): void {
    for (const pair of this.pairs.values()) pair.retx.clear();
  }

  invariants(): void {
    let bytes = 0;
    for (const pair of this.pairs.values()) {
      this.pairInvariants(pair);
      bytes += pair.cachedBytes;
    }
    assert(bytes === this.cacheBytes, 'process server: cache accounting is off');
  }

  private pairInvariants(pair: PsPair): void {
    let bytes = 0;
    for (const batch of pair.queue) bytes += batch.bytes;
    if (bytes !== pair.cachedBytes) assert(false, `process server ${this.ports.hostId}: cache accounting of ${pair.vmId} is off`);
    assert(this.cacheBytes <= this.cacheBytesMax && this.cacheBytes >= pair.cachedBytes, 'process server: cache above its size, or below what one pair holds');
  }
}

export interface ProcessServerStatus {
  readonly host: string;
  readonly cpuUtilisation: number;
  readonly memoryUtilisation: number;
  readonly cacheBytes: number;
  readonly cacheBytesMax: number;
  readonly cacheFreeFraction: number;
  readonly backlogMicros: number;
  readonly pairs: ReadonlyArray<{ vmId: string; cachedBatches: number; throttled: boolean; backlogMicros: number }>;
  readonly batchesCached: number;
  readonly batchesForwarded: number;
  readonly batchesConfirmed: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly cacheFullRefusals: number;
  readonly cacheBytesPeak: number;
}

/** Bytes a batch takes in the cache: a header per record, the data content, compare checksums. */
function cachedBytes(codec: Codec, batch: StreamBatch): number {
  const { data, control } = batch;
  return RECORD_HEADER_BYTES * (dataRecordCount(data) + control.length) + (data.content === null ? 0 : codec.sizeBytes(data.content)) + checksumBytes(control);
}

/** Bytes a batch takes on the wire: as in the cache, with each data record compressed. */
function compressedBytes(codec: Codec, batch: CachedBatch): number {
  const { data, control } = batch;
  return RECORD_HEADER_BYTES * (dataRecordCount(data) + control.length) + contentBytes(codec, data).compressed + checksumBytes(control);
}

function checksumBytes(control: readonly ControlRecord[]): number {
  let bytes = 0;
  for (const record of control) if (record.kind === 'compare') bytes += 4 * record.checksums.length;
  return bytes;
}
