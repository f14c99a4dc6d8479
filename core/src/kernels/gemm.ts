/**
 * General matrix multiply on raw buffers: the one kernel that dominates training.
 * `cpu`'s matmul calls {@link gemm}; backends may install a faster
 * implementation with {@link setGemmImpl}.
 *
 * @module
 */
import type { TypedArray } from '../dtype.js';
import { ArgumentError, formatValue } from '../errors.js';
import { checkGemmArgs } from './raw-args.js';

/**
 * Arguments of {@link gemm}: `out[m, n] = op(A) · op(B)`, where `op(A)` is
 * `A` (stored row-major as `[m, k]`) or, with `transA`, the transpose of `A`
 * stored as `[k, m]`; likewise `B` is `[k, n]`, or `[n, k]` with `transB`.
 * `a`, `b` and `out` share one dtype. Offsets are in elements. `out` is
 * overwritten, not accumulated into.
 *
 * @example
 * ```ts
 * import { gemm, type GemmArgs } from '@mnemo/core';
 * const args: GemmArgs = { a: new Float64Array([1, 2]), b: new Float64Array([3, 4]), out: new Float64Array(1), m: 1, k: 2, n: 1, transA: false, transB: false };
 * gemm(args);
 * console.assert(args.out[0] === 11);
 * ```
 * @category Internals
 */
export interface GemmArgs {
  readonly a: TypedArray;
  readonly b: TypedArray;
  readonly out: TypedArray;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly aOffset?: number;
  readonly bOffset?: number;
  readonly outOffset?: number;
}

/**
 * The plain reference gemm on raw buffers, an i-k-j loop over the four layouts:
 * every faster kernel is tested and benchmarked against it.
 *
 * @param args - The matrices, their sizes, layouts and offsets ({@link GemmArgs});
 *   `out` is overwritten.
 * @throws ArgumentError - when `m`, `k`, `n` or an offset is not a non-negative
 *   integer.
 * @throws DTypeError - when `a`, `b` and `out` are not all `Float32Array` or all
 *   `Float64Array`.
 * @throws ShapeError - when an array is too short for its matrix at its offset.
 *
 * @example
 * ```ts
 * import { gemmReference } from '@mnemo/core';
 * const out = new Float64Array(4);
 * // [[1, 2], [3, 4]] times the identity
 * gemmReference({ a: new Float64Array([1, 2, 3, 4]), b: new Float64Array([1, 0, 0, 1]), out, m: 2, k: 2, n: 2, transA: false, transB: false });
 * console.assert(out.join() === '1,2,3,4');
 * ```
 * @category Internals
 */
export function gemmReference(args: GemmArgs): void {
  checkGemmArgs('gemm', args);
  const { a, b, out, m, k, n, transA, transB } = args;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const oo = args.outOffset ?? 0;
  // A(i, p) and B(p, j) in terms of the stored layouts.
  const aRow = transA ? 1 : k; // stride between i
  const aCol = transA ? m : 1; // stride between p
  const bRow = transB ? 1 : n; // stride between p
  const bCol = transB ? k : 1; // stride between j
  // Accumulate in a float64 row so float32 and float64 share one code path.
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[ao + i * aRow + p * aCol]!;
      if (av === 0) continue;
      const bBase = bo + p * bRow;
      for (let j = 0; j < n; j++) acc[j]! += av * b[bBase + j * bCol]!;
    }
    const base = oo + i * n;
    for (let j = 0; j < n; j++) out[base + j] = acc[j]!;
  }
}

let impl: (args: GemmArgs) => void = gemmReference;

/**
 * Multiply two matrices held in raw buffers (see {@link GemmArgs}) with the
 * fastest implementation installed, writing into `out`: what the cpu backend's
 * `matmul` calls.
 *
 * @param args - The matrices, their sizes, layouts and offsets; `out` is
 *   overwritten.
 * @throws ArgumentError - when `m`, `k`, `n` or an offset is not a non-negative
 *   integer.
 * @throws DTypeError - when `a`, `b` and `out` are not all `Float32Array` or all
 *   `Float64Array`.
 * @throws ShapeError - when an array is too short for its matrix at its offset.
 *
 * @example
 * ```ts
 * import { gemm } from '@mnemo/core';
 * const out = new Float32Array(1);
 * gemm({ a: new Float32Array([1, 2]), b: new Float32Array([3, 4]), out, m: 1, k: 2, n: 1, transA: false, transB: false });
 * console.assert(out[0] === 11);
 * ```
 * @category Internals
 */
export function gemm(args: GemmArgs): void {
  checkGemmArgs('gemm', args);
  impl(args);
}

/**
 * Install the gemm implementation that {@link gemm}, and so the cpu backend's
 * `matmul`, calls (a WebAssembly SIMD kernel, the reference loop); returns the
 * one it replaces.
 *
 * @param f - The implementation: writes `op(A) · op(B)` into `args.out`.
 * @returns The implementation installed before, to restore later.
 * @throws ArgumentError - when `f` is not a function.
 *
 * @example
 * ```ts
 * import { setGemmImpl, gemmReference } from '@mnemo/core';
 * const previous = setGemmImpl(gemmReference);
 * console.assert(setGemmImpl(previous) === gemmReference);
 * ```
 * @category Internals
 */
export function setGemmImpl(f: (args: GemmArgs) => void): (args: GemmArgs) => void {
  if (typeof f !== 'function') throw new ArgumentError('setGemmImpl', 'f', `expected a function, got ${formatValue(f)}`);
  const prev = impl;
  impl = f;
  return prev;
}
