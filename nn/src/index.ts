/**
 * `@mnemo/nn`: compositional recurrent cells, sequences, layers, losses,
 * optimizers and parameter files.
 *
 * @packageDocumentation
 */
export * from './cell.js';
export * from './fused/lstm-sequence.js';
