/**
 * Peak memory of backpropagation through time, with and without
 * `checkpoint`. Each measurement runs in a child process (so peaks do not mix)
 * that unrolls the compositional LSTM cell over T steps with `scan`, takes the
 * gradient, and reports its peak resident memory; a T = 1 run gives the
 * baseline that is subtracted.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * One row of {@link runMemoryBench}.
 *
 * @example
 * ```ts
 * import type { MemoryRow } from '@mnemo/models';
 * const r: MemoryRow = { steps: 1000, checkpointEvery: 0, peakMiB: 300, activationMiB: 250, tapeMiB: 200 };
 * console.assert(r.checkpointEvery === 0);
 * ```
 * @category Benchmarks
 */
export interface MemoryRow {
  readonly steps: number;
  /** 0: no checkpointing; else the chunk length (about sqrt(steps)). */
  readonly checkpointEvery: number;
  /** Peak resident memory of the child process, MiB. */
  readonly peakMiB: number;
  /** Peak minus the T = 1 baseline, MiB (includes garbage not yet collected). */
  readonly activationMiB: number;
  /** Memory the tape keeps alive after the forward pass (after a full GC), MiB: what checkpointing saves. */
  readonly tapeMiB: number;
}

function measure(steps: number, every: number): { peakMiB: number; tapeMiB: number } {
  const child = fileURLToPath(new URL('./memory-child.js', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', child, String(steps), String(every)], { encoding: 'utf8' });
  const m = /peakKiB=(\d+) tapeBytes=(-?\d+)/.exec(out);
  if (m === null) throw new Error(`memory bench: the child printed no peak: ${out}`);
  return { peakMiB: Number(m[1]) / 1024, tapeMiB: Number(m[2]) / 2 ** 20 };
}

/**
 * Measure BPTT's peak memory for each length, without checkpointing and with
 * chunks of about sqrt(T) steps. Needs the compiled benchmarks (`npm run bench`).
 *
 * @example
 * ```ts
 * import { runMemoryBench } from '@mnemo/models';
 * console.assert(typeof runMemoryBench === 'function');
 * ```
 * @category Benchmarks
 */
export function runMemoryBench(options: { steps?: readonly number[]; onRow?: (r: MemoryRow) => void } = {}): MemoryRow[] {
  const base = measure(1, 0).peakMiB;
  const rows: MemoryRow[] = [];
  for (const T of options.steps ?? [250, 1000, 4000]) {
    for (const every of [0, Math.round(Math.sqrt(T))]) {
      if (every === 0 && T > 1000) continue; // without checkpointing, 4000 steps only repeat the linear growth at 4x the memory
      const { peakMiB, tapeMiB } = measure(T, every);
      const row: MemoryRow = { steps: T, checkpointEvery: every, peakMiB, activationMiB: peakMiB - base, tapeMiB };
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}

/**
 * Format {@link runMemoryBench}'s rows as a Markdown table.
 *
 * @example
 * ```ts
 * import { formatMemoryTable } from '@mnemo/models';
 * console.assert(formatMemoryTable([{ steps: 10, checkpointEvery: 3, peakMiB: 100, activationMiB: 5, tapeMiB: 1 }]).includes('| 10 | every 3 | 1.0 | 100.0 | 5.0 |'));
 * ```
 * @category Benchmarks
 */
export function formatMemoryTable(rows: readonly MemoryRow[]): string {
  const lines = ['| steps | checkpoint | tape after forward MiB | peak RSS MiB | peak minus T=1 run MiB |', '| ---: | --- | ---: | ---: | ---: |'];
  for (const r of rows) {
    lines.push(`| ${r.steps} | ${r.checkpointEvery === 0 ? 'none' : `every ${r.checkpointEvery}`} | ${r.tapeMiB.toFixed(1)} | ${r.peakMiB.toFixed(1)} | ${r.activationMiB.toFixed(1)} |`);
  }
  return lines.join('\n');
}
