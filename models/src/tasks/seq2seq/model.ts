/**
 * The encoder-decoder: **many-to-many with a delay**. An encoder reads the
 * whole input; its final state is all the decoder knows of it; the decoder
 * then writes the answer one symbol at a time.
 *
 * ```text
 *  encoder reads:  1   2   3   +   4   5
 *                  v   v   v   v   v   v
 *     zeros --> [enc]-[enc]-[enc]-[enc]-[enc]-[enc] --state--+
 *                                                            v
 *                                          [dec]-->[dec]-->[dec]-->[dec]
 *                                            ^       ^       ^       ^
 *  decoder reads (teacher forcing):          =       1       6       8
 *  decoder writes (cross-entropy):           1       6       8       .
 * ```
 *
 * `=` starts the answer and `.` ends it. In training the decoder reads the
 * true previous symbol (teacher forcing); at test time it reads its own
 * previous choice, the most likely symbol (greedy decoding), until it writes
 * `.`.
 *
 * @module
 */
import { ArgumentError, split, tensor, unsafeDataOf, type DType, type Key, type Tensor } from '@mnemo/core';
import { gather, reshape, tree } from '@mnemo/autodiff';
import {
  dense,
  embedding,
  rnn,
  softmaxCrossEntropy,
  stackCells,
  type DenseParams,
  type EmbeddingParams,
  type GatedCell,
  type Rnn,
  type RnnLayerParams,
  type RnnLayerState,
} from '@mnemo/nn';
import type { Tree } from '@mnemo/autodiff';
import { vocabulary, type Vocabulary } from '../common/vocab.js';
import { cellStack, positiveInt } from '../common/build.js';

/** The symbol the decoder reads first. */
const GO = '=';
/** The symbol that ends an answer. */
const EOS = '.';

/**
 * The shape of a {@link Seq2seq} model.
 *
 * @example
 * ```ts
 * import type { Seq2seqConfig } from '@mnemo/models';
 * const c: Seq2seqConfig = { symbols: '0123456789+', embedding: 16, cell: 'lstm', hidden: 128, layers: 1 };
 * console.assert(c.hidden === 128);
 * ```
 * @category Sequence to sequence
 */
export interface Seq2seqConfig {
  /** The problem's symbols; `=` (start) and `.` (end) are added. */
  readonly symbols: string;
  readonly embedding: number;
  /** The cell of encoder and decoder, as nn's `parseCellSpec` reads it. */
  readonly cell: string;
  readonly hidden: number;
  readonly layers: number;
  readonly dtype?: DType;
}

/**
 * A {@link Seq2seq} model's parameters: each side's embedding and recurrent
 * layers, and the decoder's output layer.
 *
 * @example
 * ```ts
 * import { seq2seq, type Seq2seqParams } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const p: Seq2seqParams = seq2seq({ symbols: '01', embedding: 2, cell: 'gru', hidden: 3, layers: 1 }).init(key(0));
 * console.assert(p.encoder.length === 1 && p.head.w.shape.join() === '3,4');
 * ```
 * @category Sequence to sequence
 */
export type Seq2seqParams = {
  readonly sourceEmbed: EmbeddingParams;
  readonly encoder: readonly RnnLayerParams[];
  readonly targetEmbed: EmbeddingParams;
  readonly decoder: readonly RnnLayerParams[];
  readonly head: DenseParams;
};

/**
 * Examples as tensors: encoder inputs right-padded with their lengths,
 * decoder inputs (`=` then the answer) and targets (the answer then `.`),
 * and where the real targets are in the flattened `[batch * steps]` grid.
 *
 * @example
 * ```ts
 * import { seq2seq, type Seq2seqBatch } from '@mnemo/models';
 * const m = seq2seq({ symbols: '0123456789+', embedding: 2, cell: 'lstm', hidden: 3, layers: 1 });
 * const b: Seq2seqBatch = m.batch([{ input: '1+2', target: '3' }, { input: '10+20', target: '30' }]);
 * console.assert(b.source.shape.join() === '2,5' && b.lengths.join() === '3,5' && b.targetPositions.shape.join() === '5');
 * ```
 * @category Sequence to sequence
 */
export interface Seq2seqBatch {
  readonly source: Tensor;
  readonly lengths: readonly number[];
  readonly decoderInput: Tensor;
  /** Indices into the flattened `[batch * steps]` decoder grid of every real target, row by row. */
  readonly targetPositions: Tensor;
  /** The symbol ids at those positions. */
  readonly targetIds: Tensor;
}

/**
 * An encoder-decoder built by {@link seq2seq}.
 *
 * @example
 * ```ts
 * import { seq2seq, type Seq2seq } from '@mnemo/models';
 * const m: Seq2seq = seq2seq({ symbols: '01', embedding: 2, cell: 'lstm', hidden: 3, layers: 1 });
 * console.assert(m.vocab.chars.join('') === '.01=');
 * ```
 * @category Sequence to sequence
 */
export interface Seq2seq {
  readonly config: Required<Seq2seqConfig>;
  /** The problem's symbols plus `=` and `.`. */
  readonly vocab: Vocabulary;
  readonly encoderRnn: Rnn;
  readonly decoderRnn: Rnn;
  /** Draw the embedding, both LSTMs and the output layer. */
  init(key: Key): Seq2seqParams;
  /** Encode examples into tensors (inputs must use only the model's symbols). */
  batch(examples: readonly { readonly input: string; readonly target: string }[]): Seq2seqBatch;
  /** The encoder: every layer's state after each input's last real symbol. */
  encode(params: Seq2seqParams, source: Tensor, lengths: readonly number[]): RnnLayerState[];
  /** Teacher forcing: the logits `[answer symbols, vocab]` at every real answer position (see `targetIds`). */
  logits(params: Seq2seqParams, batch: Seq2seqBatch): Tensor;
  /** Mean cross-entropy per answer symbol (nats) under teacher forcing. */
  loss(params: Seq2seqParams, batch: Seq2seqBatch): Tensor;
  /** Greedy decoding: each input's answer, at most `maxLength` symbols before `.`. */
  greedy(params: Seq2seqParams, inputs: readonly string[], maxLength: number): string[];
}

const positive = (name: string, v: unknown): number => positiveInt('seq2seq', name, v);

/**
 * Build an encoder-decoder of any cell of nn: embedding and a stack of
 * recurrent layers to read, the encoder's final state to start a second
 * stack that writes, and a dense layer to logits over the symbols.
 *
 * @example
 * ```ts
 * import { seq2seq } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const m = seq2seq({ symbols: '0123456789+', embedding: 4, cell: 'lstm', hidden: 8, layers: 1, dtype: 'float64' });
 * const params = m.init(key(0));
 * const loss = m.loss(params, m.batch([{ input: '12+3', target: '15' }]));
 * console.assert(Math.abs(loss.item() - Math.log(13)) < 0.3); // near uniform before training
 * console.assert(m.greedy(params, ['12+3'], 4)[0]!.length <= 4);
 * ```
 * @category Sequence to sequence
 */
export function seq2seq(config: Seq2seqConfig): Seq2seq {
  if (typeof config.symbols !== 'string' || config.symbols.includes(GO) || config.symbols.includes(EOS)) {
    throw new ArgumentError('seq2seq', 'symbols', `must be a string without '${GO}' and '${EOS}' (the start and end symbols), got ${JSON.stringify(config.symbols)}`);
  }
  const vocab = vocabulary(config.symbols + GO + EOS);
  const V = vocab.size;
  const [E, H, L] = [positive('embedding', config.embedding), positive('hidden', config.hidden), positive('layers', config.layers)];
  const dtype = config.dtype ?? 'float32';
  const cellsOf = (): GatedCell<Tree, Tree>[] => cellStack(config.cell, L, E, H, dtype);
  const encoderRnn = rnn({ cells: cellsOf() });
  const decoderCells = cellsOf();
  const decoderRnn = rnn({ cells: decoderCells });
  const decoderStep = stackCells(decoderCells);
  const [go, eos] = [vocab.id(GO)!, vocab.id(EOS)!];

  const encode = (params: Seq2seqParams, source: Tensor, lengths: readonly number[]): RnnLayerState[] =>
    encoderRnn.apply(params.encoder, embedding.apply(params.sourceEmbed, source), { lengths }).finalState;

  const batch = (examples: readonly { readonly input: string; readonly target: string }[]): Seq2seqBatch => {
    if (examples.length === 0) throw new ArgumentError('seq2seq.batch', 'examples', 'is empty');
    const src = examples.map((e, i) => vocab.encode(e.input, 'seq2seq.batch', `examples[${i}].input`));
    const tgt = examples.map((e, i) => vocab.encode(e.target, 'seq2seq.batch', `examples[${i}].target`));
    const S = Math.max(...src.map((s) => s.length));
    const T = Math.max(...tgt.map((t) => t.length)) + 1;
    if (src.some((s) => s.length === 0)) throw new ArgumentError('seq2seq.batch', 'examples', 'an input is empty');
    const source = new Array<number>(examples.length * S).fill(eos);
    const decIn = new Array<number>(examples.length * T).fill(eos);
    const positions: number[] = [];
    const ids: number[] = [];
    examples.forEach((_, b) => {
      src[b]!.forEach((c, t) => (source[b * S + t] = c));
      const answer = [...tgt[b]!, eos];
      answer.forEach((c, t) => {
        decIn[b * T + t] = t === 0 ? go : answer[t - 1]!;
        positions.push(b * T + t);
        ids.push(c);
      });
    });
    return {
      source: tensor(source, dtype, [examples.length, S]),
      lengths: src.map((s) => s.length),
      decoderInput: tensor(decIn, dtype, [examples.length, T]),
      targetPositions: tensor(positions, dtype, [positions.length]),
      targetIds: tensor(ids, dtype, [ids.length]),
    };
  };

  const logits = (params: Seq2seqParams, b: Seq2seqBatch): Tensor => {
    const state = encode(params, b.source, b.lengths); //                          the delay: read everything first
    const y = decoderRnn.apply(params.decoder, embedding.apply(params.targetEmbed, b.decoderInput), { initialState: state }).outputs; // [B, T, H]
    return gather(reshape(dense.apply(params.head, y), [-1, V]), b.targetPositions, 0); //   real answer positions only
  };

  return Object.freeze({
    config: Object.freeze({ symbols: config.symbols, embedding: E, cell: config.cell, hidden: H, layers: L, dtype }),
    vocab,
    encoderRnn,
    decoderRnn,
    init(k: Key): Seq2seqParams {
      const [k1, k2, k3, k4, k5] = split(k, 5) as [Key, Key, Key, Key, Key];
      return {
        sourceEmbed: embedding.init(k1, V, E, { dtype }),
        encoder: encoderRnn.init(k2),
        targetEmbed: embedding.init(k3, V, E, { dtype }),
        decoder: decoderRnn.init(k4),
        head: dense.init(k5, decoderRnn.outputSize, V, { dtype }),
      };
    },
    batch,
    encode,
    logits,
    loss: (params: Seq2seqParams, b: Seq2seqBatch): Tensor => softmaxCrossEntropy(logits(params, b), b.targetIds),
    greedy(params: Seq2seqParams, inputs: readonly string[], maxLength: number): string[] {
      const b = batch(inputs.map((input) => ({ input, target: '' })));
      let state: readonly Tree[] = encode(params, b.source, b.lengths).map((s) => s.fwd);
      const layerParams = params.decoder.map((p) => p.fwd);
      let prev = new Array<number>(inputs.length).fill(go);
      const answers: number[][] = inputs.map(() => []);
      const done = inputs.map(() => false);
      for (let t = 0; t <= maxLength && done.some((d) => !d); t++) {
        const [s, h] = decoderStep.step(layerParams, state, embedding.apply(params.targetEmbed, tensor(prev, dtype, [prev.length])));
        state = s;
        const z = unsafeDataOf(dense.apply(params.head, h));
        prev = prev.map((_, i) => {
          let best = 0;
          for (let j = 1; j < V; j++) if (z[i * V + j]! > z[i * V + best]!) best = j;
          if (best === eos || t === maxLength) done[i] = true;
          else if (!done[i]) answers[i]!.push(best);
          return best;
        });
      }
      return answers.map((a) => vocab.decode(a));
    },
  });
}

/**
 * The number of scalar parameters of a pytree (for reports).
 *
 * @example
 * ```ts
 * import { parameterCount } from '@mnemo/models';
 * import { zeros } from '@mnemo/core';
 * console.assert(parameterCount({ w: zeros([2, 3]), b: [zeros([4])] }) === 10);
 * ```
 * @category Sequence to sequence
 */
export function parameterCount(params: Tree): number {
  return tree.leaves(params).reduce((n, t) => n + t.size, 0);
}
