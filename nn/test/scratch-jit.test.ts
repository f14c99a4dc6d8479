import { it, expect } from 'vitest';
import { key, normal, type Tensor, type DType } from '@mnemo/core';
import { grad, sum, mul, tree, cast } from '@mnemo/autodiff';
import { compiledRecurrence } from '../../autodiff/src/jit/recurrence.js';
import { makeCell, scan, sequenceMask } from '@mnemo/nn';

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0, s = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); m = Math.max(m, Number.isNaN(d) ? Infinity : d); s = Math.max(s, Math.abs(b[i]!)); }
  return m / (s || 1);
}
const specs: [string, object][] = [
  ['lstm', {}], ['lstm+peephole', {}], ['lstm+nig', {}], ['lstm+nfg', {}], ['lstm+nog', {}], ['lstm+niaf', {}], ['lstm+noaf', {}], ['lstm+np', {}], ['lstm+cifg', {}], ['lstm+fgr', {}],
  ['lstm', { projSize: 3 }], ['lstm', { layerNorm: true }], ['lstm+cifg', { layerNorm: true, projSize: 5 }],
  ['gru', {}], ['gru --variant reset-after', {}], ['mgu', {}], ['mut1', {}], ['mut2', {}], ['mut3', {}], ['rnn', {}], ['rnn+relu', {}],
];
const cases: { B: number; T: number; D: number; H: number; dtype: DType; mask?: boolean; reverse?: boolean; every?: number }[] = [
  { B: 5, T: 6, D: 3, H: 8, dtype: 'float64' },
  { B: 3, T: 4, D: 2, H: 5, dtype: 'float64', mask: true, reverse: true },
  { B: 8, T: 9, D: 4, H: 6, dtype: 'float64', every: 4 },
  { B: 4, T: 5, D: 3, H: 8, dtype: 'float32' },
];
for (const [spec, extra] of specs) for (const c of cases) {
  it(`${spec} ${JSON.stringify(extra)} ${JSON.stringify(c)}`, () => {
    const cell = makeCell(spec, { inputSize: c.D, hiddenSize: c.H, dtype: c.dtype, ...extra }) as any;
    const p = cell.init(key(0));
    const xs = normal(key(1), [c.B, c.T, c.D], { dtype: c.dtype });
    const s0 = tree.map(cell.initialState(c.B), (t: Tensor) => normal(key(3), t.shape, { dtype: c.dtype }));
    const opts = { ...(c.mask ? { lengths: Array.from({ length: c.B }, (_, i) => Math.max(1, c.T - i)) } : {}), ...(c.reverse ? { reverse: true } : {}) };
    const mask = c.mask ? sequenceMask((opts as any).lengths, c.T, c.dtype) : undefined;
    const ref = (pp: any, ss: any, x: Tensor) => scan(cell, pp, x, { initialState: ss, ...opts });
    const step = (pp: any, ss: any, x: Tensor) => cell.step(pp, ss, x);
    const comp = (pp: any, ss: any, x: Tensor) => compiledRecurrence(step, pp, ss, x, { key: cell, reference: ref, ...(mask ? { mask } : {}), ...(c.reverse ? { reverse: true } : {}), ...(c.every ? { checkpointEvery: c.every } : {}) });
    const a = comp(p, s0, xs);
    const b = ref(p, s0, xs);
    const tol = c.dtype === 'float64' ? 1e-12 : 1e-5;
    const fd = maxRel(a.outputs.toArray(), b.outputs.toArray());
    expect(fd, 'outputs').toBeLessThan(tol);
    const W = b.outputs.shape[2]!;
    const r = normal(key(2), [c.B, c.T, W], { dtype: c.dtype });
    const rs = tree.map(b.finalState, (t: Tensor) => normal(key(4), t.shape, { dtype: c.dtype }));
    const loss = (f: any) => (pp: any, ss: any, x: Tensor) => { const o = f(pp, ss, x); let l = sum(mul(o.outputs, r)); for (const [u, v] of tree.zip(o.finalState, rs)) l = l.add ? l : l, l = sum(mul(u, v)).shape.length === 0 ? (l as any) : l; return tree.leaves(o.finalState).reduce((acc: Tensor, u: Tensor, i: number) => cast(sum(mul(u, tree.leaves(rs)[i]!)), c.dtype) ? (acc as any) : acc, l); };
    const loss2 = (f: any) => (pp: any, ss: any, x: Tensor) => { const o = f(pp, ss, x); const parts = [sum(mul(o.outputs, r)), ...tree.leaves(o.finalState).map((u: Tensor, i: number) => sum(mul(u, tree.leaves(rs)[i]!)))]; return parts.reduce((x1: Tensor, y1: Tensor) => (x1 as any) && require0(x1, y1)); };
    void loss; void loss2;
    const L = (f: any) => (pp: any, ss: any, x: Tensor) => { const o = f(pp, ss, x); let l: Tensor = sum(mul(o.outputs, r)); tree.leaves(o.finalState).forEach((u: Tensor, i: number) => { l = addT(l, sum(mul(u, tree.leaves(rs)[i]!))); }); return l; };
    const ga = tree.leaves(grad(L(comp), { argnums: [0, 1, 2] })(p, s0, xs) as any);
    const gb = tree.leaves(grad(L(ref), { argnums: [0, 1, 2] })(p, s0, xs) as any);
    const gtol = c.dtype === 'float64' ? 1e-12 : 1e-4;
    ga.forEach((g: Tensor, i: number) => expect(maxRel(g.toArray(), gb[i]!.toArray()), `grad ${i}`).toBeLessThan(gtol));
  });
}
import { add as addT } from '@mnemo/autodiff';
function require0(a: Tensor, b: Tensor): Tensor { return addT(a, b); }
