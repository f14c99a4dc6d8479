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
export * from './fused/lstm-sequence.js';
export * from './layers.js';
export * from './losses.js';
export * as init from './init.js';
export type { Initializer } from './init.js';
export * from './optim.js';
export * as schedules from './schedules.js';
export type { Schedule, LearningRate } from './schedules.js';
export * from './clip.js';
export * from './params.js';
