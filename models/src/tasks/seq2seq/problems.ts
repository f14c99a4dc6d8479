/**
 * Sequence-to-sequence problems with exact answers, generated on the fly:
 * adding two numbers written as digit strings, and reversing a string of
 * digits. Every example has a size (digits per operand, or the length of the
 * string), so a model trained on small sizes can be tested on larger ones.
 *
 * A tenth of all possible inputs, chosen by a hash of the input text, is
 * reserved for testing: training draws never produce them, test draws produce
 * only them, so test accuracy is measured on inputs the model has never seen
 * at every size.
 *
 * @module
 */
import { ArgumentError, foldIn, randomBits, type Key } from '@mnemo/core';

/**
 * One example: the input text, the exact answer, and the size it was drawn at.
 *
 * @example
 * ```ts
 * import { ADDITION, type Seq2seqExample } from '@mnemo/models';
 * const e: Seq2seqExample = ADDITION.make(123, 45);
 * console.assert(e.input === '123+45' && e.target === '168' && e.size === 3);
 * ```
 * @category Sequence to sequence
 */
export interface Seq2seqExample {
  readonly input: string;
  readonly target: string;
  /** Digits of the longer operand (addition) or the string's length (reversal). */
  readonly size: number;
}

/**
 * A problem: its alphabet (input and answer symbols) and how to draw an
 * example of a given size from a stream of random 32-bit words.
 *
 * @example
 * ```ts
 * import { REVERSAL, type Seq2seqProblem } from '@mnemo/models';
 * const p: Seq2seqProblem = REVERSAL;
 * console.assert(p.name === 'reverse' && p.symbols === '0123456789');
 * ```
 * @category Sequence to sequence
 */
export interface Seq2seqProblem {
  /** `add` or `reverse`. */
  readonly name: Seq2seqProblemName;
  /** One line saying what the problem is. */
  readonly description: string;
  /** Every symbol inputs and answers use. */
  readonly symbols: string;
  /** Draw an example of `size` from `next`, a source of uniform 32-bit words. */
  draw(next: () => number, size: number): Seq2seqExample;
}

/**
 * The names of the problems `mnemo train seq2seq --problem` accepts.
 *
 * @example
 * ```ts
 * import type { Seq2seqProblemName } from '@mnemo/models';
 * const n: Seq2seqProblemName = 'add';
 * console.assert(n === 'add');
 * ```
 * @category Sequence to sequence
 */
export type Seq2seqProblemName = 'add' | 'reverse';

/** A uniform integer in [0, r) for r <= 2^32, by rejection. */
function below(next: () => number, r: number): number {
  const limit = 2 ** 32 - (2 ** 32 % r);
  for (;;) {
    const w = next();
    if (w < limit) return w % r;
  }
}

/** A uniform number with exactly `d` digits (0-9 for d = 1). */
function number(next: () => number, d: number): number {
  if (d === 1) return below(next, 10);
  const lo = 10 ** (d - 1);
  return lo + below(next, 9 * lo);
}

/**
 * Addition: `a+b` with `a` and `b` written in decimal, answer `a + b`. At
 * size d one operand has exactly d digits and the other 1 to d digits
 * (uniformly), in random order.
 *
 * @example
 * ```ts
 * import { ADDITION } from '@mnemo/models';
 * let w = 7;
 * const e = ADDITION.draw(() => (w = (w * 1103515245 + 12345) >>> 0), 4);
 * const [a, b] = e.input.split('+').map(Number);
 * console.assert(Number(e.target) === a! + b! && e.size === 4 && Math.max(a!, b!) >= 1000);
 * ```
 * @category Sequence to sequence
 */
export const ADDITION: Seq2seqProblem & {
  /** The example `a+b` with its sum as the target. */
  make(a: number, b: number): Seq2seqExample;
} = Object.freeze({
  name: 'add' as const,
  description: 'add two decimal numbers: "123+45" -> "168"',
  symbols: '0123456789+',
  make: (a: number, b: number): Seq2seqExample => ({ input: `${a}+${b}`, target: `${a + b}`, size: Math.max(String(a).length, String(b).length) }),
  draw(next: () => number, size: number): Seq2seqExample {
    const x = number(next, size);
    const y = number(next, 1 + below(next, size));
    return below(next, 2) === 0 ? ADDITION.make(x, y) : ADDITION.make(y, x);
  },
});

/**
 * Reversal: a string of `size` random digits, answer the same digits in
 * reverse order.
 *
 * @example
 * ```ts
 * import { REVERSAL } from '@mnemo/models';
 * let w = 1;
 * const e = REVERSAL.draw(() => (w = (w * 1103515245 + 12345) >>> 0), 5);
 * console.assert(e.input.length === 5 && e.target === [...e.input].reverse().join(''));
 * ```
 * @category Sequence to sequence
 */
export const REVERSAL: Seq2seqProblem = Object.freeze({
  name: 'reverse' as const,
  description: 'reverse a string of digits: "1234" -> "4321"',
  symbols: '0123456789',
  draw(next: () => number, size: number): Seq2seqExample {
    const input = Array.from({ length: size }, () => String(below(next, 10))).join('');
    return { input, target: [...input].reverse().join(''), size };
  },
});

/**
 * A problem by name.
 *
 * @example
 * ```ts
 * import { seq2seqProblem } from '@mnemo/models';
 * console.assert(seq2seqProblem('reverse').symbols === '0123456789');
 * ```
 * @category Sequence to sequence
 */
export function seq2seqProblem(name: Seq2seqProblemName): Seq2seqProblem {
  if (name === 'add') return ADDITION;
  if (name === 'reverse') return REVERSAL;
  throw new ArgumentError('seq2seqProblem', 'name', `unknown problem '${String(name)}'; known problems: add, reverse`);
}

/**
 * Whether an input is reserved for testing: true for about a tenth of all
 * inputs, by a hash (FNV-1a) of the input text.
 *
 * @example
 * ```ts
 * import { isHeldOut } from '@mnemo/models';
 * let n = 0;
 * for (let a = 0; a < 100; a++) for (let b = 0; b < 100; b++) if (isHeldOut(`${a}+${b}`)) n++;
 * console.assert(n > 800 && n < 1200);
 * ```
 * @category Sequence to sequence
 */
export function isHeldOut(input: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input.charCodeAt(i), 0x01000193) >>> 0;
  // Finish with a multiply-xorshift so that the low digits of similar inputs decorrelate.
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h % 10 === 0;
}

/**
 * Draw `count` examples from `key`, sizes uniform in `[minSize, maxSize]`:
 * for `split` `train` never a held-out input ({@link isHeldOut}), for `test`
 * only held-out inputs. The same arguments always give the same examples.
 * Throws an `ArgumentError` when a size has no input of the split (addition
 * of 1-digit numbers has 100 inputs, so every split has some).
 *
 * @example
 * ```ts
 * import { ADDITION, drawExamples, isHeldOut } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const train = drawExamples(ADDITION, key(0), 50, 1, 3, 'train');
 * const test = drawExamples(ADDITION, key(1), 20, 4, 4, 'test');
 * console.assert(train.every((e) => !isHeldOut(e.input) && e.size <= 3));
 * console.assert(test.every((e) => isHeldOut(e.input) && e.size === 4));
 * console.assert(drawExamples(ADDITION, key(0), 50, 1, 3, 'train')[7]!.input === train[7]!.input);
 * ```
 * @category Sequence to sequence
 */
export function drawExamples(problem: Seq2seqProblem, key: Key, count: number, minSize: number, maxSize: number, split: 'train' | 'test'): Seq2seqExample[] {
  const op = 'drawExamples';
  if (!Number.isInteger(count) || count < 0) throw new ArgumentError(op, 'count', `must be a non-negative integer, got ${String(count)}`);
  if (!Number.isInteger(minSize) || minSize < 1 || !Number.isInteger(maxSize) || maxSize < minSize || maxSize > 9) {
    throw new ArgumentError(op, 'sizes', `need integers 1 <= minSize <= maxSize <= 9, got ${String(minSize)} and ${String(maxSize)}`);
  }
  let block = 0;
  let buf: Uint32Array = new Uint32Array(0);
  let pos = 0;
  const next = (): number => {
    if (pos === buf.length) {
      buf = randomBits(foldIn(key, block++), 1024);
      pos = 0;
    }
    return buf[pos++]!;
  };
  const out: Seq2seqExample[] = [];
  while (out.length < count) {
    const size = minSize + below(next, maxSize - minSize + 1);
    for (let tries = 0; ; tries++) {
      const e = problem.draw(next, size);
      if (isHeldOut(e.input) === (split === 'test')) {
        out.push(e);
        break;
      }
      if (tries > 10_000) throw new ArgumentError(op, 'split', `found no ${split} input of size ${size} for ${problem.name} in 10,000 draws`);
    }
  }
  return out;
}
