/**
 * A {@link GatedCell} view of a cell written against the bare {@link Cell}
 * interface (internal): its input part is the input itself, so the sequence
 * members run its own `step`.
 *
 * @module
 */
import { DTypeError, ShapeError, Tensor, formatShape, formatValue } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import type { Cell } from '../cell.js';
import type { GatedCell } from './common.js';

/**
 * `cell` with the members of {@link GatedCell}: `projectInputs` returns the
 * (checked) inputs, `stepProjected` is `step`, and `inspect` reports no gate
 * activations (the cell has no way to tell them).
 * @internal
 */
export function gatedCell<P extends Tree, S extends Tree>(cell: Cell<P, S>): GatedCell<P, S> {
  const { name, inputSize, dtype } = cell;
  return Object.freeze({
    name,
    inputSize,
    hiddenSize: cell.hiddenSize,
    outputSize: cell.outputSize,
    dtype,
    gates: cell.gates,
    inputPartSize: inputSize,
    init: (k) => cell.init(k),
    initialState: (batch) => cell.initialState(batch),
    step: (p, s, x, probes) => cell.step(p, s, x, probes),
    stepProjected: (p, s, x, probes) => cell.step(p, s, x, probes),
    inspect(p, s, x, probes) {
      const [state, output] = cell.step(p, s, x, probes);
      return { gates: {}, state, output };
    },
    projectInputs(_p, xs) {
      if (!(xs instanceof Tensor) || xs.rank !== 3) {
        throw new ShapeError(name, 'xs', `expected a sequence [batch, steps, ${inputSize}], got ${xs instanceof Tensor ? formatShape(xs.shape) : formatValue(xs)}`);
      }
      if (xs.shape[2] !== inputSize) throw new ShapeError(name, 'xs', `has ${xs.shape[2]} features per step (shape ${formatShape(xs.shape)}), but the cell's inputSize is ${inputSize}`);
      if (xs.dtype !== dtype) throw new DTypeError(name, 'xs', `is ${xs.dtype}, the cell is ${dtype}; cast the input first`);
      return xs;
    },
  } satisfies GatedCell<P, S>);
}
