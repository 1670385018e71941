// Running scenarios the way CI and people need: every run is done twice to prove determinism
// (same seed, same trace hash), and a failing run is replayed once more to prove it reproduces;
// when two runs disagree, both are rerun with full trace capture to name the first divergent
// event.
import { firstDivergence } from '../sim/index.js';
import type { RunRecord } from '../model/index.js';
import { ScenarioRun, type RunOptions } from './runner.js';
import type { Scenario } from './schema.js';

export interface SuiteRunOptions extends RunOptions {
  /** Run twice and compare trace hashes (default true). */
  readonly checkDeterminism?: boolean;
}

export function runScenarioChecked(scenario: Scenario, options: SuiteRunOptions): RunRecord {
  const first = new ScenarioRun(scenario, options).run();
  if (options.checkDeterminism === false) return first;
  const second = new ScenarioRun(scenario, options).run();
  if (second.traceHash === first.traceHash) return first;
  const a = new ScenarioRun(scenario, { ...options, captureTrace: true });
  const b = new ScenarioRun(scenario, { ...options, captureTrace: true });
  a.run();
  b.run();
  const divergence = firstDivergence(a.lab.world.kernel.capturedTrace, b.lab.world.kernel.capturedTrace);
  const text =
    divergence === null
      ? `trace hashes ${first.traceHash} and ${second.traceHash} differ but the kernel events agree: an engine trace record differs`
      : `event ${divergence.index}: ${JSON.stringify(divergence.left)} vs ${JSON.stringify(divergence.right)}`;
  return {
    ...first,
    verdict: 'correctness',
    violations: [...first.violations, { invariant: 'determinism', item: '*', atSeconds: 0, message: `two runs of seed ${first.seed} differ: ${text}` }],
    diagnosis: { ...(first.diagnosis ?? {}), divergence: text },
  };
}
