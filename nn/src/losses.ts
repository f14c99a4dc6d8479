/**
 * Losses (each a scalar, the mean over the batch) and accuracy.
 *
 * The two losses from logits have a fused gradient ({@link customVjp}): one
 * rule, written in differentiable ops (so gradients of gradients work), that
 * is both cheaper and more accurate than differentiating the stable forward
 * formula piece by piece.
 *
 * @module
 */
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  allocate,
  formatShape,
  formatValue,
  isTensor,
  shapesEqual,
  unsafeDataOf,
  unsafeFromData,
  zeros,
  type Tensor,
} from '@mnemo/core';
import { customVjp, div, exp, max, mean, mul, neg, oneHot, sigmoid, square, stopGradient, sub, sum } from '@mnemo/autodiff';

function tensorArg(op: string, arg: string, x: unknown): Tensor {
  if (!isTensor(x)) throw new ArgumentError(op, arg, `expected a Tensor, got ${formatValue(x)}`);
  return x;
}

/** Check `logits [N, C]` and integer `labels [N]` in `[0, C)`; returns `[N, C]`. */
function checkClassification(op: string, logits: unknown, labels: unknown): [number, number] {
  const z = tensorArg(op, 'logits', logits);
  const y = tensorArg(op, 'labels', labels);
  if (z.rank !== 2) throw new ShapeError(op, 'logits', `expected logits of shape [batch, classes], got ${formatShape(z.shape)}`);
  const [n, c] = z.shape as [number, number];
  if (y.rank !== 1 || y.shape[0] !== n) {
    throw new ShapeError(op, 'labels', `expected labels of shape [${n}] for logits ${formatShape(z.shape)}, got ${formatShape(y.shape)}`);
  }
  if (n === 0) throw new ShapeError(op, 'logits', 'the batch is empty: the mean over zero examples is undefined');
  const yd = unsafeDataOf(y);
  for (let i = 0; i < n; i++) {
    const v = yd[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= c) {
      throw new ArgumentError(op, 'labels', `labels[${i}] is ${v}, not an integer class in [0, ${c}) for logits ${formatShape(z.shape)}`);
    }
  }
  return [n, c];
}

/** Mean over rows of `logsumexp(z_i) - z_i[y_i]`, in double precision, one pass per row. */
function crossEntropyValue(logits: Tensor, labels: Tensor, n: number, c: number): Tensor {
  const z = unsafeDataOf(logits);
  const y = unsafeDataOf(labels);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = i * c;
    let m = -Infinity;
    for (let j = 0; j < c; j++) if (z[row + j]! > m) m = z[row + j]!;
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(z[row + j]! - m);
    // m is -Infinity only if every logit is -Infinity: the loss is then NaN, as 0 / 0.
    total += m + Math.log(s) - z[row + y[i]!]!;
  }
  const out = allocate(logits.dtype, 1);
  out[0] = total / n;
  return unsafeFromData(out, []);
}

/**
 * Softmax over the last axis as `e / sum(e)` with `e = exp(z - max(z))`: the
 * shift is exact where it matters (Sterbenz), so probabilities keep full
 * relative precision even for logits of 1e4, where `exp(z - logsumexp(z))`
 * loses about 1e-12. The shift is a constant for differentiation (softmax
 * does not depend on it), so second derivatives stay right.
 */
function softmaxRows(z: Tensor): Tensor {
  const e = exp(sub(z, stopGradient(max(z, { axes: -1, keepDims: true }))));
  return div(e, sum(e, { axes: -1, keepDims: true }));
}

const crossEntropyFused = customVjp(
  (logits: Tensor, labels: Tensor): Tensor => {
    const [n, c] = logits.shape as [number, number];
    return crossEntropyValue(logits, labels, n, c);
  },
  {
    fwd: (logits: Tensor, labels: Tensor) => {
      const [n, c] = logits.shape as [number, number];
      return [crossEntropyValue(logits, labels, n, c), [logits, labels] as const] as const;
    },
    // d loss / d z = (softmax(z) - onehot(y)) / N, times the incoming cotangent; labels get none.
    bwd: ([logits, labels], g) => {
      const [n, c] = logits.shape as [number, number];
      const dz = div(sub(softmaxRows(logits), oneHot(labels, c, logits.dtype)), n);
      return [mul(dz, g), zeros(labels.shape, labels.dtype)];
    },
  },
);

/**
 * Softmax cross-entropy from logits with integer class labels, averaged over
 * the batch:
 *
 * ```text
 * loss = (1/N) sum_i [ logsumexp(z_i) - z_i[y_i] ]
 * ```
 *
 * `logits` has shape `[N, C]`; `labels` has shape `[N]` and holds integer
 * class indices in `[0, C)` in a float tensor of either dtype. The forward
 * pass shifts each row by its maximum, so it is finite for logits of any
 * magnitude (1e4 included). The gradient is one fused rule,
 * `(softmax(z) - onehot(y)) / N`, written in differentiable ops; the labels
 * get a zero gradient. The result has the logits' dtype.
 *
 * @param logits - Unnormalized scores `[N, C]`.
 * @param labels - Integer classes in `[0, C)`, `[N]`, in a float tensor of either
 *   dtype.
 * @returns The mean loss, a scalar of the logits' dtype.
 * @throws ArgumentError - when an argument is not a tensor, or a label is not an
 *   integer class in `[0, C)`.
 * @throws ShapeError - when `logits` is not `[N, C]`, `labels` is not `[N]`, or
 *   the batch is empty.
 *
 * @example
 * ```ts
 * import { softmaxCrossEntropy } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const loss = softmaxCrossEntropy(tensor([[0, 0]], 'float64'), tensor([1]));
 * console.assert(Math.abs(loss.item() - Math.log(2)) < 1e-15);
 * ```
 * @category Losses
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  checkClassification('softmaxCrossEntropy', logits, labels);
  return crossEntropyFused(logits, labels);
}

/**
 * The fraction (a plain number in `[0, 1]`) of rows whose largest logit is at
 * the label's class. At a tie, the first largest counts (as `argmax`). Not
 * differentiable.
 *
 * @param logits - Scores `[N, C]`.
 * @param labels - Integer classes, `[N]`.
 * @returns The fraction of rows classified right, a number in `[0, 1]`.
 * @throws ArgumentError - when an argument is not a tensor, or a label is not an
 *   integer class in `[0, C)`.
 * @throws ShapeError - when `logits` is not `[N, C]`, `labels` is not `[N]`, or
 *   the batch is empty.
 *
 * @example
 * ```ts
 * import { accuracy } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * console.assert(accuracy(tensor([[2, 1], [0, 3]]), tensor([0, 0])) === 0.5);
 * ```
 * @category Losses
 */
export function accuracy(logits: Tensor, labels: Tensor): number {
  const [n, c] = checkClassification('accuracy', logits, labels);
  const z = unsafeDataOf(logits);
  const y = unsafeDataOf(labels);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (z[i * c + j]! > z[i * c + best]!) best = j;
    if (best === y[i]) hits++;
  }
  return hits / n;
}

function checkPair(op: string, a: string, b: string, x: unknown, y: unknown): [Tensor, Tensor] {
  const p = tensorArg(op, a, x);
  const t = tensorArg(op, b, y);
  if (!shapesEqual(p.shape, t.shape)) {
    throw new ShapeError(op, b, `${b} ${formatShape(t.shape)} must have the shape of ${a} ${formatShape(p.shape)} (no broadcasting)`);
  }
  if (p.dtype !== t.dtype) throw new DTypeError(op, b, `${b} is ${t.dtype}, ${a} is ${p.dtype}; cast one of them`);
  if (p.size === 0) throw new ShapeError(op, a, `${a} ${formatShape(p.shape)} is empty: the mean over zero elements is undefined`);
  return [p, t];
}

/**
 * Mean squared error over every element: `mean((pred - target)^2)`. The two
 * tensors must have the same shape and dtype.
 *
 * @param pred - Predictions, any shape.
 * @param target - Targets, of `pred`'s shape and dtype.
 * @returns The mean of the squared differences, a scalar.
 * @throws ArgumentError - when an argument is not a tensor.
 * @throws ShapeError - when the shapes differ (no broadcasting) or the tensors are
 *   empty.
 * @throws DTypeError - when the dtypes differ.
 *
 * @example
 * ```ts
 * import { mse } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * console.assert(mse(tensor([1, 2]), tensor([1, 4])).item() === 2);
 * ```
 * @category Losses
 */
export function mse(pred: Tensor, target: Tensor): Tensor {
  const [p, t] = checkPair('mse', 'pred', 'target', pred, target);
  return mean(square(sub(p, t)));
}

/** Mean of `max(x, 0) - x t + log1p(exp(-|x|))`, in double precision. */
function bceValue(logits: Tensor, targets: Tensor): Tensor {
  const x = unsafeDataOf(logits);
  const t = unsafeDataOf(targets);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    total += Math.max(v, 0) - v * t[i]! + Math.log1p(Math.exp(-Math.abs(v)));
  }
  const out = allocate(logits.dtype, 1);
  out[0] = total / x.length;
  return unsafeFromData(out, []);
}

const bceFused = customVjp((logits: Tensor, targets: Tensor): Tensor => bceValue(logits, targets), {
  fwd: (logits: Tensor, targets: Tensor) => [bceValue(logits, targets), [logits, targets] as const] as const,
  // d/dx = (sigmoid(x) - t) / n, d/dt = -x / n, times the incoming cotangent.
  bwd: ([logits, targets], g) => {
    const n = logits.size;
    return [mul(div(sub(sigmoid(logits), targets), n), g), mul(div(neg(logits), n), g)];
  },
});

/**
 * Binary cross-entropy from logits, averaged over every element:
 *
 * ```text
 * loss = mean( -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)) )
 *      = mean( max(x, 0) - x t + log1p(exp(-|x|)) )      (the stable form used)
 * ```
 *
 * `targets` (probabilities in [0, 1], usually 0 or 1) must have the shape and
 * dtype of `logits`. The gradient is one fused rule: `(sigmoid(x) - t) / n`
 * for the logits (exact at `x = 0`, where the stable form has kinks) and
 * `-x / n` for the targets.
 *
 * @param logits - Scores, any shape.
 * @param targets - Probabilities in `[0, 1]`, of the logits' shape and dtype.
 * @returns The mean loss, a scalar.
 * @throws ArgumentError - when an argument is not a tensor.
 * @throws ShapeError - when the shapes differ (no broadcasting) or the tensors are
 *   empty.
 * @throws DTypeError - when the dtypes differ.
 *
 * @example
 * ```ts
 * import { binaryCrossEntropyWithLogits } from '@mnemo/nn';
 * import { tensor } from '@mnemo/core';
 * const loss = binaryCrossEntropyWithLogits(tensor([0], 'float64'), tensor([1], 'float64'));
 * console.assert(Math.abs(loss.item() - Math.log(2)) < 1e-15);
 * ```
 * @category Losses
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor): Tensor {
  const [x, t] = checkPair('binaryCrossEntropyWithLogits', 'logits', 'targets', logits, targets);
  return bceFused(x, t);
}
