/**
 * Every cell against an independent plain-number implementation of its
 * paper's equations (test/helpers/rnn-reference.ts), every Greff variant
 * against vanilla where the paper says it differs, and the sequence fast
 * path against the reference step.
 */
import { describe, expect, it } from 'vitest';
import { foldIn, key, normal, split as splitKey, tensor, zeros, type Key, type Tensor } from '@mnemo/core';
import { index, tree, type Tree } from '@mnemo/autodiff';
import {
  gruCell,
  lstmCell,
  lstmStructure,
  makeCell,
  mguCell,
  mutCell,
  rnnCell,
  type GatedCell,
  type LstmOptions,
  type LstmParams,
  type LstmState,
  type LstmVariant,
} from '@mnemo/nn';
import { gruRef, lstmRef, mguRef, mutRef, rnnRef, vec, type Vec } from './helpers/rnn-reference.js';

const F64 = 'float64' as const;

/** The cell's parameters with every entry redrawn from N(0, 0.5²), so biases, gains and peepholes matter too. */
function randomParams<P extends Tree>(cell: { init(k: Key): P }, k: Key): P {
  const p = cell.init(k);
  let n = 0;
  return tree.map(p, (t) => normal(foldIn(k, 1000 + n++), t.shape, { dtype: t.dtype, std: 0.5 }));
}

function rows(t: Tensor): Vec[] {
  const [b, w] = t.shape as [number, number];
  const d = t.toArray();
  return Array.from({ length: b }, (_, i) => Array.from(d.slice(i * w, (i + 1) * w)));
}

function expectClose(actual: Tensor, expected: Vec[], tol = 1e-12): void {
  const a = rows(actual);
  expect(a.length).toBe(expected.length);
  a.forEach((r, i) => r.forEach((v, j) => expect(Math.abs(v - expected[i]![j]!), `row ${i} col ${j}: ${v} vs ${expected[i]![j]}`).toBeLessThan(tol)));
}

const B = 3;
const D = 4;
const H = 5;

function randomState(cell: GatedCell, k: Key): Record<string, Tensor> {
  const s = cell.initialState(B) as Record<string, Tensor>;
  let n = 0;
  return tree.map(s, (t) => normal(foldIn(k, n++), t.shape, { dtype: F64, std: 0.7 }));
}

// ---------------------------------------------------------------------------

const LSTM_CASES: { variant: LstmVariant[]; extra?: Partial<LstmOptions> }[] = [
  { variant: [] },
  { variant: ['peephole'] },
  { variant: ['nig'] },
  { variant: ['nfg'] },
  { variant: ['nog'] },
  { variant: ['niaf'] },
  { variant: ['noaf'] },
  { variant: ['np'] },
  { variant: ['cifg'] },
  { variant: ['fgr'] },
  { variant: ['cifg', 'np'] },
  { variant: ['fgr', 'cifg'] },
  { variant: ['nog', 'noaf', 'np'] },
  { variant: ['nig', 'nfg'] },
  { variant: [], extra: { projSize: 3 } },
  { variant: ['peephole'], extra: { projSize: 2, layerNorm: true } },
  { variant: ['fgr', 'nig'], extra: { layerNorm: true } },
];

describe('LSTM: every variant computes Greff et al.\'s equations', () => {
  const labelled = LSTM_CASES.map((c) => [['lstm', ...c.variant].join('+') + (c.extra ? ` ${JSON.stringify(c.extra)}` : ''), c] as const);
  it.each(labelled)('%s: step and inspect agree with the plain reference to 1e-12', (_, { variant, extra }) => {
    const cell = lstmCell({ inputSize: D, hiddenSize: H, dtype: F64, variant, ...extra });
    const [k1, k2, k3] = splitKey(key(variant.length * 17 + (extra ? 5 : 0)), 3) as [Key, Key, Key];
    const p = randomParams(cell, k1);
    const s = randomState(cell, k2) as LstmState;
    const x = normal(k3, [B, D], { dtype: F64 });
    const [s1, y] = cell.step(p, s, x);
    const report = cell.inspect(p, s, x);
    const refs = rows(x).map((xr, bi) =>
      lstmRef(cell.structure, p as Record<string, Tensor>, xr, { h: rows(s.h)[bi]!, c: rows(s.c)[bi]!, ...(s.a ? { a: rows(s.a)[bi]! } : {}) }, H, {
        layerNorm: cell.layerNorm,
      }),
    );
    expectClose(y, refs.map((r) => r.h));
    expect(y).toBe(s1.h);
    expectClose(s1.c, refs.map((r) => r.c));
    if (cell.structure.fullGateRecurrence) expectClose(s1.a!, refs.map((r) => r.a!));
    else expect(s1.a).toBeUndefined();
    for (const g of ['i', 'f', 'g', 'o']) expectClose(report.gates[g]!, refs.map((r) => r.gates[g]!));
    expectClose(report.output, refs.map((r) => r.h));
  });

  it('the tutorial default has no peepholes; Greff\'s vanilla (peephole) has them; his ablations keep them unless np', () => {
    expect(lstmCell({ inputSize: 1, hiddenSize: 2 }).structure.peepholes).toBe(false);
    expect(Object.keys(lstmCell({ inputSize: 1, hiddenSize: 2 }).init(key(0))).sort()).toEqual(['b', 'wh', 'wx']);
    const vanilla = lstmCell({ inputSize: 1, hiddenSize: 2, variant: 'peephole' });
    expect(Object.keys(vanilla.init(key(0))).sort()).toEqual(['b', 'pf', 'pi', 'po', 'wh', 'wx']);
    for (const v of ['nig', 'nfg', 'nog', 'niaf', 'noaf', 'cifg', 'fgr'] as const) expect(lstmStructure([v]).peepholes, v).toBe(true);
    expect(lstmStructure(['np']).peepholes).toBe(false);
    expect(lstmStructure(['np']).variants).toEqual([]); // NP is the tutorial LSTM
    expect(lstmStructure(['cifg', 'np']).peepholes).toBe(false);
  });

  it('canonical names: Greff order, np when ablations come without peepholes', () => {
    const name = (v: LstmVariant[], peepholes?: boolean) => lstmCell({ inputSize: 1, hiddenSize: 1, variant: v, ...(peepholes === undefined ? {} : { peepholes }) }).name;
    expect(name([])).toBe('lstm');
    expect(name(['np'])).toBe('lstm');
    expect(name(['peephole'])).toBe('lstm+peephole');
    expect(name([], true)).toBe('lstm+peephole');
    expect(name(['fgr', 'cifg'])).toBe('lstm+cifg+fgr');
    expect(name(['cifg'], false)).toBe('lstm+np+cifg');
    expect(name(['noaf', 'nog', 'np'])).toBe('lstm+nog+noaf+np');
  });
});

describe('LSTM: each Greff variant differs from vanilla exactly where the paper says', () => {
  // Vanilla (peepholes) parameters; each variant's parameters are vanilla's with
  // the removed blocks dropped (or, for fgr, one matrix added). Then the gates
  // the paper leaves alone are bit-for-bit vanilla's, and the changed one is
  // the constant or formula the paper gives.
  const vanilla = lstmCell({ inputSize: D, hiddenSize: H, dtype: F64, variant: 'peephole' });
  const pv = randomParams(vanilla, key(11));
  const sv = randomState(vanilla, key(12)) as LstmState;
  const x = normal(key(13), [B, D], { dtype: F64 });
  const rv = vanilla.inspect(pv, sv, x);
  const cols = (t: Tensor, keep: string[]): Tensor => {
    // keep the named blocks of [., 4H] (order i, f, g, o)
    const order = ['i', 'f', 'g', 'o'];
    const parts = keep.map((g) => order.indexOf(g));
    const d = t.toArray();
    const r = t.rank === 1 ? 1 : t.shape[0]!;
    const w = t.shape[t.rank - 1]!;
    const out: number[] = [];
    for (let a = 0; a < r; a++) for (const k of parts) for (let j = 0; j < H; j++) out.push(d[a * w + k * H + j]!);
    return tensor(out, F64, t.rank === 1 ? [keep.length * H] : [r, keep.length * H]);
  };
  const restrict = (keep: string[], peeps: string[]): LstmParams => {
    const p: Record<string, Tensor> = { wx: cols(pv.wx, keep), wh: cols(pv.wh, keep), b: cols(pv.b, keep) };
    for (const q of peeps) p[q] = (pv as Record<string, Tensor>)[q]!;
    return p as LstmParams;
  };
  const same = (a: Tensor, b: Tensor) => expect(Array.from(a.toArray())).toEqual(Array.from(b.toArray()));
  const variantOf = (variant: LstmVariant[]) => lstmCell({ inputSize: D, hiddenSize: H, dtype: F64, variant });

  it('NIG: i = 1; f, g unchanged; c = f c + g', () => {
    const r = variantOf(['nig']).inspect(restrict(['f', 'g', 'o'], ['pf', 'po']), sv, x);
    expect(r.gates['i']!.toArray().every((v) => v === 1)).toBe(true);
    same(r.gates['f']!, rv.gates['f']!);
    same(r.gates['g']!, rv.gates['g']!);
    expectClose(r.state.c, rows(rv.gates['f']!).map((f, b) => f.map((fv, j) => fv * rows(sv.c)[b]![j]! + rows(rv.gates['g']!)[b]![j]!)));
  });

  it('NFG: f = 1; i, g unchanged; c = c + i g', () => {
    const r = variantOf(['nfg']).inspect(restrict(['i', 'g', 'o'], ['pi', 'po']), sv, x);
    expect(r.gates['f']!.toArray().every((v) => v === 1)).toBe(true);
    same(r.gates['i']!, rv.gates['i']!);
    same(r.gates['g']!, rv.gates['g']!);
  });

  it('NOG: o = 1; the cell state is vanilla\'s and h = tanh(c)', () => {
    const r = variantOf(['nog']).inspect(restrict(['i', 'f', 'g'], ['pi', 'pf']), sv, x);
    expect(r.gates['o']!.toArray().every((v) => v === 1)).toBe(true);
    same(r.state.c, rv.state.c);
    expectClose(r.output, rows(rv.state.c).map((c) => c.map(Math.tanh)));
  });

  it('NIAF: g is its pre-activation, unsquashed; the gates are vanilla\'s', () => {
    const r = variantOf(['niaf']).inspect(pv, sv, x);
    same(r.gates['i']!, rv.gates['i']!);
    same(r.gates['f']!, rv.gates['f']!);
    expectClose(r.gates['g']!, rows(rv.gates['g']!).map((g) => g.map(Math.atanh)), 1e-9);
    expect(Math.max(...Array.from(r.gates['g']!.toArray(), Math.abs))).toBeGreaterThan(1); // really unbounded
  });

  it('NOAF: c and the gates are vanilla\'s; h = o c', () => {
    const r = variantOf(['noaf']).inspect(pv, sv, x);
    same(r.state.c, rv.state.c);
    same(r.gates['o']!, rv.gates['o']!);
    expectClose(r.output, rows(rv.gates['o']!).map((o, b) => o.map((ov, j) => ov * rows(rv.state.c)[b]![j]!)));
  });

  it('NP: no peephole parameters; equals vanilla with zero peepholes', () => {
    const np = variantOf(['np']);
    const p = np.init(key(1));
    expect(p.pi ?? p.pf ?? p.po).toBeUndefined();
    const zeroPeeps = { ...pv, pi: zeros([H], F64), pf: zeros([H], F64), po: zeros([H], F64) };
    const a = np.inspect(restrict(['i', 'f', 'g', 'o'], []), sv, x);
    const b = vanilla.inspect(zeroPeeps, sv, x);
    same(a.output, b.output);
    same(a.state.c, b.state.c);
  });

  it('CIFG: f = 1 - i exactly, with no forget-gate parameters; i, g unchanged', () => {
    const cell = variantOf(['cifg']);
    expect(cell.gates).toEqual(['i', 'g', 'o']);
    expect(cell.init(key(0)).wx.shape).toEqual([D, 3 * H]);
    const r = cell.inspect(restrict(['i', 'g', 'o'], ['pi', 'po']), sv, x);
    same(r.gates['i']!, rv.gates['i']!);
    same(r.gates['g']!, rv.gates['g']!);
    const i = r.gates['i']!.toArray();
    expect(Array.from(r.gates['f']!.toArray())).toEqual(Array.from(i, (v) => 1 - v));
  });

  it('CIFG: a probe on i moves f by the opposite amount (they are one gate)', () => {
    const cell = variantOf(['cifg']);
    const p = restrict(['i', 'g', 'o'], ['pi', 'po']);
    const bump = normal(key(5), [B, H], { dtype: F64 });
    const r = cell.inspect(p, sv, x, { i: bump });
    const f = r.gates['f']!.toArray();
    r.gates['i']!.toArray().forEach((v, j) => expect(f[j]).toBe(1 - v));
    expect(() => cell.inspect(p, sv, x, { f: bump })).toThrow(/lstm\+cifg: argument 'probes.f': 'f' is not a gate of this cell; its gates are i, g, o/);
  });

  it('FGR: the state carries the previous gates; with R_a = 0 it is vanilla', () => {
    const cell = variantOf(['fgr']);
    expect(cell.initialState(B).a!.shape).toEqual([B, 3 * H]);
    const s = { ...sv, a: normal(key(9), [B, 3 * H], { dtype: F64 }) };
    const withZero = cell.inspect({ ...pv, wg: zeros([3 * H, 3 * H], F64) }, s, x);
    same(withZero.output, rv.output);
    same(withZero.state.c, rv.state.c);
    // the new a holds this step's i, f, o
    const a = rows(withZero.state.a!);
    a.forEach((r, b) => {
      expect(r.slice(0, H)).toEqual(rows(rv.gates['i']!)[b]);
      expect(r.slice(H, 2 * H)).toEqual(rows(rv.gates['f']!)[b]);
      expect(r.slice(2 * H)).toEqual(rows(rv.gates['o']!)[b]);
    });
    const withR = cell.inspect({ ...pv, wg: normal(key(10), [3 * H, 3 * H], { dtype: F64 }) }, s, x);
    same(withR.gates['g']!, rv.gates['g']!); // the block input gets no gate recurrence
    expect(Array.from(withR.gates['i']!.toArray())).not.toEqual(Array.from(rv.gates['i']!.toArray()));
  });

  it('peepholes: i and f see c(t-1), o sees c(t)', () => {
    // Changing c(t-1) changes i and f through the peepholes only; o through c(t).
    const np = variantOf(['np']);
    const pNp = restrict(['i', 'f', 'g', 'o'], []);
    const s2 = { ...sv, c: normal(key(21), [B, H], { dtype: F64 }) };
    same(np.inspect(pNp, s2, x).gates['i']!, np.inspect(pNp, sv, x).gates['i']!);
    expect(Array.from(vanilla.inspect(pv, s2, x).gates['i']!.toArray())).not.toEqual(Array.from(rv.gates['i']!.toArray()));
    // o = sigmoid(pre_o + p_o * c(t)) with the new c:
    const r = rows(rv.state.c);
    const preO = rows(np.inspect(pNp, sv, x).gates['o']!).map((o) => o.map((v) => Math.log(v / (1 - v))));
    const po = vec(pv.po!);
    expectClose(rv.gates['o']!, preO.map((p, b) => p.map((v, j) => 1 / (1 + Math.exp(-(v + po[j]! * r[b]![j]!))))), 1e-9);
  });

  it('forget-gate bias starts at forgetBias (default 1), only in the f block', () => {
    const b = lstmCell({ inputSize: 1, hiddenSize: 2 }).init(key(0)).b.toArray();
    expect(Array.from(b)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(lstmCell({ inputSize: 1, hiddenSize: 2, forgetBias: 0 }).init(key(0)).b.toArray()).every((v) => v === 0)).toBe(true);
    expect(Array.from(lstmCell({ inputSize: 1, hiddenSize: 2, variant: 'cifg' }).init(key(0)).b.toArray()).every((v) => v === 0)).toBe(true);
  });
});

// ---------------------------------------------------------------------------

describe('GRU, MGU, MUT1-3 and the simple RNN compute their papers\' equations', () => {
  type Case = { name: string; cell: GatedCell; ref: (p: Record<string, Tensor>, x: Vec, h: Vec) => { h: Vec; gates?: Record<string, Vec> } };
  const cases: Case[] = [
    { name: 'gru (reset-before)', cell: gruCell({ inputSize: D, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => gruRef(false, p, x, h, H) },
    { name: 'gru+reset-after', cell: gruCell({ inputSize: D, hiddenSize: H, dtype: F64, variant: 'reset-after' }), ref: (p, x, h) => gruRef(true, p, x, h, H) },
    { name: 'mgu', cell: mguCell({ inputSize: D, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => mguRef(p, x, h, H) },
    { name: 'mut1 (projected)', cell: mutCell({ kind: 'mut1', inputSize: D, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => mutRef('mut1', p, x, h, H) },
    { name: 'mut1 (D = H)', cell: mutCell({ kind: 'mut1', inputSize: H, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => mutRef('mut1', p, x, h, H) },
    { name: 'mut2 (projected)', cell: mutCell({ kind: 'mut2', inputSize: D, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => mutRef('mut2', p, x, h, H) },
    { name: 'mut2 (D = H)', cell: mutCell({ kind: 'mut2', inputSize: H, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => mutRef('mut2', p, x, h, H) },
    { name: 'mut3', cell: mutCell({ kind: 'mut3', inputSize: D, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => mutRef('mut3', p, x, h, H) },
    { name: 'rnn', cell: rnnCell({ inputSize: D, hiddenSize: H, dtype: F64 }), ref: (p, x, h) => rnnRef('tanh', p, x, h) },
    { name: 'rnn+relu', cell: rnnCell({ inputSize: D, hiddenSize: H, dtype: F64, activation: 'relu' }), ref: (p, x, h) => rnnRef('relu', p, x, h) },
  ];
  it.each(cases)('$name: step and inspect agree with the plain reference to 1e-12', ({ cell, ref }) => {
    const p = randomParams(cell, key(3)) as Record<string, Tensor>;
    const s = randomState(cell, key(4));
    const x = normal(key(5), [B, cell.inputSize], { dtype: F64 });
    const [s1, y] = cell.step(p, s, x);
    const refs = rows(x).map((xr, b) => ref(p, xr, rows(s['h']!)[b]!));
    expectClose(y, refs.map((r) => r.h));
    expectClose((s1 as Record<string, Tensor>)['h']!, refs.map((r) => r.h));
    const report = cell.inspect(p, s, x);
    for (const [g, v] of Object.entries(refs[0]!.gates ?? {})) {
      expect(v).toBeDefined();
      expectClose(report.gates[g]!, refs.map((r) => r.gates![g]!));
    }
  });

  it('MUT1/MUT2 learn an input projection exactly when inputSize differs from hiddenSize; MUT3 never', () => {
    expect(mutCell({ kind: 'mut1', inputSize: 3, hiddenSize: 4 }).init(key(0)).wp!.shape).toEqual([3, 4]);
    expect(mutCell({ kind: 'mut1', inputSize: 4, hiddenSize: 4 }).init(key(0)).wp).toBeUndefined();
    expect(mutCell({ kind: 'mut1', inputSize: 4, hiddenSize: 4, inputProjection: true }).init(key(0)).wp!.shape).toEqual([4, 4]);
    expect(mutCell({ kind: 'mut2', inputSize: 3, hiddenSize: 4 }).init(key(0)).wx.shape).toEqual([3, 12]);
    expect(mutCell({ kind: 'mut2', inputSize: 4, hiddenSize: 4 }).init(key(0)).wx.shape).toEqual([4, 8]);
    expect(mutCell({ kind: 'mut3', inputSize: 3, hiddenSize: 4 }).inputProjection).toBe(false);
  });
});

describe('the sequence fast path runs the same equations as step', () => {
  const all: [string, GatedCell][] = [
    ...['lstm', 'lstm+peephole', 'lstm+cifg+fgr', 'lstm+nig+nfg', 'gru', 'gru+reset-after', 'mgu', 'mut1', 'mut2', 'mut3', 'rnn+relu'].map(
      (n) => [n, makeCell(n, { inputSize: D, hiddenSize: H, dtype: F64 })] as [string, GatedCell],
    ),
    ['lstm (proj, layer norm)', makeCell('lstm+peephole', { inputSize: D, hiddenSize: H, dtype: F64, projSize: 2, layerNorm: true })],
  ];
  it.each(all)('%s: stepProjected on a row of projectInputs equals step', (_, cell) => {
    const p = randomParams(cell, key(7));
    const xs = normal(key(8), [B, 3, D], { dtype: F64 });
    const proj = cell.projectInputs(p, xs);
    expect(proj.shape).toEqual([B, 3, cell.inputPartSize]);
    let s1 = randomState(cell, key(9)) as Tree;
    let s2 = s1;
    for (let t = 0; t < 3; t++) {
      const [a, ya] = cell.step(p, s1, index(xs, 1, t));
      const [b, yb] = cell.stepProjected(p, s2, index(proj, 1, t));
      expectClose(yb, rows(ya), 1e-13);
      s1 = a;
      s2 = b;
    }
  });
});
