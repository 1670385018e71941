// How long a link direction has been busy transmitting, over time, for utilisation figures.
//
// Fault model: none; bookkeeping only. Busy intervals arrive in time order and never overlap (a
// direction transmits one frame at a time), and only the last one may reach past the present.
// Busy time is kept per one-second bucket in a growable typed array (a simulated day is 86,400
// numbers, whatever the traffic), so busy time up to any instant is exact at bucket boundaries
// and at or after the start of the last interval, and interpolated inside older buckets.
import { assert, MICROS_PER_SECOND } from '../../model/index.js';

export const BUSY_BUCKET_MICROS = MICROS_PER_SECOND;

export class BusyHistory {
  private buckets = new Float64Array(64);
  private totalMicros = 0;
  private lastStart = 0;
  private lastEnd = 0;

  /** Records the busy interval [start, end); intervals come in order and do not overlap. */
  add(start: number, end: number): void {
    // Runs per frame: the message is built only when the check fails.
    if (!(start >= this.lastEnd && end >= start)) assert(false, `busy history: interval [${start}, ${end}) overlaps or precedes ${this.lastEnd}`);
    if (end === start) return;
    this.lastStart = start;
    this.lastEnd = end;
    this.totalMicros += end - start;
    const lastBucket = Math.floor((end - 1) / BUSY_BUCKET_MICROS);
    this.ensureCapacity(lastBucket + 1);
    for (let bucket = Math.floor(start / BUSY_BUCKET_MICROS); bucket <= lastBucket; bucket++) {
      const bucketStart = bucket * BUSY_BUCKET_MICROS;
      this.buckets[bucket] += Math.min(end, bucketStart + BUSY_BUCKET_MICROS) - Math.max(start, bucketStart);
    }
  }

  /** Busy time recorded so far, including the part of the last interval still in the future. */
  get recordedMicros(): number {
    return this.totalMicros;
  }

  /** Busy time in [0, at). */
  busyBefore(at: number): number {
    if (at >= this.lastStart) return this.totalMicros - Math.max(0, this.lastEnd - at);
    const bucket = Math.floor(at / BUSY_BUCKET_MICROS);
    let before = 0;
    for (let i = 0; i < bucket; i++) before += this.buckets[i];
    const bucketStart = bucket * BUSY_BUCKET_MICROS;
    const content = this.buckets[bucket];
    const elapsedInBucket = at - bucketStart;
    // Busy time inside the bucket before `at` lies between these bounds; estimate it pro rata.
    const low = Math.max(0, content - (BUSY_BUCKET_MICROS - elapsedInBucket));
    const high = Math.min(content, elapsedInBucket);
    const estimate = (content * elapsedInBucket) / BUSY_BUCKET_MICROS;
    return before + Math.min(high, Math.max(low, estimate));
  }

  invariants(): void {
    assert(this.lastStart <= this.lastEnd, 'busy history: last interval ends before it starts');
    assert(this.totalMicros >= this.lastEnd - this.lastStart, 'busy history: total below the last interval');
  }

  private ensureCapacity(size: number): void {
    if (size <= this.buckets.length) return;
    const grown = new Float64Array(Math.max(size, this.buckets.length * 2));
    grown.set(this.buckets);
    this.buckets = grown;
  }
}
