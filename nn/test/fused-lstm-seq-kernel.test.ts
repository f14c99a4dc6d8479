/**
 * The whole-sequence LSTM kernel of core (`lstmSequenceKernel`: W_h packed
 * once, the batch cut into bands of rows that threads carry through every
 * step) against the float64 JavaScript path of `lstmSequence`, on shapes it
 * takes (batch a multiple of 4, hidden a multiple of 8), with helper threads
 * running; plus its argument checks and the immutability of its inputs.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, gemmInfo, key, lstmSequenceKernel, normal, residentMemory, setResidentLimit as setResidentCap, split as splitKey, startGemmThreads, tensor, withBackend, type Tensor } from '@mnemo/core';
import { add, grad, matmul, mul, sum, vjp } from '@mnemo/autodiff';
import { denseLstmLayer, lstmLayer, lstmSequence } from '@mnemo/nn';
import { drawLstm, expectClose, f32 } from './helpers/lstm-data.js';

/** Outputs and all four gradients of a weighted sum of every output, in float32 (kernel) and float64 (JavaScript). */
function both(d: ReturnType<typeof drawLstm>) {
  const loss = (cast: (t: Tensor) => Tensor) => (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): Tensor => {
    const o = lstmSequence(gx, wh, h0, c0);
    return add(add(sum(mul(o.hs, cast(d.r))), sum(mul(o.hT, cast(d.rh)))), sum(mul(o.cT, cast(d.rc))));
  };
  const o32 = lstmSequence(f32(d.gx), f32(d.wh), f32(d.h0), f32(d.c0));
  const o64 = lstmSequence(d.gx, d.wh, d.h0, d.c0);
  const g32 = grad(loss(f32), { argnums: [0, 1, 2, 3] })(f32(d.gx), f32(d.wh), f32(d.h0), f32(d.c0)) as Tensor[];
  const g64 = grad(loss((t) => t), { argnums: [0, 1, 2, 3] })(d.gx, d.wh, d.h0, d.c0) as Tensor[];
  return { a: [o32.hs, o32.hT, o32.cT, ...g32], b: [o64.hs, o64.hT, o64.cT, ...g64] };
}

const NAMES = ['hs', 'hT', 'cT', 'dgx', 'dwh', 'dh0', 'dc0'];

describe('the whole-sequence LSTM kernel', () => {
  const k = lstmSequenceKernel();

  beforeAll(async () => {
    await startGemmThreads();
  });

  it('is available in Node and takes batches of multiples of 4 and hidden sizes of multiples of 8 only', () => {
    expect(k).not.toBeNull();
    expect(k!.supports(128, 128)).toBe(true);
    expect(k!.supports(4, 8)).toBe(true);
    expect(k!.supports(6, 8)).toBe(false);
    expect(k!.supports(8, 12)).toBe(false);
    expect(k!.supports(0, 8)).toBe(false);
    expect(k!.fits(128, 28, 128, 128)).toBe(true);
    expect(k!.fits(128, 1000, 512, 512)).toBe(false); // about 2 GB of residuals: the composition runs instead
  });

  it('values and every gradient agree with the float64 path within float32 tolerance (random shapes, threads on)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), (seed, b4, T, h8) => {
        const [B, H] = [4 * b4, 8 * h8];
        const { a, b } = both(drawLstm(seed, B, T, H, 0.3));
        a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, `${NAMES[i]} (B=${B} T=${T} H=${H})`));
      }),
      { numRuns: 25 },
    );
  });

  it('a batch cut into several bands of rows (B 128, T 5, H 16; bands go to whichever thread claims them) agrees too', () => {
    expect(gemmInfo().simd).toBe(true);
    const { a, b } = both(drawLstm(5, 128, 5, 16, 0.3));
    a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, NAMES[i]!));
  });

  it('does not modify its inputs and returns fresh arrays', () => {
    const [B, T, H] = [8, 3, 8];
    const d = drawLstm(9, B, T, H, 0.3);
    const gx = new Float32Array(d.gx.toArray());
    const wh = new Float32Array(d.wh.toArray());
    const h0 = new Float32Array(d.h0.toArray());
    const c0 = new Float32Array(d.c0.toArray());
    const copies = [gx, wh, h0, c0].map((x) => x.slice());
    const f = k!.forward(gx, wh, h0, c0, B, T, H);
    const hT = f.hT.slice();
    const dHs = new Float32Array(d.r.toArray());
    const dhT = new Float32Array(d.rh.toArray());
    const dcT = new Float32Array(d.rc.toArray());
    const grads = [dHs, dhT, dcT].map((x) => x.slice());
    const g = k!.backward(f, wh, dHs, dhT, dcT);
    k!.forward(gx.map((v) => -v), wh, h0, c0, B, T, H); // reuses the kernel's memory
    [gx, wh, h0, c0].forEach((x, i) => expect(x).toEqual(copies[i]));
    [dHs, dhT, dcT].forEach((x, i) => expect(x).toEqual(grads[i]));
    expect(f.hT).toEqual(hT);
    expect(g.dWh.length).toBe(H * 4 * H);
  });

  it('rejects unsupported shapes and wrong array sizes, naming the argument', () => {
    const z = (n: number) => new Float32Array(n);
    expect(() => k!.forward(z(6 * 2 * 32), z(8 * 32), z(6 * 8), z(6 * 8), 6, 2, 8)).toThrow(ArgumentError);
    expect(() => k!.forward(z(6 * 2 * 32), z(8 * 32), z(6 * 8), z(6 * 8), 6, 2, 8)).toThrow(/batch 6/);
    expect(() => k!.forward(z(4 * 2 * 32), z(8 * 32 - 1), z(4 * 8), z(4 * 8), 4, 2, 8)).toThrow(ShapeError);
    expect(() => k!.forward(z(4 * 2 * 32), z(8 * 32 - 1), z(4 * 8), z(4 * 8), 4, 2, 8)).toThrow(/wh/);
    expect(() => k!.forward(z(0), z(8 * 32), z(4 * 8), z(4 * 8), 4, 0, 8)).toThrow(/steps/);
  });
});

describe('the whole-sequence LSTM kernel keeps its residuals safe between forward and backward', () => {
  beforeAll(async () => {
    await startGemmThreads();
  });

  /** Gradients of two interleaved sequences (forward A, forward B, a large unrelated product, backward B, backward A). */
  function interleaved(cast: (t: Tensor) => Tensor, da: ReturnType<typeof drawLstm>, db: ReturnType<typeof drawLstm>): Tensor[] {
    const f = (whA: Tensor, whB: Tensor): Tensor => {
      const a = lstmSequence(cast(da.gx), whA, cast(da.h0), cast(da.c0));
      const b = lstmSequence(cast(db.gx), whB, cast(db.h0), cast(db.c0));
      // a product big enough to use (and overwrite) the gemm's scratch, between the forward and backward passes
      const big = matmul(cast(tensor(Float64Array.from({ length: 256 * 300 }, (_, i) => Math.sin(i)), 'float64', [256, 300])), cast(tensor(Float64Array.from({ length: 300 * 200 }, (_, i) => Math.cos(i)), 'float64', [300, 200])));
      return add(add(sum(mul(a.hs, cast(da.r))), sum(mul(b.hs, cast(db.r)))), mul(sum(big), cast(tensor([0], 'float64'))));
    };
    return grad(f, { argnums: [0, 1] })(cast(da.wh), cast(db.wh)) as Tensor[];
  }

  for (const [name, cap] of [['both resident', undefined], ['cap 0: the first pass is released and its backward pass recomputes it', 0]] as const) {
    it(`two live sequences and a large product in between: ${name}`, () => {
      const prev = cap === undefined ? undefined : setResidentCap(cap);
      try {
        const da = drawLstm(31, 8, 4, 16, 0.3);
        const db = drawLstm(32, 12, 6, 8, 0.3);
        const g32 = interleaved(f32, da, db);
        const g64 = interleaved((t) => t, da, db);
        g32.forEach((g, i) => expectClose(g, g64[i]!, 2e-5, `gradient ${i}`));
      } finally {
        if (prev !== undefined) setResidentCap(prev);
      }
    });
  }

  it('a pullback can be called more than once (the second call recomputes the released residuals, same bits)', () => {
    const d = drawLstm(41, 8, 5, 8, 0.3);
    const before = residentMemory().blocks;
    const [, pullback] = vjp((wh: Tensor) => lstmSequence(f32(d.gx), wh, f32(d.h0), f32(d.c0)).hs, f32(d.wh));
    expect(residentMemory().blocks).toBe(before + 1);
    const g1 = (pullback(f32(d.r)) as Tensor[])[0]!.toArray();
    expect(residentMemory().blocks).toBe(before); // the backward pass released its block
    const g2 = (pullback(f32(d.r)) as Tensor[])[0]!.toArray();
    expect(g2).toEqual(g1);
    expect(residentMemory().blocks).toBe(before);
  });

  it('a training loop keeps one block, however many steps run without yielding; a forward pass without a tape keeps none', () => {
    const d = drawLstm(42, 8, 4, 8, 0.3);
    const before = residentMemory();
    let wh = f32(d.wh);
    for (let i = 0; i < 40; i++) {
      const g = grad((w: Tensor) => sum(mul(lstmSequence(f32(d.gx), w, f32(d.h0), f32(d.c0)).hs, f32(d.r))))(wh);
      wh = tensor(Float32Array.from(wh.toArray(), (v, j) => v - 0.01 * g.toArray()[j]!), 'float32', wh.shape);
      expect(residentMemory().blocks).toBe(before.blocks);
    }
    lstmSequence(f32(d.gx), wh, f32(d.h0), f32(d.c0));
    lstmLayer(f32(tensor(new Float64Array(8 * 4 * 3), 'float64', [8, 4, 3])), f32(tensor(new Float64Array(3 * 32), 'float64', [3, 32])), f32(tensor(new Float64Array(32), 'float64', [32])), wh, f32(d.h0), f32(d.c0));
    expect(residentMemory()).toEqual(before);
  });
});

describe('lstmLayer: the input projection folded into the kernel', () => {
  beforeAll(async () => {
    await startGemmThreads();
  });

  function drawLayer(seed: number, B: number, T: number, D: number, H: number) {
    const [k1, k2, k3] = splitKey(key(seed + 1000), 3);
    const d = drawLstm(seed, B, T, H, 0.3);
    const r32 = (t: Tensor) => tensor(Float64Array.from(new Float32Array(t.toArray())), 'float64', t.shape);
    return {
      ...d,
      xs: r32(normal(k1!, [B, T, D], { dtype: 'float64' })),
      wx: r32(normal(k2!, [D, 4 * H], { dtype: 'float64', std: 0.3 })),
      b: r32(normal(k3!, [4 * H], { dtype: 'float64', std: 0.3 })),
    };
  }

  /** Outputs and the six gradients of lstmLayer, float32 against float64. */
  function layerBoth(d: ReturnType<typeof drawLayer>) {
    const loss = (cast: (t: Tensor) => Tensor) => (xs: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): Tensor => {
      const o = lstmLayer(xs, wx, b, wh, h0, c0);
      return add(add(sum(mul(o.hs, cast(d.r))), sum(mul(o.hT, cast(d.rh)))), sum(mul(o.cT, cast(d.rc))));
    };
    const args = [d.xs, d.wx, d.b, d.wh, d.h0, d.c0] as const;
    const a32 = args.map(f32) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const o32 = lstmLayer(...a32);
    const o64 = lstmLayer(...args);
    const g32 = grad(loss(f32), { argnums: [0, 1, 2, 3, 4, 5] })(...a32) as Tensor[];
    const g64 = grad(loss((t) => t), { argnums: [0, 1, 2, 3, 4, 5] })(...args) as Tensor[];
    return { a: [o32.hs, o32.hT, o32.cT, ...g32], b: [o64.hs, o64.hT, o64.cT, ...g64] };
  }
  const LAYER = ['hs', 'hT', 'cT', 'dxs', 'dwx', 'db', 'dwh', 'dh0', 'dc0'];

  it('values and all six gradients agree with the float64 composition (random shapes, threads on)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 4 }), (seed, b4, T, D, h8) => {
        const [B, H] = [4 * b4, 8 * h8];
        const { a, b } = layerBoth(drawLayer(seed, B, T, D, H));
        a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, `${LAYER[i]} (B=${B} T=${T} D=${D} H=${H})`));
      }),
      { numRuns: 20 },
    );
  });

  it('the tutorial shape with several bands (B 128, T 4, D 28, H 16), and with the cap at 0', () => {
    for (const cap of [undefined, 0]) {
      const prev = cap === undefined ? undefined : setResidentCap(cap);
      try {
        const { a, b } = layerBoth(drawLayer(77, 128, 4, 28, 16));
        a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, `${LAYER[i]} cap ${String(cap)}`));
      } finally {
        if (prev !== undefined) setResidentCap(prev);
      }
    }
  });

  it('shapes the kernel does not take (batch 3, hidden 5) run the composition, also in float32', () => {
    const { a, b } = layerBoth(drawLayer(5, 3, 4, 6, 5));
    a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, LAYER[i]!));
  });

  it('names the argument and both shapes on a mismatch', () => {
    const d = drawLayer(6, 4, 2, 3, 8);
    expect(() => lstmLayer(f32(d.xs), f32(d.wh), f32(d.b), f32(d.wh), f32(d.h0), f32(d.c0))).toThrow(/lstmLayer.*wx.*\[3, 32\].*\[8, 32\]/);
    expect(() => lstmLayer(d.xs, f32(d.wx), f32(d.b), f32(d.wh), f32(d.h0), f32(d.c0))).toThrow(/wx.*float32.*float64/);
  });
});

describe('under another backend, the LSTM layer runs every product there', () => {
  it('with the gpujs backend, no product of lstmLayer (forward and backward) goes to the cpu gemm, and the results match cpu', () => {
    const [B, T, D, H] = [4, 2, 3, 8];
    const [k1, k2, k3, k4] = splitKey(key(99), 4);
    const xs = normal(k1!, [B, T, D]);
    const wx = normal(k2!, [D, 4 * H], { std: 0.3 });
    const b = normal(k3!, [4 * H], { std: 0.3 });
    const wh = normal(k4!, [H, 4 * H], { std: 0.3 });
    const h0 = tensor(new Float32Array(B * H), 'float32', [B, H]);
    const loss = (w1: Tensor, w2: Tensor): Tensor => sum(lstmLayer(xs, w1, b, w2, h0, h0).hs);
    const onCpu = grad(loss, { argnums: [0, 1] })(wx, wh) as Tensor[];
    const calls = (): number => {
      const c = gemmInfo().calls;
      return c.javascript + c.wasm + c.threaded;
    };
    const before = calls();
    const onGpujs = withBackend('gpujs', () => grad(loss, { argnums: [0, 1] })(wx, wh) as Tensor[]);
    expect(calls()).toBe(before);
    onGpujs.forEach((g, i) => expectClose(g, tensor(Float64Array.from(onCpu[i]!.toArray()), 'float64', g.shape), 1e-5, `gradient ${i}`));
  });
});

describe('denseLstmLayer: a dense layer and the LSTM in one kernel', () => {
  beforeAll(async () => {
    await startGemmThreads();
  });

  function drawDense(seed: number, B: number, T: number, D0: number, D: number, H: number) {
    const [k1, k2, k3, k4, k5] = splitKey(key(seed + 2000), 5);
    const d = drawLstm(seed, B, T, H, 0.3);
    const r32 = (t: Tensor) => tensor(Float64Array.from(new Float32Array(t.toArray())), 'float64', t.shape);
    return {
      ...d,
      x: r32(normal(k1!, [B, T, D0], { dtype: 'float64' })),
      wp: r32(normal(k2!, [D0, D], { dtype: 'float64', std: 0.4 })),
      bp: r32(normal(k3!, [D], { dtype: 'float64', std: 0.2 })),
      wx: r32(normal(k4!, [D, 4 * H], { dtype: 'float64', std: 0.2 })),
      b: r32(normal(k5!, [4 * H], { dtype: 'float64', std: 0.3 })),
    };
  }

  /** Outputs and the eight gradients, float32 (kernel) against float64 (composition). */
  function denseBoth(d: ReturnType<typeof drawDense>) {
    const loss = (cast: (t: Tensor) => Tensor) => (...a: Tensor[]): Tensor => {
      const o = denseLstmLayer(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!);
      return add(add(sum(mul(o.hs, cast(d.r))), sum(mul(o.hT, cast(d.rh)))), sum(mul(o.cT, cast(d.rc))));
    };
    const args = [d.x, d.wp, d.bp, d.wx, d.b, d.wh, d.h0, d.c0];
    const a32 = args.map(f32);
    const o32 = denseLstmLayer(a32[0]!, a32[1]!, a32[2]!, a32[3]!, a32[4]!, a32[5]!, a32[6]!, a32[7]!);
    const o64 = denseLstmLayer(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!);
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    const g32 = grad(loss(f32), { argnums: all })(...a32) as Tensor[];
    const g64 = grad(loss((t) => t), { argnums: all })(...args) as Tensor[];
    return { a: [o32.hs, o32.hT, o32.cT, ...g32], b: [o64.hs, o64.hT, o64.cT, ...g64] };
  }
  const DENSE = ['hs', 'hT', 'cT', 'dx', 'dwp', 'dbp', 'dwx', 'db', 'dwh', 'dh0', 'dc0'];

  it('values and all eight gradients agree with the float64 composition (random shapes, threads on)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        (seed, b4, T, D0, d8, h8) => {
          const [B, D, H] = [4 * b4, 8 * d8, 8 * h8];
          const { a, b } = denseBoth(drawDense(seed, B, T, D0, D, H));
          a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, `${DENSE[i]} (B=${B} T=${T} D0=${D0} D=${D} H=${H})`));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('the tutorial shape with several bands (B 128, T 4, D0 28, D 16, H 16), also recomputing released residuals', () => {
    for (const cap of [undefined, 0]) {
      const prev = cap === undefined ? undefined : setResidentCap(cap);
      try {
        const { a, b } = denseBoth(drawDense(78, 128, 4, 28, 16, 16));
        a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, `${DENSE[i]} cap ${String(cap)}`));
      } finally {
        if (prev !== undefined) setResidentCap(prev);
      }
    }
  });

  it('with the raw inputs as data (not differentiated), the seven parameter gradients are unchanged', () => {
    const d = drawDense(79, 8, 3, 7, 8, 8);
    const loss = (cast: (t: Tensor) => Tensor, x: Tensor) => (...a: Tensor[]): Tensor =>
      sum(mul(denseLstmLayer(x, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!).hs, cast(d.r)));
    const params = [d.wp, d.bp, d.wx, d.b, d.wh, d.h0, d.c0];
    const idx = [0, 1, 2, 3, 4, 5, 6];
    const g32 = grad(loss(f32, f32(d.x)), { argnums: idx })(...params.map(f32)) as Tensor[];
    const g64 = grad(loss((t) => t, d.x), { argnums: idx })(...params) as Tensor[];
    g32.forEach((g, i) => expectClose(g, g64[i]!, 2e-5, `gradient ${i}`));
    // and for lstmLayer: the input gradient skipped, the others the same as when it is taken
    const xs = f32(drawLayerInputs(80, 8, 3, 8));
    const w = [f32(d.wx), f32(d.b), f32(d.wh), f32(d.h0), f32(d.c0)];
    const l = (...a: Tensor[]): Tensor => sum(mul(lstmLayer(a[5] ?? xs, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!).hs, f32(d.r)));
    const without = grad(l, { argnums: [0, 1, 2] })(...w) as Tensor[];
    const withX = grad(l, { argnums: [0, 1, 2, 5] })(...w, xs) as Tensor[];
    without.forEach((g, i) => expect(g.toArray()).toEqual(withX[i]!.toArray()));
  });

  function drawLayerInputs(seed: number, B: number, T: number, D: number): Tensor {
    return tensor(Float64Array.from(new Float32Array(normal(key(seed), [B, T, D], { dtype: 'float64' }).toArray())), 'float64', [B, T, D]);
  }

  it('a dense width the kernel does not take (D 12) runs the composition, also in float32', () => {
    const { a, b } = denseBoth(drawDense(8, 4, 3, 5, 12, 8));
    a.forEach((t, i) => expectClose(t, b[i]!, 2e-5, DENSE[i]!));
  });

  it('names the argument and both shapes on a mismatch', () => {
    const d = drawDense(9, 4, 2, 3, 8, 8);
    expect(() => denseLstmLayer(f32(d.x), f32(d.wx), f32(d.bp), f32(d.wx), f32(d.b), f32(d.wh), f32(d.h0), f32(d.c0))).toThrow(/denseLstmLayer.*wp.*\[3, D\].*\[8, 32\]/);
    expect(() => denseLstmLayer(f32(d.x), f32(d.wp), f32(d.b), f32(d.wx), f32(d.b), f32(d.wh), f32(d.h0), f32(d.c0))).toThrow(/bp.*\[8\].*\[32\]/);
  });
});
