#!/usr/bin/env node
// The `mnemo` command. The command line is TypeScript compiled to ../dist by the
// root "prepare" script (`tsc -b`, run by `npm ci`); this shim only loads it.
try {
  await import('../dist/cli.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('cli.js')) {
    process.stderr.write('mnemo: the command line is not built yet; run `npm run build` in the repository root\n');
    process.exit(70);
  }
  throw e;
}
