/**
 * Shapes, strides and NumPy broadcasting.
 *
 * @module
 */
import { ArgumentError, ShapeError, formatShape } from './errors.js';

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
 * @example
 * ```ts
 * import { sizeOf } from '@mnemo/core';
 * console.assert(sizeOf([]) === 1 && sizeOf([2, 0, 3]) === 0);
 * ```
 * @category Shapes
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major (C order) strides of a shape, in elements.
 *
 * @example
 * ```ts
 * import { stridesOf } from '@mnemo/core';
 * console.assert(stridesOf([2, 3, 4]).join() === '12,4,1');
 * ```
 * @category Shapes
 */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * Validate a shape given by a user: every entry a finite non-negative integer.
 * Throws an {@link ArgumentError} naming the op and the bad entry.
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
    throw new ArgumentError(op, arg, `expected an array of sizes, got ${typeof shape}`);
  }
  return shape.map((d, i) => {
    if (typeof d !== 'number' || !Number.isFinite(d) || !Number.isInteger(d) || d < 0) {
      throw new ArgumentError(
        op,
        arg,
        `size at axis ${i} must be a finite non-negative integer, got ${String(d)} in ${formatShapeLoose(shape)}`,
      );
    }
    return d;
  });
}

function formatShapeLoose(shape: unknown[]): string {
  return `[${shape.map(String).join(', ')}]`;
}

/**
 * Whether two shapes are equal.
 *
 * @example
 * ```ts
 * import { shapesEqual } from '@mnemo/core';
 * console.assert(shapesEqual([2, 3], [2, 3]) && !shapesEqual([2], [2, 1]));
 * ```
 * @category Shapes
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
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
 * @example
 * ```ts
 * import { broadcastShapes } from '@mnemo/core';
 * console.assert(broadcastShapes('add', [4, 1, 3], [2, 1]).join() === '4,2,3');
 * ```
 * @category Shapes
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
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
 * @example
 * ```ts
 * import { broadcastStrides } from '@mnemo/core';
 * console.assert(broadcastStrides([3], [2, 3]).join() === '0,1');
 * ```
 * @category Shapes
 */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
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
 * @example
 * ```ts
 * import { unbroadcastAxes } from '@mnemo/core';
 * const { leading, kept } = unbroadcastAxes([4, 2, 3], [2, 1]);
 * console.assert(leading.join() === '0' && kept.join() === '2');
 * ```
 * @category Shapes
 */
export function unbroadcastAxes(from: Shape, to: Shape): { leading: number[]; kept: number[] } {
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
 * Normalize an axis (negative counts from the end) against a rank, or a
 * shape; throws an {@link ArgumentError} naming the op (and the shape, when
 * given) when it is out of range.
 *
 * @example
 * ```ts
 * import { normalizeAxis } from '@mnemo/core';
 * console.assert(normalizeAxis('sum', -1, 3) === 2 && normalizeAxis('sum', 0, [2, 5]) === 0);
 * ```
 * @category Shapes
 */
export function normalizeAxis(op: string, axis: number, rankOrShape: number | Shape, arg = 'axis'): number {
  const rank = typeof rankOrShape === 'number' ? rankOrShape : rankOrShape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const of = typeof rankOrShape === 'number' ? '' : ` (shape ${formatShape(rankOrShape)})`;
    throw new ArgumentError(op, arg, `axis ${axis} is out of range for a tensor of rank ${rank}${of}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Normalize a list of axes (or `undefined` for all axes), sorted and without
 * duplicates.
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
  const rank = typeof rankOrShape === 'number' ? rankOrShape : rankOrShape.length;
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const set = new Set<number>();
  for (const a of list) {
    const n = normalizeAxis(op, a, rankOrShape, 'axes');
    if (set.has(n)) throw new ArgumentError(op, 'axes', `axis ${a} appears twice in [${list.join(', ')}]`);
    set.add(n);
  }
  return [...set].sort((x, y) => x - y);
}
