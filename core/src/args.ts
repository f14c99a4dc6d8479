/**
 * Small checks for the arguments of public functions that every layer
 * shares: an options record, a flag, a count. Each throws an
 * {@link ArgumentError} naming the op and the argument.
 *
 * @module
 */
import { ArgumentError, formatValue } from './errors.js';

/**
 * An options argument: `undefined` (no options) becomes `{}`; any other
 * value must be an object that is not an array or a function, or an
 * {@link ArgumentError} naming the op and the argument is thrown.
 *
 * @param op - The operation, for the message.
 * @param arg - The argument's name, for the message (usually `options`).
 * @param options - The value given.
 * @returns The options record (`{}` for `undefined`).
 * @throws {@link ArgumentError} when `options` is null, a primitive, an array or a function.
 *
 * @example
 * ```ts
 * import { checkOptions, ArgumentError } from '@mnemo/core';
 * console.assert(Object.keys(checkOptions('op', 'options', undefined)).length === 0);
 * let refused = false;
 * try { checkOptions('op', 'options', null as never); } catch (e) { refused = e instanceof ArgumentError; }
 * console.assert(refused);
 * ```
 * @category Errors
 */
export function checkOptions<T extends object>(op: string, arg: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ArgumentError(op, arg, `expected an options record ({ ... }), got ${formatValue(options)}`);
  }
  return options;
}

/**
 * A boolean flag: `fallback` when `undefined`, else it must be `true` or
 * `false` (a string such as `'false'` would read as true, so it is refused).
 *
 * @param op - The operation, for the message.
 * @param arg - The argument's name, for the message.
 * @param value - The value given.
 * @param fallback - The value for `undefined`.
 * @returns The flag.
 * @throws {@link ArgumentError} when `value` is neither undefined nor a boolean.
 *
 * @example
 * ```ts
 * import { checkFlag } from '@mnemo/core';
 * console.assert(checkFlag('sum', 'keepDims', undefined, false) === false && checkFlag('sum', 'keepDims', true, false));
 * ```
 * @category Errors
 */
export function checkFlag(op: string, arg: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ArgumentError(op, arg, `expected true or false, got ${formatValue(value)}`);
  return value;
}

/**
 * A count or size given as a plain number: an integer from `min` (default 0)
 * to 2^31 - 1.
 *
 * @param op - The operation, for the message.
 * @param arg - The argument's name, for the message.
 * @param value - The value given.
 * @param min - The smallest value accepted (default 0).
 * @returns The count.
 * @throws {@link ArgumentError} when `value` is not such an integer.
 *
 * @example
 * ```ts
 * import { checkCount } from '@mnemo/core';
 * console.assert(checkCount('rnnCell', 'hiddenSize', 8, 1) === 8);
 * ```
 * @category Errors
 */
export function checkCount(op: string, arg: string, value: unknown, min = 0): number {
  if (typeof min !== 'number') throw new ArgumentError('checkCount', 'min', `expected a number, got ${formatValue(min)}`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new ArgumentError(op, arg, `expected an integer from ${min} to 2^31 - 1, got ${formatValue(value)}`);
  }
  return value;
}
