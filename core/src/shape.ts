/**
 * Shapes, strides and NumPy broadcasting.
 *
 * @module
 */
import { ArgumentError, ShapeError, formatShape, formatValue } from './errors.js';

/**
 * A tensor's shape: one non-negative integer per axis; `[]` is a scalar.
 *
 * @example
 * ```ts
 * import { type Shape, sizeOf } from '@mnemo/core';
 * const s: Shape = [2, 3];
 * console.assert(sizeOf(s) === 6);
 * ```
 * @category Shapes
 */
export type Shape = readonly number[];

/**
 * Number of elements of a shape (1 for a scalar, 0 if any axis is empty).
 *
 * @param shape - The shape.
 * @returns The product of the sizes: 1 for `[]`, 0 when any axis is 0.
 * @throws ArgumentError - when `shape` is not an array of numbers.
 *
 * @example
 * ```ts
 * import { sizeOf } from '@mnemo/core';
 * console.assert(sizeOf([]) === 1 && sizeOf([2, 0, 3]) === 0);
 * ```
 * @category Shapes
 */
export function sizeOf(shape: Shape): number {
  numbers('sizeOf', 'shape', shape);
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Throws an ArgumentError unless `shape` is an array of numbers (the cheap check of the shape helpers; sizes are checked where users give them, by checkShape). */
function numbers(op: string, arg: string, shape: unknown): asserts shape is Shape {
  if (!isNumberArray(shape)) throw new ArgumentError(op, arg, `expected a shape (an array of sizes), got ${formatValue(shape)}`);
}

function isNumberArray(shape: unknown): shape is Shape {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) if (typeof shape[i] !== 'number') return false;
  return true;
}

/**
 * Row-major (C order) strides of a shape, in elements: the step in the flat
 * data that moves one index along each axis.
 *
 * @param shape - The shape.
 * @returns One stride per axis; the last axis has stride 1.
 * @throws ArgumentError - when `shape` is not an array of numbers.
 *
 * @example
 * ```ts
 * import { stridesOf } from '@mnemo/core';
 * console.assert(stridesOf([2, 3, 4]).join() === '12,4,1');
 * ```
 * @category Shapes
 */
export function stridesOf(shape: Shape): number[] {
  numbers('stridesOf', 'shape', shape);
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * The largest number of elements a tensor may have, and the largest size of
 * one axis: 2^31 - 1. Kernels index elements with 32-bit integers, and every
 * typed array can hold this many. Shapes past it are refused with a
 * {@link ShapeError} before anything is allocated.
 *
 * @example
 * ```ts
 * import { MAX_SIZE, zeros, ShapeError } from '@mnemo/core';
 * let refused = false;
 * try { zeros([MAX_SIZE + 1]); } catch (e) { refused = e instanceof ShapeError; }
 * console.assert(MAX_SIZE === 2 ** 31 - 1 && refused);
 * ```
 * @category Shapes
 */
export const MAX_SIZE = 2 ** 31 - 1;

/**
 * The number of elements of a shape of valid sizes, checked against
 * {@link MAX_SIZE}: throws a {@link ShapeError} naming the op, the argument
 * and the shape when the count (or one axis) is larger. Call it before
 * allocating for a shape computed from arguments (a broadcast, a padding, a
 * concatenation).
 *
 * @param op - The operation, for the message.
 * @param arg - The argument the shape comes from, for the message.
 * @param shape - Sizes, each a non-negative integer.
 * @returns The number of elements.
 * @throws ShapeError - when the shape has more than {@link MAX_SIZE} elements or
 *   an axis larger than that.
 * @throws ArgumentError - when `shape` is not an array of numbers.
 *
 * @example
 * ```ts
 * import { checkSize } from '@mnemo/core';
 * console.assert(checkSize('zeros', 'shape', [2, 3]) === 6);
 * let message = '';
 * try { checkSize('add', 'shapes', [65536, 65536]); } catch (e) { message = (e as Error).message; }
 * console.assert(message.includes('[65536, 65536]') && message.includes('4294967296'));
 * ```
 * @category Shapes
 */
export function checkSize(op: string, arg: string, shape: Shape): number {
  numbers(op, arg, shape);
  let n = 1;
  for (const d of shape) {
    if (d > MAX_SIZE) throw new ShapeError(op, arg, `an axis of size ${d} in ${formatShape(shape)} is larger than ${MAX_SIZE} (2^31 - 1), the most a tensor can hold`);
    n *= d;
  }
  if (n > MAX_SIZE) {
    throw new ShapeError(op, arg, `shape ${formatShape(shape)} has ${n} elements, more than ${MAX_SIZE} (2^31 - 1), the most a tensor can hold`);
  }
  return n;
}

/**
 * Validate a shape given by a user (every entry a finite non-negative integer),
 * for the argument checks of ops and constructors.
 *
 * @param op - The operation, named in the error.
 * @param arg - The argument, named in the error.
 * @param shape - The value to check.
 * @returns A copy of the shape as a plain `number[]`.
 * @throws ArgumentError - when `shape` is not an array, or an entry is not a
 *   finite non-negative integer (the message names the axis).
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`) or an axis is larger than that.
 *
 * @example
 * ```ts
 * import { checkShape } from '@mnemo/core';
 * console.assert(checkShape('zeros', 'shape', [2, 3]).length === 2);
 * ```
 * @category Shapes
 */
export function checkShape(op: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(op, arg, `expected an array of sizes, got ${formatValue(shape)}`);
  }
  const out = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ArgumentError(op, arg, `size at axis ${i} must be a finite non-negative integer, got ${formatValue(d)} in ${formatValue(shape)}`);
    }
    out[i] = d + 0; // -0 becomes 0
  }
  checkSize(op, arg, out);
  return out;
}

/**
 * Whether two shapes are equal: the same rank and the same size on every axis
 * (no broadcasting).
 *
 * @param a - A shape.
 * @param b - Another shape.
 * @returns `true` when they have the same rank and sizes.
 * @throws ArgumentError - when `a` or `b` is not an array.
 *
 * @example
 * ```ts
 * import { shapesEqual } from '@mnemo/core';
 * console.assert(shapesEqual([2, 3], [2, 3]) && !shapesEqual([2], [2, 1]));
 * ```
 * @category Shapes
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (!Array.isArray(a)) throw new ArgumentError('shapesEqual', 'a', `expected a shape (an array of sizes), got ${formatValue(a)}`);
  if (!Array.isArray(b)) throw new ArgumentError('shapesEqual', 'b', `expected a shape (an array of sizes), got ${formatValue(b)}`);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The broadcast shape of several shapes under NumPy's rules: align the shapes
 * at their last axis; two sizes are compatible when equal or when one is 1;
 * the result takes the larger. Throws a {@link ShapeError} naming the op and
 * both shapes when they are incompatible.
 *
 * @param op - The operation, named in the error.
 * @param shapes - The shapes to broadcast together.
 * @returns The broadcast shape, of the largest rank among `shapes`.
 * @throws ShapeError - when two shapes have sizes on one axis that differ and are
 *   both not 1 (the message gives all shapes and the axis).
 * @throws ArgumentError - when a shape is not an array of numbers.
 *
 * @example
 * ```ts
 * import { broadcastShapes } from '@mnemo/core';
 * console.assert(broadcastShapes('add', [4, 1, 3], [2, 1]).join() === '4,2,3');
 * ```
 * @category Shapes
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  for (let i = 0; i < shapes.length; i++) {
    // The argument's name is built only for the error, not on every call.
    if (!isNumberArray(shapes[i])) numbers(op, `shapes[${i}]`, shapes[i]);
  }
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) {
        out[off + i] = d;
        continue;
      }
      throw new ShapeError(
        op,
        'shapes',
        `shapes ${shapes.map(formatShape).join(' and ')} do not broadcast (axis ${off + i - rank}: ${o} vs ${d})`,
      );
    }
  }
  return out;
}

/**
 * Strides for reading a tensor of shape `shape` as if it had the (larger,
 * broadcast) shape `target`: axes that are broadcast get stride 0.
 *
 * @param shape - The shape of the tensor read.
 * @param target - The broadcast shape it is read as (at least the rank of
 *   `shape`).
 * @returns One stride per axis of `target`: 0 where the axis is added or
 *   broadcast, the row-major stride of `shape` elsewhere.
 * @throws ArgumentError - when `shape` or `target` is not an array of numbers.
 *
 * @example
 * ```ts
 * import { broadcastStrides } from '@mnemo/core';
 * console.assert(broadcastStrides([3], [2, 3]).join() === '0,1');
 * ```
 * @category Internals
 */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  numbers('broadcastStrides', 'target', target);
  const strides = stridesOf(shape);
  const off = target.length - shape.length;
  const out = new Array<number>(target.length).fill(0);
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : strides[i]!;
  return out;
}

/**
 * The axes over which a gradient of shape `from` must be summed to give back a
 * tensor of shape `to` (the shape of an input that was broadcast to `from`).
 *
 * Unbroadcasting is the adjoint of broadcasting. A value of shape `to` was
 * broadcast to shape `from` by (1) prepending size-1 axes until the ranks match
 * and (2) repeating every size-1 axis. Its gradient therefore (1) sums over
 * the leading axes that were added and (2) sums, keeping the axis, over every
 * axis where `to` has size 1 and `from` does not. This function returns both
 * sets: `leading` (removed after the sum) and `kept` (summed with keepDims).
 * The autodiff's `unbroadcast` op applies them.
 *
 * @param from - The broadcast shape (of the gradient).
 * @param to - The shape of the input that was broadcast.
 * @returns `leading`: the axes added in front, summed away; `kept`: the axes where
 *   `to` has size 1, summed with keepDims.
 * @throws ShapeError - when `to` has a larger rank than `from`, or does not
 *   broadcast to it.
 * @throws ArgumentError - when `from` or `to` is not an array of numbers.
 *
 * @example
 * ```ts
 * import { unbroadcastAxes } from '@mnemo/core';
 * const { leading, kept } = unbroadcastAxes([4, 2, 3], [2, 1]);
 * console.assert(leading.join() === '0' && kept.join() === '2');
 * ```
 * @category Shapes
 */
export function unbroadcastAxes(from: Shape, to: Shape): { leading: number[]; kept: number[] } {
  numbers('unbroadcast', 'from', from);
  numbers('unbroadcast', 'to', to);
  const off = from.length - to.length;
  if (off < 0) {
    throw new ShapeError('unbroadcast', 'to', `cannot unbroadcast ${formatShape(from)} to the larger rank ${formatShape(to)}`);
  }
  const leading: number[] = [];
  for (let i = 0; i < off; i++) leading.push(i);
  const kept: number[] = [];
  for (let i = 0; i < to.length; i++) {
    const t = to[i]!;
    const f = from[off + i]!;
    if (t === f) continue;
    if (t === 1) kept.push(off + i);
    else throw new ShapeError('unbroadcast', 'to', `${formatShape(to)} does not broadcast to ${formatShape(from)}`);
  }
  return { leading, kept };
}

/**
 * Normalize an axis against a rank or a shape, negative axes counting from the
 * end (`-1` is the last), for the argument checks of ops.
 *
 * @param op - The operation, named in the error.
 * @param axis - The axis; from `-rank` to `rank - 1`.
 * @param rankOrShape - The rank, or the shape (then named in the error).
 * @param arg - The argument named in the error (default `'axis'`).
 * @returns The axis in `[0, rank)`.
 * @throws ArgumentError - when `axis` is not an integer or is out of range for the
 *   rank.
 *
 * @example
 * ```ts
 * import { normalizeAxis } from '@mnemo/core';
 * console.assert(normalizeAxis('sum', -1, 3) === 2 && normalizeAxis('sum', 0, [2, 5]) === 0);
 * ```
 * @category Shapes
 */
export function normalizeAxis(op: string, axis: number, rankOrShape: number | Shape, arg = 'axis'): number {
  const rank = rankOf(op, rankOrShape);
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const of = typeof rankOrShape === 'number' ? '' : ` (shape ${formatShape(rankOrShape)})`;
    const what = typeof axis === 'number' && Number.isInteger(axis) ? 'is out of range' : 'is not an integer axis';
    throw new ArgumentError(op, arg, `axis ${formatValue(axis)} ${what} for a tensor of rank ${rank}${of}`);
  }
  return axis < 0 ? axis + rank : axis;
}

function rankOf(op: string, rankOrShape: unknown): number {
  if (typeof rankOrShape === 'number' && Number.isInteger(rankOrShape) && rankOrShape >= 0) return rankOrShape;
  if (Array.isArray(rankOrShape)) return rankOrShape.length;
  throw new ArgumentError(op, 'rank', `expected a rank (a non-negative integer) or a shape, got ${formatValue(rankOrShape)}`);
}

/**
 * Normalize a list of axes (or one axis, or `undefined` for all axes) against a
 * rank or shape: sorted, non-negative, without duplicates.
 *
 * @param op - The operation, named in the error.
 * @param axes - An axis, a list of axes, or `undefined` for every axis.
 * @param rankOrShape - The rank, or the shape.
 * @returns The axes in increasing order, each in `[0, rank)`.
 * @throws ArgumentError - when an axis is not an integer, is out of range, or
 *   appears twice.
 *
 * @example
 * ```ts
 * import { normalizeAxes } from '@mnemo/core';
 * console.assert(normalizeAxes('sum', undefined, 2).join() === '0,1');
 * console.assert(normalizeAxes('sum', [-1, 0], 3).join() === '0,2');
 * ```
 * @category Shapes
 */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rankOrShape: number | Shape): number[] {
  const rank = rankOf(op, rankOrShape);
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes)) {
    throw new ArgumentError(op, 'axes', `expected an axis or an array of axes, got ${formatValue(axes)}`);
  }
  const list: readonly unknown[] = typeof axes === 'number' ? [axes] : axes;
  const set = new Set<number>();
  for (const a of list) {
    const n = normalizeAxis(op, a as number, rankOrShape, 'axes');
    if (set.has(n)) throw new ArgumentError(op, 'axes', `axis ${formatValue(a)} appears twice in ${formatValue(list)}`);
    set.add(n);
  }
  return [...set].sort((x, y) => x - y);
}
