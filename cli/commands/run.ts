// `lab run <scenario.yaml | dir>... [--seed N] [--seeds N] [--out DIR] [--json]` (DESIGN.md
// section 6). Every file is loaded and validated before anything runs: one bad file means exit
// code 2, its errors named by file:line:column, and nothing run. With no paths it runs the
// built-in demonstration suite and writes its report to ./lab-report/.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { RunRecord, RunSummary } from '../../model/index.js';
import { BUILTIN_SUITE, CATALOGUE_DIR, InputErrors, loadScenario, runScenarioChecked, type Scenario } from '../../scenarios/index.js';
import { renderAll } from '../../reports/index.js';
import { markFailed, UsageError } from '../exit.js';
import { nonNegativeInteger, positiveInteger } from './parse.js';

interface RunCommandOptions {
  readonly seed?: number;
  readonly seeds?: number;
  readonly out?: string;
  readonly json?: boolean;
  readonly builtin?: string;
  readonly determinism: boolean;
}

const REPO_ROOT = resolve(new URL('../..', import.meta.url).pathname);
const DEFAULT_OUT = 'lab-report';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run scenario files (or every *.yaml in a folder); no path runs the built-in demonstration suite')
    .argument('[paths...]', 'scenario files or folders')
    .option('--seed <n>', 'seed of the first run (default: the scenario file’s own)', nonNegativeInteger('--seed'))
    .option('--seeds <n>', 'runs per scenario, seeds seed, seed+1, ...', positiveInteger('--seeds'))
    .option('--out <dir>', 'write run.json, junit.xml, summary.md and index.html there')
    .option('--json', 'print one JSON document on stdout')
    .option('--builtin <name>', 'run one scenario of the built-in catalogue by name')
    .option('--no-determinism', 'skip the second run of every seed that proves determinism')
    .action((paths: string[], options: RunCommandOptions) => runCommand(paths, options));
}

async function runCommand(paths: readonly string[], options: RunCommandOptions): Promise<void> {
  const demo = paths.length === 0 && options.builtin === undefined;
  const files = options.builtin !== undefined ? [catalogueFile(options.builtin)] : demo ? BUILTIN_SUITE.map(catalogueFile) : expand(paths);
  const scenarios = loadAll(files);
  const runs: Array<{ scenario: Scenario; file: string; seed: number }> = [];
  for (const { scenario, file } of scenarios) {
    const first = options.seed ?? scenario.seed;
    for (let i = 0; i < (options.seeds ?? 1); i++) runs.push({ scenario, file, seed: first + i });
  }
  const bar = progressBar(runs.length);
  const records: RunRecord[] = [];
  for (const run of runs) {
    records.push(runScenarioChecked(run.scenario, { seed: run.seed, file: run.file, wallClock: () => performance.now(), checkDeterminism: options.determinism }));
    bar?.increment(1, { failed: records.filter((r) => r.verdict !== 'pass').length });
  }
  bar?.stop();
  const passed = records.filter((r) => r.verdict === 'pass').length;
  const summary: RunSummary = { runs: records, passed, failed: records.length - passed };
  if (summary.failed > 0) markFailed();
  const out = options.out ?? (demo ? DEFAULT_OUT : undefined);
  const rendered = await renderAll(summary);
  if (out !== undefined) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'run.json'), rendered.json);
    writeFileSync(join(out, 'junit.xml'), rendered.junit);
    writeFileSync(join(out, 'summary.md'), rendered.markdown);
    writeFileSync(join(out, 'index.html'), rendered.html);
  }
  if (options.json) {
    process.stdout.write(rendered.json.endsWith('\n') ? rendered.json : `${rendered.json}\n`);
  } else {
    process.stdout.write(table(summary));
    if (out !== undefined) process.stdout.write(`report: ${join(resolve(out), 'index.html')}\n`);
  }
}

function loadAll(files: readonly string[]): Array<{ scenario: Scenario; file: string }> {
  const loaded: Array<{ scenario: Scenario; file: string }> = [];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      continue;
    }
    try {
      loaded.push({ scenario: loadScenario(displayPath(file), text), file: displayPath(file) });
    } catch (error) {
      if (!(error instanceof InputErrors)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return loaded;
}

function expand(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
    if (statSync(path).isDirectory()) {
      const inside = scenarioFilesUnder(path);
      if (inside.length === 0) throw new UsageError(`${path}: the folder holds no .yaml scenario files`);
      files.push(...inside);
    } else files.push(path);
  }
  return files;
}

/** Every *.yaml / *.yml below `dir`, at any depth, in a stable order. */
function scenarioFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...scenarioFilesUnder(path));
    else if (entry.name.endsWith('.yaml') || entry.name.endsWith('.yml')) found.push(path);
  }
  return found;
}

function catalogueFile(name: string): string {
  const file = join(REPO_ROOT, CATALOGUE_DIR, `${name}.yaml`);
  if (!existsSync(file)) throw new UsageError(`no built-in scenario named "${name}"`);
  return file;
}

function displayPath(file: string): string {
  const fromCwd = relative(process.cwd(), file);
  return fromCwd.startsWith('..') ? file : fromCwd;
}

function progressBar(total: number): cliProgress.SingleBar | null {
  if (!process.stderr.isTTY || total < 2) return null;
  const bar = new cliProgress.SingleBar({ format: 'runs |{bar}| {value}/{total} failed={failed} eta={eta}s', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { failed: 0 });
  return bar;
}

function table(summary: RunSummary): string {
  const lines = summary.runs.map((r) => {
    const head = `${r.verdict === 'pass' ? 'PASS' : r.verdict.toUpperCase()}  ${r.scenario} [seed ${r.seed}]  rpo max ${r.metrics.rpoSecondsMax}s  lost writes ${r.metrics.dataLossWrites}  trace ${r.traceHash}`;
    const details = r.violations.map((v) => `    ${v.invariant} (${v.item} at ${v.atSeconds}s): ${v.message}`);
    return [head, ...details, ...(r.verdict === 'pass' ? [] : [`    replay: ${r.replay}`])].join('\n');
  });
  return `${lines.join('\n')}\n${summary.passed} passed, ${summary.failed} failed\n`;
}
