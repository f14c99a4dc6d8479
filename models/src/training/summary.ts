/**
 * What a finished, stopped or diverged run leaves for people: `summary.json`,
 * `summary.md`, and the loss and accuracy curves as SVG. Built from plain
 * data (the run's metrics and result), so the loop depends on this module and
 * not the other way round.
 *
 * @module
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg, type LineSeries } from '../report/plot.js';
import { writeJsonAtomic, writeTextAtomic, type RunFileSystem } from '../report/rundir.js';
import { RUN_FILES } from './checkpoint.js';
import type { RunConfig } from './codecs.js';
import type { JobResult } from './job.js';
import { tailMean, type StepMetrics } from './metrics.js';

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
export interface RunSummary<R extends JobResult = JobResult> {
  /** `finished` after every step, `stopped` when interrupted, `diverged` when a step was not finite. */
  readonly status: 'finished' | 'stopped' | 'diverged';
  /** The task's name. */
  readonly task: string;
  /** The task in one line. */
  readonly description: string;
  /** The cell's canonical name, when the configuration names one. */
  readonly cell: string | null;
  /** For a user's cell: the absolute path of the module it was loaded from. */
  readonly cellModule?: string;
  /** Steps done. */
  readonly stepsDone: number;
  /** Steps the configuration asks for. */
  readonly steps: number;
  /** Scalar parameters of the model. */
  readonly parameterCount: number;
  /** Mean loss and accuracy over the last (up to) 50 training steps. */
  readonly train: { readonly loss: number; readonly accuracy: number } | null;
  /** The final score, when the run finished. */
  readonly test: R | null;
  /** What ignoring the input scores, when the task says. */
  readonly baseline: { readonly loss: number; readonly accuracy: number; readonly what: string } | null;
  /** Seconds of training in this session. */
  readonly seconds: number;
  /** Examples (or characters) per second in this session. */
  readonly examplesPerSec: number;
  /** The backend it ran on. */
  readonly backend: string;
  /** Node's version. */
  readonly node: string;
  /** When the summary was written (ISO 8601). */
  readonly finishedAt: string;
  /** The run's configuration. */
  readonly config: RunConfig;
}

/** A running mean of `f`, as points. */
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

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 0.01 ? x.toFixed(4) : x.toExponential(3)) : String(x));

/**
 * The summary as a short Markdown page: the result table (training, test,
 * the input-ignoring baseline), the configuration, the speed, and the task's
 * own lines about its result (`describe`).
 *
 * @param s - the summary.
 * @param describe - the job's description of its result, if any.
 * @returns the page.
 * @example
 * ```ts
 * import { summaryMarkdown, defaultConfig, type RunSummary } from '@mnemo/models';
 * const s: RunSummary = {
 *   status: 'finished', task: 'mnist', description: 'MNIST row by row', cell: 'lstm', stepsDone: 781, steps: 781,
 *   parameterCount: 136586, train: { loss: 0.1, accuracy: 0.97 }, test: { loss: 0.12, accuracy: 0.968 },
 *   baseline: { loss: 2.3026, accuracy: 0.1, what: 'uniform' }, seconds: 200, examplesPerSec: 500, backend: 'cpu',
 *   node: 'v20', finishedAt: '2026-01-01T00:00:00Z', config: defaultConfig('mnist'),
 * };
 * console.assert(summaryMarkdown(s).includes('96.80%'));
 * ```
 * @category Training
 */
export function summaryMarkdown<R extends JobResult>(s: RunSummary<R>, describe?: (r: R) => string): string {
  const status = s.status === 'finished' ? 'finished' : `${s.status} at step ${s.stepsDone}`;
  const from = s.cellModule === undefined ? '' : ` (from ${s.cellModule})`;
  const lines = [`# ${s.task}${s.cell === null ? '' : `: ${s.cell}${from}`}, ${status}`, '', s.description, '', '| | loss | accuracy |', '| --- | --- | --- |'];
  if (s.train !== null) lines.push(`| training, last 50 steps | ${fmt(s.train.loss)} | ${pct(s.train.accuracy)} |`);
  if (s.test !== null) {
    const n = (s.test as { examples?: unknown }).examples;
    lines.push(`| **test**${typeof n === 'number' ? ` (${n} examples)` : ''} | **${fmt(s.test.loss)}** | **${pct(s.test.accuracy)}** |`);
  }
  if (s.baseline !== null) lines.push(`| ignoring the input (${s.baseline.what}) | ${fmt(s.baseline.loss)} | ${pct(s.baseline.accuracy)} |`);
  const config = Object.entries(s.config)
    .filter(([k]) => k !== 'version' && k !== 'task')
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('-') : String(v)}`)
    .join(', ');
  lines.push(
    '',
    `- steps ${s.stepsDone} of ${s.steps}, ${s.parameterCount} parameters, backend ${s.backend}`,
    `- configuration: ${config}`,
    `- ${s.seconds.toFixed(1)} s of training in this session, ${Number.isFinite(s.examplesPerSec) ? s.examplesPerSec.toFixed(0) : '?'} examples/s (Node ${s.node})`,
    '',
  );
  if (s.test !== null && describe !== undefined) lines.push(describe(s.test).trimEnd(), '');
  lines.push(`Curves: [${RUN_FILES.lossPlot}](${RUN_FILES.lossPlot}), [${RUN_FILES.accuracyPlot}](${RUN_FILES.accuracyPlot}); metrics: ${RUN_FILES.metrics}.`, '');
  return lines.join('\n');
}

/**
 * Build a run's summary from what it did (every metrics record, those of
 * earlier sessions of a resumed run included).
 *
 * @param run - the run: its configuration, status, steps done, parameter count, result, this session's seconds and examples, the task's description and baseline.
 * @param metrics - every step's metrics, in order.
 * @returns the summary.
 * @example
 * ```ts
 * import { summarize, defaultConfig } from '@mnemo/models';
 * const s = summarize({ config: defaultConfig('adding'), description: 'adding', status: 'stopped', stepsDone: 2, parameterCount: 10,
 *   test: null, seconds: 1, examples: 128, backend: 'cpu' }, [{ step: 1, loss: 2, acc: 0, gradNorm: 1, examplesPerSec: 1, seconds: 1 }, { step: 2, loss: 1, acc: 1, gradNorm: 1, examplesPerSec: 1, seconds: 1 }]);
 * console.assert(s.train!.loss === 1.5 && s.cell === 'lstm' && s.examplesPerSec === 128);
 * ```
 * @category Training
 */
export function summarize<R extends JobResult>(
  run: {
    readonly config: RunConfig;
    readonly description: string;
    readonly status: RunSummary['status'];
    readonly stepsDone: number;
    readonly parameterCount: number;
    readonly test: R | null;
    readonly seconds: number;
    readonly examples: number;
    readonly backend: string;
    readonly baseline?: RunSummary['baseline'];
  },
  metrics: readonly StepMetrics[],
): RunSummary<R> {
  const { cell, cellModule } = run.config as { cell?: unknown; cellModule?: unknown };
  return {
    status: run.status,
    task: run.config.task,
    description: run.description,
    cell: typeof cell === 'string' ? cell : null,
    ...(typeof cellModule === 'string' ? { cellModule } : {}),
    stepsDone: run.stepsDone,
    steps: run.config.steps,
    parameterCount: run.parameterCount,
    train: metrics.length === 0 ? null : { loss: tailMean(metrics, 50, (m) => m.loss), accuracy: tailMean(metrics, 50, (m) => m.acc) },
    test: run.test,
    baseline: run.baseline ?? null,
    seconds: run.seconds,
    examplesPerSec: run.seconds > 0 ? run.examples / run.seconds : NaN,
    backend: run.backend,
    node: process.version,
    finishedAt: new Date().toISOString(),
    config: run.config,
  };
}

/**
 * Write `summary.json`, `summary.md`, `loss.svg` and `accuracy.svg` into the
 * run directory. The training loop calls it at the end of a run (and when it
 * stops or diverges). Validation scores named `loss` in the metrics are drawn
 * on the loss plot.
 *
 * @param dir - the run directory.
 * @param s - the summary.
 * @param metrics - every step's metrics, in order.
 * @param describe - the job's description of its result, for `summary.md`.
 * @param fs - the file system (default `node:fs`).
 * @example
 * ```ts
 * import { summarize, writeReport, defaultConfig } from '@mnemo/models';
 * import { existsSync, mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const dir = mkdtempSync(`${tmpdir()}/run-`);
 * const metrics = [1, 2, 3].map((step) => ({ step, loss: 1 / step, acc: step / 4, gradNorm: 1, examplesPerSec: 10, seconds: step }));
 * const s = summarize({ config: defaultConfig('adding'), description: 'adding', status: 'finished', stepsDone: 3, parameterCount: 10,
 *   test: { loss: 0.3, accuracy: 0.5 }, seconds: 3, examples: 30, backend: 'cpu' }, metrics);
 * await writeReport(dir, s, metrics);
 * console.assert(existsSync(`${dir}/loss.svg`) && existsSync(`${dir}/summary.md`));
 * ```
 * @category Training
 */
export async function writeReport<R extends JobResult>(
  dir: string,
  s: RunSummary<R>,
  metrics: readonly StepMetrics[],
  describe?: (r: R) => string,
  fs: RunFileSystem = nodeFs,
): Promise<void> {
  writeJsonAtomic(join(dir, RUN_FILES.summaryJson), s, fs);
  writeTextAtomic(join(dir, RUN_FILES.summaryMd), summaryMarkdown(s, describe), fs);
  if (metrics.length === 0) return;
  const window = Math.max(5, Math.min(50, Math.round(metrics.length / 20)));
  const first = metrics[0]!.step;
  const last = metrics[metrics.length - 1]!.step;
  const flat = (y: number, name: string): LineSeries => ({ name, points: [[first, y], [last, y]] });
  const title = `${s.task}${s.cell === null ? '' : `, ${s.cell}`}`;
  const lossSeries: LineSeries[] = [
    { name: 'batch loss', points: metrics.map((m) => [m.step, m.loss]) },
    { name: `mean of last ${window}`, points: smoothed(metrics, window, (m) => m.loss) },
  ];
  const validation = metrics.filter((m) => m.validation?.['loss'] !== undefined).map((m) => [m.step, m.validation!['loss']!] as const);
  if (validation.length > 0) lossSeries.push({ name: 'validation', points: validation });
  if (s.baseline !== null) lossSeries.push(flat(s.baseline.loss, 'constant predictor'));
  if (s.test !== null) lossSeries.push(flat(s.test.loss, 'test (end)'));
  writeTextAtomic(
    join(dir, RUN_FILES.lossPlot),
    await lineChartSvg({ title: `${title}: training loss`, xLabel: 'step', yLabel: 'loss', yScale: 'log', series: lossSeries }),
    fs,
  );
  const accSeries: LineSeries[] = [
    { name: 'batch accuracy', points: metrics.map((m) => [m.step, m.acc]) },
    { name: `mean of last ${window}`, points: smoothed(metrics, window, (m) => m.acc) },
  ];
  if (s.baseline !== null) accSeries.push(flat(s.baseline.accuracy, 'constant predictor'));
  if (s.test !== null) accSeries.push(flat(s.test.accuracy, 'test (end)'));
  writeTextAtomic(
    join(dir, RUN_FILES.accuracyPlot),
    await lineChartSvg({ title: `${title}: accuracy${s.test === null ? '' : ` (test ${pct(s.test.accuracy)})`}`, xLabel: 'step', yLabel: 'accuracy', series: accSeries }),
    fs,
  );
}
