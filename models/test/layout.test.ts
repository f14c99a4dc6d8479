/**
 * models/ is laid out so its structure shows: tasks (the data and models of
 * each problem), training (the one loop), cli (one subcommand table), report
 * (what a run writes), bench. No folder imports a folder that imports it
 * back, at any depth (tasks/charlm and tasks/seq2seq are folders too), and no
 * source file imports one that imports it back.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(fileURLToPath(new URL('../src', import.meta.url)));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : name.endsWith('.ts') ? [p] : [];
  });
}

/** The relative modules a source imports or re-exports (type-only imports count: they tie the folders as much). */
function relativeImports(text: string): string[] {
  const re = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]\s*\)|import\s+['"](\.[^'"]+)['"]/g;
  return [...text.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/** The import graph of models/src: file to files (paths relative to src, `.ts`). */
function fileGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of filesUnder(src)) {
    const from = relative(src, f);
    const to = relativeImports(readFileSync(f, 'utf8')).map((spec) => relative(src, resolve(dirname(f), spec)).replace(/\.js$/, '.ts'));
    graph.set(from, to);
  }
  return graph;
}

/** The folder of a file (its directory relative to src; '.' for the top). */
const folderOf = (file: string): string => dirname(file);

/** Every cycle of a graph (one per strongly connected component of more than one node), as a path. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** The folder graph: folder to the folders its files import (itself left out). */
function folderGraph(files: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const g = new Map<string, Set<string>>();
  for (const [from, tos] of files) {
    const a = folderOf(from);
    if (!g.has(a)) g.set(a, new Set());
    for (const to of tos) if (folderOf(to) !== a) g.get(a)!.add(folderOf(to));
  }
  return new Map([...g].map(([k, v]) => [k, [...v].sort()]));
}

describe('the layout of models/src', () => {
  const files = fileGraph();
  const folders = folderGraph(files);

  it('has the folders of the design: tasks, training, cli, report (and bench)', () => {
    const top = new Set([...folders.keys()].map((f) => f.split('/')[0]));
    expect([...top].sort()).toEqual(['.', 'bench', 'cli', 'report', 'tasks', 'training']);
  });

  it('has no import cycle between folders, at any depth', () => {
    expect(cycles(folders)).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(cycles(files)).toEqual([]);
  });

  it('keeps the layers of the design: report imports no other folder, training only report, tasks no cli', () => {
    const imports = (prefix: string): string[] => [...new Set([...folders].filter(([f]) => f === prefix || f.startsWith(`${prefix}/`)).flatMap(([, to]) => to.map((t) => t.split('/')[0]!)))].filter((t) => t !== prefix).sort();
    expect(imports('report')).toEqual([]);
    expect(imports('training')).toEqual(['report']);
    expect(imports('tasks')).toEqual(['report', 'training']);
    expect(imports('cli')).toEqual(['report', 'tasks', 'training']);
  });

  it('the check has teeth: the cycles the issue found are reported', () => {
    // cli/app.ts -> charlm/cli.ts -> cli/io.ts, and training/loop.ts <-> training/summary.ts, as they were.
    const before = new Map<string, string[]>([
      ['cli/app.ts', ['charlm/cli.ts', 'cli/io.ts']],
      ['charlm/cli.ts', ['cli/io.ts', 'seq2seq/cli.ts']],
      ['seq2seq/model.ts', ['charlm/vocab.ts']],
      ['seq2seq/cli.ts', ['seq2seq/model.ts']],
      ['cli/io.ts', []],
      ['charlm/vocab.ts', []],
      ['training/loop.ts', ['training/summary.ts']],
      ['training/summary.ts', ['training/loop.ts']],
    ]);
    expect(cycles(folderGraph(before))).toEqual([['charlm', 'cli', 'seq2seq']]);
    expect(cycles(before)).toEqual([['training/loop.ts', 'training/summary.ts']]);
    expect(relativeImports("import type { A } from './a.js';\nexport { b } from '../b/c.js';\nimport x from 'vega';")).toEqual(['./a.js', '../b/c.js']);
  });
});
