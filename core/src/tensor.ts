/**
 * The immutable `Tensor` and its constructors.
 *
 * @module
 */
import { allocate, checkDType, dtypeOfArray, type DType, type TypedArray } from './dtype.js';
import { ArgumentError, ShapeError, formatShape, formatValue } from './errors.js';
import { MAX_SIZE, checkShape, checkSize, sizeOf, stridesOf, type Shape } from './shape.js';

/**
 * Nested arrays of numbers, as accepted by {@link tensor} and returned by
 * {@link Tensor.toNested}.
 *
 * @example
 * ```ts
 * import { tensor, type NestedArray } from '@mnemo/core';
 * const rows: NestedArray = [[1, 2], [3, 4]];
 * console.assert(tensor(rows).shape.join() === '2,2');
 * ```
 * @category Tensors
 */
export type NestedArray = number | readonly NestedArray[];

const DATA: unique symbol = Symbol('mnemo.data');
/** Passed by this module's own constructors, whose arguments are already right. */
const TRUSTED: unique symbol = Symbol('mnemo.trusted');

/** Called before a tensor's values are read out (see {@link onValueRead}). */
let valueRead: ((t: Tensor, how: 'toArray' | 'toNested' | 'item') => void) | undefined;

/**
 * Install an observer that is called whenever a tensor's values are read out
 * with `toArray`, `toNested` or `item` (kernels read data directly and are
 * not observed). The cell compiler uses it to notice a step function that
 * reads the value of a tensor it traces (its graph would bake that value
 * in), and throws from the observer to stop. Returns the observer it
 * replaces, so that calls nest.
 *
 * @internal
 */
export function onValueRead(observer: ((t: Tensor, how: 'toArray' | 'toNested' | 'item') => void) | undefined): ((t: Tensor, how: 'toArray' | 'toNested' | 'item') => void) | undefined {
  if (observer !== undefined && typeof observer !== 'function') {
    throw new ArgumentError('onValueRead', 'observer', `expected a function or undefined, got ${formatValue(observer)}`);
  }
  const previous = valueRead;
  valueRead = observer;
  return previous;
}

/**
 * An immutable n-dimensional array of float32 or float64 values.
 *
 * A tensor's data is never written after construction: every operation
 * allocates its output, and reading data out ({@link Tensor.toArray},
 * {@link Tensor.toNested}) copies. Because of this, tensors can share buffers
 * (a reshape is free) and need no `dispose`.
 *
 * @example
 * ```ts
 * import { tensor } from '@mnemo/core';
 * const t = tensor([[1, 2, 3], [4, 5, 6]]);
 * console.assert(t.shape.join() === '2,3' && t.dtype === 'float32' && t.size === 6);
 * ```
 * @category Tensors
 */
export class Tensor {
  /** The size of each axis. */
  readonly shape: Shape;
  /** The element type. */
  readonly dtype: DType;
  /** The number of elements. */
  readonly size: number;
  /** @internal */
  readonly [DATA]: TypedArray;

  /**
   * @internal Use {@link tensor}, {@link zeros}, ... instead. Called from
   * outside this module, the arguments are checked (an {@link ArgumentError}
   * when the data is not a float typed array of the dtype and the shape's size).
   */
  constructor(data: TypedArray, shape: Shape, dtype: DType, trusted?: unknown) {
    if (trusted !== TRUSTED) checkParts('Tensor', data, shape, dtype);
    // A loop, not shape.slice(): the shapes of other tensors are frozen arrays, which slice copies slowly.
    const copy = new Array<number>(shape.length);
    for (let i = 0; i < shape.length; i++) copy[i] = shape[i]!;
    this.shape = Object.freeze(copy);
    this.dtype = dtype;
    this.size = data.length;
    this[DATA] = data;
    Object.freeze(this);
  }

  /** The number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * A copy of the data, flattened in row-major (C) order, as a new typed array of
   * the tensor's dtype (`Float32Array` or `Float64Array`).
   *
   * @returns A fresh `Float32Array` or `Float64Array` of `size` elements; writing to
   *   it does not change the tensor.
   *
   * @example
   * ```ts
   * import { tensor } from '@mnemo/core';
   * console.assert(tensor([[1, 2], [3, 4]]).toArray().join() === '1,2,3,4');
   * ```
   */
  toArray(): TypedArray {
    valueRead?.(this, 'toArray');
    return this[DATA].slice();
  }

  /**
   * A copy of the data as nested JavaScript arrays, one level per axis, or a
   * plain number for a rank-0 tensor.
   *
   * @returns Nested arrays of numbers with the tensor's shape (`[]` for an empty
   *   axis), or a number when the rank is 0.
   * @throws ArgumentError - when a value-read observer installed by the cell
   *   compiler stops the read (a traced step reading a value).
   *
   * @example
   * ```ts
   * import { tensor } from '@mnemo/core';
   * console.assert(JSON.stringify(tensor([[1, 2], [3, 4]]).toNested()) === '[[1,2],[3,4]]');
   * ```
   */
  toNested(): NestedArray {
    valueRead?.(this, 'toNested');
    const data = this[DATA];
    const shape = this.shape;
    const strides = stridesOf(shape);
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === shape.length) return data[offset]!;
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[axis]!; i++) out.push(build(axis + 1, offset + i * strides[axis]!));
      return out;
    };
    return build(0, 0);
  }

  /**
   * The single value of a tensor that holds exactly one element (a scalar, or any
   * shape of size 1), as a number.
   *
   * @returns The element, as a JavaScript number (a float32 value is widened
   *   exactly).
   * @throws ArgumentError - when the tensor does not have exactly one element (the
   *   message gives its shape), or a value-read observer stops the read.
   *
   * @example
   * ```ts
   * import { scalar } from '@mnemo/core';
   * console.assert(scalar(2.5, 'float64').item() === 2.5);
   * ```
   */
  item(): number {
    valueRead?.(this, 'item');
    if (this.size !== 1) {
      throw new ArgumentError('item', 'this', `item() needs a tensor with one element, got shape ${formatShape(this.shape)}`);
    }
    return this[DATA][0]!;
  }

  /**
   * A readable rendering: the dtype and shape, then the values for tensors of at
   * most 1000 elements, or their count for larger ones.
   *
   * @returns Text such as `Tensor float64 [2]` followed by a line `[1, 2]`.
   * @throws ArgumentError - when a value-read observer installed by the cell
   *   compiler stops the read (a traced step reading a value).
   *
   * @example
   * ```ts
   * import { tensor } from '@mnemo/core';
   * console.assert(tensor([1, 2], 'float64').toString() === 'Tensor float64 [2]\n[1, 2]');
   * ```
   */
  toString(): string {
    const head = `Tensor ${this.dtype} ${formatShape(this.shape)}`;
    if (this.size > 1000) return `${head} (${this.size} elements)`;
    const fmt = (v: number): string => {
      if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
      const s = v.toPrecision(this.dtype === 'float32' ? 6 : 8);
      return String(Number(s));
    };
    const render = (v: NestedArray, depth: number): string => {
      if (typeof v === 'number') return fmt(v);
      const inner = v.map((x) => render(x, depth + 1));
      const nested = v.length > 0 && typeof v[0] !== 'number';
      return nested ? `[${inner.join(`,\n${' '.repeat(depth + 1)}`)}]` : `[${inner.join(', ')}]`;
    };
    return `${head}\n${render(this.toNested(), 0)}`;
  }
}

/**
 * The tensor's underlying typed array, without a copy: for kernels and backends
 * only, which must never write to it.
 *
 * @param t - The tensor whose buffer to return.
 * @returns The tensor's own `Float32Array` or `Float64Array` (row-major); writing
 *   to it breaks immutability.
 * @throws ArgumentError - when `t` is not a tensor.
 *
 * @example
 * ```ts
 * import { tensor, unsafeDataOf } from '@mnemo/core';
 * console.assert(unsafeDataOf(tensor([7])).length === 1);
 * ```
 * @category Internals
 */
export function unsafeDataOf(t: Tensor): TypedArray {
  if (!(t instanceof Tensor)) throw new ArgumentError('unsafeDataOf', 't', `expected a Tensor, got ${formatValue(t)}`);
  return t[DATA];
}

/**
 * Wrap a freshly allocated typed array as a tensor of the given shape, without
 * a copy: for kernels and backends only.
 *
 * @param data - A `Float32Array` or `Float64Array` in row-major order; the caller
 *   gives it up and must never write to it again.
 * @param shape - The shape; its size must equal `data.length`.
 * @returns A tensor over `data`, of the dtype of the array.
 * @throws ArgumentError - when `data.length` is not the size of `shape`.
 *
 * @example
 * ```ts
 * import { unsafeFromData } from '@mnemo/core';
 * const t = unsafeFromData(new Float64Array([1, 2, 3, 4]), [2, 2]);
 * console.assert(t.dtype === 'float64' && t.shape.join() === '2,2');
 * ```
 * @category Internals
 */
export function unsafeFromData(data: TypedArray, shape: Shape): Tensor {
  const dtype = data instanceof Float32Array ? 'float32' : 'float64';
  checkParts('unsafeFromData', data, shape, dtype);
  return new Tensor(data, shape, dtype, TRUSTED);
}

/**
 * Wrap a kernel's freshly allocated output, whose shape the kernel computed
 * from valid shapes (or checked): no checks, the per-op path. Not exported
 * from the package; users get {@link unsafeFromData}, which checks.
 * @internal
 */
export function fromKernel(data: TypedArray, shape: Shape): Tensor {
  return new Tensor(data, shape, data instanceof Float32Array ? 'float32' : 'float64', TRUSTED);
}

/** Whether `shape` is an array of sizes (integers in [0, 2^31 - 1]); cheap, for the paths every kernel output takes. */
function isShape(shape: unknown): shape is Shape {
  if (!Array.isArray(shape)) return false;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || (d | 0) !== d || d < 0) return false;
  }
  return true;
}

/** Throws an ArgumentError unless `data` is a float typed array of `dtype` holding exactly the elements of `shape`. */
function checkParts(op: string, data: unknown, shape: unknown, dtype: unknown): void {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new ArgumentError(op, 'data', `expected a Float32Array or a Float64Array, got ${formatValue(data)}`);
  }
  if (!isShape(shape)) throw new ArgumentError(op, 'shape', `expected an array of sizes (integers from 0 to 2^31 - 1), got ${formatValue(shape)}`);
  if (dtype !== dtypeOfArray(data)) throw new ArgumentError(op, 'dtype', `${formatValue(dtype)} is not the dtype of a ${data.constructor.name}`);
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  if (n !== data.length) {
    throw new ArgumentError(op, 'data', `length ${data.length} does not match shape ${formatShape(shape)} (${n} elements)`);
  }
}

/**
 * Whether a value is a {@link Tensor}: a type guard for values of unknown type,
 * such as the leaves of a pytree.
 *
 * @param x - Any value.
 * @returns `true` when `x` is a `Tensor`; it narrows the type of `x`.
 *
 * @example
 * ```ts
 * import { isTensor, scalar } from '@mnemo/core';
 * console.assert(isTensor(scalar(1)) && !isTensor([1]));
 * ```
 * @category Tensors
 */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

function inferShape(value: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let v: NestedArray = value;
  while (typeof v !== 'number') {
    if (!Array.isArray(v)) throw new ArgumentError(op, 'values', `expected numbers or nested arrays of numbers, got ${typeof v}`);
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0] as NestedArray;
  }
  return shape;
}

function fill(value: NestedArray, shape: number[], out: TypedArray, op: string): void {
  let k = 0;
  const walk = (v: NestedArray, axis: number, path: number[]): void => {
    if (axis === shape.length) {
      if (typeof v !== 'number') throw new ArgumentError(op, 'values', `ragged nested array at index [${path.join(', ')}]: expected a number`);
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis]) {
      throw new ArgumentError(
        op,
        'values',
        `ragged nested array at index [${path.join(', ')}]: expected ${shape[axis]} entries (shape ${formatShape(shape)})`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i] as NestedArray, axis + 1, [...path, i]);
  };
  walk(value, 0, []);
}

/**
 * Create a tensor from a number, nested arrays or a typed array (always
 * copied), float32 unless told otherwise. A typed array is read as 1-D unless
 * `shape` is given; the dtype defaults to float32, or to the typed array's own
 * dtype.
 *
 * @param values - A number (rank 0), nested arrays of numbers (their nesting gives
 *   the shape; they must not be ragged), or a `Float32Array` / `Float64Array`.
 * @param dtype - `float32` (the default for numbers and arrays) or `float64`; for
 *   a typed array, default its own dtype.
 * @param shape - Optional shape to give the values, read in row-major order; its
 *   size must equal the number of values.
 * @returns A new tensor holding a copy of the values.
 * @throws ArgumentError - when the nested arrays are ragged or hold something
 *   other than numbers, `dtype` is not `float32` or `float64`, `shape` has an
 *   entry that is not a non-negative integer, or the size of `shape` differs from
 *   the number of values.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { tensor } from '@mnemo/core';
 * const a = tensor([[1, 2], [3, 4]], 'float64');
 * const b = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), 'float32', [2, 3]);
 * console.assert(a.dtype === 'float64' && b.shape.join() === '2,3');
 * ```
 * @category Tensors
 */
export function tensor(values: NestedArray | TypedArray, dtype?: DType, shape?: Shape): Tensor {
  const op = 'tensor';
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const dt = dtype === undefined ? dtypeOfArray(values) : checkDType(op, 'dtype', dtype);
    const s = shape === undefined ? [values.length] : checkShape(op, 'shape', shape);
    if (sizeOf(s) !== values.length) {
      throw new ArgumentError(op, 'values', `data of length ${values.length} does not fit shape ${formatShape(s)} (${sizeOf(s)} elements)`);
    }
    const data = allocate(dt, values.length, op);
    data.set(values);
    return new Tensor(data, s, dt, TRUSTED);
  }
  const dt = dtype === undefined ? 'float32' : checkDType(op, 'dtype', dtype);
  const inferred = inferShape(values, op);
  const data = allocate(dt, checkSize(op, 'values', inferred), op);
  fill(values, inferred, data, op);
  if (shape !== undefined) {
    const s = checkShape(op, 'shape', shape);
    if (sizeOf(s) !== data.length) {
      throw new ArgumentError(op, 'shape', `shape ${formatShape(s)} does not fit ${data.length} values of shape ${formatShape(inferred)}`);
    }
    return new Tensor(data, s, dt, TRUSTED);
  }
  return new Tensor(data, inferred, dt, TRUSTED);
}

/**
 * A rank-0 tensor (shape `[]`) holding one number, float32 unless a dtype is
 * given; ops broadcast it against any shape.
 *
 * @param value - The number to hold.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of shape `[]`.
 * @throws ArgumentError - when `value` is not a number or `dtype` is neither
 *   `float32` nor `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { scalar } from '@mnemo/core';
 * console.assert(scalar(3).rank === 0 && scalar(3).item() === 3);
 * ```
 * @category Tensors
 */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  if (typeof value !== 'number') throw new ArgumentError('scalar', 'value', `expected a number, got ${formatValue(value)}`);
  const data = allocate(checkDType('scalar', 'dtype', dtype), 1);
  data[0] = value;
  return new Tensor(data, [], dtype, TRUSTED);
}

/**
 * A tensor of the given shape and dtype (float32 by default) with every element
 * set to one value.
 *
 * @param shape - The shape: non-negative integers, `[]` for a scalar.
 * @param value - The value of every element.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A new tensor of `shape` filled with `value`.
 * @throws ArgumentError - when `shape` has an entry that is not a non-negative
 *   integer, or `dtype` is neither `float32` nor `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { full } from '@mnemo/core';
 * console.assert(full([2, 2], 7).toArray().join() === '7,7,7,7');
 * ```
 * @category Tensors
 */
export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  return filled('full', shape, value, dtype);
}

function filled(op: string, shape: Shape, value: number, dtype: DType): Tensor {
  const s = checkShape(op, 'shape', shape);
  if (typeof value !== 'number') throw new ArgumentError(op, 'value', `expected a number, got ${formatValue(value)}`);
  const data = allocate(checkDType(op, 'dtype', dtype), sizeOf(s), op);
  if (value !== 0) data.fill(value);
  return new Tensor(data, s, dtype, TRUSTED);
}

/**
 * A tensor of the given shape filled with zeros, float32 unless a dtype is
 * given: initial states, accumulators, zero biases.
 *
 * @param shape - The shape: non-negative integers, `[]` for a scalar.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A new tensor of `shape`, all zeros.
 * @throws ArgumentError - when `shape` has an entry that is not a non-negative
 *   integer, or `dtype` is neither `float32` nor `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { zeros } from '@mnemo/core';
 * console.assert(zeros([3], 'float64').toArray().join() === '0,0,0');
 * ```
 * @category Tensors
 */
export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return filled('zeros', shape, 0, dtype);
}

/**
 * A tensor of the given shape filled with ones, float32 unless a dtype is
 * given: masks, layer-norm gains, probes.
 *
 * @param shape - The shape: non-negative integers, `[]` for a scalar.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A new tensor of `shape`, all ones.
 * @throws ArgumentError - when `shape` has an entry that is not a non-negative
 *   integer, or `dtype` is neither `float32` nor `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { ones } from '@mnemo/core';
 * console.assert(ones([2]).toArray().join() === '1,1');
 * ```
 * @category Tensors
 */
export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return filled('ones', shape, 1, dtype);
}

/**
 * Evenly spaced values in `[start, stop)` with step `step`, like `numpy.arange`.
 * With one argument, counts from 0 to `start`.
 *
 * @param start - The first value; with no `stop`, the end (counting from 0).
 * @param stop - The end, excluded.
 * @param step - The spacing (default 1; may be negative, not 0).
 * @param dtype - `float32` (default) or `float64`.
 * @returns A 1-D tensor of `max(0, ceil((stop - start) / step))` values `start + i
 *   * step`.
 * @throws ArgumentError - when `start`, `stop` or `step` is not finite, `step` is
 *   0, or `dtype` is neither `float32` nor `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { arange } from '@mnemo/core';
 * console.assert(arange(4).toArray().join() === '0,1,2,3');
 * console.assert(arange(1, 2, 0.5, 'float64').toArray().join() === '1,1.5');
 * ```
 * @category Tensors
 */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
  for (const [name, v] of [['start', lo], ['stop', hi], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError('arange', name, `must be a finite number, got ${formatValue(v)}`);
  }
  if (step === 0) throw new ArgumentError('arange', 'step', 'step must not be 0');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  if (!(n <= MAX_SIZE)) throw new ShapeError('arange', 'stop', `[${lo}, ${hi}) in steps of ${step} has ${n} values, more than ${MAX_SIZE} (2^31 - 1), the most a tensor can hold`);
  const data = allocate(checkDType('arange', 'dtype', dtype), n, 'arange');
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return new Tensor(data, [n], dtype, TRUSTED);
}

/**
 * A 1-D tensor of `num` evenly spaced values from `start` to `stop`, both ends
 * included, like `numpy.linspace`.
 *
 * @param start - The first value.
 * @param stop - The last value.
 * @param num - How many values (a non-negative integer; 1 gives `[start]`).
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of shape `[num]`.
 * @throws ArgumentError - when `num` is not a non-negative integer, a bound is not
 *   finite, or `dtype` is neither `float32` nor `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { linspace } from '@mnemo/core';
 * console.assert(linspace(0, 1, 5, 'float64').toArray().join() === '0,0.25,0.5,0.75,1');
 * ```
 * @category Tensors
 */
export function linspace(start: number, stop: number, num: number, dtype: DType = 'float32'): Tensor {
  const [n] = checkShape('linspace', 'num', [num]);
  for (const [name, v] of [['start', start], ['stop', stop]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError('linspace', name, `must be a finite number, got ${formatValue(v)}`);
  }
  const data = allocate(checkDType('linspace', 'dtype', dtype), n!, 'linspace');
  for (let i = 0; i < n!; i++) data[i] = n === 1 ? start : start + ((stop - start) * i) / (n! - 1);
  return new Tensor(data, [n!], dtype, TRUSTED);
}

/**
 * The identity matrix: ones on the main diagonal and zeros elsewhere, `n x n`
 * or `n x m`, float32 unless told otherwise.
 *
 * @param n - Rows.
 * @param m - Columns (default `n`).
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of shape `[n, m]`.
 * @throws ArgumentError - when `n` or `m` is not a non-negative integer, or
 *   `dtype` is neither `float32` nor `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`, the most a tensor can hold), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { eye } from '@mnemo/core';
 * console.assert(eye(2).toArray().join() === '1,0,0,1');
 * ```
 * @category Tensors
 */
export function eye(n: number, m: number = n, dtype: DType = 'float32'): Tensor {
  const [r, c] = checkShape('eye', 'n', [n, m]);
  const data = allocate(checkDType('eye', 'dtype', dtype), r! * c!, 'eye');
  for (let i = 0; i < Math.min(r!, c!); i++) data[i * c! + i] = 1;
  return new Tensor(data, [r!, c!], dtype, TRUSTED);
}
