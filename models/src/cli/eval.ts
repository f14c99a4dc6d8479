/**
 * `mnemo eval <run dir>`: score a run's last checkpoint on its task's test set.
 *
 * @module
 */
import { resolve } from 'node:path';
import { setBackend } from '@mnemo/core';
import { command, flag, option, optional, positional, string } from 'cmd-ts';
import * as E from 'fp-ts/lib/Either.js';
import { sequenceModel } from '../models/sequence-model.js';
import { loadCheckpoint, loadRunConfig } from '../training/checkpoint.js';
import { modelConfigOf } from '../training/config.js';
import { evaluate, type EvalResult } from '../training/evaluate.js';
import { runKeys, taskOf } from '../training/loop.js';
import { EXIT, type CliIo } from './io.js';
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
  /** `--test-size`. */
  readonly testSize?: number | undefined;
  /** `--eval-batch`. */
  readonly evalBatch?: number | undefined;
  /** `--json`. */
  readonly json?: boolean | undefined;
}

/**
 * Score a run directory's checkpoint and print the result; returns the exit
 * code. A missing or damaged run directory throws a `RunDirError` (exit 3).
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
  const c = loadRunConfig(dir);
  if (E.isLeft(c)) throw c.left;
  const config = {
    ...c.right,
    ...(a.testSize === undefined ? {} : { testSize: a.testSize }),
    ...(a.evalBatch === undefined ? {} : { evalBatch: a.evalBatch }),
  };
  const task = taskOf(config);
  const model = sequenceModel(modelConfigOf(config, task.inputSize, task.outputSize));
  const s = loadCheckpoint(dir, model.init(runKeys(config.seed).init), config.seed);
  if (E.isLeft(s)) throw s.left;
  const previous = setBackend(config.backend);
  let r: EvalResult;
  const t0 = performance.now();
  try {
    r = evaluate(model, s.right.params, task, config.evalBatch);
  } finally {
    setBackend(previous);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (a.json === true) {
    io.stdout(`${JSON.stringify({ runDir: dir, task: task.name, cell: config.cell, step: s.right.step, ...r, seconds }, null, 2)}\n`);
  } else {
    io.stdout(
      `${task.name}, ${config.cell}, checkpoint at step ${s.right.step} of ${config.steps}\n` +
        `test accuracy: ${(100 * r.accuracy).toFixed(2)}% (loss ${r.loss.toFixed(4)}, ${r.examples} examples, ${seconds.toFixed(1)} s)\n`,
    );
  }
  return EXIT.ok;
}

/**
 * The `mnemo eval` command (cmd-ts), writing through `io`.
 *
 * @example
 * ```ts
 * import { evalCommand } from '@mnemo/models';
 * console.assert(evalCommand({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'eval');
 * ```
 * @category Command line
 */
export function evalCommand(io: CliIo) {
  return command({
    name: 'eval',
    description: "Score a run directory's last checkpoint on its task's test set.",
    args: {
      runDir: positional({ type: string, displayName: 'run dir', description: 'a run directory written by mnemo train' }),
      testSize: option({ long: 'test-size', type: optional(OptionTypes.positiveInt), description: 'score only the first n test examples' }),
      evalBatch: option({ long: 'eval-batch', type: optional(OptionTypes.positiveInt), description: 'test batch size' }),
      json: flag({ long: 'json', description: 'print the result as JSON' }),
    },
    handler: (a) => runEval(io, a),
  });
}
