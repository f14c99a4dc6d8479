/**
 * Index arithmetic shared by the CPU kernels.
 *
 * @module
 */
import { sizeOf, type Shape } from '../shape.js';

/**
 * For every element of `shape` in row-major order, the offset
 * `base + sum(index[d] * strides[d])`. With broadcast strides this maps an
 * output element to the input element it reads; with permuted strides it is a
 * transpose; with a base it is a slice.
 * @internal
 */
export function offsetsOf(shape: Shape, strides: readonly number[], base = 0): Int32Array {
  const n = sizeOf(shape);
  const out = new Int32Array(n);
  if (n === 0) return out;
  const rank = shape.length;
  if (rank === 0) {
    out[0] = base;
    return out;
  }
  const last = rank - 1;
  const ls = strides[last]!;
  const ln = shape[last]!;
  const idx = new Array<number>(rank).fill(0);
  let off = base;
  let i = 0;
  for (;;) {
    for (let j = 0; j < ln; j++) out[i++] = off + j * ls;
    let d = last - 1;
    while (d >= 0) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= strides[d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return out;
  }
}

const cache = new Map<string, Int32Array>();
let cached = 0;
const CACHE_LIMIT = 1 << 24; // offsets kept, in elements (64 MiB)

/**
 * {@link offsetsOf} with base 0, memoized by shape and strides. Training
 * repeats the same broadcasts, reductions and slices every step, so their
 * index maps are computed once. The returned array is shared: read only.
 * @internal
 */
export function cachedOffsetsOf(shape: Shape, strides: readonly number[]): Int32Array {
  const k = `${shape.join(',')}|${strides.join(',')}`;
  const hit = cache.get(k);
  if (hit !== undefined) return hit;
  const offs = offsetsOf(shape, strides);
  if (offs.length > CACHE_LIMIT / 4) return offs;
  while (cached + offs.length > CACHE_LIMIT && cache.size > 0) {
    const [oldest, arr] = cache.entries().next().value as [string, Int32Array];
    cache.delete(oldest);
    cached -= arr.length;
  }
  cache.set(k, offs);
  cached += offs.length;
  return offs;
}
