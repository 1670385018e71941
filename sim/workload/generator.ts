// The guest write workload of one VM: turns a WorkloadProfile into block writes on the VM's disks.
//
// Fault model: none of its own; it is the source of truth for what the guest asked to write.
// A write the sink fails (disk offline, media error) is counted as failed and not retried, as a
// guest whose I/O errored. While the VM is off (paused) or stopped it issues nothing, and a
// dependent write whose predecessor completes while the VM is off is abandoned.
//
// Cost model: one kernel event per VM per tick. At each tick the generator draws the bytes of the
// interval [tick, tick + tick length) and issues all of that interval's writes at the tick
// instant, in draw order: the cheapest deterministic choice (the disk model serialises them, so
// their completions still spread). Bytes are tracked as a credit: the tick adds its drawn bytes,
// each write spends its whole-block size, and the overshoot of the last write carries into the
// next tick, so block rounding and clipping never bias the delivered churn. A generator may tick
// at a phase (an offset into the tick) so that VMs of one world do not all write at the same
// instant: see WorldOptions.tickPhases.
import { MICROS_PER_DAY, assert, type Duration, type Instant } from '../../model/index.js';
import { ratio, type Ratio, type RandomStream } from '../random.js';
import type { EventHandle, Kernel } from '../kernel.js';
import { BurstProcess } from './burst-process.js';
import { hourlyWeights, weightedSpan } from './diurnal.js';
import { meanOneGamma } from './gamma-noise.js';
import { assertValidWorkloadProfile, type WorkloadProfile } from './profile.js';

/** Where the generator's writes go; the world backs it with the VM's disks. */
export interface WriteSink {
  /** Writes blocks [startBlock, startBlock + blockCount) of disk `diskIndex`; `done` comes later. */
  write(diskIndex: number, startBlock: number, blockCount: number, done: (ok: boolean) => void): void;
  /** The writes up to the matching `endWrites` are all of this writer's writes of the instant:
   *  a sink that gathers an instant's writes may submit them at `endWrites` instead of in an
   *  event of its own. */
  beginWrites?(): void;
  endWrites?(): void;
}

export interface WorkloadDisk {
  readonly diskIndex: number;
  readonly blockCount: number;
  readonly blockSizeBytes: number;
  /** Blocks [0, usedBlocks) the guest writes to; the whole disk when absent. */
  readonly usedBlocks?: number;
}

export interface WorkloadVm {
  readonly vmId: string;
  readonly disks: readonly WorkloadDisk[];
}

export interface WorkloadStatistics {
  readonly ticks: number;
  readonly writesIssued: number;
  readonly writesAcknowledged: number;
  readonly writesFailed: number;
  readonly bytesIssued: number;
  readonly dependentPairsStarted: number;
  readonly dependentWritesIssued: number;
  readonly dependentWritesAbandoned: number;
}

export type WorkloadState = 'idle' | 'running' | 'paused' | 'stopped';

/** Fractions of a profile become exact ratios in parts per million. */
const PARTS_PER_MILLION = 1_000_000;
const toRatio = (fraction: number): Ratio => ratio(Math.round(fraction * PARTS_PER_MILLION), PARTS_PER_MILLION);

export class WorkloadGenerator {
  private state: WorkloadState = 'idle';
  private tickHandle: EventHandle | null = null;
  private startAt = 0;
  private readonly label: number;
  private readonly writes: RandomStream;
  private readonly volume: RandomStream;
  private readonly bursts: BurstProcess;
  private readonly weights: Float64Array;
  private readonly churnPerMicro: number;
  private readonly hotShare: Ratio;
  private readonly pairShare: Ratio;
  private credit = 0;
  // Results of the last disk-and-size draw (fields, so the hot path allocates nothing).
  private drawnDisk = 0;
  private drawnBlocks = 0;

  // Per-disk layout, indexed by position in vm.disks.
  private readonly diskCount: number;
  private readonly diskIndexes: Int32Array;
  private readonly usedBlocks: Float64Array;
  private readonly blockSizes: Float64Array;
  private readonly hotStarts: Float64Array;
  private readonly hotLengths: Float64Array;
  private readonly diskCumulative: Float64Array;
  // Size mix: cumulative weights, and the whole-block length of each size on each disk.
  private readonly mixCount: number;
  private readonly mixCumulative: Float64Array;
  private readonly sizeBlocks: Float64Array;
  private readonly meanWriteBytes: number;
  private readonly maxWriteBytes: number;

  private ticks = 0;
  private writesIssued = 0;
  private writesAcknowledged = 0;
  private writesFailed = 0;
  private bytesIssued = 0;
  private dependentPairsStarted = 0;
  private dependentWritesIssued = 0;
  private dependentWritesAbandoned = 0;

  constructor(
    private readonly kernel: Kernel,
    random: RandomStream,
    readonly vm: WorkloadVm,
    readonly profile: WorkloadProfile,
    readonly tick: Duration,
    private readonly sink: WriteSink,
    /** How far into each tick this VM's ticks fall: the first tick comes this long after start. */
    readonly phase: Duration = 0 as Duration,
  ) {
    assertValidWorkloadProfile(profile);
    assert(Number.isSafeInteger(tick) && tick > 0, `workload ${vm.vmId}: tick must be a positive integer of microseconds, got ${tick}`);
    assert(Number.isSafeInteger(phase) && phase >= 0 && phase < tick, `workload ${vm.vmId}: phase must be an integer of microseconds in [0, tick), got ${phase}`);
    validateDisks(vm);
    this.label = kernel.labelId(`workload:${vm.vmId}`);
    this.writes = random.fork('writes');
    this.volume = random.fork('volume');
    this.bursts = new BurstProcess(random.fork('bursts'), profile.bursts, kernel.now());
    this.weights = hourlyWeights(profile.diurnal);
    this.churnPerMicro = profile.churnBytesPerDay / MICROS_PER_DAY;
    this.hotShare = toRatio(profile.hotSetWriteShare);
    this.pairShare = toRatio(profile.dependentWriteShare ?? 0);

    const disks = vm.disks;
    this.diskCount = disks.length;
    this.diskIndexes = Int32Array.from(disks, (disk) => disk.diskIndex);
    this.usedBlocks = Float64Array.from(disks, (disk) => disk.usedBlocks ?? disk.blockCount);
    this.blockSizes = Float64Array.from(disks, (disk) => disk.blockSizeBytes);
    this.diskCumulative = cumulative(Array.from(this.usedBlocks, (used, d) => used * this.blockSizes[d]));
    const layout = random.fork('layout');
    this.hotLengths = this.usedBlocks.map((used) => Math.min(used, Math.max(1, Math.round(used * profile.hotSetFraction))));
    this.hotStarts = this.usedBlocks.map((used, d) => layout.nextInt(used - this.hotLengths[d] + 1));

    const mix = profile.writeSizeMix;
    this.mixCount = mix.length;
    this.mixCumulative = cumulative(mix.map((entry) => entry.weight));
    this.sizeBlocks = new Float64Array(this.diskCount * this.mixCount);
    let meanBytes = 0;
    let maxBytes = 0;
    const diskTotal = this.diskCumulative[this.diskCount - 1];
    const mixTotal = this.mixCumulative[this.mixCount - 1];
    for (let d = 0; d < this.diskCount; d++) {
      const diskWeight = (this.diskCumulative[d] - (d === 0 ? 0 : this.diskCumulative[d - 1])) / diskTotal;
      for (let s = 0; s < this.mixCount; s++) {
        const blocks = Math.min(this.usedBlocks[d], Math.ceil(mix[s].sizeBytes / this.blockSizes[d]));
        this.sizeBlocks[d * this.mixCount + s] = blocks;
        meanBytes += ((diskWeight * mix[s].weight) / mixTotal) * blocks * this.blockSizes[d];
        maxBytes = Math.max(maxBytes, blocks * this.blockSizes[d]);
      }
    }
    this.meanWriteBytes = meanBytes;
    this.maxWriteBytes = maxBytes;
    this.invariants();
  }

  get currentState(): WorkloadState {
    return this.state;
  }

  /** Starts ticking at `at` (default now) plus the phase; the first tick writes the interval
   *  that starts there. */
  start(at: Instant = this.kernel.now()): void {
    assert(this.state === 'idle', `workload ${this.vm.vmId}: start while ${this.state}`);
    this.state = 'running';
    this.startAt = at + this.phase;
    this.tickHandle = this.kernel.scheduleAt(this.startAt as Instant, this.label, this.onTick, 0);
    this.invariants();
  }

  /** Stops for good; writes in flight still complete and are counted. */
  stop(): void {
    this.cancelTick();
    this.state = 'stopped';
    this.invariants();
  }

  /** The VM is shut down or powered off: no writes until resume(). */
  pause(): void {
    assert(this.state === 'running', `workload ${this.vm.vmId}: pause while ${this.state}`);
    this.cancelTick();
    this.state = 'paused';
    this.invariants();
  }

  /** The VM runs again; ticking restarts from now (or from the start instant if still ahead). */
  resume(): void {
    assert(this.state === 'paused', `workload ${this.vm.vmId}: resume while ${this.state}`);
    this.state = 'running';
    this.tickHandle = this.kernel.scheduleAt(Math.max(this.kernel.now(), this.startAt) as Instant, this.label, this.onTick, this.ticks);
    this.invariants();
  }

  statistics(): WorkloadStatistics {
    return {
      ticks: this.ticks,
      writesIssued: this.writesIssued,
      writesAcknowledged: this.writesAcknowledged,
      writesFailed: this.writesFailed,
      bytesIssued: this.bytesIssued,
      dependentPairsStarted: this.dependentPairsStarted,
      dependentWritesIssued: this.dependentWritesIssued,
      dependentWritesAbandoned: this.dependentWritesAbandoned,
    };
  }

  /** The hot set of a disk, by the world's disk index. */
  hotSetOf(diskIndex: number): { readonly startBlock: number; readonly blockCount: number } {
    const d = this.diskIndexes.indexOf(diskIndex);
    assert(d >= 0, `workload ${this.vm.vmId}: no disk ${diskIndex}`);
    return { startBlock: this.hotStarts[d], blockCount: this.hotLengths[d] };
  }

  invariants(): void {
    // Runs every tick of every VM: the messages are built only when a check fails.
    const id = this.vm.vmId;
    if (!(this.writesAcknowledged + this.writesFailed <= this.writesIssued)) assert(false, `workload ${id}: more completions than writes`);
    const awaiting = this.dependentPairsStarted - this.dependentWritesIssued - this.dependentWritesAbandoned;
    if (!(awaiting >= 0)) assert(false, `workload ${id}: more dependent writes than pairs`);
    if (!(this.credit <= 0 && this.credit > -2 * this.maxWriteBytes - 1)) assert(false, `workload ${id}: byte credit ${this.credit} out of range`);
    if ((this.tickHandle !== null) !== (this.state === 'running')) assert(false, `workload ${id}: ${this.state} with${this.tickHandle === null ? 'out' : ''} a pending tick`);
    this.bursts.invariants();
  }

  private readonly onTick = (): void => {
    const from = this.kernel.now();
    const to = from + this.tick;
    this.ticks++;
    const mean = this.churnPerMicro * weightedSpan(this.weights, from, to) * this.bursts.multiplierOver(from, to);
    if (mean > 0) this.credit += mean * meanOneGamma(this.volume, mean / this.meanWriteBytes);
    this.sink.beginWrites?.();
    try {
      while (this.credit > 0) this.issueOne();
    } finally {
      this.sink.endWrites?.();
    }
    this.tickHandle = this.kernel.schedule(this.tick, this.label, this.onTick, this.ticks);
    this.invariants();
  };

  private readonly onWriteDone = (ok: boolean): void => {
    if (ok) this.writesAcknowledged++;
    else this.writesFailed++;
  };

  /** Draws one write (or a dependent pair, both drawn now so draws never depend on ack timing). */
  private issueOne(): void {
    this.drawDiskAndSize(this.writes.next());
    const d = this.drawnDisk;
    const blocks = this.drawnBlocks;
    const start = this.drawStart(d, blocks);
    this.credit -= blocks * this.blockSizes[d];
    if (!chance(this.writes, this.pairShare)) {
      this.send(d, start, blocks, this.onWriteDone);
      return;
    }
    this.drawOtherDiskAndSize(d, this.writes.next());
    const second = this.drawnDisk;
    const secondBlocks = this.drawnBlocks;
    const secondStart = this.drawStart(second, secondBlocks);
    this.credit -= secondBlocks * this.blockSizes[second];
    this.dependentPairsStarted++;
    this.send(d, start, blocks, (ok) => {
      this.onWriteDone(ok);
      if (ok && this.state === 'running') {
        this.dependentWritesIssued++;
        this.send(second, secondStart, secondBlocks, this.onWriteDone);
      } else {
        this.dependentWritesAbandoned++;
      }
    });
  }

  private send(d: number, start: number, blocks: number, done: (ok: boolean) => void): void {
    this.writesIssued++;
    this.bytesIssued += blocks * this.blockSizes[d];
    this.sink.write(this.diskIndexes[d], start, blocks, done);
  }

  // The hot path spends one uniform on two choices: the first picks an interval of a cumulative
  // table (or an exact ratio), and where the draw falls inside that interval is itself uniform,
  // so it picks the second. Half the PRNG calls per write, the same distributions (to ~33 bits
  // of resolution, ample for block offsets).

  /** A disk (weighted by used bytes), then a write size from the rest of `u`. */
  private drawDiskAndSize(u: number): void {
    let d = 0;
    let rest = u;
    if (this.diskCount > 1) {
      const sums = this.diskCumulative;
      const scaled = u * sums[this.diskCount - 1];
      while (d < this.diskCount - 1 && scaled >= sums[d]) d++;
      const below = d === 0 ? 0 : sums[d - 1];
      rest = (scaled - below) / (sums[d] - below);
    }
    this.drawnDisk = d;
    this.drawnBlocks = this.sizeOn(d, rest);
  }

  /** A uniformly chosen disk other than `d` (the log disk and the data disk of a pair differ). */
  private drawOtherDiskAndSize(d: number, u: number): void {
    if (this.diskCount === 1) {
      this.drawnDisk = 0;
      this.drawnBlocks = this.sizeOn(0, u);
      return;
    }
    const scaled = u * (this.diskCount - 1);
    const other = below(scaled, 1, this.diskCount - 1);
    this.drawnDisk = other >= d ? other + 1 : other;
    this.drawnBlocks = this.sizeOn(this.drawnDisk, scaled - other);
  }

  private sizeOn(d: number, u: number): number {
    const sums = this.mixCumulative;
    const scaled = u * sums[this.mixCount - 1];
    let s = 0;
    while (s < this.mixCount - 1 && scaled >= sums[s]) s++;
    return this.sizeBlocks[d * this.mixCount + s];
  }

  /** First block: in the hot set with the profile's exact share, else uniformly outside it; never past the used end. */
  private drawStart(d: number, blocks: number): number {
    const used = this.usedBlocks[d];
    const hotStart = this.hotStarts[d];
    const hotLength = this.hotLengths[d];
    const share = this.hotShare;
    const scaled = this.writes.next() * share.denominator;
    const slot = Math.floor(scaled);
    const rest = scaled - slot;
    let start: number;
    if (slot < share.numerator || hotLength === used) {
      start = hotStart + below(rest, hotLength, hotLength);
    } else {
      const cold = below(rest, used - hotLength, used - hotLength);
      start = cold < hotStart ? cold : cold + hotLength;
    }
    return Math.min(start, used - blocks);
  }

  private cancelTick(): void {
    if (this.tickHandle !== null) this.kernel.cancel(this.tickHandle);
    this.tickHandle = null;
  }
}

function validateDisks(vm: WorkloadVm): void {
  assert(vm.disks.length > 0, `workload ${vm.vmId}: a VM needs at least one disk`);
  const seen = new Set<number>();
  vm.disks.forEach((disk, i) => {
    const where = `workload ${vm.vmId}: disks[${i}]`;
    assert(Number.isInteger(disk.diskIndex) && !seen.has(disk.diskIndex), `${where}.diskIndex must be a unique integer, got ${disk.diskIndex}`);
    seen.add(disk.diskIndex);
    assert(Number.isSafeInteger(disk.blockCount) && disk.blockCount > 0, `${where}.blockCount must be a positive integer, got ${disk.blockCount}`);
    assert(Number.isSafeInteger(disk.blockSizeBytes) && disk.blockSizeBytes > 0, `${where}.blockSizeBytes must be a positive integer, got ${disk.blockSizeBytes}`);
    const used = disk.usedBlocks ?? disk.blockCount;
    assert(Number.isSafeInteger(used) && used > 0 && used <= disk.blockCount, `${where}.usedBlocks must be in [1, blockCount], got ${used}`);
  });
}

/** floor(u * scale), kept below `bound` against rounding of a residual draw up to 1. */
const below = (u: number, scale: number, bound: number): number => Math.min(bound - 1, Math.floor(u * scale));

// RandomStream.chance builds an assertion message per call, which costs more than the draw on the
// hot path; this is the same exact-ratio test.
const chance = (random: RandomStream, p: Ratio): boolean =>
  p.numerator !== 0 && (p.numerator === p.denominator || Math.floor(random.next() * p.denominator) < p.numerator);

function cumulative(weights: readonly number[]): Float64Array {
  const sums = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((weight, i) => {
    total += weight;
    sums[i] = total;
  });
  return sums;
}
