import { defineConfig } from 'vitest/config';

/**
 * The sandbox's own tests live in sandbox/tests/<project>/ and run in the project of that name. The security
 * suite (tests/security/) is a project of its own, except tests/security/sandbox/, which needs the local sandbox
 * and so runs in the sandbox project, sharing its one sandbox; `npm run test:security` runs both by path.
 */
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
          include: ['tests/sandbox/**/*.test.ts', 'sandbox/tests/sandbox/**/*.test.ts', 'tests/security/sandbox/**/*.test.ts'],
          globalSetup: ['tests/sandbox/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'security',
          include: ['tests/security/**/*.test.ts'],
          exclude: ['tests/security/sandbox/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
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
