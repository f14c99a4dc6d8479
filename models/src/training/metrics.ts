/**
 * What each training step measured, as `metrics.jsonl` holds it, and the
 * file's upkeep when a run resumes.
 *
 * @module
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { jsonText } from '../report/json.js';
import { METRICS_FILE, writeTextAtomic, type RunFileSystem } from '../report/rundir.js';

/**
 * What one training step measured, as `metrics.jsonl` holds it (one object a
 * line, every `logEvery` steps and at the last).
 *
 * @example
 * ```ts
 * import type { StepMetrics } from '@mnemo/models';
 * const m: StepMetrics = { step: 1, loss: 2.3, acc: 0.1, gradNorm: 0.5, examplesPerSec: 400, seconds: 0.3 };
 * console.assert(m.step === 1 && m.validation === undefined);
 * ```
 * @category Training
 */
export interface StepMetrics {
  /** Steps done, counting this one (1 for the first). */
  readonly step: number;
  /** The batch's mean loss. */
  readonly loss: number;
  /** The batch's accuracy. */
  readonly acc: number;
  /** The global norm of the gradients, before clipping. */
  readonly gradNorm: number;
  /** Training throughput over the last few steps (examples, or characters, per second). */
  readonly examplesPerSec: number;
  /** Seconds since this session of the run started. */
  readonly seconds: number;
  /** The job's periodic scores, at the steps it ran them (the character LM's validation bits per character). */
  readonly validation?: Readonly<Record<string, number>>;
}

/**
 * The mean of `f` over the last `n` entries of `xs` (fewer if there are fewer);
 * NaN for none.
 *
 * @example
 * ```ts
 * import { tailMean } from '@mnemo/models';
 * console.assert(tailMean([{ v: 1 }, { v: 2 }, { v: 4 }], 2, (x) => x.v) === 3);
 * ```
 * @category Training
 */
export function tailMean<T>(xs: readonly T[], n: number, f: (x: T) => number): number {
  const tail = xs.slice(Math.max(0, xs.length - n));
  return tail.length === 0 ? NaN : tail.reduce((s, x) => s + f(x), 0) / tail.length;
}

/**
 * Keep the lines of a run directory's `metrics.jsonl` up to `step` and return
 * them (a resumed run redoes the steps after its checkpoint; a torn last line
 * from a kill is dropped). The file is rewritten atomically.
 *
 * @param dir - the run directory.
 * @param step - the checkpoint's step.
 * @param fs - the file system (default `node:fs`).
 * @returns the metrics kept.
 * @example
 * ```ts
 * import { truncateMetrics } from '@mnemo/models';
 * import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const dir = mkdtempSync(`${tmpdir()}/run-`);
 * writeFileSync(`${dir}/metrics.jsonl`, '{"step":1,"loss":2}\n{"step":2,"loss":1}\n{"step":3,"lo');
 * console.assert(truncateMetrics(dir, 1).length === 1 && readFileSync(`${dir}/metrics.jsonl`, 'utf8') === '{"step":1,"loss":2}\n');
 * ```
 * @category Training
 */
export function truncateMetrics(dir: string, step: number, fs: RunFileSystem = nodeFs): StepMetrics[] {
  const path = join(dir, METRICS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(path).toString('utf8');
  } catch {
    return [];
  }
  const kept: StepMetrics[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const m = JSON.parse(line, (_k, v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as StepMetrics;
      if (typeof m === 'object' && m !== null && typeof m.step === 'number' && m.step <= step) kept.push(m);
    } catch {
      // a torn last line from a kill: dropped
    }
  }
  writeTextAtomic(path, kept.map((m) => `${jsonText(m)}\n`).join(''), fs);
  return kept;
}
