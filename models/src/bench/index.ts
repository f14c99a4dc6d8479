/**
 * `npm run bench [-- seed|matmul|sweep|memory ...]`: the benchmark suite.
 * Prints Markdown tables and writes `bench-results/<section>.json`. Not a
 * test: nothing here asserts a speed. Every fast path is reported beside a
 * baseline measured in the same run, with its largest difference from it.
 *
 * @module
 * @internal
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gemmInfo, gpujs, gpujsMode, tensor, uniform, key, withBackend } from '@mnemo/core';
import { formatTable, runMatmulBench, type MatmulBenchRow } from './matmul.js';
import { formatMemoryTable, runMemoryBench } from './memory.js';
import { formatSeedTable, runSeedBench } from './seed.js';
import { formatSweepTable, runLstmSweep } from './sweep.js';
import { maxAbsDifference, timeRuns } from './timing.js';

const SECTIONS = ['seed', 'matmul', 'sweep', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

function write(section: string, value: unknown): void {
  const dir = 'bench-results';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${section}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...(value as object) }, null, 2)}\n`);
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** gpu.js matmul through the `gpujs` backend against the plain loop rows of the same run. */
function gpujsMatmulRows(plain: readonly MatmulBenchRow[]): string[] {
  const lines: string[] = [];
  for (const [m, k, n] of [
    [128, 256, 512],
    [512, 512, 512],
  ] as const) {
    const a = uniform(key(1), [m, k], { low: -1, high: 1 });
    const b = uniform(key(2), [k, n], { low: -1, high: 1 });
    const expected = withBackend('cpu', () => gpujs.matmul(tensor(a.toArray(), 'float64', [m, k]), tensor(b.toArray(), 'float64', [k, n]), false, false).toArray());
    let got = new Float32Array(0) as Float32Array | Float64Array;
    const t = timeRuns(() => (got = gpujs.matmul(a, b, false, false).toArray()), 1, 2);
    const gflops = (2 * m * k * n) / t.bestMs / 1e6;
    const loop = plain.find((r) => r.shape === `[${m}x${k}]x[${k}x${n}]` && r.dtype === 'float32' && r.layout === 'NN' && r.kernel === 'plain loop');
    const ratio = loop === undefined ? NaN : gflops / loop.gflops;
    lines.push(`| [${m}x${k}]x[${k}x${n}] | float32 | NN | gpujs (${gpujsMode()}) | ${gflops.toFixed(2)} | ${t.bestMs.toFixed(1)} | x${ratio.toFixed(2)} plain loop | max abs diff vs float64: ${maxAbsDifference(got, expected).toExponential(1)} |`);
  }
  return lines;
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => a !== '--');
  for (const a of asked) {
    if (!(SECTIONS as readonly string[]).includes(a)) {
      process.stderr.write(`bench: unknown section ${JSON.stringify(a)}; choose from ${SECTIONS.join(', ')}\n`);
      process.exit(2);
    }
  }
  const run = (s: Section): boolean => asked.length === 0 || asked.includes(s);
  log(`# mnemo benchmarks (${new Date().toISOString()}, Node ${process.version})`);
  log();

  if (run('seed')) {
    log('## (a) the tutorial training step (batch 128, 28 x 28, LSTM 128, Adam)');
    const r = await runSeedBench();
    log(formatSeedTable(r.rows));
    log(`fast path vs reference path, float64, batch ${r.diffBatch}: |loss diff| ${r.maxAbsDiffLoss.toExponential(2)}, max |grad diff| ${r.maxAbsDiffGrads.toExponential(2)}`);
    log(`gemm: ${JSON.stringify(gemmInfo())}`);
    log();
    write('seed', r);
  }
  if (run('matmul')) {
    log('## (b) matmul GFLOP/s');
    const rows = await runMatmulBench();
    log(formatTable(rows));
    const g = gpujsMatmulRows(rows);
    log();
    log('| shape | dtype | layout | backend | GFLOP/s | best ms | ratio | check |');
    log('| --- | --- | --- | --- | ---: | ---: | --- | --- |');
    g.forEach((line) => log(line));
    log();
    write('matmul', { rows, gpujs: g });
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
