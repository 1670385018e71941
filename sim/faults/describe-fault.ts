// One-line human text for a fault and for a plan, for reports, shrunk counterexamples and logs.
//
// Fault model: none; pure formatting.
import { formatDuration, unreachable, type Duration } from '../../model/index.js';
import type { Ratio } from '../random.js';
import type { Fault, FaultPlan } from './fault.js';

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'partition':
      return fault.direction === 'both'
        ? `partition ${fault.siteA} <-> ${fault.siteB}`
        : `partition ${fault.direction === 'a-to-b' ? `${fault.siteA} -> ${fault.siteB}` : `${fault.siteB} -> ${fault.siteA}`} (one way)`;
    case 'heal':
      return `heal ${fault.siteA} <-> ${fault.siteB}`;
    case 'clog':
      return `clog link ${fault.link}${lasting(fault.duration)}`;
    case 'loss':
      return `drop ${share(fault.ratio)} of messages on link ${fault.link}${lasting(fault.duration)}`;
    case 'duplication':
      return `duplicate ${share(fault.ratio)} of messages on link ${fault.link}${lasting(fault.duration)}`;
    case 'reordering':
      return `reorder ${share(fault.ratio)} of messages on link ${fault.link} (up to ${formatDuration(fault.extraDelayMax)} late)${lasting(fault.duration)}`;
    case 'corruption':
      return `corrupt ${share(fault.ratio)} of messages on link ${fault.link}${lasting(fault.duration)}`;
    case 'throttle':
      return `throttle link ${fault.link} to ${bitsPerSecond(fault.bandwidthBitsPerSecond)}${lasting(fault.duration)}`;
    case 'host-crash':
      return `crash host ${fault.host}${restarting(fault.restartAfter)}`;
    case 'power-loss':
      return `power loss on host ${fault.host} (write caches lost)${restarting(fault.restartAfter)}`;
    case 'host-restart':
      return `restart host ${fault.host}`;
    case 'latent-sector-error':
      return `latent sector error on disk ${fault.disk} block ${fault.block}`;
    case 'torn-write':
      return `arm a torn write on disk ${fault.disk} (tears at its host's next power loss)`;
    case 'lost-write':
      return `lose the next write to disk ${fault.disk} (acknowledged, never persisted)`;
    case 'bit-rot':
      return `bit rot on disk ${fault.disk} block ${fault.block}`;
    case 'misdirected-write':
      return `misdirect the next write to disk ${fault.disk} by ${fault.offsetBlocks > 0 ? '+' : ''}${fault.offsetBlocks} blocks`;
    case 'clock-skew':
      return fault.offset === 0
        ? `reset the clock of host ${fault.host}`
        : `skew the clock of host ${fault.host} ${fault.offset > 0 ? 'ahead' : 'behind'} by ${formatDuration(Math.abs(fault.offset))}`;
    case 'ps-cache-loss':
      return `process server ${fault.processServer} loses its cache`;
    case 'operator-mistake':
      return `operator attempts ${fault.operation} on ${fault.item} (must be refused)`;
    default:
      return unreachable(fault, 'describeFault: unknown fault kind');
  }
}

/** One line per entry: `<instant>  <fault>`. */
export function describeFaultPlan(plan: FaultPlan): string[] {
  return plan.map(({ at, fault }) => `${formatDuration(at).padStart(10)}  ${describeFault(fault)}`);
}

const lasting = (span: Duration): string => ` for ${formatDuration(span)}`;
const restarting = (restartAfter: Duration | undefined): string =>
  restartAfter === undefined ? ' (stays down)' : `, restarts after ${formatDuration(restartAfter)}`;
const share = (ratio: Ratio): string => `${ratio.numerator}/${ratio.denominator}`;

function bitsPerSecond(rate: number): string {
  for (const [unit, size] of [['Gbit/s', 1e9], ['Mbit/s', 1e6], ['kbit/s', 1e3]] as const) {
    if (rate >= size) return `${Number((rate / size).toFixed(3))} ${unit}`;
  }
  return `${rate} bit/s`;
}
