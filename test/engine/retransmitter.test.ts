import { describe, expect, it } from 'vitest';
import { seconds, type Instant } from '../../model/index.js';
import { Kernel, KernelClock } from '../../sim/index.js';
import { Retransmitter, RETRANSMIT_TIMEOUT_MAX } from '../../engine/data-plane/retransmitter.js';
import type { Frame } from '../../engine/index.js';

function harness(leaveAfter = 0) {
  const kernel = new Kernel();
  const clock = new KernelClock(kernel, 'test');
  const sent: Array<{ at: number; frame: Frame }> = [];
  const resends: Array<[string, number]> = [];
  const retx = new Retransmitter(
    clock,
    (frame, left) => {
      sent.push({ at: kernel.now(), frame });
      kernel.schedule(leaveAfter, 'left', left);
    },
    (key, attempts) => resends.push([key, attempts]),
  );
  return { kernel, retx, sent, resends };
}

const frame: Frame = { sizeBytes: 100, body: { n: 1 } };

describe('Retransmitter', () => {
  it('resends after each timeout with doubling backoff, capped, until acknowledged', () => {
    const { kernel, retx, sent, resends } = harness();
    retx.send('a', frame, seconds(30));
    kernel.run({ until: seconds(30 + 60 + 120 + 240 + 300 + 300) as number as Instant });
    expect(sent.map((s) => s.at / 1e6)).toEqual([0, 30, 90, 210, 450, 750, 1050]);
    expect(resends.map(([, attempts]) => attempts)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(RETRANSMIT_TIMEOUT_MAX).toBe(seconds(300));
    expect(retx.acknowledge('a')).toBe(true);
    expect(retx.acknowledge('a')).toBe(false);
    const count = sent.length;
    kernel.run({ until: seconds(5000) as number as Instant });
    expect(sent.length).toBe(count);
    expect(retx.size).toBe(0);
  });

  it('starts the timeout when the frame leaves the local queue, not when it was handed over', () => {
    const { kernel, retx, sent } = harness(seconds(100));
    retx.send('q', frame, seconds(30));
    kernel.run({ until: seconds(129) as number as Instant });
    expect(sent.length).toBe(1); // queued 100 s, then 29 s on the wire: no resend yet
    kernel.run({ until: seconds(131) as number as Instant });
    expect(sent.length).toBe(2);
  });

  it('forgets everything on clear, and refuses a key that is already outstanding', () => {
    const { kernel, retx, sent } = harness();
    retx.send('x', frame);
    retx.send('y', frame);
    expect(retx.has('x')).toBe(true);
    expect(() => retx.send('x', frame)).toThrow(/already outstanding/);
    retx.clear();
    kernel.run({ until: seconds(1000) as number as Instant });
    expect(sent.length).toBe(2);
    expect(retx.has('x')).toBe(false);
  });
});
