/**
 * Explicit random keys, JAX style, on the Philox4x32-10 counter-based generator.
 *
 * A {@link Key} is an immutable value (two 32-bit words). Random functions are
 * pure: the same key and arguments give the same numbers, on every machine.
 * There is no hidden global state; to draw several independent things, derive
 * new keys with {@link split} or {@link foldIn} and use each key once.
 *
 * ## The algorithm
 *
 * **Block function.** Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel
 * random numbers: as easy as 1, 2, 3", SC'11) maps a 128-bit counter
 * `(c0, c1, c2, c3)` and a 64-bit key `(k0, k1)` to four 32-bit words by ten
 * rounds of
 *
 * ```text
 * (hi0, lo0) = 0xD2511F53 * c0        (full 64-bit product, split in halves)
 * (hi1, lo1) = 0xCD9E8D57 * c2
 * (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
 * ```
 *
 * with the key bumped by the Weyl constants `k0 += 0x9E3779B9`,
 * `k1 += 0xBB67AE85` (mod 2^32) between rounds. All arithmetic is on unsigned
 * 32-bit integers (`Math.imul`, `>>> 0`, and 16-bit halves for the high word
 * of a product), so it is exact in every JavaScript engine. {@link philox4x32}
 * exposes the block function; the tests check Random123's published
 * known-answer vectors.
 *
 * **Counters.** The counter's last word separates three uses of one key:
 * - the key's stream of random words (`c3 = 0`): block `i` (a 53-bit integer) has
 *   counter `(i mod 2^32, floor(i / 2^32), 0, 0)`, and the stream is the blocks'
 *   words in order (`c0'`, `c1'`, `c2'`, `c3'` of block 0, then block 1, ...);
 * - {@link split} (`c3 = 1`): child `i` is the first two output words of the
 *   counter `(i mod 2^32, floor(i / 2^32), 0, 1)`;
 * - {@link foldIn} (`c3 = 2`): the first two output words of the counter
 *   `(data mod 2^32, floor(data / 2^32) mod 2^32, 0, 2)` (data in 64-bit two's complement).
 *
 * **Seeds.** `key(seed)` holds the seed's 64-bit two's complement as the
 * Philox key: `k0` the low word, `k1` the high word.
 *
 * **Floats.** Each function reads the key's stream from its start:
 * - a float32 uniform in `[0, 1)` is `(w >>> 8) * 2^-24` (the top 24 bits of one
 *   word); in `(0, 1]` it is `((w >>> 8) + 1) * 2^-24`;
 * - a float64 uniform in `[0, 1)` is `((w0 >>> 5) * 2^26 + (w1 >>> 6)) * 2^-53`
 *   (the top 27 bits of one word and the top 26 of the next); in `(0, 1]` add one
 *   before scaling.
 * Integers ({@link randint}, {@link permutation}) use rejection sampling, so
 * they are exactly uniform. Uniform, integer, Bernoulli and permutation results
 * are bit-identical everywhere. {@link normal} also calls `Math.log`, `Math.cos`
 * and `Math.sin`: V8 (Node, Chrome, Deno) computes these with the same portable
 * code on every platform, so results are identical there; another engine may
 * differ in the last bit of a float64 result.
 *
 * @module
 */
import { allocate, checkDType, type DType, type TypedArray } from './dtype.js';
import { checkOptions } from './args.js';
import { ArgumentError, formatValue } from './errors.js';
import { MAX_SIZE, checkShape, sizeOf, type Shape } from './shape.js';
import { unsafeFromData, type Tensor } from './tensor.js';

// ---------------------------------------------------------------------------
// Philox4x32-10
// ---------------------------------------------------------------------------

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const ROUNDS = 10;
const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

/** The high 32 bits of the 64-bit product of two uint32 values. */
function mulHi(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const hh = aH * bH;
  // Every partial product is below 2^32, so it is exact in a double.
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** One Philox4x32-10 block into `out[o .. o + 3]`. */
function block(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, o: number): void {
  for (let r = 0; r < ROUNDS; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulHi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulHi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  out[o] = c0;
  out[o + 1] = c1;
  out[o + 2] = c2;
  out[o + 3] = c3;
}

function checkWord(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= TWO32) {
    throw new ArgumentError(op, arg, `expected an unsigned 32-bit integer, got ${formatValue(v)}`);
  }
  return v;
}

/**
 * The Philox4x32-10 block function: four 32-bit output words from a counter of
 * four words and a key of two. Every word is an unsigned integer below 2^32.
 * This is the primitive under every random function here; it is exported so
 * that its known-answer values can be checked.
 *
 * @param counter - Four unsigned 32-bit words.
 * @param keyWords - Two unsigned 32-bit words.
 * @returns Four unsigned 32-bit words, as numbers.
 * @throws ArgumentError - when `counter` does not hold 4 words or `keyWords` 2, or
 *   a word is not an integer in `[0, 2^32)`.
 *
 * @example
 * ```ts
 * import { philox4x32 } from '@mnemo/core';
 * // Random123's known answer for a zero counter and a zero key.
 * const out = philox4x32([0, 0, 0, 0], [0, 0]);
 * console.assert(out[0] === 0x6627e8d5 && out[3] === 0x9b00dbd8);
 * ```
 * @category Random
 */
export function philox4x32(counter: readonly number[], keyWords: readonly number[]): [number, number, number, number] {
  if (!Array.isArray(counter) || counter.length !== 4) {
    throw new ArgumentError('philox4x32', 'counter', `expected 4 words, got ${Array.isArray(counter) ? counter.length : formatValue(counter)}`);
  }
  if (!Array.isArray(keyWords) || keyWords.length !== 2) {
    throw new ArgumentError('philox4x32', 'key', `expected 2 words, got ${Array.isArray(keyWords) ? keyWords.length : formatValue(keyWords)}`);
  }
  const c = counter.map((w, i) => checkWord('philox4x32', `counter[${i}]`, w));
  const k = keyWords.map((w, i) => checkWord('philox4x32', `key[${i}]`, w));
  const out = new Uint32Array(4);
  block(c[0]!, c[1]!, c[2]!, c[3]!, k[0]!, k[1]!, out, 0);
  return [out[0]!, out[1]!, out[2]!, out[3]!];
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/**
 * A random key: an immutable value of two unsigned 32-bit words, used as the
 * Philox key. Make one with {@link key}, derive more with {@link split} and
 * {@link foldIn}. Use each key for one purpose only: two calls with the same
 * key return the same numbers.
 *
 * @example
 * ```ts
 * import { key, Key } from '@mnemo/core';
 * const k = key(42);
 * console.assert(k instanceof Key && k.equals(new Key(42, 0)) && Object.isFrozen(k));
 * ```
 * @category Random
 */
export class Key {
  /** The low word (the Philox key's first word). */
  readonly k0: number;
  /** The high word (the Philox key's second word). */
  readonly k1: number;

  /**
   * A key from its two words, each an integer in `[0, 2^32)`; most code makes
   * keys with {@link key} instead.
   *
   * @param k0 - The low word.
   * @param k1 - The high word.
   * @throws ArgumentError - when a word is not an integer in `[0, 2^32)`.
   */
  constructor(k0: number, k1: number) {
    this.k0 = checkWord('Key', 'k0', k0);
    this.k1 = checkWord('Key', 'k1', k1);
    Object.freeze(this);
  }

  /**
   * Whether another key holds the same two words (keys are values: compare them
   * with this, not `===`).
   *
   * @param other - Another key.
   * @returns `true` when `other` is a `Key` with the same words.
   */
  equals(other: Key): boolean {
    return other instanceof Key && other.k0 === this.k0 && other.k1 === this.k1;
  }

  /**
   * The key's two words in hexadecimal, for logs and error messages:
   * `Key(0x0000002a, 0x00000000)`.
   *
   * @returns The text `Key(0x........, 0x........)`.
   */
  toString(): string {
    const hex = (w: number): string => `0x${w.toString(16).padStart(8, '0')}`;
    return `Key(${hex(this.k0)}, ${hex(this.k1)})`;
  }
}

/** An integer in [-2^53, 2^53] as 64-bit two's complement words [lo, hi]. */
function int64Words(op: string, arg: string, v: unknown): [number, number] {
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > TWO53) {
    throw new ArgumentError(op, arg, `expected an integer in [-2^53, 2^53], got ${formatValue(v)}`);
  }
  const lo = ((v % TWO32) + TWO32) % TWO32;
  const hi = ((Math.floor(v / TWO32) % TWO32) + TWO32) % TWO32;
  return [lo, hi];
}

function checkKey(op: string, k: unknown): Key {
  if (!(k instanceof Key)) throw new ArgumentError(op, 'key', `expected a Key (from key(seed)), got ${formatValue(k)}`);
  return k;
}

/**
 * A random key from an integer seed. Seeds from -2^53 to 2^53 are accepted;
 * distinct seeds give distinct keys (the seed's 64-bit two's complement).
 *
 * @param seed - An integer in `[-2^53, 2^53]`.
 * @returns A new {@link Key}; equal seeds give equal keys.
 * @throws ArgumentError - when `seed` is not an integer in `[-2^53, 2^53]`.
 *
 * @example
 * ```ts
 * import { key, uniform } from '@mnemo/core';
 * const a = uniform(key(0), [3]).toArray().join();
 * console.assert(a === uniform(key(0), [3]).toArray().join());
 * ```
 * @category Random
 */
export function key(seed: number): Key {
  const [lo, hi] = int64Words('key', 'seed', seed);
  return new Key(lo, hi);
}

/**
 * Derive `n` new keys from a key (default 2). The children are independent of
 * each other and of the parent's own stream; split again to get more.
 *
 * @param k - The key to split; do not use it for anything else afterwards.
 * @param n - How many keys to make (default 2; a non-negative integer).
 * @returns `n` keys, independent of each other and of `k`.
 * @throws ArgumentError - when `k` is not a {@link Key}, or `n` is not a
 *   non-negative integer.
 *
 * @example
 * ```ts
 * import { key, split } from '@mnemo/core';
 * const [a, b] = split(key(7));
 * console.assert(a !== undefined && b !== undefined && !a.equals(b));
 * ```
 * @category Random
 */
export function split(k: Key, n = 2): Key[] {
  const parent = checkKey('split', k);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SIZE) {
    throw new ArgumentError('split', 'n', `expected a count from 0 to 2^31 - 1, got ${formatValue(n)}`);
  }
  const out = new Uint32Array(4);
  const keys: Key[] = [];
  for (let i = 0; i < n; i++) {
    block(i % TWO32, Math.floor(i / TWO32), 0, 1, parent.k0, parent.k1, out, 0);
    keys.push(new Key(out[0]!, out[1]!));
  }
  return keys;
}

/**
 * Derive a new key from a key and an integer (a step number, a layer index...),
 * without splitting. Different data give independent keys.
 *
 * @param k - The key.
 * @param data - An integer in `[-2^53, 2^53]` (a step, a layer index).
 * @returns A new key; different `data` give independent keys.
 * @throws ArgumentError - when `k` is not a {@link Key}, or `data` is not an
 *   integer in `[-2^53, 2^53]`.
 *
 * @example
 * ```ts
 * import { key, foldIn } from '@mnemo/core';
 * const k = key(1);
 * console.assert(foldIn(k, 3).equals(foldIn(k, 3)) && !foldIn(k, 3).equals(foldIn(k, 4)));
 * ```
 * @category Random
 */
export function foldIn(k: Key, data: number): Key {
  const parent = checkKey('foldIn', k);
  const [lo, hi] = int64Words('foldIn', 'data', data);
  const out = new Uint32Array(4);
  block(lo, hi, 0, 2, parent.k0, parent.k1, out, 0);
  return new Key(out[0]!, out[1]!);
}

// ---------------------------------------------------------------------------
// The key's stream of words
// ---------------------------------------------------------------------------

/** The key's stream of 32-bit words, read in order from its start. */
class WordStream {
  private readonly k0: number;
  private readonly k1: number;
  private blockIndex = 0;
  private readonly buf = new Uint32Array(4);
  private pos = 4;

  constructor(k: Key) {
    this.k0 = k.k0;
    this.k1 = k.k1;
  }

  next(): number {
    if (this.pos === 4) {
      const i = this.blockIndex++;
      block(i % TWO32, Math.floor(i / TWO32), 0, 0, this.k0, this.k1, this.buf, 0);
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }

  /** The next `n` words (faster than `n` calls to `next` when the stream is at a block boundary). */
  take(n: number): Uint32Array {
    const out = new Uint32Array(n);
    let i = 0;
    while (i < n && this.pos !== 4) out[i++] = this.next();
    while (n - i >= 4) {
      const b = this.blockIndex++;
      block(b % TWO32, Math.floor(b / TWO32), 0, 0, this.k0, this.k1, out, i);
      i += 4;
    }
    while (i < n) out[i++] = this.next();
    return out;
  }

  /** An exactly uniform integer in `[0, r)` for `1 <= r <= 2^53`, by rejection. */
  below(r: number): number {
    if (r <= TWO32) {
      const limit = TWO32 - (TWO32 % r);
      for (;;) {
        const w = this.next();
        if (w < limit) return w % r;
      }
    }
    const limit = TWO53 - (TWO53 % r);
    for (;;) {
      const v = (this.next() >>> 5) * 67108864 + (this.next() >>> 6);
      if (v < limit) return v % r;
    }
  }
}

/**
 * The first `count` 32-bit words of a key's stream (see the module notes for
 * the counter layout). Every other random function reads this same stream.
 *
 * @param k - The key.
 * @param count - How many words (a non-negative integer).
 * @returns A new `Uint32Array` of `count` words.
 * @throws ArgumentError - when `k` is not a {@link Key}, or `count` is not a
 *   non-negative integer.
 * @throws ShapeError - when `count` holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { key, randomBits } from '@mnemo/core';
 * const w = randomBits(key(0), 6);
 * console.assert(w.length === 6 && w.every((x) => x >= 0 && x < 2 ** 32));
 * ```
 * @category Random
 */
export function randomBits(k: Key, count: number): Uint32Array {
  const parent = checkKey('randomBits', k);
  const [n] = checkShape('randomBits', 'count', [count]);
  return new WordStream(parent).take(n!);
}

// ---------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------

const F32_SCALE = 1 / 16777216; // 2^-24
const F64_SCALE = 1 / TWO53;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The largest value of the dtype below `x` (x finite). */
function nextDown(dtype: DType, x: number): number {
  if (dtype === 'float32') {
    f32[0] = x;
    if (f32[0] === 0) u32[0] = 0x80000001;
    else if (f32[0]! > 0) u32[0] = u32[0]! - 1;
    else u32[0] = u32[0]! + 1;
    return f32[0]!;
  }
  f64[0] = x;
  if (x === 0) u64[0] = 0x8000000000000001n;
  else if (x > 0) u64[0] = u64[0]! - 1n;
  else u64[0] = u64[0]! + 1n;
  return f64[0]!;
}

/** Uniforms in [0, 1) (`open = 'high'`) or (0, 1] (`open = 'low'`), as doubles, from the stream. */
function unitUniforms(stream: WordStream, dtype: DType, n: number, open: 'high' | 'low'): Float64Array {
  const out = new Float64Array(n);
  const add = open === 'low' ? 1 : 0;
  if (dtype === 'float32') {
    const w = stream.take(n);
    for (let i = 0; i < n; i++) out[i] = ((w[i]! >>> 8) + add) * F32_SCALE;
  } else {
    const w = stream.take(2 * n);
    for (let i = 0; i < n; i++) out[i] = ((w[2 * i]! >>> 5) * 67108864 + (w[2 * i + 1]! >>> 6) + add) * F64_SCALE;
  }
  return out;
}

function checkFinite(op: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(op, arg, `must be a finite number, got ${formatValue(v)}`);
  return v;
}

/**
 * Options of {@link uniform}: the bounds `low` (included, default 0) and `high`
 * (excluded, default 1), and the dtype.
 *
 * @example
 * ```ts
 * import { key, uniform, type UniformOptions } from '@mnemo/core';
 * const o: UniformOptions = { dtype: 'float64', low: -1, high: 1 };
 * console.assert(uniform(key(0), [2], o).dtype === 'float64');
 * ```
 * @category Random
 */
export interface UniformOptions {
  /** Element type (default float32). */
  readonly dtype?: DType;
  /** Lower bound, included (default 0). */
  readonly low?: number;
  /** Upper bound, excluded (default 1). */
  readonly high?: number;
}

/**
 * Uniform samples in `[low, high)`. Each value is `low + (high - low) * u`
 * with `u` from the top 24 (float32) or 53 (float64) bits of the stream,
 * rounded to the dtype; a value that rounds up to `high` (as rounded to the
 * dtype) is replaced by the largest value of the dtype below it, so `high` is
 * never returned. Bounds so close that they round to the same value of the
 * dtype are refused.
 *
 * @param k - The key; the same key gives the same samples.
 * @param shape - The shape of the result.
 * @param options - `low` (default 0), `high` (default 1), `dtype` (default
 *   `float32`).
 * @returns A tensor of `shape` with values in `[low, high)`.
 * @throws ArgumentError - when `k` is not a {@link Key}, `shape` has an entry that
 *   is not a non-negative integer, a bound is not finite, `low >= high`, the
 *   bounds round to the same value of the dtype, or `dtype` is not `float32` or
 *   `float64`.
 * @throws ShapeError - when `shape` holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { key, uniform } from '@mnemo/core';
 * const x = uniform(key(3), [1000], { low: -2, high: 2 }).toArray();
 * console.assert(x.every((v) => v >= -2 && v < 2));
 * ```
 * @category Random
 */
export function uniform(k: Key, shape: Shape, options: UniformOptions = {}): Tensor {
  const op = 'uniform';
  const parent = checkKey(op, k);
  const s = checkShape(op, 'shape', shape);
  const o = checkOptions(op, 'options', options);
  const dtype = checkDType(op, 'dtype', o.dtype ?? 'float32');
  const low = checkFinite(op, 'low', o.low ?? 0);
  const high = checkFinite(op, 'high', o.high ?? 1);
  if (!(low < high) || !Number.isFinite(high - low)) {
    throw new ArgumentError(op, 'high', `needs low < high with a finite difference, got low ${low} and high ${high}`);
  }
  const hiD = dtype === 'float32' ? Math.fround(high) : high;
  const loD = dtype === 'float32' ? Math.fround(low) : low;
  if (!(loD < hiD)) {
    throw new ArgumentError(op, 'high', `low ${low} and high ${high} round to the same ${dtype} value ${loD}, so [low, high) holds no ${dtype} value`);
  }
  const n = sizeOf(s);
  const u = unitUniforms(new WordStream(parent), dtype, n, 'high');
  const y = allocate(dtype, n);
  const width = high - low;
  for (let i = 0; i < n; i++) y[i] = low + width * u[i]!;
  // Rounding (to the dtype, or of the product) can reach `high`: step back below it.
  const top = Math.max(nextDown(dtype, hiD), loD);
  for (let i = 0; i < n; i++) if (y[i]! >= hiD) y[i] = top;
  return unsafeFromData(y, s);
}

/**
 * Options of {@link normal}: the `mean` (default 0), the standard deviation
 * `std` (default 1) and the dtype.
 *
 * @example
 * ```ts
 * import { key, normal, type NormalOptions } from '@mnemo/core';
 * const o: NormalOptions = { mean: 1, std: 0.1 };
 * console.assert(normal(key(0), [2], o).size === 2);
 * ```
 * @category Random
 */
export interface NormalOptions {
  /** Element type (default float32). */
  readonly dtype?: DType;
  /** Mean (default 0). */
  readonly mean?: number;
  /** Standard deviation, non-negative (default 1). */
  readonly std?: number;
}

/**
 * Normal (Gaussian) samples by the Box-Muller transform. Elements are made in
 * pairs `(2j, 2j + 1)` from two uniforms `u1, u2` in `(0, 1]` (the layout of
 * {@link uniform}'s stream, 24 or 53 bits each): with `r = sqrt(-2 ln u1)` and
 * `t = 2 pi u2`, the pair is `mean + std * r cos t` and `mean + std * r sin t`.
 * The tails are cut where `u1` reaches its smallest value: at about 5.8 standard
 * deviations for float32 and 8.6 for float64.
 *
 * @param k - The key; the same key gives the same samples.
 * @param shape - The shape of the result.
 * @param options - `mean` (default 0), `std` (default 1, non-negative), `dtype`
 *   (default `float32`).
 * @returns A tensor of `shape` of normal samples.
 * @throws ArgumentError - when `k` is not a {@link Key}, `shape` has an entry that
 *   is not a non-negative integer, `mean` or `std` is not finite, `std` is
 *   negative, or `dtype` is not `float32` or `float64`.
 * @throws ShapeError - when `shape` holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { key, normal } from '@mnemo/core';
 * const x = normal(key(0), [10000], { dtype: 'float64' }).toArray();
 * const mean = Array.from(x).reduce((a, b) => a + b, 0) / x.length;
 * console.assert(Math.abs(mean) < 0.05);
 * ```
 * @category Random
 */
export function normal(k: Key, shape: Shape, options: NormalOptions = {}): Tensor {
  const op = 'normal';
  const parent = checkKey(op, k);
  const s = checkShape(op, 'shape', shape);
  const o = checkOptions(op, 'options', options);
  const dtype = checkDType(op, 'dtype', o.dtype ?? 'float32');
  const mean = checkFinite(op, 'mean', o.mean ?? 0);
  const std = checkFinite(op, 'std', o.std ?? 1);
  if (std < 0) throw new ArgumentError(op, 'std', `must be non-negative, got ${std}`);
  const n = sizeOf(s);
  const pairs = Math.ceil(n / 2);
  const u = unitUniforms(new WordStream(parent), dtype, 2 * pairs, 'low');
  const y = allocate(dtype, n);
  for (let j = 0; j < pairs; j++) {
    const r = Math.sqrt(-2 * Math.log(u[2 * j]!));
    const t = 2 * Math.PI * u[2 * j + 1]!;
    y[2 * j] = mean + std * (r * Math.cos(t));
    if (2 * j + 1 < n) y[2 * j + 1] = mean + std * (r * Math.sin(t));
  }
  return unsafeFromData(y, s);
}

/**
 * Bernoulli samples: 1 with probability `p`, else 0, as a float tensor. Each
 * element compares a 53-bit uniform in `[0, 1)` (two stream words, as in
 * {@link uniform} for float64) with `p`, so `p = 0` never gives 1 and `p = 1`
 * always does.
 *
 * @param k - The key.
 * @param p - The probability of a 1, in `[0, 1]`.
 * @param shape - The shape of the result.
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of `shape` holding 0s and 1s.
 * @throws ArgumentError - when `k` is not a {@link Key}, `p` is not a finite
 *   number in `[0, 1]`, `shape` has an entry that is not a non-negative integer,
 *   or `dtype` is not `float32` or `float64`.
 * @throws ShapeError - when `shape` holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { key, bernoulli } from '@mnemo/core';
 * const mask = bernoulli(key(0), 0.5, [4, 4]);
 * console.assert(mask.toArray().every((v) => v === 0 || v === 1));
 * ```
 * @category Random
 */
export function bernoulli(k: Key, p: number, shape: Shape, dtype: DType = 'float32'): Tensor {
  const op = 'bernoulli';
  const parent = checkKey(op, k);
  const prob = checkFinite(op, 'p', p);
  if (prob < 0 || prob > 1) throw new ArgumentError(op, 'p', `must be a probability in [0, 1], got ${prob}`);
  const s = checkShape(op, 'shape', shape);
  const dt = checkDType(op, 'dtype', dtype);
  const n = sizeOf(s);
  const u = unitUniforms(new WordStream(parent), 'float64', n, 'high');
  const y = allocate(dt, n);
  for (let i = 0; i < n; i++) y[i] = u[i]! < prob ? 1 : 0;
  return unsafeFromData(y, s);
}

function checkIntegerRange(op: string, dtype: DType, values: readonly [string, number][]): void {
  const limit = dtype === 'float32' ? 16777216 : TWO53;
  for (const [arg, v] of values) {
    if (Math.abs(v) > limit) {
      throw new ArgumentError(op, arg, `${v} is beyond ${dtype === 'float32' ? '2^24' : '2^53'}, where ${dtype} no longer holds every integer; use float64 or a smaller range`);
    }
  }
}

/**
 * Uniform random integers in `[low, high)`, held exactly in a float tensor.
 * Each element is drawn by rejection sampling from the key's stream (one word
 * per try when `high - low <= 2^32`, two otherwise), so every integer is
 * exactly equally likely.
 *
 * @param k - The key.
 * @param shape - The shape of the result.
 * @param low - The smallest value (an integer).
 * @param high - The bound, excluded (an integer above `low`).
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of `shape` holding integers in `[low, high)`.
 * @throws ArgumentError - when `k` is not a {@link Key}, `low` or `high` is not an
 *   integer, `low >= high`, the range exceeds 2^53, a bound is beyond the integers
 *   the dtype holds exactly (2^24 for float32), `shape` is invalid, or `dtype` is
 *   not `float32` or `float64`.
 * @throws ShapeError - when `shape` holds more than 2^31 - 1 elements
 *   (`MAX_SIZE`), or more than the memory can give.
 *
 * @example
 * ```ts
 * import { key, randint } from '@mnemo/core';
 * const x = randint(key(0), [100], 3, 7).toArray();
 * console.assert(x.every((v) => Number.isInteger(v) && v >= 3 && v < 7));
 * ```
 * @category Random
 */
export function randint(k: Key, shape: Shape, low: number, high: number, dtype: DType = 'float32'): Tensor {
  const op = 'randint';
  const parent = checkKey(op, k);
  const s = checkShape(op, 'shape', shape);
  const dt = checkDType(op, 'dtype', dtype);
  for (const [arg, v] of [['low', low], ['high', high]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ArgumentError(op, arg, `must be an integer, got ${formatValue(v)}`);
  }
  if (!(low < high)) throw new ArgumentError(op, 'high', `needs low < high, got low ${low} and high ${high}`);
  checkIntegerRange(op, dt, [['low', low], ['high', high - 1]]);
  const r = high - low;
  if (r > TWO53) throw new ArgumentError(op, 'high', `the range high - low = ${r} exceeds 2^53`);
  const n = sizeOf(s);
  const stream = new WordStream(parent);
  const y = allocate(dt, n);
  for (let i = 0; i < n; i++) y[i] = low + stream.below(r);
  return unsafeFromData(y, s);
}

/**
 * A random permutation of `0 .. n-1` as a float tensor of shape `[n]`: a
 * Fisher-Yates shuffle (for `i` from `n - 1` down to 1, swap entry `i` with an
 * exactly uniform `j` in `[0, i]`, drawn by rejection from the key's stream).
 * Use it with `gather` to shuffle a dataset.
 *
 * @param k - The key.
 * @param n - How many indices (a non-negative integer).
 * @param dtype - `float32` (default) or `float64`.
 * @returns A tensor of shape `[n]` holding each of `0 .. n-1` once.
 * @throws ArgumentError - when `k` is not a {@link Key}, `n` is not a non-negative
 *   integer or is beyond the integers the dtype holds exactly, or `dtype` is not
 *   `float32` or `float64`.
 * @throws ShapeError - when `n` holds more than 2^31 - 1 elements (`MAX_SIZE`), or
 *   more than the memory can give.
 *
 * @example
 * ```ts
 * import { key, permutation } from '@mnemo/core';
 * const p = Array.from(permutation(key(0), 5).toArray());
 * console.assert(p.slice().sort((a, b) => a - b).join() === '0,1,2,3,4');
 * ```
 * @category Random
 */
export function permutation(k: Key, n: number, dtype: DType = 'float32'): Tensor {
  const op = 'permutation';
  const parent = checkKey(op, k);
  const [len] = checkShape(op, 'n', [n]);
  const dt = checkDType(op, 'dtype', dtype);
  checkIntegerRange(op, dt, [['n', len!]]);
  const y: TypedArray = allocate(dt, len!);
  for (let i = 0; i < len!; i++) y[i] = i;
  const stream = new WordStream(parent);
  for (let i = len! - 1; i > 0; i--) {
    const j = stream.below(i + 1);
    const t = y[i]!;
    y[i] = y[j]!;
    y[j] = t;
  }
  return unsafeFromData(y, [len!]);
}
