/**
 * The `cpu` backend: every kernel, on typed arrays, for float32 and float64.
 *
 * @module
 */
import { UNARY_OPS, type Backend, type BinaryOp, type CompareOp, type ReduceOp, type UnaryOp } from '../backend.js';
import type { LoopKernel, SequenceProgram } from '../program.js';
import { allocate, checkDType, type DType, type TypedArray } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, formatShape, formatValue } from '../errors.js';
import {
  broadcastShapes,
  broadcastStrides,
  MAX_SIZE,
  checkShape,
  checkSize,
  normalizeAxes,
  normalizeAxis,
  shapesEqual,
  sizeOf,
  stridesOf,
  type Shape,
} from '../shape.js';
import { Tensor, fromKernel, unsafeDataOf } from '../tensor.js';
import { gemm, type GemmArgs } from './gemm.js';
import { cachedOffsetsOf, offsetsOf } from './layout.js';
import { checkGemmArgs } from './raw-args.js';
import { rowsWasm } from './wasm-rows.js';
import { compileLoopWasm, compileSequenceWasm, sequenceTiles } from './sequence-wasm.js';
import { fusedGemmRequested } from './features.js';
import { checkLoopKernel, checkSequenceProgram } from '../program-check.js';

/**
 * A zeroed output buffer for `shape` (computed by a kernel from valid shapes,
 * so its entries are sizes), refused with a ShapeError naming `op` past
 * MAX_SIZE elements or on an axis past it, before anything is allocated.
 */
function out(op: string, dtype: DType, shape: Shape): TypedArray {
  let n = 1;
  let big = false;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (d > MAX_SIZE) big = true;
    n *= d;
  }
  if (big || n > MAX_SIZE) checkSize(op, 'shape', shape);
  try {
    return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  } catch {
    return allocate(dtype, n, op); // names the op, and says how much memory could not be had
  }
}

/** The broadcast shape of two tensors' shapes (the binary kernels' common case, without the public helper's rest array). */
function broadcast2(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const p = i <= a.length ? a[a.length - i]! : 1;
    const q = i <= b.length ? b[b.length - i]! : 1;
    if (p !== q && p !== 1 && q !== 1) return broadcastShapes(op, a, b); // throws, naming both shapes
    out[rank - i] = p === 1 ? q : p;
  }
  return out;
}

function describe(t: Tensor): string {
  return `${t.dtype} ${formatShape(t.shape)}`;
}

/** Throws a DTypeError naming the op when two tensors differ in dtype. */
export function checkSameDType(op: string, a: Tensor, b: Tensor, argA = 'a', argB = 'b'): void {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      op,
      argB,
      `dtypes differ: ${argA} is ${describe(a)}, ${argB} is ${describe(b)}; cast one of them first`,
    );
  }
}

function checkTensor(op: string, arg: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(op, arg, `expected a Tensor, got ${formatValue(x)}`);
}

function checkFlag(op: string, arg: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new ArgumentError(op, arg, `expected true or false, got ${formatValue(v)}`);
}

/** Offsets reading `shape` broadcast to `target`; null when no broadcast is needed. */
function readMap(shape: Shape, target: Shape): Int32Array | null {
  if (shapesEqual(shape, target)) return null;
  return cachedOffsetsOf(target, broadcastStrides(shape, target));
}

function unaryLoop(op: UnaryOp, x: TypedArray, y: TypedArray): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) y[i] = -x[i]!;
      return;
    case 'exp':
      for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!);
      return;
    case 'log':
      for (let i = 0; i < n; i++) y[i] = Math.log(x[i]!);
      return;
    case 'log1p':
      for (let i = 0; i < n; i++) y[i] = Math.log1p(x[i]!);
      return;
    case 'expm1':
      for (let i = 0; i < n; i++) y[i] = Math.expm1(x[i]!);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]!);
      return;
    case 'rsqrt':
      for (let i = 0; i < n; i++) y[i] = 1 / Math.sqrt(x[i]!);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? 1 : v < 0 ? -1 : v; // keeps NaN, and 0 for ±0
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
      return;
    case 'sigmoid':
      // Stable: never exponentiate a large positive number.
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          y[i] = e / (1 + e);
        }
      }
      return;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : v === v ? 0 : v;
      }
      return;
    case 'step':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? 1 : v === v ? 0 : v;
      }
      return;
    case 'square':
      for (let i = 0; i < n; i++) y[i] = x[i]! * x[i]!;
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) y[i] = 1 / x[i]!;
      return;
    case 'sin':
      for (let i = 0; i < n; i++) y[i] = Math.sin(x[i]!);
      return;
    case 'cos':
      for (let i = 0; i < n; i++) y[i] = Math.cos(x[i]!);
      return;
    case 'floor':
      for (let i = 0; i < n; i++) y[i] = Math.floor(x[i]!);
      return;
    case 'ceil':
      for (let i = 0; i < n; i++) y[i] = Math.ceil(x[i]!);
      return;
    case 'round':
      // Round half to even, as NumPy does.
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        const r = Math.round(v);
        y[i] = Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
      }
      return;
    default: {
      const never: never = op;
      throw new ArgumentError('unary', 'op', `unknown unary op ${formatValue(never)}`);
    }
  }
}

const UNARY: ReadonlySet<string> = new Set<string>(UNARY_OPS);

function unary(op: UnaryOp, x: Tensor): Tensor {
  checkTensor(op, 'x', x);
  if (!UNARY.has(op)) throw new ArgumentError('unary', 'op', `unknown unary op ${formatValue(op)}`);
  const y = out(op, x.dtype, x.shape);
  unaryLoop(op, unsafeDataOf(x), y);
  return fromKernel(y, x.shape);
}

type Fn2 = (a: number, b: number) => number;

function withoutPrototype<T extends object>(o: T): T {
  return Object.assign(Object.create(null) as T, o);
}

const BINARY_FNS: Record<BinaryOp, Fn2> = withoutPrototype({
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => (a !== a || b !== b ? NaN : a >= b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? NaN : a <= b ? a : b),
});

const COMPARE_FNS: Record<CompareOp, Fn2> = withoutPrototype({
  equal: (a, b) => (a === b ? 1 : 0),
  notEqual: (a, b) => (a !== b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
});

/** Fast loops for the ops that dominate training; others go through BINARY_FNS. */
function binaryLoop(op: string, f: Fn2, a: TypedArray, ma: Int32Array | null, b: TypedArray, mb: Int32Array | null, y: TypedArray): void {
  const n = y.length;
  if (ma === null && mb === null) {
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) y[i] = a[i]! + b[i]!;
        return;
      case 'sub':
        for (let i = 0; i < n; i++) y[i] = a[i]! - b[i]!;
        return;
      case 'mul':
        for (let i = 0; i < n; i++) y[i] = a[i]! * b[i]!;
        return;
      case 'div':
        for (let i = 0; i < n; i++) y[i] = a[i]! / b[i]!;
        return;
      default:
        for (let i = 0; i < n; i++) y[i] = f(a[i]!, b[i]!);
        return;
    }
  }
  if (ma === null && mb !== null) {
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) y[i] = a[i]! + b[mb[i]!]!;
        return;
      case 'mul':
        for (let i = 0; i < n; i++) y[i] = a[i]! * b[mb[i]!]!;
        return;
      default:
        for (let i = 0; i < n; i++) y[i] = f(a[i]!, b[mb[i]!]!);
        return;
    }
  }
  if (ma !== null && mb === null) {
    for (let i = 0; i < n; i++) y[i] = f(a[ma[i]!]!, b[i]!);
    return;
  }
  for (let i = 0; i < n; i++) y[i] = f(a[ma![i]!]!, b[mb![i]!]!);
}

function elementwise2(op: string, f: Fn2 | undefined, a: Tensor, b: Tensor): Tensor {
  checkTensor(op, 'a', a);
  checkTensor(op, 'b', b);
  if (f === undefined) throw new ArgumentError(op, 'op', `unknown elementwise op ${formatValue(op)}`);
  checkSameDType(op, a, b);
  const shape = broadcast2(op, a.shape, b.shape);
  const y = out(op, a.dtype, shape);
  const period = shapesEqual(a.shape, shape) ? suffixPeriod(b.shape, shape) : 0;
  if (period > 0) rowBroadcastLoop(op, f, unsafeDataOf(a), unsafeDataOf(b), period, y);
  else binaryLoop(op, f, unsafeDataOf(a), readMap(a.shape, shape), unsafeDataOf(b), readMap(b.shape, shape), y);
  return fromKernel(y, shape);
}

/**
 * When `shape` (leading 1s aside) equals the trailing axes of `target`, the
 * broadcast repeats it as a whole every `size` elements (a bias added to every
 * row): returns that period, else 0.
 */
function suffixPeriod(shape: Shape, target: Shape): number {
  let lead = 0;
  while (lead < shape.length && shape[lead] === 1) lead++;
  const rest = shape.length - lead;
  if (rest === 0 || rest > target.length || rest === target.length) return 0;
  for (let i = 0; i < rest; i++) if (shape[lead + i] !== target[target.length - rest + i]) return 0;
  return sizeOf(shape);
}

/** Below this many elements the JavaScript row loops beat copying into WebAssembly memory and back. */
const WASM_ROWS_FROM = 4096;

/** `y[r*p + j] = f(a[r*p + j], b[j])`: the row-broadcast case without an index map (in WebAssembly SIMD when large). */
function rowBroadcastLoop(op: string, f: Fn2, a: TypedArray, b: TypedArray, p: number, y: TypedArray): void {
  const n = y.length;
  if (n >= WASM_ROWS_FROM && (op === 'add' || op === 'sub' || op === 'mul') && rowsWasm()?.rowBinary(op, a, b, p, y)) return;
  if (op === 'add') {
    for (let o = 0; o < n; o += p) for (let j = 0; j < p; j++) y[o + j] = a[o + j]! + b[j]!;
  } else if (op === 'mul') {
    for (let o = 0; o < n; o += p) for (let j = 0; j < p; j++) y[o + j] = a[o + j]! * b[j]!;
  } else if (op === 'sub') {
    for (let o = 0; o < n; o += p) for (let j = 0; j < p; j++) y[o + j] = a[o + j]! - b[j]!;
  } else {
    for (let o = 0; o < n; o += p) for (let j = 0; j < p; j++) y[o + j] = f(a[o + j]!, b[j]!);
  }
}

function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  checkTensor('where', 'cond', cond);
  checkTensor('where', 'a', a);
  checkTensor('where', 'b', b);
  checkSameDType('where', a, b);
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const c = unsafeDataOf(cond);
  const ad = unsafeDataOf(a);
  const bd = unsafeDataOf(b);
  const mc = readMap(cond.shape, shape);
  const ma = readMap(a.shape, shape);
  const mb = readMap(b.shape, shape);
  const y = out('where', a.dtype, shape);
  for (let i = 0; i < y.length; i++) {
    const ci = mc === null ? i : mc[i]!;
    y[i] = c[ci]! !== 0 ? ad[ma === null ? i : ma[i]!]! : bd[mb === null ? i : mb[i]!]!;
  }
  return fromKernel(y, shape);
}

function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const s: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) s.push(1);
    } else s.push(shape[i]!);
  }
  return s;
}

/** For each input element (row-major), the offset of the output element it reduces into. */
function reduceMap(shape: Shape, axes: readonly number[]): Int32Array {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const ks = stridesOf(kept);
  return cachedOffsetsOf(shape, shape.map((_, i) => (axes.includes(i) ? 0 : ks[i]!)));
}

const REDUCE_OPS: ReadonlySet<string> = new Set<ReduceOp>(['sum', 'mean', 'max', 'min', 'logsumexp']);

function reduce(op: ReduceOp, x: Tensor, axesArg: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  checkTensor(op, 'x', x);
  checkFlag(op, 'keepDims', keepDims);
  if (!REDUCE_OPS.has(op)) throw new ArgumentError('reduce', 'op', `unknown reduction ${formatValue(op)}`);
  const axes = normalizeAxes(op, axesArg, x.shape);
  const shape = reducedShape(x.shape, axes, keepDims);
  const n = sizeOf(shape);
  const count = axes.reduce((c, a) => c * x.shape[a]!, 1);
  const xd = unsafeDataOf(x);
  const acc = new Float64Array(n);
  const isSum = op === 'sum' || op === 'mean';
  const leading = axes.length > 0 && axes.every((a, i) => a === i);
  // The index map is built only for the loops that read it (a sum over leading axes needs none).
  const map = axes.length === 0 || (isSum && leading) ? null : reduceMap(x.shape, axes);
  const at = (i: number): number => (map === null ? i : map[i]!);
  if (isSum) {
    if (axes.length === 0) acc.set(xd);
    else if (leading) {
      // Summing over leading axes (a bias gradient): add whole rows, no index map.
      if (n > 0 && !(xd.length >= WASM_ROWS_FROM && rowsWasm()?.sumRows(xd, n, acc))) {
        for (let o = 0; o < xd.length; o += n) for (let j = 0; j < n; j++) acc[j]! += xd[o + j]!;
      }
    } else for (let i = 0; i < xd.length; i++) acc[map![i]!]! += xd[i]!;
    if (op === 'mean') for (let j = 0; j < n; j++) acc[j] = acc[j]! / count;
  } else if (op === 'max' || op === 'min') {
    acc.fill(op === 'max' ? -Infinity : Infinity);
    const isMax = op === 'max';
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i]!;
      const j = at(i);
      const cur = acc[j]!;
      if (v !== v || (isMax ? v > cur : v < cur)) acc[j] = v;
      else if (cur !== cur) acc[j] = cur;
    }
  } else {
    // logsumexp: m + log(sum(exp(x - m))) with m the maximum, so nothing overflows.
    const m = new Float64Array(n).fill(-Infinity);
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i]!;
      const j = at(i);
      if (v > m[j]! || v !== v) m[j] = v;
    }
    for (let i = 0; i < xd.length; i++) {
      const j = at(i);
      const mj = m[j]!;
      if (Number.isFinite(mj)) acc[j]! += Math.exp(xd[i]! - mj);
    }
    for (let j = 0; j < n; j++) {
      const mj = m[j]!;
      acc[j] = Number.isFinite(mj) ? mj + Math.log(acc[j]!) : mj === -Infinity && count > 0 ? -Infinity : mj;
    }
  }
  const y = out(op, x.dtype, shape);
  y.set(acc);
  return fromKernel(y, shape);
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, axisArg: number, keepDims: boolean): Tensor {
  checkTensor(op, 'x', x);
  if (op !== 'argmax' && op !== 'argmin') throw new ArgumentError('argReduce', 'op', `expected 'argmax' or 'argmin', got ${formatValue(op)}`);
  checkFlag(op, 'keepDims', keepDims);
  const axis = normalizeAxis(op, axisArg, x.shape);
  const len = x.shape[axis]!;
  if (len === 0) throw new ArgumentError(op, 'x', `cannot take ${op} over the empty axis ${axis} of shape ${formatShape(x.shape)}`);
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const xd = unsafeDataOf(x);
  const shape = reducedShape(x.shape, [axis], keepDims);
  const y = out(op, x.dtype, shape);
  const isMax = op === 'argmax';
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let best = xd[base]!;
      let bi = 0;
      for (let k = 1; k < len && best === best; k++) {
        const v = xd[base + k * inner]!;
        if (v !== v || (isMax ? v > best : v < best)) {
          best = v;
          bi = k;
        }
      }
      y[o * inner + i] = bi;
    }
  }
  return fromKernel(y, shape);
}

/** @internal The broadcast batch shape of a matmul; the error names both full shapes. */
function matmulBatch(a: Tensor, b: Tensor): number[] {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (refuseBroadcast(batchA, batchB)) {
    throw new ShapeError('matmul', 'b', `batch axes do not broadcast: a ${formatShape(a.shape)}, b ${formatShape(b.shape)} (batch ${formatShape(batchA)} vs ${formatShape(batchB)})`);
  }
  return broadcastShapes('matmul', batchA, batchB);
}

function refuseBroadcast(x: Shape, y: Shape): boolean {
  for (let i = 1; i <= Math.min(x.length, y.length); i++) {
    const p = x[x.length - i]!;
    const q = y[y.length - i]!;
    if (p !== q && p !== 1 && q !== 1) return true;
  }
  return false;
}

/**
 * Check a (batched) matrix product's operands and lay it out: the sizes of
 * `op(A)` `[m, k]` and `op(B)` `[k, n]`, the output shape, and for every
 * batch entry the offsets of its A and B matrices (batch axes broadcast).
 * Shared by every backend's matmul so they validate and index alike.
 * @internal
 */
export function matmulPlan(
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
): { m: number; k: number; n: number; shape: number[]; aOffsets: Int32Array; bOffsets: Int32Array } {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  checkFlag('matmul', 'transA', transA);
  checkFlag('matmul', 'transB', transB);
  checkSameDType('matmul', a, b);
  if (a.rank < 2) throw new ShapeError('matmul', 'a', `needs rank >= 2, got shape ${formatShape(a.shape)}`);
  if (b.rank < 2) throw new ShapeError('matmul', 'b', `needs rank >= 2, got shape ${formatShape(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      'matmul',
      'b',
      `inner dimensions differ: a ${formatShape(a.shape)}${transA ? ' (transposed)' : ''} has ${k} columns, b ${formatShape(b.shape)}${transB ? ' (transposed)' : ''} has ${kb} rows`,
    );
  }
  const batch = matmulBatch(a, b);
  const aOffsets = offsetsOf(batch, broadcastStrides(a.shape.slice(0, -2), batch).map((s) => s * m * k));
  const bOffsets = offsetsOf(batch, broadcastStrides(b.shape.slice(0, -2), batch).map((s) => s * k * n));
  return { m, k, n, shape: [...batch, m, n], aOffsets, bOffsets };
}

function matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const { m, k, n, shape, aOffsets, bOffsets } = matmulPlan(a, b, transA, transB);
  const y = out('matmul', a.dtype, shape);
  if (m * n === 0) return fromKernel(y, shape);
  const ad = unsafeDataOf(a);
  const bd = unsafeDataOf(b);
  for (let t = 0; t < aOffsets.length; t++) {
    gemm({ a: ad, b: bd, out: y, m, k, n, transA, transB, aOffset: aOffsets[t]!, bOffset: bOffsets[t]!, outOffset: t * m * n });
  }
  return fromKernel(y, shape);
}

function reshape(x: Tensor, shapeArg: readonly number[]): Tensor {
  checkTensor('reshape', 'x', x);
  if (!Array.isArray(shapeArg)) throw new ArgumentError('reshape', 'shape', 'expected an array of sizes');
  const free = shapeArg.filter((d) => d === -1).length;
  if (free > 1) throw new ArgumentError('reshape', 'shape', `at most one -1 is allowed, got ${formatShape(shapeArg)}`);
  const known = shapeArg.filter((d) => d !== -1);
  for (const d of known) {
    if (!Number.isInteger(d) || d < 0) throw new ArgumentError('reshape', 'shape', `sizes must be non-negative integers, got ${formatShape(shapeArg)}`);
  }
  const prod = sizeOf(known);
  let shape = shapeArg.slice();
  if (free === 1) {
    if (prod === 0 || x.size % prod !== 0) {
      throw new ShapeError('reshape', 'shape', `cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shapeArg)}`);
    }
    shape = shapeArg.map((d) => (d === -1 ? x.size / prod : d));
  }
  if (checkSize('reshape', 'shape', shape) !== x.size) {
    throw new ShapeError('reshape', 'shape', `cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shapeArg)} (${sizeOf(shape)} elements)`);
  }
  // Tensors are immutable, so the new tensor may share the buffer.
  return fromKernel(unsafeDataOf(x), shape);
}

function checkPerm(op: string, perm: readonly number[], shape: Shape): number[] {
  const rank = shape.length;
  if (!Array.isArray(perm) || perm.length !== rank) {
    throw new ArgumentError(op, 'perm', `needs ${rank} axes for shape ${formatShape(shape)}, got ${formatValue(perm)}`);
  }
  const p = perm.map((a) => normalizeAxis(op, a, shape, 'perm'));
  if (new Set(p).size !== rank) throw new ArgumentError(op, 'perm', `${formatValue(perm)} is not a permutation of the ${rank} axes of shape ${formatShape(shape)}`);
  return p;
}

function gatherData(op: string, x: Tensor, shape: Shape, offsets: Int32Array, base = 0): Tensor {
  const xd = unsafeDataOf(x);
  const y = out(op, x.dtype, shape);
  for (let i = 0; i < y.length; i++) y[i] = xd[base + offsets[i]!]!;
  return fromKernel(y, shape);
}

function transpose(x: Tensor, permArg: readonly number[]): Tensor {
  checkTensor('transpose', 'x', x);
  const perm = checkPerm('transpose', permArg, x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  if (perm.every((p, i) => p === i)) return x;
  const xs = stridesOf(x.shape);
  if (x.rank === 2) {
    const [r, c] = x.shape as [number, number];
    const xd = unsafeDataOf(x);
    const y = out('transpose', x.dtype, shape);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) y[j * r + i] = xd[i * c + j]!;
    return fromKernel(y, shape);
  }
  return gatherData('transpose', x, shape, cachedOffsetsOf(shape, perm.map((p) => xs[p]!)));
}

function broadcastTo(x: Tensor, shapeArg: readonly number[]): Tensor {
  checkTensor('broadcastTo', 'x', x);
  checkShape('broadcastTo', 'shape', shapeArg);
  const shape = broadcastShapes('broadcastTo', x.shape, shapeArg);
  if (!shapesEqual(shape, shapeArg)) {
    throw new ShapeError('broadcastTo', 'shape', `${formatShape(x.shape)} cannot be broadcast to ${formatShape(shapeArg)}`);
  }
  if (shapesEqual(x.shape, shape)) return x;
  return gatherData('broadcastTo', x, shape, cachedOffsetsOf(shape, broadcastStrides(x.shape, shape)));
}

function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  checkTensor('slice', 'x', x);
  if (!Array.isArray(begin) || !Array.isArray(size) || begin.length !== x.rank || size.length !== x.rank) {
    throw new ArgumentError('slice', 'begin', `begin ${formatValue(begin)} and size ${formatValue(size)} need ${x.rank} entries for shape ${formatShape(x.shape)}`);
  }
  const shape: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const b = begin[i]!;
    const s = size[i] === -1 ? x.shape[i]! - b : size[i]!;
    if (!Number.isInteger(b) || !Number.isInteger(s) || b < 0 || s < 0 || b + s > x.shape[i]!) {
      throw new ArgumentError('slice', 'begin', `block begin ${formatValue(begin)} size ${formatValue(size)} is out of bounds for shape ${formatShape(x.shape)} at axis ${i}`);
    }
    shape.push(s);
  }
  const xs = stridesOf(x.shape);
  const base = begin.reduce((acc, b, i) => acc + b * xs[i]!, 0);
  return gatherData('slice', x, shape, cachedOffsetsOf(shape, xs), base);
}

function concat(xs: readonly Tensor[], axisArg: number): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new ArgumentError('concat', 'xs', 'needs at least one tensor');
  xs.forEach((t, i) => checkTensor('concat', `xs[${i}]`, t));
  const first = xs[0]!;
  const axis = normalizeAxis('concat', axisArg, first.shape);
  let total = 0;
  xs.forEach((t: Tensor, i: number) => {
    checkSameDType('concat', first, t, 'xs[0]', `xs[${i}]`);
    const ok = t.rank === first.rank && t.shape.every((d: number, j: number) => j === axis || d === first.shape[j]);
    if (!ok) {
      throw new ShapeError('concat', `xs[${i}]`, `shape ${formatShape(t.shape)} does not match xs[0] ${formatShape(first.shape)} outside axis ${axis}`);
    }
    total += t.shape[axis]!;
  });
  const shape = first.shape.slice();
  shape[axis] = total;
  const outer = sizeOf(first.shape.slice(0, axis));
  const inner = sizeOf(first.shape.slice(axis + 1));
  const y = out('concat', first.dtype, shape);
  const row = total * inner;
  let col = 0;
  for (const t of xs) {
    const td = unsafeDataOf(t);
    const chunk = t.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) y.set(td.subarray(o * chunk, (o + 1) * chunk), o * row + col);
    col += chunk;
  }
  return fromKernel(y, shape);
}

function pad(x: Tensor, widths: readonly (readonly [number, number])[], value: number): Tensor {
  checkTensor('pad', 'x', x);
  if (!Array.isArray(widths) || widths.length !== x.rank) {
    throw new ArgumentError('pad', 'widths', `needs ${x.rank} [before, after] pairs for shape ${formatShape(x.shape)}, got ${formatValue(widths)}`);
  }
  for (const w of widths as readonly unknown[]) {
    const ok = Array.isArray(w) && w.length === 2 && w.every((v) => Number.isInteger(v) && (v as number) >= 0);
    if (!ok) throw new ArgumentError('pad', 'widths', `widths must be [before, after] pairs of non-negative integers, got ${formatValue(widths)}`);
  }
  if (typeof value !== 'number') throw new ArgumentError('pad', 'value', `expected a number, got ${formatValue(value)}`);
  const shape = x.shape.map((d, i) => d + widths[i]![0] + widths[i]![1]);
  const y = out('pad', x.dtype, shape);
  if (value !== 0) y.fill(value);
  const ys = stridesOf(shape);
  const base = widths.reduce((acc, [b], i) => acc + b * ys[i]!, 0);
  const where = offsetsOf(x.shape, ys, base);
  const xd = unsafeDataOf(x);
  for (let i = 0; i < xd.length; i++) y[where[i]!] = xd[i]!;
  return fromKernel(y, shape);
}

function checkIndex(op: string, v: number, len: number, j: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= len) {
    throw new ArgumentError(op, 'indices', `index ${v} at position ${j} is not an integer in [0, ${len})`);
  }
  return v;
}

function gather(x: Tensor, indices: Tensor, axisArg: number): Tensor {
  checkTensor('gather', 'x', x);
  checkTensor('gather', 'indices', indices);
  const axis = normalizeAxis('gather', axisArg, x.shape);
  const len = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const id = unsafeDataOf(indices);
  const xd = unsafeDataOf(x);
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const y = out('gather', x.dtype, shape);
  const ni = id.length;
  for (let j = 0; j < ni; j++) checkIndex('gather', id[j]!, len, j);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < ni; j++) {
      const src = (o * len + id[j]!) * inner;
      y.set(xd.subarray(src, src + inner), (o * ni + j) * inner);
    }
  }
  return fromKernel(y, shape);
}

function scatterAdd(indices: Tensor, updates: Tensor, axisArg: number, shapeArg: readonly number[]): Tensor {
  checkTensor('scatterAdd', 'indices', indices);
  checkTensor('scatterAdd', 'updates', updates);
  checkShape('scatterAdd', 'shape', shapeArg);
  const axis = normalizeAxis('scatterAdd', axisArg, shapeArg);
  const expected = [...shapeArg.slice(0, axis), ...indices.shape, ...shapeArg.slice(axis + 1)];
  if (!shapesEqual(expected, updates.shape)) {
    throw new ShapeError('scatterAdd', 'updates', `expected shape ${formatShape(expected)}, got ${formatShape(updates.shape)}`);
  }
  const len = shapeArg[axis]!;
  const outer = sizeOf(shapeArg.slice(0, axis));
  const inner = sizeOf(shapeArg.slice(axis + 1));
  const id = unsafeDataOf(indices);
  const ud = unsafeDataOf(updates);
  const y = out('scatterAdd', updates.dtype, shapeArg);
  const ni = id.length;
  for (let j = 0; j < ni; j++) checkIndex('scatterAdd', id[j]!, len, j);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < ni; j++) {
      const dst = (o * len + id[j]!) * inner;
      const src = (o * ni + j) * inner;
      for (let i = 0; i < inner; i++) y[dst + i]! += ud[src + i]!;
    }
  }
  return fromKernel(y, shapeArg);
}

function oneHot(indices: Tensor, depth: number, dtype: DType): Tensor {
  checkTensor('oneHot', 'indices', indices);
  if (!Number.isInteger(depth) || depth < 0) throw new ArgumentError('oneHot', 'depth', `must be a non-negative integer, got ${formatValue(depth)}`);
  const dt = checkDType('oneHot', 'dtype', dtype);
  const id = unsafeDataOf(indices);
  const shape = [...indices.shape, depth];
  const y = out('oneHot', dt, shape);
  for (let j = 0; j < id.length; j++) y[j * depth + checkIndex('oneHot', id[j]!, depth, j)] = 1;
  return fromKernel(y, shape);
}

function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', 'x', x);
  const dt = checkDType('cast', 'dtype', dtype);
  if (dt === x.dtype) return x;
  const y = out('cast', dt, x.shape);
  y.set(unsafeDataOf(x));
  return fromKernel(y, x.shape);
}

/**
 * The CPU backend: every kernel of {@link Backend} on typed arrays, float32
 * and float64. Matrix products go through {@link gemm}.
 *
 * @example
 * ```ts
 * import { cpu, tensor } from '@mnemo/core';
 * const y = cpu.binary('add', tensor([[1, 2], [3, 4]]), tensor([10, 20]));
 * console.assert(y.toArray().join() === '11,22,13,24');
 * ```
 * @category Backends
 */
export const cpu: Backend = Object.freeze({
  name: 'cpu',
  unary,
  // BINARY_FNS and COMPARE_FNS have no prototype: 'toString' is not an op.
  binary: (op: BinaryOp, a: Tensor, b: Tensor) => elementwise2(op, typeof op === 'string' ? BINARY_FNS[op] : undefined, a, b),
  compare: (op: CompareOp, a: Tensor, b: Tensor) => elementwise2(op, typeof op === 'string' ? COMPARE_FNS[op] : undefined, a, b),
  where,
  reduce,
  argReduce,
  matmul,
  gemm: (args: GemmArgs) => {
    checkGemmArgs('gemm', args);
    gemm(args);
  },
  reshape,
  transpose,
  broadcastTo,
  slice,
  concat,
  pad,
  gather,
  scatterAdd,
  oneHot,
  cast,
  // Generated loops multiply then add, like the gemm, unless MNEMO_WASM_FEATURES=fma asks for fused float32 products.
  // The program or kernel is checked to have the documented shape before the code generator reads it.
  compileSequence: (program: SequenceProgram) => {
    const p = checkSequenceProgram('compileSequence', program);
    return compileSequenceWasm(p, { fma: p.dtype === 'float32' && fusedGemmRequested() });
  },
  compileLoop: (kernel: LoopKernel, dtype: 'float32' | 'float64') => {
    const k = checkLoopKernel('compileLoop', kernel);
    const dt = checkDType('compileLoop', 'dtype', dtype);
    return compileLoopWasm(k, dt, { fma: dt === 'float32' && fusedGemmRequested() });
  },
  sequenceTiles,
});
