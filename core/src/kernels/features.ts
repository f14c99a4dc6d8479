/**
 * What the WebAssembly runtime offers mnemo's kernels, found once per process
 * by feature detection (never by version numbers):
 *
 * - `simd`: WebAssembly SIMD (128-bit `v128`) validates. Without it the
 *   kernels' JavaScript references run.
 * - `relaxedSimd`: relaxed SIMD validates (`f32x4.relaxed_madd`,
 *   `f64x2.relaxed_madd`): a fused multiply-add in one instruction. On by
 *   default from Node 22; Node 20 has it only behind
 *   `--experimental-wasm-relaxed-simd`, which mnemo does not set for you (an
 *   experimental flag of a runtime past its end of life): start Node 20 with
 *   it to get the FMA kernels there.
 * - `revectorize`: V8's revectorizer is on (`--experimental-wasm-revectorize`,
 *   in Node 24's V8 for x64): it turns pairs of adjacent, independent 128-bit
 *   SIMD operations into one 256-bit AVX2 operation, loop-carried
 *   accumulators included. It changes code, not behaviour, so nothing can be
 *   validated: it is taken as present where the runtime was built with it
 *   (`process.config.variables.v8_enable_wasm_simd256_revec`) and its V8 is
 *   13 or newer. (Node 22's V8 12.4 has the flag too, but there it pairs none
 *   of the gemm's loops: `--print-wasm-code` shows the same 128-bit code, and
 *   the wide tiles chosen for it ran 40% slower than the 128-bit ones. This
 *   is the one place a version number decides, for want of any observable
 *   feature.) Where present, the first call of {@link wasmFeatures} switches
 *   it on with `v8.setFlagsFromString` before any kernel compiles (V8's flags
 *   are process-wide, so helper threads and every later WebAssembly module of
 *   the process get it too), unless the process was started with
 *   `--no-experimental-wasm-revectorize`. It pays only on x64 CPUs with AVX2.
 *
 * `MNEMO_WASM_FEATURES` (an environment variable read once, on first use)
 * turns features off, for tests and for pinning a path: a comma-separated
 * list of `no-simd`, `no-relaxed-simd`, `no-revectorize`. With
 * `no-revectorize` the flag is left as the process started. One more word,
 * `fma`, asks for the gemm's fused float32 micro-kernel (see
 * {@link fusedGemmRequested}).
 *
 * Internal: the gemm (`wasm-gemm.ts`) and the code generators choose their
 * micro-kernels from {@link wasmFeatures}; `gemmInfo()` reports it.
 *
 * @module
 */
import { Fn, I32, RelaxedSimd, Simd, V128, encodeModule } from './wasm-emit.js';

/** The WebAssembly features the kernels use in this process. */
export interface WasmFeatures {
  /** WebAssembly SIMD (`v128`) validates and is not turned off. */
  readonly simd: boolean;
  /** Relaxed SIMD's fused multiply-adds validate and are not turned off. */
  readonly relaxedSimd: boolean;
  /** V8's 128-to-256-bit revectorizer is on. */
  readonly revectorize: boolean;
}

/** Names accepted in `MNEMO_WASM_FEATURES`. */
const SWITCHES = ['no-simd', 'no-relaxed-simd', 'no-revectorize', 'fma'] as const;
const REVEC_FLAG = 'experimental-wasm-revectorize';

interface NodeProcess {
  readonly version?: string;
  readonly versions?: Record<string, string | undefined>;
  readonly arch?: string;
  readonly execArgv?: readonly string[];
  readonly env?: Record<string, string | undefined>;
  readonly config?: { readonly variables?: Record<string, unknown> };
  readonly getBuiltinModule?: (id: string) => unknown;
}

const proc = (): NodeProcess | undefined => (globalThis as { process?: NodeProcess }).process;

interface Validator {
  validate(bytes: Uint8Array): boolean;
}

function validates(build: (f: Fn) => void, params: readonly (typeof I32 | typeof V128)[]): boolean {
  const wasm = (globalThis as { WebAssembly?: Validator }).WebAssembly;
  if (!wasm) return false;
  const f = new Fn(params, [V128]);
  build(f);
  try {
    return wasm.validate(encodeModule({ memory: { initial: 1, maximum: 1, shared: false }, functions: [{ fn: f, exportAs: 'probe' }] }));
  } catch {
    return false;
  }
}

/** `(a, b) => f32x4.mul(a, b)`: the smallest module that needs SIMD. */
const probeSimd = (): boolean => validates((f) => void f.get(0).get(1).simd(Simd.f32x4Mul), [V128, V128]);

/** `(a, b, c) => f64x2.relaxed_madd(f32x4.relaxed_madd(a, b, c), b, c)`: both fused multiply-adds. */
const probeRelaxed = (): boolean =>
  validates((f) => void f.get(0).get(1).get(2).simd(RelaxedSimd.f32x4Madd).get(1).get(2).simd(RelaxedSimd.f64x2Madd), [V128, V128, V128]);

/** The state of `--experimental-wasm-revectorize` given on the command line, if it was. */
function revecOnCommandLine(execArgv: readonly string[]): boolean | undefined {
  let state: boolean | undefined;
  for (const raw of execArgv) {
    const a = raw.replaceAll('_', '-');
    if (a === `--${REVEC_FLAG}`) state = true;
    else if (a === `--no-${REVEC_FLAG}`) state = false;
  }
  return state;
}

/**
 * Whether a V8 of this version (`process.versions.v8`) revectorizes loops
 * whose 128-bit accumulators are carried from one trip to the next (13 and
 * newer; see the module's comment).
 */
export function pairsLoops(v8Version: string | undefined): boolean {
  const major = Number.parseInt(v8Version ?? '', 10);
  return Number.isInteger(major) && major >= 13;
}

let cached: { features: WasmFeatures; notes: readonly string[]; fma: boolean } | undefined;

function detect(): { features: WasmFeatures; notes: readonly string[]; fma: boolean } {
  const p = proc();
  const notes: string[] = [];
  const off = new Set<string>();
  const raw = p?.env?.['MNEMO_WASM_FEATURES'];
  for (const word of (raw ?? '').split(',').map((w) => w.trim()).filter((w) => w !== '')) {
    if ((SWITCHES as readonly string[]).includes(word)) off.add(word);
    else notes.push(`MNEMO_WASM_FEATURES: ${JSON.stringify(word)} is not one of ${SWITCHES.join(', ')}: ignored`);
  }

  const simdHere = probeSimd();
  const simd = simdHere && !off.has('no-simd');
  if (!simdHere) notes.push('WebAssembly SIMD does not validate here');
  else if (!simd) notes.push('SIMD turned off by MNEMO_WASM_FEATURES');

  const relaxedHere = simdHere && probeRelaxed();
  const relaxedSimd = simd && relaxedHere && !off.has('no-relaxed-simd');
  if (simd && !relaxedHere) notes.push('relaxed SIMD does not validate here (Node 20 has it behind --experimental-wasm-relaxed-simd): multiply then add');
  else if (simd && !relaxedSimd) notes.push('relaxed SIMD turned off by MNEMO_WASM_FEATURES: multiply then add');

  let revectorize = false;
  const built = p?.config?.variables?.['v8_enable_wasm_simd256_revec'];
  const hasFlag = built === 1 || built === true || built === '1';
  const hasRevec = hasFlag && pairsLoops(p?.versions?.['v8']);
  if (simd && hasFlag && !hasRevec) notes.push(`this runtime's revectorizer (V8 ${p?.versions?.['v8'] ?? '?'}) does not pair the gemm's loops: 128-bit code`);
  else if (simd && hasRevec) {
    const given = revecOnCommandLine(p?.execArgv ?? []);
    if (given !== undefined) {
      revectorize = given;
      if (!given) notes.push(`the process was started with --no-${REVEC_FLAG}: 128-bit code`);
    } else if (off.has('no-revectorize')) {
      notes.push('revectorization turned off by MNEMO_WASM_FEATURES: 128-bit code');
    } else {
      const v8 = p?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
      if (v8?.setFlagsFromString) {
        v8.setFlagsFromString(`--${REVEC_FLAG}`);
        revectorize = true;
      } else notes.push('no node:v8 here to switch the revectorizer on: 128-bit code');
    }
  } else if (simd && !hasFlag) notes.push('this runtime has no revectorizer (--experimental-wasm-revectorize): 128-bit code');

  const fma = off.has('fma');
  if (fma && !relaxedSimd) notes.push('MNEMO_WASM_FEATURES=fma: relaxed SIMD is not in use here, so the gemm multiplies then adds');
  return { features: { simd, relaxedSimd, revectorize }, notes, fma: fma && relaxedSimd };
}

/**
 * The WebAssembly features the kernels use in this process: detected once
 * (switching V8's revectorizer on where the runtime has it), then cached.
 */
export function wasmFeatures(): WasmFeatures {
  cached ??= detect();
  return cached.features;
}

/** Why a feature is not in use, where one is not (from the same detection). */
export function wasmFeatureNotes(): readonly string[] {
  cached ??= detect();
  return cached.notes;
}

/**
 * Whether `MNEMO_WASM_FEATURES` asks for the gemm's fused float32
 * micro-kernel (`fma`) and relaxed SIMD is in use. The gemm multiplies then
 * adds by default even where relaxed SIMD validates: its fused multiply-add
 * measured no faster on the project's machine (Zen 5 has separate multiply
 * and add pipes), and a fused product rounds once where the others round
 * twice, so float32 results would differ in the last bits between runtimes.
 * Without it, every runtime and path gives the same float32 bits.
 */
export function fusedGemmRequested(): boolean {
  cached ??= detect();
  return cached.fma;
}
