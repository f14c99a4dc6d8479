/**
 * The configuration of a training run: every choice that decides its result,
 * with defaults per task, an io-ts codec (a run directory's `config.json` is
 * decoded with it, so a damaged or hand-edited file is rejected with a report
 * naming each bad field), and the conversion to the model and optimizer.
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';
import { adagrad, adam, adamw, cellFamily, rmsprop, sgd, type Optimizer } from '@mnemo/nn';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Codecs, RunConfigProps, describeErrors, errorField, fieldsOf, oneOf } from '../../training/codecs.js';
import { TASK_NAMES, type TaskName } from '../common/types.js';
import type { SequenceModelConfig } from './model.js';

// -------------------------------------------------------------------------------------
// the configuration
// -------------------------------------------------------------------------------------

const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null]);

/**
 * The io-ts codec of a resolved {@link TrainConfig}, as `config.json` holds it.
 * The codec strips unknown fields; {@link decodeConfig} reports them, so a typo
 * in a hand-written config is caught.
 *
 * @example
 * ```ts
 * import { TrainConfigCodec, defaultConfig } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const c = defaultConfig('adding');
 * console.assert(E.isRight(TrainConfigCodec.decode(c)));
 * console.assert(E.isLeft(TrainConfigCodec.decode({ ...c, hidden: -1 })));
 * ```
 * @category Training
 */
export const TrainConfigCodec = t.exact(
  t.intersection([
    t.type({
      ...RunConfigProps,
      task: oneOf<TaskName>(TASK_NAMES),
      sequenceLength: Codecs.positiveInt,
      trainSize: nullable(Codecs.positiveInt),
      testSize: nullable(Codecs.positiveInt),
      cell: Codecs.cell,
      hidden: Codecs.positiveInt,
      layers: Codecs.positiveInt,
      projection: Codecs.nonNegativeInt,
      projSize: Codecs.nonNegativeInt,
      layerNorm: t.boolean,
      forgetBias: nullable(Codecs.finite),
      fused: t.boolean,
      batch: Codecs.positiveInt,
      lr: Codecs.positive,
      optimizer: Codecs.optimizer,
      clip: nullable(Codecs.positive),
      clipValue: nullable(Codecs.positive),
      dtype: Codecs.dtype,
      evalBatch: Codecs.positiveInt,
    }),
    // A user's cell, loaded from a module file (`--cell ./janet.ts`): the module's absolute path.
    t.partial({ cellModule: Codecs.cellModule }),
  ]),
);

/**
 * Everything that decides a run's result:
 *
 * - the task: `task`, `sequenceLength` (28 for MNIST), `trainSize` and
 *   `testSize` (null: the whole split, or the task's default);
 * - the model: `cell` (canonical name, e.g. `lstm+cifg`), `hidden`, `layers`,
 *   `projection` (dense input projection width, 0 for none), the LSTM options
 *   `projSize`, `layerNorm`, `forgetBias` (null: nn's default, 1), and
 *   `fused` (compile the recurrent layers' scan, the default; false runs them on the tape),
 *   and for a user's cell `cellModule`, the absolute path of the module it
 *   was loaded from (`--cell ./janet.ts`);
 * - training: `steps`, `batch`, `lr`, `optimizer`, `clip` (global-norm bound
 *   or null), `clipValue` (elementwise bound or null), `seed`, `dtype`, `backend`;
 * - bookkeeping: `logEvery` (metrics line every this many steps),
 *   `checkpointEvery`, `evalBatch` (test batch size).
 *
 * @example
 * ```ts
 * import { defaultConfig, type TrainConfig } from '@mnemo/models';
 * const c: TrainConfig = defaultConfig('mnist');
 * console.assert(c.steps === 781 && c.batch === 128 && c.hidden === 128 && c.projection === 128 && c.lr === 0.001);
 * ```
 * @category Training
 */
export type TrainConfig = t.TypeOf<typeof TrainConfigCodec>;

/**
 * The tutorial's budget: 100,000 training examples, so `floor(100000 / batch)`
 * steps (781 at batch 128).
 *
 * @example
 * ```ts
 * import { MNIST_TRAIN_EXAMPLES } from '@mnemo/models';
 * console.assert(Math.floor(MNIST_TRAIN_EXAMPLES / 128) === 781);
 * ```
 * @category Training
 */
export const MNIST_TRAIN_EXAMPLES = 100_000;

/**
 * The default configuration of a task. For MNIST it is the tutorial's run:
 * projection 28 -> 128, LSTM 128, Adam 0.001, batch 128, 781 steps, float32.
 * For the long-time-lag tasks: sequences of 100 steps, no projection, one
 * layer of 32 units, Adam 0.005, batch 64, gradient clipping at norm 1, 2000
 * steps. Measured on the adding problem with 100 steps (seed 0, 2-core
 * machine): the LSTM's loss falls below a tenth of the constant predictor's
 * after about 1,200-1,600 steps (seeds 0-2), the GRU's after about 470, and
 * the simple RNN's not at all; with Adam 0.001 the LSTM needed 2,500-2,900.
 * Temporal order (Hochreiter & Schmidhuber's experiment 6a, 100 steps) gets
 * 6000 steps and an LSTM forget-gate bias of {@link TEMPORAL_ORDER_FORGET_BIAS}:
 * measured (seeds 0, 1, 2), the mean batch loss of 50 steps fell below a tenth
 * of chance's after 722, 2946 and 2575 steps, and each run ended at 100% test
 * accuracy (2.5 to 4.5 minutes of training on the busy 2-core machine).
 *
 * @example
 * ```ts
 * import { defaultConfig } from '@mnemo/models';
 * const c = defaultConfig('adding');
 * console.assert(c.sequenceLength === 100 && c.projection === 0 && c.cell === 'lstm');
 * ```
 * @category Training
 */
export function defaultConfig(task: TaskName): TrainConfig {
  const common = {
    version: 1 as const,
    task,
    trainSize: null,
    testSize: null,
    cell: 'lstm',
    layers: 1,
    projSize: 0,
    layerNorm: false,
    forgetBias: null,
    fused: true,
    lr: 0.001,
    optimizer: 'adam' as const,
    clipValue: null,
    seed: 0,
    dtype: 'float32' as const,
    backend: 'cpu' as const,
    checkpointEvery: 100,
  };
  if (task === 'mnist') {
    return {
      ...common,
      sequenceLength: 28,
      hidden: 128,
      projection: 128,
      steps: Math.floor(MNIST_TRAIN_EXAMPLES / 128),
      batch: 128,
      clip: null,
      logEvery: 1,
      evalBatch: 1000,
    };
  }
  return {
    ...common,
    sequenceLength: 100,
    hidden: 32,
    projection: 0,
    steps: task === 'temporal-order' ? 6000 : 2000,
    batch: 64,
    lr: 0.005,
    clip: 1,
    logEvery: 1,
    evalBatch: 250,
    // A forget gate that starts at sigmoid(1) = 0.73 keeps a symbol for a few steps, not the 40 to 100 of temporal order.
    ...(task === 'temporal-order' ? { forgetBias: TEMPORAL_ORDER_FORGET_BIAS } : {}),
  };
}

/**
 * The initial forget-gate bias of an LSTM on temporal order (5: the gate
 * starts at sigmoid(5) = 0.993, so a symbol seen 90 steps before the end is
 * still about half there). With nn's default, 1, the LSTM did not learn the
 * task at 100 steps in 6000 steps (seed 0); with 5 it did for seeds 0, 1 and 2.
 *
 * @example
 * ```ts
 * import { TEMPORAL_ORDER_FORGET_BIAS, defaultConfig } from '@mnemo/models';
 * console.assert(defaultConfig('temporal-order').forgetBias === TEMPORAL_ORDER_FORGET_BIAS && defaultConfig('adding').forgetBias === null);
 * ```
 * @category Training
 */
export const TEMPORAL_ORDER_FORGET_BIAS = 5;

/**
 * Fill in a configuration: the task's defaults, then `overrides`. For MNIST, a
 * batch size given without steps keeps the tutorial's 100,000 examples. The
 * result is checked with {@link TrainConfigCodec}; a bad value throws an
 * `ArgumentError` naming the field and what it accepts.
 *
 * @example
 * ```ts
 * import { resolveConfig } from '@mnemo/models';
 * const c = resolveConfig('mnist', { batch: 64, cell: 'GRU' });
 * console.assert(c.steps === 1562 && c.cell === 'gru');
 * let msg = '';
 * try { resolveConfig('adding', { optimizer: 'adma' as never }); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('optimizer') && msg.includes('adamw'));
 * ```
 * @category Training
 */
export function resolveConfig(task: TaskName, overrides: Partial<Omit<TrainConfig, 'version' | 'task'>> = {}): TrainConfig {
  if (!TASK_NAMES.includes(task)) {
    throw new ArgumentError('resolveConfig', 'task', `unknown task '${String(task)}'; known tasks: ${TASK_NAMES.join(', ')}`);
  }
  const base = defaultConfig(task);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const merged: Record<string, unknown> = { ...base, ...defined };
  // A task's default forget-gate bias is for its LSTM; another cell has no forget gate to bias.
  if (overrides.forgetBias === undefined && typeof merged['cell'] === 'string' && !/^lstm\b/i.test(merged['cell'].trim())) merged['forgetBias'] = null;
  if (task === 'mnist' && overrides.steps === undefined && overrides.batch !== undefined) {
    merged['steps'] = Math.max(1, Math.floor(MNIST_TRAIN_EXAMPLES / overrides.batch));
  }
  return decodeConfig(merged, 'resolveConfig');
}

/**
 * Decode a configuration (from `config.json`, say) with {@link TrainConfigCodec}
 * and check what the codec cannot (MNIST has 28 steps; the projection size
 * of an LSTM only with an LSTM). Throws an `ArgumentError` listing every problem.
 *
 * @example
 * ```ts
 * import { decodeConfig, defaultConfig } from '@mnemo/models';
 * let msg = '';
 * try { decodeConfig({ ...defaultConfig('adding'), lr: 0, batch: 'x' }); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('lr') && msg.includes('batch'));
 * ```
 * @category Training
 */
export function decodeConfig(u: unknown, op = 'decodeConfig'): TrainConfig {
  const r = TrainConfigCodec.decode(u);
  const problems = E.isLeft(r) ? describeErrors(r.left) : [];
  let field = E.isLeft(r) && r.left.length > 0 ? errorField(r.left[0]!) : '';
  // t.exact drops unknown fields silently; report them.
  if (u !== null && typeof u === 'object') {
    const known = fieldsOf(TrainConfigCodec.type);
    for (const k of Object.keys(u)) {
      if (known.includes(k)) continue;
      problems.push(`${k}: unknown field (known: ${known.join(', ')})`);
      field ||= k;
    }
  }
  if (E.isRight(r)) {
    const c = r.right;
    if (c.task === 'mnist' && c.sequenceLength !== 28) problems.push(`sequenceLength: mnist has 28 rows per image, got ${c.sequenceLength}`);
    if (c.task !== 'mnist' && c.trainSize !== null) problems.push(`trainSize: ${c.task} draws new sequences every step, so it takes no training set size`);
    const family = c.cell.split('+')[0]!;
    if (c.cellModule !== undefined && cellFamily(family)?.builtin === true) problems.push(`cellModule: the cell ${c.cell} is built in; cellModule names the module of a user's cell`);
    if (family !== 'lstm') {
      if (c.projSize !== 0) problems.push(`projSize: only an LSTM has a projection of its hidden state, the cell is ${c.cell}`);
      if (c.layerNorm) problems.push(`layerNorm: only the LSTM has layer normalization here, the cell is ${c.cell}`);
      if (c.forgetBias !== null) problems.push(`forgetBias: only an LSTM has a forget-gate bias option, the cell is ${c.cell}`);
    }
    if (c.task === 'mnist' && c.trainSize !== null && c.trainSize > 60_000) problems.push(`trainSize: MNIST has 60,000 training images, got ${c.trainSize}`);
    if (c.task === 'mnist' && c.testSize !== null && c.testSize > 10_000) problems.push(`testSize: MNIST has 10,000 test images, got ${c.testSize}`);
    if (c.task === 'mnist' && c.trainSize !== null && c.batch > c.trainSize) {
      problems.push(`batch: ${c.batch} is larger than the training set (trainSize ${c.trainSize})`);
    }
    if (problems.length === 0) return c;
  }
  field ||= /^(\w+): /.exec(problems[0] ?? '')?.[1] ?? 'config';
  throw new ArgumentError(op, field, `invalid configuration:\n  ${problems.join('\n  ')}`);
}

// -------------------------------------------------------------------------------------
// from a configuration to the parts
// -------------------------------------------------------------------------------------

/**
 * The model part of a configuration, for `sequenceModel`, given the task's
 * input and output sizes.
 *
 * @example
 * ```ts
 * import { defaultConfig, modelConfigOf } from '@mnemo/models';
 * const m = modelConfigOf(defaultConfig('mnist'), 28, 10);
 * console.assert(m.projection === 128 && m.hidden === 128 && m.cell === 'lstm');
 * ```
 * @category Training
 */
export function modelConfigOf(c: TrainConfig, inputSize: number, outputSize: number): SequenceModelConfig {
  return {
    inputSize,
    outputSize,
    projection: c.projection,
    cell: c.cell,
    hidden: c.hidden,
    layers: c.layers,
    dtype: c.dtype,
    fused: c.fused,
    ...(c.projSize === 0 ? {} : { projSize: c.projSize }),
    ...(c.layerNorm ? { layerNorm: true } : {}),
    ...(c.forgetBias === null ? {} : { forgetBias: c.forgetBias }),
  };
}

/**
 * The optimizer a configuration names, with its learning rate.
 *
 * @example
 * ```ts
 * import { defaultConfig, optimizerOf } from '@mnemo/models';
 * const o = optimizerOf({ ...defaultConfig('adding'), optimizer: 'nesterov', lr: 0.01 });
 * console.assert(o.name === 'sgd' && o.config['nesterov'] === true && o.config['lr'] === 0.01);
 * ```
 * @category Training
 */
export function optimizerOf(c: Pick<TrainConfig, 'optimizer' | 'lr'>): Optimizer {
  const lr = c.lr;
  switch (c.optimizer) {
    case 'sgd':
      return sgd({ lr });
    case 'momentum':
      return sgd({ lr, momentum: 0.9 });
    case 'nesterov':
      return sgd({ lr, momentum: 0.9, nesterov: true });
    case 'adam':
      return adam({ lr });
    case 'adamw':
      return adamw({ lr });
    case 'rmsprop':
      return rmsprop({ lr });
    case 'adagrad':
      return adagrad({ lr });
  }
}
