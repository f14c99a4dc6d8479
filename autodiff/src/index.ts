/**
 * `@mnemo/autodiff`: a pure, tape-based reverse-mode autodiff over the
 * immutable tensors of `@mnemo/core`.
 *
 * @categoryDescription Internals
 * The compiler's entry for whole recurrences, which `scan` and `explainScan`
 * of `@mnemo/nn` call for you. Using mnemo needs none of them; the search
 * lists them last.
 *
 * @packageDocumentation
 */
export * from './ops.js';
export { PRIMS, UNARY_PRIMS, BINARY_PRIMS, COMPARE_PRIMS, type Prim, type PrimParams, type NoParams } from './prims.js';
export { type VjpRule, type TapeEntry } from './tape.js';
export { bind } from './bind-checked.js';
export * from './api.js';
export { setDebugNans, getDebugNans } from './debug-nans.js';
export { compiledRecurrence, explainRecurrence, type StepFunction, type RecurrenceOptions, type RecurrenceResult } from './jit/recurrence.js';
export { CompileDeclined } from './jit/trace.js';
export { fuseElementwise } from './jit/fuse.js';
/**
 * Pytree utilities: `tree.flatten`, `tree.unflatten`, `tree.map`, `tree.zip`,
 * `tree.leaves`, `tree.reduce` over nested records and arrays of tensors.
 *
 * @example
 * ```ts
 * import { tree } from '@mnemo/autodiff';
 * import { zeros } from '@mnemo/core';
 * console.assert(tree.leaves({ w: zeros([2]), b: [zeros([1])] }).length === 2);
 * ```
 * @category Pytrees
 */
export * as tree from './tree.js';
export type { Tree, TreeDef } from './tree.js';
