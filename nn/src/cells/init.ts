/**
 * The few initializers the cells use by default (internal). The public
 * initializers of `nn` live in `init.ts`; these stay private so the cells do
 * not depend on that module's evolving API.
 *
 * @module
 */
import { full, tensor, uniform, zeros, type DType, type Key, type Tensor } from '@mnemo/core';

/**
 * Uniform in `[-1/sqrt(fanOut), 1/sqrt(fanOut)]` where `fanOut` is the hidden
 * size: the default of PyTorch's recurrent layers, so a freshly initialised
 * cell behaves like theirs.
 * @internal
 */
export function recurrentUniform(k: Key, shape: readonly number[], hiddenSize: number, dtype: DType): Tensor {
  const bound = 1 / Math.sqrt(hiddenSize);
  return uniform(k, shape, { low: -bound, high: bound, dtype });
}

/** A bias: zeros, with `[start, start + size)` set to `value` where given. @internal */
export function biasWith(length: number, dtype: DType, fill?: { start: number; size: number; value: number }): Tensor {
  if (fill === undefined || fill.value === 0 || fill.size === 0) return zeros([length], dtype);
  const b = full([length], 0, dtype).toArray();
  for (let i = fill.start; i < fill.start + fill.size; i++) b[i] = fill.value;
  return tensor(b, dtype, [length]);
}

/** Layer-normalization gain (ones) and bias (zeros). @internal */
export function layerNormInit(length: number, dtype: DType): { gain: Tensor; bias: Tensor } {
  return { gain: full([length], 1, dtype), bias: zeros([length], dtype) };
}
