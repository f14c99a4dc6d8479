/**
 * A fused LSTM over a whole sequence: the forward loop and backpropagation
 * through time written directly on typed arrays, with one matrix product per
 * step and the recurrent weight gradient accumulated in a single matrix
 * product after the loop. It computes exactly the tutorial LSTM (gate order
 * i, f, g, o; no peepholes) and is proven equal to the compositional cell by
 * the test suite; it is the speed path for training, not a new definition.
 *
 * In float32, the elementwise steps run in WebAssembly SIMD (`lstmWasm` of
 * `@mnemo/core`) on buffers in the kernel's memory, which the gemm reads and
 * writes directly; the residuals are copied out into arrays owned by the one
 * call, so nothing outside sees the kernel's (reused) memory. float64, and
 * float32 where WebAssembly SIMD is missing, run the JavaScript loops.
 *
 * @module
 */
import {
  ShapeError,
  DTypeError,
  allocate,
  sigmoidFast as sigmoid,
  tanhFast,
  formatShape,
  currentBackend,
  lstmSequenceKernel,
  lstmWasm,
  unsafeDataOf,
  unsafeFromData,
  zeros,
  type GemmArgs,
  type LstmKernelBackward,
  type LstmKernelForward,
  type LstmWasm,
  type Tensor,
  type DType,
  type TypedArray,
} from '@mnemo/core';
import { add, customVjp, matmul, reshape } from '@mnemo/autodiff';

/**
 * The outputs of {@link lstmSequence}: every step's hidden state
 * (`[batch, steps, H]`) and the final hidden and cell states (`[batch, H]`).
 *
 * @example
 * ```ts
 * import { lstmSequence, type LstmSequenceOutput } from '@mnemo/nn';
 * import { zeros } from '@mnemo/core';
 * const out: LstmSequenceOutput = lstmSequence(zeros([1, 2, 4], 'float64'), zeros([1, 4], 'float64'), zeros([1, 1], 'float64'), zeros([1, 1], 'float64'));
 * console.assert(out.hs.shape.join() === '1,2,1');
 * ```
 * @category Fused kernels
 */
export type LstmSequenceOutput = {
  readonly hs: Tensor;
  readonly hT: Tensor;
  readonly cT: Tensor;
};

interface Residuals {
  readonly B: number;
  readonly T: number;
  readonly H: number;
  readonly wh: Tensor;
  /** Post-activation gates, time-major [T, B, 4H]: i, f, g, o. */
  readonly acts: TypedArray;
  /** tanh(c_t), time-major [T, B, H]. */
  readonly tcs: TypedArray;
  /** c_t for t = -1..T-1, time-major [(T+1), B, H]. */
  readonly cs: TypedArray;
  /** h_t for t = -1..T-1, time-major [(T+1), B, H]. */
  readonly hsT: TypedArray;
  /** The float32 WebAssembly kernels, when the forward pass ran on them (the backward pass then does too). */
  readonly wasm?: LstmWasm;
  /** The whole-sequence kernel's forward pass, when it ran (the backward pass then does too; it keeps its own residuals, and the arrays above are empty). */
  readonly seq?: LstmKernelForward;
}

const NONE = new Float32Array(0);

/**
 * The products of the step-by-step paths go through the current backend's
 * raw-buffer gemm (gpu.js under `gpujs`); the whole-sequence WebAssembly
 * kernel, which runs its own products, is used only on the `cpu` backend.
 */
const mm = (args: GemmArgs): void => currentBackend().gemm(args);
const onCpu = (): boolean => currentBackend().name === 'cpu';

/** Throw unless argument `name` of `op` has `shape` (which follows from `context`) and the dtype of `ref`. */
function expectArg(op: string, name: string, t: Tensor, shape: readonly number[], context: string, ref: string, dtype: DType): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, name, `expected ${formatShape(shape)} for ${context}, got ${formatShape(t.shape)}`);
  }
  if (t.dtype !== dtype) throw new DTypeError(op, name, `is ${t.dtype}, ${ref} is ${dtype}`);
}

function check(gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): { B: number; T: number; H: number } {
  if (gx.rank !== 3) throw new ShapeError('lstmSequence', 'gx', `expected [batch, steps, 4 * hidden], got ${formatShape(gx.shape)}`);
  const [B, T, G] = gx.shape as [number, number, number];
  if (G % 4 !== 0) throw new ShapeError('lstmSequence', 'gx', `the last axis (${G}) must be 4 * hidden for gates i, f, g, o; got ${formatShape(gx.shape)}`);
  const H = G / 4;
  const want = (t: Tensor, name: string, shape: number[]): void => expectArg('lstmSequence', name, t, shape, `gx ${formatShape(gx.shape)}`, 'gx', gx.dtype);
  want(wh, 'wh', [H, G]);
  want(h0, 'h0', [B, H]);
  want(c0, 'c0', [B, H]);
  return { B, T, H };
}

/** Float offsets of consecutive regions of the given sizes, each rounded up to 4 floats (16 bytes); the last entry is the total. */
function regions(...sizes: number[]): number[] {
  const at = [0];
  for (const n of sizes) at.push(at[at.length - 1]! + Math.ceil(n / 4) * 4);
  return at;
}

function forwardWasm(k: LstmWasm, gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor, B: number, T: number, H: number): [LstmSequenceOutput, Residuals] {
  const G = 4 * H;
  const BH = B * H;
  const whd = unsafeDataOf(wh);
  const [gxO, actsO, tcsO, csO, hsO, total] = regions(B * T * G, T * B * G, T * BH, (T + 1) * BH, (T + 1) * BH) as [number, number, number, number, number, number];
  const m = k.reserve(total); // the only growth: the view stays valid for the whole call
  m.set(unsafeDataOf(gx), gxO);
  m.set(unsafeDataOf(c0), csO);
  m.set(unsafeDataOf(h0), hsO);
  for (let t = 0; t < T; t++) {
    const aOff = actsO + t * B * G;
    // pre-activations of step t: h_{t-1} W_h, written into acts; the kernel adds gx[:, t, :]
    mm({ a: m, b: whd, out: m, m: B, k: H, n: G, transA: false, transB: false, aOffset: hsO + t * BH, outOffset: aOff });
    k.forwardStep(aOff, gxO + t * G, T * G, csO + t * BH, csO + (t + 1) * BH, tcsO + t * BH, hsO + (t + 1) * BH, B, H);
  }
  // copies: the kernel's memory is reused by the next call
  const hsT = m.slice(hsO, hsO + (T + 1) * BH);
  const cs = m.slice(csO, csO + (T + 1) * BH);
  const acts = m.slice(actsO, actsO + T * B * G);
  const tcs = m.slice(tcsO, tcsO + T * BH);
  const hs = new Float32Array(B * T * H);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) hs.set(hsT.subarray((t + 1) * BH + b * H, (t + 1) * BH + (b + 1) * H), (b * T + t) * H);
  }
  const out: LstmSequenceOutput = {
    hs: unsafeFromData(hs, [B, T, H]),
    hT: unsafeFromData(hsT.slice(T * BH), [B, H]),
    cT: unsafeFromData(cs.slice(T * BH), [B, H]),
  };
  return [out, { B, T, H, wh, acts, tcs, cs, hsT, wasm: k }];
}

function backwardWasm(k: LstmWasm, r: Residuals, ct: LstmSequenceOutput): [Tensor, Tensor, Tensor, Tensor] {
  const { B, T, H } = r;
  const G = 4 * H;
  const BH = B * H;
  const whd = unsafeDataOf(r.wh);
  const [actsO, tcsO, csO, dHsO, dhO, dcO, dGO, total] = regions(T * B * G, T * BH, T * BH, B * T * H, BH, BH, T * B * G) as [number, number, number, number, number, number, number, number];
  const m = k.reserve(total);
  m.set(r.acts, actsO);
  m.set(r.tcs, tcsO);
  m.set(r.cs.subarray(0, T * BH), csO);
  m.set(unsafeDataOf(ct.hs), dHsO);
  m.set(unsafeDataOf(ct.hT), dhO);
  m.set(unsafeDataOf(ct.cT), dcO);
  for (let t = T - 1; t >= 0; t--) {
    const gOff = dGO + t * B * G;
    k.backwardStep(actsO + t * B * G, tcsO + t * BH, csO + t * BH, dhO, dHsO + t * H, T * H, dcO, gOff, B, H);
    // dh_{t-1} = dG_t W_h^T
    mm({ a: m, b: whd, out: m, m: B, k: G, n: H, transA: false, transB: true, aOffset: gOff, outOffset: dhO });
  }
  // dW_h = sum_t h_{t-1}^T dG_t: one product over all steps
  const dWh = new Float32Array(H * G);
  mm({ a: r.hsT, b: m, out: dWh, m: H, k: T * B, n: G, transA: true, transB: false, bOffset: dGO });
  const dgx = new Float32Array(B * T * G);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) dgx.set(m.subarray(dGO + (t * B + b) * G, dGO + (t * B + b + 1) * G), (b * T + t) * G);
  }
  const dh = m.slice(dhO, dhO + BH);
  const dc = m.slice(dcO, dcO + BH);
  return [unsafeFromData(dgx, [B, T, G]), unsafeFromData(dWh, [H, G]), unsafeFromData(dh, [B, H]), unsafeFromData(dc, [B, H])];
}

function forward(gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor, useWasm = true): [LstmSequenceOutput, Residuals] {
  const { B, T, H } = check(gx, wh, h0, c0);
  if (useWasm && gx.dtype === 'float32' && T > 0 && onCpu()) {
    const seq = lstmSequenceKernel();
    if (seq?.supports(B, H) && seq.fits(B, T, 0, H)) {
      const f = seq.forward(unsafeDataOf(gx) as Float32Array, unsafeDataOf(wh) as Float32Array, unsafeDataOf(h0) as Float32Array, unsafeDataOf(c0) as Float32Array, B, T, H);
      const out: LstmSequenceOutput = { hs: unsafeFromData(f.hs, [B, T, H]), hT: unsafeFromData(f.hT, [B, H]), cT: unsafeFromData(f.cT, [B, H]) };
      return [out, { B, T, H, wh, acts: NONE, tcs: NONE, cs: NONE, hsT: NONE, seq: f }];
    }
  }
  const k = useWasm && gx.dtype === 'float32' ? lstmWasm() : null;
  if (k) return forwardWasm(k, gx, wh, h0, c0, B, T, H);

  const G = 4 * H;
  const dt = gx.dtype;
  const gxd = unsafeDataOf(gx);
  const whd = unsafeDataOf(wh);
  const BH = B * H;
  const acts = allocate(dt, T * B * G);
  const tcs = allocate(dt, T * BH);
  const cs = allocate(dt, (T + 1) * BH);
  const hsT = allocate(dt, (T + 1) * BH);
  cs.set(unsafeDataOf(c0));
  hsT.set(unsafeDataOf(h0));
  const hs = allocate(dt, B * T * H);
  for (let t = 0; t < T; t++) {
    const aOff = t * B * G;
    // pre-activations of step t: h_{t-1} W_h, written into acts, then + gx[:, t, :]
    mm({ a: hsT, b: whd, out: acts, m: B, k: H, n: G, transA: false, transB: false, aOffset: t * BH, outOffset: aOff });
    for (let b = 0; b < B; b++) {
      const row = aOff + b * G;
      const xrow = (b * T + t) * G;
      const prev = t * BH + b * H;
      const cur = (t + 1) * BH + b * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(acts[row + j]! + gxd[xrow + j]!);
        const f = sigmoid(acts[row + H + j]! + gxd[xrow + H + j]!);
        const g = tanhFast(acts[row + 2 * H + j]! + gxd[xrow + 2 * H + j]!);
        const o = sigmoid(acts[row + 3 * H + j]! + gxd[xrow + 3 * H + j]!);
        acts[row + j] = i;
        acts[row + H + j] = f;
        acts[row + 2 * H + j] = g;
        acts[row + 3 * H + j] = o;
        const c = f * cs[prev + j]! + i * g;
        cs[cur + j] = c;
        const tc = tanhFast(c);
        tcs[t * BH + b * H + j] = tc;
        const h = o * tc;
        hsT[cur + j] = h;
        hs[(b * T + t) * H + j] = h;
      }
    }
  }
  const out: LstmSequenceOutput = {
    hs: unsafeFromData(hs, [B, T, H]),
    hT: unsafeFromData(hsT.slice(T * BH), [B, H]),
    cT: unsafeFromData(cs.slice(T * BH), [B, H]),
  };
  return [out, { B, T, H, wh, acts, tcs, cs, hsT }];
}

/** The outputs of a forward pass that will have no backward pass: the kernel's residuals are released at once. */
function primal([out, r]: [LstmSequenceOutput, Residuals]): LstmSequenceOutput {
  if (r.seq) lstmSequenceKernel()!.release(r.seq);
  return out;
}

function backward(r: Residuals, ct: LstmSequenceOutput): [Tensor, Tensor, Tensor, Tensor] {
  if (r.seq) {
    const { B, T, H } = r;
    const d = lstmSequenceKernel()!.backward(r.seq, unsafeDataOf(r.wh) as Float32Array, unsafeDataOf(ct.hs) as Float32Array, unsafeDataOf(ct.hT) as Float32Array, unsafeDataOf(ct.cT) as Float32Array);
    return [unsafeFromData(d.dgx!, [B, T, 4 * H]), unsafeFromData(d.dWh, [H, 4 * H]), unsafeFromData(d.dh0, [B, H]), unsafeFromData(d.dc0, [B, H])];
  }
  if (r.wasm) return backwardWasm(r.wasm, r, ct);
  const { B, T, H, acts, tcs, cs, hsT } = r;
  const G = 4 * H;
  const BH = B * H;
  const dt = r.wh.dtype;
  const dHs = unsafeDataOf(ct.hs);
  const dh = allocate(dt, BH);
  dh.set(unsafeDataOf(ct.hT));
  const dc = allocate(dt, BH);
  dc.set(unsafeDataOf(ct.cT));
  const dG = allocate(dt, T * B * G); // time-major [T, B, 4H]
  const whd = unsafeDataOf(r.wh);
  for (let t = T - 1; t >= 0; t--) {
    const aOff = t * B * G;
    for (let b = 0; b < B; b++) {
      const row = aOff + b * G;
      const s = b * H;
      const prev = t * BH + s;
      for (let j = 0; j < H; j++) {
        const i = acts[row + j]!;
        const f = acts[row + H + j]!;
        const g = acts[row + 2 * H + j]!;
        const o = acts[row + 3 * H + j]!;
        const tc = tcs[prev + j]!;
        const dhj = dh[s + j]! + dHs[(b * T + t) * H + j]!;
        // h = o tanh(c): do = dh tanh(c); dc += dh o (1 - tanh(c)^2)
        const dcj = dc[s + j]! + dhj * o * (1 - tc * tc);
        // c = f c_prev + i g
        dG[row + j] = dcj * g * i * (1 - i);
        dG[row + H + j] = dcj * cs[prev + j]! * f * (1 - f);
        dG[row + 2 * H + j] = dcj * i * (1 - g * g);
        dG[row + 3 * H + j] = dhj * tc * o * (1 - o);
        dc[s + j] = dcj * f;
      }
    }
    // dh_{t-1} = dG_t W_h^T
    mm({ a: dG, b: whd, out: dh, m: B, k: G, n: H, transA: false, transB: true, aOffset: aOff });
  }
  // dW_h = sum_t h_{t-1}^T dG_t: one product over all steps, [H, T*B] x [T*B, 4H]
  const dWh = allocate(dt, H * G);
  mm({ a: hsT, b: dG, out: dWh, m: H, k: T * B, n: G, transA: true, transB: false });
  // dgx[b, t, :] = dG[t, b, :]
  const dgx = allocate(dt, B * T * G);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) dgx.set(dG.subarray((t * B + b) * G, (t * B + b + 1) * G), (b * T + t) * G);
  }
  return [unsafeFromData(dgx, [B, T, G]), unsafeFromData(dWh, [H, G]), unsafeFromData(dh, [B, H]), unsafeFromData(dc, [B, H])];
}

/**
 * Run the tutorial LSTM over a whole sequence in one fused, differentiable op.
 *
 * `gx` holds every step's input contribution to the gate pre-activations,
 * `x_t W_x + b`, shaped `[batch, steps, 4H]` with gates in the order
 * i, f, g, o (compute it for all steps with one matmul). With `wh` the
 * recurrent weights `[H, 4H]`:
 *
 * ```
 * [i f g o] = [σ σ tanh σ](gx_t + h_{t-1} W_h)
 * c_t = f ⊙ c_{t-1} + i ⊙ g
 * h_t = o ⊙ tanh(c_t)
 * ```
 *
 * Its gradient is backpropagation through time on typed arrays: one matrix
 * product per step for `dh_{t-1} = dG_t W_hᵀ`, and `dW_h` in one product over
 * all steps. In float32 on the `cpu` backend, shapes that
 * {@link @mnemo/core!lstmSequenceKernel} takes run there (threads carry bands
 * of the batch through all steps); under another backend the products go
 * through its `gemm` (gpu.js under `gpujs`). It supports first-order gradients only (its backward pass is not
 * itself recorded); use the compositional LSTM cell for gradients of gradients.
 *
 * @example
 * ```ts
 * import { lstmSequence } from '@mnemo/nn';
 * import { grad, sum } from '@mnemo/autodiff';
 * import { zeros, ones, type Tensor } from '@mnemo/core';
 * const gx = ones([2, 3, 8], 'float64');
 * const wh = zeros([2, 8], 'float64');
 * const h0 = zeros([2, 2], 'float64');
 * const { hT } = lstmSequence(gx, wh, h0, h0);
 * const dwh = grad((w: Tensor) => sum(lstmSequence(gx, w, h0, h0).hT))(wh);
 * console.assert(hT.shape.join() === '2,2' && dwh.shape.join() === '2,8');
 * ```
 * @category Fused kernels
 */
export const lstmSequence: (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) => LstmSequenceOutput = customVjp(
  (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): LstmSequenceOutput => primal(forward(gx, wh, h0, c0)),
  {
    fwd: (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) => forward(gx, wh, h0, c0),
    bwd: (r: Residuals, ct: LstmSequenceOutput) => backward(r, ct),
  },
);

/**
 * {@link lstmSequence} with its elementwise steps always in JavaScript, also
 * in float32: the path that runs where WebAssembly SIMD is missing, kept
 * callable to compare against the WebAssembly kernels and to benchmark them.
 * Same values (up to float32 rounding) and gradients as `lstmSequence`.
 *
 * @example
 * ```ts
 * import { lstmSequence, lstmSequenceJs } from '@mnemo/nn';
 * import { ones, zeros } from '@mnemo/core';
 * const gx = ones([1, 2, 4], 'float32');
 * const h0 = zeros([1, 1], 'float32');
 * const a = lstmSequenceJs(gx, zeros([1, 4], 'float32'), h0, h0).hT.item();
 * const b = lstmSequence(gx, zeros([1, 4], 'float32'), h0, h0).hT.item();
 * console.assert(Math.abs(a - b) < 1e-6);
 * ```
 * @category Fused kernels
 */
export const lstmSequenceJs: (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) => LstmSequenceOutput = customVjp(
  (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): LstmSequenceOutput => forward(gx, wh, h0, c0, false)[0],
  {
    fwd: (gx: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) => forward(gx, wh, h0, c0, false),
    bwd: (r: Residuals, ct: LstmSequenceOutput) => backward(r, ct),
  },
);

// ---------------------------------------------------------------------------
// The whole layer: input projection and sequence in one kernel
// ---------------------------------------------------------------------------

interface LayerResiduals {
  readonly f: LstmKernelForward;
  readonly wx: Tensor;
  readonly wh: Tensor;
  readonly xs: Tensor;
}

function checkLayer(xs: Pick<Tensor, 'shape' | 'dtype'>, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): { B: number; T: number; D: number; H: number } {
  const op = 'lstmLayer';
  if (xs.shape.length !== 3) throw new ShapeError(op, 'xs', `expected [batch, steps, inputs], got ${formatShape(xs.shape)}`);
  const [B, T, D] = xs.shape as [number, number, number];
  if (wh.rank !== 2 || wh.shape[1] !== 4 * wh.shape[0]!) throw new ShapeError(op, 'wh', `expected [H, 4H] (gates i, f, g, o), got ${formatShape(wh.shape)}`);
  const H = wh.shape[0]!;
  const want = (t: Tensor, name: string, shape: number[]): void =>
    expectArg(op, name, t, shape, `xs ${formatShape(xs.shape)} and wh ${formatShape(wh.shape)}`, 'xs', xs.dtype);
  want(wx, 'wx', [D, 4 * H]);
  want(b, 'b', [4 * H]);
  want(wh, 'wh', [H, 4 * H]);
  want(h0, 'h0', [B, H]);
  want(c0, 'c0', [B, H]);
  return { B, T, D, H };
}

const f32 = (t: Tensor): Float32Array => unsafeDataOf(t) as Float32Array;

function layerForward(xs: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): [LstmSequenceOutput, LayerResiduals] {
  const { B, T, D, H } = checkLayer(xs, wx, b, wh, h0, c0);
  const f = lstmSequenceKernel()!.forwardProjected(f32(xs), f32(wx), f32(b), f32(wh), f32(h0), f32(c0), B, T, D, H);
  return [{ hs: unsafeFromData(f.hs, [B, T, H]), hT: unsafeFromData(f.hT, [B, H]), cT: unsafeFromData(f.cT, [B, H]) }, { f, wx, wh, xs }];
}

/** The input gradient as a tensor: zeros when it was not computed (the inputs are data). */
function inputGradientOf(d: LstmKernelBackward, shape: number[]): Tensor {
  return d.dx === undefined ? zeros(shape, 'float32') : unsafeFromData(d.dx, shape);
}

/** dW_x, db, dW_h, dh0, dc0 as tensors. */
function layerGradients(d: LstmKernelBackward, B: number, D: number, H: number): [Tensor, Tensor, Tensor, Tensor, Tensor] {
  return [
    unsafeFromData(d.dWx!, [D, 4 * H]),
    unsafeFromData(d.db!, [4 * H]),
    unsafeFromData(d.dWh, [H, 4 * H]),
    unsafeFromData(d.dh0, [B, H]),
    unsafeFromData(d.dc0, [B, H]),
  ];
}

const fusedLayer: (xs: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) => LstmSequenceOutput = customVjp(
  (xs: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): LstmSequenceOutput => {
    const [out, r] = layerForward(xs, wx, b, wh, h0, c0);
    lstmSequenceKernel()!.release(r.f); // no backward pass will read them
    return out;
  },
  {
    fwd: layerForward,
    bwd: (r: LayerResiduals, ct: LstmSequenceOutput, needed: readonly boolean[]) => {
      const { batch: B, steps: T, hidden: H, inputs: D } = r.f;
      // inputs that no tape traces (data) get no gradient computed
      const inputGradient = needed[0] !== false;
      const d = lstmSequenceKernel()!.backward(r.f, f32(r.wh), f32(ct.hs), f32(ct.hT), f32(ct.cT), f32(r.wx), undefined, { inputGradient });
      return [inputGradientOf(d, [B, T, D]), ...layerGradients(d, B, D, H)] as const;
    },
  },
);

/**
 * The tutorial LSTM layer over a whole sequence, from its inputs: the input
 * contributions `gx = x W_x + b` of every step, then {@link lstmSequence}.
 * Same values and gradients as
 * `lstmSequence(reshape(add(matmul(reshape(xs, [B·T, D]), wx), b), [B, T, 4H]), wh, h0, c0)`,
 * which is what it computes in float64, or where the float32 kernel does not
 * take the shape; in float32 with a batch that is a multiple of 4 and a
 * hidden size that is a multiple of 8, the projection, the sequence and all
 * their gradients run inside one WebAssembly kernel
 * ({@link @mnemo/core!lstmSequenceKernel}), so no `[B, T, 4H]` array is made
 * in between. That kernel runs on the `cpu` backend; under another backend
 * (`gpujs`) every product goes through that backend instead. First-order
 * gradients only, like `lstmSequence`.
 *
 * @example
 * ```ts
 * import { lstmLayer } from '@mnemo/nn';
 * import { grad, sum } from '@mnemo/autodiff';
 * import { ones, zeros, type Tensor } from '@mnemo/core';
 * const xs = ones([4, 3, 2], 'float32');
 * const [wx, b, wh, h0] = [zeros([2, 32], 'float32'), ones([32], 'float32'), zeros([8, 32], 'float32'), zeros([4, 8], 'float32')];
 * const { hT } = lstmLayer(xs, wx, b, wh, h0, h0);
 * const dwx = grad((w: Tensor) => sum(lstmLayer(xs, w, b, wh, h0, h0).hT))(wx);
 * console.assert(hT.shape.join() === '4,8' && dwx.shape.join() === '2,32');
 * ```
 * @category Fused kernels
 */
export function lstmLayer(xs: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): LstmSequenceOutput {
  const { B, T, D, H } = checkLayer(xs, wx, b, wh, h0, c0);
  const k = xs.dtype === 'float32' && T > 0 && D > 0 && onCpu() ? lstmSequenceKernel() : null;
  if (k?.supports(B, H) && k.fits(B, T, D, H)) return fusedLayer(xs, wx, b, wh, h0, c0);
  const gx = reshape(add(matmul(reshape(xs, [B * T, D]), wx), b), [B, T, 4 * H]);
  return lstmSequence(gx, wh, h0, c0);
}

// ---------------------------------------------------------------------------
// A dense layer and the LSTM layer in one kernel
// ---------------------------------------------------------------------------

interface PreResiduals {
  readonly f: LstmKernelForward;
  readonly wp: Tensor;
  readonly wx: Tensor;
  readonly wh: Tensor;
}

function checkDenseLayer(x: Tensor, wp: Tensor, bp: Tensor): { B: number; T: number; D0: number; D: number } {
  const op = 'denseLstmLayer';
  if (x.rank !== 3) throw new ShapeError(op, 'x', `expected [batch, steps, inputs], got ${formatShape(x.shape)}`);
  const [B, T, D0] = x.shape as [number, number, number];
  if (wp.rank !== 2 || wp.shape[0] !== D0) throw new ShapeError(op, 'wp', `expected [${D0}, D] for x ${formatShape(x.shape)}, got ${formatShape(wp.shape)}`);
  const D = wp.shape[1]!;
  if (bp.rank !== 1 || bp.shape[0] !== D) throw new ShapeError(op, 'bp', `expected [${D}] for wp ${formatShape(wp.shape)}, got ${formatShape(bp.shape)}`);
  for (const [name, t] of [['wp', wp], ['bp', bp]] as const) if (t.dtype !== x.dtype) throw new DTypeError(op, name, `is ${t.dtype}, x is ${x.dtype}`);
  return { B, T, D0, D };
}

function preForward(x: Tensor, wp: Tensor, bp: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): [LstmSequenceOutput, PreResiduals] {
  const { B, T, D0, D } = checkDenseLayer(x, wp, bp);
  const H = wh.shape[0]!;
  const f = lstmSequenceKernel()!.forwardPreProjected(f32(x), f32(wp), f32(bp), f32(wx), f32(b), f32(wh), f32(h0), f32(c0), B, T, D0, D, H);
  return [{ hs: unsafeFromData(f.hs, [B, T, H]), hT: unsafeFromData(f.hT, [B, H]), cT: unsafeFromData(f.cT, [B, H]) }, { f, wp, wx, wh }];
}

const fusedDenseLayer: (x: Tensor, wp: Tensor, bp: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor) => LstmSequenceOutput = customVjp(
  (x: Tensor, wp: Tensor, bp: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): LstmSequenceOutput => {
    const [out, r] = preForward(x, wp, bp, wx, b, wh, h0, c0);
    lstmSequenceKernel()!.release(r.f); // no backward pass will read them
    return out;
  },
  {
    fwd: preForward,
    bwd: (r: PreResiduals, ct: LstmSequenceOutput, needed: readonly boolean[]) => {
      const { batch: B, steps: T, hidden: H, inputs: D, rawInputs: D0 } = r.f;
      // raw inputs that no tape traces (data, as in the tutorial) get no gradient computed
      const inputGradient = needed[0] !== false;
      const d = lstmSequenceKernel()!.backward(r.f, f32(r.wh), f32(ct.hs), f32(ct.hT), f32(ct.cT), f32(r.wx), f32(r.wp), { inputGradient });
      return [inputGradientOf(d, [B, T, D0]), unsafeFromData(d.dWp!, [D0, D]), unsafeFromData(d.dbp!, [D]), ...layerGradients(d, B, D, H)] as const;
    },
  },
);

/**
 * A dense layer followed by the tutorial LSTM layer, over a whole sequence:
 * `lstmLayer(x W_p + b_p, wx, b, wh, h0, c0)` with `x` `[B, T, D0]`, `wp`
 * `[D0, D]` and `bp` `[D]` — the tutorial model's projection of each MNIST
 * row and its LSTM. Same values and gradients as that composition, which is
 * what runs in float64 and wherever the float32 kernel does not take the
 * shape; in float32 on the `cpu` backend (batch a multiple of 4, D and the
 * hidden size multiples of 8) both layers and their gradients run in one
 * WebAssembly kernel ({@link @mnemo/core!lstmSequenceKernel}), which never
 * forms the `[B, T, D]` gradient between them: the dense layer's weight
 * gradient is `(xᵀ dG) W_xᵀ`, a fraction of the work when D0 is small.
 * First-order gradients only.
 *
 * @example
 * ```ts
 * import { denseLstmLayer } from '@mnemo/nn';
 * import { grad, sum } from '@mnemo/autodiff';
 * import { ones, zeros, type Tensor } from '@mnemo/core';
 * const x = ones([4, 3, 2], 'float32');
 * const [wp, bp] = [zeros([2, 8], 'float32'), ones([8], 'float32')];
 * const [wx, b, wh, h0] = [zeros([8, 32], 'float32'), ones([32], 'float32'), zeros([8, 32], 'float32'), zeros([4, 8], 'float32')];
 * const { hT } = denseLstmLayer(x, wp, bp, wx, b, wh, h0, h0);
 * const dwp = grad((w: Tensor) => sum(denseLstmLayer(x, w, bp, wx, b, wh, h0, h0).hT))(wp);
 * console.assert(hT.shape.join() === '4,8' && dwp.shape.join() === '2,8');
 * ```
 * @category Fused kernels
 */
export function denseLstmLayer(x: Tensor, wp: Tensor, bp: Tensor, wx: Tensor, b: Tensor, wh: Tensor, h0: Tensor, c0: Tensor): LstmSequenceOutput {
  const { B, T, D0, D } = checkDenseLayer(x, wp, bp);
  const xs = (): Tensor => reshape(add(matmul(reshape(x, [B * T, D0]), wp), bp), [B, T, D]);
  const H = wh.rank === 2 ? wh.shape[0]! : 0;
  const k = x.dtype === 'float32' && T > 0 && D0 > 0 && D % 8 === 0 && onCpu() ? lstmSequenceKernel() : null;
  if (!(k?.supports(B, H) && k.fits(B, T, D, H, D0))) return lstmLayer(xs(), wx, b, wh, h0, c0);
  checkLayer({ shape: [B, T, D], dtype: x.dtype }, wx, b, wh, h0, c0);
  return fusedDenseLayer(x, wp, bp, wx, b, wh, h0, c0);
}
