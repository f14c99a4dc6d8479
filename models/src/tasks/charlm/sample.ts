/**
 * Generation, **one-to-many**: from a prime (possibly empty) the model writes
 * one character at a time, each drawn from its predicted distribution and fed
 * back as the next input.
 *
 * ```text
 *            c1      c2      c3  ...        (drawn, streamed as they come)
 *             ^       ^       ^
 *   prime -> [cell]->[cell]->[cell]->
 *             ^       ^       ^
 *         last char  c1      c2
 * ```
 *
 * @module
 */
import { ArgumentError, foldIn, randomBits, tensor, unsafeDataOf, type Key } from '@mnemo/core';
import type { CharLm, CharLmParams } from './model.js';
import type { Vocabulary } from '../common/vocab.js';

/**
 * Options of {@link sampleCharLm}.
 *
 * @example
 * ```ts
 * import type { SampleOptions } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const o: SampleOptions = { prime: 'Shall I compare', length: 400, temperature: 0.8, key: key(1) };
 * console.assert(o.length === 400);
 * ```
 * @category Language models
 */
export interface SampleOptions {
  /** Text the model reads before it writes; every character must be in the vocabulary. */
  readonly prime: string;
  /** Characters to draw. */
  readonly length: number;
  /** Divides the logits: below 1 sharper, above 1 flatter; 0 takes the most likely character every time. */
  readonly temperature: number;
  /** The key draw i uses `foldIn(key, i)`, so the same key draws the same text. */
  readonly key: Key;
}

/**
 * Draw an index from logits `z` at a temperature with one uniform number `u`
 * in [0, 1): softmax(z / temperature), then the first index whose cumulative
 * probability exceeds u; the most likely index at temperature 0.
 */
function draw(z: ArrayLike<number>, temperature: number, u: number): number {
  let best = 0;
  for (let j = 1; j < z.length; j++) if (z[j]! > z[best]!) best = j;
  if (temperature === 0) return best;
  const w = Array.from(z, (v) => Math.exp((v - z[best]!) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let j = 0; j < w.length; j++) {
    acc += w[j]! / total;
    if (u < acc) return j;
  }
  return best; // u within rounding of 1
}

/**
 * Generate text from a character language model, one character at a time,
 * as a generator: each character is yielded as soon as it is drawn, so a
 * caller can stream it. The model first reads a newline (the character
 * before every sonnet in training) and the prime; then each drawn character
 * is fed back. Reproducible: the same parameters, prime and key give the same
 * text. A prime with characters outside the vocabulary is refused, before
 * anything is drawn, with an `ArgumentError` that names them.
 *
 * @example
 * ```ts
 * import { charLm, sampleCharLm, vocabulary } from '@mnemo/models';
 * import { key } from '@mnemo/core';
 * const v = vocabulary('abc \n');
 * const lm = charLm({ vocabSize: v.size, embedding: 4, cell: 'lstm', hidden: 8, layers: 1 });
 * const params = lm.init(key(0));
 * const text = (seed: number) => [...sampleCharLm(lm, params, v, { prime: 'ab', length: 20, temperature: 1, key: key(seed) })].join('');
 * console.assert(text(1) === text(1) && text(1).length === 20 && text(1) !== text(2));
 * let message = '';
 * try { [...sampleCharLm(lm, params, v, { prime: 'abz', length: 5, temperature: 1, key: key(1) })]; } catch (e) { message = (e as Error).message; }
 * console.assert(message.includes('"z"'));
 * ```
 * @category Language models
 */
export function* sampleCharLm(model: CharLm, params: CharLmParams, vocab: Vocabulary, options: SampleOptions): Generator<string, void, undefined> {
  const op = 'sample';
  const { prime, length, temperature, key } = options;
  const ids = vocab.encode(prime, op, 'prime');
  if (!Number.isInteger(length) || length < 0) throw new ArgumentError(op, 'length', `must be a non-negative integer, got ${String(length)}`);
  if (typeof temperature !== 'number' || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new ArgumentError(op, 'temperature', `must be a finite number >= 0, got ${String(temperature)}`);
  }
  const nl = vocab.id('\n');
  if (nl === undefined) throw new ArgumentError(op, 'vocab', 'must contain "\\n", the character the model reads first');
  const dtype = model.config.dtype;
  // Read the newline and the prime in one pass (many-to-many); keep the last step's logits.
  const read = [nl, ...ids];
  const first = model.apply(params, tensor(read, dtype, [1, read.length]), model.initialState(1));
  let state = first.state;
  let z: ArrayLike<number> = unsafeDataOf(first.logits).subarray((read.length - 1) * vocab.size);
  for (let i = 0; i < length; i++) {
    const u = randomBits(foldIn(key, i), 1)[0]! / 2 ** 32;
    const c = draw(z, temperature, u);
    yield vocab.chars[c]!;
    if (i === length - 1) break;
    const next = model.step(params, tensor([c], dtype, [1]), state);
    state = next.state;
    z = unsafeDataOf(next.logits);
  }
}
