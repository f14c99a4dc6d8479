/**
 * What a run shows and leaves behind: line charts as SVG, the training progress
 * display, and the run directory (config, metrics, checkpoints).
 *
 * @module
 */
export { lineChartSvg, type LineChartOptions, type LineSeries } from './plot.js';
export { createProgress, formatDuration, type Progress, type ProgressOptions, type StepStats } from './progress.js';
export { createRunDir, writeJsonAtomic, appendMetrics, METRICS_FILE } from './rundir.js';
