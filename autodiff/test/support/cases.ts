/**
 * The closed-form case of every primitive: an arbitrary that draws inputs (in
 * float64, except where a dtype is the point), a cotangent that is never all
 * ones, and the primitive's VJP in closed form as a function of the cotangent.
 * The table is typed so that a primitive without a case does not compile.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type DType, type Tensor } from '@mnemo/core';
import {
  abs, add, argmax, argmin, bind, broadcastTo, cast, ceil, concat, cos, div, equal, exp, expm1, floor, gather, greater,
  greaterEqual, less, lessEqual, log, log1p, logsumexp, matmul, max, maximum, min, minimum, mul, neg, notEqual, oneHot,
  pad, pow, reciprocal, relu, reshape, round, rsqrt, scatterAdd, sigmoid, sign, sin, slice, sqrt, square, step, sub, sum,
  tanh, transpose, traceTape, vjp, where,
  type Prim,
} from '@mnemo/autodiff';
import {
  Acc, T, arr, arrArb, broadcast, broadcastableTo, ctArb, expectClose, indexArr, permArb, real, shapeArb, sizeOf, smallInts,
  type Arr, type Shape,
} from './nd.js';
import {
  BINARY, UNARY, binaryVjp, broadcastVjp, concatVjp, extremeVjp, gatherVjp, keptShape, logsumexpVjp, matmulShape,
  matmulVjp, padVjp, scatterAddVjp, sliceVjp, sumVjp, transposeVjp, unaryVjp, whereVjp,
  type BinaryForm, type BinaryPrim, type UnaryPrim,
} from './closed-forms.js';

/** One drawn instance: a function applying the primitive, its inputs, a cotangent and the expected VJP. */
export interface Case {
  readonly inputs: readonly Tensor[];
  readonly f: (...xs: Tensor[]) => Tensor;
  readonly ct: Tensor;
  /** The closed-form VJP for a cotangent: one per input, null where the input gets no gradient (zeros). */
  readonly vjpOf: (ct: Arr) => readonly (Acc | null)[];
  readonly rtol?: number;
}

export const UNARY_OPS: { readonly [P in UnaryPrim]: (x: Tensor) => Tensor } = {
  neg, exp, log, log1p, expm1, sqrt, rsqrt, abs, sign, tanh, sigmoid, relu, step, square, reciprocal, sin, cos, floor, ceil, round,
};
export const BINARY_OPS: { readonly [P in BinaryPrim]: (a: Tensor, b: Tensor) => Tensor } = { add, sub, mul, div, pow, maximum, minimum };

const unaryCase = (p: UnaryPrim): fc.Arbitrary<Case> =>
  shapeArb()
    .chain((s) => fc.tuple(arrArb(s, UNARY[p].dom), ctArb(s)))
    .map(([x, ct]) => ({ inputs: [T(x)], f: UNARY_OPS[p], ct: T(ct), vjpOf: (g) => [unaryVjp(x, g, UNARY[p].d)] }));

/** Two inputs whose shapes broadcast against each other (each derived from a common target). */
const binaryArb = (va: fc.Arbitrary<number>, vb: fc.Arbitrary<number>): fc.Arbitrary<[Arr, Arr, Arr]> =>
  shapeArb()
    .chain((s) => fc.tuple(broadcastableTo(s), broadcastableTo(s)))
    .chain(([sa, sb]) => fc.tuple(arrArb(sa, va), arrArb(sb, vb), ctArb(broadcast(sa, sb))));

const binaryCase = (op: (a: Tensor, b: Tensor) => Tensor, form: BinaryForm | null, va: fc.Arbitrary<number>, vb = va): fc.Arbitrary<Case> =>
  binaryArb(va, vb).map(([a, b, ct]) => ({ inputs: [T(a), T(b)], f: op, ct: T(ct), vjpOf: (g) => (form === null ? [null, null] : binaryVjp(a, b, g, form)) }));

const binary = (p: BinaryPrim, va: fc.Arbitrary<number>, vb = va): fc.Arbitrary<Case> => binaryCase(BINARY_OPS[p], BINARY[p], va, vb);
const compare = (op: (a: Tensor, b: Tensor) => Tensor): fc.Arbitrary<Case> => binaryCase(op, null, smallInts);

/** Axes as a user writes them (all, one possibly negative, or a list) and as normalized. */
interface AxesDraw {
  readonly spec: number | number[] | undefined;
  readonly axes: number[];
}
const axesArb = (rank: number): fc.Arbitrary<AxesDraw> => {
  const all = fc.constant<AxesDraw>({ spec: undefined, axes: Array.from({ length: rank }, (_, i) => i) });
  if (rank === 0) return fc.oneof(all, fc.constant<AxesDraw>({ spec: [], axes: [] }));
  const one = fc.integer({ min: -rank, max: rank - 1 }).map((a) => ({ spec: a, axes: [a < 0 ? a + rank : a] }));
  const list = fc
    .subarray(Array.from({ length: rank }, (_, i) => i))
    .chain((ax) => fc.array(fc.boolean(), { minLength: ax.length, maxLength: ax.length }).map((neg) => ({ spec: ax.map((a, i) => (neg[i] ? a - rank : a)), axes: ax })));
  return fc.oneof(all, one, list);
};

const reductionOut = (s: Shape, axes: readonly number[], keepDims: boolean): number[] =>
  keepDims ? keptShape(s, axes) : s.filter((_, i) => !axes.includes(i));

const reductionCase = (
  op: (x: Tensor, o: { axes?: number | number[]; keepDims: boolean }) => Tensor,
  values: fc.Arbitrary<number>,
  vjpOf: (x: Arr, axes: number[], ct: Arr) => Acc,
): fc.Arbitrary<Case> =>
  shapeArb()
    .chain((s) => fc.tuple(arrArb(s, values), axesArb(s.length), fc.boolean()))
    .chain(([x, ax, keepDims]) => ctArb(reductionOut(x.shape, ax.axes, keepDims)).map((ct) => ({ x, ax, keepDims, ct })))
    .map(({ x, ax, keepDims, ct }) => ({
      inputs: [T(x)],
      f: (t: Tensor) => op(t, ax.spec === undefined ? { keepDims } : { axes: ax.spec, keepDims }),
      ct: T(ct),
      vjpOf: (g) => [vjpOf(x, ax.axes, g)],
    }));

const argCase = (op: typeof argmax): fc.Arbitrary<Case> =>
  shapeArb(1)
    .chain((s) => fc.tuple(arrArb(s, smallInts), fc.integer({ min: -s.length, max: s.length - 1 }), fc.boolean()))
    .chain(([x, axis, keepDims]) => {
      const a = axis < 0 ? axis + x.shape.length : axis;
      return ctArb(reductionOut(x.shape, [a], keepDims)).map((ct) => ({
        inputs: [T(x)],
        f: (t: Tensor) => op(t, axis, keepDims),
        ct: T(ct),
        vjpOf: () => [null],
      }));
    });

export const dim = fc.integer({ min: 1, max: 3 });

const matmulCase: fc.Arbitrary<Case> = fc
  .record({ m: dim, k: dim, n: dim, batch: shapeArb(0, 2), transA: fc.boolean(), transB: fc.boolean() })
  .chain((r) => fc.tuple(broadcastableTo(r.batch), broadcastableTo(r.batch)).map(([ba, bb]) => ({ ...r, ba, bb })))
  .chain((r) => {
    const sa = [...r.ba, ...(r.transA ? [r.k, r.m] : [r.m, r.k])];
    const sb = [...r.bb, ...(r.transB ? [r.n, r.k] : [r.k, r.n])];
    return fc.tuple(arrArb(sa), arrArb(sb), ctArb(matmulShape(sa, sb, r.transA, r.transB))).map(([a, b, ct]) => ({
      inputs: [T(a), T(b)],
      f: (x: Tensor, y: Tensor) => matmul(x, y, { transA: r.transA, transB: r.transB }),
      ct: T(ct),
      vjpOf: (g) => matmulVjp(a, b, g, r.transA, r.transB),
    }));
  });

/** A shape of the same size that differs from `s` (so the op really records a reshape), maybe with one -1. */
const reshapeTargetArb = (s: Shape): fc.Arbitrary<number[]> => {
  const options = [[1, ...s], [sizeOf(s)], s.slice().reverse(), [...s, 1]].filter((t) => t.join() !== s.join());
  return fc
    .constantFrom(...options)
    .chain((t) => fc.integer({ min: -1, max: t.length - 1 }).map((free) => t.map((d, i) => (i === free ? -1 : d))));
};

const reshapeCase: fc.Arbitrary<Case> = shapeArb()
  .chain((s) => fc.tuple(arrArb(s), reshapeTargetArb(s)))
  .chain(([x, target]) => {
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const shape = target.map((d) => (d === -1 ? sizeOf(x.shape) / known : d));
    return ctArb(shape).map((ct) => ({ inputs: [T(x)], f: (t: Tensor) => reshape(t, target), ct: T(ct), vjpOf: (g) => [Acc.of({ shape: x.shape, data: g.data })] }));
  });

const transposeCase: fc.Arbitrary<Case> = shapeArb(0, 4)
  .chain((s) =>
    fc.tuple(
      arrArb(s),
      fc.oneof(
        fc.constant(undefined),
        permArb(s.length).chain((p) => fc.array(fc.boolean(), { minLength: p.length, maxLength: p.length }).map((neg) => ({ perm: p, spec: p.map((a, i) => (neg[i] ? a - p.length : a)) }))),
      ),
    ),
  )
  .chain(([x, pr]) => {
    const perm = pr?.perm ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return ctArb(perm.map((p) => x.shape[p]!)).map((ct) => ({
      inputs: [T(x)],
      f: (t: Tensor) => transpose(t, pr?.spec),
      ct: T(ct),
      vjpOf: (g) => [transposeVjp(x.shape, perm, g)],
    }));
  });

const broadcastToCase: fc.Arbitrary<Case> = shapeArb(1)
  .chain((target) => fc.tuple(fc.constant(target), broadcastableTo(target).filter((s) => s.join() !== target.join())))
  .chain(([target, s]) => fc.tuple(arrArb(s), ctArb(target)).map(([x, ct]) => ({ inputs: [T(x)], f: (t: Tensor) => broadcastTo(t, target), ct: T(ct), vjpOf: (g) => [broadcastVjp(s, target, g)] })));

const sliceCase: fc.Arbitrary<Case> = shapeArb(1, 3, 4)
  .chain((s) =>
    fc.tuple(
      arrArb(s),
      fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: -1, max: d - b }).filter((n) => n !== 0))))),
    ),
  )
  .chain(([x, bs]) => {
    const begin = bs.map(([b]) => b);
    const spec = bs.map(([, n]) => n);
    const size = spec.map((n, i) => (n === -1 ? x.shape[i]! - begin[i]! : n));
    return ctArb(size).map((ct) => ({ inputs: [T(x)], f: (t: Tensor) => slice(t, begin, spec), ct: T(ct), vjpOf: (g) => [sliceVjp(x.shape, begin, size, g)] }));
  });

const padCase: fc.Arbitrary<Case> = shapeArb()
  .chain((s) => fc.tuple(arrArb(s), fc.tuple(...s.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))), real(-3, 3)))
  .chain(([x, widths, value]) =>
    ctArb(x.shape.map((d, i) => d + widths[i]![0] + widths[i]![1])).map((ct) => ({
      inputs: [T(x)],
      f: (t: Tensor) => pad(t, widths, value),
      ct: T(ct),
      vjpOf: (g) => [padVjp(x.shape, widths, g)],
    })),
  );

const concatCase: fc.Arbitrary<Case> = shapeArb(1)
  .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length - 1 }), fc.array(dim, { minLength: 2, maxLength: 4 })))
  .chain(([s, axisSpec, sizes]) => {
    const axis = axisSpec < 0 ? axisSpec + s.length : axisSpec;
    const shapes = sizes.map((n) => s.map((d, i) => (i === axis ? n : d)));
    const total = s.map((d, i) => (i === axis ? sizes.reduce((a, b) => a + b, 0) : d));
    return fc.tuple(fc.tuple(...shapes.map((sh) => arrArb(sh))), ctArb(total)).map(([xs, ct]) => ({
      inputs: xs.map((x) => T(x)),
      f: (...ts: Tensor[]) => concat(ts, axisSpec),
      ct: T(ct),
      vjpOf: (g) => concatVjp(shapes, axis, g),
    }));
  });

const gatherCase: fc.Arbitrary<Case> = shapeArb(1)
  .chain((s) => fc.tuple(arrArb(s), fc.integer({ min: -s.length, max: s.length - 1 }), shapeArb(0, 2)))
  .chain(([x, axisSpec, is]) => {
    const axis = axisSpec < 0 ? axisSpec + x.shape.length : axisSpec;
    const outShape = [...x.shape.slice(0, axis), ...is, ...x.shape.slice(axis + 1)];
    return fc.tuple(indexArr(is, x.shape[axis]!), ctArb(outShape)).map(([ind, ct]) => ({
      inputs: [T(x), T(ind)],
      f: (t: Tensor, i: Tensor) => gather(t, i, axisSpec),
      ct: T(ct),
      vjpOf: (g) => [gatherVjp(x.shape, ind, axis, g), null],
    }));
  });

const scatterAddCase: fc.Arbitrary<Case> = shapeArb(1)
  .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length - 1 }), shapeArb(0, 2)))
  .chain(([s, axisSpec, is]) => {
    const axis = axisSpec < 0 ? axisSpec + s.length : axisSpec;
    const us = [...s.slice(0, axis), ...is, ...s.slice(axis + 1)];
    return fc.tuple(indexArr(is, s[axis]!), arrArb(us), ctArb(s)).map(([ind, u, ct]) => ({
      inputs: [T(ind), T(u)],
      f: (i: Tensor, t: Tensor) => scatterAdd(i, t, axisSpec, s),
      ct: T(ct),
      vjpOf: (g) => [null, scatterAddVjp(ind, us, axis, g)],
    }));
  });

const oneHotCase: fc.Arbitrary<Case> = fc
  .tuple(shapeArb(0, 2), fc.integer({ min: 1, max: 4 }))
  .chain(([is, depth]) => fc.tuple(indexArr(is, depth), ctArb([...is, depth])).map(([ind, ct]) => ({ inputs: [T(ind)], f: (i: Tensor) => oneHot(i, depth), ct: T(ct), vjpOf: () => [null] })));

/** cast both ways: the cotangent is cast back to the input's dtype. */
const castCase: fc.Arbitrary<Case> = fc
  .tuple(shapeArb(), fc.constantFrom<[DType, DType]>(['float64', 'float32'], ['float32', 'float64']))
  .chain(([s, dts]) => fc.tuple(fc.constant(dts), arrArb(s), ctArb(s)))
  .map(([[from, to], x, ct]) => {
    const ctT = T(ct, to);
    return {
      inputs: [T(x, from)],
      f: (t: Tensor) => cast(t, to),
      ct: ctT,
      // the cotangent is cast back: exactly (float32 to float64) or rounded to the nearest float32
      vjpOf: (g: Arr) => [Acc.of(g).mapValues(from === 'float32' ? Math.fround : (v) => v)],
      rtol: 1e-12,
    };
  });

const identityCase: fc.Arbitrary<Case> = shapeArb()
  .chain((s) => fc.tuple(arrArb(s), ctArb(s)))
  .map(([x, ct]) => ({ inputs: [T(x)], f: (t: Tensor) => bind('identity', [t], {}), ct: T(ct), vjpOf: (g) => [Acc.of(g)] }));

const whereCase: fc.Arbitrary<Case> = shapeArb()
  .chain((s) => fc.tuple(broadcastableTo(s), broadcastableTo(s), broadcastableTo(s)))
  .chain(([sc, sa, sb]) => fc.tuple(arrArb(sc, fc.constantFrom(0, -0, 1, -0.5, 2)), arrArb(sa), arrArb(sb), ctArb(broadcast(sc, sa, sb))))
  .map(([c, a, b, ct]) => ({
    inputs: [T(c), T(a), T(b)],
    f: (tc: Tensor, ta: Tensor, tb: Tensor) => where(tc, ta, tb),
    ct: T(ct),
    vjpOf: (g) => [null, ...whereVjp(c, a.shape, b.shape, g)],
  }));

/** The closed-form case of every primitive: the compiler rejects a primitive without one. */
export const CASES: { readonly [P in Prim]: fc.Arbitrary<Case> } = {
  neg: unaryCase('neg'),
  exp: unaryCase('exp'),
  log: unaryCase('log'),
  log1p: unaryCase('log1p'),
  expm1: unaryCase('expm1'),
  sqrt: unaryCase('sqrt'),
  rsqrt: unaryCase('rsqrt'),
  abs: unaryCase('abs'),
  sign: unaryCase('sign'),
  tanh: unaryCase('tanh'),
  sigmoid: unaryCase('sigmoid'),
  relu: unaryCase('relu'),
  step: unaryCase('step'),
  square: unaryCase('square'),
  reciprocal: unaryCase('reciprocal'),
  sin: unaryCase('sin'),
  cos: unaryCase('cos'),
  floor: unaryCase('floor'),
  ceil: unaryCase('ceil'),
  round: unaryCase('round'),
  add: binary('add', real(-3, 3)),
  sub: binary('sub', real(-3, 3)),
  mul: binary('mul', real(-3, 3)),
  div: binary('div', real(-3, 3), fc.oneof(real(0.25, 3), real(-3, -0.25))),
  // a positive base with any exponent, or a base of 0 (where the rule must stay finite) with small integer exponents
  pow: fc.oneof(binary('pow', real(0.05, 3), real(-2, 3)), binary('pow', fc.constantFrom(0, 0.5, 2), fc.constantFrom(0, 1, 2, 3))),
  maximum: binary('maximum', smallInts),
  minimum: binary('minimum', smallInts),
  equal: compare(equal),
  notEqual: compare(notEqual),
  less: compare(less),
  lessEqual: compare(lessEqual),
  greater: compare(greater),
  greaterEqual: compare(greaterEqual),
  where: whereCase,
  sum: reductionCase(sum, real(-3, 3), sumVjp),
  max: reductionCase(max, smallInts, (x, axes, ct) => extremeVjp(x, axes, ct, 'max')),
  min: reductionCase(min, smallInts, (x, axes, ct) => extremeVjp(x, axes, ct, 'min')),
  logsumexp: reductionCase(logsumexp, real(-5, 5), logsumexpVjp),
  argmax: argCase(argmax),
  argmin: argCase(argmin),
  matmul: matmulCase,
  reshape: reshapeCase,
  transpose: transposeCase,
  broadcastTo: broadcastToCase,
  slice: sliceCase,
  concat: concatCase,
  pad: padCase,
  gather: gatherCase,
  scatterAdd: scatterAddCase,
  oneHot: oneHotCase,
  cast: castCase,
  identity: identityCase,
};

/** Check one case: the primitive is on the tape, and each input's cotangent matches the closed form. */
export function checkCase(prim: string, c: Case): void {
  const names = traceTape(c.f, ...c.inputs).entries.map((e) => e.name);
  expect(names, `${prim} must be recorded`).toContain(prim);
  const [y, pullback] = vjp(c.f, ...c.inputs);
  expect(y.shape).toEqual(c.ct.shape);
  const grads = pullback(c.ct);
  expect(grads).toHaveLength(c.inputs.length);
  const expected = c.vjpOf(arr(c.ct));
  grads.forEach((g, i) => {
    const x = c.inputs[i]!;
    expectCloseOrZero(g, x, expected[i] ?? null, c.rtol ?? 1e-12, `${prim}: input ${i}`);
  });
}

function expectCloseOrZero(g: Tensor, x: Tensor, expected: Acc | null, rtol: number, label: string): void {
  expect(g.dtype, `${label}: dtype`).toBe(x.dtype);
  expectClose(g, expected ?? Acc.zeros(x.shape), rtol, label);
}

