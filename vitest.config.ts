import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Unit specs (*.spec.ts) and integration specs (*.int.spec.ts) run as separate projects, so
// `npm run test:unit` stays fast and integration files (real brokers, real MPD, vendor SDKs) can
// be given longer timeouts.
//
// Wall time on small machines (CI and dev boxes have 2 cores):
// - Unit specs share their workers' module graph (`isolate: false`): re-importing core, zod and the
//   SDKs for each of ~100 files cost several times their test time. A unit spec must therefore
//   leave no global state behind (restore the fake timers, stubs and env it sets; vi.mock needs an
//   isolated file, so such a spec belongs in the integration project).
// - Vitest's default is one worker fewer than the cores: one file at a time on 2 cores. Integration
//   files mostly wait (brokers, child processes, network round trips), so they run at least three
//   at a time (on 2 cores, 12 integration files took 154-159 s one at a time, 80-84 s three at a time).
const INTEGRATION_WORKERS = Math.max(3, availableParallelism() - 1);

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
          // Projects with different maxWorkers run as groups, one after the other: unit first.
          sequence: { groupOrder: 0 },
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
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
