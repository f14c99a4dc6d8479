/**
 * The long-time-lag tasks as {@link Task}s: batches drawn afresh from
 * `foldIn(dataKey, step)` at every step, and a fixed test set drawn from a key
 * that does not depend on the run's seed, so runs with different seeds are
 * scored on the same sequences.
 *
 * @module
 */
import { foldIn, key, unsafeDataOf, type DType, type Key, type Tensor } from '@mnemo/core';
import { mse, softmaxCrossEntropy } from '@mnemo/nn';
import { ADDING_BASELINE_MSE, ADDING_TOLERANCE, addingBatch } from './adding.js';
import { checkCount, classificationHits } from '../common/internal.js';
import { TEMPORAL_ORDER_CLASSES, TEMPORAL_ORDER_SYMBOLS, temporalOrderBatch, temporalOrderLayout } from './temporal-order.js';
import type { Batch, Task } from '../common/types.js';

/**
 * Options of the synthetic tasks.
 *
 * @example
 * ```ts
 * import { addingTask, type SyntheticTaskOptions } from '@mnemo/models';
 * const o: SyntheticTaskOptions = { steps: 100, testSize: 500 };
 * console.assert(addingTask(o).testSize === 500);
 * ```
 * @category Tasks
 */
export interface SyntheticTaskOptions {
  /** Time steps per sequence (temporal order: the base length); default 100. */
  readonly steps?: number;
  /** The dtype of the batches (default float32). */
  readonly dtype?: DType;
  /** Examples in the fixed test set (default 2000), drawn in batches of {@link SYNTHETIC_TEST_CHUNK}. */
  readonly testSize?: number;
}

/**
 * The size of the batches a synthetic task's test set is drawn in (the last
 * one may be smaller). Fixed, so the test set does not depend on the
 * evaluation batch size.
 *
 * @example
 * ```ts
 * import { SYNTHETIC_TEST_CHUNK, addingTask } from '@mnemo/models';
 * const sizes = [...addingTask({ steps: 4, testSize: 300 }).testBatches(1000)].map((b) => b.x.shape[0]);
 * console.assert(SYNTHETIC_TEST_CHUNK === 250 && sizes.join() === '250,50');
 * ```
 * @category Tasks
 */
export const SYNTHETIC_TEST_CHUNK = 250;

/** The root of every synthetic test set: fixed, independent of the run's seed. */
const TEST_ROOT = key(1997);

function testBatches(taskIndex: number, steps: number, testSize: number, draw: (k: Key, n: number) => Batch): Batch[] {
  const root = foldIn(foldIn(TEST_ROOT, taskIndex), steps);
  const out: Batch[] = [];
  for (let i = 0, start = 0; start < testSize; i++, start += SYNTHETIC_TEST_CHUNK) {
    out.push(draw(foldIn(root, i), Math.min(SYNTHETIC_TEST_CHUNK, testSize - start)));
  }
  return out;
}

/**
 * The adding problem (see {@link addingBatch}) as a {@link Task}: inputs of 2
 * features, one output, mean squared error; a sequence counts as right when
 * the absolute error is below {@link ADDING_TOLERANCE}. The constant
 * prediction 1 scores {@link ADDING_BASELINE_MSE}.
 *
 * @example
 * ```ts
 * import { addingTask } from '@mnemo/models';
 * import { tensor } from '@mnemo/core';
 * const task = addingTask({ steps: 50 });
 * console.assert(task.inputSize === 2 && task.outputSize === 1 && task.steps === 50);
 * console.assert(task.hits(tensor([[1.0], [0.5]]), tensor([[1.01], [0.6]])) === 1);
 * ```
 * @category Tasks
 */
export function addingTask(options: SyntheticTaskOptions = {}): Task {
  const steps = checkCount('addingTask', 'steps', options.steps ?? 100, 2);
  const dtype = options.dtype ?? 'float32';
  const testSize = checkCount('addingTask', 'testSize', options.testSize ?? 2000);
  let test: Batch[] | undefined;
  return Object.freeze({
    name: 'adding',
    kind: 'regression',
    inputSize: 2,
    outputSize: 1,
    steps,
    dtype,
    baseline: { loss: ADDING_BASELINE_MSE, accuracy: constantHitRate(), what: 'always predicting the mean sum 1' },
    trainSize: null,
    testSize,
    description: `the adding problem: the sum of two marked values in sequences of ${steps} steps (Hochreiter & Schmidhuber 1997, exp. 4)`,
    trainBatch: (dataKey: Key, step: number, batch: number): Batch => addingBatch(foldIn(dataKey, step), batch, steps, dtype),
    testBatches: (): Iterable<Batch> => (test ??= testBatches(0, steps, testSize, (k, n) => addingBatch(k, n, steps, dtype))),
    loss: (output: Tensor, y: Tensor): Tensor => mse(output, y),
    hits: (output: Tensor, y: Tensor): number => {
      mse(output, y); // checks shapes and dtypes
      const p = unsafeDataOf(output);
      const t = unsafeDataOf(y);
      const B = y.shape[0]!;
      const per = t.length / B;
      let n = 0;
      for (let b = 0; b < B; b++) {
        let ok = true;
        for (let j = 0; j < per; j++) if (!(Math.abs(p[b * per + j]! - t[b * per + j]!) < ADDING_TOLERANCE)) ok = false;
        if (ok) n++;
      }
      return n;
    },
  } satisfies Task);
}

/**
 * The probability that the constant prediction 1 is within the tolerance of
 * the sum of two U[0, 1) values: the triangular density near its peak,
 * `1 - (1 - 0.04)^2 = 0.0784`.
 */
function constantHitRate(): number {
  return 1 - (1 - ADDING_TOLERANCE) ** 2;
}

/**
 * Temporal order (see {@link temporalOrderBatch}) as a {@link Task}: inputs of
 * 8 one-hot features, 4 classes, softmax cross-entropy. Ignoring the input
 * scores `ln 4` and 25%.
 *
 * @example
 * ```ts
 * import { temporalOrderTask } from '@mnemo/models';
 * const task = temporalOrderTask({ steps: 100 });
 * console.assert(task.inputSize === 8 && task.outputSize === 4 && Math.abs(task.baseline.loss - Math.log(4)) < 1e-12);
 * ```
 * @category Tasks
 */
export function temporalOrderTask(options: SyntheticTaskOptions = {}): Task {
  const steps = checkCount('temporalOrderTask', 'steps', options.steps ?? 100, 8);
  temporalOrderLayout(steps);
  const dtype = options.dtype ?? 'float32';
  const testSize = checkCount('temporalOrderTask', 'testSize', options.testSize ?? 2000);
  let test: Batch[] | undefined;
  return Object.freeze({
    name: 'temporal-order',
    kind: 'classification',
    inputSize: TEMPORAL_ORDER_SYMBOLS.length,
    outputSize: TEMPORAL_ORDER_CLASSES.length,
    steps,
    dtype,
    baseline: { loss: Math.log(4), accuracy: 0.25, what: 'predicting each of the four orders with probability 1/4' },
    trainSize: null,
    testSize,
    description: `temporal order: the order of X and Y placed among distractors in sequences of ${steps}+ steps (Hochreiter & Schmidhuber 1997, exp. 6a)`,
    trainBatch: (dataKey: Key, step: number, batch: number): Batch => temporalOrderBatch(foldIn(dataKey, step), batch, steps, dtype),
    testBatches: (): Iterable<Batch> => (test ??= testBatches(1, steps, testSize, (k, n) => temporalOrderBatch(k, n, steps, dtype))),
    loss: (output: Tensor, y: Tensor): Tensor => softmaxCrossEntropy(output, y),
    hits: classificationHits,
  } satisfies Task);
}
