/**
 * `@mnemo/models`: datasets, the long-time-lag tasks, the flagship models, the
 * training loop and what a run writes.
 *
 * @packageDocumentation
 */
export * from './data/index.js';
export * from './report/index.js';
export * from './tasks/index.js';
export * from './models/index.js';
export * from './training/index.js';
export * from './cli/index.js';
export * from './charlm/index.js';
export * from './seq2seq/index.js';
