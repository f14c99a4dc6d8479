/**
 * Cells from outside nn: `checkCell` tries a cell on a small problem and
 * says precisely what is wrong with it; `cellFromModule` finds the cell a
 * researcher's module exports (a factory, a `defineCell` maker, or a family
 * definition for `registerCell`) and checks it, so that a command line can
 * load `./my-cell.ts` and train, compare and gradient-check it by name.
 *
 * @module
 */
import { ArgumentError, Tensor, checkCount, checkOptions, formatShape, formatValue, key, normal, zeros, type DType } from '@mnemo/core';
import { reshape, tree, type Tree } from '@mnemo/autodiff';
import type { Cell, GateProbes } from '../cell.js';
import { isGatedCell } from './common.js';
import { isDefinedCell } from './define.js';
import { cellFamily, registerCell, type CellFamilyDefinition, type CellFamilyInfo, type FamilyMakeOptions } from './registry.js';

/**
 * What {@link checkCell} and {@link cellFromModule} found wrong, as `kind`:
 * `no-cell` (the module exports nothing that makes a cell), `ambiguous`
 * (it exports several, and none was chosen), `invalid` (what it exports is
 * not a usable cell: a missing member, a shape or dtype that does not fit,
 * a step that throws). The message names the cell or module, the member at
 * fault and, for shapes, what was expected and what came.
 *
 * @example
 * ```ts
 * import { CellCheckError, checkCell } from '@mnemo/nn';
 * import { ArgumentError } from '@mnemo/core';
 * let e: unknown;
 * try { checkCell({ name: 'broken' }); } catch (err) { e = err; }
 * console.assert(e instanceof CellCheckError && e instanceof ArgumentError && e.kind === 'invalid');
 * ```
 * @category Cells
 */
export class CellCheckError extends ArgumentError {
  /** Which kind of problem it is. */
  readonly kind: 'no-cell' | 'ambiguous' | 'invalid';
  /** The message after `op: argument 'arg': `. */
  readonly detail: string;
  /**
   * Make the error that the checks of a cell from outside nn throw, of one of
   * three kinds, with a message naming the op, the argument and what is wrong.
   *
   * @param kind - `no-cell`, `ambiguous` or `invalid`.
   * @param op - The cell, or the check, at fault.
   * @param arg - The member or argument at fault.
   * @param detail - What is wrong.
   */
  constructor(kind: 'no-cell' | 'ambiguous' | 'invalid', op: string, arg: string, detail: string) {
    super(op, arg, detail);
    this.kind = kind;
    this.detail = detail;
  }
}

const isObject = (u: unknown): u is Record<string, unknown> => u !== null && typeof u === 'object';
/** A value for a message: a string as it is, anything else as formatValue writes it. */
const asText = (v: unknown): string => (typeof v === 'string' ? v : formatValue(v));
/** The name and message of what a callback threw, for a message (whatever it threw). */
function thrown(e: unknown): { readonly name: string; readonly message: string } {
  const o = isObject(e) ? e : undefined;
  const name = typeof o?.['name'] === 'string' ? o['name'] : 'an error';
  const message = typeof o?.['message'] === 'string' ? o['message'] : typeof e === 'string' ? e : formatValue(e);
  return { name, message };
}
const describe = (u: unknown): string =>
  u instanceof Tensor ? `a ${u.dtype} Tensor ${formatShape(u.shape)}` : u === null ? 'null' : Array.isArray(u) ? `an array of ${u.length}` : typeof u;

/**
 * Sizes for {@link checkCell}: what the cell should have (each optional),
 * and the batch of the trial step (default 2).
 *
 * @example
 * ```ts
 * import type { CheckCellOptions } from '@mnemo/nn';
 * const o: CheckCellOptions = { inputSize: 3, hiddenSize: 4, dtype: 'float64' };
 * console.assert(o.batch === undefined);
 * ```
 * @category Cells
 */
export interface CheckCellOptions {
  readonly inputSize?: number;
  readonly hiddenSize?: number;
  readonly dtype?: DType;
  readonly batch?: number;
}

/**
 * Check that a value is a usable {@link Cell}: it has every member with the
 * right type; its sizes and dtype are those expected; `init` draws a pytree
 * of tensors of the cell's dtype, the same for the same key;
 * `initialState(batch)` is a pytree of `[batch, ...]` tensors; `step` on an
 * input `[batch, inputSize]` returns `[state, output]` with the output
 * `[batch, outputSize]`, finite, and a state of the same structure, shapes
 * and dtype as the one it got (twice in a row); a zero probe on each gate
 * changes nothing; and a {@link GatedCell}'s sequence path agrees with
 * `step`.
 *
 * @param cell - The value to check.
 * @param expected - The sizes and dtype it should have, and the trial batch.
 * @returns The cell, typed as a Cell.
 * @throws CellCheckError - (kind `invalid`) naming the cell, the member at fault
 *   and, for shapes, both shapes.
 * @throws ArgumentError - (of which CellCheckError is a subclass) when the cell's
 *   own `init`, `step` or sequence members throw one; it is rethrown as it is.
 * @throws ShapeError - when a member of the cell returns a tensor of a shape its
 *   sizes do not allow (from the cell's own checks), or a declared shape holds
 *   more than 2^31 - 1 elements.
 *
 * @example
 * ```ts
 * import { checkCell, gruCell, CellCheckError, type Cell } from '@mnemo/nn';
 * import { zeros, type Tensor } from '@mnemo/core';
 * checkCell(gruCell({ inputSize: 2, hiddenSize: 3 }), { inputSize: 2, hiddenSize: 3 });
 * // A cell whose step returns an output of the wrong width:
 * const bad: Cell<{ w: Tensor }, Tensor> = {
 *   name: 'bad', inputSize: 2, hiddenSize: 3, outputSize: 3, dtype: 'float32', gates: [],
 *   init: () => ({ w: zeros([2, 3]) }),
 *   initialState: (b) => zeros([b, 3]),
 *   step: (_p, h, x) => [h, x],
 * };
 * let msg = '';
 * try { checkCell(bad); } catch (e) { msg = (e as CellCheckError).message; }
 * console.assert(msg === "bad: argument 'step': returned an output of shape [2, 2], expected [2, 3] (batch 2, outputSize 3)");
 * ```
 * @category Cells
 */
export function checkCell(cell: unknown, expected: CheckCellOptions = {}): Cell {
  const bad = (name: string, arg: string, detail: string) => new CellCheckError('invalid', name, arg, detail);
  checkOptions('checkCell', 'expected', expected);
  if (expected.batch !== undefined) checkCount('checkCell', 'expected.batch', expected.batch, 1);
  if (!isObject(cell)) throw bad('checkCell', 'cell', `expected a cell { name, inputSize, hiddenSize, outputSize, dtype, gates, init, initialState, step }, got ${describe(cell)}`);
  const name = typeof cell['name'] === 'string' && cell['name'] !== '' ? cell['name'] : 'checkCell';
  if (name === 'checkCell') throw bad(name, 'name', `expected the cell's name, a non-empty string, got ${describe(cell['name'])}`);
  for (const m of ['inputSize', 'hiddenSize', 'outputSize']) {
    const v = cell[m];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw bad(name, m, `expected a positive integer, got ${typeof v === 'number' ? v : describe(v)}`);
  }
  if (cell['dtype'] !== 'float32' && cell['dtype'] !== 'float64') throw bad(name, 'dtype', `expected 'float32' or 'float64', got ${formatValue(cell['dtype'])}`);
  const gates = cell['gates'];
  if (!Array.isArray(gates) || gates.some((g) => typeof g !== 'string')) throw bad(name, 'gates', `expected an array of gate names (empty if none can be probed), got ${describe(gates)}`);
  for (const m of ['init', 'initialState', 'step']) if (typeof cell[m] !== 'function') throw bad(name, m, `expected a function, got ${describe(cell[m])}`);
  const c = cell as unknown as Cell<Tree, Tree>;
  for (const m of ['inputSize', 'hiddenSize', 'dtype'] as const) {
    if (expected[m] !== undefined && c[m] !== expected[m]) throw bad(name, m, `is ${asText(c[m])}, but the cell was asked for ${asText(expected[m])}`);
  }
  const { inputSize: D, outputSize: O, dtype } = c;
  const batch = expected.batch ?? 2;

  const call = <T>(member: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw bad(name, member, `threw ${thrown(e).name}: ${thrown(e).message}`);
    }
  };
  const leavesOf = (member: string, what: string, t: unknown): Tensor[] => {
    try {
      return tree.flatten(t)[0];
    } catch {
      throw bad(name, member, `returned ${describe(t)}, expected ${what} (a Tensor, or arrays and records of Tensors)`);
    }
  };

  // Parameters: a pytree of the cell's dtype, a function of the key alone.
  const params = call('init', () => c.init(key(0)));
  const pLeaves = leavesOf('init', 'the parameters', params);
  pLeaves.forEach((t, i) => {
    if (t.dtype !== dtype) throw bad(name, 'init', `returned a ${t.dtype} parameter (leaf ${i}, shape ${formatShape(t.shape)}); the cell is ${dtype}`);
  });
  const again = leavesOf('init', 'the parameters', call('init', () => c.init(key(0))));
  if (again.length !== pLeaves.length || again.some((t, i) => !sameValues(t, pLeaves[i]!))) {
    throw bad(name, 'init', 'drew different parameters from the same key: draw every random number from the key it receives (split it), never from Math.random');
  }

  // State: [batch, ...] tensors of the cell's dtype.
  const s0 = call('initialState', () => c.initialState(batch));
  const sLeaves = leavesOf('initialState', 'the state', s0);
  if (sLeaves.length === 0) throw bad(name, 'initialState', 'returned a state with no tensors; a recurrent cell carries at least one');
  sLeaves.forEach((t, i) => {
    if (t.rank === 0 || t.shape[0] !== batch) throw bad(name, 'initialState', `(${batch}) returned a state tensor (leaf ${i}) of shape ${formatShape(t.shape)}; every state tensor is [batch, ...], here [${batch}, ...]`);
    if (t.dtype !== dtype) throw bad(name, 'initialState', `returned a ${t.dtype} state tensor (leaf ${i}); the cell is ${dtype}`);
  });
  const [, sDef] = tree.flatten(s0);

  // Two steps: the output is [batch, outputSize], the state keeps its structure, shapes and dtype.
  const x = normal(key(1), [batch, D], { dtype, std: 0.5 });
  const stepOnce = (state: Tree, probes?: GateProbes): [Tree, Tensor] => {
    const r = call('step', () => c.step(params, state, x, probes)) as unknown;
    if (!Array.isArray(r) || r.length !== 2) throw bad(name, 'step', `returned ${describe(r)}, expected [nextState, output]`);
    const [s1, y] = r as [unknown, unknown];
    if (!(y instanceof Tensor)) throw bad(name, 'step', `returned an output that is ${describe(y)}, expected a Tensor [${batch}, ${O}]`);
    if (y.rank !== 2 || y.shape[0] !== batch || y.shape[1] !== O) {
      throw bad(name, 'step', `returned an output of shape ${formatShape(y.shape)}, expected [${batch}, ${O}] (batch ${batch}, outputSize ${O})`);
    }
    if (y.dtype !== dtype) throw bad(name, 'step', `returned a ${y.dtype} output; the cell is ${dtype}`);
    const [l1, d1] = (() => {
      try {
        return tree.flatten(s1);
      } catch {
        throw bad(name, 'step', `returned a next state that is ${describe(s1)}, expected the structure of initialState's`);
      }
    })();
    if (!tree.sameStructure(d1, sDef)) throw bad(name, 'step', `returned a next state ${tree.describe(d1)}, expected the structure of initialState's, ${tree.describe(sDef)}`);
    l1.forEach((t, i) => {
      const want = sLeaves[i]!;
      if (t.rank !== want.rank || t.shape.some((d, j) => d !== want.shape[j])) {
        throw bad(name, 'step', `returned a next state whose leaf ${i} has shape ${formatShape(t.shape)}, expected ${formatShape(want.shape)} as in initialState(${batch})`);
      }
      if (t.dtype !== dtype) throw bad(name, 'step', `returned a ${t.dtype} next state (leaf ${i}); the cell is ${dtype}`);
    });
    if (!y.toArray().every(Number.isFinite)) throw bad(name, 'step', 'returned NaN or infinite outputs for a small input from the initial parameters and state');
    return [s1 as Tree, y];
  };
  const [s1, y1] = stepOnce(s0);
  stepOnce(s1);

  // Probes: zero probes on every gate change nothing.
  if (gates.length > 0) {
    const width = (g: string): number => {
      if (isDefinedCell(c)) return c.gateSize;
      if (isGatedCell(c)) {
        const a = call('inspect', () => c.inspect(params, s0, x).gates[g]);
        if (a instanceof Tensor && a.rank === 2) return a.shape[1]!;
      }
      return c.hiddenSize;
    };
    const probes: Record<string, Tensor> = {};
    for (const g of gates as string[]) probes[g] = zeros([batch, width(g)], dtype);
    const [, yp] = stepOnce(s0, probes);
    if (!sameValues(yp, y1)) {
      throw bad(name, 'step', `gave another output with zero probes on its gates (${gates.join(', ')}); a probe is added to its gate's pre-activation, so a zero probe changes nothing`);
    }
  }

  // A gated cell's sequence path runs the same equations.
  if (isGatedCell(c)) {
    const xs = reshape(x, [batch, 1, D]);
    const part = call('projectInputs', () => c.projectInputs(params, xs));
    if (!(part instanceof Tensor) || part.rank !== 3 || part.shape[0] !== batch || part.shape[1] !== 1 || part.shape[2] !== c.inputPartSize) {
      throw bad(name, 'projectInputs', `returned ${describe(part)}, expected [${batch}, 1, ${c.inputPartSize}] (batch, steps, inputPartSize)`);
    }
    const [, yg] = call('stepProjected', () => c.stepProjected(params, s0, reshape(part, [batch, c.inputPartSize])));
    const tol = dtype === 'float64' ? 1e-12 : 1e-5;
    if (!(yg instanceof Tensor) || !closeValues(yg, y1, tol)) {
      throw bad(name, 'stepProjected', `on a row of projectInputs gave another output than step on the same input (${describe(yg)}); both must run the same equations`);
    }
  }
  return c;
}

function sameValues(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = a.toArray();
  const y = b.toArray();
  return x.every((v, i) => v === y[i] || (Number.isNaN(v) && Number.isNaN(y[i]!)));
}

function closeValues(a: Tensor, b: Tensor, tol: number): boolean {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = a.toArray();
  const y = b.toArray();
  return x.every((v, i) => Math.abs(v - y[i]!) <= tol * (1 + Math.abs(y[i]!)));
}

// ---------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------

/**
 * Options of {@link cellFromModule}: where the module came from (for
 * messages), which family to take when it exports several, and the name to
 * give a bare factory whose cells' names are not lower-case family names.
 *
 * @example
 * ```ts
 * import type { CellModuleOptions } from '@mnemo/nn';
 * const o: CellModuleOptions = { source: './janet.ts' };
 * console.assert(o.family === undefined);
 * ```
 * @category Cells
 */
export interface CellModuleOptions {
  /** The module's path or URL, named in every message. */
  readonly source?: string;
  /** The family to take when the module exports several. */
  readonly family?: string;
  /** The family name for a bare factory (default: the factory's `family`, else its cells' name). */
  readonly name?: string;
}

const FAMILY_NAME = /^[a-z][a-z0-9_-]*$/;

/** Definitions made for bare factories (by factory, then help text), so that loading a module twice gives the same definition. */
const FROM_FACTORY = new WeakMap<object, Map<string, CellFamilyDefinition>>();

function isFamilyDefinition(u: unknown): u is CellFamilyDefinition {
  return isObject(u) && typeof u['family'] === 'string' && typeof u['make'] === 'function' && typeof u['help'] === 'string';
}

function isCellMaker(u: unknown): u is ((o: FamilyMakeOptions) => Cell) & { readonly family: string } {
  return typeof u === 'function' && typeof (u as { family?: unknown }).family === 'string';
}

/**
 * Find and check the cell a module exports, for a command line that loads
 * `./my-cell.ts` (pass what `await import(url)` returned). The module may
 * export, in order of preference:
 *
 * 1. a family definition for {@link registerCell} (`{ family, make, help,
 *    variants?, options? }`) or the registration `registerCell` returned;
 * 2. a default export that makes a cell from `{ inputSize, hiddenSize,
 *    dtype }` (a plain function or a `defineCell` maker);
 * 3. a `defineCell` maker under any name.
 *
 * The chosen factory is tried at two sizes in float64 and float32 (and on
 * each variant) with {@link checkCell}. The result is a family definition,
 * ready for {@link registerCell} (or use {@link registerCellModule}).
 *
 * @param moduleNamespace - The module's namespace object.
 * @param options - `source` for messages, `family` to choose among several, `name` for a bare factory.
 * @returns The family definition, checked.
 * @throws CellCheckError - `no-cell` when it exports nothing that makes a cell;
 *   `ambiguous` when it exports several and `family` does not choose; `invalid`
 *   when a cell it makes fails {@link checkCell}, or a bare factory's cells have
 *   no lower-case name.
 * @throws ArgumentError - when `options` is malformed, or a made cell's own
 *   members throw one.
 * @throws ShapeError - when a member of the cell returns a tensor of a shape its
 *   sizes do not allow (from the cell's own checks), or a declared shape holds
 *   more than 2^31 - 1 elements.
 *
 * @example
 * ```ts
 * import { cellFromModule, defineCell, init, CellCheckError, type CellOptions } from '@mnemo/nn';
 * import { add, matmul, tanh } from '@mnemo/autodiff';
 * const elman = defineCell('elman', ({ inputSize: D, hiddenSize: H }: CellOptions) => ({
 *   gates: ['h'],
 *   params: { w: { shape: [D, H], init: init.rnnUniform(H) }, u: { shape: [H, H], init: init.rnnUniform(H) } },
 *   state: { h: H },
 *   step(p, s, x, gate) {
 *     const h = gate('h', tanh, add(matmul(x, p.w), matmul(s.h, p.u)));
 *     return [{ h }, h];
 *   },
 * }));
 * const def = cellFromModule({ elman, helper: () => 1 }, { source: './elman.ts' });
 * console.assert(def.family === 'elman' && def.make({ inputSize: 2, hiddenSize: 3, variants: [] }).outputSize === 3);
 * let kind = '';
 * try { cellFromModule({ helper: () => 1 }, { source: './nothing.ts' }); } catch (e) { kind = (e as CellCheckError).kind; }
 * console.assert(kind === 'no-cell');
 * ```
 * @category Cells
 */
export function cellFromModule(moduleNamespace: unknown, options: CellModuleOptions = {}): CellFamilyDefinition {
  const o = checkOptions('cellFromModule', 'options', options);
  for (const k of ['source', 'family', 'name'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw new ArgumentError('cellFromModule', `options.${k}`, `expected a string, got ${formatValue(o[k])}`);
  }
  const source = o.source ?? 'the module';
  const op = source;
  if (!isObject(moduleNamespace)) throw new CellCheckError('no-cell', op, 'module', `is ${describe(moduleNamespace)}, not a module namespace`);
  const ns = moduleNamespace;
  const names = Object.keys(ns);
  const exportList = names.length === 0 ? 'it exports nothing' : `its exports are ${names.join(', ')}`;
  const expectation =
    'export a family definition { family, make, help } (or what registerCell returned), a default export that makes a cell from ' +
    '{ inputSize, hiddenSize, dtype }, or a cell maker made with defineCell';

  // 1. Family definitions and registrations.
  const families = new Map<string, CellFamilyDefinition>();
  for (const n of names) {
    const v = ns[n];
    if (isFamilyDefinition(v)) families.set(v.family, isObject((v as Partial<CellFamilyInfo>).definition) ? (v as CellFamilyInfo).definition : v);
  }
  let def: CellFamilyDefinition | undefined;
  if (families.size > 0) def = choose(op, 'family definitions', families, o.family);
  else {
    // 2. The default export, 3. defineCell makers.
    const dflt = ns['default'];
    let factory: ((o: FamilyMakeOptions) => Cell) | undefined;
    let exportName = 'default';
    if (typeof dflt === 'function') factory = dflt as (o: FamilyMakeOptions) => Cell;
    else {
      const makers = new Map<string, (o: FamilyMakeOptions) => Cell>();
      for (const n of names) {
        const v = ns[n];
        if (isCellMaker(v)) makers.set(v.family, v);
      }
      if (makers.size === 0) throw new CellCheckError('no-cell', op, 'module', `exports no cell: ${expectation}; ${exportList}`);
      const fam = chooseKey(op, 'cell makers', makers, o.family);
      factory = makers.get(fam)!;
      exportName = names.find((n) => ns[n] === factory) ?? fam;
    }
    def = definitionOf(op, exportName, factory, o.name);
  }
  checkFamily(op, def);
  return def;
}

function chooseKey<V>(op: string, what: string, found: ReadonlyMap<string, V>, wanted: string | undefined): string {
  if (wanted !== undefined) {
    if (!found.has(wanted)) throw new CellCheckError('no-cell', op, 'family', `the module has no cell '${wanted}'; it exports ${what} ${[...found.keys()].join(', ')}`);
    return wanted;
  }
  if (found.size > 1) throw new CellCheckError('ambiguous', op, 'module', `exports several ${what} (${[...found.keys()].join(', ')}); say which one`);
  return found.keys().next().value!;
}

function choose(op: string, what: string, found: ReadonlyMap<string, CellFamilyDefinition>, wanted: string | undefined): CellFamilyDefinition {
  return found.get(chooseKey(op, what, found, wanted))!;
}

/** A family definition for a bare factory, named after it or its cells; the same object for the same factory and name. */
function definitionOf(op: string, exportName: string, factory: (o: FamilyMakeOptions) => Cell, name: string | undefined): CellFamilyDefinition {
  let family = name ?? (isCellMaker(factory) ? factory.family : undefined);
  if (family === undefined) {
    const cell = tryMake(op, exportName, factory, { inputSize: 3, hiddenSize: 4, dtype: 'float64', variants: [] });
    family = isObject(cell) && typeof cell.name === 'string' ? cell.name : undefined;
  }
  if (family === undefined || !FAMILY_NAME.test(family)) {
    throw new CellCheckError('invalid', op, exportName, `makes cells named ${formatValue(family)}, which is not a family name (lower case: letters, digits, '-' and '_'); give the cells such a name, or export a family definition`);
  }
  let byName = FROM_FACTORY.get(factory);
  if (byName === undefined) FROM_FACTORY.set(factory, (byName = new Map()));
  const help = `${family}  a cell from ${op === 'the module' ? 'a module' : op} (export '${exportName}')`;
  let def = byName.get(help);
  if (def === undefined) {
    def = Object.freeze({ family, make: factory, help });
    byName.set(help, def);
  }
  return def;
}

function tryMake(op: string, member: string, make: (o: FamilyMakeOptions) => Cell, o: FamilyMakeOptions): Cell {
  try {
    return make(o);
  } catch (e) {
    const asked = `{ inputSize: ${o.inputSize}, hiddenSize: ${o.hiddenSize}, dtype: '${o.dtype ?? 'float32'}'${o.variants.length > 0 ? `, variants: [${o.variants.join(', ')}]` : ''} }`;
    throw new CellCheckError('invalid', op, member, `threw ${thrown(e).name} when asked for a cell with ${asked}: ${thrown(e).message}`);
  }
}

/** Make and check the family's cells: two sizes in float64 and float32, and each variant. */
function checkFamily(op: string, def: CellFamilyDefinition): void {
  const variants: unknown = def.variants;
  if (variants !== undefined && (!Array.isArray(variants) || variants.some((v) => typeof v !== 'string'))) {
    throw new CellCheckError('invalid', op, `${def.family}.variants`, `expected an array of variant names, got ${formatValue(variants)}`);
  }
  const trials: FamilyMakeOptions[] = [
    { inputSize: 3, hiddenSize: 4, dtype: 'float64', variants: [] },
    { inputSize: 2, hiddenSize: 5, variants: [] },
    ...(def.variants ?? []).map((v) => ({ inputSize: 3, hiddenSize: 4, dtype: 'float64' as const, variants: [v] })),
  ];
  for (const t of trials) {
    const cell = tryMake(op, `${def.family}.make`, (o) => def.make(o), t);
    try {
      checkCell(cell, { inputSize: t.inputSize, hiddenSize: t.hiddenSize, dtype: t.dtype ?? 'float32' });
    } catch (e) {
      if (!(e instanceof CellCheckError)) throw e;
      const name = isObject(cell) && typeof cell.name === 'string' ? cell.name : def.family;
      throw new CellCheckError('invalid', op, `${name}.${e.arg}`, e.detail);
    }
  }
}

/**
 * {@link cellFromModule}, then {@link registerCell}: the module's family
 * becomes a cell name that `makeCell`, `parseCellSpec`, `cellHelp` and the
 * command line know. Loading the same module again returns the registration
 * it already has.
 *
 * @param moduleNamespace - The module's namespace object.
 * @param options - As for {@link cellFromModule}.
 * @returns The registration.
 * @throws CellCheckError - as {@link cellFromModule} does.
 * @throws ArgumentError - when another definition already holds the family's name (a built-in cell's, say).
 * @throws ShapeError - when a member of the cell returns a tensor of a shape its
 *   sizes do not allow (from the cell's own checks), or a declared shape holds
 *   more than 2^31 - 1 elements.
 *
 * @example
 * ```ts
 * import { registerCellModule, unregisterCell, makeCell, defineCell, init, type CellOptions } from '@mnemo/nn';
 * import { add, matmul, relu } from '@mnemo/autodiff';
 * const irnn = defineCell('irnn', ({ inputSize: D, hiddenSize: H }: CellOptions) => ({
 *   gates: ['h'],
 *   params: { w: { shape: [D, H], init: init.rnnUniform(H) }, u: { shape: [H, H], init: init.rnnUniform(H) } },
 *   state: { h: H },
 *   step(p, s, x, gate) {
 *     const h = gate('h', relu, add(matmul(x, p.w), matmul(s.h, p.u)));
 *     return [{ h }, h];
 *   },
 * }));
 * const info = registerCellModule({ default: irnn }, { source: './irnn.ts' });
 * console.assert(info.family === 'irnn' && makeCell('irnn', { inputSize: 1, hiddenSize: 2 }).name === 'irnn');
 * console.assert(registerCellModule({ default: irnn }, { source: './irnn.ts' }) === info); // loaded again
 * unregisterCell('irnn');
 * ```
 * @category Cells
 */
export function registerCellModule(moduleNamespace: unknown, options: CellModuleOptions = {}): CellFamilyInfo {
  const def = cellFromModule(moduleNamespace, options);
  const existing = cellFamily(def.family);
  if (existing !== undefined && existing.definition === def) return existing;
  return registerCell(def);
}
