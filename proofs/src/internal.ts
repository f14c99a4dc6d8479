/**
 * Helpers shared by the checkers: pytree leaf paths, flat data access,
 * error measures and number formatting. Internal to `@mnemo/proofs`.
 *
 * @module
 * @internal
 */
import { Tensor, unsafeDataOf, unsafeFromData, allocate, type TypedArray } from '@mnemo/core';

/**
 * The path of every leaf of a pytree, in the order `tree.flatten` visits them
 * (arrays in order, records by sorted key): `args[1].w`, `state[0]`.
 */
export function leafPaths(x: unknown, base: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (v instanceof Tensor) out.push(path);
    else if (Array.isArray(v)) v.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v).sort()) walk((v as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`);
    }
  };
  walk(x, base);
  return out;
}

/** The row-major multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  let r = i;
  for (let a = shape.length - 1; a >= 0; a--) {
    const d = shape[a]!;
    idx[a] = r % d;
    r = Math.floor(r / d);
  }
  return idx;
}

/** `path[i, j]`, or `path` for a scalar. */
export function elementName(path: string, shape: readonly number[], flat: number): string {
  return shape.length === 0 ? path : `${path}[${unravel(flat, shape).join(', ')}]`;
}

/** A copy of `x` with element `i` replaced. */
export function withElement(x: Tensor, i: number, value: number): Tensor {
  const d = allocate(x.dtype, x.size);
  d.set(unsafeDataOf(x));
  d[i] = value;
  return unsafeFromData(d, x.shape);
}

/** A new tensor of `x`'s dtype and shape holding `values` (rounded to the dtype). */
export function fromValues(x: Tensor, values: ArrayLike<number>): Tensor {
  const d = allocate(x.dtype, x.size);
  for (let i = 0; i < x.size; i++) d[i] = values[i]!;
  return unsafeFromData(d, x.shape);
}

/** The data of `x` without a copy (never written). */
export const dataOf = (x: Tensor): TypedArray => unsafeDataOf(x);

/** The relative error as reported: `|a - n| / max(|a|, |n|, floor)`. */
export function relError(a: number, n: number, floor: number): number {
  const d = Math.abs(a - n);
  if (d === 0) return 0;
  return d / Math.max(Math.abs(a), Math.abs(n), floor);
}

/** Whether `a` passes against `n`: `|a - n| <= atol + rtol |n|` (as numpy.allclose). */
export function close(a: number, n: number, atol: number, rtol: number): boolean {
  return Math.abs(a - n) <= atol + rtol * Math.abs(n);
}

/** How far outside the tolerance an element is (<= 1 passes). */
export function violation(a: number, n: number, atol: number, rtol: number): number {
  return Math.abs(a - n) / (atol + rtol * Math.abs(n));
}

/** A short scientific rendering: `1.2e-7`, `0`. */
export function sci(v: number, digits = 1): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return String(v);
  return v.toExponential(digits);
}

/** A number as the user would type it: `1e-6`, `0.001`. */
export function num(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v);
}

/** `v` to `digits` significant digits, without trailing zeros. */
export function sig(v: number, digits: number): string {
  return String(Number(v.toPrecision(digits)));
}

/** Running error statistics over pairs (analytic, numeric). */
export class ErrorStats {
  count = 0;
  maxAbs = 0;
  maxRel = 0;
  private diff2 = 0;
  private num2 = 0;
  private ana2 = 0;
  failed = 0;

  constructor(
    private readonly atol: number,
    private readonly rtol: number,
  ) {}

  add(a: number, n: number): boolean {
    this.count++;
    const d = Math.abs(a - n);
    if (d > this.maxAbs) this.maxAbs = d;
    const r = relError(a, n, this.atol);
    if (r > this.maxRel) this.maxRel = r;
    this.diff2 += d * d;
    this.num2 += n * n;
    this.ana2 += a * a;
    const ok = close(a, n, this.atol, this.rtol);
    if (!ok) this.failed++;
    return ok;
  }

  /** `||a - n|| / max(||a||, ||n||)` over everything added (0 when both are zero). */
  get normRel(): number {
    if (this.diff2 === 0) return 0;
    return Math.sqrt(this.diff2) / Math.max(Math.sqrt(this.num2), Math.sqrt(this.ana2));
  }

  /** The Euclidean norm of the analytic values. */
  get analyticNorm(): number {
    return Math.sqrt(this.ana2);
  }
}
