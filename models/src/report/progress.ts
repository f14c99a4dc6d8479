/**
 * The training loop's progress display: step, loss, batch accuracy, examples per
 * second and time left. On a terminal it is a redrawn bar (the `cli-progress`
 * package); anywhere else (a pipe, a log file, CI) it is plain lines with no escape
 * codes, printed every few steps.
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';
import cliProgress from 'cli-progress';

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How to show progress.
 *
 * @example
 * ```ts
 * import type { ProgressOptions } from '@mnemo/models';
 * const o: ProgressOptions = { total: 781, isTTY: process.stdout.isTTY === true };
 * console.assert(o.total === 781);
 * ```
 * @category Reports
 */
export interface ProgressOptions {
  /** The step count at which training ends. */
  readonly total: number;
  /** Draw a redrawn bar (true) or print plain lines (false); pass `process.stdout.isTTY === true`. */
  readonly isTTY: boolean;
  /** Where text goes (default: `process.stdout.write`). */
  readonly write?: (text: string) => void;
  /** The step already done when this display starts, for a resumed run (default 0). */
  readonly start?: number;
  /** Plain lines only: print one every this many steps (default: about 40 lines a run). */
  readonly every?: number;
  /** Bar only: the terminal's width in columns (default: stdout's, else 80). */
  readonly columns?: number;
  /** The clock in milliseconds (default `performance.now`); tests pass a fake one. */
  readonly now?: () => number;
}

/**
 * What the training loop reports after a step.
 *
 * @example
 * ```ts
 * import type { StepStats } from '@mnemo/models';
 * const s: StepStats = { loss: 0.31, acc: 0.91, examplesPerSec: 480 };
 * console.assert(s.acc <= 1);
 * ```
 * @category Reports
 */
export interface StepStats {
  /** The batch's mean loss. */
  readonly loss: number;
  /** The batch's accuracy, a fraction in [0, 1]. */
  readonly acc: number;
  /** Training throughput. */
  readonly examplesPerSec: number;
}

/**
 * A running progress display. Call `stop` when training ends or is interrupted: it
 * shows the last step and, on a terminal, releases the bar's redraw timer (without
 * `stop` that timer keeps Node running).
 *
 * @example
 * ```ts
 * import { createProgress, type Progress } from '@mnemo/models';
 * const lines: string[] = [];
 * const p: Progress = createProgress({ total: 1, isTTY: false, write: (s) => lines.push(s) });
 * p.update(1, { loss: 1, acc: 0.5, examplesPerSec: 100 });
 * p.stop();
 * console.assert(lines.join('').includes('1/1'));
 * ```
 * @category Reports
 */
export interface Progress {
  /** Report that `step` steps are done (counted from 0, so the last is `total`). */
  update(step: number, stats: StepStats): void;
  /** Finish the display. Further calls do nothing. */
  stop(): void;
}

// -------------------------------------------------------------------------------------
// formatting
// -------------------------------------------------------------------------------------

/**
 * A duration as a person reads it: `42s`, `3m07s`, `1h02m`; `?` when unknown.
 *
 * @example
 * ```ts
 * import { formatDuration } from '@mnemo/models';
 * console.assert(formatDuration(42_400) === '42s' && formatDuration(187_000) === '3m07s');
 * console.assert(formatDuration(3_720_000) === '1h02m' && formatDuration(NaN) === '?');
 * ```
 * @category Reports
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const fields = (stats: StepStats, etaMs: number): Record<string, string> => ({
  loss: stats.loss.toFixed(4),
  acc: `${(stats.acc * 100).toFixed(1)}%`,
  eps: Number.isFinite(stats.examplesPerSec) ? stats.examplesPerSec.toFixed(0) : '?',
  timeLeft: formatDuration(etaMs),
});

// -------------------------------------------------------------------------------------
// the display
// -------------------------------------------------------------------------------------

/**
 * Start a progress display for a run of `total` steps. On a terminal (`isTTY`) it
 * is a bar redrawn in place at most five times a second:
 *
 * ```
 * [==========------] 312/781 | loss 0.2841 | acc 91.4% | 505 ex/s | eta 1m59s
 * ```
 *
 * Otherwise it prints whole lines with no escape codes, at the first step, every
 * `every` steps, at the last, and on `stop` if the last update was not printed:
 *
 * ```
 * step 312/781 (40%) loss 0.2841 acc 91.4% 505 ex/s eta 1m59s
 * ```
 *
 * The time left is the mean time per step so far times the steps left.
 *
 * @example
 * ```ts
 * import { createProgress } from '@mnemo/models';
 * const lines: string[] = [];
 * const p = createProgress({ total: 4, isTTY: false, every: 2, write: (s) => lines.push(s) });
 * for (let step = 1; step <= 4; step++) p.update(step, { loss: 1 / step, acc: 0.25 * step, examplesPerSec: 640 });
 * p.stop();
 * console.assert(lines.length === 3 && lines[2]!.startsWith('step 4/4 (100%) loss 0.2500 acc 100.0% 640 ex/s'));
 * console.assert(!lines.join('').includes('\u001b'));
 * ```
 * @category Reports
 */
export function createProgress(options: ProgressOptions): Progress {
  const { total, isTTY } = options;
  const start = options.start ?? 0;
  if (!Number.isInteger(total) || total < 1) {
    throw new ArgumentError('createProgress', 'total', `must be a positive integer, got ${total}`);
  }
  if (!Number.isInteger(start) || start < 0 || start > total) {
    throw new ArgumentError('createProgress', 'start', `must be an integer in [0, ${total}], got ${start}`);
  }
  const every = options.every ?? Math.max(1, Math.ceil(total / 40));
  if (!Number.isInteger(every) || every < 1) {
    throw new ArgumentError('createProgress', 'every', `must be a positive integer, got ${every}`);
  }
  const write = options.write ?? ((s: string) => void process.stdout.write(s));
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const eta = (step: number): number => (step > start ? ((now() - t0) / (step - start)) * (total - step) : NaN);

  return isTTY ? bar(options, total, start, write, eta) : lines(total, every, write, eta);
}

function lines(total: number, every: number, write: (s: string) => void, eta: (step: number) => number): Progress {
  let pending: string | null = null;
  let first = true;
  let stopped = false;
  return {
    update(step, stats) {
      if (stopped) return;
      const f = fields(stats, eta(step));
      const pct = Math.floor((100 * step) / total);
      const line = `step ${step}/${total} (${pct}%) loss ${f.loss} acc ${f.acc} ${f.eps} ex/s eta ${f.timeLeft}\n`;
      if (first || step % every === 0 || step >= total) {
        write(line);
        pending = null;
        first = false;
      } else {
        pending = line;
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (pending !== null) write(pending);
    },
  };
}

function bar(
  options: ProgressOptions,
  total: number,
  start: number,
  write: (s: string) => void,
  eta: (step: number) => number,
): Progress {
  // cli-progress draws on a stream: give it one that writes through `write` and
  // says it is a terminal, so that it moves the cursor instead of printing lines.
  const stream = {
    isTTY: true,
    columns: options.columns ?? process.stdout.columns ?? 80,
    write(s: string): boolean {
      write(s);
      return true;
    },
  };
  const b = new cliProgress.SingleBar({
    stream: stream as unknown as NodeJS.WritableStream,
    format: '[{bar}] {value}/{total} | loss {loss} | acc {acc} | {eps} ex/s | eta {timeLeft}',
    barsize: 24,
    barCompleteChar: '=',
    barIncompleteChar: '-',
    fps: 10,
    hideCursor: false,
    gracefulExit: false,
  });
  b.start(total, start, { loss: '-', acc: '-', eps: '-', timeLeft: '?' });
  let stopped = false;
  return {
    update(step, stats) {
      if (stopped) return;
      b.update(step, fields(stats, eta(step)));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      b.stop();
    },
  };
}
