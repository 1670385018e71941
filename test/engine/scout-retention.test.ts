import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MiB, hours, minutes, type Instant } from '../../model/index.js';
import { runScoutOperation } from '../../scenarios/scout-lab.js';
import { ChangedBlockBitmap, RetentionJournal, evaluateProcessServerHealth, type ProcessServerStatus } from '../../engine/index.js';
import { advance, hashesAtBoot, smallScoutLab } from './scout-helpers.js';

describe('Scout retention journal bounded by size (INFERRED: the oldest data is purged)', () => {
  it('purges the oldest undo when the retention volume is full; the window shrinks and stays exact', () => {
    const l = smallScoutLab(51, { retentionBytes: 48 * MiB });
    l.world.startGuests();
    for (const vm of l.vms) expect(runScoutOperation(l, (done) => l.controller.enable(vm.vmId, done), hours(1))).toMatchObject({ ok: true });
    advance(l, hours(4));
    expect(l.world.tracer.reached('retention-purged')).toBe(true);
    const status = l.masterTargets.get('mt-b1')!.statusOf('vm1')!;
    expect(status.windowStart).toBeGreaterThan(hours(1));
    l.masterTargets.get('mt-b1')!.invariants();
    // Before the window: refused. Inside it: exact.
    const tooOld = runScoutOperation(l, (done) => l.controller.unplannedFailover('vm1', { target: { kind: 'instant', at: (status.windowStart - 1) as Instant } }, done), hours(1));
    expect(tooOld).toMatchObject({ ok: false });
    const chosen = (status.windowStart + minutes(3) + 5) as Instant;
    const boot = hashesAtBoot(l, 'vm1');
    expect(runScoutOperation(l, (done) => l.controller.unplannedFailover('vm1', { target: { kind: 'instant', at: chosen } }, done), hours(1))).toMatchObject({ ok: true });
    expect(boot.hashes).toEqual(l.world.guest('vm1').truths.map((t) => t.oracle.imageHashAt(chosen)));
  });

  it('never lets two live entries share retention blocks (ring allocation, property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 80, max: 400 }), (sizes, capacity) => {
        const journal = new RetentionJournal(capacity, () => undefined);
        const live: Array<{ offset: number; count: number }> = [];
        sizes.forEach((count, i) => {
          const offset = journal.allocate(count);
          if (offset === null) return;
          journal.append(1, 0, i, count, i as Instant, offset);
          live.push({ offset, count });
          while (live.length > journal.size) live.shift();
          journal.invariants();
          for (let a = 0; a < live.length; a++)
            for (let b = a + 1; b < live.length; b++) {
              const x = live[a];
              const y = live[b];
              expect(x.offset + x.count <= y.offset || y.offset + y.count <= x.offset).toBe(true);
            }
        });
      }),
    );
  });
});

describe('Scout process-server health (numbers table row 32)', () => {
  const status = (over: Partial<ProcessServerStatus>): ProcessServerStatus =>
    ({ host: 'ps', cpuUtilisation: 0.1, memoryUtilisation: 0.1, cacheBytes: 0, cacheBytesMax: 1, cacheFreeFraction: 1, backlogMicros: 0, pairs: [], ...over }) as ProcessServerStatus;
  const now = hours(10) as number as Instant;
  const fresh = (now - minutes(1)) as Instant;
  it('grades CPU, memory, cache free space, backlog and heartbeat by the published thresholds', () => {
    expect(evaluateProcessServerHealth(status({}), fresh, now).level).toBe('normal');
    expect(evaluateProcessServerHealth(status({ cpuUtilisation: 0.85 }), fresh, now).level).toBe('warning');
    expect(evaluateProcessServerHealth(status({ memoryUtilisation: 0.96 }), fresh, now).level).toBe('critical');
    expect(evaluateProcessServerHealth(status({ cacheFreeFraction: 0.28 }), fresh, now).level).toBe('warning');
    expect(evaluateProcessServerHealth(status({ cacheFreeFraction: 0.2 }), fresh, now).level).toBe('critical');
    expect(evaluateProcessServerHealth(status({ backlogMicros: minutes(31) }), fresh, now).level).toBe('warning');
    expect(evaluateProcessServerHealth(status({ backlogMicros: minutes(46) }), fresh, now).level).toBe('critical');
    expect(evaluateProcessServerHealth(status({}), (now - minutes(16)) as Instant, now)).toEqual({ level: 'critical', reasons: ['no heartbeat for 15 minutes'] });
  });
});

describe('Scout changed-block bitmap', () => {
  it('hands back exactly the marked blocks as runs (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 1, max: 70 }))), (marks) => {
        const bitmap = new ChangedBlockBitmap([200_100, 200_100]);
        const expected = new Set<number>();
        for (const [disk, start, count] of marks) {
          bitmap.mark(disk, start, Math.min(count, 200_100 - start));
          for (let b = start; b < Math.min(start + count, 200_100); b++) expected.add(disk * 1e6 + b);
        }
        bitmap.invariants();
        expect(bitmap.size).toBe(expected.size);
        const taken = new Set<number>();
        for (let runs = bitmap.take(3, 16); runs.length > 0; runs = bitmap.take(3, 16)) {
          for (const run of runs) {
            expect(run.count).toBeLessThanOrEqual(16);
            for (let b = run.start; b < run.start + run.count; b++) taken.add(run.disk * 1e6 + b);
          }
        }
        expect([...taken].sort()).toEqual([...expected].sort());
        expect(bitmap.size).toBe(0);
      }),
      { numRuns: 50 },
    );
  });
});
