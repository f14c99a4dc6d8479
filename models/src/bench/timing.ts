/**
 * Small timing helpers shared by the benchmarks.
 *
 * @module
 */

/**
 * Wall-clock and CPU time of one call of `f`, in milliseconds.
 *
 * @example
 * ```ts
 * import { timeOnce } from '@mnemo/models';
 * const t = timeOnce(() => { let s = 0; for (let i = 0; i < 1e5; i++) s += i; return s; });
 * console.assert(t.wallMs >= 0 && t.cpuMs >= 0);
 * ```
 * @category Benchmarks
 */
export function timeOnce<T>(f: () => T): { wallMs: number; cpuMs: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, value };
}

/**
 * Run `f` `warmup` times untimed, then `runs` times; report the median and the
 * best wall-clock time per call (the host is shared, so the best run is the
 * least disturbed one; the median shows the spread), and the median CPU time
 * of the whole process (all threads) per call.
 *
 * @example
 * ```ts
 * import { timeRuns } from '@mnemo/models';
 * const t = timeRuns(() => Math.sqrt(2), 1, 3);
 * console.assert(t.bestMs <= t.medianMs && t.runs === 3);
 * ```
 * @category Benchmarks
 */
export function timeRuns(f: () => unknown, warmup: number, runs: number): { bestMs: number; medianMs: number; cpuMedianMs: number; runs: number } {
  for (let i = 0; i < warmup; i++) f();
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = timeOnce(f);
    times.push(t.wallMs);
    cpus.push(t.cpuMs);
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { bestMs: Math.min(...times), medianMs: median(times), cpuMedianMs: median(cpus), runs };
}

/**
 * The largest absolute difference between two arrays of equal length.
 *
 * @example
 * ```ts
 * import { maxAbsDifference } from '@mnemo/models';
 * console.assert(maxAbsDifference([1, 2], [1, 2.5]) === 0.5);
 * ```
 * @category Benchmarks
 */
export function maxAbsDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) return Infinity;
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

/**
 * The largest absolute difference between matching arrays of two lists,
 * divided by the largest magnitude in `want`: a gradient's error relative to
 * the gradient's scale (Infinity when the lists or arrays differ in length).
 *
 * @example
 * ```ts
 * import { maxRelativeDifference } from '@mnemo/models';
 * console.assert(maxRelativeDifference([[1, 2], [4]], [[1, 2.5], [5]]) === 0.2);
 * ```
 * @category Benchmarks
 */
export function maxRelativeDifference(got: readonly ArrayLike<number>[], want: readonly ArrayLike<number>[]): number {
  if (got.length !== want.length) return Infinity;
  let d = 0;
  let scale = 0;
  got.forEach((g, i) => {
    const w = want[i]!;
    d = Math.max(d, maxAbsDifference(g, w));
    for (let j = 0; j < w.length; j++) scale = Math.max(scale, Math.abs(w[j]!));
  });
  return d / scale;
}
