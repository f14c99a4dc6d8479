/**
 * Tasks: the data and models of each problem mnemo trains, and each one as a
 * job of the one training loop. MNIST read row by row (our own IDX reader),
 * the long-time-lag problems (adding, temporal order), the many-to-one
 * {@link sequenceModel} they share, the character language model on the
 * sonnets, and the encoder-decoder; {@link RUN_TASKS} names them all.
 *
 * @module
 */
export { TASK_NAMES, type Batch, type Task, type TaskBaseline, type TaskName } from './common/types.js';
export { vocabulary, type Vocabulary } from './common/vocab.js';
export { formatBytes, type MemoryEstimate, type MemoryPart } from './common/memory.js';
export {
  CELL_MODULE_EXTENSIONS,
  CellModuleError,
  importCellModule,
  loadCellModule,
  parseCellModuleRef,
  resolveCellNames,
  type CellModuleErrorKind,
  type CellModuleRef,
  type ImportModule,
  type LoadCellModuleOptions,
  type LoadedCellModule,
  type ResolvedCells,
} from './common/cell-modules.js';
export { IdxError, parseIdx, readIdx, idxBytes, type IdxProblem, type IdxArray, type IdxExpectation } from './mnist/idx.js';
export { loadMnist, mnistDataDir, MNIST, type MnistSplit, type MnistSplitName, type MnistOptions } from './mnist/data.js';
export { mnistTask, mnistTaskFrom, type MnistTaskOptions } from './mnist/task.js';
export { ADDING_BASELINE_MSE, ADDING_TOLERANCE, addingBatch } from './synthetic/adding.js';
export { TEMPORAL_ORDER_CLASSES, TEMPORAL_ORDER_SYMBOLS, temporalOrderBatch, temporalOrderLayout } from './synthetic/temporal-order.js';
export { SYNTHETIC_TEST_CHUNK, addingTask, temporalOrderTask, type SyntheticTaskOptions } from './synthetic/tasks.js';
export { makeTask, type TaskOptions } from './sequence/make.js';
export { rowLstm, sequenceModel, type SequenceModel, type SequenceModelConfig, type SequenceModelParams } from './sequence/model.js';
export {
  MNIST_TRAIN_EXAMPLES,
  TEMPORAL_ORDER_FORGET_BIAS,
  TrainConfigCodec,
  decodeConfig,
  defaultConfig,
  modelConfigOf,
  optimizerOf,
  resolveConfig,
  type TrainConfig,
} from './sequence/config.js';
export { evaluate, type EvalResult } from './sequence/evaluate.js';
export { runKeys, sequenceJob, taskOf, train, type TrainOptions, type TrainResult } from './sequence/job.js';
export {
  SOLVED_FRACTION,
  compareCells,
  compareTable,
  resumeComparison,
  type CompareOptions,
  type CompareResult,
  type CompareRow,
} from './sequence/compare.js';
export * from './charlm/sonnets.js';
export * from './charlm/ngram.js';
export * from './charlm/model.js';
export * from './charlm/sample.js';
export * from './charlm/job.js';
export * from './seq2seq/problems.js';
export * from './seq2seq/model.js';
export * from './seq2seq/job.js';
export {
  RUN_TASKS,
  decodeRunConfig,
  estimateMemory,
  jobOf,
  loadRunCellModule,
  openRun,
  resumeRun,
  type AnyRunConfig,
  type OpenRun,
  type RunTaskName,
} from './registry.js';
