/**
 * Dense (fully connected) and embedding layers. A layer is a value with
 * `init` (draw a parameter pytree from a key) and `apply` (a pure function of
 * parameters and input, written in differentiable ops).
 *
 * @module
 */
import { ArgumentError, ShapeError, checkFlag, checkOptions, formatShape, formatValue, isTensor, split, unsafeDataOf, type DType, type Key, type Tensor } from '@mnemo/core';
import { add, gather, matmul, reshape } from '@mnemo/autodiff';
import { glorotUniform, normal, zeros, type Initializer } from './init.js';

function checkSize(op: string, arg: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0) throw new ArgumentError(op, arg, `must be a positive integer, got ${formatValue(n)}`);
  return n;
}

function initializer(op: string, arg: string, f: unknown, fallback: Initializer): Initializer {
  if (f === undefined) return fallback;
  if (typeof f !== 'function') throw new ArgumentError(op, arg, `expected an initializer (key, shape, dtype) => Tensor, got ${formatValue(f)}`);
  return f as Initializer;
}

function checkTensorArg(op: string, arg: string, x: unknown): Tensor {
  if (!isTensor(x)) throw new ArgumentError(op, arg, `expected a Tensor, got ${formatValue(x)}`);
  return x;
}

// ---------------------------------------------------------------------------
// Dense
// ---------------------------------------------------------------------------

/**
 * Parameters of a dense layer: `w` of shape `[in, out]` and, unless the layer
 * was made without one, a bias `b` of shape `[out]`.
 *
 * @example
 * ```ts
 * import { dense, type DenseParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: DenseParams = dense.init(key(0), 3, 2);
 * console.assert(p.w.shape.join() === '3,2' && 'b' in p);
 * ```
 * @category Layers
 */
export type DenseParams = { readonly w: Tensor; readonly b: Tensor } | { readonly w: Tensor };

/**
 * Options of `dense.init`: the initializers of the weight and the bias, whether
 * there is a bias, and the dtype.
 *
 * @example
 * ```ts
 * import { dense, init, type DenseOptions } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const o: DenseOptions = { bias: false, init: init.orthogonal, dtype: 'float64' };
 * console.assert(!('b' in dense.init(key(0), 2, 2, o)));
 * ```
 * @category Layers
 */
export interface DenseOptions {
  /** Whether to have a bias (default true). */
  readonly bias?: boolean;
  /** Initializer of the weight `w` (default {@link glorotUniform}). */
  readonly init?: Initializer;
  /** Initializer of the bias (default zeros). */
  readonly biasInit?: Initializer;
  /** The parameters' dtype (default float32). */
  readonly dtype?: DType;
}

/**
 * A dense (fully connected) layer: `y = x W + b`, with `W` of shape
 * `[in, out]` (the transpose of PyTorch's `nn.Linear.weight`) and `b` of
 * shape `[out]`. `apply` takes `x` of shape `[..., in]` (any number of leading
 * axes, flattened into one matrix product) and returns `[..., out]`.
 *
 * `init(key, in, out, options)` splits `key` into one key for the weight and
 * one for the bias.
 *
 * @example
 * ```ts
 * import { dense } from '@mnemo/nn';
 * import { key, ones } from '@mnemo/core';
 * const p = dense.init(key(0), 3, 2, { dtype: 'float64' });
 * const y = dense.apply(p, ones([4, 5, 3], 'float64'));
 * console.assert(y.shape.join() === '4,5,2');
 * ```
 * @category Layers
 */
export const dense = {
  /** Draw `{ w: [in, out], b: [out] }` (no `b` with `bias: false`). */
  init(key: Key, inSize: number, outSize: number, opts?: DenseOptions): DenseParams {
    const i = checkSize('dense.init', 'in', inSize);
    const o = checkSize('dense.init', 'out', outSize);
    const options = checkOptions('dense.init', 'options', opts);
    const dtype = options.dtype ?? 'float32';
    const [kw, kb] = split(key, 2) as [Key, Key];
    const w = initializer('dense.init', 'options.init', options.init, glorotUniform)(kw, [i, o], dtype);
    if (!checkFlag('dense.init', 'options.bias', options.bias, true)) return { w };
    return { w, b: initializer('dense.init', 'options.biasInit', options.biasInit, zeros)(kb, [o], dtype) };
  },
  /** `x W + b` for `x` of shape `[..., in]`. */
  apply(params: DenseParams, x: Tensor): Tensor {
    const op = 'dense.apply';
    if (params === null || typeof params !== 'object' || !('w' in params)) {
      throw new ArgumentError(op, 'params', 'expected dense parameters { w, b? }');
    }
    const w = checkTensorArg(op, 'params.w', params.w);
    const t = checkTensorArg(op, 'x', x);
    if (w.shape.length !== 2) throw new ShapeError(op, 'params.w', `expected a matrix [in, out], got ${formatShape(w.shape)}`);
    const [inSize, outSize] = w.shape as [number, number];
    if (t.shape.length === 0 || t.shape[t.shape.length - 1] !== inSize) {
      throw new ShapeError(op, 'x', `the last axis of x ${formatShape(t.shape)} must be the layer's input size ${inSize} (w is ${formatShape(w.shape)})`);
    }
    const lead = t.shape.slice(0, -1);
    const x2 = t.shape.length === 2 ? t : reshape(t, [-1, inSize]);
    let y = matmul(x2, w);
    if ('b' in params) {
      const b = checkTensorArg(op, 'params.b', params.b);
      if (b.shape.length !== 1 || b.shape[0] !== outSize) {
        throw new ShapeError(op, 'params.b', `expected shape [${outSize}] to match w ${formatShape(w.shape)}, got ${formatShape(b.shape)}`);
      }
      y = add(y, b);
    }
    return t.shape.length === 2 ? y : reshape(y, [...lead, outSize]);
  },
};

// ---------------------------------------------------------------------------
// Embedding
// ---------------------------------------------------------------------------

/**
 * Parameters of an embedding layer: a table of shape `[vocab, dim]`.
 *
 * @example
 * ```ts
 * import { embedding, type EmbeddingParams } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const p: EmbeddingParams = embedding.init(key(0), 10, 4);
 * console.assert(p.table.shape.join() === '10,4');
 * ```
 * @category Layers
 */
export type EmbeddingParams = { readonly table: Tensor };

/**
 * Options of `embedding.init`: the initializer of the table (normal with std 1
 * by default, as PyTorch's) and the dtype.
 *
 * @example
 * ```ts
 * import { embedding, init, type EmbeddingOptions } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const o: EmbeddingOptions = { init: init.uniform(-0.1, 0.1) };
 * console.assert(embedding.init(key(0), 5, 2, o).table.size === 10);
 * ```
 * @category Layers
 */
export interface EmbeddingOptions {
  /** Initializer of the table (default `normal(1)`, as PyTorch's `nn.Embedding`). */
  readonly init?: Initializer;
  /** The table's dtype (default float32). */
  readonly dtype?: DType;
}

/**
 * An embedding layer: row `i` of a table `[vocab, dim]` for each integer id
 * `i`. `apply(params, ids)` takes ids of any shape (integer values held in a
 * float tensor) and returns `[...ids.shape, dim]`; the gradient adds into the
 * rows that were looked up (a `gather`, whose adjoint is `scatterAdd`).
 *
 * @example
 * ```ts
 * import { embedding } from '@mnemo/nn';
 * import { key, tensor } from '@mnemo/core';
 * const p = embedding.init(key(0), 10, 4);
 * const y = embedding.apply(p, tensor([[1, 2, 3], [4, 5, 9]]));
 * console.assert(y.shape.join() === '2,3,4');
 * ```
 * @category Layers
 */
export const embedding = {
  /** Draw the table `[vocab, dim]`. */
  init(key: Key, vocabSize: number, dim: number, opts?: EmbeddingOptions): EmbeddingParams {
    const v = checkSize('embedding.init', 'vocab', vocabSize);
    const d = checkSize('embedding.init', 'dim', dim);
    const options = checkOptions('embedding.init', 'options', opts);
    return { table: initializer('embedding.init', 'options.init', options.init, normal(1))(key, [v, d], options.dtype ?? 'float32') };
  },
  /** The rows of the table at integer-valued `ids`: shape `ids.shape + [dim]`. */
  apply(params: EmbeddingParams, ids: Tensor): Tensor {
    const op = 'embedding.apply';
    if (params === null || typeof params !== 'object' || !('table' in params)) throw new ArgumentError(op, 'params', 'expected embedding parameters { table }');
    const table = checkTensorArg(op, 'params.table', params.table);
    const t = checkTensorArg(op, 'ids', ids);
    if (table.shape.length !== 2) throw new ShapeError(op, 'params.table', `expected a table [vocab, dim], got ${formatShape(table.shape)}`);
    const vocab = table.shape[0]!;
    const data = unsafeDataOf(t);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= vocab) {
        throw new ArgumentError(op, 'ids', `entry ${i} is ${v}, not an integer id in [0, ${vocab}) for the table ${formatShape(table.shape)}`);
      }
    }
    return gather(table, t, 0);
  },
};
