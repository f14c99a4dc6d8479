/**
 * Parity with PyTorch 1.13 in float64 (golden files copied from
 * ../shared/golden, see golden/README.md): with the same weights, our cells
 * agree to 1e-10 in outputs, final states and the gradient of the given loss
 * with respect to x, h0, c0 and every PyTorch parameter (through our
 * differentiable importers). Every sequence path of scan is checked: the
 * input projection (default), the reference path through cell.step, the
 * rematerialized chunks, and the fused LSTM kernel.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@mnemo/core';
import { add, grad, mul, sum } from '@mnemo/autodiff';
import {
  exportTorchState,
  gruCell,
  importTorchModule,
  importTorchState,
  lstmCell,
  rnn,
  rnnCell,
  type Cell,
  type Rnn,
  type RnnApplyOptions,
} from '@mnemo/nn';

type Json = { shape: number[]; data: number[] };
interface Golden {
  kind: 'lstm' | 'gru' | 'rnn_tanh';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  params: Record<string, Json>;
  grads: Record<string, Json>;
  x: Json;
  h0: Json;
  c0?: Json;
  y: Json;
  hn: Json;
  cn?: Json;
  R: Json;
  Rh: Json;
  Rc?: Json;
}

const load = (name: string): Golden => JSON.parse(readFileSync(new URL(`./golden/${name}.json`, import.meta.url), 'utf8')) as Golden;
const t = (j: Json): Tensor => tensor(j.data, 'float64', j.shape);

function model(g: Golden): Rnn {
  const dirs = g.bidirectional ? 2 : 1;
  const cells: Cell[] = [];
  for (let l = 0; l < g.numLayers; l++) {
    const o = { inputSize: l === 0 ? g.inputSize : g.hiddenSize * dirs, hiddenSize: g.hiddenSize, dtype: 'float64' as const };
    cells.push((g.kind === 'lstm' ? lstmCell(o) : g.kind === 'gru' ? gruCell({ ...o, variant: 'reset-after' }) : rnnCell(o)));
  }
  return rnn({ cells, bidirectional: g.bidirectional });
}

function maxAbsDiff(a: Tensor, b: Json): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.toArray();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - b.data[i]!));
  return m;
}

const paths: [string, RnnApplyOptions][] = [
  ['compiled (default)', {}],
  ['compiled, checkpointed chunks of 2 steps', { checkpointEvery: 2 }],
  ['tape path, projected inputs', { compile: false }],
  ['tape path, cell.step on raw inputs', { compile: false, projectInputs: false }],
  ['tape path, checkpointed chunks of 2 steps', { compile: false, checkpointEvery: 2 }],
];

describe.each(['lstm_small', 'lstm_2layer', 'lstm_bidir', 'gru_small', 'rnn_small'])('parity with PyTorch: %s', (name) => {
  const g = load(name);
  const net = model(g);
  const sd = Object.fromEntries(Object.entries(g.params).map(([k, v]) => [k, t(v)]));
  const R = t(g.R);
  const Rh = t(g.Rh);
  const Rc = g.Rc === undefined ? undefined : t(g.Rc);
  const x = t(g.x);
  const h0 = t(g.h0);
  const c0 = g.c0 === undefined ? t(g.h0) : t(g.c0); // ignored for GRU and RNN

  const run = (o: RnnApplyOptions) => (xs: Tensor, h: Tensor, c: Tensor, w: Record<string, Tensor>) => {
    const r = net.apply(importTorchModule(net, w), xs, { ...o, initialState: importTorchState(net, { h0: h, c0: c }) });
    const s = exportTorchState(net, r.finalState);
    return { y: r.outputs, ...s };
  };
  const loss = (o: RnnApplyOptions) => (xs: Tensor, h: Tensor, c: Tensor, w: Record<string, Tensor>) => {
    const r = run(o)(xs, h, c, w);
    const l = add(sum(mul(r.y, R)), sum(mul(r.hn, Rh)));
    return Rc === undefined ? l : add(l, sum(mul(r.cn!, Rc)));
  };

  it.each(paths)('outputs and final states agree to 1e-10: %s', (_, o) => {
    const r = run(o)(x, h0, c0, sd);
    expect(maxAbsDiff(r.y, g.y)).toBeLessThan(1e-10);
    expect(maxAbsDiff(r.hn, g.hn)).toBeLessThan(1e-10);
    if (g.cn !== undefined) expect(maxAbsDiff(r.cn!, g.cn)).toBeLessThan(1e-10);
    else expect(r.cn).toBeUndefined();
  });

  it.each(paths)('every gradient agrees to 1e-10: %s', (_, o) => {
    const [gx, gh, gc, gw] = grad(loss(o), { argnums: [0, 1, 2, 3] })(x, h0, c0, sd) as [Tensor, Tensor, Tensor, Record<string, Tensor>];
    expect(maxAbsDiff(gx, g.grads['x']!)).toBeLessThan(1e-10);
    expect(maxAbsDiff(gh, g.grads['h0']!)).toBeLessThan(1e-10);
    if (g.grads['c0'] !== undefined) expect(maxAbsDiff(gc, g.grads['c0'])).toBeLessThan(1e-10);
    const names = Object.keys(g.params);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) {
      expect(g.grads[n], n).toBeDefined();
      expect(maxAbsDiff(gw[n]!, g.grads[n]!), n).toBeLessThan(1e-10);
    }
  });

  it('the gradients are not trivially small (the comparison has teeth)', () => {
    const gx = grad(loss({}))(x, h0, c0, sd);
    expect(Math.max(...Array.from(gx.toArray(), Math.abs))).toBeGreaterThan(1e-2);
  });
});
