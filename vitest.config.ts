import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (ws: string): string => fileURLToPath(new URL(`./${ws}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources, so `vitest` needs no build; `npm test`
// still builds first so that the type checker sees every workspace.
export default defineConfig({
  resolve: {
    alias: {
      '@mnemo/core': src('core'),
      '@mnemo/autodiff': src('autodiff'),
      '@mnemo/nn': src('nn'),
      '@mnemo/proofs': src('proofs'),
      '@mnemo/models': src('models'),
      // The umbrella entry (the root package's export).
      mnemo: fileURLToPath(new URL('./models/src/mnemo.ts', import.meta.url)),
    },
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
