/**
 * The debugging mode for non-finite values and the compiler: a compiled
 * scan or fused loop runs no primitive that could be checked, so while the
 * mode is on the compiler declines and the tape path, where every primitive
 * is checked, runs instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NonFiniteError, key, tensor, type Tensor } from '@mnemo/core';
import { add, fuseElementwise, grad, log, mul, setDebugNans, sum, tree } from '@mnemo/autodiff';
import { explainScan, rnnCell, scan, sgd } from '@mnemo/nn';

afterEach(() => setDebugNans(false));

const cell = rnnCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
/** The cell's parameters with one NaN in the input weights. */
const poisoned = (): ReturnType<typeof cell.init> => {
  const p = cell.init(key(0));
  return tree.map(p, (t) => (t.shape.length === 2 && t.shape[0] === 2 ? tensor(Float64Array.from(t.toArray(), (v, i) => (i === 0 ? NaN : v)), 'float64', t.shape) : t));
};
const xs = tensor(Float64Array.from({ length: 8 }, (_, i) => i / 8), 'float64', [1, 4, 2]);

describe('the debugging mode and the compiler', () => {
  it('off: a compiled scan carries the NaN through without a word', () => {
    expect(explainScan(cell, cell.init(key(0)), xs).compiled).toBe(true);
    expect(Array.from(scan(cell, poisoned(), xs).outputs.toArray()).some(Number.isNaN)).toBe(true);
  });

  it('on: scan declines to compile, and the NaN is found at the first primitive of the step that reads it', () => {
    setDebugNans(true);
    const why = explainScan(cell, cell.init(key(0)), xs);
    expect(why.compiled).toBe(false);
    if (!why.compiled) expect(why.reason).toContain('debugging mode for non-finite values');
    let caught: unknown;
    try {
      scan(cell, poisoned(), xs);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect((caught as NonFiniteError).info).toMatchObject({ pass: 'forward', index: 0 });
    expect((caught as NonFiniteError).message).toContain('already holds NaN at index 0');
  });

  it('on: fuseElementwise (the optimizers\' updates) runs op by op, so a non-finite value is found', () => {
    const f = fuseElementwise((a: Tensor, b: Tensor) => [add(log(a), b)]);
    const a = tensor([1, 0], 'float64');
    expect(f(a, 1)[0]!.toArray()[1]).toBe(-Infinity);
    setDebugNans(true);
    expect(() => f(a, 1)).toThrow(NonFiniteError);
  });

  it('on: an optimizer update (plain arithmetic on the arrays, no primitive) that overflows is reported by the next pass that reads the parameters', () => {
    setDebugNans(true);
    const opt = sgd({ lr: 1e308 });
    const p = { w: tensor([1, -2], 'float64') };
    const [p1] = opt.update({ w: tensor([1e300, 1], 'float64') }, opt.init(p), p);
    let caught: unknown;
    try {
      grad((q: { w: Tensor }) => sum(mul(q.w, q.w)))(p1);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NonFiniteError);
    expect((caught as NonFiniteError).message).toContain('an argument of the differentiated function (float64 [2]) holds -Infinity at index 0');
  });
});
