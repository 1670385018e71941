// The `verify-throughput` benchmark (DESIGN.md section 6): full-lifecycle verify runs per second
// (swarm experiments: initial replication, operations, faults, heal, liveness, every checker)
// with the worker pool on every core, against one worker in this process, on the same seeds.
// The two must agree run for run (verdict and trace hash): `identical` reports it.
import { availableParallelism } from 'node:os';
import { runVerifyPool, type VerifyTask } from '../verify-worker.js';
import type { Benchmark, BenchContext, Figures } from './benchmark.js';
import { significant, timed } from './measure.js';

const SEEDS = 160;
const FIRST_SEED = 1;

function measure(tasks: readonly VerifyTask[], workers: number): { seconds: number; fingerprint: string } {
  const { seconds, result: runs } = timed(() => runVerifyPool(tasks, { workers }));
  return { seconds, fingerprint: runs.map((r) => `${r.seed}:${r.verdict}:${r.traceHash}`).join(',') };
}

export const verifyThroughput: Benchmark = {
  name: 'verify-throughput',
  description: 'lab verify runs per second on every core (worker pool) versus one worker, same results',
  run(context: BenchContext): Figures {
    const seeds = Math.max(4, Math.round(SEEDS * context.scale));
    const tasks: VerifyTask[] = Array.from({ length: seeds }, (_, i) => ({ seed: FIRST_SEED + i, provider: 'hyperv-replica', options: {} }));
    const workers = availableParallelism();
    context.progress(`verify-throughput: ${seeds} seeds on one worker`);
    const single = measure(tasks, 1);
    context.progress(`verify-throughput: ${seeds} seeds on ${workers} workers`);
    const pooled = measure(tasks, workers);
    return {
      runsPerSecond: significant(seeds / pooled.seconds, 4),
      workers,
      seeds,
      singleWorkerRunsPerSecond: significant(seeds / single.seconds, 4),
      speedup: significant(single.seconds / pooled.seconds, 3),
      identical: single.fingerprint === pooled.fingerprint,
    };
  },
};
