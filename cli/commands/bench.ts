// `lab bench [NAME...] [--json] [--repeat N]`: runs the named benchmarks (all by default; a day
// benchmark --repeat times, reported by its median run) and
// prints their figures, as one JSON document with --json or as a table for a person.
import type { Command } from 'commander';
import type { Benchmark, BenchContext, Figures } from '../bench/benchmark.js';
import { benchmarkNames, benchmarks, findBenchmark } from '../bench/registry.js';
import { UsageError } from '../exit.js';
import { positiveInteger } from './parse.js';

interface BenchOptions {
  readonly json?: boolean;
  readonly repeat?: number;
}

/** Environment knob for tests: shrinks every benchmark to this fraction of its proper size. */
export const BENCH_SCALE_VARIABLE = 'LAB_BENCH_SCALE';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`measure the simulator; benchmarks: ${benchmarkNames().join(', ')}`)
    .argument('[names...]', 'benchmarks to run (default: all)')
    .option('--json', 'print one JSON document { "benchmarks": { NAME: { figures } } } on stdout')
    .option('--repeat <n>', 'measured rounds (default: the benchmark\'s own, mm1 5, a day 3; a repeated day reports its median run and the spread)', positiveInteger('--repeat'))
    .action((names: string[], options: BenchOptions) => runBench(names, options));
}

function runBench(names: readonly string[], options: BenchOptions): void {
  const selected = names.length === 0 ? benchmarks : names.map(requireBenchmark);
  const context: BenchContext = {
    scale: benchScale(process.env[BENCH_SCALE_VARIABLE]),
    repeat: options.repeat,
    progress: (message) => {
      if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
    },
  };
  if (context.scale !== 1) process.stderr.write(`lab bench: ${BENCH_SCALE_VARIABLE}=${context.scale}, figures are not the benchmark proper\n`);
  const results: Record<string, Figures> = {};
  for (const benchmark of selected) results[benchmark.name] = benchmark.run(context);
  process.stdout.write(options.json ? `${JSON.stringify({ benchmarks: results }, null, 2)}\n` : formatTable(results));
}

function requireBenchmark(name: string): Benchmark {
  const benchmark = findBenchmark(name);
  if (benchmark === undefined) throw new UsageError(`unknown benchmark '${name}'; known benchmarks: ${benchmarkNames().join(', ')}`);
  return benchmark;
}

function benchScale(text: string | undefined): number {
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!(scale > 0 && scale <= 1)) throw new UsageError(`${BENCH_SCALE_VARIABLE} must be a number in (0, 1], got '${text}'`);
  return scale;
}

/** benchmark / figure / value, one figure a line, columns aligned. */
function formatTable(results: Readonly<Record<string, Figures>>): string {
  const rows: string[][] = [['benchmark', 'figure', 'value']];
  for (const [name, figures] of Object.entries(results)) {
    for (const [figure, value] of Object.entries(figures)) {
      rows.push([name, figure, typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 6 }) : String(value)]);
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]): string =>
    row.map((cell, column) => (column === row.length - 1 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ');
  return `${rows.map(line).join('\n')}\n`;
}
