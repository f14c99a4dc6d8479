/**
 * The many-to-one sequence tasks (MNIST row by row, adding, temporal order)
 * as jobs of the one training loop: a {@link sequenceModel}, the task's
 * batches and loss, the configured optimizer and clipping, and the test-set
 * score at the end. {@link train} is the loop run on such a job.
 *
 * Keys: `key(seed)` is split by `foldIn` into the initialization key (0) and
 * the data key (1); MNIST's epoch `e` is shuffled with `foldIn(dataKey, e)`,
 * synthetic batches are drawn from `foldIn(dataKey, step)`.
 *
 * @module
 */
import { foldIn, key, type Key, type Tensor } from '@mnemo/core';
import * as E from 'fp-ts/lib/Either.js';
import { NO_CARRY, type TrainingJob } from '../../training/job.js';
import { runTraining, type RunOptions, type RunResult } from '../../training/loop.js';
import type { Batch, Task } from '../common/types.js';
import { modelConfigOf, optimizerOf, type TrainConfig } from './config.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { makeTask } from './make.js';
import { sequenceModel, type SequenceModel, type SequenceModelParams } from './model.js';

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

/**
 * The task a configuration names, built with its sizes and dtype. MNIST files
 * that cannot be read throw their `IdxError`.
 *
 * @example
 * ```ts
 * import { resolveConfig, taskOf } from '@mnemo/models';
 * const t = taskOf(resolveConfig('temporal-order', { sequenceLength: 20 }));
 * console.assert(t.name === 'temporal-order' && t.steps === 20);
 * ```
 * @category Training
 */
export function taskOf(config: TrainConfig): Task {
  const r = makeTask({
    task: config.task,
    dtype: config.dtype,
    ...(config.task === 'mnist' ? {} : { sequenceLength: config.sequenceLength }),
    ...(config.trainSize === null ? {} : { trainSize: config.trainSize }),
    ...(config.testSize === null ? {} : { testSize: config.testSize }),
  });
  if (E.isLeft(r)) throw r.left;
  return r.right;
}

/**
 * A sequence task's job: its model is the configuration's
 * {@link sequenceModel}, a step reads the task's batch of that step, and the
 * result is the score on the task's test set ({@link evaluate}).
 *
 * @param config - the run's configuration (see `resolveConfig`).
 * @param task - the task (default: made from the configuration; MNIST is read from disk).
 * @returns the job, with its model.
 * @example
 * ```ts
 * import { sequenceJob, resolveConfig } from '@mnemo/models';
 * const job = sequenceJob(resolveConfig('adding', { sequenceLength: 5, hidden: 4 }));
 * console.assert(job.model.config.hidden === 4 && job.batch(0).x.shape.join() === '64,5,2');
 * ```
 * @category Training
 */
export function sequenceJob(config: TrainConfig, task: Task = taskOf(config)): TrainingJob<SequenceModelParams, Batch, readonly [], EvalResult> & {
  readonly model: SequenceModel;
  readonly task: Task;
} {
  const model = sequenceModel(modelConfigOf(config, task.inputSize, task.outputSize));
  const keys = runKeys(config.seed);
  return {
    config,
    description: task.description,
    examplesPerStep: config.batch,
    model,
    task,
    init: () => model.init(keys.init),
    optimizer: optimizerOf(config),
    clip: config.clip,
    clipValue: config.clipValue,
    batch: (step) => task.trainBatch(keys.data, step, config.batch),
    carry: NO_CARRY,
    objective: (params, batch: Batch, carry) => {
      const out: Tensor = model.apply(params, batch.x);
      return [task.loss(out, batch.y), { acc: task.hits(out, batch.y) / batch.y.shape[0]!, carry }] as const;
    },
    evaluate: (params) => evaluate(model, params, task, config.evalBatch),
    baseline: task.baseline,
  };
}

/**
 * Options of {@link train}: the configuration, and how to run it (see `RunOptions`).
 *
 * @example
 * ```ts
 * import { resolveConfig, type TrainOptions } from '@mnemo/models';
 * const o: TrainOptions = { config: resolveConfig('adding', { steps: 10 }), evaluate: false };
 * console.assert(o.config.steps === 10);
 * ```
 * @category Training
 */
export interface TrainOptions extends RunOptions<SequenceModelParams, readonly []> {
  /** The run's configuration (see `resolveConfig`). */
  readonly config: TrainConfig;
  /** The task; by default made from the configuration (MNIST is read from disk). */
  readonly task?: Task;
}

/**
 * What {@link train} returns: the loop's result, with the model.
 *
 * @example
 * ```ts
 * import type { TrainResult } from '@mnemo/models';
 * const done = (r: TrainResult): boolean => !r.stopped && r.state.step === r.config.steps;
 * console.assert(typeof done === 'function');
 * ```
 * @category Training
 */
export interface TrainResult extends RunResult<SequenceModelParams, readonly [], EvalResult> {
  /** The configuration it ran with. */
  readonly config: TrainConfig;
  /** The model. */
  readonly model: SequenceModel;
}

/**
 * Train a sequence model as the configuration says: the one training loop
 * (`runTraining`) on the configuration's {@link sequenceJob}. With `runDir`
 * it writes the run directory; a step that is not finite throws a
 * `DivergedError`; MNIST files that cannot be read throw their `IdxError`.
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
  const { config, task, ...run } = options;
  const job = sequenceJob(config, task ?? taskOf(config));
  const r = await runTraining(job, run);
  return { ...r, config, model: job.model };
}
