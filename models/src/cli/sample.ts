/**
 * `mnemo sample <run dir>`: generate text from a character language model
 * trained by `mnemo train charlm`.
 *
 * @module
 */
import { resolve } from 'node:path';
import { key } from '@mnemo/core';
import * as E from 'fp-ts/lib/Either.js';
import { jsonText } from '../report/json.js';
import { loadCharLmRun } from '../tasks/charlm/job.js';
import { sampleCharLm } from '../tasks/charlm/sample.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import type { ArgsSpec } from './parse.js';
import { OptionTypes } from './types.js';

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
  /** The run directory (positional). */
  readonly runDir: string;
  /** `--prime`. */
  readonly prime?: string | undefined;
  /** `--length`. */
  readonly length?: number | undefined;
  /** `--temperature`. */
  readonly temperature?: number | undefined;
  /** `--seed`. */
  readonly seed?: number | undefined;
  /** `--json`. */
  readonly json?: boolean | undefined;
}

/**
 * The arguments of `mnemo sample`.
 *
 * @example
 * ```ts
 * import { sampleSpec } from '@mnemo/models';
 * console.assert(sampleSpec.options.some((o) => o.flag === '--temperature'));
 * ```
 * @category Command line
 */
export const sampleSpec: ArgsSpec = {
  positionals: [{ key: 'runDir', name: 'run dir', type: OptionTypes.path, help: 'a run directory of mnemo train charlm', required: true }],
  options: [
    { flag: '--prime', key: 'prime', type: OptionTypes.text, help: 'text the model reads first; every character must be in its vocabulary (none)' },
    { flag: '--length', key: 'length', type: OptionTypes.length, help: 'characters to draw (400; at most 10,000,000)' },
    { flag: '--temperature', key: 'temperature', type: OptionTypes.nonNegative, help: 'divides the logits: below 1 sharper, above 1 flatter, 0 always the most likely character (1)' },
    { flag: '--seed', key: 'seed', type: OptionTypes.seed, help: 'random seed of the draws (0)' },
    { flag: '--json', key: 'json', help: 'print {prime, text, ...} as one JSON object at the end instead of streaming' },
  ],
};

/**
 * Run `mnemo sample`: load the run's model, print the prime, then stream the
 * drawn characters to stdout as they come (with `--json`, print one JSON
 * object at the end instead). Returns the exit code; throws a `UsageError`
 * (exit 2) when the prime has characters the model does not know (the
 * message names them), a `RunDirError` (exit 3) when the run directory has
 * no usable checkpoint.
 *
 * @example
 * ```ts
 * import { runSample, RunDirError } from '@mnemo/models';
 * const io = { stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false };
 * let e: unknown;
 * try { await runSample(io, { runDir: '/no/such/run' }); } catch (err) { e = err; }
 * console.assert(e instanceof RunDirError);
 * ```
 * @category Command line
 */
export async function runSample(io: CliIo, a: SampleArgs): Promise<number> {
  const run = loadCharLmRun(resolve(a.runDir));
  if (E.isLeft(run)) throw run.left;
  const { model, params, vocab } = run.right;
  const prime = a.prime ?? '';
  const unknown = vocab.unknown(prime);
  if (unknown.length > 0) {
    throw new UsageError(`--prime has characters the model never saw: ${unknown.map((c) => JSON.stringify(c)).join(', ')}; its vocabulary is ${JSON.stringify(vocab.chars.join(''))}`, '--prime');
  }
  const options = { prime, length: a.length ?? 400, temperature: a.temperature ?? 1, key: key(a.seed ?? 0) };
  const chars = sampleCharLm(model, params, vocab, options);
  if (a.json === true) {
    const text = [...chars].join('');
    io.stdout(`${jsonText({ prime, text, length: options.length, temperature: options.temperature, seed: a.seed ?? 0 })}\n`);
    return EXIT.ok;
  }
  io.stdout(prime);
  let last = prime.slice(-1);
  for (const c of chars) {
    io.stdout(c);
    last = c;
  }
  if (last !== '\n') io.stdout('\n');
  return EXIT.ok;
}
