/**
 * One VJP rule per primitive, in a table the compiler checks: a primitive
 * without a rule does not compile. Rules are written in differentiable ops, so
 * the backward pass is itself recorded by any enclosing tape (gradients of
 * gradients). `g` is the cotangent of the output, `y` the output.
 *
 * @module
 */
import { zeros, type Tensor } from '@mnemo/core';
import type { Prim } from './prims.js';
import {
  add,
  broadcastTo,
  cast,
  cos,
  div,
  equal,
  exp,
  gather,
  log,
  matmul,
  mul,
  neg,
  pad,
  pow,
  reshape,
  scatterAdd,
  sin,
  slice,
  sliceAxis,
  square,
  step,
  sub,
  sign,
  sum,
  transpose,
  unbroadcast,
  where,
  greater,
  less,
} from './ops.js';
import { installRules, type VjpRule } from './tape.js';

type Rules = { readonly [P in Prim]: VjpRule<P> };

const none: VjpRule<Prim> = (_g, { inputs }) => inputs.map(() => null);

/** Shape of a reduction's output with the reduced axes kept as size 1. */
function keptShape(x: Tensor, axes: readonly number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Bring a reduction's cotangent (or output) back to the input's shape. */
function expand(t: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(t, keptShape(x, axes)), x.shape);
}

/** max/min: the gradient goes to the entries equal to the extreme, shared equally at ties. */
const extremeRule: VjpRule<'max' | 'min'> = (g, { inputs: [x], output: y, params: { axes } }) => {
  const mask = equal(x!, expand(y, x!, axes));
  const count = expand(sum(mask, { axes, keepDims: true }), x!, axes);
  return [div(mul(expand(g, x!, axes), mask), count)];
};

/** Split evenly between a and b at ties: the documented subgradient of maximum/minimum. */
function tieRule(pick: (a: Tensor, b: Tensor) => Tensor): VjpRule<'maximum' | 'minimum'> {
  return (g, { inputs: [a, b] }) => {
    const wa = add(pick(a!, b!), mul(equal(a!, b!), 0.5));
    const ga = mul(g, wa);
    return [unbroadcast(ga, a!.shape), unbroadcast(sub(g, ga), b!.shape)];
  };
}

const RULES: Rules = {
  // d(-x) = -dx
  neg: (g) => [neg(g)],
  // d e^x = e^x dx
  exp: (g, { output: y }) => [mul(g, y)],
  // d log x = dx / x
  log: (g, { inputs: [x] }) => [div(g, x!)],
  // d log(1 + x) = dx / (1 + x)
  log1p: (g, { inputs: [x] }) => [div(g, add(x!, 1))],
  // d (e^x - 1) = e^x dx = (y + 1) dx
  expm1: (g, { output: y }) => [mul(g, add(y, 1))],
  // d sqrt(x) = dx / (2 sqrt(x))
  sqrt: (g, { output: y }) => [div(g, mul(y, 2))],
  // d x^(-1/2) = -1/2 x^(-3/2) dx = -y^3 / 2 dx
  rsqrt: (g, { output: y }) => [mul(g, mul(mul(y, square(y)), -0.5))],
  // d |x| = sign(x) dx (0 at x = 0, between the one-sided slopes -1 and 1)
  abs: (g, { inputs: [x] }) => [mul(g, sign(x!))],
  // piecewise constant: zero gradient
  sign: none,
  // d tanh(x) = (1 - tanh(x)^2) dx
  tanh: (g, { output: y }) => [mul(g, sub(1, square(y)))],
  // d s(x) = s(x) (1 - s(x)) dx
  sigmoid: (g, { output: y }) => [mul(g, mul(y, sub(1, y)))],
  // d relu(x) = step(x) dx (0 at x = 0, between the one-sided slopes 0 and 1)
  relu: (g, { inputs: [x] }) => [mul(g, step(x!))],
  step: none,
  // d x^2 = 2x dx
  square: (g, { inputs: [x] }) => [mul(g, mul(x!, 2))],
  // d (1/x) = -1/x^2 dx = -y^2 dx
  reciprocal: (g, { output: y }) => [neg(mul(g, square(y)))],
  // d sin x = cos x dx
  sin: (g, { inputs: [x] }) => [mul(g, cos(x!))],
  // d cos x = -sin x dx
  cos: (g, { inputs: [x] }) => [neg(mul(g, sin(x!)))],
  floor: none,
  ceil: none,
  round: none,

  // d(a + b) = da + db, each summed back over its broadcast axes
  add: (g, { inputs: [a, b] }) => [unbroadcast(g, a!.shape), unbroadcast(g, b!.shape)],
  // d(a - b) = da - db
  sub: (g, { inputs: [a, b] }) => [unbroadcast(g, a!.shape), unbroadcast(neg(g), b!.shape)],
  // d(a b) = b da + a db
  mul: (g, { inputs: [a, b] }) => [unbroadcast(mul(g, b!), a!.shape), unbroadcast(mul(g, a!), b!.shape)],
  // d(a / b) = da / b - a / b^2 db
  div: (g, { inputs: [a, b] }) => {
    const ga = div(g, b!);
    return [unbroadcast(ga, a!.shape), unbroadcast(neg(mul(ga, div(a!, b!))), b!.shape)];
  },
  // d a^b = b a^(b-1) da + a^b log(a) db  (the db term is taken as 0 where a = 0, as in PyTorch).
  // At a = b = 0 the da term is 0 (a^0 = 1 is constant), where b a^(b-1) would be
  // 0 * Inf = NaN: the exponent is replaced by 0 at exactly those points, so that
  // this rule, applied again to its own pow, keeps higher derivatives finite too.
  pow: (g, { inputs: [a, b], output: y }) => {
    const ga = mul(g, mul(b!, pow(a!, where(mul(equal(a!, 0), equal(b!, 0)), 0, sub(b!, 1)))));
    const safeLog = log(where(equal(a!, 0), 1, a!));
    return [unbroadcast(ga, a!.shape), unbroadcast(mul(g, mul(y, safeLog)), b!.shape)];
  },
  maximum: tieRule((a, b) => greater(a, b)),
  minimum: tieRule((a, b) => less(a, b)),

  equal: none,
  notEqual: none,
  less: none,
  lessEqual: none,
  greater: none,
  greaterEqual: none,
  // d where(c, a, b) = where(c, da, 0) + where(c, 0, db)
  where: (g, { inputs: [c, a, b] }) => {
    const zero = zeros([], g.dtype);
    return [null, unbroadcast(where(c!, g, zero), a!.shape), unbroadcast(where(c!, zero, g), b!.shape)];
  },

  // d sum(x) = broadcast(g)
  sum: (g, { inputs: [x], params: { axes } }) => [expand(g, x!, axes)],
  max: extremeRule,
  min: extremeRule,
  // d logsumexp(x) = softmax(x) dx = e^(x - y) dx
  logsumexp: (g, { inputs: [x], output: y, params: { axes } }) => [mul(expand(g, x!, axes), exp(sub(x!, expand(y, x!, axes))))],
  argmax: none,
  argmin: none,

  // C = op(A) op(B): dA = g op(B)^T, dB = op(A)^T g, each in A's and B's stored layout,
  // summed over broadcast batch axes.
  matmul: (g, { inputs: [a, b], params: { transA, transB } }) => {
    const da = transA ? matmul(b!, g, { transA: transB, transB: true }) : matmul(g, b!, { transB: !transB });
    const db = transB ? matmul(g, a!, { transA: true, transB: transA }) : matmul(a!, g, { transA: !transA });
    return [unbroadcast(da, a!.shape), unbroadcast(db, b!.shape)];
  },

  reshape: (g, { inputs: [x] }) => [reshape(g, x!.shape)],
  // the inverse permutation
  transpose: (g, { params: { perm } }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [transpose(g, inv)];
  },
  broadcastTo: (g, { inputs: [x] }) => [unbroadcast(g, x!.shape)],
  // the gradient of a slice is zero-padded back to the input's shape
  slice: (g, { inputs: [x], params: { begin, size } }) => [pad(g, x!.shape.map((d, i) => [begin[i]!, d - begin[i]! - size[i]!] as const))],
  // each input gets its own block of the cotangent
  concat: (g, { inputs, params: { axis } }) => {
    let start = 0;
    return inputs.map((x) => {
      const piece = sliceAxis(g, axis, start, start + x.shape[axis]!);
      start += x.shape[axis]!;
      return piece;
    });
  },
  pad: (g, { inputs: [x], params: { widths } }) => [slice(g, widths.map(([b]) => b), x!.shape)],
  gather: (g, { inputs: [x, i], params: { axis } }) => [scatterAdd(i!, g, axis, x!.shape), null],
  scatterAdd: (g, { inputs: [i], params: { axis } }) => [null, gather(g, i!, axis)],
  oneHot: none,
  cast: (g, { inputs: [x] }) => [cast(g, x!.dtype)],
  identity: (g) => [g],
};

installRules(RULES);

/** @internal */
export const VJP_RULES = RULES;
