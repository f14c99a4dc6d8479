/**
 * `npm run bench [-- seed|matmul|sweep|memory ...] [options]`: the benchmark
 * suite. Prints Markdown tables and writes `bench-results/<section>.json`. Not
 * a test: nothing here asserts a speed. Every fast path is reported beside a
 * baseline measured in the same run, with its largest difference from it.
 *
 * Options (all optional; without them every section runs as it always has):
 * `--backends cpu,gpujs` and `--dtypes float32,float64` choose the seed
 * bench's rows, `--steps N` its timed steps per row; `--shapes
 * 128x256x512,512x512x512` the matmul bench's `m x k x n` shapes, `--min-ms
 * N` how long it times each kernel (default 250; on a busy host a longer
 * time gives the best run more chances); and
 * `--no-tape` leaves the cells bench's tape baseline out; `--gpujs-only` skips the CPU kernels' table of the matmul bench, keeping
 * only the `gpujs` rows beside the `cpu` backend's (for a GPU machine).
 *
 * The header names the runtime and the gemm's path: the Node version,
 * whether relaxed SIMD and V8's revectorizer are in use, and the
 * micro-kernels. To measure a path without a feature on the same runtime,
 * run with `MNEMO_WASM_FEATURES=no-revectorize` (and `fma` for the fused
 * float32 kernel where relaxed SIMD validates); to measure another runtime, run `node models/dist/bench/index.js`
 * with that runtime's `node` after `npm run build`.
 *
 * @module
 * @internal
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { cpu, gemmInfo, gpujs, gpujsInfo, tensor, uniform, key, withBackend, type DType } from '@mnemo/core';
import { formatTable, runMatmulBench, type MatmulBenchRow } from './matmul.js';
import { formatMemoryTable, runMemoryBench } from './memory.js';
import { formatSeedTable, runSeedBench } from './seed.js';
import { loadCellModule } from '../tasks/common/cell-modules.js';
import { formatCellsTable, runCellsBench } from './cells.js';
import { formatSweepTable, runLstmSweep } from './sweep.js';
import { maxAbsDifference, timeRuns } from './timing.js';

const SECTIONS = ['seed', 'cells', 'matmul', 'sweep', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

/** The runtime and the gemm path, as the header of every table and result file states them. */
function runtime(): { node: string; relaxedSimd: boolean; revectorize: boolean; microKernels: { float32: string; float64: string }; maxThreads: number } {
  const g = gemmInfo();
  return { node: g.node, relaxedSimd: g.relaxedSimd, revectorize: g.revectorize, microKernels: g.microKernels, maxThreads: g.maxThreads };
}

function write(section: string, value: unknown): void {
  const dir = 'bench-results';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${section}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runtime: runtime(), ...(value as object) }, null, 2)}\n`);
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

type Shape = readonly [number, number, number];
const DEFAULT_SHAPES: readonly Shape[] = [
  [128, 256, 512],
  [512, 512, 512],
];

/**
 * gpu.js matmul through the `gpujs` backend beside the `cpu` backend's matmul
 * (its installed gemm), float32, NN, timed in the same run; and against the
 * plain loop rows of the same run where there are some.
 */
function gpujsMatmulRows(plain: readonly MatmulBenchRow[], shapes: readonly Shape[]): string[] {
  const lines: string[] = [];
  const mode = gpujsInfo().mode;
  for (const [m, k, n] of shapes) {
    const a = uniform(key(1), [m, k], { low: -1, high: 1 });
    const b = uniform(key(2), [k, n], { low: -1, high: 1 });
    const expected = withBackend('cpu', () => gpujs.matmul(tensor(a.toArray(), 'float64', [m, k]), tensor(b.toArray(), 'float64', [k, n]), false, false).toArray());
    const loop = plain.find((r) => r.shape === `[${m}x${k}]x[${k}x${n}]` && r.dtype === 'float32' && r.layout === 'NN' && r.kernel === 'plain loop');
    let cpuGflops = NaN;
    for (const [name, backend] of [
      ['cpu', cpu],
      [`gpujs (${mode})`, gpujs],
    ] as const) {
      let got = new Float32Array(0) as Float32Array | Float64Array;
      const t = timeRuns(() => (got = backend.matmul(a, b, false, false).toArray()), 1, backend === cpu ? 5 : 3);
      const gflops = (2 * m * k * n) / t.bestMs / 1e6;
      if (backend === cpu) cpuGflops = gflops;
      const vsLoop = loop === undefined ? '' : `x${(gflops / loop.gflops).toFixed(2)} plain loop, `;
      lines.push(`| [${m}x${k}]x[${k}x${n}] | float32 | NN | ${name} | ${gflops.toFixed(2)} | ${t.bestMs.toFixed(1)} | ${vsLoop}x${(gflops / cpuGflops).toFixed(2)} cpu | max abs diff vs float64: ${maxAbsDifference(got, expected).toExponential(1)} |`);
    }
  }
  return lines;
}

/** `--name value` or `--name=value` from the arguments, if given. */
function option(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function parseShapes(text: string): Shape[] {
  return text.split(',').map((s) => {
    const dims = s.split('x').map(Number);
    if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) fail(`--shapes: expected m x k x n triples like 128x256x512, got ${JSON.stringify(s)}`);
    return dims as unknown as Shape;
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const valued = new Set(['--backends', '--dtypes', '--steps', '--shapes', '--cells', '--min-ms']);
  const asked: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (valued.has(a)) i++;
    else if (a === '--gpujs-only' || a === '--no-tape' || [...valued].some((v) => a.startsWith(`${v}=`))) continue;
    else if (a.startsWith('--')) fail(`unknown option ${JSON.stringify(a)}; options: ${[...valued, '--gpujs-only', '--no-tape'].join(', ')}`);
    else asked.push(a);
  }
  for (const a of asked) {
    if (!(SECTIONS as readonly string[]).includes(a)) fail(`unknown section ${JSON.stringify(a)}; choose from ${SECTIONS.join(', ')}`);
  }
  const backends = option(args, 'backends')?.split(',');
  const dtypes = option(args, 'dtypes')?.split(',') as DType[] | undefined;
  if (dtypes?.some((d) => d !== 'float32' && d !== 'float64')) fail(`--dtypes: expected float32 and/or float64, got ${JSON.stringify(dtypes.join(','))}`);
  const stepsText = option(args, 'steps');
  const steps = stepsText === undefined ? undefined : Number(stepsText);
  if (steps !== undefined && !(Number.isInteger(steps) && steps > 0)) fail(`--steps: expected a positive integer, got ${JSON.stringify(stepsText)}`);
  const shapesText = option(args, 'shapes');
  const shapes = shapesText === undefined ? DEFAULT_SHAPES : parseShapes(shapesText);
  const gpujsOnly = args.includes('--gpujs-only');
  const minMsText = option(args, 'min-ms');
  const minMs = minMsText === undefined ? undefined : Number(minMsText);
  if (minMs !== undefined && !(Number.isFinite(minMs) && minMs > 0)) fail(`--min-ms: expected a positive number of milliseconds, got ${JSON.stringify(minMsText)}`);
  const run = (s: Section): boolean => asked.length === 0 || asked.includes(s);
  const rt = runtime();
  log(`# mnemo benchmarks (${new Date().toISOString()}, Node ${rt.node})`);
  log();
  log(`runtime: revectorizer ${rt.revectorize ? 'on' : 'off'}, relaxed SIMD ${rt.relaxedSimd ? 'in use (fused float32 gemm)' : 'not in use by the gemm'}; gemm micro-kernels: float32 ${rt.microKernels.float32}, float64 ${rt.microKernels.float64}; up to ${rt.maxThreads} threads`);
  for (const note of gemmInfo().notes) log(`note: ${note}`);
  log();

  if (run('seed')) {
    log('## (a) the tutorial training step (batch 128, 28 x 28, LSTM 128, Adam)');
    const r = await runSeedBench({
      ...(backends === undefined ? {} : { backends }),
      ...(dtypes === undefined ? {} : { dtypes }),
      ...(steps === undefined ? {} : { steps }),
    });
    log(formatSeedTable(r.rows));
    log(`fast path vs reference path, float64, batch ${r.diffBatch}: |loss diff| ${r.maxAbsDiffLoss.toExponential(2)}, max |grad diff| ${r.maxAbsDiffGrads.toExponential(2)}`);
    log(`gemm: ${JSON.stringify(gemmInfo())}`);
    if (r.rows.some((row) => row.backend === 'gpujs')) log(`gpujs: ${JSON.stringify(gpujsInfo())}`);
    log();
    write('seed', { ...r, ...(r.rows.some((row) => row.backend === 'gpujs') ? { gpujs: gpujsInfo() } : {}) });
  }
  if (run('cells')) {
    log('## (a2) every cell, compiled: the seed model (batch 128, 28 steps, 128 units, Adam), median ms per step; beside it the same step through the tape (compile: false) unless --no-tape');
    const cellsText = option(args, 'cells');
    // The guide's JANET, loaded from its module file as `mnemo train --cell` loads it (in the repository only).
    const guide = fileURLToPath(new URL('../../../docs/guides/examples/janet.ts', import.meta.url));
    const families = existsSync(guide) ? [(await loadCellModule(guide)).family] : [];
    const rows = runCellsBench({
      ...(steps === undefined ? {} : { steps }),
      ...(cellsText === undefined ? {} : { cells: cellsText.split(',') }),
      families,
      tape: !args.includes('--no-tape'),
      onRow: (r) => process.stderr.write(`  ${r.cell}: ${r.msPerStep.toFixed(1)} ms${r.tapeMs === undefined ? '' : ` (tape ${r.tapeMs.toFixed(1)} ms)`}\n`),
    });
    log(formatCellsTable(rows));
    log(`gemm: ${JSON.stringify(gemmInfo())}`);
    log();
    write('cells', { rows });
  }
  if (run('matmul')) {
    log('## (b) matmul GFLOP/s');
    const rows = gpujsOnly ? [] : await runMatmulBench({ shapes, ...(minMs === undefined ? {} : { minMs }) });
    if (!gpujsOnly) log(formatTable(rows));
    const g = gpujsMatmulRows(rows, shapes);
    log();
    log('| shape | dtype | layout | backend | GFLOP/s | best ms | ratio | check |');
    log('| --- | --- | --- | --- | ---: | ---: | --- | --- |');
    g.forEach((line) => log(line));
    log(`gpujs: ${JSON.stringify(gpujsInfo())}`);
    log();
    write('matmul', { rows, gpujs: g, gpujsInfo: gpujsInfo() });
  }
  if (run('sweep')) {
    log('## (c) LSTM forward + backward (fused, float32, batch 16)');
    const rows = runLstmSweep();
    log(formatSweepTable(rows));
    log();
    write('sweep', { rows });
  }
  if (run('memory')) {
    log('## (d) peak memory of BPTT (compositional LSTM, H 64, batch 8, float32)');
    const rows = runMemoryBench();
    log(formatMemoryTable(rows));
    log();
    write('memory', { rows });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
