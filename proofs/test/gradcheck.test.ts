/**
 * The checker itself: what it reports, that bad input comes back as a clear
 * reason, and that it has teeth (a wrong rule swapped in through customVjp is
 * caught, and the report names the input).
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { DTypeError, ArgumentError, key, normal, scalar, tensor, type Tensor } from '@mnemo/core';
import { add, cast, cos, customVjp, log, matmul, mul, sigmoid, sin, sqrt, stopGradient, sub, sum, tanh, transpose, relu } from '@mnemo/autodiff';
import { arbShape, arbTensor, gradcheck, gradgradcheck, type GradcheckFailure, type GradcheckResult } from '@mnemo/proofs';
import { runs } from './helpers.js';

const f64 = (v: number[] | number[][]): Tensor => tensor(v, 'float64');

function failure(r: GradcheckResult): GradcheckFailure {
  if (E.isRight(r)) throw new Error(`expected a failure, got a pass: ${JSON.stringify(r.right.inputs)}`);
  return r.left;
}

/** sigmoid with the wrong derivative s instead of s (1 - s). */
const badSigmoid = customVjp((x: Tensor) => sigmoid(x), {
  fwd: (x: Tensor) => {
    const s = sigmoid(x);
    return [s, s] as const;
  },
  bwd: (s: Tensor, g: Tensor) => [mul(g, s)],
});

/** matmul whose gradient for `a` is transposed: (g b^T)^T instead of g b^T. */
const badMatmul = customVjp((a: Tensor, b: Tensor) => matmul(a, b), {
  fwd: (a: Tensor, b: Tensor) => [matmul(a, b), [a, b] as const] as const,
  bwd: ([a, b]: readonly [Tensor, Tensor], g: Tensor) => [transpose(matmul(g, b, { transB: true })), matmul(a, g, { transA: true })],
});

/** A rule off by a factor: tanh' scaled by c. */
const scaledTanh = (c: number): ((x: Tensor) => Tensor) =>
  customVjp((x: Tensor) => tanh(x), {
    fwd: (x: Tensor) => {
      const y = tanh(x);
      return [y, y] as const;
    },
    bwd: (y: Tensor, g: Tensor) => [mul(mul(g, sub(1, mul(y, y))), c)],
  });

describe('the checker has teeth', () => {
  it("catches sigmoid' = s instead of s (1 - s) and names the input, in both modes", () => {
    for (const mode of ['elementwise', 'dot'] as const) {
      const f = failure(gradcheck((w: Tensor, x: Tensor) => mul(badSigmoid(x), w), [f64([1.5, -0.5, 2]), f64([0.3, -0.8, 1.1])], { mode, argNames: ['w', 'x'] }));
      expect(f.kind).toBe('mismatch');
      if (f.kind !== 'mismatch') return;
      expect(f.message).toContain('for x:');
      expect(f.report.inputs.find((r) => r.path === 'w')!.failed).toBe(0);
      expect(f.report.inputs.find((r) => r.path === 'x')!.failed).toBeGreaterThan(0);
      expect(f.worst.every((e) => e.input === 'x')).toBe(true);
      if (mode === 'elementwise') {
        // d out[i] / d x[i] = w[i] s (1 - s): the worst entries carry index, analytic and numeric values.
        const e = f.worst.find((w) => w.element === 'x[0]')!;
        const s = 1 / (1 + Math.exp(-0.3));
        expect(e.output).toBe('out[0]');
        expect(e.numeric).toBeCloseTo(1.5 * s * (1 - s), 8);
        expect(e.analytic).toBeCloseTo(1.5 * s, 12);
        expect(e.index).toEqual([0]);
      }
    }
  });

  it('catches a transposed matmul gradient for a, and only for a', () => {
    const a = normal(key(1), [3, 3], { dtype: 'float64' });
    const b = normal(key(2), [3, 3], { dtype: 'float64' });
    for (const mode of ['elementwise', 'dot'] as const) {
      const f = failure(gradcheck(badMatmul, [a, b], { mode, argNames: ['a', 'b'] }));
      expect(f.kind).toBe('mismatch');
      if (f.kind !== 'mismatch') return;
      expect(f.report.inputs.map((r) => [r.path, r.failed > 0])).toEqual([
        ['a', true],
        ['b', false],
      ]);
      expect(f.message).toMatch(/for a:\n {2}a \[3, 3\]/);
    }
  });

  it('names pytree paths: a wrong rule inside a record of parameters', () => {
    const params = { w: f64([[0.5, -0.2], [0.1, 0.4]]), b: f64([0.1, -0.3]) };
    const x = f64([[0.7, -1.2]]);
    const model = (p: { w: Tensor; b: Tensor }, x: Tensor): Tensor => sum(badSigmoid(add(matmul(x, p.w), p.b)));
    const f = failure(gradcheck(model, [params, x]));
    expect(f.kind).toBe('mismatch');
    if (f.kind !== 'mismatch') return;
    expect(f.report.inputs.map((r) => r.path)).toEqual(['args[0].b', 'args[0].w', 'args[1]']);
    expect(f.report.inputs.every((r) => r.failed > 0)).toBe(true);
  });

  it('catches a rule off by any factor c with |c - 1| >= 1% at the default tolerances (property)', () => {
    fc.assert(
      fc.property(
        arbTensor({ shape: arbShape({ minRank: 1, maxSize: 12 }), min: -1.5, max: 1.5 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.boolean(),
        fc.constantFrom('elementwise', 'dot'),
        (x, d, up, mode) => {
          const c = up ? 1 + d : 1 - d;
          const f = failure(gradcheck((t: Tensor) => mul(scaledTanh(c)(t), 3), [x], { mode, argNames: ['x'] }));
          return f.kind === 'mismatch' && f.message.includes('for x:');
        },
      ),
      { numRuns: runs(100) },
    );
  });

  it('gradgradcheck catches a rule that is right to first order but not differentiable correctly', () => {
    // sin with the right first derivative, but cos(x) is taken as a constant in the backward pass.
    const sinStopped = customVjp((x: Tensor) => sin(x), {
      fwd: (x: Tensor) => [sin(x), x] as const,
      bwd: (x: Tensor, g: Tensor) => [mul(g, stopGradient(cos(x)))],
    });
    const x = f64([0.3, -1.1, 2]);
    expect(E.isRight(gradcheck((t: Tensor) => sum(sinStopped(t)), [x]))).toBe(true);
    const f = failure(gradgradcheck((t: Tensor) => sum(sinStopped(t)), [x], { argNames: ['x'] }));
    expect(f.kind).toBe('mismatch');
    expect(f.message).toContain('x');
  });
});

describe('what gradcheck reports', () => {
  it('per input: path, elements, comparisons and the largest errors', () => {
    const r = gradcheck((x: Tensor, w: Tensor) => tanh(matmul(x, w)), [f64([[0.1, -0.4, 0.3]]), f64([[0.2, 0.5], [-0.3, 0.1], [0.7, -0.6]])], { argNames: ['x', 'w'], mode: 'both' });
    expect(E.isRight(r)).toBe(true);
    if (E.isLeft(r)) return;
    const [x, w] = r.right.inputs;
    expect(r.right.modes).toEqual(['elementwise', 'dot']);
    expect([x!.path, x!.elements, w!.path, w!.elements]).toEqual(['x', 3, 'w', 6]);
    // Jacobian entries (2 outputs per input element) plus 3 directions each.
    expect(x!.checked).toBe(3 * 2 + 3);
    expect(w!.checked).toBe(6 * 2 + 3);
    expect(r.right.elements).toBe(9);
    expect(r.right.maxRelError).toBeLessThan(1e-8);
    expect(x!.normRelError!).toBeLessThan(1e-9);
  });

  it('auto mode switches to the dot-product test above maxElements', () => {
    const big = normal(key(3), [40, 10], { dtype: 'float64' });
    const r = gradcheck((x: Tensor) => tanh(x), [big]);
    expect(E.isRight(r) && r.right.modes).toEqual(['dot']);
    const small = gradcheck((x: Tensor) => tanh(x), [f64([1, 2])]);
    expect(E.isRight(small) && small.right.modes).toEqual(['elementwise']);
  });

  it('holds arguments not in wrt constant', () => {
    const r = gradcheck((x: Tensor, k: Tensor) => mul(x, k), [f64([1, 2]), f64([3, 4])], { wrt: [0] });
    expect(E.isRight(r) && r.right.inputs.map((i) => i.path)).toEqual(['args[0]']);
  });

  it('refuses float32 inputs with a DTypeError that explains why, unless float32 precision is asked for', () => {
    const x = tensor([0.5, 1.5], 'float32');
    expect(() => gradcheck(tanh, [x])).toThrowError(DTypeError);
    expect(() => gradcheck(tanh, [x])).toThrowError(/float32.*rounding.*precision: 'float32'/s);
    const r = gradcheck(tanh, [x], { precision: 'float32' });
    expect(E.isRight(r) && r.right.settings.step).toBe(1e-3);
  });

  it('rejects misuse at once with typed errors', () => {
    expect(() => gradcheck(42 as never, [f64([1])])).toThrowError(ArgumentError);
    expect(() => gradcheck(tanh, [f64([1])], { step: -1 })).toThrowError(/options.step/);
    expect(() => gradcheck(tanh, [f64([1])], { wrt: [3] })).toThrowError(/argument 3 does not exist/);
    expect(() => gradcheck(tanh, [f64([1])], { mode: 'fast' as never })).toThrowError(/options.mode/);
  });
});

describe('bad input is reported with a clear reason, not thrown', () => {
  it('a non-scalar output where a scalar is needed', () => {
    const f = failure(gradcheck(tanh, [f64([[1, 2, 3]])], { output: 'scalar' }));
    expect(f.kind).toBe('not-scalar');
    expect(f.message).toContain('[1, 3]');
    expect(E.isRight(gradcheck((x: Tensor) => sum(tanh(x)), [f64([[1, 2, 3]])], { output: 'scalar' }))).toBe(true);
  });

  it('a non-finite value met during the differences names the moved element', () => {
    const f = failure(gradcheck(log, [f64([2, 5e-7])]));
    expect(f.kind).toBe('non-finite');
    if (f.kind !== 'non-finite') return;
    expect(f.where).toBe('perturbed');
    expect(f.message).toContain('args[0][1] was moved by -1e-6');
  });

  it('a non-finite value at the point, or in the analytic gradient', () => {
    expect(failure(gradcheck(log, [f64([-1, 1])]))).toMatchObject({ kind: 'non-finite', where: 'value' });
    const f = failure(gradcheck(sqrt, [f64([4, 0])]));
    expect(f).toMatchObject({ kind: 'non-finite', where: 'analytic', input: 'args[0][1]' });
  });

  it('an input at a non-differentiable point, with the one-sided slopes', () => {
    const f = failure(gradcheck((x: Tensor) => sum(relu(x)), [f64([0.5, 0, -1])]));
    expect(f.kind).toBe('non-differentiable');
    if (f.kind !== 'non-differentiable') return;
    expect(f.kinks).toHaveLength(1);
    expect(f.kinks[0]).toMatchObject({ element: 'args[0][1]', at: 'point', analytic: 0, between: true });
    expect(f.kinks[0]!.left).toBeCloseTo(0, 9);
    expect(f.kinks[0]!.right).toBeCloseTo(1, 9);
    expect(f.report.kinks).toBe(1);
  });

  it('a kink within one step of the input is told apart from a wrong rule', () => {
    const f = failure(gradcheck((x: Tensor) => sum(relu(x)), [f64([4e-7, 1])]));
    expect(f).toMatchObject({ kind: 'non-differentiable' });
    if (f.kind === 'non-differentiable') expect(f.kinks[0]!.at).toBe('within-step');
  });

  it('a float32 output from float64 inputs (its rounding would swamp the differences)', () => {
    const f = failure(gradcheck((x: Tensor) => cast(x, 'float32'), [f64([1, 2])]));
    expect(f.kind).toBe('bad-output');
    expect(f.message).toMatch(/float32 tensor \(out\) from float64 inputs/);
  });

  it('f throwing, or returning something that is not a pytree of tensors', () => {
    const thrower = (x: Tensor): Tensor => matmul(x, f64([[1, 2, 3]]));
    expect(failure(gradcheck(thrower, [f64([[1, 2]])]))).toMatchObject({ kind: 'threw' });
    expect(failure(gradcheck((_x: Tensor) => 3 as unknown as Tensor, [f64([1])]))).toMatchObject({ kind: 'bad-output' });
    expect(failure(gradcheck((_x: Tensor) => ({ a: scalar(1, 'float64'), n: 2 }), [f64([1])]))).toMatchObject({ kind: 'bad-output' });
  });
});
