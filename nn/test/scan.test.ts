/**
 * scan (masks, lengths, reverse, probes, checkpointing, fused kernel),
 * stackCells, rnn (stacked, bidirectional, dropout) and truncatedBptt.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, MnemoError, ShapeError, bernoulli, foldIn, key, normal, tensor, zeros, type Key, type Tensor } from '@mnemo/core';
import { add, concat, gather, grad, hessianVectorProduct, index, mul, stack, sum, tree, type Tree } from '@mnemo/autodiff';
import {
  explainScan,
  lstmCell,
  makeCell,
  rnn,
  scan,
  sequenceMask,
  stackCells,
  truncatedBptt,
  type Cell,
  type GatedCell,
  type GateProbes,
  type ScanOptions,
} from '@mnemo/nn';

const F64 = 'float64' as const;
const B = 3;
const T = 5;
const D = 2;
const H = 3;

function randomParams<P extends Tree>(cell: { init(k: Key): P }, k: Key): P {
  let n = 0;
  return tree.map(cell.init(k), (t) => normal(foldIn(k, 100 + n++), t.shape, { dtype: t.dtype, std: 0.5 }));
}
const arr = (t: Tensor): number[] => Array.from(t.toArray());
function maxDiff(a: Tree, b: Tree): number {
  const la = tree.leaves(a);
  const lb = tree.leaves(b);
  expect(la.length).toBe(lb.length);
  let m = 0;
  la.forEach((x, i) => {
    expect(x.shape).toEqual(lb[i]!.shape);
    const u = x.toArray();
    const v = lb[i]!.toArray();
    for (let j = 0; j < u.length; j++) m = Math.max(m, Math.abs(u[j]! - v[j]!));
  });
  return m;
}

/** The plain loop of cell.step that scan must equal. */
function loop<P extends Tree, S extends Tree>(cell: Cell<P, S>, p: P, xs: Tensor, s0: S): { outputs: Tensor; finalState: S } {
  let s = s0;
  const ys: Tensor[] = [];
  for (let t = 0; t < xs.shape[1]!; t++) {
    const [s1, y] = cell.step(p, s, index(xs, 1, t));
    s = s1;
    ys.push(y);
  }
  return { outputs: stack(ys, 1), finalState: s };
}

const NAMES = ['lstm', 'lstm+peephole', 'lstm+cifg+fgr', 'gru', 'gru+reset-after', 'mgu', 'mut1', 'mut2', 'mut3', 'rnn'];
const cellOf = (n: string): GatedCell => makeCell(n, { inputSize: D, hiddenSize: H, dtype: F64 });

describe('scan', () => {
  const xs = normal(key(1), [B, T, D], { dtype: F64 });

  it.each(NAMES)('%s: equals the loop of cell.step, with and without input projection', (n) => {
    const cell = cellOf(n);
    const p = randomParams(cell, key(2));
    const s0 = tree.map(cell.initialState(B), (t) => normal(key(3), t.shape, { dtype: F64 }));
    const ref = loop(cell, p, xs, s0);
    for (const projectInputs of [true, false]) {
      const r = scan(cell, p, xs, { initialState: s0, projectInputs });
      expect(maxDiff(r.outputs, ref.outputs)).toBeLessThan(1e-13);
      expect(maxDiff(r.finalState, ref.finalState)).toBeLessThan(1e-13);
    }
  });

  it.each(NAMES)('%s: reverse equals a forward scan of the time-reversed input, outputs put back in place', (n) => {
    const cell = cellOf(n);
    const p = randomParams(cell, key(4));
    const rev = (t: Tensor) => gather(t, tensor([4, 3, 2, 1, 0]), 1);
    const f = scan(cell, p, rev(xs));
    const r = scan(cell, p, xs, { reverse: true });
    expect(maxDiff(r.outputs, rev(f.outputs))).toBe(0);
    expect(maxDiff(r.finalState, f.finalState)).toBe(0);
  });

  it.each(NAMES)('%s: lengths: padded steps keep the state, output 0 and get exactly zero gradient', (n) => {
    const cell = cellOf(n);
    const p = randomParams(cell, key(5));
    const lengths = [5, 2, 0];
    const r = scan(cell, p, xs, { lengths });
    lengths.forEach((L, b) => {
      const xb = gather(xs, tensor([b]), 0);
      if (L > 0) {
        const alone = scan(cell, p, gather(xb, tensor(Array.from({ length: L }, (_, t) => t)), 1));
        expect(maxDiff(gather(gather(r.outputs, tensor([b]), 0), tensor(Array.from({ length: L }, (_, t) => t)), 1), alone.outputs)).toBeLessThan(1e-14);
        expect(maxDiff(tree.map(r.finalState, (s) => gather(s, tensor([b]), 0)), alone.finalState)).toBeLessThan(1e-14);
      } else {
        expect(maxDiff(tree.map(r.finalState, (s) => gather(s, tensor([b]), 0)), cell.initialState(1))).toBe(0);
      }
      const out = arr(gather(r.outputs, tensor([b]), 0));
      expect(out.slice(L * H).every((v) => v === 0)).toBe(true);
    });
    // zero gradient into padded inputs (and a real one into the others)
    const R = normal(key(6), [B, T, cell.outputSize], { dtype: F64 });
    const gx = grad((x: Tensor) => {
      const o = scan(cell, p, x, { lengths });
      return add(sum(mul(o.outputs, R)), tree.leaves(o.finalState).reduce<Tensor>((acc, l) => add(acc, sum(l)), sum(mul(o.outputs, 0))));
    })(xs);
    const g = arr(gx);
    lengths.forEach((L, b) => {
      for (let t = 0; t < T; t++) {
        const row = g.slice((b * T + t) * D, (b * T + t + 1) * D);
        if (t >= L) expect(row.every((v) => v === 0), `b ${b} t ${t}`).toBe(true);
        else expect(row.some((v) => v !== 0), `b ${b} t ${t}`).toBe(true);
      }
    });
  });

  it('reverse with lengths starts each sequence at its own last real step (packed-sequence semantics)', () => {
    const cell = cellOf('lstm');
    const p = randomParams(cell, key(7));
    const r = scan(cell, p, xs, { lengths: [5, 3, 1], reverse: true });
    const b = 1;
    const xb = gather(gather(xs, tensor([b]), 0), tensor([0, 1, 2]), 1);
    const alone = scan(cell, p, xb, { reverse: true });
    expect(maxDiff(gather(gather(r.outputs, tensor([b]), 0), tensor([0, 1, 2]), 1), alone.outputs)).toBeLessThan(1e-14);
    expect(maxDiff(tree.map(r.finalState, (s) => gather(s, tensor([b]), 0)), alone.finalState)).toBeLessThan(1e-14);
  });

  it('a mask equals the lengths it encodes; sequenceMask builds it', () => {
    const cell = cellOf('gru');
    const p = randomParams(cell, key(8));
    const a = scan(cell, p, xs, { lengths: [4, 1, 5] });
    const m = sequenceMask([4, 1, 5], T, F64);
    const b = scan(cell, p, xs, { mask: m });
    expect(maxDiff(a.outputs, b.outputs)).toBe(0);
    expect(arr(m)).toEqual([1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    // an all-ones mask is no mask at all
    expect(maxDiff(scan(cell, p, xs, { mask: sequenceMask([5, 5, 5], T, F64) }).outputs, scan(cell, p, xs).outputs)).toBe(0);
  });

  it.each(['lstm+peephole', 'gru', 'mut2'])('%s: checkpointEvery gives the same values and gradients', (n) => {
    const cell = cellOf(n);
    const p = randomParams(cell, key(9));
    const R = normal(key(10), [B, T, H], { dtype: F64 });
    const loss = (o: ScanOptions<Tree>) => (q: Tree, x: Tensor) => sum(mul(scan(cell, q, x, { ...o, lengths: [5, 3, 4] }).outputs, R));
    const g0 = grad(loss({}), { argnums: [0, 1] })(p, xs);
    for (const every of [1, 2, 3, 5]) {
      const g1 = grad(loss({ checkpointEvery: every }), { argnums: [0, 1] })(p, xs);
      expect(maxDiff(g0 as Tree, g1 as Tree), `every ${every}`).toBeLessThan(1e-14);
    }
  });

  it('probes per step: zero probes change nothing, and their gradient is the gradient of the gate pre-activation', () => {
    const cell = cellOf('lstm+peephole');
    const p = randomParams(cell, key(11));
    const zeroProbes = (): GateProbes[] => Array.from({ length: T }, () => Object.fromEntries(cell.gates.map((g) => [g, tensor(new Float64Array(B * H), F64, [B, H])])));
    // Probes run on the tape: compare with the tape path bit for bit (the compiled one agrees to rounding).
    const plain = scan(cell, p, xs, { compile: false });
    expect(maxDiff(scan(cell, p, xs, { probes: zeroProbes() }).outputs, plain.outputs)).toBe(0);
    // d loss / d probe_f(t) by central differences on one entry
    const R = normal(key(12), [B, T, H], { dtype: F64 });
    const lossOf = (pr: GateProbes[]) => sum(mul(scan(cell, p, xs, { probes: pr }).outputs, R));
    const g = grad(lossOf)(zeroProbes()) as GateProbes[];
    const t = 2;
    const eps = 1e-6;
    const bump = (v: number) => {
      const pr = zeroProbes();
      const d = new Float64Array(B * H);
      d[4] = v;
      pr[t] = { ...pr[t], f: tensor(d, F64, [B, H]) };
      return lossOf(pr).item();
    };
    const fd = (bump(eps) - bump(-eps)) / (2 * eps);
    expect(Math.abs(g[t]!['f']!.toArray()[4]! - fd)).toBeLessThan(1e-8);
    expect(Math.abs(fd)).toBeGreaterThan(1e-4);
  });

  it('the compiled path (default) and the tape path give the same values and gradients, forward and reverse', () => {
    const cell = lstmCell({ inputSize: D, hiddenSize: H, dtype: F64 });
    const p = randomParams(cell, key(13));
    const R = normal(key(14), [B, T, H], { dtype: F64 });
    expect(explainScan(cell, p, xs).compiled).toBe(true);
    for (const reverse of [false, true]) {
      const loss = (compile: boolean) => (q: Tree, x: Tensor) => {
        const o = scan(cell, q as typeof p, x, { compile, reverse });
        return add(sum(mul(o.outputs, R)), sum(mul(o.finalState.c, 2)));
      };
      expect(Math.abs(loss(true)(p, xs).item() - loss(false)(p, xs).item())).toBeLessThan(1e-13);
      const ga = grad(loss(true), { argnums: [0, 1] })(p, xs);
      const gb = grad(loss(false), { argnums: [0, 1] })(p, xs);
      expect(maxDiff(ga as Tree, gb as Tree)).toBeLessThan(1e-13);
    }
  });

  it('second order: a Hessian-vector product through scan matches central differences of the gradient', () => {
    for (const n of ['lstm+peephole', 'gru', 'mut3']) {
      const cell = cellOf(n);
      const p = randomParams(cell, key(17));
      const v = randomParams(cell, key(18));
      const R = normal(key(19), [B, T, H], { dtype: F64 });
      const loss = (q: Tree) => sum(mul(scan(cell, q, xs, { lengths: [5, 2, 4], checkpointEvery: 2 }).outputs, R));
      const hv = hessianVectorProduct(loss, p, v);
      const eps = 1e-5;
      const shifted = (s: number) => grad(loss)(tree.map(p, (a, b) => add(a, mul(b!, s * eps)), v));
      const fd = tree.map(shifted(1), (a, b) => mul(add(a, mul(b!, -1)), 1 / (2 * eps)), shifted(-1));
      expect(maxDiff(hv, fd), n).toBeLessThan(1e-6);
      expect(Math.max(...tree.leaves(hv).flatMap((l) => Array.from(l.toArray(), Math.abs))), n).toBeGreaterThan(1e-3);
    }
  });

  it('central differences agree with the gradient of every cell (float64 sanity check)', () => {
    for (const n of [...NAMES, 'lstm+nig+noaf', 'lstm+niaf+nog']) {
      const cell = cellOf(n);
      const p = randomParams(cell, key(15));
      const R = normal(key(16), [B, T, H], { dtype: F64 });
      const loss = (q: Tree) => sum(mul(scan(cell, q, xs, { lengths: [5, 4, 2] }).outputs, R));
      const g = grad(loss)(p);
      const [leaves, def] = tree.flatten(p);
      const gl = tree.leaves(g);
      leaves.forEach((leaf, li) => {
        const d = leaf.toArray();
        for (const j of [0, d.length - 1, Math.floor(d.length / 2)]) {
          const at = (v: number) => {
            const e = Float64Array.from(d);
            e[j] = v;
            return loss(tree.unflatten(def, leaves.map((l, k) => (k === li ? tensor(e, F64, l.shape) : l))) as Tree).item();
          };
          const eps = 1e-6;
          const fd = (at(d[j]! + eps) - at(d[j]! - eps)) / (2 * eps);
          const an = gl[li]!.toArray()[j]!;
          expect(Math.abs(an - fd), `${n} leaf ${li} entry ${j}: ${an} vs ${fd}`).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
        }
      });
    }
  });
});

describe('stackCells and rnn', () => {
  const xs = normal(key(21), [B, T, D], { dtype: F64 });
  const c0 = lstmCell({ inputSize: D, hiddenSize: H, dtype: F64 });
  const c1 = makeCell('gru', { inputSize: H, hiddenSize: 4, dtype: F64 });

  it('a stack of cells stepped over time equals the layer-by-layer rnn', () => {
    const deep = stackCells([c0, c1]);
    const net = rnn({ cells: [c0, c1] });
    const params = net.init(key(22));
    const a = net.apply(params, xs);
    const b = scan(deep, params.map((l) => l.fwd), xs);
    expect(a.outputs.shape).toEqual([B, T, 4]);
    expect(maxDiff(a.outputs, b.outputs)).toBeLessThan(1e-14);
    expect(maxDiff(a.finalState.map((s) => s.fwd), b.finalState)).toBeLessThan(1e-14);
  });

  it('stackCells routes probes named <layer>.<gate> to that layer', () => {
    const deep = stackCells([c0, c1]);
    const p = deep.init(key(23));
    const x = index(xs, 1, 0);
    const bump = tensor(new Float64Array(B * 4).fill(0.3), F64, [B, 4]);
    const [, y0] = deep.step(p, deep.initialState(B), x);
    const [, y1] = deep.step(p, deep.initialState(B), x, { '1.z': bump });
    const [, y2] = c1.step(p[1]!, c1.initialState(B), c0.step(p[0] as never, c0.initialState(B), x)[1], { z: bump });
    expect(arr(y1)).toEqual(arr(y2));
    expect(arr(y1)).not.toEqual(arr(y0));
    expect(() => deep.step(p, deep.initialState(B), x, { z: bump })).toThrow(/probes of a stack are named <layer>.<gate>/);
  });

  it('bidirectional: outputs are [forward, backward] along the features, each direction its own parameters', () => {
    const cells = [c0, lstmCell({ inputSize: 2 * H, hiddenSize: H, dtype: F64 })];
    const net = rnn({ cells, bidirectional: true });
    expect(net.outputSize).toBe(2 * H);
    const params = net.init(key(24));
    const r = net.apply(params, xs, { lengths: [5, 3, 4] });
    const f0 = scan(cells[0]!, params[0]!.fwd, xs, { lengths: [5, 3, 4] });
    const b0 = scan(cells[0]!, params[0]!.bwd!, xs, { lengths: [5, 3, 4], reverse: true });
    const y0 = concat([f0.outputs, b0.outputs], -1);
    const f1 = scan(cells[1]!, params[1]!.fwd, y0, { lengths: [5, 3, 4] });
    const b1 = scan(cells[1]!, params[1]!.bwd!, y0, { lengths: [5, 3, 4], reverse: true });
    expect(maxDiff(r.outputs, concat([f1.outputs, b1.outputs], -1))).toBe(0);
    expect(maxDiff(r.finalState[1]!.bwd!, b1.finalState)).toBe(0);
    expect(arr((params[0]!.fwd as { wx: Tensor }).wx)).not.toEqual(arr((params[0]!.bwd as { wx: Tensor }).wx));
  });

  it('dropout between layers: only while training, reproducible from the key, scaled by 1 / (1 - p), never after the last layer', () => {
    const cells = [c0, lstmCell({ inputSize: H, hiddenSize: H, dtype: F64 })];
    const net = rnn({ cells, dropout: 0.5 });
    const params = net.init(key(25));
    const plain = net.apply(params, xs);
    expect(maxDiff(net.apply(params, xs, { training: false, key: key(1) }).outputs, plain.outputs)).toBe(0);
    const a = net.apply(params, xs, { training: true, key: key(26) });
    const b = net.apply(params, xs, { training: true, key: key(26) });
    const c = net.apply(params, xs, { training: true, key: key(27) });
    expect(maxDiff(a.outputs, b.outputs)).toBe(0);
    expect(maxDiff(a.outputs, c.outputs)).toBeGreaterThan(0);
    // layer 0's outputs, dropped by hand with the documented mask, feed layer 1
    const y0 = scan(cells[0]!, params[0]!.fwd, xs).outputs;
    const m = bernoulli(foldIn(key(26), 0), 0.5, y0.shape, F64);
    const byHand = scan(cells[1]!, params[1]!.fwd, mul(y0, mul(m, 2)));
    expect(maxDiff(a.outputs, byHand.outputs)).toBe(0);
    const kept = arr(m).filter((v) => v === 1).length / m.size;
    expect(kept).toBeGreaterThan(0.25);
    expect(kept).toBeLessThan(0.75);
    const oneLayer = rnn({ cells: [cells[0]!], dropout: 0.5 });
    expect(maxDiff(oneLayer.apply([params[0]!], xs, { training: true, key: key(3) }).outputs, y0)).toBe(0);
    expect(() => net.apply(params, xs, { training: true })).toThrow(/rnn: argument 'key': dropout 0.5 while training needs a random key/);
  });

  it('truncatedBptt: chunks carry the state forward with its gradient stopped', () => {
    const cell = cellOf('lstm');
    const p = randomParams(cell, key(28));
    const full = scan(cell, p, xs);
    const gradsInit: Tensor[] = [];
    const { finalState, results } = truncatedBptt(xs, 2, cell.initialState(B), (chunk, state, info) => {
      // the gradient of this chunk's loss with respect to the carried state's
      // source is cut: differentiating through `state` as a constant works
      const g = grad((s: typeof state) => sum(scan(cell, p, chunk, { initialState: s }).outputs))(state);
      gradsInit.push((g as { h: Tensor }).h);
      return [scan(cell, p, chunk, { initialState: state }).finalState, info] as const;
    });
    expect(results.map((r) => [r.index, r.start, r.end])).toEqual([
      [0, 0, 2],
      [1, 2, 4],
      [2, 4, 5],
    ]);
    expect(maxDiff(finalState, full.finalState)).toBeLessThan(1e-14);
    // Under an outer grad, the chunks' losses (returned as results) reach the
    // parameters only through their own chunk: the same as differentiating
    // each chunk from a constant initial state.
    const R = normal(key(29), [B, T, H], { dtype: F64 });
    const gTrunc = grad((q: typeof p) => {
      const r = truncatedBptt(xs, 2, cell.initialState(B), (chunk, st, info) => {
        const o = scan(cell, q, chunk, { initialState: st });
        return [o.finalState, sum(mul(o.outputs, gather(R, tensor(Array.from({ length: info.end - info.start }, (_, j) => info.start + j)), 1)))] as const;
      });
      return r.results.reduce((a, l) => add(a, l));
    })(p);
    let manual: Tree | undefined;
    let st = cell.initialState(B);
    for (const [a, b] of [[0, 2], [2, 4], [4, 5]] as const) {
      const idx = tensor(Array.from({ length: b - a }, (_, j) => a + j));
      const chunk = gather(xs, idx, 1);
      const s0 = st;
      const g = grad((q: typeof p) => sum(mul(scan(cell, q, chunk, { initialState: s0 }).outputs, gather(R, idx, 1))))(p);
      manual = manual === undefined ? g : tree.map(manual, (u, v) => add(u, v!), g);
      st = scan(cell, p, chunk, { initialState: s0 }).finalState;
    }
    expect(maxDiff(gTrunc, manual!)).toBeLessThan(1e-13);
    // without truncation the gradient differs (the cut is real)
    const gFull = grad((q: typeof p) => sum(mul(scan(cell, q, xs).outputs, R)))(p);
    expect(maxDiff(gFull, manual!)).toBeGreaterThan(1e-6);
  });
});

/** `f` throws a MnemoError of class `cls` from `op` about `arg` (not a TypeError or RangeError from inside); returns its message. */
function refused(f: () => unknown, cls: typeof ArgumentError | typeof ShapeError, op: string, arg: string): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${op} ${arg}`).toBeInstanceOf(cls);
  expect((caught as MnemoError).op).toBe(op);
  expect((caught as MnemoError).arg).toBe(arg);
  return (caught as Error).message;
}

describe('malformed arguments: typed errors, never a crash inside (found by the fuzz suite)', () => {
  const cell = lstmCell({ inputSize: D, hiddenSize: H, dtype: F64 });
  const p = cell.init(key(0));
  const xs = zeros([2, 3, D], F64);
  const bare = (): object => Object.create(null) as object;

  it('scan and explainScan check the cell before they read its members', () => {
    for (const [f, op] of [[scan, 'scan'], [explainScan, 'explainScan']] as const) {
      expect(refused(() => f(null as never, p, xs), ArgumentError, op, 'cell')).toMatch(/expected a cell .*, got null/);
      expect(refused(() => f(undefined as never, p, xs), ArgumentError, op, 'cell')).toMatch(/got undefined/);
      expect(refused(() => f({ ...cell, inputSize: 1n } as never, p, xs), ArgumentError, op, 'cell.inputSize')).toMatch(/expected a positive integer .*, got 1n/);
      expect(refused(() => f({ ...cell, initialState: 3 } as never, p, xs), ArgumentError, op, 'cell.initialState')).toMatch(/expected a function/);
      expect(refused(() => f(cell, p, xs, 5 as never), ArgumentError, 'lstm', 'options')).toMatch(/got 5/);
      expect(f(cell, p, xs, null as never)).toBeDefined(); // null is no options, as it always was for scan
      expect(refused(() => f(cell, p, bare() as never), f === scan ? ArgumentError : ShapeError, 'lstm', 'xs')).toMatch(/got \{\}/);
    }
    expect(refused(() => scan(cell, p, xs, { reverse: 'yes' as never }), ArgumentError, 'lstm', 'options.reverse')).toMatch(/got "yes"/);
    expect(refused(() => scan(cell, p, xs, { compile: 1 as never }), ArgumentError, 'lstm', 'options.compile')).toMatch(/got 1/);
    expect(refused(() => scan(cell, p, xs, { checkpointEvery: 1n as never }), ArgumentError, 'lstm', 'checkpointEvery')).toMatch(/got 1n/);
    expect(refused(() => scan(cell, p, xs, { lengths: bare() as never }), ArgumentError, 'lstm', 'lengths')).toMatch(/got \{\}/);
    expect(refused(() => scan(cell, p, xs, { mask: bare() as never }), ArgumentError, 'lstm', 'mask')).toMatch(/got \{\}/);
    expect(refused(() => explainScan(cell, p, xs, { inputGradient: 'no' as never }), ArgumentError, 'lstm', 'options.inputGradient')).toMatch(/got "no"/);
    expect(scan(cell, p, xs, undefined).outputs.shape).toEqual([2, 3, H]);
  });

  it('sequenceMask checks the size before it allocates, and every length', () => {
    expect(refused(() => sequenceMask([1], 2 ** 31), ArgumentError, 'sequenceMask', 'steps')).toMatch(/got 2147483648/);
    expect(refused(() => sequenceMask([1, 1, 1], 2 ** 30), ShapeError, 'sequenceMask', 'steps')).toMatch(/more than 2147483647/);
    expect(refused(() => sequenceMask([1], bare() as never), ArgumentError, 'sequenceMask', 'steps')).toMatch(/got \{\}/);
    expect(refused(() => sequenceMask([1], 1n as never), ArgumentError, 'sequenceMask', 'steps')).toMatch(/got 1n/);
    expect(refused(() => sequenceMask([1n] as never, 2), ArgumentError, 'sequenceMask', 'lengths[0]')).toMatch(/got 1n/);
    expect(refused(() => sequenceMask([, 1] as never, 2), ArgumentError, 'sequenceMask', 'lengths[0]')).toMatch(/got undefined/);
    expect(refused(() => sequenceMask(bare() as never, 2), ArgumentError, 'sequenceMask', 'lengths')).toMatch(/got \{\}/);
    expect(refused(() => sequenceMask([1], 2, 'float16' as never), ArgumentError, 'sequenceMask', 'dtype')).toMatch(/float16/);
    expect(arr(sequenceMask(tensor([2, 0]), 2))).toEqual([1, 1, 0, 0]);
  });

  it('truncatedBptt names a chunk that is not a size, and a body that does not return [state, result]', () => {
    expect(refused(() => truncatedBptt(xs, bare() as never, cell.initialState(2), () => [cell.initialState(2), 0] as const), ArgumentError, 'truncatedBptt', 'chunk')).toMatch(/got \{\}/);
    expect(refused(() => truncatedBptt(xs, 2n as never, cell.initialState(2), () => [cell.initialState(2), 0] as const), ArgumentError, 'truncatedBptt', 'chunk')).toMatch(/got 2n/);
    expect(refused(() => truncatedBptt(xs, 2, cell.initialState(2), () => 5 as never), ArgumentError, 'truncatedBptt', 'body')).toMatch(/must return \[state, result\], returned 5 for chunk 0/);
  });

  it('stackCells and rnn check every cell, and apply its options and states', () => {
    expect(refused(() => stackCells([cell, { ...cell, gates: 'i' } as never]), ArgumentError, 'stackCells', 'cells[1].gates')).toMatch(/got "i"/);
    expect(refused(() => stackCells([cell, null as never]), ArgumentError, 'stackCells', 'cells[1]')).toMatch(/got null/);
    const deep = stackCells([cell]);
    expect(refused(() => deep.step([p], [cell.initialState(1)], zeros([1, D], F64), null as never), ArgumentError, 'stack(lstm)', 'probes')).toMatch(/got null/);
    expect(refused(() => rnn({ cells: [cell], dropout: 1n as never }), ArgumentError, 'rnn', 'dropout')).toMatch(/got 1n/);
    const net = rnn({ cells: [cell] });
    const q = net.init(key(1));
    expect(refused(() => net.apply(q, xs, null as never), ArgumentError, 'rnn', 'options')).toMatch(/got null/);
    expect(refused(() => net.apply(q, xs, { initialState: null as never }), ArgumentError, 'rnn', 'initialState')).toMatch(/got null/);
    expect(refused(() => net.apply(q, xs, { initialState: [null as never] }), ArgumentError, 'rnn', 'initialState[0]')).toMatch(/got null/);
    expect(refused(() => net.apply([null as never], xs), ArgumentError, 'rnn', 'params[0]')).toMatch(/got null/);
    expect(refused(() => net.apply(q, xs, { training: 'yes' as never }), ArgumentError, 'rnn', 'options.training')).toMatch(/got "yes"/);
    expect(net.apply(q, xs, { initialState: net.initialState(2) }).outputs.shape).toEqual([2, 3, H]);
  });
});
