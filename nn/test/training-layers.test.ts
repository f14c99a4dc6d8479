import { describe, expect, it } from 'vitest';
import { key, normal, split, tensor, unsafeFromData, type Key, type Tensor } from '@mnemo/core';
import { grad, matmul, sum, square, valueAndGrad } from '@mnemo/autodiff';
import { adam, clipByGlobalNorm, clipByValue, dense, embedding, globalNorm, init, mse, schedules } from '@mnemo/nn';

function numericGrad(f: (x: Tensor) => number, x: Tensor, h = 1e-6): number[] {
  const base = x.toArray() as Float64Array;
  return Array.from(base, (_, i) => {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] = plus[i]! + h;
    minus[i] = minus[i]! - h;
    return (f(unsafeFromData(plus, x.shape)) - f(unsafeFromData(minus, x.shape))) / (2 * h);
  });
}

describe('dense', () => {
  const p = dense.init(key(0), 3, 2, { dtype: 'float64' });
  const w = p.w.toNested() as number[][];
  const b = ('b' in p ? p.b : undefined)!.toArray();

  it('computes x W + b for [batch, in] and for any leading axes', () => {
    const x = normal(key(1), [2, 4, 3], { dtype: 'float64' });
    const y = dense.apply(p, x);
    expect(y.shape).toEqual([2, 4, 2]);
    const xd = x.toArray();
    const yd = y.toArray();
    for (let r = 0; r < 8; r++) {
      for (let o = 0; o < 2; o++) {
        let s = b[o]!;
        for (let i = 0; i < 3; i++) s += xd[r * 3 + i]! * w[i]![o]!;
        expect(Math.abs(yd[r * 2 + o]! - s)).toBeLessThan(1e-15);
      }
    }
    expect(dense.apply(p, tensor([[1, 0, 0]], 'float64')).toArray()).toEqual(new Float64Array([w[0]![0]! + b[0]!, w[0]![1]! + b[1]!]));
  });

  it('init: glorot weight [in, out], zero bias, float32 by default; no bias on request', () => {
    expect(b).toEqual(new Float64Array([0, 0]));
    expect(dense.init(key(0), 3, 2).w.dtype).toBe('float32');
    const nb = dense.init(key(0), 3, 2, { bias: false });
    expect(Object.keys(nb)).toEqual(['w']);
    expect(dense.apply(nb, tensor([[1, 1, 1]])).shape).toEqual([1, 2]);
  });

  it('gradients agree with central differences', () => {
    const x = normal(key(2), [4, 3], { dtype: 'float64' });
    const loss = (wt: Tensor): Tensor => sum(square(dense.apply({ w: wt, b: (p as { b: Tensor }).b }, x)));
    const g = grad(loss)(p.w);
    const num = numericGrad((wt) => loss(wt).item(), p.w);
    g.toArray().forEach((v, i) => expect(Math.abs(v - num[i]!)).toBeLessThan(1e-7));
  });

  it('rejects an input of the wrong size, naming both sizes', () => {
    expect(() => dense.apply(p, tensor([[1, 2]], 'float64'))).toThrow(/dense\.apply: argument 'x': the last axis of x \[1, 2\] must be the layer's input size 3 \(w is \[3, 2\]\)/);
    expect(() => dense.init(key(0), 0, 2)).toThrow(/'in': must be a positive integer/);
  });

  it('leaves params and input unchanged', () => {
    const x = tensor([[1, 2, 3]], 'float64');
    const before = [p.w.toArray().join(), x.toArray().join()];
    dense.apply(p, x);
    grad((q: { w: Tensor; b: Tensor }) => sum(dense.apply(q, x)))(p as { w: Tensor; b: Tensor });
    expect([p.w.toArray().join(), x.toArray().join()]).toEqual(before);
  });
});

describe('embedding', () => {
  const p = embedding.init(key(3), 5, 2, { dtype: 'float64' });
  it('looks up rows for ids of any shape', () => {
    const y = embedding.apply(p, tensor([[4, 0], [2, 4]]));
    expect(y.shape).toEqual([2, 2, 2]);
    const t = p.table.toNested() as number[][];
    expect(y.toNested()).toEqual([[t[4], t[0]], [t[2], t[4]]]);
  });
  it('adds gradients of repeated ids into the row', () => {
    const g = grad((tb: Tensor) => sum(embedding.apply({ table: tb }, tensor([1, 1, 3]))))(p.table);
    expect(g.toNested()).toEqual([[0, 0], [2, 2], [0, 0], [1, 1], [0, 0]]);
  });
  it('rejects ids out of range or fractional', () => {
    expect(() => embedding.apply(p, tensor([5]))).toThrow(/entry 0 is 5, not an integer id in \[0, 5\)/);
    expect(() => embedding.apply(p, tensor([0.5]))).toThrow(/entry 0 is 0.5/);
  });
});

describe('initializers', () => {
  it('glorotUniform: inside the bound, variance near a^2 / 3, reproducible from the key', () => {
    const a = Math.sqrt(6 / (200 + 300));
    const w = init.glorotUniform(key(7), [200, 300], 'float64').toArray();
    expect(w.every((v) => v >= -a && v < a)).toBe(true);
    const variance = Array.from(w).reduce((s, v) => s + v * v, 0) / w.length;
    expect(Math.abs(variance / (a * a / 3) - 1)).toBeLessThan(0.02);
    expect(init.glorotUniform(key(7), [200, 300], 'float64').toArray()).toEqual(w);
    expect(init.glorotUniform(key(8), [200, 300], 'float64').toArray()).not.toEqual(w);
    expect(init.fans([2, 3, 4, 5])).toEqual([24, 30]);
  });

  const gram = (q: Float64Array | Float32Array, r: number, c: number, byRows: boolean): number => {
    // max |G - I| where G = Q^T Q (byRows false) or Q Q^T (byRows true)
    const n = byRows ? r : c;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        if (byRows) for (let k = 0; k < c; k++) s += q[i * c + k]! * q[j * c + k]!;
        else for (let k = 0; k < r; k++) s += q[k * c + i]! * q[k * c + j]!;
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
      }
    }
    return worst;
  };

  it('orthogonal: orthonormal columns (tall), rows (wide), both (square)', () => {
    expect(gram(init.orthogonal(key(1), [6, 6], 'float64').toArray(), 6, 6, false)).toBeLessThan(1e-14);
    expect(gram(init.orthogonal(key(1), [6, 6], 'float64').toArray(), 6, 6, true)).toBeLessThan(1e-14);
    expect(gram(init.orthogonal(key(2), [9, 4], 'float64').toArray(), 9, 4, false)).toBeLessThan(1e-14);
    expect(gram(init.orthogonal(key(3), [4, 16], 'float64').toArray(), 4, 16, true)).toBeLessThan(1e-14);
    expect(gram(init.orthogonal(key(3), [32, 128]).toArray(), 32, 128, true)).toBeLessThan(1e-5);
    const g2 = init.orthogonal(key(1), [3, 3], 'float64', 2).toArray();
    expect(Math.abs(g2[0]! ** 2 + g2[3]! ** 2 + g2[6]! ** 2 - 4)).toBeLessThan(1e-13);
    expect(() => init.orthogonal(key(0), [4])).toThrow(/rank >= 2/);
  });

  it('orthogonal: signs fixed by R (Q is not biased towards a reflection)', () => {
    // With Q's columns signed by diag(R), each entry of Q is symmetric around 0 over keys.
    let first = 0;
    const keys = split(key(11), 400);
    keys.forEach((k: Key) => (first += Math.sign(init.orthogonal(k, [3, 3], 'float64').toArray()[0]!)));
    expect(Math.abs(first)).toBeLessThan(80); // 400 coin flips: |sum| < 80 with overwhelming probability
  });

  it('rnnUniform, uniform, normal, constant, zeros, ones', () => {
    const u = init.rnnUniform(25)(key(0), [1000], 'float64').toArray();
    expect(u.every((v) => v >= -0.2 && v < 0.2)).toBe(true);
    expect(Math.max(...u)).toBeGreaterThan(0.19);
    expect(init.uniform(2, 3)(key(0), [4]).toArray().every((v) => v >= 2 && v < 3)).toBe(true);
    expect(init.constant(0.5)(key(0), [2], 'float64').toArray()).toEqual(new Float64Array([0.5, 0.5]));
    expect(init.zeros(key(0), [2, 1]).shape).toEqual([2, 1]);
    expect(init.ones(key(0), [1]).item()).toBe(1);
    const n = init.normal(0.1)(key(0), [5000], 'float64').toArray();
    const sd = Math.sqrt(Array.from(n).reduce((s, v) => s + v * v, 0) / n.length);
    expect(Math.abs(sd - 0.1)).toBeLessThan(0.005);
    expect(() => init.rnnUniform(0)).toThrow(/hiddenSize/);
  });
});

describe('gradient clipping', () => {
  const g = { a: tensor([3, -4], 'float64'), b: [tensor([[12]], 'float64')] };

  it('globalNorm over all leaves, without overflow', () => {
    expect(globalNorm(g)).toBe(13);
    expect(Math.abs(globalNorm({ x: tensor([3e200, 4e200], 'float64') }) / 5e200 - 1)).toBeLessThan(4e-16);
    expect(globalNorm({ x: tensor([1, NaN], 'float64') })).toBeNaN();
    expect(globalNorm({ x: tensor([1, -Infinity], 'float64') })).toBe(Infinity);
  });

  it('clipByGlobalNorm keeps the direction and bounds the norm', () => {
    for (const max of [1, 6.5, 12.999]) {
      const [c, n] = clipByGlobalNorm(g, max);
      expect(n).toBe(13);
      expect(Math.abs(globalNorm(c) - max)).toBeLessThanOrEqual(2 * Number.EPSILON * max);
      const before = [...g.a.toArray(), ...g.b[0]!.toArray()];
      const after = [...c.a.toArray(), ...c.b[0]!.toArray()];
      after.forEach((v, i) => expect(Math.abs(v / before[i]! - max / 13)).toBeLessThan(1e-15));
    }
    const x = normal(key(0), [1000], { dtype: 'float32', std: 10 });
    const [c] = clipByGlobalNorm({ x }, 1);
    expect(Math.abs(globalNorm(c) - 1)).toBeLessThan(1e-6);
    expect(c.x.dtype).toBe('float32');
  });

  it('returns the same gradients when under the bound or non-finite', () => {
    const [c, n] = clipByGlobalNorm(g, 13);
    expect(c).toBe(g);
    expect(n).toBe(13);
    const bad = { x: tensor([NaN, 1], 'float64') };
    const [c2, n2] = clipByGlobalNorm(bad, 1);
    expect(c2).toBe(bad);
    expect(n2).toBeNaN();
  });

  it('clipByValue clamps each entry', () => {
    const c = clipByValue(g, 3.5);
    expect(c.a.toArray()).toEqual(new Float64Array([3, -3.5]));
    expect(c.b[0]!.toArray()).toEqual(new Float64Array([3.5]));
    expect(() => clipByValue(g, -1)).toThrow(/maxAbs/);
  });

  it('leaves its input unchanged', () => {
    clipByGlobalNorm(g, 1);
    clipByValue(g, 1);
    expect(g.a.toArray()).toEqual(new Float64Array([3, -4]));
    expect(g.b[0]!.toArray()).toEqual(new Float64Array([12]));
  });
});

describe('schedules', () => {
  it('constant, stepDecay, exponential, linear', () => {
    expect(schedules.constant(0.3)(1000)).toBe(0.3);
    const s = schedules.stepDecay({ initial: 0.1, every: 3, gamma: 0.1 });
    expect([0, 2, 3, 5, 6].map(s)).toEqual([0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 ** 2]);
    expect(schedules.exponential({ initial: 2, gamma: 0.5 })(2)).toBe(0.5);
    const l = schedules.linear({ from: 0, to: 1, steps: 8 });
    expect([0, 2, 8, 100].map(l)).toEqual([0, 0.25, 1, 1]);
  });

  it('cosine follows the closed form and ends at final', () => {
    const c = schedules.cosine({ initial: 0.1, steps: 100, final: 0.001 });
    for (const k of [0, 1, 37, 50, 99]) {
      expect(c(k)).toBe(0.001 + ((0.1 - 0.001) * (1 + Math.cos((Math.PI * k) / 100))) / 2);
    }
    expect(c(100)).toBe(0.001);
    expect(c(1000)).toBe(0.001);
  });

  it('warmup and join compose', () => {
    const s = schedules.warmup(10, schedules.cosine({ initial: 1, steps: 90 }));
    expect(s(0)).toBe(0.1);
    expect(s(4)).toBe(0.5);
    expect(s(9)).toBe(1);
    expect(s(10)).toBe(1);
    expect(s(55)).toBe((1 + Math.cos(Math.PI / 2)) / 2);
    expect(s(100)).toBe(0);
    const j = schedules.join([1, 0.5, schedules.linear({ from: 0.5, to: 0, steps: 10 })], [10, 20]);
    expect([0, 9, 10, 19, 20, 25, 30].map(j)).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0]);
  });

  it('rejects bad arguments and steps', () => {
    expect(() => schedules.constant(0.1)(-1)).toThrow(/step.*non-negative integer/);
    expect(() => schedules.cosine({ initial: 1, steps: 0 })).toThrow(/steps/);
    expect(() => schedules.join([1, 2], [5, 6])).toThrow(/needs 1 boundaries for 2 schedules/);
    expect(() => schedules.join([1, 2, 3], [6, 5])).toThrow(/must increase/);
  });
});

it('a dense layer trained with Adam and gradient clipping recovers a linear map', () => {
  const x = normal(key(20), [64, 3], { dtype: 'float64' });
  const y = matmul(x, tensor([[1], [-2], [0.5]], 'float64'));
  const loss = (p: { w: Tensor; b: Tensor }): Tensor => mse(dense.apply(p, x), y);
  const opt = adam({ lr: 0.05 });
  let params = dense.init(key(21), 3, 1, { dtype: 'float64' }) as { w: Tensor; b: Tensor };
  let state = opt.init(params);
  for (let i = 0; i < 300; i++) {
    const [, g] = valueAndGrad(loss)(params);
    const [clipped] = clipByGlobalNorm(g, 1);
    [params, state] = opt.update(clipped, state, params);
  }
  expect(loss(params).item()).toBeLessThan(1e-6);
  const w = params.w.toArray();
  expect(Math.abs(w[1]! + 2)).toBeLessThan(1e-3);
});
