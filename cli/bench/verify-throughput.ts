// The `verify-throughput` benchmark (DESIGN.md section 6): full-lifecycle verify runs per second
// (swarm experiments of both providers: initial replication, operations, faults, heal, liveness,
// every checker) with the worker pool on every core, against one worker in this process, on the
// same seeds. The two must agree run for run (verdict and trace hash): `identical` reports it.
//
// Both sides are measured warm, as a long sweep runs: the pool's workers first load the lab and
// run warm-up seeds (`poolStartSeconds` says what that costs once per sweep), and the single
// worker runs as many warm-up seeds as one of them before its measured round.
import { availableParallelism } from 'node:os';
import type { VerifyRun } from '../../scenarios/index.js';
import { VerifyPool, runVerifyPool, type VerifyTask } from '../verify-worker.js';
import type { Benchmark, BenchContext, Figures } from './benchmark.js';
import { significant, timed } from './measure.js';

const SEEDS = 160;
const FIRST_SEED = 1;
/** Warm-up seeds lie outside the measured ones; the JIT needs a few dozen runs to settle (the
 *  first 80 runs of a fresh process take half as long again as the next 80). */
const WARM_UP_FIRST_SEED = 1_000_001;
const WARM_UP_SEEDS_PER_WORKER = 24;

/** Alternates the providers so that both share every measured round. */
function tasksFor(first: number, count: number): VerifyTask[] {
  return Array.from({ length: count }, (_, i) => ({ seed: first + i, provider: i % 2 === 0 ? 'hyperv-replica' : 'inmage-scout', options: {} }));
}

const fingerprint = (runs: readonly VerifyRun[]) => runs.map((r) => `${r.provider}:${r.seed}:${r.verdict}:${r.traceHash}`).join(',');

export const verifyThroughput: Benchmark = {
  name: 'verify-throughput',
  description: 'lab verify runs per second on every core (worker pool) versus one worker, warm, same results',
  run(context: BenchContext): Figures {
    const seeds = Math.max(4, Math.round(SEEDS * context.scale));
    const tasks = tasksFor(FIRST_SEED, seeds);
    const workers = availableParallelism();
    const warmUp = tasksFor(WARM_UP_FIRST_SEED, WARM_UP_SEEDS_PER_WORKER * workers);

    context.progress(`verify-throughput: ${seeds} seeds on one worker`);
    runVerifyPool(warmUp.slice(0, WARM_UP_SEEDS_PER_WORKER), { workers: 1 });
    const single = timed(() => runVerifyPool(tasks, { workers: 1 }));

    context.progress(`verify-throughput: ${seeds} seeds on ${workers} workers`);
    const started = timed(() => {
      const pool = new VerifyPool(workers);
      pool.run(warmUp);
      return pool;
    });
    const pool = started.result;
    let pooled: { seconds: number; result: VerifyRun[] };
    try {
      pooled = timed(() => pool.run(tasks));
    } finally {
      pool.close();
    }
    const failures = [...single.result, ...pooled.result].filter((r) => r.verdict !== 'pass').length;
    return {
      runsPerSecond: significant(seeds / pooled.seconds, 4),
      workers,
      seeds,
      singleWorkerRunsPerSecond: significant(seeds / single.seconds, 4),
      speedup: significant(single.seconds / pooled.seconds, 3),
      poolStartSeconds: significant(started.seconds, 3),
      identical: fingerprint(single.result) === fingerprint(pooled.result),
      failures,
    };
  },
};
