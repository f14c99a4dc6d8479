/**
 * No kernel writes to its inputs: for every kernel of every backend (and the
 * composed kernels), the inputs' data is unchanged after the call.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpu, getBackend, splitTensor, stack, tensor, unsafeDataOf, type Backend, type Tensor } from '@mnemo/core';
import { REF_BINARY, REF_COMPARE, REF_UNARY, RUNS, broadcastTensorsArb, dtypeArb, finiteArb, permArb, shapeArb, tensorArb, tensorOf } from './helpers/reference.js';

interface Call {
  readonly kernel: string;
  readonly inputs: readonly Tensor[];
  readonly run: (b: Backend) => unknown;
}

const nonEmpty = (dt: 'float32' | 'float64') => tensorArb(dt, shapeArb(1, 3, fc.integer({ min: 1, max: 3 })));

/** One arbitrary call of each kernel, with inputs drawn by fast-check. */
const callArb: fc.Arbitrary<Call> = dtypeArb.chain((dt) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...Object.keys(REF_UNARY)), tensorArb(dt)).map(([op, x]): Call => ({ kernel: `unary ${op}`, inputs: [x], run: (b) => b.unary(op as never, x) })),
    fc.tuple(fc.constantFrom(...Object.keys(REF_BINARY)), broadcastTensorsArb()).map(([op, [x, y]]): Call => ({ kernel: `binary ${op}`, inputs: [x, y], run: (b) => b.binary(op as never, x, y) })),
    fc.tuple(fc.constantFrom(...Object.keys(REF_COMPARE)), broadcastTensorsArb()).map(([op, [x, y]]): Call => ({ kernel: `compare ${op}`, inputs: [x, y], run: (b) => b.compare(op as never, x, y) })),
    broadcastTensorsArb().chain(([x, y]) => tensorOf(x.shape, x.dtype, fc.constantFrom(0, 1)).map((c): Call => ({ kernel: 'where', inputs: [c, x, y], run: (b) => b.where(c, x, y) }))),
    fc.tuple(fc.constantFrom('sum', 'mean', 'max', 'min', 'logsumexp'), tensorArb(dt), fc.boolean()).map(([op, x, k]): Call => ({ kernel: `reduce ${op}`, inputs: [x], run: (b) => b.reduce(op as never, x, undefined, k) })),
    nonEmpty(dt).map((x): Call => ({ kernel: 'argmax', inputs: [x], run: (b) => b.argReduce('argmax', x, -1, false) })),
    fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean()).chain(([m, k, n, ta, tb]) =>
      fc.tuple(tensorOf(ta ? [2, k, m] : [2, m, k], dt, finiteArb), tensorOf(tb ? [n, k] : [k, n], dt, finiteArb)).map(([x, y]): Call => ({ kernel: 'matmul', inputs: [x, y], run: (b) => b.matmul(x, y, ta, tb) })),
    ),
    tensorArb(dt).map((x): Call => ({ kernel: 'reshape', inputs: [x], run: (b) => b.reshape(x, [x.size]) })),
    tensorArb(dt).chain((x) => permArb(x.rank).map((p): Call => ({ kernel: 'transpose', inputs: [x], run: (b) => b.transpose(x, p) }))),
    tensorArb(dt, shapeArb(0, 2)).map((x): Call => ({ kernel: 'broadcastTo', inputs: [x], run: (b) => b.broadcastTo(x, [2, ...x.shape]) })),
    tensorArb(dt).map((x): Call => ({ kernel: 'slice', inputs: [x], run: (b) => b.slice(x, x.shape.map(() => 0), x.shape.map((d) => Math.min(d, 1))) })),
    fc.tuple(nonEmpty(dt)).chain(([x]) => tensorOf(x.shape, dt).map((y): Call => ({ kernel: 'concat', inputs: [x, y], run: (b) => b.concat([x, y], 0) }))),
    tensorArb(dt).map((x): Call => ({ kernel: 'pad', inputs: [x], run: (b) => b.pad(x, x.shape.map(() => [1, 1] as const), 3) })),
    nonEmpty(dt).chain((x) =>
      tensorOf([3], dt, fc.integer({ min: 0, max: x.shape[0]! - 1 })).map((i): Call => ({ kernel: 'gather', inputs: [x, i], run: (b) => b.gather(x, i, 0) })),
    ),
    nonEmpty(dt).chain((x) =>
      tensorOf([2], dt, fc.integer({ min: 0, max: x.shape[0]! - 1 })).chain((i) =>
        tensorOf([2, ...x.shape.slice(1)], dt).map((u): Call => ({ kernel: 'scatterAdd', inputs: [i, u], run: (b) => b.scatterAdd(i, u, 0, x.shape) })),
      ),
    ),
    tensorOf([4], dt, fc.integer({ min: 0, max: 2 })).map((i): Call => ({ kernel: 'oneHot', inputs: [i], run: (b) => b.oneHot(i, 3, dt) })),
    tensorArb(dt).map((x): Call => ({ kernel: 'cast', inputs: [x], run: (b) => b.cast(x, dt === 'float32' ? 'float64' : 'float32') })),
    fc.tuple(tensorArb(dt), fc.constant(null)).chain(([x]) => tensorOf(x.shape, dt).map((y): Call => ({ kernel: 'stack', inputs: [x, y], run: (b) => stack([x, y], 0, b) }))),
    nonEmpty(dt).map((x): Call => ({ kernel: 'splitTensor', inputs: [x], run: (b) => splitTensor(x, [1, x.shape[0]! - 1], 0, b) })),
  ),
);

describe.each(['cpu', 'gpujs'])('immutability on %s', (name) => {
  it('every kernel leaves its inputs unchanged', () => {
    const backend = getBackend(name);
    const seen = new Set<string>();
    fc.assert(
      fc.property(callArb, (call) => {
        const before = call.inputs.map((t) => t.toArray());
        const shapes = call.inputs.map((t) => t.shape.join());
        call.run(backend);
        seen.add(call.kernel.split(' ')[0]!);
        call.inputs.forEach((t, i) => {
          // NaN-aware bitwise comparison of the data, and the shape.
          expect(Buffer.from(unsafeDataOf(t).buffer, unsafeDataOf(t).byteOffset, unsafeDataOf(t).byteLength)).toEqual(
            Buffer.from(before[i]!.buffer, before[i]!.byteOffset, before[i]!.byteLength),
          );
          expect(t.shape.join()).toBe(shapes[i]);
        });
      }),
      { numRuns: 400 },
    );
    // Every kernel was exercised.
    expect([...seen].sort()).toEqual(
      ['argmax', 'binary', 'broadcastTo', 'cast', 'compare', 'concat', 'gather', 'matmul', 'oneHot', 'pad', 'reduce', 'reshape', 'scatterAdd', 'slice', 'splitTensor', 'stack', 'transpose', 'unary', 'where'].sort(),
    );
  });
});

describe('tensor immutability', () => {
  it('tensors and their shapes are frozen, and reading out copies', () => {
    fc.assert(
      fc.property(dtypeArb.chain((dt) => tensorArb(dt)), (t) => {
        expect(Object.isFrozen(t)).toBe(true);
        expect(Object.isFrozen(t.shape)).toBe(true);
        const snapshot = Array.from(t.toArray());
        const a = t.toArray();
        a.fill(42);
        expect(a).not.toBe(unsafeDataOf(t));
        expect(Array.from(t.toArray())).toEqual(snapshot);
      }),
      RUNS,
    );
    const t = tensor([[1, 2], [3, 4]]);
    const nested = t.toNested() as number[][];
    nested[0]![0] = 99;
    expect(t.toNested()).toEqual([[1, 2], [3, 4]]);
    expect(() => {
      (t as unknown as { shape: number[] }).shape = [4];
    }).toThrow(TypeError);
    expect(cpu.reshape(t, [4]).shape).toEqual([4]);
    expect(t.shape).toEqual([2, 2]);
  });
});
