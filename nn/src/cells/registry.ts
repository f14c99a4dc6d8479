/**
 * Cells by name: a registry of cell families that `parseCellSpec`,
 * `makeCell`, `cellHelp`, the command line and the proof suites all read.
 * Adding a family, built-in or a researcher's, is one {@link registerCell}
 * call.
 *
 * @module
 */
import { ArgumentError, formatValue, type DType } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import type { Cell } from '../cell.js';
import { checkPositiveInt, isGatedCell, type GatedCell } from './common.js';
import { gatedCell } from './gated.js';

// ---------------------------------------------------------------------------
// Families
// ---------------------------------------------------------------------------

/**
 * Sizes and options for {@link makeCell}: the sizes, the dtype, and the
 * options of the family asked for (`projSize`, `layerNorm` and `forgetBias`
 * for the LSTM, `inputProjection` for MUT1 and MUT2, whatever a registered
 * family declares). An option the family does not declare is rejected,
 * naming the cell.
 *
 * @example
 * ```ts
 * import { makeCell, type MakeCellOptions } from '@mnemo/nn';
 * const o: MakeCellOptions = { inputSize: 28, hiddenSize: 128, forgetBias: 1 };
 * console.assert(makeCell('lstm', o).hiddenSize === 128);
 * ```
 * @category Cells
 */
export interface MakeCellOptions {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype?: DType;
  /** LSTM only: projection size (0: none). */
  readonly projSize?: number;
  /** LSTM only: layer normalization. */
  readonly layerNorm?: boolean;
  /** LSTM only: initial forget-gate bias (default 1). */
  readonly forgetBias?: number;
  /** MUT1 and MUT2 only: see {@link MutOptions}. */
  readonly inputProjection?: boolean | 'auto';
  /** Options of registered families (see {@link CellFamilyDefinition.options}). */
  readonly [option: string]: unknown;
}

/**
 * What a family's `make` receives: the sizes, the dtype when given, the
 * family's own options that were given, and the variants asked for (checked
 * against the family's list).
 *
 * @example
 * ```ts
 * import type { FamilyMakeOptions } from '@mnemo/nn';
 * const o: FamilyMakeOptions = { inputSize: 2, hiddenSize: 3, variants: ['relu'] };
 * console.assert(o.variants[0] === 'relu');
 * ```
 * @category Cells
 */
export interface FamilyMakeOptions extends MakeCellOptions {
  /** The variants asked for, checked against the family's list. */
  readonly variants: readonly string[];
}

/**
 * A cell family as given to {@link registerCell}: its name, how to make a cell
 * from options and variants, its help text, variants, options and examples.
 *
 * - `family`: its name, lower case (`[a-z][a-z0-9_-]*`), as written on the
 *   command line;
 * - `make(options)`: the cell for sizes, options and variants (a
 *   {@link CellMaker} from `defineCell` fits when the family has no variants);
 * - `help`: what `cellHelp()` and `--help` print for it, one or more lines
 *   that start with the names they explain;
 * - `variants`: the variant names it accepts (default none), and
 *   `checkVariants`: a check of a combination (default: each name once, at
 *   most one);
 * - `options`: the names of the options beyond sizes and dtype that `make`
 *   reads (others are rejected);
 * - `examples`: configurations worth proving besides the family alone and
 *   each variant alone (combinations, options); the proof suites check them.
 *
 * @example
 * ```ts
 * import { mguCell, type CellFamilyDefinition } from '@mnemo/nn';
 * const d: CellFamilyDefinition = { family: 'mymgu', make: mguCell, help: 'mymgu  the MGU under another name' };
 * console.assert(d.variants === undefined);
 * ```
 * @category Cells
 */
export interface CellFamilyDefinition {
  /** The family's name, lower case. */
  readonly family: string;
  /** The cell for these sizes, options and variants. */
  make(options: FamilyMakeOptions): Cell;
  /** Its lines in `cellHelp()`. */
  readonly help: string;
  /** The variant names it accepts (default none). */
  readonly variants?: readonly string[];
  /** Throws when a combination of variants makes no sense (default: each once, at most one). */
  checkVariants?(variants: readonly string[]): void;
  /** The options beyond sizes and dtype that `make` reads. */
  readonly options?: readonly string[];
  /** Configurations the proof suites check besides the family and each variant alone. */
  readonly examples?: readonly CellExample[];
}

/**
 * A configuration of a family worth proving: variants and options.
 *
 * @example
 * ```ts
 * import type { CellExample } from '@mnemo/nn';
 * const e: CellExample = { variants: ['cifg', 'np'] };
 * const p: CellExample = { options: { projSize: 2 }, label: 'projection' };
 * console.assert(e.variants!.length === 2 && p.label === 'projection');
 * ```
 * @category Cells
 */
export interface CellExample {
  /** The variants (default none). */
  readonly variants?: readonly string[];
  /** The options (default none). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** A short description for test names (default: the options written out). */
  readonly label?: string;
}

/**
 * A registered family: its definition with the defaults filled in.
 *
 * @example
 * ```ts
 * import { cellFamily } from '@mnemo/nn';
 * const lstm = cellFamily('lstm')!;
 * console.assert(lstm.builtin && lstm.variants.includes('cifg') && lstm.options.includes('projSize'));
 * ```
 * @category Cells
 */
export interface CellFamilyInfo {
  /** The family's name. */
  readonly family: string;
  /** Its lines in `cellHelp()`. */
  readonly help: string;
  /** The variant names it accepts. */
  readonly variants: readonly string[];
  /** The options beyond sizes and dtype that it reads. */
  readonly options: readonly string[];
  /** Configurations the proof suites check besides the family and each variant alone. */
  readonly examples: readonly CellExample[];
  /** Whether nn registered it (built-in families cannot be unregistered). */
  readonly builtin: boolean;
  /** The definition's `make`. */
  make(options: FamilyMakeOptions): Cell;
  /** The definition's check of a combination of variants, or the default one. */
  checkVariants(variants: readonly string[]): void;
  /** The definition it was registered with. */
  readonly definition: CellFamilyDefinition;
}

const FAMILIES = new Map<string, CellFamilyInfo>();
const NAME = /^[a-z][a-z0-9_-]*$/;
const VARIANT = /^[a-z0-9][a-z0-9_-]*$/;
const BASE_OPTIONS: readonly string[] = ['inputSize', 'hiddenSize', 'dtype', 'variants'];

function oneAtMost(family: string): (variants: readonly string[]) => void {
  return (variants) => {
    const seen = new Set<string>();
    for (const v of variants) {
      if (seen.has(v)) throw new ArgumentError(family, 'variant', `variant '${v}' is given twice`);
      seen.add(v);
    }
    if (variants.length > 1) throw new ArgumentError(family, 'variant', `${family} takes one variant at most, got ${variants.join(' and ')}`);
  };
}

function register(def: CellFamilyDefinition, builtin: boolean): CellFamilyInfo {
  const op = 'registerCell';
  if (def === null || typeof def !== 'object') throw new ArgumentError(op, 'definition', `expected { family, make, help, variants?, options? }, got ${formatValue(def)}`);
  const { family } = def;
  if (typeof family !== 'string' || !NAME.test(family)) {
    throw new ArgumentError(op, 'family', `expected a lower-case name such as 'janet' (letters, digits, '-' and '_', starting with a letter), got ${formatValue(family)}`);
  }
  const existing = FAMILIES.get(family);
  if (existing !== undefined) {
    if (existing.definition === def) return existing;
    throw new ArgumentError(op, 'family', `a cell family '${family}' is already registered${existing.builtin ? ' (built in)' : ''}; choose another name${existing.builtin ? '' : ' or unregisterCell it first'}`);
  }
  if (typeof def.make !== 'function') throw new ArgumentError(op, 'make', `${family}: expected a function from options to a cell, got ${formatValue(def.make)}`);
  if (typeof def.help !== 'string' || def.help.trim() === '') throw new ArgumentError(op, 'help', `${family}: expected the text --help prints for it, got ${formatValue(def.help)}`);
  const variants = def.variants ?? [];
  if (!Array.isArray(variants) || variants.some((v) => typeof v !== 'string' || !VARIANT.test(v))) {
    throw new ArgumentError(op, 'variants', `${family}: expected lower-case variant names (no '+', ',' or spaces), got ${formatValue(def.variants)}`);
  }
  if (new Set(variants).size !== variants.length) throw new ArgumentError(op, 'variants', `${family}: names a variant twice: ${variants.join(', ')}`);
  const options = def.options ?? [];
  if (!Array.isArray(options) || options.some((n) => typeof n !== 'string' || n === '' || BASE_OPTIONS.includes(n))) {
    throw new ArgumentError(op, 'options', `${family}: expected the names of options beyond ${BASE_OPTIONS.join(', ')}, got ${formatValue(def.options)}`);
  }
  if (def.checkVariants !== undefined && typeof def.checkVariants !== 'function') throw new ArgumentError(op, 'checkVariants', `${family}: expected a function, got ${formatValue(def.checkVariants)}`);
  const examples = def.examples ?? [];
  if (!Array.isArray(examples)) throw new ArgumentError(op, 'examples', `${family}: expected an array of { variants?, options?, label? }, got ${formatValue(examples)}`);
  (examples as readonly unknown[]).forEach((e, i) => {
    const x = e as Partial<Record<'variants' | 'options' | 'label', unknown>> | null;
    const fault =
      x === null || typeof x !== 'object' || Array.isArray(x)
        ? 'expected { variants?, options?, label? }'
        : x.variants !== undefined && (!Array.isArray(x.variants) || x.variants.some((v) => typeof v !== 'string'))
          ? 'expected its variants to be an array of variant names'
          : x.options !== undefined && (x.options === null || typeof x.options !== 'object' || Array.isArray(x.options))
            ? 'expected its options to be a record of option values'
            : x.label !== undefined && typeof x.label !== 'string'
              ? 'expected its label to be a string'
              : undefined;
    if (fault !== undefined) throw new ArgumentError(op, `examples[${i}]`, `${family}: ${fault}, got ${formatValue(e)}`);
  });
  const check = def.checkVariants === undefined ? oneAtMost(family) : (vs: readonly string[]) => def.checkVariants!(vs);
  const info: CellFamilyInfo = Object.freeze({
    family,
    help: def.help,
    variants: Object.freeze(variants.slice()),
    options: Object.freeze(options.slice()),
    examples: Object.freeze(examples.slice()),
    builtin,
    make: (o: FamilyMakeOptions) => def.make(o),
    checkVariants: check,
    definition: def,
  });
  FAMILIES.set(family, info);
  return info;
}

/**
 * Register a cell family, so that {@link parseCellSpec}, {@link makeCell},
 * {@link cellHelp}, the command line and the proof suites know it by name.
 * Registering the same definition object again returns the registration it
 * already has.
 *
 * @param definition - The family: its name, `make`, `help`, and optionally variants, options and examples.
 * @returns The registration, with defaults filled in.
 * @throws ArgumentError - when the name is not lower case (`[a-z][a-z0-9_-]*`) or is taken by another
 *   definition, or `make`, `help`, `variants`, `options` or `examples` are malformed.
 *
 * @example
 * ```ts
 * import { registerCell, unregisterCell, makeCell, mguCell, cellHelp } from '@mnemo/nn';
 * registerCell({ family: 'mini', make: mguCell, help: 'mini  the minimal gated unit, once more' });
 * const cell = makeCell('mini', { inputSize: 2, hiddenSize: 3 });
 * console.assert(cell.hiddenSize === 3 && cellHelp().includes('mini  the minimal'));
 * unregisterCell('mini');
 * ```
 * @category Cells
 */
export function registerCell(definition: CellFamilyDefinition): CellFamilyInfo {
  return register(definition, false);
}

/** Register one of nn's own families. @internal */
export function registerBuiltinCell(definition: CellFamilyDefinition): CellFamilyInfo {
  return register(definition, true);
}

/**
 * Remove a family registered with {@link registerCell} (for tests, and for
 * a command line that loads a new version of a module).
 *
 * @param family - The family's name.
 * @returns Whether a family was removed (false when none had that name).
 * @throws ArgumentError - when the family is one of nn's built-in ones.
 *
 * @example
 * ```ts
 * import { registerCell, unregisterCell, rnnCell, cellFamily } from '@mnemo/nn';
 * registerCell({ family: 'elman', make: rnnCell, help: 'elman  the simple RNN' });
 * console.assert(unregisterCell('elman') && cellFamily('elman') === undefined && !unregisterCell('elman'));
 * ```
 * @category Cells
 */
export function unregisterCell(family: string): boolean {
  const f = FAMILIES.get(family);
  if (f === undefined) return false;
  if (f.builtin) throw new ArgumentError('unregisterCell', 'family', `'${family}' is one of nn's built-in cells`);
  return FAMILIES.delete(family);
}

/**
 * Every registered family, in the order they were registered (nn's own
 * first: lstm, gru, mgu, mut1, mut2, mut3, rnn).
 *
 * @returns The registrations.
 *
 * @example
 * ```ts
 * import { cellFamilies } from '@mnemo/nn';
 * console.assert(cellFamilies().map((f) => f.family).slice(0, 7).join() === 'lstm,gru,mgu,mut1,mut2,mut3,rnn');
 * ```
 * @category Cells
 */
export function cellFamilies(): readonly CellFamilyInfo[] {
  return [...FAMILIES.values()];
}

/**
 * The registered family of that name, or `undefined`.
 *
 * @param family - A family name, such as `gru`.
 * @returns The registration, if any.
 *
 * @example
 * ```ts
 * import { cellFamily } from '@mnemo/nn';
 * console.assert(cellFamily('gru')!.variants.join() === 'reset-before,reset-after' && cellFamily('nope') === undefined);
 * ```
 * @category Cells
 */
export function cellFamily(family: string): CellFamilyInfo | undefined {
  return FAMILIES.get(family);
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/**
 * A parsed cell name: the family and its variants.
 *
 * @example
 * ```ts
 * import { parseCellSpec, type CellSpec } from '@mnemo/nn';
 * const s: CellSpec = parseCellSpec('lstm --variant cifg');
 * console.assert(s.family === 'lstm' && s.variants.join() === 'cifg');
 * ```
 * @category Cells
 */
export interface CellSpec {
  /** The family's name. */
  readonly family: string;
  /** The variants, as given. */
  readonly variants: readonly string[];
}

function knownFamilies(): string {
  return [...FAMILIES.keys()].join(', ');
}

function accepted(f: CellFamilyInfo): string {
  return f.variants.length === 0 ? 'no variants' : f.variants.join(', ');
}

function checkVariants(f: CellFamilyInfo, variants: readonly string[], text?: string): void {
  for (const v of variants as readonly unknown[]) {
    if (v === '') throw new ArgumentError(f.family, 'variant', `empty variant name${text === undefined ? '' : ` in '${text}'`}`);
    if (typeof v !== 'string') throw new ArgumentError(f.family, 'variant', `expected a variant name (a string), got ${formatValue(v)}; ${f.family} accepts ${accepted(f)}`);
    if (!f.variants.includes(v)) throw new ArgumentError(f.family, 'variant', `unknown variant '${v}' of ${f.family}; ${f.family} accepts ${accepted(f)}`);
  }
  f.checkVariants(variants);
}

/**
 * Parse a cell name as a user writes it on the command line or in a config:
 * the family, then variants joined with `+` or given with `--variant`
 * (several separated by commas or repeated), e.g. `lstm`, `lstm+cifg`,
 * `lstm+cifg+np`, `lstm --variant nig`, `lstm --variant=cifg,np`,
 * `gru --variant reset-after`, `rnn+relu`. Case is ignored. The families
 * are those registered (see {@link registerCell}). Unknown families and
 * variants, and combinations that contradict each other, are rejected with
 * an error that names the cell and lists what it accepts.
 *
 * @param text - The name as written: `lstm+cifg`, `gru --variant reset-after`,
 *   `rnn+relu` (case is ignored).
 * @returns A frozen {@link CellSpec}: the family and the variants, as given.
 * @throws ArgumentError - when `text` is empty or not a string, the family is not
 *   registered, a variant is unknown or empty, `--variant` has no value, something
 *   else follows the name, or the variants contradict each other (naming the cell
 *   and what it accepts).
 *
 * @example
 * ```ts
 * import { parseCellSpec } from '@mnemo/nn';
 * console.assert(parseCellSpec('LSTM+cifg+np').variants.join() === 'cifg,np');
 * let msg = '';
 * try { parseCellSpec('gru+cifg'); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('gru') && msg.includes('reset-after'));
 * ```
 * @category Cells
 */
export function parseCellSpec(text: string): CellSpec {
  const op = 'parseCellSpec';
  if (typeof text !== 'string') throw new ArgumentError(op, 'spec', `expected a string such as 'lstm+cifg', got ${formatValue(text)}`);
  const tokens = text.trim().toLowerCase().split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) throw new ArgumentError(op, 'spec', `is empty; expected one of ${knownFamilies()}`);
  const [head, ...rest] = tokens as [string, ...string[]];
  const [family, ...plus] = head.split('+') as [string, ...string[]];
  const f = FAMILIES.get(family);
  if (f === undefined) throw new ArgumentError(op, 'spec', `unknown cell '${family}' in '${text}'; known cells: ${knownFamilies()}`);
  const variants = [...plus];
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i]!;
    let value: string | undefined;
    if (t === '--variant') {
      value = rest[++i];
      if (value === undefined) throw new ArgumentError(family, 'variant', `'--variant' needs a value in '${text}'; ${family} accepts ${accepted(f)}`);
    } else if (t.startsWith('--variant=')) value = t.slice('--variant='.length);
    else throw new ArgumentError(family, 'spec', `unexpected '${t}' in '${text}'; write variants as ${family}+name or ${family} --variant name`);
    variants.push(...value.split(','));
  }
  checkVariants(f, variants, text);
  return Object.freeze({ family, variants: Object.freeze(variants) });
}

/**
 * Make a cell from its name (see {@link parseCellSpec}) or a parsed
 * {@link CellSpec}, and sizes and options, through the family's
 * registration. The cell is a {@link GatedCell} (one that has only the
 * {@link Cell} members is given the sequence members that run its `step`).
 *
 * @param spec - A cell name such as `lstm+cifg`, or `{ family, variants }`.
 * @param options - Sizes, dtype, and the family's options.
 * @returns The cell.
 * @throws ArgumentError - when the family or a variant is unknown or the variants
 *   contradict each other, when an option is not one of the family's, when a size
 *   is not a positive integer, or when the family's `make` returns a cell of other
 *   sizes or dtype than asked.
 * @throws ShapeError - from the cell's `step` and sequence path, when an input,
 *   state, parameter or probe has the wrong shape.
 * @throws DTypeError - likewise, when one of them is not of the cell's dtype.
 *
 * @example
 * ```ts
 * import { makeCell } from '@mnemo/nn';
 * const c = makeCell('lstm --variant cifg', { inputSize: 3, hiddenSize: 4 });
 * console.assert(c.name === 'lstm+cifg' && c.gates.join() === 'i,g,o');
 * console.assert(makeCell('gru+reset-after', { inputSize: 3, hiddenSize: 4 }).name === 'gru+reset-after');
 * ```
 * @category Cells
 */
export function makeCell(spec: string | CellSpec, options: MakeCellOptions): GatedCell<Tree, Tree> {
  let s: CellSpec;
  if (typeof spec === 'string') s = parseCellSpec(spec);
  else {
    if (spec === null || typeof spec !== 'object' || typeof spec.family !== 'string' || !FAMILIES.has(spec.family) || !Array.isArray(spec.variants)) {
      throw new ArgumentError('makeCell', 'spec', `expected a cell name or { family, variants } with family one of ${knownFamilies()}, got ${formatValue(spec)}`);
    }
    s = spec;
  }
  const f = FAMILIES.get(s.family)!;
  const fam = f.family;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ArgumentError(fam, 'options', `expected { inputSize, hiddenSize, ... }, got ${formatValue(options)}`);
  if (typeof spec !== 'string') checkVariants(f, s.variants);
  const given: Record<string, unknown> = {};
  for (const [n, v] of Object.entries(options)) {
    if (v === undefined || n === 'inputSize' || n === 'hiddenSize' || n === 'dtype') continue;
    if (!f.options.includes(n)) {
      throw new ArgumentError(fam, n, `${fam} has no option '${n}'${f.options.length === 0 ? '' : `; its options are ${f.options.join(', ')}`}`);
    }
    given[n] = v;
  }
  const inputSize = checkPositiveInt(fam, 'inputSize', options.inputSize);
  const hiddenSize = checkPositiveInt(fam, 'hiddenSize', options.hiddenSize);
  const made = f.make({ inputSize, hiddenSize, ...(options.dtype === undefined ? {} : { dtype: options.dtype }), ...given, variants: s.variants });
  const dtype = options.dtype ?? 'float32';
  if (made === null || typeof made !== 'object' || made.inputSize !== inputSize || made.hiddenSize !== hiddenSize || made.dtype !== dtype) {
    const asText = (v: unknown): string => (typeof v === 'string' ? v : formatValue(v));
    const got = made === null || typeof made !== 'object' ? formatValue(made) : `inputSize ${asText(made.inputSize)}, hiddenSize ${asText(made.hiddenSize)}, ${asText(made.dtype)}`;
    throw new ArgumentError(fam, 'make', `was asked for inputSize ${inputSize}, hiddenSize ${hiddenSize}, ${asText(dtype)} and made a cell with ${got}`);
  }
  return isGatedCell(made) ? (made as GatedCell<Tree, Tree>) : gatedCell(made as Cell<Tree, Tree>);
}

/**
 * The text that explains every registered cell name and variant, for
 * `--help` and the docs. It says which "vanilla" each LSTM name means.
 *
 * @returns The lines, joined with newlines.
 *
 * @example
 * ```ts
 * import { cellHelp } from '@mnemo/nn';
 * const t = cellHelp();
 * console.assert(t.includes('lstm+cifg') && t.includes('reset-after') && t.includes('peephole'));
 * ```
 * @category Cells
 */
export function cellHelp(): string {
  const lines = ['Cells (name, then variants joined with + or given with --variant):'];
  for (const f of FAMILIES.values()) for (const line of f.help.split('\n')) lines.push(`  ${line}`);
  return lines.join('\n');
}

/**
 * One configuration the proof suites check: a cell name, the options, and a
 * label for test names.
 *
 * @example
 * ```ts
 * import { cellCases, type CellCase } from '@mnemo/nn';
 * const c: CellCase = cellCases().find((x) => x.label === 'lstm+cifg')!;
 * console.assert(c.spec === 'lstm+cifg' && Object.keys(c.options).length === 0);
 * ```
 * @category Cells
 */
export interface CellCase {
  /** A name for test titles: the spec, with the example's label or options. */
  readonly label: string;
  /** The cell name for `makeCell`. */
  readonly spec: string;
  /** The family. */
  readonly family: string;
  /** Options for `makeCell` beyond sizes and dtype. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * Every configuration worth proving, from the registry: each family alone,
 * each of its variants alone, and the family's `examples` (combinations and
 * options). The proof suites iterate over this, so a registered family is
 * proven without another edit.
 *
 * @param families - Only these families (default: every registered one).
 * @returns The cases, family by family.
 * @throws ArgumentError when `families` is given and is not an array of
 * strings.
 *
 * @example
 * ```ts
 * import { cellCases } from '@mnemo/nn';
 * const labels = cellCases().map((c) => c.label);
 * console.assert(labels.includes('gru+reset-after') && labels.includes('lstm (projection)') && labels.includes('mgu'));
 * ```
 * @category Cells
 */
export function cellCases(families?: readonly string[]): readonly CellCase[] {
  if (families !== undefined && (!Array.isArray(families) || families.some((f) => typeof f !== 'string'))) {
    throw new ArgumentError('cellCases', 'families', `expected an array of family names (${knownFamilies()}), or undefined for all, got ${formatValue(families)}`);
  }
  const out: CellCase[] = [];
  for (const f of FAMILIES.values()) {
    if (families !== undefined && !families.includes(f.family)) continue;
    const name = (vs: readonly string[]) => [f.family, ...vs].join('+');
    out.push({ label: f.family, spec: f.family, family: f.family, options: {} });
    for (const v of f.variants) out.push({ label: name([v]), spec: name([v]), family: f.family, options: {} });
    for (const e of f.examples) {
      const spec = name(e.variants ?? []);
      const opts = e.options ?? {};
      const described = Object.entries(opts).map(([k, v]) => `${k}=${typeof v === 'string' ? v : formatValue(v)}`).join(' ');
      const label = e.label !== undefined ? `${spec} (${e.label})` : described === '' ? spec : `${spec} (${described})`;
      out.push({ label, spec, family: f.family, options: opts });
    }
  }
  return out;
}
