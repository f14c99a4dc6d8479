/**
 * The `mnemo` command line as a library: the commands, their option types and
 * the exit codes, so that it can be run in-process (tests) or extended.
 *
 * @module
 */
export { EXIT_CODES_HELP, mnemoCli, runCli } from './app.js';
export { EXIT, UsageError, exitCodeOf, processIo, progressOutput, stripAnsi, type CliIo } from './io.js';
export { OptionTypes, codecType } from './types.js';
export { configFromArgs, runTrain, trainArgs, trainCommand, type TrainArgs } from './train.js';
export { evalCommand, runEval, type EvalArgs } from './eval.js';
export { gradcheckCommand, runGradcheck, type GradcheckArgs } from './gradcheck.js';
export { compareCommand, runCompare, type CompareArgs } from './compare.js';
