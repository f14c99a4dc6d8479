/**
 * The state of a run after some steps, and the checks the loop and the
 * checkpoint loader make on it: that every value is finite, and that a
 * loaded state has the structure, shapes and dtypes the run's model needs.
 *
 * @module
 */
import { formatShape, shapesEqual, unsafeDataOf, type Tensor } from '@mnemo/core';
import { tree, type Tree, type TreeDef } from '@mnemo/autodiff';
import type { OptState } from '@mnemo/nn';

/**
 * Where a run stands after some steps: its parameters, its optimizer state,
 * the number of steps done, and the `carry` that a task passes from one step
 * to the next (the character LM's recurrent state between chunks; `[]` for
 * tasks whose steps are independent). With the configuration (seed included)
 * this is all a run needs to continue exactly as if it had never stopped.
 *
 * @example
 * ```ts
 * import { rowLstm, type TrainState } from '@mnemo/models';
 * import { adam } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * const params = rowLstm({ hidden: 4, projection: 4 }).init(key(0));
 * const s: TrainState<typeof params> = { params, optState: adam().init(params), step: 0, carry: [] };
 * console.assert(s.optState.step === 0);
 * ```
 * @category Training
 */
export interface TrainState<P extends Tree = Tree, C extends Tree = Tree> {
  /** The model's parameters. */
  readonly params: P;
  /** The optimizer's state (its update count and slots). */
  readonly optState: OptState<P>;
  /** Steps done (the next batch is this step's). */
  readonly step: number;
  /** What the next step starts from besides the parameters (`[]` for none). */
  readonly carry: C;
}

/** `name` followed by a leaf path: `params.rnn[0].fwd.wx`. */
function at(name: string, path: string): string {
  if (path === '') return name;
  return path.startsWith('[') ? `${name}${path}` : `${name}.${path}`;
}

/**
 * The first entry of a pytree that is not finite, or one that breaks
 * `rule`: the leaf's path under `name`, the entry's index in the leaf and
 * its value; `undefined` when every entry is fine.
 *
 * @param x - a pytree of tensors.
 * @param name - the name paths start with (`params`, `optimizer.slots.v`).
 * @param rule - an extra condition every entry must meet (default: none), and what it is called.
 * @returns the first offending entry, or `undefined`.
 * @example
 * ```ts
 * import { firstBadEntry } from '@mnemo/models';
 * import { tensor } from '@mnemo/core';
 * const bad = firstBadEntry({ w: tensor([1, 2]), b: [tensor([0, NaN])] }, 'params');
 * console.assert(bad?.field === 'params.b[0]' && bad.index === 1 && Number.isNaN(bad.value));
 * const negative = firstBadEntry({ v: tensor([0.5, -1]) }, 'slots', { ok: (v) => v >= 0, what: 'negative' });
 * console.assert(negative?.field === 'slots.v' && negative.problem === 'negative');
 * ```
 * @category Training
 */
export function firstBadEntry(
  x: Tree,
  name: string,
  rule?: { readonly ok: (v: number) => boolean; readonly what: string },
): { readonly field: string; readonly index: number; readonly value: number; readonly problem: string } | undefined {
  const [leaves, def] = tree.flatten(x, 'firstBadEntry', name);
  const paths = tree.paths(def);
  for (let i = 0; i < leaves.length; i++) {
    const d = unsafeDataOf(leaves[i]!);
    for (let j = 0; j < d.length; j++) {
      const v = d[j]!;
      if (!Number.isFinite(v)) return { field: at(name, paths[i]!), index: j, value: v, problem: 'not finite' };
      if (rule !== undefined && !rule.ok(v)) return { field: at(name, paths[i]!), index: j, value: v, problem: rule.what };
    }
  }
  return undefined;
}

/**
 * Where `x` differs from the template `like` in structure, shape or dtype:
 * one line per difference, each naming the leaf (`params.rnn[0].fwd.wh: the
 * file holds float32 [4, 16], the run needs float32 [5, 20]`); empty when it fits.
 *
 * @param name - the name paths start with.
 * @param x - what was read.
 * @param like - what the run needs (freshly initialized values).
 * @returns the differences.
 * @example
 * ```ts
 * import { treeMismatches } from '@mnemo/models';
 * import { zeros } from '@mnemo/core';
 * console.assert(treeMismatches('params', { w: zeros([2]) }, { w: zeros([2]) }).length === 0);
 * console.assert(treeMismatches('params', { w: zeros([3]) }, { w: zeros([2]) })[0] === 'params.w: the file holds float32 [3], the run needs float32 [2]');
 * ```
 * @category Training
 */
export function treeMismatches(name: string, x: unknown, like: Tree): string[] {
  const [ll, ld] = tree.flatten(like, 'treeMismatches', 'like');
  let xl: Tensor[];
  let xd: TreeDef;
  try {
    [xl, xd] = tree.flatten(x, 'treeMismatches', name);
  } catch (e) {
    return [`${name}: ${(e as Error).message}`];
  }
  if (!tree.sameStructure(xd, ld)) return [`${name}: the file holds ${tree.describe(xd)}, the run needs ${tree.describe(ld)}`];
  const paths = tree.paths(ld);
  const out: string[] = [];
  xl.forEach((l, i) => {
    const r = ll[i]!;
    if (!shapesEqual(l.shape, r.shape) || l.dtype !== r.dtype) {
      out.push(`${at(name, paths[i]!)}: the file holds ${l.dtype} ${formatShape(l.shape)}, the run needs ${r.dtype} ${formatShape(r.shape)}`);
    }
  });
  return out;
}
