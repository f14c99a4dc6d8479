/**
 * The training loop. One step:
 *
 * ```text
 * batch = task.trainBatch(dataKey, step, batch)             pure in (seed, step)
 * [[loss, {acc}], grads] = valueAndGrad(loss, hasAux)(params, x, y)
 * grads = clip(grads)                                        optional
 * [params, optState] = optimizer.update(grads, optState, params)
 * ```
 *
 * Keys: `key(seed)` is split by `foldIn` into the initialization key (0) and
 * the data key (1); MNIST's epoch `e` is shuffled with `foldIn(dataKey, e)`,
 * synthetic batches are drawn from `foldIn(dataKey, step)`. So parameters,
 * optimizer state and step are the whole state of a run, and a run resumed
 * from a checkpoint continues bit for bit as the uninterrupted run.
 *
 * The loop yields to the event loop after every step, so a signal handler
 * (Ctrl-C) can ask it to stop: it then writes a checkpoint and returns.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MnemoError, foldIn, key, setBackend, type Key, type Tensor } from '@mnemo/core';
import { valueAndGrad } from '@mnemo/autodiff';
import { clipByGlobalNorm, clipByValue, globalNorm, type Optimizer } from '@mnemo/nn';
import * as E from 'fp-ts/lib/Either.js';
import { sequenceModel, type SequenceModel, type SequenceModelParams } from '../models/sequence-model.js';
import { appendMetrics, writeJsonAtomic } from '../report/rundir.js';
import type { Progress } from '../report/progress.js';
import { makeTask } from '../tasks/make.js';
import type { Task } from '../tasks/types.js';
import { RUN_FILES, saveCheckpoint, type TrainState } from './checkpoint.js';
import { modelConfigOf, optimizerOf, type TrainConfig } from './config.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { writeReport } from './summary.js';

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What one training step measured, as `metrics.jsonl` holds it (one object a
 * line, every `logEvery` steps and at the last).
 *
 * @example
 * ```ts
 * import type { StepMetrics } from '@mnemo/models';
 * const m: StepMetrics = { step: 1, loss: 2.3, acc: 0.1, gradNorm: 0.5, examplesPerSec: 400, seconds: 0.3 };
 * console.assert(m.step === 1);
 * ```
 * @category Training
 */
export interface StepMetrics {
  /** Steps done, counting this one (1 for the first). */
  readonly step: number;
  /** The batch's mean loss. */
  readonly loss: number;
  /** The batch's accuracy (see `Task.hits`). */
  readonly acc: number;
  /** The global norm of the gradients, before clipping. */
  readonly gradNorm: number;
  /** Training throughput over the last few steps. */
  readonly examplesPerSec: number;
  /** Seconds since this session of the run started. */
  readonly seconds: number;
}

/**
 * A loss that became NaN or infinite: training stops (the last checkpoint is
 * the last good state).
 *
 * @example
 * ```ts
 * import { DivergedError } from '@mnemo/models';
 * const e = new DivergedError(12, NaN);
 * console.assert(e.step === 12 && e.message.includes('NaN'));
 * ```
 * @category Training
 */
export class DivergedError extends MnemoError {
  /** The step whose loss was not finite. */
  readonly step: number;
  constructor(step: number, loss: number) {
    super('train', 'loss', `the loss at step ${step} is ${loss}: training diverged (try a smaller --lr or --clip)`);
    this.step = step;
  }
}

/**
 * Options of {@link train}.
 *
 * @example
 * ```ts
 * import { resolveConfig, type TrainOptions } from '@mnemo/models';
 * const o: TrainOptions = { config: resolveConfig('adding', { steps: 10 }), evaluate: false };
 * console.assert(o.config.steps === 10);
 * ```
 * @category Training
 */
export interface TrainOptions {
  /** The run's configuration (see `resolveConfig`). */
  readonly config: TrainConfig;
  /** The task; by default made from the configuration (MNIST is read from disk). */
  readonly task?: Task;
  /** The run directory to write (see {@link RUN_FILES}); none by default. */
  readonly runDir?: string;
  /** Continue from this state (see `loadCheckpoint`) instead of initializing. */
  readonly resume?: TrainState;
  /** When aborted, the loop stops after the current step and writes a checkpoint. */
  readonly signal?: AbortSignal;
  /** Stop after this many steps, as if interrupted (for tests and budgets). */
  readonly stopAt?: number;
  /** Makes the progress display, given the first and last step (none by default). */
  readonly progress?: (start: number, total: number) => Progress;
  /** Called after every step. */
  readonly onStep?: (m: StepMetrics) => void;
  /** Score the test set at the end (default true). */
  readonly evaluate?: boolean;
  /** Called before the test set is scored (it takes a few seconds on MNIST). */
  readonly onEvaluate?: () => void;
}

/**
 * What {@link train} returns.
 *
 * @example
 * ```ts
 * import type { TrainResult } from '@mnemo/models';
 * const done = (r: TrainResult): boolean => !r.stopped && r.state.step === r.config.steps;
 * console.assert(typeof done === 'function');
 * ```
 * @category Training
 */
export interface TrainResult {
  /** The configuration it ran with. */
  readonly config: TrainConfig;
  /** The state at the end: after `config.steps` steps, or where it stopped. */
  readonly state: TrainState;
  /** Whether it stopped before `config.steps` (signal or `stopAt`). */
  readonly stopped: boolean;
  /** The metrics of every step of this session. */
  readonly history: readonly StepMetrics[];
  /** The test score, when evaluated (not when stopped early). */
  readonly test: EvalResult | null;
  /** Wall-clock seconds of this session's training steps (evaluation excluded). */
  readonly seconds: number;
  /** The run directory, if one was written. */
  readonly runDir: string | null;
  /** The model. */
  readonly model: SequenceModel;
  /** The number of scalar parameters. */
  readonly parameterCount: number;
}

// -------------------------------------------------------------------------------------
// keys
// -------------------------------------------------------------------------------------

/**
 * The keys a run derives from its seed: `init` draws the parameters, `data`
 * orders and draws the batches.
 *
 * @example
 * ```ts
 * import { runKeys } from '@mnemo/models';
 * console.assert(runKeys(3).data.equals(runKeys(3).data) && !runKeys(3).data.equals(runKeys(4).data));
 * ```
 * @category Training
 */
export function runKeys(seed: number): { readonly init: Key; readonly data: Key } {
  const root = key(seed);
  return { init: foldIn(root, 0), data: foldIn(root, 1) };
}

// -------------------------------------------------------------------------------------
// one step
// -------------------------------------------------------------------------------------

/**
 * A training step for a model, task, optimizer and clipping: maps a state and a
 * batch to the next state and the step's loss, accuracy and gradient norm.
 * Pure: the inputs are not modified.
 *
 * @example
 * ```ts
 * import { addingTask, makeStep, runKeys, sequenceModel } from '@mnemo/models';
 * import { adam } from '@mnemo/nn';
 * const task = addingTask({ steps: 5 });
 * const m = sequenceModel({ inputSize: 2, outputSize: 1, projection: 0, cell: 'lstm', hidden: 4, layers: 1 });
 * const opt = adam();
 * const params = m.init(runKeys(0).init);
 * const step = makeStep(m, task, opt, { clip: 1, clipValue: null });
 * const r = step({ params, optState: opt.init(params), step: 0 }, task.trainBatch(runKeys(0).data, 0, 8));
 * console.assert(r.state.step === 1 && Number.isFinite(r.loss) && r.gradNorm > 0);
 * ```
 * @category Training
 */
export function makeStep(
  model: SequenceModel,
  task: Task,
  optimizer: Optimizer,
  clipping: { readonly clip: number | null; readonly clipValue: number | null },
): (state: TrainState, batch: { readonly x: Tensor; readonly y: Tensor }) => { state: TrainState; loss: number; acc: number; gradNorm: number } {
  const objective = (params: SequenceModelParams, x: Tensor, y: Tensor) => {
    const out = model.apply(params, x);
    return [task.loss(out, y), { acc: task.hits(out, y) / y.shape[0]! }] as const;
  };
  const lossAndGrad = valueAndGrad(objective, { hasAux: true });
  return (state, batch) => {
    const [[loss, aux], g0] = lossAndGrad(state.params, batch.x, batch.y);
    let grads = g0;
    let gradNorm: number;
    if (clipping.clip !== null) [grads, gradNorm] = clipByGlobalNorm(grads, clipping.clip);
    else gradNorm = globalNorm(grads);
    if (clipping.clipValue !== null) grads = clipByValue(grads, clipping.clipValue);
    const [params, optState] = optimizer.update(grads, state.optState, state.params);
    return { state: { params, optState, step: state.step + 1 }, loss: loss.item(), acc: aux.acc, gradNorm };
  };
}

// -------------------------------------------------------------------------------------
// the loop
// -------------------------------------------------------------------------------------

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Keep the lines of `metrics.jsonl` up to `step` (a resumed run redoes the steps after its checkpoint). */
function truncateMetrics(dir: string, step: number): StepMetrics[] {
  const path = join(dir, RUN_FILES.metrics);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const kept: StepMetrics[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const m = JSON.parse(line) as StepMetrics;
      if (typeof m.step === 'number' && m.step <= step) kept.push(m);
    } catch {
      // a torn last line from a kill: dropped
    }
  }
  writeFileSync(path, kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
  return kept;
}

/**
 * Train a model as the configuration says; see the module notes for what a
 * step does. With `runDir` it writes `config.json` (unless resuming),
 * `metrics.jsonl`, a checkpoint every `checkpointEvery` steps, at the end and
 * when stopped, and at the end `summary.json`, `summary.md`, `loss.svg` and
 * `accuracy.svg`. A non-finite loss throws a {@link DivergedError}. MNIST
 * files that cannot be read throw their `IdxError`.
 *
 * @example
 * ```ts
 * import { resolveConfig, train } from '@mnemo/models';
 * const config = resolveConfig('adding', { sequenceLength: 6, hidden: 8, steps: 30, batch: 16, lr: 0.01 });
 * const r = await train({ config, evaluate: false });
 * console.assert(r.state.step === 30 && r.history.length === 30 && !r.stopped);
 * console.assert(r.history[29]!.loss < r.history[0]!.loss);
 * ```
 * @category Training
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, runDir, signal } = options;
  const task = options.task ?? taskOf(config);
  const model = sequenceModel(modelConfigOf(config, task.inputSize, task.outputSize));
  const optimizer = optimizerOf(config);
  const keys = runKeys(config.seed);
  const previousBackend = setBackend(config.backend);
  try {
    let state: TrainState;
    let earlier: StepMetrics[] = [];
    if (options.resume !== undefined) {
      state = options.resume;
      if (runDir !== undefined) earlier = truncateMetrics(runDir, state.step);
    } else {
      const params = model.init(keys.init);
      state = { params, optState: optimizer.init(params), step: 0 };
      if (runDir !== undefined) writeJsonAtomic(join(runDir, RUN_FILES.config), config);
    }
    const total = config.steps;
    const stopAt = Math.min(options.stopAt ?? total, total);
    const step = makeStep(model, task, optimizer, config);
    const progress = state.step < total ? options.progress?.(state.step, total) : undefined;
    const history: StepMetrics[] = [];
    const recent: number[] = [];
    const t0 = performance.now();
    let stopped = false;
    try {
      while (state.step < stopAt) {
        const s0 = performance.now();
        const batch = task.trainBatch(keys.data, state.step, config.batch);
        const r = step(state, batch);
        if (!Number.isFinite(r.loss)) throw new DivergedError(r.state.step, r.loss);
        state = r.state;
        const now = performance.now();
        recent.push(now - s0);
        if (recent.length > 20) recent.shift();
        const msPerStep = recent.reduce((a, b) => a + b, 0) / recent.length;
        const m: StepMetrics = {
          step: state.step,
          loss: r.loss,
          acc: r.acc,
          gradNorm: r.gradNorm,
          examplesPerSec: (1000 * config.batch) / msPerStep,
          seconds: (now - t0) / 1000,
        };
        history.push(m);
        if (runDir !== undefined) {
          if (state.step % config.logEvery === 0 || state.step === total) appendMetrics(runDir, { ...m });
          if (state.step % config.checkpointEvery === 0 && state.step < total) saveCheckpoint(runDir, state, config.seed);
        }
        progress?.update(state.step, m);
        options.onStep?.(m);
        await yieldToEventLoop();
        if (signal?.aborted === true) break;
      }
    } finally {
      progress?.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    stopped = state.step < total;
    if (runDir !== undefined) saveCheckpoint(runDir, state, config.seed);
    const scoreTest = !stopped && (options.evaluate ?? true);
    if (scoreTest) options.onEvaluate?.();
    const test = scoreTest ? evaluate(model, state.params, task, config.evalBatch) : null;
    const result: TrainResult = {
      config,
      state,
      stopped,
      history,
      test,
      seconds,
      runDir: runDir ?? null,
      model,
      parameterCount: model.parameterCount(),
    };
    if (runDir !== undefined) await writeReport(runDir, result, task, [...earlier, ...history]);
    return result;
  } finally {
    setBackend(previousBackend);
  }
}

/**
 * The task a configuration names, built with its sizes and dtype. MNIST files
 * that cannot be read throw their `IdxError`.
 *
 * @example
 * ```ts
 * import { resolveConfig, taskOf } from '@mnemo/models';
 * const t = taskOf(resolveConfig('temporal-order', { sequenceLength: 30 }));
 * console.assert(t.name === 'temporal-order' && t.steps === 30);
 * ```
 * @category Training
 */
export function taskOf(config: TrainConfig): Task {
  const r = makeTask({
    task: config.task,
    sequenceLength: config.sequenceLength,
    dtype: config.dtype,
    ...(config.trainSize === null ? {} : { trainSize: config.trainSize }),
    ...(config.testSize === null ? {} : { testSize: config.testSize }),
  });
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

