/**
 * The minimal gated unit (Zhou, Wu, Zhang & Zhou 2016).
 *
 * @module
 */
import { ArgumentError, split as splitKey, zeros, type DType, type Key, type Tensor } from '@mnemo/core';
import { add, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
import type { GateProbes } from '../cell.js';
import { checkCellSizes, defineCell, probe, splitColumns, type GatedCell } from './common.js';
import type { HiddenState } from './gru.js';
import { recurrentUniform } from './init.js';

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
export interface MguOptions {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Parameter and state dtype (default float32). */
  readonly dtype?: DType;
}

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
export function mguCell(options: MguOptions): GatedCell<MguParams, HiddenState> {
  if (options === null || typeof options !== 'object') throw new ArgumentError('mgu', 'options', 'expected { inputSize, hiddenSize, ... }');
  const { inputSize: D, hiddenSize: H } = options;
  checkCellSizes('mgu', D, H);
  const dtype = options.dtype ?? 'float32';

  const init = (k: Key): MguParams => {
    const [kx, kh, kn] = splitKey(k, 3) as [Key, Key, Key];
    return {
      wx: recurrentUniform(kx, [D, 2 * H], H, dtype),
      wh: recurrentUniform(kh, [H, H], H, dtype),
      whn: recurrentUniform(kn, [H, H], H, dtype),
      b: zeros([2 * H], dtype),
    };
  };

  const core = (p: MguParams, s: HiddenState, xPart: Tensor, probes: GateProbes | undefined, report: boolean) => {
    const h = s.h;
    const [xf, xn] = splitColumns(xPart, [H, H]) as [Tensor, Tensor];
    // Forget gate: decides both what of the past the candidate reads and how much is replaced.
    const f = sigmoid(probe(add(xf, matmul(h, p.wh)), probes, 'f'));
    // Candidate from the input and the gated past.
    const n = tanh(probe(add(xn, matmul(mul(f, h), p.whn)), probes, 'n'));
    const h2 = add(mul(sub(1, f), h), mul(f, n));
    return { state: { h: h2 }, output: h2, gates: (report ? { f, n } : {}) as Record<string, Tensor> };
  };

  return defineCell<MguParams, HiddenState>({
    name: 'mgu',
    inputSize: D,
    hiddenSize: H,
    outputSize: H,
    dtype,
    gates: ['f', 'n'],
    gateSize: H,
    paramShapes: { wx: [D, 2 * H], wh: [H, H], whn: [H, H], b: [2 * H] },
    stateSizes: { h: H },
    inputPartSize: 2 * H,
    init,
    inputPart: (p, x) => add(matmul(x, p.wx), p.b),
    core,
  });
}
