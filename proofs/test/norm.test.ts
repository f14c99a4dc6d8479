/**
 * `norm` at and away from 0. The 2-norm has no derivative at 0; its gradient
 * there is the subgradient 0 (as PyTorch's), not the NaN that sqrt's rule
 * gives (1 / (2 sqrt(0)) times 2x = Infinity * 0). Away from 0 the gradient
 * is x / |x| and the second derivatives are proven against central
 * differences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@mnemo/core';
import { grad, hessianVectorProduct, norm, setDebugNans, sqrt, square, sum } from '@mnemo/autodiff';
import { arbTensor, gradcheck, gradgradcheck } from '@mnemo/proofs';
import { passes, runs } from './helpers.js';

const f64 = (x: number[] | number[][]): Tensor => tensor(x, 'float64');

describe('norm', () => {
  it('the plain composition sqrt(sum(x^2)) has a NaN gradient at 0 (the finding this fixes)', () => {
    const plain = (x: Tensor): Tensor => sqrt(sum(square(x)));
    expect(Array.from(grad(plain)(f64([0, 0])).toArray()).every(Number.isNaN)).toBe(true);
  });

  it('has gradient 0 at 0, and so does every all-zero slice of an axis reduction', () => {
    expect(Array.from(grad((x: Tensor) => norm(x))(f64([0, 0, 0])).toArray())).toEqual([0, 0, 0]);
    const g = grad((x: Tensor) => sum(norm(x, { axes: 1 })))(f64([[0, 0], [3, 4]]));
    const gv = Array.from(g.toArray());
    expect(gv.slice(0, 2)).toEqual([0, 0]);
    expect(gv[2]).toBeCloseTo(0.6, 15);
    expect(gv[3]).toBeCloseTo(0.8, 15);
    // and it stays quiet under the debugging mode for non-finite values
    const previous = setDebugNans(true);
    try {
      expect(Array.from(grad((x: Tensor) => norm(x))(f64([0, 0])).toArray())).toEqual([0, 0]);
    } finally {
      setDebugNans(previous);
    }
  });

  it('has a finite Hessian at 0 (0, the second-order subgradient the same rule gives)', () => {
    const hv = hessianVectorProduct((x: Tensor) => norm(x), f64([0, 0]), f64([1, -2]));
    expect(Array.from(hv.toArray())).toEqual([0, 0]);
  });

  it('keeps its values, shapes and keepDims', () => {
    expect(norm(f64([3, 4])).item()).toBe(5);
    expect(norm(f64([0, 0])).item()).toBe(0);
    const y = norm(f64([[3, 4], [0, 0]]), { axes: -1, keepDims: true });
    expect(y.shape).toEqual([2, 1]);
    expect(y.toNested()).toEqual([[5], [0]]);
  });

  it('away from 0: gradient x / |x| and second derivatives against central differences (float64)', () => {
    const arb = arbTensor({ shape: fc.constantFrom([3], [2, 3], [4]), min: -2, max: 2 }).filter((x) => norm(x).item() > 0.1);
    fc.assert(
      fc.property(arb, (x) => {
        const g = grad((t: Tensor) => norm(t))(x).toArray();
        const n = norm(x).item();
        x.toArray().forEach((v, i) => expect(g[i]).toBeCloseTo(v / n, 14));
        passes(gradcheck((t: Tensor) => norm(t, { axes: -1 }), [x], { atol: 1e-7, rtol: 1e-6 }), 'norm');
        return passes(gradgradcheck((t: Tensor) => norm(t), [x], { atol: 1e-6, rtol: 1e-5 }), 'norm, second order');
      }),
      { numRuns: runs(25) },
    );
  });
});
