/**
 * The registry of cell families (registerCell and everything that reads it),
 * and cells from outside nn: checkCell's diagnoses and cellFromModule's
 * choice of export.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ArgumentError, key, ones, zeros, type Tensor } from '@mnemo/core';
import { add, matmul, mul, sigmoid, sliceAxis, sub, tanh } from '@mnemo/autodiff';
import {
  CellCheckError,
  cellCases,
  cellFamilies,
  cellFamily,
  cellFromModule,
  cellHelp,
  checkCell,
  defineCell,
  gruCell,
  init,
  isGatedCell,
  makeCell,
  mguCell,
  parseCellSpec,
  registerCell,
  registerCellModule,
  scan,
  unregisterCell,
  type Cell,
  type CellFamilyDefinition,
  type CellOptions,
} from '@mnemo/nn';

const F64 = 'float64' as const;

/** JANET, as a test writes it: only a forget gate. */
const janet = defineCell('janet', (o: CellOptions & { readonly beta?: number }) => {
  const { inputSize: D, hiddenSize: H } = o;
  const beta = o.beta ?? 1;
  return {
    gates: ['f', 'g'],
    params: { wx: { shape: [D, 2 * H], init: init.rnnUniform(H) }, wh: { shape: [H, 2 * H], init: init.rnnUniform(H) }, b: { shape: [2 * H], init: init.zeros } },
    state: { c: H },
    inputPartSize: 2 * H,
    inputPart: (p, x) => add(matmul(x, p.wx), p.b),
    step(p, { c }, xwb, gate) {
      const pre = add(xwb, matmul(c, p.wh));
      const s = gate.probe('f', sliceAxis(pre, -1, 0, H));
      const g = gate('g', tanh, sliceAxis(pre, -1, H, 2 * H));
      const c2 = add(mul(sigmoid(s), c), mul(sub(1, sigmoid(sub(s, beta))), g));
      gate.report('f', () => sigmoid(s));
      return [{ c: c2 }, c2];
    },
    extra: { beta },
  };
});
const JANET: CellFamilyDefinition = {
  family: 'janet',
  make: (o) => janet(o),
  options: ['beta'],
  help: 'janet             JANET (van der Westhuizen & Lasenby 2018): only a forget gate',
};

afterEach(() => {
  for (const f of cellFamilies()) if (!f.builtin) unregisterCell(f.family);
});

describe('registerCell: one call makes a family known everywhere', () => {
  it('parseCellSpec, makeCell, cellHelp, cellFamilies and cellCases read it', () => {
    expect(() => parseCellSpec('janet')).toThrow(/unknown cell 'janet'/);
    const info = registerCell(JANET);
    expect(info.builtin).toBe(false);
    expect(info.options).toEqual(['beta']);
    expect(parseCellSpec('JANET')).toEqual({ family: 'janet', variants: [] });
    const cell = makeCell('janet', { inputSize: 2, hiddenSize: 3, dtype: F64, beta: 2 });
    expect(cell.name).toBe('janet');
    expect((cell as unknown as { beta: number }).beta).toBe(2);
    expect(cellHelp().split('\n').at(-1)).toBe('  janet             JANET (van der Westhuizen & Lasenby 2018): only a forget gate');
    expect(cellFamilies().map((f) => f.family)).toEqual(['lstm', 'gru', 'mgu', 'mut1', 'mut2', 'mut3', 'rnn', 'janet']);
    expect(cellCases(['janet'])).toEqual([{ label: 'janet', spec: 'janet', family: 'janet', options: {} }]);
    expect(() => parseCellSpec('janet+x')).toThrow(/janet: argument 'variant': unknown variant 'x' of janet; janet accepts no variants/);
    expect(() => makeCell('janet', { inputSize: 2, hiddenSize: 3, projSize: 2 })).toThrow(/janet: argument 'projSize': janet has no option 'projSize'; its options are beta/);
    expect(() => parseCellSpec('lstn')).toThrow(/known cells: lstm, gru, mgu, mut1, mut2, mut3, rnn, janet/);
    expect(unregisterCell('janet')).toBe(true);
    expect(() => makeCell('janet', { inputSize: 1, hiddenSize: 1 })).toThrow(/unknown cell 'janet'/);
  });

  it('variants, their check and examples', () => {
    registerCell({
      family: 'gate2',
      variants: ['a', 'b', 'c'],
      checkVariants: (vs) => {
        if (vs.includes('a') && vs.includes('b')) throw new ArgumentError('gate2', 'variant', "'a' and 'b' exclude each other");
      },
      make: (o) => mguCell({ inputSize: o.inputSize, hiddenSize: o.hiddenSize, ...(o.dtype === undefined ? {} : { dtype: o.dtype }) }),
      help: 'gate2  a test family',
      examples: [{ variants: ['a', 'c'] }, { options: {}, label: 'plain again' }],
    });
    expect(parseCellSpec('gate2+a+c').variants).toEqual(['a', 'c']);
    expect(() => parseCellSpec('gate2 --variant a,b')).toThrow(/'a' and 'b' exclude each other/);
    expect(() => makeCell({ family: 'gate2', variants: ['a', 'b'] }, { inputSize: 1, hiddenSize: 1 })).toThrow(/exclude each other/);
    expect(cellCases(['gate2']).map((c) => c.label)).toEqual(['gate2', 'gate2+a', 'gate2+b', 'gate2+c', 'gate2+a+c', 'gate2 (plain again)']);
  });

  it('the default variant check: each name once, at most one', () => {
    expect(() => parseCellSpec('gru+reset-after+reset-after')).toThrow(/variant 'reset-after' is given twice/);
    expect(() => parseCellSpec('rnn+relu+tanh')).toThrow(/rnn takes one variant at most, got relu and tanh/);
  });

  it('malformed arguments are typed errors naming the argument (found by the fuzz suite)', () => {
    expect(() => cellCases('lstm' as never)).toThrow(ArgumentError);
    expect(() => cellCases('lstm' as never)).toThrow(/cellCases: argument 'families': expected an array of family names .*, got "lstm"/);
    expect(() => cellCases([1n] as never)).toThrow(/got \[1n\]/);
    expect(cellCases(['gru']).map((c) => c.family)).toEqual(['gru', 'gru', 'gru']);
    expect(() => registerCell({ ...JANET, family: 1n as never })).toThrow(/registerCell: argument 'family': .*, got 1n/);
    expect(() => registerCell({ ...JANET, help: Object.create(null) as never })).toThrow(/registerCell: argument 'help': janet: expected the text --help prints for it, got \{\}/);
    expect(() => registerCell({ ...JANET, variants: [2n] as never })).toThrow(/registerCell: argument 'variants': .*, got \[2n\]/);
    // Examples are checked when registered, not when cellCases reads them.
    expect(() => registerCell({ ...JANET, examples: [null] as never })).toThrow(/registerCell: argument 'examples\[0\]': janet: expected \{ variants\?, options\?, label\? \}, got null/);
    expect(() => registerCell({ ...JANET, examples: [{ variants: 'a' }] as never })).toThrow(/argument 'examples\[0\]': janet: expected its variants to be an array/);
    expect(() => registerCell({ ...JANET, examples: [{ options: 1 }] as never })).toThrow(/argument 'examples\[0\]': janet: expected its options to be a record/);
    expect(() => registerCell({ ...JANET, examples: [{ label: 1n }] as never })).toThrow(/argument 'examples\[0\]': janet: expected its label to be a string, got \{label: 1n\}/);
    expect(cellFamily('janet')).toBeUndefined();
    // An example's option values print in its label whatever they are.
    registerCell({ ...JANET, examples: [{ options: { beta: Object.create(null) as never } }] });
    expect(cellCases(['janet']).map((c) => c.label)).toEqual(['janet', 'janet (beta={})']);
  });

  it('rejects bad definitions and taken names; the same definition twice is one registration', () => {
    expect(() => registerCell({ ...JANET, family: 'Janet' })).toThrow(/registerCell: argument 'family': expected a lower-case name/);
    expect(() => registerCell({ ...JANET, family: 'lstm' })).toThrow(/a cell family 'lstm' is already registered \(built in\)/);
    expect(() => registerCell({ ...JANET, help: '' })).toThrow(/registerCell: argument 'help'/);
    expect(() => registerCell({ ...JANET, make: undefined as never })).toThrow(/registerCell: argument 'make'/);
    expect(() => registerCell({ ...JANET, variants: ['a+b'] })).toThrow(/registerCell: argument 'variants'/);
    expect(() => registerCell({ ...JANET, options: ['dtype'] })).toThrow(/registerCell: argument 'options'/);
    const a = registerCell(JANET);
    expect(registerCell(JANET)).toBe(a);
    expect(() => registerCell({ ...JANET })).toThrow(/a cell family 'janet' is already registered; choose another name or unregisterCell it first/);
    expect(() => unregisterCell('gru')).toThrow(/unregisterCell: argument 'family': 'gru' is one of nn's built-in cells/);
    expect(unregisterCell('nothing')).toBe(false);
  });

  it('makeCell checks what make returns, and gives a plain Cell the sequence members', () => {
    registerCell({ family: 'liar', make: (o) => gruCell({ inputSize: o.inputSize + 1, hiddenSize: o.hiddenSize }), help: 'liar  wrong sizes' });
    expect(() => makeCell('liar', { inputSize: 2, hiddenSize: 3 })).toThrow(/liar: argument 'make': was asked for inputSize 2, hiddenSize 3, float32 and made a cell with inputSize 3, hiddenSize 3, float32/);
    const plain = (o: { inputSize: number; hiddenSize: number }): Cell<{ w: Tensor }, Tensor> => ({
      name: 'plain', inputSize: o.inputSize, hiddenSize: o.hiddenSize, outputSize: o.hiddenSize, dtype: 'float32', gates: [],
      init: () => ({ w: ones([o.inputSize, o.hiddenSize]) }),
      initialState: (b) => zeros([b, o.hiddenSize]),
      step: (p, h, x) => {
        const h2 = tanh(add(matmul(x, p.w), h));
        return [h2, h2];
      },
    });
    registerCell({ family: 'plain', make: plain, help: 'plain  a bare Cell' });
    const cell = makeCell('plain', { inputSize: 2, hiddenSize: 3 });
    expect(isGatedCell(cell)).toBe(true);
    const p = cell.init(key(0));
    const xs = ones([1, 4, 2]);
    expect(Array.from(scan(cell, p, xs).outputs.toArray())).toEqual(Array.from(scan(plain({ inputSize: 2, hiddenSize: 3 }), p as { w: Tensor }, xs, { projectInputs: false }).outputs.toArray()));
    expect(cell.inspect(p, cell.initialState(1), ones([1, 2])).gates).toEqual({});
  });
});

// ---------------------------------------------------------------------------

/** A correct bare cell to break one member at a time. */
function good(): Cell<{ w: Tensor; u: Tensor }, { h: Tensor }> {
  return {
    name: 'good', inputSize: 2, hiddenSize: 3, outputSize: 3, dtype: 'float32', gates: ['h'],
    init: (k) => ({ w: init.rnnUniform(3)(k, [2, 3]), u: init.rnnUniform(3)(k, [3, 3]) }),
    initialState: (b) => ({ h: zeros([b, 3]) }),
    step: (p, s, x, probes) => {
      const pre = add(matmul(x, p.w), matmul(s.h, p.u));
      const h = tanh(probes?.['h'] === undefined ? pre : add(pre, probes['h']));
      return [{ h }, h];
    },
  };
}

describe('checkCell: what is wrong with a cell, precisely', () => {
  const problem = (cell: unknown, expected = {}) => {
    try {
      checkCell(cell, expected);
    } catch (e) {
      expect(e).toBeInstanceOf(CellCheckError);
      expect((e as CellCheckError).kind).toBe('invalid');
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('accepts nn\'s cells and a correct bare cell', () => {
    for (const c of cellCases()) expect(problem(makeCell(c.spec, { inputSize: 2, hiddenSize: 3, dtype: F64, ...c.options })), c.label).toBe('accepted');
    expect(problem(good())).toBe('accepted');
    expect(problem(janet({ inputSize: 2, hiddenSize: 3 }), { inputSize: 2, hiddenSize: 3, dtype: 'float32' })).toBe('accepted');
  });

  it.each<[string, (c: ReturnType<typeof good>) => unknown, string]>([
    ['not an object', () => 42, "checkCell: argument 'cell': expected a cell { name, inputSize, hiddenSize, outputSize, dtype, gates, init, initialState, step }, got number"],
    ['no name', (c) => ({ ...c, name: '' }), "checkCell: argument 'name': expected the cell's name, a non-empty string, got string"],
    ['a size that is not a positive integer', (c) => ({ ...c, hiddenSize: 0 }), "good: argument 'hiddenSize': expected a positive integer, got 0"],
    ['an unknown dtype', (c) => ({ ...c, dtype: 'float16' }), 'good: argument \'dtype\': expected \'float32\' or \'float64\', got "float16"'],
    ['no step', (c) => ({ ...c, step: undefined }), "good: argument 'step': expected a function, got undefined"],
    ['gates that are not names', (c) => ({ ...c, gates: [1] }), "good: argument 'gates': expected an array of gate names (empty if none can be probed), got an array of 1"],
    ['init that throws', (c) => ({ ...c, init: () => { throw new Error('boom'); } }), "good: argument 'init': threw Error: boom"],
    ['init that is not a pytree', (c) => ({ ...c, init: () => ({ w: 3 }) }), "good: argument 'init': returned object, expected the parameters (a Tensor, or arrays and records of Tensors)"],
    ['init of another dtype', (c) => ({ ...c, init: () => ({ w: zeros([2, 3], F64) }) }), "good: argument 'init': returned a float64 parameter (leaf 0, shape [2, 3]); the cell is float32"],
    ['init that ignores its key', (c) => ({ ...c, init: () => ({ w: init.rnnUniform(3)(key(Math.floor(Math.random() * 1e9)), [2, 3]), u: zeros([3, 3]) }) }), "good: argument 'init': drew different parameters from the same key: draw every random number from the key it receives (split it), never from Math.random"],
    ['a state without the batch', (c) => ({ ...c, initialState: () => ({ h: zeros([1, 3]) }) }), "good: argument 'initialState': (2) returned a state tensor (leaf 0) of shape [1, 3]; every state tensor is [batch, ...], here [2, ...]"],
    ['an output of the wrong width', (c) => ({ ...c, outputSize: 4 }), "good: argument 'step': returned an output of shape [2, 3], expected [2, 4] (batch 2, outputSize 4)"],
    ['a step that returns one value', (c) => ({ ...c, step: (p: never, s: { h: Tensor }, x: Tensor) => c.step(p, s, x)[1] }), "good: argument 'step': returned a float32 Tensor [2, 3], expected [nextState, output]"],
    ['a next state of another structure', (c) => ({ ...c, step: (p: never, s: { h: Tensor }, x: Tensor) => { const [, y] = c.step(p, s, x); return [{ h: y, extra: y }, y]; } }), "good: argument 'step': returned a next state {extra: *, h: *}, expected the structure of initialState's, {h: *}"],
    ['a next state of another shape', (c) => ({ ...c, step: (p: never, s: { h: Tensor }, x: Tensor) => { const [, y] = c.step(p, s, x); return [{ h: zeros([2, 5]) }, y]; } }), "good: argument 'step': returned a next state whose leaf 0 has shape [2, 5], expected [2, 3] as in initialState(2)"],
    ['probes that change the output', (c) => ({ ...c, step: (p: never, s: { h: Tensor }, x: Tensor, probes?: Record<string, Tensor>) => c.step(p, s, probes === undefined ? x : add(x, 1), undefined) }), "good: argument 'step': gave another output with zero probes on its gates (h); a probe is added to its gate's pre-activation, so a zero probe changes nothing"],
  ])('%s', (_, breakIt, message) => {
    expect(problem(breakIt(good()))).toBe(message);
  });

  it('a step that throws on its input: the error it threw', () => {
    expect(problem({ ...good(), inputSize: 5 })).toMatch(/^good: argument 'step': threw ShapeError: matmul: argument 'b': .*\[2, 5\].*\[2, 3\]/);
  });

  it('sizes other than asked', () => {
    expect(problem(good(), { hiddenSize: 4 })).toBe("good: argument 'hiddenSize': is 3, but the cell was asked for 4");
    expect(problem(good(), { dtype: F64 })).toBe("good: argument 'dtype': is float32, but the cell was asked for float64");
  });
});

describe('cellFromModule: the cell a module exports', () => {
  const maker = janet;
  const factory = (o: { inputSize: number; hiddenSize: number; dtype?: 'float32' | 'float64' }) => janet(o);
  const failure = (ns: unknown, options = {}) => {
    try {
      cellFromModule(ns, { source: './cell.ts', ...options });
    } catch (e) {
      expect(e).toBeInstanceOf(CellCheckError);
      return `${(e as CellCheckError).kind}: ${(e as Error).message}`;
    }
    return 'accepted';
  };

  it('takes a family definition, a registration, a default factory or a defineCell maker', () => {
    expect(cellFromModule({ JANET, other: 1 })).toBe(JANET);
    expect(cellFromModule({ registration: registerCell(JANET) })).toBe(JANET);
    unregisterCell('janet');
    const d = cellFromModule({ default: factory });
    expect(d.family).toBe('janet'); // the cells' name
    expect(cellFromModule({ default: factory })).toBe(d); // the same definition for the same factory
    expect(cellFromModule({ janetCell: maker, train: () => 0 }).family).toBe('janet');
    expect(cellFromModule({ default: factory }, { name: 'myjanet' }).family).toBe('myjanet');
    const cell = d.make({ inputSize: 2, hiddenSize: 3, variants: [] });
    expect(cell.outputSize).toBe(3);
  });

  it('says when a module exports no cell, several, or a broken one', () => {
    expect(failure({ helper: () => 1, n: 3 })).toBe(
      "no-cell: ./cell.ts: argument 'module': exports no cell: export a family definition { family, make, help } (or what registerCell returned), a default export that makes a cell from { inputSize, hiddenSize, dtype }, or a cell maker made with defineCell; its exports are helper, n",
    );
    expect(failure({})).toMatch(/no-cell: .*its exports nothing|no-cell: .*it exports nothing/);
    expect(failure({ a: janet, b: defineCell('other', (o: CellOptions) => ({ gates: [], params: {}, state: { h: o.hiddenSize }, step: (_p, s) => [s, s.h] as const })) })).toBe(
      "ambiguous: ./cell.ts: argument 'module': exports several cell makers (janet, other); say which one",
    );
    expect(failure({ a: janet }, { family: 'x' })).toBe("no-cell: ./cell.ts: argument 'family': the module has no cell 'x'; it exports cell makers janet");
    expect(failure({ default: () => 3 })).toBe("invalid: ./cell.ts: argument 'default': makes cells named undefined, which is not a family name (lower case: letters, digits, '-' and '_'); give the cells such a name, or export a family definition");
    expect(failure({ default: () => { throw new Error('needs a config'); } })).toBe(
      "invalid: ./cell.ts: argument 'default': threw Error when asked for a cell with { inputSize: 3, hiddenSize: 4, dtype: 'float64' }: needs a config",
    );
    // A factory that ignores the dtype it is asked for.
    expect(failure({ default: (o: CellOptions) => janet({ ...o, dtype: 'float64' }) })).toBe("invalid: ./cell.ts: argument 'janet.dtype': is float64, but the cell was asked for float32");
    // A factory whose cells' outputs have the wrong width.
    const wide = (o: CellOptions) => ({ ...janet(o), outputSize: o.hiddenSize + 1 });
    expect(failure({ default: wide })).toBe("invalid: ./cell.ts: argument 'janet.step': returned an output of shape [2, 4], expected [2, 5] (batch 2, outputSize 5)");
  });

  it('options are checked before they are read (found by the fuzz suite)', () => {
    for (const f of [cellFromModule, registerCellModule]) {
      expect(() => f({ janet }, null as never)).toThrow(ArgumentError);
      expect(() => f({ janet }, null as never)).toThrow(/cellFromModule: argument 'options': expected an options record .*, got null/);
      expect(() => f({ janet }, { source: 1n } as never)).toThrow(/cellFromModule: argument 'options.source': expected a string, got 1n/);
      expect(() => f({ janet }, { family: Symbol('f') } as never)).toThrow(/argument 'options.family': expected a string, got Symbol\(f\)/);
    }
    // A bare factory that makes nothing, and a family definition with malformed variants: typed, named.
    expect(() => cellFromModule({ default: () => null }, { source: './null.ts' })).toThrow(CellCheckError);
    expect(() => cellFromModule({ def: { family: 'odd', make: janet, help: 'odd  a cell', variants: 'a' } }, { source: './odd.ts' })).toThrow(
      /\.\/odd\.ts: argument 'odd\.variants': expected an array of variant names, got "a"/,
    );
    // What a factory throws is reported whatever it is.
    expect(() => cellFromModule({ default: () => { throw Object.create(null); } }, { source: './throws.ts' })).toThrow(/threw an error when asked for a cell with .*: \{\}/);
  });

  it('registerCellModule registers once, and then the family is a cell name', () => {
    const info = registerCellModule({ default: factory }, { source: './janet.ts' });
    expect(registerCellModule({ default: factory }, { source: './janet.ts' })).toBe(info);
    expect(cellFamily('janet')).toBe(info);
    expect(info.help).toBe("janet  a cell from ./janet.ts (export 'default')");
    expect(makeCell('janet', { inputSize: 1, hiddenSize: 2 }).gates).toEqual(['f', 'g']);
    expect(() => registerCellModule({ default: (o: CellOptions) => gruCell(o) })).toThrow(/a cell family 'gru' is already registered \(built in\)/);
  });
});
