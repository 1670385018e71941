// One direction of a link: a FIFO transmitter followed by a propagation delay.
//
// Fault model: a frame waits behind earlier frames, transmits for transferDuration(size,
// bandwidth) at the bandwidth in force when it starts, then arrives after latency plus jitter.
// Arrivals are clamped to be no earlier than the previous arrival, so without the reordering
// fault a direction never reorders. At transmission start the link's conditions are drawn from
// its stream, in this order: loss (the frame still uses bandwidth), jitter, reordering (an extra
// delay that escapes the clamp), corruption (a damaged deep copy is delivered; a body with nothing
// to damage is dropped, as a CRC would), duplication (a second copy arrives later). A partitioned
// direction drops frames both when they are offered and when they arrive; a clogged link stops
// transmitting and holds arriving frames, releasing them in order when unclogged. A frame that
// arrives for a down node or an address nobody listens on is dropped.
//
// The sender's `done` fires when its frame leaves the queue and starts transmitting (send-buffer
// semantics): a sender that waits for `done` before its next frame is paced by the link, one that
// does not simply builds a queue. A frame dropped by a partition is acknowledged at once.
import { assert, fold32Int, transferDuration, type Instant } from '../../model/index.js';
import type { Frame, SendResult } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import { BusyHistory } from './busy-history.js';
import { corruptedCopy } from './corruption.js';
import type { Destination, SimEndpoint } from './endpoint.js';
import type { Link } from './link.js';

export type DirectionName = 'a-to-b' | 'b-to-a' | 'lan';

export type DropCause = 'partition' | 'loss' | 'corruption' | 'host-down' | 'no-endpoint';

export const DROP_CAUSES: readonly DropCause[] = ['partition', 'loss', 'corruption', 'host-down', 'no-endpoint'];

/** A frame accepted from a sender and not yet transmitted. */
export interface Transmission {
  readonly from: SimEndpoint;
  readonly to: Destination;
  readonly frame: Frame;
  readonly done: ((result: SendResult) => void) | undefined;
  /** Trace digest of the frame: size, sender, addressee. */
  readonly digest: number;
}

export interface DirectionCounters {
  bytesSent: number;
  framesSent: number;
  bytesDelivered: number;
  framesDelivered: number;
  framesDuplicated: number;
  framesReordered: number;
  framesCorrupted: number;
  framesHeld: number;
  framesDropped: Record<DropCause, number>;
}

const ACCEPTED: SendResult = Object.freeze({ ok: true });
/** The backlog array is compacted once this many taken entries sit at its front. */
const QUEUE_COMPACT_AT = 1024;

export class LinkDirection {
  partitioned = false;
  readonly counters: DirectionCounters = {
    bytesSent: 0,
    framesSent: 0,
    bytesDelivered: 0,
    framesDelivered: 0,
    framesDuplicated: 0,
    framesReordered: 0,
    framesCorrupted: 0,
    framesHeld: 0,
    framesDropped: { partition: 0, loss: 0, corruption: 0, 'host-down': 0, 'no-endpoint': 0 },
  };
  readonly busy = new BusyHistory();
  queueBytesMax = 0;
  private readonly waiting: Transmission[] = [];
  private head = 0;
  private queueBytesNow = 0;
  private transmitPending = false;
  private busyUntil = 0;
  private lastArrival = 0;
  /** Frames that arrived while the link was clogged, in arrival order. */
  private held: Array<{ readonly item: Transmission; readonly frame: Frame }> = [];
  private releasePending = false;
  private readonly deliverLabel: number;
  private readonly transmitLabel: number;
  private readonly releaseLabel: number;
  private readonly doneLabel: number;

  constructor(
    private readonly kernel: Kernel,
    readonly link: Link,
    readonly name: DirectionName,
    readonly fromSite: string,
    readonly toSite: string,
  ) {
    this.deliverLabel = kernel.labelId(`net:${link.id}:deliver`);
    this.transmitLabel = kernel.labelId(`net:${link.id}:transmit`);
    this.releaseLabel = kernel.labelId(`net:${link.id}:release`);
    this.doneLabel = kernel.labelId('net:send-done');
  }

  /** Bytes waiting to start transmitting. */
  get queueBytes(): number {
    return this.queueBytesNow;
  }

  get queueFrames(): number {
    return this.waiting.length - this.head;
  }

  /** Takes a frame from a sender. */
  accept(item: Transmission): void {
    if (this.partitioned) {
      this.acknowledge(item);
      this.counters.framesDropped.partition++;
      return;
    }
    if (this.canTransmitAtOnce()) {
      this.transmit(item);
      return;
    }
    this.waiting.push(item);
    this.queueBytesNow += item.frame.sizeBytes;
    if (this.queueBytesNow > this.queueBytesMax) this.queueBytesMax = this.queueBytesNow;
    this.scheduleTransmit();
  }

  /** The link was unclogged: release held frames, then go on transmitting. */
  resume(): void {
    if (this.held.length > 0 && !this.releasePending) {
      this.releasePending = true;
      this.kernel.schedule(0, this.releaseLabel, this.onRelease);
    }
    this.scheduleTransmit();
  }

  /** Fraction of [since, now] this direction spent transmitting. */
  utilisation(since: Instant | number = 0): number {
    const now = this.kernel.now();
    assert(since >= 0 && since <= now, `utilisation: ${since} is not in [0, now]`);
    if (since === now) return 0;
    return (this.busy.busyBefore(now) - this.busy.busyBefore(since)) / (now - since);
  }

  /** Busy time up to now. */
  busyMicros(): number {
    return this.busy.busyBefore(this.kernel.now());
  }

  invariants(): void {
    assert(this.head <= this.waiting.length, 'link direction: queue head past its end');
    let bytes = 0;
    for (let i = this.head; i < this.waiting.length; i++) bytes += this.waiting[i].frame.sizeBytes;
    assert(bytes === this.queueBytesNow, `link direction ${this.link.id}/${this.name}: queueBytes ${this.queueBytesNow} != ${bytes} queued`);
    assert(this.queueBytesNow <= this.queueBytesMax, 'link direction: queue above its recorded peak');
    const stalled = this.queueFrames > 0 && !this.transmitPending && !this.link.clogged;
    assert(!stalled, `link direction ${this.link.id}/${this.name}: frames queued with nothing to transmit them`);
    const stranded = this.held.length > 0 && !this.link.clogged && !this.releasePending;
    assert(!stranded, `link direction ${this.link.id}/${this.name}: held frames with no release coming`);
    assert(this.counters.bytesDelivered >= 0 && this.counters.framesSent >= 0, 'link direction: negative counters');
    this.busy.invariants();
  }

  private canTransmitAtOnce(): boolean {
    return !this.link.clogged && !this.transmitPending && this.head === this.waiting.length && this.busyUntil <= this.kernel.now();
  }

  private scheduleTransmit(): void {
    if (this.transmitPending || this.link.clogged || this.head === this.waiting.length) return;
    this.transmitPending = true;
    this.kernel.scheduleAt(Math.max(this.kernel.now(), this.busyUntil) as Instant, this.transmitLabel, this.onTransmit);
  }

  private readonly onTransmit = (): void => {
    this.transmitPending = false;
    if (this.link.clogged || this.head === this.waiting.length) return;
    const item = this.waiting[this.head];
    this.waiting[this.head++] = undefined as unknown as Transmission;
    if (this.head >= QUEUE_COMPACT_AT && this.head * 2 >= this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    this.queueBytesNow -= item.frame.sizeBytes;
    this.transmit(item);
    this.scheduleTransmit();
  };

  private transmit(item: Transmission): void {
    const link = this.link;
    const now = this.kernel.now();
    const size = item.frame.sizeBytes;
    const end = now + transferDuration(size, link.bandwidth);
    this.busy.add(now, end);
    this.busyUntil = end;
    this.counters.bytesSent += size;
    this.counters.framesSent++;
    this.acknowledge(item);
    const random = link.random;
    if (random.chance(link.loss)) {
      this.counters.framesDropped.loss++;
      return;
    }
    let arrival = end + link.latency + (link.jitter > 0 ? random.between(0, link.jitter) : 0);
    if (random.chance(link.reordering)) {
      arrival += random.between(1, link.reorderDelayMax);
      this.counters.framesReordered++;
    } else {
      if (arrival < this.lastArrival) arrival = this.lastArrival;
      this.lastArrival = arrival;
    }
    let frame = item.frame;
    if (random.chance(link.corruption)) {
      const damaged = corruptedCopy(frame.body, random);
      if (damaged === null) {
        this.counters.framesDropped.corruption++;
        return;
      }
      frame = { sizeBytes: size, body: damaged.body };
      this.counters.framesCorrupted++;
    }
    this.scheduleArrival(item, frame, arrival);
    if (random.chance(link.duplication)) {
      this.counters.framesDuplicated++;
      this.scheduleArrival(item, frame, arrival + random.between(1, Math.max(1, link.latency)));
    }
  }

  // Acknowledgements and intact arrivals are kernel calls with an argument, not closures: two
  // events per frame, and a closure each was a visible share of a day's garbage.

  private acknowledge(item: Transmission): void {
    const done = item.done;
    if (done !== undefined) this.kernel.scheduleCall(0, this.doneLabel, done, ACCEPTED, item.digest);
  }

  private scheduleArrival(item: Transmission, frame: Frame, arrival: number): void {
    const intact = frame === item.frame;
    const digest = fold32Int(item.digest, intact ? 0 : 1);
    if (intact) this.kernel.scheduleCallAt(arrival, this.deliverLabel, this.arriveIntact, item, digest);
    else this.kernel.scheduleAt(arrival as Instant, this.deliverLabel, () => this.arrive(item, frame), digest);
  }

  private readonly arriveIntact = (item: Transmission): void => {
    this.arrive(item, item.frame);
  };

  private arrive(item: Transmission, frame: Frame): void {
    // Frames behind held ones wait for them, so a clog never reorders a direction.
    if (this.link.clogged || this.held.length > 0) {
      this.held.push({ item, frame });
      this.counters.framesHeld++;
      return;
    }
    this.deliver(item, frame);
  }

  private readonly onRelease = (): void => {
    this.releasePending = false;
    if (this.link.clogged) return;
    const released = this.held;
    this.held = [];
    for (const { item, frame } of released) this.deliver(item, frame);
  };

  private deliver(item: Transmission, frame: Frame): void {
    const dropped = this.counters.framesDropped;
    if (this.partitioned) {
      dropped.partition++;
      return;
    }
    if (!item.to.node.up) {
      dropped['host-down']++;
      return;
    }
    const handler = item.to.endpoint?.handler ?? null;
    if (handler === null) {
      dropped['no-endpoint']++;
      return;
    }
    this.counters.framesDelivered++;
    this.counters.bytesDelivered += frame.sizeBytes;
    handler(item.from.address, frame);
  }
}
