// Mutation score of engine/ from a seeded random sample of its lines (`npm run mutation:sample`).
//
// Why a sample: engine/ has about 5,700 mutants and the tests that judge them drive whole
// lifecycles in the simulator (about 2 s each, 3 to 4 per mutant), so the full run
// (`npm run mutation`) takes 5 to 6 hours on a 2-core machine and far longer on a shared one.
// Mutating every mutant on a uniform random sample of the engine's code lines estimates the
// score of the whole engine in minutes, with a confidence interval, and lists the surviving
// mutants of the sample exactly as the full run would.
//
// Usage: tsx scripts/mutation-sample.ts [--lines N] [--seed S]   (defaults 120 lines, seed 1)
// Writes reports-out/mutation/sample.config.json (the Stryker config it ran) and prints the
// estimate and the survivors; the full Stryker JSON report is reports-out/mutation/mutation.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';

const CONFIG_FILE = 'reports-out/mutation/sample.config.json';
const REPORT_FILE = 'reports-out/mutation/mutation.json';
/** Files the full run leaves out too (stryker.config.json): interfaces, re-exports, test hooks. */
const EXCLUDED = new Set(['engine/ports.ts', 'engine/index.ts', 'engine/testing.ts']);

interface MutantResult {
  readonly status: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}

interface Report {
  readonly files: Record<string, { readonly mutants: readonly MutantResult[] }>;
}

function engineFiles(dir = 'engine'): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? engineFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))
    .filter((path) => !EXCLUDED.has(path))
    .sort();
}

/** Lines that can hold a mutant: code, not blank lines, comments or imports. */
function codeLines(path: string): Array<{ path: string; line: number }> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((text, i) => ({ text: text.trim(), line: i + 1 }))
    .filter(({ text }) => text !== '' && !text.startsWith('//') && !text.startsWith('*') && !text.startsWith('/*') && !text.startsWith('import '))
    .map(({ line }) => ({ path, line }));
}

function sampleLines(count: number, seed: string): Array<{ path: string; line: number }> {
  const all = engineFiles().flatMap(codeLines);
  const random = seedrandom(seed);
  // A partial Fisher-Yates shuffle: the first `count` entries are a uniform sample.
  for (let i = 0; i < Math.min(count, all.length); i++) {
    const j = i + Math.floor(random() * (all.length - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count).sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line);
}

/** Wilson score interval at 95% for k successes out of n. */
function wilson(k: number, n: number): [number, number] {
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [centre - half, centre + half];
}

function main(): number {
  const { values } = parseArgs({ options: { lines: { type: 'string', default: '120' }, seed: { type: 'string', default: '1' } } });
  const lineCount = Number(values.lines);
  if (!Number.isInteger(lineCount) || lineCount < 1) {
    process.stderr.write(`mutation-sample: --lines must be a positive integer, got '${values.lines}'\n`);
    return 2;
  }
  const lines = sampleLines(lineCount, values.seed);
  const base = JSON.parse(readFileSync('stryker.config.json', 'utf8')) as Record<string, unknown>;
  mkdirSync('reports-out/mutation', { recursive: true });
  writeFileSync(CONFIG_FILE, `${JSON.stringify({ ...base, mutate: lines.map((l) => `${l.path}:${l.line}-${l.line}`) }, null, 2)}\n`);
  process.stdout.write(`mutation-sample: ${lines.length} lines of engine/ (seed ${values.seed}) -> ${CONFIG_FILE}\n`);
  const stryker = spawnSync('npx', ['stryker', 'run', CONFIG_FILE], { stdio: 'inherit' });
  if (stryker.status !== 0) return stryker.status ?? 1;
  return summarize(JSON.parse(readFileSync(REPORT_FILE, 'utf8')) as Report);
}

function summarize(report: Report): number {
  const mutants = Object.entries(report.files).flatMap(([path, file]) => file.mutants.map((m) => ({ path, ...m })));
  const detected = mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  const undetected = mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage');
  const valid = detected + undetected.length;
  if (valid === 0) {
    process.stderr.write('mutation-sample: the sample holds no valid mutant; take more lines\n');
    return 1;
  }
  const [low, high] = wilson(detected, valid);
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  process.stdout.write(`\nmutation score of engine/ (sample): ${percent(detected / valid)} of ${valid} mutants (95% interval ${percent(low)} to ${percent(high)})\n`);
  process.stdout.write(`undetected (${undetected.length}):\n`);
  for (const m of undetected) process.stdout.write(`  ${m.status} ${m.path}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}${m.replacement !== undefined ? ` -> ${m.replacement.split('\n')[0].slice(0, 80)}` : ''}\n`);
  return 0;
}

process.exitCode = main();
