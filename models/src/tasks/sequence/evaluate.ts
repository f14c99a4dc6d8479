/**
 * Scoring a model on a task's test set.
 *
 * @module
 */
import type { SequenceModel, SequenceModelParams } from './model.js';
import type { Task } from '../common/types.js';

/**
 * A model's score on a test set: the mean loss over examples, the fraction
 * right, and how many examples were scored.
 *
 * @example
 * ```ts
 * import type { EvalResult } from '@mnemo/models';
 * const r: EvalResult = { loss: 0.12, accuracy: 0.97, examples: 10000 };
 * console.assert(r.accuracy < 1);
 * ```
 * @category Training
 */
export interface EvalResult {
  /** Mean loss per example. */
  readonly loss: number;
  /** Fraction of examples right (see `Task.hits`). */
  readonly accuracy: number;
  /** Examples scored. */
  readonly examples: number;
}

/**
 * Score `params` on the task's whole test set, in batches of at most `batch`
 * examples (MNIST; the synthetic tasks use their own fixed batches). Runs
 * forward only: no tape is recorded.
 *
 * @example
 * ```ts
 * import { addingTask, evaluate, sequenceModel } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const task = addingTask({ steps: 6, testSize: 40 });
 * const m = sequenceModel({ inputSize: 2, outputSize: 1, projection: 0, cell: 'gru', hidden: 4, layers: 1 });
 * const r = evaluate(m, m.init(key(0)), task, 16);
 * console.assert(r.examples === 40 && r.loss > 0 && r.accuracy >= 0 && r.accuracy <= 1);
 * ```
 * @category Training
 */
export function evaluate(model: SequenceModel, params: SequenceModelParams, task: Task, batch: number): EvalResult {
  let loss = 0;
  let hits = 0;
  let examples = 0;
  for (const b of task.testBatches(batch)) {
    const out = model.apply(params, b.x);
    const n = b.x.shape[0]!;
    loss += task.loss(out, b.y).item() * n;
    hits += task.hits(out, b.y);
    examples += n;
  }
  return { loss: loss / examples, accuracy: hits / examples, examples };
}
