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
 * that it turns into 256-bit AVX2 code; where relaxed SIMD validates (Node 22
 * on), float32 fused multiply-adds. float64 always multiplies then adds in
 * the reference's order: bit-identical to `gemmReference` on every path.
 *
 * Threads: `MNEMO_THREADS` (an environment variable read once, on first use)
 * caps the number of threads, the calling one included; `1` disables helper
 * threads. By default mnemo uses up to 4, and no more than the machine's
 * cores. `MNEMO_WASM_FEATURES` (see `features.ts`) turns runtime features
 * off: `no-relaxed-simd`, `no-revectorize`, or `no-simd` for the JavaScript
 * reference.
 *
 * @module
 */
import type * as WorkerThreads from 'node:worker_threads';
import type { TypedArray } from '../dtype.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { gemmReference, setGemmImpl, type GemmArgs } from './gemm.js';
import { GemmPool, MAX_CHUNKS, type PoolKernel } from './gemm-threads.js';
import { wasmApi, type WasmMemory, type WasmModule } from './wasm-emit.js';
import { wasmFeatureNotes, wasmFeatures } from './features.js';
import { LSTM_KERNEL, buildGemmModule, describeKernel, gemmKernels, type MicroKernel, type TileShape } from './wasm-gemm-module.js';

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
 * @category Backends
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
 * What {@link wasmGemm} is running on: see {@link gemmInfo}.
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
  /** Whether the float32 micro-kernel fuses its multiply-adds (relaxed SIMD's `f32x4.relaxed_madd` validated here). */
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
  /** The fused LSTM's own float32 gemm (LSTM_KERNEL) and its prepacker. */
  readonly lstmGemm: (...args: number[]) => void;
  readonly prepackLstm: (...args: number[]) => void;
  readonly lstmFwd: (...args: number[]) => void;
  readonly lstmBwd: (...args: number[]) => void;
  readonly rowAdd: (...args: number[]) => void;
  readonly colSum: (...args: number[]) => void;
  view32: Float32Array;
  view64: Float64Array;
  readonly shared: boolean;
}

let kernel: Kernel | null | undefined; // undefined: not tried yet; null: unavailable
/** The micro-kernels of this process's module (fixed when it compiles). */
let micro: { readonly f32: MicroKernel; readonly f64: MicroKernel } | undefined;
let pool: GemmPool | null | undefined;
let maxThreads = 1;
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

function envThreads(): number {
  const wt = nodeModule<typeof WorkerThreads>('node:worker_threads');
  const os = nodeModule<typeof import('node:os')>('node:os');
  if (!wt || !os) {
    notes.push('no node:worker_threads here: one thread');
    return 1;
  }
  const cores = Math.max(1, os.availableParallelism());
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
    micro = gemmKernels(features);
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
    const module = new wasm.Module(buildGemmModule({ initial: 16, maximum: MAX_PAGES, shared }, micro));
    const ex = new wasm.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
    kernel = {
      module,
      memory,
      f32: ex['gemm_f32']!,
      f64: ex['gemm_f64']!,
      prepack32: ex['prepack_f32']!,
      prepack64: ex['prepack_f64']!,
      lstmGemm: ex['gemm_f32_lstm']!,
      prepackLstm: ex['prepack_f32_lstm']!,
      lstmFwd: ex['lstm_fwd_f32']!,
      lstmBwd: ex['lstm_bwd_f32']!,
      rowAdd: ex['rowadd_f32']!,
      colSum: ex['colsum_f32']!,
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
  if (maxThreads <= 1) return pool;
  const wt = nodeModule<typeof WorkerThreads>('node:worker_threads');
  if (!wt) return pool;
  try {
    pool = new GemmPool(wt, k.module, k.memory, maxThreads - 1);
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
  const used = k && micro ? micro : null;
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
    thresholds: { jsBelow: DEFAULT_JS_BELOW, threadsFrom: DEFAULT_THREADS_FROM },
    tiles: used ? { float32: tile(used.f32.tile, 4), float64: tile(used.f64.tile, 2) } : { float32: 'none', float64: 'none' },
    notes: [...wasmFeatureNotes(), ...notes, ...extra],
    calls: { ...calls, helperChunks: pool?.helperChunks() ?? retiredChunks },
  };
}

/**
 * Start the helper threads now (they otherwise start on the first large
 * product) and resolve once they are ready, with {@link gemmInfo}'s report.
 * Products never wait for threads: until they are ready, work runs on the
 * calling thread alone. Benchmarks and tests call this first.
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

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;
const align = (bytes: number): number => roundUp(bytes, 64);

/**
 * Multiply two matrices held in raw buffers (see {@link GemmArgs}) with the
 * WebAssembly SIMD kernel, using helper threads for large products. Results
 * equal {@link gemmReference}'s up to rounding: float64 sums run in the same
 * order with a separate multiply and add (bit-identical for finite inputs, on
 * every runtime), float32 sums accumulate in float32, with a fused
 * multiply-add where relaxed SIMD validates (each element within
 * `(k + 1)·2⁻²⁴·Σ|a·b|` of the exact sum either way; see {@link gemmInfo}
 * for the kernel in use). Inputs are not modified. Throws a {@link ShapeError},
 * {@link DTypeError} or {@link ArgumentError} naming `gemm` and the argument
 * when the arguments do not describe a product.
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
 * @category Backends
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
  const set: KernelSet = f32 ? 'f32' : 'f64';
  const { mr, nr } = tileOf(set);
  const ldc = roundUp(n, nr);
  const plan = planProduct(set, m, n, k, options);
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

/**
 * Which of the module's gemm drivers runs a product: the gemm's own float32
 * or float64 one, or the fused LSTM's float32 one (whose tile stays fixed).
 */
type KernelSet = 'f32' | 'f64' | 'lstm';

/** The register tile of a kernel set, in elements: rows `mr`, columns `nr`. */
function tileOf(set: KernelSet): { mr: number; nr: number } {
  const t: TileShape = set === 'lstm' ? LSTM_KERNEL.tile : (micro ?? gemmKernels({ relaxedSimd: false, revectorize: false }))[set].tile;
  return { mr: t.mr, nr: t.nrv * (set === 'f64' ? 2 : 4) };
}

/** How a product is cut into chunks and threads, and the scratch it needs past its operands. */
interface ProductPlan {
  readonly set: KernelSet;
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

function planProduct(set: KernelSet, m: number, n: number, k: number, options?: WasmGemmOptions): ProductPlan {
  const f32 = set !== 'f64';
  const es = f32 ? 4 : 8;
  const { mr, nr } = tileOf(set);
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
  return { set, f32, m, n, k, helperCount, byRows, band, count, threaded, prepacked, scratchBytes, sharedBytes, packA, packB };
}

/**
 * Run a planned product on operands already in the kernel's memory (byte
 * addresses; C is written with row stride `ldc` elements, padded to whole
 * tiles), with the plan's scratch at `scratchAt`.
 */
function runPlanned(K: Kernel, plan: ProductPlan, aAt: number, bAt: number, cAt: number, ldc: number, transA: boolean, transB: boolean, scratchAt: number): void {
  const { set, f32, m, n, k, byRows, band, count, threaded, prepacked, helperCount, packA, packB } = plan;
  const { kc, mc, nc } = BLOCKING[f32 ? 'f32' : 'f64'];
  const sharedAt = scratchAt;
  const packAt = scratchAt + plan.sharedBytes;
  // gemm_T(a, b, c, m, n, k, transA, transB, split, band, chunk, ldc, packBase, packStride, packABytes, slot, kcMax, mcMax, ncMax, prepacked, packedAt)
  const kernelArgs = [aAt, bAt, cAt, m, n, k, transA ? 1 : 0, transB ? 1 : 0, byRows ? 1 : 0, band, 0, ldc, packAt, packA + packB, packA, 0, kc, mc, nc, prepacked, sharedAt];
  const [fn, pre, which] = set === 'f32' ? [K.f32, K.prepack32, 0 as const] : set === 'f64' ? [K.f64, K.prepack64, 1 as const] : [K.lstmGemm, K.prepackLstm, 4 as const];
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
function runChunks(which: PoolKernel, kernelArgs: number[], count: number, helperCount: number, fn: (...args: number[]) => void): void {
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
 * @example
 * ```ts
 * import { installFastGemm, setGemmImpl, gemm } from '@mnemo/core';
 * const previous = installFastGemm();
 * const out = new Float32Array(1);
 * gemm({ a: new Float32Array([2]), b: new Float32Array([4]), out, m: 1, k: 1, n: 1, transA: false, transB: false });
 * console.assert(out[0] === 8);
 * setGemmImpl(previous);
 * ```
 * @category Backends
 */
export function installFastGemm(): (args: GemmArgs) => void {
  return setGemmImpl((args) => wasmGemm(args));
}

// ---------------------------------------------------------------------------
// Resident blocks: memory that outlives one call (the fused LSTM's residuals
// between its forward and backward pass). Every call's scratch starts above
// the highest live block. A block is released by the backward pass that used
// it, by an explicit release, when its owner is garbage collected, or, oldest
// first, when keeping it would exceed the cap; a backward pass whose block is
// gone recomputes the forward pass from the inputs it kept (immutable data).
// ---------------------------------------------------------------------------

/** Live resident blocks, oldest first: start byte -> end byte and the handle that holds it. */
const blocks = new Map<number, { end: number; handle: ResidualHandle }>();
let blocksTop = 64;
let residentBytes = 0;
/** Older resident blocks are released (oldest first) rather than let the total pass this. */
let residentCap = 256 * 1024 * 1024;

/**
 * Cap the bytes of the gemm's memory that the fused LSTM keeps resident
 * between forward and backward passes (default 256 MiB). Past it, the oldest
 * forward passes' residuals are released; their backward passes (if they
 * ever run) recompute the forward pass first. With `0`, only the latest
 * forward pass keeps its residuals. Returns the previous cap.
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
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new ArgumentError('setResidentLimit', 'bytes', `expected a non-negative number, got ${String(bytes)}`);
  const prev = residentCap;
  residentCap = bytes;
  return prev;
}

/** Where one forward pass's residuals are, and what it needs to recompute them. */
interface ResidualHandle {
  /** Byte offset of the block while resident; null once released. */
  at: number | null;
  readonly input: LstmInput;
  readonly wh: Float32Array;
  readonly h0: Float32Array;
  readonly c0: Float32Array;
}

function releaseHandle(h: ResidualHandle): void {
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
const residents = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<ResidualHandle>(releaseHandle) : null;

/** Where a call's scratch may start: above every live resident block. */
function scratchBase(): number {
  return align(blocksTop);
}

/**
 * A resident block of `bytes` (first fit) for `handle`, after releasing the
 * oldest blocks that would pass the cap; released when `owner` is garbage
 * collected (a recomputation passes none: its backward pass releases it).
 */
function residentBlock(bytes: number, handle: ResidualHandle, owner: object | null): number {
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
 * Bytes of the gemm's memory held by live resident blocks (the fused LSTM's
 * residuals awaiting a backward pass or garbage collection), and their number.
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
// The fused LSTM's whole sequence, in the gemm's memory
// ---------------------------------------------------------------------------

/**
 * The forward pass of {@link LstmSequenceKernel}: the outputs, and where the
 * residuals its backward pass reads are kept.
 *
 * @example
 * ```ts
 * import type { LstmKernelForward } from '@mnemo/core';
 * const shapes = (r: LstmKernelForward): number => r.hs.length + r.hT.length;
 * console.assert(typeof shapes === 'function');
 * ```
 * @category Fused kernels
 */
export interface LstmKernelForward {
  /** Every step's hidden state, batch-major `[B, T, H]`. */
  readonly hs: Float32Array;
  /** The final hidden and cell states, `[B, H]`. */
  readonly hT: Float32Array;
  readonly cT: Float32Array;
  /** The shape it was computed for; `inputs` is 0 when the forward pass took `gx`, else the input width D. */
  readonly batch: number;
  readonly steps: number;
  readonly hidden: number;
  readonly inputs: number;
  /** With a dense layer before the LSTM (`forwardPreProjected`), the raw input width D0; else 0. */
  readonly rawInputs: number;
  /**
   * Where the residuals of the backward pass are (gate activations, tanh(c),
   * c and h of every step, and the inputs when projected): `at` is their
   * byte offset in the gemm's memory while they are resident, `null` once
   * released (by a backward pass, {@link LstmSequenceKernel.release}, the
   * resident cap, or garbage collection); a backward pass then recomputes
   * them from the inputs.
   */
  readonly residuals: { readonly at: number | null };
}

/**
 * The gradients from {@link LstmSequenceKernel.backward}; `dx`, `dWx` and
 * `db` when the forward pass projected the inputs itself, else `dgx`.
 *
 * @example
 * ```ts
 * import type { LstmKernelBackward } from '@mnemo/core';
 * const total = (g: LstmKernelBackward): number => g.dWh.length + g.dh0.length;
 * console.assert(typeof total === 'function');
 * ```
 * @category Fused kernels
 */
export interface LstmKernelBackward {
  /** Gradient of the input contributions `gx`, `[B, T, 4H]` (forward from `gx`). */
  readonly dgx?: Float32Array;
  /** Gradients of the inputs `[B, T, D]` (`[B, T, D0]` with a dense layer before), input weights `[D, 4H]` and bias `[4H]` (forward from `x`). */
  readonly dx?: Float32Array;
  readonly dWx?: Float32Array;
  readonly db?: Float32Array;
  /** Gradients of the dense layer's weights `[D0, D]` and bias `[D]` (`forwardPreProjected`). */
  readonly dWp?: Float32Array;
  readonly dbp?: Float32Array;
  /** Gradient of the recurrent weights, `[H, 4H]`. */
  readonly dWh: Float32Array;
  /** Gradients of the initial hidden and cell states, `[B, H]`. */
  readonly dh0: Float32Array;
  readonly dc0: Float32Array;
}

/**
 * The tutorial LSTM's whole sequence (gate order i, f, g, o; no peepholes) in
 * float32 WebAssembly SIMD, with every array in the gemm's own memory: the
 * recurrent product of each step reads `W_h` packed once for the whole
 * sequence, and nothing is copied between steps. The batch is cut into bands
 * of rows that the calling thread and the gemm's helper threads each carry
 * through all the steps (rows of a batch never interact), so the threads meet
 * once per sequence, not once per step. `forwardProjected` also computes the
 * input contributions `x W_x + b` of all steps in place (one threaded product),
 * and its backward pass the gradients of `x`, `W_x` and `b`, so no array of
 * the sequence's gate width leaves the kernel. The input arrays are not
 * modified; the results are fresh arrays.
 *
 * @example
 * ```ts
 * import { lstmSequenceKernel } from '@mnemo/core';
 * const k = lstmSequenceKernel();
 * if (k && k.supports(4, 8)) {
 *   const [B, T, H] = [4, 3, 8];
 *   const f = k.forward(new Float32Array(B * T * 4 * H).fill(0.5), new Float32Array(H * 4 * H), new Float32Array(B * H), new Float32Array(B * H), B, T, H);
 *   const g = k.backward(f, new Float32Array(H * 4 * H), new Float32Array(B * T * H), new Float32Array(B * H).fill(1), new Float32Array(B * H));
 *   console.assert(f.hT.length === B * H && g.dWh.length === H * 4 * H && g.dgx!.length === B * T * 4 * H);
 * }
 * ```
 * @category Fused kernels
 */
export interface LstmSequenceKernel {
  /** Whether this kernel takes a batch of `batch` rows and `hidden` units (a multiple of the gemm tile's rows and columns). */
  supports(batch: number, hidden: number): boolean;
  /**
   * Whether a sequence of this size (`inputs` 0 for a forward pass from `gx`;
   * `rawInputs` the width before a dense layer, if any) fits the kernel's
   * memory (1 GiB, shared with other resident passes); callers run something
   * else when it does not.
   */
  fits(batch: number, steps: number, inputs: number, hidden: number, rawInputs?: number): boolean;
  /** The forward pass over `gx` `[B, T, 4H]` (each step's `x_t W_x + b`), `wh` `[H, 4H]`, `h0`, `c0` `[B, H]`. */
  forward(gx: Float32Array, wh: Float32Array, h0: Float32Array, c0: Float32Array, batch: number, steps: number, hidden: number): LstmKernelForward;
  /** The forward pass over inputs `x` `[B, T, D]` with `wx` `[D, 4H]` and `b` `[4H]`: `gx = x W_x + b` is computed inside. */
  forwardProjected(
    x: Float32Array,
    wx: Float32Array,
    b: Float32Array,
    wh: Float32Array,
    h0: Float32Array,
    c0: Float32Array,
    batch: number,
    steps: number,
    inputs: number,
    hidden: number,
  ): LstmKernelForward;
  /**
   * The forward pass of a dense layer and the LSTM over raw inputs `x`
   * `[B, T, D0]`: the LSTM's input is `x W_p + b_p` (`wp` `[D0, D]`, `bp` `[D]`,
   * D a multiple of 8), computed inside like the rest. Its backward pass
   * gives `dx` for the raw inputs and `dWp`, `dbp` without forming the
   * `[B, T, D]` gradient between the layers: `dW_p = (x0ᵀ dG) W_xᵀ` costs a
   * fraction of `dx = dG W_xᵀ` when D0 is small (28 for MNIST rows).
   */
  forwardPreProjected(
    x: Float32Array,
    wp: Float32Array,
    bp: Float32Array,
    wx: Float32Array,
    b: Float32Array,
    wh: Float32Array,
    h0: Float32Array,
    c0: Float32Array,
    batch: number,
    steps: number,
    rawInputs: number,
    inputs: number,
    hidden: number,
  ): LstmKernelForward;
  /**
   * Backpropagation through time from the outputs' cotangents `dHs` `[B, T, H]`,
   * `dhT` and `dcT` `[B, H]`; pass `wx` (the forward pass's) when it was
   * projected, and `wp` too when a dense layer came before. With
   * `inputGradient: false` (the inputs are data, not parameters), `dx` is
   * not computed (and left undefined). Releases the residuals afterwards: calling it again for the same forward
   * pass recomputes them first (same results).
   */
  backward(
    r: LstmKernelForward,
    wh: Float32Array,
    dHs: Float32Array,
    dhT: Float32Array,
    dcT: Float32Array,
    wx?: Float32Array,
    wp?: Float32Array,
    options?: { readonly inputGradient?: boolean },
  ): LstmKernelBackward;
  /** Release a forward pass's residuals now (a later backward pass recomputes them); for forward passes that will have no backward pass. */
  release(r: LstmKernelForward): void;
}

/** Byte offsets of consecutive float32 regions (64-byte aligned) from `start`; the last entry is the end. */
function layoutF32From(start: number, ...floats: number[]): number[] {
  const at = [start];
  for (const n of floats) at.push(align(at[at.length - 1]! + n * 4));
  return at;
}

/** Bands of batch rows for the LSTM loops: how many threads, the band height and count. */
function lstmBands(K: Kernel, batch: number): { helperCount: number; band: number; count: number } {
  const mr = LSTM_KERNEL.tile.mr;
  const helperCount = batch >= 2 * mr ? readyHelpers(K, maxThreads) : 0;
  // Two bands per thread: a thread whose core is taken leaves at most one band to the others' queue.
  const want = helperCount > 0 ? Math.min(batch / mr, 2 * (helperCount + 1)) : 1;
  const band = roundUp(Math.ceil(batch / want), mr);
  return { helperCount, band, count: Math.ceil(batch / band) };
}

function lstmPackBytes(band: number, k: number): number {
  const { kc, mc } = BLOCKING.f32;
  return align(roundUp(Math.min(mc, band), LSTM_KERNEL.tile.mr) * Math.min(kc, k) * 4);
}

/**
 * Float offsets, within the residual block, of acts [T, B, 4H], tcs [T, B, H],
 * cs and hsT [T+1, B, H], (projected) the inputs time-major [T, B, D], and
 * (with a dense layer before) the raw inputs [T, B, D0]; and its length.
 */
function residualLayout(B: number, T: number, H: number, D: number, D0 = 0): { acts: number; tcs: number; cs: number; hs: number; x: number; x0: number; floats: number } {
  const BH = B * H;
  const r = (n: number): number => roundUp(n, 16);
  const acts = 0;
  const tcs = acts + r(T * B * 4 * H);
  const cs = tcs + r(T * BH);
  const hs = cs + r((T + 1) * BH);
  const x = hs + r((T + 1) * BH);
  const x0 = x + r(T * B * D);
  return { acts, tcs, cs, hs, x, x0, floats: x0 + r(T * B * D0) };
}

/** Copy `src` [B, T, W] (batch-major) to `dst` at float offset `at` as [T, B, W] (time-major). */
function toTimeMajor(src: Float32Array, dst: Float32Array, at: number, B: number, T: number, W: number): void {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) dst.set(src.subarray((b * T + t) * W, (b * T + t + 1) * W), at + (t * B + b) * W);
}

/**
 * [B, T, W] (batch-major) from `src` at float offset `at`, time-major [T, B, W]
 * with rows `ld` floats apart (a product's C is padded to whole tiles), into
 * `out` (a fresh array unless given).
 */
function fromTimeMajor(src: Float32Array, at: number, B: number, T: number, W: number, ld = W, out = new Float32Array(B * T * W)): Float32Array {
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(src.subarray(at + (t * B + b) * ld, at + (t * B + b) * ld + W), (b * T + t) * W);
  return out;
}

interface LstmInput {
  readonly gx?: Float32Array;
  readonly x?: Float32Array;
  readonly wx?: Float32Array;
  readonly b?: Float32Array;
  readonly D: number;
  /** A dense layer before the LSTM: `x` is then `[B, T, D0]` and the layer's input is `x W_p + b_p`. */
  readonly wp?: Float32Array;
  readonly bp?: Float32Array;
  readonly D0: number;
}

/**
 * The forward pass into a new resident block. With `recompute` (the handle of
 * a forward pass whose block was released), only the residuals are computed
 * again, into a new block for that handle.
 */
function lstmForward(
  K: Kernel,
  input: LstmInput,
  wh: Float32Array,
  h0: Float32Array,
  c0: Float32Array,
  B: number,
  T: number,
  H: number,
  recompute?: ResidualHandle,
): LstmKernelForward {
  const G = 4 * H;
  const BH = B * H;
  const D = input.D;
  const D0 = input.D0;
  const { nr } = tileOf('lstm');
  const { kc, mc, nc } = BLOCKING.f32;
  const { helperCount, band, count } = lstmBands(K, B);
  const packA = lstmPackBytes(band, H);
  const lay = residualLayout(B, T, H, D, D0);
  const handle: ResidualHandle = recompute ?? { at: null, input, wh, h0, c0 };
  const result = {
    hs: new Float32Array(recompute ? 0 : B * T * H),
    hT: new Float32Array(recompute ? 0 : BH),
    cT: new Float32Array(recompute ? 0 : BH),
    batch: B,
    steps: T,
    hidden: H,
    inputs: D,
    rawInputs: D0,
    residuals: handle,
  };
  // The residuals go to a resident block, which the backward pass reads in place.
  const base = residentBlock(lay.floats * 4, handle, recompute ? null : result);
  // gx (time-major when projected here), W_h and its packed copy, W_x and b (projected), then scratch.
  const [gxAt, whAt, whpAt, wxAt, bAt, wpAt, bpAt, scratchAt] = layoutF32From(scratchBase(), B * T * G, H * G, roundUp(G, nr) * H, D * G, G, D0 * D, D) as [
    number, number, number, number, number, number, number, number,
  ];
  const plan = D > 0 ? planProduct('lstm', T * B, G, D) : null;
  const planPre = D0 > 0 ? planProduct('lstm', T * B, D, D0) : null;
  const v = reserveBytes(K, scratchAt + Math.max((1 + helperCount) * packA, plan?.scratchBytes ?? 0, planPre?.scratchBytes ?? 0)).view32;
  const hsAt = base + lay.hs * 4;
  const csAt = base + lay.cs * 4;
  let gxRow = T * G * 4;
  let gxStep = G * 4;
  if (D > 0) {
    if (D0 > 0) {
      // the dense layer first: x W_p + b_p, time-major, into the residual the LSTM's input projection reads
      toTimeMajor(input.x!, v, (base + lay.x0 * 4) / 4, B, T, D0);
      v.set(input.wp!, wpAt / 4);
      v.set(input.bp!, bpAt / 4);
      runPlanned(K, planPre!, base + lay.x0 * 4, wpAt, base + lay.x * 4, D, false, false, scratchAt);
      K.rowAdd(base + lay.x * 4, bpAt, T * B, D);
    } else toTimeMajor(input.x!, v, (base + lay.x * 4) / 4, B, T, D);
    // gx = x W_x + b for every step at once, time-major, in place
    v.set(input.wx!, wxAt / 4);
    v.set(input.b!, bAt / 4);
    runPlanned(K, plan!, base + lay.x * 4, wxAt, gxAt, G, false, false, scratchAt);
    K.rowAdd(gxAt, bAt, T * B, G);
    gxRow = G * 4;
    gxStep = B * G * 4;
  } else v.set(input.gx!, gxAt / 4);
  v.set(h0, hsAt / 4);
  v.set(c0, csAt / 4);
  v.set(wh, whAt / 4);
  K.prepackLstm(1, whAt, 0, G, H, kc, whpAt);
  const args = [hsAt, base + lay.acts * 4, gxAt, csAt, base + lay.tcs * 4, whpAt, B, T, H, band, 0, 0, scratchAt, packA, packA, 0, kc, mc, nc, gxRow, gxStep];
  runChunks(2, args, count, helperCount, K.lstmFwd);
  if (recompute) return result;
  const hsT = hsAt / 4;
  fromTimeMajor(v, hsT + BH, B, T, H, H, result.hs); // h_t for t = 0 .. T-1 (hsT starts at step -1)
  result.hT.set(v.subarray(hsT + T * BH, hsT + (T + 1) * BH));
  result.cT.set(v.subarray(csAt / 4 + T * BH, csAt / 4 + (T + 1) * BH));
  return result;
}

function lstmBackward(
  K: Kernel,
  r: LstmKernelForward,
  wh: Float32Array,
  dHs: Float32Array,
  dhT: Float32Array,
  dcT: Float32Array,
  wx: Float32Array | undefined,
  wp: Float32Array | undefined,
  inputGradient: boolean,
): LstmKernelBackward {
  const { batch: B, steps: T, hidden: H, inputs: D, rawInputs: D0 } = r;
  const G = 4 * H;
  const BH = B * H;
  const { mr, nr } = tileOf('lstm');
  const { kc, mc, nc } = BLOCKING.f32;
  const { helperCount, band, count } = lstmBands(K, B);
  const packA = lstmPackBytes(band, G);
  const lay = residualLayout(B, T, H, D, D0);
  // dW_h = h_{t-1}ᵀ dG over all steps: [H, T·B] x [T·B, 4H]; projected, also dW_x = xᵀ dG [D, T·B] x [T·B, 4H] and dx = dG W_xᵀ [T·B, 4H] x [4H, D].
  // With a dense layer before (x = x0 W_p + b_p), no dx: M = W_p W_x [D0, D] x [D, 4H], dx0 = dG Mᵀ [T·B, 4H] x [4H, D0],
  // x0ᵀ dG [D0, T·B] x [T·B, 4H], and dW_p = (x0ᵀ dG) W_xᵀ [D0, 4H] x [4H, D]: a fraction of dx's cost when D0 is small.
  const plans = [
    planProduct('lstm', H, G, T * B),
    ...(D > 0 ? [planProduct('lstm', D, G, T * B), D0 > 0 ? planProduct('lstm', D0, G, D) : planProduct('lstm', T * B, D, G)] : []),
    ...(D0 > 0 ? [planProduct('lstm', T * B, D0, G), planProduct('lstm', D0, G, T * B), planProduct('lstm', D0, D, G)] : []),
  ];
  // Residuals released since the forward pass (by an earlier backward pass, the cap or a release): compute them again.
  const handle = r.residuals as ResidualHandle;
  if (handle.at === null) lstmForward(K, handle.input, handle.wh, handle.h0, handle.c0, B, T, H, handle);
  const base = handle.at!;
  const dxWidth = D0 > 0 ? D0 : D;
  const [dHsAt, dhAt, dcAt, dGAt, whAt, whpAt, dWhAt, wxAt, dWxAt, dxAt, dbAt, wpAt, mAt, xdGAt, dWpAt, scratchAt] = layoutF32From(
    scratchBase(),
    B * T * H,
    BH,
    BH,
    T * B * G,
    H * G,
    roundUp(H, nr) * G,
    roundUp(H, mr) * roundUp(G, nr),
    D * G,
    roundUp(D, mr) * roundUp(G, nr),
    roundUp(T * B, mr) * roundUp(dxWidth, nr),
    D > 0 ? 2 * G : 0,
    D0 * D,
    roundUp(D0, mr) * roundUp(G, nr),
    roundUp(D0, mr) * roundUp(G, nr),
    roundUp(D0, mr) * roundUp(D, nr),
  ) as number[] as [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const v = reserveBytes(K, scratchAt + Math.max((1 + helperCount) * packA, ...plans.map((p) => p.scratchBytes))).view32;
  v.set(dHs, dHsAt / 4);
  v.set(dhT, dhAt / 4);
  v.set(dcT, dcAt / 4);
  v.set(wh, whAt / 4);
  K.prepackLstm(1, whAt, 1, H, G, kc, whpAt);
  const args = [base + lay.acts * 4, base + lay.tcs * 4, base + lay.cs * 4, dHsAt, dhAt, dcAt, dGAt, whpAt, B, T, 0, H, scratchAt, packA, packA, 0, kc, mc, nc, band, 0];
  runChunks(3, args, count, helperCount, K.lstmBwd);
  // h_{t-1} for t = 0 .. T-1 is the first T steps of the residual hsT
  runPlanned(K, plans[0]!, base + lay.hs * 4, dGAt, dWhAt, roundUp(G, nr), true, false, scratchAt);
  const grads = { dWh: v.slice(dWhAt / 4, dWhAt / 4 + H * G), dh0: v.slice(dhAt / 4, dhAt / 4 + BH), dc0: v.slice(dcAt / 4, dcAt / 4 + BH) };
  if (D === 0) {
    releaseHandle(handle);
    return { ...grads, dgx: fromTimeMajor(v, dGAt / 4, B, T, G) };
  }
  v.set(wx!, wxAt / 4);
  runPlanned(K, plans[1]!, base + lay.x * 4, dGAt, dWxAt, roundUp(G, nr), true, false, scratchAt);
  const ldx = roundUp(dxWidth, nr);
  if (D0 > 0) {
    v.set(wp!, wpAt / 4);
    if (inputGradient) {
      runPlanned(K, plans[2]!, wpAt, wxAt, mAt, roundUp(G, nr), false, false, scratchAt); // M = W_p W_x
      runPlanned(K, plans[3]!, dGAt, mAt, dxAt, ldx, false, true, scratchAt); // dx0 = dG Mᵀ
    }
    runPlanned(K, plans[4]!, base + lay.x0 * 4, dGAt, xdGAt, roundUp(G, nr), true, false, scratchAt); // x0ᵀ dG
    runPlanned(K, plans[5]!, xdGAt, wxAt, dWpAt, roundUp(D, nr), false, true, scratchAt); // dW_p = (x0ᵀ dG) W_xᵀ
  } else if (inputGradient) runPlanned(K, plans[2]!, dGAt, wxAt, dxAt, ldx, false, true, scratchAt);
  // db: column sums of dG over every step and row, accumulated in float64
  v.fill(0, dbAt / 4, dbAt / 4 + 2 * G);
  K.colSum(dGAt, dbAt, T * B, G);
  const db64 = new Float64Array(v.buffer, dbAt, G);
  const db = Float32Array.from(db64);
  const dx = inputGradient ? fromTimeMajor(v, dxAt / 4, B, T, dxWidth, ldx) : undefined;
  const dWx = v.slice(dWxAt / 4, dWxAt / 4 + D * G);
  if (D0 === 0) {
    releaseHandle(handle);
    return { ...grads, ...(dx === undefined ? {} : { dx }), dWx, db };
  }
  // db_p = W_x db (the column sums of dx = dG W_xᵀ), from db's float64 sums
  const dbp = new Float32Array(D);
  for (let j = 0; j < D; j++) {
    let acc = 0;
    for (let g = 0; g < G; g++) acc += wx![j * G + g]! * db64[g]!;
    dbp[j] = acc;
  }
  const dWp = fromTimeMajor(v, dWpAt / 4, 1, D0, D, roundUp(D, nr)); // D0 rows of a padded C
  releaseHandle(handle);
  return { ...grads, ...(dx === undefined ? {} : { dx }), dWx, db, dWp, dbp };
}

let lstmSeq: LstmSequenceKernel | null | undefined;

/**
 * The fused LSTM sequence kernel ({@link LstmSequenceKernel}), or `null`
 * where WebAssembly SIMD is unavailable. It runs on the gemm's memory and
 * helper threads (see {@link gemmInfo}).
 *
 * @example
 * ```ts
 * import { lstmSequenceKernel } from '@mnemo/core';
 * const k = lstmSequenceKernel();
 * console.assert(k === null || (k.supports(128, 128) && !k.supports(128, 3)));
 * ```
 * @category Fused kernels
 */
export function lstmSequenceKernel(): LstmSequenceKernel | null {
  if (lstmSeq !== undefined) return lstmSeq;
  const K = load();
  if (!K) return (lstmSeq = null);
  const { mr, nr } = tileOf('lstm');
  const check = (name: string, a: Float32Array | undefined, want: number): void => {
    if (!(a instanceof Float32Array)) throw new DTypeError('lstmSequenceKernel', name, 'expected a Float32Array');
    if (a.length !== want) throw new ShapeError('lstmSequenceKernel', name, `expected ${want} elements, got ${a.length}`);
  };
  const supports = (batch: number, hidden: number): boolean =>
    Number.isInteger(batch) && Number.isInteger(hidden) && batch > 0 && hidden > 0 && batch % mr === 0 && hidden % nr === 0;
  const need = (batch: number, steps: number, hidden: number): void => {
    if (!supports(batch, hidden)) throw new ArgumentError('lstmSequenceKernel', 'shape', `batch ${batch} (multiple of ${mr}) and hidden ${hidden} (multiple of ${nr}) are not supported; check supports() first`);
    if (!Number.isInteger(steps) || steps < 1) throw new ArgumentError('lstmSequenceKernel', 'steps', `expected a positive integer, got ${steps}`);
  };
  const state = (wh: Float32Array, h0: Float32Array, c0: Float32Array, B: number, H: number): void => {
    check('wh', wh, H * 4 * H);
    check('h0', h0, B * H);
    check('c0', c0, B * H);
  };
  const fits = (B: number, T: number, D: number, H: number, D0 = 0): boolean => {
    const G = 4 * H;
    // residuals, then the backward pass's dG, dHs, dx, gradients and scratch (the larger of the two passes), with room to spare
    const need = residualLayout(B, T, H, D, D0).floats * 4 + 4 * (B * T * (G + H + D + D0) + 3 * H * G + 2 * D * G + 3 * D0 * G) + (32 << 20);
    return need + Math.min(residentBytes, residentCap) <= MAX_PAGES * PAGE - (64 << 20);
  };
  lstmSeq = {
    supports,
    fits,
    forward(gx, wh, h0, c0, B, T, H) {
      need(B, T, H);
      check('gx', gx, B * T * 4 * H);
      state(wh, h0, c0, B, H);
      return lstmForward(K, { gx, D: 0, D0: 0 }, wh, h0, c0, B, T, H);
    },
    forwardProjected(x, wx, b, wh, h0, c0, B, T, D, H) {
      need(B, T, H);
      if (!Number.isInteger(D) || D < 1) throw new ArgumentError('lstmSequenceKernel', 'inputs', `expected a positive integer, got ${D}`);
      check('x', x, B * T * D);
      check('wx', wx, D * 4 * H);
      check('b', b, 4 * H);
      state(wh, h0, c0, B, H);
      return lstmForward(K, { x, wx, b, D, D0: 0 }, wh, h0, c0, B, T, H);
    },
    forwardPreProjected(x, wp, bp, wx, b, wh, h0, c0, B, T, D0, D, H) {
      need(B, T, H);
      for (const [name, v] of [['rawInputs', D0], ['inputs', D]] as const) {
        if (!Number.isInteger(v) || v < 1) throw new ArgumentError('lstmSequenceKernel', name, `expected a positive integer, got ${v}`);
      }
      if (D % nr !== 0) throw new ArgumentError('lstmSequenceKernel', 'inputs', `the dense layer's width ${D} must be a multiple of ${nr}`);
      check('x', x, B * T * D0);
      check('wp', wp, D0 * D);
      check('bp', bp, D);
      check('wx', wx, D * 4 * H);
      check('b', b, 4 * H);
      state(wh, h0, c0, B, H);
      return lstmForward(K, { x, wp, bp, wx, b, D, D0 }, wh, h0, c0, B, T, H);
    },
    backward(r, wh, dHs, dhT, dcT, wx, wp, options) {
      const { batch: B, steps: T, hidden: H, inputs: D, rawInputs: D0 } = r;
      need(B, T, H);
      check('wh', wh, H * 4 * H);
      check('dHs', dHs, B * T * H);
      check('dhT', dhT, B * H);
      check('dcT', dcT, B * H);
      if (D > 0) check('wx', wx, D * 4 * H);
      if (D0 > 0) check('wp', wp, D0 * D);
      return lstmBackward(K, r, wh, dHs, dhT, dcT, wx, wp, options?.inputGradient ?? true);
    },
    release(r) {
      releaseHandle(r.residuals as ResidualHandle);
    },
  };
  return lstmSeq;
}
