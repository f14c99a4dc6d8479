/**
 * Every task mnemo trains, by name: how its `config.json` is decoded, the
 * job the one training loop runs for it, and an estimate of its memory. The
 * command line reads this table to resume, score and size-check any run;
 * {@link resumeRun} continues any run directory.
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import { isAbsolute } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { loadCheckpoint, readRunConfig } from '../training/checkpoint.js';
import { RunDirError } from '../training/errors.js';
import type { JobResult, TrainingJob } from '../training/job.js';
import { runTraining, type RunOptions, type RunResult } from '../training/loop.js';
import type { TrainState } from '../training/state.js';
import { charLmJob, decodeCharLmConfig, type CharLmTrainOptions } from './charlm/job.js';
import { TAPE_VALUES_PER_GATE_UNIT as TAPE, estimate, gatesOf, recurrentParameters, type MemoryEstimate } from './common/memory.js';
import { loadCellModule, type ImportModule, type LoadedCellModule } from './common/cell-modules.js';
import { TASK_NAMES } from './common/types.js';
import { decodeSeq2seqConfig, seq2seqJob, type Seq2seqTrainOptions } from './seq2seq/job.js';
import { decodeConfig, type TrainConfig } from './sequence/config.js';
import { sequenceJob } from './sequence/job.js';

/**
 * Every task `mnemo train` knows: the sequence tasks (`mnist`, `adding`,
 * `temporal-order`), the character language model (`charlm`) and the
 * encoder-decoder (`seq2seq`).
 *
 * @example
 * ```ts
 * import { RUN_TASKS } from '@mnemo/models';
 * console.assert(RUN_TASKS.join() === 'mnist,adding,temporal-order,charlm,seq2seq');
 * ```
 * @category Tasks
 */
export const RUN_TASKS = Object.freeze([...TASK_NAMES, 'charlm', 'seq2seq'] as const);

/**
 * A name in {@link RUN_TASKS}.
 *
 * @example
 * ```ts
 * import type { RunTaskName } from '@mnemo/models';
 * const t: RunTaskName = 'charlm';
 * console.assert(t === 'charlm');
 * ```
 * @category Tasks
 */
export type RunTaskName = (typeof RUN_TASKS)[number];

/**
 * Any task's configuration.
 *
 * @example
 * ```ts
 * import { defaultConfig, type AnyRunConfig } from '@mnemo/models';
 * const c: AnyRunConfig = defaultConfig('adding');
 * console.assert(c.task === 'adding');
 * ```
 * @category Tasks
 */
export type AnyRunConfig = TrainConfig | CharLmTrainOptions | Seq2seqTrainOptions;

const BYTES = { float32: 4, float64: 8 } as const;

/** Parameters, gradients and the optimizer's state: about seven copies of the parameters during an update. */
const COPIES = 7;

/** Memory of a sequence task's run (see common/memory.ts). */
function sequenceMemory(c: TrainConfig): MemoryEstimate {
  const b = BYTES[c.dtype];
  const I = c.task === 'mnist' ? 28 : c.task === 'adding' ? 2 : 8;
  const K = c.task === 'mnist' ? 10 : c.task === 'adding' ? 1 : 4;
  const T = c.task === 'temporal-order' ? c.sequenceLength + Math.floor(c.sequenceLength / 10) : c.sequenceLength;
  const g = gatesOf(c.cell);
  const P = c.projection;
  const H = c.hidden;
  const out = c.projSize > 0 ? c.projSize : H;
  const params = (P > 0 ? I * P + P : 0) + recurrentParameters(g, c.layers, P > 0 ? P : I, out) + c.layers * H * out + out * K + K;
  const testSize = c.testSize ?? (c.task === 'mnist' ? 10_000 : 2000);
  const evalBatch = c.task === 'mnist' ? Math.min(c.evalBatch, testSize) : Math.min(250, testSize);
  const parts = [
    { what: 'parameters, gradients and optimizer state', bytes: COPIES * params * b, fields: ['hidden', 'layers', 'projection', 'projSize'] },
    { what: 'the tape of backpropagation through time', bytes: c.batch * T * (c.layers * TAPE * g * H + P + I) * b, fields: ['batch', 'sequenceLength', 'hidden', 'layers'] },
    { what: 'scoring the test set', bytes: evalBatch * T * (4 * g * H + P + I) * b, fields: ['evalBatch', 'testSize', 'hidden'] },
    c.task === 'mnist'
      ? { what: 'MNIST', bytes: 70_000 * 784 * 4, fields: [] }
      : { what: 'the test set', bytes: testSize * T * (I + K) * b, fields: ['testSize', 'sequenceLength'] },
  ];
  const largest = [
    { entries: g * H * H, what: 'the recurrent weights', fields: ['hidden'] },
    { entries: c.batch * T * g * H, what: "a layer's gates over the whole sequence", fields: ['batch', 'sequenceLength', 'hidden'] },
    { entries: (P > 0 ? P : I) * g * H, what: 'the input weights', fields: ['projection', 'hidden'] },
    { entries: c.batch * T * Math.max(P, I), what: 'the batch', fields: ['batch', 'sequenceLength', 'projection'] },
  ].sort((x, y) => y.entries - x.entries)[0]!;
  return estimate(parts, largest);
}

/** Memory of a character LM run. */
function charLmMemory(c: CharLmTrainOptions): MemoryEstimate {
  const b = BYTES[c.dtype];
  const V = 64; // the sonnets have 61 characters
  const g = gatesOf(c.cell);
  const H = c.hidden;
  const params = V * c.embedding + recurrentParameters(g, c.layers, c.embedding, H) + H * V + V;
  const valid = 15 * 700; // the validation sonnets, side by side: 15 texts of at most about 700 characters
  const parts = [
    { what: 'parameters, gradients and optimizer state', bytes: COPIES * params * b, fields: ['hidden', 'layers', 'embedding'] },
    { what: 'the tape of backpropagation through time', bytes: c.batch * c.chunk * (c.layers * TAPE * g * H + c.embedding + 3 * V) * b, fields: ['batch', 'chunk', 'hidden', 'layers'] },
    { what: 'scoring the validation sonnets', bytes: valid * (c.layers * 4 * g * H + c.embedding + 2 * V) * b, fields: ['hidden', 'layers'] },
  ];
  const largest = [
    { entries: g * H * H, what: 'the recurrent weights', fields: ['hidden'] },
    { entries: c.batch * c.chunk * g * H, what: "a layer's gates over a chunk", fields: ['batch', 'chunk', 'hidden'] },
    { entries: valid * g * H, what: "a layer's gates over the validation sonnets", fields: ['hidden'] },
    { entries: V * c.embedding, what: 'the embedding', fields: ['embedding'] },
  ].sort((x, y) => y.entries - x.entries)[0]!;
  return estimate(parts, largest);
}

/** Memory of a seq2seq run. */
function seq2seqMemory(c: Seq2seqTrainOptions): MemoryEstimate {
  const b = BYTES[c.dtype];
  const V = 13;
  const g = gatesOf(c.cell);
  const H = c.hidden;
  const params = 2 * (V * c.embedding + recurrentParameters(g, c.layers, c.embedding, H)) + H * V + V;
  const steps = 3 * Math.max(c.maxSize, c.maxTestSize) + 3; // the input, then the answer
  const examples = c.testCount * c.maxTestSize;
  const parts = [
    { what: 'parameters, gradients and optimizer state', bytes: COPIES * params * b, fields: ['hidden', 'layers', 'embedding'] },
    { what: 'the tape of backpropagation through time', bytes: c.batch * steps * (c.layers * TAPE * g * H + c.embedding + V) * b, fields: ['batch', 'hidden', 'layers'] },
    { what: 'the held-out examples and their decoding', bytes: examples * 200 + c.testCount * steps * (c.layers * 4 * g * H + V) * b, fields: ['testCount', 'maxTestSize', 'hidden'] },
  ];
  const largest = [
    { entries: g * H * H, what: 'the recurrent weights', fields: ['hidden'] },
    { entries: c.batch * steps * g * H, what: "a layer's gates over a batch", fields: ['batch', 'hidden'] },
    { entries: c.testCount * steps * g * H, what: "a layer's gates over one size's held-out inputs", fields: ['testCount', 'hidden'] },
    { entries: V * c.embedding, what: 'the embeddings', fields: ['embedding'] },
  ].sort((x, y) => y.entries - x.entries)[0]!;
  return estimate(parts, largest);
}

/**
 * Decode any task's configuration (from `config.json`, say) by its `task`
 * field. An unknown task or a bad field throws an `ArgumentError` naming it.
 *
 * @param u - the value to decode.
 * @returns the configuration.
 * @throws `ArgumentError` for an unknown task or a bad field.
 * @example
 * ```ts
 * import { decodeRunConfig, CHARLM_DEFAULTS } from '@mnemo/models';
 * console.assert(decodeRunConfig({ ...CHARLM_DEFAULTS }).task === 'charlm');
 * let msg = '';
 * try { decodeRunConfig({ task: 'chess' }); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('chess') && msg.includes('seq2seq'));
 * ```
 * @category Tasks
 */
export function decodeRunConfig(u: unknown): AnyRunConfig {
  const task = (u as { task?: unknown } | null)?.task;
  if (task === 'charlm') return decodeCharLmConfig(u);
  if (task === 'seq2seq') return decodeSeq2seqConfig(u);
  if (typeof task === 'string' && (TASK_NAMES as readonly string[]).includes(task)) return decodeConfig(u);
  throw new ArgumentError('decodeRunConfig', 'task', `unknown task ${JSON.stringify(task)}; known tasks: ${RUN_TASKS.join(', ')}`);
}

/**
 * The job the one training loop runs for a configuration of any task.
 *
 * @param config - the configuration.
 * @returns the job.
 * @example
 * ```ts
 * import { jobOf, resolveConfig } from '@mnemo/models';
 * const job = jobOf(resolveConfig('adding', { sequenceLength: 5, hidden: 3 }));
 * console.assert(job.config.task === 'adding' && job.examplesPerStep === 64);
 * ```
 * @category Tasks
 */
export function jobOf(config: AnyRunConfig): TrainingJob<Tree, unknown, Tree, JobResult> {
  const job =
    config.task === 'charlm' ? charLmJob(config as CharLmTrainOptions) : config.task === 'seq2seq' ? seq2seqJob(config as Seq2seqTrainOptions) : sequenceJob(config as TrainConfig);
  return job as unknown as TrainingJob<Tree, unknown, Tree, JobResult>;
}

/**
 * The estimated memory of a run of any task, from its configuration alone
 * (see {@link MemoryEstimate}).
 *
 * @param config - the configuration.
 * @returns the estimate.
 * @example
 * ```ts
 * import { estimateMemory, defaultConfig, formatBytes } from '@mnemo/models';
 * const m = estimateMemory(defaultConfig('mnist'));
 * console.assert(m.bytes > 1e8 && m.bytes < 2e9 && formatBytes(m.bytes).endsWith('MiB'));
 * const huge = estimateMemory({ ...defaultConfig('adding'), hidden: 1e9 });
 * console.assert(huge.bytes > 1e18 && huge.parts[0]!.fields.includes('hidden'));
 * ```
 * @category Tasks
 */
export function estimateMemory(config: AnyRunConfig): MemoryEstimate {
  if (config.task === 'charlm') return charLmMemory(config as CharLmTrainOptions);
  if (config.task === 'seq2seq') return seq2seqMemory(config as Seq2seqTrainOptions);
  return sequenceMemory(config as TrainConfig);
}

/**
 * A run directory read back: its configuration (with `steps` replaced when
 * asked), the job for it, and the state of its checkpoint, checked as
 * `loadCheckpoint` checks it.
 *
 * @example
 * ```ts
 * import type { OpenRun } from '@mnemo/models';
 * const at = (r: OpenRun) => `${r.config.task} at step ${r.state.step}`;
 * console.assert(typeof at === 'function');
 * ```
 * @category Tasks
 */
export interface OpenRun {
  /** The configuration (`steps` as asked, when given). */
  readonly config: AnyRunConfig;
  /** The job of that configuration. */
  readonly job: TrainingJob<Tree, unknown, Tree, JobResult>;
  /** The checkpoint's state. */
  readonly state: TrainState;
}

/**
 * Read a run directory of any task: its `config.json` and its checkpoint.
 * With `steps`, the run is to go on to that many steps (it must not be below
 * the checkpoint's). Everything that is missing, damaged or out of range is
 * a `RunDirError` naming the field.
 *
 * @param dir - the run directory.
 * @param options - `steps`: the new total of steps.
 * @returns the run, or the error.
 * @example
 * ```ts
 * import { openRun } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = openRun('/no/such/run');
 * console.assert(E.isLeft(r) && r.left.message.includes('not a directory'));
 * ```
 * @category Tasks
 */
export function openRun(dir: string, options: { readonly steps?: number } = {}): E.Either<RunDirError, OpenRun> {
  const raw = readRunConfig(dir);
  if (E.isLeft(raw)) return raw;
  let saved: AnyRunConfig;
  try {
    saved = decodeRunConfig(raw.right.json);
  } catch (e) {
    return E.left(new RunDirError(dir, `config.json: ${(e as Error).message}`, 'loadRun', (e as ArgumentError).arg));
  }
  const steps = options.steps;
  const config = steps === undefined ? saved : ({ ...saved, steps } as AnyRunConfig);
  const job = jobOf(config);
  // The checkpoint is checked against the steps the run had when it was written.
  const check = loadCheckpoint(dir, { init: job.init, optimizer: job.optimizer, carry: job.carry, config: saved });
  if (E.isLeft(check)) return check;
  if (steps !== undefined && steps < check.right.step) {
    return E.left(new RunDirError(dir, `the checkpoint is at step ${check.right.step}; a run cannot go back to ${steps} steps`, 'loadRun', 'steps'));
  }
  return E.right({ config, job, state: check.right });
}

/**
 * Load the cell module a run directory's `config.json` records (a run of a
 * user's cell: `cellModule`, the module's absolute path), so that its
 * family is registered before the run is opened ({@link openRun} decodes
 * the cell by name). A run of a built-in cell records none: nothing happens.
 *
 * @param dir - the run directory.
 * @param options - `importModule`: how to import the module (see `loadCellModule`).
 * @returns the loaded module, or `undefined` when the run records none.
 * @throws `RunDirError` when the run directory or its config.json cannot be read or `cellModule` is not an
 *   absolute path; `CellModuleError` (exit 3) when the module is missing (moved or deleted) or unusable.
 * @example
 * ```ts
 * import { loadRunCellModule, resolveConfig, train, createRunDir } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const dir = createRunDir(mkdtempSync(`${tmpdir()}/runs-`), 'a');
 * await train({ config: resolveConfig('adding', { sequenceLength: 5, hidden: 3, steps: 1, batch: 4, testSize: 10 }), runDir: dir, evaluate: false });
 * console.assert((await loadRunCellModule(dir)) === undefined); // an LSTM: nothing to load
 * ```
 * @category Tasks
 */
export async function loadRunCellModule(dir: string, options: { readonly importModule?: ImportModule } = {}): Promise<LoadedCellModule | undefined> {
  const raw = readRunConfig(dir);
  if (E.isLeft(raw)) throw raw.left;
  const { cell, cellModule } = raw.right.json;
  if (cellModule === undefined) return undefined;
  if (typeof cellModule !== 'string' || !isAbsolute(cellModule)) {
    throw new RunDirError(dir, `config.json: cellModule: expected the absolute path of the cell's module, got ${JSON.stringify(cellModule)}`, 'loadRun', 'cellModule');
  }
  const family = typeof cell === 'string' ? cell.trim().split(/[+\s]/)[0]!.toLowerCase() : undefined;
  return loadCellModule(cellModule, { field: 'cellModule', recordedIn: dir, ...(family === undefined ? {} : { family }), ...options });
}

/**
 * Continue any run directory from its checkpoint through the one training
 * loop, exactly as the uninterrupted run would have gone on; with `steps`,
 * to that many steps in all (the run's `config.json` is updated to say so).
 * For the character LM and seq2seq, whose learning rate decays over the
 * run's steps, a run extended this way is not the run that had the longer
 * budget from the start. A run of a user's cell loads its module first
 * (see {@link loadRunCellModule}).
 *
 * @param dir - the run directory.
 * @param options - the new total of `steps`, how to run (signal, progress...), and how to import a cell module.
 * @returns the loop's result.
 * @throws `RunDirError` when the run directory cannot be used; `CellModuleError` when its cell's module cannot; what `runTraining` throws.
 * @example
 * ```ts
 * import { resolveConfig, createRunDir, train, resumeRun } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const dir = createRunDir(mkdtempSync(`${tmpdir()}/runs-`), 'a');
 * await train({ config: resolveConfig('adding', { sequenceLength: 5, hidden: 3, steps: 6, batch: 4, testSize: 10 }), runDir: dir, stopAt: 2 });
 * const r = await resumeRun(dir);
 * console.assert(r.state.step === 6 && !r.stopped && r.test !== null);
 * ```
 * @category Tasks
 */
export async function resumeRun(
  dir: string,
  options: Omit<RunOptions, 'runDir' | 'resume'> & { readonly steps?: number; readonly importModule?: ImportModule } = {},
): Promise<RunResult<Tree, Tree, JobResult>> {
  const { steps, importModule, ...run } = options;
  await loadRunCellModule(dir, importModule === undefined ? {} : { importModule });
  const r = openRun(dir, steps === undefined ? {} : { steps });
  if (E.isLeft(r)) throw r.left;
  return runTraining(r.right.job, { ...run, runDir: dir, resume: r.right.state });
}
