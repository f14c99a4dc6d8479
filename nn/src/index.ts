/**
 * `@mnemo/nn`: compositional recurrent cells, sequences, layers, losses,
 * optimizers and parameter files.
 *
 * @packageDocumentation
 */
export * from './cell.js';
export * from './cells/index.js';
export * from './scan.js';
export * from './stack.js';
export * from './input-layer.js';
export * from './layers.js';
export * from './losses.js';
/**
 * Initializers: `init.glorotUniform`, `init.orthogonal`, `init.rnnUniform(H)`,
 * `init.uniform(lo, hi)`, `init.normal(std)`, `init.zeros`, `init.constant(v)`;
 * each maps a key, a shape and a dtype to a tensor.
 *
 * @example
 * ```ts
 * import { init } from '@mnemo/nn';
 * import { key } from '@mnemo/core';
 * console.assert(init.glorotUniform(key(0), [4, 3]).shape.join() === '4,3');
 * ```
 * @category Initializers
 */
export * as init from './init.js';
export type { Initializer } from './init.js';
export * from './optim.js';
/**
 * Learning-rate schedules: `schedules.constant`, `stepDecay`, `exponential`,
 * `linear`, `cosine`, `warmup`, `join`; each maps a step count to a rate.
 *
 * @example
 * ```ts
 * import { schedules } from '@mnemo/nn';
 * const lr = schedules.cosine({ initial: 0.1, steps: 100 });
 * console.assert(lr(0) === 0.1 && lr(100) === 0);
 * ```
 * @category Schedules
 */
export * as schedules from './schedules.js';
export type { Schedule, LearningRate } from './schedules.js';
export * from './clip.js';
export * from './params.js';
