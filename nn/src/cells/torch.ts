/**
 * Bringing trained weights over from PyTorch's recurrent layers (`nn.LSTM`,
 * `nn.GRU`, `nn.RNN`), whose layout is also cuDNN's and Keras's with
 * `reset_after`. Every importer is written in differentiable ops, so the
 * gradient of a loss with respect to the PyTorch-layout tensors is available
 * too (the parity tests compare it with PyTorch's own).
 *
 * @module
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, checkCount, checkFlag, formatShape, formatValue, zeros, type DType } from '@mnemo/core';
import { add, concat, index, sliceAxis, stack, transpose, type Tree } from '@mnemo/autodiff';
import type { Cell } from '../cell.js';
import type { Rnn, RnnLayerParams, RnnLayerState } from '../stack.js';
import { checkCellArg, checkParams } from './common.js';
import { isDefinedCell, paramShapes } from './define.js';
import type { GruCell, GruParams } from './gru.js';
import type { LstmCell, LstmParams } from './lstm.js';
import type { SimpleRnnCell, SimpleRnnParams } from './rnn.js';

/**
 * One layer and direction of a PyTorch recurrent module's weights, named as
 * in its `state_dict` without the `_l0` / `_reverse` suffix: `weight_ih`
 * `[G*H, inputSize]`, `weight_hh` `[G*H, H or projSize]`, `bias_ih` and
 * `bias_hh` `[G*H]` (absent with `bias=False`), and for an LSTM with
 * `proj_size` `weight_hr` `[projSize, H]`. Gates are stacked `i, f, g, o`
 * (LSTM) or `r, z, n` (GRU).
 *
 * @example
 * ```ts
 * import type { TorchLayerWeights } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * const w: TorchLayerWeights = { weight_ih: zeros([8, 3]), weight_hh: zeros([8, 2]) };
 * console.assert(w.bias_ih === undefined);
 * ```
 * @category Import
 */
export type TorchLayerWeights = {
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih?: Tensor;
  readonly bias_hh?: Tensor;
  readonly weight_hr?: Tensor;
};

function want(cell: string, arg: string, t: unknown, shape: readonly number[], dtype: DType): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(cell, arg, `is missing; expected a Tensor ${formatShape(shape)}`);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(cell, arg, `has shape ${formatShape(t.shape)}, expected ${formatShape(shape)} for this cell`);
  }
  if (t.dtype !== dtype) throw new DTypeError(cell, arg, `is ${t.dtype}, the cell is ${dtype}`);
  return t;
}

/** bias_ih + bias_hh, or zeros when the module had no biases. */
function biases(cell: string, w: TorchLayerWeights, n: number, dtype: DType): [Tensor, Tensor] {
  if ((w.bias_ih === undefined) !== (w.bias_hh === undefined)) {
    throw new ArgumentError(cell, w.bias_ih === undefined ? 'bias_ih' : 'bias_hh', 'is missing: give both biases, or neither (bias=False)');
  }
  if (w.bias_ih === undefined) return [zeros([n], dtype), zeros([n], dtype)];
  return [want(cell, 'bias_ih', w.bias_ih, [n], dtype), want(cell, 'bias_hh', w.bias_hh, [n], dtype)];
}

function checkWeights(op: string, w: unknown): TorchLayerWeights {
  if (w === null || typeof w !== 'object') throw new ArgumentError(op, 'weights', `expected { weight_ih, weight_hh, bias_ih?, bias_hh? }, got ${formatValue(w)}`);
  return w as TorchLayerWeights;
}

/** `cell` when it is a cell made by `defineCell` (so its parameter shapes are known) of the kind `is` accepts. */
function checkTorchCell<C extends Cell>(op: string, cell: unknown, is: (c: Record<string, unknown>) => boolean, what: string): C {
  checkCellArg(op, 'cell', cell);
  if (!isDefinedCell(cell) || !is(cell as unknown as Record<string, unknown>)) throw new ArgumentError(op, 'cell', `expected ${what}, got ${formatValue(cell)}`);
  return cell as unknown as C;
}

/** `model` when it is a network made by `rnn` (its cells checked to be cells). */
function checkModel(op: string, model: unknown): Rnn {
  if (model === null || typeof model !== 'object' || Array.isArray(model)) throw new ArgumentError(op, 'model', `expected a network made by rnn(), got ${formatValue(model)}`);
  const m = model as Partial<Record<keyof Rnn, unknown>>;
  if (!Array.isArray(m.cells) || m.cells.length === 0) throw new ArgumentError(op, 'model.cells', `expected a non-empty array of cells (is the model made by rnn()?), got ${formatValue(m.cells)}`);
  m.cells.forEach((c: unknown, l) => checkCellArg(op, `model.cells[${l}]`, c));
  if (typeof m.bidirectional !== 'boolean') throw new ArgumentError(op, 'model.bidirectional', `expected true or false, got ${formatValue(m.bidirectional)}`);
  if (m.numLayers !== m.cells.length) throw new ArgumentError(op, 'model.numLayers', `expected ${m.cells.length}, the number of cells, got ${formatValue(m.numLayers)}`);
  return model as Rnn;
}

/**
 * The shapes PyTorch stores our parameters in, read from the cell's
 * definition: each matrix transposed (PyTorch's `[out, in]`), vectors as
 * they are.
 */
function torchShapes(op: string, cell: Cell): Readonly<Record<string, readonly number[]>> {
  const out: Record<string, readonly number[]> = {};
  for (const [n, s] of Object.entries(paramShapes(cell))) out[n] = s.length === 2 ? [s[1]!, s[0]!] : s;
  for (const [n, rank] of [['wx', 2], ['wh', 2], ['b', 1]] as const) {
    if (out[n]?.length !== rank) throw new ArgumentError(op, 'cell', `has no ${rank === 2 ? 'matrix' : 'vector'} parameter '${n}' (its parameters are ${Object.keys(out).join(', ') || 'none'}), as the cells PyTorch's weights fit have`);
  }
  return out;
}

/**
 * Our LSTM parameters from one layer-direction of a PyTorch `nn.LSTM`:
 * `wx = weight_ihᵀ`, `wh = weight_hhᵀ`, `b = bias_ih + bias_hh` and, with
 * `proj_size`, `wp = weight_hrᵀ`. The cell must be the tutorial LSTM (no
 * variants, no layer normalization: PyTorch has neither), with the same
 * sizes; its gate order i, f, g, o is PyTorch's.
 *
 * @param cell - The tutorial LSTM (made by `lstmCell` with no variant or layer
 *   norm; `projSize` for `proj_size`), of the layer's sizes.
 * @param weights - `weight_ih` `[4H, D]`, `weight_hh` `[4H, R]`, `bias_ih` and
 *   `bias_hh` `[4H]` (both or neither), and `weight_hr` `[P, H]` with a
 *   projection.
 * @returns The cell's {@link LstmParams}.
 * @throws ArgumentError - when the cell is not of the kind the importer takes (the
 *   message says which), a weight is missing, only one bias is given, or a
 *   projection does not match `projSize`.
 * @throws ShapeError - when a weight's shape does not fit the cell's sizes (naming
 *   the weight and both shapes).
 * @throws DTypeError - when a weight is not of the cell's dtype.
 *
 * @example
 * ```ts
 * import { importTorchLstm, lstmCell } from '@mnemo/nn';
 * import { ones } from '@mnemo/core';
 * const cell = lstmCell({ inputSize: 3, hiddenSize: 2, dtype: 'float64' });
 * const p = importTorchLstm(cell, {
 *   weight_ih: ones([8, 3], 'float64'), weight_hh: ones([8, 2], 'float64'),
 *   bias_ih: ones([8], 'float64'), bias_hh: ones([8], 'float64'),
 * });
 * console.assert(p.wx.shape.join() === '3,8' && p.b.toArray()[0] === 2);
 * ```
 * @category Import
 */
export function importTorchLstm(cell: LstmCell, weights: TorchLayerWeights): LstmParams {
  const op = 'importTorchLstm';
  checkTorchCell(
    op,
    cell,
    (c) => c['structure'] !== null && typeof c['structure'] === 'object' && Array.isArray((c['structure'] as { variants?: unknown }).variants) && typeof c['layerNorm'] === 'boolean',
    'an LSTM cell made by lstmCell or makeCell',
  );
  if (cell.structure.variants.length > 0 || cell.layerNorm) {
    throw new ArgumentError(op, 'cell', `PyTorch's LSTM has no variants and no layer normalization; ${cell.name}${cell.layerNorm ? ' with layer norm' : ''} cannot take its weights (use a plain lstm cell)`);
  }
  const w = checkWeights(op, weights);
  const { dtype } = cell;
  const t = torchShapes(op, cell);
  const wih = want(op, 'weight_ih', w.weight_ih, t['wx']!, dtype);
  const whh = want(op, 'weight_hh', w.weight_hh, t['wh']!, dtype);
  const [bih, bhh] = biases(op, w, t['b']![0]!, dtype);
  const p: Record<string, Tensor> = { wx: transpose(wih), wh: transpose(whh), b: add(bih, bhh) };
  if (t['wp'] !== undefined) p['wp'] = transpose(want(op, 'weight_hr', w.weight_hr, t['wp'], dtype));
  else if (w.weight_hr !== undefined) throw new ArgumentError(op, 'weight_hr', `the weights have a projection ${formatValue(w.weight_hr)}, but the cell has projSize 0`);
  checkParams(op, p, paramShapes(cell), dtype);
  return p as LstmParams;
}

/**
 * Our GRU parameters from one layer-direction of a PyTorch `nn.GRU`, which
 * is reset-after: `wx = weight_ihᵀ`, `wh = weight_hhᵀ`, `b` = `bias_ih` plus
 * `bias_hh` for the r and z blocks and `bias_ih` alone for n, and
 * `bhn = bias_hh`'s n block (the reset gate scales it). The cell must be
 * `gru+reset-after`.
 *
 * @param cell - A `gru+reset-after` cell of the layer's sizes.
 * @param weights - `weight_ih` `[3H, D]`, `weight_hh` `[3H, H]`, `bias_ih` and
 *   `bias_hh` `[3H]` (both or neither).
 * @returns The cell's {@link GruParams}.
 * @throws ArgumentError - when the cell is not of the kind the importer takes (the
 *   message says which), or a weight is missing.
 * @throws ShapeError - when a weight's shape does not fit the cell's sizes (naming
 *   the weight and both shapes).
 * @throws DTypeError - when a weight is not of the cell's dtype.
 *
 * @example
 * ```ts
 * import { importTorchGru, gruCell } from '@mnemo/nn';
 * import { ones } from '@mnemo/core';
 * const cell = gruCell({ inputSize: 2, hiddenSize: 1, variant: 'reset-after', dtype: 'float64' });
 * const p = importTorchGru(cell, {
 *   weight_ih: ones([3, 2], 'float64'), weight_hh: ones([3, 1], 'float64'),
 *   bias_ih: ones([3], 'float64'), bias_hh: ones([3], 'float64'),
 * });
 * console.assert(p.b.toArray().join() === '2,2,1' && p.bhn!.toArray().join() === '1');
 * ```
 * @category Import
 */
export function importTorchGru(cell: GruCell, weights: TorchLayerWeights): GruParams {
  const op = 'importTorchGru';
  checkCellArg(op, 'cell', cell);
  if (cell.variant !== 'reset-after') {
    throw new ArgumentError(op, 'cell', `PyTorch's GRU is reset-after; make the cell with variant 'reset-after' (got ${cell.name})`);
  }
  checkTorchCell(op, cell, () => true, "a GRU cell made by gruCell or makeCell with variant 'reset-after'");
  const w = checkWeights(op, weights);
  const { hiddenSize: H, dtype } = cell;
  const t = torchShapes(op, cell);
  const wih = want(op, 'weight_ih', w.weight_ih, t['wx']!, dtype);
  const whh = want(op, 'weight_hh', w.weight_hh, t['wh']!, dtype);
  const [bih, bhh] = biases(op, w, t['b']![0]!, dtype);
  const b = concat([add(sliceAxis(bih, 0, 0, 2 * H), sliceAxis(bhh, 0, 0, 2 * H)), sliceAxis(bih, 0, 2 * H, 3 * H)], 0);
  const p: GruParams = { wx: transpose(wih), wh: transpose(whh), b, bhn: sliceAxis(bhh, 0, 2 * H, 3 * H) };
  checkParams(op, p, paramShapes(cell), dtype);
  return p;
}

/**
 * Our simple-RNN parameters from one layer-direction of a PyTorch `nn.RNN`:
 * `wx = weight_ihᵀ`, `wh = weight_hhᵀ`, `b = bias_ih + bias_hh`. Make the
 * cell with the module's nonlinearity (`tanh` or `relu`).
 *
 * @param cell - A simple RNN cell with the module's nonlinearity and sizes.
 * @param weights - `weight_ih` `[H, D]`, `weight_hh` `[H, H]`, `bias_ih` and
 *   `bias_hh` `[H]` (both or neither).
 * @returns The cell's {@link SimpleRnnParams}.
 * @throws ArgumentError - when the cell is not of the kind the importer takes (the
 *   message says which), or a weight is missing.
 * @throws ShapeError - when a weight's shape does not fit the cell's sizes (naming
 *   the weight and both shapes).
 * @throws DTypeError - when a weight is not of the cell's dtype.
 *
 * @example
 * ```ts
 * import { importTorchRnn, rnnCell } from '@mnemo/nn';
 * import { ones } from '@mnemo/core';
 * const cell = rnnCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
 * const p = importTorchRnn(cell, { weight_ih: ones([3, 2], 'float64'), weight_hh: ones([3, 3], 'float64') });
 * console.assert(p.wx.shape.join() === '2,3' && p.b.toArray().join() === '0,0,0');
 * ```
 * @category Import
 */
export function importTorchRnn(cell: SimpleRnnCell, weights: TorchLayerWeights): SimpleRnnParams {
  const op = 'importTorchRnn';
  checkTorchCell(op, cell, (c) => c['activation'] !== undefined, 'a simple RNN cell made by rnnCell or makeCell');
  const w = checkWeights(op, weights);
  const { dtype } = cell;
  const t = torchShapes(op, cell);
  const wih = want(op, 'weight_ih', w.weight_ih, t['wx']!, dtype);
  const whh = want(op, 'weight_hh', w.weight_hh, t['wh']!, dtype);
  const [bih, bhh] = biases(op, w, t['b']![0]!, dtype);
  const p: SimpleRnnParams = { wx: transpose(wih), wh: transpose(whh), b: add(bih, bhh) };
  checkParams(op, p, paramShapes(cell), dtype);
  return p;
}

/**
 * The weights of one layer (and direction) out of a PyTorch `state_dict`
 * (names like `weight_ih_l0`, `bias_hh_l1_reverse`, `weight_hr_l0`), for the
 * importers above.
 *
 * @param stateDict - The module's `state_dict`, as tensors by name.
 * @param layer - The layer index (`l0`, `l1`, ...).
 * @param reverse - The reverse direction of a bidirectional layer (default false).
 * @returns The layer's {@link TorchLayerWeights}.
 * @throws ArgumentError - when `stateDict` is not a record, or has no `weight_ih`
 *   / `weight_hh` for that layer and direction (the message lists its keys).
 *
 * @example
 * ```ts
 * import { torchLayerWeights } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * const sd = { weight_ih_l0: zeros([4, 1]), weight_hh_l0: zeros([4, 1]), weight_ih_l0_reverse: zeros([4, 1]), weight_hh_l0_reverse: zeros([4, 1]) };
 * console.assert(torchLayerWeights(sd, 0, true).weight_ih === sd.weight_ih_l0_reverse);
 * ```
 * @category Import
 */
export function torchLayerWeights(stateDict: Readonly<Record<string, Tensor>>, layer: number, reverse = false): TorchLayerWeights {
  const op = 'torchLayerWeights';
  if (stateDict === null || typeof stateDict !== 'object') throw new ArgumentError(op, 'stateDict', `expected a record of tensors by PyTorch name, got ${formatValue(stateDict)}`);
  checkCount(op, 'layer', layer);
  checkFlag(op, 'reverse', reverse, false);
  const suffix = `_l${layer}${reverse ? '_reverse' : ''}`;
  const get = (n: string): Tensor | undefined => stateDict[`${n}${suffix}`];
  const wih = get('weight_ih');
  const whh = get('weight_hh');
  if (wih === undefined || whh === undefined) {
    throw new ArgumentError(op, 'stateDict', `has no weight_ih${suffix} / weight_hh${suffix}; its keys are ${formatValue(Object.keys(stateDict), 400)}`);
  }
  const out: Record<string, Tensor> = { weight_ih: wih, weight_hh: whh };
  for (const n of ['bias_ih', 'bias_hh', 'weight_hr']) {
    const t = get(n);
    if (t !== undefined) out[n] = t;
  }
  return out as TorchLayerWeights;
}

function importCell(cell: Cell, w: TorchLayerWeights): Tree {
  const c = cell as Partial<LstmCell & GruCell & SimpleRnnCell>;
  if (c.structure !== undefined) return importTorchLstm(cell as LstmCell, w);
  if (c.variant !== undefined) return importTorchGru(cell as GruCell, w);
  if (c.activation !== undefined) return importTorchRnn(cell as SimpleRnnCell, w);
  throw new ArgumentError('importTorchModule', 'cells', `PyTorch has no counterpart of ${cell.name}; only lstm, gru+reset-after and rnn cells take PyTorch weights`);
}

/**
 * All parameters of an {@link Rnn} from a PyTorch `nn.LSTM` / `nn.GRU` /
 * `nn.RNN` `state_dict` (with `batch_first=True`, `num_layers` = the number
 * of cells and the same `bidirectional`).
 *
 * @param model - The {@link Rnn} to load, with a cell per PyTorch layer.
 * @param stateDict - The module's `state_dict`.
 * @returns One entry per layer (`{ fwd, bwd? }`), ready for `model.apply`.
 * @throws ArgumentError - when a cell has no PyTorch counterpart (only `lstm`,
 *   `gru+reset-after` and `rnn` do), or a weight is missing.
 * @throws ShapeError - when a weight's shape does not fit the cell's sizes (naming
 *   the weight and both shapes).
 * @throws DTypeError - when a weight is not of the cell's dtype.
 *
 * @example
 * ```ts
 * import { importTorchModule, rnn, rnnCell } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * const net = rnn({ cells: [rnnCell({ inputSize: 1, hiddenSize: 2, dtype: 'float64' })] });
 * const params = importTorchModule(net, { weight_ih_l0: zeros([2, 1], 'float64'), weight_hh_l0: zeros([2, 2], 'float64') });
 * console.assert(params.length === 1);
 * ```
 * @category Import
 */
export function importTorchModule(model: Rnn, stateDict: Readonly<Record<string, Tensor>>): RnnLayerParams[] {
  checkModel('importTorchModule', model);
  return model.cells.map((c, l) => {
    const fwd = importCell(c, torchLayerWeights(stateDict, l));
    return model.bidirectional ? { fwd, bwd: importCell(c, torchLayerWeights(stateDict, l, true)) } : { fwd };
  });
}

/**
 * PyTorch's initial states `h0` (and `c0` for an LSTM), shaped
 * `[numLayers * directions, batch, H]` with index `layer * directions +
 * direction`, as the per-layer states of an {@link Rnn}. Differentiable.
 *
 * @param model - The {@link Rnn} the states are for.
 * @param states - `h0` (and `c0` for an LSTM), `[numLayers * directions, batch,
 *   H]`.
 * @returns One state per layer (`{ fwd, bwd? }`), for `model.apply`'s
 *   `initialState`.
 * @throws ArgumentError - when `h0` (or an LSTM's `c0`) is missing, or a cell's
 *   state has an entry PyTorch's modules do not have.
 * @throws ShapeError - when a state is not `[numLayers * directions, batch, H]`.
 *
 * @example
 * ```ts
 * import { importTorchState, rnn, lstmCell } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * const net = rnn({ cells: [lstmCell({ inputSize: 1, hiddenSize: 2 })], bidirectional: true });
 * const s = importTorchState(net, { h0: zeros([2, 5, 2]), c0: zeros([2, 5, 2]) });
 * console.assert(s[0]!.bwd !== undefined);
 * ```
 * @category Import
 */
export function importTorchState(model: Rnn, states: { readonly h0: Tensor; readonly c0?: Tensor }): RnnLayerState[] {
  const op = 'importTorchState';
  checkModel(op, model);
  if (states === null || typeof states !== 'object' || Array.isArray(states)) throw new ArgumentError(op, 'states', `expected { h0, c0? }, got ${formatValue(states)}`);
  const dirs = model.bidirectional ? 2 : 1;
  const rows = model.numLayers * dirs;
  const check = (name: string, t: Tensor | undefined): Tensor => {
    if (!(t instanceof Tensor)) throw new ArgumentError(op, name, `${t === undefined ? 'is missing' : `is ${formatValue(t)}`}; expected [${rows}, batch, H]`);
    if (t.rank !== 3 || t.shape[0] !== rows) throw new ShapeError(op, name, `has shape ${formatShape(t.shape)}, expected [${rows}, batch, H] (${model.numLayers} layers x ${dirs} directions)`);
    return t;
  };
  const h0 = check('h0', states.h0);
  return model.cells.map((c, l) => {
    const s1: unknown = c.initialState(1);
    if (s1 === null || typeof s1 !== 'object') throw new ArgumentError(op, 'model', `${c.name}'s state is ${formatValue(s1)}, not a record of tensors as PyTorch's modules have`);
    const keys = Object.keys(s1);
    const one = (d: number): Tree => {
      const s: Record<string, Tensor> = {};
      for (const k of keys) {
        if (k === 'h') s[k] = index(h0, 0, l * dirs + d);
        else if (k === 'c') s[k] = index(check('c0', states.c0), 0, l * dirs + d);
        else throw new ArgumentError(op, 'model', `${c.name}'s state has '${k}', which PyTorch's modules do not have`);
      }
      return s;
    };
    return model.bidirectional ? { fwd: one(0), bwd: one(1) } : { fwd: one(0) };
  });
}

/**
 * The final states of an {@link Rnn} in PyTorch's layout: `hn` (and `cn`
 * when the cells have a cell state) `[numLayers * directions, batch, H]`.
 * Differentiable.
 *
 * @param model - The {@link Rnn} the states come from.
 * @param state - Its final states, one per layer (`apply`'s `finalState`).
 * @returns `hn` (and `cn` when the cells have a cell state), `[numLayers *
 *   directions, batch, H]`.
 * @throws ArgumentError - when `state` does not have one entry per layer, or a
 *   layer lacks a direction's state.
 * @throws ShapeError - when the layers' states cannot be stacked (their shapes
 *   differ).
 *
 * @example
 * ```ts
 * import { exportTorchState, rnn, gruCell } from '@mnemo/nn';
 * const net = rnn({ cells: [gruCell({ inputSize: 1, hiddenSize: 2 })] });
 * const { hn, cn } = exportTorchState(net, net.initialState(3));
 * console.assert(hn.shape.join() === '1,3,2' && cn === undefined);
 * ```
 * @category Import
 */
export function exportTorchState(model: Rnn, state: readonly RnnLayerState[]): { hn: Tensor; cn?: Tensor } {
  const op = 'exportTorchState';
  checkModel(op, model);
  if (!Array.isArray(state) || state.length !== model.numLayers) {
    throw new ArgumentError(op, 'state', `expected ${model.numLayers} layers' states, got ${Array.isArray(state) ? `${state.length}` : formatValue(state)}`);
  }
  const isRecord = (u: unknown): boolean => u !== null && typeof u === 'object' && !Array.isArray(u);
  state.forEach((s: unknown, l) => {
    const layer = s as Partial<Record<'fwd' | 'bwd', unknown>> | null;
    if (!isRecord(layer) || !isRecord(layer!.fwd) || (model.bidirectional && !isRecord(layer!.bwd))) {
      throw new ArgumentError(op, `state[${l}]`, `expected a layer's state { fwd${model.bidirectional ? ', bwd' : ''} } of records of tensors (from apply or initialState), got ${formatValue(s)}`);
    }
  });
  const per: Record<string, Tensor>[] = state.flatMap((s) => (model.bidirectional ? [s.fwd, s.bwd!] : [s.fwd]) as Record<string, Tensor>[]);
  const hn = stack(
    per.map((s) => s['h']!),
    0,
  );
  const hasC = per.every((s) => s['c'] !== undefined);
  return hasC ? { hn, cn: stack(per.map((s) => s['c']!), 0) } : { hn };
}
