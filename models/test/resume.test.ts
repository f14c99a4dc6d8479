/**
 * Every task resumes bit for bit through the one training loop: N steps
 * straight, or N/2 steps, a stop (a step budget, Ctrl-C), and a resume from
 * the run directory, end with the same parameters, optimizer state, carry and
 * metrics.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unsafeDataOf, type Tensor } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import {
  CHARLM_DEFAULTS,
  RUN_FILES,
  SEQ2SEQ_DEFAULTS,
  charLmJob,
  compareCells,
  createRunDir,
  jobOf,
  loadCheckpoint,
  resolveConfig,
  resumeComparison,
  resumeRun,
  runCli,
  runTraining,
  vocabulary,
  type AnyRunConfig,
  type CliIo,
  type RunResult,
  type StepMetrics,
} from '@mnemo/models';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mnemo-resume-'));

/** Every leaf's bytes, so that equality is bitwise (NaN and -0 included). */
const bytesOf = (t: Tree): string[] =>
  tree.leaves(t).map((l: Tensor) => {
    const d = unsafeDataOf(l);
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
  });

/** What must be equal between two runs: the whole state and every step's numbers (timings aside). */
function fingerprint(r: RunResult, metrics: readonly StepMetrics[] = r.metrics) {
  return {
    step: r.state.step,
    params: bytesOf(r.state.params),
    slots: bytesOf(r.state.optState.slots),
    updates: r.state.optState.step,
    carry: bytesOf(r.state.carry),
    metrics: metrics.map((m) => [m.step, m.loss, m.acc, m.gradNorm, m.validation ?? null]),
  };
}

const metricsFile = (dir: string): unknown[] =>
  readFileSync(join(dir, RUN_FILES.metrics), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const m = JSON.parse(l) as StepMetrics;
      return [m.step, m.loss, m.acc, m.gradNorm, m.validation ?? null];
    });

/** Train `config` straight, and stopped at half and resumed from its run directory; both must agree bit for bit. */
async function straightVersusResumed(name: string, config: AnyRunConfig): Promise<void> {
  const straight = await runTraining(jobOf(config), { evaluate: false });
  const dir = createRunDir(root, name);
  const first = await runTraining(jobOf(config), { runDir: dir, stopAt: Math.floor(config.steps / 2), evaluate: false });
  expect(first.stopped).toBe(true);
  const resumed = await resumeRun(dir, { evaluate: false });
  expect(resumed.stopped).toBe(false);
  expect(fingerprint(resumed)).toEqual(fingerprint(straight));
  expect(metricsFile(dir)).toEqual(fingerprint(straight).metrics);
  // The resumed half really depends on the state: the first half alone differs.
  expect(bytesOf(first.state.params)).not.toEqual(bytesOf(straight.state.params));
}

describe('every task resumes bit for bit through the one loop', () => {
  it('mnist (fused LSTM, across epochs)', async () => {
    await straightVersusResumed('mnist', resolveConfig('mnist', { trainSize: 64, testSize: 32, hidden: 8, projection: 8, batch: 16, steps: 10, checkpointEvery: 3 }));
  });

  it('adding (GRU, clipping)', async () => {
    await straightVersusResumed('adding', resolveConfig('adding', { sequenceLength: 8, hidden: 6, batch: 8, steps: 9, cell: 'gru', clip: 0.5, checkpointEvery: 4 }));
  });

  it('temporal order (CIFG LSTM, SGD with momentum)', async () => {
    await straightVersusResumed('temporal-order', resolveConfig('temporal-order', { sequenceLength: 10, hidden: 6, batch: 8, steps: 8, cell: 'lstm+cifg', optimizer: 'momentum', lr: 0.05 }));
  });

  it('charlm on the sonnets (the carried state mid-epoch, the cosine schedule, validation)', async () => {
    await straightVersusResumed('charlm', { ...CHARLM_DEFAULTS, hidden: 8, embedding: 4, batch: 4, chunk: 8, steps: 8, evalEvery: 3, checkpointEvery: 3 });
  });

  it('charlm across epoch boundaries (the carry restarts at each epoch)', async () => {
    const text = 'Shall I compare thee to a summer\'s day?\nThou art more lovely and more temperate:\n'.repeat(3);
    const corpus = { train: text, valid: ['Shall I compare thee\n'], vocab: vocabulary(text) };
    const config = { ...CHARLM_DEFAULTS, hidden: 8, embedding: 4, batch: 3, chunk: 6, steps: 40, evalEvery: 7, checkpointEvery: 5, seed: 3 };
    const job = charLmJob(config, corpus);
    expect(job.chunksPerEpoch).toBeLessThan(config.steps / 2); // the run crosses epochs before and after the stop
    const straight = await runTraining(job, { evaluate: false });
    const dir = createRunDir(root, 'charlm-epochs');
    await runTraining(charLmJob(config, corpus), { runDir: dir, stopAt: job.chunksPerEpoch + 3, evaluate: false });
    const again = charLmJob(config, corpus);
    const s = loadCheckpoint(dir, again);
    if (E.isLeft(s)) throw s.left;
    expect(bytesOf(s.right.carry)).not.toEqual(bytesOf(again.carry.initial())); // mid-epoch: a real carry was saved
    const resumed = await runTraining(again, { runDir: dir, resume: s.right, evaluate: false });
    expect(fingerprint(resumed)).toEqual(fingerprint(straight));
  });

  it('seq2seq (addition)', async () => {
    await straightVersusResumed('seq2seq', { ...SEQ2SEQ_DEFAULTS, hidden: 8, embedding: 4, batch: 8, steps: 6, maxTestSize: 3, testCount: 4, checkpointEvery: 2 });
  });

  it('compare: a comparison stopped in its second cell resumes to the same rows', async () => {
    const config = resolveConfig('adding', { sequenceLength: 5, hidden: 3, steps: 6, batch: 4, testSize: 20, checkpointEvery: 2 });
    const straight = await compareCells({ config, cells: ['rnn', 'gru', 'lstm'] });
    const outDir = join(root, 'compare');
    const ac = new AbortController();
    const stopped = await compareCells({ config, cells: ['rnn', 'gru', 'lstm'], outDir, signal: ac.signal, progress: (cell) => ({ update: (step) => cell === 'gru' && step === 3 && ac.abort(), stop: () => {} }) });
    expect([stopped.stopped, stopped.rows.length]).toEqual([true, 1]);
    const resumed = await resumeComparison(outDir);
    const rows = (r: typeof straight) => r.rows.map(({ seconds: _s, runDir: _d, ...row }) => row);
    expect(resumed.stopped).toBe(false);
    expect(rows(resumed)).toEqual(rows(straight));
  });
});

/** Run the command line in-process; `stopAfter` aborts it (as Ctrl-C does) once the progress shows that step. */
async function cli(argv: string[], stopAfter?: number): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ac = new AbortController();
  const watch = (s: string) => {
    if (stopAfter !== undefined && new RegExp(`step ${stopAfter}/`).test(s)) ac.abort('SIGINT');
  };
  const io: CliIo = {
    stdout: (s) => (out.push(s), watch(s)),
    stderr: (s) => (err.push(s), watch(s)),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    signal: ac.signal,
  };
  const code = await runCli(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

describe('Ctrl-C and --resume from the command line, for the tasks that could not resume before (issue 15, finding 11)', () => {
  for (const [task, options] of [
    ['charlm', ['--hidden', '8', '--embedding', '4', '--batch', '4', '--chunk', '8', '--steps', '6', '--eval-every', '3']],
    ['seq2seq', ['--hidden', '8', '--embedding', '4', '--batch', '8', '--steps', '6', '--max-test-size', '3', '--test-count', '4']],
  ] as const) {
    it(`${task}: Ctrl-C saves a checkpoint (exit 130), and --resume ends where the uninterrupted run ends`, async () => {
      const straight = await cli(['train', task, ...options, '--out', root, '--name', `${task}-straight`]);
      expect(straight.code, straight.err).toBe(0);
      const stopped = await cli(['train', task, ...options, '--out', root, '--name', `${task}-stopped`], 2);
      expect(stopped.code, stopped.err).toBe(130);
      const dir = join(root, `${task}-stopped`);
      expect(stopped.err).toContain(`resume with: mnemo train --resume ${dir}`);
      const resumed = await cli(['train', '--resume', dir]);
      expect(resumed.code, resumed.err).toBe(0);
      expect(resumed.out).toMatch(/resuming at step 2 of 6/);
      const params = (d: string) => (JSON.parse(readFileSync(join(d, RUN_FILES.checkpoint), 'utf8')) as { content: unknown }).content;
      expect(params(dir)).toEqual(params(join(root, `${task}-straight`)));
      expect(metricsFile(dir)).toEqual(metricsFile(join(root, `${task}-straight`)));
    });
  }
});
