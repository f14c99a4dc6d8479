/**
 * How the cost of an LSTM's forward and backward pass grows with the hidden
 * size and the sequence length (fused kernel, float32, batch 16).
 *
 * @module
 */
import { key, normal, split, zeros, type Key } from '@mnemo/core';
import { add, grad, matmul, reshape, sum } from '@mnemo/autodiff';
import { lstmSequence } from '@mnemo/nn';
import { timeRuns } from './timing.js';

/**
 * One row of {@link runLstmSweep}.
 *
 * @example
 * ```ts
 * import type { SweepRow } from '@mnemo/models';
 * const r: SweepRow = { hidden: 32, steps: 28, batch: 16, ms: 1, usPerStepPerExample: 2, gflops: 1 };
 * console.assert(r.hidden === 32);
 * ```
 * @category Benchmarks
 */
export interface SweepRow {
  readonly hidden: number;
  readonly steps: number;
  readonly batch: number;
  /** Best wall-clock milliseconds of forward + backward. */
  readonly ms: number;
  /** Microseconds per time step per example. */
  readonly usPerStepPerExample: number;
  /** Matrix-product GFLOP/s achieved (input projection + recurrence, forward and backward). */
  readonly gflops: number;
}

/**
 * Time forward + backward of an LSTM layer (input projection for all steps
 * in one matmul, then {@link lstmSequence}) for each hidden size and length.
 *
 * @example
 * ```ts
 * import { runLstmSweep } from '@mnemo/models';
 * const rows = runLstmSweep({ hidden: [4], steps: [3], batch: 2, runs: 1 });
 * console.assert(rows.length === 1 && rows[0]!.ms > 0);
 * ```
 * @category Benchmarks
 */
export function runLstmSweep(
  options: { hidden?: readonly number[]; steps?: readonly number[]; batch?: number; runs?: number; onRow?: (r: SweepRow) => void } = {},
): SweepRow[] {
  const hs = options.hidden ?? [32, 128, 512];
  const ts = options.steps ?? [28, 100, 1000];
  const B = options.batch ?? 16;
  const rows: SweepRow[] = [];
  for (const H of hs) {
    for (const T of ts) {
      const D = H;
      const [k1, k2, k3] = split(key(H * 7919 + T), 3) as [Key, Key, Key];
      const x = normal(k1, [B, T, D]);
      const wx = normal(k2, [D, 4 * H], { std: 1 / Math.sqrt(H) });
      const wh = normal(k3, [H, 4 * H], { std: 1 / Math.sqrt(H) });
      const b = zeros([4 * H]);
      const h0 = zeros([B, H]);
      const f = grad(
        (wx_: typeof wx, wh_: typeof wh) => {
          const gx = reshape(add(matmul(reshape(x, [B * T, D]), wx_), b), [B, T, 4 * H]);
          return sum(lstmSequence(gx, wh_, h0, h0).hs);
        },
        { argnums: [0, 1] },
      );
      const runs = options.runs ?? (T * H >= 100_000 ? 1 : 3);
      const t = timeRuns(() => f(wx, wh), 1, runs);
      // forward 2·B·T·(D + H)·4H, backward twice that
      const flop = 3 * 2 * B * T * (D + H) * 4 * H;
      const row: SweepRow = { hidden: H, steps: T, batch: B, ms: t.bestMs, usPerStepPerExample: (t.bestMs * 1000) / (T * B), gflops: flop / t.bestMs / 1e6 };
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}

/**
 * Format {@link runLstmSweep}'s rows as a Markdown table.
 *
 * @example
 * ```ts
 * import { formatSweepTable } from '@mnemo/models';
 * console.assert(formatSweepTable([{ hidden: 32, steps: 28, batch: 16, ms: 1.5, usPerStepPerExample: 3.35, gflops: 2 }]).includes('| 32 | 28 | 16 | 1.5 | 3.35 | 2.0 |'));
 * ```
 * @category Benchmarks
 */
export function formatSweepTable(rows: readonly SweepRow[]): string {
  const lines = ['| hidden | steps | batch | ms fwd+bwd | µs / step / example | GFLOP/s |', '| ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.hidden} | ${r.steps} | ${r.batch} | ${r.ms.toFixed(1)} | ${r.usPerStepPerExample.toFixed(2)} | ${r.gflops.toFixed(1)} |`);
  return lines.join('\n');
}
