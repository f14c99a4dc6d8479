/**
 * The `Backend` interface: the kernels every backend implements, and the
 * choice of the current backend.
 *
 * @module
 */
import type { DType } from './dtype.js';
import { ArgumentError, formatValue } from './errors.js';
import type { GemmArgs } from './kernels/gemm.js';
import type { Tensor } from './tensor.js';
import type { CompiledLoop, CompiledSequence, LoopKernel, SequenceProgram } from './program.js';

/**
 * Every elementwise function of one tensor, written once: the `Backend`
 * interface's {@link UnaryOp}, the cpu kernels' list and autodiff's unary
 * primitives all read it. A new unary op is an entry here, its kernel in
 * each backend (the cpu kernel's `switch` does not compile without it) and
 * its VJP rule (the rule table does not compile without it).
 *
 * @example
 * ```ts
 * import { UNARY_OPS } from '@mnemo/core';
 * console.assert(UNARY_OPS.includes('tanh') && UNARY_OPS.includes('sigmoid'));
 * ```
 * @category Backends
 */
export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'abs',
  'sign',
  'tanh',
  'sigmoid',
  'relu',
  'step',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'floor',
  'ceil',
  'round',
] as const;

/**
 * Elementwise functions of one tensor: the names in {@link UNARY_OPS}.
 *
 * `sigmoid` is computed stably (no overflow for large |x|); `step` is the
 * Heaviside function (1 where x > 0, else 0), used by relu's derivative.
 *
 * @example
 * ```ts
 * import { cpu, tensor, type UnaryOp } from '@mnemo/core';
 * const op: UnaryOp = 'square';
 * console.assert(cpu.unary(op, tensor([3])).item() === 9);
 * ```
 * @category Backends
 */
export type UnaryOp = (typeof UNARY_OPS)[number];

/**
 * Elementwise functions of two tensors, with NumPy broadcasting.
 *
 * @example
 * ```ts
 * import { cpu, tensor, type BinaryOp } from '@mnemo/core';
 * const op: BinaryOp = 'maximum';
 * console.assert(cpu.binary(op, tensor([1, 5]), tensor([3])).toArray().join() === '3,5');
 * ```
 * @category Backends
 */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';

/**
 * Elementwise comparisons, with broadcasting; the result holds 1 where true and
 * 0 where false, in the inputs' dtype.
 *
 * @example
 * ```ts
 * import { cpu, tensor, type CompareOp } from '@mnemo/core';
 * const op: CompareOp = 'greater';
 * console.assert(cpu.compare(op, tensor([1, 5]), tensor([3])).toArray().join() === '0,1');
 * ```
 * @category Backends
 */
export type CompareOp = 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';

/**
 * Reductions over axes. `logsumexp` is computed stably (shifted by the maximum).
 *
 * @example
 * ```ts
 * import { cpu, tensor, type ReduceOp } from '@mnemo/core';
 * const op: ReduceOp = 'sum';
 * console.assert(cpu.reduce(op, tensor([[1, 2], [3, 4]]), [1], false).toArray().join() === '3,7');
 * ```
 * @category Backends
 */
export type ReduceOp = 'sum' | 'mean' | 'max' | 'min' | 'logsumexp';

/**
 * The kernels of a backend. Every kernel allocates its output and never
 * writes to its inputs. Arguments are validated by the kernels (shape errors
 * name the op, the argument and the shapes), so every backend reports the same
 * errors. Axes passed to kernels may be negative.
 *
 * @example
 * ```ts
 * import { cpu, tensor, type Backend } from '@mnemo/core';
 * const b: Backend = cpu;
 * console.assert(b.matmul(tensor([[1, 2]]), tensor([[3], [4]]), false, false).item() === 11);
 * ```
 * @category Backends
 */
export interface Backend {
  /** The backend's name, as accepted by {@link setBackend}. */
  readonly name: string;
  /** Apply an elementwise function. */
  unary(op: UnaryOp, x: Tensor): Tensor;
  /** Combine two tensors elementwise, broadcasting their shapes. */
  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor;
  /** Compare two tensors elementwise (1 or 0), broadcasting their shapes. */
  compare(op: CompareOp, a: Tensor, b: Tensor): Tensor;
  /** `cond != 0 ? a : b`, elementwise, broadcasting all three shapes. */
  where(cond: Tensor, a: Tensor, b: Tensor): Tensor;
  /** Reduce over `axes` (all axes when undefined). */
  reduce(op: ReduceOp, x: Tensor, axes: number | readonly number[] | undefined, keepDims: boolean): Tensor;
  /** Index of the largest (or smallest) value along one axis, as float values; the first wins ties. */
  argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number, keepDims: boolean): Tensor;
  /**
   * Matrix product of the last two axes; leading (batch) axes broadcast. With
   * `transA` the last two axes of `a` are read transposed (no copy is made); likewise `transB`.
   */
  matmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor;
  /**
   * Matrix product on raw buffers (see {@link GemmArgs}), for fused kernels
   * that keep their operands in typed arrays: `gpujs` runs float32 products
   * on gpu.js; `cpu`'s is core's {@link gemm} (the installed implementation).
   */
  gemm(args: GemmArgs): void;
  /** The same data under a new shape of the same size (one entry may be -1). */
  reshape(x: Tensor, shape: readonly number[]): Tensor;
  /** Permute the axes: output axis i is input axis `perm[i]`. */
  transpose(x: Tensor, perm: readonly number[]): Tensor;
  /** Repeat size-1 (and missing leading) axes to reach `shape`. */
  broadcastTo(x: Tensor, shape: readonly number[]): Tensor;
  /** The block starting at `begin` with size `size` along each axis. */
  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor;
  /** Join tensors along an existing axis. */
  concat(xs: readonly Tensor[], axis: number): Tensor;
  /** Pad each axis with `widths[i] = [before, after]` copies of `value`. */
  pad(x: Tensor, widths: readonly (readonly [number, number])[], value: number): Tensor;
  /** Take entries along `axis` at integer-valued `indices`; the result's shape is `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. */
  gather(x: Tensor, indices: Tensor, axis: number): Tensor;
  /** The adjoint of gather: add `updates` into zeros of `shape` at `indices` along `axis`. */
  scatterAdd(indices: Tensor, updates: Tensor, axis: number, shape: readonly number[]): Tensor;
  /** One-hot rows: the result has shape `indices.shape + [depth]`. */
  oneHot(indices: Tensor, depth: number, dtype: DType): Tensor;
  /** Convert to another dtype (a copy even when it is the same dtype is not required). */
  cast(x: Tensor, dtype: DType): Tensor;
  /**
   * Compile a {@link SequenceProgram} (what the cell compiler makes of a
   * recurrent step) for this backend, or return null where it cannot; a
   * backend without this member runs recurrences on the tape.
   */
  compileSequence?(program: SequenceProgram): CompiledSequence | null;
  /**
   * Compile a fused elementwise loop over flat arrays (an elementwise
   * function traced by autodiff's `fuseElementwise`, such as an optimizer's
   * update), or return null; callers then run the function op by op.
   */
  compileLoop?(kernel: LoopKernel, dtype: 'float32' | 'float64'): CompiledLoop | null;
  /** The register tile of this backend's products (rows, columns) for a dtype, which sequence programs pad to. */
  sequenceTiles?(dtype: 'float32' | 'float64'): { readonly mr: number; readonly nr: number };
}

const registry = new Map<string, () => Backend>();
const instances = new Map<string, Backend>();
let current: Backend | undefined;

/**
 * Make a backend available by name, for {@link setBackend} and `MNEMO_BACKEND`;
 * `factory` is called once, on first use, and registering a name again replaces
 * it.
 *
 * @param name - The name to select it by.
 * @param factory - Makes the backend; called at most once, when the name is first
 *   used.
 * @throws ArgumentError - when `name` is not a non-empty string or `factory` is
 *   not a function (a factory that does not return a backend is found out on first
 *   use, by {@link getBackend}).
 *
 * @example
 * ```ts
 * import { registerBackend, cpu, backendNames } from '@mnemo/core';
 * registerBackend('cpu-again', () => ({ ...cpu, name: 'cpu-again' }));
 * console.assert(backendNames().includes('cpu-again'));
 * ```
 * @category Backends
 */
export function registerBackend(name: string, factory: () => Backend): void {
  if (typeof name !== 'string' || name === '') throw new ArgumentError('registerBackend', 'name', `expected a non-empty string, got ${formatValue(name)}`);
  if (typeof factory !== 'function') throw new ArgumentError('registerBackend', 'factory', `expected a function that returns a Backend, got ${formatValue(factory)}`);
  registry.set(name, factory);
  instances.delete(name);
}

/**
 * The names of the registered backends, in the order they were registered
 * (`cpu` and `gpujs` come built in).
 *
 * @returns A new array of names.
 *
 * @example
 * ```ts
 * import { backendNames } from '@mnemo/core';
 * console.assert(backendNames().includes('cpu') && backendNames().includes('gpujs'));
 * ```
 * @category Backends
 */
export function backendNames(): string[] {
  return [...registry.keys()];
}

/**
 * Look a registered backend up by name, making it with its factory the first
 * time it is asked for.
 *
 * @param name - A registered name (`cpu`, `gpujs`, or one given to {@link
 *   registerBackend}).
 * @returns The backend (the same object on every call for a name).
 * @throws ArgumentError - when no backend of that name is registered (the message
 *   lists the registered names), or its factory returns something that is not a
 *   backend (no name, or a kernel missing).
 *
 * @example
 * ```ts
 * import { getBackend } from '@mnemo/core';
 * console.assert(getBackend('cpu').name === 'cpu');
 * ```
 * @category Backends
 */
export function getBackend(name: string): Backend {
  const have = instances.get(name);
  if (have) return have;
  const factory = typeof name === 'string' ? registry.get(name) : undefined;
  if (!factory) {
    throw new ArgumentError('setBackend', 'name', `unknown backend ${formatValue(name)}; registered: ${backendNames().join(', ')}`);
  }
  const b = checkBackend('registerBackend', `factory of ${name}`, factory());
  instances.set(name, b);
  return b;
}

/** The kernels every backend has: a value without one of them is not a backend. */
const KERNELS = [
  'unary', 'binary', 'compare', 'where', 'reduce', 'argReduce', 'matmul', 'gemm', 'reshape', 'transpose', 'broadcastTo', 'slice',
  'concat', 'pad', 'gather', 'scatterAdd', 'oneHot', 'cast',
] as const satisfies readonly (keyof Backend)[];

/**
 * `b` if it is a {@link Backend} (a name and every kernel); throws an
 * {@link ArgumentError} naming the op, the argument and the first thing missing.
 *
 * @param op - The operation, for the message.
 * @param arg - The argument, for the message.
 * @param b - The value to check.
 * @returns `b`, typed as a backend.
 * @throws {@link ArgumentError} when `b` lacks a name or a kernel.
 *
 * @example
 * ```ts
 * import { checkBackend, cpu, ArgumentError } from '@mnemo/core';
 * console.assert(checkBackend('op', 'backend', cpu) === cpu);
 * let refused = false;
 * try { checkBackend('op', 'backend', { name: 'half', unary: () => 0 }); } catch (e) { refused = e instanceof ArgumentError; }
 * console.assert(refused);
 * ```
 * @category Backends
 */
export function checkBackend(op: string, arg: string, b: unknown): Backend {
  if (b === null || typeof b !== 'object') throw new ArgumentError(op, arg, `expected a Backend, got ${formatValue(b)}`);
  const r = b as Record<string, unknown>;
  if (typeof r['name'] !== 'string') throw new ArgumentError(op, arg, `a Backend needs a name (a string), got ${formatValue(r['name'])}`);
  for (const k of KERNELS) {
    if (typeof r[k] !== 'function') throw new ArgumentError(op, arg, `backend ${r['name']} has no ${k} kernel`);
  }
  return b as Backend;
}

/**
 * The backend in use: the last one set with {@link setBackend} or
 * {@link withBackend}, else the one named by the environment variable
 * `MNEMO_BACKEND`, else `cpu`.
 *
 * @returns The backend every op runs on now.
 * @throws ArgumentError - when `MNEMO_BACKEND` names a backend that is not
 *   registered (on the first call only).
 *
 * @example
 * ```ts
 * import { currentBackend } from '@mnemo/core';
 * console.assert(typeof currentBackend().name === 'string');
 * ```
 * @category Backends
 */
export function currentBackend(): Backend {
  if (current === undefined) {
    const env = typeof process !== 'undefined' ? process.env['MNEMO_BACKEND'] : undefined;
    current = getBackend(env !== undefined && env !== '' ? env : 'cpu');
  }
  return current;
}

/**
 * Choose the backend for every op that follows, by name or as a value; returns
 * the previous one so that it can be restored.
 *
 * @param backend - A registered name, or a {@link Backend} value.
 * @returns The backend in use before the call.
 * @throws ArgumentError - when `backend` is a name that is not registered, or a
 *   value that is not a backend (no name, or a kernel missing); on the first call,
 *   also when `MNEMO_BACKEND` names no registered backend.
 *
 * @example
 * ```ts
 * import { setBackend, currentBackend } from '@mnemo/core';
 * const prev = setBackend('cpu');
 * console.assert(currentBackend().name === 'cpu');
 * setBackend(prev);
 * ```
 * @category Backends
 */
export function setBackend(backend: string | Backend): Backend {
  const prev = currentBackend();
  current = typeof backend === 'string' ? getBackend(backend) : checkBackend('setBackend', 'backend', backend);
  return prev;
}

/**
 * Run `f` with a backend, then restore the previous one, also when `f` throws:
 * the safe way to switch backends for a block of code.
 *
 * @param backend - A registered name, or a {@link Backend} value.
 * @param f - The code to run.
 * @returns What `f` returns.
 * @throws ArgumentError - when `backend` is not a registered name or a backend, or
 *   `f` is not a function; whatever `f` throws is rethrown after the previous
 *   backend is restored.
 *
 * @example
 * ```ts
 * import { withBackend, currentBackend } from '@mnemo/core';
 * const name = withBackend('cpu', () => currentBackend().name);
 * console.assert(name === 'cpu');
 * ```
 * @category Backends
 */
export function withBackend<T>(backend: string | Backend, f: () => T): T {
  if (typeof f !== 'function') throw new ArgumentError('withBackend', 'f', `expected a function, got ${formatValue(f)}`);
  const prev = setBackend(backend);
  try {
    return f();
  } finally {
    current = prev;
  }
}
