/**
 * A task by name, for the command line and saved configs.
 *
 * @module
 */
import { ArgumentError, type DType } from '@mnemo/core';
import * as E from 'fp-ts/lib/Either.js';
import type { IdxError } from '../mnist/idx.js';
import { mnistTask } from '../mnist/task.js';
import { addingTask, temporalOrderTask } from '../synthetic/tasks.js';
import { TASK_NAMES, type Task, type TaskName } from '../common/types.js';

/**
 * What {@link makeTask} needs: the task's name and its sizes. `sequenceLength`
 * applies to the synthetic tasks (MNIST always has 28 rows); `trainSize`
 * to MNIST (the synthetic tasks draw new sequences every step).
 *
 * @example
 * ```ts
 * import type { TaskOptions } from '@mnemo/models';
 * const o: TaskOptions = { task: 'adding', sequenceLength: 100 };
 * console.assert(o.task === 'adding');
 * ```
 * @category Tasks
 */
export interface TaskOptions {
  /** Which task. */
  readonly task: TaskName;
  /** Synthetic tasks: time steps per sequence (default 100). */
  readonly sequenceLength?: number;
  /** The dtype of the batches (default float32). */
  readonly dtype?: DType;
  /** MNIST: use only the first this many training images. */
  readonly trainSize?: number;
  /** Examples in the test set (default: MNIST's 10,000; 2000 for the synthetic tasks). */
  readonly testSize?: number;
  /** MNIST only: the folder of its IDX files. */
  readonly dataDir?: string;
}

/**
 * Build a task by name. MNIST is read from disk, so a missing or corrupt file
 * comes back as the left side; options a task does not take are rejected
 * with an `ArgumentError`.
 *
 * @example
 * ```ts
 * import { makeTask } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = makeTask({ task: 'temporal-order', sequenceLength: 20 });
 * console.assert(E.isRight(r) && r.right.name === 'temporal-order' && r.right.steps === 20);
 * ```
 * @category Tasks
 */
export function makeTask(options: TaskOptions): E.Either<IdxError, Task> {
  const op = 'makeTask';
  const { task, sequenceLength, dtype, trainSize, testSize, dataDir } = options;
  if (!TASK_NAMES.includes(task)) throw new ArgumentError(op, 'task', `unknown task '${String(task)}'; known tasks: ${TASK_NAMES.join(', ')}`);
  const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [k]: v } as { [P in K]: V }));
  if (task === 'mnist') {
    if (sequenceLength !== undefined && sequenceLength !== 28) {
      throw new ArgumentError(op, 'sequenceLength', `mnist has 28 rows per image; got ${sequenceLength}`);
    }
    return mnistTask({ ...opt('dtype', dtype), ...opt('trainSize', trainSize), ...opt('testSize', testSize), ...opt('dir', dataDir) });
  }
  if (trainSize !== undefined) throw new ArgumentError(op, 'trainSize', `${task} draws new sequences every step; it has no training set size`);
  const o = { ...opt('steps', sequenceLength), ...opt('dtype', dtype), ...opt('testSize', testSize) };
  return E.right(task === 'adding' ? addingTask(o) : temporalOrderTask(o));
}
