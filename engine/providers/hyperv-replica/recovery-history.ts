// Recovery history of a replica VM (DOMAIN.md rule 4): the latest point, which is the replica
// disks as they are after the last applied log, plus up to N hourly points. An hourly point is
// kept as an undo record: the old content of every block overwritten since the point was taken
// (read before the new data is written, which is why recovery history costs replica IOPS,
// numbers table row 12). Restoring point P applies the undo records of every newer point,
// newest first, then P's own.
import { MICROS_PER_HOUR, assert, type Instant } from '../../../model/index.js';
import type { Payload } from '../../ports.js';

const DISK_STRIDE = 2 ** 32;

export interface RecoveryPointInfo {
  readonly id: number;
  /** The source instant (primary clock) the point's image corresponds to. */
  readonly cutAt: Instant;
  readonly appConsistent: boolean;
  readonly kind: 'latest' | 'hourly';
}

interface HourlyPoint {
  readonly id: number;
  readonly cutAt: Instant;
  readonly appConsistent: boolean;
  /** block key (disk * 2^32 + block) -> content at the point, for blocks overwritten since. */
  readonly undo: Map<number, Payload>;
}

export class RecoveryHistory {
  private hourly: HourlyPoint[] = [];
  private nextId = 1;
  private latestCut: Instant | null = null;
  private latestAppConsistent = false;
  private latestId = 0;

  constructor(private readonly additionalPointsMax: number) {
    assert(additionalPointsMax >= 0 && additionalPointsMax <= 24, 'recovery history: 0 to 24 additional points');
  }

  /** True when applying a log must first save the old content of the blocks it overwrites. */
  get needsUndo(): boolean {
    return this.hourly.length > 0;
  }

  /** Saves the content a block had at the newest hourly point (first overwrite only). */
  saveUndo(disk: number, block: number, oldContent: Payload): void {
    const newest = this.hourly[this.hourly.length - 1];
    const key = disk * DISK_STRIDE + block;
    if (!newest.undo.has(key)) newest.undo.set(key, oldContent);
  }

  /** Blocks the newest hourly point has already saved (need no read before overwrite). */
  hasUndo(disk: number, block: number): boolean {
    const newest = this.hourly[this.hourly.length - 1];
    return newest !== undefined && newest.undo.has(disk * DISK_STRIDE + block);
  }

  /** Records that the replica now holds the source image at `cutAt`. Returns the points deleted. */
  logApplied(cutAt: Instant, appConsistent: boolean): number {
    this.latestCut = cutAt;
    this.latestAppConsistent = appConsistent;
    this.latestId = this.nextId++;
    if (this.additionalPointsMax === 0) return 0;
    const newest = this.hourly[this.hourly.length - 1];
    if (newest !== undefined && hourOf(cutAt) <= hourOf(newest.cutAt)) return 0;
    this.hourly.push({ id: this.latestId, cutAt, appConsistent, undo: new Map() });
    let deleted = 0;
    while (this.hourly.length > this.additionalPointsMax) {
      this.hourly.shift();
      deleted++;
    }
    return deleted;
  }

  /** Deletes every point but the latest (resync, commit of an unplanned failover). */
  clear(): void {
    this.hourly = [];
  }

  /** Forgets everything (a new initial replication). */
  reset(): void {
    this.hourly = [];
    this.latestCut = null;
    this.latestAppConsistent = false;
  }

  points(): RecoveryPointInfo[] {
    const list: RecoveryPointInfo[] = this.hourly.map((p) => ({ id: p.id, cutAt: p.cutAt, appConsistent: p.appConsistent, kind: 'hourly' }));
    if (this.latestCut !== null) {
      const newest = this.hourly[this.hourly.length - 1];
      if (newest === undefined || newest.id !== this.latestId) {
        list.push({ id: this.latestId, cutAt: this.latestCut, appConsistent: this.latestAppConsistent, kind: 'latest' });
      } else {
        list[list.length - 1] = { ...list[list.length - 1], kind: 'latest' };
      }
    }
    return list;
  }

  get latest(): RecoveryPointInfo | null {
    const all = this.points();
    return all.length === 0 ? null : all[all.length - 1];
  }

  /** The block writes that turn the latest image into point `id`'s image, or null if unknown. */
  restoreWrites(id: number): Array<{ disk: number; block: number; content: Payload }> | null {
    if (id === this.latestId) return [];
    const index = this.hourly.findIndex((p) => p.id === id);
    if (index < 0) return null;
    const content = new Map<number, Payload>();
    for (let i = this.hourly.length - 1; i >= index; i--) {
      for (const [key, payload] of this.hourly[i].undo) content.set(key, payload);
    }
    return [...content.entries()]
      .sort(([a], [b]) => a - b)
      .map(([key, payload]) => ({ disk: Math.floor(key / DISK_STRIDE), block: key % DISK_STRIDE, content: payload }));
  }

  /** Drops every point newer than `id` (after restoring to it). */
  truncateAfter(id: number): void {
    const index = this.hourly.findIndex((p) => p.id === id);
    if (index < 0) return;
    const kept = this.hourly[index];
    this.hourly = this.hourly.slice(0, index + 1);
    this.hourly[index] = { ...kept, undo: new Map() };
    this.latestId = kept.id;
    this.latestCut = kept.cutAt;
    this.latestAppConsistent = kept.appConsistent;
  }

  invariants(): void {
    for (let i = 1; i < this.hourly.length; i++) assert(this.hourly[i - 1].cutAt < this.hourly[i].cutAt, 'recovery points out of order');
    assert(this.hourly.length <= this.additionalPointsMax, 'too many recovery points');
  }
}

const hourOf = (at: Instant): number => Math.floor(at / MICROS_PER_HOUR);
