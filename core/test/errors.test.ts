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
  formatProgram,
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
  type LoopKernel,
  type SequenceProgram,
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

describe('sequence programs and loop kernels at the compiler boundary (found by the fuzz suite)', () => {
  /** h(t+1) = tanh(x(t) + h(t)), one fused loop per step. */
  const program = (): SequenceProgram => ({
    dtype: 'float64',
    batch: 2,
    buffers: [
      { kind: 'seq', width: 3, ld: 3, name: 'x' },
      { kind: 'state', width: 3, ld: 3, name: 'h' },
    ],
    kernels: [
      {
        width: 3,
        args: [{ ld: 3, perRow: true }, { ld: 3, perRow: true }, { ld: 3, perRow: true }],
        exprs: [{ op: 'load', arg: 0 }, { op: 'load', arg: 1 }, { op: 'add', a: 0, b: 1 }, { op: 'tanh', x: 2 }],
        stores: [{ arg: 2, expr: 3 }],
        sums: [],
      },
    ],
    phases: {
      once: [],
      pre: [],
      fwd: [{ kind: 'loop', kernel: 0, args: [{ buffer: 0, slot: 0, col: 0 }, { buffer: 1, slot: 0, col: 0 }, { buffer: 1, slot: 1, col: 0 }] }],
      bwd: [],
      post: [],
    },
  });
  /** A copy of the program with the value at `path` replaced. */
  const broken = (path: (string | number)[], value: unknown): SequenceProgram => {
    const p = JSON.parse(JSON.stringify(program())) as Record<string | number, unknown>;
    let at = p;
    for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
    at[path[path.length - 1]!] = value;
    return p as unknown as SequenceProgram;
  };

  it('a well-formed program compiles and runs its steps', () => {
    const compiled = cpu.compileSequence!(program());
    if (compiled === null) return; // no WebAssembly SIMD here
    const run = compiled.open(2);
    const x = [0.1, 0.2, 0.3, 1, 2, 3, -0.5, 0, 0.5, 4, 5, 6]; // [batch 2, steps 2, 3]
    run.writeSteps(0, new Float64Array(x), 2, [0, 1]);
    run.writeRows(1, 0, new Float64Array([0.5, 0.5, 0.5, 0, 0, 0]));
    run.run('fwd', 2);
    const h = run.readRows(1, 2);
    run.close();
    const want = [0, 1, 2, 3, 4, 5].map((i) => {
      const [b, j] = [Math.floor(i / 3), i % 3];
      const h1 = Math.tanh(x[b * 6 + j]! + (b === 0 ? 0.5 : 0));
      return Math.tanh(x[b * 6 + 3 + j]! + h1);
    });
    Array.from(h).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    expect(formatProgram(program())).toContain('tanh(add(b0, b1))');
  });

  it('a value that is not a program is refused before a field is read', () => {
    for (const v of [undefined, null, 1n, 'program', [], Object.create(null)]) {
      expectError(() => cpu.compileSequence!(v as never), ArgumentError, 'compileSequence', Object.getPrototypeOf(v ?? 0) === null ? 'program.dtype' : 'program');
      expectError(() => formatProgram(v as never), ArgumentError, 'formatProgram', Object.getPrototypeOf(v ?? 0) === null ? 'program.dtype' : 'program');
    }
  });

  it('every field is checked, and the error names it', () => {
    const cases: [(string | number)[], unknown, string, string][] = [
      [['dtype'], 'float16', 'program.dtype', '"float16"'],
      [['batch'], 0, 'program.batch', 'got 0'],
      [['batch'], 2n, 'program.batch', 'got 2n'],
      [['buffers'], {}, 'program.buffers', 'an array of buffers'],
      [['buffers', 0, 'kind'], 'ring', 'program.buffers[0].kind', '"ring"'],
      [['buffers', 0, 'ld'], 2, 'program.buffers[0].ld', 'from 3 to'],
      [['buffers', 1, 'ld'], 2 ** 31, 'program.buffers[1].ld', '2147483648'],
      [['buffers', 1, 'ld'], 2 ** 23, 'program.buffers[1]', '1 GiB'],
      [['buffers', 1, 'float64'], 'yes', 'program.buffers[1].float64', '"yes"'],
      [['kernels', 0, 'exprs', 2, 'a'], 3, 'program.kernels[0].exprs[2].a', 'the expressions before it'],
      [['kernels', 0, 'exprs', 3, 'op'], 'erf', 'program.kernels[0].exprs[3].op', '"erf"'],
      [['kernels', 0, 'exprs', 0, 'arg'], 3, 'program.kernels[0].exprs[0].arg', 'from 0 to 2'],
      [['kernels', 0, 'exprs', 1], { op: 'const', value: 1n }, 'program.kernels[0].exprs[1].value', 'got 1n'],
      [['kernels', 0, 'stores', 0, 'expr'], 4, 'program.kernels[0].stores[0].expr', 'from 0 to 3'],
      [['kernels', 0, 'sums'], [{ arg: 0, expr: 0 }], 'program.kernels[0].sums[0].accumulate', 'got undefined'],
      [['kernels', 0, 'width'], -1, 'program.kernels[0].width', 'got -1'],
      [['phases', 'bwd'], undefined, 'program.phases.bwd', 'an array of instructions'],
      [['phases', 'fwd', 0, 'kernel'], 1, 'program.phases.fwd[0].kernel', 'from 0 to 0'],
      [['phases', 'fwd', 0, 'args'], [{ buffer: 0, slot: 0, col: 0 }], 'program.phases.fwd[0].args', '3 buffer references'],
      [['phases', 'fwd', 0, 'args', 2, 'buffer'], 2, 'program.phases.fwd[0].args[2].buffer', 'from 0 to 1'],
      [['phases', 'fwd', 0, 'args', 2, 'slot'], 2, 'program.phases.fwd[0].args[2].slot', '0 or 1'],
      [['phases', 'fwd', 0, 'args', 2, 'col'], 4, 'program.phases.fwd[0].args[2].col', 'from 0 to 3'],
      [['phases', 'fwd', 0, 'kind'], 'call', 'program.phases.fwd[0].kind', '"call"'],
      [
        ['phases', 'fwd', 1],
        { kind: 'gemm', a: { buffer: 0, slot: 0, col: 0 }, b: { buffer: 1, slot: 0, col: 0 }, c: { buffer: 1, slot: 1, col: 0 }, m: 'rows', n: 3, k: 'rows', transA: false, transB: false, packed: false, accumulate: false },
        'program.phases.fwd[1].k',
        'got "rows"',
      ],
      [['phases', 'once', 0], { kind: 'pack', src: 0, dst: 5, n: 1, k: 1, transposed: false }, 'program.phases.once[0].dst', 'from 0 to 1'],
    ];
    for (const [path, value, arg, part] of cases) {
      expectError(() => cpu.compileSequence!(broken(path, value)), ArgumentError, 'compileSequence', arg, part);
      expectError(() => formatProgram(broken(path, value)), ArgumentError, 'formatProgram', arg, part);
    }
  });

  it('compileLoop checks the kernel and the dtype (gpujs delegates to the same code)', () => {
    const k: LoopKernel = { width: 0, args: [{ ld: 0, perRow: true }, { ld: 0, perRow: true }], exprs: [{ op: 'load', arg: 0 }, { op: 'square', x: 0 }], stores: [{ arg: 1, expr: 1 }], sums: [] };
    for (const backend of [cpu, gpujs]) {
      expectError(() => backend.compileLoop!(undefined as never, 'float64'), ArgumentError, 'compileLoop', 'kernel', 'got undefined');
      expectError(() => backend.compileLoop!({ ...k, exprs: [{ op: 'square', x: 0 }] }, 'float64'), ArgumentError, 'compileLoop', 'kernel.exprs[0].x', 'which is empty');
      expectError(() => backend.compileLoop!({ ...k, args: [{ ld: 0, perRow: 'yes' as never }, k.args[1]!] }, 'float64'), ArgumentError, 'compileLoop', 'kernel.args[0].perRow');
      expectError(() => backend.compileLoop!(k, 'float16' as never), ArgumentError, 'compileLoop', 'dtype', 'float16');
    }
    const loop = cpu.compileLoop!(k, 'float64');
    if (loop === null) return;
    const out = new Float64Array(3);
    loop.run(3, [new Float64Array([1, 2, 3]), out]);
    expect(Array.from(out)).toEqual([1, 4, 9]);
    expectError(() => loop.run(3, [new Float64Array([1, 2]), out]), ArgumentError, 'compileLoop', 'arrays[0]', 'at least 3 elements');
    expectError(() => loop.run(3, [[1, 2, 3] as never, out]), ArgumentError, 'compileLoop', 'arrays[0]');
    expectError(() => loop.run(-1, [out, out]), ArgumentError, 'compileLoop', 'length');
  });
});
