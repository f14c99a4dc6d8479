/**
 * The simple (Elman) recurrent cell.
 *
 * @module
 */
import { ArgumentError, type DType, type Tensor } from '@mnemo/core';
import { add, matmul, relu, tanh } from '@mnemo/autodiff';
import * as init from '../init.js';
import { defineCell, type CellMaker, type CellOptions, type DefinedCell } from './define.js';
import type { HiddenState } from './gru.js';

/**
 * The simple RNN's nonlinearity.
 *
 * @example
 * ```ts
 * import { RNN_VARIANTS, type RnnActivation } from '@mnemo/nn';
 * const a: RnnActivation = 'relu';
 * console.assert(RNN_VARIANTS.includes(a));
 * ```
 * @category Cells
 */
export type RnnActivation = 'tanh' | 'relu';

/**
 * The simple RNN's variants: its activations, `tanh` (default) and `relu`.
 *
 * @example
 * ```ts
 * import { RNN_VARIANTS } from '@mnemo/nn';
 * console.assert(RNN_VARIANTS.join() === 'tanh,relu');
 * ```
 * @category Cells
 */
export const RNN_VARIANTS: readonly RnnActivation[] = Object.freeze(['tanh', 'relu']);

/**
 * Options of {@link rnnCell}.
 *
 * @example
 * ```ts
 * import { rnnCell, type RnnCellOptions } from '@mnemo/nn';
 * const o: RnnCellOptions = { inputSize: 2, hiddenSize: 3, activation: 'relu' };
 * console.assert(rnnCell(o).name === 'rnn+relu');
 * ```
 * @category Cells
 */
export interface RnnCellOptions extends CellOptions {
  /** Default `tanh`. */
  readonly activation?: RnnActivation;
}

/**
 * A simple RNN's parameters: `wx` `[inputSize, H]`, `wh` `[H, H]`, `b` `[H]`
 * (PyTorch's `bias_ih + bias_hh`).
 *
 * @example
 * ```ts
 * import { rnnCell, type SimpleRnnParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: SimpleRnnParams = rnnCell({ inputSize: 2, hiddenSize: 3 }).init(key(0));
 * console.assert(p.wh.shape.join() === '3,3');
 * ```
 * @category Cells
 */
export type SimpleRnnParams = { readonly wx: Tensor; readonly wh: Tensor; readonly b: Tensor };

/**
 * A simple RNN cell; `activation` tells which nonlinearity it uses.
 *
 * @example
 * ```ts
 * import { rnnCell, type SimpleRnnCell } from '@mnemo/nn';
 * const c: SimpleRnnCell = rnnCell({ inputSize: 2, hiddenSize: 3 });
 * console.assert(c.activation === 'tanh' && c.gates.join() === 'h');
 * ```
 * @category Cells
 */
export interface SimpleRnnCell extends DefinedCell<SimpleRnnParams, HiddenState, 'h'> {
  readonly activation: RnnActivation;
}

/**
 * The simple recurrent cell (Elman 1990): `h' = act(x W_x + h W_h + b)` with
 * act `tanh` or `relu`. Weights uniform in `[-1/sqrt(H), 1/sqrt(H)]`, bias 0.
 * Its one probe, `h`, goes to the pre-activation.
 *
 * @example
 * ```ts
 * import { rnnCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const cell = rnnCell({ inputSize: 2, hiddenSize: 3, activation: 'relu' });
 * const [, h] = cell.step(cell.init(key(0)), cell.initialState(1), ones([1, 2]));
 * console.assert(h.toArray().every((v) => v >= 0));
 * ```
 * @category Cells
 */
export const rnnCell: CellMaker<RnnCellOptions, SimpleRnnCell> = defineCell('rnn', (o: RnnCellOptions & { readonly dtype: DType }) => {
  const { inputSize: D, hiddenSize: H } = o;
  const activation = o.activation ?? 'tanh';
  if (!RNN_VARIANTS.includes(activation)) {
    throw new ArgumentError('rnn', 'activation', `unknown activation '${String(activation)}'; the simple RNN accepts ${RNN_VARIANTS.join(', ')}`);
  }
  const act = activation === 'tanh' ? tanh : relu;
  const u = init.rnnUniform(H);
  return {
    name: activation === 'tanh' ? 'rnn' : 'rnn+relu',
    gates: ['h'],
    params: { wx: { shape: [D, H], init: u }, wh: { shape: [H, H], init: u }, b: { shape: [H], init: init.zeros } },
    state: { h: H },
    inputPartSize: H,
    inputPart: (p, x) => add(matmul(x, p.wx), p.b),
    step(p, s, xwb, gate) {
      const h = gate('h', act, add(xwb, matmul(s.h, p.wh)));
      return [{ h }, h];
    },
    extra: { activation },
  };
});
