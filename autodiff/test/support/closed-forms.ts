/**
 * Closed-form derivatives of every primitive, in plain JavaScript on {@link Arr}s:
 * what each VJP rule must compute, written from the math and not from the rules.
 * Vector-Jacobian products take the incoming cotangent `ct` (shaped like the
 * primitive's output) and return one {@link Acc} per input.
 */
import fc from 'fast-check';
import { Acc, bflat, broadcast, flat, indices, real, sizeOf, tiesAndKinks, type Arr, type Shape } from './nd.js';

// ---------------------------------------------------------------------------
// Elementwise: f'(x) and the terms of f''(x)
// ---------------------------------------------------------------------------

export type UnaryPrim =
  | 'neg' | 'exp' | 'log' | 'log1p' | 'expm1' | 'sqrt' | 'rsqrt' | 'abs' | 'sign' | 'tanh' | 'sigmoid' | 'relu' | 'step'
  | 'square' | 'reciprocal' | 'sin' | 'cos' | 'floor' | 'ceil' | 'round';

export interface UnaryForm {
  /** f'(x). */
  readonly d: (x: number) => number;
  /** The terms that sum to f''(x); absent for piecewise-linear and piecewise-constant functions. */
  readonly d2?: (x: number) => readonly number[];
  /** Where to draw x. */
  readonly dom: fc.Arbitrary<number>;
}

const sig = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** sigma'(x) = e^-|x| / (1 + e^-|x|)^2, accurate for every x. */
const dsig = (x: number): number => {
  const e = Math.exp(-Math.abs(x));
  return e / ((1 + e) * (1 + e));
};
const positive = real(0.05, 5);
const nonzero = fc.oneof(real(0.2, 4), real(-4, -0.2));
const kinkSign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

export const UNARY: { readonly [P in UnaryPrim]: UnaryForm } = {
  neg: { d: () => -1, dom: real(-4, 4) },
  exp: { d: Math.exp, d2: (x) => [Math.exp(x)], dom: real(-5, 5) },
  log: { d: (x) => 1 / x, d2: (x) => [-1 / (x * x)], dom: positive },
  log1p: { d: (x) => 1 / (1 + x), d2: (x) => [-1 / ((1 + x) * (1 + x))], dom: real(-0.9, 5) },
  expm1: { d: Math.exp, d2: (x) => [Math.exp(x)], dom: real(-5, 5) },
  sqrt: { d: (x) => 0.5 / Math.sqrt(x), d2: (x) => [-0.25 / (x * Math.sqrt(x))], dom: positive },
  rsqrt: { d: (x) => -0.5 / (x * Math.sqrt(x)), d2: (x) => [0.75 / (x * x * Math.sqrt(x))], dom: positive },
  // |x|' = sign(x), and 0 at 0 (the documented subgradient)
  abs: { d: kinkSign, dom: tiesAndKinks },
  sign: { d: () => 0, dom: tiesAndKinks },
  tanh: {
    d: (x) => 1 - Math.tanh(x) ** 2,
    d2: (x) => {
      const t = Math.tanh(x);
      return [-2 * t * (1 - t * t)];
    },
    dom: real(-4, 4),
  },
  // sigma'' = sigma' (1 - sigma) - sigma' sigma, kept as two terms for the error bound
  sigmoid: { d: dsig, d2: (x) => [dsig(x) * (1 - sig(x)), -dsig(x) * sig(x)], dom: real(-6, 6) },
  // relu'(x) = 1 for x > 0, else 0 (0 at 0, the documented subgradient)
  relu: { d: (x) => (x > 0 ? 1 : 0), dom: tiesAndKinks },
  step: { d: () => 0, dom: tiesAndKinks },
  square: { d: (x) => 2 * x, d2: () => [2], dom: real(-4, 4) },
  reciprocal: { d: (x) => -1 / (x * x), d2: (x) => [2 / (x * x * x)], dom: nonzero },
  sin: { d: Math.cos, d2: (x) => [-Math.sin(x)], dom: real(-6, 6) },
  cos: { d: (x) => -Math.sin(x), d2: (x) => [-Math.cos(x)], dom: real(-6, 6) },
  floor: { d: () => 0, dom: tiesAndKinks },
  ceil: { d: () => 0, dom: tiesAndKinks },
  round: { d: () => 0, dom: tiesAndKinks },
};

export function unaryVjp(x: Arr, ct: Arr, d: (x: number) => number): Acc {
  const out = new Acc(x.shape);
  x.data.forEach((v, i) => out.add(i, ct.data[i]! * d(v)));
  return out;
}

// ---------------------------------------------------------------------------
// Binary elementwise, with broadcasting
// ---------------------------------------------------------------------------

export type BinaryPrim = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

export interface BinaryForm {
  readonly da: (a: number, b: number) => number;
  readonly db: (a: number, b: number) => number;
}

const tieShare = (win: boolean, tie: boolean): number => (win ? 1 : tie ? 0.5 : 0);

export const BINARY: { readonly [P in BinaryPrim]: BinaryForm } = {
  add: { da: () => 1, db: () => 1 },
  sub: { da: () => 1, db: () => -1 },
  mul: { da: (_a, b) => b, db: (a) => a },
  div: { da: (_a, b) => 1 / b, db: (a, b) => -a / (b * b) },
  // d a^b / da = b a^(b-1), which is 0 at a = b = 0 (a^0 is constant);
  // d a^b / db = a^b log a, taken as 0 at a = 0
  pow: {
    da: (a, b) => (a === 0 && b === 0 ? 0 : b * Math.pow(a, b - 1)),
    db: (a, b) => (a === 0 ? 0 : Math.pow(a, b) * Math.log(a)),
  },
  // ties share the cotangent equally
  maximum: { da: (a, b) => tieShare(a > b, a === b), db: (a, b) => tieShare(b > a, a === b) },
  minimum: { da: (a, b) => tieShare(a < b, a === b), db: (a, b) => tieShare(b < a, a === b) },
};

/** Sum over the broadcast positions of ct * partial derivative. */
export function binaryVjp(a: Arr, b: Arr, ct: Arr, f: BinaryForm): [Acc, Acc] {
  const out = broadcast(a.shape, b.shape);
  const ga = new Acc(a.shape);
  const gb = new Acc(b.shape);
  for (const idx of indices(out)) {
    const ia = bflat(a.shape, out, idx);
    const ib = bflat(b.shape, out, idx);
    const g = ct.data[flat(out, idx)]!;
    ga.add(ia, g * f.da(a.data[ia]!, b.data[ib]!));
    gb.add(ib, g * f.db(a.data[ia]!, b.data[ib]!));
  }
  return [ga, gb];
}

/** where(c, a, b): the cotangent goes to a where c != 0 and to b elsewhere. */
export function whereVjp(c: Arr, a: Shape, b: Shape, ct: Arr): [Acc, Acc] {
  const out = broadcast(c.shape, a, b);
  const ga = new Acc(a);
  const gb = new Acc(b);
  for (const idx of indices(out)) {
    const g = ct.data[flat(out, idx)]!;
    if (c.data[bflat(c.shape, out, idx)]! !== 0) ga.add(bflat(a, out, idx), g);
    else gb.add(bflat(b, out, idx), g);
  }
  return [ga, gb];
}

// ---------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------

/** The shape with the reduced axes kept as size 1: its row-major positions are the output's. */
export const keptShape = (shape: Shape, axes: readonly number[]): number[] => shape.map((d, i) => (axes.includes(i) ? 1 : d));
const reducedAt = (shape: Shape, axes: readonly number[], idx: readonly number[]): number =>
  flat(keptShape(shape, axes), idx.map((v, i) => (axes.includes(i) ? 0 : v)));

export function sumVjp(x: Arr, axes: readonly number[], ct: Arr): Acc {
  const out = new Acc(x.shape);
  for (const idx of indices(x.shape)) out.add(flat(x.shape, idx), ct.data[reducedAt(x.shape, axes, idx)]!);
  return out;
}

/** max/min over axes: the cotangent is shared equally by the entries equal to the extreme. */
export function extremeVjp(x: Arr, axes: readonly number[], ct: Arr, kind: 'max' | 'min'): Acc {
  const n = sizeOf(keptShape(x.shape, axes));
  const best = new Array<number>(n).fill(kind === 'max' ? -Infinity : Infinity);
  for (const idx of indices(x.shape)) {
    const r = reducedAt(x.shape, axes, idx);
    const v = x.data[flat(x.shape, idx)]!;
    best[r] = kind === 'max' ? Math.max(best[r]!, v) : Math.min(best[r]!, v);
  }
  const count = new Array<number>(n).fill(0);
  for (const idx of indices(x.shape)) {
    const r = reducedAt(x.shape, axes, idx);
    if (x.data[flat(x.shape, idx)] === best[r]) count[r]!++;
  }
  const out = new Acc(x.shape);
  for (const idx of indices(x.shape)) {
    const r = reducedAt(x.shape, axes, idx);
    const i = flat(x.shape, idx);
    out.add(i, x.data[i] === best[r] ? ct.data[r]! / count[r]! : 0);
  }
  return out;
}

/** softmax of x over the reduced axes, per entry (computed with the maximum subtracted). */
export function softmaxOver(x: Arr, axes: readonly number[]): number[] {
  const n = sizeOf(keptShape(x.shape, axes));
  const m = new Array<number>(n).fill(-Infinity);
  for (const idx of indices(x.shape)) {
    const r = reducedAt(x.shape, axes, idx);
    m[r] = Math.max(m[r]!, x.data[flat(x.shape, idx)]!);
  }
  const s = new Array<number>(n).fill(0);
  for (const idx of indices(x.shape)) {
    const r = reducedAt(x.shape, axes, idx);
    s[r]! += Math.exp(x.data[flat(x.shape, idx)]! - m[r]!);
  }
  const p = new Array<number>(x.data.length);
  for (const idx of indices(x.shape)) {
    const r = reducedAt(x.shape, axes, idx);
    const i = flat(x.shape, idx);
    p[i] = Math.exp(x.data[i]! - m[r]!) / s[r]!;
  }
  return p;
}

/** d logsumexp = softmax(x) dx. */
export function logsumexpVjp(x: Arr, axes: readonly number[], ct: Arr): Acc {
  const p = softmaxOver(x, axes);
  const out = new Acc(x.shape);
  for (const idx of indices(x.shape)) {
    const i = flat(x.shape, idx);
    out.add(i, ct.data[reducedAt(x.shape, axes, idx)]! * p[i]!);
  }
  return out;
}

/** Hessian of sum(c * logsumexp(x)) times v: c_r p_i (v_i - sum_j p_j v_j) over each reduced group r. */
export function logsumexpHvp(x: Arr, axes: readonly number[], c: Arr, v: Arr): Acc {
  const p = softmaxOver(x, axes);
  const groups = new Map<number, number[]>();
  for (const idx of indices(x.shape)) {
    const r = reducedAt(x.shape, axes, idx);
    groups.set(r, [...(groups.get(r) ?? []), flat(x.shape, idx)]);
  }
  const out = new Acc(x.shape);
  for (const [r, members] of groups) {
    for (const i of members) {
      out.add(i, c.data[r]! * p[i]! * v.data[i]!);
      for (const j of members) out.add(i, -c.data[r]! * p[i]! * p[j]! * v.data[j]!);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// matmul
// ---------------------------------------------------------------------------

/**
 * C = op(A) op(B) over broadcast batch axes, op transposing the last two axes
 * when its flag is set. dop(A) = G op(B)^T and dop(B) = op(A)^T G, written back
 * into each operand's stored layout and summed over its broadcast batch axes.
 */
export function matmulVjp(a: Arr, b: Arr, g: Arr, transA: boolean, transB: boolean): [Acc, Acc] {
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const n = transB ? br : bc;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcast(batchA, batchB);
  const outShape = [...batch, m, n];
  const aAt = (bi: number[], i: number, p: number): number => flat(a.shape, [...bi.slice(bi.length - batchA.length).map((v, d) => (batchA[d] === 1 ? 0 : v)), ...(transA ? [p, i] : [i, p])]);
  const bAt = (bi: number[], p: number, j: number): number => flat(b.shape, [...bi.slice(bi.length - batchB.length).map((v, d) => (batchB[d] === 1 ? 0 : v)), ...(transB ? [j, p] : [p, j])]);
  const ga = new Acc(a.shape);
  const gb = new Acc(b.shape);
  for (const bi of indices(batch)) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const gij = g.data[flat(outShape, [...bi, i, j])]!;
        for (let p = 0; p < k; p++) {
          const ia = aAt(bi, i, p);
          const ib = bAt(bi, p, j);
          ga.add(ia, gij * b.data[ib]!);
          gb.add(ib, a.data[ia]! * gij);
        }
      }
    }
  }
  return [ga, gb];
}

export function matmulShape(a: Shape, b: Shape, transA: boolean, transB: boolean): number[] {
  const m = transA ? a[a.length - 1]! : a[a.length - 2]!;
  const n = transB ? b[b.length - 2]! : b[b.length - 1]!;
  return [...broadcast(a.slice(0, -2), b.slice(0, -2)), m, n];
}

// ---------------------------------------------------------------------------
// Movement and indexing
// ---------------------------------------------------------------------------

/** y[i_0, ..., i_{r-1}] = x[j] with j[perm[d]] = i_d, so dx[j] = ct[i]. */
export function transposeVjp(x: Shape, perm: readonly number[], ct: Arr): Acc {
  const yShape = perm.map((p) => x[p]!);
  const out = new Acc(x);
  for (const yi of indices(yShape)) {
    const xi = new Array<number>(x.length);
    perm.forEach((p, d) => (xi[p] = yi[d]!));
    out.add(flat(x, xi), ct.data[flat(yShape, yi)]!);
  }
  return out;
}

/** The adjoint of broadcasting: sum the cotangent over the broadcast positions. */
export function broadcastVjp(x: Shape, target: Shape, ct: Arr): Acc {
  const out = new Acc(x);
  for (const idx of indices(target)) out.add(bflat(x, target, idx), ct.data[flat(target, idx)]!);
  return out;
}

export function sliceVjp(x: Shape, begin: readonly number[], size: readonly number[], ct: Arr): Acc {
  const out = new Acc(x);
  for (const idx of indices(size)) out.add(flat(x, idx.map((v, d) => v + begin[d]!)), ct.data[flat(size, idx)]!);
  return out;
}

export function padVjp(x: Shape, widths: readonly (readonly [number, number])[], ct: Arr): Acc {
  const out = new Acc(x);
  for (const idx of indices(x)) out.add(flat(x, idx), ct.data[flat(ct.shape, idx.map((v, d) => v + widths[d]![0]))]!);
  return out;
}

export function concatVjp(shapes: readonly Shape[], axis: number, ct: Arr): Acc[] {
  let start = 0;
  return shapes.map((s) => {
    const out = new Acc(s);
    for (const idx of indices(s)) out.add(flat(s, idx), ct.data[flat(ct.shape, idx.map((v, d) => (d === axis ? v + start : v)))]!);
    start += s[axis]!;
    return out;
  });
}

/** gather(x, ind, axis)[pre, ii, post] = x[pre, ind[ii], post]; the adjoint adds ct into those places. */
export function gatherVjp(x: Shape, ind: Arr, axis: number, ct: Arr): Acc {
  const out = new Acc(x);
  const r = ind.shape.length;
  for (const o of indices(ct.shape)) {
    const ii = o.slice(axis, axis + r);
    const xi = [...o.slice(0, axis), ind.data[flat(ind.shape, ii)]!, ...o.slice(axis + r)];
    out.add(flat(x, xi), ct.data[flat(ct.shape, o)]!);
  }
  return out;
}

/** scatterAdd(ind, u, axis, shape): u[pre, ii, post] is added into y[pre, ind[ii], post]; du = ct read at those places. */
export function scatterAddVjp(ind: Arr, u: Shape, axis: number, ct: Arr): Acc {
  const out = new Acc(u);
  const r = ind.shape.length;
  for (const o of indices(u)) {
    const ii = o.slice(axis, axis + r);
    const yi = [...o.slice(0, axis), ind.data[flat(ind.shape, ii)]!, ...o.slice(axis + r)];
    out.add(flat(u, o), ct.data[flat(ct.shape, yi)]!);
  }
  return out;
}
