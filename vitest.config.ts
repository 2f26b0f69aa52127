import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'loadtest/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: each file gets its own database cloned from a migrated template, so files can run
    // in parallel; more than two workers only adds contention.
    maxWorkers: 2,
    pool: 'forks',
  },
});
