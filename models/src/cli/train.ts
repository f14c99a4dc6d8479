/**
 * `mnemo train <task>`: train a model on a task, write a run directory, print
 * the test score. `mnemo train --resume <run dir>` continues a stopped run.
 *
 * @module
 */
import { resolve } from 'node:path';
import { cellHelp } from '@mnemo/nn';
import { command, flag, option, optional, positional, string } from 'cmd-ts';
import * as E from 'fp-ts/lib/Either.js';
import { createProgress } from '../report/progress.js';
import { createRunDir } from '../report/rundir.js';
import { loadCheckpoint, loadRunConfig } from '../training/checkpoint.js';
import { Codecs, describeErrors, modelConfigOf, resolveConfig, type TrainConfig } from '../training/config.js';
import { runKeys, taskOf, train, type TrainResult } from '../training/loop.js';
import { summarize } from '../training/summary.js';
import { sequenceModel } from '../models/sequence-model.js';
import type { Task } from '../tasks/types.js';
import { EXIT, UsageError, progressOutput, type CliIo } from './io.js';
import { OptionTypes } from './types.js';

/** Options that shape the run; `--resume` takes them from the run's config.json instead. */
const RUN_OPTIONS = [
  'cell',
  'variant',
  'hidden',
  'layers',
  'projection',
  'projSize',
  'layerNorm',
  'forgetBias',
  'noFused',
  'batch',
  'lr',
  'optimizer',
  'clip',
  'clipValue',
  'seed',
  'dtype',
  'backend',
  'stepsPerSequence',
  'trainSize',
  'testSize',
  'logEvery',
  'checkpointEvery',
  'evalBatch',
] as const;

const flagName = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The options `mnemo train` (and `mnemo compare`) read. Every value is
 * decoded with an io-ts codec (see {@link OptionTypes}).
 *
 * @example
 * ```ts
 * import { trainArgs } from '@mnemo/models';
 * console.assert('cell' in trainArgs && 'resume' in trainArgs && 'json' in trainArgs);
 * ```
 * @category Command line
 */
export const trainArgs = {
  task: positional({ type: optional(OptionTypes.task), displayName: 'task', description: 'mnist (default), adding or temporal-order' }),
  cell: option({
    long: 'cell',
    type: optional(OptionTypes.cell),
    description: 'the cell: lstm (default), gru, rnn, mgu, mut1, mut2, mut3, variants joined with + (lstm+cifg); the list is above',
  }),
  variant: option({ long: 'variant', type: optional(string), description: 'variants of the cell, comma-separated (same as cell+variant)' }),
  hidden: option({ long: 'hidden', type: optional(OptionTypes.positiveInt), description: 'hidden units per layer (mnist 128, others 32)' }),
  layers: option({ long: 'layers', type: optional(OptionTypes.positiveInt), description: 'stacked recurrent layers (1)' }),
  projection: option({
    long: 'projection',
    type: optional(OptionTypes.nonNegativeInt),
    description: 'width of the dense input projection, 0 for none (mnist 128, others 0)',
  }),
  projSize: option({ long: 'proj-size', type: optional(OptionTypes.nonNegativeInt), description: 'LSTM: project the hidden state to this size (0: none)' }),
  layerNorm: flag({ long: 'layer-norm', description: 'LSTM: layer normalization' }),
  forgetBias: option({ long: 'forget-bias', type: optional(OptionTypes.finite), description: 'LSTM: initial forget-gate bias (1)' }),
  noFused: flag({ long: 'no-fused', description: 'run the tutorial LSTM step by step instead of its fused whole-sequence kernel' }),
  steps: option({ long: 'steps', type: optional(OptionTypes.positiveInt), description: 'training steps (mnist: 100,000 examples / batch = 781; others 2000)' }),
  batch: option({ long: 'batch', type: optional(OptionTypes.positiveInt), description: 'examples per step (mnist 128, others 64)' }),
  lr: option({ long: 'lr', type: optional(OptionTypes.lr), description: 'learning rate (mnist 0.001, others 0.005)' }),
  optimizer: option({
    long: 'optimizer',
    type: optional(OptionTypes.optimizer),
    description: 'sgd, momentum, nesterov, adam (default), adamw, rmsprop, adagrad',
  }),
  clip: option({ long: 'clip', type: optional(OptionTypes.positive), description: 'clip gradients to this global norm (mnist: none, others 1)' }),
  clipValue: option({ long: 'clip-value', type: optional(OptionTypes.positive), description: 'clip every gradient entry to [-x, x] (none)' }),
  seed: option({ long: 'seed', type: optional(OptionTypes.seed), description: 'random seed: parameters, data order, synthetic data (0)' }),
  dtype: option({ long: 'dtype', type: optional(OptionTypes.dtype), description: 'float32 (default) or float64' }),
  backend: option({ long: 'backend', type: optional(OptionTypes.backend), description: 'cpu (default) or gpujs' }),
  stepsPerSequence: option({
    long: 'steps-per-sequence',
    type: optional(OptionTypes.positiveInt),
    description: 'adding, temporal-order: time steps per sequence (100)',
  }),
  trainSize: option({ long: 'train-size', type: optional(OptionTypes.positiveInt), description: 'mnist: use only the first n training images' }),
  testSize: option({ long: 'test-size', type: optional(OptionTypes.positiveInt), description: 'test examples (mnist 10,000, others 2000)' }),
  logEvery: option({ long: 'log-every', type: optional(OptionTypes.positiveInt), description: 'a metrics.jsonl line every n steps (1)' }),
  checkpointEvery: option({ long: 'checkpoint-every', type: optional(OptionTypes.positiveInt), description: 'write a checkpoint every n steps (100)' }),
  evalBatch: option({ long: 'eval-batch', type: optional(OptionTypes.positiveInt), description: 'test batch size (mnist 1000)' }),
  out: option({ long: 'out', type: optional(string), description: 'folder for run directories (runs)' }),
  name: option({ long: 'name', type: optional(string), description: 'run directory name (<task>-<cell>, numbered if taken)' }),
  resume: option({ long: 'resume', type: optional(string), description: 'continue the run in this run directory from its last checkpoint' }),
  json: flag({ long: 'json', description: 'print the result as JSON on stdout (progress goes to stderr)' }),
};

/**
 * The decoded options of `mnemo train` (absent: not given).
 *
 * @example
 * ```ts
 * import type { TrainArgs } from '@mnemo/models';
 * const a: TrainArgs = { task: 'adding', cell: 'gru', steps: 100, json: true };
 * console.assert(a.cell === 'gru');
 * ```
 * @category Command line
 */
export interface TrainArgs {
  /** The task (positional). */
  readonly task?: TrainConfig['task'] | undefined;
  /** The cell name (positional for gradcheck). */
  readonly cell?: string | undefined;
  /** `--variant`. */
  readonly variant?: string | undefined;
  /** `--hidden`. */
  readonly hidden?: number | undefined;
  /** `--layers`. */
  readonly layers?: number | undefined;
  /** `--projection`. */
  readonly projection?: number | undefined;
  /** `--proj-size`. */
  readonly projSize?: number | undefined;
  /** `--layer-norm`. */
  readonly layerNorm?: boolean | undefined;
  /** `--forget-bias`. */
  readonly forgetBias?: number | undefined;
  /** `--no-fused`. */
  readonly noFused?: boolean | undefined;
  /** `--steps`. */
  readonly steps?: number | undefined;
  /** `--batch`. */
  readonly batch?: number | undefined;
  /** `--lr`. */
  readonly lr?: number | undefined;
  /** `--optimizer`. */
  readonly optimizer?: TrainConfig['optimizer'] | undefined;
  /** `--clip`. */
  readonly clip?: number | undefined;
  /** `--clip-value`. */
  readonly clipValue?: number | undefined;
  /** `--seed`. */
  readonly seed?: number | undefined;
  /** `--dtype`. */
  readonly dtype?: TrainConfig['dtype'] | undefined;
  /** `--backend`. */
  readonly backend?: TrainConfig['backend'] | undefined;
  /** `--steps-per-sequence`. */
  readonly stepsPerSequence?: number | undefined;
  /** `--train-size`. */
  readonly trainSize?: number | undefined;
  /** `--test-size`. */
  readonly testSize?: number | undefined;
  /** `--log-every`. */
  readonly logEvery?: number | undefined;
  /** `--checkpoint-every`. */
  readonly checkpointEvery?: number | undefined;
  /** `--eval-batch`. */
  readonly evalBatch?: number | undefined;
  /** `--out`. */
  readonly out?: string | undefined;
  /** `--name`. */
  readonly name?: string | undefined;
  /** `--resume`. */
  readonly resume?: string | undefined;
  /** `--json`. */
  readonly json?: boolean | undefined;
}

/** The cell name with `--variant` folded in, decoded by nn's parser. */
function cellOf(cell: string | undefined, variant: string | undefined): string | undefined {
  if (variant === undefined) return cell;
  const text = `${cell ?? 'lstm'} --variant ${variant}`;
  const r = Codecs.cell.decode(text);
  if (E.isLeft(r)) throw new UsageError(`--variant ${variant}: ${describeErrors(r.left).join('; ')}`);
  return r.right;
}

/**
 * The configuration the `mnemo train` options ask for (task defaults filled in).
 * Problems that involve several options throw a `UsageError` or `ArgumentError`.
 *
 * @example
 * ```ts
 * import { configFromArgs } from '@mnemo/models';
 * const c = configFromArgs('adding', { cell: 'gru', stepsPerSequence: 50, hidden: 32 });
 * console.assert(c.task === 'adding' && c.sequenceLength === 50 && c.cell === 'gru' && c.hidden === 32);
 * ```
 * @category Command line
 */
export function configFromArgs(task: TrainConfig['task'], a: TrainArgs): TrainConfig {
  const cell = cellOf(a.cell, a.variant);
  return resolveConfig(task, {
    ...(cell === undefined ? {} : { cell }),
    hidden: a.hidden,
    layers: a.layers,
    projection: a.projection,
    projSize: a.projSize,
    layerNorm: a.layerNorm === true ? true : undefined,
    forgetBias: a.forgetBias,
    fused: a.noFused === true ? false : undefined,
    steps: a.steps,
    batch: a.batch,
    lr: a.lr,
    optimizer: a.optimizer,
    clip: a.clip,
    clipValue: a.clipValue,
    seed: a.seed,
    dtype: a.dtype,
    backend: a.backend,
    sequenceLength: a.stepsPerSequence,
    trainSize: a.trainSize,
    testSize: a.testSize,
    logEvery: a.logEvery,
    checkpointEvery: a.checkpointEvery,
    evalBatch: a.evalBatch,
  });
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** Print the run's result and return the exit code. */
function report(io: CliIo, json: boolean, r: TrainResult, task: Task, signal: AbortSignal | undefined): number {
  const s = summarize(r, task, r.history);
  const interrupted = r.stopped && signal?.aborted === true;
  const code = !interrupted ? EXIT.ok : signal?.reason === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  if (json) {
    io.stdout(`${JSON.stringify({ ...s, runDir: r.runDir, exitCode: code }, null, 2)}\n`);
    return code;
  }
  if (r.stopped) {
    io.stderr(
      `stopped at step ${r.state.step} of ${r.config.steps}; checkpoint saved.\n` +
        (r.runDir === null ? '' : `resume with: mnemo train --resume ${r.runDir}\n`),
    );
    return code;
  }
  const last = s.train;
  if (last !== null) io.stdout(`training, last 50 steps: loss ${last.loss.toFixed(4)}, accuracy ${pct(last.accuracy)}\n`);
  if (r.test !== null) {
    io.stdout(`test accuracy: ${pct(r.test.accuracy)} (loss ${r.test.loss.toFixed(4)}, ${r.test.examples} examples)\n`);
    io.stdout(`ignoring the input (${task.baseline.what}): loss ${task.baseline.loss.toFixed(4)}, accuracy ${pct(task.baseline.accuracy)}\n`);
  }
  io.stdout(`${r.seconds.toFixed(1)} s of training, ${s.examplesPerSec.toFixed(0)} examples/s\n`);
  if (r.runDir !== null) io.stdout(`run directory: ${r.runDir} (summary.md, loss.svg, accuracy.svg, metrics.jsonl, checkpoint.json)\n`);
  return code;
}

/**
 * Run `mnemo train` with decoded arguments; returns the exit code.
 *
 * @example
 * ```ts
 * import { runTrain } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const out: string[] = [];
 * const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s), stdoutIsTTY: false, stderrIsTTY: false };
 * const code = await runTrain(io, { task: 'adding', stepsPerSequence: 5, hidden: 4, steps: 3, batch: 4, testSize: 10, out: mkdtempSync(`${tmpdir()}/r-`) });
 * console.assert(code === 0 && out.join('').includes('test accuracy'));
 * ```
 * @category Command line
 */
export async function runTrain(io: CliIo, a: TrainArgs): Promise<number> {
  const json = a.json === true;
  let config: TrainConfig;
  let runDir: string;
  let resumeState;
  if (a.resume !== undefined) {
    const given = RUN_OPTIONS.filter((k) => a[k] !== undefined && a[k] !== false);
    if (given.length > 0) {
      throw new UsageError(
        `${given.map(flagName).join(', ')} cannot be given with --resume: the run's config.json fixes ${given.length === 1 ? 'it' : 'them'} (only --steps may change, to train longer)`,
      );
    }
    if (a.out !== undefined || a.name !== undefined) throw new UsageError('--out and --name cannot be given with --resume: the run continues in its own directory');
    runDir = resolve(a.resume);
    const c = loadRunConfig(runDir);
    if (E.isLeft(c)) throw c.left;
    if (a.task !== undefined && a.task !== c.right.task) throw new UsageError(`the run in ${runDir} trains ${c.right.task}, not ${a.task}`);
    config = a.steps === undefined ? c.right : { ...c.right, steps: a.steps };
    const task = taskOf(config);
    const like = sequenceModel(modelConfigOf(config, task.inputSize, task.outputSize)).init(runKeys(config.seed).init);
    const s = loadCheckpoint(runDir, like, config.seed);
    if (E.isLeft(s)) throw s.left;
    if (s.right.step > config.steps) throw new UsageError(`the checkpoint is at step ${s.right.step}, beyond --steps ${config.steps}`);
    resumeState = s.right;
  } else {
    config = configFromArgs(a.task ?? 'mnist', a);
    runDir = createRunDir(a.out ?? 'runs', a.name ?? `${config.task}-${config.cell.replace(/\+/g, '-')}`);
  }
  const task = taskOf(config);
  const out = progressOutput(io, json);
  if (!json) {
    const m = config;
    io.stdout(
      `mnemo train ${task.name}: ${task.description}\n` +
        `model: ${m.projection > 0 ? `dense ${task.inputSize}->${m.projection}, ` : ''}${m.layers} x ${m.cell} ${m.hidden}${
          m.cell === 'lstm' && m.fused && m.projSize === 0 && !m.layerNorm ? ' (fused)' : ''
        }, dense ${m.hidden}->${task.outputSize}; ${m.optimizer} lr ${m.lr}, batch ${m.batch}, ${m.steps} steps, ${m.dtype}, backend ${m.backend}, seed ${m.seed}\n` +
        `${resumeState === undefined ? 'run directory' : `resuming at step ${resumeState.step} in`}: ${runDir}\n`,
    );
  }
  const r = await train({
    config,
    task,
    runDir,
    ...(resumeState === undefined ? {} : { resume: resumeState }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    progress: (start, total) => createProgress({ total, start, ...out }),
    onEvaluate: () => out.write(`scoring the ${task.testSize} test examples...\n`),
  });
  return report(io, json, r, task, io.signal);
}

/**
 * The `mnemo train` command (cmd-ts), writing through `io`. Its handler
 * resolves to the exit code.
 *
 * @example
 * ```ts
 * import { trainCommand } from '@mnemo/models';
 * const cmd = trainCommand({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false });
 * console.assert(cmd.name === 'train');
 * ```
 * @category Command line
 */
export function trainCommand(io: CliIo) {
  return command({
    name: 'train',
    description:
      'Train a model on a task and write a run directory (config.json, metrics.jsonl, checkpoint.json, summary.md, loss.svg, accuracy.svg).\n' +
      'Without options, `mnemo train mnist` is the tutorial: MNIST row by row, dense 28->128, LSTM 128, dense 128->10, Adam 0.001, batch 128, 781 steps, float32.\n' +
      'Ctrl-C saves a checkpoint and exits with 130; `mnemo train --resume <run dir>` continues it exactly.\n\n' +
      cellHelp(),
    args: trainArgs,
    handler: (a) => runTrain(io, a),
  });
}
