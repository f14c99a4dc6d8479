/**
 * Bad input throws a typed error whose message names the op, the argument and
 * the shapes involved.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  MAX_SIZE,
  MnemoError,
  ShapeError,
  Tensor,
  allocate,
  arange,
  checkDType,
  checkOptions,
  formatValue,
  cpu,
  eye,
  full,
  gpujs,
  key,
  linspace,
  ones,
  randint,
  scalar,
  split,
  splitTensor,
  stack,
  tensor,
  uniform,
  unsafeFromData,
  zeros,
} from '@mnemo/core';
import { broadcastPairArb, dtypeArb, tensorOf } from './helpers/reference.js';

type ErrorClass = typeof ShapeError | typeof ArgumentError | typeof DTypeError;

/** Run `f`, expect an error of class `cls` from op `op` about argument `arg`, whose message contains every `parts`. */
function expectError(f: () => unknown, cls: ErrorClass, op: string, arg: string, ...parts: string[]): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${cls.name} from ${op}`).toBeInstanceOf(cls);
  const e = caught as MnemoError;
  expect(e).toBeInstanceOf(MnemoError);
  expect(e.name).toBe(cls.name);
  expect(e.op).toBe(op);
  expect(e.arg).toBe(arg);
  expect(e.message.startsWith(`${op}: argument '${arg}': `)).toBe(true);
  for (const p of parts) expect(e.message).toContain(p);
}

const x23 = tensor([[1, 2, 3], [4, 5, 6]]);

describe('mismatched shapes', () => {
  it('binary ops and comparisons name both shapes', () => {
    expectError(() => cpu.binary('add', x23, tensor([1, 2])), ShapeError, 'add', 'shapes', '[2, 3]', '[2]');
    expectError(() => cpu.binary('pow', tensor([[1], [2]]), zeros([3, 1])), ShapeError, 'pow', 'shapes', '[2, 1]', '[3, 1]');
    expectError(() => cpu.compare('less', zeros([4]), zeros([5])), ShapeError, 'less', 'shapes', '[4]', '[5]');
    expectError(() => cpu.where(zeros([3]), x23, zeros([2])), ShapeError, 'where', 'shapes', '[3]', '[2, 3]', '[2]');
  });

  it('every pair of shapes that does not broadcast is refused, naming both', () => {
    // Make a broadcastable pair incompatible by changing one size on a shared axis.
    const arb = fc
      .tuple(dtypeArb, broadcastPairArb, fc.nat())
      .filter(([, [a, b]]) => Math.min(a.length, b.length) > 0)
      .map(([dt, [a, b], pick]) => {
        const i = pick % Math.min(a.length, b.length);
        const bb = b.slice();
        const ai = a[a.length - 1 - i]!;
        bb[bb.length - 1 - i] = ai === 2 ? 3 : 2;
        const aa = a.slice();
        if (ai === 1) aa[aa.length - 1 - i] = 5;
        return [dt, aa, bb] as const;
      })
      .chain(([dt, a, b]) => fc.tuple(tensorOf(a, dt), tensorOf(b, dt)));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
        expectError(() => cpu.binary('mul', a, b), ShapeError, 'mul', 'shapes', fmt(a.shape), fmt(b.shape));
      }),
      { numRuns: 100 },
    );
  });

  it('movement kernels name the shapes', () => {
    expectError(() => cpu.reshape(x23, [4]), ShapeError, 'reshape', 'shape', '[2, 3]', '[4]');
    expectError(() => cpu.reshape(x23, [4, -1]), ShapeError, 'reshape', 'shape', '[2, 3]', '[4, -1]');
    expectError(() => cpu.reshape(x23, [-1, -1]), ArgumentError, 'reshape', 'shape', '[-1, -1]');
    expectError(() => cpu.broadcastTo(x23, [3, 3]), ShapeError, 'broadcastTo', 'shapes', '[2, 3]', '[3, 3]');
    expectError(() => cpu.broadcastTo(x23, [3]), ShapeError, 'broadcastTo', 'shape', '[2, 3]', '[3]');
    expectError(() => cpu.concat([x23, zeros([3, 3])], 1), ShapeError, 'concat', 'xs[1]', '[3, 3]', '[2, 3]');
    expectError(() => cpu.slice(x23, [0, 2], [2, 2]), ArgumentError, 'slice', 'begin', '[2, 3]', 'axis 1');
    expectError(() => cpu.pad(x23, [[1, 1]], 0), ArgumentError, 'pad', 'widths', '[2, 3]');
    expectError(() => cpu.scatterAdd(tensor([0]), zeros([2, 2]), 0, [3, 2]), ShapeError, 'scatterAdd', 'updates', '[1, 2]', '[2, 2]');
    expectError(() => stack([x23, zeros([3, 2])]), ShapeError, 'stack', 'xs[1]', '[2, 3]', '[3, 2]');
    expectError(() => splitTensor(x23, 2, 1), ShapeError, 'splitTensor', 'sizesOrCount', '[2, 3]', '2 equal pieces');
    expectError(() => splitTensor(x23, [1, 1], 1), ShapeError, 'splitTensor', 'sizesOrCount', '[1, 1]', '[2, 3]');
  });
});

describe('matmul', () => {
  for (const backend of [cpu, gpujs]) {
    it(`${backend.name}: a wrong inner dimension names both shapes and the transposes`, () => {
      expectError(() => backend.matmul(zeros([2, 3]), zeros([4, 5]), false, false), ShapeError, 'matmul', 'b', '[2, 3]', '[4, 5]', '3 columns', '4 rows');
      expectError(() => backend.matmul(zeros([2, 3]), zeros([2, 5]), true, true), ShapeError, 'matmul', 'b', '[2, 3] (transposed)', '[2, 5] (transposed)');
      expectError(() => backend.matmul(zeros([7, 2, 3]), zeros([3, 3, 2]), false, false), ShapeError, 'matmul', 'b', '[7, 2, 3]', '[3, 3, 2]');
      expectError(() => backend.matmul(zeros([3]), zeros([3, 1]), false, false), ShapeError, 'matmul', 'a', '[3]');
      expectError(() => backend.matmul(zeros([3, 1]), scalar(1), false, false), ShapeError, 'matmul', 'b', '[]');
    });
  }
});

describe('axes out of range', () => {
  it('name the op, the argument, the axis and the shape', () => {
    expectError(() => cpu.reduce('sum', x23, [2], false), ArgumentError, 'sum', 'axes', 'axis 2', '[2, 3]');
    expectError(() => cpu.reduce('max', x23, [0, -3], true), ArgumentError, 'max', 'axes', 'axis -3', '[2, 3]');
    expectError(() => cpu.reduce('mean', x23, [1, -1], true), ArgumentError, 'mean', 'axes', 'twice');
    expectError(() => cpu.reduce('sum', x23, [0.5], false), ArgumentError, 'sum', 'axes', 'axis 0.5');
    expectError(() => cpu.argReduce('argmax', x23, 2, false), ArgumentError, 'argmax', 'axis', 'axis 2', '[2, 3]');
    expectError(() => cpu.argReduce('argmin', zeros([2, 0]), 1, false), ArgumentError, 'argmin', 'x', '[2, 0]');
    expectError(() => cpu.concat([x23, x23], -3), ArgumentError, 'concat', 'axis', 'axis -3', '[2, 3]');
    expectError(() => cpu.gather(x23, tensor([0]), 2), ArgumentError, 'gather', 'axis', 'axis 2', '[2, 3]');
    expectError(() => cpu.scatterAdd(tensor([0]), zeros([1]), 1, [3]), ArgumentError, 'scatterAdd', 'axis', 'axis 1', '[3]');
    expectError(() => cpu.transpose(x23, [0, 2]), ArgumentError, 'transpose', 'perm', 'axis 2', '[2, 3]');
    expectError(() => cpu.transpose(x23, [0, 0]), ArgumentError, 'transpose', 'perm', 'not a permutation', '[2, 3]');
    expectError(() => cpu.transpose(x23, [0]), ArgumentError, 'transpose', 'perm', '[2, 3]');
    expectError(() => stack([x23], 3), ArgumentError, 'stack', 'axis', 'axis 3', '[2, 3]');
    expectError(() => splitTensor(x23, 1, 2), ArgumentError, 'splitTensor', 'axis', 'axis 2', '[2, 3]');
  });

  it('are refused for every axis outside [-rank, rank)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }), fc.integer({ min: 0, max: 5 }), fc.boolean(), (shape, extra, neg) => {
        const t = zeros(shape);
        const axis = neg ? -shape.length - 1 - extra : shape.length + extra;
        expectError(() => cpu.reduce('sum', t, [axis], false), ArgumentError, 'sum', 'axes', `axis ${axis}`, `[${shape.join(', ')}]`);
      }),
      { numRuns: 100 },
    );
  });
});

describe('indices', () => {
  it('out-of-range or fractional indices are refused', () => {
    expectError(() => cpu.gather(x23, tensor([0, 2]), 0), ArgumentError, 'gather', 'indices', 'index 2', '[0, 2)');
    expectError(() => cpu.gather(x23, tensor([0.5]), 1), ArgumentError, 'gather', 'indices', 'index 0.5');
    expectError(() => cpu.scatterAdd(tensor([-1]), zeros([1]), 0, [2]), ArgumentError, 'scatterAdd', 'indices', 'index -1');
    expectError(() => cpu.oneHot(tensor([3]), 2, 'float32'), ArgumentError, 'oneHot', 'indices', 'index 3', '[0, 2)');
    expectError(() => cpu.oneHot(tensor([0]), -1, 'float32'), ArgumentError, 'oneHot', 'depth', '-1');
  });
});

describe('data of the wrong length', () => {
  it('is refused by tensor and unsafeFromData, naming the length and the shape', () => {
    expectError(() => tensor(new Float32Array(5), 'float32', [2, 3]), ArgumentError, 'tensor', 'values', 'length 5', '[2, 3]');
    expectError(() => tensor([1, 2, 3], 'float64', [2, 2]), ArgumentError, 'tensor', 'shape', '[2, 2]', '[3]');
    expectError(() => tensor([[1, 2], [3]]), ArgumentError, 'tensor', 'values', 'ragged', '[1]', '[2, 2]');
    expectError(() => tensor([[1, 2], 3] as never), ArgumentError, 'tensor', 'values', 'ragged');
    expectError(() => unsafeFromData(new Float64Array(3), [2, 2]), ArgumentError, 'unsafeFromData', 'data', 'length 3', '[2, 2]');
  });
});

describe('non-finite or fractional sizes', () => {
  it('are refused wherever a size is expected, naming the op', () => {
    expectError(() => zeros([NaN]), ArgumentError, 'zeros', 'shape', 'NaN', '[NaN]');
    expectError(() => zeros([2, Infinity]), ArgumentError, 'zeros', 'shape', 'axis 1', 'Infinity');
    expectError(() => ones([-1]), ArgumentError, 'ones', 'shape', '-1');
    expectError(() => full([2.5], 1), ArgumentError, 'full', 'shape', '2.5');
    expectError(() => full('3' as never, 1), ArgumentError, 'full', 'shape');
    expectError(() => eye(NaN), ArgumentError, 'eye', 'n', 'NaN');
    expectError(() => linspace(0, 1, Infinity), ArgumentError, 'linspace', 'num', 'Infinity');
    expectError(() => linspace(0, NaN, 3), ArgumentError, 'linspace', 'stop', 'NaN');
    expectError(() => arange(Infinity), ArgumentError, 'arange', 'stop', 'Infinity');
    expectError(() => arange(0, 1, 0), ArgumentError, 'arange', 'step');
    expectError(() => tensor([1], 'float32', [NaN]), ArgumentError, 'tensor', 'shape', 'NaN');
    expectError(() => cpu.reshape(x23, [NaN]), ArgumentError, 'reshape', 'shape', 'NaN');
    expectError(() => cpu.broadcastTo(scalar(1), [-1]), ArgumentError, 'broadcastTo', 'shape', '-1');
    expectError(() => cpu.scatterAdd(zeros([0]), zeros([0]), 0, [-1]), ArgumentError, 'scatterAdd', 'shape', '-1');
    expectError(() => cpu.pad(x23, [[0, 1.5], [0, 0]], 0), ArgumentError, 'pad', 'widths', '1.5');
    expectError(() => uniform(key(0), [Infinity]), ArgumentError, 'uniform', 'shape', 'Infinity');
    expectError(() => randint(key(0), [2], 0, Infinity), ArgumentError, 'randint', 'high', 'Infinity');
    expectError(() => splitTensor(x23, 0, 0), ArgumentError, 'splitTensor', 'sizesOrCount', '0');
  });
});

describe('dtype mix', () => {
  const f32 = tensor([[1, 2]], 'float32');
  const f64 = tensor([[1, 2]], 'float64');
  it('throws a DTypeError naming both dtypes and shapes', () => {
    expectError(() => cpu.binary('add', f32, f64), DTypeError, 'add', 'b', 'float32 [1, 2]', 'float64 [1, 2]');
    expectError(() => cpu.compare('equal', f64, f32), DTypeError, 'equal', 'b', 'float64 [1, 2]', 'float32 [1, 2]');
    expectError(() => cpu.where(f32, f32, f64), DTypeError, 'where', 'b', 'float32', 'float64');
    expectError(() => cpu.matmul(f32, tensor([[1], [2]], 'float64'), false, false), DTypeError, 'matmul', 'b', 'float32 [1, 2]', 'float64 [2, 1]');
    expectError(() => gpujs.matmul(f64, tensor([[1], [2]], 'float32'), false, false), DTypeError, 'matmul', 'b', 'float64 [1, 2]', 'float32 [2, 1]');
    expectError(() => cpu.concat([f32, f64], 0), DTypeError, 'concat', 'xs[1]', 'float32 [1, 2]', 'float64 [1, 2]');
    expectError(() => stack([f32, f64]), DTypeError, 'stack', 'xs[1]', 'float32 [1, 2]', 'float64 [1, 2]');
  });
  it('an unknown dtype is an ArgumentError', () => {
    expectError(() => zeros([1], 'int32' as never), ArgumentError, 'zeros', 'dtype', 'int32');
    expectError(() => cpu.cast(f32, 'float16' as never), ArgumentError, 'cast', 'dtype', 'float16');
  });
});

describe('not a tensor', () => {
  it('is refused with the argument named', () => {
    expectError(() => cpu.unary('exp', [1, 2] as never), ArgumentError, 'exp', 'x', '[1, 2]');
    expectError(() => cpu.binary('add', x23, 1 as never), ArgumentError, 'add', 'b', 'got 1');
    expectError(() => cpu.concat([], 0), ArgumentError, 'concat', 'xs');
    expectError(() => stack([]), ArgumentError, 'stack', 'xs');
  });
});

describe('malformed arguments the fuzz suite found (issue 15)', () => {
  it('the message formatter never crashes: BigInt, symbols and objects without a prototype are printed', () => {
    expectError(() => checkDType('cast', 'dtype', 1n), ArgumentError, 'cast', 'dtype', 'unknown dtype 1n');
    expectError(() => zeros([2, Object.create(null) as number]), ArgumentError, 'zeros', 'shape', 'got {}');
    expectError(() => scalar(Symbol('s') as never), ArgumentError, 'scalar', 'value', 'Symbol(s)');
    const e = new ShapeError(Object.create(null) as string, Symbol('a') as never, 2n as never);
    expect(e.message).toBe("{}: argument 'Symbol(a)': 2n");
    expect(formatValue(Object.create(null))).toBe('{}');
    expect(formatValue([1n, 'a', -0, null, [[[1]]]])).toBe('[1n, "a", -0, null, [[1 entries]]]');
    expect(formatValue(tensor([[1, 2]], 'float64'))).toBe('a Tensor float64 [1, 2]');
    expect(formatValue('x'.repeat(500)).length).toBeLessThanOrEqual(120);
  });

  it('sizes past 2^31 - 1 elements are a ShapeError before anything is allocated', () => {
    expectError(() => zeros([2 ** 31]), ShapeError, 'zeros', 'shape', '2147483648');
    expectError(() => ones([65536, 65536], 'float64'), ShapeError, 'ones', 'shape', '[65536, 65536]', '4294967296');
    // a broadcast of two small tensors to 2^32 elements (16 GiB in float32)
    expectError(() => cpu.binary('add', zeros([65536, 1]), zeros([1, 65536])), ShapeError, 'add', 'shape', '4294967296');
    expectError(() => cpu.pad(zeros([2]), [[0, 2 ** 31]], 0), ShapeError, 'pad', 'shape', '2147483650');
    expectError(() => arange(0, 2 ** 40), ShapeError, 'arange', 'stop');
    expectError(() => allocate('float64', 2 ** 32, 'zeros'), ShapeError, 'zeros', 'length');
    expect(MAX_SIZE).toBe(2 ** 31 - 1);
    // an empty tensor may have a large axis, as long as the axis itself fits
    expect(zeros([0, 1000]).shape).toEqual([0, 1000]);
  });

  it('an op name that is a property of every object is refused, not computed with Object.prototype.toString', () => {
    expectError(() => cpu.binary('toString' as never, x23, x23), ArgumentError, 'toString', 'op');
    expectError(() => cpu.compare('constructor' as never, x23, x23), ArgumentError, 'constructor', 'op');
  });

  it('split(key, n) refuses a count no array can hold (it grew an array until the heap ran out)', () => {
    expectError(() => split(key(0), 2 ** 53), ArgumentError, 'split', 'n', '9007199254740992');
  });

  it('new Tensor(...) from outside core checks its parts', () => {
    expectError(() => new Tensor(new Float32Array(2), [2 ** 31 + 1], 'float32'), ArgumentError, 'Tensor', 'shape');
    expectError(() => new Tensor([1, 2] as never, [2], 'float32'), ArgumentError, 'Tensor', 'data');
    expectError(() => new Tensor(new Float32Array(2), [2], 'float64'), ArgumentError, 'Tensor', 'dtype');
    expectError(() => new Tensor(new Float32Array(2), [3], 'float32'), ArgumentError, 'Tensor', 'data', 'length 2', '[3]');
  });

  it('flags are booleans: a string such as "false" would read as true', () => {
    expectError(() => cpu.matmul(x23, x23, false, 'false' as never), ArgumentError, 'matmul', 'transB');
    expectError(() => cpu.reduce('sum', x23, [0], 'yes' as never), ArgumentError, 'sum', 'keepDims');
  });

  it('options that are null or not records are refused, naming the function', () => {
    expectError(() => uniform(key(0), [2], null as never), ArgumentError, 'uniform', 'options');
    expectError(() => checkOptions('op', 'options', [1] as never), ArgumentError, 'op', 'options');
  });
});
