/**
 * `@mnemo/core`: immutable tensors, dtypes, shapes and broadcasting, random
 * keys, the CPU kernels and the backends.
 *
 * @categoryDescription Internals
 * The raw-buffer kernels (gemm and its WebAssembly implementation, the fast
 * scalar math), the compiler's program format, and access to a tensor's
 * buffer: what backends, the cell compiler and benchmarks build on. Using
 * mnemo needs none of them; the search lists them last.
 *
 * @packageDocumentation
 */
import { registerBackend } from './backend.js';
import { cpu } from './kernels/cpu.js';
import { gpujs } from './kernels/gpujs.js';
import { installFastGemm } from './kernels/wasm-gemm.js';

export * from './errors.js';
export * from './args.js';
export * from './dtype.js';
export * from './shape.js';
export { Tensor, tensor, scalar, full, zeros, ones, arange, linspace, eye, isTensor, unsafeDataOf, unsafeFromData, onValueRead, type NestedArray } from './tensor.js';
export * from './backend.js';
export * from './program.js';
export { cpu } from './kernels/cpu.js';
export { gpujs, gpujsMode, gpujsInfo, type GpujsInfo } from './kernels/gpujs.js';
export { expFast, sigmoidFast, tanhFast } from './kernels/fastmath.js';
export { gemm, gemmReference, setGemmImpl, type GemmArgs } from './kernels/gemm.js';
export { wasmGemm, gemmInfo, startGemmThreads, installFastGemm, residentMemory, setResidentLimit, type WasmGemmOptions, type GemmInfo } from './kernels/wasm-gemm.js';
export { stack, splitTensor } from './kernels/compose.js';
export * from './random.js';

registerBackend('cpu', () => cpu);
registerBackend('gpujs', () => gpujs);

// Every cpu matmul runs on the WebAssembly SIMD gemm (it falls back to the
// reference loop where WebAssembly SIMD is missing); its helper threads start
// on the first large product. MNEMO_GEMM=reference keeps the plain loop.
if (typeof process === 'undefined' || process.env['MNEMO_GEMM'] !== 'reference') installFastGemm();
