/**
 * The guide's JANET cell module (docs/guides/examples/janet.ts), as the
 * command line will load it: it imports only mnemo's packages, nn finds and
 * checks its cell, the family registers and trains by name, its gradients
 * through time are proven, and the "Writing a new cell" guide shows the file
 * exactly as it is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { key, normal, type Tensor } from '@mnemo/core';
import { add, matmul, mul, sigmoid, sliceAxis, sub, tanh } from '@mnemo/autodiff';
import { cellFromModule, cellHelp, checkCell, makeCell, parseCellSpec, registerCellModule, scan, unregisterCell } from '@mnemo/nn';
import { proveCell } from '@mnemo/proofs';
import * as janetModule from '../guides/examples/janet.js';
import { ROOT } from './doc-comments.js';

const FILE = join(ROOT, 'docs', 'guides', 'examples', 'janet.ts');
const F64 = 'float64' as const;

afterAll(() => {
  unregisterCell('janet');
});

describe('the JANET cell module', () => {
  it('imports only from mnemo and @mnemo/* packages', () => {
    const text = readFileSync(FILE, 'utf8');
    const specifiers = [...text.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]!);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const s of specifiers) expect(s, s).toMatch(/^(mnemo|@mnemo\/[a-z]+)$/);
  });

  it('nn finds its family definition and checks it', () => {
    const def = cellFromModule(janetModule, { source: './docs/guides/examples/janet.ts' });
    expect(def).toBe(janetModule.janet);
    checkCell(janetModule.default({ inputSize: 2, hiddenSize: 3, beta: 0.5 }), { inputSize: 2, hiddenSize: 3, dtype: 'float32' });
  });

  it('computes the paper\'s equations', () => {
    const cell = janetModule.janetCell({ inputSize: 2, hiddenSize: 3, dtype: F64, beta: 0.7 });
    const p = cell.init(key(0));
    const c = normal(key(1), [4, 3], { dtype: F64 });
    const x = normal(key(2), [4, 2], { dtype: F64 });
    const block = (t: Tensor, k: number) => sliceAxis(t, -1, k * 3, (k + 1) * 3);
    const s = add(add(matmul(x, block(p.wx, 0)), matmul(c, block(p.wh, 0))), block(p.b, 0));
    const g = tanh(add(add(matmul(x, block(p.wx, 1)), matmul(c, block(p.wh, 1))), block(p.b, 1)));
    const want = add(mul(sigmoid(s), c), mul(sub(1, sigmoid(sub(s, 0.7))), g)).toArray();
    const [state, h] = cell.step(p, { c }, x);
    expect(h).toBe(state.c);
    h.toArray().forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-15));
    const r = cell.inspect(p, { c }, x);
    const f = sigmoid(s).toArray();
    r.gates['f']!.toArray().forEach((v, i) => expect(Math.abs(v - f[i]!)).toBeLessThan(1e-15));
  });

  it('its gradients through time are proven', () => {
    proveCell((sizes) => janetModule.janetCell(sizes), { numRuns: 5, maxSteps: 8, masks: true });
  });

  it('registered from the module, it is a cell name like a built-in one', () => {
    const info = registerCellModule(janetModule, { source: './docs/guides/examples/janet.ts' });
    expect(registerCellModule(janetModule)).toBe(info);
    expect(parseCellSpec('janet').family).toBe('janet');
    expect(cellHelp()).toContain('janet             JANET (van der Westhuizen & Lasenby 2018)');
    const cell = makeCell('janet', { inputSize: 2, hiddenSize: 4, beta: 2 });
    expect((cell as unknown as { beta: number }).beta).toBe(2);
    const { outputs } = scan(cell, cell.init(key(3)), normal(key(4), [3, 7, 2]));
    expect(outputs.shape).toEqual([3, 7, 4]);
  });

  it('the "Writing a new cell" guide shows the module exactly as it is', () => {
    const guide = readFileSync(join(ROOT, 'docs', 'guides', 'writing-a-cell.md'), 'utf8');
    const file = readFileSync(FILE, 'utf8');
    expect(guide).toContain(`\`\`\`ts\n${file}\`\`\``);
  });
});
