/**
 * The tape: a record of the primitives applied to traced tensors during one
 * call of {@link vjp}, walked backwards by the pullback.
 *
 * A tensor is traced by a tape when it is one of the tape's inputs or the
 * output of a primitive recorded on it. Tapes nest: while an inner `vjp` runs,
 * an op is recorded on every active tape that traces one of its inputs, so the
 * backward pass of an inner tape, itself made of ops, is recorded by the outer
 * ones. That is how gradients of gradients work, and why nesting levels never
 * confuse each other: each tape knows exactly which tensors it traces.
 *
 * @module
 */
import { MnemoError, ShapeError, DTypeError, formatShape, shapesEqual, unsafeDataOf, unsafeFromData, type Tensor } from '@mnemo/core';
import { backwardChecked, checkPrimitive, debugNansOn } from './debug-nans.js';
import { IMPLS, type Prim, type PrimParams } from './prims.js';

/**
 * A primitive's backward rule: given the output's cotangent and the
 * primal inputs and output, return one cotangent per input (or `null` for an
 * input that gets no gradient, such as indices).
 *
 * @example
 * ```ts
 * import { mul, type VjpRule } from '@mnemo/autodiff';
 * // d(x^2) = 2x dx
 * const rule: VjpRule<'square'> = (g, { inputs: [x] }) => [mul(g, mul(x!, 2))];
 * console.assert(typeof rule === 'function');
 * ```
 * @category Primitives
 */
export type VjpRule<P extends Prim> = (
  ct: Tensor,
  primal: { readonly inputs: readonly Tensor[]; readonly output: Tensor; readonly params: PrimParams[P] },
) => readonly (Tensor | null)[];

/**
 * One entry of a tape: a primitive (or a composite such as a custom VJP) with
 * its inputs, outputs, parameters and backward function.
 *
 * @example
 * ```ts
 * import { traceTape, tanh, type TapeEntry } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const entries: readonly TapeEntry[] = traceTape((x: Tensor) => tanh(x), tensor([1], 'float64')).entries;
 * console.assert(entries[entries.length - 1]!.name === 'tanh');
 * ```
 * @category Tape
 */
export interface TapeEntry {
  /** The primitive's name, or `customVjp` / `checkpoint` for composite nodes. */
  readonly name: string;
  /** The tensors it read. */
  readonly inputs: readonly Tensor[];
  /** The tensors it produced. */
  readonly outputs: readonly Tensor[];
  /** The static parameters. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Maps output cotangents (null where an output got none) to input cotangents. */
  readonly backward: (cts: readonly (Tensor | null)[]) => readonly (Tensor | null)[];
}

/** @internal */
export class Tape {
  readonly entries: TapeEntry[] = [];
  private readonly traced = new Set<Tensor>();
  readonly inputs: Tensor[] = [];

  traces(x: Tensor): boolean {
    return this.traced.has(x);
  }

  addInput(x: Tensor): void {
    this.traced.add(x);
    this.inputs.push(x);
  }

  record(entry: TapeEntry): void {
    this.entries.push(entry);
    for (const o of entry.outputs) this.traced.add(o);
  }

  /**
   * Walk the tape backwards from the given output cotangents; returns the
   * cotangent of every traced tensor reached (summed where a tensor was used
   * more than once).
   */
  backward(seeds: ReadonlyMap<Tensor, Tensor>): Map<Tensor, Tensor> {
    const cts = new Map<Tensor, Tensor>(seeds);
    for (let e = this.entries.length - 1; e >= 0; e--) {
      const entry = this.entries[e]!;
      let any = false;
      const outCts = entry.outputs.map((o) => {
        const c = cts.get(o);
        if (c !== undefined) any = true;
        return c ?? null;
      });
      if (!any) continue;
      const inCts = debugNansOn ? backwardChecked(entry, outCts) : entry.backward(outCts);
      entry.inputs.forEach((x, i) => {
        const g = inCts[i];
        if (g === null || g === undefined || !this.traced.has(x)) return;
        checkCotangent(entry.name, i, x, g);
        const prev = cts.get(x);
        cts.set(x, prev === undefined ? g : bind('add', [prev, g], {}));
      });
    }
    return cts;
  }
}

function checkCotangent(name: string, i: number, x: Tensor, g: Tensor): void {
  if (!shapesEqual(x.shape, g.shape)) {
    throw new ShapeError(name, `input ${i}`, `the VJP rule returned a cotangent of shape ${formatShape(g.shape)} for an input of shape ${formatShape(x.shape)}`);
  }
  if (x.dtype !== g.dtype) {
    throw new DTypeError(name, `input ${i}`, `the VJP rule returned a ${g.dtype} cotangent for a ${x.dtype} input`);
  }
}

const active: Tape[] = [];
let paused = 0;

/** @internal */
export function pushTape(t: Tape): void {
  active.push(t);
}

/** @internal */
export function popTape(t: Tape): void {
  const top = active.pop();
  if (top !== t) throw new MnemoError('vjp', 'tape', 'tapes were not closed in the order they were opened');
}

/**
 * Run `f` as if no tape were active (tapes opened inside record as usual):
 * the cell compiler traces a step this way, whatever the caller records.
 * @internal
 */
export function isolated<T>(f: () => T): T {
  const saved = active.splice(0, active.length);
  const savedPaused = paused;
  paused = 0;
  try {
    return f();
  } finally {
    active.splice(0, active.length, ...saved);
    paused = savedPaused;
  }
}

/** Run `f` without recording anything on any tape. @internal */
export function untraced<T>(f: () => T): T {
  paused++;
  try {
    return f();
  } finally {
    paused--;
  }
}

/** Record an entry on every active tape that traces one of its inputs. @internal */
export function recordEverywhere(make: () => TapeEntry, inputs: readonly Tensor[]): void {
  if (paused > 0) return;
  let entry: TapeEntry | undefined;
  for (const t of active) {
    if (inputs.some((x) => t.traces(x))) t.record((entry ??= make()));
  }
}

/** Whether any recording tape traces `x` (so that a cotangent for it can be used). @internal */
export function tracedAnywhere(x: Tensor): boolean {
  return paused === 0 && active.some((t) => t.traces(x));
}

/** Whether any tape is recording. @internal */
export function recording(): boolean {
  return paused === 0 && active.length > 0;
}

/** Whether tapes are nested (a gradient of a gradient is being taken). @internal */
export function nestedRecording(): boolean {
  return paused === 0 && active.length > 1;
}

/**
 * Something that watches every primitive applied (the cell compiler's graph
 * recorder): `bound` after each `bind`, whether or not a tape records it;
 * `aliased` when autodiff gives a tensor a new identity without a primitive
 * (`stopGradient`, the outputs of `customVjp` and `checkpoint`).
 * @internal
 */
export interface BindObserver {
  bound(prim: Prim, inputs: readonly Tensor[], params: unknown, output: Tensor): void;
  aliased(from: Tensor, to: Tensor): void;
}

let observer: BindObserver | undefined;

/** Install a {@link BindObserver}; returns the one it replaces. @internal */
export function observeBinds(o: BindObserver | undefined): BindObserver | undefined {
  const previous = observer;
  observer = o;
  return previous;
}

/** Tell the observer that `to` is a new identity of `from`'s value. @internal */
export function noteAlias(from: Tensor, to: Tensor): void {
  observer?.aliased(from, to);
}

let rules: { readonly [P in Prim]: VjpRule<P> } | undefined;

/** @internal Installed by rules.ts, which is written in ops and so imports this module. */
export function installRules(table: { readonly [P in Prim]: VjpRule<P> }): void {
  rules = table;
}

/**
 * Apply a primitive to tensors: run its kernel on the current backend and,
 * when an input is traced, record it on the active tapes. Every op is a thin
 * wrapper around `bind`. This is the ops' own, unchecked `bind` (they build
 * valid parameters); the package exports the checked one (bind-checked.ts).
 *
 * @param prim - The primitive's name (see {@link PRIMS}).
 * @param args - Its input tensors.
 * @param params - Its static parameters (axes, shapes, flags), typed by primitive.
 * @returns The output tensor, recorded on every active tape that traces an input.
 * @throws ArgumentError - when an input is not a tensor or a parameter is invalid
 *   (the kernel names the op and the argument).
 * @throws ShapeError - when the inputs' shapes do not fit the primitive.
 * @throws DTypeError - when the inputs' dtypes differ.
 *
 * @internal
 */
export function bind<P extends Prim>(prim: P, args: readonly Tensor[], params: PrimParams[P]): Tensor {
  // The tape keeps its own copy of the input list: a caller may go on to push
  // into the array it passed (concat of a growing list of states).
  const inputs = args.slice();
  let output = (IMPLS[prim] as (xs: readonly Tensor[], p: PrimParams[P]) => Tensor)(inputs, params);
  // A kernel may hand back an input unchanged (transpose by the identity
  // permutation). The output needs its own identity, or the tape would take it
  // for that input and count its cotangent twice.
  if (inputs.includes(output)) output = unsafeFromData(unsafeDataOf(output), output.shape);
  // The debugging mode for non-finite values (debug-nans.ts): one boolean test when off.
  if (debugNansOn) checkPrimitive(prim, inputs, output);
  observer?.bound(prim, inputs, params, output);
  if (paused === 0 && active.length > 0) {
    recordEverywhere(() => {
      const rule = rules![prim] as VjpRule<P>;
      const primal = { inputs, output, params };
      return {
        name: prim,
        inputs,
        outputs: [output],
        params: params as Readonly<Record<string, unknown>>,
        backward: (cts) => rule(cts[0]!, primal),
      };
    }, inputs);
  }
  return output;
}
