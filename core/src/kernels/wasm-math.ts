/**
 * Elementwise math on SIMD registers for generated loops: every unary,
 * binary and comparison primitive of the backend, four float32 lanes or
 * two float64 lanes at a time, with the same semantics as the cpu
 * backend's JavaScript loops (NaN in, NaN out; comparisons give 1 or 0;
 * `round` is half to even).
 *
 * exp is range-reduced, x = n ln2 + r with |r| <= ln2/2 (ln2 split in two
 * so that n · ln2_hi is exact), e^r from its Taylor polynomial (degree 7 in
 * float32, 13 in float64: truncation below the dtype's rounding), and 2^n
 * applied as two exact powers of two so that overflow gives Infinity and
 * subnormal results round once. expm1 uses the same reduction with
 * e^r - 1 from its own polynomial: 2^n (e^r - 1) + (2^n - 1) is exact for
 * n = 0, so small arguments keep their relative accuracy. tanh(x) =
 * sign(x) · e / (e + 2) with e = expm1(2|x|); sigmoid(x) = 1 / (1 + e^-x).
 * Against JavaScript's Math functions the float64 results differ by a few
 * units in the last place. log, log1p, sin, cos and pow call the host's
 * Math functions lane by lane (exact, slower).
 *
 * Internal to the kernels folder: the sequence compiler's loops use it.
 *
 * @module
 */
import type { BinaryOp, CompareOp, UnaryOp } from '../backend.js';
import { MnemoError, formatValue } from '../errors.js';
import { F64, Fn, Op2, Simd2, V128 } from './wasm-emit.js';

/** Host functions the generated module imports (module `math`), lane by lane. */
export const MATH_IMPORTS = [
  { name: 'log', arity: 1, fn: Math.log },
  { name: 'log1p', arity: 1, fn: Math.log1p },
  { name: 'sin', arity: 1, fn: Math.sin },
  { name: 'cos', arity: 1, fn: Math.cos },
  { name: 'pow', arity: 2, fn: Math.pow },
] as const;

/** The import object for {@link MATH_IMPORTS}. */
export function mathImportObject(): Record<string, (...args: number[]) => number> {
  return Object.fromEntries(MATH_IMPORTS.map((m) => [m.name, m.fn as (...args: number[]) => number]));
}

const LOG2E = Math.LOG2E;
const LN2_HI_32 = 0.693359375;
const LN2_LO_32 = Math.LN2 - LN2_HI_32;
const LN2_HI_64 = 6.93147180369123816490e-1;
const LN2_LO_64 = 1.90821492927058770002e-10;
const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));

/**
 * Emitters of one function: each reads its operands from v128 locals and
 * returns a new local holding the result.
 */
export class VecMath {
  readonly lanes: number;
  private readonly one: number;
  private readonly zero: number;

  constructor(
    readonly f: Fn,
    readonly f64: boolean,
    /** Fused multiply-add (relaxed SIMD) where the runtime has it. */
    readonly fma: boolean,
    /** Function index of each of {@link MATH_IMPORTS}, by name. */
    private readonly calls: Readonly<Record<string, number>>,
  ) {
    this.lanes = f64 ? 2 : 4;
    this.one = this.constant(1);
    this.zero = this.constant(0);
  }

  private op(f32: number, f64: number): number {
    return this.f64 ? f64 : f32;
  }

  /** A new v128 local holding `value` in every lane. */
  constant(value: number): number {
    const l = this.f.local(V128);
    this.pushConst(value);
    this.f.set(l);
    return l;
  }

  private pushConst(value: number): void {
    if (this.f64) this.f.f64x2(value);
    else this.f.f32x4(value);
  }

  private out(emit: () => void): number {
    const l = this.f.local(V128);
    emit();
    this.f.set(l);
    return l;
  }

  private bin(code: number, a: number, b: number): number {
    return this.out(() => this.f.get(a).get(b).simd(code));
  }

  /** `a * b + c` (fused where the runtime allows). */
  private madd(a: () => void, b: () => void, c: () => void): void {
    if (this.fma) {
      a();
      b();
      c();
      this.f.simd(this.op(Simd2.f32x4RelaxedMadd, Simd2.f64x2RelaxedMadd));
    } else {
      a();
      b();
      this.f.simd(this.op(Simd2.f32x4Mul, Simd2.f64x2Mul));
      c();
      this.f.simd(this.op(Simd2.f32x4Add, Simd2.f64x2Add));
    }
  }

  /** Horner's rule: coefficients from the highest power down, in `r` (a local); result left on the stack. */
  private horner(r: number, coeffs: readonly number[]): void {
    this.pushConst(coeffs[0]!);
    for (let i = 1; i < coeffs.length; i++) {
      const acc = this.f.local(V128);
      this.f.set(acc);
      this.madd(() => this.f.get(acc), () => this.f.get(r), () => this.pushConst(coeffs[i]!));
    }
  }

  /** A mask (all ones where true) to 1 or 0. */
  private maskToOne(mask: () => void): number {
    return this.out(() => {
      mask();
      this.f.get(this.one).simd(Simd2.v128And);
    });
  }

  binary(op: BinaryOp | CompareOp, a: number, b: number): number {
    const f = this.f;
    switch (op) {
      case 'add':
        return this.bin(this.op(Simd2.f32x4Add, Simd2.f64x2Add), a, b);
      case 'sub':
        return this.bin(this.op(Simd2.f32x4Sub, Simd2.f64x2Sub), a, b);
      case 'mul':
        return this.bin(this.op(Simd2.f32x4Mul, Simd2.f64x2Mul), a, b);
      case 'div':
        return this.bin(this.op(Simd2.f32x4Div, Simd2.f64x2Div), a, b);
      case 'maximum':
        return this.bin(this.op(Simd2.f32x4Max, Simd2.f64x2Max), a, b);
      case 'minimum':
        return this.bin(this.op(Simd2.f32x4Min, Simd2.f64x2Min), a, b);
      case 'pow':
        return this.laneCall2(this.calls['pow']!, a, b);
      case 'equal':
        return this.maskToOne(() => f.get(a).get(b).simd(this.op(Simd2.f32x4Eq, Simd2.f64x2Eq)));
      case 'notEqual':
        return this.maskToOne(() => f.get(a).get(b).simd(this.op(Simd2.f32x4Ne, Simd2.f64x2Ne)));
      case 'less':
        return this.maskToOne(() => f.get(a).get(b).simd(this.op(Simd2.f32x4Lt, Simd2.f64x2Lt)));
      case 'lessEqual':
        return this.maskToOne(() => f.get(a).get(b).simd(this.op(Simd2.f32x4Le, Simd2.f64x2Le)));
      case 'greater':
        return this.maskToOne(() => f.get(a).get(b).simd(this.op(Simd2.f32x4Gt, Simd2.f64x2Gt)));
      case 'greaterEqual':
        return this.maskToOne(() => f.get(a).get(b).simd(this.op(Simd2.f32x4Ge, Simd2.f64x2Ge)));
      default:
        // A primitive added to the list without a loop emitter: the compiler declines the step (the tape runs it).
        throw new MnemoError('compileSequence', typeof op === 'string' ? op : formatValue(op), 'has no emitter in the compiled loops yet; the step runs on the tape');
    }
  }

  /** `c != 0 ? a : b`. */
  select(c: number, a: number, b: number): number {
    return this.out(() => {
      this.f.get(a).get(b);
      this.f.get(c).get(this.zero).simd(this.op(Simd2.f32x4Ne, Simd2.f64x2Ne));
      this.f.simd(Simd2.v128Bitselect);
    });
  }

  unary(op: UnaryOp, x: number): number {
    const f = this.f;
    const o = (f32: number, f64: number): number => this.op(f32, f64);
    switch (op) {
      case 'neg':
        return this.out(() => f.get(x).simd(o(Simd2.f32x4Neg, Simd2.f64x2Neg)));
      case 'abs':
        return this.out(() => f.get(x).simd(o(Simd2.f32x4Abs, Simd2.f64x2Abs)));
      case 'sqrt':
        return this.out(() => f.get(x).simd(o(Simd2.f32x4Sqrt, Simd2.f64x2Sqrt)));
      case 'rsqrt':
        return this.out(() => f.get(this.one).get(x).simd(o(Simd2.f32x4Sqrt, Simd2.f64x2Sqrt)).simd(o(Simd2.f32x4Div, Simd2.f64x2Div)));
      case 'square':
        return this.bin(o(Simd2.f32x4Mul, Simd2.f64x2Mul), x, x);
      case 'reciprocal':
        return this.bin(o(Simd2.f32x4Div, Simd2.f64x2Div), this.one, x);
      case 'floor':
        return this.out(() => f.get(x).simd(o(Simd2.f32x4Floor, Simd2.f64x2Floor)));
      case 'ceil':
        return this.out(() => f.get(x).simd(o(Simd2.f32x4Ceil, Simd2.f64x2Ceil)));
      case 'round':
        return this.out(() => f.get(x).simd(o(Simd2.f32x4Nearest, Simd2.f64x2Nearest)));
      case 'relu':
        return this.bin(o(Simd2.f32x4Max, Simd2.f64x2Max), x, this.zero);
      case 'sign': {
        const minus = this.constant(-1);
        return this.out(() => {
          f.get(this.one);
          f.get(minus).get(x).get(x).get(this.zero).simd(o(Simd2.f32x4Lt, Simd2.f64x2Lt)).simd(Simd2.v128Bitselect);
          f.get(x).get(this.zero).simd(o(Simd2.f32x4Gt, Simd2.f64x2Gt)).simd(Simd2.v128Bitselect);
        });
      }
      case 'step':
        return this.out(() => {
          f.get(x);
          f.get(this.one).get(this.zero).get(x).get(this.zero).simd(o(Simd2.f32x4Gt, Simd2.f64x2Gt)).simd(Simd2.v128Bitselect);
          f.get(x).get(x).simd(o(Simd2.f32x4Ne, Simd2.f64x2Ne)).simd(Simd2.v128Bitselect);
        });
      case 'exp':
        return this.exp(x);
      case 'expm1':
        return this.expm1(x);
      case 'sigmoid': {
        const nx = this.out(() => f.get(x).simd(o(Simd2.f32x4Neg, Simd2.f64x2Neg)));
        const e = this.exp(nx);
        return this.out(() => f.get(this.one).get(this.one).get(e).simd(o(Simd2.f32x4Add, Simd2.f64x2Add)).simd(o(Simd2.f32x4Div, Simd2.f64x2Div)));
      }
      case 'tanh':
        return this.tanh(x);
      case 'log':
      case 'log1p':
      case 'sin':
      case 'cos':
        return this.laneCall(this.calls[op]!, x);
      default:
        // A primitive added to the list without a loop emitter: the compiler declines the step (the tape runs it).
        throw new MnemoError('compileSequence', typeof op === 'string' ? op : formatValue(op), 'has no emitter in the compiled loops yet; the step runs on the tape');
    }
  }

  /** n = nearest(a · log2 e) and r = a - n ln2 (in two parts), for clamped `a`. */
  private reduce(a: number): { n: number; r: number } {
    const f = this.f;
    const mul = this.op(Simd2.f32x4Mul, Simd2.f64x2Mul);
    const sub = this.op(Simd2.f32x4Sub, Simd2.f64x2Sub);
    const n = this.out(() => {
      f.get(a);
      this.pushConst(LOG2E);
      f.simd(mul).simd(this.op(Simd2.f32x4Nearest, Simd2.f64x2Nearest));
    });
    const r = this.out(() => {
      f.get(a).get(n);
      this.pushConst(this.f64 ? LN2_HI_64 : LN2_HI_32);
      f.simd(mul).simd(sub).get(n);
      this.pushConst(this.f64 ? LN2_LO_64 : LN2_LO_32);
      f.simd(mul).simd(sub);
    });
    return { n, r };
  }

  private clamp(x: number, lo: number, hi: number): number {
    return this.out(() => {
      this.f.get(x);
      this.pushConst(hi);
      this.f.simd(this.op(Simd2.f32x4Pmin, Simd2.f64x2Pmin));
      this.pushConst(lo);
      this.f.simd(this.op(Simd2.f32x4Pmax, Simd2.f64x2Pmax));
    });
  }

  /** Push 2^k for the integer-valued lanes of local `k` (exponent in range); `halve`: 2^(k >> 1) or 2^(k - (k >> 1)). */
  private pow2(k: number, part: 'all' | 'low' | 'high'): void {
    const f = this.f;
    if (!this.f64) {
      const ki = this.out(() => f.get(k).simd(Simd2.i32x4TruncSatF32x4S));
      const h = this.out(() => f.get(ki).i32(1).simd(Simd2.i32x4ShrS));
      if (part === 'all') f.get(ki);
      else if (part === 'low') f.get(h);
      else f.get(ki).get(h).simd(Simd2.i32x4Sub);
      f.i32x4(127).simd(Simd2.i32x4Add).i32(23).simd(Simd2.i32x4Shl);
      return;
    }
    // k + 1.5·2^52 holds k in its low bits: subtract the constant's bits to get k as an integer.
    const ki = this.out(() => {
      f.get(k).f64x2(6755399441055744).simd(Simd2.f64x2Add);
      f.i64x2(0x4338000000000000n).simd(Simd2.i64x2Sub);
    });
    const h = this.out(() => f.get(ki).i32(1).simd(Simd2.i64x2ShrS));
    if (part === 'all') f.get(ki);
    else if (part === 'low') f.get(h);
    else f.get(ki).get(h).simd(Simd2.i64x2Sub);
    f.i64x2(1023n).simd(Simd2.i64x2Add).i32(52).simd(Simd2.i64x2Shl);
  }

  exp(x: number): number {
    const f = this.f;
    const mul = this.op(Simd2.f32x4Mul, Simd2.f64x2Mul);
    const a = this.f64 ? this.clamp(x, -746, 710) : this.clamp(x, -104, 89);
    const { n, r } = this.reduce(a);
    const degree = this.f64 ? 13 : 7;
    const coeffs = Array.from({ length: degree + 1 }, (_, i) => 1 / factorial(degree - i));
    return this.out(() => {
      this.horner(r, coeffs);
      this.pow2(n, 'low');
      f.simd(mul);
      this.pow2(n, 'high');
      f.simd(mul);
    });
  }

  expm1(x: number): number {
    const f = this.f;
    const mul = this.op(Simd2.f32x4Mul, Simd2.f64x2Mul);
    const add = this.op(Simd2.f32x4Add, Simd2.f64x2Add);
    const sub = this.op(Simd2.f32x4Sub, Simd2.f64x2Sub);
    const a = this.f64 ? this.clamp(x, -40, 710) : this.clamp(x, -20, 89);
    const { n, r } = this.reduce(a);
    const degree = this.f64 ? 13 : 7;
    // q = r + r² (1/2 + r/6 + ...)
    const coeffs = Array.from({ length: degree - 1 }, (_, i) => 1 / factorial(degree - i));
    const q = this.out(() => {
      this.horner(r, coeffs);
      f.get(r).simd(mul).get(r).simd(mul).get(r).simd(add);
    });
    // 2^n: one factor (n <= 128 in float32, 1024 in float64: Infinity past the largest finite value)
    const s = this.out(() => this.pow2(n, 'all'));
    return this.out(() => {
      f.get(s).get(q).simd(mul);
      f.get(s).get(this.one).simd(sub);
      f.simd(add);
    });
  }

  tanh(x: number): number {
    const f = this.f;
    const t = this.out(() => {
      f.get(x).simd(this.op(Simd2.f32x4Abs, Simd2.f64x2Abs));
      this.pushConst(2);
      f.simd(this.op(Simd2.f32x4Mul, Simd2.f64x2Mul));
      this.pushConst(this.f64 ? 40 : 20);
      f.simd(this.op(Simd2.f32x4Min, Simd2.f64x2Min));
    });
    const e = this.expm1(t);
    const two = this.constant(2);
    return this.out(() => {
      f.get(e).get(e).get(two).simd(this.op(Simd2.f32x4Add, Simd2.f64x2Add)).simd(this.op(Simd2.f32x4Div, Simd2.f64x2Div));
      // x's sign (-0 included) on the non-negative result
      f.get(x);
      if (this.f64) f.i64x2(-0x8000000000000000n);
      else f.i32x4(-0x80000000);
      f.simd(Simd2.v128And).simd(Simd2.v128Or);
    });
  }

  /** A host function of one argument, lane by lane. */
  private laneCall(fnIndex: number, x: number): number {
    const f = this.f;
    const res = this.f.local(V128);
    f.get(x).set(res);
    for (let l = 0; l < this.lanes; l++) {
      f.get(res);
      if (this.f64) f.get(x).lane(Simd2.f64x2ExtractLane, l).call(fnIndex).lane(Simd2.f64x2ReplaceLane, l);
      else f.get(x).lane(Simd2.f32x4ExtractLane, l).op(Op2.f64PromoteF32).call(fnIndex).op(Op2.f32DemoteF64).lane(Simd2.f32x4ReplaceLane, l);
      f.set(res);
    }
    return res;
  }

  /** A host function of two arguments, lane by lane. */
  private laneCall2(fnIndex: number, a: number, b: number): number {
    const f = this.f;
    const res = this.f.local(V128);
    f.get(a).set(res);
    for (let l = 0; l < this.lanes; l++) {
      f.get(res);
      if (this.f64) {
        f.get(a).lane(Simd2.f64x2ExtractLane, l).get(b).lane(Simd2.f64x2ExtractLane, l).call(fnIndex).lane(Simd2.f64x2ReplaceLane, l);
      } else {
        f.get(a).lane(Simd2.f32x4ExtractLane, l).op(Op2.f64PromoteF32);
        f.get(b).lane(Simd2.f32x4ExtractLane, l).op(Op2.f64PromoteF32);
        f.call(fnIndex).op(Op2.f32DemoteF64).lane(Simd2.f32x4ReplaceLane, l);
      }
      f.set(res);
    }
    return res;
  }
}

/** The signature of each of {@link MATH_IMPORTS}. */
export function mathImportSpecs(): { module: string; name: string; params: (typeof F64)[]; results: (typeof F64)[] }[] {
  return MATH_IMPORTS.map((m) => ({ module: 'math', name: m.name, params: Array<typeof F64>(m.arity).fill(F64), results: [F64] }));
}
