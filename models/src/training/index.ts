/**
 * Training: the run configuration and its codec, the loop, checkpoints,
 * evaluation and the run's summary.
 *
 * @module
 */
export {
  Codecs,
  MNIST_TRAIN_EXAMPLES,
  TrainConfigCodec,
  decodeConfig,
  defaultConfig,
  describeErrors,
  modelConfigOf,
  optimizerOf,
  resolveConfig,
  type BackendName,
  type OptimizerName,
  type TrainConfig,
} from './config.js';
export { RUN_FILES, RunDirError, loadCheckpoint, loadRunConfig, saveCheckpoint, type TrainState } from './checkpoint.js';
export { evaluate, type EvalResult } from './evaluate.js';
export { DivergedError, makeStep, runKeys, taskOf, train, type StepMetrics, type TrainOptions, type TrainResult } from './loop.js';
export { summarize, summaryMarkdown, tailMean, writeReport, type RunSummary } from './summary.js';
export { SOLVED_FRACTION, compareCells, compareTable, type CompareOptions, type CompareResult, type CompareRow } from './compare.js';
