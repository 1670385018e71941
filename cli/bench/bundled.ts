// Runs a function of a benchmark module in a Node process of its own, from one esbuild bundle of
// everything the module imports (the simulator, the engine, the libraries), built when the
// benchmark starts. The day benchmarks run this way.
//
// Why a bundle: `lab` runs its TypeScript through tsx's loader, one ES module per file, and the day
// benchmarks measured 10-15% slower that way than the same code bundled (medians of alternating
// runs at 100 VMs: wall and CPU time alike): every use of a function or constant imported from
// another module goes through that module's live binding, on paths that run millions of times a
// day. A bundle is one scope, which is also how a deployment that cares for speed would ship the
// simulator. It is the same source, built with the same esbuild tsx uses; building it takes well
// under a second, outside the timed day.
//
// Why a process of its own: peak memory is a process-wide high-water mark, so a day measured
// after another in one process reported the larger of the two; and a day starts on a fresh heap.
//
// Why transparent huge pages for its memory (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc's own
// switch for madvise(MADV_HUGEPAGE) on what malloc maps): a day's block maps, oracle logs and
// journals are hundreds of MiB of typed arrays read at random, one cold block a write, so with
// 4 KiB pages nearly every such access misses the TLB as well as the cache (a nested page walk on
// a virtual machine). Alternating runs of scout-day-200 measured ~10% less wall time with it
// (medians of 3: 24.1 s and 21.0 s), for ~30% more peak memory (whole 2 MiB pages are backed).
// Where the kernel's THP setting is `never` the switch does nothing; nothing else changes.
import { spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './benchmark.js';

const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/** The arguments of a benchmark function that takes a BenchContext last, without it. */
type ArgumentsBeforeContext<F> = F extends (...args: [...infer A, BenchContext]) => unknown ? A : never;
type ResultOf<F> = F extends (...args: never[]) => infer R ? R : never;

/** A day that has not ended after this long is taken for hung (the slowest seen: ~40 s). */
const CHILD_TIMEOUT_MS = 30 * 60 * 1000;

/** What the function `exportName` of the module at `entry` (a .ts file) returns when called with
 *  `args` and a context like `context`, run in a child process from a bundle. The result travels
 *  as JSON in a file (anything the day prints goes to this process's stderr, so nothing can
 *  garble the result or `lab bench --json`'s stdout). Throws if the bundle would run wrongly or the child fails. The child gets no
 *  execArgv of this process: those are tsx's loader flags. */
export function runBundled<M, K extends keyof M & string>(entry: URL, exportName: K, args: ArgumentsBeforeContext<M[K]>, context: BenchContext): ResultOf<M[K]> {
  const entryPath = fileURLToPath(entry);
  const code = bundle(entryPath, exportName);
  const directory = mkdtempSync(join(tmpdir(), 'lab-bench-'));
  try {
    const file = join(directory, 'bundle.cjs');
    writeFileSync(file, code);
    const resultFile = join(directory, 'result.json');
    const request = JSON.stringify({ args, scale: context.scale, repeat: context.repeat, resultFile });
    // Source maps on: a failing day's stack names the .ts lines, not the deleted bundle's.
    const child = spawnSync(process.execPath, ['--enable-source-maps', file, request], {
      env: { ...process.env, GLIBC_TUNABLES: withHugePages(process.env.GLIBC_TUNABLES) },
      // Whatever the day prints goes to stderr: stdout stays `lab bench --json`'s one document.
      stdio: ['ignore', 2, 2],
      timeout: CHILD_TIMEOUT_MS,
    });
    const what = `${exportName} of ${entryPath}`;
    if (child.error !== undefined) throw new Error(`running ${what}: ${child.error.message}`);
    if (child.status !== 0) throw new Error(`${what} failed in its process (${child.status === null ? `signal ${child.signal}` : `exit code ${child.status}`})`);
    if (!existsSync(resultFile)) throw new Error(`${what} ended without a result`);
    return JSON.parse(readFileSync(resultFile, 'utf8')) as ResultOf<M[K]>;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The bundle: the module, and a few lines that call its function with the request in argv[2]
 *  and write the result where the request says (synchronously: a day returns its figures). Any warning fails the build: the one that matters, `import.meta` in a
 *  CommonJS bundle, would otherwise leave `import.meta.url` undefined at run time without a word. */
function bundle(entryPath: string, exportName: string): string {
  const runner = [
    `import * as module from ${JSON.stringify(entryPath)};`,
    `import { writeFileSync } from 'node:fs';`,
    `const request = JSON.parse(process.argv[2]);`,
    `const progress = (message: string): void => { if (process.stderr.isTTY) process.stderr.write(message + '\\n'); };`,
    `const result = (module as Record<string, (...args: unknown[]) => unknown>)[${JSON.stringify(exportName)}](...request.args, { scale: request.scale, repeat: request.repeat ?? undefined, progress });`,
    `writeFileSync(request.resultFile, JSON.stringify(result));`,
  ].join('\n');
  const built = buildSync({
    stdin: { contents: runner, resolveDir: dirname(entryPath), sourcefile: 'bundled-runner.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    sourcemap: 'inline',
  });
  if (built.warnings.length > 0) throw new Error(`bundling ${entryPath}: ${built.warnings.map((warning) => warning.text).join('; ')}`);
  return built.outputFiles[0].text;
}

/** The user's GLIBC_TUNABLES with huge pages for malloc added, unless they chose a hugetlb mode. */
export function withHugePages(tunables: string | undefined): string {
  if (tunables === undefined || tunables === '') return HUGE_PAGES_TUNABLE;
  if (/(^|:)glibc\.malloc\.hugetlb=/.test(tunables)) return tunables;
  return `${tunables}:${HUGE_PAGES_TUNABLE}`;
}
