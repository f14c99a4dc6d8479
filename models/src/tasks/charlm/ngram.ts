/**
 * Count-based character models, the baselines a character language model
 * must beat: the unigram distribution and smoothed n-grams (add-k and
 * interpolated Kneser-Ney), scored in bits per character on the same texts
 * as the network.
 *
 * Scoring convention (shared with the network): each text is scored from its
 * first character, every character predicted from the characters before it
 * in the same text, with the context before the text filled with newlines
 * (the training text, too, is read as if preceded by newlines).
 *
 * @module
 */
import { ArgumentError } from '@mnemo/core';
import type { Vocabulary } from '../common/vocab.js';

/**
 * How an {@link NgramModel} spreads probability to unseen continuations:
 * `add-k` adds `k` to every count; `kneser-ney` is interpolated Kneser-Ney
 * with one absolute discount per order, `D = n1 / (n1 + 2 n2)` (n1, n2: the
 * numbers of n-grams seen once and twice in training), lower orders counting
 * distinct left contexts, and the uniform distribution below the unigram.
 *
 * @example
 * ```ts
 * import type { NgramSmoothing } from '@mnemo/models';
 * const s: NgramSmoothing = { kind: 'add-k', k: 0.5 };
 * console.assert(s.kind === 'add-k');
 * ```
 * @category Language models
 */
export type NgramSmoothing = { readonly kind: 'add-k'; readonly k: number } | { readonly kind: 'kneser-ney' };

/**
 * A character n-gram model: the probability of the next character id given
 * the `order - 1` ids before it.
 *
 * @example
 * ```ts
 * import { ngramModel, vocabulary, type NgramModel } from '@mnemo/models';
 * const v = vocabulary('ab\n');
 * const m: NgramModel = ngramModel('abababab', v, 2, { kind: 'add-k', k: 1 });
 * console.assert(m.prob([v.id('a')!], v.id('b')!) > 0.5);
 * ```
 * @category Language models
 */
export interface NgramModel {
  /** The n of n-gram: 1 for unigram. */
  readonly order: number;
  /** A short description, such as `3-gram, Kneser-Ney`. */
  readonly name: string;
  /** P(next | context), with `context` the `order - 1` ids before `next`, oldest first. */
  prob(context: readonly number[], next: number): number;
}

/** Counts of one order: per context, the count of each next id, their total and how many distinct. */
interface OrderCounts {
  readonly next: Map<number, Map<number, number>>;
  readonly total: Map<number, number>;
}

function emptyCounts(): OrderCounts {
  return { next: new Map(), total: new Map() };
}

function bump(c: OrderCounts, ctx: number, w: number, by = 1): void {
  let row = c.next.get(ctx);
  if (row === undefined) c.next.set(ctx, (row = new Map()));
  row.set(w, (row.get(w) ?? 0) + by);
  c.total.set(ctx, (c.total.get(ctx) ?? 0) + by);
}

/** The key of the last `len` ids before position `i` of a padded id array. */
function contextKey(ids: readonly number[], i: number, len: number, base: number): number {
  let k = 0;
  for (let j = i - len; j < i; j++) k = k * base + ids[j]!;
  return k;
}

/**
 * Fit an n-gram model of order `order` (1: unigram) to a training text.
 * Every character of the text must be in the vocabulary; the text is read as
 * if preceded by `order - 1` newlines (the vocabulary must then contain
 * `\n`). Orders up to 6 are supported.
 *
 * @example
 * ```ts
 * import { ngramModel, vocabulary } from '@mnemo/models';
 * const v = vocabulary('abc\n');
 * const kn = ngramModel('abcabcabc\n', v, 3, { kind: 'kneser-ney' });
 * const total = v.chars.reduce((s, _, w) => s + kn.prob([v.id('a')!, v.id('b')!], w), 0);
 * console.assert(Math.abs(total - 1) < 1e-12 && kn.prob([v.id('a')!, v.id('b')!], v.id('c')!) > 0.9);
 * ```
 * @category Language models
 */
export function ngramModel(train: string, vocab: Vocabulary, order: number, smoothing: NgramSmoothing): NgramModel {
  const op = 'ngramModel';
  if (!Number.isInteger(order) || order < 1 || order > 6) throw new ArgumentError(op, 'order', `must be an integer from 1 to 6, got ${String(order)}`);
  const V = vocab.size;
  const pad = order > 1 ? vocab.id('\n') : 0;
  if (pad === undefined) throw new ArgumentError(op, 'vocab', 'must contain "\\n", the padding before a text');
  const ids = [...new Array<number>(order - 1).fill(pad), ...vocab.encode(train, op, 'train')];
  if (ids.length === order - 1) throw new ArgumentError(op, 'train', 'is empty');

  if (smoothing.kind === 'add-k') {
    const k = smoothing.k;
    if (!(typeof k === 'number' && k > 0 && Number.isFinite(k))) throw new ArgumentError(op, 'smoothing.k', `must be a positive number, got ${String(k)}`);
    const c = emptyCounts();
    for (let i = order - 1; i < ids.length; i++) bump(c, contextKey(ids, i, order - 1, V), ids[i]!);
    return {
      order,
      name: `${order}-gram, add-${k}`,
      prob(context, next) {
        const ctx = contextKey(context, context.length, order - 1, V);
        return ((c.next.get(ctx)?.get(next) ?? 0) + k) / ((c.total.get(ctx) ?? 0) + k * V);
      },
    };
  }
  if (smoothing.kind !== 'kneser-ney') throw new ArgumentError(op, 'smoothing', `expected add-k or kneser-ney, got ${JSON.stringify(smoothing)}`);

  // counts[m] for m = 1..order: context length m - 1. The top order counts
  // occurrences, lower orders count distinct characters seen before the n-gram.
  const counts: OrderCounts[] = Array.from({ length: order + 1 }, emptyCounts);
  const seenLeft = Array.from({ length: order + 1 }, () => new Set<number>());
  for (let i = order - 1; i < ids.length; i++) {
    bump(counts[order]!, contextKey(ids, i, order - 1, V), ids[i]!);
    for (let m = 1; m < order; m++) {
      // The m-gram ending at i, with the character before it: count it once per distinct left character.
      const gram = contextKey(ids, i + 1, m, V);
      const left = ids[i - m]!;
      const key = gram * V + left;
      if (!seenLeft[m]!.has(key)) {
        seenLeft[m]!.add(key);
        bump(counts[m]!, contextKey(ids, i, m - 1, V), ids[i]!);
      }
    }
  }
  const discounts = counts.map((c, m) => {
    if (m === 0) return 0;
    let n1 = 0;
    let n2 = 0;
    for (const row of c.next.values()) {
      for (const n of row.values()) {
        if (n === 1) n1++;
        else if (n === 2) n2++;
      }
    }
    return n1 + n2 === 0 ? 0.5 : n1 / (n1 + 2 * n2);
  });
  const probAt = (m: number, context: readonly number[], next: number): number => {
    if (m === 0) return 1 / V;
    const ctx = contextKey(context, context.length, m - 1, V);
    const lower = probAt(m - 1, context, next);
    const total = counts[m]!.total.get(ctx);
    if (total === undefined) return lower;
    const row = counts[m]!.next.get(ctx)!;
    const d = discounts[m]!;
    return Math.max((row.get(next) ?? 0) - d, 0) / total + ((d * row.size) / total) * lower;
  };
  return {
    order,
    name: `${order}-gram, Kneser-Ney`,
    prob: (context, next) => probAt(order, context, next),
  };
}

/**
 * Bits per character of a model on texts: the mean of `-log2 P(c | before)`
 * over every character of every text, each text scored from its start with
 * the context before it filled with newlines (as {@link ngramModel} reads its
 * training text).
 *
 * @example
 * ```ts
 * import { ngramModel, ngramBitsPerChar, vocabulary } from '@mnemo/models';
 * const v = vocabulary('ab\n');
 * const uniform = ngramModel('ab\n', v, 1, { kind: 'add-k', k: 1e9 });
 * console.assert(Math.abs(ngramBitsPerChar(uniform, v, ['abba\n']) - Math.log2(3)) < 1e-6);
 * ```
 * @category Language models
 */
export function ngramBitsPerChar(model: NgramModel, vocab: Vocabulary, texts: readonly string[]): number {
  const op = 'ngramBitsPerChar';
  const pad = vocab.id('\n') ?? 0;
  let bits = 0;
  let n = 0;
  texts.forEach((text, j) => {
    const ids = [...new Array<number>(model.order - 1).fill(pad), ...vocab.encode(text, op, `texts[${j}]`)];
    for (let i = model.order - 1; i < ids.length; i++) {
      bits -= Math.log2(model.prob(ids.slice(i - model.order + 1, i), ids[i]!));
      n++;
    }
  });
  if (n === 0) throw new ArgumentError(op, 'texts', 'hold no characters to score');
  return bits / n;
}
