/**
 * The `gpujs` backend: matrix products lowered to gpu.js kernels in float32.
 *
 * gpu.js runs either in this thread (its synchronous modes: headless-gl,
 * WebAssembly, plain JavaScript) or, for WebGPU, in a worker thread behind a
 * synchronous bridge (`gpujs-bridge.ts`), because gpu.js's WebGPU kernels
 * return Promises and mnemo's kernels may not.
 *
 * @module
 */
import type { Backend } from '../backend.js';
import { ArgumentError, ShapeError, formatShape, formatValue } from '../errors.js';
import { sizeOf } from '../shape.js';
import { Tensor, fromKernel, unsafeDataOf } from '../tensor.js';
import { cpu, matmulPlan } from './cpu.js';
import { gemm, type GemmArgs } from './gemm.js';
import { GpujsBridge } from './gpujs-bridge.js';
import { checkGemmArgs } from './raw-args.js';

interface GpuKernel {
  (a: Float32Array, b: Float32Array): Float32Array | Float32Array[];
}
interface GpuInstance {
  readonly mode: string;
  createKernel(fn: string | ((...args: never[]) => number), settings: Record<string, unknown>): GpuKernel;
}
interface GpuModule {
  GPU: new (settings?: Record<string, unknown>) => GpuInstance;
}

/**
 * What the `gpujs` backend runs on: gpu.js's mode, whether gpu.js runs in a
 * worker thread behind the synchronous bridge (WebGPU), the WebGPU adapter,
 * and notes on how it was chosen (why WebGPU was not used, where it was not).
 *
 * @example
 * ```ts
 * import { gpujsInfo, type GpujsInfo } from '@mnemo/core';
 * const info: GpujsInfo = gpujsInfo();
 * console.assert(typeof info.bridged === 'boolean' && Array.isArray(info.notes));
 * ```
 * @category Backends
 */
export interface GpujsInfo {
  /** gpu.js's mode: `webgpu`, `headlessgl`, `webgl2`, `webgl`, `webasm` or `cpu`. */
  readonly mode: string;
  /** True when gpu.js runs in a worker thread, called through the synchronous bridge. */
  readonly bridged: boolean;
  /** The WebGPU adapter gpu.js computes on (vendor / architecture / device / description), when bridged to WebGPU. */
  readonly adapter?: string;
  /** How the mode was chosen: the `MNEMO_GPUJS_MODE` setting, and why WebGPU was not used where it was not. */
  readonly notes: readonly string[];
}

/**
 * How the `gpujs` backend chooses where gpu.js runs (`MNEMO_GPUJS_MODE`):
 * `auto` tries WebGPU in a worker and otherwise runs gpu.js in this thread,
 * `webgpu` requires WebGPU, `inprocess` never tries it, and `worker-webasm`
 * (a diagnostic) runs gpu.js's WebAssembly mode in the worker, to exercise
 * the bridge on machines without WebGPU.
 * @internal
 */
export type GpujsSelection = 'auto' | 'webgpu' | 'inprocess' | 'worker-webasm';

/** @internal */
export interface GpujsOptions {
  /** Default: `MNEMO_GPUJS_MODE`, else `auto`. */
  readonly mode?: GpujsSelection;
  /** How long to wait for the worker's ready report (default: `MNEMO_GPUJS_START_TIMEOUT_MS`, else 10 s). */
  readonly startTimeoutMs?: number;
  /** How long to wait for one product in the worker (default: `MNEMO_GPUJS_CALL_TIMEOUT_MS`, else 120 s). */
  readonly callTimeoutMs?: number;
  /** The kernel's source (tests give a broken one to see failures reported). */
  readonly kernelSource?: string;
}

const SELECTIONS: readonly GpujsSelection[] = ['auto', 'webgpu', 'inprocess', 'worker-webasm'];

/**
 * Node's `createRequire`, loaded when gpu.js is first needed rather than
 * imported, so that `@mnemo/core` loads where there is no `node:module` (a
 * browser page); undefined there.
 */
function nodeCreateRequire(): ((from: string) => NodeJS.Require) | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return (proc?.getBuiltinModule?.('node:module') as typeof import('node:module') | undefined)?.createRequire;
  } catch {
    return undefined;
  }
}

/** A `require` for gpu.js and its packages (Node), or a typed error that says why there is none. */
function requireHere(): NodeJS.Require {
  const createRequire = nodeCreateRequire();
  if (createRequire === undefined) {
    throw new ArgumentError('gpujs', 'gpu.js', "gpu.js is loaded through Node's require, which this runtime does not have (a browser page): use the cpu backend, or load gpu.js's browser script, which defines a global GPU");
  }
  return createRequire(import.meta.url);
}

/** gpu.js: from the page's global `GPU` (its browser script), else through Node's require. */
function loadGpujs(): GpuModule {
  const global = (globalThis as { GPU?: unknown }).GPU;
  if (typeof global === 'function') return { GPU: global as GpuModule['GPU'] };
  if (global !== null && typeof global === 'object' && typeof (global as Partial<GpuModule>).GPU === 'function') return global as GpuModule;
  return requireHere()('gpu.js') as GpuModule;
}

function env(name: string): string | undefined {
  const v = typeof process !== 'undefined' ? process.env[name] : undefined;
  return v === undefined || v === '' ? undefined : v;
}

function envMs(name: string, fallback: number): number {
  const v = env(name);
  if (v === undefined) return fallback;
  const ms = Number(v);
  if (!Number.isFinite(ms) || ms <= 0) throw new ArgumentError('gpujs', name, `expected a positive number of milliseconds, got ${JSON.stringify(v)}`);
  return ms;
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

/** Where the products run: gpu.js in this thread, or in the worker. */
interface Engine {
  readonly info: GpujsInfo;
  /** `out = op(a) · op(b)`; `a`, `b` and `out` hold exactly m·k, k·n and m·n values. */
  product(m: number, k: number, n: number, transA: boolean, transB: boolean, a: Float32Array, b: Float32Array, out: Float32Array): void;
  close(): void;
}

function inProcess(source: string | undefined, notes: readonly string[]): Engine {
  const mod = loadGpujs();
  const gpu = new mod.GPU();
  const kernels = new Map<string, GpuKernel>();
  const kernelFor = (m: number, k: number, n: number, transA: boolean, transB: boolean): GpuKernel => {
    const key = `${m}x${k}x${n}:${transA ? 1 : 0}${transB ? 1 : 0}`;
    let kern = kernels.get(key);
    if (kern === undefined) {
      kern = gpu.createKernel(source ?? (matmulKernel as unknown as (...args: never[]) => number), {
        output: [n, m],
        constants: { k, m, n, ta: transA ? 1 : 0, tb: transB ? 1 : 0 },
        precision: 'single',
        tactic: 'precision',
        loopMaxIterations: Math.max(k, 1),
      });
      kernels.set(key, kern);
    }
    return kern;
  };
  return {
    info: { mode: gpu.mode, bridged: false, notes },
    product(m, k, n, transA, transB, a, b, out) {
      const res = kernelFor(m, k, n, transA, transB)(a, b);
      const rows = Array.isArray(res) ? res : [res];
      if (rows.length !== m) {
        throw new ShapeError('matmul', 'result', `gpu.js returned ${rows.length} rows for an output of shape ${formatShape([m, n])}`);
      }
      rows.forEach((r, i) => out.set(r.subarray(0, n), i * n));
    },
    close() {},
  };
}

function bridged(mode: 'webgpu' | 'webasm', options: GpujsOptions, acceptSoftwareAdapter: boolean, notes: readonly string[]): Engine {
  const createRequire = nodeCreateRequire();
  if (createRequire === undefined) throw new Error('no node:module here: gpu.js cannot run in a worker thread');
  const gpujsPath = createRequire(import.meta.url).resolve('gpu.js');
  let dawnPath: string | undefined;
  if (mode === 'webgpu') {
    let index: string;
    try {
      // Dawn's `webgpu` package is a dependency of gpu.js.
      index = createRequire(gpujsPath).resolve('webgpu');
    } catch {
      throw new Error("the 'webgpu' package (Dawn), which gpu.js depends on, is not installed");
    }
    dawnPath = `${index.slice(0, index.lastIndexOf('/') + 1)}dist/${process.platform}-${process.arch}.dawn.node`;
  }
  const bridge = new GpujsBridge({
    mode,
    gpujsPath,
    dawnPath,
    acceptSoftwareAdapter,
    dawnOptions: (env('MNEMO_DAWN_OPTIONS') ?? '').split(/\s+/).filter((o) => o !== ''),
    source: options.kernelSource ?? String(matmulKernel),
    startTimeoutMs: options.startTimeoutMs ?? envMs('MNEMO_GPUJS_START_TIMEOUT_MS', 10_000),
    callTimeoutMs: options.callTimeoutMs ?? envMs('MNEMO_GPUJS_CALL_TIMEOUT_MS', 120_000),
  });
  const info: GpujsInfo = bridge.adapter === '' ? { mode: bridge.mode, bridged: true, notes } : { mode: bridge.mode, bridged: true, adapter: bridge.adapter, notes };
  return {
    info,
    product: (m, k, n, transA, transB, a, b, out) => bridge.product(m, k, n, transA, transB, a, b, out),
    close: () => bridge.close(),
  };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

function choose(options: GpujsOptions): Engine {
  const setting = options.mode ?? env('MNEMO_GPUJS_MODE') ?? 'auto';
  if (!(SELECTIONS as readonly string[]).includes(setting)) {
    throw new ArgumentError('gpujs', 'MNEMO_GPUJS_MODE', `expected one of ${SELECTIONS.join(', ')}, got ${JSON.stringify(setting)}`);
  }
  const mode = setting as GpujsSelection;
  const said = `MNEMO_GPUJS_MODE=${mode}`;
  switch (mode) {
    case 'inprocess':
      return inProcess(options.kernelSource, [`${said}: gpu.js in this thread`]);
    case 'worker-webasm':
      try {
        return bridged('webasm', options, false, [`${said}: gpu.js's WebAssembly mode in a worker thread (a diagnostic of the bridge)`]);
      } catch (e) {
        throw new Error(`matmul: ${said}, but the gpu.js worker could not start: ${firstLine(e)}`);
      }
    case 'webgpu':
      try {
        return bridged('webgpu', options, true, [`${said}: gpu.js's WebGPU mode in a worker thread`]);
      } catch (e) {
        throw new Error(`matmul: ${said}, but WebGPU is not usable: ${firstLine(e)}`);
      }
    case 'auto':
      try {
        return bridged('webgpu', options, false, [`${said}: gpu.js's WebGPU mode in a worker thread`]);
      } catch (e) {
        return inProcess(options.kernelSource, [`${said}: WebGPU not used: ${firstLine(e)}`, 'gpu.js runs in this thread, in the mode it chose']);
      }
  }
}


/** @internal A `gpujs` backend with its own gpu.js engine, chosen on first use. */
export interface GpujsInstance {
  readonly backend: Backend;
  /** Chooses the engine if not yet done. */
  info(): GpujsInfo;
  /** Stops the worker, if any (the backend then throws on float32 products). */
  close(): void;
}

/**
 * Make a `gpujs` backend. Where gpu.js runs is chosen on the first float32
 * product (or {@link GpujsInstance.info} call), from `options` and the
 * environment.
 * @internal
 */
export function createGpujs(options: GpujsOptions = {}): GpujsInstance {
  let engine: Engine | undefined;
  let closed = false;
  const use = (): Engine => {
    if (closed) throw new Error('matmul: this gpujs backend was closed');
    engine ??= choose(options);
    return engine;
  };

  const matmul = (a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor => {
    if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      // float64 (gpu.js is float32 only) and mixed or non-tensor inputs go to the
      // CPU kernel, which computes float64 exactly and reports bad input.
      return cpu.matmul(a, b, transA, transB);
    }
    const { m, k, n, shape, aOffsets, bOffsets } = matmulPlan(a, b, transA, transB);
    const y = new Float32Array(sizeOf(shape));
    if (m * n === 0 || aOffsets.length === 0 || k === 0) return fromKernel(y, shape);
    const e = use();
    const ad = unsafeDataOf(a) as Float32Array;
    const bd = unsafeDataOf(b) as Float32Array;
    for (let t = 0; t < aOffsets.length; t++) {
      const ao = aOffsets[t]!;
      const bo = bOffsets[t]!;
      e.product(m, k, n, transA, transB, ad.subarray(ao, ao + m * k), bd.subarray(bo, bo + k * n), y.subarray(t * m * n, (t + 1) * m * n));
    }
    return fromKernel(y, shape);
  };

  const gemmOnGpu = (args: GemmArgs): void => {
    checkGemmArgs('gemm', args);
    const { a, b, out } = args;
    if (!(a instanceof Float32Array) || !(b instanceof Float32Array) || !(out instanceof Float32Array)) {
      // float64 (and mixed input, which core's gemm reports) runs on core's gemm.
      gemm(args);
      return;
    }
    const { m, k, n, transA, transB } = args;
    const ao = args.aOffset ?? 0;
    const bo = args.bOffset ?? 0;
    const oo = args.outOffset ?? 0;
    const c = out.subarray(oo, oo + m * n);
    if (m * n === 0) return;
    if (k === 0) {
      c.fill(0);
      return;
    }
    use().product(m, k, n, transA, transB, a.subarray(ao, ao + m * k), b.subarray(bo, bo + k * n), c);
  };

  // Recurrences run on the tape here, so that every product goes to gpu.js (the cpu backend's compiled
  // sequences run on its own WebAssembly gemm); fused elementwise loops stay, they make no products.
  const backend: Backend = Object.freeze({ ...cpu, name: 'gpujs', matmul, gemm: gemmOnGpu, compileSequence: undefined, sequenceTiles: undefined });
  return {
    backend,
    info: () => use().info,
    close: () => {
      closed = true;
      engine?.close();
    },
  };
}

const shared = createGpujs();

/**
 * Where the `gpujs` backend's gpu.js runs (see {@link GpujsInfo}). Chooses on
 * first call, as the first float32 product does: with `MNEMO_GPUJS_MODE`
 * unset or `auto`, gpu.js's WebGPU mode in a worker thread if Dawn (the
 * `webgpu` package) loads and a hardware adapter answers within a few seconds,
 * else gpu.js in this thread; `webgpu` requires WebGPU (a software adapter is
 * accepted, and the first product throws if there is none); `inprocess` never
 * tries it. `MNEMO_DAWN_OPTIONS` (space-separated, e.g. `backend=vulkan
 * adapter=NVIDIA`) is passed to Dawn's `create`.
 *
 * @returns A {@link GpujsInfo}: the mode, whether it runs in a worker thread (and
 *   on which adapter), and notes on how it was chosen.
 * @throws ArgumentError - when `MNEMO_GPUJS_MODE` is set to something other than
 *   `auto`, `webgpu`, `inprocess` or `worker-webasm`.
 * @throws Error - when `MNEMO_GPUJS_MODE` is `webgpu` (or `worker-webasm`) and
 *   that engine cannot start, or the backend was closed.
 *
 * @example
 * ```ts
 * import { gpujsInfo } from '@mnemo/core';
 * const info = gpujsInfo();
 * console.assert(typeof info.mode === 'string' && info.notes.length > 0);
 * console.log(info.bridged ? `WebGPU on ${info.adapter}` : `gpu.js ${info.mode}: ${info.notes.join('; ')}`);
 * ```
 * @category Backends
 */
export function gpujsInfo(): GpujsInfo {
  return shared.info();
}

/**
 * The mode gpu.js runs in for the `gpujs` backend (`webgpu`, `headlessgl`,
 * `webgl`, `webasm` or `cpu`); the same as `gpujsInfo().mode`. Chooses on
 * first call (see {@link gpujsInfo}).
 *
 * @returns The mode's name.
 * @throws ArgumentError - when `MNEMO_GPUJS_MODE` is set to an unknown value.
 * @throws Error - when the engine that `MNEMO_GPUJS_MODE` asks for cannot start.
 *
 * @example
 * ```ts
 * import { gpujsMode } from '@mnemo/core';
 * console.assert(typeof gpujsMode() === 'string');
 * ```
 * @category Backends
 */
export function gpujsMode(): string {
  return shared.info().mode;
}

/**
 * The gpu.js backend. Every float32 matrix product (forward and backward,
 * through `matmul` or the raw-buffer `gemm`) runs as a gpu.js kernel.
 * Where gpu.js runs is chosen on first use (see {@link gpujsInfo}): its WebGPU
 * mode in a worker thread, called synchronously through a shared-memory
 * bridge, where Dawn finds a GPU adapter; else gpu.js in this thread, in the
 * mode it picks (headless-gl, WebAssembly or plain JavaScript). gpu.js
 * computes in float32 only, so float64 matrix products are computed by the
 * `cpu` kernel instead, exactly; so is every other kernel. Results agree with
 * `cpu` within float32 tolerance.
 *
 * @example
 * ```ts
 * import { gpujs, tensor } from '@mnemo/core';
 * const y = gpujs.matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]]), false, false);
 * console.assert(y.toArray().join() === '19,22,43,50');
 * const out = new Float32Array(1);
 * gpujs.gemm({ a: new Float32Array([1, 2]), b: new Float32Array([3, 4]), out, m: 1, k: 2, n: 1, transA: false, transB: false });
 * console.assert(out[0] === 11);
 * ```
 * @category Backends
 */
export const gpujs: Backend = shared.backend;

/** @internal */
export function assertGpujsAvailable(): void {
  if (typeof (globalThis as { GPU?: unknown }).GPU !== 'undefined') return;
  try {
    requireHere().resolve('gpu.js');
  } catch (e) {
    throw new ArgumentError('setBackend', 'name', `gpu.js could not be loaded: ${(e as Error).message}`);
  }
}
