/**
 * `defineCell`: the one way to define a recurrent cell, for nn's own cells
 * and for a researcher's. A definition names the parameters (shapes and
 * initializers), the state, the gates and the step equations; everything
 * else (`init`, `initialState`, the argument checks, the sequence fast path
 * of {@link GatedCell}, `inspect`, parameter templates and shapes) derives
 * from it, so it is written once.
 *
 * @module
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, checkDType, formatShape, formatValue, key, split as splitKey, zeros, type DType, type Key } from '@mnemo/core';
import { add, reshape, type Tree } from '@mnemo/autodiff';
import type { Cell, GateProbes } from '../cell.js';
import type { Initializer } from '../init.js';
import { checkParams, checkPositiveInt, checkProbes, checkState, checkStepInput, type GatedCell, type StepReport } from './common.js';

// ---------------------------------------------------------------------------
// What a definition is made of
// ---------------------------------------------------------------------------

/**
 * The options every cell takes: its sizes and dtype (default float32).
 * {@link defineCell} checks them (positive integers; `float32` or
 * `float64`) before the definition sees them, with errors naming the cell.
 *
 * @example
 * ```ts
 * import type { CellOptions } from '@mnemo/nn';
 * const o: CellOptions = { inputSize: 28, hiddenSize: 128, dtype: 'float64' };
 * console.assert(o.hiddenSize === 128);
 * ```
 * @category Defining cells
 */
export interface CellOptions {
  /** Features per step of input. */
  readonly inputSize: number;
  /** Size of the recurrent state. */
  readonly hiddenSize: number;
  /** Parameter and state dtype (default float32). */
  readonly dtype?: DType;
}

/**
 * One parameter of a cell: its shape, how it is drawn, and from which key.
 *
 * `key` says which key `init` hands the initializer: a path of `split`
 * indices from the key `init` receives (`2` is `split(k, 3)[2]`, `[2, 1]` is
 * `split(split(k, 3)[2], 2)[1]`). By default it is the parameter's position
 * among the definition's `params` entries, counting entries that are
 * `undefined` (absent in this configuration), so that adding an optional
 * parameter at the end never changes what the others draw. Initializers that
 * need no randomness (`init.zeros`, `init.ones`) ignore their key.
 *
 * @example
 * ```ts
 * import { init, type ParamSpec } from '@mnemo/nn';
 * const H = 8;
 * const w: ParamSpec = { shape: [3, 4 * H], init: init.rnnUniform(H) };
 * const peephole: ParamSpec = { shape: [H], init: init.rnnUniform(H), key: [2, 0] };
 * console.assert(w.shape[1] === 32 && peephole.key !== undefined);
 * ```
 * @category Defining cells
 */
export interface ParamSpec {
  /** The parameter's shape. */
  readonly shape: readonly number[];
  /** Draws it: `(key, shape, dtype) => Tensor`, such as `init.rnnUniform(H)` or `init.zeros`. */
  readonly init: Initializer;
  /** The path of `split` indices of its key (default: its position among the entries). */
  readonly key?: number | readonly number[];
}

/**
 * The parameters of a definition by name; an entry that is `undefined` is a
 * parameter this configuration does not have (a peephole of a cell without
 * peepholes), which keeps its key slot.
 *
 * @example
 * ```ts
 * import { init, type ParamSpecs } from '@mnemo/nn';
 * const peepholes = false;
 * const specs: ParamSpecs = { w: { shape: [2, 4], init: init.rnnUniform(4) }, p: peepholes ? { shape: [4], init: init.zeros } : undefined };
 * console.assert(specs['p'] === undefined);
 * ```
 * @category Defining cells
 */
export type ParamSpecs = { readonly [name: string]: ParamSpec | undefined };

/**
 * The widths of a definition's state entries by name (each entry is a
 * `[batch, width]` tensor, zeros at the start); an entry that is `undefined`
 * is absent in this configuration.
 *
 * @example
 * ```ts
 * import type { StateSpec } from '@mnemo/nn';
 * const s: StateSpec = { h: 8, c: 8 };
 * console.assert(s['c'] === 8);
 * ```
 * @category Defining cells
 */
export type StateSpec = { readonly [name: string]: number | undefined };

/**
 * The parameter record a {@link ParamSpecs} describes: a tensor per name,
 * optional where the spec may be `undefined`.
 *
 * @example
 * ```ts
 * import type { ParamsOf, ParamSpec } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * type P = ParamsOf<{ w: ParamSpec; p: ParamSpec | undefined }>;
 * const p: P = { w: zeros([2]) };
 * console.assert(p.p === undefined);
 * ```
 * @category Defining cells
 */
export type ParamsOf<S extends ParamSpecs> = { readonly [K in keyof S as undefined extends S[K] ? never : K]: Tensor } & {
  readonly [K in keyof S as undefined extends S[K] ? K : never]?: Tensor;
};

/**
 * The state record a {@link StateSpec} describes: a `[batch, width]` tensor
 * per name, optional where the width may be `undefined`.
 *
 * @example
 * ```ts
 * import type { StateOf } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * const s: StateOf<{ h: number; c: number }> = { h: zeros([1, 2]), c: zeros([1, 2]) };
 * console.assert(s.c.shape[1] === 2);
 * ```
 * @category Defining cells
 */
export type StateOf<S extends StateSpec> = { readonly [K in keyof S as undefined extends S[K] ? never : K]: Tensor } & {
  readonly [K in keyof S as undefined extends S[K] ? K : never]?: Tensor;
};

/**
 * What a definition's `step` receives as its last argument, to write its
 * gates with: `gate(name, activation, pre)` is `activation(pre + probe)`
 * (the probe of that gate, when a BPTT report sets one; see
 * {@link GateProbes}), and its result is what {@link GatedCell.inspect}
 * reports for the gate. `gate.probe(name, pre)` adds the probe alone, for a
 * gate whose activation is written out by hand; `gate.report(name, value)`
 * tells `inspect` a gate's activation computed otherwise (a removed gate's
 * constant; a function is called only while inspecting).
 *
 * @example
 * ```ts
 * import { defineCell, init, type CellOptions } from '@mnemo/nn';
 * import { add, matmul, sigmoid } from '@mnemo/autodiff';
 * import { key, ones, zeros } from '@mnemo/core';
 * const leaky = defineCell('leaky', ({ inputSize: D, hiddenSize: H }: CellOptions) => ({
 *   gates: ['f'],
 *   params: { w: { shape: [D, H], init: init.rnnUniform(H) } },
 *   state: { h: H },
 *   step(p, { h }, x, gate) {
 *     const f = gate('f', sigmoid, matmul(x, p.w));   // f = sigmoid(x W + probe_f)
 *     const h2 = add(h, f);
 *     return [{ h: h2 }, h2];
 *   },
 * }));
 * const cell = leaky({ inputSize: 2, hiddenSize: 3 });
 * const r = cell.inspect(cell.init(key(0)), cell.initialState(1), zeros([1, 2]), { f: ones([1, 3]) });
 * console.assert(r.gates['f']!.toArray().every((v) => Math.abs(v - 1 / (1 + Math.exp(-1))) < 1e-6));
 * ```
 * @category Defining cells
 */
export interface GateContext<G extends string> {
  /** `activation(pre + probe)`, reported to `inspect` under `name`. */
  (name: G, activation: (pre: Tensor) => Tensor, pre: Tensor): Tensor;
  /** `pre + probe`, or `pre` when the gate has no probe. */
  probe(name: G, pre: Tensor): Tensor;
  /** Report a gate's activation to `inspect`; a function is called only while inspecting. */
  report(name: G, value: Tensor | (() => Tensor)): void;
}

/**
 * What a definition returns for one configuration of its options: the
 * parameters, state and gates by name, and the step equations.
 *
 * - `params`: each parameter's shape and initializer ({@link ParamSpec});
 * - `state`: each state entry's width; `initialState(batch)` is zeros;
 * - `gates`: the probe-able gates, in order; each probe is
 *   `[batch, gateSize]` (default hiddenSize);
 * - `step(params, state, x, gate)`: the equations, returning
 *   `[nextState, output]` with the output `[batch, outputSize]` (default
 *   hiddenSize);
 * - `inputPart(params, x)` and `inputPartSize` (optional): the part of the
 *   step that depends on the input alone, row by row (for most cells
 *   `x W + b`). Given, `step` receives `inputPart(params, x)` instead of `x`,
 *   and `scan` computes it for a whole sequence with one matrix product;
 * - `name` (default the family), and `extra`: fields merged into the cell
 *   (how it was configured, such as an LSTM's `structure`).
 *
 * @example
 * ```ts
 * import { init, type CellBlueprint, type ParamSpec } from '@mnemo/nn';
 * import { add, matmul, tanh } from '@mnemo/autodiff';
 * const bp: CellBlueprint<{ w: ParamSpec; u: ParamSpec }, { h: number }, 'h'> = {
 *   gates: ['h'],
 *   params: { w: { shape: [2, 3], init: init.rnnUniform(3) }, u: { shape: [3, 3], init: init.rnnUniform(3) } },
 *   state: { h: 3 },
 *   step: (p, s, x, gate) => {
 *     const h = gate('h', tanh, add(matmul(x, p.w), matmul(s.h, p.u)));
 *     return [{ h }, h];
 *   },
 * };
 * console.assert(bp.gates[0] === 'h');
 * ```
 * @category Defining cells
 */
export interface CellBlueprint<PS extends ParamSpecs, SS extends StateSpec, G extends string, X extends object = object> {
  /** The cell's name (default: the family's), such as `lstm+cifg`. */
  readonly name?: string;
  /** Features per step of output (default hiddenSize). */
  readonly outputSize?: number;
  /** The probe-able gates, in order. */
  readonly gates: readonly G[];
  /** The width of every gate's probe (default hiddenSize). */
  readonly gateSize?: number;
  /** The parameters by name. */
  readonly params: PS;
  /** The state's entries by name, with their widths. */
  readonly state: SS;
  /** The width of `inputPart`'s result (required with `inputPart`). */
  readonly inputPartSize?: number;
  /** The input-only part of the step, row by row (default: the input itself). */
  inputPart?(params: ParamsOf<PS>, x: Tensor): Tensor;
  /** One step: `[nextState, output]`; `x` is `inputPart(params, x)` when there is one. */
  step(params: ParamsOf<PS>, state: StateOf<SS>, x: Tensor, gate: GateContext<G>): readonly [StateOf<SS>, Tensor];
  /** Fields merged into the cell. */
  readonly extra?: X;
}

/**
 * A cell made by a {@link defineCell} definition: a {@link GatedCell} that
 * also says which family it belongs to and how its parameters and state are
 * laid out, with gates and probes typed by name.
 *
 * @example
 * ```ts
 * import { gruCell, type DefinedCell } from '@mnemo/nn';
 * const cell: DefinedCell = gruCell({ inputSize: 2, hiddenSize: 3 });
 * console.assert(cell.family === 'gru' && cell.paramSpec['whn']!.shape.join() === '3,3' && cell.stateSizes['h'] === 3);
 * ```
 * @category Defining cells
 */
export interface DefinedCell<P extends Tree = Tree, S extends Tree = Tree, G extends string = string> extends GatedCell<P, S> {
  /** The family that made it (`lstm` for `lstm+cifg`). */
  readonly family: string;
  readonly gates: readonly G[];
  /** The width of every gate's probe. */
  readonly gateSize: number;
  /** Every parameter this configuration has, with its shape, initializer and key path. */
  readonly paramSpec: Readonly<Record<string, ResolvedParamSpec>>;
  /** Every state entry's width. */
  readonly stateSizes: Readonly<Record<string, number>>;
}

/**
 * A {@link ParamSpec} as a made cell holds it: its key path resolved.
 *
 * @example
 * ```ts
 * import { lstmCell, type ResolvedParamSpec } from '@mnemo/nn';
 * const s: ResolvedParamSpec = lstmCell({ inputSize: 2, hiddenSize: 3, variant: 'peephole' }).paramSpec['pf']!;
 * console.assert(s.key.join() === '2,1' && s.shape.join() === '3');
 * ```
 * @category Defining cells
 */
export interface ResolvedParamSpec {
  readonly shape: readonly number[];
  readonly init: Initializer;
  readonly key: readonly number[];
}

/**
 * What {@link defineCell} returns: a function from options to a cell, which
 * also carries the family's name.
 *
 * @example
 * ```ts
 * import { mguCell, type CellMaker, type MguOptions, type DefinedCell } from '@mnemo/nn';
 * const make: CellMaker<MguOptions, DefinedCell> = mguCell;
 * console.assert(make.family === 'mgu' && make({ inputSize: 1, hiddenSize: 2 }).name === 'mgu');
 * ```
 * @category Defining cells
 */
export interface CellMaker<O extends CellOptions = CellOptions, C extends Cell = Cell> {
  (options: O): C;
  /** The family's name. */
  readonly family: string;
}

// ---------------------------------------------------------------------------
// defineCell
// ---------------------------------------------------------------------------

const CELL_MEMBERS = new Set([
  'name', 'family', 'inputSize', 'hiddenSize', 'outputSize', 'dtype', 'gates', 'gateSize', 'paramSpec', 'stateSizes', 'inputPartSize',
  'init', 'initialState', 'step', 'stepProjected', 'inspect', 'projectInputs',
]);

const isRecord = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === 'object' && !Array.isArray(u) && !(u instanceof Tensor);

/**
 * Define a family of recurrent cells from its equations: the one way to define
 * a cell, for nn's own cells and for yours. `build` receives the options (sizes
 * checked, dtype resolved) and returns a {@link CellBlueprint}: the
 * parameters with their shapes and initializers, the state's widths, the
 * gates, and the step written in differentiable ops. The result is a
 * {@link CellMaker}: call it with options to get a {@link DefinedCell}, whose
 * `init`, `initialState`, argument checks, `inspect` and sequence fast path
 * (the cell compiler, through {@link scan}) all derive from the definition.
 *
 * ## Equations
 *
 * The example below defines JANET (van der Westhuizen & Lasenby 2018), an
 * LSTM with a forget gate only, whose state is the cell state $c$ and whose
 * output is $c_t$; its step is these two lines, written in ops:
 *
 * $$
 * \begin{aligned}
 * s_t &= x_t W_f + c_{t-1} U_f + b_f \\
 * c_t &= \sigma(s_t) \odot c_{t-1} + \big(1 - \sigma(s_t - \beta)\big) \odot \tanh(x_t W_g + c_{t-1} U_g + b_g)
 * \end{aligned}
 * $$
 *
 * ## Shapes
 *
 * What a definition declares, and what its cells then check on every call
 * (with errors that name the cell and both shapes). $B$ batch, $T$ steps,
 * $D$ `inputSize`, $H$ `hiddenSize`; the JANET column is the example's.
 *
 * | | declared as | shape | in the JANET example |
 * | --- | --- | --- | --- |
 * | input | (the options' `inputSize`) | $[B, D]$; {@link scan} takes $[B, T, D]$ | $x_t$ |
 * | state | `state: { name: width }` | $[B, \text{width}]$ each, zeros at the start | `c`: $[B, H]$ |
 * | output | `outputSize` (default $H$) | $[B, \text{outputSize}]$ | $c_t$, $[B, H]$ |
 * | parameter | `params: { name: { shape, init } }` | as declared | `wf`, `wg`: $[D, H]$; `uf`, `ug`: $[H, H]$; `bf`, `bg`: $[H]$ |
 * | probe | `gates: [names]` | $[B, \text{gateSize}]$ (default $H$) | `f` (added to $s_t$), `g` |
 *
 * ## Variants
 *
 * A definition's options may carry its own variants: `build` receives the
 * whole options record (JANET's `beta` below), returns a blueprint for that
 * configuration, and may give the cell a `name` that says which (`gru+reset-after`).
 * Register a family with {@link registerCell} to make it by name
 * (`makeCell('janet', ...)`, `mnemo train --cell janet`).
 *
 * Parameters are drawn from the key `init` receives as {@link ParamSpec}
 * says (by default the parameter at position j draws from
 * `split(key, n)[j]`). Give `build`'s parameter a type
 * (`(o: CellOptions) => ...`, or your own options interface that extends
 * {@link CellOptions}): TypeScript then infers the parameter, state and gate
 * names from the blueprint and types `step`'s arguments by them. Left untyped,
 * the names are not inferred and every parameter reads as `Tensor | undefined`.
 *
 * @param family - The family's name (lower case), also the cell's default name.
 * @param build - The definition: options in, {@link CellBlueprint} out.
 * @returns A function from options to cells, with `family` set.
 * @throws ArgumentError - when `family` is not a non-empty string or `build` not a
 *   function; when a cell is made, if the options are not an object, a size is not
 *   a positive integer or `dtype` is neither `float32` nor `float64` (naming the
 *   family and the option), or the blueprint is malformed (naming the member at
 *   fault).
 * @throws ShapeError - from a made cell's `step` and sequence path, when the
 *   input, a state entry, a parameter or a probe has the wrong shape.
 * @throws DTypeError - likewise, when one of them is not of the cell's dtype.
 * @throws MnemoError - from the compiled sequence path, when one tensor object is
 *   passed as two of its inputs.
 *
 * @example
 * ```ts
 * // JANET (van der Westhuizen & Lasenby 2018): only a forget gate.
 * import { defineCell, init, type CellOptions } from '@mnemo/nn';
 * import { add, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
 * import { key, normal } from '@mnemo/core';
 *
 * const janet = defineCell('janet', (o: CellOptions & { readonly beta?: number }) => {
 *   const { inputSize: D, hiddenSize: H } = o;
 *   const beta = o.beta ?? 1;
 *   return {
 *     gates: ['f', 'g'],
 *     params: {
 *       wf: { shape: [D, H], init: init.rnnUniform(H) }, uf: { shape: [H, H], init: init.rnnUniform(H) },
 *       wg: { shape: [D, H], init: init.rnnUniform(H) }, ug: { shape: [H, H], init: init.rnnUniform(H) },
 *       bf: { shape: [H], init: init.zeros }, bg: { shape: [H], init: init.zeros },
 *     },
 *     state: { c: H },
 *     step(p, { c }, x, gate) {
 *       const s = gate.probe('f', add(add(matmul(x, p.wf), matmul(c, p.uf)), p.bf));
 *       const g = gate('g', tanh, add(add(matmul(x, p.wg), matmul(c, p.ug)), p.bg));
 *       const c2 = add(mul(sigmoid(s), c), mul(sub(1, sigmoid(sub(s, beta))), g));
 *       gate.report('f', () => sigmoid(s));
 *       return [{ c: c2 }, c2];
 *     },
 *   };
 * });
 *
 * const cell = janet({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
 * const [state, h] = cell.step(cell.init(key(0)), cell.initialState(4), normal(key(1), [4, 2], { dtype: 'float64' }));
 * console.assert(h === state.c && h.shape.join() === '4,3' && cell.gates.join() === 'f,g');
 * let msg = '';
 * try { janet({ inputSize: 2, hiddenSize: 3, dtype: 'float16' as never }); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.startsWith("janet: argument 'dtype'"));
 * ```
 * @category Defining cells
 */
export function defineCell<O extends CellOptions, PS extends ParamSpecs, SS extends StateSpec, G extends string, X extends object = object>(
  family: string,
  build: (options: O & { readonly dtype: DType }) => CellBlueprint<PS, SS, G, X>,
): CellMaker<O, DefinedCell<ParamsOf<PS>, StateOf<SS>, G> & Readonly<X>> {
  if (typeof family !== 'string' || family.trim() === '') throw new ArgumentError('defineCell', 'family', `expected the family's name, got ${formatValue(family)}`);
  if (typeof build !== 'function') throw new ArgumentError('defineCell', 'build', `${family}: expected a function from options to a cell blueprint, got ${formatValue(build)}`);
  const make = (options: O): DefinedCell<ParamsOf<PS>, StateOf<SS>, G> & Readonly<X> => {
    if (!isRecord(options)) throw new ArgumentError(family, 'options', `expected { inputSize, hiddenSize, dtype?, ... }, got ${formatValue(options)}`);
    checkPositiveInt(family, 'inputSize', options.inputSize);
    checkPositiveInt(family, 'hiddenSize', options.hiddenSize);
    const dtype = checkDType(family, 'dtype', options.dtype ?? 'float32');
    const blueprint = build({ ...options, dtype });
    return cellOf<ParamsOf<PS>, StateOf<SS>, G, X>(family, options.inputSize, options.hiddenSize, dtype, blueprint as unknown as CellBlueprint<ParamSpecs, StateSpec, G, X>);
  };
  return Object.freeze(Object.assign(make, { family }));
}

/** Check a blueprint and turn it into a cell. */
function cellOf<P extends Tree, S extends Tree, G extends string, X extends object>(
  family: string,
  inputSize: number,
  hiddenSize: number,
  dtype: DType,
  bp: CellBlueprint<ParamSpecs, StateSpec, G, X>,
): DefinedCell<P, S, G> & Readonly<X> {
  const op = family;
  if (!isRecord(bp)) throw new ArgumentError(op, 'blueprint', `the definition must return { gates, params, state, step, ... }, got ${formatValue(bp)}`);
  const name = bp.name ?? family;
  if (typeof name !== 'string' || name === '') throw new ArgumentError(op, 'blueprint.name', `expected a non-empty string, got ${formatValue(name)}`);
  const outputSize = checkPositiveInt(name, 'blueprint.outputSize', bp.outputSize ?? hiddenSize);
  const gateSize = checkPositiveInt(name, 'blueprint.gateSize', bp.gateSize ?? hiddenSize);
  if (!Array.isArray(bp.gates) || bp.gates.some((g) => typeof g !== 'string' || g === '')) {
    throw new ArgumentError(name, 'blueprint.gates', `expected an array of gate names, got ${formatValue(bp.gates)}`);
  }
  const gates = Object.freeze(bp.gates.slice()) as readonly G[];
  if (new Set(gates).size !== gates.length) throw new ArgumentError(name, 'blueprint.gates', `names a gate twice: ${gates.join(', ')}`);
  if (typeof bp.step !== 'function') throw new ArgumentError(name, 'blueprint.step', `expected the step function (params, state, x, gate) => [state, output], got ${formatValue(bp.step)}`);

  // Parameters: shapes, initializers and key paths.
  if (!isRecord(bp.params)) throw new ArgumentError(name, 'blueprint.params', `expected a record of { shape, init } by name, got ${formatValue(bp.params)}`);
  const paramSpec: Record<string, ResolvedParamSpec> = {};
  Object.keys(bp.params).forEach((n, position) => {
    const s = bp.params[n];
    if (s === undefined) return;
    const arg = `blueprint.params.${n}`;
    if (!isRecord(s)) throw new ArgumentError(name, arg, `expected { shape, init, key? }, got ${formatValue(s)}`);
    if (!Array.isArray(s.shape) || s.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ArgumentError(name, `${arg}.shape`, `expected an array of non-negative integers, got ${formatValue(s.shape)}`);
    }
    if (typeof s.init !== 'function') throw new ArgumentError(name, `${arg}.init`, `expected an initializer (key, shape, dtype) => Tensor, got ${formatValue(s.init)}`);
    const path = s.key === undefined ? [position] : typeof s.key === 'number' ? [s.key] : s.key;
    if (!Array.isArray(path) || path.length === 0 || path.some((i) => !Number.isInteger(i) || i < 0)) {
      throw new ArgumentError(name, `${arg}.key`, `expected a non-negative integer or a non-empty path of them, got ${formatValue(s.key)}`);
    }
    paramSpec[n] = Object.freeze({ shape: Object.freeze(s.shape.slice()), init: s.init, key: Object.freeze(path.slice()) });
  });
  const paramShapes: Record<string, readonly number[]> = {};
  for (const [n, s] of Object.entries(paramSpec)) paramShapes[n] = s.shape;

  // State widths.
  if (!isRecord(bp.state)) throw new ArgumentError(name, 'blueprint.state', `expected a record of widths by name, got ${formatValue(bp.state)}`);
  const stateSizes: Record<string, number> = {};
  for (const [n, w] of Object.entries(bp.state)) if (w !== undefined) stateSizes[n] = checkPositiveInt(name, `blueprint.state.${n}`, w);
  if (Object.keys(stateSizes).length === 0) throw new ArgumentError(name, 'blueprint.state', 'has no entries; a recurrent cell carries at least one');

  // The input-only part.
  const hasPart = bp.inputPart !== undefined;
  if (hasPart && typeof bp.inputPart !== 'function') throw new ArgumentError(name, 'blueprint.inputPart', `expected a function (params, x) => Tensor, got ${formatValue(bp.inputPart)}`);
  if (!hasPart && bp.inputPartSize !== undefined) throw new ArgumentError(name, 'blueprint.inputPartSize', 'is given without inputPart');
  const inputPartSize = hasPart ? checkPositiveInt(name, 'blueprint.inputPartSize', bp.inputPartSize) : inputSize;
  const inputPart = hasPart ? (p: P, x: Tensor): Tensor => bp.inputPart!(p as never, x) : (_: P, x: Tensor): Tensor => x;

  const extra = bp.extra ?? ({} as X);
  if (!isRecord(extra)) throw new ArgumentError(name, 'blueprint.extra', `expected a record of fields, got ${formatValue(extra)}`);
  for (const k of Object.keys(extra)) if (CELL_MEMBERS.has(k)) throw new ArgumentError(name, `blueprint.extra.${k}`, `'${k}' is a member every cell has; choose another name`);

  const init = (k: Key): P => {
    const keys = keyTree(k, Object.values(paramSpec).map((s) => s.key));
    const p: Record<string, Tensor> = {};
    for (const [n, s] of Object.entries(paramSpec)) {
      const t = s.init(keys(s.key), s.shape, dtype);
      if (!(t instanceof Tensor) || t.rank !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]) || t.dtype !== dtype) {
        throw new ArgumentError(name, `params.${n}`, `its initializer returned ${t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : formatValue(t)}, expected ${dtype} ${formatShape(s.shape)}`);
      }
      p[n] = t;
    }
    return p as P;
  };

  const run = (params: P, state: S, xPart: Tensor, probes: GateProbes | undefined, report: Record<string, Tensor> | undefined) => {
    const batch = hasPart
      ? checkStepInput(name, 'xPart', xPart, inputPartSize, 'inputPartSize', dtype)
      : checkStepInput(name, 'x', xPart, inputSize, 'inputSize', dtype);
    checkParams(name, params, paramShapes, dtype);
    checkState(name, state, stateSizes, batch, dtype);
    checkProbes(name, probes, gates, batch, gateSize, dtype);
    return bp.step(params as never, state as never, xPart, gateContext<G>(probes, report)) as unknown as readonly [S, Tensor];
  };
  const partOf = (params: P, x: Tensor): Tensor => {
    if (!hasPart) return x;
    checkStepInput(name, 'x', x, inputSize, 'inputSize', dtype);
    checkParams(name, params, paramShapes, dtype);
    return inputPart(params, x);
  };

  const cell: DefinedCell<P, S, G> = {
    name,
    family,
    inputSize,
    hiddenSize,
    outputSize,
    dtype,
    gates,
    gateSize,
    paramSpec: Object.freeze(paramSpec),
    stateSizes: Object.freeze(stateSizes),
    inputPartSize,
    init,
    initialState(batch: number): S {
      checkPositiveInt(name, 'batch', batch);
      const s: Record<string, Tensor> = {};
      for (const [n, w] of Object.entries(stateSizes)) s[n] = zeros([batch, w], dtype);
      return s as S;
    },
    step(params, state, x, probes) {
      const [s, y] = run(params, state, partOf(params, x), probes, undefined);
      return [s, y] as const;
    },
    stepProjected(params, state, xPart, probes) {
      const [s, y] = run(params, state, xPart, probes, undefined);
      return [s, y] as const;
    },
    inspect(params, state, x, probes) {
      const gatesSeen: Record<string, Tensor> = {};
      const [s, y] = run(params, state, partOf(params, x), probes, gatesSeen);
      return { gates: gatesSeen, state: s, output: y };
    },
    projectInputs(params, xs) {
      if (!(xs instanceof Tensor) || xs.rank !== 3) {
        throw new ShapeError(name, 'xs', `expected a sequence [batch, steps, ${inputSize}], got ${xs instanceof Tensor ? formatShape(xs.shape) : formatValue(xs)}`);
      }
      const [b, t, d] = xs.shape as [number, number, number];
      if (d !== inputSize) throw new ShapeError(name, 'xs', `has ${d} features per step (shape ${formatShape(xs.shape)}), but the cell's inputSize is ${inputSize}`);
      if (xs.dtype !== dtype) throw new DTypeError(name, 'xs', `is ${xs.dtype}, the cell is ${dtype}; cast the input first`);
      checkParams(name, params, paramShapes, dtype);
      if (!hasPart) return xs;
      return reshape(inputPart(params, reshape(xs, [b * t, d])), [b, t, inputPartSize]);
    },
  };
  return Object.freeze({ ...cell, ...extra }) as DefinedCell<P, S, G> & Readonly<X>;
}

/** The keys at the given split paths under `k`, each `split` computed once. */
function keyTree(k: Key, paths: readonly (readonly number[])[]): (path: readonly number[]) => Key {
  // How many children each node needs: the largest index asked of it, plus one.
  const need = new Map<string, number>();
  for (const p of paths) {
    for (let d = 0; d < p.length; d++) {
      const node = p.slice(0, d).join('/');
      need.set(node, Math.max(need.get(node) ?? 0, p[d]! + 1));
    }
  }
  const children = new Map<string, Key[]>();
  const keyAt = (path: readonly number[]): Key => {
    let cur = k;
    for (let d = 0; d < path.length; d++) {
      const node = path.slice(0, d).join('/');
      let kids = children.get(node);
      if (kids === undefined) {
        kids = splitKey(cur, need.get(node)!);
        children.set(node, kids);
      }
      cur = kids[path[d]!]!;
    }
    return cur;
  };
  return keyAt;
}

function gateContext<G extends string>(probes: GateProbes | undefined, report: Record<string, Tensor> | undefined): GateContext<G> {
  const probe = (name: G, pre: Tensor): Tensor => {
    const p = probes?.[name];
    return p === undefined ? pre : add(pre, p);
  };
  const gate = (name: G, activation: (pre: Tensor) => Tensor, pre: Tensor): Tensor => {
    const a = activation(probe(name, pre));
    if (report !== undefined) report[name] = a;
    return a;
  };
  return Object.assign(gate, {
    probe,
    report(name: G, value: Tensor | (() => Tensor)): void {
      if (report !== undefined) report[name] = typeof value === 'function' ? value() : value;
    },
  });
}

// ---------------------------------------------------------------------------
// What derives from a definition
// ---------------------------------------------------------------------------

/**
 * Whether a cell was made by a {@link defineCell} definition (and so
 * carries its parameter layout).
 *
 * @param cell - Any value.
 * @returns `true` when `cell` carries `family`, `paramSpec` and `stateSizes`; it
 *   narrows the type to {@link DefinedCell}.
 *
 * @example
 * ```ts
 * import { isDefinedCell, rnnCell } from '@mnemo/nn';
 * console.assert(isDefinedCell(rnnCell({ inputSize: 1, hiddenSize: 2 })));
 * ```
 * @category Defining cells
 */
export function isDefinedCell(cell: unknown): cell is DefinedCell {
  const c = cell as Partial<DefinedCell> | null;
  return c !== null && typeof c === 'object' && typeof c.family === 'string' && isRecord(c.paramSpec) && isRecord(c.stateSizes) && typeof c.step === 'function';
}

/**
 * Every parameter's shape, by name: from the definition when the cell has
 * one, else from a draw of `init` (whose leaves must then be a flat record).
 *
 * @param cell - Any {@link Cell}.
 * @returns The shapes by parameter name.
 * @throws ArgumentError - when `cell` has no definition and its parameters are not a flat record of tensors.
 *
 * @example
 * ```ts
 * import { lstmCell, paramShapes } from '@mnemo/nn';
 * const s = paramShapes(lstmCell({ inputSize: 3, hiddenSize: 4, variant: 'cifg' }));
 * console.assert(s['wx']!.join() === '3,12' && s['pf'] === undefined && s['pi']!.join() === '4');
 * ```
 * @category Defining cells
 */
export function paramShapes(cell: Cell): Readonly<Record<string, readonly number[]>> {
  if (isDefinedCell(cell)) {
    const out: Record<string, readonly number[]> = {};
    for (const [n, s] of Object.entries(cell.paramSpec) as [string, unknown][]) {
      const shape = isRecord(s) ? s['shape'] : undefined;
      if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
        throw new ArgumentError('paramShapes', `cell.paramSpec.${n}`, `expected { shape, init, key } with shape an array of sizes, got ${formatValue(s)}`);
      }
      out[n] = shape as readonly number[];
    }
    return out;
  }
  const p = drawFlat('paramShapes', cell);
  const out: Record<string, readonly number[]> = {};
  for (const [n, t] of Object.entries(p)) out[n] = t.shape;
  return out;
}

/**
 * A template of a cell's parameters: zeros of every parameter's shape and
 * the cell's dtype, without drawing anything. It is what
 * `loadParams(path, { like })` compares a parameter file with (see
 * {@link @mnemo/nn/node!LoadOptions}), and what an importer checks its result against.
 *
 * @param cell - Any {@link Cell}.
 * @returns A record of zero tensors by parameter name.
 * @throws ArgumentError - when `cell` has no definition and its parameters are not a flat record of tensors.
 * @throws ShapeError - when a parameter's declared shape holds more than 2^31 - 1
 *   elements.
 *
 * @example
 * ```ts
 * import { gruCell, paramTemplate } from '@mnemo/nn';
 * const t = paramTemplate(gruCell({ inputSize: 2, hiddenSize: 3, variant: 'reset-after', dtype: 'float64' }));
 * console.assert(Object.keys(t).sort().join() === 'b,bhn,wh,wx' && t['wh']!.shape.join() === '3,9' && t['b']!.dtype === 'float64');
 * ```
 * @category Defining cells
 */
export function paramTemplate(cell: Cell): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [n, shape] of Object.entries(paramShapes(cell))) out[n] = zeros(shape, cell.dtype);
  return out;
}

function drawFlat(op: string, cell: Cell): Record<string, Tensor> {
  if (cell === null || typeof cell !== 'object' || typeof cell.init !== 'function') throw new ArgumentError(op, 'cell', `expected a Cell, got ${formatValue(cell)}`);
  const p = cell.init(key(0)) as unknown;
  if (!isRecord(p) || Object.values(p).some((t) => !(t instanceof Tensor))) {
    throw new ArgumentError(op, 'cell', `${typeof cell.name === 'string' ? cell.name : formatValue(cell.name)}'s parameters are not a flat record of tensors, so they have no shapes by name`);
  }
  return p as Record<string, Tensor>;
}
