/**
 * The adding problem (Hochreiter & Schmidhuber 1997, experiment 4), in the
 * form most later papers use (Le, Jaitly & Hinton 2015; Arjovsky et al. 2016).
 *
 * Each sequence has `T` steps of two numbers. The first is a value drawn
 * uniformly from [0, 1); the second is a marker, 1 at exactly two steps and 0
 * elsewhere: one marked step lies in the first half of the sequence, the other
 * in the second half. The target, read after the last step, is the sum of the
 * two marked values. To succeed a network must remember the first marked
 * value for up to `T` steps while ignoring everything in between.
 *
 * A model that ignores its input can do no better than predicting the mean
 * sum, 1, and then scores the variance of the sum of two U[0, 1) values,
 * `2 / 12 = 0.1667`, as its mean squared error ({@link ADDING_BASELINE_MSE}).
 * The 1997 paper counts a sequence as solved when the absolute error is below
 * 0.04 ({@link ADDING_TOLERANCE}).
 *
 * @module
 */
import { allocate, randomBits, split, unsafeFromData, type DType, type Key, type Tensor } from '@mnemo/core';
import { checkCount, wordStream, wordsBelow } from '../common/internal.js';
import type { Batch } from '../common/types.js';

/**
 * The mean squared error of the best constant prediction (the variance of the
 * sum of two independent U[0, 1) values: 1/12 + 1/12).
 *
 * @example
 * ```ts
 * import { ADDING_BASELINE_MSE } from '@mnemo/models';
 * console.assert(Math.abs(ADDING_BASELINE_MSE - 0.1667) < 1e-4);
 * ```
 * @category Tasks
 */
export const ADDING_BASELINE_MSE = 2 / 12;

/**
 * The absolute error below which a prediction counts as correct (Hochreiter &
 * Schmidhuber 1997, experiment 4).
 *
 * @example
 * ```ts
 * import { ADDING_TOLERANCE } from '@mnemo/models';
 * console.assert(ADDING_TOLERANCE === 0.04);
 * ```
 * @category Tasks
 */
export const ADDING_TOLERANCE = 0.04;

/**
 * Draw a batch of the adding problem from a key: `x` `[batch, steps, 2]`
 * (value, marker) and `y` `[batch, 1]` (the sum of the two marked values).
 * The first marker is at a step drawn uniformly from `[0, floor(steps / 2))`,
 * the second from `[floor(steps / 2), steps)`. The same key gives the same
 * batch; `steps` must be at least 2.
 *
 * @example
 * ```ts
 * import { addingBatch } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const { x, y } = addingBatch(key(1), 3, 8, 'float64');
 * const v = x.toArray();
 * let sum = 0;
 * let marks = 0;
 * for (let t = 0; t < 8; t++) if (v[2 * t + 1] === 1) { sum += v[2 * t]!; marks++; }
 * console.assert(marks === 2 && Math.abs(sum - y.toArray()[0]!) < 1e-12);
 * ```
 * @category Tasks
 */
export function addingBatch(k: Key, batch: number, steps: number, dtype: DType = 'float32'): Batch {
  const op = 'addingBatch';
  const B = checkCount(op, 'batch', batch);
  const T = checkCount(op, 'steps', steps, 2);
  const [kv, km] = split(k, 2) as [Key, Key];
  const half = Math.floor(T / 2);
  const values = randomBits(kv, B * T);
  const next = wordStream(km);
  const x = allocate(dtype, B * T * 2);
  const y = allocate(dtype, B);
  for (let b = 0; b < B; b++) {
    const first = wordsBelow(next, half);
    const second = half + wordsBelow(next, T - half);
    let sum = 0;
    for (let t = 0; t < T; t++) {
      // The top 24 bits of a word: a float32-exact uniform in [0, 1).
      const v = (values[b * T + t]! >>> 8) * 2 ** -24;
      const i = (b * T + t) * 2;
      x[i] = v;
      if (t === first || t === second) {
        x[i + 1] = 1;
        sum += v;
      }
    }
    y[b] = sum;
  }
  return { x: unsafeFromData(x, [B, T, 2]), y: unsafeFromData(y, [B, 1]) };
}
