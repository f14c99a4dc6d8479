/**
 * Pytrees: flatten / unflatten / map / zip round trips on drawn trees,
 * structure mismatches, and gradients that keep their arguments' structure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, scalar, tensor, type Tensor } from '@mnemo/core';
import { add, grad, matmul, mul, square, sum, tanh, tree, valueAndGrad, vjp, type Tree } from '@mnemo/autodiff';

// Drawn pytrees: tensor leaves, arrays, and plain records (keys from a small set, so records collide and nest).
const leafArb: fc.Arbitrary<Tree> = fc.integer({ min: -9, max: 9 }).map((v) => scalar(v, 'float64'));
const keyArb = fc.constantFrom('a', 'b', 'w', 'layers', '_x', 'Z', '10', '2');
const { node: treeArb } = fc.letrec<{ node: Tree; arr: Tree; rec: Tree }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leafArb, tie('arr'), tie('rec')),
  arr: fc.array(tie('node'), { maxLength: 3 }),
  rec: fc.uniqueArray(fc.tuple(keyArb, tie('node')), { maxLength: 3, selector: ([k]) => k }).map((es) => Object.fromEntries(es) as Tree),
}));

/** The same structure with every leaf replaced by a fresh tensor of value f(leaf). */
const remap = (t: Tree, f: (v: number) => number): Tree => tree.map(t, (x) => scalar(f(x.item()), 'float64'));

/** Deep equality of structure and leaf identity. */
function expectSameTree(a: unknown, b: unknown): void {
  if (a instanceof Object && 'shape' in a) {
    expect(a).toBe(b);
    return;
  }
  if (Array.isArray(a)) {
    expect(Array.isArray(b)).toBe(true);
    expect((b as unknown[]).length).toBe(a.length);
    a.forEach((x, i) => expectSameTree(x, (b as unknown[])[i]));
    return;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  expect(Object.keys(rb).sort()).toEqual(Object.keys(ra).sort());
  for (const k of Object.keys(ra)) expectSameTree(ra[k], rb[k]);
}

describe('tree', () => {
  it('unflatten(flatten(t)) rebuilds t, with the same leaves, in a fixed (sorted-key) order', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const [leaves, def] = tree.flatten(t);
        expect(tree.leafCount(def)).toBe(leaves.length);
        expectSameTree(t, tree.unflatten(def, leaves));
        expect(tree.leaves(t)).toEqual(leaves);
      }),
    );
    const [leaves] = tree.flatten({ z: scalar(1), a: [scalar(2), { y: scalar(3), b: scalar(4) }] });
    expect(leaves.map((x) => x.item())).toEqual([2, 4, 3, 1]);
  });

  it('map keeps the structure, applies f leaf by leaf (with the matching leaves of rest)', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const doubled = tree.map(t, (x) => mul(x, 2));
        expect(tree.sameStructure(tree.flatten(doubled)[1], tree.flatten(t)[1])).toBe(true);
        const sums = tree.map(t, (x, y, z) => add(add(x, y!), z!), doubled, remap(t, (v) => -3 * v));
        tree.leaves(sums).forEach((s) => expect(s.item()).toBe(0));
        // identity map returns the same leaves
        expectSameTree(t, tree.map(t, (x) => x));
      }),
    );
  });

  it('zip pairs the leaves of two trees of one structure', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const u = remap(t, (v) => v + 1);
        const pairs = tree.zip(t, u);
        expect(pairs).toHaveLength(tree.leaves(t).length);
        pairs.forEach(([x, y], i) => {
          expect(x).toBe(tree.leaves(t)[i]);
          expect(y.item()).toBe(x.item() + 1);
        });
      }),
    );
  });

  it('reduce folds the leaves in flatten order', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const order: number[] = [];
        expect(tree.reduce(t, (n, x) => (order.push(x.item()), n + 1), 0)).toBe(tree.leaves(t).length);
        expect(order).toEqual(tree.leaves(t).map((x) => x.item()));
      }),
    );
  });

  it('structure mismatches are ArgumentErrors that show both structures', () => {
    const a = { w: scalar(1), b: [scalar(2)] };
    const cases: [Tree, RegExp][] = [
      [{ w: scalar(1), c: [scalar(2)] }, /\{b: \[\*\], w: \*\}/],
      [{ w: scalar(1), b: [scalar(2), scalar(3)] }, /\[\*, \*\]/],
      [{ w: [scalar(1)], b: [scalar(2)] }, /w: \[\*\]/],
      [[scalar(1), [scalar(2)]], /structure \[\*, \[\*\]\]/],
    ];
    for (const [b, msg] of cases) {
      expect(() => tree.map(a, (x) => x, b as typeof a)).toThrow(ArgumentError);
      expect(() => tree.map(a, (x) => x, b as typeof a)).toThrow(msg);
      expect(() => tree.zip(a, b)).toThrow(/tree\.zip.*structure/);
    }
    const [, def] = tree.flatten(a);
    expect(() => tree.unflatten(def, [scalar(1)])).toThrow(/2 leaves, got 1/);
    // a record without Object.prototype, a class instance, a number: not pytrees, and the path says where
    expect(() => tree.flatten({ w: [scalar(1), new Map()] })).toThrow(/tree\.w\[1\].*object/);
    expect(() => tree.flatten({ w: Object.create(null) as Tree })).toThrow(/tree\.w/);
    expect(() => tree.flatten([3])).toThrow(/tree\[0\].*number/);
  });
});

type Layer = { readonly w: Tensor; readonly b: Tensor };
type Net = { readonly layers: readonly Layer[]; readonly scale: Tensor };

describe('gradients over pytrees', () => {
  const net: Net = {
    layers: [
      { w: tensor([[0.5, -1], [2, 0.25]], 'float64'), b: tensor([0.1, -0.2], 'float64') },
      { w: tensor([[1.5], [-0.5]], 'float64'), b: tensor([0.3], 'float64') },
    ],
    scale: tensor(2, 'float64'),
  };

  it('grad over a nested record/array argument returns the same structure, with closed-form values', () => {
    // loss = scale * sum_l sum(w_l^2) + sum_l sum(b_l): dw = 2 scale w, db = 1, dscale = sum_l sum(w_l^2)
    const loss = (p: Net) => add(mul(p.scale, p.layers.map((l) => sum(square(l.w))).reduce((a, b) => add(a, b))), p.layers.map((l) => sum(l.b)).reduce((a, b) => add(a, b)));
    const g = grad(loss)(net);
    expect(tree.sameStructure(tree.flatten(g)[1], tree.flatten(net)[1])).toBe(true);
    expect(Object.keys(g).sort()).toEqual(['layers', 'scale']);
    g.layers.forEach((l, i) => {
      expect(Array.from(l.w.toArray())).toEqual(Array.from(net.layers[i]!.w.toArray(), (v) => 4 * v));
      expect(Array.from(l.b.toArray())).toEqual(Array.from(net.layers[i]!.b.toArray(), () => 1));
    });
    expect(g.scale.item()).toBe(0.25 + 1 + 4 + 0.0625 + 2.25 + 0.25);
    expect(g.scale.shape).toEqual([]);
  });

  it('a forward pass through the nested parameters differentiates leaf by leaf like separate arguments', () => {
    const x = tensor([[1, -2]], 'float64');
    const forward = (p: Net) => mul(p.scale, sum(tanh(add(matmul(tanh(add(matmul(x, p.layers[0]!.w), p.layers[0]!.b)), p.layers[1]!.w), p.layers[1]!.b))));
    const flat = (w0: Tensor, b0: Tensor, w1: Tensor, b1: Tensor, s: Tensor) => forward({ layers: [{ w: w0, b: b0 }, { w: w1, b: b1 }], scale: s });
    const g = grad(forward)(net);
    const gs = grad(flat, { argnums: [0, 1, 2, 3, 4] })(net.layers[0]!.w, net.layers[0]!.b, net.layers[1]!.w, net.layers[1]!.b, net.scale);
    // same leaves, same order (records in sorted-key order: layers before scale, b before w)
    const want = [gs[1], gs[0], gs[3], gs[2], gs[4]];
    tree.leaves(g).forEach((t, i) => expect(Array.from(t.toArray())).toEqual(Array.from(want[i]!.toArray())));
  });

  it('argnums: one index, several (in the order given), and valueAndGrad with argnums', () => {
    const a = tensor([1, 2], 'float64');
    const b = tensor([3, -1], 'float64');
    const c = tensor(0.5, 'float64');
    // f = c * sum(a^2 b): da = 2 a b c, db = a^2 c, dc = sum(a^2 b)
    const f = (x: Tensor, y: Tensor, z: Tensor) => mul(z, sum(mul(square(x), y)));
    expect(Array.from(grad(f, { argnums: 1 })(a, b, c).toArray())).toEqual([0.5, 2]);
    const [gc, ga] = grad(f, { argnums: [2, 0] })(a, b, c);
    expect(gc.item()).toBe(3 - 4);
    expect(Array.from(ga.toArray())).toEqual([3, -2]);
    const [v, [gb2, gc2]] = valueAndGrad(f, { argnums: [1, 2] })(a, b, c);
    expect(v.item()).toBe(-0.5);
    expect(Array.from(gb2.toArray())).toEqual([0.5, 2]);
    expect(gc2.item()).toBe(-1);
    expect(() => grad(f, { argnums: 3 })(a, b, c)).toThrow(/argnums.*argument 3 does not exist.*3 argument/);
  });

  it('vjp takes and returns pytrees: the cotangent has the output structure, the result the arguments structure', () => {
    const f = (p: { u: Tensor; v: readonly Tensor[] }) => ({ s: add(p.u, p.v[0]!), t: [mul(p.u, p.v[1]!)] });
    const p = { u: tensor([1, 2], 'float64'), v: [tensor([3, 4], 'float64'), tensor([5, 6], 'float64')] };
    const [out, pullback] = vjp(f, p);
    expect(Array.from(out.t[0]!.toArray())).toEqual([5, 12]);
    const [g] = pullback({ s: tensor([1, 1], 'float64'), t: [tensor([2, 3], 'float64')] });
    expect(Array.from(g.u.toArray())).toEqual([1 + 2 * 5, 1 + 3 * 6]);
    expect(Array.from(g.v[0]!.toArray())).toEqual([1, 1]);
    expect(Array.from(g.v[1]!.toArray())).toEqual([2, 6]);
    expect(() => pullback({ s: tensor([1, 1], 'float64') } as never)).toThrow(/vjp.*cotangent.*structure/);
  });
});
