/**
 * Run in a child process by wasm-features.test.ts (the kernels are chosen
 * once per process, from the runtime and `MNEMO_WASM_FEATURES`): checks
 * wasmGemm against gemmReference on one thread and threaded, every layout,
 * both dtypes, sizes around every tile and cache block, and hashes every
 * result per dtype (so that paths can be compared bit for bit); prints one
 * JSON line.
 */
import { createHash } from 'node:crypto';
import { gemmReference, type GemmArgs } from '../../src/kernels/gemm.js';
import { gemmInfo, startGemmThreads, wasmGemm } from '../../src/kernels/wasm-gemm.js';

/** mulberry32: deterministic values. */
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

await startGemmThreads();
const bad: string[] = [];
let cases = 0;
let f64Identical = true;
const digests = { float32: createHash('sha256'), float64: createHash('sha256') };
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [5, 3, 7],
  [4, 8, 16],
  [17, 33, 31],
  [33, 300, 49],
  [131, 517, 37],
  [97, 64, 261],
];
for (const dtype of ['float32', 'float64'] as const) {
  for (const [m, k, n] of shapes) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const threaded of [false, true]) {
        const next = rng(m * 1000 + k * 10 + n);
        const make = (len: number): Float32Array | Float64Array => {
          const x = dtype === 'float32' ? new Float32Array(len) : new Float64Array(len);
          for (let i = 0; i < len; i++) x[i] = next() < 0.1 ? 0 : next() * 2 - 1;
          return x;
        };
        const a = make(m * k);
        const b = make(k * n);
        const args: GemmArgs = { a, b, out: make(m * n), m, k, n, transA, transB };
        const want = make(m * n);
        gemmReference({ ...args, out: want });
        const scale = new Float64Array(m * n);
        gemmReference({ ...args, a: Float64Array.from(a, Math.abs), b: Float64Array.from(b, Math.abs), out: scale });
        wasmGemm(args, threaded ? { jsBelow: 0, threadsFrom: 0 } : { jsBelow: 0, threads: 1 });
        cases++;
        digests[dtype].update(new Uint8Array(args.out.buffer, args.out.byteOffset, args.out.byteLength));
        const tol = dtype === 'float64' ? 0 : (k + 1) * 2 ** -24 * 1.01;
        for (let i = 0; i < m * n; i++) {
          const got = args.out[i]!;
          if (dtype === 'float64' && !Object.is(got, want[i])) f64Identical = false;
          if (!(Math.abs(got - want[i]!) <= tol * scale[i]! + Number.MIN_VALUE)) {
            bad.push(`${dtype} ${m}x${k}x${n} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${threaded ? ' threaded' : ''}: [${i}] = ${got}, reference ${want[i]}`);
            break;
          }
        }
      }
    }
  }
}

const info = gemmInfo();
process.stdout.write(
  `${JSON.stringify({
    kernel: info.kernel,
    relaxedSimd: info.relaxedSimd,
    revectorize: info.revectorize,
    microKernels: info.microKernels,
    threads: info.threads,
    calls: info.calls,
    cases,
    bad,
    f64Identical,
    digests: { float32: digests.float32.digest('hex'), float64: digests.float64.digest('hex') },
  })}\n`,
);
