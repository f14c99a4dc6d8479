/**
 * Deep and bidirectional recurrent networks: {@link stackCells} (a cell made
 * of cells, one step at a time) and {@link rnn} (layer by layer over whole
 * sequences, optionally bidirectional, with dropout between layers).
 *
 * @module
 */
import { ArgumentError, DTypeError, ShapeError, bernoulli, checkFlag, checkOptions, formatValue, foldIn, split as splitKey, tensor as tensorOf, type DType, type Key, type Tensor } from '@mnemo/core';
import { concat, mul, type Tree } from '@mnemo/autodiff';
import type { Cell, GateProbes } from './cell.js';
import { checkCellArg } from './cells/common.js';
import { scan, type ScanOptions, type ScanResult } from './scan.js';

function checkCells(op: string, cells: unknown): readonly Cell[] {
  if (!Array.isArray(cells) || cells.length === 0) throw new ArgumentError(op, 'cells', `needs a non-empty array of cells, got ${formatValue(cells)}`);
  const list = cells as readonly unknown[];
  for (let l = 0; l < list.length; l++) {
    const c = checkCellArg(op, `cells[${l}]`, list[l]);
    if (c.dtype !== (list[0] as Cell).dtype) throw new DTypeError(op, `cells[${l}]`, `is ${c.dtype}, cells[0] is ${(list[0] as Cell).dtype}`);
  }
  return list as readonly Cell[];
}

/**
 * A cell made of cells: each step runs `cells[0]` on the input, `cells[1]`
 * on its output, and so on; the output is the last cell's. Parameters and
 * states are arrays with one entry per layer, and probes are named
 * `<layer>.<gate>` (for example `1.f`). Use it to step a deep network one
 * input at a time (generation); for whole sequences {@link rnn} is faster,
 * since it projects each layer's inputs for all steps at once.
 *
 * @param cells - The layers, first to last; each one's `inputSize` must be the
 *   previous one's `outputSize`.
 * @returns A {@link Cell} named `stack(...)` whose parameters and states are
 *   arrays, one entry per layer.
 * @throws ArgumentError - when `cells` is empty or holds something that is not a
 *   cell; from the stack's `step`, when the parameters or states are not arrays of
 *   one entry per layer, or a probe is not named `<layer>.<gate>`.
 * @throws DTypeError - when the cells' dtypes differ.
 * @throws ShapeError - when a layer's `inputSize` is not the previous one's
 *   `outputSize`.
 *
 * @example
 * ```ts
 * import { stackCells, lstmCell, gruCell } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const deep = stackCells([lstmCell({ inputSize: 2, hiddenSize: 3 }), gruCell({ inputSize: 3, hiddenSize: 4 })]);
 * const [state, y] = deep.step(deep.init(key(0)), deep.initialState(1), ones([1, 2]));
 * console.assert(y.shape.join() === '1,4' && state.length === 2 && deep.gates.includes('1.z'));
 * ```
 * @category Sequences
 */
export function stackCells(cells: readonly Cell[]): Cell<readonly Tree[], readonly Tree[]> {
  const op = 'stackCells';
  const list = checkCells(op, cells);
  for (let l = 1; l < list.length; l++) {
    if (list[l]!.inputSize !== list[l - 1]!.outputSize) {
      throw new ShapeError(op, `cells[${l}]`, `has inputSize ${list[l]!.inputSize}, but cells[${l - 1}] (${list[l - 1]!.name}) outputs ${list[l - 1]!.outputSize} features`);
    }
  }
  const name = `stack(${list.map((c) => c.name).join(', ')})`;
  const last = list[list.length - 1]!;
  return Object.freeze({
    name,
    inputSize: list[0]!.inputSize,
    hiddenSize: last.hiddenSize,
    outputSize: last.outputSize,
    dtype: list[0]!.dtype,
    gates: list.flatMap((c, l) => c.gates.map((g) => `${l}.${g}`)),
    init: (k: Key) => {
      const ks = splitKey(k, list.length);
      return list.map((c, l) => c.init(ks[l]!));
    },
    initialState: (batch: number) => list.map((c) => c.initialState(batch)),
    step(params: readonly Tree[], state: readonly Tree[], x: Tensor, probes?: GateProbes): readonly [readonly Tree[], Tensor] {
      if (!Array.isArray(params) || params.length !== list.length) {
        throw new ArgumentError(name, 'params', `expected an array of ${list.length} layers' parameters, got ${Array.isArray(params) ? `${params.length}` : formatValue(params)}`);
      }
      if (!Array.isArray(state) || state.length !== list.length) {
        throw new ArgumentError(name, 'state', `expected an array of ${list.length} layers' states, got ${Array.isArray(state) ? `${state.length}` : formatValue(state)}`);
      }
      if (probes !== undefined && (probes === null || typeof probes !== 'object' || Array.isArray(probes))) {
        throw new ArgumentError(name, 'probes', `expected a record of <layer>.<gate> to Tensor, or undefined, got ${formatValue(probes)}`);
      }
      const layerProbes: Record<string, Tensor>[] = list.map(() => ({}));
      for (const [k, t] of Object.entries(probes ?? {})) {
        const dot = k.indexOf('.');
        const l = Number(k.slice(0, dot));
        if (dot < 0 || !Number.isInteger(l) || l < 0 || l >= list.length) {
          throw new ArgumentError(name, `probes.${k}`, `probes of a stack are named <layer>.<gate>, such as ${list[0]!.gates[0] === undefined ? '0.f' : `0.${list[0]!.gates[0]}`}`);
        }
        layerProbes[l]![k.slice(dot + 1)] = t;
      }
      let y = x;
      const next: Tree[] = [];
      list.forEach((c, l) => {
        const pr = layerProbes[l]!;
        const [s, out] = c.step(params[l]!, state[l]!, y, Object.keys(pr).length > 0 ? pr : undefined);
        next.push(s);
        y = out;
      });
      return [next, y] as const;
    },
  });
}

/**
 * Options of {@link rnn}: one cell per layer, whether each layer is
 * bidirectional, and dropout between layers.
 *
 * @example
 * ```ts
 * import { rnn, lstmCell, type RnnOptions } from '@mnemo/nn';
 * const o: RnnOptions = { cells: [lstmCell({ inputSize: 2, hiddenSize: 3 })], bidirectional: true };
 * console.assert(rnn(o).outputSize === 6);
 * ```
 * @category Sequences
 */
export interface RnnOptions {
  /** One cell per layer; layer l > 0 reads layer l-1's output (both directions concatenated when bidirectional). */
  readonly cells: readonly Cell[];
  /** Run every layer in both directions and concatenate the outputs `[forward, backward]` (default false). */
  readonly bidirectional?: boolean;
  /** Dropout probability on the outputs of every layer but the last, while training (default 0). */
  readonly dropout?: number;
}

/**
 * One layer's parameters in an {@link Rnn}: `fwd`, and `bwd` for the
 * backward direction of a bidirectional network.
 *
 * @example
 * ```ts
 * import { rnn, rnnCell, type RnnLayerParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const [layer] = rnn({ cells: [rnnCell({ inputSize: 1, hiddenSize: 2 })] }).init(key(0));
 * const p: RnnLayerParams = layer!;
 * console.assert(p.bwd === undefined);
 * ```
 * @category Sequences
 */
export type RnnLayerParams = { readonly fwd: Tree; readonly bwd?: Tree };

/**
 * One layer's state in an {@link Rnn}, by direction like {@link RnnLayerParams}.
 *
 * @example
 * ```ts
 * import { rnn, rnnCell, type RnnLayerState } from '@mnemo/nn';
 * const [s] = rnn({ cells: [rnnCell({ inputSize: 1, hiddenSize: 2 })], bidirectional: true }).initialState(3);
 * const st: RnnLayerState = s!;
 * console.assert(st.bwd !== undefined);
 * ```
 * @category Sequences
 */
export type RnnLayerState = { readonly fwd: Tree; readonly bwd?: Tree };

/**
 * Options of {@link Rnn.apply}: the options of {@link scan} (initial state,
 * mask or lengths, input projection, fused kernel, checkpointing) plus
 * dropout's switch and key.
 *
 * @example
 * ```ts
 * import type { RnnApplyOptions } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const o: RnnApplyOptions = { training: true, key: key(7), lengths: [3, 2] };
 * console.assert(o.training === true);
 * ```
 * @category Sequences
 */
export interface RnnApplyOptions extends Omit<ScanOptions<never>, 'initialState' | 'reverse' | 'probes'> {
  /** One state per layer (default zeros). */
  readonly initialState?: readonly RnnLayerState[];
  /** Apply dropout between layers (needs `key` when dropout > 0); default false. */
  readonly training?: boolean;
  /** The random key for dropout: the same key drops the same units. */
  readonly key?: Key;
}

/**
 * A multi-layer, optionally bidirectional recurrent network over whole
 * sequences, made by {@link rnn}.
 *
 * @example
 * ```ts
 * import { rnn, gruCell, type Rnn } from '@mnemo/nn';
 * const net: Rnn = rnn({ cells: [gruCell({ inputSize: 2, hiddenSize: 3 })] });
 * console.assert(net.numLayers === 1 && net.inputSize === 2);
 * ```
 * @category Sequences
 */
export interface Rnn {
  readonly cells: readonly Cell[];
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly numLayers: number;
  readonly inputSize: number;
  /** Features per step of the output: the last cell's outputSize, twice when bidirectional. */
  readonly outputSize: number;
  readonly dtype: DType;
  /** Draw every layer's parameters (both directions when bidirectional). */
  init(key: Key): RnnLayerParams[];
  /** Every layer's zero state for a batch. */
  initialState(batch: number): RnnLayerState[];
  /** Run over `xs` `[batch, steps, inputSize]`: the last layer's outputs and every layer's final state. */
  apply(params: readonly RnnLayerParams[], xs: Tensor, options?: RnnApplyOptions): ScanResult<RnnLayerState[]>;
}

/**
 * Build a deep (and optionally bidirectional) recurrent network from one
 * cell per layer. `apply` runs {@link scan} layer by layer, so every layer's
 * inputs are projected for all steps with one matmul; a bidirectional layer
 * runs a second scan in reverse (with its own parameters `bwd`) and
 * concatenates the two outputs, forward first, as PyTorch does. With
 * `dropout` p and `training`, each layer's output but the last is multiplied
 * by a fresh mask of keep probability 1 - p scaled by 1 / (1 - p), drawn from
 * `key` (layer l uses `foldIn(key, l)`).
 *
 * @param options - `cells` (one per layer), `bidirectional` (default false) and
 *   `dropout` (default 0).
 * @returns An {@link Rnn}: `init`, `initialState` and `apply(params, xs,
 *   options)`.
 * @throws ArgumentError - when `options` is malformed, `dropout` is not in `[0,
 *   1)`; from `apply`, when the parameters or states do not have one entry per
 *   layer (and direction), or dropout while training has no key.
 * @throws ShapeError - when a layer's input size does not match the previous
 *   layer's output (twice it, bidirectional); from `apply`, as {@link scan}
 *   throws.
 * @throws DTypeError - from `apply`, when the inputs are not of the cells' dtype.
 * @throws MnemoError - from `apply`'s compiled path, as {@link scan}.
 * @throws CompileDeclined - never escapes, as for {@link scan}.
 *
 * @example
 * ```ts
 * import { rnn, lstmCell } from '@mnemo/nn';
 * import { key, normal } from '@mnemo/core';
 * const net = rnn({
 *   cells: [lstmCell({ inputSize: 3, hiddenSize: 4 }), lstmCell({ inputSize: 8, hiddenSize: 4 })],
 *   bidirectional: true,
 *   dropout: 0.2,
 * });
 * const params = net.init(key(0));
 * const { outputs, finalState } = net.apply(params, normal(key(1), [2, 5, 3]), { training: true, key: key(2) });
 * console.assert(outputs.shape.join() === '2,5,8' && finalState.length === 2);
 * ```
 * @category Sequences
 */
export function rnn(options: RnnOptions): Rnn {
  const op = 'rnn';
  if (options === null || typeof options !== 'object') throw new ArgumentError(op, 'options', `expected { cells, bidirectional?, dropout? }, got ${formatValue(options)}`);
  const cells = checkCells(op, options.cells);
  const bidirectional = options.bidirectional ?? false;
  if (typeof bidirectional !== 'boolean') throw new ArgumentError(op, 'bidirectional', `expected a boolean, got ${formatValue(bidirectional)}`);
  const dropout = options.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new ArgumentError(op, 'dropout', `must be in [0, 1), got ${formatValue(dropout)}`);
  const dirs = bidirectional ? 2 : 1;
  for (let l = 1; l < cells.length; l++) {
    const want = cells[l - 1]!.outputSize * dirs;
    if (cells[l]!.inputSize !== want) {
      throw new ShapeError(
        op,
        `cells[${l}]`,
        `${cells[l]!.name} has inputSize ${cells[l]!.inputSize}, but layer ${l - 1} outputs ${want} features per step (${cells[l - 1]!.outputSize}${bidirectional ? ' x 2 directions' : ''})`,
      );
    }
  }
  const L = cells.length;
  const dtype = cells[0]!.dtype;

  const init = (k: Key): RnnLayerParams[] =>
    cells.map((c, l) => {
      const [kf, kb] = splitKey(foldIn(k, l), 2) as [Key, Key];
      return bidirectional ? { fwd: c.init(kf), bwd: c.init(kb) } : { fwd: c.init(kf) };
    });
  const initialState = (batch: number): RnnLayerState[] =>
    cells.map((c) => (bidirectional ? { fwd: c.initialState(batch), bwd: c.initialState(batch) } : { fwd: c.initialState(batch) }));

  const apply = (params: readonly RnnLayerParams[], xs: Tensor, options?: RnnApplyOptions): ScanResult<RnnLayerState[]> => {
    if (!Array.isArray(params) || params.length !== L) {
      throw new ArgumentError(op, 'params', `expected ${L} layers' parameters (from init), got ${Array.isArray(params) ? `${params.length}` : formatValue(params)}`);
    }
    params.forEach((p: unknown, l) => {
      if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new ArgumentError(op, `params[${l}]`, `expected a layer's parameters { fwd${bidirectional ? ', bwd' : ''} } (from init), got ${formatValue(p)}`);
    });
    const o = checkOptions(op, 'options', options);
    const s0 = o.initialState;
    if (s0 !== undefined && (!Array.isArray(s0) || s0.length !== L)) {
      throw new ArgumentError(op, 'initialState', `expected ${L} layers' states, got ${Array.isArray(s0) ? `${s0.length}` : formatValue(s0)}`);
    }
    s0?.forEach((s: unknown, l) => {
      if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new ArgumentError(op, `initialState[${l}]`, `expected a layer's state { fwd${bidirectional ? ', bwd' : ''} } (from initialState), got ${formatValue(s)}`);
    });
    const training = checkFlag(op, 'options.training', o.training, false);
    if (training && dropout > 0 && o.key === undefined) {
      throw new ArgumentError(op, 'key', `dropout ${dropout} while training needs a random key (options.key)`);
    }
    const scanOptions = {
      ...(o.mask === undefined ? {} : { mask: o.mask }),
      ...(o.lengths === undefined ? {} : { lengths: o.lengths }),
      ...(o.projectInputs === undefined ? {} : { projectInputs: o.projectInputs }),
      ...(o.compile === undefined ? {} : { compile: o.compile }),
      ...(o.checkpointEvery === undefined ? {} : { checkpointEvery: o.checkpointEvery }),
    };
    let y = xs;
    const finals: RnnLayerState[] = [];
    cells.forEach((c, l) => {
      const p = params[l]!;
      const s = s0?.[l];
      if (bidirectional && p.bwd === undefined) throw new ArgumentError(op, `params[${l}].bwd`, 'is missing: a bidirectional layer has fwd and bwd parameters');
      const f = scan(c, p.fwd, y, { ...scanOptions, ...(s === undefined ? {} : { initialState: s.fwd }) });
      if (bidirectional) {
        if (s !== undefined && s.bwd === undefined) throw new ArgumentError(op, `initialState[${l}].bwd`, 'is missing: a bidirectional layer has fwd and bwd states');
        const b = scan(c, p.bwd!, y, { ...scanOptions, reverse: true, ...(s === undefined ? {} : { initialState: s.bwd! }) });
        y = concat([f.outputs, b.outputs], -1);
        finals.push({ fwd: f.finalState, bwd: b.finalState });
      } else {
        y = f.outputs;
        finals.push({ fwd: f.finalState });
      }
      if (training && dropout > 0 && l < L - 1) {
        const keep = 1 - dropout;
        const m = bernoulli(foldIn(o.key!, l), keep, y.shape, y.dtype).toArray().map((v) => v / keep);
        y = mul(y, tensorOf(m, y.dtype, y.shape));
      }
    });
    return { outputs: y, finalState: finals };
  };

  return Object.freeze({
    cells,
    bidirectional,
    dropout,
    numLayers: L,
    inputSize: cells[0]!.inputSize,
    outputSize: cells[L - 1]!.outputSize * dirs,
    dtype,
    init,
    initialState,
    apply,
  });
}
