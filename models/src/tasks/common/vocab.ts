/**
 * A character vocabulary: every distinct character of a text gets an id, and
 * text maps to ids and back exactly. Characters are Unicode code points, so a
 * character outside the Basic Multilingual Plane is one symbol, not two
 * surrogates.
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';

/**
 * A fixed set of characters, each with an id (its index in `chars`).
 * `decode(encode(text)) === text` for every text made of these characters;
 * `encode` refuses any other character with a message that names it.
 *
 * @example
 * ```ts
 * import { vocabulary, type Vocabulary } from '@mnemo/models';
 * const v: Vocabulary = vocabulary('hello');
 * console.assert(v.size === 4 && v.chars.join('') === 'ehlo');
 * console.assert(v.decode(v.encode('hole')) === 'hole');
 * ```
 * @category Language models
 */
export interface Vocabulary {
  /** The characters, sorted by code point; `chars[id]` is the character with that id. */
  readonly chars: readonly string[];
  /** How many characters. */
  readonly size: number;
  /** The id of a character, or undefined when it is not in the vocabulary. */
  id(char: string): number | undefined;
  /**
   * The ids of a text's characters. Throws an `ArgumentError` naming every
   * character that is not in the vocabulary (`op` and `arg` name the caller's
   * operation and argument in that message, default `encode` and `text`).
   */
  encode(text: string, op?: string, arg?: string): number[];
  /** The text of a sequence of ids (each an integer in `[0, size)`). */
  decode(ids: Iterable<number>): string;
  /** The distinct characters of `text` that are not in the vocabulary, in order of first appearance. */
  unknown(text: string): string[];
}

/** A character as the error messages show it: quoted, with its code point. */
function describeChar(c: string): string {
  const cp = c.codePointAt(0)!;
  return `${JSON.stringify(c)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

/**
 * Build the vocabulary of a set of characters, given as a string or an array
 * of single characters; duplicates are merged and the characters sorted by
 * code point, so the same set always gets the same ids.
 *
 * @example
 * ```ts
 * import { vocabulary } from '@mnemo/models';
 * const v = vocabulary('Shall I compare thee\n');
 * console.assert(v.encode('I')[0] === v.chars.indexOf('I') && v.id('\n') === 0);
 * let message = '';
 * try { v.encode('Shall Iz'); } catch (e) { message = (e as Error).message; }
 * console.assert(message.includes('"z" (U+007A)'));
 * ```
 * @category Language models
 */
export function vocabulary(chars: string | readonly string[]): Vocabulary {
  const op = 'vocabulary';
  if (typeof chars !== 'string' && !Array.isArray(chars)) throw new ArgumentError(op, 'chars', `expected a string or an array of characters, got ${typeof chars}`);
  const list = typeof chars === 'string' ? Array.from(chars) : chars;
  list.forEach((c, i) => {
    if (typeof c !== 'string' || Array.from(c).length !== 1) throw new ArgumentError(op, `chars[${i}]`, `must be a single character, got ${JSON.stringify(c)}`);
  });
  const sorted = [...new Set(list)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (sorted.length === 0) throw new ArgumentError(op, 'chars', 'a vocabulary needs at least one character');
  const ids = new Map(sorted.map((c, i) => [c, i] as const));
  const unknown = (text: string): string[] => [...new Set(Array.from(text).filter((c) => !ids.has(c)))];
  return Object.freeze({
    chars: Object.freeze(sorted),
    size: sorted.length,
    id: (c: string) => ids.get(c),
    unknown,
    encode(text: string, opName = 'encode', arg = 'text'): number[] {
      if (typeof text !== 'string') throw new ArgumentError(opName, arg, `expected a string, got ${typeof text}`);
      const out: number[] = [];
      for (const c of text) {
        const i = ids.get(c);
        if (i === undefined) {
          const bad = unknown(text);
          throw new ArgumentError(
            opName,
            arg,
            `contains ${bad.length === 1 ? 'a character' : `${bad.length} characters`} not in the vocabulary: ${bad.map(describeChar).join(', ')}; the vocabulary has ${sorted.length} characters: ${JSON.stringify(sorted.join(''))}`,
          );
        }
        out.push(i);
      }
      return out;
    },
    decode(idList: Iterable<number>): string {
      let s = '';
      let k = 0;
      for (const i of idList) {
        const c = sorted[i];
        if (!Number.isInteger(i) || c === undefined) throw new ArgumentError('decode', `ids[${k}]`, `is ${i}, not an id in [0, ${sorted.length})`);
        s += c;
        k++;
      }
      return s;
    },
  });
}
