/**
 * The compiler's graph: what one call of a function did, as primitives.
 *
 * A {@link Graph} is a list of nodes in the order they were computed (so
 * every node's inputs come before it): the function's inputs, constants
 * (tensors the function made or captured that do not depend on its inputs)
 * and applications of primitives. It is independent of any backend: the
 * cell compiler reads it to plan a whole sequence, and a later lowering
 * (WebGPU) could read the same graph.
 *
 * @module
 */
import { formatShape, type DType, type Tensor } from '@mnemo/core';
import type { Prim, PrimParams } from '../prims.js';

/** One input of a traced function (a tensor leaf of its arguments). @internal */
export interface InputNode {
  readonly kind: 'input';
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Position among the traced function's input leaves. */
  readonly index: number;
}

/** A tensor that does not depend on the inputs: made or captured by the function. @internal */
export interface ConstNode {
  readonly kind: 'const';
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly value: Tensor;
}

/** A primitive applied to earlier nodes. @internal */
export interface OpNode<P extends Prim = Prim> {
  readonly kind: 'op';
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly prim: P;
  readonly inputs: readonly number[];
  readonly params: PrimParams[P];
}

/** A node of a {@link Graph}. @internal */
export type GraphNode = InputNode | ConstNode | OpNode;

/**
 * A traced function: `nodes[i].id === i`, inputs of a node always come
 * before it, `inputs` lists the input nodes in leaf order and `outputs` the
 * node of each output leaf.
 * @internal
 */
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/** The consumers of every node. @internal */
export function consumers(g: Graph): number[][] {
  const uses: number[][] = g.nodes.map(() => []);
  for (const n of g.nodes) if (n.kind === 'op') for (const i of n.inputs) uses[i]!.push(n.id);
  return uses;
}

/** The nodes `roots` depend on (themselves included), as a boolean mask. @internal */
export function ancestors(g: Graph, roots: readonly number[]): boolean[] {
  const live = g.nodes.map(() => false);
  for (const r of roots) live[r] = true;
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (live[i] && n.kind === 'op') for (const j of n.inputs) live[j] = true;
  }
  return live;
}

/** The nodes that depend on any of `sources` (themselves included), as a boolean mask. @internal */
export function descendants(g: Graph, sources: readonly number[]): boolean[] {
  const reach = g.nodes.map(() => false);
  for (const s of sources) reach[s] = true;
  for (const n of g.nodes) if (n.kind === 'op' && n.inputs.some((i) => reach[i])) reach[n.id] = true;
  return reach;
}

function formatParams(p: object): string {
  const entries = Object.entries(p);
  if (entries.length === 0) return '';
  const v = (x: unknown): string => (Array.isArray(x) ? `[${x.map(v).join(', ')}]` : String(x));
  return ` {${entries.map(([k, x]) => `${k}: ${v(x)}`).join(', ')}}`;
}

/** The graph one line per node, as `%3 = tanh(%2) : float64[2, 4]`. @internal */
export function formatGraph(g: Graph, names?: ReadonlyMap<number, string>): string {
  const ty = (n: GraphNode): string => `${n.dtype}${formatShape(n.shape)}`;
  const lines = g.nodes.map((n) => {
    const label = names?.get(n.id);
    const head = `%${n.id}${label === undefined ? '' : ` (${label})`}`;
    if (n.kind === 'input') return `${head} = input ${n.index} : ${ty(n)}`;
    if (n.kind === 'const') return `${head} = const${n.value.size === 1 ? ` ${String(n.value.toArray()[0])}` : ''} : ${ty(n)}`;
    return `${head} = ${n.prim}(${n.inputs.map((i) => `%${i}`).join(', ')})${formatParams(n.params)} : ${ty(n)}`;
  });
  lines.push(`outputs: ${g.outputs.map((o) => `%${o}`).join(', ')}`);
  return lines.join('\n');
}

/**
 * The same computation, simplified: without the nodes that only rename a
 * value (`identity`, and `reshape` or `broadcastTo` to the shape it already
 * has), whose users read the original instead, and with every repeated
 * computation (the same primitive and parameters on the same inputs, as
 * the backward pass often makes) done once. Nodes are renumbered in order.
 * @internal
 */
export function simplifyGraph(g: Graph): Graph {
  const newId = new Array<number>(g.nodes.length);
  const nodes: GraphNode[] = [];
  const seen = new Map<string, number>();
  const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
  for (const n of g.nodes) {
    if (n.kind === 'op') {
      const x = n.inputs[0]!;
      const alias = n.prim === 'identity' || ((n.prim === 'reshape' || n.prim === 'broadcastTo') && same(g.nodes[x]!.shape, n.shape));
      if (alias) {
        newId[n.id] = newId[x]!;
        continue;
      }
      const inputs = n.inputs.map((i) => newId[i]!);
      const key = `${n.prim}(${inputs.join(',')})${JSON.stringify(n.params)}`;
      const twin = seen.get(key);
      if (twin !== undefined) {
        newId[n.id] = twin;
        continue;
      }
      const id = nodes.length;
      nodes.push({ ...n, id, inputs });
      newId[n.id] = id;
      seen.set(key, id);
    } else {
      const id = nodes.length;
      nodes.push({ ...n, id });
      newId[n.id] = id;
    }
  }
  return { nodes, inputs: g.inputs.map((i) => newId[i]!), outputs: g.outputs.map((o) => newId[o]!) };
}

/**
 * The graph with only what `outputs` (nodes of `g`) need: every input is
 * kept (so positions of input leaves stay the same), other nodes only when
 * an output depends on them. The new graph's outputs are `outputs`, renumbered.
 * @internal
 */
export function pruneGraph(g: Graph, outputs: readonly number[]): Graph {
  const live = ancestors(g, outputs);
  const newId = new Array<number>(g.nodes.length);
  const nodes: GraphNode[] = [];
  for (const n of g.nodes) {
    if (n.kind !== 'input' && !live[n.id]) continue;
    const id = nodes.length;
    newId[n.id] = id;
    nodes.push(n.kind === 'op' ? { ...n, id, inputs: n.inputs.map((i) => newId[i]!) } : { ...n, id });
  }
  return { nodes, inputs: g.inputs.map((i) => newId[i]!), outputs: outputs.map((o) => newId[o]!) };
}
