/**
 * Typed errors raised inside the math. Every message names the operation, the
 * offending argument and, where shapes are involved, both shapes.
 *
 * @module
 */

/**
 * Base class of every error mnemo throws on purpose.
 *
 * @example
 * ```ts
 * import { MnemoError, ShapeError } from '@mnemo/core';
 * const e = new ShapeError('add', 'b', 'shapes [2] and [3] do not broadcast');
 * console.assert(e instanceof MnemoError && e.op === 'add');
 * ```
 * @category Errors
 */
export class MnemoError extends Error {
  /** The operation that detected the problem (for example `matmul`). */
  readonly op: string;
  /** The argument at fault (for example `b`, or `axis`). */
  readonly arg: string;
  /**
   * Make an error whose message names the operation, the argument at fault and
   * what is wrong with it.
   *
   * @param op - The operation that detected the problem (`matmul`).
   * @param arg - The argument at fault (`b`).
   * @param detail - What is wrong, with both shapes where shapes are involved.
   */
  constructor(op: string, arg: string, detail: string) {
    super(`${op}: argument '${arg}': ${detail}`);
    this.name = new.target.name;
    this.op = op;
    this.arg = arg;
  }
}

/**
 * A shape mismatch: incompatible broadcast, wrong inner dimension, wrong rank.
 *
 * @example
 * ```ts
 * import { ShapeError, formatShape } from '@mnemo/core';
 * const e = new ShapeError('matmul', 'b', `inner dimensions differ: a ${formatShape([2, 3])}, b ${formatShape([4, 5])}`);
 * console.assert(e.message.includes('[2, 3]') && e.message.includes('[4, 5]'));
 * ```
 * @category Errors
 */
export class ShapeError extends MnemoError {}

/**
 * A dtype mismatch, for example float32 and float64 mixed in one op without a cast.
 *
 * @example
 * ```ts
 * import { DTypeError } from '@mnemo/core';
 * console.assert(new DTypeError('add', 'b', 'float32 vs float64').name === 'DTypeError');
 * ```
 * @category Errors
 */
export class DTypeError extends MnemoError {}

/**
 * Any other invalid argument: an axis out of range, data of the wrong length, a
 * non-finite or fractional size.
 *
 * @example
 * ```ts
 * import { ArgumentError } from '@mnemo/core';
 * console.assert(new ArgumentError('zeros', 'shape', 'bad').message === "zeros: argument 'shape': bad");
 * ```
 * @category Errors
 */
export class ArgumentError extends MnemoError {}

/**
 * Format a shape the way every error message prints it, in brackets with
 * commas: `[2, 3]`, and `[]` for a scalar.
 *
 * @param shape - The shape.
 * @returns The shape as text.
 *
 * @example
 * ```ts
 * import { formatShape } from '@mnemo/core';
 * console.assert(formatShape([2, 3]) === '[2, 3]' && formatShape([]) === '[]');
 * ```
 * @category Errors
 */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
