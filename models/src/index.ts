/**
 * `@mnemo/models`: the tasks (the data and models of each problem), the one
 * training loop they all run through, what a run writes (report), the
 * `mnemo` command line, and benchmarks.
 *
 * @packageDocumentation
 */
export * from './report/index.js';
export * from './training/index.js';
export * from './tasks/index.js';
export * from './cli/index.js';
export { runMatmulBench, formatTable, type MatmulBenchRow, type MatmulBenchOptions } from './bench/matmul.js';
export { runSeedBench, formatSeedTable, type SeedBenchRow, type SeedBenchResult } from './bench/seed.js';
export { runLstmSweep, formatSweepTable, type SweepRow } from './bench/sweep.js';
export { runMemoryBench, formatMemoryTable, type MemoryRow } from './bench/memory.js';
export { runCellsBench, formatCellsTable, type CellsBenchRow } from './bench/cells.js';
export { timeOnce, timeRuns, maxAbsDifference, maxRelativeDifference } from './bench/timing.js';
