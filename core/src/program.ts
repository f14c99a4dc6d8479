/**
 * Sequence programs: what the cell compiler asks a backend to run. A
 * program describes, independently of any instruction set, how one
 * recurrent layer runs over a chunk of time steps: its buffers, and four
 * phases made of matrix products and fused elementwise loops.
 *
 * - `pre` runs once per chunk over the rows of every step at once
 *   (`[steps · batch, width]`): the work that depends on the inputs alone,
 *   such as the input projection `x W_x`.
 * - `fwd` runs once per step, in order, on a band of the batch's rows: the
 *   recurrent part of the forward pass.
 * - `bwd` runs once per step, from the last to the first, on a band of rows:
 *   backpropagation through time of the recurrent part.
 * - `post` runs once per chunk over the rows of every step: the products
 *   deferred out of the backward loop (weight gradients, input gradients).
 *
 * Rows of a batch never interact inside `fwd` and `bwd`, so a backend may
 * cut the batch into bands and run each band through all steps on its own
 * thread. The cpu backend turns a program into WebAssembly
 * (see {@link Backend.compileSequence}); a GPU backend could lower the same
 * description.
 *
 * @module
 */
import type { BinaryOp, CompareOp, UnaryOp } from './backend.js';
import { checkSequenceProgram } from './program-check.js';

/**
 * A buffer of a sequence program. Row buffers hold `batch` rows (padded to
 * the backend's tile) of `ld` elements per slot: `seq` buffers one slot per
 * step of a chunk, `state` buffers one more (slot `s + 1` is the state after
 * step `s`), `temp` buffers a single slot reused by every step. `flat`
 * buffers are `[rows, ld]` matrices that do not depend on the step
 * (parameters, packed weights, gradient accumulators).
 *
 * @example
 * ```ts
 * import type { ProgramBuffer } from '@mnemo/core';
 * const h: ProgramBuffer = { kind: 'state', width: 4, ld: 4 };
 * console.assert(h.ld >= h.width);
 * ```
 * @category Internals
 */
export interface ProgramBuffer {
  readonly kind: 'seq' | 'state' | 'temp' | 'flat';
  /** Columns in use. */
  readonly width: number;
  /** Elements from one row to the next (at least `width`). */
  readonly ld: number;
  /** Rows of a `flat` buffer. */
  readonly rows?: number;
  /** A `flat` buffer of float64 accumulators whatever the program's dtype (column sums). */
  readonly float64?: boolean;
  /** A `flat` buffer holding a matrix packed as a product's right operand (see {@link ProgramInstr}). */
  readonly packed?: { readonly n: number; readonly k: number };
  /** A name for reports. */
  readonly name?: string;
}

/**
 * Rows of a buffer as an instruction sees them: in the per-step phases the
 * current step's slot (`slot` 0) or the next one (`slot` 1, for state
 * buffers); in the whole-chunk phases, every step's rows from that slot on.
 * `col` skips columns. `flat` buffers ignore `slot`.
 *
 * @example
 * ```ts
 * import type { BufferRef } from '@mnemo/core';
 * const next: BufferRef = { buffer: 0, slot: 1, col: 0 };
 * console.assert(next.slot === 1);
 * ```
 * @category Internals
 */
export interface BufferRef {
  readonly buffer: number;
  readonly slot: 0 | 1;
  readonly col: number;
}

/**
 * One value of a fused loop: a load of the current elements of an argument
 * (`load`), the first element of the argument's row in every lane
 * (`splat`, for `[batch, 1]` columns and scalars), a constant, or an
 * elementwise operation on earlier values (by index). `select` is
 * `c != 0 ? a : b`.
 *
 * @example
 * ```ts
 * import type { LoopExpr } from '@mnemo/core';
 * const e: LoopExpr[] = [{ op: 'load', arg: 0 }, { op: 'tanh', x: 0 }];
 * console.assert(e.length === 2);
 * ```
 * @category Internals
 */
export type LoopExpr =
  | { readonly op: 'load'; readonly arg: number }
  | { readonly op: 'splat'; readonly arg: number }
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: UnaryOp; readonly x: number }
  | { readonly op: BinaryOp | CompareOp; readonly a: number; readonly b: number }
  | { readonly op: 'select'; readonly c: number; readonly a: number; readonly b: number };

/**
 * A fused elementwise loop over `rows` rows (given at run time) and
 * `width` columns: every argument is a pointer that moves by `ld`
 * elements per row (`perRow`), or stays on one row (a broadcast vector).
 * `stores` write expression values to arguments; `sums` write (or, with
 * `accumulate`, add) the sum over the row's `width` columns of an
 * expression to the first element of an argument's row (layer
 * normalization's statistics).
 *
 * @example
 * ```ts
 * import type { LoopKernel } from '@mnemo/core';
 * const sigmoidInPlace: LoopKernel = {
 *   width: 8,
 *   args: [{ ld: 8, perRow: true }],
 *   exprs: [{ op: 'load', arg: 0 }, { op: 'sigmoid', x: 0 }],
 *   stores: [{ arg: 0, expr: 1 }],
 *   sums: [],
 * };
 * console.assert(sigmoidInPlace.stores.length === 1);
 * ```
 * @category Internals
 */
export interface LoopKernel {
  readonly width: number;
  readonly args: readonly { readonly ld: number; readonly perRow: boolean }[];
  readonly exprs: readonly LoopExpr[];
  readonly stores: readonly { readonly arg: number; readonly expr: number }[];
  readonly sums: readonly { readonly arg: number; readonly expr: number; readonly accumulate: boolean }[];
}

/**
 * One instruction of a phase of a compiled sequence: a product, a fused
 * elementwise loop, a pack or a column sum.
 *
 * - `gemm`: `c = op(a) · op(b)` with `m` rows (`'rows'`: the phase's rows,
 *   a band or the whole chunk), `n` columns and inner size `k` (`'rows'`
 *   likewise, for sums over rows such as `hᵀ dG`). `b` is a flat buffer
 *   packed by a `pack` instruction when `packed`; `c` is written whole
 *   (zero in its padding), `accumulate` adds to it instead.
 * - `loop`: run a {@link LoopKernel} of the program on the phase's rows with
 *   these arguments.
 * - `colsum`: add the column sums of `width` columns of `src` over the
 *   phase's rows to a float64 flat buffer.
 * - `pack`: pack flat buffer `src` (`[k, n]`, or `[n, k]` when
 *   `transposed`) as the right operand of products.
 *
 * @example
 * ```ts
 * import type { ProgramInstr } from '@mnemo/core';
 * const i: ProgramInstr = { kind: 'loop', kernel: 0, args: [{ buffer: 1, slot: 0, col: 0 }] };
 * console.assert(i.kind === 'loop');
 * ```
 * @category Internals
 */
export type ProgramInstr =
  | {
      readonly kind: 'gemm';
      readonly a: BufferRef;
      readonly b: BufferRef;
      readonly c: BufferRef;
      readonly m: number | 'rows';
      readonly n: number;
      readonly k: number | 'rows';
      readonly transA: boolean;
      readonly transB: boolean;
      readonly packed: boolean;
      readonly accumulate: boolean;
    }
  | { readonly kind: 'loop'; readonly kernel: number; readonly args: readonly BufferRef[] }
  | { readonly kind: 'colsum'; readonly src: BufferRef; readonly dst: number; readonly width: number }
  | { readonly kind: 'pack'; readonly src: number; readonly dst: number; readonly n: number; readonly k: number; readonly transposed: boolean };

/**
 * The phases of a {@link SequenceProgram}; see the module's description.
 *
 * @example
 * ```ts
 * import type { ProgramPhase } from '@mnemo/core';
 * const p: ProgramPhase = 'fwd';
 * console.assert(p === 'fwd');
 * ```
 * @category Internals
 */
export type ProgramPhase = 'once' | 'pre' | 'fwd' | 'bwd' | 'post';

/**
 * A sequence program: the dtype, the batch (rows per step), buffers, loop
 * kernels and the instructions of each phase (`once` runs at the start of
 * a call, before any chunk: packing weights).
 *
 * @example
 * ```ts
 * import type { SequenceProgram } from '@mnemo/core';
 * const empty: SequenceProgram = { dtype: 'float32', batch: 4, buffers: [], kernels: [], phases: { once: [], pre: [], fwd: [], bwd: [], post: [] } };
 * console.assert(empty.batch === 4);
 * ```
 * @category Internals
 */
export interface SequenceProgram {
  readonly dtype: 'float32' | 'float64';
  readonly batch: number;
  readonly buffers: readonly ProgramBuffer[];
  readonly kernels: readonly LoopKernel[];
  readonly phases: { readonly [P in ProgramPhase]: readonly ProgramInstr[] };
}

/**
 * A {@link LoopKernel} compiled to run over flat arrays of any length
 * (see {@link Backend.compileLoop}): elementwise functions such as an
 * optimizer's update, fused into one loop.
 *
 * @example
 * ```ts
 * import { cpu, type LoopKernel } from '@mnemo/core';
 * const k: LoopKernel = { width: 0, args: [{ ld: 0, perRow: true }, { ld: 0, perRow: true }], exprs: [{ op: 'load', arg: 0 }, { op: 'square', x: 0 }], stores: [{ arg: 1, expr: 1 }], sums: [] };
 * const loop = cpu.compileLoop?.(k, 'float64');
 * if (loop) {
 *   const out = new Float64Array(3);
 *   loop.run(3, [new Float64Array([1, 2, 3]), out]);
 *   console.assert(out.join() === '1,4,9');
 * }
 * ```
 * @category Internals
 */
export interface CompiledLoop {
  readonly kernel: LoopKernel;
  /**
   * Run over `length` elements: `arrays[i]` is the kernel's argument `i`,
   * `length` elements long (or one value, for arguments with `perRow`
   * false); stores write into their arrays, the others are not modified.
   */
  run(length: number, arrays: readonly (Float32Array | Float64Array)[]): void;
}

/**
 * A {@link SequenceProgram} compiled for a backend. `open` allocates the
 * memory of one call (`chunk` steps per chunk) and returns a
 * {@link SequenceRun}.
 *
 * @example
 * ```ts
 * import type { CompiledSequence } from '@mnemo/core';
 * const steps = (c: CompiledSequence): number => c.program.batch;
 * console.assert(typeof steps === 'function');
 * ```
 * @category Internals
 */
export interface CompiledSequence {
  readonly program: SequenceProgram;
  /** The rows of a step as the backend stores them (the batch padded to its tile). */
  readonly paddedBatch: number;
  /** Bytes of memory a call with chunks of `chunk` steps takes (for choosing the chunk). */
  bytes(chunk: number): number;
  /** The most bytes one call may take. */
  readonly maxBytes: number;
  /** Allocate the memory of one call for chunks of `chunk` steps (`keep`: the memory may outlive the call, for a backward pass). */
  open(chunk: number, options?: { readonly keep?: boolean }): SequenceRun;
}

/**
 * The memory of one call of a compiled sequence program. Data moves in and
 * out by slot; `run` executes a phase for `steps` steps of the current
 * chunk. A run that keeps its memory between calls (`keep`, for the
 * residuals a backward pass reads) can be evicted by the backend when
 * memory runs short: `alive` turns false and the caller recomputes.
 *
 * @example
 * ```ts
 * import type { SequenceRun } from '@mnemo/core';
 * const done = (r: SequenceRun): void => r.close();
 * console.assert(typeof done === 'function');
 * ```
 * @category Internals
 */
export interface SequenceRun {
  readonly alive: boolean;
  /** Write `[batch, width]` rows (row-major, `data[row * width + col]`) into slot `slot` of a row buffer, or a whole flat buffer. */
  writeRows(buffer: number, slot: number, data: Float32Array | Float64Array): void;
  /**
   * Write steps of a batch-first sequence `data` (`[batch, T, width]`): slot
   * `s` of the buffer gets time step `times[s]` of every row.
   */
  writeSteps(buffer: number, data: Float32Array | Float64Array, T: number, times: readonly number[]): void;
  /** Read `[batch, width]` rows of a slot (or a whole flat buffer, `[rows, width]`). */
  readRows(buffer: number, slot: number): Float64Array | Float32Array;
  /** Copy slots `fromSlot ..` of a row buffer into a batch-first sequence `out` (`[batch, T, width]`): slot `fromSlot + s` goes to time step `times[s]`. */
  readSteps(buffer: number, out: Float64Array | Float32Array, T: number, times: readonly number[], fromSlot?: number): void;
  /** Copy one slot of a row buffer to another slot. */
  copySlot(buffer: number, from: number, to: number): void;
  /** Set a buffer to zeros. */
  zero(buffer: number): void;
  /** Run a phase over `steps` steps of the chunk (the per-step phases on bands of rows, possibly on several threads). */
  run(phase: ProgramPhase, steps: number): void;
  /** Release the memory. */
  close(): void;
}

/**
 * A readable listing of a {@link SequenceProgram}: its buffers, then each
 * phase's instructions, with every fused loop's expressions written out.
 *
 * @param p - The program, as the cell compiler made it.
 * @returns Text, one line per buffer and instruction.
 * @throws ArgumentError when `p` is not a well-formed program (a buffer,
 * kernel or instruction out of range), naming what is wrong.
 *
 * @example
 * ```ts
 * import { formatProgram } from '@mnemo/core';
 * const text = formatProgram({ dtype: 'float32', batch: 2, buffers: [{ kind: 'seq', width: 3, ld: 3, name: 'x' }], kernels: [], phases: { once: [], pre: [], fwd: [], bwd: [], post: [] } });
 * console.assert(text.includes('x'));
 * ```
 * @category Internals
 */
export function formatProgram(p: SequenceProgram): string {
  checkSequenceProgram('formatProgram', p);
  const lines: string[] = [`${p.dtype}, batch ${p.batch}`];
  const bufName = (i: number): string => `b${i}`;
  p.buffers.forEach((b, i) => {
    lines.push(`  ${bufName(i)}: ${b.kind} [${b.kind === 'flat' ? (b.rows ?? 1) : 'batch'}, ${b.width}]${b.ld !== b.width ? ` ld ${b.ld}` : ''}${b.float64 ? ' float64' : ''}${b.packed ? ' packed' : ''}${b.name ? `  (${b.name})` : ''}`);
  });
  const ref = (r: BufferRef): string => `${bufName(r.buffer)}${r.slot === 1 ? '[+1]' : ''}${r.col ? `+${r.col}` : ''}`;
  const expr = (k: LoopKernel, args: readonly BufferRef[], i: number): string => {
    const e = k.exprs[i]!;
    if (e.op === 'load') return ref(args[e.arg]!);
    if (e.op === 'splat') return `${ref(args[e.arg]!)}[:1]`;
    if (e.op === 'const') return String(e.value);
    if (e.op === 'select') return `select(${expr(k, args, e.c)}, ${expr(k, args, e.a)}, ${expr(k, args, e.b)})`;
    if ('x' in e) return `${e.op}(${expr(k, args, e.x)})`;
    return `${e.op}(${expr(k, args, e.a)}, ${expr(k, args, e.b)})`;
  };
  for (const phase of ['once', 'pre', 'fwd', 'bwd', 'post'] as const) {
    const instrs = p.phases[phase];
    if (instrs.length === 0) continue;
    lines.push(`${phase}:`);
    for (const ins of instrs) {
      if (ins.kind === 'gemm') {
        lines.push(`  ${ref(ins.c)} ${ins.accumulate ? '+=' : '='} ${ref(ins.a)}${ins.transA ? 'ᵀ' : ''} · ${ref(ins.b)}${ins.transB ? 'ᵀ' : ''}  [${ins.m} x ${ins.k}] x [${ins.k} x ${ins.n}]`);
      } else if (ins.kind === 'pack') lines.push(`  ${bufName(ins.dst)} = pack(${bufName(ins.src)}${ins.transposed ? 'ᵀ' : ''})`);
      else if (ins.kind === 'colsum') lines.push(`  ${bufName(ins.dst)} += column sums of ${ref(ins.src)} (${ins.width} columns)`);
      else {
        const k = p.kernels[ins.kernel]!;
        lines.push(`  loop ${ins.kernel}, width ${k.width}:`);
        for (const s of k.stores) lines.push(`    ${ref(ins.args[s.arg]!)} = ${expr(k, ins.args, s.expr)}`);
        for (const s of k.sums) lines.push(`    ${ref(ins.args[s.arg]!)} ${s.accumulate ? '+=' : '='} row sum of ${expr(k, ins.args, s.expr)}`);
      }
    }
  }
  return lines.join('\n');
}
