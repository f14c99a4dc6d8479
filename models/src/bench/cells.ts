/**
 * What each cell costs: the seed model (MNIST rows, batch 128, a dense
 * projection 28 -> 128, one recurrent layer of 128 units, a dense layer to 10
 * classes, softmax cross-entropy, Adam) trained with every built-in cell and
 * a researcher's own (the "Writing a new cell" guide's JANET, loaded from its
 * module file as `--cell` loads it), all compiled, timed in one run beside
 * the compiled LSTM. A cell's
 * step is expected to cost the LSTM's scaled by its gate blocks (the width of
 * its products: GRU 3/4, MGU 2/4, RNN 1/4 of the LSTM's), plus its own
 * elementwise work.
 *
 * @module
 */
import { key, randint, split, uniform, type Key, type Tensor } from '@mnemo/core';
import { index, valueAndGrad, type Tree } from '@mnemo/autodiff';
import { adam, dense, explainScan, isGatedCell, makeCell, scan, softmaxCrossEntropy, withDenseInput, type Cell, type DenseParams } from '@mnemo/nn';
import { timeRuns } from './timing.js';

/**
 * One row of {@link runCellsBench}.
 *
 * @example
 * ```ts
 * import type { CellsBenchRow } from '@mnemo/models';
 * const r: CellsBenchRow = { cell: 'gru', blocks: 3, compiled: true, msPerStep: 30, bestMs: 28, vsLstm: 0.75, vsScaledLstm: 1 };
 * console.assert(r.vsScaledLstm <= 1.25);
 * ```
 * @category Benchmarks
 */
export interface CellsBenchRow {
  readonly cell: string;
  /** Gate blocks: the width of the cell's products in units of the hidden size (LSTM 4). */
  readonly blocks: number;
  /** Whether `scan` compiled the cell (see `explainScan`). */
  readonly compiled: boolean;
  /** Median wall-clock milliseconds per training step. */
  readonly msPerStep: number;
  readonly bestMs: number;
  /** This step's time over the compiled LSTM's, measured in the same run. */
  readonly vsLstm: number;
  /** This step's time over the LSTM's scaled by gate blocks (`blocks / 4`): 1 means the cell costs what its products cost. */
  readonly vsScaledLstm: number;
  /** The same training step through the tape (`scan(..., { compile: false })`), median ms, when the bench timed it. */
  readonly tapeMs?: number;
  /** The tape's step over the compiled one, in the same run: how many times faster the compiled step is. */
  readonly speedup?: number;
}

/** The cells the bench trains: spec, gate blocks, and how to make it. */
const CELLS: readonly { readonly name: string; readonly blocks: number; readonly make: () => Cell<Tree, Tree> }[] = [
  ...(
    [
      ['lstm', 4],
      ['lstm+peephole', 4],
      ['lstm+cifg', 3],
      ['gru', 3],
      ['gru --variant reset-after', 3],
      ['mgu', 2],
      ['mut1', 3],
      ['mut2', 3],
      ['mut3', 3],
      ['rnn', 1],
      ['rnn+relu', 1],
    ] as const
  ).map(([spec, blocks]) => ({ name: spec, blocks, make: () => makeCell(spec, { inputSize: 128, hiddenSize: 128 }) as Cell<Tree, Tree> })),
  { name: 'lstm, layer norm', blocks: 4, make: () => makeCell('lstm', { inputSize: 128, hiddenSize: 128, layerNorm: true }) as Cell<Tree, Tree> },
];

/** A registered family from a module (a user's cell) as a row: its gate blocks are the width of its input products over the hidden size. */
function userCell(family: string): { readonly name: string; readonly blocks: number; readonly make: () => Cell<Tree, Tree> } {
  const make = (): Cell<Tree, Tree> => makeCell(family, { inputSize: 128, hiddenSize: 128 }) as Cell<Tree, Tree>;
  const c = make();
  const blocks = isGatedCell(c) ? c.inputPartSize / c.hiddenSize : 4;
  return { name: family, blocks, make };
}

/**
 * Train the seed model with each cell (batch `batch`, `steps` timed steps
 * after three warm-up steps) and report its median step beside the
 * compiled LSTM's. `cells` picks cells by name (default: all); `families`
 * adds registered families, a user's cells loaded from their modules (the
 * bench loads the guide's JANET with `loadCellModule`). With `tape`, each
 * cell's same step is also timed through the tape (`compile: false`, the
 * path every cell but the hand-fused LSTM took before the compiler), as the
 * baseline of the compiled one.
 *
 * @example
 * ```ts
 * import { runCellsBench } from '@mnemo/models';
 * const rows = runCellsBench({ batch: 4, steps: 1, cells: ['lstm', 'rnn'], tape: true });
 * console.assert(rows.length === 2 && rows.every((r) => r.compiled && r.tapeMs !== undefined && r.speedup! > 0));
 * ```
 * @param options - batch, timed steps, which cells, families of users' cells to add, and whether to time the tape too
 * @returns one row per cell, the LSTM first
 * @category Benchmarks
 */
export function runCellsBench(
  options: { batch?: number; steps?: number; cells?: readonly string[]; families?: readonly string[]; tape?: boolean; onRow?: (r: CellsBenchRow) => void } = {},
): CellsBenchRow[] {
  const batch = options.batch ?? 128;
  const steps = options.steps ?? 8;
  const all = [...CELLS, ...(options.families ?? []).map(userCell)];
  const chosen = all.filter((c) => options.cells === undefined || c.name === 'lstm' || options.cells.includes(c.name));
  const [kx, ky] = split(key(1), 2) as [Key, Key];
  const x = uniform(kx, [batch, 28, 28]);
  const y = randint(ky, [batch], 0, 10);
  const rows: CellsBenchRow[] = [];
  let lstmMs = NaN;
  for (const c of chosen) {
    const cell = withDenseInput(c.make(), 28);
    const [kc, kh] = split(key(7), 2) as [Key, Key];
    type Params = { rnn: Tree; head: DenseParams };
    let params: Params = { rnn: cell.init(kc) as Tree, head: dense.init(kh, 128, 10) };
    const time = (compile: boolean): { medianMs: number; bestMs: number } => {
      const apply = (p: Params): Tensor => {
        const { outputs } = scan(cell as Cell<Tree, Tree>, p.rnn, x, { compile });
        return dense.apply(p.head, index(outputs, 1, outputs.shape[1]! - 1));
      };
      const opt = adam({ lr: 1e-3 });
      let p = params;
      let state = opt.init(p);
      const vg = valueAndGrad((q: Params) => softmaxCrossEntropy(apply(q), y));
      return timeRuns(
        () => {
          const [, g] = vg(p);
          [p, state] = opt.update(g, state, p);
        },
        compile ? 3 : 1,
        steps,
      );
    };
    const t = time(true);
    const tape = options.tape === true ? time(false) : undefined;
    if (c.name === 'lstm') lstmMs = t.medianMs;
    const row: CellsBenchRow = {
      cell: c.name,
      blocks: c.blocks,
      compiled: explainScan(cell as Cell<Tree, Tree>, params.rnn, x).compiled,
      msPerStep: t.medianMs,
      bestMs: t.bestMs,
      vsLstm: t.medianMs / lstmMs,
      vsScaledLstm: t.medianMs / ((lstmMs * c.blocks) / 4),
      ...(tape === undefined ? {} : { tapeMs: tape.medianMs, speedup: tape.medianMs / t.medianMs }),
    };
    rows.push(row);
    options.onRow?.(row);
  }
  return rows.filter((r) => options.cells === undefined || options.cells.includes(r.cell));
}

/**
 * Format {@link runCellsBench}'s rows as a Markdown table.
 *
 * @example
 * ```ts
 * import { formatCellsTable } from '@mnemo/models';
 * const t = formatCellsTable([{ cell: 'gru', blocks: 3, compiled: true, msPerStep: 30, bestMs: 28, vsLstm: 0.75, vsScaledLstm: 1 }]);
 * console.assert(t.includes('| gru | 3 | yes | 30.0 | 28.0 | 0.75 | 1.00 |'));
 * ```
 * @param rows - the bench's rows
 * @returns a Markdown table
 * @category Benchmarks
 */
export function formatCellsTable(rows: readonly CellsBenchRow[]): string {
  const tape = rows.some((r) => r.tapeMs !== undefined);
  const lines = [
    `| cell | gate blocks | compiled | ms/step (median) | best ms | x LSTM | x LSTM scaled by blocks |${tape ? ' tape ms/step | tape / compiled |' : ''}`,
    `| --- | ---: | --- | ---: | ---: | ---: | ---: |${tape ? ' ---: | ---: |' : ''}`,
  ];
  for (const r of rows) {
    const t = !tape ? '' : r.tapeMs === undefined ? ' | |' : ` ${r.tapeMs.toFixed(1)} | ${r.speedup!.toFixed(2)} |`;
    lines.push(`| ${r.cell} | ${r.blocks} | ${r.compiled ? 'yes' : 'no'} | ${r.msPerStep.toFixed(1)} | ${r.bestMs.toFixed(1)} | ${r.vsLstm.toFixed(2)} | ${r.vsScaledLstm.toFixed(2)} |${t}`);
  }
  return lines.join('\n');
}
