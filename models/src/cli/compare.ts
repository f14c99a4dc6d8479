/**
 * `mnemo compare --task adding --steps-per-sequence 100 --cells rnn,lstm,gru`:
 * train several cells on one task with the same budget and print a table,
 * with a plot of their training losses.
 *
 * @module
 */
import { resolve } from 'node:path';
import { command, flag, option, optional, string } from 'cmd-ts';
import { createProgress } from '../report/progress.js';
import { createRunDir } from '../report/rundir.js';
import { compareCells, compareTable } from '../training/compare.js';
import { EXIT, progressOutput, type CliIo } from './io.js';
import { configFromArgs, trainArgs, type TrainArgs } from './train.js';
import { OptionTypes } from './types.js';

/**
 * The decoded options of `mnemo compare`: those of `mnemo train` that shape a
 * run (not the cell, which `cells` lists, nor `--resume`), plus the task and cells.
 *
 * @example
 * ```ts
 * import type { CompareArgs } from '@mnemo/models';
 * const a: CompareArgs = { task: 'adding', cells: ['rnn', 'lstm', 'gru'], stepsPerSequence: 100 };
 * console.assert(a.cells?.length === 3);
 * ```
 * @category Command line
 */
export interface CompareArgs extends Omit<TrainArgs, 'cell' | 'variant' | 'resume' | 'name'> {
  /** `--cells`: the cells to compare. */
  readonly cells?: readonly string[] | undefined;
}

/**
 * Run a comparison and print its table (or JSON); returns the exit code
 * (0, or 130/143 when interrupted).
 *
 * @example
 * ```ts
 * import { runCompare } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const out: string[] = [];
 * const io = { stdout: (s: string) => out.push(s), stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false };
 * const code = await runCompare(io, { task: 'adding', cells: ['rnn', 'lstm'], stepsPerSequence: 5, hidden: 4, steps: 2, batch: 4, testSize: 10, out: mkdtempSync(`${tmpdir()}/c-`) });
 * console.assert(code === 0 && out.join('').includes('criterion'));
 * ```
 * @category Command line
 */
export async function runCompare(io: CliIo, a: CompareArgs): Promise<number> {
  const cells = a.cells ?? ['rnn', 'lstm', 'gru'];
  const task = a.task ?? 'adding';
  // Resolve with an LSTM of the list, if any, so that LSTM-only options (--forget-bias...) are checked against it.
  const config = configFromArgs(task, { ...a, cell: cells.find((c) => c.split('+')[0] === 'lstm') ?? cells[0] });
  const outDir = createRunDir(a.out ?? 'runs', `compare-${task}-${config.sequenceLength}`);
  const json = a.json === true;
  const out = progressOutput(io, json);
  const r = await compareCells({
    config,
    cells,
    outDir,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onStart: (cell, i) => out.write(`[${i + 1}/${cells.length}] ${cell}\n`),
    progress: (_cell, start, total) => createProgress({ total, start, ...out }),
  });
  if (json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
  else io.stdout(`\n${compareTable(r)}plot: ${resolve(outDir, 'compare.svg')}\n`);
  if (r.stopped && io.signal?.aborted === true) return io.signal.reason === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  return EXIT.ok;
}

/**
 * The `mnemo compare` command (cmd-ts), writing through `io`.
 *
 * @example
 * ```ts
 * import { compareCommand } from '@mnemo/models';
 * console.assert(compareCommand({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'compare');
 * ```
 * @category Command line
 */
export function compareCommand(io: CliIo) {
  const { task: _task, cell: _cell, variant: _variant, resume: _resume, name: _name, ...shared } = trainArgs;
  return command({
    name: 'compare',
    description:
      'Train several cells on one task with the same data, budget and seed; print a table and write compare.svg, compare.md, compare.json ' +
      'and one run directory per cell. A cell counts as having solved the task when its test loss is below 10% of the constant predictor\'s.\n' +
      'Example: mnemo compare --task adding --steps-per-sequence 100 --cells rnn,lstm,gru',
    args: {
      task: option({ long: 'task', type: optional(OptionTypes.task), description: 'adding (default), temporal-order or mnist' }),
      cells: option({ long: 'cells', type: optional(OptionTypes.cellList), description: 'cells to compare, comma-separated (rnn,lstm,gru)' }),
      ...shared,
      out: option({ long: 'out', type: optional(string), description: 'folder for the comparison directory (runs)' }),
      json: flag({ long: 'json', description: 'print the result as JSON on stdout (progress goes to stderr)' }),
    },
    handler: (a) => runCompare(io, a),
  });
}
