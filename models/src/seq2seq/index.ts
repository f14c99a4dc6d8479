export * from './problems.js';
export * from './model.js';
export * from './train.js';
export * from './run.js';
export * from './cli.js';
