/**
 * The run directory every training run writes: a fresh folder per run, JSON files
 * replaced atomically (so a crash or a kill mid-write leaves the previous good file),
 * and `metrics.jsonl`, one JSON object a line. All functions here are synchronous,
 * so they are safe to call from a signal handler that saves before exiting.
 *
 * @module
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { ArgumentError } from '@mnemo/core';

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
 * Make a new, empty run directory `root/name` (creating `root` if needed) and return
 * its absolute path. An existing directory is never reused: if `root/name` exists,
 * `root/name-2`, `root/name-3`, ... is made instead. `name` must be a single path
 * segment.
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
export function createRunDir(root: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || basename(name) !== name || name.includes('/') || name.includes('\\')) {
    throw new ArgumentError('createRunDir', 'name', `must be a single folder name, got '${name}'`);
  }
  const base = resolve(root);
  mkdirSync(base, { recursive: true });
  for (let i = 1; i <= 10_000; i++) {
    const dir = join(base, i === 1 ? name : `${name}-${i}`);
    try {
      mkdirSync(dir); // not recursive: fails if it exists, so two runs never share a folder
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  throw new ArgumentError('createRunDir', 'name', `'${name}' and 10,000 numbered variants already exist in ${base}`);
}

/**
 * Write `value` as pretty-printed JSON to `path`, atomically: the text goes to a
 * temporary file beside it, is flushed to disk, and is then renamed over `path`. A
 * reader sees the old file or the new one, never half of one. Throws an
 * `ArgumentError` for a value JSON cannot represent (`undefined`, a function);
 * as `JSON.stringify` does, NaN and infinities become `null`.
 *
 * @example
 * ```ts
 * import { writeJsonAtomic } from '@mnemo/models';
 * import { mkdtempSync, readFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * const file = `${mkdtempSync(`${tmpdir()}/run-`)}/config.json`;
 * writeJsonAtomic(file, { lr: 0.001, batch: 128 });
 * console.assert(JSON.parse(readFileSync(file, 'utf8')).batch === 128);
 * ```
 * @category Reports
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  if (text === undefined) {
    throw new ArgumentError('writeJsonAtomic', 'value', `${typeof value} cannot be written as JSON`);
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeSync(fd, `${text}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Append one record as a line of JSON to the run directory's `metrics.jsonl`
 * (created on first use). A record is a plain object, such as
 * `{ step, loss, acc, examplesPerSec }`; as `JSON.stringify` does, NaN becomes
 * `null`. Each line is written with one append, so a crash leaves whole lines
 * before it (at worst, one torn last line).
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
export function appendMetrics(dir: string, record: Readonly<Record<string, unknown>>): void {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new ArgumentError('appendMetrics', 'record', `must be a plain object, got ${Array.isArray(record) ? 'an array' : String(record)}`);
  }
  appendFileSync(join(dir, METRICS_FILE), `${JSON.stringify(record)}\n`);
}
