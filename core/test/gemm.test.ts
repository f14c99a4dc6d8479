/**
 * The WebAssembly SIMD gemm against the reference gemm: every layout, both
 * dtypes, offsets, sizes around the register tile and cache blocks, the
 * threaded path, immutability of the inputs, argument errors, and the
 * process-level behaviour of the helper threads (MNEMO_THREADS, clean exit).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, gemmReference, type GemmArgs } from '@mnemo/core';
import { fusedGemmRequested, wasmFeatures } from '../src/kernels/features.js';
import { gemmInfo, startGemmThreads, wasmGemm } from '../src/kernels/wasm-gemm.js';
import { gemmKernels } from '../src/kernels/wasm-gemm-module.js';

type DT = 'float32' | 'float64';

/** A small deterministic generator (mulberry32), so a fast-check seed fixes the data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values in [-1, 1), with about one in eight exactly zero (the reference skips zeros of A). */
function fill(dtype: DT, length: number, next: () => number): Float32Array | Float64Array {
  const out = dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = next() < 0.125 ? 0 : next() * 2 - 1;
  return out;
}

interface Case {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly dtype: DT;
  readonly aOffset: number;
  readonly bOffset: number;
  readonly outOffset: number;
  readonly seed: number;
}

interface Built {
  readonly args: GemmArgs;
  readonly expected: Float32Array | Float64Array;
  /** Per output element, sum over p of |A(i,p)·B(p,j)|: the scale of its rounding error. */
  readonly scale: Float64Array;
}

function build(c: Case): Built {
  const next = rng(c.seed);
  const a = fill(c.dtype, c.aOffset + c.m * c.k + 3, next);
  const b = fill(c.dtype, c.bOffset + c.k * c.n + 2, next);
  const out = fill(c.dtype, c.outOffset + c.m * c.n + 4, next); // garbage that must be overwritten or kept
  const args: GemmArgs = { a, b, out, m: c.m, k: c.k, n: c.n, transA: c.transA, transB: c.transB, aOffset: c.aOffset, bOffset: c.bOffset, outOffset: c.outOffset };
  const expected = out.slice();
  gemmReference({ ...args, out: expected });
  const scale = new Float64Array(c.m * c.n);
  const absA = Float64Array.from(a, Math.abs);
  const absB = Float64Array.from(b, Math.abs);
  gemmReference({ ...args, a: absA, b: absB, out: scale, outOffset: 0 });
  return { args, expected, scale };
}

/**
 * Compare one result with the reference. float64 sums run in the same order
 * as the reference, so they must agree to 1e-12 relative to the scale (in
 * fact exactly); float32 sums accumulate in float32, so each element may be
 * off by the bound of k roundings, (k + 1) · 2^-24 · scale (a fused
 * multiply-add rounds once per step instead of twice: the same bound holds).
 */
function mismatches(c: Case, built: Built, got: Float32Array | Float64Array): string[] {
  const { expected, scale } = built;
  const bad: string[] = [];
  const tol = c.dtype === 'float64' ? 1e-12 : (c.k + 1) * 2 ** -24 * 1.01;
  for (let idx = 0; idx < got.length; idx++) {
    const inside = idx >= c.outOffset && idx < c.outOffset + c.m * c.n;
    const want = expected[idx]!;
    const have = got[idx]!;
    const allowed = inside ? tol * scale[idx - c.outOffset]! + Number.MIN_VALUE : 0;
    if (!(Math.abs(have - want) <= allowed)) bad.push(`out[${idx}] = ${have}, reference ${want}, allowed error ${allowed}`);
    if (bad.length > 3) break;
  }
  return bad;
}

/** The first index where two arrays differ (by Object.is), or -1; far faster than a deep toEqual. */
function firstDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return i;
  return -1;
}

const caseArb = (maxDim: number): fc.Arbitrary<Case> =>
  fc.record({
    m: fc.integer({ min: 0, max: maxDim }),
    k: fc.integer({ min: 0, max: maxDim }),
    n: fc.integer({ min: 0, max: maxDim }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    dtype: fc.constantFrom<DT>('float32', 'float64'),
    aOffset: fc.integer({ min: 0, max: 5 }),
    bOffset: fc.integer({ min: 0, max: 5 }),
    outOffset: fc.integer({ min: 0, max: 5 }),
    seed: fc.integer(),
  });

/** Sizes near the register tiles (4 rows; 8 or 16 float32, 4 or 8 float64 columns) and their multiples. */
const edgeDims = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 70];

describe('wasmGemm (WebAssembly SIMD) against gemmReference', () => {
  it('runs the WebAssembly kernel on this machine, with the micro-kernels the runtime allows', () => {
    const info = gemmInfo();
    const features = wasmFeatures();
    expect(info.kernel).toBe('wasm-simd');
    expect(info.simd).toBe(true);
    expect(info.node).toBe(process.version);
    expect(info.revectorize).toBe(features.revectorize);
    // Paired (256-bit) tiles exactly where the revectorizer is on.
    expect(info.tiles).toEqual(features.revectorize ? { float32: '4x16', float64: '4x8' } : { float32: '4x8', float64: '4x4' });
    const fma = fusedGemmRequested();
    const k = gemmKernels({ ...features, fma });
    // Fused only when asked for (MNEMO_WASM_FEATURES=fma) and relaxed SIMD is in use; float64 never.
    expect(k.f32.fma).toBe(fma && features.relaxedSimd);
    expect(k.f64.fma).toBe(false);
    expect(info.relaxedSimd).toBe(k.f32.fma);
    expect(info.microKernels.float32).toMatch(k.f32.fma ? /f32x4 relaxed_madd/ : /f32x4 mul\+add/);
    expect(info.microKernels.float64).toMatch(/f64x2 mul\+add/);
  });

  it('matches on random sizes 0..70, every layout, both dtypes, with offsets (forced into WebAssembly)', () => {
    const before = gemmInfo().calls.wasm;
    let nonEmpty = 0;
    fc.assert(
      fc.property(caseArb(70), (c) => {
        const built = build(c);
        const aCopy = built.args.a.slice();
        const bCopy = built.args.b.slice();
        wasmGemm(built.args, { jsBelow: 0, threads: 1 });
        if (c.m * c.n * c.k > 0) nonEmpty++;
        expect(mismatches(c, built, built.args.out)).toEqual([]);
        // The inputs are unchanged.
        expect(firstDifference(built.args.a, aCopy)).toBe(-1);
        expect(firstDifference(built.args.b, bCopy)).toBe(-1);
      }),
      { numRuns: 300 },
    );
    expect(gemmInfo().calls.wasm - before).toBe(nonEmpty);
  });

  it('matches on every combination of sizes around the tiles, every layout, both dtypes', () => {
    const pick = fc.constantFrom(...edgeDims);
    fc.assert(
      fc.property(fc.record({ m: pick, k: pick, n: pick, transA: fc.boolean(), transB: fc.boolean(), dtype: fc.constantFrom<DT>('float32', 'float64'), seed: fc.integer() }), (r) => {
        const c: Case = { ...r, aOffset: 1, bOffset: 2, outOffset: 3 };
        const built = build(c);
        wasmGemm(built.args, { jsBelow: 0, threads: 1 });
        expect(mismatches(c, built, built.args.out)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('gives float64 results bit-identical to the reference (same summation order)', () => {
    fc.assert(
      fc.property(caseArb(40), (c0) => {
        const c = { ...c0, dtype: 'float64' as const };
        const built = build(c);
        wasmGemm(built.args, { jsBelow: 0, threads: 1 });
        expect(firstDifference(built.args.out, built.expected)).toBe(-1);
      }),
      { numRuns: 100 },
    );
  });

  it('crosses the cache blocks: k above the 256-wide k block, more rows than one packed block', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const c: Case = { m: 131, k: 517, n: 37, transA, transB, dtype, aOffset: 1, bOffset: 0, outOffset: 2, seed: 7 };
        const built = build(c);
        wasmGemm(built.args, { jsBelow: 0, threads: 1 });
        expect(mismatches(c, built, built.args.out)).toEqual([]);
      }
    }
  });

  it('handles empty products: k = 0 writes zeros, m = 0 or n = 0 writes nothing', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [m, k, n] of [[3, 0, 2], [0, 4, 5], [5, 4, 0], [0, 0, 0]] as const) {
        const c: Case = { m, k, n, transA: false, transB: true, dtype, aOffset: 0, bOffset: 1, outOffset: 2, seed: 3 };
        const built = build(c);
        wasmGemm(built.args, { jsBelow: 0 });
        expect(Array.from(built.args.out)).toEqual(Array.from(built.expected));
      }
    }
  });

  it('runs tiny products in JavaScript by default, with identical results', () => {
    const before = gemmInfo().calls.javascript;
    const c: Case = { m: 2, k: 3, n: 4, transA: true, transB: false, dtype: 'float64', aOffset: 0, bOffset: 0, outOffset: 0, seed: 1 };
    const built = build(c);
    wasmGemm(built.args);
    expect(gemmInfo().calls.javascript).toBe(before + 1);
    expect(Array.from(built.args.out)).toEqual(Array.from(built.expected));
  });

  it('rejects arguments that do not describe a product, naming gemm and the argument', () => {
    const f = new Float32Array(6);
    const d = new Float64Array(6);
    const base = { m: 2, k: 3, n: 2, transA: false, transB: false };
    expect(() => wasmGemm({ ...base, a: f, b: d, out: f })).toThrow(DTypeError);
    expect(() => wasmGemm({ ...base, a: f, b: f, out: d })).toThrow(/gemm: argument 'out'/);
    expect(() => wasmGemm({ ...base, a: f, b: f, out: f, aOffset: 1 })).toThrow(ShapeError);
    expect(() => wasmGemm({ ...base, a: f, b: f, out: f, aOffset: 1 })).toThrow(/\[2, 3\] from offset 1 needs 7 elements, the array has 6/);
    expect(() => wasmGemm({ ...base, a: f, b: new Float32Array(5), out: f, transB: true })).toThrow(/gemm: argument 'b'/);
    expect(() => wasmGemm({ ...base, m: -1, a: f, b: f, out: f })).toThrow(ArgumentError);
    expect(() => wasmGemm({ ...base, k: 1.5, a: f, b: f, out: f })).toThrow(/argument 'k'/);
  });
});

describe('wasmGemm with helper threads', () => {
  let threads = 1;
  beforeAll(async () => {
    threads = (await startGemmThreads()).threads;
  });

  it('starts the helpers this machine allows', () => {
    const info = gemmInfo();
    // (Notes on runtime features, such as a missing revectorizer, may remain.)
    expect(info.notes.filter((n) => /thread|worker/i.test(n))).toEqual([]);
    expect(threads).toBe(info.maxThreads);
  });

  it('splits large products by columns and by rows, every layout, both dtypes, and matches', () => {
    const before = gemmInfo().calls.threaded;
    let runs = 0;
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [m, k, n] of [[97, 300, 261], [263, 129, 45]] as const) {
        for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const c: Case = { m, k, n, transA, transB, dtype, aOffset: 3, bOffset: 1, outOffset: 2, seed: m + n };
          const built = build(c);
          const aCopy = built.args.a.slice();
          const bCopy = built.args.b.slice();
          wasmGemm(built.args, { threadsFrom: 0 });
          runs++;
          expect(mismatches(c, built, built.args.out)).toEqual([]);
          expect(firstDifference(built.args.a, aCopy)).toBe(-1);
          expect(firstDifference(built.args.b, bCopy)).toBe(-1);
          if (dtype === 'float64') expect(firstDifference(built.args.out, built.expected)).toBe(-1);
        }
      }
    }
    expect(gemmInfo().calls.threaded - before).toBe(threads > 1 ? runs : 0);
  });

  it('lets the helpers take chunks of a large product', () => {
    if (threads < 2) return;
    const before = gemmInfo().calls.helperChunks;
    const c: Case = { m: 256, k: 256, n: 512, transA: true, transB: false, dtype: 'float32', aOffset: 0, bOffset: 0, outOffset: 0, seed: 11 };
    const built = build(c);
    // A helper that gets no core in time leaves all chunks to this thread;
    // on a busy machine it may take a few products before one joins in.
    for (let tries = 0; tries < 50 && gemmInfo().calls.helperChunks === before; tries++) wasmGemm(built.args);
    expect(gemmInfo().calls.helperChunks).toBeGreaterThan(before);
    expect(mismatches(c, built, built.args.out)).toEqual([]);
  });

  it('survives memory growth between threaded calls (small, then much larger, then small), helpers included', () => {
    for (const [m, k, n] of [[40, 50, 60], [400, 300, 520], [45, 20, 33]] as const) {
      const c: Case = { m, k, n, transA: false, transB: true, dtype: 'float32', aOffset: 0, bOffset: 0, outOffset: 0, seed: m };
      const built = build(c);
      const before = gemmInfo().calls.helperChunks;
      wasmGemm(built.args, { threadsFrom: 0 });
      expect(mismatches(c, built, built.args.out)).toEqual([]);
      if (threads > 1 && m === 400) {
        // The memory grew for this product: make sure a helper computed part of it.
        for (let tries = 0; tries < 50 && gemmInfo().calls.helperChunks === before; tries++) {
          // Poison only the product's own elements: the guard elements after it must stay as they were.
          built.args.out.fill(Number.NaN, c.outOffset, c.outOffset + m * n);
          wasmGemm(built.args, { threadsFrom: 0 });
          expect(mismatches(c, built, built.args.out)).toEqual([]);
        }
        expect(gemmInfo().calls.helperChunks).toBeGreaterThan(before);
      }
    }
  });
});

describe('helper threads and the process', () => {
  const source = fileURLToPath(new URL('../src/kernels/wasm-gemm.ts', import.meta.url));
  const script = `
    import { wasmGemm, startGemmThreads, gemmInfo } from ${JSON.stringify(source)};
    const info = await startGemmThreads();
    const m = 256, a = new Float32Array(m * m).fill(1), out = new Float32Array(m * m);
    wasmGemm({ a, b: a, out, m, k: m, n: m, transA: false, transB: false });
    console.log(JSON.stringify({ threads: info.threads, max: info.maxThreads, calls: gemmInfo().calls, ok: out.every((v) => v === m) }));
  `;
  const run = (env: Record<string, string>): { threads: number; max: number; calls: { threaded: number }; ok: boolean } => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return JSON.parse(stdout.trim()) as ReturnType<typeof run>;
  };

  it('exits by itself after using the helpers (they never keep a process alive)', () => {
    const r = run({ MNEMO_THREADS: '2' });
    expect(r.ok).toBe(true);
    expect(r.max).toBe(2);
    expect(r.threads).toBe(2);
    expect(r.calls.threaded).toBe(1);
  });

  it('MNEMO_THREADS=1 keeps everything on the calling thread', () => {
    const r = run({ MNEMO_THREADS: '1' });
    expect(r).toEqual({ threads: 1, max: 1, calls: { javascript: 0, wasm: 1, threaded: 0, helperChunks: 0 }, ok: true });
  });
});
