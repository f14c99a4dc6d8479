/**
 * Training the character language model with truncated backpropagation
 * through time, and scoring it in bits per character.
 *
 * The training text is cut into `batch` contiguous streams read side by side;
 * each update reads the next `chunk` characters of every stream, starting
 * from the state the previous chunk ended in (its gradient stopped there, by
 * nn's `truncatedBptt`), so the model sees context far beyond one chunk while
 * gradients reach back at most `chunk` steps. Every epoch starts from zero
 * states at a fresh random offset, so chunk boundaries move.
 *
 * @module
 */
import { ArgumentError, foldIn, key as keyOf, randint, tensor, unsafeDataOf, type DType, type Key, type Tensor } from '@mnemo/core';
import { reshape, sliceAxis, valueAndGrad } from '@mnemo/autodiff';
import { accuracy, adam, clipByGlobalNorm, globalNorm, schedules, softmaxCrossEntropy, truncatedBptt } from '@mnemo/nn';
import { charLm, type CharLm, type CharLmParams, type CharLmState } from './model.js';
import type { Vocabulary } from './vocab.js';

/**
 * What {@link trainCharLm} needs: the model's shape and the schedule.
 *
 * @example
 * ```ts
 * import { CHARLM_DEFAULTS, type CharLmTrainOptions } from '@mnemo/models';
 * const o: CharLmTrainOptions = { ...CHARLM_DEFAULTS, steps: 10 };
 * console.assert(o.chunk === CHARLM_DEFAULTS.chunk);
 * ```
 * @category Language models
 */
export interface CharLmTrainOptions {
  /** The cell (nn's cell names: `lstm`, `gru`, `lstm+cifg`...). */
  readonly cell: string;
  readonly hidden: number;
  readonly layers: number;
  /** Width of the character embedding. */
  readonly embedding: number;
  readonly dtype: DType;
  /** Optimizer updates (one per chunk). */
  readonly steps: number;
  /** Streams read side by side. */
  readonly batch: number;
  /** Characters per chunk: how far back gradients reach. */
  readonly chunk: number;
  /** Adam's learning rate, decayed to a tenth by a cosine over the run. */
  readonly lr: number;
  /** Clip the gradients' global norm to this (0: no clipping). */
  readonly clip: number;
  /** Seeds the parameters and the data order. */
  readonly seed: number;
  /** Score the validation texts every this many steps (and at the end). */
  readonly evalEvery: number;
}

/**
 * The defaults of `mnemo train charlm`: a one-layer LSTM of 128 units over
 * 32-dimensional embeddings, 32 streams, chunks of 64 characters, Adam at
 * 1e-2 with a cosine decay to 1e-3, gradients clipped at norm 5, 600 steps
 * (about 14 passes over the training sonnets; 2.36 bits per character on the
 * validation sonnets, about 9 minutes on a busy 2-core machine).
 *
 * @example
 * ```ts
 * import { CHARLM_DEFAULTS } from '@mnemo/models';
 * console.assert(CHARLM_DEFAULTS.cell === 'lstm' && CHARLM_DEFAULTS.batch === 32);
 * ```
 * @category Language models
 */
export const CHARLM_DEFAULTS: CharLmTrainOptions = Object.freeze({
  cell: 'lstm',
  hidden: 128,
  layers: 1,
  embedding: 32,
  dtype: 'float32',
  steps: 600,
  batch: 32,
  chunk: 64,
  lr: 1e-2,
  clip: 5,
  seed: 0,
  evalEvery: 100,
});

/**
 * What the training loop reports: after every update the step (counted from
 * 1) and the chunk's loss in bits per character; after each evaluation also
 * the validation bits per character.
 *
 * @example
 * ```ts
 * import type { CharLmStepInfo } from '@mnemo/models';
 * const i: CharLmStepInfo = { step: 1, trainBpc: 5.9, trainAccuracy: 0.02, gradNorm: 1.2 };
 * console.assert(i.validBpc === undefined);
 * ```
 * @category Language models
 */
export interface CharLmStepInfo {
  readonly step: number;
  readonly trainBpc: number;
  /** The fraction of the chunk's next characters the model ranked first. */
  readonly trainAccuracy: number;
  /** The gradients' global norm before clipping. */
  readonly gradNorm: number;
  readonly validBpc?: number;
}

/**
 * A trained character language model and how it got there.
 *
 * @example
 * ```ts
 * import type { CharLmResult } from '@mnemo/models';
 * const show = (r: CharLmResult): string => `${r.validBpc.toFixed(3)} bits/char`;
 * console.assert(typeof show === 'function');
 * ```
 * @category Language models
 */
export interface CharLmResult {
  readonly model: CharLm;
  readonly params: CharLmParams;
  /** Validation bits per character at the end. */
  readonly validBpc: number;
  /** Every step's info, in order. */
  readonly history: readonly CharLmStepInfo[];
}

const LN2 = Math.LN2;

/**
 * Bits per character of a model on texts, each scored from its first
 * character (predicted from a newline, the character before every sonnet)
 * with a zero initial state; the same convention as `ngramBitsPerChar`.
 * Texts are scored side by side, right-padded: padding comes after a text's
 * last character, so it cannot change that text's predictions.
 *
 * @example
 * ```ts
 * import { charLm, charLmBitsPerChar, vocabulary } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const v = vocabulary('ab\n');
 * const lm = charLm({ vocabSize: v.size, embedding: 2, cell: 'gru', hidden: 3, layers: 1, dtype: 'float64' });
 * const bpc = charLmBitsPerChar(lm, lm.init(key(0)), v, ['abba\n', 'b\n']);
 * console.assert(bpc > 1 && bpc < 2.5); // near log2(3) = 1.58 before training
 * ```
 * @category Language models
 */
export function charLmBitsPerChar(model: CharLm, params: CharLmParams, vocab: Vocabulary, texts: readonly string[]): number {
  const op = 'charLmBitsPerChar';
  const nl = vocab.id('\n');
  if (nl === undefined) throw new ArgumentError(op, 'vocab', 'must contain "\\n", the character before every text');
  if (texts.length === 0) throw new ArgumentError(op, 'texts', 'is empty');
  const encoded = texts.map((t, i) => vocab.encode(t, op, `texts[${i}]`));
  const T = Math.max(...encoded.map((e) => e.length));
  if (T === 0) throw new ArgumentError(op, 'texts', 'hold no characters to score');
  const B = encoded.length;
  const V = vocab.size;
  const inputs = new Array<number>(B * T).fill(nl);
  encoded.forEach((e, b) => e.slice(0, -1).forEach((c, t) => (inputs[b * T + t + 1] = c)));
  const { logits } = model.apply(params, tensor(inputs, model.config.dtype, [B, T]), model.initialState(B));
  const z = unsafeDataOf(logits);
  let nats = 0;
  let n = 0;
  encoded.forEach((e, b) => {
    e.forEach((target, t) => {
      const row = (b * T + t) * V;
      let m = -Infinity;
      for (let j = 0; j < V; j++) m = Math.max(m, z[row + j]!);
      let s = 0;
      for (let j = 0; j < V; j++) s += Math.exp(z[row + j]! - m);
      nats += m + Math.log(s) - z[row + target]!;
      n++;
    });
  });
  return nats / n / LN2;
}

/**
 * The epoch's streams: `batch` rows of inputs and next-character targets,
 * `[batch, chunks * chunk]` each, starting at `offset` in the text.
 */
function streams(ids: readonly number[], batch: number, length: number, offset: number, dtype: DType): { x: Tensor; y: Tensor } {
  const x = new Array<number>(batch * length);
  const y = new Array<number>(batch * length);
  const per = Math.floor((ids.length - 1 - offset) / batch);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      x[b * length + t] = ids[offset + b * per + t]!;
      y[b * length + t] = ids[offset + b * per + t + 1]!;
    }
  }
  return { x: tensor(x, dtype, [batch, length]), y: tensor(y, dtype, [batch, length]) };
}

/**
 * Train a character language model on a text with truncated BPTT (see the
 * module's description) and Adam, scoring the validation texts every
 * `evalEvery` steps. `onStep` sees every step's {@link CharLmStepInfo} as it
 * happens (for progress bars and metrics files). Deterministic: the same
 * options give the same parameters.
 *
 * @example
 * ```ts
 * import { trainCharLm, vocabulary } from '@mnemo/models';
 * const text = 'abcabcabcabcabcabcabcabc\n'.repeat(8);
 * const v = vocabulary(text);
 * const r = trainCharLm(text, ['abcabc\n'], v, {
 *   cell: 'lstm', hidden: 8, layers: 1, embedding: 4, dtype: 'float64',
 *   steps: 30, batch: 4, chunk: 8, lr: 0.03, clip: 5, seed: 0, evalEvery: 30,
 * });
 * // from log2(4) = 2 bits per character towards 0: the text is periodic
 * console.assert(r.history[0]!.trainBpc > 1.9 && r.history[29]!.trainBpc < 1.2 && r.validBpc < 1.6);
 * ```
 * @category Language models
 */
export function trainCharLm(
  train: string,
  valid: readonly string[],
  vocab: Vocabulary,
  options: CharLmTrainOptions,
  onStep?: (info: CharLmStepInfo) => void,
): CharLmResult {
  const op = 'trainCharLm';
  const o = options;
  for (const k of ['steps', 'batch', 'chunk', 'evalEvery'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new ArgumentError(op, k, `must be a positive integer, got ${String(o[k])}`);
  }
  const ids = vocab.encode(train, op, 'train');
  const chunksPerEpoch = Math.floor(Math.floor((ids.length - o.chunk) / o.batch) / o.chunk);
  if (chunksPerEpoch < 1) {
    throw new ArgumentError(op, 'train', `has ${ids.length} characters: too short for ${o.batch} streams of chunks of ${o.chunk}`);
  }
  const model = charLm({ vocabSize: vocab.size, embedding: o.embedding, cell: o.cell, hidden: o.hidden, layers: o.layers, dtype: o.dtype });
  const [paramKey, dataKey] = [foldIn(keyOf(o.seed), 0), foldIn(keyOf(o.seed), 1)];
  let params = model.init(paramKey);
  const opt = adam({ lr: schedules.cosine({ initial: o.lr, steps: o.steps, final: o.lr / 10 }) });
  let optState = opt.init(params);

  // The loss of one chunk: cross-entropy at every step, and the state it ends in.
  const chunkLoss = (p: CharLmParams, x: Tensor, y: Tensor, state: CharLmState) => {
    const { logits, state: next } = model.apply(p, x, state);
    const [z, labels] = [reshape(logits, [-1, vocab.size]), reshape(y, [-1])];
    return [softmaxCrossEntropy(z, labels), { next, acc: accuracy(z, labels) }] as const;
  };
  const lossAndGrad = valueAndGrad(chunkLoss, { hasAux: true });

  const history: CharLmStepInfo[] = [];
  let validBpc = NaN;
  for (let epoch = 0, step = 0; step < o.steps; epoch++) {
    const chunks = Math.min(chunksPerEpoch, o.steps - step);
    const ek: Key = foldIn(dataKey, epoch);
    const offset = randint(ek, [1], 0, o.chunk).toArray()[0]!;
    const { x, y } = streams(ids, o.batch, chunks * o.chunk, offset, o.dtype);
    truncatedBptt(x, o.chunk, model.initialState(o.batch), (xc, state, { start, end }) => {
      const [[loss, { next, acc }], grads] = lossAndGrad(params, xc, sliceAxis(y, 1, start, end), state);
      const [clipped, gradNorm] = o.clip > 0 ? clipByGlobalNorm(grads, o.clip) : [grads, globalNorm(grads)];
      [params, optState] = opt.update(clipped, optState, params);
      step++;
      const evalNow = step % o.evalEvery === 0 || step === o.steps;
      if (evalNow) validBpc = charLmBitsPerChar(model, params, vocab, valid);
      const info: CharLmStepInfo = { step, trainBpc: loss.item() / LN2, trainAccuracy: acc, gradNorm, ...(evalNow ? { validBpc } : {}) };
      history.push(info);
      onStep?.(info);
      return [next, null] as const;
    });
  }
  return { model, params, validBpc, history };
}
