/**
 * What each node of a traced recurrent step is, for the sequence compiler.
 *
 * The traced graph of one step holds its forward pass and (for training)
 * its backward pass, the latter derived by tracing the tape's own pullback.
 * This module sorts its nodes:
 *
 * - **space**: `inv` nodes depend on nothing that changes from step to step
 *   (parameters, constants): they are computed once per call. `row` nodes
 *   are per-step values `[batch, width]` whose rows are the batch's
 *   sequences and never interact. `red` nodes are sums over the batch (and
 *   so, summed over time, over the whole sequence): the weight gradients
 *   `hᵀ dG` and bias gradients, and whatever the backward pass computes from
 *   them alone.
 * - **phase**: forward `row` nodes that do not depend on the carried state
 *   are time-parallel; the products among them (and what feeds them) run
 *   for all steps at once before the loop (`pre`). The rest of the forward
 *   pass runs step by step (`fwd`). In the backward pass, what the carried
 *   cotangent needs runs step by step (`bwd`); the products that it does
 *   not need, the sums over the batch and what follows them run after the
 *   loop for all steps at once (`post`), from values the loop stashes.
 *
 * Anything the compiler cannot take is reported by a {@link CompileDeclined}
 * that names the primitive.
 *
 * @module
 */
import type { DType } from '@mnemo/core';
import { BINARY_PRIMS, COMPARE_PRIMS, UNARY_PRIMS } from '../prims.js';
import { ancestors, consumers, descendants, type Graph, type GraphNode, type OpNode } from './graph.js';
import { CompileDeclined } from './trace.js';

/** The role of each input leaf of a traced step. @internal */
export type InputRole =
  | { readonly kind: 'param'; readonly index: number }
  | { readonly kind: 'state'; readonly index: number }
  | { readonly kind: 'x' }
  | { readonly kind: 'mask' }
  | { readonly kind: 'ctState'; readonly index: number }
  | { readonly kind: 'ctY' };

/** The output nodes of a traced step, by meaning. @internal */
export interface StepOutputs {
  /** The new state, one node per state leaf. */
  readonly state: readonly number[];
  /** The step's output. */
  readonly y: number;
  /** Backward outputs (absent for an inference trace): cotangents of the parameters, the old state and the input. */
  readonly ctParams?: readonly number[];
  readonly ctState?: readonly number[];
  readonly ctX?: number;
}

/** Where a node runs. @internal */
export type Phase = 'inv' | 'pre' | 'fwd' | 'bwd' | 'post' | 'red';

/** The analysis of a traced step. @internal */
export interface StepAnalysis {
  readonly graph: Graph;
  readonly roles: readonly InputRole[];
  readonly outputs: StepOutputs;
  readonly batch: number;
  readonly dtype: DType;
  readonly space: readonly ('inv' | 'row' | 'red')[];
  /** Only nodes that are needed get a phase; the others are undefined. */
  readonly phase: readonly (Phase | undefined)[];
  /** Whether a node belongs to the backward pass (depends on a cotangent input). */
  readonly backward: readonly boolean[];
  /** Sums over the batch: the nodes where `row` becomes `red`. */
  readonly reductions: readonly number[];
  readonly uses: readonly number[][];
}

const ELEMENTWISE = new Set<string>([...UNARY_PRIMS, ...BINARY_PRIMS, ...COMPARE_PRIMS, 'where']);

/** Whether a primitive is applied element by element (with broadcasting). @internal */
export const isElementwise = (prim: string): boolean => ELEMENTWISE.has(prim);

/** Primitives that only move data: the compiler takes them as views or copies. */
const STRUCTURAL = new Set<string>(['identity', 'reshape', 'broadcastTo', 'slice', 'concat', 'pad']);

function decline(n: OpNode, why: string): never {
  throw new CompileDeclined(`${n.prim} ${why}`, n.prim);
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Classify the nodes of a traced step (see the module description), or
 * throw a {@link CompileDeclined}.
 * @internal
 */
export function analyzeStep(graph: Graph, roles: readonly InputRole[], outputs: StepOutputs, batch: number, dtype: DType): StepAnalysis {
  const { nodes } = graph;
  const space: ('inv' | 'row' | 'red')[] = new Array(nodes.length);
  const reductions: number[] = [];
  /** For each sum over the batch and what is computed from it, the sum it comes from. */
  const redFrom = new Map<number, number>();
  const B = batch;
  const isRow = (i: number): boolean => space[i] === 'row';

  for (const n of nodes) {
    if (n.kind === 'input') {
      const r = roles[n.index]!;
      space[n.id] = r.kind === 'param' ? 'inv' : 'row';
      continue;
    }
    if (n.kind === 'const') {
      space[n.id] = 'inv';
      continue;
    }
    if (n.dtype !== dtype && n.inputs.some(isRow)) decline(n, `makes a ${n.dtype} value inside a ${dtype} step`);
    const ins = n.inputs.map((i) => space[i]!);
    if (ins.includes('red')) {
      const from = n.inputs.map((i) => redFrom.get(i)).find((r) => r !== undefined)!;
      if (ins.includes('row')) {
        const r = nodes[from] as OpNode;
        throw new CompileDeclined(`${r.prim} over the batch (axis 0) feeds per-step values through ${n.prim}: statistics over the batch are not supported`, r.prim);
      }
      space[n.id] = 'red';
      redFrom.set(n.id, from);
      continue;
    }
    if (!ins.includes('row')) {
      space[n.id] = 'inv';
      continue;
    }
    // A row node, or a sum over the batch.
    if (n.prim === 'sum') {
      const axes = (n as OpNode<'sum'>).params.axes;
      if (axes.includes(0)) {
        const x = nodes[n.inputs[0]!]!;
        if (x.shape.length !== 2) decline(n, `over the batch of a value of shape ${shapeText(x.shape)}`);
        space[n.id] = 'red';
        reductions.push(n.id);
        redFrom.set(n.id, n.id);
        continue;
      }
    }
    if (n.prim === 'matmul') {
      const p = (n as OpNode<'matmul'>).params;
      const [a, b] = n.inputs as [number, number];
      if (isRow(a) && isRow(b)) {
        if (p.transA && !p.transB) {
          space[n.id] = 'red';
          reductions.push(n.id);
          redFrom.set(n.id, n.id);
          continue;
        }
        decline(n, 'of two per-step values other than a sum over the batch (aᵀ b)');
      }
      if (isRow(b)) decline(n, 'with a per-step value as its right operand');
      if (p.transA) decline(n, 'of a transposed per-step value');
    } else if (n.prim === 'sum' || n.prim === 'max' || n.prim === 'min' || n.prim === 'logsumexp') {
      const p = (n as OpNode<'sum'>).params;
      if (n.prim !== 'sum') decline(n, 'of per-step values is not supported (only sum over the last axis is)');
      if (!(p.axes.length === 1 && p.axes[0] === 1 && p.keepDims)) decline(n, `over axes [${p.axes.join(', ')}] is not supported (only over the last axis, keeping it)`);
    } else if (n.prim === 'reshape' || n.prim === 'identity') {
      const x = nodes[n.inputs[0]!]!;
      if (n.prim === 'reshape' && !(n.shape.length === 2 && x.shape.length === 2 && n.shape[1] === x.shape[1])) {
        decline(n, `from ${shapeText(x.shape)} to ${shapeText(n.shape)} of a per-step value`);
      }
    } else if (n.prim === 'slice') {
      const p = (n as OpNode<'slice'>).params;
      if (p.begin[0] !== 0 || p.size[0] !== B) decline(n, 'across the batch (rows) of a per-step value');
    } else if (n.prim === 'concat') {
      const axis = (n as OpNode<'concat'>).params.axis;
      if (axis !== 1) decline(n, `along axis ${axis} of per-step values (only along the last axis)`);
    } else if (n.prim === 'pad') {
      const p = (n as OpNode<'pad'>).params;
      if (p.widths[0]![0] !== 0 || p.widths[0]![1] !== 0 || p.value !== 0) decline(n, 'of a per-step value other than zeros along the last axis');
    } else if (n.prim === 'broadcastTo') {
      // checked by the row shape below
    } else if (!isElementwise(n.prim)) {
      decline(n, 'is not supported on per-step values');
    }
    if (n.shape.length !== 2 || n.shape[0] !== B) decline(n, `gives a per-step value of shape ${shapeText(n.shape)}; expected [batch ${B}, width]`);
    for (const i of n.inputs) {
      const x = nodes[i]!;
      if (space[i] === 'inv' && !okBroadcast(x.shape, n.shape, B) && !(n.prim === 'matmul' || STRUCTURAL.has(n.prim))) {
        decline(n, `broadcasts a value of shape ${shapeText(x.shape)} to ${shapeText(n.shape)}`);
      }
      if (space[i] === 'row' && isElementwise(n.prim) && !(x.shape[1] === n.shape[1] || x.shape[1] === 1)) {
        decline(n, `broadcasts a per-step value of shape ${shapeText(x.shape)} to ${shapeText(n.shape)}`);
      }
    }
    space[n.id] = 'row';
  }

  // Forward and backward: backward nodes depend on a cotangent input.
  const ctInputs = graph.inputs.filter((id) => {
    const r = roles[(nodes[id] as { index: number }).index]!;
    return r.kind === 'ctState' || r.kind === 'ctY';
  });
  const backward = descendants(graph, ctInputs);
  for (const r of reductions) if (!backward[r]) decline(nodes[r] as OpNode, 'sums per-step values over the batch in the forward pass (statistics over the batch are not supported)');
  const fwdOuts = [...outputs.state, outputs.y];
  for (const o of fwdOuts) if (space[o] === 'red') decline(nodes[o] as OpNode, 'makes a forward output from a sum over the batch');
  const bwdOuts = [...(outputs.ctParams ?? []), ...(outputs.ctState ?? []), ...(outputs.ctX === undefined ? [] : [outputs.ctX])];
  for (const o of [...(outputs.ctState ?? []), ...(outputs.ctX === undefined ? [] : [outputs.ctX])]) {
    if (space[o] === 'red') decline(nodes[o] as OpNode, 'makes a per-step cotangent from a sum over the batch');
  }

  // Phases of the needed nodes.
  const needed = ancestors(graph, [...fwdOuts, ...bwdOuts]);
  const phase: (Phase | undefined)[] = new Array(nodes.length);
  const stateInputs = graph.inputs.filter((id) => roles[(nodes[id] as { index: number }).index]!.kind === 'state');
  const seq = descendants(graph, stateInputs);
  const carryOut = ancestors(graph, outputs.ctState ?? []);
  // Forward: products of time-parallel values run before the loop, with what feeds them.
  const heavyPar = nodes.filter((n) => needed[n.id] && !backward[n.id] && isRow(n.id) && !seq[n.id] && n.kind === 'op' && n.prim === 'matmul').map((n) => n.id);
  const pre = ancestors(graph, heavyPar);
  // Backward: products the carried cotangent does not need, and every sum over the batch, run after the loop.
  const deferredRoots = nodes.filter(
    (n) => needed[n.id] && backward[n.id] && n.kind === 'op' && ((space[n.id] === 'row' && n.prim === 'matmul' && !carryOut[n.id]) || reductions.includes(n.id)),
  );
  const deferred = descendants(graph, deferredRoots.map((n) => n.id));
  for (const n of nodes) {
    if (!needed[n.id]) continue;
    const s = space[n.id];
    if (s === 'inv') phase[n.id] = 'inv';
    else if (s === 'red') phase[n.id] = 'red';
    else if (!backward[n.id]) phase[n.id] = pre[n.id] && !seq[n.id] && n.kind === 'op' ? 'pre' : 'fwd';
    else phase[n.id] = deferred[n.id] && !carryOut[n.id] ? 'post' : 'bwd';
  }
  // Per-batch-row constants ([batch, w] values that do not change with the step) exist once, not per step:
  // the whole-chunk phases cannot read them, so what uses one runs in the loop instead.
  for (const n of nodes) {
    const p = phase[n.id];
    if ((p !== 'pre' && p !== 'post') || n.kind !== 'op') continue;
    if (n.inputs.some((i) => space[i] === 'inv' && nodes[i]!.shape.length === 2 && nodes[i]!.shape[0] === B && B > 1)) {
      phase[n.id] = p === 'pre' ? 'fwd' : 'bwd';
    }
  }
  // Keep the phases ordered after those moves: a pre node reads no fwd value (in order, so a move
  // reaches its consumers), and a bwd node reads no post value (in reverse order, so a move reaches
  // what it reads).
  for (const n of nodes) {
    if (phase[n.id] !== 'pre' || n.kind !== 'op') continue;
    if (n.inputs.some((i) => phase[i] === 'fwd' && nodes[i]!.kind === 'op')) phase[n.id] = 'fwd';
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (phase[i] !== 'bwd' || n.kind !== 'op') continue;
    for (const j of n.inputs) if (phase[j] === 'post') phase[j] = 'bwd';
  }
  // Forward elementwise work that only the backward pass reads (the derivative factors the rules
  // build, such as 1 - tanh(c)²) is recomputed in the backward loop from what it reads, rather
  // than kept for every step: fewer values cross from the forward to the backward pass.
  const uses = consumers(graph);
  const fwdOutput = new Set(fwdOuts);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (phase[i] !== 'fwd' || n.kind !== 'op' || fwdOutput.has(i)) continue;
    if (!(isElementwise(n.prim) || STRUCTURAL.has(n.prim))) continue;
    const users = uses[i]!.filter((u) => phase[u] !== undefined);
    if (users.length > 0 && users.every((u) => phase[u] === 'bwd')) phase[i] = 'bwd';
  }
  return { graph, roles, outputs, batch, dtype, space, phase, backward, reductions, uses };
}

/** Whether an invariant value of shape `s` broadcasts to the per-step shape `target` `[batch, w]`. */
function okBroadcast(s: readonly number[], target: readonly number[], B: number): boolean {
  const w = target[1]!;
  if (s.length === 0) return true;
  if (s.length === 1) return s[0] === w || s[0] === 1;
  if (s.length === 2) return (s[0] === 1 || s[0] === B) && (s[1] === w || s[1] === 1);
  return false;
}

/** A readable list of the primitives of a graph by phase, for reports. @internal */
export function phaseSummary(a: StepAnalysis): Record<Phase, string[]> {
  const out: Record<Phase, string[]> = { inv: [], pre: [], fwd: [], bwd: [], post: [], red: [] };
  a.graph.nodes.forEach((n: GraphNode) => {
    const p = a.phase[n.id];
    if (p !== undefined && n.kind === 'op') out[p].push(n.prim);
  });
  return out;
}
