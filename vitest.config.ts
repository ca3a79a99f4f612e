import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // dist/ is rebuilt when older than the sources: tests and users run the same worker threads.
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // Caps, not expectations: a test ends when what it waits for happens. Generous, so that the
    // suite passes on a slow or loaded machine (measured: load 20 on 2 cores stretches the e2e
    // tests 5-10x); a test that hangs still ends.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // e2e tests spawn the built CLI; two workers match the two cores here.
    maxWorkers: 2,
  },
});
