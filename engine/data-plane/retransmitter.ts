// Reliable delivery over the unreliable Transport port: a frame is resent until its ack
// arrives, with exponential backoff. Receivers must be idempotent (sequence numbers, epochs),
// because the network may duplicate frames and a resend may race its own ack.
//
// Frames outstanding are kept in a Map by key. Scout keeps a window of a few frames, but a
// Hyper-V log is sent as all its chunks at once (tens of thousands for a large log after an
// outage), so lookups and acknowledgements must not depend on how many are outstanding. (A list in
// send order searched from the front, tried for Scout's sake, made such a log quadratic.)
import { assert, seconds, type Duration } from '../../model/index.js';
import type { Clock, Frame, TimerId } from '../ports.js';

/** What names a frame until its ack: a string, or a number (a caller with numbered frames
 *  makes no string per frame). */
export type RetransmitKey = string | number;

export const RETRANSMIT_TIMEOUT_MIN = seconds(30);
export const RETRANSMIT_TIMEOUT_MAX = seconds(300);

class Outstanding<K extends RetransmitKey> {
  timer: TimerId | null = null;
  attempts = 1;

  constructor(
    readonly key: K,
    readonly frame: Frame,
    public timeout: Duration,
  ) {}
}

export class Retransmitter<K extends RetransmitKey = string> {
  private readonly outstanding = new Map<K, Outstanding<K>>();

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
    if (this.outstanding.has(key)) assert(false, `retransmitter: ${key} is already outstanding`);
    const entry = new Outstanding(key, frame, timeout);
    this.outstanding.set(key, entry);
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
    const entry = this.outstanding.get(key);
    if (entry === undefined) return false;
    if (entry.timer !== null) this.clock.cancelTimer(entry.timer);
    this.outstanding.delete(key);
    return true;
  }

  has(key: K): boolean {
    return this.outstanding.has(key);
  }

  get size(): number {
    return this.outstanding.size;
  }

  /** Forgets everything outstanding (the session stopped or changed direction). */
  clear(): void {
    for (const entry of this.outstanding.values()) if (entry.timer !== null) this.clock.cancelTimer(entry.timer);
    this.outstanding.clear();
  }

  /** Every outstanding frame is filed under its own key. */
  invariants(): void {
    for (const [key, entry] of this.outstanding) assert(entry.key === key, `retransmitter: ${key} is filed under another key`);
  }

  /** An acknowledged or forgotten entry left the map (a later send of its key is another entry):
   *  its late callbacks do nothing. */
  private isOutstanding(entry: Outstanding<K>): boolean {
    return this.outstanding.get(entry.key) === entry;
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
