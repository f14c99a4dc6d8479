/**
 * The recurrent cells: LSTM family, GRU, MGU, MUT1-3, simple RNN, cells by
 * name, and weight import from PyTorch's layout.
 *
 * @module
 */
export { isGatedCell, type GatedCell, type StepReport } from './common.js';
export * from './lstm.js';
export * from './gru.js';
export * from './mgu.js';
export * from './mut.js';
export * from './rnn.js';
export * from './spec.js';
export * from './torch.js';
