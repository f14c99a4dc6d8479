/**
 * Cells by name: `parseCellSpec('lstm+cifg')`, `makeCell(spec, sizes)`, and
 * the help text that says what each name means.
 *
 * @module
 */
import { ArgumentError, type DType } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import type { GatedCell } from './common.js';
import { GRU_VARIANTS, gruCell, type GruVariant } from './gru.js';
import { LSTM_VARIANTS, lstmCell, lstmStructure, type LstmVariant } from './lstm.js';
import { mguCell } from './mgu.js';
import { mutCell } from './mut.js';
import { RNN_VARIANTS, rnnCell, type RnnActivation } from './rnn.js';

/**
 * The cell families `makeCell` knows.
 *
 * @example
 * ```ts
 * import { CELL_FAMILIES, type CellFamily } from '@mnemo/nn';
 * const f: CellFamily = 'mgu';
 * console.assert(CELL_FAMILIES.includes(f));
 * ```
 * @category Cells
 */
export type CellFamily = 'lstm' | 'gru' | 'mgu' | 'mut1' | 'mut2' | 'mut3' | 'rnn';

/**
 * Every {@link CellFamily}.
 *
 * @example
 * ```ts
 * import { CELL_FAMILIES } from '@mnemo/nn';
 * console.assert(CELL_FAMILIES.join() === 'lstm,gru,mgu,mut1,mut2,mut3,rnn');
 * ```
 * @category Cells
 */
export const CELL_FAMILIES: readonly CellFamily[] = Object.freeze(['lstm', 'gru', 'mgu', 'mut1', 'mut2', 'mut3', 'rnn']);

/**
 * The variant names each family accepts.
 *
 * @example
 * ```ts
 * import { CELL_VARIANTS } from '@mnemo/nn';
 * console.assert(CELL_VARIANTS.gru.includes('reset-after') && CELL_VARIANTS.mgu.length === 0);
 * ```
 * @category Cells
 */
export const CELL_VARIANTS: Readonly<Record<CellFamily, readonly string[]>> = Object.freeze({
  lstm: LSTM_VARIANTS,
  gru: GRU_VARIANTS,
  mgu: [],
  mut1: [],
  mut2: [],
  mut3: [],
  rnn: RNN_VARIANTS,
});

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
  readonly family: CellFamily;
  readonly variants: readonly string[];
}

/**
 * Parse a cell name as a user writes it on the command line or in a config:
 * the family, then variants joined with `+` or given with `--variant`
 * (several separated by commas or repeated), e.g. `lstm`, `lstm+cifg`,
 * `lstm+cifg+np`, `lstm --variant nig`, `lstm --variant=cifg,np`,
 * `gru --variant reset-after`, `rnn+relu`. Case is ignored. Unknown
 * families and variants, and combinations that contradict each other, are
 * rejected with an error that names the cell and lists what it accepts.
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
  if (typeof text !== 'string') throw new ArgumentError(op, 'spec', `expected a string such as 'lstm+cifg', got ${typeof text}`);
  const tokens = text.trim().toLowerCase().split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) throw new ArgumentError(op, 'spec', `is empty; expected one of ${CELL_FAMILIES.join(', ')}`);
  const [head, ...rest] = tokens as [string, ...string[]];
  const [family, ...plus] = head.split('+');
  if (!(CELL_FAMILIES as readonly string[]).includes(family!)) {
    throw new ArgumentError(op, 'spec', `unknown cell '${family}' in '${text}'; known cells: ${CELL_FAMILIES.join(', ')}`);
  }
  const fam = family as CellFamily;
  const variants = [...plus];
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i]!;
    let value: string | undefined;
    if (t === '--variant') {
      value = rest[++i];
      if (value === undefined) throw new ArgumentError(fam, 'variant', `'--variant' needs a value in '${text}'; ${fam} accepts ${accepted(fam)}`);
    } else if (t.startsWith('--variant=')) value = t.slice('--variant='.length);
    else throw new ArgumentError(fam, 'spec', `unexpected '${t}' in '${text}'; write variants as ${fam}+name or ${fam} --variant name`);
    variants.push(...value.split(','));
  }
  for (const v of variants) {
    if (v === '') throw new ArgumentError(fam, 'variant', `empty variant name in '${text}'`);
    if (!CELL_VARIANTS[fam].includes(v)) {
      throw new ArgumentError(fam, 'variant', `unknown variant '${v}' of ${fam}; ${fam} accepts ${accepted(fam)}`);
    }
  }
  checkCombination(fam, variants);
  return Object.freeze({ family: fam, variants: Object.freeze(variants) });
}

function accepted(fam: CellFamily): string {
  const vs = CELL_VARIANTS[fam];
  return vs.length === 0 ? 'no variants' : vs.join(', ');
}

function checkCombination(fam: CellFamily, variants: readonly string[]): void {
  if (fam === 'lstm') {
    lstmStructure(variants);
    return;
  }
  const seen = new Set<string>();
  for (const v of variants) {
    if (seen.has(v)) throw new ArgumentError(fam, 'variant', `variant '${v}' is given twice`);
    seen.add(v);
  }
  if (variants.length > 1) throw new ArgumentError(fam, 'variant', `${fam} takes one variant at most, got ${variants.join(' and ')}`);
}

/**
 * Sizes and options for {@link makeCell}. Options that a family does not
 * have (`projSize` for a GRU, say) are rejected, naming the cell.
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
}

const LSTM_ONLY = ['projSize', 'layerNorm', 'forgetBias'] as const;

/**
 * Make a cell from its name (see {@link parseCellSpec}) or a parsed
 * {@link CellSpec}, and sizes.
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
  const s = typeof spec === 'string' ? parseCellSpec(spec) : spec;
  if (s === null || typeof s !== 'object' || !(CELL_FAMILIES as readonly string[]).includes(s.family)) {
    throw new ArgumentError('makeCell', 'spec', `expected a cell name or { family, variants } with family one of ${CELL_FAMILIES.join(', ')}`);
  }
  const fam = s.family;
  if (options === null || typeof options !== 'object') throw new ArgumentError(fam, 'options', 'expected { inputSize, hiddenSize, ... }');
  if (typeof spec !== 'string') {
    for (const v of s.variants) {
      if (!CELL_VARIANTS[fam].includes(v)) throw new ArgumentError(fam, 'variant', `unknown variant '${v}' of ${fam}; ${fam} accepts ${accepted(fam)}`);
    }
    checkCombination(fam, s.variants);
  }
  const rejectOptions = (names: readonly string[]): void => {
    for (const n of names) {
      if ((options as unknown as Record<string, unknown>)[n] !== undefined) throw new ArgumentError(fam, n, `${fam} has no option '${n}'`);
    }
  };
  const { inputSize, hiddenSize, dtype } = options;
  const base = { inputSize, hiddenSize, ...(dtype === undefined ? {} : { dtype }) };
  const v0 = s.variants[0];
  switch (fam) {
    case 'lstm':
      rejectOptions(['inputProjection']);
      return lstmCell({
        ...base,
        variant: s.variants as readonly LstmVariant[],
        ...(options.projSize === undefined ? {} : { projSize: options.projSize }),
        ...(options.layerNorm === undefined ? {} : { layerNorm: options.layerNorm }),
        ...(options.forgetBias === undefined ? {} : { forgetBias: options.forgetBias }),
      });
    case 'gru':
      rejectOptions([...LSTM_ONLY, 'inputProjection']);
      return gruCell({ ...base, ...(v0 === undefined ? {} : { variant: v0 as GruVariant }) });
    case 'mgu':
      rejectOptions([...LSTM_ONLY, 'inputProjection']);
      return mguCell(base);
    case 'rnn':
      rejectOptions([...LSTM_ONLY, 'inputProjection']);
      return rnnCell({ ...base, ...(v0 === undefined ? {} : { activation: v0 as RnnActivation }) });
    default:
      rejectOptions(LSTM_ONLY);
      return mutCell({ kind: fam, ...base, ...(options.inputProjection === undefined ? {} : { inputProjection: options.inputProjection }) });
  }
}

/**
 * The text that explains every cell name and variant, for `--help` and the
 * docs. It says which "vanilla" each LSTM name means.
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
  return [
    'Cells (name, then variants joined with + or given with --variant):',
    '  lstm              the tutorial LSTM (Hochreiter & Schmidhuber 1997 with the forget gate of Gers et al. 2000),',
    '                    NO peepholes; gates i, f, g, o; forget-gate bias initialised to 1',
    '  lstm+peephole     Greff et al. (2015)\'s "vanilla" LSTM: the same plus peepholes (i, f see c(t-1), o sees c(t))',
    "  Greff's ablations, each taken from his vanilla, so they KEEP the peepholes (add +np to drop them):",
    '  lstm+nig          no input gate (i = 1)',
    '  lstm+nfg          no forget gate (f = 1)',
    '  lstm+nog          no output gate (o = 1)',
    '  lstm+niaf         no input activation function (g without tanh)',
    '  lstm+noaf         no output activation function (h = o * c)',
    '  lstm+np           no peepholes: the same architecture as plain lstm',
    '  lstm+cifg         coupled input and forget gate (f = 1 - i)',
    '  lstm+fgr          full gate recurrence (i, f, o also see all gates of the previous step)',
    '                    combinations are allowed where they make sense, e.g. lstm+cifg+np, lstm+nog+noaf;',
    '                    cifg with nig or nfg, and peephole with np, are rejected',
    '  gru               GRU as in Cho et al. 2014: the reset gate acts before the recurrent matmul',
    '  gru+reset-after   GRU as in cuDNN, PyTorch and Keras: r * (h U_n + b_hn)',
    '  mgu               minimal gated unit (Zhou et al. 2016)',
    '  mut1, mut2, mut3  Jozefowicz et al. (2015); mut1 and mut2 learn an input projection when inputSize != hiddenSize',
    '  rnn, rnn+relu     simple RNN with tanh (default) or relu',
  ].join('\n');
}
