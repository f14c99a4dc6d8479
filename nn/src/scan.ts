/**
 * Running a cell over time: {@link scan} (with masks or lengths for
 * variable-length batches, reverse direction, per-step probes and
 * rematerialized chunks), {@link sequenceMask}, and {@link truncatedBptt}.
 *
 * @module
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, checkCount, checkDType, checkFlag, checkOptions, checkSize, formatShape, formatValue, tensor, type DType } from '@mnemo/core';
import { CompileDeclined, cast, checkpoint, compiledRecurrence, explainRecurrence, sliceAxis, stack, stopGradient, tree, where, type Tree } from '@mnemo/autodiff';
import type { Cell, GateProbes } from './cell.js';
import { checkCellArg, isGatedCell, unstack } from './cells/common.js';

/**
 * Options of {@link scan}: the initial state, a mask or lengths for padded
 * batches, the direction, probes, checkpointing and compilation.
 *
 * @example
 * ```ts
 * import type { ScanOptions } from '@mnemo/nn';
 * const o: ScanOptions<never> = { lengths: [3, 1], reverse: true };
 * console.assert(o.reverse === true);
 * ```
 * @category Sequences
 */
export interface ScanOptions<S extends Tree> {
  /** The state before the first step (default: the cell's zero state). */
  readonly initialState?: S;
  /**
   * `[batch, steps]` of 1 (a real step) and 0 (padding). At a padded step the
   * state is kept, the output is zero, and nothing flows back into that
   * step's input. Give this or `lengths`, not both.
   */
  readonly mask?: Tensor;
  /** Each sequence's length (right-padded batches); the same as the mask {@link sequenceMask} makes. */
  readonly lengths?: readonly number[] | Tensor;
  /**
   * Run from the last step to the first. Outputs stay at their own time
   * positions; with a mask or lengths, each sequence starts at its own last
   * real step (padding at the end is skipped), as in PyTorch's packed sequences.
   */
  readonly reverse?: boolean;
  /** Gate probes per time step (`probes[t]`), added to the gates' pre-activations (see {@link GateProbes}). */
  readonly probes?: readonly (GateProbes | undefined)[];
  /**
   * Project every step's input with one matmul before the loop, when the cell
   * can (a {@link GatedCell}); default true. False runs `cell.step` on the raw
   * inputs: the reference path, slower, same values.
   */
  readonly projectInputs?: boolean;
  /**
   * Compile the cell's step, with its backward pass, into one program of
   * the backend for the whole sequence (default true): the same values and
   * gradients as the step by step loop on the tape, several times faster.
   * Cells that use what the compiler cannot take, probes, and nested
   * differentiation run on the tape whatever this says; {@link explainScan}
   * tells which path a cell takes and why. False always runs the tape path.
   */
  readonly compile?: boolean;
  /**
   * Rematerialize: keep only every `checkpointEvery` steps' states on the
   * tape and recompute each chunk's steps during the backward pass (see
   * `checkpoint` in autodiff). Trades compute for memory on long sequences.
   */
  readonly checkpointEvery?: number;
}

/**
 * What {@link scan} returns: every step's output `[batch, steps, outputSize]`
 * and the state after the last step (for `reverse`, after step 0).
 *
 * @example
 * ```ts
 * import { scan, rnnCell, type ScanResult, type HiddenState } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const cell = rnnCell({ inputSize: 1, hiddenSize: 2 });
 * const r: ScanResult<HiddenState> = scan(cell, cell.init(key(0)), ones([1, 4, 1]));
 * console.assert(r.outputs.shape.join() === '1,4,2');
 * ```
 * @category Sequences
 */
export interface ScanResult<S extends Tree> {
  readonly outputs: Tensor;
  readonly finalState: S;
}

/**
 * The mask of a right-padded batch, `[batch, steps]`: 1 where `t < lengths[b]`
 * (a real step), 0 on the padding.
 *
 * @param lengths - Each sequence's length, as numbers or a vector tensor
 *   `[batch]`.
 * @param steps - The padded length.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor `[batch, steps]` of 0s and 1s.
 * @throws ArgumentError - when `lengths` is neither an array nor a tensor, `steps`
 *   is not a non-negative integer, or a length is not an integer from 0 to
 *   `steps`.
 * @throws ShapeError - when `lengths` is a tensor that is not a vector.
 *
 * @example
 * ```ts
 * import { sequenceMask } from '@mnemo/nn';
 * console.assert(sequenceMask([2, 0, 3], 3).toArray().join() === '1,1,0,0,0,0,1,1,1');
 * ```
 * @category Sequences
 */
export function sequenceMask(lengths: readonly number[] | Tensor, steps: number, dtype: DType = 'float32'): Tensor {
  const op = 'sequenceMask';
  if (lengths instanceof Tensor && lengths.rank !== 1) throw new ShapeError(op, 'lengths', `expected a vector [batch], got ${formatShape(lengths.shape)}`);
  const ls: readonly unknown[] = lengths instanceof Tensor ? Array.from(lengths.toArray()) : (lengths as unknown[]);
  if (!Array.isArray(ls)) throw new ArgumentError(op, 'lengths', `expected an array of lengths or a Tensor, got ${formatValue(lengths)}`);
  checkCount(op, 'steps', steps);
  const dt = checkDType(op, 'dtype', dtype);
  checkSize(op, 'steps', [ls.length, steps]);
  const data = new Array<number>(ls.length * steps).fill(0);
  for (let b = 0; b < ls.length; b++) {
    const l = ls[b];
    if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > steps) {
      throw new ArgumentError(op, `lengths[${b}]`, `must be an integer from 0 to ${steps} (the number of steps), got ${formatValue(l)}`);
    }
    for (let t = 0; t < l; t++) data[b * steps + t] = 1;
  }
  return tensor(data, dt, [ls.length, steps]);
}

/** Per-step mask columns `[batch, 1]`, or undefined where a step is real for every sequence. */
function maskColumns(name: string, options: ScanOptions<never>, batch: number, steps: number, dtype: DType): (Tensor | undefined)[] | undefined {
  const { mask, lengths } = options;
  if (mask !== undefined && lengths !== undefined) throw new ArgumentError(name, 'mask', 'give a mask or lengths, not both');
  let m: Tensor;
  if (lengths !== undefined) {
    if (!(lengths instanceof Tensor) && !Array.isArray(lengths)) throw new ArgumentError(name, 'lengths', `expected an array of lengths or a Tensor [batch], got ${formatValue(lengths)}`);
    const n = lengths instanceof Tensor ? lengths.size : lengths.length;
    if (n !== batch) throw new ShapeError(name, 'lengths', `has ${n} entries, but the batch has ${batch} sequences`);
    m = sequenceMask(lengths, steps, dtype);
  } else if (mask !== undefined) {
    if (!(mask instanceof Tensor)) throw new ArgumentError(name, 'mask', `expected a Tensor [batch, steps], got ${formatValue(mask)}`);
    if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps) {
      throw new ShapeError(name, 'mask', `has shape ${formatShape(mask.shape)}, expected [${batch}, ${steps}] (batch and steps of xs)`);
    }
    m = mask;
  } else return undefined;
  const d = m.toArray();
  if (d.some((v) => v !== 0 && v !== 1)) throw new ArgumentError(name, 'mask', 'must hold only 0 (padding) and 1 (a real step)');
  if (d.every((v) => v === 1)) return undefined;
  const cols: (Tensor | undefined)[] = [];
  for (let t = 0; t < steps; t++) {
    const col: number[] = [];
    for (let b = 0; b < batch; b++) col.push(d[b * steps + t]!);
    cols.push(col.every((v) => v === 1) ? undefined : tensor(col, dtype, [batch, 1]));
  }
  return cols;
}

/**
 * Run a cell over a batch of sequences `xs` `[batch, steps, inputSize]`
 * (batch first), returning every step's output and the final state. Works
 * with any {@link Cell}; with a {@link GatedCell} (all cells of this
 * package) every step's input is first projected with one matmul
 * (`cell.projectInputs`), then the loop runs `cell.stepProjected`, which is
 * the same gate equations as `cell.step`. Gradients flow back through time
 * (BPTT) by the tape; padded steps (mask or lengths) keep the state, output
 * zero and get zero gradient.
 *
 * @param cell - Any {@link Cell}.
 * @param params - Its parameters (from `cell.init`).
 * @param xs - The inputs, `[batch, steps, inputSize]`, batch first.
 * @param options - `initialState`, `mask` or `lengths`, `reverse`, `probes`,
 *   `checkpointEvery`, `compile` (see {@link ScanOptions}).
 * @returns `outputs` `[batch, steps, outputSize]` and `finalState` (see {@link
 *   ScanResult}).
 * @throws ArgumentError - when `xs` is not a tensor, `mask` and `lengths` are both
 *   given, the mask holds values other than 0 and 1, `probes` does not have one
 *   entry per step, or `checkpointEvery` is not a non-negative integer.
 * @throws ShapeError - when `xs` is not `[batch, steps, inputSize]` for the cell,
 *   has no steps, or a mask, lengths or state do not fit its batch and steps.
 * @throws DTypeError - when `xs` (or the state) is not of the cell's dtype.
 * @throws MnemoError - from the compiled path, when one tensor object is passed as
 *   two inputs.
 * @throws CompileDeclined - never escapes: a cell the compiler declines runs on
 *   the tape (see {@link explainScan}).
 *
 * @example
 * ```ts
 * import { scan, lstmCell } from '@mnemo/nn';
 * import { key, normal } from '@mnemo/core';
 * const cell = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' });
 * const params = cell.init(key(0));
 * const xs = normal(key(1), [2, 5, 3], { dtype: 'float64' });
 * const { outputs, finalState } = scan(cell, params, xs, { lengths: [5, 2] });
 * console.assert(outputs.shape.join() === '2,5,4' && finalState.h.shape.join() === '2,4');
 * // The second sequence stops after 2 steps: its outputs afterwards are 0.
 * console.assert(outputs.toArray().slice(2 * 5 * 4 - 4).every((v) => v === 0));
 * ```
 * @category Sequences
 */
export function scan<P extends Tree, S extends Tree>(cell: Cell<P, S>, params: P, xs: Tensor, options: ScanOptions<S> = {}): ScanResult<S> {
  checkCellArg('scan', 'cell', cell);
  const name = cell.name;
  if (!(xs instanceof Tensor)) throw new ArgumentError(name, 'xs', `expected a Tensor [batch, steps, ${cell.inputSize}], got ${formatValue(xs)}`);
  if (xs.rank !== 3) {
    throw new ShapeError(name, 'xs', `expected a sequence [batch, steps, ${cell.inputSize}] (batch first), got ${formatShape(xs.shape)}`);
  }
  const [B, T, D] = xs.shape as [number, number, number];
  if (D !== cell.inputSize) {
    throw new ShapeError(name, 'xs', `has ${D} features per step (shape ${formatShape(xs.shape)}), but the cell's inputSize is ${cell.inputSize}`);
  }
  if (xs.dtype !== cell.dtype) throw new DTypeError(name, 'xs', `is ${xs.dtype}, the cell is ${cell.dtype}; cast the input first`);
  if (T === 0) throw new ShapeError(name, 'xs', `has no time steps (shape ${formatShape(xs.shape)})`);
  const o = checkOptions(name, 'options', options ?? undefined);
  const reverse = checkFlag(name, 'options.reverse', o.reverse, false);
  const compile = checkFlag(name, 'options.compile', o.compile, true);
  const projectInputs = checkFlag(name, 'options.projectInputs', o.projectInputs, true);
  const state0 = o.initialState ?? cell.initialState(B);
  const masks = maskColumns(name, o as ScanOptions<never>, B, T, cell.dtype);
  const probes = o.probes;
  if (probes !== undefined && (!Array.isArray(probes) || probes.length !== T)) {
    throw new ArgumentError(name, 'probes', `expected one entry per time step (${T}), got ${Array.isArray(probes) ? `${probes.length} entries` : formatValue(probes)}`);
  }
  const every = o.checkpointEvery ?? 0;
  if (typeof every !== 'number' || !Number.isInteger(every) || every < 0) throw new ArgumentError(name, 'checkpointEvery', `must be a non-negative integer, got ${formatValue(every)}`);

  if (compile && probes === undefined) {
    try {
      const mask = masks === undefined ? undefined : fullMask(o as ScanOptions<never>, T, cell.dtype);
      return compiledRecurrence((p: P, s: S, x: Tensor) => cell.step(p, s, x), params, state0, xs, {
        key: cell,
        ...(mask === undefined ? {} : { mask }),
        reverse,
        checkpointEvery: every,
        reference: (p: P, s: S, x: Tensor) => tapeScan(cell, p, x, s, masks, undefined, every, reverse, projectInputs),
      });
    } catch (e) {
      if (!(e instanceof CompileDeclined)) throw e;
    }
  }
  return tapeScan(cell, params, xs, state0, masks, probes, every, reverse, projectInputs);
}

/** The mask of a scan as one `[batch, steps]` tensor (given, or made from the lengths). */
function fullMask(o: ScanOptions<never>, T: number, dtype: DType): Tensor | undefined {
  if (o.mask !== undefined) return o.mask.dtype === dtype ? o.mask : cast(o.mask, dtype);
  if (o.lengths !== undefined) return sequenceMask(o.lengths, T, dtype);
  return undefined;
}

/** The step by step loop on the tape: the reference the compiled path equals. */
function tapeScan<P extends Tree, S extends Tree>(
  cell: Cell<P, S>,
  params: P,
  xs: Tensor,
  state0: S,
  masks: (Tensor | undefined)[] | undefined,
  probes: readonly (GateProbes | undefined)[] | undefined,
  every: number,
  reverse: boolean,
  projectInputs: boolean,
): ScanResult<S> {
  const T = xs.shape[1]!;
  const gated = projectInputs && isGatedCell(cell);
  const inputs = gated ? unstack(cell.projectInputs(params, xs), 1) : unstack(xs, 1);
  const step = gated ? cell.stepProjected : cell.step;
  const order = Array.from({ length: T }, (_, j) => (reverse ? T - 1 - j : j));

  // Run the steps order[from..to) from `state`; returns the state and their outputs.
  const runSteps = (from: number, to: number) => (p: P, state: S, xsChunk: readonly Tensor[], probesChunk: readonly GateProbes[]): [S, Tensor[]] => {
    let s = state;
    const outs: Tensor[] = [];
    for (let j = from; j < to; j++) {
      const t = order[j]!;
      const pr = probesChunk[j - from];
      const [s1, y1] = step(p, s, xsChunk[j - from]!, pr !== undefined && Object.keys(pr).length > 0 ? pr : undefined);
      const m = masks?.[t];
      if (m === undefined) {
        s = s1;
        outs.push(y1);
      } else {
        s = tree.map(s1, (n, old) => where(m, n, old!), s);
        outs.push(where(m, y1, 0));
      }
    }
    return [s, outs];
  };

  let state = state0;
  const outputs: Tensor[] = new Array<Tensor>(T);
  const chunk = every > 0 ? every : T;
  for (let from = 0; from < T; from += chunk) {
    const to = Math.min(T, from + chunk);
    const xsChunk = order.slice(from, to).map((t) => inputs[t]!);
    const probesChunk = order.slice(from, to).map((t) => probes?.[t] ?? {});
    const f = runSteps(from, to);
    const [s, outs] = every > 0 ? checkpoint(f)(params, state, xsChunk, probesChunk) : f(params, state, xsChunk, probesChunk);
    state = s;
    outs.forEach((y, j) => (outputs[order[from + j]!] = y));
  }
  return { outputs: stack(outputs, 1), finalState: state };
}

/**
 * Truncated backpropagation through time: cut `xs` `[batch, steps, ...]`
 * into chunks of `chunk` steps along axis 1 and call `body` on each in order,
 * carrying the state from one chunk to the next with its gradient stopped,
 * so each chunk's gradient reaches back at most `chunk` steps. `body`
 * typically computes a loss and its gradient on the chunk (and updates the
 * parameters) and returns the chunk's final state and a result; the results
 * are collected in order. `info` gives the chunk's index and time range, for
 * slicing targets or masks the same way.
 *
 * @param xs - The inputs, `[batch, steps, ...]`.
 * @param chunk - Steps per chunk, a positive integer.
 * @param initialState - The state before the first chunk.
 * @param body - Called per chunk with its inputs, the carried state (gradient
 *   stopped) and `info`; returns `[finalState, result]`.
 * @returns `results`, one per chunk in order, and the `finalState` after the last
 *   chunk.
 * @throws ArgumentError - when `chunk` is not a positive integer or `body` is not
 *   a function.
 * @throws ShapeError - when `xs` is not a tensor of rank 2 or more.
 *
 * @example
 * ```ts
 * import { truncatedBptt, scan, rnnCell } from '@mnemo/nn';
 * import { grad, sum } from '@mnemo/autodiff';
 * import { key, ones, type Tensor } from '@mnemo/core';
 * const cell = rnnCell({ inputSize: 1, hiddenSize: 2, dtype: 'float64' });
 * const params = cell.init(key(0));
 * const { results } = truncatedBptt(ones([1, 7, 1], 'float64'), 3, cell.initialState(1), (xs, state) => {
 *   const g = grad((p: typeof params) => sum(scan(cell, p, xs, { initialState: state }).outputs))(params);
 *   return [scan(cell, params, xs, { initialState: state }).finalState, g.wh] as const;
 * });
 * console.assert(results.length === 3);
 * ```
 * @category Sequences
 */
export function truncatedBptt<S extends Tree, R>(
  xs: Tensor,
  chunk: number,
  initialState: S,
  body: (xsChunk: Tensor, state: S, info: { readonly index: number; readonly start: number; readonly end: number }) => readonly [S, R],
): { readonly finalState: S; readonly results: R[] } {
  const op = 'truncatedBptt';
  if (!(xs instanceof Tensor) || xs.rank < 2) {
    throw new ShapeError(op, 'xs', `expected a sequence [batch, steps, ...], got ${formatValue(xs)}`);
  }
  if (typeof chunk !== 'number' || !Number.isInteger(chunk) || chunk <= 0) throw new ArgumentError(op, 'chunk', `must be a positive integer, got ${formatValue(chunk)}`);
  if (typeof body !== 'function') throw new ArgumentError(op, 'body', `expected a function, got ${formatValue(body)}`);
  const T = xs.shape[1]!;
  let state = stopGradient(initialState);
  const results: R[] = [];
  for (let start = 0, index = 0; start < T; start += chunk, index++) {
    const end = Math.min(T, start + chunk);
    const out: unknown = body(sliceAxis(xs, 1, start, end), state, { index, start, end });
    if (!Array.isArray(out) || out.length !== 2) throw new ArgumentError(op, 'body', `must return [state, result], returned ${formatValue(out)} for chunk ${index}`);
    const [s, r] = out as [S, R];
    state = stopGradient(s);
    results.push(r);
  }
  return { finalState: state, results };
}

/**
 * What {@link explainScan} tells: whether `scan` compiles a cell, and the
 * compiled program's listing, or why not (and the primitive at fault).
 *
 * @example
 * ```ts
 * import type { ScanExplanation } from '@mnemo/nn';
 * const e: ScanExplanation = { compiled: false, reason: 'probes are given', prim: undefined };
 * console.assert(!e.compiled);
 * ```
 * @category Sequences
 */
export type ScanExplanation =
  | { readonly compiled: true; readonly program: string }
  | { readonly compiled: false; readonly reason: string; readonly prim: string | undefined };

/**
 * Whether {@link scan} runs this cell compiled (one fused program per
 * sequence) or on the tape, and why: a cell that uses something the
 * compiler cannot take (a primitive across the batch, a value read with
 * `item()`, ...) is named with the primitive at fault. For a compiled cell,
 * `program` lists the training program: its buffers, and per phase the
 * products and fused loops (for inputs that are data; `inputGradient: true`
 * lists the program that also differentiates them). The options are those
 * of `scan` (a mask or lengths, probes, `compile`).
 *
 * @param cell - the cell
 * @param params - its parameters
 * @param xs - a batch of sequences `[batch, steps, inputSize]`
 * @param options - as for {@link scan}
 * @returns `{ compiled: true, program }` or `{ compiled: false, reason, prim }`
 * @throws ShapeError - when `xs` is not `[batch, steps, inputSize]` for the cell
 *   (its shape would not reach the compiler).
 * @throws DTypeError - when `xs` is not of the cell's dtype.
 * @throws ArgumentError - when the options are malformed, as for {@link scan}.
 * @throws MnemoError - when one tensor object is passed as two inputs.
 * @throws CompileDeclined - never: a declined cell is the answer, not an error.
 *
 * @example
 * ```ts
 * import { explainScan, lstmCell } from '@mnemo/nn';
 * import { key, zeros } from '@mnemo/core';
 * const cell = lstmCell({ inputSize: 3, hiddenSize: 4 });
 * const e = explainScan(cell, cell.init(key(0)), zeros([2, 5, 3]));
 * console.assert(e.compiled && e.program.includes('sigmoid'));
 * ```
 * @category Sequences
 */
export function explainScan<P extends Tree, S extends Tree>(cell: Cell<P, S>, params: P, xs: Tensor, options: ScanOptions<S> & { readonly inputGradient?: boolean } = {}): ScanExplanation {
  checkCellArg('explainScan', 'cell', cell);
  const name = cell.name;
  if (!(xs instanceof Tensor) || xs.rank !== 3) {
    throw new ShapeError(name, 'xs', `expected a sequence [batch, steps, ${cell.inputSize}] (batch first), got ${formatValue(xs)}`);
  }
  if (xs.dtype !== cell.dtype) throw new DTypeError(name, 'xs', `is ${xs.dtype}, the cell is ${cell.dtype}; cast the input first`);
  const o = checkOptions(name, 'options', options ?? undefined);
  const inputGradient = checkFlag(name, 'options.inputGradient', o.inputGradient, false);
  if (checkFlag(name, 'options.compile', o.compile, true) === false) return { compiled: false, reason: 'the scan was asked not to compile (compile: false)', prim: undefined };
  if (o.probes !== undefined) return { compiled: false, reason: 'gate probes are given (per-gate gradient reports run on the tape)', prim: undefined };
  const state0 = o.initialState ?? cell.initialState(xs.shape[0]!);
  const masked = o.mask !== undefined || o.lengths !== undefined;
  return explainRecurrence((p: P, s: S, x: Tensor) => cell.step(p, s, x), cell, params, state0, xs, masked, inputGradient);
}
