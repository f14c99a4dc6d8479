/**
 * Cells by name (parseCellSpec, makeCell, cellHelp) and bad input: every
 * error names the cell and, for shapes, both sizes.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, DTypeError, MnemoError, ShapeError, key, ones, zeros } from '@mnemo/core';
import {
  cellFamilies,
  cellHelp,
  exportTorchState,
  gruCell,
  importTorchGru,
  importTorchLstm,
  importTorchModule,
  importTorchRnn,
  importTorchState,
  isGatedCell,
  lstmCell,
  lstmStructure,
  makeCell,
  mguCell,
  mutCell,
  parseCellSpec,
  rnn,
  rnnCell,
  scan,
  stackCells,
  torchLayerWeights,
  withDenseInput,
  type Cell,
} from '@mnemo/nn';

const F64 = 'float64' as const;

describe('cells by name', () => {
  it('parses every accepted form', () => {
    expect(parseCellSpec('lstm')).toEqual({ family: 'lstm', variants: [] });
    expect(parseCellSpec('lstm+cifg')).toEqual({ family: 'lstm', variants: ['cifg'] });
    expect(parseCellSpec('lstm --variant cifg')).toEqual({ family: 'lstm', variants: ['cifg'] });
    expect(parseCellSpec('lstm --variant=cifg,np')).toEqual({ family: 'lstm', variants: ['cifg', 'np'] });
    expect(parseCellSpec('  LSTM --variant nig --variant noaf ')).toEqual({ family: 'lstm', variants: ['nig', 'noaf'] });
    expect(parseCellSpec('gru --variant reset-after')).toEqual({ family: 'gru', variants: ['reset-after'] });
    expect(parseCellSpec('rnn+relu')).toEqual({ family: 'rnn', variants: ['relu'] });
    expect(parseCellSpec('mut2')).toEqual({ family: 'mut2', variants: [] });
  });

  it('makes every family and variant, with names that parse back to the same cell', () => {
    for (const { family: fam, variants } of cellFamilies()) {
      for (const v of ['', ...variants]) {
        const spec = v === '' ? fam : `${fam}+${v}`;
        const cell = makeCell(spec, { inputSize: 3, hiddenSize: 3, dtype: F64 });
        const again = makeCell(cell.name, { inputSize: 3, hiddenSize: 3, dtype: F64 });
        expect(again.name, spec).toBe(cell.name);
        expect(again.gates).toEqual(cell.gates);
        const [, y] = cell.step(cell.init(key(1)), cell.initialState(2), ones([2, 3], F64));
        expect(y.shape, spec).toEqual([2, cell.outputSize]);
      }
    }
    expect(makeCell('lstm+cifg+np', { inputSize: 1, hiddenSize: 2 }).name).toBe('lstm+np+cifg');
    expect(makeCell({ family: 'gru', variants: ['reset-after'] }, { inputSize: 1, hiddenSize: 2 }).name).toBe('gru+reset-after');
  });

  it('the help text says which vanilla each LSTM name means and lists every name', () => {
    const h = cellHelp();
    expect(h).toMatch(/lstm\s+the tutorial LSTM.*\n.*NO peepholes/);
    expect(h).toMatch(/lstm\+peephole\s+Greff et al\. \(2015\)'s "vanilla" LSTM/);
    expect(h).toMatch(/KEEP the peepholes \(add \+np to drop them\)/);
    for (const v of cellFamilies().find((f) => f.family === 'lstm')!.variants) expect(h).toContain(`lstm+${v}`);
    for (const { family } of cellFamilies()) expect(h).toContain(family);
    expect(h).toContain('gru+reset-after');
  });

  it('rejects unknown names, listing what is allowed and naming the cell', () => {
    expect(() => parseCellSpec('lstn')).toThrow(/unknown cell 'lstn' in 'lstn'; known cells: lstm, gru, mgu, mut1, mut2, mut3, rnn/);
    expect(() => parseCellSpec('lstm+foo')).toThrow(/lstm: argument 'variant': unknown variant 'foo' of lstm; lstm accepts peephole, nig, nfg, nog, niaf, noaf, np, cifg, fgr/);
    expect(() => parseCellSpec('gru --variant cifg')).toThrow(/gru: .*unknown variant 'cifg' of gru; gru accepts reset-before, reset-after/);
    expect(() => parseCellSpec('mgu+relu')).toThrow(/mgu: .*unknown variant 'relu' of mgu; mgu accepts no variants/);
    expect(() => parseCellSpec('lstm --variant')).toThrow(/'--variant' needs a value/);
    expect(() => parseCellSpec('lstm --layers 2')).toThrow(/unexpected '--layers'/);
    expect(() => lstmCell({ inputSize: 1, hiddenSize: 1, variant: 'nope' as never })).toThrow(ArgumentError);
    expect(() => makeCell('lstm+bogus', { inputSize: 1, hiddenSize: 1 })).toThrow(/lstm accepts peephole/);
  });

  it('rejects nonsense combinations with the reason', () => {
    expect(() => parseCellSpec('lstm+cifg+nig')).toThrow(/'cifg' couples the forget gate to the input gate .* 'nig' removes the input gate/);
    expect(() => parseCellSpec('lstm+cifg+nfg')).toThrow(/'cifg' defines the forget gate as 1 - i, and 'nfg' removes it/);
    expect(() => parseCellSpec('lstm+peephole+np')).toThrow(/'peephole' and 'np' .* contradict/);
    expect(() => parseCellSpec('lstm+nig+nfg+nog+fgr')).toThrow(/'fgr' .* needs at least one gate/);
    expect(() => parseCellSpec('lstm+cifg+cifg')).toThrow(/variant 'cifg' is given twice/);
    expect(() => parseCellSpec('gru+reset-after+reset-before')).toThrow(/gru takes one variant at most/);
    expect(() => lstmCell({ inputSize: 1, hiddenSize: 1, variant: 'np', peepholes: true })).toThrow(/peepholes: true contradicts variant 'np'/);
    expect(() => makeCell('gru', { inputSize: 1, hiddenSize: 1, projSize: 2 })).toThrow(/gru: argument 'projSize': gru has no option 'projSize'/);
    expect(() => makeCell('lstm', { inputSize: 1, hiddenSize: 1, inputProjection: true })).toThrow(/lstm has no option 'inputProjection'/);
    expect(() => mutCell({ kind: 'mut1', inputSize: 2, hiddenSize: 3, inputProjection: false })).toThrow(
      /mut1: argument 'inputProjection': .*inputSize \(2\) must equal hiddenSize \(3\)/,
    );
    expect(() => mutCell({ kind: 'mut3', inputSize: 2, hiddenSize: 3, inputProjection: true })).toThrow(/MUT3 .* has no input projection/);
  });
});

describe('bad input: clear errors naming the cell and both sizes', () => {
  const cell = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: F64 });
  const p = cell.init(key(0));

  it('an input whose feature size does not match the cell', () => {
    expect(() => cell.step(p, cell.initialState(2), ones([2, 5], F64))).toThrow(ShapeError);
    expect(() => cell.step(p, cell.initialState(2), ones([2, 5], F64))).toThrow(
      /lstm: argument 'x': has 5 features per step \(shape \[2, 5\]\), but the cell's inputSize is 3/,
    );
    expect(() => gruCell({ inputSize: 3, hiddenSize: 4 }).step(gruCell({ inputSize: 3, hiddenSize: 4 }).init(key(0)), { h: zeros([1, 4]) }, ones([1, 2]))).toThrow(
      /gru: argument 'x': has 2 features per step .* inputSize is 3/,
    );
    expect(() => scan(cell, p, ones([2, 7, 5], F64))).toThrow(/lstm: argument 'xs': has 5 features per step \(shape \[2, 7, 5\]\), but the cell's inputSize is 3/);
    expect(() => scan(cell, p, ones([2, 3], F64))).toThrow(/lstm: argument 'xs': expected a sequence \[batch, steps, 3\] \(batch first\), got \[2, 3\]/);
    expect(() => cell.step(p, cell.initialState(2), ones([2, 7, 3], F64))).toThrow(/for a sequence \[batch, steps, features\] use scan/);
  });

  it('a state of the wrong shape, batch or dtype', () => {
    expect(() => cell.step(p, { h: zeros([2, 5], F64), c: zeros([2, 4], F64) }, ones([2, 3], F64))).toThrow(
      /lstm: argument 'state.h': has shape \[2, 5\], expected \[2, 4\]/,
    );
    expect(() => cell.step(p, { h: zeros([3, 4], F64), c: zeros([3, 4], F64) }, ones([2, 3], F64))).toThrow(
      /state.h': has shape \[3, 4\], expected \[2, 4\] \(batch 2 of the input/,
    );
    expect(() => cell.step(p, { h: zeros([2, 4], F64) } as never, ones([2, 3], F64))).toThrow(/lstm: argument 'state.c': is missing; the state is \{ h: \[2, 4\], c: \[2, 4\] \}/);
    expect(() => cell.step(p, zeros([2, 4], F64) as never, ones([2, 3], F64))).toThrow(/lstm: argument 'state': expected a record/);
    expect(() => cell.step(p, { h: zeros([2, 4]), c: zeros([2, 4]) }, ones([2, 3], F64))).toThrow(DTypeError);
    expect(() => scan(cell, p, ones([2, 3, 3], F64), { initialState: { h: zeros([2, 6], F64), c: zeros([2, 4], F64) } })).toThrow(/state.h': has shape \[2, 6\], expected \[2, 4\]/);
  });

  it('an input of the wrong dtype', () => {
    expect(() => cell.step(p, cell.initialState(1), ones([1, 3], 'float32'))).toThrow(/lstm: argument 'x': is float32, the cell is float64/);
  });

  it('parameters of another variant or size', () => {
    const cifg = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: F64, variant: 'cifg' });
    expect(() => cifg.step(p, cifg.initialState(1), ones([1, 3], F64))).toThrow(/lstm\+cifg: argument 'params.wx': has shape \[3, 16\], expected \[3, 12\]/);
    const peep = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: F64, variant: 'peephole' });
    expect(() => cell.step(peep.init(key(0)), cell.initialState(1), ones([1, 3], F64))).toThrow(/lstm: argument 'params.p[ifo]': is not a parameter of this cell .* another variant/);
    expect(() => peep.step(p, peep.initialState(1), ones([1, 3], F64))).toThrow(/lstm\+peephole: argument 'params.pi': is missing/);
  });

  it('sizes, masks, lengths, probes and layer wiring', () => {
    expect(() => lstmCell({ inputSize: 0, hiddenSize: 4 })).toThrow(/lstm: argument 'inputSize': must be a positive integer, got 0/);
    expect(() => rnnCell({ inputSize: 2, hiddenSize: 2.5 })).toThrow(/rnn: argument 'hiddenSize'/);
    expect(() => scan(cell, p, ones([2, 3, 3], F64), { lengths: [3, 4] })).toThrow(/lengths\[1\]': must be an integer from 0 to 3/);
    expect(() => scan(cell, p, ones([2, 3, 3], F64), { lengths: [3] })).toThrow(/lstm: argument 'lengths': has 1 entries, but the batch has 2 sequences/);
    expect(() => scan(cell, p, ones([2, 3, 3], F64), { mask: ones([3, 2], F64) })).toThrow(/lstm: argument 'mask': has shape \[3, 2\], expected \[2, 3\]/);
    expect(() => scan(cell, p, ones([2, 3, 3], F64), { mask: ones([2, 3], F64), lengths: [1, 1] })).toThrow(/give a mask or lengths, not both/);
    expect(() => cell.step(p, cell.initialState(2), ones([2, 3], F64), { i: zeros([2, 3], F64) })).toThrow(/lstm: argument 'probes.i': has shape \[2, 3\], expected \[2, 4\]/);
    expect(() => cell.step(p, cell.initialState(2), ones([2, 3], F64), { q: zeros([2, 4], F64) })).toThrow(/'q' is not a gate of this cell; its gates are i, f, g, o/);
    const g = gruCell({ inputSize: 5, hiddenSize: 2, dtype: F64 });
    expect(() => rnn({ cells: [cell, g], bidirectional: true })).toThrow(
      /rnn: argument 'cells\[1\]': gru has inputSize 5, but layer 0 outputs 8 features per step \(4 x 2 directions\)/,
    );
    expect(() => stackCells([cell, g])).toThrow(/stackCells: argument 'cells\[1\]': has inputSize 5, but cells\[0\] \(lstm\) outputs 4 features/);
    expect(() => rnn({ cells: [cell], dropout: 1 })).toThrow(/dropout': must be in \[0, 1\)/);
  });

  it('weights in the wrong layout for the importers', () => {
    expect(() => importTorchLstm(cell, { weight_ih: zeros([16, 4], F64), weight_hh: zeros([16, 4], F64) })).toThrow(
      /importTorchLstm: argument 'weight_ih': has shape \[16, 4\], expected \[16, 3\]/,
    );
    expect(() => importTorchLstm(lstmCell({ inputSize: 3, hiddenSize: 4, variant: 'cifg' }), { weight_ih: zeros([12, 3]), weight_hh: zeros([12, 4]) })).toThrow(
      /PyTorch's LSTM has no variants .* lstm\+cifg cannot take its weights/,
    );
    expect(() => importTorchGru(gruCell({ inputSize: 3, hiddenSize: 4 }), { weight_ih: zeros([12, 3]), weight_hh: zeros([12, 4]) })).toThrow(
      /PyTorch's GRU is reset-after; make the cell with variant 'reset-after' \(got gru\)/,
    );
    expect(() => importTorchLstm(cell, { weight_ih: zeros([16, 3], F64), weight_hh: zeros([16, 4], F64), bias_ih: zeros([16], F64) })).toThrow(/give both biases, or neither/);
  });
});

/** `f` throws an ArgumentError from `op` about `arg` (not a TypeError from inside); returns its message. */
function refused(f: () => unknown, op: string, arg: string): string {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${op} ${arg}`).toBeInstanceOf(ArgumentError);
  expect((caught as MnemoError).op).toBe(op);
  expect((caught as MnemoError).arg).toBe(arg);
  return (caught as Error).message;
}

/** Values the fuzz suite found crashing the message builders (String, JSON.stringify) or read unchecked. */
const bare = (): object => Object.create(null) as object;

describe('malformed arguments: typed errors, never a crash inside (found by the fuzz suite)', () => {
  const cell = lstmCell({ inputSize: 2, hiddenSize: 3, dtype: F64 });
  const p = cell.init(key(0));

  it('cell factories: sizes and options that are BigInts, prototype-less objects or too large', () => {
    expect(refused(() => lstmCell({ inputSize: bare() as never, hiddenSize: 3 }), 'lstm', 'inputSize')).toMatch(/must be a positive integer, got \{\}/);
    expect(refused(() => gruCell({ inputSize: 2, hiddenSize: 1n as never }), 'gru', 'hiddenSize')).toMatch(/got 1n/);
    expect(refused(() => mguCell({ inputSize: 2 ** 31, hiddenSize: 3 }), 'mgu', 'inputSize')).toMatch(/at most 2\^31 - 1/);
    expect(refused(() => rnnCell({ inputSize: 2, hiddenSize: 3, activation: bare() as never }), 'rnn', 'activation')).toMatch(/unknown activation \{\}/);
    expect(refused(() => lstmCell({ inputSize: 2, hiddenSize: 3, projSize: bare() as never }), 'lstm', 'projSize')).toMatch(/got \{\}/);
    expect(refused(() => lstmCell({ inputSize: 2, hiddenSize: 3, projSize: 2n as never }), 'lstm', 'projSize')).toMatch(/got 2n/);
    expect(refused(() => lstmCell({ inputSize: 2, hiddenSize: 3, layerNorm: true, layerNormEps: bare() as never }), 'lstm', 'layerNormEps')).toMatch(/must be positive/);
    expect(refused(() => lstmCell({ inputSize: 2, hiddenSize: 3, forgetBias: 1n as never }), 'lstm', 'forgetBias')).toMatch(/got 1n/);
    expect(refused(() => makeCell('gru', { inputSize: bare() as never, hiddenSize: 3 }), 'gru', 'inputSize')).toMatch(/got \{\}/);
    expect(refused(() => makeCell('gru', [] as never), 'gru', 'options')).toMatch(/got \[\]/);
    expect(refused(() => makeCell({ family: 'gru', variants: [Symbol('v')] } as never, { inputSize: 1, hiddenSize: 2 }), 'gru', 'variant')).toMatch(/got Symbol\(v\)/);
    expect(refused(() => mutCell(null as never), 'mut', 'options')).toMatch(/got null/);
  });

  it('lstmStructure takes an array of names only', () => {
    expect(refused(() => lstmStructure('cifg' as never), 'lstm', 'variant')).toMatch(/expected an array of variant names, got "cifg"/);
    expect(refused(() => lstmStructure([1n] as never), 'lstm', 'variant')).toMatch(/unknown LSTM variant 1n/);
    expect(refused(() => lstmStructure([bare()] as never), 'lstm', 'variant')).toMatch(/unknown LSTM variant \{\}/);
    expect(refused(() => lstmStructure([], 'yes' as never), 'lstm', 'peepholes')).toMatch(/expected a boolean, got "yes"/);
  });

  it('isGatedCell is false for anything that is not a cell', () => {
    for (const v of [null, undefined, 0, 'lstm', 1n, bare()]) expect(isGatedCell(v as never)).toBe(false);
    expect(isGatedCell(cell)).toBe(true);
  });

  it('a cell\'s step refuses null probes, and initialState a batch that is not a size', () => {
    for (const c of [cell, gruCell({ inputSize: 2, hiddenSize: 3, dtype: F64 }), rnnCell({ inputSize: 2, hiddenSize: 3, dtype: F64 }), mguCell({ inputSize: 2, hiddenSize: 3, dtype: F64 })]) {
      const q = c.init(key(1));
      expect(refused(() => c.step(q as never, c.initialState(2) as never, zeros([2, 2], F64), null as never), c.name, 'probes')).toMatch(/expected a record of gate name to Tensor \[2, 3\].*got null/);
      expect(refused(() => c.step(q as never, c.initialState(2) as never, zeros([2, 2], F64), 5 as never), c.name, 'probes')).toMatch(/got 5/);
      expect(refused(() => c.initialState(bare() as never), c.name, 'batch')).toMatch(/got \{\}/);
      expect(refused(() => c.initialState(2 ** 31), c.name, 'batch')).toMatch(/at most 2\^31 - 1/);
    }
    // undefined and an empty record still mean no probes
    expect(cell.step(p, cell.initialState(1), zeros([1, 2], F64), undefined)[1].shape).toEqual([1, 3]);
    expect(cell.step(p, cell.initialState(1), zeros([1, 2], F64), {})[1].shape).toEqual([1, 3]);
  });

  it('the PyTorch importers and exporters check the cell, the model, the layer and the states', () => {
    const w = { weight_ih: zeros([12, 2], F64), weight_hh: zeros([12, 3], F64) };
    expect(refused(() => importTorchLstm(null as never, w), 'importTorchLstm', 'cell')).toMatch(/got null/);
    expect(refused(() => importTorchLstm({ ...cell, structure: 1 } as never, w), 'importTorchLstm', 'cell')).toMatch(/an LSTM cell made by lstmCell or makeCell/);
    // A copy of a cell whose parameter layout is garbage: named, not read as shapes.
    expect(refused(() => importTorchLstm({ ...cell, paramSpec: { wx: null } } as never, w), 'paramShapes', 'cell.paramSpec.wx')).toMatch(/got null/);
    expect(refused(() => importTorchLstm({ ...cell, paramSpec: {} } as never, w), 'importTorchLstm', 'cell')).toMatch(/has no matrix parameter 'wx'/);
    expect(refused(() => importTorchLstm(cell, { ...w, weight_hr: null } as never), 'importTorchLstm', 'weight_hr')).toMatch(/projection null/);
    expect(refused(() => importTorchLstm(cell, 1n as never), 'importTorchLstm', 'weights')).toMatch(/got 1n/);
    expect(refused(() => importTorchRnn({ activation: 'tanh' } as never, w), 'importTorchRnn', 'cell.name')).toMatch(/is the cell a cell/);
    expect(refused(() => importTorchGru(Symbol('g') as never, w), 'importTorchGru', 'cell')).toMatch(/got Symbol\(g\)/);
    const sd = { weight_ih_l0: zeros([3, 2], F64), weight_hh_l0: zeros([3, 3], F64) };
    expect(refused(() => torchLayerWeights(sd, 1n as never), 'torchLayerWeights', 'layer')).toMatch(/got 1n/);
    expect(refused(() => torchLayerWeights(sd, bare() as never), 'torchLayerWeights', 'layer')).toMatch(/got \{\}/);
    expect(refused(() => torchLayerWeights(sd, 0, 'yes' as never), 'torchLayerWeights', 'reverse')).toMatch(/got "yes"/);
    const net = rnn({ cells: [rnnCell({ inputSize: 2, hiddenSize: 3, dtype: F64 })] });
    expect(importTorchModule(net, sd)).toHaveLength(1);
    expect(refused(() => importTorchModule({} as never, sd), 'importTorchModule', 'model.cells')).toMatch(/got undefined/);
    expect(refused(() => importTorchModule({ ...net, cells: [null] } as never, sd), 'importTorchModule', 'model.cells[0]')).toMatch(/got null/);
    expect(refused(() => importTorchModule({ ...net, numLayers: 2 } as never, sd), 'importTorchModule', 'model.numLayers')).toMatch(/expected 1/);
    expect(refused(() => importTorchState(net, null as never), 'importTorchState', 'states')).toMatch(/got null/);
    expect(refused(() => importTorchState(net, { h0: bare() } as never), 'importTorchState', 'h0')).toMatch(/is \{\}; expected \[1, batch, H\]/);
    expect(refused(() => importTorchState(1n as never, { h0: zeros([1, 2, 3]) }), 'importTorchState', 'model')).toMatch(/got 1n/);
    expect(refused(() => exportTorchState(net, [null] as never), 'exportTorchState', 'state[0]')).toMatch(/got null/);
    expect(refused(() => exportTorchState(net, [{ fwd: 3 }] as never), 'exportTorchState', 'state[0]')).toMatch(/got \{fwd: 3\}/);
    expect(refused(() => exportTorchState(net, bare() as never), 'exportTorchState', 'state')).toMatch(/got \{\}/);
    expect(exportTorchState(net, net.initialState(2)).hn.shape).toEqual([1, 2, 3]);
  });

  it('withDenseInput checks the cell, the size and the options before it reads them', () => {
    expect(refused(() => withDenseInput(null as never, 2), 'withDenseInput', 'cell')).toMatch(/got null/);
    expect(refused(() => withDenseInput({ ...cell, inputSize: 'two' } as never, 2), 'withDenseInput', 'cell.inputSize')).toMatch(/got "two"/);
    expect(refused(() => withDenseInput(cell, bare() as never), 'withDenseInput', 'inputSize')).toMatch(/got \{\}/);
    expect(refused(() => withDenseInput(cell, 2n as never), 'withDenseInput', 'inputSize')).toMatch(/got 2n/);
    expect(refused(() => withDenseInput(cell, 2, null as never), 'withDenseInput', 'options')).toMatch(/got null/);
    const d = withDenseInput(cell, 4);
    expect(refused(() => d.step(null as never, d.initialState(1), zeros([1, 4], F64)), 'dense+lstm', 'params')).toMatch(/expected \{ proj, cell \}/);
  });
});
