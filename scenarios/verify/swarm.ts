// Swarm mode (issue: verification, point 4): every knob of an experiment is drawn from one seed,
// including which operator events and which fault kinds exist at all in that run. Switching whole
// features off per run (swarm testing) reaches interleavings a uniform mix rarely does, e.g. many
// reorderings with no loss, or only pauses and failovers. The draw is fast-check's generator
// seeded with the verify seed, so `lab verify --seed N` rebuilds exactly the same experiment
// (fast-check is pinned, see package.json) in any process and any worker.
import fc from 'fast-check';
import { BROAD_PROFILE, RANDOM_FAULT_KINDS, drawArbitrary, experimentOf, type ExperimentProfile } from './arbitraries.js';
import type { Experiment, ExperimentFaultKind } from './experiment.js';
import { OPERATOR_EVENT_TYPES } from './lifecycle-walk.js';
import type { Provider, ProviderExperiment } from './provider-experiment.js';
import { SCOUT_BROAD_PROFILE, SCOUT_FAULT_KINDS, scoutDrawArbitrary, scoutExperimentOf, type ScoutProfile } from './scout-arbitraries.js';
import type { ScoutExperiment } from './scout-experiment.js';
import { SCOUT_EVENTS } from './scout-timeline-plan.js';

const subset = <T>(values: readonly T[], minLength: number) => fc.subarray([...values], { minLength });

/** The switches both providers' swarm profiles draw first (in this order, so that a seed keeps
 *  its experiment): which operator events and fault kinds exist, how many faults and steps at
 *  most, how often a step is a mistake. */
function switches<E extends string>(events: readonly E[], faultKinds: readonly ExperimentFaultKind[]) {
  return {
    events: subset(events, 1),
    faultKinds: subset(faultKinds, 1),
    faultsMax: fc.integer({ min: 0, max: 6 }),
    stepsMax: fc.integer({ min: 1, max: 8 }),
    mistakePercent: fc.constantFrom(0, 10, 25),
  };
}

interface Switched<E extends string> {
  readonly events: readonly E[];
  readonly faultKinds: readonly ExperimentFaultKind[];
  readonly faultsMax: number;
  readonly stepsMax: number;
  readonly mistakePercent: number;
  readonly vmCountMax: number;
}

/** The profile fields the switches set. Failovers stay reachable, or most walks would only
 *  pause and resume. */
function switchedFields<E extends string>(s: Switched<E | 'PLANNED_FAILOVER' | 'UNPLANNED_FAILOVER'>) {
  return {
    events: s.events.includes('PLANNED_FAILOVER') || s.events.includes('UNPLANNED_FAILOVER') ? s.events : [...s.events, 'PLANNED_FAILOVER' as const],
    faultKinds: s.faultKinds,
    faults: [0, s.faultsMax] as const,
    steps: [0, s.stepsMax] as const,
    mistakePercent: s.mistakePercent,
    vmCount: [1, s.vmCountMax] as const,
  };
}

/** A profile whose features are switched on and off at random. */
export const swarmProfileArbitrary: fc.Arbitrary<ExperimentProfile> = fc
  .record({
    ...switches(OPERATOR_EVENT_TYPES, RANDOM_FAULT_KINDS),
    copyFrequencies: subset(BROAD_PROFILE.copyFrequencies, 1),
    initialReplication: subset(BROAD_PROFILE.initialReplication, 1),
    vmCountMax: fc.integer({ min: 1, max: 3 }),
  })
  .map((s): ExperimentProfile => ({ ...BROAD_PROFILE, name: 'swarm', ...switchedFields(s), copyFrequencies: s.copyFrequencies, initialReplication: s.initialReplication }));

/** The experiment of swarm seed `seed`; its world runs with the same seed. */
export function swarmExperiment(seed: number): Experiment {
  const arbitrary = swarmProfileArbitrary.chain((profile) => drawArbitrary(profile).map((draw) => ({ draw, profile })));
  const [{ draw, profile }] = fc.sample(arbitrary, { seed, numRuns: 1 });
  const experiment = experimentOf({ ...draw, seed }, profile);
  return { ...experiment, name: `swarm-${seed}` };
}

/** A Scout profile whose features are switched on and off at random, like the Hyper-V one,
 *  and also the deployment: failback servers, a replication group, a small cache, recoveries. */
export const scoutSwarmProfileArbitrary: fc.Arbitrary<ScoutProfile> = fc
  .record({
    ...switches(SCOUT_EVENTS, SCOUT_FAULT_KINDS),
    failback: subset(SCOUT_BROAD_PROFILE.failback, 1),
    group: subset(SCOUT_BROAD_PROFILE.group, 1),
    psCacheMiB: subset(SCOUT_BROAD_PROFILE.psCacheMiB, 1),
    recoveries: subset(SCOUT_BROAD_PROFILE.recoveries, 1),
    vmCountMax: fc.integer({ min: 1, max: 3 }),
  })
  .map((s): ScoutProfile => ({ ...SCOUT_BROAD_PROFILE, name: 'scout-swarm', ...switchedFields(s), failback: s.failback, group: s.group, psCacheMiB: s.psCacheMiB, recoveries: s.recoveries }));

/** The InMage Scout experiment of swarm seed `seed`; its world runs with the same seed. */
export function scoutSwarmExperiment(seed: number): ScoutExperiment {
  const arbitrary = scoutSwarmProfileArbitrary.chain((profile) => scoutDrawArbitrary(profile).map((draw) => ({ draw, profile })));
  const [{ draw, profile }] = fc.sample(arbitrary, { seed, numRuns: 1 });
  return { ...scoutExperimentOf({ ...draw, seed }, profile), name: `scout-swarm-${seed}` };
}

/** The swarm experiment of a seed for a provider (`lab verify --provider`). */
export function swarmExperimentFor(seed: number, provider: Provider): ProviderExperiment {
  return provider === 'inmage-scout' ? scoutSwarmExperiment(seed) : swarmExperiment(seed);
}
