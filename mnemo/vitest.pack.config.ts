import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run test:pack`: packs the published workspaces and installs them into a
// scratch project (mnemo/test/pack). Kept out of the main `vitest run`: it
// builds, packs and installs (about a minute), and runs once, on its own.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['mnemo/test/pack/*.pack.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
