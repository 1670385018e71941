// xstate v5 actors of the control plane run on the engine's Clock port, so their delayed
// transitions are simulation events (DESIGN.md section 2.3).
import { millis } from '../../model/index.js';
import type { Clock, TimerId, XstateClock } from '../ports.js';

export function xstateClock(clock: Clock): XstateClock {
  return {
    setTimeout: (fn, timeout) => clock.setTimer(millis(timeout), 'xstate-delay', () => fn()),
    clearTimeout: (id) => {
      clock.cancelTimer(id as TimerId);
    },
  };
}
