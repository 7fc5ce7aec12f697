import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * Builds the dashboard (a static Preact app) into dist/dashboard, which `amora dashboard` serves
 * and the package ships, so `npx amora dashboard` works offline. Relative asset URLs let it be
 * served under any path.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    // One chunk on purpose (mqtt.js, rxjs, zod, Preact: about 600 kB, 170 kB gzipped), served locally.
    chunkSizeWarningLimit: 1000,
  },
});
