// RandomStream keeps alea's lags as 32-bit integers (sim/random.ts); its draws must stay bit for
// bit those of seedrandom's alea, whose double() it stands for: every seed-pinned trace hash of
// the lab depends on it.
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../sim/random.js';

describe('RandomStream and seedrandom alea', () => {
  it.each(['seed:1', 'seed:200/disk:vm17/d2@mt-b3', '', 'ünïcode ✓', 'x'.repeat(300)])('draw the same doubles from label %j', (label) => {
    const ours = new RandomStream(label);
    const theirs = seedrandom.alea(label);
    for (let i = 0; i < 20_000; i++) expect(ours.next()).toBe(theirs.double());
  });

  it('keep the same state through many draws (the carry and the high lags included)', () => {
    const ours = new RandomStream('long-run');
    const theirs = seedrandom.alea('long-run', { state: true });
    for (let i = 0; i < 1_000_000; i++) {
      const a = ours.next();
      const b = theirs.double();
      if (a !== b) expect.fail(`draw ${i}: ${a} !== ${b}`);
    }
    expect(ours.nextInt(1 << 30)).toBe(Math.floor(theirs.double() * (1 << 30)));
  });
});
