/**
 * Temporal order (Hochreiter & Schmidhuber 1997, experiment 6a): classify the
 * order of two symbols placed far apart among distractors.
 *
 * The alphabet has eight symbols, fed one-hot ({@link TEMPORAL_ORDER_SYMBOLS}):
 * distractors `a b c d`, the relevant symbols `X Y`, and the markers `E`
 * (first step) and `B` (last step). In the paper a sequence has 100 to 110
 * steps, the relevant symbols sit at a step t1 in [10, 20] and a step t2 in
 * [50, 60], every other step is a random distractor, and the four classes are
 * the orders `XX`, `XY`, `YX`, `YY`. Here the base length `L` is a parameter
 * and everything scales with it: lengths L to L + floor(L / 10), t1 in
 * [round(L / 10), round(L / 5)], t2 in [round(L / 2), round(3L / 5)], so
 * `L = 100` is the paper's setting. All sequences of one batch share a length
 * (drawn per batch), so no padding is needed.
 *
 * A model that ignores its input is right a quarter of the time and scores
 * `ln 4 = 1.386` in cross-entropy.
 *
 * @module
 */
import { ArgumentError, allocate, unsafeFromData, type DType, type Key } from '@mnemo/core';
import { checkCount, wordStream, wordsBelow } from '../common/internal.js';
import type { Batch } from '../common/types.js';

/**
 * The input alphabet in one-hot order: index 0-3 the distractors `a b c d`,
 * 4 and 5 the relevant `X` and `Y`, 6 the end marker `B`, 7 the start marker `E`.
 *
 * @example
 * ```ts
 * import { TEMPORAL_ORDER_SYMBOLS } from '@mnemo/models';
 * console.assert(TEMPORAL_ORDER_SYMBOLS.join('') === 'abcdXYBE');
 * ```
 * @category Tasks
 */
export const TEMPORAL_ORDER_SYMBOLS: readonly string[] = Object.freeze(['a', 'b', 'c', 'd', 'X', 'Y', 'B', 'E']);

/**
 * The class names in label order: label `2 * [first is Y] + [second is Y]`.
 *
 * @example
 * ```ts
 * import { TEMPORAL_ORDER_CLASSES } from '@mnemo/models';
 * console.assert(TEMPORAL_ORDER_CLASSES[1] === 'XY');
 * ```
 * @category Tasks
 */
export const TEMPORAL_ORDER_CLASSES: readonly string[] = Object.freeze(['XX', 'XY', 'YX', 'YY']);

/**
 * Where the relevant symbols may sit in a sequence of base length `steps`:
 * the inclusive ranges of t1 and t2 and the range of lengths.
 *
 * @example
 * ```ts
 * import { temporalOrderLayout } from '@mnemo/models';
 * const l = temporalOrderLayout(100);
 * console.assert(l.t1.join() === '10,20' && l.t2.join() === '50,60' && l.length.join() === '100,110');
 * ```
 * @category Tasks
 */
export function temporalOrderLayout(steps: number): {
  readonly t1: readonly [number, number];
  readonly t2: readonly [number, number];
  readonly length: readonly [number, number];
} {
  const L = checkCount('temporalOrderLayout', 'steps', steps, 8);
  const t1: [number, number] = [Math.max(1, Math.round(L / 10)), Math.max(1, Math.round(L / 5))];
  const t2: [number, number] = [Math.max(t1[1] + 1, Math.round(L / 2)), Math.max(t1[1] + 1, Math.round((3 * L) / 5))];
  if (t2[1] >= L - 1) throw new ArgumentError('temporalOrderLayout', 'steps', `${L} is too short to place both symbols before the end marker`);
  return { t1, t2, length: [L, L + Math.floor(L / 10)] };
}

/**
 * Draw a batch of the temporal order problem from a key: `x`
 * `[batch, length, 8]` (one-hot symbols, see {@link TEMPORAL_ORDER_SYMBOLS})
 * and `y` `[batch]` (labels 0-3, see {@link TEMPORAL_ORDER_CLASSES}). The
 * length is drawn from the range {@link temporalOrderLayout} gives, unless
 * `length` fixes it (it must lie in that range). The same key gives the same batch.
 *
 * @example
 * ```ts
 * import { temporalOrderBatch } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const { x, y } = temporalOrderBatch(key(3), 2, 20);
 * const T = x.shape[1]!;
 * const v = x.toArray();
 * console.assert(T >= 20 && T <= 22 && y.shape.join() === '2');
 * console.assert(v[7] === 1 && v[(T - 1) * 8 + 6] === 1); // E first, B last
 * ```
 * @category Tasks
 */
export function temporalOrderBatch(k: Key, batch: number, steps: number, dtype: DType = 'float32', length?: number): Batch {
  const op = 'temporalOrderBatch';
  const B = checkCount(op, 'batch', batch);
  const layout = temporalOrderLayout(steps);
  const next = wordStream(k);
  const [lo, hi] = layout.length;
  const T = length ?? lo + wordsBelow(next, hi - lo + 1);
  if (!Number.isInteger(T) || T < lo || T > hi) {
    throw new ArgumentError(op, 'length', `must be an integer in [${lo}, ${hi}] for base length ${steps}, got ${String(length)}`);
  }
  const S = TEMPORAL_ORDER_SYMBOLS.length;
  const x = allocate(dtype, B * T * S);
  const y = allocate(dtype, B);
  const [a1, b1] = layout.t1;
  const [a2, b2] = layout.t2;
  for (let b = 0; b < B; b++) {
    const t1 = a1 + wordsBelow(next, b1 - a1 + 1);
    const t2 = a2 + wordsBelow(next, b2 - a2 + 1);
    const first = wordsBelow(next, 2); // 0: X, 1: Y
    const second = wordsBelow(next, 2);
    for (let t = 0; t < T; t++) {
      let sym: number;
      if (t === 0) sym = 7;
      else if (t === T - 1) sym = 6;
      else if (t === t1) sym = 4 + first;
      else if (t === t2) sym = 4 + second;
      else sym = wordsBelow(next, 4);
      x[(b * T + t) * S + sym] = 1;
    }
    y[b] = 2 * first + second;
  }
  return { x: unsafeFromData(x, [B, T, S]), y: unsafeFromData(y, [B]) };
}
