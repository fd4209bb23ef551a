import { defineConfig } from 'vitest/config';

/** The sandbox's own tests live in sandbox/tests/<project>/ and run in the project of that name. */
export default defineConfig({
  test: {
    root: import.meta.dirname + '/..',
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts', 'sandbox/tests/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'sandbox/tests/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'sandbox',
          include: ['tests/sandbox/**/*.test.ts', 'sandbox/tests/sandbox/**/*.test.ts'],
          globalSetup: ['tests/sandbox/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
