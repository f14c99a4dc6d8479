/**
 * JSON text for what mnemo writes and prints: numbers that JSON cannot hold
 * (NaN, Infinity, -Infinity) are written as the strings `"NaN"`,
 * `"Infinity"` and `"-Infinity"` instead of the `null` that `JSON.stringify`
 * writes silently, so a reader can tell a missing value from a diverged one.
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';

/** The replacer: a non-finite number becomes its name. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/**
 * `value` as JSON text, pretty-printed with `indent` spaces (none: one line),
 * with NaN and the infinities written as the strings `"NaN"`, `"Infinity"`
 * and `"-Infinity"`.
 *
 * @param value - a JSON-like value (plain objects, arrays, strings, numbers, booleans, null).
 * @param indent - spaces per level; 0 writes one line.
 * @returns the text, without a trailing newline.
 * @throws `ArgumentError` when the value has no JSON text (`undefined`, a function).
 * @example
 * ```ts
 * import { jsonText } from '@mnemo/models';
 * console.assert(jsonText({ loss: NaN, best: -Infinity, step: 3 }) === '{"loss":"NaN","best":"-Infinity","step":3}');
 * console.assert(jsonText([1], 2) === '[\n  1\n]');
 * ```
 * @category Reports
 */
export function jsonText(value: unknown, indent = 0): string {
  const text = JSON.stringify(value, replacer, indent) as string | undefined;
  if (text === undefined) throw new ArgumentError('jsonText', 'value', `${typeof value} cannot be written as JSON`);
  return text;
}
