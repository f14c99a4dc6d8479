/**
 * `mnemo/browser`: everything public from the four layers that run in a
 * browser page (`@mnemo/core`, `@mnemo/autodiff`, `@mnemo/nn`,
 * `@mnemo/proofs`) in one import, with no Node built-in imported at load
 * time. Where two layers use one name, the differentiable op wins, as in
 * `mnemo`: `split` and `stack` are autodiff's ops, core's random-key `split`
 * is `splitKey`.
 *
 * @packageDocumentation
 * @internal
 */
export * from '@mnemo/core';
export * from '@mnemo/autodiff';
export * from '@mnemo/nn';
export * from '@mnemo/proofs';
export { split, stack } from '@mnemo/autodiff';
export { split as splitKey } from '@mnemo/core';
