/**
 * The documentation cannot drift from the code:
 *
 * - every ```ts block of every `@example` in `<layer>/src/**\/*.ts`, and every
 *   ```ts block of docs/guides/*.md (unless its fence says `ts no-run`), runs
 *   here as its own module, and a failing `console.assert` fails it;
 * - all of them type-check against the sources, like the tests do;
 * - every public export has a description, an `@example` and a `@category`;
 * - every public function of core, autodiff, nn and proofs (and the methods
 *   of their classes) has an `@param` for each parameter, `@returns` when it
 *   returns something, `@throws` naming each error class it throws (itself or
 *   through the functions it calls), and a summary of eight words or more.
 *
 * Each block is written to docs/test/.examples/ (git-ignored) and imported, so
 * that vitest's `@mnemo/*` aliases and TypeScript transform apply as in tests.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  functionDocCoverage,
  functionDocShortfalls,
  guideExamples,
  LAYERS,
  publicExportShortfalls,
  publicFunctionDocs,
  shortSummaries,
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

/** The layers whose every public function must document its parameters, return value and errors. */
const FULLY_DOCUMENTED: readonly string[] = ['core', 'autodiff', 'nn', 'nn/node', 'proofs'];

describe('public functions document their parameters, return values and errors', () => {
  for (const { ws, path } of indexes) {
    const enforced = FULLY_DOCUMENTED.includes(ws);
    it.skipIf(!existsSync(path))(
      `@mnemo/${ws}: ${enforced ? 'every' : 'counts how many'} public function${enforced ? ' has' : 's have'} @param, @returns, @throws and a summary of eight words`,
      () => {
        const docs = publicFunctionDocs(getProgram(), path);
        const c = functionDocCoverage(docs);
        console.info(
          `@mnemo/${ws}: ${c.functions} functions; @param ${c.params[0]}/${c.params[1]}, @returns ${c.returns[0]}/${c.returns[1]}, ` +
            `@throws ${c.throws[0]}/${c.throws[1]}, summaries under eight words: ${c.shortSummaries}`,
        );
        if (!enforced) return;
        expect(docs.length, 'public functions found').toBeGreaterThan(0);
        const report = docs.flatMap((d) => {
          const lacks = functionDocShortfalls(d);
          return lacks.length ? [`${d.name} (${d.where}) lacks ${lacks.join('; ')}`] : [];
        });
        expect(report, report.join('\n')).toEqual([]);
      },
    );
  }

  for (const { ws, path } of indexes.filter(({ ws }) => FULLY_DOCUMENTED.includes(ws))) {
    it.skipIf(!existsSync(path))(`@mnemo/${ws}: every export (types and constants too) has a summary of eight words or more`, () => {
      const short = shortSummaries(getProgram(), path).map((s) => `${s.name} (${s.where}): ${s.words} words`);
      expect(short, short.join('\n')).toEqual([]);
    });
  }

  it('the check finds a missing @param, @returns and @throws, also of an error thrown by a function called', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnemo-doc-check-'));
    try {
      const index = join(dir, 'index.ts');
      writeFileSync(
        index,
        [
          'export class FixtureError extends Error {}',
          'function positive(a: number): number { if (a < 0) throw new FixtureError("negative"); return a; }',
          '/**',
          ' * Doubles a number after checking that it is not negative, in float64.',
          ' * @param a - the number',
          ' * @returns twice `a`',
          ' * @throws FixtureError - when `a` is negative',
          ' */',
          'export function documented(a: number): number { return 2 * positive(a); }',
          '/** Adds two numbers after checking the first, which must not be negative. */',
          'export function undocumented(a: number, b: number): number { return positive(a) + b; }',
          '/**',
          ' * Too short a summary.',
          ' * @param a - the number',
          ' * @returns `a`',
          ' * @throws RangeError - the wrong class',
          ' */',
          'export function wrongClass(a: number): number { if (a > 1) throw new FixtureError("big"); return a; }',
          '/**',
          ' * Logs a number, which cannot fail, and returns nothing at all to its caller.',
          ' * @param a - the number',
          ' */',
          'export function quiet(a: number): void { void a; }',
          '/**',
          ' * Logs a number, which it says cannot fail, though it checks the number.',
          ' * @param a - the number',
          ' * @throws Never.',
          ' */',
          'export function notQuiet(a: number): void { positive(a); }',
          '/**',
          ' * Checks a number, naming the error class the way some comments do.',
          ' * @param a - the number',
          ' * @throws {@link FixtureError} when `a` is negative.',
          ' * @throws `FixtureError` (the same, in backquotes).',
          ' */',
          'export function linked(a: number): void { positive(a); }',
        ].join('\n'),
      );
      const program = ts.createProgram([index], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext });
      const byName = new Map(publicFunctionDocs(program, index).map((d) => [d.name, functionDocShortfalls(d)]));
      expect(byName.get('documented')).toEqual([]);
      expect(byName.get('quiet')).toEqual([]);
      expect(byName.get('undocumented')).toEqual(['@param a', '@param b', '@returns', '@throws (it throws FixtureError)', '@throws FixtureError (it throws one)']);
      expect(byName.get('wrongClass')).toEqual(['@throws FixtureError (it throws one)', 'a summary of at least 8 words (it has 4)']);
      expect(byName.get('notQuiet')).toEqual(['no "@throws Never" (it throws FixtureError)', '@throws FixtureError (it throws one)']);
      expect(byName.get('linked')).toEqual([]);
      const coverage = functionDocCoverage(publicFunctionDocs(program, index));
      expect(coverage.params).toEqual([5, 7]);
      expect(coverage.returns).toEqual([2, 3]);
      expect(coverage.throws).toEqual([2, 5]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
