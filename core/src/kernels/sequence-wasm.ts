/**
 * The cpu backend's sequence programs: a {@link SequenceProgram} becomes one
 * WebAssembly module on the gemm's shared memory, with
 *
 * - one function per fused loop (`loop_i(rows, p0, p1, ...)`: rows of the
 *   kernel's width, four float32 or two float64 lanes at a time, then the
 *   row's last columns one at a time);
 * - `sweep_fwd` and `sweep_bwd`: every step of a chunk for one band of the
 *   batch's rows, calling the products (the gemm's driver, compiled into
 *   this module, on weights packed once per call) and the loops in order;
 *   the calling thread and the gemm's helper threads each carry bands
 *   through all the steps, so threads meet once per chunk, not per step;
 * - `colsum`: column sums into float64 accumulators.
 *
 * The whole-chunk phases (`pre`, `post`) run on the calling thread: their
 * products go through the gemm's planner (threaded for large products),
 * their loops through the same loop functions with every step's rows.
 *
 * Buffers live in one block of the gemm's memory per run: row buffers hold
 * the batch padded to the tile's rows for every slot, so a product of a
 * band may write whole tiles. A run that keeps its memory (a forward pass
 * whose backward pass will read its residuals) is a resident block, which
 * memory pressure may release; the caller then recomputes.
 *
 * @module
 */
import { ArgumentError, MnemoError, formatValue } from '../errors.js';
import type { CompiledLoop, CompiledSequence, LoopKernel, ProgramBuffer, ProgramInstr, ProgramPhase, SequenceProgram, SequenceRun, BufferRef } from '../program.js';
import { F32, F64, Fn, I32, Op, Op2, Simd, encodeModule, wasmApi, type ValType, type WasmApi, type WasmModule } from './wasm-emit.js';
import { appendGemm } from './wasm-gemm-module.js';
import { align, gemmRuntime, roundUp, type BlockHandle } from './wasm-gemm.js';
import { VecMath, mathImportObject, mathImportSpecs } from './wasm-math.js';


/** Header words of a sweep's argument block, then one base pointer per buffer. */
const H_STEPS = 0;
const H_BAND = 1;
const H_PACK_BASE = 2;
const H_PACK_STRIDE = 3;
const H_PACK_A = 4;
const H_BASES = 8;
/** The pool's argument positions of the chunk and of the thread's slot. */
const ARG_CHUNK = 10;
const ARG_SLOT = 15;
const SWEEP_PARAMS = 21;

interface Layout {
  readonly es: number;
  readonly mr: number;
  readonly nr: number;
  /** The batch padded to the tile's rows. */
  readonly bp: number;
}

/** Bytes of one slot (all rows) of a row buffer. */
const slotBytes = (b: ProgramBuffer, L: Layout): number => L.bp * b.ld * (b.float64 ? 8 : L.es);

function bufferBytes(b: ProgramBuffer, steps: number, L: Layout): number {
  const es = b.float64 ? 8 : L.es;
  switch (b.kind) {
    case 'seq':
      return steps * slotBytes(b, L);
    case 'state':
      return (steps + 1) * slotBytes(b, L);
    case 'temp':
      return slotBytes(b, L);
    case 'flat':
      // whole tiles of rows: a product writes its output's padding rows too
      return roundUp(b.rows ?? 1, L.mr) * b.ld * es;
  }
}

// ---------------------------------------------------------------------------
// Code generation
// ---------------------------------------------------------------------------

interface Built {
  readonly bytes: Uint8Array;
  readonly loops: readonly string[];
}

function buildModule(program: SequenceProgram, L: Layout, memory: { initial: number; maximum: number; shared: boolean }, fma: boolean): Built {
  const f64 = program.dtype === 'float64';
  const imports = mathImportSpecs();
  const calls: Record<string, number> = {};
  imports.forEach((m, i) => (calls[m.name] = i));
  const base = imports.length;
  const functions: { fn: Fn; exportAs?: string }[] = [];
  const gemm = appendGemm(functions, f64 ? 'f64' : 'f32', base);
  const loopIndex: number[] = [];
  const loops: string[] = [];
  program.kernels.forEach((k, i) => {
    loopIndex.push(base + functions.length);
    loops.push(`loop_${i}`);
    functions.push({ fn: loopFunction(k, f64, fma, calls), exportAs: `loop_${i}` });
  });
  functions.push({ fn: sweepFunction(program, program.phases.fwd, 'fwd', L, gemm.driver, loopIndex), exportAs: 'sweep_fwd' });
  functions.push({ fn: sweepFunction(program, program.phases.bwd, 'bwd', L, gemm.driver, loopIndex), exportAs: 'sweep_bwd' });
  functions.push({ fn: colsumFunction(f64), exportAs: 'colsum' });
  const bytes = encodeModule({ memory, imports, functions });
  return { bytes, loops };
}

/**
 * `loop_i(rows, p0, ..., pn)`: one {@link LoopKernel} over `rows` rows. A
 * kernel of width 0 takes its width at run time, as one more argument.
 */
function loopFunction(k: LoopKernel, f64: boolean, fma: boolean, calls: Record<string, number>): Fn {
  const es = f64 ? 8 : 4;
  const lanes = f64 ? 2 : 4;
  const scalarType: ValType = f64 ? F64 : F32;
  const loadOp = f64 ? Op.f64Load : Op.f32Load;
  const storeOp = f64 ? Op.f64Store : Op.f32Store;
  const extract = f64 ? 0x21 : 0x1f;
  const splatOp = f64 ? 0x14 : 0x13;
  const runtime = k.width === 0;
  const f = new Fn([I32, ...k.args.map((): ValType => I32), ...(runtime ? [I32 as ValType] : [])]);
  const rows = 0;
  const ptr = (i: number): number => 1 + i;
  const widthParam = 1 + k.args.length;
  const math = new VecMath(f, f64, fma, calls);
  const r = f.local(I32);
  const jb = f.local(I32);
  const vecIters = Math.floor(k.width / lanes);
  const tail = k.width - vecIters * lanes;
  // Which arguments are read as a splat (one value per row).
  const splatArgs = [...new Set(k.exprs.filter((e) => e.op === 'splat').map((e) => (e as { arg: number }).arg))];
  const splatLocal = new Map<number, number>();
  for (const a of splatArgs) splatLocal.set(a, f.local(0x7b));
  // Row sums: two vector accumulators (for the two groups of an unrolled pair) and a scalar one (for the last columns) per sum.
  const sumAcc = k.sums.map(() => ({ vec: f.local(0x7b), vec2: f.local(0x7b), scalar: f.local(scalarType) }));

  /**
   * The body for one group of lanes: `vector` reads `lanes` columns at jb (plus `vecOffset` bytes),
   * else one column at byte `at` (or at jb). The vector loops run two groups per trip: two
   * independent, isomorphic trees that V8's revectorizer can pair into 256-bit instructions.
   */
  const body = (vector: boolean, at: number | 'jb', vecOffset = 0): void => {
    const scalarAt = (): number => {
      if (at !== 'jb') return at;
      f.get(jb).op(Op.i32Add);
      return 0;
    };
    const local: number[] = [];
    k.exprs.forEach((e, i) => {
      switch (e.op) {
        case 'load': {
          const l = f.local(0x7b);
          f.get(ptr(e.arg));
          if (vector) f.get(jb).op(Op.i32Add).simdMem(Simd.load, vecOffset, 0);
          else f.mem(loadOp, scalarAt(), 0).simd(splatOp);
          f.set(l);
          local[i] = l;
          break;
        }
        case 'splat':
          local[i] = splatLocal.get(e.arg)!;
          break;
        case 'const':
          local[i] = math.constant(e.value);
          break;
        case 'select':
          local[i] = math.select(local[e.c]!, local[e.a]!, local[e.b]!);
          break;
        default:
          if ('x' in e) local[i] = math.unary(e.op, local[e.x]!);
          else local[i] = math.binary(e.op, local[e.a]!, local[e.b]!);
      }
    });
    for (const s of k.stores) {
      f.get(ptr(s.arg));
      if (vector) f.get(jb).op(Op.i32Add).get(local[s.expr]!).simdMem(Simd.store, vecOffset, 0);
      else {
        const off = scalarAt();
        f.get(local[s.expr]!).lane(extract, 0).mem(storeOp, off, 0);
      }
    }
    k.sums.forEach((s, i) => {
      const acc = sumAcc[i]!;
      const v = vecOffset === 0 ? acc.vec : acc.vec2;
      if (vector) f.get(v).get(local[s.expr]!).simd(f64 ? 0xf0 : 0xe4).set(v);
      else f.get(acc.scalar).get(local[s.expr]!).lane(extract, 0).op(f64 ? 0xa0 : 0x92).set(acc.scalar);
    });
  };

  f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    for (const [a, l] of splatLocal) f.get(ptr(a)).mem(loadOp, 0, 0).simd(splatOp).set(l);
    for (const acc of sumAcc) {
      f.zero128().set(acc.vec);
      f.zero128().set(acc.vec2);
      if (f64) f.f64(0).set(acc.scalar);
      else f.f32(0).set(acc.scalar);
    }
    const pair = (): void => {
      body(true, 0, 0);
      body(true, 0, 16);
    };
    if (runtime) {
      // pairs of vector groups, one more group if there is one, then one element at a time
      const pairEnd = f.local(I32);
      const vecEnd = f.local(I32);
      f.get(widthParam).i32(-2 * lanes).op(Op.i32And).i32(es).op(Op.i32Mul).set(pairEnd);
      f.get(widthParam).i32(-lanes).op(Op.i32And).i32(es).op(Op.i32Mul).set(vecEnd);
      f.forLoop(jb, () => f.i32(0), () => f.get(pairEnd), 32, pair);
      f.forLoop(jb, () => f.get(pairEnd), () => f.get(vecEnd), 16, () => body(true, 0));
      f.forLoop(jb, () => f.get(vecEnd), () => f.get(widthParam).i32(es).op(Op.i32Mul), es, () => body(false, 'jb'));
    } else {
      const pairs = Math.floor(vecIters / 2);
      if (pairs > 0) f.forLoop(jb, () => f.i32(0), () => f.i32(pairs * 32), 32, pair);
      if (vecIters % 2 === 1) {
        f.i32(pairs * 32).set(jb);
        body(true, 0);
      }
      for (let t = 0; t < tail; t++) body(false, (vecIters * lanes + t) * es);
    }
    k.sums.forEach((s, i) => {
      const acc = sumAcc[i]!;
      // row sum = lanes of the vector accumulator + the scalar one
      f.get(ptr(s.arg));
      if (s.accumulate) f.get(ptr(s.arg)).mem(loadOp, 0, 0);
      f.get(acc.vec).get(acc.vec2).simd(f64 ? 0xf0 : 0xe4).set(acc.vec);
      for (let l = 0; l < lanes; l++) {
        f.get(acc.vec).lane(extract, l);
        if (l > 0) f.op(f64 ? 0xa0 : 0x92);
      }
      f.get(acc.scalar).op(f64 ? 0xa0 : 0x92);
      if (s.accumulate) f.op(f64 ? 0xa0 : 0x92);
      f.mem(storeOp, 0, 0);
    });
    k.args.forEach((a, i) => {
      if (a.perRow && !runtime) f.addTo(ptr(i), a.ld * es);
    });
  });
  return f;
}

/** Pointer (pushed on the stack) to a buffer reference's rows at step local `s`, band row local `r0`. */
function pushRef(f: Fn, program: SequenceProgram, ref: BufferRef, baseLocal: readonly number[], s: number, r0: number, L: Layout): void {
  const b = program.buffers[ref.buffer]!;
  const es = b.float64 ? 8 : L.es;
  f.get(baseLocal[ref.buffer]!);
  if (b.kind === 'seq' || b.kind === 'state') {
    const step = slotBytes(b, L);
    f.get(s);
    if (ref.slot === 1) f.i32(1).op(Op.i32Add);
    f.i32(step).op(Op.i32Mul).op(Op.i32Add);
  }
  if (b.kind !== 'flat') f.get(r0).i32(b.ld * es).op(Op.i32Mul).op(Op.i32Add);
  if (ref.col !== 0) f.i32(ref.col * es).op(Op.i32Add);
}

/** `sweep_fwd` / `sweep_bwd`: every step of a chunk for the band of rows `chunk`. */
function sweepFunction(program: SequenceProgram, instrs: readonly ProgramInstr[], dir: 'fwd' | 'bwd', L: Layout, driver: number, loopIndex: readonly number[]): Fn {
  const f = new Fn(Array<ValType>(SWEEP_PARAMS).fill(I32));
  const args = 0;
  const chunk = ARG_CHUNK;
  const slot = ARG_SLOT;
  const steps = f.local(I32);
  const band = f.local(I32);
  const r0 = f.local(I32);
  const rows = f.local(I32);
  const s = f.local(I32);
  const packBase = f.local(I32);
  const packStride = f.local(I32);
  const packA = f.local(I32);
  const tx = f.local(I32);
  const loadWord = (word: number): void => void f.get(args).mem(Op2.i32Load, word * 4, 2);
  loadWord(H_STEPS);
  f.set(steps);
  loadWord(H_BAND);
  f.set(band);
  loadWord(H_PACK_BASE);
  f.set(packBase);
  loadWord(H_PACK_STRIDE);
  f.set(packStride);
  loadWord(H_PACK_A);
  f.set(packA);
  const baseLocal = program.buffers.map((_, i) => {
    const l = f.local(I32);
    loadWord(H_BASES + i);
    f.set(l);
    return l;
  });
  // This band's rows [r0, r0 + rows) of the batch.
  f.get(chunk).get(band).op(Op.i32Mul).set(r0);
  f.i32(program.batch).get(r0).op(Op.i32Sub).tee(rows);
  f.get(band).op(Op.i32GtS);
  f.ifElse(() => void 0, () => f.get(band).set(rows));
  f.get(rows).i32(0).op(Op.i32LeS);
  f.ifElse(() => void 0, () => void f.op(Op.return));
  const { kc, mc, nc } = gemmRuntime.blocking[program.dtype === 'float64' ? 'f64' : 'f32'];
  const stepBody = (): void => {
    for (const ins of instrs) {
      if (ins.kind === 'loop') {
        f.get(rows);
        for (const ref of ins.args) pushRef(f, program, ref, baseLocal, s, r0, L);
        f.call(loopIndex[ins.kernel]!);
      } else if (ins.kind === 'gemm') {
        // driver(a, b, c, m, n, k, ta, tb, split 1, band, chunk 0, ldc, packBase, packStride, packABytes, slot, kc, mc, nc, prepacked 2, packedAt)
        const cBuf = program.buffers[ins.c.buffer]!;
        pushRef(f, program, ins.a, baseLocal, s, r0, L);
        f.i32(0);
        pushRef(f, program, ins.c, baseLocal, s, r0, L);
        f.get(rows).i32(ins.n).i32(ins.k as number).i32(0).i32(0).i32(1).get(rows).i32(0).i32(cBuf.ld);
        f.get(packBase).get(packStride).get(packA).get(slot).i32(kc).i32(mc).i32(nc).i32(2);
        f.get(baseLocal[ins.b.buffer]!);
        f.call(driver);
      } else throw new ArgumentError('compileSequence', 'program', `a ${ins.kind} instruction cannot run in the ${dir} phase`);
    }
  };
  if (dir === 'fwd') f.forLoop(s, () => f.i32(0), () => f.get(steps), 1, stepBody);
  else {
    // s from steps - 1 down to 0
    f.get(steps).set(tx);
    f.whileLoop(
      () => f.get(tx).i32(0).op(Op.i32GtS),
      () => {
        f.get(tx).i32(1).op(Op.i32Sub).tee(tx).set(s);
        stepBody();
      },
    );
  }
  return f;
}

/** `colsum(rows, src, ldBytes, dst, width)`: dst[j] += Σ_rows src[r][j], in float64. */
function colsumFunction(f64: boolean): Fn {
  const f = new Fn([I32, I32, I32, I32, I32]);
  const [rows, src, ld, dst, width] = [0, 1, 2, 3, 4];
  const r = f.local(I32);
  const j = f.local(I32);
  const es = f64 ? 8 : 4;
  f.forLoop(r, () => f.i32(0), () => f.get(rows), 1, () => {
    f.forLoop(j, () => f.i32(0), () => f.get(width), 1, () => {
      // dst[j] += src[j]
      f.get(dst).get(j).i32(8).op(Op.i32Mul).op(Op.i32Add);
      f.get(dst).get(j).i32(8).op(Op.i32Mul).op(Op.i32Add).mem(Op.f64Load, 0, 3);
      f.get(src).get(j).i32(es).op(Op.i32Mul).op(Op.i32Add);
      if (f64) f.mem(Op.f64Load, 0, 3);
      else f.mem(Op.f32Load, 0, 2).op(Op2.f64PromoteF32);
      f.op(Op.f64Add).mem(Op.f64Store, 0, 3);
    });
    f.addTo(src, () => f.get(ld));
  });
  return f;
}

// ---------------------------------------------------------------------------
// The runtime
// ---------------------------------------------------------------------------

type Exports = Record<string, (...args: number[]) => void>;

interface Compiled {
  readonly exports: Exports;
  readonly module: WasmModule;
  /** Pool kernel numbers of the sweeps, once registered with the helper threads. */
  pooled?: { fwd: number; bwd: number } | null;
}

class WasmSequence implements CompiledSequence {
  readonly paddedBatch: number;
  private readonly L: Layout;

  constructor(
    readonly program: SequenceProgram,
    private readonly compiled: Compiled,
    L: Layout,
  ) {
    this.L = L;
    this.paddedBatch = L.bp;
  }

  get maxBytes(): number {
    return gemmRuntime.maxBytes / 2;
  }

  bytes(chunk: number): number {
    let at = 0;
    for (const b of this.program.buffers) at = align(at + bufferBytes(b, chunk, this.L));
    return at;
  }

  open(chunk: number, options?: { readonly keep?: boolean }): SequenceRun {
    if (!Number.isInteger(chunk) || chunk < 1) throw new ArgumentError('compileSequence', 'chunk', `expected a positive integer, got ${formatValue(chunk)}`);
    return new WasmRun(this.program, this.compiled, this.L, chunk, options?.keep ?? false);
  }
}

class WasmRun implements SequenceRun {
  private readonly handle: BlockHandle = { at: null };
  private readonly offsets: number[] = [];
  private readonly bytes: number;
  private closed = false;
  /** Accumulators written (not yet added to) by a product in this run. */
  private readonly fresh = new Set<number>();

  constructor(
    private readonly program: SequenceProgram,
    private readonly compiled: Compiled,
    private readonly L: Layout,
    private readonly steps: number,
    keep: boolean,
  ) {
    let at = 0;
    for (const b of program.buffers) {
      this.offsets.push(at);
      at = align(at + bufferBytes(b, steps, L));
    }
    this.bytes = Math.max(at, 64);
    if (this.bytes > gemmRuntime.maxBytes / 2) {
      throw new ArgumentError('compileSequence', 'chunk', `a chunk of ${steps} steps needs ${(this.bytes / 2 ** 20).toFixed(0)} MiB, more than the kernel's memory allows`);
    }
    gemmRuntime.residentBlock(this.bytes, this.handle, keep ? this : null);
    gemmRuntime.reserveBytes(gemmRuntime.scratchBase());
    // Row padding must read as zeros (products and sums run over padded rows).
    if (L.bp !== program.batch) for (let i = 0; i < program.buffers.length; i++) this.zero(i);
    for (const b of program.buffers.keys()) if (program.buffers[b]!.float64) this.zero(b);
    program.buffers.forEach((b, i) => {
      if (b.kind === 'flat' && !b.float64) this.fresh.add(i);
    });
  }

  get alive(): boolean {
    return !this.closed && this.handle.at !== null;
  }

  private need(): number {
    if (this.handle.at === null) throw new ArgumentError('compileSequence', 'run', 'this run\'s memory was released (closed, or evicted for memory); recompute it');
    return this.handle.at;
  }

  private at(buffer: number): number {
    return this.need() + this.offsets[buffer]!;
  }

  private view(buffer: number): Float32Array | Float64Array {
    const K = gemmRuntime.kernel()!;
    return this.program.buffers[buffer]!.float64 || this.program.dtype === 'float64' ? K.view64 : K.view32;
  }

  private es(buffer: number): number {
    return this.program.buffers[buffer]!.float64 || this.program.dtype === 'float64' ? 8 : 4;
  }

  /** Element offset of row `row` of slot `slot` of a buffer. */
  private rowAt(buffer: number, slot: number, row: number): number {
    const b = this.program.buffers[buffer]!;
    const es = this.es(buffer);
    const slotStart = b.kind === 'seq' || b.kind === 'state' ? slot * this.L.bp * b.ld : 0;
    return (this.at(buffer) + (slotStart + row * b.ld) * es) / es;
  }

  writeRows(buffer: number, slot: number, data: Float32Array | Float64Array): void {
    const b = this.program.buffers[buffer]!;
    const v = this.view(buffer);
    const rows = b.kind === 'flat' ? (b.rows ?? 1) : this.program.batch;
    if (data.length !== rows * b.width) throw new ArgumentError('compileSequence', 'data', `expected ${rows * b.width} values for ${b.name ?? 'a buffer'}, got ${data.length}`);
    const src = data as Float32Array | Float64Array;
    if (b.ld === b.width) v.set(src, this.rowAt(buffer, slot, 0));
    else for (let r = 0; r < rows; r++) v.set(src.subarray(r * b.width, (r + 1) * b.width), this.rowAt(buffer, slot, r));
  }

  writeSteps(buffer: number, data: Float32Array | Float64Array, T: number, times: readonly number[]): void {
    const b = this.program.buffers[buffer]!;
    const v = this.view(buffer);
    const w = b.width;
    const src = data;
    for (let s = 0; s < times.length; s++) {
      const t = times[s]!;
      let dst = this.rowAt(buffer, s, 0);
      for (let r = 0; r < this.program.batch; r++, dst += b.ld) v.set(src.subarray((r * T + t) * w, (r * T + t + 1) * w), dst);
    }
  }

  readRows(buffer: number, slot: number): Float64Array | Float32Array {
    const b = this.program.buffers[buffer]!;
    const v = this.view(buffer);
    const rows = b.kind === 'flat' ? (b.rows ?? 1) : this.program.batch;
    const out = b.float64 ? new Float64Array(rows * b.width) : this.program.dtype === 'float64' ? new Float64Array(rows * b.width) : new Float32Array(rows * b.width);
    const at = this.rowAt(buffer, slot, 0);
    if (b.ld === b.width) out.set(v.subarray(at, at + rows * b.width));
    else for (let r = 0; r < rows; r++) out.set(v.subarray(at + r * b.ld, at + r * b.ld + b.width), r * b.width);
    return out;
  }

  readSteps(buffer: number, out: Float64Array | Float32Array, T: number, times: readonly number[], fromSlot = 0): void {
    const b = this.program.buffers[buffer]!;
    const v = this.view(buffer);
    const w = b.width;
    for (let s = 0; s < times.length; s++) {
      const t = times[s]!;
      let src = this.rowAt(buffer, s + fromSlot, 0);
      for (let r = 0; r < this.program.batch; r++, src += b.ld) out.set(v.subarray(src, src + w), (r * T + t) * w);
    }
  }

  copySlot(buffer: number, from: number, to: number): void {
    const b = this.program.buffers[buffer]!;
    const v = this.view(buffer);
    const n = this.L.bp * b.ld;
    const a = this.rowAt(buffer, from, 0);
    v.copyWithin(this.rowAt(buffer, to, 0), a, a + n);
  }

  zero(buffer: number): void {
    const es = this.es(buffer);
    const at = this.at(buffer) / es;
    this.view(buffer).fill(0, at, at + bufferBytes(this.program.buffers[buffer]!, this.steps, this.L) / es);
  }

  run(phase: ProgramPhase, steps: number): void {
    if (!Number.isInteger(steps) || steps < 1 || steps > this.steps) throw new ArgumentError('compileSequence', 'steps', `expected 1 to ${this.steps}, got ${formatValue(steps)}`);
    this.need();
    if (phase === 'fwd' || phase === 'bwd') this.sweep(phase, steps);
    else for (const ins of this.program.phases[phase]) this.wholeChunk(ins, steps);
  }

  /** A per-step phase: bands of rows through all the steps, on this thread and the helpers. */
  private sweep(phase: 'fwd' | 'bwd', steps: number): void {
    const instrs = this.program.phases[phase];
    if (instrs.length === 0) return;
    const { L, program } = this;
    const f64 = program.dtype === 'float64';
    const { kc, mc } = gemmRuntime.blocking[f64 ? 'f64' : 'f32'];
    const B = program.batch;
    const maxK = Math.max(1, ...instrs.map((i) => (i.kind === 'gemm' ? (i.k as number) : 1)));
    const pool = this.compiled.pooled === undefined ? registerSweeps(this.compiled) : this.compiled.pooled;
    const helperCount = pool && B >= 2 * L.mr ? gemmRuntime.readyHelpers(gemmRuntime.maxThreads()) : 0;
    const want = helperCount > 0 ? Math.min(L.bp / L.mr, 2 * (helperCount + 1)) : 1;
    const band = roundUp(Math.ceil(L.bp / want), L.mr);
    const count = Math.ceil(B / band);
    const packA = align(roundUp(Math.min(mc, band), L.mr) * Math.min(kc, maxK) * L.es);
    const argAt = align(gemmRuntime.scratchBase());
    const header = H_BASES + program.buffers.length;
    const packBase = align(argAt + header * 4);
    const K = gemmRuntime.reserveBytes(packBase + (1 + Math.max(helperCount, 0)) * packA + 64);
    const words = new Int32Array(K.memory.buffer, argAt, header);
    words[H_STEPS] = steps;
    words[H_BAND] = band;
    words[H_PACK_BASE] = packBase;
    words[H_PACK_STRIDE] = packA;
    words[H_PACK_A] = packA;
    program.buffers.forEach((_, i) => (words[H_BASES + i] = this.at(i)));
    const args = new Array<number>(SWEEP_PARAMS).fill(0);
    args[0] = argAt;
    const fn = this.compiled.exports[phase === 'fwd' ? 'sweep_fwd' : 'sweep_bwd']!;
    gemmRuntime.runChunks(pool ? pool[phase] : 0, args, count, pool ? helperCount : 0, fn);
  }

  /** One instruction of a whole-chunk phase (`once`, `pre`, `post`) on this thread. */
  private wholeChunk(ins: ProgramInstr, steps: number): void {
    const { program, L } = this;
    const f64 = program.dtype === 'float64';
    const rows = steps * L.bp;
    const K = gemmRuntime.kernel()!;
    const ptr = (ref: BufferRef): number => {
      const b = program.buffers[ref.buffer]!;
      const es = this.es(ref.buffer);
      const slot = b.kind === 'seq' || b.kind === 'state' ? ref.slot * slotBytes(b, L) : 0;
      return this.at(ref.buffer) + slot + ref.col * es;
    };
    switch (ins.kind) {
      case 'pack': {
        const { kc } = gemmRuntime.blocking[f64 ? 'f64' : 'f32'];
        // prepack_T(which 1: B, src, transposed, rows (n), k, kcMax, dst)
        (f64 ? K.prepack64 : K.prepack32)(1, this.at(ins.src), ins.transposed ? 1 : 0, ins.n, ins.k, kc, this.at(ins.dst));
        return;
      }
      case 'loop': {
        const fn = this.compiled.exports[`loop_${ins.kernel}`]!;
        fn(rows, ...ins.args.map(ptr));
        return;
      }
      case 'colsum': {
        const b = program.buffers[ins.src.buffer]!;
        this.compiled.exports['colsum']!(rows, ptr(ins.src), b.ld * this.es(ins.src.buffer), this.at(ins.dst), ins.width);
        return;
      }
      case 'gemm': {
        const m = ins.m === 'rows' ? rows : ins.m;
        const k = ins.k === 'rows' ? rows : ins.k;
        const cBuf = program.buffers[ins.c.buffer]!;
        const plan = gemmRuntime.planProduct(!f64, m, ins.n, k);
        const accumulate = ins.accumulate && !this.fresh.has(ins.c.buffer);
        const cBytes = roundUp(m, L.mr) * cBuf.ld * L.es;
        const tmpAt = align(gemmRuntime.scratchBase());
        const scratchAt = align((accumulate ? tmpAt + cBytes : tmpAt));
        const KK = gemmRuntime.reserveBytes(scratchAt + plan.scratchBytes + 64);
        const cAt = accumulate ? tmpAt : ptr(ins.c);
        gemmRuntime.runPlanned(plan, ptr(ins.a), ptr(ins.b), cAt, cBuf.ld, ins.transA, ins.transB, scratchAt);
        if (accumulate) {
          const v = f64 ? KK.view64 : KK.view32;
          const dst = ptr(ins.c) / L.es;
          const src = tmpAt / L.es;
          for (let i = 0; i < m * cBuf.ld; i++) v[dst + i]! += v[src + i]!;
        }
        this.fresh.delete(ins.c.buffer);
        return;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    gemmRuntime.releaseHandle(this.handle);
  }
}

/** Make the sweeps of a module kernels of the gemm's helper threads (null when there are none). */
function registerSweeps(c: Compiled): { fwd: number; bwd: number } | null {
  const pool = gemmRuntime.pool();
  if (!pool || pool.size === 0) return null;
  c.pooled = { fwd: pool.register(c.module, 'sweep_fwd'), bwd: pool.register(c.module, 'sweep_bwd') };
  return c.pooled;
}

/**
 * Compile and instantiate a module. A module the engine refuses (one past
 * its limits on a function's size or locals, say) is a typed error of `op`,
 * which the cell compiler takes as a reason to run the step on the tape.
 */
function instantiate(wasm: WasmApi, bytes: Uint8Array, memory: unknown, op: string, arg: string): { module: WasmModule; instance: { readonly exports: Record<string, unknown> } } {
  try {
    const module = new wasm.Module(bytes);
    return { module, instance: new wasm.Instance(module, { env: { memory }, math: mathImportObject() }) };
  } catch (e) {
    if (e instanceof Error && (e.name === 'CompileError' || e.name === 'LinkError')) throw new MnemoError(op, arg, `could not be compiled to WebAssembly: ${e.message}`);
    throw e;
  }
}

/**
 * Compile a sequence program for the cpu backend (WebAssembly SIMD on the
 * gemm's memory), or null where WebAssembly SIMD is unavailable.
 * @internal
 */
export function compileSequenceWasm(program: SequenceProgram, options: { readonly fma?: boolean } = {}): CompiledSequence | null {
  const K = gemmRuntime.kernel();
  const wasm = wasmApi();
  if (!K || !wasm) return null;
  const f64 = program.dtype === 'float64';
  const tile = gemmRuntime.tiles[f64 ? 'f64' : 'f32'];
  const es = f64 ? 8 : 4;
  const L: Layout = { es, mr: tile.mr, nr: (tile.nrv * 16) / es, bp: roundUp(program.batch, tile.mr) };
  const memory = { initial: 16, maximum: 16384, shared: K.shared };
  const built = buildModule(program, L, memory, options.fma ?? false);
  const { module, instance } = instantiate(wasm, built.bytes, K.memory, 'compileSequence', 'program');
  return new WasmSequence(program, { exports: instance.exports as Exports, module }, L);
}

/** The tile of the cpu backend's products per dtype: rows and columns of one register tile. @internal */
export function sequenceTiles(dtype: 'float32' | 'float64'): { mr: number; nr: number } {
  const f64 = dtype === 'float64';
  const tile = gemmRuntime.tiles[f64 ? 'f64' : 'f32'];
  return { mr: tile.mr, nr: (tile.nrv * 16) / (f64 ? 8 : 4) };
}

// ---------------------------------------------------------------------------
// Fused loops over flat arrays (elementwise functions: optimizer updates)
// ---------------------------------------------------------------------------

/**
 * Compile a {@link LoopKernel} to run over flat arrays of any length (its
 * `width` is ignored: the loop runs over `length` elements, arguments with
 * `perRow` false are read as one value), or null where WebAssembly SIMD is
 * unavailable. The arrays are copied into the gemm's memory and the stored
 * ones copied back.
 * @internal
 */
export function compileLoopWasm(kernel: LoopKernel, dtype: 'float32' | 'float64', options: { readonly fma?: boolean } = {}): CompiledLoop | null {
  const K = gemmRuntime.kernel();
  const wasm = wasmApi();
  if (!K || !wasm) return null;
  const f64 = dtype === 'float64';
  const es = f64 ? 8 : 4;
  const imports = mathImportSpecs();
  const calls: Record<string, number> = {};
  imports.forEach((m, i) => (calls[m.name] = i));
  const flat: LoopKernel = { ...kernel, width: 0 };
  const bytes = encodeModule({
    memory: { initial: 16, maximum: 16384, shared: K.shared },
    imports,
    functions: [{ fn: loopFunction(flat, f64, options.fma ?? false, calls), exportAs: 'flat' }],
  });
  const fn = (instantiate(wasm, bytes, K.memory, 'compileLoop', 'kernel').instance.exports as Exports)['flat']!;
  const stored = new Set(kernel.stores.map((s) => s.arg));
  return {
    kernel,
    run(length: number, arrays: readonly (Float32Array | Float64Array)[]): void {
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > 2 ** 31 - 1) {
        throw new ArgumentError('compileLoop', 'length', `expected a non-negative integer, got ${formatValue(length)}`);
      }
      if (!Array.isArray(arrays) || arrays.length !== kernel.args.length) throw new ArgumentError('compileLoop', 'arrays', `expected ${kernel.args.length} arrays, got ${formatValue(arrays)}`);
      arrays.forEach((a: unknown, i) => {
        const need = kernel.args[i]!.perRow ? length : 1;
        if (!(a instanceof Float64Array || a instanceof Float32Array) || a.length < need) {
          throw new ArgumentError('compileLoop', `arrays[${i}]`, `expected a Float64Array or Float32Array of at least ${need} elements, got ${formatValue(a)}`);
        }
      });
      const at: number[] = [];
      let end = align(gemmRuntime.scratchBase());
      for (const a of arrays) {
        at.push(end);
        end = align(end + a.length * es);
      }
      const KK = gemmRuntime.reserveBytes(end);
      const view = f64 ? KK.view64 : KK.view32;
      arrays.forEach((a, i) => {
        if (!stored.has(i)) view.set(a, at[i]! / es);
      });
      fn(1, ...at, length);
      for (const i of stored) arrays[i]!.set(view.subarray(at[i]! / es, at[i]! / es + length));
    },
  };
}
