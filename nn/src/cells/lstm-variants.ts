/**
 * The LSTM with the variants of Greff et al. (2015, "LSTM: A Search Space
 * Odyssey"), LSTMP's projection, layer normalization and full gate
 * recurrence: one definition whose gates change with the variant. `lstmCell`
 * (lstm.ts) uses it for every configuration but the tutorial's.
 *
 * @module
 */
import { ArgumentError, formatValue, ones, type DType, type Tensor } from '@mnemo/core';
import { add, concat, layerNorm, matmul, mul, sigmoid, sub, tanh } from '@mnemo/autodiff';
import * as init from '../init.js';
import { splitColumns } from './common.js';
import { defineCell, type CellMaker, type ParamSpec } from './define.js';
import { blockBias } from './init.js';
import type { LstmCell, LstmGate, LstmOptions } from './lstm.js';

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
 * @param variants - Variant names ({@link LstmVariant}), in any order.
 * @param peepholes - An explicit peephole choice, which must agree with `peephole`
 *   or `np` when given.
 * @returns The {@link LstmStructure} they denote, with the variants in canonical
 *   order.
 * @throws ArgumentError - when a name is unknown or given twice, or names
 *   contradict each other (`cifg` with `nig` or `nfg`, `peephole` with `np`, `fgr`
 *   with no gate left, `peepholes` against `peephole` or `np`).
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
  if (!Array.isArray(variants)) throw new ArgumentError(op, 'variant', `expected an array of variant names, got ${formatValue(variants)}`);
  const seen = new Set<LstmVariant>();
  for (const v of variants as readonly unknown[]) {
    if (typeof v !== 'string' || !(LSTM_VARIANTS as readonly string[]).includes(v)) {
      throw new ArgumentError(op, 'variant', `unknown LSTM variant ${formatValue(v)}; the LSTM accepts ${LSTM_VARIANTS.join(', ')} (see lstmStructure's documentation)`);
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
    if (typeof peepholes !== 'boolean') throw new ArgumentError(op, 'peepholes', `expected a boolean, got ${formatValue(peepholes)}`);
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

/** `forgetBias` when it is finite (default 1). @internal */
export function checkForgetBias(cell: string, forgetBias: unknown): number {
  const b = forgetBias ?? 1;
  if (typeof b !== 'number' || !Number.isFinite(b)) throw new ArgumentError(cell, 'forgetBias', `must be a finite number, got ${formatValue(b)}`);
  return b;
}

/** The structure of the tutorial LSTM (no variant). @internal */
export const TUTORIAL_STRUCTURE: LstmStructure = Object.freeze({
  peepholes: false,
  inputGate: true,
  forgetGate: 'learned' as const,
  outputGate: true,
  inputActivation: true,
  outputActivation: true,
  fullGateRecurrence: false,
  variants: Object.freeze([]) as readonly LstmVariant[],
});

// ---------------------------------------------------------------------------
// The cell
// ---------------------------------------------------------------------------

type SigmoidGate = 'i' | 'f' | 'o';
const identity = (t: Tensor): Tensor => t;

/**
 * Every LSTM configuration of {@link LstmOptions} (see `lstmCell` for the
 * equations). Parameters draw their keys as the LSTM always has: `wx` 0,
 * `wh` 1, the peepholes of the gates that exist `[2, j]`, `wp` 3, `wg` 4.
 * @internal
 */
export const variantLstmCell: CellMaker<LstmOptions, LstmCell> = defineCell('lstm', (o: LstmOptions & { readonly dtype: DType }) => {
  const { inputSize: D, hiddenSize: H, dtype } = o;
  const v: unknown = o.variant === undefined ? [] : typeof o.variant === 'string' ? [o.variant] : o.variant;
  if (!Array.isArray(v)) throw new ArgumentError('lstm', 'variant', `expected a variant name or an array of them, got ${formatValue(o.variant)}`);
  const st = lstmStructure(v as readonly string[], o.peepholes);
  const name = ['lstm', ...st.variants].join('+');
  const P = o.projSize ?? 0;
  if (typeof P !== 'number' || !Number.isInteger(P) || P < 0 || P > 2 ** 31 - 1) throw new ArgumentError(name, 'projSize', `must be a non-negative integer (0: no projection), got ${formatValue(P)}`);
  const ln = o.layerNorm ?? false;
  if (typeof ln !== 'boolean') throw new ArgumentError(name, 'layerNorm', `expected a boolean, got ${formatValue(ln)}`);
  const eps = o.layerNormEps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) throw new ArgumentError(name, 'layerNormEps', `must be positive, got ${formatValue(eps)}`);
  const forgetBias = checkForgetBias(name, o.forgetBias);

  // The gate blocks, in order i, f, g, o, that this variant has; the sigmoid ones among them.
  const blocks: LstmGate[] = [];
  if (st.inputGate) blocks.push('i');
  if (st.forgetGate === 'learned') blocks.push('f');
  blocks.push('g');
  if (st.outputGate) blocks.push('o');
  const sigmoids = blocks.filter((g): g is SigmoidGate => g !== 'g');
  const G = blocks.length;
  const S = sigmoids.length;
  const R = P > 0 ? P : H;
  const fgr = st.fullGateRecurrence;

  const u = init.rnnUniform(H);
  const peepholes = st.peepholes ? sigmoids : [];
  const peephole = (gate: SigmoidGate): ParamSpec | undefined => {
    const j = peepholes.indexOf(gate);
    return j < 0 ? undefined : { shape: [H], init: u, key: [2, j] };
  };
  const lnParam = (width: number, gain: boolean): ParamSpec | undefined => (ln ? { shape: [width], init: gain ? init.ones : init.zeros } : undefined);

  return {
    name,
    outputSize: P > 0 ? P : H,
    gates: blocks,
    params: {
      wx: { shape: [D, G * H], init: u, key: 0 },
      wh: { shape: [R, G * H], init: u, key: 1 },
      b: { shape: [G * H], init: blockBias(st.forgetGate === 'learned' ? { start: blocks.indexOf('f') * H, size: H, value: forgetBias } : undefined) },
      pi: peephole('i'),
      pf: peephole('f'),
      po: peephole('o'),
      wp: P > 0 ? { shape: [H, P], init: u, key: 3 } : undefined,
      lnxGain: lnParam(G * H, true),
      lnxBias: lnParam(G * H, false),
      lnhGain: lnParam(G * H, true),
      lnhBias: lnParam(G * H, false),
      lncGain: lnParam(H, true),
      lncBias: lnParam(H, false),
      wg: fgr ? { shape: [S * H, S * H], init: u, key: 4 } : undefined,
    },
    state: { h: P > 0 ? P : H, c: H, a: fgr ? S * H : undefined },
    inputPartSize: G * H,
    inputPart(p, x) {
      const xw = matmul(x, p.wx);
      return add(ln ? layerNorm(xw, p.lnxGain!, p.lnxBias!, eps) : xw, p.b);
    },
    step(p, s, xPart, gate) {
      // Pre-activations of all gates at once: x W + h R + b (the x part comes precomputed).
      const hr = matmul(s.h, p.wh);
      const z = columns(add(xPart, ln ? layerNorm(hr, p.lnhGain!, p.lnhBias!, eps) : hr), blocks, H);
      // fgr: every sigmoid gate also sees every gate's previous activation.
      const za = fgr ? columns(matmul(s.a!, p.wg!), sigmoids, H) : undefined;
      const pre = (g: SigmoidGate): Tensor => (za === undefined ? z[g]! : add(z[g]!, za[g]!));
      // A peephole adds w * c, where the variant has one.
      const peep = (zg: Tensor, w: Tensor | undefined, c: Tensor): Tensor => (w === undefined ? zg : add(zg, mul(w, c)));
      const cPrev = s.c;
      const one = () => ones([cPrev.shape[0]!, H], dtype);

      // Input gate: how much of the block input enters the cell (nig: all of it).
      const i = st.inputGate ? gate('i', sigmoid, peep(pre('i'), p.pi, cPrev)) : undefined;
      if (i === undefined) gate.report('i', one);
      // Forget gate: how much of the old cell state is kept (nfg: all; cifg: what the input gate leaves).
      let f: Tensor | undefined;
      if (st.forgetGate === 'learned') f = gate('f', sigmoid, peep(pre('f'), p.pf, cPrev));
      else if (st.forgetGate === 'coupled') gate.report('f', (f = sub(1, i!)));
      else gate.report('f', one);
      // Block input: the candidate written to the cell (niaf: without squashing).
      const g = gate('g', st.inputActivation ? tanh : identity, z.g!);
      // Cell state: the constant error carousel.
      const c = add(f === undefined ? cPrev : mul(f, cPrev), i === undefined ? g : mul(i, g));
      // Output gate: how much of the (squashed) cell state is shown; it peeks at the new c.
      const o = st.outputGate ? gate('o', sigmoid, peep(pre('o'), p.po, c)) : undefined;
      if (o === undefined) gate.report('o', one);
      const cn = ln ? layerNorm(c, p.lncGain!, p.lncBias!, eps) : c;
      const m = st.outputActivation ? tanh(cn) : cn;
      const hRaw = o === undefined ? m : mul(o, m);
      const h = p.wp === undefined ? hRaw : matmul(hRaw, p.wp);
      if (!fgr) return [{ h, c }, h];
      // fgr: the state carries this step's sigmoid gates, in order i, f, o.
      const acts: Record<SigmoidGate, Tensor | undefined> = { i, f: st.forgetGate === 'learned' ? f : undefined, o };
      return [{ h, c, a: concat(sigmoids.map((gn) => acts[gn]!), -1) }, h];
    },
    extra: { structure: st, projSize: P, layerNorm: ln, forgetBias },
  };
});

/** The column blocks of `t`, one of width `size` per name. */
function columns<K extends string>(t: Tensor, names: readonly K[], size: number): Partial<Record<K, Tensor>> {
  const out: Partial<Record<K, Tensor>> = {};
  splitColumns(t, names.map(() => size)).forEach((piece, j) => (out[names[j]!] = piece));
  return out;
}
