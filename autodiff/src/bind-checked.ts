/**
 * The public `bind`: the tape's `bind` behind a check of its arguments. The
 * ops call the tape's `bind` directly with parameters they built themselves;
 * a user calling `bind` gets the same checks an op would make, so that a
 * wrong primitive name, input count or parameter is a typed error rather
 * than a crash in a kernel or, later, in the primitive's VJP rule (which
 * reads its parameters as the ops write them: axes normalized, sizes
 * resolved).
 *
 * @module
 */
import { ArgumentError, Tensor, checkFlag, checkOptions, formatValue, normalizeAxes, normalizeAxis } from '@mnemo/core';
import { BINARY_PRIMS, COMPARE_PRIMS, IMPLS, UNARY_PRIMS, type Prim, type PrimParams } from './prims.js';
import { bind as bindOnTape } from './tape.js';

type Params = Readonly<Record<string, unknown>>;

function list(prim: string, arg: string, v: unknown): readonly unknown[] {
  if (!Array.isArray(v)) throw new ArgumentError(prim, arg, `expected an array, got ${formatValue(v)}`);
  return v;
}

function int(prim: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ArgumentError(prim, arg, `expected an integer, got ${formatValue(v)}`);
  return v;
}

const reduction = (prim: string, [x]: readonly Tensor[], p: Params): Params => ({
  axes: normalizeAxes(prim, p['axes'] as number[] | undefined, x!.rank),
  keepDims: checkFlag(prim, 'keepDims', p['keepDims'], false),
});

const argReduction = (prim: string, [x]: readonly Tensor[], p: Params): Params => ({
  axis: normalizeAxis(prim, p['axis'] as number, x!.rank),
  keepDims: checkFlag(prim, 'keepDims', p['keepDims'], false),
});

/** Per primitive: how many inputs (-1: one or more) and the parameters in the form its kernel and rule read. */
const SIGNATURES: { readonly [P in Prim]?: readonly [number, (prim: string, xs: readonly Tensor[], p: Params) => Params] } = {
  where: [3, () => ({})],
  identity: [1, () => ({})],
  sum: [1, reduction],
  max: [1, reduction],
  min: [1, reduction],
  logsumexp: [1, reduction],
  argmax: [1, argReduction],
  argmin: [1, argReduction],
  matmul: [2, (prim, _xs, p) => ({ transA: checkFlag(prim, 'transA', p['transA'], false), transB: checkFlag(prim, 'transB', p['transB'], false) })],
  reshape: [1, (prim, _xs, p) => ({ shape: list(prim, 'shape', p['shape']).slice() })],
  transpose: [1, (prim, [x], p) => ({ perm: list(prim, 'perm', p['perm']).map((a) => normalizeAxis(prim, a as number, x!.rank, 'perm')) })],
  broadcastTo: [1, (prim, _xs, p) => ({ shape: list(prim, 'shape', p['shape']).slice() })],
  slice: [
    1,
    (prim, [x], p) => {
      const begin = list(prim, 'begin', p['begin']).map((b) => int(prim, 'begin', b));
      const size = list(prim, 'size', p['size']).map((s, i) => (s === -1 ? x!.shape[i]! - (begin[i] ?? 0) : int(prim, 'size', s)));
      return { begin, size };
    },
  ],
  concat: [-1, (prim, [x], p) => ({ axis: normalizeAxis(prim, p['axis'] as number, x!.rank) })],
  pad: [
    1,
    (prim, _xs, p) => {
      const widths = list(prim, 'widths', p['widths']).map((w) => list(prim, 'widths', w).slice());
      const value = p['value'] ?? 0;
      if (typeof value !== 'number') throw new ArgumentError(prim, 'value', `expected a number, got ${formatValue(value)}`);
      return { widths, value };
    },
  ],
  gather: [2, (prim, [x], p) => ({ axis: normalizeAxis(prim, p['axis'] as number, x!.rank) })],
  scatterAdd: [
    2,
    (prim, _xs, p) => {
      const shape = list(prim, 'shape', p['shape']).slice();
      return { axis: normalizeAxis(prim, p['axis'] as number, shape.length), shape };
    },
  ],
  oneHot: [1, (_prim, [x], p) => ({ depth: p['depth'], dtype: p['dtype'] ?? x!.dtype })],
  cast: [1, (_prim, _xs, p) => ({ dtype: p['dtype'] })],
};

const ARITY: Readonly<Record<string, number>> = {
  ...Object.fromEntries(UNARY_PRIMS.map((p) => [p, 1])),
  ...Object.fromEntries(BINARY_PRIMS.map((p) => [p, 2])),
  ...Object.fromEntries(COMPARE_PRIMS.map((p) => [p, 2])),
};

/**
 * Apply a primitive to tensors: run its kernel on the current backend and,
 * when an input is traced, record it on the active tapes. Every op is a thin
 * wrapper around `bind`. The primitive's name, the number of inputs and the
 * parameters are checked first, as the op for that primitive would build
 * them (reduction axes may be negative or omitted, a slice's size may be -1).
 *
 * @param prim - The primitive's name (one of {@link PRIMS}).
 * @param args - Its input tensors (one, two or three; one or more for `concat`).
 * @param params - Its static parameters ({@link PrimParams}; `{}` for most).
 * @returns The output tensor.
 * @throws `ArgumentError` for an unknown primitive, a wrong number of inputs, an input that is not a tensor or a bad parameter; the kernel's own `ShapeError` or `DTypeError` for inputs that do not fit.
 *
 * @example
 * ```ts
 * import { bind } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const y = bind('matmul', [tensor([[1, 2]]), tensor([[3], [4]])], { transA: false, transB: false });
 * console.assert(y.item() === 11);
 * ```
 * @category Primitives
 */
export function bind<P extends Prim>(prim: P, args: readonly Tensor[], params: PrimParams[P]): Tensor {
  if (typeof prim !== 'string' || !Object.hasOwn(IMPLS, prim)) {
    throw new ArgumentError('bind', 'prim', `unknown primitive ${formatValue(prim)}; see PRIMS for the names`);
  }
  const inputs = list(prim, 'args', args);
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new ArgumentError(prim, `args[${i}]`, `expected a Tensor, got ${formatValue(x)}`);
  });
  const xs = inputs as readonly Tensor[];
  const p = checkOptions(prim, 'params', params as Params | undefined);
  const sig = SIGNATURES[prim];
  const arity = sig?.[0] ?? ARITY[prim]!;
  if (arity === -1 ? xs.length === 0 : xs.length !== arity) {
    throw new ArgumentError(prim, 'args', `${prim} takes ${arity === -1 ? 'one or more inputs' : `${arity} input(s)`}, got ${xs.length}`);
  }
  const clean = sig === undefined ? {} : sig[1](prim, xs, p);
  return bindOnTape(prim, xs, clean as PrimParams[P]);
}
