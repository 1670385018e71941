// The guest OS of one VM: it runs from the copy of its disks on one host at a time, and its
// workload generator writes there. Shutting it down drains its writes; a VSS quiesce holds new
// writes until thawed; a crash of its host kills it.
//
// Fault model: the guest dies with its host (writes in flight may still land: they count as
// unacknowledged); a VSS quiesce fails with an exact probability (the product then takes a
// crash-consistent point instead).
import { assert, type Instant } from '../../model/index.js';
import type { Kernel } from '../kernel.js';
import type { RandomStream, Ratio } from '../random.js';
import type { Extent, IoResult } from '../../engine/ports.js';
import { SymbolicPayload, type DenseLane, type VirtualDisk, type WriteIdAllocator } from '../disk/index.js';
import type { WorkloadGenerator, WriteSink } from '../workload/index.js';
import { GuestTruth } from './guest-truth.js';

export interface GuestDisk {
  readonly blockCount: number;
  readonly baseBlocks: number;
  readonly baseId: number;
  /** Where the truth keeps its dense map: a lane shared with the primary disk's content. */
  readonly denseLane?: DenseLane;
}

interface HeldWrite {
  readonly disk: number;
  readonly start: number;
  readonly count: number;
  readonly done: (ok: boolean) => void;
}

/** Write ids per chunk of the guest's id arena (4 KiB). */
const ID_CHUNK = 1024;

/** A write waiting for its instant's batch. It is also the extent handed to the disk, so a write
 *  costs one record, its payload and its ids (millions of writes a simulated day). */
class BatchedWrite implements Extent {
  constructor(
    readonly disk: number,
    readonly start: number,
    readonly payload: SymbolicPayload,
    readonly done: (ok: boolean) => void,
  ) {}
}

/** One disk's share of a submitted batch, waiting for the disk's answer. Records are reused once
 *  answered (a VirtualDisk answers each request exactly once), so that submitting a batch costs
 *  no completion closure and no array per disk. */
class DiskAnswer {
  /** The disk's writes of the batch, in batch order: the extents handed to the disk, and what
   *  its answer applies to. Kept at the exact length (mostly one write, so mostly unchanged from
   *  the record's last use); emptied to nulls once answered, so no answered write stays alive. */
  readonly writes: Array<BatchedWrite | null> = [];
  disk = 0;
  life = 0;
  /** Next free record. */
  free: DiskAnswer | null = null;
  /** The completion handed to the disk: `answered(this, result)`, made once per record. */
  answer: (result: IoResult<void>) => void = () => undefined;
}

export class Guest implements WriteSink {
  private host: string | null = null;
  private life = 0;
  private inFlight = 0;
  private quiesced = false;
  private held: HeldWrite[] = [];
  private drainWaiters: Array<() => void> = [];
  /** The writes of the instant, batch[0, batchLength), gathered in one reused array and handed
   *  out per disk into the answer records' arrays (`length = 0` would give back the room that
   *  the next push allocates again, so slots are overwritten and nulled instead). */
  private readonly batch: Array<BatchedWrite | null> = [];
  private batchLength = 0;
  private batchScheduled = false;
  /** Inside beginWrites/endWrites: the batch is submitted at endWrites, not by an event. */
  private gathering = false;
  private readonly batchLabel: number;
  /** The chunk the ids of the next writes are taken from, and how many of its ids are taken. */
  private idChunk = new Uint32Array(ID_CHUNK);
  private idChunkUsed = 0;
  private freeAnswers: DiskAnswer | null = null;
  generator: WorkloadGenerator | null = null;
  /** Called when the guest boots on a host, before its first write there (checkers hook in). */
  onStart: ((guest: Guest, hostId: string, previousHost: string | null) => void) | null = null;
  private lastHost: string | null = null;
  /** The host whose disks still receive this guest's in-flight writes after a shutdown began. */
  drainingOn: string | null = null;
  readonly truths: GuestTruth[];
  /** Instants at which a VSS quiesce succeeded (app-consistent points must sit on one). */
  readonly quiesceInstants: Instant[] = [];

  constructor(
    readonly vmId: string,
    private readonly kernel: Kernel,
    private readonly random: RandomStream,
    private readonly writeIds: WriteIdAllocator,
    disks: readonly GuestDisk[],
    private readonly diskOn: (hostId: string, diskIndex: number) => VirtualDisk,
    private readonly vssFailure: Ratio,
  ) {
    this.truths = disks.map((d, i) => new GuestTruth(`${vmId}/d${i}`, d.blockCount, d.baseBlocks, d.baseId, kernel.now(), d.denseLane));
    this.batchLabel = kernel.labelId(`guest:${vmId}:write-batch`);
  }

  get runningOn(): string | null {
    return this.host;
  }

  /** The host whose copy of the disks the guest last ran from (and will boot from). */
  get homeHost(): string | null {
    return this.lastHost;
  }

  get pendingWrites(): number {
    return this.inFlight + this.held.length;
  }

  // --- the WriteSink the workload generator drives -------------------------------------------

  write(disk: number, start: number, count: number, done: (ok: boolean) => void): void {
    if (this.host === null) {
      this.kernel.schedule(0, 'guest:write-refused', () => done(false));
      return;
    }
    if (this.quiesced) {
      this.held.push({ disk, start, count, done });
      return;
    }
    this.issue(disk, start, count, done);
  }

  /** Writes of one instant go to each disk as one scatter-gather request (the issue's batches
   *  per tick), which keeps a simulated day of hundreds of VMs cheap. */
  private issue(disk: number, start: number, count: number, done: (ok: boolean) => void): void {
    this.inFlight++;
    const write = new BatchedWrite(disk, start, this.newPayload(count), done);
    if (this.batchLength === this.batch.length) this.batch.push(write);
    else this.batch[this.batchLength] = write;
    this.batchLength++;
    if (!this.batchScheduled && !this.gathering) {
      this.batchScheduled = true;
      this.kernel.schedule(0, this.batchLabel, this.submitBatch);
    }
  }

  beginWrites(): void {
    assert(!this.gathering, `${this.vmId}: beginWrites inside beginWrites`);
    this.gathering = true;
  }

  /** Submits the writes gathered since beginWrites, unless an event already will (writes of the
   *  same instant came before). The disks see the batch at the same instant either way. */
  endWrites(): void {
    assert(this.gathering, `${this.vmId}: endWrites without beginWrites`);
    this.gathering = false;
    if (this.batchLength > 0 && !this.batchScheduled) this.submitBatch();
  }

  private readonly submitBatch = (): void => {
    this.batchScheduled = false;
    const batch = this.batch;
    const length = this.batchLength;
    this.batchLength = 0;
    const host = this.host;
    if (host === null) {
      batch.fill(null, 0, length);
      this.inFlight -= length;
      this.wakeDrainWaiters();
      return;
    }
    for (let disk = 0; disk < this.truths.length; disk++) {
      let count = 0;
      for (let i = 0; i < length; i++) if (batch[i]!.disk === disk) count++;
      if (count === 0) continue;
      const record = this.answerFor(disk);
      const writes = record.writes;
      // Shrinking keeps the array's room; growing (rare: a batch larger than any before) pushes.
      if (writes.length > count) writes.length = count;
      let k = 0;
      for (let i = 0; i < length; i++) {
        const write = batch[i]!;
        if (write.disk !== disk) continue;
        if (k < writes.length) writes[k] = write;
        else writes.push(write);
        k++;
      }
      this.diskOn(host, disk).writeMany(writes as readonly BatchedWrite[], record.answer);
    }
    batch.fill(null, 0, length);
  };

  /** A free answer record for disk `disk`'s share of the batch being submitted. */
  private answerFor(disk: number): DiskAnswer {
    let record = this.freeAnswers;
    if (record === null) {
      const fresh = new DiskAnswer();
      fresh.answer = (result) => this.answered(fresh, result);
      record = fresh;
    } else {
      this.freeAnswers = record.free;
      record.free = null;
    }
    record.disk = disk;
    record.life = this.life;
    return record;
  }

  /** A disk answered its share of a batch: the truth records what landed, then the writers hear.
   *  The record is freed last: nothing here submits a batch (a writer that writes again from its
   *  completion is not between beginWrites and endWrites, so its write waits for a kernel event
   *  of its own), so its writes stay as they were while the writers hear. */
  private answered(record: DiskAnswer, result: IoResult<void>): void {
    const writes = record.writes as readonly BatchedWrite[];
    const count = writes.length;
    this.inFlight -= count;
    const alive = record.life === this.life;
    if (result.ok) {
      const truth = this.truths[record.disk];
      const now = this.kernel.now();
      for (let i = 0; i < count; i++) {
        const payload = writes[i].payload;
        truth.recordWrite(now, writes[i].start, payload.idSource, alive, payload.idOffset, payload.blockCount);
      }
    }
    this.wakeDrainWaiters();
    if (alive) for (let i = 0; i < count; i++) writes[i].done(result.ok);
    record.writes.fill(null);
    record.free = this.freeAnswers;
    this.freeAnswers = record;
  }

  /** The content of a new write of `count` blocks: fresh ids, taken from a shared chunk (a typed
   *  array, or even a view, of its own would cost a write several times the memory and the
   *  garbage of its payload). Payloads never change, so sharing the chunk is safe. */
  private newPayload(count: number): SymbolicPayload {
    const first = this.writeIds.nextRange(count);
    if (count > ID_CHUNK) return SymbolicPayload.sequence(first, count);
    if (this.idChunkUsed + count > ID_CHUNK) {
      this.idChunk = new Uint32Array(ID_CHUNK);
      this.idChunkUsed = 0;
    }
    const ids = this.idChunk;
    const offset = this.idChunkUsed;
    for (let i = 0; i < count; i++) ids[offset + i] = first + i;
    this.idChunkUsed += count;
    return new SymbolicPayload(ids, offset, count);
  }

  private wakeDrainWaiters(): void {
    if (this.inFlight === 0 && this.drainWaiters.length > 0) for (const waiter of this.drainWaiters.splice(0)) waiter();
  }

  // --- power -----------------------------------------------------------------------------------

  start(hostId: string): void {
    assert(this.host === null, `${this.vmId} is already running on ${this.host}`);
    this.host = hostId;
    this.life++;
    const previous = this.lastHost;
    this.lastHost = hostId;
    this.onStart?.(this, hostId, previous);
    if (this.generator !== null) {
      if (this.generator.currentState === 'idle') this.generator.start();
      else this.generator.resume();
    }
  }

  /** Clean shutdown: stop issuing, then `done` once every write in flight landed. */
  shutdown(done: () => void): void {
    if (this.host === null) {
      this.kernel.schedule(0, 'guest:shutdown', done);
      return;
    }
    this.generator?.pause();
    this.drainingOn = this.host;
    this.host = null;
    this.life++;
    for (const write of this.held.splice(0)) write.done(false);
    this.quiesced = false;
    const host = this.drainingOn!;
    // A clean shutdown flushes the guest's disks: nothing it wrote is left in a write cache.
    const drained = () => {
      this.drainingOn = null;
      let flushing = this.truths.length;
      for (let disk = 0; disk < this.truths.length; disk++) {
        this.diskOn(host, disk).flush(() => {
          if (--flushing === 0) done();
        });
      }
    };
    if (this.inFlight === 0) this.kernel.schedule(0, 'guest:shutdown', drained);
    else this.drainWaiters.push(drained);
  }

  /** The host died under the guest. */
  kill(): void {
    if (this.host === null) return;
    this.generator?.pause();
    this.host = null;
    this.life++;
    this.held = [];
    this.quiesced = false;
  }

  /** Someone edits the VM's disk on `hostId` while the VM is off (mounting the VHD on the host):
   *  the guest will see these blocks when it boots again. */
  editOffline(hostId: string, disk: number, start: number, count: number, done: (ok: boolean) => void): void {
    const payload = this.newPayload(count);
    this.diskOn(hostId, disk).write(start, payload, (result) => {
      if (result.ok) this.truths[disk].recordWrite(this.kernel.now(), start, payload.idSource, false, payload.idOffset, payload.blockCount);
      done(result.ok);
    });
  }

  // --- VSS -------------------------------------------------------------------------------------

  quiesce(done: (ok: boolean) => void): void {
    if (this.host === null) {
      this.kernel.schedule(0, 'guest:quiesce', () => done(false));
      return;
    }
    this.quiesced = true;
    const finish = () => {
      const ok = this.host !== null && !this.random.chance(this.vssFailure);
      if (ok) this.quiesceInstants.push(this.kernel.now());
      done(ok);
    };
    if (this.inFlight === 0) this.kernel.schedule(0, 'guest:quiesce', finish);
    else this.drainWaiters.push(() => this.kernel.schedule(0, 'guest:quiesce', finish));
  }

  thaw(): void {
    if (!this.quiesced) return;
    this.quiesced = false;
    for (const write of this.held.splice(0)) this.write(write.disk, write.start, write.count, write.done);
  }
}
