/**
 * A cell with a dense layer on its input, as one cell: {@link withDenseInput}.
 *
 * @module
 */
import { ArgumentError, checkOptions, formatValue, split as splitKey, type Key, type Tensor } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import type { Cell, GateProbes } from './cell.js';
import { checkCellArg } from './cells/common.js';
import { dense, type DenseParams, type DenseOptions } from './layers.js';

/**
 * The parameters of a {@link withDenseInput} cell: the dense layer's and the
 * inner cell's.
 *
 * @example
 * ```ts
 * import { withDenseInput, rnnCell, type DenseInputParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const cell = withDenseInput(rnnCell({ inputSize: 4, hiddenSize: 3 }), 2);
 * const p: DenseInputParams = cell.init(key(0));
 * console.assert(p.proj.w.shape.join() === '2,4');
 * ```
 * @category Cells
 */
export type DenseInputParams<P extends Tree = Tree> = { readonly proj: DenseParams; readonly cell: P };

/**
 * A cell whose input first goes through a dense layer: each step computes
 * `x' = x W + b` (`W` `[inputSize, cell.inputSize]`) and runs `cell`'s step
 * on it. Written as one cell, the projection is part of the step that `scan`
 * compiles, so the compiler schedules the two together: the projection of
 * every step runs as one product before the loop, and where the input is
 * data (it needs no gradient) the weight gradient of the projection is
 * computed as `(xᵀ dG) W_xᵀ` without forming the gradient between the two
 * layers. The tutorial model (MNIST rows, 28 pixels to 128 units, then an
 * LSTM) runs its first layer this way.
 *
 * @param cell - the cell the projected input feeds
 * @param inputSize - features per step of the raw input
 * @param options - the dense layer's options (initializers; the dtype is the cell's)
 * @returns a cell with parameters `{ proj, cell }`
 * @throws ArgumentError - when `inputSize` is not a positive integer; from the
 *   cell's `step`, when the parameters are not `{ proj, cell }`.
 * @throws ShapeError - from the cell's `step`, when the raw input is not `[batch,
 *   inputSize]`.
 *
 * @example
 * ```ts
 * import { withDenseInput, lstmCell, scan } from '@mnemo/nn';
 * import { key, zeros } from '@mnemo/core';
 * const cell = withDenseInput(lstmCell({ inputSize: 8, hiddenSize: 4 }), 3);
 * const { outputs } = scan(cell, cell.init(key(0)), zeros([2, 5, 3]));
 * console.assert(cell.inputSize === 3 && outputs.shape.join() === '2,5,4');
 * ```
 * @category Cells
 */
export function withDenseInput<P extends Tree, S extends Tree>(cell: Cell<P, S>, inputSize: number, options: Omit<DenseOptions, 'dtype'> = {}): Cell<DenseInputParams<P>, S> {
  const op = 'withDenseInput';
  checkCellArg(op, 'cell', cell);
  if (typeof inputSize !== 'number' || !Number.isInteger(inputSize) || inputSize <= 0 || inputSize > 2 ** 31 - 1) {
    throw new ArgumentError(op, 'inputSize', `must be a positive integer (at most 2^31 - 1), got ${formatValue(inputSize)}`);
  }
  checkOptions(op, 'options', options);
  return Object.freeze({
    name: `dense+${cell.name}`,
    inputSize,
    hiddenSize: cell.hiddenSize,
    outputSize: cell.outputSize,
    dtype: cell.dtype,
    gates: cell.gates,
    init(k: Key): DenseInputParams<P> {
      const [kp, kc] = splitKey(k, 2) as [Key, Key];
      return { proj: dense.init(kp, inputSize, cell.inputSize, { ...options, dtype: cell.dtype }), cell: cell.init(kc) };
    },
    initialState: (batch: number) => cell.initialState(batch),
    step(params: DenseInputParams<P>, state: S, x: Tensor, probes?: GateProbes): readonly [S, Tensor] {
      if (params === null || typeof params !== 'object' || Array.isArray(params)) {
        throw new ArgumentError(`dense+${cell.name}`, 'params', `expected { proj, cell } (from init), got ${formatValue(params)}`);
      }
      return cell.step(params.cell, state, dense.apply(params.proj, x), probes);
    },
  });
}
