/**
 * Command-line option values decoded with io-ts: each cmd-ts `Type` here turns
 * the string the user typed into a value through an io-ts codec, and a bad
 * value fails with a message that says what is allowed (`expected one of cpu,
 * gpujs, got 'gpu'`).
 *
 * @module
 */
import type { Type } from 'cmd-ts';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Codecs, describeErrors } from '../training/config.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A cmd-ts type from an io-ts codec. `numeric` values are read as numbers first
 * (decimal or exponent notation only: `1e-3`, `0.5`, `128`; not `0x10` or
 * an empty string).
 *
 * @example
 * ```ts
 * import { codecType, Codecs } from '@mnemo/models';
 * const hidden = codecType(Codecs.positiveInt, { numeric: true, displayName: 'n' });
 * console.assert((await hidden.from('128')) === 128);
 * let msg = '';
 * try { await hidden.from('12.5'); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg === "expected an integer >= 1, got '12.5'");
 * ```
 * @category Command line
 */
export function codecType<A>(
  codec: t.Type<A, unknown, unknown>,
  options: { readonly numeric?: boolean; readonly displayName?: string; readonly description?: string } = {},
): Type<string, A> {
  const numeric = options.numeric ?? false;
  return {
    async from(s: string): Promise<A> {
      const value = numeric && NUMBER.test(s.trim()) ? Number(s) : s;
      const r = codec.decode(value);
      if (E.isRight(r)) return r.right;
      // Say what the user typed, not the number it was read as.
      const messages = r.left.map((e) => e.message ?? `expected ${e.context[e.context.length - 1]?.type.name ?? codec.name}, got '${s}'`);
      throw new Error([...new Set(messages)].join('; '));
    },
    displayName: options.displayName ?? codec.name,
    description: options.description ?? codec.name,
  };
}

/**
 * The option types of the `mnemo` commands.
 *
 * @example
 * ```ts
 * import { OptionTypes } from '@mnemo/models';
 * console.assert((await OptionTypes.lr.from('1e-3')) === 0.001);
 * console.assert((await OptionTypes.cell.from('LSTM+cifg')) === 'lstm+cifg');
 * let msg = '';
 * try { await OptionTypes.backend.from('gpu'); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('cpu, gpujs'));
 * ```
 * @category Command line
 */
export const OptionTypes = {
  task: codecType(Codecs.task, { displayName: 'task' }),
  cell: codecType(Codecs.cell, { displayName: 'cell' }),
  positiveInt: codecType(Codecs.positiveInt, { numeric: true, displayName: 'n' }),
  nonNegativeInt: codecType(Codecs.nonNegativeInt, { numeric: true, displayName: 'n' }),
  seed: codecType(Codecs.seed, { numeric: true, displayName: 'seed' }),
  lr: codecType(Codecs.positive, { numeric: true, displayName: 'rate' }),
  positive: codecType(Codecs.positive, { numeric: true, displayName: 'x' }),
  finite: codecType(Codecs.finite, { numeric: true, displayName: 'x' }),
  optimizer: codecType(Codecs.optimizer, { displayName: 'name' }),
  dtype: codecType(Codecs.dtype, { displayName: 'dtype' }),
  backend: codecType(Codecs.backend, { displayName: 'backend' }),
  cellList: codecType(
    new t.Type<string[], unknown, unknown>(
      'a comma-separated list of cell names',
      (u): u is string[] => Array.isArray(u),
      (u, c) => {
        if (typeof u !== 'string') return t.failure(u, c);
        const names = u.split(',').map((s) => s.trim());
        if (names.some((n) => n === '')) return t.failure(u, c, `expected a comma-separated list of cell names, got '${u}' (an empty name)`);
        const out: string[] = [];
        for (const n of names) {
          const r = Codecs.cell.decode(n);
          if (E.isLeft(r)) return t.failure(u, c, describeErrors(r.left).join('; '));
          out.push(r.right);
        }
        return t.success(out);
      },
      t.identity,
    ),
    { displayName: 'cells' },
  ),
} as const;
