/**
 * Clear errors, immutability of the arguments, determinism, and regression
 * tests for the bugs this suite found.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, scalar, tensor, zeros, type Tensor } from '@mnemo/core';
import {
  add, bind, checkpoint, concat, customVjp, exp, grad, hessianVectorProduct, jvp, matmul, max, mean, min, mul, reshape, sigmoid, softmax,
  softplus, sum, tanh, transpose, tree, valueAndGrad, vjp, type Tree,
} from '@mnemo/autodiff';
import { T, arrArb, real } from './support/nd.js';

describe('clear errors', () => {
  it('grad of a non-scalar output says so, shows the shape and points to vjp', () => {
    const g = grad((x: Tensor) => mul(x, 2));
    expect(() => g(tensor([1, 2], 'float64'))).toThrow(ArgumentError);
    expect(() => g(tensor([1, 2], 'float64'))).toThrow(/grad.*must return a scalar.*shape \[2\].*use vjp/);
    expect(() => valueAndGrad((x: Tensor) => mul(x, 2))(tensor([[1, 2]], 'float64'))).toThrow(/valueAndGrad.*scalar.*\[1, 2\].*vjp/);
    // a one-element tensor of any rank is a scalar
    expect(grad((x: Tensor) => mul(x, 3))(tensor([[2]], 'float64')).toNested()).toEqual([[3]]);
    // not a tensor at all
    expect(() => grad((x: Tensor) => ({ y: x }) as never)(tensor([1], 'float64'))).toThrow(/scalar Tensor.*object.*vjp/);
  });

  it('an argument that is not a tensor or pytree: the message names the path, by the argument position', () => {
    const x = tensor([1, 2], 'float64');
    const f = (a: Tensor, b: Tree) => sum(mul(a, tree.leaves(b).reduce((s, t) => add(s, sum(t)), scalar(0, 'float64'))));
    expect(() => grad(f)(3 as never, x)).toThrow(/grad: argument 'args\[0\]'.*found number/);
    expect(() => grad(f, { argnums: 1 })(x, { w: [x, 'oops'] } as never)).toThrow(/argument 'args\[1\]\.w\[1\]'.*found string/);
    expect(() => grad(f, { argnums: [0, 1] })(x, { w: null } as never)).toThrow(/args\[1\]\.w'.*found null/);
    expect(() => vjp((a: Tensor) => a, new Float64Array([1, 2]) as never)).toThrow(/vjp: argument 'args\[0\]'.*Float64Array \(wrap it with tensor\(\)\)/);
    // an argument that is not differentiated is not checked: it may hold anything
    expect(() => grad((c: Tensor, _opts: Tree) => sum(c))(x, { w: x, b: [x, undefined] } as never)).not.toThrow();
  });

  it('float32 and float64 mixed in one op without a cast: a DTypeError naming the op and both dtypes', () => {
    const x64 = tensor([1, 2], 'float64');
    const y32 = tensor([3, 4], 'float32');
    const cases: [string, () => unknown][] = [
      ['add', () => grad((x: Tensor) => sum(add(x, y32)))(x64)],
      ['mul', () => valueAndGrad((x: Tensor) => sum(mul(y32, x)))(x64)],
      ['matmul', () => grad((x: Tensor) => sum(matmul(x, tensor([[1], [2]], 'float32'))))(tensor([[1, 2]], 'float64'))],
    ];
    for (const [op, run] of cases) {
      let err: unknown;
      try {
        run();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DTypeError);
      expect((err as DTypeError).op).toBe(op);
      expect((err as Error).message).toMatch(/float32/);
      expect((err as Error).message).toMatch(/float64/);
      expect((err as Error).message).toMatch(/cast/);
    }
  });

  it('an output that does not depend on an input gives zeros of its shape and dtype', () => {
    const x = tensor([1, 2], 'float64');
    const y = tensor([[1, 2, 3]], 'float32');
    const [gx, gy] = grad((a: Tensor, _b: Tensor) => sum(mul(a, a)), { argnums: [0, 1] })(x, y);
    expect(Array.from(gx.toArray())).toEqual([2, 4]);
    expect(gy.dtype).toBe('float32');
    expect(gy.shape).toEqual([1, 3]);
    expect(Array.from(gy.toArray())).toEqual([0, 0, 0]);
    // a constant output, and a pytree argument used in part
    const g0 = grad((_a: Tensor) => scalar(5, 'float64'))(x);
    expect(g0.dtype).toBe('float64');
    expect(Array.from(g0.toArray())).toEqual([0, 0]);
    const gp = grad((p: { used: Tensor; unused: readonly Tensor[] }) => sum(p.used))({ used: x, unused: [y, zeros([2, 2], 'float64')] });
    expect(gp.unused[0]!.dtype).toBe('float32');
    expect(gp.unused[1]!.shape).toEqual([2, 2]);
    expect(Array.from(gp.unused[1]!.toArray())).toEqual([0, 0, 0, 0]);
    // a pullback whose output was used by nothing traced
    const [, pb] = vjp((_a: Tensor) => tensor([1, 2, 3], 'float64'), x);
    expect(Array.from(pb(tensor([1, 1, 1], 'float64'))[0].toArray())).toEqual([0, 0]);
  });

  it('a cotangent of the wrong shape, dtype or structure: an ArgumentError from vjp', () => {
    const [, pb] = vjp((a: Tensor) => mul(a, 2), tensor([1, 2], 'float64'));
    expect(() => pb(tensor([1, 2, 3], 'float64'))).toThrow(/vjp.*cotangent.*float64 \[3\].*float64 \[2\]/);
    expect(() => pb(tensor([1, 2], 'float32'))).toThrow(/vjp.*cotangent.*float32 \[2\].*float64 \[2\]/);
    expect(() => pb([tensor([1, 2], 'float64')] as never)).toThrow(/vjp.*cotangent.*structure/);
  });

  it('hasAux needs f to return [value, aux]; f must be a function', () => {
    expect(() => valueAndGrad((x: Tensor) => sum(x) as never, { hasAux: true })(tensor([1], 'float64'))).toThrow(/hasAux.*\[value, aux\]/);
    const [[v, aux], g] = valueAndGrad((x: Tensor) => [sum(mul(x, x)), { note: 'kept' }] as const, { hasAux: true })(tensor([3], 'float64'));
    expect([v.item(), aux.note, g.item()]).toEqual([9, 'kept', 6]);
    expect(() => vjp(3 as never, tensor([1], 'float64'))).toThrow(/vjp.*'f'.*function/);
  });
});

// ---------------------------------------------------------------------------
// Immutability and determinism
// ---------------------------------------------------------------------------

type P = { readonly w: Tensor; readonly bs: readonly Tensor[] };

const pArb = fc.record({ w: arrArb([2, 2], real(-1, 1)), b0: arrArb([2], real(-1, 1)), b1: arrArb([1, 2], real(-1, 1)) }).map((r) => ({ w: T(r.w), bs: [T(r.b0), T(r.b1)] }) as P);

const lossP = (p: P): Tensor => sum(tanh(add(add(matmul(p.bs[1]!, p.w), p.bs[0]!), sigmoid(p.w))));

/** A deep snapshot of a pytree's data (copies), shapes, dtypes and record keys. */
function snapshot(t: Tree): unknown {
  if (t instanceof Object && 'shape' in t) return { d: Array.from((t as Tensor).toArray()), s: (t as Tensor).shape.slice(), t: (t as Tensor).dtype, frozen: Object.isFrozen(t) };
  if (Array.isArray(t)) return t.map(snapshot);
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, snapshot(v as Tree)]));
}

/** Bitwise equality of two pytrees' data (0 and -0 differ, NaN equals NaN). */
function expectIdentical(a: Tree, b: Tree): void {
  tree.zip(a, b).forEach(([x, y]) => {
    const xs = x.toArray();
    const ys = y.toArray();
    expect(xs.length).toBe(ys.length);
    xs.forEach((v, i) => expect(Object.is(v, ys[i])).toBe(true));
  });
}

describe('immutability and determinism', () => {
  it('arguments are unchanged after grad, valueAndGrad, vjp, jvp, hessianVectorProduct, checkpoint and customVjp', () => {
    const custom = customVjp((q: P) => lossP(q), {
      fwd: (q: P) => [lossP(q), q] as const,
      bwd: (q: P, g: Tensor) => [tree.map(grad(lossP)(q), (t) => mul(t, g))],
    });
    fc.assert(
      fc.property(pArb, pArb, (p, v) => {
        const before = snapshot([p, v]);
        grad(lossP)(p);
        valueAndGrad(lossP)(p);
        const [, pb] = vjp(lossP, p);
        pb(scalar(0.5, 'float64'));
        jvp(lossP, [p], [v]);
        hessianVectorProduct(lossP, p, v);
        grad((q: P) => checkpoint(lossP)(q))(p);
        grad((q: P) => custom(q))(p);
        expect(snapshot([p, v])).toEqual(before);
      }),
      { numRuns: 30 },
    );
  });

  it('the same grad(f) called twice gives identical results (and new tensors, not its arguments)', () => {
    const g = grad(lossP);
    const h = grad((q: P) => sum(mul(grad(lossP)(q).w, q.w)));
    fc.assert(
      fc.property(pArb, (p) => {
        const r1 = g(p);
        const r2 = g(p);
        expectIdentical(r1, r2);
        expect(r1.w).not.toBe(r2.w);
        expect(r1.w).not.toBe(p.w);
        expectIdentical(h(p), h(p));
      }),
      { numRuns: 30 },
    );
  });
});

// ---------------------------------------------------------------------------
// Regressions: bugs this suite found in autodiff/src
// ---------------------------------------------------------------------------

describe('regressions', () => {
  it('an op whose kernel returns its input unchanged (transpose by the identity) is counted once', () => {
    const x = tensor([1, 2, 3], 'float64');
    expect(Array.from(grad((y: Tensor) => sum(transpose(y)))(x).toArray())).toEqual([1, 1, 1]);
    const m = tensor([[1, 2], [3, 4]], 'float64');
    expect(grad((y: Tensor) => sum(mul(transpose(y, [0, 1]), y)))(m).toNested()).toEqual([[2, 4], [6, 8]]);
  });

  it('transpose with negative axes differentiates (the permutation is normalized)', () => {
    const m = tensor([[1, 2, 3], [4, 5, 6]], 'float64');
    const w = tensor([[1, 2], [3, 4], [5, 6]], 'float64');
    expect(grad((y: Tensor) => sum(mul(transpose(y, [-1, 0]), w)))(m).toNested()).toEqual([[1, 3, 5], [2, 4, 6]]);
  });

  it('concat of an array the caller keeps pushing into: the tape keeps the inputs it saw', () => {
    // loss = sum over steps t of sum(concat([x, tanh(0 x), ..., tanh(t x)]))
    const x = tensor([0.5, -1], 'float64');
    const g = grad((y: Tensor) => {
      const parts: Tensor[] = [y];
      let loss = scalar(0, 'float64');
      for (let t = 0; t < 3; t++) {
        parts.push(tanh(mul(y, t)));
        loss = add(loss, sum(concat(parts)));
      }
      return loss;
    })(x).toArray();
    // d/dx: 3 from the x block, and tanh(t x) appears in 3 - t of the sums
    const want = [0.5, -1].map((v) => 3 + [0, 1, 2].reduce((s, t) => s + (3 - t) * t * (1 - Math.tanh(t * v) ** 2), 0));
    g.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-15 * want[i]!));
  });

  it('softplus has gradient sigmoid(x) and second derivative sigmoid\'(x) everywhere, 0 included, and stays finite', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(0, -0, 800, -800, 40, -40), real(-30, 30)), (xv) => {
        const x = scalar(xv, 'float64');
        const s = xv >= 0 ? 1 / (1 + Math.exp(-xv)) : Math.exp(xv) / (1 + Math.exp(xv));
        const e = Math.exp(-Math.abs(xv));
        const ds = e / ((1 + e) * (1 + e));
        const sp = Math.max(xv, 0) + Math.log1p(e);
        expect(Math.abs(softplus(x).item() - sp)).toBeLessThanOrEqual(1e-15 * Math.max(1, sp));
        expect(Math.abs(grad(softplus)(x).item() - s)).toBeLessThanOrEqual(1e-15);
        expect(Math.abs(grad(grad(softplus))(x).item() - ds)).toBeLessThanOrEqual(1e-15);
      }),
    );
  });

  it('customVjp returns new tensors, so a custom identity rule is not bypassed by the path of its argument', () => {
    const idLike = customVjp((x: Tensor) => x, { fwd: (x: Tensor) => [x, null] as const, bwd: (_: null, g: Tensor) => [mul(g, 2)] });
    // the custom rule doubles the cotangent; the direct use of x adds one: 2 + 1
    expect(grad((x: Tensor) => add(idLike(x), x))(scalar(1, 'float64')).item()).toBe(3);
    expect(grad((x: Tensor) => exp(idLike(x)))(scalar(0, 'float64')).item()).toBe(2);
  });
});

describe('malformed arguments the fuzz suite found (issue 15)', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], 'float64');
  /** `f` throws an error of class `cls` from op `op` about argument `arg`. */
  const refused = (f: () => unknown, cls: typeof ArgumentError, op: string, arg: string): void => {
    let caught: unknown;
    try {
      f();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(cls);
    expect((caught as ArgumentError).op).toBe(op);
    expect((caught as ArgumentError).arg).toBe(arg);
  };

  it('the four calls of the report are typed errors naming the op and the argument', () => {
    refused(() => transpose(x, 'a' as never), ArgumentError, 'transpose', 'perm'); // was "p.map is not a function"
    refused(() => sum(x, null as never), ArgumentError, 'sum', 'options');
    refused(() => softmax(x, 1n as never), ArgumentError, 'softmax', 'axis');
    refused(() => reshape(x, {} as never), ArgumentError, 'reshape', 'shape');
  });

  it('the mean, maximum and minimum of zero elements are refused rather than NaN or an infinity', () => {
    refused(() => mean(zeros([0], 'float64')), ShapeError, 'mean', 'x');
    refused(() => max(zeros([2, 0], 'float64'), { axes: 1 }), ShapeError, 'max', 'x');
    refused(() => min(zeros([0, 3], 'float64'), { axes: 0 }), ShapeError, 'min', 'x');
    // an empty result is fine, and the sum of nothing is 0
    expect(mean(zeros([0, 3], 'float64'), { axes: 1 }).shape).toEqual([0]);
    expect(sum(zeros([0], 'float64')).item()).toBe(0);
  });

  it('grad, customVjp and checkpoint check what they are given when they are made', () => {
    refused(() => grad(3 as never), ArgumentError, 'grad', 'f');
    refused(() => grad((t: Tensor) => sum(t), null as never), ArgumentError, 'grad', 'options');
    refused(() => grad((t: Tensor) => sum(t), { argnums: -1 as never }), ArgumentError, 'grad', 'argnums');
    refused(() => valueAndGrad((t: Tensor) => sum(t), { hasAux: 'yes' as never }), ArgumentError, 'valueAndGrad', 'hasAux');
    refused(() => customVjp((t: Tensor) => t, { fwd: null } as never), ArgumentError, 'customVjp', 'rules.fwd');
    refused(() => checkpoint({} as never), ArgumentError, 'checkpoint', 'f');
    // a custom fwd that does not return [output, residuals]
    const bad = customVjp((t: Tensor) => t, { fwd: (t: Tensor) => t as never, bwd: (_r: unknown, g: Tensor) => [g] });
    refused(() => grad((t: Tensor) => sum(bad(t)))(x), ArgumentError, 'customVjp', 'rules.fwd');
  });

  it('the public bind checks the primitive, the inputs and the parameters the way the ops build them', () => {
    refused(() => bind('nope' as never, [x], {} as never), ArgumentError, 'bind', 'prim');
    refused(() => bind('add', [x], {}), ArgumentError, 'add', 'args');
    refused(() => bind('sum', [x], { axes: 'a' } as never), ArgumentError, 'sum', 'axes');
    // negative axes and size -1 are resolved, so that the VJP rules, which read them as the ops write them, stay right
    const g = grad((t: Tensor) => sum(bind('sum', [t], { axes: [-1], keepDims: false })))(x);
    expect(Array.from(g.toArray())).toEqual([1, 1, 1, 1, 1, 1]);
    const s = grad((t: Tensor) => sum(bind('slice', [t], { begin: [0, 1], size: [-1, -1] })))(x);
    expect(s.toNested()).toEqual([[0, 1, 1], [0, 1, 1]]);
  });

  it('pytrees that contain themselves, and hand-made tree structures, are typed errors', () => {
    const loop: Record<string, unknown> = { w: x };
    loop['self'] = loop;
    refused(() => tree.flatten(loop), ArgumentError, 'tree.flatten', `tree${'.self'.repeat(1001)}`);
    refused(() => tree.unflatten({ kind: 'array', children: 3 } as never, []), ArgumentError, 'tree.unflatten', 'def');
    refused(() => tree.map({ a: x }, 'f' as never), ArgumentError, 'tree.map', 'f');
  });
});
