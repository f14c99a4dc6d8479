/**
 * Several cells on one task with the same data, budget and seed: the
 * experiment that shows what the LSTM is for. On the adding problem with long
 * sequences the LSTM and the GRU drive the error far below the constant
 * predictor's while a simple RNN stays near it.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg, type LineSeries } from '../report/plot.js';
import type { Progress } from '../report/progress.js';
import { createRunDir, writeJsonAtomic } from '../report/rundir.js';
import type { Task } from '../tasks/types.js';
import type { TrainConfig } from './config.js';
import { decodeConfig } from './config.js';
import { taskOf, train, type StepMetrics, type TrainResult } from './loop.js';
import { tailMean } from './summary.js';

/**
 * The share of the constant predictor's loss under which a cell counts as
 * having solved a task in a comparison: 0.1, so on the adding problem a test
 * MSE below 0.0167.
 *
 * @example
 * ```ts
 * import { SOLVED_FRACTION, ADDING_BASELINE_MSE } from '@mnemo/models';
 * console.assert(Math.abs(SOLVED_FRACTION * ADDING_BASELINE_MSE - 0.01667) < 1e-5);
 * ```
 * @category Training
 */
export const SOLVED_FRACTION = 0.1;

/**
 * One cell's line in a comparison.
 *
 * @example
 * ```ts
 * import type { CompareRow } from '@mnemo/models';
 * const r: CompareRow = { cell: 'lstm', parameterCount: 17000, trainLoss: 0.002, testLoss: 0.003, testAccuracy: 0.6, ratio: 0.018, solved: true, seconds: 120, runDir: null };
 * console.assert(r.solved);
 * ```
 * @category Training
 */
export interface CompareRow {
  /** The cell's canonical name. */
  readonly cell: string;
  /** Scalar parameters of its model. */
  readonly parameterCount: number;
  /** Mean batch loss over the last (up to) 50 steps. */
  readonly trainLoss: number;
  /** Mean loss on the test set. */
  readonly testLoss: number;
  /** Fraction of the test set right. */
  readonly testAccuracy: number;
  /** Test loss divided by the constant predictor's. */
  readonly ratio: number;
  /** Whether `ratio` is below {@link SOLVED_FRACTION}. */
  readonly solved: boolean;
  /** Training seconds. */
  readonly seconds: number;
  /** The cell's run directory, if written. */
  readonly runDir: string | null;
}

/**
 * The result of {@link compareCells}.
 *
 * @example
 * ```ts
 * import type { CompareResult } from '@mnemo/models';
 * const solved = (r: CompareResult): string[] => r.rows.filter((x) => x.solved).map((x) => x.cell);
 * console.assert(typeof solved === 'function');
 * ```
 * @category Training
 */
export interface CompareResult {
  /** The task's name. */
  readonly task: string;
  /** The task in one line. */
  readonly description: string;
  /** The shared configuration (its `cell` is the first cell's). */
  readonly config: TrainConfig;
  /** What ignoring the input scores. */
  readonly baseline: Task['baseline'];
  /** The success criterion, in words. */
  readonly criterion: string;
  /** One row per cell, in the order given. */
  readonly rows: readonly CompareRow[];
  /** Where `compare.json`, `compare.md` and `compare.svg` were written, if anywhere. */
  readonly outDir: string | null;
  /** Was the comparison stopped before every cell had trained? */
  readonly stopped: boolean;
}

/**
 * Options of {@link compareCells}.
 *
 * @example
 * ```ts
 * import { resolveConfig, type CompareOptions } from '@mnemo/models';
 * const o: CompareOptions = { config: resolveConfig('adding'), cells: ['rnn', 'lstm', 'gru'] };
 * console.assert(o.cells.length === 3);
 * ```
 * @category Training
 */
export interface CompareOptions {
  /** The shared configuration; each run replaces its `cell` (and drops the LSTM-only options for other cells). */
  readonly config: TrainConfig;
  /** Cell names (canonical, as `Codecs.cell` decodes them). */
  readonly cells: readonly string[];
  /** Write the comparison and one run directory per cell into this new folder. */
  readonly outDir?: string;
  /** Stops the current run (it saves a checkpoint) and the comparison. */
  readonly signal?: AbortSignal;
  /** Makes a progress display per run. */
  readonly progress?: (cell: string, start: number, total: number) => Progress;
  /** Called before each cell trains. */
  readonly onStart?: (cell: string, index: number) => void;
}

/**
 * Train each cell with the same configuration (task, data, seed, budget) and
 * score it on the test set. With `outDir`, writes `compare.json`,
 * `compare.md`, `compare.svg` (each cell's training loss, smoothed, against
 * the constant predictor) and one run directory per cell.
 *
 * @example
 * ```ts
 * import { compareCells, resolveConfig } from '@mnemo/models';
 * const config = resolveConfig('adding', { sequenceLength: 5, hidden: 4, steps: 3, batch: 8, testSize: 20 });
 * const r = await compareCells({ config, cells: ['rnn', 'gru'] });
 * console.assert(r.rows.length === 2 && r.rows[1]!.cell === 'gru' && r.rows.every((x) => x.testLoss > 0));
 * ```
 * @category Training
 */
export async function compareCells(options: CompareOptions): Promise<CompareResult> {
  const { config, cells } = options;
  const task = taskOf(config);
  const outDir = options.outDir ?? null;
  const rows: CompareRow[] = [];
  const curves: { cell: string; metrics: readonly StepMetrics[] }[] = [];
  let stopped = false;
  for (const [i, cell] of cells.entries()) {
    if (options.signal?.aborted === true) {
      stopped = true;
      break;
    }
    options.onStart?.(cell, i);
    // The LSTM-only options apply to the LSTM cells of the comparison only.
    const lstmOnly = cell.split('+')[0] === 'lstm' ? {} : { projSize: 0, layerNorm: false, forgetBias: null };
    const c = decodeConfig({ ...config, cell, ...lstmOnly }, 'compareCells');
    const runDir = outDir === null ? undefined : createRunDir(outDir, cell.replace(/\+/g, '-'));
    const progress = options.progress;
    const r: TrainResult = await train({
      config: c,
      task,
      ...(runDir === undefined ? {} : { runDir }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(progress === undefined ? {} : { progress: (start: number, total: number) => progress(cell, start, total) }),
    });
    if (r.stopped || r.test === null) {
      stopped = true;
      break;
    }
    const ratio = r.test.loss / task.baseline.loss;
    rows.push({
      cell,
      parameterCount: r.parameterCount,
      trainLoss: tailMean(r.history, 50, (m) => m.loss),
      testLoss: r.test.loss,
      testAccuracy: r.test.accuracy,
      ratio,
      solved: ratio < SOLVED_FRACTION,
      seconds: r.seconds,
      runDir: r.runDir,
    });
    curves.push({ cell, metrics: r.history });
  }
  const criterion =
    `solved when the test loss is below ${SOLVED_FRACTION * 100}% of the constant predictor's ` +
    `${task.baseline.loss.toFixed(4)} (${task.baseline.what}), i.e. below ${(SOLVED_FRACTION * task.baseline.loss).toFixed(4)}`;
  const result: CompareResult = { task: task.name, description: task.description, config, baseline: task.baseline, criterion, rows, outDir, stopped };
  if (outDir !== null) await writeComparison(outDir, result, curves);
  return result;
}

/** A running mean of the loss, as points. */
function smooth(ms: readonly StepMetrics[], window: number): [number, number][] {
  const out: [number, number][] = [];
  let sum = 0;
  ms.forEach((m, i) => {
    sum += m.loss;
    if (i >= window) sum -= ms[i - window]!.loss;
    out.push([m.step, sum / Math.min(i + 1, window)]);
  });
  return out;
}

async function writeComparison(dir: string, r: CompareResult, curves: readonly { cell: string; metrics: readonly StepMetrics[] }[]): Promise<void> {
  writeJsonAtomic(join(dir, 'compare.json'), r);
  writeFileSync(join(dir, 'compare.md'), `# ${r.task}: ${r.rows.map((x) => x.cell).join(' vs ')}\n\n${r.description}\n\n\`\`\`\n${compareTable(r)}\`\`\`\n`);
  const steps = Math.max(1, ...curves.map((c) => c.metrics.length));
  const window = Math.max(5, Math.min(100, Math.round(steps / 20)));
  const series: LineSeries[] = curves.map((c) => ({ name: c.cell, points: smooth(c.metrics, window) }));
  if (series.length > 0) {
    series.push({ name: 'constant predictor', points: [[1, r.baseline.loss], [steps, r.baseline.loss]] });
    series.push({ name: `solved: below ${SOLVED_FRACTION * 100}% of it`, points: [[1, SOLVED_FRACTION * r.baseline.loss], [steps, SOLVED_FRACTION * r.baseline.loss]] });
    const svg = await lineChartSvg({
      title: `${r.task}, ${r.config.sequenceLength} steps per sequence: training loss (mean of the last ${window} steps)`,
      xLabel: 'step',
      yLabel: r.task === 'adding' ? 'mean squared error' : 'cross-entropy',
      yScale: 'log',
      series,
    });
    writeFileSync(join(dir, 'compare.svg'), svg);
  }
}

/**
 * The comparison as a plain-text table (no escape codes), with a header line
 * saying the shared setup and a footer stating the success criterion.
 *
 * @example
 * ```ts
 * import { compareTable, resolveConfig, type CompareResult } from '@mnemo/models';
 * const r: CompareResult = {
 *   task: 'adding', description: '', config: resolveConfig('adding'), baseline: { loss: 1 / 6, accuracy: 0.08, what: 'predicting 1' },
 *   criterion: 'solved when ...', outDir: null, stopped: false,
 *   rows: [{ cell: 'lstm', parameterCount: 17217, trainLoss: 0.001, testLoss: 0.002, testAccuracy: 0.7, ratio: 0.012, solved: true, seconds: 60, runDir: null }],
 * };
 * const text = compareTable(r);
 * console.assert(text.includes('lstm') && text.includes('yes') && text.includes('solved when'));
 * ```
 * @category Training
 */
export function compareTable(r: CompareResult): string {
  const c = r.config;
  const head = ['cell', 'params', 'train loss', 'test loss', 'vs constant', 'test acc', 'time', 'solved'];
  const fmt = (x: number): string => (x >= 0.01 ? x.toFixed(4) : x.toExponential(2));
  const rows = r.rows.map((x) => [
    x.cell,
    String(x.parameterCount),
    fmt(x.trainLoss),
    fmt(x.testLoss),
    x.ratio.toFixed(3),
    `${(100 * x.testAccuracy).toFixed(1)}%`,
    `${x.seconds.toFixed(0)} s`,
    x.solved ? 'yes' : 'no',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  return [
    `${r.task}, ${c.sequenceLength} steps per sequence: ${c.steps} training steps of batch ${c.batch}, hidden ${c.hidden}, ` +
      `${c.optimizer} lr ${c.lr}${c.clip === null ? '' : `, clip ${c.clip}`}, seed ${c.seed}, ${c.dtype}`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    `constant predictor: loss ${r.baseline.loss.toFixed(4)}, accuracy ${(100 * r.baseline.accuracy).toFixed(1)}% (${r.baseline.what})`,
    `criterion: ${r.criterion}`,
    ...(r.stopped ? ['stopped before every cell had trained'] : []),
    '',
  ].join('\n');
}
