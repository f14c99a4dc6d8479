/**
 * The whole-sequence LSTM kernel gives the same bits whatever the number of
 * threads: each band of batch rows is computed whole by whichever thread
 * claims it, and each element of a threaded product is summed in the same
 * order. Checked in child processes with MNEMO_THREADS=1 and 2 (the variable
 * is read once per process).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const source = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const script = `
  import { createHash } from 'node:crypto';
  import { lstmSequenceKernel, startGemmThreads, gemmInfo } from ${JSON.stringify(source)};
  await startGemmThreads();
  const [B, T, D, H] = [32, 6, 12, 16];
  let s = 12345;
  const fill = (n, scale) => Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * scale;
  });
  const x = fill(B * T * D, 2), wx = fill(D * 4 * H, 0.6), b = fill(4 * H, 0.4), wh = fill(H * 4 * H, 0.5);
  const h0 = fill(B * H, 1), c0 = fill(B * H, 1), dHs = fill(B * T * H, 1), dhT = fill(B * H, 1), dcT = fill(B * H, 1);
  const k = lstmSequenceKernel();
  const f = k.forwardProjected(x, wx, b, wh, h0, c0, B, T, D, H);
  const g = k.backward(f, wh, dHs, dhT, dcT, wx);
  const hash = createHash('sha256');
  for (const a of [f.hs, f.hT, f.cT, g.dx, g.dWx, g.db, g.dWh, g.dh0, g.dc0]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  console.log(JSON.stringify({ threads: gemmInfo().threads, helperChunks: gemmInfo().calls.helperChunks, digest: hash.digest('hex') }));
`;

function run(threads: string): { threads: number; helperChunks: number; digest: string } {
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, MNEMO_THREADS: threads },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim()) as ReturnType<typeof run>;
}

describe('the whole-sequence LSTM kernel and threads', () => {
  it('one thread and two threads give the same bits (outputs and every gradient)', () => {
    const one = run('1');
    const two = run('2');
    expect(one.threads).toBe(1);
    expect(one.helperChunks).toBe(0);
    expect(two.threads).toBe(2);
    expect(two.digest).toBe(one.digest);
  });
});
