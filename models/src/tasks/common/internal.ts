/**
 * Small helpers the task generators share (not part of the public API).
 *
 * @internal
 * @module
 */
import { ArgumentError, foldIn, randomBits, type Key, type Tensor } from '@mnemo/core';
import { accuracy } from '@mnemo/nn';

/** Check an integer size of at least `min`; returns it. @internal */
export function checkCount(op: string, arg: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ArgumentError(op, arg, `must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

/**
 * The words of a key's stream, as a function returning the next one. Words
 * come in blocks of 1024, block `i` from `foldIn(k, i)`, so the stream never
 * repeats and drawing is cheap. @internal
 */
export function wordStream(k: Key): () => number {
  let block = 0;
  let buf: Uint32Array = new Uint32Array(0);
  let pos = 0;
  return () => {
    if (pos === buf.length) {
      buf = randomBits(foldIn(k, block++), 1024);
      pos = 0;
    }
    return buf[pos++]!;
  };
}

/** An exactly uniform integer in `[0, r)`, `1 <= r <= 2^32`, by rejection. @internal */
export function wordsBelow(next: () => number, r: number): number {
  const limit = 2 ** 32 - (2 ** 32 % r);
  for (;;) {
    const w = next();
    if (w < limit) return w % r;
  }
}

/** How many rows of `logits` `[batch, classes]` pick the label's class. @internal */
export function classificationHits(logits: Tensor, labels: Tensor): number {
  return Math.round(accuracy(logits, labels) * labels.shape[0]!);
}
