// Test runner settings: integration suites start real servers, so they get generous hook timeouts
// and run one file at a time on this 2-core machine to keep start-up times predictable.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'alerts/**/*.test.ts', 'dashboards/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
