/**
 * The sequence models mnemo trains: an optional dense input projection, a
 * stack of recurrent layers of any cell of nn, and a dense layer on the last
 * step's output. The tutorial's MNIST model ({@link rowLstm}) is one of them.
 *
 * ```text
 * x [B, T, F] --dense F->P--> [B, T, P]
 *             --recurrent layers (scan, compiled)--> [B, T, H]
 *             --last step--> [B, H] --dense H->K--> [B, K]
 * ```
 *
 * The projection is part of the first layer's cell (`withDenseInput`), so
 * the compiled scan runs the two together: all steps' projections in one
 * product before the loop, and, since the inputs are data, the
 * projection's weight gradient as `(xᵀ dG) W_xᵀ`, without forming the
 * gradient between the layers.
 *
 * @module
 */
import { ArgumentError, key, split, zeros, type DType, type Key, type Tensor } from '@mnemo/core';
import { index, tree, type Tree } from '@mnemo/autodiff';
import { dense, init, rnn, scan, withDenseInput, type Cell, type DenseParams, type MakeCellOptions, type Rnn, type RnnLayerParams } from '@mnemo/nn';
import { cellStack } from '../common/build.js';

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The shape of a {@link SequenceModel}.
 *
 * @example
 * ```ts
 * import type { SequenceModelConfig } from '@mnemo/models';
 * const c: SequenceModelConfig = { inputSize: 2, outputSize: 1, projection: 0, cell: 'gru', hidden: 32, layers: 1 };
 * console.assert(c.cell === 'gru');
 * ```
 * @category Models
 */
export interface SequenceModelConfig {
  /** Features per input step. */
  readonly inputSize: number;
  /** Outputs (classes or values) per sequence. */
  readonly outputSize: number;
  /** Width of the dense input projection applied to every step; 0 for none. */
  readonly projection: number;
  /** The cell, as `parseCellSpec` in nn reads it: `lstm`, `lstm+cifg`, `gru --variant reset-after`, `rnn+relu`... */
  readonly cell: string;
  /** Hidden units of every recurrent layer. */
  readonly hidden: number;
  /** Recurrent layers, stacked. */
  readonly layers: number;
  /** The dtype of parameters (default float32). */
  readonly dtype?: DType;
  /** LSTM only: projection size of the hidden state (0: none). */
  readonly projSize?: number;
  /** LSTM only: layer normalization. */
  readonly layerNorm?: boolean;
  /** LSTM only: initial forget-gate bias (default: nn's, 1). */
  readonly forgetBias?: number;
  /**
   * Compile the recurrent layers (`scan`'s default, true): the cell's step and
   * its backward pass run as one program per sequence. False runs the same
   * equations step by step on the tape (`--no-fused` on the command line).
   */
  readonly fused?: boolean;
}

/**
 * The parameters of a {@link SequenceModel}: `proj` (absent without a
 * projection), one entry per recurrent layer in `rnn` (as nn's `rnn` lays them
 * out), and the output layer `head`.
 *
 * @example
 * ```ts
 * import { sequenceModel, type SequenceModelParams } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const p: SequenceModelParams = sequenceModel({ inputSize: 3, outputSize: 2, projection: 0, cell: 'rnn', hidden: 4, layers: 2 }).init(key(0));
 * console.assert(p.proj === undefined && p.rnn.length === 2);
 * ```
 * @category Models
 */
export type SequenceModelParams = {
  /** The dense input projection `{ w [inputSize, projection], b }`, absent without one. */
  readonly proj?: DenseParams;
  /** One entry per recurrent layer: `{ fwd: <the cell's parameters> }`. */
  readonly rnn: readonly RnnLayerParams[];
  /** The output layer `{ w [hidden, outputSize], b }`. */
  readonly head: DenseParams;
};

/**
 * A sequence model: `init` draws parameters, `apply` maps inputs
 * `[batch, steps, inputSize]` to outputs `[batch, outputSize]` (logits or
 * values), differentiably.
 *
 * @example
 * ```ts
 * import { sequenceModel, type SequenceModel } from '@mnemo/models';
 * import { key, zeros } from '@mnemo/core';
 * const m: SequenceModel = sequenceModel({ inputSize: 2, outputSize: 1, projection: 0, cell: 'lstm', hidden: 8, layers: 1 });
 * console.assert(m.apply(m.init(key(0)), zeros([5, 7, 2])).shape.join() === '5,1');
 * ```
 * @category Models
 */
export interface SequenceModel {
  /** The configuration, with defaults filled in. */
  readonly config: Required<Omit<SequenceModelConfig, 'projSize' | 'layerNorm' | 'forgetBias'>> &
    Pick<SequenceModelConfig, 'projSize' | 'layerNorm' | 'forgetBias'>;
  /** The recurrent layers. */
  readonly rnn: Rnn;
  /** Draw parameters: dense layers as PyTorch's `nn.Linear`, cells as nn's defaults. */
  init(key: Key): SequenceModelParams;
  /** Outputs `[batch, outputSize]` for inputs `[batch, steps, inputSize]`. */
  apply(params: SequenceModelParams, x: Tensor): Tensor;
  /** The number of scalar parameters. */
  parameterCount(): number;
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const positive = (op: string, name: string, v: unknown, min = 1): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ArgumentError(op, name, `must be an integer >= ${min}, got ${String(v)}`);
  return v;
};

/**
 * PyTorch's `nn.Linear` default: weight and bias uniform in
 * `[-1/sqrt(fanIn), 1/sqrt(fanIn)]`.
 */
function linearInit(k: Key, inSize: number, outSize: number, dtype: DType): DenseParams {
  const bound = 1 / Math.sqrt(inSize);
  const u = init.uniform(-bound, bound);
  return dense.init(k, inSize, outSize, { init: u, biasInit: u, dtype });
}

/**
 * Build a {@link SequenceModel}. The cell name is parsed by nn (an unknown
 * cell or variant throws an error listing what is allowed); every layer uses
 * the same cell with `hidden` units, the first reading the projection (or the
 * input), the others the layer below.
 *
 * @example
 * ```ts
 * import { sequenceModel } from '@mnemo/models';
 * import { key, ones } from '@mnemo/core';
 * const m = sequenceModel({ inputSize: 4, outputSize: 3, projection: 6, cell: 'gru', hidden: 5, layers: 2, dtype: 'float64' });
 * const y = m.apply(m.init(key(1)), ones([2, 3, 4], 'float64'));
 * console.assert(y.shape.join() === '2,3' && y.dtype === 'float64' && m.rnn.numLayers === 2);
 * ```
 * @category Models
 */
export function sequenceModel(config: SequenceModelConfig): SequenceModel {
  const op = 'sequenceModel';
  const inputSize = positive(op, 'inputSize', config.inputSize);
  const outputSize = positive(op, 'outputSize', config.outputSize);
  const projection = positive(op, 'projection', config.projection, 0);
  const hidden = positive(op, 'hidden', config.hidden);
  const layers = positive(op, 'layers', config.layers);
  const dtype = config.dtype ?? 'float32';
  const fused = config.fused ?? true;
  const lstmOptions: Partial<MakeCellOptions> = {
    ...(config.projSize === undefined ? {} : { projSize: config.projSize }),
    ...(config.layerNorm === undefined ? {} : { layerNorm: config.layerNorm }),
    ...(config.forgetBias === undefined ? {} : { forgetBias: config.forgetBias }),
  };
  const cells = cellStack(config.cell, layers, projection > 0 ? projection : inputSize, hidden, dtype, lstmOptions);
  const stack = rnn({ cells });
  const top = stack.outputSize;
  // With a projection, the first layer's cell takes it as part of its step, so that the compiled scan
  // runs the two together (the projection's weight gradient then never forms the gradient between them).
  const first = projection > 0 ? withDenseInput(cells[0]!, inputSize) : cells[0]!;

  const model: SequenceModel = {
    config: Object.freeze({ ...config, inputSize, outputSize, projection, hidden, layers, dtype, fused }),
    rnn: stack,
    init(k: Key): SequenceModelParams {
      const [kp, kr, kh] = split(k, 3) as [Key, Key, Key];
      const head = linearInit(kh, top, outputSize, dtype);
      const layersParams = stack.init(kr);
      return projection > 0 ? { proj: linearInit(kp, inputSize, projection, dtype), rnn: layersParams, head } : { rnn: layersParams, head };
    },
    apply(params: SequenceModelParams, x: Tensor): Tensor {
      let y = x;
      params.rnn.forEach((layer, l) => {
        const [cell, p] = l === 0 && params.proj !== undefined ? [first, { proj: params.proj, cell: layer.fwd }] : [cells[l]!, layer.fwd];
        y = scan(cell as Cell<Tree, Tree>, p as Tree, y, { compile: fused }).outputs;
      });
      return dense.apply(params.head, index(y, 1, y.shape[1]! - 1));
    },
    parameterCount(): number {
      count ??= tree.leaves(model.init(key(0))).reduce((n, leaf) => n + leaf.size, 0);
      return count;
    },
  };
  let count: number | undefined;
  return Object.freeze(model);
}

/**
 * The tutorial's MNIST model: rows of 28 pixels, a dense projection 28 -> 128,
 * an LSTM with 128 hidden units (no peepholes, forget-gate bias 1; the
 * projection and the LSTM compiled together), and a dense layer 128 -> 10 on
 * the last hidden state. `overrides` changes any part (another cell, hidden size, dtype...).
 *
 * @example
 * ```ts
 * import { rowLstm } from '@mnemo/models';
 * const m = rowLstm();
 * // 28*128+128 + (128*512 + 128*512 + 512) + 128*10+10
 * console.assert(m.parameterCount() === 3712 + 131584 + 1290 && m.config.cell === 'lstm');
 * ```
 * @category Models
 */
export function rowLstm(overrides: Partial<SequenceModelConfig> = {}): SequenceModel {
  return sequenceModel({ inputSize: 28, outputSize: 10, projection: 128, cell: 'lstm', hidden: 128, layers: 1, dtype: 'float32', ...overrides });
}

