/**
 * What a training task is: where its batches come from, how its outputs are
 * scored, and what a model that ignores its input would score.
 *
 * @module
 */
import type { DType, Key, Tensor } from '@mnemo/core';

/**
 * A batch of a sequence task: inputs `x` `[batch, steps, features]` and
 * targets `y`: class labels `[batch]` (integers held in the dtype) for a
 * classification task, values `[batch, outputs]` for a regression task.
 *
 * @example
 * ```ts
 * import { addingBatch, type Batch } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const b: Batch = addingBatch(key(0), 4, 10);
 * console.assert(b.x.shape.join() === '4,10,2' && b.y.shape.join() === '4,1');
 * ```
 * @category Tasks
 */
export interface Batch {
  /** Inputs `[batch, steps, features]`. */
  readonly x: Tensor;
  /** Targets: labels `[batch]` or values `[batch, outputs]`. */
  readonly y: Tensor;
}

/**
 * The tasks `mnemo train` knows: the tutorial's MNIST read row by row, and the
 * long-time-lag problems of Hochreiter & Schmidhuber (1997).
 *
 * @example
 * ```ts
 * import { TASK_NAMES, type TaskName } from '@mnemo/models';
 * const t: TaskName = 'adding';
 * console.assert(TASK_NAMES.includes(t));
 * ```
 * @category Tasks
 */
export type TaskName = 'mnist' | 'adding' | 'temporal-order';

/**
 * Every {@link TaskName}, in the order help texts list them.
 *
 * @example
 * ```ts
 * import { TASK_NAMES } from '@mnemo/models';
 * console.assert(TASK_NAMES.join() === 'mnist,adding,temporal-order');
 * ```
 * @category Tasks
 */
export const TASK_NAMES: readonly TaskName[] = Object.freeze(['mnist', 'adding', 'temporal-order']);

/**
 * What a model that ignores its input scores on a task: the loss of the best
 * constant prediction and its accuracy, with a sentence saying which
 * prediction that is.
 *
 * @example
 * ```ts
 * import { addingTask, type TaskBaseline } from '@mnemo/models';
 * const b: TaskBaseline = addingTask({ steps: 10 }).baseline;
 * console.assert(Math.abs(b.loss - 1 / 6) < 1e-12);
 * ```
 * @category Tasks
 */
export interface TaskBaseline {
  /** The loss of the best constant prediction (expected value). */
  readonly loss: number;
  /** Its accuracy, a fraction in [0, 1]. */
  readonly accuracy: number;
  /** Which prediction that is, in words. */
  readonly what: string;
}

/**
 * A sequence task. Training batches are a pure function of a data key and the
 * step number, so a run that is stopped and resumed sees exactly the batches
 * an uninterrupted run sees; the test set is fixed.
 *
 * @example
 * ```ts
 * import { addingTask, type Task } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const task: Task = addingTask({ steps: 12 });
 * const b = task.trainBatch(key(0), 5, 8);
 * console.assert(b.x.shape.join() === '8,12,2' && task.kind === 'regression');
 * console.assert(task.trainBatch(key(0), 5, 8).x.toArray().join() === b.x.toArray().join());
 * ```
 * @category Tasks
 */
export interface Task {
  /** Which task. */
  readonly name: TaskName;
  /** `classification` (softmax cross-entropy, labels) or `regression` (mean squared error). */
  readonly kind: 'classification' | 'regression';
  /** Features per time step. */
  readonly inputSize: number;
  /** Classes (classification) or target values (regression) per sequence. */
  readonly outputSize: number;
  /** Time steps per sequence (for temporal order, the shortest length). */
  readonly steps: number;
  /** The dtype of the batches. */
  readonly dtype: DType;
  /** What ignoring the input scores. */
  readonly baseline: TaskBaseline;
  /** Examples in the training set, or null when they are drawn afresh every step. */
  readonly trainSize: number | null;
  /** Examples in the test set. */
  readonly testSize: number;
  /** One line saying what the task is. */
  readonly description: string;
  /** The training batch for `step` (counted from 0): the same arguments give the same batch. */
  trainBatch(dataKey: Key, step: number, batch: number): Batch;
  /** The test set in batches of at most `batch` examples (synthetic tasks use their own fixed batches). */
  testBatches(batch: number): Iterable<Batch>;
  /** The task's loss of a model output `[batch, outputSize]` against targets: differentiable, a scalar. */
  loss(output: Tensor, y: Tensor): Tensor;
  /** How many examples of the batch the output gets right. */
  hits(output: Tensor, y: Tensor): number;
}
