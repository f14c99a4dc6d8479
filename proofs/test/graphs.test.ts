/**
 * Random op graphs: programs of 2 to 30 ops drawn by fast-check, over a pool
 * of values that starts with the inputs, checked end to end (the whole
 * program's Jacobian, entry by entry and in random directions). Values reused
 * several times, broadcasting, reductions, matmuls, reshapes, slices,
 * gathers and selects all meet in one tape.
 *
 * Every op keeps values bounded (tanh before a product, averages instead of
 * sums), so that long programs stay well conditioned, and no op has a kink
 * (no relu, abs, max): the checks need no margin.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { tensor, type Tensor } from '@mnemo/core';
import * as ad from '@mnemo/autodiff';
import { arbTensor, gradcheck } from '@mnemo/proofs';
import { passes, runs } from './helpers.js';

/** One op of a program: which op, three operand choices (taken modulo the pool size) and a constant. */
interface Instr {
  readonly op: number;
  readonly i: number;
  readonly j: number;
  readonly k: number;
  readonly c: number;
}

type Op = { readonly name: string; readonly apply: (a: Tensor, b: Tensor, c: Tensor, k: number, consts: Consts) => Tensor };

/** Constants of a program: a 0/1 mask for where, row indices for gather. */
interface Consts {
  readonly mask: Tensor;
  readonly rows: Tensor;
}

const half = (t: Tensor): Tensor => ad.mul(t, 0.5);

/** Every op maps [m, n] values to an [m, n] value. */
const OPS: readonly Op[] = [
  { name: 'tanh', apply: (a) => ad.tanh(a) },
  { name: 'sigmoid', apply: (a) => ad.sigmoid(a) },
  { name: 'sin', apply: (a) => ad.sin(a) },
  { name: 'cos', apply: (a) => ad.cos(a) },
  { name: 'neg', apply: (a) => ad.neg(a) },
  { name: 'scale', apply: (a, _b, _c, k) => ad.mul(a, k) },
  { name: 'softsign', apply: (a) => ad.mul(a, ad.rsqrt(ad.add(ad.square(a), 1))) },
  { name: 'log1p-square', apply: (a) => ad.log1p(ad.square(a)) },
  { name: 'sqrt', apply: (a) => ad.sqrt(ad.add(ad.square(a), 0.5)) },
  { name: 'exp-tanh', apply: (a) => ad.exp(ad.tanh(a)) },
  { name: 'expm1', apply: (a) => ad.expm1(ad.sigmoid(a)) },
  { name: 'softplus', apply: (a) => ad.softplus(ad.tanh(a)) },
  { name: 'average', apply: (a, b) => half(ad.add(a, b)) },
  { name: 'half-difference', apply: (a, b) => half(ad.sub(a, b)) },
  { name: 'gated product', apply: (a, b) => ad.mul(a, ad.tanh(b)) },
  { name: 'damped quotient', apply: (a, b) => ad.div(a, ad.add(ad.square(b), 1)) },
  { name: 'reciprocal', apply: (a) => ad.reciprocal(ad.add(ad.sigmoid(a), 0.5)) },
  { name: 'pow', apply: (a, b) => ad.pow(ad.add(ad.sigmoid(a), 0.5), ad.tanh(b)) },
  { name: 'log', apply: (a) => ad.log(ad.add(ad.sigmoid(a), 0.2)) },
  { name: 'logSoftmax', apply: (a, _b, _c, k) => half(ad.logSoftmax(a, k < 0 ? 0 : 1)) },
  { name: 'softmax', apply: (a) => ad.softmax(a, 0) },
  { name: 'normalize', apply: (a, b) => ad.mul(ad.normalize(ad.add(a, ad.mul(b, 0.1)), -1, 1), 0.5) },
  { name: 'row mean', apply: (a, b) => half(ad.add(ad.mean(a, { axes: 1, keepDims: true }), b)) },
  { name: 'column sum', apply: (a, b) => half(ad.add(ad.div(ad.sum(a, { axes: 0, keepDims: true }), a.shape[0]!), b)) },
  { name: 'total', apply: (a, b) => half(ad.add(ad.mean(ad.tanh(a)), b)) },
  { name: 'logsumexp', apply: (a, b) => half(ad.sub(b, ad.div(ad.logsumexp(a, { axes: 1, keepDims: true }), 4))) },
  {
    name: 'matmul',
    apply: (a, b, c) => {
      const [m, n] = a.shape as [number, number];
      return ad.div(ad.matmul(ad.matmul(ad.tanh(a), ad.tanh(b), { transB: true }), c), m * n);
    },
  },
  { name: 'matmul transA', apply: (a, b, c) => ad.div(ad.matmul(c, ad.matmul(ad.tanh(a), ad.tanh(b), { transA: true })), a.size) },
  { name: 'reshape-transpose', apply: (a) => ad.transpose(ad.reshape(a, [a.shape[1]!, a.shape[0]!])) },
  { name: 'flatten-reverse', apply: (a) => ad.reshape(ad.concat(ad.split(ad.reshape(a, [-1]), a.size).reverse()), a.shape) },
  {
    name: 'rotate columns',
    apply: (a) => {
      const n = a.shape[1]!;
      return n < 2 ? a : ad.concat([ad.sliceAxis(a, 1, 1, n), ad.sliceAxis(a, 1, 0, 1)], 1);
    },
  },
  { name: 'shift rows', apply: (a) => ad.slice(ad.pad(a, [[1, 0], [0, 0]], 0.25), [0, 0], [a.shape[0]!, a.shape[1]!]) },
  { name: 'stack-sum', apply: (a, b) => ad.mean(ad.stack([a, b, a], 0), { axes: 0 }) },
  { name: 'where', apply: (a, b, _c, _k, consts) => ad.where(consts.mask, a, b) },
  { name: 'gather rows', apply: (a, _b, _c, _k, consts) => ad.gather(a, consts.rows, 0) },
  { name: 'broadcast row', apply: (a, b) => half(ad.add(ad.broadcastTo(ad.sliceAxis(b, 0, 0, 1), a.shape), a)) },
  { name: 'checkpoint', apply: (a, b) => ad.checkpoint((x: Tensor, y: Tensor) => ad.tanh(ad.mul(x, y)))(a, b) },
];

const program = fc
  .record({
    m: fc.integer({ min: 1, max: 3 }),
    n: fc.integer({ min: 1, max: 3 }),
    inputs: fc.integer({ min: 1, max: 3 }),
    ops: fc.array(
      fc.record({
        op: fc.nat({ max: OPS.length - 1 }),
        i: fc.nat(),
        j: fc.nat(),
        k: fc.nat(),
        c: fc.double({ min: -1, max: 1, noNaN: true }),
      }),
      { minLength: 2, maxLength: 30 },
    ),
  })
  .chain(({ m, n, inputs, ops }) =>
    fc.record({
      m: fc.constant(m),
      n: fc.constant(n),
      ops: fc.constant(ops as readonly Instr[]),
      xs: fc.array(arbTensor({ shape: [m, n], min: -1.5, max: 1.5 }), { minLength: inputs, maxLength: inputs }),
      mask: fc.array(fc.boolean(), { minLength: m * n, maxLength: m * n }),
      rows: fc.array(fc.nat({ max: m - 1 }), { minLength: m, maxLength: m }),
    }),
  );

/** Run a program: every op appends its value to the pool; the result is the last value. */
function run(ops: readonly Instr[], consts: Consts, xs: readonly Tensor[]): Tensor {
  const pool = xs.slice();
  for (const ins of ops) {
    const pick = (r: number): Tensor => pool[r % pool.length]!;
    pool.push(OPS[ins.op]!.apply(pick(ins.i), pick(ins.j), pick(ins.k), ins.c, consts));
  }
  return pool[pool.length - 1]!;
}

describe('random op graphs of 2 to 30 ops, checked end to end', () => {
  it('the whole program agrees with central differences (Jacobian entries and random directions)', () => {
    fc.assert(
      fc.property(program, fc.nat(), ({ m, n, ops, xs, mask, rows }, seed) => {
        const consts: Consts = {
          mask: tensor(Float64Array.from(mask, (b) => (b ? 1 : 0)), 'float64', [m, n]),
          rows: tensor(Float64Array.from(rows), 'float64', [m]),
        };
        const names = ops.map((o) => OPS[o.op]!.name).join(' > ');
        return passes(gradcheck((...ts: Tensor[]) => run(ops, consts, ts), xs, { mode: 'both', seed, atol: 1e-6, rtol: 1e-5 }), `[${m}, ${n}]: ${names}`);
      }),
      { numRuns: runs(100) },
    );
  });
});
