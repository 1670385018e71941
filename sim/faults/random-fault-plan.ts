// Random fault plans drawn from a seeded stream, for sweeps. Faults arrive as a Poisson process
// of `intensity` faults per simulated hour over [start, start + horizon); each draws its kind
// from the enabled kinds and its parameters from fixed menus, and only names that exist in the
// topology, so every plan passes validateFaultPlan. In swarm mode (kinds: 'swarm') the enabled
// kinds are themselves drawn from the seed, so different seeds stress different mixes (swarm
// testing: a fault that masks another is often switched off).
//
// Fault model: the plan generator decides which faults a run sees. Partitions always get a later
// heal (inside the horizon) and crashes usually a `restartAfter`; faults still in force when the
// safety phase ends are healed by the runner (FaultPlanHandle.healAll). 'heal' and 'host-restart' are never drawn
// on their own: they only close what a partition or crash opened.
import { AssertionFailure, MICROS_PER_HOUR, MICROS_PER_MILLI, assert, millis, minutes, seconds, type Duration, type Instant } from '../../model/index.js';
import { ratio, type Ratio, type RandomStream } from '../random.js';
import { FAULT_KINDS, OPERATOR_MISTAKES, sortFaultPlan, type Fault, type FaultKind, type FaultPlan, type FaultPlanEntry } from './fault.js';
import type { FaultUniverse } from './validate-fault-plan.js';

export interface RandomFaultPlanOptions {
  /** Faults are injected in [start, start + horizon); heals may fall at start + horizon at the latest. */
  readonly horizon: Duration;
  /** The kinds to draw from, or 'swarm' to draw the enabled kinds from the seed. */
  readonly kinds: readonly FaultKind[] | 'swarm';
  /** Mean number of faults per simulated hour. */
  readonly intensity: number;
  readonly known: FaultUniverse;
  /** Instant the horizon starts at (default 0). */
  readonly start?: Instant;
}

// Parameter menus: few, distinct values shrink and read better than arbitrary numbers.
const LOSS_RATIOS: readonly Ratio[] = [ratio(1, 100), ratio(1, 20), ratio(1, 5), ratio(1, 2)];
const DUPLICATION_RATIOS: readonly Ratio[] = [ratio(1, 100), ratio(1, 10), ratio(1, 2)];
const REORDERING_RATIOS: readonly Ratio[] = [ratio(1, 10), ratio(1, 2)];
const CORRUPTION_RATIOS: readonly Ratio[] = [ratio(1, 1000), ratio(1, 100), ratio(1, 10)];
const REORDER_DELAYS: readonly Duration[] = [millis(10), millis(100), seconds(1)];
const THROTTLE_RATES: readonly number[] = [1e6, 10e6, 100e6];
const PARTITION_DIRECTIONS = ['both', 'a-to-b', 'b-to-a'] as const;
const CLOCK_SKEW_MAX_MILLIS = 5 * 60 * 1000;
const MISDIRECT_BLOCKS_MAX = 64;
/** Chance that a crash or power loss restarts by itself within the plan. */
const RESTART_CHANCE = ratio(3, 4);

/** Mean lengths of the faults that last. */
const MEAN_LENGTH: Readonly<Partial<Record<FaultKind, Duration>>> = {
  partition: minutes(2),
  clog: seconds(30),
  loss: minutes(2),
  duplication: minutes(2),
  reordering: minutes(2),
  corruption: minutes(2),
  throttle: minutes(10),
  'host-crash': minutes(2),
  'power-loss': minutes(2),
};

/** The kinds that can be drawn on their own and refer only to things `known` has. */
export function applicableFaultKinds(known: FaultUniverse): FaultKind[] {
  return FAULT_KINDS.filter((kind) => {
    switch (kind) {
      case 'heal':
      case 'host-restart':
        return false;
      case 'partition':
        return known.sites.length >= 2;
      case 'clog':
      case 'loss':
      case 'duplication':
      case 'reordering':
      case 'corruption':
      case 'throttle':
        return known.links.length > 0;
      case 'host-crash':
      case 'power-loss':
      case 'clock-skew':
        return known.hosts.length > 0;
      case 'misdirected-write':
        return known.disks.some((disk) => disk.blockCount >= 2);
      case 'latent-sector-error':
      case 'bit-rot':
      case 'torn-write':
      case 'lost-write':
        return known.disks.length > 0;
      case 'ps-cache-loss':
        return (known.processServers ?? []).length > 0;
      case 'operator-mistake':
        return (known.items ?? []).length > 0;
    }
  });
}

/** Swarm mode: each applicable kind is enabled with probability 1/2 (at least one). */
export function swarmFaultKinds(random: RandomStream, known: FaultUniverse): FaultKind[] {
  const applicable = applicableFaultKinds(known);
  if (applicable.length === 0) return [];
  const enabled = applicable.filter(() => random.chance(ratio(1, 2)));
  return enabled.length > 0 ? enabled : [random.pick(applicable)];
}

export function randomFaultPlan(random: RandomStream, options: RandomFaultPlanOptions): FaultPlan {
  const { horizon, intensity, known } = options;
  const start = options.start ?? 0;
  assert(Number.isSafeInteger(horizon) && horizon >= 0, `randomFaultPlan: horizon must be a non-negative integer, got ${horizon}`);
  assert(Number.isFinite(intensity) && intensity >= 0, `randomFaultPlan: intensity must be a non-negative number of faults per hour, got ${intensity}`);
  const applicable = applicableFaultKinds(known);
  const kinds = options.kinds === 'swarm' ? swarmFaultKinds(random.fork('kinds'), known) : options.kinds.filter((kind) => applicable.includes(kind));
  if (kinds.length === 0 || intensity === 0) return [];

  const draw = random.fork('plan');
  const end = start + horizon;
  const entries: FaultPlanEntry[] = [];
  for (let at = start + arrivalGap(draw, intensity); at < end; at += arrivalGap(draw, intensity)) {
    const kind = draw.pick(kinds);
    const fault = drawFault(draw, kind, known);
    entries.push({ at: at as Instant, fault });
    const closing = drawClosing(draw, fault);
    if (closing !== null) entries.push({ at: Math.min(end, at + closing.after) as Instant, fault: closing.fault });
  }
  return sortFaultPlan(entries);
}

/** Time to the next fault, at least 1us. */
function arrivalGap(random: RandomStream, intensity: number): number {
  return Math.max(1, Math.round(random.exponential(MICROS_PER_HOUR / intensity)));
}

/** A fault length drawn around the kind's mean, in whole milliseconds (at least 1ms). */
function length(random: RandomStream, kind: FaultKind): Duration {
  const mean = MEAN_LENGTH[kind];
  assert(mean !== undefined, `randomFaultPlan: no mean length for ${kind}`);
  return (Math.max(1, Math.round(random.exponential(mean) / MICROS_PER_MILLI)) * MICROS_PER_MILLI) as Duration;
}

function drawFault(random: RandomStream, kind: FaultKind, known: FaultUniverse): Fault {
  const link = (): string => random.pick(known.links);
  const host = (): string => random.pick(known.hosts);
  const disk = (): { readonly id: string; readonly blockCount: number } => random.pick(known.disks);
  switch (kind) {
    case 'partition': {
      const a = random.nextInt(known.sites.length);
      const b = (a + 1 + random.nextInt(known.sites.length - 1)) % known.sites.length;
      return { kind, siteA: known.sites[a], siteB: known.sites[b], direction: random.pick(PARTITION_DIRECTIONS) };
    }
    case 'clog':
      return { kind, link: link(), duration: length(random, kind) };
    case 'loss':
      return { kind, link: link(), ratio: random.pick(LOSS_RATIOS), duration: length(random, kind) };
    case 'duplication':
      return { kind, link: link(), ratio: random.pick(DUPLICATION_RATIOS), duration: length(random, kind) };
    case 'reordering':
      return { kind, link: link(), ratio: random.pick(REORDERING_RATIOS), extraDelayMax: random.pick(REORDER_DELAYS), duration: length(random, kind) };
    case 'corruption':
      return { kind, link: link(), ratio: random.pick(CORRUPTION_RATIOS), duration: length(random, kind) };
    case 'throttle':
      return { kind, link: link(), bandwidthBitsPerSecond: random.pick(THROTTLE_RATES), duration: length(random, kind) };
    case 'host-crash':
    case 'power-loss':
      return random.chance(RESTART_CHANCE) ? { kind, host: host(), restartAfter: length(random, kind) } : { kind, host: host() };
    case 'clock-skew':
      return { kind, host: host(), offset: random.between(-CLOCK_SKEW_MAX_MILLIS, CLOCK_SKEW_MAX_MILLIS) * MICROS_PER_MILLI };
    case 'latent-sector-error':
    case 'bit-rot': {
      const target = disk();
      return { kind, disk: target.id, block: random.nextInt(target.blockCount) };
    }
    case 'torn-write':
    case 'lost-write':
      return { kind, disk: disk().id };
    case 'misdirected-write': {
      const target = random.pick(known.disks.filter((d) => d.blockCount >= 2));
      const magnitude = random.between(1, Math.min(MISDIRECT_BLOCKS_MAX, target.blockCount - 1));
      return { kind, disk: target.id, offsetBlocks: random.chance(ratio(1, 2)) ? magnitude : -magnitude };
    }
    case 'ps-cache-loss':
      return { kind, processServer: random.pick(known.processServers ?? []) };
    case 'operator-mistake':
      return { kind, operation: random.pick(OPERATOR_MISTAKES), item: random.pick(known.items ?? []) };
    case 'heal':
    case 'host-restart':
      throw new AssertionFailure(`randomFaultPlan: ${kind} is only drawn as the end of another fault`);
  }
}

/** The heal that ends a partition; crashes restart through their own restartAfter. */
function drawClosing(random: RandomStream, fault: Fault): { after: number; fault: Fault } | null {
  if (fault.kind !== 'partition') return null;
  return { after: length(random, 'partition'), fault: { kind: 'heal', siteA: fault.siteA, siteB: fault.siteB } };
}
