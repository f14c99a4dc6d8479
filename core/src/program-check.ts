/**
 * Checks of the sequence programs and loop kernels that a backend is asked
 * to compile (internal): at the boundary of `compileSequence`,
 * `compileLoop` and `formatProgram`, a value that is not an object of the
 * documented shape ({@link SequenceProgram}, {@link LoopKernel}) is refused
 * with an {@link ArgumentError} naming the field, before the code generator
 * reads it. Every index is checked to point inside its table (a buffer, a
 * kernel, an argument, an earlier expression), and every size to be an
 * integer small enough for the generated code's 32-bit offsets. One pass
 * over the program, with no allocation beyond the path of the field at
 * fault: programs are compiled once.
 *
 * @module
 */
import { ArgumentError, formatValue } from './errors.js';
import { UNARY_OPS, type BinaryOp, type CompareOp } from './backend.js';
import type { LoopKernel, SequenceProgram } from './program.js';

/** The largest width, leading dimension, column or product size accepted (2^24): far above any layer's, and 8-byte offsets of it fit in 32 bits. */
const MAX_COLUMNS = 2 ** 24;
/** The most bytes one slot (or one flat buffer) may take: the compiled code's memory is at most 1 GiB. */
const MAX_BUFFER_BYTES = 2 ** 30;

const BUFFER_KINDS: readonly string[] = ['seq', 'state', 'temp', 'flat'];
const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const satisfies readonly (BinaryOp | CompareOp)[];
// Every binary and comparison op is listed: an op added to the types without being added here fails to compile.
const everyBinaryOp: [Exclude<BinaryOp | CompareOp, (typeof BINARY_OPS)[number]>] extends [never] ? true : never = true;
void everyBinaryOp;
const BINARY: readonly string[] = BINARY_OPS;
const UNARY: readonly string[] = UNARY_OPS;
const PHASES = ['once', 'pre', 'fwd', 'bwd', 'post'] as const;

const isRecord = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === 'object' && !Array.isArray(u);

/** A field checker that names `op` and the field's path in every error. */
class Fields {
  constructor(readonly op: string) {}

  fail(path: string, expected: string, got: unknown): never {
    throw new ArgumentError(this.op, path, `expected ${expected}, got ${formatValue(got)}`);
  }

  record(path: string, v: unknown, what: string): Record<string, unknown> {
    if (!isRecord(v)) this.fail(path, what, v);
    return v;
  }

  array(path: string, v: unknown, what: string): readonly unknown[] {
    if (!Array.isArray(v)) this.fail(path, what, v);
    return v;
  }

  int(path: string, v: unknown, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `an integer from ${min} to ${max}`, v);
    return v;
  }

  /** An index into a table of `n` entries. */
  index(path: string, v: unknown, n: number, table: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
      this.fail(path, n === 0 ? `an index into ${table}, which is empty` : `an index into ${table}, from 0 to ${n - 1}`, v);
    }
    return v;
  }

  flag(path: string, v: unknown, optional = false): void {
    if (typeof v !== 'boolean' && !(optional && v === undefined)) this.fail(path, optional ? 'true, false or undefined' : 'true or false', v);
  }

  dtype(path: string, v: unknown): 'float32' | 'float64' {
    if (v !== 'float32' && v !== 'float64') this.fail(path, "'float32' or 'float64'", v);
    return v;
  }
}

/** Check a loop kernel's fields (`path` names it in messages); `width` is ignored when `anyWidth` (flat loops). */
function checkKernel(c: Fields, path: string, kernel: unknown, anyWidth: boolean): LoopKernel {
  const k = c.record(path, kernel, 'a loop kernel { width, args, exprs, stores, sums }');
  if (!anyWidth) c.int(`${path}.width`, k['width'], 0, MAX_COLUMNS);
  const args = c.array(`${path}.args`, k['args'], 'an array of { ld, perRow }');
  if (args.length > 256) c.fail(`${path}.args`, 'at most 256 arguments', args);
  args.forEach((a, i) => {
    const r = c.record(`${path}.args[${i}]`, a, '{ ld, perRow }');
    c.int(`${path}.args[${i}].ld`, r['ld'], 0, MAX_COLUMNS);
    c.flag(`${path}.args[${i}].perRow`, r['perRow']);
  });
  const exprs = c.array(`${path}.exprs`, k['exprs'], 'an array of loop expressions');
  exprs.forEach((e, i) => {
    const p = `${path}.exprs[${i}]`;
    const r = c.record(p, e, "a loop expression { op, ... } ('load', 'splat', 'const', 'select', or an elementwise op)");
    const op = r['op'];
    const earlier = (field: string): void => void c.index(`${p}.${field}`, r[field], i, `the expressions before it (${p})`);
    if (op === 'load' || op === 'splat') c.index(`${p}.arg`, r['arg'], args.length, `${path}.args`);
    else if (op === 'const') {
      if (typeof r['value'] !== 'number') c.fail(`${p}.value`, 'a number', r['value']);
    } else if (op === 'select') {
      earlier('c');
      earlier('a');
      earlier('b');
    } else if (typeof op === 'string' && UNARY.includes(op)) earlier('x');
    else if (typeof op === 'string' && BINARY.includes(op)) {
      earlier('a');
      earlier('b');
    } else c.fail(`${p}.op`, `'load', 'splat', 'const', 'select', one of ${UNARY.join(', ')}, or one of ${BINARY.join(', ')}`, op);
  });
  c.array(`${path}.stores`, k['stores'], 'an array of { arg, expr }').forEach((s, i) => {
    const r = c.record(`${path}.stores[${i}]`, s, '{ arg, expr }');
    c.index(`${path}.stores[${i}].arg`, r['arg'], args.length, `${path}.args`);
    c.index(`${path}.stores[${i}].expr`, r['expr'], exprs.length, `${path}.exprs`);
  });
  c.array(`${path}.sums`, k['sums'], 'an array of { arg, expr, accumulate }').forEach((s, i) => {
    const r = c.record(`${path}.sums[${i}]`, s, '{ arg, expr, accumulate }');
    c.index(`${path}.sums[${i}].arg`, r['arg'], args.length, `${path}.args`);
    c.index(`${path}.sums[${i}].expr`, r['expr'], exprs.length, `${path}.exprs`);
    c.flag(`${path}.sums[${i}].accumulate`, r['accumulate']);
  });
  return kernel as LoopKernel;
}

/**
 * `kernel` when it is a {@link LoopKernel} that `compileLoop` can compile
 * (its `width` is not read: flat loops take their length at run time);
 * else an ArgumentError from `op` naming the field.
 * @internal
 */
export function checkLoopKernel(op: string, kernel: unknown): LoopKernel {
  return checkKernel(new Fields(op), 'kernel', kernel, true);
}

/**
 * `program` when it is a {@link SequenceProgram} of the documented shape,
 * every index inside its table and every size within what the compiled
 * code addresses; else an ArgumentError from `op` naming the field.
 * @internal
 */
export function checkSequenceProgram(op: string, program: unknown): SequenceProgram {
  const c = new Fields(op);
  const p = c.record('program', program, 'a sequence program { dtype, batch, buffers, kernels, phases }');
  const es = c.dtype('program.dtype', p['dtype']) === 'float64' ? 8 : 4;
  const batch = c.int('program.batch', p['batch'], 1, MAX_COLUMNS);
  const buffers = c.array('program.buffers', p['buffers'], 'an array of buffers { kind, width, ld, ... }');
  const lds: number[] = [];
  buffers.forEach((b, i) => {
    const path = `program.buffers[${i}]`;
    const r = c.record(path, b, 'a buffer { kind, width, ld, rows?, float64?, packed?, name? }');
    const kind = r['kind'];
    if (typeof kind !== 'string' || !BUFFER_KINDS.includes(kind)) c.fail(`${path}.kind`, "'seq', 'state', 'temp' or 'flat'", kind);
    const width = c.int(`${path}.width`, r['width'], 0, MAX_COLUMNS);
    const ld = c.int(`${path}.ld`, r['ld'], width, MAX_COLUMNS);
    const rows = r['rows'] === undefined ? 1 : c.int(`${path}.rows`, r['rows'], 0, MAX_COLUMNS);
    c.flag(`${path}.float64`, r['float64'], true);
    if (r['packed'] !== undefined) {
      const q = c.record(`${path}.packed`, r['packed'], '{ n, k }');
      c.int(`${path}.packed.n`, q['n'], 0, MAX_COLUMNS);
      c.int(`${path}.packed.k`, q['k'], 0, MAX_COLUMNS);
    }
    if (r['name'] !== undefined && typeof r['name'] !== 'string') c.fail(`${path}.name`, 'a string or undefined', r['name']);
    // One slot of every row of the batch (padded to a tile, at most 64 more rows), or a flat buffer's rows.
    const bytes = (kind === 'flat' ? rows + 64 : batch + 64) * ld * (r['float64'] === true ? 8 : es);
    if (bytes > MAX_BUFFER_BYTES) c.fail(path, `a buffer of at most ${MAX_BUFFER_BYTES} bytes (1 GiB) per slot`, `${bytes} bytes (ld ${ld}, ${kind === 'flat' ? `${rows} rows` : `batch ${batch}`})`);
    lds.push(ld);
  });
  const kernels = c.array('program.kernels', p['kernels'], 'an array of loop kernels');
  const kernelArgs = kernels.map((k, i) => checkKernel(c, `program.kernels[${i}]`, k, false).args.length);
  const ref = (path: string, v: unknown): void => {
    const r = c.record(path, v, 'a buffer reference { buffer, slot, col }');
    const b = c.index(`${path}.buffer`, r['buffer'], buffers.length, 'program.buffers');
    if (r['slot'] !== 0 && r['slot'] !== 1) c.fail(`${path}.slot`, '0 or 1', r['slot']);
    c.int(`${path}.col`, r['col'], 0, lds[b]!);
  };
  const phases = c.record('program.phases', p['phases'], '{ once, pre, fwd, bwd, post }: an array of instructions per phase');
  for (const phase of PHASES) {
    const perStep = phase === 'fwd' || phase === 'bwd';
    c.array(`program.phases.${phase}`, phases[phase], 'an array of instructions').forEach((ins, i) => {
      const path = `program.phases.${phase}[${i}]`;
      const r = c.record(path, ins, "an instruction { kind: 'gemm' | 'loop' | 'colsum' | 'pack', ... }");
      switch (r['kind']) {
        case 'gemm': {
          ref(`${path}.a`, r['a']);
          ref(`${path}.b`, r['b']);
          ref(`${path}.c`, r['c']);
          for (const dim of ['m', 'k']) {
            // A per-step product runs on the band's rows; its inner size is a number.
            if (r[dim] !== 'rows' || (perStep && dim === 'k')) c.int(`${path}.${dim}`, r[dim], 1, MAX_COLUMNS);
          }
          c.int(`${path}.n`, r['n'], 1, MAX_COLUMNS);
          for (const f of ['transA', 'transB', 'packed', 'accumulate']) c.flag(`${path}.${f}`, r[f]);
          break;
        }
        case 'loop': {
          const k = c.index(`${path}.kernel`, r['kernel'], kernels.length, 'program.kernels');
          const args = c.array(`${path}.args`, r['args'], 'an array of buffer references');
          if (args.length !== kernelArgs[k]) c.fail(`${path}.args`, `${kernelArgs[k]} buffer references (program.kernels[${k}] has ${kernelArgs[k]} arguments)`, args);
          args.forEach((a, j) => ref(`${path}.args[${j}]`, a));
          break;
        }
        case 'colsum':
          ref(`${path}.src`, r['src']);
          c.index(`${path}.dst`, r['dst'], buffers.length, 'program.buffers');
          c.int(`${path}.width`, r['width'], 0, MAX_COLUMNS);
          break;
        case 'pack':
          c.index(`${path}.src`, r['src'], buffers.length, 'program.buffers');
          c.index(`${path}.dst`, r['dst'], buffers.length, 'program.buffers');
          c.int(`${path}.n`, r['n'], 1, MAX_COLUMNS);
          c.int(`${path}.k`, r['k'], 1, MAX_COLUMNS);
          c.flag(`${path}.transposed`, r['transposed']);
          break;
        default:
          c.fail(`${path}.kind`, "'gemm', 'loop', 'colsum' or 'pack'", r['kind']);
      }
    });
  }
  return program as SequenceProgram;
}
