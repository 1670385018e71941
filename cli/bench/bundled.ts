// Loads a module of the benchmarks as one esbuild bundle of everything it imports (the
// simulator, the engine, the libraries), built when a benchmark starts.
//
// Why: `lab` runs its TypeScript through tsx's loader, one ES module per file, and the day
// benchmarks measured 10-15% slower that way than the same code bundled (medians of alternating
// runs at 100 VMs: wall and CPU time alike): every use of a function or constant imported from
// another module goes through that module's live binding, on paths that run millions of times a
// day. A bundle is one scope, which is also how a deployment that cares for speed would ship the
// simulator. The bundle is the same source, built with the same esbuild tsx uses; building it
// takes well under a second, outside the timed day.
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The exports of the module at `entry` (a .ts file), run from a bundle. */
export function loadBundled<M>(entry: URL): M {
  // Any warning fails the load: the one that matters, `import.meta` in a CommonJS bundle, would
  // otherwise leave `import.meta.url` undefined at run time without a word.
  const built = buildSync({ entryPoints: [fileURLToPath(entry)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent', sourcemap: 'inline' });
  if (built.warnings.length > 0) throw new Error(`bundling ${fileURLToPath(entry)}: ${built.warnings.map((warning) => warning.text).join('; ')}`);
  const directory = mkdtempSync(join(tmpdir(), 'lab-bench-'));
  try {
    const file = join(directory, 'bundle.cjs');
    writeFileSync(file, built.outputFiles[0].contents);
    return createRequire(import.meta.url)(file) as M;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
