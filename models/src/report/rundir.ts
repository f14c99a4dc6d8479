/**
 * The run directory every training run writes: a fresh folder per run, JSON files
 * replaced atomically (so a crash or a kill mid-write leaves the previous good file),
 * and `metrics.jsonl`, one JSON object a line. All functions here are synchronous,
 * so they are safe to call from a signal handler that saves before exiting.
 *
 * Every failure to write (a folder that cannot be made, a read-only file
 * system, a full disk) is an {@link OutputError} naming the path, never a
 * raw `ENOTDIR` from Node.
 *
 * @module
 */
import * as nodeFs from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import { ArgumentError, MnemoError } from '@mnemo/core';
import { jsonText } from './json.js';
import { FileWriteError, writeFileAtomic } from '@mnemo/nn/node';

/**
 * The name of the metrics file inside a run directory.
 *
 * @example
 * ```ts
 * import { METRICS_FILE } from '@mnemo/models';
 * console.assert(METRICS_FILE === 'metrics.jsonl');
 * ```
 * @category Reports
 */
export const METRICS_FILE = 'metrics.jsonl';

/**
 * The file-system calls the run directory's writers make (a subset of
 * `node:fs`, and a superset of nn's `ParamFileSystem`), replaceable to test
 * failures such as a full disk.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import type { RunFileSystem } from '@mnemo/models';
 * const full: RunFileSystem = { ...fs, writeSync: () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); } };
 * console.assert(typeof full.renameSync === 'function');
 * ```
 * @category Reports
 */
export type RunFileSystem = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync' | 'readFileSync' | 'appendFileSync' | 'mkdirSync' | 'statSync' | 'readdirSync'
>;

/**
 * A run's output could not be written: the folder cannot be made (a file is
 * in the way, no permission, a read-only or virtual file system) or a write
 * failed (a full disk). `path` is where; `code` Node's error code when there
 * is one (`ENOTDIR`, `EACCES`, `ENOSPC`...). The command line exits with 73.
 *
 * @example
 * ```ts
 * import { OutputError, createRunDir } from '@mnemo/models';
 * let e: unknown;
 * try { createRunDir('/dev/null', 'x'); } catch (err) { e = err; }
 * console.assert(e instanceof OutputError && e.path === '/dev/null' && e.message.includes('not a folder'));
 * ```
 * @category Reports
 */
export class OutputError extends MnemoError {
  /** The path that could not be written. */
  readonly path: string;
  /** Node's error code, when the file system gave one. */
  readonly code: string | undefined;
  /** What went wrong, without the path. */
  readonly detail: string;
  constructor(op: string, arg: string, path: string, detail: string, code?: string) {
    super(op, arg, `${path}: ${detail}`);
    // Raised for a command-line option (`--out`), the message names the option and the path.
    if (arg.startsWith('--')) this.message = `${arg} ${path}: ${detail}`;
    this.path = path;
    this.code = code;
    this.detail = detail;
  }
}

/** What a file-system error means for someone who asked to write there. */
function explain(e: unknown): { detail: string; code: string | undefined } {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const known: Record<string, string> = {
    EACCES: 'no permission to write there',
    EPERM: 'the operating system does not allow writing there',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    ENOTDIR: 'a file is in the way where a folder is needed',
    EISDIR: 'a folder is in the way where a file is needed',
    ENOENT: 'the folder cannot be made there',
    EIO: 'an input/output error from the disk',
    ENAMETOOLONG: 'the path is too long',
  };
  const detail = (code !== undefined ? known[code] : undefined) ?? (err instanceof Error ? err.message : String(e));
  return { detail: code !== undefined && known[code] !== undefined ? `${detail} (${code})` : detail, code };
}

/**
 * Make the folder `path` and every missing folder above it, one level at a
 * time (Node's recursive `mkdir` never returns on some virtual file systems,
 * such as `/proc`). Returns the absolute path. A file in the way, a folder
 * that cannot be made or one that exists but cannot be written into is an
 * {@link OutputError}.
 *
 * @param path - the folder to make (relative paths are resolved against the working directory).
 * @param arg - the name the error gives the path (default `dir`), such as the option it came from.
 * @param fs - the file system (default `node:fs`).
 * @returns the folder's absolute path.
 * @throws {@link OutputError} when the folder cannot be made or written into.
 * @example
 * ```ts
 * import { ensureDir, OutputError } from '@mnemo/models';
 * import { mkdtempSync, existsSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const d = ensureDir(`${mkdtempSync(`${tmpdir()}/d-`)}/a/b/c`);
 * console.assert(existsSync(d));
 * let e: unknown;
 * try { ensureDir('/proc/mnemo-nowhere'); } catch (err) { e = err; }
 * console.assert(e instanceof OutputError);
 * ```
 * @category Reports
 */
export function ensureDir(path: string, arg = 'dir', fs: RunFileSystem = nodeFs): string {
  const op = 'ensureDir';
  if (typeof path !== 'string' || path === '') throw new ArgumentError(op, arg, `must be a folder path, got ${JSON.stringify(path)}`);
  const full = resolve(path);
  const { root } = parse(full);
  const parts = full.slice(root.length).split(sep).filter((p) => p !== '');
  let at = root;
  for (const part of parts) {
    at = join(at, part);
    let isDir: boolean | undefined;
    try {
      isDir = fs.statSync(at).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        const { detail, code } = explain(e);
        throw new OutputError(op, arg, at, detail, code);
      }
    }
    if (isDir === false) throw new OutputError(op, arg, at, 'is a file, not a folder', 'ENOTDIR');
    if (isDir === undefined) {
      try {
        fs.mkdirSync(at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        const { detail, code } = explain(e);
        throw new OutputError(op, arg, at, `cannot make this folder: ${detail}`, code);
      }
    }
  }
  return full;
}

/**
 * Make a new, empty run directory `root/name` (creating `root` if needed) and return
 * its absolute path. An existing directory is never reused: if `root/name` exists,
 * `root/name-2`, `root/name-3`, ... is made instead. `name` must be a single path
 * segment (an `ArgumentError` otherwise); a root that cannot be made or written
 * into is an {@link OutputError}.
 *
 * @example
 * ```ts
 * import { createRunDir } from '@mnemo/models';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { basename } from 'node:path';
 * const root = mkdtempSync(`${tmpdir()}/runs-`);
 * const a = createRunDir(root, 'mnist');
 * const b = createRunDir(root, 'mnist');
 * console.assert(basename(a) === 'mnist' && basename(b) === 'mnist-2');
 * ```
 * @category Reports
 */
export function createRunDir(root: string, name: string, fs: RunFileSystem = nodeFs): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || basename(name) !== name || name.includes('/') || name.includes('\\')) {
    throw new ArgumentError('createRunDir', 'name', `must be a single folder name, got '${String(name)}'`);
  }
  const base = ensureDir(root, 'root', fs);
  for (let i = 1; i <= 10_000; i++) {
    const dir = join(base, i === 1 ? name : `${name}-${i}`);
    try {
      fs.mkdirSync(dir); // not recursive: fails if it exists, so two runs never share a folder
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      const { detail, code } = explain(e);
      throw new OutputError('createRunDir', 'root', dir, `cannot make the run directory: ${detail}`, code);
    }
  }
  throw new ArgumentError('createRunDir', 'name', `'${name}' and 10,000 numbered variants already exist in ${base}`);
}

/**
 * Write `text` to `path` atomically: into a temporary file beside it
 * (`.<name>.<pid>.<random>.tmp`), flushed to disk, then renamed over `path`.
 * A reader sees the old file or the new one, never half of one; on failure
 * the temporary file is removed and the old file is left as it was.
 *
 * @param path - the file to replace.
 * @param text - its new content.
 * @param fs - the file system (default `node:fs`).
 * @throws {@link OutputError} when the file cannot be written (the old one is unchanged).
 * @example
 * ```ts
 * import { writeTextAtomic } from '@mnemo/models';
 * import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const dir = mkdtempSync(`${tmpdir()}/run-`);
 * writeTextAtomic(`${dir}/summary.md`, '# done\n');
 * console.assert(readFileSync(`${dir}/summary.md`, 'utf8') === '# done\n' && readdirSync(dir).length === 1);
 * ```
 * @category Reports
 */
export function writeTextAtomic(path: string, text: string, fs: RunFileSystem = nodeFs): void {
  try {
    writeFileAtomic(path, text, fs);
  } catch (e) {
    const { detail, code } = explain(e instanceof FileWriteError ? e.cause : e);
    throw new OutputError('writeTextAtomic', 'path', path, `could not be written (${detail}); the previous file, if any, is unchanged`, code);
  }
}

/**
 * Write `value` as pretty-printed JSON to `path`, atomically (see
 * {@link writeTextAtomic}). NaN and infinities are written as the strings
 * `"NaN"`, `"Infinity"` and `"-Infinity"` (see `jsonText`), never as a silent
 * `null`. Throws an `ArgumentError` for a value JSON cannot represent
 * (`undefined`, a function) and an {@link OutputError} when the file cannot
 * be written.
 *
 * @example
 * ```ts
 * import { writeJsonAtomic } from '@mnemo/models';
 * import { mkdtempSync, readFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const file = `${mkdtempSync(`${tmpdir()}/run-`)}/config.json`;
 * writeJsonAtomic(file, { lr: 0.001, batch: 128, loss: NaN });
 * console.assert(JSON.parse(readFileSync(file, 'utf8')).batch === 128 && readFileSync(file, 'utf8').includes('"NaN"'));
 * ```
 * @category Reports
 */
export function writeJsonAtomic(path: string, value: unknown, fs: RunFileSystem = nodeFs): void {
  let text: string;
  try {
    text = jsonText(value, 2);
  } catch (e) {
    if (e instanceof ArgumentError) throw new ArgumentError('writeJsonAtomic', 'value', `${typeof value} cannot be written as JSON`);
    throw e;
  }
  writeTextAtomic(path, `${text}\n`, fs);
}

/**
 * Append one record as a line of JSON to the run directory's `metrics.jsonl`
 * (created on first use). A record is a plain object, such as
 * `{ step, loss, acc, examplesPerSec }`; NaN is written as `"NaN"` (see
 * `jsonText`). Each line is written with one append, so a crash leaves whole
 * lines before it (at worst, one torn last line). A failed write is an
 * {@link OutputError}.
 *
 * @example
 * ```ts
 * import { appendMetrics, createRunDir } from '@mnemo/models';
 * import { readFileSync } from 'node:fs';
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const dir = createRunDir(mkdtempSync(`${tmpdir()}/runs-`), 'demo');
 * appendMetrics(dir, { step: 1, loss: 2.3 });
 * appendMetrics(dir, { step: 2, loss: 2.1 });
 * const lines = readFileSync(`${dir}/metrics.jsonl`, 'utf8').trim().split('\n');
 * console.assert(lines.length === 2 && JSON.parse(lines[1]!).loss === 2.1);
 * ```
 * @category Reports
 */
export function appendMetrics(dir: string, record: Readonly<Record<string, unknown>>, fs: RunFileSystem = nodeFs): void {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new ArgumentError('appendMetrics', 'record', `must be a plain object, got ${Array.isArray(record) ? 'an array' : String(record)}`);
  }
  const path = join(dir, METRICS_FILE);
  try {
    fs.appendFileSync(path, `${jsonText(record)}\n`);
  } catch (e) {
    const { detail, code } = explain(e);
    throw new OutputError('appendMetrics', 'dir', path, `could not be written (${detail})`, code);
  }
}

/** The temporary files the atomic writers make: `.<name>.<pid>.<hex>.tmp`. */
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/;

/** Whether process `pid` is alive (a process of another user counts as alive). */
function alive(pid: number): boolean {
  if (pid === process.pid) return false; // this process writes synchronously: none of its writes is under way now
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary files that atomic writes (checkpoints, JSON files)
 * leave in `dir` when their process is killed mid-write, and return their
 * names. Files of a process that is still running are left alone. Training
 * calls it when it starts or resumes in a run directory.
 *
 * @param dir - a run directory.
 * @param fs - the file system (default `node:fs`).
 * @returns the names of the files removed.
 * @example
 * ```ts
 * import { removeStaleTemporaryFiles } from '@mnemo/models';
 * import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const dir = mkdtempSync(`${tmpdir()}/run-`);
 * writeFileSync(`${dir}/.checkpoint.json.999999999.ab12cd.tmp`, '{"trunc');
 * console.assert(removeStaleTemporaryFiles(dir).length === 1 && readdirSync(dir).length === 0);
 * ```
 * @category Reports
 */
export function removeStaleTemporaryFiles(dir: string, fs: RunFileSystem = nodeFs): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMPORARY.exec(name);
    if (m === null || alive(Number(m[1]))) continue;
    try {
      fs.unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}
