/**
 * MUT1, MUT2 and MUT3, the three architectures found by the evolutionary
 * search of Jozefowicz, Zaremba & Sutskever (2015, "An Empirical Exploration
 * of Recurrent Network Architectures").
 *
 * @module
 */
import { ArgumentError, formatValue, type DType, type Tensor } from '@mnemo/core';
import { add, concat, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
import * as init from '../init.js';
import { splitColumns } from './common.js';
import { defineCell, type CellMaker, type CellOptions, type DefinedCell, type GateContext } from './define.js';
import type { HiddenState } from './gru.js';

/**
 * Which of the three MUT architectures of Jozefowicz et al. (2015) to make:
 * `mut1`, `mut2` or `mut3`.
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
export interface MutOptions extends CellOptions {
  readonly kind: MutKind;
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
export interface MutCell extends DefinedCell<MutParams, HiddenState, 'z' | 'r' | 'n'> {
  readonly kind: MutKind;
  readonly inputProjection: boolean;
}

/**
 * Make one of MUT1, MUT2 and MUT3, the three architectures that the
 * evolutionary search of Jozefowicz, Zaremba & Sutskever (2015) found to match
 * or beat the LSTM on some tasks: one step maps an input `[B, D]` and a state
 * `{ h }` to the next state and an output `[B, H]`, float32 or float64.
 *
 * ## Equations
 *
 * $\hat{x}_t$ is the input as it enters an $H$-sized sum: $x_t$ itself when
 * $D = H$, else a learned projection $x_t W_p$ (no bias). Every other term
 * reads $x_t$ through its own matrix, as in the paper.
 *
 * $$
 * \begin{aligned}
 * \text{MUT1:}\quad z_t &= \sigma(x_t W_{xz} + b_z) \\
 * r_t &= \sigma(x_t W_{xr} + h_{t-1} W_{hr} + b_r) \\
 * h_t &= \tanh\big((r_t \odot h_{t-1}) W_{hh} + \tanh(\hat{x}_t) + b_h\big) \odot z_t + h_{t-1} \odot (1 - z_t) \\[6pt]
 * \text{MUT2:}\quad z_t &= \sigma(x_t W_{xz} + h_{t-1} W_{hz} + b_z) \\
 * r_t &= \sigma(\hat{x}_t + h_{t-1} W_{hr} + b_r) \\
 * h_t &= \tanh\big((r_t \odot h_{t-1}) W_{hh} + x_t W_{xh} + b_h\big) \odot z_t + h_{t-1} \odot (1 - z_t) \\[6pt]
 * \text{MUT3:}\quad z_t &= \sigma(x_t W_{xz} + \tanh(h_{t-1}) W_{hz} + b_z) \\
 * r_t &= \sigma(x_t W_{xr} + h_{t-1} W_{hr} + b_r) \\
 * h_t &= \tanh\big((r_t \odot h_{t-1}) W_{hh} + x_t W_{xh} + b_h\big) \odot z_t + h_{t-1} \odot (1 - z_t)
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
 * | parameter | `wx` | $[D, 2H]$ or $[D, 3H]$ | MUT1 $[W_{xz} \; W_{xr}]$; MUT2 $[W_{xz} \; W_{xh}]$, with a projection $[W_{xz} \; W_p \; W_{xh}]$; MUT3 $[W_{xz} \; W_{xr} \; W_{xh}]$ |
 * | parameter | `whz` | $[H, H]$ | $W_{hz}$ (MUT2, MUT3) |
 * | parameter | `whr` | $[H, H]$ | $W_{hr}$ |
 * | parameter | `whh` | $[H, H]$ | $W_{hh}$ |
 * | parameter | `wp` | $[D, H]$ | $W_p$, MUT1 with a projection |
 * | parameter | `b` | $[3H]$ | $[b_z \; b_r \; b_h]$ |
 *
 * ## Variants
 *
 * | kind | name | what differs |
 * | --- | --- | --- |
 * | `mut1` | `mut1` | $z_t$ from the input alone; the raw input $\tanh(\hat{x}_t)$ enters the candidate |
 * | `mut2` | `mut2` | $z_t$ also from $h_{t-1}$; the raw input $\hat{x}_t$ enters the reset gate |
 * | `mut3` | `mut3` | $z_t$ from $\tanh(h_{t-1})$; no raw input, so no projection |
 *
 * `inputProjection`: `auto` (default) learns $W_p$ only when $D \ne H$,
 * `true` always, `false` never (then MUT1 and MUT2 need $D = H$). With a
 * projection, MUT2's reset gate becomes an ordinary gate
 * ($x_t W_p + h_{t-1} W_{hr} + b_r$). Initialization: weights uniform in
 * $[-1/\sqrt{H}, 1/\sqrt{H}]$, biases 0. Probes go to the pre-activations of
 * `z`, `r` and `n` (the argument of the last tanh).
 *
 * @param options - `kind` (`mut1`, `mut2` or `mut3`), `inputSize` (D),
 *   `hiddenSize` (H), `dtype` (default `float32`) and `inputProjection` (default
 *   `auto`).
 * @returns A {@link MutCell} named after its kind.
 * @throws ArgumentError - when the options are not an object, a size is not a
 *   positive integer or `dtype` is neither `float32` nor `float64` , `kind` is not
 *   `mut1`, `mut2` or `mut3`, `inputProjection` is not `true`, `false` or `auto`,
 *   MUT3 is asked for a projection, or MUT1 or MUT2 has none while $D \ne H$
 *   (naming the cell and the option); from the cell's `step`, when the state or
 *   parameters lack an entry or hold one the cell does not have, or a probe names
 *   no gate.
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
 * import { mutCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const cell = mutCell({ kind: 'mut1', inputSize: 4, hiddenSize: 4 });
 * const [, h] = cell.step(cell.init(key(0)), cell.initialState(1), ones([1, 4]));
 * console.assert(!cell.inputProjection && h.shape.join() === '1,4');
 * ```
 * @category Cells
 */
export function mutCell(options: MutOptions): MutCell {
  if (options === null || typeof options !== 'object') throw new ArgumentError('mut', 'options', `expected { kind, inputSize, hiddenSize, ... }, got ${formatValue(options)}`);
  const kind = options.kind;
  if (kind !== 'mut1' && kind !== 'mut2' && kind !== 'mut3') {
    throw new ArgumentError('mut', 'kind', `unknown MUT ${formatValue(kind)}; expected mut1, mut2 or mut3`);
  }
  return MUTS[kind](options);
}

/** The three definitions, one family each: MUT1 and MUT2 decide their input projection, MUT3 has none. */
const MUTS: Readonly<Record<MutKind, CellMaker<MutOptions, MutCell>>> = {
  mut1: defineCell('mut1', (o: MutOptions & { readonly dtype: DType }) => mutBlueprint('mut1', o)),
  mut2: defineCell('mut2', (o: MutOptions & { readonly dtype: DType }) => mutBlueprint('mut2', o)),
  mut3: defineCell('mut3', (o: MutOptions & { readonly dtype: DType }) => mutBlueprint('mut3', o)),
};

function mutBlueprint(kind: MutKind, o: MutOptions & { readonly dtype: DType }) {
  const { inputSize: D, hiddenSize: H } = o;
  const ip = o.inputProjection ?? 'auto';
  if (ip !== 'auto' && typeof ip !== 'boolean') throw new ArgumentError(kind, 'inputProjection', `expected true, false or 'auto', got ${formatValue(ip)}`);
  let proj = false;
  if (kind === 'mut3') {
    if (ip === true) throw new ArgumentError(kind, 'inputProjection', 'MUT3 adds no raw input to a hidden-sized vector, so it has no input projection');
  } else {
    proj = ip === 'auto' ? D !== H : ip;
    if (!proj && D !== H) {
      throw new ArgumentError(kind, 'inputProjection', `${kind} adds the input to a hidden-sized vector, so without a projection inputSize (${D}) must equal hiddenSize (${H})`);
    }
  }
  const u = init.rnnUniform(H);
  const matrix = (rows: number, cols: number) => ({ shape: [rows, cols], init: u });

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

  return {
    gates: ['z', 'r', 'n'] as const,
    params: {
      // MUT1: [W_xz W_xr]; MUT2: [W_xz W_xh], or [W_xz W_p W_xh] with a projection; MUT3: [W_xz W_xr W_xh].
      wx: matrix(D, (kind === 'mut3' || (kind === 'mut2' && proj) ? 3 : 2) * H),
      whz: kind === 'mut1' ? undefined : matrix(H, H),
      whr: matrix(H, H),
      whh: matrix(H, H),
      wp: kind === 'mut1' && proj ? matrix(D, H) : undefined,
      b: { shape: [3 * H], init: init.zeros }, // [b_z b_r b_h]
    },
    state: { h: H },
    inputPartSize: 3 * H,
    inputPart,
    step(p: MutParams, { h }: HiddenState, xPart: Tensor, gate: GateContext<'z' | 'r' | 'n'>): readonly [HiddenState, Tensor] {
      const [xz, xr, xn] = splitColumns(xPart, [H, H, H]) as [Tensor, Tensor, Tensor];
      // Update gate z: MUT1 from the input only, MUT2 also from h, MUT3 from tanh(h).
      const z = gate('z', sigmoid, kind === 'mut1' ? xz : add(xz, matmul(kind === 'mut3' ? tanh(h) : h, p.whz!)));
      // Reset gate r: from the input and h.
      const r = gate('r', sigmoid, add(xr, matmul(h, p.whr)));
      // Candidate from the reset-scaled state.
      const n = gate('n', tanh, add(matmul(mul(r, h), p.whh), xn));
      const h2 = add(mul(n, z), mul(h, sub(1, z)));
      return [{ h: h2 }, h2];
    },
    extra: { kind, inputProjection: proj },
  };
}
