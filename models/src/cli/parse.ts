/**
 * Reading a command's arguments: `--name value`, `--name=value`, flags,
 * positionals and `--`. Every mistake is a {@link UsageError} naming the
 * option: an unknown option, an option given twice, a flag given a value,
 * and an option whose value is missing (at the end of the line, or followed
 * by another option) or empty. Values are decoded by their option's
 * {@link ValueType}, whose message says what is allowed.
 *
 * @module
 */
import { UsageError } from './io.js';

/**
 * How an option's text becomes a value: `decode` returns the value or throws
 * an `Error` whose message says what is allowed (`expected an integer in [1,
 * 2^53), got '0'`); `name` is that in short, `placeholder` what help shows.
 *
 * @example
 * ```ts
 * import type { ValueType } from '@mnemo/models';
 * const yes: ValueType<boolean> = { name: 'yes or no', placeholder: 'yes|no', decode: (s) => { if (s !== 'yes' && s !== 'no') throw new Error(`expected yes or no, got '${s}'`); return s === 'yes'; } };
 * console.assert(yes.decode('yes'));
 * ```
 * @category Command line
 */
export interface ValueType<A> {
  /** What it accepts, in words. */
  readonly name: string;
  /** What `--help` shows after the option (`n`, `rate`, `dir`). */
  readonly placeholder: string;
  /** The value of a text; throws an `Error` saying what is allowed. */
  decode(text: string): A;
}

/**
 * One option of a command: `--flag` with a value of `type`, or a switch when
 * `type` is absent; `key` is its property in the decoded arguments.
 *
 * @example
 * ```ts
 * import { OptionTypes, type OptionSpec } from '@mnemo/models';
 * const o: OptionSpec = { flag: '--hidden', key: 'hidden', type: OptionTypes.positiveInt, help: 'hidden units' };
 * console.assert(o.flag === '--hidden');
 * ```
 * @category Command line
 */
export interface OptionSpec {
  /** The option as typed, `--hidden`. */
  readonly flag: string;
  /** Its property in the decoded arguments. */
  readonly key: string;
  /** Its value's type; absent for a switch (`--json`). */
  readonly type?: ValueType<unknown>;
  /** One line of help. */
  readonly help: string;
}

/**
 * A positional argument of a command.
 *
 * @example
 * ```ts
 * import { OptionTypes, type PositionalSpec } from '@mnemo/models';
 * const p: PositionalSpec = { key: 'runDir', name: 'run dir', type: OptionTypes.path, help: 'a run directory', required: true };
 * console.assert(p.required);
 * ```
 * @category Command line
 */
export interface PositionalSpec {
  /** Its property in the decoded arguments. */
  readonly key: string;
  /** What help calls it. */
  readonly name: string;
  /** Its value's type. */
  readonly type: ValueType<unknown>;
  /** One line of help. */
  readonly help: string;
  /** Whether it must be given. */
  readonly required: boolean;
}

/**
 * What a command takes.
 *
 * @example
 * ```ts
 * import { parseArgs, type ArgsSpec } from '@mnemo/models';
 * const spec: ArgsSpec = { positionals: [], options: [{ flag: '--json', key: 'json', help: 'JSON' }] };
 * console.assert(parseArgs(spec, ['--json']).args['json'] === true);
 * ```
 * @category Command line
 */
export interface ArgsSpec {
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
}

/** The closest name to `name` among `names`, when one is close (edit distance at most 2). */
function closest(name: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    return d[a.length]![b.length]!;
  };
  let best: string | undefined;
  let bestD = 3;
  for (const n of names) {
    const dn = distance(name, n);
    if (dn < bestD) [best, bestD] = [n, dn];
  }
  return best;
}

/** Whether a token reads as an option (and so cannot be an option's value): `--x`, `-x`, but not `-1` or `-.5`. */
const looksLikeOption = (token: string): boolean => /^--?[A-Za-z]/.test(token) || token === '--';

/**
 * Read a command's arguments (the words after the command's name). Returns
 * the decoded values by key (switches `true` when given; absent options
 * missing), the given options' flags in order, and whether `--help` (or `-h`)
 * was asked for. Every mistake throws a {@link UsageError} naming the option.
 *
 * @param spec - the command's positionals and options.
 * @param argv - the words.
 * @returns the arguments.
 * @throws {@link UsageError} for an unknown option, a missing, empty or bad value, an option given twice, or a missing or extra positional.
 * @example
 * ```ts
 * import { parseArgs, OptionTypes, UsageError } from '@mnemo/models';
 * const spec = { positionals: [], options: [{ flag: '--steps', key: 'steps', type: OptionTypes.positiveInt, help: 'steps' }] };
 * console.assert(parseArgs(spec, ['--steps=5']).args['steps'] === 5);
 * let e: unknown;
 * try { parseArgs(spec, ['--steps']); } catch (err) { e = err; }
 * console.assert(e instanceof UsageError && e.field === '--steps' && e.message.includes('needs a value'));
 * ```
 * @category Command line
 */
export function parseArgs(spec: ArgsSpec, argv: readonly string[]): { readonly args: Record<string, unknown>; readonly given: readonly string[]; readonly help: boolean } {
  const args: Record<string, unknown> = {};
  const given: string[] = [];
  const positionals: string[] = [];
  const byFlag = new Map(spec.options.map((o) => [o.flag, o] as const));
  let help = false;
  let rest = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (rest) {
      positionals.push(token);
      continue;
    }
    if (token === '--') {
      rest = true;
      continue;
    }
    if (token === '--help' || token === '-h') {
      help = true;
      continue;
    }
    if (!looksLikeOption(token)) {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const flag = eq < 0 ? token : token.slice(0, eq);
    const option = byFlag.get(flag);
    if (option === undefined) {
      const guess = closest(flag, [...byFlag.keys()]);
      throw new UsageError(`unknown option ${flag}${guess === undefined ? '' : `; did you mean ${guess}?`} (see --help)`, flag);
    }
    if (given.includes(flag)) throw new UsageError(`${flag} is given twice`, flag);
    given.push(flag);
    if (option.type === undefined) {
      if (eq >= 0) throw new UsageError(`${flag} is a switch and takes no value, got '${token.slice(eq + 1)}'`, flag);
      args[option.key] = true;
      continue;
    }
    let text: string;
    if (eq >= 0) text = token.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(next)) {
        throw new UsageError(`${flag} needs a value (${option.type.name})${next === undefined ? ', and the line ends' : `, but ${next} follows it`}`, flag);
      }
      text = next;
      i++;
    }
    if (text === '') throw new UsageError(`${flag}: the value is empty; expected ${option.type.name}`, flag);
    try {
      args[option.key] = option.type.decode(text);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`, flag);
    }
  }
  if (help) return { args, given, help };
  if (positionals.length > spec.positionals.length) {
    const extra = positionals[spec.positionals.length]!;
    throw new UsageError(`unexpected argument '${extra}'${spec.positionals.length === 0 ? ': this command takes no positional argument' : ''}`, extra);
  }
  spec.positionals.forEach((p, i) => {
    const text = positionals[i];
    if (text === undefined) {
      if (p.required) throw new UsageError(`missing the ${p.name} (${p.help})`, p.name);
      return;
    }
    if (text === '') throw new UsageError(`the ${p.name} is empty; expected ${p.type.name}`, p.name);
    try {
      args[p.key] = p.type.decode(text);
    } catch (e) {
      throw new UsageError(`the ${p.name}: ${(e as Error).message}`, p.name);
    }
  });
  return { args, given, help };
}

/**
 * The help text of a command: its usage line, description, positionals and
 * options, each with its help, in columns.
 *
 * @param usage - the usage line (`mnemo eval <run dir> [options]`).
 * @param description - what the command does.
 * @param spec - its arguments.
 * @returns the text.
 * @example
 * ```ts
 * import { helpText, OptionTypes } from '@mnemo/models';
 * const t = helpText('mnemo x [options]', 'Does x.', { positionals: [], options: [{ flag: '--steps', key: 'steps', type: OptionTypes.positiveInt, help: 'steps (10)' }] });
 * console.assert(t.includes('--steps <n>') && t.includes('steps (10)'));
 * ```
 * @category Command line
 */
export function helpText(usage: string, description: string, spec: ArgsSpec): string {
  const rows: [string, string][] = [
    ...spec.positionals.map((p): [string, string] => [`<${p.name}>`, p.help]),
    ...spec.options.map((o): [string, string] => [o.type === undefined ? o.flag : `${o.flag} <${o.type.placeholder}>`, o.help]),
    ['--help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([a]) => a.length));
  return [`Usage: ${usage}`, '', description.trimEnd(), '', 'Arguments and options:', ...rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`), ''].join('\n');
}
