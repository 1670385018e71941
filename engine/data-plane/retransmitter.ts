// Reliable delivery over the unreliable Transport port: a frame is resent until its ack
// arrives, with exponential backoff. Receivers must be idempotent (sequence numbers, epochs),
// because the network may duplicate frames and a resend may race its own ack.
//
// Frames outstanding are few (a window) and acknowledged mostly oldest first, so they are kept in
// a list in send order, searched from the front, whose slots are reused: a Map here grew and
// shrank its table at every frame (one send and one ack per batch), and the tables it dropped
// lived long enough for the garbage collector to copy them.
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
  /** False once acknowledged or forgotten: its late callbacks do nothing. */
  live = true;

  constructor(
    readonly key: K,
    readonly frame: Frame,
    public timeout: Duration,
  ) {}
}

export class Retransmitter<K extends RetransmitKey = string> {
  /** Outstanding frames in send order: slots [0, count) of `slots`, the rest null. */
  private readonly slots: Array<Outstanding<K> | null> = [];
  private count = 0;

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
    if (this.indexOf(key) >= 0) assert(false, `retransmitter: ${key} is already outstanding`);
    const entry = new Outstanding(key, frame, timeout);
    if (this.count === this.slots.length) this.slots.push(entry);
    else this.slots[this.count] = entry;
    this.count++;
    this.transmitAndArm(entry);
  }

  private transmitAndArm(entry: Outstanding<K>): void {
    const attempt = entry.attempts;
    this.transmit(entry.frame, () => {
      if (!entry.live || entry.attempts !== attempt || entry.timer !== null) return;
      entry.timer = this.clock.setTimer(entry.timeout, 'retransmit', () => this.resend(entry));
    });
  }

  /** Stops resending `key`; false when it was not outstanding (a duplicate ack). */
  acknowledge(key: K): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    const entry = this.slots[i]!;
    if (entry.timer !== null) this.clock.cancelTimer(entry.timer);
    entry.live = false;
    for (let j = i + 1; j < this.count; j++) this.slots[j - 1] = this.slots[j];
    this.slots[--this.count] = null;
    return true;
  }

  has(key: K): boolean {
    return this.indexOf(key) >= 0;
  }

  get size(): number {
    return this.count;
  }

  /** Forgets everything outstanding (the session stopped or changed direction). */
  clear(): void {
    for (let i = 0; i < this.count; i++) {
      const entry = this.slots[i]!;
      if (entry.timer !== null) this.clock.cancelTimer(entry.timer);
      entry.live = false;
      this.slots[i] = null;
    }
    this.count = 0;
  }

  /** Slots past the outstanding ones are empty and no key is outstanding twice (quadratic in
   *  the window: for tests, not for every frame). */
  invariants(): void {
    assert(this.count >= 0 && this.count <= this.slots.length, 'retransmitter: count outside its slots');
    for (let i = 0; i < this.slots.length; i++) {
      const entry = this.slots[i];
      assert((i < this.count) === (entry !== null), 'retransmitter: a slot past the outstanding ones is in use, or one before is empty');
      if (entry !== null) assert(entry.live && this.indexOf(entry.key) === i, `retransmitter: ${entry.key} is outstanding twice or was acknowledged`);
    }
  }

  private indexOf(key: K): number {
    for (let i = 0; i < this.count; i++) if (this.slots[i]!.key === key) return i;
    return -1;
  }

  private resend(entry: Outstanding<K>): void {
    // An acknowledged or forgotten entry's timer was cancelled: a live one is still outstanding.
    if (!entry.live) return;
    entry.timer = null;
    entry.attempts++;
    entry.timeout = Math.min(entry.timeout * 2, RETRANSMIT_TIMEOUT_MAX) as Duration;
    this.onResend(entry.key, entry.attempts);
    this.transmitAndArm(entry);
  }
}
