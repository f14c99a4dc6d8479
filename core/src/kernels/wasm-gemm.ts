/**
 * The fast gemm of the CPU backend: a packed, cache-blocked WebAssembly SIMD
 * kernel (f32x4 for float32, f64x2 for float64), equally fast in all four
 * transpose layouts, that splits large products across helper threads.
 *
 * The module is emitted from TypeScript (see `wasm-gemm-module.ts`) and
 * compiled synchronously on first use. Each call copies A and B into the
 * module's memory, runs the kernel (on this thread, or on this thread and the
 * helper threads, which claim bands of C's columns or rows as they wake, so a
 * helper that gets no core never holds the caller up), and copies C out:
 * inputs are never written. Tiny products stay in JavaScript, where the call
 * overhead of WebAssembly would dominate. Where WebAssembly SIMD is missing
 * (or a product would need more than 1 GiB of scratch) the reference gemm
 * runs instead.
 *
 * The micro-kernels follow the runtime (`features.ts`, `gemmKernels`): where
 * V8's revectorizer is on (Node 24, switched on at first use), wider tiles
 * that it turns into 256-bit AVX2 code. They multiply then add in the
 * reference's order, so float64 is bit-identical to `gemmReference` and
 * float32 gives the same bits on every path; with `MNEMO_WASM_FEATURES=fma`,
 * where relaxed SIMD validates (Node 22 on), float32 fuses its multiply-adds.
 *
 * Threads: `MNEMO_THREADS` (an environment variable read once, on first use)
 * caps the number of threads, the calling one included; `1` disables helper
 * threads. By default mnemo uses up to 4, and no more than the machine's
 * cores. Helpers are Node's worker threads, or in a browser page Web Workers
 * where the page is cross-origin isolated (one thread otherwise).
 * `MNEMO_WASM_FEATURES` (see `features.ts`) turns runtime features
 * off: `no-relaxed-simd`, `no-revectorize`, or `no-simd` for the JavaScript
 * reference.
 *
 * @module
 */
import type { TypedArray } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError, formatValue } from '../errors.js';
import { checkGemmArgs } from './raw-args.js';
import { gemmReference, setGemmImpl, type GemmArgs } from './gemm.js';
import { GemmPool, MAX_CHUNKS, nodeThreadHost, webThreadHost, type NodeWorkerThreads, type PoolKernel, type ThreadHost } from './gemm-threads.js';
import { wasmApi, type WasmMemory, type WasmModule } from './wasm-emit.js';
import { wasmFeatureNotes, wasmFeatures } from './features.js';
import { buildGemmModule, describeKernel, runtimeGemmKernels, type TileShape } from './wasm-gemm-module.js';

// ---------------------------------------------------------------------------
// Tuning (measured on a 2-core Zen 3, Node 20; see models/src/bench/matmul.ts)
// ---------------------------------------------------------------------------

/**
 * Cache blocking per dtype: k block, rows of A per packed block, columns of B
 * per packed slab. (At 512^3, eight blockings from 128 to 512 wide measured
 * within 5% of each other in CPU time: the 4-row panels and 8 KiB B panels
 * already fit the caches.)
 */
const BLOCKING = {
  f32: { kc: 256, mc: 128, nc: 2048 },
  f64: { kc: 256, mc: 64, nc: 1024 },
} as const;

/** Below this many multiply-adds (m·n·k) the JavaScript reference is faster (measured crossover: 8^3 to 12^3). */
const DEFAULT_JS_BELOW = 1000;
/**
 * From this many multiply-adds on (about 128x128x256), helper threads share
 * the work. Measured with the second core free, two threads ran 1.0-1.1x one
 * thread at 1M multiply-adds, 1.1-1.3x at 2M, 1.2-1.4x at 4M and 1.5-1.9x
 * from 16M on; on a host busy enough that the process gets about one core,
 * 0.65-1.0x. Below this size, waking a helper (tens of microseconds) costs
 * about what it gains.
 */
const DEFAULT_THREADS_FROM = 1 << 22;
/**
 * Chunks per thread in a threaded product. Each chunk packs only its own
 * columns of B (or rows of A), so small chunks cost little; they bound what
 * a helper that loses its core mid-chunk can hold the caller up by.
 */
const CHUNKS_PER_THREAD = 12;
/** Scratch memory cap: 1 GiB, in 64 KiB pages. */
const MAX_PAGES = 16384;
const PAGE = 65536;

// ---------------------------------------------------------------------------
// Options and status
// ---------------------------------------------------------------------------

/**
 * Per-call overrides of {@link wasmGemm}'s choices, for tests and benchmarks.
 *
 * @example
 * ```ts
 * import { wasmGemm, type WasmGemmOptions } from '@mnemo/core';
 * const options: WasmGemmOptions = { threads: 1, jsBelow: 0 };
 * const out = new Float32Array(1);
 * wasmGemm({ a: new Float32Array([2]), b: new Float32Array([3]), out, m: 1, k: 1, n: 1, transA: false, transB: false }, options);
 * console.assert(out[0] === 6);
 * ```
 * @category Internals
 */
export interface WasmGemmOptions {
  /** At most this many threads, the calling one included (default: all that are ready). */
  readonly threads?: number;
  /** Products with fewer multiply-adds (m·n·k) than this run in JavaScript; 0 forces WebAssembly. */
  readonly jsBelow?: number;
  /** Products with at least this many multiply-adds are split across threads. */
  readonly threadsFrom?: number;
}

/**
 * What the fast gemm ({@link wasmGemm}) runs on, as {@link gemmInfo} reports
 * it: the kernel, its threads, thresholds, tiles and call counts.
 *
 * @example
 * ```ts
 * import { gemmInfo, type GemmInfo } from '@mnemo/core';
 * const info: GemmInfo = gemmInfo();
 * console.assert(info.threads >= 1);
 * ```
 * @category Backends
 */
export interface GemmInfo {
  /** `'wasm-simd'` when the WebAssembly kernel runs, `'javascript'` when only the reference is available. */
  readonly kernel: 'wasm-simd' | 'javascript';
  /** Whether WebAssembly SIMD compiled and runs here. */
  readonly simd: boolean;
  /** The runtime: `process.version` (`'v24.22.3'`), or `'unknown'` outside Node. */
  readonly node: string;
  /**
   * Whether the gemm uses relaxed SIMD: its float32 micro-kernel fuses its
   * multiply-adds (`f32x4.relaxed_madd` validated here, and
   * `MNEMO_WASM_FEATURES=fma` asked for it; see `notes` when it validates
   * but is not used).
   */
  readonly relaxedSimd: boolean;
  /** Whether V8's revectorizer is on (`--experimental-wasm-revectorize`), pairing the micro-kernels' 128-bit operations into 256-bit ones. */
  readonly revectorize: boolean;
  /**
   * The micro-kernel that runs per dtype: its tile, the operations and
   * whether it is paired for 256-bit code, as `'4x16 f32x4 relaxed_madd,
   * paired for 256-bit'` or `'4x4 f64x2 mul+add'`.
   */
  readonly microKernels: { readonly float32: string; readonly float64: string };
  /** Threads that share a large product now (the calling thread included; helpers count once started). */
  readonly threads: number;
  /** Threads allowed by `MNEMO_THREADS` and the machine. */
  readonly maxThreads: number;
  /**
   * What helper threads are here: Node's `worker_threads`, a page's Web
   * Workers (a cross-origin isolated page), or `'none'` (one thread: a page
   * that is not cross-origin isolated, no shared memory, or `MNEMO_THREADS=1`).
   */
  readonly helpers: 'worker_threads' | 'web-workers' | 'none';
  /** Multiply-adds (m·n·k) below which JavaScript runs; from which threads split. */
  readonly thresholds: { readonly jsBelow: number; readonly threadsFrom: number };
  /** The micro-kernel's register tile (rows x columns of C) per dtype. */
  readonly tiles: { readonly float32: string; readonly float64: string };
  /** Why the kernel or the threads are not in use, when they are not. */
  readonly notes: readonly string[];
  /**
   * Calls of {@link wasmGemm} so far, by the path they took, and how many
   * chunks of the threaded calls helper threads ran (the calling thread ran
   * the rest).
   */
  readonly calls: { readonly javascript: number; readonly wasm: number; readonly threaded: number; readonly helperChunks: number };
}

interface Kernel {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly f32: (...args: number[]) => void;
  readonly f64: (...args: number[]) => void;
  readonly prepack32: (...args: number[]) => void;
  readonly prepack64: (...args: number[]) => void;
  view32: Float32Array;
  view64: Float64Array;
  readonly shared: boolean;
}

let kernel: Kernel | null | undefined; // undefined: not tried yet; null: unavailable
let pool: GemmPool | null | undefined;
let maxThreads = 1;
/** How helper threads are made here (null: there are none). */
let host: ThreadHost | null = null;
const notes: string[] = [];
const calls = { javascript: 0, wasm: 0, threaded: 0 };
let retiredChunks = 0; // helper chunks of a pool that failed

function nodeModule<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/** The thread cap (the calling thread included), and how helpers are made; notes say why there are none. */
function envThreads(): number {
  const wt = nodeModule<NodeWorkerThreads>('node:worker_threads');
  const os = nodeModule<typeof import('node:os')>('node:os');
  let cores: number;
  if (wt && os) {
    host = nodeThreadHost(wt);
    cores = Math.max(1, os.availableParallelism());
  } else {
    const web = webThreadHost();
    if (typeof web === 'string') {
      notes.push(typeof (globalThis as { Worker?: unknown }).Worker === 'function' ? web : 'no worker threads here (no node:worker_threads, no Web Workers): one thread');
      return 1;
    }
    host = web;
    cores = Math.max(1, (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
  }
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['MNEMO_THREADS'];
  if (raw !== undefined && raw !== '') {
    const v = Number(raw);
    if (Number.isInteger(v) && v >= 1) return Math.min(v, 64);
    notes.push(`MNEMO_THREADS=${JSON.stringify(raw)} is not a positive integer: ignored`);
  }
  return Math.min(cores, 4);
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const wasm = wasmApi();
    if (!wasm) throw new Error('no WebAssembly');
    // Before anything compiles: this also switches V8's revectorizer on where the runtime has it.
    const features = wasmFeatures();
    if (!features.simd) throw new Error(wasmFeatureNotes()[0] ?? 'no SIMD');
    // Shared memory lets helper threads work on the same scratch; where it is
    // unavailable (a browser page that is not cross-origin isolated) the
    // kernel runs on one thread with a private memory.
    let shared = true;
    let memory: WasmMemory;
    try {
      memory = new wasm.Memory({ initial: 16, maximum: MAX_PAGES, shared });
    } catch {
      shared = false;
      notes.push('no shared WebAssembly memory here: one thread');
      memory = new wasm.Memory({ initial: 16, maximum: MAX_PAGES, shared });
    }
    const module = new wasm.Module(buildGemmModule({ initial: 16, maximum: MAX_PAGES, shared }, runtimeGemmKernels()));
    const ex = new wasm.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
    kernel = {
      module,
      memory,
      f32: ex['gemm_f32']!,
      f64: ex['gemm_f64']!,
      prepack32: ex['prepack_f32']!,
      prepack64: ex['prepack_f64']!,
      view32: new Float32Array(memory.buffer),
      view64: new Float64Array(memory.buffer),
      shared,
    };
  } catch (e) {
    notes.push(`WebAssembly SIMD unavailable (${e instanceof Error ? e.message : String(e)}): the JavaScript reference runs`);
    kernel = null;
  }
  maxThreads = kernel?.shared ? envThreads() : 1;
  return kernel;
}

/** The helper pool, started on first need (asynchronously: usable once ready). */
function helpers(k: Kernel): GemmPool | null {
  if (pool !== undefined) return pool;
  pool = null;
  if (maxThreads <= 1 || host === null) return pool;
  try {
    pool = new GemmPool(host, k.module, k.memory, maxThreads - 1);
  } catch (e) {
    notes.push(`could not start gemm worker threads (${e instanceof Error ? e.message : String(e)}): one thread`);
  }
  return pool;
}

/**
 * Describe the fast gemm: whether the WebAssembly SIMD kernel runs, how many
 * threads share large products, the size thresholds and register tiles.
 * Compiles the kernel if that has not happened yet.
 *
 * @returns A {@link GemmInfo}: the kernel (`wasm-simd` or `javascript`), threads
 *   running and allowed, thresholds, register tiles, notes and call counts.
 *
 * @example
 * ```ts
 * import { gemmInfo } from '@mnemo/core';
 * const info = gemmInfo();
 * console.assert(info.kernel === 'wasm-simd' ? info.simd : !info.simd);
 * ```
 * @category Backends
 */
export function gemmInfo(): GemmInfo {
  const k = load();
  const running = pool ? 1 + pool.ready() : 1;
  const extra = pool?.failure ? [pool.failure] : [];
  const tile = (t: { mr: number; nrv: number }, lanes: number): string => `${t.mr}x${t.nrv * lanes}`;
  const features = wasmFeatures();
  const version = (globalThis as { process?: { version?: string } }).process?.version;
  const used = k ? runtimeGemmKernels() : null;
  return {
    kernel: k ? 'wasm-simd' : 'javascript',
    simd: k !== null,
    node: typeof version === 'string' ? version : 'unknown',
    relaxedSimd: used !== null && used.f32.fma,
    revectorize: k !== null && features.revectorize,
    microKernels: used
      ? { float32: describeKernel('f32', used.f32, features.revectorize), float64: describeKernel('f64', used.f64, features.revectorize) }
      : { float32: 'none (JavaScript reference)', float64: 'none (JavaScript reference)' },
    threads: running,
    maxThreads,
    helpers: maxThreads > 1 && host !== null ? host.kind : 'none',
    thresholds: { jsBelow: DEFAULT_JS_BELOW, threadsFrom: DEFAULT_THREADS_FROM },
    tiles: used ? { float32: tile(used.f32.tile, 4), float64: tile(used.f64.tile, 2) } : { float32: 'none', float64: 'none' },
    notes: [
      ...wasmFeatureNotes(),
      ...(used && features.relaxedSimd && !used.f32.fma ? ['relaxed SIMD validates, but the gemm multiplies then adds (the same float32 bits on every runtime); MNEMO_WASM_FEATURES=fma fuses'] : []),
      ...notes,
      ...extra,
    ],
    calls: { ...calls, helperChunks: pool?.helperChunks() ?? retiredChunks },
  };
}

/**
 * Start the helper threads now (they otherwise start on the first large
 * product) and resolve once they are ready, with {@link gemmInfo}'s report.
 * Products never wait for threads: until they are ready, work runs on the
 * calling thread alone. Benchmarks and tests call this first.
 *
 * @returns A promise of {@link gemmInfo}'s report once the helper threads have
 *   started (at once where there are none).
 *
 * @example
 * ```ts
 * import { startGemmThreads } from '@mnemo/core';
 * const info = await startGemmThreads();
 * console.assert(info.threads <= info.maxThreads);
 * ```
 * @category Backends
 */
export async function startGemmThreads(): Promise<GemmInfo> {
  const k = load();
  const p = k ? helpers(k) : null;
  if (p) await p.whenStarted();
  return gemmInfo();
}

// ---------------------------------------------------------------------------
// The kernel call
// ---------------------------------------------------------------------------

function checkArgs(args: GemmArgs): void {
  checkGemmArgs('gemm', args);
  const { a, b, out, m, k, n } = args;
  for (const [name, v] of [['m', m], ['k', k], ['n', n]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError('gemm', name, `expected a non-negative integer, got ${v}`);
  }
  const isF32 = a instanceof Float32Array;
  if (!isF32 && !(a instanceof Float64Array)) throw new DTypeError('gemm', 'a', 'expected a Float32Array or Float64Array');
  for (const [name, x] of [['b', b], ['out', out]] as const) {
    if (isF32 ? !(x instanceof Float32Array) : !(x instanceof Float64Array)) {
      throw new DTypeError('gemm', name, `dtypes differ: a is a ${a.constructor.name}, ${name} is a ${x.constructor.name}`);
    }
  }
  const check = (name: string, arr: TypedArray, offset: number | undefined, rows: number, cols: number, layout: string): void => {
    const o = offset ?? 0;
    if (!Number.isInteger(o) || o < 0) throw new ArgumentError('gemm', `${name}Offset`, `expected a non-negative integer, got ${o}`);
    if (o + rows * cols > arr.length) {
      throw new ShapeError(
        'gemm',
        name,
        `stored ${layout} [${rows}, ${cols}] from offset ${o} needs ${o + rows * cols} elements, the array has ${arr.length}`,
      );
    }
  };
  check('a', a, args.aOffset, args.transA ? k : m, args.transA ? m : k, args.transA ? 'transposed as' : 'as');
  check('b', b, args.bOffset, args.transB ? n : k, args.transB ? k : n, args.transB ? 'transposed as' : 'as');
  check('out', out, args.outOffset, m, n, 'as');
}

/** `x` rounded up to a multiple of `to`. @internal */
export const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;
/** `bytes` rounded up to a whole cache line (64 bytes), where every block of the kernels' memory starts. @internal */
export const align = (bytes: number): number => roundUp(bytes, 64);

/**
 * Multiply two matrices held in raw buffers (see {@link GemmArgs}) with the
 * WebAssembly SIMD kernel, using helper threads for large products. Results
 * equal {@link gemmReference}'s up to rounding: float64 sums run in the same
 * order with a separate multiply and add (bit-identical for finite inputs, on
 * every runtime), float32 sums accumulate in float32, in the same order on
 * every runtime (the same bits everywhere, unless `MNEMO_WASM_FEATURES=fma`
 * fuses them; each element within `(k + 1)·2⁻²⁴·Σ|a·b|` of the exact sum
 * either way; see {@link gemmInfo} for the kernel in use). Inputs are not modified. Throws a {@link ShapeError},
 * {@link DTypeError} or {@link ArgumentError} naming `gemm` and the argument
 * when the arguments do not describe a product.
 *
 * @param args - The matrices, their sizes, layouts and offsets ({@link GemmArgs});
 *   `out` is overwritten.
 * @param options - `jsBelow`: products of fewer multiply-adds than this run in
 *   JavaScript.
 * @throws ArgumentError - when `m`, `k`, `n` or an offset is not a non-negative
 *   integer.
 * @throws DTypeError - when `a`, `b` and `out` are not all `Float32Array` or all
 *   `Float64Array`.
 * @throws ShapeError - when an array is too short for its matrix at its offset.
 *
 * @example
 * ```ts
 * import { wasmGemm, gemmReference } from '@mnemo/core';
 * const m = 3, k = 40, n = 5;
 * const a = Float64Array.from({ length: m * k }, (_, i) => Math.sin(i));
 * const b = Float64Array.from({ length: n * k }, (_, i) => Math.cos(i)); // stored [n, k]
 * const fast = new Float64Array(m * n), slow = new Float64Array(m * n);
 * wasmGemm({ a, b, out: fast, m, k, n, transA: false, transB: true });
 * gemmReference({ a, b, out: slow, m, k, n, transA: false, transB: true });
 * console.assert(fast.every((v, i) => Math.abs(v - slow[i]!) < 1e-12));
 * ```
 * @category Internals
 */
export function wasmGemm(args: GemmArgs, options?: WasmGemmOptions): void {
  checkArgs(args);
  const { a, b, out, m, k, n, transA, transB } = args;
  const oo = args.outOffset ?? 0;
  if (m === 0 || n === 0) return;
  if (k === 0) {
    out.fill(0, oo, oo + m * n);
    return;
  }
  const work = m * n * k;
  const K = work < (options?.jsBelow ?? DEFAULT_JS_BELOW) ? null : load();
  if (!K) {
    calls.javascript++;
    gemmReference(args);
    return;
  }
  const f32 = a instanceof Float32Array;
  const es = f32 ? 4 : 8;
  const { mr, nr } = tileOf(f32);
  const ldc = roundUp(n, nr);
  const plan = planProduct(f32, m, n, k, options);
  const aAt = scratchBase();
  const bAt = align(aAt + m * k * es);
  const cAt = align(bAt + k * n * es);
  const scratchAt = align(cAt + roundUp(m, mr) * ldc * es);
  const end = scratchAt + plan.scratchBytes;
  if (end > MAX_PAGES * PAGE) {
    calls.javascript++;
    gemmReference(args);
    return;
  }
  const view: TypedArray = f32 ? reserveBytes(K, end).view32 : reserveBytes(K, end).view64;

  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  view.set(a.subarray(ao, ao + m * k), aAt / es);
  view.set(b.subarray(bo, bo + k * n), bAt / es);
  runPlanned(K, plan, aAt, bAt, cAt, ldc, transA, transB, scratchAt);

  const c = cAt / es;
  if (ldc === n) out.set(view.subarray(c, c + m * n), oo);
  else for (let i = 0; i < m; i++) out.set(view.subarray(c + i * ldc, c + i * ldc + n), oo + i * n);
}

/** Grow the kernel's memory to at least `bytes` and refresh its views. */
function reserveBytes(K: Kernel, bytes: number): Kernel {
  const have = K.memory.buffer.byteLength;
  if (bytes > have) K.memory.grow(Math.ceil((bytes - have) / PAGE));
  if (K.view32.buffer.byteLength !== K.memory.buffer.byteLength) {
    K.view32 = new Float32Array(K.memory.buffer);
    K.view64 = new Float64Array(K.memory.buffer);
  }
  return K;
}

/** Helper threads that may join a job of `wanted` threads (the caller included): started, ready, and at most `wanted - 1`. */
function readyHelpers(K: Kernel, wanted: number): number {
  if (wanted <= 1) return 0;
  const p = helpers(K);
  return p && p.ready() > 0 ? Math.min(wanted - 1, p.size) : 0;
}

/** This process's register tiles, per dtype (see `runtimeGemmKernels`). */
function tiles(): { readonly f32: TileShape; readonly f64: TileShape } {
  const k = runtimeGemmKernels();
  return { f32: k.f32.tile, f64: k.f64.tile };
}

/** The register tile of a dtype's micro-kernel, in elements: rows `mr`, columns `nr`. */
function tileOf(f32: boolean): { mr: number; nr: number } {
  const t = tiles()[f32 ? 'f32' : 'f64'];
  return { mr: t.mr, nr: t.nrv * (f32 ? 4 : 2) };
}

/** How a product is cut into chunks and threads, and the scratch it needs past its operands. */
interface ProductPlan {
  readonly f32: boolean;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly helperCount: number;
  readonly byRows: boolean;
  readonly band: number;
  readonly count: number;
  readonly threaded: boolean;
  /** 0: none; 1: A packed once and shared; 2: B. */
  readonly prepacked: 0 | 1 | 2;
  /** Bytes from the scratch start: the shared packed operand, then each thread's packing buffers. */
  readonly scratchBytes: number;
  readonly sharedBytes: number;
  readonly packA: number;
  readonly packB: number;
}

function planProduct(f32: boolean, m: number, n: number, k: number, options?: WasmGemmOptions): ProductPlan {
  const es = f32 ? 4 : 8;
  const { mr, nr } = tileOf(f32);
  const { kc, mc, nc } = BLOCKING[f32 ? 'f32' : 'f64'];
  const ldc = roundUp(n, nr);
  const work = m * n * k;

  // How many threads. Helpers join a product as they wake: the caller claims
  // chunks too and never waits for a helper to start.
  const wanted = Math.min(options?.threads ?? Infinity, maxThreads);
  const helperCount = kernel && work >= (options?.threadsFrom ?? DEFAULT_THREADS_FROM) ? readyHelpers(kernel, wanted) : 0;
  // Chunks: bands of C's columns, or of its rows when C is tall (the operand
  // all bands read, A or B, is packed once and shared; each band packs its
  // own part of the other). Many small chunks balance the load when a helper
  // starts late or shares its core.
  const colTiles = Math.ceil(n / nr);
  const rowTiles = Math.ceil(m / mr);
  const byRows = m > n;
  const tiles = byRows ? rowTiles : colTiles;
  const tileSize = byRows ? mr : nr;
  const chunks = helperCount > 0 ? Math.min(tiles, CHUNKS_PER_THREAD * (helperCount + 1), MAX_CHUNKS) : 1;
  const band = Math.ceil(tiles / chunks) * tileSize;
  const count = Math.ceil((byRows ? m : n) / band);

  // With helpers, the operand every chunk reads in full (A for column bands,
  // B for row bands) is packed once, up front, and shared.
  const threaded = helperCount > 0 && count > 1;
  const prepacked = !threaded ? 0 : byRows ? 2 : 1;

  const kcr = Math.min(kc, k);
  const chunkRows = byRows ? band : roundUp(m, mr);
  const chunkCols = byRows ? ldc : band;
  const sharedBytes = align(prepacked === 0 ? 0 : prepacked === 1 ? roundUp(m, mr) * k * es : ldc * k * es);
  const packA = prepacked === 1 ? 0 : align(Math.min(mc, chunkRows) * kcr * es);
  const packB = prepacked === 2 ? 0 : align(Math.min(nc, chunkCols) * kcr * es);
  const scratchBytes = sharedBytes + (1 + helperCount) * (packA + packB);
  return { f32, m, n, k, helperCount, byRows, band, count, threaded, prepacked, scratchBytes, sharedBytes, packA, packB };
}

/**
 * Run a planned product on operands already in the kernel's memory (byte
 * addresses; C is written with row stride `ldc` elements, padded to whole
 * tiles), with the plan's scratch at `scratchAt`.
 */
function runPlanned(K: Kernel, plan: ProductPlan, aAt: number, bAt: number, cAt: number, ldc: number, transA: boolean, transB: boolean, scratchAt: number): void {
  const { f32, m, n, k, byRows, band, count, threaded, prepacked, helperCount, packA, packB } = plan;
  const { kc, mc, nc } = BLOCKING[f32 ? 'f32' : 'f64'];
  const sharedAt = scratchAt;
  const packAt = scratchAt + plan.sharedBytes;
  // gemm_T(a, b, c, m, n, k, transA, transB, split, band, chunk, ldc, packBase, packStride, packABytes, slot, kcMax, mcMax, ncMax, prepacked, packedAt)
  const kernelArgs = [aAt, bAt, cAt, m, n, k, transA ? 1 : 0, transB ? 1 : 0, byRows ? 1 : 0, band, 0, ldc, packAt, packA + packB, packA, 0, kc, mc, nc, prepacked, sharedAt];
  const [fn, pre, which] = f32 ? [K.f32, K.prepack32, 0] : [K.f64, K.prepack64, 1];
  if (!threaded) {
    calls.wasm++;
    fn(...kernelArgs);
    return;
  }
  // prepack_T(which, src, transposed, rows, k, kcMax, dst)
  if (prepacked === 1) pre(0, aAt, transA ? 1 : 0, m, k, kc, sharedAt);
  else pre(1, bAt, transB ? 1 : 0, n, k, kc, sharedAt);
  runChunks(which, kernelArgs, count, helperCount, fn);
}

/** Run `count` chunks of a kernel on this thread and up to `helperCount` helpers; if the pool fails, run them all here. */
function runChunks(which: PoolKernel | number, kernelArgs: number[], count: number, helperCount: number, fn: (...args: number[]) => void): void {
  if (helperCount === 0 || !pool) {
    calls.wasm++;
    for (let chunk = 0; chunk < count; chunk++) {
      kernelArgs[10] = chunk;
      fn(...kernelArgs);
    }
    return;
  }
  try {
    pool.run(which, kernelArgs, count, helperCount, (chunkArgs) => fn(...chunkArgs));
    calls.threaded++;
  } catch {
    // A helper failed (the pool now reports why and is no longer used):
    // compute every chunk here. A kernel error would throw again.
    notes.push(`${pool?.failure ?? 'a gemm worker failed'}: helper threads are off`);
    retiredChunks = pool?.helperChunks() ?? 0;
    pool = null;
    calls.wasm++;
    for (let chunk = 0; chunk < count; chunk++) {
      kernelArgs[10] = chunk;
      fn(...kernelArgs);
    }
  }
}

/**
 * Make {@link gemm} (and so every matmul of the `cpu` backend) use
 * {@link wasmGemm}. Returns the implementation it replaces, so the change can
 * be undone with {@link setGemmImpl}.
 *
 * @returns The gemm implementation installed before.
 * @throws ArgumentError - not itself: the gemm it installs throws, as {@link
 *   wasmGemm} does, when a call's sizes or offsets are not non-negative integers.
 * @throws DTypeError - likewise, when a call's three arrays are not of one type.
 * @throws ShapeError - likewise, when an array is too short for its matrix.
 *
 * @example
 * ```ts
 * import { installFastGemm, setGemmImpl, gemm } from '@mnemo/core';
 * const previous = installFastGemm();
 * const out = new Float32Array(1);
 * gemm({ a: new Float32Array([2]), b: new Float32Array([4]), out, m: 1, k: 1, n: 1, transA: false, transB: false });
 * console.assert(out[0] === 8);
 * setGemmImpl(previous);
 * ```
 * @category Internals
 */
export function installFastGemm(): (args: GemmArgs) => void {
  return setGemmImpl((args) => wasmGemm(args));
}

// ---------------------------------------------------------------------------
// Resident blocks: memory that outlives one call (a compiled sequence's
// residuals between its forward and backward pass). Every call's scratch starts above
// the highest live block. A block is released by the backward pass that used
// it, by an explicit release, when its owner is garbage collected, or, oldest
// first, when keeping it would exceed the cap; a backward pass whose block is
// gone recomputes the forward pass from the inputs it kept (immutable data).
// ---------------------------------------------------------------------------

/** What holds a resident block: `at` is its byte offset while resident, null once released. */
interface BlockHandle {
  at: number | null;
}

/** Live resident blocks, oldest first: start byte -> end byte and the handle that holds it. */
const blocks = new Map<number, { end: number; handle: BlockHandle }>();
let blocksTop = 64;
let residentBytes = 0;
/** Older resident blocks are released (oldest first) rather than let the total pass this. */
let residentCap = 256 * 1024 * 1024;

/**
 * Cap the bytes of the gemm's memory that compiled sequences (`scan`) keep resident
 * between forward and backward passes (default 256 MiB). Past it, the oldest
 * forward passes' residuals are released; their backward passes (if they
 * ever run) recompute the forward pass first. With `0`, only the latest
 * forward pass keeps its residuals. Returns the previous cap.
 *
 * @param bytes - The cap, in bytes (a non-negative number; 0 keeps only the latest
 *   forward pass).
 * @returns The previous cap, in bytes.
 * @throws ArgumentError - when `bytes` is negative, NaN or infinite.
 *
 * @example
 * ```ts
 * import { setResidentLimit } from '@mnemo/core';
 * const previous = setResidentLimit(0); // keep only the latest forward pass's residuals
 * console.assert(setResidentLimit(previous) === 0);
 * ```
 * @category Fused kernels
 */
export function setResidentLimit(bytes: number): number {
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new ArgumentError('setResidentLimit', 'bytes', `expected a non-negative number, got ${formatValue(bytes)}`);
  const prev = residentCap;
  residentCap = bytes;
  return prev;
}

function releaseHandle(h: BlockHandle): void {
  if (h.at === null) return;
  const b = blocks.get(h.at);
  if (b !== undefined && b.handle === h) {
    blocks.delete(h.at);
    residentBytes -= b.end - h.at;
    blocksTop = 64;
    for (const x of blocks.values()) blocksTop = Math.max(blocksTop, x.end);
  }
  h.at = null;
}
const residents = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<BlockHandle>(releaseHandle) : null;

/** Where a call's scratch may start: above every live resident block. */
function scratchBase(): number {
  return align(blocksTop);
}

/**
 * A resident block of `bytes` (first fit) for `handle`, after releasing the
 * oldest blocks that would pass the cap; released when `owner` is garbage
 * collected (a recomputation passes none: its backward pass releases it).
 */
function residentBlock(bytes: number, handle: BlockHandle, owner: object | null): number {
  for (const { handle: old } of blocks.values()) {
    if (residentBytes + bytes <= residentCap) break;
    releaseHandle(old);
  }
  const sorted = [...blocks].sort((x, y) => x[0] - y[0]);
  let at = 64;
  for (const [start, { end }] of sorted) {
    if (start - at >= bytes) break;
    at = align(end);
  }
  blocks.set(at, { end: at + bytes, handle });
  residentBytes += bytes;
  blocksTop = Math.max(blocksTop, at + bytes);
  handle.at = at;
  if (owner !== null) residents?.register(owner, handle);
  return at;
}

/**
 * Bytes of the gemm's memory held by live resident blocks (compiled sequences'
 * residuals awaiting a backward pass or garbage collection), and their number.
 *
 * @returns `bytes`: the bytes held; `blocks`: how many forward passes hold them.
 *
 * @example
 * ```ts
 * import { residentMemory } from '@mnemo/core';
 * const r = residentMemory();
 * console.assert(r.bytes >= 0 && r.blocks >= 0);
 * ```
 * @category Fused kernels
 */
export function residentMemory(): { readonly bytes: number; readonly blocks: number } {
  return { bytes: residentBytes, blocks: blocks.size };
}

// ---------------------------------------------------------------------------
// For the sequence compiler's runtime (sequence-wasm.ts): the memory, the
// resident blocks and the product planner of this module.
// ---------------------------------------------------------------------------

/** @internal */
export const gemmRuntime = {
  kernel: (): Kernel | null => load(),
  reserveBytes: (bytes: number): Kernel => reserveBytes(load()!, bytes),
  scratchBase,
  residentBlock,
  releaseHandle,
  planProduct,
  runPlanned: (plan: ProductPlan, aAt: number, bAt: number, cAt: number, ldc: number, transA: boolean, transB: boolean, scratchAt: number): void =>
    runPlanned(load()!, plan, aAt, bAt, cAt, ldc, transA, transB, scratchAt),
  readyHelpers: (wanted: number): number => readyHelpers(load()!, wanted),
  runChunks,
  maxThreads: (): number => maxThreads,
  pool: (): GemmPool | null => (load() ? helpers(load()!) : null),
  blocking: BLOCKING,
  /** This process's register tiles (they depend on the runtime: see `runtimeGemmKernels`). */
  get tiles(): { readonly f32: TileShape; readonly f64: TileShape } {
    return tiles();
  },
  maxBytes: MAX_PAGES * PAGE,
} as const;

/** @internal The planner's plan of a product. */
export type { ProductPlan, BlockHandle };
