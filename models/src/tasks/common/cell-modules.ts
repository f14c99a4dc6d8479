/**
 * A researcher's own cell, named by its file wherever a cell is named
 * (`mnemo train adding --cell ./janet.ts`, `mnemo compare --cells
 * lstm,gru,./janet.ts`, `mnemo gradcheck ./janet.ts`): the module is
 * imported, nn finds and checks the cell it exports (`cellFromModule`), and
 * its family is registered, so that from then on it is a cell name like
 * `gru`. A run records the module's absolute path in its `config.json`
 * (`cellModule`), and resuming or scoring the run loads it from there.
 *
 * How a module is imported: {@link importCellModule} installs Node module
 * hooks (see `cell-hooks.ts`) that read the module and the files it imports
 * by relative path as ES modules wherever they live, compile TypeScript
 * with esbuild, and resolve `mnemo` and `@mnemo/*` from the command line's
 * own place, so the module gets the instances the command runs on (one
 * `Tensor` class, one registry) even from a folder where no mnemo is
 * installed.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { createRequire } from 'node:module';
import { extname, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CellCheckError, cellFamily, cellFromModule, parseCellSpec, registerCell, unregisterCell, type CellFamilyInfo } from '@mnemo/nn';
import { initialize, load, markedUrl, resolve } from './cell-hooks.js';

// ---------------------------------------------------------------------------
// Naming a module
// ---------------------------------------------------------------------------

/**
 * The file extensions of a cell module: TypeScript (`.ts`, `.mts`) and
 * JavaScript (`.js`, `.mjs`). Either is read as an ES module.
 *
 * @example
 * ```ts
 * import { CELL_MODULE_EXTENSIONS } from '@mnemo/models';
 * console.assert(CELL_MODULE_EXTENSIONS.join() === '.ts,.mts,.js,.mjs');
 * ```
 * @category Cells
 */
export const CELL_MODULE_EXTENSIONS = Object.freeze(['.ts', '.mts', '.js', '.mjs'] as const);

/**
 * A cell module as the command line names it: `path[#family][+variant...]`,
 * e.g. `./janet.ts`, `./cells.ts#janet` (a module with several families),
 * `./cells.ts#mut+relu`.
 *
 * @example
 * ```ts
 * import type { CellModuleRef } from '@mnemo/models';
 * const r: CellModuleRef = { text: './cells.ts#janet', path: './cells.ts', family: 'janet', variants: [] };
 * console.assert(r.family === 'janet');
 * ```
 * @category Cells
 */
export interface CellModuleRef {
  /** What was written. */
  readonly text: string;
  /** The file, as written (relative to the working directory, or absolute). */
  readonly path: string;
  /** The family after `#`, when one is chosen. */
  readonly family: string | undefined;
  /** The variants after `+`. */
  readonly variants: readonly string[];
}

const MODULE_REF = /^(.*?\.m?[jt]s)(?:#([^+]*))?((?:\+[^+]*)*)$/i;

/**
 * Whether a cell argument names a module file rather than a registered cell
 * (it has a path separator, or ends in a module extension before an optional
 * `#family` and `+variants`), and if so, its parts. Cell names never contain
 * `/` or `.`, so the two cannot be confused.
 *
 * @param text - a cell argument, as typed.
 * @returns the reference, or `undefined` for a cell name.
 *
 * @example
 * ```ts
 * import { parseCellModuleRef } from '@mnemo/models';
 * console.assert(parseCellModuleRef('lstm+cifg') === undefined);
 * const r = parseCellModuleRef('./cells.ts#janet+wide')!;
 * console.assert(r.path === './cells.ts' && r.family === 'janet' && r.variants.join() === 'wide');
 * console.assert(parseCellModuleRef('/home/me/cells/janet')!.path === '/home/me/cells/janet');
 * ```
 * @category Cells
 */
export function parseCellModuleRef(text: string): CellModuleRef | undefined {
  const s = text.trim();
  const m = MODULE_REF.exec(s);
  if (m === null) return /[\\/]/.test(s) ? { text: s, path: s, family: undefined, variants: [] } : undefined;
  const family = m[2] === undefined || m[2] === '' ? undefined : m[2].toLowerCase();
  return { text: s, path: m[1]!, family, variants: (m[3] ?? '').split('+').slice(1).map((v) => v.toLowerCase()) };
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/**
 * What went wrong with a cell module, and the exit code the command line
 * gives it:
 *
 * - 2, the command line is at fault: `not-found` (no such file),
 *   `not-a-module` (a folder, or not a `.ts`, `.mts`, `.js` or `.mjs` file),
 *   `ambiguous` (several families, none chosen with `#family`),
 *   `unknown-family` (`#family` names none of them), `duplicate` (two
 *   modules of one command line define one family);
 * - 3, the module is unusable: `no-cell` (it exports nothing that makes a
 *   cell), `invalid` (its cells fail nn's checks: a member missing, a shape
 *   that does not fit, a step that throws), `load` (a syntax error, an
 *   import that cannot be found, an exception while it loads), `taken` (its
 *   family has the name of a built-in cell or of a family registered
 *   otherwise), `missing` (a run's recorded module is no longer there).
 *
 * @example
 * ```ts
 * import type { CellModuleErrorKind } from '@mnemo/models';
 * const k: CellModuleErrorKind = 'no-cell';
 * console.assert(k === 'no-cell');
 * ```
 * @category Cells
 */
export type CellModuleErrorKind =
  | 'not-found'
  | 'not-a-module'
  | 'ambiguous'
  | 'unknown-family'
  | 'duplicate'
  | 'no-cell'
  | 'invalid'
  | 'load'
  | 'taken'
  | 'missing';

const USAGE_KINDS: readonly CellModuleErrorKind[] = ['not-found', 'not-a-module', 'ambiguous', 'unknown-family', 'duplicate'];

/**
 * A cell module that cannot be used. The message starts with the option and
 * the module as the user named it (`--cell ./janet.ts: ...`) and says what
 * was found: the module's exports, the member at fault and both shapes, the
 * module's own error. `exitCode` is 2 when the command line is at fault and
 * 3 when the module is (see {@link CellModuleErrorKind}).
 *
 * @example
 * ```ts
 * import { CellModuleError, exitCodeOf } from '@mnemo/models';
 * const e = new CellModuleError('not-found', '--cell', './janett.ts', '/work/janett.ts', 'no such file (/work/janett.ts)');
 * console.assert(e.message === '--cell ./janett.ts: no such file (/work/janett.ts)' && e.exitCode === 2 && exitCodeOf(e) === 2);
 * console.assert(new CellModuleError('invalid', '--cell', './j.ts', '/work/j.ts', 'j.step: ...').exitCode === 3);
 * ```
 * @category Cells
 */
export class CellModuleError extends Error {
  /** What went wrong. */
  readonly kind: CellModuleErrorKind;
  /** The option or field that named the module (`--cell`, `--cells`, `cell`, `cellModule`). */
  readonly field: string;
  /** The module as it was named. */
  readonly source: string;
  /** Its absolute path. */
  readonly path: string;
  /** The message after `<field> <source>: `. */
  readonly detail: string;
  /** The exit code of the command line: 2 (the command line is at fault) or 3 (the module is). */
  readonly exitCode: 2 | 3;
  constructor(kind: CellModuleErrorKind, field: string, source: string, path: string, detail: string, exitCode: 2 | 3 = USAGE_KINDS.includes(kind) ? 2 : 3) {
    super(`${field} ${source}: ${detail}`);
    this.name = 'CellModuleError';
    this.kind = kind;
    this.field = field;
    this.source = source;
    this.path = path;
    this.detail = detail;
    this.exitCode = exitCode;
  }
}

// ---------------------------------------------------------------------------
// Importing
// ---------------------------------------------------------------------------

/**
 * How a module is imported: from its file URL to its namespace object.
 * {@link importCellModule} is the default; a program that runs mnemo's code
 * through a bundler or a test runner passes that runner's own `import`, so
 * that the module shares its instances of mnemo.
 *
 * @example
 * ```ts
 * import type { ImportModule } from '@mnemo/models';
 * const viaRunner: ImportModule = (url) => import(url);
 * console.assert(typeof viaRunner === 'function');
 * ```
 * @category Cells
 */
export type ImportModule = (url: string) => Promise<unknown>;

let hooked = false;

/** Install the cell-module hooks, once per process (see cell-hooks.ts). */
function installHooks(): void {
  if (hooked) return;
  hooked = true;
  // Stack traces of TypeScript modules name their .ts lines (esbuild writes inline source maps).
  process.setSourceMapsEnabled(true);
  const home = import.meta.url;
  const registerHooks = (nodeModule as { registerHooks?: (hooks: { resolve: typeof resolve; load: typeof load }) => unknown }).registerHooks;
  if (typeof registerHooks === 'function') {
    // In-thread hooks (Node 22.15 and later): they run before any registered with module.register, tsx's included.
    initialize({ home });
    registerHooks({ resolve, load });
  } else {
    nodeModule.register(new URL('./cell-hooks.js', import.meta.url), { data: { home } });
  }
}

/**
 * Import a cell module the way the command line does: the file and the
 * files it imports by relative path are ES modules whatever their folder's
 * package.json says; TypeScript is compiled by esbuild (types removed, one
 * file at a time, no type check); `mnemo` and `@mnemo/*` resolve to the
 * packages this `@mnemo/models` uses. Importing the same file again gives
 * the same namespace.
 *
 * @param url - the module's file URL.
 * @returns its namespace object.
 * @throws what the module's loading throws: a `SyntaxError` (for TypeScript, with the file, line and
 *   column), Node's `ERR_MODULE_NOT_FOUND` for an import that cannot be found, the module's own error.
 *
 * @example
 * ```ts
 * import { importCellModule } from '@mnemo/models';
 * import { mkdtempSync, writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { fileURLToPath, pathToFileURL } from 'node:url';
 * const file = join(mkdtempSync(join(tmpdir(), 'cells-')), 'sizes.ts');
 * writeFileSync(file, 'export const sizes: readonly number[] = [2, 3];\n');
 * const ns = (await importCellModule(pathToFileURL(file).href)) as { sizes: number[] };
 * console.assert(ns.sizes.join() === '2,3');
 * ```
 * @category Cells
 */
export async function importCellModule(url: string): Promise<unknown> {
  installHooks();
  const u = new URL(url);
  if (u.protocol !== 'file:') throw new TypeError(`importCellModule: expected a file URL, got ${url}`);
  return import(markedUrl(fileURLToPath(u)));
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/**
 * Options of {@link loadCellModule}.
 *
 * @example
 * ```ts
 * import type { LoadCellModuleOptions } from '@mnemo/models';
 * const o: LoadCellModuleOptions = { field: '--cells', cwd: '/home/me/cells' };
 * console.assert(o.field === '--cells');
 * ```
 * @category Cells
 */
export interface LoadCellModuleOptions {
  /** The option or field that names the module, for messages (default `--cell`). */
  readonly field?: string;
  /** The folder a relative path is relative to (default: the working directory). */
  readonly cwd?: string;
  /** The family to take when the module exports several (default: the reference's `#family`). */
  readonly family?: string;
  /** How to import it (default {@link importCellModule}). */
  readonly importModule?: ImportModule;
  /** The run directory whose `config.json` recorded the module: a missing file is then `missing` (exit 3), and every problem is the module's. */
  readonly recordedIn?: string;
}

/**
 * A loaded cell module: its family (registered) and where it is.
 *
 * @example
 * ```ts
 * import type { LoadedCellModule } from '@mnemo/models';
 * const describe = (m: LoadedCellModule): string => `${m.family} from ${m.path}`;
 * console.assert(typeof describe === 'function');
 * ```
 * @category Cells
 */
export interface LoadedCellModule {
  /** The family's name: a cell name from now on. */
  readonly family: string;
  /** The module's absolute path. */
  readonly path: string;
  /** The registration. */
  readonly registration: CellFamilyInfo;
}

/** The family each module loaded here registered, by family name: its absolute path. */
const LOADED = new Map<string, string>();

/** The first line of an error, as `Name: message`. */
function described(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const name = e.name === 'Error' || e.message.startsWith(e.name) ? '' : `${e.name}: `;
  return `${name}${e.message}`;
}

/** Where in the user's files an error was thrown: the first frame of its stack outside Node and mnemo, as `file:line:column`. */
function thrownAt(e: Error): string | undefined {
  for (const line of (e.stack ?? '').split('\n').slice(1)) {
    const m = /(?:\(|at )((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (m !== null && !/[\\/]node_modules[\\/]|[\\/](?:core|autodiff|nn|proofs|models)[\\/](?:dist|src)[\\/]/.test(m[1]!)) {
      return `${m[1]!.replace(/^file:\/\//, '').replace(/\?.*$/, '')}:${m[2]}:${m[3]}`;
    }
  }
  return undefined;
}

/** Where esbuild finds a syntax error in a JavaScript file, when it can say (Node's own SyntaxError of a module does not). */
function syntaxErrorAt(path: string): string | undefined {
  try {
    const esbuild = createRequire(import.meta.url)('esbuild') as { transformSync(code: string, options: object): unknown };
    esbuild.transformSync(readFileSync(path, 'utf8'), { loader: 'js', format: 'esm', sourcefile: path });
  } catch (e) {
    const l = (e as { errors?: { location?: { file: string; line: number; column: number } | null }[] }).errors?.[0]?.location;
    if (l) return `${l.file}:${l.line}:${l.column + 1}`;
  }
  return undefined;
}

/** Text without terminal escape codes. */
// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

/** What a failed import means, in words. */
function loadFailure(e: unknown, path: string): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec((e as Error).message)?.[1];
    const hint = missing !== undefined && /^(?:mnemo|@mnemo\/)/.test(missing) ? ` (install it beside @mnemo/models: npm install ${missing.replace(/^(@mnemo\/[^/]+|mnemo).*$/, '$1')})` : '';
    return `an import of the module cannot be found: ${(e as Error).message.split('\n')[0]}${hint}`;
  }
  if (e instanceof SyntaxError) {
    // TypeScript's come from esbuild with the place; for JavaScript, ask esbuild where.
    const at = /:\d+:\d+: /.test(e.message) || !/\.m?js$/.test(path) ? undefined : syntaxErrorAt(path);
    return `a syntax error: ${at === undefined ? '' : `${at}: `}${e.message}`;
  }
  if (e instanceof Error && e.message.startsWith('Transform failed')) {
    // A bundler's transform (vite's, esbuild's own), when the module was imported through one.
    return `a syntax error: ${stripAnsi(e.message).replace(/^Transform failed with \d+ errors?:\s*/, '').replace(/\s*\n\s*/g, ' ')}`;
  }
  // The hooks' own failure to compile TypeScript (esbuild missing) is not the module's doing.
  if (e instanceof Error && e.message.startsWith('compiling TypeScript')) return e.message;
  const at = e instanceof Error ? thrownAt(e) : undefined;
  return `the module threw while loading: ${described(e)}${at === undefined ? '' : ` (at ${at})`}`;
}

/**
 * Load a cell module: check the file, import it, find and check its cell
 * with nn's `cellFromModule` (a family definition, a default export that
 * makes cells, or a `defineCell` maker; tried at two sizes in both dtypes),
 * and register its family (see `registerCell`). Loading the same module
 * again returns its registration. A module whose family name is taken by a
 * built-in cell, or by another module, is refused.
 *
 * @param ref - the module as named on the command line (`./janet.ts`, `./cells.ts#janet`), or parsed.
 * @param options - the option that named it, the folder it is relative to, the family, how to import it.
 * @returns the family and the module's absolute path.
 * @throws CellModuleError - naming the option and the module, with exit code 2 or 3 by kind (see {@link CellModuleErrorKind}).
 *
 * @example
 * ```ts
 * import { loadCellModule, CellModuleError } from '@mnemo/models';
 * import { mkdtempSync, writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'cells-'));
 * writeFileSync(join(dir, 'helpers.mjs'), 'export const trainOnAdding = () => 0;\n');
 * let e: CellModuleError | undefined;
 * try { await loadCellModule('./helpers.mjs', { cwd: dir }); } catch (err) { e = err as CellModuleError; }
 * console.assert(e?.kind === 'no-cell' && e.exitCode === 3 && e.message.includes('its exports are trainOnAdding'));
 * try { await loadCellModule('./janett.ts', { cwd: dir }); } catch (err) { e = err as CellModuleError; }
 * console.assert(e?.kind === 'not-found' && e.message.startsWith('--cell ./janett.ts: no such file'));
 * ```
 * @category Cells
 */
export async function loadCellModule(ref: string | CellModuleRef, options: LoadCellModuleOptions = {}): Promise<LoadedCellModule> {
  const r = typeof ref === 'string' ? (parseCellModuleRef(ref) ?? { text: ref, path: ref, family: undefined, variants: [] }) : ref;
  const field = options.field ?? '--cell';
  const recorded = options.recordedIn;
  const path = resolvePath(options.cwd ?? process.cwd(), r.path);
  // A module a run recorded is the run's input: whatever is wrong with it, the command line is not at fault.
  const fail = (kind: CellModuleErrorKind, detail: string): CellModuleError =>
    recorded === undefined ? new CellModuleError(kind, field, r.text, path, detail) : new CellModuleError(kind === 'not-found' ? 'missing' : kind, field, r.text, path, detail, 3);

  if (!existsSync(path)) {
    throw fail(
      'not-found',
      recorded === undefined
        ? `no such file (${path})`
        : `the run in ${recorded} trains a cell from this module, which is no longer there (moved or deleted?): put it back, or write its new absolute path as cellModule in ${resolvePath(recorded, 'config.json')}`,
    );
  }
  if (statSync(path).isDirectory()) throw fail('not-a-module', `is a folder; name the module file (${CELL_MODULE_EXTENSIONS.join(', ')})`);
  if (!(CELL_MODULE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase())) {
    throw fail('not-a-module', `a cell module is a ${CELL_MODULE_EXTENSIONS.join(', ')} file (an ES module), got '${extname(path) || 'no extension'}'`);
  }

  let ns: unknown;
  try {
    ns = await (options.importModule ?? importCellModule)(pathToFileURL(path).href);
  } catch (e) {
    throw fail('load', loadFailure(e, path));
  }

  const family = options.family ?? r.family;
  let def;
  try {
    def = cellFromModule(ns, { source: r.text, ...(family === undefined ? {} : { family }) });
  } catch (e) {
    if (!(e instanceof CellCheckError)) throw e;
    if (e.kind === 'ambiguous') throw fail('ambiguous', `${e.detail}: ${r.path}#<family>, e.g. ${r.path}#${/\(([^,)]+)/.exec(e.detail)?.[1] ?? 'name'}`);
    if (e.kind === 'no-cell' && e.arg === 'family') throw fail('unknown-family', e.detail);
    if (e.kind === 'no-cell') throw fail('no-cell', e.detail);
    throw fail('invalid', `${e.arg}: ${e.detail}`);
  }

  const existing = cellFamily(def.family);
  let registration: CellFamilyInfo;
  if (existing === undefined) registration = registerCell(def);
  else if (existing.definition === def) registration = existing;
  else if (existing.builtin) throw fail('taken', `its family is named '${def.family}', like mnemo's built-in cell; give the family another name`);
  else if (LOADED.get(def.family) === path) {
    // The same file, imported anew (another importer): its new definition replaces the old one.
    unregisterCell(def.family);
    registration = registerCell(def);
  } else if (LOADED.has(def.family)) {
    throw fail('duplicate', `its family '${def.family}' is also the family of ${LOADED.get(def.family)!}; give one of them another name`);
  } else {
    throw fail('taken', `its family is named '${def.family}', and a family of that name is already registered (not from a module file); give the family another name`);
  }
  LOADED.set(def.family, path);
  return { family: def.family, path, registration };
}

// ---------------------------------------------------------------------------
// Cell arguments
// ---------------------------------------------------------------------------

/**
 * Cells as the command line takes them, resolved: each one's canonical name
 * (a module's cell by its family name, with its variants), and the module
 * of each family that came from one.
 *
 * @example
 * ```ts
 * import type { ResolvedCells } from '@mnemo/models';
 * const r: ResolvedCells = { cells: ['lstm', 'janet'], modules: { janet: '/home/me/janet.ts' } };
 * console.assert(r.modules['janet'] !== undefined);
 * ```
 * @category Cells
 */
export interface ResolvedCells {
  /** Canonical cell names, in order (`lstm+cifg`, `janet`). */
  readonly cells: readonly string[];
  /** For each family loaded from a module: the module's absolute path. */
  readonly modules: Readonly<Record<string, string>>;
}

/**
 * Resolve cell arguments as typed (`lstm`, `gru+reset-after`,
 * `./janet.ts`, `./cells.ts#janet+wide`): names are checked against the
 * registry, modules are loaded with {@link loadCellModule} (and their
 * families registered). `variants`, when given, are added to every cell
 * (`--variant`).
 *
 * @param texts - the cell arguments.
 * @param options - as {@link loadCellModule}; `variants`: comma-separated variants for every cell.
 * @returns the canonical names and the modules.
 * @throws CellModuleError - for a module that cannot be used (see {@link loadCellModule}).
 * @throws ArgumentError - for an unknown cell name or variant (nn's message, which lists what is known).
 *
 * @example
 * ```ts
 * import { resolveCellNames } from '@mnemo/models';
 * const r = await resolveCellNames(['LSTM', 'gru'], { variants: undefined });
 * console.assert(r.cells.join() === 'lstm,gru' && Object.keys(r.modules).length === 0);
 * const v = await resolveCellNames(['lstm'], { variants: 'cifg' });
 * console.assert(v.cells[0] === 'lstm+cifg');
 * ```
 * @category Cells
 */
export async function resolveCellNames(
  texts: readonly string[],
  options: LoadCellModuleOptions & { readonly variants?: string | undefined } = {},
): Promise<ResolvedCells> {
  const { variants, ...load } = options;
  const cells: string[] = [];
  const modules: Record<string, string> = {};
  for (const text of texts) {
    const ref = parseCellModuleRef(text);
    let name = text;
    if (ref !== undefined) {
      const m = await loadCellModule(ref, load);
      if (modules[m.family] !== undefined && modules[m.family] !== m.path) {
        throw new CellModuleError('duplicate', load.field ?? '--cell', ref.text, m.path, `its family '${m.family}' is also the family of ${modules[m.family]!}; give one of them another name`);
      }
      modules[m.family] = m.path;
      name = [m.family, ...ref.variants].join('+');
    }
    const s = parseCellSpec(variants === undefined ? name : `${name} --variant ${variants}`);
    cells.push([s.family, ...s.variants].join('+'));
  }
  return { cells, modules };
}
