/**
 * Random keys: Philox4x32-10 known answers, determinism, independence of
 * split streams, the documented float conversions, and the distributions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  Key,
  bernoulli,
  cpu,
  foldIn,
  key,
  normal,
  permutation,
  philox4x32,
  randint,
  randomBits,
  split,
  uniform,
  type DType,
} from '@mnemo/core';

const hex = (ws: readonly number[]): string => ws.map((w) => w.toString(16).padStart(8, '0')).join(' ');

/** Philox4x32-10 written again with BigInt products: an independent check of the 32-bit arithmetic. */
function philoxBigInt(ctr: readonly number[], k: readonly number[]): number[] {
  const mask = 0xffffffffn;
  let [c0, c1, c2, c3] = ctr.map(BigInt) as [bigint, bigint, bigint, bigint];
  let [k0, k1] = k.map(BigInt) as [bigint, bigint];
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + 0x9e3779b9n) & mask;
      k1 = (k1 + 0xbb67ae85n) & mask;
    }
    const p0 = 0xd2511f53n * c0;
    const p1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & mask, (p0 >> 32n) ^ c3 ^ k1, p0 & mask];
  }
  return [c0, c1, c2, c3].map(Number);
}

const word = fc.nat({ max: 0xffffffff });
const wordEdge = fc.oneof(word, fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xffff, 0x10000));

describe('Philox4x32-10', () => {
  // Random123's kat_vectors for philox4x32 with 10 rounds: counter, key -> output.
  it.each([
    [[0, 0, 0, 0], [0, 0], '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], '408f276d 41c83b0e a20bc7c6 6d5451fd'],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], 'd16cfe09 94fdcceb 5001e420 24126ea1'],
  ])('known answer for counter %j, key %j', (ctr, k, expected) => {
    expect(hex(philox4x32(ctr, k))).toBe(expected);
    expect(hex(philoxBigInt(ctr, k))).toBe(expected);
  });

  it('agrees with a BigInt implementation on any counter and key', () => {
    fc.assert(
      fc.property(fc.tuple(wordEdge, wordEdge, wordEdge, wordEdge), fc.tuple(wordEdge, wordEdge), (ctr, k) => {
        expect(philox4x32(ctr, k)).toEqual(philoxBigInt(ctr, k));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses malformed counters and keys', () => {
    expect(() => philox4x32([0, 0, 0], [0, 0])).toThrow(ArgumentError);
    expect(() => philox4x32([0, 0, 0, 2 ** 32], [0, 0])).toThrow(/counter\[3\]/);
    expect(() => philox4x32([0, 0, 0, 0], [-1, 0])).toThrow(/key\[0\]/);
  });
});

describe('keys', () => {
  it('hold the seed as 64-bit two\u2019s complement words', () => {
    expect(key(0).equals(new Key(0, 0))).toBe(true);
    expect(key(42).equals(new Key(42, 0))).toBe(true);
    expect(key(2 ** 32 + 5).equals(new Key(5, 1))).toBe(true);
    expect(key(2 ** 53).equals(new Key(0, 2 ** 21))).toBe(true);
    expect(key(-1).equals(new Key(0xffffffff, 0xffffffff))).toBe(true);
    expect(key(-(2 ** 53)).equals(new Key(0, 2 ** 32 - 2 ** 21))).toBe(true);
    expect(String(key(255))).toBe('Key(0x000000ff, 0x00000000)');
  });

  it('distinct seeds give distinct keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), (a, b) => {
        fc.pre(a !== b);
        expect(key(a).equals(key(b))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('are immutable values', () => {
    const k = key(3);
    expect(Object.isFrozen(k)).toBe(true);
    expect(() => {
      (k as unknown as { k0: number }).k0 = 9;
    }).toThrow(TypeError);
    expect(k.k0).toBe(3);
  });

  it('refuse seeds that are not integers in [-2^53, 2^53]', () => {
    for (const bad of [NaN, Infinity, -Infinity, 1.5, 2 ** 53 + 2, -(2 ** 54), '1' as never, undefined as never]) {
      expect(() => key(bad)).toThrow(ArgumentError);
    }
    expect(() => key(NaN)).toThrow(/key: argument 'seed': .*NaN/);
    expect(() => new Key(-1, 0)).toThrow(/Key: argument 'k0'/);
    expect(() => new Key(0, 2 ** 32)).toThrow(/Key: argument 'k1'/);
    expect(() => uniform({ k0: 0, k1: 0 } as never, [2])).toThrow(/uniform: argument 'key': expected a Key/);
    expect(() => split(key(0), -1)).toThrow(/split: argument 'n'/);
    expect(() => split(key(0), 1.5)).toThrow(ArgumentError);
    expect(() => foldIn(key(0), 0.5)).toThrow(/foldIn: argument 'data'/);
  });
});

describe('streams', () => {
  it('the same seed gives the same numbers, every time', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 64 }), (seed, n) => {
        expect(randomBits(key(seed), n)).toEqual(randomBits(key(seed), n));
        expect(uniform(key(seed), [n]).toArray()).toEqual(uniform(key(seed), [n]).toArray());
        expect(normal(key(seed), [n], { dtype: 'float64' }).toArray()).toEqual(normal(key(seed), [n], { dtype: 'float64' }).toArray());
      }),
      { numRuns: 100 },
    );
  });

  it('golden values pin the stream across machines and versions', () => {
    const k = key(42);
    expect(hex(Array.from(randomBits(k, 4)))).toBe('9ceaf053 77f5493b 12bf50ad 5742b3d7');
    expect(Array.from(uniform(k, [4]).toArray())).toEqual([0.6129598617553711, 0.4685865044593811, 0.07323169708251953, 0.3408614993095398]);
    expect(Array.from(uniform(k, [3], { dtype: 'float64' }).toArray())).toEqual([0.6129598801477738, 0.07323173687503892, 0.9877186516453577]);
    expect(Array.from(normal(k, [3], { dtype: 'float64' }).toArray())).toEqual([0.8864975090043553, 0.43935606704496627, -0.15660961822160735]);
    expect(Array.from(normal(k, [3]).toArray())).toEqual([-0.9701898097991943, 0.1940186619758606, -1.2356207370758057]);
    expect(Array.from(randint(k, [6], 0, 10).toArray())).toEqual([3, 1, 7, 7, 3, 5]);
    expect(Array.from(permutation(k, 8).toArray())).toEqual([6, 4, 0, 5, 2, 7, 1, 3]);
    expect(Array.from(bernoulli(k, 0.5, [8]).toArray())).toEqual([0, 1, 0, 0, 0, 0, 0, 0]);
    expect(split(k).map(String)).toEqual(['Key(0x20439b04, 0x9807e022)', 'Key(0x1f858d22, 0x5a936ff5)']);
    expect(String(foldIn(k, 7))).toBe('Key(0x72f51705, 0xeb96c96f)');
  });

  it('the stream is Philox over counters (i, 0, 0, 0), split uses (i, 0, 0, 1), foldIn (data, 0, 0, 2)', () => {
    fc.assert(
      fc.property(word, word, fc.integer({ min: 1, max: 5 }), fc.nat({ max: 2 ** 40 }), (k0, k1, blocks, data) => {
        const k = new Key(k0, k1);
        const words = randomBits(k, 4 * blocks);
        for (let i = 0; i < blocks; i++) expect(Array.from(words.subarray(4 * i, 4 * i + 4))).toEqual(philoxBigInt([i, 0, 0, 0], [k0, k1]));
        split(k, 3).forEach((child, i) => {
          const [a, b] = philoxBigInt([i, 0, 0, 1], [k0, k1]);
          expect(child.equals(new Key(a!, b!))).toBe(true);
        });
        const [a, b] = philoxBigInt([data % 2 ** 32, Math.floor(data / 2 ** 32), 0, 2], [k0, k1]);
        expect(foldIn(k, data).equals(new Key(a!, b!))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('a longer draw extends a shorter one (every function reads the stream from its start)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (seed, n, extra) => {
        const k = key(seed);
        expect(Array.from(randomBits(k, n + extra).subarray(0, n))).toEqual(Array.from(randomBits(k, n)));
        expect(Array.from(uniform(k, [n + extra]).toArray().subarray(0, n))).toEqual(Array.from(uniform(k, [n]).toArray()));
      }),
      { numRuns: 100 },
    );
  });

  it('split and foldIn give distinct keys and different streams', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 8 }), (seed, n) => {
        const parent = key(seed);
        const children = split(parent, n);
        expect(children.length).toBe(n);
        const all = [parent, ...children, foldIn(parent, 0), foldIn(parent, 1)];
        const names = new Set(all.map(String));
        expect(names.size).toBe(all.length);
        const streams = new Set(all.map((c) => hex(Array.from(randomBits(c, 4)))));
        expect(streams.size).toBe(all.length);
        // Splitting is deterministic, and the first children do not depend on n.
        expect(split(parent, n).map(String)).toEqual(children.map(String));
        expect(split(parent, 2).map(String)).toEqual(children.slice(0, 2).map(String));
      }),
      { numRuns: 100 },
    );
    expect(split(key(0), 0)).toEqual([]);
    expect(split(key(0)).length).toBe(2);
  });

  it('streams of split keys are uncorrelated', () => {
    const [a, b] = split(key(2024));
    const x = uniform(a!, [20000], { dtype: 'float64' }).toArray();
    const y = uniform(b!, [20000], { dtype: 'float64' }).toArray();
    let sxy = 0;
    for (let i = 0; i < x.length; i++) sxy += (x[i]! - 0.5) * (y[i]! - 0.5);
    // Correlation of independent uniforms has standard deviation 1/sqrt(n) (about 0.007): allow 5 sigma.
    expect(Math.abs(sxy / x.length / (1 / 12))).toBeLessThan(5 / Math.sqrt(x.length));
  });
});

/** Mean and variance of a sample. */
function moments(x: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i]! - mean) ** 2;
  return { mean, variance: v / (x.length - 1) };
}

describe('uniform', () => {
  it('follows the documented conversion: top 24 bits (float32) or 53 bits (float64)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const k = key(seed);
        const w = randomBits(k, 8);
        const f32 = uniform(k, [4]).toArray();
        const f64 = uniform(k, [4], { dtype: 'float64' }).toArray();
        for (let i = 0; i < 4; i++) {
          expect(f32[i]).toBe((w[i]! >>> 8) / 2 ** 24);
          expect(f64[i]).toBe(((w[2 * i]! >>> 5) * 2 ** 26 + (w[2 * i + 1]! >>> 6)) / 2 ** 53);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('stays in [low, high) with the right shape and dtype', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom<DType>('float32', 'float64'),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        (seed, dtype, shape, low, width) => {
          const high = low + width;
          // Bounds that round to one float32 value leave no value to draw (tested below).
          fc.pre(dtype === 'float64' || Math.fround(low) < Math.fround(high));
          const t = uniform(key(seed), shape, { dtype, low, high });
          expect(t.shape).toEqual(shape);
          expect(t.dtype).toBe(dtype);
          const lo = dtype === 'float32' ? Math.fround(low) : low;
          const hi = dtype === 'float32' ? Math.fround(high) : high;
          for (const v of t.toArray()) {
            expect(v).toBeGreaterThanOrEqual(lo);
            expect(v).toBeLessThan(hi);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never returns high, even when rounding reaches it', () => {
    // The interval [1, next float after 1) holds one value of the dtype: every draw must be exactly 1.
    expect(uniform(key(5), [1000], { low: 1, high: 1 + 2 ** -23 }).toArray().every((v) => v === 1)).toBe(true);
    expect(uniform(key(5), [1000], { dtype: 'float64', low: 1, high: 1 + 2 ** -52 }).toArray().every((v) => v === 1)).toBe(true);
    // Values near the top of a wide interval in float32.
    const t = uniform(key(6), [20000], { low: 0, high: 1e7 }).toArray();
    expect(t.every((v) => v < 1e7)).toBe(true);
  });

  it('has the moments of a uniform distribution', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const n = 100000;
      const { mean, variance } = moments(uniform(key(11), [n], { dtype, low: -1, high: 3 }).toArray());
      // Mean 1, variance 16/12; the mean's standard error is sqrt(16/12/n): allow 5 of them.
      expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(16 / 12 / n));
      expect(Math.abs(variance - 16 / 12)).toBeLessThan(0.02);
    }
  });

  it('fills a histogram evenly (chi-square)', () => {
    const n = 50000;
    const bins = 20;
    const counts = new Array<number>(bins).fill(0);
    for (const v of uniform(key(12), [n]).toArray()) counts[Math.floor(v * bins)]!++;
    const e = n / bins;
    const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    // 19 degrees of freedom: P(chi2 > 43.8) = 0.001.
    expect(chi2).toBeLessThan(43.8);
  });

  it('refuses bad bounds and options', () => {
    expect(() => uniform(key(0), [2], { low: 1, high: 1 })).toThrow(/uniform: argument 'high': needs low < high/);
    expect(() => uniform(key(0), [2], { low: 2, high: 1 })).toThrow(ArgumentError);
    expect(() => uniform(key(0), [2], { low: NaN })).toThrow(/uniform: argument 'low'/);
    expect(() => uniform(key(0), [2], { low: -1.7e308, high: 1.7e308 })).toThrow(/finite difference/);
    expect(() => uniform(key(0), [2], { dtype: 'int8' as never })).toThrow(/uniform: argument 'dtype'/);
    expect(() => uniform(key(0), [2], { low: 31615.83, high: 31615.831 })).toThrow(/round to the same float32 value/);
    expect(uniform(key(0), [2], { dtype: 'float64', low: 31615.83, high: 31615.831 }).size).toBe(2);
  });
});

describe('normal', () => {
  it('is Box-Muller on pairs of (0, 1] uniforms from the stream', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const k = key(seed);
        const w = randomBits(k, 4);
        const z = normal(k, [3], { dtype: 'float64' }).toArray();
        const u1 = ((w[0]! >>> 5) * 2 ** 26 + (w[1]! >>> 6) + 1) / 2 ** 53;
        const u2 = ((w[2]! >>> 5) * 2 ** 26 + (w[3]! >>> 6) + 1) / 2 ** 53;
        const r = Math.sqrt(-2 * Math.log(u1));
        expect(z[0]).toBe(r * Math.cos(2 * Math.PI * u2));
        expect(z[1]).toBe(r * Math.sin(2 * Math.PI * u2));
        const z32 = normal(k, [2], { mean: 1, std: 2 }).toArray();
        const v1 = ((w[0]! >>> 8) + 1) / 2 ** 24;
        const v2 = ((w[1]! >>> 8) + 1) / 2 ** 24;
        expect(z32[0]).toBe(Math.fround(1 + 2 * (Math.sqrt(-2 * Math.log(v1)) * Math.cos(2 * Math.PI * v2))));
      }),
      { numRuns: 100 },
    );
  });

  it('has mean, std, skew and kurtosis of a normal distribution', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const n = 100000;
      const x = normal(key(21), [n], { dtype, mean: 3, std: 0.5 }).toArray();
      const { mean, variance } = moments(x);
      expect(Math.abs(mean - 3)).toBeLessThan(5 * 0.5 / Math.sqrt(n));
      expect(Math.abs(Math.sqrt(variance) - 0.5)).toBeLessThan(0.005);
      let m3 = 0;
      let m4 = 0;
      for (const v of x) {
        const z = (v - mean) / Math.sqrt(variance);
        m3 += z ** 3;
        m4 += z ** 4;
      }
      expect(Math.abs(m3 / n)).toBeLessThan(0.05);
      expect(Math.abs(m4 / n - 3)).toBeLessThan(0.1);
      // The fraction within one standard deviation: 0.6827.
      const inside = x.filter((v) => Math.abs(v - 3) < 0.5).length / n;
      expect(Math.abs(inside - 0.6827)).toBeLessThan(0.01);
      expect(x.every(Number.isFinite)).toBe(true);
    }
  });

  it('odd sizes, empty shapes, std 0', () => {
    expect(normal(key(1), [3, 3]).shape).toEqual([3, 3]);
    expect(normal(key(1), [0]).size).toBe(0);
    expect(normal(key(1), []).rank).toBe(0);
    expect(Array.from(normal(key(1), [3], { std: 0, mean: 2 }).toArray())).toEqual([2, 2, 2]);
    // An odd size is the prefix of the next even size.
    expect(Array.from(normal(key(1), [4]).toArray()).slice(0, 3)).toEqual(Array.from(normal(key(1), [3]).toArray()));
    expect(() => normal(key(1), [2], { std: -1 })).toThrow(/normal: argument 'std': must be non-negative/);
    expect(() => normal(key(1), [2], { mean: Infinity })).toThrow(/normal: argument 'mean'/);
  });
});

describe('bernoulli', () => {
  it('gives 0/1 with frequency p', () => {
    const n = 50000;
    for (const p of [0.1, 0.5, 0.93]) {
      const x = bernoulli(key(31), p, [n]).toArray();
      expect(x.every((v) => v === 0 || v === 1)).toBe(true);
      const freq = Array.from(x).reduce((s, v) => s + v, 0) / n;
      expect(Math.abs(freq - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('p = 0 never fires, p = 1 always does; dtype and shape are kept', () => {
    expect(bernoulli(key(1), 0, [1000]).toArray().every((v) => v === 0)).toBe(true);
    expect(bernoulli(key(1), 1, [1000]).toArray().every((v) => v === 1)).toBe(true);
    const t = bernoulli(key(1), 0.5, [2, 3], 'float64');
    expect(t.dtype).toBe('float64');
    expect(t.shape).toEqual([2, 3]);
    expect(() => bernoulli(key(1), 1.5, [2])).toThrow(/bernoulli: argument 'p': must be a probability/);
    expect(() => bernoulli(key(1), NaN, [2])).toThrow(/bernoulli: argument 'p'/);
  });
});

describe('permutation', () => {
  it('is a permutation of 0..n-1, the same for the same key', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const p = Array.from(permutation(key(seed), n).toArray());
        expect(p.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(Array.from(permutation(key(seed), n).toArray())).toEqual(p);
      }),
      { numRuns: 100 },
    );
  });

  it('makes every ordering of 4 items equally likely (chi-square over 24 orderings)', () => {
    const counts = new Map<string, number>();
    const trials = 12000;
    const base = key(77);
    for (let i = 0; i < trials; i++) {
      const s = permutation(foldIn(base, i), 4).toArray().join();
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    const e = trials / 24;
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - e) ** 2 / e, 0);
    // 23 degrees of freedom: P(chi2 > 49.7) = 0.001.
    expect(chi2).toBeLessThan(49.7);
  });

  it('shuffles rows with gather, and refuses sizes a dtype cannot index', () => {
    const p = permutation(key(3), 5);
    const rows = cpu.gather(cpu.reshape(cpu.cast(p, 'float32'), [5, 1]), p, 0);
    expect(rows.shape).toEqual([5, 1]);
    expect(permutation(key(3), 0).shape).toEqual([0]);
    expect(permutation(key(3), 3, 'float64').dtype).toBe('float64');
    expect(() => permutation(key(3), 2 ** 24 + 1)).toThrow(/permutation: argument 'n': .*2\^24/);
    expect(() => permutation(key(3), -1)).toThrow(/permutation: argument 'n'/);
  });
});

describe('randint', () => {
  it('draws integers in [low, high), hitting every value', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 12 }), (seed, low, width) => {
        const x = randint(key(seed), [400], low, low + width).toArray();
        expect(x.every((v) => Number.isInteger(v) && v >= low && v < low + width)).toBe(true);
        expect(new Set(x).size).toBe(width);
      }),
      { numRuns: 100 },
    );
  });

  it('is uniform over a range that does not divide 2^32 (rejection sampling)', () => {
    const n = 60000;
    const r = 3;
    const counts = [0, 0, 0];
    for (const v of randint(key(41), [n], 0, r).toArray()) counts[v]!++;
    const e = n / r;
    const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(13.8); // 2 degrees of freedom, p = 0.001
  });

  it('handles ranges beyond 2^32 in float64', () => {
    const x = randint(key(8), [2000], -(2 ** 40), 2 ** 40, 'float64').toArray();
    expect(x.every((v) => Number.isInteger(v) && v >= -(2 ** 40) && v < 2 ** 40)).toBe(true);
    // Spread over the range: about half are negative.
    const neg = x.filter((v) => v < 0).length;
    expect(Math.abs(neg - 1000)).toBeLessThan(5 * Math.sqrt(500));
    expect(Math.max(...x)).toBeGreaterThan(2 ** 39);
  });

  it('refuses bad ranges', () => {
    expect(() => randint(key(0), [2], 3, 3)).toThrow(/randint: argument 'high': needs low < high/);
    expect(() => randint(key(0), [2], 0.5, 3)).toThrow(/randint: argument 'low': must be an integer/);
    expect(() => randint(key(0), [2], 0, 2 ** 25)).toThrow(/randint: argument 'high': .*2\^24/);
    expect(randint(key(0), [2], 0, 2 ** 25, 'float64').dtype).toBe('float64');
  });
});
