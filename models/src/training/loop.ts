/**
 * The training loop: the one loop every task runs through (see
 * {@link TrainingJob}). It takes the steps ({@link trainingStep}), writes the
 * run directory (config, metrics, checkpoints, summary, plots), shows
 * progress, stops cleanly when asked (Ctrl-C), resumes from a checkpoint bit
 * for bit, and refuses a step that is not finite, keeping the last finite
 * state.
 *
 * A run's whole state is its parameters, optimizer state, step count and
 * carry ({@link TrainState}); batches are a pure function of the seed and the
 * step. So a run resumed from a checkpoint continues exactly as the
 * uninterrupted run would have.
 *
 * The loop yields to the event loop after every step, so a signal handler
 * (Ctrl-C) can ask it to stop: it then writes a checkpoint and returns.
 *
 * @module
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { ArgumentError, NonFiniteError, currentBackend, setBackend } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import type { Progress } from '../report/progress.js';
import { appendMetrics, removeStaleTemporaryFiles, writeJsonAtomic, type RunFileSystem } from '../report/rundir.js';
import { RUN_FILES, saveCheckpoint } from './checkpoint.js';
import type { RunConfig } from './codecs.js';
import { DivergedError } from './errors.js';
import type { JobResult, TrainingJob } from './job.js';
import { truncateMetrics, type StepMetrics } from './metrics.js';
import { firstBadEntry, type TrainState } from './state.js';
import { trainingStep } from './step.js';
import { summarize, writeReport } from './summary.js';

/**
 * Options of {@link runTraining}.
 *
 * @example
 * ```ts
 * import type { RunOptions } from '@mnemo/models';
 * const o: RunOptions = { stopAt: 10, evaluate: false };
 * console.assert(o.stopAt === 10);
 * ```
 * @category Training
 */
export interface RunOptions<P extends Tree = Tree, C extends Tree = Tree> {
  /** The run directory to write (see `RUN_FILES`); none by default. */
  readonly runDir?: string;
  /** Continue from this state (see `loadCheckpoint`) instead of initializing. */
  readonly resume?: TrainState<P, C>;
  /** When aborted, the loop stops after the current step and writes a checkpoint. */
  readonly signal?: AbortSignal;
  /** Stop after this many steps, as if interrupted (for tests and budgets). */
  readonly stopAt?: number;
  /** Makes the progress display, given the first and last step (none by default). */
  readonly progress?: (start: number, total: number) => Progress;
  /** Called after every step. */
  readonly onStep?: (m: StepMetrics) => void;
  /** Score the result at the end (default true). */
  readonly evaluate?: boolean;
  /** Called before the result is scored (it takes a few seconds on MNIST). */
  readonly onEvaluate?: () => void;
  /** The file system the run directory is written through (default `node:fs`; tests pass one whose writes fail). */
  readonly fs?: RunFileSystem;
}

/**
 * What {@link runTraining} returns.
 *
 * @example
 * ```ts
 * import type { RunResult } from '@mnemo/models';
 * const done = (r: RunResult): boolean => !r.stopped && r.state.step === r.config.steps;
 * console.assert(typeof done === 'function');
 * ```
 * @category Training
 */
export interface RunResult<P extends Tree = Tree, C extends Tree = Tree, R extends JobResult = JobResult> {
  /** The configuration it ran with. */
  readonly config: RunConfig;
  /** The state at the end: after `config.steps` steps, or where it stopped. */
  readonly state: TrainState<P, C>;
  /** Whether it stopped before `config.steps` (signal or `stopAt`). */
  readonly stopped: boolean;
  /** The metrics of every step of this session. */
  readonly history: readonly StepMetrics[];
  /** The metrics of the whole run: those of earlier sessions (read back from `metrics.jsonl` when resuming), then this session's. */
  readonly metrics: readonly StepMetrics[];
  /** The final score, when evaluated (not when stopped early). */
  readonly test: R | null;
  /** Wall-clock seconds of this session's training steps (evaluation excluded). */
  readonly seconds: number;
  /** The run directory, if one was written. */
  readonly runDir: string | null;
  /** The number of scalar parameters. */
  readonly parameterCount: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Train a job. With `runDir` it writes `config.json` (rewritten on resume, so
 * a run extended with more steps says so), `metrics.jsonl` (every `logEvery`
 * steps and at the last), a checkpoint every `checkpointEvery` steps, at the
 * end and when stopped, and at the end `summary.json`, `summary.md`,
 * `loss.svg` and `accuracy.svg`; temporary files that a killed earlier
 * session left behind are removed first.
 *
 * A step whose loss, gradients, new parameters or optimizer state are not
 * finite is not applied: the loop saves the last finite state as the
 * checkpoint, writes the summary (status `diverged`) and throws a
 * {@link DivergedError} (or, with `setDebugNans(true)` of `@mnemo/autodiff`,
 * the `NonFiniteError` that names the primitive where the first NaN or
 * infinity appeared). A write that fails throws an `OutputError`; the
 * last good checkpoint stays as it was.
 *
 * @param job - the task's job.
 * @param options - where to write, where to start, when to stop, what to show.
 * @returns the state at the end, this session's metrics and the final score.
 * @throws {@link DivergedError} when a step is not finite; `OutputError` when the run directory cannot be written; `ArgumentError` for a `resume` state that does not fit the configuration.
 * @example
 * ```ts
 * import { runTraining, sequenceJob, resolveConfig, addingTask } from '@mnemo/models';
 * const config = resolveConfig('adding', { sequenceLength: 6, hidden: 8, steps: 30, batch: 16, lr: 0.01 });
 * const r = await runTraining(sequenceJob(config, addingTask({ steps: 6 })), { evaluate: false });
 * console.assert(r.state.step === 30 && r.history.length === 30 && !r.stopped);
 * console.assert(r.history[29]!.loss < r.history[0]!.loss);
 * ```
 * @category Training
 */
export async function runTraining<P extends Tree, B, C extends Tree, R extends JobResult>(
  job: TrainingJob<P, B, C, R>,
  options: RunOptions<P, C> = {},
): Promise<RunResult<P, C, R>> {
  const { config } = job;
  const { runDir, signal } = options;
  const fs = options.fs ?? nodeFs;
  const previousBackend = setBackend(config.backend);
  try {
    let state: TrainState<P, C>;
    let earlier: StepMetrics[] = [];
    if (options.resume !== undefined) {
      state = options.resume;
      if (!Number.isSafeInteger(state.step) || state.step < 0 || state.step > config.steps) {
        throw new ArgumentError('train', 'resume', `the state is at step ${state.step}, outside the run's [0, ${config.steps}]`);
      }
      const bad = firstBadEntry(state.params, 'params') ?? firstBadEntry(state.carry, 'carry');
      if (bad !== undefined) throw new ArgumentError('train', 'resume', `${bad.field} holds ${bad.value}: a run cannot continue from a state that is not finite`);
    } else {
      const params = job.init();
      state = { params, optState: job.optimizer.init(params), step: 0, carry: job.carry.initial() };
    }
    if (runDir !== undefined) {
      removeStaleTemporaryFiles(runDir, fs);
      writeJsonAtomic(join(runDir, RUN_FILES.config), config, fs);
      if (options.resume !== undefined) earlier = truncateMetrics(runDir, state.step, fs);
    }
    const total = config.steps;
    const stopAt = Math.min(options.stopAt ?? total, total);
    const step = trainingStep(job);
    const progress = state.step < total ? options.progress?.(state.step, total) : undefined;
    const history: StepMetrics[] = [];
    const recent: number[] = [];
    const t0 = performance.now();
    // A step that was not finite: refused by the step's own check, or found first by the debugging mode for non-finite values.
    let diverged: DivergedError | NonFiniteError | undefined;
    try {
      while (state.step < stopAt) {
        const s0 = performance.now();
        let r;
        try {
          r = step(state, job.batch(state.step));
        } catch (e) {
          if (!(e instanceof DivergedError) && !(e instanceof NonFiniteError)) throw e;
          diverged = e;
          break;
        }
        state = r.state;
        const validate = job.validation !== undefined && (state.step % job.validation.every === 0 || state.step === total);
        const validation = validate ? job.validation!.run(state.params) : undefined;
        const now = performance.now();
        recent.push(now - s0);
        if (recent.length > 20) recent.shift();
        const msPerStep = recent.reduce((a, b) => a + b, 0) / recent.length;
        const m: StepMetrics = {
          step: state.step,
          loss: r.loss,
          acc: r.acc,
          gradNorm: r.gradNorm,
          examplesPerSec: (1000 * job.examplesPerStep) / msPerStep,
          seconds: (now - t0) / 1000,
          ...(validation === undefined ? {} : { validation }),
        };
        history.push(m);
        if (runDir !== undefined) {
          if (state.step % config.logEvery === 0 || state.step === total) appendMetrics(runDir, { ...m }, fs);
          if (state.step % config.checkpointEvery === 0 && state.step < total) saveCheckpoint(runDir, state, config, fs);
        }
        progress?.update(state.step, m);
        options.onStep?.(m);
        await yieldToEventLoop();
        if (signal?.aborted === true) break;
      }
    } finally {
      progress?.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    const stopped = diverged === undefined && state.step < total;
    if (runDir !== undefined) saveCheckpoint(runDir, state, config, fs);
    const scoreTest = diverged === undefined && !stopped && (options.evaluate ?? true);
    if (scoreTest) options.onEvaluate?.();
    const test = scoreTest ? job.evaluate(state.params) : null;
    const parameterCount = tree.leaves(state.params).reduce((n, leaf) => n + leaf.size, 0);
    if (runDir !== undefined) {
      const s = summarize(
        {
          config,
          description: job.description,
          status: diverged !== undefined ? 'diverged' : stopped ? 'stopped' : 'finished',
          stepsDone: state.step,
          parameterCount,
          test,
          seconds,
          examples: history.length * job.examplesPerStep,
          backend: currentBackend().name,
          ...(job.baseline === undefined ? {} : { baseline: job.baseline }),
        },
        [...earlier, ...history],
      );
      await writeReport(runDir, s, [...earlier, ...history], job.describe === undefined ? undefined : (x: R) => job.describe!(x), fs);
    }
    if (diverged instanceof NonFiniteError) throw diverged;
    if (diverged !== undefined) {
      const where = runDir === undefined ? '' : `; ${RUN_FILES.checkpoint} holds the last finite state, after step ${state.step}`;
      throw new DivergedError(diverged.step, diverged.value, diverged.part, diverged.field, where);
    }
    return { config, state, stopped, history, metrics: [...earlier, ...history], test, seconds, runDir: runDir ?? null, parameterCount };
  } finally {
    setBackend(previousBackend);
  }
}
