import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unsafeDataOf, type Tensor } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import {
  DivergedError,
  RUN_FILES,
  createRunDir,
  decodeConfig,
  defaultConfig,
  loadCheckpoint,
  modelConfigOf,
  openRun,
  resolveConfig,
  resumeRun,
  rowLstm,
  sequenceJob,
  sequenceModel,
  train,
  type TrainConfig,
} from '@mnemo/models';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mnemo-training-'));

/** Every leaf's bytes, so that equality is bitwise (NaN and -0 included). */
const bytesOf = (t: Tree): string[] =>
  tree.leaves(t).map((l: Tensor) => {
    const d = unsafeDataOf(l);
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
  });

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('configuration', () => {
  it('defaults to the tutorial for mnist', () => {
    const c = defaultConfig('mnist');
    expect([c.steps, c.batch, c.hidden, c.projection, c.cell, c.optimizer, c.lr, c.dtype, c.clip]).toEqual([781, 128, 128, 128, 'lstm', 'adam', 0.001, 'float32', null]);
    const m = modelConfigOf(c, 28, 10);
    expect(rowLstm().parameterCount()).toBe(sequenceModel(m).parameterCount());
  });

  it('reports every bad field, unknown fields, and options that do not fit the cell', () => {
    const c = defaultConfig('adding');
    const msg = (u: unknown): string => {
      try {
        decodeConfig(u);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    const m = msg({ ...c, hidden: 0, dtype: 'float16', optimizer: 'adma', extra: 1 });
    expect(m).toMatch(/hidden: expected an integer in \[1, 2\^53\), got 0/);
    expect(m).toMatch(/dtype: expected one of float32, float64, got 'float16'/);
    expect(m).toMatch(/optimizer: expected one of sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad/);
    expect(m).toMatch(/extra: unknown field/);
    expect(msg({ ...c, cell: 'gru', projSize: 4 })).toMatch(/projSize: only an LSTM/);
    expect(msg({ ...c, cell: 'lstm+bogus' })).toMatch(/unknown variant 'bogus' of lstm; lstm accepts peephole/);
    expect(msg({ ...c, task: 'mnist', sequenceLength: 30 })).toMatch(/28 rows/);
    expect(msg(c)).toBe('');
  });
});

describe('temporal order at 100 steps (issue 16): the LSTM gets the forget-gate bias that lets it learn the task', () => {
  it('an LSTM starts with forget-gate bias 5 and 6000 steps; other cells have no forget gate to bias', () => {
    const c = defaultConfig('temporal-order');
    expect([c.sequenceLength, c.steps, c.forgetBias]).toEqual([100, 6000, 5]);
    expect(resolveConfig('temporal-order', { cell: 'gru' }).forgetBias).toBeNull();
    expect(resolveConfig('temporal-order', { cell: 'lstm+peephole' }).forgetBias).toBe(5);
    expect(resolveConfig('temporal-order', { forgetBias: 2 }).forgetBias).toBe(2);
    expect(resolveConfig('adding').forgetBias).toBeNull();
    // The bias reaches the model: the forget block of the LSTM's bias starts at 5.
    const b = sequenceJob(resolveConfig('temporal-order', { sequenceLength: 10 })).init().rnn[0]!.fwd as unknown as { b: { toArray(): ArrayLike<number> } };
    const H = 32;
    expect(Array.from(b.b.toArray()).filter((v) => v === 5)).toHaveLength(H);
  });
});

describe('training', () => {
  it('a few dozen steps on a small MNIST slice lower the loss and beat chance on the test slice', async () => {
    const config = resolveConfig('mnist', { trainSize: 1024, testSize: 500, hidden: 32, projection: 32, batch: 32, steps: 40, lr: 0.01, evalBatch: 250 });
    const r = await train({ config });
    const losses = r.history.map((m) => m.loss);
    expect(r.state.step).toBe(40);
    expect(mean(losses.slice(0, 5))).toBeGreaterThan(2.1);
    expect(mean(losses.slice(-5))).toBeLessThan(0.75 * mean(losses.slice(0, 5)));
    expect(r.test!.examples).toBe(500);
    expect(r.test!.accuracy).toBeGreaterThan(0.4);
    expect(r.history.every((m) => m.gradNorm > 0 && m.examplesPerSec > 0)).toBe(true);
  });

  it('stopped at any step and resumed, ends bitwise equal to the uninterrupted run (MNIST, fused LSTM, across epochs)', async () => {
    // 64 images in batches of 16: 4 steps an epoch, so 10 steps cross two epoch boundaries.
    const config = resolveConfig('mnist', { trainSize: 64, testSize: 32, hidden: 8, projection: 8, batch: 16, steps: 10, checkpointEvery: 3 });
    const straight = await train({ config, evaluate: false });

    const dir = createRunDir(root, 'resume-mnist');
    const first = await train({ config, runDir: dir, stopAt: 5 });
    expect(first.stopped).toBe(true);
    expect(first.test).toBeNull();
    const resumed = await resumeRun(dir, { evaluate: false });
    expect(resumed.state.step).toBe(10);
    expect(bytesOf(resumed.state.params)).toEqual(bytesOf(straight.state.params));
    expect(bytesOf(resumed.state.optState.slots)).toEqual(bytesOf(straight.state.optState.slots));
    expect(resumed.state.optState.step).toBe(10);
    // The metrics file has each step once, in order.
    const steps = readFileSync(join(dir, RUN_FILES.metrics), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // And the uninterrupted run's batches really differ by step: a one-step shift does not reproduce it.
    expect(bytesOf(first.state.params)).not.toEqual(bytesOf(straight.state.params));
  });

  it('an abort signal stops after the current step with a checkpoint; resuming from an older checkpoint also ends equal (adding, GRU, clipping)', async () => {
    const config = resolveConfig('adding', { sequenceLength: 8, hidden: 6, batch: 8, steps: 9, cell: 'gru', clip: 0.5, checkpointEvery: 4, testSize: 20 });
    const straight = await train({ config, evaluate: false });
    const dir = createRunDir(root, 'resume-adding');
    const ac = new AbortController();
    const stopped = await train({ config, runDir: dir, signal: ac.signal, onStep: (m) => m.step === 6 && ac.abort('SIGINT') });
    expect([stopped.stopped, stopped.state.step]).toEqual([true, 6]);
    const resumed = await resumeRun(dir, { evaluate: false });
    expect(bytesOf(resumed.state.params)).toEqual(bytesOf(straight.state.params));

    // A kill leaves the periodic checkpoint (step 4) and metrics up to the kill (step 6): resume from 4.
    const dir2 = createRunDir(root, 'killed-adding');
    await train({ config, runDir: dir2, stopAt: 4 });
    const lines = [5, 6].map((step) => `${JSON.stringify({ step, loss: 1, acc: 0, gradNorm: 1, examplesPerSec: 1, seconds: 1 })}\n`);
    writeFileSync(join(dir2, RUN_FILES.metrics), readFileSync(join(dir2, RUN_FILES.metrics), 'utf8') + lines.join('') + '{"step": 7, "lo');
    const again = await resumeRun(dir2, { evaluate: false });
    expect(bytesOf(again.state.params)).toEqual(bytesOf(straight.state.params));
    const steps = readFileSync(join(dir2, RUN_FILES.metrics), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('writes a run directory a person can read', async () => {
    const config = resolveConfig('temporal-order', { sequenceLength: 10, hidden: 6, batch: 8, steps: 6, testSize: 40 });
    const dir = createRunDir(root, 'report');
    const r = await train({ config, runDir: dir });
    for (const f of Object.values(RUN_FILES)) expect(existsSync(join(dir, f))).toBe(true);
    const c = openRun(dir);
    expect(E.isRight(c) && c.right.config).toEqual(config);
    const summary = JSON.parse(readFileSync(join(dir, RUN_FILES.summaryJson), 'utf8')) as { status: string; test: { accuracy: number; examples: number } };
    expect(summary.status).toBe('finished');
    expect(summary.test).toEqual(r.test);
    expect(readFileSync(join(dir, RUN_FILES.summaryMd), 'utf8')).toMatch(/\*\*test\*\* \(40 examples\)/);
    const svg = readFileSync(join(dir, RUN_FILES.lossPlot), 'utf8');
    expect(svg.startsWith('<svg') && svg.includes('constant predictor')).toBe(true);
  });

  it('a checkpoint that does not fit the model, or was altered, is rejected with a reason', async () => {
    const config = resolveConfig('adding', { sequenceLength: 5, hidden: 4, batch: 4, steps: 2, testSize: 10 });
    const dir = createRunDir(root, 'bad-checkpoint');
    await train({ config, runDir: dir });
    const r = loadCheckpoint(dir, sequenceJob({ ...config, hidden: 5 }));
    expect(E.isLeft(r) && r.left.message).toMatch(/params\.model\.rnn\[0\]\.fwd\.wh: the file holds float32 \[4, 16\], the run needs float32 \[5, 20\]/);
    expect(E.isLeft(loadCheckpoint(dir, sequenceJob({ ...config, seed: 1 }))) && 'seed').toBe('seed');
    const path = join(dir, RUN_FILES.checkpoint);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/"step": ?2/, '"step": 3'));
    const altered = loadCheckpoint(dir, sequenceJob(config));
    expect(E.isLeft(altered) && altered.left.field).toBe('sha256');
  });

  it('a loss that becomes NaN or infinite stops training with DivergedError', async () => {
    const config = resolveConfig('adding', { sequenceLength: 4, hidden: 4, batch: 4, steps: 5, optimizer: 'sgd', lr: 1e38, clip: null });
    await expect(train({ config, evaluate: false })).rejects.toBeInstanceOf(DivergedError);
  });

  it('the fused LSTM kernel and the step-by-step cell train to the same parameters (float64)', async () => {
    const base: Partial<TrainConfig> = { trainSize: 64, testSize: 10, hidden: 6, projection: 5, batch: 16, steps: 3, dtype: 'float64' };
    const fused = await train({ config: resolveConfig('mnist', base), evaluate: false });
    const plain = await train({ config: resolveConfig('mnist', { ...base, fused: false }), evaluate: false });
    const a = tree.leaves(fused.state.params).map((l) => Array.from(l.toArray()));
    const b = tree.leaves(plain.state.params).map((l) => Array.from(l.toArray()));
    let worst = 0;
    a.forEach((xs, i) => xs.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i]![j]!)))));
    expect(worst).toBeLessThan(1e-12);
    expect(fused.history.map((m) => m.loss)).not.toEqual([]);
  });
});

