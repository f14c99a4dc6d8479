/**
 * assertGradcheck: gradcheck that throws. It passes exactly when gradcheck
 * passes, returns the same report, and throws a GradcheckError carrying
 * gradcheck's own failure when the check fails; argument errors stay what
 * they are.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, MnemoError, tensor, type Tensor } from '@mnemo/core';
import { customVjp, matmul, mul, sigmoid, softplus, tanh } from '@mnemo/autodiff';
import { assertGradcheck, gradcheck, GradcheckError } from '@mnemo/proofs';

const x = tensor([[0.1, -0.4, 0.3]], 'float64');
const w = tensor([[0.2, 0.5], [-0.3, 0.1], [0.7, -0.6]], 'float64');
const layer = (x: Tensor, w: Tensor): Tensor => tanh(matmul(x, w));
// softplus with the derivative's sign slipped: sigmoid(-x) instead of sigmoid(x).
const wrong = customVjp((x: Tensor) => softplus(x), { fwd: (x) => [softplus(x), x], bwd: (x, g) => [mul(g, sigmoid(mul(x, -1)))] });

describe('assertGradcheck', () => {
  it('returns the report gradcheck returns when the check passes', () => {
    const r = gradcheck(layer, [x, w], { argNames: ['x', 'w'] });
    expect(E.isRight(r)).toBe(true);
    const report = assertGradcheck(layer, [x, w], { argNames: ['x', 'w'] });
    expect(report).toEqual(E.isRight(r) ? r.right : undefined);
  });

  it('throws a GradcheckError with the failure gradcheck returns when the check fails', () => {
    const point = [tensor([0.5, -1.5], 'float64')] as const;
    const r = gradcheck(wrong, [...point]);
    expect(E.isLeft(r)).toBe(true);
    let caught: unknown;
    try {
      assertGradcheck(wrong, [...point]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GradcheckError);
    expect(caught).toBeInstanceOf(MnemoError);
    const e = caught as GradcheckError;
    expect(e.failure).toEqual(E.isLeft(r) ? r.left : undefined);
    expect(e.failure.kind).toBe('mismatch');
    expect(e.op).toBe('assertGradcheck');
    expect(e.message).toContain(e.failure.message);
  });

  it('throws the argument errors gradcheck throws, not a GradcheckError', () => {
    expect(() => assertGradcheck(layer, [x, w], { step: -1 })).toThrow(ArgumentError);
    expect(() => assertGradcheck(layer, [tensor([[1, 2, 3]]), tensor([[1], [2], [3]])])).toThrow(DTypeError);
    expect(() => assertGradcheck(layer, [x, w], { step: -1 })).not.toThrow(GradcheckError);
  });
});
