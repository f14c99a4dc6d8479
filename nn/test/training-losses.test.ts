import { describe, expect, it } from 'vitest';
import { key, normal, randint, tensor, uniform, unsafeDataOf, unsafeFromData, type Tensor } from '@mnemo/core';
import { grad, hessianVectorProduct, mul, sum, valueAndGrad } from '@mnemo/autodiff';
import { accuracy, binaryCrossEntropyWithLogits, mse, softmaxCrossEntropy } from '@mnemo/nn';

/** Central differences of a scalar function of one tensor, entry by entry. */
function numericGrad(f: (x: Tensor) => number, x: Tensor, h = 1e-6): number[] {
  const base = x.toArray() as Float64Array;
  return Array.from(base, (_, i) => {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] = plus[i]! + h;
    minus[i] = minus[i]! - h;
    return (f(unsafeFromData(plus, x.shape)) - f(unsafeFromData(minus, x.shape))) / (2 * h);
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) throw new Error(`entry ${i}: ${a} vs ${e} (tolerance ${tol})`);
  }
}

/** The textbook formula, computed naively (fine for moderate logits). */
function referenceCrossEntropy(z: Float64Array, y: ArrayLike<number>, n: number, c: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(z[i * c + j]!);
    total += -Math.log(Math.exp(z[i * c + y[i]!]!) / s);
  }
  return total / n;
}

function softmaxRows(z: Float64Array, n: number, c: number): Float64Array {
  const p = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = Math.max(m, z[i * c + j]!);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(z[i * c + j]! - m);
    for (let j = 0; j < c; j++) p[i * c + j] = Math.exp(z[i * c + j]! - m) / s;
  }
  return p;
}

describe('softmaxCrossEntropy', () => {
  const n = 5;
  const c = 4;
  const logits = normal(key(1), [n, c], { dtype: 'float64', std: 2 });
  const labels = randint(key(2), [n], 0, c);

  it('equals the reference formula', () => {
    const z = logits.toArray() as Float64Array;
    const want = referenceCrossEntropy(z, labels.toArray(), n, c);
    expect(Math.abs(softmaxCrossEntropy(logits, labels).item() - want)).toBeLessThan(1e-15 * Math.max(1, want) * 4);
    expect(softmaxCrossEntropy(logits, labels).dtype).toBe('float64');
  });

  it('its fused gradient is (softmax - onehot) / N and agrees with central differences', () => {
    const [v, g] = valueAndGrad((z: Tensor) => softmaxCrossEntropy(z, labels))(logits);
    expect(v.item()).toBe(softmaxCrossEntropy(logits, labels).item());
    const p = softmaxRows(logits.toArray() as Float64Array, n, c);
    const y = labels.toArray();
    const want = Array.from(p, (pv, k) => (pv - (y[Math.floor(k / c)] === k % c ? 1 : 0)) / n);
    expectClose(g.toArray(), want, 1e-15);
    const num = numericGrad((z) => referenceCrossEntropy(z.toArray() as Float64Array, y, n, c), logits);
    expectClose(g.toArray(), num, 1e-8);
  });

  it('scales the gradient by the incoming cotangent', () => {
    const g = grad((z: Tensor) => mul(softmaxCrossEntropy(z, labels), 3))(logits);
    const g1 = grad((z: Tensor) => softmaxCrossEntropy(z, labels))(logits);
    expectClose(g.toArray(), Array.from(g1.toArray(), (v) => 3 * v), 1e-15);
  });

  it('has a correct second derivative (the rule is written in differentiable ops)', () => {
    // H v for one row: (diag(p) - p p^T) v / N
    const v = normal(key(3), [n, c], { dtype: 'float64' });
    const hv = hessianVectorProduct((z: Tensor) => softmaxCrossEntropy(z, labels), logits, v);
    const p = softmaxRows(logits.toArray() as Float64Array, n, c);
    const vd = v.toArray();
    const want: number[] = [];
    for (let i = 0; i < n; i++) {
      let pv = 0;
      for (let j = 0; j < c; j++) pv += p[i * c + j]! * vd[i * c + j]!;
      for (let j = 0; j < c; j++) want.push((p[i * c + j]! * (vd[i * c + j]! - pv)) / n);
    }
    expectClose(hv.toArray(), want, 1e-14);
  });

  it('is stable at logits of 1e4 (value and gradient finite and right)', () => {
    const z = tensor([[1e4, 0, -1e4], [1e4, 1e4, 0], [-1e4, -1e4, -1e4]], 'float64');
    const y = tensor([1, 0, 2]);
    const [v, g] = valueAndGrad((t: Tensor) => softmaxCrossEntropy(t, y))(z);
    // row 0: 1e4 - 0; row 1: log 2; row 2: log 3
    expect(Math.abs(v.item() - (1e4 + Math.log(2) + Math.log(3)) / 3)).toBeLessThan(1e-11);
    expectClose(g.toArray(), [1 / 3, -1 / 3, 0, 0.5 / 3 - 1 / 3, 0.5 / 3, 0, 1 / 9, 1 / 9, 1 / 9 - 1 / 3], 1e-15);
    const f32 = softmaxCrossEntropy(tensor([[1e4, -1e4]], 'float32'), tensor([0]));
    expect(f32.item()).toBe(0);
  });

  it('accepts float32 labels with float64 logits and rejects bad labels and shapes', () => {
    expect(() => softmaxCrossEntropy(logits, tensor([0, 1, 2, 3, 1.5]))).toThrow(/labels\[4\] is 1.5, not an integer class in \[0, 4\)/);
    expect(() => softmaxCrossEntropy(logits, tensor([0, 1, 2, 3, 4]))).toThrow(/labels\[4\] is 4/);
    expect(() => softmaxCrossEntropy(logits, tensor([0, 1]))).toThrow(/expected labels of shape \[5\] for logits \[5, 4\], got \[2\]/);
    expect(() => softmaxCrossEntropy(tensor([1, 2]), tensor([0]))).toThrow(/logits of shape \[batch, classes\], got \[2\]/);
  });

  it('leaves its inputs unchanged', () => {
    const before = [logits.toArray().join(), labels.toArray().join()];
    valueAndGrad((z: Tensor) => softmaxCrossEntropy(z, labels))(logits);
    expect([logits.toArray().join(), labels.toArray().join()]).toEqual(before);
  });
});

describe('accuracy', () => {
  it('counts rows whose argmax is the label', () => {
    const z = tensor([[0.1, 0.9, 0], [3, 1, 2], [0, 0, 5], [1, 1, 0]]);
    expect(accuracy(z, tensor([1, 0, 1, 0]))).toBe(0.75);
    expect(accuracy(z, tensor([1, 0, 2, 1]))).toBe(0.75); // tie in the last row goes to class 0
  });
});

describe('mse', () => {
  it('value and gradient', () => {
    const p = normal(key(4), [3, 2], { dtype: 'float64' });
    const t = normal(key(5), [3, 2], { dtype: 'float64' });
    const pd = p.toArray();
    const td = t.toArray();
    const ref = (x: Tensor): number => {
      const xd = unsafeDataOf(x);
      let s = 0;
      for (let i = 0; i < 6; i++) s += (xd[i]! - td[i]!) ** 2;
      return s / 6;
    };
    expect(Math.abs(mse(p, t).item() - ref(p))).toBeLessThan(1e-15);
    const g = grad((x: Tensor) => mse(x, t))(p);
    expectClose(g.toArray(), Array.from(pd, (v, i) => (2 * (v - td[i]!)) / 6), 1e-15);
    expectClose(g.toArray(), numericGrad(ref, p), 1e-8);
    expect(() => mse(p, tensor([1], 'float64'))).toThrow(/target \[1\] must have the shape of pred \[3, 2\]/);
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  const x = tensor([-3, -0.5, 0, 0.7, 2.5, 0], 'float64');
  const t = tensor([0, 1, 1, 0.3, 1, 0], 'float64');
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const ref = (z: Tensor): number => {
    const zd = unsafeDataOf(z);
    const td = t.toArray();
    let s = 0;
    for (let i = 0; i < zd.length; i++) s += -td[i]! * Math.log(sig(zd[i]!)) - (1 - td[i]!) * Math.log(1 - sig(zd[i]!));
    return s / zd.length;
  };

  it('equals the textbook formula', () => {
    expect(Math.abs(binaryCrossEntropyWithLogits(x, t).item() - ref(x))).toBeLessThan(1e-15);
  });

  it('its fused gradient is (sigmoid(x) - t) / n, exact at x = 0, and agrees with central differences', () => {
    const [gx, gt] = grad((a: Tensor, b: Tensor) => binaryCrossEntropyWithLogits(a, b), { argnums: [0, 1] })(x, t) as Tensor[];
    const xd = x.toArray();
    const td = t.toArray();
    expectClose(gx!.toArray(), Array.from(xd, (v, i) => (sig(v) - td[i]!) / 6), 1e-15);
    expect(gx!.toArray()[2]).toBe((0.5 - 1) / 6);
    expectClose(gx!.toArray(), numericGrad(ref, x), 1e-8);
    expectClose(gt!.toArray(), Array.from(xd, (v) => -v / 6), 1e-15);
  });

  it('is stable at logits of 1e4', () => {
    const z = tensor([1e4, -1e4, 1e4], 'float64');
    const y = tensor([0, 1, 1], 'float64');
    const [v, g] = valueAndGrad((a: Tensor) => binaryCrossEntropyWithLogits(a, y))(z);
    expect(v.item()).toBe((1e4 + 1e4 + 0) / 3);
    expectClose(g.toArray(), [1 / 3, -1 / 3, 0], 1e-15);
  });

  it('rejects mismatched shapes and dtypes', () => {
    expect(() => binaryCrossEntropyWithLogits(x, tensor([1], 'float64'))).toThrow(/targets \[1\] must have the shape of logits \[6\]/);
    expect(() => binaryCrossEntropyWithLogits(x, uniform(key(0), [6]))).toThrow(/targets is float32, logits is float64/);
  });
});

it('a loss works under sum(...) inside a larger graph', () => {
  const z = tensor([[1, 2], [3, 4]], 'float64');
  const g = grad((a: Tensor) => sum(mul(softmaxCrossEntropy(a, tensor([0, 1])), a)))(z);
  expect(g.shape).toEqual([2, 2]);
  expect(g.toArray().every(Number.isFinite)).toBe(true);
});
