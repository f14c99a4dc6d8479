/**
 * defineCell: what derives from a definition (init and its keys, state,
 * checks, inspect, the sequence path, templates), the errors for bad options
 * and bad definitions, the types of parameters and gates; and the tutorial
 * LSTM against the variant-bearing LSTM with no variant, bit for bit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ArgumentError, ShapeError, foldIn, key, normal, split, unsafeDataOf, zeros, type DType, type Key, type Tensor } from '@mnemo/core';
import { add, index, matmul, mul, sigmoid, sub, sum, tanh, tree, valueAndGrad, type Tree } from '@mnemo/autodiff';
import {
  defineCell,
  gruCell,
  init,
  isDefinedCell,
  lstmCell,
  mguCell,
  mutCell,
  paramShapes,
  paramTemplate,
  rnnCell,
  scan,
  tutorialLstmCell,
  type Cell,
  type CellOptions,
  type DefinedCell,
  type LstmCell,
  type ParamSpec,
} from '@mnemo/nn';
import { loadParams, saveParams } from '@mnemo/nn/node';
import { variantLstmCell } from '../src/cells/lstm-variants.js';

const F64 = 'float64' as const;

/** Raw bytes, so that equal means equal bit for bit (NaN payloads and -0 included). */
const bits = (t: Tensor): string => {
  const d = unsafeDataOf(t);
  return `${t.dtype}${t.shape.join('x')}:${Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex')}`;
};
const treeBits = (t: Tree): string[] => tree.leaves(t).map(bits);

// A small cell written with defineCell, used throughout: h' = tanh(x W + h U + b), with a gate z that leaks.
const leaky = defineCell('leaky', (o: CellOptions & { readonly leak?: number }) => {
  const { inputSize: D, hiddenSize: H } = o;
  const leak = o.leak ?? 0.5;
  return {
    gates: ['z', 'n'],
    params: {
      w: { shape: [D, H], init: init.rnnUniform(H) },
      u: { shape: [H, H], init: init.rnnUniform(H) },
      b: { shape: [H], init: init.zeros },
      extra: leak > 1 ? { shape: [H], init: init.ones } : undefined,
      v: { shape: [H, H], init: init.rnnUniform(H) },
    },
    state: { h: H },
    step(p, { h }, x, gate) {
      const z = gate('z', sigmoid, matmul(h, p.v));
      const n = gate('n', tanh, add(add(matmul(x, p.w), matmul(h, p.u)), p.b));
      const h2 = add(mul(z, h), mul(sub(1, z), mul(n, leak)));
      return [{ h: h2 }, h2];
    },
    extra: { leak },
  };
});

describe('defineCell: what derives from the definition', () => {
  const cell = leaky({ inputSize: 2, hiddenSize: 3, dtype: F64 });

  it('the cell has its sizes, family, gates, layout and extra fields', () => {
    expect(cell.name).toBe('leaky');
    expect(cell.family).toBe('leaky');
    expect(leaky.family).toBe('leaky');
    expect([cell.inputSize, cell.hiddenSize, cell.outputSize, cell.gateSize, cell.inputPartSize]).toEqual([2, 3, 3, 3, 2]);
    expect(cell.gates).toEqual(['z', 'n']);
    expect(cell.leak).toBe(0.5);
    expect(cell.stateSizes).toEqual({ h: 3 });
    expect(Object.keys(cell.paramSpec)).toEqual(['w', 'u', 'b', 'v']);
    expect(Object.isFrozen(cell)).toBe(true);
    expect(isDefinedCell(cell)).toBe(true);
    expect(isDefinedCell({ name: 'x' })).toBe(false);
  });

  it('parameters draw from split(key, n)[position], counting absent entries; explicit key paths pick other keys', () => {
    const p = cell.init(key(5));
    const keys = split(key(5), 5);
    const u = init.rnnUniform(3);
    expect(bits(p.w)).toBe(bits(u(keys[0]!, [2, 3], F64)));
    expect(bits(p.u)).toBe(bits(u(keys[1]!, [3, 3], F64)));
    expect(bits(p.v)).toBe(bits(u(keys[4]!, [3, 3], F64))); // position 4: `extra` (absent) keeps slot 3
    expect(p.b.toArray().every((v) => v === 0)).toBe(true);
    expect('extra' in p).toBe(false);
    expect(Object.keys(leaky({ inputSize: 2, hiddenSize: 3, leak: 2 }).init(key(0))).sort()).toEqual(['b', 'extra', 'u', 'v', 'w']);
    expect(cell.paramSpec['v']!.key).toEqual([4]);
    // A path [2, 1] is split(split(k, 3)[2], 2)[1].
    const pathed = defineCell('pathed', ({ hiddenSize: H }: CellOptions) => ({
      gates: [],
      params: { a: { shape: [H], init: init.rnnUniform(H), key: [2, 1] }, b: { shape: [H], init: init.rnnUniform(H), key: 7 } },
      state: { h: H },
      step: (_p, s, _x) => [s, s.h] as const,
    }))({ inputSize: 1, hiddenSize: 4, dtype: F64 });
    const q = pathed.init(key(9));
    expect(bits(q.a)).toBe(bits(init.rnnUniform(4)(split(split(key(9), 3)[2]!, 2)[1]!, [4], F64)));
    expect(bits(q.b)).toBe(bits(init.rnnUniform(4)(split(key(9), 8)[7]!, [4], F64)));
  });

  it('initialState is zeros of the state widths; step, stepProjected and inspect agree; inspect reports the gates', () => {
    const p = cell.init(key(1));
    const s = cell.initialState(4);
    expect(s.h.shape).toEqual([4, 3]);
    expect(s.h.toArray().every((v) => v === 0)).toBe(true);
    const x = normal(key(2), [4, 2], { dtype: F64 });
    const s1 = { h: normal(key(3), [4, 3], { dtype: F64 }) };
    const [a, ya] = cell.step(p, s1, x);
    const [, yb] = cell.stepProjected(p, s1, x);
    const r = cell.inspect(p, s1, x);
    expect(bits(yb)).toBe(bits(ya));
    expect(bits(r.output)).toBe(bits(ya));
    expect(a.h).toBe(ya);
    expect(Object.keys(r.gates)).toEqual(['z', 'n']);
    expect(bits(r.gates['z']!)).toBe(bits(sigmoid(matmul(s1.h, p.v))));
    // Without inputPart, the sequence is its own projection.
    const xs = normal(key(4), [4, 5, 2], { dtype: F64 });
    expect(cell.projectInputs(p, xs)).toBe(xs);
  });

  it('a probe is added to its gate\'s pre-activation, and only there', () => {
    const p = cell.init(key(1));
    const s = { h: normal(key(3), [2, 3], { dtype: F64 }) };
    const x = normal(key(2), [2, 2], { dtype: F64 });
    const bump = normal(key(6), [2, 3], { dtype: F64 });
    const r = cell.inspect(p, s, x, { z: bump });
    expect(bits(r.gates['z']!)).toBe(bits(sigmoid(add(matmul(s.h, p.v), bump))));
    expect(bits(r.gates['n']!)).toBe(bits(cell.inspect(p, s, x).gates['n']!));
    expect(() => cell.step(p, s, x, { q: bump })).toThrow(/leaky: argument 'probes.q': 'q' is not a gate of this cell; its gates are z, n/);
  });

  it('gate.report tells inspect a value computed otherwise, calling a function only while inspecting', () => {
    let calls = 0;
    const c = defineCell('reporting', ({ hiddenSize: H }: CellOptions) => ({
      gates: ['k'],
      params: {},
      state: { h: H },
      step(_p, { h }, _x, gate) {
        gate.report('k', () => {
          calls++;
          return h;
        });
        return [{ h }, h];
      },
    }))({ inputSize: 1, hiddenSize: 2 });
    c.step({}, c.initialState(1), zeros([1, 1]));
    expect(calls).toBe(0);
    const r = c.inspect({}, c.initialState(1), zeros([1, 1]));
    expect(calls).toBe(1);
    expect(r.gates['k']!.shape).toEqual([1, 2]);
  });

  it('paramShapes and paramTemplate come from the definition, without drawing; for a plain Cell from a draw', () => {
    const lstm = lstmCell({ inputSize: 3, hiddenSize: 4, variant: ['peephole', 'fgr'], projSize: 2, dtype: F64 });
    const shapes = paramShapes(lstm);
    expect(shapes).toEqual({ wx: [3, 16], wh: [2, 16], b: [16], pi: [4], pf: [4], po: [4], wp: [4, 2], wg: [12, 12] });
    const t = paramTemplate(lstm);
    for (const [n, s] of Object.entries(shapes)) {
      expect(t[n]!.shape, n).toEqual(s);
      expect(t[n]!.dtype).toBe(F64);
      expect(t[n]!.toArray().every((v) => v === 0)).toBe(true);
    }
    // The template has the structure init draws, so it fits loadParams' `like`.
    expect(tree.describe(tree.flatten(t)[1])).toBe(tree.describe(tree.flatten(lstm.init(key(0)))[1]));
    const plain: Cell<{ w: Tensor }, Tensor> = {
      name: 'plain', inputSize: 1, hiddenSize: 2, outputSize: 2, dtype: 'float32', gates: [],
      init: () => ({ w: zeros([1, 2]) }),
      initialState: (b) => zeros([b, 2]),
      step: (_p, h) => [h, h],
    };
    expect(paramShapes(plain)).toEqual({ w: [1, 2] });
    const nested = { ...plain, init: () => ({ w: [zeros([1])] }) } as unknown as Cell;
    expect(() => paramShapes(nested)).toThrow(/paramShapes: argument 'cell': plain's parameters are not a flat record of tensors/);
  });

  it('a parameter file checks against paramTemplate: the right cell loads, another variant is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnemo-template-'));
    try {
      const cifg = lstmCell({ inputSize: 2, hiddenSize: 3, variant: 'cifg' });
      const file = join(dir, 'p.json');
      saveParams(file, { params: cifg.init(key(3)) });
      const ok = loadParams(file, { like: paramTemplate(cifg) });
      expect(ok._tag).toBe('Right');
      const other = loadParams(file, { like: paramTemplate(lstmCell({ inputSize: 2, hiddenSize: 3 })) });
      expect(other._tag === 'Left' && other.left).toMatch(/the template/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is immutable: init does not keep the key, step does not change its arguments', () => {
    const p = cell.init(key(1));
    const before = treeBits(p);
    const s = cell.initialState(2);
    cell.step(p, s, normal(key(2), [2, 2], { dtype: F64 }));
    expect(treeBits(p)).toEqual(before);
    expect(s.h.toArray().every((v) => v === 0)).toBe(true);
  });
});

describe('defineCell: options are checked before the definition sees them, naming the cell and the option', () => {
  it.each([
    ['lstm', (o: never) => lstmCell(o)],
    ['gru', (o: never) => gruCell(o)],
    ['mgu', (o: never) => mguCell(o)],
    ['rnn', (o: never) => rnnCell(o)],
    ['leaky', (o: never) => leaky(o)],
  ] as const)('%s', (name, make) => {
    const err = (o: unknown): unknown => {
      try {
        make(o as never);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = err({ inputSize: 2, hiddenSize: 3, dtype: 'float16' });
    expect(e1).toBeInstanceOf(ArgumentError);
    expect((e1 as Error).message).toBe(`${name}: argument 'dtype': unknown dtype "float16"; expected 'float32' or 'float64'`);
    expect((err({ inputSize: 0, hiddenSize: 3 }) as Error).message).toBe(`${name}: argument 'inputSize': must be a positive integer, got 0`);
    expect((err({ inputSize: 2, hiddenSize: 2.5 }) as Error).message).toBe(`${name}: argument 'hiddenSize': must be a positive integer, got 2.5`);
    expect((err({ inputSize: '2', hiddenSize: 3 }) as Error).message).toBe(`${name}: argument 'inputSize': must be a positive integer, got "2"`);
    expect(err(null)).toBeInstanceOf(ArgumentError);
  });

  it('mutCell names the MUT', () => {
    expect(() => mutCell({ kind: 'mut2', inputSize: 2, hiddenSize: 2, dtype: 'int32' as never })).toThrow(/^mut2: argument 'dtype'/);
  });

  it('LSTM options beyond sizes are checked too, naming the cell', () => {
    expect(() => lstmCell({ inputSize: 1, hiddenSize: 2, projSize: -1 })).toThrow(/lstm: argument 'projSize': must be a non-negative integer/);
    expect(() => lstmCell({ inputSize: 1, hiddenSize: 2, variant: 'cifg', forgetBias: Number.NaN })).toThrow(/lstm\+cifg: argument 'forgetBias': must be a finite number/);
    expect(() => lstmCell({ inputSize: 1, hiddenSize: 2, forgetBias: Number.POSITIVE_INFINITY })).toThrow(/lstm: argument 'forgetBias': must be a finite number/);
    expect(() => lstmCell({ inputSize: 1, hiddenSize: 2, layerNormEps: 0 })).toThrow(/lstm: argument 'layerNormEps': must be positive/);
  });
});

describe('defineCell: malformed definitions are rejected, naming the member', () => {
  const spec = (shape: number[]): ParamSpec => ({ shape, init: init.zeros });
  const make = (bp: Record<string, unknown>) => defineCell('bad', () => ({ gates: [], params: {}, state: { h: 1 }, step: (_p: never, s: { h: Tensor }) => [s, s.h] as const, ...bp }) as never)({ inputSize: 1, hiddenSize: 1 });
  it.each([
    [{ gates: 'h' }, /bad: argument 'blueprint.gates': expected an array of gate names/],
    [{ gates: ['a', 'a'] }, /names a gate twice/],
    [{ params: { w: spec([-1]) } }, /blueprint.params.w.shape': expected an array of non-negative integers/],
    [{ params: { w: { shape: [1] } } }, /blueprint.params.w.init': expected an initializer/],
    [{ params: { w: { ...spec([1]), key: [] } } }, /blueprint.params.w.key'/],
    [{ state: {} }, /blueprint.state': has no entries/],
    [{ state: { h: 0 } }, /blueprint.state.h': must be a positive integer/],
    [{ step: undefined }, /blueprint.step': expected the step function/],
    [{ inputPart: (_p: never, x: Tensor) => x }, /blueprint.inputPartSize': must be a positive integer/],
    [{ inputPartSize: 3 }, /blueprint.inputPartSize': is given without inputPart/],
    [{ outputSize: 0 }, /blueprint.outputSize'/],
    [{ extra: { step: 1 } }, /blueprint.extra.step': 'step' is a member every cell has/],
  ])('%o', (bp, message) => {
    expect(() => make(bp)).toThrow(message);
  });
  it('an initializer that returns another shape or dtype', () => {
    const c = defineCell('wrongInit', ({ hiddenSize: H }: CellOptions) => ({
      gates: [],
      params: { w: { shape: [H, H], init: (k: Key) => normal(k, [H], { dtype: F64 }) } },
      state: { h: H },
      step: (_p, s) => [s, s.h] as const,
    }))({ inputSize: 1, hiddenSize: 2, dtype: F64 });
    expect(() => c.init(key(0))).toThrow(/wrongInit: argument 'params.w': its initializer returned float64 \[2\], expected float64 \[2, 2\]/);
  });
  it('defineCell itself', () => {
    expect(() => defineCell('', () => ({}) as never)).toThrow(/defineCell: argument 'family'/);
    expect(() => defineCell('x', 3 as never)).toThrow(/defineCell: argument 'build'/);
    // Found by the fuzz suite: messages built with JSON.stringify crashed on a BigInt.
    expect(() => defineCell(1n as never, () => ({}) as never)).toThrow(/defineCell: argument 'family': expected the family's name, got 1n/);
    expect(() => defineCell('x', 2n as never)).toThrow(/defineCell: argument 'build': x: expected a function .*, got 2n/);
  });
  it('blueprint members that are BigInts or objects without a prototype are named, not stringified', () => {
    const make = (bp: object) => defineCell('odd', () => ({ gates: [], params: {}, state: { h: 2 }, step: (_p: never, s: never) => [s, s], ...bp }) as never)({ inputSize: 1, hiddenSize: 2 });
    expect(() => make({ name: 1n })).toThrow(ArgumentError);
    expect(() => make({ name: 1n })).toThrow(/odd: argument 'blueprint.name': expected a non-empty string, got 1n/);
    expect(() => make({ gates: [1n] })).toThrow(/odd: argument 'blueprint.gates': expected an array of gate names, got \[1n\]/);
    expect(() => make({ params: { w: { shape: [1n], init: init.zeros } } })).toThrow(/odd: argument 'blueprint.params.w.shape': expected an array of non-negative integers, got \[1n\]/);
    expect(() => make({ params: { w: { shape: [1], init: init.zeros, key: 2n } } })).toThrow(/odd: argument 'blueprint.params.w.key': .* got 2n/);
    expect(() => make({ params: { w: 5n } })).toThrow(/odd: argument 'blueprint.params.w': expected \{ shape, init, key\? \}, got 5n/);
    expect(() => make({ params: { w: Object.create(null) } })).toThrow(/odd: argument 'blueprint.params.w.shape': expected an array of non-negative integers, got undefined/);
    expect(() => make({ extra: 3n })).toThrow(/odd: argument 'blueprint.extra': expected a record of fields, got 3n/);
  });
  it('a parameter of the wrong shape is caught at the step, with both shapes', () => {
    const c = leaky({ inputSize: 2, hiddenSize: 3 });
    const p = { ...c.init(key(0)), w: zeros([3, 3]) };
    expect(() => c.step(p, c.initialState(1), zeros([1, 2]))).toThrow(ShapeError);
    expect(() => c.step(p, c.initialState(1), zeros([1, 2]))).toThrow(/leaky: argument 'params.w': has shape \[3, 3\], expected \[2, 3\]/);
  });
});

describe('defineCell: types', () => {
  it('parameters, state and gates are typed by name', () => {
    const c = leaky({ inputSize: 2, hiddenSize: 3 });
    const p = c.init(key(0));
    expectTypeOf(p.w).toEqualTypeOf<Tensor>();
    expectTypeOf(p.extra).toEqualTypeOf<Tensor | undefined>();
    expectTypeOf(c.initialState(1).h).toEqualTypeOf<Tensor>();
    expectTypeOf(c.gates).toEqualTypeOf<readonly ('z' | 'n')[]>();
    expectTypeOf(c.leak).toEqualTypeOf<number>();
    expectTypeOf(leaky).parameter(0).toHaveProperty('leak');
    // @ts-expect-error: no parameter 'q'
    void p.q;
    defineCell('typed', ({ hiddenSize: H }: CellOptions) => ({
      gates: ['a'],
      params: { w: { shape: [H, H], init: init.zeros } },
      state: { h: H },
      step(q, { h }, _x, gate) {
        // @ts-expect-error: 'b' is not a gate of this definition
        gate('b', tanh, h);
        // @ts-expect-error: no parameter 'u'
        void q.u;
        return [{ h: gate('a', tanh, matmul(h, q.w)) }, h];
      },
    }));
    const l: LstmCell = lstmCell({ inputSize: 1, hiddenSize: 1 });
    expectTypeOf(l.gates).toEqualTypeOf<readonly ('i' | 'f' | 'g' | 'o')[]>();
    const d: DefinedCell = gruCell({ inputSize: 1, hiddenSize: 1 });
    expect(d.family).toBe('gru');
  });
});

// ---------------------------------------------------------------------------
// The tutorial LSTM and the variant-bearing LSTM with no variant
// ---------------------------------------------------------------------------

describe('the variant-bearing LSTM with no variant is the tutorial LSTM, bit for bit', () => {
  const cases: [string, DType, number | undefined][] = [
    ['float64', F64, undefined],
    ['float32', 'float32', undefined],
    ['float64, forget bias 0.25', F64, 0.25],
  ];
  it.each(cases)('%s: init, step, inspect, projection, and scan values and gradients', (_, dtype, forgetBias) => {
    const o = { inputSize: 3, hiddenSize: 4, dtype, ...(forgetBias === undefined ? {} : { forgetBias }) };
    const tutorial = tutorialLstmCell(o);
    const variant = variantLstmCell(o);
    expect(variant.name).toBe('lstm');
    expect(variant.gates).toEqual(tutorial.gates);
    expect(variant.paramSpec['wx']!.key).toEqual(tutorial.paramSpec['wx']!.key);
    expect(treeBits(variant.init(key(42)))).toEqual(treeBits(tutorial.init(key(42))));

    let n = 0;
    const p = tree.map(tutorial.init(key(1)), (t) => normal(foldIn(key(2), n++), t.shape, { dtype, std: 0.6 }));
    const s = { h: normal(key(3), [2, 4], { dtype, std: 0.8 }), c: normal(key(4), [2, 4], { dtype, std: 0.8 }) };
    const x = normal(key(5), [2, 3], { dtype });
    const probes = { f: normal(key(6), [2, 4], { dtype }), o: normal(key(7), [2, 4], { dtype }) };
    expect(treeBits(variant.step(p, s, x, probes) as unknown as Tree)).toEqual(treeBits(tutorial.step(p, s, x, probes) as unknown as Tree));
    const rv = variant.inspect(p, s, x);
    const rt = tutorial.inspect(p, s, x);
    for (const g of ['i', 'f', 'g', 'o']) expect(bits(rv.gates[g]!), g).toBe(bits(rt.gates[g]!));
    const xs = normal(key(8), [2, 6, 3], { dtype });
    expect(bits(variant.projectInputs(p, xs))).toBe(bits(tutorial.projectInputs(p, xs)));

    const w = normal(key(9), [2, 6, 4], { dtype });
    const loss = (cell: LstmCell) =>
      valueAndGrad(
        (q: Tree, xx: Tensor, st: Tree) => {
          const r = scan(cell, q as never, xx, { initialState: st as never, lengths: [6, 4] });
          return add(sum(mul(w, tanh(r.outputs))), sum(tanh(index(r.outputs, 1, 5))));
        },
        { argnums: [0, 1, 2] },
      )(p, xs, s);
    const [lv, gv] = loss(variant);
    const [lt, gt] = loss(tutorial);
    expect(bits(lv)).toBe(bits(lt));
    expect(treeBits(gv as Tree)).toEqual(treeBits(gt as Tree));
  });
});
