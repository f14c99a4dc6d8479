// @ts-check
/**
 * typedoc configuration of mnemo's API site: `npm run docs` builds it into
 * docs/site. Any warning fails the build, and so does any public export
 * without a doc comment.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configureMarkdown } from './plugins/mnemo-typedoc.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The layers, lowest first; each is one module of the site. */
export const LAYERS = ['core', 'autodiff', 'nn', 'proofs', 'models'];

/**
 * The guides, in reading order (file names under docs/guides). A guide that
 * is not listed here fails the build, so none is left out of the site.
 */
export const GUIDES = [
  'getting-started.md',
  'tensors-and-ops.md',
  'the-tape.md',
  'writing-a-cell.md',
  'compiler.md',
  'gradient-checking.md',
  'lstm-and-gru-families.md',
  'backends.md',
  'reproducibility.md',
  'mnist.md',
  'sequence-patterns.md',
  'performance.md',
  'playground.md',
];

const onDisk = readdirSync(join(here, 'guides')).filter((f) => f.endsWith('.md'));
const unlisted = onDisk.filter((f) => !GUIDES.includes(f));
const missing = GUIDES.filter((f) => !onDisk.includes(f));
if (unlisted.length > 0 || missing.length > 0) {
  throw new Error(
    `docs/typedoc.config.mjs: GUIDES must list exactly the files in docs/guides` +
      (unlisted.length ? `; not listed: ${unlisted.join(', ')}` : '') +
      (missing.length ? `; listed but missing: ${missing.join(', ')}` : ''),
  );
}

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  name: 'mnemo',
  entryPointStrategy: 'resolve',
  // Each layer's entry, then nn's Node-only entry (`@mnemo/nn/node`: parameter files on disk).
  entryPoints: [...LAYERS.map((ws) => `../${ws}/src/index.ts`), '../nn/src/node.ts'],
  // The layers in dependency order rather than alphabetical.
  sortEntryPoints: false,
  tsconfig: './tsconfig.json',
  readme: '../README.md',
  projectDocuments: GUIDES.map((g) => `./guides/${g}`),
  out: './site',
  favicon: './favicon.svg',
  cleanOutputDir: true,
  plugin: ['./plugins/mnemo-typedoc.mjs', './plugins/mnemo-browser.mjs'],
  markdownItLoader: configureMarkdown,

  // Inside each layer, group by @category first (Tensors, Ops, Cells, ...).
  categorizeByGroup: false,
  defaultCategory: 'Other',
  // Kernels, the compiler's program format and other internals come last in
  // each module (and last in the search; see plugins/search.mjs).
  categoryOrder: ['*', 'Internals'],
  navigation: { includeCategories: true, includeGroups: false, includeFolders: false, compactFolders: true, excludeReferences: false },
  // The README's own "# mnemo" is the home page's title; don't add a second one.
  headings: { readme: false, document: false },
  searchInComments: true,
  searchInDocuments: true,
  highlightLanguages: ['typescript', 'javascript', 'json', 'bash', 'sh', 'text'],
  excludeInternal: true,
  excludePrivate: true,
  excludeProtected: true,
  excludeExternals: true,
  // No "Defined in" links: the site has no copy of the sources to link to.
  disableSources: true,
  hideGenerator: true,

  // Fail on anything short of complete.
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
  validation: {
    notExported: true,
    invalidLink: true,
    invalidPath: true,
    rewrittenLink: true,
    notDocumented: true,
    unusedMergeModuleWith: true,
  },
  // Defaults to the root package ("mnemo"), which owns none of the sources.
  packagesRequiringDocumentation: LAYERS.map((ws) => `@mnemo/${ws}`),
  // Every export, and the methods and accessors of exported classes. Members of
  // interfaces and object types are documented where they need words, not
  // required one by one (a field like `shape` says what it is).
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'Method', 'Accessor', 'TypeAlias', 'Namespace'],
};

export default config;
