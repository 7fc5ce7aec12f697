import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Unit specs (*.spec.ts) and integration specs (*.int.spec.ts) run as separate projects, so
// `npm run test:unit` stays fast and integration files (real brokers, real MPD, vendor SDKs) can
// be given longer timeouts.
//
// Wall time on small machines (CI and dev boxes have 2 cores):
// - Unit specs share their workers' module graph (`isolate: false`): re-importing core, zod and the
//   SDKs for each of ~100 files cost ~4x their test time. They hold no global state between files
//   (no vi.mock, fake timers or stubbed globals; those are in integration specs).
// - Vitest's default is one worker fewer than the cores, one at a time on 2 cores. Integration files
//   mostly wait (brokers, child processes, network round trips), so they run three at a time there.
const INTEGRATION_WORKERS = Number(process.env.PS_WORKERS ?? Math.max(3, availableParallelism() - 1));

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.spec.ts'],
          exclude: ['**/*.int.spec.ts', 'node_modules/**', 'dist/**'],
          testTimeout: 10_000,
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.int.spec.ts'],
          exclude: ['node_modules/**', 'dist/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          maxWorkers: INTEGRATION_WORKERS,
        },
      },
    ],
  },
});
