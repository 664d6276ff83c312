// Builds the web console into dist/console at the repository root, which the admin API serves at `/`
// (apps/admin-api/src/console/console-static.ts). `npm run build:console` runs it.
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    // The graph library is most of the bundle; it is loaded only by the topology page.
    chunkSizeWarningLimit: 700,
  },
});
