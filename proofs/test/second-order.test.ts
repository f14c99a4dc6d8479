/**
 * Second order: gradgradcheck on every primitive (the rules are written in
 * differentiable ops, so the backward pass has its own gradient) and on one
 * step of the LSTM family.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { key, normal, type Tensor } from '@mnemo/core';
import { PRIMS, type Tree } from '@mnemo/autodiff';
import { cellFamily, makeCell } from '@mnemo/nn';
import { gradgradcheck } from '@mnemo/proofs';
import { primitiveCases } from './cases.js';
import { passes, runs } from './helpers.js';

const CASES = primitiveCases(8);

describe('gradgradcheck on every primitive', () => {
  for (const prim of PRIMS.filter((p) => p !== 'oneHot')) {
    it(prim, () => {
      fc.assert(
        fc.property(CASES[prim], fc.nat(), (c, seed) =>
          passes(
            gradgradcheck(c.f, c.args as Tensor[], {
              seed,
              mode: 'both',
              ...(c.wrt === undefined ? {} : { wrt: c.wrt }),
              ...(c.precision === undefined ? { atol: 1e-6, rtol: 1e-5 } : { precision: c.precision }),
            }),
            `${prim} on ${c.args.map((a) => `[${a.shape.join(', ')}]`).join(', ')}`,
          ),
        ),
        { numRuns: runs(25) },
      );
    });
  }
  it('oneHot has no gradient, so no second one either', () => {
    expect(PRIMS).toContain('oneHot');
  });
});

describe('gradgradcheck on one LSTM step', () => {
  const oneStep = (spec: string, mode: 'both' | 'dot'): void => {
    const cell = makeCell(spec, { inputSize: 2, hiddenSize: 3, dtype: 'float64' });
    const params = cell.init(key(7)) as Tree;
    const state = cell.initialState(2) as Tree;
    const x = normal(key(8), [2, 2], { dtype: 'float64' });
    // Start from a non-zero state so every recurrent weight matters.
    const [s1] = cell.step(params, state, normal(key(9), [2, 2], { dtype: 'float64' }));
    const step = (p: Tree, s: Tree, xt: Tensor): Tree => {
      const [s2, y] = cell.step(p, s, xt);
      return [s2, y];
    };
    passes(gradgradcheck(step, [params, s1 as Tree, x], { mode, argNames: ['params', 'state', 'x'], atol: 1e-6, rtol: 1e-5 }), spec);
  };
  it('the tutorial LSTM, every entry of the Hessian-vector map and random directions', () => oneStep('lstm', 'both'));
  it('every LSTM variant, random directions', () => {
    for (const v of cellFamily('lstm')!.variants) oneStep(`lstm+${v}`, 'dot');
  });
});
