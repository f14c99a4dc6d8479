/**
 * Mutation of well-formed calls: take a call that works and break one or two
 * things in it (an argument, a field of an options record, an entry of an
 * array, the number of arguments), so that the fuzz reaches the checks that
 * sit behind a function's first one.
 */
import fc from 'fast-check';
import { garbageArb, tensorArb } from './garbage.js';

/** One change to an argument list. */
export type Mutation =
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'deep'; readonly at: number; readonly path: readonly number[]; readonly value: unknown }
  | { readonly kind: 'drop'; readonly keep: number }
  | { readonly kind: 'append'; readonly value: unknown };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(7), value: fc.oneof(garbageArb, tensorArb) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deep' as const), at: fc.nat(7), path: fc.array(fc.nat(31), { minLength: 1, maxLength: 3 }), value: fc.oneof(garbageArb, tensorArb) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), keep: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), value: garbageArb }) },
);

const isRecord = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;

/** Keys a deep mutation may add to a record (besides changing the ones it has). */
const EXTRA_KEYS = ['axes', 'dtype', 'shape', 'lr', 'steps', 'mode', 'hiddenSize', 'inputSize', 'params', 'initial', '__proto__'];

/** A copy of `x` with the value at `path` (indices into array entries or record keys) replaced. */
function setDeep(x: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [i, ...rest] = path as [number, ...number[]];
  if (Array.isArray(x)) {
    if (x.length === 0) return [value];
    const copy = x.slice();
    const j = i % (x.length + 1);
    if (j === x.length) copy.push(value);
    else copy[j] = setDeep(x[j], rest, value);
    return copy;
  }
  if (isRecord(x)) {
    const keys = Object.keys(x);
    const all = keys.concat(EXTRA_KEYS.filter((k) => !keys.includes(k)));
    const k = all[i % all.length]!;
    const copy: Record<string, unknown> = { ...x };
    if (k === '__proto__') Object.defineProperty(copy, k, { value, enumerable: true, configurable: true, writable: true });
    else copy[k] = keys.includes(k) ? setDeep(x[k], rest, value) : value;
    return copy;
  }
  return value;
}

/** Apply mutations to a copy of a well-formed argument list. */
export function mutate(args: readonly unknown[], mutations: readonly Mutation[]): unknown[] {
  let out = args.slice();
  for (const m of mutations) {
    switch (m.kind) {
      case 'replace':
        if (out.length === 0) out = [m.value];
        else out[m.at % out.length] = m.value;
        break;
      case 'deep':
        if (out.length === 0) out = [m.value];
        else out[m.at % out.length] = setDeep(out[m.at % out.length], m.path, m.value);
        break;
      case 'drop':
        out = out.slice(0, Math.min(m.keep, out.length));
        break;
      case 'append':
        out.push(m.value);
        break;
    }
  }
  return out;
}
