/**
 * The debugging mode for non-finite values (PyTorch's `detect_anomaly`,
 * JAX's `jax_debug_nans` and `jax_debug_infs`): while it is on, the output of
 * every primitive, in the forward pass and in the backward pass, is scanned,
 * and the first NaN or infinity raises a `NonFiniteError` that names the
 * primitive, its inputs' dtypes and shapes, the pass, and in the backward
 * pass the forward operation whose gradient was being computed. Off by
 * default; `bind` then pays one boolean test per primitive.
 *
 * @module
 */
import { ArgumentError, NonFiniteError, formatShape, formatValue, unsafeDataOf, type NonFiniteInfo, type Tensor } from '@mnemo/core';
import type { TapeEntry } from './tape.js';

function fromEnvironment(): boolean {
  const v = typeof process !== 'undefined' ? process.env?.['MNEMO_DEBUG_NANS'] : undefined;
  return v === '1' || v === 'true';
}

/** Whether the mode is on. Read by `bind` on every primitive, and by the compiler, which declines. @internal */
export let debugNansOn: boolean = fromEnvironment();

/** Why the compiler declines while the mode is on: a compiled sequence or loop runs no primitive to check. @internal */
export const DEBUG_NANS_DECLINE = 'the debugging mode for non-finite values is on: the tape path checks every primitive, a compiled program would not';

/**
 * Turn the debugging mode for non-finite values on or off; returns the
 * previous setting. While it is on, every primitive's output is checked, in
 * the forward pass and in the backward pass (the VJP rules are made of
 * primitives too), and the first NaN, Infinity or -Infinity throws a
 * `NonFiniteError` (from `@mnemo/core`) naming the primitive, its inputs'
 * dtypes and shapes, whether it happened in the forward or the backward pass
 * and, in the backward pass, which forward operation's gradient was being
 * computed. A value that was already in an input (an argument, a parameter or
 * data holding NaN) is reported as such, at the first primitive that reads
 * it, rather than blamed on that primitive. It also starts on when the
 * environment variable `MNEMO_DEBUG_NANS` is `1`. Off by default; when off it
 * costs one boolean test per primitive. Scanning every output makes a
 * computation several times slower: turn it on to find where a NaN is born,
 * then off again. While it is on, the compiler declines (`scan` and
 * `fuseElementwise` run op by op on the tape path, where every primitive is
 * checked); a custom VJP's results are checked where they enter the tape.
 *
 * @param on - `true` to check every primitive, `false` to stop.
 * @returns The setting before this call.
 * @throws `ArgumentError` when `on` is not a boolean.
 *
 * @example
 * ```ts
 * import { setDebugNans, grad, sum, sqrt } from '@mnemo/autodiff';
 * import { tensor, NonFiniteError, type Tensor } from '@mnemo/core';
 * const previous = setDebugNans(true);
 * let caught: unknown;
 * try {
 *   grad((x: Tensor) => sum(sqrt(x)))(tensor([0, 4], 'float64')); // d sqrt(x) = 1 / (2 sqrt(x)) is Infinity at 0
 * } catch (e) {
 *   caught = e;
 * } finally {
 *   setDebugNans(previous);
 * }
 * const e = caught as NonFiniteError;
 * console.assert(e instanceof NonFiniteError && e.op === 'div' && e.info?.pass === 'backward' && e.info.gradientOf === 'sqrt');
 * ```
 * @category Debugging
 */
export function setDebugNans(on: boolean): boolean {
  if (typeof on !== 'boolean') throw new ArgumentError('setDebugNans', 'on', `expected true or false, got ${formatValue(on)}`);
  const previous = debugNansOn;
  debugNansOn = on;
  return previous;
}

/**
 * Whether the debugging mode for non-finite values is on (see
 * {@link setDebugNans}).
 *
 * @returns `true` while every primitive's output is checked.
 * @throws Never.
 *
 * @example
 * ```ts
 * import { getDebugNans, setDebugNans } from '@mnemo/autodiff';
 * const previous = setDebugNans(true);
 * console.assert(getDebugNans());
 * setDebugNans(previous);
 * ```
 * @category Debugging
 */
export function getDebugNans(): boolean {
  return debugNansOn;
}

/** The tape entries whose VJP rules are running, innermost last (nested gradients nest them). */
const gradientsOf: TapeEntry[] = [];

/** Index of the first NaN or infinity in a tensor's data, or -1. */
function firstNonFinite(t: Tensor): number {
  const d = unsafeDataOf(t);
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    // v - v is 0 for every finite v, NaN for NaN and the infinities.
    if (v - v !== 0) return i;
  }
  return -1;
}

const describe = (t: Tensor): string => `${t.dtype} ${formatShape(t.shape)}`;
const list = (ts: readonly Tensor[]): string => (ts.length === 0 ? 'none' : ts.map(describe).join(', '));

/** The error for a non-finite value at `index` of `bad`, the output of `name` (or, found there first, of one of its inputs). */
function nonFinite(name: string, inputs: readonly Tensor[], output: Tensor, index: number, what = 'output'): NonFiniteError {
  const entry = gradientsOf[gradientsOf.length - 1];
  const pass = entry === undefined ? 'forward' : 'backward';
  const where =
    entry === undefined
      ? 'in the forward pass'
      : `in the backward pass, computing the gradient of ${entry.name} (whose forward inputs were ${list(entry.inputs)})`;
  const shapes = inputs.map((x) => ({ dtype: x.dtype, shape: x.shape }));
  for (let k = 0; k < inputs.length; k++) {
    const j = firstNonFinite(inputs[k]!);
    if (j < 0) continue;
    const value = unsafeDataOf(inputs[k]!)[j]!;
    const info: NonFiniteInfo = { pass, value, index: j, at: k, inputs: shapes, ...(entry ? { gradientOf: entry.name } : {}) };
    if (name === 'identity') {
      // grad, vjp and their kin pass each argument through identity first: the argument itself holds it.
      return new NonFiniteError(name, 'argument', `an argument of the differentiated function (${describe(inputs[k]!)}) holds ${value} at index ${j}, ${where}`, info);
    }
    return new NonFiniteError(
      name,
      `input ${k}`,
      `input ${k} (${describe(inputs[k]!)}) already holds ${value} at index ${j}, ${where}: it was made outside the checked primitives ` +
        `(an argument, a parameter, data, or a fused kernel), not by ${name}; ${name}'s inputs: ${list(inputs)}`,
      info,
    );
  }
  const value = unsafeDataOf(output)[index]!;
  const info: NonFiniteInfo = { pass, value, index, at: 'output', inputs: shapes, ...(entry ? { gradientOf: entry.name } : {}) };
  return new NonFiniteError(
    name,
    what,
    `${value} at index ${index} of its ${what} (${describe(output)}), ${where}; its inputs (${list(inputs)}) are all finite`,
    info,
  );
}

/** Throws a NonFiniteError if `output`, the result of primitive `prim` on `inputs`, holds a NaN or an infinity. @internal */
export function checkPrimitive(prim: string, inputs: readonly Tensor[], output: Tensor): void {
  const i = firstNonFinite(output);
  if (i >= 0) throw nonFinite(prim, inputs, output, i);
}

/**
 * Run a tape entry's backward function with the entry known as the forward
 * operation whose gradient is being computed, and check the cotangents it
 * returns (a custom VJP may build them without primitives). @internal
 */
export function backwardChecked(entry: TapeEntry, outCts: readonly (Tensor | null)[]): readonly (Tensor | null)[] {
  gradientsOf.push(entry);
  try {
    const inCts = entry.backward(outCts);
    inCts.forEach((g, i) => {
      if (g === null || g === undefined) return;
      const j = firstNonFinite(g);
      if (j >= 0) throw nonFinite(entry.name, outCts.filter((c): c is Tensor => c !== null), g, j, `cotangent for input ${i}`);
    });
    return inCts;
  } finally {
    gradientsOf.pop();
  }
}

/** Check the outputs of a composite entry (customVjp, checkpoint), which do not come from `bind`. @internal */
export function checkComposite(name: string, inputs: readonly Tensor[], outputs: readonly Tensor[]): void {
  for (const o of outputs) {
    const i = firstNonFinite(o);
    if (i >= 0) throw nonFinite(name, inputs, o, i);
  }
}
