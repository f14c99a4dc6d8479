/**
 * The debugging mode for non-finite values: off by default (a NaN flows
 * through without a word), and when on, the first NaN or infinity in any
 * primitive's output, forward or backward, throws a NonFiniteError that names
 * the primitive, its inputs, the pass and, backward, the forward operation
 * whose gradient was being computed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArgumentError, NonFiniteError, tensor, type Tensor } from '@mnemo/core';
import { customVjp, exp, getDebugNans, grad, hessianVectorProduct, log, mul, pow, setDebugNans, sqrt, sum, tanh, vjp } from '@mnemo/autodiff';

afterEach(() => {
  setDebugNans(false);
  vi.unstubAllEnvs();
});

/** Run `f` and return the NonFiniteError it throws (fails the test if it throws anything else or nothing). */
function nonFinite(f: () => unknown): NonFiniteError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(NonFiniteError);
  return caught as NonFiniteError;
}

const f64 = (xs: number[]): Tensor => tensor(xs, 'float64');
const zeroTimesLog = (x: Tensor): Tensor => sum(mul(0, log(x)));

describe('off (the default)', () => {
  it('is off unless MNEMO_DEBUG_NANS is set, and a NaN passes without a word (the finding)', () => {
    expect(getDebugNans()).toBe(false);
    // d/dx 0 * log(x) at 0: 0 * (1 / 0) = NaN, and nothing says so.
    expect(grad(zeroTimesLog)(f64([0])).toArray()[0]).toBeNaN();
  });

  it('setDebugNans returns the previous setting and refuses anything but a boolean', () => {
    expect(setDebugNans(true)).toBe(false);
    expect(getDebugNans()).toBe(true);
    expect(setDebugNans(false)).toBe(true);
    expect(() => setDebugNans('true' as never)).toThrow(ArgumentError);
    expect(() => setDebugNans(1 as never)).toThrow(/setDebugNans: argument 'on'/);
  });

  it('MNEMO_DEBUG_NANS=1 turns it on when the package loads', async () => {
    vi.stubEnv('MNEMO_DEBUG_NANS', '1');
    vi.resetModules();
    const fresh = await import('@mnemo/autodiff');
    expect(fresh.getDebugNans()).toBe(true);
    vi.stubEnv('MNEMO_DEBUG_NANS', '0');
    vi.resetModules();
    expect((await import('@mnemo/autodiff')).getDebugNans()).toBe(false);
  });
});

describe('on', () => {
  it('forward: the first non-finite value is blamed on the primitive that made it, with its inputs', () => {
    setDebugNans(true);
    // log(0) = -Infinity comes before 0 * -Infinity = NaN.
    const e = nonFinite(() => grad(zeroTimesLog)(f64([0])));
    expect(e.op).toBe('log');
    expect(e.arg).toBe('output');
    expect(e.info).toEqual({ pass: 'forward', value: -Infinity, index: 0, at: 'output', inputs: [{ dtype: 'float64', shape: [1] }] });
    expect(e.message).toBe("log: argument 'output': -Infinity at index 0 of its output (float64 [1]), in the forward pass; its inputs (float64 [1]) are all finite");
  });

  it('forward, outside any tape too: float32 overflow in exp', () => {
    setDebugNans(true);
    const e = nonFinite(() => exp(tensor([1, 100], 'float32')));
    expect(e.op).toBe('exp');
    expect(e.info).toMatchObject({ pass: 'forward', value: Infinity, index: 1 });
  });

  it('backward: the primitive inside a VJP rule, and the forward operation whose gradient it computes', () => {
    setDebugNans(true);
    // sqrt(0) = 0 is fine; its derivative 1 / (2 sqrt(0)) is not.
    const e = nonFinite(() => grad((x: Tensor) => sum(sqrt(x)))(f64([4, 0])));
    expect(e.op).toBe('div');
    expect(e.info).toMatchObject({ pass: 'backward', gradientOf: 'sqrt', value: Infinity, index: 1, at: 'output' });
    expect(e.message).toContain('in the backward pass, computing the gradient of sqrt (whose forward inputs were float64 [2])');
  });

  it('a value already non-finite in an input is reported as such, not blamed on the primitive that reads it', () => {
    setDebugNans(true);
    const c = f64([1, NaN]);
    const e = nonFinite(() => grad((x: Tensor) => sum(mul(x, c)))(f64([1, 2])));
    expect(e.op).toBe('mul');
    expect(e.arg).toBe('input 1');
    expect(e.info).toMatchObject({ pass: 'forward', at: 1, index: 1 });
    expect(e.message).toContain('already holds NaN at index 1');
    expect(e.message).toContain('not by mul');
  });

  it('an argument of the differentiated function that holds NaN is named as the argument', () => {
    setDebugNans(true);
    const e = nonFinite(() => grad((x: Tensor) => sum(tanh(x)))(f64([0, NaN])));
    expect(e.arg).toBe('argument');
    expect(e.message).toContain('an argument of the differentiated function (float64 [2]) holds NaN at index 1');
  });

  it('a NaN cotangent fed to a pullback is found at the first primitive that reads it', () => {
    setDebugNans(true);
    const [, pullback] = vjp((x: Tensor) => tanh(x), f64([0.5]));
    const e = nonFinite(() => pullback(f64([NaN])));
    expect(e.info).toMatchObject({ pass: 'backward', gradientOf: 'tanh', at: 0 });
  });

  it('second order: a non-finite value born in the outer backward pass names the rule it came from', () => {
    setDebugNans(true);
    // f = x^1.5: f' = 1.5 x^0.5 is 0 at 0, f'' = 0.75 x^-0.5 is not finite there.
    const e = nonFinite(() => hessianVectorProduct((x: Tensor) => sum(pow(x, 1.5)), f64([0]), f64([1])));
    expect(e.info?.pass).toBe('backward');
    expect(e.info?.gradientOf).toBe('pow');
  });

  it('a custom VJP whose bwd builds a non-finite cotangent without primitives is caught where it enters the tape', () => {
    setDebugNans(true);
    const f = customVjp((x: Tensor) => tanh(x), {
      fwd: (x: Tensor) => [tanh(x), x] as const,
      bwd: () => [f64([NaN])], // made by tensor(), not by a primitive
    });
    const e = nonFinite(() => grad((x: Tensor) => sum(f(x)))(f64([0.5])));
    expect(e.op).toBe('customVjp');
    expect(e.arg).toBe('cotangent for input 0');
    expect(e.info).toMatchObject({ pass: 'backward', gradientOf: 'customVjp' });
  });

  it('finite computations are unchanged, and turning it off restores the silent behaviour', () => {
    setDebugNans(true);
    const g = grad((x: Tensor) => sum(mul(x, x)))(f64([1, 2]));
    expect(Array.from(g.toArray())).toEqual([2, 4]);
    setDebugNans(false);
    expect(grad(zeroTimesLog)(f64([0])).toArray()[0]).toBeNaN();
  });
});
