/**
 * Gradients of gradients. For every primitive, the Hessian-vector product of a
 * drawn scalar function of it, computed two ways (reverse over reverse with
 * hessianVectorProduct, forward over reverse with jvp of grad), against closed
 * forms:
 *
 * - primitives with curvature: f = sum(c * op(x)), whose Hessian is op's own;
 * - linear, piecewise-linear and piecewise-constant primitives:
 *   f = 1/2 sum(c * op(x)^2), whose Hessian is J^T diag(c) J, with J the
 *   Jacobian read off the first-order closed form. This fails if a rule's
 *   backward pass is not itself differentiable.
 *
 * Then second (and third) derivatives of tanh and sigmoid through a 3-step tanh
 * RNN against central differences, and the nesting tests.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scalar, type Tensor } from '@mnemo/core';
import {
  PRIMS, add, div, grad, hessianVectorProduct, jvp, logsumexp, matmul, mul, pow, sigmoid, sin, square, sub, sum, tanh, tree,
  type Prim,
} from '@mnemo/autodiff';
import { Acc, T, arrArb, bflat, broadcast, broadcastableTo, expectClose, flat, indices, real, shapeArb, sizeOf, type Arr } from './support/nd.js';
import { UNARY, keptShape, logsumexpHvp, matmulShape, matmulVjp, type UnaryPrim } from './support/closed-forms.js';
import { BINARY_OPS, CASES, UNARY_OPS, dim, type Case } from './support/cases.js';

interface HvpCase {
  /** The arguments differentiated (twice). */
  readonly inputs: readonly Tensor[];
  /** A scalar function of them. */
  readonly f: (...xs: Tensor[]) => Tensor;
  /** The direction, one tensor per input. */
  readonly v: readonly Tensor[];
  /** The Hessian times v, per input. */
  readonly expected: readonly Acc[];
  readonly rtol: number;
}

function checkHvp(label: string, c: HvpCase): void {
  const F = (xs: readonly Tensor[]): Tensor => c.f(...xs);
  const xs = c.inputs.slice();
  const vs = c.v.slice();
  const rr = hessianVectorProduct(F, xs, vs);
  const [, fr] = jvp((ys: readonly Tensor[]) => grad(F)(ys), [xs], [vs]);
  xs.forEach((x, i) => {
    expect(rr[i]!.dtype).toBe(x.dtype);
    expectClose(rr[i]!, c.expected[i]!, c.rtol, `${label}: reverse over reverse, input ${i}`);
    expectClose(fr[i]!, c.expected[i]!, c.rtol, `${label}: forward over reverse, input ${i}`);
  });
}

const weights = (shape: readonly number[]): fc.Arbitrary<Arr> => arrArb(shape, real(-2, 2));

// ---------------------------------------------------------------------------
// Primitives with curvature: closed-form Hessians
// ---------------------------------------------------------------------------

/** f = sum(c * op(x)): H v = c f''(x) v. */
const curvatureUnary = (p: UnaryPrim): fc.Arbitrary<HvpCase> =>
  shapeArb()
    .chain((s) => fc.tuple(arrArb(s, UNARY[p].dom), weights(s), weights(s)))
    .map(([x, c, v]) => {
      const e = new Acc(x.shape);
      x.data.forEach((xv, i) => UNARY[p].d2!(xv).forEach((t) => e.add(i, c.data[i]! * t * v.data[i]!)));
      return { inputs: [T(x)], f: (t: Tensor) => sum(mul(T(c), UNARY_OPS[p](t))), v: [T(v)], expected: [e], rtol: 1e-12 };
    });

/** The terms of the second partials of a binary op at (a, b). */
interface Partials2 {
  readonly aa: readonly number[];
  readonly ab: readonly number[];
  readonly bb: readonly number[];
}
const PARTIALS2: { readonly [P in 'mul' | 'div' | 'pow']: (a: number, b: number) => Partials2 } = {
  mul: () => ({ aa: [], ab: [1], bb: [] }),
  // a / b: f_ab = -1/b^2, f_bb = 2a/b^3
  div: (a, b) => ({ aa: [], ab: [-1 / (b * b)], bb: [(2 * a) / (b * b * b)] }),
  // a^b: f_aa = b(b-1)a^(b-2), f_ab = a^(b-1) (1 + b log a), f_bb = a^b log(a)^2
  pow: (a, b) => {
    const l = Math.log(a);
    return { aa: [b * (b - 1) * Math.pow(a, b - 2)], ab: [Math.pow(a, b - 1), b * Math.pow(a, b - 1) * l], bb: [Math.pow(a, b) * l * l] };
  },
};

/** f = sum(c * op(a, b)) with broadcasting: H [va, vb] summed back over the broadcast positions. */
const curvatureBinary = (p: 'mul' | 'div' | 'pow', va: fc.Arbitrary<number>, vb: fc.Arbitrary<number>): fc.Arbitrary<HvpCase> =>
  shapeArb()
    .chain((s) => fc.tuple(broadcastableTo(s), broadcastableTo(s)))
    .chain(([sa, sb]) => fc.tuple(arrArb(sa, va), arrArb(sb, vb), weights(broadcast(sa, sb)), weights(sa), weights(sb)))
    .map(([a, b, c, dirA, dirB]) => {
      const out = broadcast(a.shape, b.shape);
      const ha = new Acc(a.shape);
      const hb = new Acc(b.shape);
      for (const idx of indices(out)) {
        const ia = bflat(a.shape, out, idx);
        const ib = bflat(b.shape, out, idx);
        const w = c.data[flat(out, idx)]!;
        const { aa, ab, bb } = PARTIALS2[p](a.data[ia]!, b.data[ib]!);
        aa.forEach((t) => ha.add(ia, w * t * dirA.data[ia]!));
        ab.forEach((t) => {
          ha.add(ia, w * t * dirB.data[ib]!);
          hb.add(ib, w * t * dirA.data[ia]!);
        });
        bb.forEach((t) => hb.add(ib, w * t * dirB.data[ib]!));
      }
      return { inputs: [T(a), T(b)], f: (x: Tensor, y: Tensor) => sum(mul(T(c), BINARY_OPS[p](x, y))), v: [T(dirA), T(dirB)], expected: [ha, hb], rtol: 1e-12 };
    });

/** f = sum(c * logsumexp(x, axes)): the Hessian of each group is c (diag(p) - p p^T). */
const logsumexpCase: fc.Arbitrary<HvpCase> = shapeArb(1)
  .chain((s) => fc.tuple(arrArb(s, real(-4, 4)), fc.subarray(s.map((_, i) => i), { minLength: 1 }), fc.boolean(), weights(s)))
  .chain(([x, axes, keepDims, v]) => {
    const out = keepDims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i));
    return weights(out).map((c) => ({
      inputs: [T(x)],
      f: (t: Tensor) => sum(mul(T(c), logsumexp(t, { axes, keepDims }))),
      v: [T(v)],
      expected: [logsumexpHvp(x, axes, c, v)],
      rtol: 1e-12,
    }));
  });

/** f = sum(C * op(A) op(B)) is bilinear: H [vA, vB] = [C op(vB)^T, op(vA)^T C] in the stored layouts, the first-order closed form at (vA, vB). */
const matmulCase: fc.Arbitrary<HvpCase> = fc
  .record({ m: dim, k: dim, n: dim, batch: shapeArb(0, 2), transA: fc.boolean(), transB: fc.boolean() })
  .chain((r) => fc.tuple(broadcastableTo(r.batch), broadcastableTo(r.batch)).map(([ba, bb]) => ({ ...r, ba, bb })))
  .chain((r) => {
    const sa = [...r.ba, ...(r.transA ? [r.k, r.m] : [r.m, r.k])];
    const sb = [...r.bb, ...(r.transB ? [r.n, r.k] : [r.k, r.n])];
    return fc.tuple(fc.constant(r), arrArb(sa), arrArb(sb), weights(matmulShape(sa, sb, r.transA, r.transB)), weights(sa), weights(sb));
  })
  .map(([r, a, b, c, va, vb]) => ({
    inputs: [T(a), T(b)],
    f: (x: Tensor, y: Tensor) => sum(mul(T(c), matmul(x, y, { transA: r.transA, transB: r.transB }))),
    v: [T(va), T(vb)],
    expected: matmulVjp(va, vb, c, r.transA, r.transB),
    rtol: 1e-12,
  }));

// ---------------------------------------------------------------------------
// Primitives without curvature: f = 1/2 sum(c * op(x)^2), H = J^T diag(c) J
// ---------------------------------------------------------------------------

/** The Jacobian of each input, [output][input entry], read off the closed-form VJP with one-hot cotangents. */
function jacobians(c: Case): number[][][] {
  const outShape = c.ct.shape;
  const nOut = sizeOf(outShape);
  const J = c.inputs.map(() => Array.from({ length: nOut }, () => [] as number[]));
  for (let o = 0; o < nOut; o++) {
    const e: Arr = { shape: outShape, data: Array.from({ length: nOut }, (_, i) => (i === o ? 1 : 0)) };
    c.vjpOf(e).forEach((g, k) => (J[k]![o] = g === null ? new Array<number>(c.inputs[k]!.size).fill(0) : Array.from(g.value)));
  }
  return J;
}

const quadratic = (p: Prim): fc.Arbitrary<HvpCase> =>
  CASES[p]
    .chain((c) => fc.tuple(fc.constant(c), weights(c.ct.shape), fc.tuple(...c.inputs.map((x) => weights(x.shape)))))
    .map(([c, w, vs]) => {
      const J = jacobians(c);
      const expected = c.inputs.map((x) => new Acc(x.shape));
      w.data.forEach((wo, o) => {
        let jv = 0;
        let jvAbs = 0;
        J.forEach((Jk, k) =>
          Jk[o]!.forEach((jkj, j) => {
            jv += jkj * vs[k]!.data[j]!;
            jvAbs += Math.abs(jkj * vs[k]!.data[j]!);
          }),
        );
        J.forEach((Jk, k) => Jk[o]!.forEach((jkj, j) => expected[k]!.addScaled(j, jkj * wo * jv, Math.abs(jkj * wo) * jvAbs)));
      });
      const out = c.ct.dtype;
      const anyFloat32 = out === 'float32' || c.inputs.some((x) => x.dtype === 'float32');
      return {
        inputs: c.inputs,
        f: (...xs: Tensor[]) => mul(0.5, sum(mul(T(w, out), square(c.f(...xs))))),
        v: vs.map((v, i) => T(v, c.inputs[i]!.dtype)),
        expected,
        rtol: anyFloat32 ? 1e-6 : 1e-12,
      };
    });

/** The second-order case of every primitive: the compiler rejects a primitive without one. */
const SECOND: { readonly [P in Prim]: fc.Arbitrary<HvpCase> } = {
  neg: quadratic('neg'),
  exp: curvatureUnary('exp'),
  log: curvatureUnary('log'),
  log1p: curvatureUnary('log1p'),
  expm1: curvatureUnary('expm1'),
  sqrt: curvatureUnary('sqrt'),
  rsqrt: curvatureUnary('rsqrt'),
  abs: quadratic('abs'),
  sign: quadratic('sign'),
  tanh: curvatureUnary('tanh'),
  sigmoid: curvatureUnary('sigmoid'),
  relu: quadratic('relu'),
  step: quadratic('step'),
  square: curvatureUnary('square'),
  reciprocal: curvatureUnary('reciprocal'),
  sin: curvatureUnary('sin'),
  cos: curvatureUnary('cos'),
  floor: quadratic('floor'),
  ceil: quadratic('ceil'),
  round: quadratic('round'),
  add: quadratic('add'),
  sub: quadratic('sub'),
  mul: curvatureBinary('mul', real(-3, 3), real(-3, 3)),
  div: curvatureBinary('div', real(-3, 3), fc.oneof(real(0.25, 3), real(-3, -0.25))),
  pow: curvatureBinary('pow', real(0.05, 3), real(-2, 3)),
  maximum: quadratic('maximum'),
  minimum: quadratic('minimum'),
  equal: quadratic('equal'),
  notEqual: quadratic('notEqual'),
  less: quadratic('less'),
  lessEqual: quadratic('lessEqual'),
  greater: quadratic('greater'),
  greaterEqual: quadratic('greaterEqual'),
  where: quadratic('where'),
  sum: quadratic('sum'),
  max: quadratic('max'),
  min: quadratic('min'),
  logsumexp: logsumexpCase,
  argmax: quadratic('argmax'),
  argmin: quadratic('argmin'),
  matmul: matmulCase,
  reshape: quadratic('reshape'),
  transpose: quadratic('transpose'),
  broadcastTo: quadratic('broadcastTo'),
  slice: quadratic('slice'),
  concat: quadratic('concat'),
  pad: quadratic('pad'),
  gather: quadratic('gather'),
  scatterAdd: quadratic('scatterAdd'),
  oneHot: quadratic('oneHot'),
  cast: quadratic('cast'),
  identity: quadratic('identity'),
};

describe('gradients of gradients, per primitive, against closed forms', () => {
  it('every primitive in PRIMS has a second-order case', () => {
    expect(Object.keys(SECOND).sort()).toEqual([...PRIMS].sort());
  });

  for (const prim of PRIMS) {
    it(prim, () => {
      const arb = (SECOND as Readonly<Record<string, fc.Arbitrary<HvpCase> | undefined>>)[prim];
      expect(arb, `no second-order case for the primitive ${prim}`).toBeDefined();
      fc.assert(fc.property(arb!, (c) => checkHvp(prim, c)), { numRuns: 50 });
    });
  }

  it('pow at a base of 0: every derivative of x^k is finite and exact, for k = 0..3', () => {
    const x = scalar(0, 'float64');
    const d = (k: number) => (t: Tensor) => pow(t, k);
    // the n-th derivative of x^k at 0 is k! when n = k, else 0
    const expected = [
      [0, 0, 0],
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 6],
    ];
    for (let k = 0; k <= 3; k++) {
      const d1 = grad(d(k));
      const d2 = grad((t: Tensor) => d1(t));
      const d3 = grad((t: Tensor) => d2(t));
      expect([d1(x).item(), d2(x).item(), d3(x).item()], `x^${k}`).toEqual(expected[k]);
    }
  });
});

// ---------------------------------------------------------------------------
// A tiny recurrent net: second derivatives of tanh and sigmoid through time
// ---------------------------------------------------------------------------

// A type alias, not an interface: TypeScript gives interfaces no implicit index
// signature, so an interface is not assignable to the record case of Tree.
type RnnParams = {
  readonly W: Tensor; // [2, 3]
  readonly U: Tensor; // [3, 3]
  readonly b: Tensor; // [3]
  readonly V: Tensor; // [3, 2]
};

/** h_t = tanh(x_t W + h_{t-1} U + b), h_0 = 0, over 3 steps; loss = sum(w * sigmoid(h_3 V)). */
function rnnLoss(xs: readonly Tensor[], w: Tensor, uScale?: Tensor) {
  return (p: RnnParams): Tensor => {
    const U = uScale === undefined ? p.U : mul(p.U, uScale);
    let h: Tensor | undefined;
    for (const x of xs) {
      const pre = add(matmul(x, p.W), p.b);
      h = tanh(h === undefined ? pre : add(pre, matmul(h, U)));
    }
    return sum(mul(w, sigmoid(matmul(h!, p.V))));
  };
}

const SHAPES = { W: [2, 3], U: [3, 3], b: [3], V: [3, 2] } as const;
const paramsArb = (lim: number): fc.Arbitrary<RnnParams> =>
  fc.record({ W: arrArb(SHAPES.W, real(-lim, lim)), U: arrArb(SHAPES.U, real(-lim, lim)), b: arrArb(SHAPES.b, real(-lim, lim)), V: arrArb(SHAPES.V, real(-lim, lim)) }).map((r) => ({
    W: T(r.W),
    U: T(r.U),
    b: T(r.b),
    V: T(r.V),
  }));
const rnnArb = fc.record({
  p: paramsArb(1),
  v: paramsArb(1),
  xs: fc.tuple(arrArb([1, 2], real(-1, 1)), arrArb([1, 2], real(-1, 1)), arrArb([1, 2], real(-1, 1))),
  w: arrArb([1, 2], real(-2, 2)),
});

const EPS = 1e-5;

/** Central differences of a gradient along v: (g(p + eps v) - g(p - eps v)) / (2 eps). */
function fdOfGrad(loss: (p: RnnParams) => Tensor, p: RnnParams, v: RnnParams): RnnParams {
  const g = grad(loss);
  const plus = g(tree.map(p, (x, d) => add(x, mul(d!, EPS)), v));
  const minus = g(tree.map(p, (x, d) => sub(x, mul(d!, EPS)), v));
  return tree.map(plus, (a, b) => div(sub(a, b!), 2 * EPS), minus);
}

/** |a - b| <= tol (1 + |b|) entrywise: central differences are good to about 1e-10 here. */
function expectNear(a: Tensor, b: Tensor, tol: number, label: string): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.toArray();
  const y = b.toArray();
  const bad = Array.from(x).flatMap((v, i) => (Math.abs(v - y[i]!) <= tol * (1 + Math.abs(y[i]!)) ? [] : [`[${i}] ${v} vs ${y[i]}`]));
  expect(bad, label).toEqual([]);
}

describe('second derivatives through a 3-step tanh RNN with a sigmoid readout (float64)', () => {
  it('hessianVectorProduct over the parameter record matches central differences of the gradient', () => {
    fc.assert(
      fc.property(rnnArb, ({ p, v, xs, w }) => {
        const loss = rnnLoss(xs.map((x) => T(x)), T(w));
        const hv = hessianVectorProduct(loss, p, v);
        const fd = fdOfGrad(loss, p, v);
        expect(Object.keys(hv).sort()).toEqual(['U', 'V', 'W', 'b']);
        tree.zip(hv, fd).forEach(([a, b], i) => expectNear(a, b, 1e-8, `leaf ${i}`));
      }),
      { numRuns: 30 },
    );
  });

  it('grad(grad) of the loss in a scalar on the recurrent weights matches central differences and hessianVectorProduct', () => {
    fc.assert(
      fc.property(rnnArb, real(0.5, 1.5), ({ p, xs, w }, s0) => {
        const f = (s: Tensor): Tensor => rnnLoss(xs.map((x) => T(x)), T(w), s)(p);
        const s = scalar(s0, 'float64');
        const d2 = grad(grad(f))(s).item();
        const g = grad(f);
        const fd = (g(scalar(s0 + EPS, 'float64')).item() - g(scalar(s0 - EPS, 'float64')).item()) / (2 * EPS);
        expect(Math.abs(d2 - fd)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(fd)));
        const hv = hessianVectorProduct(f, s, scalar(1, 'float64')).item();
        expect(Math.abs(hv - d2)).toBeLessThanOrEqual(1e-14 * (1 + Math.abs(d2)));
      }),
      { numRuns: 30 },
    );
  });

  it('third derivatives of tanh, sigmoid and sin by triple nesting match their closed forms', () => {
    fc.assert(
      fc.property(real(-3, 3), (xv) => {
        const x = scalar(xv, 'float64');
        const d3 = (f: (t: Tensor) => Tensor): number => grad((a: Tensor) => grad((b: Tensor) => grad(f)(b))(a))(x).item();
        const t = Math.tanh(xv);
        // tanh''' = -2 (1 - t^2) (1 - 3 t^2) = (1 - t^2)(6 t^2 - 2)
        expectTerms(d3(tanh), [(1 - t * t) * 6 * t * t, -(1 - t * t) * 2], 'tanh');
        const s = 1 / (1 + Math.exp(-xv));
        const ds = s * (1 - s);
        // sigmoid''' = s' (1 - 6 s + 6 s^2)
        expectTerms(d3(sigmoid), [ds, -6 * ds * s, 6 * ds * s * s], 'sigmoid');
        expectTerms(d3(sin), [-Math.cos(xv)], 'sin');
      }),
    );
  });
});

/** got matches the sum of the terms, to 1e-12 of the terms' magnitudes. */
function expectTerms(got: number, terms: readonly number[], label: string): void {
  const want = terms.reduce((a, b) => a + b, 0);
  const scale = terms.reduce((a, b) => a + Math.abs(b), 0);
  expect(Math.abs(got - want), `${label}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-12 * scale);
}

// ---------------------------------------------------------------------------
// Nesting levels never confuse each other
// ---------------------------------------------------------------------------

describe('nested differentiation', () => {
  const f64 = (v: number): Tensor => scalar(v, 'float64');

  it('d/dx [x * d/dy (x + y)] = 1 at any x', () => {
    fc.assert(
      fc.property(real(-1e6, 1e6), real(-10, 10), (xv, yv) => {
        const g = grad((x: Tensor) => mul(x, grad((y: Tensor) => add(x, y))(f64(yv))))(f64(xv));
        expect(g.item()).toBe(1);
      }),
    );
  });

  it('three levels: d/dx [x * d/dy [y * d/dz (x + y + z)]] = 1', () => {
    fc.assert(
      fc.property(real(-1e3, 1e3), real(-10, 10), real(-10, 10), (xv, yv, zv) => {
        const g = grad((x: Tensor) => mul(x, grad((y: Tensor) => mul(y, grad((z: Tensor) => add(add(x, y), z))(f64(zv))))(f64(yv))))(f64(xv));
        expect(g.item()).toBe(1);
      }),
    );
  });

  it('three levels with every variable at every level: d/dx [x * d/dy [x y * d/dz (x y z)]] = 6 x^2 y', () => {
    fc.assert(
      fc.property(real(-10, 10), real(-10, 10), real(-10, 10), (xv, yv, zv) => {
        // inner: d/dz (x y z) = x y; middle: d/dy [x y * x y] = 2 x^2 y; outer: d/dx [2 x^3 y] = 6 x^2 y
        const g = grad((x: Tensor) =>
          mul(x, grad((y: Tensor) => mul(mul(x, y), grad((z: Tensor) => mul(mul(x, y), z))(f64(zv))))(f64(yv))),
        )(f64(xv)).item();
        expectTerms(g, [6 * xv * xv * yv], 'nested');
      }),
    );
  });

  it('the same tensor differentiated at two levels: d/dx [x * d/dx x^2] = d/dx 2 x^2 = 4 x', () => {
    fc.assert(
      fc.property(real(-100, 100), (xv) => {
        const g = grad((x: Tensor) => mul(x, grad((y: Tensor) => square(y))(x)))(f64(xv)).item();
        expectTerms(g, [4 * xv], 'same tensor');
      }),
    );
  });
});
