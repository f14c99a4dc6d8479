/**
 * The tutorial step benchmark (issue "seed"): one training step of the MNIST
 * row-LSTM (batch 128, 28 steps, projection 28 -> 128, LSTM 128, dense
 * 128 -> 10, softmax cross-entropy, Adam) on each backend and dtype, next to
 * the reference path (the compositional cell stepped gate by gate, with the
 * plain reference gemm) measured in the same run, and the largest difference
 * of the fast path's loss and gradients from the reference path's.
 *
 * @module
 */
import { gemmReference, key, randint, setGemmImpl, split, uniform, withBackend, type DType, type Key, type Tensor } from '@mnemo/core';
import { tree, valueAndGrad } from '@mnemo/autodiff';
import { adam, softmaxCrossEntropy } from '@mnemo/nn';
import { rowLstm, type SequenceModel, type SequenceModelParams } from '../tasks/sequence/model.js';
import { maxAbsDifference, timeOnce, timeRuns } from './timing.js';

/**
 * One row of {@link runSeedBench}.
 *
 * @example
 * ```ts
 * import type { SeedBenchRow } from '@mnemo/models';
 * const r: SeedBenchRow = { backend: 'cpu', dtype: 'float32', path: 'fast', batch: 128, msPerStep: 100, bestMs: 95, cpuMsPerStep: 150, examplesPerSec: 1280, vsReference: 80 };
 * console.assert(r.path === 'fast');
 * ```
 * @category Benchmarks
 */
export interface SeedBenchRow {
  readonly backend: string;
  readonly dtype: DType;
  /** `fast`: fused LSTM kernel and the installed gemm; `reference`: compositional cell and the reference gemm. */
  readonly path: 'fast' | 'reference';
  readonly batch: number;
  /** Median wall-clock milliseconds per training step. */
  readonly msPerStep: number;
  /** Best step. */
  readonly bestMs: number;
  /** Median CPU milliseconds per step, all threads of the process (on a shared host, what the step costs). */
  readonly cpuMsPerStep: number;
  readonly examplesPerSec: number;
  /** The reference path's median time divided by this row's (same run). */
  readonly vsReference: number;
}

/**
 * The result of {@link runSeedBench}: timings, and how far the fast path's
 * float64 loss and gradients are from the reference path's on one batch.
 *
 * @example
 * ```ts
 * import type { SeedBenchResult } from '@mnemo/models';
 * const r: SeedBenchResult = { rows: [], maxAbsDiffLoss: 0, maxAbsDiffGrads: 0, diffBatch: 16 };
 * console.assert(r.rows.length === 0);
 * ```
 * @category Benchmarks
 */
export interface SeedBenchResult {
  readonly rows: readonly SeedBenchRow[];
  /** |loss_fast - loss_reference| in float64. */
  readonly maxAbsDiffLoss: number;
  /** Largest |gradient_fast - gradient_reference| over every parameter, float64. */
  readonly maxAbsDiffGrads: number;
  /** The batch size of that comparison. */
  readonly diffBatch: number;
}

/** A batch of MNIST's shape (pixels in [0, 1), labels 0-9), drawn from a key. */
function batchOf(k: Key, batch: number, dtype: DType): { x: Tensor; y: Tensor } {
  const [kx, ky] = split(k, 2) as [Key, Key];
  return { x: uniform(kx, [batch, 28, 28], { dtype }), y: randint(ky, [batch], 0, 10, dtype) };
}

/** One Adam training step of `model` on a fixed batch, as a closure. */
function stepper(model: SequenceModel, dtype: DType, batch: number): { step: () => void; lossAndGrads: () => [Tensor, SequenceModelParams] } {
  const { x, y } = batchOf(key(1), batch, dtype);
  const opt = adam({ lr: 1e-3 });
  let params = model.init(key(0));
  let state = opt.init(params);
  const vg = valueAndGrad((p: SequenceModelParams) => softmaxCrossEntropy(model.apply(p, x), y));
  return {
    step: () => {
      const [, g] = vg(params);
      [params, state] = opt.update(g, state, params);
    },
    lossAndGrads: () => vg(model.init(key(0))),
  };
}

/** Run `f` with the plain reference gemm installed. */
function withReferenceGemm<T>(f: () => T): T {
  const prev = setGemmImpl(gemmReference);
  try {
    return f();
  } finally {
    setGemmImpl(prev);
  }
}

/**
 * Time the tutorial's training step on each backend and dtype (fast path),
 * and once on the reference path, and compare their float64 gradients.
 * `steps` timed steps per row (default 16), after three untimed warm-up steps (the
 * first steps of a process are slower while V8 optimizes the JavaScript and
 * tiers the WebAssembly up; the figure reported is the steady state, as a
 * training run sees it). gpu.js rows take one warm-up step and at most two
 * timed steps: its WebAssembly fallback is slow.
 *
 * @example
 * ```ts
 * import { runSeedBench } from '@mnemo/models';
 * const r = await runSeedBench({ batch: 4, steps: 1, backends: ['cpu'], dtypes: ['float64'], diffBatch: 2 });
 * console.assert(r.rows.length === 2 && r.maxAbsDiffGrads < 1e-10);
 * ```
 * @category Benchmarks
 */
export async function runSeedBench(
  options: { batch?: number; steps?: number; backends?: readonly string[]; dtypes?: readonly DType[]; diffBatch?: number; onRow?: (r: SeedBenchRow) => void } = {},
): Promise<SeedBenchResult> {
  const batch = options.batch ?? 128;
  const steps = options.steps ?? 16;
  const backends = options.backends ?? ['cpu', 'gpujs'];
  const dtypes = options.dtypes ?? ['float32', 'float64'];
  const diffBatch = options.diffBatch ?? 16;
  const rows: SeedBenchRow[] = [];

  // The baseline: the compositional cell, step by step, on the reference gemm (one step: it is slow).
  const ref = withReferenceGemm(() => {
    const s = stepper(rowLstm({ dtype: 'float32', fused: false }), 'float32', batch);
    return timeOnce(s.step);
  });
  const refMs = ref.wallMs;
  const refRow: SeedBenchRow = { backend: 'cpu', dtype: 'float32', path: 'reference', batch, msPerStep: refMs, bestMs: refMs, cpuMsPerStep: ref.cpuMs, examplesPerSec: (batch * 1000) / refMs, vsReference: 1 };
  rows.push(refRow);
  options.onRow?.(refRow);

  for (const backend of backends) {
    for (const dtype of dtypes) {
      const t = withBackend(backend, () => {
        const s = stepper(rowLstm({ dtype }), dtype, batch);
        // gpu.js's WebAssembly fallback is slow: fewer steps there.
        return backend === 'gpujs' ? timeRuns(s.step, 1, Math.min(steps, 2)) : timeRuns(s.step, 3, steps);
      });
      const row: SeedBenchRow = {
        backend,
        dtype,
        path: 'fast',
        batch,
        msPerStep: t.medianMs,
        bestMs: t.bestMs,
        cpuMsPerStep: t.cpuMedianMs,
        examplesPerSec: (batch * 1000) / t.medianMs,
        vsReference: refMs / t.medianMs,
      };
      rows.push(row);
      options.onRow?.(row);
      await new Promise((r) => setImmediate(r));
    }
  }

  // Speed never bought with wrong numbers: the fast path against the reference path, float64.
  const [lf, gf] = stepper(rowLstm({ dtype: 'float64' }), 'float64', diffBatch).lossAndGrads();
  const [lr, gr] = withReferenceGemm(() => stepper(rowLstm({ dtype: 'float64', fused: false }), 'float64', diffBatch).lossAndGrads());
  const pairs = tree.zip(gf, gr);
  const maxAbsDiffGrads = pairs.reduce((d, [a, b]) => Math.max(d, maxAbsDifference(a.toArray(), b.toArray())), 0);
  return { rows, maxAbsDiffLoss: Math.abs(lf.item() - lr.item()), maxAbsDiffGrads, diffBatch };
}

/**
 * Format {@link runSeedBench}'s rows as a Markdown table.
 *
 * @example
 * ```ts
 * import { formatSeedTable } from '@mnemo/models';
 * const t = formatSeedTable([{ backend: 'cpu', dtype: 'float32', path: 'fast', batch: 128, msPerStep: 100, bestMs: 90, cpuMsPerStep: 150, examplesPerSec: 1280, vsReference: 50 }]);
 * console.assert(t.includes('| cpu | float32 | fast | 128 | 100.0 | 90.0 | 150.0 | 1280 | 50.0 |'));
 * ```
 * @category Benchmarks
 */
export function formatSeedTable(rows: readonly SeedBenchRow[]): string {
  const lines = [
    '| backend | dtype | path | batch | ms/step (median) | best ms | CPU ms/step | examples/s | x reference path |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.backend} | ${r.dtype} | ${r.path} | ${r.batch} | ${r.msPerStep.toFixed(1)} | ${r.bestMs.toFixed(1)} | ${r.cpuMsPerStep.toFixed(1)} | ${r.examplesPerSec.toFixed(0)} | ${r.vsReference.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
