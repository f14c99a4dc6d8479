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
export { runMatmulBench, formatTable, type MatmulBenchRow, type MatmulBenchOptions } from './bench/matmul.js';
export { runSeedBench, formatSeedTable, type SeedBenchRow, type SeedBenchResult } from './bench/seed.js';
export { runLstmSweep, formatSweepTable, type SweepRow } from './bench/sweep.js';
export { runMemoryBench, formatMemoryTable, type MemoryRow } from './bench/memory.js';
export { runCellsBench, formatCellsTable, type CellsBenchRow } from './bench/cells.js';
export { timeOnce, timeRuns, maxAbsDifference, maxRelativeDifference } from './bench/timing.js';
