/**
 * The one initializer the cells need beyond nn's public ones (internal).
 *
 * @module
 */
import { full, tensor, zeros, type DType } from '@mnemo/core';
import type { Initializer } from '../init.js';

/**
 * A bias of gate blocks: zeros, with the block `[start, start + size)` set to
 * `value` where given (an LSTM's forget-gate bias). The key is ignored.
 * @internal
 */
export function blockBias(fill?: { readonly start: number; readonly size: number; readonly value: number }): Initializer {
  return (_key, shape, dtype: DType = 'float32') => {
    const length = shape[0]!;
    if (fill === undefined || fill.value === 0 || fill.size === 0) return zeros([length], dtype);
    const b = full([length], 0, dtype).toArray();
    for (let i = fill.start; i < fill.start + fill.size; i++) b[i] = fill.value;
    return tensor(b, dtype, [length]);
  };
}
