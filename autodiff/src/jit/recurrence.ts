/**
 * Compiled recurrences: run a step function over a whole sequence, and its
 * backpropagation through time, as one program of the current backend.
 *
 * The step is traced once per (step, shapes, dtype, mask) with its
 * backward pass (the tape's own pullback, so the same rule table), the
 * graph is analysed ({@link analyzeStep}) and lowered
 * ({@link lowerStep}) into a {@link SequenceProgram}, which the backend
 * compiles (the cpu backend into WebAssembly). On the tape the whole
 * sequence is one entry whose backward pass runs the compiled backward
 * program; when that backward pass is itself being differentiated (a tape
 * records it, as in a Hessian-vector product or `jvp`), it runs the
 * reference path on the tape instead, so nested derivatives are exact.
 *
 * @module
 */
import { ArgumentError, MnemoError, Tensor, checkCount, checkFlag, checkOptions, currentBackend, formatProgram, formatValue, tensor, unsafeDataOf, unsafeFromData, type CompiledSequence, type DType, type SequenceRun } from '@mnemo/core';
import { where } from '../ops.js';
import { bind, isolated, nestedRecording, recording, tracedAnywhere, untraced } from '../tape.js';
import { recordComposite, vjp } from '../api.js';
import { flatten, map as treeMap, unflatten, type Tree, type TreeDef } from '../tree.js';
import type { Prim, PrimParams } from '../prims.js';
import { analyzeStep, type InputRole, type StepAnalysis, type StepOutputs } from './analyze.js';
import { pruneGraph, simplifyGraph, type ConstNode, type Graph, type OpNode } from './graph.js';
import { reassociateSums } from './rewrite.js';
import { lowerStep, type LoweredStep } from './lower.js';
import { CompileDeclined, traceGraph } from './trace.js';
import { DEBUG_NANS_DECLINE, debugNansOn } from '../debug-nans.js';

/**
 * A recurrent step: parameters, state and one step's input
 * `[batch, features]` to the next state and the step's output
 * `[batch, width]`, written in mnemo's ops (a cell's `step`).
 *
 * @example
 * ```ts
 * import { add, matmul, tanh, type StepFunction } from '@mnemo/autodiff';
 * import type { Tensor } from '@mnemo/core';
 * const step: StepFunction<{ w: Tensor; u: Tensor }, Tensor> = (p, h, x) => {
 *   const h2 = tanh(add(matmul(x, p.w), matmul(h, p.u)));
 *   return [h2, h2];
 * };
 * console.assert(typeof step === 'function');
 * ```
 * @category Internals
 */
export type StepFunction<P extends Tree, S extends Tree> = (params: P, state: S, x: Tensor) => readonly [S, Tensor];

/**
 * What {@link compiledRecurrence} returns: every step's output
 * `[batch, steps, width]` and the state after the last step.
 *
 * @example
 * ```ts
 * import type { RecurrenceResult } from '@mnemo/autodiff';
 * import { zeros, type Tensor } from '@mnemo/core';
 * const r: RecurrenceResult<Tensor> = { outputs: zeros([1, 2, 3]), finalState: zeros([1, 3]) };
 * console.assert(r.outputs.shape[1] === 2);
 * ```
 * @category Internals
 */
export interface RecurrenceResult<S> {
  readonly outputs: Tensor;
  readonly finalState: S;
}

/**
 * Options of {@link compiledRecurrence}: the cache key, the reference on the
 * tape, and the mask, direction and checkpointing of the scan.
 *
 * @example
 * ```ts
 * import type { RecurrenceOptions } from '@mnemo/autodiff';
 * import type { Tensor } from '@mnemo/core';
 * const key = {};
 * const o: RecurrenceOptions<Tensor, Tensor> = { key, reverse: true, reference: () => { throw new Error('unused'); } };
 * console.assert(o.reverse === true);
 * ```
 * @category Internals
 */
export interface RecurrenceOptions<P extends Tree, S extends Tree> {
  /** The identity the compiled program is cached under (a cell); the step must be a pure function of its arguments. */
  readonly key: object;
  /** `[batch, steps]` of 0 and 1: padded steps keep the state and output zeros. */
  readonly mask?: Tensor;
  readonly reverse?: boolean;
  /** Steps per chunk of the backward pass's memory (0 or absent: the whole sequence at once). */
  readonly checkpointEvery?: number;
  /** The same computation on the tape, for a backward pass that is itself being differentiated. */
  readonly reference: (params: P, state: S, xs: Tensor) => RecurrenceResult<S>;
}

interface Traced {
  /** The step's forward and backward graph, outputs: new state, y, then cotangents of the parameters, the state and x. */
  readonly graph: Graph;
  readonly roles: readonly InputRole[];
  readonly nP: number;
  readonly nS: number;
  readonly batch: number;
  readonly dtype: DType;
  readonly paramDef: TreeDef;
  readonly stateDef: TreeDef;
  readonly programs: Map<string, Program>;
}

/** A traced step made into a program for one mode and one set of needed cotangents. */
interface Program {
  readonly analysis: StepAnalysis;
  readonly lowered: LoweredStep;
  readonly compiled: CompiledSequence;
}

const cache = new WeakMap<object, Map<string, Traced | CompileDeclined>>();

const fresh = (t: Tensor): Tensor => unsafeFromData(unsafeDataOf(t), t.shape);

function signature(leaves: readonly Tensor[]): string {
  return leaves.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(';');
}

/** Trace and analyse a step for these shapes (cached). */
function traceStep<P extends Tree, S extends Tree>(
  step: StepFunction<P, S>,
  key: object,
  params: P,
  state: S,
  B: number,
  D: number,
  dtype: DType,
  masked: boolean,
): Traced {
  const [pl, pdef] = flatten(params, 'scan', 'params');
  const [sl, sdef] = flatten(state, 'scan', 'state');
  const id = `${B}|${D}|${dtype}|${masked}|${signature(pl)}|${signature(sl)}|${JSON.stringify(pdef)}|${JSON.stringify(sdef)}`;
  let perKey = cache.get(key);
  if (!perKey) cache.set(key, (perKey = new Map()));
  const have = perKey.get(id);
  if (have instanceof CompileDeclined) throw have;
  if (have) return have;
  try {
    const traced = isolated(() => traceFresh(step, pl, pdef, sl, sdef, B, D, dtype, masked));
    perKey.set(id, traced);
    return traced;
  } catch (e) {
    if (e instanceof CompileDeclined) {
      perKey.set(id, e);
      throw e;
    }
    // Anything else the step throws on these shapes is the step's own error (a shape mismatch, say):
    // the tape path reports it the same way.
    throw e instanceof MnemoError ? new CompileDeclined(`tracing the step failed: ${e.message}`) : e;
  }
}

function traceFresh<P extends Tree, S extends Tree>(
  step: StepFunction<P, S>,
  pl: readonly Tensor[],
  pdef: TreeDef,
  sl: readonly Tensor[],
  sdef: TreeDef,
  B: number,
  D: number,
  dtype: DType,
  masked: boolean,
): Traced {
  const roles: InputRole[] = [];
  const inputs: Tensor[] = [];
  pl.forEach((t, index) => {
    roles.push({ kind: 'param', index });
    inputs.push(fresh(t));
  });
  sl.forEach((t, index) => {
    roles.push({ kind: 'state', index });
    inputs.push(fresh(t));
  });
  roles.push({ kind: 'x' });
  inputs.push(tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(B * D), dtype, [B, D]));
  if (masked) {
    roles.push({ kind: 'mask' });
    inputs.push(tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(B).fill(1), dtype, [B, 1]));
  }
  sl.forEach((t, index) => {
    roles.push({ kind: 'ctState', index });
    inputs.push(tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(t.size), t.dtype, t.shape));
  });
  roles.push({ kind: 'ctY' });
  // The output's width is known after the forward pass: the cotangent input is made lazily.
  let yWidth = -1;
  const nP = pl.length;
  const nS = sl.length;
  // Trace twice is not needed: the output width comes from a forward run first.
  const probe: unknown = step(unflatten(pdef, pl) as P, unflatten(sdef, sl) as S, inputs[nP + nS]!);
  if (!Array.isArray(probe) || probe.length !== 2) throw new CompileDeclined(`the step must return [state, output], got ${formatValue(probe)}`);
  const y0: unknown = probe[1];
  if (!(y0 instanceof Tensor) || y0.rank !== 2 || y0.shape[0] !== B) {
    throw new CompileDeclined(`the step's output must be a tensor [batch ${B}, width], got ${y0 instanceof Tensor ? `[${y0.shape.join(', ')}]` : formatValue(y0)}`);
  }
  yWidth = y0.shape[1]!;
  inputs.push(tensor(new (dtype === 'float64' ? Float64Array : Float32Array)(B * yWidth), y0.dtype, [B, yWidth]));
  const xAt = nP + nS;
  const mAt = xAt + 1;
  const ctAt = xAt + (masked ? 2 : 1);
  const maskedStep = (p: P, s: S, x: Tensor, m: Tensor | undefined): readonly [S, Tensor] => {
    const [s1, y] = step(p, s, x);
    if (m === undefined) return [s1, y];
    return [treeMap(s1 as Tree, (n, old) => where(m, n, old!), s as Tree) as S, where(m, y, 0)];
  };
  const traced: Graph = traceGraph((xs) => {
    const P = unflatten(pdef, xs.slice(0, nP)) as P;
    const S = unflatten(sdef, xs.slice(nP, nP + nS)) as S;
    const X = xs[xAt]!;
    const M = masked ? xs[mAt]! : undefined;
    const [out, pullback] = vjp((p: P, s: S, x: Tensor) => maskedStep(p, s, x, M) as unknown as Tree, P, S, X);
    const [s1, y] = out as unknown as [S, Tensor];
    const [s1l, s1def] = flatten(s1, 'scan', 'the step\'s new state');
    if (JSON.stringify(s1def) !== JSON.stringify(sdef)) throw new CompileDeclined('the step returns a state of another structure than it takes');
    const cts = xs.slice(ctAt, ctAt + nS);
    const ctY = xs[ctAt + nS]!;
    const [gp, gs, gx] = pullback([unflatten(sdef, cts), ctY] as unknown as Tree) as unknown as [Tree, Tree, Tensor];
    return [...s1l, y, ...flatten(gp)[0], ...flatten(gs)[0], gx];
  }, inputs);
  const graph = simplifyGraph(traced);
  // Analyse the whole step once now, so that what cannot be compiled is known (and cached) at once.
  const t: Traced = { graph, roles, nP, nS, batch: B, dtype, paramDef: pdef, stateDef: sdef, programs: new Map() };
  analyzeStep(graph, roles, outputsOf(t, graph.outputs, true, { params: pl.map(() => true), x: true }), B, dtype);
  return t;
}

/** The meaning of a graph's outputs (in the order traced), for the cotangents that are needed. */
function outputsOf(t: Traced, o: readonly number[], train: boolean, need: { params: readonly boolean[]; x: boolean }): StepOutputs {
  const { nP, nS } = t;
  const state = o.slice(0, nS);
  const y = o[nS]!;
  if (!train) return { state, y };
  return {
    state,
    y,
    ctParams: o.slice(nS + 1, nS + 1 + nP).map((c, i) => (need.params[i] ? c : -1)).filter((c) => c >= 0),
    ctState: o.slice(nS + 1 + nP, nS + 1 + nP + nS),
    ...(need.x ? { ctX: o[nS + 1 + nP + nS]! } : {}),
  };
}

/**
 * The program for a mode and a set of needed cotangents (cached): the graph
 * pruned to what is needed, its sums over the batch reassociated (which
 * depends on what else uses a product), analysed, lowered and compiled.
 */
function programFor(t: Traced, train: boolean, need: { params: readonly boolean[]; state: boolean; x: boolean }): Program {
  const id = train ? `train|${need.params.map(Number).join('')}|${+need.x}` : 'infer';
  const have = t.programs.get(id);
  if (have) return have;
  const full = outputsOf(t, t.graph.outputs, train, need);
  const wanted = [...full.state, full.y, ...(full.ctParams ?? []), ...(full.ctState ?? []), ...(full.ctX === undefined ? [] : [full.ctX])];
  let g = pruneGraph(t.graph, wanted);
  if (train) g = simplifyGraph(reassociateSums(g, t.roles));
  // The pruned graph's outputs are `wanted`, in order: give them their meaning again.
  const o = g.outputs;
  const nPk = full.ctParams?.length ?? 0;
  const outputs: StepOutputs = train
    ? {
        state: o.slice(0, t.nS),
        y: o[t.nS]!,
        ctParams: o.slice(t.nS + 1, t.nS + 1 + nPk),
        ctState: o.slice(t.nS + 1 + nPk, t.nS + 1 + nPk + t.nS),
        ...(need.x ? { ctX: o[t.nS + 1 + nPk + t.nS]! } : {}),
      }
    : { state: o.slice(0, t.nS), y: o[t.nS]! };
  const analysis = analyzeStep(g, t.roles, outputs, t.batch, t.dtype);
  const backend = currentBackend();
  const tiles = backend.sequenceTiles?.(t.dtype === 'float64' ? 'float64' : 'float32');
  if (!backend.compileSequence || !tiles) throw new CompileDeclined(`the ${backend.name} backend does not compile sequences`);
  const lowered = lowerStep(analysis, train, tiles);
  let compiled: CompiledSequence | null;
  try {
    compiled = backend.compileSequence(lowered.program);
  } catch (e) {
    // a backend that cannot emit one of the step's primitives says which
    if (e instanceof MnemoError && e.op === 'compileSequence') throw new CompileDeclined(`${e.arg} ${e.message.slice(e.message.indexOf(': ', e.message.indexOf('argument')) + 2)}`, e.arg);
    throw e;
  }
  if (!compiled) throw new CompileDeclined(`the ${backend.name} backend could not compile this sequence here (no WebAssembly SIMD?)`);
  const program = { analysis, lowered, compiled };
  t.programs.set(id, program);
  return program;
}

/** Evaluate invariant nodes (in order) into `env`, on concrete tensors. */
function evaluate(graph: Graph, ids: readonly number[], env: Map<number, Tensor>): void {
  for (const id of ids) {
    const n = graph.nodes[id] as OpNode;
    const ins = n.inputs.map((i) => {
      const have = env.get(i);
      if (have) return have;
      const node = graph.nodes[i]!;
      if (node.kind === 'const') {
        env.set(i, (node as ConstNode).value);
        return (node as ConstNode).value;
      }
      throw new CompileDeclined(`internal: %${i} is needed before it is computed`);
    });
    env.set(id, bind(n.prim as Prim, ins, n.params as PrimParams[Prim]));
  }
}

function dataOf(t: Tensor, dtype: DType): Float32Array | Float64Array {
  const d = unsafeDataOf(t);
  if (t.dtype === dtype) return d as Float32Array | Float64Array;
  return dtype === 'float64' ? Float64Array.from(d) : Float32Array.from(d);
}

/**
 * Run a recurrent step over a whole sequence as one compiled program of the
 * current backend: the step (with its backward pass, derived from the
 * tape's own rule table) is traced once per step, shapes and dtype, fused
 * into a few products and elementwise loops per time step, and run for
 * every step of `xs` `[batch, steps, features]` (and backwards through time
 * for the gradient) without a tensor per op. The values are those of the
 * step by step loop up to the rounding of another summation order.
 *
 * On the tape the whole sequence is one entry. Its backward pass runs
 * compiled, unless that backward pass is itself being differentiated (a
 * Hessian-vector product, `jvp`, a gradient of a gradient): then
 * `options.reference`, the same computation on the tape, runs instead, so
 * higher derivatives are exact. Forward passes under nested tapes decline
 * for the same reason.
 *
 * @param step - the step, a pure function of its arguments (it is traced once and cached under `options.key`)
 * @param params - the parameters (a pytree of tensors)
 * @param state0 - the state before the first step (a pytree of `[batch, width]` tensors)
 * @param xs - the inputs `[batch, steps, features]`, batch first
 * @param options - the cache key, the reference on the tape, and `mask`, `reverse`, `checkpointEvery`
 * @returns every step's output `[batch, steps, width]` and the final state
 * @throws CompileDeclined - when the step cannot be compiled (the reason names the
 *   primitive), or under nested differentiation.
 * @throws ArgumentError - when `xs` is not a `[batch, steps, features]` tensor, or
 *   the state or parameters are not pytrees of tensors.
 * @throws ShapeError - when the step's ops get shapes that do not fit.
 * @throws DTypeError - when they mix dtypes.
 * @throws MnemoError - when the same tensor object is passed as two inputs.
 *
 * @example
 * ```ts
 * import { compiledRecurrence, add, grad, index, matmul, stack, sum, tanh, type StepFunction } from '@mnemo/autodiff';
 * import { key, normal, zeros, type Tensor } from '@mnemo/core';
 * type P = { w: Tensor; u: Tensor };
 * const step: StepFunction<P, Tensor> = (p, h, x) => {
 *   const h2 = tanh(add(matmul(x, p.w), matmul(h, p.u)));
 *   return [h2, h2];
 * };
 * // the same loop on the tape, for nested differentiation
 * const reference = (p: P, h0: Tensor, xs: Tensor) => {
 *   let h = h0;
 *   const ys: Tensor[] = [];
 *   for (let t = 0; t < xs.shape[1]!; t++) {
 *     [h] = step(p, h, index(xs, 1, t));
 *     ys.push(h);
 *   }
 *   return { outputs: stack(ys, 1), finalState: h };
 * };
 * const p: P = { w: normal(key(0), [3, 4], { dtype: 'float64' }), u: normal(key(1), [4, 4], { dtype: 'float64' }) };
 * const xs = normal(key(2), [2, 5, 3], { dtype: 'float64' });
 * const h0 = zeros([2, 4], 'float64');
 * const { outputs } = compiledRecurrence(step, p, h0, xs, { key: step, reference });
 * console.assert(outputs.shape.join() === '2,5,4');
 * const g = grad((q: P) => sum(compiledRecurrence(step, q, h0, xs, { key: step, reference }).outputs))(p);
 * const r = grad((q: P) => sum(reference(q, h0, xs).outputs))(p);
 * console.assert(Math.abs(g.u.toArray()[0]! - r.u.toArray()[0]!) < 1e-12);
 * ```
 * @category Internals
 */
export function compiledRecurrence<P extends Tree, S extends Tree>(
  step: StepFunction<P, S>,
  params: P,
  state0: S,
  xs: Tensor,
  options: RecurrenceOptions<P, S>,
): RecurrenceResult<S> {
  checkStep('compiledRecurrence', step);
  checkSequence('compiledRecurrence', xs);
  const o = checkOptions('compiledRecurrence', 'options', options);
  checkCacheKey('compiledRecurrence', 'options.key', o.key);
  if (typeof o.reference !== 'function') throw new ArgumentError('compiledRecurrence', 'options.reference', `expected the same recurrence on the tape, a function (params, state, xs) => { outputs, finalState }, got ${formatValue(o.reference)}`);
  checkFlag('compiledRecurrence', 'options.reverse', o.reverse, false);
  if (o.checkpointEvery !== undefined) checkCount('compiledRecurrence', 'options.checkpointEvery', o.checkpointEvery);
  if (o.mask !== undefined && (!(o.mask instanceof Tensor) || o.mask.rank !== 2 || o.mask.shape[0] !== xs.shape[0] || o.mask.shape[1] !== xs.shape[1])) {
    throw new ArgumentError('compiledRecurrence', 'options.mask', `expected a Tensor [batch ${xs.shape[0]}, steps ${xs.shape[1]}] of 0 and 1, got ${formatValue(o.mask)}`);
  }
  if (nestedRecording()) throw new CompileDeclined('a gradient of a gradient is being taken: the tape path differentiates it exactly');
  if (debugNansOn) throw new CompileDeclined(DEBUG_NANS_DECLINE);
  const [B, T, D] = xs.shape as [number, number, number];
  const dtype = xs.dtype;
  const maskData = options.mask === undefined ? undefined : dataOf(options.mask, dtype);
  const traced = traceStep(step, options.key, params, state0, B, D, dtype, maskData !== undefined);
  const [pl] = flatten(params, 'scan', 'params');
  const [sl] = flatten(state0, 'scan', 'state');
  const train = recording();
  const need = {
    params: pl.map(tracedAnywhere),
    state: sl.some(tracedAnywhere),
    x: tracedAnywhere(xs),
  };
  const anyNeed = need.params.some((x) => x) || need.state || need.x;
  const { lowered, compiled, analysis: a } = programFor(traced, train && anyNeed, need);
  const graph = a.graph;
  const every = options.checkpointEvery ?? 0;
  // Chunks of the asked length, or shorter where a chunk would not fit the program's memory (the
  // backward pass then recomputes each chunk from its first state, as with checkpointEvery).
  let chunk = every > 0 ? Math.min(every, T) : T;
  while (chunk > 1 && compiled.bytes(chunk) > compiled.maxBytes) chunk = Math.ceil(chunk / 2);
  if (compiled.bytes(chunk) > compiled.maxBytes) throw new CompileDeclined(`one step of this sequence needs more memory (${(compiled.bytes(1) / 2 ** 20).toFixed(0)} MiB) than the compiled program may take`);
  const order = Array.from({ length: T }, (_, j) => (options.reverse ? T - 1 - j : j));
  const chunks: number[][] = [];
  for (let j = 0; j < T; j += chunk) chunks.push(order.slice(j, Math.min(T, j + chunk)));
  const xData = dataOf(xs, dtype);
  const env = new Map<number, Tensor>();

  const open = (keep: boolean): SequenceRun => {
    const run = compiled.open(chunk, { keep });
    for (const { node, buffer } of lowered.invBuffers) {
      const v = env.get(node) ?? (graph.nodes[node] as ConstNode).value;
      run.writeRows(buffer, 0, broadcastRows(v, lowered.program.buffers[buffer]!, B, dtype));
    }
    run.run('once', 1);
    return run;
  };
  const loadChunk = (run: SequenceRun, times: readonly number[]): void => {
    run.writeSteps(lowered.xBuffer, xData, T, times);
    if (lowered.maskBuffer !== undefined) run.writeSteps(lowered.maskBuffer, maskData!, T, times);
    run.run('pre', times.length);
    run.run('fwd', times.length);
  };

  // The forward pass: invariant values (from the parameters), then the program over every chunk.
  const keep = train && anyNeed;
  const W = graph.nodes[a.outputs.y]!.shape[1]!;
  const out = new (dtype === 'float64' ? Float64Array : Float32Array)(B * T * W);
  const boundaries: (Float32Array | Float64Array)[][] = [];
  let run: SequenceRun;
  let finalLeaves: Tensor[];
  untraced(() => {
    graph.inputs.forEach((id, i) => {
      const r = a.roles[i]!;
      if (r.kind === 'param') env.set(id, pl[r.index]!);
    });
    evaluate(graph, lowered.invNodes, env);
    run = open(keep);
    sl.forEach((st, j) => run.writeRows(lowered.stateBuffers[j]!, 0, dataOf(st, dtype)));
    chunks.forEach((times, k) => {
      if (k > 0) for (const b of lowered.stateBuffers) run.copySlot(b, chunks[k - 1]!.length, 0);
      if (keep) boundaries.push(lowered.stateBuffers.map((b) => run.readRows(b, 0)));
      loadChunk(run, times);
      run.readSteps(lowered.y.buffer, out, T, times, lowered.y.slot);
    });
    const last = chunks[chunks.length - 1]!.length;
    finalLeaves = sl.map((st, j) => unsafeFromData(run.readRows(lowered.stateBuffers[j]!, last), st.shape));
  });
  const outputs = unsafeFromData(out, [B, T, W]);
  const finalState = unflatten(traced.stateDef, finalLeaves!) as S;
  if (!keep) {
    run!.close();
    return { outputs, finalState };
  }
  const inputLeaves = [...pl, ...sl, xs];
  const result = recordComposite('scan', inputLeaves, { outputs, finalState } as unknown as Tree, (ct) => {
    if (recording()) {
      // The backward pass is itself being differentiated: run the reference on the tape.
      run.close();
      const [, pullback] = vjp((p: P, st: S, x: Tensor) => options.reference(p, st, x) as unknown as Tree, params, state0, xs);
      const [gp, gs, gx] = pullback(ct) as unknown as [Tree, Tree, Tensor];
      return [...flatten(gp)[0], ...flatten(gs)[0], gx];
    }
    return untraced(() => backward(ct as unknown as { outputs: Tensor; finalState: S }));
  });
  return result as unknown as RecurrenceResult<S>;

  function backward(ct: { outputs: Tensor; finalState: S }): Tensor[] {
    // The last chunk's residuals are still in memory, unless the run was released for memory since.
    let resident = chunks.length - 1;
    if (!run.alive) {
      run = open(true);
      resident = -1;
    }
    const ctOut = dataOf(ct.outputs, dtype);
    const [ctFinal] = flatten(ct.finalState, 'scan', 'cotangent');
    lowered.ctStateBuffers.forEach((b, j) => run.writeRows(b, chunks[chunks.length - 1]!.length, dataOf(ctFinal[j]!, dtype)));
    const ctXBuffer = lowered.ctX !== undefined && 'buffer' in lowered.ctX ? lowered.ctX.buffer : undefined;
    const ctX = ctXBuffer !== undefined ? new (dtype === 'float64' ? Float64Array : Float32Array)(B * T * D) : undefined;
    for (let k = chunks.length - 1; k >= 0; k--) {
      const times = chunks[k]!;
      const n = times.length;
      if (k !== resident) {
        // Recompute this chunk's forward pass (its residuals) from the state at its start.
        boundaries[k]!.forEach((st, j) => run.writeRows(lowered.stateBuffers[j]!, 0, st));
        loadChunk(run, times);
      }
      if (k !== chunks.length - 1) for (const b of lowered.ctStateBuffers) run.copySlot(b, 0, n);
      if (lowered.ctYBuffer !== undefined) run.writeSteps(lowered.ctYBuffer, ctOut, T, times);
      run.run('bwd', n);
      run.run('post', n);
      if (ctX) run.readSteps(ctXBuffer!, ctX, T, times);
    }
    // Sums over the batch, then what the parameters' cotangents compute from them.
    for (const r of lowered.reductions) env.set(r.node, reductionValue(graph, r, run.readRows(r.buffer, 0), dtype));
    evaluate(graph, lowered.redNodes, env);
    const o = a.outputs;
    let k = 0;
    const gp = pl.map((p, i) => (need.params[i] ? valueOf(graph, o.ctParams![k++]!, env, p) : zerosLike(p)));
    const gs = sl.map((st, j) => (need.state ? unsafeFromData(run.readRows(lowered.ctStateBuffers[j]!, 0), st.shape) : zerosLike(st)));
    const gx = ctX ? unsafeFromData(ctX, xs.shape) : zerosLike(xs);
    run.close();
    return [...gp, ...gs, gx];
  }
}

function zerosLike(t: Tensor): Tensor {
  return tensor(new (t.dtype === 'float64' ? Float64Array : Float32Array)(t.size), t.dtype, t.shape);
}

/** The value of an output node: computed, a constant, or a parameter's own cotangent. */
function valueOf(graph: Graph, id: number, env: Map<number, Tensor>, like: Tensor): Tensor {
  const have = env.get(id);
  if (have) return have;
  const n = graph.nodes[id]!;
  if (n.kind === 'const') return n.value.shape.length === like.shape.length ? n.value : zerosLike(like);
  throw new CompileDeclined(`internal: the cotangent %${id} was not computed`);
}

/** The rows of a buffer for an invariant value: broadcast to the batch when the buffer is per row. */
function broadcastRows(v: Tensor, buffer: { kind: string; width: number; rows?: number }, B: number, dtype: DType): Float32Array | Float64Array {
  const d = dataOf(v, dtype);
  if (buffer.kind !== 'temp') return d;
  if (d.length === B * buffer.width) return d;
  const out = new (dtype === 'float64' ? Float64Array : Float32Array)(B * buffer.width);
  for (let r = 0; r < B; r++) out.set(d.length === buffer.width ? d : d.subarray(0, buffer.width), r * buffer.width);
  return out;
}

/** A sum over the batch as a tensor of the node's shape. */
function reductionValue(graph: Graph, r: { node: number; colsum: boolean }, data: Float32Array | Float64Array, dtype: DType): Tensor {
  const n = graph.nodes[r.node] as OpNode;
  if (!r.colsum) return tensor(dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), dtype, n.shape);
  const axes = (n as OpNode<'sum'>).params.axes;
  if (axes.includes(1) || axes.includes(-1)) {
    let s = 0;
    for (const v of data) s += v;
    return tensor([s], dtype, n.shape);
  }
  return tensor(dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data), dtype, n.shape);
}

/**
 * Why `step` cannot be compiled for these arguments, or, when it can, the
 * compiled training program's listing (see `formatProgram` in core). Traces the
 * step once if it was not yet.
 *
 * @param step - the step
 * @param key - the identity the step's program is cached under
 * @param params - parameters
 * @param state0 - the initial state
 * @param xs - inputs `[batch, steps, features]`
 * @param masked - whether a mask will be given
 * @param inputGradient - list the program that also computes the inputs' gradient (default false: the inputs are data)
 * @returns `{ compiled: true, program }` or `{ compiled: false, reason, prim }`
 * @throws ArgumentError - when `xs` is not a `[batch, steps, features]` tensor.
 * @throws ShapeError - when the step's ops get shapes that do not fit (a bug in
 *   the step, not a reason to decline).
 * @throws DTypeError - when the step's ops mix dtypes.
 * @throws MnemoError - when the same tensor object is passed as two inputs.
 * @throws CompileDeclined - never: a declined step is the answer, not an error.
 *
 * @example
 * ```ts
 * import { explainRecurrence, add, gather, matmul, tanh, type StepFunction } from '@mnemo/autodiff';
 * import { zeros, type Tensor } from '@mnemo/core';
 * const ok: StepFunction<Tensor, Tensor> = (w, h, x) => { const y = tanh(add(matmul(x, w), h)); return [y, y]; };
 * console.assert(explainRecurrence(ok, ok, zeros([2, 2], 'float64'), zeros([1, 2], 'float64'), zeros([1, 3, 2], 'float64')).compiled);
 * ```
 * @category Internals
 */
export function explainRecurrence<P extends Tree, S extends Tree>(
  step: StepFunction<P, S>,
  key: object,
  params: P,
  state0: S,
  xs: Tensor,
  masked = false,
  inputGradient = false,
): { readonly compiled: true; readonly program: string } | { readonly compiled: false; readonly reason: string; readonly prim: string | undefined } {
  checkStep('explainRecurrence', step);
  checkCacheKey('explainRecurrence', 'key', key);
  checkSequence('explainRecurrence', xs);
  checkFlag('explainRecurrence', 'masked', masked, false);
  checkFlag('explainRecurrence', 'inputGradient', inputGradient, false);
  const e = recurrenceDeclined(step, key, params, state0, xs, masked);
  if (e) return { compiled: false, reason: e.reason, prim: e.prim };
  const t = traceStep(step, key, params, state0, xs.shape[0]!, xs.shape[2]!, xs.dtype, masked);
  const { lowered } = programFor(t, true, { params: Array<boolean>(t.nP).fill(true), state: true, x: inputGradient });
  return { compiled: true, program: formatProgram(lowered.program) };
}

/** A step function, before it is traced. */
function checkStep(op: string, step: unknown): void {
  if (typeof step !== 'function') throw new ArgumentError(op, 'step', `expected a step function (params, state, x) => [state, output], got ${formatValue(step)}`);
}

/** The identity a compiled program is cached under: an object or a function (a WeakMap key). */
function checkCacheKey(op: string, arg: string, key: unknown): void {
  if (key === null || (typeof key !== 'object' && typeof key !== 'function')) {
    throw new ArgumentError(op, arg, `expected an object or a function to cache the compiled program under (a cell, or the step itself), got ${formatValue(key)}`);
  }
}

/** A batch of sequences `[batch, steps, features]` of a float dtype. */
function checkSequence(op: string, xs: unknown): void {
  if (!(xs instanceof Tensor) || xs.rank !== 3) throw new ArgumentError(op, 'xs', `expected a sequence [batch, steps, features] (batch first), got ${formatValue(xs)}`);
}

function recurrenceDeclined<P extends Tree, S extends Tree>(step: StepFunction<P, S>, key: object, params: P, state0: S, xs: Tensor, masked: boolean): CompileDeclined | undefined {
  if (!(xs instanceof Tensor) || xs.rank !== 3) throw new ArgumentError('scan', 'xs', 'expected a sequence [batch, steps, features]');
  if (debugNansOn) return new CompileDeclined(DEBUG_NANS_DECLINE);
  try {
    const t = traceStep(step, key, params, state0, xs.shape[0]!, xs.shape[2]!, xs.dtype, masked);
    programFor(t, true, { params: Array<boolean>(t.nP).fill(true), state: true, x: true });
    return undefined;
  } catch (e) {
    if (e instanceof CompileDeclined) return e;
    throw e;
  }
}
