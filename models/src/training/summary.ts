/**
 * What a finished (or stopped) run leaves for people: `summary.json`,
 * `summary.md`, and the loss and accuracy curves as SVG.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentBackend } from '@mnemo/core';
import { lineChartSvg, type LineSeries } from '../report/plot.js';
import { writeJsonAtomic } from '../report/rundir.js';
import type { Task } from '../tasks/types.js';
import { RUN_FILES } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import type { EvalResult } from './evaluate.js';
import type { StepMetrics, TrainResult } from './loop.js';

/**
 * The contents of `summary.json`.
 *
 * @example
 * ```ts
 * import type { RunSummary } from '@mnemo/models';
 * const ok = (s: RunSummary): boolean => s.status === 'finished' && (s.test?.accuracy ?? 0) >= 0.96;
 * console.assert(typeof ok === 'function');
 * ```
 * @category Training
 */
export interface RunSummary {
  /** `finished` after every step, `stopped` when interrupted. */
  readonly status: 'finished' | 'stopped';
  /** The task's name. */
  readonly task: string;
  /** The task in one line. */
  readonly description: string;
  /** The cell's canonical name. */
  readonly cell: string;
  /** Steps done. */
  readonly stepsDone: number;
  /** Steps the configuration asks for. */
  readonly steps: number;
  /** Scalar parameters of the model. */
  readonly parameterCount: number;
  /** Mean batch loss and accuracy over the last (up to) 50 steps. */
  readonly train: { readonly loss: number; readonly accuracy: number } | null;
  /** The test score (null when stopped). */
  readonly test: EvalResult | null;
  /** What ignoring the input scores. */
  readonly baseline: Task['baseline'];
  /** Training seconds of the last session (a resumed run counts only its own). */
  readonly seconds: number;
  /** Training examples per second in the last session. */
  readonly examplesPerSec: number;
  /** The backend it computed on. */
  readonly backend: string;
  /** Node's version. */
  readonly node: string;
  /** When the summary was written (ISO 8601). */
  readonly finishedAt: string;
  /** The configuration. */
  readonly config: TrainConfig;
}

/**
 * The mean of `f` over the last `n` entries of `xs`, or NaN when empty.
 *
 * @example
 * ```ts
 * import { tailMean } from '@mnemo/models';
 * console.assert(tailMean([{ v: 1 }, { v: 2 }, { v: 4 }], 2, (x) => x.v) === 3);
 * ```
 * @category Training
 */
export function tailMean<T>(xs: readonly T[], n: number, f: (x: T) => number): number {
  const tail = xs.slice(Math.max(0, xs.length - n));
  return tail.length === 0 ? NaN : tail.reduce((a, x) => a + f(x), 0) / tail.length;
}

/** A running mean over a window, as points. */
function smoothed(ms: readonly StepMetrics[], window: number, f: (m: StepMetrics) => number): [number, number][] {
  const out: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < ms.length; i++) {
    sum += f(ms[i]!);
    if (i >= window) sum -= f(ms[i - window]!);
    out.push([ms[i]!.step, sum / Math.min(i + 1, window)]);
  }
  return out;
}

/**
 * Build the summary of a run from its result and every metrics record (those of
 * earlier sessions of a resumed run included).
 *
 * @example
 * ```ts
 * import { summarize, resolveConfig, train, addingTask } from '@mnemo/models';
 * const config = resolveConfig('adding', { sequenceLength: 4, hidden: 4, steps: 3, batch: 4 });
 * const r = await train({ config, evaluate: false });
 * const s = summarize(r, addingTask({ steps: 4 }), r.history);
 * console.assert(s.status === 'finished' && s.stepsDone === 3 && s.test === null);
 * ```
 * @category Training
 */
export function summarize(result: TrainResult, task: Task, metrics: readonly StepMetrics[]): RunSummary {
  const { config, state } = result;
  const examples = result.history.length * config.batch;
  return {
    status: result.stopped ? 'stopped' : 'finished',
    task: task.name,
    description: task.description,
    cell: config.cell,
    stepsDone: state.step,
    steps: config.steps,
    parameterCount: result.parameterCount,
    train: metrics.length === 0 ? null : { loss: tailMean(metrics, 50, (m) => m.loss), accuracy: tailMean(metrics, 50, (m) => m.acc) },
    test: result.test,
    baseline: task.baseline,
    seconds: result.seconds,
    examplesPerSec: result.seconds > 0 ? examples / result.seconds : NaN,
    backend: currentBackend().name,
    node: process.version,
    finishedAt: new Date().toISOString(),
    config,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 0.01 ? x.toFixed(4) : x.toExponential(3)) : String(x));

/**
 * The summary as a short Markdown page.
 *
 * @example
 * ```ts
 * import { summaryMarkdown, type RunSummary } from '@mnemo/models';
 * import { defaultConfig } from '@mnemo/models';
 * const s: RunSummary = {
 *   status: 'finished', task: 'mnist', description: 'MNIST row by row', cell: 'lstm', stepsDone: 781, steps: 781,
 *   parameterCount: 136586, train: { loss: 0.1, accuracy: 0.97 }, test: { loss: 0.12, accuracy: 0.968, examples: 10000 },
 *   baseline: { loss: 2.3026, accuracy: 0.1, what: 'uniform' }, seconds: 200, examplesPerSec: 500, backend: 'cpu',
 *   node: 'v20', finishedAt: '2026-01-01T00:00:00Z', config: defaultConfig('mnist'),
 * };
 * console.assert(summaryMarkdown(s).includes('96.80%'));
 * ```
 * @category Training
 */
export function summaryMarkdown(s: RunSummary): string {
  const lines = [
    `# ${s.task}: ${s.cell}, ${s.status === 'finished' ? 'finished' : `stopped at step ${s.stepsDone}`}`,
    '',
    s.description,
    '',
    '| | loss | accuracy |',
    '| --- | --- | --- |',
  ];
  if (s.train !== null) lines.push(`| training, last 50 steps | ${fmt(s.train.loss)} | ${pct(s.train.accuracy)} |`);
  if (s.test !== null) lines.push(`| **test** (${s.test.examples} examples) | **${fmt(s.test.loss)}** | **${pct(s.test.accuracy)}** |`);
  lines.push(`| ignoring the input (${s.baseline.what}) | ${fmt(s.baseline.loss)} | ${pct(s.baseline.accuracy)} |`);
  const c = s.config;
  lines.push(
    '',
    `- steps ${s.stepsDone} of ${s.steps}, batch ${c.batch}, ${c.optimizer} lr ${c.lr}${c.clip === null ? '' : `, clip ${c.clip}`}, seed ${c.seed}, ${c.dtype}, backend ${s.backend}`,
    `- model: ${c.projection > 0 ? `dense ${c.projection}, ` : ''}${c.layers} x ${c.cell} ${c.hidden}, ${s.parameterCount} parameters`,
    `- ${s.seconds.toFixed(1)} s of training in this session, ${s.examplesPerSec.toFixed(0)} examples/s (Node ${s.node})`,
    '',
    `Curves: [${RUN_FILES.lossPlot}](${RUN_FILES.lossPlot}), [${RUN_FILES.accuracyPlot}](${RUN_FILES.accuracyPlot}); metrics: ${RUN_FILES.metrics}.`,
    '',
  );
  return lines.join('\n');
}

/**
 * Write `summary.json`, `summary.md`, `loss.svg` and `accuracy.svg` into the
 * run directory. Used by `train` at the end of a run (or a stop).
 *
 * @example
 * ```ts
 * import { createRunDir, resolveConfig, train, addingTask, writeReport } from '@mnemo/models';
 * import { existsSync, mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const config = resolveConfig('adding', { sequenceLength: 4, hidden: 4, steps: 3, batch: 4 });
 * const r = await train({ config, evaluate: false });
 * const dir = createRunDir(mkdtempSync(`${tmpdir()}/runs-`), 'x');
 * await writeReport(dir, r, addingTask({ steps: 4 }), r.history);
 * console.assert(existsSync(`${dir}/loss.svg`) && existsSync(`${dir}/summary.md`));
 * ```
 * @category Training
 */
export async function writeReport(dir: string, result: TrainResult, task: Task, metrics: readonly StepMetrics[]): Promise<RunSummary> {
  const s = summarize(result, task, metrics);
  writeJsonAtomic(join(dir, RUN_FILES.summaryJson), s);
  writeFileSync(join(dir, RUN_FILES.summaryMd), summaryMarkdown(s));
  if (metrics.length > 0) {
    const window = Math.max(5, Math.min(50, Math.round(metrics.length / 20)));
    const first = metrics[0]!.step;
    const last = metrics[metrics.length - 1]!.step;
    const flat = (y: number, name: string): LineSeries => ({ name, points: [[first, y], [last, y]] });
    const lossSeries: LineSeries[] = [
      { name: 'batch loss', points: metrics.map((m) => [m.step, m.loss]) },
      { name: `mean of last ${window}`, points: smoothed(metrics, window, (m) => m.loss) },
      flat(task.baseline.loss, 'constant predictor'),
    ];
    if (s.test !== null) lossSeries.push(flat(s.test.loss, 'test (end)'));
    writeFileSync(
      join(dir, RUN_FILES.lossPlot),
      await lineChartSvg({ title: `${task.name}, ${s.cell}: training loss`, xLabel: 'step', yLabel: 'loss', yScale: 'log', series: lossSeries }),
    );
    const accSeries: LineSeries[] = [
      { name: 'batch accuracy', points: metrics.map((m) => [m.step, m.acc]) },
      { name: `mean of last ${window}`, points: smoothed(metrics, window, (m) => m.acc) },
      flat(task.baseline.accuracy, 'constant predictor'),
    ];
    if (s.test !== null) accSeries.push(flat(s.test.accuracy, 'test (end)'));
    writeFileSync(
      join(dir, RUN_FILES.accuracyPlot),
      await lineChartSvg({
        title: `${task.name}, ${s.cell}: accuracy${s.test === null ? '' : ` (test ${pct(s.test.accuracy)})`}`,
        xLabel: 'step',
        yLabel: 'accuracy',
        series: accSeries,
      }),
    );
  }
  return s;
}
