// Either provider's experiment behind one type, so that running, reporting, properties and
// sweeps treat a Hyper-V Replica experiment and an InMage Scout one alike.
import type { Scenario } from '../schema.js';
import { experimentScenario, formatExperiment, skewMaxMicros, type Experiment } from './experiment.js';
import { formatScoutExperiment, scoutExperimentScenario, type ScoutExperiment } from './scout-experiment.js';

export const PROVIDERS = ['hyperv-replica', 'inmage-scout'] as const;
export type Provider = (typeof PROVIDERS)[number];

export type ProviderExperiment = Experiment | ScoutExperiment;

export function isScoutExperiment(experiment: ProviderExperiment): experiment is ScoutExperiment {
  return experiment.provider === 'inmage-scout';
}

export function providerOf(experiment: ProviderExperiment): Provider {
  return isScoutExperiment(experiment) ? 'inmage-scout' : 'hyperv-replica';
}

/** The experiment as the Scenario ScenarioRun runs. */
export function scenarioOfExperiment(experiment: ProviderExperiment): Scenario {
  return isScoutExperiment(experiment) ? scoutExperimentScenario(experiment) : experimentScenario(experiment);
}

/** The experiment's knobs and timeline, as a person reads them. */
export function describeExperiment(experiment: ProviderExperiment): string {
  return isScoutExperiment(experiment) ? formatScoutExperiment(experiment) : formatExperiment(experiment);
}

/** The largest clock skew the experiment injects, in microseconds (Scout experiments inject none). */
export function experimentSkewMaxMicros(experiment: ProviderExperiment): number {
  return isScoutExperiment(experiment) ? 0 : skewMaxMicros(experiment);
}
