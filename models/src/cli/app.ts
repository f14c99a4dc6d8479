/**
 * The `mnemo` command line: one table of subcommands ({@link COMMANDS}:
 * train, eval, sample, gradcheck, compare), each with its arguments and
 * handler; every option value decoded with io-ts; every outcome mapped to an
 * exit code scripts can rely on ({@link EXIT}). Under `--json`, an error is
 * also printed on stdout as `{"error": {"code", "message", "field"}}`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { jsonText } from '../report/json.js';
import { cellsHelp } from './cells.js';
import { runCompare, compareSpec, type CompareArgs } from './compare.js';
import { runEval, evalSpec, type EvalArgs } from './eval.js';
import { runGradcheck, gradcheckSpec, type GradcheckArgs } from './gradcheck.js';
import { EXIT, UsageError, errorReport, type CliIo } from './io.js';
import { helpText, parseArgs, type ArgsSpec } from './parse.js';
import { runSample, sampleSpec, type SampleArgs } from './sample.js';
import { TRAIN_HELP, runTrain, trainSpec, type TrainArgs } from './train.js';

const VERSION = ((): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/**
 * The exit codes, as `mnemo --help` prints them.
 *
 * @example
 * ```ts
 * import { EXIT_CODES_HELP } from '@mnemo/models';
 * console.assert(EXIT_CODES_HELP.includes('130') && EXIT_CODES_HELP.includes('73'));
 * ```
 * @category Command line
 */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    done (also for --help)',
  '  1    the check failed (gradcheck)',
  '  2    bad command line: unknown command or option, a missing, empty or bad value, options that do not go together, a run too big for this machine,',
  '       a cell module that does not exist or exports several families (choose one: ./cells.ts#janet)',
  '  3    unusable input: MNIST or the sonnets missing or corrupt; a run directory, config.json or checkpoint missing, damaged, or holding values',
  '       a run cannot continue from (not finite, out of range); a cell module that exports no cell, fails the checks, has a syntax error,',
  '       throws while loading, or that a run recorded and is gone',
  '  4    training diverged: a step\'s loss, gradients or parameters were not finite (the step is not applied; the last finite checkpoint is kept),',
  '       or a model scored a non-finite loss',
  '  70   internal error (a bug; the message has the stack)',
  '  73   the output could not be written (--out is not a folder mnemo can write into, or a write failed); the last good checkpoint is kept',
  '  130  interrupted by Ctrl-C (training saved a checkpoint first); 143 for SIGTERM',
  'With --json, an error is also printed on stdout as {"error": {"code": <exit code>, "message": "...", "field": "<option or field>"|null}}.',
].join('\n');

/**
 * One subcommand of `mnemo`: its name, one line for the overview, its help,
 * its arguments, and what it runs (given the decoded arguments and the
 * options the user typed), resolving to the exit code.
 *
 * @example
 * ```ts
 * import { COMMANDS, type Command } from '@mnemo/models';
 * const c: Command = COMMANDS.find((x) => x.name === 'eval')!;
 * console.assert(c.usage.startsWith('mnemo eval'));
 * ```
 * @category Command line
 */
export interface Command {
  /** The word after `mnemo`. */
  readonly name: string;
  /** One line for `mnemo --help`. */
  readonly summary: string;
  /** The usage line. */
  readonly usage: string;
  /** What it does, for `mnemo <name> --help`. */
  readonly description: string;
  /** Its positionals and options. */
  readonly spec: ArgsSpec;
  /** Run it. */
  run(io: CliIo, args: Record<string, unknown>, given: readonly string[]): Promise<number>;
}

/**
 * Every subcommand of `mnemo`, in the order `mnemo --help` lists them.
 *
 * @example
 * ```ts
 * import { COMMANDS } from '@mnemo/models';
 * console.assert(COMMANDS.map((c) => c.name).join() === 'train,eval,sample,gradcheck,compare');
 * ```
 * @category Command line
 */
export const COMMANDS: readonly Command[] = [
  {
    name: 'train',
    summary: 'train a task (mnist, adding, temporal-order, charlm, seq2seq), or resume a run',
    usage: 'mnemo train [task] [options] | mnemo train --resume <run dir> [--steps n]',
    // Read when the help is printed: the registered cells are listed.
    get description() {
      return `${TRAIN_HELP}\n\n${cellsHelp()}`;
    },
    spec: trainSpec,
    run: (io, a, given) => runTrain(io, a as TrainArgs, given),
  },
  {
    name: 'eval',
    summary: "score a run directory's last checkpoint",
    usage: 'mnemo eval <run dir> [options]',
    description: "Score a run directory's last checkpoint as the run scores itself at the end (test set, validation sonnets, held-out inputs).",
    spec: evalSpec,
    run: (io, a) => runEval(io, a as unknown as EvalArgs),
  },
  {
    name: 'sample',
    summary: 'generate text from a character language model',
    usage: 'mnemo sample <run dir> [options]',
    description:
      'Generate text from a character language model (one-to-many): it reads the prime, then draws one character at a time and feeds it back,\n' +
      'streaming each to stdout as it is drawn. The same --seed gives the same text.',
    spec: sampleSpec,
    run: (io, a) => runSample(io, a as unknown as SampleArgs),
  },
  {
    name: 'gradcheck',
    summary: 'BPTT gradient report of a cell against central differences',
    usage: 'mnemo gradcheck <cell> [options]',
    get description() {
      return (
        'Check the BPTT gradients of a cell against central differences in float64: per time step, per gate and per parameter block.\n' +
        'Exit code 0 when every block passes, 1 when one fails. The cell is a built-in one (gru, lstm+cifg) or your own module: mnemo gradcheck ./janet.ts --steps 20\n\n' +
        cellsHelp()
      );
    },
    spec: gradcheckSpec,
    run: (io, a) => runGradcheck(io, a as unknown as GradcheckArgs),
  },
  {
    name: 'compare',
    summary: 'train several cells on one task with the same budget and compare them',
    usage: 'mnemo compare [options] | mnemo compare --resume <dir>',
    get description() {
      return (
        'Train several cells on one task with the same data, budget and seed; print a table and write compare.svg, compare.md, compare.json\n' +
        "and one run directory per cell. A cell counts as having solved the task when its test loss is below 10% of the constant predictor's.\n" +
        'Ctrl-C saves the current cell; `mnemo compare --resume <dir>` continues. Example: mnemo compare --task adding --steps-per-sequence 100 --cells rnn,lstm,gru\n' +
        'Your cell against the LSTM and the GRU: mnemo compare --task adding --cells lstm,gru,./janet.ts\n\n' +
        cellsHelp()
      );
    },
    spec: compareSpec,
    run: (io, a, given) => runCompare(io, a as CompareArgs, given),
  },
];

/**
 * The overview `mnemo --help` prints.
 *
 * @returns the text.
 * @example
 * ```ts
 * import { overviewHelp } from '@mnemo/models';
 * console.assert(overviewHelp().includes('gradcheck') && overviewHelp().includes('Exit codes:'));
 * ```
 * @category Command line
 */
export function overviewHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `mnemo ${VERSION}: train and inspect recurrent networks.`,
    '',
    'Usage: mnemo <command> [arguments] [options]   (mnemo <command> --help for its options)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Examples:',
    '  mnemo train mnist                  the tutorial: MNIST row by row with an LSTM',
    '  mnemo train adding --cell gru      a long-time-lag task',
    '  mnemo train --resume runs/x        continue a stopped run',
    '  mnemo eval runs/x                  score a run on the test set',
    '  mnemo gradcheck lstm --variant cifg   BPTT gradient report of a cell',
    '  mnemo compare --task adding --steps-per-sequence 100 --cells rnn,lstm,gru',
    '  mnemo train adding --cell ./janet.ts   your own cell, from its module file (also compare --cells, gradcheck)',
    "  mnemo train charlm                 a character language model on Shakespeare's sonnets",
    '  mnemo sample runs/charlm-lstm --prime "Shall I compare" --temperature 0.8 --seed 1',
    '  mnemo train seq2seq --problem add  an encoder-decoder adding digit strings (or --problem reverse)',
    'Output has no escape codes when it is not a terminal; --json gives machine-readable results.',
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

/** Whether the words ask for JSON output (`--json` before any `--`). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** Report an error: text on stderr (the stack for a bug), and under --json the error object on stdout. */
function failure(io: CliIo, argv: readonly string[], e: unknown): number {
  const r = errorReport(e);
  const command = argv[0] !== undefined && COMMANDS.some((c) => c.name === argv[0]) ? `mnemo ${argv[0]}` : 'mnemo';
  if (r.code === EXIT.internal) io.stderr(`${command}: internal error: ${e instanceof Error ? (e.stack ?? r.message) : r.message}\n`);
  else io.stderr(`${command}: ${r.message}\n`);
  if (wantsJson(argv)) io.stdout(`${jsonText({ error: { code: r.code, message: r.message, field: r.field } }, 2)}\n`);
  return r.code;
}

/**
 * Run the command line on `argv` (without `node` and the script) and return
 * the exit code instead of exiting, so that it can run in-process.
 *
 * @example
 * ```ts
 * import { runCli } from '@mnemo/models';
 * const out: string[] = [];
 * const err: string[] = [];
 * const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), stdoutIsTTY: false, stderrIsTTY: false };
 * console.assert((await runCli(['train', 'mnist', '--backend', 'gpu', '--json'], io)) === 2);
 * console.assert(err.join('').includes('cpu, gpujs') && JSON.parse(out.join('')).error.field === '--backend');
 * ```
 * @category Command line
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0) {
    // No command: the overview goes to stderr, and it is a usage error.
    io.stderr(overviewHelp());
    return EXIT.usage;
  }
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout(overviewHelp());
    return EXIT.ok;
  }
  if (first === '--version') {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  try {
    const command = COMMANDS.find((c) => c.name === first);
    if (command === undefined) {
      throw new UsageError(`unknown command '${first}'; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (mnemo --help)`, first);
    }
    const parsed = parseArgs(command.spec, rest);
    if (parsed.help) {
      io.stdout(helpText(command.usage, command.description, command.spec));
      return EXIT.ok;
    }
    return await command.run(io, parsed.args, parsed.given);
  } catch (e) {
    return failure(io, argv, e);
  }
}
