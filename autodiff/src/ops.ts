/**
 * The differentiable ops users call. Each is a thin wrapper around
 * {@link bind} (a primitive) or a short composition of other ops.
 *
 * @module
 */
import {
  ArgumentError,
  ShapeError,
  Tensor,
  checkFlag,
  checkOptions,
  checkShape,
  formatShape,
  formatValue,
  normalizeAxes,
  normalizeAxis,
  scalar,
  shapesEqual,
  unbroadcastAxes,
  type DType,
} from '@mnemo/core';
import type { UNARY_PRIMS } from './prims.js';
import { bind } from './tape.js';

/**
 * A tensor, or a plain number that is turned into a scalar of the other
 * operand's dtype.
 *
 * @example
 * ```ts
 * import { mul, type Operand } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const two: Operand = 2;
 * console.assert(mul(tensor([3]), two).item() === 6);
 * ```
 * @category Ops
 */
export type Operand = Tensor | number;

function lift(op: string, arg: string, x: Operand, like: Operand): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number') throw new ArgumentError(op, arg, `expected a Tensor or a number, got ${x === null ? 'null' : typeof x}`);
  return scalar(x, like instanceof Tensor ? like.dtype : 'float32');
}

function tensorArg(op: string, arg: string, x: unknown): Tensor {
  if (x instanceof Tensor) return x;
  throw new ArgumentError(op, arg, `expected a Tensor, got ${x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x}`);
}

/** An array of numbers (the integers are checked by the kernel, which names its own argument). */
function numberList(op: string, arg: string, x: unknown): readonly number[] {
  if (!Array.isArray(x) || !x.every((v) => typeof v === 'number')) throw new ArgumentError(op, arg, `expected an array of numbers, got ${formatValue(x)}`);
  return x as readonly number[];
}

function integer(op: string, arg: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new ArgumentError(op, arg, `expected an integer, got ${formatValue(x)}`);
  return x;
}

function numberArg(op: string, arg: string, x: unknown): number {
  if (typeof x !== 'number' || Number.isNaN(x)) throw new ArgumentError(op, arg, `expected a number, got ${formatValue(x)}`);
  return x;
}

function binary(prim: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum', a: Operand, b: Operand): Tensor {
  return bind(prim, [lift(prim, 'a', a, b), lift(prim, 'b', b, a)], {});
}

type UnaryPrim = (typeof UNARY_PRIMS)[number];

function unary(prim: UnaryPrim, x: Tensor): Tensor {
  return bind(prim, [tensorArg(prim, 'x', x)], {});
}

// ---------------------------------------------------------------------------
// Elementwise
// ---------------------------------------------------------------------------

/**
 * Elementwise sum `a + b`, broadcasting the shapes as NumPy does; the gradient
 * of each operand is the incoming gradient summed back to its shape.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of the broadcast shape of `a` and `b`, in their dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { add } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(add(tensor([1, 2]), 1).toArray().join() === '2,3');
 * ```
 * @category Ops
 */
export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
/**
 * Elementwise difference `a - b`, broadcasting as NumPy does; `b`'s gradient is
 * the negated incoming gradient summed back to its shape.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of the broadcast shape of `a` and `b`, in their dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { sub } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(sub(tensor([1, 2]), 1).toArray().join() === '0,1');
 * ```
 * @category Ops
 */
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
/**
 * Elementwise product `a * b` (the Hadamard product, not the matrix product),
 * broadcasting; the gradients are `g * b` and `g * a`.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of the broadcast shape of `a` and `b`, in their dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { mul } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(mul(tensor([1, 2]), tensor([3, 4])).toArray().join() === '3,8');
 * ```
 * @category Ops
 */
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
/**
 * Elementwise quotient `a / b`, broadcasting (division by 0 gives an infinity
 * or NaN, as in JavaScript); gradients `g / b` and `-g a / b^2`.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of the broadcast shape of `a` and `b`, in their dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { div } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(div(tensor([1, 2]), 2).toArray().join() === '0.5,1');
 * ```
 * @category Ops
 */
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
/**
 * Elementwise power `a ** b`, broadcasting; a negative base with a fractional
 * exponent gives NaN, as `Math.pow` does.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of the broadcast shape of `a` and `b`, in their dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { pow } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(pow(tensor([2, 3]), 2).toArray().join() === '4,9');
 * ```
 * @category Ops
 */
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
/**
 * The larger of `a` and `b`, elementwise with broadcasting; at a tie the
 * gradient is split equally between them.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of the broadcast shape of `a` and `b`, in their dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { maximum } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(maximum(tensor([1, 5]), 3).toArray().join() === '3,5');
 * ```
 * @category Ops
 */
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
/**
 * The smaller of `a` and `b`, elementwise with broadcasting; at a tie the
 * gradient is split equally between them.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of the broadcast shape of `a` and `b`, in their dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { minimum } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(minimum(tensor([1, 5]), 3).toArray().join() === '1,3');
 * ```
 * @category Ops
 */
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);

/**
 * The elementwise negation `-x`, of the same shape and dtype; its gradient is
 * the negated incoming gradient.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { neg } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(neg(tensor([1])).item() === -1);
 * ```
 * @category Ops
 */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/**
 * The elementwise exponential `e^x` (Infinity past about 88.7 in float32, 709.8
 * in float64); its gradient reuses the output.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { exp } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(exp(tensor([0])).item() === 1);
 * ```
 * @category Ops
 */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/**
 * The elementwise natural logarithm `ln x`: -Infinity at 0 and NaN below 0; its
 * gradient is `g / x`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { log } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(log(tensor([1])).item() === 0);
 * ```
 * @category Ops
 */
export const log = (x: Tensor): Tensor => unary('log', x);
/**
 * `ln(1 + x)` elementwise, accurate for small `x` where `log(add(1, x))` loses
 * digits; its gradient is `g / (1 + x)`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { log1p } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * // ln(1 + x) = x - x^2/2 + ...: log(add(1, x)) would give 1.00000008e-10.
 * console.assert(Math.abs(log1p(tensor([1e-10], 'float64')).item() - (1e-10 - 5e-21)) < 1e-25);
 * ```
 * @category Ops
 */
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
/**
 * `e^x - 1` elementwise, accurate for small `x` where `sub(exp(x), 1)` cancels;
 * its gradient is `g e^x`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { expm1 } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(expm1(tensor([1e-10], 'float64')).item() === 1.00000000005e-10);
 * ```
 * @category Ops
 */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/**
 * The elementwise square root (NaN below 0); its gradient `g / (2 sqrt(x))` is
 * infinite at 0.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { sqrt } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(sqrt(tensor([9])).item() === 3);
 * ```
 * @category Ops
 */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/**
 * The elementwise reciprocal square root `1 / sqrt(x)`, as normalization uses
 * it; Infinity at 0, NaN below.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { rsqrt } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(rsqrt(tensor([4])).item() === 0.5);
 * ```
 * @category Ops
 */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/**
 * The elementwise absolute value `|x|`; its gradient is `g * sign(x)`, which is
 * 0 at `x = 0`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { abs } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(abs(tensor([-2])).item() === 2);
 * ```
 * @category Ops
 */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/**
 * The elementwise sign of `x`: -1 below 0, 0 at 0, 1 above (NaN stays NaN); it
 * has a zero gradient.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { sign } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(sign(tensor([-2, 0, 3])).toArray().join() === '-1,0,1');
 * ```
 * @category Ops
 */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/**
 * The elementwise hyperbolic tangent, the LSTM's squashing function, in `(-1,
 * 1)`; its gradient is `g (1 - tanh(x)^2)`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { tanh } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(tanh(tensor([0])).item() === 0);
 * ```
 * @category Ops
 */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/**
 * The elementwise logistic function `1 / (1 + e^-x)`, the gate activation,
 * computed without overflow; its gradient is `g s (1 - s)`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { sigmoid } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(sigmoid(tensor([0])).item() === 0.5 && sigmoid(tensor([-1000])).item() === 0);
 * ```
 * @category Ops
 */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/**
 * The rectified linear unit `max(x, 0)` elementwise; its gradient is `g` where
 * `x > 0` and 0 elsewhere, at 0 too.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { relu } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(relu(tensor([-1, 2])).toArray().join() === '0,2');
 * ```
 * @category Ops
 */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/**
 * The Heaviside step function elementwise: 1 where `x > 0`, else 0; it has a
 * zero gradient everywhere.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { step } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(step(tensor([-1, 0, 2])).toArray().join() === '0,0,1');
 * ```
 * @category Ops
 */
export const step = (x: Tensor): Tensor => unary('step', x);
/**
 * The elementwise square `x^2`, cheaper and more exact than `pow(x, 2)`; its
 * gradient is `2 g x`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { square } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(square(tensor([3])).item() === 9);
 * ```
 * @category Ops
 */
export const square = (x: Tensor): Tensor => unary('square', x);
/**
 * The elementwise reciprocal `1 / x` (an infinity at 0); its gradient is `-g /
 * x^2`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { reciprocal } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(reciprocal(tensor([4])).item() === 0.25);
 * ```
 * @category Ops
 */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
/**
 * The elementwise sine of `x`, in radians, of the same shape and dtype; its
 * gradient is `g cos(x)`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { sin } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(sin(tensor([0])).item() === 0);
 * ```
 * @category Ops
 */
export const sin = (x: Tensor): Tensor => unary('sin', x);
/**
 * The elementwise cosine of `x`, in radians, of the same shape and dtype; its
 * gradient is `-g sin(x)`.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { cos } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(cos(tensor([0])).item() === 1);
 * ```
 * @category Ops
 */
export const cos = (x: Tensor): Tensor => unary('cos', x);
/**
 * Round each element down to the nearest integer (toward -Infinity), keeping
 * the dtype; zero gradient.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { floor } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(floor(tensor([1.5])).item() === 1);
 * ```
 * @category Ops
 */
export const floor = (x: Tensor): Tensor => unary('floor', x);
/**
 * Round each element up to the nearest integer (toward +Infinity), keeping the
 * dtype; zero gradient.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { ceil } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(ceil(tensor([1.5])).item() === 2);
 * ```
 * @category Ops
 */
export const ceil = (x: Tensor): Tensor => unary('ceil', x);
/**
 * Round each element to the nearest integer, halves to the even one (banker's
 * rounding); zero gradient.
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { round } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(round(tensor([2.5])).item() === 2);
 * ```
 * @category Ops
 */
export const round = (x: Tensor): Tensor => unary('round', x);

function compare(prim: 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual', a: Operand, b: Operand): Tensor {
  return bind(prim, [lift(prim, 'a', a, b), lift(prim, 'b', b, a)], {});
}

/**
 * 1 where `a == b`, else 0, elementwise with broadcasting, in the operands'
 * dtype; the result has a zero gradient, so it serves as a mask.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of 0s and 1s of the broadcast shape, in the operands' dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { equal } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(equal(tensor([1, 2]), 2).toArray().join() === '0,1');
 * ```
 * @category Comparisons
 */
export const equal = (a: Operand, b: Operand): Tensor => compare('equal', a, b);
/**
 * 1 where `a != b`, else 0, elementwise with broadcasting, in the operands'
 * dtype; the result has a zero gradient, so it serves as a mask.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of 0s and 1s of the broadcast shape, in the operands' dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { notEqual } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(notEqual(tensor([1, 2]), 2).toArray().join() === '1,0');
 * ```
 * @category Comparisons
 */
export const notEqual = (a: Operand, b: Operand): Tensor => compare('notEqual', a, b);
/**
 * 1 where `a < b`, else 0, elementwise with broadcasting, in the operands'
 * dtype; the result has a zero gradient, so it serves as a mask.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of 0s and 1s of the broadcast shape, in the operands' dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { less } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(less(tensor([1, 2]), 2).toArray().join() === '1,0');
 * ```
 * @category Comparisons
 */
export const less = (a: Operand, b: Operand): Tensor => compare('less', a, b);
/**
 * 1 where `a <= b`, else 0, elementwise with broadcasting, in the operands'
 * dtype; the result has a zero gradient, so it serves as a mask.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of 0s and 1s of the broadcast shape, in the operands' dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { lessEqual } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(lessEqual(tensor([1, 2]), 2).toArray().join() === '1,1');
 * ```
 * @category Comparisons
 */
export const lessEqual = (a: Operand, b: Operand): Tensor => compare('lessEqual', a, b);
/**
 * 1 where `a > b`, else 0, elementwise with broadcasting, in the operands'
 * dtype; the result has a zero gradient, so it serves as a mask.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of 0s and 1s of the broadcast shape, in the operands' dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { greater } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(greater(tensor([1, 3]), 2).toArray().join() === '0,1');
 * ```
 * @category Comparisons
 */
export const greater = (a: Operand, b: Operand): Tensor => compare('greater', a, b);
/**
 * 1 where `a >= b`, else 0, elementwise with broadcasting, in the operands'
 * dtype; the result has a zero gradient, so it serves as a mask.
 *
 * @param a - A tensor, or a number (made a scalar of `b`'s dtype).
 * @param b - A tensor, or a number (made a scalar of `a`'s dtype).
 * @returns A tensor of 0s and 1s of the broadcast shape, in the operands' dtype.
 * @throws ArgumentError - when an operand is neither a tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast (the message gives both).
 * @throws DTypeError - when `a` and `b` are tensors of different dtypes (cast one
 *   first).
 *
 * @example
 * ```ts
 * import { greaterEqual } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(greaterEqual(tensor([1, 2]), 2).toArray().join() === '0,1');
 * ```
 * @category Comparisons
 */
export const greaterEqual = (a: Operand, b: Operand): Tensor => compare('greaterEqual', a, b);

/**
 * `cond != 0 ? a : b` elementwise, broadcasting all three. The gradient flows
 * to `a` where the condition holds and to `b` elsewhere; `cond` gets none.
 *
 * @param cond - The condition: nonzero selects `a`.
 * @param a - Values where `cond` holds: a tensor, or a number (of the other
 *   operands' dtype).
 * @param b - Values elsewhere: a tensor, or a number.
 * @returns A tensor of the broadcast shape of the three.
 * @throws ArgumentError - when `cond` is not a tensor, or `a` or `b` is neither a
 *   tensor nor a number.
 * @throws ShapeError - when the shapes do not broadcast.
 * @throws DTypeError - when the tensors' dtypes differ.
 *
 * @example
 * ```ts
 * import { where } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(where(tensor([1, 0]), tensor([5, 5]), 7).toArray().join() === '5,7');
 * ```
 * @category Ops
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const c = tensorArg('where', 'cond', cond);
  return bind('where', [c, lift('where', 'a', a, b instanceof Tensor ? b : c), lift('where', 'b', b, a instanceof Tensor ? a : c)], {});
}

// ---------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------

/**
 * Options of a reduction: the axes to reduce (all when omitted; negative
 * counts from the end) and whether to keep them as size-1 axes.
 *
 * @example
 * ```ts
 * import { sum, type ReduceOptions } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const o: ReduceOptions = { axes: -1, keepDims: true };
 * console.assert(sum(tensor([[1, 2]]), o).shape.join() === '1,1');
 * ```
 * @category Reductions
 */
export interface ReduceOptions {
  readonly axes?: number | readonly number[];
  readonly keepDims?: boolean;
}

function reduceWith(prim: 'sum' | 'max' | 'min' | 'logsumexp', x: Tensor, options?: ReduceOptions): Tensor {
  const t = tensorArg(prim, 'x', x);
  const o = checkOptions(prim, 'options', options);
  const axes = normalizeAxes(prim, o.axes, t.rank);
  // The kernels give the identities (-Infinity, Infinity) for empty maxima and minima; a user gets told.
  if (prim === 'max' || prim === 'min') checkNotEmpty(prim, t, axes);
  return bind(prim, [t], { axes, keepDims: checkFlag(prim, 'keepDims', o.keepDims, false) });
}

/**
 * Throws a ShapeError when a reduction that has no value for zero elements
 * (the mean, the maximum, the minimum) would reduce zero elements into an
 * output that has some: the result would be NaN or an infinity without a
 * word. An empty output (a kept axis of size 0) is fine.
 */
function checkNotEmpty(op: string, t: Tensor, axes: readonly number[]): void {
  const count = axes.reduce((c, a) => c * t.shape[a]!, 1);
  if (count !== 0) return;
  const kept = t.shape.reduce((n, d, i) => (axes.includes(i) ? n : n * d), 1);
  if (kept === 0) return;
  const over = axes.length === t.rank ? 'all axes' : `axes [${axes.join(', ')}]`;
  throw new ShapeError(op, 'x', `reduces zero elements: ${over} of shape ${formatShape(t.shape)} hold none, and the ${op} of nothing is undefined`);
}

/**
 * Sum of the elements over some axes (all by default); the gradient broadcasts
 * the incoming one back over the reduced axes.
 *
 * @param x - A tensor of either dtype.
 * @param o - `axes` (default all; negative counts from the end) and `keepDims`
 *   (default false).
 * @returns A tensor without the reduced axes (size 1 with `keepDims`), in `x`'s
 *   dtype.
 * @throws ArgumentError - when `x` is not a tensor, `options` is not an object, an
 *   axis is out of range or given twice, or `keepDims` is not a boolean.
 * @throws ShapeError - never for a sum (an empty sum is 0); the check it shares
 *   refuses only a maximum or minimum of nothing.
 *
 * @example
 * ```ts
 * import { sum } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(sum(tensor([[1, 2], [3, 4]]), { axes: 0 }).toArray().join() === '4,6');
 * ```
 * @category Reductions
 */
export const sum = (x: Tensor, o?: ReduceOptions): Tensor => reduceWith('sum', x, o);
/**
 * Maximum of the elements over some axes (all by default); at a tie the
 * gradient is shared equally among the maxima.
 *
 * @param x - A tensor of either dtype.
 * @param o - `axes` (default all; negative counts from the end) and `keepDims`
 *   (default false).
 * @returns A tensor without the reduced axes (size 1 with `keepDims`), in `x`'s
 *   dtype.
 * @throws ArgumentError - when `x` is not a tensor, `options` is not an object, an
 *   axis is out of range or given twice, or `keepDims` is not a boolean.
 * @throws ShapeError - when the reduced axes hold no elements but the result would
 *   have some: the maximum of nothing is undefined.
 *
 * @example
 * ```ts
 * import { max } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(max(tensor([1, 5, 2])).item() === 5);
 * ```
 * @category Reductions
 */
export const max = (x: Tensor, o?: ReduceOptions): Tensor => reduceWith('max', x, o);
/**
 * Minimum of the elements over some axes (all by default); at a tie the
 * gradient is shared equally among the minima.
 *
 * @param x - A tensor of either dtype.
 * @param o - `axes` (default all; negative counts from the end) and `keepDims`
 *   (default false).
 * @returns A tensor without the reduced axes (size 1 with `keepDims`), in `x`'s
 *   dtype.
 * @throws ArgumentError - when `x` is not a tensor, `options` is not an object, an
 *   axis is out of range or given twice, or `keepDims` is not a boolean.
 * @throws ShapeError - when the reduced axes hold no elements but the result would
 *   have some: the minimum of nothing is undefined.
 *
 * @example
 * ```ts
 * import { min } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(min(tensor([1, 5, 2])).item() === 1);
 * ```
 * @category Reductions
 */
export const min = (x: Tensor, o?: ReduceOptions): Tensor => reduceWith('min', x, o);
/**
 * `log(sum(exp(x)))` over some axes (all by default), computed stably by
 * shifting by the maximum; its gradient is the softmax.
 *
 * @param x - A tensor of either dtype.
 * @param o - `axes` (default all; negative counts from the end) and `keepDims`
 *   (default false).
 * @returns A tensor without the reduced axes (size 1 with `keepDims`), in `x`'s
 *   dtype.
 * @throws ArgumentError - when `x` is not a tensor, `options` is not an object, an
 *   axis is out of range or given twice, or `keepDims` is not a boolean.
 * @throws ShapeError - never for logsumexp (over nothing it is -Infinity); the
 *   check it shares refuses only a maximum or minimum of nothing.
 *
 * @example
 * ```ts
 * import { logsumexp } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(Math.abs(logsumexp(tensor([1000, 1000], 'float64')).item() - (1000 + Math.log(2))) < 1e-9);
 * ```
 * @category Reductions
 */
export const logsumexp = (x: Tensor, o?: ReduceOptions): Tensor => reduceWith('logsumexp', x, o);

/**
 * Arithmetic mean of the elements over some axes (all by default): the sum
 * divided by the number of elements reduced.
 *
 * @param x - A tensor of either dtype.
 * @param options - `axes` (default all; negative counts from the end) and
 *   `keepDims` (default false).
 * @returns A tensor without the reduced axes (size 1 with `keepDims`), in `x`'s
 *   dtype.
 * @throws ArgumentError - when `x` is not a tensor, `options` is not an object, an
 *   axis is out of range or given twice, or `keepDims` is not a boolean.
 * @throws ShapeError - when the reduced axes hold no elements but the result would
 *   have some: the mean of nothing is undefined.
 *
 * @example
 * ```ts
 * import { mean } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(mean(tensor([1, 2, 3, 6])).item() === 3);
 * ```
 * @category Reductions
 */
export function mean(x: Tensor, options?: ReduceOptions): Tensor {
  const t = tensorArg('mean', 'x', x);
  const o = checkOptions('mean', 'options', options);
  const axes = normalizeAxes('mean', o.axes, t.rank);
  const count = axes.reduce((c, a) => c * t.shape[a]!, 1);
  checkNotEmpty('mean', t, axes);
  return div(sum(t, { axes, keepDims: checkFlag('mean', 'keepDims', o.keepDims, false) }), count);
}

/**
 * Population variance over some axes (all by default), dividing by n, not n -
 * 1: `mean((x - mean(x))^2)`.
 *
 * @param x - A tensor of either dtype.
 * @param options - `axes` (default all; negative counts from the end) and
 *   `keepDims` (default false).
 * @returns A tensor without the reduced axes (size 1 with `keepDims`), in `x`'s
 *   dtype.
 * @throws ArgumentError - when `x` is not a tensor, `options` is not an object, an
 *   axis is out of range or given twice, or `keepDims` is not a boolean.
 * @throws ShapeError - when the reduced axes hold no elements but the result would
 *   have some: the variance of nothing is undefined.
 *
 * @example
 * ```ts
 * import { variance } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(variance(tensor([1, 3])).item() === 1);
 * ```
 * @category Reductions
 */
export function variance(x: Tensor, options?: ReduceOptions): Tensor {
  const o = checkOptions('variance', 'options', options);
  const m = mean(x, { axes: o.axes, keepDims: true });
  return mean(square(sub(x, m)), o);
}

/**
 * Euclidean (L2) norm over some axes (all by default): `sqrt(sum(x^2))`, the
 * length of each vector reduced; its gradient is `x / norm(x)`, and 0 where the
 * norm is 0.
 *
 * @param x - A tensor of either dtype.
 * @param options - `axes` (default all; negative counts from the end) and
 *   `keepDims` (default false).
 * @returns A tensor without the reduced axes (size 1 with `keepDims`), in `x`'s
 *   dtype.
 * @throws ArgumentError - when `x` is not a tensor, `options` is not an object, an
 *   axis is out of range or given twice, or `keepDims` is not a boolean.
 * @throws ShapeError - never in practice: it could only come from the size check
 *   of a scalar it makes, which holds one element.
 *
 * @example
 * ```ts
 * import { norm, grad } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * console.assert(norm(tensor([3, 4])).item() === 5);
 * console.assert(grad((x: Tensor) => norm(x))(tensor([0, 0], 'float64')).toArray().join() === '0,0');
 * ```
 * @category Reductions
 */
export function norm(x: Tensor, options?: ReduceOptions): Tensor {
  const s = sum(square(tensorArg('norm', 'x', x)), options);
  // Where s = 0 the outer where gives 0 and passes no gradient to sqrt; the
  // inner one keeps sqrt away from 0, where its rule 1 / (2 sqrt(s)) is
  // Infinity and Infinity * 0 would be NaN even though the outer where
  // discards that branch (the "double where").
  const zero = equal(s, 0);
  return where(zero, 0, sqrt(where(zero, 1, s)));
}

/**
 * Index of the largest value along an axis (the last by default), as float
 * values; the first index at a tie; no gradient.
 *
 * @param x - A tensor of either dtype.
 * @param axis - The axis to search (default -1, the last).
 * @param keepDims - Keep the axis with size 1 (default false).
 * @returns A tensor of `x`'s shape without `axis` (or with size 1), holding
 *   integer indices in `x`'s dtype.
 * @throws ArgumentError - when `x` is not a tensor, `axis` is out of range, or the
 *   axis is empty.
 *
 * @example
 * ```ts
 * import { argmax } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(argmax(tensor([[1, 9, 2], [7, 0, 1]])).toArray().join() === '1,0');
 * ```
 * @category Reductions
 */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  const t = tensorArg('argmax', 'x', x);
  return bind('argmax', [t], { axis: normalizeAxis('argmax', axis, t.rank), keepDims: checkFlag('argmax', 'keepDims', keepDims, false) });
}
/**
 * Index of the smallest value along an axis (the last by default), as float
 * values; the first index at a tie; no gradient.
 *
 * @param x - A tensor of either dtype.
 * @param axis - The axis to search (default -1, the last).
 * @param keepDims - Keep the axis with size 1 (default false).
 * @returns A tensor of `x`'s shape without `axis` (or with size 1), holding
 *   integer indices in `x`'s dtype.
 * @throws ArgumentError - when `x` is not a tensor, `axis` is out of range, or the
 *   axis is empty.
 *
 * @example
 * ```ts
 * import { argmin } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(argmin(tensor([3, 1, 2])).item() === 1);
 * ```
 * @category Reductions
 */
export function argmin(x: Tensor, axis = -1, keepDims = false): Tensor {
  const t = tensorArg('argmin', 'x', x);
  return bind('argmin', [t], { axis: normalizeAxis('argmin', axis, t.rank), keepDims: checkFlag('argmin', 'keepDims', keepDims, false) });
}

// ---------------------------------------------------------------------------
// Linear algebra
// ---------------------------------------------------------------------------

/**
 * Options of {@link matmul}: read an operand's last two axes transposed, without copying it.
 *
 * @example
 * ```ts
 * import { matmul, type MatmulOptions } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const o: MatmulOptions = { transB: true };
 * console.assert(matmul(tensor([[1, 2]]), tensor([[3, 4]]), o).item() === 11);
 * ```
 * @category Linear algebra
 */
export interface MatmulOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
}

/**
 * Matrix product. 2-D, or batched over leading axes (which broadcast); a 1-D
 * operand is treated as a row (a) or a column (b) vector and that axis is
 * dropped from the result, as in NumPy.
 *
 * @param a - The left operand: `[..., m, k]`, or `[k]` (a row vector).
 * @param b - The right operand: `[..., k, n]`, or `[k]` (a column vector).
 * @param options - `transA`, `transB`: read the operand's last two axes
 *   transposed, without a copy.
 * @returns `[..., m, n]`, the batch axes broadcast; a vector operand's axis is
 *   dropped.
 * @throws ArgumentError - when an operand is not a tensor, or `options` is not an
 *   object with boolean `transA` and `transB`.
 * @throws ShapeError - when an operand has rank 0, the inner sizes differ, or the
 *   batch axes do not broadcast (the message gives both shapes).
 * @throws DTypeError - when the dtypes differ.
 *
 * @example
 * ```ts
 * import { matmul } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(matmul(tensor([[1, 2], [3, 4]]), tensor([1, 1])).toArray().join() === '3,7');
 * ```
 * @category Linear algebra
 */
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  let x = tensorArg('matmul', 'a', a);
  let y = tensorArg('matmul', 'b', b);
  const o = checkOptions('matmul', 'options', options);
  const transA = checkFlag('matmul', 'transA', o.transA, false);
  const transB = checkFlag('matmul', 'transB', o.transB, false);
  const vecA = x.rank === 1;
  const vecB = y.rank === 1;
  if (x.rank === 0 || y.rank === 0) {
    throw new ShapeError('matmul', x.rank === 0 ? 'a' : 'b', `needs rank >= 1, got shapes ${formatShape(x.shape)} and ${formatShape(y.shape)}`);
  }
  if (vecA) x = reshape(x, [1, x.shape[0]!]);
  if (vecB) y = reshape(y, [y.shape[0]!, 1]);
  let out = bind('matmul', [x, y], { transA: transA && !vecA, transB: transB && !vecB });
  if (vecA || vecB) {
    const s = out.shape.slice();
    if (vecB) s.splice(s.length - 1, 1);
    if (vecA) s.splice(s.length - (vecB ? 1 : 2), 1);
    out = reshape(out, s);
  }
  return out;
}

/**
 * Inner product of two vectors, or of any two tensors of one shape: the sum of
 * their elementwise products, as a scalar.
 *
 * @param a - A tensor.
 * @param b - A tensor of `a`'s shape (or one that broadcasts with it).
 * @returns A scalar (shape `[]`).
 * @throws ArgumentError - when an operand is not a tensor.
 * @throws ShapeError - when the shapes do not broadcast.
 * @throws DTypeError - when the dtypes differ.
 *
 * @example
 * ```ts
 * import { dot } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(dot(tensor([1, 2]), tensor([3, 4])).item() === 11);
 * ```
 * @category Linear algebra
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  return sum(mul(a, b));
}

/**
 * Outer product of two vectors, `[n]` and `[m]` to `[n, m]`: entry `(i, j)` is
 * `a[i] * b[j]` (higher ranks are flattened first).
 *
 * @param a - The first vector (flattened if it has more axes).
 * @param b - The second vector (flattened likewise).
 * @returns A matrix `[n, m]`.
 * @throws ArgumentError - when an operand is not a tensor.
 * @throws DTypeError - when the dtypes differ.
 * @throws ShapeError - never in practice: it could only come from reshaping the
 *   operands into a column and a row, which always succeeds.
 *
 * @example
 * ```ts
 * import { outer } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(outer(tensor([1, 2]), tensor([3, 4])).toArray().join() === '3,4,6,8');
 * ```
 * @category Linear algebra
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  return mul(reshape(a, [-1, 1]), reshape(b, [1, -1]));
}

// ---------------------------------------------------------------------------
// Shapes and indexing
// ---------------------------------------------------------------------------

/**
 * The same elements, in row-major order, under a new shape of the same size;
 * one entry may be -1, inferred from the others. No copy.
 *
 * @param x - A tensor.
 * @param shape - The new shape: non-negative integers, at most one -1.
 * @returns A tensor of `shape` sharing `x`'s data.
 * @throws ArgumentError - when `x` is not a tensor, or `shape` has more than one
 *   -1 or an entry that is not an integer.
 * @throws ShapeError - when `shape` holds a different number of elements.
 *
 * @example
 * ```ts
 * import { reshape } from '@mnemo/autodiff';
 * import { arange } from '@mnemo/core';
 * console.assert(reshape(arange(6), [2, -1]).shape.join() === '2,3');
 * ```
 * @category Shapes
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const t = tensorArg('reshape', 'x', x);
  numberList('reshape', 'shape', shape);
  if (shapesEqual(t.shape, shape)) return t;
  return bind('reshape', [t], { shape: shape.slice() });
}

/**
 * Permute a tensor's axes: axis `i` of the result is axis `perm[i]` of `x`;
 * with no `perm`, reverse all axes (a matrix transpose).
 *
 * @param x - A tensor.
 * @param perm - A permutation of the axes (negative ones count from the end);
 *   default reversed.
 * @returns A tensor whose axis `i` has size `x.shape[perm[i]]`.
 * @throws ArgumentError - when `x` is not a tensor, or `perm` is not a permutation
 *   of its axes.
 *
 * @example
 * ```ts
 * import { transpose } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(transpose(tensor([[1, 2], [3, 4]])).toArray().join() === '1,3,2,4');
 * ```
 * @category Shapes
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const t = tensorArg('transpose', 'x', x);
  const p = perm === undefined ? t.shape.map((_, i) => t.rank - 1 - i) : numberList('transpose', 'perm', perm);
  // Negative axes count from the end; the rule inverts the permutation, so it needs them normalized.
  return bind('transpose', [t], { perm: p.map((a) => normalizeAxis('transpose', a, t.rank, 'perm')) });
}

/**
 * Broadcast a tensor to a larger shape by NumPy's rules, repeating it along
 * size-1 and new leading axes; the gradient sums back.
 *
 * @param x - A tensor.
 * @param shape - `x`'s shape must broadcast to it.
 * @returns A tensor of `shape`.
 * @throws ArgumentError - when `x` is not a tensor.
 * @throws ShapeError - when `x`'s shape does not broadcast to `shape`.
 *
 * @example
 * ```ts
 * import { broadcastTo } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(broadcastTo(tensor([1, 2]), [2, 2]).toArray().join() === '1,2,1,2');
 * ```
 * @category Shapes
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const t = tensorArg('broadcastTo', 'x', x);
  numberList('broadcastTo', 'shape', shape);
  if (shapesEqual(t.shape, shape)) return t;
  return bind('broadcastTo', [t], { shape: shape.slice() });
}

/**
 * Sum a gradient of shape `x.shape` back to `shape`, the shape of an input
 * that was broadcast (see `unbroadcastAxes` in core for the steps). The
 * adjoint of {@link broadcastTo}.
 *
 * @param x - A gradient, of the broadcast shape.
 * @param shape - The shape of the input that was broadcast.
 * @returns A tensor of `shape`: `x` summed over the broadcast axes.
 * @throws ShapeError - when `shape` does not broadcast to `x`'s shape.
 * @throws ArgumentError - when `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { unbroadcast } from '@mnemo/autodiff';
 * import { ones } from '@mnemo/core';
 * console.assert(unbroadcast(ones([4, 2, 3]), [2, 1]).toArray().join() === '12,12');
 * ```
 * @category Shapes
 */
export function unbroadcast(x: Tensor, shape: readonly number[]): Tensor {
  tensorArg('unbroadcast', 'x', x);
  numberList('unbroadcast', 'shape', shape);
  if (shapesEqual(x.shape, shape)) return x;
  const { leading, kept } = unbroadcastAxes(x.shape, shape);
  return reshape(sum(x, { axes: [...leading, ...kept], keepDims: true }), shape);
}

/**
 * Remove axes of size 1: all of them, or only the given ones (which must have
 * size 1). No copy.
 *
 * @param x - A tensor.
 * @param axes - The axes to remove (default every size-1 axis).
 * @returns A tensor with the same elements and fewer axes.
 * @throws ArgumentError - when an axis is out of range or given twice.
 * @throws ShapeError - when a given axis does not have size 1.
 *
 * @example
 * ```ts
 * import { squeeze } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * console.assert(squeeze(zeros([1, 3, 1])).shape.join() === '3');
 * ```
 * @category Shapes
 */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  tensorArg('squeeze', 'x', x);
  const ax = axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axes, x.rank);
  for (const a of ax) {
    if (x.shape[a] !== 1) throw new ShapeError('squeeze', 'axes', `axis ${a} of shape ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !ax.includes(i)));
}

/**
 * Insert an axis of size 1 at position `axis` (from `-(rank + 1)` to `rank`),
 * as `unsqueeze` does in PyTorch. No copy.
 *
 * @param x - A tensor.
 * @param axis - Where the new axis goes in the result.
 * @returns A tensor of rank one more.
 * @throws ArgumentError - when `axis` is out of range.
 *
 * @example
 * ```ts
 * import { expandDims } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * console.assert(expandDims(zeros([3]), 0).shape.join() === '1,3');
 * ```
 * @category Shapes
 */
export function expandDims(x: Tensor, axis: number): Tensor {
  tensorArg('expandDims', 'x', x);
  const a = normalizeAxis('expandDims', axis, x.rank + 1);
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/**
 * The block of `x` that starts at `begin` and has `size` entries on each axis
 * (-1: up to the end); its gradient pads with zeros.
 *
 * @param x - A tensor.
 * @param begin - The first index on each axis.
 * @param size - The number of entries on each axis, or -1 for the rest.
 * @returns A tensor of shape `size` (with -1 resolved).
 * @throws ArgumentError - when `x` is not a tensor, `begin` or `size` does not
 *   have one entry per axis, or the block is out of bounds.
 *
 * @example
 * ```ts
 * import { slice } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(slice(tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, 2]).toArray().join() === '2,3,5,6');
 * ```
 * @category Shapes
 */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const t = tensorArg('slice', 'x', x);
  numberList('slice', 'begin', begin);
  numberList('slice', 'size', size);
  const s = size.map((d, i) => (d === -1 ? t.shape[i]! - (begin[i] ?? 0) : d));
  return bind('slice', [t], { begin: begin.slice(), size: s });
}

/**
 * Entries `start` (included) to `end` (excluded) along one axis, all of every
 * other axis: `x[..., start:end, ...]`.
 *
 * @param x - A tensor.
 * @param axis - The axis (negative counts from the end).
 * @param start - The first index.
 * @param end - The index past the last.
 * @returns A tensor whose `axis` has size `end - start`.
 * @throws ArgumentError - when `axis` is out of range or the range is out of
 *   bounds.
 *
 * @example
 * ```ts
 * import { sliceAxis } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(sliceAxis(tensor([[1, 2, 3], [4, 5, 6]]), 1, 1, 3).toArray().join() === '2,3,5,6');
 * ```
 * @category Shapes
 */
export function sliceAxis(x: Tensor, axis: number, start: number, end: number): Tensor {
  tensorArg('sliceAxis', 'x', x);
  integer('sliceAxis', 'start', start);
  integer('sliceAxis', 'end', end);
  const a = normalizeAxis('sliceAxis', axis, x.rank);
  const begin = x.shape.map((_, i) => (i === a ? start : 0));
  const size = x.shape.map((d, i) => (i === a ? end - start : d));
  return slice(x, begin, size);
}

/**
 * Entry `i` along `axis`, with that axis removed: `x[..., i, ...]`, as one time
 * step of a batch-first sequence.
 *
 * @param x - A tensor.
 * @param axis - The axis (negative counts from the end).
 * @param i - The index along it.
 * @returns A tensor of rank one less.
 * @throws ArgumentError - when `axis` is out of range or `i` is out of bounds.
 * @throws ShapeError - not for valid arguments: it would come from removing the
 *   axis taken, which has size 1.
 *
 * @example
 * ```ts
 * import { index } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(index(tensor([[1, 2], [3, 4]]), 1, 1).toArray().join() === '2,4');
 * ```
 * @category Shapes
 */
export function index(x: Tensor, axis: number, i: number): Tensor {
  tensorArg('index', 'x', x);
  integer('index', 'i', i);
  const a = normalizeAxis('index', axis, x.rank);
  return squeeze(sliceAxis(x, a, i, i + 1), a);
}

/**
 * Join tensors along an existing axis; they must agree on every other axis and
 * in dtype. The gradient is split back.
 *
 * @param xs - One or more tensors.
 * @param axis - The axis to join along (default 0; negative counts from the end).
 * @returns A tensor whose `axis` is the sum of theirs.
 * @throws ArgumentError - when `xs` is empty or holds something other than
 *   tensors, or `axis` is out of range.
 * @throws ShapeError - when the shapes differ outside `axis`.
 * @throws DTypeError - when the dtypes differ.
 *
 * @example
 * ```ts
 * import { concat } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(concat([tensor([1]), tensor([2, 3])], 0).toArray().join() === '1,2,3');
 * ```
 * @category Shapes
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new ArgumentError('concat', 'xs', 'needs a non-empty array of tensors');
  xs.forEach((t, i) => tensorArg('concat', `xs[${i}]`, t));
  if (xs.length === 1) return xs[0]!;
  return bind('concat', xs, { axis: normalizeAxis('concat', axis, xs[0]!.rank) });
}

/**
 * Join tensors of one shape along a new axis: `n` tensors of shape `s` give
 * `s[:axis] + [n] + s[axis:]`, with gradient.
 *
 * @param xs - One or more tensors of one shape.
 * @param axis - Where the new axis goes (default 0).
 * @returns A tensor of rank one more.
 * @throws ArgumentError - when `xs` is empty or holds something other than
 *   tensors, or `axis` is out of range.
 * @throws ShapeError - when the shapes differ.
 * @throws DTypeError - when the dtypes differ.
 *
 * @example
 * ```ts
 * import { stack } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray().join() === '1,3,2,4');
 * ```
 * @category Shapes
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new ArgumentError('stack', 'xs', 'needs a non-empty array of tensors');
  const first = tensorArg('stack', 'xs[0]', xs[0]);
  xs.forEach((t, i) => {
    if (!shapesEqual(tensorArg('stack', `xs[${i}]`, t).shape, first.shape)) {
      throw new ShapeError('stack', `xs[${i}]`, `shape ${formatShape(t.shape)} differs from xs[0] ${formatShape(first.shape)}`);
    }
  });
  const a = normalizeAxis('stack', axis, first.rank + 1);
  return concat(xs.map((t) => expandDims(t, a)), a);
}

/**
 * Cut a tensor along an axis into `n` equal pieces, or pieces of the given
 * sizes, with gradient (each piece is a slice).
 *
 * @param x - A tensor.
 * @param sections - A count that divides the axis, or sizes that sum to it.
 * @param axis - The axis (default 0).
 * @returns The pieces, in order.
 * @throws ArgumentError - when `x` is not a tensor, `axis` is out of range, the
 *   count does not divide the axis, or the sizes do not sum to it.
 *
 * @example
 * ```ts
 * import { split } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const [a, b] = split(tensor([1, 2, 3]), [1, 2], 0);
 * console.assert(a!.toArray().join() === '1' && b!.toArray().join() === '2,3');
 * ```
 * @category Shapes
 */
export function split(x: Tensor, sections: number | readonly number[], axis = 0): Tensor[] {
  const t = tensorArg('split', 'x', x);
  const a = normalizeAxis('split', axis, t.rank);
  const len = t.shape[a]!;
  let sizes: number[];
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || len % sections !== 0) {
      throw new ArgumentError('split', 'sections', `axis ${a} of shape ${formatShape(t.shape)} cannot be split into ${sections} equal pieces`);
    }
    sizes = new Array<number>(sections).fill(len / sections);
  } else {
    sizes = numberList('split', 'sections', sections).slice();
    if (sizes.reduce((s, d) => s + d, 0) !== len) {
      throw new ArgumentError('split', 'sections', `sizes [${sizes.join(', ')}] do not add up to ${len}, the size of axis ${a} of ${formatShape(t.shape)}`);
    }
  }
  let start = 0;
  return sizes.map((s) => {
    const piece = sliceAxis(t, a, start, start + s);
    start += s;
    return piece;
  });
}

/**
 * Pad each axis with `[before, after]` entries of a constant value (default 0);
 * the gradient slices the padding off again.
 *
 * @param x - A tensor.
 * @param widths - One `[before, after]` pair of non-negative integers per axis.
 * @param value - The padding value (default 0).
 * @returns A tensor whose axis `i` has size `before + x.shape[i] + after`.
 * @throws ArgumentError - when `x` is not a tensor, or `widths` does not have one
 *   pair of non-negative integers per axis.
 *
 * @example
 * ```ts
 * import { pad } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(pad(tensor([1]), [[1, 1]]).toArray().join() === '0,1,0');
 * ```
 * @category Shapes
 */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  const t = tensorArg('pad', 'x', x);
  if (!Array.isArray(widths) || !widths.every((w) => Array.isArray(w) && w.length === 2)) {
    throw new ArgumentError('pad', 'widths', `expected one [before, after] pair per axis, got ${formatValue(widths)}`);
  }
  return bind('pad', [t], { widths: widths.map(([b, a]) => [b, a] as const), value: numberArg('pad', 'value', value) });
}

/**
 * Entries of `x` along `axis` at integer-valued `indices`: an embedding lookup
 * or picking each row's label. Gradient: `scatterAdd`.
 *
 * @param x - The tensor to read.
 * @param indices - Integer values in `[0, x.shape[axis])`, of any shape.
 * @param axis - The axis to index (default 0).
 * @returns A tensor of shape `x.shape[:axis] + indices.shape + x.shape[axis +
 *   1:]`.
 * @throws ArgumentError - when `x` or `indices` is not a tensor, `axis` is out of
 *   range, or an index is not an integer in range.
 *
 * @example
 * ```ts
 * import { gather } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(gather(tensor([[1, 2], [3, 4]]), tensor([1, 1]), 0).toArray().join() === '3,4,3,4');
 * ```
 * @category Shapes
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const t = tensorArg('gather', 'x', x);
  return bind('gather', [t, tensorArg('gather', 'indices', indices)], { axis: normalizeAxis('gather', axis, t.rank) });
}

/**
 * Add `updates` into a zero tensor of `shape` at integer `indices` along
 * `axis`, summing repeats: the adjoint of `gather`.
 *
 * @param indices - Integer values in `[0, shape[axis])`.
 * @param updates - Of shape `shape[:axis] + indices.shape + shape[axis + 1:]`.
 * @param axis - The axis to scatter along.
 * @param shape - The shape of the result.
 * @returns A tensor of `shape`.
 * @throws ArgumentError - when an argument is not a tensor, `axis` is out of
 *   range, or an index is not an integer in range.
 * @throws ShapeError - when `updates` does not have the shape the indices ask for.
 *
 * @example
 * ```ts
 * import { scatterAdd } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(scatterAdd(tensor([1, 1]), tensor([2, 3]), 0, [3]).toArray().join() === '0,5,0');
 * ```
 * @category Shapes
 */
export function scatterAdd(indices: Tensor, updates: Tensor, axis: number, shape: readonly number[]): Tensor {
  checkShape('scatterAdd', 'shape', shape);
  return bind('scatterAdd', [tensorArg('scatterAdd', 'indices', indices), tensorArg('scatterAdd', 'updates', updates)], {
    axis: normalizeAxis('scatterAdd', axis, shape.length),
    shape: shape.slice(),
  });
}

/**
 * One-hot rows for integer-valued `indices`: shape `indices.shape + [depth]`, 1
 * at each index and 0 elsewhere; no gradient.
 *
 * @param indices - Integer values in `[0, depth)`.
 * @param depth - The number of classes.
 * @param dtype - The result's dtype (default that of `indices`).
 * @returns A tensor of shape `indices.shape + [depth]`.
 * @throws ArgumentError - when `indices` is not a tensor, `depth` is not a
 *   non-negative integer, or an index is not an integer in `[0, depth)`.
 *
 * @example
 * ```ts
 * import { oneHot } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(oneHot(tensor([2]), 3).toArray().join() === '0,0,1');
 * ```
 * @category Shapes
 */
export function oneHot(indices: Tensor, depth: number, dtype?: DType): Tensor {
  const t = tensorArg('oneHot', 'indices', indices);
  return bind('oneHot', [t], { depth, dtype: dtype ?? t.dtype });
}

/**
 * Convert a tensor to another dtype (float64 values are rounded to float32);
 * the gradient is cast back to the input's dtype.
 *
 * @param x - A tensor.
 * @param dtype - `float32` or `float64`.
 * @returns `x` itself when it has that dtype already, else a converted copy.
 * @throws ArgumentError - when `x` is not a tensor or `dtype` is neither `float32`
 *   nor `float64`.
 *
 * @example
 * ```ts
 * import { cast } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(cast(tensor([1]), 'float64').dtype === 'float64');
 * ```
 * @category Shapes
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  const t = tensorArg('cast', 'x', x);
  if (t.dtype === dtype) return t;
  return bind('cast', [t], { dtype });
}

// ---------------------------------------------------------------------------
// Derived (compositions of primitives)
// ---------------------------------------------------------------------------

/**
 * `log(1 + e^x)`, stably: `x + log1p(e^-x)` for x > 0, `log1p(e^x)` elsewhere, so
 * that `e` is never raised to a positive power. Each branch is smooth and sees only
 * the inputs it serves, so the gradient is `sigmoid(x)` everywhere, at 0 too (the
 * shorter `relu(x) + log1p(e^-|x|)` gets 0 there, from the kinks of relu and abs).
 *
 * @param x - A tensor of either dtype.
 * @returns A tensor of `x`'s shape and dtype, positive everywhere.
 * @throws ArgumentError - when `x` is not a tensor.
 * @throws ShapeError - never in practice: it could only come from the size check
 *   of a scalar it makes, which holds one element.
 *
 * @example
 * ```ts
 * import { softplus, grad } from '@mnemo/autodiff';
 * import { tensor, scalar } from '@mnemo/core';
 * console.assert(softplus(tensor([1000], 'float64')).item() === 1000);
 * console.assert(grad(softplus)(scalar(0, 'float64')).item() === 0.5);
 * ```
 * @category Activations
 */
export function softplus(x: Tensor): Tensor {
  const pos = greater(x, 0);
  const xp = where(pos, x, 0);
  const xn = where(pos, 0, x);
  return where(pos, add(xp, log1p(exp(neg(xp)))), log1p(exp(xn)));
}

/**
 * `x - logsumexp(x)` along an axis (the last by default): log-probabilities,
 * computed stably for large logits.
 *
 * @param x - Logits, a tensor of either dtype.
 * @param axis - The axis of the classes (default -1).
 * @returns A tensor of `x`'s shape whose exponentials sum to 1 along `axis`.
 * @throws ArgumentError - when `x` is not a tensor or `axis` is out of range.
 * @throws ShapeError - never in practice: the reduction it shares a check with
 *   refuses only a maximum or minimum of nothing.
 *
 * @example
 * ```ts
 * import { logSoftmax } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const y = logSoftmax(tensor([1000, 1000], 'float64'));
 * console.assert(Math.abs(y.toArray()[0]! + Math.log(2)) < 1e-12);
 * ```
 * @category Activations
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const t = tensorArg('logSoftmax', 'x', x);
  return sub(t, logsumexp(t, { axes: normalizeAxis('logSoftmax', axis, t.rank), keepDims: true }));
}

/**
 * Softmax along an axis (the last by default), as `exp(logSoftmax(x))`:
 * probabilities that sum to 1, without overflow.
 *
 * @param x - Logits, a tensor of either dtype.
 * @param axis - The axis of the classes (default -1).
 * @returns A tensor of `x`'s shape, positive, summing to 1 along `axis`.
 * @throws ArgumentError - when `x` is not a tensor or `axis` is out of range.
 * @throws ShapeError - never in practice: the reduction it shares a check with
 *   refuses only a maximum or minimum of nothing.
 *
 * @example
 * ```ts
 * import { softmax } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(softmax(tensor([0, 0], 'float64')).toArray().join() === '0.5,0.5');
 * ```
 * @category Activations
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const t = tensorArg('softmax', 'x', x);
  return exp(logSoftmax(t, normalizeAxis('softmax', axis, t.rank)));
}

/**
 * Clamp each element into `[lo, hi]`; the gradient passes where `x` is inside
 * and is 0 where it was clamped.
 *
 * @param x - A tensor.
 * @param lo - The lower bound.
 * @param hi - The upper bound (at least `lo`).
 * @returns A tensor of `x`'s shape and dtype.
 * @throws ArgumentError - when `x` is not a tensor, `lo` or `hi` is not a number,
 *   or `lo > hi`.
 * @throws ShapeError - never in practice: it could only come from the size check
 *   of a scalar it makes, which holds one element.
 *
 * @example
 * ```ts
 * import { clip } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(clip(tensor([-2, 0.5, 3]), 0, 1).toArray().join() === '0,0.5,1');
 * ```
 * @category Activations
 */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  tensorArg('clip', 'x', x);
  numberArg('clip', 'lo', lo);
  numberArg('clip', 'hi', hi);
  if (!(lo <= hi)) throw new ArgumentError('clip', 'lo', `lo (${lo}) must not exceed hi (${hi})`);
  return minimum(maximum(x, lo), hi);
}

/**
 * Normalize to zero mean and unit variance over `axes` (last by default):
 * `(x - mean) / sqrt(var + eps)`, the core of layer normalization (Ba et al. 2016).
 *
 * @param x - A tensor of either dtype.
 * @param axes - The axes to normalize over (default -1, the last).
 * @param eps - Added to the variance (default 1e-5).
 * @returns A tensor of `x`'s shape.
 * @throws ArgumentError - when `x` is not a tensor, an axis is out of range, or
 *   `eps` is not a number.
 * @throws ShapeError - when the reduced axes hold no elements but the result would
 *   have some: the mean of nothing is undefined.
 *
 * @example
 * ```ts
 * import { normalize, mean } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const y = normalize(tensor([[1, 2, 3]], 'float64'));
 * console.assert(Math.abs(mean(y).item()) < 1e-12);
 * ```
 * @category Activations
 */
export function normalize(x: Tensor, axes: number | readonly number[] = -1, eps = 1e-5): Tensor {
  tensorArg('normalize', 'x', x);
  numberArg('normalize', 'eps', eps);
  const m = mean(x, { axes, keepDims: true });
  const c = sub(x, m);
  const v = mean(square(c), { axes, keepDims: true });
  return mul(c, rsqrt(add(v, eps)));
}

/**
 * Layer normalization with a learned gain and bias over the last axis:
 * `gain * normalize(x) + bias` (Ba et al. 2016).
 *
 * @param x - A tensor `[..., n]`.
 * @param gain - The gain `[n]` (broadcast).
 * @param bias - The bias `[n]` (broadcast).
 * @param eps - Added to the variance (default 1e-5).
 * @returns A tensor of `x`'s shape.
 * @throws ArgumentError - when an argument is not a tensor.
 * @throws ShapeError - when `gain` or `bias` does not broadcast against `x`.
 * @throws DTypeError - when the dtypes differ.
 *
 * @example
 * ```ts
 * import { layerNorm } from '@mnemo/autodiff';
 * import { tensor, ones, zeros } from '@mnemo/core';
 * const y = layerNorm(tensor([[1, 3]], 'float64'), ones([2], 'float64'), zeros([2], 'float64'));
 * console.assert(Math.abs(y.toArray()[0]! + 1) < 1e-4);
 * ```
 * @category Activations
 */
export function layerNorm(x: Tensor, gain: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  tensorArg('layerNorm', 'x', x);
  numberArg('layerNorm', 'eps', eps);
  return add(mul(normalize(x, -1, eps), gain), bias);
}

/**
 * A rank-0 tensor holding `value` in the dtype of `like`: a constant that mixes
 * with `like` without a dtype error.
 *
 * @param like - The tensor whose dtype to take.
 * @param value - The number.
 * @returns A tensor of shape `[]`.
 * @throws ArgumentError - when `like` is not a tensor or `value` is not a number.
 * @throws ShapeError - never in practice: it could only come from the size check
 *   of a scalar it makes, which holds one element.
 *
 * @example
 * ```ts
 * import { scalarLike } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * console.assert(scalarLike(tensor([1], 'float64'), 2).dtype === 'float64');
 * ```
 * @category Ops
 */
export function scalarLike(like: Tensor, value: number): Tensor {
  return scalar(value, tensorArg('scalarLike', 'like', like).dtype);
}

