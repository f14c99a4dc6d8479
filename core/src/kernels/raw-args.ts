/**
 * Checks for the kernels that work on raw typed arrays (gemm): the
 * arguments a caller gives them are plain objects and arrays, so each is
 * checked before any index is computed, and a bad one is reported as a typed
 * error naming the kernel and the field.
 *
 * @module
 * @internal
 */
import { ArgumentError, DTypeError, ShapeError, formatValue } from '../errors.js';
import { MAX_SIZE } from '../shape.js';
import type { GemmArgs } from './gemm.js';

const isFloatArray = (x: unknown): x is Float32Array | Float64Array => x instanceof Float32Array || x instanceof Float64Array;

function count(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SIZE) {
    throw new ArgumentError(op, arg, `expected an integer from 0 to 2^31 - 1, got ${formatValue(v)}`);
  }
  return v;
}

/**
 * Throws an {@link ArgumentError}, {@link DTypeError} or {@link ShapeError}
 * naming `op` and the field unless `args` describes a product that fits its
 * arrays: `a`, `b` and `out` float arrays of one kind, `m`, `k`, `n` and the
 * offsets non-negative integers, `transA` and `transB` booleans, each operand
 * long enough for its stored layout from its offset.
 * @internal
 */
export function checkGemmArgs(op: string, args: unknown): asserts args is GemmArgs {
  // The fast path: one pass of cheap tests (gemm runs for every product); the
  // detailed checks below only run to name what is wrong.
  if (args !== null && typeof args === 'object') {
    const { a, b, out, m, k, n, transA, transB, aOffset, bOffset, outOffset } = args as GemmArgs;
    const same =
      a instanceof Float32Array ? b instanceof Float32Array && out instanceof Float32Array : a instanceof Float64Array && b instanceof Float64Array && out instanceof Float64Array;
    if (
      same &&
      isCount(m) &&
      isCount(k) &&
      isCount(n) &&
      typeof transA === 'boolean' &&
      typeof transB === 'boolean' &&
      (aOffset === undefined || isCount(aOffset)) &&
      (bOffset === undefined || isCount(bOffset)) &&
      (outOffset === undefined || isCount(outOffset)) &&
      (aOffset ?? 0) + m * k <= a.length &&
      (bOffset ?? 0) + k * n <= b.length &&
      (outOffset ?? 0) + m * n <= out.length
    ) {
      return;
    }
  }
  reportGemmArgs(op, args);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SIZE;

/** Throws the error that names what is wrong with gemm's arguments. */
function reportGemmArgs(op: string, args: unknown): void {
  if (args === null || typeof args !== 'object') {
    throw new ArgumentError(op, 'args', `expected { a, b, out, m, k, n, transA, transB }, got ${formatValue(args)}`);
  }
  const g = args as Record<string, unknown>;
  const m = count(op, 'm', g['m']);
  const k = count(op, 'k', g['k']);
  const n = count(op, 'n', g['n']);
  for (const flag of ['transA', 'transB']) {
    if (typeof g[flag] !== 'boolean') throw new ArgumentError(op, flag, `expected true or false, got ${formatValue(g[flag])}`);
  }
  const a = g['a'];
  if (!isFloatArray(a)) throw new DTypeError(op, 'a', `expected a Float32Array or a Float64Array, got ${formatValue(a)}`);
  const kind = a.constructor;
  for (const name of ['b', 'out']) {
    const x = g[name];
    if (!isFloatArray(x) || x.constructor !== kind) {
      throw new DTypeError(op, name, `expected a ${kind.name} like a, got ${formatValue(x)}`);
    }
  }
  const fits = (name: string, rows: number, cols: number, transposed: boolean): void => {
    const arr = g[name] as Float32Array | Float64Array;
    const offset = g[`${name}Offset`] === undefined ? 0 : count(op, `${name}Offset`, g[`${name}Offset`]);
    const [r, c] = transposed ? [cols, rows] : [rows, cols];
    if (offset + r * c > arr.length) {
      throw new ShapeError(op, name, `stored ${transposed ? 'transposed as' : 'as'} [${r}, ${c}] from offset ${offset} needs ${offset + r * c} elements, the array has ${arr.length}`);
    }
  };
  fits('a', m, k, g['transA'] as boolean);
  fits('b', k, n, g['transB'] as boolean);
  fits('out', m, n, false);
}
