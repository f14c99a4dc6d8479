/**
 * MUT1, MUT2 and MUT3, the three architectures found by the evolutionary
 * search of Jozefowicz, Zaremba & Sutskever (2015, "An Empirical Exploration
 * of Recurrent Network Architectures").
 *
 * @module
 */
import { ArgumentError, split as splitKey, zeros, type DType, type Key, type Tensor } from '@mnemo/core';
import { add, concat, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
import type { GateProbes } from '../cell.js';
import { checkCellSizes, defineCell, probe, splitColumns, type GatedCell } from './common.js';
import type { HiddenState } from './gru.js';
import { recurrentUniform } from './init.js';

/**
 * Which MUT.
 *
 * @example
 * ```ts
 * import type { MutKind } from '@mnemo/nn';
 * const k: MutKind = 'mut2';
 * console.assert(k.startsWith('mut'));
 * ```
 * @category Cells
 */
export type MutKind = 'mut1' | 'mut2' | 'mut3';

/**
 * Options of {@link mutCell}. `inputProjection` matters for MUT1 and MUT2,
 * whose equations add the raw input to an H-sized vector and so need
 * inputSize = hiddenSize: `auto` (the default) learns a projection
 * `x W_p` (`W_p` `[inputSize, H]`, no bias) only when the sizes differ;
 * `true` always learns one; `false` never does (and then the sizes must be
 * equal). MUT3 needs no projection and rejects `true`.
 *
 * @example
 * ```ts
 * import { mutCell, type MutOptions } from '@mnemo/nn';
 * const o: MutOptions = { kind: 'mut1', inputSize: 2, hiddenSize: 3 };
 * console.assert(mutCell(o).inputProjection);
 * ```
 * @category Cells
 */
export interface MutOptions {
  readonly kind: MutKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Parameter and state dtype (default float32). */
  readonly dtype?: DType;
  /** See above; default `auto`. */
  readonly inputProjection?: boolean | 'auto';
}

/**
 * A MUT's parameters (H the hidden size). `wx` holds all input weights,
 * `b` `[3H]` the biases of the blocks `z, r, n`; the recurrent matrices are
 * named after the paper's `W_hz`, `W_hr`, `W_hh`.
 *
 * - MUT1: `wx` `[D, 2H]` (`z, r`), `whr`, `whh` `[H, H]`, and `wp` `[D, H]` with a projection;
 * - MUT2: `wx` `[D, 2H]` (`z, n`), or `[D, 3H]` (`z, r, n`) with a projection,
 *   whose middle block is then `W_p`; `whz`, `whr`, `whh` `[H, H]`;
 * - MUT3: `wx` `[D, 3H]` (`z, r, n`); `whz`, `whr`, `whh` `[H, H]`.
 *
 * @example
 * ```ts
 * import { mutCell, type MutParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: MutParams = mutCell({ kind: 'mut3', inputSize: 2, hiddenSize: 3 }).init(key(0));
 * console.assert(p.wx.shape.join() === '2,9' && p.whz!.shape.join() === '3,3');
 * ```
 * @category Cells
 */
export type MutParams = {
  readonly wx: Tensor;
  readonly b: Tensor;
  readonly whz?: Tensor;
  readonly whr: Tensor;
  readonly whh: Tensor;
  readonly wp?: Tensor;
};

/**
 * A MUT cell; `inputProjection` tells whether it learns `W_p`.
 *
 * @example
 * ```ts
 * import { mutCell, type MutCell } from '@mnemo/nn';
 * const c: MutCell = mutCell({ kind: 'mut2', inputSize: 3, hiddenSize: 3 });
 * console.assert(!c.inputProjection && c.kind === 'mut2');
 * ```
 * @category Cells
 */
export interface MutCell extends GatedCell<MutParams, HiddenState> {
  readonly kind: MutKind;
  readonly inputProjection: boolean;
}

/**
 * The MUT architectures of Jozefowicz et al. (2015). With x = x(t),
 * h = h(t), `*` elementwise and `^x` the input as it enters an H-sized sum
 * (x itself when inputSize = hiddenSize, else the learned projection `x W_p`):
 *
 * ```text
 * MUT1: z  = sigmoid(x W_xz + b_z)
 *       r  = sigmoid(x W_xr + h W_hr + b_r)
 *       h' = tanh((r * h) W_hh + tanh(^x) + b_h) * z + h * (1 - z)
 *
 * MUT2: z  = sigmoid(x W_xz + h W_hz + b_z)
 *       r  = sigmoid(^x + h W_hr + b_r)
 *       h' = tanh((r * h) W_hh + x W_xh + b_h) * z + h * (1 - z)
 *
 * MUT3: z  = sigmoid(x W_xz + tanh(h) W_hz + b_z)
 *       r  = sigmoid(x W_xr + h W_hr + b_r)
 *       h' = tanh((r * h) W_hh + x W_xh + b_h) * z + h * (1 - z)
 * ```
 *
 * Only the terms written `^x` use the projection; every other term reads x
 * through its own matrix, as in the paper. Note that with a projection
 * MUT2's reset gate becomes an ordinary gate (`x W_p + h W_hr + b_r`).
 * Weights uniform in `[-1/sqrt(H), 1/sqrt(H)]`, biases 0. Probes go to the
 * pre-activations of `z`, `r` and `n` (the tanh's argument).
 *
 * @example
 * ```ts
 * import { mutCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const cell = mutCell({ kind: 'mut1', inputSize: 4, hiddenSize: 4 });
 * const [, h] = cell.step(cell.init(key(0)), cell.initialState(1), ones([1, 4]));
 * console.assert(!cell.inputProjection && h.shape.join() === '1,4');
 * ```
 * @category Cells
 */
export function mutCell(options: MutOptions): MutCell {
  if (options === null || typeof options !== 'object') throw new ArgumentError('mut', 'options', 'expected { kind, inputSize, hiddenSize, ... }');
  const kind = options.kind;
  if (kind !== 'mut1' && kind !== 'mut2' && kind !== 'mut3') {
    throw new ArgumentError('mut', 'kind', `unknown MUT '${String(kind)}'; expected mut1, mut2 or mut3`);
  }
  const { inputSize: D, hiddenSize: H } = options;
  checkCellSizes(kind, D, H);
  const dtype = options.dtype ?? 'float32';
  const ip = options.inputProjection ?? 'auto';
  if (ip !== 'auto' && typeof ip !== 'boolean') throw new ArgumentError(kind, 'inputProjection', `expected true, false or 'auto', got ${String(ip)}`);
  let proj = false;
  if (kind === 'mut3') {
    if (ip === true) throw new ArgumentError(kind, 'inputProjection', 'MUT3 adds no raw input to a hidden-sized vector, so it has no input projection');
  } else {
    proj = ip === 'auto' ? D !== H : ip;
    if (!proj && D !== H) {
      throw new ArgumentError(kind, 'inputProjection', `${kind} adds the input to a hidden-sized vector, so without a projection inputSize (${D}) must equal hiddenSize (${H})`);
    }
  }

  const shapes: Record<string, number[]> = { b: [3 * H], whr: [H, H], whh: [H, H] };
  if (kind === 'mut1') {
    shapes['wx'] = [D, 2 * H];
    if (proj) shapes['wp'] = [D, H];
  } else if (kind === 'mut2') {
    shapes['wx'] = [D, (proj ? 3 : 2) * H];
    shapes['whz'] = [H, H];
  } else {
    shapes['wx'] = [D, 3 * H];
    shapes['whz'] = [H, H];
  }

  const init = (k: Key): MutParams => {
    const keys = splitKey(k, 5);
    const p: Record<string, Tensor> = { b: zeros([3 * H], dtype) };
    ['wx', 'whz', 'whr', 'whh', 'wp'].forEach((n, j) => {
      const shape = shapes[n];
      if (shape !== undefined) p[n] = recurrentUniform(keys[j]!, shape, H, dtype);
    });
    return p as MutParams;
  };

  // The input-only part of the three pre-activations, [z | r | n], biases included.
  const inputPart = (p: MutParams, x: Tensor): Tensor => {
    const xw = matmul(x, p.wx);
    let parts: Tensor;
    if (kind === 'mut1') {
      const [xz, xr] = splitColumns(xw, [H, H]) as [Tensor, Tensor];
      parts = concat([xz, xr, tanh(proj ? matmul(x, p.wp!) : x)], -1);
    } else if (kind === 'mut2') {
      if (proj) parts = xw;
      else {
        const [xz, xn] = splitColumns(xw, [H, H]) as [Tensor, Tensor];
        parts = concat([xz, x, xn], -1);
      }
    } else parts = xw;
    return add(parts, p.b);
  };

  const core = (p: MutParams, s: HiddenState, xPart: Tensor, probes: GateProbes | undefined, report: boolean) => {
    const h = s.h;
    const [xz, xr, xn] = splitColumns(xPart, [H, H, H]) as [Tensor, Tensor, Tensor];
    // Update gate z: MUT1 from the input only, MUT2 also from h, MUT3 from tanh(h).
    const zPre = kind === 'mut1' ? xz : add(xz, matmul(kind === 'mut3' ? tanh(h) : h, p.whz!));
    const z = sigmoid(probe(zPre, probes, 'z'));
    // Reset gate r: from the input and h.
    const r = sigmoid(probe(add(xr, matmul(h, p.whr)), probes, 'r'));
    // Candidate from the reset-scaled state.
    const n = tanh(probe(add(matmul(mul(r, h), p.whh), xn), probes, 'n'));
    const h2 = add(mul(n, z), mul(h, sub(1, z)));
    return { state: { h: h2 }, output: h2, gates: (report ? { z, r, n } : {}) as Record<string, Tensor> };
  };

  const cell = defineCell<MutParams, HiddenState>({
    name: kind,
    inputSize: D,
    hiddenSize: H,
    outputSize: H,
    dtype,
    gates: ['z', 'r', 'n'],
    gateSize: H,
    paramShapes: shapes,
    stateSizes: { h: H },
    inputPartSize: 3 * H,
    init,
    inputPart,
    core,
  });
  return Object.freeze({ ...cell, kind, inputProjection: proj });
}
