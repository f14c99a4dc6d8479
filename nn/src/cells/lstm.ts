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
 * Options of {@link lstmCell}: the sizes and dtype, the variants, peepholes,
 * projection, layer normalization and the forget-gate bias.
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
 * Schmidhuber & Cummins 2000), without peepholes: one step maps an input
 * `[B, D]` and a state `{ h, c }` to the next state and an output `[B, H]`,
 * float32 or float64. {@link lstmCell} with no variant, projection or layer
 * norm returns this cell; it has the variants.
 *
 * ## Equations
 *
 * $$
 * \begin{aligned}
 * i_t &= \sigma(x_t W_i + h_{t-1} R_i + b_i) && \text{input gate} \\
 * f_t &= \sigma(x_t W_f + h_{t-1} R_f + b_f) && \text{forget gate} \\
 * g_t &= \tanh(x_t W_g + h_{t-1} R_g + b_g) && \text{block input} \\
 * c_t &= f_t \odot c_{t-1} + i_t \odot g_t && \text{cell state} \\
 * o_t &= \sigma(x_t W_o + h_{t-1} R_o + b_o) && \text{output gate} \\
 * h_t &= o_t \odot \tanh(c_t) && \text{output}
 * \end{aligned}
 * $$
 *
 * ## Shapes
 *
 * $B$ batch, $T$ steps (in {@link scan}), $D$ `inputSize`, $H$ `hiddenSize`.
 *
 * | | name | shape | what |
 * | --- | --- | --- | --- |
 * | input | `x` | $[B, D]$ | one step; {@link scan} takes $[B, T, D]$ |
 * | state | `h` | $[B, H]$ | the previous output $h_{t-1}$ |
 * | state | `c` | $[B, H]$ | the cell state $c_{t-1}$ |
 * | output | | $[B, H]$ | $h_t$ (the same tensor as the new state's `h`) |
 * | parameter | `wx` | $[D, 4H]$ | $[W_i \; W_f \; W_g \; W_o]$ |
 * | parameter | `wh` | $[H, 4H]$ | $[R_i \; R_f \; R_g \; R_o]$ |
 * | parameter | `b` | $[4H]$ | $[b_i \; b_f \; b_g \; b_o]$ (PyTorch's `bias_ih + bias_hh`) |
 *
 * ## Variants
 *
 * None: this is the one architecture. Greff et al.'s variants, peepholes,
 * a projection and layer normalization are options of {@link lstmCell}.
 *
 * Initialization, as in PyTorch: weights uniform in
 * $[-1/\sqrt{H}, 1/\sqrt{H}]$, biases 0 except the forget gate's
 * (`forgetBias`, default 1, as Jozefowicz et al. 2015 recommend). Probes
 * (see {@link GateProbes}) go to the pre-activations of `i`, `f`, `g`, `o`.
 *
 * @param options - `inputSize` (D), `hiddenSize` (H), `dtype` (default `float32`)
 *   and `forgetBias` (default 1).
 * @returns An {@link LstmCell} named `lstm`.
 * @throws ArgumentError - when the options are not an object, a size is not a
 *   positive integer or `dtype` is neither `float32` nor `float64` , or
 *   `forgetBias` is not finite (naming the cell and the option); from the cell's
 *   `step`, when the state or parameters lack an entry or hold one the cell does
 *   not have, or a probe names no gate.
 * @throws ShapeError - from the cell's `step` (and `scan`), when the input is not
 *   `[B, D]` (`[B, T, D]`), or a state entry, parameter or probe has the wrong
 *   shape; the message names the cell and both shapes.
 * @throws DTypeError - from the cell's `step`, when the input, state, parameters
 *   or probes are not of the cell's dtype.
 * @throws MnemoError - from the compiled sequence path, when one tensor object is
 *   passed as two of its inputs.
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
 * @function
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
 * Make a long short-term memory cell (Hochreiter & Schmidhuber 1997, with
 * the forget gate of Gers, Schmidhuber & Cummins 2000), any of Greff et al.'s
 * variants, with peepholes, a projection or layer normalization: one step maps
 * an input `[B, D]` and a state `{ h, c }` to the next state and an output
 * `[B, H]` (`[B, P]` with a projection), float32 or float64.
 *
 * ## Equations
 *
 * Rows are batch entries, so weights multiply from the right; $\sigma$ is the
 * logistic sigmoid and $\odot$ the elementwise product. With no variant (the
 * default, PyTorch's `nn.LSTM`):
 *
 * $$
 * \begin{aligned}
 * i_t &= \sigma(x_t W_i + h_{t-1} R_i + b_i) && \text{input gate} \\
 * f_t &= \sigma(x_t W_f + h_{t-1} R_f + b_f) && \text{forget gate} \\
 * g_t &= \tanh(x_t W_g + h_{t-1} R_g + b_g) && \text{block input} \\
 * c_t &= f_t \odot c_{t-1} + i_t \odot g_t && \text{cell state} \\
 * o_t &= \sigma(x_t W_o + h_{t-1} R_o + b_o) && \text{output gate} \\
 * h_t &= o_t \odot \tanh(c_t) && \text{output}
 * \end{aligned}
 * $$
 *
 * With peepholes (variant `peephole`, Greff's "vanilla" LSTM, and every
 * ablation below unless `np` is added) the gates also see the cell state:
 * $p_i \odot c_{t-1}$ and $p_f \odot c_{t-1}$ join the pre-activations of $i_t$
 * and $f_t$, and $p_o \odot c_t$ (the new state) that of $o_t$.
 *
 * ## Shapes
 *
 * $B$ batch, $T$ steps (in {@link scan}), $D$ `inputSize`, $H$ `hiddenSize`,
 * $P$ `projSize`; $R = P$ with a projection, else $H$; $G$ the number of gate
 * blocks (4, or 3 when the variant drops one); $S$ the number of sigmoid
 * gates (for `fgr`).
 *
 * | | name | shape | what |
 * | --- | --- | --- | --- |
 * | input | `x` | $[B, D]$ | one step; {@link scan} takes $[B, T, D]$ |
 * | state | `h` | $[B, R]$ | the previous output $h_{t-1}$ |
 * | state | `c` | $[B, H]$ | the cell state $c_{t-1}$ |
 * | state | `a` | $[B, S H]$ | `fgr` only: the previous sigmoid gate activations |
 * | output | | $[B, R]$ | $h_t$ (the same tensor as the new state's `h`) |
 * | parameter | `wx` | $[D, G H]$ | $[W_i \; W_f \; W_g \; W_o]$, blocks in that order, absent gates dropped |
 * | parameter | `wh` | $[R, G H]$ | $[R_i \; R_f \; R_g \; R_o]$ |
 * | parameter | `b` | $[G H]$ | $[b_i \; b_f \; b_g \; b_o]$ (PyTorch's `bias_ih + bias_hh`) |
 * | parameter | `pi`, `pf`, `po` | $[H]$ | peepholes, for the gates that exist |
 * | parameter | `wp` | $[H, P]$ | `projSize`: $h_t = (o_t \odot \tanh(c_t)) W_p$ |
 * | parameter | `lnxGain`, `lnxBias`, `lnhGain`, `lnhBias` | $[G H]$ | `layerNorm`: gains and biases of the input and recurrent parts |
 * | parameter | `lncGain`, `lncBias` | $[H]$ | `layerNorm`: of the cell state |
 * | parameter | `wg` | $[S H, S H]$ | `fgr`: previous gate activations to pre-activations |
 *
 * ## Variants
 *
 * Each of Greff et al.'s (2015) variants ({@link LstmVariant}) changes one
 * thing in the vanilla LSTM; they combine where that makes sense
 * (`['cifg', 'np']`, `['nog', 'noaf']`).
 *
 * | variant | what changes |
 * | --- | --- |
 * | none | the equations above, no peepholes (the tutorial LSTM, {@link tutorialLstmCell}) |
 * | `peephole` | peepholes: Greff's vanilla LSTM |
 * | `nig` | no input gate: $i_t = 1$ |
 * | `nfg` | no forget gate: $f_t = 1$ |
 * | `nog` | no output gate: $o_t = 1$ |
 * | `niaf` | no input activation: $g_t = x_t W_g + h_{t-1} R_g + b_g$ |
 * | `noaf` | no output activation: $h_t = o_t \odot c_t$ |
 * | `np` | no peepholes (with no other variant: the tutorial LSTM) |
 * | `cifg` | coupled input and forget gate: $f_t = 1 - i_t$, no forget-gate parameters |
 * | `fgr` | full gate recurrence: $a_{t-1} R^a$ joins the pre-activations of $i$, $f$, $o$ |
 * | `projSize` | LSTMP (Sak et al. 2014): $h_t = (o_t \odot \tanh(c_t)) W_p$, and the recurrence uses the projected $h$ |
 * | `layerNorm` | Ba et al. (2016): $\mathrm{LN}(x_t W) + \mathrm{LN}(h_{t-1} R) + b$, and $h_t = o_t \odot \tanh(\mathrm{LN}(c_t))$ |
 *
 * Initialization: weights and peepholes uniform in
 * $[-1/\sqrt{H}, 1/\sqrt{H}]$ (as PyTorch), biases 0 except the forget
 * gate's (`forgetBias`, default 1), layer-norm gains 1 and biases 0. Probes
 * (see {@link GateProbes}) are added to the pre-activations of `i`, `f`,
 * `g`, `o`, those the variant has. With no variant (or only `np`), no
 * projection and no layer norm, the cell is {@link tutorialLstmCell};
 * anything else is the variant-bearing definition, which computes the same
 * bits when given no variant (a test checks values and gradients).
 *
 * @param options - Sizes (`inputSize` D, `hiddenSize` H), `dtype` (default
 *   `float32`), `variant`, `peepholes`, `projSize`, `layerNorm`,
 *   `layerNormEps` and `forgetBias`.
 * @returns An {@link LstmCell} named after its variants (`lstm`,
 *   `lstm+cifg+np`), whose `structure` tells the architecture they resolve to.
 * @throws ArgumentError - when the options are not an object, a size is not a
 *   positive integer or `dtype` is neither `float32` nor `float64` , a variant is
 *   unknown or variants contradict each other (`cifg` with `nig` or `nfg`,
 *   `peephole` with `np`, `peepholes` against `peephole` or `np`), `projSize` is
 *   not a non-negative integer, `layerNorm` is not a boolean, `layerNormEps` is
 *   not positive or `forgetBias` is not finite (naming the cell and the option);
 *   from the cell's `step`, when the state or parameters lack an entry or hold one
 *   the cell does not have, or a probe names no gate.
 * @throws ShapeError - from the cell's `step` (and `scan`), when the input is not
 *   `[B, D]` (`[B, T, D]`), or a state entry, parameter or probe has the wrong
 *   shape; the message names the cell and both shapes.
 * @throws DTypeError - from the cell's `step`, when the input, state, parameters
 *   or probes are not of the cell's dtype.
 * @throws MnemoError - from the compiled sequence path, when one tensor object is
 *   passed as two of its inputs.
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
