/**
 * Pieces the model builders share: checking a size argument, and stacking
 * recurrent cells layer on layer.
 *
 * @module
 * @internal
 */
import { ArgumentError, type DType } from '@mnemo/core';
import type { Tree } from '@mnemo/autodiff';
import { makeCell, type GatedCell, type MakeCellOptions } from '@mnemo/nn';

/** `v` when it is a positive integer; else an ArgumentError naming `op` and `name`. */
export function positiveInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(op, name, `must be a positive integer, got ${String(v)}`);
  return v;
}

/** `layers` cells of the given spec, the first reading `inputSize` features per step and each next one the previous one's output. */
export function cellStack(spec: string, layers: number, inputSize: number, hidden: number, dtype: DType, options: Partial<MakeCellOptions> = {}): GatedCell<Tree, Tree>[] {
  const cells: GatedCell<Tree, Tree>[] = [];
  for (let l = 0; l < layers; l++) cells.push(makeCell(spec, { inputSize: l === 0 ? inputSize : cells[l - 1]!.outputSize, hiddenSize: hidden, dtype, ...options }));
  return cells;
}
