/**
 * The minimal gated unit (Zhou, Wu, Zhang & Zhou 2016).
 *
 * @module
 */
import type { DType, Tensor } from '@mnemo/core';
import { add, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
import * as init from '../init.js';
import { splitColumns } from './common.js';
import { defineCell, type CellMaker, type CellOptions, type DefinedCell } from './define.js';
import type { HiddenState } from './gru.js';

/**
 * Options of {@link mguCell}: the input and hidden sizes and the dtype, as
 * every cell takes them.
 *
 * @example
 * ```ts
 * import { mguCell, type MguOptions } from '@mnemo/nn';
 * const o: MguOptions = { inputSize: 2, hiddenSize: 3 };
 * console.assert(mguCell(o).name === 'mgu');
 * ```
 * @category Cells
 */
export type MguOptions = CellOptions;

/**
 * An MGU's parameters (H the hidden size): `wx` `[inputSize, 2H]` and `b`
 * `[2H]` for the blocks `f, n`; `wh` `[H, H]`, the forget gate's recurrent
 * matrix; `whn` `[H, H]`, the candidate's, applied to `f * h`.
 *
 * @example
 * ```ts
 * import { mguCell, type MguParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: MguParams = mguCell({ inputSize: 2, hiddenSize: 3 }).init(key(0));
 * console.assert(p.wx.shape.join() === '2,6' && p.whn.shape.join() === '3,3');
 * ```
 * @category Cells
 */
export type MguParams = { readonly wx: Tensor; readonly wh: Tensor; readonly whn: Tensor; readonly b: Tensor };

/**
 * A minimal gated unit made by {@link mguCell}: a defined cell with the gates
 * `f` and `n`.
 *
 * @example
 * ```ts
 * import { mguCell, type MguCell } from '@mnemo/nn';
 * const c: MguCell = mguCell({ inputSize: 2, hiddenSize: 3 });
 * console.assert(c.gates.join() === 'f,n');
 * ```
 * @category Cells
 */
export type MguCell = DefinedCell<MguParams, HiddenState, 'f' | 'n'>;

/**
 * Make a minimal gated unit (Zhou, Wu, Zhang & Zhou 2016): a GRU whose reset
 * and update gates are one forget gate, so a step costs two gates' products.
 * One step maps an input `[B, D]` and a state `{ h }` to the next state and an
 * output `[B, H]`, float32 or float64.
 *
 * ## Equations
 *
 * $$
 * \begin{aligned}
 * f_t &= \sigma(x_t W_f + h_{t-1} U_f + b_f) && \text{forget gate} \\
 * n_t &= \tanh\big(x_t W_n + (f_t \odot h_{t-1}) \, U_n + b_n\big) && \text{candidate} \\
 * h_t &= (1 - f_t) \odot h_{t-1} + f_t \odot n_t && \text{output}
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
 * | output | | $[B, H]$ | $h_t$ (the same tensor as the new state's `h`) |
 * | parameter | `wx` | $[D, 2H]$ | $[W_f \; W_n]$ |
 * | parameter | `wh` | $[H, H]$ | $U_f$ |
 * | parameter | `whn` | $[H, H]$ | $U_n$, applied to $f_t \odot h_{t-1}$ |
 * | parameter | `b` | $[2H]$ | $[b_f \; b_n]$ |
 *
 * ## Variants
 *
 * None. Compared with {@link gruCell}: one gate $f_t$ plays both the reset
 * gate (it scales $h_{t-1}$ in the candidate) and the update gate (with the
 * roles of $z_t$ and $1 - z_t$ exchanged).
 *
 * Initialization, as PyTorch's for the GRU: weights uniform in
 * $[-1/\sqrt{H}, 1/\sqrt{H}]$, biases 0. Probes: `f`, `n`.
 *
 * @param options - `inputSize` (D), `hiddenSize` (H) and `dtype` (default
 *   `float32`).
 * @returns An {@link MguCell} named `mgu`.
 * @throws ArgumentError - when the options are not an object, a size is not a
 *   positive integer or `dtype` is neither `float32` nor `float64` (naming the
 *   cell and the option); from the cell's `step`, when the state or parameters
 *   lack an entry or hold one the cell does not have, or a probe names no gate.
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
 * import { mguCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const cell = mguCell({ inputSize: 2, hiddenSize: 3 });
 * const [, h] = cell.step(cell.init(key(0)), cell.initialState(2), ones([2, 2]));
 * console.assert(h.shape.join() === '2,3');
 * ```
 * @category Cells
 * @function
 */
export const mguCell: CellMaker<MguOptions, MguCell> = defineCell('mgu', (o: MguOptions & { readonly dtype: DType }) => {
  const { inputSize: D, hiddenSize: H } = o;
  const u = init.rnnUniform(H);
  return {
    gates: ['f', 'n'],
    params: {
      wx: { shape: [D, 2 * H], init: u }, // [W_f W_n]
      wh: { shape: [H, H], init: u }, //      U_f
      whn: { shape: [H, H], init: u }, //     U_n
      b: { shape: [2 * H], init: init.zeros }, // [b_f b_n]
    },
    state: { h: H },
    inputPartSize: 2 * H,
    inputPart: (p, x) => add(matmul(x, p.wx), p.b),
    step(p, { h }, xwb, gate) {
      const [xf, xn] = splitColumns(xwb, [H, H]) as [Tensor, Tensor];
      // Forget gate: decides both what of the past the candidate reads and how much is replaced.
      const f = gate('f', sigmoid, add(xf, matmul(h, p.wh)));
      // Candidate from the input and the gated past.
      const n = gate('n', tanh, add(xn, matmul(mul(f, h), p.whn)));
      const h2 = add(mul(sub(1, f), h), mul(f, n));
      return [{ h: h2 }, h2];
    },
  };
});
