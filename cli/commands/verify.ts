// `lab verify [--seeds N] [--seed S] [--provider hyperv-replica|inmage-scout|all] [--json]`
// (DESIGN.md section 6; issue: verification, point 4): long swarm sweeps outside the test suite.
// Seed s runs the provider's swarm experiment derived from s (every knob drawn from the seed)
// with every checker; `--provider all` runs every seed for each provider in turn. Seeds are
// spread over a worker pool (one worker per core by default) and the results are the same as
// with one worker. Each failure prints the line that replays it, and was already
// rerun once to prove that it reproduces.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { PROVIDERS, VERIFIABLE_PROVIDERS, describeExperiment, swarmExperimentFor, verifySeed, type Provider, type VerifyRun } from '../../scenarios/index.js';
import { markFailed, UsageError } from '../exit.js';
import { runVerifyPool, type VerifyTask } from '../verify-worker.js';
import { nonNegativeInteger, positiveInteger } from './parse.js';

interface VerifyCommandOptions {
  readonly seeds?: number;
  readonly seed?: number;
  readonly provider: string;
  readonly json?: boolean;
  readonly workers?: number;
  readonly replay?: boolean;
  readonly determinism?: boolean;
}

const SEEDS_DEFAULT = 100;

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('swarm verification sweep: seed s runs an experiment whose every knob is drawn from s')
    .option('--seeds <n>', `number of seeds (default ${SEEDS_DEFAULT}; 1 with --replay)`, positiveInteger('--seeds'))
    .option('--seed <n>', 'first seed (default 1)', nonNegativeInteger('--seed'))
    .option('--provider <name>', `${[...PROVIDERS, 'all'].join(' | ')}`, 'hyperv-replica')
    .option('--json', 'print one JSON document { runs, passed, failed } on stdout')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInteger('--workers'))
    .option('--replay', 'run --seed alone, in this process, and print its timeline and verdict')
    .option('--determinism', 'run every seed twice and compare trace hashes (failures always are)')
    .action((options: VerifyCommandOptions) => verifyCommand(options));
}

function providersOf(name: string): Provider[] {
  if (name === 'all') return [...VERIFIABLE_PROVIDERS];
  if ((PROVIDERS as readonly string[]).includes(name)) return [name as Provider];
  throw new UsageError(`unknown provider '${name}'; known: ${[...PROVIDERS, 'all'].join(', ')}`);
}

function verifyCommand(options: VerifyCommandOptions): void {
  const providers = providersOf(options.provider);
  const first = options.seed ?? 1;
  const count = options.replay ? (options.seeds ?? 1) : (options.seeds ?? SEEDS_DEFAULT);
  const tasks: VerifyTask[] = [];
  for (const provider of providers) for (let i = 0; i < count; i++) tasks.push({ seed: first + i, provider, options: { determinism: options.determinism === true } });
  if (options.replay) return replay(tasks, options.json === true);
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), tasks.length));
  const bar = progressBar(tasks.length, workers);
  let failed = 0;
  const started = performance.now();
  const runs = runVerifyPool(tasks, {
    workers,
    onResult: (run) => {
      if (run.verdict !== 'pass') failed++;
      bar?.increment(1, { failed });
    },
  });
  bar?.stop();
  report(runs, options.json === true, (performance.now() - started) / 1000, workers);
}

function replay(tasks: readonly VerifyTask[], json: boolean): void {
  const runs = tasks.map((task) => {
    if (!json) process.stdout.write(`${describeExperiment(swarmExperimentFor(task.seed, task.provider))}\n`);
    return verifySeed(task.seed, task.provider, task.options);
  });
  report(runs, json, null, 1);
}

function report(runs: readonly VerifyRun[], json: boolean, wallSeconds: number | null, workers: number): void {
  const passed = runs.filter((r) => r.verdict === 'pass').length;
  const failed = runs.length - passed;
  if (failed > 0) markFailed();
  if (json) {
    process.stdout.write(`${JSON.stringify({ runs, passed, failed }, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const run of runs) {
    if (run.verdict === 'pass') continue;
    lines.push(`${run.verdict.toUpperCase()}  ${run.scenario} [${run.provider} seed ${run.seed}]  trace ${run.traceHash}${run.reproduced ? '  (reproduced on rerun)' : '  (DID NOT REPRODUCE)'}`);
    for (const v of run.violations) lines.push(`    ${v.invariant} (${v.item} at ${v.atSeconds}s): ${v.message}`);
    lines.push(`    replay: ${run.replay}`);
  }
  if (runs.length === 1 && runs[0].verdict === 'pass') lines.push(`PASS  ${runs[0].scenario} [${runs[0].provider} seed ${runs[0].seed}]  trace ${runs[0].traceHash}`);
  const timing = wallSeconds === null ? '' : ` in ${wallSeconds.toFixed(1)}s on ${workers} worker${workers === 1 ? '' : 's'}`;
  lines.push(`${passed} passed, ${failed} failed${timing}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function progressBar(total: number, workers: number): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY || total < 2) return null;
  const bar = new cliProgress.SingleBar(
    { format: `verify |{bar}| {value}/{total} seeds, failed={failed}, ${workers} workers, eta={eta}s`, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { failed: 0 });
  return bar;
}
