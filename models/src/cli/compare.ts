/**
 * `mnemo compare --task adding --steps-per-sequence 100 --cells rnn,lstm,gru`:
 * train several cells on one task with the same budget through the one
 * training loop and print a table, with a plot of their training losses.
 * `mnemo compare --resume <dir>` continues a stopped comparison.
 *
 * @module
 */
import { resolve } from 'node:path';
import { setDebugNans } from '@mnemo/autodiff';
import { jsonText } from '../report/json.js';
import { createProgress } from '../report/progress.js';
import { OutputError, createRunDir } from '../report/rundir.js';
import { compareCells, compareTable, resumeComparison, type CompareResult } from '../tasks/sequence/compare.js';
import type { TaskName } from '../tasks/common/types.js';
import { resolveCliCells } from './cells.js';
import { EXIT, UsageError, progressOutput, type CliIo } from './io.js';
import { checkMemory } from './limits.js';
import type { ArgsSpec } from './parse.js';
import { TRAIN_OPTIONS, configFromArgs, flagOfField, type TrainArgs } from './train.js';
import { OptionTypes } from './types.js';

/**
 * The decoded options of `mnemo compare`: those of `mnemo train` that shape a
 * sequence task's run (not the cell, which `cells` lists), plus the task and
 * the cells; or `resume`, a comparison's folder to continue.
 *
 * @example
 * ```ts
 * import type { CompareArgs } from '@mnemo/models';
 * const a: CompareArgs = { task: 'adding', cells: ['rnn', 'lstm', 'gru'], stepsPerSequence: 100 };
 * console.assert(a.cells?.length === 3);
 * ```
 * @category Command line
 */
export interface CompareArgs extends Omit<TrainArgs, 'task' | 'cell' | 'variant' | 'name'> {
  /** `--task`. */
  readonly task?: TaskName | undefined;
  /** `--cells`: the cells to compare. */
  readonly cells?: readonly string[] | undefined;
}

const NOT_IN_COMPARE = ['--cell', '--variant', '--name', '--embedding', '--chunk', '--eval-every', '--problem', '--min-size', '--max-size', '--max-test-size', '--test-count', '--resume', '--out', '--json'];

/**
 * The arguments of `mnemo compare`.
 *
 * @example
 * ```ts
 * import { compareSpec } from '@mnemo/models';
 * console.assert(compareSpec.options.some((o) => o.flag === '--cells') && !compareSpec.options.some((o) => o.flag === '--cell'));
 * ```
 * @category Command line
 */
export const compareSpec: ArgsSpec = {
  positionals: [],
  options: [
    { flag: '--task', key: 'task', type: OptionTypes.task, help: 'adding (default), temporal-order or mnist' },
    { flag: '--cells', key: 'cells', type: OptionTypes.cellList, help: "cells to compare, comma-separated (rnn,lstm,gru); your own by its module file (lstm,gru,./janet.ts)" },
    ...TRAIN_OPTIONS.filter((o) => !NOT_IN_COMPARE.includes(o.flag)),
    { flag: '--out', key: 'out', type: OptionTypes.path, help: 'folder for the comparison directory (runs)' },
    { flag: '--resume', key: 'resume', type: OptionTypes.path, help: 'continue the comparison in this folder (each cell from its checkpoint)' },
    { flag: '--json', key: 'json', help: 'print the result as JSON on stdout (progress goes to stderr)' },
  ],
};

/**
 * Run a comparison (or continue one) and print its table (or JSON); returns
 * the exit code (0, or 130/143 when interrupted).
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
export async function runCompare(io: CliIo, a: CompareArgs, given: readonly string[] = []): Promise<number> {
  const json = a.json === true;
  const out = progressOutput(io, json);
  const run = {
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onStart: (cell: string, i: number) => out.write(`[${i + 1}] ${cell}\n`),
    progress: (_cell: string, start: number, total: number) => createProgress({ total, start, ...out }),
  };
  const previous = a.debugNans === true ? setDebugNans(true) : undefined;
  try {
    return await compare(io, a, given, json, run);
  } finally {
    if (previous !== undefined) setDebugNans(previous);
  }
}

/** The comparison itself (see {@link runCompare}). */
async function compare(
  io: CliIo,
  a: CompareArgs,
  given: readonly string[],
  json: boolean,
  run: Pick<Parameters<typeof compareCells>[0], 'signal' | 'onStart' | 'progress'>,
): Promise<number> {
  let r: CompareResult;
  if (a.resume !== undefined) {
    const fixed = given.filter((f) => !['--resume', '--json', '--debug-nans'].includes(f));
    if (fixed.length > 0) throw new UsageError(`${fixed.join(', ')} cannot be given with --resume: the comparison's compare-config.json fixes ${fixed.length === 1 ? 'it' : 'them'}`, fixed[0]);
    r = await resumeComparison(resolve(a.resume), { ...run, ...(io.importModule === undefined ? {} : { importModule: io.importModule }) });
  } else {
    // Cell modules are loaded (and their families registered) first: from then on each is a cell name.
    const { cells, modules } = await resolveCliCells(io, a.cells ?? ['rnn', 'lstm', 'gru'], '--cells');
    const task = a.task ?? 'adding';
    // Resolve with an LSTM of the list, if any, so that LSTM-only options (--forget-bias...) are checked against it.
    const first = cells.find((c) => c.split('+')[0] === 'lstm') ?? cells[0]!;
    const config = configFromArgs(task, { ...a, task, cell: first }, modules[first.split('+')[0]!]);
    for (const cell of cells) checkMemory({ ...config, cell }, flagOfField, given);
    let outDir: string;
    try {
      outDir = createRunDir(a.out ?? 'runs', `compare-${task}-${config.sequenceLength}`);
    } catch (e) {
      if (e instanceof OutputError) throw new OutputError('compare', '--out', e.path, e.detail, e.code);
      throw e;
    }
    r = await compareCells({ config, cells, cellModules: modules, outDir, ...run });
  }
  if (json) io.stdout(`${jsonText(r, 2)}\n`);
  else io.stdout(`\n${compareTable(r)}${r.outDir === null ? '' : `plot: ${resolve(r.outDir, 'compare.svg')}\n`}`);
  if (r.stopped && io.signal?.aborted === true) {
    if (!json && r.outDir !== null) io.stderr(`stopped; resume with: mnemo compare --resume ${r.outDir}\n`);
    return io.signal.reason === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  }
  return EXIT.ok;
}
