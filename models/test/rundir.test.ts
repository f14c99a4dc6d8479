import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ArgumentError } from '@mnemo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendMetrics, createRunDir, METRICS_FILE, writeJsonAtomic } from '../src/report/index.js';

// The lead wires models/src/index.ts; until then the report module is imported directly.

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
    expect(readFileSync(file, 'utf8')).toBe('{\n  "lr": 0.001,\n  "batch": 128,\n  "cell": "lstm",\n  "loss": null\n}\n');
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
      { step: 2, loss: null },
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
