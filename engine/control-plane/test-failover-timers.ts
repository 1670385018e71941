// The time limit of test failovers, shared by both providers' controllers: ASR force-completes a
// test failover after two weeks (DOMAIN.md numbers table, row 15). One timer per protected item;
// every way a test ends (cleanup, a failover or resync that leaves `protected`) cancels it.
import { days } from '../../model/index.js';
import type { Clock, TimerId, Tracer } from '../ports.js';

export const TEST_FAILOVER_DURATION_MAX = days(14);

export class TestFailoverTimers {
  private readonly timers = new Map<string, TimerId>();

  constructor(
    private readonly clock: Clock,
    private readonly tracer: Tracer,
  ) {}

  /** Starts the limit of `vmId`'s test failover; at its end `cleanUp` runs as an operator's would. */
  arm(vmId: string, cleanUp: () => void): void {
    this.cancel(vmId);
    const timer = this.clock.setTimer(TEST_FAILOVER_DURATION_MAX, 'test-failover-force-complete', () => {
      this.timers.delete(vmId);
      this.tracer.mark('test-failover-force-completed');
      cleanUp();
    });
    this.timers.set(vmId, timer);
  }

  /** The test ended: its limit no longer applies. */
  cancel(vmId: string): void {
    const timer = this.timers.get(vmId);
    if (timer === undefined) return;
    this.clock.cancelTimer(timer);
    this.timers.delete(vmId);
  }
}
