/**
 * How much memory a run needs, estimated from its configuration alone
 * (nothing is allocated), so that the command line can refuse a run that
 * cannot fit before it starts (`--hidden 1e9`) instead of growing for a
 * minute and dying.
 *
 * The estimate counts the big items: parameters with their gradients and
 * optimizer state, the tape that backpropagation through time keeps per step
 * and example, the batch, and the test data. It is an order of magnitude,
 * not a measurement: the tape term uses about 10 values per gate unit per
 * step and example (measured: the compositional LSTM of hidden 64 keeps 36
 * float32 values per hidden unit per step, about 9 per gate unit).
 *
 * @module
 */
import { parseCellSpec } from '@mnemo/nn';

/**
 * One item of a {@link MemoryEstimate}: what it is, its bytes, and the
 * configuration fields it grows with.
 *
 * @example
 * ```ts
 * import type { MemoryPart } from '@mnemo/models';
 * const p: MemoryPart = { what: 'parameters, gradients and optimizer state', bytes: 3.8e6, fields: ['hidden', 'layers'] };
 * console.assert(p.fields.includes('hidden'));
 * ```
 * @category Tasks
 */
export interface MemoryPart {
  /** What it is, in words. */
  readonly what: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The configuration fields it grows with, most important first. */
  readonly fields: readonly string[];
}

/**
 * A run's estimated memory: the total, its items, and the largest single
 * tensor (a typed array holds at most about 2^32 entries, whatever the memory).
 *
 * @example
 * ```ts
 * import type { MemoryEstimate } from '@mnemo/models';
 * const total = (m: MemoryEstimate) => m.parts.reduce((s, p) => s + p.bytes, 0) === m.bytes;
 * console.assert(typeof total === 'function');
 * ```
 * @category Tasks
 */
export interface MemoryEstimate {
  /** Total bytes. */
  readonly bytes: number;
  /** The items, largest first. */
  readonly parts: readonly MemoryPart[];
  /** The largest single tensor: its entries, what it is and the fields it grows with. */
  readonly largest: { readonly entries: number; readonly what: string; readonly fields: readonly string[] };
}

/** Values the tape keeps per gate unit, per step and example (see the module notes). */
export const TAPE_VALUES_PER_GATE_UNIT = 10;

/** Gate blocks per cell family (an unknown family counts as an LSTM). */
export function gatesOf(cell: string): number {
  let family = 'lstm';
  try {
    family = parseCellSpec(cell).family;
  } catch {
    /* the configuration's decoder reports a bad cell; estimate as for an LSTM */
  }
  return { lstm: 4, gru: 3, mgu: 2, mut1: 3, mut2: 3, mut3: 3, rnn: 1 }[family] ?? 4;
}

/** Parameters of `layers` stacked recurrent layers of `gates` gate blocks: the first reads `input` features. */
export function recurrentParameters(gates: number, layers: number, input: number, hidden: number): number {
  return gates * hidden * (input + hidden + 1) + (layers - 1) * gates * hidden * (2 * hidden + 1);
}

/** An estimate from its parts (largest first). */
export function estimate(parts: readonly MemoryPart[], largest: MemoryEstimate['largest']): MemoryEstimate {
  const sorted = [...parts].sort((a, b) => b.bytes - a.bytes);
  return { bytes: sorted.reduce((s, p) => s + p.bytes, 0), parts: sorted, largest };
}

/**
 * Bytes as a person reads them: `512 B`, `3.2 MiB`, `1.5 TiB`.
 *
 * @example
 * ```ts
 * import { formatBytes } from '@mnemo/models';
 * console.assert(formatBytes(512) === '512 B' && formatBytes(3.5 * 2 ** 20) === '3.5 MiB' && formatBytes(2 ** 70) === '1024.0 EiB');
 * ```
 * @category Tasks
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}
