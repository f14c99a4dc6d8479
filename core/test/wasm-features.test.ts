/**
 * Runtime feature detection (features.ts) and every kernel path it can pick.
 *
 * The kernels are chosen once per process, so each path runs in a child
 * process (helpers/gemm-paths-child.ts) with `MNEMO_WASM_FEATURES` turning
 * features off (or the fused kernel on, `fma`), or with V8 flags: on a
 * runtime that has relaxed SIMD and the revectorizer (Node 24) all four
 * micro-kernels (128-bit or paired, multiply-add or fused) and the
 * JavaScript fallback run here; on Node 20 the 128-bit ones, the fused one
 * under `--experimental-wasm-relaxed-simd`. Every path must match
 * gemmReference (float64 bit for bit; float32 within the bound of k
 * roundings), and every path that multiplies then adds must give the same
 * float32 bits.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fusedGemmRequested, pairsLoops, wasmFeatureNotes, wasmFeatures } from '../src/kernels/features.js';
import { gemmInfo } from '../src/kernels/wasm-gemm.js';

/**
 * A module of one function `(v128, v128, v128) -> v128` applying the SIMD
 * instruction `0xfd op` to its three parameters, byte for byte from the
 * binary format (independent of wasm-emit.ts).
 */
function ternarySimdModule(op: number): Uint8Array {
  const leb: number[] = [];
  for (let v = op; ; ) {
    const byte = v & 0x7f;
    v >>>= 7;
    leb.push(v === 0 ? byte : byte | 0x80);
    if (v === 0) break;
  }
  const body = [0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, ...leb, 0x0b];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b], // type: (v128 v128 v128) -> v128
    ...[0x03, 0x02, 0x01, 0x00], // one function of type 0
    ...[0x0a, body.length + 2, 0x01, body.length, ...body],
  ]);
}

/** `WebAssembly.validate` (the project compiles without the DOM library, which declares it). */
const validate = (bytes: Uint8Array): boolean => (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(bytes);

/** What this runtime has, before anything is turned off. */
const relaxedHere = validate(ternarySimdModule(0x105)) && validate(ternarySimdModule(0x107)); // f32x4 / f64x2.relaxed_madd
const revecVariable = (process.config.variables as Record<string, unknown>)['v8_enable_wasm_simd256_revec'];
const revecFlagHere = revecVariable === 1 || revecVariable === true;
const revecHere = revecFlagHere && pairsLoops(process.versions.v8);
const turnedOff = (process.env['MNEMO_WASM_FEATURES'] ?? '').split(',').map((w) => w.trim());
const onCommandLine = process.execArgv.map((a) => a.replaceAll('_', '-'));

interface ChildReport {
  readonly kernel: string;
  readonly relaxedSimd: boolean;
  readonly revectorize: boolean;
  readonly microKernels: { readonly float32: string; readonly float64: string };
  readonly threads: number;
  readonly calls: { readonly javascript: number; readonly wasm: number; readonly threaded: number };
  readonly cases: number;
  readonly bad: readonly string[];
  readonly f64Identical: boolean;
  readonly digests: { readonly float32: string; readonly float64: string };
}

const child = fileURLToPath(new URL('./helpers/gemm-paths-child.ts', import.meta.url));

function runPath(features: string, nodeFlags: readonly string[] = []): ChildReport {
  const env: Record<string, string | undefined> = { ...process.env, MNEMO_WASM_FEATURES: features, MNEMO_THREADS: '2' };
  const stdout = execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', child], { env, encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(stdout.trim()) as ChildReport;
}

/** The paths this runtime can take: [MNEMO_WASM_FEATURES, extra node flags, fused float32 kernel expected, revectorizer expected]. */
const candidates: (readonly [string, readonly string[], boolean, boolean])[] = [
  ['', [], false, revecHere],
  ['fma', [], relaxedHere, revecHere],
  ['no-revectorize', [], false, false],
  ['fma,no-revectorize', [], relaxedHere, false],
  // Without relaxed SIMD, asking for the fused kernel gets the other one.
  ['fma,no-relaxed-simd', [], false, revecHere],
  // Node 20: relaxed SIMD exists behind a flag, which mnemo leaves to the user.
  ...(relaxedHere ? [] : ([['fma', ['--experimental-wasm-relaxed-simd'], true, revecHere]] as const)),
  // A process started with the revectorizer off keeps it off.
  ...(revecHere ? ([['', ['--no-experimental-wasm-revectorize'], false, false]] as const) : []),
];
/** Each combination once (what a runtime lacks takes another path again), and every path with flags. */
const paths = candidates.filter(([features, flags, fma, revec], i) => flags.length > 0 || features === 'fma,no-relaxed-simd' || !candidates.slice(0, i).some(([, f, r, v]) => f.length === 0 && r === fma && v === revec));

describe('wasmFeatures', () => {
  it('finds SIMD, and finds relaxed SIMD exactly where the spec\'s relaxed_madd opcodes (0xfd 0x105, 0xfd 0x107) validate', () => {
    const f = wasmFeatures();
    expect(wasmFeatures()).toBe(f); // cached
    expect(f.simd).toBe(!turnedOff.includes('no-simd'));
    expect(f.relaxedSimd).toBe(relaxedHere && f.simd && !turnedOff.includes('no-relaxed-simd'));
    // The probe is not fooled by a neighbouring opcode: 0x114 is not an instruction.
    expect(validate(ternarySimdModule(0x114))).toBe(false);
  });

  it('takes the revectorizer to pair loops from V8 13 on (Node 22\'s V8 12.4 has the flag, but its code stays 128-bit)', () => {
    expect(pairsLoops('12.4.254.21-node.57')).toBe(false);
    expect(pairsLoops('13.6.233.17-node.63')).toBe(true);
    expect(pairsLoops('14.1.0')).toBe(true);
    expect(pairsLoops(undefined)).toBe(false);
    expect(pairsLoops('not a version')).toBe(false);
  });

  it('switches the revectorizer on exactly where the runtime was built with one that pairs loops, unless turned off', () => {
    const f = wasmFeatures();
    const refused = turnedOff.includes('no-revectorize') || onCommandLine.includes('--no-experimental-wasm-revectorize');
    expect(f.revectorize).toBe(f.simd && revecHere && (onCommandLine.includes('--experimental-wasm-revectorize') || !refused));
    if (!f.revectorize) expect(wasmFeatureNotes().some((n) => /revector/.test(n))).toBe(true);
    if (f.simd && !f.relaxedSimd) expect(wasmFeatureNotes().some((n) => /relaxed SIMD/.test(n))).toBe(true);
  });

  it('reports what this process uses in gemmInfo', () => {
    const info = gemmInfo();
    expect(info.revectorize).toBe(wasmFeatures().revectorize);
    expect(info.relaxedSimd).toBe(wasmFeatures().relaxedSimd && fusedGemmRequested());
    for (const n of wasmFeatureNotes()) expect(info.notes).toContain(n);
    if (wasmFeatures().relaxedSimd && !info.relaxedSimd) expect(info.notes.some((n) => /MNEMO_WASM_FEATURES=fma/.test(n))).toBe(true);
  });
});

describe('every kernel path matches the reference', () => {
  const reports: { readonly fma: boolean; readonly report: ChildReport }[] = [];

  for (const [features, flags, fma, revec] of paths) {
    const name = [features === '' ? 'default' : `MNEMO_WASM_FEATURES=${features}`, ...flags].join(' ');
    it(`${name}: ${fma ? 'fused' : 'multiply-add'} float32 kernel, revectorizer ${revec ? 'on' : 'off'}`, () => {
      const r = runPath(features, flags);
      expect(r.kernel).toBe('wasm-simd');
      expect({ relaxedSimd: r.relaxedSimd, revectorize: r.revectorize }).toEqual({ relaxedSimd: fma, revectorize: revec });
      expect(r.microKernels).toEqual({
        float32: `${revec ? '4x16' : '4x8'} f32x4 ${fma ? 'relaxed_madd' : 'mul+add'}${revec ? ', paired for 256-bit' : ''}`,
        float64: `${revec ? '4x8' : '4x4'} f64x2 mul+add${revec ? ', paired for 256-bit' : ''}`,
      });
      expect(r.cases).toBe(2 * 7 * 4 * 2);
      expect(r.calls.javascript).toBe(0);
      expect(r.bad).toEqual([]);
      expect(r.f64Identical).toBe(true);
      reports.push({ fma, report: r });
    });
  }

  it('every path gives the same float64 bits, and every multiply-add path the same float32 bits, on every runtime', () => {
    expect(reports.length).toBe(paths.length);
    // Pinned: Node 20.20.2 (4x8), 22.23.5 (4x8) and 24.22.3 (4x16, 256-bit) all gave these.
    expect(new Set(reports.map((r) => r.report.digests.float64))).toEqual(new Set(['f558c16b1bff4d9a538622d7e4d3a7bf1143ec9fdde7ad355b3fb104958f292d']));
    const plain = reports.filter((r) => !r.fma).map((r) => r.report.digests.float32);
    expect(plain.length).toBeGreaterThanOrEqual(1);
    expect(new Set(plain)).toEqual(new Set(['d45d82da8d38ccf2450575e5440df375f9ac95043158baa4eec57bb5c92e6989']));
    // A fused kernel rounds once per step: its float32 bits differ (within the bound checked above).
    for (const r of reports.filter((x) => x.fma)) expect(r.report.digests.float32).not.toBe(plain[0]);
  });

  it('MNEMO_WASM_FEATURES=no-simd: the JavaScript reference runs, with the same results', () => {
    const r = runPath('no-simd');
    expect(r.kernel).toBe('javascript');
    expect(r.calls).toEqual({ javascript: r.cases, wasm: 0, threaded: 0, helperChunks: 0 });
    expect(r.bad).toEqual([]);
    expect(r.f64Identical).toBe(true);
  });
});

/** Whether this machine's CPU has AVX2, where that can be read (Linux); undefined elsewhere. */
function hasAvx2(): boolean | undefined {
  try {
    return /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

describe('the revectorizer, switched on at run time', () => {
  const script = fileURLToPath(new URL('./helpers/gemm-code-child.ts', import.meta.url));
  /**
   * The child's printed code. V8 prints with C's stdio, which loses output
   * on a non-blocking pipe (what Node makes of a child's stdout pipe), so the
   * child writes to a file.
   */
  const code = (features: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'mnemo-wasm-code-'));
    const file = join(dir, 'code.txt');
    const fd = openSync(file, 'w');
    try {
      execFileSync(process.execPath, ['--print-wasm-code', '--no-liftoff', '--import', 'tsx', script], {
        env: { ...process.env, MNEMO_WASM_FEATURES: features, MNEMO_THREADS: '1' },
        stdio: ['ignore', fd, 'pipe'],
        timeout: 120_000,
      });
      return readFileSync(file, 'utf8');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const ready = revecHere && process.arch === 'x64' && hasAvx2() === true && !turnedOff.includes('no-simd');

  it.runIf(ready)('turns the micro-kernels into 256-bit AVX2 code (read with --print-wasm-code), and only then', () => {
    const paired = code('');
    for (const op of ['vmulps', 'vaddps', 'vmulpd', 'vaddpd']) expect(paired).toMatch(new RegExp(`${op} ymm`));
    if (relaxedHere) expect(code('fma')).toMatch(/vfmadd\d{3}ps ymm/);
    const plain = code('no-revectorize');
    // The same kernels in 128-bit registers, and nowhere a 256-bit one.
    expect(plain).toMatch(/vmulps xmm/);
    expect(plain).toMatch(/vmulpd xmm/);
    expect(plain).not.toMatch(/p[sd] ymm/);
  });
});
