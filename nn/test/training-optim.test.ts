import { describe, expect, it } from 'vitest';
import { tensor, zeros, type Tensor } from '@mnemo/core';
import { adagrad, adam, adamw, rmsprop, schedules, sgd, type Optimizer, type OptState } from '@mnemo/nn';

type P = { w: Tensor; b: Tensor };
type Nums = { w: number[]; b: number[] };
type Step = { params: Nums; slots: Record<string, Nums> };

const P0: P = { w: tensor([0.5, -1.5], 'float64'), b: tensor([2], 'float64') };
const GRADS: P[] = [
  { w: tensor([0.1, -0.2], 'float64'), b: tensor([0.3], 'float64') },
  { w: tensor([-0.4, 0.25], 'float64'), b: tensor([0.05], 'float64') },
  { w: tensor([0.2, 0.2], 'float64'), b: tensor([-0.1], 'float64') },
];

// Expected parameters and slots after each of three updates, in float64, from an
// independent reference (Python floats, written from torch.optim's single-tensor
// update code, operation by operation). Hand checks of the first steps:
//   sgd: w0 = 0.5 - 0.1 * 0.1 = 0.49;
//   sgd momentum: b = g + 0.01 p = 0.1 + 0.005 = 0.105 (first step: no dampening);
//   adam: the first step moves by lr * g / (|g| + eps') ~ 0.01;
//   adagrad: sum = 0.1 + (0.1 + 0.01 * 0.5)^2 = 0.111025.
const EXPECTED: Record<string, Step[]> = {
  "sgd": [{"params": {"w": [0.49, -1.48], "b": [1.97]}, "slots": {}}, {"params": {"w": [0.53, -1.505], "b": [1.965]}, "slots": {}}, {"params": {"w": [0.51, -1.525], "b": [1.975]}, "slots": {}}],
  "sgd momentum dampening wd": [{"params": {"w": [0.4895, -1.4785], "b": [1.968]}, "slots": {"momentum": {"w": [0.10500000000000001, -0.21500000000000002], "b": [0.32]}}}, {"params": {"w": [0.51560945, -1.4803193499999998], "b": [1.9329288]}, "slots": {"momentum": {"w": [-0.2610945, 0.018193499999999974], "b": [0.350712]}}}, {"params": {"w": [0.520643906495, -1.4986244775849997], "b": [1.90862508408]}, "slots": {"momentum": {"w": [-0.050344564949999976, 0.18305127584999997], "b": [0.24303715920000005]}}}],
  "sgd nesterov wd": [{"params": {"w": [0.48005, -1.45915], "b": [1.9392]}, "slots": {"momentum": {"w": [0.10500000000000001, -0.21500000000000002], "b": [0.32]}}}, {"params": {"w": [0.546632905, -1.486462615], "b": [1.90009552]}, "slots": {"momentum": {"w": [-0.3006995, 0.04190849999999996], "b": [0.35739200000000004]}}}, {"params": {"w": [0.5319509619805, -1.5250329245315], "b": [1.886536586512]}, "slots": {"momentum": {"w": [-0.06516322094999999, 0.22285302384999997], "b": [0.24065375520000007]}}}],
  "adam": [{"params": {"w": [0.4900000009999999, -1.4900000005], "b": [1.9900000003333334]}, "slots": {"m": {"w": [0.009999999999999998, -0.019999999999999997], "b": [0.029999999999999992]}, "v": {"w": [1.0000000000000011e-05, 4.0000000000000044e-05], "b": [9.000000000000007e-05]}}}, {"params": {"w": [0.4955950357485128, -1.4916273230448174], "b": [1.9821667272150607]}, "slots": {"m": {"w": [-0.030999999999999996, 0.006999999999999999], "b": [0.031999999999999994]}, "v": {"w": [0.00016999000000000018, 0.0001024600000000001], "b": [9.241000000000009e-05]}}}, {"params": {"w": [0.49669677234642673, -1.496080189231454], "b": [1.9784121864182729]}, "slots": {"m": {"w": [-0.0079, 0.026299999999999997], "b": [0.018799999999999997]}, "v": {"w": [0.00020982001000000022, 0.00014235754000000014], "b": [0.0001023175900000001]}}}],
  "adam l2": [{"params": {"w": [0.4900000006666666, -1.4900000002857143], "b": [1.9900000002]}, "slots": {"m": {"w": [0.015, -0.034999999999999996], "b": [0.04999999999999999]}, "v": {"w": [2.2500000000000025e-05, 0.00012250000000000013], "b": [0.0002500000000000002]}}}, {"params": {"w": [0.49421122910693693, -1.4856264915118258], "b": [1.9806840741327396]}, "slots": {"m": {"w": [-0.021599999993333327, -0.021400000002857144], "b": [0.06990000000199999]}, "v": {"w": [0.00014567849995320017, 0.0001325784999942287], "b": [0.0003117510000099603]}}}, {"params": {"w": [0.49344007773318244, -1.483173028228797], "b": [1.9724858780904797]}, "slots": {"m": {"w": [0.005502112297069369, -0.014116264917689688], "b": [0.07271684074312738]}, "v": {"w": [0.0002077437180072784, 0.0001350917225565788], "b": [0.00032105666154252623]}}}],
  "adamw": [{"params": {"w": [0.489500099999, -1.48850004999975], "b": [1.9880000333332222]}, "slots": {"m": {"w": [0.019999999999999997, -0.039999999999999994], "b": [0.059999999999999984]}, "v": {"w": [0.0001000000000000001, 0.0004000000000000004], "b": [0.0009000000000000007]}}}, {"params": {"w": [0.495094832875883, -1.4892189535887412], "b": [1.978502684626353]}, "slots": {"m": {"w": [-0.064, 0.017999999999999988], "b": [0.05799999999999999]}, "v": {"w": [0.0016990000000000017, 0.001021000000000001], "b": [0.0009160000000000008]}}}, {"params": {"w": [0.4954665815304172, -1.49284456735351], "b": [1.9735859433981393]}, "slots": {"m": {"w": [-0.011200000000000009, 0.05439999999999998], "b": [0.026399999999999993]}, "v": {"w": [0.002082010000000002, 0.0014107900000000014], "b": [0.0010068400000000008]}}}],
  "rmsprop": [{"params": {"w": [0.40000009999990005, -1.400000049999975], "b": [1.9000000333333222]}, "slots": {"squareAvg": {"w": [0.0001000000000000001, 0.0004000000000000004], "b": [0.0009000000000000007]}}}, {"params": {"w": [0.49704287266865177, -1.4782397185047351], "b": [1.8834795737804584]}, "slots": {"squareAvg": {"w": [0.0016990000000000017, 0.001021000000000001], "b": [0.0009160000000000008]}}}, {"params": {"w": [0.4532111545062486, -1.5314871537075896], "b": [1.9149947422194693]}, "slots": {"squareAvg": {"w": [0.002082010000000002, 0.0014107900000000014], "b": [0.0010068400000000008]}}}],
  "rmsprop centered momentum wd": [{"params": {"w": [0.39949628581410107, -1.3994962473340995], "b": [1.899496238676095]}, "slots": {"squareAvg": {"w": [0.00022500000000000026, 0.0012250000000000013], "b": [0.0025000000000000022]}, "gradAvg": {"w": [0.0015000000000000015, -0.0035000000000000035], "b": [0.0050000000000000044]}, "momentumBuffer": {"w": [10.050371418589894, -10.05037526659006], "b": [10.050376132390502]}}}, {"params": {"w": [0.40155723334021726, -1.3392387871002884], "b": [1.765210455033241]}, "slots": {"squareAvg": {"w": [0.001519112699586647, 0.0013338608509631741], "b": [0.0030507582199420756]}, "gradAvg": {"w": [-0.002115503714185901, -0.002364496247334102], "b": [0.007349496238676102]}, "momentumBuffer": {"w": [-0.20609475261162125, -6.0257460233811155], "b": [13.428578364285404]}}}, {"params": {"w": [0.35076174764860324, -1.3029155195884168], "b": [1.630415303060558]}, "slots": {"squareAvg": {"w": [0.0020806692870916532, 0.0013641827805008122], "b": [0.0030788053417918726]}, "gradAvg": {"w": [0.00030720855629617775, -0.0016800900719610489], "b": [0.008041211731322582]}, "momentumBuffer": {"w": [5.0795485691614, -3.63232675118717], "b": [13.479515197268318]}}}],
  "adagrad": [{"params": {"w": [0.4684877866599893, -1.4437752355342826], "b": [1.9288713240999082]}, "slots": {"sum": {"w": [0.11102500000000001, 0.14622500000000002], "b": [0.20240000000000002]}}}, {"params": {"w": [0.5194623441720921, -1.4787412226570604], "b": [1.9187234425055815]}, "slots": {"sum": {"w": [0.2672990457873451, 0.2017145725154028], "b": [0.20720092578259341]}}}, {"params": {"w": [0.5010175801181157, -1.497803188536699], "b": [1.927463525887762]}, "slots": {"sum": {"w": [0.30940387927673474, 0.2360182751851331], "b": [0.2137316288624643]}}}]
};

const OPTIMIZERS: Record<string, Optimizer> = {
  sgd: sgd({ lr: 0.1 }),
  'sgd momentum dampening wd': sgd({ lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
  'sgd nesterov wd': sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true }),
  adam: adam({ lr: 0.01 }),
  'adam l2': adam({ lr: 0.01, weightDecay: 0.1 }),
  adamw: adamw({ lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 }),
  rmsprop: rmsprop({ lr: 0.01 }),
  'rmsprop centered momentum wd': rmsprop({ lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.1 }),
  adagrad: adagrad({ lr: 0.1, lrDecay: 0.5, weightDecay: 0.01, initialAccumulatorValue: 0.1 }),
};

const nums = (p: P): Nums => ({ w: Array.from(p.w.toArray()), b: Array.from(p.b.toArray()) });

describe('optimizers match hand-computed float64 steps exactly', () => {
  for (const [name, opt] of Object.entries(OPTIMIZERS)) {
    it(name, () => {
      let params = P0;
      let state: OptState<P> = opt.init(params);
      EXPECTED[name]!.forEach((want, k) => {
        [params, state] = opt.update(GRADS[k]!, state, params);
        expect(state.step).toBe(k + 1);
        expect(nums(params)).toEqual(want.params);
        expect(Object.keys(state.slots).sort()).toEqual(Object.keys(want.slots).sort());
        for (const [slot, v] of Object.entries(want.slots)) expect(nums(state.slots[slot]!)).toEqual(v);
      });
    });
  }
});

describe('optimizer behaviour', () => {
  it('init: step 0, zero slots (Adagrad: the initial accumulator)', () => {
    const s = adam().init(P0);
    expect(s.step).toBe(0);
    expect(nums(s.slots['m'] as P)).toEqual({ w: [0, 0], b: [0] });
    expect(nums(adagrad({ initialAccumulatorValue: 0.25 }).init(P0).slots['sum'] as P)).toEqual({ w: [0.25, 0.25], b: [0.25] });
    expect(Object.keys(sgd().init(P0).slots)).toEqual([]);
    expect(Object.keys(rmsprop({ momentum: 0.5, centered: true }).init(P0).slots).sort()).toEqual(['gradAvg', 'momentumBuffer', 'squareAvg']);
  });

  it('inputs are unchanged by update (params, grads, state)', () => {
    for (const opt of Object.values(OPTIMIZERS)) {
      const s0 = opt.init(P0);
      const [p1, s1] = opt.update(GRADS[0]!, s0, P0);
      const before = [nums(P0), nums(GRADS[1]!), JSON.stringify(Object.values(s1.slots).map((x) => nums(x as P)))];
      const [p2, s2] = opt.update(GRADS[1]!, s1, p1);
      expect(nums(P0)).toEqual({ w: [0.5, -1.5], b: [2] });
      expect([nums(P0), nums(GRADS[1]!), JSON.stringify(Object.values(s1.slots).map((x) => nums(x as P)))]).toEqual(before);
      expect(s1.step).toBe(1);
      expect(p2).not.toBe(p1);
      expect(s2).not.toBe(s1);
      for (const k of Object.keys(s2.slots)) expect(s2.slots[k]!.w).not.toBe(s1.slots[k]!.w);
    }
  });

  it('a learning-rate schedule is read at the step count before the update', () => {
    const lr = schedules.stepDecay({ initial: 1, every: 1, gamma: 0.5 }); // 1, 0.5, 0.25
    const opt = sgd({ lr });
    const g = { w: tensor([1], 'float64') };
    let p = { w: tensor([0], 'float64') };
    let s = opt.init(p);
    const seen: number[] = [];
    for (let k = 0; k < 3; k++) {
      [p, s] = opt.update(g, s, p);
      seen.push(p.w.item());
    }
    expect(seen).toEqual([-1, -1.5, -1.75]);
    // AdamW's decoupled decay uses the scheduled rate too: p (1 - lr wd) with g = 0
    const aw = adamw({ lr: schedules.constant(0.5), weightDecay: 0.5 });
    const [q] = aw.update({ w: tensor([0], 'float64') }, aw.init({ w: tensor([2], 'float64') }), { w: tensor([2], 'float64') });
    expect(q.w.item()).toBe(1.5);
  });

  it('float32 parameters stay float32 and agree with the float64 run to float32 rounding', () => {
    const cast = (p: P): P => ({ w: tensor(p.w.toArray(), 'float32'), b: tensor(p.b.toArray(), 'float32') });
    for (const [name, opt] of Object.entries(OPTIMIZERS)) {
      let p = cast(P0);
      let s = opt.init(p);
      for (const g of GRADS) [p, s] = opt.update(cast(g), s, p);
      expect(p.w.dtype).toBe('float32');
      const want = EXPECTED[name]![2]!.params;
      nums(p).w.forEach((v, i) => expect(Math.abs(v - want.w[i]!)).toBeLessThan(1e-5));
    }
  });

  it('a mismatched gradient or state is rejected naming the leaf', () => {
    const opt = adam();
    const s = opt.init(P0);
    expect(() => opt.update({ w: zeros([3], 'float64'), b: zeros([1], 'float64') }, s, P0)).toThrow(/adam\.update: argument 'grads\.w': shape \[3\] differs from params\.w \[2\]/);
    expect(() => opt.update({ w: zeros([2], 'float32'), b: zeros([1], 'float64') }, s, P0)).toThrow(/grads\.w.*float32 differs from params\.w float64/);
    expect(() => opt.update({ w: zeros([2], 'float64') } as unknown as P, s, P0)).toThrow(/structure \{w: \*\} differs from params's \{b: \*, w: \*\}/);
    expect(() => opt.update(GRADS[0]!, sgd({ momentum: 0.9 }).init(P0), P0)).toThrow(/keeps slots \{m, v\}, the state has \{momentum\}/);
    expect(() => sgd({ nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0/);
    expect(() => adam({ beta1: 1 })).toThrow(/beta1/);
    expect(() => sgd({ lr: -1 })).toThrow(/lr/);
  });

  it('updates 100k parameters: a constant gradient moves every weight by lr per step', () => {
    // Speed is measured by `npm run bench`, never asserted in a test.
    const big = { w: zeros([250, 400]), b: zeros([400]) };
    const g = { w: tensor(new Float32Array(100000).fill(0.01), 'float32', [250, 400]), b: tensor(new Float32Array(400).fill(0.01)) };
    const opt = adam({ lr: 1e-3 });
    let p = big;
    let s = opt.init(p);
    for (let i = 0; i < 25; i++) [p, s] = opt.update(g, s, p);
    expect(p.w.toArray()[0]).toBeCloseTo(-25e-3, 6);
  });
});

describe('Adam on large parameters: the fused loop', () => {
  /** Adam's update as nn writes it, one element at a time in float64 (PyTorch's formula). */
  function reference(x0: number, g: number, m0: number, v0: number, t: number, o: { lr: number; beta1: number; beta2: number; eps: number; wd: number; decoupled: boolean }) {
    const lerp = (s: number, e: number, w: number): number => (Math.abs(w) < 0.5 ? s + w * (e - s) : e - (e - s) * (1 - w));
    let x = x0;
    let d = g;
    if (o.wd !== 0) {
      if (o.decoupled) x = x0 * (1 - o.lr * o.wd);
      else d = d + o.wd * x;
    }
    const m = lerp(m0, d, 1 - o.beta1);
    const v = v0 * o.beta2 + (1 - o.beta2) * d * d;
    const denom = Math.sqrt(v) / Math.sqrt(1 - o.beta2 ** t) + o.eps;
    return { x: x + (-(o.lr / (1 - o.beta1 ** t)) * m) / denom, m, v };
  }
  const cases = [
    { name: 'adam', make: adam, beta1: 0.9, wd: 0, decoupled: false },
    { name: 'adam, beta1 0.3 (the other lerp branch), L2 decay', make: adam, beta1: 0.3, wd: 0.01, decoupled: false },
    { name: 'adamw', make: adamw, beta1: 0.9, wd: 0.05, decoupled: true },
  ];
  it.each(cases)('$name: float64 bit for bit over three steps of a 1000-element parameter', ({ make, beta1, wd, decoupled }) => {
    const n = 1000;
    const o = { lr: 1e-2, beta1, beta2: 0.999, eps: 1e-8, wd, decoupled };
    const opt: Optimizer = make({ lr: o.lr, beta1, beta2: o.beta2, eps: o.eps, weightDecay: wd });
    const xs = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 2);
    let p = { w: tensor(xs, 'float64', [n]) };
    let s: OptState<typeof p> = opt.init(p);
    let want = { x: Array.from(xs), m: new Array<number>(n).fill(0), v: new Array<number>(n).fill(0) };
    for (let t = 1; t <= 3; t++) {
      const g = Float64Array.from({ length: n }, (_, i) => Math.cos(i * t) * 10 ** ((i % 7) - 3));
      [p, s] = opt.update({ w: tensor(g, 'float64', [n]) }, s, p);
      const next = want.x.map((x, i) => reference(x, g[i]!, want.m[i]!, want.v[i]!, t, o));
      want = { x: next.map((r) => r.x), m: next.map((r) => r.m), v: next.map((r) => r.v) };
      expect(Array.from(p.w.toArray())).toEqual(want.x);
      expect(Array.from(s.slots['m']!.w.toArray())).toEqual(want.m);
      expect(Array.from(s.slots['v']!.w.toArray())).toEqual(want.v);
    }
  });

  it('float32: each element within float32 rounding of the float64 formula', () => {
    const n = 1000;
    const opt = adam({ lr: 1e-2 });
    const xs = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const g = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const [p] = opt.update({ w: tensor(g, 'float32', [n]) }, opt.init({ w: tensor(xs, 'float32', [n]) }), { w: tensor(xs, 'float32', [n]) });
    const o = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0, decoupled: false };
    const got = p.w.toArray();
    xs.forEach((x, i) => expect(Math.abs(got[i]! - reference(x, g[i]!, 0, 0, 1, o).x)).toBeLessThan(4e-7 * Math.max(1, Math.abs(x))));
  });
});
