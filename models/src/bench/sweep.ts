/**
 * How the cost of an LSTM layer's forward and backward pass grows with the
 * hidden size and the sequence length (`scan` of the tutorial LSTM cell,
 * compiled, float32, batch 16), and, at the shortest length of each hidden
 * size, how far its float32 gradients are from the float64 tape path's.
 *
 * @module
 */
import { key, normal, split, zeros, type DType, type Key, type Tensor } from '@mnemo/core';
import { cast, grad, sum } from '@mnemo/autodiff';
import { lstmCell, scan, type LstmCell } from '@mnemo/nn';
import { maxRelativeDifference, timeRuns } from './timing.js';

/**
 * One row of {@link runLstmSweep}.
 *
 * @example
 * ```ts
 * import type { SweepRow } from '@mnemo/models';
 * const r: SweepRow = { hidden: 32, steps: 28, batch: 16, ms: 1, usPerStepPerExample: 2, gflops: 1, relDiffVsFloat64: 1e-7 };
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
  /**
   * Largest |float32 gradient - float64 gradient| over both weight gradients,
   * divided by the largest |float64 gradient| (the shortest length of each
   * hidden size only; undefined elsewhere).
   */
  readonly relDiffVsFloat64?: number;
}

/**
 * Time forward + backward of an LSTM layer (`scan` of `lstmCell`, compiled:
 * the input projection of all steps as one product, the recurrence as one
 * program) for each hidden size and length; at the shortest length, also
 * compare its gradients with the float64 tape path's.
 *
 * @example
 * ```ts
 * import { runLstmSweep } from '@mnemo/models';
 * const rows = runLstmSweep({ hidden: [4], steps: [3], batch: 2, runs: 1 });
 * console.assert(rows.length === 1 && rows[0]!.ms > 0 && rows[0]!.relDiffVsFloat64! < 1e-5);
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
      const cells = new Map<DType, LstmCell>();
      const cellOf = (dtype: DType): LstmCell => {
        let c = cells.get(dtype);
        if (!c) cells.set(dtype, (c = lstmCell({ inputSize: D, hiddenSize: H, dtype })));
        return c;
      };
      const gradsOf = (xs: Tensor, b_: Tensor, h: Tensor, compile = true) =>
        grad(
          (wx_: Tensor, wh_: Tensor) => sum(scan(cellOf(xs.dtype), { wx: wx_, wh: wh_, b: b_ }, xs, { initialState: { h, c: h }, compile }).outputs),
          { argnums: [0, 1] },
        ) as (wx_: Tensor, wh_: Tensor) => Tensor[];
      const f = gradsOf(x, b, h0);
      const runs = options.runs ?? (T * H >= 100_000 ? 1 : 3);
      const t = timeRuns(() => f(wx, wh), 1, runs);
      // forward 2·B·T·(D + H)·4H, backward twice that
      const flop = 3 * 2 * B * T * (D + H) * 4 * H;
      let relDiffVsFloat64: number | undefined;
      if (T === ts[0]) {
        const f64 = (u: Tensor): Tensor => cast(u, 'float64');
        const fast = f(wx, wh);
        const exact = gradsOf(f64(x), f64(b), f64(h0), false)(f64(wx), f64(wh));
        relDiffVsFloat64 = maxRelativeDifference(
          fast.map((g) => g.toArray()),
          exact.map((g) => g.toArray()),
        );
      }
      const row: SweepRow = {
        hidden: H,
        steps: T,
        batch: B,
        ms: t.bestMs,
        usPerStepPerExample: (t.bestMs * 1000) / (T * B),
        gflops: flop / t.bestMs / 1e6,
        ...(relDiffVsFloat64 === undefined ? {} : { relDiffVsFloat64 }),
      };
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
 * console.assert(formatSweepTable([{ hidden: 32, steps: 28, batch: 16, ms: 1.5, usPerStepPerExample: 3.35, gflops: 2, relDiffVsFloat64: 1.5e-7 }]).includes('| 32 | 28 | 16 | 1.5 | 3.35 | 2.0 | 1.5e-7 |'));
 * ```
 * @category Benchmarks
 */
export function formatSweepTable(rows: readonly SweepRow[]): string {
  const lines = [
    '| hidden | steps | batch | ms fwd+bwd | µs / step / example | GFLOP/s | max gradient diff vs float64 (relative) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const diff = r.relDiffVsFloat64 === undefined ? '' : r.relDiffVsFloat64.toExponential(1);
    lines.push(`| ${r.hidden} | ${r.steps} | ${r.batch} | ${r.ms.toFixed(1)} | ${r.usPerStepPerExample.toFixed(2)} | ${r.gflops.toFixed(1)} | ${diff} |`);
  }
  return lines.join('\n');
}
