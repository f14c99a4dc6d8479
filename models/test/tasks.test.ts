import { key, tensor } from '@mnemo/core';
import {
  ADDING_BASELINE_MSE,
  SYNTHETIC_TEST_CHUNK,
  TEMPORAL_ORDER_SYMBOLS,
  addingBatch,
  addingTask,
  makeTask,
  mnistTaskFrom,
  temporalOrderBatch,
  temporalOrderLayout,
  temporalOrderTask,
  type MnistSplit,
} from '@mnemo/models';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';

describe('adding problem', () => {
  it('marks exactly two steps, one in each half, and the target is their sum', () => {
    const B = 200;
    const T = 30;
    const { x, y } = addingBatch(key(5), B, T, 'float64');
    expect(x.shape).toEqual([B, T, 2]);
    expect(y.shape).toEqual([B, 1]);
    const v = x.toArray();
    const t = y.toArray();
    const firsts = new Set<number>();
    const bad: string[] = [];
    for (let b = 0; b < B; b++) {
      const marked: number[] = [];
      let sum = 0;
      for (let s = 0; s < T; s++) {
        const value = v[(b * T + s) * 2]!;
        const mark = v[(b * T + s) * 2 + 1]!;
        if (!(value >= 0 && value < 1) || (mark !== 0 && mark !== 1)) bad.push(`b ${b} s ${s}: value ${value}, mark ${mark}`);
        if (mark === 1) {
          marked.push(s);
          sum += value;
        }
      }
      expect(marked.length).toBe(2);
      expect(marked[0]!).toBeLessThan(T / 2);
      expect(marked[1]!).toBeGreaterThanOrEqual(T / 2);
      firsts.add(marked[0]!);
      expect(t[b]).toBe(sum);
    }
    expect(bad).toEqual([]);
    // The first marker really moves around the first half.
    expect(firsts.size).toBeGreaterThan(10);
  });

  it('is a pure function of the key, and different keys differ', () => {
    const a = addingBatch(key(1), 8, 12).x.toArray().join();
    expect(addingBatch(key(1), 8, 12).x.toArray().join()).toBe(a);
    expect(addingBatch(key(2), 8, 12).x.toArray().join()).not.toBe(a);
  });

  it('the constant prediction 1 scores about 1/6, as the baseline says', () => {
    const { y } = addingBatch(key(9), 20_000, 4, 'float64');
    const t = y.toArray();
    let mean = 0;
    for (const v of t) mean += v;
    mean /= t.length;
    let mse = 0;
    for (const v of t) mse += (v - 1) ** 2;
    mse /= t.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.01);
    expect(Math.abs(mse - ADDING_BASELINE_MSE)).toBeLessThan(0.005);
  });

  it('rejects bad sizes naming the argument', () => {
    expect(() => addingBatch(key(0), 0, 10)).toThrow(/addingBatch: argument 'batch'/);
    expect(() => addingBatch(key(0), 2, 1)).toThrow(/argument 'steps'.*>= 2/);
  });

  it('as a task: training batches depend on the step, the test set is fixed and seed-independent', () => {
    const task = addingTask({ steps: 10, testSize: 600 });
    const k = key(3);
    expect(task.trainBatch(k, 4, 5).x.toArray().join()).toBe(task.trainBatch(k, 4, 5).x.toArray().join());
    expect(task.trainBatch(k, 4, 5).x.toArray().join()).not.toBe(task.trainBatch(k, 5, 5).x.toArray().join());
    const sizes = [...task.testBatches(64)].map((b) => b.x.shape[0]);
    expect(sizes).toEqual([SYNTHETIC_TEST_CHUNK, SYNTHETIC_TEST_CHUNK, 100]);
    const again = [...addingTask({ steps: 10, testSize: 600 }).testBatches(1)][0]!.x.toArray().join();
    expect([...task.testBatches(64)][0]!.x.toArray().join()).toBe(again);
  });

  it('counts a prediction as right when the error is below 0.04', () => {
    const task = addingTask({ steps: 4 });
    expect(task.hits(tensor([[1], [1], [1]]), tensor([[1.039], [0.95], [1.05]]))).toBe(1);
  });
});

describe('temporal order', () => {
  it('places E first, B last, X/Y at t1 and t2, distractors elsewhere; the label is their order', () => {
    const L = 100;
    const { t1, t2, length } = temporalOrderLayout(L);
    expect([t1, t2, length]).toEqual([[10, 20], [50, 60], [100, 110]]);
    const { x, y } = temporalOrderBatch(key(11), 64, L);
    const [B, T, S] = x.shape as [number, number, number];
    expect(S).toBe(TEMPORAL_ORDER_SYMBOLS.length);
    expect(T >= 100 && T <= 110).toBe(true);
    const v = x.toArray();
    const labels = y.toArray();
    const counts = [0, 0, 0, 0];
    const bad: string[] = [];
    for (let b = 0; b < B; b++) {
      const sym = (t: number): number => {
        let hot = -1;
        let ones = 0;
        for (let s = 0; s < S; s++) {
          const e = v[(b * T + t) * S + s]!;
          if (e !== 0 && e !== 1) bad.push(`b ${b} t ${t}: entry ${e}`);
          if (e === 1) {
            ones++;
            hot = s;
          }
        }
        if (ones !== 1) bad.push(`b ${b} t ${t}: ${ones} hot entries`);
        return hot;
      };
      expect(sym(0)).toBe(7);
      expect(sym(T - 1)).toBe(6);
      const relevant: [number, number][] = [];
      for (let t = 1; t < T - 1; t++) {
        const s = sym(t);
        if (s === 4 || s === 5) relevant.push([t, s]);
        else if (s >= 4) bad.push(`b ${b} t ${t}: symbol ${s} in the middle`);
      }
      expect(relevant.length).toBe(2);
      const [[p1, s1], [p2, s2]] = relevant as [[number, number], [number, number]];
      expect(p1 >= 10 && p1 <= 20 && p2 >= 50 && p2 <= 60).toBe(true);
      expect(labels[b]).toBe(2 * (s1 - 4) + (s2 - 4));
      counts[labels[b]!]!++;
    }
    expect(bad).toEqual([]);
    expect(counts.every((c) => c > 5)).toBe(true);
  });

  it('draws the length per batch and accepts a fixed one in range only', () => {
    const lengths = new Set(Array.from({ length: 40 }, (_, i) => temporalOrderBatch(key(i), 1, 20).x.shape[1]));
    expect([...lengths].every((l) => l! >= 20 && l! <= 22)).toBe(true);
    expect(lengths.size).toBe(3);
    expect(temporalOrderBatch(key(0), 2, 20, 'float32', 21).x.shape[1]).toBe(21);
    expect(() => temporalOrderBatch(key(0), 2, 20, 'float32', 30)).toThrow(/'length'.*\[20, 22\]/);
    expect(() => temporalOrderLayout(5)).toThrow(/temporalOrderLayout: argument 'steps'/);
  });

  it('as a task: 8 inputs, 4 classes, baseline ln 4', () => {
    const task = temporalOrderTask({ steps: 20, testSize: 300 });
    expect([task.inputSize, task.outputSize, task.kind]).toEqual([8, 4, 'classification']);
    expect(task.baseline.loss).toBeCloseTo(Math.log(4), 12);
    expect([...task.testBatches(10)].reduce((n, b) => n + b.x.shape[0]!, 0)).toBe(300);
  });
});

describe('MNIST task', () => {
  const split = (name: 'train' | 'test', n: number): MnistSplit => {
    const images = new Float32Array(n * 784);
    // Image i carries its own index in its first pixel, so batches can be traced back.
    for (let i = 0; i < n; i++) images[i * 784] = i;
    return { split: name, shape: [n, 28, 28], images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10) };
  };

  it('visits every image once per epoch, in an order drawn from foldIn(dataKey, epoch)', () => {
    const task = mnistTaskFrom(split('train', 50), split('test', 7));
    const k = key(4);
    const perEpoch = Math.floor(50 / 8); // 6 steps, 2 images left over each epoch
    const ids = (step: number): number[] => {
      const x = task.trainBatch(k, step, 8).x.toArray();
      return Array.from({ length: 8 }, (_, i) => x[i * 784]!);
    };
    const epoch0 = Array.from({ length: perEpoch }, (_, s) => ids(s)).flat();
    const epoch1 = Array.from({ length: perEpoch }, (_, s) => ids(perEpoch + s)).flat();
    expect(new Set(epoch0).size).toBe(48);
    expect(new Set(epoch1).size).toBe(48);
    expect(epoch0.join()).not.toBe(epoch1.join());
    // Labels travel with their images.
    const b = task.trainBatch(k, 3, 8);
    const x = b.x.toArray();
    b.y.toArray().forEach((label, i) => expect(label).toBe(x[i * 784]! % 10));
    // Asking for a step out of order gives the same batch (no hidden state).
    expect(ids(2).join()).toBe(ids(2).join());
    expect(task.trainBatch(k, 9, 8).x.toArray().join()).toBe(mnistTaskFrom(split('train', 50), split('test', 7)).trainBatch(k, 9, 8).x.toArray().join());
  });

  it('serves the test set in order, in batches of at most the size asked', () => {
    const task = mnistTaskFrom(split('train', 10), split('test', 7));
    expect([...task.testBatches(3)].map((b) => b.x.shape[0])).toEqual([3, 3, 1]);
    expect(() => mnistTaskFrom(split('train', 10), split('test', 7), { trainSize: 11 })).toThrow(/trainSize.*10 images/);
  });

  it('makeTask reads the real MNIST and rejects options a task does not take', () => {
    const r = makeTask({ task: 'mnist', trainSize: 200, testSize: 50 });
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) expect([r.right.trainSize, r.right.testSize, r.right.steps]).toEqual([200, 50, 28]);
    expect(E.isLeft(makeTask({ task: 'mnist', dataDir: '/nowhere' }))).toBe(true);
    expect(() => makeTask({ task: 'mnist', sequenceLength: 30 })).toThrow(/28 rows/);
    expect(() => makeTask({ task: 'adding', trainSize: 10 })).toThrow(/no training set size/);
  });
});
