/**
 * BPTT gradient reports: unroll a cell over T steps in float64 and compare
 * the analytic gradients (one `vjp` of the whole unroll) with central
 * differences, per time step (the gradient flowing into the state after each
 * step), per gate (the gradient with respect to each gate's pre-activation at
 * each step) and per parameter block.
 *
 * How the per-step gradients are reached: additive probes. The state after
 * step t gets a zero tensor `p_t` added to it, and each step's gates get zero
 * probes (see `GateProbes` in nn). Adding zeros changes nothing, but the
 * gradient with respect to `p_t` is the gradient with respect to the state
 * after step t, and the gradient with respect to a gate's probe is the
 * gradient with respect to its pre-activation.
 *
 * The loss is `sum_t <w_t, y_t> + <w_s, s_T>`: fixed random weights on every
 * output and on the final state, so every path through time carries gradient.
 *
 * @module
 */
import { ArgumentError, DTypeError, Key, MnemoError, Tensor, checkCount, formatShape, formatValue, foldIn, key as makeKey, normal, split, tensor, zeros } from '@mnemo/core';
import { add, mul, sum, tree, vjp, where, type Tree } from '@mnemo/autodiff';
import type { Cell, GateProbes } from '@mnemo/nn';
import { ErrorStats, dataOf, elementName, fromValues, leafPaths, num, relError, sci, sig, violation, withElement } from './internal.js';

// ---------------------------------------------------------------------------
// Options and report
// ---------------------------------------------------------------------------

/**
 * Options of {@link bpttReport}. Tolerances follow the measured guide: with a
 * step of 1e-5, a correct float64 cell agrees element by element to a
 * relative error well below 1e-5 and norm-wise below 1e-8.
 *
 * @example
 * ```ts
 * import type { BpttOptions } from '@mnemo/proofs';
 * const o: BpttOptions = { steps: 20, batch: 2, seed: 1, lengths: [20, 7] };
 * console.assert(o.steps === 20);
 * ```
 * @category BPTT
 */
export interface BpttOptions<P extends Tree = Tree> {
  /** Time steps T (at least 1). */
  readonly steps: number;
  /** Batch size (default 2). */
  readonly batch?: number;
  /** Seed for parameters, inputs and loss weights (default 0); or give `key`. */
  readonly seed?: number;
  readonly key?: Key;
  /** Each sequence's length (1 to steps) for a variable-length batch: after its end a sequence keeps its state and outputs zeros, as `scan` does with masks. */
  readonly lengths?: readonly number[];
  /**
   * The parameters: `random` (default) is the cell's `init` plus normal noise
   * (standard deviation 0.3) on every leaf, so that biases and gains are not at
   * their special initial values; `init` is the cell's own initialization; or
   * give a pytree.
   */
  readonly params?: 'random' | 'init' | P;
  /** Leaves of the parameters to set to zero (for example biases, with {@link isBiasPath}). */
  readonly zero?: (path: string) => boolean;
  /** Scale of the standard-normal inputs (default 1). */
  readonly inputScale?: number;
  /** Finite-difference step (default 1e-5). */
  readonly step?: number;
  /** Absolute tolerance (default 1e-9). */
  readonly atol?: number;
  /** Relative tolerance, element-wise (default 1e-5). */
  readonly rtol?: number;
  /** Norm-wise relative error bound per block (default 1e-8; elementwise mode). */
  readonly normRtol?: number;
  /** `elementwise` (default): every entry of every block; `dot`: random unit directions per block (much cheaper; the step moves a block by `step` along each, as elementwise mode moves an entry). */
  readonly mode?: 'elementwise' | 'dot';
  /** Directions per block in dot mode (default 2). */
  readonly directions?: number;
  /** Which blocks to check (default all three). */
  readonly check?: readonly ('state' | 'gates' | 'params')[];
  /** The width of the gate probes (default: read from the cell's `inspect` when it has one, else `hiddenSize`). */
  readonly gateSize?: number;
  /** How many of the worst entries the report keeps (default 5). */
  readonly worst?: number;
}

/**
 * Analytic-vs-numeric agreement over one block (a state leaf at one step, a
 * gate at one step, a parameter leaf, or everything).
 *
 * @example
 * ```ts
 * import type { Agreement } from '@mnemo/proofs';
 * const a: Agreement = { elements: 8, checked: 8, failed: 0, analyticNorm: 0.3, maxAbsError: 1e-12, maxRelError: 1e-9, normRelError: 1e-11, ok: true };
 * console.assert(a.ok);
 * ```
 * @category BPTT
 */
export interface Agreement {
  /** Entries in the block. */
  readonly elements: number;
  /** Comparisons made (entries, or directions in dot mode). */
  readonly checked: number;
  readonly failed: number;
  /** The norm of the analytic gradient of the block (elementwise mode; in dot mode, of its directional products). */
  readonly analyticNorm: number;
  readonly maxAbsError: number;
  /** `|a - n| / max(|a|, |n|, atol)`. */
  readonly maxRelError: number;
  /** `||a - n|| / max(||a||, ||n||)`. */
  readonly normRelError: number;
  readonly ok: boolean;
}

/**
 * One time step of a {@link BpttReport}: agreement for the gradient into each
 * state leaf after the step, and into each gate's pre-activation at the step.
 *
 * @example
 * ```ts
 * import type { BpttStepRow } from '@mnemo/proofs';
 * const row: BpttStepRow = { t: 1, state: {}, gates: {} };
 * console.assert(row.t === 1);
 * ```
 * @category BPTT
 */
export interface BpttStepRow {
  /** The step, from 1 to T. */
  readonly t: number;
  readonly state: Readonly<Record<string, Agreement>>;
  readonly gates: Readonly<Record<string, Agreement>>;
}

/**
 * One of the worst entries of a report.
 *
 * @example
 * ```ts
 * import type { BpttEntry } from '@mnemo/proofs';
 * const e: BpttEntry = { block: 'param wx', element: 'wx[0, 1]', analytic: 1, numeric: 1.1 };
 * console.assert(e.block.startsWith('param'));
 * ```
 * @category BPTT
 */
export interface BpttEntry {
  /** `step 3 state c`, `step 3 gate f`, `param wx`. */
  readonly block: string;
  /** The element (`c[1, 4]`), or the direction in dot mode. */
  readonly element: string;
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * What {@link bpttReport} found. `ok` is true when every block passes; print
 * it with {@link formatBpttReport}.
 *
 * @example
 * ```ts
 * import { bpttReport, type BpttReport } from '@mnemo/proofs';
 * import type { Cell } from '@mnemo/nn';
 * import { add, matmul, tanh } from '@mnemo/autodiff';
 * import { key, normal, type Tensor } from '@mnemo/core';
 * const cell: Cell<{ w: Tensor; u: Tensor }, Tensor> = {
 *   name: 'toy', inputSize: 2, hiddenSize: 3, outputSize: 3, dtype: 'float64', gates: ['a'],
 *   init: (k) => ({ w: normal(k, [2, 3], { dtype: 'float64' }), u: normal(key(9), [3, 3], { dtype: 'float64', std: 0.5 }) }),
 *   initialState: (b) => normal(key(b), [b, 3], { dtype: 'float64' }),
 *   step: (p, h, x, probes) => {
 *     const pre = add(add(matmul(x, p.w), matmul(h, p.u)), probes?.['a'] ?? 0);
 *     const h2 = tanh(pre);
 *     return [h2, h2];
 *   },
 * };
 * const r: BpttReport = bpttReport(cell, { steps: 3, batch: 1 });
 * console.assert(r.ok && r.time.length === 3 && r.params.length === 2);
 * ```
 * @category BPTT
 */
export interface BpttReport {
  readonly cell: { readonly name: string; readonly inputSize: number; readonly hiddenSize: number; readonly outputSize: number; readonly gates: readonly string[] };
  readonly steps: number;
  readonly batch: number;
  readonly lengths: readonly number[];
  readonly mode: 'elementwise' | 'dot';
  readonly settings: { readonly step: number; readonly atol: number; readonly rtol: number; readonly normRtol: number; readonly directions: number };
  /** The state leaves' paths (`c`, `h`, or `state` for a single tensor). */
  readonly stateLeaves: readonly string[];
  /** Per time step, 1 to T. */
  readonly time: readonly BpttStepRow[];
  /** Per parameter leaf. */
  readonly params: readonly (Agreement & { readonly path: string; readonly shape: readonly number[] })[];
  /** Over every block. */
  readonly total: Agreement;
  readonly ok: boolean;
  /** Readable lines for each failed block and each non-finite value met. */
  readonly problems: readonly string[];
  readonly worst: readonly BpttEntry[];
  /**
   * Entries set aside because the loss is not differentiable there (their
   * one-sided differences disagree by an amount that does not shrink with the
   * step, as at relu(0)); they are not counted as failures.
   */
  readonly kinks: readonly BpttEntry[];
}

/**
 * Whether a parameter path names a bias: a leaf called `b` or starting with
 * `b` followed by lower-case letters (`bhn`), or ending in `Bias` (`lnxBias`).
 *
 * @param path - A parameter path as a BPTT report writes it (`b`, `lnxBias`,
 *   `layers[0].bf`).
 * @returns `true` when it names a bias.
 * @throws ArgumentError - when `path` is not a string.
 *
 * @example
 * ```ts
 * import { isBiasPath } from '@mnemo/proofs';
 * console.assert(isBiasPath('b') && isBiasPath('bhn') && isBiasPath('lnxBias') && !isBiasPath('wx'));
 * ```
 * @category BPTT
 */
export function isBiasPath(path: string): boolean {
  if (typeof path !== 'string') throw new ArgumentError('isBiasPath', 'path', `expected a parameter path (a string), got ${formatValue(path)}`);
  const last = path.split(/[.[\]]/).filter((s) => s !== '').pop() ?? '';
  return /^b[a-z]*$/.test(last) || /Bias$/.test(last);
}

// ---------------------------------------------------------------------------
// The unrolled problem
// ---------------------------------------------------------------------------

interface Problem {
  readonly cell: Cell;
  readonly params: Tree;
  readonly xs: readonly Tensor[];
  /** [batch, 1] per step: 1 while the sequence runs (undefined: no masking). */
  readonly masks: readonly (Tensor | undefined)[];
  readonly outWeights: readonly Tensor[];
  readonly stateWeights: Tree;
  readonly s0: Tree;
  readonly gates: readonly string[];
  readonly gateSize: number;
  readonly batch: number;
}

const addTree = (a: Tree, b: Tree): Tree => tree.map(a, (x, y) => add(x, y!), b);

/** One step with masking: the state after it (before any probe) and the masked output. */
function stepOnce(pr: Problem, params: Tree, s: Tree, t: number, probes: GateProbes | undefined): [Tree, Tensor] {
  const [s1, y] = stepResult(pr.cell.name, pr.cell.step(params, s, pr.xs[t]!, probes));
  const m = pr.masks[t];
  if (m === undefined) return [s1, y];
  return [tree.map(s1, (a, b) => where(m, a, b!), s), mul(y, m)];
}

/** A cell's step must give [state, output]; anything else is the cell's bug, reported as such. */
function stepResult(name: string, r: unknown): [Tree, Tensor] {
  if (!Array.isArray(r) || r.length !== 2 || !(r[1] instanceof Tensor)) {
    throw new ArgumentError('bpttReport', 'cell', `${name}.step must return [state, output], got ${formatValue(r)}`);
  }
  return r as [Tree, Tensor];
}

/** Throws unless `cell` has what a BPTT report reads: a name, positive sizes, a dtype, gate names and the three functions. */
function checkCell(op: string, cell: unknown): asserts cell is Cell {
  if (cell === null || typeof cell !== 'object') throw new ArgumentError(op, 'cell', `expected a Cell (name, sizes, dtype, gates, init, initialState, step), got ${formatValue(cell)}`);
  const c = cell as Record<string, unknown>;
  for (const f of ['step', 'init', 'initialState']) {
    if (typeof c[f] !== 'function') throw new ArgumentError(op, `cell.${f}`, `expected a function, got ${formatValue(c[f])}`);
  }
  if (typeof c['name'] !== 'string') throw new ArgumentError(op, 'cell.name', `expected a string, got ${formatValue(c['name'])}`);
  for (const k of ['inputSize', 'hiddenSize', 'outputSize']) checkCount(op, `cell.${k}`, c[k], 1);
  const gates = c['gates'];
  if (!Array.isArray(gates) || !gates.every((g) => typeof g === 'string')) throw new ArgumentError(op, 'cell.gates', `expected an array of gate names, got ${formatValue(gates)}`);
}

function dotData(a: Tensor, b: Tensor): number {
  const x = dataOf(a);
  const y = dataOf(b);
  let t = 0;
  for (let i = 0; i < x.length; i++) t += x[i]! * y[i]!;
  return t;
}

function treeDot(a: Tree, b: Tree): number {
  return tree.zip(a, b).reduce((acc, [x, y]) => acc + dotData(x, y), 0);
}

/** The differentiable loss with state probes (after each step) and gate probes. */
function lossOf(pr: Problem, params: Tree, stateProbes: readonly Tree[], gateProbes: readonly GateProbes[]): Tensor {
  let s = pr.s0;
  let L: Tensor = zeros([], 'float64');
  for (let t = 0; t < pr.xs.length; t++) {
    const [s1, y] = stepOnce(pr, params, s, t, gateProbes[t]);
    s = addTree(s1, stateProbes[t]!);
    L = add(L, sum(mul(pr.outWeights[t]!, y)));
  }
  for (const [w, x] of tree.zip(pr.stateWeights, s)) L = add(L, sum(mul(w, x)));
  return L;
}

/** Plain forward run (no probes): states after each step (index 0 = s0). */
function baseline(pr: Problem): Tree[] {
  const states: Tree[] = [pr.s0];
  let s = pr.s0;
  for (let t = 0; t < pr.xs.length; t++) {
    s = stepOnce(pr, pr.params, s, t, undefined)[0];
    states.push(s);
  }
  return states;
}

/**
 * The part of the loss from step `from` (0-based) on, starting from state
 * `s`, with the given params and optionally a gate probe at one step.
 */
function suffixLoss(pr: Problem, from: number, s: Tree, params: Tree, gate?: { t: number; probes: GateProbes }): number {
  let L = 0;
  let cur = s;
  for (let t = from; t < pr.xs.length; t++) {
    const [s1, y] = stepOnce(pr, params, cur, t, gate !== undefined && gate.t === t ? gate.probes : undefined);
    cur = s1;
    L += dotData(pr.outWeights[t]!, y);
  }
  return L + treeDot(pr.stateWeights, cur);
}

// ---------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------

class Block {
  readonly stats: ErrorStats;
  nonFinite = false;
  constructor(
    readonly name: string,
    readonly elements: number,
    private readonly atol: number,
    rtol: number,
    private readonly normRtol: number,
    private readonly elementwise: boolean,
  ) {
    this.stats = new ErrorStats(atol, rtol);
  }

  agreement(): Agreement {
    const s = this.stats;
    const normRel = s.normRel;
    const normOk = !this.elementwise || normRel <= this.normRtol || s.maxAbs <= this.atol;
    return {
      elements: this.elements,
      checked: s.count,
      failed: s.failed,
      analyticNorm: s.analyticNorm,
      maxAbsError: s.maxAbs,
      maxRelError: s.maxRel,
      normRelError: normRel,
      ok: !this.nonFinite && s.failed === 0 && normOk,
    };
  }
}

function positiveNumber(op: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ArgumentError(op, `options.${name}`, `must be a positive finite number, got ${formatValue(v)}`);
  return v;
}

function positiveInt(op: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(op, `options.${name}`, `must be a positive integer, got ${formatValue(v)}`);
  // A count past what an array or a tensor can hold is refused here, not by Array.from's RangeError.
  if (v > 2 ** 31 - 1) throw new ArgumentError(op, `options.${name}`, `must be at most 2^31 - 1, got ${formatValue(v)}`);
  return v;
}

/**
 * Unroll `cell` over `options.steps` steps in float64 and compare the
 * analytic gradients with central differences: per time step (into the state
 * after each step), per gate (into each gate's pre-activation at each step) and
 * per parameter block. The cell must be float64 (make it with `dtype:
 * 'float64'`). Print the result with {@link formatBpttReport}.
 *
 * @param cell - A float64 cell.
 * @param options - `steps`, `batch`, `lengths`, `seed` or `key`, `mode`, `params`,
 *   tolerances (see {@link BpttOptions}).
 * @returns A {@link BpttReport}: `ok`, and the comparisons per time step, per gate
 *   and per parameter block.
 * @throws ArgumentError - when `cell` is not a cell, `options` is not an object,
 *   `steps` or `batch` is not a positive integer, `lengths` are not integers from
 *   1 to `steps`, `mode` is unknown, `key` is not a key, or a tolerance is not a
 *   positive finite number.
 * @throws DTypeError - when the cell or a given parameter is not float64 (central
 *   differences need its digits).
 * @throws ShapeError - when the cell's step returns shapes that do not fit its
 *   sizes.
 * @throws MnemoError - when tapes are closed out of order inside the cell's step.
 *
 * @example
 * ```ts
 * import { bpttReport, formatBpttReport } from '@mnemo/proofs';
 * import { makeCell } from '@mnemo/nn';
 * const cell = makeCell('lstm+cifg', { inputSize: 2, hiddenSize: 3, dtype: 'float64' });
 * const report = bpttReport(cell, { steps: 4, batch: 2, seed: 1 });
 * console.assert(report.ok && report.time.length === 4 && report.cell.gates.join() === 'i,g,o');
 * console.assert(formatBpttReport(report).includes('PASS'));
 * ```
 * @category BPTT
 */
export function bpttReport<P extends Tree, S extends Tree>(cell: Cell<P, S>, options: BpttOptions<P>): BpttReport {
  const op = 'bpttReport';
  checkCell(op, cell);
  if (options === null || typeof options !== 'object') throw new ArgumentError(op, 'options', `expected { steps, ... }, got ${formatValue(options)}`);
  if (cell.dtype !== 'float64') {
    throw new DTypeError(op, 'cell', `${cell.name} is ${formatValue(cell.dtype)}; BPTT reports run in float64 so that central differences keep enough digits (make the cell with dtype: 'float64')`);
  }
  const T = positiveInt(op, 'steps', options.steps, NaN);
  const B = positiveInt(op, 'batch', options.batch, 2);
  const h = positiveNumber(op, 'step', options.step, 1e-5);
  const atol = options.atol === undefined ? 1e-9 : positiveNumber(op, 'atol', options.atol, 0);
  const rtol = positiveNumber(op, 'rtol', options.rtol, 1e-5);
  const normRtol = positiveNumber(op, 'normRtol', options.normRtol, 1e-8);
  const directions = positiveInt(op, 'directions', options.directions, 2);
  const worstN = positiveInt(op, 'worst', options.worst, 5);
  const mode = options.mode ?? 'elementwise';
  if (mode !== 'elementwise' && mode !== 'dot') throw new ArgumentError(op, 'options.mode', `must be 'elementwise' or 'dot', got ${formatValue(mode)}`);
  const inputScale = positiveNumber(op, 'inputScale', options.inputScale, 1);
  const check: unknown = options.check ?? ['state', 'gates', 'params'];
  if (!Array.isArray(check) || !check.every((c) => c === 'state' || c === 'gates' || c === 'params')) {
    throw new ArgumentError(op, 'options.check', `expected a list of 'state', 'gates' and 'params', got ${formatValue(check)}`);
  }
  const checks = new Set(check as readonly string[]);
  const lengths = options.lengths ?? new Array<number>(B).fill(T);
  if (!Array.isArray(lengths) || lengths.length !== B || lengths.some((l) => !Number.isInteger(l) || l < 1 || l > T)) {
    throw new ArgumentError(op, 'options.lengths', `expected ${B} integer lengths from 1 to ${T}, got ${formatValue(lengths)}`);
  }
  const base = options.key ?? makeKey(options.seed ?? 0);
  if (!(base instanceof Key)) throw new ArgumentError(op, 'options.key', `expected a Key, got ${formatValue(base)}`);
  if (options.zero !== undefined && typeof options.zero !== 'function') throw new ArgumentError(op, 'options.zero', `expected a function of a parameter path, got ${formatValue(options.zero)}`);
  if (options.gateSize !== undefined) checkCount(op, 'options.gateSize', options.gateSize, 1);
  const [kp, kx, kw, kn] = split(base, 4) as [Key, Key, Key, Key];

  // Parameters.
  let params: Tree;
  const choice = options.params ?? 'random';
  if (choice === 'init' || choice === 'random') {
    params = cell.init(kp);
    if (choice === 'random') {
      const leaves = tree.leaves(params);
      const noise = split(kn, Math.max(1, leaves.length));
      let i = 0;
      params = tree.map(params, (x) => add(x, normal(noise[i++]!, x.shape, { dtype: 'float64', std: 0.3 })));
    }
  } else params = choice as Tree;
  const paramPaths = leafPaths(params, '');
  tree.leaves(params).forEach((x, i) => {
    if (x.dtype !== 'float64') throw new DTypeError(op, `params.${paramPaths[i]}`, `is ${x.dtype}; BPTT reports run in float64`);
  });
  if (options.zero !== undefined) {
    const zero = options.zero;
    let i = 0;
    params = tree.map(params, (x) => (zero(paramPaths[i++]!) ? zeros(x.shape, x.dtype) : x));
  }

  const xs = Array.from({ length: T }, (_, t) => {
    const x = normal(foldIn(kx, t), [B, cell.inputSize], { dtype: 'float64' });
    return inputScale === 1 ? x : mul(x, inputScale);
  });
  const masks = Array.from({ length: T }, (_, t) =>
    lengths.every((l) => l === T) ? undefined : tensor(lengths.map((l) => [t < l ? 1 : 0]), 'float64'),
  );
  const s0 = cell.initialState(B) as Tree;
  const [, y0] = stepResult(cell.name, cell.step(params as P, s0 as S, xs[0]!));
  const outWeights = Array.from({ length: T }, (_, t) => normal(foldIn(kw, t), y0.shape, { dtype: 'float64' }));
  const stateLeaves = tree.leaves(s0);
  const sKeys = split(foldIn(kw, -1), Math.max(1, stateLeaves.length));
  let si = 0;
  const stateWeights = tree.map(s0, (x) => normal(sKeys[si++]!, x.shape, { dtype: 'float64' }));
  const gates = cell.gates;
  const gateSize = options.gateSize ?? gateSizeOf(cell, params, s0, xs[0]!);
  const pr: Problem = { cell: cell as unknown as Cell, params, xs, masks, outWeights, stateWeights, s0, gates, gateSize, batch: B };
  const statePaths = s0 instanceof Tensor ? ['state'] : leafPaths(s0, '');

  // Analytic: one vjp of the whole unroll.
  const zeroState = (): Tree => tree.map(s0, (x) => zeros(x.shape, 'float64'));
  const zeroGates = (): GateProbes => Object.fromEntries(gates.map((g) => [g, zeros([B, gateSize], 'float64')]));
  const sp0 = Array.from({ length: T }, zeroState);
  const gp0 = Array.from({ length: T }, zeroGates);
  const loss = (p: Tree, sp: Tree[], gp: Tree[]): Tensor => lossOf(pr, p, sp, gp as unknown as GateProbes[]);
  const [Lt, pullback] = vjp(loss, params, sp0, gp0 as unknown as Tree[]);
  const [gParams, gState, gGates] = pullback(onesLike(Lt)) as unknown as [Tree, Tree[], GateProbes[]];

  const states = baseline(pr);
  const problems: string[] = [];
  const entries: (BpttEntry & { v: number })[] = [];
  const newBlock = (name: string, elements: number): Block => new Block(name, elements, atol, rtol, normRtol, mode === 'elementwise');

  /**
   * Compare one block: `grad` is the analytic gradient (a tensor), `evalAt` the
   * loss (or its suffix) with the block's tensor replaced.
   */
  const kinks: BpttEntry[] = [];
  /**
   * A failed entry whose one-sided differences disagree by an amount that does
   * not shrink with the step sits at (or within one step of) a point where the
   * loss is not differentiable, such as relu at 0: central differences cannot
   * check it there, so it is set aside as a kink rather than counted as a failure.
   */
  const isKink = (a: number, move: (s: number) => number, L0: number, Lp: number, Lm: number): boolean => {
    const right = (Lp - L0) / h;
    const left = (L0 - Lm) / h;
    const jump = Math.abs(right - left);
    if (jump <= atol + rtol * Math.max(Math.abs(left), Math.abs(right))) return false;
    const Lpq = move(h / 4);
    const Lmq = move(-h / 4);
    if (Math.abs((Lpq - L0) / (h / 4) - (L0 - Lmq) / (h / 4)) > 0.5 * jump) return true;
    const central = (Lpq - Lmq) / (h / 2);
    return Math.abs(a - central) <= atol + rtol * Math.abs(central);
  };

  /**
   * Compare one block: `g` is the analytic gradient, `evalAt` the loss (or its
   * suffix) with the block's tensor `x` replaced.
   */
  const compare = (block: Block, x: Tensor, g: Tensor, evalAt: (moved: Tensor) => number, label: string): void => {
    const gd = dataOf(g);
    let L0: number | undefined;
    const record = (element: string, a: number, Lp: number, Lm: number, den: number, move: (s: number) => number): void => {
      const n = (Lp - Lm) / den;
      if (!Number.isFinite(n)) {
        block.nonFinite = true;
        problems.push(`${block.name}: the loss is not finite when ${element} is moved by ${num(h)}`);
        return;
      }
      if (Math.abs(a - n) > atol + rtol * Math.abs(n)) {
        L0 ??= evalAt(x);
        if (isKink(a, move, L0, Lp, Lm)) {
          kinks.push({ block: block.name, element, analytic: a, numeric: n });
          return;
        }
      }
      if (!block.stats.add(a, n)) entries.push({ block: block.name, element, analytic: a, numeric: n, v: violation(a, n, atol, rtol) });
    };
    if (mode === 'elementwise') {
      const xd = dataOf(x);
      for (let j = 0; j < x.size; j++) {
        const move = (step: number): number => evalAt(withElement(x, j, xd[j]! + step));
        const xp = xd[j]! + h;
        const xm = xd[j]! - h;
        record(elementName(label, x.shape, j), gd[j]!, evalAt(withElement(x, j, xp)), evalAt(withElement(x, j, xm)), xp - xm, move);
      }
    } else {
      for (let d = 0; d < directions; d++) {
        // A unit direction, so that the step moves the block by h whatever its size (as an element is moved in elementwise mode).
        const raw = dataOf(normal(foldIn(foldIn(base, 0x5eed), hashName(block.name) * 64 + d), [x.size], { dtype: 'float64' }));
        let squares = 0;
        for (let j = 0; j < raw.length; j++) squares += raw[j]! * raw[j]!;
        const norm = Math.sqrt(squares) || 1;
        const u = Float64Array.from(raw, (v) => v / norm);
        const xd = dataOf(x);
        const along = (step: number): Tensor => fromValues(x, Array.from(xd, (v, j) => v + step * u[j]!));
        const p = dataOf(along(h));
        const m = dataOf(along(-h));
        let a = 0;
        for (let j = 0; j < x.size; j++) a += gd[j]! * (p[j]! - m[j]!);
        record(`${label} along direction ${d}`, a / (2 * h), evalAt(fromValues(x, p)), evalAt(fromValues(x, m)), 2 * h, (step) => evalAt(along(step)));
      }
    }
  };

  const time: BpttStepRow[] = [];
  const allBlocks: Block[] = [];
  for (let t = 0; t < T; t++) {
    const state: Record<string, Agreement> = {};
    const gateRows: Record<string, Agreement> = {};
    if (checks.has('state')) {
      const [sLeaves, stateDef] = tree.flatten(states[t + 1]!);
      const gLeaves = tree.leaves(gState[t]!);
      sLeaves.forEach((x, l) => {
        const block = newBlock(`step ${t + 1} state ${statePaths[l]}`, x.size);
        compare(
          block,
          x,
          gLeaves[l]!,
          (moved) => {
            const ls = sLeaves.slice();
            ls[l] = moved;
            // The loss up to and including step t's output does not depend on this state.
            return suffixLoss(pr, t + 1, tree.unflatten(stateDef, ls) as Tree, params);
          },
          statePaths[l]!,
        );
        state[statePaths[l]!] = block.agreement();
        allBlocks.push(block);
      });
    }
    if (checks.has('gates')) {
      for (const gname of gates) {
        const block = newBlock(`step ${t + 1} gate ${gname}`, B * gateSize);
        const z = zeros([B, gateSize], 'float64');
        compare(block, z, gGates[t]![gname]!, (moved) => suffixLoss(pr, t, states[t]!, params, { t, probes: { [gname]: moved } }), gname);
        gateRows[gname] = block.agreement();
        allBlocks.push(block);
      }
    }
    time.push({ t: t + 1, state, gates: gateRows });
  }

  const paramRows: (Agreement & { path: string; shape: readonly number[] })[] = [];
  if (checks.has('params')) {
    const [pLeaves, pDef] = tree.flatten(params);
    const gLeaves = tree.leaves(gParams);
    pLeaves.forEach((x, i) => {
      const path = paramPaths[i] === '' ? 'params' : paramPaths[i]!;
      const block = newBlock(`param ${path}`, x.size);
      compare(
        block,
        x,
        gLeaves[i]!,
        (moved) => {
          const ls = pLeaves.slice();
          ls[i] = moved;
          return suffixLoss(pr, 0, pr.s0, tree.unflatten(pDef, ls) as Tree);
        },
        path,
      );
      paramRows.push({ ...block.agreement(), path, shape: x.shape });
      allBlocks.push(block);
    });
  }

  let totalElements = 0;
  for (const b of allBlocks) totalElements += b.elements;
  const agreements = allBlocks.map((b) => [b, b.agreement()] as const);
  for (const [b, a] of agreements) {
    if (!a.ok && !b.nonFinite) {
      problems.push(
        `${b.name}: ${a.failed} of ${a.checked} entries outside atol ${num(atol)} + rtol ${num(rtol)} |numeric|` +
          (mode === 'elementwise' ? `, norm-wise relative error ${sci(a.normRelError, 2)} (bound ${num(normRtol)})` : '') +
          `, max relative error ${sci(a.maxRelError, 2)}`,
      );
    }
  }
  const totalAgreement: Agreement = {
    elements: totalElements,
    checked: agreements.reduce((n, [, a]) => n + a.checked, 0),
    failed: agreements.reduce((n, [, a]) => n + a.failed, 0),
    analyticNorm: Math.sqrt(agreements.reduce((n, [, a]) => n + a.analyticNorm ** 2, 0)),
    maxAbsError: Math.max(0, ...agreements.map(([, a]) => a.maxAbsError)),
    maxRelError: Math.max(0, ...agreements.map(([, a]) => a.maxRelError)),
    normRelError: Math.max(0, ...agreements.map(([, a]) => a.normRelError)),
    ok: agreements.every(([, a]) => a.ok),
  };
  const worst = entries
    .sort((a, b) => b.v - a.v)
    .slice(0, worstN)
    .map(({ block, element, analytic, numeric }) => ({ block, element, analytic, numeric }));
  return {
    cell: { name: cell.name, inputSize: cell.inputSize, hiddenSize: cell.hiddenSize, outputSize: cell.outputSize, gates: cell.gates.slice() },
    steps: T,
    batch: B,
    lengths: lengths.slice(),
    mode,
    settings: { step: h, atol, rtol, normRtol, directions },
    stateLeaves: statePaths,
    time,
    params: paramRows,
    total: totalAgreement,
    ok: totalAgreement.ok,
    problems,
    worst,
    kinks,
  };
}

function onesLike(t: Tensor): Tensor {
  return fromValues(t, new Float64Array(t.size).fill(1));
}

function hashName(s: string): number {
  let x = 0;
  for (let i = 0; i < s.length; i++) x = (Math.imul(x, 31) + s.charCodeAt(i)) >>> 0;
  return x % 1_000_003;
}

/** The probe width: from the cell's `inspect` (a GatedCell) when it has one, else hiddenSize. */
function gateSizeOf(cell: Cell, params: Tree, s0: Tree, x: Tensor): number {
  const c = cell as Cell & { inspect?: (p: Tree, s: Tree, x: Tensor) => { gates: Readonly<Record<string, Tensor>> } };
  if (typeof c.inspect === 'function' && cell.gates.length > 0) {
    const g = c.inspect(params, s0, x).gates[cell.gates[0]!];
    if (g !== undefined && g.rank === 2) return g.shape[1]!;
  }
  return cell.hiddenSize;
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}

function padLeft(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string[] {
  const widths = head.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (right[i] ? padLeft(c, widths[i]!) : pad(c, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/**
 * Print a {@link BpttReport} as tables: one row per time step (the norm of the
 * gradient into the state and the largest relative error of each state leaf
 * and each gate), one row per parameter block, then the verdict (`PASS` or
 * `FAIL` with the failing blocks and the worst entries). This is what
 * `mnemo gradcheck <cell>` prints.
 *
 * @param report - A report from {@link bpttReport}.
 * @returns The tables as text, ending with `PASS` or `FAIL`.
 * @throws ArgumentError - when `report` is not a report that {@link bpttReport}
 *   returns.
 *
 * @example
 * ```ts
 * import { bpttReport, formatBpttReport } from '@mnemo/proofs';
 * import { makeCell } from '@mnemo/nn';
 * const text = formatBpttReport(bpttReport(makeCell('gru', { inputSize: 2, hiddenSize: 2, dtype: 'float64' }), { steps: 3, batch: 1 }));
 * console.assert(text.includes('step') && text.includes('wx') && text.trimEnd().split('\n').pop()!.startsWith('PASS'));
 * ```
 * @category BPTT
 */
export function formatBpttReport(report: BpttReport): string {
  const op = 'formatBpttReport';
  if (report === null || typeof report !== 'object') throw new ArgumentError(op, 'report', `expected a report made by bpttReport, got ${formatValue(report)}`);
  for (const k of ['cell', 'settings', 'total']) {
    const v = (report as unknown as Record<string, unknown>)[k];
    if (v === null || typeof v !== 'object') throw new ArgumentError(op, `report.${k}`, `expected an object, got ${formatValue(v)}`);
  }
  for (const k of ['lengths', 'time', 'stateLeaves', 'params', 'kinks', 'problems', 'worst']) {
    const v = (report as unknown as Record<string, unknown>)[k];
    if (!Array.isArray(v)) throw new ArgumentError(op, `report.${k}`, `expected an array, got ${formatValue(v)}`);
  }
  // The report is plain data: anything else wrong with it (a missing row field, a
  // number that is a string) surfaces as a TypeError while printing, reported here.
  try {
    return formatReport(report);
  } catch (e) {
    if (e instanceof MnemoError) throw e;
    throw new ArgumentError(op, 'report', `is not a report made by bpttReport (${e instanceof Error ? e.message : formatValue(e)})`);
  }
}

function formatReport(report: BpttReport): string {
  const r = report;
  const s = r.settings;
  const out: string[] = [];
  const ragged = r.lengths.some((l) => l !== r.steps) ? `, lengths [${r.lengths.join(', ')}]` : '';
  out.push(
    `BPTT gradient check: ${r.cell.name} (input ${r.cell.inputSize}, hidden ${r.cell.hiddenSize}, output ${r.cell.outputSize}), ` +
      `batch ${r.batch}, ${r.steps} steps${ragged}, float64`,
  );
  out.push(
    `central differences with step ${num(s.step)}, ${r.mode === 'elementwise' ? 'every entry' : `${s.directions} random directions per block`}; ` +
      `an entry passes when |analytic - numeric| <= ${num(s.atol)} + ${num(s.rtol)} |numeric|` +
      (r.mode === 'elementwise' ? `, a block when also ||a - n|| / ||n|| < ${num(s.normRtol)}` : ''),
  );
  const anyState = r.time.some((row) => Object.keys(row.state).length > 0);
  const anyGates = r.time.some((row) => Object.keys(row.gates).length > 0);
  if (anyState || anyGates) {
    out.push('', 'per time step: |dL/d state| after the step, and the largest relative error of each block');
    const stateCols = anyState ? r.stateLeaves : [];
    const gateCols = anyGates ? r.cell.gates : [];
    const head = ['step', ...stateCols.map((p) => `|dL/d${p}|`), ...stateCols.map((p) => `${p} err`), ...gateCols.map((g) => `gate ${g} err`), 'ok'];
    const rows = r.time.map((row) => {
      const blocks = [...stateCols.map((p) => row.state[p]), ...gateCols.map((g) => row.gates[g])];
      return [
        String(row.t),
        ...stateCols.map((p) => sci(row.state[p]?.analyticNorm ?? 0, 2)),
        ...stateCols.map((p) => sci(row.state[p]?.maxRelError ?? 0, 1)),
        ...gateCols.map((g) => sci(row.gates[g]?.maxRelError ?? 0, 1)),
        blocks.every((b) => b === undefined || b.ok) ? 'yes' : 'NO',
      ];
    });
    out.push(...table(head, rows, head.map((_, i) => i > 0 && i < head.length - 1)));
  }
  if (r.params.length > 0) {
    out.push('', 'parameters');
    const head = ['block', 'shape', '|grad|', 'max abs err', 'max rel err', r.mode === 'elementwise' ? 'norm rel err' : 'checked', 'ok'];
    const rows = r.params.map((p) => [
      p.path,
      formatShape(p.shape),
      sci(p.analyticNorm, 2),
      sci(p.maxAbsError, 1),
      sci(p.maxRelError, 1),
      r.mode === 'elementwise' ? sci(p.normRelError, 1) : String(p.checked),
      p.ok ? 'yes' : 'NO',
    ]);
    out.push(...table(head, rows, [false, false, true, true, true, true, false]));
  }
  out.push('');
  if (r.kinks.length > 0) {
    out.push(`${r.kinks.length} entr${r.kinks.length === 1 ? 'y' : 'ies'} set aside at non-differentiable points (one-sided differences disagree, as at relu(0)), e.g. ${r.kinks[0]!.block}, ${r.kinks[0]!.element}`);
  }
  const t = r.total;
  if (r.ok) {
    out.push(
      `PASS: ${t.checked} comparisons over ${t.elements} gradient entries; max relative error ${sci(t.maxRelError, 2)}` +
        (r.mode === 'elementwise' ? `, worst norm-wise relative error ${sci(t.normRelError, 2)}` : ''),
    );
  } else {
    out.push(`FAIL: ${t.failed} of ${t.checked} comparisons outside the tolerance`);
    out.push(...r.problems.slice(0, 20).map((p) => `  ${p}`));
    if (r.problems.length > 20) out.push(`  ... and ${r.problems.length - 20} more`);
    if (r.worst.length > 0) {
      out.push('worst entries:');
      out.push(...r.worst.map((w) => `  ${w.block}, ${w.element}: analytic ${sig(w.analytic, 8)}, numeric ${sig(w.numeric, 8)} (rel error ${sci(relError(w.analytic, w.numeric, s.atol), 2)})`));
    }
  }
  return out.join('\n');
}
