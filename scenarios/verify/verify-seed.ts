// One run of a verify sweep (`lab verify`): the swarm experiment of a seed, run with every
// checker; a failure is run once more to prove it reproduces (same verdict, same trace hash),
// and when two runs of one seed differ, both are rerun with the kernel trace captured to name the
// first divergent event (DESIGN.md section 2.5). The result is plain JSON, so worker threads can
// send it back unchanged.
import type { RunMetrics, RunViolation, Verdict } from '../../model/index.js';
import { PROVIDERS, describeExperiment, type Provider } from './provider-experiment.js';
import { divergenceOnRerun, runExperiment } from './run-experiment.js';
import { swarmExperimentFor } from './swarm.js';

/** Providers the harness verifies (all of them, since InMage Scout joined). */
export const VERIFIABLE_PROVIDERS: readonly Provider[] = PROVIDERS;

export interface VerifyRun {
  readonly scenario: string;
  readonly provider: Provider;
  readonly seed: number;
  readonly verdict: Verdict;
  readonly traceHash: string;
  readonly violations: readonly RunViolation[];
  readonly metrics: RunMetrics;
  readonly marks: readonly string[];
  readonly replay: string;
  /** Failed runs only: whether the rerun gave the same verdict and trace hash. */
  readonly reproduced?: boolean;
  /** Failed runs only: the experiment's timeline. */
  readonly timeline?: string;
}

export interface VerifyOptions {
  /** Run every seed twice and compare trace hashes (failures are always rerun). */
  readonly determinism?: boolean;
}

export function replayCommand(seed: number, provider: Provider): string {
  return `npx lab verify --seed ${seed} --provider ${provider} --replay`;
}

export function verifySeed(seed: number, provider: Provider, options: VerifyOptions = {}): VerifyRun {
  const experiment = swarmExperimentFor(seed, provider);
  const first = runExperiment(experiment);
  const failed = first.record.verdict !== 'pass';
  let violations = [...first.record.violations];
  let verdict = first.record.verdict;
  const divergence = failed || options.determinism === true ? divergenceOnRerun(first) : null;
  if (divergence !== null) {
    verdict = 'correctness';
    violations = [...violations, { invariant: 'determinism', item: '*', atSeconds: 0, message: `two runs of seed ${seed} differ: ${divergence}` }];
  }
  const { record } = first;
  return {
    scenario: experiment.name,
    provider,
    seed,
    verdict,
    traceHash: record.traceHash,
    violations,
    metrics: record.metrics,
    marks: record.marks,
    replay: replayCommand(seed, provider),
    ...(verdict !== 'pass' ? { reproduced: divergence === null, timeline: describeExperiment(experiment) } : {}),
  };
}
