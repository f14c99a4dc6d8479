/**
 * The gpujs backend's raw-buffer gemm, and the bridge that runs gpu.js in a
 * worker thread (the path gpu.js's WebGPU mode takes). Here the bridge runs
 * gpu.js's WebAssembly mode in the worker (`worker-webasm`, the diagnostic
 * mode), which exercises the same shared-memory protocol, growth of the
 * shared buffer, error reports and deadlines as WebGPU does; `auto` is checked
 * to fall back, saying why, where WebGPU is not usable.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError, ShapeError, cpu, gemm, gemmReference, gpujs, gpujsInfo, gpujsMode, normal, key, type GemmArgs } from '@mnemo/core';
import { GpujsBridge } from '../src/kernels/gpujs-bridge.js';
import { createGpujs, type GpujsInstance, type GpujsOptions } from '../src/kernels/gpujs.js';

const LAYOUTS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

const opened: GpujsInstance[] = [];
function open(options: GpujsOptions): GpujsInstance {
  const g = createGpujs(options);
  opened.push(g);
  return g;
}
afterAll(() => opened.forEach((g) => g.close()));

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  return normal(key(seed), [n], { dtype: 'float32' }).toArray() as Float32Array;
}

interface Case {
  readonly args: GemmArgs;
  readonly expected: Float32Array;
  /** Per output element, the sum of |A(i,p)·B(p,j)|: the scale of its float32 rounding. */
  readonly scale: Float64Array;
}

/** A product with offsets, whose `out` holds guard values around the result. */
function makeCase(m: number, k: number, n: number, transA: boolean, transB: boolean, seed: number, offsets: readonly [number, number, number] = [3, 5, 7]): Case {
  const [ao, bo, oo] = offsets;
  const a = values(ao + m * k + 2, seed);
  const b = values(bo + k * n + 2, seed + 1);
  const out = values(oo + m * n + 4, seed + 2);
  const args: GemmArgs = { a, b, out, m, k, n, transA, transB, aOffset: ao, bOffset: bo, outOffset: oo };
  const expected = out.slice();
  gemmReference({ ...args, out: expected });
  const abs = (x: Float32Array): Float32Array => x.map(Math.abs);
  const scale64 = new Float64Array(out.length);
  gemmReference({ ...args, a: new Float64Array(abs(a)), b: new Float64Array(abs(b)), out: scale64 });
  return { args, expected, scale: scale64 };
}

/** Every element within float32 rounding of the reference; guards untouched. */
function expectClose(got: Float32Array, c: Case): void {
  const oo = c.args.outOffset ?? 0;
  const end = oo + c.args.m * c.args.n;
  for (let i = 0; i < got.length; i++) {
    if (i < oo || i >= end) {
      expect(got[i], `guard element ${i}`).toBe(c.expected[i]);
    } else {
      const tol = 4 * (c.args.k + 2) * 2 ** -24 * c.scale[i]! + 1e-30;
      expect(Math.abs(got[i]! - c.expected[i]!), `element ${i}: got ${got[i]}, expected ${c.expected[i]}`).toBeLessThanOrEqual(tol);
    }
  }
}

function runGemm(backendGemm: (args: GemmArgs) => void, c: Case): Float32Array {
  const out = (c.args.out as Float32Array).slice();
  const a = (c.args.a as Float32Array).slice();
  const b = (c.args.b as Float32Array).slice();
  backendGemm({ ...c.args, a, b, out });
  expect(a).toEqual(c.args.a); // inputs are never written
  expect(b).toEqual(c.args.b);
  return out;
}

describe('gpujs.gemm', () => {
  it('equals gemmReference within float32 tolerance in all four layouts, with offsets', () => {
    expect(gpujs.gemm).toBeTypeOf('function');
    for (const [transA, transB] of LAYOUTS) {
      for (const [m, k, n] of [
        [3, 5, 4],
        [17, 33, 9],
        [1, 7, 1],
      ] as const) {
        const c = makeCase(m, k, n, transA, transB, m * 100 + k + (transA ? 7 : 0) + (transB ? 13 : 0));
        expectClose(runGemm(gpujs.gemm!, c), c);
      }
    }
  });

  it('runs float64 on core gemm, exactly', () => {
    const a = new Float64Array([1, 2, 3, 4, 5, 6, 0.1]);
    const b = new Float64Array([9, 7, 1 / 3, 0.25, -2, 8]);
    const got = new Float64Array(5);
    const want = new Float64Array(5);
    const args = { a, b, m: 2, k: 3, n: 2, transA: true, transB: false, aOffset: 1, outOffset: 1 } as const;
    gpujs.gemm!({ ...args, out: got });
    gemm({ ...args, out: want });
    expect(got).toEqual(want);
  });

  it('writes zeros for an empty inner dimension and nothing for an empty output', () => {
    const out = new Float32Array([9, 9, 9, 9, 9]);
    gpujs.gemm!({ a: new Float32Array(0), b: new Float32Array(0), out, m: 2, k: 0, n: 2, transA: false, transB: false, outOffset: 1 });
    expect([...out]).toEqual([9, 0, 0, 0, 0]);
    gpujs.gemm!({ a: new Float32Array(0), b: new Float32Array(6), out, m: 0, k: 3, n: 2, transA: false, transB: false });
    expect([...out]).toEqual([9, 0, 0, 0, 0]);
  });

  it('reports bad arguments naming gemm and the argument', () => {
    const a = new Float32Array(6);
    expect(() => gpujs.gemm!({ a, b: new Float32Array(5), out: new Float32Array(4), m: 2, k: 3, n: 2, transA: false, transB: false })).toThrow(ShapeError);
    expect(() => gpujs.gemm!({ a, b: new Float32Array(6), out: new Float32Array(4), m: 2, k: 3, n: 2, transA: false, transB: false, outOffset: 1 })).toThrow(/gemm: argument 'out'/);
    expect(() => gpujs.gemm!({ a, b: new Float32Array(6), out: new Float32Array(4), m: 2.5, k: 3, n: 2, transA: false, transB: false })).toThrow(ArgumentError);
    expect(() => gpujs.gemm!({ a, b: new Float32Array(6), out: new Float32Array(4), m: 2, k: 3, n: 2, transA: false, transB: false, aOffset: -1 })).toThrow(/gemm: argument 'aOffset'/);
  });

  it('gpujsInfo says where gpu.js runs, and gpujsMode agrees', () => {
    const info = gpujsInfo();
    expect(info.mode).toBe(gpujsMode());
    expect(info.notes.length).toBeGreaterThan(0);
    expect(info.notes[0]).toMatch(/^MNEMO_GPUJS_MODE=/);
    if (info.bridged && info.mode === 'webgpu') expect(info.adapter).toBeTypeOf('string');
  });
});

describe('the gpu.js worker bridge (gpu.js webasm in the worker)', () => {
  it('gives the same products as gpu.js in this thread, within float32 tolerance of the reference', () => {
    const worker = open({ mode: 'worker-webasm' });
    const here = open({ mode: 'inprocess' });
    expect(worker.info()).toMatchObject({ mode: 'webasm', bridged: true });
    expect(here.info()).toMatchObject({ bridged: false });
    for (const [transA, transB] of LAYOUTS) {
      // growing sizes: the shared buffer is grown between products
      for (const [m, k, n] of [
        [2, 3, 2],
        [19, 31, 23],
        [64, 80, 48],
        [5, 4, 3],
      ] as const) {
        const c = makeCase(m, k, n, transA, transB, 11 * m + k + (transA ? 1 : 0) + (transB ? 2 : 0), [1, 2, 3]);
        const viaWorker = runGemm(worker.backend.gemm!, c);
        expectClose(viaWorker, c);
        const inThread = runGemm(here.backend.gemm!, c);
        for (let i = 0; i < viaWorker.length; i++) {
          const tol = 4 * (k + 2) * 2 ** -24 * c.scale[i]! + 1e-30;
          expect(Math.abs(viaWorker[i]! - inThread[i]!)).toBeLessThanOrEqual(tol);
        }
      }
    }
  });

  it('runs batched, broadcast matmul through the worker', () => {
    const worker = open({ mode: 'worker-webasm' });
    const a = normal(key(3), [2, 1, 4, 6]);
    const b = normal(key(4), [3, 5, 6]);
    const got = worker.backend.matmul(a, b, false, true).toArray();
    const want = cpu.matmul(cpu.cast(a, 'float64'), cpu.cast(b, 'float64'), false, true).toArray();
    expect(got.length).toBe(2 * 3 * 4 * 5);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
  });

  it('reports a start that fails (here: a kernel gpu.js cannot compile) as an Error naming matmul', () => {
    const broken = open({ mode: 'worker-webasm', kernelSource: 'function (a, b) { return undefinedFunction(a[0]); }' });
    expect(() => broken.info()).toThrow(/^matmul: MNEMO_GPUJS_MODE=worker-webasm, but the gpu.js worker could not start: .+/);
  });

  it("reports gpu.js's error in a product as an Error naming matmul, and stays usable", () => {
    const bridge = startBridge(30_000);
    try {
      // A product gpu.js refuses (an output with no rows): its error comes back.
      expect(() => bridge.product(0, 2, 2, false, false, new Float32Array(0), new Float32Array(4), new Float32Array(0))).toThrow(
        /^matmul: gpu\.js \(webasm, in the worker thread\) failed on \[0, 2\] x \[2, 2\]: .*output\[1\].*greater than 0/,
      );
      const out = new Float32Array(4);
      bridge.product(2, 2, 2, false, false, new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), out);
      expect([...out]).toEqual([19, 22, 43, 50]);
    } finally {
      bridge.close();
    }
  });

  it('reports a worker that gives no answer, at the deadline, instead of hanging', () => {
    const bridge = startBridge(300);
    // Stopped without letting this thread see it go: the product's wait must end at its deadline.
    void (bridge as unknown as { worker: Worker }).worker.terminate();
    const call = (): void => bridge.product(2, 2, 2, false, false, new Float32Array(4), new Float32Array(4), new Float32Array(4));
    expect(call).toThrow(/^matmul: gpu\.js in the worker thread gave no answer within 300 ms for \[2, 2\] x \[2, 2\]/);
    expect(call).toThrow(/^matmul: the gpujs backend's worker is not usable: it gave no answer/);
  });

  it('reports a worker that has exited, at once', async () => {
    const bridge = startBridge(60_000);
    await (bridge as unknown as { worker: Worker }).worker.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => bridge.product(2, 2, 2, false, false, new Float32Array(4), new Float32Array(4), new Float32Array(4))).toThrow(
      /^matmul: the gpujs backend's worker is not usable: the gpu\.js worker exited/,
    );
    bridge.close();
  });

  it('rejects an unknown MNEMO_GPUJS_MODE', () => {
    const g = open({ mode: 'tpu' as GpujsOptions['mode'] });
    expect(() => g.info()).toThrow(/gpujs: argument 'MNEMO_GPUJS_MODE': expected one of auto, webgpu, inprocess, worker-webasm, got "tpu"/);
  });
});

describe('choosing WebGPU', () => {
  it('auto uses WebGPU where a hardware adapter answers, and otherwise falls back saying why', () => {
    const info = open({ mode: 'auto' }).info();
    if (info.bridged) {
      expect(info.mode).toBe('webgpu');
      expect(info.adapter).toBeTypeOf('string');
    } else {
      expect(info.notes[0]).toMatch(/^MNEMO_GPUJS_MODE=auto: WebGPU not used: (Dawn \(.*\) failed to load: .+|Dawn loaded, but no WebGPU adapter answered.*|the only WebGPU adapter is a software renderer .+|the 'webgpu' package .+)$/);
    }
  });

  it('webgpu either runs on WebGPU or throws an Error naming matmul that says why', () => {
    const g = open({ mode: 'webgpu' });
    let info;
    try {
      info = g.info();
    } catch (e) {
      expect((e as Error).message).toMatch(/^matmul: MNEMO_GPUJS_MODE=webgpu, but WebGPU is not usable: .+/);
      return;
    }
    expect(info).toMatchObject({ mode: 'webgpu', bridged: true });
    const c = makeCase(9, 13, 7, true, false, 5);
    expectClose(runGemm(g.backend.gemm!, c), c);
  });
});

/** A bridge to gpu.js webasm in a worker, with an NN-only kernel and the given deadline for products. */
function startBridge(callTimeoutMs: number): GpujsBridge {
  return new GpujsBridge({
    mode: 'webasm',
    gpujsPath: createRequire(import.meta.url).resolve('gpu.js'),
    dawnPath: undefined,
    acceptSoftwareAdapter: false,
    source: 'function (a, b) { let s = 0; for (let p = 0; p < this.constants.k; p++) { s += a[this.thread.y * this.constants.k + p] * b[p * this.constants.n + this.thread.x]; } return s; }',
    startTimeoutMs: 30_000,
    callTimeoutMs,
  });
}
