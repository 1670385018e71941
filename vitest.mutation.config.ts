// The tests that judge engine/ mutants (npm run mutation).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The engine's own tests: fast enough to run per mutant. The property and catalogue suites
    // judge the engine too, but cost minutes per mutant on these machines.
    include: ['test/engine/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
