/**
 * `mnemo train seq2seq` as a function: train the encoder-decoder, write a run
 * directory (`config.json`, `checkpoint.json`, `metrics.jsonl`, `loss.svg`,
 * `summary.json`, `summary.md`) and return the exact-match accuracy by size.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveParams } from '@mnemo/nn/node';
import { lineChartSvg } from '../report/plot.js';
import { createProgress } from '../report/progress.js';
import { appendMetrics, createRunDir, writeJsonAtomic } from '../report/rundir.js';
import { RUN_FILES } from '../training/checkpoint.js';
import { parameterCount } from './model.js';
import type { Seq2seqProblem } from './problems.js';
import { trainSeq2seq, type Seq2seqTrainOptions, type SizeAccuracy } from './train.js';

/**
 * What a seq2seq run measured.
 *
 * @example
 * ```ts
 * import type { Seq2seqSummary } from '@mnemo/models';
 * const best = (s: Seq2seqSummary) => Math.max(...s.accuracy.map((a) => a.exact / a.count));
 * console.assert(typeof best === 'function');
 * ```
 * @category Sequence to sequence
 */
export interface Seq2seqSummary {
  readonly problem: string;
  readonly accuracy: readonly SizeAccuracy[];
  /** Mean teacher-forced loss (nats per answer symbol) over the last 50 steps. */
  readonly finalLoss: number;
  readonly parameters: number;
  readonly steps: number;
  readonly seconds: number;
  readonly runDir: string;
}

/**
 * The accuracy table `mnemo train seq2seq` prints and writes to `summary.md`.
 *
 * @example
 * ```ts
 * import { seq2seqSummaryText } from '@mnemo/models';
 * const t = seq2seqSummaryText({ problem: 'add', accuracy: [{ size: 4, trained: false, exact: 50, count: 200 }], finalLoss: 0.1,
 *   parameters: 10, steps: 5, seconds: 1, runDir: '/tmp/x' });
 * console.assert(t.includes('25.0%') && t.includes('no'));
 * ```
 * @category Sequence to sequence
 */
export function seq2seqSummaryText(s: Seq2seqSummary): string {
  return [
    `Exact match of greedy decoding on held-out inputs (${s.problem}):`,
    '',
    '| size | trained on | exact match |',
    '| ---- | ---------- | ----------- |',
    ...s.accuracy.map((a) => `| ${String(a.size).padStart(4)} | ${(a.trained ? 'yes' : 'no').padEnd(10)} | ${`${((100 * a.exact) / a.count).toFixed(1)}%`.padStart(6)} of ${a.count} |`),
    '',
    `${s.parameters} parameters, ${s.steps} steps, final loss ${s.finalLoss.toFixed(4)} nats/symbol, ${s.seconds.toFixed(0)} s.`,
    '',
  ].join('\n');
}

/**
 * Train an encoder-decoder on a problem, write a run directory under `out`,
 * and return what it measured. `write` and `isTTY` drive the progress display.
 *
 * @example
 * ```ts
 * import { runSeq2seq, REVERSAL, SEQ2SEQ_DEFAULTS } from '@mnemo/models';
 * import { mkdtempSync, existsSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const s = await runSeq2seq(REVERSAL, { ...SEQ2SEQ_DEFAULTS, hidden: 8, embedding: 4, steps: 2, batch: 4, maxTestSize: 3, testCount: 4, trainSizes: [2, 2] },
 *   { out: mkdtempSync(`${tmpdir()}/runs-`), write: () => {}, isTTY: false });
 * console.assert(s.accuracy.length === 3 && existsSync(`${s.runDir}/summary.md`));
 * ```
 * @category Sequence to sequence
 */
export async function runSeq2seq(
  problem: Seq2seqProblem,
  options: Seq2seqTrainOptions,
  io: { readonly out: string; readonly name?: string; readonly write: (text: string) => void; readonly isTTY: boolean; readonly columns?: number },
): Promise<Seq2seqSummary> {
  const dir = createRunDir(io.out, io.name ?? `seq2seq-${problem.name}-${options.cell.replace(/\+/g, '-')}`);
  writeJsonAtomic(join(dir, RUN_FILES.config), { task: 'seq2seq', problem: problem.name, ...options });
  const progress = createProgress({ total: options.steps, isTTY: io.isTTY, write: io.write, ...(io.columns === undefined ? {} : { columns: io.columns }) });
  const t0 = performance.now();
  let result;
  try {
    result = trainSeq2seq(problem, options, (info) => {
      appendMetrics(dir, { ...info });
      const secs = (performance.now() - t0) / 1000;
      progress.update(info.step, { loss: info.loss, acc: info.symbolAccuracy, examplesPerSec: (info.step * options.batch) / secs });
    });
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { model, params, history, accuracy } = result;
  saveParams(join(dir, RUN_FILES.checkpoint), { params, metadata: { kind: 'seq2seq', problem: problem.name, model: { ...model.config } } });
  const tail = history.slice(-50);
  const summary: Seq2seqSummary = {
    problem: problem.name,
    accuracy,
    finalLoss: tail.reduce((s, h) => s + h.loss, 0) / tail.length,
    parameters: parameterCount(params),
    steps: options.steps,
    seconds,
    runDir: dir,
  };
  writeJsonAtomic(join(dir, RUN_FILES.summaryJson), summary);
  writeFileSync(join(dir, RUN_FILES.summaryMd), seq2seqSummaryText(summary));
  writeFileSync(
    join(dir, RUN_FILES.lossPlot),
    await lineChartSvg({
      title: `Encoder-decoder on ${problem.name}: ${options.layers} x ${options.cell} ${options.hidden}`,
      xLabel: 'step',
      yLabel: 'cross-entropy per answer symbol (nats)',
      yScale: 'log',
      series: [{ name: 'training (teacher forcing)', points: history.map((h) => [h.step, h.loss] as const) }],
    }),
  );
  return summary;
}
