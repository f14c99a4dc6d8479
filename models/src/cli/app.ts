/**
 * The `mnemo` command line: `train`, `eval`, `gradcheck` and `compare`, parsed
 * with cmd-ts, every option value decoded with io-ts, and every outcome mapped
 * to an exit code scripts can rely on ({@link EXIT}).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { defaultHelpFormatter, runSafely, setDefaultHelpFormatter, subcommands, type HelpFormatter } from 'cmd-ts';
import { compareCommand } from './compare.js';
import { evalCommand } from './eval.js';
import { gradcheckCommand } from './gradcheck.js';
import { EXIT, exitCodeOf, stripAnsi, type CliIo } from './io.js';
import { trainCommand } from './train.js';
import { isPatternTrain, patternTrainCli, sampleCommand } from '../charlm/cli.js';

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
 * console.assert(EXIT_CODES_HELP.includes('130'));
 * ```
 * @category Command line
 */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    done (also for --help)',
  '  1    the check failed (gradcheck)',
  '  2    bad command line: unknown command or option, a bad value, options that do not go together',
  '  3    unusable input: MNIST files missing or corrupt, a run directory or checkpoint missing or damaged',
  '  4    training diverged (the loss became NaN or infinite)',
  '  70   internal error (a bug; the message has the stack)',
  '  130  interrupted by Ctrl-C (training saved a checkpoint first); 143 for SIGTERM',
].join('\n');


/** cmd-ts's help, with only the first line of each command's description in the overview. */
const overviewFormatter: HelpFormatter = {
  formatCommand: (data, context) => defaultHelpFormatter.formatCommand(data, context),
  formatSubcommands: (data, context) =>
    defaultHelpFormatter.formatSubcommands(
      { ...data, commands: data.commands.map((c) => ({ ...c, ...(c.description === undefined ? {} : { description: c.description.split('\n')[0]! }) })) },
      context,
    ),
};

/**
 * The `mnemo` command line (cmd-ts subcommands), writing through `io`.
 *
 * @example
 * ```ts
 * import { mnemoCli } from '@mnemo/models';
 * console.assert(mnemoCli({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'mnemo');
 * ```
 * @category Command line
 */
export function mnemoCli(io: CliIo) {
  setDefaultHelpFormatter(overviewFormatter);
  return subcommands({
    name: 'mnemo',
    version: VERSION,
    description:
      'Train and inspect recurrent networks with mnemo.\n' +
      '  mnemo train mnist                  the tutorial: MNIST row by row with an LSTM\n' +
      '  mnemo train adding --cell gru      a long-time-lag task\n' +
      '  mnemo train --resume runs/x        continue a stopped run\n' +
      '  mnemo eval runs/x                  score a run on the test set\n' +
      '  mnemo gradcheck lstm --variant cifg   BPTT gradient report of a cell\n' +
      '  mnemo compare --task adding --steps-per-sequence 100 --cells rnn,lstm,gru\n' +
      "  mnemo train charlm                 a character language model on Shakespeare's sonnets\n" +
      '  mnemo sample runs/charlm-lstm --prime "Shall I compare" --temperature 0.8 --seed 1\n' +
      '  mnemo train seq2seq --problem add  an encoder-decoder adding digit strings (or --problem reverse)\n' +
      "Every command takes --help; output has no escape codes when it is not a terminal, and --json gives machine-readable results.\n\n" +
      EXIT_CODES_HELP,
    cmds: {
      train: trainCommand(io),
      eval: evalCommand(io),
      gradcheck: gradcheckCommand(io),
      compare: compareCommand(io),
      sample: sampleCommand(io),
    },
  });
}

/**
 * Run the command line on `argv` (without `node` and the script) and return
 * the exit code instead of exiting, so that it can run in-process.
 *
 * @example
 * ```ts
 * import { runCli } from '@mnemo/models';
 * const err: string[] = [];
 * const io = { stdout: () => {}, stderr: (s: string) => err.push(s), stdoutIsTTY: false, stderrIsTTY: false };
 * console.assert((await runCli(['train', 'mnist', '--backend', 'gpu'], io)) === 2);
 * console.assert(err.join('').includes('cpu, gpujs') && !err.join('').includes('\u001b'));
 * ```
 * @category Command line
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 0) {
    // No command: the overview goes to stderr, and it is a usage error.
    await runCli(['--help'], { ...io, stdout: io.stderr, stdoutIsTTY: io.stderrIsTTY });
    return EXIT.usage;
  }
  // `mnemo train charlm|seq2seq` have options of their own (charlm/cli.ts); cmd-ts runs them as subcommands of `mnemo train`.
  const pattern = isPatternTrain(argv);
  const cli = pattern ? (patternTrainCli(io) as unknown as ReturnType<typeof mnemoCli>) : mnemoCli(io);
  let result: Awaited<ReturnType<typeof runSafely<typeof cli>>>;
  try {
    result = await runSafely(cli, pattern ? argv.slice(1) : [...argv]);
  } catch (e) {
    return failure(io, argv, e);
  }
  if (result._tag === 'error') {
    // Help, version, or a parse error: cmd-ts formats the message.
    const { exitCode, message, into } = result.error.config;
    const toStdout = into === 'stdout';
    const tty = toStdout ? io.stdoutIsTTY : io.stderrIsTTY;
    const text = tty && process.env['NO_COLOR'] === undefined ? message : stripAnsi(message);
    (toStdout ? io.stdout : io.stderr)(`${text}\n`);
    return exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  return await (result.value.value as number | Promise<number>);
}

function failure(io: CliIo, argv: readonly string[], e: unknown): number {
  const code = exitCodeOf(e);
  const command = argv[0] !== undefined && !argv[0].startsWith('-') ? `mnemo ${argv[0]}` : 'mnemo';
  const message = e instanceof Error ? e.message : String(e);
  if (code === EXIT.internal) io.stderr(`${command}: internal error: ${e instanceof Error ? (e.stack ?? message) : message}\n`);
  else io.stderr(`${command}: ${message}\n`);
  return code;
}
