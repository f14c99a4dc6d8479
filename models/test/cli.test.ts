import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT, RUN_FILES, runCli, type CliIo } from '@mnemo/models';
import { describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'mnemo-cli-'));
const ESC = '\u001b';

/** Run the command line in-process, capturing what it writes; not a terminal. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (s) => out.push(s), stderr: (s) => err.push(s), stdoutIsTTY: false, stderrIsTTY: false };
  const code = await runCli(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

describe('mnemo: help and usage errors', () => {
  it('--help works on every command, on stdout, exit 0, without escape codes', async () => {
    for (const argv of [['--help'], ['train', '--help'], ['eval', '--help'], ['gradcheck', '--help'], ['compare', '--help']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(EXIT.ok);
      expect(r.out).toMatch(/mnemo/);
      expect(r.out.includes(ESC)).toBe(false);
    }
    expect((await cli('--help')).out).toMatch(/Exit codes:[\s\S]*130/);
    expect((await cli('train', '--help')).out).toMatch(/lstm\+cifg[\s\S]*--steps-per-sequence/);
  });

  it('no command: the overview on stderr, exit 2; an unknown command: exit 2', async () => {
    const none = await cli();
    expect([none.code, none.out]).toEqual([EXIT.usage, '']);
    expect(none.err).toMatch(/train/);
    expect((await cli('trian')).code).toBe(EXIT.usage);
  });

  it('mnemo train: each bad value is named with what is allowed', async () => {
    const cases: [string[], RegExp][] = [
      [['train', 'mnst'], /expected one of mnist, adding, temporal-order, charlm, seq2seq, got 'mnst'/],
      [['train', '--backend', 'gpu'], /expected one of cpu, gpujs, got 'gpu'/],
      [['train', '--dtype', 'float16'], /expected one of float32, float64, got 'float16'/],
      [['train', '--optimizer', 'adma'], /expected one of sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad, got 'adma'/],
      [['train', '--hidden', '0'], /expected an integer in \[1, 2\^53\), got '0'/],
      [['train', '--steps', '1.5'], /expected an integer in \[1, 2\^53\), got '1.5'/],
      [['train', '--lr', '-1'], /expected a finite number > 0, got '-1'/],
      [['train', '--lr', 'fast'], /expected a finite number > 0, got 'fast'/],
      [['train', '--cell', 'lstn'], /unknown cell 'lstn'.*known cells: lstm, gru, mgu, mut1, mut2, mut3, rnn/],
      [['train', '--cell', 'gru', '--variant', 'cifg'], /unknown variant 'cifg' of gru; gru accepts reset-before, reset-after/],
      [['train', '--cell', 'lstm+cifg+nfg'], /cifg/],
      [['train', '--bogus', '1'], /bogus/],
      [['train', 'adding', '--cell', 'gru', '--proj-size', '4'], /--proj-size: only an LSTM/],
      [['train', 'adding', '--train-size', '10'], /no training set size/],
      [['train', 'mnist', '--steps-per-sequence', '10'], /28 rows/],
      [['train', '--resume', root, '--hidden', '8'], /--hidden cannot be given with --resume/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(EXIT.usage);
      expect(r.err, argv.join(' ')).toMatch(pattern);
      expect(r.err.includes(ESC)).toBe(false);
      expect(r.out).toBe('');
    }
  });

  it('mnemo eval, gradcheck and compare reject bad options too', async () => {
    const cases: [string[], number, RegExp][] = [
      [['eval'], EXIT.usage, /run dir/],
      [['eval', root, '--eval-batch', 'x'], EXIT.usage, /expected an integer in \[1, 2\^53\), got 'x'/],
      [['eval', join(root, 'nope')], EXIT.data, /nope: is not a directory/],
      [['eval', root], EXIT.data, /no readable config\.json: not a run directory/],
      [['gradcheck'], EXIT.usage, /cell/],
      [['gradcheck', 'lstm', '--variant', 'zz'], EXIT.usage, /unknown variant 'zz' of lstm/],
      [['gradcheck', 'lstm', '--mode', 'fast'], EXIT.usage, /expected one of elementwise, dot, got 'fast'/],
      [['gradcheck', 'gru', '--steps', '0'], EXIT.usage, /expected an integer in \[1, 2\^53\), got '0'/],
      [['compare', '--cells', 'rnn,,gru'], EXIT.usage, /an empty name/],
      [['compare', '--cells', 'rnn,lstm+zz'], EXIT.usage, /unknown variant 'zz' of lstm/],
      [['compare', '--task', 'addition'], EXIT.usage, /expected one of mnist, adding, temporal-order, got 'addition'/],
      [['compare', '--resume', 'x'], EXIT.data, /compare-config\.json: not a comparison/],
      [['compare', '--resume', 'x', '--hidden', '3'], EXIT.usage, /--hidden cannot be given with --resume/],
    ];
    for (const [argv, code, pattern] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err, argv.join(' ')).toMatch(pattern);
    }
  });
});

describe('mnemo: commands', () => {
  it('train, then eval of the run directory, in JSON; a damaged checkpoint is a data error', async () => {
    const t = await cli('train', 'adding', '--steps-per-sequence', '6', '--hidden', '4', '--steps', '3', '--batch', '4', '--test-size', '20', '--out', root, '--name', 'j', '--json');
    expect(t.code).toBe(EXIT.ok);
    const s = JSON.parse(t.out) as { status: string; stepsDone: number; runDir: string; test: { examples: number } };
    expect([s.status, s.stepsDone, s.test.examples, s.runDir]).toEqual(['finished', 3, 20, join(root, 'j')]);
    expect(t.err).toMatch(/step 3\/3/); // progress goes to stderr with --json, as plain lines
    expect(t.err.includes(ESC)).toBe(false);
    const e = await cli('eval', join(root, 'j'), '--json');
    expect(e.code).toBe(EXIT.ok);
    expect((JSON.parse(e.out) as { examples: number; step: number }).step).toBe(3);
    writeFileSync(join(root, 'j', RUN_FILES.checkpoint), readFileSync(join(root, 'j', RUN_FILES.checkpoint), 'utf8').slice(0, 200));
    const bad = await cli('eval', join(root, 'j'));
    expect(bad.code).toBe(EXIT.data);
    expect(bad.err).toMatch(/checkpoint\.json: not valid JSON .*truncated or damaged/);
  });

  it('train prints plain progress lines and the test accuracy when not a terminal', async () => {
    const t = await cli('train', 'temporal-order', '--steps-per-sequence', '10', '--cell', 'lstm+cifg', '--hidden', '4', '--steps', '2', '--batch', '4', '--test-size', '10', '--out', root);
    expect(t.code).toBe(EXIT.ok);
    expect(t.out).toMatch(/step 2\/2 \(100%\) loss/);
    expect(t.out).toMatch(/test accuracy: \d+\.\d\d% \(loss/);
    expect(t.out).toMatch(/run directory: .*temporal-order-lstm-cifg/);
    expect(t.out.includes(ESC)).toBe(false);
  });

  it('gradcheck passes for a cell and prints the report; --json gives the report', async () => {
    const g = await cli('gradcheck', 'lstm', '--variant', 'cifg', '--steps', '3', '--hidden', '2', '--input', '2', '--batch', '1');
    expect(g.code).toBe(EXIT.ok);
    expect(g.out).toMatch(/lstm\+cifg[\s\S]*PASS/);
    const j = await cli('gradcheck', 'mgu', '--steps', '2', '--hidden', '2', '--input', '2', '--batch', '1', '--json');
    expect((JSON.parse(j.out) as { ok: boolean }).ok).toBe(true);
  });

  it('compare prints a table with the criterion and writes the plot', async () => {
    const c = await cli('compare', '--task', 'adding', '--steps-per-sequence', '5', '--cells', 'rnn,gru', '--hidden', '3', '--steps', '2', '--batch', '4', '--test-size', '10', '--out', root);
    expect(c.code).toBe(EXIT.ok);
    expect(c.out).toMatch(/cell\s+params\s+train loss\s+test loss\s+vs constant/);
    expect(c.out).toMatch(/\nrnn .*\ngru /);
    expect(c.out).toMatch(/criterion: solved when the test loss is below 10% of the constant predictor's 0\.1667/);
    const plot = /plot: (.*compare\.svg)/.exec(c.out)![1]!;
    expect(readFileSync(plot, 'utf8').startsWith('<svg')).toBe(true);
  });
});

describe('mnemo as a process', () => {
  it('Ctrl-C saves a checkpoint and exits 130; --resume finishes the run', async () => {
    const repo = resolve(import.meta.dirname, '..', '..');
    // node itself (not npx, which would not pass the signal on), running the TypeScript sources through tsx.
    const args = ['--import', 'tsx/esm', 'models/src/cli.ts'];
    const run = (argv: string[], onOut?: (text: string, kill: () => void) => void) =>
      new Promise<{ code: number | null; out: string; err: string }>((done) => {
        const p = spawn(process.execPath, [...args, ...argv], { cwd: repo, env: { ...process.env, FORCE_COLOR: '0', TSX_TSCONFIG_PATH: 'tsconfig.test.json' } });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          onOut?.(out, () => p.kill('SIGINT'));
        });
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('close', (code) => done({ code, out, err }));
      });
    let sent = false;
    const first = await run(
      ['train', 'adding', '--steps-per-sequence', '6', '--hidden', '4', '--steps', '100000', '--batch', '4', '--test-size', '10', '--log-every', '1', '--out', root, '--name', 'sigint'],
      (text, kill) => {
        if (!sent && /step 1\/100000/.test(text)) {
          sent = true;
          kill();
        }
      },
    );
    expect(first.code, first.err).toBe(EXIT.interrupted);
    expect(first.err).toMatch(/stopped at step \d+ of 100000; checkpoint saved[\s\S]*--resume/);
    const dir = join(root, 'sigint');
    expect(existsSync(join(dir, RUN_FILES.checkpoint))).toBe(true);
    const stoppedAt = (JSON.parse(readFileSync(join(dir, RUN_FILES.summaryJson), 'utf8')) as { stepsDone: number }).stepsDone;
    expect(stoppedAt).toBeGreaterThanOrEqual(1);
    const second = await run(['train', '--resume', dir, '--steps', String(stoppedAt + 2)]);
    expect(second.code, second.err).toBe(EXIT.ok);
    expect(second.out).toMatch(new RegExp(`resuming at step ${stoppedAt}`));
    expect(second.out).toMatch(/test accuracy/);
  }, 120_000);
});
