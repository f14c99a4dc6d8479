/**
 * `@mnemo/autodiff`: a pure, tape-based reverse-mode autodiff over the
 * immutable tensors of `@mnemo/core`.
 *
 * @packageDocumentation
 */
export * from './ops.js';
export { PRIMS, type Prim, type PrimParams } from './prims.js';
export { bind, type VjpRule, type TapeEntry } from './tape.js';
export * from './api.js';
export * as tree from './tree.js';
export type { Tree, TreeDef } from './tree.js';
