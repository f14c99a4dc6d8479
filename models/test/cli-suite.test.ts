/**
 * The command-line suite (issue 15): every option of every command with a
 * missing, empty, negative, fractional, non-numeric and absurd value, at the
 * end of the line and in the middle; each must exit 2 with a message that
 * names the option. A category that is a valid value for an option (a
 * negative seed, a fractional learning rate, any folder name) is left out for
 * it; switches are tried with a value instead. Options that size a run also
 * get a huge value, which the memory estimate must refuse.
 *
 * Every line runs in-process with its stop signal already raised, so a line
 * that is wrongly accepted trains one step and fails its test quickly.
 * MNEMO_CLI_SUITE=full also tries every option on every task it applies to.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, EXIT, OptionTypes, TRAIN_OPTIONS, runCli, type CliIo, type OptionSpec, type ValueType } from '@mnemo/models';
import { afterAll, describe, expect, it } from 'vitest';

const FULL = process.env['MNEMO_CLI_SUITE'] === 'full';
const out = mkdtempSync(join(tmpdir(), 'mnemo-cli-suite-'));

type Category = 'missing' | 'empty' | 'negative' | 'fractional' | 'non-numeric' | 'absurd' | 'huge' | 'switch with a value';

/** The bad values of each option type, by category (a category missing here is a valid value of the type). */
function badValues(type: ValueType<unknown> | undefined): Partial<Record<Category, string>> {
  const T = OptionTypes;
  if (type === undefined) return { 'switch with a value': '=1' };
  const counts = { negative: '-3', fractional: '2.5', 'non-numeric': 'many', absurd: '1e300' };
  const names = { negative: '-3', fractional: '2.5', 'non-numeric': 'zz9', absurd: 'x'.repeat(5000) };
  const table = new Map<ValueType<unknown>, Partial<Record<Category, string>>>([
    [T.positiveInt, counts],
    [T.nonNegativeInt, counts],
    [T.size, counts],
    [T.length, counts],
    [T.seed, { fractional: '2.5', 'non-numeric': 'lucky', absurd: '1e300' }],
    [T.lr, { negative: '-3', 'non-numeric': 'fast', absurd: '1e400' }],
    [T.positive, { negative: '-3', 'non-numeric': 'big', absurd: '1e400' }],
    [T.nonNegative, { negative: '-3', 'non-numeric': 'hot', absurd: '1e400' }],
    [T.finite, { 'non-numeric': 'one', absurd: '1e400' }],
    [T.eps, { negative: '-3', 'non-numeric': 'tiny', absurd: '10' }],
    [T.path, { absurd: 'a\0b' }],
    [T.name, { absurd: '../escape' }],
    [T.text, {}],
  ]);
  return table.get(type) ?? names; // enumerations, cells and lists: no number is a name
}

/** Options whose huge value must be refused by the memory estimate, with that value. */
const HUGE: Record<string, string> = {
  '--hidden': '1e9',
  '--batch': '1e9',
  '--layers': '1e7',
  '--steps-per-sequence': '1e9',
  '--projection': '1e9',
  '--proj-size': '1e9',
  '--embedding': '1e10',
  '--chunk': '1e9',
  '--test-size': '1e9',
  '--test-count': '1e10',
  '--input': '1e9',
};

interface Line {
  readonly argv: readonly string[];
  readonly flag: string;
  readonly category: Category;
  readonly where: 'end' | 'middle';
}

/** The words before the option: the command, its positionals, and options that keep a wrongly accepted run tiny. */
function context(command: string, flag: string, task: string): { head: string[]; tail: string[] } {
  const keep = (f: string, words: string[]): string[] => (f === flag ? [] : words);
  switch (command) {
    case 'train':
      return { head: ['train', task], tail: [...keep('--out', ['--out', out]), ...keep('--steps', ['--steps', '1'])] };
    case 'compare':
      return { head: ['compare'], tail: [...keep('--out', ['--out', out]), ...keep('--steps', ['--steps', '1']), ...keep('--cells', ['--cells', 'rnn'])] };
    case 'eval':
    case 'sample':
      return { head: [command, join(out, 'no-run')], tail: [] };
    default:
      return { head: [command, 'rnn'], tail: keep('--steps', ['--steps', '1']) };
  }
}

/** Every line of the suite. */
function lines(): Line[] {
  const all: Line[] = [];
  for (const command of COMMANDS) {
    for (const o of command.spec.options as readonly OptionSpec[]) {
      const tasks = command.name === 'train' ? (TRAIN_OPTIONS.find((t) => t.flag === o.flag)?.tasks ?? ['adding']) : ['-'];
      for (const task of FULL ? tasks : tasks.slice(0, 1)) {
        const { head, tail } = context(command.name, o.flag, task);
        const values: Partial<Record<Category, string>> = { ...badValues(o.type), ...(HUGE[o.flag] === undefined || command.name === 'eval' ? {} : { huge: HUGE[o.flag] }) };
        const cases: [Category, string[]][] = [];
        if (o.type !== undefined) cases.push(['missing', []], ['empty', ['']]);
        for (const [category, v] of Object.entries(values) as [Category, string][]) cases.push([category, category === 'switch with a value' ? [] : [v]]);
        for (const [category, value] of cases) {
          const opt = category === 'switch with a value' ? [`${o.flag}${values['switch with a value']}`] : [o.flag, ...value];
          all.push({ argv: [...head, ...tail, ...opt], flag: o.flag, category, where: 'end' });
          // In the middle: another option follows (for a missing value, the next option is what the parser meets).
          all.push({ argv: [...head, ...opt, ...tail, '--json'], flag: o.flag, category, where: 'middle' });
        }
      }
    }
  }
  return all;
}

const suite = lines();
const tally = { tries: 0, refusedNamingTheOption: 0, otherOutcome: 0 };

afterAll(() => {
  console.log(
    `command-line suite${FULL ? ' (full)' : ''}: ${tally.tries} lines over ${COMMANDS.length} commands; ` +
      `${tally.refusedNamingTheOption} refused with exit 2 naming the option; ${tally.otherOutcome} otherwise (crashes)`,
  );
});

describe('the command-line suite', () => {
  it.each(suite.map((l) => [`${l.argv.slice(0, 2).join(' ')} ${l.flag} ${l.category} (${l.where})`, l] as const))('%s', async (_name, line) => {
    const err: string[] = [];
    const ac = new AbortController();
    ac.abort('SIGINT');
    const io: CliIo = { stdout: () => {}, stderr: (s) => err.push(s), stdoutIsTTY: false, stderrIsTTY: false, signal: ac.signal };
    const code = await runCli(line.argv, io);
    const message = err.join('');
    const ok = code === EXIT.usage && message.includes(line.flag) && !/internal error/.test(message);
    tally.tries++;
    if (ok) tally.refusedNamingTheOption++;
    else tally.otherOutcome++;
    expect([code, message.includes(line.flag)], `${JSON.stringify(line.argv)}: ${message}`).toEqual([EXIT.usage, true]);
  });
});
