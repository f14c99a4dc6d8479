/**
 * The `Cell` interface every recurrent cell implements.
 *
 * @module
 */
import type { DType, Key, Tensor } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';

/**
 * Additive probes on a cell's gate pre-activations, keyed by gate name. A cell
 * adds `probes[gate]` (shape `[batch, size of that gate]`) to the gate's
 * pre-activation before its nonlinearity. With zero probes nothing changes,
 * but the gradient with respect to a probe is the gradient with respect to
 * that gate's pre-activation at that step: this is how BPTT reports show
 * agreement per gate.
 *
 * @example
 * ```ts
 * import type { GateProbes } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * const p: GateProbes = { f: zeros([1, 4], 'float64') };
 * console.assert(p['f'] !== undefined);
 * ```
 * @category Cells
 */
export type GateProbes = Readonly<Record<string, Tensor>>;

/**
 * A recurrent cell: a value, not a class hierarchy. `init` draws parameters
 * (a pytree) from a random key; `initialState` gives the zero state for a
 * batch; `step` maps parameters, state and one time step of input
 * (`[batch, inputSize]`) to the next state and the step's output
 * (`[batch, outputSize]`). Everything is written in differentiable ops, so
 * gradients through time come from the tape.
 *
 * @example
 * ```ts
 * import type { Cell } from '@mnemo/nn';
 * import { key, zeros, type Tensor } from '@mnemo/core';
 * import { add, matmul, tanh } from '@mnemo/autodiff';
 * // A tiny cell written by hand: h' = tanh(x W + h)
 * const cell: Cell<{ w: Tensor }, Tensor> = {
 *   name: 'toy', inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64', gates: [],
 *   init: () => ({ w: zeros([2, 2], 'float64') }),
 *   initialState: (batch) => zeros([batch, 2], 'float64'),
 *   step: (p, h, x) => { const h2 = tanh(add(matmul(x, p.w), h)); return [h2, h2]; },
 * };
 * const [, y] = cell.step(cell.init(key(0)), cell.initialState(1), zeros([1, 2], 'float64'));
 * console.assert(y.shape.join() === '1,2');
 * ```
 * @category Cells
 */
export interface Cell<P extends Tree = Tree, S extends Tree = Tree> {
  /** A short name, such as `lstm`, `gru`, `lstm+cifg`. */
  readonly name: string;
  /** Features per time step of input. */
  readonly inputSize: number;
  /** Size of the recurrent hidden state. */
  readonly hiddenSize: number;
  /** Features per time step of output (differs from hiddenSize with an LSTM projection). */
  readonly outputSize: number;
  /** The dtype of parameters and states. */
  readonly dtype: DType;
  /** The gates whose pre-activations can be probed (see {@link GateProbes}), in order. */
  readonly gates: readonly string[];
  /** Draw parameters. */
  init(key: Key): P;
  /** The zero state for a batch. */
  initialState(batch: number): S;
  /** One time step: `[nextState, output]`. */
  step(params: P, state: S, x: Tensor, probes?: GateProbes): readonly [S, Tensor];
}
