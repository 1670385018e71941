// The replica side of one protected VM (DOMAIN.md rules 1, 3, 4, 6, 7, 9, 10): receives whole
// logs, applies them strictly in sequence (an out-of-sequence log forces resync), keeps the
// recovery history, answers bulk copies and block compares, and fails over to a chosen point.
// An unplanned failover runs on a discardable layer (failover-layer.ts) and keeps the recovery
// history until commit, so that it can be cancelled and repeated to another point (rule 10).
// Every reply is idempotent: duplicated or resent requests get the same answer again.
import { assert, type Instant } from '../../../model/index.js';
import type { Payload } from '../../ports.js';
import { coalescePacked, join, type Run } from '../../data-plane/coalesce.js';
import type { BulkBlocks, BulkBegin, BulkComplete, CompareRequest, HvrMessage, LogChunk, LogRecords } from './messages.js';
import { RecoveryHistory, type RecoveryPointInfo } from './recovery-history.js';
import type { PersistedSession, SessionConfig, SessionContext } from './session-context.js';
import { plantedBugs } from '../../planted-bugs.js';
import { TestDisk } from './test-disk.js';
import type { MediaContents } from './bulk-copy.js';
import { FailoverLayer } from './failover-layer.js';

type ReplicaPhase = 'receiving' | 'applying' | 'merging' | 'failing-over' | 'failed-over' | 'failover-cancelled' | 'stopped';
type Outcome = { ok: true } | { ok: false; error: string };

export class ReplicaSession {
  private phase: ReplicaPhase = 'receiving';
  private appliedSeq: number;
  private appliedCut: Instant | null;
  private generation: number;
  private bulkComplete: boolean;
  private pendingSeq = -1;
  private pendingChunks = new Map<number, LogRecords>();
  private pendingMeta: { chunkCount: number; cutAt: Instant; appConsistent: boolean } | null = null;
  readonly history: RecoveryHistory;
  private logsApplied = 0;
  private afterApply: (() => void) | null = null;
  private applyingSeq: number | null = null;
  private testDisks: TestDisk[] | null = null;
  private bulkMode: 'full' | 'compare' = 'full';
  /** Resync blocks held until the merge (the point of no return, DOMAIN.md rule 7). */
  private staged: Array<{ disk: number; start: number; payload: Payload }> = [];
  /** The uncommitted unplanned failover's layer, and the point it restored. */
  private layer: FailoverLayer | null = null;
  private failedOverPointId: number | null = null;

  constructor(
    private readonly ctx: SessionContext,
    readonly config: SessionConfig,
    restored?: Extract<PersistedSession, { role: 'replica' }>,
  ) {
    this.history = new RecoveryHistory(config.policy.additionalRecoveryPoints);
    this.appliedSeq = restored?.appliedSeq ?? 0;
    this.appliedCut = (restored?.appliedCut ?? null) as Instant | null;
    this.generation = restored?.generation ?? 0;
    this.bulkComplete = restored?.bulkComplete ?? false;
    if (restored?.failedOver === true) this.phase = 'failed-over';
    if (restored?.failoverCancelled === true) this.phase = 'failover-cancelled';
    // A crash in the middle of an apply leaves the disks between two points: there is no
    // recovery point until the primary resends that log and it is applied again.
    const halfApplied = restored?.applyingSeq !== null && restored?.applyingSeq !== undefined;
    if (this.appliedCut !== null && this.bulkComplete && !halfApplied) this.history.logApplied(this.appliedCut, false);
  }

  get status() {
    return {
      phase: this.phase,
      appliedSeq: this.appliedSeq,
      appliedCut: this.appliedCut,
      generation: this.generation,
      bulkComplete: this.bulkComplete,
      logsApplied: this.logsApplied,
      recoveryPoints: this.history.points(),
    };
  }

  receive(message: HvrMessage): void {
    if (this.phase !== 'receiving' && this.phase !== 'applying') return; // failed over, cancelled (replication stopped), merging, stopped
    switch (message.type) {
      case 'log-chunk':
        return this.onLogChunk(message);
      case 'bulk-begin':
        return this.onBulkBegin(message);
      case 'bulk-blocks':
        return this.onBulkBlocks(message);
      case 'compare-request':
        return this.onCompareRequest(message);
      case 'bulk-complete':
        return this.onBulkComplete(message);
      default:
        this.ctx.ports.tracer.mark('replica-ignored-message');
    }
  }

  // --- delta logs -----------------------------------------------------------------------------

  private onLogChunk(chunk: LogChunk): void {
    const expected = this.appliedSeq + 1;
    if (!this.bulkComplete) return; // logs before the bulk copy completed belong to nobody
    if (chunk.seq <= this.appliedSeq) {
      this.ctx.ports.tracer.mark('duplicate-log-ignored');
      this.reply({ type: 'log-applied', seq: this.appliedSeq });
      return;
    }
    if (chunk.seq > expected) {
      this.ctx.ports.tracer.mark('out-of-sequence-log');
      this.reply({ type: 'replica-needs-resync', reason: `log ${chunk.seq} arrived while ${expected} was expected`, expectedSeq: expected });
      return;
    }
    if (this.pendingSeq !== chunk.seq) {
      if (this.phase === 'applying') return; // the log being applied is answered when done
      this.pendingSeq = chunk.seq;
      this.pendingChunks = new Map();
      this.pendingMeta = { chunkCount: chunk.chunkCount, cutAt: chunk.cutAt, appConsistent: chunk.appConsistent };
    }
    this.pendingChunks.set(chunk.chunk, chunk.records);
    this.reply({ type: 'chunk-received', seq: chunk.seq, chunk: chunk.chunk });
    if (this.phase === 'receiving' && this.pendingChunks.size === this.pendingMeta!.chunkCount) this.applyPending();
  }

  private applyPending(): void {
    const meta = this.pendingMeta!;
    const chunks: LogRecords[] = [];
    if (plantedBugs.has('apply-logs-out-of-order')) {
      for (const packed of this.pendingChunks.values()) chunks.push(packed); // arrival order
    } else {
      for (let i = 0; i < meta.chunkCount; i++) chunks.push(this.pendingChunks.get(i)!);
    }
    const seq = this.pendingSeq;
    this.phase = 'applying';
    const runs = coalescePacked(this.ctx.ports.codec, chunks);
    this.applyingSeq = seq;
    this.persist(() => this.saveUndo(runs, () =>
      this.writeRuns(runs, () =>
        this.flushAll(() => {
          this.appliedSeq = seq;
          this.appliedCut = meta.cutAt;
          this.applyingSeq = null;
          this.persist(() => {
            if (this.phase !== 'applying') return;
            this.history.logApplied(meta.cutAt, meta.appConsistent);
            this.logsApplied++;
            this.phase = 'receiving';
            this.pendingSeq = -1;
            this.pendingChunks = new Map();
            this.pendingMeta = null;
            this.ctx.ports.tracer.mark(meta.appConsistent ? 'log-applied-app-consistent' : 'log-applied');
            this.reply({ type: 'log-applied', seq: this.appliedSeq });
            const next = this.afterApply;
            this.afterApply = null;
            next?.();
          });
        }),
      ),
    ));
  }

  /** Reads, before they are overwritten, the blocks the newest hourly point has not saved yet
   *  and the blocks a running test VM still sees from its recovery point. */
  private saveUndo(runs: readonly Run[], done: () => void, forHistory = true): void {
    const test = this.testDisks;
    const history = forHistory && this.history.needsUndo;
    const needs = (disk: number, block: number) => (history && !this.history.hasUndo(disk, block)) || (test !== null && test[disk].needsPreserve(block));
    if (!history && test === null) return done();
    const reads: Array<{ disk: number; start: number; count: number }> = [];
    for (const run of runs) {
      let i = 0;
      while (i < run.payload.blockCount) {
        if (!needs(run.disk, run.start + i)) {
          i++;
          continue;
        }
        let j = i;
        while (j < run.payload.blockCount && needs(run.disk, run.start + j)) j++;
        reads.push({ disk: run.disk, start: run.start + i, count: j - i });
        i = j;
      }
    }
    const arrived = join(reads.length, done);
    const codec = this.ctx.ports.codec;
    for (const read of reads) {
      this.ctx.device(read.disk).read(read.start, read.count, (result) => {
        if (result.ok) {
          for (let b = 0; b < read.count; b++) {
            const content = codec.slice(result.value, b, 1);
            if (history) this.history.saveUndo(read.disk, read.start + b, content);
            this.testDisks?.[read.disk].preserve(read.start + b, content);
          }
        } else {
          // The old content cannot be saved: the hourly points lose exactness, so drop them.
          this.ctx.ports.tracer.mark('recovery-history-read-failed');
          this.history.clear();
        }
        arrived();
      });
    }
  }

  // --- test failover (DOMAIN.md rule 8) -----------------------------------------------------------

  /** Boots a test VM from recovery point `pointId` (latest when null) on this host; replication
   *  goes on. One test at a time; refused during a resync or before initial replication ends. */
  startTest(pointId: number | null, network: 'none' | 'isolated', done: (result: { ok: true; point: RecoveryPointInfo } | { ok: false; error: string }) => void): void {
    if (this.testDisks !== null) return done({ ok: false, error: 'a test failover is already running for this VM' });
    if (!this.bulkComplete || this.phase === 'merging') return done({ ok: false, error: 'test failover is blocked while initial replication or a resync runs' });
    if (this.phase === 'failed-over' || this.phase === 'failing-over') return done({ ok: false, error: 'the replica has failed over' });
    if (this.phase === 'applying') {
      this.afterApply = () => this.startTest(pointId, network, done);
      return;
    }
    const latest = this.history.latest;
    if (latest === null) return done({ ok: false, error: 'no recovery point exists yet' });
    const target = this.history.points().find((p) => p.id === (pointId ?? latest.id));
    if (target === undefined) return done({ ok: false, error: `no recovery point ${pointId}` });
    const perDisk = Array.from({ length: this.config.diskCount }, () => new Map<number, Payload>());
    for (const w of this.history.restoreWrites(target.id)!) perDisk[w.disk].set(w.block, w.content);
    const codec = this.ctx.ports.codec;
    this.testDisks = perDisk.map((content, d) => new TestDisk(this.ctx.device(d), codec, content));
    this.ctx.ports.hypervisor.startTestVm(this.config.vmId, this.testDisks, network, (result) => {
      if (!result.ok) {
        this.testDisks = null;
        return done({ ok: false, error: `the test VM did not start: ${result.reason}` });
      }
      this.ctx.ports.tracer.mark('test-failover-started');
      done({ ok: true, point: target });
    });
  }

  cleanupTest(done: (result: { ok: true } | { ok: false; error: string }) => void): void {
    if (this.testDisks === null) {
      // The test VM is already gone (its host restarted): cleanup has nothing left to delete.
      this.ctx.ports.tracer.mark('test-failover-already-gone');
      this.ctx.ports.hypervisor.deleteTestVm(this.config.vmId, () => done({ ok: true }));
      return;
    }
    this.ctx.ports.hypervisor.deleteTestVm(this.config.vmId, () => {
      this.testDisks = null;
      this.ctx.ports.tracer.mark('test-failover-cleaned-up');
      done({ ok: true });
    });
  }

  get testRunning(): boolean {
    return this.testDisks !== null;
  }

  /** Writes runs as one scatter-gather request per disk. */
  private writeRuns(runs: readonly Run[], done: () => void): void {
    const byDisk = new Map<number, Run[]>();
    for (const run of runs) {
      const list = byDisk.get(run.disk);
      if (list === undefined) byDisk.set(run.disk, [run]);
      else list.push(run);
    }
    const written = join(byDisk.size, done);
    for (const [disk, list] of byDisk) {
      this.ctx.device(disk).writeMany(list, (result) => {
        if (!result.ok) this.ctx.ports.tracer.mark('replica-write-failed');
        written();
      });
    }
  }

  private flushAll(done: () => void): void {
    const flushed = join(this.config.diskCount, done);
    for (let d = 0; d < this.config.diskCount; d++) this.ctx.device(d).flush(() => flushed());
  }

  // --- bulk copy and block compare (initial replication, resync) -------------------------------

  private onBulkBegin(message: BulkBegin): void {
    if (message.generation < this.generation) return;
    if (message.generation > this.generation) {
      if (this.phase === 'applying') return; // answered by the resend after the apply ends
      this.generation = message.generation;
      this.bulkMode = message.mode;
      this.staged = [];
      this.bulkComplete = false;
      this.pendingSeq = -1;
      this.pendingChunks = new Map();
      if (message.mode === 'full') this.history.reset();
      this.ctx.ports.tracer.mark(message.mode === 'full' ? 'replica-initial-copy-begin' : 'replica-resync-begin');
    }
    this.persist(() => this.reply({ type: 'bulk-ack', generation: message.generation, id: -1 }));
  }

  private onBulkBlocks(message: BulkBlocks): void {
    if (message.generation !== this.generation) return;
    if (this.bulkComplete) {
      this.reply({ type: 'bulk-ack', generation: message.generation, id: message.id });
      return;
    }
    if (this.bulkMode === 'compare') {
      this.staged.push({ disk: message.disk, start: message.start, payload: message.payload });
      this.reply({ type: 'bulk-ack', generation: message.generation, id: message.id });
      return;
    }
    this.ctx.device(message.disk).write(message.start, message.payload, (result) => {
      if (!result.ok) return; // not acknowledged: the primary resends
      this.reply({ type: 'bulk-ack', generation: message.generation, id: message.id });
    });
  }

  private onCompareRequest(message: CompareRequest): void {
    if (message.generation !== this.generation || this.bulkComplete) return;
    this.ctx.device(message.disk).read(message.start, message.checksums.length, (result) => {
      let differing: number[];
      if (result.ok) {
        const mine = this.ctx.ports.codec.blockChecksums(result.value);
        differing = [];
        for (let i = 0; i < mine.length; i++) if (mine[i] !== message.checksums[i]) differing.push(i);
      } else {
        differing = message.checksums.map((_, i) => i); // unreadable: ask for everything
      }
      this.reply({ type: 'compare-reply', generation: message.generation, id: message.id, differing });
    });
  }

  private onBulkComplete(message: BulkComplete): void {
    if (message.generation !== this.generation) return;
    if (this.bulkComplete) {
      this.reply({ type: 'bulk-ack', generation: message.generation, id: -2 });
      return;
    }
    if (this.phase === 'merging') return;
    this.phase = 'merging';
    const staged = this.staged;
    this.staged = [];
    if (staged.length > 0) this.ctx.ports.tracer.mark('resync-merge');
    // The merge is the point of no return: recovery points are deleted, not kept exact; only a
    // running test VM keeps its image.
    this.saveUndo(staged, () => this.writeRuns(staged, () =>
      this.flushAll(() => {
        this.bulkComplete = true;
        this.appliedSeq = message.nextSeq - 1;
        if (!plantedBugs.has('keep-recovery-points-after-resync')) {
          this.appliedCut = null;
          this.history.reset();
        }
        this.persist(() => {
          this.phase = 'receiving';
          this.ctx.ports.tracer.mark('replica-bulk-complete');
          this.reply({ type: 'bulk-ack', generation: message.generation, id: -2 });
        });
      }),
    ), false);
  }

  /** Offline media arrived: write every exported block, then the replica is at the export's
   *  generation and waits for the primary's bulk-complete (DOMAIN.md rule 2). */
  importMedia(contents: MediaContents): void {
    if (contents.generation <= this.generation && this.bulkComplete) return;
    if (this.phase !== 'receiving') return;
    this.phase = 'merging';
    this.generation = contents.generation;
    this.bulkMode = 'full';
    this.history.reset();
    this.ctx.ports.tracer.mark('offline-media-imported');
    this.writeRuns(contents.extents, () =>
      this.flushAll(() => {
        this.phase = 'receiving';
        this.persist(() => undefined);
      }),
    );
  }

  // --- failover --------------------------------------------------------------------------------

  /** Brings the replica disks to recovery point `pointId` (latest when null) and stops
   *  accepting data. `discardable` (an unplanned failover) keeps the change undoable until
   *  commit; a planned failover reverses at once and keeps nothing. `done` gets the point used. */
  failover(pointId: number | null, discardable: boolean, done: (result: { ok: true; point: RecoveryPointInfo } | { ok: false; error: string }) => void): void {
    if (this.phase === 'applying') {
      // A log is being applied: the disks are between two points until it ends.
      this.afterApply = () => this.failover(pointId, discardable, done);
      return;
    }
    if (this.phase === 'merging') return done({ ok: false, error: 'a resync is merging' });
    if (this.phase === 'failed-over' || this.phase === 'failing-over') return done({ ok: false, error: 'the replica has already failed over: commit or cancel that failover first' });
    if (this.phase === 'stopped') return done({ ok: false, error: 'replication of this VM was stopped' });
    if (!this.bulkComplete && this.bulkMode === 'full') return done({ ok: false, error: 'initial replication is not complete' });
    if (!this.bulkComplete) {
      this.staged = []; // an unplanned failover cancels the resync (DOMAIN.md rule 7)
      this.ctx.ports.tracer.mark('unplanned-failover-cancels-resync');
    }
    const latest = this.history.latest;
    if (latest === null) return done({ ok: false, error: 'no recovery point exists yet' });
    const targetId = pointId ?? latest.id;
    const target = this.history.points().find((p) => p.id === targetId);
    if (target === undefined) return done({ ok: false, error: `no recovery point ${targetId}` });
    const before = this.phase;
    this.phase = 'failing-over';
    const restore = () => this.restorePoint(target, target.id === latest.id, discardable, done);
    if (!discardable) return restore();
    const layer = new FailoverLayer(this.ctx, this.config.diskCount);
    this.layer = layer;
    layer.capture((captured) => {
      if (this.phase !== 'failing-over') {
        layer.release(); // stopped while capturing: the layer never becomes the session's
        return done({ ok: false, error: 'replication of this VM was stopped during the failover' });
      }
      if (captured.ok) return restore();
      this.layer = null;
      layer.release();
      this.phase = before;
      done(captured);
    });
  }

  /** Writes the point's undo content over the latest image (through the layer, when there is one). */
  private restorePoint(target: RecoveryPointInfo, isLatest: boolean, discardable: boolean, done: (result: { ok: true; point: RecoveryPointInfo } | { ok: false; error: string }) => void): void {
    const writes = this.history.restoreWrites(target.id)!;
    const written = join(writes.length, () =>
      this.flushAll(() => {
        // Stopped meanwhile (a cancelled failover job): the state file is gone; keep it gone.
        if (this.phase !== 'failing-over') return done({ ok: false, error: 'replication of this VM was stopped during the failover' });
        if (discardable) this.failedOverPointId = target.id;
        else this.history.truncateAfter(target.id);
        this.phase = 'failed-over';
        this.ctx.ports.tracer.mark(isLatest ? 'failover-latest-point' : 'failover-chosen-point');
        this.invariants();
        // Durably: a host restart must not turn the failed-over VM back into a replica.
        this.persist(() => done({ ok: true, point: target }));
      }),
    );
    for (const w of writes) this.ctx.device(w.disk).write(w.block, w.content, () => written());
  }

  /** Commit (rule 10): the layer merges, the points other than the one failed over to go. */
  commitFailover(): Outcome {
    if (this.phase !== 'failed-over') return { ok: false, error: `there is no failover to commit (${this.phase})` };
    this.layer?.merge();
    this.layer = null;
    // The point failed over to becomes the latest (truncate), then the other points go (clear).
    if (this.failedOverPointId !== null) this.history.truncateAfter(this.failedOverPointId);
    this.failedOverPointId = null;
    this.history.clear();
    this.ctx.ports.tracer.mark('failover-committed-on-replica');
    this.invariants();
    return { ok: true };
  }

  /** Cancel (rule 10): the failed-over VM is off; the layer is discarded, so the disks hold the
   *  latest image again and every recovery point is exact again. Replication stays stopped. */
  cancelFailover(done: (result: Outcome) => void): void {
    if (this.phase !== 'failed-over') return done({ ok: false, error: `there is no failover to cancel (${this.phase})` });
    const layer = this.layer;
    if (layer === null) return done({ ok: false, error: `the failover of ${this.config.vmId} cannot be cancelled: its discardable layer did not survive a restart of ${this.ctx.ports.hostId}` });
    if (this.ctx.ports.hypervisor.isRunning(this.config.vmId)) return done({ ok: false, error: 'the failed-over VM is running: shut it down first' });
    layer.discard((result) => {
      if (!result.ok) return done(result);
      if (this.phase !== 'failed-over') return done({ ok: false, error: 'replication of this VM was stopped during the cancel' });
      this.layer = null;
      this.failedOverPointId = null;
      this.phase = 'failover-cancelled';
      this.invariants();
      this.persist(() => done({ ok: true }));
    });
  }

  stop(): void {
    this.phase = 'stopped';
    this.layer?.release();
    this.layer = null;
    if (this.testDisks !== null) this.ctx.ports.hypervisor.deleteTestVm(this.config.vmId, () => undefined);
    this.testDisks = null;
  }

  get isFailedOver(): boolean {
    return this.phase === 'failed-over';
  }

  private reply(message: HvrMessage): void {
    this.ctx.sendToPeer(this.ctx.seal(message, 0));
  }

  private persist(done: () => void): void {
    this.ctx.persist(
      {
        role: 'replica',
        config: this.config,
        appliedSeq: this.appliedSeq,
        appliedCut: this.appliedCut,
        generation: this.generation,
        bulkComplete: this.bulkComplete,
        applyingSeq: this.applyingSeq,
        failedOver: this.phase === 'failed-over',
        failoverCancelled: this.phase === 'failover-cancelled',
      },
      (ok) => {
        if (ok) done();
        else this.ctx.ports.tracer.mark('replica-persist-failed');
      },
    );
  }

  invariants(): void {
    this.history.invariants();
    assert(this.appliedSeq >= 0, 'replica: negative applied sequence');
    assert(this.layer === null || this.phase === 'failing-over' || this.phase === 'failed-over', `replica: a failover layer in phase ${this.phase}`);
    assert(this.failedOverPointId === null || this.layer !== null, 'replica: a failed-over point without its layer');
    this.layer?.invariants();
  }
}

export type { Payload };
