/**
 * Sanity limits: before a run allocates anything, the command line estimates
 * its memory from its options and refuses what cannot fit on this machine,
 * with the estimate in the message and the option that makes it too big
 * named.
 *
 * @module
 */
import { totalmem } from 'node:os';
import { estimateMemory, type AnyRunConfig } from '../tasks/registry.js';
import { formatBytes, type MemoryEstimate } from '../tasks/common/memory.js';
import { UsageError } from './io.js';

/**
 * The most entries one typed array (so one tensor) can hold: 2^32.
 *
 * @example
 * ```ts
 * import { MAX_TENSOR_ENTRIES } from '@mnemo/models';
 * console.assert(MAX_TENSOR_ENTRIES === 2 ** 32);
 * ```
 * @category Command line
 */
export const MAX_TENSOR_ENTRIES = 2 ** 32;

/**
 * The memory a run may use: `MNEMO_MEMORY_LIMIT` bytes when set (a number,
 * `8e9` or `8589934592`), else this machine's total memory.
 *
 * @returns the limit in bytes.
 * @example
 * ```ts
 * import { memoryLimit } from '@mnemo/models';
 * console.assert(memoryLimit() > 0);
 * ```
 * @category Command line
 */
export function memoryLimit(): number {
  const env = Number(process.env['MNEMO_MEMORY_LIMIT']);
  return Number.isFinite(env) && env > 0 ? env : totalmem();
}

/**
 * Refuse a run whose estimated memory (see `estimateMemory`) is more than
 * `limit`, or one of whose tensors would hold more than
 * {@link MAX_TENSOR_ENTRIES} entries, with a {@link UsageError} that gives
 * the estimate and names the option that makes it too big (the first of the
 * largest item's configuration fields that the user gave, else that item's
 * first field). `flagOf` maps a configuration field to its option.
 *
 * @param config - the run's configuration.
 * @param flagOf - the option of each configuration field (`hidden` to `--hidden`).
 * @param given - the options the user gave.
 * @param limit - the memory a run may use (default {@link memoryLimit}).
 * @returns the estimate, when the run fits.
 * @throws {@link UsageError} when it does not.
 * @example
 * ```ts
 * import { checkMemory, defaultConfig, UsageError } from '@mnemo/models';
 * const flagOf = (f: string) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
 * console.assert(checkMemory(defaultConfig('adding'), flagOf, []).bytes > 0);
 * let e: unknown;
 * try { checkMemory({ ...defaultConfig('adding'), layers: 1e6 }, flagOf, ['--layers']); } catch (err) { e = err; }
 * console.assert(e instanceof UsageError && e.field === '--layers' && e.message.includes('TiB of memory'));
 * ```
 * @category Command line
 */
export function checkMemory(config: AnyRunConfig, flagOf: (field: string) => string, given: readonly string[], limit = memoryLimit()): MemoryEstimate {
  const m = estimateMemory(config);
  // The option to blame: the first one the user gave among the fields of the largest item that has one, else the largest item's first.
  const blame = (items: readonly { readonly fields: readonly string[] }[]): string => {
    for (const item of items) {
      const flag = item.fields.map(flagOf).find((f) => given.includes(f));
      if (flag !== undefined) return flag;
    }
    return items[0]?.fields[0] === undefined ? '--batch' : flagOf(items[0].fields[0]);
  };
  const valueOf = (flag: string): string => {
    const field = Object.keys(config).find((k) => flagOf(k) === flag);
    return field === undefined ? '' : ` ${String((config as Record<string, unknown>)[field])}`;
  };
  if (m.largest.entries > MAX_TENSOR_ENTRIES) {
    const flag = blame([m.largest]);
    throw new UsageError(
      `${flag}${valueOf(flag)}: ${m.largest.what} would hold about ${m.largest.entries.toPrecision(3)} entries, more than one tensor can hold (2^32); lower ${m.largest.fields.map(flagOf).join(', ')}`,
      flag,
    );
  }
  if (m.bytes > limit) {
    const top = m.parts[0]!;
    const flag = blame(m.parts.filter((p) => p.bytes > limit / 100));
    const parts = m.parts.filter((p) => p.bytes >= m.bytes / 1000).map((p) => `${p.what} ${formatBytes(p.bytes)}`);
    throw new UsageError(
      `${flag}${valueOf(flag)}: this run needs about ${formatBytes(m.bytes)} of memory by mnemo's estimate (${parts.join('; ')}), ` +
        `more than the ${formatBytes(limit)} this machine has; lower ${top.fields.map(flagOf).join(', ')} (MNEMO_MEMORY_LIMIT sets another limit)`,
      flag,
    );
  }
  return m;
}
