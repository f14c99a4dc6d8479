/**
 * Element types. mnemo has two: `float32` for speed and `float64` for gradient
 * checks. Integer data (labels, indices) is held in float tensors, exactly.
 *
 * @module
 */
import { ArgumentError, ShapeError, formatValue } from './errors.js';

/**
 * The element type of a tensor: `float32` for speed, `float64` for gradient
 * checks; integers (labels, indices) are held exactly in either.
 *
 * @example
 * ```ts
 * import { zeros, type DType } from '@mnemo/core';
 * const d: DType = 'float64';
 * console.assert(zeros([2], d).dtype === 'float64');
 * ```
 * @category Tensors
 */
export type DType = 'float32' | 'float64';

/**
 * The typed array that backs a tensor of each dtype.
 *
 * @example
 * ```ts
 * import { tensor, unsafeDataOf, type TypedArray } from '@mnemo/core';
 * const a: TypedArray = unsafeDataOf(tensor([1, 2], 'float32'));
 * console.assert(a instanceof Float32Array);
 * ```
 * @category Tensors
 */
export type TypedArray = Float32Array | Float64Array;

/**
 * The two dtypes, `float32` then `float64`, in a fixed order: for iterating
 * over every dtype in tests and benchmarks.
 *
 * @example
 * ```ts
 * import { DTYPES } from '@mnemo/core';
 * console.assert(DTYPES.includes('float32'));
 * ```
 * @category Tensors
 */
export const DTYPES: readonly DType[] = ['float32', 'float64'];

/**
 * Allocate a zero-filled typed array for a dtype: a `Float32Array` for float32,
 * a `Float64Array` for float64, checking the length first.
 *
 * @param dtype - The element type.
 * @param length - The number of elements, a non-negative integer.
 * @param op - The operation named in an error (default `allocate`).
 * @returns A new typed array of `length` zeros.
 * @throws ArgumentError - when `length` is not a non-negative integer, or `dtype`
 *   is neither `float32` nor `float64`.
 * @throws ShapeError - when `length` is more than 2^31 - 1 (`MAX_SIZE`), or more
 *   than the memory can give.
 *
 * @example
 * ```ts
 * import { allocate, ShapeError } from '@mnemo/core';
 * console.assert(allocate('float32', 3) instanceof Float32Array);
 * let refused = false;
 * try { allocate('float64', 2 ** 32, 'zeros'); } catch (e) { refused = e instanceof ShapeError && e.op === 'zeros'; }
 * console.assert(refused);
 * ```
 * @category Internals
 */
export function allocate(dtype: DType, length: number, op = 'allocate'): TypedArray {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new ArgumentError(op, 'length', `expected a non-negative integer number of elements, got ${formatValue(length)}`);
  }
  // Past 2^31 - 1 elements (MAX_SIZE in shape.ts, which imports this module).
  if (length > 2 ** 31 - 1) throw new ShapeError(op, 'length', `${length} elements are more than 2^31 - 1, the most a tensor can hold`);
  const dt = checkDType(op, 'dtype', dtype);
  try {
    return dt === 'float32' ? new Float32Array(length) : new Float64Array(length);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const gib = (length * (dt === 'float32' ? 4 : 8)) / 2 ** 30;
    throw new ShapeError(op, 'length', `could not allocate ${length} ${dt} elements (${gib.toFixed(1)} GiB): out of memory`);
  }
}

/**
 * Check that a value given by a user names a dtype, for the argument checks of
 * ops; returns it typed as {@link DType}.
 *
 * @param op - The operation, named in the error.
 * @param arg - The argument, named in the error.
 * @param dtype - The value to check.
 * @returns `dtype`, as a `DType`.
 * @throws ArgumentError - when `dtype` is neither `'float32'` nor `'float64'`.
 *
 * @example
 * ```ts
 * import { checkDType } from '@mnemo/core';
 * console.assert(checkDType('op', 'dtype', 'float64') === 'float64');
 * ```
 * @category Tensors
 */
export function checkDType(op: string, arg: string, dtype: unknown): DType {
  if (dtype === 'float32' || dtype === 'float64') return dtype;
  throw new ArgumentError(op, arg, `unknown dtype ${formatValue(dtype)}; expected 'float32' or 'float64'`);
}

/**
 * The dtype a typed array holds: `float32` for a `Float32Array`, `float64` for
 * a `Float64Array`.
 *
 * @param a - A `Float32Array` or `Float64Array`.
 * @returns `'float32'` or `'float64'`.
 *
 * @example
 * ```ts
 * import { dtypeOfArray } from '@mnemo/core';
 * console.assert(dtypeOfArray(new Float64Array(1)) === 'float64');
 * ```
 * @category Tensors
 */
export function dtypeOfArray(a: TypedArray): DType {
  return a instanceof Float32Array ? 'float32' : 'float64';
}
