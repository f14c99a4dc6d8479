/**
 * What the tape records, pretty-printed: one LSTM step written inline from ops
 * (x [1, 2], h and c [1, 3], W [2, 12], U [3, 12], b [12]; the gates i, f, g, o
 * by split), compared as an inline snapshot so that anyone can read it.
 */
import { describe, expect, it } from 'vitest';
import { tensor, zeros, type Tensor } from '@mnemo/core';
import { add, grad, matmul, mul, sigmoid, split, sum, tanh, traceTape } from '@mnemo/autodiff';

/** One LSTM step (Hochreiter & Schmidhuber 1997, with a forget gate): returns the new h and c. */
function lstmStep(x: Tensor, h: Tensor, c: Tensor, W: Tensor, U: Tensor, b: Tensor): { h: Tensor; c: Tensor } {
  const z = add(add(matmul(x, W), matmul(h, U)), b); // all four gates' pre-activations, [1, 12]
  const [zi, zf, zg, zo] = split(z, 4, -1);
  const i = sigmoid(zi!); // input gate: how much of the candidate to write
  const f = sigmoid(zf!); // forget gate: how much of the old cell to keep
  const g = tanh(zg!); // candidate cell values
  const o = sigmoid(zo!); // output gate: how much of the cell to show
  const cNext = add(mul(f, c), mul(i, g));
  const hNext = mul(o, tanh(cNext));
  return { h: hNext, c: cNext };
}

describe('the tape of an LSTM step', () => {
  it('prints one line per primitive, in the order recorded', () => {
    const x = tensor([[0.5, -1]], 'float64');
    const h = zeros([1, 3], 'float64');
    const c = zeros([1, 3], 'float64');
    const W = zeros([2, 12], 'float64');
    const U = zeros([3, 12], 'float64');
    const b = zeros([12], 'float64');
    const t = traceTape(lstmStep, x, h, c, W, U, b);
    expect(t.toString()).toMatchInlineSnapshot(`
      "%0: float64[1, 2] = input
      %1: float64[1, 3] = input
      %2: float64[1, 3] = input
      %3: float64[2, 12] = input
      %4: float64[3, 12] = input
      %5: float64[12] = input
      %6 = matmul(%0, %3) {transA: false, transB: false} : float64[1, 12]
      %7 = matmul(%1, %4) {transA: false, transB: false} : float64[1, 12]
      %8 = add(%6, %7) : float64[1, 12]
      %9 = add(%8, %5) : float64[1, 12]
      %10 = slice(%9) {begin: [0, 0], size: [1, 3]} : float64[1, 3]
      %11 = slice(%9) {begin: [0, 3], size: [1, 3]} : float64[1, 3]
      %12 = slice(%9) {begin: [0, 6], size: [1, 3]} : float64[1, 3]
      %13 = slice(%9) {begin: [0, 9], size: [1, 3]} : float64[1, 3]
      %14 = sigmoid(%10) : float64[1, 3]
      %15 = sigmoid(%11) : float64[1, 3]
      %16 = tanh(%12) : float64[1, 3]
      %17 = sigmoid(%13) : float64[1, 3]
      %18 = mul(%15, %2) : float64[1, 3]
      %19 = mul(%14, %16) : float64[1, 3]
      %20 = add(%18, %19) : float64[1, 3]
      %21 = tanh(%20) : float64[1, 3]
      %22 = mul(%17, %21) : float64[1, 3]"
    `);
  });

  it('an outer tape records the backward pass of an inner grad (how gradients of gradients work)', () => {
    // grad(sum(tanh)) = 1 - tanh^2: the inner tape's input is an identity of the outer one's,
    // and the rule's ops (square, sub, mul) are recorded on the outer tape
    const t = traceTape((x: Tensor) => grad((y: Tensor) => sum(tanh(y)))(x), tensor([0.5, -1], 'float64'));
    expect(t.toString()).toMatchInlineSnapshot(`
      "%0: float64[2] = input
      %1 = identity(%0) : float64[2]
      %2 = tanh(%1) : float64[2]
      %3 = sum(%2) {axes: [0], keepDims: false} : float64[]
      %4 = square(%2) : float64[2]
      %5 = sub(1, %4) : float64[2]
      %6 = mul(const float64[2], %5) : float64[2]"
    `);
  });
});
