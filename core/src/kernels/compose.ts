/**
 * Kernels composed from a backend's primitive kernels: `stack` (reshape +
 * concat) and `splitTensor` (slices). They work on any backend.
 *
 * @module
 */
import { checkBackend, currentBackend, type Backend } from '../backend.js';
import { ArgumentError, DTypeError, ShapeError, formatShape, formatValue } from '../errors.js';
import { normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';

function checkTensor(op: string, arg: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, arg, `expected a Tensor, got ${formatValue(x)}`);
}

/**
 * Join tensors of one shape and dtype along a new axis, at the kernel level (no
 * gradient): the result has shape `shape[:axis] + [xs.length] + shape[axis:]`.
 * Built from the backend's `reshape` and `concat`; `backend` defaults to {@link
 * currentBackend}. Differentiable code uses autodiff's `stack`.
 *
 * @param xs - One or more tensors of one shape and dtype.
 * @param axis - Where the new axis goes, from `-(rank + 1)` to `rank` (default 0).
 * @param backend - The backend whose kernels to use (default the current one).
 * @returns A tensor of rank one more than the inputs'.
 * @throws ArgumentError - when `xs` is empty or not an array, holds something
 *   other than tensors, or `axis` is out of range.
 * @throws DTypeError - when the tensors' dtypes differ.
 * @throws ShapeError - when their shapes differ.
 *
 * @example
 * ```ts
 * import { stack, tensor } from '@mnemo/core';
 * const s = stack([tensor([1, 2]), tensor([3, 4])], 1);
 * console.assert(s.shape.join() === '2,2' && s.toArray().join() === '1,3,2,4');
 * ```
 * @category Internals
 */
export function stack(xs: readonly Tensor[], axis = 0, backend: Backend = currentBackend()): Tensor {
  const op = 'stack';
  checkBackend(op, 'backend', backend);
  if (!Array.isArray(xs) || xs.length === 0) throw new ArgumentError(op, 'xs', 'needs at least one tensor');
  xs.forEach((t, i) => checkTensor(op, `xs[${i}]`, t));
  const first = xs[0]!;
  const rank = first.rank + 1;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ArgumentError(op, 'axis', `axis ${formatValue(axis)} is out of range for stacking tensors of shape ${formatShape(first.shape)} (the result has rank ${rank})`);
  }
  const ax = axis < 0 ? axis + rank : axis;
  xs.forEach((t: Tensor, i: number) => {
    if (t.dtype !== first.dtype) {
      throw new DTypeError(op, `xs[${i}]`, `dtypes differ: xs[0] is ${first.dtype} ${formatShape(first.shape)}, xs[${i}] is ${t.dtype} ${formatShape(t.shape)}; cast one of them first`);
    }
    if (t.rank !== first.rank || t.shape.some((d: number, j: number) => d !== first.shape[j])) {
      throw new ShapeError(op, `xs[${i}]`, `every tensor needs the same shape: xs[0] is ${formatShape(first.shape)}, xs[${i}] is ${formatShape(t.shape)}`);
    }
  });
  const expanded = [...first.shape.slice(0, ax), 1, ...first.shape.slice(ax)];
  return backend.concat(
    xs.map((t) => backend.reshape(t, expanded)),
    ax,
  );
}

/**
 * Cut a tensor along an axis into equal pieces or pieces of given sizes, at the
 * kernel level (no gradient); each piece is a copy made by the backend's
 * `slice`. Not to be confused with random keys' `split`; differentiable code
 * uses autodiff's `split`.
 *
 * @param x - The tensor to cut.
 * @param sizesOrCount - A count `n` (the axis must divide by it) or the sizes of
 *   the pieces (they must sum to the axis's size).
 * @param axis - The axis to cut along (default 0; negative counts from the end).
 * @param backend - The backend whose kernels to use (default the current one).
 * @returns The pieces, in order, each of `x`'s rank.
 * @throws ArgumentError - when `x` is not a tensor, `axis` is out of range, the
 *   count is not a positive integer, or a size is not a non-negative integer.
 * @throws ShapeError - when the axis does not divide into the count, or the sizes
 *   do not sum to its size.
 *
 * @example
 * ```ts
 * import { splitTensor, tensor } from '@mnemo/core';
 * const [a, b] = splitTensor(tensor([1, 2, 3, 4, 5]), [2, 3]);
 * console.assert(a!.toArray().join() === '1,2' && b!.toArray().join() === '3,4,5');
 * const halves = splitTensor(tensor([[1, 2], [3, 4]]), 2, 1);
 * console.assert(halves.length === 2 && halves[1]!.toArray().join() === '2,4');
 * ```
 * @category Internals
 */
export function splitTensor(
  x: Tensor,
  sizesOrCount: number | readonly number[],
  axis = 0,
  backend: Backend = currentBackend(),
): Tensor[] {
  const op = 'splitTensor';
  checkTensor(op, 'x', x);
  checkBackend(op, 'backend', backend);
  const ax = normalizeAxis(op, axis, x.shape);
  const len = x.shape[ax]!;
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    const n = sizesOrCount;
    if (!Number.isInteger(n) || n <= 0) throw new ArgumentError(op, 'sizesOrCount', `a count must be a positive integer, got ${n}`);
    if (len % n !== 0) {
      throw new ShapeError(op, 'sizesOrCount', `axis ${ax} of shape ${formatShape(x.shape)} has size ${len}, which does not divide into ${n} equal pieces`);
    }
    sizes = new Array<number>(n).fill(len / n);
  } else if (Array.isArray(sizesOrCount)) {
    sizes = sizesOrCount.map((s, i) => {
      if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
        throw new ArgumentError(op, 'sizesOrCount', `size ${i} must be a non-negative integer, got ${formatValue(s)} in ${formatValue(sizesOrCount)}`);
      }
      return s;
    });
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== len) {
      throw new ShapeError(op, 'sizesOrCount', `sizes [${sizes.join(', ')}] sum to ${total}, but axis ${ax} of shape ${formatShape(x.shape)} has size ${len}`);
    }
  } else {
    throw new ArgumentError(op, 'sizesOrCount', `expected a count or an array of sizes, got ${typeof sizesOrCount}`);
  }
  const begin = new Array<number>(x.rank).fill(0);
  const pieces: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    begin[ax] = at;
    const size = x.shape.slice();
    size[ax] = s;
    pieces.push(backend.slice(x, begin, size));
    at += s;
  }
  return pieces;
}
