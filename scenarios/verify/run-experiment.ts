// Runs one experiment the way every property and sweep does: as a Scenario through ScenarioRun
// (safety phase, heal, liveness phase, the runner's invariant checks) with the replica checker
// watching every applied log (Hyper-V Replica) or every consistency tag (InMage Scout), and
// reports a failure as the experiment's timeline plus what broke.
import type { RunRecord } from '../../model/index.js';
import { firstDivergence } from '../../sim/index.js';
import { ScenarioRun, type RunOptions } from '../runner.js';
import { describeExperiment, experimentSkewMaxMicros, isScoutExperiment, scenarioOfExperiment, type ProviderExperiment } from './provider-experiment.js';
import { ReplicaChecker, type ReplicaCheckerStats } from './replica-checker.js';
import { ScoutReplicaChecker } from './scout-replica-checker.js';

export interface ExperimentOutcome {
  readonly experiment: ProviderExperiment;
  readonly record: RunRecord;
  readonly replicaChecks: ReplicaCheckerStats;
  /** The run itself, for tests that look at the lab afterwards (or at the captured trace). */
  readonly run: ScenarioRun;
}

export function runExperiment(experiment: ProviderExperiment, options: Omit<RunOptions, 'seed'> = {}): ExperimentOutcome {
  const run = new ScenarioRun(scenarioOfExperiment(experiment), options);
  const checker = isScoutExperiment(experiment) ? new ScoutReplicaChecker(run) : new ReplicaChecker(run, experimentSkewMaxMicros(experiment));
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
    describeExperiment(outcome.experiment),
  ].join('\n');
}

/** Runs the experiment again: the same trace hash and verdict prove the outcome reproduces.
 *  When they differ, both are rerun with the kernel trace captured to name the first event
 *  where they part (DESIGN.md section 2.5). Returns null when it reproduced, else why not. */
export function divergenceOnRerun(outcome: ExperimentOutcome): string | null {
  const again = runExperiment(outcome.experiment);
  if (again.record.traceHash === outcome.record.traceHash && again.record.verdict === outcome.record.verdict) return null;
  if (again.record.traceHash === outcome.record.traceHash) return `same trace hash ${outcome.record.traceHash} but verdicts ${outcome.record.verdict} and ${again.record.verdict}`;
  const a = runExperiment(outcome.experiment, { captureTrace: true });
  const b = runExperiment(outcome.experiment, { captureTrace: true });
  const found = firstDivergence(a.run.lab.world.kernel.capturedTrace, b.run.lab.world.kernel.capturedTrace);
  if (found === null) return `trace hashes ${outcome.record.traceHash} and ${again.record.traceHash} differ but the kernel events agree: an engine trace record differs`;
  return `first divergent event ${found.index}: ${JSON.stringify(found.left)} vs ${JSON.stringify(found.right)}`;
}
