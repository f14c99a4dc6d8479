/**
 * `gradcheck` and `gradgradcheck`: analytic gradients (from `vjp`) against
 * central finite differences, in float64.
 *
 * Two modes:
 * - **elementwise**: the full Jacobian, one column of central differences per
 *   input element and one row of pullbacks per output element, compared entry
 *   by entry. Thorough, and costs `2 n` evaluations plus `m` pullbacks.
 * - **dot**: the dot-product test `<u, J^T v> = <J u, v>` in random directions
 *   `u` (per input) and `v` (per output) drawn from an explicit key: one
 *   pullback and two evaluations per input and direction, whatever the sizes.
 *
 * Bad input is reported in the result, not thrown from deep inside: a
 * non-scalar output where a scalar is needed, a non-finite value met during the
 * differences, an input at a non-differentiable point (one-sided differences
 * that disagree by an amount that does not shrink with the step), or `f`
 * throwing. Misuse of the checker itself (not a function, bad options, float32
 * inputs without opting in) throws a typed error at once.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import { ArgumentError, DTypeError, Key, MnemoError, formatValue, Tensor, formatShape, foldIn, key as makeKey, normal, split, zeros, type DType } from '@mnemo/core';
import { grad, tree, vjp, type Tree, type TreeDef } from '@mnemo/autodiff';
import { ErrorStats, sig, dataOf, elementName, fromValues, leafPaths, num, relError, sci, unravel, violation, withElement } from './internal.js';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

/**
 * How a check compares gradients: `elementwise` (the full Jacobian, entry by
 * entry), `dot` (the dot-product test in random directions), `both`, or
 * `auto` (elementwise when the Jacobian is small, else dot).
 *
 * @example
 * ```ts
 * import type { GradcheckMode } from '@mnemo/proofs';
 * const m: GradcheckMode = 'dot';
 * console.assert(m === 'dot');
 * ```
 * @category Gradient checking
 */
export type GradcheckMode = 'auto' | 'elementwise' | 'dot' | 'both';

/**
 * Options of {@link gradcheck} and {@link gradgradcheck}. Every field has a
 * documented default (see {@link GRADCHECK_DEFAULTS}).
 *
 * @example
 * ```ts
 * import type { GradcheckOptions } from '@mnemo/proofs';
 * const o: GradcheckOptions = { mode: 'both', seed: 7, argNames: ['x', 'w'] };
 * console.assert(o.mode === 'both');
 * ```
 * @category Gradient checking
 */
export interface GradcheckOptions {
  /** Comparison mode (default `auto`). */
  readonly mode?: GradcheckMode;
  /** Finite-difference step (default 1e-6 in float64, 1e-3 in float32). */
  readonly step?: number;
  /** Absolute tolerance (default 1e-5 in float64, 1e-3 in float32). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-3 in float64, 1e-2 in float32). An entry passes when `|analytic - numeric| <= atol + rtol |numeric|`. */
  readonly rtol?: number;
  /** When set, each input must also have a norm-wise relative error `||a - n|| / max(||a||, ||n||)` below this (elementwise mode). */
  readonly normRtol?: number;
  /**
   * `float64` (default) refuses float32 inputs: central differences in float32
   * lose about half the digits to rounding, so a float32 check can only use
   * loose tolerances. Opt in with `float32`, which switches the defaults to
   * step 1e-3, atol 1e-3, rtol 1e-2.
   */
  readonly precision?: 'float64' | 'float32';
  /** Which arguments to check (default all); the others are held constant (indices, masks). */
  readonly wrt?: readonly number[];
  /** Names for the arguments in reports (default `args[0]`, `args[1]`, ...). */
  readonly argNames?: readonly string[];
  /** The key the dot-product directions are drawn from (default `key(seed)`). */
  readonly key?: Key;
  /** Seed of the default key (default 0). */
  readonly seed?: number;
  /** Random directions per input in dot mode (default 3). */
  readonly directions?: number;
  /** `scalar` requires `f` to return one element (default `any`: any pytree of tensors). */
  readonly output?: 'any' | 'scalar';
  /** In `auto` mode, the largest input or output size (elements) checked elementwise (default 256). */
  readonly maxElements?: number;
  /** How many of the worst entries a failure lists (default 5). */
  readonly worst?: number;
  /** `report` (default) detects inputs at non-differentiable points; `ignore` compares the central differences regardless. */
  readonly kinks?: 'report' | 'ignore';
}

/**
 * The settings a check ran with, after defaults.
 *
 * @example
 * ```ts
 * import { GRADCHECK_DEFAULTS, type GradcheckSettings } from '@mnemo/proofs';
 * const s: GradcheckSettings = GRADCHECK_DEFAULTS;
 * console.assert(s.step === 1e-6);
 * ```
 * @category Gradient checking
 */
export interface GradcheckSettings {
  readonly mode: GradcheckMode;
  readonly step: number;
  readonly atol: number;
  readonly rtol: number;
  readonly normRtol: number | undefined;
  readonly precision: 'float64' | 'float32';
  readonly directions: number;
  readonly output: 'any' | 'scalar';
  readonly maxElements: number;
  readonly worst: number;
  readonly kinks: 'report' | 'ignore';
}

/**
 * The float64 defaults, close to the established ones (PyTorch's
 * `gradcheck`: step 1e-6, atol 1e-5, rtol 1e-3).
 *
 * @example
 * ```ts
 * import { GRADCHECK_DEFAULTS } from '@mnemo/proofs';
 * console.assert(GRADCHECK_DEFAULTS.atol === 1e-5 && GRADCHECK_DEFAULTS.rtol === 1e-3);
 * ```
 * @category Gradient checking
 */
export const GRADCHECK_DEFAULTS: GradcheckSettings = Object.freeze({
  mode: 'auto',
  step: 1e-6,
  atol: 1e-5,
  rtol: 1e-3,
  normRtol: undefined,
  precision: 'float64',
  directions: 3,
  output: 'any',
  maxElements: 256,
  worst: 5,
  kinks: 'report',
});

/**
 * The defaults with `precision: 'float32'`: a step near the cube root of
 * float32's epsilon, and tolerances that its rounding allows.
 *
 * @example
 * ```ts
 * import { GRADCHECK_FLOAT32_DEFAULTS } from '@mnemo/proofs';
 * console.assert(GRADCHECK_FLOAT32_DEFAULTS.step === 1e-3);
 * ```
 * @category Gradient checking
 */
export const GRADCHECK_FLOAT32_DEFAULTS: GradcheckSettings = Object.freeze({
  ...GRADCHECK_DEFAULTS,
  precision: 'float32',
  step: 1e-3,
  atol: 1e-3,
  rtol: 1e-2,
});

function positive(op: string, name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ArgumentError(op, `options.${name}`, `must be a positive finite number, got ${String(v)}`);
  return v;
}

function nonNegative(op: string, name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new ArgumentError(op, `options.${name}`, `must be a non-negative finite number, got ${String(v)}`);
  return v;
}

function count(op: string, name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(op, `options.${name}`, `must be a positive integer, got ${String(v)}`);
  return v;
}

function oneOf<T extends string>(op: string, name: string, v: T | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (!allowed.includes(v)) throw new ArgumentError(op, `options.${name}`, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** @internal */
export function resolveSettings(op: string, o: GradcheckOptions): GradcheckSettings {
  if (o === null || typeof o !== 'object') throw new ArgumentError(op, 'options', `expected an options record, got ${o === null ? 'null' : typeof o}`);
  const precision = oneOf(op, 'precision', o.precision, ['float64', 'float32'], 'float64');
  const d = precision === 'float32' ? GRADCHECK_FLOAT32_DEFAULTS : GRADCHECK_DEFAULTS;
  return {
    mode: oneOf(op, 'mode', o.mode, ['auto', 'elementwise', 'dot', 'both'], d.mode),
    step: positive(op, 'step', o.step, d.step),
    atol: nonNegative(op, 'atol', o.atol, d.atol),
    rtol: nonNegative(op, 'rtol', o.rtol, d.rtol),
    normRtol: o.normRtol === undefined ? undefined : positive(op, 'normRtol', o.normRtol, 0),
    precision,
    directions: count(op, 'directions', o.directions, d.directions),
    output: oneOf(op, 'output', o.output, ['any', 'scalar'], d.output),
    maxElements: count(op, 'maxElements', o.maxElements, d.maxElements),
    worst: count(op, 'worst', o.worst, d.worst),
    kinks: oneOf(op, 'kinks', o.kinks, ['report', 'ignore'], d.kinks),
  };
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/**
 * Agreement for one checked input (one leaf of the arguments' pytrees).
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js';
 * import { gradcheck, type InputReport } from '@mnemo/proofs';
 * import { tanh } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const r = gradcheck(tanh, [tensor([0.5, -1], 'float64')]);
 * const inputs: readonly InputReport[] = E.isRight(r) ? r.right.inputs : [];
 * console.assert(inputs[0]!.path === 'args[0]' && inputs[0]!.elements === 2);
 * ```
 * @category Gradient checking
 */
export interface InputReport {
  /** The leaf's pytree path (`args[1].w`, or the name given in `argNames`). */
  readonly path: string;
  readonly shape: readonly number[];
  /** Input elements (the leaf's size). */
  readonly elements: number;
  /** Comparisons made: Jacobian entries (elementwise) plus directional products (dot). */
  readonly checked: number;
  /** Comparisons outside the tolerance. */
  readonly failed: number;
  /** The largest `|analytic - numeric|`. */
  readonly maxAbsError: number;
  /** The largest `|analytic - numeric| / max(|analytic|, |numeric|, atol)` (the atol floor keeps entries that are zero up to rounding from reporting huge relative errors). */
  readonly maxRelError: number;
  /** `||a - n|| / max(||a||, ||n||)` over the leaf's Jacobian entries (elementwise mode), else undefined. */
  readonly normRelError: number | undefined;
}

/**
 * What a check found: per input agreement and totals.
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js';
 * import { gradcheck, type GradcheckReport } from '@mnemo/proofs';
 * import { mul } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const r = gradcheck(mul, [tensor([1, 2], 'float64'), tensor([3, 4], 'float64')]);
 * const rep: GradcheckReport | undefined = E.isRight(r) ? r.right : undefined;
 * console.assert(rep !== undefined && rep.checked === 8 && rep.maxAbsError < 1e-8);
 * ```
 * @category Gradient checking
 */
export interface GradcheckReport {
  /** The modes that ran. */
  readonly modes: readonly ('elementwise' | 'dot')[];
  readonly inputs: readonly InputReport[];
  /** Input elements checked, over all inputs. */
  readonly elements: number;
  /** Comparisons made, over all inputs. */
  readonly checked: number;
  readonly maxAbsError: number;
  readonly maxRelError: number;
  /** Entries skipped because their input sits at a non-differentiable point (see the failure kind `non-differentiable`). */
  readonly kinks: number;
  readonly settings: GradcheckSettings;
}

/**
 * One compared entry: the input element (or direction), the output element,
 * and the analytic and numeric values.
 *
 * @example
 * ```ts
 * import type { ElementComparison } from '@mnemo/proofs';
 * const e: ElementComparison = { input: 'x', index: [0], element: 'x[0]', output: '', direction: undefined, analytic: 1, numeric: 1.5, absError: 0.5, relError: 1 / 3 };
 * console.assert(e.absError === 0.5);
 * ```
 * @category Gradient checking
 */
export interface ElementComparison {
  /** The input leaf's path. */
  readonly input: string;
  /** The element's index in that leaf (empty in dot mode). */
  readonly index: readonly number[];
  /** Printable: `x[0, 2]`, or `x along direction 1`. */
  readonly element: string;
  /** Printable output element (`out[3]`), empty for a scalar output or in dot mode. */
  readonly output: string;
  /** The direction number in dot mode. */
  readonly direction: number | undefined;
  readonly analytic: number;
  readonly numeric: number;
  readonly absError: number;
  readonly relError: number;
}

/**
 * An input element at which `f` is not differentiable: its one-sided
 * differences disagree by an amount that does not shrink with the step.
 * `analytic` is what the VJP rules returned there; `between` says whether it
 * lies between the one-sided slopes (a valid subgradient for a convex or
 * concave kink).
 *
 * @example
 * ```ts
 * import type { KinkPoint } from '@mnemo/proofs';
 * const k: KinkPoint = { input: 'x', index: [0], element: 'x[0]', output: '', analytic: 0, left: 0, right: 1, between: true, at: 'point' };
 * console.assert(k.between);
 * ```
 * @category Gradient checking
 */
export interface KinkPoint {
  readonly input: string;
  readonly index: readonly number[];
  readonly element: string;
  readonly output: string;
  readonly analytic: number;
  /** The slope from the left: `(f(x) - f(x - h)) / h`. */
  readonly left: number;
  /** The slope from the right: `(f(x + h) - f(x)) / h`. */
  readonly right: number;
  readonly between: boolean;
  /** `point`: the kink is at the input itself; `within-step`: it lies within one step of it. */
  readonly at: 'point' | 'within-step';
}

/**
 * Why a check did not pass. Every variant has a readable `message`.
 * - `mismatch`: analytic and numeric gradients disagree; `worst` lists the worst entries.
 * - `non-differentiable`: every disagreement is at an input where `f` has a kink.
 * - `non-finite`: NaN or an infinity met at the point, during the differences, or in the analytic gradient.
 * - `not-scalar`: `output: 'scalar'` was asked for and `f` returned more than one element.
 * - `bad-output`: `f` returned something that is not a pytree of tensors.
 * - `threw`: `f` (or its pullback) threw.
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js';
 * import { gradcheck } from '@mnemo/proofs';
 * import { tanh } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const r = gradcheck(tanh, [tensor([1, 2], 'float64')], { output: 'scalar' });
 * console.assert(E.isLeft(r) && r.left.kind === 'not-scalar' && r.left.message.includes('[2]'));
 * ```
 * @category Gradient checking
 */
export type GradcheckFailure =
  | {
      readonly kind: 'mismatch';
      readonly message: string;
      readonly report: GradcheckReport;
      readonly worst: readonly ElementComparison[];
      readonly kinks: readonly KinkPoint[];
    }
  | { readonly kind: 'non-differentiable'; readonly message: string; readonly report: GradcheckReport; readonly kinks: readonly KinkPoint[] }
  | {
      readonly kind: 'non-finite';
      readonly message: string;
      readonly where: 'value' | 'perturbed' | 'analytic';
      /** The input element that was moved (`perturbed`), or whose gradient is not finite (`analytic`). */
      readonly input: string | undefined;
      readonly output: string | undefined;
    }
  | { readonly kind: 'not-scalar'; readonly message: string; readonly shape: readonly number[] }
  | { readonly kind: 'bad-output'; readonly message: string }
  | { readonly kind: 'threw'; readonly message: string; readonly error: unknown };

/**
 * The result of a check: `Right` with the report when every comparison
 * passes, `Left` with the reason otherwise.
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js';
 * import { gradcheck, type GradcheckResult } from '@mnemo/proofs';
 * import { sin } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const r: GradcheckResult = gradcheck(sin, [tensor([0.3], 'float64')]);
 * console.assert(E.isRight(r));
 * ```
 * @category Gradient checking
 */
export type GradcheckResult = E.Either<GradcheckFailure, GradcheckReport>;

/** Carries a failure out of the evaluation loops. */
class Abort {
  constructor(readonly failure: GradcheckFailure) {}
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

// ---------------------------------------------------------------------------
// The function under check
// ---------------------------------------------------------------------------

interface Subject {
  /** The function of the checked arguments only. */
  readonly g: (...sel: Tree[]) => unknown;
  readonly def: TreeDef;
  readonly leaves: readonly Tensor[];
  readonly paths: readonly string[];
}

/** @internal Validate f, args and wrt; the function of the checked arguments and its leaves. */
export function subjectOf(op: string, f: unknown, args: unknown, s: GradcheckSettings, wrt: readonly number[] | undefined, argNames: readonly string[] | undefined): Subject {
  if (typeof f !== 'function') throw new ArgumentError(op, 'f', `expected a function, got ${f === null ? 'null' : typeof f}`);
  if (!Array.isArray(args)) throw new ArgumentError(op, 'args', `expected an array of arguments (tensors or pytrees of tensors), got ${args === null ? 'null' : typeof args}`);
  const nums = wrt ?? args.map((_, i) => i);
  nums.forEach((n) => {
    if (!Number.isInteger(n) || n < 0 || n >= args.length) {
      throw new ArgumentError(op, 'options.wrt', `argument ${String(n)} does not exist: ${args.length} argument(s) were given`);
    }
  });
  if (new Set(nums).size !== nums.length) throw new ArgumentError(op, 'options.wrt', `lists an argument twice: [${nums.join(', ')}]`);
  const sel = nums.map((n) => args[n] as unknown);
  const [leaves, def] = tree.flatten(sel, op, 'args');
  const paths = nums.flatMap((n) => leafPaths(args[n], argNames?.[n] ?? `args[${n}]`));
  if (leaves.length === 0) throw new ArgumentError(op, 'args', 'there is nothing to check: the checked arguments hold no tensors');
  leaves.forEach((x, i) => {
    if (x.dtype === 'float32' && s.precision !== 'float32') {
      throw new DTypeError(
        op,
        paths[i]!,
        `is float32; gradient checks run in float64 because central differences in float32 lose about half of the ` +
          `significant digits to rounding (the step cannot be both small enough for the truncation error and large ` +
          `enough for the rounding error), so only loose tolerances would pass. Cast the inputs to float64, or opt in ` +
          `with { precision: 'float32' } (step 1e-3, atol 1e-3, rtol 1e-2)`,
      );
    }
  });
  const g = (...s2: Tree[]): unknown => {
    const full = (args as unknown[]).slice();
    nums.forEach((n, i) => (full[n] = s2[i]));
    return (f as (...a: unknown[]) => unknown)(...full);
  };
  return { g, def, leaves, paths };
}

interface OutputShape {
  readonly def: TreeDef;
  readonly shapes: readonly (readonly number[])[];
  readonly dtypes: readonly DType[];
  readonly paths: readonly string[];
  readonly offsets: readonly number[];
  readonly size: number;
}

function describeOutput(out: unknown, setting: 'any' | 'scalar', precision: 'float64' | 'float32'): OutputShape {
  let leaves: Tensor[];
  let def: TreeDef;
  try {
    [leaves, def] = tree.flatten(out, 'gradcheck', 'output');
  } catch (e) {
    throw new Abort({ kind: 'bad-output', message: `gradcheck: f must return a tensor or a pytree of tensors: ${errorText(e)}` });
  }
  if (leaves.length === 0) throw new Abort({ kind: 'bad-output', message: 'gradcheck: f returned no tensors, so there is nothing to differentiate' });
  const size = leaves.reduce((n, t) => n + t.size, 0);
  const paths = leafPaths(out, 'out');
  const f32 = leaves.findIndex((t) => t.dtype === 'float32');
  if (f32 >= 0 && precision === 'float64') {
    throw new Abort({
      kind: 'bad-output',
      message:
        `gradcheck: f returned a float32 tensor (${paths[f32]}) from float64 inputs: its rounding (about 1e-7 relative) ` +
        `swamps central differences with a step of 1e-6. Compute in float64, or check with { precision: 'float32' }`,
    });
  }
  if (setting === 'scalar' && (leaves.length !== 1 || size !== 1)) {
    const shape = leaves.length === 1 ? leaves[0]!.shape : [size];
    throw new Abort({
      kind: 'not-scalar',
      message:
        `gradcheck: f must return a scalar (one element) here, but it returned ` +
        (leaves.length === 1 ? `shape ${formatShape(shape)}` : `${leaves.length} tensors with ${size} elements`) +
        `; reduce it (for example with sum) or check with output: 'any'`,
      shape,
    });
  }
  const offsets: number[] = [];
  let o = 0;
  for (const t of leaves) {
    offsets.push(o);
    o += t.size;
  }
  return { def, shapes: leaves.map((t) => t.shape), dtypes: leaves.map((t) => t.dtype), paths, offsets, size };
}

function outputElement(os: OutputShape, k: number): string {
  if (os.size === 1) return '';
  let l = os.offsets.length - 1;
  while (os.offsets[l]! > k) l--;
  return elementName(os.paths[l]!, os.shapes[l]!, k - os.offsets[l]!);
}

/** Evaluates the subject at given leaves and returns its output as one flat float64 array. */
class Evaluator {
  calls = 0;
  constructor(
    private readonly subject: Subject,
    private readonly os: OutputShape,
  ) {}

  at(leaves: readonly Tensor[], what: () => string): Float64Array {
    this.calls++;
    let out: unknown;
    try {
      out = this.subject.g(...(tree.unflatten(this.subject.def, leaves) as Tree[]));
    } catch (e) {
      throw new Abort({ kind: 'threw', message: `gradcheck: f threw when ${what()}: ${errorText(e)}`, error: e });
    }
    let ls: Tensor[];
    try {
      ls = tree.flatten(out, 'gradcheck', 'output')[0];
    } catch (e) {
      throw new Abort({ kind: 'bad-output', message: `gradcheck: when ${what()}, f returned something that is not a pytree of tensors: ${errorText(e)}` });
    }
    if (ls.length !== this.os.shapes.length || ls.some((t, i) => t.size !== sizeOfShape(this.os.shapes[i]!))) {
      throw new Abort({ kind: 'bad-output', message: `gradcheck: when ${what()}, f returned an output of another structure or size than at the point itself` });
    }
    const flat = new Float64Array(this.os.size);
    ls.forEach((t, i) => flat.set(dataOf(t), this.os.offsets[i]!));
    for (let k = 0; k < flat.length; k++) {
      if (!Number.isFinite(flat[k]!)) {
        throw new Abort({
          kind: 'non-finite',
          where: 'perturbed',
          input: undefined,
          output: outputElement(this.os, k),
          message:
            `gradcheck: f returned ${flat[k]} at ${outputElement(this.os, k) || 'its output'} when ${what()}: ` +
            `the point is within one step of a singularity or of the edge of f's domain; move it, or use a smaller step`,
        });
      }
    }
    return flat;
  }
}

function sizeOfShape(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/** The pullback at the point, as a function from a flat output cotangent to flat per-leaf gradients. */
function pullbackAt(subject: Subject, os: OutputShape): (ct: Float64Array) => Float64Array[] {
  let pb: (ct: Tree) => readonly Tree[];
  try {
    [, pb] = vjp(subject.g as (...a: Tree[]) => Tree, ...(tree.unflatten(subject.def, subject.leaves) as Tree[]));
  } catch (e) {
    throw new Abort({ kind: 'threw', message: `gradcheck: f threw while its tape was recorded: ${errorText(e)}`, error: e });
  }
  return (ct) => {
    const ctLeaves = os.shapes.map((s, l) => {
      const t = zeros(s, os.dtypes[l]!);
      return fromValues(t, ct.subarray(os.offsets[l]!, os.offsets[l]! + t.size));
    });
    let gs: Tensor[];
    try {
      gs = tree.flatten(pb(tree.unflatten(os.def, ctLeaves) as Tree), 'gradcheck', 'gradient')[0];
    } catch (e) {
      throw new Abort({ kind: 'threw', message: `gradcheck: the pullback (the VJP rules) threw: ${errorText(e)}`, error: e });
    }
    return gs.map((t, i) => {
      const d = Float64Array.from(dataOf(t));
      for (let j = 0; j < d.length; j++) {
        if (!Number.isFinite(d[j]!)) {
          const el = elementName(subject.paths[i]!, subject.leaves[i]!.shape, j);
          throw new Abort({
            kind: 'non-finite',
            where: 'analytic',
            input: el,
            output: undefined,
            message: `gradcheck: the analytic gradient at ${el} is ${d[j]}: a VJP rule divides by zero or overflows at this point`,
          });
        }
      }
      return d;
    });
  };
}

function roundTo(dtype: DType, v: number): number {
  return dtype === 'float32' ? Math.fround(v) : v;
}

// ---------------------------------------------------------------------------
// The two modes
// ---------------------------------------------------------------------------

interface Accumulated {
  readonly stats: ErrorStats[];
  readonly fails: ElementComparison[];
  readonly kinks: KinkPoint[];
  kinkEntries: number;
}

interface KinkTest {
  /** Slopes from the left and the right at step h, per output element. */
  readonly left: Float64Array;
  readonly right: Float64Array;
  /** The central difference at the quarter step (for the within-step test). */
  readonly quarter: () => { left: Float64Array; right: Float64Array; central: Float64Array };
}

/**
 * Classify a disagreement between one-sided slopes: `point` when it does not
 * shrink with the step (a kink at the input), `within-step` when it vanishes at a
 * quarter step but the analytic value then matches (a kink near the input),
 * `null` when it shrinks like a smooth function's (curvature).
 */
function kinkAt(
  kt: KinkTest,
  analytic: (k: number) => number,
  central: Float64Array,
  s: GradcheckSettings,
): { at: 'point' | 'within-step'; k: number } | null {
  let worst = -1;
  let worstJump = 0;
  for (let k = 0; k < kt.left.length; k++) {
    const jump = Math.abs(kt.right[k]! - kt.left[k]!);
    const tol = s.atol + s.rtol * Math.max(Math.abs(kt.left[k]!), Math.abs(kt.right[k]!));
    if (jump > tol && jump > worstJump) {
      worstJump = jump;
      worst = k;
    }
  }
  if (worst < 0) return null;
  const q = kt.quarter();
  const jumpQ = Math.abs(q.right[worst]! - q.left[worst]!);
  if (jumpQ > 0.5 * worstJump) return { at: 'point', k: worst };
  // A smooth function's one-sided slopes close in linearly with the step. If the
  // central difference misses the analytic value at h but matches it at h / 4,
  // a kink lies between the two.
  for (let k = 0; k < central.length; k++) {
    const a = analytic(k);
    const bad = Math.abs(a - central[k]!) > s.atol + s.rtol * Math.abs(central[k]!);
    const goodQ = Math.abs(a - q.central[k]!) <= s.atol + s.rtol * Math.abs(q.central[k]!);
    if (bad && goodQ) return { at: 'within-step', k };
  }
  return null;
}

function between(a: number, l: number, r: number, s: GradcheckSettings): boolean {
  const lo = Math.min(l, r);
  const hi = Math.max(l, r);
  const slack = s.atol + s.rtol * Math.max(Math.abs(l), Math.abs(r));
  return a >= lo - slack && a <= hi + slack;
}

function runElementwise(subject: Subject, os: OutputShape, ev: Evaluator, f0: Float64Array, s: GradcheckSettings, acc: Accumulated): void {
  const pb = pullbackAt(subject, os);
  const n = subject.leaves.reduce((a, t) => a + t.size, 0);
  const m = os.size;
  // Rows of the Jacobian from pullbacks of one-hot cotangents: jac[k * n + col].
  const jac = new Float64Array(m * n);
  const ct = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    ct.fill(0);
    ct[k] = 1;
    const gs = pb(ct);
    let col = 0;
    for (const g of gs) {
      jac.set(g, k * n + col);
      col += g.length;
    }
  }
  const h = s.step;
  let col0 = 0;
  subject.leaves.forEach((x, i) => {
    const xd = dataOf(x);
    const path = subject.paths[i]!;
    const stats = acc.stats[i]!;
    for (let j = 0; j < x.size; j++) {
      const col = col0 + j;
      const el = elementName(path, x.shape, j);
      const x0 = xd[j]!;
      const xp = roundTo(x.dtype, x0 + h);
      const xm = roundTo(x.dtype, x0 - h);
      const eval1 = (v: number, sign: string, step: number): Float64Array => {
        const leaves = subject.leaves.slice();
        leaves[i] = withElement(x, j, v);
        return ev.at(leaves, () => `${el} was moved by ${sign}${num(step)}`);
      };
      const fp = eval1(xp, '+', h);
      const fm = eval1(xm, '-', h);
      const central = new Float64Array(m);
      for (let k = 0; k < m; k++) central[k] = (fp[k]! - fm[k]!) / (xp - xm);
      const analytic = (k: number): number => jac[k * n + col]!;
      if (s.kinks === 'report') {
        const left = new Float64Array(m);
        const right = new Float64Array(m);
        for (let k = 0; k < m; k++) {
          right[k] = (fp[k]! - f0[k]!) / (xp - x0);
          left[k] = (f0[k]! - fm[k]!) / (x0 - xm);
        }
        const kink = kinkAt(
          {
            left,
            right,
            quarter: () => {
              const xpq = roundTo(x.dtype, x0 + h / 4);
              const xmq = roundTo(x.dtype, x0 - h / 4);
              const fpq = eval1(xpq, '+', h / 4);
              const fmq = eval1(xmq, '-', h / 4);
              const l = new Float64Array(m);
              const r = new Float64Array(m);
              const c = new Float64Array(m);
              for (let k = 0; k < m; k++) {
                r[k] = (fpq[k]! - f0[k]!) / (xpq - x0);
                l[k] = (f0[k]! - fmq[k]!) / (x0 - xmq);
                c[k] = (fpq[k]! - fmq[k]!) / (xpq - xmq);
              }
              return { left: l, right: r, central: c };
            },
          },
          analytic,
          central,
          s,
        );
        if (kink !== null) {
          const k = kink.k;
          acc.kinks.push({
            input: path,
            index: unravel(j, x.shape),
            element: el,
            output: outputElement(os, k),
            analytic: analytic(k),
            left: left[k]!,
            right: right[k]!,
            between: between(analytic(k), left[k]!, right[k]!, s),
            at: kink.at,
          });
          acc.kinkEntries += m;
          continue;
        }
      }
      for (let k = 0; k < m; k++) {
        const a = analytic(k);
        const nv = central[k]!;
        if (!stats.add(a, nv)) {
          acc.fails.push({
            input: path,
            index: unravel(j, x.shape),
            element: el,
            output: outputElement(os, k),
            direction: undefined,
            analytic: a,
            numeric: nv,
            absError: Math.abs(a - nv),
            relError: relError(a, nv, s.atol),
          });
        }
      }
    }
    col0 += x.size;
  });
}

function runDot(subject: Subject, os: OutputShape, ev: Evaluator, f0: Float64Array, s: GradcheckSettings, baseKey: Key, acc: Accumulated): void {
  const pb = pullbackAt(subject, os);
  const h = s.step;
  const nl = subject.leaves.length;
  for (let d = 0; d < s.directions; d++) {
    const keys = split(foldIn(baseKey, d), nl + 1);
    const v = dataOf(normal(keys[nl]!, [os.size], { dtype: 'float64' }));
    const gs = pb(Float64Array.from(v));
    const dotV = (a: Float64Array, b: Float64Array | null): number => {
      let t = 0;
      for (let k = 0; k < a.length; k++) t += v[k]! * (a[k]! - (b === null ? 0 : b[k]!));
      return t;
    };
    subject.leaves.forEach((x, i) => {
      const path = subject.paths[i]!;
      const el = `${path} along direction ${d}`;
      const u = dataOf(normal(keys[i]!, [x.size], { dtype: 'float64' }));
      const xd = dataOf(x);
      const moved = (scale: number): { t: Tensor; data: Float64Array } => {
        const data = new Float64Array(x.size);
        for (let j = 0; j < x.size; j++) data[j] = roundTo(x.dtype, xd[j]! + scale * u[j]!);
        return { t: fromValues(x, data), data };
      };
      const evalAt = (t: Tensor, what: string): Float64Array => {
        const leaves = subject.leaves.slice();
        leaves[i] = t;
        return ev.at(leaves, () => `${path} was moved by ${what} along random direction ${d}`);
      };
      const p = moved(h);
      const q = moved(-h);
      const fp = evalAt(p.t, `+${num(h)}`);
      const fm = evalAt(q.t, `-${num(h)}`);
      // The analytic side uses the displacement actually taken (after rounding to the dtype).
      const g = gs[i]!;
      let analytic = 0;
      for (let j = 0; j < x.size; j++) analytic += g[j]! * (p.data[j]! - q.data[j]!);
      analytic /= 2 * h;
      const numeric = dotV(fp, fm) / (2 * h);
      if (s.kinks === 'report') {
        const right = Float64Array.of(dotV(fp, f0) / h);
        const left = Float64Array.of(dotV(f0, fm) / h);
        const kink = kinkAt(
          {
            left,
            right,
            quarter: () => {
              const pq = moved(h / 4);
              const qq = moved(-h / 4);
              const fpq = evalAt(pq.t, `+${num(h / 4)}`);
              const fmq = evalAt(qq.t, `-${num(h / 4)}`);
              return {
                right: Float64Array.of(dotV(fpq, f0) / (h / 4)),
                left: Float64Array.of(dotV(f0, fmq) / (h / 4)),
                central: Float64Array.of(dotV(fpq, fmq) / (h / 2)),
              };
            },
          },
          () => analytic,
          Float64Array.of(numeric),
          s,
        );
        if (kink !== null) {
          acc.kinks.push({ input: path, index: [], element: el, output: '', analytic, left: left[0]!, right: right[0]!, between: between(analytic, left[0]!, right[0]!, s), at: kink.at });
          acc.kinkEntries++;
          return;
        }
      }
      if (!acc.stats[i]!.add(analytic, numeric)) {
        acc.fails.push({ input: path, index: [], element: el, output: '', direction: d, analytic, numeric, absError: Math.abs(analytic - numeric), relError: relError(analytic, numeric, s.atol) });
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Reports and messages
// ---------------------------------------------------------------------------

function formatComparison(c: ElementComparison): string {
  const where = c.output === '' ? c.element : `d ${c.output} / d ${c.element}`;
  return `  ${where}: analytic ${sig(c.analytic, 8)}, numeric ${sig(c.numeric, 8)} (abs error ${sci(c.absError, 2)}, rel error ${sci(c.relError, 2)})`;
}

function formatKink(k: KinkPoint): string {
  const where = k.output === '' ? k.element : `d ${k.output} / d ${k.element}`;
  const at = k.at === 'point' ? 'at the point' : 'within one step of the point';
  return `  ${where}: slopes ${sig(k.left, 6)} from the left and ${sig(k.right, 6)} from the right (kink ${at}); analytic ${sig(k.analytic, 6)}${k.between ? ', between them' : ', NOT between them'}`;
}

function tolText(s: GradcheckSettings): string {
  return `atol ${num(s.atol)} + rtol ${num(s.rtol)} |numeric|`;
}

/** @internal Run the configured modes on a prepared subject. */
export function check(op: string, subject: Subject, s: GradcheckSettings, baseKey: Key): GradcheckResult {
  try {
    let y0: unknown;
    try {
      y0 = subject.g(...(tree.unflatten(subject.def, subject.leaves) as Tree[]));
    } catch (e) {
      throw new Abort({ kind: 'threw', message: `${op}: f threw at the point itself: ${errorText(e)}`, error: e });
    }
    const os = describeOutput(y0, s.output, s.precision);
    const ev = new Evaluator(subject, os);
    let f0: Float64Array;
    try {
      f0 = ev.at(subject.leaves, () => 'evaluated at the point itself');
    } catch (e) {
      if (e instanceof Abort && e.failure.kind === 'non-finite') {
        throw new Abort({ ...e.failure, where: 'value', message: `${op}: f is not finite at the point itself (${e.failure.output || 'its output'}); a gradient check needs a point where f is finite` });
      }
      throw e;
    }
    const n = subject.leaves.reduce((a, t) => a + t.size, 0);
    const modes: ('elementwise' | 'dot')[] =
      s.mode === 'both' ? ['elementwise', 'dot'] : s.mode === 'auto' ? [n <= s.maxElements && os.size <= s.maxElements ? 'elementwise' : 'dot'] : [s.mode];
    const acc: Accumulated = { stats: subject.leaves.map(() => new ErrorStats(s.atol, s.rtol)), fails: [], kinks: [], kinkEntries: 0 };
    const normRel: (number | undefined)[] = subject.leaves.map(() => undefined);
    for (const mode of modes) {
      if (mode === 'elementwise') {
        runElementwise(subject, os, ev, f0, s, acc);
        acc.stats.forEach((st, i) => (normRel[i] = st.normRel));
      } else {
        // Norm-wise errors are over Jacobian entries only: keep the elementwise ones.
        runDot(subject, os, ev, f0, s, baseKey, acc);
      }
    }
    const inputs: InputReport[] = subject.leaves.map((x, i) => {
      const st = acc.stats[i]!;
      return {
        path: subject.paths[i]!,
        shape: x.shape,
        elements: x.size,
        checked: st.count,
        failed: st.failed,
        maxAbsError: st.maxAbs,
        maxRelError: st.maxRel,
        normRelError: normRel[i],
      };
    });
    const report: GradcheckReport = {
      modes,
      inputs,
      elements: n,
      checked: inputs.reduce((a, r) => a + r.checked, 0),
      maxAbsError: Math.max(0, ...inputs.map((r) => r.maxAbsError)),
      maxRelError: Math.max(0, ...inputs.map((r) => r.maxRelError)),
      kinks: acc.kinks.length,
      settings: s,
    };
    const normFails = s.normRtol === undefined ? [] : inputs.filter((r) => r.normRelError !== undefined && r.normRelError > s.normRtol!);
    if (acc.fails.length > 0 || normFails.length > 0) {
      const worst = acc.fails
        .slice()
        .sort((a, b) => violation(b.analytic, b.numeric, s.atol, s.rtol) - violation(a.analytic, a.numeric, s.atol, s.rtol))
        .slice(0, s.worst);
      const bad = inputs.filter((r) => r.failed > 0 || normFails.includes(r));
      const lines = [
        `${op}: the analytic gradient disagrees with central differences (step ${num(s.step)}, ${modes.join(' and ')} mode) ` +
          `for ${bad.map((r) => r.path).join(', ')}:`,
        ...bad.map(
          (r) =>
            `  ${r.path} ${formatShape(r.shape)}: ${r.failed} of ${r.checked} comparisons outside ${tolText(s)}` +
            (r.normRelError !== undefined ? `; norm-wise relative error ${sci(r.normRelError, 2)}` : '') +
            (normFails.includes(r) ? ` > ${num(s.normRtol!)}` : ''),
        ),
      ];
      if (worst.length > 0) lines.push('worst entries:', ...worst.map(formatComparison));
      if (acc.kinks.length > 0) lines.push(`also ${acc.kinks.length} input element(s) at non-differentiable points (skipped):`, ...acc.kinks.slice(0, s.worst).map(formatKink));
      return E.left({ kind: 'mismatch', message: lines.join('\n'), report, worst, kinks: acc.kinks });
    }
    if (acc.kinks.length > 0) {
      const lines = [
        `${op}: ${acc.kinks.length} input element(s) sit at points where f is not differentiable: the one-sided differences ` +
          `disagree by an amount that does not shrink with the step, so central differences cannot check the gradient there ` +
          `(move the inputs away from kinks such as relu at 0 or ties in max):`,
        ...acc.kinks.slice(0, s.worst).map(formatKink),
      ];
      return E.left({ kind: 'non-differentiable', message: lines.join('\n'), report, kinks: acc.kinks });
    }
    return E.right(report);
  } catch (e) {
    if (e instanceof Abort) return E.left(e.failure);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Check the gradients of `f` at `args` (tensors or pytrees of tensors, float64)
 * against central finite differences. `f` may return any pytree of tensors:
 * its whole Jacobian is checked (elementwise mode) or its products with random
 * directions (dot mode).
 *
 * Returns `Right(report)` when every comparison passes (the largest absolute
 * and relative error per input, the number of elements checked), or
 * `Left(failure)` with the reason: a `mismatch` lists the worst entries with
 * their input path, index, analytic and numeric values.
 *
 * @param f - The function: tensors or pytrees of tensors in (float64), any pytree
 *   of tensors out.
 * @param args - Its arguments, at which the gradients are checked.
 * @param options - `mode` (`auto`, `elementwise`, `dot` or `both`), `step`, `atol`, `rtol`, `wrt`,
 *   `argNames`, `seed` or `key`, `precision` (see {@link GradcheckOptions}).
 * @returns `Right` with the {@link GradcheckReport} when every comparison passes,
 *   `Left` with the {@link GradcheckFailure} otherwise. {@link assertGradcheck}
 *   throws instead.
 * @throws ArgumentError - when `f` is not a function, `args` is not an array of
 *   pytrees of tensors (or holds none to check), `wrt` names an argument that was
 *   not passed or one twice, `key` is not a key, or an option is out of range.
 * @throws DTypeError - when a checked input is float32 and `precision` is not
 *   `float32` (the message says why checks run in float64).
 * @throws ShapeError - not for a failed check, which is a `Left`: only from the
 *   ops that build the random directions, should the inputs' shapes be
 *   inconsistent.
 * @throws MnemoError - when tapes are closed out of order inside `f` (a failure of
 *   `f` itself is reported as a `Left` of kind `threw`).
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js';
 * import { gradcheck } from '@mnemo/proofs';
 * import { matmul, tanh } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const x = tensor([[0.1, -0.4, 0.3]], 'float64');
 * const w = tensor([[0.2, 0.5], [-0.3, 0.1], [0.7, -0.6]], 'float64');
 * const r = gradcheck((x, w) => tanh(matmul(x, w)), [x, w], { argNames: ['x', 'w'] });
 * console.assert(E.isRight(r) && r.right.inputs[1]!.path === 'w' && r.right.elements === 9);
 * ```
 * @category Gradient checking
 */
export function gradcheck<A extends readonly Tree[]>(f: (...args: A) => unknown, args: A, options: GradcheckOptions = {}): GradcheckResult {
  const s = resolveSettings('gradcheck', options);
  const subject = subjectOf('gradcheck', f, args, s, options.wrt, options.argNames);
  return check('gradcheck', subject, s, baseKeyOf('gradcheck', options));
}

/**
 * The error {@link assertGradcheck} throws when a gradient check fails. Its
 * message is the failure's (for a mismatch, the worst entries with their
 * input paths, analytic and numeric values), and `failure` holds the whole
 * {@link GradcheckFailure}, report included.
 *
 * @example
 * ```ts
 * import { assertGradcheck, GradcheckError } from '@mnemo/proofs';
 * import { customVjp, mul } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const wrong = customVjp((x: Tensor) => mul(x, x), { fwd: (x) => [mul(x, x), x], bwd: (x, g) => [mul(g, x)] }); // forgot the 2
 * let e: unknown;
 * try { assertGradcheck(wrong, [tensor([1.5], 'float64')]); } catch (err) { e = err; }
 * console.assert(e instanceof GradcheckError && e.failure.kind === 'mismatch');
 * ```
 * @category Gradient checking
 */
export class GradcheckError extends MnemoError {
  /** Why the check failed, as {@link gradcheck} returns it in `Left`. */
  readonly failure: GradcheckFailure;
  /**
   * Make the error for a failed check, with the failure as its detail.
   *
   * @param op - The check that failed (`assertGradcheck`).
   * @param failure - The failure, as {@link gradcheck} returns it.
   */
  constructor(op: string, failure: GradcheckFailure) {
    const message: unknown = failure !== null && typeof failure === 'object' ? (failure as { message?: unknown }).message : undefined;
    super(op, 'f', typeof message === 'string' ? message : `the check failed: ${formatValue(failure)}`);
    this.failure = failure;
  }
}

/**
 * Check the gradients of `f` at `args` as {@link gradcheck} does, but throw
 * when the check fails instead of returning an `Either`: for tests and
 * examples, where a failed check should stop everything. Returns the report
 * of a check that passes.
 *
 * @param f - The function: tensors or pytrees of tensors in (float64), any pytree of tensors out.
 * @param args - Its arguments, at which the gradients are checked.
 * @param options - As for {@link gradcheck}: `mode`, tolerances, `wrt`, `argNames`, `seed` or `key`, ...
 * @returns The {@link GradcheckReport}: the largest absolute and relative error per input, and how many elements were checked.
 * @throws GradcheckError - when the check fails: a mismatch (the message lists the worst entries), a point where `f` is not differentiable, a non-finite value, or `f` throwing or returning something that is not a pytree of tensors.
 * @throws ArgumentError - when `f` is not a function, `args` is not an array of pytrees of tensors, or an option is out of range.
 * @throws DTypeError - when a checked input is float32 without `precision: 'float32'`.
 * @throws ShapeError - (from the ops inside `f`, while the tape is recorded) as {@link gradcheck}.
 * @throws MnemoError - when tapes are closed out of order inside `f`.
 *
 * @example
 * ```ts
 * import { assertGradcheck } from '@mnemo/proofs';
 * import { matmul, tanh } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const x = tensor([[0.1, -0.4, 0.3]], 'float64');
 * const w = tensor([[0.2, 0.5], [-0.3, 0.1], [0.7, -0.6]], 'float64');
 * const report = assertGradcheck((x, w) => tanh(matmul(x, w)), [x, w], { argNames: ['x', 'w'] });
 * console.assert(report.elements === 9 && report.inputs[1]!.path === 'w');
 * ```
 * @category Gradient checking
 */
export function assertGradcheck<A extends readonly Tree[]>(f: (...args: A) => unknown, args: A, options: GradcheckOptions = {}): GradcheckReport {
  const r = gradcheck(f, args, options);
  if (E.isLeft(r)) throw new GradcheckError('assertGradcheck', r.left);
  return r.right;
}

function baseKeyOf(op: string, o: GradcheckOptions): Key {
  if (o.key !== undefined) {
    if (!(o.key instanceof Key)) throw new ArgumentError(op, 'options.key', 'expected a Key (from key(seed))');
    return o.key;
  }
  return makeKey(o.seed ?? 0);
}

/**
 * Check second derivatives: `gradcheck` applied to the gradient of `f`.
 * When `f` returns a scalar, the function checked is `args -> grad f(args)`
 * (its Jacobian is the Hessian). Otherwise a cotangent `v` (one per output
 * leaf, drawn from the key) becomes an extra checked argument named
 * `cotangent`, and the function checked is `(args, v) -> J(args)^T v`, as in
 * PyTorch's `gradgradcheck`. Options and result are those of {@link gradcheck}.
 *
 * @param f - The function whose second derivatives to check.
 * @param args - Its arguments (float64).
 * @param options - As for {@link gradcheck}.
 * @returns `Right` with the report of the check of the gradient, or `Left` with
 *   the failure.
 * @throws ArgumentError - when `f` is not a function, `args` is not an array of
 *   pytrees of tensors (or holds none to check), `wrt` names an argument that was
 *   not passed or one twice, `key` is not a key, or an option is out of range.
 * @throws DTypeError - when a checked input is float32 and `precision` is not
 *   `float32` (the message says why checks run in float64).
 * @throws ShapeError - not for a failed check, which is a `Left`: only from the
 *   ops that build the random directions, should the inputs' shapes be
 *   inconsistent.
 * @throws MnemoError - when tapes are closed out of order inside `f` (a failure of
 *   `f` itself is reported as a `Left` of kind `threw`).
 *
 * @example
 * ```ts
 * import * as E from 'fp-ts/lib/Either.js';
 * import { gradgradcheck } from '@mnemo/proofs';
 * import { sum, tanh, mul } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const x = tensor([0.3, -1.2], 'float64');
 * console.assert(E.isRight(gradgradcheck((x) => sum(mul(tanh(x), x)), [x])));
 * console.assert(E.isRight(gradgradcheck((x) => tanh(x), [x]))); // non-scalar: checks (x, v) -> J^T v
 * ```
 * @category Gradient checking
 */
export function gradgradcheck<A extends readonly Tree[]>(f: (...args: A) => unknown, args: A, options: GradcheckOptions = {}): GradcheckResult {
  const op = 'gradgradcheck';
  const s = resolveSettings(op, options);
  const inner = subjectOf(op, f, args, s, options.wrt, options.argNames);
  const baseKey = baseKeyOf(op, options);
  let y0: unknown;
  try {
    y0 = inner.g(...(tree.unflatten(inner.def, inner.leaves) as Tree[]));
  } catch (e) {
    return E.left({ kind: 'threw', message: `${op}: f threw at the point itself: ${errorText(e)}`, error: e });
  }
  let os: OutputShape;
  try {
    os = describeOutput(y0, 'any', s.precision);
  } catch (e) {
    if (e instanceof Abort) return E.left(e.failure);
    throw e;
  }
  const nSel = (tree.unflatten(inner.def, inner.leaves) as Tree[]).length;
  const scalarOut = os.size === 1 && os.shapes.length === 1;
  const argnums = Array.from({ length: nSel }, (_, i) => i);
  if (scalarOut) {
    const g = (...sel: Tree[]): unknown => grad(inner.g as (...a: Tree[]) => Tensor, { argnums })(...sel);
    const subject: Subject = { g, def: inner.def, leaves: inner.leaves, paths: inner.paths };
    return check(op, subject, { ...s, output: 'any' }, baseKey);
  }
  // Non-scalar output: check (args, v) -> J^T v, with v an argument too.
  const vKeys = split(foldIn(baseKey, 0x9e37), os.shapes.length);
  const vLeaves = os.shapes.map((shape, l) => {
    const z = normal(vKeys[l]!, shape, { dtype: 'float64' });
    return os.dtypes[l] === 'float64' ? z : fromValues(zeros(shape, os.dtypes[l]!), dataOf(z));
  });
  const v = tree.unflatten(os.def, vLeaves) as Tree;
  const g = (...all: Tree[]): unknown => {
    const sel = all.slice(0, nSel);
    const [, pb] = vjp(inner.g as (...a: Tree[]) => Tree, ...sel);
    return pb(all[nSel]!);
  };
  const [leaves, def] = tree.flatten([...(tree.unflatten(inner.def, inner.leaves) as Tree[]), v], op, 'args');
  const subject: Subject = { g, def, leaves, paths: [...inner.paths, ...leafPaths(v, 'cotangent')] };
  return check(op, subject, { ...s, output: 'any' }, baseKey);
}
