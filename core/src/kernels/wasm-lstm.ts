/**
 * The elementwise part of the fused LSTM in WebAssembly SIMD (f32x4): one
 * forward time step (gate activations, cell and hidden state) and one
 * backward time step (gate pre-activation gradients and the new cell
 * gradient), on float32 arrays that live in this module's own memory.
 *
 * exp is computed four lanes at a time: x = n ln2 + r with |r| <= ln2/2
 * (ln2 split in two so that n · ln2_hi is exact), e^r from its degree-7
 * Taylor polynomial (truncation below 6e-9 relative), and 2^n applied as two
 * exact power-of-two factors 2^⌊n/2⌋ · 2^(n-⌊n/2⌋), so that results that
 * overflow become Infinity and results in the subnormal range round once,
 * correctly. The input is clamped to [-104, 89] first (beyond both, e^x is 0
 * or Infinity in float32). σ(x) = 1 / (1 + e^-x) never overflows to NaN;
 * tanh(x) = ±(1 - e) / (1 + e) with e = e^(-2|x|), and its odd Taylor
 * polynomial to x^15 for |x| < 0.5, where that difference would cancel.
 *
 * @module
 */
import { Fn, I32, Op, Simd, V128, encodeModule, wasmApi, type WasmMemory } from './wasm-emit.js';

const PAGE = 65536;
/** Memory cap: 1 GiB, in 64 KiB pages. */
const MAX_PAGES = 16384;

// ---------------------------------------------------------------------------
// Vector math: each emitter reads its input from a local and leaves the
// result on the stack, using the scratch locals of `M`.
// ---------------------------------------------------------------------------

interface MathLocals {
  readonly a: number;
  readonly n: number;
  readonly ni: number;
  readonly t: number;
  readonly u: number;
}

function mathLocals(f: Fn): MathLocals {
  return { a: f.local(V128), n: f.local(V128), ni: f.local(V128), t: f.local(V128), u: f.local(V128) };
}

const LOG2E = Math.LOG2E;
/** ln2 = LN2_HI + LN2_LO, with LN2_HI exact in 9 bits so that n · LN2_HI is exact for |n| <= 2^15. */
const LN2_HI = 0.693359375;
const LN2_LO = Math.LN2 - LN2_HI;
const INV_FACTORIAL = [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040];
/** Odd Taylor coefficients of tanh: x^3 .. x^15. */
const TANH_TAYLOR = [-1 / 3, 2 / 15, -17 / 315, 62 / 2835, -1382 / 155925, 21844 / 6081075, -929569 / 638512875];
const TANH_SMALL = 0.5;

/** e^(local x), left on the stack; clobbers M.a, M.n, M.ni. */
function emitExp(f: Fn, x: number, M: MathLocals): void {
  // a = clamp(x, -104, 89) (pmin/pmax keep a NaN x as it is)
  f.get(x).f32x4(89).simd(Simd.f32x4Pmin).f32x4(-104).simd(Simd.f32x4Pmax).set(M.a);
  f.get(M.a).f32x4(LOG2E).simd(Simd.f32x4Mul).simd(Simd.f32x4Nearest).set(M.n);
  // r = a - n ln2_hi - n ln2_lo
  f.get(M.a).get(M.n).f32x4(LN2_HI).simd(Simd.f32x4Mul).simd(Simd.f32x4Sub);
  f.get(M.n).f32x4(LN2_LO).simd(Simd.f32x4Mul).simd(Simd.f32x4Sub).set(M.a);
  // e^r by Horner
  f.f32x4(INV_FACTORIAL[7]!);
  for (let k = 6; k >= 0; k--) f.get(M.a).simd(Simd.f32x4Mul).f32x4(INV_FACTORIAL[k]!).simd(Simd.f32x4Add);
  // · 2^n1 · 2^(n - n1), n1 = n >> 1; both exponents in [-75, 64]
  f.get(M.n).simd(Simd.i32x4TruncSatF32x4S).set(M.ni);
  f.get(M.ni).i32(1).simd(Simd.i32x4ShrS).set(M.n);
  f.get(M.n).i32x4(127).simd(Simd.i32x4Add).i32(23).simd(Simd.i32x4Shl).simd(Simd.f32x4Mul);
  f.get(M.ni).get(M.n).simd(Simd.i32x4Sub).i32x4(127).simd(Simd.i32x4Add).i32(23).simd(Simd.i32x4Shl).simd(Simd.f32x4Mul);
}

/** σ(local x) = 1 / (1 + e^-x), left on the stack; clobbers M.t and emitExp's. */
function emitSigmoid(f: Fn, x: number, M: MathLocals): void {
  f.get(x).simd(Simd.f32x4Neg).set(M.t);
  f.f32x4(1);
  emitExp(f, M.t, M);
  f.f32x4(1).simd(Simd.f32x4Add).simd(Simd.f32x4Div);
}

/** tanh(local x), left on the stack; clobbers M.t, M.u and emitExp's. */
function emitTanh(f: Fn, x: number, M: MathLocals): void {
  // large |x|: (1 - e) / (1 + e), e = e^(-2|x|)
  f.get(x).simd(Simd.f32x4Abs).f32x4(-2).simd(Simd.f32x4Mul).set(M.t);
  emitExp(f, M.t, M);
  f.set(M.t);
  f.f32x4(1).get(M.t).simd(Simd.f32x4Sub).f32x4(1).get(M.t).simd(Simd.f32x4Add).simd(Simd.f32x4Div).set(M.u);
  // small |x|: a + a·a²·P(a²), a = |x|
  f.get(x).simd(Simd.f32x4Abs).set(M.a);
  f.get(M.a).get(M.a).simd(Simd.f32x4Mul).set(M.t);
  f.f32x4(TANH_TAYLOR[TANH_TAYLOR.length - 1]!);
  for (let k = TANH_TAYLOR.length - 2; k >= 0; k--) f.get(M.t).simd(Simd.f32x4Mul).f32x4(TANH_TAYLOR[k]!).simd(Simd.f32x4Add);
  f.get(M.t).simd(Simd.f32x4Mul).get(M.a).simd(Simd.f32x4Mul).get(M.a).simd(Simd.f32x4Add);
  // select by |x| < TANH_SMALL, then give the (non-negative) result x's sign, -0 included
  f.get(M.u);
  f.get(M.a).f32x4(TANH_SMALL).simd(Simd.f32x4Lt);
  f.simd(Simd.v128Bitselect);
  f.get(x).i32x4(-0x80000000).simd(Simd.v128And).simd(Simd.v128Or);
}

// ---------------------------------------------------------------------------
// Loops: rows of H elements, four at a time, then one at a time (lane 0).
// ---------------------------------------------------------------------------

/** How the shared element body reads and writes: four lanes, or lane 0 only. */
interface Access {
  readonly step: number;
  load(addr: () => void): void;
  store(addr: () => void, value: () => void): void;
}

const VECTOR: Access = {
  step: 4,
  load: () => undefined,
  store: () => undefined,
};

function vectorAccess(f: Fn): Access {
  return {
    ...VECTOR,
    load: (addr) => {
      addr();
      f.simdMem(Simd.load, 0, 2);
    },
    store: (addr, value) => {
      addr();
      value();
      f.simdMem(Simd.store, 0, 2);
    },
  };
}

function scalarAccess(f: Fn): Access {
  return {
    step: 1,
    load: (addr) => {
      addr();
      f.mem(Op.f32Load, 0, 2).simd(Simd.f32x4Splat);
    },
    store: (addr, value) => {
      addr();
      value();
      f.lane(Simd.f32x4ExtractLane, 0).mem(Op.f32Store, 0, 2);
    },
  };
}

/**
 * `for b < rows: { for j < H (by 4, then by 1): body; advance pointers }`.
 * Every pointer local advances by 4 bytes per element; after each row,
 * `rowEnd` adds what else each pointer needs.
 */
function rowLoops(f: Fn, rows: number, h: number, pointers: readonly number[], body: (acc: Access) => void, rowEnd: () => void): void {
  const b = f.local(I32);
  const j = f.local(I32);
  const h4 = f.local(I32); // H rounded down to a multiple of 4
  f.get(h).i32(-4).op(Op.i32And).set(h4);
  const vec = vectorAccess(f);
  const one = scalarAccess(f);
  f.forLoop(
    b,
    () => f.i32(0),
    () => f.get(rows),
    1,
    () => {
      f.forLoop(
        j,
        () => f.i32(0),
        () => f.get(h4),
        4,
        () => {
          body(vec);
          for (const p of pointers) f.addTo(p, 16);
        },
      );
      f.forLoop(
        j,
        () => f.get(h4),
        () => f.get(h),
        1,
        () => {
          body(one);
          for (const p of pointers) f.addTo(p, 4);
        },
      );
      rowEnd();
    },
  );
}

/** `local + local` address thunk. */
const plus = (f: Fn, p: number, q?: number) => (): void => {
  f.get(p);
  if (q !== undefined) f.get(q).op(Op.i32Add);
};

/**
 * fwd(acts, gx, gxStride, cPrev, cCur, tc, h, B, H): one forward step for B
 * rows. acts [B, 4H] holds h_{t-1} W_h on entry and the activations i, f, g, o
 * on exit; gx rows are `gxStride` bytes apart; cPrev, cCur, tc, h are [B, H].
 */
export function forwardStep(): Fn {
  const f = new Fn([I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [pa, px, gxStride, pcp, pcc, ptc, ph, rows, h] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const H4 = f.local(I32);
  const H8 = f.local(I32);
  const H12 = f.local(I32);
  const z = f.local(V128);
  const [vi, vf, vg, vo, vc, vt] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const M = mathLocals(f);
  f.get(h).i32(2).op(Op.i32Shl).tee(H4).get(H4).op(Op.i32Add).tee(H8).get(H4).op(Op.i32Add).set(H12);
  const gate = (acc: Access, off: number | undefined, act: (x: number) => void, out: number): void => {
    acc.load(plus(f, pa, off));
    acc.load(plus(f, px, off));
    f.simd(Simd.f32x4Add).set(z);
    act(z);
    f.set(out);
  };
  rowLoops(
    f,
    rows,
    h,
    [pa, px, pcp, pcc, ptc, ph],
    (acc) => {
      gate(acc, undefined, (x) => emitSigmoid(f, x, M), vi);
      gate(acc, H4, (x) => emitSigmoid(f, x, M), vf);
      gate(acc, H8, (x) => emitTanh(f, x, M), vg);
      gate(acc, H12, (x) => emitSigmoid(f, x, M), vo);
      acc.store(plus(f, pa), () => f.get(vi));
      acc.store(plus(f, pa, H4), () => f.get(vf));
      acc.store(plus(f, pa, H8), () => f.get(vg));
      acc.store(plus(f, pa, H12), () => f.get(vo));
      // c = f c_prev + i g
      f.get(vf);
      acc.load(plus(f, pcp));
      f.simd(Simd.f32x4Mul).get(vi).get(vg).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).set(vc);
      acc.store(plus(f, pcc), () => f.get(vc));
      emitTanh(f, vc, M);
      f.set(vt);
      acc.store(plus(f, ptc), () => f.get(vt));
      acc.store(plus(f, ph), () => f.get(vo).get(vt).simd(Simd.f32x4Mul));
    },
    () => {
      f.addTo(pa, () => f.get(H12));
      f.addTo(px, () => f.get(gxStride).get(H4).op(Op.i32Sub));
    },
  );
  return f;
}

/**
 * bwd(acts, tc, cPrev, dh, dHs, dHsStride, dc, dG, B, H): one backward step
 * for B rows. dh [B, H] is the gradient from step t+1 (dG_{t+1} W_hᵀ), dHs
 * rows (`dHsStride` bytes apart) the outside gradient of h_t; dc [B, H] is
 * overwritten with the gradient of c_{t-1}, dG [B, 4H] with the gradient of
 * the gate pre-activations.
 */
export function backwardStep(): Fn {
  const f = new Fn([I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [pa, ptc, pcp, pdh, pdhs, dhsStride, pdc, pdg, rows, h] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const H4 = f.local(I32);
  const H8 = f.local(I32);
  const H12 = f.local(I32);
  const [vi, vf, vg, vo, vt, dhj, dcj] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const one = (): void => void f.f32x4(1);
  const mul = (): void => void f.simd(Simd.f32x4Mul);
  const sub = (): void => void f.simd(Simd.f32x4Sub);
  f.get(h).i32(2).op(Op.i32Shl).tee(H4).get(H4).op(Op.i32Add).tee(H8).get(H4).op(Op.i32Add).set(H12);
  rowLoops(
    f,
    rows,
    h,
    [pa, ptc, pcp, pdh, pdhs, pdc, pdg],
    (acc) => {
      acc.load(plus(f, pa));
      f.set(vi);
      acc.load(plus(f, pa, H4));
      f.set(vf);
      acc.load(plus(f, pa, H8));
      f.set(vg);
      acc.load(plus(f, pa, H12));
      f.set(vo);
      acc.load(plus(f, ptc));
      f.set(vt);
      acc.load(plus(f, pdh));
      acc.load(plus(f, pdhs));
      f.simd(Simd.f32x4Add).set(dhj);
      // dc += dh o (1 - tanh(c)^2)
      acc.load(plus(f, pdc));
      f.get(dhj).get(vo);
      mul();
      one();
      f.get(vt).get(vt);
      mul();
      sub();
      mul();
      f.simd(Simd.f32x4Add).set(dcj);
      // di = dc g i (1 - i); df = dc c_prev f (1 - f); dg = dc i (1 - g^2); do = dh tanh(c) o (1 - o)
      acc.store(plus(f, pdg), () => {
        f.get(dcj).get(vg);
        mul();
        f.get(vi);
        mul();
        one();
        f.get(vi);
        sub();
        mul();
      });
      acc.store(plus(f, pdg, H4), () => {
        f.get(dcj);
        acc.load(plus(f, pcp));
        mul();
        f.get(vf);
        mul();
        one();
        f.get(vf);
        sub();
        mul();
      });
      acc.store(plus(f, pdg, H8), () => {
        f.get(dcj).get(vi);
        mul();
        one();
        f.get(vg).get(vg);
        mul();
        sub();
        mul();
      });
      acc.store(plus(f, pdg, H12), () => {
        f.get(dhj).get(vt);
        mul();
        f.get(vo);
        mul();
        one();
        f.get(vo);
        sub();
        mul();
      });
      acc.store(plus(f, pdc), () => {
        f.get(dcj).get(vf);
        mul();
      });
    },
    () => {
      f.addTo(pa, () => f.get(H12));
      f.addTo(pdg, () => f.get(H12));
      f.addTo(pdhs, () => f.get(dhsStride).get(H4).op(Op.i32Sub));
    },
  );
  return f;
}

/** map(src, dst, n): dst[i] = fn(src[i]), for testing the vector math. */
function mapFn(emit: (f: Fn, x: number, M: MathLocals) => void): Fn {
  const f = new Fn([I32, I32, I32]);
  const [src, dst, n] = [0, 1, 2];
  const x = f.local(V128);
  const M = mathLocals(f);
  const rows = f.local(I32);
  f.i32(1).set(rows);
  rowLoops(
    f,
    rows,
    n,
    [src, dst],
    (acc) => {
      acc.load(plus(f, src));
      f.set(x);
      acc.store(plus(f, dst), () => emit(f, x, M));
    },
    () => undefined,
  );
  return f;
}

/** Encode the module; exports `fwd`, `bwd`, `exp`, `sigmoid`, `tanh`. */
export function buildLstmModule(): Uint8Array {
  return encodeModule({
    memory: { initial: 1, maximum: MAX_PAGES, shared: false },
    functions: [
      { fn: forwardStep(), exportAs: 'fwd' },
      { fn: backwardStep(), exportAs: 'bwd' },
      { fn: mapFn(emitExp), exportAs: 'exp' },
      { fn: mapFn(emitSigmoid), exportAs: 'sigmoid' },
      { fn: mapFn(emitTanh), exportAs: 'tanh' },
    ],
  });
}

// ---------------------------------------------------------------------------
// The kernel object
// ---------------------------------------------------------------------------

/**
 * The float32 WebAssembly SIMD kernels of the fused LSTM (see
 * {@link lstmWasm}). Offsets and strides count float32 elements of the
 * kernel's memory, as returned by {@link LstmWasm.reserve}.
 *
 * @example
 * ```ts
 * import { lstmWasm, type LstmWasm } from '@mnemo/core';
 * const k: LstmWasm | null = lstmWasm();
 * if (k) console.assert(k.reserve(8).length >= 8);
 * ```
 * @category Fused kernels
 */
export interface LstmWasm {
  /**
   * A view of the whole memory, at least `floats` long. Growing the memory
   * detaches every earlier view, so take views after the last `reserve`.
   */
  reserve(floats: number): Float32Array;
  /**
   * One forward step for `rows` rows: `acts` ([rows, 4H], holding h_{t-1} W_h)
   * plus the gx rows (`gxStride` apart) become the activations i, f, g, o;
   * writes c_t to `cCur`, tanh(c_t) to `tc` and h_t to `h` (all [rows, H]), reading c_{t-1} at `cPrev`.
   */
  forwardStep(acts: number, gx: number, gxStride: number, cPrev: number, cCur: number, tc: number, h: number, rows: number, hidden: number): void;
  /**
   * One backward step: from the activations, tanh(c_t), c_{t-1}, dh (from step
   * t+1) plus the dHs rows (`dHsStride` apart) and dc, writes the gate
   * gradients to `dG` ([rows, 4H]) and overwrites `dc` with the gradient of c_{t-1}.
   */
  backwardStep(acts: number, tc: number, cPrev: number, dh: number, dHs: number, dHsStride: number, dc: number, dG: number, rows: number, hidden: number): void;
  /** Apply the kernel's exp, σ or tanh to each element of a fresh copy of `x` (for tests). */
  map(fn: 'exp' | 'sigmoid' | 'tanh', x: Float32Array): Float32Array;
}

let lstmKernel: LstmWasm | null | undefined;

function makeKernel(): LstmWasm {
  const wasm = wasmApi();
  if (!wasm) throw new Error('no WebAssembly');
  const memory: WasmMemory = new wasm.Memory({ initial: 1, maximum: MAX_PAGES, shared: false });
  const ex = new wasm.Instance(new wasm.Module(buildLstmModule()), { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
  const fwd = ex['fwd']!;
  const bwd = ex['bwd']!;
  let view = new Float32Array(memory.buffer);
  const reserve = (floats: number): Float32Array => {
    const bytes = floats * 4;
    const have = memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`lstmWasm: ${floats} floats exceed the kernel's 1 GiB memory`);
      memory.grow(pages);
    }
    if (view.buffer !== memory.buffer) view = new Float32Array(memory.buffer);
    return view;
  };
  const kernel: LstmWasm = {
    reserve,
    forwardStep: (acts, gx, gxStride, cPrev, cCur, tc, h, rows, hidden) => fwd(acts * 4, gx * 4, gxStride * 4, cPrev * 4, cCur * 4, tc * 4, h * 4, rows, hidden),
    backwardStep: (acts, tc, cPrev, dh, dHs, dHsStride, dc, dG, rows, hidden) => bwd(acts * 4, tc * 4, cPrev * 4, dh * 4, dHs * 4, dHsStride * 4, dc * 4, dG * 4, rows, hidden),
    map: (fn, x) => {
      const n = x.length;
      const v = reserve(2 * n);
      v.set(x, 0);
      ex[fn]!(0, n * 4, n);
      return v.slice(n, 2 * n);
    },
  };
  return kernel;
}

/**
 * The float32 WebAssembly SIMD kernels behind the fused LSTM's elementwise
 * steps, compiled on first use; `null` where WebAssembly SIMD is unavailable
 * (callers then run their JavaScript loops). The kernels work on arrays in
 * their own memory: copy inputs into {@link LstmWasm.reserve}'s view and
 * results out of it.
 *
 * @example
 * ```ts
 * import { lstmWasm } from '@mnemo/core';
 * const k = lstmWasm();
 * if (k) {
 *   const t = k.map('tanh', new Float32Array([0, 1, -30]));
 *   console.assert(t[0] === 0 && Math.abs(t[1]! - Math.tanh(1)) < 1e-7 && t[2] === -1);
 * }
 * ```
 * @category Fused kernels
 */
export function lstmWasm(): LstmWasm | null {
  if (lstmKernel !== undefined) return lstmKernel;
  try {
    lstmKernel = makeKernel();
  } catch {
    lstmKernel = null;
  }
  return lstmKernel;
}
