/**
 * What the fuzz suite calls: every function exported by core, autodiff, nn
 * and proofs, found by walking the packages' exports (so that a function
 * added later is fuzzed without anyone listing it), the methods of exported
 * objects (`cpu.matmul`, `tree.map`, `init.uniform`, `dense.apply`, ...),
 * exported classes (called with `new`), and a few methods of values that
 * public functions return (an optimizer's `update`, a cell's `step`).
 *
 * Each target may have well-formed calls (templates) that the fuzz mutates,
 * for functions that need structure to get past their first check.
 */
import * as core from '@mnemo/core';
import * as autodiff from '@mnemo/autodiff';
import * as nn from '@mnemo/nn';
import * as nnNode from '@mnemo/nn/node';
import * as proofs from '@mnemo/proofs';
import { key, ones, scalar, tensor, zeros, type Tensor } from '@mnemo/core';
import { CALLBACK_ERROR } from './garbage.js';

/** A function the fuzz calls. */
export interface Target {
  /** `core.zeros`, `core.cpu.matmul`, `nn.adam().update`, ... */
  readonly name: string;
  readonly pkg: 'core' | 'autodiff' | 'nn' | 'proofs';
  readonly invoke: (args: readonly unknown[]) => unknown;
}

// nn's Node entry (parameter files on disk: saveParams, loadParams) is fuzzed as part of nn.
const PACKAGES = { core, autodiff, nn: { ...nn, ...nnNode }, proofs } as const;

type AnyFn = (...args: unknown[]) => unknown;

/** Elements a valid call may ask for: above this (and within what a typed array holds) the call is skipped, not made. */
const LARGE = 2 ** 24;

/**
 * Calls that would be valid requests for gigabytes: a range whose stop is huge and whose step is
 * large enough to keep the count under 2^31 (arange(4, 2^31) is 2^31 - 4 elements, a valid 8 GiB
 * request). They are skipped: the suite checks typed errors, and such a call only tests the machine.
 */
const TOO_LARGE: Readonly<Record<string, (args: readonly unknown[]) => boolean>> = {
  'core.arange': (args) => {
    const [a, b, step] = args;
    if (typeof a !== 'number') return false;
    const [lo, hi] = typeof b === 'number' ? [a, b] : [0, a];
    const s = typeof step === 'number' ? step : 1;
    const n = Math.ceil((hi - lo) / s);
    return Number.isFinite(n) && n > LARGE && n <= core.MAX_SIZE;
  },
  'core.linspace': (args) => typeof args[2] === 'number' && args[2] > LARGE && args[2] <= core.MAX_SIZE,
};

const isClass = (f: AnyFn): boolean => /^class[\s{]/.test(Function.prototype.toString.call(f));

/** Every exported function, exported class and method of an exported object, by walking the packages. */
export function exportedTargets(): Target[] {
  const out: Target[] = [];
  for (const [pkg, ns] of Object.entries(PACKAGES) as [Target['pkg'], Record<string, unknown>][]) {
    for (const [name, value] of Object.entries(ns)) {
      if (typeof value === 'function') {
        const f = value as AnyFn;
        if (isClass(f)) {
          const C = value as new (...args: unknown[]) => unknown;
          out.push({ name: `${pkg}.${name}`, pkg, invoke: (args) => new C(...args) });
        } else {
          const tooLarge = TOO_LARGE[`${pkg}.${name}`];
          out.push({ name: `${pkg}.${name}`, pkg, invoke: (args) => (tooLarge?.(args) ? undefined : f(...args)) });
        }
      } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [m, v] of Object.entries(value)) {
          if (typeof v === 'function') out.push({ name: `${pkg}.${name}.${m}`, pkg, invoke: (args) => (v as AnyFn).apply(value, args as unknown[]) });
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Methods of returned values
// ---------------------------------------------------------------------------

const f64 = (x: number[] | number[][]): Tensor => tensor(x, 'float64');

/**
 * A user's callback in a well-formed call. Given garbage by a mutated call,
 * a callback written for tensors may itself crash (a TypeError inside the
 * user's code); that error is the user's and passes through mnemo
 * unchanged, so it is reported as the callback's error.
 */
function cb<F extends (...args: never[]) => unknown>(f: F): F {
  return ((...args: never[]) => {
    try {
      return f(...args);
    } catch (e) {
      if (e instanceof core.MnemoError || e === CALLBACK_ERROR) throw e;
      throw CALLBACK_ERROR;
    }
  }) as F;
}
const params = (): { w: Tensor; b: Tensor } => ({ w: f64([[1, 2], [3, 4]]), b: f64([0.5, -0.5]) });

const optimizers = {
  sgd: () => nn.sgd({ lr: 0.1, momentum: 0.9 }),
  adam: () => nn.adam({ lr: 0.01 }),
  adamw: () => nn.adamw({ lr: 0.01, weightDecay: 0.1 }),
  rmsprop: () => nn.rmsprop({ lr: 0.01, centered: true, momentum: 0.5 }),
  adagrad: () => nn.adagrad({ lr: 0.01 }),
};

const cells = {
  lstmCell: () => nn.lstmCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }),
  gruCell: () => nn.gruCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }),
  rnnCell: () => nn.rnnCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }),
  mguCell: () => nn.mguCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }),
};

/** Methods of values that public functions return, with their well-formed calls. */
export function returnedTargets(): { target: Target; templates: () => unknown[][] }[] {
  const out: { target: Target; templates: () => unknown[][] }[] = [];
  for (const [name, make] of Object.entries(optimizers)) {
    const opt = make();
    out.push({ target: { name: `nn.${name}().init`, pkg: 'nn', invoke: (a) => opt.init(...(a as [never])) }, templates: () => [[params()]] });
    out.push({
      target: { name: `nn.${name}().update`, pkg: 'nn', invoke: (a) => opt.update(...(a as [never, never, never])) },
      templates: () => {
        const p = params();
        const s = opt.init(p);
        return [[params(), s, p], [{ w: f64([[1, 1], [1, 1]]), b: f64([1, 1]) }, { ...s, step: 3 }, p]];
      },
    });
  }
  for (const [name, make] of Object.entries(cells)) {
    const cell = make();
    out.push({
      target: { name: `nn.${name}().step`, pkg: 'nn', invoke: (a) => cell.step(...(a as [never, never, never])) },
      templates: () => [[cell.init(key(0)), cell.initialState(2), zeros([2, 2], 'float64')], [cell.init(key(0)), cell.initialState(1), zeros([1, 2], 'float64'), {}]],
    });
    out.push({ target: { name: `nn.${name}().initialState`, pkg: 'nn', invoke: (a) => cell.initialState(...(a as [never])) }, templates: () => [[1], [3]] });
    out.push({ target: { name: `nn.${name}().init`, pkg: 'nn', invoke: (a) => cell.init(...(a as [never])) }, templates: () => [[key(1)]] });
  }
  const net = nn.rnn({ cells: [cells.rnnCell()] });
  out.push({
    target: { name: 'nn.rnn().apply', pkg: 'nn', invoke: (a) => net.apply(...(a as [never, never, never])) },
    templates: () => [[net.init(key(0)), zeros([2, 3, 2], 'float64'), {}], [net.init(key(0)), zeros([1, 2, 2], 'float64'), { lengths: [1], initialState: net.initialState(1) }]],
  });
  return out;
}

// ---------------------------------------------------------------------------
// Well-formed calls
// ---------------------------------------------------------------------------

const x23 = (): Tensor => f64([[1, 2, 3], [4, 5, 6]]);
const lstm = (): nn.LstmCell => cells.lstmCell();

/** A small sequence program (h(t+1) = tanh(x(t) W + h(t)), a product and a fused loop per step), for the compiler's boundary. */
const sequenceProgram = (): core.SequenceProgram => ({
  dtype: 'float64',
  batch: 2,
  buffers: [
    { kind: 'seq', width: 2, ld: 2, name: 'x' },
    { kind: 'state', width: 3, ld: 3, name: 'h' },
    { kind: 'flat', width: 3, ld: 3, rows: 2, name: 'w' },
    { kind: 'flat', width: 3, ld: 3, rows: 2, packed: { n: 3, k: 2 }, name: 'w packed' },
    { kind: 'temp', width: 3, ld: 3, name: 'xw' },
  ],
  kernels: [
    {
      width: 3,
      args: [{ ld: 3, perRow: true }, { ld: 3, perRow: true }, { ld: 3, perRow: true }],
      exprs: [{ op: 'load', arg: 0 }, { op: 'load', arg: 1 }, { op: 'add', a: 0, b: 1 }, { op: 'tanh', x: 2 }, { op: 'const', value: 0.5 }, { op: 'select', c: 4, a: 3, b: 2 }],
      stores: [{ arg: 2, expr: 5 }],
      sums: [],
    },
  ],
  phases: {
    once: [{ kind: 'pack', src: 2, dst: 3, n: 3, k: 2, transposed: false }],
    pre: [],
    fwd: [
      { kind: 'gemm', a: { buffer: 0, slot: 0, col: 0 }, b: { buffer: 3, slot: 0, col: 0 }, c: { buffer: 4, slot: 0, col: 0 }, m: 'rows', n: 3, k: 2, transA: false, transB: false, packed: true, accumulate: false },
      { kind: 'loop', kernel: 0, args: [{ buffer: 4, slot: 0, col: 0 }, { buffer: 1, slot: 0, col: 0 }, { buffer: 1, slot: 1, col: 0 }] },
    ],
    bwd: [],
    post: [],
  },
});

/** A loop over flat arrays: out = a * b + 1 (b a scalar). */
const flatKernel = (): core.LoopKernel => ({
  width: 0,
  args: [{ ld: 0, perRow: true }, { ld: 0, perRow: false }, { ld: 0, perRow: true }],
  exprs: [{ op: 'load', arg: 0 }, { op: 'splat', arg: 1 }, { op: 'mul', a: 0, b: 1 }, { op: 'const', value: 1 }, { op: 'add', a: 2, b: 3 }],
  stores: [{ arg: 2, expr: 4 }],
  sums: [],
});

type ElmanParams = { w: Tensor; u: Tensor };
const elman = (p: ElmanParams, h: Tensor, x: Tensor): [Tensor, Tensor] => {
  const h2 = autodiff.tanh(autodiff.add(autodiff.matmul(x, p.w), autodiff.matmul(h, p.u)));
  return [h2, h2];
};
const elmanLoop = (p: ElmanParams, h0: Tensor, xs: Tensor): { outputs: Tensor; finalState: Tensor } => {
  let h = h0;
  const ys: Tensor[] = [];
  for (let t = 0; t < xs.shape[1]!; t++) {
    [h] = elman(p, h, autodiff.index(xs, 1, t));
    ys.push(h);
  }
  return { outputs: autodiff.stack(ys, 1), finalState: h };
};
const elmanArgs = (): [ElmanParams, Tensor, Tensor] => [{ w: f64([[1, 0, 1], [0, 1, 0]]), u: f64([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]]) }, zeros([2, 3], 'float64'), ones([2, 3, 2], 'float64')];

/**
 * Well-formed calls of the functions that need structure to get past their
 * first check (the fuzz mutates them); the others get only generic garbage.
 */
export const TEMPLATES: Readonly<Record<string, () => unknown[][]>> = {
  // core: tensors, shapes, random keys
  'core.tensor': () => [[[1, 2]], [[[1, 2], [3, 4]], 'float64'], [new Float32Array([1, 2, 3, 4]), 'float32', [2, 2]]],
  'core.scalar': () => [[1], [2, 'float64']],
  'core.full': () => [[[2, 2], 3], [[1], 0, 'float64']],
  'core.zeros': () => [[[2, 3]], [[0], 'float64']],
  'core.ones': () => [[[2, 3]], [[1, 1], 'float64']],
  'core.arange': () => [[4], [1, 2, 0.5, 'float64']],
  'core.linspace': () => [[0, 1, 5], [0, 1, 1, 'float64']],
  'core.eye': () => [[2], [2, 3, 'float64']],
  'core.unsafeFromData': () => [[new Float64Array(4), [2, 2]]],
  'core.checkShape': () => [['op', 'shape', [2, 3]]],
  'core.checkDType': () => [['op', 'dtype', 'float32']],
  'core.normalizeAxis': () => [['sum', -1, 3], ['sum', 0, [2, 5]]],
  'core.normalizeAxes': () => [['sum', [0, -1], 3], ['sum', undefined, [2, 3]]],
  'core.broadcastShapes': () => [['add', [2, 1], [3]]],
  'core.broadcastStrides': () => [[[3], [2, 3]]],
  'core.unbroadcastAxes': () => [[[4, 2, 3], [2, 1]]],
  'core.sizeOf': () => [[[2, 3]]],
  'core.stridesOf': () => [[[2, 3]]],
  'core.shapesEqual': () => [[[2], [2]]],
  'core.formatShape': () => [[[2, 3]]],
  'core.allocate': () => [['float32', 3]],
  'core.Key': () => [[1, 2]],
  'core.key': () => [[0], [12345]],
  'core.split': () => [[key(0)], [key(1), 3]],
  'core.foldIn': () => [[key(0), 7]],
  'core.randomBits': () => [[key(0), 4]],
  'core.philox4x32': () => [[[0, 0, 0, 0], [1, 2]]],
  'core.uniform': () => [[key(0), [2, 2]], [key(1), [3], { low: -1, high: 1, dtype: 'float64' }]],
  'core.normal': () => [[key(0), [2, 2]], [key(1), [3], { mean: 1, std: 2, dtype: 'float64' }]],
  'core.bernoulli': () => [[key(0), 0.5, [2, 2]], [key(0), 0.1, [3], 'float64']],
  'core.randint': () => [[key(0), [2, 2], 0, 10], [key(0), [3], -5, 5, 'float64']],
  'core.permutation': () => [[key(0), 5], [key(0), 3, 'float64']],
  'core.stack': () => [[[f64([1, 2]), f64([3, 4])]], [[f64([1, 2]), f64([3, 4])], 1]],
  'core.splitTensor': () => [[x23(), 2, 1], [x23(), [1, 2], 1]],
  'core.MnemoError': () => [['op', 'arg', 'detail']],
  'core.ShapeError': () => [['op', 'arg', 'detail']],
  'core.ArgumentError': () => [['op', 'arg', 'detail']],
  'core.DTypeError': () => [['op', 'arg', 'detail']],
  'core.withBackend': () => [['cpu', cb(() => 1)]],
  'core.setBackend': () => [['cpu']],
  'core.getBackend': () => [['cpu']],
  'core.gemm': () => [[{ a: new Float64Array([1, 2]), b: new Float64Array([3, 4]), out: new Float64Array(1), m: 1, k: 2, n: 1, transA: false, transB: false }]],
  'core.gemmReference': () => [[{ a: new Float64Array([1, 2]), b: new Float64Array([3, 4]), out: new Float64Array(1), m: 1, k: 2, n: 1, transA: false, transB: false }]],
  'core.wasmGemm': () => [[{ a: new Float32Array(6), b: new Float32Array(6), out: new Float32Array(4), m: 2, k: 3, n: 2, transA: false, transB: true }]],
  'core.setResidentLimit': () => [[0], [1e9]],
  ...backendTemplates('cpu'),
  ...backendTemplates('gpujs'),
  // the cell compiler's boundary: programs and kernels of the documented shape, then broken field by field
  'core.cpu.compileSequence': () => [[sequenceProgram()]],
  'core.formatProgram': () => [[sequenceProgram()]],
  'core.cpu.compileLoop': () => [[flatKernel(), 'float64'], [flatKernel(), 'float32']],
  'core.gpujs.compileLoop': () => [[flatKernel(), 'float64']],

  // autodiff
  'autodiff.bind': () => [['add', [f64([1]), f64([2])], {}], ['sum', [x23()], { axes: [0], keepDims: false }], ['matmul', [x23(), f64([[1], [2], [3]])], { transA: false, transB: false }]],
  'autodiff.sum': () => [[x23()], [x23(), { axes: 0 }], [x23(), { axes: [-1], keepDims: true }]],
  'autodiff.mean': () => [[x23()], [x23(), { axes: 1 }]],
  'autodiff.max': () => [[x23(), { axes: 0 }]],
  'autodiff.min': () => [[x23(), { axes: 1, keepDims: true }]],
  'autodiff.logsumexp': () => [[x23(), { axes: -1 }]],
  'autodiff.variance': () => [[x23(), { axes: 1 }]],
  'autodiff.norm': () => [[x23()], [x23(), { axes: 1 }]],
  'autodiff.argmax': () => [[x23()], [x23(), 0, true]],
  'autodiff.argmin': () => [[x23(), 1]],
  'autodiff.matmul': () => [[x23(), f64([[1], [2], [3]])], [x23(), x23(), { transB: true }]],
  'autodiff.reshape': () => [[x23(), [3, 2]], [x23(), [-1]]],
  'autodiff.transpose': () => [[x23()], [x23(), [1, 0]]],
  'autodiff.broadcastTo': () => [[f64([1, 2, 3]), [2, 3]]],
  'autodiff.unbroadcast': () => [[x23(), [3]]],
  'autodiff.squeeze': () => [[f64([[1, 2]])], [f64([[1, 2]]), 0]],
  'autodiff.expandDims': () => [[x23(), 0]],
  'autodiff.slice': () => [[x23(), [0, 1], [2, 2]], [x23(), [1, 0], [-1, -1]]],
  'autodiff.sliceAxis': () => [[x23(), 1, 0, 2]],
  'autodiff.index': () => [[x23(), 0, 1]],
  'autodiff.concat': () => [[[x23(), x23()], 0], [[x23(), x23()], 1]],
  'autodiff.stack': () => [[[x23(), x23()], 0]],
  'autodiff.split': () => [[x23(), 3, 1], [x23(), [1, 2], 1]],
  'autodiff.pad': () => [[x23(), [[1, 0], [0, 2]]], [x23(), [[0, 0], [1, 1]], 5]],
  'autodiff.gather': () => [[x23(), f64([1, 0]), 0], [x23(), f64([2]), 1]],
  'autodiff.scatterAdd': () => [[f64([1, 0]), x23(), 0, [2, 3]]],
  'autodiff.oneHot': () => [[f64([0, 2]), 3], [f64([1]), 2, 'float32']],
  'autodiff.cast': () => [[x23(), 'float32']],
  'autodiff.where': () => [[f64([1, 0, 1]), x23(), 0]],
  'autodiff.clip': () => [[x23(), 0, 1]],
  'autodiff.softmax': () => [[x23()], [x23(), 0]],
  'autodiff.logSoftmax': () => [[x23(), -1]],
  'autodiff.normalize': () => [[x23()], [x23(), [0, 1], 1e-3]],
  'autodiff.layerNorm': () => [[x23(), ones([3], 'float64'), zeros([3], 'float64')]],
  'autodiff.scalarLike': () => [[x23(), 2]],
  'autodiff.grad': () => [[cb((x: Tensor) => autodiff.sum(autodiff.square(x)))], [cb((x: Tensor, y: Tensor) => autodiff.sum(autodiff.mul(x, y))), { argnums: [0, 1] }]],
  'autodiff.valueAndGrad': () => [[cb((x: Tensor) => autodiff.sum(x))], [cb((x: Tensor) => [autodiff.sum(x), 1]), { hasAux: true }]],
  'autodiff.vjp': () => [[cb((x: Tensor) => autodiff.tanh(x)), x23()], [cb((x: Tensor, y: Tensor) => ({ s: autodiff.mul(x, y) })), x23(), x23()]],
  'autodiff.jvp': () => [[cb((x: Tensor) => autodiff.tanh(x)), [x23()], [x23()]]],
  'autodiff.hessianVectorProduct': () => [[cb((x: Tensor) => autodiff.sum(autodiff.mul(x, x))), x23(), x23()]],
  'autodiff.stopGradient': () => [[x23()], [{ a: [x23()] }]],
  'autodiff.customVjp': () => [[cb((x: Tensor) => autodiff.exp(x)), { fwd: cb((x: Tensor) => [autodiff.exp(x), x]), bwd: cb((_r: Tensor, g: Tensor) => [g]) }]],
  'autodiff.checkpoint': () => [[cb((x: Tensor) => autodiff.tanh(x))]],
  'autodiff.traceTape': () => [[cb((x: Tensor) => autodiff.tanh(x)), x23()]],
  'autodiff.tree.flatten': () => [[{ a: x23(), b: [x23()] }]],
  'autodiff.tree.unflatten': () => [[{ kind: 'array', children: [{ kind: 'leaf' }] }, [x23()]]],
  'autodiff.tree.leafCount': () => [[{ kind: 'array', children: [{ kind: 'leaf' }] }]],
  'autodiff.tree.sameStructure': () => [[{ kind: 'leaf' }, { kind: 'array', children: [] }]],
  'autodiff.tree.describe': () => [[{ kind: 'record', keys: ['a'], children: [{ kind: 'leaf' }] }]],
  'autodiff.tree.map': () => [[{ a: x23() }, cb((t: Tensor) => t)], [{ a: x23() }, cb((t: Tensor, u: Tensor) => autodiff.add(t, u)), { a: x23() }]],
  'autodiff.tree.zip': () => [[{ a: x23() }, { a: x23() }]],
  'autodiff.tree.leaves': () => [[[x23(), { b: x23() }]]],
  'autodiff.tree.reduce': () => [[[x23()], cb((n: number, t: Tensor) => n + t.size), 0]],
  'autodiff.compiledRecurrence': () => {
    const key = {};
    return [[cb(elman), ...elmanArgs(), { key, reference: cb(elmanLoop) }], [cb(elman), ...elmanArgs(), { key, reference: cb(elmanLoop), reverse: true, mask: ones([2, 3], 'float64') }]];
  },
  'autodiff.explainRecurrence': () => [[cb(elman), {}, ...elmanArgs()], [cb(elman), {}, ...elmanArgs(), true, true]],
  'autodiff.fuseElementwise': () => [[cb((a: Tensor, b: Tensor) => [autodiff.add(autodiff.mul(a, b), 1)])]],

  // nn
  'nn.dense.init': () => [[key(0), 3, 2], [key(0), 2, 2, { bias: false, dtype: 'float64' }]],
  'nn.dense.apply': () => [[{ w: f64([[1, 2], [3, 4], [5, 6]]), b: f64([1, 1]) }, x23()]],
  'nn.embedding.init': () => [[key(0), 5, 2], [key(0), 3, 4, { dtype: 'float64' }]],
  'nn.embedding.apply': () => [[{ table: x23() }, f64([1, 0])]],
  'nn.softmaxCrossEntropy': () => [[x23(), f64([0, 2])]],
  'nn.accuracy': () => [[x23(), f64([0, 2])]],
  'nn.mse': () => [[x23(), x23()]],
  'nn.binaryCrossEntropyWithLogits': () => [[x23(), f64([[0, 1, 1], [1, 0, 0]])]],
  'nn.sgd': () => [[{ lr: 0.1 }], [{ lr: 0.1, momentum: 0.9, nesterov: true }]],
  'nn.adam': () => [[{ lr: 0.1 }], [{ lr: 0.1, beta1: 0.8, beta2: 0.9, eps: 1e-6 }]],
  'nn.adamw': () => [[{ lr: 0.1, weightDecay: 0.01 }]],
  'nn.rmsprop': () => [[{ lr: 0.1, alpha: 0.9, centered: true }]],
  'nn.adagrad': () => [[{ lr: 0.1, lrDecay: 0.01 }]],
  'nn.globalNorm': () => [[params()]],
  'nn.clipByGlobalNorm': () => [[params(), 1]],
  'nn.clipByValue': () => [[params(), 0.5]],
  'nn.schedules.of': () => [[0.1], [cb((s: number) => 1 / (s + 1))]],
  'nn.schedules.constant': () => [[0.1]],
  'nn.schedules.stepDecay': () => [[{ initial: 0.1, every: 10, gamma: 0.5 }]],
  'nn.schedules.exponential': () => [[{ initial: 0.1, gamma: 0.9 }]],
  'nn.schedules.linear': () => [[{ from: 0.1, to: 0, steps: 10 }]],
  'nn.schedules.cosine': () => [[{ initial: 0.1, steps: 10 }], [{ initial: 0.1, steps: 10, final: 0.01 }]],
  'nn.schedules.warmup': () => [[5, 0.1]],
  'nn.schedules.join': () => [[[0.1, 0.01], [10]]],
  'nn.init.fans': () => [[[3, 2]], [[2, 3, 4]]],
  'nn.init.glorotUniform': () => [[key(0), [3, 2]], [key(0), [2, 2], 'float64']],
  'nn.init.uniform': () => [[-1, 1]],
  'nn.init.rnnUniform': () => [[4]],
  'nn.init.normal': () => [[1], [0.1, 1]],
  'nn.init.constant': () => [[2]],
  'nn.init.zeros': () => [[key(0), [2]]],
  'nn.init.ones': () => [[key(0), [2], 'float64']],
  'nn.init.orthogonal': () => [[key(0), [3, 3]], [key(0), [2, 4], 'float64', 2]],
  'nn.encodeParams': () => [[{ params: params() }], [{ params: params(), optimizer: nn.adam().init(params()), metadata: { a: 1 } }]],
  'nn.decodeParams': () => [[nn.encodeParams({ params: params() })], ['{}'], ['']],
  'nn.saveParams': () => [['fuzz-out/params.json', { params: params() }]],
  'nn.writeFileAtomic': () => [['fuzz-out/notes.txt', 'text'], ['fuzz-out/bytes.bin', new Uint8Array([1, 2, 3])]],
  'nn.loadParams': () => [['fuzz-out/params.json'], ['fuzz-out/params.json', { like: params() }]],
  'nn.loadParamsOrThrow': () => [['fuzz-out/params.json'], ['fuzz-out/params.json', { like: params() }]],
  'nn.ParamFileError': () => [['loadParams', 'x.json', 'detail']],
  'nn.lstmCell': () => [[{ inputSize: 2, hiddenSize: 3 }], [{ inputSize: 2, hiddenSize: 3, dtype: 'float64', variant: 'cifg', projSize: 2 }]],
  'nn.gruCell': () => [[{ inputSize: 2, hiddenSize: 3 }], [{ inputSize: 2, hiddenSize: 3, variant: 'reset-after' }]],
  'nn.rnnCell': () => [[{ inputSize: 2, hiddenSize: 3 }], [{ inputSize: 2, hiddenSize: 3, activation: 'relu' }]],
  'nn.mguCell': () => [[{ inputSize: 2, hiddenSize: 3 }]],
  'nn.mutCell': () => [[{ kind: 'mut1', inputSize: 2, hiddenSize: 3 }]],
  'nn.makeCell': () => [['lstm', { inputSize: 2, hiddenSize: 3 }], ['gru+reset-after', { inputSize: 2, hiddenSize: 3, dtype: 'float64' }]],
  'nn.parseCellSpec': () => [['lstm+cifg'], ['gru']],
  'nn.lstmStructure': () => [[['cifg']], [['peephole', 'nfg'], true]],
  'nn.isGatedCell': () => [[lstm()]],
  'nn.scan': () => [[lstm(), lstm().init(key(0)), zeros([2, 3, 2], 'float64')], [lstm(), lstm().init(key(0)), zeros([1, 2, 2], 'float64'), { lengths: [1], reverse: true }]],
  'nn.sequenceMask': () => [[[1, 2], 3], [f64([2]), 2, 'float64']],
  'nn.truncatedBptt': () => [[zeros([1, 4, 2], 'float64'), 2, zeros([1, 2], 'float64'), cb((xs: Tensor, s: Tensor) => [s, autodiff.sum(xs)])]],
  'nn.explainScan': () => [[lstm(), lstm().init(key(0)), zeros([2, 3, 2], 'float64')], [lstm(), lstm().init(key(0)), zeros([1, 2, 2], 'float64'), { lengths: [1], inputGradient: true }]],
  'nn.withDenseInput': () => [[lstm(), 3], [cells.rnnCell(), 2, {}]],
  'nn.cellCases': () => [[], [['gru', 'rnn']]],
  'nn.stackCells': () => [[[lstm(), nn.gruCell({ inputSize: 3, hiddenSize: 2, dtype: 'float64' })]]],
  'nn.rnn': () => [[{ cells: [lstm()] }], [{ cells: [lstm()], bidirectional: true }]],
  'nn.importTorchLstm': () => [[lstm(), { weight_ih: ones([12, 2], 'float64'), weight_hh: ones([12, 3], 'float64') }]],
  'nn.importTorchGru': () => [[cells.gruCell(), { weight_ih: ones([9, 2], 'float64'), weight_hh: ones([9, 3], 'float64') }]],
  'nn.importTorchRnn': () => [[cells.rnnCell(), { weight_ih: ones([3, 2], 'float64'), weight_hh: ones([3, 3], 'float64') }]],
  'nn.torchLayerWeights': () => [[{ weight_ih_l0: zeros([4, 1]), weight_hh_l0: zeros([4, 1]) }, 0]],
  'nn.importTorchModule': () => [[nn.rnn({ cells: [cells.rnnCell()] }), { weight_ih_l0: zeros([3, 2], 'float64'), weight_hh_l0: zeros([3, 3], 'float64') }]],
  'nn.importTorchState': () => [[nn.rnn({ cells: [lstm()] }), { h0: zeros([1, 2, 3], 'float64'), c0: zeros([1, 2, 3], 'float64') }]],
  'nn.exportTorchState': () => [[nn.rnn({ cells: [cells.rnnCell()] }), [{ h: zeros([2, 3], 'float64') }]]],

  // proofs
  'proofs.gradcheck': () => [[cb((x: Tensor) => autodiff.tanh(x)), [f64([0.5, -0.2])]], [cb((x: Tensor) => autodiff.sum(autodiff.square(x))), [f64([1, 2])], { mode: 'dot', directions: 1 }]],
  'proofs.gradgradcheck': () => [[cb((x: Tensor) => autodiff.sum(autodiff.tanh(x))), [f64([0.5])]]],
  'proofs.bpttReport': () => [[cells.rnnCell(), { steps: 2, batch: 1, mode: 'dot', directions: 1 }]],
  'proofs.formatBpttReport': () => [[proofs.bpttReport(cells.rnnCell(), { steps: 1, batch: 1, mode: 'dot', directions: 1 })]],
  'proofs.cellProperty': () => [[cells.rnnCell(), { maxSteps: 1 }]],
  'proofs.proveCell': () => [[cells.rnnCell(), { numRuns: 1, maxSteps: 1, maxBatch: 1 }]],
  'proofs.arbShape': () => [[], [{ maxRank: 2, maxDim: 3 }]],
  'proofs.arbBroadcastShapes': () => [[{ maxRank: 2 }]],
  'proofs.arbValues': () => [[3], [2, { min: -1, max: 1 }]],
  'proofs.arbTensor': () => [[{ shape: [2, 2] }], [{ shape: [3], dtype: 'float32', min: 0, max: 1, distinct: true }]],
  'proofs.arbBroadcastTensors': () => [[{ maxRank: 2 }]],
  'proofs.arbCellConfig': () => [[{ maxSteps: 2 }]],
  'proofs.isBiasPath': () => [['b'], ['layers[0].wx']],
};

function backendTemplates(name: 'cpu' | 'gpujs'): Record<string, () => unknown[][]> {
  const p = `core.${name}`;
  return {
    [`${p}.unary`]: () => [['tanh', x23()], ['neg', scalar(1)]],
    [`${p}.binary`]: () => [['add', x23(), f64([1, 2, 3])], ['pow', x23(), scalar(2, 'float64')]],
    [`${p}.compare`]: () => [['less', x23(), f64([1, 2, 3])]],
    [`${p}.where`]: () => [[f64([1, 0, 1]), x23(), x23()]],
    [`${p}.reduce`]: () => [['sum', x23(), [0], false], ['max', x23(), undefined, true], ['logsumexp', x23(), 1, false]],
    [`${p}.argReduce`]: () => [['argmax', x23(), 1, false]],
    [`${p}.matmul`]: () => [[x23(), x23(), false, true], [tensor([[1, 2]]), tensor([[3], [4]]), false, false]],
    [`${p}.gemm`]: () => [[{ a: new Float32Array([1, 2]), b: new Float32Array([3, 4]), out: new Float32Array(1), m: 1, k: 2, n: 1, transA: false, transB: false }]],
    [`${p}.reshape`]: () => [[x23(), [3, 2]], [x23(), [-1]]],
    [`${p}.transpose`]: () => [[x23(), [1, 0]]],
    [`${p}.broadcastTo`]: () => [[f64([1, 2, 3]), [2, 3]]],
    [`${p}.slice`]: () => [[x23(), [0, 1], [2, 2]]],
    [`${p}.concat`]: () => [[[x23(), x23()], 1]],
    [`${p}.pad`]: () => [[x23(), [[1, 0], [0, 1]], 0]],
    [`${p}.gather`]: () => [[x23(), f64([1, 0]), 0]],
    [`${p}.scatterAdd`]: () => [[f64([1, 0]), x23(), 0, [2, 3]]],
    [`${p}.oneHot`]: () => [[f64([0, 2]), 3, 'float64']],
    [`${p}.cast`]: () => [[x23(), 'float32']],
  };
}
