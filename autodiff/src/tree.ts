/**
 * Pytrees: nested records and arrays whose leaves are tensors. Parameters,
 * optimizer states and gradients are pytrees; `grad` returns gradients with
 * the same structure as its arguments.
 *
 * Records are traversed in sorted key order, so two records with the same keys
 * always flatten the same way.
 *
 * @module
 */
import { ArgumentError, Tensor, formatValue } from '@mnemo/core';

/**
 * A tensor, or an array or record of pytrees.
 *
 * @example
 * ```ts
 * import type { Tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * const params: Tree = { w: zeros([2, 2]), layers: [{ b: zeros([2]) }] };
 * console.assert(typeof params === 'object');
 * ```
 * @category Pytrees
 */
export type Tree = Tensor | readonly Tree[] | { readonly [key: string]: Tree };

/**
 * The structure of a pytree without its leaves.
 *
 * @example
 * ```ts
 * import { tree, type TreeDef } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * const def: TreeDef = tree.flatten({ a: zeros([1]) })[1];
 * console.assert(def.kind === 'record');
 * ```
 * @category Pytrees
 */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'record'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

const LEAF: TreeDef = { kind: 'leaf' };

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof Float32Array || x instanceof Float64Array) return `a ${x.constructor.name} (wrap it with tensor())`;
  return typeof x;
}

function flattenInto(x: unknown, leaves: Tensor[], path: string, op: string, depth: number): TreeDef {
  if (x instanceof Tensor) {
    leaves.push(x);
    return LEAF;
  }
  if (depth > MAX_DEPTH) throw new ArgumentError(op, path, `nested more than ${MAX_DEPTH} levels deep (does the tree contain itself?)`);
  if (Array.isArray(x)) {
    // An index loop, so that a hole in a sparse array is reported like undefined.
    const children: TreeDef[] = [];
    for (let i = 0; i < x.length; i++) children.push(flattenInto(x[i], leaves, `${path}[${i}]`, op, depth + 1));
    return { kind: 'array', children };
  }
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    const keys = Object.keys(x).sort();
    return {
      kind: 'record',
      keys,
      children: keys.map((k) => flattenInto((x as Record<string, unknown>)[k], leaves, `${path}.${k}`, op, depth + 1)),
    };
  }
  throw new ArgumentError(op, path, `expected a Tensor or a pytree (arrays and plain records) of Tensors, found ${describeValue(x)}`);
}

/** Deeper than this, a pytree is taken for a cycle (and the stack would overflow). */
const MAX_DEPTH = 1000;

/**
 * The leaves of a pytree (nested arrays and plain records of tensors) in a
 * fixed order, records by sorted key, and its structure.
 *
 * @param x - A tensor, or arrays and plain records nesting tensors.
 * @param op - The operation named in an error (default `tree.flatten`).
 * @param path - The argument named in an error (default `tree`).
 * @returns `[leaves, def]`: the tensors in order, and a {@link TreeDef} to rebuild
 *   the tree with.
 * @throws ArgumentError - when a leaf is not a tensor (the message gives its path,
 *   `tree.w[1]`).
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { scalar } from '@mnemo/core';
 * const [leaves] = tree.flatten({ b: scalar(2), a: [scalar(1)] });
 * console.assert(leaves.map((t) => t.item()).join() === '1,2');
 * ```
 * @category Pytrees
 */
export function flatten(x: unknown, op = 'tree.flatten', path = 'tree'): [Tensor[], TreeDef] {
  const leaves: Tensor[] = [];
  const text = (v: unknown): string => (typeof v === 'string' ? v : formatValue(v));
  const def = flattenInto(x, leaves, text(path), text(op), 0);
  return [leaves, def];
}

function build(def: TreeDef, leaves: readonly unknown[], pos: { i: number }): unknown {
  switch (def.kind) {
    case 'leaf':
      return leaves[pos.i++];
    case 'array':
      return def.children.map((c) => build(c, leaves, pos));
    case 'record': {
      const out: Record<string, unknown> = {};
      def.keys.forEach((k, j) => (out[k] = build(def.children[j]!, leaves, pos)));
      return out;
    }
  }
}

/**
 * Count the leaves (tensors) of a pytree's structure, as {@link flatten} would
 * return them.
 *
 * @param def - A structure from {@link flatten}.
 * @returns The number of leaves.
 * @throws ArgumentError - when `def` is not a structure that {@link flatten}
 *   returns.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * console.assert(tree.leafCount(tree.flatten([zeros([1]), { a: zeros([1]) }])[1]) === 2);
 * ```
 * @category Pytrees
 */
export function leafCount(def: TreeDef): number {
  checkDef('tree.leafCount', 'def', def);
  return countLeaves(def);
}

function countLeaves(def: TreeDef): number {
  return def.kind === 'leaf' ? 1 : def.children.reduce((n, c) => n + countLeaves(c), 0);
}

/**
 * Throws an ArgumentError unless `def` is a structure as {@link flatten}
 * makes them: `{ kind: 'leaf' }`, `{ kind: 'array', children }` or
 * `{ kind: 'record', keys, children }` with one string key per child, to any depth.
 */
function checkDef(op: string, arg: string, def: unknown, depth = 0): asserts def is TreeDef {
  const bad = (why: string): never => {
    throw new ArgumentError(op, arg, `not a tree structure (${why}): ${formatValue(def)}`);
  };
  if (def === null || typeof def !== 'object') bad('expected an object with a kind');
  if (depth > 10000) bad('nested too deeply');
  const d = def as { kind?: unknown; children?: unknown; keys?: unknown };
  if (d.kind === 'leaf') return;
  if (d.kind !== 'array' && d.kind !== 'record') bad(`kind must be 'leaf', 'array' or 'record'`);
  if (!Array.isArray(d.children)) bad('children must be an array');
  const children = d.children as unknown[];
  if (d.kind === 'record') {
    const keys = d.keys;
    if (!Array.isArray(keys) || keys.length !== children.length || !keys.every((k) => typeof k === 'string')) bad('a record needs one string key per child');
  }
  for (const c of children) checkDef(op, arg, c, depth + 1);
}

/**
 * Rebuild a pytree from its structure and leaves (the inverse of {@link flatten}).
 *
 * @param def - A structure from {@link flatten}.
 * @param leaves - As many leaves as the structure has, in flatten order.
 * @returns A pytree of that structure holding `leaves`.
 * @throws ArgumentError - when the number of leaves differs from the structure's.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { scalar } from '@mnemo/core';
 * const [leaves, def] = tree.flatten({ a: scalar(1) });
 * const back = tree.unflatten(def, leaves) as { a: ReturnType<typeof scalar> };
 * console.assert(back.a.item() === 1);
 * ```
 * @category Pytrees
 */
export function unflatten<L = Tensor>(def: TreeDef, leaves: readonly L[]): unknown {
  checkDef('tree.unflatten', 'def', def);
  if (!Array.isArray(leaves)) throw new ArgumentError('tree.unflatten', 'leaves', `expected an array, got ${formatValue(leaves)}`);
  const n = countLeaves(def);
  if (n !== leaves.length) throw new ArgumentError('tree.unflatten', 'leaves', `the structure has ${n} leaves, got ${leaves.length}`);
  return build(def, leaves, { i: 0 });
}

/**
 * Whether two pytree structures are the same: the same nesting, array lengths
 * and record keys.
 *
 * @param a - A structure.
 * @param b - Another structure.
 * @returns `true` when they match.
 * @throws ArgumentError - when `a` or `b` is not a structure that {@link flatten}
 *   returns.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * const d = (x: unknown) => tree.flatten(x)[1];
 * console.assert(tree.sameStructure(d({ a: zeros([1]) }), d({ a: zeros([5]) })));
 * ```
 * @category Pytrees
 */
export function sameStructure(a: TreeDef, b: TreeDef): boolean {
  checkDef('tree.sameStructure', 'a', a);
  checkDef('tree.sameStructure', 'b', b);
  return same(a, b);
}

function same(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'leaf') return true;
  const bc = (b as { children: readonly TreeDef[] }).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === 'record' && (b as { keys: readonly string[] }).keys.join('\u0000') !== a.keys.join('\u0000')) return false;
  return a.children.every((c, i) => same(c, bc[i]!));
}

/**
 * A readable rendering of a structure, for error messages.
 *
 * @param def - A structure.
 * @returns Text such as `{b: *, w: [*, *]}` (`*` a leaf).
 * @throws ArgumentError - when `def` is not a structure that {@link flatten}
 *   returns.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * console.assert(tree.describe(tree.flatten({ a: [zeros([1])] })[1]) === '{a: [*]}');
 * ```
 * @category Pytrees
 */
export function describe(def: TreeDef): string {
  checkDef('tree.describe', 'def', def);
  return render(def);
}

/**
 * The path of every leaf of a structure, in {@link flatten}'s order, as
 * error messages and reports name parameters: `layers[0].w` for a record's
 * key inside an array, `''` for a structure that is a bare leaf.
 *
 * @param def - A structure.
 * @param prefix - A path to put before every leaf's (default none).
 * @returns One path per leaf.
 * @throws ArgumentError - when `def` is not a structure that {@link flatten}
 *   returns.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * const [, def] = tree.flatten({ layers: [{ w: zeros([2]), b: zeros([1]) }], out: zeros([3]) });
 * console.assert(tree.paths(def).join() === 'layers[0].b,layers[0].w,out');
 * ```
 * @category Pytrees
 */
export function paths(def: TreeDef, prefix = ''): string[] {
  checkDef('tree.paths', 'def', def);
  if (typeof prefix !== 'string') throw new ArgumentError('tree.paths', 'prefix', `expected a string, got ${typeof prefix}`);
  const walk = (d: TreeDef, at: string): string[] => {
    switch (d.kind) {
      case 'leaf':
        return [at];
      case 'array':
        return d.children.flatMap((c, i) => walk(c, `${at}[${i}]`));
      case 'record':
        return d.children.flatMap((c, i) => walk(c, at === '' ? d.keys[i]! : `${at}.${d.keys[i]!}`));
    }
  };
  return walk(def, prefix);
}

function render(def: TreeDef): string {
  switch (def.kind) {
    case 'leaf':
      return '*';
    case 'array':
      return `[${def.children.map(render).join(', ')}]`;
    case 'record':
      return `{${def.keys.map((k, i) => `${k}: ${render(def.children[i]!)}`).join(', ')}}`;
  }
}

/**
 * Apply `f` to every leaf (and the matching leaves of `rest`, which must have
 * the same structure), keeping the structure.
 *
 * @param x - A pytree.
 * @param f - Maps a leaf (and the matching leaves of `rest`) to a tensor.
 * @param rest - More pytrees of the same structure.
 * @returns A pytree of `x`'s structure holding `f`'s results.
 * @throws ArgumentError - when a leaf is not a tensor, or a tree of `rest` has
 *   another structure.
 *
 * @example
 * ```ts
 * import { tree, add } from '@mnemo/autodiff';
 * import { scalar } from '@mnemo/core';
 * const s = tree.map({ a: scalar(1) }, (x, y) => add(x, y!), { a: scalar(2) });
 * console.assert(s.a.item() === 3);
 * ```
 * @category Pytrees
 */
export function map<T extends Tree>(x: T, f: (leaf: Tensor, ...rest: Tensor[]) => Tensor, ...rest: readonly T[]): T {
  if (typeof f !== 'function') throw new ArgumentError('tree.map', 'f', `expected a function, got ${formatValue(f)}`);
  const [leaves, def] = flatten(x, 'tree.map');
  const others = rest.map((r, j) => {
    const [l, d] = flatten(r, 'tree.map', `rest[${j}]`);
    if (!sameStructure(def, d)) {
      throw new ArgumentError('tree.map', `rest[${j}]`, `structure ${describe(d)} differs from ${describe(def)}`);
    }
    return l;
  });
  return unflatten(def, leaves.map((leaf, i) => f(leaf, ...others.map((o) => o[i]!)))) as T;
}

/**
 * Pair up the leaves of two pytrees of the same structure.
 *
 * @param a - A pytree.
 * @param b - A pytree of `a`'s structure.
 * @returns The pairs of matching leaves, in flatten order.
 * @throws ArgumentError - when a leaf is not a tensor, or the structures differ.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { scalar } from '@mnemo/core';
 * const pairs = tree.zip({ a: scalar(1) }, { a: scalar(2) });
 * console.assert(pairs[0]![1].item() === 2);
 * ```
 * @category Pytrees
 */
export function zip(a: Tree, b: Tree): [Tensor, Tensor][] {
  const [la, da] = flatten(a, 'tree.zip', 'a');
  const [lb, db] = flatten(b, 'tree.zip', 'b');
  if (!sameStructure(da, db)) throw new ArgumentError('tree.zip', 'b', `structure ${describe(db)} differs from ${describe(da)}`);
  return la.map((x, i) => [x, lb[i]!]);
}

/**
 * The leaves of a pytree, in flatten order.
 *
 * @param x - A pytree.
 * @returns Its tensors, in flatten order.
 * @throws ArgumentError - when a leaf is not a tensor.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * console.assert(tree.leaves([zeros([1]), zeros([2])]).length === 2);
 * ```
 * @category Pytrees
 */
export function leaves(x: Tree): Tensor[] {
  return flatten(x, 'tree.leaves')[0];
}

/**
 * Reduce the leaves of a pytree to one value, in flatten order: counting
 * parameters, summing squared norms.
 *
 * @param x - A pytree.
 * @param f - Combines the accumulator with one leaf.
 * @param init - The initial accumulator.
 * @returns The final accumulator.
 * @throws ArgumentError - when a leaf is not a tensor.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * console.assert(tree.reduce({ a: zeros([2]), b: zeros([3]) }, (n, t) => n + t.size, 0) === 5);
 * ```
 * @category Pytrees
 */
export function reduce<A>(x: Tree, f: (acc: A, leaf: Tensor) => A, init: A): A {
  if (typeof f !== 'function') throw new ArgumentError('tree.reduce', 'f', `expected a function, got ${formatValue(f)}`);
  return leaves(x).reduce(f, init);
}
