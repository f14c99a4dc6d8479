/**
 * Parameter files on disk (Node only: `node:fs`, `node:path`, `node:crypto`):
 * {@link saveParams} writes atomically, {@link loadParams} reads and checks.
 * The format, and the codec that runs anywhere, are `@mnemo/nn`'s
 * ({@link @mnemo/nn!encodeParams}, {@link @mnemo/nn!decodeParams}).
 *
 * ## Safety
 *
 * {@link saveParams} writes to a temporary file in the target's directory,
 * flushes it to disk (`fsync`), and renames it over the target, so a crash
 * or error at any point leaves either the previous file or the new one,
 * never a mix. {@link loadParams} rejects, with a report naming the field, a
 * file that is not JSON (truncated), of another format or version, altered
 * (checksum mismatch), malformed (a missing or mistyped field, data of the
 * wrong length) or, when given a template, of another structure.
 *
 * @module
 */
import * as nodeFs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { ArgumentError, MnemoError, checkOptions, formatShape, formatValue, shapesEqual } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import { decodeParams, encodeParams, ParamFileError, type ParamFile } from './params.js';
import { at } from './treeutil.js';

/** Throws a ParamFileError unless `path` is a non-empty string without NUL characters (what the file system accepts). */
function checkPath(op: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '' || path.includes('\u0000')) {
    throw new ParamFileError(op, 'path', `expected a file path (a non-empty string without NUL characters), got ${formatValue(path)}`);
  }
}

/** Problems (one per line) where `x` differs from the template in structure, shape or dtype. */
function compareWith(name: string, x: Tree, like: Tree): string[] {
  const [ll, ld] = tree.flatten(like, 'loadParams', 'like');
  const [xl, xd] = tree.flatten(x, 'loadParams', name);
  if (!tree.sameStructure(xd, ld)) return [`${name}: the file holds ${tree.describe(xd)}, the template is ${tree.describe(ld)}`];
  const paths = tree.paths(ld);
  const out: string[] = [];
  xl.forEach((l, i) => {
    const r = ll[i]!;
    if (!shapesEqual(l.shape, r.shape) || l.dtype !== r.dtype) {
      out.push(`${at(name, paths[i]!)}: the file holds ${l.dtype} ${formatShape(l.shape)}, the template ${r.dtype} ${formatShape(r.shape)}`);
    }
  });
  return out;
}

/**
 * The file-system calls {@link saveParams} and {@link loadParams} make (a
 * subset of `node:fs`), replaceable to test failures.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import type { ParamFileSystem } from '@mnemo/nn/node';
 * const failing: ParamFileSystem = { ...fs, renameSync: () => { throw new Error('disk unplugged'); } };
 * console.assert(typeof failing.fsyncSync === 'function');
 * ```
 * @category Parameter files
 */
export type ParamFileSystem = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync' | 'readFileSync'>;

/**
 * Options of {@link saveParams}: the file system to write through (default
 * `node:fs`), for tests and other storage.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import type { SaveOptions } from '@mnemo/nn/node';
 * const o: SaveOptions = { fs };
 * console.assert(o.fs !== undefined);
 * ```
 * @category Parameter files
 */
export interface SaveOptions {
  /** The file system to use (default `node:fs`). */
  readonly fs?: ParamFileSystem;
}

/**
 * A file could not be written by {@link writeFileAtomic} (a missing or
 * read-only folder, no permission, a full disk). `path` is the file, `code`
 * the file system's error code where there is one (`ENOSPC`, `EACCES`...),
 * `cause` the file system's error; the previous file is unchanged.
 *
 * @example
 * ```ts
 * import { FileWriteError } from '@mnemo/nn/node';
 * import { MnemoError } from '@mnemo/core';
 * const e = new FileWriteError('/full/disk.json', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
 * console.assert(e instanceof MnemoError && e.code === 'ENOSPC' && e.message.includes('/full/disk.json'));
 * ```
 * @category Parameter files
 */
export class FileWriteError extends MnemoError {
  /** The file that could not be written. */
  readonly path: string;
  /** The file system's error code, if it gave one. */
  readonly code: string | undefined;
  /** The file system's error. */
  override readonly cause: unknown;
  /**
   * Describe why the file at `path` could not be written, keeping the cause.
   *
   * @param path - The file.
   * @param cause - The file system's error.
   */
  constructor(path: string, cause: unknown) {
    const code = cause !== null && typeof cause === 'object' ? (cause as { code?: unknown }).code : undefined;
    const where = typeof path === 'string' ? path : formatValue(path);
    const why = cause instanceof Error ? cause.message : formatValue(cause);
    super('writeFileAtomic', 'path', `${where}: could not be written (${why}); the previous file, if any, is unchanged`);
    this.path = where;
    this.code = typeof code === 'string' ? code : undefined;
    this.cause = cause;
  }
}

/**
 * The file-system calls {@link writeFileAtomic} makes (a subset of
 * `node:fs`), replaceable to test failures such as a full disk.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import type { AtomicWriteFileSystem } from '@mnemo/nn/node';
 * const full: AtomicWriteFileSystem = { ...fs, writeSync: () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); } };
 * console.assert(typeof full.renameSync === 'function');
 * ```
 * @category Parameter files
 */
export type AtomicWriteFileSystem = Pick<typeof nodeFs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync'>;

/**
 * Write a file so that a reader never sees half of it: the text or bytes go
 * to a new temporary file beside `path`, which is flushed to disk and then
 * renamed over `path`. If anything fails, the temporary file is removed and
 * the file system's error is thrown again; whatever was at `path` before is
 * unchanged. (`saveParams` and the run directory's writers use it.)
 *
 * @param path - Where the file goes; its folder must exist.
 * @param data - The contents: a string (written as UTF-8) or bytes.
 * @param fs - The file system to write through (default `node:fs`).
 * @returns Nothing; the file is in place when it returns.
 * @throws ArgumentError when `path` is not a non-empty string without NUL
 * characters, `data` is neither a string nor a `Uint8Array`, or `fs` lacks
 * one of the calls.
 * @throws FileWriteError when the folder is missing or not writable or a
 * write fails (its `code` is the file system's, such as `ENOSPC`, and its
 * `cause` the file system's error); the previous file is untouched.
 *
 * @example
 * ```ts
 * import { writeFileAtomic, FileWriteError } from '@mnemo/nn/node';
 * import * as fs from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const path = join(fs.mkdtempSync(join(tmpdir(), 'mnemo-')), 'notes.txt');
 * writeFileAtomic(path, 'first');
 * let failed = false;
 * try { writeFileAtomic(path, 'second', { ...fs, writeSync: () => { throw new Error('disk full'); } }); } catch (e) { failed = e instanceof FileWriteError; }
 * console.assert(failed && fs.readFileSync(path, 'utf8') === 'first' && fs.readdirSync(join(path, '..')).length === 1);
 * ```
 * @category Parameter files
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, fs: AtomicWriteFileSystem = nodeFs): void {
  if (typeof path !== 'string' || path === '' || path.includes('\u0000')) {
    throw new ArgumentError('writeFileAtomic', 'path', `expected a file path (a non-empty string without NUL characters), got ${formatValue(path)}`);
  }
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new ArgumentError('writeFileAtomic', 'data', `expected a string or a Uint8Array, got ${formatValue(data)}`);
  }
  const calls = ['openSync', 'writeSync', 'fsyncSync', 'closeSync', 'renameSync', 'unlinkSync'] as const;
  const missing = fs === null || typeof fs !== 'object' ? [...calls] : calls.filter((c) => typeof (fs as Record<string, unknown>)[c] !== 'function');
  if (missing.length > 0) throw new ArgumentError('writeFileAtomic', 'fs', `expected a file system with ${calls.join(', ')}; it lacks ${missing.join(', ')}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* it may not exist */
    }
    throw new FileWriteError(path, e);
  }
}

/**
 * Save parameters (and optionally an optimizer state and JSON metadata) to
 * `path`, atomically: the text ({@link encodeParams}) goes to a new
 * temporary file in the same directory, which is flushed (`fsync`), closed
 * and renamed over `path`; then the directory is flushed. If anything fails,
 * the temporary file is removed, the previous file at `path` (if any) is
 * left as it was, and a {@link ParamFileError} is thrown.
 *
 * @param path - Where to write.
 * @param file - What to write, as for {@link encodeParams}.
 * @param options - `fs`, the file system to use (default `node:fs`).
 * @throws ParamFileError - when `path` is not a non-empty string without NUL
 *   characters, the file cannot be written (any previous file at `path` is left
 *   unchanged), or `file` cannot be encoded.
 * @throws ArgumentError - when `options` is not an object, or a parameter or slot
 *   is not a pytree of tensors.
 *
 * @example
 * ```ts
 * import { saveParams, loadParamsOrThrow } from '@mnemo/nn/node';
 * import { tensor, type Tensor } from '@mnemo/core';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const path = join(mkdtempSync(join(tmpdir(), 'mnemo-')), 'model.json');
 * saveParams(path, { params: { w: tensor([0.1, 0.2], 'float64') }, metadata: { epoch: 3 } });
 * const f = loadParamsOrThrow(path);
 * console.assert((f.params as { w: Tensor }).w.toArray()[0] === 0.1 && (f.metadata as { epoch: number }).epoch === 3);
 * ```
 * @category Parameter files
 */
export function saveParams(path: string, file: ParamFile, options?: SaveOptions): void {
  checkPath('saveParams', path);
  const fs = checkOptions('saveParams', 'options', options).fs ?? nodeFs;
  const text = encodeParams(file);
  const dir = dirname(path);
  try {
    writeFileAtomic(path, text, fs);
  } catch (e) {
    const cause = e instanceof FileWriteError ? e.cause : e;
    throw new ParamFileError('saveParams', path, `could not write the file (${cause instanceof Error ? cause.message : String(cause)}); any previous file at this path is unchanged`);
  }
  // Make the rename itself durable; some platforms cannot fsync a directory.
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}

/**
 * Options of {@link loadParams}: a template the contents must match, and the
 * file system to read through.
 *
 * @example
 * ```ts
 * import type { LoadOptions } from '@mnemo/nn/node';
 * import { zeros } from '@mnemo/core';
 * const o: LoadOptions<{ w: ReturnType<typeof zeros> }> = { like: { w: zeros([2]) } };
 * console.assert(o.like !== undefined);
 * ```
 * @category Parameter files
 */
export interface LoadOptions<P extends Tree = Tree> {
  /**
   * A template (for example freshly initialized parameters, or a cell's
   * `paramTemplate(cell)`, which draws nothing): the file's parameters, and
   * each optimizer slot, must have its structure, shapes and dtypes.
   */
  readonly like?: P;
  /** The file system to use (default `node:fs`). */
  readonly fs?: ParamFileSystem;
}

/**
 * Load a parameter file. `Right` holds its contents; `Left` a readable
 * report naming the file and, for each problem, the field (see
 * {@link decodeParams}). With `like`, the parameters and optimizer slots must
 * also match the template's structure, shapes and dtypes.
 *
 * @param path - The file to read.
 * @param opts - `like`, a template the contents must match, and `fs`.
 * @returns `Right` with the {@link ParamFile}, or `Left` with a report naming the
 *   file and each problem.
 * @throws ArgumentError - when `opts` is not an object or `like` is not a pytree
 *   of tensors (problems with the file itself are reported as `Left`).
 * @throws ParamFileError - when `path` is not a non-empty string without NUL
 *   characters; not for bad files, which are reported as `Left`.
 *
 * @example
 * ```ts
 * import { loadParams } from '@mnemo/nn/node';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const r = loadParams(join(tmpdir(), 'no-such-mnemo-file.json'));
 * console.assert(r._tag === 'Left' && r.left.includes('cannot read'));
 * ```
 * @category Parameter files
 */
export function loadParams<P extends Tree = Tree>(path: string, opts?: LoadOptions<P>): E.Either<string, ParamFile<P>> {
  checkPath('loadParams', path);
  const options = checkOptions('loadParams', 'options', opts);
  const fs = options.fs ?? nodeFs;
  const head = `parameter file ${path} rejected:`;
  let text: string;
  try {
    text = fs.readFileSync(path).toString('utf8');
  } catch (e) {
    return E.left(`${head}\ncannot read it: ${(e as Error).message}`);
  }
  const r = decodeParams(text);
  if (E.isLeft(r)) return E.left(`${head}\n${r.left}`);
  const f = r.right;
  if (options.like !== undefined) {
    const problems = compareWith('params', f.params, options.like);
    if (f.optimizer !== undefined) {
      for (const k of Object.keys(f.optimizer.slots).sort()) problems.push(...compareWith(`optimizer.slots.${k}`, f.optimizer.slots[k]!, options.like));
    }
    if (problems.length > 0) return E.left(`${head}\n${problems.join('\n')}`);
  }
  return E.right(f as ParamFile<P>);
}

/**
 * {@link loadParams}, throwing a {@link ParamFileError} with the report
 * instead of returning `Left`.
 *
 * @param path - The file to read.
 * @param options - `like`, a template the contents must match, and `fs`.
 * @returns The {@link ParamFile}.
 * @throws ParamFileError - with {@link loadParams}'s report when the file cannot
 *   be read, is damaged, or does not match `like`; or when `path` is not a valid
 *   path.
 * @throws ArgumentError - when `like` is not a pytree of tensors.
 *
 * @example
 * ```ts
 * import { loadParamsOrThrow } from '@mnemo/nn/node';
 * import { ParamFileError } from '@mnemo/nn';
 * let caught: unknown;
 * try { loadParamsOrThrow('/no/such/dir/model.json'); } catch (e) { caught = e; }
 * console.assert(caught instanceof ParamFileError);
 * ```
 * @category Parameter files
 */
export function loadParamsOrThrow<P extends Tree = Tree>(path: string, options: LoadOptions<P> = {}): ParamFile<P> {
  const r = loadParams(path, options);
  if (E.isLeft(r)) throw new ParamFileError('loadParams', path, r.left);
  return r.right;
}
