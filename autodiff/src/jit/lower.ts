/**
 * Lowering: from an analysed step ({@link StepAnalysis}) to a
 * {@link SequenceProgram} of buffers, products and fused loops.
 *
 * Per phase, the nodes are scheduled in stages separated by the products
 * (and by the sums over a row's columns of layer normalization): a stage
 * first runs its products, then one fused loop per column width computing
 * every value the stage must store. Everything elementwise between two
 * products becomes one loop, with no tensor per op.
 *
 * Values are addressed by columns: a slice of a stored value is a load at a
 * column offset, a concatenation is stored piece by piece into one buffer,
 * and elementwise work on either is done piece by piece (the rule's
 * `pad` and `concat` of cotangents included). So the gate blocks of an LSTM
 * never exist as separate tensors: the loop that computes them reads the
 * product's output at each gate's offset.
 *
 * @module
 */
import type { BufferRef, LoopExpr, LoopKernel, ProgramBuffer, ProgramInstr, ProgramPhase, SequenceProgram } from '@mnemo/core';
import type { OpNode, GraphNode } from './graph.js';
import { isElementwise, type Phase, type StepAnalysis } from './analyze.js';
import { CompileDeclined } from './trace.js';

/** Where a value lives for the loops: a buffer's rows (or one row, broadcast), from a column. */
interface Loc {
  readonly buffer: number;
  readonly slot: 0 | 1;
  readonly col: number;
  /** The same row for every row of the batch (an invariant vector or scalar). */
  readonly broadcastRows: boolean;
}

/** An expression under construction (before it is numbered into a kernel). */
type Expr =
  | { readonly t: 'load'; readonly loc: Loc; readonly col: number; readonly splat: boolean }
  | { readonly t: 'const'; readonly value: number }
  | { readonly t: 'op'; readonly op: string; readonly args: readonly Expr[] };

/** What the orchestrator needs to run a lowered step. @internal */
export interface LoweredStep {
  readonly program: SequenceProgram;
  /** Invariant nodes to compute (in order) before a call, from the parameters and constants. */
  readonly invNodes: readonly number[];
  /** Invariant values to write into buffers at the start of a call. */
  readonly invBuffers: readonly { readonly node: number; readonly buffer: number }[];
  /** Per state leaf: its buffer (slot s: the state before step s). */
  readonly stateBuffers: readonly number[];
  readonly xBuffer: number;
  readonly maskBuffer: number | undefined;
  /** Where each step's output is: a buffer and slot (slot 1 of a state buffer: after the step). */
  readonly y: { readonly buffer: number; readonly slot: 0 | 1 };
  /** Training: per state leaf, the buffer of its cotangent (slot s + 1 in, slot s out). */
  readonly ctStateBuffers: readonly number[];
  readonly ctYBuffer: number | undefined;
  /** Where the input's cotangent of each step is, when it is computed in a loop. */
  readonly ctX: { readonly buffer: number } | { readonly node: number } | undefined;
  /** The sums over the batch: accumulated over every step into flat buffers. */
  readonly reductions: readonly { readonly node: number; readonly buffer: number; readonly colsum: boolean }[];
  /** Nodes computed after all chunks from the sums (the parameters' cotangents), in order. */
  readonly redNodes: readonly number[];
}

/** Tile sizes of the backend's products: rows and columns of one register tile. @internal */
export interface Tiles {
  readonly mr: number;
  readonly nr: number;
}

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

const PHASE_ORDER: readonly Phase[] = ['pre', 'fwd', 'bwd', 'post'];
const PROGRAM_ORDER: readonly ProgramPhase[] = ['once', 'pre', 'fwd', 'bwd', 'post'];

/** What recomputing an elementwise op costs, in additions (transcendental functions are polynomials). */
function opCost(prim: string): number {
  switch (prim) {
    case 'exp': case 'expm1': case 'tanh': case 'sigmoid': case 'log': case 'log1p': case 'sin': case 'cos': case 'pow':
      return 16;
    case 'div': case 'sqrt': case 'rsqrt': case 'reciprocal':
      return 4;
    default:
      return 1;
  }
}

/** A value read in a later stage is recomputed there when that costs at most this (see {@link opCost}); else it is stored. */
const RECOMPUTE_LIMIT = 8;

/**
 * Lower an analysed step for inference (`train` false: the forward pass
 * only) or training.
 * @internal
 */
export function lowerStep(a: StepAnalysis, train: boolean, tiles: Tiles): LoweredStep {
  return new Lowering(a, train, tiles).run();
}

class Lowering {
  private readonly nodes: readonly GraphNode[];
  private readonly buffers: ProgramBuffer[] = [];
  private readonly kernels: LoopKernel[] = [];
  private readonly phases: Record<ProgramPhase, ProgramInstr[]> = { once: [], pre: [], fwd: [], bwd: [], post: [] };
  /** Where each node's value is stored, once it is. */
  private readonly loc = new Map<number, Loc>();
  /** Which phase stored each node (for availability). */
  private readonly storedIn = new Map<number, ProgramPhase | 'call'>();
  private readonly phaseOf: readonly (Phase | undefined)[];
  private readonly packedOf = new Map<string, number>();
  /**
   * Invariant values as the loops read them (a row vector, a scalar, or one row per batch row), and
   * invariant matrices as products read them: one value may be both, in two buffers.
   */
  private readonly elementLoc = new Map<number, Loc>();
  private readonly matrixOf = new Map<number, number>();
  /** Outputs that share their value with an earlier output: copied into their slots by the phase named. */
  private readonly copies: { node: number; loc: Loc; phase: ProgramPhase }[] = [];
  private readonly invBuffers: { node: number; buffer: number }[] = [];

  constructor(
    private readonly a: StepAnalysis,
    private readonly train: boolean,
    private readonly tiles: Tiles,
  ) {
    this.nodes = a.graph.nodes;
    this.phaseOf = train ? a.phase : forwardOnly(a);
  }

  private width(n: number): number {
    const s = this.nodes[n]!.shape;
    return s.length === 0 ? 1 : s[s.length - 1]!;
  }

  private addBuffer(b: ProgramBuffer): number {
    this.buffers.push(b);
    return this.buffers.length - 1;
  }

  /** Whether the value of `n` can be read in phase `p` from where it is stored. */
  private available(n: number, p: ProgramPhase): boolean {
    const at = this.storedIn.get(n);
    if (at === undefined) return false;
    if (at === 'call' || at === p) return true;
    // A temp buffer lives within one step of the phase that writes it.
    if (this.buffers[this.loc.get(n)!.buffer]!.kind === 'temp') return false;
    return PROGRAM_ORDER.indexOf(at) < PROGRAM_ORDER.indexOf(p);
  }

  private store(n: number, loc: Loc, at: ProgramPhase | 'call'): void {
    this.loc.set(n, loc);
    this.storedIn.set(n, at);
  }

  run(): LoweredStep {
    const { a, nodes } = this;
    const { roles, graph, outputs } = a;
    const B = a.batch;
    // Inputs.
    const stateBuffers: number[] = [];
    const ctStateBuffers: number[] = [];
    let xBuffer = -1;
    let maskBuffer: number | undefined;
    let ctYBuffer: number | undefined;
    for (const id of graph.inputs) {
      const n = nodes[id]!;
      const r = roles[(n as { index: number }).index]!;
      const w = this.width(id);
      if (r.kind === 'state') {
        const b = this.addBuffer({ kind: 'state', width: w, ld: w, name: `state ${r.index}` });
        stateBuffers[r.index] = b;
        this.store(id, { buffer: b, slot: 0, col: 0, broadcastRows: false }, 'call');
      } else if (r.kind === 'x') {
        xBuffer = this.addBuffer({ kind: 'seq', width: w, ld: w, name: 'x' });
        this.store(id, { buffer: xBuffer, slot: 0, col: 0, broadcastRows: false }, 'call');
      } else if (r.kind === 'mask') {
        maskBuffer = this.addBuffer({ kind: 'seq', width: 1, ld: 1, name: 'mask' });
        this.store(id, { buffer: maskBuffer, slot: 0, col: 0, broadcastRows: false }, 'call');
      } else if (r.kind === 'ctState' && this.train) {
        const b = this.addBuffer({ kind: 'state', width: w, ld: w, name: `cotangent of state ${r.index}` });
        ctStateBuffers[r.index] = b;
        this.store(id, { buffer: b, slot: 1, col: 0, broadcastRows: false }, 'call');
      } else if (r.kind === 'ctY' && this.train) {
        ctYBuffer = this.addBuffer({ kind: 'seq', width: w, ld: w, name: 'cotangent of y' });
        this.store(id, { buffer: ctYBuffer, slot: 0, col: 0, broadcastRows: false }, 'call');
      }
    }
    // The forward outputs: the new state goes to slot 1 of the state buffers.
    const fixed = new Map<number, Loc>();
    // An output that is the same value as another (two state entries equal, say) is copied into its slot.
    const also = (o: number, loc: Loc): void => void this.copies.push({ node: o, loc, phase: this.phaseHome(o)! });
    outputs.state.forEach((o, j) => {
      const loc: Loc = { buffer: stateBuffers[j]!, slot: 1, col: 0, broadcastRows: false };
      if (!fixed.has(o)) fixed.set(o, loc);
      else also(o, loc);
    });
    const yFixed = fixed.get(outputs.y);
    const yBuffer = yFixed ? yFixed.buffer : this.addBuffer({ kind: 'seq', width: this.width(outputs.y), ld: this.width(outputs.y), name: 'y' });
    if (!yFixed) fixed.set(outputs.y, { buffer: yBuffer, slot: 0, col: 0, broadcastRows: false });
    let ctX: LoweredStep['ctX'];
    if (this.train) {
      // Every step writes the cotangent it passes back, even one that is constant (zero, for a state
      // entry the step does not read): the step before reads it.
      (outputs.ctState ?? []).forEach((o, j) => {
        const loc: Loc = { buffer: ctStateBuffers[j]!, slot: 0, col: 0, broadcastRows: false };
        if (!fixed.has(o)) fixed.set(o, loc);
        else this.copies.push({ node: o, loc, phase: 'bwd' });
      });
      const cx = outputs.ctX;
      if (cx !== undefined && this.phaseOf[cx] !== undefined) {
        if (this.a.space[cx] === 'row') {
          const w = this.width(cx);
          const buf = this.addBuffer({ kind: 'seq', width: w, ld: this.nodes[cx]!.kind === 'op' && (this.nodes[cx] as OpNode).prim === 'matmul' ? roundUp(w, this.tiles.nr) : w, name: 'cotangent of x' });
          if (!fixed.has(cx)) fixed.set(cx, { buffer: buf, slot: 0, col: 0, broadcastRows: false });
          ctX = { buffer: fixed.get(cx)!.buffer };
        } else ctX = { node: cx };
      }
    }

    // Invariant values: computed by the caller; those the loops read are written to buffers.
    const invNodes = nodes.filter((n) => this.phaseOf[n.id] === 'inv' && n.kind === 'op').map((n) => n.id);
    // Phases.
    for (const p of PHASE_ORDER) {
      if (!this.train && (p === 'bwd' || p === 'post')) continue;
      this.lowerPhase(p as ProgramPhase, fixed);
      this.writeCopies(p as ProgramPhase);
    }
    // Sums over the batch, after the post phase's loops.
    const reductions: { node: number; buffer: number; colsum: boolean }[] = [];
    const redNodes: number[] = [];
    if (this.train) {
      for (const r of a.reductions) {
        if (this.phaseOf[r] === undefined) continue;
        reductions.push(this.lowerReduction(r));
      }
      for (const n of nodes) if (this.phaseOf[n.id] === 'red' && !a.reductions.includes(n.id) && n.kind === 'op') redNodes.push(n.id);
    }
    const yLoc = fixed.get(outputs.y)!;
    return {
      program: { dtype: a.dtype === 'float64' ? 'float64' : 'float32', batch: B, buffers: this.buffers, kernels: this.kernels, phases: this.phases },
      invNodes,
      invBuffers: this.invBuffers,
      stateBuffers,
      xBuffer,
      maskBuffer,
      y: { buffer: yLoc.buffer, slot: yLoc.slot },
      ctStateBuffers,
      ctYBuffer,
      ctX,
      reductions,
      redNodes,
    };
  }

  // -------------------------------------------------------------------------
  // Invariant values in buffers
  // -------------------------------------------------------------------------

  /** The buffer location of an invariant value for the loops (written at the start of a call). */
  private invLoc(n: number): Loc {
    const have = this.elementLoc.get(n);
    if (have) return have;
    const s = this.nodes[n]!.shape;
    const B = this.a.batch;
    let loc: Loc;
    if (s.length === 2 && s[0] === B && B > 1) {
      const b = this.addBuffer({ kind: 'temp', width: s[1]!, ld: s[1]!, name: `invariant %${n}` });
      loc = { buffer: b, slot: 0, col: 0, broadcastRows: false };
    } else {
      const w = s.length === 0 ? 1 : s[s.length - 1]!;
      const b = this.addBuffer({ kind: 'flat', width: w, ld: w, rows: 1, name: `invariant %${n}` });
      loc = { buffer: b, slot: 0, col: 0, broadcastRows: true };
    }
    this.invBuffers.push({ node: n, buffer: loc.buffer });
    this.elementLoc.set(n, loc);
    return loc;
  }

  /** A flat buffer holding the invariant matrix `n` `[K, N]` (a product's right operand). */
  private invMatrix(n: number): number {
    const have = this.matrixOf.get(n);
    if (have !== undefined) return have;
    const [K, N] = this.nodes[n]!.shape as [number, number];
    const b = this.addBuffer({ kind: 'flat', width: N, ld: N, rows: K, name: `matrix %${n}` });
    this.invBuffers.push({ node: n, buffer: b });
    this.matrixOf.set(n, b);
    return b;
  }

  /** The packed copy of invariant matrix `n` for products in the loops (`transposed`: used as its transpose). */
  private packed(n: number, transposed: boolean): number {
    const key = `${n}:${transposed}`;
    const have = this.packedOf.get(key);
    if (have !== undefined) return have;
    const src = this.invMatrix(n);
    const [r, c] = this.nodes[n]!.shape as [number, number];
    // As a right operand: [k, n] plain, or stored [n, k] when transposed.
    const k = transposed ? c : r;
    const nn = transposed ? r : c;
    const dst = this.addBuffer({ kind: 'flat', width: roundUp(nn, this.tiles.nr), ld: roundUp(nn, this.tiles.nr), rows: k, packed: { n: nn, k }, name: `packed %${n}${transposed ? 'ᵀ' : ''}` });
    this.phases.once.push({ kind: 'pack', src, dst, n: nn, k, transposed });
    this.packedOf.set(key, dst);
    return dst;
  }

  // -------------------------------------------------------------------------
  // One phase
  // -------------------------------------------------------------------------

  private inPhase(n: number, p: ProgramPhase): boolean {
    return this.phaseOf[n] === p;
  }

  private lowerPhase(p: ProgramPhase, fixed: ReadonlyMap<number, Loc>): void {
    const { nodes, a } = this;
    const members = nodes.filter((n) => this.inPhase(n.id, p) && n.kind === 'op').map((n) => n.id);
    if (members.length === 0) {
      this.writePassThrough(p, fixed);
      return;
    }
    const perStep = p === 'fwd' || p === 'bwd';
    const memberSet = new Set(members);
    // What must be stored: outputs fixed in place, values read by other phases, products' left operands.
    const targets = new Map<number, Loc | 'seq' | 'temp'>();
    for (const n of members) {
      const f = fixed.get(n);
      if (f) targets.set(n, f);
      const users = a.uses[n]!.filter((u) => this.phaseOf[u] !== undefined);
      if (users.some((u) => !memberSet.has(u))) {
        if (!f) targets.set(n, 'seq');
      }
    }
    // Levels: products and row sums start a new stage.
    const level = new Map<number, number>();
    const lvl = (i: number): number => (memberSet.has(i) ? level.get(i)! : 0);
    for (const n of members) {
      const node = nodes[n] as OpNode;
      if (node.prim === 'matmul') {
        const A = node.inputs[0]!;
        level.set(n, memberSet.has(A) ? lvl(A) + 1 : 0);
      } else if (node.prim === 'sum') level.set(n, lvl(node.inputs[0]!) + 1);
      else level.set(n, Math.max(0, ...node.inputs.map(lvl)));
    }
    // Values broadcast from one column are stored (the wider loops read them one per row). Values
    // read across a stage boundary are recomputed there from what is stored, unless that costs
    // more than storing and loading them (transcendental functions).
    const always = (i: number): boolean => !memberSet.has(i) || targets.has(i) || (nodes[i] as OpNode).prim === 'matmul' || (nodes[i] as OpNode).prim === 'sum';
    const cost = (i: number, memo = new Map<number, number>()): number => {
      if (always(i)) return 0;
      const have = memo.get(i);
      if (have !== undefined) return have;
      const node = nodes[i] as OpNode;
      const c = opCost(node.prim) + node.inputs.reduce((acc, j) => acc + cost(j, memo), 0);
      memo.set(i, c);
      return c;
    };
    for (const n of members) {
      const node = nodes[n] as OpNode;
      for (const i of node.inputs) {
        if (!memberSet.has(i) || targets.has(i)) continue;
        const crosses = lvl(i) < level.get(n)! && node.prim !== 'sum' && cost(i) > RECOMPUTE_LIMIT;
        const narrow = this.width(i) === 1 && this.width(n) > 1;
        if (crosses || narrow) targets.set(i, 'temp');
      }
    }
    // Left operands of products: a stored value with rows exactly k wide, at column 0.
    const maxLevel = Math.max(...members.map((n) => level.get(n)!));
    for (let L = 0; L <= maxLevel; L++) {
      const stage = members.filter((n) => level.get(n) === L);
      // Products of this stage.
      for (const n of stage) {
        const node = nodes[n] as OpNode<'matmul'>;
        if (node.prim !== 'matmul') continue;
        this.lowerProduct(p, node, targets.get(n), perStep);
      }
      // Stored values of this stage, in one fused loop per width (narrow ones first: wider loops may read them).
      const stores: { node: number; loc: Loc }[] = [];
      const sums: { node: number; loc: Loc }[] = [];
      for (const n of stage) {
        const node = nodes[n] as OpNode;
        if (node.prim === 'matmul') continue;
        const t = targets.get(n);
        if (t !== undefined) {
          const loc = typeof t === 'object' ? t : this.newRowBuffer(n, t === 'seq' || !perStep ? 'seq' : 'temp');
          stores.push({ node: n, loc });
        }
      }
      // Row sums whose input is computed in this stage (their level is L + 1).
      for (const n of members) {
        const node = nodes[n] as OpNode;
        if (node.prim !== 'sum' || level.get(n) !== L + 1) continue;
        const t = targets.get(n);
        const loc = typeof t === 'object' ? t : this.newRowBuffer(n, t === 'seq' || !perStep ? 'seq' : 'temp');
        sums.push({ node: n, loc });
      }
      // Sums whose input is not computed in this phase at all: level 1 reads an available value in stage 0.
      this.emitLoops(p, stores, sums);
      for (const s of stores) this.store(s.node, s.loc, p);
      for (const s of sums) this.store(s.node, s.loc, p);
    }
    // A fixed output that is a value computed elsewhere (an input passed through, or a product stored in a temp): copy it.
    for (const n of members) {
      const f = fixed.get(n);
      if (f && this.loc.get(n) !== f) {
        this.emitLoops(p, [{ node: n, loc: f }], []);
        this.store(n, f, p);
      }
    }
    this.writePassThrough(p, fixed);
  }

  /** Copy outputs that are the same value as another output into their own slots (after the phase stored the value). */
  private writeCopies(p: ProgramPhase): void {
    const mine = this.copies.filter((c) => c.phase === p);
    if (mine.length > 0) this.emitLoops(p, mine.map((c) => ({ node: c.node, loc: c.loc })), []);
  }

  /** Write the fixed outputs that no per-step phase computes (an input passed through, a constant): the phase that owns their slot does. */
  private writePassThrough(p: ProgramPhase, fixed: ReadonlyMap<number, Loc>): void {
    for (const [n, f] of fixed) {
      // Outputs that no per-step phase computes (an input passed through, a constant) are written by the phase that owns their slot.
      const computed = this.nodes[n]!.kind === 'op' && this.phaseOf[n] !== 'inv';
      if (computed || this.phaseHome(n) !== p || this.loc.get(n) === f) continue;
      this.emitLoops(p, [{ node: n, loc: f }], []);
    }
  }

  /** The phase that writes a fixed output that no phase computes (an input or invariant passed through). */
  private phaseHome(n: number): ProgramPhase | undefined {
    const { outputs } = this.a;
    if (outputs.state.includes(n) || outputs.y === n) return 'fwd';
    if ((outputs.ctState ?? []).includes(n) || outputs.ctX === n) return 'bwd';
    return undefined;
  }

  private newRowBuffer(n: number, kind: 'seq' | 'temp'): Loc {
    const w = this.width(n);
    const b = this.addBuffer({ kind, width: w, ld: w, name: `%${n}` });
    return { buffer: b, slot: 0, col: 0, broadcastRows: false };
  }

  /** A product `row · W` (W invariant), stored in a fresh buffer of rows padded to the tile's width. */
  private lowerProduct(p: ProgramPhase, node: OpNode<'matmul'>, target: Loc | 'seq' | 'temp' | undefined, perStep: boolean): void {
    const [A, W] = node.inputs as [number, number];
    const { transB } = node.params;
    const [K, N] = [this.nodes[A]!.shape[1]!, node.shape[1]!];
    const aRef = this.leftOperand(p, A, K);
    const kind: 'seq' | 'temp' = target === 'seq' || !perStep || typeof target === 'object' ? 'seq' : 'temp';
    // A fixed output whose rows are padded to the tile's width is written by the product directly.
    const direct = typeof target === 'object' && target.col === 0 && this.buffers[target.buffer]!.ld === roundUp(N, this.tiles.nr);
    const cLoc: Loc = direct
      ? target
      : { buffer: this.addBuffer({ kind: kind === 'temp' ? 'temp' : 'seq', width: N, ld: roundUp(N, this.tiles.nr), name: `%${node.id}` }), slot: 0, col: 0, broadcastRows: false };
    if (perStep) {
      const packed = this.packed(W, transB);
      this.phases[p].push({ kind: 'gemm', a: aRef, b: { buffer: packed, slot: 0, col: 0 }, c: cLoc, m: 'rows', n: N, k: K, transA: false, transB: false, packed: true, accumulate: false });
    } else {
      const w = this.invMatrix(W);
      this.phases[p].push({ kind: 'gemm', a: aRef, b: { buffer: w, slot: 0, col: 0 }, c: cLoc, m: 'rows', n: N, k: K, transA: false, transB, packed: false, accumulate: false });
    }
    this.store(node.id, cLoc, p);
    if (typeof target === 'object' && !direct) {
      // A fixed output: copied from the product by a loop of the same stage.
      this.emitLoops(p, [{ node: node.id, loc: target }], []);
      this.store(node.id, target, p);
    }
  }

  /** A reference to the rows of `n` as a product's left operand (exactly `k` wide, from column 0), storing a copy if needed. */
  private leftOperand(p: ProgramPhase, n: number, k: number): BufferRef {
    const at = this.loc.get(n);
    if (at && this.available(n, p) && at.col === 0 && !at.broadcastRows && this.buffers[at.buffer]!.ld === k) return { buffer: at.buffer, slot: at.slot, col: 0 };
    const kind = p === 'fwd' || p === 'bwd' ? 'temp' : 'seq';
    const loc = this.newRowBuffer(n, kind);
    this.emitLoops(p, [{ node: n, loc }], []);
    this.store(n, loc, p);
    return { buffer: loc.buffer, slot: 0, col: 0 };
  }

  /** A sum over the batch (and over every step): a product `aᵀ b` or column sums, into an accumulator. */
  private lowerReduction(r: number): { node: number; buffer: number; colsum: boolean } {
    const node = this.nodes[r] as OpNode;
    if (node.prim === 'matmul') {
      const [A, G] = node.inputs as [number, number];
      const aRef = this.stepOperand(A);
      const gRef = this.stepOperand(G);
      const [M, N] = node.shape as [number, number];
      const buf = this.addBuffer({ kind: 'flat', width: N, ld: roundUp(N, this.tiles.nr), rows: M, name: `sum %${r}` });
      this.phases.post.push({ kind: 'gemm', a: aRef, b: gRef, c: { buffer: buf, slot: 0, col: 0 }, m: M, n: N, k: 'rows', transA: true, transB: false, packed: false, accumulate: true });
      return { node: r, buffer: buf, colsum: false };
    }
    // sum over axes including 0 of a [batch, w] value: column sums (the caller sums the columns too when axis 1 is reduced).
    const x = node.inputs[0]!;
    const w = this.width(x);
    const src = this.stepOperand(x);
    const buf = this.addBuffer({ kind: 'flat', width: w, ld: w, rows: 1, float64: true, name: `column sums %${r}` });
    this.phases.post.push({ kind: 'colsum', src, dst: buf, width: w });
    return { node: r, buffer: buf, colsum: true };
  }

  /** A per-step value for the post phase's products and sums: stored rows exactly as wide as the value, from column 0. */
  private stepOperand(n: number): BufferRef {
    const at = this.loc.get(n);
    const w = this.width(n);
    if (at && !at.broadcastRows && at.col === 0 && this.buffers[at.buffer]!.kind !== 'temp' && this.buffers[at.buffer]!.ld === w) return { buffer: at.buffer, slot: at.slot, col: 0 };
    if (!at && this.nodes[n]!.kind !== 'op') throw new CompileDeclined(`a sum over the batch reads %${n}, which is not stored`);
    const loc = this.newRowBuffer(n, 'seq');
    this.emitLoops('post', [{ node: n, loc }], []);
    this.store(n, loc, 'post');
    return { buffer: loc.buffer, slot: 0, col: 0 };
  }

  // -------------------------------------------------------------------------
  // Fused loops
  // -------------------------------------------------------------------------

  /** Emit the loops that store `stores` (whole values) and row sums `sums` in phase `p`. */
  private emitLoops(p: ProgramPhase, stores: { node: number; loc: Loc }[], sums: readonly { node: number; loc: Loc }[]): void {
    if (stores.length === 0 && sums.length === 0) return;
    // Values one column wide are stored first, so that the wider loops read them broadcast along the row.
    const narrow = stores.filter((s) => this.width(s.node) === 1 && !this.available(s.node, p));
    if (narrow.length > 0 && narrow.length < stores.length) {
      this.emitLoops(p, narrow, []);
      for (const s of narrow) this.store(s.node, s.loc, p);
      stores = stores.filter((s) => !narrow.includes(s));
    }
    const memo = new Map<string, Expr>();
    const byWidth = new Map<number, { stores: { loc: Loc; col: number; expr: Expr }[]; sums: { loc: Loc; expr: Expr }[] }>();
    const group = (w: number) => {
      let g = byWidth.get(w);
      if (!g) byWidth.set(w, (g = { stores: [], sums: [] }));
      return g;
    };
    for (const s of stores) {
      const W = this.width(s.node);
      for (const [c, w] of this.pieces(p, s.node, 0, W)) group(w).stores.push({ loc: s.loc, col: c, expr: this.exprOf(p, s.node, c, w, memo) });
    }
    for (const s of sums) {
      const x = (this.nodes[s.node] as OpNode).inputs[0]!;
      const W = this.width(x);
      for (const [c, w] of this.pieces(p, x, 0, W)) group(w).sums.push({ loc: s.loc, expr: this.exprOf(p, x, c, w, memo) });
    }
    const written = new Set<string>();
    for (const w of [...byWidth.keys()].sort((x, y) => x - y)) {
      const g = byWidth.get(w)!;
      this.emitKernel(p, w, g.stores, g.sums, written);
    }
  }

  /**
   * The column pieces `[start, width]` of columns `[c, c + w)` of node `n`
   * that each are one expression (concatenations and pads cut a value into
   * pieces; slices select among them).
   */
  private pieces(p: ProgramPhase, n: number, c: number, w: number): [number, number][] {
    const cuts = new Set<number>([c, c + w]);
    this.collectCuts(p, n, c, w, cuts);
    const sorted = [...cuts].sort((x, y) => x - y);
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < sorted.length; i++) out.push([sorted[i]!, sorted[i + 1]! - sorted[i]!]);
    return out;
  }

  /** Add to `cuts` the columns in (c, c + w) where `n`'s value changes from one expression to another. */
  private collectCuts(p: ProgramPhase, n: number, c: number, w: number, cuts: Set<number>): void {
    const node = this.nodes[n]!;
    if (this.available(n, p)) return;
    if (node.kind !== 'op' || this.phaseOf[n] === 'inv') return;
    const W = this.width(n);
    switch (node.prim) {
      case 'slice': {
        const off = (node as OpNode<'slice'>).params.begin[1]!;
        const inner = new Set<number>();
        this.collectCuts(p, node.inputs[0]!, c + off, w, inner);
        for (const x of inner) if (x > c + off && x < c + off + w) cuts.add(x - off);
        return;
      }
      case 'concat':
      case 'pad': {
        let start = 0;
        for (const part of this.columnParts(node)) {
          const lo = Math.max(c, start);
          const hi = Math.min(c + w, start + part.width);
          if (lo < hi) {
            if (start > c && start < c + w) cuts.add(start);
            if (part.id !== null) {
              const inner = new Set<number>();
              this.collectCuts(p, part.id, lo - start, hi - lo, inner);
              for (const x of inner) if (x > lo - start && x < hi - start) cuts.add(x + start);
            }
          }
          start += part.width;
        }
        return;
      }
      case 'matmul':
      case 'sum':
        return; // stored values (products and sums are always stored before use)
      default: {
        if (!(isElementwise(node.prim) || node.prim === 'identity' || node.prim === 'reshape' || node.prim === 'broadcastTo')) return;
        for (const i of node.inputs) {
          if (this.phaseOf[i] === 'inv' || this.nodes[i]!.kind !== 'op' && !this.isRowInput(i)) continue;
          if (this.width(i) !== W) continue; // broadcast along columns: one piece
          this.collectCuts(p, i, c, w, cuts);
        }
      }
    }
  }

  /** The column pieces of a concatenation (its inputs) or of a pad (zeros, its input, zeros): `id` null for zeros. */
  private columnParts(node: OpNode): { id: number | null; width: number }[] {
    if (node.prim === 'concat') return node.inputs.map((i) => ({ id: i, width: this.width(i) }));
    const [before, after] = (node as OpNode<'pad'>).params.widths[1]!;
    return [
      { id: null, width: before },
      { id: node.inputs[0]!, width: this.width(node.inputs[0]!) },
      { id: null, width: after },
    ];
  }

  private isRowInput(n: number): boolean {
    return this.a.space[n] === 'row';
  }

  /** The expression of columns `[c, c + w)` of `n` (one piece, see {@link Lowering.pieces}). */
  private exprOf(p: ProgramPhase, n: number, c: number, w: number, memo: Map<string, Expr>): Expr {
    const key = `${n}:${c}:${w}`;
    const have = memo.get(key);
    if (have) return have;
    const e = this.exprOfUncached(p, n, c, w, memo);
    memo.set(key, e);
    return e;
  }

  private exprOfUncached(p: ProgramPhase, n: number, c: number, w: number, memo: Map<string, Expr>): Expr {
    const node = this.nodes[n]!;
    const W = this.width(n);
    if (this.available(n, p)) {
      const loc = this.loc.get(n)!;
      return { t: 'load', loc, col: W === 1 ? 0 : c, splat: W === 1 };
    }
    if (node.kind === 'const') {
      if (node.value.size === 1) return { t: 'const', value: node.value.toArray()[0]! };
      const loc = this.invLoc(n);
      return { t: 'load', loc, col: W === 1 ? 0 : c, splat: W === 1 };
    }
    if (node.kind === 'input' || this.phaseOf[n] === 'inv') {
      if (this.phaseOf[n] === 'inv' || this.a.space[n] === 'inv') {
        const loc = this.invLoc(n);
        return { t: 'load', loc, col: W === 1 ? 0 : c, splat: W === 1 };
      }
      throw new CompileDeclined(`internal: input %${n} is not available in the ${p} phase`);
    }
    if (this.phaseOf[n] !== p && !this.available(n, p)) {
      throw new CompileDeclined(`internal: %${n} (${(node as OpNode).prim}, ${this.phaseOf[n]}) is read in the ${p} phase before it is stored`);
    }
    const op = node as OpNode;
    const sub = (i: number): Expr => {
      const wi = this.width(i);
      if (wi === 1 && W > 1) return this.exprOf(p, i, 0, 1, memo);
      return this.exprOf(p, i, c, w, memo);
    };
    switch (op.prim) {
      case 'identity':
      case 'reshape':
        return sub(op.inputs[0]!);
      case 'broadcastTo':
        return sub(op.inputs[0]!);
      case 'slice':
        return this.exprOf(p, op.inputs[0]!, c + (op as OpNode<'slice'>).params.begin[1]!, w, memo);
      case 'concat':
      case 'pad': {
        let start = 0;
        for (const part of this.columnParts(op)) {
          if (c >= start && c + w <= start + part.width) return part.id === null ? { t: 'const', value: 0 } : this.exprOf(p, part.id, c - start, w, memo);
          start += part.width;
        }
        throw new CompileDeclined(`internal: columns [${c}, ${c + w}) of %${n} cross a piece`);
      }
      case 'matmul':
      case 'sum':
        throw new CompileDeclined(`internal: %${n} (${op.prim}) is read before it is stored`);
      default: {
        if (!isElementwise(op.prim)) throw new CompileDeclined(`${op.prim} is not supported in a compiled step`, op.prim);
        const args = op.inputs.map(sub);
        // x + 0, 0 + x, x - 0, x · 1, 1 · x: the cotangents of slices and pads are full of them.
        const isConst = (e: Expr, v: number): boolean => e.t === 'const' && e.value === v;
        if (op.prim === 'add' && isConst(args[1]!, 0)) return args[0]!;
        if (op.prim === 'add' && isConst(args[0]!, 0)) return args[1]!;
        if (op.prim === 'sub' && isConst(args[1]!, 0)) return args[0]!;
        if (op.prim === 'mul' && isConst(args[1]!, 1)) return args[0]!;
        if (op.prim === 'mul' && isConst(args[0]!, 1)) return args[1]!;
        return { t: 'op', op: op.prim, args };
      }
    }
  }

  /** Number the expressions of one loop's stores and sums into a {@link LoopKernel}, and emit the loop. */
  private emitKernel(
    p: ProgramPhase,
    width: number,
    stores: readonly { loc: Loc; col: number; expr: Expr }[],
    sums: readonly { loc: Loc; expr: Expr }[],
    written: Set<string>,
  ): void {
    const args: { ld: number; perRow: boolean }[] = [];
    const refs: BufferRef[] = [];
    const argIndex = new Map<string, number>();
    const argOf = (loc: Loc, col: number): number => {
      const key = `${loc.buffer}:${loc.slot}:${loc.col + col}`;
      let i = argIndex.get(key);
      if (i === undefined) {
        i = args.length;
        args.push({ ld: this.buffers[loc.buffer]!.ld, perRow: !loc.broadcastRows });
        refs.push({ buffer: loc.buffer, slot: loc.slot, col: loc.col + col });
        argIndex.set(key, i);
      }
      return i;
    };
    const exprs: LoopExpr[] = [];
    const index = new Map<Expr, number>();
    const constIndex = new Map<number, number>();
    const number = (e: Expr): number => {
      const have = index.get(e);
      if (have !== undefined) return have;
      let out: LoopExpr;
      if (e.t === 'load') out = e.splat ? { op: 'splat', arg: argOf(e.loc, e.col) } : { op: 'load', arg: argOf(e.loc, e.col) };
      else if (e.t === 'const') {
        const k = constIndex.get(e.value);
        if (k !== undefined) return k;
        out = { op: 'const', value: e.value };
      } else {
        const xs = e.args.map(number);
        if (e.op === 'where') out = { op: 'select', c: xs[0]!, a: xs[1]!, b: xs[2]! };
        else if (xs.length === 1) out = { op: e.op, x: xs[0]! } as LoopExpr;
        else out = { op: e.op, a: xs[0]!, b: xs[1]! } as LoopExpr;
      }
      exprs.push(out);
      const i = exprs.length - 1;
      index.set(e, i);
      if (e.t === 'const') constIndex.set(e.value, i);
      return i;
    };
    const kStores = stores.map((s) => ({ arg: argOf(s.loc, s.col), expr: number(s.expr) }));
    const kSums = sums.map((s) => {
      const key = `${s.loc.buffer}:${s.loc.slot}`;
      const accumulate = written.has(key);
      written.add(key);
      return { arg: argOf(s.loc, 0), expr: number(s.expr), accumulate };
    });
    const kernel: LoopKernel = { width, args, exprs, stores: kStores, sums: kSums };
    this.kernels.push(kernel);
    this.phases[p].push({ kind: 'loop', kernel: this.kernels.length - 1, args: refs });
  }
}

/** The phases of an inference trace: the forward pass only, with nothing kept for a backward pass. */
function forwardOnly(a: StepAnalysis): (Phase | undefined)[] {
  const { graph, outputs } = a;
  const live = new Array<boolean>(graph.nodes.length).fill(false);
  for (const o of [...outputs.state, outputs.y]) live[o] = true;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (live[i] && n.kind === 'op') for (const j of n.inputs) live[j] = true;
  }
  return a.phase.map((p, i) => (live[i] ? (p === 'bwd' || p === 'post' ? 'fwd' : p) : undefined));
}
