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
