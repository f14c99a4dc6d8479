/**
 * The compiler's own guarantees, at the level of autodiff: a compiled
 * recurrence derives its backward pass from the rule table (a wrong rule
 * makes it wrong too, the same way as the tape), and fused elementwise
 * functions compute what their ops compute.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, MnemoError, key, normal, tensor, zeros, type Tensor } from '@mnemo/core';
import {
  add,
  compiledRecurrence,
  explainRecurrence,
  fuseElementwise,
  grad,
  index,
  matmul,
  mul,
  sqrt,
  stack,
  sub,
  sum,
  tanh,
  div,
  exp,
  where,
  greater,
  hessianVectorProduct,
  type StepFunction,
  type VjpRule,
} from '@mnemo/autodiff';
import { VJP_RULES } from '../src/rules.js';
import { installRules } from '../src/tape.js';

type P = { w: Tensor; u: Tensor };

/** An Elman step, and the same loop on the tape. */
const elman: StepFunction<P, Tensor> = (p, h, x) => {
  const h2 = tanh(add(matmul(x, p.w), matmul(h, p.u)));
  return [h2, h2];
};
const tapeLoop = (step: StepFunction<P, Tensor>) => (p: P, h0: Tensor, xs: Tensor) => {
  let h = h0;
  const ys: Tensor[] = [];
  for (let t = 0; t < xs.shape[1]!; t++) {
    [h] = step(p, h, index(xs, 1, t));
    ys.push(h);
  }
  return { outputs: stack(ys, 1), finalState: h };
};

const p: P = { w: normal(key(1), [3, 4], { dtype: 'float64' }), u: normal(key(2), [4, 4], { dtype: 'float64', std: 0.5 }) };
const xs = normal(key(3), [2, 5, 3], { dtype: 'float64' });
const h0 = zeros([2, 4], 'float64');
const R = normal(key(4), [2, 5, 4], { dtype: 'float64' });

/** d loss / d u[0, 1] by central differences. */
function centralDifference(run: (q: P) => Tensor): number {
  const eps = 1e-6;
  const at = (d: number): number => {
    const u = p.u.toArray();
    u[1] = u[1]! + d;
    return run({ w: p.w, u: tensor(u, 'float64', [4, 4]) }).item();
  };
  return (at(eps) - at(-eps)) / (2 * eps);
}

describe('a compiled recurrence derives its backward pass from the rule table', () => {
  it('with the real rules it agrees with central differences', () => {
    const step: StepFunction<P, Tensor> = (q, h, x) => elman(q, h, x);
    const loss = (q: P) => sum(mul(compiledRecurrence(step, q, h0, xs, { key: step, reference: tapeLoop(step) }).outputs, R));
    const g = grad(loss)(p).u.toArray()[1]!;
    expect(Math.abs(g - centralDifference(loss))).toBeLessThan(1e-8);
  });

  it("with a wrong rule for tanh (1 - y instead of 1 - y²) its gradient is wrong, exactly as the tape's", () => {
    const wrongTanh: VjpRule<'tanh'> = (g, { output: y }) => [mul(g, sub(1, y))];
    installRules({ ...VJP_RULES, tanh: wrongTanh });
    try {
      // a fresh step: compiled programs are cached per step, and this one is traced under the wrong rule
      const step: StepFunction<P, Tensor> = (q, h, x) => elman(q, h, x);
      const loss = (compiled: boolean) => (q: P) =>
        sum(mul((compiled ? compiledRecurrence(step, q, h0, xs, { key: step, reference: tapeLoop(step) }) : tapeLoop(step)(q, h0, xs)).outputs, R));
      const gc = grad(loss(true))(p).u.toArray()[1]!;
      const gt = grad(loss(false))(p).u.toArray()[1]!;
      const fd = centralDifference(loss(true));
      expect(Math.abs(gc - gt)).toBeLessThan(1e-12);
      expect(Math.abs(gc - fd)).toBeGreaterThan(1e-3);
    } finally {
      installRules(VJP_RULES);
    }
  });

  it('explainRecurrence lists the program of a compiled step', () => {
    const e = explainRecurrence(elman, elman, p, h0, xs);
    expect(e.compiled).toBe(true);
    if (e.compiled) expect(e.program).toMatch(/tanh/);
  });
});

describe('fuseElementwise', () => {
  const f = (x: Tensor, y: Tensor, a: Tensor): Tensor[] => {
    const z = add(mul(x, a), div(y, add(mul(y, y), 1)));
    return [where(greater(z, 0), sqrt(z), exp(z)), sub(x, y)];
  };
  const fused = fuseElementwise(f);

  for (const dtype of ['float64', 'float32'] as const) {
    it(`computes what its ops compute (${dtype}: IEEE arithmetic bit for bit, exp within a few units in the last place)`, () => {
      const n = 1000;
      const x = normal(key(5), [n], { dtype });
      const y = normal(key(6), [n], { dtype });
      const [a1, b1] = fused(x, y, 0.75);
      const [a2, b2] = f(x, y, tensor([0.75], dtype, []));
      // exp is a polynomial in the loop and Math.exp on the tape: a few units in the last place
      const tol = dtype === 'float64' ? 4e-16 : 4e-7;
      const rel = (u: Tensor, v: Tensor) => Math.max(...Array.from(u.toArray(), (w, i) => Math.abs(w - v.toArray()[i]!) / Math.max(Math.abs(v.toArray()[i]!), 1e-300)));
      expect(rel(a1!, a2!)).toBeLessThan(tol);
      expect(Array.from(b1!.toArray())).toEqual(Array.from(b2!.toArray()));
      expect(a1!.shape).toEqual([n]);
    });
  }

  it('keeps the arguments unchanged and takes scalars that change from call to call', () => {
    const x = normal(key(7), [3, 5], { dtype: 'float64' });
    const before = x.toArray();
    const [u] = fuseElementwise((a: Tensor, s: Tensor) => [mul(a, s)])(x, 2);
    const [v] = fuseElementwise((a: Tensor, s: Tensor) => [mul(a, s)])(x, 3);
    expect(Array.from(x.toArray())).toEqual(Array.from(before));
    expect(Array.from(u!.toArray())).toEqual(Array.from(before, (w) => w * 2));
    expect(Array.from(v!.toArray())).toEqual(Array.from(before, (w) => w * 3));
  });

  it('runs op by op (and so is differentiated) when a tape records, and when f is not elementwise', () => {
    const sq = fuseElementwise((a: Tensor) => [mul(a, a)]);
    const x = tensor([1, 2, 3], 'float64');
    expect(Array.from(grad((a: Tensor) => sum(sq(a)[0]!))(x).toArray())).toEqual([2, 4, 6]);
    const total = fuseElementwise((a: Tensor) => [add(a, sum(a))]);
    expect(Array.from(total(x)[0]!.toArray())).toEqual([7, 8, 9]);
  });

  it('second order through it is the ops\' own: a Hessian-vector product equals the unfused one bit for bit, and the analytic one', () => {
    // loss = sum(x^2 * y + tanh(x)): H v = [2y vx + 2x vy - 2 tanh(x)(1 - tanh(x)^2) vx, 2x vx]
    const g = (x: Tensor, y: Tensor): Tensor[] => [add(mul(mul(x, x), y), tanh(x))];
    const fusedG = fuseElementwise(g);
    const loss = (h: (x: Tensor, y: Tensor) => Tensor[]) => (p: { x: Tensor; y: Tensor }) => sum(h(p.x, p.y)[0]!);
    const p = { x: normal(key(11), [6], { dtype: 'float64' }), y: normal(key(12), [6], { dtype: 'float64' }) };
    const v = { x: normal(key(13), [6], { dtype: 'float64' }), y: normal(key(14), [6], { dtype: 'float64' }) };
    const fusedHv = hessianVectorProduct(loss(fusedG), p, v);
    const plainHv = hessianVectorProduct(loss(g), p, v);
    expect(Array.from(fusedHv.x.toArray())).toEqual(Array.from(plainHv.x.toArray()));
    expect(Array.from(fusedHv.y.toArray())).toEqual(Array.from(plainHv.y.toArray()));
    const [x, y, vx, vy] = [p.x.toArray(), p.y.toArray(), v.x.toArray(), v.y.toArray()];
    Array.from(x).forEach((xi, i) => {
      const t = Math.tanh(xi);
      expect(fusedHv.x.toArray()[i]).toBeCloseTo(2 * y[i]! * vx[i]! + 2 * xi * vy[i]! - 2 * t * (1 - t * t) * vx[i]!, 12);
      expect(fusedHv.y.toArray()[i]).toBeCloseTo(2 * xi * vx[i]!, 12);
    });
  });
});

/** `f` throws an ArgumentError from `op` about `arg` (not a TypeError from inside); returns its message. */
function refused(f: () => unknown, op: string, arg: string): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${op} ${arg}`).toBeInstanceOf(ArgumentError);
  expect((caught as MnemoError).op).toBe(op);
  expect((caught as MnemoError).arg).toBe(arg);
  return (caught as Error).message;
}

describe('malformed arguments: typed errors before anything is traced (found by the fuzz suite)', () => {
  const options = { key: elman, reference: tapeLoop(elman) };
  const bare = (): object => Object.create(null) as object;

  it('compiledRecurrence checks the step, the sequence and every option', () => {
    expect(refused(() => compiledRecurrence(null as never, p, h0, xs, options), 'compiledRecurrence', 'step')).toMatch(/expected a step function .*, got null/);
    expect(refused(() => compiledRecurrence(elman, p, h0, bare() as never, options), 'compiledRecurrence', 'xs')).toMatch(/got \{\}/);
    expect(refused(() => compiledRecurrence(elman, p, h0, zeros([2, 3]), options), 'compiledRecurrence', 'xs')).toMatch(/got a Tensor float32 \[2, 3\]/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, null as never), 'compiledRecurrence', 'options')).toMatch(/got null/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, undefined as never), 'compiledRecurrence', 'options.key')).toMatch(/got undefined/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, { ...options, key: 1n as never }), 'compiledRecurrence', 'options.key')).toMatch(/got 1n/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, { key: elman } as never), 'compiledRecurrence', 'options.reference')).toMatch(/got undefined/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, { ...options, reverse: 'yes' as never }), 'compiledRecurrence', 'options.reverse')).toMatch(/got "yes"/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, { ...options, checkpointEvery: -1 }), 'compiledRecurrence', 'options.checkpointEvery')).toMatch(/got -1/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, { ...options, mask: zeros([5, 2], 'float64') }), 'compiledRecurrence', 'options.mask')).toMatch(/\[batch 2, steps 5\]/);
    expect(refused(() => compiledRecurrence(elman, p, h0, xs, { ...options, mask: bare() as never }), 'compiledRecurrence', 'options.mask')).toMatch(/got \{\}/);
  });

  it('explainRecurrence checks the step before it calls it, and says when the step returns something else than [state, output]', () => {
    expect(refused(() => explainRecurrence(undefined as never, {}, p, h0, xs), 'explainRecurrence', 'step')).toMatch(/got undefined/);
    expect(refused(() => explainRecurrence(elman, 'key' as never, p, h0, xs), 'explainRecurrence', 'key')).toMatch(/got "key"/);
    expect(refused(() => explainRecurrence(elman, {}, p, h0, 7 as never), 'explainRecurrence', 'xs')).toMatch(/got 7/);
    expect(refused(() => explainRecurrence(elman, {}, p, h0, xs, 'yes' as never), 'explainRecurrence', 'masked')).toMatch(/got "yes"/);
    const odd = (() => 5) as unknown as StepFunction<P, Tensor>;
    const e = explainRecurrence(odd, {}, p, h0, xs);
    expect(e.compiled).toBe(false);
    if (!e.compiled) expect(e.reason).toMatch(/the step must return \[state, output\], got 5/);
  });

  it('fuseElementwise checks f, what it returns, and its arguments', () => {
    expect(refused(() => fuseElementwise(null as never), 'fuseElementwise', 'f')).toMatch(/got null/);
    expect(refused(() => fuseElementwise(((a: Tensor) => a) as never)(tensor([1, 2], 'float64')), 'fuseElementwise', 'f')).toMatch(/must return an array of tensors, returned a Tensor float64/);
    expect(refused(() => fuseElementwise((() => [1]) as never)(tensor([1, 2], 'float64')), 'fuseElementwise', 'f')).toMatch(/returned \[1\]/);
    const sq = fuseElementwise((a: Tensor, s: Tensor) => [mul(a, s)]);
    expect(refused(() => sq(tensor([1, 2], 'float64'), 2n as never), 'fuseElementwise', 'args[1]')).toMatch(/expected a Tensor or a number, got 2n/);
    expect(refused(() => sq(tensor([1, 2], 'float64'), bare() as never), 'fuseElementwise', 'args[1]')).toMatch(/got \{\}/);
    // a one-element tensor of the other dtype is still a scalar
    expect(Array.from(sq(tensor([1, 2], 'float64'), tensor([3], 'float32'))[0]!.toArray())).toEqual([3, 6]);
  });
});
