/**
 * The `mnemo` command line as a library: the one table of subcommands, their
 * arguments, option types and sanity limits, and the exit codes, so that it
 * can be run in-process (tests) or extended.
 *
 * @module
 */
export { COMMANDS, EXIT_CODES_HELP, overviewHelp, runCli, type Command } from './app.js';
export { EXIT, UsageError, errorReport, exitCodeOf, processIo, progressOutput, stripAnsi, type CliIo } from './io.js';
export { helpText, parseArgs, type ArgsSpec, type OptionSpec, type PositionalSpec, type ValueType } from './parse.js';
export { OptionTypes, codecType } from './types.js';
export { MAX_TENSOR_ENTRIES, checkMemory, memoryLimit } from './limits.js';
export { TRAIN_HELP, TRAIN_OPTIONS, configFromArgs, flagOfField, runTrain, trainSpec, type TrainArgs, type TrainOption } from './train.js';
export { evalSpec, runEval, type EvalArgs } from './eval.js';
export { runSample, sampleSpec, type SampleArgs } from './sample.js';
export { gradcheckSpec, runGradcheck, type GradcheckArgs } from './gradcheck.js';
export { compareSpec, runCompare, type CompareArgs } from './compare.js';
export { cellsHelp } from './cells.js';
