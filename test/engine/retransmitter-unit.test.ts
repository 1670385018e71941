// Retransmitter timers: acknowledging or clearing cancels exactly the resend timers that are
// armed (a frame still in the local queue has none), so a stopped session leaves no events; and
// the frames outstanding are exactly those sent and not yet acknowledged, in any order of acks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seconds, type Duration, type Instant } from '../../model/index.js';
import { Kernel, KernelClock } from '../../sim/index.js';
import { Retransmitter } from '../../engine/data-plane/retransmitter.js';
import type { Clock, Frame, TimerId } from '../../engine/index.js';

/** The kernel's clock, recording which timers the retransmitter cancels. */
function recordingClock(kernel: Kernel) {
  const inner = new KernelClock(kernel, 'retx');
  const armed: TimerId[] = [];
  const cancelled: unknown[] = [];
  const clock: Clock = {
    now: () => inner.now(),
    setTimer: (after: Duration, label: string, fire: () => void) => {
      const id = inner.setTimer(after, label, fire);
      armed.push(id);
      return id;
    },
    cancelTimer: (id: TimerId) => {
      cancelled.push(id);
      return inner.cancelTimer(id);
    },
  };
  return { inner, clock, armed, cancelled };
}

const frame: Frame = { sizeBytes: 10, body: 'x' };

/** A transport where frames to "stuck" never leave the local queue. */
function harness() {
  const kernel = new Kernel();
  const recorded = recordingClock(kernel);
  const sent: string[] = [];
  let stuck = false;
  const retx = new Retransmitter(recorded.clock, (f, left) => {
    sent.push(String(f.body));
    if (!stuck) kernel.schedule(0, 'left', left);
  });
  const setStuck = (value: boolean) => {
    stuck = value;
  };
  return { kernel, retx, sent, setStuck, ...recorded };
}

describe('Retransmitter timers', () => {
  it('clear cancels the armed timers and touches no frame that never left the queue', () => {
    const { kernel, retx, inner, armed, cancelled, setStuck } = harness();
    retx.send('left', frame, seconds(30));
    kernel.run({ until: seconds(1) as number as Instant });
    setStuck(true);
    retx.send('queued', frame, seconds(30));
    kernel.run({ until: seconds(2) as number as Instant });
    expect(armed.length).toBe(1);
    expect(inner.pendingTimers).toBe(1);
    retx.clear();
    expect(cancelled).toEqual(armed);
    expect(inner.pendingTimers).toBe(0);
    expect(retx.size).toBe(0);
  });

  it('acknowledge cancels the armed timer, and only a real one', () => {
    const { kernel, retx, inner, armed, cancelled, setStuck, sent } = harness();
    retx.send('a', frame, seconds(30));
    kernel.run({ until: seconds(1) as number as Instant });
    expect(retx.acknowledge('a')).toBe(true);
    expect(cancelled).toEqual(armed);
    expect(inner.pendingTimers).toBe(0);
    setStuck(true);
    retx.send('b', frame, seconds(30));
    expect(retx.acknowledge('b')).toBe(true);
    expect(cancelled.length).toBe(1);
    kernel.run({ until: seconds(600) as number as Instant });
    expect(sent).toEqual(['x', 'x']); // nothing was resent
  });
});

/** A transport whose `left` callbacks the test calls by hand (a frame leaves the queue when it says). */
function manualTransport() {
  const kernel = new Kernel();
  const clock = new KernelClock(kernel, 'retx');
  const lefts: Array<() => void> = [];
  const retx = new Retransmitter(clock, (_frame, left) => lefts.push(left));
  const runTo = (s: number) => kernel.run({ until: seconds(s) as number as Instant });
  return { kernel, clock, lefts, retx, runTo };
}

describe('Retransmitter: the timeout starts only for the attempt that left', () => {
  it('arms nothing when a frame leaves after it was acknowledged', () => {
    const { clock, lefts, retx } = manualTransport();
    retx.send('a', frame);
    retx.acknowledge('a');
    lefts[0]();
    expect(clock.pendingTimers).toBe(0);
  });

  it('arms one timer even when the transport reports the departure twice', () => {
    const { clock, lefts, retx } = manualTransport();
    retx.send('a', frame);
    lefts[0]();
    lefts[0]();
    expect(clock.pendingTimers).toBe(1);
  });

  it('ignores a late departure of an earlier attempt', () => {
    const { kernel, clock, lefts, retx, runTo } = manualTransport();
    retx.send('a', frame, seconds(30));
    lefts[0]();
    runTo(30); // attempt 2 is handed to the transport and waits in its queue
    expect(lefts.length).toBe(2);
    expect(clock.pendingTimers).toBe(0);
    lefts[0](); // a stale report about attempt 1
    expect(clock.pendingTimers).toBe(0);
    runTo(100);
    lefts[1](); // attempt 2 leaves at 100 s: its 60 s timeout runs from there
    runTo(159);
    expect(lefts.length).toBe(2);
    runTo(160);
    expect(lefts.length).toBe(3);
    expect(kernel.now()).toBe(seconds(160));
  });
});

describe('Retransmitter: frames outstanding', () => {
  it('tracks exactly the keys sent and not yet acknowledged or cleared, whatever the order of acks', () => {
    const op = fc.oneof(
      { weight: 4, arbitrary: fc.nat(12).map((key) => ({ kind: 'send' as const, key: `k${key}` })) },
      { weight: 3, arbitrary: fc.nat(12).map((key) => ({ kind: 'ack' as const, key: `k${key}` })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const, key: '' }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const { clock, lefts, retx } = manualTransport();
        const model = new Set<string>();
        for (const { kind, key } of ops) {
          if (kind === 'send') {
            if (model.has(key)) continue; // sending an outstanding key is a programmer error
            retx.send(key, frame);
            model.add(key);
          } else if (kind === 'ack') {
            expect(retx.acknowledge(key)).toBe(model.delete(key));
          } else {
            retx.clear();
            model.clear();
          }
          retx.invariants();
          expect(retx.size).toBe(model.size);
          for (let k = 0; k <= 12; k++) expect(retx.has(`k${k}`)).toBe(model.has(`k${k}`));
        }
        // Every frame leaves now: only those still outstanding arm a resend timer.
        for (const left of lefts) left();
        expect(clock.pendingTimers).toBe(model.size);
      }),
    );
  });
});
