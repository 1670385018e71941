// The Scout master target (DOMAIN.md rules 18, 20, 21, 24; numbers table rows 20-24): it
// receives each machine's stream from the process server and applies it to the replica disks
// attached to it, strictly in order, one batch at a time per machine. Before a segment of a batch
// touches a replica, the old content of every block it overwrites is read (first target I/O),
// written to the retention volume with its index appended and synced to the host volume; only
// then are the new blocks written (second target I/O) durably, and only then is the batch
// confirmed to the process server. So a crash of the master target loses nothing it confirmed,
// and a half-applied batch is applied again from the same undo. Recovery rolls a replica back to
// any instant in the retention window, to the newest tag, or to a named tag, then detaches the
// disks so the machine can boot at the recovery site. A test failover boots a test copy from a
// recovery point over differencing disks: the stream keeps landing on the replica, each block it
// overwrites is first preserved for the test copy (from the same undo read the journal gets), so
// the copy sees the point while neither the replica nor the journal ever sees the copy's writes.
//
// Fault model: a crash loses the in-memory apply state and the test copy (its VM dies with the
// host); what was confirmed is on the replica and the journal index, synced. A replica read that
// fails leaves no undo: the instants before it become unrecoverable (the window moves past it).
import { assert, MT_DISKS_MAX, type Instant, type ScoutPolicy } from '../../../model/index.js';
import type { BlockDevice, BlockRange, Extent, Frame, FsResult, HostPorts, Hypervisor, IoResult, ManagedService, Payload, Transport } from '../../ports.js';
import { TestDisk } from '../hyperv-replica/test-disk.js';
import { open, seal } from '../../data-plane/envelope.js';
import { readStates } from '../../data-plane/persisted-states.js';
import { join } from '../../data-plane/coalesce.js';
import { plantedBugs } from '../../planted-bugs.js';
import { decodeSegments, ENTRY_WORDS, SegmentWriter, type JournalEvent, type SegmentHeader, type SegmentRecord } from './journal-file.js';
import { dataRecordCount, type CompareRecord, type ForwardBatch, type ScoutMessage, type TagKind } from './messages.js';
import { contentOffsets } from './batch-records.js';
import { atOf, blockOfKey, blockWrites, coalescedByDisk, countOf, diskOf, diskOfKey, PlacedPayload, SegmentScratch, startOf, undoOf, type BlockWrites } from './segment-writes.js';
import { SCOUT_AGENT_SERVICE, SCOUT_MT_SERVICE, SCOUT_PS_SERVICE, type MasterTargetRequest, type RecoveryTarget, type ScoutResponse } from './requests.js';
import { RetentionJournal, type PurgeCause } from './retention-journal.js';

const STATE_DIR = '/scout-mt';
const PAIRS_DIR = `${STATE_DIR}/pairs`;
const JOURNAL_PATH = `${STATE_DIR}/journal.bin`;
/** How often expired retention is purged. */
const EXPIRE_INTERVAL = 60_000_000;
/** How often a recovery waiting for a tag looks again. */
const TAG_WAIT_STEP = 1_000_000;
const encoder = new TextEncoder();

export const retentionVolumeId = (hostId: string): string => `retention@${hostId}`;

/** What a master target gets from its host: the ESXi host under it boots test copies. */
export type MasterTargetPorts = HostPorts & { readonly hypervisor: Hypervisor };

interface PairConfig {
  readonly vmId: string;
  readonly index: number;
  readonly epoch: number;
  readonly processServer: string;
  readonly agentHost: string;
  readonly targetDisks: readonly string[];
  readonly policy: ScoutPolicy;
  readonly inSyncAt: Instant | null;
}

interface Span {
  readonly from: Instant;
  to: Instant;
}

export interface TagInfo {
  readonly name: string;
  readonly kind: TagKind;
  readonly at: Instant;
}

/** A batch cut at its compare records: data records [first, end), then the compare, if any. */
interface Segment {
  readonly first: number;
  readonly end: number;
  readonly events: readonly JournalEvent[];
  readonly compare: CompareRecord | null;
}

/** The batch a pair is applying, one segment at a time. */
interface BatchApply {
  readonly batch: ForwardBatch;
  readonly segments: readonly Segment[];
  /** Where each data record's content starts in the batch's content. */
  readonly offsets: readonly number[];
  /** A segment journaled before a restart (it may be half applied): written again, not journaled. */
  readonly resumeSegment: number;
  /** The segment being applied, its writes and its index header. */
  index: number;
  writes: BlockWrites | null;
  header: SegmentHeader | null;
}

/** The callbacks of a pair's apply steps, made once per pair: the steps of a segment, every
 *  replicated write's path, then allocate no closures. */
interface ApplySteps {
  readonly nextSegment: () => void;
  readonly undone: (undo: Payload[] | null) => void;
  readonly journaled: () => void;
  readonly segmentWritten: () => void;
  /** Per disk: its part of the undo read answered. */
  readonly undoRead: ReadonlyArray<(result: IoResult<readonly Payload[]>) => void>;
  /** A disk's replica write is durable (the same for every disk). */
  readonly replicaWritten: (result: IoResult<void>) => void;
}

/** A range of an undo read (a class, not a literal: its numbers stay small integers in place,
 *  where a literal of a shape shared with other code may box them). Made fresh for each read, not
 *  kept per pair for the next: a pair's objects are cold in the CPU cache by its next segment
 *  (hundreds of pairs take turns), and writing into them cost more than allocating new ones. */
class ReadRange implements BlockRange {
  constructor(
    readonly start: number,
    readonly count: number,
  ) {}
}

class MtPair {
  readonly devices: BlockDevice[];
  state: 'active' | 'recovering' | 'removed' = 'active';
  appliedGeneration = 0;
  appliedSeq = 0;
  applying = false;
  /** Batches received out of turn, at most one per (generation, seq): the newest copy. A few
   *  at a time (the process server's window), so a list searched by number. */
  readonly waiting: ForwardBatch[] = [];
  readonly spans: Span[] = [];
  inResync = false;
  readonly tags: TagInfo[] = [];
  windowStart = 0;
  /** The newest journaled segment before a restart: it may be half applied. */
  uncertain: { generation: number; seq: number; segment: number; spanEnd: number } | null = null;
  afterApply: Array<() => void> = [];
  /** The disks of the running test copy (differencing layers over the replica), if any. */
  test: TestDisk[] | null = null;
  /** A test copy is being built from the journal: applying waits so the point stays intact. */
  preparingTest = false;
  readonly stats = { batchesApplied: 0, writesApplied: 0, blocksApplied: 0, undoBlocks: 0, comparesAnswered: 0 };
  /** The order and runs of the segment being applied (one at a time), reused by the next. */
  readonly scratch = new SegmentScratch();
  apply: BatchApply | null = null;
  readonly steps: ApplySteps;
  /** The undo read in flight (one at a time): its writes, the content of each run, the first run
   *  each disk's read fills, reads not answered yet, whether one failed, and who gets the undo. */
  undoWrites: BlockWrites | null = null;
  undoRunPayloads: Payload[] = [];
  readonly undoFirstRun: Int32Array;
  undoReadsLeft = 0;
  undoReadFailed = false;
  undoDone: ((undo: Payload[] | null) => void) | null = null;
  /** The undo of the segment waiting for the group commit (null when it could not be read). */
  journaledUndo: Payload[] | null = null;
  /** The replica write in flight (one at a time): disks not yet durable, and who is told. */
  replicaWritesLeft = 0;
  replicaDone: (() => void) | null = null;

  /** The process server's address, where this pair's frames come from and confirmations go
   *  (built once: a template string per frame was a visible cost at scale). */
  readonly processServerAddress: string;

  constructor(
    readonly config: PairConfig,
    ports: HostPorts,
    stepsOf: (pair: MtPair) => ApplySteps,
  ) {
    this.processServerAddress = `${config.processServer}/${SCOUT_PS_SERVICE}`;
    this.devices = config.targetDisks.map((id) => ports.device(id));
    this.undoFirstRun = new Int32Array(this.devices.length);
    if (config.inSyncAt !== null) this.spans.push({ from: config.inSyncAt, to: config.inSyncAt });
    this.steps = stepsOf(this);
  }

  get latestConsistentAt(): Instant | null {
    if (this.inResync) return null;
    const last = this.spans[this.spans.length - 1];
    return last === undefined ? null : last.to;
  }

  recoverable(at: number): boolean {
    return at >= this.windowStart && this.spans.some((s) => s.from <= at && at <= s.to);
  }

  /** Applies the tags and resync markers of a journaled segment. */
  applyEvents(events: readonly JournalEvent[]): void {
    for (const event of events) {
      if (event.k === 'tag') {
        this.tags.push({ name: event.name, kind: event.kind as TagKind, at: event.at as Instant });
        // Every record before the tag is in: the tag's instant is a consistent point.
        const last = this.spans[this.spans.length - 1];
        if (!this.inResync && last !== undefined && event.at > last.to) last.to = event.at as Instant;
      }
      else if (event.k === 'begin') this.inResync = true;
      else {
        this.inResync = false;
        this.spans.push({ from: event.at as Instant, to: event.at as Instant });
      }
    }
  }

  extendSpan(sealedAt: number): void {
    const last = this.spans[this.spans.length - 1];
    if (!this.inResync && last !== undefined && sealedAt - 1 > last.to) last.to = (sealedAt - 1) as Instant;
  }

  purged(at: number): void {
    if (at <= this.windowStart) return;
    this.windowStart = at;
    while (this.tags.length > 0 && this.tags[0].at < at) this.tags.shift();
    while (this.spans.length > 0 && this.spans[0].to < at) this.spans.shift();
  }
}

export class MasterTargetService implements ManagedService {
  private readonly pairs = new Map<string, MtPair>();
  private readonly byIndex = new Map<number, MtPair>();
  private nextIndex = 1;
  private readonly transport: Transport;
  private readonly volume: BlockDevice;
  readonly journal: RetentionJournal;
  private booted = false;
  private readonly waitingForBoot: Array<() => void> = [];
  /** Retention writes go one segment at a time, so the volume ring and the index stay in order.
   *  Segments queue in one list while the group commit of the other's is written; the two swap
   *  at each commit (no list made per commit). */
  private retentionQueue: MtPair[] = [];
  private committing: MtPair[] = [];
  private retentionBusy = false;
  /** The steps of a group commit after its extents are written (made once: one commit at a time). */
  private readonly retentionWritten = (): void => this.ports.fs.appendDurable(JOURNAL_PATH, this.indexWriter.bytes(), this.indexSynced);
  private readonly indexSynced = (appended: FsResult<void>): void => {
    if (!appended.ok) this.ports.tracer.mark('mt-journal-append-failed');
    const committed = this.committing;
    for (let i = 0; i < committed.length; i++) committed[i].steps.journaled();
    committed.length = 0;
    this.retentionNext();
  };
  /** The index records of the group commit being written (reused: one commit at a time). */
  private readonly indexWriter = new SegmentWriter();
  /** The undo payloads of the retention extent being gathered (reused: filled and emptied
   *  synchronously by one group commit). */
  private readonly extentParts: Payload[] = [];

  constructor(private readonly ports: MasterTargetPorts) {
    this.volume = ports.device(retentionVolumeId(ports.hostId));
    this.journal = new RetentionJournal(this.volume.blockCount, (pair, at, cause) => this.onPurged(pair, at, cause));
    this.transport = ports.transport(SCOUT_MT_SERVICE);
    this.transport.onReceive((from, frame) => this.onFrame(from, frame));
    this.boot();
    this.scheduleExpiry();
  }

  static address(hostId: string): string {
    return `${hostId}/${SCOUT_MT_SERVICE}`;
  }

  // --- boot: pairs and the journal from the host volume ---------------------------------------------

  private boot(): void {
    readStates<PairConfig>(this.ports.fs, PAIRS_DIR, (state) => this.addPair(state), () => this.replayJournal());
  }

  private replayJournal(): void {
    this.ports.fs.readFile(JOURNAL_PATH, (read) => {
      const finish = () => {
        this.booted = true;
        for (const waiting of this.waitingForBoot.splice(0)) waiting();
      };
      if (!read.ok) return finish();
      const { records, validBytes } = decodeSegments(read.value);
      for (const record of records) this.replay(record);
      if (this.pairs.size > 0) this.ports.tracer.mark('mt-journal-replayed');
      if (validBytes === read.value.length) return finish();
      // A torn last record: its segment never touched the replica. Cut it off for good.
      this.ports.tracer.mark('mt-journal-torn-tail');
      this.ports.fs.writeFile(JOURNAL_PATH, read.value.slice(0, validBytes), () => this.ports.fs.sync(JOURNAL_PATH, finish));
    });
  }

  private replay(record: SegmentRecord): void {
    const pair = this.byIndex.get(record.pair);
    for (let i = 0; i < record.entries.length; i += ENTRY_WORDS) {
      const e = record.entries;
      this.journal.restore(pair === undefined ? -1 : record.pair, e[i], e[i + 1], e[i + 2], e[i + 3] as Instant, e[i + 4]);
    }
    if (pair === undefined) return;
    if (pair.uncertain !== null) {
      // The previous segment was followed by another: it was complete.
      const previous = pair.uncertain;
      pair.uncertain = null;
      if (previous.spanEnd >= 0) pair.extendSpan(previous.spanEnd);
    }
    pair.applyEvents(record.events);
    const last = record.sealedAt >= 0;
    if (last) {
      pair.appliedGeneration = record.generation;
      pair.appliedSeq = record.seq;
    }
    pair.uncertain = { generation: record.generation, seq: record.seq, segment: record.segment, spanEnd: last ? record.sealedAt : -1 };
  }

  private addPair(config: PairConfig): MtPair {
    const pair = new MtPair(config, this.ports, (p) => this.stepsOf(p));
    this.pairs.set(config.vmId, pair);
    this.byIndex.set(config.index, pair);
    this.nextIndex = Math.max(this.nextIndex, config.index + 1);
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
    if (pair === undefined || from !== pair.processServerAddress) {
      this.ports.tracer.mark('frame-rejected-foreign');
      return;
    }
    if (epoch !== pair.config.epoch) {
      this.ports.tracer.mark('frame-rejected-stale');
      return;
    }
    if (message.type === 'forward') this.onForward(pair, message);
  }

  private onForward(pair: MtPair, batch: ForwardBatch): void {
    if (pair.state !== 'active') return;
    const u = pair.uncertain;
    const isUncertain = u !== null && u.generation === batch.generation && u.seq === batch.seq;
    if (!isUncertain && (batch.generation < pair.appliedGeneration || (batch.generation === pair.appliedGeneration && batch.seq <= pair.appliedSeq))) {
      this.confirm(pair);
      return;
    }
    const copy = findBatch(pair.waiting, batch.generation, batch.seq);
    if (copy >= 0) pair.waiting[copy] = batch;
    else pair.waiting.push(batch);
    this.pump(pair);
  }

  private pump(pair: MtPair): void {
    if (pair.applying || pair.preparingTest || pair.state !== 'active') return;
    const u = pair.uncertain;
    const waiting = pair.waiting;
    let found = u === null ? -1 : findBatch(waiting, u.generation, u.seq);
    if (found < 0) found = findBatch(waiting, pair.appliedGeneration, pair.appliedSeq + 1);
    if (found < 0) {
      for (let i = 0; i < waiting.length; i++) if (waiting[i].generation > pair.appliedGeneration && waiting[i].seq === 1 && (found < 0 || waiting[i].generation < waiting[found].generation)) found = i;
    }
    if (found < 0) return;
    const next = waiting[found];
    let kept = 0;
    for (const batch of waiting) {
      const stale = batch.generation < pair.appliedGeneration || (batch.generation === pair.appliedGeneration && batch.seq <= pair.appliedSeq);
      if (batch !== next && !stale) waiting[kept++] = batch;
    }
    waiting.length = kept;
    let resumeSegment = -1;
    if (u !== null) {
      if (next.generation === u.generation && next.seq === u.seq) {
        resumeSegment = u.segment;
        this.ports.tracer.mark('mt-reapply-after-restart');
      } else if (u.spanEnd >= 0) {
        pair.extendSpan(u.spanEnd); // the uncertain batch was complete: the process server moved on
      }
      pair.uncertain = null;
    }
    pair.applying = true;
    this.applyBatch(pair, next, resumeSegment);
  }

  // --- apply -------------------------------------------------------------------------------------

  private applyBatch(pair: MtPair, batch: ForwardBatch, resumeSegment: number): void {
    pair.apply = { batch, segments: splitSegments(batch), offsets: contentOffsets(batch.data), resumeSegment, index: -1, writes: null, header: null };
    this.nextSegment(pair);
  }

  private stepsOf(pair: MtPair): ApplySteps {
    return {
      nextSegment: () => this.nextSegment(pair),
      undone: (undo) => this.undone(pair, undo),
      journaled: () => this.journaled(pair),
      segmentWritten: () => this.segmentWritten(pair),
      undoRead: pair.devices.map((_, disk) => (result: IoResult<readonly Payload[]>) => this.undoRead(pair, disk, result)),
      replicaWritten: (result: IoResult<void>) => this.replicaWritten(pair, result),
    };
  }

  /** Applies the next segment of the pair's batch: its undo is read, journaled, then its writes land. */
  private nextSegment(pair: MtPair): void {
    if (pair.state === 'removed') return;
    const apply = pair.apply!;
    const { batch, segments } = apply;
    const i = ++apply.index;
    if (i === segments.length) {
      pair.apply = null;
      return this.finishBatch(pair, batch);
    }
    if (i < apply.resumeSegment) return this.nextSegment(pair);
    const segment = segments[i];
    const writes = blockWrites(batch.data, segment.first, segment.end, batch.data.content, apply.offsets, pair.scratch);
    apply.writes = writes;
    apply.header = {
      pair: pair.config.index,
      generation: batch.generation,
      seq: batch.seq,
      segment: i,
      sealedAt: i === segments.length - 1 ? batch.sealedAt : -1,
      events: segment.events,
    };
    if (i === apply.resumeSegment) return this.writeReplica(pair, writes, pair.steps.segmentWritten);
    this.captureUndo(pair, writes, pair.steps.undone);
  }

  private undone(pair: MtPair, undo: Payload[] | null): void {
    const writes = pair.apply!.writes!;
    if (undo === null && writes.end > writes.first && !plantedBugs.has('scout-skip-retention-undo')) {
      // The old content could not be read: instants before this segment cannot be recovered.
      let newest = 0;
      for (let w = writes.first; w < writes.end; w++) newest = Math.max(newest, atOf(writes, w));
      pair.purged(newest);
    }
    if (pair.test !== null) this.preserveForTest(pair.test, writes, undo);
    this.journalSegment(pair, undo);
  }

  private journaled(pair: MtPair): void {
    const apply = pair.apply!;
    pair.applyEvents(apply.segments[apply.index].events);
    this.writeReplica(pair, apply.writes!, pair.steps.segmentWritten);
  }

  private segmentWritten(pair: MtPair): void {
    const apply = pair.apply!;
    this.afterSegment(pair, apply.batch.generation, apply.segments[apply.index], pair.steps.nextSegment);
  }

  /** Reads the content each write overwrites: from the replica for the first touch of a block
   *  in the segment, from the earlier write for a later one. Every block is read once, in runs
   *  of adjacent blocks, in block order. `undo[i - first]` is write i's. */
  private captureUndo(pair: MtPair, writes: BlockWrites, done: (undo: Payload[] | null) => void): void {
    if (writes.first === writes.end || plantedBugs.has('scout-skip-retention-undo')) return done(null);
    const { runCount, runKeys, runCounts } = writes;
    pair.undoWrites = writes;
    pair.undoRunPayloads = new Array(runCount);
    pair.undoReadFailed = false;
    pair.undoDone = done;
    pair.undoReadsLeft = 0;
    for (let r = 0; r < runCount; r++) if (r === 0 || diskOfKey(runKeys[r]) !== diskOfKey(runKeys[r - 1])) pair.undoReadsLeft++;
    // Runs are in (disk, block) order: one scatter-gather read per disk touched.
    for (let firstRun = 0; firstRun < runCount; ) {
      const disk = diskOfKey(runKeys[firstRun]);
      let endRun = firstRun + 1;
      while (endRun < runCount && diskOfKey(runKeys[endRun]) === disk) endRun++;
      const ranges: BlockRange[] = new Array(endRun - firstRun);
      for (let r = firstRun; r < endRun; r++) ranges[r - firstRun] = new ReadRange(blockOfKey(runKeys[r]), runCounts[r]);
      pair.undoFirstRun[disk] = firstRun;
      pair.devices[disk].readMany(ranges, pair.steps.undoRead[disk]);
      firstRun = endRun;
    }
  }

  /** One disk's part of the undo read answered; the undo is complete once every disk's is. */
  private undoRead(pair: MtPair, disk: number, result: IoResult<readonly Payload[]>): void {
    if (!result.ok) pair.undoReadFailed = true;
    else for (let i = 0; i < result.value.length; i++) pair.undoRunPayloads[pair.undoFirstRun[disk] + i] = result.value[i];
    if (--pair.undoReadsLeft > 0) return;
    const writes = pair.undoWrites!;
    const runPayloads = pair.undoRunPayloads;
    const done = pair.undoDone!;
    pair.undoWrites = null;
    pair.undoRunPayloads = [];
    pair.undoDone = null;
    if (!pair.undoReadFailed) return done(undoOf(this.ports.codec, writes, runPayloads));
    this.ports.tracer.mark('mt-undo-read-failed');
    done(null);
  }

  /** Keeps, for the test copy, the content each block had before this segment overwrites it
   *  (the first write touching a block carries it; later ones are ignored by the disk). */
  private preserveForTest(test: readonly TestDisk[], writes: BlockWrites, undo: Payload[] | null): void {
    if (undo === null) {
      if (writes.end > writes.first) this.ports.tracer.mark('scout-test-copy-preserve-failed');
      return;
    }
    const codec = this.ports.codec;
    for (let w = writes.first; w < writes.end; w++) {
      const disk = test[diskOf(writes, w)];
      const count = countOf(writes, w);
      const start = startOf(writes, w);
      const old = undo[w - writes.first];
      for (let b = 0; b < count; b++) {
        if (disk.needsPreserve(start + b)) disk.preserve(start + b, count === 1 ? old : codec.slice(old, b, 1));
      }
    }
  }

  /** Writes the undo to the retention volume and its index to the host volume, durably. */
  private journalSegment(pair: MtPair, undo: Payload[] | null): void {
    pair.journaledUndo = undo;
    this.retentionQueue.push(pair);
    if (!this.retentionBusy) this.retentionNext();
  }

  /** Group commit: every segment queued so far shares one durable retention write and one
   *  durable index append (segments queue while a commit is in flight). Segments go in queue
   *  order, so the ring and the index stay in allocation order. */
  private retentionNext(): void {
    const queued = this.retentionQueue;
    this.retentionBusy = queued.length > 0;
    if (queued.length === 0) return;
    this.retentionQueue = this.committing;
    this.committing = queued;
    const extents: Extent[] = [];
    const index = this.indexWriter;
    index.clear();
    // Undo allocated back to back on the ring is written as one extent (one run per commit,
    // unless the ring wrapped), not one per write.
    const parts = this.extentParts;
    let extentStart = 0;
    let extentEnd = -1;
    for (let j = 0; j < queued.length; j++) {
      const pair = queued[j];
      const apply = pair.apply!;
      const writes = apply.writes!;
      const undo = pair.journaledUndo;
      pair.journaledUndo = null;
      index.begin(apply.header!, undo === null ? 0 : writes.end - writes.first);
      if (undo !== null) {
        for (let w = writes.first; w < writes.end; w++) {
          const count = countOf(writes, w);
          const offset = this.journal.allocate(count);
          if (offset === null) assert(false, `master target ${this.ports.hostId}: a write of ${count} blocks does not fit the retention volume`);
          const disk = diskOf(writes, w);
          const start = startOf(writes, w);
          const at = atOf(writes, w);
          this.journal.append(pair.config.index, disk, start, count, at as Instant, offset);
          index.entry(disk, start, count, at, offset);
          if (offset !== extentEnd) {
            this.closeExtent(extents, extentStart);
            extentStart = offset;
          }
          parts.push(undo[w - writes.first]);
          extentEnd = offset + count;
          pair.stats.undoBlocks += count;
        }
      }
      index.end();
    }
    this.closeExtent(extents, extentStart);
    // The index buffer is reused by the next group commit, which starts only once this one's
    // append has completed.
    if (extents.length === 0) return this.retentionWritten();
    // Forced unit access: the undo is durable when the write completes (no flush of its own).
    this.volume.writeManyDurable(extents, this.retentionWritten);
  }

  /** Adds the extent of the undo gathered in `extentParts` at `start` of the volume, if any. */
  private closeExtent(extents: Extent[], start: number): void {
    const parts = this.extentParts;
    if (parts.length === 0) return;
    extents.push(new PlacedPayload(start, parts.length === 1 ? parts[0] : this.ports.codec.concat(parts)));
    parts.length = 0; // concat copied the parts: the array is reused for the next extent
  }

  /** Writes the segment's blocks (coalesced, last writer wins) durably on every disk touched:
   *  forced unit access, a write and a flush as one request. */
  private writeReplica(pair: MtPair, writes: BlockWrites, done: () => void): void {
    if (writes.end === writes.first) return done();
    const byDisk = coalescedByDisk(this.ports.codec, writes);
    pair.stats.writesApplied += writes.end - writes.first;
    pair.replicaWritesLeft = byDisk.length;
    pair.replicaDone = done;
    for (const { disk, extents } of byDisk) {
      for (const e of extents) pair.stats.blocksApplied += e.payload.blockCount;
      // The planted bug confirms writes still in the disk's volatile cache.
      if (plantedBugs.has('scout-ack-before-flush')) pair.devices[disk].writeMany(extents, pair.steps.replicaWritten);
      else pair.devices[disk].writeManyDurable(extents, pair.steps.replicaWritten);
    }
  }

  /** One disk's share of the segment is durable; the segment is written once every disk's is. */
  private replicaWritten(pair: MtPair, result: IoResult<void>): void {
    if (!result.ok) this.ports.tracer.mark('mt-replica-write-failed');
    if (--pair.replicaWritesLeft > 0) return;
    const done = pair.replicaDone!;
    pair.replicaDone = null;
    done();
  }

  private afterSegment(pair: MtPair, generation: number, segment: Segment, next: () => void): void {
    const compare = segment.compare;
    if (compare === null) return next();
    // What the compare finds matching is never rewritten: it must be durable, and the disk may
    // hold volatile writes of a guest that ran from it (the durable applies are no barrier).
    const device = pair.devices[compare.disk];
    device.flush(() => device.read(compare.start, compare.checksums.length, (result) => {
      const differing: number[] = [];
      if (result.ok) {
        const mine = this.ports.codec.blockChecksums(result.value);
        for (let i = 0; i < mine.length; i++) if (mine[i] !== compare.checksums[i]) differing.push(i);
      } else {
        for (let i = 0; i < compare.checksums.length; i++) differing.push(i);
      }
      pair.stats.comparesAnswered++;
      const agent = `${pair.config.agentHost}/${SCOUT_AGENT_SERVICE}`;
      this.transport.send(agent, seal(this.ports.codec, pair.config.vmId, pair.config.epoch, { type: 'compare-result', generation, region: compare.region, differing } satisfies ScoutMessage, 4 * differing.length));
      next();
    }));
  }

  private finishBatch(pair: MtPair, batch: ForwardBatch): void {
    pair.appliedGeneration = batch.generation;
    pair.appliedSeq = batch.seq;
    pair.extendSpan(batch.sealedAt);
    pair.stats.batchesApplied++;
    pair.applying = false;
    this.confirm(pair);
    if (pair.afterApply.length > 0) for (const waiter of pair.afterApply.splice(0)) waiter();
    this.pump(pair);
  }

  private confirm(pair: MtPair): void {
    this.transport.send(pair.processServerAddress, seal(this.ports.codec, pair.config.vmId, pair.config.epoch, { type: 'applied', generation: pair.appliedGeneration, seq: pair.appliedSeq } satisfies ScoutMessage, 0));
  }

  // --- retention window --------------------------------------------------------------------------

  private scheduleExpiry(): void {
    this.ports.clock.setTimer(EXPIRE_INTERVAL as never, 'scout-retention-expiry', () => {
      const now = this.ports.clock.now();
      this.journal.expire((index) => {
        const pair = this.byIndex.get(index);
        return pair === undefined || pair.state === 'removed' ? Number.POSITIVE_INFINITY : now - pair.config.policy.retentionWindow;
      });
      this.scheduleExpiry();
    });
  }

  private onPurged(index: number, at: Instant, cause: PurgeCause): void {
    this.ports.tracer.mark(cause === 'space' ? 'retention-purged' : 'retention-window-expired');
    this.byIndex.get(index)?.purged(at);
  }

  // --- recovery ----------------------------------------------------------------------------------

  private recover(pair: MtPair, target: RecoveryTarget, deadline: number, done: (response: ScoutResponse) => void): void {
    if (pair.state !== 'active') return done({ ok: false, error: `${pair.config.vmId} is ${pair.state} on ${this.ports.hostId}` });
    if (pair.test !== null || pair.preparingTest) return done({ ok: false, error: `a test failover of ${pair.config.vmId} is running: clean it up first` });
    if (pair.applying) {
      pair.afterApply.push(() => this.recover(pair, target, deadline, done));
      return;
    }
    const resolved = this.resolve(pair, target);
    if (typeof resolved === 'string') {
      if (target.kind === 'tag' && this.ports.clock.now() < deadline) {
        this.ports.clock.setTimer(TAG_WAIT_STEP as never, 'scout-wait-for-tag', () => this.recover(pair, target, deadline, done));
        return;
      }
      return done({ ok: false, error: resolved });
    }
    pair.state = 'recovering';
    this.rollBack(pair, resolved.at, () => {
      pair.state = 'removed';
      this.journal.forget(pair.config.index);
      this.pairs.delete(pair.config.vmId);
      this.ports.tracer.mark(`recovered-${target.kind}`);
      this.ports.fs.remove(`${PAIRS_DIR}/${pair.config.vmId}.json`, () => done({ ok: true, value: { recoveredAt: resolved.at, tag: resolved.tag, disks: pair.config.targetDisks } }));
    });
  }

  private resolve(pair: MtPair, target: RecoveryTarget): { at: Instant; tag: string | null } | string {
    switch (target.kind) {
      case 'latest': {
        const at = pair.latestConsistentAt;
        return at === null ? `${pair.config.vmId} has no consistent point (a resync is running)` : { at, tag: null };
      }
      case 'latest-tag': {
        for (let i = pair.tags.length - 1; i >= 0; i--) if (pair.recoverable(pair.tags[i].at)) return { at: pair.tags[i].at, tag: pair.tags[i].name };
        return `${pair.config.vmId} has no recoverable tag`;
      }
      case 'tag': {
        // A name a person reused (a group tag taken every quarter end) means its newest tag.
        let tag: TagInfo | undefined;
        for (let i = pair.tags.length - 1; i >= 0 && tag === undefined; i--) if (pair.tags[i].name === target.name) tag = pair.tags[i];
        if (tag === undefined) return `${pair.config.vmId} has no tag "${target.name}"`;
        return pair.recoverable(tag.at) ? { at: tag.at, tag: tag.name } : `tag "${target.name}" is outside the recoverable window`;
      }
      case 'instant':
        return pair.recoverable(target.at) ? { at: target.at, tag: null } : `${target.at} is not a recoverable instant of ${pair.config.vmId} (window from ${pair.windowStart})`;
    }
  }

  /** Undoes every write newer than `at`: the oldest undo of each block wins. */
  private rollBack(pair: MtPair, at: Instant, done: () => void): void {
    const entries = this.journal.newerThan(pair.config.index, at);
    const payloads: Payload[] = new Array(entries.length);
    const read = join(entries.length, () => {
      const columns = { records: entries.flatMap((e) => [e.disk, e.start, e.count, e.at]) };
      const offsets: number[] = new Array(entries.length);
      for (let i = 0, offset = 0; i < entries.length; offset += entries[i].count, i++) offsets[i] = offset;
      const content = entries.length === 0 ? null : this.ports.codec.concat(payloads);
      const writes = blockWrites(columns, 0, entries.length, content, offsets);
      this.journal.truncateAfter(pair.config.index, at);
      this.writeReplica(pair, writes, done);
    });
    entries.forEach((entry, i) => {
      this.volume.read(entry.offset, entry.count, (result) => {
        assert(result.ok, `master target ${this.ports.hostId}: the retention volume failed a read`);
        payloads[i] = result.value;
        read();
      });
    });
  }

  // --- test failover -----------------------------------------------------------------------------

  /** Boots the test copy: differencing disks over the replica holding, for each block changed
   *  since the point, its content at the point (the oldest undo newer than it wins). */
  private startTest(pair: MtPair, target: RecoveryTarget, network: 'none' | 'isolated', done: (response: ScoutResponse) => void): void {
    if (pair.state !== 'active') return done({ ok: false, error: `${pair.config.vmId} is ${pair.state} on ${this.ports.hostId}` });
    if (pair.test !== null || pair.preparingTest) return done({ ok: false, error: `a test failover of ${pair.config.vmId} is already running` });
    if (pair.applying) {
      pair.afterApply.push(() => this.startTest(pair, target, network, done));
      return;
    }
    const resolved = this.resolve(pair, target);
    if (typeof resolved === 'string') return done({ ok: false, error: resolved });
    pair.preparingTest = true;
    this.pointContent(pair, resolved.at, (perDisk) => {
      if (typeof perDisk === 'string') {
        pair.preparingTest = false;
        this.pump(pair);
        return done({ ok: false, error: perDisk });
      }
      const disks = pair.devices.map((device, d) => new TestDisk(device, this.ports.codec, perDisk[d]));
      this.ports.hypervisor.startTestVm(pair.config.vmId, disks, network, (started) => {
        pair.preparingTest = false;
        if (started.ok && pair.state === 'active') pair.test = disks;
        this.pump(pair);
        if (!started.ok) return done({ ok: false, error: `the test copy did not boot: ${started.reason}` });
        this.ports.tracer.mark(`scout-test-failover-${target.kind}`);
        done({ ok: true, value: { recoveredAt: resolved.at, tag: resolved.tag } });
      });
    });
  }

  /** Per disk, the content at `at` of every block written since (read from the retention volume),
   *  or why it cannot be read (a media error is an operating error: the test failover fails). */
  private pointContent(pair: MtPair, at: Instant, done: (perDisk: Array<Map<number, Payload>> | string) => void): void {
    const entries = this.journal.newerThan(pair.config.index, at);
    const perDisk = pair.devices.map(() => new Map<number, Payload>());
    const payloads: Payload[] = new Array(entries.length);
    const codec = this.ports.codec;
    let failed: string | null = null;
    const read = join(entries.length, () => {
      if (failed !== null) return done(failed);
      // Newest first: the oldest undo of a block is set last and wins.
      entries.forEach((e, i) => {
        for (let b = 0; b < e.count; b++) perDisk[e.disk].set(e.start + b, e.count === 1 ? payloads[i] : codec.slice(payloads[i], b, 1));
      });
      done(perDisk);
    });
    entries.forEach((entry, i) => {
      this.volume.read(entry.offset, entry.count, (result) => {
        if (result.ok) payloads[i] = result.value;
        else failed = `the retention volume of ${this.ports.hostId} could not be read (${result.error.kind})`;
        read();
      });
    });
  }

  /** Deletes the test copy and its differencing disks: nothing it wrote survives. */
  private endTest(pair: MtPair | undefined, vmId: string, done: (response: ScoutResponse) => void): void {
    if (pair === undefined || pair.test === null) this.ports.tracer.mark('scout-test-failover-already-gone');
    this.ports.hypervisor.deleteTestVm(vmId, () => {
      if (pair !== undefined) pair.test = null;
      this.ports.tracer.mark('scout-test-failover-cleaned-up');
      done({ ok: true });
    });
  }

  // --- management --------------------------------------------------------------------------------

  handleRequest(request: unknown, done: (response: unknown) => void): void {
    if (!this.booted) {
      this.waitingForBoot.push(() => this.handleRequest(request, done));
      return;
    }
    this.handle(request as MasterTargetRequest, done as (response: ScoutResponse) => void);
  }

  private handle(request: MasterTargetRequest, done: (response: ScoutResponse) => void): void {
    switch (request.op) {
      case 'add-pair': {
        const old = this.pairs.get(request.vmId);
        // The 60-disk limit (DOMAIN.md) counts the master target's own OS disk at least: a pair
        // that would take it past the limit is refused here too, whatever validated it before
        // (the retention journal files each disk of a pair under an index below the limit).
        let heldByOthers = 0;
        for (const pair of this.pairs.values()) if (pair !== old) heldByOthers += pair.config.targetDisks.length;
        if (heldByOthers + request.targetDisks.length + 1 > MT_DISKS_MAX) {
          return done({ ok: false, error: `master target ${this.ports.hostId} would hold ${heldByOthers + request.targetDisks.length + 1} disks (${heldByOthers} of other pairs, ${request.targetDisks.length} of ${request.vmId}, 1 of its own at least); a master target holds at most ${MT_DISKS_MAX}` });
        }
        if (old !== undefined) this.dropPair(old);
        const config: PairConfig = {
          vmId: request.vmId,
          index: this.nextIndex++,
          epoch: request.epoch,
          processServer: request.processServer,
          agentHost: request.agentHost,
          targetDisks: request.targetDisks,
          policy: request.policy,
          inSyncAt: request.inSyncAt ?? null,
        };
        this.addPair(config);
        const path = `${PAIRS_DIR}/${request.vmId}.json`;
        this.ports.fs.writeFile(path, encoder.encode(JSON.stringify(config)), (written) => {
          if (!written.ok) return done({ ok: false, error: `master target ${this.ports.hostId} could not persist the pair` });
          this.ports.fs.sync(path, () => done({ ok: true }));
        });
        return;
      }
      case 'status-all':
        return done({ ok: true, value: [...this.pairs.values()].map((p) => this.pairStatus(p)) });
      case 'recover': {
        const pair = this.pairs.get(request.vmId);
        if (pair === undefined) return done({ ok: false, error: `${request.vmId} is not protected on ${this.ports.hostId}` });
        return this.recover(pair, request.target, this.ports.clock.now() + (request.waitMicros ?? 0), done);
      }
      case 'remove-pair': {
        const pair = this.pairs.get(request.vmId);
        if (pair !== undefined) this.dropPair(pair);
        this.ports.fs.remove(`${PAIRS_DIR}/${request.vmId}.json`, () => done({ ok: true }));
        return;
      }
      case 'test-failover': {
        const pair = this.pairs.get(request.vmId);
        if (pair === undefined) return done({ ok: false, error: `${request.vmId} is not protected on ${this.ports.hostId}` });
        return this.startTest(pair, request.target, request.network, done);
      }
      case 'test-cleanup':
        return this.endTest(this.pairs.get(request.vmId), request.vmId, done);
    }
  }

  private dropPair(pair: MtPair): void {
    if (pair.test !== null) this.ports.hypervisor.deleteTestVm(pair.config.vmId, () => undefined);
    pair.test = null;
    pair.state = 'removed';
    this.journal.forget(pair.config.index);
    this.pairs.delete(pair.config.vmId);
  }

  pairStatus(pair: MtPair) {
    const latestTag = pair.tags[pair.tags.length - 1] ?? null;
    return {
      vmId: pair.config.vmId,
      appliedGeneration: pair.appliedGeneration,
      appliedSeq: pair.appliedSeq,
      applying: pair.applying,
      waitingBatches: pair.waiting.length,
      inResync: pair.inResync,
      consistent: pair.latestConsistentAt !== null,
      latestConsistentAt: pair.latestConsistentAt,
      windowStart: pair.windowStart,
      spans: pair.spans.map((s) => [s.from, s.to]),
      tags: pair.tags.length,
      latestTag,
      testing: pair.test !== null,
      ...pair.stats,
    };
  }

  /** The tags of a pair (for tests and reports). */
  tagsOf(vmId: string): readonly TagInfo[] {
    return this.pairs.get(vmId)?.tags ?? [];
  }

  /** The disks of the running test copy of `vmId` (what its test VM reads and writes), or null. */
  testDisksOf(vmId: string): readonly BlockDevice[] | null {
    return this.pairs.get(vmId)?.test ?? null;
  }

  /** The key of a pair's entries in the retention journal (`journal.newerThan(index, at)`), or
   *  null when the pair is not here: what a checker needs to rebuild a point from the journal. */
  journalIndexOf(vmId: string): number | null {
    return this.pairs.get(vmId)?.config.index ?? null;
  }

  statusOf(vmId: string) {
    const pair = this.pairs.get(vmId);
    return pair === undefined ? null : this.pairStatus(pair);
  }

  stop(): void {
    for (const pair of this.pairs.values()) pair.afterApply = [];
  }

  invariants(): void {
    this.journal.invariants();
    for (const pair of this.pairs.values()) {
      for (let i = 1; i < pair.spans.length; i++) assert(pair.spans[i - 1].to <= pair.spans[i].from, `master target: spans of ${pair.config.vmId} overlap`);
      assert(pair.apply === null || pair.applying, `master target: a batch of ${pair.config.vmId} is being applied while the pair is not applying`);
      assert(pair.undoReadsLeft >= 0 && pair.replicaWritesLeft >= 0 && (pair.undoDone === null) === (pair.undoWrites === null), `master target: the I/O in flight of ${pair.config.vmId} is miscounted`);
    }
  }
}

/** The events of a segment without control records (shared: never changed). */
const NO_EVENTS: readonly JournalEvent[] = Object.freeze([]);

/** Splits a batch at each compare record: a compare must see the replica as of its position. */
function splitSegments(batch: ForwardBatch): Segment[] {
  if (batch.control.length === 0) return [{ first: 0, end: dataRecordCount(batch.data), events: NO_EVENTS, compare: null }];
  const segments: Segment[] = [];
  let first = 0;
  let events: JournalEvent[] = [];
  for (const record of batch.control) {
    switch (record.kind) {
      case 'tag':
        events.push({ k: 'tag', name: record.name, kind: record.tagKind, at: record.at });
        break;
      case 'resync-begin':
        events.push({ k: 'begin', at: record.at });
        break;
      case 'resync-end':
        events.push({ k: 'end', at: record.at });
        break;
      case 'compare':
        segments.push({ first, end: record.position, events, compare: record });
        first = record.position;
        events = [];
        break;
    }
  }
  segments.push({ first, end: dataRecordCount(batch.data), events, compare: null });
  return segments;
}

/** Where the batch (generation, seq) is in `batches`, or -1. */
function findBatch(batches: readonly ForwardBatch[], generation: number, seq: number): number {
  for (let i = 0; i < batches.length; i++) if (batches[i].generation === generation && batches[i].seq === seq) return i;
  return -1;
}

