/**
 * The fault suite (issue 15): checkpoints truncated at random lengths, random
 * single-bit flips, files with a valid checksum holding non-finite or
 * out-of-range values, saves killed at random moments (`kill -9` of a child
 * process that saves in a loop), and a full disk (a write that throws). Every
 * case must be detected (exit 3) or survived (the last good checkpoint
 * intact, and no temporary file left once the next run has started).
 *
 * Counts are small by default (a few seconds); MNEMO_FAULT_RUNS=<n>
 * multiplies them for long runs. The counts are printed at the end.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unsafeDataOf, unsafeFromData, type Tensor } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import {
  EXIT,
  OutputError,
  RUN_FILES,
  exitCodeOf,
  jobOf,
  openRun,
  resolveConfig,
  resumeRun,
  runCli,
  runTraining,
  saveCheckpoint,
  type CliIo,
  type RunFileSystem,
  type TrainState,
} from '@mnemo/models';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';

const SCALE = Math.max(1, Number(process.env['MNEMO_FAULT_RUNS'] ?? 1) || 1);
const root = fs.mkdtempSync(join(tmpdir(), 'mnemo-faults-'));
const repo = resolve(import.meta.dirname, '..', '..');

/** A deterministic stream of numbers in [0, 1) (the suite is reproducible). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 13;
    return (s >>> 0) / 2 ** 32;
  };
}

const counts: Record<string, { tries: number; detected: number; survived: number; crashes: number }> = {};
const tally = (category: string, outcome: 'detected' | 'survived' | 'crashes'): void => {
  counts[category] ??= { tries: 0, detected: 0, survived: 0, crashes: 0 };
  counts[category]!.tries++;
  counts[category]![outcome]++;
};

afterAll(() => {
  const rows = Object.entries(counts).map(([k, c]) => `  ${k.padEnd(34)} tries ${String(c.tries).padStart(4)}  detected ${String(c.detected).padStart(4)}  survived ${String(c.survived).padStart(4)}  crashes ${c.crashes}`);
  console.log(`fault suite (MNEMO_FAULT_RUNS=${SCALE}):\n${rows.join('\n')}`);
});

const quiet = (): CliIo => ({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false });
const temporaries = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

/** A finished tiny run to damage; its checkpoint bytes are the last good state. */
async function goodRun(name: string, hidden = 4): Promise<{ dir: string; bytes: Buffer }> {
  const code = await runCli(['train', 'adding', '--steps-per-sequence', '5', '--hidden', String(hidden), '--batch', '4', '--steps', '4', '--test-size', '10', '--out', root, '--name', name], quiet());
  expect(code).toBe(EXIT.ok);
  const dir = join(root, name);
  return { dir, bytes: fs.readFileSync(join(dir, RUN_FILES.checkpoint)) };
}

/** What the command line does with the run's checkpoint now: eval's exit code. */
const evalCode = (dir: string): Promise<number> => runCli(['eval', dir], quiet());

describe('the fault suite', () => {
  it(`truncated checkpoints (${20 * SCALE} random lengths) are detected with exit 3`, async () => {
    const { dir, bytes } = await goodRun('truncated');
    const next = random(1);
    for (let i = 0; i < 20 * SCALE; i++) {
      const n = Math.floor(next() * bytes.length);
      fs.writeFileSync(join(dir, RUN_FILES.checkpoint), bytes.subarray(0, n));
      const code = await evalCode(dir);
      tally('truncation', code === EXIT.data ? 'detected' : 'crashes');
      expect(code, `truncated to ${n} of ${bytes.length} bytes`).toBe(EXIT.data);
    }
  });

  it(`single-bit flips (${40 * SCALE} random bits) are detected with exit 3`, async () => {
    const { dir, bytes } = await goodRun('flips');
    const next = random(2);
    for (let i = 0; i < 40 * SCALE; i++) {
      const flipped = Buffer.from(bytes);
      const bit = Math.floor(next() * bytes.length * 8);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      fs.writeFileSync(join(dir, RUN_FILES.checkpoint), flipped);
      const code = await evalCode(dir);
      tally('bit flip', code === EXIT.data ? 'detected' : 'crashes');
      expect(code, `bit ${bit} flipped`).toBe(EXIT.data);
    }
  });

  it(`valid checksums over non-finite or out-of-range values (${30 * SCALE} files) are detected with exit 3 naming the field`, async () => {
    const { dir } = await goodRun('values');
    const opened = openRun(dir);
    if (E.isLeft(opened)) throw opened.left;
    const good: TrainState = opened.right.state;
    const meta = { task: 'adding', seed: 0 };
    const next = random(3);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const poisonOne = (x: Tree, v: number): Tree => {
      const leaves = tree.leaves(x);
      const target = Math.floor(next() * leaves.length);
      let i = 0;
      return tree.map(x, (l: Tensor) => {
        if (i++ !== target) return l;
        const d = unsafeDataOf(l).slice();
        d[Math.floor(next() * d.length)] = v;
        return unsafeFromData(d, l.shape);
      });
    };
    for (let i = 0; i < 30 * SCALE; i++) {
      const kind = pick(['params', 'm', 'v', 'step'] as const);
      let state: TrainState;
      let field: RegExp;
      if (kind === 'step') {
        const step = pick([-1, 1.5, 5, 1e308, 2 ** 53]);
        state = { ...good, step, optState: { ...good.optState, step: Number.isInteger(step) && step >= 0 ? step : 0 } };
        field = /^metadata\.step$|^optimizer\.step$/;
      } else if (kind === 'params') {
        state = { ...good, params: poisonOne(good.params, pick([NaN, Infinity, -Infinity])) as TrainState['params'] };
        field = /^params\.model\./;
      } else {
        const v = kind === 'v' ? pick([NaN, Infinity, -1, -1e-30]) : pick([NaN, -Infinity]);
        state = { ...good, optState: { ...good.optState, slots: { ...good.optState.slots, [kind]: poisonOne(good.optState.slots[kind]!, v) } } };
        field = new RegExp(`^optimizer\\.slots\\.${kind}\\.`);
      }
      try {
        saveCheckpoint(dir, state, meta);
      } catch {
        // the writer itself refuses a step count JSON cannot hold or that is not an integer: that is detection too
        tally('valid checksum, bad values', 'detected');
        continue;
      }
      const out: string[] = [];
      const code = await runCli(['train', '--resume', dir, '--json'], { ...quiet(), stdout: (s) => out.push(s) });
      const reported = code === EXIT.data ? (JSON.parse(out.join('')) as { error: { field: string } }).error.field : '';
      const ok = code === EXIT.data && field.test(reported);
      tally('valid checksum, bad values', ok ? 'detected' : 'crashes');
      expect([code, reported], kind).toEqual([EXIT.data, expect.stringMatching(field)]);
    }
  });

  it(`saves killed with kill -9 at random moments (${3 * SCALE} kills): the last good checkpoint survives, the next run removes the temporary file`, async () => {
    const { dir, bytes } = await goodRun('killed', 48);
    const good = openRun(dir);
    if (E.isLeft(good)) throw good.left;
    const a = tree.leaves(good.right.state.params).map((l) => Array.from(unsafeDataOf(l)).join());
    const next = random(4);
    let leftTemporary = 0;
    for (let i = 0; i < 3 * SCALE; i++) {
      // Each saver starts from the good checkpoint (the previous kill may have left the halved one).
      fs.writeFileSync(join(dir, RUN_FILES.checkpoint), bytes);
      const child = spawn(process.execPath, ['--import', 'tsx/esm', 'models/test/support/save-loop.ts', dir], {
        cwd: repo,
        env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.test.json' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((done, fail) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) setTimeout(() => (child.kill('SIGKILL'), done()), Math.floor(next() * 40));
        });
        child.on('exit', (code, signal) => signal === null && fail(new Error(`the saver exited by itself (${code})`)));
      });
      await new Promise((done) => child.on('close', done));
      if (temporaries(dir).length > 0) leftTemporary++;
      const after = openRun(dir);
      const intact = E.isRight(after) && after.right.state.step === 4;
      const params = E.isRight(after) ? tree.leaves(after.right.state.params).map((l) => Array.from(unsafeDataOf(l)).join()) : [];
      const halved = tree.leaves(good.right.state.params).map((l) => Array.from(unsafeDataOf(l), (v) => Math.fround(v * 0.5)).join());
      const known = intact && (params.join('|') === a.join('|') || params.join('|') === halved.join('|'));
      tally('kill -9 during save', known ? 'survived' : 'crashes');
      expect(known, `kill ${i}: ${E.isLeft(after) ? after.left.message : 'an unknown state'}`).toBe(true);
    }
    console.log(`kill -9 during save: ${leftTemporary} of ${3 * SCALE} kills left a temporary file (the kill hit a save mid-write)`);
    // The next run (a resume) removes what the kills left behind.
    const r = await runCli(['train', '--resume', dir, '--steps', '5'], quiet());
    expect(r).toBe(EXIT.ok);
    expect(temporaries(dir)).toEqual([]);
  }, 120_000);

  it(`a full disk (a write that throws, ${12 * SCALE} points of failure): an OutputError (exit 73); the last good checkpoint resumes to the uninterrupted result`, async () => {
    const config = resolveConfig('adding', { sequenceLength: 5, hidden: 3, batch: 4, steps: 6, testSize: 10, checkpointEvery: 2 });
    const straight = await runTraining(jobOf(config), { evaluate: false });
    const bytesOf = (t: Tree) => tree.leaves(t).map((l) => Buffer.from(unsafeDataOf(l).buffer).toString('base64'));
    const next = random(5);
    for (let i = 0; i < 12 * SCALE; i++) {
      const dir = join(root, `full-${i}`);
      fs.mkdirSync(dir);
      // The disk fills after `room` writes (checkpoints, JSON files and metrics lines all count).
      const room = Math.floor(next() * 30);
      let writes = 0;
      const full = (): void => {
        if (writes++ >= room) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      };
      const failing: RunFileSystem = {
        ...fs,
        writeSync: ((...args: Parameters<typeof fs.writeSync>) => (full(), fs.writeSync(...args))) as typeof fs.writeSync,
        appendFileSync: ((...args: Parameters<typeof fs.appendFileSync>) => (full(), fs.appendFileSync(...args))) as typeof fs.appendFileSync,
      };
      let error: unknown;
      try {
        await runTraining(jobOf(config), { runDir: dir, fs: failing, evaluate: false });
      } catch (e) {
        error = e;
      }
      if (error === undefined) {
        tally('full disk', 'survived'); // the run fit in the room it had
        continue;
      }
      const typed = error instanceof OutputError && exitCodeOf(error) === EXIT.output;
      const noTemp = temporaries(dir).length === 0;
      let intact: boolean;
      if (!fs.existsSync(join(dir, RUN_FILES.checkpoint))) intact = true; // nothing saved yet, nothing lost
      else {
        const resumed = await resumeRun(dir, { evaluate: false });
        intact = bytesOf(resumed.state.params).join() === bytesOf(straight.state.params).join();
      }
      tally('full disk', typed && noTemp && intact ? 'survived' : 'crashes');
      expect([typed, noTemp, intact], `the disk full after ${room} writes: ${String(error)}`).toEqual([true, true, true]);
    }
  });
});
