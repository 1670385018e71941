// Write bursts: an on/off process layered on the diurnal rate. Quiet gaps and bursts have
// exponential lengths (means from the profile); during a burst the VM writes `multiplier` times
// faster than between bursts. The base rate is scaled down so the long-run mean is unchanged:
// churnBytesPerDay stays the mean, bursts only move bytes in time.
//
// Fault model: none. The process is evaluated lazily per window (no kernel events of its own), so
// a burst costs nothing beyond the VM's tick; it starts in its stationary state (in a burst with
// the long-run burst probability), so the first day is not biased quiet.
import { assert, type Instant } from '../../model/index.js';
import type { RandomStream } from '../random.js';
import type { BurstProfile } from './profile.js';

/** The factor applied to the base rate so bursts preserve the mean: 1 / (1 + (m - 1) p). */
export function burstRateScale(bursts: BurstProfile | undefined): number {
  if (bursts === undefined) return 1;
  return 1 / (1 + (bursts.multiplier - 1) * burstProbability(bursts));
}

/** Long-run fraction of time spent in a burst. */
export function burstProbability(bursts: BurstProfile): number {
  return bursts.meanLength / (bursts.meanInterval + bursts.meanLength);
}

export class BurstProcess {
  private inBurst: boolean;
  // Instants start as numbers so the engine keeps them unboxed (they change every toggle).
  private nextToggle = 0;
  private evaluatedUntil = 0;
  private readonly rateScale: number;

  constructor(
    private readonly random: RandomStream,
    private readonly bursts: BurstProfile | undefined,
    start: Instant,
  ) {
    this.rateScale = burstRateScale(bursts);
    this.evaluatedUntil = start;
    // A float comparison is fine here: the burst probability is derived, not a knob.
    this.inBurst = bursts !== undefined && random.next() < burstProbability(bursts);
    this.nextToggle = bursts === undefined ? Number.MAX_SAFE_INTEGER : start + this.drawSpell();
  }

  /** Mean rate multiplier over [from, to). A window that overlaps one already evaluated (a VM
   *  paused and resumed inside one tick) is evaluated from where the last one ended. */
  multiplierOver(from: number, to: number): number {
    if (this.bursts === undefined || to <= from) return 1;
    if (from < this.evaluatedUntil) {
      from = this.evaluatedUntil;
      if (to <= from) return this.rateScale * (this.inBurst ? this.bursts.multiplier : 1);
    }
    while (this.nextToggle <= from) this.toggle();
    let burstTime = 0;
    let cursor = from;
    while (this.nextToggle < to) {
      if (this.inBurst) burstTime += this.nextToggle - cursor;
      cursor = this.nextToggle;
      this.toggle();
    }
    if (this.inBurst) burstTime += to - cursor;
    this.evaluatedUntil = to;
    return this.rateScale * (1 + ((this.bursts.multiplier - 1) * burstTime) / (to - from));
  }

  invariants(): void {
    assert(this.nextToggle >= this.evaluatedUntil || this.bursts === undefined, 'burst process: next toggle is not after the evaluated window');
    if (!(this.rateScale > 0 && this.rateScale <= 1)) assert(false, `burst process: rate scale ${this.rateScale} out of (0, 1]`);
  }

  private toggle(): void {
    this.inBurst = !this.inBurst;
    this.nextToggle += this.drawSpell();
  }

  /** Length of the spell that starts now (a burst or a quiet gap), at least 1us. */
  private drawSpell(): number {
    const bursts = this.bursts!;
    return Math.max(1, Math.round(this.random.exponential(this.inBurst ? bursts.meanLength : bursts.meanInterval)));
  }
}
