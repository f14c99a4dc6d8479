/**
 * The gated recurrent unit (Cho et al. 2014) in its two forms.
 *
 * @module
 */
import { ArgumentError, formatValue, type DType, type Tensor } from '@mnemo/core';
import { add, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
import * as init from '../init.js';
import { splitColumns } from './common.js';
import { defineCell, type CellMaker, type CellOptions, type DefinedCell } from './define.js';

/**
 * Where the GRU's reset gate acts. `reset-before` (the paper, Cho et al.
 * 2014): the reset gate scales h before the recurrent matmul of the
 * candidate, `(r * h) U_n`. `reset-after` (cuDNN, PyTorch, and Keras's
 * default): it scales the matmul's result, `r * (h U_n + b_hn)`, which lets
 * all three recurrent matmuls run as one.
 *
 * @example
 * ```ts
 * import { GRU_VARIANTS, type GruVariant } from '@mnemo/nn';
 * const v: GruVariant = 'reset-after';
 * console.assert(GRU_VARIANTS.includes(v));
 * ```
 * @category Cells
 */
export type GruVariant = 'reset-before' | 'reset-after';

/**
 * The GRU's variants: `reset-before` (the default, `gru`) and `reset-after`.
 *
 * @example
 * ```ts
 * import { GRU_VARIANTS } from '@mnemo/nn';
 * console.assert(GRU_VARIANTS.join() === 'reset-before,reset-after');
 * ```
 * @category Cells
 */
export const GRU_VARIANTS: readonly GruVariant[] = Object.freeze(['reset-before', 'reset-after']);

/**
 * Options of {@link gruCell}: the sizes and dtype, and the variant
 * (`reset-before`, the default, or `reset-after`).
 *
 * @example
 * ```ts
 * import { gruCell, type GruOptions } from '@mnemo/nn';
 * const o: GruOptions = { inputSize: 2, hiddenSize: 3, variant: 'reset-after' };
 * console.assert(gruCell(o).name === 'gru+reset-after');
 * ```
 * @category Cells
 */
export interface GruOptions extends CellOptions {
  /** Default `reset-before` (the paper). */
  readonly variant?: GruVariant;
}

/**
 * A GRU's parameters. Gate blocks are in the order `r, z, n` (reset gate,
 * update gate, candidate), H the hidden size.
 *
 * - `wx` `[inputSize, 3H]`, `b` `[3H]`: input weights and biases of all three
 *   (for `r` and `z`, PyTorch's `bias_ih + bias_hh`; for `n`, `bias_ih` only);
 * - reset-after: `wh` `[H, 3H]` (all three recurrent matrices) and `bhn` `[H]`
 *   (the candidate's recurrent bias, which the reset gate scales);
 * - reset-before: `wh` `[H, 2H]` (`r` and `z`) and `whn` `[H, H]` (applied to `r * h`).
 *
 * @example
 * ```ts
 * import { gruCell, type GruParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: GruParams = gruCell({ inputSize: 2, hiddenSize: 3 }).init(key(0));
 * console.assert(p.wh.shape.join() === '3,6' && p.whn!.shape.join() === '3,3');
 * ```
 * @category Cells
 */
export type GruParams = { readonly wx: Tensor; readonly wh: Tensor; readonly b: Tensor; readonly bhn?: Tensor; readonly whn?: Tensor };

/**
 * The state of the cells with a single hidden vector (GRU, MGU, MUT1-3 and
 * the simple RNN): `h` `[batch, hiddenSize]`.
 *
 * @example
 * ```ts
 * import { gruCell, type HiddenState } from '@mnemo/nn';
 * const s: HiddenState = gruCell({ inputSize: 2, hiddenSize: 3 }).initialState(4);
 * console.assert(s.h.shape.join() === '4,3');
 * ```
 * @category Cells
 */
export type HiddenState = { readonly h: Tensor };

/**
 * A GRU cell; `variant` tells which form it is.
 *
 * @example
 * ```ts
 * import { gruCell, type GruCell } from '@mnemo/nn';
 * const c: GruCell = gruCell({ inputSize: 2, hiddenSize: 3 });
 * console.assert(c.variant === 'reset-before' && c.gates.join() === 'r,z,n');
 * ```
 * @category Cells
 */
export interface GruCell extends DefinedCell<GruParams, HiddenState, 'r' | 'z' | 'n'> {
  readonly variant: GruVariant;
}

/**
 * Make a gated recurrent unit (Cho et al. 2014) in either of its forms, reset
 * gate before or after the recurrent product: one step maps an input `[B, D]`
 * and a state `{ h }` to the next state and an output `[B, H]`, float32 or
 * float64.
 *
 * ## Equations
 *
 * $$
 * \begin{aligned}
 * r_t &= \sigma(x_t W_r + h_{t-1} U_r + b_r) && \text{reset gate} \\
 * z_t &= \sigma(x_t W_z + h_{t-1} U_z + b_z) && \text{update gate} \\
 * n_t &= \tanh\big(x_t W_n + (r_t \odot h_{t-1}) \, U_n + b_n\big) && \text{candidate} \\
 * h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1} && \text{output}
 * \end{aligned}
 * $$
 *
 * $z_t = 1$ keeps the old state, as in the paper and in PyTorch. With
 * `reset-after` the reset gate scales the result of the recurrent product,
 * which has its own bias:
 *
 * $$
 * n_t = \tanh\big(x_t W_n + b_n + r_t \odot (h_{t-1} U_n + b_{hn})\big)
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
 * | output | | $[B, H]$ | $h_t$ (the same tensor as the new state's `h`) |
 * | parameter | `wx` | $[D, 3H]$ | $[W_r \; W_z \; W_n]$ |
 * | parameter | `wh` | $[H, 2H]$ | $[U_r \; U_z]$; with `reset-after` $[H, 3H]$, $[U_r \; U_z \; U_n]$ |
 * | parameter | `whn` | $[H, H]$ | $U_n$, `reset-before` only |
 * | parameter | `b` | $[3H]$ | $[b_r \; b_z \; b_n]$ |
 * | parameter | `bhn` | $[H]$ | $b_{hn}$, `reset-after` only |
 *
 * ## Variants
 *
 * | variant | name | what changes |
 * | --- | --- | --- |
 * | `reset-before` (default) | `gru` | the paper: the reset gate scales $h_{t-1}$ before $U_n$ |
 * | `reset-after` | `gru+reset-after` | cuDNN, PyTorch's `nn.GRU` and Keras's default: $r_t \odot (h_{t-1} U_n + b_{hn})$, so all three recurrent products are one |
 *
 * The two forms are different functions: weights trained in one do not
 * carry over to the other. Initialization, as PyTorch's: weights uniform in
 * $[-1/\sqrt{H}, 1/\sqrt{H}]$, biases 0. Probes go to the pre-activations
 * of `r`, `z` and `n`.
 *
 * @param options - `inputSize` (D), `hiddenSize` (H), `dtype` (default `float32`)
 *   and `variant` (default `reset-before`).
 * @returns A {@link GruCell} named `gru` or `gru+reset-after`.
 * @throws ArgumentError - when the options are not an object, a size is not a
 *   positive integer or `dtype` is neither `float32` nor `float64` , or `variant`
 *   is unknown (naming the cell and the option); from the cell's `step`, when the
 *   state or parameters lack an entry or hold one the cell does not have, or a
 *   probe names no gate.
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
 * import { gruCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const cell = gruCell({ inputSize: 2, hiddenSize: 3, variant: 'reset-after', dtype: 'float64' });
 * const [s, h] = cell.step(cell.init(key(0)), cell.initialState(1), ones([1, 2], 'float64'));
 * console.assert(h === s.h && h.shape.join() === '1,3');
 * ```
 * @category Cells
 * @function
 */
export const gruCell: CellMaker<GruOptions, GruCell> = defineCell('gru', (o: GruOptions & { readonly dtype: DType }) => {
  const { inputSize: D, hiddenSize: H } = o;
  const variant = o.variant ?? 'reset-before';
  if (!GRU_VARIANTS.includes(variant)) {
    throw new ArgumentError('gru', 'variant', `unknown GRU variant ${formatValue(variant)}; the GRU accepts ${GRU_VARIANTS.join(', ')}`);
  }
  const after = variant === 'reset-after';
  const u = init.rnnUniform(H);
  return {
    name: after ? 'gru+reset-after' : 'gru',
    gates: ['r', 'z', 'n'],
    params: {
      wx: { shape: [D, 3 * H], init: u }, // [W_r W_z W_n]
      wh: { shape: [H, after ? 3 * H : 2 * H], init: u }, // [U_r U_z U_n] (reset-after) or [U_r U_z]
      whn: after ? undefined : { shape: [H, H], init: u }, // U_n (reset-before)
      b: { shape: [3 * H], init: init.zeros }, // [b_r b_z b_n]
      bhn: after ? { shape: [H], init: init.zeros } : undefined, // b_hn (reset-after)
    },
    state: { h: H },
    inputPartSize: 3 * H,
    inputPart: (p, x) => add(matmul(x, p.wx), p.b),
    step(p, { h }, xwb, gate) {
      const [xr, xz, xn] = splitColumns(xwb, [H, H, H]) as [Tensor, Tensor, Tensor];
      let r: Tensor, z: Tensor, nPre: Tensor;
      if (after) {
        const [hr, hz, hn] = splitColumns(matmul(h, p.wh), [H, H, H]) as [Tensor, Tensor, Tensor];
        // Reset gate: how much of the recurrent candidate term gets through.
        r = gate('r', sigmoid, add(xr, hr));
        // Update gate: how much of the old state is kept.
        z = gate('z', sigmoid, add(xz, hz));
        nPre = add(xn, mul(r, add(hn, p.bhn!)));
      } else {
        const [hr, hz] = splitColumns(matmul(h, p.wh), [H, H]) as [Tensor, Tensor];
        r = gate('r', sigmoid, add(xr, hr));
        z = gate('z', sigmoid, add(xz, hz));
        nPre = add(xn, matmul(mul(r, h), p.whn!));
      }
      // Candidate: the new content, computed from the reset-scaled past.
      const n = gate('n', tanh, nPre);
      // Interpolate between the candidate and the old state.
      const h2 = add(mul(sub(1, z), n), mul(z, h));
      return [{ h: h2 }, h2];
    },
    extra: { variant },
  };
});
