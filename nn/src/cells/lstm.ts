/**
 * The LSTM family: one definition, with the variants of Greff et al. (2015)
 * as options of it.
 *
 * @module
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, formatShape, ones, split as splitKey, type DType, type Key } from '@mnemo/core';
import { add, concat, layerNorm, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
import type { GateProbes } from '../cell.js';
import { checkCellSizes, checkParams, checkState, defineCell, probe, splitColumns, type GatedCell } from './common.js';
import { biasWith, layerNormInit, recurrentUniform } from './init.js';

// ---------------------------------------------------------------------------
// Variants
// ---------------------------------------------------------------------------

/**
 * The names of the LSTM variants, as Greff et al. (2015, "LSTM: A Search
 * Space Odyssey") name them:
 *
 * | name | meaning |
 * | --- | --- |
 * | `peephole` | Greff's "vanilla" LSTM: the tutorial LSTM plus peephole connections (Gers & Schmidhuber 2000) |
 * | `nig` | no input gate: i = 1 |
 * | `nfg` | no forget gate: f = 1 |
 * | `nog` | no output gate: o = 1 |
 * | `niaf` | no input activation function: g = W_g x + R_g h + b_g (no tanh) |
 * | `noaf` | no output activation function: h = o * c (no tanh) |
 * | `np` | no peepholes |
 * | `cifg` | coupled input and forget gate: f = 1 - i |
 * | `fgr` | full gate recurrence: i, f and o also receive all three gates' activations from the previous step |
 *
 * Greff's ablations are taken from his vanilla LSTM, which has peepholes, so
 * `nig`, `nfg`, `nog`, `niaf`, `noaf`, `cifg` and `fgr` keep the peepholes of
 * the gates that remain unless `np` is added (`cifg+np`). With no variant,
 * `lstm` is the tutorial's LSTM: no peepholes, which is the same architecture
 * as Greff's `np`.
 *
 * @example
 * ```ts
 * import { LSTM_VARIANTS, type LstmVariant } from '@mnemo/nn';
 * const v: LstmVariant = 'cifg';
 * console.assert(LSTM_VARIANTS.includes(v));
 * ```
 * @category Cells
 */
export type LstmVariant = 'peephole' | 'nig' | 'nfg' | 'nog' | 'niaf' | 'noaf' | 'np' | 'cifg' | 'fgr';

/**
 * Every {@link LstmVariant}, in the order of Greff et al.'s table (with
 * `peephole`, their vanilla, first).
 *
 * @example
 * ```ts
 * import { LSTM_VARIANTS } from '@mnemo/nn';
 * console.assert(LSTM_VARIANTS.length === 9 && LSTM_VARIANTS[0] === 'peephole');
 * ```
 * @category Cells
 */
export const LSTM_VARIANTS: readonly LstmVariant[] = Object.freeze(['peephole', 'nig', 'nfg', 'nog', 'niaf', 'noaf', 'np', 'cifg', 'fgr']);

const ABLATIONS: readonly LstmVariant[] = ['nig', 'nfg', 'nog', 'niaf', 'noaf', 'cifg', 'fgr'];

/**
 * The architecture an LSTM's variants resolve to: which gates exist, whether
 * the forget gate is learned, absent (f = 1) or coupled (f = 1 - i), the two
 * activation functions, peepholes and full gate recurrence.
 *
 * @example
 * ```ts
 * import { lstmStructure } from '@mnemo/nn';
 * const s = lstmStructure(['cifg']);
 * console.assert(s.forgetGate === 'coupled' && s.peepholes);
 * ```
 * @category Cells
 */
export interface LstmStructure {
  /** Peephole connections: i and f see c(t-1), o sees c(t). */
  readonly peepholes: boolean;
  /** Whether the input gate exists (false: i = 1). */
  readonly inputGate: boolean;
  /** `learned`: a sigmoid gate; `none`: f = 1; `coupled`: f = 1 - i. */
  readonly forgetGate: 'learned' | 'none' | 'coupled';
  /** Whether the output gate exists (false: o = 1). */
  readonly outputGate: boolean;
  /** Whether the block input g goes through tanh. */
  readonly inputActivation: boolean;
  /** Whether the cell state goes through tanh before the output gate. */
  readonly outputActivation: boolean;
  /** Whether the gates receive the previous step's gate activations. */
  readonly fullGateRecurrence: boolean;
  /** The variant names in canonical order; empty for the tutorial LSTM. */
  readonly variants: readonly LstmVariant[];
}

/**
 * Resolve a list of variant names (and an explicit `peepholes` choice) to
 * the architecture they denote, rejecting unknown names and combinations
 * that contradict each other (`cifg` with `nig` or `nfg`, `peephole` with
 * `np`, `fgr` with no gate left, a name given twice) with an error that names
 * the cell.
 *
 * @example
 * ```ts
 * import { lstmStructure } from '@mnemo/nn';
 * console.assert(!lstmStructure([]).peepholes);            // the tutorial LSTM
 * console.assert(lstmStructure(['peephole']).peepholes);   // Greff's vanilla
 * console.assert(!lstmStructure(['nig', 'np']).inputGate && !lstmStructure(['nig', 'np']).peepholes);
 * let threw = false;
 * try { lstmStructure(['cifg', 'nig']); } catch { threw = true; }
 * console.assert(threw);
 * ```
 * @category Cells
 */
export function lstmStructure(variants: readonly string[], peepholes?: boolean): LstmStructure {
  const op = 'lstm';
  const seen = new Set<LstmVariant>();
  for (const v of variants) {
    if (!(LSTM_VARIANTS as readonly string[]).includes(v)) {
      throw new ArgumentError(op, 'variant', `unknown LSTM variant '${v}'; the LSTM accepts ${LSTM_VARIANTS.join(', ')} (see lstmStructure's documentation)`);
    }
    if (seen.has(v as LstmVariant)) throw new ArgumentError(op, 'variant', `variant '${v}' is given twice`);
    seen.add(v as LstmVariant);
  }
  const has = (v: LstmVariant): boolean => seen.has(v);
  if (has('peephole') && has('np')) throw new ArgumentError(op, 'variant', "'peephole' and 'np' (no peepholes) contradict each other");
  if (has('cifg') && has('nig')) {
    throw new ArgumentError(op, 'variant', "'cifg' couples the forget gate to the input gate (f = 1 - i), and 'nig' removes the input gate (i = 1, so f = 0): choose one");
  }
  if (has('cifg') && has('nfg')) {
    throw new ArgumentError(op, 'variant', "'cifg' defines the forget gate as 1 - i, and 'nfg' removes it (f = 1): choose one");
  }
  const ablated = ABLATIONS.some(has);
  let pp = has('peephole') || (ablated && !has('np'));
  if (peepholes !== undefined) {
    if (typeof peepholes !== 'boolean') throw new ArgumentError(op, 'peepholes', `expected a boolean, got ${typeof peepholes}`);
    if (peepholes && has('np')) throw new ArgumentError(op, 'peepholes', "peepholes: true contradicts variant 'np' (no peepholes)");
    if (!peepholes && has('peephole')) throw new ArgumentError(op, 'peepholes', "peepholes: false contradicts variant 'peephole'");
    pp = peepholes;
  }
  const structure = {
    peepholes: pp,
    inputGate: !has('nig'),
    forgetGate: has('cifg') ? ('coupled' as const) : has('nfg') ? ('none' as const) : ('learned' as const),
    outputGate: !has('nog'),
    inputActivation: !has('niaf'),
    outputActivation: !has('noaf'),
    fullGateRecurrence: has('fgr'),
  };
  if (structure.fullGateRecurrence && !structure.inputGate && structure.forgetGate !== 'learned' && !structure.outputGate) {
    throw new ArgumentError(op, 'variant', "'fgr' (full gate recurrence) needs at least one gate, but every gate is removed");
  }
  // Canonical names: Greff's ablations in his order, with 'np' when they come
  // without peepholes; 'peephole' alone for his vanilla; none for the tutorial LSTM.
  const names = ABLATIONS.filter(has);
  const canonical: LstmVariant[] = names.length > 0 ? (pp ? names : [...names, 'np']) : pp ? ['peephole'] : [];
  return { ...structure, variants: Object.freeze(sortVariants(canonical)) };
}

function sortVariants(vs: readonly LstmVariant[]): LstmVariant[] {
  return vs.slice().sort((a, b) => LSTM_VARIANTS.indexOf(a) - LSTM_VARIANTS.indexOf(b));
}

// ---------------------------------------------------------------------------
// The cell
// ---------------------------------------------------------------------------

/**
 * Options of {@link lstmCell}.
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmOptions } from '@mnemo/nn';
 * const o: LstmOptions = { inputSize: 3, hiddenSize: 8, variant: ['cifg', 'np'], projSize: 4 };
 * console.assert(lstmCell(o).outputSize === 4);
 * ```
 * @category Cells
 */
export interface LstmOptions {
  /** Features per input step. */
  readonly inputSize: number;
  /** Size of the cell state c (and of h without projection). */
  readonly hiddenSize: number;
  /** Parameter and state dtype (default float32). */
  readonly dtype?: DType;
  /** One {@link LstmVariant} or several (default none: the tutorial LSTM). */
  readonly variant?: LstmVariant | readonly LstmVariant[];
  /** Peephole connections; the same as variant `peephole` (true) or `np` (false). */
  readonly peepholes?: boolean;
  /** Project h to this size with a learned matrix (LSTMP, Sak et al. 2014; PyTorch's `proj_size`); 0 or absent: none. */
  readonly projSize?: number;
  /** Layer normalization as in Ba et al. (2016); default false. */
  readonly layerNorm?: boolean;
  /** The epsilon of layer normalization (default 1e-5). */
  readonly layerNormEps?: number;
  /** Initial forget-gate bias (default 1, Jozefowicz et al. 2015); only where a learned forget gate exists. */
  readonly forgetBias?: number;
}

/**
 * An LSTM's parameters. Gate blocks are laid out in the order `i, f, g, o`
 * (input gate, forget gate, block input, output gate), keeping only the
 * blocks the variant has (`nig` drops `i`, `nfg` and `cifg` drop `f`, `nog`
 * drops `o`); `G` is their number and `H` the hidden size.
 *
 * - `wx` `[inputSize, G*H]` and `wh` `[R, G*H]` (R = projSize, else H): input
 *   and recurrent weights of all gates, so each is one matmul;
 * - `b` `[G*H]`: one bias per gate (PyTorch's `bias_ih + bias_hh`);
 * - `pi`, `pf`, `po` `[H]`: peephole weights (diagonal), for the gates that exist;
 * - `wp` `[H, projSize]`: the projection;
 * - `lnxGain`, `lnxBias`, `lnhGain`, `lnhBias` `[G*H]`, `lncGain`, `lncBias` `[H]`: layer normalization;
 * - `wg` `[S*H, S*H]` for `fgr`, with S the number of sigmoid gates (rows:
 *   previous activations, columns: pre-activations, both in order i, f, o).
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: LstmParams = lstmCell({ inputSize: 3, hiddenSize: 4 }).init(key(0));
 * console.assert(p.wx.shape.join() === '3,16' && p.wh.shape.join() === '4,16' && p.pi === undefined);
 * ```
 * @category Cells
 */
export type LstmParams = {
  readonly wx: Tensor;
  readonly wh: Tensor;
  readonly b: Tensor;
  readonly pi?: Tensor;
  readonly pf?: Tensor;
  readonly po?: Tensor;
  readonly wp?: Tensor;
  readonly lnxGain?: Tensor;
  readonly lnxBias?: Tensor;
  readonly lnhGain?: Tensor;
  readonly lnhBias?: Tensor;
  readonly lncGain?: Tensor;
  readonly lncBias?: Tensor;
  readonly wg?: Tensor;
};

/**
 * An LSTM's state: `h` `[batch, outputSize]` (the output, projected when
 * `projSize` is set), `c` `[batch, hiddenSize]` (the cell state), and for
 * `fgr` `a` `[batch, S*H]`, the previous step's sigmoid gate activations in
 * order i, f, o (zeros at the start).
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmState } from '@mnemo/nn';
 * const s: LstmState = lstmCell({ inputSize: 1, hiddenSize: 2, variant: 'fgr' }).initialState(3);
 * console.assert(s.c.shape.join() === '3,2' && s.a!.shape.join() === '3,6');
 * ```
 * @category Cells
 */
export type LstmState = { readonly h: Tensor; readonly c: Tensor; readonly a?: Tensor };

/**
 * An LSTM cell: a {@link GatedCell} that also tells how it was built.
 *
 * @example
 * ```ts
 * import { lstmCell, type LstmCell } from '@mnemo/nn';
 * const cell: LstmCell = lstmCell({ inputSize: 2, hiddenSize: 3, variant: 'nog' });
 * console.assert(cell.name === 'lstm+nog' && cell.structure.peepholes && cell.gates.join() === 'i,f,g');
 * ```
 * @category Cells
 */
export interface LstmCell extends GatedCell<LstmParams, LstmState> {
  readonly structure: LstmStructure;
  readonly projSize: number;
  readonly layerNorm: boolean;
  readonly forgetBias: number;
}

/**
 * A long short-term memory cell (Hochreiter & Schmidhuber 1997) with the
 * forget gate of Gers, Schmidhuber & Cummins (2000), written gate by gate.
 * With x = x(t), h = h(t-1), c = c(t-1) and `*` elementwise:
 *
 * ```text
 * i    = sigmoid(x W_i + h R_i + p_i * c + b_i)        input gate
 * f    = sigmoid(x W_f + h R_f + p_f * c + b_f)        forget gate
 * g    = tanh(x W_g + h R_g + b_g)                     block input (Greff's z)
 * c'   = f * c + i * g                                 cell state
 * o    = sigmoid(x W_o + h R_o + p_o * c' + b_o)       output gate (peeks at the new c)
 * h'   = o * tanh(c')                                  output
 * ```
 *
 * The peephole terms `p_*` exist only with peepholes (variant `peephole`,
 * or any of Greff's ablations without `np`). The variants of
 * {@link LstmVariant} each change one line: `nig` sets i = 1, `nfg` f = 1,
 * `cifg` f = 1 - i, `nog` o = 1, `niaf` drops the tanh of g, `noaf` the tanh
 * of c', and `fgr` adds `a(t-1) R_a` (all gates' previous activations) to the
 * pre-activations of i, f and o. `projSize` maps h' through `W_p`
 * (h' = (o * tanh(c')) W_p, and the recurrence uses the projected h). With
 * `layerNorm` (Ba et al. 2016) the input and recurrent contributions to all
 * gates are normalized separately, `LN(x W) + LN(h R) + b`, and
 * h' = o * tanh(LN(c')).
 *
 * Initialization: weights and peepholes uniform in `[-1/sqrt(H), 1/sqrt(H)]`
 * (as PyTorch), biases 0 except the forget gate's (`forgetBias`, default 1),
 * layer-norm gains 1 and biases 0. Probes (see {@link GateProbes}) are added to
 * the pre-activations of `i`, `f`, `g`, `o`, those the variant has.
 *
 * @example
 * ```ts
 * import { lstmCell } from '@mnemo/nn';
 * import { key, normal } from '@mnemo/core';
 * const cell = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' });
 * const params = cell.init(key(0));
 * const [state, h] = cell.step(params, cell.initialState(2), normal(key(1), [2, 3], { dtype: 'float64' }));
 * console.assert(h.shape.join() === '2,4' && state.c.shape.join() === '2,4');
 * ```
 * @category Cells
 */
export function lstmCell(options: LstmOptions): LstmCell {
  if (options === null || typeof options !== 'object') throw new ArgumentError('lstm', 'options', 'expected { inputSize, hiddenSize, ... }');
  const { inputSize: D, hiddenSize: H } = options;
  checkCellSizes('lstm', D, H);
  const dtype = options.dtype ?? 'float32';
  const v = options.variant === undefined ? [] : typeof options.variant === 'string' ? [options.variant] : options.variant;
  if (!Array.isArray(v)) throw new ArgumentError('lstm', 'variant', `expected a variant name or an array of them, got ${typeof options.variant}`);
  const st = lstmStructure(v as readonly string[], options.peepholes);
  const name = ['lstm', ...st.variants].join('+');
  const P = options.projSize ?? 0;
  if (!Number.isInteger(P) || P < 0) throw new ArgumentError(name, 'projSize', `must be a non-negative integer (0: no projection), got ${String(P)}`);
  const ln = options.layerNorm ?? false;
  const eps = options.layerNormEps ?? 1e-5;
  if (!(eps > 0)) throw new ArgumentError(name, 'layerNormEps', `must be positive, got ${String(eps)}`);
  const forgetBias = options.forgetBias ?? 1;
  if (!Number.isFinite(forgetBias)) throw new ArgumentError(name, 'forgetBias', `must be a finite number, got ${String(forgetBias)}`);

  // The gate blocks, in order i, f, g, o, that this variant has.
  const blocks: string[] = [];
  if (st.inputGate) blocks.push('i');
  if (st.forgetGate === 'learned') blocks.push('f');
  blocks.push('g');
  if (st.outputGate) blocks.push('o');
  const sigmoids = blocks.filter((g) => g !== 'g');
  const G = blocks.length;
  const R = P > 0 ? P : H;
  const out = P > 0 ? P : H;
  const peeps = st.peepholes ? sigmoids.map((g) => `p${g}`) : [];

  const shapes: Record<string, number[]> = { wx: [D, G * H], wh: [R, G * H], b: [G * H] };
  for (const p of peeps) shapes[p] = [H];
  if (P > 0) shapes['wp'] = [H, P];
  if (ln) {
    for (const k of ['lnxGain', 'lnxBias', 'lnhGain', 'lnhBias']) shapes[k] = [G * H];
    shapes['lncGain'] = [H];
    shapes['lncBias'] = [H];
  }
  if (st.fullGateRecurrence) shapes['wg'] = [sigmoids.length * H, sigmoids.length * H];
  const stateSizes: Record<string, number> = { h: out, c: H };
  if (st.fullGateRecurrence) stateSizes['a'] = sigmoids.length * H;

  const init = (k: Key): LstmParams => {
    const [kx, kh, kp, kw, kg] = splitKey(k, 5) as [Key, Key, Key, Key, Key];
    const p: Record<string, Tensor> = {
      wx: recurrentUniform(kx, [D, G * H], H, dtype),
      wh: recurrentUniform(kh, [R, G * H], H, dtype),
      b: biasWith(G * H, dtype, st.forgetGate === 'learned' ? { start: blocks.indexOf('f') * H, size: H, value: forgetBias } : undefined),
    };
    const pk = splitKey(kp, Math.max(peeps.length, 1));
    peeps.forEach((name, j) => (p[name] = recurrentUniform(pk[j]!, [H], H, dtype)));
    if (P > 0) p['wp'] = recurrentUniform(kw, [H, P], H, dtype);
    if (ln) {
      const a = layerNormInit(G * H, dtype);
      const c = layerNormInit(H, dtype);
      Object.assign(p, { lnxGain: a.gain, lnxBias: a.bias, lnhGain: a.gain, lnhBias: a.bias, lncGain: c.gain, lncBias: c.bias });
    }
    if (st.fullGateRecurrence) p['wg'] = recurrentUniform(kg, [sigmoids.length * H, sigmoids.length * H], H, dtype);
    return p as LstmParams;
  };

  const inputPart = (p: LstmParams, x: Tensor): Tensor => {
    const xw = matmul(x, p.wx);
    return add(ln ? layerNorm(xw, p.lnxGain!, p.lnxBias!, eps) : xw, p.b);
  };

  const core = (p: LstmParams, s: LstmState, xPart: Tensor, probes: GateProbes | undefined, report: boolean) => {
    // Pre-activations of all gates at once: x W + h R + b (the x part comes precomputed).
    const hr = matmul(s.h, p.wh);
    const pre = add(xPart, ln ? layerNorm(hr, p.lnhGain!, p.lnhBias!, eps) : hr);
    const z: Record<string, Tensor> = {};
    splitColumns(pre, blocks.map(() => H)).forEach((t, j) => (z[blocks[j]!] = t));
    if (st.fullGateRecurrence) {
      // fgr: every sigmoid gate also sees every gate's previous activation.
      splitColumns(matmul(s.a!, p.wg!), sigmoids.map(() => H)).forEach((t, j) => {
        const g = sigmoids[j]!;
        z[g] = add(z[g]!, t);
      });
    }
    const cPrev = s.c;
    const peep = (g: string, c: Tensor): Tensor => (st.peepholes ? add(z[g]!, mul(p[`p${g}` as 'pi']!, c)) : z[g]!);

    // Input gate: how much of the block input enters the cell (nig: all of it).
    const i = st.inputGate ? sigmoid(probe(peep('i', cPrev), probes, 'i')) : undefined;
    // Forget gate: how much of the old cell state is kept (nfg: all; cifg: what the input gate leaves).
    const f = st.forgetGate === 'learned' ? sigmoid(probe(peep('f', cPrev), probes, 'f')) : st.forgetGate === 'coupled' ? sub(1, i!) : undefined;
    // Block input: the candidate written to the cell (niaf: without squashing).
    const gPre = probe(z['g']!, probes, 'g');
    const g = st.inputActivation ? tanh(gPre) : gPre;
    // Cell state: the constant error carousel.
    const c = add(f === undefined ? cPrev : mul(f, cPrev), i === undefined ? g : mul(i, g));
    // Output gate: how much of the (squashed) cell state is shown; it peeks at the new c.
    const o = st.outputGate ? sigmoid(probe(peep('o', c), probes, 'o')) : undefined;
    const cn = ln ? layerNorm(c, p.lncGain!, p.lncBias!, eps) : c;
    const m = st.outputActivation ? tanh(cn) : cn;
    const hRaw = o === undefined ? m : mul(o, m);
    const h = P > 0 ? matmul(hRaw, p.wp!) : hRaw;

    const state: Record<string, Tensor> = { h, c };
    if (st.fullGateRecurrence) {
      const acts = { i, f: st.forgetGate === 'learned' ? f : undefined, o };
      state['a'] = concat(sigmoids.map((gn) => acts[gn as 'i' | 'f' | 'o']!), -1);
    }
    let gates: Record<string, Tensor> = {};
    if (report) {
      const one = ones([c.shape[0]!, H], dtype);
      gates = { i: i ?? one, f: f ?? one, g, o: o ?? one };
    }
    return { state: state as LstmState, output: h, gates };
  };

  const cell = defineCell<LstmParams, LstmState>({
    name,
    inputSize: D,
    hiddenSize: H,
    outputSize: out,
    dtype,
    gates: blocks,
    gateSize: H,
    paramShapes: shapes,
    stateSizes,
    inputPartSize: G * H,
    init,
    inputPart,
    core,
  });
  return Object.freeze({ ...cell, structure: st, projSize: P, layerNorm: ln, forgetBias });
}
