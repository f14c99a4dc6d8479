/**
 * `mnemo train <task>`: train any task (mnist, adding, temporal-order,
 * charlm, seq2seq) through the one training loop, write a run directory,
 * print the result. `mnemo train --resume <run dir>` continues any stopped
 * run exactly. One option table serves every task; an option that does not
 * apply to the task is refused by name.
 *
 * @module
 */
import { resolve } from 'node:path';
import { setDebugNans, type Tree } from '@mnemo/autodiff';
import { ArgumentError, currentBackend, type DType } from '@mnemo/core';
import * as E from 'fp-ts/lib/Either.js';
import { jsonText } from '../report/json.js';
import { createProgress } from '../report/progress.js';
import { OutputError, createRunDir } from '../report/rundir.js';
import { CHARLM_DEFAULTS, decodeCharLmConfig } from '../tasks/charlm/job.js';
import { TASK_NAMES, type TaskName } from '../tasks/common/types.js';
import { RUN_TASKS, jobOf, openRun, type AnyRunConfig, type RunTaskName } from '../tasks/registry.js';
import { SEQ2SEQ_DEFAULTS, decodeSeq2seqConfig } from '../tasks/seq2seq/job.js';
import { Codecs, describeErrors, type BackendName, type OptimizerName } from '../training/codecs.js';
import { resolveConfig, type TrainConfig } from '../tasks/sequence/config.js';
import type { JobResult, TrainingJob } from '../training/job.js';
import { runTraining, type RunResult } from '../training/loop.js';
import { summarize } from '../training/summary.js';
import type { TrainState } from '../training/state.js';
import { loadRecordedCell, resolveCliModuleCell } from './cells.js';
import { EXIT, UsageError, progressOutput, type CliIo } from './io.js';
import { checkMemory } from './limits.js';
import type { ArgsSpec, OptionSpec } from './parse.js';
import { OptionTypes } from './types.js';

const SEQ: readonly RunTaskName[] = TASK_NAMES;
const ALL: readonly RunTaskName[] = RUN_TASKS;
const TEXT: readonly RunTaskName[] = ['charlm', 'seq2seq'];

/**
 * An option of `mnemo train`: which tasks it applies to, and the
 * configuration field it sets (when not its key).
 *
 * @example
 * ```ts
 * import { TRAIN_OPTIONS } from '@mnemo/models';
 * const chunk = TRAIN_OPTIONS.find((o) => o.flag === '--chunk')!;
 * console.assert(chunk.tasks.join() === 'charlm');
 * ```
 * @category Command line
 */
export interface TrainOption extends OptionSpec {
  /** The tasks it applies to. */
  readonly tasks: readonly RunTaskName[];
  /** The configuration field it sets (default: its key); absent for options that shape no configuration. */
  readonly field?: string | null;
}

/**
 * Every option of `mnemo train`, for every task. Defaults differ by task;
 * each option's help gives them.
 *
 * @example
 * ```ts
 * import { TRAIN_OPTIONS } from '@mnemo/models';
 * console.assert(TRAIN_OPTIONS.some((o) => o.flag === '--steps-per-sequence') && TRAIN_OPTIONS.every((o) => o.flag.startsWith('--')));
 * ```
 * @category Command line
 */
export const TRAIN_OPTIONS: readonly TrainOption[] = [
  { flag: '--cell', key: 'cell', type: OptionTypes.cell, tasks: ALL, help: "the cell: lstm (default), gru, rnn, mgu, mut1, mut2, mut3, variants joined with + (lstm+cifg), or your own cell's module file (./janet.ts); see above" },
  { flag: '--variant', key: 'variant', type: OptionTypes.variant, tasks: ALL, help: 'variants of the cell, comma-separated (same as cell+variant)', field: 'cell' },
  { flag: '--hidden', key: 'hidden', type: OptionTypes.positiveInt, tasks: ALL, help: 'hidden units per layer (mnist 128, adding and temporal-order 32, charlm 128, seq2seq 128)' },
  { flag: '--layers', key: 'layers', type: OptionTypes.positiveInt, tasks: ALL, help: 'stacked recurrent layers (1)' },
  { flag: '--projection', key: 'projection', type: OptionTypes.nonNegativeInt, tasks: SEQ, help: 'width of the dense input projection, 0 for none (mnist 128, others 0)' },
  { flag: '--proj-size', key: 'projSize', type: OptionTypes.nonNegativeInt, tasks: SEQ, help: 'LSTM: project the hidden state to this size (0: none)' },
  { flag: '--layer-norm', key: 'layerNorm', tasks: SEQ, help: 'LSTM: layer normalization' },
  { flag: '--forget-bias', key: 'forgetBias', type: OptionTypes.finite, tasks: SEQ, help: 'LSTM: initial forget-gate bias (1; temporal-order 5)' },
  { flag: '--no-fused', key: 'noFused', tasks: SEQ, help: 'run the recurrent layers on the tape, step by step, instead of the compiled scan', field: 'fused' },
  { flag: '--embedding', key: 'embedding', type: OptionTypes.positiveInt, tasks: TEXT, help: 'charlm, seq2seq: embedding width (charlm 32, seq2seq 16)' },
  { flag: '--steps', key: 'steps', type: OptionTypes.positiveInt, tasks: ALL, help: 'training steps (mnist: 100,000 examples / batch = 781; adding 2000; temporal-order 6000; charlm 600; seq2seq 1500)' },
  { flag: '--batch', key: 'batch', type: OptionTypes.positiveInt, tasks: ALL, help: 'examples (charlm: streams) per step (mnist 128, adding and temporal-order 64, charlm 32, seq2seq 64)' },
  { flag: '--chunk', key: 'chunk', type: OptionTypes.positiveInt, tasks: ['charlm'], help: 'charlm: characters per chunk of truncated BPTT (64)' },
  { flag: '--lr', key: 'lr', type: OptionTypes.lr, tasks: ALL, help: 'learning rate (mnist 0.001, adding and temporal-order 0.005; charlm, seq2seq: 0.01, cosine-decayed to a tenth)' },
  { flag: '--optimizer', key: 'optimizer', type: OptionTypes.optimizer, tasks: SEQ, help: 'sgd, momentum, nesterov, adam (default), adamw, rmsprop, adagrad' },
  { flag: '--clip', key: 'clip', type: OptionTypes.positive, tasks: ALL, help: 'clip gradients to this global norm (mnist: none, adding and temporal-order 1, charlm and seq2seq 5)' },
  { flag: '--clip-value', key: 'clipValue', type: OptionTypes.positive, tasks: SEQ, help: 'clip every gradient entry to [-x, x] (none)' },
  { flag: '--seed', key: 'seed', type: OptionTypes.seed, tasks: ALL, help: 'random seed: parameters, data order, synthetic data (0)' },
  { flag: '--dtype', key: 'dtype', type: OptionTypes.dtype, tasks: ALL, help: 'float32 (default) or float64' },
  { flag: '--backend', key: 'backend', type: OptionTypes.backend, tasks: ALL, help: 'cpu (default) or gpujs' },
  { flag: '--steps-per-sequence', key: 'stepsPerSequence', type: OptionTypes.positiveInt, tasks: SEQ, help: 'adding, temporal-order: time steps per sequence (100)', field: 'sequenceLength' },
  { flag: '--train-size', key: 'trainSize', type: OptionTypes.positiveInt, tasks: SEQ, help: 'mnist: use only the first n training images' },
  { flag: '--test-size', key: 'testSize', type: OptionTypes.positiveInt, tasks: SEQ, help: 'test examples (mnist 10,000, adding and temporal-order 2000)' },
  { flag: '--eval-batch', key: 'evalBatch', type: OptionTypes.positiveInt, tasks: SEQ, help: 'test batch size (mnist 1000)' },
  { flag: '--eval-every', key: 'evalEvery', type: OptionTypes.positiveInt, tasks: ['charlm'], help: 'charlm: score the validation sonnets every n steps (100)' },
  { flag: '--problem', key: 'problem', type: OptionTypes.problem, tasks: ['seq2seq'], help: 'seq2seq: add (default: "123+45" -> "168") or reverse ("1234" -> "4321")' },
  { flag: '--min-size', key: 'minSize', type: OptionTypes.size, tasks: ['seq2seq'], help: 'seq2seq: smallest training size, digits per operand or string length (1)' },
  { flag: '--max-size', key: 'maxSize', type: OptionTypes.size, tasks: ['seq2seq'], help: 'seq2seq: largest training size (3)' },
  { flag: '--max-test-size', key: 'maxTestSize', type: OptionTypes.size, tasks: ['seq2seq'], help: 'seq2seq: test every size from 1 to this, larger than trained included (5; at most 9)' },
  { flag: '--test-count', key: 'testCount', type: OptionTypes.positiveInt, tasks: ['seq2seq'], help: 'seq2seq: held-out examples per size (200)' },
  { flag: '--log-every', key: 'logEvery', type: OptionTypes.positiveInt, tasks: ALL, help: 'a metrics.jsonl line every n steps (1)' },
  { flag: '--checkpoint-every', key: 'checkpointEvery', type: OptionTypes.positiveInt, tasks: ALL, help: 'write a checkpoint every n steps (100)' },
  { flag: '--out', key: 'out', type: OptionTypes.path, tasks: ALL, help: 'folder for run directories (runs)', field: null },
  { flag: '--name', key: 'name', type: OptionTypes.name, tasks: ALL, help: 'run directory name (<task>-<cell>, numbered if taken)', field: null },
  { flag: '--resume', key: 'resume', type: OptionTypes.path, tasks: ALL, help: 'continue the run in this run directory from its last checkpoint (only --steps may be given with it)', field: null },
  { flag: '--json', key: 'json', tasks: ALL, help: 'print the result as JSON on stdout (progress goes to stderr; errors as {"error": {...}})', field: null },
  {
    flag: '--debug-nans',
    key: 'debugNans',
    tasks: ALL,
    help: 'check every primitive for NaN and infinity (slow; the tape instead of the compiled scan) and stop at the first, naming it (exit 4; also MNEMO_DEBUG_NANS=1)',
    field: null,
  },
];

/** The option of each configuration field (`sequenceLength` to `--steps-per-sequence`). */
const FLAG_OF_FIELD = new Map<string, string>(TRAIN_OPTIONS.filter((o) => o.field !== null).map((o) => [o.field ?? o.key, o.flag]));

/**
 * The option that sets a configuration field (`sequenceLength` gives
 * `--steps-per-sequence`), or the field itself when no option does.
 *
 * @example
 * ```ts
 * import { flagOfField } from '@mnemo/models';
 * console.assert(flagOfField('sequenceLength') === '--steps-per-sequence' && flagOfField('hidden') === '--hidden');
 * ```
 * @category Command line
 */
export function flagOfField(field: string): string {
  return FLAG_OF_FIELD.get(field) ?? field;
}

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
  readonly task?: RunTaskName | undefined;
  /** `--cell`. */
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
  /** `--embedding`. */
  readonly embedding?: number | undefined;
  /** `--steps`. */
  readonly steps?: number | undefined;
  /** `--batch`. */
  readonly batch?: number | undefined;
  /** `--chunk`. */
  readonly chunk?: number | undefined;
  /** `--lr`. */
  readonly lr?: number | undefined;
  /** `--optimizer`. */
  readonly optimizer?: OptimizerName | undefined;
  /** `--clip`. */
  readonly clip?: number | undefined;
  /** `--clip-value`. */
  readonly clipValue?: number | undefined;
  /** `--seed`. */
  readonly seed?: number | undefined;
  /** `--dtype`. */
  readonly dtype?: DType | undefined;
  /** `--backend`. */
  readonly backend?: BackendName | undefined;
  /** `--steps-per-sequence`. */
  readonly stepsPerSequence?: number | undefined;
  /** `--train-size`. */
  readonly trainSize?: number | undefined;
  /** `--test-size`. */
  readonly testSize?: number | undefined;
  /** `--eval-batch`. */
  readonly evalBatch?: number | undefined;
  /** `--eval-every`. */
  readonly evalEvery?: number | undefined;
  /** `--problem`. */
  readonly problem?: 'add' | 'reverse' | undefined;
  /** `--min-size`. */
  readonly minSize?: number | undefined;
  /** `--max-size`. */
  readonly maxSize?: number | undefined;
  /** `--max-test-size`. */
  readonly maxTestSize?: number | undefined;
  /** `--test-count`. */
  readonly testCount?: number | undefined;
  /** `--log-every`. */
  readonly logEvery?: number | undefined;
  /** `--checkpoint-every`. */
  readonly checkpointEvery?: number | undefined;
  /** `--out`. */
  readonly out?: string | undefined;
  /** `--name`. */
  readonly name?: string | undefined;
  /** `--resume`. */
  readonly resume?: string | undefined;
  /** `--json`. */
  readonly json?: boolean | undefined;
  /** `--debug-nans`: the debugging mode for non-finite values (`setDebugNans` of `@mnemo/autodiff`) while it trains. */
  readonly debugNans?: boolean | undefined;
}

/** The flags of the options given in `a` (for calls that did not come through the parser). */
function givenFlags(a: TrainArgs): string[] {
  return TRAIN_OPTIONS.filter((o) => (a as Record<string, unknown>)[o.key] !== undefined && (a as Record<string, unknown>)[o.key] !== false).map((o) => o.flag);
}

/** The cell name with `--variant` folded in, decoded by nn's parser. */
function cellOf(cell: string | undefined, variant: string | undefined): string | undefined {
  if (variant === undefined) return cell;
  const text = `${cell ?? 'lstm'} --variant ${variant}`;
  const r = Codecs.cell.decode(text);
  if (E.isLeft(r)) throw new UsageError(`--variant ${variant}: ${describeErrors(r.left).join('; ')}`, '--variant');
  return r.right;
}

/** Run `build`; an ArgumentError naming a configuration field becomes a UsageError naming its option. */
function asUsage<A>(build: () => A): A {
  try {
    return build();
  } catch (e) {
    if (e instanceof ArgumentError) {
      const flag = flagOfField(e.arg);
      // The configuration's fields, as the options that set them: `  sequenceLength: ...` reads `  --steps-per-sequence: ...`.
      const message = e.message
        .replace(/^[\w.]+: argument '[^']*': /, '')
        .split('\n')
        .map((line) => line.replace(/^(\s*)(\w+): /, (all, indent: string, field: string) => (flagOfField(field).startsWith('--') ? `${indent}${flagOfField(field)}: ` : all)))
        .join('\n');
      throw new UsageError(message, flag.startsWith('--') ? flag : undefined);
    }
    throw e;
  }
}

/** Only the defined entries. */
const defined = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * The configuration the `mnemo train` options ask for (the task's defaults
 * filled in). A bad value or options that do not go together throw a
 * `UsageError` naming the option. The cell is a registered name: a cell
 * module named on the command line is loaded first (its family is then the
 * name), and `cellModule` is its absolute path, which the configuration
 * records.
 *
 * @param task - the task.
 * @param a - the decoded options.
 * @param cellModule - the module the cell was loaded from, if it was.
 * @returns the configuration.
 * @throws UsageError - naming the option at fault.
 * @example
 * ```ts
 * import { configFromArgs } from '@mnemo/models';
 * const c = configFromArgs('adding', { cell: 'gru', stepsPerSequence: 50, hidden: 32 });
 * console.assert(c.task === 'adding' && c.sequenceLength === 50 && c.cell === 'gru' && c.hidden === 32);
 * const l = configFromArgs('charlm', { chunk: 32 });
 * console.assert(l.task === 'charlm' && l.chunk === 32);
 * ```
 * @category Command line
 */
export function configFromArgs<T extends RunTaskName>(task: T, a: TrainArgs, cellModule?: string): T extends TaskName ? TrainConfig : AnyRunConfig;
export function configFromArgs(task: RunTaskName, a: TrainArgs, cellModule?: string): AnyRunConfig {
  for (const o of TRAIN_OPTIONS) {
    const v = (a as Record<string, unknown>)[o.key];
    if (v !== undefined && v !== false && !o.tasks.includes(task)) {
      throw new UsageError(`${o.flag} is an option of ${o.tasks.join(', ')}, not of ${task}`, o.flag);
    }
  }
  const cell = cellOf(a.cell, a.variant);
  const shared = defined({
    cell,
    cellModule,
    hidden: a.hidden,
    layers: a.layers,
    steps: a.steps,
    batch: a.batch,
    lr: a.lr,
    clip: a.clip,
    seed: a.seed,
    dtype: a.dtype,
    backend: a.backend,
    logEvery: a.logEvery,
    checkpointEvery: a.checkpointEvery,
  });
  if (task === 'charlm') {
    const steps = a.steps ?? CHARLM_DEFAULTS.steps;
    return asUsage(() => decodeCharLmConfig({ ...CHARLM_DEFAULTS, ...shared, ...defined({ embedding: a.embedding, chunk: a.chunk }), evalEvery: a.evalEvery ?? Math.min(CHARLM_DEFAULTS.evalEvery, steps) }));
  }
  if (task === 'seq2seq') {
    const d = SEQ2SEQ_DEFAULTS;
    const minSize = a.minSize ?? d.minSize;
    const maxSize = a.maxSize ?? Math.max(d.maxSize, minSize);
    if (maxSize < minSize) throw new UsageError(`--max-size ${maxSize} is below --min-size ${minSize}`, '--max-size');
    const maxTestSize = a.maxTestSize ?? Math.max(d.maxTestSize, maxSize);
    return asUsage(() =>
      decodeSeq2seqConfig({ ...d, ...shared, ...defined({ embedding: a.embedding, problem: a.problem, testCount: a.testCount }), minSize, maxSize, maxTestSize }),
    );
  }
  return asUsage(() =>
    resolveConfig(task, {
      ...shared,
      ...defined({
        projection: a.projection,
        projSize: a.projSize,
        layerNorm: a.layerNorm === true ? true : undefined,
        forgetBias: a.forgetBias,
        fused: a.noFused === true ? false : undefined,
        optimizer: a.optimizer,
        clipValue: a.clipValue,
        sequenceLength: a.stepsPerSequence,
        trainSize: a.trainSize,
        testSize: a.testSize,
        evalBatch: a.evalBatch,
      }),
    }),
  );
}

/** The model in one line, for the header a run prints. */
function modelLine(c: AnyRunConfig): string {
  if (c.task === 'charlm') {
    return `embedding ${c.embedding} -> ${c.layers} x ${c.cell} ${c.hidden} -> dense -> softmax; ${c.batch} streams x ${c.chunk} characters, Adam lr ${c.lr} (cosine), ${c.steps} steps, ${c.dtype}, seed ${c.seed}`;
  }
  if (c.task === 'seq2seq') {
    return `encoder ${c.layers} x ${c.cell} ${c.hidden} -> decoder ${c.layers} x ${c.cell} ${c.hidden}, embeddings ${c.embedding}; Adam lr ${c.lr} (cosine), batch ${c.batch}, ${c.steps} steps, sizes ${c.minSize}-${c.maxSize}, ${c.dtype}, seed ${c.seed}`;
  }
  return `${c.projection > 0 ? `dense ->${c.projection}, ` : ''}${c.layers} x ${c.cell} ${c.hidden}${c.fused ? '' : ' (on the tape)'}, dense ->out; ${c.optimizer} lr ${c.lr}, batch ${c.batch}, ${c.steps} steps, ${c.dtype}, backend ${c.backend}, seed ${c.seed}`;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** Print the run's result and return the exit code. */
function report(io: CliIo, json: boolean, r: RunResult<Tree, Tree, JobResult>, job: TrainingJob<Tree, unknown, Tree, JobResult>, signal: AbortSignal | undefined): number {
  const interrupted = r.stopped && signal?.aborted === true;
  const code = !interrupted ? EXIT.ok : signal?.reason === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  const status = r.stopped ? 'stopped' : 'finished';
  const s = summarize(
    {
      config: r.config,
      description: job.description,
      status,
      stepsDone: r.state.step,
      parameterCount: r.parameterCount,
      test: r.test,
      seconds: r.seconds,
      examples: r.history.length * job.examplesPerStep,
      backend: currentBackend().name,
      ...(job.baseline === undefined ? {} : { baseline: job.baseline }),
    },
    r.metrics,
  );
  if (json) {
    io.stdout(`${jsonText({ ...s, runDir: r.runDir, exitCode: code }, 2)}\n`);
    return code;
  }
  if (r.stopped) {
    io.stderr(`stopped at step ${r.state.step} of ${r.config.steps}; checkpoint saved.\n` + (r.runDir === null ? '' : `resume with: mnemo train --resume ${r.runDir}\n`));
    return code;
  }
  if (s.train !== null) io.stdout(`training, last 50 steps: loss ${s.train.loss.toFixed(4)}, accuracy ${pct(s.train.accuracy)}\n`);
  if (r.test !== null) {
    const n = (r.test as { examples?: number }).examples;
    io.stdout(`test accuracy: ${pct(r.test.accuracy)} (loss ${r.test.loss.toFixed(4)}${n === undefined ? '' : `, ${n} examples`})\n`);
    if (job.baseline !== undefined) io.stdout(`ignoring the input (${job.baseline.what}): loss ${job.baseline.loss.toFixed(4)}, accuracy ${pct(job.baseline.accuracy)}\n`);
    if (job.describe !== undefined) io.stdout(`\n${job.describe(r.test)}\n`);
  }
  io.stdout(`${r.seconds.toFixed(1)} s of training, ${s.examplesPerSec.toFixed(0)} examples/s\n`);
  if (r.runDir !== null) {
    io.stdout(`run directory: ${r.runDir} (summary.md, loss.svg, accuracy.svg, metrics.jsonl, checkpoint.json)\n`);
    if (r.config.task === 'charlm') io.stdout(`sample: mnemo sample ${r.runDir} --prime "Shall I compare" --length 400 --temperature 0.8 --seed 1\n`);
  }
  return code;
}

/**
 * Run `mnemo train` with decoded arguments; returns the exit code. `given`
 * lists the options the user typed (it names the option a too-large run is
 * blamed on); by default, those defined in `a`.
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
export async function runTrain(io: CliIo, a: TrainArgs, given: readonly string[] = givenFlags(a)): Promise<number> {
  const json = a.json === true;
  let config: AnyRunConfig;
  let runDir: string;
  let resume: TrainState | undefined;
  let job: TrainingJob<Tree, unknown, Tree, JobResult>;
  if (a.resume !== undefined) {
    const fixed = given.filter((f) => !['--resume', '--steps', '--json', '--debug-nans'].includes(f));
    if (fixed.length > 0) {
      throw new UsageError(
        `${fixed.join(', ')} cannot be given with --resume: the run's config.json fixes ${fixed.length === 1 ? 'it' : 'them'} (only --steps may change, to train longer)`,
        fixed[0],
      );
    }
    runDir = resolve(a.resume);
    await loadRecordedCell(io, runDir);
    const r = openRun(runDir, a.steps === undefined ? {} : { steps: a.steps });
    if (E.isLeft(r)) {
      if (r.left.field === 'steps') throw new UsageError(r.left.message, '--steps');
      throw r.left;
    }
    if (a.task !== undefined && a.task !== r.right.config.task) throw new UsageError(`the run in ${runDir} trains ${r.right.config.task}, not ${a.task}`, 'task');
    config = r.right.config;
    checkMemory(config, flagOfField, given);
    job = r.right.job;
    resume = r.right.state;
  } else {
    const task = a.task ?? 'mnist';
    // A cell module is loaded (and its family registered) before the options are turned into a configuration.
    const own = await resolveCliModuleCell(io, a.cell, '--cell', a.variant);
    config = own === undefined ? configFromArgs(task, a) : configFromArgs(task, { ...a, cell: own.cell, variant: undefined }, own.cellModule);
    checkMemory(config, flagOfField, given);
    job = asUsage(() => jobOf(config));
    const cell = (config as { cell: string }).cell.replace(/\+/g, '-');
    const name = a.name ?? (config.task === 'seq2seq' ? `seq2seq-${config.problem}-${cell}` : `${config.task}-${cell}`);
    try {
      runDir = createRunDir(a.out ?? 'runs', name);
    } catch (e) {
      if (e instanceof OutputError) throw new OutputError('train', '--out', e.path, e.detail, e.code);
      throw e;
    }
  }
  const out = progressOutput(io, json);
  if (!json) {
    io.stdout(
      `mnemo train ${config.task}: ${job.description}\nmodel: ${modelLine(config)}\n` +
        (config.cellModule === undefined ? '' : `cell: ${config.cell}, from ${config.cellModule}\n`) +
        `${resume === undefined ? 'run directory' : `resuming at step ${resume.step} of ${config.steps} in`}: ${runDir}\n`,
    );
  }
  const previous = a.debugNans === true ? setDebugNans(true) : undefined;
  try {
    const r = await runTraining(job, {
      runDir,
      ...(resume === undefined ? {} : { resume }),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      progress: (start, total) => createProgress({ total, start, ...out }),
      onEvaluate: () => out.write('scoring the result...\n'),
    });
    return report(io, json, r, job, io.signal);
  } finally {
    if (previous !== undefined) setDebugNans(previous);
  }
}

/**
 * The arguments of `mnemo train`: the task (positional) and every option of
 * every task ({@link TRAIN_OPTIONS}).
 *
 * @example
 * ```ts
 * import { trainSpec } from '@mnemo/models';
 * console.assert(trainSpec.positionals[0]!.key === 'task' && trainSpec.options.length > 30);
 * ```
 * @category Command line
 */
export const trainSpec: ArgsSpec = {
  positionals: [{ key: 'task', name: 'task', type: OptionTypes.runTask, help: `${RUN_TASKS.join(', ')} (default mnist)`, required: false }],
  options: TRAIN_OPTIONS,
};

/**
 * The description `mnemo train --help` prints above the options (and above
 * `cellsHelp()`: how to name your own cell, and the registered cells).
 *
 * @example
 * ```ts
 * import { TRAIN_HELP } from '@mnemo/models';
 * console.assert(TRAIN_HELP.includes('--resume') && TRAIN_HELP.includes('--cell ./janet.ts'));
 * ```
 * @category Command line
 */
export const TRAIN_HELP =
  'Train a model on a task through the one training loop and write a run directory (config.json, metrics.jsonl, checkpoint.json, summary.md, loss.svg, accuracy.svg).\n' +
  'Tasks: mnist (the tutorial: MNIST row by row, dense 28->128, LSTM 128, dense 128->10, Adam 0.001, batch 128, 781 steps, float32),\n' +
  '  adding and temporal-order (Hochreiter & Schmidhuber\'s long-time-lag problems), charlm (a character language model on the sonnets),\n' +
  '  seq2seq (an encoder-decoder adding or reversing digit strings).\n' +
  'Ctrl-C saves a checkpoint and exits with 130; `mnemo train --resume <run dir>` continues any task exactly (--steps N trains on to N steps).\n' +
  'A step whose loss, gradients or parameters are not finite is not applied: the run stops with exit 4 and keeps the last finite checkpoint.\n' +
  'A run that cannot fit in memory is refused before it starts (exit 2, with the estimate).\n' +
  'Any cell trains on any task: a built-in one by name (--cell gru, --cell lstm+cifg), your own by its module file (--cell ./janet.ts).';
