/**
 * fast-check arbitraries for gradient proofs: shapes, broadcast-compatible
 * shape pairs, float64 tensors that can stay away from kinks (relu at 0, ties
 * in max), and small cell configurations.
 *
 * Values are drawn without fast-check's bias towards edge values (which would
 * put many entries exactly at 0 or at the bounds, that is, on kinks and ties);
 * they still shrink towards the lower bound.
 *
 * @module
 */
import fc from 'fast-check';
import { ArgumentError, MAX_SIZE, broadcastShapes, checkCount, checkDType, checkFlag, checkOptions, checkShape, formatValue, sizeOf, tensor, type DType, type Tensor } from '@mnemo/core';

// ---------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------

/**
 * Bounds for {@link arbShape}: rank from `minRank` to `maxRank` (default 0 to
 * 4), each axis from `minDim` to `maxDim` (default 1 to 3), and at most
 * `maxSize` elements (default 81).
 *
 * @example
 * ```ts
 * import type { ShapeOptions } from '@mnemo/proofs';
 * const o: ShapeOptions = { minRank: 1, maxRank: 2, maxDim: 4 };
 * console.assert(o.maxDim === 4);
 * ```
 * @category Arbitraries
 */
export interface ShapeOptions {
  readonly minRank?: number;
  readonly maxRank?: number;
  readonly minDim?: number;
  readonly maxDim?: number;
  readonly maxSize?: number;
}

/** The largest rank the shape arbitraries draw. */
const MAX_RANK = 32;

function bounds(op: string, options: ShapeOptions | undefined): Required<ShapeOptions> {
  const o = checkOptions(op, 'options', options);
  const r = { minRank: o.minRank ?? 0, maxRank: o.maxRank ?? 4, minDim: o.minDim ?? 1, maxDim: o.maxDim ?? 3, maxSize: o.maxSize ?? 81 };
  for (const [k, v] of Object.entries(r)) {
    const most = k.endsWith('Rank') ? MAX_RANK : MAX_SIZE;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > most) {
      throw new ArgumentError(op, `options.${k}`, `must be an integer from 0 to ${most}, got ${formatValue(v)}`);
    }
  }
  if (r.minRank > r.maxRank) throw new ArgumentError(op, 'options.minRank', `minRank ${r.minRank} exceeds maxRank ${r.maxRank}`);
  if (r.minDim > r.maxDim) throw new ArgumentError(op, 'options.minDim', `minDim ${r.minDim} exceeds maxDim ${r.maxDim}`);
  if (r.minDim ** r.minRank > r.maxSize) throw new ArgumentError(op, 'options.maxSize', `no shape of rank ${r.minRank} with axes >= ${r.minDim} has at most ${r.maxSize} elements`);
  return r;
}

/** Shrink axes (largest first) until the size fits. */
function fit(shape: number[], minDim: number, maxSize: number): number[] {
  const s = shape.slice();
  while (sizeOf(s) > maxSize) {
    let i = 0;
    s.forEach((d, j) => {
      if (d > s[i]!) i = j;
    });
    if (s[i]! <= minDim) break;
    s[i] = s[i]! - 1;
  }
  return s;
}

/**
 * A fast-check arbitrary of tensor shapes: arrays of axis sizes within the
 * given bounds on rank, size per axis and total size.
 *
 * @param options - `minRank`, `maxRank`, `minDim`, `maxDim`, `maxSize` (see {@link
 *   ShapeOptions}).
 * @returns An arbitrary of shapes (`number[]`).
 * @throws ArgumentError - when a bound is not a non-negative integer, a minimum
 *   exceeds its maximum, or no shape fits `maxSize`.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbShape } from '@mnemo/proofs';
 * const shapes = fc.sample(arbShape({ maxRank: 3 }), 50);
 * console.assert(shapes.every((s) => s.length <= 3 && s.every((d) => d >= 1 && d <= 3)));
 * ```
 * @category Arbitraries
 */
export function arbShape(options?: ShapeOptions): fc.Arbitrary<number[]> {
  const b = bounds('arbShape', options);
  return fc.array(fc.integer({ min: b.minDim, max: b.maxDim }), { minLength: b.minRank, maxLength: b.maxRank }).map((s) => fit(s, b.minDim, b.maxSize));
}

/**
 * Pairs of shapes that broadcast together (NumPy rules): the second is the
 * first with leading axes dropped and some axes set to 1, and the two are
 * swapped half of the time. Ranks 0 to 4 by default.
 *
 * @param options - Bounds on the shapes, as for {@link arbShape}.
 * @returns An arbitrary of pairs of shapes that broadcast together.
 * @throws ArgumentError - when a bound is not a non-negative integer, a minimum
 *   exceeds its maximum, or no shape fits `maxSize`.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbBroadcastShapes } from '@mnemo/proofs';
 * import { broadcastShapes } from '@mnemo/core';
 * const pairs = fc.sample(arbBroadcastShapes(), 50);
 * console.assert(pairs.every(([a, b]) => broadcastShapes('test', a, b).length === Math.max(a.length, b.length)));
 * ```
 * @category Arbitraries
 */
export function arbBroadcastShapes(options?: ShapeOptions): fc.Arbitrary<[number[], number[]]> {
  return arbShape(checkOptions('arbBroadcastShapes', 'options', options)).chain((full) =>
    fc
      .record({
        drop: fc.integer({ min: 0, max: full.length }),
        ones: fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
        swap: fc.boolean(),
      })
      .map(({ drop, ones, swap }) => {
        const small = full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
        return (swap ? [small, full.slice()] : [full.slice(), small]) as [number[], number[]];
      }),
  );
}

// ---------------------------------------------------------------------------
// Values and tensors
// ---------------------------------------------------------------------------

/**
 * What {@link arbTensor} draws: a shape (or an arbitrary of shapes), the
 * dtype (default float64), bounds (default -2 to 2), and ways to stay away
 * from points where a function is not differentiable:
 * - `avoid`: points (such as 0 for relu and abs) that every value keeps at
 *   least `margin` away from;
 * - `distinct`: all values of the tensor at least `margin` apart (no ties in
 *   max, min, sort). Values may then exceed `max` by up to `size * margin`.
 * `margin` defaults to 1e-3, well above the default step of the checks.
 *
 * @example
 * ```ts
 * import type { TensorOptions } from '@mnemo/proofs';
 * const o: TensorOptions = { shape: [2, 3], avoid: [0], distinct: true };
 * console.assert(o.distinct === true);
 * ```
 * @category Arbitraries
 */
export interface TensorOptions {
  readonly shape: readonly number[] | fc.Arbitrary<readonly number[]>;
  readonly dtype?: DType;
  readonly min?: number;
  readonly max?: number;
  readonly avoid?: readonly number[];
  readonly distinct?: boolean;
  readonly margin?: number;
}

const GRID = 2 ** 30;

/**
 * `n` doubles spread uniformly over `[min, max]` (default -2 to 2), without
 * bias towards edge values; they shrink towards the middle of the range.
 *
 * @param n - How many values.
 * @param options - `min` and `max` (default -2 and 2).
 * @returns An arbitrary of arrays of `n` numbers in `[min, max]`.
 * @throws ArgumentError - when `min` and `max` are not finite with `min < max`, or
 *   `n` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbValues } from '@mnemo/proofs';
 * const draws = fc.sample(arbValues(4, { min: 1, max: 2 }), 50);
 * console.assert(draws.every((v) => v.length === 4 && v.every((x) => x >= 1 && x <= 2)));
 * ```
 * @category Arbitraries
 */
export function arbValues(n: number, options?: { readonly min?: number; readonly max?: number }): fc.Arbitrary<number[]> {
  checkCount('arbValues', 'n', n);
  const o = checkOptions('arbValues', 'options', options);
  const min = o.min ?? -2;
  const max = o.max ?? 2;
  if (typeof min !== 'number' || typeof max !== 'number' || !(min < max) || !Number.isFinite(min) || !Number.isFinite(max)) {
    throw new ArgumentError('arbValues', 'options.min', `needs finite min < max, got ${formatValue(min)} and ${formatValue(max)}`);
  }
  // Uniform over [min, max] on a grid of 2^31 + 1 points (fast-check's own
  // doubles are uniform over representable numbers, so almost all of them would
  // be tiny), shrinking towards the middle of the range.
  const mid = min / 2 + max / 2;
  const half = max / 2 - min / 2;
  const value = fc.noBias(fc.integer({ min: -GRID, max: GRID })).map((i) => (i === GRID ? max : i === -GRID ? min : mid + (half * i) / GRID));
  return fc.array(value, { minLength: n, maxLength: n });
}

/** Move values within `margin` of an avoided point to that distance, on their own side. */
function keepAway(values: number[], avoid: readonly number[], margin: number): number[] {
  return values.map((v) => {
    let x = v;
    for (const k of avoid) if (Math.abs(x - k) < margin) x = x >= k ? k + margin : k - margin;
    return x;
  });
}

/** Spread values so that any two differ by at least `margin` (order kept). */
function spread(values: number[], margin: number): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = values.slice();
  for (let k = 1; k < order.length; k++) {
    const prev = out[order[k - 1]!]!;
    if (out[order[k]!]! < prev + margin) out[order[k]!] = prev + margin;
  }
  return out;
}

/**
 * Tensors of the given shape (or drawn shape) with values in bounds, kept
 * away from the given kinks and ties.
 *
 * @param options - `shape` (or bounds to draw one), `dtype`, `min`, `max`,
 *   `distinct` and `margin` (see {@link TensorOptions}).
 * @returns An arbitrary of tensors.
 * @throws ArgumentError - when `margin` is negative, the bounds are not finite
 *   with `min < max`, or the shape bounds are invalid.
 * @throws ShapeError - when a given `shape` holds more than 2^31 - 1 elements.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbTensor, arbShape } from '@mnemo/proofs';
 * const ts = fc.sample(arbTensor({ shape: arbShape(), avoid: [0] }), 50);
 * console.assert(ts.every((t) => t.dtype === 'float64' && t.toArray().every((v) => Math.abs(v) >= 1e-3)));
 * ```
 * @category Arbitraries
 */
export function arbTensor(options: TensorOptions): fc.Arbitrary<Tensor> {
  const op = 'arbTensor';
  if (options === undefined) throw new ArgumentError(op, 'options', 'needs { shape, ... }');
  checkOptions(op, 'options', options);
  const margin = options.margin ?? 1e-3;
  if (typeof margin !== 'number' || !(margin >= 0)) throw new ArgumentError(op, 'options.margin', `must be non-negative, got ${formatValue(margin)}`);
  const dtype = checkDType(op, 'options.dtype', options.dtype ?? 'float64');
  const avoid = options.avoid;
  if (avoid !== undefined && !(Array.isArray(avoid) && avoid.every((v) => typeof v === 'number'))) {
    throw new ArgumentError(op, 'options.avoid', `expected an array of numbers, got ${formatValue(avoid)}`);
  }
  checkFlag(op, 'options.distinct', options.distinct, false);
  // Checked here (and each drawn shape below), so that a bad bound fails at once rather than when a value is drawn.
  arbValues(0, { min: options.min, max: options.max });
  const given = options.shape as unknown;
  const shapes = Array.isArray(given)
    ? fc.constant(checkShape(op, 'options.shape', given) as readonly number[])
    : given instanceof fc.Arbitrary
      ? (given as fc.Arbitrary<readonly number[]>)
      : (() => {
          throw new ArgumentError(op, 'options.shape', `expected a shape or an arbitrary of shapes, got ${formatValue(given)}`);
        })();
  return shapes.chain((drawn) => {
    const shape = checkShape(op, 'options.shape', drawn);
    return arbValues(sizeOf(shape), options).map((raw) => {
      let v = options.avoid === undefined ? raw : keepAway(raw, options.avoid, margin);
      if (options.distinct === true) {
        v = spread(v, margin);
        if (options.avoid !== undefined) v = spread(keepAway(v, options.avoid, margin), margin);
      }
      return tensor(dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v), dtype, shape);
    });
  });
}

/**
 * Two tensors of broadcast-compatible shapes (see {@link arbBroadcastShapes}).
 * With `apart`, every pair of entries that meet under broadcasting differs by
 * at least that much: no ties for `maximum` and `minimum`.
 *
 * @param opts - Bounds on the shapes and values, and `apart`: the smallest gap
 *   between entries that meet under broadcasting.
 * @returns An arbitrary of pairs of tensors of broadcast-compatible shapes.
 * @throws ArgumentError - when the bounds are invalid, as for {@link arbShape} and
 *   {@link arbTensor}.
 * @throws ShapeError - never for valid bounds: the pairs drawn always broadcast.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbBroadcastTensors } from '@mnemo/proofs';
 * import { maximum } from '@mnemo/autodiff';
 * const pairs = fc.sample(arbBroadcastTensors({ apart: 1e-3 }), 20);
 * console.assert(pairs.every(([a, b]) => maximum(a, b).rank === Math.max(a.rank, b.rank)));
 * ```
 * @category Arbitraries
 */
export function arbBroadcastTensors(
  opts?: ShapeOptions & Omit<TensorOptions, 'shape' | 'distinct'> & { readonly apart?: number },
): fc.Arbitrary<[Tensor, Tensor]> {
  const options = checkOptions('arbBroadcastTensors', 'options', opts);
  if (options.apart !== undefined && (typeof options.apart !== 'number' || !(options.apart >= 0))) {
    throw new ArgumentError('arbBroadcastTensors', 'options.apart', `must be a non-negative number, got ${formatValue(options.apart)}`);
  }
  // The tensor options are checked once here, with a shape that is always valid.
  arbTensor({ ...options, shape: [] });
  const pair = arbBroadcastShapes(options).chain(([sa, sb]) =>
    fc.tuple(arbTensor({ ...options, shape: sa }), arbTensor({ ...options, shape: sb })),
  );
  const apart = options.apart;
  if (apart === undefined) return pair;
  return pair.filter(([a, b]) => minGap(a, b) >= apart);
}

/** The smallest |a - b| over entries that meet under broadcasting. */
function minGap(a: Tensor, b: Tensor): number {
  const out = broadcastShapes('arbBroadcastTensors', a.shape, b.shape);
  const ad = a.toArray();
  const bd = b.toArray();
  const idx = (shape: readonly number[], flat: number): number => {
    // Offset into a tensor of `shape` broadcast to `out`.
    let off = 0;
    let stride = 1;
    let r = flat;
    const pos: number[] = new Array<number>(out.length);
    for (let i = out.length - 1; i >= 0; i--) {
      pos[i] = r % out[i]!;
      r = Math.floor(r / out[i]!);
    }
    for (let i = shape.length - 1; i >= 0; i--) {
      const p = pos[i + out.length - shape.length]!;
      off += (shape[i] === 1 ? 0 : p) * stride;
      stride *= shape[i]!;
    }
    return off;
  };
  let gap = Infinity;
  for (let k = 0; k < sizeOf(out); k++) gap = Math.min(gap, Math.abs(ad[idx(a.shape, k)]! - bd[idx(b.shape, k)]!));
  return gap;
}

// ---------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------

/**
 * A small recurrent-cell problem: sizes, batch, sequence length, whether the
 * cell's biases are kept (false: set to zero), the seed for parameters and
 * inputs, and each sequence's length (all equal to `steps` unless masks were
 * asked for).
 *
 * @example
 * ```ts
 * import type { CellConfig } from '@mnemo/proofs';
 * const c: CellConfig = { inputSize: 2, hiddenSize: 3, batch: 1, steps: 4, bias: true, seed: 0, lengths: [4] };
 * console.assert(c.lengths.length === c.batch);
 * ```
 * @category Arbitraries
 */
export interface CellConfig {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly batch: number;
  readonly steps: number;
  readonly bias: boolean;
  readonly seed: number;
  readonly lengths: readonly number[];
}

/**
 * Bounds for {@link arbCellConfig}: input and hidden sizes 1 to 8, batch 1 to
 * 3, steps 1 to `maxSteps` (default 8); `masks` draws variable lengths
 * (1 to steps) per sequence; `bias` fixes the bias choice (default: drawn).
 *
 * @example
 * ```ts
 * import type { CellConfigOptions } from '@mnemo/proofs';
 * const o: CellConfigOptions = { maxSteps: 20, masks: true };
 * console.assert(o.masks === true);
 * ```
 * @category Arbitraries
 */
export interface CellConfigOptions {
  readonly maxInput?: number;
  readonly maxHidden?: number;
  readonly maxBatch?: number;
  readonly minSteps?: number;
  readonly maxSteps?: number;
  readonly masks?: boolean;
  readonly bias?: boolean;
}

/**
 * A fast-check arbitrary of small cell configurations for BPTT proofs: sizes,
 * batch, steps, lengths, bias on or off and a seed.
 *
 * @param opts - `maxInput`, `maxHidden`, `maxBatch`, `minSteps`, `maxSteps`,
 *   `masks`, `bias` (see {@link CellConfigOptions}).
 * @returns An arbitrary of {@link CellConfig}.
 * @throws ArgumentError - when the step bounds are not integers with `1 <=
 *   minSteps <= maxSteps`, or another bound is not a positive integer.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { arbCellConfig } from '@mnemo/proofs';
 * const configs = fc.sample(arbCellConfig({ masks: true }), 50);
 * console.assert(configs.every((c) => c.lengths.length === c.batch && c.lengths.every((l) => l >= 1 && l <= c.steps)));
 * ```
 * @category Arbitraries
 */
export function arbCellConfig(opts?: CellConfigOptions): fc.Arbitrary<CellConfig> {
  const op = 'arbCellConfig';
  const options = checkOptions(op, 'options', opts);
  const maxSteps = options.maxSteps ?? 8;
  const minSteps = options.minSteps ?? 1;
  if (!Number.isInteger(minSteps) || minSteps < 1 || !Number.isInteger(maxSteps) || maxSteps < minSteps || maxSteps > MAX_SIZE) {
    throw new ArgumentError(op, 'options.maxSteps', `needs integers 1 <= minSteps <= maxSteps, got ${formatValue(minSteps)} and ${formatValue(maxSteps)}`);
  }
  for (const k of ['maxInput', 'maxHidden', 'maxBatch'] as const) {
    if (options[k] !== undefined) checkCount(op, `options.${k}`, options[k], 1);
  }
  checkFlag(op, 'options.masks', options.masks, false);
  if (options.bias !== undefined) checkFlag(op, 'options.bias', options.bias, false);
  return fc
    .record({
      inputSize: fc.integer({ min: 1, max: options.maxInput ?? 8 }),
      hiddenSize: fc.integer({ min: 1, max: options.maxHidden ?? 8 }),
      batch: fc.integer({ min: 1, max: options.maxBatch ?? 3 }),
      steps: fc.integer({ min: minSteps, max: maxSteps }),
      bias: options.bias === undefined ? fc.boolean() : fc.constant(options.bias),
      seed: fc.nat({ max: 0x7fffffff }),
    })
    .chain((c) =>
      (options.masks === true
        ? fc.array(fc.integer({ min: 1, max: c.steps }), { minLength: c.batch, maxLength: c.batch })
        : fc.constant(new Array<number>(c.batch).fill(c.steps))
      ).map((lengths) => ({ ...c, lengths })),
    );
}
