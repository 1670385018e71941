// Swarm mode (issue: verification, point 4): every knob of an experiment is drawn from one seed,
// including which operator events and which fault kinds exist at all in that run. Switching whole
// features off per run (swarm testing) reaches interleavings a uniform mix rarely does, e.g. many
// reorderings with no loss, or only pauses and failovers. The draw is fast-check's generator
// seeded with the verify seed, so `lab verify --seed N` rebuilds exactly the same experiment
// (fast-check is pinned, see package.json) in any process and any worker.
import fc from 'fast-check';
import { BROAD_PROFILE, RANDOM_FAULT_KINDS, drawArbitrary, experimentOf, type ExperimentProfile } from './arbitraries.js';
import type { Experiment } from './experiment.js';
import { OPERATOR_EVENT_TYPES } from './lifecycle-walk.js';

const subset = <T>(values: readonly T[], minLength: number) => fc.subarray([...values], { minLength });

/** A profile whose features are switched on and off at random. */
export const swarmProfileArbitrary: fc.Arbitrary<ExperimentProfile> = fc
  .record({
    events: subset(OPERATOR_EVENT_TYPES, 1),
    faultKinds: subset(RANDOM_FAULT_KINDS, 1),
    faultsMax: fc.integer({ min: 0, max: 6 }),
    stepsMax: fc.integer({ min: 1, max: 8 }),
    mistakePercent: fc.constantFrom(0, 10, 25),
    copyFrequencies: subset(BROAD_PROFILE.copyFrequencies, 1),
    initialReplication: subset(BROAD_PROFILE.initialReplication, 1),
    vmCountMax: fc.integer({ min: 1, max: 3 }),
  })
  .map(
    (s): ExperimentProfile => ({
      ...BROAD_PROFILE,
      name: 'swarm',
      // Failovers must stay reachable or most walks would only pause and resume.
      events: s.events.includes('PLANNED_FAILOVER') || s.events.includes('UNPLANNED_FAILOVER') ? s.events : [...s.events, 'PLANNED_FAILOVER'],
      faultKinds: s.faultKinds,
      faults: [0, s.faultsMax],
      steps: [0, s.stepsMax],
      mistakePercent: s.mistakePercent,
      copyFrequencies: s.copyFrequencies,
      initialReplication: s.initialReplication,
      vmCount: [1, s.vmCountMax],
    }),
  );

/** The experiment of swarm seed `seed`; its world runs with the same seed. `avoidKnownBugs:
 *  false` keeps the fault patterns of open, reported bugs (for the tests that show them). */
export function swarmExperiment(seed: number, options: { readonly avoidKnownBugs?: boolean } = {}): Experiment {
  const arbitrary = swarmProfileArbitrary.chain((profile) => drawArbitrary(profile).map((draw) => ({ draw, profile })));
  const [{ draw, profile }] = fc.sample(arbitrary, { seed, numRuns: 1 });
  const experiment = experimentOf({ ...draw, seed }, { ...profile, avoidKnownBugs: options.avoidKnownBugs ?? profile.avoidKnownBugs });
  return { ...experiment, name: `swarm-${seed}` };
}
