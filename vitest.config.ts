import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'test/lint-fixtures/**', '.stryker-tmp/**', '.scratch/**'],
    setupFiles: ['test/fast-check-seed.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
