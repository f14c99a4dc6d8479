/**
 * `mnemo eval <run dir>`: score a run's last checkpoint, whatever its task,
 * as its run scores itself at the end (the test set; the validation sonnets;
 * the held-out inputs by size).
 *
 * @module
 */
import { resolve } from 'node:path';
import { setBackend } from '@mnemo/core';
import * as E from 'fp-ts/lib/Either.js';
import { jsonText } from '../report/json.js';
import { jobOf, openRun, type AnyRunConfig } from '../tasks/registry.js';
import { decodeConfig } from '../tasks/sequence/config.js';
import { DivergedError } from '../training/errors.js';
import type { JobResult } from '../training/job.js';
import { loadRecordedCell } from './cells.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { checkMemory } from './limits.js';
import type { ArgsSpec } from './parse.js';
import { flagOfField } from './train.js';
import { OptionTypes } from './types.js';

/**
 * The decoded options of `mnemo eval`.
 *
 * @example
 * ```ts
 * import type { EvalArgs } from '@mnemo/models';
 * const a: EvalArgs = { runDir: 'runs/mnist-lstm', json: true };
 * console.assert(a.json === true);
 * ```
 * @category Command line
 */
export interface EvalArgs {
  /** The run directory (positional). */
  readonly runDir: string;
  /** `--test-size` (mnist, adding, temporal-order). */
  readonly testSize?: number | undefined;
  /** `--eval-batch` (mnist, adding, temporal-order). */
  readonly evalBatch?: number | undefined;
  /** `--json`. */
  readonly json?: boolean | undefined;
}

/**
 * The arguments of `mnemo eval`.
 *
 * @example
 * ```ts
 * import { evalSpec } from '@mnemo/models';
 * console.assert(evalSpec.positionals[0]!.required && evalSpec.options.some((o) => o.flag === '--json'));
 * ```
 * @category Command line
 */
export const evalSpec: ArgsSpec = {
  positionals: [{ key: 'runDir', name: 'run dir', type: OptionTypes.path, help: 'a run directory written by mnemo train', required: true }],
  options: [
    { flag: '--test-size', key: 'testSize', type: OptionTypes.positiveInt, help: 'mnist, adding, temporal-order: score only the first n test examples' },
    { flag: '--eval-batch', key: 'evalBatch', type: OptionTypes.positiveInt, help: 'mnist, adding, temporal-order: test batch size' },
    { flag: '--json', key: 'json', help: 'print the result as JSON' },
  ],
};

/**
 * Score a run directory's checkpoint and print the result; returns the exit
 * code. A run of a user's cell loads its module from the path its
 * config.json records. A missing or damaged run directory or checkpoint
 * throws a `RunDirError` (exit 3), a missing or unusable cell module a
 * `CellModuleError` (exit 3); a model whose score is not finite a
 * `DivergedError` (exit 4).
 *
 * @example
 * ```ts
 * import { runEval, runTrain } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const out: string[] = [];
 * const io = { stdout: (s: string) => out.push(s), stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false };
 * const root = mkdtempSync(`${tmpdir()}/r-`);
 * await runTrain(io, { task: 'adding', stepsPerSequence: 5, hidden: 4, steps: 2, batch: 4, testSize: 10, out: root, name: 'a', json: true });
 * out.length = 0;
 * console.assert((await runEval(io, { runDir: `${root}/a`, json: true })) === 0 && JSON.parse(out.join('')).examples === 10);
 * ```
 * @category Command line
 */
export async function runEval(io: CliIo, a: EvalArgs): Promise<number> {
  const dir = resolve(a.runDir);
  await loadRecordedCell(io, dir);
  const r = openRun(dir);
  if (E.isLeft(r)) throw r.left;
  let config: AnyRunConfig = r.right.config;
  const overrides = { ...(a.testSize === undefined ? {} : { testSize: a.testSize }), ...(a.evalBatch === undefined ? {} : { evalBatch: a.evalBatch }) };
  if (Object.keys(overrides).length > 0) {
    if (config.task === 'charlm' || config.task === 'seq2seq') {
      throw new UsageError(`${a.testSize === undefined ? '--eval-batch' : '--test-size'} applies to mnist, adding and temporal-order runs; this run trains ${config.task}`, a.testSize === undefined ? '--eval-batch' : '--test-size');
    }
    try {
      config = decodeConfig({ ...config, ...overrides }, 'eval');
    } catch (e) {
      throw new UsageError((e as Error).message, flagOfField((e as { arg?: string }).arg ?? ''));
    }
  }
  checkMemory(config, flagOfField, [...(a.testSize === undefined ? [] : ['--test-size']), ...(a.evalBatch === undefined ? [] : ['--eval-batch'])]);
  const job = Object.keys(overrides).length > 0 ? jobOf(config) : r.right.job;
  const previous = setBackend(config.backend);
  let result: JobResult;
  const t0 = performance.now();
  try {
    result = job.evaluate(r.right.state.params);
  } finally {
    setBackend(previous);
  }
  const seconds = (performance.now() - t0) / 1000;
  const step = r.right.state.step;
  if (!Number.isFinite(result.loss)) throw new DivergedError(step, result.loss, 'test loss');
  const cell = (config as { cell?: string }).cell;
  const cellModule = config.cellModule;
  if (a.json === true) {
    // Fields a run does not have are left out (never null: --json writes no nulls).
    const named = { ...(cell === undefined ? {} : { cell }), ...(cellModule === undefined ? {} : { cellModule }) };
    io.stdout(`${jsonText({ runDir: dir, task: config.task, ...named, step, ...result, seconds }, 2)}\n`);
  } else {
    const n = (result as { examples?: number }).examples;
    io.stdout(
      `${config.task}${cell === undefined ? '' : `, ${cell}`}${cellModule === undefined ? '' : ` (from ${cellModule})`}, checkpoint at step ${step} of ${config.steps}\n` +
        `test accuracy: ${(100 * result.accuracy).toFixed(2)}% (loss ${result.loss.toFixed(4)}${n === undefined ? '' : `, ${n} examples`}, ${seconds.toFixed(1)} s)\n` +
        (job.describe === undefined ? '' : `\n${job.describe(result)}\n`),
    );
  }
  return EXIT.ok;
}
