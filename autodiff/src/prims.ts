/**
 * The closed set of primitives. Every differentiable op is either one of these
 * applied with {@link bind}, or a composition of them.
 *
 * @module
 */
import type { DType, Tensor, UnaryOp, BinaryOp, CompareOp } from '@mnemo/core';
import { UNARY_OPS, currentBackend } from '@mnemo/core';

/**
 * The elementwise primitives of one tensor: core's {@link UNARY_OPS}, the
 * one list of them (each is a primitive of the same name, run by the
 * backend's `unary` kernel).
 *
 * @example
 * ```ts
 * import { UNARY_PRIMS } from '@mnemo/autodiff';
 * console.assert((UNARY_PRIMS as readonly string[]).includes('neg'));
 * ```
 * @category Primitives
 */
export const UNARY_PRIMS = UNARY_OPS;
/**
 * The elementwise primitives of two tensors, which broadcast their shapes: add,
 * sub, mul, div, pow, maximum, minimum.
 *
 * @example
 * ```ts
 * import { BINARY_PRIMS } from '@mnemo/autodiff';
 * console.assert((BINARY_PRIMS as readonly string[]).includes('add'));
 * ```
 * @category Primitives
 */
export const BINARY_PRIMS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const satisfies readonly BinaryOp[];
/**
 * The comparison primitives (1 where true, 0 elsewhere; no gradient).
 *
 * @example
 * ```ts
 * import { COMPARE_PRIMS } from '@mnemo/autodiff';
 * console.assert((COMPARE_PRIMS as readonly string[]).includes('less'));
 * ```
 * @category Primitives
 */
export const COMPARE_PRIMS = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const satisfies readonly CompareOp[];

/**
 * The parameters of a primitive that takes none.
 *
 * @example
 * ```ts
 * import type { NoParams } from '@mnemo/autodiff';
 * const p: NoParams = {};
 * console.assert(Object.keys(p).length === 0);
 * ```
 * @category Primitives
 */
export type NoParams = Record<string, never>;

/**
 * The static parameters of each primitive, keyed by the primitive's name.
 * `Prim` is exactly the set of keys, so the compiler checks that every
 * primitive has parameters, a kernel and a VJP rule.
 *
 * @example
 * ```ts
 * import type { PrimParams } from '@mnemo/autodiff';
 * const p: PrimParams['matmul'] = { transA: false, transB: true };
 * console.assert(p.transB);
 * ```
 * @category Primitives
 */
export interface PrimParams
  extends Record<(typeof UNARY_PRIMS)[number], NoParams>,
    Record<(typeof BINARY_PRIMS)[number], NoParams>,
    Record<(typeof COMPARE_PRIMS)[number], NoParams> {
  where: NoParams;
  sum: { axes: readonly number[]; keepDims: boolean };
  max: { axes: readonly number[]; keepDims: boolean };
  min: { axes: readonly number[]; keepDims: boolean };
  logsumexp: { axes: readonly number[]; keepDims: boolean };
  argmax: { axis: number; keepDims: boolean };
  argmin: { axis: number; keepDims: boolean };
  matmul: { transA: boolean; transB: boolean };
  reshape: { shape: readonly number[] };
  transpose: { perm: readonly number[] };
  broadcastTo: { shape: readonly number[] };
  slice: { begin: readonly number[]; size: readonly number[] };
  concat: { axis: number };
  pad: { widths: readonly (readonly [number, number])[]; value: number };
  gather: { axis: number };
  scatterAdd: { axis: number; shape: readonly number[] };
  oneHot: { depth: number; dtype: DType };
  cast: { dtype: DType };
  identity: NoParams;
}

/**
 * The name of a primitive: one of {@link PRIMS}, the key of the rule table and
 * of each kernel.
 *
 * @example
 * ```ts
 * import { PRIMS, type Prim } from '@mnemo/autodiff';
 * const p: Prim = 'tanh';
 * console.assert(PRIMS.includes(p));
 * ```
 * @category Primitives
 */
export type Prim = keyof PrimParams;

type Impl<P extends Prim> = (inputs: readonly Tensor[], params: PrimParams[P]) => Tensor;

const unaryImpl = (op: UnaryOp): Impl<Prim> => (x) => currentBackend().unary(op, x[0]!);
const binaryImpl = (op: BinaryOp): Impl<Prim> => (x) => currentBackend().binary(op, x[0]!, x[1]!);
const compareImpl = (op: CompareOp): Impl<Prim> => (x) => currentBackend().compare(op, x[0]!, x[1]!);

/** The forward kernel of each primitive on the current backend. @internal */
export const IMPLS: { readonly [P in Prim]: Impl<P> } = {
  ...(Object.fromEntries(UNARY_PRIMS.map((p) => [p, unaryImpl(p)])) as Record<(typeof UNARY_PRIMS)[number], Impl<Prim>>),
  ...(Object.fromEntries(BINARY_PRIMS.map((p) => [p, binaryImpl(p)])) as Record<(typeof BINARY_PRIMS)[number], Impl<Prim>>),
  ...(Object.fromEntries(COMPARE_PRIMS.map((p) => [p, compareImpl(p)])) as Record<(typeof COMPARE_PRIMS)[number], Impl<Prim>>),
  where: ([c, a, b]) => currentBackend().where(c!, a!, b!),
  sum: ([x], p) => currentBackend().reduce('sum', x!, p.axes, p.keepDims),
  max: ([x], p) => currentBackend().reduce('max', x!, p.axes, p.keepDims),
  min: ([x], p) => currentBackend().reduce('min', x!, p.axes, p.keepDims),
  logsumexp: ([x], p) => currentBackend().reduce('logsumexp', x!, p.axes, p.keepDims),
  argmax: ([x], p) => currentBackend().argReduce('argmax', x!, p.axis, p.keepDims),
  argmin: ([x], p) => currentBackend().argReduce('argmin', x!, p.axis, p.keepDims),
  matmul: ([a, b], p) => currentBackend().matmul(a!, b!, p.transA, p.transB),
  reshape: ([x], p) => currentBackend().reshape(x!, p.shape),
  transpose: ([x], p) => currentBackend().transpose(x!, p.perm),
  broadcastTo: ([x], p) => currentBackend().broadcastTo(x!, p.shape),
  slice: ([x], p) => currentBackend().slice(x!, p.begin, p.size),
  concat: (xs, p) => currentBackend().concat(xs, p.axis),
  pad: ([x], p) => currentBackend().pad(x!, p.widths, p.value),
  gather: ([x, i], p) => currentBackend().gather(x!, i!, p.axis),
  scatterAdd: ([i, u], p) => currentBackend().scatterAdd(i!, u!, p.axis, p.shape),
  oneHot: ([i], p) => currentBackend().oneHot(i!, p.depth, p.dtype),
  cast: ([x], p) => currentBackend().cast(x!, p.dtype),
  identity: ([x]) => currentBackend().reshape(x!, x!.shape),
};

/**
 * Every primitive's name: the operations that the tape records and that have a
 * VJP rule each; ops are compositions of them.
 *
 * @example
 * ```ts
 * import { PRIMS } from '@mnemo/autodiff';
 * console.assert(PRIMS.includes('matmul') && PRIMS.includes('sigmoid'));
 * ```
 * @category Primitives
 */
export const PRIMS: readonly Prim[] = Object.keys(IMPLS) as Prim[];
