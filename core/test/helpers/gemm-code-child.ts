/**
 * Run in a child process under `node --print-wasm-code --no-liftoff` by
 * wasm-features.test.ts: one float32 and one float64 product, so that V8
 * prints the optimized code of the gemm's micro-kernels.
 */
import { wasmGemm } from '../../src/kernels/wasm-gemm.js';

for (const make of [(n: number) => new Float32Array(n), (n: number) => new Float64Array(n)]) {
  const m = 64;
  const a = make(m * m).fill(1);
  const out = make(m * m);
  wasmGemm({ a, b: a, out, m, k: m, n: m, transA: false, transB: false }, { threads: 1, jsBelow: 0 });
  if (out[0] !== m) throw new Error(`gemm-code-child: expected ${m}, got ${out[0]}`);
}
