/**
 * Training: the one loop every task runs through, its step, checkpoints,
 * metrics, the run's summary, and the codecs every run configuration is
 * built from. Imports nothing from the tasks: a task describes itself as a
 * {@link TrainingJob}.
 *
 * @module
 */
export { Codecs, RunConfigProps, decodeExact, describeErrors, errorField, oneOf, type BackendName, type OptimizerName, type RunConfig } from './codecs.js';
export { DivergedError, RunDirError, type DivergedPart } from './errors.js';
export { NO_CARRY, type Carry, type JobResult, type TrainingJob, type Validation } from './job.js';
export { firstBadEntry, treeMismatches, type TrainState } from './state.js';
export { trainingStep, type StepOutcome } from './step.js';
export { RUN_FILES, loadCheckpoint, readRunConfig, saveCheckpoint } from './checkpoint.js';
export { tailMean, truncateMetrics, type StepMetrics } from './metrics.js';
export { summarize, summaryMarkdown, writeReport, type RunSummary } from './summary.js';
export { runTraining, type RunOptions, type RunResult } from './loop.js';
