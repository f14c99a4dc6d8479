export * from './vocab.js';
export * from './sonnets.js';
export * from './ngram.js';
export * from './model.js';
export * from './train.js';
export * from './sample.js';
export * from './run.js';
export * from './cli.js';
