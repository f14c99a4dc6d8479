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
 * Options of {@link mguCell}.
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
 * An MGU cell.
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
 * A minimal gated unit (Zhou et al. 2016): a GRU whose reset and update gates
 * are one forget gate. With x = x(t), h = h(t-1):
 *
 * ```text
 * f  = sigmoid(x W_f + h U_f + b_f)         forget gate
 * n  = tanh(x W_n + (f * h) U_n + b_n)      candidate
 * h' = (1 - f) * h + f * n
 * ```
 *
 * Weights uniform in `[-1/sqrt(H), 1/sqrt(H)]`, biases 0. Probes: `f`, `n`.
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
