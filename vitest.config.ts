import { defineConfig } from 'vitest/config';

// Unit specs (*.spec.ts) and integration specs (*.int.spec.ts) run as separate projects, so
// `npm run test:unit` stays fast and integration files (real brokers, real MPD, vendor SDKs) can
// be given longer timeouts.
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
        },
      },
    ],
  },
});
