/**
 * Internal helpers for walking pytrees leaf by leaf with readable paths
 * (`layers[0].w`), shared by the optimizers, clipping and parameter files.
 * Not part of the public API.
 *
 * @internal
 * @module
 */
import { ArgumentError, DTypeError, ShapeError, formatShape, shapesEqual, type Tensor } from '@mnemo/core';
import { tree, type TreeDef } from '@mnemo/autodiff';

/** `name` followed by a leaf path: `grads.layers[0].w`, or `grads` for a bare leaf. */
export function at(name: string, path: string): string {
  if (path === '') return name;
  return path.startsWith('[') ? `${name}${path}` : `${name}.${path}`;
}

/**
 * Flatten `x` and check it has the structure, shapes and dtypes of the
 * reference leaves; errors name the op, the argument and the leaf.
 */
export function flattenLike(op: string, name: string, x: unknown, refName: string, refDef: TreeDef, refLeaves: readonly Tensor[], paths: readonly string[]): Tensor[] {
  const [leaves, def] = tree.flatten(x, op, name);
  if (!tree.sameStructure(def, refDef)) {
    throw new ArgumentError(op, name, `structure ${tree.describe(def)} differs from ${refName}'s ${tree.describe(refDef)}`);
  }
  leaves.forEach((l, i) => {
    const r = refLeaves[i]!;
    if (!shapesEqual(l.shape, r.shape)) {
      throw new ShapeError(op, at(name, paths[i]!), `shape ${formatShape(l.shape)} differs from ${at(refName, paths[i]!)} ${formatShape(r.shape)}`);
    }
    if (l.dtype !== r.dtype) throw new DTypeError(op, at(name, paths[i]!), `${l.dtype} differs from ${at(refName, paths[i]!)} ${r.dtype}`);
  });
  return leaves;
}
