/**
 * Tensor constructors, reading out, toString, and the choice of backend.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  arange,
  cpu,
  currentBackend,
  eye,
  full,
  getBackend,
  gpujs,
  isTensor,
  linspace,
  ones,
  scalar,
  setBackend,
  tensor,
  withBackend,
  zeros,
  type Backend,
} from '@mnemo/core';

describe('constructors', () => {
  it('tensor infers shape and dtype from nested arrays', () => {
    const t = tensor([[[1], [2]], [[3], [4]], [[5], [6]]]);
    expect(t.shape).toEqual([3, 2, 1]);
    expect(t.dtype).toBe('float32');
    expect(t.rank).toBe(3);
    expect(t.size).toBe(6);
    expect(Array.from(t.toArray())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensor([], 'float64').shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor(7).shape).toEqual([]);
    expect(tensor([1, 2, 3, 4], 'float64', [2, 2]).toNested()).toEqual([[1, 2], [3, 4]]);
  });

  it('float32 tensors round their values; float64 keep them', () => {
    expect(tensor([0.1]).toArray()[0]).toBe(Math.fround(0.1));
    expect(tensor([0.1], 'float64').toArray()[0]).toBe(0.1);
  });

  it('typed arrays are copied: mutating the source afterwards changes nothing', () => {
    const src = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = tensor(src, undefined, [2, 3]);
    expect(t.dtype).toBe('float64');
    src[0] = 100;
    src.fill(-1, 1);
    expect(t.toNested()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const src32 = new Float32Array([1.5, 2.5]);
    const u = tensor(src32);
    src32[1] = 9;
    expect(u.dtype).toBe('float32');
    expect(Array.from(u.toArray())).toEqual([1.5, 2.5]);
    // Conversion on the way in, still a copy.
    const v = tensor(new Float64Array([0.1, 0.2]), 'float32');
    expect(v.dtype).toBe('float32');
    expect(v.toArray()[0]).toBe(Math.fround(0.1));
  });

  it('nested sources are copied too', () => {
    const rows = [[1, 2], [3, 4]];
    const t = tensor(rows);
    rows[0]![0] = 50;
    expect(t.toNested()).toEqual([[1, 2], [3, 4]]);
  });

  it('scalars', () => {
    const s = scalar(2.5, 'float64');
    expect(s.rank).toBe(0);
    expect(s.shape).toEqual([]);
    expect(s.size).toBe(1);
    expect(s.item()).toBe(2.5);
    expect(s.toNested()).toBe(2.5);
    expect(scalar(0.1).item()).toBe(Math.fround(0.1));
    expect(Number.isNaN(scalar(NaN).item())).toBe(true);
  });

  it('zeros, ones, full', () => {
    expect(zeros([2, 3]).toNested()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(ones([2], 'float64').dtype).toBe('float64');
    expect(Array.from(ones([3]).toArray())).toEqual([1, 1, 1]);
    expect(Array.from(full([2, 2], -1.5, 'float64').toArray())).toEqual([-1.5, -1.5, -1.5, -1.5]);
    expect(zeros([]).item()).toBe(0);
    expect(zeros([3, 0]).size).toBe(0);
    expect(zeros([3, 0]).toNested()).toEqual([[], [], []]);
  });

  it('arange', () => {
    expect(Array.from(arange(5).toArray())).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(2, 5).toArray())).toEqual([2, 3, 4]);
    expect(Array.from(arange(5, 2, -1).toArray())).toEqual([5, 4, 3]);
    expect(Array.from(arange(0, 1, 0.25, 'float64').toArray())).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(3, 3).size).toBe(0);
    expect(arange(3, 0).size).toBe(0);
  });

  it('eye', () => {
    expect(eye(3).toNested()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3, 'float64').toNested()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(eye(3, 1).toNested()).toEqual([[1], [0], [0]]);
    expect(eye(0).shape).toEqual([0, 0]);
  });

  it('linspace includes both ends', () => {
    expect(Array.from(linspace(0, 1, 5, 'float64').toArray())).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(linspace(2, -2, 3).toArray())).toEqual([2, 0, -2]);
    expect(Array.from(linspace(3, 7, 1).toArray())).toEqual([3]);
    expect(linspace(0, 1, 0).size).toBe(0);
    const l = linspace(0, 1, 7, 'float64').toArray();
    expect(l[6]).toBe(1);
  });
});

describe('reading out', () => {
  it('toArray and toNested copy; item reads the only element', () => {
    const t = tensor([[1, 2], [3, 4]], 'float64');
    const a = t.toArray();
    a[0] = 99;
    expect(t.toArray()[0]).toBe(1);
    expect(t.toArray()).not.toBe(t.toArray());
    const n = t.toNested() as number[][];
    n[1]![1] = -5;
    expect(t.toNested()).toEqual([[1, 2], [3, 4]]);
    expect(tensor([[7]]).item()).toBe(7);
    expect(() => t.item()).toThrow(/item.*\[2, 2\]/);
    expect(() => zeros([0]).item()).toThrow(/\[0\]/);
  });

  it('isTensor', () => {
    expect(isTensor(zeros([1]))).toBe(true);
    expect(isTensor({ shape: [1], dtype: 'float32' })).toBe(false);
    expect(isTensor(new Float32Array(1))).toBe(false);
  });
});

describe('toString', () => {
  it('prints small tensors in full', () => {
    expect(tensor([1, 2], 'float64').toString()).toBe('Tensor float64 [2]\n[1, 2]');
    expect(tensor([[1, 2], [3, 4]]).toString()).toBe('Tensor float32 [2, 2]\n[[1, 2],\n [3, 4]]');
    expect(scalar(0.1, 'float64').toString()).toBe('Tensor float64 []\n0.1');
    // float32 prints 6 significant digits, not the float32 value's long expansion.
    expect(scalar(0.1).toString()).toBe('Tensor float32 []\n0.1');
    expect(tensor([1 / 3], 'float64').toString()).toBe('Tensor float64 [1]\n[0.33333333]');
    expect(zeros([2, 0]).toString()).toBe('Tensor float32 [2, 0]\n[[],\n []]');
    expect(String(tensor([NaN, -Infinity]))).toBe('Tensor float32 [2]\n[NaN, -Infinity]');
    expect(`${tensor([[[1]], [[2]]])}`).toBe('Tensor float32 [2, 1, 1]\n[[[1]],\n [[2]]]');
  });

  it('summarizes large tensors', () => {
    expect(zeros([100, 100]).toString()).toBe('Tensor float32 [100, 100] (10000 elements)');
    expect(zeros([1001], 'float64').toString()).toBe('Tensor float64 [1001] (1001 elements)');
    // Up to 1000 elements are printed.
    expect(zeros([1000]).toString().split(',').length).toBe(1000);
  });
});

describe('backend selection', () => {
  it('currentBackend defaults to cpu, and setBackend returns the previous one', () => {
    expect(currentBackend().name).toBe(process.env['MNEMO_BACKEND'] || 'cpu');
    const prev = setBackend('gpujs');
    try {
      expect(currentBackend()).toBe(gpujs);
      expect(setBackend(cpu)).toBe(gpujs);
      expect(currentBackend()).toBe(cpu);
    } finally {
      setBackend(prev);
    }
    expect(getBackend('cpu')).toBe(cpu);
  });

  it('withBackend selects for the call and restores, also when the call throws', () => {
    const before = currentBackend();
    expect(withBackend('gpujs', () => currentBackend().name)).toBe('gpujs');
    expect(currentBackend()).toBe(before);
    expect(() =>
      withBackend('gpujs', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(currentBackend()).toBe(before);
    // Nested scopes restore in order.
    withBackend('gpujs', () => {
      withBackend('cpu', () => expect(currentBackend().name).toBe('cpu'));
      expect(currentBackend().name).toBe('gpujs');
    });
    expect(currentBackend()).toBe(before);
    // A custom backend value.
    const custom: Backend = { ...cpu, name: 'custom' };
    expect(withBackend(custom, () => currentBackend())).toBe(custom);
  });

  it('an unknown name lists the registered backends and leaves the choice alone', () => {
    const before = currentBackend();
    expect(() => setBackend('tpu')).toThrow(/setBackend: argument 'name': unknown backend "tpu"; registered: .*cpu.*gpujs/);
    expect(currentBackend()).toBe(before);
  });

  describe('MNEMO_BACKEND', () => {
    // A fresh copy of the module graph reads the environment variable again.
    async function freshCore(env: string | undefined): Promise<typeof import('@mnemo/core')> {
      vi.resetModules();
      // currentBackend reads the variable lazily, on first use after the import.
      vi.stubEnv('MNEMO_BACKEND', env ?? '');
      return import('@mnemo/core');
    }

    it('chooses the initial backend', async () => {
      try {
        const m = await freshCore('gpujs');
        expect(m.currentBackend().name).toBe('gpujs');
        // An explicit choice still wins.
        m.setBackend('cpu');
        expect(m.currentBackend().name).toBe('cpu');
        const d = await freshCore(undefined);
        expect(d.currentBackend().name).toBe('cpu');
        const bad = await freshCore('nope');
        expect(() => bad.currentBackend()).toThrow(/unknown backend "nope"/);
      } finally {
        vi.unstubAllEnvs();
        vi.resetModules();
      }
    });
  });
});
