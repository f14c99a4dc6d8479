/**
 * The io-ts codecs every run configuration is built from: counts, rates,
 * seeds, the optimizer, dtype, backend and cell names, and the fields every
 * run's `config.json` has ({@link RunConfigProps}). A failed decode reads as
 * one line per field: `hidden: expected an integer in [1, 2^53), got 0`.
 *
 * @module
 */
import { isAbsolute } from 'node:path';
import { ArgumentError, type DType } from '@mnemo/core';
import { parseCellSpec } from '@mnemo/nn';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/** A codec for a number that passes `ok`, named for messages. */
function numberCodec(name: string, ok: (n: number) => boolean): t.Type<number, number, unknown> {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => (typeof u === 'number' && ok(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
}

/**
 * A codec for one of the given strings, named `one of a, b, c`.
 *
 * @param values - the strings it accepts.
 * @returns the codec.
 * @example
 * ```ts
 * import { oneOf } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const mode = oneOf(['elementwise', 'dot']);
 * console.assert(mode.name === 'one of elementwise, dot' && E.isLeft(mode.decode('fast')));
 * ```
 * @category Training
 */
export function oneOf<const K extends string>(values: readonly K[]): t.Type<K, K, unknown> {
  const ok = (u: unknown): u is K => typeof u === 'string' && (values as readonly string[]).includes(u);
  return new t.Type<K, K, unknown>(`one of ${values.join(', ')}`, ok, (u, c) => (ok(u) ? t.success(u) : t.failure(u, c)), t.identity);
}

/**
 * The optimizers a run can use: plain SGD, SGD with momentum 0.9 (`momentum`)
 * or Nesterov momentum 0.9 (`nesterov`), Adam, AdamW, RMSProp, Adagrad, all
 * with nn's defaults besides the learning rate.
 *
 * @example
 * ```ts
 * import type { OptimizerName } from '@mnemo/models';
 * const o: OptimizerName = 'adam';
 * console.assert(o === 'adam');
 * ```
 * @category Training
 */
export type OptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

/**
 * The backends a run can compute on: `cpu`, or `gpujs` (gpu.js matmul; on a
 * machine without a GPU a correctness path, not a speed path).
 *
 * @example
 * ```ts
 * import type { BackendName } from '@mnemo/models';
 * const b: BackendName = 'cpu';
 * console.assert(b === 'cpu');
 * ```
 * @category Training
 */
export type BackendName = 'cpu' | 'gpujs';

/** The canonical name of a cell spec (`lstm+cifg+np`), or nn's message why it is not one. */
function cellSpecOf(text: string): E.Either<string, string> {
  try {
    const s = parseCellSpec(text);
    return E.right([s.family, ...s.variants].join('+'));
  } catch (e) {
    return E.left((e as Error).message);
  }
}

/**
 * The codecs of the values a run is configured with. Each one's `name` says
 * what it accepts, so a failed decode reads as "expected <name>"; the
 * enumerations list their members. Counts are integers below 2^53 (larger
 * ones cannot be counted exactly).
 *
 * @example
 * ```ts
 * import { Codecs } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * console.assert(E.isRight(Codecs.positiveInt.decode(3)) && E.isLeft(Codecs.positiveInt.decode(0)) && E.isLeft(Codecs.positiveInt.decode(1e300)));
 * console.assert(Codecs.optimizer.name.includes('adam') && E.isLeft(Codecs.optimizer.decode('adma')));
 * console.assert(E.isLeft(Codecs.cell.decode('lstm+nope')));
 * console.assert(E.isRight(Codecs.cellModule.decode('/home/me/janet.ts')) && E.isLeft(Codecs.cellModule.decode('./janet.ts')));
 * ```
 * @category Training
 */
export const Codecs = {
  positiveInt: numberCodec('an integer in [1, 2^53)', (n) => Number.isSafeInteger(n) && n >= 1),
  nonNegativeInt: numberCodec('an integer in [0, 2^53)', (n) => Number.isSafeInteger(n) && n >= 0),
  seed: numberCodec('an integer in [-2^53, 2^53]', (n) => Number.isInteger(n) && Math.abs(n) <= 2 ** 53),
  positive: numberCodec('a finite number > 0', (n) => Number.isFinite(n) && n > 0),
  finite: numberCodec('a finite number', (n) => Number.isFinite(n)),
  nonNegative: numberCodec('a finite number >= 0', (n) => Number.isFinite(n) && n >= 0),
  optimizer: oneOf<OptimizerName>(['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'rmsprop', 'adagrad']),
  dtype: oneOf<DType>(['float32', 'float64']),
  backend: oneOf<BackendName>(['cpu', 'gpujs']),
  /** A cell name as nn's `parseCellSpec` reads it; the failure's message is nn's (it lists the cells and variants). */
  cell: new t.Type<string, string, unknown>(
    'a cell name (see mnemo train --help)',
    (u): u is string => typeof u === 'string' && E.isRight(cellSpecOf(u)),
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c);
      const r = cellSpecOf(u);
      return E.isRight(r) ? t.success(r.right) : t.failure(u, c, r.left);
    },
    t.identity,
  ),
  /** Where a user's cell module is, as a run's `config.json` records it: an absolute path to a `.ts`, `.mts`, `.js` or `.mjs` file. */
  cellModule: new t.Type<string, string, unknown>(
    'the absolute path of a .ts, .mts, .js or .mjs file',
    (u): u is string => typeof u === 'string' && isAbsolute(u) && /\.m?[jt]s$/i.test(u),
    (u, c) => (typeof u === 'string' && isAbsolute(u) && /\.m?[jt]s$/i.test(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  ),
} as const;

/**
 * The fields every run's `config.json` has, whatever its task: the format
 * `version` (1), the `task`, the number of `steps`, the `seed`, how often a
 * metrics line (`logEvery`) and a checkpoint (`checkpointEvery`) are written,
 * and the `backend`. Each task's codec adds its own fields to these.
 *
 * @example
 * ```ts
 * import { RunConfigProps } from '@mnemo/models';
 * import * as t from 'io-ts';
 * import * as E from 'fp-ts/lib/Either.js';
 * const c = t.type(RunConfigProps).decode({ version: 1, task: 'x', steps: 10, seed: 0, logEvery: 1, checkpointEvery: 5, backend: 'cpu' });
 * console.assert(E.isRight(c));
 * ```
 * @category Training
 */
export const RunConfigProps = {
  version: t.literal(1),
  task: t.string,
  steps: Codecs.positiveInt,
  seed: Codecs.seed,
  logEvery: Codecs.positiveInt,
  checkpointEvery: Codecs.positiveInt,
  backend: Codecs.backend,
};

/**
 * What the training loop reads from any run's configuration (see
 * {@link RunConfigProps}); a task's configuration has these and more.
 *
 * @example
 * ```ts
 * import type { RunConfig } from '@mnemo/models';
 * const c: RunConfig = { version: 1, task: 'adding', steps: 2000, seed: 0, logEvery: 1, checkpointEvery: 100, backend: 'cpu' };
 * console.assert(c.steps === 2000);
 * ```
 * @category Training
 */
export type RunConfig = t.TypeOf<t.TypeC<typeof RunConfigProps>>;

/**
 * One line per failed field of an io-ts decode: `path: expected <what>, got <value>`.
 *
 * @example
 * ```ts
 * import { describeErrors, Codecs } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = Codecs.dtype.decode('float16');
 * console.assert(E.isLeft(r) && describeErrors(r.left)[0] === "expected one of float32, float64, got 'float16'");
 * ```
 * @category Training
 */
export function describeErrors(errors: t.Errors): string[] {
  const lines = errors.map((e) => {
    const path = errorField(e);
    const last = e.context[e.context.length - 1];
    const expected = last?.type.name ?? 'a valid value';
    const got = typeof e.value === 'string' ? `'${e.value}'` : e.value === undefined ? 'nothing' : typeof e.value === 'number' && !Number.isFinite(e.value) ? String(e.value) : JSON.stringify(e.value);
    const detail = e.message !== undefined ? e.message : `expected ${expected}, got ${got}`;
    return path === '' ? detail : `${path}: ${detail}`;
  });
  return [...new Set(lines)];
}

/**
 * The field an io-ts error is about, as a dotted path (`''` at the top).
 *
 * @example
 * ```ts
 * import { errorField, RunConfigProps } from '@mnemo/models';
 * import * as t from 'io-ts';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = t.type(RunConfigProps).decode({ version: 1, task: 'x', steps: 0, seed: 0, logEvery: 1, checkpointEvery: 1, backend: 'cpu' });
 * console.assert(E.isLeft(r) && errorField(r.left[0]!) === 'steps');
 * ```
 * @category Training
 */
export function errorField(e: t.ValidationError): string {
  return e.context
    .map((c) => c.key)
    .filter((k) => k !== '' && !/^\d+$/.test(k))
    .join('.');
}

/**
 * Decode a run configuration with an exact io-ts codec, reporting unknown
 * fields too (the codec alone would drop them silently, so a typo in a
 * hand-edited `config.json` would go unnoticed).
 *
 * @param codec - an exact codec of the configuration.
 * @param u - the value to decode.
 * @param op - the operation named in the error.
 * @returns the configuration.
 * @throws `ArgumentError` listing every problem, one per line; its `arg` is the first bad field.
 * @example
 * ```ts
 * import { decodeExact, RunConfigProps } from '@mnemo/models';
 * import * as t from 'io-ts';
 * const codec = t.exact(t.type(RunConfigProps));
 * let msg = '';
 * try { decodeExact(codec, { version: 1, task: 'x', steps: 0, seed: 0, logEvery: 1, checkpointEvery: 1, backend: 'cpu', stpes: 3 }, 'demo'); } catch (e) { msg = (e as Error).message; }
 * console.assert(msg.includes('steps: expected an integer') && msg.includes('stpes: unknown field'));
 * ```
 * @category Training
 */
export function decodeExact<A>(codec: t.Decoder<unknown, A> & { readonly type: object }, u: unknown, op: string): A {
  const r = codec.decode(u);
  const problems = E.isLeft(r) ? describeErrors(r.left) : [];
  let field = E.isLeft(r) && r.left.length > 0 ? errorField(r.left[0]!) : '';
  if (u !== null && typeof u === 'object') {
    const known = fieldsOf(codec.type);
    for (const k of Object.keys(u)) {
      if (known.includes(k)) continue;
      problems.push(`${k}: unknown field (known: ${known.join(', ')})`);
      field ||= k;
    }
  }
  if (E.isRight(r) && problems.length === 0) return r.right;
  throw new ArgumentError(op, field || 'config', `invalid configuration:\n  ${problems.join('\n  ')}`);
}

/**
 * The fields an object codec knows: its props, or its parts' (an
 * intersection of required and optional fields), through exact and readonly
 * wrappers. @internal
 */
export function fieldsOf(codec: object): string[] {
  const c = codec as { props?: object; types?: readonly object[]; type?: object };
  if (c.props !== undefined) return Object.keys(c.props);
  if (c.types !== undefined) return c.types.flatMap(fieldsOf);
  return c.type !== undefined ? fieldsOf(c.type) : [];
}
