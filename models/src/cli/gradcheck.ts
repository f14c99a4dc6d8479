/**
 * `mnemo gradcheck <cell>`: the BPTT gradient report of proofs for any cell of
 * nn, printed as tables; exit code 1 when a check fails.
 *
 * @module
 */
import { makeCell } from '@mnemo/nn';
import { bpttReport, formatBpttReport } from '@mnemo/proofs';
import * as E from 'fp-ts/lib/Either.js';
import { jsonText } from '../report/json.js';
import { Codecs, describeErrors } from '../training/codecs.js';
import { resolveCliModuleCell } from './cells.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { memoryLimit } from './limits.js';
import type { ArgsSpec } from './parse.js';
import { OptionTypes } from './types.js';
import { formatBytes, gatesOf, TAPE_VALUES_PER_GATE_UNIT } from '../tasks/common/memory.js';

/**
 * The decoded options of `mnemo gradcheck`.
 *
 * @example
 * ```ts
 * import type { GradcheckArgs } from '@mnemo/models';
 * const a: GradcheckArgs = { cell: 'lstm', steps: 20, hidden: 8, variant: 'cifg', eps: 1e-6 };
 * console.assert(a.steps === 20);
 * ```
 * @category Command line
 */
export interface GradcheckArgs {
  /** The cell name (positional). */
  readonly cell: string;
  /** `--variant`. */
  readonly variant?: string | undefined;
  /** `--steps`. */
  readonly steps?: number | undefined;
  /** `--hidden`. */
  readonly hidden?: number | undefined;
  /** `--input`. */
  readonly input?: number | undefined;
  /** `--batch`. */
  readonly batch?: number | undefined;
  /** `--seed`. */
  readonly seed?: number | undefined;
  /** `--proj-size`. */
  readonly projSize?: number | undefined;
  /** `--layer-norm`. */
  readonly layerNorm?: boolean | undefined;
  /** `--mode`. */
  readonly mode?: 'elementwise' | 'dot' | undefined;
  /** `--eps`: the finite-difference step. */
  readonly eps?: number | undefined;
  /** `--json`. */
  readonly json?: boolean | undefined;
}

/**
 * The arguments of `mnemo gradcheck`.
 *
 * @example
 * ```ts
 * import { gradcheckSpec } from '@mnemo/models';
 * console.assert(gradcheckSpec.options.some((o) => o.flag === '--eps'));
 * ```
 * @category Command line
 */
export const gradcheckSpec: ArgsSpec = {
  positionals: [{ key: 'cell', name: 'cell', type: OptionTypes.cell, help: "lstm, gru, rnn, mgu, mut1, mut2, mut3, with variants (lstm+cifg), or your own cell's module file (./janet.ts)", required: true }],
  options: [
    { flag: '--variant', key: 'variant', type: OptionTypes.variant, help: 'variants, comma-separated (same as cell+variant)' },
    { flag: '--steps', key: 'steps', type: OptionTypes.positiveInt, help: 'time steps to unroll (20)' },
    { flag: '--hidden', key: 'hidden', type: OptionTypes.positiveInt, help: 'hidden units (8)' },
    { flag: '--input', key: 'input', type: OptionTypes.positiveInt, help: 'input features (3)' },
    { flag: '--batch', key: 'batch', type: OptionTypes.positiveInt, help: 'sequences (2)' },
    { flag: '--seed', key: 'seed', type: OptionTypes.seed, help: 'random seed (0)' },
    { flag: '--proj-size', key: 'projSize', type: OptionTypes.nonNegativeInt, help: 'LSTM: projection size (0: none)' },
    { flag: '--layer-norm', key: 'layerNorm', help: 'LSTM: layer normalization' },
    { flag: '--mode', key: 'mode', type: OptionTypes.mode, help: 'elementwise (every entry, default) or dot (random unit directions, faster)' },
    { flag: '--eps', key: 'eps', type: OptionTypes.eps, help: 'the central differences\' step: an entry (or a block, along a unit direction) moves by +-eps (1e-5)' },
    { flag: '--json', key: 'json', help: 'print the report as JSON' },
  ],
};

/**
 * Run the BPTT gradient check of a cell (float64) and print the report;
 * returns 0 when every block passes, 1 otherwise. The cell is a registered
 * name or a cell module file (loaded first, as `--cell` loads it). A check too large for this
 * machine's memory is refused with a `UsageError` naming the option.
 *
 * @example
 * ```ts
 * import { runGradcheck } from '@mnemo/models';
 * const out: string[] = [];
 * const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s), stdoutIsTTY: false, stderrIsTTY: false };
 * const code = await runGradcheck(io, { cell: 'gru', steps: 3, hidden: 2, input: 2, batch: 1 });
 * console.assert(code === 0 && out.join('').includes('PASS'));
 * ```
 * @category Command line
 */
export async function runGradcheck(io: CliIo, a: GradcheckArgs): Promise<number> {
  // A cell module is loaded, and its family registered, first.
  const own = await resolveCliModuleCell(io, a.cell, 'cell', a.variant);
  const spec = own !== undefined ? own.cell : a.variant === undefined ? a.cell : `${a.cell} --variant ${a.variant}`;
  const decoded = Codecs.cell.decode(spec);
  if (E.isLeft(decoded)) {
    const why = describeErrors(decoded.left).join('; ');
    throw a.variant === undefined ? new UsageError(why, 'cell') : new UsageError(`--variant ${a.variant}: ${why}`, '--variant');
  }
  const hidden = a.hidden ?? 8;
  const input = a.input ?? 3;
  const steps = a.steps ?? 20;
  const batch = a.batch ?? 2;
  const width = Math.max(hidden, a.projSize ?? 0);
  const g = gatesOf(decoded.right);
  // float64: the parameters (with their gradients and moved copies), and the tape of the unroll.
  const bytes = 8 * (6 * g * width * (input + width + 1) + steps * batch * TAPE_VALUES_PER_GATE_UNIT * g * width);
  const limit = memoryLimit();
  if (bytes > limit || g * width * Math.max(input, width) > 2 ** 32) {
    const blame = [['--hidden', a.hidden], ['--proj-size', a.projSize], ['--input', a.input], ['--steps', a.steps], ['--batch', a.batch]].find(([, v]) => v !== undefined)?.[0] as string | undefined;
    throw new UsageError(`this check needs about ${formatBytes(bytes)} of memory by mnemo's estimate, more than the ${formatBytes(limit)} this machine has; lower --hidden, --proj-size, --input, --steps or --batch`, blame ?? '--hidden');
  }
  let cell;
  try {
    cell = makeCell(decoded.right, {
      inputSize: input,
      hiddenSize: hidden,
      dtype: 'float64',
      ...(a.projSize === undefined ? {} : { projSize: a.projSize }),
      ...(a.layerNorm === true ? { layerNorm: true } : {}),
    });
  } catch (e) {
    throw new UsageError((e as Error).message, a.projSize !== undefined ? '--proj-size' : a.layerNorm === true ? '--layer-norm' : 'cell');
  }
  const report = bpttReport(cell, {
    steps,
    batch,
    seed: a.seed ?? 0,
    ...(a.mode === undefined ? {} : { mode: a.mode }),
    ...(a.eps === undefined ? {} : { step: a.eps }),
  });
  if (a.json === true) io.stdout(`${jsonText(own === undefined ? report : { ...report, cellModule: own.cellModule }, 2)}\n`);
  else io.stdout(`${own === undefined ? '' : `cell ${own.cell}, from ${own.cellModule}\n`}${formatBpttReport(report).trimEnd()}\n`);
  return report.ok ? EXIT.ok : EXIT.failed;
}
