// @ts-check
/**
 * The typedoc plugin that puts mnemo in the site: after the pages are
 * written, esbuild bundles the four layers that run in a browser (core,
 * autodiff, nn, proofs), the `mnemo/browser` umbrella and the playground's
 * page script (docs/playground/app.ts) into `assets/mnemo/` of the site, as ES
 * modules that share one copy of the code (code splitting). The playground
 * page maps `@mnemo/*` to these files with an import map, so a module the
 * user writes imports them as it would from npm.
 *
 * The bundle is built from the TypeScript sources (no `tsc -b` needed) for
 * `platform: 'browser'`, so a Node built-in anywhere in those layers fails the
 * build. `bundle.json` beside the files lists them, their sizes and every
 * module the bundle imports from outside itself (none), for the site test.
 *
 * esbuild (a devDependency of the repository) was chosen over rolldown and
 * vite: one call, no configuration file, the same bundler tsx and vitest
 * already install, mature code splitting for ES modules, and a stable API.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { RendererEvent } from 'typedoc';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The bundle's entry modules: the name of the file written, and its source. */
export const BROWSER_ENTRIES = {
  core: 'core/src/index.ts',
  autodiff: 'autodiff/src/index.ts',
  nn: 'nn/src/index.ts',
  proofs: 'proofs/src/index.ts',
  mnemo: 'mnemo/src/browser.ts',
  playground: 'docs/playground/app.ts',
};

/** Where the bundle goes inside the site. */
export const BROWSER_ASSETS = 'assets/mnemo';

/**
 * Bundles mnemo for the browser into `outdir`, and writes `bundle.json`
 * there: `{ files: { name: bytes }, bytes, imports: { name: [imported file] }, external: [] }`
 * (what each file imports, from esbuild's metafile: the bundle's own files, and
 * any module from outside it under `external`).
 *
 * @param {string} outdir
 * @returns {Promise<{ files: Record<string, number>, bytes: number, imports: Record<string, string[]>, external: string[] }>}
 */
export async function buildBrowserBundle(outdir) {
  mkdirSync(outdir, { recursive: true });
  const source = (/** @type {string} */ path) => join(ROOT, path);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(BROWSER_ENTRIES).map(([name, path]) => [name, source(path)])),
    // The packages' own names resolve to their sources, so the bundle needs no build of dist/.
    alias: {
      '@mnemo/core': source(BROWSER_ENTRIES.core),
      '@mnemo/autodiff': source(BROWSER_ENTRIES.autodiff),
      '@mnemo/nn': source(BROWSER_ENTRIES.nn),
      '@mnemo/proofs': source(BROWSER_ENTRIES.proofs),
    },
    define: { JANET_SOURCE: JSON.stringify(readFileSync(source('docs/playground/janet.js'), 'utf8')) },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // Class and function names stay, so that errors in the page read `ShapeError: ...`.
    keepNames: true,
    charset: 'utf8',
    outdir,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'silent',
  });
  /** @type {Record<string, number>} */
  const files = {};
  /** @type {Record<string, string[]>} */
  const imports = {};
  let bytes = 0;
  const name = (/** @type {string} */ file) => relative(outdir, join(ROOT, file));
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    files[name(file)] = out.bytes;
    imports[name(file)] = out.imports.filter((i) => !i.external).map((i) => name(i.path));
    bytes += out.bytes;
  }
  const external = [
    ...new Set(
      Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)),
    ),
  ];
  const summary = { files, bytes, imports, external };
  writeFileSync(join(outdir, 'bundle.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.on(RendererEvent.BEGIN, () => {
    // typedoc empties this list after every render: register the job for this one.
    app.renderer.postRenderAsyncJobs.push(async (event) => {
      const { bytes, files } = await buildBrowserBundle(join(event.outputDirectory, BROWSER_ASSETS));
      app.logger.info(`mnemo for the browser: ${Object.keys(files).length} files, ${(bytes / 1024).toFixed(0)} KiB, in ${BROWSER_ASSETS}/`);
    });
  });
}
