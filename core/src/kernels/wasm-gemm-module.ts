/**
 * Emits the WebAssembly module behind `wasmGemm`: a packed, cache-blocked
 * SIMD gemm for float32 (f32x4) and float64 (f64x2).
 *
 * The algorithm is the classic one of high-performance BLAS libraries:
 *
 * - the k dimension is cut into blocks of `kc`; for each block, a slab of B
 *   (`kc` x `nc` columns) is **packed** into column panels `NR` wide, each
 *   stored `[kc][NR]` contiguously, zero-padded past the last column;
 * - for each block of `mc` rows, A is packed likewise into row panels `MR`
 *   tall, stored `[kc][MR]`;
 * - a **micro-kernel** multiplies one A panel by one B panel, keeping the
 *   `MR` x `NR` tile of C in `MR * NR / lanes` SIMD registers, and adds the
 *   tile to C (or overwrites C in the first k block).
 *
 * Packing reads the operand in whichever layout it is stored, so all four
 * transpose layouts run the same micro-kernel: a transposed operand costs only
 * a differently shaped (and equally cheap) packing loop. C lives in a scratch
 * area padded to whole tiles, so the micro-kernel never needs an edge case.
 *
 * Exports, for each dtype `T` in `f32`, `f64`:
 * `gemm_T(a, b, c, m, n, k, transA, transB, split, band, chunk, ldc, packBase, packStride, packABytes, slot, kcMax, mcMax, ncMax, prepacked, packedAt)`
 * computes one chunk of C: with `split` 0, the columns
 * `[chunk·band, (chunk+1)·band)` (all rows), with `split` 1 those rows (all
 * columns). Pointers are byte addresses; `ldc` is C's row stride in elements;
 * the caller (thread) `slot` packs into `packBase + slot·packStride` (A, then
 * B `packABytes` later); `band`, `mcMax` and `ncMax` are multiples of the
 * tile's rows or columns. With `prepacked` 1 (or 2), A (or B) was packed
 * whole by `prepack_T(which, src, transposed, rows, k, kcMax, packedAt)` and
 * is read from there, so that threads splitting C's columns (or rows) share
 * one packed copy of the operand they all read.
 *
 * The micro-kernels depend on the runtime (see {@link gemmKernels}): paired
 * tiles where V8's revectorizer turns them into 256-bit code; fused
 * multiply-adds (relaxed SIMD) for float32 when asked for.
 *
 * @module
 */
import { fusedGemmRequested, wasmFeatures } from './features.js';
import { Fn, F32, F64, I32, Op, RelaxedSimd, Simd, V128, encodeModule, type ValType } from './wasm-emit.js';

/** The register tile of the micro-kernel: `mr` rows by `nrv` SIMD vectors. */
export interface TileShape {
  readonly mr: number;
  readonly nrv: number;
}

/**
 * One dtype's micro-kernel: its register tile, and whether it multiplies and
 * adds with relaxed SIMD's fused `relaxed_madd` (one rounding) or with `mul`
 * then `add` (two).
 */
export interface MicroKernel {
  readonly tile: TileShape;
  readonly fma: boolean;
}

/**
 * The micro-kernels for 128-bit code: a 4 x 8 float32 tile (8 f32x4
 * accumulators) and 4 x 4 for float64. Wider tiles spill registers there
 * (x64 code has 16 vector registers): measured on a Zen 5, Node 24 without
 * the revectorizer, 4 x 8 did 48 GFLOP/s at float32 512^3 where 4 x 16 and
 * 8 x 8 did 33-35.
 */
export const BASELINE_TILES: { readonly f32: TileShape; readonly f64: TileShape } = {
  f32: { mr: 4, nrv: 2 },
  f64: { mr: 4, nrv: 2 },
};

/**
 * The micro-kernels for V8's revectorizer: 4 x 16 float32 (4 x 8 float64),
 * each row of C four adjacent 128-bit accumulators that the revectorizer
 * pairs into two 256-bit ones (8 ymm accumulators in all, two B loads and
 * four broadcasts per k step). Measured on a Zen 5, Node 24 with the
 * revectorizer, float32 512^3, one thread: 4 x 16 did 92-100 GFLOP/s, 4 x 8
 * 52-71 (4 ymm accumulators: too few to hide the FMA's latency), 8 x 8 80-83,
 * 8 x 16 53-66 (16 ymm accumulators spill).
 */
export const PAIRED_TILES: { readonly f32: TileShape; readonly f64: TileShape } = {
  f32: { mr: 4, nrv: 4 },
  f64: { mr: 4, nrv: 4 },
};

/**
 * The gemm's micro-kernels for what the runtime has (see `features.ts`):
 * paired tiles where the revectorizer is on. They multiply then add, in the
 * reference's order, so the tile never changes a result: float64 is
 * bit-identical to `gemmReference`, and float32 gives the same bits on every
 * runtime and path. With `fma` (asked for with `MNEMO_WASM_FEATURES=fma`,
 * and only where relaxed SIMD is in use) float32 fuses its multiply-adds:
 * one rounding per step, so its last bits differ. float64 never fuses.
 */
export function gemmKernels(features: { readonly relaxedSimd: boolean; readonly revectorize: boolean; readonly fma?: boolean }): GemmKernels {
  const tiles = features.revectorize ? PAIRED_TILES : BASELINE_TILES;
  return { f32: { tile: tiles.f32, fma: features.relaxedSimd && features.fma === true }, f64: { tile: tiles.f64, fma: false } };
}

/** The micro-kernel of each dtype. */
export interface GemmKernels {
  readonly f32: MicroKernel;
  readonly f64: MicroKernel;
}

let runtimeKernels: GemmKernels | undefined;

/**
 * This process's micro-kernels: {@link gemmKernels} of `wasmFeatures()`
 * (which switches the revectorizer on, where there is one, before anything
 * compiles). Every gemm of the process uses them: the gemm's own module and
 * every generated module that embeds one ({@link appendGemm}), so that all
 * agree on the tiles that products write.
 */
export function runtimeGemmKernels(): GemmKernels {
  runtimeKernels ??= gemmKernels({ ...wasmFeatures(), fma: fusedGemmRequested() });
  return runtimeKernels;
}

/** A micro-kernel in words, as `gemmInfo()` reports it: `'4x16 f32x4 relaxed_madd, paired for 256-bit'`. */
export function describeKernel(dtype: 'f32' | 'f64', k: MicroKernel, revectorize: boolean): string {
  const lanes = dtype === 'f32' ? 4 : 2;
  const ops = k.fma ? `${dtype}x${lanes} relaxed_madd` : `${dtype}x${lanes} mul+add`;
  const paired = revectorize && k.tile.nrv % 2 === 0 ? ', paired for 256-bit' : '';
  return `${k.tile.mr}x${k.tile.nrv * lanes} ${ops}${paired}`;
}

interface Spec {
  readonly es: number; // element size in bytes
  readonly lanes: number;
  readonly scalar: ValType;
  readonly load: number;
  readonly store: number;
  readonly splat: number;
  readonly add: number;
  readonly mul: number;
  /** The relaxed fused multiply-add, when the micro-kernel uses it instead of `mul` then `add`. */
  readonly madd: number | undefined;
  readonly tile: TileShape;
}

function specOf(dtype: 'f32' | 'f64', tile: TileShape, fma = false): Spec {
  return dtype === 'f32'
    ? { es: 4, lanes: 4, scalar: F32, load: Op.f32Load, store: Op.f32Store, splat: Simd.load32Splat, add: Simd.f32x4Add, mul: Simd.f32x4Mul, madd: fma ? RelaxedSimd.f32x4Madd : undefined, tile }
    : { es: 8, lanes: 2, scalar: F64, load: Op.f64Load, store: Op.f64Store, splat: Simd.load64Splat, add: Simd.f64x2Add, mul: Simd.f64x2Mul, madd: fma ? RelaxedSimd.f64x2Madd : undefined, tile };
}

const log2 = (x: number): number => Math.log2(x) | 0;

/** `min(x, y)` of two i32 values pushed by the callbacks (both evaluated once each). */
function pushMin(f: Fn, x: () => void, y: () => void, tx: number, ty: number): void {
  x();
  f.tee(tx);
  y();
  f.tee(ty);
  f.get(tx).get(ty).op(Op.i32LtS).op(Op.select);
}

/**
 * micro(pa, pb, c, ldcBytes, kc, accumulate): C[MR x NR] (+)= Apanel · Bpanel.
 *
 * Written for V8's revectorizer: each row's accumulators are adjacent 16-byte
 * vectors, loaded and stored at adjacent offsets, and each k step updates them
 * in order with the same operations on adjacent B vectors and one broadcast of
 * A, so that the revectorizer can pair vectors 2v and 2v+1 into one 256-bit
 * register (it starts from pairs of adjacent stores and follows their
 * operands back). Read the result with `node --print-wasm-code`: the inner
 * loop of the paired 4 x 16 float32 kernel is two `vmovdqu ymm` loads of B,
 * four `vbroadcastss ymm`, eight `vmulps ymm` and eight `vaddps ymm` (eight
 * `vfmadd231ps ymm` when fused).
 */
function microKernel(s: Spec): Fn {
  const { mr, nrv } = s.tile;
  const nr = nrv * s.lanes;
  const f = new Fn([I32, I32, I32, I32, I32, I32]);
  const [pa, pb, c, ldc, kc, accumulate] = [0, 1, 2, 3, 4, 5];
  const acc: number[] = [];
  for (let i = 0; i < mr * nrv; i++) acc.push(f.local(V128));
  const bv: number[] = [];
  for (let v = 0; v < nrv; v++) bv.push(f.local(V128));
  const av = f.local(V128);
  const pbEnd = f.local(I32);
  const row = f.local(I32);

  f.ifElse(
    () => f.get(accumulate),
    () => {
      f.get(c).set(row);
      for (let i = 0; i < mr; i++) {
        for (let v = 0; v < nrv; v++) f.get(row).simdMem(Simd.load, v * 16, 4).set(acc[i * nrv + v]!);
        if (i < mr - 1) f.addTo(row, () => f.get(ldc));
      }
    },
    () => {
      for (const a of acc) f.zero128().set(a);
    },
  );

  // One k step per trip, as a do-while loop ending on B's panel pointer (kc >= 1).
  // Unrolling does not pay: TurboFan hoists every load of the unrolled body to
  // its top, and the extra live values spill to the stack.
  f.get(pb).get(kc).i32(nr * s.es).op(Op.i32Mul).op(Op.i32Add).set(pbEnd);
  f.loop(() => {
    for (let v = 0; v < nrv; v++) f.get(pb).simdMem(Simd.load, v * s.lanes * s.es, 4).set(bv[v]!);
    for (let i = 0; i < mr; i++) {
      f.get(pa).simdMem(s.splat, i * s.es, log2(s.es)).set(av);
      for (let v = 0; v < nrv; v++) {
        const a = acc[i * nrv + v]!;
        if (s.madd === undefined) f.get(a).get(av).get(bv[v]!).simd(s.mul).simd(s.add).set(a);
        else f.get(av).get(bv[v]!).get(a).simd(s.madd).set(a);
      }
    }
    f.addTo(pa, mr * s.es).addTo(pb, nr * s.es);
    f.get(pb).get(pbEnd).op(Op.i32Ne);
  });

  f.get(c).set(row);
  for (let i = 0; i < mr; i++) {
    for (let v = 0; v < nrv; v++) f.get(row).get(acc[i * nrv + v]!).simdMem(Simd.store, v * 16, 4);
    if (i < mr - 1) f.addTo(row, () => f.get(ldc));
  }
  return f;
}

/** Shuffle lane bytes picking 32-bit (or 64-bit) lanes: 0-3 (0-1) from the first operand, 4-7 (2-3) from the second. */
function laneBytes(lanes: readonly number[]): number[] {
  const size = 16 / lanes.length;
  return lanes.flatMap((l) => Array.from({ length: size }, (_, b) => l * size + b));
}

/**
 * Transpose the `L` x `L` block held in locals `v` (row q in v[q]) in place,
 * using `tmp` as scratch: 4 x 4 for f32 lanes, 2 x 2 for f64.
 */
function transpose(f: Fn, L: number, v: readonly number[], tmp: readonly number[]): void {
  const shuffle = (x: number, y: number, lanes: number[], to: number): void => void f.get(x).get(y).shuffle(laneBytes(lanes)).set(to);
  if (L === 2) {
    shuffle(v[0]!, v[1]!, [0, 2], tmp[0]!);
    shuffle(v[0]!, v[1]!, [1, 3], v[1]!);
    f.get(tmp[0]!).set(v[0]!);
    return;
  }
  // Interleave row pairs, then pairs of pairs.
  shuffle(v[0]!, v[1]!, [0, 4, 1, 5], tmp[0]!);
  shuffle(v[0]!, v[1]!, [2, 6, 3, 7], tmp[1]!);
  shuffle(v[2]!, v[3]!, [0, 4, 1, 5], tmp[2]!);
  shuffle(v[2]!, v[3]!, [2, 6, 3, 7], tmp[3]!);
  shuffle(tmp[0]!, tmp[2]!, [0, 1, 4, 5], v[0]!);
  shuffle(tmp[0]!, tmp[2]!, [2, 3, 6, 7], v[1]!);
  shuffle(tmp[1]!, tmp[3]!, [0, 1, 4, 5], v[2]!);
  shuffle(tmp[1]!, tmp[3]!, [2, 3, 6, 7], v[3]!);
}

/** Zero `bytes` (a multiple of 16) bytes at `ptr` (a local, left unchanged). */
function zeroFill(f: Fn, ptr: number, bytes: () => void, cursor: number, end: number): void {
  f.get(ptr).set(cursor);
  f.get(ptr);
  bytes();
  f.op(Op.i32Add).set(end);
  f.whileLoop(
    () => f.get(cursor).get(end).op(Op.i32LtS),
    () => {
      f.get(cursor).zero128().simdMem(Simd.store, 0, 4);
      f.addTo(cursor, 16);
    },
  );
}

/**
 * pack(src, ld, r0, rEnd, pc, kc, dst): pack rows (of the panel direction)
 * `r0 .. rEnd` and k indices `pc .. pc+kc` of a stored operand into panels `w`
 * wide, each `[kc][w]`, zero-padding the last panel.
 *
 * `contiguous`: the operand is stored `[k][ld]` with the panel direction
 * contiguous (A transposed, B plain), so each k step copies `w` adjacent
 * elements. Otherwise it is stored `[r][ld]` with k contiguous (A plain, B
 * transposed) and packing transposes.
 */
function packKernel(s: Spec, w: number, contiguous: boolean): Fn {
  const f = new Fn([I32, I32, I32, I32, I32, I32, I32]);
  const [src, ld, r0, rEnd, pc, kc, dst] = [0, 1, 2, 3, 4, 5, 6];
  const r = f.local(I32);
  const valid = f.local(I32);
  const sp = f.local(I32);
  const dp = f.local(I32);
  const p = f.local(I32);
  const t = f.local(I32);
  const cursor = f.local(I32);
  const end = f.local(I32);
  const panelBytes = f.local(I32);
  const tx = f.local(I32);
  const ty = f.local(I32);
  const esLog = log2(s.es);
  const vecs = (w * s.es) / 16;
  const kEnd = f.local(I32);
  const ldBytes = f.local(I32);
  const vin = Array.from({ length: s.lanes }, () => f.local(V128));
  const vtmp = Array.from({ length: s.lanes }, () => f.local(V128));
  f.get(ld).i32(esLog).op(Op.i32Shl).set(ldBytes);

  f.get(kc).i32(w * s.es).op(Op.i32Mul).set(panelBytes);
  f.forLoop(
    r,
    () => f.get(r0),
    () => f.get(rEnd),
    w,
    () => {
      pushMin(f, () => f.get(rEnd).get(r).op(Op.i32Sub), () => f.i32(w), tx, ty);
      f.set(valid);
      if (contiguous) {
        f.ifElse(
          () => f.get(valid).i32(w).op(Op.i32Eq),
          () => {
            // sp = src + (pc*ld + r)*es; each k step copies w elements.
            f.get(src).get(pc).get(ld).op(Op.i32Mul).get(r).op(Op.i32Add).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(sp);
            f.get(dst).set(dp);
            f.forLoop(p, () => f.i32(0), () => f.get(kc), 1, () => {
              for (let v = 0; v < vecs; v++) f.get(dp).get(sp).simdMem(Simd.load, v * 16, 0).simdMem(Simd.store, v * 16, 4);
              f.addTo(sp, () => f.get(ld).i32(esLog).op(Op.i32Shl));
              f.addTo(dp, w * s.es);
            });
          },
          () => {
            zeroFill(f, dst, () => f.get(panelBytes), cursor, end);
            f.forLoop(t, () => f.i32(0), () => f.get(valid), 1, () => {
              f.get(src).get(pc).get(ld).op(Op.i32Mul).get(r).op(Op.i32Add).get(t).op(Op.i32Add).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(sp);
              f.get(dst).get(t).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(dp);
              f.forLoop(p, () => f.i32(0), () => f.get(kc), 1, () => {
                f.get(dp).get(sp).mem(s.load, 0, esLog).mem(s.store, 0, esLog);
                f.addTo(sp, () => f.get(ld).i32(esLog).op(Op.i32Shl));
                f.addTo(dp, w * s.es);
              });
            });
          },
        );
      } else {
        // Scalar copy of rows [t0, valid) of the panel, k steps [p0, kc).
        const scalarRows = (t0: () => void, p0: () => void): void => {
          f.forLoop(t, t0, () => f.get(valid), 1, () => {
            // sp = src + ((r+t)*ld + pc + p0)*es; dp = dst + (p0*w + t)*es
            f.get(src).get(r).get(t).op(Op.i32Add).get(ld).op(Op.i32Mul).get(pc).op(Op.i32Add);
            p0();
            f.op(Op.i32Add).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(sp);
            f.get(dst);
            p0();
            f.i32(w).op(Op.i32Mul).get(t).op(Op.i32Add).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(dp);
            f.forLoop(p, p0, () => f.get(kc), 1, () => {
              f.get(dp).get(sp).mem(s.load, 0, esLog).mem(s.store, 0, esLog);
              f.addTo(sp, s.es);
              f.addTo(dp, w * s.es);
            });
          });
        };
        f.ifElse(
          () => f.get(valid).i32(w).op(Op.i32LtS),
          () => {
            zeroFill(f, dst, () => f.get(panelBytes), cursor, end);
            scalarRows(() => f.i32(0), () => f.i32(0));
          },
          () => {
            // A full panel: transpose blocks of `lanes` rows by `lanes` k steps
            // in registers, then finish the last kc % lanes steps one by one.
            const L = s.lanes;
            f.get(kc).i32(-L).op(Op.i32And).set(kEnd);
            for (let t0 = 0; t0 < w; t0 += L) {
              f.get(src).get(r).i32(t0).op(Op.i32Add).get(ld).op(Op.i32Mul).get(pc).op(Op.i32Add).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(sp);
              f.get(dst).i32(t0 * s.es).op(Op.i32Add).set(dp);
              f.forLoop(p, () => f.i32(0), () => f.get(kEnd), L, () => {
                for (let q = 0; q < L; q++) {
                  f.get(sp);
                  if (q > 0) f.get(ldBytes).i32(q).op(Op.i32Mul).op(Op.i32Add);
                  f.simdMem(Simd.load, 0, 0).set(vin[q]!);
                }
                transpose(f, L, vin, vtmp);
                for (let q = 0; q < L; q++) f.get(dp).get(vin[q]!).simdMem(Simd.store, q * w * s.es, 0);
                f.addTo(sp, L * s.es);
                f.addTo(dp, L * w * s.es);
              });
            }
            scalarRows(() => f.i32(0), () => f.get(kEnd));
          },
        );
      }
      f.addTo(dst, () => f.get(panelBytes));
    },
  );
  return f;
}

/** Function indices of one dtype's packing routines. */
interface Packers {
  readonly aCopy: number;
  readonly aTrans: number;
  readonly bCopy: number;
  readonly bTrans: number;
}

/** Call the packer of A (`which` 0) or B (1) for the operand's layout: `args` pushes (src, ld, r0, rEnd, pc, kc, dst). */
function callPack(f: Fn, packers: Packers, which: 0 | 1, transposed: number, args: () => void): void {
  // A is stored with its rows (the panel direction) contiguous when transposed; B when not.
  const [ifTrans, ifPlain] = which === 0 ? [packers.aCopy, packers.aTrans] : [packers.bTrans, packers.bCopy];
  f.ifElse(
    () => f.get(transposed),
    () => {
      args();
      f.call(ifTrans);
    },
    () => {
      args();
      f.call(ifPlain);
    },
  );
}

/**
 * prepack_T(which, src, transposed, rows, k, kcMax, dst): pack a whole
 * operand (A when `which` is 0, with `rows` = m; B when 1, with `rows` = n),
 * k block after k block: block `pc` starts at `dst + pc·roundUp(rows, W)·es`.
 * Threads then share it instead of each packing its own copy.
 */
function prepack(s: Spec, packers: Packers): Fn {
  const nr = s.tile.nrv * s.lanes;
  const f = new Fn([I32, I32, I32, I32, I32, I32, I32]);
  const [which, src, transposed, rows, k, kcMax, dst] = [0, 1, 2, 3, 4, 5, 6];
  const ld = f.local(I32);
  const pc = f.local(I32);
  const kc = f.local(I32);
  const padded = f.local(I32);
  const tx = f.local(I32);
  const ty = f.local(I32);
  const esLog = log2(s.es);
  // ld: A stored [m][k] (plain) or [k][m]; B stored [k][n] (plain) or [n][k].
  f.ifElse(
    () => f.get(transposed).get(which).op(Op.i32Eq),
    () => f.get(k).set(ld),
    () => f.get(rows).set(ld),
  );
  const body = (w: number, whichConst: 0 | 1): void => {
    f.get(rows).i32(w - 1).op(Op.i32Add).i32(-w).op(Op.i32And).set(padded);
    f.forLoop(pc, () => f.i32(0), () => f.get(k), () => f.get(kcMax), () => {
      pushMin(f, () => f.get(k).get(pc).op(Op.i32Sub), () => f.get(kcMax), tx, ty);
      f.set(kc);
      callPack(f, packers, whichConst, transposed, () => {
        f.get(src).get(ld).i32(0).get(rows).get(pc).get(kc);
        f.get(dst).get(pc).get(padded).op(Op.i32Mul).i32(esLog).op(Op.i32Shl).op(Op.i32Add);
      });
    });
  };
  f.ifElse(
    () => f.get(which),
    () => body(nr, 1),
    () => body(s.tile.mr, 0),
  );
  return f;
}

const DRIVER_PARAMS = 21;

/**
 * The driver: computes one chunk of C, looping over k, n and m blocks,
 * packing (or using the prepacked operand) and calling the micro-kernel.
 */
function driver(s: Spec, micro: number, packers: Packers): Fn {
  const { mr } = s.tile;
  const nr = s.tile.nrv * s.lanes;
  const f = new Fn(Array<ValType>(DRIVER_PARAMS).fill(I32));
  const p = Array.from({ length: DRIVER_PARAMS }, (_, i) => i);
  const [a, b, c, m, n, k, ta, tb, split, band, chunk, ldc, packBase, packStride, packABytes, slot, kcMax, mcMax, ncMax, prepacked, packedAt] = p as [
    number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
  ];
  const i0 = f.local(I32);
  const i1 = f.local(I32);
  const j0 = f.local(I32);
  const j1 = f.local(I32);
  const pa = f.local(I32); // this slot's buffer for A
  const pb = f.local(I32); // and for B
  const blockA = f.local(I32); // the packed A block in use
  const blockB = f.local(I32);
  const lda = f.local(I32);
  const ldb = f.local(I32);
  const pc = f.local(I32);
  const kc = f.local(I32);
  const jc = f.local(I32);
  const nc = f.local(I32);
  const ic = f.local(I32);
  const mc = f.local(I32);
  const jr = f.local(I32);
  const ir = f.local(I32);
  const tx = f.local(I32);
  const ty = f.local(I32);
  const esLog = log2(s.es);
  const shlEs = (): void => void f.i32(esLog).op(Op.i32Shl);

  // This chunk's rows [i0, i1) and columns [j0, j1), and this slot's packing buffers.
  const bandOf = (lo: number, hi: number, size: number): void => {
    f.get(chunk).get(band).op(Op.i32Mul).set(lo);
    pushMin(f, () => f.get(lo).get(band).op(Op.i32Add), () => f.get(size), tx, ty);
    f.set(hi);
  };
  f.ifElse(
    () => f.get(split),
    () => {
      bandOf(i0, i1, m);
      f.i32(0).set(j0);
      f.get(n).set(j1);
    },
    () => {
      bandOf(j0, j1, n);
      f.i32(0).set(i0);
      f.get(m).set(i1);
    },
  );
  f.get(packBase).get(slot).get(packStride).op(Op.i32Mul).op(Op.i32Add).tee(pa).get(packABytes).op(Op.i32Add).set(pb);
  f.ifElse(() => f.get(ta), () => f.get(m).set(lda), () => f.get(k).set(lda));
  f.ifElse(() => f.get(tb), () => f.get(k).set(ldb), () => f.get(n).set(ldb));

  f.forLoop(pc, () => f.i32(0), () => f.get(k), () => f.get(kcMax), () => {
    pushMin(f, () => f.get(k).get(pc).op(Op.i32Sub), () => f.get(kcMax), tx, ty);
    f.set(kc);
    f.forLoop(jc, () => f.get(j0), () => f.get(j1), () => f.get(ncMax), () => {
      pushMin(f, () => f.get(j1).get(jc).op(Op.i32Sub), () => f.get(ncMax), tx, ty);
      f.set(nc);
      f.ifElse(
        () => f.get(prepacked).i32(2).op(Op.i32Eq),
        () => {
          // blockB = packedAt + (pc·roundUp(n, NR) + jc·kc)·es
          f.get(packedAt).get(pc).get(n).i32(nr - 1).op(Op.i32Add).i32(-nr).op(Op.i32And).op(Op.i32Mul);
          f.get(jc).get(kc).op(Op.i32Mul).op(Op.i32Add);
          shlEs();
          f.op(Op.i32Add).set(blockB);
        },
        () => {
          callPack(f, packers, 1, tb, () => void f.get(b).get(ldb).get(jc).get(jc).get(nc).op(Op.i32Add).get(pc).get(kc).get(pb));
          f.get(pb).set(blockB);
        },
      );
      f.forLoop(ic, () => f.get(i0), () => f.get(i1), () => f.get(mcMax), () => {
        pushMin(f, () => f.get(i1).get(ic).op(Op.i32Sub), () => f.get(mcMax), tx, ty);
        f.set(mc);
        f.ifElse(
          () => f.get(prepacked).i32(1).op(Op.i32Eq),
          () => {
            // blockA = packedAt + (pc·roundUp(m, MR) + ic·kc)·es
            f.get(packedAt).get(pc).get(m).i32(mr - 1).op(Op.i32Add).i32(-mr).op(Op.i32And).op(Op.i32Mul);
            f.get(ic).get(kc).op(Op.i32Mul).op(Op.i32Add);
            shlEs();
            f.op(Op.i32Add).set(blockA);
          },
          () => {
            callPack(f, packers, 0, ta, () => void f.get(a).get(lda).get(ic).get(ic).get(mc).op(Op.i32Add).get(pc).get(kc).get(pa));
            f.get(pa).set(blockA);
          },
        );
        f.forLoop(jr, () => f.i32(0), () => f.get(nc), nr, () => {
          f.forLoop(ir, () => f.i32(0), () => f.get(mc), mr, () => {
            // micro(blockA + ir·kc·es, blockB + jr·kc·es, c + ((ic+ir)·ldc + jc+jr)·es, ldc·es, kc, pc > 0)
            f.get(blockA).get(ir).get(kc).op(Op.i32Mul);
            shlEs();
            f.op(Op.i32Add);
            f.get(blockB).get(jr).get(kc).op(Op.i32Mul);
            shlEs();
            f.op(Op.i32Add);
            f.get(c).get(ic).get(ir).op(Op.i32Add).get(ldc).op(Op.i32Mul).get(jc).op(Op.i32Add).get(jr).op(Op.i32Add);
            shlEs();
            f.op(Op.i32Add);
            f.get(ldc);
            shlEs();
            f.get(kc);
            f.get(pc).i32(0).op(Op.i32GtS);
            f.call(micro);
          });
        });
      });
    });
  });
  return f;
}

/**
 * Append the gemm of one dtype (micro-kernel, packers, driver, prepack) to a
 * module's function list, so that a generated module can call products
 * without crossing instances. `indexBase` is the number of functions the
 * module imports (defined functions are numbered after them); `kernels`
 * defaults to this process's ({@link runtimeGemmKernels}): keep the default
 * unless the tiles the caller plans with are the same. Returns the
 * module-wide indices of the driver and of prepack.
 */
export function appendGemm(
  functions: { fn: Fn; exportAs?: string }[],
  dtype: 'f32' | 'f64',
  indexBase = 0,
  kernels: GemmKernels = runtimeGemmKernels(),
  exportAs?: { readonly driver: string; readonly prepack: string },
): { readonly driver: number; readonly prepack: number } {
  const s = specOf(dtype, kernels[dtype].tile, kernels[dtype].fma);
  const nr = s.tile.nrv * s.lanes;
  const base = indexBase + functions.length;
  const packers: Packers = { aCopy: base + 1, aTrans: base + 2, bCopy: base + 3, bTrans: base + 4 };
  functions.push({ fn: microKernel(s) });
  functions.push({ fn: packKernel(s, s.tile.mr, true) });
  functions.push({ fn: packKernel(s, s.tile.mr, false) });
  functions.push({ fn: packKernel(s, nr, true) });
  functions.push({ fn: packKernel(s, nr, false) });
  functions.push(exportAs ? { fn: driver(s, base, packers), exportAs: exportAs.driver } : { fn: driver(s, base, packers) });
  functions.push(exportAs ? { fn: prepack(s, packers), exportAs: exportAs.prepack } : { fn: prepack(s, packers) });
  return { driver: base + 5, prepack: base + 6 };
}

/**
 * Build the module's bytes: `gemm_f32` / `prepack_f32` and `gemm_f64` /
 * `prepack_f64` with the given micro-kernels (default: this process's; an
 * `fma` kernel validates only where relaxed SIMD does).
 */
export function buildGemmModule(memory: { initial: number; maximum: number; shared: boolean }, kernels: GemmKernels = runtimeGemmKernels()): Uint8Array {
  const functions: { fn: Fn; exportAs?: string }[] = [];
  for (const dtype of ['f32', 'f64'] as const) appendGemm(functions, dtype, 0, kernels, { driver: `gemm_${dtype}`, prepack: `prepack_${dtype}` });
  return encodeModule({ memory, functions });
}
