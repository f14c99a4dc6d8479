/**
 * Command-line option values decoded with io-ts: each {@link ValueType} here
 * turns the text the user typed into a value through an io-ts codec, and a
 * bad value fails with a message that says what is allowed (`expected one of
 * cpu, gpujs, got 'gpu'`).
 *
 * @module
 */
import { basename } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Codecs, describeErrors, oneOf } from '../training/codecs.js';
import { parseCellModuleRef } from '../tasks/common/cell-modules.js';
import { RUN_TASKS, type RunTaskName } from '../tasks/registry.js';
import { TASK_NAMES, type TaskName } from '../tasks/common/types.js';
import type { ValueType } from './parse.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A value type from an io-ts codec. `numeric` values are read as numbers
 * first (decimal or exponent notation only: `1e-3`, `0.5`, `128`; not `0x10`
 * or an empty string); a number too large to hold (`1e400`) reads as
 * Infinity and is refused by any finite codec.
 *
 * @example
 * ```ts
 * import { codecType, Codecs } from '@mnemo/models';
 * const hidden = codecType(Codecs.positiveInt, { numeric: true, placeholder: 'n' });
 * console.assert(hidden.decode('128') === 128);
 * let msg = '';
 * try { hidden.decode('12.5'); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg === "expected an integer in [1, 2^53), got '12.5'");
 * ```
 * @category Command line
 */
export function codecType<A>(codec: t.Type<A, unknown, unknown>, options: { readonly numeric?: boolean; readonly placeholder?: string } = {}): ValueType<A> {
  const numeric = options.numeric ?? false;
  return {
    name: codec.name,
    placeholder: options.placeholder ?? 'value',
    decode(s: string): A {
      const value = numeric && NUMBER.test(s.trim()) ? Number(s) : s;
      const r = codec.decode(value);
      if (E.isRight(r)) return r.right;
      // Say what the user typed, not the number it was read as.
      const messages = r.left.map((e) => e.message ?? `expected ${e.context[e.context.length - 1]?.type.name ?? codec.name}, got '${s}'`);
      throw new Error([...new Set(messages)].join('; '));
    },
  };
}

/** A number codec with a range, named for messages. */
function range(name: string, ok: (n: number) => boolean): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(name, (u): u is number => typeof u === 'number' && ok(u), (u, c) => (typeof u === 'number' && ok(u) ? t.success(u) : t.failure(u, c)), t.identity);
}

/** A string codec with a check, named for messages. */
function text(name: string, ok: (s: string) => boolean): t.Type<string, string, unknown> {
  return new t.Type<string, string, unknown>(name, (u): u is string => typeof u === 'string' && ok(u), (u, c) => (typeof u === 'string' && ok(u) ? t.success(u) : t.failure(u, c)), t.identity);
}

/**
 * A cell argument: a registered cell name, canonical (`LSTM+cifg` reads
 * `lstm+cifg`), or a module file as typed (`./janet.ts`: loaded when the
 * command runs).
 */
const cellArgument = new t.Type<string, string, unknown>(
  'a cell name or a cell module file (see --help)',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    if (parseCellModuleRef(u) !== undefined) return t.success(u.trim());
    const r = Codecs.cell.decode(u);
    return E.isRight(r) ? r : t.failure(u, c, `${describeErrors(r.left).join('; ')}; or name your own cell's module file (./my-cell.ts)`);
  },
  t.identity,
);

/**
 * The option types of the `mnemo` commands.
 *
 * @example
 * ```ts
 * import { OptionTypes } from '@mnemo/models';
 * console.assert(OptionTypes.lr.decode('1e-3') === 0.001);
 * console.assert(OptionTypes.cell.decode('LSTM+cifg') === 'lstm+cifg' && OptionTypes.cell.decode('./janet.ts') === './janet.ts');
 * console.assert(OptionTypes.cellList.decode('lstm,GRU,./janet.ts').join() === 'lstm,gru,./janet.ts');
 * let msg = '';
 * try { OptionTypes.backend.decode('gpu'); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('cpu, gpujs'));
 * ```
 * @category Command line
 */
export const OptionTypes = {
  task: codecType(oneOf<TaskName>(TASK_NAMES), { placeholder: 'task' }),
  runTask: codecType(oneOf<RunTaskName>(RUN_TASKS), { placeholder: 'task' }),
  cell: codecType(cellArgument, { placeholder: 'cell' }),
  variant: codecType(text('comma-separated variant names', (s) => /^[A-Za-z0-9_,+-]+$/.test(s.trim())), { placeholder: 'names' }),
  positiveInt: codecType(Codecs.positiveInt, { numeric: true, placeholder: 'n' }),
  nonNegativeInt: codecType(Codecs.nonNegativeInt, { numeric: true, placeholder: 'n' }),
  size: codecType(range('an integer in [1, 9]', (n) => Number.isInteger(n) && n >= 1 && n <= 9), { numeric: true, placeholder: 'n' }),
  length: codecType(range('an integer in [0, 10000000]', (n) => Number.isInteger(n) && n >= 0 && n <= 10_000_000), { numeric: true, placeholder: 'n' }),
  seed: codecType(Codecs.seed, { numeric: true, placeholder: 'seed' }),
  lr: codecType(Codecs.positive, { numeric: true, placeholder: 'rate' }),
  positive: codecType(Codecs.positive, { numeric: true, placeholder: 'x' }),
  nonNegative: codecType(Codecs.nonNegative, { numeric: true, placeholder: 'x' }),
  finite: codecType(Codecs.finite, { numeric: true, placeholder: 'x' }),
  eps: codecType(range('a number in (0, 0.1]', (n) => Number.isFinite(n) && n > 0 && n <= 0.1), { numeric: true, placeholder: 'h' }),
  optimizer: codecType(Codecs.optimizer, { placeholder: 'name' }),
  dtype: codecType(Codecs.dtype, { placeholder: 'dtype' }),
  backend: codecType(Codecs.backend, { placeholder: 'backend' }),
  problem: codecType(oneOf(['add', 'reverse']), { placeholder: 'problem' }),
  mode: codecType(oneOf(['elementwise', 'dot']), { placeholder: 'mode' }),
  path: codecType(text('a path', (s) => s.trim() !== '' && !s.includes('\0')), { placeholder: 'dir' }),
  name: codecType(
    text('a single folder name (no / or \\, not . or ..)', (s) => s !== '' && s !== '.' && s !== '..' && basename(s) === s && !s.includes('/') && !s.includes('\\') && !s.includes('\0')),
    { placeholder: 'name' },
  ),
  text: codecType(t.string, { placeholder: 'text' }),
  cellList: codecType(
    new t.Type<string[], unknown, unknown>(
      'a comma-separated list of cell names and cell module files',
      (u): u is string[] => Array.isArray(u),
      (u, c) => {
        if (typeof u !== 'string') return t.failure(u, c);
        const names = u.split(',').map((s) => s.trim());
        if (names.some((n) => n === '')) return t.failure(u, c, `expected a comma-separated list of cell names and cell module files, got '${u}' (an empty name)`);
        const out: string[] = [];
        for (const n of names) {
          const r = cellArgument.decode(n);
          if (E.isLeft(r)) return t.failure(u, c, describeErrors(r.left).join('; '));
          out.push(r.right);
        }
        return t.success(out);
      },
      t.identity,
    ),
    { placeholder: 'cells' },
  ),
} as const;
