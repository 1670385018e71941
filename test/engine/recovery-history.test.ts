// RecoveryHistory on its own: which points exist after which logs, and that restoring a point
// composes the undo records of every newer point (the catalogue checks exactness end to end).
import { describe, expect, it } from 'vitest';
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, type Instant } from '../../model/index.js';
import { RecoveryHistory } from '../../engine/providers/hyperv-replica/recovery-history.js';
import type { Payload } from '../../engine/index.js';

const at = (hours: number, minutes = 0) => (hours * MICROS_PER_HOUR + minutes * MICROS_PER_MINUTE) as Instant;
const content = (id: number): Payload => ({ blockCount: 1, id }) as unknown as Payload;
const idOf = (p: Payload) => (p as unknown as { id: number }).id;

describe('RecoveryHistory', () => {
  it('keeps only the latest point when no additional points are configured', () => {
    const h = new RecoveryHistory(0);
    expect(h.latest).toBeNull();
    h.logApplied(at(0, 5), false);
    h.logApplied(at(1, 5), true);
    expect(h.needsUndo).toBe(false);
    expect(h.points()).toEqual([{ id: 2, cutAt: at(1, 5), appConsistent: true, kind: 'latest' }]);
    expect(h.restoreWrites(2)).toEqual([]);
  });

  it('takes one hourly point per hour, the first cut of the hour, and rotates beyond the maximum', () => {
    const h = new RecoveryHistory(2);
    h.logApplied(at(0, 5), false);
    h.logApplied(at(0, 10), false); // same hour: no new point
    h.logApplied(at(1, 5), true);
    expect(h.points().map((p) => [p.kind, p.cutAt / MICROS_PER_MINUTE])).toEqual([
      ['hourly', 5],
      ['latest', 65],
    ]);
    expect(h.points()[1].appConsistent).toBe(true);
    expect(h.logApplied(at(2, 5), false)).toBe(1); // a third hourly point drops the oldest
    expect(h.points().map((p) => p.cutAt / MICROS_PER_MINUTE)).toEqual([65, 125]);
    h.invariants();
  });

  it('restores a point by applying the undo of every newer point, newest first', () => {
    const h = new RecoveryHistory(3);
    h.logApplied(at(0, 5), false); // point A (id 1)
    expect(h.needsUndo).toBe(true);
    h.saveUndo(0, 7, content(100)); // block 7 held 100 at A
    expect(h.hasUndo(0, 7)).toBe(true);
    h.saveUndo(0, 7, content(999)); // only the first overwrite counts
    h.logApplied(at(1, 5), false); // point B (id 2)
    h.saveUndo(0, 7, content(200)); // block 7 held 200 at B
    h.saveUndo(1, 3, content(300)); // disk 1 block 3 held 300 at B
    h.logApplied(at(1, 30), false); // latest, same hour as B (id 3)
    const [a, b] = h.points();
    const toA = h.restoreWrites(a.id)!;
    expect(toA.map((w) => [w.disk, w.block, idOf(w.content)])).toEqual([
      [0, 7, 100],
      [1, 3, 300],
    ]);
    const toB = h.restoreWrites(b.id)!;
    expect(toB.map((w) => [w.disk, w.block, idOf(w.content)])).toEqual([
      [0, 7, 200],
      [1, 3, 300],
    ]);
    expect(h.restoreWrites(12345)).toBeNull();
    h.truncateAfter(a.id);
    expect(h.points().map((p) => [p.id, p.kind])).toEqual([[a.id, 'latest']]);
    expect(h.restoreWrites(a.id)).toEqual([]);
  });

  it('clear keeps only the latest point; reset forgets everything', () => {
    const h = new RecoveryHistory(4);
    h.logApplied(at(0, 5), false);
    h.logApplied(at(1, 5), false);
    h.clear();
    expect(h.needsUndo).toBe(false);
    expect(h.points().map((p) => p.kind)).toEqual(['latest']);
    h.reset();
    expect(h.latest).toBeNull();
    expect(() => new RecoveryHistory(25)).toThrow(/0 to 24/);
  });
});
