import { ArgumentError } from '@mnemo/core';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from '../src/report/index.js';

// The lead wires models/src/index.ts; until then the report module is imported directly.

/** A fake clock that advances by `stepMs` each time the test says so. */
const clock = () => {
  let t = 1_000;
  return { now: () => t, tick: (ms: number) => (t += ms) };
};

describe('createProgress, plain lines (stdout is not a terminal)', () => {
  it('prints the first step, every `every` steps and the last, with loss, accuracy, throughput and time left', () => {
    const out: string[] = [];
    const c = clock();
    const p = createProgress({ total: 10, isTTY: false, every: 3, write: (s) => out.push(s), now: c.now });
    for (let step = 1; step <= 10; step++) {
      c.tick(2_000); // 2 s a step
      p.update(step, { loss: 2.5 / step, acc: step / 10, examplesPerSec: 64.4 });
    }
    p.stop();
    p.stop(); // idempotent
    expect(out).toEqual([
      'step 1/10 (10%) loss 2.5000 acc 10.0% 64 ex/s eta 18s\n',
      'step 3/10 (30%) loss 0.8333 acc 30.0% 64 ex/s eta 14s\n',
      'step 6/10 (60%) loss 0.4167 acc 60.0% 64 ex/s eta 8s\n',
      'step 9/10 (90%) loss 0.2778 acc 90.0% 64 ex/s eta 2s\n',
      'step 10/10 (100%) loss 0.2500 acc 100.0% 64 ex/s eta 0s\n',
    ]);
  });

  it('on stop, prints the last update if it was not printed (an interrupted run shows where it stopped)', () => {
    const out: string[] = [];
    const c = clock();
    const p = createProgress({ total: 781, isTTY: false, start: 400, write: (s) => out.push(s), now: c.now });
    for (let step = 401; step <= 403; step++) {
      c.tick(250);
      p.update(step, { loss: 0.3, acc: 0.9, examplesPerSec: 512 });
    }
    p.stop();
    p.update(404, { loss: 0.3, acc: 0.9, examplesPerSec: 512 }); // after stop: ignored
    // every defaults to ceil(781 / 40) = 20; the time left counts only the steps this run did.
    expect(out).toEqual([
      'step 401/781 (51%) loss 0.3000 acc 90.0% 512 ex/s eta 1m35s\n',
      'step 403/781 (51%) loss 0.3000 acc 90.0% 512 ex/s eta 1m35s\n',
    ]);
  });

  it('writes no escape codes', () => {
    const out: string[] = [];
    const p = createProgress({ total: 100, isTTY: false, every: 1, write: (s) => out.push(s) });
    for (let step = 1; step <= 100; step++) p.update(step, { loss: 1, acc: 0.5, examplesPerSec: 1e3 });
    p.stop();
    expect(out).toHaveLength(100);
    expect(out.join('')).not.toMatch(/[\u001b\r]/);
  });

  it('rejects a bad total, start or every', () => {
    const w = (): void => {};
    expect(() => createProgress({ total: 0, isTTY: false, write: w })).toThrow(ArgumentError);
    expect(() => createProgress({ total: 2.5, isTTY: false, write: w })).toThrow("createProgress: argument 'total'");
    expect(() => createProgress({ total: 5, start: 6, isTTY: false, write: w })).toThrow("argument 'start': must be an integer in [0, 5], got 6");
    expect(() => createProgress({ total: 5, every: 0, isTTY: false, write: w })).toThrow("argument 'every'");
  });
});

describe('createProgress on a terminal', () => {
  it('redraws one bar in place with step, loss, accuracy, throughput and time left, and stops cleanly', async () => {
    let out = '';
    const c = clock();
    const p = createProgress({ total: 8, isTTY: true, columns: 120, write: (s) => (out += s), now: c.now });
    for (let step = 1; step <= 8; step++) {
      c.tick(500);
      p.update(step, { loss: 1 / step, acc: step / 8, examplesPerSec: 256 });
    }
    p.stop();
    const final = '[========================] 8/8 | loss 0.1250 | acc 100.0% | 256 ex/s | eta 0s';
    expect(out).toContain(final);
    expect(out).toMatch(/\u001b\[/); // cursor control: the bar is redrawn, not appended
    expect(out.endsWith('\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(2); // a single line of output, then the newline on stop
    // After stop, the redraw timer is gone: nothing more is written.
    const written = out.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(out.length).toBe(written);
  });
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect([0, 999, 59_400, 60_000, 187_000, 3_599_000, 3_600_000, 3_720_000].map(formatDuration)).toEqual([
      '0s', '1s', '59s', '1m00s', '3m07s', '59m59s', '1h00m', '1h02m',
    ]);
    expect([NaN, Infinity, -1].map(formatDuration)).toEqual(['?', '?', '?']);
  });
});
