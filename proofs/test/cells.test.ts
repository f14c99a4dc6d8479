/**
 * BPTT through every cell and variant of nn: proveCell over drawn sizes
 * (input and hidden 1 to 8, batch 1 to 3, steps 1 to 20, biases on or off,
 * variable lengths), long horizons (24 steps), every entry on small problems,
 * and gradients through `scan` with variable-length masks, reversed and
 * rematerialized. Also the BPTT checker's own behaviour, on cells written here
 * against the bare `Cell` interface, and its teeth.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, key, normal, zeros, type Tensor } from '@mnemo/core';
import { add, customVjp, matmul, mul, sigmoid, sliceAxis, sum, tanh, sub, tree, type Tree } from '@mnemo/autodiff';
import { cellCases, makeCell, scan, type Cell, type CellCase } from '@mnemo/nn';
import { arbCellConfig, bpttReport, formatBpttReport, gradcheck, proveCell, type CellFactory } from '@mnemo/proofs';
import { runs } from './helpers.js';

/** Every registered family, each variant alone, and each family's examples (combinations, options): read from nn's registry. */
const CASES = cellCases();

function factory(c: CellCase): CellFactory {
  return (sizes) => makeCell(c.spec, { ...sizes, ...c.options });
}

describe('every cell and variant: BPTT gradients', () => {
  it('the registry lists every built-in family, its variants and its examples', () => {
    const labels = CASES.map((c) => c.label);
    for (const l of ['lstm', 'lstm+peephole', 'lstm+fgr', 'lstm+cifg+np', 'lstm+nog+noaf', 'lstm (projection)', 'lstm (layer norm)', 'gru', 'gru+reset-after', 'mgu', 'mut1', 'mut2', 'mut3', 'rnn', 'rnn+relu']) {
      expect(labels).toContain(l);
    }
  });

  for (const s of CASES) {
    describe(s.label, () => {
      it('proveCell: drawn sizes, batches, lengths (masks), biases on and off', () => {
        proveCell(factory(s), { numRuns: runs(4), maxSteps: 20, masks: true, directions: 1 });
      });

      it('every entry on a small problem with ragged lengths (rtol 1e-5, norm-wise 1e-8)', () => {
        const cell = factory(s)({ inputSize: 2, hiddenSize: 3, dtype: 'float64' });
        const r = bpttReport(cell, { steps: 4, batch: 2, lengths: [4, 2], seed: 11 });
        expect(r.ok, formatBpttReport(r)).toBe(true);
        expect(r.total.checked).toBe(r.total.elements);
        expect(r.total.normRelError).toBeLessThan(1e-8);
      });

      it('through scan with variable lengths: params, inputs and initial state', () => {
        const cell = factory(s)({ inputSize: 2, hiddenSize: 2, dtype: 'float64' }) as Cell<Tree, Tree>;
        const params = tree.map(cell.init(key(3)), (p) => add(p, normal(key(p.size), p.shape, { dtype: 'float64', std: 0.2 })));
        const xs = normal(key(4), [3, 5, 2], { dtype: 'float64' });
        const s0 = tree.map(cell.initialState(3), (z) => normal(key(z.size + 1), z.shape, { dtype: 'float64', std: 0.5 }));
        const w = normal(key(5), [3, 5, cell.outputSize], { dtype: 'float64' });
        const loss = (p: Tree, x: Tensor, st: Tree): Tensor => {
          const r = scan(cell, p, x, { lengths: [5, 2, 3], initialState: st });
          return tree.leaves(r.finalState).reduce((acc, leaf) => add(acc, sum(tanh(leaf))), sum(mul(w, r.outputs)));
        };
        const r = gradcheck(loss, [params, xs, s0], { mode: 'both', argNames: ['params', 'xs', 'state0'], atol: 1e-7, rtol: 1e-6 });
        if (E.isLeft(r)) throw new Error(r.left.message);
        expect(r.right.inputs.every((i) => i.failed === 0)).toBe(true);
      });
    });
  }

  it('long horizons: 24 steps, batch 3, hidden 8, ragged lengths, every family (state and parameter gradients)', () => {
    for (const s of CASES.filter((x) => x.label === x.family || x.label === 'lstm+cifg')) {
      const cell = factory(s)({ inputSize: 3, hiddenSize: 8, dtype: 'float64' });
      // Gates are checked at every step elsewhere; here the state and parameter gradients over a long unroll.
      const r = bpttReport(cell, { steps: 24, batch: 3, lengths: [24, 17, 9], seed: 5, mode: 'dot', directions: 1, check: ['state', 'params'] });
      expect(r.ok, formatBpttReport(r)).toBe(true);
      expect(r.time).toHaveLength(24);
    }
  });

  it('scan reversed and rematerialized: same gradients checked', () => {
    const cell = makeCell('lstm+peephole', { inputSize: 2, hiddenSize: 2, dtype: 'float64' }) as Cell<Tree, Tree>;
    const params = cell.init(key(6));
    const xs = normal(key(7), [2, 6, 2], { dtype: 'float64' });
    for (const options of [{ reverse: true, lengths: [6, 3] }, { checkpointEvery: 2, lengths: [4, 6] }, { reverse: true, checkpointEvery: 4 }]) {
      const r = gradcheck((p: Tree, x: Tensor) => sum(tanh(scan(cell, p, x, options).outputs)), [params, xs], { mode: 'both', atol: 1e-7, rtol: 1e-6 });
      if (E.isLeft(r)) throw new Error(`${JSON.stringify(options)}: ${r.left.message}`);
    }
  });
});

// ---------------------------------------------------------------------------
// Cells written against the bare Cell interface
// ---------------------------------------------------------------------------

type ToyParams = { readonly w: Tensor; readonly u: Tensor; readonly b: Tensor };

/**
 * A gated toy cell: h' = z * h + (1 - z) * tanh(x W_c + h U_c + b_c), with
 * z = sigmoid(x W_z + h U_z + b_z); gates z and c. `gate` can replace the
 * sigmoid (to plant a wrong rule).
 */
function toyCell(inputSize: number, hiddenSize: number, gate: (x: Tensor) => Tensor = sigmoid): Cell<ToyParams, Tensor> {
  const H = hiddenSize;
  return {
    name: 'toy',
    inputSize,
    hiddenSize,
    outputSize: H,
    dtype: 'float64',
    gates: ['z', 'c'],
    init: (k) => ({
      w: normal(k, [inputSize, 2 * H], { dtype: 'float64', std: 0.6 }),
      u: normal(key(17), [H, 2 * H], { dtype: 'float64', std: 0.6 }),
      b: zeros([2 * H], 'float64'),
    }),
    initialState: (batch) => zeros([batch, H], 'float64'),
    step: (p, h, x, probes) => {
      const pre = add(add(matmul(x, p.w), matmul(h, p.u)), p.b);
      const zPre = sliceAxis(pre, 1, 0, H);
      const cPre = sliceAxis(pre, 1, H, 2 * H);
      const z = gate(add(zPre, probes?.['z'] ?? 0));
      const c = tanh(add(cPre, probes?.['c'] ?? 0));
      const h2 = add(mul(z, h), mul(sub(1, z), c));
      return [h2, h2];
    },
  };
}

/** sigmoid with the wrong derivative s instead of s (1 - s). */
const wrongSigmoid = customVjp((x: Tensor) => sigmoid(x), {
  fwd: (x: Tensor) => {
    const s = sigmoid(x);
    return [s, s] as const;
  },
  bwd: (s: Tensor, g: Tensor) => [mul(g, s)],
});

describe('bpttReport and proveCell on a cell written against the Cell interface', () => {
  it('proves a correct toy cell in one line, sizes drawn by the factory', () => {
    proveCell((c) => toyCell(c.inputSize, c.hiddenSize), { numRuns: runs(10), maxSteps: 10, masks: true });
  });

  it('reports per step, per gate and per parameter, and prints a table', () => {
    const r = bpttReport(toyCell(2, 3), { steps: 5, batch: 2, seed: 3 });
    expect(r.ok, formatBpttReport(r)).toBe(true);
    expect(r.time.map((row) => Object.keys(row.gates).join())).toEqual(new Array(5).fill('z,c'));
    expect(r.stateLeaves).toEqual(['state']);
    expect(r.params.map((p) => p.path)).toEqual(['b', 'u', 'w']);
    expect(r.total.elements).toBe(5 * (6 + 2 * 6) + 6 + 18 + 12);
    const text = formatBpttReport(r);
    expect(text).toMatch(/^step +\|dL\/dstate\| +state err +gate z err +gate c err +ok$/m);
    expect(text.trimEnd().split('\n').pop()).toMatch(/^PASS: 126 comparisons over 126 gradient entries/);
  });

  it("has teeth: a wrong gate derivative fails, in every block it reaches, and the table says where", () => {
    const r = bpttReport(toyCell(2, 3, wrongSigmoid), { steps: 4, batch: 2, seed: 3 });
    expect(r.ok).toBe(false);
    // The gate's own probe is upstream of the wrong rule: its gradient is wrong at every step.
    expect(r.time.every((row) => !row.gates['z']!.ok)).toBe(true);
    expect(r.params.every((p) => !p.ok)).toBe(true);
    // The state after the last step only feeds the loss directly: still right.
    expect(r.time[3]!.state['state']!.ok).toBe(true);
    const text = formatBpttReport(r);
    expect(text).toContain('FAIL');
    expect(text).toMatch(/step 1 gate z: \d+ of 6 entries outside/);
    expect(() => proveCell((c) => toyCell(c.inputSize, c.hiddenSize, wrongSigmoid), { numRuns: 5 })).toThrowError(/BPTT gradients of toy disagree[\s\S]*FAIL/);
  });

  it('sets aside entries at kinks instead of failing them (relu RNN at pre-activation 0)', () => {
    const cell = makeCell('rnn+relu', { inputSize: 2, hiddenSize: 2, dtype: 'float64' });
    // All weights zero: every pre-activation is exactly 0, on relu's kink.
    const params = tree.map(cell.init(key(0)), (p) => zeros(p.shape, 'float64'));
    const r = bpttReport(cell, { steps: 3, batch: 1, params });
    expect(r.ok, formatBpttReport(r)).toBe(true);
    expect(r.kinks.length).toBeGreaterThan(0);
    expect(formatBpttReport(r)).toContain('set aside at non-differentiable points');
  });

  it('refuses float32 cells and bad options with typed errors', () => {
    const c32 = makeCell('gru', { inputSize: 1, hiddenSize: 1 });
    expect(() => bpttReport(c32, { steps: 2 })).toThrowError(DTypeError);
    const c64 = makeCell('gru', { inputSize: 1, hiddenSize: 1, dtype: 'float64' });
    expect(() => bpttReport(c64, { steps: 0 })).toThrowError(/options.steps/);
    // Found by the fuzz suite (FUZZ_RUNS=2000): a count past 2^32 reached Array.from as a RangeError.
    expect(() => bpttReport(c64, { steps: 2 ** 32 })).toThrowError(ArgumentError);
    expect(() => bpttReport(c64, { steps: 2 ** 32 })).toThrowError(/bpttReport: argument 'options.steps': must be at most 2\^31 - 1, got 4294967296/);
    expect(() => bpttReport(c64, { steps: 1, batch: 2 ** 31 })).toThrowError(/argument 'options.batch': must be at most 2\^31 - 1/);
    expect(() => bpttReport(c64, { steps: 3, batch: 2, lengths: [3] })).toThrowError(/options.lengths/);
  });

  it('arbCellConfig draws within its bounds', () => {
    fc.assert(
      fc.property(arbCellConfig({ maxSteps: 20, masks: true }), (c) => {
        expect(c.inputSize).toBeGreaterThanOrEqual(1);
        expect(c.hiddenSize).toBeLessThanOrEqual(8);
        expect(c.batch).toBeLessThanOrEqual(3);
        expect(c.steps).toBeLessThanOrEqual(20);
        expect(c.lengths.every((l) => l >= 1 && l <= c.steps)).toBe(true);
        return true;
      }),
    );
  });
});
