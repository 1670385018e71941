// Runs one experiment the way every property and sweep does: as a Scenario through ScenarioRun
// (safety phase, heal, liveness phase, the runner's invariant checks) with the replica checker
// watching every applied log, and reports a failure as the experiment's timeline plus what broke.
import type { RunRecord } from '../../model/index.js';
import { ScenarioRun, type RunOptions } from '../runner.js';
import { experimentScenario, formatExperiment, skewMaxMicros, type Experiment } from './experiment.js';
import { ReplicaChecker, type ReplicaCheckerStats } from './replica-checker.js';

export interface ExperimentOutcome {
  readonly experiment: Experiment;
  readonly record: RunRecord;
  readonly replicaChecks: ReplicaCheckerStats;
  /** The run itself, for tests that look at the lab afterwards (or at the captured trace). */
  readonly run: ScenarioRun;
}

export function runExperiment(experiment: Experiment, options: Omit<RunOptions, 'seed'> = {}): ExperimentOutcome {
  const run = new ScenarioRun(experimentScenario(experiment), options);
  const checker = new ReplicaChecker(run, skewMaxMicros(experiment));
  const record = run.run();
  return { experiment, record, replicaChecks: checker.stats, run };
}

/** The verdict in one line, then the violations, then the timeline that produced them. */
export function describeOutcome(outcome: ExperimentOutcome): string {
  const { record } = outcome;
  const violations = record.violations.map((v) => `  ${v.invariant} (${v.item} at ${v.atSeconds}s): ${v.message}`);
  const crash = record.diagnosis?.crash !== undefined ? [`  crash: ${record.diagnosis.crash.split('\n').join('\n    ')}`] : [];
  const jobs = record.jobs.filter((j) => j.status !== 'succeeded').map((j) => `  job ${j.kind} ${j.item} at ${j.startSeconds}s: ${j.status}${j.error ? ` (${j.error})` : ''}`);
  return [
    `verdict ${record.verdict}, trace ${record.traceHash}`,
    ...violations,
    ...crash,
    ...(jobs.length > 0 ? ['jobs that did not succeed:', ...jobs] : []),
    formatExperiment(outcome.experiment),
  ].join('\n');
}

/** The property every experiment must satisfy: verdict pass. Throws the description otherwise. */
export function experimentPasses(experiment: Experiment): true {
  const outcome = runExperiment(experiment);
  if (outcome.record.verdict !== 'pass') throw new Error(describeOutcome(outcome));
  return true;
}
