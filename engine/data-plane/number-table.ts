// A map from integer keys to values that allocates nothing while its size stays within what it
// has held before: open addressing with linear probing over a power-of-two table, and deletion by
// shifting the following entries back (no tombstones), so a table whose keys change all the time
// (a retransmitter's window of numbered frames, acknowledged one by one) reuses its slots.
//
// A JavaScript Map appends every insertion to its entry array and reallocates the whole table
// each time that array fills up with live and deleted entries, so a small Map whose keys keep
// changing allocates a new table every few insertions; owned by a long-lived object, each of
// those tables outlives the young generation and is copied by the collector.
import { assert } from '../../model/index.js';

const CAPACITY_MIN = 8;
/** Keys are integers in [0, 2^53): two 32-bit halves, mixed. */
const TWO_POW_32 = 0x1_0000_0000;

export class NumberTable<V> {
  private keys = new Float64Array(CAPACITY_MIN);
  /** undefined marks an empty slot. */
  private values: (V | undefined)[] = new Array<V | undefined>(CAPACITY_MIN).fill(undefined);
  private mask = CAPACITY_MIN - 1;
  /** 32 - log2(capacity): a slot is the top bits of the mixed key (its low bits are weak). */
  private shift = 32 - Math.log2(CAPACITY_MIN);
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: number): V | undefined {
    const keys = this.keys;
    const values = this.values;
    for (let slot = this.slotOf(key); ; slot = (slot + 1) & this.mask) {
      const value = values[slot];
      if (value === undefined || keys[slot] === key) return value;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** Files `value` (never undefined) under `key`, replacing what was there. */
  set(key: number, value: V): void {
    if (!(Number.isSafeInteger(key) && key >= 0) || value === undefined) assert(false, `number table: key ${key} is not a non-negative safe integer, or the value is undefined`);
    if (2 * (this.count + 1) > this.keys.length) this.grow();
    const keys = this.keys;
    const values = this.values;
    let slot = this.slotOf(key);
    while (values[slot] !== undefined && keys[slot] !== key) slot = (slot + 1) & this.mask;
    if (values[slot] === undefined) this.count++;
    keys[slot] = key;
    values[slot] = value;
  }

  /** Removes `key`; false if it was not there. */
  delete(key: number): boolean {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let slot = this.slotOf(key);
    for (;;) {
      if (values[slot] === undefined) return false;
      if (keys[slot] === key) break;
      slot = (slot + 1) & mask;
    }
    // Shift back every following entry of the run that the hole would cut off from its home.
    let hole = slot;
    for (let next = (hole + 1) & mask; values[next] !== undefined; next = (next + 1) & mask) {
      const home = this.slotOf(keys[next]);
      // The entry may move into the hole unless its home lies cyclically in (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (between) continue;
      keys[hole] = keys[next];
      values[hole] = values[next];
      hole = next;
    }
    values[hole] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.values.fill(undefined);
    this.count = 0;
  }

  /** Calls `visit` on every entry, in slot order (not insertion order). */
  forEach(visit: (value: V, key: number) => void): void {
    const values = this.values;
    for (let slot = 0; slot < values.length; slot++) {
      const value = values[slot];
      if (value !== undefined) visit(value, this.keys[slot]);
    }
  }

  /** Every entry is reachable from its home slot without crossing an empty slot; the count is right. */
  invariants(): void {
    let count = 0;
    for (let slot = 0; slot < this.values.length; slot++) {
      if (this.values[slot] === undefined) continue;
      count++;
      for (let probe = this.slotOf(this.keys[slot]); probe !== slot; probe = (probe + 1) & this.mask) {
        assert(this.values[probe] !== undefined, `number table: key ${this.keys[slot]} is cut off from its home slot`);
      }
    }
    assert(count === this.count, `number table: ${count} entries, counted ${this.count}`);
    assert(2 * this.count <= this.keys.length, 'number table: more than half full');
  }

  private slotOf(key: number): number {
    const high = (key / TWO_POW_32) | 0;
    return Math.imul((key | 0) ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2);
    this.values = new Array<V | undefined>(oldKeys.length * 2).fill(undefined);
    this.mask = this.keys.length - 1;
    this.shift--;
    this.count = 0;
    for (let slot = 0; slot < oldValues.length; slot++) {
      const value = oldValues[slot];
      if (value !== undefined) this.set(oldKeys[slot], value);
    }
  }
}
