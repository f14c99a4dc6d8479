/**
 * Tasks: the tutorial's MNIST row by row and the long-time-lag problems, each
 * as a {@link Task} that the training loop, `mnemo train` and `mnemo compare` use.
 *
 * @module
 */
export { TASK_NAMES, type Batch, type Task, type TaskBaseline, type TaskName } from './types.js';
export { ADDING_BASELINE_MSE, ADDING_TOLERANCE, addingBatch } from './adding.js';
export { TEMPORAL_ORDER_CLASSES, TEMPORAL_ORDER_SYMBOLS, temporalOrderBatch, temporalOrderLayout } from './temporal-order.js';
export { SYNTHETIC_TEST_CHUNK, addingTask, temporalOrderTask, type SyntheticTaskOptions } from './synthetic.js';
export { mnistTask, mnistTaskFrom, type MnistTaskOptions } from './mnist-task.js';
export { makeTask, type TaskOptions } from './make.js';
