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
 * `gemm_T(a, b, c, m, n, k, transA, transB, i0, i1, j0, j1, ldc, packA, packB, kcMax, mcMax, ncMax)`
 * computes the tiles of C with rows in `[i0, i1)` and columns in `[j0, j1)`
 * (pointers are byte addresses; `ldc` is C's row stride in elements; `i0`,
 * `j0`, `mcMax` and `ncMax` are multiples of `MR` and `NR`).
 *
 * @module
 */
import { Fn, F32, F64, I32, Op, Simd, V128, encodeModule, type ValType } from './wasm-emit.js';

/** The register tile of the micro-kernel: `mr` rows by `nrv` SIMD vectors. */
export interface TileShape {
  readonly mr: number;
  readonly nrv: number;
}

/** Tile shapes that measured best on a 2-core Zen 3 under Node 20. */
export const DEFAULT_TILES: { readonly f32: TileShape; readonly f64: TileShape } = {
  f32: { mr: 4, nrv: 2 },
  f64: { mr: 4, nrv: 2 },
};

interface Spec {
  readonly es: number; // element size in bytes
  readonly lanes: number;
  readonly scalar: ValType;
  readonly load: number;
  readonly store: number;
  readonly splat: number;
  readonly add: number;
  readonly mul: number;
  readonly tile: TileShape;
}

function specOf(dtype: 'f32' | 'f64', tile: TileShape): Spec {
  return dtype === 'f32'
    ? { es: 4, lanes: 4, scalar: F32, load: Op.f32Load, store: Op.f32Store, splat: Simd.load32Splat, add: Simd.f32x4Add, mul: Simd.f32x4Mul, tile }
    : { es: 8, lanes: 2, scalar: F64, load: Op.f64Load, store: Op.f64Store, splat: Simd.load64Splat, add: Simd.f64x2Add, mul: Simd.f64x2Mul, tile };
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
        f.get(a).get(av).get(bv[v]!).simd(s.mul).simd(s.add).set(a);
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
        f.ifElse(() => f.get(valid).i32(w).op(Op.i32LtS), () => zeroFill(f, dst, () => f.get(panelBytes), cursor, end));
        f.forLoop(t, () => f.i32(0), () => f.get(valid), 1, () => {
          // sp = src + ((r+t)*ld + pc)*es; dp = dst + t*es
          f.get(src).get(r).get(t).op(Op.i32Add).get(ld).op(Op.i32Mul).get(pc).op(Op.i32Add).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(sp);
          f.get(dst).get(t).i32(esLog).op(Op.i32Shl).op(Op.i32Add).set(dp);
          f.forLoop(p, () => f.i32(0), () => f.get(kc), 1, () => {
            f.get(dp).get(sp).mem(s.load, 0, esLog).mem(s.store, 0, esLog);
            f.addTo(sp, s.es);
            f.addTo(dp, w * s.es);
          });
        });
      }
      f.addTo(dst, () => f.get(panelBytes));
    },
  );
  return f;
}

/** The driver: loops over k, n and m blocks, packs, and calls the micro-kernel. */
function driver(s: Spec, micro: number, packA: { copy: number; trans: number }, packB: { copy: number; trans: number }): Fn {
  const { mr } = s.tile;
  const nr = s.tile.nrv * s.lanes;
  const f = new Fn(Array<ValType>(18).fill(I32));
  const [a, b, c, m, n, k, ta, tb, i0, i1, j0, j1, ldc, pa, pb, kcMax, mcMax, ncMax] = Array.from({ length: 18 }, (_, i) => i) as [
    number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
  ];
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

  f.ifElse(() => f.get(ta), () => f.get(m).set(lda), () => f.get(k).set(lda));
  f.ifElse(() => f.get(tb), () => f.get(k).set(ldb), () => f.get(n).set(ldb));
  f.forLoop(pc, () => f.i32(0), () => f.get(k), () => f.get(kcMax), () => {
    pushMin(f, () => f.get(k).get(pc).op(Op.i32Sub), () => f.get(kcMax), tx, ty);
    f.set(kc);
    f.forLoop(jc, () => f.get(j0), () => f.get(j1), () => f.get(ncMax), () => {
      pushMin(f, () => f.get(j1).get(jc).op(Op.i32Sub), () => f.get(ncMax), tx, ty);
      f.set(nc);
      const argsB = (): void => void f.get(b).get(ldb).get(jc).get(jc).get(nc).op(Op.i32Add).get(pc).get(kc).get(pb);
      f.ifElse(() => f.get(tb), () => {
          argsB();
          f.call(packB.trans);
        },
        () => {
          argsB();
          f.call(packB.copy);
        },
      );
      f.forLoop(ic, () => f.get(i0), () => f.get(i1), () => f.get(mcMax), () => {
        pushMin(f, () => f.get(i1).get(ic).op(Op.i32Sub), () => f.get(mcMax), tx, ty);
        f.set(mc);
        const argsA = (): void => void f.get(a).get(lda).get(ic).get(ic).get(mc).op(Op.i32Add).get(pc).get(kc).get(pa);
        f.ifElse(() => f.get(ta), () => {
            argsA();
            f.call(packA.copy);
          },
          () => {
            argsA();
            f.call(packA.trans);
          },
        );
        f.forLoop(jr, () => f.i32(0), () => f.get(nc), nr, () => {
          f.forLoop(ir, () => f.i32(0), () => f.get(mc), mr, () => {
            // micro(pa + ir*kc*es, pb + jr*kc*es, c + ((ic+ir)*ldc + jc+jr)*es, ldc*es, kc, pc > 0)
            f.get(pa).get(ir).get(kc).op(Op.i32Mul).i32(esLog).op(Op.i32Shl).op(Op.i32Add);
            f.get(pb).get(jr).get(kc).op(Op.i32Mul).i32(esLog).op(Op.i32Shl).op(Op.i32Add);
            f.get(c).get(ic).get(ir).op(Op.i32Add).get(ldc).op(Op.i32Mul).get(jc).op(Op.i32Add).get(jr).op(Op.i32Add).i32(esLog).op(Op.i32Shl).op(Op.i32Add);
            f.get(ldc).i32(esLog).op(Op.i32Shl);
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

/** Build the module's bytes. `tiles` overrides the register tiles (for tuning). */
export function buildGemmModule(
  memory: { initial: number; maximum: number; shared: boolean },
  tiles: { f32: TileShape; f64: TileShape } = DEFAULT_TILES,
): Uint8Array {
  const functions: { fn: Fn; exportAs?: string }[] = [];
  for (const dtype of ['f32', 'f64'] as const) {
    const s = specOf(dtype, tiles[dtype]);
    const nr = s.tile.nrv * s.lanes;
    const base = functions.length;
    functions.push({ fn: microKernel(s) });
    functions.push({ fn: packKernel(s, s.tile.mr, true) });
    functions.push({ fn: packKernel(s, s.tile.mr, false) });
    functions.push({ fn: packKernel(s, nr, true) });
    functions.push({ fn: packKernel(s, nr, false) });
    functions.push({ fn: driver(s, base, { copy: base + 1, trans: base + 2 }, { copy: base + 3, trans: base + 4 }), exportAs: `gemm_${dtype}` });
  }
  return encodeModule({ memory, functions });
}
