/**
 * Fused elementwise functions: {@link fuseElementwise}.
 *
 * @module
 */
import { ArgumentError, MnemoError, Tensor, currentBackend, formatValue, scalar, tensor, unsafeDataOf, unsafeFromData, type CompiledLoop, type DType, type LoopExpr, type LoopKernel } from '@mnemo/core';
import { isolated, recording } from '../tape.js';
import { isElementwise } from './analyze.js';
import type { Graph, OpNode } from './graph.js';
import { CompileDeclined, traceGraph } from './trace.js';
import { debugNansOn } from '../debug-nans.js';

const TRACE_LENGTH = 4;

/** Lower the traced graph of an elementwise function to one loop over flat arrays. */
function kernelOf(g: Graph, scalars: readonly boolean[], outputs: number): LoopKernel {
  const n = g.inputs.length;
  const args: { ld: number; perRow: boolean }[] = [];
  for (let i = 0; i < n; i++) args.push({ ld: 0, perRow: !scalars[i] });
  for (let i = 0; i < outputs; i++) args.push({ ld: 0, perRow: true });
  const exprs: LoopExpr[] = [];
  const index = new Map<number, number>();
  const emit = (e: LoopExpr): number => {
    exprs.push(e);
    return exprs.length - 1;
  };
  for (const node of g.nodes) {
    if (node.kind === 'input') {
      index.set(node.id, emit(scalars[node.index] ? { op: 'splat', arg: node.index } : { op: 'load', arg: node.index }));
      continue;
    }
    if (node.kind === 'const') {
      if (node.value.size !== 1) throw new CompileDeclined('a constant tensor that is not a scalar');
      index.set(node.id, emit({ op: 'const', value: node.value.toArray()[0]! }));
      continue;
    }
    const op = node as OpNode;
    const ok = node.shape.length === 0 || (node.shape.length === 1 && node.shape[0] === TRACE_LENGTH);
    if (!ok) throw new CompileDeclined(`${op.prim} gives a value of shape [${node.shape.join(', ')}], not elementwise`, op.prim);
    const xs = op.inputs.map((i) => index.get(i)!);
    if (op.prim === 'identity' || op.prim === 'reshape' || op.prim === 'broadcastTo') {
      index.set(node.id, xs[0]!);
      continue;
    }
    if (!isElementwise(op.prim)) throw new CompileDeclined(`${op.prim} is not elementwise`, op.prim);
    if (op.prim === 'where') index.set(node.id, emit({ op: 'select', c: xs[0]!, a: xs[1]!, b: xs[2]! }));
    else if (xs.length === 1) index.set(node.id, emit({ op: op.prim, x: xs[0]! } as LoopExpr));
    else index.set(node.id, emit({ op: op.prim, a: xs[0]!, b: xs[1]! } as LoopExpr));
  }
  const stores = g.outputs.map((o, i) => {
    const node = g.nodes[o]!;
    if (node.shape.length !== 1) throw new CompileDeclined('an output that is not elementwise (a scalar)');
    return { arg: n + i, expr: index.get(o)! };
  });
  return { width: 0, args, exprs, stores, sums: [] };
}

/**
 * Fuse an elementwise function into one loop: `f` takes tensors and
 * returns tensors, all of one shape, built from elementwise ops (unary,
 * binary, comparisons, `where`) and scalars. The first call with a dtype
 * and a pattern of scalar arguments traces `f` once; later calls run one
 * compiled loop over the arguments' elements (on the cpu backend: one
 * WebAssembly SIMD pass, no tensor per op), with the values `f` computes op
 * by op (each op rounded to the dtype). Arguments may be tensors of the
 * common shape, or numbers and one-element tensors (scalars, which may
 * change from call to call without recompiling).
 *
 * Where `f` is not elementwise, the backend cannot compile loops, or a tape
 * is recording (the result is being differentiated), `f` simply runs op by
 * op. Optimizers use this for their updates.
 *
 * @param f - an elementwise function of tensors, returning an array of tensors
 * @returns `f` fused: called with tensors of one shape and scalars, it returns `f`'s outputs
 * @throws ArgumentError - (from `f`'s ops, when called) when an argument is
 *   neither a tensor nor a number.
 * @throws ShapeError - when called with tensors whose shapes differ and do not
 *   broadcast.
 * @throws MnemoError - when the same tensor object is passed as two arguments
 *   while tracing.
 * @throws CompileDeclined - never escapes: a function the compiler declines runs
 *   op by op.
 *
 * @example
 * ```ts
 * import { fuseElementwise, add, mul, sqrt } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const axpy = fuseElementwise((a: Tensor, x: Tensor, y: Tensor) => [add(mul(a, x), sqrt(y))]);
 * const [z] = axpy(2, tensor([1, 2], 'float64'), tensor([9, 16], 'float64'));
 * console.assert(z!.toArray().join() === '5,8');
 * ```
 * @category Compiler
 */
export function fuseElementwise(f: (...args: Tensor[]) => readonly Tensor[]): (...args: readonly (Tensor | number)[]) => Tensor[] {
  const op = 'fuseElementwise';
  if (typeof f !== 'function') throw new ArgumentError(op, 'f', `expected an elementwise function of tensors returning an array of tensors, got ${formatValue(f)}`);
  const results = (out: unknown): Tensor[] => {
    if (!Array.isArray(out) || !out.every((t) => t instanceof Tensor)) throw new ArgumentError(op, 'f', `must return an array of tensors, returned ${formatValue(out)}`);
    return out as Tensor[];
  };
  const compiled = new Map<string, CompiledLoop | null>();
  return (...args: readonly (Tensor | number)[]): Tensor[] => {
    args.forEach((a: unknown, i) => {
      if (!(a instanceof Tensor) && typeof a !== 'number') throw new ArgumentError(op, `args[${i}]`, `expected a Tensor or a number, got ${formatValue(a)}`);
    });
    const full = args.find((a): a is Tensor => a instanceof Tensor && a.size !== 1) ?? args.find((a): a is Tensor => a instanceof Tensor);
    const dtype: DType = full?.dtype ?? 'float32';
    const asTensor = (a: Tensor | number): Tensor => (a instanceof Tensor ? a : scalar(a, dtype));
    const direct = (): Tensor[] => [...results(f(...args.map(asTensor)))];
    if (full === undefined || recording() || debugNansOn) return direct();
    const shape = full.shape;
    const scalars = args.map((a) => !(a instanceof Tensor) || (a.size === 1 && full.size !== 1));
    if (args.some((a, i) => !scalars[i] && (!(a instanceof Tensor) || a.dtype !== dtype || a.shape.length !== shape.length || a.shape.some((d, j) => d !== shape[j])))) return direct();
    const key = `${dtype}|${scalars.map(Number).join('')}`;
    let loop = compiled.get(key);
    if (loop === undefined) {
      loop = null;
      const backend = currentBackend();
      if (backend.compileLoop) {
        try {
          const inputs = scalars.map((s) => (s ? scalar(0, dtype) : tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(TRACE_LENGTH), dtype, [TRACE_LENGTH])));
          let outputs = 0;
          const g = isolated(() =>
            traceGraph((xs) => {
              const out = results(f(...xs));
              outputs = out.length;
              return out;
            }, inputs),
          );
          loop = backend.compileLoop(kernelOf(g, scalars, outputs), dtype === 'float64' ? 'float64' : 'float32');
        } catch (e) {
          // not elementwise, or an op the backend's loops cannot emit: run op by op
          if (!(e instanceof CompileDeclined) && !(e instanceof MnemoError && e.op === 'compileSequence')) throw e;
        }
      }
      compiled.set(key, loop);
    }
    if (loop === null) return direct();
    const n = full.size;
    const arrays = args.map((a) => (a instanceof Tensor ? (unsafeDataOf(a) as Float32Array | Float64Array) : dtype === 'float64' ? Float64Array.of(a) : Float32Array.of(a)));
    const outs = loop.kernel.stores.map(() => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)));
    loop.run(n, [...arrays, ...outs]);
    return outs.map((o) => unsafeFromData(o, shape));
  };
}
