import { cpSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

/** What the sandbox daemon reads from disk at runtime goes next to its built entry (sandbox/services/moto.ts finds it there). */
const sandboxFiles: Plugin = {
  name: 'tributary-sandbox-files',
  writeBundle(options) {
    if (options.dir) cpSync(resolve(import.meta.dirname, 'sandbox/python'), resolve(options.dir, 'python'), { recursive: true });
  },
};

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'electron/main/index.ts'),
          // The sandbox's supervising process, a built entry of its own so no host needs tsx to start it (sandbox/client/daemon-command.ts).
          'sandbox-daemon': resolve(import.meta.dirname, 'sandbox/daemon.ts'),
          // The app's core in a supervised process of its own (electron/supervisor/).
          'core-process': resolve(import.meta.dirname, 'electron/supervisor/core-process.ts'),
        },
      },
    },
    plugins: [sandboxFiles],
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require from node_modules: bundle everything into one CommonJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'renderer'),
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      chunkSizeWarningLimit: 4096,
      minify: true,
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'renderer/index.html') } },
    },
  },
});
