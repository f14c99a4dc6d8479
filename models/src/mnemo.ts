/**
 * `mnemo`: the umbrella entry. Everything public from the five layers in one
 * import. Where two layers use one name, the differentiable op wins: `split`
 * and `stack` are autodiff's ops (core's random-key `split` is `splitKey`, and
 * core's plain-kernel `stack` stays in `@mnemo/core`).
 *
 * @packageDocumentation
 * @internal
 */
export * from '@mnemo/core';
export * from '@mnemo/autodiff';
export * from '@mnemo/nn';
export * from '@mnemo/nn/node';
export * from '@mnemo/proofs';
export * from './index.js';
export { split, stack } from '@mnemo/autodiff';
export { split as splitKey } from '@mnemo/core';
