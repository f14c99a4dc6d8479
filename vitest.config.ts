import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (ws: string): string => fileURLToPath(new URL(`./${ws}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources, so `vitest` needs no build; `npm test`
// still builds first so that the type checker sees every workspace.
export default defineConfig({
  resolve: {
    // Exact names (a string alias would also rewrite '@mnemo/nn/node' as a path under '@mnemo/nn').
    alias: [
      { find: /^@mnemo\/core$/, replacement: src('core') },
      { find: /^@mnemo\/autodiff$/, replacement: src('autodiff') },
      { find: /^@mnemo\/nn$/, replacement: src('nn') },
      { find: /^@mnemo\/nn\/node$/, replacement: fileURLToPath(new URL('./nn/src/node.ts', import.meta.url)) },
      { find: /^@mnemo\/proofs$/, replacement: src('proofs') },
      { find: /^@mnemo\/models$/, replacement: src('models') },
      // The umbrella package and its browser entry.
      { find: /^mnemo$/, replacement: src('mnemo') },
      { find: /^mnemo\/browser$/, replacement: fileURLToPath(new URL('./mnemo/src/browser.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['*/test/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
