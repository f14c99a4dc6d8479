import { defineConfig } from 'vitest/config';

// `npm run test:site`: the browser test of the built documentation site. It
// expects docs/site (built by `npm run docs`) and Debian's Chromium at
// /usr/bin/chromium, so it is kept out of the main `vitest run`.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['docs/test/*.browser.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
