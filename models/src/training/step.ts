/**
 * The one training step every task takes: the loss and its gradients, the
 * clipping, the optimizer's update, and the check that nothing it produced
 * is NaN or infinite (a step that produced such a value is refused, so the
 * state before it stays the run's state).
 *
 * @module
 */
import type { Tensor } from '@mnemo/core';
import { stopGradient, valueAndGrad, type Tree } from '@mnemo/autodiff';
import { clipByGlobalNorm, clipByValue, globalNorm } from '@mnemo/nn';
import { DivergedError } from './errors.js';
import type { TrainingJob } from './job.js';
import { firstBadEntry, type TrainState } from './state.js';

/**
 * What one step measured, besides the state it led to.
 *
 * @example
 * ```ts
 * import type { StepOutcome } from '@mnemo/models';
 * const show = (o: StepOutcome<never, never>) => `${o.state.step}: ${o.loss.toFixed(3)}`;
 * console.assert(typeof show === 'function');
 * ```
 * @category Training
 */
export interface StepOutcome<P extends Tree, C extends Tree> {
  /** The state after the step. */
  readonly state: TrainState<P, C>;
  /** The batch's loss. */
  readonly loss: number;
  /** The batch's accuracy. */
  readonly acc: number;
  /** The global norm of the gradients, before clipping. */
  readonly gradNorm: number;
}

/**
 * The training step of a job: maps a state and the step's batch to the next
 * state and what the step measured. Pure: the inputs are not modified. The
 * carry the objective starts from is `job.carry.initial()` at the steps where
 * the job resets it, else the state's carry.
 *
 * A step whose loss, gradients (their global norm), new parameters or new
 * optimizer state hold a value that is not finite is refused with a
 * {@link DivergedError} naming what and where; nothing of it is returned.
 *
 * @param job - the objective, optimizer, clipping and carry of the task.
 * @returns the step function.
 * @throws {@link DivergedError} from the step function, for a step that is not finite.
 * @example
 * ```ts
 * import { addingTask, sequenceJob, resolveConfig, trainingStep } from '@mnemo/models';
 * const job = sequenceJob(resolveConfig('adding', { sequenceLength: 5, hidden: 4, batch: 8 }), addingTask({ steps: 5 }));
 * const step = trainingStep(job);
 * const params = job.init();
 * const r = step({ params, optState: job.optimizer.init(params), step: 0, carry: [] }, job.batch(0));
 * console.assert(r.state.step === 1 && Number.isFinite(r.loss) && r.gradNorm > 0);
 * ```
 * @category Training
 */
export function trainingStep<P extends Tree, B, C extends Tree>(
  job: Pick<TrainingJob<P, B, C, never>, 'objective' | 'optimizer' | 'clip' | 'clipValue' | 'carry'>,
): (state: TrainState<P, C>, batch: B) => StepOutcome<P, C> {
  return (state, batch) => {
    const n = state.step + 1;
    const carryIn = job.carry.resetAt(state.step) ? job.carry.initial() : state.carry;
    // The batch enters by closure (it need not be a pytree); only the parameters (argument 0) are differentiated.
    const objective = (params: Tree, carry: Tree): readonly [Tensor, { readonly acc: number; readonly carry: C }] => job.objective(params as P, batch, carry as C);
    const [[lossTensor, aux], g0] = valueAndGrad(objective, { hasAux: true })(state.params, carryIn);
    const loss = lossTensor.item();
    if (!Number.isFinite(loss)) throw new DivergedError(n, loss, 'loss');
    let grads = g0 as P;
    let gradNorm: number;
    if (job.clip !== null) [grads, gradNorm] = clipByGlobalNorm(grads, job.clip);
    else gradNorm = globalNorm(grads);
    if (!Number.isFinite(gradNorm)) throw new DivergedError(n, gradNorm, 'gradients');
    if (job.clipValue !== null) grads = clipByValue(grads, job.clipValue);
    const [params, optState] = job.optimizer.update(grads, state.optState, state.params);
    const badParam = firstBadEntry(params, 'params');
    if (badParam !== undefined) throw new DivergedError(n, badParam.value, 'parameters', badParam.field);
    for (const [slot, value] of Object.entries(optState.slots)) {
      const bad = firstBadEntry(value, `optimizer.slots.${slot}`);
      if (bad !== undefined) throw new DivergedError(n, bad.value, 'optimizer state', bad.field);
    }
    const carry = stopGradient(aux.carry);
    const badCarry = firstBadEntry(carry, 'carry');
    if (badCarry !== undefined) throw new DivergedError(n, badCarry.value, 'carried state', badCarry.field);
    return { state: { params, optState, step: n, carry }, loss, acc: aux.acc, gradNorm };
  };
}
