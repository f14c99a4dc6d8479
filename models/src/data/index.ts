/**
 * Datasets: our own IDX reader and the MNIST loader built on it.
 *
 * @module
 */
export { IdxError, parseIdx, readIdx, idxBytes, type IdxProblem, type IdxArray, type IdxExpectation } from './idx.js';
export { loadMnist, mnistDataDir, MNIST, type MnistSplit, type MnistSplitName, type MnistOptions } from './mnist.js';
