/**
 * Shared inputs and comparisons of the fused-LSTM tests: random sequences drawn
 * in float64 and rounded to float32 (so both dtypes see the same inputs), and
 * a float32-against-float64 closeness check scaled by the tensor's magnitude.
 */
import { expect } from 'vitest';
import { key, normal, split as splitKey, tensor, type Tensor } from '@mnemo/core';

/** gx, wh, h0, c0 of an LSTM sequence and weights r, rh, rc of a loss over hs, hT, cT. */
export function drawLstm(seed: number, B: number, T: number, H: number, whStd = 0.5) {
  const [k1, k2, k3, k4, k5, k6, k7] = splitKey(key(seed), 7);
  const r32 = (t: Tensor) => tensor(Float64Array.from(new Float32Array(t.toArray())), 'float64', t.shape);
  return {
    gx: r32(normal(k1!, [B, T, 4 * H], { dtype: 'float64' })),
    wh: r32(normal(k2!, [H, 4 * H], { dtype: 'float64', std: whStd })),
    h0: r32(normal(k3!, [B, H], { dtype: 'float64', std: 0.5 })),
    c0: r32(normal(k4!, [B, H], { dtype: 'float64', std: 0.5 })),
    r: r32(normal(k5!, [B, T, H], { dtype: 'float64' })),
    rh: r32(normal(k6!, [B, H], { dtype: 'float64' })),
    rc: r32(normal(k7!, [B, H], { dtype: 'float64' })),
  };
}

/** A float32 copy. */
export const f32 = (t: Tensor): Tensor => tensor(new Float32Array(t.toArray()), 'float32', t.shape);

/**
 * |a - b| <= rel · (|b| + scale), scale the largest magnitude in b (at least
 * 1): float32 rounding is relative to the values an element is computed from,
 * which for a gradient summed over steps is the tensor's scale.
 */
export function expectClose(a: Tensor, b: Tensor, rel: number, what: string): void {
  expect(a.dtype).toBe('float32');
  expect(a.shape).toEqual(b.shape);
  const x = a.toArray();
  const y = b.toArray();
  const scale = Math.max(1, ...y.map(Math.abs));
  for (let j = 0; j < y.length; j++) {
    if (!(Math.abs(x[j]! - y[j]!) <= rel * (Math.abs(y[j]!) + scale))) expect.fail(`${what}[${j}]: float32 ${x[j]} vs float64 ${y[j]} (scale ${scale})`);
  }
}
