/**
 * The compiled path of `scan` against the tape path, on every built-in cell
 * and on random cells drawn by fast-check: random elementwise programs over
 * the gate blocks of `x W_x + h W_h + b` (and the state), run over random
 * batches with masks, reverse, stacked and bidirectional layers. Outputs,
 * final states and every gradient (parameters, inputs, initial states) must
 * agree within 1e-12 relative in float64; float32 compiled runs are compared
 * directly with float32 tape runs within the tolerance stated below.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { key, normal, split, tensor, type DType, type Key, type Tensor } from '@mnemo/core';
import * as ad from '@mnemo/autodiff';
import { explainScan, makeCell, rnn, scan, type Cell, type ScanOptions } from '@mnemo/nn';
import { gradgradcheck } from '@mnemo/proofs';
import { runs } from './helpers.js';

/**
 * float32, compiled against the tape: their transcendental functions differ
 * (polynomials in float32 lanes against Math.* rounded to float32, a few
 * units in the last place) and their sums run in another order.
 */
const F32_TOLERANCE = { outputs: 2e-5, gradients: 2e-4 };
const F64_TOLERANCE = 1e-12;

/** Largest |a - b| over the largest |b|, over every leaf of two pytrees of the same structure. */
function relDiff(a: ad.Tree, b: ad.Tree): number {
  const la = ad.tree.leaves(a);
  const lb = ad.tree.leaves(b);
  expect(la.length).toBe(lb.length);
  let diff = 0;
  let scale = 0;
  la.forEach((x, i) => {
    const u = x.toArray();
    const v = lb[i]!.toArray();
    expect(u.length).toBe(v.length);
    for (let j = 0; j < u.length; j++) {
      const d = Math.abs(u[j]! - v[j]!);
      diff = Math.max(diff, Number.isNaN(d) ? Infinity : d);
      scale = Math.max(scale, Math.abs(v[j]!));
    }
  });
  return diff / Math.max(scale, 1e-30);
}

/** A loss that reads every output and every final state leaf through fixed random weights. */
function lossOf(run: (p: ad.Tree, s0: ad.Tree, xs: Tensor) => { outputs: Tensor; finalState: ad.Tree }, k: Key) {
  return (p: ad.Tree, s0: ad.Tree, xs: Tensor): Tensor => {
    const r = run(p, s0, xs);
    const finals = ad.tree.leaves(r.finalState);
    const keys = split(k, finals.length + 1);
    let l = ad.sum(ad.mul(r.outputs, normal(keys[0]!, r.outputs.shape, { dtype: r.outputs.dtype })));
    finals.forEach((s, i) => (l = ad.add(l, ad.sum(ad.mul(s, normal(keys[i + 1]!, s.shape, { dtype: s.dtype }))))));
    return l;
  };
}

/** Compare the compiled and tape runs of `run` (outputs, final state, all gradients). */
function compare(
  run: (compile: boolean) => (p: ad.Tree, s0: ad.Tree, xs: Tensor) => { outputs: Tensor; finalState: ad.Tree },
  p: ad.Tree,
  s0: ad.Tree,
  xs: Tensor,
  dtype: DType,
  context: string,
): void {
  const a = run(true)(p, s0, xs);
  const b = run(false)(p, s0, xs);
  const tol = dtype === 'float64' ? { outputs: F64_TOLERANCE, gradients: F64_TOLERANCE } : F32_TOLERANCE;
  expect(relDiff(a.outputs, b.outputs), `${context}: outputs`).toBeLessThan(tol.outputs);
  expect(relDiff(a.finalState, b.finalState), `${context}: final state`).toBeLessThan(tol.outputs);
  const k = key(99);
  const ga = ad.grad(lossOf(run(true), k), { argnums: [0, 1, 2] })(p, s0, xs);
  const gb = ad.grad(lossOf(run(false), k), { argnums: [0, 1, 2] })(p, s0, xs);
  (['params', 'initial state', 'inputs'] as const).forEach((what, i) => {
    expect(relDiff(ga[i] as ad.Tree, gb[i] as ad.Tree), `${context}: gradient of the ${what}`).toBeLessThan(tol.gradients);
  });
}

// ---------------------------------------------------------------------------
// Every built-in cell and variant
// ---------------------------------------------------------------------------

const BUILT_IN: readonly [string, object][] = [
  ['lstm', {}],
  ['lstm+peephole', {}],
  ['lstm+nig', {}],
  ['lstm+nfg', {}],
  ['lstm+nog', {}],
  ['lstm+niaf', {}],
  ['lstm+noaf', {}],
  ['lstm+np', {}],
  ['lstm+cifg', {}],
  ['lstm+fgr', {}],
  ['lstm+cifg+nog', {}],
  ['lstm', { projSize: 3 }],
  ['lstm', { layerNorm: true }],
  ['lstm+peephole', { layerNorm: true, projSize: 5 }],
  ['gru', {}],
  ['gru --variant reset-after', {}],
  ['mgu', {}],
  ['mut1', {}],
  ['mut2', {}],
  ['mut3', {}],
  ['rnn', {}],
  ['rnn+relu', {}],
];

const SHAPES: readonly { B: number; T: number; D: number; H: number; options: ScanOptions<never> }[] = [
  { B: 5, T: 6, D: 3, H: 8, options: {} },
  { B: 3, T: 5, D: 2, H: 5, options: { lengths: [5, 2, 4], reverse: true } },
  { B: 8, T: 9, D: 4, H: 6, options: { checkpointEvery: 4, lengths: [9, 9, 1, 3, 9, 8, 2, 9] } },
  { B: 2, T: 7, D: 3, H: 4, options: { checkpointEvery: 3, lengths: [4, 7], reverse: true } },
];

describe.each(BUILT_IN)('compiled %s %j equals the tape path', (spec, extra) => {
  it.each(SHAPES)('float64, batch $B, $T steps, options $options', ({ B, T, D, H, options }) => {
    const cell = makeCell(spec, { inputSize: D, hiddenSize: H, dtype: 'float64', ...extra }) as Cell<ad.Tree, ad.Tree>;
    const [kp, kx, ks] = split(key(T * 31 + B), 3) as [Key, Key, Key];
    const p = ad.tree.map(cell.init(kp), (t) => ad.mul(t, 1.5));
    const xs = normal(kx, [B, T, D], { dtype: 'float64' });
    const s0 = ad.tree.map(cell.initialState(B), (t) => normal(ks, t.shape, { dtype: 'float64', std: 0.5 }));
    expect(explainScan(cell, p, xs, options).compiled).toBe(true);
    compare((compile) => (q, s, x) => scan(cell, q, x, { ...options, initialState: s, compile }), p, s0, xs, 'float64', spec);
  });

  it('float32, against the float32 tape path', () => {
    const [B, T, D, H] = [4, 7, 3, 8];
    const cell = makeCell(spec, { inputSize: D, hiddenSize: H, dtype: 'float32', ...extra }) as Cell<ad.Tree, ad.Tree>;
    const p = cell.init(key(5));
    const xs = normal(key(6), [B, T, D]);
    compare((compile) => (q, s, x) => scan(cell, q, x, { initialState: s, compile }), p, cell.initialState(B), xs, 'float32', spec);
  });
});

// ---------------------------------------------------------------------------
// Random cells
// ---------------------------------------------------------------------------

/** tanh with a custom backward pass that passes half the gradient (written in ops, so compiled like the rest). */
const halfGradientTanh = ad.customVjp((x: Tensor) => ad.tanh(x), {
  fwd: (x: Tensor) => [ad.tanh(x), x] as const,
  bwd: (x: Tensor, g: Tensor) => [ad.mul(g, ad.mul(ad.sub(1, ad.square(ad.tanh(x))), 0.5))],
});

/** A row-wise op of a random cell: [batch, H] values in, a [batch, H] value out. */
type CellOp = (a: Tensor, b: Tensor, c: number) => Tensor;

const CELL_OPS: readonly [string, CellOp][] = [
  ['sigmoid', (a) => ad.sigmoid(a)],
  ['tanh', (a) => ad.tanh(a)],
  ['gate', (a, b) => ad.mul(ad.sigmoid(a), b)],
  ['mix', (a, b) => {
    const z = ad.sigmoid(a);
    return ad.add(ad.mul(z, ad.tanh(b)), ad.mul(ad.sub(1, z), b));
  }],
  ['average', (a, b) => ad.mul(ad.add(a, b), 0.5)],
  ['difference', (a, b) => ad.mul(ad.sub(a, b), 0.5)],
  ['scale', (a, _b, c) => ad.mul(a, c)],
  ['shift', (a, _b, c) => ad.add(a, c)],
  ['softsign', (a) => ad.div(a, ad.add(ad.abs(a), 1))],
  ['exp-tanh', (a) => ad.exp(ad.tanh(a))],
  ['expm1', (a) => ad.expm1(ad.mul(ad.tanh(a), 0.5))],
  ['square-damped', (a) => ad.div(ad.square(a), ad.add(ad.square(a), 1))],
  ['relu', (a) => ad.relu(a)],
  ['maximum', (a, b) => ad.maximum(a, b)],
  ['where', (a, b) => ad.where(ad.greater(a, 0), a, b)],
  ['log-sigmoid', (a) => ad.log(ad.add(ad.sigmoid(a), 0.1))],
  ['sin', (a) => ad.sin(a)],
  ['sqrt', (a) => ad.sqrt(ad.add(ad.square(a), 0.25))],
  ['normalize', (a) => ad.normalize(a, -1, 0.5)],
  ['row mean', (a, b) => ad.add(ad.mean(a, { axes: 1, keepDims: true }), b)],
  ['stop gradient', (a, b) => ad.mul(ad.stopGradient(a), b)],
  ['custom gradient', (a) => halfGradientTanh(a)],
  ['checkpoint', (a, b) => ad.checkpoint((u: Tensor, v: Tensor) => ad.tanh(ad.mul(u, v)))(a, b)],
];

interface RandomCell {
  readonly blocks: number;
  readonly twoStates: boolean;
  readonly ops: readonly { readonly op: number; readonly i: number; readonly j: number; readonly c: number }[];
}

const arbRandomCell: fc.Arbitrary<RandomCell> = fc.record({
  blocks: fc.integer({ min: 1, max: 4 }),
  twoStates: fc.boolean(),
  ops: fc.array(
    fc.record({ op: fc.nat({ max: CELL_OPS.length - 1 }), i: fc.nat(), j: fc.nat(), c: fc.double({ min: -1.5, max: 1.5, noNaN: true }) }),
    { minLength: 1, maxLength: 12 },
  ),
});

/** A cell from a random program: its values pool the gate blocks and the state; the last two values are the new state. */
function randomCell(spec: RandomCell, D: number, H: number, dtype: DType): Cell<{ wx: Tensor; wh: Tensor; b: Tensor }, ad.Tree> {
  const G = spec.blocks;
  const stateOf = (batch: number): ad.Tree => {
    const z = normal(key(batch), [batch, H], { dtype, std: 0 });
    return spec.twoStates ? { h: z, c: z } : { h: z };
  };
  return {
    name: 'random',
    inputSize: D,
    hiddenSize: H,
    outputSize: H,
    dtype,
    gates: [],
    init: (k: Key) => {
      const [a, b, c] = split(k, 3) as [Key, Key, Key];
      return {
        wx: normal(a, [D, G * H], { dtype, std: 0.6 }),
        wh: normal(b, [H, G * H], { dtype, std: 0.6 }),
        b: normal(c, [G * H], { dtype, std: 0.3 }),
      };
    },
    initialState: stateOf,
    step: (p, s, x) => {
      const st = s as { h: Tensor; c?: Tensor };
      const pre = ad.add(ad.add(ad.matmul(x, p.wx), ad.matmul(st.h, p.wh)), p.b);
      const pool: Tensor[] = [];
      for (let g = 0; g < G; g++) pool.push(ad.sliceAxis(pre, 1, g * H, (g + 1) * H));
      pool.push(st.h);
      if (st.c) pool.push(st.c);
      for (const o of spec.ops) pool.push(CELL_OPS[o.op]![1](pool[o.i % pool.length]!, pool[o.j % pool.length]!, o.c));
      // bounded new states
      const h = ad.tanh(pool[pool.length - 1]!);
      const next: ad.Tree = spec.twoStates ? { h, c: ad.tanh(pool[pool.length - 2] ?? pool[0]!) } : { h };
      return [next, h] as const;
    },
  };
}

describe('random cells drawn by fast-check: compiled equals the tape path', () => {
  it('float64, single layer, with random masks and direction', () => {
    fc.assert(
      fc.property(arbRandomCell, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.boolean(), fc.nat(), (spec, B, T, reverse, masked, seed) => {
        const [D, H] = [3, 4];
        const cell = randomCell(spec, D, H, 'float64');
        const [kp, kx, ks] = split(key(seed), 3) as [Key, Key, Key];
        const p = cell.init(kp);
        const xs = normal(kx, [B, T, D], { dtype: 'float64' });
        const s0 = ad.tree.map(cell.initialState(B), (t) => normal(ks, t.shape, { dtype: 'float64', std: 0.5 }));
        const lengths = Array.from({ length: B }, (_, b) => 1 + ((seed + b * 7) % T));
        const options: ScanOptions<never> = { reverse, ...(masked ? { lengths } : {}) };
        const e = explainScan(cell, p, xs, options);
        if (!e.compiled) throw new Error(`a random cell was not compiled: ${e.reason}`);
        compare((compile) => (q, s, x) => scan(cell, q as never, x, { ...options, initialState: s as never, compile }), p, s0, xs, 'float64', spec.ops.map((o) => CELL_OPS[o.op]![0]).join(' > '));
      }),
      { numRuns: runs(40) },
    );
  });

  it('float64, stacked and bidirectional layers (two random cells)', () => {
    fc.assert(
      fc.property(arbRandomCell, arbRandomCell, fc.boolean(), fc.nat(), (s1, s2, bidirectional, seed) => {
        const [B, T, D, H] = [3, 4, 2, 4];
        const c1 = randomCell(s1, D, H, 'float64');
        const c2 = randomCell(s2, bidirectional ? 2 * H : H, H, 'float64');
        const net = rnn({ cells: [c1, c2] as Cell<ad.Tree, ad.Tree>[], bidirectional });
        const p = net.init(key(seed));
        const xs = normal(key(seed + 1), [B, T, D], { dtype: 'float64' });
        const s0 = net.initialState(B);
        compare((compile) => (q, s, x) => net.apply(q as never, x, { initialState: s as never, compile, lengths: [4, 1, 3] }), p, s0, xs, 'float64', 'stack');
      }),
      { numRuns: runs(15) },
    );
  });

  it('float32 compiled against the float32 tape path', () => {
    fc.assert(
      fc.property(arbRandomCell, fc.nat(), (spec, seed) => {
        const [B, T, D, H] = [4, 5, 3, 8];
        const cell = randomCell(spec, D, H, 'float32');
        const p = cell.init(key(seed));
        const xs = normal(key(seed + 1), [B, T, D]);
        compare((compile) => (q, s, x) => scan(cell, q as never, x, { initialState: s as never, compile }), p, cell.initialState(B), xs, 'float32', 'float32');
      }),
      { numRuns: runs(15) },
    );
  });
});

// ---------------------------------------------------------------------------
// Nested differentiation through a compiled scan
// ---------------------------------------------------------------------------

describe('nested differentiation through a compiled scan is exact', () => {
  // The case the hand-fused kernel got wrong by the size of the whole result: a 3-to-4 LSTM over 5 steps.
  const cell = makeCell('lstm', { inputSize: 3, hiddenSize: 4, dtype: 'float64' }) as Cell<ad.Tree, ad.Tree>;
  const net = rnn({ cells: [cell] });
  const p = net.init(key(1));
  const v = net.init(key(2));
  const xs = normal(key(3), [2, 5, 3], { dtype: 'float64' });
  const R = normal(key(4), [2, 5, 4], { dtype: 'float64' });
  const loss = (compile: boolean) => (q: ad.Tree): Tensor => ad.sum(ad.mul(ad.tanh(net.apply(q as never, xs, { compile }).outputs), R));

  it('the first-order gradient is taken compiled', () => {
    expect(explainScan(cell, (p as { fwd: ad.Tree }[])[0]!.fwd, xs).compiled).toBe(true);
  });

  it('hessianVectorProduct agrees with the tape path and with central differences of the gradient', () => {
    const hv = ad.hessianVectorProduct(loss(true), p, v);
    const hvTape = ad.hessianVectorProduct(loss(false), p, v);
    expect(relDiff(hv, hvTape)).toBeLessThan(1e-12);
    const eps = 1e-5;
    const gradAt = (s: number) => ad.grad(loss(true))(ad.tree.map(p, (a, b) => ad.add(a, ad.mul(b!, s * eps)), v));
    const fd = ad.tree.map(gradAt(1), (a, b) => ad.mul(ad.sub(a, b!), 1 / (2 * eps)), gradAt(-1));
    expect(relDiff(hv, fd)).toBeLessThan(1e-7);
    expect(Math.max(...ad.tree.leaves(hv).flatMap((l) => Array.from(l.toArray(), Math.abs)))).toBeGreaterThan(1e-2);
  });

  it('jvp agrees with the tape path (its transposed pullback differentiates the compiled backward pass)', () => {
    const f = (compile: boolean) => (q: ad.Tree) => net.apply(q as never, xs, { compile }).outputs;
    const [y1, t1] = ad.jvp(f(true), [p], [v]);
    const [y2, t2] = ad.jvp(f(false), [p], [v]);
    expect(relDiff(y1, y2)).toBeLessThan(1e-12);
    expect(relDiff(t1, t2)).toBeLessThan(1e-12);
  });

  it('grad of grad agrees with the tape path, and gradgradcheck passes', () => {
    const gg = (compile: boolean) => ad.grad((q: ad.Tree) => ad.sum(ad.tree.leaves(ad.grad(loss(compile))(q)).reduce((acc: Tensor, t: Tensor) => ad.add(acc, ad.sum(ad.square(t))), ad.mul(ad.sum(xs), 0))));
    expect(relDiff(gg(true)(p), gg(false)(p))).toBeLessThan(1e-12);
    const small = makeCell('gru', { inputSize: 2, hiddenSize: 2, dtype: 'float64' }) as Cell<ad.Tree, ad.Tree>;
    const ps = small.init(key(7));
    const x2 = normal(key(8), [1, 3, 2], { dtype: 'float64' });
    const r = gradgradcheck((q: ad.Tree) => ad.sum(ad.tanh(scan(small, q, x2).outputs)), [ps]);
    if (r._tag === 'Left') throw new Error(r.left.message);
    expect(r.right.checked).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------
// What the compiler declines, and says why
// ---------------------------------------------------------------------------

describe('a cell the compiler cannot take runs on the tape, and explainScan names the primitive', () => {
  const D = 2;
  const H = 3;
  const base = makeCell('rnn', { inputSize: D, hiddenSize: H, dtype: 'float64' }) as Cell<ad.Tree, ad.Tree>;
  const variants: [string, string, (h: Tensor) => Tensor][] = [
    ['batch statistics (a mean over the batch)', 'sum', (h) => ad.sub(h, ad.mean(h, { axes: 0, keepDims: true }))],
    ['rows mixed across the batch', 'gather', (h) => ad.gather(h, tensor(Array.from({ length: h.shape[0]! }, (_, i) => h.shape[0]! - 1 - i), 'float64'), 0)],
    ['a transposed state', 'transpose', (h) => ad.transpose(ad.transpose(h))],
  ];
  it.each(variants)('%s', (_what, prim, twist) => {
    const cell: Cell<ad.Tree, ad.Tree> = { ...base, name: 'twisted', step: (q, s, x) => {
      const [s1, y] = base.step(q, s, x);
      const h = twist((s1 as { h: Tensor }).h);
      return [{ h }, ad.add(y, h)] as const;
    } };
    const p = cell.init(key(3));
    const xs = normal(key(4), [4, 3, D], { dtype: 'float64' });
    const e = explainScan(cell, p, xs);
    expect(e.compiled).toBe(false);
    if (!e.compiled) {
      expect(e.prim).toBe(prim);
      expect(e.reason).toContain(prim);
    }
    // ... and scan still runs it, on the tape: the same values as compile: false.
    expect(relDiff(scan(cell, p, xs).outputs, scan(cell, p, xs, { compile: false }).outputs)).toBe(0);
  });

  it('a step that reads a value (item) is named', () => {
    const cell: Cell<ad.Tree, ad.Tree> = { ...base, name: 'reader', step: (q, s, x) => {
      const [s1, y] = base.step(q, s, x);
      const h = (s1 as { h: Tensor }).h;
      return [{ h: h.toArray()[0]! > 0 ? h : ad.neg(h) }, y] as const;
    } };
    const e = explainScan(cell, cell.init(key(5)), normal(key(6), [2, 2, D], { dtype: 'float64' }));
    expect(e.compiled).toBe(false);
    if (!e.compiled) expect(e.reason).toMatch(/reads the value/);
  });

  it('probes and compile: false are reasons too', () => {
    const p = base.init(key(3));
    const xs = normal(key(4), [2, 3, D], { dtype: 'float64' });
    const off = explainScan(base, p, xs, { compile: false });
    expect(off.compiled).toBe(false);
    const probed = explainScan(base, p, xs, { probes: [undefined, undefined, undefined] });
    expect(!probed.compiled && probed.reason).toMatch(/probes/);
  });
});
