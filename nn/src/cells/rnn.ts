/**
 * The simple (Elman) recurrent cell.
 *
 * @module
 */
import { ArgumentError, formatValue, type DType, type Tensor } from '@mnemo/core';
import { add, matmul, relu, tanh } from '@mnemo/autodiff';
import * as init from '../init.js';
import { defineCell, type CellMaker, type CellOptions, type DefinedCell } from './define.js';
import type { HiddenState } from './gru.js';

/**
 * The simple RNN's nonlinearity: `tanh` (the default, PyTorch's `nn.RNN`) or
 * `relu`.
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
 * Options of {@link rnnCell}: the sizes and dtype, and the nonlinearity (`tanh`
 * by default, or `relu`).
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
 * Make the simple recurrent cell of Elman (1990), with a tanh (the default) or
 * ReLU nonlinearity: the baseline that gated cells are measured against on
 * long time lags. One step maps an input `[B, D]` and a state `{ h }` to the
 * next state and an output `[B, H]`, float32 or float64.
 *
 * ## Equations
 *
 * $$
 * h_t = \tanh(x_t W_x + h_{t-1} W_h + b) \quad\text{or}\quad h_t = \max(0, \, x_t W_x + h_{t-1} W_h + b)
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
 * | parameter | `wx` | $[D, H]$ | $W_x$ |
 * | parameter | `wh` | $[H, H]$ | $W_h$ |
 * | parameter | `b` | $[H]$ | $b$ (PyTorch's `bias_ih + bias_hh`) |
 *
 * ## Variants
 *
 * | activation | name | what changes |
 * | --- | --- | --- |
 * | `tanh` (default) | `rnn` | $h_t = \tanh(\cdot)$, PyTorch's `nn.RNN` |
 * | `relu` | `rnn+relu` | $h_t = \max(0, \cdot)$, PyTorch's `nonlinearity='relu'` |
 *
 * Initialization, as PyTorch's: weights uniform in $[-1/\sqrt{H}, 1/\sqrt{H}]$,
 * bias 0. Its one probe, `h`, goes to the pre-activation.
 *
 * @param options - `inputSize` (D), `hiddenSize` (H), `dtype` (default `float32`)
 *   and `activation` (default `tanh`).
 * @returns A {@link SimpleRnnCell} named `rnn` or `rnn+relu`.
 * @throws ArgumentError - when the options are not an object, a size is not a
 *   positive integer or `dtype` is neither `float32` nor `float64` , or
 *   `activation` is unknown (naming the cell and the option); from the cell's
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
 * import { rnnCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const cell = rnnCell({ inputSize: 2, hiddenSize: 3, activation: 'relu' });
 * const [, h] = cell.step(cell.init(key(0)), cell.initialState(1), ones([1, 2]));
 * console.assert(h.toArray().every((v) => v >= 0));
 * ```
 * @category Cells
 * @function
 */
export const rnnCell: CellMaker<RnnCellOptions, SimpleRnnCell> = defineCell('rnn', (o: RnnCellOptions & { readonly dtype: DType }) => {
  const { inputSize: D, hiddenSize: H } = o;
  const activation = o.activation ?? 'tanh';
  if (!RNN_VARIANTS.includes(activation)) {
    throw new ArgumentError('rnn', 'activation', `unknown activation ${formatValue(activation)}; the simple RNN accepts ${RNN_VARIANTS.join(', ')}`);
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
