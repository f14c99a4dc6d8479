/**
 * Plain reference implementations of the kernels, for the property tests.
 *
 * Everything here works on multi-indices with nested loops and the textbook
 * definitions (row-major flattening by Horner's rule, NumPy broadcasting read
 * off the shapes), deliberately independent of the offset tables and fast
 * paths in core/src/kernels. Values are plain doubles; `roundTo` rounds a
 * result to the dtype the kernel returns.
 */
import fc from 'fast-check';
import { tensor, type DType, type Tensor } from '@mnemo/core';

/** A reference array: a shape and its values in row-major order, as doubles. */
export interface Arr {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export function arrOf(t: Tensor): Arr {
  return { shape: t.shape.slice(), data: Array.from(t.toArray()) };
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major position of a multi-index (Horner's rule). */
export function flat(shape: readonly number[], idx: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d]! + idx[d]!;
  return f;
}

/** Every multi-index of a shape, in row-major order. */
export function* multiIndices(shape: readonly number[]): Generator<number[]> {
  if (shape.some((d) => d === 0)) return;
  const idx = new Array<number>(shape.length).fill(0);
  for (;;) {
    yield idx.slice();
    let d = shape.length - 1;
    while (d >= 0) {
      idx[d]!++;
      if (idx[d]! < shape[d]!) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

export function at(a: Arr, idx: readonly number[]): number {
  return a.data[flat(a.shape, idx)]!;
}

/** Build an array of `shape` from a function of the multi-index. */
export function build(shape: readonly number[], f: (idx: number[]) => number): Arr {
  const data: number[] = [];
  for (const idx of multiIndices(shape)) data.push(f(idx));
  return { shape: shape.slice(), data };
}

export function roundTo(dtype: DType, a: Arr): Arr {
  return dtype === 'float32' ? { shape: a.shape, data: a.data.map((v) => Math.fround(v)) } : a;
}

// --------------------------------------------------------------------------
// Broadcasting, elementwise
// --------------------------------------------------------------------------

/** NumPy's broadcast shape, or undefined when the shapes do not broadcast. */
export function refBroadcastShape(...shapes: (readonly number[])[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    // Sizes at this axis, counted from the end.
    const sizes = shapes.map((s) => (i < rank - s.length ? 1 : s[i - (rank - s.length)]!));
    const big = sizes.filter((d) => d !== 1);
    if (new Set(big).size > 1) return undefined;
    out.push(big.length > 0 ? big[0]! : 1);
  }
  return out;
}

/** The element of `a` that position `idx` of the broadcast shape reads. */
export function atBroadcast(a: Arr, idx: readonly number[]): number {
  const off = idx.length - a.shape.length;
  const own = a.shape.map((d, i) => (d === 1 ? 0 : idx[off + i]!));
  return at(a, own);
}

export function refMap2(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const shape = refBroadcastShape(a.shape, b.shape);
  if (shape === undefined) throw new Error('test bug: shapes do not broadcast');
  return build(shape, (idx) => f(atBroadcast(a, idx), atBroadcast(b, idx)));
}

export const REF_UNARY: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sign: Math.sign,
  tanh: Math.tanh,
  // The textbook formula; the kernel's stable form must agree with it.
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => (Number.isNaN(x) ? NaN : x > 0 ? x : 0),
  step: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : 0),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
  ceil: Math.ceil,
  // Round half to even.
  round: (x) => {
    if (!Number.isFinite(x)) return x;
    const f = Math.floor(x);
    const d = x - f;
    if (d < 0.5) return f;
    if (d > 0.5) return f + 1;
    return f % 2 === 0 ? f : f + 1;
  },
};

export const REF_BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
};

export const REF_COMPARE: Record<string, (a: number, b: number) => number> = {
  equal: (a, b) => Number(a === b),
  notEqual: (a, b) => Number(a !== b),
  less: (a, b) => Number(a < b),
  lessEqual: (a, b) => Number(a <= b),
  greater: (a, b) => Number(a > b),
  greaterEqual: (a, b) => Number(a >= b),
};

// --------------------------------------------------------------------------
// Reductions
// --------------------------------------------------------------------------

/** The values that reduce into each output position: `groups[outFlat]`, in row-major order. */
function groups(x: Arr, axes: readonly number[], keepDims: boolean): { shape: number[]; groups: number[][] } {
  const outShape: number[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.includes(i)) outShape.push(d);
    else if (keepDims) outShape.push(1);
  });
  const keptShape = x.shape.filter((_, i) => !axes.includes(i));
  const gs: number[][] = Array.from({ length: size(keptShape) }, () => []);
  for (const idx of multiIndices(x.shape)) {
    const kept = idx.filter((_, i) => !axes.includes(i));
    gs[flat(keptShape, kept)]!.push(at(x, idx));
  }
  return { shape: outShape, groups: gs };
}

export function refReduce(op: string, x: Arr, axes: readonly number[], keepDims: boolean): { out: Arr; scale: number[] } {
  const { shape, groups: gs } = groups(x, axes, keepDims);
  const scale = gs.map((g) => g.reduce((s, v) => s + Math.abs(v), 0));
  const f = (g: number[]): number => {
    switch (op) {
      case 'sum':
        return g.reduce((s, v) => s + v, 0);
      case 'mean':
        return g.reduce((s, v) => s + v, 0) / g.length;
      case 'max':
        return g.some(Number.isNaN) ? NaN : g.reduce((s, v) => Math.max(s, v), -Infinity);
      case 'min':
        return g.some(Number.isNaN) ? NaN : g.reduce((s, v) => Math.min(s, v), Infinity);
      case 'logsumexp':
        // Naive: only used on values small enough that exp cannot overflow.
        return Math.log(g.reduce((s, v) => s + Math.exp(v), 0));
      default:
        throw new Error(op);
    }
  };
  return { out: { shape, data: gs.map(f) }, scale };
}

export function refArg(op: 'argmax' | 'argmin', x: Arr, axis: number, keepDims: boolean): Arr {
  const outShape = x.shape.flatMap((d, i) => (i === axis ? (keepDims ? [1] : []) : [d]));
  return build(outShape, (o) => {
    const idx = keepDims ? o.slice() : [...o.slice(0, axis), 0, ...o.slice(axis)];
    const vals: number[] = [];
    for (let k = 0; k < x.shape[axis]!; k++) {
      idx[axis] = k;
      vals.push(at(x, idx));
    }
    const nan = vals.findIndex(Number.isNaN);
    if (nan >= 0) return nan;
    const best = op === 'argmax' ? Math.max(...vals) : Math.min(...vals);
    return vals.indexOf(best);
  });
}

// --------------------------------------------------------------------------
// Matmul
// --------------------------------------------------------------------------

/** Batched matmul with transposes; also returns sum(|a||b|) per output for the error bound. */
export function refMatmul(a: Arr, b: Arr, transA: boolean, transB: boolean): { out: Arr; scale: number[] } {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = refBroadcastShape(batchA, batchB);
  if (batch === undefined) throw new Error('test bug: batches do not broadcast');
  const A = (bi: number[], i: number, p: number): number => {
    const own = batchA.map((d, q) => (d === 1 ? 0 : bi[bi.length - batchA.length + q]!));
    return at(a, transA ? [...own, p, i] : [...own, i, p]);
  };
  const B = (bi: number[], p: number, j: number): number => {
    const own = batchB.map((d, q) => (d === 1 ? 0 : bi[bi.length - batchB.length + q]!));
    return at(b, transB ? [...own, j, p] : [...own, p, j]);
  };
  const scale: number[] = [];
  const out = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2);
    const i = idx[idx.length - 2]!;
    const j = idx[idx.length - 1]!;
    let s = 0;
    let mag = 0;
    for (let p = 0; p < k; p++) {
      s += A(bi, i, p) * B(bi, p, j);
      mag += Math.abs(A(bi, i, p) * B(bi, p, j));
    }
    scale.push(mag);
    return s;
  });
  return { out, scale };
}

// --------------------------------------------------------------------------
// Movement
// --------------------------------------------------------------------------

export function refTranspose(x: Arr, perm: readonly number[]): Arr {
  return build(
    perm.map((p) => x.shape[p]!),
    (o) => {
      const idx = new Array<number>(perm.length);
      perm.forEach((p, i) => (idx[p] = o[i]!));
      return at(x, idx);
    },
  );
}

export function refSlice(x: Arr, begin: readonly number[], sz: readonly number[]): Arr {
  return build(sz, (o) => at(x, o.map((v, i) => v + begin[i]!)));
}

export function refConcat(xs: readonly Arr[], axis: number): Arr {
  const shape = xs[0]!.shape.slice();
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  return build(shape, (o) => {
    let k = o[axis]!;
    for (const x of xs) {
      if (k < x.shape[axis]!) return at(x, o.map((v, i) => (i === axis ? k : v)));
      k -= x.shape[axis]!;
    }
    throw new Error('unreachable');
  });
}

export function refPad(x: Arr, widths: readonly (readonly [number, number])[], value: number): Arr {
  const shape = x.shape.map((d, i) => d + widths[i]![0] + widths[i]![1]);
  return build(shape, (o) => {
    const idx = o.map((v, i) => v - widths[i]![0]);
    return idx.every((v, i) => v >= 0 && v < x.shape[i]!) ? at(x, idx) : value;
  });
}

export function refGather(x: Arr, ind: Arr, axis: number): Arr {
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const ri = ind.shape.length;
  return build(shape, (o) => {
    const j = o.slice(axis, axis + ri);
    const src = [...o.slice(0, axis), at(ind, j), ...o.slice(axis + ri)];
    return at(x, src);
  });
}

export function refScatterAdd(ind: Arr, upd: Arr, axis: number, shape: readonly number[]): Arr {
  const data = new Array<number>(size(shape)).fill(0);
  const ri = ind.shape.length;
  for (const idx of multiIndices(upd.shape)) {
    const j = idx.slice(axis, axis + ri);
    const dst = [...idx.slice(0, axis), at(ind, j), ...idx.slice(axis + ri)];
    data[flat(shape, dst)]! += at(upd, idx);
  }
  return { shape: shape.slice(), data };
}

// --------------------------------------------------------------------------
// Comparison
// --------------------------------------------------------------------------

/** Tolerances: float32 results are compared at float32 precision. */
export const RTOL: Record<DType, number> = { float32: 2 ** -21, float64: 1e-13 };

function sameSpecial(x: number, y: number): boolean {
  return (Number.isNaN(x) && Number.isNaN(y)) || x === y;
}

/**
 * Assert that a kernel's output equals a reference: same shape, every element
 * within `rtol * (|expected| + scale[i])` (scale bounds cancellation in sums),
 * NaN matching NaN and infinities matching exactly. Returns an error message or
 * null, so fast-check can report the counterexample.
 */
export function mismatch(actual: Tensor, expected: Arr, opts: { rtol?: number; scale?: readonly number[]; exact?: boolean } = {}): string | null {
  if (actual.shape.join() !== expected.shape.join()) {
    return `shape [${actual.shape.join(', ')}] but expected [${expected.shape.join(', ')}]`;
  }
  const got = actual.toArray();
  if (got.length !== expected.data.length) return `length ${got.length} but expected ${expected.data.length}`;
  const rtol = opts.rtol ?? RTOL[actual.dtype];
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const e = expected.data[i]!;
    if (sameSpecial(g, e)) continue;
    if (opts.exact || !Number.isFinite(g) || !Number.isFinite(e)) return `element ${i}: got ${g}, expected ${e}`;
    const tol = rtol * (Math.abs(e) + (opts.scale?.[i] ?? 0)) + (actual.dtype === 'float32' ? 1e-38 : 1e-300);
    if (Math.abs(g - e) > tol) return `element ${i}: got ${g}, expected ${e} (|diff| ${Math.abs(g - e)} > ${tol})`;
  }
  return null;
}

export function expectMatch(actual: Tensor, expected: Arr, opts?: Parameters<typeof mismatch>[2]): void {
  const m = mismatch(actual, expected, opts);
  if (m !== null) throw new Error(m);
}

// --------------------------------------------------------------------------
// Arbitraries
// --------------------------------------------------------------------------

export const dtypeArb: fc.Arbitrary<DType> = fc.constantFrom<DType>('float32', 'float64');

/** Mostly ordinary values, sometimes the special ones every kernel must handle. */
export const valueArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -4, max: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 0.5, -0.5, 1.5, -2.5, NaN, Infinity, -Infinity, 1e30, -1e-30) },
);

/** Finite, moderate values (for matmul and sums, where a NaN would hide everything). */
export const finiteArb: fc.Arbitrary<number> = fc.double({ min: -4, max: 4, noNaN: true });

export const dimArb: fc.Arbitrary<number> = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constant(0) });

export function shapeArb(minRank = 0, maxRank = 4, dim: fc.Arbitrary<number> = dimArb): fc.Arbitrary<number[]> {
  return fc.array(dim, { minLength: minRank, maxLength: maxRank });
}

/** A tensor of a given shape and dtype with values from `values`. */
export function tensorOf(shape: readonly number[], dtype: DType, values: fc.Arbitrary<number> = valueArb): fc.Arbitrary<Tensor> {
  const n = size(shape);
  return fc.array(values, { minLength: n, maxLength: n }).map((v) => tensor(new Float64Array(v), dtype, shape));
}

export function tensorArb(dtype: DType, shape: fc.Arbitrary<number[]> = shapeArb(), values?: fc.Arbitrary<number>): fc.Arbitrary<Tensor> {
  return shape.chain((s) => tensorOf(s, dtype, values));
}

/**
 * Two shapes that broadcast, of any ranks 0..4 each: a full shape of the
 * larger rank, then each shape is a suffix of it with some sizes set to 1.
 */
export const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = fc
  .record({
    ra: fc.integer({ min: 0, max: 4 }),
    rb: fc.integer({ min: 0, max: 4 }),
    full: fc.array(dimArb, { minLength: 4, maxLength: 4 }),
    onesA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    onesB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  })
  .map(({ ra, rb, full, onesA, onesB }) => {
    const r = Math.max(ra, rb);
    const base = full.slice(4 - r);
    const a = base.slice(r - ra).map((d, i) => (onesA[i] ? 1 : d));
    const b = base.slice(r - rb).map((d, i) => (onesB[i] ? 1 : d));
    return [a, b];
  });

/** A pair of tensors (one dtype) whose shapes broadcast. */
export function broadcastTensorsArb(values: fc.Arbitrary<number> = valueArb): fc.Arbitrary<[Tensor, Tensor]> {
  return fc
    .tuple(dtypeArb, broadcastPairArb)
    .chain(([dt, [sa, sb]]) => fc.tuple(tensorOf(sa, dt, values), tensorOf(sb, dt, values)));
}

/** A random permutation of 0..n-1. */
export function permArb(n: number): fc.Arbitrary<number[]> {
  return fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });
}

/** Numbers of runs per property: enough to cover ranks and special values, small enough for a 2-core machine. */
export const RUNS = { numRuns: 150 };
