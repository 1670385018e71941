// Reliable delivery over the unreliable Transport port: a frame is resent until its ack
// arrives, with exponential backoff. Receivers must be idempotent (sequence numbers, epochs),
// because the network may duplicate frames and a resend may race its own ack.
import { assert, seconds, type Duration } from '../../model/index.js';
import type { Clock, Frame, TimerId } from '../ports.js';

export const RETRANSMIT_TIMEOUT_MIN = seconds(30);
export const RETRANSMIT_TIMEOUT_MAX = seconds(300);

interface Outstanding {
  readonly frame: Frame;
  timer: TimerId | null;
  timeout: Duration;
  attempts: number;
}

export class Retransmitter {
  private readonly outstanding = new Map<string, Outstanding>();

  constructor(
    private readonly clock: Clock,
    /** Sends one frame to the peer, unreliably; `left` runs when the frame leaves the local
     *  queue (the transport accepted it onto the wire). */
    private readonly transmit: (frame: Frame, left: () => void) => void,
    private readonly onResend: (key: string, attempts: number) => void = () => undefined,
  ) {}

  /** Sends `frame` now and again after each timeout until `acknowledge(key)`. The timeout
   *  runs from the moment the frame leaves the local queue, not from the call: a frame waiting
   *  behind others on a busy link is not lost, and resending it would only congest the link. */
  send(key: string, frame: Frame, timeout: Duration = RETRANSMIT_TIMEOUT_MIN): void {
    assert(!this.outstanding.has(key), `retransmitter: ${key} is already outstanding`);
    const entry: Outstanding = { frame, timer: null, timeout, attempts: 1 };
    this.outstanding.set(key, entry);
    this.transmitAndArm(key, entry);
  }

  private transmitAndArm(key: string, entry: Outstanding): void {
    const attempt = entry.attempts;
    this.transmit(entry.frame, () => {
      if (this.outstanding.get(key) !== entry || entry.attempts !== attempt || entry.timer !== null) return;
      entry.timer = this.clock.setTimer(entry.timeout, 'retransmit', () => this.resend(key));
    });
  }

  /** Stops resending `key`; false when it was not outstanding (a duplicate ack). */
  acknowledge(key: string): boolean {
    const entry = this.outstanding.get(key);
    if (entry === undefined) return false;
    if (entry.timer !== null) this.clock.cancelTimer(entry.timer);
    this.outstanding.delete(key);
    return true;
  }

  has(key: string): boolean {
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

  private resend(key: string): void {
    const entry = this.outstanding.get(key);
    if (entry === undefined) return;
    entry.timer = null;
    entry.attempts++;
    entry.timeout = Math.min(entry.timeout * 2, RETRANSMIT_TIMEOUT_MAX) as Duration;
    this.onResend(key, entry.attempts);
    this.transmitAndArm(key, entry);
  }
}
