/**
 * What the one training loop trains: a {@link TrainingJob} says how to start
 * (parameters, optimizer), what each step computes (its batch, its loss), and
 * how to score the result. Every task (MNIST, adding, temporal order, the
 * character LM, seq2seq) is a job; the loop, checkpoints, resuming, Ctrl-C,
 * metrics, progress and the run's summary are the same code for all.
 *
 * @module
 */
import type { Tensor } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import type { Optimizer } from '@mnemo/nn';
import type { RunConfig } from './codecs.js';

/**
 * The carry a task passes from one step to the next: where it starts (`initial`)
 * and at which steps it starts over (`resetAt`, e.g. at the start of each
 * epoch of the character LM's text). {@link NO_CARRY} for tasks whose steps
 * are independent.
 *
 * @example
 * ```ts
 * import type { Carry } from '@mnemo/models';
 * import { zeros, type Tensor } from '@mnemo/core';
 * const c: Carry<Tensor> = { initial: () => zeros([2, 3]), resetAt: (step) => step % 10 === 0 };
 * console.assert(c.resetAt(20) && !c.resetAt(21));
 * ```
 * @category Training
 */
export interface Carry<C extends Tree> {
  /** The carry before the first step, and after each reset. */
  initial(): C;
  /** Whether step `step` (counted from 0) starts from `initial()` instead of the previous step's carry. */
  resetAt(step: number): boolean;
}

/**
 * The carry of tasks whose steps are independent: always `[]`.
 *
 * @example
 * ```ts
 * import { NO_CARRY } from '@mnemo/models';
 * console.assert(Array.isArray(NO_CARRY.initial()) && NO_CARRY.resetAt(0));
 * ```
 * @category Training
 */
export const NO_CARRY: Carry<readonly []> = Object.freeze({ initial: (): readonly [] => [], resetAt: () => true });

/**
 * A periodic score during training, such as the character LM's validation
 * bits per character: `run` every `every` steps and at the last step; its
 * numbers go into that step's metrics line under `validation`.
 *
 * @example
 * ```ts
 * import type { Validation } from '@mnemo/models';
 * const v: Validation<unknown> = { every: 100, run: () => ({ bpc: 2.4 }) };
 * console.assert(v.every === 100);
 * ```
 * @category Training
 */
export interface Validation<P> {
  /** Run every this many steps (and at the last). */
  readonly every: number;
  /** The scores, by name. */
  run(params: P): Readonly<Record<string, number>>;
}

/**
 * A job's final score and how to show it: `loss` (a non-finite one makes
 * `mnemo eval` exit 4), `accuracy` in [0, 1], and any other numbers.
 *
 * @example
 * ```ts
 * import type { JobResult } from '@mnemo/models';
 * const r: JobResult = { loss: 0.12, accuracy: 0.97 };
 * console.assert(r.accuracy < 1);
 * ```
 * @category Training
 */
export interface JobResult {
  /** The mean loss on the test (or validation) data. */
  readonly loss: number;
  /** The fraction right, in [0, 1]. */
  readonly accuracy: number;
}

/**
 * Everything the training loop needs to know about a task. Batches must be a
 * pure function of the step (and the seed the job was built with), so that a
 * run stopped and resumed sees exactly the batches an uninterrupted one sees;
 * `objective` must be differentiable in the parameters and pure.
 *
 * One step is:
 *
 * ```text
 * carry  = resetAt(step) ? initial() : previous carry
 * [[loss, {acc, carry}], grads] = valueAndGrad(objective)(params, batch(step), carry)
 * grads  = clip(grads)                                (clip, clipValue)
 * [params, optState] = optimizer.update(grads, optState, params)
 * ```
 *
 * @example
 * ```ts
 * import { NO_CARRY, runTraining, type TrainingJob } from '@mnemo/models';
 * import { sum, mul, sub } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * import { sgd } from '@mnemo/nn';
 * // Fit w to 3 by gradient descent on (w - 3)^2.
 * const job: TrainingJob<{ w: Tensor }, null, readonly []> = {
 *   config: { version: 1, task: 'toy', steps: 50, seed: 0, logEvery: 1, checkpointEvery: 10, backend: 'cpu' },
 *   description: 'fit one number', examplesPerStep: 1,
 *   init: () => ({ w: tensor([0]) }), optimizer: sgd({ lr: 0.1 }), clip: null, clipValue: null,
 *   batch: () => null, carry: NO_CARRY,
 *   objective: (p, _b, carry) => { const d = sub(p.w, 3); return [sum(mul(d, d)), { acc: 0, carry }]; },
 *   evaluate: (p) => ({ loss: (p.w.item() - 3) ** 2, accuracy: 0 }),
 * };
 * const r = await runTraining(job);
 * console.assert(Math.abs(r.state.params.w.item() - 3) < 1e-3 && r.test!.loss < 1e-6);
 * ```
 * @category Training
 */
export interface TrainingJob<P extends Tree = Tree, B = unknown, C extends Tree = Tree, R extends JobResult = JobResult> {
  /** The run's configuration, as `config.json` holds it. */
  readonly config: RunConfig;
  /** The task in one line. */
  readonly description: string;
  /** Examples (or characters) one step reads, for the throughput display. */
  readonly examplesPerStep: number;
  /** Fresh parameters, drawn from the run's seed. */
  init(): P;
  /** The optimizer. */
  readonly optimizer: Optimizer;
  /** Clip the gradients to this global norm (null: no clipping). */
  readonly clip: number | null;
  /** Clip every gradient entry to [-x, x] (null: no clipping). */
  readonly clipValue: number | null;
  /** The batch of step `step` (counted from 0). */
  batch(step: number): B;
  /** What a step passes to the next. */
  readonly carry: Carry<C>;
  /** The differentiable loss of a batch, the batch's accuracy, and the carry for the next step. */
  objective(params: P, batch: B, carry: C): readonly [Tensor, { readonly acc: number; readonly carry: C }];
  /** A periodic score during training, if any. */
  readonly validation?: Validation<P>;
  /** The final score (after the last step, or of a checkpoint). */
  evaluate(params: P): R;
  /** What ignoring the input scores, for the report (loss and accuracy) and the plots. */
  readonly baseline?: { readonly loss: number; readonly accuracy: number; readonly what: string };
  /** The result as lines of Markdown for `summary.md` (and the command line's output). */
  describe?(result: R): string;
}
