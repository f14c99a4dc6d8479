/**
 * Every VJP rule against its closed-form derivative, on inputs drawn by
 * fast-check in float64, with a drawn cotangent that is never all ones. The
 * tests are generated from PRIMS, so a primitive without a closed-form case
 * fails here (and does not compile in support/cases.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '@mnemo/core';
import { PRIMS, matmul, vjp } from '@mnemo/autodiff';
import { Acc, T, arrArb, ctArb, expectClose, shapeArb, type Shape } from './support/nd.js';
import { matmulShape, matmulVjp } from './support/closed-forms.js';
import { CASES, checkCase, dim, type Case } from './support/cases.js';

describe('VJP rules against closed forms', () => {
  it('every primitive in PRIMS has a closed-form case, and every case is a primitive', () => {
    const table = CASES as Readonly<Record<string, unknown>>;
    expect(PRIMS.filter((p) => table[p] === undefined)).toEqual([]);
    expect(Object.keys(CASES).sort()).toEqual([...PRIMS].sort());
  });

  for (const prim of PRIMS) {
    it(prim, () => {
      const arb = (CASES as Readonly<Record<string, fc.Arbitrary<Case> | undefined>>)[prim];
      expect(arb, `no closed-form case for the primitive ${prim}`).toBeDefined();
      fc.assert(fc.property(arb!, (c) => checkCase(prim, c)));
    });
  }

  it('matmul with 1-D operands follows the NumPy vector rules (transpose flags apply to matrices only)', () => {
    const arb = fc
      .record({ k: dim, m: dim, n: dim, batch: shapeArb(0, 1), which: fc.constantFrom('vm', 'mv', 'vv') })
      .chain((r) => {
        // with both flags set: a matrix a is stored [..., k, m], a matrix b [..., n, k]
        const sa = r.which === 'mv' ? [...r.batch, r.k, r.m] : [r.k];
        const sb = r.which === 'vm' ? [...r.batch, r.n, r.k] : [r.k];
        const out = r.which === 'vv' ? [] : r.which === 'vm' ? [...r.batch, r.n] : [...r.batch, r.m];
        return fc.tuple(fc.constant(r.which), arrArb(sa), arrArb(sb), ctArb(out));
      });
    fc.assert(
      fc.property(arb, ([which, a, b, ct]) => {
        const [, pullback] = vjp((x: Tensor, y: Tensor) => matmul(x, y, { transA: true, transB: true }), T(a), T(b));
        const [ga, gb] = pullback(T(ct));
        // the same product with a vector a written as a row [1, k] and a vector b as a column [k, 1]
        const tA = which === 'mv';
        const tB = which === 'vm';
        const a2 = tA ? a : { shape: [1, a.shape[0]!], data: a.data };
        const b2 = tB ? b : { shape: [b.shape[0]!, 1], data: b.data };
        const [ea, eb] = matmulVjp(a2, b2, { shape: matmulShape(a2.shape, b2.shape, tA, tB), data: ct.data }, tA, tB);
        expectClose(ga!, reshapeAcc(ea, a.shape), 1e-12, 'a');
        expectClose(gb!, reshapeAcc(eb, b.shape), 1e-12, 'b');
      }),
    );
  });
});

function reshapeAcc(a: Acc, shape: Shape): Acc {
  const out = new Acc(shape);
  out.value.set(a.value);
  out.scale.set(a.scale);
  return out;
}
