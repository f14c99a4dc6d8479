/**
 * Where the command line writes, how it knows whether it writes to a
 * terminal, and the exit codes scripts can rely on.
 *
 * @module
 */
import { ArgumentError, MnemoError, NonFiniteError } from '@mnemo/core';
import { ParamFileError } from '@mnemo/nn';
import { OutputError } from '../report/rundir.js';
import { CellModuleError, type ImportModule } from '../tasks/common/cell-modules.js';
import { IdxError } from '../tasks/mnist/idx.js';
import { DivergedError, RunDirError } from '../training/errors.js';

/**
 * The exit codes of `mnemo`:
 *
 * | code | name | meaning |
 * | --- | --- | --- |
 * | 0 | `ok` | done (for `--help` too) |
 * | 1 | `failed` | the command ran and its check failed (`gradcheck` found a gradient that disagrees) |
 * | 2 | `usage` | a bad command line: unknown command or option, a bad value, options that do not go together, a cell module that does not exist or exports several families |
 * | 3 | `data` | an input could not be used: MNIST files missing or corrupt, a run directory or checkpoint that is missing or damaged, a cell module that exports no cell, fails nn's checks or throws while loading |
 * | 4 | `diverged` | training stopped because a step's loss, gradients or parameters became NaN or infinite (the last finite state is kept), or a model scored a non-finite loss |
 * | 70 | `internal` | a bug in mnemo (the message has the stack) |
 * | 73 | `output` | the output could not be written: `--out` is not a folder mnemo can write into, or a write failed (a full disk); the last good checkpoint is kept |
 * | 130 | `interrupted` | stopped by Ctrl-C (SIGINT); training saved a checkpoint first |
 * | 143 | `terminated` | stopped by SIGTERM; training saved a checkpoint first |
 *
 * @example
 * ```ts
 * import { EXIT } from '@mnemo/models';
 * console.assert(EXIT.ok === 0 && EXIT.usage === 2 && EXIT.interrupted === 130);
 * ```
 * @category Command line
 */
export const EXIT = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
  data: 3,
  diverged: 4,
  internal: 70,
  output: 73,
  interrupted: 130,
  terminated: 143,
});

/**
 * What the commands write to and read from. {@link processIo} is the real
 * process; tests pass their own to run the command line in-process.
 *
 * @example
 * ```ts
 * import type { CliIo } from '@mnemo/models';
 * const out: string[] = [];
 * const io: CliIo = { stdout: (s) => out.push(s), stderr: (s) => out.push(s), stdoutIsTTY: false, stderrIsTTY: false };
 * io.stdout('hello\n');
 * console.assert(out.join('') === 'hello\n');
 * ```
 * @category Command line
 */
export interface CliIo {
  /** Write text to standard output. */
  readonly stdout: (text: string) => void;
  /** Write text to standard error. */
  readonly stderr: (text: string) => void;
  /** Whether standard output is a terminal (progress bars and colours only then). */
  readonly stdoutIsTTY: boolean;
  /** Whether standard error is a terminal. */
  readonly stderrIsTTY: boolean;
  /** The terminal's width. */
  readonly columns?: number;
  /** Aborted, with reason `SIGINT` or `SIGTERM`, when the user asks to stop. */
  readonly signal?: AbortSignal;
  /**
   * How a user's cell module (`--cell ./janet.ts`) is imported (default `importCellModule`, Node's loader
   * with mnemo's hooks). A program that runs the command line in-process under a bundler or a test runner
   * passes that runner's own `import`, so that the module shares its instances of mnemo.
   */
  readonly importModule?: ImportModule;
}

/**
 * Where a command's progress bars and running commentary go: standard error
 * when standard output carries the `--json` result, else standard output;
 * with whether that stream is a terminal, and its width when known.
 *
 * @example
 * ```ts
 * import { progressOutput } from '@mnemo/models';
 * const io = { stdout: () => {}, stderr: () => {}, stdoutIsTTY: true, stderrIsTTY: false };
 * console.assert(progressOutput(io, true).write === io.stderr && !progressOutput(io, true).isTTY && progressOutput(io, false).isTTY);
 * ```
 * @category Command line
 */
export function progressOutput(
  io: CliIo,
  json: boolean,
): {
  /** Write progress text. */
  readonly write: (text: string) => void;
  /** Whether that stream is a terminal (progress bars redraw in place only then). */
  readonly isTTY: boolean;
  /** The terminal's width, when known. */
  readonly columns?: number;
} {
  return {
    write: json ? io.stderr : io.stdout,
    isTTY: json ? io.stderrIsTTY : io.stdoutIsTTY,
    ...(io.columns === undefined ? {} : { columns: io.columns }),
  };
}

/**
 * The real process's standard streams, and a signal that Ctrl-C (SIGINT) or
 * SIGTERM aborts. A second Ctrl-C exits at once with code 130. Call `dispose`
 * to remove the signal handlers.
 *
 * @example
 * ```ts
 * import { processIo } from '@mnemo/models';
 * const io = processIo();
 * console.assert(typeof io.stdout === 'function' && io.signal !== undefined);
 * io.dispose();
 * ```
 * @category Command line
 */
export function processIo(): CliIo & {
  /** Remove the signal handlers. */
  readonly dispose: () => void;
} {
  const ac = new AbortController();
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
    if (ac.signal.aborted) process.exit(name === 'SIGINT' ? EXIT.interrupted : EXIT.terminated);
    ac.abort(name);
  };
  const int = onSignal('SIGINT');
  const term = onSignal('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    ...(process.stdout.columns === undefined ? {} : { columns: process.stdout.columns }),
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    },
  };
}

/** ANSI escape sequences (colours, cursor moves). */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * Remove terminal escape codes from text, for output that is not a terminal.
 *
 * @example
 * ```ts
 * import { stripAnsi } from '@mnemo/models';
 * console.assert(stripAnsi('\u001b[31merror\u001b[39m: bad') === 'error: bad');
 * ```
 * @category Command line
 */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * A command line that makes no sense: an unknown option, an option without
 * its value, a bad value, options that do not go together, a run that cannot
 * fit in memory. `field` names the option at fault (`--hidden`) when there is
 * one. Exit code 2.
 *
 * @example
 * ```ts
 * import { UsageError, exitCodeOf } from '@mnemo/models';
 * const e = new UsageError('--task and --resume do not go together', '--task');
 * console.assert(exitCodeOf(e) === 2 && e.field === '--task');
 * ```
 * @category Command line
 */
export class UsageError extends Error {
  /** The option (or argument) at fault, when there is one. */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.name = 'UsageError';
    this.field = field;
  }
}

/**
 * The exit code for an error a command threw: bad options and arguments are
 * usage errors (2), unreadable data and damaged run directories or
 * checkpoints are data errors (3), a cell module's error has its own code (2
 * when the command line names no usable file or no single family, 3 when
 * the module is unusable), a diverged run is 4 (and so is the first
 * NaN the debugging mode for non-finite values finds), output that cannot
 * be written is 73, anything else is a bug (70).
 *
 * @example
 * ```ts
 * import { exitCodeOf, EXIT } from '@mnemo/models';
 * import { ArgumentError } from '@mnemo/core';
 * console.assert(exitCodeOf(new ArgumentError('x', 'y', 'z')) === EXIT.usage);
 * console.assert(exitCodeOf(new TypeError('oops')) === EXIT.internal);
 * ```
 * @category Command line
 */
export function exitCodeOf(e: unknown): number {
  if (e instanceof DivergedError || e instanceof NonFiniteError) return EXIT.diverged;
  if (e instanceof CellModuleError) return e.exitCode;
  if (e instanceof OutputError) return EXIT.output;
  if (e instanceof IdxError || e instanceof RunDirError || e instanceof ParamFileError) return EXIT.data;
  if (e instanceof ArgumentError || e instanceof UsageError) return EXIT.usage;
  return EXIT.internal;
}

/**
 * What `mnemo` reports for an error: its exit code, its message, and the
 * option or field at fault (null when none). Under `--json` this is printed
 * on stdout as `{"error": {"code", "message", "field"}}`.
 *
 * @example
 * ```ts
 * import { errorReport, UsageError } from '@mnemo/models';
 * const r = errorReport(new UsageError('--steps needs a value', '--steps'));
 * console.assert(r.code === 2 && r.field === '--steps' && r.message === '--steps needs a value');
 * ```
 * @category Command line
 */
export function errorReport(e: unknown): { readonly code: number; readonly message: string; readonly field: string | null } {
  const code = exitCodeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  let field: string | undefined;
  if (e instanceof UsageError || e instanceof RunDirError || e instanceof DivergedError || e instanceof CellModuleError) field = e.field;
  if (field === undefined && e instanceof DivergedError) field = e.part;
  if (e instanceof NonFiniteError) field = e.op;
  if (field === undefined && e instanceof OutputError) field = e.arg.startsWith('--') ? e.arg : e.path;
  if (field === undefined && e instanceof MnemoError && !(e instanceof RunDirError)) field = e.arg;
  return { code, message, field: field ?? null };
}
