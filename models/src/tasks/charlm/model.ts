/**
 * The character language model: the tutorial's time-series model
 * P(x) = prod_t P(x_t | x_1, ..., x_{t-1}), one character at a time.
 *
 * Training reads text as **many-to-many, synchronized**: an output at every
 * step, the prediction of the next character.
 *
 * ```text
 *  targets    x2      x3      x4            (cross-entropy at every step)
 *              ^       ^       ^
 *           softmax softmax softmax
 *              ^       ^       ^
 *            dense   dense   dense
 *              ^       ^       ^
 *  state --> [cell]->[cell]->[cell]--> state (carried to the next chunk)
 *              ^       ^       ^
 *            embed   embed   embed
 *              ^       ^       ^
 *  inputs     x1      x2      x3
 * ```
 *
 * Generation is **one-to-many**: prime the state with some text, then feed
 * each drawn character back as the next input ({@link CharLm.step}).
 *
 * @module
 */
import { ShapeError, formatShape, split, type DType, type Key, type Tensor } from '@mnemo/core';
import { tree } from '@mnemo/autodiff';
import {
  dense,
  embedding,
  rnn,
  stackCells,
  type DenseParams,
  type EmbeddingParams,
  type Rnn,
  type RnnLayerParams,
  type RnnLayerState,
} from '@mnemo/nn';
import { cellStack, positiveInt } from '../common/build.js';

/**
 * The shape of a {@link CharLm}.
 *
 * @example
 * ```ts
 * import type { CharLmConfig } from '@mnemo/models';
 * const c: CharLmConfig = { vocabSize: 61, embedding: 32, cell: 'lstm', hidden: 256, layers: 1 };
 * console.assert(c.layers === 1);
 * ```
 * @category Language models
 */
export interface CharLmConfig {
  /** Characters in the vocabulary (inputs and outputs). */
  readonly vocabSize: number;
  /** Width of the character embedding. */
  readonly embedding: number;
  /** The cell, as nn's `parseCellSpec` reads it: `lstm`, `gru`, `lstm+cifg`... */
  readonly cell: string;
  /** Hidden units of every recurrent layer. */
  readonly hidden: number;
  /** Recurrent layers, stacked. */
  readonly layers: number;
  /** Parameter dtype (default float32). */
  readonly dtype?: DType;
}

/**
 * A {@link CharLm}'s parameters: the embedding table, one entry per recurrent
 * layer (as nn's `rnn` lays them out) and the output layer.
 *
 * @example
 * ```ts
 * import { charLm, type CharLmParams } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const p: CharLmParams = charLm({ vocabSize: 5, embedding: 3, cell: 'gru', hidden: 4, layers: 2 }).init(key(0));
 * console.assert(p.embed.table.shape.join() === '5,3' && p.rnn.length === 2 && p.head.w.shape.join() === '4,5');
 * ```
 * @category Language models
 */
export type CharLmParams = {
  readonly embed: EmbeddingParams;
  readonly rnn: readonly RnnLayerParams[];
  readonly head: DenseParams;
};

/**
 * The recurrent state of a {@link CharLm}: one state per layer.
 *
 * @example
 * ```ts
 * import { charLm, type CharLmState } from '@mnemo/models';
 * const s: CharLmState = charLm({ vocabSize: 5, embedding: 3, cell: 'lstm', hidden: 4, layers: 1 }).initialState(2);
 * console.assert(s.length === 1);
 * ```
 * @category Language models
 */
export type CharLmState = readonly RnnLayerState[];

/**
 * A character language model built by {@link charLm}.
 *
 * @example
 * ```ts
 * import { charLm, type CharLm } from '@mnemo/models';
 * const m: CharLm = charLm({ vocabSize: 5, embedding: 3, cell: 'lstm', hidden: 4, layers: 1 });
 * console.assert(m.config.dtype === 'float32' && m.rnn.numLayers === 1);
 * ```
 * @category Language models
 */
export interface CharLm {
  /** The configuration, dtype filled in. */
  readonly config: Required<CharLmConfig>;
  /** The recurrent layers. */
  readonly rnn: Rnn;
  /** Draw parameters. */
  init(key: Key): CharLmParams;
  /** The zero state for a batch of streams. */
  initialState(batch: number): CharLmState;
  /**
   * Many-to-many, synchronized: character ids `[batch, steps]` (integers held
   * in a float tensor) from `state` to logits `[batch, steps, vocabSize]`
   * over the next character at every step, and the state after the last step.
   */
  apply(params: CharLmParams, ids: Tensor, state: CharLmState): { readonly logits: Tensor; readonly state: CharLmState };
  /** One step, for generation: ids `[batch]` to next-character logits `[batch, vocabSize]` and the new state. */
  step(params: CharLmParams, ids: Tensor, state: CharLmState): { readonly logits: Tensor; readonly state: CharLmState };
  /** The number of scalar parameters. */
  parameterCount(params: CharLmParams): number;
}

const positive = (name: string, v: unknown): number => positiveInt('charLm', name, v);

/**
 * Build a character language model: embedding, a stack of recurrent layers
 * of any cell of nn, and a dense layer to logits over the characters. The
 * tutorial LSTM runs its fused whole-sequence kernel in `apply`; `step` runs
 * the same cells one step at a time.
 *
 * @example
 * ```ts
 * import { charLm } from '@mnemo/models';
 * import { key, tensor } from '@mnemo/core';
 * const lm = charLm({ vocabSize: 6, embedding: 4, cell: 'lstm', hidden: 8, layers: 2, dtype: 'float64' });
 * const params = lm.init(key(0));
 * // many-to-many over 3 steps equals three single steps (the state carries over)
 * const ids = tensor([[1, 4, 2]], 'float64');
 * const whole = lm.apply(params, ids, lm.initialState(1));
 * let s = lm.initialState(1);
 * let last = whole.logits;
 * for (const c of [1, 4, 2]) ({ logits: last, state: s } = lm.step(params, tensor([c], 'float64'), s));
 * const a = whole.logits.toArray().slice(12), b = last.toArray();
 * console.assert(whole.logits.shape.join() === '1,3,6' && a.every((v, i) => Math.abs(v - b[i]!) < 1e-12));
 * ```
 * @category Language models
 */
export function charLm(config: CharLmConfig): CharLm {
  const V = positive('vocabSize', config.vocabSize);
  const E = positive('embedding', config.embedding);
  const H = positive('hidden', config.hidden);
  const L = positive('layers', config.layers);
  const dtype = config.dtype ?? 'float32';
  const cells = cellStack(config.cell, L, E, H, dtype);
  const layers = rnn({ cells });
  const stepper = stackCells(cells);
  const checkIds = (op: string, ids: Tensor, rank: number): void => {
    if (ids.rank !== rank) throw new ShapeError(op, 'ids', `expected ${rank === 2 ? '[batch, steps]' : '[batch]'} character ids, got ${formatShape(ids.shape)}`);
  };

  return Object.freeze({
    config: Object.freeze({ vocabSize: V, embedding: E, cell: config.cell, hidden: H, layers: L, dtype }),
    rnn: layers,
    init(k: Key): CharLmParams {
      const [ke, kr, kh] = split(k, 3) as [Key, Key, Key];
      return { embed: embedding.init(ke, V, E, { dtype }), rnn: layers.init(kr), head: dense.init(kh, layers.outputSize, V, { dtype }) };
    },
    initialState: (batch: number): CharLmState => layers.initialState(batch),
    apply(params: CharLmParams, ids: Tensor, state: CharLmState) {
      checkIds('charLm.apply', ids, 2);
      const x = embedding.apply(params.embed, ids); //                           [B, T, E]
      const { outputs, finalState } = layers.apply(params.rnn, x, { initialState: state }); // [B, T, H]
      return { logits: dense.apply(params.head, outputs), state: finalState }; // [B, T, V]
    },
    step(params: CharLmParams, ids: Tensor, state: CharLmState) {
      checkIds('charLm.step', ids, 1);
      const x = embedding.apply(params.embed, ids); //                           [B, E]
      const [s, h] = stepper.step(
        params.rnn.map((p) => p.fwd),
        state.map((s0) => s0.fwd),
        x,
      ); //                                                                       [B, H]
      return { logits: dense.apply(params.head, h), state: s.map((fwd) => ({ fwd })) }; // [B, V]
    },
    parameterCount: (params: CharLmParams) => tree.leaves(params).reduce((n, t) => n + t.size, 0),
  });
}
