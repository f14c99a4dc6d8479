/**
 * Issue 15's findings about the command line and checkpoints (1-7, 9-11),
 * each reproduced as the issue found it: every test here failed before its fix.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, unsafeDataOf, unsafeFromData, type Tensor } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import {
  EXIT,
  RUN_FILES,
  jobOf,
  loadCheckpoint,
  openRun,
  runCli,
  saveCheckpoint,
  type CliIo,
  type TrainState,
} from '@mnemo/models';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mnemo-reliability-'));
const TINY = ['--steps-per-sequence', '5', '--hidden', '3', '--batch', '4', '--test-size', '10'];

/**
 * Run the command line in-process. `stopAfter` aborts it (as Ctrl-C does) once
 * the progress shows that step; with `guard`, the signal is aborted from the
 * start, so a command line that is wrongly accepted trains one step, not 2000.
 */
async function cli(argv: readonly string[], options: { stopAfter?: number; guard?: boolean } = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ac = new AbortController();
  if (options.guard === true) ac.abort('SIGINT');
  const watch = (s: string) => {
    if (options.stopAfter !== undefined && new RegExp(`step ${options.stopAfter}/`).test(s)) ac.abort('SIGINT');
  };
  const io: CliIo = { stdout: (s) => (out.push(s), watch(s)), stderr: (s) => (err.push(s), watch(s)), stdoutIsTTY: false, stderrIsTTY: false, signal: ac.signal };
  const code = await runCli(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

/** A run directory of a finished tiny adding run. */
async function tinyRun(name: string, extra: readonly string[] = []): Promise<string> {
  const r = await cli(['train', 'adding', ...TINY, '--steps', '4', '--checkpoint-every', '2', ...extra, '--out', root, '--name', name]);
  expect(r.code, r.err).toBe(EXIT.ok);
  return join(root, name);
}

/** The run's checkpoint state, and a function that saves an edited copy of it (with a valid checksum). */
function checkpointOf(dir: string): { state: TrainState; save: (s: TrainState, run?: { task: string; seed: number }) => void } {
  const r = openRun(dir);
  if (E.isLeft(r)) throw r.left;
  return { state: r.right.state, save: (s, run) => saveCheckpoint(dir, s, run ?? { task: r.right.config.task, seed: r.right.config.seed }) };
}

/** `t` with entry 0 set to `v`. */
function withEntry(t: Tensor, v: number): Tensor {
  const d = unsafeDataOf(t).slice();
  d[0] = v;
  return unsafeFromData(d, t.shape);
}

/** The tree with its first leaf's entry 0 set to `v`. */
function poison<T extends Tree>(x: T, v: number): T {
  let first = true;
  return tree.map(x, (l) => {
    if (!first) return l;
    first = false;
    return withEntry(l, v);
  });
}

describe('finding 1: an option with no value, at the end of the line or empty, is refused naming it (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [['train', 'adding', '--steps'], /--steps needs a value \(an integer in \[1, 2\^53\)\), and the line ends/],
    [['train', 'adding', '--steps='], /--steps: the value is empty/],
    [['train', 'adding', '--steps', ''], /--steps: the value is empty/],
    [['train', '--resume', ''], /--resume: the value is empty; expected a path/],
    [['train', '--resume'], /--resume needs a value/],
    [['compare', '--cells', ''], /--cells: the value is empty/],
    [['compare', '--cells'], /--cells needs a value/],
    [['train', 'adding', '--steps', '--json'], /--steps needs a value .*, but --json follows it/],
    [['train', 'adding', '--out'], /--out needs a value/],
    [['eval', '--json'], /missing the run dir/],
  ];
  it.each(cases)('%j', async (argv, message) => {
    const r = await cli(argv, { guard: true });
    expect(r.code, r.err).toBe(EXIT.usage);
    expect(r.err).toMatch(message);
  });
});

describe('finding 2: divergence never writes a non-finite checkpoint', () => {
  it('--lr 1e300: step 1 is not applied, exit 4 names the parameters, the checkpoint is the finite step 0', async () => {
    const r = await cli(['train', 'adding', ...TINY, '--steps', '1', '--lr', '1e300', '--out', root, '--name', 'div32']);
    expect(r.code).toBe(EXIT.diverged);
    expect(r.err).toMatch(/step 1 was not applied: the new parameters would hold (-?Infinity|NaN) \(in params\.[\w.[\]]+\)/);
    expect(r.err).toMatch(/checkpoint\.json holds the last finite state, after step 0/);
    const dir = join(root, 'div32');
    const s = loadCheckpoint(dir, jobOf((E.getOrElseW(() => { throw new Error('no run'); })(openRun(dir))).config));
    expect(E.isRight(s) && s.right.step).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, RUN_FILES.summaryJson), 'utf8')) as { status: string }).status).toBe('diverged');
    // eval of the run scores the finite state: no "loss": null.
    const e = await cli(['eval', dir, '--json']);
    expect(e.code).toBe(EXIT.ok);
    expect(e.out).not.toMatch(/null/);
    expect(Number.isFinite((JSON.parse(e.out) as { loss: number }).loss)).toBe(true);
  });

  it('with --checkpoint-every 1 in float64, the last checkpoint is the last finite step, and eval of it exits 4, not "loss": null', async () => {
    const r = await cli(['train', 'adding', ...TINY, '--steps', '5', '--dtype', 'float64', '--lr', '1e300', '--checkpoint-every', '1', '--out', root, '--name', 'div64', '--json']);
    expect(r.code).toBe(EXIT.diverged);
    const error = (JSON.parse(r.out) as { error: { code: number; message: string; field: string } }).error;
    expect(error.code).toBe(4);
    const dir = join(root, 'div64');
    const opened = openRun(dir);
    expect(E.isRight(opened)).toBe(true); // loadCheckpoint checks every value is finite
    const step = E.isRight(opened) ? opened.right.state.step : -1;
    expect(step).toBeGreaterThanOrEqual(1);
    expect(error.message).toContain(`after step ${step}`);
    const e = await cli(['eval', dir, '--json']);
    expect(e.out).not.toMatch(/"loss": null/);
    if (e.code !== EXIT.ok) {
      expect(e.code).toBe(EXIT.diverged);
      expect((JSON.parse(e.out) as { error: { message: string } }).error.message).toMatch(/the test loss of the checkpoint at step \d+ is (NaN|Infinity)/);
    }
  });
});

describe('finding 3 (and 7): loading checks values, each failure names the field (exit 3)', () => {
  const cases: [string, (s: TrainState) => TrainState, RegExp, string][] = [
    ['a NaN parameter', (s) => ({ ...s, params: poison(s.params, NaN) }), /params\.model\.head\.b holds NaN at entry 0: not finite/, 'params.model.head.b'],
    ['an infinite parameter', (s) => ({ ...s, params: poison(s.params, -Infinity) }), /holds -Infinity at entry 0: not finite/, 'params.model.head.b'],
    ['an infinite first moment', (s) => ({ ...s, optState: { ...s.optState, slots: { ...s.optState.slots, m: poison(s.optState.slots['m']!, Infinity) } } }), /optimizer\.slots\.m\.head\.b holds Infinity/, 'optimizer.slots.m.head.b'],
    ['a negative second moment', (s) => ({ ...s, optState: { ...s.optState, slots: { ...s.optState.slots, v: poison(s.optState.slots['v']!, -1) } } }), /optimizer\.slots\.v\.head\.b holds -1 at entry 0: negative \(a sum of squares\)/, 'optimizer.slots.v.head.b'],
    ['step 1e308', (s) => ({ ...s, step: 1e308, optState: { ...s.optState, step: 1e308 } }), /metadata\.step is 1e\+308; a step count of this run is an integer in \[0, 4\]/, 'metadata.step'],
    ['a step beyond the run', (s) => ({ ...s, step: 5, optState: { ...s.optState, step: 5 } }), /metadata\.step is 5/, 'metadata.step'],
    ['a damaged optimizer slot (another name)', (s) => ({ ...s, optState: { step: s.optState.step, slots: { m: s.optState.slots['m']!, w: s.optState.slots['v']! } } }), /adam keeps slots \{m, v\}, the file has \{m, w\}/, 'optimizer.slots'],
    ['a damaged optimizer slot (another shape)', (s) => ({ ...s, optState: { ...s.optState, slots: { ...s.optState.slots, v: { ...(s.optState.slots['v'] as Record<string, Tree>), head: { w: tensor([[1]]), b: tensor([1]) } } as Tree } } }), /optimizer\.slots\.v\.head\.w: the file holds float32 \[1, 1\], the run needs float32 \[3, 1\]/, 'optimizer.slots.v.head.w'],
  ];
  it.each(cases)('%s', async (name, edit, message, field) => {
    const dir = await tinyRun(`bad-${name.replace(/\W+/g, '-')}`);
    const c = checkpointOf(dir);
    c.save(edit(c.state));
    for (const argv of [['train', '--resume', dir, '--json'], ['eval', dir, '--json']]) {
      const r = await cli(argv, { guard: true });
      expect(r.code, `${argv[0]}: ${r.err}`).toBe(EXIT.data);
      expect(r.err).toMatch(message);
      expect((JSON.parse(r.out) as { error: { field: string } }).error.field).toBe(field);
    }
  });

  it('a checkpoint of another task is refused by name', async () => {
    const dir = await tinyRun('other-task');
    const c = checkpointOf(dir);
    c.save(c.state, { task: 'temporal-order', seed: 0 });
    const r = await cli(['eval', dir]);
    expect([r.code, /is a checkpoint of "temporal-order", the run trains adding/.test(r.err)]).toEqual([EXIT.data, true]);
  });
});

describe('finding 4: the printed resume command works after a run was extended (config.json follows --steps)', () => {
  it('train --steps 4; resume --steps 1000, Ctrl-C; the printed `mnemo train --resume DIR` continues (not exit 2)', async () => {
    const dir = await tinyRun('extended');
    // Plain progress lines come every 25 steps of 1000: stop at one of them.
    const extended = await cli(['train', '--resume', dir, '--steps', '1000'], { stopAfter: 25 });
    expect(extended.code, extended.err).toBe(EXIT.interrupted);
    const hint = /resume with: (mnemo train --resume .*)\n/.exec(extended.err)![1]!;
    expect(hint).toBe(`mnemo train --resume ${dir}`);
    expect((JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')) as { steps: number }).steps).toBe(1000);
    const again = await cli(hint.split(' ').slice(1), { stopAfter: 50 });
    expect(again.code, again.err).toBe(EXIT.interrupted);
    expect(again.out).toMatch(/resuming at step 25 of 1000/);
    const back = await cli(['train', '--resume', dir, '--steps', '5'], { guard: true });
    expect([back.code, /the checkpoint is at step 50; a run cannot go back to 5 steps/.test(back.err)]).toEqual([EXIT.usage, true]);
  });
});

describe('finding 5: unwritable --out is a typed error with exit 73, never a stack trace or a hang', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const cases: [string, RegExp][] = [
    ['/dev/null', /--out \/dev\/null: is a file, not a folder/],
    [file, /a-file: is a file, not a folder/],
    ['/proc/x', /--out \/proc\/x: cannot make this folder/],
    ['/sys/mnemo-read-only', /cannot make this folder: the operating system does not allow writing there \(EPERM\)/],
  ];
  it.each(cases)('--out %s', async (out, message) => {
    for (const command of [['train', 'adding', ...TINY, '--steps', '1'], ['compare', '--cells', 'rnn', ...TINY, '--steps', '1']]) {
      const r = await cli([...command, '--out', out, '--json'], { guard: true });
      expect(r.code, r.err).toBe(EXIT.output);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/internal error|\n\s+at /);
      expect((JSON.parse(r.out) as { error: { field: string } }).error.field).toBe('--out');
    }
  });

  it('a read-only folder (when not running as root, who may write anywhere)', async () => {
    if (process.getuid?.() === 0) return;
    const ro = join(root, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    const r = await cli(['train', 'adding', ...TINY, '--steps', '1', '--out', ro], { guard: true });
    expect([r.code, /EACCES/.test(r.err)]).toEqual([EXIT.output, true]);
  });
});

describe('finding 6: a run that cannot fit in memory is refused before it starts, with the estimate (exit 2)', () => {
  const cases: [string[], string][] = [
    [['train', 'adding', '--hidden', '1e9'], '--hidden'],
    [['train', 'adding', '--batch', '1e9'], '--batch'],
    [['train', 'adding', '--steps-per-sequence', '1e9'], '--steps-per-sequence'],
    [['train', 'adding', '--layers', '1e6'], '--layers'],
    [['train', 'mnist', '--projection', '1e9'], '--projection'],
    [['train', 'temporal-order', '--test-size', '1e9'], '--test-size'],
    [['train', 'charlm', '--hidden', '1e9'], '--hidden'],
    [['train', 'charlm', '--embedding', '1e10'], '--embedding'],
    [['train', 'seq2seq', '--test-count', '1e10'], '--test-count'],
    [['compare', '--hidden', '1e9'], '--hidden'],
    [['gradcheck', 'lstm', '--hidden', '1e9'], '--hidden'],
    [['gradcheck', 'lstm', '--steps', '1e12'], '--steps'],
  ];
  it.each(cases)('%j', async (argv, flag) => {
    const r = await cli([...argv, '--json'], { guard: true });
    expect(r.code, r.err).toBe(EXIT.usage);
    expect(r.err).toMatch(/(needs about [\d.]+ [KMGTPE]?i?B of memory|would hold about [\d.e+]+ entries, more than one tensor can hold)/);
    expect((JSON.parse(r.out) as { error: { field: string } }).error.field).toBe(flag);
  });
});

describe('finding 9: --json errors are a JSON object on stdout as well as text on stderr; NaN is never a silent null', () => {
  const cases: [string[], number, string | null][] = [
    [['train', 'adding', '--hidden', '0', '--json'], EXIT.usage, '--hidden'],
    [['train', 'adding', '--bogus', '--json'], EXIT.usage, '--bogus'],
    [['eval', '/no/such/run', '--json'], EXIT.data, null],
    [['trian', '--json'], EXIT.usage, 'trian'],
    [['gradcheck', 'lstm', '--variant', 'zz', '--json'], EXIT.usage, '--variant'],
  ];
  it.each(cases)('%j', async (argv, code, field) => {
    const r = await cli(argv, { guard: true });
    expect(r.code).toBe(code);
    const error = (JSON.parse(r.out) as { error: { code: number; message: string; field: string | null } }).error;
    expect(error.code).toBe(code);
    expect(r.err).toContain(error.message);
    if (field !== null) expect(error.field).toBe(field);
  });

  it('a metrics line or summary holding NaN writes "NaN"', async () => {
    const dir = await tinyRun('nan-json');
    const summary = readFileSync(join(dir, RUN_FILES.summaryJson), 'utf8');
    expect(summary).not.toMatch(/"(loss|accuracy|examplesPerSec|seconds)": null/);
    const { jsonText } = await import('@mnemo/models');
    expect(jsonText({ loss: NaN, gradNorm: Infinity })).toBe('{"loss":"NaN","gradNorm":"Infinity"}');
  });
});

describe('finding 10: gradcheck takes --eps, and its defaults pass a correct gradient', () => {
  it('mnemo gradcheck lstm --steps 100 --hidden 32 --mode dot --layer-norm passes (it failed at the old dot-mode step)', async () => {
    const r = await cli(['gradcheck', 'lstm', '--steps', '100', '--hidden', '32', '--mode', 'dot', '--layer-norm']);
    expect(r.code, r.out.slice(-2000)).toBe(EXIT.ok);
  }, 300_000);

  it('every built-in cell, variant and configuration of the proof suites passes at their sizes (dot mode, 24 steps, hidden 8) with the defaults', async () => {
    const { cellCases } = await import('@mnemo/nn');
    const failed: string[] = [];
    for (const c of cellCases()) {
      const options = c.options as { projSize?: number; layerNorm?: boolean };
      const extra = [...(options.projSize === undefined ? [] : ['--proj-size', String(options.projSize)]), ...(options.layerNorm === true ? ['--layer-norm'] : [])];
      const r = await cli(['gradcheck', c.spec, '--mode', 'dot', '--steps', '24', '--hidden', '8', ...extra]);
      if (r.code !== EXIT.ok) failed.push(`${c.label}: ${r.out.split('\n').find((l) => l.startsWith('FAIL')) ?? r.err}`);
    }
    expect(failed).toEqual([]);
  }, 300_000);

  it('--eps sets the step of the central differences', async () => {
    const r = await cli(['gradcheck', 'gru', '--steps', '3', '--hidden', '2', '--input', '2', '--batch', '1', '--eps', '1e-6', '--json']);
    expect(r.code).toBe(EXIT.ok);
    expect((JSON.parse(r.out) as { settings: { step: number } }).settings.step).toBe(1e-6);
    for (const bad of ['0', '-1e-5', '1', 'small']) {
      const b = await cli(['gradcheck', 'gru', '--eps', bad]);
      expect([b.code, b.err.includes('--eps')]).toEqual([EXIT.usage, true]);
    }
  });
});

describe('finding 11: temporary files a kill left behind are removed by the next run', () => {
  it('train --resume and compare --resume clean the run directory', async () => {
    const dir = await tinyRun('temps');
    const stale = ['.checkpoint.json.999999999.0123456789ab.tmp', '.config.json.999999998.01234567.tmp'];
    for (const f of stale) writeFileSync(join(dir, f), '{"trunc');
    const r = await cli(['train', '--resume', dir, '--steps', '5']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(dir, RUN_FILES.checkpoint))).toBe(true);
  });
});

describe('--debug-nans (issue 15): the debugging mode for non-finite values while training', () => {
  it('names the primitive where the first NaN or infinity appears (exit 4), keeps the last finite checkpoint, and is off again afterwards', async () => {
    const { getDebugNans } = await import('@mnemo/autodiff');
    const r = await cli(['train', 'adding', ...TINY, '--steps', '3', '--lr', '1e300', '--dtype', 'float64', '--checkpoint-every', '1', '--out', root, '--name', 'debug-nans', '--debug-nans', '--json']);
    expect(r.code).toBe(EXIT.diverged);
    const error = (JSON.parse(r.out) as { error: { message: string; field: string } }).error;
    expect(error.message).toMatch(/argument 'output': -?Infinity at index \d+ of its output .*, in the (forward|backward) pass/);
    expect(error.field).toMatch(/^\w+$/); // the primitive
    expect(getDebugNans()).toBe(false);
    const opened = openRun(join(root, 'debug-nans'));
    expect(E.isRight(opened) && opened.right.state.step).toBe(1);
    const ok = await cli(['train', '--resume', join(root, 'debug-nans'), '--debug-nans'], { guard: true });
    expect(ok.code).not.toBe(EXIT.usage); // allowed with --resume: it does not change the run
  });

  it('leaves a finite run as it is: the same parameters as without it', async () => {
    const plain = await tinyRun('dn-plain');
    const checked = await tinyRun('dn-checked', ['--debug-nans']);
    // The compiled scan declines while the mode is on, so the checked run takes the tape: equal to rounding, not bit for bit.
    const leaves = (d: string) => {
      const r = openRun(d);
      if (E.isLeft(r)) throw r.left;
      return tree.leaves(r.right.state.params).flatMap((l) => Array.from(unsafeDataOf(l)));
    };
    const a = leaves(plain);
    const b = leaves(checked);
    expect(a.length).toBe(b.length);
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-5));
  });
});
