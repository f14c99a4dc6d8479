/**
 * Node module hooks that load a researcher's cell module (`--cell
 * ./janet.ts`) wherever the file lives:
 *
 * - the module and the files it imports by relative path are ES modules
 *   whatever the folder's package.json says (mnemo's packages are ES
 *   modules, and `/tmp` has no package.json), and TypeScript (`.ts`, `.mts`)
 *   is compiled by esbuild, types removed, one file at a time;
 * - `mnemo` and `@mnemo/*` imported from those files resolve as the command
 *   line's own imports do, so the module gets the very instances the command
 *   runs on (one `Tensor` class, one cell registry), even from a folder
 *   where no mnemo is installed;
 * - every other import resolves as Node resolves it from the file.
 *
 * The files of a cell module are marked by a query (`?mnemo-cell-module`)
 * on their URLs; the hooks touch nothing else. They are written for both of
 * Node's kinds of hooks: in-thread (`module.registerHooks`, Node 22.15 and
 * later), where `next` returns a value, and off-thread (`module.register`,
 * older Node), where this file is loaded on the hooks thread, `initialize`
 * receives the data and `next` returns a promise.
 *
 * @module
 * @internal
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The query that marks the URL of a cell module's own files. */
export const CELL_MODULE_MARK = 'mnemo-cell-module';

/** The URL mnemo's packages are resolved from (a file of the command line). */
let home = '';

/**
 * Set where mnemo's packages are resolved from (Node calls this with
 * `module.register`'s data; the in-thread loader calls it itself).
 *
 * @param data - `home`: the URL of a module of the command line.
 */
export function initialize(data: { readonly home: string }): void {
  home = data.home;
}

/** What a resolve hook receives. */
interface ResolveContext {
  readonly parentURL?: string | undefined;
  readonly conditions?: readonly string[];
  readonly importAttributes?: Readonly<Record<string, string>>;
}

/** What a resolve hook returns. */
interface ResolveResult {
  readonly url: string;
  readonly format?: string | null | undefined;
  readonly shortCircuit?: boolean;
  readonly importAttributes?: Readonly<Record<string, string>>;
}

/** What a load hook receives. */
interface LoadContext {
  readonly format?: string | null | undefined;
  readonly conditions?: readonly string[];
  readonly importAttributes?: Readonly<Record<string, string>>;
}

/** What a load hook returns. */
interface LoadResult {
  readonly format: string | null | undefined;
  readonly source?: string | ArrayBuffer | Uint8Array | null | undefined;
  readonly shortCircuit?: boolean;
}

type Maybe<T> = T | Promise<T>;

/** `f` of a value, or of a promise's value (in-thread hooks get values, off-thread ones promises). */
function then<A, B>(x: Maybe<A>, f: (a: A) => B): Maybe<B> {
  return x instanceof Promise ? x.then(f) : f(x);
}

const MNEMO_PACKAGE = /^(?:mnemo|@mnemo\/[^/]+)(?:\/|$)/;
const MODULE_FILE = /\.m?[jt]s$/;
const TYPESCRIPT = /\.m?ts$/;

function isMarked(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith('file:')) return false;
  return new URL(url).searchParams.has(CELL_MODULE_MARK);
}

/** The URL without its query and fragment. */
function bare(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href;
}

/**
 * The URL of a cell module's file, marked (see {@link CELL_MODULE_MARK}).
 *
 * @param path - an absolute file path.
 * @returns its marked file URL.
 */
export function markedUrl(path: string): string {
  return `${pathToFileURL(path).href}?${CELL_MODULE_MARK}`;
}

/** The file a relative import names: itself, or for `./x.js` the TypeScript `./x.ts` beside it (TypeScript's convention). */
function fileOf(path: string): string | undefined {
  const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();
  if (isFile(path)) return path;
  const ts = path.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts');
  return ts !== path && isFile(ts) ? ts : undefined;
}

/**
 * The resolve hook: mnemo's packages from the command line's own place,
 * relative imports of a cell module's files as marked ES modules, anything
 * else as Node resolves it from the file.
 *
 * @param specifier - what is imported.
 * @param context - who imports it.
 * @param next - the next hook.
 * @returns where it is.
 */
export function resolve(specifier: string, context: ResolveContext, next: (s: string, c: ResolveContext) => Maybe<ResolveResult>): Maybe<ResolveResult> {
  // The module itself, imported by its marked URL: no other hook decides what it is (tsx, say, would read a
  // .ts file outside a "type": "module" package as CommonJS).
  if (isMarked(specifier)) return { url: specifier, format: 'module', shortCircuit: true };
  const parent = context.parentURL;
  if (!isMarked(parent)) return next(specifier, context);
  if (MNEMO_PACKAGE.test(specifier)) return then(next(specifier, { ...context, parentURL: home }), (r) => ({ ...r, shortCircuit: true }));
  const from = { ...context, parentURL: bare(parent!) };
  if (/^(?:\.\.?\/|\/|file:)/.test(specifier)) {
    const file = fileOf(fileURLToPath(bare(new URL(specifier, from.parentURL).href)));
    if (file !== undefined && MODULE_FILE.test(file) && !file.split(/[\\/]/).includes('node_modules')) {
      return { url: markedUrl(file), format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, from);
}

/** esbuild, loaded when the first TypeScript file is. */
let esbuild: { transformSync(code: string, options: object): { code: string } } | undefined;

/** A cell module's TypeScript as JavaScript (an ES module, with an inline source map so that stack traces name the .ts lines). */
function compile(text: string, path: string): string {
  if (esbuild === undefined) {
    try {
      esbuild = createRequire(import.meta.url)('esbuild') as typeof esbuild;
    } catch (e) {
      throw new Error(
        `compiling TypeScript (${path}) needs esbuild, which could not be loaded: ${(e as Error).message.split('\n')[0]} ` +
          'Install @mnemo/models with its dependencies, or write the module in JavaScript (.js, .mjs).',
      );
    }
  }
  try {
    return esbuild!.transformSync(text, { loader: 'ts', format: 'esm', target: 'esnext', sourcefile: path, sourcemap: 'inline' }).code;
  } catch (e) {
    // esbuild's errors, as one SyntaxError that says where: `/tmp/janet.ts:3:14: Expected ";" but found "cell"`.
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    if (errors === undefined || errors.length === 0) {
      // No errors of the file: esbuild itself did not run (its binary for this platform, an optional package, is missing).
      throw new Error(
        `compiling TypeScript (${path}) needs esbuild, which could not run: ${(e as Error).message.split('\n')[0]} ` +
          'Install @mnemo/models with its optional packages (not --omit=optional), or write the module in JavaScript (.js, .mjs).',
      );
    }
    const where = (l: { file: string; line: number; column: number } | null | undefined): string => (l ? `${l.file}:${l.line}:${l.column + 1}: ` : `${path}: `);
    throw new SyntaxError(errors.map((x) => `${where(x.location)}${x.text}`).join('; '));
  }
}

/**
 * The load hook: a cell module's files as ES modules, TypeScript compiled;
 * anything else as Node loads it.
 *
 * @param url - the module's URL.
 * @param context - its format and attributes.
 * @param next - the next hook.
 * @returns its source.
 */
export function load(url: string, context: LoadContext, next: (u: string, c: LoadContext) => Maybe<LoadResult>): Maybe<LoadResult> {
  if (!isMarked(url)) return next(url, context);
  const path = fileURLToPath(bare(url));
  const text = readFileSync(path, 'utf8');
  return { format: 'module', source: TYPESCRIPT.test(extname(path)) ? compile(text, path) : text, shortCircuit: true };
}
