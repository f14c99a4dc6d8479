/**
 * The LSTM: the tutorial's cell as the paper writes it
 * ({@link tutorialLstmCell}), and {@link lstmCell}, which adds the variants
 * of Greff et al. (2015), projection and layer normalization (defined in
 * lstm-variants.ts) and gives the tutorial's cell when none is asked for.
 *
 * @module
 */
import type { DType, Tensor } from '@mnemo/core';
import { add, matmul, mul, sigmoid, tanh } from '@mnemo/autodiff';
import * as init from '../init.js';
import { splitColumns } from './common.js';
import { defineCell, type CellMaker, type CellOptions, type DefinedCell } from './define.js';
import { blockBias } from './init.js';
import { TUTORIAL_STRUCTURE, checkForgetBias, variantLstmCell, type LstmStructure, type LstmVariant } from './lstm-variants.js';

export { LSTM_VARIANTS, lstmStructure, type LstmStructure, type LstmVariant } from './lstm-variants.js';

// ---------------------------------------------------------------------------
// Options, parameters, state
// ---------------------------------------------------------------------------

/**
 * Options of {@link lstmCell}.
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmOptions } from '@mnemo/nn';
 * const o: LstmOptions = { inputSize: 3, hiddenSize: 8, variant: ['cifg', 'np'], projSize: 4 };
 * console.assert(lstmCell(o).outputSize === 4);
 * ```
 * @category Cells
 */
export interface LstmOptions extends CellOptions {
  /** One {@link LstmVariant} or several (default none: the tutorial LSTM). */
  readonly variant?: LstmVariant | readonly LstmVariant[];
  /** Peephole connections; the same as variant `peephole` (true) or `np` (false). */
  readonly peepholes?: boolean;
  /** Project h to this size with a learned matrix (LSTMP, Sak et al. 2014; PyTorch's `proj_size`); 0 or absent: none. */
  readonly projSize?: number;
  /** Layer normalization as in Ba et al. (2016); default false. */
  readonly layerNorm?: boolean;
  /** The epsilon of layer normalization (default 1e-5). */
  readonly layerNormEps?: number;
  /** Initial forget-gate bias (default 1, Jozefowicz et al. 2015); only where a learned forget gate exists. */
  readonly forgetBias?: number;
}

/**
 * An LSTM's parameters. Gate blocks are laid out in the order `i, f, g, o`
 * (input gate, forget gate, block input, output gate), keeping only the
 * blocks the variant has (`nig` drops `i`, `nfg` and `cifg` drop `f`, `nog`
 * drops `o`); `G` is their number and `H` the hidden size.
 *
 * - `wx` `[inputSize, G*H]` and `wh` `[R, G*H]` (R = projSize, else H): input
 *   and recurrent weights of all gates, so each is one matmul;
 * - `b` `[G*H]`: one bias per gate (PyTorch's `bias_ih + bias_hh`);
 * - `pi`, `pf`, `po` `[H]`: peephole weights (diagonal), for the gates that exist;
 * - `wp` `[H, projSize]`: the projection;
 * - `lnxGain`, `lnxBias`, `lnhGain`, `lnhBias` `[G*H]`, `lncGain`, `lncBias` `[H]`: layer normalization;
 * - `wg` `[S*H, S*H]` for `fgr`, with S the number of sigmoid gates (rows:
 *   previous activations, columns: pre-activations, both in order i, f, o).
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: LstmParams = lstmCell({ inputSize: 3, hiddenSize: 4 }).init(key(0));
 * console.assert(p.wx.shape.join() === '3,16' && p.wh.shape.join() === '4,16' && p.pi === undefined);
 * ```
 * @category Cells
 */
export type LstmParams = {
  readonly wx: Tensor;
  readonly wh: Tensor;
  readonly b: Tensor;
  readonly pi?: Tensor;
  readonly pf?: Tensor;
  readonly po?: Tensor;
  readonly wp?: Tensor;
  readonly lnxGain?: Tensor;
  readonly lnxBias?: Tensor;
  readonly lnhGain?: Tensor;
  readonly lnhBias?: Tensor;
  readonly lncGain?: Tensor;
  readonly lncBias?: Tensor;
  readonly wg?: Tensor;
};

/**
 * An LSTM's state: `h` `[batch, outputSize]` (the output, projected when
 * `projSize` is set), `c` `[batch, hiddenSize]` (the cell state), and for
 * `fgr` `a` `[batch, S*H]`, the previous step's sigmoid gate activations in
 * order i, f, o (zeros at the start).
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmState } from '@mnemo/nn';
 * const s: LstmState = lstmCell({ inputSize: 1, hiddenSize: 2, variant: 'fgr' }).initialState(3);
 * console.assert(s.c.shape.join() === '3,2' && s.a!.shape.join() === '3,6');
 * ```
 * @category Cells
 */
export type LstmState = { readonly h: Tensor; readonly c: Tensor; readonly a?: Tensor };

/**
 * The LSTM's gates, as probes and `inspect` name them: `i` (input gate),
 * `f` (forget gate), `g` (block input, Greff's z), `o` (output gate). A
 * variant's cell has those its variant keeps, in this order.
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmGate } from '@mnemo/nn';
 * const gates: readonly LstmGate[] = lstmCell({ inputSize: 1, hiddenSize: 2, variant: 'cifg' }).gates;
 * console.assert(gates.join() === 'i,g,o');
 * ```
 * @category Cells
 */
export type LstmGate = 'i' | 'f' | 'g' | 'o';

/**
 * An LSTM cell: a {@link DefinedCell} that also tells how it was built.
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmCell } from '@mnemo/nn';
 * const cell: LstmCell = lstmCell({ inputSize: 2, hiddenSize: 3, variant: 'nog' });
 * console.assert(cell.name === 'lstm+nog' && cell.structure.peepholes && cell.gates.join() === 'i,f,g');
 * ```
 * @category Cells
 */
export interface LstmCell extends DefinedCell<LstmParams, LstmState, LstmGate> {
  readonly structure: LstmStructure;
  readonly projSize: number;
  readonly layerNorm: boolean;
  readonly forgetBias: number;
}

// ---------------------------------------------------------------------------
// The tutorial LSTM
// ---------------------------------------------------------------------------

/**
 * Options of {@link tutorialLstmCell}: sizes, dtype and the initial
 * forget-gate bias (default 1).
 *
 * @example
 * ```ts
 * import { tutorialLstmCell, type TutorialLstmOptions } from '@mnemo/nn';
 * const o: TutorialLstmOptions = { inputSize: 28, hiddenSize: 128, forgetBias: 1 };
 * console.assert(tutorialLstmCell(o).name === 'lstm');
 * ```
 * @category Cells
 */
export interface TutorialLstmOptions extends CellOptions {
  /** Initial forget-gate bias (default 1, Jozefowicz et al. 2015). */
  readonly forgetBias?: number;
}

/**
 * The LSTM of the tutorial and of PyTorch's `nn.LSTM`, written as the paper
 * writes it (Hochreiter & Schmidhuber 1997, with the forget gate of Gers,
 * Schmidhuber & Cummins 2000). With x = x(t), h = h(t-1), c = c(t-1):
 *
 * ```text
 * i  = sigmoid(x W_i + h R_i + b_i)     input gate
 * f  = sigmoid(x W_f + h R_f + b_f)     forget gate
 * g  = tanh(x W_g + h R_g + b_g)        block input
 * c' = f * c + i * g                    cell state
 * o  = sigmoid(x W_o + h R_o + b_o)     output gate
 * h' = o * tanh(c')                     output
 * ```
 *
 * The four gates share one matrix each for x and h (`wx` `[D, 4H]`, `wh`
 * `[H, 4H]`, blocks in the order i, f, g, o) and one bias `b` `[4H]`.
 * Initialization, as in PyTorch: weights uniform in `[-1/sqrt(H),
 * 1/sqrt(H)]`, biases 0 except the forget gate's (`forgetBias`, default 1).
 * `lstmCell` with no variant, projection or layer norm is this cell.
 *
 * @param options - Sizes, dtype, and `forgetBias`.
 * @returns An {@link LstmCell} named `lstm`.
 * @throws ArgumentError - when a size is not a positive integer, `dtype` is
 *   neither `float32` nor `float64`, or `forgetBias` is not finite.
 *
 * @example
 * ```ts
 * import { tutorialLstmCell, lstmCell } from '@mnemo/nn';
 * import { key, normal } from '@mnemo/core';
 * const cell = tutorialLstmCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' });
 * const x = normal(key(1), [2, 3], { dtype: 'float64' });
 * const [state, h] = cell.step(cell.init(key(0)), cell.initialState(2), x);
 * const [, h2] = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' }).step(cell.init(key(0)), cell.initialState(2), x);
 * console.assert(h === state.h && h.toArray().join() === h2.toArray().join());
 * ```
 * @category Cells
 */
export const tutorialLstmCell: CellMaker<TutorialLstmOptions, LstmCell> = defineCell('lstm', (o: TutorialLstmOptions & { readonly dtype: DType }) => {
  const { inputSize: D, hiddenSize: H } = o;
  const forgetBias = checkForgetBias('lstm', o.forgetBias);
  const u = init.rnnUniform(H);
  return {
    gates: ['i', 'f', 'g', 'o'],
    params: {
      wx: { shape: [D, 4 * H], init: u }, //  [W_i W_f W_g W_o]
      wh: { shape: [H, 4 * H], init: u }, //  [R_i R_f R_g R_o]
      b: { shape: [4 * H], init: blockBias({ start: H, size: H, value: forgetBias }) }, // [b_i b_f b_g b_o]
    },
    state: { h: H, c: H },
    // x W + b for all four gates: for a whole sequence this is one matrix product.
    inputPartSize: 4 * H,
    inputPart: (p, x) => add(matmul(x, p.wx), p.b),
    step(p, { h, c }, xwb, gate) {
      const [zi, zf, zg, zo] = splitColumns(add(xwb, matmul(h, p.wh)), [H, H, H, H]) as [Tensor, Tensor, Tensor, Tensor];
      const i = gate('i', sigmoid, zi); //      how much of the block input enters the cell
      const f = gate('f', sigmoid, zf); //      how much of the old cell state is kept
      const g = gate('g', tanh, zg); //         the candidate written to the cell
      const c2 = add(mul(f, c), mul(i, g)); //  the constant error carousel
      const o = gate('o', sigmoid, zo); //      how much of the squashed cell state is shown
      const h2 = mul(o, tanh(c2));
      return [{ h: h2, c: c2 }, h2];
    },
    extra: { structure: TUTORIAL_STRUCTURE, projSize: 0, layerNorm: false, forgetBias },
  };
});


// ---------------------------------------------------------------------------
// lstmCell
// ---------------------------------------------------------------------------

/**
 * A long short-term memory cell (Hochreiter & Schmidhuber 1997) with the
 * forget gate of Gers, Schmidhuber & Cummins (2000), written gate by gate.
 * With x = x(t), h = h(t-1), c = c(t-1) and `*` elementwise:
 *
 * ```text
 * i    = sigmoid(x W_i + h R_i + p_i * c + b_i)        input gate
 * f    = sigmoid(x W_f + h R_f + p_f * c + b_f)        forget gate
 * g    = tanh(x W_g + h R_g + b_g)                     block input (Greff's z)
 * c'   = f * c + i * g                                 cell state
 * o    = sigmoid(x W_o + h R_o + p_o * c' + b_o)       output gate (peeks at the new c)
 * h'   = o * tanh(c')                                  output
 * ```
 *
 * The peephole terms `p_*` exist only with peepholes (variant `peephole`,
 * or any of Greff's ablations without `np`). The variants of
 * {@link LstmVariant} each change one line: `nig` sets i = 1, `nfg` f = 1,
 * `cifg` f = 1 - i, `nog` o = 1, `niaf` drops the tanh of g, `noaf` the tanh
 * of c', and `fgr` adds `a(t-1) R_a` (all gates' previous activations) to the
 * pre-activations of i, f and o. `projSize` maps h' through `W_p`
 * (h' = (o * tanh(c')) W_p, and the recurrence uses the projected h). With
 * `layerNorm` (Ba et al. 2016) the input and recurrent contributions to all
 * gates are normalized separately, `LN(x W) + LN(h R) + b`, and
 * h' = o * tanh(LN(c')).
 *
 * Initialization: weights and peepholes uniform in `[-1/sqrt(H), 1/sqrt(H)]`
 * (as PyTorch), biases 0 except the forget gate's (`forgetBias`, default 1),
 * layer-norm gains 1 and biases 0. Probes (see {@link GateProbes}) are added to
 * the pre-activations of `i`, `f`, `g`, `o`, those the variant has.
 *
 * With no variant (or only `np`), no projection and no layer norm, the cell
 * is {@link tutorialLstmCell}; anything else is the variant-bearing
 * definition, which computes the same bits when given no variant (a test
 * checks values and gradients).
 *
 * @example
 * ```ts
 * import { lstmCell } from '@mnemo/nn';
 * import { key, normal } from '@mnemo/core';
 * const cell = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' });
 * const params = cell.init(key(0));
 * const [state, h] = cell.step(params, cell.initialState(2), normal(key(1), [2, 3], { dtype: 'float64' }));
 * console.assert(h.shape.join() === '2,4' && state.c.shape.join() === '2,4');
 * ```
 * @category Cells
 */
export function lstmCell(options: LstmOptions): LstmCell {
  return isTutorial(options) ? tutorialLstmCell(options) : variantLstmCell(options);
}

/** Options that ask for nothing beyond the tutorial LSTM (anything unusual goes to the variant cell, which checks it). */
function isTutorial(o: LstmOptions): boolean {
  if (o === null || typeof o !== 'object') return false;
  const v: unknown = o.variant;
  const noVariant = v === undefined || v === 'np' || (Array.isArray(v) && (v.length === 0 || (v.length === 1 && v[0] === 'np')));
  const eps: unknown = o.layerNormEps;
  return (
    noVariant &&
    (o.peepholes === undefined || o.peepholes === false) &&
    (o.projSize === undefined || o.projSize === 0) &&
    (o.layerNorm === undefined || o.layerNorm === false) &&
    (eps === undefined || (typeof eps === 'number' && eps > 0))
  );
}
