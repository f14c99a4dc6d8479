/**
 * The WebAssembly SIMD row kernels (bias add and bias-gradient sum) against
 * plain JavaScript loops: bit for bit, for both dtypes, row widths that are
 * and are not whole vectors, special values, and through the cpu backend's
 * `binary` and `reduce` at sizes that take the kernel path.
 */
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cpu, tensor, type Tensor } from '@mnemo/core';
import { rowsWasm, type RowOp } from '../src/kernels/wasm-rows.js';

const SPECIAL = [0, -0, 1, -1, 0.1, 1e-30, -1e30, 3.4e38, Infinity, -Infinity, NaN, 1e-45];

function arrayOf(f32: boolean, values: number[]): Float32Array | Float64Array {
  return f32 ? Float32Array.from(values) : Float64Array.from(values);
}

function jsRow(op: RowOp, a: ArrayLike<number>, b: ArrayLike<number>, p: number, y: Float32Array | Float64Array): void {
  for (let o = 0; o < a.length; o += p) {
    for (let j = 0; j < p; j++) {
      const x = a[o + j]!;
      const z = b[j]!;
      y[o + j] = op === 'add' ? x + z : op === 'sub' ? x - z : x * z;
    }
  }
}

const sameBits = (x: ArrayLike<number>, y: ArrayLike<number>): void => {
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) expect({ i, got: x[i], want: y[i] }).toEqual({ i, got: y[i], want: y[i] });
  }
};

describe('wasm row kernels', () => {
  const k = rowsWasm();

  it('compile here (WebAssembly SIMD is available on Node 20)', () => {
    expect(k).not.toBeNull();
  });

  it('row-broadcast add, sub and mul equal the JavaScript loop bit for bit', () => {
    const value = fc.oneof(fc.double({ noDefaultInfinity: false, noNaN: false }), fc.constantFrom(...SPECIAL));
    fc.assert(
      fc.property(
        fc.constantFrom<RowOp>('add', 'sub', 'mul'),
        fc.boolean(),
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(value, { minLength: 13 * 9, maxLength: 13 * 9 }),
        (op, f32, p, rows, pool) => {
          const a = arrayOf(f32, pool.slice(0, rows * p));
          const b = arrayOf(f32, pool.slice(pool.length - p));
          const aBefore = a.slice();
          const got = f32 ? new Float32Array(a.length) : new Float64Array(a.length);
          const want = f32 ? new Float32Array(a.length) : new Float64Array(a.length);
          expect(k!.rowBinary(op, a, b, p, got)).toBe(true);
          jsRow(op, a, b, p, want);
          sameBits(got, want);
          sameBits(a, aBefore);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('column sums accumulate in float64 in row order, like the JavaScript loop', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (f32, n, rows, seed) => {
        let s = seed >>> 0;
        const next = (): number => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return (s / 2 ** 32 - 0.5) * 10 ** ((s % 7) - 3);
        };
        const x = arrayOf(f32, Array.from({ length: rows * n }, next));
        const start = Float64Array.from({ length: n }, next);
        const got = start.slice();
        const want = start.slice();
        expect(k!.sumRows(x, n, got)).toBe(true);
        for (let o = 0; o < x.length; o += n) for (let j = 0; j < n; j++) want[j]! += x[o + j]!;
        sameBits(got, want);
      }),
      { numRuns: 200 },
    );
  });

  it('the cpu backend takes the kernel path for large row broadcasts and leading-axis sums, with unchanged results', () => {
    const rows = 300;
    const p = 31; // not a whole number of vectors
    const gen = (i: number): number => Math.sin(i * 0.37) * (1 + (i % 5));
    // count the kernel's calls, to see the backend take that path
    const calls = { rowBinary: 0, sumRows: 0 };
    const { rowBinary, sumRows } = k!;
    k!.rowBinary = (...a) => (calls.rowBinary++, rowBinary(...a));
    k!.sumRows = (...a) => (calls.sumRows++, sumRows(...a));
    onTestFinished(() => {
      Object.assign(k!, { rowBinary, sumRows });
    });
    for (const dtype of ['float32', 'float64'] as const) {
      const a: Tensor = tensor(Float64Array.from({ length: rows * p }, (_, i) => gen(i)), dtype, [rows, p]);
      const b: Tensor = tensor(Float64Array.from({ length: p }, (_, i) => gen(i + 7)), dtype, [p]);
      const ad = a.toArray();
      const bd = b.toArray();
      for (const op of ['add', 'sub', 'mul'] as const) {
        const y = cpu.binary(op, a, b);
        const want = dtype === 'float32' ? new Float32Array(rows * p) : new Float64Array(rows * p);
        jsRow(op, ad, bd, p, want);
        sameBits(y.toArray(), want);
      }
      const s = cpu.reduce('sum', a, [0], false);
      const want = new Float64Array(p);
      for (let o = 0; o < ad.length; o += p) for (let j = 0; j < p; j++) want[j]! += ad[o + j]!;
      sameBits(s.toArray(), dtype === 'float32' ? Float32Array.from(want) : want);
      const mean = cpu.reduce('mean', a, [0], true);
      expect(mean.shape).toEqual([1, p]);
      sameBits(mean.toArray(), dtype === 'float32' ? Float32Array.from(want, (v) => v / rows) : want.map((v) => v / rows));
      expect(a.toArray()).toEqual(ad);
    }
    expect(calls).toEqual({ rowBinary: 6, sumRows: 4 });
  });
});
