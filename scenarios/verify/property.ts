// Property runner helpers (issue: verification, point 5): fast-check parameters with fixed seeds
// that a one-line command overrides (FC_SEED, FC_PATH, FC_NUM_RUNS), the replay line printed with
// every failure, and a shrink budget that keeps a failing simulation property inside the CI time
// budget. Environment variables are read by the caller (tests), never here.
import fc from 'fast-check';
import type { ProviderExperiment } from './provider-experiment.js';
import { describeOutcome, divergenceOnRerun, runExperiment, type ExperimentOutcome } from './run-experiment.js';

export interface PropertyDefaults {
  readonly seed: number;
  readonly numRuns: number;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** The command that replays one failure exactly: the seed and the shrink path. */
export function replayLine(details: Pick<fc.RunDetails<unknown>, 'seed' | 'counterexamplePath'>, testName: string, file: string): string {
  const path = details.counterexamplePath === null ? '' : ` FC_PATH='${details.counterexamplePath}'`;
  return `FC_SEED=${details.seed}${path} npx vitest run ${file} -t '${testName.replace(/'/g, "'\\''")}'`;
}

/** Throws fast-check's report followed by the replay line (replacing fc.assert's own error). */
export function replayPlugin<T>(testName: string, file: string): fc.Plugin<T> {
  return () => ({
    onAllRunsComplete: (details) => {
      if (!details.failed) return;
      throw new Error(`${fc.defaultReportMessage(details)}\n\nReplay with:\n  ${replayLine(details, testName, file)}`, { cause: details.errorInstance });
    },
  });
}

/** Parameters for fc.assert / fc.check: fixed seed by default, overridable from the command line. */
export function propertyParameters<T>(testName: string, file: string, env: Environment, defaults: PropertyDefaults, withReplayPlugin = true): fc.Parameters<T> {
  const path = env.FC_PATH !== undefined && env.FC_PATH !== '' ? env.FC_PATH : undefined;
  return {
    seed: env.FC_SEED !== undefined && env.FC_SEED !== '' ? Number(env.FC_SEED) : defaults.seed,
    numRuns: env.FC_NUM_RUNS !== undefined && env.FC_NUM_RUNS !== '' ? Number(env.FC_NUM_RUNS) : defaults.numRuns,
    ...(path !== undefined ? { path, endOnFailure: true } : {}),
    ...(withReplayPlugin ? { plugins: [replayPlugin<T>(testName, file)] } : {}),
  };
}

export interface ExperimentPropertyOptions {
  /** Simulated runs allowed after the first failure (shrinking); later candidates are
   *  accepted without running, which ends shrinking deterministically. */
  readonly shrinkRunsMax?: number;
  /** Extra checks on a run that passed the runner's own (throw to fail). */
  readonly check?: (outcome: ExperimentOutcome) => void;
}

/** The property "every experiment of `arbitrary` passes", with a shrink budget. */
export function experimentProperty<E extends ProviderExperiment>(arbitrary: fc.Arbitrary<E>, options: ExperimentPropertyOptions = {}): fc.IPropertyWithHooks<[E]> {
  const budget = { failed: false, runsAfterFailure: 0 };
  const shrinkRunsMax = options.shrinkRunsMax ?? 40;
  return fc.property(arbitrary, (experiment) => {
    if (budget.failed && budget.runsAfterFailure++ >= shrinkRunsMax) return true;
    const outcome = runExperiment(experiment);
    try {
      if (outcome.record.verdict !== 'pass') throw new Error(`${describeOutcome(outcome)}\n${reproduction(outcome)}`);
      options.check?.(outcome);
    } catch (error) {
      budget.failed = true;
      throw error;
    }
    return true;
  });
}

/** Asserts that every experiment of `arbitrary` passes, and counts the runs in which `observe`
 *  saw what the property is about, so that a caller can show it did not pass vacuously. */
export function observedRuns<E extends ProviderExperiment>(arbitrary: fc.Arbitrary<E>, parameters: fc.Parameters<[E]>, observe: (outcome: ExperimentOutcome) => boolean): number {
  let observed = 0;
  fc.assert(experimentProperty(arbitrary, { check: (outcome) => void (observe(outcome) && observed++) }), parameters);
  return observed;
}

/** Every failure is run once more to prove it reproduces (same verdict, same trace hash). */
function reproduction(outcome: ExperimentOutcome): string {
  const divergence = divergenceOnRerun(outcome);
  return divergence === null ? `reproduced on rerun (trace ${outcome.record.traceHash})` : `DID NOT REPRODUCE on rerun: ${divergence}`;
}

/** The minimal failing timeline of a failed check, as the test output and saved report show it. */
export function counterexampleReport<E extends ProviderExperiment>(details: fc.RunDetails<[E]>, testName: string, file: string): string {
  if (!details.failed || details.counterexample === null) return `${testName}: no counterexample (${details.numRuns} runs passed)`;
  const [experiment] = details.counterexample;
  const outcome = runExperiment(experiment);
  return [
    `${testName}: failed after ${details.numRuns} runs, shrunk ${details.numShrinks} times`,
    describeOutcome(outcome),
    reproduction(outcome),
    '',
    `replay: ${replayLine(details, testName, file)}`,
  ].join('\n');
}
