/**
 * Cells on the command line: a registered name (`lstm+cifg`) or a module
 * file (`./janet.ts`), wherever a command takes a cell (`train --cell`,
 * `compare --cells`, `gradcheck <cell>`); the help that says how to name
 * your own; and turning the arguments into canonical names, loading the
 * modules, with every error naming the option.
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';
import { cellHelp } from '@mnemo/nn';
import { loadRunCellModule } from '../tasks/registry.js';
import { parseCellModuleRef, resolveCellNames, type ResolvedCells } from '../tasks/common/cell-modules.js';
import { UsageError, type CliIo } from './io.js';

/**
 * What `--help` of train, compare and gradcheck says about cells: how to
 * name your own cell's module and what it must export, then every
 * registered family with its variants (read when the help is printed).
 *
 * @returns the text.
 * @example
 * ```ts
 * import { cellsHelp } from '@mnemo/models';
 * const t = cellsHelp();
 * console.assert(t.includes('--cell ./janet.ts') && t.includes('defineCell') && t.includes('lstm+cifg'));
 * ```
 * @category Command line
 */
export function cellsHelp(): string {
  return [
    'Your own cell: name its module file where a cell goes (train --cell ./janet.ts; compare --cells lstm,gru,./janet.ts; gradcheck ./janet.ts).',
    '  The module is a .ts, .mts, .js or .mjs file, read as an ES module wherever it is (TypeScript is compiled by esbuild, without a type check).',
    '  It exports one of: a cell family definition { family, make, help, variants?, options? } (or what registerCell returned);',
    '  a default export that makes a cell from { inputSize, hiddenSize, dtype }; or a cell maker made with defineCell.',
    "  Its imports of mnemo and @mnemo/* get this command's own packages, so it needs no mnemo installed beside it.",
    "  The cell is checked before anything runs (its members, sizes, dtype, init, state, step's shapes, probes); its family's name is",
    '  then a cell name. Several families in one module: ./cells.ts#janet; variants: ./cells.ts#janet+wide or --variant.',
    "  A run records the module's absolute path in config.json; --resume and eval load it from there.",
    '  The guide "Writing a new cell" writes one (docs/guides/examples/janet.ts in the repository).',
    '',
    cellHelp(),
  ].join('\n');
}

/** nn's refusal of a cell name or variant, as a usage error naming the option. */
function asUsage(e: unknown, field: string, variants: string | undefined): never {
  if (e instanceof ArgumentError) {
    const flag = variants !== undefined && e.arg === 'variant' ? '--variant' : field;
    throw new UsageError(`${flag === '--variant' ? `--variant ${variants}` : field}: ${e.message}`, flag);
  }
  throw e;
}

/**
 * Cell arguments as typed, resolved: names checked (with `--variant`), modules loaded and registered.
 * @internal
 */
export async function resolveCliCells(io: CliIo, texts: readonly string[], field: string, variants?: string): Promise<ResolvedCells> {
  try {
    return await resolveCellNames(texts, { field, variants, ...(io.importModule === undefined ? {} : { importModule: io.importModule }) });
  } catch (e) {
    return asUsage(e, field, variants);
  }
}

/**
 * One cell argument resolved, when it names a module (`undefined` for a name, which the option's decoder already checked).
 * @internal
 */
export async function resolveCliModuleCell(io: CliIo, text: string | undefined, field: string, variants?: string): Promise<{ readonly cell: string; readonly cellModule: string } | undefined> {
  if (text === undefined || parseCellModuleRef(text) === undefined) return undefined;
  const r = await resolveCliCells(io, [text], field, variants);
  return { cell: r.cells[0]!, cellModule: Object.values(r.modules)[0]! };
}

/**
 * Load the cell module a run directory's config.json records, if any, so that the run can be opened.
 * @internal
 */
export async function loadRecordedCell(io: CliIo, runDir: string): Promise<void> {
  await loadRunCellModule(runDir, io.importModule === undefined ? {} : { importModule: io.importModule });
}
