// @ts-check
/**
 * The typedoc plugin of mnemo's documentation site. It does three things:
 *
 * 1. Names each entry-point module after its npm package (`@mnemo/core`, ...)
 *    rather than after its path (`core/src`).
 * 2. Renders TeX math at build time with KaTeX (`$...$` inline, `$$...$$` on
 *    lines of their own), in guides and doc comments alike, and fails the build
 *    on a TeX error instead of shipping red error text.
 * 3. Files a re-export (`export type { Tree } from './tree.js'` beside
 *    `export * as tree`) under its target's `@category`: typedoc leaves such
 *    references in the default category ("Other").
 * 4. Checks that every type a public signature names is itself documented.
 *    typedoc's own `validation.notExported` skips types from any package but
 *    the root one ("mnemo"), which owns no sources, so it would never fire.
 * 5. Copies KaTeX's stylesheet and fonts into the site and links them from
 *    every page, so that math renders offline: the site loads nothing from the
 *    network.
 * 6. Links the guides and the API pages both ways, and the error class of each
 *    `@throws` tag to its page (guide-links.mjs).
 * 7. Replaces typedoc's search with one that ranks names and guides for users
 *    and shows summaries (search.mjs, search-ui.js).
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import {
  Application,
  Comment,
  Converter,
  DeclarationReflection,
  JSX,
  makeRecursiveVisitor,
  ParameterReflection,
  ReferenceReflection,
  ReflectionKind,
  RendererEvent,
  SignatureReflection,
  TypeParameterReflection,
} from 'typedoc';
import { katex as katexPlugin } from '@mdit/plugin-katex';
import { linkGuides } from './guide-links.mjs';
import { writeSearch } from './search.mjs';

const require = createRequire(import.meta.url);
const KATEX_DIST = join(dirname(require.resolve('katex/package.json')), 'dist');
const KATEX_ASSETS = 'assets/katex';
const HERE = dirname(new URL(import.meta.url).pathname);

/**
 * Configures the markdown-it parser typedoc renders with (through the
 * `markdownItLoader` option): KaTeX (see {@link loadKatex}), and links only
 * where a text says `https://...` or `www.`: without this, a file name such
 * as `compare.md` in a comment became a link to `http://compare.md/` (`.md`
 * is a country's domain).
 *
 * @param {any} parser the markdown-it instance typedoc renders with
 */
export function configureMarkdown(parser) {
  parser.linkify.set({ fuzzyLink: false });
  loadKatex(parser);
}

/**
 * Adds KaTeX to a markdown-it parser. Any TeX that KaTeX cannot parse, or that breaks
 * KaTeX's strict mode, throws, which stops the build with the offending TeX.
 *
 * @param {any} parser the markdown-it instance typedoc renders with
 */
export function loadKatex(parser) {
  parser.use(katexPlugin, {
    throwOnError: true,
    // Strict-mode complaints (unicode in math mode, ...) are errors, not warnings.
    logger: () => 'error',
    /** @param {string} html @param {boolean} display */
    transformer: (html, display) => {
      if (html.includes('katex-error')) {
        const title = /title='([^']*)'/.exec(html)?.[1] ?? html;
        throw new Error(`KaTeX could not render ${display ? 'display' : 'inline'} math: ${title.replace(/&#39;/g, "'")}`);
      }
      return html;
    },
  });
}

/**
 * The package name for a workspace entry point, read from the package.json
 * beside its `src` folder.
 *
 * @param {string} file absolute path of the entry point
 * @returns {string | undefined}
 */
function packageNameOf(file) {
  let dir = dirname(file);
  for (let i = 0; i < 4; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const { name, exports = {} } = JSON.parse(readFileSync(pkg, 'utf8'));
      // Another entry of the package (`nn/src/node.ts`): the subpath whose types are its declarations.
      const declarations = `./${relative(dir, file).replace(/^src\//, 'dist/').replace(/\.ts$/, '.d.ts')}`;
      const sub = Object.keys(exports).find((k) => k !== '.' && exports[k]?.types === declarations);
      return sub ? `${name}/${sub.slice(2)}` : name;
    }
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * Warns (an error under treatValidationWarningsAsErrors) for each type from an
 * `@mnemo/*` package that the site references but does not document, as
 * typedoc's notExported check does for the root package only.
 *
 * @param {import('typedoc').Application} app
 * @param {import('typedoc').ProjectReflection} project
 */
function validateMnemoExports(app, project) {
  const warned = new Set();
  /** @type {import('typedoc').Reflection} */
  let owner = project;
  const visitor = makeRecursiveVisitor({
    reference(type) {
      if (type.reflection || type.externalUrl || type.isIntentionallyBroken()) return;
      if (!type.package?.startsWith('@mnemo/') || !type.symbolId) return;
      const key = type.symbolId.getStableKey();
      if (warned.has(key)) return;
      warned.add(key);
      app.logger.validationWarning(
        `${type.qualifiedName}, defined in ${type.package}/${type.symbolId.packagePath}, is referenced by ` +
          `${owner.getFriendlyFullName()} but is not exported from its package's src/index.ts`,
      );
    },
  });
  for (const refl of Object.values(project.reflections)) {
    owner = refl;
    if (refl instanceof DeclarationReflection) {
      refl.type?.visit(visitor);
      refl.implementedTypes?.forEach((t) => t.visit(visitor));
      refl.extendedTypes?.forEach((t) => t.visit(visitor));
    } else if (refl instanceof SignatureReflection || refl instanceof ParameterReflection) {
      refl.type?.visit(visitor);
    } else if (refl instanceof TypeParameterReflection) {
      refl.type?.visit(visitor);
      refl.default?.visit(visitor);
    }
  }
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    if (app.options.getValue('validation').notExported) validateMnemoExports(app, project);
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    // Before typedoc's CategoryPlugin (RESOLVE_END) reads and strips @category tags.
    for (const refl of Object.values(context.project.reflections)) {
      if (!(refl instanceof ReferenceReflection) || refl.comment) continue;
      const categories = refl.getTargetReflectionDeep().comment?.blockTags.filter((t) => t.tag === '@category') ?? [];
      if (categories.length > 0) refl.comment = new Comment([], categories.map((t) => t.clone()));
    }
    for (const mod of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const file = context.getSymbolFromReflection(mod)?.declarations?.[0]?.getSourceFile().fileName;
      const name = file ? packageNameOf(file) : undefined;
      if (name) mod.name = name;
    }
  });

  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => linkGuides(app, context.project));

  app.renderer.hooks.on('head.end', (context) => (
    JSX.createElement(JSX.Fragment, null,
      JSX.createElement('link', { rel: 'stylesheet', href: context.relativeURL(`${KATEX_ASSETS}/katex.min.css`) }),
      JSX.createElement('link', { rel: 'stylesheet', href: context.relativeURL('assets/mnemo.css') }),
      JSX.createElement('script', { defer: true, src: context.relativeURL('assets/mnemo-search.js') }))
  ));

  app.renderer.on(RendererEvent.END, (event) => {
    const out = join(event.outputDirectory, KATEX_ASSETS);
    cpSync(join(KATEX_DIST, 'katex.min.css'), join(out, 'katex.min.css'));
    cpSync(join(KATEX_DIST, 'fonts'), join(out, 'fonts'), { recursive: true });
    cpSync(join(HERE, 'mnemo.css'), join(event.outputDirectory, 'assets', 'mnemo.css'));
    writeSearch(app, event);
  });
}
