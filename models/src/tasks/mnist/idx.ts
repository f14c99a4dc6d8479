/**
 * A reader for the IDX file format, the format MNIST ships in, written from its
 * description rather than taken from a library:
 *
 * ```
 * bytes 0-1   0x00 0x00
 * byte  2     element type: 0x08 unsigned byte (the only one mnemo reads)
 * byte  3     number of dimensions d
 * then d      big-endian uint32 sizes, the first being the item count
 * then        the elements, row-major, prod(sizes) of them, and nothing after
 * ```
 *
 * So the labels file's magic number is 0x00000801 (bytes, one dimension) and the
 * images file's is 0x00000803 (bytes, three dimensions). A file that starts with
 * the gzip signature is inflated first.
 *
 * Reading a file is an edge of the program, so problems come back as values: an
 * `Either` whose left side is an {@link IdxError} naming the file and what is wrong
 * with it.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { MnemoError } from '@mnemo/core';
import * as E from 'fp-ts/lib/Either.js';

// -------------------------------------------------------------------------------------
// errors
// -------------------------------------------------------------------------------------

/**
 * What is wrong with an IDX file:
 *
 * - `unreadable`: the file could not be read (missing, a directory, no permission);
 * - `gzip`: it starts with the gzip signature but does not inflate;
 * - `truncated`: it ends before its header or before the elements its header promises;
 * - `trailing`: it holds more bytes than its header promises;
 * - `magic`: its magic number is malformed, of an element type mnemo does not read, or
 *   not the one expected;
 * - `dims`: a size in the header is zero or differs from the expected one;
 * - `count`: the item count (the first size) differs from the expected one;
 * - `values`: an element is out of its allowed range (a label above 9, say).
 *
 * @example
 * ```ts
 * import { IdxError, type IdxProblem } from '@mnemo/models';
 * const p: IdxProblem = 'truncated';
 * console.assert(new IdxError('x.idx', p, 'ends early').problem === 'truncated');
 * ```
 * @category Data
 */
export type IdxProblem =
  | 'unreadable'
  | 'gzip'
  | 'truncated'
  | 'trailing'
  | 'magic'
  | 'dims'
  | 'count'
  | 'values';

/**
 * A problem with an IDX file. Its message starts with the file's path and says
 * what is wrong in words; `problem` says it as a tag that code can switch on.
 *
 * @example
 * ```ts
 * import { IdxError } from '@mnemo/models';
 * const e = new IdxError('/data/labels.idx', 'count', 'header says 5 items, expected 6');
 * console.assert(e.file === '/data/labels.idx' && e.problem === 'count');
 * console.assert(e.message === "readIdx: argument 'file': /data/labels.idx: header says 5 items, expected 6");
 * ```
 * @category Data
 */
export class IdxError extends MnemoError {
  /** The path of the file at fault. */
  readonly file: string;
  /** What is wrong, as a tag. */
  readonly problem: IdxProblem;
  constructor(file: string, problem: IdxProblem, detail: string, op = 'readIdx') {
    super(op, 'file', `${file}: ${detail}`);
    this.file = file;
    this.problem = problem;
  }
}

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The contents of an IDX file of unsigned bytes: its sizes and its elements.
 * `data` is a fresh array of `dims.reduce((a, b) => a * b)` bytes, row-major.
 *
 * @example
 * ```ts
 * import { parseIdx, idxBytes } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = parseIdx(idxBytes([2, 3], new Uint8Array([1, 2, 3, 4, 5, 6])), 'm.idx');
 * console.assert(E.isRight(r) && r.right.dims.join() === '2,3' && r.right.data[5] === 6);
 * ```
 * @category Data
 */
export interface IdxArray {
  /** Where it was read from (or the name given to {@link parseIdx}). */
  readonly file: string;
  /** The magic number, `0x0800 + dims.length`. */
  readonly magic: number;
  /** The sizes from the header; `dims[0]` is the item count. */
  readonly dims: readonly number[];
  /** The elements, row-major. */
  readonly data: Uint8Array;
}

/**
 * What a caller expects of an IDX file. Each field that is given is checked:
 * `magic` exactly, `dims` size by size, where `null` accepts any size.
 *
 * @example
 * ```ts
 * import { parseIdx, idxBytes, type IdxExpectation } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const images: IdxExpectation = { magic: 0x803, dims: [null, 28, 28] };
 * const r = parseIdx(idxBytes([1, 28, 27], new Uint8Array(28 * 27)), 'i.idx', images);
 * console.assert(E.isLeft(r) && r.left.problem === 'dims');
 * ```
 * @category Data
 */
export interface IdxExpectation {
  /** The magic number, for example `0x00000803` for MNIST images. */
  readonly magic?: number;
  /** The sizes; `null` where any size will do. The first is the item count. */
  readonly dims?: readonly (number | null)[];
}

// -------------------------------------------------------------------------------------
// parsing
// -------------------------------------------------------------------------------------

/** Element type codes of the IDX format, for messages about the ones we do not read. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

const describeMagic = (magic: number): string => {
  const type = (magic >>> 8) & 0xff;
  const rank = magic & 0xff;
  const name = TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16).padStart(2, '0')}`;
  return `${hex(magic)} (${name}, ${rank} dimension${rank === 1 ? '' : 's'})`;
};

const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Parse the bytes of an IDX file of unsigned bytes (gzipped or not), checking its
 * magic number, its header's length, its sizes, and that its length is exactly what
 * the header promises. `file` is only used in messages. The input is not modified;
 * the result's `data` is a copy.
 *
 * @example
 * ```ts
 * import { parseIdx, idxBytes } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const good = idxBytes([3], new Uint8Array([7, 8, 9]));
 * const r = parseIdx(good, 'labels.idx', { magic: 0x801, dims: [3] });
 * console.assert(E.isRight(r) && r.right.data[0] === 7);
 * const cut = parseIdx(good.subarray(0, good.length - 1), 'labels.idx');
 * console.assert(E.isLeft(cut) && cut.left.problem === 'truncated' && cut.left.message.includes('labels.idx'));
 * ```
 * @category Data
 */
export function parseIdx(bytes: Uint8Array, file: string, expect: IdxExpectation = {}): E.Either<IdxError, IdxArray> {
  return parse(bytes, file, expect, true);
}

/** {@link parseIdx}, copying the elements out of `bytes` only when `copy` is set. */
function parse(bytes: Uint8Array, file: string, expect: IdxExpectation, copy: boolean): E.Either<IdxError, IdxArray> {
  let buf = bytes;
  if (isGzip(buf)) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      return E.left(new IdxError(file, 'gzip', `starts like a gzip file but does not inflate (${(e as Error).message})`));
    }
  }
  const fail = (problem: IdxProblem, detail: string): E.Either<IdxError, IdxArray> =>
    E.left(new IdxError(file, problem, detail));

  if (buf.length < 4) {
    return fail('truncated', `is ${plural(buf.length, 'byte')} long, shorter than the 4-byte magic number`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  const type = buf[2] as number;
  const rank = buf[3] as number;
  if (buf[0] !== 0 || buf[1] !== 0) {
    return fail('magic', `magic number ${hex(magic)} is not an IDX magic number (its first two bytes must be zero)`);
  }
  if (type !== 0x08) {
    return fail('magic', `magic number ${describeMagic(magic)}: only unsigned-byte files (0x08) are read`);
  }
  if (rank === 0) {
    return fail('magic', `magic number ${hex(magic)} declares zero dimensions`);
  }
  if (expect.magic !== undefined && magic !== expect.magic) {
    return fail('magic', `magic number is ${describeMagic(magic)}, expected ${describeMagic(expect.magic)}`);
  }

  const headerLength = 4 + 4 * rank;
  if (buf.length < headerLength) {
    return fail(
      'truncated',
      `is ${plural(buf.length, 'byte')} long, shorter than its ${headerLength}-byte header (${rank} sizes)`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));

  const zero = dims.indexOf(0);
  if (zero >= 0) {
    return fail('dims', `header sizes [${dims.join(', ')}] have a zero at position ${zero}`);
  }
  if (expect.dims !== undefined) {
    if (expect.dims.length !== rank) {
      return fail('dims', `header has ${plural(rank, 'size')} [${dims.join(', ')}], expected ${expect.dims.length}`);
    }
    const want = expect.dims[0];
    if (want !== null && want !== undefined && dims[0] !== want) {
      return fail('count', `header says ${plural(dims[0] as number, 'item')}, expected ${want}`);
    }
    for (let i = 1; i < rank; i++) {
      const w = expect.dims[i];
      if (w !== null && w !== undefined && dims[i] !== w) {
        const shown = expect.dims.map((d) => (d === null ? '*' : String(d)));
        return fail('dims', `header sizes are [${dims.join(', ')}], expected [${shown.join(', ')}] (size ${i} differs)`);
      }
    }
  }

  const elements = dims.reduce((a, b) => a * b, 1);
  const expectedLength = headerLength + elements;
  if (buf.length < expectedLength) {
    const items = Math.floor((buf.length - headerLength) / Math.max(1, elements / (dims[0] as number)));
    return fail(
      'truncated',
      `is ${buf.length} bytes long but its header [${dims.join(', ')}] needs ${expectedLength}: ` +
        `truncated, ${expectedLength - buf.length} bytes missing (only ${items} of ${dims[0]} items complete)`,
    );
  }
  if (buf.length > expectedLength) {
    return fail(
      'trailing',
      `is ${buf.length} bytes long but its header [${dims.join(', ')}] accounts for ${expectedLength}: ` +
        `${buf.length - expectedLength} bytes too many (wrong count in the header, or a different file appended)`,
    );
  }
  // Hand out a plain Uint8Array, never a Buffer (whose `slice` is a view, not a copy).
  // The caller's bytes are copied; a buffer read or inflated here is fresh and is viewed.
  const data =
    copy && buf === bytes
      ? new Uint8Array(buf.subarray(headerLength))
      : new Uint8Array(buf.buffer, buf.byteOffset + headerLength, elements);
  return E.right({ file, magic, dims, data });
}

/**
 * Read and parse an IDX file of unsigned bytes (see {@link parseIdx}); a file that
 * cannot be read comes back as an `unreadable` {@link IdxError}.
 *
 * @example
 * ```ts
 * import { readIdx } from '@mnemo/models';
 * import * as E from 'fp-ts/lib/Either.js';
 * const r = readIdx('/no/such/file-idx1-ubyte');
 * console.assert(E.isLeft(r) && r.left.problem === 'unreadable' && r.left.message.includes('/no/such/file-idx1-ubyte'));
 * ```
 * @category Data
 */
export function readIdx(path: string, expect: IdxExpectation = {}): E.Either<IdxError, IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return E.left(new IdxError(path, 'unreadable', `cannot be read (${err.code ?? err.message})`));
  }
  // The buffer was just read and belongs to nobody else: hand out a view of it.
  return parse(bytes, path, expect, false);
}

/**
 * Encode sizes and unsigned-byte elements as an IDX file (header and data), the
 * inverse of {@link parseIdx}. Handy for writing small test files.
 *
 * @example
 * ```ts
 * import { idxBytes } from '@mnemo/models';
 * const b = idxBytes([2], new Uint8Array([5, 6]));
 * console.assert(b.length === 10 && b[2] === 0x08 && b[3] === 1 && b[7] === 2 && b[9] === 6);
 * ```
 * @category Data
 */
export function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (dims.length === 0 || dims.length > 255) {
    throw new IdxError('(in memory)', 'dims', `cannot encode ${dims.length} dimensions (1 to 255)`, 'idxBytes');
  }
  const elements = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff) || elements !== data.length) {
    throw new IdxError(
      '(in memory)',
      'dims',
      `sizes [${dims.join(', ')}] do not describe ${plural(data.length, 'element')}`,
      'idxBytes',
    );
  }
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
