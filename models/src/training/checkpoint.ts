/**
 * Checkpoints and reading a run directory back. A checkpoint is one of nn's
 * parameter files (versioned, checksummed, written atomically): its tree is
 * `{ model, carry }` (the parameters, and what the next step starts from),
 * with the optimizer state, and the task, step and seed as metadata. The
 * configuration is `config.json`. Everything else a resumed run needs (data
 * order, random keys) follows from the seed and the step.
 *
 * Loading checks the values, not only the structure: every parameter,
 * optimizer slot and carried value must be finite, second-moment slots
 * non-negative, and the step within the run's range; each failure names the
 * field.
 *
 * @module
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import type { Tree } from '@mnemo/autodiff';
import type { OptState } from '@mnemo/nn';
import { loadParams, saveParams } from '@mnemo/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { OutputError, type RunFileSystem } from '../report/rundir.js';
import { RunDirError } from './errors.js';
import type { TrainingJob } from './job.js';
import { firstBadEntry, treeMismatches, type TrainState } from './state.js';

/**
 * The names of the files in a run directory.
 *
 * @example
 * ```ts
 * import { RUN_FILES } from '@mnemo/models';
 * console.assert(RUN_FILES.checkpoint === 'checkpoint.json' && RUN_FILES.config === 'config.json');
 * ```
 * @category Training
 */
export const RUN_FILES = Object.freeze({
  config: 'config.json',
  checkpoint: 'checkpoint.json',
  metrics: 'metrics.jsonl',
  summaryJson: 'summary.json',
  summaryMd: 'summary.md',
  lossPlot: 'loss.svg',
  accuracyPlot: 'accuracy.svg',
});

/** The optimizer slots that hold running sums of squares, so can never be negative. */
const SQUARE_SLOTS: Readonly<Record<string, readonly string[]>> = { adam: ['v'], adamw: ['v'], rmsprop: ['squareAvg'], adagrad: ['sum'] };

/**
 * Write a checkpoint of `state` to the run directory, atomically (a crash
 * mid-write leaves the previous checkpoint). `task` and `seed` are recorded
 * so that a checkpoint is never read back into another run.
 *
 * @param dir - the run directory.
 * @param state - the state to save (the loop saves only finite states).
 * @param run - the run's task name and seed.
 * @param fs - the file system (default `node:fs`; tests pass one whose writes fail).
 * @throws {@link OutputError} when the file cannot be written; the previous checkpoint is unchanged.
 * @example
 * ```ts
 * import { saveCheckpoint, loadCheckpoint, sequenceJob, resolveConfig, addingTask } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import * as E from 'fp-ts/lib/Either.js';
 * const dir = mkdtempSync(`${tmpdir()}/ckpt-`);
 * const job = sequenceJob(resolveConfig('adding', { sequenceLength: 4, hidden: 3, seed: 42 }), addingTask({ steps: 4 }));
 * const params = job.init();
 * saveCheckpoint(dir, { params, optState: job.optimizer.init(params), step: 0, carry: [] }, { task: 'adding', seed: 42 });
 * const r = loadCheckpoint(dir, job);
 * console.assert(E.isRight(r) && r.right.step === 0);
 * ```
 * @category Training
 */
export function saveCheckpoint(dir: string, state: TrainState, run: { readonly task: string; readonly seed: number }, fs: RunFileSystem = nodeFs): void {
  const path = join(dir, RUN_FILES.checkpoint);
  try {
    saveParams(
      path,
      {
        params: { model: state.params, carry: state.carry },
        optimizer: state.optState as OptState,
        metadata: { kind: 'mnemo-checkpoint', task: run.task, step: state.step, seed: run.seed },
      },
      { fs },
    );
  } catch (e) {
    const message = (e as Error).message.replace(/^saveParams: argument '[^']*': /, '');
    throw new OutputError('saveCheckpoint', 'dir', path, message, /\b(E[A-Z]{2,})\b/.exec(message)?.[1]);
  }
}

/** The field the first line of nn's report names (`sha256`, `content.params...`), if any. */
function reportField(report: string): string | undefined {
  const line = report.split('\n').find((l) => /^[\w.[\]"-]+: /.test(l));
  return line === undefined ? undefined : line.slice(0, line.indexOf(': '));
}

/**
 * Read a run directory's checkpoint for `job` (the run's job, built from its
 * configuration). The file must be a checkpoint of this task and seed, with
 * the structure, shapes and dtypes of the job's parameters, optimizer state
 * and carry, and values a run can continue from: all finite, second moments
 * (Adam's `v`, RMSProp's `squareAvg`, Adagrad's `sum`) non-negative, the step
 * an integer within the run's `steps` and equal to the optimizer's update
 * count. Any failure is a {@link RunDirError} naming the field.
 *
 * @param dir - the run directory.
 * @param job - the run's job: its `init`, `optimizer`, `carry` and `config` (task, seed, steps) say what the file must hold.
 * @param fs - the file system (default `node:fs`).
 * @returns the state, or the error.
 * @example
 * ```ts
 * import { loadCheckpoint, sequenceJob, resolveConfig, addingTask } from '@mnemo/models';
 * import { tmpdir } from 'node:os';
 * import * as E from 'fp-ts/lib/Either.js';
 * const job = sequenceJob(resolveConfig('adding', { sequenceLength: 4, hidden: 3 }), addingTask({ steps: 4 }));
 * const r = loadCheckpoint(`${tmpdir()}/no-such-run`, job);
 * console.assert(E.isLeft(r) && r.left.message.includes('checkpoint'));
 * ```
 * @category Training
 */
export function loadCheckpoint<P extends Tree, C extends Tree>(
  dir: string,
  job: Pick<TrainingJob<P, unknown, C, never>, 'init' | 'optimizer' | 'carry' | 'config'>,
  fs: RunFileSystem = nodeFs,
): E.Either<RunDirError, TrainState<P, C>> {
  const file = RUN_FILES.checkpoint;
  const path = join(dir, file);
  const fail = (detail: string, field?: string) => E.left(new RunDirError(dir, `${file}: ${detail}`, 'loadCheckpoint', field));
  let exists = false;
  try {
    exists = fs.statSync(path).isFile();
  } catch {
    exists = false;
  }
  if (!exists) return E.left(new RunDirError(dir, `has no ${file} (the run stopped before its first checkpoint?)`, 'loadCheckpoint', file));
  const r = loadParams(path, { fs });
  if (E.isLeft(r)) return fail(r.left.split('\n').slice(1).join('; '), reportField(r.left.split('\n').slice(1).join('\n')));
  const f = r.right;
  const { task, seed, steps } = job.config;

  const meta = f.metadata as { kind?: unknown; task?: unknown; step?: unknown; seed?: unknown } | null | undefined;
  if (meta === null || typeof meta !== 'object' || meta.kind !== 'mnemo-checkpoint') {
    return fail('is a parameter file but not a training checkpoint (its metadata has no step and seed)', 'metadata.kind');
  }
  if (meta.task !== task) return fail(`is a checkpoint of ${JSON.stringify(meta.task)}, the run trains ${task}`, 'metadata.task');
  if (meta.seed !== seed) return fail(`was written with seed ${JSON.stringify(meta.seed)}, the configuration says ${seed}`, 'metadata.seed');
  const step = meta.step;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0 || step > steps) {
    return fail(`metadata.step is ${JSON.stringify(step)}; a step count of this run is an integer in [0, ${steps}]`, 'metadata.step');
  }
  if (f.optimizer === undefined) return fail('has no optimizer state', 'optimizer');
  if (f.optimizer.step !== step) return fail(`the optimizer made ${f.optimizer.step} updates, the metadata says ${step} steps`, 'optimizer.step');

  const held = f.params as unknown;
  if (held === null || typeof held !== 'object' || Array.isArray(held) || !('model' in held) || !('carry' in held) || Object.keys(held).length !== 2) {
    return fail('params must be { model, carry }', 'params');
  }
  const { model, carry } = held as { model: unknown; carry: unknown };
  const like = job.init();
  const likeOpt = job.optimizer.init(like);
  const problems = [...treeMismatches('params.model', model, like), ...treeMismatches('params.carry', carry, job.carry.initial())];
  const have = Object.keys(f.optimizer.slots).sort();
  const want = Object.keys(likeOpt.slots).sort();
  if (have.join() !== want.join()) {
    problems.push(`optimizer.slots: ${job.optimizer.name} keeps slots {${want.join(', ')}}, the file has {${have.join(', ')}}`);
  } else {
    for (const k of want) problems.push(...treeMismatches(`optimizer.slots.${k}`, f.optimizer.slots[k], like));
  }
  if (problems.length > 0) return fail(`does not fit this run's model:\n  ${problems.join('\n  ')}`, problems[0]!.slice(0, problems[0]!.indexOf(':')));

  const bad = [
    firstBadEntry(model as Tree, 'params.model'),
    firstBadEntry(carry as Tree, 'params.carry'),
    ...want.map((k) =>
      firstBadEntry(f.optimizer!.slots[k]!, `optimizer.slots.${k}`, (SQUARE_SLOTS[job.optimizer.name] ?? []).includes(k) ? { ok: (v) => v >= 0, what: 'negative (a sum of squares)' } : undefined),
    ),
  ].find((b) => b !== undefined);
  if (bad !== undefined) return fail(`${bad.field} holds ${bad.value} at entry ${bad.index}: ${bad.problem}; a run cannot continue from it`, bad.field);
  return E.right({ params: model as P, optState: f.optimizer as unknown as OptState<P>, step, carry: carry as C });
}

/**
 * Read a run directory's `config.json` as JSON, with the task it names (each
 * task's codec decodes the rest). A missing directory or file, text that is
 * not JSON, or a config without a task name is a {@link RunDirError}.
 *
 * @param dir - the run directory.
 * @returns the JSON value and its task name.
 * @example
 * ```ts
 * import { readRunConfig } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = readRunConfig('/no/such/run');
 * console.assert(E.isLeft(r) && r.left.message.includes('/no/such/run'));
 * ```
 * @category Training
 */
export function readRunConfig(dir: string): E.Either<RunDirError, { readonly task: string; readonly json: Readonly<Record<string, unknown>> }> {
  let isDir = false;
  try {
    isDir = nodeFs.statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) return E.left(new RunDirError(dir, 'is not a directory'));
  const path = join(dir, RUN_FILES.config);
  let text: string;
  try {
    text = nodeFs.readFileSync(path, 'utf8');
  } catch {
    return E.left(new RunDirError(dir, `has no readable ${RUN_FILES.config}: not a run directory`, 'loadRun', RUN_FILES.config));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return E.left(new RunDirError(dir, `${RUN_FILES.config} is not valid JSON (${(e as Error).message})`, 'loadRun', RUN_FILES.config));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || typeof (json as { task?: unknown }).task !== 'string') {
    return E.left(new RunDirError(dir, `${RUN_FILES.config} names no task`, 'loadRun', 'task'));
  }
  return E.right({ task: (json as { task: string }).task, json: json as Record<string, unknown> });
}
