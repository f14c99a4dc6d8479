/**
 * What every cell of `nn/src/cells` shares: the {@link GatedCell} interface
 * (a {@link Cell} that can also project a whole sequence's inputs at once and
 * report its gate activations), the input, state, parameter and probe checks
 * that name the cell, and the split whose adjoint is one concatenation.
 * Cells are defined with `defineCell` (define.ts), which builds the
 * GatedCell members from one definition: `step(params, state, x)` is the
 * definition's step on `inputPart(params, x)`; `scan` calls `projectInputs`
 * once and then `stepProjected` per step, which is the same step, so the fast
 * path and the reference definition cannot drift apart.
 *
 * @module
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, formatShape, formatValue, type DType } from '@mnemo/core';
import { concat, customVjp, reshape, sliceAxis, stack, type Tree } from '@mnemo/autodiff';
import type { Cell, GateProbes } from '../cell.js';

// ---------------------------------------------------------------------------
// The gated cell interface
// ---------------------------------------------------------------------------

/**
 * What {@link GatedCell.inspect} returns: the gate activations of one step
 * by name (gates a variant removes are reported as the constant they become,
 * for example `i` is all ones in an LSTM without input gate, and a coupled
 * forget gate is `1 - i`), the new state and the output.
 *
 * @example
 * ```ts
 * import { lstmCell } from '@mnemo/nn';
 * import { key, zeros } from '@mnemo/core';
 * const cell = lstmCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64', variant: 'cifg' });
 * const p = cell.init(key(0));
 * const r = cell.inspect(p, cell.initialState(1), zeros([1, 2], 'float64'));
 * console.assert(r.gates['f']!.toArray()[0] === 1 - r.gates['i']!.toArray()[0]!);
 * ```
 * @category Cells
 */
export interface StepReport<S extends Tree = Tree> {
  readonly gates: Readonly<Record<string, Tensor>>;
  readonly state: S;
  readonly output: Tensor;
}

/**
 * A {@link Cell} with a fast path for whole sequences and a window on its
 * gates. `projectInputs(params, xs)` maps `[batch, steps, inputSize]` to
 * `[batch, steps, inputPartSize]` with one matmul (the input-only part of
 * every gate's pre-activation, biases included); `stepProjected` takes one
 * step's slice of that instead of the raw input. `step(p, s, x)` equals
 * `stepProjected(p, s, row of projectInputs(p, x))`: both run the same gate
 * equations. `inspect` runs one step and also returns every gate's activation.
 *
 * @example
 * ```ts
 * import { gruCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * import { index } from '@mnemo/autodiff';
 * const cell = gruCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
 * const p = cell.init(key(1));
 * const x = ones([1, 2], 'float64');
 * const [, a] = cell.step(p, cell.initialState(1), x);
 * const xp = index(cell.projectInputs(p, ones([1, 1, 2], 'float64')), 1, 0);
 * const [, b] = cell.stepProjected(p, cell.initialState(1), xp);
 * console.assert(a.toArray().join() === b.toArray().join());
 * ```
 * @category Cells
 */
export interface GatedCell<P extends Tree = Tree, S extends Tree = Tree> extends Cell<P, S> {
  /** Width of `projectInputs`'s last axis. */
  readonly inputPartSize: number;
  /** The input-only part of every step's pre-activations, for a whole sequence `[batch, steps, inputSize]`. */
  projectInputs(params: P, xs: Tensor): Tensor;
  /** One step from a row of {@link GatedCell.projectInputs} (`[batch, inputPartSize]`). */
  stepProjected(params: P, state: S, xPart: Tensor, probes?: GateProbes): readonly [S, Tensor];
  /** One step, reporting every gate's activation. */
  inspect(params: P, state: S, x: Tensor, probes?: GateProbes): StepReport<S>;
}

/**
 * Whether a cell has the sequence fast path of {@link GatedCell}
 * (`projectInputs` and `stepProjected`); `scan` uses it when present.
 *
 * @param cell - Any cell.
 * @returns `true` when it has `projectInputs` and `stepProjected`; it narrows the
 *   type to {@link GatedCell}.
 *
 * @example
 * ```ts
 * import { isGatedCell, rnnCell } from '@mnemo/nn';
 * console.assert(isGatedCell(rnnCell({ inputSize: 1, hiddenSize: 2 })));
 * ```
 * @category Cells
 */
export function isGatedCell<P extends Tree, S extends Tree>(cell: Cell<P, S>): cell is GatedCell<P, S> {
  if (cell === null || (typeof cell !== 'object' && typeof cell !== 'function')) return false;
  const c = cell as Partial<GatedCell<P, S>>;
  return typeof c.projectInputs === 'function' && typeof c.stepProjected === 'function';
}

// ---------------------------------------------------------------------------
// Argument checks that name the cell (internal)
// ---------------------------------------------------------------------------

/**
 * `cell` when it is an object with every member of a {@link Cell} of the
 * right type (sizes positive integers, a known dtype, gate names, and
 * `init`, `initialState` and `step` functions); else an ArgumentError naming
 * the op, the argument and the member. Nothing is run: `checkCell` is the
 * thorough check. For functions that take a cell (scan, stackCells, ...),
 * before they read its members. @internal
 */
export function checkCellArg(op: string, arg: string, cell: unknown): Cell {
  if (cell === null || typeof cell !== 'object' || Array.isArray(cell) || cell instanceof Tensor) {
    throw new ArgumentError(op, arg, `expected a cell (from lstmCell, gruCell, makeCell, ...), got ${formatValue(cell)}`);
  }
  const c = cell as Record<string, unknown>;
  const fault = (member: string, expected: string): ArgumentError =>
    new ArgumentError(op, `${arg}.${member}`, `expected ${expected} (is the ${arg} a cell?), got ${formatValue(c[member])}`);
  if (typeof c['name'] !== 'string') throw fault('name', 'a string');
  for (const m of ['inputSize', 'hiddenSize', 'outputSize']) {
    const v = c[m];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw fault(m, 'a positive integer');
  }
  if (c['dtype'] !== 'float32' && c['dtype'] !== 'float64') throw fault('dtype', "'float32' or 'float64'");
  const gates = c['gates'];
  if (!Array.isArray(gates) || !gates.every((g) => typeof g === 'string')) throw fault('gates', 'an array of gate names');
  for (const m of ['init', 'initialState', 'step']) if (typeof c[m] !== 'function') throw fault(m, 'a function');
  return cell as unknown as Cell;
}

/** `v` when it is a positive integer; else an ArgumentError naming the cell and the argument. @internal */
export function checkPositiveInt(cell: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ArgumentError(cell, arg, `must be a positive integer, got ${formatValue(v)}`);
  if (v > 2 ** 31 - 1) throw new ArgumentError(cell, arg, `must be at most 2^31 - 1 (the most a tensor can hold), got ${formatValue(v)}`);
  return v;
}

/** Check one step's input `[batch, inputSize]`; returns the batch size. @internal */
export function checkStepInput(cell: string, arg: string, x: unknown, width: number, widthName: string, dtype: DType): number {
  if (!(x instanceof Tensor)) throw new ArgumentError(cell, arg, `expected a Tensor [batch, ${width}], got ${formatValue(x)}`);
  if (x.rank !== 2) {
    throw new ShapeError(cell, arg, `expected one time step of shape [batch, ${width}], got ${formatShape(x.shape)} (for a sequence [batch, steps, features] use scan)`);
  }
  if (x.shape[1] !== width) {
    throw new ShapeError(cell, arg, `has ${x.shape[1]} features per step (shape ${formatShape(x.shape)}), but the cell's ${widthName} is ${width}`);
  }
  if (x.dtype !== dtype) throw new DTypeError(cell, arg, `is ${x.dtype}, the cell is ${dtype}; cast the input first`);
  return x.shape[0]!;
}

/** Check a state record against the cell's state sizes for a batch. @internal */
export function checkState(cell: string, state: unknown, sizes: Readonly<Record<string, number>>, batch: number, dtype: DType): void {
  const names = Object.keys(sizes);
  const want = `{ ${names.map((n) => `${n}: [${batch}, ${sizes[n]}]`).join(', ')} }`;
  if (state === null || typeof state !== 'object' || state instanceof Tensor || Array.isArray(state)) {
    throw new ArgumentError(cell, 'state', `expected a record ${want}, got ${formatValue(state)}`);
  }
  const rec = state as Record<string, unknown>;
  for (const n of names) {
    const t = rec[n];
    if (!(t instanceof Tensor)) throw new ArgumentError(cell, `state.${n}`, `is missing; the state is ${want}`);
    const size = sizes[n]!;
    if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== size) {
      throw new ShapeError(cell, `state.${n}`, `has shape ${formatShape(t.shape)}, expected [${batch}, ${size}] (batch ${batch} of the input, ${n} size ${size})`);
    }
    if (t.dtype !== dtype) throw new DTypeError(cell, `state.${n}`, `is ${t.dtype}, the cell is ${dtype}`);
  }
  for (const n of Object.keys(rec)) {
    if (!(n in sizes)) throw new ArgumentError(cell, `state.${n}`, `is not part of this cell's state ${want}`);
  }
}

/** Check a parameter record against the declared shapes. @internal */
export function checkParams(cell: string, params: unknown, shapes: Readonly<Record<string, readonly number[]>>, dtype: DType): void {
  if (params === null || typeof params !== 'object' || params instanceof Tensor || Array.isArray(params)) {
    throw new ArgumentError(cell, 'params', `expected the record that cell.init returns (keys ${Object.keys(shapes).join(', ')}), got ${formatValue(params)}`);
  }
  const rec = params as Record<string, unknown>;
  for (const [n, shape] of Object.entries(shapes)) {
    const t = rec[n];
    if (!(t instanceof Tensor)) {
      throw new ArgumentError(cell, `params.${n}`, `is missing; this cell's parameters are ${Object.keys(shapes).join(', ')}`);
    }
    if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(cell, `params.${n}`, `has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
    }
    if (t.dtype !== dtype) throw new DTypeError(cell, `params.${n}`, `is ${t.dtype}, the cell is ${dtype}`);
  }
  for (const n of Object.keys(rec)) {
    if (!(n in shapes)) {
      throw new ArgumentError(cell, `params.${n}`, `is not a parameter of this cell (it has ${Object.keys(shapes).join(', ')}); was it made for another variant?`);
    }
  }
}

/** Check probes against the cell's gates and their width. @internal */
export function checkProbes(cell: string, probes: GateProbes | undefined, gates: readonly string[], batch: number, size: number, dtype: DType): void {
  if (probes === undefined) return;
  if (probes === null || typeof probes !== 'object' || Array.isArray(probes) || probes instanceof Tensor) {
    throw new ArgumentError(cell, 'probes', `expected a record of gate name to Tensor [${batch}, ${size}] (gates ${gates.length === 0 ? '(none)' : gates.join(', ')}), or undefined, got ${formatValue(probes)}`);
  }
  for (const [g, t] of Object.entries(probes)) {
    if (!gates.includes(g)) {
      throw new ArgumentError(cell, `probes.${g}`, `'${g}' is not a gate of this cell; its gates are ${gates.length === 0 ? '(none)' : gates.join(', ')}`);
    }
    if (!(t instanceof Tensor) || t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== size) {
      throw new ShapeError(cell, `probes.${g}`, `has shape ${t instanceof Tensor ? formatShape(t.shape) : formatValue(t)}, expected [${batch}, ${size}]`);
    }
    if (t.dtype !== dtype) throw new DTypeError(cell, `probes.${g}`, `is ${t.dtype}, the cell is ${dtype}`);
  }
}

// ---------------------------------------------------------------------------
// Splitting with a cheap adjoint
// ---------------------------------------------------------------------------

/**
 * Split along the last axis into pieces of the given widths. The same values
 * as `split(x, sizes, -1)`, but the backward pass is one concatenation of the
 * pieces' cotangents (zeros for unused pieces) instead of one zero-padded
 * copy of `x` per piece.
 * @internal
 */
export function splitColumns(x: Tensor, sizes: readonly number[]): Tensor[] {
  if (sizes.length === 1) return [x];
  const f = (t: Tensor): Tensor[] => {
    let at = 0;
    return sizes.map((s) => {
      const piece = sliceAxis(t, -1, at, at + s);
      at += s;
      return piece;
    });
  };
  return customVjp(f, {
    fwd: (t: Tensor) => [f(t), null] as const,
    bwd: (_: null, cts: Tensor[]) => [concat(cts, -1)],
  })(x);
}

/**
 * The slices of `x` along `axis`, with that axis removed; the backward pass
 * is one `stack` of the cotangents (zeros where a slice got none).
 * @internal
 */
export function unstack(x: Tensor, axis: number): Tensor[] {
  const a = axis < 0 ? axis + x.rank : axis;
  const n = x.shape[a]!;
  const f = (t: Tensor): Tensor[] => {
    const out: Tensor[] = [];
    const shape = t.shape.filter((_, i) => i !== a);
    for (let i = 0; i < n; i++) out.push(reshape(sliceAxis(t, a, i, i + 1), shape));
    return out;
  };
  return customVjp(f, {
    fwd: (t: Tensor) => [f(t), null] as const,
    bwd: (_: null, cts: Tensor[]) => [stack(cts, a)],
  })(x);
}
