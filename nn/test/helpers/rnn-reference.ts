/**
 * Independent plain-number implementations of the papers' equations, one
 * batch row at a time, with loops instead of ops, for checking the cells.
 * They read parameters in the documented layouts (column blocks of `wx`,
 * `wh`, `b`) and share no code with nn/src.
 */
import type { Tensor } from '@mnemo/core';

export type Mat = number[][];
export type Vec = number[];

export const mat = (t: Tensor): Mat => {
  const [r, c] = t.shape as [number, number];
  const d = t.toArray();
  return Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => d[i * c + j]!));
};
export const vec = (t: Tensor): Vec => Array.from(t.toArray());

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
/** row vector x [n] times matrix W [n, m], columns [from, from + len). */
const vm = (x: Vec, w: Mat, from = 0, len = w[0]!.length - from): Vec =>
  Array.from({ length: len }, (_, j) => x.reduce((s, xi, i) => s + xi * w[i]![from + j]!, 0));
const addv = (...vs: Vec[]): Vec => vs[0]!.map((_, j) => vs.reduce((s, v) => s + v[j]!, 0));
const mulv = (a: Vec, b: Vec): Vec => a.map((v, j) => v * b[j]!);
const seg = (v: Vec, from: number, len: number): Vec => v.slice(from, from + len);
const ln = (v: Vec, g: Vec, b: Vec, eps: number): Vec => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const va = v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length;
  return v.map((x, j) => ((x - m) / Math.sqrt(va + eps)) * g[j]! + b[j]!);
};

export interface LstmFlags {
  peepholes: boolean;
  inputGate: boolean;
  forgetGate: 'learned' | 'none' | 'coupled';
  outputGate: boolean;
  inputActivation: boolean;
  outputActivation: boolean;
  fullGateRecurrence: boolean;
}

/**
 * Greff et al.'s equations (their notation: z block input, y output), with
 * the variants as flags, the projection of Sak et al. and the layer norm of
 * Ba et al.; one batch row.
 */
export function lstmRef(
  f: LstmFlags,
  p: Record<string, Tensor>,
  x: Vec,
  st: { h: Vec; c: Vec; a?: Vec },
  H: number,
  opts: { layerNorm?: boolean; eps?: number } = {},
): { h: Vec; c: Vec; a?: Vec; gates: Record<string, Vec> } {
  const blocks = [...(f.inputGate ? ['i'] : []), ...(f.forgetGate === 'learned' ? ['f'] : []), 'g', ...(f.outputGate ? ['o'] : [])];
  const sigs = blocks.filter((b) => b !== 'g');
  const wx = mat(p['wx']!);
  const wh = mat(p['wh']!);
  const b = vec(p['b']!);
  const eps = opts.eps ?? 1e-5;
  let xw = vm(x, wx);
  let hw = vm(st.h, wh);
  if (opts.layerNorm) {
    xw = ln(xw, vec(p['lnxGain']!), vec(p['lnxBias']!), eps);
    hw = ln(hw, vec(p['lnhGain']!), vec(p['lnhBias']!), eps);
  }
  const pre: Record<string, Vec> = {};
  blocks.forEach((name, k) => (pre[name] = addv(seg(xw, k * H, H), seg(hw, k * H, H), seg(b, k * H, H))));
  if (f.fullGateRecurrence) {
    const r = vm(st.a!, mat(p['wg']!));
    sigs.forEach((name, k) => (pre[name] = addv(pre[name]!, seg(r, k * H, H))));
  }
  const peep = (name: string, c: Vec): Vec => (f.peepholes ? addv(pre[name]!, mulv(vec(p[`p${name}`]!), c)) : pre[name]!);
  const ones = new Array<number>(H).fill(1);
  const i = f.inputGate ? peep('i', st.c).map(sig) : ones;
  const fg = f.forgetGate === 'learned' ? peep('f', st.c).map(sig) : f.forgetGate === 'coupled' ? i.map((v) => 1 - v) : ones;
  const z = f.inputActivation ? pre['g']!.map(Math.tanh) : pre['g']!;
  const c = addv(mulv(fg, st.c), mulv(i, z));
  const o = f.outputGate ? peep('o', c).map(sig) : ones;
  const cn = opts.layerNorm ? ln(c, vec(p['lncGain']!), vec(p['lncBias']!), eps) : c;
  const yRaw = mulv(o, f.outputActivation ? cn.map(Math.tanh) : cn);
  const h = p['wp'] === undefined ? yRaw : vm(yRaw, mat(p['wp']));
  const acts: Record<string, Vec> = { i, f: fg, o };
  const a = f.fullGateRecurrence ? sigs.flatMap((s) => acts[s]!) : undefined;
  return { h, c, ...(a === undefined ? {} : { a }), gates: { i, f: fg, g: z, o } };
}

/** Cho et al. (reset-before) or cuDNN (reset-after) GRU; one row. */
export function gruRef(after: boolean, p: Record<string, Tensor>, x: Vec, h: Vec, H: number): { h: Vec; gates: Record<string, Vec> } {
  const xw = addv(vm(x, mat(p['wx']!)), vec(p['b']!));
  const wh = mat(p['wh']!);
  const r = addv(seg(xw, 0, H), vm(h, wh, 0, H)).map(sig);
  const z = addv(seg(xw, H, H), vm(h, wh, H, H)).map(sig);
  const n = after
    ? addv(seg(xw, 2 * H, H), mulv(r, addv(vm(h, wh, 2 * H, H), vec(p['bhn']!)))).map(Math.tanh)
    : addv(seg(xw, 2 * H, H), vm(mulv(r, h), mat(p['whn']!))).map(Math.tanh);
  return { h: n.map((v, j) => (1 - z[j]!) * v + z[j]! * h[j]!), gates: { r, z, n } };
}

/** Zhou et al.'s MGU; one row. */
export function mguRef(p: Record<string, Tensor>, x: Vec, h: Vec, H: number): { h: Vec; gates: Record<string, Vec> } {
  const xw = addv(vm(x, mat(p['wx']!)), vec(p['b']!));
  const f = addv(seg(xw, 0, H), vm(h, mat(p['wh']!))).map(sig);
  const n = addv(seg(xw, H, H), vm(mulv(f, h), mat(p['whn']!))).map(Math.tanh);
  return { h: h.map((v, j) => (1 - f[j]!) * v + f[j]! * n[j]!), gates: { f, n } };
}

/** Jozefowicz et al.'s MUT1-3 (xh: the input as added to hidden-sized sums); one row. */
export function mutRef(kind: 'mut1' | 'mut2' | 'mut3', p: Record<string, Tensor>, x: Vec, h: Vec, H: number): { h: Vec; gates: Record<string, Vec> } {
  const wx = mat(p['wx']!);
  const b = vec(p['b']!);
  const bz = seg(b, 0, H);
  const br = seg(b, H, H);
  const bh = seg(b, 2 * H, H);
  let z: Vec, r: Vec, n: Vec;
  if (kind === 'mut1') {
    const xh = p['wp'] === undefined ? x : vm(x, mat(p['wp']));
    z = addv(vm(x, wx, 0, H), bz).map(sig);
    r = addv(vm(x, wx, H, H), vm(h, mat(p['whr']!)), br).map(sig);
    n = addv(vm(mulv(r, h), mat(p['whh']!)), xh.map(Math.tanh), bh).map(Math.tanh);
  } else if (kind === 'mut2') {
    const projected = wx[0]!.length === 3 * H;
    const xh = projected ? vm(x, wx, H, H) : x;
    z = addv(vm(x, wx, 0, H), vm(h, mat(p['whz']!)), bz).map(sig);
    r = addv(xh, vm(h, mat(p['whr']!)), br).map(sig);
    n = addv(vm(mulv(r, h), mat(p['whh']!)), vm(x, wx, projected ? 2 * H : H, H), bh).map(Math.tanh);
  } else {
    z = addv(vm(x, wx, 0, H), vm(h.map(Math.tanh), mat(p['whz']!)), bz).map(sig);
    r = addv(vm(x, wx, H, H), vm(h, mat(p['whr']!)), br).map(sig);
    n = addv(vm(mulv(r, h), mat(p['whh']!)), vm(x, wx, 2 * H, H), bh).map(Math.tanh);
  }
  return { h: n.map((v, j) => v * z[j]! + h[j]! * (1 - z[j]!)), gates: { z, r, n } };
}

/** Elman's simple RNN; one row. */
export function rnnRef(act: 'tanh' | 'relu', p: Record<string, Tensor>, x: Vec, h: Vec): { h: Vec } {
  const pre = addv(vm(x, mat(p['wx']!)), vm(h, mat(p['wh']!)), vec(p['b']!));
  return { h: pre.map(act === 'tanh' ? Math.tanh : (v) => Math.max(v, 0)) };
}
