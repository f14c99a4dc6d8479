import { describe, expect, it } from 'vitest';
import { tensor, scalar } from '@mnemo/core';
import { grad, add, mul, sum, tanh, sigmoid, matmul, vjp, jvp, valueAndGrad, checkpoint, customVjp, exp, logSoftmax } from '@mnemo/autodiff';
import type { Tensor } from '@mnemo/core';

describe('autodiff basics', () => {
  it('nesting: d/dx [x * d/dy (x + y)] = 1', () => {
    for (const xv of [-2, 0, 3.5]) {
      const x = scalar(xv, 'float64');
      const g = grad((x: Tensor) => mul(x, grad((y: Tensor) => add(x, y))(scalar(7, 'float64'))))(x);
      expect(g.item()).toBe(1);
    }
  });
  it('second derivative of tanh', () => {
    const x = scalar(0.3, 'float64');
    const d2 = grad(grad((x: Tensor) => tanh(x)))(x).item();
    const t = Math.tanh(0.3);
    expect(d2).toBeCloseTo(-2 * t * (1 - t * t), 14);
  });
  it('matmul grads', () => {
    const a = tensor([[1, 2], [3, 4]], 'float64');
    const b = tensor([[5, 6], [7, 8]], 'float64');
    const [ga, gb] = grad((a: Tensor, b: Tensor) => sum(matmul(a, b)), { argnums: [0, 1] })(a, b) as Tensor[];
    expect(ga!.toNested()).toEqual([[11, 15], [11, 15]]);
    expect(gb!.toNested()).toEqual([[4, 4], [6, 6]]);
    const [ga2] = grad((a: Tensor, b: Tensor) => sum(matmul(a, b, { transA: true, transB: true })), { argnums: [0] })(a, b) as Tensor[];
    expect(ga2!.toNested()).toEqual([[12, 12], [14, 14]]);
  });
  it('jvp and vjp agree', () => {
    const f = (x: Tensor) => sigmoid(mul(x, x));
    const x = tensor([0.5, -1], 'float64');
    const [, dy] = jvp(f, [x], [tensor([1, 0], 'float64')]);
    const [, pb] = vjp(f, x);
    const [g] = pb(tensor([1, 0], 'float64'));
    expect(dy.toArray()[0]).toBeCloseTo(g.toArray()[0]!, 14);
  });
  it('checkpoint and customVjp', () => {
    const f = (x: Tensor) => tanh(exp(x));
    const x = tensor([0.1, 0.2], 'float64');
    const g1 = grad((x: Tensor) => sum(f(x)))(x);
    const g2 = grad((x: Tensor) => sum(checkpoint(f)(x)))(x);
    expect(g2.toArray()).toEqual(g1.toArray());
    const ce = customVjp((x: Tensor) => exp(x), { fwd: (x: Tensor) => { const y = exp(x); return [y, y] as const; }, bwd: (y: Tensor, g: Tensor) => [mul(g, y)] });
    expect(grad((x: Tensor) => sum(ce(x)))(x).toArray()).toEqual(exp(x).toArray());
    const [v] = valueAndGrad((x: Tensor) => sum(logSoftmax(x)))(x);
    expect(Number.isFinite(v.item())).toBe(true);
  });
});
