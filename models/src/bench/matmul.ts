/**
 * The matmul benchmark: GFLOP/s of every gemm path mnemo has, at the LSTM's
 * gate product ([128x256]x[256x512]) and at 512^3, float32 and float64, in all
 * four transpose layouts, against a plain triple loop measured in the same
 * run (the host is shared: compare ratios within one run).
 *
 * @module
 */
import { gemmInfo, gemmReference, startGemmThreads, wasmGemm, type GemmArgs } from '@mnemo/core';

/**
 * One measurement of {@link runMatmulBench}.
 *
 * @example
 * ```ts
 * import type { MatmulBenchRow } from '@mnemo/models';
 * const row: MatmulBenchRow = { shape: '[2x2]x[2x2]', dtype: 'float32', layout: 'NN', kernel: 'plain loop', gflops: 1, ms: 0.01, gflopsPerCpu: 1, vsPlain: 1, maxAbsDiff: 0 };
 * console.assert(row.vsPlain === 1);
 * ```
 * @category Benchmarks
 */
export interface MatmulBenchRow {
  /** `[m x k] x [k x n]`. */
  readonly shape: string;
  readonly dtype: 'float32' | 'float64';
  /** `N` or `T` for A then B: `NT` multiplies A by B stored transposed. */
  readonly layout: 'NN' | 'TN' | 'NT' | 'TT';
  /** `plain loop`, `gemmReference`, `wasm 1 thread` or `wasm N threads`. */
  readonly kernel: string;
  /** 2·m·n·k / best time. */
  readonly gflops: number;
  /** Best time of one product, in milliseconds. */
  readonly ms: number;
  /**
   * 2·m·n·k / the process's CPU time (all threads) for that best run: on a
   * shared host, where wall time includes waiting for a core, this shows what
   * one core does; for threaded kernels it also counts the helpers' time.
   * The kernel accounts CPU time in scheduler ticks, so it is coarse for runs
   * under a few milliseconds.
   */
  readonly gflopsPerCpu: number;
  /** GFLOP/s relative to the plain loop of the same shape, dtype and layout. */
  readonly vsPlain: number;
  /** Largest absolute difference from gemmReference's result. */
  readonly maxAbsDiff: number;
}

/**
 * Options of {@link runMatmulBench}.
 *
 * @example
 * ```ts
 * import type { MatmulBenchOptions } from '@mnemo/models';
 * const quick: MatmulBenchOptions = { shapes: [[16, 16, 16]], minMs: 1 };
 * console.assert(quick.shapes?.length === 1);
 * ```
 * @category Benchmarks
 */
export interface MatmulBenchOptions {
  /** `[m, k, n]` triples (default: `[128, 256, 512]` and `[512, 512, 512]`). */
  readonly shapes?: readonly (readonly [number, number, number])[];
  /** Time each kernel for at least this long (default 250 ms; at least 3 runs, 1 for the slow loops at large sizes). */
  readonly minMs?: number;
  /** Called after each row, for progress output. */
  readonly onRow?: (row: MatmulBenchRow) => void;
}

type Layout = MatmulBenchRow['layout'];
const LAYOUTS: readonly Layout[] = ['NN', 'TN', 'NT', 'TT'];

/** The textbook triple loop (dot product per output element), any layout. */
function plainLoop({ a, b, out, m, k, n, transA, transB }: GemmArgs): void {
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * aRow + p * aCol]! * b[p * bRow + j * bCol]!;
      out[i * n + j] = s;
    }
  }
}

/** Best wall time of `f` in milliseconds after a warm-up run, and the CPU time of the process during that run. */
function bestMs(f: () => void, minMs: number, minRuns: number): { wall: number; cpu: number } {
  f();
  let best = { wall: Infinity, cpu: Infinity };
  const start = performance.now();
  for (let runs = 0; runs < minRuns || performance.now() - start < minMs; runs++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (wall < best.wall) best = { wall, cpu: (c.user + c.system) / 1000 };
  }
  return best;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

/**
 * Measure every gemm path (plain loop, `gemmReference`, the WebAssembly SIMD
 * kernel on one thread, and on all the threads `MNEMO_THREADS` allows) for
 * each shape, dtype and layout. Starts the helper threads first.
 *
 * @example
 * ```ts
 * import { runMatmulBench } from '@mnemo/models';
 * const rows = await runMatmulBench({ shapes: [[8, 8, 8]], minMs: 1 });
 * console.assert(rows.length >= 2 * 4 * 3 && rows.every((r) => r.maxAbsDiff < 1e-5));
 * ```
 * @category Benchmarks
 */
export async function runMatmulBench(options: MatmulBenchOptions = {}): Promise<MatmulBenchRow[]> {
  const info = await startGemmThreads();
  const shapes = options.shapes ?? [
    [128, 256, 512],
    [512, 512, 512],
  ];
  const minMs = options.minMs ?? 250;
  const rows: MatmulBenchRow[] = [];
  for (const [m, k, n] of shapes) {
    for (const dtype of ['float32', 'float64'] as const) {
      const alloc = (length: number): Float32Array | Float64Array => (dtype === 'float32' ? new Float32Array(length) : new Float64Array(length));
      // Deterministic values in [-1, 1).
      const a = alloc(m * k);
      const b = alloc(k * n);
      for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 12.9898) * 0.999;
      for (let i = 0; i < b.length; i++) b[i] = Math.cos(i * 78.233) * 0.999;
      for (const layout of LAYOUTS) {
        const base = { a, b, m, k, n, transA: layout[0] === 'T', transB: layout[1] === 'T' };
        const expected = alloc(m * n);
        gemmReference({ ...base, out: expected });
        const slow = m * n * k > 1e7;
        const kernels: [string, (args: GemmArgs) => void, number][] = [
          ['plain loop', plainLoop, slow ? 1 : 3],
          ['gemmReference', gemmReference, slow ? 1 : 3],
          ['wasm 1 thread', (args) => wasmGemm(args, { threads: 1, jsBelow: 0 }), 5],
        ];
        if (info.threads > 1) kernels.push([`wasm ${info.threads} threads`, (args) => wasmGemm(args, { jsBelow: 0 }), 5]);
        let plainGflops = NaN;
        for (const [kernel, f, minRuns] of kernels) {
          const out = alloc(m * n);
          const { wall: ms, cpu } = bestMs(() => f({ ...base, out }), minMs, minRuns);
          const gflops = (2 * m * n * k) / ms / 1e6;
          if (kernel === 'plain loop') plainGflops = gflops;
          const row: MatmulBenchRow = {
            shape: `[${m}x${k}]x[${k}x${n}]`,
            dtype,
            layout,
            kernel,
            gflops,
            ms,
            gflopsPerCpu: (2 * m * n * k) / Math.max(cpu, 1e-3) / 1e6,
            vsPlain: gflops / plainGflops,
            maxAbsDiff: maxAbsDiff(out, expected),
          };
          rows.push(row);
          options.onRow?.(row);
        }
      }
    }
  }
  if (info.threads > 1 && gemmInfo().threads < info.threads) {
    throw new Error(`matmul bench: helper threads stopped during the run (${gemmInfo().notes.join('; ')})`);
  }
  return rows;
}

/**
 * Format benchmark rows as a Markdown table (one line per row, GFLOP/s to
 * one decimal, ratios to the plain loop, differences from the reference).
 *
 * @example
 * ```ts
 * import { formatTable } from '@mnemo/models';
 * const table = formatTable([{ shape: '[2x2]x[2x2]', dtype: 'float64', layout: 'TN', kernel: 'plain loop', gflops: 0.5, ms: 0.01, gflopsPerCpu: 0.5, vsPlain: 1, maxAbsDiff: 0 }]);
 * console.assert(table.includes('| [2x2]x[2x2] | float64 | TN | plain loop | 0.5 | 0.01 | 0.5 | 1.0 |'));
 * ```
 * @category Benchmarks
 */
export function formatTable(rows: readonly MatmulBenchRow[]): string {
  const lines = [
    '| shape | dtype | layout | kernel | GFLOP/s | ms | GFLOP per CPU-s | x plain loop | max abs diff vs reference |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.shape} | ${r.dtype} | ${r.layout} | ${r.kernel} | ${r.gflops.toFixed(1)} | ${r.ms.toFixed(2)} | ${r.gflopsPerCpu.toFixed(1)} | ${r.vsPlain.toFixed(1)} | ${r.maxAbsDiff.toExponential(1)} |`,
    );
  }
  return lines.join('\n');
}
