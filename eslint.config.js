// Lint enforces DESIGN.md section 1 (who may import whom) and section 2 (no ambient
// nondeterminism, no suspension in model/, engine/ and sim/). CI runs it through `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const folders = ['model', 'engine', 'sim', 'scenarios', 'planner', 'reports', 'cli'];

/** A relative import that reaches into folder `name` from anywhere inside another folder. */
const into = (name) => `^(\\.\\./)+${name}(/|$)`;
/** A relative import into `name` that does not go through its index.ts. */
const pastIndexOf = (name) => `^(\\.\\./)+${name}/(?!index\\.js$)`;

const forbid = (names, why) => names.map((name) => ({ regex: into(name), message: `${why} (DESIGN.md section 1)` }));
const throughIndex = (names) =>
  names.map((name) => ({ regex: pastIndexOf(name), message: `import ${name}/ through ${name}/index.js only (DESIGN.md section 1)` }));
const noNode = { regex: '^node:', message: 'node:* is only for cli/ (DESIGN.md section 1); take it through a port' };
/** Bare package imports other than the listed ones. */
const onlyPackages = (allowed) => ({
  regex: `^(?!\\.|${allowed.map((p) => p.replace(/[/.]/g, '\\$&')).join('$|')}$)`,
  message: `this folder may import only these packages: ${allowed.join(', ')} (DESIGN.md section 1)`,
});

const rulesFor = {
  model: [...forbid(folders.filter((f) => f !== 'model'), 'model/ imports nothing else in the repo'), noNode, onlyPackages(['xstate'])],
  engine: [
    ...forbid(['sim', 'scenarios', 'planner', 'reports', 'cli'], 'engine/ is written against engine/ports.ts only'),
    ...throughIndex(['model']),
    noNode,
    onlyPackages(['xstate']),
  ],
  sim: [
    ...forbid(['scenarios', 'planner', 'reports', 'cli'], 'sim/ does not know its users'),
    { regex: '^(\\.\\./)+engine/(?!ports\\.js$)', message: 'sim/ may import only types from engine/ports.ts (DESIGN.md section 1)' },
    { regex: '^(\\.\\./)+engine/ports\\.js$', allowTypeImports: true, message: 'sim/ may import only types from engine/ports.ts: use `import type`' },
    ...throughIndex(['model']),
    noNode,
    onlyPackages(['seedrandom', 'memfs']),
  ],
  scenarios: [...forbid(['cli', 'planner', 'reports'], 'scenarios/ sits below planner/, reports/ and cli/'), ...throughIndex(['model', 'engine', 'sim'])],
  planner: [...forbid(['cli', 'engine', 'sim'], 'planner/ reaches the engine and the world only through scenarios/'), ...throughIndex(['model', 'scenarios', 'reports'])],
  reports: [...forbid(['engine', 'sim', 'scenarios', 'planner', 'cli'], 'reports/ is pure output over model/ run records'), ...throughIndex(['model']), noNode],
  cli: [...throughIndex(['model', 'engine', 'sim', 'scenarios', 'planner', 'reports'])],
};

const deterministic = {
  'no-restricted-globals': [
    'error',
    { name: 'Date', message: 'use clock.now() (DESIGN.md section 2)' },
    { name: 'performance', message: 'use clock.now() (DESIGN.md section 2)' },
    { name: 'setTimeout', message: 'use clock.setTimer() (DESIGN.md section 2)' },
    { name: 'setInterval', message: 'use clock.setTimer() (DESIGN.md section 2)' },
    { name: 'setImmediate', message: 'schedule a kernel event (DESIGN.md section 2)' },
    { name: 'queueMicrotask', message: 'schedule a kernel event (DESIGN.md section 2)' },
    { name: 'process', message: 'only cli/ reads the process (DESIGN.md section 2)' },
    { name: 'crypto', message: 'use entropy.next() (DESIGN.md section 2)' },
    { name: 'Promise', message: 'no suspension: take a completion callback (DESIGN.md section 2)' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'use entropy.next() or a forked PRNG stream (DESIGN.md section 2)' },
    { object: 'crypto', property: 'randomUUID', message: 'use entropy.next() (DESIGN.md section 2)' },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: ':function[async=true]', message: 'no async in model/, engine/ or sim/: take a completion callback (DESIGN.md section 2)' },
    { selector: 'AwaitExpression', message: 'no await in model/, engine/ or sim/ (DESIGN.md section 2)' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'reports-out/**', '.stryker-tmp/**', '.scratch/**', 'test-output/**', 'lab-report/**', 'cli/lab.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...Object.entries(rulesFor).map(([folder, patterns]) => ({
    files: [`${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  })),
  { files: ['model/**/*.ts', 'engine/**/*.ts', 'sim/**/*.ts'], ignores: ['**/*.test.ts'], rules: deterministic },
);
