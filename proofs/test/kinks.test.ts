/**
 * Kinks: at relu(0), |0|, and exact ties of maximum, minimum, max and min,
 * the rules return the documented subgradient (rules.ts: relu'(0) = 0,
 * abs'(0) = 0, ties of maximum/minimum split the gradient equally, ties of
 * max/min share it equally), gradcheck reports the point as
 * non-differentiable rather than as a wrong rule, and the subgradient lies
 * between the one-sided differences.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { sizeOf, tensor, type Tensor } from '@mnemo/core';
import { abs, max, maximum, min, minimum, relu } from '@mnemo/autodiff';
import { arbShape, arbTensor, gradcheck, type KinkPoint } from '@mnemo/proofs';
import { runs } from './helpers.js';

/** A float64 tensor whose entries at `mask` are replaced by `value(i)`. */
function withEntries(x: Tensor, mask: readonly boolean[], value: (i: number) => number): Tensor {
  const d = Float64Array.from(x.toArray());
  mask.forEach((m, i) => {
    if (m) d[i] = value(i);
  });
  return tensor(d, 'float64', x.shape);
}

/** A tensor (distinct values away from 0) and a non-empty set of entries to put on the kink. */
const withKinks = arbShape({ maxSize: 12 }).chain((shape) =>
  fc.record({
    x: arbTensor({ shape, avoid: [0], distinct: true }),
    mask: fc.array(fc.boolean(), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).filter((m) => m.some((b) => b)),
  }),
);

function kinksOf(r: ReturnType<typeof gradcheck>): readonly KinkPoint[] {
  if (E.isRight(r)) throw new Error('expected the kinks to be reported, got a pass');
  if (r.left.kind !== 'non-differentiable') throw new Error(`expected non-differentiable, got ${r.left.kind}: ${r.left.message}`);
  return r.left.kinks;
}

const flatIndex = (index: readonly number[], shape: readonly number[]): number => index.reduce((acc, i, a) => acc * shape[a]! + i, 0);

describe('kinks: the documented subgradient, between the one-sided differences', () => {
  it('relu at 0: gradient 0, one-sided slopes 0 and 1', () => {
    fc.assert(
      fc.property(withKinks, ({ x, mask }) => {
        const x0 = withEntries(x, mask, () => 0);
        const kinks = kinksOf(gradcheck(relu, [x0]));
        expect(kinks.map((k) => flatIndex(k.index, x0.shape)).sort((a, b) => a - b)).toEqual(mask.flatMap((m, i) => (m ? [i] : [])));
        for (const k of kinks) {
          expect(k).toMatchObject({ analytic: 0, between: true, at: 'point' });
          expect([k.left, k.right].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 1]);
        }
        return true;
      }),
      { numRuns: runs(50) },
    );
  });

  it('abs at 0: gradient 0, one-sided slopes -1 and 1', () => {
    fc.assert(
      fc.property(withKinks, ({ x, mask }) => {
        const kinks = kinksOf(gradcheck(abs, [withEntries(x, mask, () => 0)]));
        expect(kinks).toHaveLength(mask.filter((m) => m).length);
        for (const k of kinks) {
          expect(k).toMatchObject({ analytic: 0, between: true });
          expect([k.left, k.right].map((v) => Math.round(v * 1e6) / 1e6)).toEqual([-1, 1]);
        }
        return true;
      }),
      { numRuns: runs(50) },
    );
  });

  for (const [name, f, sign] of [
    ['maximum', maximum, 1],
    ['minimum', minimum, -1],
  ] as const) {
    it(`${name} at exact ties: the gradient is split equally (1/2 each), between the slopes 0 and 1`, () => {
      fc.assert(
        fc.property(withKinks, arbTensor({ shape: [12], avoid: [0], min: 0.01, max: 1 }), ({ x: a, mask }, gap) => {
          // b differs from a by at least 0.01 except where it ties exactly.
          const g = gap.toArray();
          const av = a.toArray();
          const b = withEntries(a, mask.map(() => true), (i) => av[i]! + (mask[i] ? 0 : (i % 2 === 0 ? 1 : -1) * g[i % 12]!));
          const kinks = kinksOf(gradcheck(f, [a, b], { argNames: ['a', 'b'] }));
          const ties = mask.filter((m) => m).length;
          expect(kinks).toHaveLength(2 * ties);
          for (const k of kinks) {
            expect(k).toMatchObject({ analytic: 0.5, between: true, at: 'point' });
            expect([k.left, k.right].map((v) => Math.round(v * 1e6) / 1e6).sort()).toEqual([0, 1]);
            // maximum rises with its argument to the right of a tie, minimum to the left.
            expect(Math.round((sign > 0 ? k.right : k.left) * 1e6) / 1e6).toBe(1);
          }
          return true;
        }),
        { numRuns: runs(50) },
      );
    });
  }

  for (const [name, reduce] of [
    ['max', max],
    ['min', min],
  ] as const) {
    it(`${name} with k tied extremes: each gets 1/k, between the slopes 0 and 1`, () => {
      fc.assert(
        fc.property(withKinks, ({ x, mask }) => {
          const v = x.toArray();
          const top = name === 'max' ? Math.max(...v) + 0.5 : Math.min(...v) - 0.5;
          const xt = withEntries(x, mask, () => top);
          const ties = mask.filter((m) => m).length;
          const r = gradcheck((t: Tensor) => reduce(t), [xt]);
          if (ties === 1) {
            // One extreme: differentiable, and the check passes.
            expect(E.isRight(r)).toBe(true);
            return true;
          }
          const kinks = kinksOf(r);
          expect(kinks).toHaveLength(ties);
          for (const k of kinks) {
            expect(k.analytic).toBeCloseTo(1 / ties, 15);
            expect(k.between).toBe(true);
            expect([k.left, k.right].map((s) => Math.round(s * 1e6) / 1e6).sort()).toEqual([0, 1]);
          }
          return true;
        }),
        { numRuns: runs(50) },
      );
    });
  }
});
