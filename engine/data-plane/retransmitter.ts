// Reliable delivery over the unreliable Transport port: a frame is resent until its ack
// arrives, with exponential backoff. Receivers must be idempotent (sequence numbers, epochs),
// because the network may duplicate frames and a resend may race its own ack.
//
// Frames outstanding are kept in a hash table by key. Scout keeps a window of a few frames, but a
// Hyper-V log is sent as all its chunks at once (tens of thousands for a large log after an
// outage), so lookups and acknowledgements must not depend on how many are outstanding. (A list in
// send order searched from the front, tried for Scout's sake, made such a log quadratic.)
// Numbered keys (Scout's batches) go in a NumberTable, which reuses its slots as the window moves
// on; a Map reallocated its table every few frames, and those tables outlived the young generation.
import { assert, seconds, type Duration } from '../../model/index.js';
import type { Clock, Frame, TimerId } from '../ports.js';
import { NumberTable } from './number-table.js';

/** What names a frame until its ack: a string, or a number (a caller with numbered frames
 *  makes no string per frame), which must be a non-negative safe integer (NumberTable's keys). */
export type RetransmitKey = string | number;

export const RETRANSMIT_TIMEOUT_MIN = seconds(30);
export const RETRANSMIT_TIMEOUT_MAX = seconds(300);

class Outstanding<K extends RetransmitKey> {
  timer: TimerId | null = null;
  attempts = 1;
  /** Filed in the table: false once acknowledged or forgotten (the table is not searched again
   *  when the frame leaves the queue). */
  filed = true;

  constructor(
    readonly key: K,
    readonly frame: Frame,
    public timeout: Duration,
  ) {}
}

export class Retransmitter<K extends RetransmitKey = string> {
  private readonly numbered = new NumberTable<Outstanding<K>>();
  private readonly named = new Map<K, Outstanding<K>>();

  constructor(
    private readonly clock: Clock,
    /** Sends one frame to the peer, unreliably; `left` runs when the frame leaves the local
     *  queue (the transport accepted it onto the wire). */
    private readonly transmit: (frame: Frame, left: () => void) => void,
    private readonly onResend: (key: K, attempts: number) => void = () => undefined,
  ) {}

  /** Sends `frame` now and again after each timeout until `acknowledge(key)`. The timeout
   *  runs from the moment the frame leaves the local queue, not from the call: a frame waiting
   *  behind others on a busy link is not lost, and resending it would only congest the link. */
  send(key: K, frame: Frame, timeout: Duration = RETRANSMIT_TIMEOUT_MIN): void {
    // The message is built only on failure: a numbered key would be turned into a string per frame.
    if (this.find(key) !== undefined) assert(false, `retransmitter: ${key} is already outstanding`);
    const entry = new Outstanding(key, frame, timeout);
    if (typeof key === 'number') this.numbered.set(key, entry);
    else this.named.set(key, entry);
    this.transmitAndArm(entry);
  }

  private transmitAndArm(entry: Outstanding<K>): void {
    const attempt = entry.attempts;
    this.transmit(entry.frame, () => {
      if (!this.isOutstanding(entry) || entry.attempts !== attempt || entry.timer !== null) return;
      entry.timer = this.clock.setTimer(entry.timeout, 'retransmit', () => this.resend(entry));
    });
  }

  /** Stops resending `key`; false when it was not outstanding (a duplicate ack). */
  acknowledge(key: K): boolean {
    const entry = this.find(key);
    if (entry === undefined) return false;
    if (entry.timer !== null) this.clock.cancelTimer(entry.timer);
    entry.filed = false;
    if (typeof key === 'number') this.numbered.delete(key);
    else this.named.delete(key);
    return true;
  }

  has(key: K): boolean {
    return this.find(key) !== undefined;
  }

  get size(): number {
    return this.numbered.size + this.named.size;
  }

  /** Forgets everything outstanding (the session stopped or changed direction). */
  clear(): void {
    const cancel = (entry: Outstanding<K>): void => {
      if (entry.timer !== null) this.clock.cancelTimer(entry.timer);
      entry.filed = false;
    };
    this.numbered.forEach(cancel);
    this.named.forEach(cancel);
    this.numbered.clear();
    this.named.clear();
  }

  /** Every outstanding frame is filed under its own key, numbers in the table and names in the map. */
  invariants(): void {
    this.numbered.invariants();
    this.numbered.forEach((entry, key) => assert(entry.key === key && entry.filed, `retransmitter: ${key} is filed under another key`));
    for (const [key, entry] of this.named) assert(entry.key === key && entry.filed && typeof key !== 'number', `retransmitter: ${key} is filed under another key`);
  }

  private find(key: K): Outstanding<K> | undefined {
    return typeof key === 'number' ? this.numbered.get(key) : this.named.get(key);
  }

  /** An acknowledged or forgotten entry left the table (a later send of its key is another
   *  entry): its late callbacks do nothing. */
  private isOutstanding(entry: Outstanding<K>): boolean {
    return entry.filed;
  }

  private resend(entry: Outstanding<K>): void {
    if (!this.isOutstanding(entry)) return;
    entry.timer = null;
    entry.attempts++;
    entry.timeout = Math.min(entry.timeout * 2, RETRANSMIT_TIMEOUT_MAX) as Duration;
    this.onResend(entry.key, entry.attempts);
    this.transmitAndArm(entry);
  }
}
