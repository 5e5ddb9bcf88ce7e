// Test runner settings: integration suites start real servers, so they get generous hook timeouts.
// Two files run at once: most of an integration file's time is spent waiting on its servers, and
// on 2 cores the whole suite took 6.6 min that way against 11.7 min one file at a time on the same
// idle machine (and that serial run's image build failed early, so serially it is slower still).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'alerts/**/*.test.ts', 'dashboards/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
