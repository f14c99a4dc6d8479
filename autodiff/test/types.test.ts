/**
 * Type-level tests: what grad, valueAndGrad, vjp and friends return, and misuse
 * the compiler must reject. These are checked by `tsc -p tsconfig.test.json`;
 * at run time vitest only runs the (trivial) bodies. Misuse sits in functions
 * that are never called, so each @ts-expect-error is checked but never run.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { tensor, type Tensor } from '@mnemo/core';
import {
  checkpoint, customVjp, grad, hessianVectorProduct, jvp, mul, stopGradient, sum, tree, valueAndGrad, vjp, type Tree,
} from '@mnemo/autodiff';

type Params = { readonly w: Tensor; readonly layers: readonly { readonly b: Tensor }[] };

const x = tensor([1, 2], 'float64');
const p: Params = { w: x, layers: [{ b: x }] };
const loss = (q: Params, y: Tensor): Tensor => sum(mul(mul(q.w, q.layers[0]!.b), y));

describe('types', () => {
  it('grad returns the type of the argument it differentiates', () => {
    expectTypeOf(grad((t: Tensor) => sum(t))(x)).toEqualTypeOf<Tensor>();
    expectTypeOf(grad(loss)(p, x)).toEqualTypeOf<Params>();
    expectTypeOf(grad(loss, { argnums: 1 })(p, x)).toEqualTypeOf<Tensor>();
    // several argnums: a tuple, in the order given
    expectTypeOf(grad(loss, { argnums: [1, 0] })(p, x)).toEqualTypeOf<[Tensor, Params]>();
    expectTypeOf(grad(loss)).parameters.toEqualTypeOf<[q: Params, y: Tensor]>();
  });

  it('valueAndGrad returns [value, gradient], and [[value, aux], gradient] with hasAux', () => {
    expectTypeOf(valueAndGrad(loss)(p, x)).toEqualTypeOf<[Tensor, Params]>();
    expectTypeOf(valueAndGrad(loss, { argnums: [0, 1] })(p, x)).toEqualTypeOf<[Tensor, [Params, Tensor]]>();
    const withAux = valueAndGrad((t: Tensor) => [sum(t), { steps: 3 }] as const, { hasAux: true });
    expectTypeOf(withAux(x)).toEqualTypeOf<[[Tensor, { readonly steps: 3 }], Tensor]>();
  });

  it('vjp returns the output and a pullback from output cotangents to argument cotangents; jvp and hvp keep structure', () => {
    const f = (q: Params, y: Tensor) => ({ a: mul(q.w, y), b: [y] as const });
    const [out, pullback] = vjp(f, p, x);
    expectTypeOf(out).toEqualTypeOf<{ a: Tensor; b: readonly [Tensor] }>();
    expectTypeOf(pullback).parameter(0).toEqualTypeOf<{ a: Tensor; b: readonly [Tensor] }>();
    expectTypeOf(pullback).returns.toEqualTypeOf<[q: Params, y: Tensor]>();
    const [y, dy] = jvp(f, [p, x], [p, x]);
    expectTypeOf(y).toEqualTypeOf<{ a: Tensor; b: readonly [Tensor] }>();
    expectTypeOf(dy).toEqualTypeOf<{ a: Tensor; b: readonly [Tensor] }>();
    expectTypeOf(hessianVectorProduct((q: Params) => loss(q, x), p, p)).toEqualTypeOf<Params>();
    expectTypeOf(checkpoint(f)).toEqualTypeOf<(q: Params, y: Tensor) => { a: Tensor; b: readonly [Tensor] }>();
    expectTypeOf(stopGradient(p)).toEqualTypeOf<Params>();
    expectTypeOf(tree.map(p, (t) => t)).toEqualTypeOf<Params>();
  });

  it('rejects misuse at compile time', () => {
    const misuse = (): void => {
      // @ts-expect-error the function must return a Tensor, not a record
      grad((t: Tensor) => ({ y: t }));
      // @ts-expect-error a number is not a differentiable argument
      grad((t: Tensor, n: number) => mul(t, n));
      // @ts-expect-error the argument must match the function's parameter
      grad((t: Tensor) => sum(t))(3);
      // @ts-expect-error a pytree argument must have the declared structure
      grad(loss)({ w: x }, x);
      // @ts-expect-error the cotangent has the output's structure
      vjp((t: Tensor) => t, x)[1]({ a: x });
      // @ts-expect-error hasAux needs f to return [value, aux]
      valueAndGrad((t: Tensor) => sum(t), { hasAux: true });
      // @ts-expect-error argnums are numbers
      grad(loss, { argnums: 'w' });
      // @ts-expect-error bwd returns one cotangent per argument
      customVjp((t: Tensor) => t, { fwd: (t: Tensor) => [t, null] as const, bwd: (_: null, g: Tensor) => [g, g] as const });
      // @ts-expect-error a Tree holds tensors, not numbers
      const bad: Tree = { w: 1 };
      void bad;
    };
    expectTypeOf(misuse).toBeFunction();
  });
});
