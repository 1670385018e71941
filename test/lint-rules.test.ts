// Shows that lint enforces DESIGN.md sections 1 and 2: the import table and the ban on ambient
// nondeterminism. Each case lints a snippet as if it lived at the given path in the repo.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint enforces the design', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['engine imports sim/', 'engine/providers/x.ts', "import { Kernel } from '../../sim/kernel.js';\nexport const k = Kernel;\n", /engine\/ is written against engine\/ports.ts only/],
    ['engine imports node:*', 'engine/x.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", /node:\* is only for cli/],
    ['engine imports model/ past its index', 'engine/x.ts', "import { assert } from '../model/assert.js';\nexport const a = assert;\n", /through model\/index.js/],
    ['sim calls Math.random', 'sim/x.ts', 'export const r = Math.random();\n', /Math.random.*entropy.next\(\)/],
    ['sim calls Date.now', 'sim/x.ts', 'export const t = Date.now();\n', /Date.*clock.now\(\)/],
    ['engine awaits', 'engine/x.ts', 'export async function f(): Promise<void> { await g(); }\ndeclare function g(): Promise<void>;\n', /no async/],
    ['sim imports engine internals', 'sim/x.ts', "import { HyperVPrimary } from '../engine/providers/hyperv-replica/primary.js';\nexport const p = HyperVPrimary;\n", /only types from engine\/ports.ts/],
    ['sim imports a port as a value', 'sim/x.ts', "import { Something } from '../engine/ports.js';\nexport const p = Something;\n", /use `import type`/],
    ['model imports a package', 'model/x.ts', "import fc from 'fast-check';\nexport const f = fc;\n", /may import only these packages: xstate/],
    ['reports imports the engine', 'reports/x.ts', "import { x } from '../engine/index.js';\nexport const y = x;\n", /reports\/ is pure output/],
  ];
  for (const [name, path, code, expected] of cases) {
    it(`fails when ${name}`, async () => {
      expect((await problems(path, code)).join('\n')).toMatch(expected);
    });
  }

  it('accepts the allowed forms', async () => {
    expect(await problems('sim/x.ts', "import type { Clock } from '../engine/ports.js';\nimport { assert } from '../model/index.js';\nexport const c: Clock | null = null;\nassert(true, 'ok');\n")).toEqual([]);
    expect(await problems('engine/x.ts', "import { assert } from '../model/index.js';\nimport { setup } from 'xstate';\nexport const a = [assert, setup];\n")).toEqual([]);
  });
});
