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
    // Whatever the caller passed, the message is built without throwing.
    const o = asText(op) || '(an op without a name)';
    const a = asText(arg);
    super(`${o}: argument '${a}': ${asText(detail)}`);
    this.name = new.target.name;
    this.op = o;
    this.arg = a;
  }
}

function asText(x: unknown): string {
  return typeof x === 'string' ? x : formatValue(x);
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
 * What a {@link NonFiniteError} found: in which pass, the offending value and
 * where it sits, the primitive's inputs, and (backward pass) the forward
 * operation whose gradient was being computed.
 *
 * @example
 * ```ts
 * import type { NonFiniteInfo } from '@mnemo/core';
 * const info: NonFiniteInfo = { pass: 'backward', value: NaN, index: 0, at: 'output', inputs: [{ dtype: 'float64', shape: [1] }], gradientOf: 'sqrt' };
 * console.assert(info.gradientOf === 'sqrt');
 * ```
 * @category Errors
 */
export interface NonFiniteInfo {
  /** `forward` while computing values, `backward` while a VJP rule computes gradients. */
  readonly pass: 'forward' | 'backward';
  /** The first non-finite value found: NaN, Infinity or -Infinity. */
  readonly value: number;
  /** Its flat (row-major) index. */
  readonly index: number;
  /** In the primitive's `output`, or in its input number `n` (it was non-finite before the primitive ran). */
  readonly at: 'output' | number;
  /** The dtype and shape of each of the primitive's inputs. */
  readonly inputs: readonly { readonly dtype: string; readonly shape: readonly number[] }[];
  /** Backward pass: the forward operation whose VJP rule was running (for example `sqrt`). */
  readonly gradientOf?: string;
}

/**
 * A NaN or an infinity where the debugging mode for non-finite values
 * (`setDebugNans(true)` in `@mnemo/autodiff`, or `MNEMO_DEBUG_NANS=1`)
 * found it: `op` is the primitive that produced it, `arg` is `output` (or
 * `input n` when the value was already in an input, made outside the checked
 * primitives), and `info` says which pass, where, and in the backward pass
 * which forward operation's gradient was being computed.
 *
 * @example
 * ```ts
 * import { NonFiniteError, MnemoError } from '@mnemo/core';
 * const e = new NonFiniteError('log', 'output', '-Infinity at index 0', { pass: 'forward', value: -Infinity, index: 0, at: 'output', inputs: [{ dtype: 'float64', shape: [] }] });
 * console.assert(e instanceof MnemoError && e.info?.pass === 'forward');
 * ```
 * @category Errors
 */
export class NonFiniteError extends MnemoError {
  /** What was found where; undefined only when constructed without it. */
  readonly info: NonFiniteInfo | undefined;
  /**
   * Make the error the debugging mode throws for a NaN or an infinity, naming the
   * primitive, where the value was, and what was found.
   *
   * @param op - The primitive that produced the value (or got it as an input).
   * @param arg - `output`, or `input n`.
   * @param detail - The value and its index, in words.
   * @param info - The same, as data (see {@link NonFiniteInfo}).
   */
  constructor(op: string, arg: string, detail: string, info?: NonFiniteInfo) {
    super(op, arg, detail);
    this.info = info !== null && typeof info === 'object' ? info : undefined;
  }
}

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
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) return formatValue(shape);
  return `[${shape.join(', ')}]`;
}

/**
 * A short, readable rendering of any value for an error message: strings
 * quoted, `-0`, BigInts with their `n`, symbols, arrays and records up to a
 * small depth, typed arrays and tensors by kind and length or shape, other
 * objects by their class. It never throws, whatever it is given (objects
 * without a prototype, revoked proxies, getters that throw), so that an
 * error about a bad argument cannot itself crash.
 *
 * @param value - Anything.
 * @param maxLength - The longest rendering returned (longer ones end in `...`); at least 8.
 * @returns The rendering.
 * @throws Never.
 *
 * @example
 * ```ts
 * import { formatValue, tensor } from '@mnemo/core';
 * console.assert(formatValue(1n) === '1n' && formatValue('a') === '"a"' && formatValue(-0) === '-0');
 * console.assert(formatValue(Object.create(null)) === '{}' && formatValue([1, [2, null]]) === '[1, [2, null]]');
 * console.assert(formatValue(Symbol('s')) === 'Symbol(s)' && formatValue(tensor([[1, 2]])) === 'a Tensor float32 [1, 2]');
 * ```
 * @category Errors
 */
export function formatValue(value: unknown, maxLength = 120): string {
  const limit = typeof maxLength === 'number' && maxLength >= 8 ? maxLength : 120;
  let text: string;
  try {
    text = render(value, 0);
  } catch {
    text = `a ${typeof value}`;
  }
  return text.length > limit ? `${text.slice(0, limit - 3)}...` : text;
}

function render(v: unknown, depth: number): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v.toString()}n`;
    case 'symbol':
      return v.toString();
    case 'undefined':
      return 'undefined';
    case 'boolean':
      return String(v);
    case 'function':
      return v.name ? `a function ${v.name}` : 'a function';
  }
  if (v === null) return 'null';
  const o = v as object;
  if (ArrayBuffer.isView(o)) return `${o.constructor?.name ?? 'a typed array'}(${(o as { length?: number }).length ?? o.byteLength})`;
  if (Array.isArray(o)) {
    if (depth >= 2) return `[${o.length} entries]`;
    const shown = o.slice(0, 8).map((x) => render(x, depth + 1));
    return `[${shown.join(', ')}${o.length > 8 ? `, ... ${o.length} entries` : ''}]`;
  }
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto === null || proto === Object.prototype) {
    const keys = Object.keys(o);
    if (depth >= 2) return `{${keys.length} keys}`;
    const shown = keys.slice(0, 6).map((k) => `${k}: ${render((o as Record<string, unknown>)[k], depth + 1)}`);
    return `{${shown.join(', ')}${keys.length > 6 ? ', ...' : ''}}`;
  }
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  const kind = typeof name === 'string' && name !== '' ? name : 'object';
  const t = o as { dtype?: unknown; shape?: unknown };
  if (kind === 'Tensor' && typeof t.dtype === 'string' && Array.isArray(t.shape)) return `a Tensor ${t.dtype} ${formatShape(t.shape as number[])}`;
  return `a ${kind}`;
}
