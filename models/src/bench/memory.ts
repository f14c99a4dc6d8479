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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maxRelativeDifference } from './timing.js';

/**
 * One row of {@link runMemoryBench}.
 *
 * @example
 * ```ts
 * import type { MemoryRow } from '@mnemo/models';
 * const r: MemoryRow = { path: 'tape', steps: 1000, checkpointEvery: 32, peakMiB: 300, activationMiB: 250, tapeMiB: 200, tapeHeapMiB: 3, residentMiB: 0, gradRelDiff: 1e-7 };
 * console.assert(r.checkpointEvery === 32 && r.tapeHeapMiB < r.tapeMiB);
 * ```
 * @category Benchmarks
 */
export interface MemoryRow {
  /** `tape`: the step by step loop on the tape; `compiled`: the compiled program. */
  readonly path: 'tape' | 'compiled';
  readonly steps: number;
  /** 0: no checkpointing; else the chunk length (about sqrt(steps)). */
  readonly checkpointEvery: number;
  /** Peak resident memory of the child process, MiB. */
  readonly peakMiB: number;
  /** Peak minus the T = 1 baseline, MiB (includes garbage not yet collected). */
  readonly activationMiB: number;
  /** Memory the tape keeps alive after the forward pass (after a full GC), MiB: what checkpointing saves. */
  readonly tapeMiB: number;
  /**
   * Its JavaScript-heap part, MiB (the rest is typed-array storage, whose
   * release after a GC varies by some MiB from run to run).
   */
  readonly tapeHeapMiB: number;
  /** The compiled program's memory held between the forward pass and the pullback (its residuals), MiB; 0 on the tape. */
  readonly residentMiB: number;
  /**
   * With checkpointing, where the same length also ran without: the largest
   * gradient difference between the two runs, relative to the largest
   * gradient (float32 sums associate differently across chunks, so it is
   * small, not zero).
   */
  readonly gradRelDiff?: number;
}

function measure(steps: number, every: number, gradFile: string, path: 'tape' | 'compiled'): { peakMiB: number; tapeMiB: number; tapeHeapMiB: number; residentMiB: number; grads: Float64Array } {
  const child = fileURLToPath(new URL('./memory-child.js', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', child, String(steps), String(every), gradFile, path], { encoding: 'utf8' });
  const m = /peakKiB=(\d+) tapeBytes=(-?\d+) tapeHeapBytes=(-?\d+) residentBytes=(-?\d+)/.exec(out);
  if (m === null) throw new Error(`memory bench: the child printed no peak: ${out}`);
  const bytes = readFileSync(gradFile);
  const grads = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { peakMiB: Number(m[1]) / 1024, tapeMiB: Number(m[2]) / 2 ** 20, tapeHeapMiB: Number(m[3]) / 2 ** 20, residentMiB: Number(m[4]) / 2 ** 20, grads };
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
  const dir = mkdtempSync(join(tmpdir(), 'mnemo-memory-'));
  try {
    const base = measure(1, 0, join(dir, 'base'), 'tape').peakMiB;
    const rows: MemoryRow[] = [];
    for (const path of ['tape', 'compiled'] as const) {
      for (const T of options.steps ?? [250, 1000, 4000]) {
        let plain: Float64Array | undefined;
        for (const every of [0, Math.round(Math.sqrt(T))]) {
          // on the tape without checkpointing, 4000 steps only repeat the linear growth at 4x the memory
          if (every === 0 && T > 1000 && path === 'tape') continue;
          const { peakMiB, tapeMiB, tapeHeapMiB, residentMiB, grads } = measure(T, every, join(dir, `${path}-${T}-${every}`), path);
          if (every === 0) plain = grads;
          const row: MemoryRow = {
            path,
            steps: T,
            checkpointEvery: every,
            peakMiB,
            activationMiB: peakMiB - base,
            tapeMiB,
            tapeHeapMiB,
            residentMiB,
            ...(every > 0 && plain !== undefined ? { gradRelDiff: maxRelativeDifference([grads], [plain]) } : {}),
          };
          rows.push(row);
          options.onRow?.(row);
        }
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Format {@link runMemoryBench}'s rows as a Markdown table.
 *
 * @example
 * ```ts
 * import { formatMemoryTable } from '@mnemo/models';
 * console.assert(formatMemoryTable([{ path: 'compiled', steps: 10, checkpointEvery: 3, peakMiB: 100, activationMiB: 5, tapeMiB: 1, tapeHeapMiB: 0.5, residentMiB: 2, gradRelDiff: 2.5e-7 }]).includes('| compiled | 10 | every 3 | 1.0 | 0.5 | 2.0 | 100.0 | 5.0 | 2.5e-7 |'));
 * ```
 * @category Benchmarks
 */
export function formatMemoryTable(rows: readonly MemoryRow[]): string {
  const lines = [
    '| path | steps | checkpoint | tape after forward MiB | of which JS heap MiB | compiled residuals MiB | peak RSS MiB | peak minus T=1 run MiB | max gradient diff vs no checkpoint (relative) |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const same = r.gradRelDiff === undefined ? '' : r.gradRelDiff.toExponential(1);
    lines.push(
      `| ${r.path} | ${r.steps} | ${r.checkpointEvery === 0 ? 'none' : `every ${r.checkpointEvery}`} | ${r.tapeMiB.toFixed(1)} | ${r.tapeHeapMiB.toFixed(1)} | ${r.residentMiB.toFixed(1)} | ${r.peakMiB.toFixed(1)} | ${r.activationMiB.toFixed(1)} | ${same} |`,
    );
  }
  return lines.join('\n');
}
