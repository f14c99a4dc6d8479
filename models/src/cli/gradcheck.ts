/**
 * `mnemo gradcheck <cell>`: the BPTT gradient report of proofs for any cell of
 * nn, printed as tables; exit code 1 when a check fails.
 *
 * @module
 */
import { cellHelp, makeCell } from '@mnemo/nn';
import { bpttReport, formatBpttReport } from '@mnemo/proofs';
import { command, flag, option, optional, positional, string } from 'cmd-ts';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Codecs, describeErrors } from '../training/config.js';
import { EXIT, UsageError, type CliIo } from './io.js';
import { OptionTypes, codecType } from './types.js';

const ModeCodec = t.keyof({ elementwise: null, dot: null }, 'one of elementwise, dot');

/**
 * The decoded options of `mnemo gradcheck`.
 *
 * @example
 * ```ts
 * import type { GradcheckArgs } from '@mnemo/models';
 * const a: GradcheckArgs = { cell: 'lstm', steps: 20, hidden: 8, variant: 'cifg' };
 * console.assert(a.steps === 20);
 * ```
 * @category Command line
 */
export interface GradcheckArgs {
  /** The cell name (positional for gradcheck). */
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
  /** `--json`. */
  readonly json?: boolean | undefined;
}

/**
 * Run the BPTT gradient check of a cell (float64) and print the report;
 * returns 0 when every block passes, 1 otherwise.
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
  const spec = a.variant === undefined ? a.cell : `${a.cell} --variant ${a.variant}`;
  const decoded = Codecs.cell.decode(spec);
  if (E.isLeft(decoded)) throw new UsageError(describeErrors(decoded.left).join('; '));
  const hidden = a.hidden ?? 8;
  const cell = makeCell(decoded.right, {
    inputSize: a.input ?? 3,
    hiddenSize: hidden,
    dtype: 'float64',
    ...(a.projSize === undefined ? {} : { projSize: a.projSize }),
    ...(a.layerNorm === true ? { layerNorm: true } : {}),
  });
  const report = bpttReport(cell, {
    steps: a.steps ?? 20,
    batch: a.batch ?? 2,
    seed: a.seed ?? 0,
    ...(a.mode === undefined ? {} : { mode: a.mode }),
  });
  if (a.json === true) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(`${formatBpttReport(report).trimEnd()}\n`);
  return report.ok ? EXIT.ok : EXIT.failed;
}

/**
 * The `mnemo gradcheck` command (cmd-ts), writing through `io`.
 *
 * @example
 * ```ts
 * import { gradcheckCommand } from '@mnemo/models';
 * console.assert(gradcheckCommand({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false }).name === 'gradcheck');
 * ```
 * @category Command line
 */
export function gradcheckCommand(io: CliIo) {
  return command({
    name: 'gradcheck',
    description:
      'Check the BPTT gradients of a cell against central differences in float64: per time step, per gate and per parameter block.\n' +
      'Exit code 0 when every block passes, 1 when one fails.\n\n' +
      cellHelp(),
    args: {
      cell: positional({ type: string, displayName: 'cell', description: 'lstm, gru, rnn, mgu, mut1, mut2, mut3, with variants (lstm+cifg)' }),
      variant: option({ long: 'variant', type: optional(string), description: 'variants, comma-separated (same as cell+variant)' }),
      steps: option({ long: 'steps', type: optional(OptionTypes.positiveInt), description: 'time steps to unroll (20)' }),
      hidden: option({ long: 'hidden', type: optional(OptionTypes.positiveInt), description: 'hidden units (8)' }),
      input: option({ long: 'input', type: optional(OptionTypes.positiveInt), description: 'input features (3)' }),
      batch: option({ long: 'batch', type: optional(OptionTypes.positiveInt), description: 'sequences (2)' }),
      seed: option({ long: 'seed', type: optional(OptionTypes.seed), description: 'random seed (0)' }),
      projSize: option({ long: 'proj-size', type: optional(OptionTypes.nonNegativeInt), description: 'LSTM: projection size (0: none)' }),
      layerNorm: flag({ long: 'layer-norm', description: 'LSTM: layer normalization' }),
      mode: option({
        long: 'mode',
        type: optional(codecType(ModeCodec, { displayName: 'mode' })),
        description: 'elementwise (every entry, default) or dot (random directions, faster)',
      }),
      json: flag({ long: 'json', description: 'print the report as JSON' }),
    },
    handler: (a) => runGradcheck(io, a),
  });
}
