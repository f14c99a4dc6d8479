/**
 * `mnemo train seq2seq`: the encoder-decoder on addition or reversal.
 *
 * @module
 */
import { command, flag, option, optional, string } from 'cmd-ts';
import * as t from 'io-ts';
import type { DType } from '@mnemo/core';
import { EXIT, UsageError, progressOutput, type CliIo } from '../cli/io.js';
import { codecType, OptionTypes } from '../cli/types.js';
import { seq2seqProblem, type Seq2seqProblemName } from './problems.js';
import { runSeq2seq, seq2seqSummaryText } from './run.js';
import { SEQ2SEQ_DEFAULTS, type Seq2seqTrainOptions } from './train.js';

const problemType = codecType(
  t.keyof({ add: null, reverse: null }, 'one of add, reverse') as unknown as t.Type<Seq2seqProblemName, unknown, unknown>,
  { displayName: 'problem' },
);

/**
 * The options of `mnemo train seq2seq`.
 *
 * @example
 * ```ts
 * import { seq2seqTrainArgs } from '@mnemo/models';
 * console.assert('problem' in seq2seqTrainArgs && 'maxTestSize' in seq2seqTrainArgs);
 * ```
 * @category Command line
 */
export const seq2seqTrainArgs = {
  problem: option({ long: 'problem', type: optional(problemType), description: 'add (default: "123+45" -> "168") or reverse ("1234" -> "4321")' }),
  cell: option({ long: 'cell', type: optional(OptionTypes.cell), description: 'the cell of encoder and decoder (lstm)' }),
  hidden: option({ long: 'hidden', type: optional(OptionTypes.positiveInt), description: `hidden units (${SEQ2SEQ_DEFAULTS.hidden})` }),
  layers: option({ long: 'layers', type: optional(OptionTypes.positiveInt), description: 'stacked layers on each side (1)' }),
  embedding: option({ long: 'embedding', type: optional(OptionTypes.positiveInt), description: `symbol embedding width (${SEQ2SEQ_DEFAULTS.embedding})` }),
  steps: option({ long: 'steps', type: optional(OptionTypes.positiveInt), description: `training steps, a fresh batch each (${SEQ2SEQ_DEFAULTS.steps})` }),
  batch: option({ long: 'batch', type: optional(OptionTypes.positiveInt), description: `examples per step (${SEQ2SEQ_DEFAULTS.batch})` }),
  lr: option({ long: 'lr', type: optional(OptionTypes.lr), description: `Adam's learning rate, cosine-decayed to a tenth (${SEQ2SEQ_DEFAULTS.lr})` }),
  clip: option({ long: 'clip', type: optional(OptionTypes.positive), description: `clip gradients to this global norm (${SEQ2SEQ_DEFAULTS.clip})` }),
  seed: option({ long: 'seed', type: optional(OptionTypes.seed), description: 'random seed: parameters, training and test examples (0)' }),
  dtype: option({ long: 'dtype', type: optional(OptionTypes.dtype), description: 'float32 (default) or float64' }),
  minSize: option({ long: 'min-size', type: optional(OptionTypes.positiveInt), description: 'smallest training size: digits per operand, or string length (1)' }),
  maxSize: option({ long: 'max-size', type: optional(OptionTypes.positiveInt), description: `largest training size (${SEQ2SEQ_DEFAULTS.trainSizes[1]})` }),
  maxTestSize: option({
    long: 'max-test-size',
    type: optional(OptionTypes.positiveInt),
    description: `test every size from 1 to this, larger than trained included (${SEQ2SEQ_DEFAULTS.maxTestSize}; at most 9)`,
  }),
  testCount: option({ long: 'test-count', type: optional(OptionTypes.positiveInt), description: `held-out examples per size (${SEQ2SEQ_DEFAULTS.testCount})` }),
  out: option({ long: 'out', type: optional(string), description: 'folder for run directories (runs)' }),
  name: option({ long: 'name', type: optional(string), description: 'run directory name (seq2seq-<problem>-<cell>, numbered if taken)' }),
  json: flag({ long: 'json', description: 'print the result as JSON on stdout (progress goes to stderr)' }),
};

/**
 * The decoded options of `mnemo train seq2seq` (absent: the default).
 *
 * @example
 * ```ts
 * import type { Seq2seqTrainArgs } from '@mnemo/models';
 * const a: Seq2seqTrainArgs = { problem: 'reverse', maxSize: 5, maxTestSize: 7 };
 * console.assert(a.problem === 'reverse');
 * ```
 * @category Command line
 */
export interface Seq2seqTrainArgs {
  readonly problem?: Seq2seqProblemName | undefined;
  readonly cell?: string | undefined;
  readonly hidden?: number | undefined;
  readonly layers?: number | undefined;
  readonly embedding?: number | undefined;
  readonly steps?: number | undefined;
  readonly batch?: number | undefined;
  readonly lr?: number | undefined;
  readonly clip?: number | undefined;
  readonly seed?: number | undefined;
  readonly dtype?: DType | undefined;
  readonly minSize?: number | undefined;
  readonly maxSize?: number | undefined;
  readonly maxTestSize?: number | undefined;
  readonly testCount?: number | undefined;
  readonly out?: string | undefined;
  readonly name?: string | undefined;
  readonly json?: boolean | undefined;
}

/**
 * Run `mnemo train seq2seq` with decoded options; returns the exit code.
 *
 * @example
 * ```ts
 * import { runSeq2seqTrain } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const out: string[] = [];
 * const io = { stdout: (s: string) => out.push(s), stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false };
 * const code = await runSeq2seqTrain(io, { problem: 'reverse', hidden: 8, steps: 2, batch: 4, maxSize: 2, maxTestSize: 3, testCount: 3, out: mkdtempSync(`${tmpdir()}/r-`) });
 * console.assert(code === 0 && out.join('').includes('exact match'));
 * ```
 * @category Command line
 */
export async function runSeq2seqTrain(io: CliIo, a: Seq2seqTrainArgs): Promise<number> {
  const d = SEQ2SEQ_DEFAULTS;
  const minSize = a.minSize ?? d.trainSizes[0];
  const maxSize = a.maxSize ?? Math.max(d.trainSizes[1], minSize);
  if (maxSize < minSize) throw new UsageError(`--max-size ${maxSize} is below --min-size ${minSize}`);
  const maxTestSize = a.maxTestSize ?? Math.max(d.maxTestSize, maxSize);
  if (maxTestSize > 9) throw new UsageError(`--max-test-size must be at most 9, got ${maxTestSize}`);
  const options: Seq2seqTrainOptions = {
    cell: a.cell ?? d.cell,
    hidden: a.hidden ?? d.hidden,
    layers: a.layers ?? d.layers,
    embedding: a.embedding ?? d.embedding,
    dtype: a.dtype ?? d.dtype,
    steps: a.steps ?? d.steps,
    batch: a.batch ?? d.batch,
    lr: a.lr ?? d.lr,
    clip: a.clip ?? d.clip,
    seed: a.seed ?? d.seed,
    trainSizes: [minSize, maxSize],
    maxTestSize,
    testCount: a.testCount ?? d.testCount,
  };
  const problem = seq2seqProblem(a.problem ?? 'add');
  const json = a.json === true;
  if (!json) {
    io.stdout(
      `mnemo train seq2seq: ${problem.description}\n` +
        `model: encoder ${options.layers} x ${options.cell} ${options.hidden} -> decoder ${options.layers} x ${options.cell} ${options.hidden}, embeddings ${options.embedding}; ` +
        `Adam lr ${options.lr}, batch ${options.batch}, ${options.steps} steps, sizes ${minSize}-${maxSize}, seed ${options.seed}\n`,
    );
  }
  const s = await runSeq2seq(problem, options, {
    out: a.out ?? 'runs',
    ...(a.name === undefined ? {} : { name: a.name }),
    ...progressOutput(io, json),
  });
  if (json) io.stdout(`${JSON.stringify(s, null, 2)}\n`);
  else io.stdout(`${seq2seqSummaryText(s)}run directory: ${s.runDir}\n`);
  return EXIT.ok;
}

/**
 * The `mnemo train seq2seq` command (cmd-ts).
 *
 * @example
 * ```ts
 * import { seq2seqTrainCommand } from '@mnemo/models';
 * console.assert(seq2seqTrainCommand({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'seq2seq');
 * ```
 * @category Command line
 */
export function seq2seqTrainCommand(io: CliIo) {
  return command({
    name: 'seq2seq',
    description:
      'Train an encoder-decoder (many-to-many with a delay): an encoder reads the input, its final state starts a decoder that writes the answer;\n' +
      'teacher forcing in training, greedy decoding in the test. Reports exact-match accuracy on held-out inputs (a tenth of all inputs, never trained on)\n' +
      'at every size from 1 to --max-test-size, larger than trained included. Writes a run directory (config.json, checkpoint.json, metrics.jsonl, loss.svg, summary.md).',
    args: seq2seqTrainArgs,
    handler: (a) => runSeq2seqTrain(io, a),
  });
}
