/**
 * Checkpoints and reading a run directory back: the parameters and optimizer
 * state go to `checkpoint.json` through nn's parameter files (versioned,
 * checksummed, written atomically), with the step and seed as metadata; the
 * configuration is `config.json`. Everything else a resumed run needs (data
 * order, random keys) follows from the seed and the step.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MnemoError } from '@mnemo/core';
import type { OptState } from '@mnemo/nn';
import { loadParams, saveParams } from '@mnemo/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import type { SequenceModelParams } from '../models/sequence-model.js';
import { decodeConfig, type TrainConfig } from './config.js';

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

/**
 * Where a run stands after some steps: its parameters, its optimizer state and
 * the number of steps done. With the configuration (seed included) this is
 * all a run needs to continue exactly as if it had never stopped.
 *
 * @example
 * ```ts
 * import { rowLstm, type TrainState } from '@mnemo/models';
 * import { adam } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const params = rowLstm({ hidden: 4, projection: 4 }).init(key(0));
 * const s: TrainState = { params, optState: adam().init(params), step: 0 };
 * console.assert(s.optState.step === 0);
 * ```
 * @category Training
 */
export interface TrainState {
  /** The model's parameters. */
  readonly params: SequenceModelParams;
  /** The optimizer's state (its update count and slots). */
  readonly optState: OptState<SequenceModelParams>;
  /** Steps done (the next batch is this step's). */
  readonly step: number;
}

/**
 * A problem with a run directory: missing, not a run, a configuration that does
 * not decode, or a checkpoint that is damaged or does not fit the model.
 *
 * @example
 * ```ts
 * import { RunDirError } from '@mnemo/models';
 * const e = new RunDirError('/runs/x', 'has no config.json');
 * console.assert(e.dir === '/runs/x' && e.message.includes('has no config.json'));
 * ```
 * @category Training
 */
export class RunDirError extends MnemoError {
  /** The run directory at fault. */
  readonly dir: string;
  constructor(dir: string, detail: string, op = 'loadRun') {
    super(op, 'runDir', `${dir}: ${detail}`);
    this.dir = dir;
  }
}

/**
 * Write a checkpoint of `state` to the run directory, atomically (a crash
 * mid-write leaves the previous checkpoint).
 *
 * @example
 * ```ts
 * import { saveCheckpoint, loadCheckpoint, sequenceModel, RUN_FILES } from '@mnemo/models';
 * import { adam } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import * as E from 'fp-ts/lib/Either.js';
 * const dir = mkdtempSync(`${tmpdir()}/ckpt-`);
 * const m = sequenceModel({ inputSize: 2, outputSize: 1, projection: 0, cell: 'rnn', hidden: 3, layers: 1 });
 * const params = m.init(key(0));
 * saveCheckpoint(dir, { params, optState: adam().init(params), step: 0 }, 42);
 * const r = loadCheckpoint(dir, params, 42);
 * console.assert(E.isRight(r) && r.right.step === 0);
 * console.assert(E.isLeft(loadCheckpoint(dir, params, 43))); // another seed
 * ```
 * @category Training
 */
export function saveCheckpoint(dir: string, state: TrainState, seed: number): void {
  saveParams(join(dir, RUN_FILES.checkpoint), {
    params: state.params,
    optimizer: state.optState,
    metadata: { kind: 'mnemo-checkpoint', step: state.step, seed },
  });
}

/**
 * Read a run directory's checkpoint. `like` (freshly initialized parameters of
 * the run's model) fixes the structure, shapes and dtypes the file must have;
 * `seed` must be the one the checkpoint was written with.
 *
 * @example
 * ```ts
 * import { loadCheckpoint, sequenceModel } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * import { tmpdir } from 'node:os';
 * import * as E from 'fp-ts/lib/Either.js';
 * const m = sequenceModel({ inputSize: 2, outputSize: 1, projection: 0, cell: 'rnn', hidden: 3, layers: 1 });
 * const r = loadCheckpoint(`${tmpdir()}/no-such-run`, m.init(key(0)), 0);
 * console.assert(E.isLeft(r) && r.left.message.includes('checkpoint'));
 * ```
 * @category Training
 */
export function loadCheckpoint(dir: string, like: SequenceModelParams, seed: number): E.Either<RunDirError, TrainState> {
  const path = join(dir, RUN_FILES.checkpoint);
  if (!existsSync(path)) return E.left(new RunDirError(dir, `has no ${RUN_FILES.checkpoint} (the run stopped before its first checkpoint?)`));
  const r = loadParams<SequenceModelParams>(path, { like });
  if (E.isLeft(r)) return E.left(new RunDirError(dir, r.left));
  const f = r.right;
  const meta = f.metadata as { kind?: unknown; step?: unknown; seed?: unknown } | null | undefined;
  if (meta === null || typeof meta !== 'object' || meta.kind !== 'mnemo-checkpoint') {
    return E.left(new RunDirError(dir, `${RUN_FILES.checkpoint} is a parameter file but not a training checkpoint (no step and seed)`));
  }
  const step = meta.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
    return E.left(new RunDirError(dir, `${RUN_FILES.checkpoint}: metadata.step is ${JSON.stringify(step)}, not a step count`));
  }
  if (meta.seed !== seed) {
    return E.left(new RunDirError(dir, `${RUN_FILES.checkpoint} was written with seed ${JSON.stringify(meta.seed)}, the configuration says ${seed}`));
  }
  if (f.optimizer === undefined) return E.left(new RunDirError(dir, `${RUN_FILES.checkpoint} has no optimizer state`));
  if (f.optimizer.step !== step) {
    return E.left(new RunDirError(dir, `${RUN_FILES.checkpoint}: the optimizer made ${f.optimizer.step} updates, the metadata says ${step} steps`));
  }
  return E.right({ params: f.params, optState: f.optimizer, step });
}

/**
 * Read and decode a run directory's `config.json`.
 *
 * @example
 * ```ts
 * import { loadRunConfig } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadRunConfig('/no/such/run');
 * console.assert(E.isLeft(r) && r.left.message.includes('/no/such/run'));
 * ```
 * @category Training
 */
export function loadRunConfig(dir: string): E.Either<RunDirError, TrainConfig> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return E.left(new RunDirError(dir, 'is not a directory'));
  const path = join(dir, RUN_FILES.config);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return E.left(new RunDirError(dir, `has no readable ${RUN_FILES.config}: not a run directory`));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return E.left(new RunDirError(dir, `${RUN_FILES.config} is not valid JSON (${(e as Error).message})`));
  }
  try {
    return E.right(decodeConfig(json, 'loadRunConfig'));
  } catch (e) {
    return E.left(new RunDirError(dir, `${RUN_FILES.config}: ${(e as Error).message}`));
  }
}
