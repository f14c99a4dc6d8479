import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { key, normal, split as splitKey, zeros, tensor, type Tensor } from '@mnemo/core';
import { add, grad, index, matmul, mul, sigmoid, split, stack, sum, tanh } from '@mnemo/autodiff';
import { lstmSequence } from '@mnemo/nn';

/** The compositional definition, gate by gate, that the fused kernel must equal. */
function reference(gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) {
  let h = h0;
  let c = c0;
  const hs: Tensor[] = [];
  for (let t = 0; t < gx.shape[1]!; t++) {
    const [ai, af, ag, ao] = split(add(index(gx, 1, t), matmul(h, wh)), 4, 1);
    const i = sigmoid(ai!);
    const f = sigmoid(af!);
    const g = tanh(ag!);
    const o = sigmoid(ao!);
    c = add(mul(f, c), mul(i, g));
    h = mul(o, tanh(c));
    hs.push(h);
  }
  return { hs: stack(hs, 1), hT: h, cT: c };
}

function draw(seed: number, B: number, T: number, H: number) {
  const [k1, k2, k3, k4, k5, k6, k7] = splitKey(key(seed), 7);
  return {
    gx: normal(k1!, [B, T, 4 * H], { dtype: 'float64' }),
    wh: normal(k2!, [H, 4 * H], { dtype: 'float64', std: 0.5 }),
    h0: normal(k3!, [B, H], { dtype: 'float64', std: 0.5 }),
    c0: normal(k4!, [B, H], { dtype: 'float64', std: 0.5 }),
    // fixed random weights for a scalar loss over all outputs
    r: normal(k5!, [B, T, H], { dtype: 'float64' }),
    rh: normal(k6!, [B, H], { dtype: 'float64' }),
    rc: normal(k7!, [B, H], { dtype: 'float64' }),
  };
}

describe('lstmSequence (fused) equals the compositional LSTM', () => {
  it('values and every gradient agree to 1e-12 on random shapes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), (seed, B, T, H) => {
        const d = draw(seed, B, T, H);
        const loss = (impl: typeof reference) => (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) => {
          const o = impl(gx, wh, h0, c0);
          return add(add(sum(mul(o.hs, d.r)), sum(mul(o.hT, d.rh))), sum(mul(o.cT, d.rc)));
        };
        const a = loss(reference)(d.gx, d.wh, d.h0, d.c0).item();
        const b = loss(lstmSequence)(d.gx, d.wh, d.h0, d.c0).item();
        expect(Math.abs(a - b)).toBeLessThan(1e-12 * Math.max(1, Math.abs(a)));
        const ga = grad(loss(reference), { argnums: [0, 1, 2, 3] })(d.gx, d.wh, d.h0, d.c0) as Tensor[];
        const gb = grad(loss(lstmSequence), { argnums: [0, 1, 2, 3] })(d.gx, d.wh, d.h0, d.c0) as Tensor[];
        ga.forEach((g, i) => {
          const x = g.toArray();
          const y = gb[i]!.toArray();
          for (let j = 0; j < x.length; j++) expect(Math.abs(x[j]! - y[j]!)).toBeLessThan(1e-12 * Math.max(1, Math.abs(x[j]!)));
        });
      }),
      { numRuns: 40 },
    );
  });

  it('float32 runs and matches float64 within float32 tolerance', () => {
    const d = draw(3, 2, 4, 3);
    const f64 = lstmSequence(d.gx, d.wh, d.h0, d.c0).hs.toArray();
    const c = (t: Tensor) => tensor(t.toArray(), 'float32', t.shape);
    const f32 = lstmSequence(c(d.gx), c(d.wh), c(d.h0), c(d.c0)).hs.toArray();
    for (let j = 0; j < f64.length; j++) expect(Math.abs(f64[j]! - f32[j]!)).toBeLessThan(1e-5);
  });

  it('rejects mismatched shapes naming the argument and both shapes', () => {
    expect(() => lstmSequence(zeros([1, 2, 8], 'float64'), zeros([3, 8], 'float64'), zeros([1, 2], 'float64'), zeros([1, 2], 'float64'))).toThrow(
      /lstmSequence: argument 'wh': expected \[2, 8\] .*got \[3, 8\]/,
    );
  });
});
