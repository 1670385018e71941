// `lab plan <workload.yaml> [--rpo 15m] [--out DIR] [--json]` (DESIGN.md section 6): sizes a
// deployment for a workload analytically, confirms it by simulation, and prints a table (or one
// JSON document with --json). --out DIR writes plan.json, plan.csv, simulation.csv and index.html.
// A bad workload file (or a CSV series it names) is exit code 2 with file:line:column errors.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputErrors, parseDuration } from '../../scenarios/index.js';
import { loadWorkload, makePlan, planCsv, planHtml, planTable, simulationCsv, type SeriesReader, type Workload } from '../../planner/index.js';
import { UsageError } from '../exit.js';
import { positiveInteger } from './parse.js';

interface PlanCommandOptions {
  readonly rpo?: string;
  readonly out?: string;
  readonly json?: boolean;
  readonly seeds?: number;
  readonly simulate: boolean;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('size master targets, process servers, bandwidth and storage for a workload file, then confirm by simulation')
    .argument('<workload>', 'workload file (YAML)')
    .option('--rpo <duration>', 'RPO target, overriding the file (e.g. 15m, 30m, 1h)')
    .option('--out <dir>', 'write plan.json, plan.csv, simulation.csv and index.html there')
    .option('--json', 'print one JSON document on stdout')
    .option('--seeds <n>', 'seeds of the simulated confirmation (default: the file’s, 3)', positiveInteger('--seeds'))
    .option('--no-simulate', 'skip the simulated confirmation')
    .action((file: string, options: PlanCommandOptions) => planCommand(file, options));
}

async function planCommand(file: string, options: PlanCommandOptions): Promise<void> {
  const workload = withOverrides(readWorkload(file), options);
  const progress = (message: string) => {
    if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
  };
  const plan = makePlan(workload, { progress, seeds: options.seeds });
  const document = plan.document;
  const json = `${JSON.stringify(document, null, 2)}\n`;
  if (options.out !== undefined) {
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'plan.json'), json);
    writeFileSync(join(options.out, 'plan.csv'), planCsv(document));
    writeFileSync(join(options.out, 'simulation.csv'), simulationCsv(document));
    writeFileSync(join(options.out, 'index.html'), await planHtml(plan.analytic, document));
  }
  if (options.json) process.stdout.write(json);
  else {
    process.stdout.write(planTable(document));
    if (options.out !== undefined) process.stdout.write(`report: ${join(resolve(options.out), 'index.html')}\n`);
  }
}

function readWorkload(file: string): Workload {
  if (!existsSync(file) || statSync(file).isDirectory()) throw new UsageError(`${file}: no such workload file`);
  const text = readFileSync(file, 'utf8');
  const base = dirname(file);
  const readSeries: SeriesReader = (path) => {
    const full = resolve(base, path);
    try {
      return { ok: true, file: displayPath(full), text: readFileSync(full, 'utf8') };
    } catch (error) {
      return { ok: false, error: (error as NodeJS.ErrnoException).code ?? String(error) };
    }
  };
  try {
    return loadWorkload(displayPath(file), text, readSeries);
  } catch (error) {
    if (error instanceof InputErrors) throw new UsageError(error.message);
    throw error;
  }
}

function withOverrides(workload: Workload, options: PlanCommandOptions): Workload {
  let result = workload;
  if (options.rpo !== undefined) {
    const parsed = parseDuration(options.rpo);
    if (!parsed.ok || parsed.value <= 0) throw new UsageError(`--rpo: ${parsed.ok ? 'must be more than 0' : parsed.error}`);
    result = { ...result, rpoSeconds: parsed.value / 1e6 };
  }
  if (!options.simulate) result = { ...result, simulation: { ...result.simulation, enabled: false } };
  return result;
}

function displayPath(file: string): string {
  const fromCwd = relative(process.cwd(), resolve(file));
  return fromCwd.startsWith('..') ? resolve(file) : fromCwd;
}
