/**
 * What a run shows and leaves behind: line charts as SVG, the training progress
 * display, JSON text, and the run directory (config, metrics, checkpoints).
 *
 * @module
 */
export { lineChartSvg, type LineChartOptions, type LineSeries } from './plot.js';
export { createProgress, formatDuration, type Progress, type ProgressOptions, type StepStats } from './progress.js';
export { jsonText } from './json.js';
export {
  METRICS_FILE,
  OutputError,
  appendMetrics,
  createRunDir,
  ensureDir,
  removeStaleTemporaryFiles,
  writeJsonAtomic,
  writeTextAtomic,
  type RunFileSystem,
} from './rundir.js';
