/**
 * `proveCell`: a fast-check property over batch sizes, sequence lengths,
 * input and hidden sizes and values that checks a cell's BPTT gradients with
 * {@link bpttReport}. A researcher who writes a new cell proves it in one line
 * of a test.
 *
 * @module
 */
import fc from 'fast-check';
import { ArgumentError, MnemoError, checkCount, checkOptions, formatValue } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import type { Cell } from '@mnemo/nn';
import { arbCellConfig, type CellConfig, type CellConfigOptions } from './arbitraries.js';
import { bpttReport, formatBpttReport, isBiasPath, type BpttOptions, type BpttReport } from './bptt.js';

/**
 * Makes a float64 cell of the drawn sizes. A cell maker from nn's
 * `defineCell` is one (`mguCell`, or a researcher's), and `makeCell` fits
 * with a one-line wrapper: `(c) => makeCell('gru', { ...c })`.
 *
 * @example
 * ```ts
 * import type { CellFactory } from '@mnemo/proofs';
 * import { makeCell, mguCell } from '@mnemo/nn';
 * const f: CellFactory = (c) => makeCell('mgu', c);
 * const g: CellFactory = mguCell;
 * console.assert(f({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }).hiddenSize === 3 && g({ inputSize: 1, hiddenSize: 2, dtype: 'float64' }).name === 'mgu');
 * ```
 * @category BPTT
 */
export type CellFactory = (config: { readonly inputSize: number; readonly hiddenSize: number; readonly dtype: 'float64' }) => Cell;

/**
 * Options of {@link proveCell}: the bounds of what is drawn (see
 * {@link CellConfigOptions}: input and hidden 1 to 8, batch 1 to 3, steps 1 to
 * 8, masks, bias), the fast-check run (`numRuns`, default 25; `seed`), and the
 * BPTT check (`mode`, default `dot`: random directions per block, cheap enough
 * for many runs; `elementwise` compares every entry).
 *
 * @example
 * ```ts
 * import type { ProveCellOptions } from '@mnemo/proofs';
 * const o: ProveCellOptions = { numRuns: 10, maxSteps: 20, masks: true, mode: 'elementwise' };
 * console.assert(o.numRuns === 10);
 * ```
 * @category BPTT
 */
export interface ProveCellOptions
  extends CellConfigOptions,
    Pick<BpttOptions, 'mode' | 'directions' | 'step' | 'atol' | 'rtol' | 'normRtol' | 'check' | 'inputScale'> {
  readonly numRuns?: number;
  /** fast-check's seed, to replay a run. */
  readonly seed?: number;
}

/**
 * A proof that did not go through: {@link proveCell} found a draw whose BPTT
 * gradients disagree with central differences, or whose cell could not be
 * made or run. The message carries fast-check's seed and path to replay the
 * draw, and the printed BPTT report or the cell's own error; `cause` is the
 * error of the failing draw.
 *
 * @example
 * ```ts
 * import { ProofError, proveCell } from '@mnemo/proofs';
 * import { MnemoError } from '@mnemo/core';
 * let caught: unknown;
 * try {
 *   proveCell(() => { throw new Error('no cell here'); }, { numRuns: 1 });
 * } catch (e) {
 *   caught = e;
 * }
 * console.assert(caught instanceof ProofError && caught instanceof MnemoError && caught.op === 'proveCell');
 * ```
 * @category BPTT
 */
export class ProofError extends MnemoError {}

function bpttOptionsOf(c: CellConfig, o: ProveCellOptions): BpttOptions {
  return {
    steps: c.steps,
    batch: c.batch,
    seed: c.seed,
    lengths: c.lengths,
    mode: o.mode ?? 'dot',
    ...(c.bias ? {} : { zero: isBiasPath }),
    ...(o.directions === undefined ? {} : { directions: o.directions }),
    ...(o.step === undefined ? {} : { step: o.step }),
    ...(o.atol === undefined ? {} : { atol: o.atol }),
    ...(o.rtol === undefined ? {} : { rtol: o.rtol }),
    ...(o.normRtol === undefined ? {} : { normRtol: o.normRtol }),
    ...(o.check === undefined ? {} : { check: o.check }),
    ...(o.inputScale === undefined ? {} : { inputScale: o.inputScale }),
  };
}

function cellOf(subject: Cell | CellFactory, c: CellConfig): Cell {
  return typeof subject === 'function' ? subject({ inputSize: c.inputSize, hiddenSize: c.hiddenSize, dtype: 'float64' }) : subject;
}

/**
 * The property behind {@link proveCell}, for composing with other fast-check
 * runs: it draws a {@link CellConfig} (sizes are the cell's own when a cell
 * rather than a factory is given) and throws the printed BPTT report when a
 * check fails.
 *
 * @param subject - A float64 cell, or a factory that makes one from `{ inputSize,
 *   hiddenSize, dtype }`.
 * @param opts - Bounds on the configurations and the BPTT report's options (see
 *   {@link ProveCellOptions}).
 * @returns A fast-check property over {@link CellConfig}.
 * @throws ArgumentError - when `subject` is neither a cell nor a function, or
 *   `opts` is not an object; when run, as {@link bpttReport} throws.
 * @throws ProofError - when run, for a configuration whose BPTT gradients disagree
 *   (the message holds the printed report).
 * @throws DTypeError - when run, if the cell is not float64.
 * @throws ShapeError - when run, if the cell's step returns shapes that do not
 *   fit.
 * @throws MnemoError - when run, if tapes are closed out of order.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { cellProperty } from '@mnemo/proofs';
 * import { makeCell } from '@mnemo/nn';
 * const run = fc.check(cellProperty((c) => makeCell('rnn', c), { maxSteps: 3 }), { numRuns: 3 });
 * console.assert(!run.failed && run.numRuns === 3);
 * ```
 * @category BPTT
 */
export function cellProperty(subject: Cell | CellFactory, opts?: ProveCellOptions): fc.IPropertyWithHooks<[CellConfig]> {
  const options = checkOptions('proveCell', 'options', opts);
  const fixed = typeof subject === 'function' ? undefined : subject;
  if (fixed !== undefined && (fixed === null || typeof fixed !== 'object' || typeof fixed.step !== 'function')) {
    throw new ArgumentError('proveCell', 'cell', `expected a Cell or a function that makes one from { inputSize, hiddenSize, dtype }, got ${formatValue(fixed)}`);
  }
  const configs = arbCellConfig(options).map((c) => (fixed === undefined ? c : { ...c, inputSize: fixed.inputSize, hiddenSize: fixed.hiddenSize }));
  return fc.property(configs, (c) => {
    const cell = cellOf(subject, c);
    const report: BpttReport = bpttReport(cell as Cell<Tree, Tree>, bpttOptionsOf(c, options));
    if (!report.ok) throw new ProofError('proveCell', 'cell', `BPTT gradients of ${cell.name} disagree for ${JSON.stringify(c)}:\n${formatBpttReport(report)}`);
    return true;
  });
}

/**
 * Prove a cell's gradients through time: draw batch sizes, sequence lengths,
 * input and hidden sizes (with a factory), biases on or off and values, and
 * check every draw with {@link bpttReport}. Throws a {@link ProofError} with fast-check's report, with
 * the failing configuration and the printed BPTT table, when a check fails.
 * Give a factory to vary the sizes, or a float64 cell to keep them.
 *
 * @param subject - A float64 cell (its sizes are kept), or a factory that makes
 *   one from `{ inputSize, hiddenSize, dtype }` (sizes are drawn).
 * @param opts - `numRuns` (default 25), `seed`, bounds on the configurations and
 *   the report's options (see {@link ProveCellOptions}).
 * @throws ProofError - when a configuration fails: fast-check's report, with the
 *   seed to replay, the shrunk configuration and the printed BPTT table (its
 *   `cause` is the failing run's error).
 * @throws ArgumentError - when `subject` is neither a cell nor a function, `opts`
 *   is not an object, `numRuns` is not a positive integer, `seed` is not an
 *   integer, or another option is out of range.
 * @throws DTypeError - when the cell is not float64.
 * @throws ShapeError - when the cell's step returns shapes that do not fit its
 *   sizes.
 * @throws MnemoError - when tapes are closed out of order inside the cell's step.
 *
 * @example
 * ```ts
 * import { proveCell } from '@mnemo/proofs';
 * import { makeCell } from '@mnemo/nn';
 * let proven = true;
 * try {
 *   proveCell((c) => makeCell('lstm+cifg', c), { numRuns: 3, maxSteps: 4 });
 * } catch {
 *   proven = false;
 * }
 * console.assert(proven);
 * ```
 * @category BPTT
 */
export function proveCell(subject: Cell | CellFactory, opts?: ProveCellOptions): void {
  const options = checkOptions('proveCell', 'options', opts);
  const numRuns = options.numRuns === undefined ? 25 : checkCount('proveCell', 'options.numRuns', options.numRuns, 1);
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new ArgumentError('proveCell', 'options.seed', `expected an integer, got ${formatValue(options.seed)}`);
  const run = fc.check(cellProperty(subject, options), { numRuns, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  if (!run.failed) return;
  const cause = run.errorInstance instanceof Error ? run.errorInstance.message : formatValue(run.errorInstance);
  const e = new ProofError(
    'proveCell',
    'cell',
    `failed after ${run.numRuns} run(s), shrunk ${run.numShrinks} time(s); replay with { seed: ${run.seed} } ` +
      `(fast-check path ${JSON.stringify(run.counterexamplePath)}).\n${cause}`,
  );
  throw Object.assign(e, { cause: run.errorInstance });
}
