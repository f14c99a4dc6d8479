/**
 * Gradient clipping, on the gradients' typed arrays (these are for the
 * gradients a backward pass returned; they are not differentiable ops).
 * Inputs are never modified.
 *
 * @module
 */
import { ArgumentError, allocate, formatValue, unsafeDataOf, unsafeFromData, type Tensor } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';

/**
 * The global L2 norm of a pytree: `sqrt(sum over every leaf and entry of x^2)`,
 * in double precision. It does not overflow for large finite entries (the
 * sum is rescaled by the largest magnitude when it would). NaN if any entry
 * is NaN; Infinity if any is infinite.
 *
 * @param x - A pytree of tensors (gradients).
 * @returns The norm, a number (NaN or Infinity when an entry is).
 * @throws ArgumentError - when a leaf of `x` is not a tensor.
 *
 * @example
 * ```ts
 * import { globalNorm } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * console.assert(globalNorm({ a: tensor([3]), b: [tensor([4])] }) === 5);
 * ```
 * @category Clipping
 */
export function globalNorm(x: Tree): number {
  const leaves = tree.flatten(x, 'globalNorm', 'x')[0];
  let s = 0;
  for (const l of leaves) {
    const d = unsafeDataOf(l);
    for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
  }
  if (Number.isFinite(s)) return Math.sqrt(s);
  // Infinite: an infinite entry, or an overflow of the squares of finite ones.
  let big = 0;
  for (const l of leaves) {
    const d = unsafeDataOf(l);
    for (let i = 0; i < d.length; i++) {
      const a = Math.abs(d[i]!);
      if (Number.isNaN(a)) return NaN;
      if (a > big) big = a;
    }
  }
  if (!Number.isFinite(big)) return Infinity;
  let t = 0;
  for (const l of leaves) {
    const d = unsafeDataOf(l);
    for (let i = 0; i < d.length; i++) {
      const r = d[i]! / big;
      t += r * r;
    }
  }
  return big * Math.sqrt(t);
}

function mapLeaves<P extends Tree>(op: string, x: P, f: (v: number) => number): P {
  const [leaves, def] = tree.flatten(x, op, 'grads');
  const out = leaves.map((l: Tensor) => {
    const d = unsafeDataOf(l);
    const y = allocate(l.dtype, d.length);
    for (let i = 0; i < d.length; i++) y[i] = f(d[i]!);
    return unsafeFromData(y, l.shape);
  });
  return tree.unflatten(def, out) as P;
}

/**
 * Clip by global norm: if the global norm `n` of `grads` (see
 * {@link globalNorm}) exceeds `maxNorm`, every gradient is multiplied by
 * `maxNorm / n`, which keeps the direction and brings the norm to `maxNorm`
 * (up to rounding in the gradients' dtype); otherwise `grads` is returned as
 * it is. Returns `[clipped, n]`, with `n` the norm before clipping.
 *
 * Unlike PyTorch's `clip_grad_norm_` there is no `1e-6` added to the norm. A
 * non-finite norm (NaN or infinite gradients) leaves the gradients unchanged:
 * check the returned norm and skip the update.
 *
 * @param grads - A pytree of gradients.
 * @param maxNorm - The largest global norm allowed, finite and non-negative.
 * @returns `[clipped, norm]`: the gradients scaled by `min(1, maxNorm / norm)`,
 *   and their norm before clipping.
 * @throws ArgumentError - when `maxNorm` is negative or not finite, or a leaf is
 *   not a tensor.
 * @throws ShapeError - never in practice: it could only come from allocating a
 *   result of a gradient's own size.
 *
 * @example
 * ```ts
 * import { clipByGlobalNorm } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const [g, n] = clipByGlobalNorm({ w: tensor([6, 8], 'float64') }, 5);
 * console.assert(n === 10 && g.w.toArray().join() === '3,4');
 * ```
 * @category Clipping
 */
export function clipByGlobalNorm<P extends Tree>(grads: P, maxNorm: number): [P, number] {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0) || !Number.isFinite(maxNorm)) {
    throw new ArgumentError('clipByGlobalNorm', 'maxNorm', `must be a finite non-negative number, got ${formatValue(maxNorm)}`);
  }
  const n = globalNorm(grads);
  if (!Number.isFinite(n) || n <= maxNorm) return [grads, n];
  const scale = maxNorm / n;
  return [mapLeaves('clipByGlobalNorm', grads, (v) => v * scale), n];
}

/**
 * Clip every gradient entry into `[-maxAbs, maxAbs]` (PyTorch's
 * `clip_grad_value_`). NaN entries stay NaN.
 *
 * @param grads - A pytree of gradients.
 * @param maxAbs - The largest magnitude allowed, non-negative.
 * @returns The gradients with every entry clamped into `[-maxAbs, maxAbs]`.
 * @throws ArgumentError - when `maxAbs` is negative or NaN, or a leaf is not a
 *   tensor.
 * @throws ShapeError - never in practice: it could only come from allocating a
 *   result of a gradient's own size.
 *
 * @example
 * ```ts
 * import { clipByValue } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const g = clipByValue({ w: tensor([-3, 0.5, 2]) }, 1);
 * console.assert(g.w.toArray().join() === '-1,0.5,1');
 * ```
 * @category Clipping
 */
export function clipByValue<P extends Tree>(grads: P, maxAbs: number): P {
  if (typeof maxAbs !== 'number' || !(maxAbs >= 0)) {
    throw new ArgumentError('clipByValue', 'maxAbs', `must be a non-negative number, got ${formatValue(maxAbs)}`);
  }
  return mapLeaves('clipByValue', grads, (v) => (v > maxAbs ? maxAbs : v < -maxAbs ? -maxAbs : v));
}
