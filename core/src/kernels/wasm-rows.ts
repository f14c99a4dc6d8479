/**
 * Row kernels in WebAssembly SIMD for the two patterns every dense layer
 * meets: a row vector combined with each row of a matrix (`x + b`, the bias
 * add; also `-` and `*`), and the sum over leading axes (the bias gradient).
 * JavaScript runs these loops at one element per few nanoseconds (V8 does
 * not vectorize, and float32 reads widen to doubles); here they run four
 * float32 lanes (two float64) at a time on a copy in the module's memory.
 *
 * Results are bit-identical to the JavaScript loops: IEEE add, subtract and
 * multiply round the same way in either, and the sums accumulate in float64
 * in the same row order.
 *
 * @module
 */
import type { TypedArray } from '../dtype.js';
import { Fn, I32, Op, Simd, V128, encodeModule, wasmApi, type WasmMemory } from './wasm-emit.js';

const PAGE = 65536;
/** Memory cap: 1 GiB, in 64 KiB pages. */
const MAX_PAGES = 16384;

/** The row-broadcast binary ops with a kernel. */
export type RowOp = 'add' | 'sub' | 'mul';

const VECTOR_OPS = {
  f32: { add: Simd.f32x4Add, sub: Simd.f32x4Sub, mul: Simd.f32x4Mul },
  f64: { add: Simd.f64x2Add, sub: Simd.f64x2Sub, mul: Simd.f64x2Mul },
} as const;
const SCALAR_OPS = {
  f32: { add: Op.f32Add, sub: Op.f32Sub, mul: Op.f32Mul },
  f64: { add: Op.f64Add, sub: Op.f64Sub, mul: Op.f64Mul },
} as const;

/**
 * rows(a, b, rows, p): `a[r, j] = a[r, j] op b[j]` in place for r < rows,
 * j < p (byte pointers; a is [rows, p], b is [p]).
 */
export function rowKernel(dt: 'f32' | 'f64', op: RowOp): Fn {
  const f = new Fn([I32, I32, I32, I32]);
  const [pa, b, rows, p] = [0, 1, 2, 3];
  const r = f.local(I32);
  const j = f.local(I32);
  const pb = f.local(I32);
  const pv = f.local(I32); // p rounded down to whole vectors
  const lanes = dt === 'f32' ? 4 : 2;
  const es = dt === 'f32' ? 4 : 8;
  const load = dt === 'f32' ? Op.f32Load : Op.f64Load;
  const store = dt === 'f32' ? Op.f32Store : Op.f64Store;
  f.get(p).i32(-lanes).op(Op.i32And).set(pv);
  f.forLoop(
    r,
    () => f.i32(0),
    () => f.get(rows),
    1,
    () => {
      f.get(b).set(pb);
      f.forLoop(
        j,
        () => f.i32(0),
        () => f.get(pv),
        lanes,
        () => {
          f.get(pa);
          f.get(pa).simdMem(Simd.load, 0, 0);
          f.get(pb).simdMem(Simd.load, 0, 0);
          f.simd(VECTOR_OPS[dt][op]);
          f.simdMem(Simd.store, 0, 0);
          f.addTo(pa, 16).addTo(pb, 16);
        },
      );
      f.forLoop(
        j,
        () => f.get(pv),
        () => f.get(p),
        1,
        () => {
          f.get(pa);
          f.get(pa).mem(load, 0, 0);
          f.get(pb).mem(load, 0, 0);
          f.op(SCALAR_OPS[dt][op]);
          f.mem(store, 0, 0);
          f.addTo(pa, es).addTo(pb, es);
        },
      );
    },
  );
  return f;
}

/**
 * colsum(x, acc, rows, n): `acc[j] += x[r, j]` for r = 0, 1, ... in order
 * (acc is float64 [n]; x is [rows, n] of the kernel's dtype).
 */
export function colsumKernel(dt: 'f32' | 'f64'): Fn {
  const f = new Fn([I32, I32, I32, I32]);
  const [px, acc, rows, n] = [0, 1, 2, 3];
  const r = f.local(I32);
  const j = f.local(I32);
  const pc = f.local(I32);
  const n2 = f.local(I32);
  const es = dt === 'f32' ? 4 : 8;
  f.get(n).i32(-2).op(Op.i32And).set(n2);
  f.forLoop(
    r,
    () => f.i32(0),
    () => f.get(rows),
    1,
    () => {
      f.get(acc).set(pc);
      f.forLoop(
        j,
        () => f.i32(0),
        () => f.get(n2),
        2,
        () => {
          f.get(pc);
          f.get(pc).simdMem(Simd.load, 0, 0);
          f.get(px);
          if (dt === 'f32') f.simdMem(Simd.load64Zero, 0, 0).simd(Simd.f64x2PromoteLowF32x4);
          else f.simdMem(Simd.load, 0, 0);
          f.simd(Simd.f64x2Add);
          f.simdMem(Simd.store, 0, 0);
          f.addTo(pc, 16).addTo(px, 2 * es);
        },
      );
      f.forLoop(
        j,
        () => f.get(n2),
        () => f.get(n),
        1,
        () => {
          f.get(pc);
          f.get(pc).mem(Op.f64Load, 0, 0);
          f.get(px);
          if (dt === 'f32') f.mem(Op.f32Load, 0, 0).op(Op.f64PromoteF32);
          else f.mem(Op.f64Load, 0, 0);
          f.op(Op.f64Add);
          f.mem(Op.f64Store, 0, 0);
          f.addTo(pc, 8).addTo(px, es);
        },
      );
    },
  );
  return f;
}

const EXPORTS: readonly (readonly [string, () => Fn])[] = [
  ['add_f32', () => rowKernel('f32', 'add')],
  ['sub_f32', () => rowKernel('f32', 'sub')],
  ['mul_f32', () => rowKernel('f32', 'mul')],
  ['add_f64', () => rowKernel('f64', 'add')],
  ['sub_f64', () => rowKernel('f64', 'sub')],
  ['mul_f64', () => rowKernel('f64', 'mul')],
  ['colsum_f32', () => colsumKernel('f32')],
  ['colsum_f64', () => colsumKernel('f64')],
];

/** Encode the module (exports named in `EXPORTS`). */
export function buildRowsModule(): Uint8Array {
  return encodeModule({
    memory: { initial: 1, maximum: MAX_PAGES, shared: false },
    functions: EXPORTS.map(([name, make]) => ({ fn: make(), exportAs: name })),
  });
}

/** The row kernels on JavaScript arrays (each call copies in and out). */
export interface RowsKernel {
  /** `y[r*p + j] = a[r*p + j] op b[j]`; false (nothing written) when the arrays exceed the kernel's memory. */
  rowBinary(op: RowOp, a: TypedArray, b: TypedArray, p: number, y: TypedArray): boolean;
  /** `acc[j] += x[r*n + j]` over all rows in order; false when `x` exceeds the kernel's memory. */
  sumRows(x: TypedArray, n: number, acc: Float64Array): boolean;
}


let rowsKernel: RowsKernel | null | undefined;

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

function makeRows(): RowsKernel {
  const wasm = wasmApi();
  if (!wasm) throw new Error('no WebAssembly');
  const memory: WasmMemory = new wasm.Memory({ initial: 1, maximum: MAX_PAGES, shared: false });
  const ex = new wasm.Instance(new wasm.Module(buildRowsModule()), { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
  let v32 = new Float32Array(memory.buffer);
  let v64 = new Float64Array(memory.buffer);
  const reserve = (bytes: number): boolean => {
    const have = memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) return false;
      memory.grow(pages);
    }
    if (v32.buffer !== memory.buffer) {
      v32 = new Float32Array(memory.buffer);
      v64 = new Float64Array(memory.buffer);
    }
    return true;
  };
  return {
    rowBinary(op, a, b, p, y) {
      const f32 = a instanceof Float32Array;
      const es = f32 ? 4 : 8;
      const n = a.length;
      const bAt = align16(n * es);
      if (!reserve(bAt + align16(p * es))) return false;
      const view: TypedArray = f32 ? v32 : v64;
      view.set(a, 0);
      view.set(b.subarray(0, p), bAt / es);
      ex[`${op}_${f32 ? 'f32' : 'f64'}`]!(0, bAt, n / p, p);
      y.set(view.subarray(0, n));
      return true;
    },
    sumRows(x, n, acc) {
      const f32 = x instanceof Float32Array;
      const es = f32 ? 4 : 8;
      const accAt = align16(x.length * es);
      if (!reserve(accAt + n * 8)) return false;
      (f32 ? v32 : v64).set(x, 0);
      v64.set(acc, accAt / 8);
      ex[f32 ? 'colsum_f32' : 'colsum_f64']!(0, accAt, x.length / n, n);
      acc.set(v64.subarray(accAt / 8, accAt / 8 + n));
      return true;
    },
  };
}

/**
 * The row kernels, compiled on first use; `null` where WebAssembly SIMD is
 * unavailable (callers then run their JavaScript loops).
 */
export function rowsWasm(): RowsKernel | null {
  if (rowsKernel !== undefined) return rowsKernel;
  try {
    rowsKernel = makeRows();
  } catch {
    rowsKernel = null;
  }
  return rowsKernel;
}
