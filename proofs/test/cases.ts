/**
 * One fast-check arbitrary of test cases per primitive, shared by the
 * first-order proofs (primitives.test.ts) and the second-order ones
 * (second-order.test.ts). Typed `{ [P in Prim]: ... }`: a primitive added to
 * autodiff without cases here does not compile.
 */
import fc from 'fast-check';
import { broadcastShapes, sizeOf, tensor, type Tensor } from '@mnemo/core';
import * as ad from '@mnemo/autodiff';
import { bind, type Prim } from '@mnemo/autodiff';
import { arbBroadcastShapes, arbBroadcastTensors, arbShape, arbTensor, arbValues, type ShapeOptions, type TensorOptions } from '@mnemo/proofs';

/** One drawn case: a function of tensors and where to check it. */
export interface Case {
  readonly args: readonly Tensor[];
  readonly f: (...xs: Tensor[]) => Tensor;
  /** Arguments to check (default all); indices are held constant. */
  readonly wrt?: readonly number[];
  readonly precision?: 'float32';
  /** `no-gradient`: the input is not differentiable (indices); the proof is that the pullback gives it zeros. */
  readonly kind?: 'no-gradient';
}

/** Small enough that the full Jacobian stays cheap, ranks 0 to 4. */
let SHAPE: ShapeOptions = { maxRank: 4, maxSize: 24 };
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function unary(f: (x: Tensor) => Tensor, o: Omit<TensorOptions, 'shape'> = {}): fc.Arbitrary<Case> {
  return arbTensor({ shape: arbShape(SHAPE), ...o }).map((x) => ({ args: [x], f }));
}

function binary(f: (a: Tensor, b: Tensor) => Tensor, oa: Omit<TensorOptions, 'shape'> = {}, ob: Omit<TensorOptions, 'shape'> = oa): fc.Arbitrary<Case> {
  return arbBroadcastShapes(SHAPE)
    .chain(([sa, sb]) => fc.tuple(arbTensor({ shape: sa, ...oa }), arbTensor({ shape: sb, ...ob })))
    .map(([a, b]) => ({ args: [a, b], f }));
}

/** Values of both signs kept at least `lo` away from zero. */
const awayFromZero = (lo: number): Omit<TensorOptions, 'shape'> => ({ avoid: [0], margin: lo });

/** Piecewise-constant functions are checked away from their jumps. */
const halfIntegers = range(13).map((i) => -3 + i / 2);

function comparison(f: (a: Tensor, b: Tensor) => Tensor): fc.Arbitrary<Case> {
  return arbBroadcastTensors({ ...SHAPE, apart: 1e-3 }).map(([a, b]) => ({ args: [a, b], f }));
}

function reduction(f: (x: Tensor, o: ad.ReduceOptions) => Tensor, o: Omit<TensorOptions, 'shape'> = {}): fc.Arbitrary<Case> {
  return arbShape(SHAPE).chain((shape) =>
    fc
      .record({
        x: arbTensor({ shape, ...o }),
        axes: fc.option(fc.subarray(range(shape.length)), { nil: undefined }),
        keepDims: fc.boolean(),
      })
      .map(({ x, axes, keepDims }) => ({ args: [x], f: (t: Tensor) => f(t, { ...(axes === undefined ? {} : { axes }), keepDims }) })),
  );
}

function argReduction(f: (x: Tensor, axis: number, keepDims: boolean) => Tensor): fc.Arbitrary<Case> {
  return arbShape({ ...SHAPE, minRank: 1 }).chain((shape) =>
    fc
      .record({ x: arbTensor({ shape, distinct: true }), axis: fc.integer({ min: 0, max: shape.length - 1 }), keepDims: fc.boolean() })
      .map(({ x, axis, keepDims }) => ({ args: [x], f: (t: Tensor) => f(t, axis, keepDims) })),
  );
}

/** Integer-valued float tensors in [0, n). */
function arbIndices(shape: readonly number[], n: number): fc.Arbitrary<Tensor> {
  return fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((v) => tensor(Float64Array.from(v), 'float64', shape));
}

const matmulCase = (): fc.Arbitrary<Case> =>
  fc
  .record({
    m: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    n: fc.integer({ min: 1, max: 3 }),
    batch: arbBroadcastShapes({ maxRank: 2, maxSize: 4 }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    vector: fc.constantFrom('none', 'none', 'a', 'b', 'both'),
  })
  .chain(({ m, k, n, batch: [ba, bb], transA, transB, vector }) => {
    const vecA = vector === 'a' || vector === 'both';
    const vecB = vector === 'b' || vector === 'both';
    const sa = vecA ? [k] : [...ba, ...(transA ? [k, m] : [m, k])];
    const sb = vecB ? [k] : [...bb, ...(transB ? [n, k] : [k, n])];
    return fc.tuple(arbTensor({ shape: sa }), arbTensor({ shape: sb })).map(([a, b]) => ({
      args: [a, b],
      f: (x: Tensor, y: Tensor) => ad.matmul(x, y, { transA, transB }),
    }));
  });

const reshapeCase = (): fc.Arbitrary<Case> =>
  arbShape(SHAPE).chain((shape) => {
  const size = sizeOf(shape);
  const targets = [[size], shape.slice().reverse(), [...shape, 1], [1, ...shape], shape.length > 0 ? [-1] : [], shape.length > 1 ? [shape[0]!, -1] : [size]];
  return fc.record({ x: arbTensor({ shape }), target: fc.constantFrom(...targets) }).map(({ x, target }) => ({ args: [x], f: (t: Tensor) => ad.reshape(t, target) }));
});

const transposeCase = (): fc.Arbitrary<Case> =>
  arbShape(SHAPE).chain((shape) =>
  fc
    .record({ x: arbTensor({ shape }), perm: fc.shuffledSubarray(range(shape.length), { minLength: shape.length, maxLength: shape.length }) })
    .map(({ x, perm }) => ({ args: [x], f: (t: Tensor) => bind('transpose', [t], { perm }) })),
);

const broadcastToCase = (): fc.Arbitrary<Case> =>
  arbBroadcastShapes(SHAPE).chain(([sa, sb]) => {
  const out = broadcastShapes('test', sa, sb);
  return arbTensor({ shape: sa }).map((x) => ({ args: [x], f: (t: Tensor) => bind('broadcastTo', [t], { shape: out }) }));
});

const sliceCase = (): fc.Arbitrary<Case> =>
  arbShape(SHAPE).chain((shape) =>
  fc
    .record({
      x: arbTensor({ shape }),
      cut: fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 1, max: d - b }))))),
    })
    .map(({ x, cut }) => ({
      args: [x],
      f: (t: Tensor) => bind('slice', [t], { begin: cut.map(([b]) => b), size: cut.map(([, s]) => s) }),
    })),
);

const concatCase = (): fc.Arbitrary<Case> =>
  arbShape({ ...SHAPE, minRank: 1, maxSize: 12 }).chain((shape) =>
  fc
    .record({ axis: fc.integer({ min: 0, max: shape.length - 1 }), sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 3 }) })
    .chain(({ axis, sizes }) =>
      fc.tuple(...sizes.map((s) => arbTensor({ shape: shape.map((d, i) => (i === axis ? s : d)) }))).map((xs) => ({
        args: xs,
        f: (...ts: Tensor[]) => bind('concat', ts, { axis }),
      })),
    ),
);

const padCase = (): fc.Arbitrary<Case> =>
  arbShape({ ...SHAPE, maxSize: 12 }).chain((shape) =>
  fc
    .record({
      x: arbTensor({ shape }),
      widths: fc.tuple(...shape.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
      value: fc.double({ min: -2, max: 2, noNaN: true }),
    })
    .map(({ x, widths, value }) => ({ args: [x], f: (t: Tensor) => ad.pad(t, widths, value) })),
);

const gatherCase = (): fc.Arbitrary<Case> =>
  arbShape({ ...SHAPE, minRank: 1, maxSize: 12 }).chain((shape) =>
  fc.integer({ min: 0, max: shape.length - 1 }).chain((axis) =>
    arbShape({ maxRank: 2, maxSize: 6 }).chain((ishape) =>
      fc.record({ x: arbTensor({ shape }), i: arbIndices(ishape, shape[axis]!) }).map(({ x, i }) => ({
        args: [x, i],
        wrt: [0],
        f: (t: Tensor, idx: Tensor) => ad.gather(t, idx, axis),
      })),
    ),
  ),
);

const scatterAddCase = (): fc.Arbitrary<Case> =>
  arbShape({ ...SHAPE, minRank: 1, maxSize: 12 }).chain((shape) =>
  fc.integer({ min: 0, max: shape.length - 1 }).chain((axis) =>
    arbShape({ maxRank: 2, maxSize: 6 }).chain((ishape) => {
      const ushape = [...shape.slice(0, axis), ...ishape, ...shape.slice(axis + 1)];
      return fc.record({ u: arbTensor({ shape: ushape }), i: arbIndices(ishape, shape[axis]!) }).map(({ u, i }) => ({
        args: [i, u],
        wrt: [1],
        f: (idx: Tensor, t: Tensor) => ad.scatterAdd(idx, t, axis, shape),
      }));
    }),
  ),
);

const whereCase = (): fc.Arbitrary<Case> =>
  arbBroadcastShapes(SHAPE).chain(([sa, sb]) => {
  const out = broadcastShapes('test', sa, sb);
  return fc
    .record({
      ones: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      a: arbTensor({ shape: sa }),
      b: arbTensor({ shape: sb }),
    })
    .chain(({ ones, a, b }) => {
      const cshape = out.map((d, i) => (ones[i] ? 1 : d));
      return arbValues(sizeOf(cshape), { min: 0, max: 1 }).map((v) => {
        const c = tensor(Float64Array.from(v, (u) => (u < 0.5 ? 0 : 1)), 'float64', cshape);
        return { args: [c, a, b], wrt: [1, 2], f: (cc: Tensor, x: Tensor, y: Tensor) => ad.where(cc, x, y) };
      });
    });
});

const oneHotCase = (): fc.Arbitrary<Case> =>
  arbShape({ maxRank: 2, maxSize: 6 }).chain((shape) =>
  fc.integer({ min: 1, max: 4 }).chain((depth) =>
    arbIndices(shape, depth).map((i) => ({ args: [i], kind: 'no-gradient' as const, f: (t: Tensor) => ad.oneHot(t, depth, 'float64') })),
  ),
);

const castCase = (): fc.Arbitrary<Case> =>
  fc.boolean().chain((up) =>
  arbTensor({ shape: arbShape(SHAPE), dtype: up ? 'float32' : 'float64' }).map((x) => ({
    args: [x],
    precision: 'float32' as const,
    f: (t: Tensor) => ad.cast(t, up ? 'float64' : 'float32'),
  })),
);

function makeCases(): { readonly [P in Prim]: fc.Arbitrary<Case> } {
  return {
  neg: unary(ad.neg),
  exp: unary(ad.exp),
  log: unary(ad.log, { min: 0.1, max: 3 }),
  log1p: unary(ad.log1p, { min: -0.9, max: 3 }),
  expm1: unary(ad.expm1),
  sqrt: unary(ad.sqrt, { min: 0.1, max: 3 }),
  rsqrt: unary(ad.rsqrt, { min: 0.1, max: 3 }),
  abs: unary(ad.abs, { avoid: [0] }),
  sign: unary(ad.sign, { avoid: [0] }),
  tanh: unary(ad.tanh, { min: -3, max: 3 }),
  sigmoid: unary(ad.sigmoid, { min: -5, max: 5 }),
  relu: unary(ad.relu, { avoid: [0] }),
  step: unary(ad.step, { avoid: [0] }),
  square: unary(ad.square),
  reciprocal: unary(ad.reciprocal, awayFromZero(0.2)),
  sin: unary(ad.sin, { min: -4, max: 4 }),
  cos: unary(ad.cos, { min: -4, max: 4 }),
  floor: unary(ad.floor, { avoid: halfIntegers }),
  ceil: unary(ad.ceil, { avoid: halfIntegers }),
  round: unary(ad.round, { avoid: halfIntegers }),
  add: binary(ad.add),
  sub: binary(ad.sub),
  mul: binary(ad.mul),
  div: binary(ad.div, {}, awayFromZero(0.3)),
  pow: binary(ad.pow, { min: 0.2, max: 2 }, { min: -2, max: 2 }),
  maximum: comparison(ad.maximum),
  minimum: comparison(ad.minimum),
  equal: comparison(ad.equal),
  notEqual: comparison(ad.notEqual),
  less: comparison(ad.less),
  lessEqual: comparison(ad.lessEqual),
  greater: comparison(ad.greater),
  greaterEqual: comparison(ad.greaterEqual),
  where: whereCase(),
  sum: reduction(ad.sum),
  max: reduction(ad.max, { distinct: true }),
  min: reduction(ad.min, { distinct: true }),
  logsumexp: reduction(ad.logsumexp),
  argmax: argReduction(ad.argmax),
  argmin: argReduction(ad.argmin),
  matmul: matmulCase(),
  reshape: reshapeCase(),
  transpose: transposeCase(),
  broadcastTo: broadcastToCase(),
  slice: sliceCase(),
  concat: concatCase(),
  pad: padCase(),
  gather: gatherCase(),
  scatterAdd: scatterAddCase(),
  oneHot: oneHotCase(),
  cast: castCase(),
  identity: unary((x) => bind('identity', [x], {})),
};
}



/**
 * The cases of every primitive, with tensors of at most `maxSize` elements
 * (24 by default: the full Jacobian stays cheap).
 */
export function primitiveCases(maxSize = 24): { readonly [P in Prim]: fc.Arbitrary<Case> } {
  SHAPE = { maxRank: 4, maxSize };
  return makeCases();
}
