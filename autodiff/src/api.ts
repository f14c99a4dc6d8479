/**
 * The functional API: `vjp`, `grad`, `valueAndGrad`, `jvp`,
 * `hessianVectorProduct`, `stopGradient`, `customVjp`, `checkpoint`, and
 * `traceTape` to look at what a tape records.
 *
 * @module
 */
import { ArgumentError, DTypeError, MnemoError, ShapeError, Tensor, checkFlag, checkOptions, formatShape, formatValue, shapesEqual, unsafeDataOf, unsafeFromData, zeros, scalar } from '@mnemo/core';
import { add, mul, sum } from './ops.js';
import './rules.js';
import { Tape, bind, noteAlias, nestedRecording, popTape, pushTape, recordEverywhere, recording, tracedAnywhere, untraced, type TapeEntry } from './tape.js';
import { checkComposite, debugNansOn } from './debug-nans.js';
import { describe, flatten, sameStructure, unflatten, type Tree, type TreeDef } from './tree.js';

/** A new tensor object sharing `x`'s (immutable) buffer, traced by nothing. */
function fresh(x: Tensor): Tensor {
  const y = unsafeFromData(unsafeDataOf(x), x.shape);
  noteAlias(x, y);
  return y;
}

function checkCotangents(op: string, outLeaves: readonly Tensor[], outDef: TreeDef, ct: unknown): Tensor[] {
  const [ctLeaves, ctDef] = flatten(ct, op, 'cotangent');
  if (!sameStructure(outDef, ctDef)) {
    throw new ArgumentError(op, 'cotangent', `structure ${describe(ctDef)} differs from the output's ${describe(outDef)}`);
  }
  ctLeaves.forEach((c, i) => {
    const o = outLeaves[i]!;
    if (!shapesEqual(c.shape, o.shape) || c.dtype !== o.dtype) {
      throw new ArgumentError(op, 'cotangent', `leaf ${i} is ${c.dtype} ${formatShape(c.shape)}, the output is ${o.dtype} ${formatShape(o.shape)}`);
    }
  });
  return ctLeaves;
}

interface Traced {
  readonly tape: Tape;
  readonly inputs: readonly Tensor[];
  readonly def: TreeDef;
  readonly out: unknown;
}

/** Throws an ArgumentError unless `f` is a function. */
function checkFunction(op: string, arg: string, f: unknown): void {
  if (typeof f !== 'function') throw new ArgumentError(op, arg, `expected a function, got ${formatValue(f)}`);
}

/** The argument indices to differentiate: one non-negative integer or a non-empty list of distinct ones. */
function checkArgnums(op: string, argnums: unknown): number | readonly number[] {
  const ok = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (ok(argnums)) return argnums as number;
  if (Array.isArray(argnums) && argnums.length > 0 && argnums.every(ok) && new Set(argnums).size === argnums.length) return argnums as number[];
  throw new ArgumentError(op, 'argnums', `expected an argument index or a non-empty list of distinct indices, got ${formatValue(argnums)}`);
}

function trace(op: string, f: (...args: never[]) => unknown, args: readonly unknown[]): Traced {
  checkFunction(op, 'f', f);
  const [leaves, def] = flatten(args, op, 'args');
  const tape = new Tape();
  // Fresh identities (recorded on enclosing tapes) so this tape's inputs are
  // its own even when the same tensor is traced at another nesting level.
  const inputs = leaves.map((x) => bind('identity', [x], {}));
  inputs.forEach((x) => tape.addInput(x));
  const targs = unflatten(def, inputs) as never[];
  pushTape(tape);
  let out: unknown;
  try {
    out = f(...targs);
  } finally {
    popTape(tape);
  }
  return { tape, inputs, def, out };
}

function pullbackOf(op: string, t: Traced, outLeaves: readonly Tensor[], outDef: TreeDef): (ct: unknown) => unknown {
  return (ct: unknown) => {
    const ctLeaves = checkCotangents(op, outLeaves, outDef, ct);
    const seeds = new Map<Tensor, Tensor>();
    outLeaves.forEach((o, i) => {
      const prev = seeds.get(o);
      seeds.set(o, prev === undefined ? ctLeaves[i]! : add(prev, ctLeaves[i]!));
    });
    const cts = t.tape.backward(seeds);
    const grads = t.inputs.map((x) => cts.get(x) ?? zeros(x.shape, x.dtype));
    return (unflatten(t.def, grads) as unknown[]);
  };
}

/**
 * Run `f` once on `args` (tensors or pytrees of tensors), recording a tape, and
 * return its output together with the pullback: the function that maps a
 * cotangent of the output (same structure, shapes and dtypes) to the
 * cotangents of every argument (vector-Jacobian products). The tape exists
 * only for this call.
 *
 * @param f - The function: tensors or pytrees in, a tensor or pytree out.
 * @param args - Its arguments.
 * @returns `[output, pullback]`: `pullback(ct)` returns one cotangent per
 *   argument, each with its argument's structure.
 * @throws ArgumentError - when `f` is not a function, an argument is not a tensor
 *   or pytree of tensors, or (calling the pullback) the cotangent's structure,
 *   shapes or dtypes differ from the output's.
 * @throws ShapeError - when an op inside `f` gets shapes that do not fit, or a VJP
 *   rule returns a cotangent of the wrong shape (naming the primitive).
 * @throws DTypeError - when an op inside `f` mixes dtypes, or a rule returns a
 *   cotangent of the wrong dtype.
 * @throws MnemoError - when tapes were not closed in the order they were opened (a
 *   `customVjp` rule whose `bwd` returns the wrong structure also throws one).
 *
 * @example
 * ```ts
 * import { vjp, mul } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const [y, pullback] = vjp((x) => mul(x, x), tensor([3], 'float64'));
 * const [dx] = pullback(tensor([1], 'float64'));
 * console.assert(y.item() === 9 && dx.item() === 6);
 * ```
 * @category Transformations
 */
export function vjp<A extends readonly Tree[], O extends Tree>(f: (...args: A) => O, ...args: A): [O, (ct: O) => A] {
  const t = trace('vjp', f as (...args: never[]) => unknown, args);
  const [outLeaves, outDef] = flatten(t.out, 'vjp', 'output');
  return [t.out as O, pullbackOf('vjp', t, outLeaves, outDef) as (ct: O) => A];
}

/**
 * Options of {@link grad} and {@link valueAndGrad}: which arguments to
 * differentiate (`argnums`) and whether `f` returns auxiliary data (`hasAux`).
 *
 * @example
 * ```ts
 * import type { GradOptions } from '@mnemo/autodiff';
 * const o: GradOptions = { argnums: [0, 1] };
 * console.assert(Array.isArray(o.argnums));
 * ```
 * @category Transformations
 */
export interface GradOptions {
  /** Which arguments to differentiate: one index (default 0) or several. */
  readonly argnums?: number | readonly number[];
}

function checkScalar(op: string, y: unknown): Tensor {
  if (!(y instanceof Tensor)) {
    throw new ArgumentError(op, 'f', `f must return a scalar Tensor, got ${Array.isArray(y) ? 'an array' : typeof y}; for several outputs use vjp`);
  }
  if (y.size !== 1) {
    throw new ArgumentError(op, 'f', `f must return a scalar (one element), got shape ${formatShape(y.shape)}; for non-scalar outputs use vjp with a cotangent`);
  }
  return y;
}

function differentiate(
  op: string,
  f: (...args: never[]) => unknown,
  args: readonly unknown[],
  argnums: number | readonly number[],
  hasAux: boolean,
): { value: Tensor; aux: unknown; grads: unknown } {
  const nums = typeof argnums === 'number' ? [argnums] : argnums;
  for (const n of nums) {
    if (!Number.isInteger(n) || n < 0 || n >= args.length) {
      throw new ArgumentError(op, 'argnums', `argument ${n} does not exist: the function was called with ${args.length} argument(s)`);
    }
  }
  // Checked here so that an error names the argument by its position in the call.
  nums.forEach((n) => flatten(args[n], op, `args[${n}]`));
  const selected = nums.map((n) => args[n]);
  let aux: unknown;
  const t = trace(op, ((...sel: unknown[]) => {
    const full = args.slice();
    nums.forEach((n, i) => (full[n] = sel[i]));
    const r = (f as (...a: unknown[]) => unknown)(...full);
    if (!hasAux) return r;
    if (!Array.isArray(r) || r.length !== 2) throw new ArgumentError(op, 'f', 'with hasAux, f must return [value, aux]');
    aux = r[1];
    return r[0];
  }) as (...args: never[]) => unknown, selected);
  const value = checkScalar(op, t.out);
  const pb = pullbackOf(op, t, [value], { kind: 'leaf' });
  const grads = pb(scalarLikeOnes(value)) as unknown[];
  return { value, aux, grads: typeof argnums === 'number' ? grads[0] : grads };
}

function scalarLikeOnes(y: Tensor): Tensor {
  const s = scalar(1, y.dtype);
  return y.rank === 0 ? s : unsafeFromData(unsafeDataOf(s), y.shape);
}

/**
 * The type of what {@link grad} returns: the type of argument `N`, or a tuple
 * of the named arguments' types when `N` is a list.
 *
 * @example
 * ```ts
 * import type { ArgsAt } from '@mnemo/autodiff';
 * import type { Tensor } from '@mnemo/core';
 * type G = ArgsAt<[Tensor, { w: Tensor }], 1>;
 * const check: G extends { w: Tensor } ? true : false = true;
 * console.assert(check);
 * ```
 * @category Transformations
 */
export type ArgsAt<A extends readonly unknown[], N> = N extends number
  ? A[N]
  : N extends readonly number[]
    ? { -readonly [K in keyof N]: A[N[K] & number] }
    : never;

/**
 * The gradient of a scalar-valued function: `grad(f)(...args)` returns the
 * gradient with respect to argument 0 (or the arguments that `argnums` names),
 * with the same structure, shapes and dtypes as that argument.
 *
 * @param f - A function of tensors or pytrees that returns a scalar tensor.
 * @param options - `argnums`: which argument(s) to differentiate (default 0).
 * @returns A function taking `f`'s arguments and returning the gradient (a tuple
 *   of gradients when `argnums` is a list).
 * @throws ArgumentError - when `f` is not a function, does not return a scalar
 *   tensor (one element; with `hasAux`, a `[value, aux]` pair), `argnums` names an
 *   argument that was not passed, or an argument is not a pytree of tensors.
 * @throws ShapeError - when an op inside `f` gets shapes that do not fit (naming
 *   the op and both shapes).
 * @throws DTypeError - when an op inside `f` mixes float32 and float64.
 * @throws MnemoError - when a custom rule inside `f` returns cotangents of the
 *   wrong structure, or tapes are closed out of order.
 *
 * @example
 * ```ts
 * import { grad, sum, square } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const g = grad((x: Tensor) => sum(square(x)))(tensor([1, 2], 'float64'));
 * console.assert(g.toArray().join() === '2,4');
 * ```
 * @category Transformations
 */
export function grad<A extends readonly Tree[], const N extends number | readonly number[] = 0>(
  f: (...args: A) => Tensor,
  options?: { readonly argnums?: N },
): (...args: A) => ArgsAt<A, N> {
  checkFunction('grad', 'f', f);
  const argnums = checkArgnums('grad', checkOptions('grad', 'options', options).argnums ?? 0);
  return (...args: A) => differentiate('grad', f as (...args: never[]) => unknown, args, argnums, false).grads as ArgsAt<A, N>;
}

/**
 * Like {@link grad}, but returns the value too, `[value, gradient]`, from one
 * forward pass: what a training step calls. With `hasAux`, `f` returns `[value,
 * aux]` (aux is anything, not differentiated) and the result is `[[value, aux],
 * gradient]`.
 *
 * @param f - A function returning a scalar tensor (with `hasAux`, `[scalar,
 *   aux]`).
 * @param options - `argnums` (default 0) and `hasAux` (default false).
 * @returns A function taking `f`'s arguments and returning `[value, gradient]` (or
 *   `[[value, aux], gradient]`).
 * @throws ArgumentError - when `f` is not a function, does not return a scalar
 *   tensor (one element; with `hasAux`, a `[value, aux]` pair), `argnums` names an
 *   argument that was not passed, or an argument is not a pytree of tensors.
 * @throws ShapeError - when an op inside `f` gets shapes that do not fit (naming
 *   the op and both shapes).
 * @throws DTypeError - when an op inside `f` mixes float32 and float64.
 * @throws MnemoError - when a custom rule inside `f` returns cotangents of the
 *   wrong structure, or tapes are closed out of order.
 *
 * @example
 * ```ts
 * import { valueAndGrad, sum, square } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const [v, g] = valueAndGrad((x: Tensor) => sum(square(x)))(tensor([3], 'float64'));
 * console.assert(v.item() === 9 && g.item() === 6);
 * ```
 * @category Transformations
 */
export function valueAndGrad<A extends readonly Tree[], const N extends number | readonly number[] = 0>(
  f: (...args: A) => Tensor,
  options?: { readonly argnums?: N; readonly hasAux?: false },
): (...args: A) => [Tensor, ArgsAt<A, N>];
export function valueAndGrad<A extends readonly Tree[], Aux, const N extends number | readonly number[] = 0>(
  f: (...args: A) => readonly [Tensor, Aux],
  options: { readonly argnums?: N; readonly hasAux: true },
): (...args: A) => [[Tensor, Aux], ArgsAt<A, N>];
export function valueAndGrad(
  f: (...args: never[]) => unknown,
  options?: { readonly argnums?: number | readonly number[]; readonly hasAux?: boolean },
): (...args: unknown[]) => unknown {
  checkFunction('valueAndGrad', 'f', f);
  const o = checkOptions('valueAndGrad', 'options', options);
  const argnums = checkArgnums('valueAndGrad', o.argnums ?? 0);
  const hasAux = checkFlag('valueAndGrad', 'hasAux', o.hasAux, false);
  return (...args: unknown[]) => {
    const r = differentiate('valueAndGrad', f, args, argnums, hasAux);
    return hasAux ? [[r.value, r.aux], r.grads] : [r.value, r.grads];
  };
}

/**
 * Forward mode: the output of `f` at `primals` and its directional derivative
 * along `tangents` (a Jacobian-vector product), computed by transposing the
 * pullback, which is linear in its cotangent.
 *
 * @param f - The function.
 * @param primals - Its arguments, as an array.
 * @param tangents - One tangent per argument, of the same structures, shapes and
 *   dtypes.
 * @returns `[output, tangent of the output]`.
 * @throws ArgumentError - when `f` is not a function, an argument is not a tensor
 *   or pytree of tensors, or (calling the pullback) the cotangent's structure,
 *   shapes or dtypes differ from the output's.
 * @throws ShapeError - when an op inside `f` gets shapes that do not fit, or a VJP
 *   rule returns a cotangent of the wrong shape (naming the primitive).
 * @throws DTypeError - when an op inside `f` mixes dtypes, or a rule returns a
 *   cotangent of the wrong dtype.
 * @throws MnemoError - when tapes were not closed in the order they were opened (a
 *   `customVjp` rule whose `bwd` returns the wrong structure also throws one).
 *
 * @example
 * ```ts
 * import { jvp, mul } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const [y, dy] = jvp((x) => mul(x, x), [tensor([3], 'float64')], [tensor([1], 'float64')]);
 * console.assert(y.item() === 9 && dy.item() === 6);
 * ```
 * @category Transformations
 */
export function jvp<A extends readonly Tree[], O extends Tree>(f: (...args: A) => O, primals: A, tangents: A): [O, O] {
  checkFunction('jvp', 'f', f);
  if (!Array.isArray(primals)) throw new ArgumentError('jvp', 'primals', `expected an array of the arguments, got ${formatValue(primals)}`);
  if (!Array.isArray(tangents)) throw new ArgumentError('jvp', 'tangents', `expected an array with one tangent per argument, got ${formatValue(tangents)}`);
  const [out, pullback] = vjp(f, ...(primals as A));
  const [outLeaves, outDef] = flatten(out, 'jvp', 'output');
  const ct0 = unflatten(outDef, outLeaves.map((o) => zeros(o.shape, o.dtype))) as O;
  const [, transposed] = vjp((ct: O) => pullback(ct) as unknown as Tree, ct0);
  const [tan] = transposed(tangents as unknown as Tree) as unknown as [O];
  return [out, tan];
}

/**
 * The Hessian of a scalar function at `x` times a vector `v`, without forming
 * the Hessian, by differentiating `<grad f(x), v>`: a gradient of a gradient.
 *
 * @param f - A scalar-valued function of one tensor or pytree.
 * @param x - The point.
 * @param v - The direction, of `x`'s structure, shapes and dtypes.
 * @returns `H(x) v`, with `x`'s structure.
 * @throws ArgumentError - when `f` is not a function, does not return a scalar
 *   tensor (one element; with `hasAux`, a `[value, aux]` pair), `argnums` names an
 *   argument that was not passed, or an argument is not a pytree of tensors.
 * @throws ShapeError - when an op inside `f` gets shapes that do not fit (naming
 *   the op and both shapes).
 * @throws DTypeError - when an op inside `f` mixes float32 and float64.
 * @throws MnemoError - when a custom rule inside `f` returns cotangents of the
 *   wrong structure, or tapes are closed out of order.
 *
 * @example
 * ```ts
 * import { hessianVectorProduct, sum, mul } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * // f(x) = sum(x^3): H = diag(6x)
 * const hv = hessianVectorProduct((x) => sum(mul(x, mul(x, x))), tensor([1, 2], 'float64'), tensor([1, 1], 'float64'));
 * console.assert(hv.toArray().join() === '6,12');
 * ```
 * @category Transformations
 */
export function hessianVectorProduct<T extends Tree>(f: (x: T) => Tensor, x: T, v: T): T {
  checkFunction('hessianVectorProduct', 'f', f);
  const g = grad(f);
  return grad((y: T) => {
    const [gl] = flatten(g(y), 'hessianVectorProduct', 'gradient');
    const [vl] = flatten(v, 'hessianVectorProduct', 'v');
    return gl.reduce<Tensor>((acc, t, i) => add(acc, sum(mul(t, vl[i]!))), zeros([], gl[0]?.dtype ?? 'float64'));
  })(x) as T;
}

/**
 * The same values with no gradient: nothing flows back through the result,
 * which the tape treats as a constant (the `detach` of PyTorch).
 *
 * @param x - A tensor or pytree of tensors.
 * @returns New tensors with `x`'s values and structure, not traced by any tape.
 * @throws ArgumentError - when `x` is not a tensor or a pytree of tensors.
 *
 * @example
 * ```ts
 * import { grad, stopGradient, mul } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const g = grad((x: Tensor) => mul(x, stopGradient(x)))(tensor(3, 'float64'));
 * console.assert(g.item() === 3);
 * ```
 * @category Transformations
 */
export function stopGradient<T extends Tree>(x: T): T {
  const [leaves, def] = flatten(x, 'stopGradient', 'x');
  return unflatten(def, leaves.map(fresh)) as T;
}

/**
 * Record one tape entry that stands for a whole function (customVjp,
 * checkpoint): its outputs get fresh identities, and `backward` maps the
 * output's cotangent (zeros where none arrived) to the input leaves' cotangents.
 */
/** @internal */
export function recordComposite<O>(name: string, leaves: readonly Tensor[], out: O, backward: (ct: O) => readonly Tensor[]): O {
  const [outLeaves, outDef] = flatten(out, name, 'output');
  if (debugNansOn) checkComposite(name, leaves, outLeaves);
  const outputs = outLeaves.map(fresh);
  recordEverywhere(
    (): TapeEntry => ({
      name,
      inputs: leaves,
      outputs,
      params: {},
      backward: (cts) => backward(unflatten(outDef, cts.map((c, i) => c ?? zeros(outputs[i]!.shape, outputs[i]!.dtype))) as O),
    }),
    leaves,
  );
  return unflatten(outDef, outputs) as O;
}

/**
 * The pieces of a custom VJP: `fwd` returns the output and whatever the
 * backward pass needs (residuals); `bwd` maps residuals and the output's
 * cotangent to one cotangent per argument (an array as long as the argument list,
 * each with its argument's structure).
 *
 * @example
 * ```ts
 * import type { CustomVjpRules } from '@mnemo/autodiff';
 * import type { Tensor } from '@mnemo/core';
 * const r: CustomVjpRules<[Tensor], Tensor, Tensor> = { fwd: (x) => [x, x], bwd: (_res, g) => [g] };
 * console.assert(typeof r.bwd === 'function');
 * ```
 * @category Transformations
 */
export interface CustomVjpRules<A extends readonly Tree[], O extends Tree, R> {
  /** The forward pass: the output and the residuals the backward pass needs. */
  readonly fwd: (...args: A) => readonly [O, R];
  /**
   * The backward pass: residuals and the output's cotangent to one cotangent
   * per argument. `needed` says, per argument leaf (in flattening order),
   * whether any tape traces it: a cotangent that is not needed is never
   * used, so `bwd` may skip its work and return zeros of the right shape.
   */
  readonly bwd: (residuals: R, ct: O, needed: readonly boolean[]) => { readonly [K in keyof A]: Tree };
}

/**
 * Give a function its own backward pass: for a fused kernel, or a stable or
 * cheaper gradient than the composition would get. Outside any tape, `f`
 * itself runs. Under a tape, `fwd` runs without recording and one entry is
 * recorded whose backward is `bwd`. The cotangents `bwd` returns are checked
 * against the arguments' shapes and dtypes. Under nested tapes (a gradient of
 * a gradient) `fwd` is recorded too, so that the residuals stay connected to
 * the arguments and `bwd`, written in ops, can be differentiated in turn.
 * Tensors that `fwd` closes over are constants to the custom rule; pass
 * everything to differentiate as an argument.
 *
 * @param f - The function, used as is outside a tape.
 * @param rules - `fwd` (output and residuals) and `bwd` (residuals and output
 *   cotangent to argument cotangents).
 * @returns A function with `f`'s values and the custom gradient.
 * @throws MnemoError - (when differentiated) when `bwd` returns cotangents whose
 *   structure is not the arguments'.
 * @throws ShapeError - when `bwd` returns a cotangent of the wrong shape.
 * @throws DTypeError - when `bwd` returns a cotangent of the wrong dtype.
 * @throws ArgumentError - when an argument is not a tensor or pytree of tensors.
 *
 * @example
 * ```ts
 * import { customVjp, grad, exp, mul, sum } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const myExp = customVjp((x: Tensor) => exp(x), {
 *   fwd: (x: Tensor) => { const y = exp(x); return [y, y] as const; },
 *   bwd: (y: Tensor, g: Tensor) => [mul(g, y)],
 * });
 * console.assert(grad((x: Tensor) => sum(myExp(x)))(tensor([0], 'float64')).item() === 1);
 * ```
 * @category Transformations
 */
export function customVjp<A extends readonly Tree[], O extends Tree, R>(
  f: (...args: A) => O,
  rules: CustomVjpRules<A, O, R>,
): (...args: A) => O {
  checkFunction('customVjp', 'f', f);
  if (rules === null || typeof rules !== 'object') throw new ArgumentError('customVjp', 'rules', `expected { fwd, bwd }, got ${formatValue(rules)}`);
  checkFunction('customVjp', 'rules.fwd', rules.fwd);
  checkFunction('customVjp', 'rules.bwd', rules.bwd);
  return (...args: A): O => {
    if (!recording()) return f(...args);
    const [leaves, def] = flatten(args, 'customVjp', 'args');
    // Which argument leaves some tape traces: the others' cotangents are never used.
    const needed = leaves.map(tracedAnywhere);
    const pair: unknown = nestedRecording() ? rules.fwd(...args) : untraced(() => rules.fwd(...args));
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new ArgumentError('customVjp', 'rules.fwd', `fwd must return [output, residuals], got ${formatValue(pair)}`);
    }
    const [out, residuals] = pair as [O, R];
    return recordComposite('customVjp', leaves, out, (ct) => {
      const g = rules.bwd(residuals, ct, needed);
      const [gl, gdef] = flatten(g, 'customVjp', 'bwd result');
      if (!sameStructure(gdef, def)) {
        throw new MnemoError('customVjp', 'bwd', `bwd returned cotangents of structure ${describe(gdef)}, the arguments have ${describe(def)}`);
      }
      gl.forEach((c, i) => {
        const x = leaves[i]!;
        if (!shapesEqual(c.shape, x.shape)) {
          throw new ShapeError('customVjp', 'bwd', `bwd returned a cotangent of shape ${formatShape(c.shape)} for argument leaf ${i} of shape ${formatShape(x.shape)}`);
        }
        if (c.dtype !== x.dtype) {
          throw new DTypeError('customVjp', 'bwd', `bwd returned a ${c.dtype} cotangent for argument leaf ${i}, which is ${x.dtype}`);
        }
      });
      return gl;
    });
  };
}

/**
 * Rematerialization: `checkpoint(f)` computes the same values and gradients
 * as `f`, but keeps none of `f`'s intermediates on the tape; the backward pass
 * runs `f` again to get them. Wrap each chunk of a long BPTT unroll to trade
 * compute for memory. `f` must receive every tensor it should differentiate
 * as an argument (tensors it closes over are treated as constants).
 *
 * @param f - The function; it must take as arguments every tensor to
 *   differentiate.
 * @returns A function with `f`'s values and gradients, whose intermediates are
 *   recomputed in the backward pass.
 * @throws ArgumentError - when an argument or the gradient is not a tensor or
 *   pytree of tensors.
 * @throws ShapeError - when an op inside `f` gets shapes that do not fit.
 * @throws DTypeError - when an op inside `f` mixes dtypes.
 * @throws MnemoError - when tapes are closed out of order.
 *
 * @example
 * ```ts
 * import { checkpoint, grad, tanh, sum } from '@mnemo/autodiff';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const f = (x: Tensor) => tanh(tanh(x));
 * const x = tensor([0.3], 'float64');
 * const a = grad((y: Tensor) => sum(f(y)))(x).item();
 * const b = grad((y: Tensor) => sum(checkpoint(f)(y)))(x).item();
 * console.assert(a === b);
 * ```
 * @category Transformations
 */
export function checkpoint<A extends readonly Tree[], O extends Tree>(f: (...args: A) => O): (...args: A) => O {
  checkFunction('checkpoint', 'f', f);
  return (...args: A): O => {
    if (!recording()) return f(...args);
    const [leaves, def] = flatten(args, 'checkpoint', 'args');
    const out = untraced(() => f(...args));
    return recordComposite('checkpoint', leaves, out, (ct) => {
      const [, pullback] = vjp(f, ...(unflatten(def, leaves) as unknown as A));
      return flatten(pullback(ct), 'checkpoint', 'gradient')[0];
    });
  };
}

/**
 * What a tape recorded: its inputs and entries, printable as one line per
 * entry (`%4 = matmul(%0, %1) {transA: false, transB: false} : float64[2, 8]`).
 *
 * @example
 * ```ts
 * import { traceTape, type TapeTrace } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const t: TapeTrace = traceTape((x) => x, tensor([1]));
 * console.assert(t.entries.length === 0);
 * ```
 * @category Tape
 */
export interface TapeTrace {
  readonly inputs: readonly Tensor[];
  readonly entries: readonly TapeEntry[];
  readonly output: unknown;
  /** The tape, one line per entry. */
  toString(): string;
}

function formatParam(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatParam).join(', ')}]`;
  return String(v);
}

/**
 * Run `f` on `args` and return the tape it records, for reading and teaching.
 * Traced tensors print as `%n`; constants print as their value (scalars) or
 * their dtype and shape.
 *
 * @param f - The function to trace.
 * @param args - Its arguments: tensors or pytrees of tensors.
 * @returns A {@link TapeTrace}: the inputs, the entries, the output, and
 *   `toString()` for the listing.
 * @throws ArgumentError - when `f` is not a function or an argument is not a
 *   pytree of tensors.
 * @throws MnemoError - when tapes are closed out of order inside `f`.
 *
 * @example
 * ```ts
 * import { traceTape, mul, tanh } from '@mnemo/autodiff';
 * import { tensor } from '@mnemo/core';
 * const t = traceTape((x) => tanh(mul(x, 2)), tensor([1], 'float64'));
 * console.assert(t.toString() === [
 *   '%0: float64[1] = input',
 *   '%1 = mul(%0, 2) : float64[1]',
 *   '%2 = tanh(%1) : float64[1]',
 * ].join('\n'));
 * ```
 * @category Tape
 */
export function traceTape<A extends readonly Tree[]>(f: (...args: A) => unknown, ...args: A): TapeTrace {
  const t = trace('traceTape', f as (...args: never[]) => unknown, args);
  const entries = t.tape.entries.slice();
  const inputs = t.inputs;
  const toString = (): string => {
    const names = new Map<Tensor, string>();
    const ty = (x: Tensor): string => `${x.dtype}${formatShape(x.shape)}`;
    const ref = (x: Tensor): string => {
      const n = names.get(x);
      if (n !== undefined) return n;
      if (x.size === 1 && x.rank === 0) return String(x.item());
      return `const ${ty(x)}`;
    };
    const lines: string[] = [];
    for (const x of inputs) {
      const n = `%${names.size}`;
      names.set(x, n);
      lines.push(`${n}: ${ty(x)} = input`);
    }
    for (const e of entries) {
      const outs = e.outputs.map((o) => {
        const n = `%${names.size}`;
        names.set(o, n);
        return n;
      });
      const args = e.inputs.map(ref).join(', ');
      const ps = Object.entries(e.params);
      const p = ps.length === 0 ? '' : ` {${ps.map(([k, v]) => `${k}: ${formatParam(v)}`).join(', ')}}`;
      lines.push(`${outs.join(', ')} = ${e.name}(${args})${p} : ${e.outputs.map(ty).join(', ')}`);
    }
    return lines.join('\n');
  };
  return { inputs, entries, output: t.out, toString };
}
