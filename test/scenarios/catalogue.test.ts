// Every scenario of the catalogue, run with the seed its file pins: it must pass, and it must
// reach the coverage marks it exists for (a scenario that no longer reaches its marks has stopped
// testing what its description promises). One run per file; determinism is proven elsewhere.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_SUITE, CATALOGUE_DIR, loadScenario, ScenarioRun } from '../../scenarios/index.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const catalogue = join(repoRoot, CATALOGUE_DIR);
const files = readdirSync(catalogue)
  .filter((name) => name.endsWith('.yaml'))
  .sort();
const SCHEMA_LINE = '# yaml-language-server: $schema=../scenario.schema.json';

describe('scenario catalogue', () => {
  it('holds the scenarios, each named after its file and pointing editors at the schema', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const name of files) {
      const text = readFileSync(join(catalogue, name), 'utf8');
      expect(text.split('\n')[0], name).toBe(SCHEMA_LINE);
      const scenario = loadScenario(`${CATALOGUE_DIR}/${name}`, text);
      expect(scenario.name, name).toBe(basename(name, '.yaml'));
      expect(scenario.expect.marks.length, `${name} names no coverage marks`).toBeGreaterThan(0);
    }
  });

  it('names only catalogue scenarios in the built-in demonstration suite', () => {
    expect(BUILTIN_SUITE.length).toBeGreaterThan(0);
    for (const name of BUILTIN_SUITE) expect(files).toContain(`${name}.yaml`);
  });

  for (const name of files) {
    it(`${name} passes with its pinned seed and reaches its marks`, () => {
      const file = `${CATALOGUE_DIR}/${name}`;
      const scenario = loadScenario(file, readFileSync(join(catalogue, name), 'utf8'));
      const record = new ScenarioRun(scenario, { file }).run();
      const problems = [...record.violations.map((v) => `${v.invariant} (${v.item} at ${v.atSeconds}s): ${v.message}`), ...(record.diagnosis?.crash !== undefined ? [record.diagnosis.crash] : [])];
      expect(problems, `${record.replay}`).toEqual([]);
      expect(record.verdict).toBe('pass');
      expect(record.seed).toBe(scenario.seed);
      expect(scenario.expect.marks.filter((mark) => !record.marks.includes(mark))).toEqual([]);
    });
  }
});
