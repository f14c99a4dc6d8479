/**
 * Every primitive's VJP rule, proven against central differences in float64:
 * the full Jacobian entry by entry and the dot-product identity
 * <u, J^T v> = <J u, v> in random directions, on shapes of rank 0 to 4 with
 * broadcasting, 200 fast-check cases per primitive (PROOFS_RUNS raises it).
 *
 * The table is typed `{ [P in Prim]: ... }`: a primitive added to autodiff
 * without a proof here does not compile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '@mnemo/core';
import * as ad from '@mnemo/autodiff';
import { PRIMS, vjp } from '@mnemo/autodiff';
import { gradcheck } from '@mnemo/proofs';
import { primitiveCases, type Case } from './cases.js';
import { passes, runs } from './helpers.js';

const CASES = primitiveCases();
/** The tolerances of these proofs (the library defaults are atol 1e-5, rtol 1e-3). */
const TIGHT = { atol: 1e-7, rtol: 1e-6 } as const;

/** Which primitive a case's function actually binds: the proof must exercise the rule it names. */
function bindsOf(c: Case): Set<string> {
  const t = ad.traceTape((...xs: Tensor[]) => c.f(...xs), ...c.args);
  return new Set(t.entries.map((e) => e.name));
}

describe('every primitive: VJP rule against central differences (elementwise Jacobian and dot-product test, float64)', () => {
  it('the table covers PRIMS exactly', () => {
    expect(Object.keys(CASES).sort()).toEqual(PRIMS.slice().sort());
  });

  for (const prim of PRIMS) {
    it(prim, () => {
      let bound = 0;
      fc.assert(
        fc.property(CASES[prim], fc.nat(), (c, seed) => {
          if (bindsOf(c).has(prim)) bound++;
          if (c.kind === 'no-gradient') {
            const [y, pb] = vjp(c.f, ...(c.args as [Tensor]));
            const [g] = pb(ad.mul(ad.add(y, 1), 0.5) as Tensor);
            expect(Array.from(g.toArray()).every((v) => v === 0)).toBe(true);
            return true;
          }
          return passes(
            gradcheck(c.f, c.args as Tensor[], {
              mode: 'both',
              seed,
              // Much tighter than the defaults: a correct rule in float64 agrees to about 1e-9.
              ...(c.precision === undefined ? TIGHT : {}),
              ...(c.wrt === undefined ? {} : { wrt: c.wrt }),
              ...(c.precision === undefined ? {} : { precision: c.precision }),
            }),
            `${prim} on ${c.args.map((a) => `${a.dtype}[${a.shape.join(', ')}]`).join(', ')}`,
          );
        }),
        { numRuns: runs(200) },
      );
      // Most draws must reach the primitive itself (a reshape to the same shape, say, binds nothing).
      expect(bound).toBeGreaterThan(runs(200) / 2);
    });
  }
});
