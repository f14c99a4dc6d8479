/**
 * Several cells on one task with the same data, budget and seed: the
 * experiment that shows what the LSTM is for. On the adding problem with long
 * sequences the LSTM and the GRU drive the error far below the constant
 * predictor's while a simple RNN stays near it.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { lineChartSvg, type LineSeries } from '../../report/plot.js';
import type { Progress } from '../../report/progress.js';
import { createRunDir, ensureDir, writeJsonAtomic, writeTextAtomic } from '../../report/rundir.js';
import { RUN_FILES, loadCheckpoint } from '../../training/checkpoint.js';
import { Codecs } from '../../training/codecs.js';
import { RunDirError } from '../../training/errors.js';
import { tailMean, type StepMetrics } from '../../training/metrics.js';
import { loadCellModule, type ImportModule } from '../common/cell-modules.js';
import type { Task } from '../common/types.js';
import { decodeConfig, type TrainConfig } from './config.js';
import { sequenceJob, taskOf, train, type TrainResult } from './job.js';

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
  /** For each family loaded from a module file (a user's cell): the module's absolute path. */
  readonly cellModules?: Readonly<Record<string, string>>;
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
  /** For each family of `cells` loaded from a module file: the module's absolute path (see `loadCellModule`), recorded in each such cell's run. */
  readonly cellModules?: Readonly<Record<string, string>>;
  /** Write the comparison and one run directory per cell into this folder (new, unless resuming). */
  readonly outDir?: string;
  /** Continue the comparison in `outDir`: each cell resumes from its run directory's checkpoint (see {@link resumeComparison}). */
  readonly resume?: boolean;
  /** Stops the current run (it saves a checkpoint) and the comparison. */
  readonly signal?: AbortSignal;
  /** Makes a progress display per run. */
  readonly progress?: (cell: string, start: number, total: number) => Progress;
  /** Called before each cell trains. */
  readonly onStart?: (cell: string, index: number) => void;
}

/** The file of a comparison directory that says what it compares (the shared configuration and the cells). */
const COMPARE_SETUP = 'compare-config.json';

/** The run directory name of a cell in a comparison. */
const cellDir = (cell: string): string => cell.replace(/\+/g, '-');

/** Train (or resume) one cell of a comparison in its run directory. */
async function trainCell(options: CompareOptions, config: TrainConfig, cell: string, task: ReturnType<typeof taskOf>): Promise<TrainResult> {
  const { outDir, signal, progress } = options;
  const run = {
    ...(signal === undefined ? {} : { signal }),
    ...(progress === undefined ? {} : { progress: (start: number, total: number) => progress(cell, start, total) }),
  };
  if (outDir === undefined) return train({ config, task, ...run });
  const dir = join(outDir, cellDir(cell));
  if (options.resume === true && existsSync(join(dir, RUN_FILES.checkpoint))) {
    const s = loadCheckpoint(dir, sequenceJob(config, task));
    if (E.isLeft(s)) throw s.left;
    return train({ config, task, runDir: dir, resume: s.right, ...run });
  }
  // A cell not reached yet (or stopped before its first checkpoint) starts afresh in its own folder.
  const runDir = options.resume === true && existsSync(dir) ? dir : createRunDir(outDir, cellDir(cell));
  if (runDir === dir && options.resume === true) writeTextAtomic(join(dir, RUN_FILES.metrics), '');
  return train({ config, task, runDir, ...run });
}

/**
 * Train each cell with the same configuration (task, data, seed, budget) and
 * score it on the test set, through the one training loop. With `outDir`,
 * writes `compare-config.json` (what is compared), one run directory per
 * cell (each checkpointed, so a stopped comparison resumes), and at the end
 * `compare.json`, `compare.md` and `compare.svg` (each cell's training loss,
 * smoothed, against the constant predictor).
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
  const cellModules = options.cellModules ?? {};
  const task = taskOf(config);
  const outDir = options.outDir ?? null;
  if (outDir !== null && options.resume !== true) {
    ensureDir(outDir, 'outDir');
    writeJsonAtomic(join(outDir, COMPARE_SETUP), { config, cells, ...(Object.keys(cellModules).length === 0 ? {} : { cellModules }) });
  }
  const { cellModule: _shared, ...shared } = config;
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
    const family = cell.split('+')[0]!;
    const lstmOnly = family === 'lstm' ? {} : { projSize: 0, layerNorm: false, forgetBias: null };
    // A user's cell records its module in its run, so that the run resumes and scores on its own.
    const own = cellModules[family] === undefined ? {} : { cellModule: cellModules[family] };
    const c = decodeConfig({ ...shared, cell, ...lstmOnly, ...own }, 'compareCells');
    const r = await trainCell(options, c, cell, task);
    if (r.stopped || r.test === null) {
      stopped = true;
      break;
    }
    const ratio = r.test.loss / task.baseline.loss;
    rows.push({
      cell,
      parameterCount: r.parameterCount,
      trainLoss: tailMean(r.metrics, 50, (m) => m.loss),
      testLoss: r.test.loss,
      testAccuracy: r.test.accuracy,
      ratio,
      solved: ratio < SOLVED_FRACTION,
      seconds: r.seconds,
      runDir: r.runDir,
    });
    curves.push({ cell, metrics: r.metrics });
  }
  const criterion =
    `solved when the test loss is below ${SOLVED_FRACTION * 100}% of the constant predictor's ` +
    `${task.baseline.loss.toFixed(4)} (${task.baseline.what}), i.e. below ${(SOLVED_FRACTION * task.baseline.loss).toFixed(4)}`;
  const result: CompareResult = {
    task: task.name,
    description: task.description,
    config,
    baseline: task.baseline,
    criterion,
    rows,
    outDir,
    stopped,
    ...(Object.keys(cellModules).length === 0 ? {} : { cellModules }),
  };
  if (outDir !== null) await writeComparison(outDir, result, curves);
  return result;
}

const CompareSetup = t.intersection([t.type({ config: t.unknown, cells: t.array(t.string) }), t.partial({ cellModules: t.record(t.string, Codecs.cellModule) })]);

/**
 * Continue a comparison that was stopped (Ctrl-C, a kill): read what it
 * compares from `outDir`'s `compare-config.json` (and load the users' cell
 * modules it records), then train each cell on,
 * from its run directory's checkpoint (a cell that had finished is only
 * scored again). The rows equal those of an uninterrupted comparison, except
 * for the seconds. A folder that is not a comparison is a `RunDirError`.
 *
 * @param outDir - the comparison's folder.
 * @param options - as {@link compareCells}, without what the folder fixes; `importModule`: how to import a cell module.
 * @returns the comparison.
 * @throws `RunDirError` when `outDir` is not a comparison's folder or a checkpoint is damaged; `CellModuleError`
 *   when a recorded cell module is missing or unusable.
 * @example
 * ```ts
 * import { compareCells, resumeComparison, resolveConfig } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const outDir = `${mkdtempSync(`${tmpdir()}/cmp-`)}/c`;
 * const config = resolveConfig('adding', { sequenceLength: 5, hidden: 3, steps: 4, batch: 4, testSize: 10, checkpointEvery: 2 });
 * const ac = new AbortController();
 * const first = await compareCells({ config, cells: ['rnn', 'gru'], outDir, signal: ac.signal, onStart: (_c, i) => i === 1 && ac.abort() });
 * const r = await resumeComparison(outDir);
 * console.assert(first.stopped && !r.stopped && r.rows.length === 2);
 * ```
 * @category Training
 */
export async function resumeComparison(
  outDir: string,
  options: Omit<CompareOptions, 'config' | 'cells' | 'cellModules' | 'outDir' | 'resume'> & { readonly importModule?: ImportModule } = {},
): Promise<CompareResult> {
  const { importModule, ...run } = options;
  const path = join(outDir, COMPARE_SETUP);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RunDirError(outDir, `has no readable ${COMPARE_SETUP}: not a comparison made by mnemo compare (${(e as Error).message})`, 'resumeComparison', COMPARE_SETUP);
  }
  const setup = CompareSetup.decode(json);
  if (E.isLeft(setup)) throw new RunDirError(outDir, `${COMPARE_SETUP} is not a comparison's setup`, 'resumeComparison', COMPARE_SETUP);
  // The users' cells first: the configuration names them.
  const cellModules = setup.right.cellModules ?? {};
  for (const [family, path] of Object.entries(cellModules)) {
    await loadCellModule(path, { field: 'cellModules', family, recordedIn: outDir, ...(importModule === undefined ? {} : { importModule }) });
  }
  let config: TrainConfig;
  try {
    config = decodeConfig(setup.right.config, 'resumeComparison');
  } catch (e) {
    throw new RunDirError(outDir, `${COMPARE_SETUP}: ${(e as Error).message}`, 'resumeComparison', COMPARE_SETUP);
  }
  return compareCells({ ...run, config, cells: setup.right.cells, cellModules, outDir, resume: true });
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
  writeTextAtomic(join(dir, 'compare.md'), `# ${r.task}: ${r.rows.map((x) => x.cell).join(' vs ')}\n\n${r.description}\n\n\`\`\`\n${compareTable(r)}\`\`\`\n`);
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
    writeTextAtomic(join(dir, 'compare.svg'), svg);
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
    ...Object.entries(r.cellModules ?? {}).map(([family, path]) => `${family}: ${path}`),
    ...(r.stopped ? ['stopped before every cell had trained'] : []),
    '',
  ].join('\n');
}
