/**
 * Every kernel of `cpu` against the plain reference implementations in
 * helpers/reference.ts, on shapes and values drawn by fast-check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpu, splitTensor, stack, tensor, type BinaryOp, type CompareOp, type DType, type ReduceOp, type Tensor, type UnaryOp } from '@mnemo/core';
import {
  REF_BINARY,
  REF_COMPARE,
  REF_UNARY,
  RUNS,
  arrOf,
  atBroadcast,
  broadcastPairArb,
  broadcastTensorsArb,
  build,
  dimArb,
  dtypeArb,
  expectMatch,
  finiteArb,
  mismatch,
  permArb,
  refArg,
  refBroadcastShape,
  refConcat,
  refGather,
  refMap2,
  refMatmul,
  refPad,
  refReduce,
  refScatterAdd,
  refSlice,
  refTranspose,
  roundTo,
  shapeArb,
  size,
  tensorArb,
  tensorOf,
  valueArb,
} from './helpers/reference.js';

const UNARY = Object.keys(REF_UNARY) as UnaryOp[];
const BINARY = Object.keys(REF_BINARY) as BinaryOp[];
const COMPARE = Object.keys(REF_COMPARE) as CompareOp[];

/** A property that reports the reference mismatch as its failure message. */
function check(msg: string | null): void {
  if (msg !== null) throw new Error(msg);
}

/** A tensor with its shape and an axis of it (rank >= 1). */
const withAxis = (dt: DType, values = valueArb) =>
  tensorArb(dt, shapeArb(1, 4), values).chain((x) => fc.tuple(fc.constant(x), fc.integer({ min: -x.rank, max: x.rank - 1 })));

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

describe('cpu elementwise', () => {
  it('covers every unary op of the Backend interface', () => {
    expect(UNARY.sort()).toEqual(
      ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'abs', 'sign', 'tanh', 'sigmoid', 'relu', 'step', 'square', 'reciprocal', 'sin', 'cos', 'floor', 'ceil', 'round'].sort(),
    );
  });

  it('unary ops match the reference', () => {
    fc.assert(
      fc.property(fc.constantFrom(...UNARY), dtypeArb.chain((dt) => tensorArb(dt)), (op, x) => {
        const ref = roundTo(x.dtype, { shape: x.shape, data: arrOf(x).data.map(REF_UNARY[op]!) });
        check(mismatch(cpu.unary(op, x), ref));
      }),
      { numRuns: 300 },
    );
  });

  it('sigmoid is stable and exact at the extremes', () => {
    const y = cpu.unary('sigmoid', tensor([-1000, -40, 0, 40, 1000], 'float64')).toArray();
    expect(Array.from(y)).toEqual([0, Math.exp(-40) / (1 + Math.exp(-40)), 0.5, 1 / (1 + Math.exp(-40)), 1]);
    expect(y.every(Number.isFinite)).toBe(true);
    // Relative accuracy in the far negative tail (where 1 - sigmoid(-x) would cancel).
    expect(cpu.unary('sigmoid', tensor([-700], 'float64')).item() / Math.exp(-700)).toBeCloseTo(1, 12);
  });

  it('round halves to even', () => {
    expect(Array.from(cpu.unary('round', tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6], 'float64')).toArray())).toEqual([-2, -2, -0, 0, 2, 2, 3]);
  });

  it('binary ops broadcast every rank pair up to 4-D like the reference', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BINARY), broadcastTensorsArb(), (op, [a, b]) => {
        const ref = roundTo(a.dtype, refMap2(arrOf(a), arrOf(b), REF_BINARY[op]!));
        check(mismatch(cpu.binary(op, a, b), ref));
      }),
      { numRuns: 300 },
    );
  });

  it('comparisons broadcast like the reference and return 0/1 in the input dtype', () => {
    fc.assert(
      fc.property(fc.constantFrom(...COMPARE), broadcastTensorsArb(), (op, [a, b]) => {
        const y = cpu.compare(op, a, b);
        expect(y.dtype).toBe(a.dtype);
        check(mismatch(y, refMap2(arrOf(a), arrOf(b), REF_COMPARE[op]!), { exact: true }));
      }),
      RUNS,
    );
  });

  it('where broadcasts cond, a and b together', () => {
    const arb = fc
      .record({ dt: dtypeArb, pair: broadcastPairArb, condRank: fc.integer({ min: 0, max: 4 }), ones: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }) })
      .chain(({ dt, pair: [sa, sb], condRank, ones }) => {
        const full = refBroadcastShape(sa, sb)!;
        // cond: a suffix of the broadcast shape (padded with 1s on the left) with some sizes set to 1.
        const padded = [...new Array<number>(Math.max(0, condRank - full.length)).fill(1), ...full];
        const sc = padded.slice(padded.length - Math.min(condRank, padded.length)).map((d, i) => (ones[i] ? 1 : d));
        return fc.tuple(tensorOf(sc, dt, fc.constantFrom(0, 1, -0, 2, NaN)), tensorOf(sa, dt), tensorOf(sb, dt));
      });
    fc.assert(
      fc.property(arb, ([c, a, b]) => {
        const shape = refBroadcastShape(c.shape, a.shape, b.shape)!;
        const C = arrOf(c);
        const A = arrOf(a);
        const B = arrOf(b);
        const ref = build(shape, (idx) => (atBroadcast(C, idx) !== 0 ? atBroadcast(A, idx) : atBroadcast(B, idx)));
        check(mismatch(cpu.where(c, a, b), ref, { exact: true }));
      }),
      RUNS,
    );
  });
});

describe('cpu reductions', () => {
  const axesArb = (rank: number): fc.Arbitrary<number[] | undefined> =>
    fc.oneof(
      fc.constant(undefined),
      fc.subarray(Array.from({ length: rank }, (_, i) => i)).chain((axes) =>
        // Some axes given negative, in any order.
        fc.tuple(fc.shuffledSubarray(axes, { minLength: axes.length, maxLength: axes.length }), fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length })).map(([order, neg]) =>
          order.map((a, i) => (neg[i] ? a - rank : a)),
        ),
      ),
    );

  for (const op of ['sum', 'mean', 'max', 'min', 'logsumexp'] as ReduceOp[]) {
    it(`${op} over any axes, with and without keepDims, matches the reference`, () => {
      // Sums and logsumexp get finite values (a NaN or infinity would hide the arithmetic); max and min get every special value.
      const values = op === 'max' || op === 'min' ? valueArb : finiteArb;
      const arb = dtypeArb
        .chain((dt) => tensorArb(dt, shapeArb(), values))
        .chain((x) => fc.tuple(fc.constant(x), axesArb(x.rank), fc.boolean()));
      fc.assert(
        fc.property(arb, ([x, axes, keepDims]) => {
          const norm = axes === undefined ? x.shape.map((_, i) => i) : axes.map((a) => (a < 0 ? a + x.rank : a));
          const { out, scale } = refReduce(op, arrOf(x), norm, keepDims);
          // Sums are bounded relative to sum |x|; the naive log(sum(exp)) is only accurate to an absolute eps.
          const rtol = x.dtype === 'float32' ? 2 ** -21 : 1e-13;
          check(mismatch(cpu.reduce(op, x, axes, keepDims), roundTo(x.dtype, out), { rtol, scale: op === 'logsumexp' ? out.data.map(() => 1) : scale }));
        }),
        RUNS,
      );
    });
  }

  it('logsumexp is stable for large values: lse(x + c) = lse(x) + c', () => {
    const arb = fc.tuple(
      tensorArb('float64', shapeArb(1, 3, fc.integer({ min: 1, max: 4 })), finiteArb),
      fc.constantFrom(1000, -1000, 1e5, 700, 710),
    );
    fc.assert(
      fc.property(arb, ([x, c]) => {
        const shifted = cpu.binary('add', x, tensor(c, 'float64'));
        const big = cpu.reduce('logsumexp', shifted, [-1], false).toArray();
        const small = cpu.reduce('logsumexp', x, [-1], false).toArray();
        for (let i = 0; i < big.length; i++) {
          expect(Number.isFinite(big[i]!)).toBe(true);
          expect(Math.abs(big[i]! - (small[i]! + c))).toBeLessThan(1e-10 * Math.abs(c));
        }
      }),
      RUNS,
    );
    expect(cpu.reduce('logsumexp', tensor([1000, 1000], 'float32'), undefined, false).item()).toBe(Math.fround(1000 + Math.log(2)));
    expect(cpu.reduce('logsumexp', tensor([-Infinity, -Infinity], 'float64'), undefined, false).item()).toBe(-Infinity);
    expect(cpu.reduce('logsumexp', tensor([Infinity, 0], 'float64'), undefined, false).item()).toBe(Infinity);
  });

  it('empty reductions give the identities', () => {
    const e = tensor(new Float64Array(0), 'float64', [2, 0]);
    expect(Array.from(cpu.reduce('sum', e, [1], false).toArray())).toEqual([0, 0]);
    expect(Array.from(cpu.reduce('max', e, [1], false).toArray())).toEqual([-Infinity, -Infinity]);
    expect(Array.from(cpu.reduce('min', e, [1], true).toArray())).toEqual([Infinity, Infinity]);
    expect(cpu.reduce('logsumexp', e, [1], true).shape).toEqual([2, 1]);
  });

  it('argmax and argmin match the reference (first index wins ties, NaN counts as extreme)', () => {
    const arb = dtypeArb
      .chain((dt) => withAxis(dt, fc.oneof(fc.integer({ min: -2, max: 2 }), valueArb)))
      .filter(([x, axis]) => x.shape[norm(axis, x.rank)]! > 0)
      .chain(([x, axis]) => fc.tuple(fc.constant(x), fc.constant(axis), fc.boolean(), fc.constantFrom<'argmax' | 'argmin'>('argmax', 'argmin')));
    fc.assert(
      fc.property(arb, ([x, axis, keepDims, op]) => {
        check(mismatch(cpu.argReduce(op, x, axis, keepDims), refArg(op, arrOf(x), norm(axis, x.rank), keepDims), { exact: true }));
      }),
      RUNS,
    );
  });
});

describe('cpu matmul', () => {
  /** Shapes for a (possibly batched, transposed) product whose batches broadcast. */
  const matmulArb = fc
    .record({
      dt: dtypeArb,
      m: dimArb,
      k: dimArb,
      n: dimArb,
      transA: fc.boolean(),
      transB: fc.boolean(),
      batch: fc.oneof(fc.constant<[number[], number[]]>([[], []]), broadcastPairArb.map(([a, b]) => [a.slice(-2), b.slice(-2)] as [number[], number[]])),
    })
    .chain(({ dt, m, k, n, transA, transB, batch: [ba, bb] }) =>
      fc.tuple(
        tensorOf([...ba, ...(transA ? [k, m] : [m, k])], dt, finiteArb),
        tensorOf([...bb, ...(transB ? [n, k] : [k, n])], dt, finiteArb),
        fc.constant(transA),
        fc.constant(transB),
      ),
    );

  it('2-D and batched products with transpose flags and batch broadcasting match the reference', () => {
    fc.assert(
      fc.property(matmulArb, ([a, b, transA, transB]) => {
        const { out, scale } = refMatmul(arrOf(a), arrOf(b), transA, transB);
        // The error bound of a length-k dot product: k roundings of the dtype, relative to sum |a||b|.
        const k = transA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
        const eps = a.dtype === 'float32' ? 2 ** -24 : 2 ** -53;
        check(mismatch(cpu.matmul(a, b, transA, transB), roundTo(a.dtype, out), { rtol: (k + 2) * eps, scale }));
      }),
      RUNS,
    );
  });

  it('multiplies a known pair exactly', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], 'float64');
    const b = tensor([[7, 8], [9, 10], [11, 12]], 'float64');
    expect(cpu.matmul(a, b, false, false).toNested()).toEqual([[58, 64], [139, 154]]);
    expect(cpu.matmul(b, a, true, true).toNested()).toEqual([[58, 139], [64, 154]]);
  });
});

describe('cpu movement kernels', () => {
  it('reshape with one -1 keeps the data in order', () => {
    const arb = dtypeArb
      .chain((dt) => tensorArb(dt, shapeArb(0, 4, fc.integer({ min: 1, max: 4 }))))
      .chain((x) => fc.tuple(fc.constant(x), permArb(x.rank), fc.nat(), fc.nat(), fc.boolean(), fc.boolean()));
    fc.assert(
      fc.property(arb, ([x, perm, pick, where, merge, free]) => {
        // A target of the same size: x's sizes reordered, two neighbours maybe merged, maybe a 1 inserted.
        const shape = perm.map((p) => x.shape[p]!);
        if (merge && shape.length >= 2) shape.splice(0, 2, shape[0]! * shape[1]!);
        if (where % 2 === 0) shape.splice(where % (shape.length + 1), 0, 1);
        const arg = free && shape.length > 0 ? shape.map((d, i) => (i === pick % shape.length ? -1 : d)) : shape;
        const y = cpu.reshape(x, arg);
        expect(size(shape)).toBe(x.size);
        check(mismatch(y, { shape, data: arrOf(x).data }, { exact: true }));
      }),
      RUNS,
    );
    // Size-0 tensors reshape too, when no -1 is ambiguous.
    expect(cpu.reshape(tensor(new Float32Array(0), 'float32', [2, 0]), [0, 5]).shape).toEqual([0, 5]);
    expect(cpu.reshape(tensor(new Float32Array(0), 'float32', [2, 0]), [-1]).shape).toEqual([0]);
  });

  it('transpose matches the reference for every permutation', () => {
    const arb = dtypeArb.chain((dt) => tensorArb(dt)).chain((x) => fc.tuple(fc.constant(x), permArb(x.rank)));
    fc.assert(
      fc.property(arb, ([x, perm]) => {
        check(mismatch(cpu.transpose(x, perm), refTranspose(arrOf(x), perm), { exact: true }));
      }),
      RUNS,
    );
  });

  it('broadcastTo matches reading through broadcast indices', () => {
    const arb = fc.tuple(dtypeArb, broadcastPairArb).chain(([dt, [sa, sb]]) => {
      const target = refBroadcastShape(sa, sb)!;
      return fc.tuple(tensorOf(sa, dt), fc.constant(target));
    });
    fc.assert(
      fc.property(arb, ([x, target]) => {
        const X = arrOf(x);
        check(mismatch(cpu.broadcastTo(x, target), build(target, (idx) => atBroadcast(X, idx)), { exact: true }));
      }),
      RUNS,
    );
  });

  it('slice matches the reference (size -1 runs to the end)', () => {
    const arb = dtypeArb
      .chain((dt) => tensorArb(dt))
      .chain((x) =>
        fc.tuple(
          fc.constant(x),
          fc.tuple(...x.shape.map((d) => fc.integer({ min: 0, max: d }).chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: b === d ? 0 : -1, max: d - b }))))),
        ),
      );
    fc.assert(
      fc.property(arb, ([x, blocks]) => {
        const begin = blocks.map(([b]) => b);
        const sz = blocks.map(([, s]) => s);
        const real = sz.map((s, i) => (s === -1 ? x.shape[i]! - begin[i]! : s));
        check(mismatch(cpu.slice(x, begin, sz), refSlice(arrOf(x), begin, real), { exact: true }));
      }),
      RUNS,
    );
  });

  it('concat matches the reference on any axis', () => {
    const arb = fc
      .record({ dt: dtypeArb, shape: shapeArb(1, 4), count: fc.integer({ min: 1, max: 4 }), axisPick: fc.nat() })
      .chain(({ dt, shape, count, axisPick }) => {
        const axis = axisPick % shape.length;
        return fc.tuple(
          fc.array(dimArb, { minLength: count, maxLength: count }).chain((lens) => fc.tuple(...lens.map((l) => tensorOf(shape.map((d, i) => (i === axis ? l : d)), dt)))),
          fc.constant(axis),
          fc.boolean(),
        );
      });
    fc.assert(
      fc.property(arb, ([xs, axis, negative]) => {
        const y = cpu.concat(xs, negative ? axis - xs[0]!.rank : axis);
        check(mismatch(y, refConcat(xs.map(arrOf), axis), { exact: true }));
      }),
      RUNS,
    );
  });

  it('stack inserts a new axis and matches the reference', () => {
    const arb = fc
      .record({ dt: dtypeArb, shape: shapeArb(0, 3), count: fc.integer({ min: 1, max: 4 }), axisPick: fc.nat() })
      .chain(({ dt, shape, count, axisPick }) =>
        fc.tuple(fc.array(tensorOf(shape, dt), { minLength: count, maxLength: count }), fc.constant(axisPick % (shape.length + 1))),
      );
    fc.assert(
      fc.property(arb, ([xs, axis]) => {
        const arrs = xs.map(arrOf);
        const shape = [...xs[0]!.shape.slice(0, axis), xs.length, ...xs[0]!.shape.slice(axis)];
        const ref = build(shape, (idx) => {
          const own = [...idx.slice(0, axis), ...idx.slice(axis + 1)];
          const src = arrs[idx[axis]!]!;
          return src.data[own.reduce((f, v, d) => f * src.shape[d]! + v, 0)]!;
        });
        check(mismatch(stack(xs, axis, cpu), ref, { exact: true }));
        check(mismatch(stack(xs, axis - xs[0]!.rank - 1, cpu), ref, { exact: true }));
      }),
      RUNS,
    );
  });

  it('splitTensor by count and by sizes gives back the pieces concat joins', () => {
    const arb = fc
      .record({ dt: dtypeArb, shape: shapeArb(1, 4), axisPick: fc.nat(), cuts: fc.array(fc.nat(), { maxLength: 3 }) })
      .chain(({ dt, shape, axisPick, cuts }) => {
        const axis = axisPick % shape.length;
        const len = shape[axis]!;
        const bounds = [0, ...cuts.map((c) => (len === 0 ? 0 : c % (len + 1))).sort((a, b) => a - b), len];
        const sizes = bounds.slice(1).map((b, i) => b - bounds[i]!);
        return fc.tuple(tensorOf(shape, dt), fc.constant(axis), fc.constant(sizes));
      });
    fc.assert(
      fc.property(arb, ([x, axis, sizes]) => {
        const pieces = splitTensor(x, sizes, axis, cpu);
        expect(pieces.map((p) => p.shape[axis])).toEqual(sizes);
        let at = 0;
        pieces.forEach((p, i) => {
          const begin = x.shape.map((_, d) => (d === axis ? at : 0));
          check(mismatch(p, refSlice(arrOf(x), begin, x.shape.map((d, j) => (j === axis ? sizes[i]! : d))), { exact: true }));
          at += sizes[i]!;
        });
        check(mismatch(cpu.concat(pieces, axis), arrOf(x), { exact: true }));
        // An even split by count.
        const len = x.shape[axis]!;
        const count = len === 0 ? 3 : [1, 2, 3, 4].filter((c) => len % c === 0).pop()!;
        const even = splitTensor(x, count, axis, cpu);
        expect(even.length).toBe(count);
        expect(even.every((p) => p.shape[axis] === len / count)).toBe(true);
      }),
      RUNS,
    );
  });

  it('pad matches the reference', () => {
    const arb = dtypeArb
      .chain((dt) => tensorArb(dt, shapeArb(0, 3)))
      .chain((x) =>
        fc.tuple(
          fc.constant(x),
          fc.tuple(...x.shape.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
          fc.constantFrom(0, -1, 2.5, NaN),
        ),
      );
    fc.assert(
      fc.property(arb, ([x, widths, value]) => {
        check(mismatch(cpu.pad(x, widths, value), roundTo(x.dtype, refPad(arrOf(x), widths, value)), { exact: true }));
      }),
      RUNS,
    );
  });
});

describe('cpu indexing kernels', () => {
  /** x, an axis with a non-empty size, and integer indices of rank 0..2 into it. */
  const gatherArb = dtypeArb
    .chain((dt) => tensorArb(dt, shapeArb(1, 3)))
    .chain((x) => fc.tuple(fc.constant(x), fc.nat({ max: x.rank - 1 })))
    .filter(([x, axis]) => x.shape[axis]! > 0)
    .chain(([x, axis]) =>
      fc.tuple(
        fc.constant(x),
        fc.constant(axis),
        shapeArb(0, 2, fc.integer({ min: 0, max: 4 })).chain((s) => tensorOf(s, x.dtype, fc.integer({ min: 0, max: x.shape[axis]! - 1 }))),
      ),
    );

  it('gather matches the reference', () => {
    fc.assert(
      fc.property(gatherArb, ([x, axis, ind]) => {
        check(mismatch(cpu.gather(x, ind, axis), refGather(arrOf(x), arrOf(ind), axis), { exact: true }));
        check(mismatch(cpu.gather(x, ind, axis - x.rank), refGather(arrOf(x), arrOf(ind), axis), { exact: true }));
      }),
      RUNS,
    );
  });

  it('scatterAdd matches the reference and is the adjoint of gather: <gather(x), u> = <x, scatterAdd(u)>', () => {
    const arb = gatherArb
      .map(([x, axis, ind]) => [cpu.cast(x, 'float64'), axis, ind] as const)
      .chain(([x0, axis, ind]) => {
        const outShape = [...x0.shape.slice(0, axis), ...ind.shape, ...x0.shape.slice(axis + 1)];
        return fc.tuple(tensorOf(x0.shape, 'float64', finiteArb), fc.constant(axis), fc.constant(ind), tensorOf(outShape, 'float64', finiteArb));
      });
    fc.assert(
      fc.property(arb, ([x, axis, ind, u]) => {
        const s = cpu.scatterAdd(cpu.cast(ind, 'float64'), u, axis, x.shape);
        check(mismatch(s, refScatterAdd(arrOf(ind), arrOf(u), axis, x.shape)));
        const dot = (p: Tensor, q: Tensor): number => cpu.reduce('sum', cpu.binary('mul', p, q), undefined, false).item();
        const lhs = dot(cpu.gather(x, ind, axis), u);
        const rhs = dot(x, s);
        const mag = cpu.reduce('sum', cpu.unary('abs', cpu.binary('mul', cpu.gather(x, ind, axis), u)), undefined, false).item();
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-13 * (mag + 1e-300));
      }),
      RUNS,
    );
  });

  it('scatterAdd in float32 accumulates duplicates', () => {
    const y = cpu.scatterAdd(tensor([1, 1, 0]), tensor([[1, 2], [3, 4], [5, 6]]), 0, [3, 2]);
    expect(y.dtype).toBe('float32');
    expect(y.toNested()).toEqual([[5, 6], [4, 6], [0, 0]]);
  });

  it('oneHot matches the reference', () => {
    const arb = fc
      .record({ shape: shapeArb(0, 3), depth: fc.integer({ min: 1, max: 5 }), dt: dtypeArb, outDt: dtypeArb })
      .chain(({ shape, depth, dt, outDt }) => fc.tuple(tensorOf(shape, dt, fc.integer({ min: 0, max: depth - 1 })), fc.constant(depth), fc.constant(outDt)));
    fc.assert(
      fc.property(arb, ([ind, depth, outDt]) => {
        const I = arrOf(ind);
        const y = cpu.oneHot(ind, depth, outDt);
        expect(y.dtype).toBe(outDt);
        check(mismatch(y, build([...ind.shape, depth], (idx) => Number(I.data[I.shape.reduce((f, d, q) => f * d + idx[q]!, 0)] === idx[idx.length - 1])), { exact: true }));
      }),
      RUNS,
    );
  });

  it('cast rounds to float32 and widens to float64 exactly', () => {
    fc.assert(
      fc.property(dtypeArb.chain((dt) => tensorArb(dt)), dtypeArb, (x, to) => {
        const y = cpu.cast(x, to);
        expect(y.dtype).toBe(to);
        check(mismatch(y, roundTo(to, arrOf(x)), { exact: true }));
      }),
      RUNS,
    );
    expect(cpu.cast(tensor([0.1], 'float64'), 'float32').item()).toBe(Math.fround(0.1));
  });
});

describe('reference sanity', () => {
  // The reference is itself code: pin it on hand-computed cases so a bug there cannot hide one in cpu.
  it('agrees with hand-computed values', () => {
    const x = { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] };
    expect(refTranspose(x, [1, 0]).data).toEqual([1, 4, 2, 5, 3, 6]);
    expect(refReduce('sum', x, [0], false).out.data).toEqual([5, 7, 9]);
    expect(refReduce('max', x, [1], true).out).toEqual({ shape: [2, 1], data: [3, 6] });
    expect(refMap2(x, { shape: [3], data: [10, 20, 30] }, (a, b) => a + b).data).toEqual([11, 22, 33, 14, 25, 36]);
    expect(refMatmul(x, { shape: [3, 1], data: [1, 1, 1] }, false, false).out.data).toEqual([6, 15]);
    expect(refGather(x, { shape: [2], data: [2, 0] }, 1).data).toEqual([3, 1, 6, 4]);
    expect(refPad({ shape: [2], data: [1, 2] }, [[1, 0]], 0).data).toEqual([0, 1, 2]);
    expect(refArg('argmax', { shape: [3], data: [1, 3, 3] }, 0, false).data).toEqual([1]);
    expect(refBroadcastShape([2, 1], [3])).toEqual([2, 3]);
    expect(refBroadcastShape([2], [3])).toBeUndefined();
    expect(size([])).toBe(1);
    expectMatch(tensor([1, 2], 'float64'), { shape: [2], data: [1, 2] });
    expect(() => expectMatch(tensor([1, 2], 'float64'), { shape: [2], data: [1, 2.0001] })).toThrow();
  });
});
