/**
 * The documentation cannot drift from the code:
 *
 * - every ```ts block of every `@example` in `<layer>/src/**\/*.ts`, and every
 *   ```ts block of docs/guides/*.md (unless its fence says `ts no-run`), runs
 *   here as its own module, and a failing `console.assert` fails it;
 * - all of them type-check against the sources, like the tests do;
 * - every public export has a description, an `@example` and a `@category`.
 *
 * Each block is written to docs/test/.examples/ (git-ignored) and imported, so
 * that vitest's `@mnemo/*` aliases and TypeScript transform apply as in tests.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  guideExamples,
  LAYERS,
  publicExportShortfalls,
  ROOT,
  sourceExamples,
  testCompilerOptions,
  type Example,
} from './doc-comments.js';

const OUT = join(ROOT, 'docs', 'test', '.examples');

interface Written extends Example {
  /** The generated module. */
  readonly path: string;
  /** The test's name: `core/src/tensor.ts:12 Tensor.toArray`. */
  readonly title: string;
}

/** Writes every example to its own module under docs/test/.examples/. */
function writeExamples(examples: readonly Example[]): Written[] {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const used = new Map<string, number>();
  return examples.map((ex) => {
    const base = `${ex.file}__${ex.symbol}`.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 150);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const path = join(OUT, `${base}${n > 1 ? `_${n}` : ''}.ts`);
    writeFileSync(path, `${ex.code}\n`);
    return { ...ex, path, title: `${ex.file}:${ex.line} ${ex.symbol}` };
  });
}

const examples = writeExamples([...sourceExamples(), ...guideExamples()]);
// Each layer's entry, and nn's Node-only entry (`@mnemo/nn/node`).
const indexes = [...LAYERS.map((ws) => ({ ws, path: join(ROOT, ws, 'src', 'index.ts') })), { ws: 'nn/node', path: join(ROOT, 'nn', 'src', 'node.ts') }];

/** One program for both checks below: the examples and every layer's src/index.ts. */
let program: ts.Program | undefined;
const getProgram = (): ts.Program =>
  (program ??= ts.createProgram(
    [...examples.map((e) => e.path), ...indexes.filter(({ path }) => existsSync(path)).map(({ path }) => path)],
    testCompilerOptions(),
  ));

describe('doc examples run', () => {
  beforeEach(() => {
    // console.assert only prints in Node; in an example a false assertion must fail.
    vi.spyOn(console, 'assert').mockImplementation((condition?: unknown, ...message: unknown[]) => {
      if (!condition) {
        throw new Error(`console.assert failed${message.length ? `: ${message.map(String).join(' ')}` : ''}`);
      }
    });
    // Examples may print what they show; keep the test report readable.
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'info').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('finds examples to run', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  for (const ex of examples) {
    it(ex.title, async () => {
      const calls = vi.mocked(console.assert).mock.calls.length;
      await import(/* @vite-ignore */ pathToFileURL(ex.path).href);
      // An API example checks what it shows: one that asserts nothing proves
      // nothing. (A guide's block may only show a step.)
      if (!ex.file.endsWith('.md')) {
        expect(vi.mocked(console.assert).mock.calls.length - calls, 'the example calls console.assert').toBeGreaterThan(0);
      }
    });
  }
});

describe('doc examples type-check', () => {
  it('every example compiles under the test tsconfig', () => {
    const program = getProgram();
    const byPath = new Map(examples.map((e) => [e.path, e]));
    const errors = examples.flatMap((ex) => {
      const sf = program.getSourceFile(ex.path);
      if (!sf) return [`${ex.title}: not compiled`];
      return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
        const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
        const origin = byPath.get(ex.path)!;
        return `${origin.file}:${origin.line + line} (${origin.symbol}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    });
    expect(errors, errors.join('\n')).toEqual([]);
  });
});

describe('public exports are documented', () => {
  for (const { ws, path } of indexes) {
    // A layer without src/index.ts has no public API yet; the docs build
    // (`npm run docs`) fails until all five exist.
    it.skipIf(!existsSync(path))(
      `@mnemo/${ws}: every export of ${relative(ROOT, path)} has a description, an @example with a \`\`\`ts block, and a @category`,
      () => {
        const shortfalls = publicExportShortfalls(getProgram(), path);
        const report = shortfalls.map((s) => `${s.name} (${s.where}) lacks ${s.missing.join(', ')}`);
        expect(report, report.join('\n')).toEqual([]);
      },
    );
  }
});
