import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { expFast, sigmoidFast, tanhFast } from '@mnemo/core';

// Relative error; where the reference is below 1e-300 (subnormal territory: sigmoidFast flushes to 0
// below x = -709.78, where the true value is under 5.6e-309) the absolute error must be below 1e-300.
const rel = (a: number, b: number): number => (a === b ? 0 : Math.abs(b) < 1e-300 ? (Math.abs(a - b) < 1e-300 ? 0 : Infinity) : Math.abs(a - b) / Math.abs(b));

describe('fast scalar math agrees with Math.* to a few ulp', () => {
  it('expFast over the whole finite range', () => {
    fc.assert(fc.property(fc.double({ min: -745, max: 710, noNaN: true }), (x) => rel(expFast(x), Math.exp(x)) <= 5e-16), { numRuns: 5000 });
    let worst = 0;
    for (let x = -30; x <= 30; x += 0.001) worst = Math.max(worst, rel(expFast(x), Math.exp(x)));
    expect(worst).toBeLessThanOrEqual(5e-16);
    expect(expFast(NaN)).toBeNaN();
    expect(expFast(Infinity)).toBe(Infinity);
    expect(expFast(-Infinity)).toBe(0);
    expect(expFast(0)).toBe(1);
  });
  it('sigmoidFast and tanhFast', () => {
    fc.assert(
      fc.property(fc.double({ min: -800, max: 800, noNaN: true }), (x) => {
        const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        return rel(sigmoidFast(x), s) <= 1e-15 && rel(tanhFast(x), Math.tanh(x)) <= 2e-15;
      }),
      { numRuns: 5000 },
    );
    let worst = 0;
    for (let x = -5; x <= 5; x += 1e-4) worst = Math.max(worst, rel(tanhFast(x), Math.tanh(x)));
    expect(worst).toBeLessThanOrEqual(2e-15);
    expect(tanhFast(-0)).toBe(-0);
    // Found by fast-check: e^709.7827... overflows, the sigmoid flushes to 0 (true value 5.6e-309).
    expect(sigmoidFast(-709.7827128933841)).toBe(0);
    expect(sigmoidFast(-700)).toBeCloseTo(Math.exp(-700), 300);
    expect(tanhFast(NaN)).toBeNaN();
  });
});
