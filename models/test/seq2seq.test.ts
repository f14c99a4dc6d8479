import { describe, expect, it } from 'vitest';
import { key } from '@mnemo/core';
import { argmax } from '@mnemo/autodiff';
import { dense, embedding, type LstmState } from '@mnemo/nn';
import {
  ADDITION,
  REVERSAL,
  SEQ2SEQ_DEFAULTS,
  drawExamples,
  exactMatchBySize,
  isHeldOut,
  runCli,
  seq2seq,
  trainSeq2seq,
  type CliIo,
} from '@mnemo/models';

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), stdoutIsTTY: false, stderrIsTTY: false };
}

describe('problems', () => {
  it('draw correct answers at the asked sizes, reproducibly', () => {
    const xs = drawExamples(ADDITION, key(4), 300, 1, 5, 'train');
    expect(drawExamples(ADDITION, key(4), 300, 1, 5, 'train')).toEqual(xs);
    for (const e of xs) {
      const [a, b] = e.input.split('+');
      expect(Number(e.target)).toBe(Number(a) + Number(b));
      expect(Math.max(a!.length, b!.length)).toBe(e.size);
      expect(String(Number(a))).toBe(a); // no leading zeros
    }
    expect(new Set(xs.map((e) => e.size))).toEqual(new Set([1, 2, 3, 4, 5]));
    for (const e of drawExamples(REVERSAL, key(4), 100, 2, 6, 'test')) expect([...e.target].reverse().join('')).toBe(e.input);
  });

  it('keep a tenth of all inputs for testing only', () => {
    let held = 0;
    for (let a = 0; a < 1000; a++) for (let b = 0; b < 100; b++) if (isHeldOut(`${a}+${b}`)) held++;
    expect(held / 100_000).toBeGreaterThan(0.09);
    expect(held / 100_000).toBeLessThan(0.11);
    expect(drawExamples(ADDITION, key(1), 500, 1, 3, 'train').some((e) => isHeldOut(e.input))).toBe(false);
    expect(drawExamples(ADDITION, key(1), 500, 1, 3, 'test').every((e) => isHeldOut(e.input))).toBe(true);
    expect(() => drawExamples(ADDITION, key(1), 5, 0, 3, 'train')).toThrow(/1 <= minSize <= maxSize <= 9/);
  });
});

describe('the encoder-decoder', () => {
  const m = seq2seq({ symbols: ADDITION.symbols, embedding: 6, cell: 'lstm', hidden: 12, layers: 2, dtype: 'float64' });
  const params = m.init(key(2));

  it('lays out a batch for teacher forcing: the decoder reads "=" then the answer and writes the answer then "."', () => {
    const b = m.batch([ADDITION.make(7, 5), ADDITION.make(120, 3)]);
    const ids = (s: string) => [...s].map((c) => m.vocab.id(c)!);
    expect(b.lengths).toEqual([3, 5]);
    expect(b.decoderInput.toArray()).toEqual(Float64Array.from([...ids('=12.'), ...ids('=123')]));
    expect(Array.from(b.targetIds.toArray())).toEqual([...ids('12.'), ...ids('123.')]);
    expect(Array.from(b.targetPositions.toArray())).toEqual([0, 1, 2, 4, 5, 6, 7]);
  });

  it('decodes greedily what teacher forcing on its own answers ranks first (encoder state starts the decoder)', () => {
    const inputs = ['1+2', '45+678', '9+99'];
    const answers = m.greedy(params, inputs, 6);
    inputs.forEach((input, i) => {
      const b = m.batch([{ input, target: answers[i]! }]);
      const state = m.encode(params, b.source, b.lengths);
      const y = m.decoderRnn.apply(params.decoder, embedding.apply(params.targetEmbed, b.decoderInput), { initialState: state }).outputs;
      const best = m.vocab.decode(argmax(dense.apply(params.head, y), -1).toArray());
      expect(best.slice(0, answers[i]!.length)).toBe(answers[i]);
      if (answers[i]!.length < 6) expect(best.endsWith('.')).toBe(true);
    });
  });

  it('encodes padded inputs exactly as unpadded ones', () => {
    const short = m.batch([{ input: '12+3', target: '' }]);
    const mixed = m.batch([{ input: '12+3', target: '' }, { input: '123+456', target: '' }]);
    const a = m.encode(params, short.source, short.lengths);
    const b = m.encode(params, mixed.source, mixed.lengths);
    const h1 = (a[1]!.fwd as unknown as LstmState).h.toArray();
    const h2 = (b[1]!.fwd as unknown as LstmState).h.toArray().slice(0, 12);
    h1.forEach((v, i) => expect(Math.abs(v - h2[i]!)).toBeLessThan(1e-12));
  });

  it('lowers its loss in a few dozen steps and reports exact match by size', async () => {
    const r = await trainSeq2seq({ ...SEQ2SEQ_DEFAULTS, problem: 'reverse', hidden: 32, embedding: 8, steps: 40, batch: 32, minSize: 1, maxSize: 3, maxTestSize: 4, testCount: 20 });
    const mean = (xs: readonly { loss: number }[]) => xs.reduce((s, x) => s + x.loss, 0) / xs.length;
    expect(mean(r.history.slice(0, 5))).toBeGreaterThan(2); // about ln 12 = 2.48 at the start
    expect(mean(r.history.slice(-5))).toBeLessThan(mean(r.history.slice(0, 5)) - 0.8);
    expect(r.test!.bySize.map((a) => [a.size, a.trained, a.count])).toEqual([
      [1, true, 20],
      [2, true, 20],
      [3, true, 20],
      [4, false, 20],
    ]);
    const direct = exactMatchBySize(r.model, r.state.params, [{ input: '12', target: '21', size: 2 }], [1, 3]);
    expect(direct[0]!.exact === 0 || direct[0]!.exact === 1).toBe(true);
  });
});

describe('mnemo train seq2seq', () => {
  it('rejects a bad option with a message saying what is allowed (exit 2)', async () => {
    const io = captureIo();
    expect(await runCli(['train', 'seq2seq', '--problem', 'multiply'], io)).toBe(2);
    expect(io.err.join('')).toContain('one of add, reverse');
    const io2 = captureIo();
    expect(await runCli(['train', 'seq2seq', '--min-size', '4', '--max-size', '2'], io2)).toBe(2);
    expect(io2.err.join('')).toContain('--max-size 2 is below --min-size 4');
    expect(await runCli(['train', 'seq2seq', '--max-test-size', '12'], captureIo())).toBe(2);
  });
});
