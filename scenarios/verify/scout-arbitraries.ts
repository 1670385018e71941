// fast-check arbitraries for whole InMage Scout experiments (issue 5): deployment (failback on or
// off, one replication group or none, process-server cache, tag intervals), workload, operator
// steps with their recovery targets, and timed faults on the WAN, the ESXi host, the master
// targets and the process servers. The shared parts come from arbitraries.ts; like there,
// everything is fc.record / fc.array / fc.constantFrom / .map, so a failure shrinks on its own
// to a minimal timeline.
import fc from 'fast-check';
import { BROAD_PROFILE, RANDOM_FAULT_KINDS, drawBaseArbitraries, faultArbitrary, oneOf, range, stepArbitrary, type DrawBase, type ExperimentProfile } from './arbitraries.js';
import type { ExperimentFaultKind } from './experiment.js';
import type { ScoutDeploymentChoice, ScoutExperiment } from './scout-experiment.js';
import { planScoutTimeline, type ScoutEvent, type ScoutFaultChoice, type ScoutRecovery, type ScoutStepChoice } from './scout-timeline-plan.js';

/** What a Scout experiment may contain: the Hyper-V profile's shape, workload, step and fault
 *  fields, and Scout's own. Lists give allowed values (the first is where shrinking goes). */
export interface ScoutProfile
  extends Pick<
    ExperimentProfile,
    | 'name'
    | 'vmCount'
    | 'disksPerVm'
    | 'diskSizesMiB'
    | 'bandwidthsMbps'
    | 'churnPercentPerDay'
    | 'diurnal'
    | 'hotSetPercent'
    | 'bursts'
    | 'steps'
    | 'mistakePercent'
    | 'unplannedStyles'
    | 'faults'
    | 'faultKinds'
    | 'faultMinutes'
    | 'gapMinutes'
    | 'tailMinutes'
    | 'faultOffsetPermille'
    | 'faultProbabilities'
    | 'reorderSeconds'
    | 'faultWindow'
  > {
  readonly failback: readonly boolean[];
  readonly group: readonly boolean[];
  readonly psCacheMiB: readonly number[];
  readonly crashTagMinutes: readonly number[];
  readonly appTagMinutes: readonly number[];
  readonly events?: readonly ScoutEvent[];
  readonly recoveries: readonly ScoutRecovery[];
  readonly tagsBack: readonly [number, number];
  /** Host faults: which server, an index into scoutFaultHosts (0 the ESXi host, 1 the master
   *  target, 2 the process server, 3-4 the failback servers). */
  readonly hostPicks: readonly [number, number];
}

/** The faults Scout claims to tolerate among the generated kinds (no clock skew: the lab has no
 *  Scout time source to skew against). */
export const SCOUT_FAULT_KINDS: readonly ExperimentFaultKind[] = RANDOM_FAULT_KINDS.filter((k) => k !== 'clock-skew');

/** The broad Scout profile: everything the Scout engine supports, small enough for well under a
 *  second a run. */
export const SCOUT_BROAD_PROFILE: ScoutProfile = {
  name: 'scout-broad',
  vmCount: [1, 3],
  disksPerVm: [1, 2],
  diskSizesMiB: [16, 32, 64],
  bandwidthsMbps: [100, 20, 1000],
  churnPercentPerDay: [50, 800],
  diurnal: BROAD_PROFILE.diurnal,
  hotSetPercent: BROAD_PROFILE.hotSetPercent,
  bursts: [false, true],
  steps: [0, 7],
  mistakePercent: 20,
  unplannedStyles: ['shutdown', 'crash'],
  faults: [0, 4],
  faultKinds: SCOUT_FAULT_KINDS,
  faultMinutes: BROAD_PROFILE.faultMinutes,
  gapMinutes: BROAD_PROFILE.gapMinutes,
  tailMinutes: BROAD_PROFILE.tailMinutes,
  faultOffsetPermille: BROAD_PROFILE.faultOffsetPermille,
  faultProbabilities: BROAD_PROFILE.faultProbabilities,
  reorderSeconds: BROAD_PROFILE.reorderSeconds,
  faultWindow: 'any',
  failback: [true, false],
  group: [false, true],
  psCacheMiB: [0, 48],
  crashTagMinutes: [5, 2, 10],
  appTagMinutes: [60, 0, 30],
  recoveries: ['latest', 'earlier-tag', 'group-tag'],
  tagsBack: [0, 2],
  hostPicks: [0, 4],
};

/** A Scout profile with some fields replaced (properties narrow the broad one). */
export function scoutProfile(name: string, overrides: Partial<ScoutProfile>): ScoutProfile {
  return { ...SCOUT_BROAD_PROFILE, ...overrides, name };
}

export function deploymentArbitrary(p: ScoutProfile): fc.Arbitrary<ScoutDeploymentChoice> {
  return fc.record({
    failback: oneOf(p.failback),
    group: oneOf(p.group),
    psCacheMiB: oneOf(p.psCacheMiB),
    crashTagMinutes: oneOf(p.crashTagMinutes),
    appTagMinutes: oneOf(p.appTagMinutes),
  });
}

export function scoutStepArbitrary(p: ScoutProfile): fc.Arbitrary<ScoutStepChoice> {
  return fc.tuple(stepArbitrary(p), oneOf(p.recoveries), range(p.tagsBack)).map(([step, recovery, tagsBack]) => ({ ...step, recovery, tagsBack }));
}

export function scoutFaultArbitrary(p: ScoutProfile): fc.Arbitrary<ScoutFaultChoice> {
  return fc.tuple(faultArbitrary(p), range(p.hostPicks)).map(([fault, hostPick]) => ({ ...fault, hostPick }));
}

/** The raw draws of one Scout experiment, before the timeline is planned. */
export interface ScoutDraw extends DrawBase<ScoutStepChoice, ScoutFaultChoice> {
  readonly deployment: ScoutDeploymentChoice;
}

export function scoutDrawArbitrary(p: ScoutProfile): fc.Arbitrary<ScoutDraw> {
  return fc.record({ ...drawBaseArbitraries(p, scoutStepArbitrary(p), scoutFaultArbitrary(p)), deployment: deploymentArbitrary(p) });
}

/** Plans the timeline of a draw: the experiment ScenarioRun will run. */
export function scoutExperimentOf(draw: ScoutDraw, profile: Pick<ScoutProfile, 'name' | 'events'>): ScoutExperiment {
  const plan = planScoutTimeline(draw.shape, draw.deployment, draw.steps, draw.faults, { events: profile.events, tailMinutes: draw.tailMinutes });
  return { provider: 'inmage-scout', name: `${profile.name}-${draw.seed}`, seed: draw.seed, shape: draw.shape, deployment: draw.deployment, workload: draw.workload, ...plan };
}

/** Whole Scout experiments of a profile; they shrink to minimal timelines. */
export function scoutExperimentArbitrary(profile: ScoutProfile): fc.Arbitrary<ScoutExperiment> {
  return scoutDrawArbitrary(profile).map((draw) => scoutExperimentOf(draw, profile));
}
