// Reliable delivery over the unreliable Transport port: a frame is resent until its ack
// arrives, with exponential backoff. Receivers must be idempotent (sequence numbers, epochs),
// because the network may duplicate frames and a resend may race its own ack.
import { assert, seconds, type Duration } from '../../model/index.js';
import type { Clock, Frame, TimerId } from '../ports.js';

export const RETRANSMIT_TIMEOUT_MIN = seconds(30);
export const RETRANSMIT_TIMEOUT_MAX = seconds(300);

interface Outstanding {
  readonly frame: Frame;
  timer: TimerId;
  timeout: Duration;
  attempts: number;
}

export class Retransmitter {
  private readonly outstanding = new Map<string, Outstanding>();

  constructor(
    private readonly clock: Clock,
    /** Sends one frame to the peer, unreliably. */
    private readonly transmit: (frame: Frame) => void,
    private readonly onResend: (key: string, attempts: number) => void = () => undefined,
  ) {}

  /** Sends `frame` now and again after each timeout until `acknowledge(key)`. */
  send(key: string, frame: Frame, timeout: Duration = RETRANSMIT_TIMEOUT_MIN): void {
    assert(!this.outstanding.has(key), `retransmitter: ${key} is already outstanding`);
    const entry: Outstanding = { frame, timer: 0 as TimerId, timeout, attempts: 1 };
    this.outstanding.set(key, entry);
    this.transmit(frame);
    entry.timer = this.clock.setTimer(timeout, 'retransmit', () => this.resend(key));
  }

  /** Stops resending `key`; false when it was not outstanding (a duplicate ack). */
  acknowledge(key: string): boolean {
    const entry = this.outstanding.get(key);
    if (entry === undefined) return false;
    this.clock.cancelTimer(entry.timer);
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
    for (const entry of this.outstanding.values()) this.clock.cancelTimer(entry.timer);
    this.outstanding.clear();
  }

  private resend(key: string): void {
    const entry = this.outstanding.get(key);
    if (entry === undefined) return;
    entry.attempts++;
    entry.timeout = Math.min(entry.timeout * 2, RETRANSMIT_TIMEOUT_MAX) as Duration;
    this.onResend(key, entry.attempts);
    this.transmit(entry.frame);
    entry.timer = this.clock.setTimer(entry.timeout, 'retransmit', () => this.resend(key));
  }
}
