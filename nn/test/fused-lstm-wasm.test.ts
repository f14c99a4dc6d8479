import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { key, lstmWasm, normal, split as splitKey, tensor, type Tensor } from '@mnemo/core';
import { add, grad, matmul, mul, sum } from '@mnemo/autodiff';
import { drawLstm, expectClose, f32 } from './helpers/lstm-data.js';
import { lstmSequence, lstmSequenceJs } from '@mnemo/nn';

// ---------------------------------------------------------------------------
// The vector math: exp, σ, tanh against Math.* (in float64), in ulps of float32
// ---------------------------------------------------------------------------

const MIN_NORMAL = 2 ** -126;

/** The float32 ulp at |v| (the subnormal spacing below the normal range). */
function ulp32(v: number): number {
  const a = Math.abs(Math.fround(v));
  if (a < MIN_NORMAL) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

const kernel = lstmWasm();
const exact = {
  exp: (x: number) => Math.exp(x),
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  tanh: (x: number) => Math.tanh(x),
};

/** Inputs: a dense grid over [-110, 110], random points at several scales, and special values. */
function inputs(): Float32Array {
  const xs: number[] = [];
  for (let i = -110000; i <= 110000; i++) xs.push(i / 1000);
  let s = 12345;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  for (const scale of [1e-8, 1e-4, 0.01, 0.3, 0.6, 1, 3, 10, 30, 100]) for (let i = 0; i < 5000; i++) xs.push(rand() * scale);
  xs.push(0, -0, 1e-8, -1e-8, 1e-30, -1e-30, 1e-45, -1e-45, 0.5, -0.5, 88.7, 88.72, 89, -87.3, -100, 100, -103.9, 1e10, -1e10, 3.4e38, -3.4e38);
  return new Float32Array(xs);
}

describe.runIf(kernel !== null)('lstmWasm vector math (float32) against Math.*', () => {
  const k = kernel!;
  const xs = inputs();
  // measured worst cases: exp 1.1 ulp, sigmoid 2.0, tanh 2.1
  const bound = { exp: 2, sigmoid: 3, tanh: 3 } as const;

  for (const fn of ['exp', 'sigmoid', 'tanh'] as const) {
    it(`${fn} is within ${bound[fn]} float32 ulps of the exact value over [-110, 110] and at large magnitudes`, () => {
      const ys = k.map(fn, xs);
      let worst = 0;
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i]!;
        const y = ys[i]!;
        const r = exact[fn](x);
        if (Math.abs(r) > 3.4028234663852886e38) {
          if (y !== Infinity) expect.fail(`${fn}(${x}) = ${y}, exact ${r}: float32 overflows`);
          continue;
        }
        if (!Number.isFinite(y)) expect.fail(`${fn}(${x}) = ${y}, exact ${r}`);
        // subnormal exp results round once: within 1 subnormal step; σ of very negative x flushes below 2^-126
        const tol = Math.abs(r) < MIN_NORMAL ? (fn === 'sigmoid' ? MIN_NORMAL : 2 ** -149) : bound[fn] * ulp32(r);
        const err = Math.abs(y - r);
        if (err > tol) expect.fail(`${fn}(${x}) = ${y}, exact ${r}, error ${err / ulp32(r)} ulps`);
        if (Math.abs(r) >= MIN_NORMAL) worst = Math.max(worst, err / ulp32(r));
      }
      expect(worst).toBeGreaterThan(0); // the comparison really ran
    });
  }

  it('limits, signed zeros, infinities and NaN', () => {
    const x = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-8, -1e-8, 1e30, -1e30, 200, -200]);
    const e = k.map('exp', x);
    const s = k.map('sigmoid', x);
    const t = k.map('tanh', x);
    expect([...e]).toEqual([1, 1, Infinity, 0, NaN, 1, 1, Infinity, 0, Infinity, 0]);
    expect([...s]).toEqual([0.5, 0.5, 1, 0, NaN, 0.5, 0.5, 1, 0, 1, 0]);
    expect(Object.is(t[0], 0)).toBe(true);
    expect(Object.is(t[1], -0)).toBe(true);
    expect([...t.slice(2)]).toEqual([1, -1, NaN, Math.fround(1e-8), Math.fround(-1e-8), 1, -1, 1, -1]);
    // tanh is exact to the last bit near 0, where (1 - e) / (1 + e) would cancel
    for (const v of [1e-8, 1e-6, 1e-4, 1e-38, 1e-44]) {
      const y = k.map('tanh', new Float32Array([v, -v]));
      expect(Math.abs(y[0]! - Math.tanh(Math.fround(v)))).toBeLessThanOrEqual(ulp32(v));
      expect(y[1]).toBe(-y[0]!);
    }
  });

  it('handles lengths that are not multiples of 4 (the one-lane tail)', () => {
    for (let n = 1; n <= 9; n++) {
      const x = new Float32Array(n).map((_, i) => i - 4);
      const y = k.map('tanh', x);
      expect(y.length).toBe(n);
      for (let i = 0; i < n; i++) expect(Math.abs(y[i]! - Math.tanh(x[i]!))).toBeLessThanOrEqual(3 * ulp32(Math.tanh(x[i]!)));
    }
  });
});

// ---------------------------------------------------------------------------
// lstmSequence in float32 (WebAssembly) against float64 (JavaScript)
// ---------------------------------------------------------------------------

type Impl = typeof lstmSequence;
function lossOf(impl: Impl, d: ReturnType<typeof drawLstm>, cast: (t: Tensor) => Tensor) {
  return (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): Tensor => {
    const o = impl(gx, wh, h0, c0);
    return add(add(sum(mul(o.hs, cast(d.r))), sum(mul(o.hT, cast(d.rh)))), sum(mul(o.cT, cast(d.rc))));
  };
}

/** Every output and every gradient of `impl` in float32, and of the JavaScript path in float64. */
function run(impl: Impl, d: ReturnType<typeof drawLstm>) {
  const id = (t: Tensor) => t;
  const out32 = impl(f32(d.gx), f32(d.wh), f32(d.h0), f32(d.c0));
  const out64 = lstmSequence(d.gx, d.wh, d.h0, d.c0);
  const g32 = grad(lossOf(impl, d, f32), { argnums: [0, 1, 2, 3] })(f32(d.gx), f32(d.wh), f32(d.h0), f32(d.c0)) as Tensor[];
  const g64 = grad(lossOf(lstmSequence, d, id), { argnums: [0, 1, 2, 3] })(d.gx, d.wh, d.h0, d.c0) as Tensor[];
  return {
    a: [out32.hs, out32.hT, out32.cT, ...g32],
    b: [out64.hs, out64.hT, out64.cT, ...g64],
  };
}

const NAMES = ['hs', 'hT', 'cT', 'dgx', 'dwh', 'dh0', 'dc0'];

describe('lstmSequence float32 (WebAssembly SIMD) equals the float64 JavaScript path', () => {
  it('the float32 kernels are available in Node', () => {
    expect(kernel).not.toBeNull();
  });

  it('values and every gradient agree within float32 tolerance on random shapes (H 1..13)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 13 }), (seed, B, T, H) => {
        const { a, b } = run(lstmSequence, drawLstm(seed, B, T, H));
        a.forEach((t, i) => expectClose(t, b[i]!, 1e-5, `${NAMES[i]} (B=${B} T=${T} H=${H})`));
      }),
      { numRuns: 60 },
    );
  });

  it('the JavaScript float32 fallback agrees too, and the two float32 paths agree with each other more tightly', () => {
    for (const [seed, B, T, H] of [[1, 3, 5, 7], [2, 5, 6, 13], [3, 1, 1, 1], [4, 4, 3, 8]] as const) {
      const d = drawLstm(seed, B, T, H);
      const js = run(lstmSequenceJs, d);
      const wasm = run(lstmSequence, d);
      js.a.forEach((t, i) => {
        expectClose(t, js.b[i]!, 1e-5, `js ${NAMES[i]}`);
        const x = t.toArray();
        const y = wasm.a[i]!.toArray();
        const scale = Math.max(1, ...x.map(Math.abs));
        for (let j = 0; j < x.length; j++) expect(Math.abs(x[j]! - y[j]!)).toBeLessThanOrEqual(2e-6 * (Math.abs(x[j]!) + scale));
      });
    }
  });

  it('a larger sequence (B 8, T 20, H 32) stays within float32 tolerance', () => {
    const { a, b } = run(lstmSequence, drawLstm(7, 8, 20, 32));
    a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, NAMES[i]!));
  });

  it('two sequences whose forward passes both run before either backward pass keep their own residuals', () => {
    // a second, larger layer on top of the first: forward 1, forward 2 (which
    // reuses and grows the kernel's memory), then backward 2, backward 1
    const d1 = drawLstm(11, 3, 4, 6);
    const H2 = 100;
    const proj = drawLstm(12, 1, 1, 6).wh; // [6, 24]
    const wide = tensor(Float64Array.from({ length: 24 * 4 * H2 }, (_, i) => Math.fround(Math.sin(i) * 0.2)), 'float64', [24, 4 * H2]);
    const wh2 = tensor(Float64Array.from({ length: H2 * 4 * H2 }, (_, i) => Math.fround(Math.cos(i) * 0.1)), 'float64', [H2, 4 * H2]);
    const zero2 = tensor(new Float64Array(3 * H2), 'float64', [3, H2]);
    const stacked = (cast: (t: Tensor) => Tensor) => (gx1: Tensor, wh1: Tensor, w2: Tensor): Tensor => {
      const o1 = lstmSequence(gx1, wh1, cast(d1.h0), cast(d1.c0));
      const gx2 = matmul(matmul(o1.hs, cast(proj)), cast(wide));
      const o2 = lstmSequence(gx2, w2, cast(zero2), cast(zero2));
      return add(sum(mul(o1.hT, cast(d1.rh))), sum(mul(o2.hs, o2.hs)));
    };
    const g32 = grad(stacked(f32), { argnums: [0, 1, 2] })(f32(d1.gx), f32(d1.wh), f32(wh2)) as Tensor[];
    const g64 = grad(stacked((t) => t), { argnums: [0, 1, 2] })(d1.gx, d1.wh, wh2) as Tensor[];
    g32.forEach((g, i) => expectClose(g, g64[i]!, 2e-5, `stacked gradient ${i}`));
  });

  it('outputs are fresh arrays: a later call does not change an earlier one', () => {
    const d = drawLstm(21, 2, 3, 5);
    const o1 = lstmSequence(f32(d.gx), f32(d.wh), f32(d.h0), f32(d.c0));
    const before = [o1.hs.toArray(), o1.hT.toArray(), o1.cT.toArray()];
    const e = drawLstm(22, 4, 6, 100); // grows the kernel's memory
    lstmSequence(f32(e.gx), f32(e.wh), f32(e.h0), f32(e.c0));
    grad(lossOf(lstmSequence, e, f32), { argnums: [1] })(f32(e.gx), f32(e.wh), f32(e.h0), f32(e.c0));
    expect([o1.hs.toArray(), o1.hT.toArray(), o1.cT.toArray()]).toEqual(before);
  });
});
