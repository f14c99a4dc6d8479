/**
 * Tracing: run a function once on concrete tensors and record every
 * primitive that touched its inputs into a {@link Graph}.
 *
 * The function runs for real (the kernels compute values as usual, which
 * also gives every node its shape and dtype); a recorder installed around
 * `bind` sees each primitive applied and keeps those whose inputs include a
 * traced tensor. Primitives applied to constants only are constant-folded:
 * their outputs enter the graph as constants where traced work uses them.
 * Because the recorder sits at `bind`, it also sees the work inside
 * `customVjp` and `checkpoint` (which tapes do not record primitive by
 * primitive), and the backward pass of a `vjp` run inside the traced
 * function: tracing `pullback(ct)` gives the backward graph derived from
 * the very rule table the tape uses.
 *
 * A traced function must not read the values of what it traces (`item`,
 * `toArray`, `toNested`): the graph would bake one value in. Tracing stops
 * with a {@link CompileDeclined} naming the read.
 *
 * @module
 */
import { MnemoError, onValueRead, type Tensor } from '@mnemo/core';
import type { Prim } from '../prims.js';
import { observeBinds } from '../tape.js';
import type { ConstNode, Graph, GraphNode, OpNode } from './graph.js';

/**
 * Why a recurrent step cannot be compiled (see {@link compiledRecurrence}):
 * `reason` in words, and `prim` the primitive at fault when there is one.
 * `scan` catches it and runs the step on the tape instead;
 * {@link explainRecurrence} (and nn's `explainScan`) return it.
 *
 * @example
 * ```ts
 * import { CompileDeclined } from '@mnemo/autodiff';
 * const e = new CompileDeclined('gather is not supported on per-step values', 'gather');
 * console.assert(e.prim === 'gather' && e.message.includes('gather'));
 * ```
 * @category Compiler
 */
export class CompileDeclined extends MnemoError {
  /**
   * Make the error the compiler throws when it declines a step, with the reason
   * in words and the primitive at fault.
   *
   * @param reason - why, in words
   * @param prim - the primitive at fault, if one is
   */
  constructor(
    readonly reason: string,
    readonly prim?: string,
  ) {
    super('compile', 'step', reason);
  }
}

/**
 * Trace `f` on `inputs` (distinct tensor objects): returns the graph of the
 * primitives that depend on the inputs, with one output per tensor `f`
 * returns (an output that does not depend on the inputs is a constant).
 * @internal
 */
export function traceGraph(f: (inputs: readonly Tensor[]) => readonly Tensor[], inputs: readonly Tensor[]): Graph {
  const nodes: GraphNode[] = [];
  const ids = new Map<Tensor, number>();
  const constIds = new Map<Tensor, number>();
  const constant = (t: Tensor): number => {
    const known = ids.get(t) ?? constIds.get(t);
    if (known !== undefined) return known;
    const node: ConstNode = { kind: 'const', id: nodes.length, shape: t.shape.slice(), dtype: t.dtype, value: t };
    nodes.push(node);
    constIds.set(t, node.id);
    return node.id;
  };
  inputs.forEach((t, index) => {
    if (ids.has(t)) throw new MnemoError('compile', 'inputs', `input ${index} is the same tensor object as an earlier input`);
    ids.set(t, nodes.length);
    nodes.push({ kind: 'input', id: nodes.length, shape: t.shape.slice(), dtype: t.dtype, index });
  });
  const previousObserver = observeBinds({
    bound(prim: Prim, args: readonly Tensor[], params: unknown, output: Tensor) {
      previousObserver?.bound(prim, args, params, output);
      if (!args.some((a) => ids.has(a))) return;
      const node = {
        kind: 'op',
        id: -1,
        shape: output.shape.slice(),
        dtype: output.dtype,
        prim,
        inputs: args.map(constant),
        params,
      } as unknown as OpNode;
      (node as { id: number }).id = nodes.length;
      nodes.push(node);
      ids.set(output, node.id);
    },
    aliased(from: Tensor, to: Tensor) {
      previousObserver?.aliased(from, to);
      const id = ids.get(from);
      if (id === undefined) return;
      const node = { kind: 'op', id: nodes.length, shape: to.shape.slice(), dtype: to.dtype, prim: 'identity', inputs: [id], params: {} } as OpNode;
      nodes.push(node);
      ids.set(to, node.id);
    },
  });
  const previousRead = onValueRead((t, how) => {
    previousRead?.(t, how);
    if (ids.has(t)) {
      throw new CompileDeclined(`the function reads the value of a tensor it computes from its inputs (${how}()), so its graph would depend on data`);
    }
  });
  let outs: readonly Tensor[];
  try {
    outs = f(inputs);
  } finally {
    observeBinds(previousObserver);
    onValueRead(previousRead);
  }
  const outputs = outs.map(constant);
  return { nodes, inputs: inputs.map((t) => ids.get(t)!), outputs };
}
