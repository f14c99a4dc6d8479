/**
 * Algebraic rewrites of a traced step's backward pass that change what it
 * costs, not what it computes.
 *
 * Sums over the batch through a product with a weight matrix: where the
 * backward pass forms `dA = G Wᵀ` (per-step rows, a weight matrix) only to
 * sum it over the batch, `Xᵀ dA = (Xᵀ G) Wᵀ` and `Σ_rows dA = (Σ_rows G) Wᵀ`
 * move the weight product out of the per-step work into one small product
 * after the loop. For the tutorial model (a dense layer from 28 pixels to
 * 128 units before the LSTM, whose input gradient is not needed) this is
 * what the hand-fused kernel did by hand: the `[B·T, 128]` gradient between
 * the layers is never formed.
 *
 * @module
 */
import type { InputRole } from './analyze.js';
import { consumers, type Graph, type GraphNode, type OpNode } from './graph.js';

/** Whether each node changes from step to step (depends on an input other than a parameter). */
function perStep(g: Graph, roles: readonly InputRole[]): boolean[] {
  const row: boolean[] = [];
  for (const n of g.nodes) {
    if (n.kind === 'input') row[n.id] = roles[n.index]!.kind !== 'param';
    else if (n.kind === 'const') row[n.id] = false;
    else row[n.id] = n.inputs.some((i) => row[i]);
  }
  return row;
}

const isOp = (n: GraphNode | undefined): n is OpNode => n !== undefined && n.kind === 'op';

/**
 * Rewrite sums over the batch of `G · op(W)` (see the module description)
 * where `G · op(W)` is used by nothing else and the rewrite costs fewer
 * multiply-adds per row. Returns a new graph (nodes renumbered in order).
 * @internal
 */
export function reassociateSums(g: Graph, roles: readonly InputRole[]): Graph {
  const row = perStep(g, roles);
  const uses = consumers(g);
  const isBatchSum = (u: number, m: number): boolean => {
    const n = g.nodes[u];
    if (!isOp(n)) return false;
    if (n.prim === 'matmul') {
      const p = (n as OpNode<'matmul'>).params;
      return p.transA && !p.transB && n.inputs[1] === m && n.inputs[0] !== m && row[n.inputs[0]!]!;
    }
    if (n.prim === 'sum') {
      const p = (n as OpNode<'sum'>).params;
      return p.axes.length === 1 && p.axes[0] === 0 && n.inputs[0] === m;
    }
    return false;
  };
  /** The product `G · op(W)` a sum reads, when the rewrite applies to it. */
  const candidate = (m: number): { G: number; W: number; transB: boolean } | undefined => {
    const n = g.nodes[m];
    if (!isOp(n) || n.prim !== 'matmul' || n.shape.length !== 2) return undefined;
    const p = (n as OpNode<'matmul'>).params;
    const [G, W] = n.inputs as [number, number];
    if (p.transA || !row[G] || row[W] || g.nodes[W]!.shape.length !== 2) return undefined;
    if (!uses[m]!.every((u) => isBatchSum(u, m))) return undefined;
    // Per row: forming G op(W) costs K·D (plus a·D per product sum over the batch); the rewrite a·K per product sum.
    const K = g.nodes[G]!.shape[1]!;
    const D = n.shape[1]!;
    let before = K * D;
    let after = 0;
    for (const u of uses[m]!) {
      const a = (g.nodes[u] as OpNode).prim === 'matmul' ? g.nodes[(g.nodes[u] as OpNode).inputs[0]!]!.shape[1]! : 1;
      before += a * D;
      after += a * K;
    }
    return after < before ? { G, W, transB: p.transB } : undefined;
  };

  const nodes: GraphNode[] = [];
  const newId = new Array<number>(g.nodes.length);
  const push = (n: Omit<OpNode, 'id'>): number => {
    const id = nodes.length;
    nodes.push({ ...n, id } as OpNode);
    return id;
  };
  for (const n of g.nodes) {
    if (!isOp(n)) {
      newId[n.id] = nodes.length;
      nodes.push({ ...n, id: nodes.length });
      continue;
    }
    const m = n.inputs[n.prim === 'matmul' ? 1 : 0]!;
    const c = (n.prim === 'matmul' || n.prim === 'sum') && isBatchSum(n.id, m) ? candidate(m) : undefined;
    if (c === undefined) {
      newId[n.id] = push({ ...n, inputs: n.inputs.map((i) => newId[i]!) });
      continue;
    }
    const [K, D] = [g.nodes[c.G]!.shape[1]!, g.nodes[m]!.shape[1]!];
    const dtype = n.dtype;
    if (n.prim === 'matmul') {
      // Xᵀ (G op(W)) = (Xᵀ G) op(W)
      const X = n.inputs[0]!;
      const a = g.nodes[X]!.shape[1]!;
      const inner = push({ kind: 'op', prim: 'matmul', inputs: [newId[X]!, newId[c.G]!], params: { transA: true, transB: false }, shape: [a, K], dtype });
      newId[n.id] = push({ kind: 'op', prim: 'matmul', inputs: [inner, newId[c.W]!], params: { transA: false, transB: c.transB }, shape: [a, D], dtype });
    } else {
      // Σ_rows G op(W) = (Σ_rows G) op(W)
      const keep = (n as OpNode<'sum'>).params.keepDims;
      const inner = push({ kind: 'op', prim: 'sum', inputs: [newId[c.G]!], params: { axes: [0], keepDims: true }, shape: [1, K], dtype });
      const prod = push({ kind: 'op', prim: 'matmul', inputs: [inner, newId[c.W]!], params: { transA: false, transB: c.transB }, shape: [1, D], dtype });
      newId[n.id] = keep ? prod : push({ kind: 'op', prim: 'reshape', inputs: [prod], params: { shape: [D] }, shape: [D], dtype });
    }
  }
  return { nodes, inputs: g.inputs.map((i) => newId[i]!), outputs: g.outputs.map((o) => newId[o]!) };
}
