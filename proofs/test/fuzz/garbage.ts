/**
 * The values the fuzz suite passes to mnemo's public functions: malformed
 * arguments of every kind (wrong types, null and undefined, BigInt, NaN,
 * negative, fractional and huge sizes, nested garbage, symbols, functions,
 * objects without a prototype, typed arrays of other element types), mixed
 * with well-formed tensors and keys so that a call gets past its first check.
 *
 * Sizes are either small or at least 2^31: the library must refuse the huge
 * ones before it allocates anything, and no sum or difference of the numbers
 * drawn here lands in between (a size of a few hundred million would be a
 * valid request for gigabytes, which a test must not make).
 */
import fc from 'fast-check';
import { key, scalar, split, tensor, zeros, type Tensor } from '@mnemo/core';

/**
 * What the fuzz's callbacks throw. The one error that may escape a call
 * untyped: an error thrown by a user's callback passes through mnemo
 * unchanged (the documented boundary).
 */
export class CallbackError extends Error {
  constructor() {
    super('thrown by a callback the fuzz suite passed in');
    this.name = 'CallbackError';
  }
}

/** The one instance the callbacks throw, so that the property can tell it from anything else. */
export const CALLBACK_ERROR = new CallbackError();

/** Sizes and counts that a typed array cannot hold (each at least 2^31, pairwise at least 2^31 apart, or exactly equal). */
const HUGE = [2 ** 31, 2 ** 32, 2 ** 34, 2 ** 53, 2 ** 64, 1e300, Number.MAX_VALUE, -(2 ** 32), -(2 ** 53)];

/** Odd numbers: not integers, not finite, signed zero, the edges of float32. */
const ODD = [NaN, Infinity, -Infinity, -0, 0.5, -0.5, 1.5, 2.5, 1e-300, Number.EPSILON, Number.MIN_VALUE, 3.4e38, -1e-7];

const smallInt = fc.integer({ min: -3, max: 6 });

/** A number: a small integer most of the time, else an odd or a huge one. */
export const numberArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: smallInt },
  { weight: 3, arbitrary: fc.constantFrom(...ODD) },
  { weight: 2, arbitrary: fc.constantFrom(...HUGE) },
);

/** A size for a shape: small, or one that no typed array can hold, or not a size at all. */
export const dimArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 4 }) },
  { weight: 2, arbitrary: fc.constantFrom(2 ** 31, 2 ** 31 + 1, 2 ** 32, 2 ** 53, 1e300, Infinity) },
  { weight: 2, arbitrary: fc.constantFrom(-1, -2, 0.5, NaN, -0, 1n, '2', null, undefined) },
);

/** A shape-like array: mostly small sizes, sometimes a bad one. */
export const shapeLikeArb: fc.Arbitrary<unknown[]> = fc.array(dimArb, { maxLength: 4 });

const STRINGS = [
  '', 'a', 'x', 'float16', 'float32', 'float64', 'int32', 'bfloat16', 'cpu', 'gpujs', 'webgl', 'sum', 'mean', 'add', 'tanh', 'matmul',
  'lstm', 'gru', 'rnn', 'mgu', 'mut1', 'lstm+cifg', 'lstm+peephole+nfg', 'gru+reset-after', 'rnn+relu', 'lstm+', '+', 'lstm+unknown',
  'dot', 'elementwise', 'both', 'auto', 'forward', 'backward', '__proto__', 'constructor', 'toString', 'hasOwnProperty',
  '-1', '1e400', 'NaN', 'Infinity', '0x10', ' 3 ', '\u0000', '\uD800', 'é', 'x'.repeat(300), 'fuzz-out/params.json', 'fuzz-out/missing/x.json',
];

const SYMBOLS = [Symbol('fuzz'), Symbol.iterator, Symbol.toPrimitive, Symbol.for('mnemo')];

const BIGINTS = [0n, 1n, -1n, 2n ** 31n, 2n ** 64n];

/** Well-formed tensors of assorted ranks, sizes, dtypes and values (NaN and infinities included). */
const TENSORS: readonly (() => Tensor)[] = [
  () => scalar(0),
  () => scalar(1.5, 'float64'),
  () => scalar(NaN, 'float64'),
  () => scalar(3),
  () => tensor([1, 2, 3]),
  () => tensor([0, 1, 2], 'float64'),
  () => tensor([-1, 0.5, 2], 'float64'),
  () => tensor([[1, 2, 3], [4, 5, 6]]),
  () => tensor([[1, 0], [0, 1]], 'float64'),
  () => tensor([[0.5, -1], [Infinity, NaN]], 'float64'),
  () => tensor([[[1, 2]], [[3, 4]]], 'float64'),
  () => tensor([[1], [2]], 'float64'),
  () => zeros([0]),
  () => zeros([2, 0], 'float64'),
  () => zeros([0, 3]),
  () => zeros([1, 1, 1, 1]),
  () => zeros([2, 3, 4], 'float64'),
  () => tensor([0, 1, 1, 0]),
  () => tensor([2, 0], 'float64'),
];

/** A well-formed tensor. */
export const tensorArb: fc.Arbitrary<Tensor> = fc.constantFrom(...TENSORS).map((make) => make());

/** A well-formed random key. */
export const keyArb = fc.constantFrom(0, 1, 42).map((seed) => key(seed));

/** A callback: returns garbage, returns a tensor, or throws {@link CALLBACK_ERROR}. */
function callbackArb(inner: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    inner.map((v) => Object.assign(() => v, { toString: () => `() => ${fc.stringify(v)}` })),
    fc.constant(Object.assign(() => {
      throw CALLBACK_ERROR;
    }, { toString: () => '() => { throw CALLBACK_ERROR }' })),
    tensorArb.map((t) => Object.assign((x: unknown) => (x instanceof Object && 'shape' in x ? x : t), { toString: () => '(x) => x or a tensor' })),
  );
}

/** Option keys that mnemo's functions read: a record of garbage under these names gets past "not an object". */
const KEYS = [
  'axes', 'axis', 'keepDims', 'dtype', 'shape', 'transA', 'transB', 'argnums', 'hasAux', 'fwd', 'bwd', 'lr', 'beta1', 'beta2', 'eps',
  'momentum', 'weightDecay', 'nesterov', 'dampening', 'alpha', 'centered', 'lrDecay', 'initialAccumulatorValue', 'initial', 'every',
  'gamma', 'from', 'to', 'steps', 'final', 'low', 'high', 'mean', 'std', 'inputSize', 'hiddenSize', 'outputSize', 'projSize',
  'layerNorm', 'bias', 'init', 'biasInit', 'variant', 'variants', 'peepholes', 'forgetBias', 'activation', 'kind', 'cells', 'mode',
  'atol', 'rtol', 'step', 'seed', 'numRuns', 'like', 'fs', 'params', 'optimizer', 'metadata', 'slots', 'w', 'b', 'table', 'wrt',
  'directions', 'batch', 'lengths', 'masks', 'maxSteps', 'minSteps', 'maxSize', 'minRank', 'maxRank', 'minDim', 'maxDim', 'min', 'max',
  'distinct', 'avoid', 'check', 'inputScale', 'zero', 'reverse', 'initialState', 'mask', 'chunk', 'checkpointEvery', 'probes', 'names',
  'layers', 'bidirectional', 'cell', 'dropout', 'k0', 'k1', 'value', 'argNames', 'normRtol', 'kinks', 'projectInputs', 'fusedKernel',
  'precision', 'output', 'maxElements', 'worst', 'margin', 'gateSize', 'key', 'maxInput', 'maxHidden', 'maxBatch', 'layerNormEps',
];

const primitives: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(undefined, null, true, false) },
  { weight: 4, arbitrary: numberArb },
  { weight: 1, arbitrary: fc.constantFrom(...BIGINTS) },
  { weight: 3, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.constantFrom(...SYMBOLS) },
);

/** Odd objects: no prototype, built-ins that are not plain records, typed arrays of the wrong kind. */
const oddObjects: fc.Arbitrary<unknown> = fc.constantFrom<() => unknown>(
  () => ({}),
  () => Object.create(null) as object,
  () => Object.assign(Object.create(null) as object, { shape: [2], dtype: 'float32' }),
  () => new Map([['a', 1]]),
  () => new Set([1]),
  () => new Date(0),
  () => /re/,
  () => new Error('not a mnemo error'),
  () => new Float32Array([1, 2, 3]),
  () => new Float64Array(0),
  () => new Float64Array([NaN, 1]),
  () => new Int32Array([1, 2]),
  () => new Uint8Array([1]),
  () => new BigInt64Array([1n]),
  () => new ArrayBuffer(8),
  () => [, 1],
  () => Object.assign([1, 2], { extra: true }),
  () => ({ shape: [2, 3], dtype: 'float32', size: 6 }),
  () => ({ length: 3 }),
  () => ({ length: 2 ** 32 }),
  () => [[1, 2], [3]],
  () => [[[1]], 2],
  () => [1, [2, 3]],
).map((make) => make());

/**
 * Any value at all, to a bounded depth: primitives, odd objects, tensors,
 * keys, callbacks, shape-like arrays, nested arrays and records of garbage
 * (records keyed by the option names mnemo reads).
 */
export const garbageArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 6, arbitrary: primitives },
    { weight: 2, arbitrary: oddObjects },
    { weight: 4, arbitrary: tensorArb },
    { weight: 1, arbitrary: keyArb },
    { weight: 1, arbitrary: keyArb.map((k) => split(k, 2)) },
    { weight: 1, arbitrary: callbackArb(tie('value')) },
    { weight: 2, arbitrary: shapeLikeArb },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 2, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 3 }) },
  ),
})).value;

/** An argument list: up to five values, each garbage or a tensor. */
export const argsArb: fc.Arbitrary<unknown[]> = fc.array(fc.oneof({ weight: 3, arbitrary: garbageArb }, { weight: 2, arbitrary: tensorArb }), { maxLength: 5 });
