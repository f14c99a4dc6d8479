/**
 * The transformations built on the tape: checkpoint, customVjp, jvp and
 * hessianVectorProduct.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, MnemoError, ShapeError, scalar, tensor, zeros, type Tensor } from '@mnemo/core';
import {
  add, checkpoint, concat, customVjp, exp, grad, hessianVectorProduct, jvp, logsumexp, matmul, mul, round, sigmoid, sin,
  split, square, sum, tanh, traceTape, tree, valueAndGrad, vjp, type Tree,
} from '@mnemo/autodiff';
import { T, arrArb, real, type Arr } from './support/nd.js';

const f64 = (v: number): Tensor => scalar(v, 'float64');

/**
 * Every leaf equal to within 1e-15 of the leaf's largest magnitude. checkpoint
 * adds a value's cotangents in another order (those from inside the chunk
 * first), so an entry that is itself a cancelling sum may differ in its last
 * bits relative to its own size, but not relative to the gradient's.
 */
function expectSameTree(a: Tree, b: Tree, rtol = 1e-15): void {
  const pairs = tree.zip(a, b);
  for (const [x, y] of pairs) {
    expect(x.shape).toEqual(y.shape);
    expect(x.dtype).toBe(y.dtype);
    const xs = x.toArray();
    const ys = y.toArray();
    const scale = Math.max(...Array.from(xs, Math.abs), ...Array.from(ys, Math.abs));
    xs.forEach((v, i) => expect(Math.abs(v - ys[i]!), `${v} vs ${ys[i]}`).toBeLessThanOrEqual(rtol * scale));
  }
}

// A small LSTM-like chunk, used by the checkpoint tests: params and state are pytrees.
type Params = { readonly w: Tensor; readonly u: Tensor; readonly b: readonly Tensor[] };
type State = { readonly h: Tensor; readonly c: Tensor };

function chunk(p: Params, s: State, xs: readonly Tensor[]): State {
  let { h, c } = s;
  for (const x of xs) {
    const z = add(add(matmul(x, p.w), matmul(h, p.u)), p.b[0]!);
    const [i, f, g] = split(z, 3, -1);
    c = add(mul(sigmoid(f!), c), mul(sigmoid(i!), tanh(add(g!, p.b[1]!))));
    h = tanh(c);
  }
  return { h, c };
}

const chunkArb = fc
  .record({
    w: arrArb([2, 6], real(-1, 1)),
    u: arrArb([2, 6], real(-1, 1)),
    b0: arrArb([6], real(-1, 1)),
    b1: arrArb([2], real(-1, 1)),
    h: arrArb([1, 2], real(-1, 1)),
    c: arrArb([1, 2], real(-1, 1)),
    xs: fc.array(arrArb([1, 2], real(-1, 1)), { minLength: 4, maxLength: 4 }),
  })
  .map((r) => ({
    p: { w: T(r.w), u: T(r.u), b: [T(r.b0), T(r.b1)] } as Params,
    s: { h: T(r.h), c: T(r.c) } as State,
    xs: r.xs.map((x: Arr) => T(x)),
  }));

const readout = (s: State): Tensor => add(sum(mul(s.h, f64(0.7))), sum(square(s.c)));

describe('checkpoint', () => {
  it('gives the same gradients as the function itself, over pytree params and a two-output (pytree) state', () => {
    fc.assert(
      fc.property(chunkArb, ({ p, s, xs }) => {
        const plain = (q: Params, st: State) => readout(chunk(q, st, xs));
        const ck = (q: Params, st: State) => readout(checkpoint((a: Params, b: State) => chunk(a, b, xs))(q, st));
        const g1 = grad(plain, { argnums: [0, 1] })(p, s);
        const g2 = grad(ck, { argnums: [0, 1] })(p, s);
        expectSameTree(g1, g2);
        expect(valueAndGrad(ck)(p, s)[0].item()).toBe(valueAndGrad(plain)(p, s)[0].item());
      }),
      { numRuns: 40 },
    );
  });

  it('nested checkpoints (two halves, each checkpointed, inside an outer checkpoint) give the same gradients', () => {
    fc.assert(
      fc.property(chunkArb, ({ p, s, xs }) => {
        const half = (q: Params, st: State, part: readonly Tensor[]) => checkpoint((a: Params, b: State) => chunk(a, b, part))(q, st);
        const whole = checkpoint((q: Params, st: State) => half(q, half(q, st, xs.slice(0, 2)), xs.slice(2)));
        const g1 = grad((q: Params) => readout(chunk(q, s, xs)))(p);
        const g2 = grad((q: Params) => readout(whole(q, s)))(p);
        expectSameTree(g1, g2);
      }),
      { numRuns: 30 },
    );
  });

  it('gives the same second derivatives (the backward pass re-runs f under the outer tapes)', () => {
    fc.assert(
      fc.property(real(-2, 2), (xv) => {
        const f = (x: Tensor) => tanh(mul(exp(sin(x)), x));
        const d2 = grad(grad(f))(f64(xv)).item();
        const d2c = grad(grad(checkpoint(f)))(f64(xv)).item();
        expect(Math.abs(d2 - d2c)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(d2)));
      }),
    );
  });

  it('records one entry instead of its intermediates, and recomputes f during the backward pass', () => {
    let calls = 0;
    const f = (x: Tensor) => {
      calls++;
      return tanh(tanh(tanh(x)));
    };
    const x = tensor([0.1, -0.4], 'float64');
    const names = traceTape((y: Tensor) => sum(checkpoint(f)(y)), x).entries.map((e) => e.name);
    expect(names).toEqual(['checkpoint', 'sum']);
    calls = 0;
    grad((y: Tensor) => sum(checkpoint(f)(y)))(x);
    expect(calls).toBe(2);
    calls = 0;
    checkpoint(f)(x); // outside any tape it is just f
    expect(calls).toBe(1);
  });

  it('passes zeros for outputs that get no cotangent', () => {
    const f = checkpoint((x: Tensor) => ({ used: square(x), unused: exp(x) }));
    const g = grad((x: Tensor) => sum(f(x).used))(tensor([1, 2], 'float64'));
    expect(Array.from(g.toArray())).toEqual([2, 4]);
  });
});

describe('customVjp', () => {
  /** round with a straight-through gradient: the custom rule, not round's zero gradient, must be used. */
  function straightThrough() {
    const spy = { f: 0, fwd: 0, bwd: 0 };
    const st = customVjp((x: Tensor) => (spy.f++, round(x)), {
      fwd: (x: Tensor) => (spy.fwd++, [round(x), null] as const),
      bwd: (_: null, g: Tensor) => (spy.bwd++, [mul(g, 1)]),
    });
    return { st, spy };
  }

  it('uses bwd (a spy counts the calls) and its result is the gradient', () => {
    fc.assert(
      fc.property(arrArb([3], real(-3, 3)), arrArb([3], real(-2, 2)), (xa, ca) => {
        const { st, spy } = straightThrough();
        const x = T(xa);
        const c = T(ca);
        const g = grad((y: Tensor) => sum(mul(st(y), c)))(x);
        expect(spy).toEqual({ f: 0, fwd: 1, bwd: 1 });
        expect(Array.from(g.toArray())).toEqual(ca.data);
        // used twice on the tape: bwd runs once per use, and the cotangents add up
        const g2 = grad((y: Tensor) => sum(mul(add(st(y), st(mul(y, 2))), c)))(x);
        expect(spy.bwd).toBe(3);
        expect(Array.from(g2.toArray())).toEqual(ca.data.map((v) => v + 2 * v));
      }),
    );
  });

  it('tells bwd which argument leaves a tape traces (the cotangents of the others are never used)', () => {
    const seen: boolean[][] = [];
    const f = customVjp((a: Tensor, b: { p: Tensor; q: Tensor }) => mul(a, add(b.p, b.q)), {
      fwd: (a: Tensor, b: { p: Tensor; q: Tensor }) => [mul(a, add(b.p, b.q)), { a, b }] as const,
      bwd: (r: { a: Tensor; b: { p: Tensor; q: Tensor } }, g: Tensor, needed: readonly boolean[]) => {
        seen.push([...needed]);
        return [mul(g, add(r.b.p, r.b.q)), { p: mul(g, r.a), q: mul(g, r.a) }];
      },
    });
    const [a, p, q] = [f64(2), f64(3), f64(5)];
    expect(grad((x: Tensor) => f(x, { p, q }))(a).item()).toBe(8);
    expect(grad((x: Tensor) => f(a, { p: x, q }))(p).item()).toBe(2);
    expect(grad((x: Tensor, y: Tensor) => f(a, { p: x, q: y }), { argnums: [0, 1] })(p, q).map((t) => t.item())).toEqual([2, 2]);
    expect(seen).toEqual([
      [true, false, false],
      [false, true, false],
      [false, true, true],
    ]);
    // under nested tapes a leaf traced by either tape counts as needed
    seen.length = 0;
    const d2 = grad((x: Tensor) => grad((y: Tensor) => f(x, { p: y, q }))(p))(a).item();
    expect(d2).toBe(1);
    expect(seen[0]).toEqual([true, true, false]);
  });

  it('runs f itself, not fwd, outside any tape; values agree', () => {
    const { st, spy } = straightThrough();
    const y = st(tensor([0.4, 1.6], 'float64'));
    expect(Array.from(y.toArray())).toEqual([0, 2]);
    expect(spy).toEqual({ f: 1, fwd: 0, bwd: 0 });
  });

  it('a stable custom log-sum-exp gives the closed-form gradient (softmax) and pytree arguments work', () => {
    const lse = customVjp((a: { x: Tensor; y: Tensor }) => logsumexp(concat([a.x, a.y])), {
      fwd: (a: { x: Tensor; y: Tensor }) => {
        const v = logsumexp(concat([a.x, a.y]));
        return [v, { a, v }] as const;
      },
      bwd: (r: { a: { x: Tensor; y: Tensor }; v: Tensor }, g: Tensor) => [{ x: mul(g, exp(add(r.a.x, mul(r.v, -1)))), y: mul(g, exp(add(r.a.y, mul(r.v, -1)))) }],
    });
    const arg = { x: tensor([1000, 1001], 'float64'), y: tensor([999], 'float64') };
    const g = grad((a: { x: Tensor; y: Tensor }) => mul(lse(a), 3))(arg);
    const e = [Math.exp(-1), 1, Math.exp(-2)];
    const z = e[0]! + e[1]! + e[2]!;
    const want = e.map((v) => (3 * v) / z);
    const got = [...g.x.toArray(), ...g.y.toArray()];
    // x - v near 1000 carries an absolute error of about ulp(1000) = 1.1e-13, so 1e-12 relative is the honest bound
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-12 * want[i]!));
  });

  it('is differentiable twice: under nested tapes fwd is recorded, so the residuals stay connected', () => {
    const myExp = customVjp((x: Tensor) => exp(x), {
      fwd: (x: Tensor) => {
        const y = exp(x);
        return [y, y] as const;
      },
      bwd: (y: Tensor, g: Tensor) => [mul(g, y)],
    });
    fc.assert(
      fc.property(real(-3, 3), (xv) => {
        const x = f64(xv);
        const d1 = grad(myExp)(x).item();
        const d2 = grad(grad(myExp))(x).item();
        const d3 = grad(grad(grad(myExp)))(x).item();
        for (const d of [d1, d2, d3]) expect(Math.abs(d - Math.exp(xv))).toBeLessThanOrEqual(1e-15 * Math.exp(xv));
        // mixed: d/dx [x * myExp'(x)] = e^x + x e^x
        const m = grad((t: Tensor) => mul(t, grad(myExp)(t)))(x).item();
        expect(Math.abs(m - (1 + xv) * Math.exp(xv))).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(xv)) * Math.exp(xv));
      }),
    );
  });

  it('bwd returning a cotangent of the wrong shape: a ShapeError naming customVjp and both shapes', () => {
    const bad = customVjp((x: Tensor, w: Tensor) => mul(x, w), {
      fwd: (x: Tensor, w: Tensor) => [mul(x, w), [x, w] as const] as const,
      bwd: ([x]: readonly [Tensor, Tensor], g: Tensor) => [mul(g, x), zeros([2], 'float64')],
    });
    const x = tensor([1, 2, 3], 'float64');
    const run = (w: Tensor) => () => grad((y: Tensor) => sum(bad(y, w)))(x);
    // also when the argument with the wrong cotangent is a constant (its cotangent is dropped, but bwd is still wrong)
    for (const w of [x, tensor([1, 1, 1], 'float64')]) {
      expect(run(w)).toThrow(ShapeError);
      expect(run(w)).toThrow(/customVjp.*\[2\].*\[3\]/);
    }
    const badStructure = customVjp((x: Tensor) => x, { fwd: (x: Tensor) => [x, null] as const, bwd: (_: null, g: Tensor) => [g, g] as never });
    expect(() => grad((y: Tensor) => sum(badStructure(y)))(x)).toThrow(MnemoError);
    expect(() => grad((y: Tensor) => sum(badStructure(y)))(x)).toThrow(/customVjp.*structure/);
    const badDtype = customVjp((x: Tensor) => x, { fwd: (x: Tensor) => [x, null] as const, bwd: (_: null, g: Tensor) => [tensor([0, 0, 0], 'float32')] });
    expect(() => grad((y: Tensor) => sum(badDtype(y)))(x)).toThrow(DTypeError);
    expect(() => grad((y: Tensor) => sum(badDtype(y)))(x)).toThrow(/customVjp.*float32.*float64/);
  });
});

describe('jvp and vjp', () => {
  // f(a, b) = { p: tanh(a b), q: sigmoid(a) * e^(sum_rows(b)) }, a [2, 3], b [3, 2]
  const f = (a: Tensor, b: Tensor) => ({ p: tanh(matmul(a, b)), q: mul(sigmoid(a), exp(sum(b, { axes: 1 }))) });
  const inArb = fc.record({ a: arrArb([2, 3], real(-1, 1)), b: arrArb([3, 2], real(-1, 1)) });
  const outArb = fc.record({ p: arrArb([2, 2], real(-2, 2)), q: arrArb([2, 3], real(-2, 2)) });

  it('satisfy the dot-product identity <J u, w> = <u, J^T w> on pytree outputs', () => {
    fc.assert(
      fc.property(inArb, inArb, outArb, (x, u, w) => {
        const [, ju] = jvp(f, [T(x.a), T(x.b)], [T(u.a), T(u.b)]);
        const [, pullback] = vjp(f, T(x.a), T(x.b));
        const jtw = pullback({ p: T(w.p), q: T(w.q) });
        const terms = [
          ...tree.zip(ju, { p: T(w.p), q: T(w.q) }).flatMap(([s, t]) => Array.from(s.toArray(), (v, i) => v * t.toArray()[i]!)),
          ...tree.zip(jtw, [T(u.a), T(u.b)]).flatMap(([s, t]) => Array.from(s.toArray(), (v, i) => -v * t.toArray()[i]!)),
        ];
        const gap = terms.reduce((s, v) => s + v, 0);
        const scale = terms.reduce((s, v) => s + Math.abs(v), 0);
        expect(Math.abs(gap)).toBeLessThanOrEqual(1e-13 * scale);
      }),
    );
  });

  it('jvp matches central differences of f', () => {
    fc.assert(
      fc.property(inArb, inArb, (x, u) => {
        const eps = 1e-6;
        const [y, ju] = jvp(f, [T(x.a), T(x.b)], [T(u.a), T(u.b)]);
        const shifted = (s: number) => f(add(T(x.a), mul(T(u.a), s)), add(T(x.b), mul(T(u.b), s)));
        const plus = shifted(eps);
        const minus = shifted(-eps);
        expect(tree.leaves(y)).toHaveLength(2);
        tree.zip(ju, plus).forEach(([d, p], k) => {
          const m = tree.leaves(minus)[k]!.toArray();
          d.toArray().forEach((v, i) => {
            const fd = (p.toArray()[i]! - m[i]!) / (2 * eps);
            expect(Math.abs(v - fd)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(fd)));
          });
        });
      }),
    );
  });
});

describe('hessianVectorProduct', () => {
  it('matches central differences of the gradient', () => {
    const f = (x: Tensor) => add(logsumexp(mul(tanh(x), x)), sum(mul(sin(x), sigmoid(x))));
    fc.assert(
      fc.property(arrArb([4], real(-2, 2)), arrArb([4], real(-1, 1)), (xa, va) => {
        const eps = 1e-5;
        const x = T(xa);
        const v = T(va);
        const hv = hessianVectorProduct(f, x, v).toArray();
        const g = grad(f);
        const gp = g(add(x, mul(v, eps))).toArray();
        const gm = g(add(x, mul(v, -eps))).toArray();
        hv.forEach((h, i) => {
          const fd = (gp[i]! - gm[i]!) / (2 * eps);
          expect(Math.abs(h - fd)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(fd)));
        });
      }),
    );
  });
});
