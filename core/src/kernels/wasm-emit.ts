/**
 * A small WebAssembly binary writer: just enough of the format (types, one
 * imported memory, functions, exports, code) and of the instruction set
 * (integer arithmetic, structured control flow, scalar and SIMD loads, stores
 * and arithmetic) to emit mnemo's gemm and LSTM kernels from TypeScript, so
 * that no assembler is needed at build time or run time.
 *
 * Internal to the kernels folder; see `wasm-gemm-module.ts` and
 * `wasm-lstm.ts` for its users.
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

/** One-byte opcodes used by the kernels. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Const: 0x41,
  f32Const: 0x43,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64PromoteF32: 0xbb,
  f32DemoteF64: 0xb6,
  f64Neg: 0x9a,
  f64Sqrt: 0x9f,
  f64Div: 0xa3,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const Simd = {
  load: 0,
  load32Splat: 9,
  load64Splat: 10,
  store: 11,
  const: 12,
  shuffle: 13,
  f32x4Splat: 0x13,
  f32x4ExtractLane: 0x1f,
  f32x4Lt: 0x43,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Bitselect: 0x52,
  f32x4Nearest: 0x6a,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  i32x4TruncSatF32x4S: 0xf8,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  load64Zero: 0x5d,
  f64x2PromoteLowF32x4: 0x5f,
  f32x4DemoteF64x2Zero: 0x5e,
  store64Lane: 0x5b,
  f64x2Splat: 0x14,
  f64x2Sqrt: 0xef,
  f64x2Div: 0xf3,
} as const;

// ---------------------------------------------------------------------------
// Relaxed SIMD (a runtime feature: on by default from Node 22, behind
// --experimental-wasm-relaxed-simd in Node 20). A module that uses these only
// validates where the runtime has them, so the kernels emit them only when
// `wasmFeatures().relaxedSimd` (features.ts) says so.
// ---------------------------------------------------------------------------

/**
 * Relaxed SIMD opcodes (after the 0xfd prefix; multi-byte LEB128, which
 * {@link Fn.simd} writes). `relaxed_madd(a, b, c)` is `a·b + c`, fused or not
 * at the runtime's choice (x64 V8 with FMA3 fuses: one rounding).
 */
export const RelaxedSimd = {
  f32x4Madd: 0x105,
  f32x4Nmadd: 0x106,
  f64x2Madd: 0x107,
  f64x2Nmadd: 0x108,
} as const;

/**
 * More opcodes, for the sequence compiler's generated loops (kept apart from
 * the kernels' tables above).
 */
export const Op2 = {
  i32Load: 0x28,
  i32Store: 0x36,
  i32DivS: 0x6d,
  i32Or: 0x72,
  i32ShrS: 0x75,
  f64Const: 0x44,
  f32Const: 0x43,
  f64PromoteF32: 0xbb,
  f32DemoteF64: 0xb6,
  f64Add: 0xa0,
  drop: 0x1a,
} as const;

/** More SIMD opcodes (after the 0xfd prefix), for the generated loops. */
export const Simd2 = {
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  f64x2Eq: 0x47,
  f64x2Ne: 0x48,
  f64x2Lt: 0x49,
  f64x2Gt: 0x4a,
  f64x2Le: 0x4b,
  f64x2Ge: 0x4c,
  v128Not: 0x4d,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128Bitselect: 0x52,
  f32x4ExtractLane: 0x1f,
  f32x4ReplaceLane: 0x20,
  f64x2Splat: 0x14,
  f64x2ExtractLane: 0x21,
  f64x2ReplaceLane: 0x22,
  f32x4Ceil: 0x67,
  f32x4Floor: 0x68,
  f32x4Nearest: 0x6a,
  f64x2Ceil: 0x74,
  f64x2Floor: 0x75,
  f64x2Nearest: 0x94,
  i64x2Shl: 0xcb,
  i64x2ShrS: 0xcc,
  i64x2Add: 0xce,
  i64x2Sub: 0xd1,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  f64x2Abs: 0xec,
  f64x2Neg: 0xed,
  f64x2Sqrt: 0xef,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Min: 0xf4,
  f64x2Max: 0xf5,
  f64x2Pmin: 0xf6,
  f64x2Pmax: 0xf7,
  i32x4TruncSatF32x4S: 0xf8,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  f32x4RelaxedMadd: 0x105,
  f64x2RelaxedMadd: 0x107,
} as const;

/** The block type of a block, loop or if that yields nothing. */
const EMPTY = 0x40;

function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  for (const b of bytes) out.push(b);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

/**
 * The body of one function under construction: parameters are locals
 * `0 .. params.length - 1`; {@link Fn.local} declares more. Methods append
 * instructions and return `this`, so code reads in stack-machine order.
 */
export class Fn {
  readonly code: number[] = [];
  private readonly extra: ValType[] = [];

  constructor(
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}

  /** Declare a new local of type `t` and return its index. */
  local(t: ValType): number {
    this.extra.push(t);
    return this.params.length + this.extra.length - 1;
  }

  op(code: number): this {
    this.code.push(code);
    return this;
  }

  get(i: number): this {
    this.code.push(Op.localGet);
    uleb(this.code, i);
    return this;
  }

  set(i: number): this {
    this.code.push(Op.localSet);
    uleb(this.code, i);
    return this;
  }

  tee(i: number): this {
    this.code.push(Op.localTee);
    uleb(this.code, i);
    return this;
  }

  i32(value: number): this {
    this.code.push(Op.i32Const);
    sleb(this.code, value);
    return this;
  }

  call(index: number): this {
    this.code.push(Op.call);
    uleb(this.code, index);
    return this;
  }

  /** A scalar load or store (`f32Load`, `f64Store`, ...) with a constant byte offset. */
  mem(code: number, offset: number, alignLog2: number): this {
    this.code.push(code);
    uleb(this.code, alignLog2);
    uleb(this.code, offset);
    return this;
  }

  /** A SIMD instruction without immediates. */
  simd(code: number): this {
    this.code.push(0xfd);
    uleb(this.code, code);
    return this;
  }

  /** A SIMD load or store with a constant byte offset. */
  simdMem(code: number, offset: number, alignLog2: number): this {
    this.simd(code);
    uleb(this.code, alignLog2);
    uleb(this.code, offset);
    return this;
  }

  /** `v128.const` of sixteen zero bytes. */
  zero128(): this {
    this.simd(Simd.const);
    for (let i = 0; i < 16; i++) this.code.push(0);
    return this;
  }

  /** `v128.const` with the same f32 value (rounded to float32) in all four lanes. */
  f32x4(value: number): this {
    this.simd(Simd.const);
    for (const b of new Uint8Array(new Float32Array([value, value, value, value]).buffer)) this.code.push(b);
    return this;
  }

  /** `v128.const` with the same f64 value in both lanes. */
  f64x2(value: number): this {
    this.simd(Simd.const);
    for (const b of new Uint8Array(new Float64Array([value, value]).buffer)) this.code.push(b);
    return this;
  }

  /** `v128.const` with the same 64-bit integer in both lanes. */
  i64x2(value: bigint): this {
    this.simd(Simd.const);
    const lanes = new BigInt64Array([value, value]);
    for (const b of new Uint8Array(lanes.buffer)) this.code.push(b);
    return this;
  }

  /** `f32.const`. */
  f32(value: number): this {
    this.code.push(0x43);
    for (const b of new Uint8Array(new Float32Array([value]).buffer)) this.code.push(b);
    return this;
  }

  /** `f64.const`. */
  f64(value: number): this {
    this.code.push(0x44);
    for (const b of new Uint8Array(new Float64Array([value]).buffer)) this.code.push(b);
    return this;
  }

  /** `v128.const` with the same i32 value in all four lanes. */
  i32x4(value: number): this {
    this.simd(Simd.const);
    for (const b of new Uint8Array(new Int32Array([value, value, value, value]).buffer)) this.code.push(b);
    return this;
  }

  /** A SIMD lane instruction (`f32x4ExtractLane`, ...) with its lane index. */
  lane(code: number, laneIndex: number): this {
    this.simd(code);
    this.code.push(laneIndex);
    return this;
  }

  /** `i8x16.shuffle` with sixteen lane indices (0-15 pick from the first operand, 16-31 from the second). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('shuffle needs 16 lanes');
    this.simd(Simd.shuffle);
    for (const l of lanes) this.code.push(l);
    return this;
  }

  /** `local[i] += delta` for an i32 local. */
  addTo(i: number, delta: number | (() => void)): this {
    this.get(i);
    if (typeof delta === 'number') this.i32(delta);
    else delta();
    return this.op(Op.i32Add).set(i);
  }

  /** `if (cond) then else otherwise`, yielding nothing. */
  ifElse(cond: () => void, then: () => void, otherwise?: () => void): this {
    cond();
    this.code.push(Op.if, EMPTY);
    then();
    if (otherwise) {
      this.code.push(Op.else);
      otherwise();
    }
    this.code.push(Op.end);
    return this;
  }

  /**
   * `for (i = start; i < end; i += step) body()` on signed i32 locals, with
   * `end` re-evaluated before each iteration (keep it a local or constant).
   */
  forLoop(i: number, start: () => void, end: () => void, step: number | (() => void), body: () => void): this {
    start();
    this.set(i);
    this.code.push(Op.block, EMPTY, Op.loop, EMPTY);
    this.get(i);
    end();
    this.op(Op.i32GeS).code.push(Op.brIf, 1);
    body();
    this.addTo(i, step);
    this.code.push(Op.br, 0, Op.end, Op.end);
    return this;
  }

  /** `do { body() } while (cond)`, where `body` leaves the i32 condition on the stack. */
  loop(body: () => void): this {
    this.code.push(Op.loop, EMPTY);
    body();
    this.code.push(Op.brIf, 0, Op.end);
    return this;
  }

  /** `while (cond()) body()`. */
  whileLoop(cond: () => void, body: () => void): this {
    this.code.push(Op.block, EMPTY, Op.loop, EMPTY);
    cond();
    this.op(Op.i32Eqz).code.push(Op.brIf, 1);
    body();
    this.code.push(Op.br, 0, Op.end, Op.end);
    return this;
  }

  /** Encode locals and code as a function body (without its size prefix). */
  encodeBody(): number[] {
    const out: number[] = [];
    const runs: [number, ValType][] = [];
    for (const t of this.extra) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(out, runs.length);
    for (const [count, t] of runs) {
      uleb(out, count);
      out.push(t);
    }
    for (const b of this.code) out.push(b);
    out.push(Op.end);
    return out;
  }
}

/** A module: one imported memory (`env.memory`), imported functions (numbered first), and a list of functions, some exported. */
export interface ModuleSpec {
  readonly memory: { readonly initial: number; readonly maximum: number; readonly shared: boolean };
  readonly imports?: readonly { readonly module: string; readonly name: string; readonly params: readonly ValType[]; readonly results: readonly ValType[] }[];
  readonly functions: readonly { readonly fn: Fn; readonly exportAs?: string }[];
}

/** Encode a module to its binary form. */
export function encodeModule(spec: ModuleSpec): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

  // Types: one per distinct signature.
  const sigs: string[] = [];
  const typeOf: number[] = [];
  const typeBody: number[] = [];
  const sigOf = (params: readonly ValType[], results: readonly ValType[]): number => {
    const key = `${params.join(',')}:${results.join(',')}`;
    let idx = sigs.indexOf(key);
    if (idx < 0) {
      idx = sigs.length;
      sigs.push(key);
    }
    return idx;
  };
  const importTypes = (spec.imports ?? []).map((f) => sigOf(f.params, f.results));
  for (const { fn } of spec.functions) typeOf.push(sigOf(fn.params, fn.results));
  uleb(typeBody, sigs.length);
  for (const key of sigs) {
    const [ps, rs] = key.split(':') as [string, string];
    const params = ps === '' ? [] : ps.split(',').map(Number);
    const results = rs === '' ? [] : rs.split(',').map(Number);
    typeBody.push(0x60);
    uleb(typeBody, params.length);
    typeBody.push(...params);
    uleb(typeBody, results.length);
    typeBody.push(...results);
  }
  section(out, 1, typeBody);

  // Imports: the functions (numbered first), then env.memory.
  const imports: number[] = [];
  const fnImports = spec.imports ?? [];
  uleb(imports, 1 + fnImports.length);
  fnImports.forEach((f, i) => {
    name(imports, f.module);
    name(imports, f.name);
    imports.push(0x00);
    uleb(imports, importTypes[i]!);
  });
  name(imports, 'env');
  name(imports, 'memory');
  imports.push(0x02, spec.memory.shared ? 0x03 : 0x01);
  uleb(imports, spec.memory.initial);
  uleb(imports, spec.memory.maximum);
  section(out, 2, imports);

  const funcs: number[] = [];
  uleb(funcs, spec.functions.length);
  for (const t of typeOf) uleb(funcs, t);
  section(out, 3, funcs);

  const exps: number[] = [];
  const exported = spec.functions.map((f, i) => [f.exportAs, i] as const).filter((e) => e[0] !== undefined);
  uleb(exps, exported.length);
  for (const [exportName, i] of exported) {
    name(exps, exportName!);
    exps.push(0x00);
    uleb(exps, fnImports.length + i);
  }
  section(out, 7, exps);

  const code: number[] = [];
  uleb(code, spec.functions.length);
  for (const { fn } of spec.functions) {
    const body = fn.encodeBody();
    uleb(code, body.length);
    for (const b of body) code.push(b);
  }
  section(out, 10, code);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------
// The parts of the WebAssembly JavaScript API the kernels use. (The project
// compiles against the ES library only, which does not declare them.)
// ---------------------------------------------------------------------------

/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

/** The global `WebAssembly` object, as far as the kernels need it. */
export interface WasmApi {
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
}

/** The global `WebAssembly` object, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}
