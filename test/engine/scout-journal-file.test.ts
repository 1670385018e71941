// The master target's journal index file: segment records written by the reused SegmentWriter
// read back whole and in order, a torn tail is dropped, and a writer reused after a commit with
// events encodes exactly what a fresh one would (no stale bytes in the JSON padding).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSegments, ENTRY_WORDS, INSTANT_LIMIT, SegmentWriter, type JournalEvent, type SegmentRecord } from '../../engine/providers/inmage-scout/journal-file.js';

const event: fc.Arbitrary<JournalEvent> = fc.oneof(
  fc.record({ k: fc.constant('tag' as const), name: fc.string({ maxLength: 12 }), kind: fc.constantFrom('crash', 'app', 'final'), at: fc.nat() }),
  fc.record({ k: fc.constant('begin' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('end' as const), at: fc.nat() }),
);

const instant = fc.oneof(fc.nat(), fc.integer({ min: 0, max: INSTANT_LIMIT - 1 }), fc.integer({ min: 80_000_000_000, max: 90_000_000_000 }));

const segment: fc.Arbitrary<SegmentRecord> = fc
  .record({
    pair: fc.integer({ min: 1, max: 50 }),
    generation: fc.integer({ min: 1, max: 9 }),
    seq: fc.integer({ min: 1, max: 1000 }),
    segment: fc.integer({ min: 0, max: 4 }),
    sealedAt: fc.oneof(fc.constant(-1), instant),
    // Instants beyond 32 bits (a day is 8.64e10 microseconds), in any order; offsets anywhere.
    entries: fc.array(fc.tuple(fc.nat(60), fc.nat(), fc.integer({ min: 1, max: 64 }), instant, fc.nat()), { maxLength: 6 }),
    events: fc.array(event, { maxLength: 3 }),
  })
  .map((r) => ({ ...r, entries: Float64Array.from(r.entries.flat()) }));

function write(writer: SegmentWriter, records: readonly SegmentRecord[]): Uint8Array {
  writer.clear();
  for (const record of records) {
    writer.begin(record, record.entries.length / ENTRY_WORDS);
    const e = record.entries;
    for (let i = 0; i < e.length; i += ENTRY_WORDS) writer.entry(e[i], e[i + 1], e[i + 2], e[i + 3], e[i + 4]);
    writer.end();
  }
  return writer.bytes().slice();
}

describe('journal index file', () => {
  it('reads back every record written, in order, and drops a torn tail', () => {
    fc.assert(
      fc.property(fc.array(fc.array(segment, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), fc.nat(), (commits, tear) => {
        const writer = new SegmentWriter();
        const file: Uint8Array[] = commits.map((records) => write(writer, records));
        const all = Uint8Array.from(file.flatMap((bytes) => [...bytes]));
        const decoded = decodeSegments(all);
        expect(decoded.validBytes).toBe(all.length);
        expect(decoded.records).toEqual(commits.flat());
        // A crash in the middle of the last append leaves a strict prefix of it.
        const last = file[file.length - 1];
        const torn = all.subarray(0, all.length - last.length + (tear % last.length));
        const fromTorn = decodeSegments(torn);
        expect(fromTorn.validBytes).toBeLessThan(all.length);
        expect(fromTorn.records).toEqual(commits.flat().slice(0, fromTorn.records.length));
        expect(fromTorn.records.length).toBeGreaterThanOrEqual(commits.slice(0, -1).flat().length);
      }),
      { numRuns: 200 },
    );
  });

  it('encodes alike with a reused writer and a fresh one', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.array(segment, { minLength: 1, maxLength: 4 }), (first, second) => {
        const reused = new SegmentWriter();
        write(reused, first);
        expect(write(reused, second)).toEqual(write(new SegmentWriter(), second));
      }),
    );
  });

  it('takes a few bytes per entry for a tick of writes back to back on the ring', () => {
    const writer = new SegmentWriter();
    const entries = 15;
    writer.begin({ pair: 7, generation: 2, seq: 4321, segment: 0, sealedAt: 86_399_000_000, events: [] }, entries);
    for (let e = 0; e < entries; e++) writer.entry(e % 3, 40_000 + 97 * e, 1, 86_398_800_000 + 13 * e, 300_000 + e);
    writer.end();
    const bytes = writer.bytes().slice();
    // Fixed-width words took 24 bytes an entry and a 40-byte header.
    expect(bytes.length).toBeLessThanOrEqual(24 + 8 * entries);
    expect(decodeSegments(bytes).records[0].entries[ENTRY_WORDS * (entries - 1) + 3]).toBe(86_398_800_000 + 13 * (entries - 1));
  });

  it('refuses a record whose entries do not match what it announced', () => {
    const writer = new SegmentWriter();
    writer.begin({ pair: 1, generation: 1, seq: 1, segment: 0, sealedAt: -1, events: [] }, 1);
    expect(() => writer.end()).toThrow(/fewer entries/);
    writer.entry(0, 0, 1, 0, 0);
    expect(() => writer.entry(0, 1, 1, 0, 1)).toThrow(/more entries/);
  });
});
