/**
 * Optimizers as pure functions. `const opt = adam({ lr: 1e-3 })` is a value;
 * `opt.init(params)` returns a state and
 * `opt.update(grads, state, params)` returns `[newParams, newState]`.
 * Nothing is mutated: every update allocates fresh parameter and slot
 * tensors.
 *
 * Each update rule is PyTorch's (`torch.optim`, single-tensor CPU path),
 * operation by operation and in the same order, so float64 results agree with
 * PyTorch's to the last bit wherever both round the same elementary
 * operations. The arithmetic runs in double precision on the typed arrays and
 * is rounded to the parameter's dtype when stored (for float32 parameters
 * PyTorch rounds every intermediate to float32 instead, so the last bits can
 * differ).
 *
 * The learning rate is a number or a {@link Schedule} of the state's step
 * count: the update that takes the state from step `k` to `k + 1` uses
 * `lr(k)`.
 *
 * @module
 */
import { ArgumentError, allocate, checkFlag, checkOptions, formatValue, full, unsafeDataOf, unsafeFromData, type Tensor, type TypedArray } from '@mnemo/core';
import { add, div, fuseElementwise, mul, sqrt, sub, tree, type Tree } from '@mnemo/autodiff';
import { of as scheduleOf, type LearningRate } from './schedules.js';
import { flattenLike } from './treeutil.js';

// ---------------------------------------------------------------------------
// The shape of an optimizer
// ---------------------------------------------------------------------------

/**
 * An optimizer's state: the number of updates made so far, and named slots,
 * each a pytree with the parameters' structure (Adam's `m` and `v`, SGD's
 * `momentum`, ...). Plain data: it can be saved with the parameters
 * (see `saveParams`).
 *
 * @example
 * ```ts
 * import { adam, type OptState } from '@mnemo/nn';
 * import { zeros, type Tensor } from '@mnemo/core';
 * const s: OptState<{ w: Tensor }> = adam().init({ w: zeros([2]) });
 * console.assert(s.step === 0 && Object.keys(s.slots).join() === 'm,v');
 * ```
 * @category Optimizers
 */
export interface OptState<P extends Tree = Tree> {
  /** Updates made so far. */
  readonly step: number;
  /** Per-parameter buffers, each with the parameters' structure. */
  readonly slots: { readonly [name: string]: P };
}

/**
 * A pure optimizer: `init` makes the state for a parameter pytree, `update`
 * maps gradients (same structure, shapes and dtypes as the parameters), the
 * state and the parameters to the new parameters and state. `name` and
 * `config` (the resolved hyperparameters, the learning rate as given) are for
 * logs and checkpoint metadata.
 *
 * @example
 * ```ts
 * import { sgd, type Optimizer } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const opt: Optimizer = sgd({ lr: 0.5 });
 * const p = { w: tensor([1], 'float64') };
 * const [p2] = opt.update({ w: tensor([2], 'float64') }, opt.init(p), p);
 * console.assert(p2.w.item() === 0);
 * ```
 * @category Optimizers
 */
export interface Optimizer {
  /** `sgd`, `adam`, `adamw`, `rmsprop` or `adagrad`. */
  readonly name: string;
  /** The hyperparameters with defaults filled in. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The state before the first update: step 0 and the slots' initial values. */
  init<P extends Tree>(params: P): OptState<P>;
  /** One update: `[newParams, newState]`. Inputs are not modified. */
  update<P extends Tree>(grads: P, state: OptState<P>, params: P): [P, OptState<P>];
}

/**
 * The per-leaf loop of one update: reads the parameter `p`, gradient `g`
 * and slots `s` (one typed array per slot, in slot order), writes `np` and
 * `ns`. `t` is the new step count (1 for the first update), `lr` the rate.
 */
/**
 * One parameter's update into fresh arrays `np` and `ns` (allocated by the caller), or, when it
 * makes its own fresh arrays (a fused loop writes its outputs), returns them: `[np, ...ns]`.
 */
type LeafUpdate = {
  (p: TypedArray, g: TypedArray, s: readonly TypedArray[], np: TypedArray, ns: readonly TypedArray[]): void;
  /** Where present, tried first: the new parameter and slots as fresh arrays, or undefined to take the plain update. */
  readonly fresh?: (p: TypedArray, g: TypedArray, s: readonly TypedArray[]) => readonly TypedArray[] | undefined;
};
type Prepare = (t: number, lr: number) => LeafUpdate;

interface Spec {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly lr: LearningRate;
  /** Slot names, in the order the update receives them. */
  readonly slots: readonly string[];
  /** Initial value of every entry of a slot. */
  readonly slotInit?: (slot: string) => number;
  readonly prepare: Prepare;
}

function makeOptimizer(spec: Spec): Optimizer {
  const schedule = scheduleOf(spec.lr);
  const op = `${spec.name}.update`;
  return {
    name: spec.name,
    config: Object.freeze({ ...spec.config }),
    init<P extends Tree>(params: P): OptState<P> {
      const [leaves, def] = tree.flatten(params, `${spec.name}.init`, 'params');
      const slots: Record<string, P> = {};
      for (const s of spec.slots) {
        const v = spec.slotInit?.(s) ?? 0;
        slots[s] = tree.unflatten(def, leaves.map((l) => full(l.shape, v, l.dtype))) as P;
      }
      return { step: 0, slots };
    },
    update<P extends Tree>(grads: P, state: OptState<P>, params: P): [P, OptState<P>] {
      const [pLeaves, def] = tree.flatten(params, op, 'params');
      const paths = tree.paths(def);
      const gLeaves = flattenLike(op, 'grads', grads, 'params', def, pLeaves, paths);
      if (state === null || typeof state !== 'object' || typeof state.slots !== 'object' || state.slots === null) {
        throw new ArgumentError(op, 'state', `expected an optimizer state { step, slots }, got ${formatValue(state)}`);
      }
      const k = state.step;
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0) throw new ArgumentError(op, 'state.step', `must be a non-negative integer, got ${formatValue(k)}`);
      const have = Object.keys(state.slots).sort().join(', ');
      const want = spec.slots.slice().sort().join(', ');
      if (have !== want) throw new ArgumentError(op, 'state.slots', `${spec.name} with this configuration keeps slots {${want}}, the state has {${have}}`);
      const sLeaves = spec.slots.map((s) => flattenLike(op, `state.slots.${s}`, state.slots[s], 'params', def, pLeaves, paths));
      const lr = schedule(k);
      if (typeof lr !== 'number' || !Number.isFinite(lr)) throw new ArgumentError(op, 'lr', `the schedule gave ${formatValue(lr)} at step ${k}; expected a finite number`);
      const leafUpdate = spec.prepare(k + 1, lr);
      const newP: Tensor[] = [];
      const newS: Tensor[][] = spec.slots.map(() => []);
      pLeaves.forEach((p, i) => {
        const pd = unsafeDataOf(p);
        const gd = unsafeDataOf(gLeaves[i]!);
        const sd = sLeaves.map((l) => unsafeDataOf(l[i]!));
        const made = leafUpdate.fresh?.(pd, gd, sd);
        const np = made?.[0] ?? allocate(p.dtype, p.size);
        const ns = made?.slice(1) ?? spec.slots.map(() => allocate(p.dtype, p.size));
        if (made === undefined) leafUpdate(pd, gd, sd, np, ns);
        newP.push(unsafeFromData(np, p.shape));
        ns.forEach((a, j) => newS[j]!.push(unsafeFromData(a, p.shape)));
      });
      const slots: Record<string, P> = {};
      spec.slots.forEach((s, j) => (slots[s] = tree.unflatten(def, newS[j]!) as P));
      return [tree.unflatten(def, newP) as P, { step: k + 1, slots }];
    },
  };
}

function num(op: string, arg: string, v: unknown, lo = -Infinity, loOpen = false, hi = Infinity, hiOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (loOpen && v === lo) || v > hi || (hiOpen && v === hi)) {
    const range = `${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
    throw new ArgumentError(op, arg, `must be a finite number in ${range}, got ${formatValue(v)}`);
  }
  return v;
}

function checkLr(op: string, lr: unknown): LearningRate {
  if (typeof lr === 'function') return lr as LearningRate;
  return num(op, 'lr', lr, 0);
}

/**
 * PyTorch's `torch.lerp(start, end, w)`: `start + w (end - start)` when
 * `|w| < 0.5`, else `end - (end - start)(1 - w)` (exact at both ends).
 */
function lerp(start: number, end: number, w: number): number {
  return Math.abs(w) < 0.5 ? start + w * (end - start) : end - (end - start) * (1 - w);
}

// ---------------------------------------------------------------------------
// SGD
// ---------------------------------------------------------------------------

/**
 * Options of {@link sgd}: the learning rate, momentum, dampening, Nesterov
 * momentum and weight decay, as `torch.optim.SGD` has them.
 *
 * @example
 * ```ts
 * import { sgd, type SgdOptions } from '@mnemo/nn';
 * const o: SgdOptions = { lr: 0.1, momentum: 0.9, nesterov: true };
 * console.assert(sgd(o).config['nesterov'] === true);
 * ```
 * @category Optimizers
 */
export interface SgdOptions {
  /** Learning rate or schedule (default 1e-3, PyTorch's). */
  readonly lr?: LearningRate;
  /** Momentum factor mu (default 0: no momentum, no slot). */
  readonly momentum?: number;
  /** Dampening tau of the momentum (default 0). */
  readonly dampening?: number;
  /** L2 penalty lambda added to the gradient (default 0). */
  readonly weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  readonly nesterov?: boolean;
}

/**
 * Stochastic gradient descent, as `torch.optim.SGD`. With `g` the gradient,
 * `p` the parameter, at update `t = 1, 2, ...`:
 *
 * ```text
 * g = g + weightDecay * p                        (if weightDecay != 0)
 * if momentum != 0:
 *   b = g                                        (t = 1)
 *   b = momentum * b + (1 - dampening) * g       (t > 1)
 *   g = g + momentum * b   if nesterov, else  g = b
 * p = p - lr * g
 * ```
 *
 * The momentum buffer `b` is the slot `momentum` (absent without momentum).
 *
 * @param opts - `lr` (default 0.01), `momentum`, `dampening`, `nesterov`,
 *   `weightDecay` (see {@link SgdOptions}).
 * @returns An {@link Optimizer}: `init(params)` and `update(grads, state,
 *   params)`.
 * @throws ArgumentError - when `opts` is not an object, an option is not a finite
 *   number in its range, or `nesterov` is asked without momentum or with
 *   dampening; from `update`, when the state is not this optimizer's (`step` and
 *   slots), or a schedule gives a rate that is not finite.
 * @throws ShapeError - from `update`, when a gradient's shape differs from its
 *   parameter's.
 * @throws DTypeError - from `update`, when a gradient's dtype differs from its
 *   parameter's.
 *
 * @example
 * ```ts
 * import { sgd } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 * const p = { w: tensor([1], 'float64') };
 * const g = { w: tensor([1], 'float64') };
 * const [p1, s1] = opt.update(g, opt.init(p), p);   // b = 1, w = 0.9
 * const [p2] = opt.update(g, s1, p1);                // b = 1.9, w = 0.71
 * console.assert(Math.abs(p2.w.item() - 0.71) < 1e-15);
 * ```
 * @category Optimizers
 */
export function sgd(opts?: SgdOptions): Optimizer {
  const op = 'sgd';
  const options = checkOptions(op, 'options', opts);
  const lr = checkLr(op, options.lr ?? 1e-3);
  const momentum = num(op, 'momentum', options.momentum ?? 0, 0);
  const dampening = num(op, 'dampening', options.dampening ?? 0);
  const weightDecay = num(op, 'weightDecay', options.weightDecay ?? 0, 0);
  const nesterov = checkFlag(op, 'nesterov', options.nesterov, false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new ArgumentError(op, 'nesterov', `Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
  }
  return makeOptimizer({
    name: op,
    config: { lr, momentum, dampening, weightDecay, nesterov },
    lr,
    slots: momentum === 0 ? [] : ['momentum'],
    prepare: (t, rate) => (p, g, s, np, ns) => {
      const n = p.length;
      const b0 = s[0];
      const b1 = ns[0];
      for (let i = 0; i < n; i++) {
        let d = g[i]!;
        if (weightDecay !== 0) d = d + weightDecay * p[i]!;
        if (b0 !== undefined && b1 !== undefined) {
          const b = t === 1 ? d : b0[i]! * momentum + (1 - dampening) * d;
          b1[i] = b;
          // Use the stored (dtype-rounded) buffer, as PyTorch does.
          d = nesterov ? d + momentum * b1[i]! : b1[i]!;
        }
        np[i] = p[i]! + -rate * d;
      }
    },
  });
}

// ---------------------------------------------------------------------------
// Adam and AdamW
// ---------------------------------------------------------------------------

/**
 * Options of {@link adam} and {@link adamw}: the learning rate, the betas,
 * epsilon and weight decay, as PyTorch's (without AMSGrad).
 *
 * @example
 * ```ts
 * import { adam, type AdamOptions } from '@mnemo/nn';
 * const o: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
 * console.assert(adam(o).config['beta2'] === 0.999);
 * ```
 * @category Optimizers
 */
export interface AdamOptions {
  /** Learning rate or schedule (default 1e-3). */
  readonly lr?: LearningRate;
  /** Decay of the first-moment average (default 0.9). */
  readonly beta1?: number;
  /** Decay of the second-moment average (default 0.999). */
  readonly beta2?: number;
  /** Added to the denominator (default 1e-8). */
  readonly eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  readonly weightDecay?: number;
}

function adamFamily(name: 'adam' | 'adamw', opts: AdamOptions | undefined): Optimizer {
  const options = checkOptions(name, 'options', opts);
  const lr = checkLr(name, options.lr ?? 1e-3);
  const beta1 = num(name, 'beta1', options.beta1 ?? 0.9, 0, false, 1, true);
  const beta2 = num(name, 'beta2', options.beta2 ?? 0.999, 0, false, 1, true);
  const eps = num(name, 'eps', options.eps ?? 1e-8, 0);
  const weightDecay = num(name, 'weightDecay', options.weightDecay ?? (name === 'adamw' ? 1e-2 : 0), 0);
  const decoupled = name === 'adamw';
  const w1 = 1 - beta1;
  const w2 = 1 - beta2;
  // The update of one parameter, in ops: fused into one loop over its elements where the backend
  // compiles loops (the same ops in the same order as the loop below, each rounded to the dtype).
  const fused = fuseElementwise((x0: Tensor, g: Tensor, m0: Tensor, v0: Tensor, negStep: Tensor, bc2Sqrt: Tensor, shrink: Tensor) => {
    let x = x0;
    let d = g;
    if (weightDecay !== 0) {
      if (decoupled) x = mul(x0, shrink);
      else d = add(g, mul(x0, weightDecay));
    }
    const m1 = Math.abs(w1) < 0.5 ? add(m0, mul(sub(d, m0), w1)) : sub(d, mul(sub(d, m0), 1 - w1));
    const v1 = add(mul(v0, beta2), mul(mul(d, w2), d));
    const denom = add(div(sqrt(v1), bc2Sqrt), eps);
    return [add(x, div(mul(m1, negStep), denom)), m1, v1];
  });
  return makeOptimizer({
    name,
    config: { lr, beta1, beta2, eps, weightDecay },
    lr,
    slots: ['m', 'v'],
    prepare: (t, rate) => {
      const bc1 = 1 - beta1 ** t;
      const bc2 = 1 - beta2 ** t;
      const stepSize = rate / bc1;
      const bc2Sqrt = Math.sqrt(bc2);
      const shrink = 1 - rate * weightDecay;
      const update: LeafUpdate = (p, g, s, np, ns) => {
        const m0 = s[0]!;
        const v0 = s[1]!;
        const m1 = ns[0]!;
        const v1 = ns[1]!;
        const n = p.length;
        for (let i = 0; i < n; i++) {
          let x = p[i]!;
          let d = g[i]!;
          if (weightDecay !== 0) {
            if (decoupled) {
              np[i] = x * shrink;
              x = np[i]!; // rounded to the dtype, as the in-place op leaves it
            } else {
              d = d + weightDecay * x;
            }
          }
          m1[i] = lerp(m0[i]!, d, w1);
          v1[i] = v0[i]! * beta2 + w2 * d * d;
          const denom = Math.sqrt(v1[i]!) / bc2Sqrt + eps;
          np[i] = x + (-stepSize * m1[i]!) / denom;
        }
      };
      // Large parameters: the fused loop, which writes the new parameter and moments into fresh arrays.
      const fresh = (p: TypedArray, g: TypedArray, s: readonly TypedArray[]): readonly TypedArray[] | undefined => {
        const n = p.length;
        if (n < FUSE_FROM) return undefined;
        const t1 = (a: TypedArray): Tensor => unsafeFromData(a, [n]);
        return fused(t1(p), t1(g), t1(s[0]!), t1(s[1]!), -stepSize, bc2Sqrt, shrink).map((t) => unsafeDataOf(t));
      };
      return Object.assign(update, { fresh });
    },
  });
}

/** Parameters with at least this many elements are updated by the fused loop (smaller ones: the loop above is cheaper than a call). */
const FUSE_FROM = 256;

/**
 * Adam (Kingma and Ba 2015), as `torch.optim.Adam` (without amsgrad). With
 * `g` the gradient and `p` the parameter, at update `t = 1, 2, ...`:
 *
 * ```text
 * g = g + weightDecay * p                       (if weightDecay != 0: L2, coupled)
 * m = lerp(m, g, 1 - beta1)                     (= beta1 m + (1 - beta1) g)
 * v = beta2 * v + (1 - beta2) * g * g
 * stepSize = lr / (1 - beta1^t)                 (bias corrections)
 * denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 * p = p - stepSize * m / denom
 * ```
 *
 * Slots `m` and `v` start at zero.
 *
 * @param options - `lr` (default 0.001), `beta1`, `beta2`, `eps`, `weightDecay`
 *   (L2, added to the gradient; see {@link AdamOptions}).
 * @returns An {@link Optimizer}.
 * @throws ArgumentError - when an option is not a finite number in its range; from
 *   `update`, when the state is not this optimizer's (`step` and slots), or a
 *   schedule gives a rate that is not finite.
 * @throws ShapeError - from `update`, when a gradient's shape differs from its
 *   parameter's.
 * @throws DTypeError - from `update`, when a gradient's dtype differs from its
 *   parameter's.
 * @throws MnemoError - from `update`'s fused loop, when one tensor object is
 *   passed as two inputs.
 * @throws CompileDeclined - never escapes: an update the compiler declines runs op
 *   by op.
 *
 * @example
 * ```ts
 * import { adam } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const opt = adam({ lr: 0.1 });
 * const p = { w: tensor([1], 'float64') };
 * const [p1] = opt.update({ w: tensor([3], 'float64') }, opt.init(p), p);
 * // the first step moves by about lr, whatever the gradient's scale
 * console.assert(Math.abs(p1.w.item() - 0.9) < 1e-8);
 * ```
 * @category Optimizers
 */
export function adam(options?: AdamOptions): Optimizer {
  return adamFamily('adam', options);
}

/**
 * AdamW (Loshchilov and Hutter 2019), as `torch.optim.AdamW`: Adam with
 * decoupled weight decay. Each update first shrinks the parameter,
 * `p = p * (1 - lr * weightDecay)` (default weightDecay 1e-2), then makes
 * {@link adam}'s update with no L2 term.
 *
 * @param options - As for {@link adam}; `weightDecay` (default 0.01) is decoupled:
 *   `p -= lr * weightDecay * p`.
 * @returns An {@link Optimizer}.
 * @throws ArgumentError - when an option is not a finite number in its range; from
 *   `update`, when the state is not this optimizer's (`step` and slots), or a
 *   schedule gives a rate that is not finite.
 * @throws ShapeError - from `update`, when a gradient's shape differs from its
 *   parameter's.
 * @throws DTypeError - from `update`, when a gradient's dtype differs from its
 *   parameter's.
 * @throws MnemoError - from `update`'s fused loop, when one tensor object is
 *   passed as two inputs.
 * @throws CompileDeclined - never escapes: an update the compiler declines runs op
 *   by op.
 *
 * @example
 * ```ts
 * import { adamw } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const opt = adamw({ lr: 0.1, weightDecay: 0.5 });
 * const p = { w: tensor([2], 'float64') };
 * const [p1] = opt.update({ w: tensor([0], 'float64') }, opt.init(p), p);
 * console.assert(p1.w.item() === 2 * (1 - 0.1 * 0.5));
 * ```
 * @category Optimizers
 */
export function adamw(options?: AdamOptions): Optimizer {
  return adamFamily('adamw', options);
}

// ---------------------------------------------------------------------------
// RMSProp
// ---------------------------------------------------------------------------

/**
 * Options of {@link rmsprop}: the learning rate, alpha, epsilon, momentum,
 * centering and weight decay, as `torch.optim.RMSprop`.
 *
 * @example
 * ```ts
 * import { rmsprop, type RmspropOptions } from '@mnemo/nn';
 * const o: RmspropOptions = { lr: 1e-3, alpha: 0.9, centered: true };
 * console.assert(rmsprop(o).config['centered'] === true);
 * ```
 * @category Optimizers
 */
export interface RmspropOptions {
  /** Learning rate or schedule (default 1e-2, PyTorch's). */
  readonly lr?: LearningRate;
  /** Decay of the squared-gradient average (default 0.99). */
  readonly alpha?: number;
  /** Added to the denominator, outside the square root (default 1e-8). */
  readonly eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  readonly weightDecay?: number;
  /** Momentum factor (default 0). */
  readonly momentum?: number;
  /** Divide by the centered second moment, an estimate of the variance (default false). */
  readonly centered?: boolean;
}

/**
 * RMSProp (Tieleman and Hinton 2012), as `torch.optim.RMSprop`: each step
 * divides the gradient by a running root mean square of past gradients:
 *
 * ```text
 * g = g + weightDecay * p                       (if weightDecay != 0)
 * sq = alpha * sq + (1 - alpha) * g * g
 * centered:  ga = lerp(ga, g, 1 - alpha);  avg = sqrt(sq - ga * ga) + eps
 * otherwise: avg = sqrt(sq) + eps
 * momentum > 0:  buf = momentum * buf + g / avg;  p = p - lr * buf
 * otherwise:     p = p - lr * g / avg
 * ```
 *
 * Slots: `squareAvg`, plus `gradAvg` when centered and `momentumBuffer` with
 * momentum, all starting at zero. There is no bias correction.
 *
 * @param opts - `lr` (default 0.01), `alpha`, `eps`, `momentum`, `centered`,
 *   `weightDecay` (see {@link RmspropOptions}).
 * @returns An {@link Optimizer}.
 * @throws ArgumentError - when `opts` is not an object or an option is not a
 *   finite number in its range; from `update`, when the state is not this
 *   optimizer's (`step` and slots), or a schedule gives a rate that is not finite.
 * @throws ShapeError - from `update`, when a gradient's shape differs from its
 *   parameter's.
 * @throws DTypeError - from `update`, when a gradient's dtype differs from its
 *   parameter's.
 *
 * @example
 * ```ts
 * import { rmsprop } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const opt = rmsprop({ lr: 0.01, alpha: 0.99, eps: 0 });
 * const p = { w: tensor([1], 'float64') };
 * const [p1] = opt.update({ w: tensor([2], 'float64') }, opt.init(p), p);
 * // sq = 0.01 * 4, step = 0.01 * 2 / sqrt(0.04) = 0.1
 * console.assert(Math.abs(p1.w.item() - 0.9) < 1e-15);
 * ```
 * @category Optimizers
 */
export function rmsprop(opts?: RmspropOptions): Optimizer {
  const op = 'rmsprop';
  const options = checkOptions(op, 'options', opts);
  const lr = checkLr(op, options.lr ?? 1e-2);
  const alpha = num(op, 'alpha', options.alpha ?? 0.99, 0, false, 1, false);
  const eps = num(op, 'eps', options.eps ?? 1e-8, 0);
  const weightDecay = num(op, 'weightDecay', options.weightDecay ?? 0, 0);
  const momentum = num(op, 'momentum', options.momentum ?? 0, 0);
  const centered = checkFlag(op, 'centered', options.centered, false);
  const slots = ['squareAvg', ...(momentum > 0 ? ['momentumBuffer'] : []), ...(centered ? ['gradAvg'] : [])];
  const iBuf = slots.indexOf('momentumBuffer');
  const iAvg = slots.indexOf('gradAvg');
  return makeOptimizer({
    name: op,
    config: { lr, alpha, eps, weightDecay, momentum, centered },
    lr,
    slots,
    prepare: (_t, rate) => (p, g, s, np, ns) => {
      const sq0 = s[0]!;
      const sq1 = ns[0]!;
      const buf0 = s[iBuf];
      const buf1 = ns[iBuf];
      const ga0 = s[iAvg];
      const ga1 = ns[iAvg];
      const w = 1 - alpha;
      const n = p.length;
      for (let i = 0; i < n; i++) {
        let d = g[i]!;
        if (weightDecay !== 0) d = d + weightDecay * p[i]!;
        sq1[i] = sq0[i]! * alpha + w * d * d;
        let avg: number;
        if (ga0 !== undefined && ga1 !== undefined) {
          ga1[i] = lerp(ga0[i]!, d, w);
          avg = Math.sqrt(sq1[i]! + -1 * ga1[i]! * ga1[i]!) + eps;
        } else {
          avg = Math.sqrt(sq1[i]!) + eps;
        }
        if (buf0 !== undefined && buf1 !== undefined) {
          buf1[i] = buf0[i]! * momentum + d / avg;
          np[i] = p[i]! + -rate * buf1[i]!;
        } else {
          np[i] = p[i]! + (-rate * d) / avg;
        }
      }
    },
  });
}

// ---------------------------------------------------------------------------
// Adagrad
// ---------------------------------------------------------------------------

/**
 * Options of {@link adagrad}: the learning rate, its decay, epsilon, the
 * initial accumulator and weight decay, as `torch.optim.Adagrad`.
 *
 * @example
 * ```ts
 * import { adagrad, type AdagradOptions } from '@mnemo/nn';
 * const o: AdagradOptions = { lr: 0.1, initialAccumulatorValue: 0.1 };
 * console.assert(adagrad(o).config['eps'] === 1e-10);
 * ```
 * @category Optimizers
 */
export interface AdagradOptions {
  /** Learning rate or schedule (default 1e-2). */
  readonly lr?: LearningRate;
  /** Decay of the learning rate with the step count (default 0). */
  readonly lrDecay?: number;
  /** L2 penalty added to the gradient (default 0). */
  readonly weightDecay?: number;
  /** Starting value of the accumulator (default 0). */
  readonly initialAccumulatorValue?: number;
  /** Added to the denominator, outside the square root (default 1e-10). */
  readonly eps?: number;
}

/**
 * Adagrad (Duchi et al. 2011), as `torch.optim.Adagrad`, at update
 * `t = 1, 2, ...`:
 *
 * ```text
 * g = g + weightDecay * p                       (if weightDecay != 0)
 * clr = lr / (1 + (t - 1) * lrDecay)
 * sum = sum + g * g
 * p = p - clr * g / (sqrt(sum) + eps)
 * ```
 *
 * The slot `sum` starts at `initialAccumulatorValue`.
 *
 * @param opts - `lr` (default 0.01), `lrDecay`, `eps`, `initialAccumulatorValue`,
 *   `weightDecay` (see {@link AdagradOptions}).
 * @returns An {@link Optimizer}.
 * @throws ArgumentError - when `opts` is not an object or an option is not a
 *   finite number in its range; from `update`, when the state is not this
 *   optimizer's (`step` and slots), or a schedule gives a rate that is not finite.
 * @throws ShapeError - from `update`, when a gradient's shape differs from its
 *   parameter's.
 * @throws DTypeError - from `update`, when a gradient's dtype differs from its
 *   parameter's.
 *
 * @example
 * ```ts
 * import { adagrad } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const opt = adagrad({ lr: 0.5, eps: 0 });
 * const p = { w: tensor([1], 'float64') };
 * const [p1] = opt.update({ w: tensor([4], 'float64') }, opt.init(p), p);
 * console.assert(p1.w.item() === 0.5);   // 1 - 0.5 * 4 / 4
 * ```
 * @category Optimizers
 */
export function adagrad(opts?: AdagradOptions): Optimizer {
  const op = 'adagrad';
  const options = checkOptions(op, 'options', opts);
  const lr = checkLr(op, options.lr ?? 1e-2);
  const lrDecay = num(op, 'lrDecay', options.lrDecay ?? 0, 0);
  const weightDecay = num(op, 'weightDecay', options.weightDecay ?? 0, 0);
  const initialAccumulatorValue = num(op, 'initialAccumulatorValue', options.initialAccumulatorValue ?? 0, 0);
  const eps = num(op, 'eps', options.eps ?? 1e-10, 0);
  return makeOptimizer({
    name: op,
    config: { lr, lrDecay, weightDecay, initialAccumulatorValue, eps },
    lr,
    slots: ['sum'],
    slotInit: () => initialAccumulatorValue,
    prepare: (t, rate) => {
      const clr = rate / (1 + (t - 1) * lrDecay);
      return (p, g, s, np, ns) => {
        const s0 = s[0]!;
        const s1 = ns[0]!;
        const n = p.length;
        for (let i = 0; i < n; i++) {
          let d = g[i]!;
          if (weightDecay !== 0) d = d + weightDecay * p[i]!;
          s1[i] = s0[i]! + d * d;
          np[i] = p[i]! + (-clr * d) / (Math.sqrt(s1[i]!) + eps);
        }
      };
    },
  });
}
