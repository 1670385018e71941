// The tests that judge engine/ mutants: the engine's own tests and the planted-bug and
// property suites, without the slow benchmarks-as-tests and browser checks.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/engine/**/*.test.ts', 'test/verification/**/*.test.ts', 'test/scenarios/catalogue.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
