import { describe, expect, it } from 'vitest';
import { cpu, gpujs, tensor, gpujsMode, zeros, arange } from '@mnemo/core';

describe('smoke', () => {
  it('matmul and broadcast', () => {
    const a = tensor([[1, 2], [3, 4]]);
    expect(cpu.matmul(a, a, false, true).toNested()).toEqual([[5, 11], [11, 25]]);
    expect(gpujs.matmul(a, a, true, false).toNested()).toEqual([[10, 14], [14, 20]]);
    expect(gpujsMode()).toBeTypeOf('string');
    expect(cpu.reduce('logsumexp', tensor([1000, 1000], 'float64'), undefined, false).item()).toBeCloseTo(1000 + Math.log(2), 10);
    expect(cpu.transpose(arange(6).toArray().length ? cpu.reshape(arange(6), [2, 3]) : zeros([1]), [1, 0]).toNested()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(cpu.pad(tensor([1, 2]), [[1, 2]], 9).toArray().join()).toBe('9,1,2,9,9');
    expect(cpu.gather(tensor([[1, 2], [3, 4], [5, 6]]), tensor([2, 0]), 0).toNested()).toEqual([[5, 6], [1, 2]]);
    expect(cpu.slice(cpu.reshape(arange(12), [3, 4]), [1, 1], [2, 2]).toNested()).toEqual([[5, 6], [9, 10]]);
  });
});
