/**
 * `mnemo`: the umbrella entry. Everything public from the five layers in one
 * import, Node's file I/O (`@mnemo/nn/node`) included; `mnemo/browser` is the
 * same without models and file I/O, for a browser page. Where two layers use
 * one name, the differentiable op wins: `split` and `stack` are autodiff's
 * ops (core's random-key `split` is `splitKey`, and core's plain-kernel
 * `stack` stays in `@mnemo/core`).
 *
 * @packageDocumentation
 * @internal
 */
export * from '@mnemo/core';
export * from '@mnemo/autodiff';
export * from '@mnemo/nn';
export * from '@mnemo/nn/node';
export * from '@mnemo/proofs';
export * from '@mnemo/models';
export { split, stack } from '@mnemo/autodiff';
export { split as splitKey } from '@mnemo/core';
