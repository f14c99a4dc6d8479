/**
 * The errors of training: a run that diverged, and a run directory or
 * checkpoint that cannot be used.
 *
 * @module
 */
import { MnemoError } from '@mnemo/core';

/**
 * What became non-finite in a step that diverged: the batch's `loss`, the
 * `gradients`, the new `parameters` or the new `optimizer state`; or the
 * `test loss` of a model scored after training.
 *
 * @example
 * ```ts
 * import type { DivergedPart } from '@mnemo/models';
 * const p: DivergedPart = 'parameters';
 * console.assert(p === 'parameters');
 * ```
 * @category Training
 */
export type DivergedPart = 'loss' | 'gradients' | 'parameters' | 'optimizer state' | 'carried state' | 'test loss';

/**
 * A training step produced a value that is not finite (NaN or infinite).
 * The step is not applied and nothing of it is saved: the run keeps the state
 * before it (`step - 1` steps), which is the last checkpoint written. The
 * command line exits with 4.
 *
 * @example
 * ```ts
 * import { DivergedError } from '@mnemo/models';
 * const e = new DivergedError(12, NaN);
 * console.assert(e.step === 12 && e.part === 'loss' && e.message.includes('the loss is NaN'));
 * const p = new DivergedError(3, Infinity, 'parameters', 'params.head.w');
 * console.assert(p.field === 'params.head.w' && p.message.includes('params.head.w'));
 * ```
 * @category Training
 */
export class DivergedError extends MnemoError {
  /** The step that was not applied (counted from 1). */
  readonly step: number;
  /** What was not finite. */
  readonly part: DivergedPart;
  /** The first offending value. */
  readonly value: number;
  /** Where, for parameters and optimizer state (`params.rnn[0].fwd.wx`). */
  readonly field: string | undefined;
  constructor(step: number, value: number, part: DivergedPart = 'loss', field?: string, note = '') {
    if (part === 'test loss') {
      super('evaluate', part, `the test loss of the checkpoint at step ${step} is ${value}: the model's outputs overflow${note}`);
    } else {
      const what =
        part === 'loss'
          ? `the loss is ${value}`
          : part === 'gradients'
            ? `the gradients are not finite (their global norm is ${value})`
            : `the new ${part} would hold ${value}${field === undefined ? '' : ` (in ${field})`}`;
      super('train', part, `step ${step} was not applied: ${what}${note}; training diverged: try a smaller --lr, or clip the gradients (--clip)`);
    }
    this.step = step;
    this.part = part;
    this.value = value;
    this.field = field;
  }
}

/**
 * A problem with a run directory: missing, not a run, a configuration that does
 * not decode, or a checkpoint that is damaged, holds values that are not
 * finite or out of range, or does not fit the model. `field` names the field
 * at fault when there is one (`metadata.step`, `optimizer.slots.v`). The
 * command line exits with 3.
 *
 * @example
 * ```ts
 * import { RunDirError } from '@mnemo/models';
 * const e = new RunDirError('/runs/x', 'has no config.json');
 * console.assert(e.dir === '/runs/x' && e.message.includes('has no config.json') && e.field === undefined);
 * ```
 * @category Training
 */
export class RunDirError extends MnemoError {
  /** The run directory at fault. */
  readonly dir: string;
  /** The field at fault, when one is. */
  readonly field: string | undefined;
  constructor(dir: string, detail: string, op = 'loadRun', field?: string) {
    super(op, 'runDir', `${dir}: ${detail}`);
    this.dir = dir;
    this.field = field;
  }
}
