/**
 * Initializers: functions `(key, shape, dtype) => Tensor` that draw a
 * parameter from an explicit random {@link Key}. Parameterless ones
 * ({@link glorotUniform}, {@link orthogonal}, {@link zeros}, {@link ones}) are
 * initializers themselves; parameterized ones ({@link constant},
 * {@link uniform}, {@link normal}, {@link rnnUniform}) return one.
 *
 * Weight layout: mnemo multiplies `x W` with `W` of shape `[in, out]`, so the
 * fan-in of a matrix is its first axis and the fan-out its second (the
 * transpose of PyTorch's `[out, in]`).
 *
 * Re-exported from `@mnemo/nn` as the namespace `init`.
 *
 * @module
 */
import {
  ArgumentError,
  checkDType,
  formatValue,
  checkShape,
  full,
  normal as normalSamples,
  sizeOf,
  uniform as uniformSamples,
  unsafeDataOf,
  unsafeFromData,
  allocate,
  type DType,
  type Key,
  type Shape,
  type Tensor,
} from '@mnemo/core';

/**
 * A parameter initializer: draws a tensor of `shape` and `dtype` (default
 * float32) from `key`. Initializers that need no randomness ignore the key.
 *
 * @example
 * ```ts
 * import { init, type Initializer } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const f: Initializer = init.glorotUniform;
 * console.assert(f(key(0), [3, 4], 'float64').shape.join() === '3,4');
 * ```
 * @category Initializers
 */
export type Initializer = (key: Key, shape: Shape, dtype?: DType) => Tensor;

function checkFiniteNumber(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(op, arg, `must be a finite number, got ${formatValue(v)}`);
  return v;
}

/**
 * The fan-in and fan-out of a weight of this shape, in mnemo's `[in, out]`
 * layout: a matrix `[in, out]` has fan-in `in` and fan-out `out`; a vector
 * `[n]` has both equal to `n`; a scalar has both 1; for rank > 2 the leading
 * axes are a receptive field `r = prod(shape[0 .. rank-3])` and the fans are
 * `shape[-2] * r` and `shape[-1] * r`.
 *
 * @param shape - The shape of a weight.
 * @returns `[fanIn, fanOut]`.
 * @throws ArgumentError - when `shape` has an entry that is not a non-negative
 *   integer.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * console.assert(init.fans([3, 5]).join() === '3,5');
 * ```
 * @category Initializers
 */
export function fans(shape: Shape): [fanIn: number, fanOut: number] {
  const s = checkShape('fans', 'shape', shape);
  if (s.length === 0) return [1, 1];
  if (s.length === 1) return [s[0]!, s[0]!];
  const receptive = sizeOf(s.slice(0, -2));
  return [s[s.length - 2]! * receptive, s[s.length - 1]! * receptive];
}

/**
 * Glorot (Xavier) uniform initialization (Glorot and Bengio 2010): samples
 * from `U(-a, a)` with `a = sqrt(6 / (fanIn + fanOut))` (see {@link fans}), so
 * that activations and gradients keep their variance through a layer.
 *
 * @param key - The random key to draw from.
 * @param shape - The shape of the tensor to make.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of `shape`, uniform in `[-a, a)` (zeros when both fans are 0).
 * @throws ArgumentError - when `key` is not a key, `shape` has an entry that is
 *   not a non-negative integer, or `dtype` is not `float32` or `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const w = init.glorotUniform(key(1), [4, 6], 'float64').toArray();
 * console.assert(w.every((v) => Math.abs(v) < Math.sqrt(6 / 10)));
 * ```
 * @category Initializers
 * @function
 */
export const glorotUniform: Initializer = (key, shape, dtype = 'float32') => {
  const [fanIn, fanOut] = fans(shape);
  const a = fanIn + fanOut === 0 ? 0 : Math.sqrt(6 / (fanIn + fanOut));
  if (a === 0) return full(shape, 0, checkDType('glorotUniform', 'dtype', dtype));
  return uniformSamples(key, shape, { dtype, low: -a, high: a });
};

/**
 * An initializer drawing uniformly from `[low, high)`, as core's `uniform`
 * does, for any key, shape and dtype.
 *
 * @param low - The lower bound, included.
 * @param high - The upper bound, excluded (above `low`).
 * @returns An {@link Initializer}.
 * @throws ArgumentError - when a bound is not finite or `low >= high`; the
 *   initializer throws one for an invalid key, shape or dtype.
 * @throws ShapeError - (from the initializer it returns) when the shape holds more
 *   than 2^31 - 1 elements, or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const w = init.uniform(-0.1, 0.1)(key(0), [100]).toArray();
 * console.assert(w.every((v) => v >= -0.1 && v < 0.1));
 * ```
 * @category Initializers
 */
export function uniform(low: number, high: number): Initializer {
  checkFiniteNumber('init.uniform', 'low', low);
  checkFiniteNumber('init.uniform', 'high', high);
  if (!(low < high)) throw new ArgumentError('init.uniform', 'high', `needs low < high, got low ${low} and high ${high}`);
  return (key, shape, dtype = 'float32') => uniformSamples(key, shape, { dtype, low, high });
}

/**
 * PyTorch's default for every weight and bias of `nn.RNN`, `nn.LSTM` and
 * `nn.GRU`: `U(-k, k)` with `k = 1 / sqrt(hiddenSize)`.
 *
 * @param hiddenSize - H, a positive integer.
 * @returns An {@link Initializer} drawing from `U(-1/sqrt(H), 1/sqrt(H))`.
 * @throws ArgumentError - when `hiddenSize` is not a positive integer.
 * @throws ShapeError - (from the initializer it returns) when the shape holds more
 *   than 2^31 - 1 elements, or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const w = init.rnnUniform(16)(key(0), [8, 64]).toArray();
 * console.assert(w.every((v) => Math.abs(v) <= 0.25));
 * ```
 * @category Initializers
 */
export function rnnUniform(hiddenSize: number): Initializer {
  if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) {
    throw new ArgumentError('init.rnnUniform', 'hiddenSize', `must be a positive integer, got ${formatValue(hiddenSize)}`);
  }
  const k = 1 / Math.sqrt(hiddenSize);
  return uniform(-k, k);
}

/**
 * Normal (Gaussian) initialization with the given standard deviation and mean
 * (PyTorch's default for `nn.Embedding` is `normal(1)`).
 *
 * @param std - The standard deviation (default 1, non-negative).
 * @param mean - The mean (default 0).
 * @returns An {@link Initializer}.
 * @throws ArgumentError - when `std` or `mean` is not finite or `std` is negative;
 *   the initializer throws one for an invalid key, shape or dtype.
 * @throws ShapeError - (from the initializer it returns) when the shape holds more
 *   than 2^31 - 1 elements, or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const w = init.normal(0.01)(key(0), [1000], 'float64').toArray();
 * console.assert(w.every((v) => Math.abs(v) < 0.1));
 * ```
 * @category Initializers
 */
export function normal(std = 1, mean = 0): Initializer {
  checkFiniteNumber('init.normal', 'std', std);
  checkFiniteNumber('init.normal', 'mean', mean);
  if (std < 0) throw new ArgumentError('init.normal', 'std', `must be non-negative, got ${std}`);
  return (key, shape, dtype = 'float32') => normalSamples(key, shape, { dtype, mean, std });
}

/**
 * An initializer that sets every entry to `value` and ignores its key: biases,
 * gains, a forget-gate bias of 1.
 *
 * @param value - The value of every entry.
 * @returns An {@link Initializer}.
 * @throws ArgumentError - when `value` is not a number; the initializer throws one
 *   for an invalid shape or dtype.
 * @throws ShapeError - (from the initializer it returns) when the shape holds more
 *   than 2^31 - 1 elements, or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * console.assert(init.constant(1)(key(0), [2]).toArray().join() === '1,1');
 * ```
 * @category Initializers
 */
export function constant(value: number): Initializer {
  if (typeof value !== 'number') throw new ArgumentError('init.constant', 'value', `must be a number, got ${typeof value}`);
  return (_key, shape, dtype = 'float32') => full(checkShape('init.constant', 'shape', shape), value, checkDType('init.constant', 'dtype', dtype));
}

/**
 * An initializer of all zeros (for biases) that ignores its key; the same as
 * `constant(0)`.
 *
 * @param key - The random key to draw from.
 * @param shape - The shape of the tensor to make.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of `shape`, all zeros.
 * @throws ArgumentError - when `shape` has an entry that is not a non-negative
 *   integer, or `dtype` is not `float32` or `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * console.assert(init.zeros(key(0), [3]).toArray().join() === '0,0,0');
 * ```
 * @category Initializers
 * @function
 */
export const zeros: Initializer = constant(0);

/**
 * An initializer of all ones (for layer-norm gains) that ignores its key; the
 * same as `constant(1)`.
 *
 * @param key - The random key to draw from.
 * @param shape - The shape of the tensor to make.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of `shape`, all ones.
 * @throws ArgumentError - when `shape` has an entry that is not a non-negative
 *   integer, or `dtype` is not `float32` or `float64`.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * console.assert(init.ones(key(0), [2]).toArray().join() === '1,1');
 * ```
 * @category Initializers
 * @function
 */
export const ones: Initializer = constant(1);

/**
 * Thin QR by Householder reflections of a row-major `m x n` matrix with
 * `m >= n`: returns `Q` (`m x n`, orthonormal columns) with each column `k`
 * multiplied by the sign of `R[k][k]`, which makes the decomposition unique
 * and `Q` Haar-distributed when `A` is Gaussian (Mezzadri 2007).
 */
function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const A = a.slice();
  const vs: (Float64Array | null)[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm2 = 0;
    for (let i = k; i < m; i++) norm2 += A[i * n + k]! * A[i * n + k]!;
    const norm = Math.sqrt(norm2);
    const akk = A[k * n + k]!;
    // Reflect x = A[k:, k] onto alpha e1 with alpha = -sign(akk) |x| (no cancellation).
    const alpha = akk >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = A[i * n + k]!;
    v[0] = v[0]! - alpha;
    let v2 = 0;
    for (let i = 0; i < v.length; i++) v2 += v[i]! * v[i]!;
    if (v2 === 0) {
      vs.push(null);
      signs[k] = akk < 0 ? -1 : 1;
      continue;
    }
    // A[k:, k:] -= (2 / v.v) v (v^T A[k:, k:])
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * A[i * n + j]!;
      const f = (2 * dot) / v2;
      for (let i = k; i < m; i++) A[i * n + j] = A[i * n + j]! - f * v[i - k]!;
    }
    vs.push(v);
    signs[k] = alpha < 0 ? -1 : 1;
  }
  // Q = H_0 H_1 ... H_{n-1} [I; 0]: apply the reflections in reverse order.
  const Q = new Float64Array(m * n);
  for (let k = 0; k < n; k++) Q[k * n + k] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    if (v === null || v === undefined) continue;
    let v2 = 0;
    for (let i = 0; i < v.length; i++) v2 += v[i]! * v[i]!;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * Q[i * n + j]!;
      const f = (2 * dot) / v2;
      for (let i = k; i < m; i++) Q[i * n + j] = Q[i * n + j]! - f * v[i - k]!;
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Q[i * n + j] = Q[i * n + j]! * signs[j]!;
  return Q;
}

/**
 * Orthogonal initialization (Saxe et al. 2014), the usual choice for
 * recurrent weights: a matrix with orthonormal columns (when it is tall) or
 * orthonormal rows (when it is wide), times `gain`. Drawn as PyTorch's
 * `nn.init.orthogonal_` does: a standard normal matrix of shape
 * `[shape[0], prod(shape[1..])]`, transposed if wide, factored `A = QR` (here
 * by Householder reflections, in float64), `Q`'s columns multiplied by the
 * signs of `R`'s diagonal so that the result is uniformly (Haar) distributed,
 * transposed back. Needs rank >= 2.
 *
 * For an LSTM's recurrent matrix `[H, 4H]` this gives orthonormal rows; to
 * make each gate's `[H, H]` block orthogonal, initialize the blocks
 * separately (with split keys) and concatenate them.
 *
 * @param key - The random key to draw from.
 * @param shape - The shape, of rank 2 or more.
 * @param dtype - `float32` (default) or `float64`.
 * @param gain - A factor applied to the result (default 1).
 * @returns A tensor of `shape` with orthonormal columns (tall) or rows (wide),
 *   times `gain`.
 * @throws ArgumentError - when `shape` has rank below 2 or an invalid entry,
 *   `gain` is not finite, `dtype` is not `float32` or `float64`, or `key` is not a
 *   key.
 * @throws ShapeError - when the shape holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const q = init.orthogonal(key(0), [3, 3], 'float64').toArray();
 * // first column has unit length
 * console.assert(Math.abs(q[0]! ** 2 + q[3]! ** 2 + q[6]! ** 2 - 1) < 1e-12);
 * ```
 * @category Initializers
 */
export function orthogonal(key: Key, shape: Shape, dtype: DType = 'float32', gain = 1): Tensor {
  const op = 'init.orthogonal';
  const s = checkShape(op, 'shape', shape);
  const dt = checkDType(op, 'dtype', dtype);
  checkFiniteNumber(op, 'gain', gain);
  if (s.length < 2) throw new ArgumentError(op, 'shape', `needs a shape of rank >= 2, got [${s.join(', ')}]`);
  const rows = s[0]!;
  const cols = sizeOf(s) / Math.max(rows, 1);
  const size = rows * cols;
  if (size === 0) return full(s, 0, dt);
  const g = unsafeDataOf(normalSamples(key, [rows, cols], { dtype: 'float64' })) as Float64Array;
  const wide = rows < cols;
  const [m, n] = wide ? [cols, rows] : [rows, cols];
  let a: Float64Array = g;
  if (wide) {
    a = new Float64Array(size);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[j * rows + i] = g[i * cols + j]!;
  }
  const q = orthonormalColumns(a, m, n);
  const y = allocate(dt, size);
  if (wide) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) y[i * cols + j] = gain * q[j * rows + i]!;
  } else {
    for (let i = 0; i < size; i++) y[i] = gain * q[i]!;
  }
  return unsafeFromData(y, s);
}
