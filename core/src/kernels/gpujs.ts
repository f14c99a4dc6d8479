/**
 * The `gpujs` backend: matrix products lowered to gpu.js kernels in float32.
 *
 * @module
 */
import { createRequire } from 'node:module';
import type { Backend } from '../backend.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { sizeOf } from '../shape.js';
import { Tensor, unsafeDataOf, unsafeFromData } from '../tensor.js';
import { cpu, matmulPlan } from './cpu.js';

interface GpuKernel {
  (a: Float32Array, b: Float32Array): Float32Array | Float32Array[];
}
interface GpuInstance {
  readonly mode: string;
  createKernel(fn: (...args: never[]) => number, settings: Record<string, unknown>): GpuKernel;
}
interface GpuModule {
  GPU: new (settings?: Record<string, unknown>) => GpuInstance;
}

let gpu: GpuInstance | undefined;
const kernels = new Map<string, GpuKernel>();

function instance(): GpuInstance {
  if (gpu === undefined) {
    const require = createRequire(import.meta.url);
    const mod = require('gpu.js') as GpuModule;
    gpu = new mod.GPU();
  }
  return gpu;
}

/**
 * The mode gpu.js chose on this machine (`webgl`, `headlessgl`, `webgpu`,
 * `webasm` or `cpu`). Creates the gpu.js instance on first call.
 *
 * @example
 * ```ts
 * import { gpujsMode } from '@mnemo/core';
 * console.assert(typeof gpujsMode() === 'string');
 * ```
 * @category Backends
 */
export function gpujsMode(): string {
  return instance().mode;
}

// The kernel body is compiled by gpu.js from its source text, so it may use
// only what gpu.js understands: `this.thread`, `this.constants` and loops.
function matmulKernel(this: { thread: { x: number; y: number }; constants: { k: number; m: number; n: number; ta: number; tb: number } }, a: Float32Array, b: Float32Array): number {
  const row = this.thread.y;
  const col = this.thread.x;
  const k = this.constants.k;
  const m = this.constants.m;
  const n = this.constants.n;
  let sum = 0;
  for (let p = 0; p < k; p++) {
    let av = 0;
    if (this.constants.ta === 1) av = a[p * m + row]!;
    else av = a[row * k + p]!;
    let bv = 0;
    if (this.constants.tb === 1) bv = b[col * k + p]!;
    else bv = b[p * n + col]!;
    sum += av * bv;
  }
  return sum;
}

function kernelFor(m: number, k: number, n: number, transA: boolean, transB: boolean): GpuKernel {
  const key = `${m}x${k}x${n}:${transA ? 1 : 0}${transB ? 1 : 0}`;
  let kern = kernels.get(key);
  if (kern === undefined) {
    kern = instance().createKernel(matmulKernel as unknown as (...args: never[]) => number, {
      output: [n, m],
      constants: { k, m, n, ta: transA ? 1 : 0, tb: transB ? 1 : 0 },
      precision: 'single',
      tactic: 'precision',
      loopMaxIterations: Math.max(k, 1),
    });
    kernels.set(key, kern);
  }
  return kern;
}

function gpuMatmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    // float64 (gpu.js is float32 only) and mixed or non-tensor inputs go to the
    // CPU kernel, which computes float64 exactly and reports bad input.
    return cpu.matmul(a, b, transA, transB);
  }
  const { m, k, n, shape, aOffsets, bOffsets } = matmulPlan(a, b, transA, transB);
  const y = new Float32Array(sizeOf(shape));
  if (m * n === 0 || aOffsets.length === 0 || k === 0) return unsafeFromData(y, shape);
  const kern = kernelFor(m, k, n, transA, transB);
  const ad = unsafeDataOf(a) as Float32Array;
  const bd = unsafeDataOf(b) as Float32Array;
  for (let t = 0; t < aOffsets.length; t++) {
    const res = kern(ad.subarray(aOffsets[t]!, aOffsets[t]! + m * k), bd.subarray(bOffsets[t]!, bOffsets[t]! + k * n));
    const rows = Array.isArray(res) ? res : [res];
    if (rows.length !== m) {
      throw new ShapeError('matmul', 'result', `gpu.js returned ${rows.length} rows for an output of shape ${formatShape([m, n])}`);
    }
    rows.forEach((r, i) => y.set(r.subarray(0, n), t * m * n + i * n));
  }
  return unsafeFromData(y, shape);
}

/**
 * The gpu.js backend. Every float32 matrix product (forward and backward)
 * runs as a gpu.js kernel; gpu.js itself chooses headless-gl, WebGPU, its
 * WebAssembly backend or plain JavaScript, whichever the machine offers (see
 * {@link gpujsMode}). gpu.js computes in float32 only, so float64 matrix
 * products are computed by the `cpu` kernel instead, exactly; so is every
 * other kernel. Results agree with `cpu` within float32 tolerance.
 *
 * @example
 * ```ts
 * import { gpujs, tensor } from '@mnemo/core';
 * const y = gpujs.matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]]), false, false);
 * console.assert(y.toArray().join() === '19,22,43,50');
 * ```
 * @category Backends
 */
export const gpujs: Backend = Object.freeze({ ...cpu, name: 'gpujs', matmul: gpuMatmul });

/** @internal */
export function assertGpujsAvailable(): void {
  try {
    instance();
  } catch (e) {
    throw new ArgumentError('setBackend', 'name', `gpu.js could not be loaded: ${(e as Error).message}`);
  }
}
