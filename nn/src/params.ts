/**
 * Parameter files: a parameter pytree, optionally an optimizer state and
 * JSON metadata, saved exactly and atomically, loaded through an io-ts codec.
 *
 * ## The format (version 1)
 *
 * One line of JSON:
 *
 * ```text
 * { "format": "mnemo-params", "version": 1, "sha256": "<64 hex digits>",
 *   "content": { "params": NODE, "optimizer": null | { "step": n, "slots": { name: NODE } },
 *                "metadata": <any JSON, null when absent> } }
 * NODE = { "tensor": { "dtype": "float32" | "float64", "shape": [d0, ...], "data": BASE64 } }
 *      | { "array": [NODE, ...] }
 *      | { "record": { key: NODE, ... } }
 * ```
 *
 * `data` is the base64 of the tensor's raw little-endian IEEE 754 bytes, so
 * every value (NaN payloads, -0, subnormals, infinities) round-trips bit for
 * bit. `sha256` is the SHA-256 of the content's canonical JSON (keys sorted,
 * no spaces), which is also how the content is written.
 *
 * ## Where it runs
 *
 * Encoding and decoding ({@link encodeParams}, {@link decodeParams}) use no
 * Node built-in (SHA-256 and base64 are nn's own), so they run in a browser
 * page too. Files on disk are `@mnemo/nn/node`'s: {@link @mnemo/nn/node!saveParams} writes
 * atomically (a temporary file in the target's directory, flushed and
 * renamed over it) and {@link @mnemo/nn/node!loadParams} rejects, with a report naming the field, a
 * file that is not JSON (truncated), of another format or version, altered
 * (checksum mismatch), malformed (a missing or mistyped field, data of the
 * wrong length) or, when given a template, of another structure.
 *
 * @module
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { MnemoError, formatShape, formatValue, isTensor, sizeOf, unsafeDataOf, unsafeFromData, type DType, type Tensor, type TypedArray } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import type { OptState } from './optim.js';
import { fromBase64 as decodeBase64, sha256, toBase64 as encodeBase64 } from './bytes.js';

/**
 * The `format` field of every parameter file, `mnemo-params`: a file without it
 * is not one of ours.
 *
 * @example
 * ```ts
 * import { PARAMS_FORMAT } from '@mnemo/nn';
 * console.assert(PARAMS_FORMAT === 'mnemo-params');
 * ```
 * @category Parameter files
 */
export const PARAMS_FORMAT = 'mnemo-params';

/**
 * The file-format version this code writes and reads.
 *
 * @example
 * ```ts
 * import { PARAMS_VERSION } from '@mnemo/nn';
 * console.assert(PARAMS_VERSION === 1);
 * ```
 * @category Parameter files
 */
export const PARAMS_VERSION = 1;

/**
 * A JSON value (what metadata may hold): numbers must be finite.
 *
 * @example
 * ```ts
 * import type { Json } from '@mnemo/nn';
 * const m: Json = { epoch: 3, config: { cell: 'lstm', hidden: [128] }, note: null };
 * console.assert(typeof m === 'object');
 * ```
 * @category Parameter files
 */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * The contents of a parameter file: the parameters, and optionally an
 * optimizer state (see {@link OptState}) and JSON metadata (a config, the
 * epoch, a data-set hash...).
 *
 * @example
 * ```ts
 * import type { ParamFile } from '@mnemo/nn';
 * import { zeros, type Tensor } from '@mnemo/core';
 * const f: ParamFile<{ w: Tensor }> = { params: { w: zeros([2]) }, metadata: { epoch: 1 } };
 * console.assert(f.optimizer === undefined);
 * ```
 * @category Parameter files
 */
export interface ParamFile<P extends Tree = Tree> {
  readonly params: P;
  readonly optimizer?: OptState<P> | undefined;
  readonly metadata?: Json | undefined;
}

/**
 * Why a parameter file could not be saved or loaded (thrown by
 * {@link @mnemo/nn/node!saveParams} and {@link @mnemo/nn/node!loadParamsOrThrow}); the message is the
 * full report.
 *
 * @example
 * ```ts
 * import { ParamFileError } from '@mnemo/nn';
 * import { MnemoError } from '@mnemo/core';
 * console.assert(new ParamFileError('loadParams', 'm.json', 'bad') instanceof MnemoError);
 * ```
 * @category Parameter files
 */
export class ParamFileError extends MnemoError {}

// ---------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------

/** Whether this machine stores numbers little-endian (the file's byte order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesPerElement(dtype: DType): number {
  return dtype === 'float32' ? 4 : 8;
}

/** Reverse the byte order of each element in place (only on big-endian hosts). */
function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const tmp = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = tmp;
    }
  }
}

function toBase64(a: TypedArray): string {
  const view = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN) return encodeBase64(view);
  const copy = view.slice();
  swapBytes(copy, a.BYTES_PER_ELEMENT);
  return encodeBase64(copy);
}

/** The typed array held by `data`, or a description of what is wrong. */
function fromBase64(data: string, dtype: DType, count: number): TypedArray | string {
  const bytes = decodeBase64(data);
  if (bytes === undefined) return 'is not canonical base64';
  const width = bytesPerElement(dtype);
  if (bytes.length !== count * width) {
    return `holds ${bytes.length} bytes, a ${dtype} tensor of ${count} element(s) needs ${count * width}`;
  }
  if (!LITTLE_ENDIAN) swapBytes(bytes, width);
  return dtype === 'float32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
}

// ---------------------------------------------------------------------------
// Codecs
// ---------------------------------------------------------------------------

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === 'object' && !Array.isArray(u) && (Object.getPrototypeOf(u) === Object.prototype || Object.getPrototypeOf(u) === null);

const NonNegativeInt = new t.Type<number, number, unknown>(
  'NonNegativeInteger',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c)),
  (n) => n,
);

const DTypeCodec = t.keyof({ float32: null, float64: null }, '"float32" | "float64"');

const EncodedTensor = t.type({ dtype: DTypeCodec, shape: t.array(NonNegativeInt), data: t.string }, 'EncodedTensor');

/** A tensor, encoded as `{ dtype, shape, data }` with base64 little-endian data. */
const TensorCodec = new t.Type<Tensor, t.TypeOf<typeof EncodedTensor>, unknown>(
  'Tensor',
  isTensor,
  (u, c) => {
    const r = EncodedTensor.validate(u, c);
    if (E.isLeft(r)) return r;
    const { dtype, shape, data } = r.right;
    const values = fromBase64(data, dtype, sizeOf(shape));
    if (typeof values === 'string') {
      const field = (u as Record<string, unknown>)['data'];
      return t.failure(field, t.appendContext(c, 'data', t.string, field), `data ${values} (shape ${formatShape(shape)})`);
    }
    return t.success(unsafeFromData(values, shape));
  },
  (x) => ({ dtype: x.dtype, shape: x.shape.slice(), data: toBase64(unsafeDataOf(x)) }),
);

type EncodedNode = { tensor: t.OutputOf<typeof TensorCodec> } | { array: EncodedNode[] } | { record: Record<string, EncodedNode> };

function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  // defineProperty, so that a key such as "__proto__" is an ordinary property.
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/**
 * A pytree node: exactly one of `tensor`, `array` or `record`. Dispatching
 * on the key (instead of an io-ts union) keeps error paths to the one branch
 * that applies.
 */
const TreeCodec: t.Type<Tree, EncodedNode, unknown> = new t.Type<Tree, EncodedNode, unknown>(
  'TreeNode',
  (u): u is Tree => {
    try {
      tree.flatten(u);
      return true;
    } catch {
      return false;
    }
  },
  (u, c) => {
    if (!isPlainObject(u)) return t.failure(u, c, 'expected a node: { "tensor": ... }, { "array": [...] } or { "record": {...} }');
    const keys = Object.keys(u);
    if (keys.length !== 1 || !['tensor', 'array', 'record'].includes(keys[0]!)) {
      return t.failure(u, c, `a node has exactly one key, "tensor", "array" or "record"; this one has {${keys.map((k) => JSON.stringify(k)).join(', ')}}`);
    }
    const kind = keys[0]!;
    const v = u[kind];
    if (kind === 'tensor') return TensorCodec.validate(v, t.appendContext(c, 'tensor', TensorCodec, v));
    if (kind === 'array') {
      const cc = t.appendContext(c, 'array', t.UnknownArray, v);
      if (!Array.isArray(v)) return t.failure(v, cc, 'expected an array of nodes');
      const errors: t.ValidationError[] = [];
      const out: Tree[] = [];
      v.forEach((x, i) => {
        const r = TreeCodec.validate(x, t.appendContext(cc, String(i), TreeCodec, x));
        if (E.isLeft(r)) errors.push(...r.left);
        else out.push(r.right);
      });
      return errors.length > 0 ? t.failures(errors) : t.success(out);
    }
    const cc = t.appendContext(c, 'record', t.UnknownRecord, v);
    if (!isPlainObject(v)) return t.failure(v, cc, 'expected an object of nodes');
    const errors: t.ValidationError[] = [];
    const out: Record<string, Tree> = {};
    for (const k of Object.keys(v)) {
      const r = TreeCodec.validate(v[k], t.appendContext(cc, k, TreeCodec, v[k]));
      if (E.isLeft(r)) errors.push(...r.left);
      else setOwn(out, k, r.right);
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out);
  },
  (x) => {
    if (isTensor(x)) return { tensor: TensorCodec.encode(x) };
    if (Array.isArray(x)) return { array: (x as readonly Tree[]).map((c) => TreeCodec.encode(c)) };
    const record: Record<string, EncodedNode> = {};
    const r = x as { readonly [key: string]: Tree };
    for (const k of Object.keys(r).sort()) setOwn(record, k, TreeCodec.encode(r[k]!));
    return { record };
  },
);

/** `null` or a value of `codec`, with errors reported on the codec's own path (no union branches). */
function nullOr<A, O>(codec: t.Type<A, O, unknown>): t.Type<A | null, O | null, unknown> {
  return new t.Type<A | null, O | null, unknown>(
    `null | ${codec.name}`,
    (u): u is A | null => u === null || codec.is(u),
    (u, c) => (u === null ? t.success(null) : codec.validate(u, c)),
    (a) => (a === null ? null : codec.encode(a)),
  );
}

const OptStateCodec = t.type({ step: NonNegativeInt, slots: t.record(t.string, TreeCodec) }, 'OptState');

const ContentCodec = t.type(
  {
    params: TreeCodec,
    optimizer: nullOr(OptStateCodec),
    metadata: t.unknown,
  },
  'Content',
);

const Hex64 = new t.Type<string, string, unknown>(
  'sha256 hex digest',
  (u): u is string => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u),
  (u, c) => (typeof u === 'string' && /^[0-9a-f]{64}$/.test(u) ? t.success(u) : t.failure(u, c, 'expected 64 lowercase hex digits')),
  (s) => s,
);

const Envelope = t.type({ format: t.literal(PARAMS_FORMAT), version: t.number, sha256: Hex64, content: t.UnknownRecord }, 'ParamFile');

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

function preview(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One line per error: the field's path in the file, what was expected, what was there. */
function report(errors: t.Errors): string[] {
  const lines = errors.map((e) => {
    const path = e.context
      .map((c) => c.key)
      .filter((k) => k !== '')
      .join('.');
    const where = path === '' ? '(top level)' : path;
    const last = e.context[e.context.length - 1];
    if (e.message !== undefined) return `${where}: ${e.message}; got ${preview(e.value)}`;
    return `${where}: expected ${last?.type.name ?? 'a valid value'}, got ${preview(e.value)}`;
  });
  return [...new Set(lines)];
}

// ---------------------------------------------------------------------------
// Canonical JSON and checksum
// ---------------------------------------------------------------------------

/** JSON with object keys sorted and no spaces: one text per value. */
function canonicalJson(v: unknown, path: string): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ParamFileError('saveParams', path, `${v} is not a JSON number; metadata numbers must be finite`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((x, i) => canonicalJson(x, `${path}[${i}]`)).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k], `${path}.${k}`)}`)
      .join(',')}}`;
  }
  throw new ParamFileError('saveParams', path, `${v === undefined ? 'undefined' : typeof v} is not JSON; metadata may hold null, booleans, finite numbers, strings, arrays and plain objects`);
}

// ---------------------------------------------------------------------------
// Encode and decode (no file system)
// ---------------------------------------------------------------------------

/**
 * The text of a parameter file (see the module notes for the format): what
 * {@link @mnemo/nn/node!saveParams} writes. Throws {@link ParamFileError} if `params` or a
 * slot is not a pytree of tensors or the metadata is not JSON.
 *
 * @param file - `params` (a pytree of tensors), and optionally `optimizer` (state)
 *   and `metadata` (JSON).
 * @returns The file's text: JSON with the format, version, a SHA-256 of the
 *   content, and the content.
 * @throws ParamFileError - when `file` is not an object, the optimizer's step is
 *   not a non-negative integer, or the metadata holds something JSON cannot (a
 *   non-finite number, `undefined`, a function).
 * @throws ArgumentError - when a parameter or slot is not a pytree of tensors.
 *
 * @example
 * ```ts
 * import { encodeParams, decodeParams } from '@mnemo/nn';
 * import { tensor, type Tensor } from '@mnemo/core';
 * const text = encodeParams({ params: { w: tensor([1.5, -0], 'float64') } });
 * const back = decodeParams(text);
 * console.assert(back._tag === 'Right' && Object.is((back.right.params as { w: Tensor }).w.toArray()[1], -0));
 * ```
 * @category Parameter files
 */
export function encodeParams(file: ParamFile): string {
  const op = 'encodeParams';
  if (file === null || typeof file !== 'object') throw new ParamFileError(op, 'file', `expected { params, optimizer?, metadata? }, got ${formatValue(file)}`);
  const checkTree = (x: unknown, name: string): Tree => {
    try {
      tree.flatten(x, op, name);
    } catch (e) {
      throw new ParamFileError(op, name, (e as Error).message);
    }
    return x as Tree;
  };
  const content = {
    params: TreeCodec.encode(checkTree(file.params, 'params')),
    optimizer:
      file.optimizer === undefined || file.optimizer === null
        ? null
        : (() => {
            const s = file.optimizer;
            if (typeof s !== 'object' || s.slots === null || typeof s.slots !== 'object') {
              throw new ParamFileError(op, 'optimizer', `expected an optimizer state { step, slots }, got ${formatValue(s)}`);
            }
            if (!Number.isInteger(s.step) || s.step < 0) throw new ParamFileError(op, 'optimizer.step', `must be a non-negative integer, got ${formatValue(s.step)}`);
            const slots: Record<string, EncodedNode> = {};
            for (const k of Object.keys(s.slots).sort()) setOwn(slots, k, TreeCodec.encode(checkTree(s.slots[k], `optimizer.slots.${k}`)));
            return { step: s.step, slots };
          })(),
    metadata: file.metadata === undefined ? null : file.metadata,
  };
  const body = canonicalJson(content, 'metadata');
  return `{"format":${JSON.stringify(PARAMS_FORMAT)},"version":${PARAMS_VERSION},"sha256":"${sha256(body)}","content":${body}}\n`;
}

/**
 * Decode the text of a parameter file. `Right` holds the file's contents;
 * `Left` a readable report, one problem per line, each naming the field
 * (for example `content.params.record.w.tensor.dtype: expected "float32" | "float64", got "float16"`).
 * Rejected: text that is not JSON (a truncated file), another format, another
 * version, a checksum mismatch (an altered file), a missing or mistyped field,
 * and tensor data whose length does not match its shape and dtype.
 *
 * @param text - The file's text.
 * @returns `Right` with the {@link ParamFile}, or `Left` with the report.
 * @throws ParamFileError - not for bad input, which it reports as `Left`: only if
 *   the decoded content held a value JSON cannot, which `JSON.parse` never gives.
 *
 * @example
 * ```ts
 * import { decodeParams } from '@mnemo/nn';
 * const r = decodeParams('{"format":"mnemo-params","version":99}');
 * console.assert(r._tag === 'Left' && r.left.includes('version 99'));
 * ```
 * @category Parameter files
 */
export function decodeParams(text: string): E.Either<string, ParamFile> {
  const fail = (lines: readonly string[]): E.Either<string, ParamFile> => E.left(lines.join('\n'));
  if (typeof text !== 'string') return fail([`expected the file's text, got ${typeof text}`]);
  if (text.trim() === '') return fail(['the file is empty']);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail([`not valid JSON (${(e as Error).message}); the file is truncated or damaged`]);
  }
  if (!isPlainObject(json)) return fail([`expected a JSON object, got ${preview(json)}`]);
  if (json['format'] !== PARAMS_FORMAT) return fail([`format: expected "${PARAMS_FORMAT}", got ${preview(json['format'])}; this is not a mnemo parameter file`]);
  if (json['version'] !== PARAMS_VERSION) {
    return fail([`version: this file is version ${preview(json['version'])}; this version of mnemo reads version ${PARAMS_VERSION} only`]);
  }
  const env = Envelope.decode(json);
  if (E.isLeft(env)) return fail(report(env.left));
  const problems: string[] = [];
  const actual = sha256(canonicalJson(env.right.content, 'content'));
  if (actual !== env.right.sha256) {
    problems.push(`sha256: checksum mismatch: the file records ${env.right.sha256}, its content hashes to ${actual}; the file was altered or damaged`);
  }
  const content = ContentCodec.decode(env.right.content);
  if (E.isLeft(content)) {
    problems.push(...report(content.left).map((l) => `content.${l}`));
    return fail(problems);
  }
  if (problems.length > 0) return fail(problems);
  const c = content.right;
  return E.right({
    params: c.params,
    optimizer: c.optimizer === null ? undefined : c.optimizer,
    metadata: c.metadata === null ? undefined : (c.metadata as Json),
  });
}

