import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ArgumentError } from '@mnemo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMetrics, createRunDir, ensureDir, METRICS_FILE, OutputError, removeStaleTemporaryFiles, writeJsonAtomic, type RunFileSystem } from '@mnemo/models';
import * as fs from 'node:fs';

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mnemo-runs-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('createRunDir', () => {
  it('makes root and a fresh, empty folder, numbering the name rather than reusing a folder', () => {
    const runs = join(root, 'a', 'runs'); // does not exist yet
    const first = createRunDir(runs, 'mnist');
    expect(first).toBe(join(runs, 'mnist'));
    expect(readdirSync(first)).toEqual([]);
    writeFileSync(join(first, 'keep.txt'), 'x');
    expect(basename(createRunDir(runs, 'mnist'))).toBe('mnist-2');
    expect(basename(createRunDir(runs, 'mnist'))).toBe('mnist-3');
    expect(readFileSync(join(first, 'keep.txt'), 'utf8')).toBe('x');
  });

  it('rejects a name that is not one folder name', () => {
    for (const bad of ['', '.', '..', 'a/b', '../up', 'a\\b']) {
      expect(() => createRunDir(root, bad), bad).toThrow(ArgumentError);
    }
    expect(() => createRunDir(root, 'a/b')).toThrow("createRunDir: argument 'name': must be a single folder name, got 'a/b'");
  });
});

describe('writeJsonAtomic', () => {
  it('writes pretty JSON, replaces it whole, and leaves no temporary file', () => {
    const dir = createRunDir(root, 'json');
    const file = join(dir, 'config.json');
    writeJsonAtomic(file, { lr: 0.001, batch: 128, cell: 'lstm', loss: NaN });
    // NaN is written as "NaN", not as the null JSON.stringify writes silently.
    expect(readFileSync(file, 'utf8')).toBe('{\n  "lr": 0.001,\n  "batch": 128,\n  "cell": "lstm",\n  "loss": "NaN"\n}\n');
    writeJsonAtomic(file, [1, 2]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([1, 2]);
    expect(readdirSync(dir)).toEqual(['config.json']);
  });

  it('on failure keeps the last good file and cleans up its temporary file', () => {
    const dir = createRunDir(root, 'fail');
    const file = join(dir, 'state.json');
    writeJsonAtomic(file, { step: 1 });
    expect(() => writeJsonAtomic(file, undefined)).toThrow("writeJsonAtomic: argument 'value': undefined cannot be written as JSON");
    expect(() => writeJsonAtomic(file, { big: 1n })).toThrow(TypeError);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ step: 1 });
    // The rename itself fails when the target is a non-empty folder.
    const blocked = join(dir, 'blocked.json');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'x'), '');
    expect(() => writeJsonAtomic(blocked, { step: 2 })).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['blocked.json', 'state.json']);
    expect(() => writeJsonAtomic(join(dir, 'no', 'such', 'f.json'), {})).toThrow(OutputError);
    expect(() => writeJsonAtomic(join(dir, 'no', 'such', 'f.json'), {})).toThrow(/ENOENT/);
  });
});

describe('appendMetrics', () => {
  it('appends one JSON object a line to metrics.jsonl', () => {
    const dir = createRunDir(root, 'metrics');
    appendMetrics(dir, { step: 1, loss: 2.3, note: 'line\nbreak' });
    appendMetrics(dir, { step: 2, loss: NaN });
    const text = readFileSync(join(dir, METRICS_FILE), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { step: 1, loss: 2.3, note: 'line\nbreak' },
      { step: 2, loss: 'NaN' },
    ]);
  });

  it('rejects a record that is not a plain object', () => {
    const dir = createRunDir(root, 'bad-metrics');
    expect(() => appendMetrics(dir, [1, 2] as unknown as Record<string, unknown>)).toThrow(
      "appendMetrics: argument 'record': must be a plain object, got an array",
    );
    expect(() => appendMetrics(dir, null as unknown as Record<string, unknown>)).toThrow(ArgumentError);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('unwritable output (issue 15, finding 5): a typed OutputError naming the path, never a hang', () => {
  it('a file in the way, /dev/null, a virtual file system, a read-only folder', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string, RegExp][] = [
      ['/dev/null', /\/dev\/null: is a file, not a folder/],
      [join(file, 'runs'), /a-file: is a file, not a folder/],
      // Node's recursive mkdir never returns here (issue 15 found `--out /proc/x` hanging); ensureDir makes one level at a time.
      ['/proc/mnemo-x/runs', /\/proc\/mnemo-x: cannot make this folder/],
      ['/sys/mnemo-x', /\/sys\/mnemo-x: cannot make this folder/],
    ];
    for (const [path, message] of cases) {
      let e: unknown;
      try {
        createRunDir(path, 'r');
      } catch (err) {
        e = err;
      }
      expect(e, path).toBeInstanceOf(OutputError);
      expect((e as Error).message, path).toMatch(message);
    }
  });

  it('a read-only folder (when not root, who may write anywhere)', () => {
    if (process.getuid?.() === 0) return; // root writes into read-only folders; /sys above stands in for it
    const ro = join(root, 'read-only');
    mkdirSync(ro);
    fs.chmodSync(ro, 0o555);
    expect(() => createRunDir(ro, 'r')).toThrow(/no permission to write there \(EACCES\)/);
  });

  it('ensureDir makes every missing level and accepts existing folders', () => {
    const deep = join(root, 'x', 'y', 'z');
    expect(ensureDir(deep)).toBe(deep);
    expect(ensureDir(deep)).toBe(deep);
    expect(readdirSync(join(root, 'x'))).toEqual(['y']);
  });

  it('a full disk: the write fails with an OutputError and leaves the previous file and no temporary file', () => {
    const dir = createRunDir(root, 'full');
    const file = join(dir, 'summary.json');
    writeJsonAtomic(file, { step: 1 });
    const full: RunFileSystem = { ...fs, writeSync: () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); } };
    expect(() => writeJsonAtomic(file, { step: 2 }, full)).toThrow(/the disk is full \(ENOSPC\)/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ step: 1 });
    expect(readdirSync(dir)).toEqual(['summary.json']);
    expect(() => appendMetrics(dir, { step: 1 }, { ...fs, appendFileSync: full.writeSync as never })).toThrow(OutputError);
  });
});

describe('removeStaleTemporaryFiles (issue 15, finding 11)', () => {
  it('removes the temporary files of dead processes, keeps those of live ones and everything else', () => {
    const dir = createRunDir(root, 'temps');
    const dead = '.checkpoint.json.999999999.0123456789ab.tmp';
    const live = `.checkpoint.json.${process.ppid}.0123456789ab.tmp`;
    for (const name of [dead, live, 'checkpoint.json', '.hidden', 'x.tmp']) writeFileSync(join(dir, name), '');
    expect(removeStaleTemporaryFiles(dir)).toEqual([dead]);
    expect(readdirSync(dir).sort()).toEqual([live, '.hidden', 'checkpoint.json', 'x.tmp'].sort());
  });
});
