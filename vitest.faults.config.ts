import { defineConfig } from 'vitest/config';

// `npm run test:faults`: the fault suite (test/faults) plus the end-to-end suites that already
// prove fault behaviour (interrupts, bad input, real drives, damage, hostile archives).
export default defineConfig({
  test: {
    // dist/ is rebuilt when older than the sources: tests and users run the same worker threads.
    globalSetup: ['test/global-setup.ts'],
    include: [
      'test/faults/**/*.test.ts',
      'test/e2e/interrupt.test.ts',
      'test/e2e/bad-input.test.ts',
      'test/e2e/real-drives.test.ts',
      'test/e2e/damage.test.ts',
      'test/restore/hostile-archives.test.ts',
    ],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    maxWorkers: 2,
  },
});
