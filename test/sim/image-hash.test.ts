import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ImageHash } from '../../sim/disk/image-hash.js';

/** The hash of an image built afresh, block by block in ascending order. */
function hashOf(image: ReadonlyMap<number, number>): string {
  const hash = new ImageHash();
  for (const [block, id] of [...image].sort((a, b) => a[0] - b[0])) hash.replace(block, 0, id);
  return hash.toString();
}

// Few blocks and ids, so the same (block, old, new) change recurs, on one hash and across hashes.
const change = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, 1, 2, 0xffff_ffff));

describe('ImageHash: an incremental hash equals the hash of its image built afresh', () => {
  it('whatever changes several hashes take in turn, in step (a disk and its truth) or not', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(change, fc.boolean()), { maxLength: 120 }), (steps) => {
        const hashes = [new ImageHash(), new ImageHash(), new ImageHash()];
        const images = hashes.map(() => new Map<number, number>());
        for (const [[which, block, id], inStep] of steps) {
          // In step: the next hash takes the same change right after, as a guest's truth does.
          const targets = inStep ? [which, (which + 1) % hashes.length] : [which];
          for (const t of targets) {
            hashes[t].replace(block, images[t].get(block) ?? 0, id);
            images[t].set(block, id);
          }
        }
        hashes.forEach((hash, t) => expect(hash.toString()).toBe(hashOf(images[t])));
      }),
    );
  });

  it('tells two images apart that differ in one block, and agrees on a range with its blocks', () => {
    const a = new ImageHash();
    const b = new ImageHash();
    a.addRange(0, 10, 7);
    for (let block = 0; block < 10; block++) b.replace(block, 0, 7);
    expect(a.equals(b)).toBe(true);
    b.replace(3, 7, 8);
    expect(a.equals(b)).toBe(false);
    a.replace(3, 7, 8);
    expect(a.toString()).toBe(b.toString());
  });
});
