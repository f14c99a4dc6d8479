/**
 * Plain n-d arrays for the autodiff tests: multi-index iteration, broadcasting
 * read off the shapes, an accumulator that keeps an error bound, a closeness
 * check, and the fast-check arbitraries every test file draws from.
 *
 * Everything here is written from the textbook definitions (row-major
 * flattening by Horner's rule, NumPy broadcasting), independent of core's
 * kernels and of the rules under test.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { tensor, type DType, type Tensor } from '@mnemo/core';

export type Shape = readonly number[];

/** A shape and its values in row-major order, as doubles. */
export interface Arr {
  readonly shape: Shape;
  readonly data: readonly number[];
}

export const sizeOf = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/** Every multi-index of a shape, in row-major order (one, `[]`, for a scalar). */
export function* indices(shape: Shape): Generator<number[]> {
  if (shape.some((d) => d === 0)) return;
  const idx = new Array<number>(shape.length).fill(0);
  for (;;) {
    yield idx.slice();
    let d = shape.length - 1;
    while (d >= 0) {
      idx[d]!++;
      if (idx[d]! < shape[d]!) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

/** Row-major position of a multi-index. */
export function flat(shape: Shape, idx: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d]! + idx[d]!;
  return f;
}

/** Position in `shape` of the element read at `idx` of `target` when `shape` is broadcast to `target`. */
export function bflat(shape: Shape, target: Shape, idx: readonly number[]): number {
  const off = target.length - shape.length;
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d]! + (shape[d] === 1 ? 0 : idx[off + d]!);
  return f;
}

/** NumPy broadcasting of shapes already known to be compatible. */
export function broadcast(...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) s.forEach((d, i) => (out[rank - s.length + i] = Math.max(out[rank - s.length + i]!, d)));
  return out;
}

export const T = (a: Arr, dtype: DType = 'float64'): Tensor => tensor(Float64Array.from(a.data), dtype, a.shape);
export const arr = (t: Tensor): Arr => ({ shape: t.shape.slice(), data: Array.from(t.toArray()) });
export const at = (a: Arr, idx: readonly number[]): number => a.data[flat(a.shape, idx)]!;

/**
 * An expected tensor built as a sum of terms, keeping beside each value the sum
 * of its terms' magnitudes: the scale against which a relative error is
 * measured (so a sum that cancels is judged by the size of what cancelled).
 */
export class Acc {
  readonly value: Float64Array;
  readonly scale: Float64Array;
  constructor(readonly shape: Shape) {
    this.value = new Float64Array(sizeOf(shape));
    this.scale = new Float64Array(sizeOf(shape));
  }
  add(i: number, v: number): void {
    this.addScaled(i, v, Math.abs(v));
  }
  /** Add a term whose own computation had magnitude `scale` (for terms that are themselves sums). */
  addScaled(i: number, v: number, scale: number): void {
    this.value[i] = this.value[i]! + v;
    this.scale[i] = this.scale[i]! + scale;
  }
  /** A copy with every value passed through `f` (for example Math.fround). */
  mapValues(f: (v: number) => number): Acc {
    const out = new Acc(this.shape);
    this.value.forEach((v, i) => {
      out.value[i] = f(v);
      out.scale[i] = this.scale[i]!;
    });
    return out;
  }
  static zeros(shape: Shape): Acc {
    return new Acc(shape);
  }
  static of(a: Arr): Acc {
    const out = new Acc(a.shape);
    a.data.forEach((v, i) => out.add(i, v));
    return out;
  }
}

/**
 * Assert `actual` has the expected shape (and dtype, when given) and every entry
 * is within `rtol` of the expected value, relative to that entry's scale. An
 * entry whose terms were all zero must be exactly zero.
 */
export function expectClose(actual: Tensor, expected: Acc, rtol = 1e-12, label = '', dtype?: DType): void {
  expect(actual.shape, `${label}: shape`).toEqual(expected.shape);
  if (dtype !== undefined) expect(actual.dtype, `${label}: dtype`).toBe(dtype);
  const a = actual.toArray();
  const bad: string[] = [];
  a.forEach((v, i) => {
    const e = expected.value[i]!;
    const ok = Number.isFinite(e) ? Math.abs(v - e) <= rtol * expected.scale[i]! : Object.is(v, e);
    if (!ok && bad.length < 4) bad.push(`[${i}] got ${v}, expected ${e} (scale ${expected.scale[i]}, rtol ${rtol})`);
  });
  expect(bad, `${label}: values`).toEqual([]);
}

// ---------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------

/**
 * Doubles spread evenly over [min, max], and now and then exactly min, max or
 * 0 (when in range). Not fc.double: it is uniform over bit patterns, so most
 * of its draws in [-1, 1] are tiny (1e-100 and below), and a test of curvature
 * on them checks almost nothing.
 */
export const real = (min: number, max: number): fc.Arbitrary<number> => {
  const uniform = fc.noBias(fc.integer({ min: 0, max: 2 ** 40 })).map((n) => Math.min(max, min + (max - min) * (n / 2 ** 40)));
  const special = fc.constantFrom(...[min, max, ...(min < 0 && max > 0 ? [0] : [])]);
  return fc.oneof({ arbitrary: uniform, weight: 12 }, { arbitrary: special, weight: 1 });
};

/** Values with many exact ties and kinks (0, -0, integers, halves). */
export const tiesAndKinks: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5), real(-3, 3));
export const smallInts: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(-1, 0, 1), real(-2, 2));

export const shapeArb = (minRank = 0, maxRank = 3, maxDim = 3): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

export const arrArb = (shape: Shape, v: fc.Arbitrary<number> = real(-3, 3)): fc.Arbitrary<Arr> =>
  fc.array(v, { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((data) => ({ shape, data }));

/** A cotangent: values in [-2, 2], never all ones. */
export const ctArb = (shape: Shape): fc.Arbitrary<Arr> => arrArb(shape, real(-2, 2)).filter((a) => a.data.some((x) => x !== 1));

/** A shape that broadcasts to `target`: some leading axes dropped, some others set to 1. */
export const broadcastableTo = (target: Shape): fc.Arbitrary<number[]> =>
  fc
    .tuple(fc.integer({ min: 0, max: target.length }), fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }))
    .map(([drop, ones]) => target.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));

/** Integer-valued doubles in [0, len): indices for gather and friends. */
export const indexArr = (shape: Shape, len: number): fc.Arbitrary<Arr> => arrArb(shape, fc.integer({ min: 0, max: len - 1 }));

/** A permutation of `n` axes. */
export const permArb = (n: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });
