// The retention journal's bookkeeping against a plain list of entries (model-based): its entries
// live in chunks of columns that are appended and reused as the ring moves, so long runs of
// appends, purges for space, window expiry, forgotten pairs and roll-backs must keep exactly the
// entries the list keeps, in order, across chunk boundaries.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Instant } from '../../model/index.js';
import { RetentionJournal } from '../../engine/providers/inmage-scout/retention-journal.js';
import type { JournalEntry } from '../../engine/providers/inmage-scout/retention-journal.js';

/** Enough appends in one step to cross a chunk of columns (4096 entries). */
const BURST_MAX = 5000;

type Step =
  | { readonly kind: 'append'; readonly entries: number; readonly pair: number; readonly countMax: number }
  | { readonly kind: 'expire'; readonly age: number }
  | { readonly kind: 'forget'; readonly pair: number }
  | { readonly kind: 'truncate'; readonly pair: number; readonly age: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), entries: fc.integer({ min: 1, max: BURST_MAX }), pair: fc.integer({ min: 1, max: 3 }), countMax: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), age: fc.integer({ min: 0, max: 6000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forget' as const), pair: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pair: fc.integer({ min: 1, max: 3 }), age: fc.integer({ min: 0, max: 6000 }) }) },
);

interface ModelEntry {
  pair: number;
  readonly entry: JournalEntry;
}

describe('RetentionJournal: chunked columns', () => {
  it('keeps exactly the entries a plain list keeps, oldest first, through appends, purges and roll-backs', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.integer({ min: 50, max: 30_000 }), (steps, capacity) => {
        const purged: number[] = [];
        const journal = new RetentionJournal(capacity, (pair) => purged.push(pair));
        // The list of entries ever appended; the live ones are from `oldest` on.
        const entries: ModelEntry[] = [];
        let oldest = 0;
        /** Purges are from the oldest end: the list drops `count` entries, and the journal must
         *  have told of each (but forgotten ones). */
        const dropOldest = (count: number) => {
          const dropped = entries.slice(oldest, oldest + count);
          expect(purged.splice(0)).toEqual(dropped.filter((e) => e.pair >= 0).map((e) => e.pair));
          oldest += count;
        };
        let now = 0;
        for (const s of steps) {
          switch (s.kind) {
            case 'append':
              for (let i = 0; i < s.entries; i++) {
                const count = 1 + (i % s.countMax);
                const offset = journal.allocate(count);
                if (offset === null) continue;
                const live = entries.length - oldest;
                if (journal.size < live) dropOldest(live - journal.size);
                const entry: JournalEntry = { pair: s.pair, disk: i % 3, start: (now * 7) % 100_000, count, at: now++ as Instant, offset };
                journal.append(entry.pair, entry.disk, entry.start, entry.count, entry.at, entry.offset);
                entries.push({ pair: s.pair, entry });
              }
              break;
            case 'expire': {
              const windowStart = now - s.age;
              journal.expire(() => windowStart);
              let expired = 0;
              while (oldest + expired < entries.length && entries[oldest + expired].entry.at < windowStart) expired++;
              dropOldest(expired);
              break;
            }
            case 'forget':
              journal.forget(s.pair);
              for (let i = oldest; i < entries.length; i++) if (entries[i].pair === s.pair) entries[i].pair = -1;
              break;
            case 'truncate':
              journal.truncateAfter(s.pair, now - s.age);
              for (let i = oldest; i < entries.length; i++) if (entries[i].pair === s.pair && entries[i].entry.at > now - s.age) entries[i].pair = -1;
              break;
          }
          const live = entries.slice(oldest);
          journal.invariants();
          expect(journal.size).toBe(live.length);
          expect(journal.blocksUsed).toBe(live.reduce((sum, e) => sum + e.entry.count, 0));
          for (const pair of [1, 2, 3]) {
            for (const after of [-1, now - 3000, now - 10]) {
              const expected = live.filter((e) => e.pair === pair && e.entry.at > after).map((e) => ({ ...e.entry, pair })).reverse();
              expect(journal.newerThan(pair, after)).toEqual(expected);
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('refuses an entry whose blocks do not fit its 32-bit columns', () => {
    const journal = new RetentionJournal(100, () => undefined);
    expect(() => journal.append(1, 0, 2 ** 32 - 1, 2, 0 as Instant, 0)).toThrow(/do not fit its columns/);
    expect(() => journal.append(1, 2 ** 16, 0, 1, 0 as Instant, 0)).toThrow(/do not fit its columns/);
    expect(() => new RetentionJournal(2 ** 32 + 1, () => undefined)).toThrow(/32-bit block numbers/);
  });
});

describe('RetentionJournal: replay after a restart', () => {
  it('replays an index written over a wrapped ring to exactly the live entries, purging what the ring overwrote', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ pair: fc.integer({ min: 1, max: 3 }), count: fc.integer({ min: 1, max: 9 }) }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 20, max: 200 }), (writes, capacity) => {
        const live = new RetentionJournal(capacity, () => undefined);
        const index: JournalEntry[] = [];
        writes.forEach(({ pair, count }, i) => {
          const offset = live.allocate(count);
          if (offset === null) return;
          live.append(pair, 0, i, count, i as Instant, offset);
          index.push({ pair, disk: 0, start: i, count, at: i as Instant, offset });
        });
        const purgedOnReplay: number[] = [];
        const replayed = new RetentionJournal(capacity, (_pair, at) => purgedOnReplay.push(at));
        for (const e of index) replayed.restore(e.pair, e.disk, e.start, e.count, e.at, e.offset);
        replayed.invariants();
        for (const pair of [1, 2, 3]) expect(replayed.newerThan(pair, -1)).toEqual(live.newerThan(pair, -1));
        expect(replayed.blocksUsed).toBe(live.blocksUsed);
        // What the replay purged is exactly what the live ring had purged.
        expect(purgedOnReplay).toEqual(index.slice(0, index.length - live.size).map((e) => e.at));
      }),
    );
  });

  it('after window expiry too, the replay keeps every live entry and no entry a later one wrote over', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ pair: fc.integer({ min: 1, max: 3 }), count: fc.integer({ min: 1, max: 9 }) }), fc.record({ expireBefore: fc.integer({ min: 0, max: 40 }) })), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 20, max: 200 }),
        (steps, capacity) => {
          const live = new RetentionJournal(capacity, () => undefined);
          const index: JournalEntry[] = [];
          steps.forEach((s, i) => {
            if ('expireBefore' in s) {
              live.expire(() => i - s.expireBefore);
              return;
            }
            const offset = live.allocate(s.count);
            if (offset === null) return;
            live.append(s.pair, 0, i, s.count, i as Instant, offset);
            index.push({ pair: s.pair, disk: 0, start: i, count: s.count, at: i as Instant, offset });
          });
          const replayed = new RetentionJournal(capacity, () => undefined);
          for (const e of index) replayed.restore(e.pair, e.disk, e.start, e.count, e.at, e.offset);
          replayed.invariants();
          const kept = [1, 2, 3].flatMap((pair) => replayed.newerThan(pair, -1));
          // A superset of the live journal (entries the window expired may come back; the
          // master target expires them again on its next pass)...
          for (const pair of [1, 2, 3]) for (const entry of live.newerThan(pair, -1)) expect(kept).toContainEqual(entry);
          // ...and no kept entry's blocks were written over by an entry written after it.
          for (const entry of kept) {
            const later = index.filter((e) => e.at > entry.at);
            for (const e of later) expect(e.offset < entry.offset + entry.count && entry.offset < e.offset + e.count).toBe(false);
          }
        },
      ),
    );
  });
});
