/**
 * Backend parity: one test body runs on every backend. float32 products agree
 * with a float64 reference within float32 tolerance; float64 products on
 * gpujs (computed by the cpu kernel) equal cpu's exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpu, getBackend, normal, key, split, tensor, unsafeDataOf, withBackend, currentBackend, type DType, type Tensor } from '@mnemo/core';
import { arrOf, finiteArb, mismatch, refMatmul, roundTo, tensorOf } from './helpers/reference.js';

interface Case {
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly transA: boolean;
  readonly transB: boolean;
}

/** Shapes of `a` and `b` as stored (transposed operands stored transposed). */
function stored(batchA: number[], batchB: number[], m: number, k: number, n: number, transA: boolean, transB: boolean): Case {
  return { a: [...batchA, ...(transA ? [k, m] : [m, k])], b: [...batchB, ...(transB ? [n, k] : [k, n])], transA, transB };
}

const CASES: Case[] = [];
for (const transA of [false, true]) {
  for (const transB of [false, true]) {
    CASES.push(stored([], [], 3, 5, 4, transA, transB)); // 2-D
    CASES.push(stored([2], [2], 2, 3, 5, transA, transB)); // batched
    CASES.push(stored([2, 1], [3], 4, 2, 3, transA, transB)); // batch broadcasting, both sides
    CASES.push(stored([], [2], 1, 7, 1, transA, transB)); // a vector-like 1x7 times a batch of 7x1
  }
}
CASES.push(stored([], [], 17, 33, 9, false, false)); // sizes that are not multiples of any tile
CASES.push(stored([], [], 2, 0, 3, false, true)); // empty inner dimension: zeros
CASES.push(stored([0], [1], 2, 2, 2, false, false)); // empty batch
CASES.push(stored([], [], 0, 3, 2, true, false)); // empty output

function sample(shape: readonly number[], dtype: DType, seed: number): Tensor {
  return normal(key(seed), shape, { dtype });
}

const caseName = (c: Case): string => `a [${c.a.join(',')}]${c.transA ? 'ᵀ' : ''} b [${c.b.join(',')}]${c.transB ? 'ᵀ' : ''}`;

describe.each(['cpu', 'gpujs'])('matmul parity on %s', (name) => {
  const backend = getBackend(name);

  it.each(CASES.map((c, i) => [caseName(c), c, i] as const))('float32 %s agrees with the float64 reference', (_, c, i) => {
    const [ka, kb] = split(key(100 + i));
    const a = normal(ka!, c.a, { dtype: 'float32' });
    const b = normal(kb!, c.b, { dtype: 'float32' });
    const y = backend.matmul(a, b, c.transA, c.transB);
    expect(y.dtype).toBe('float32');
    const { out, scale } = refMatmul(arrOf(a), arrOf(b), c.transA, c.transB);
    const k = c.transA ? c.a[c.a.length - 2]! : c.a[c.a.length - 1]!;
    // float32 tolerance for a length-k dot product: (k + 2) roundings relative to sum |a||b|.
    const msg = mismatch(y, roundTo('float32', out), { rtol: (k + 2) * 2 ** -24, scale });
    expect(msg).toBeNull();
  });

  it.each(CASES.map((c, i) => [caseName(c), c, i] as const))('float64 %s equals cpu exactly', (_, c, i) => {
    const a = sample(c.a, 'float64', 200 + 2 * i);
    const b = sample(c.b, 'float64', 201 + 2 * i);
    const y = backend.matmul(a, b, c.transA, c.transB);
    const z = cpu.matmul(a, b, c.transA, c.transB);
    expect(y.dtype).toBe('float64');
    expect(y.shape).toEqual(z.shape);
    expect(Array.from(unsafeDataOf(y))).toEqual(Array.from(unsafeDataOf(z)));
  });

  it('small integer products are exact in float32 and float64', () => {
    const ints = fc.integer({ min: -8, max: 8 });
    const arb = fc
      .tuple(fc.constantFrom(...CASES.slice(0, 8)), fc.constantFrom<DType>('float32', 'float64'))
      .chain(([c, dt]) => fc.tuple(fc.constant(c), tensorOf(c.a, dt, ints), tensorOf(c.b, dt, ints)));
    fc.assert(
      fc.property(arb, ([c, a, b]) => {
        const y = backend.matmul(a, b, c.transA, c.transB);
        // Integers this small multiply and add exactly in float32, so every backend must agree bit for bit.
        expect(mismatch(y, refMatmul(arrOf(a), arrOf(b), c.transA, c.transB).out, { exact: true })).toBeNull();
      }),
      { numRuns: 40 },
    );
  });

  it('finite random inputs of drawn shapes agree with the reference', () => {
    const arb = fc
      .record({ m: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }), n: fc.integer({ min: 1, max: 3 }), ta: fc.boolean(), tb: fc.boolean() })
      .chain(({ m, k, n, ta, tb }) => {
        const c = stored([], [], m, k, n, ta, tb);
        return fc.tuple(tensorOf(c.a, 'float32', finiteArb), tensorOf(c.b, 'float32', finiteArb), fc.constant(c));
      });
    fc.assert(
      fc.property(arb, ([a, b, c]) => {
        const { out, scale } = refMatmul(arrOf(a), arrOf(b), c.transA, c.transB);
        const k = c.transA ? c.a[0]! : c.a[1]!;
        expect(mismatch(backend.matmul(a, b, c.transA, c.transB), roundTo('float32', out), { rtol: (k + 2) * 2 ** -24, scale })).toBeNull();
      }),
      { numRuns: 60 },
    );
  });

  it('reports the same errors as cpu', () => {
    const a = tensor([[1, 2, 3]]);
    const b = tensor([[1, 2]]);
    expect(() => backend.matmul(a, b, false, false)).toThrow(/matmul: argument 'b': inner dimensions differ: a \[1, 3\] has 3 columns, b \[1, 2\]/);
    expect(() => backend.matmul(a, tensor([[1], [2], [3]], 'float64'), false, false)).toThrow(/matmul.*float32 \[1, 3\].*float64 \[3, 1\]/);
  });

  it('is what withBackend selects', () => {
    expect(withBackend(name, () => currentBackend().name)).toBe(name);
  });
});
