/**
 * Reading mnemo's documentation out of its sources: the `@example` blocks of
 * doc comments, the `ts` code blocks of the guides, and the doc comment of each
 * public export. Used by examples.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The layers, lowest first (the same list as docs/typedoc.config.mjs). */
export const LAYERS = ['core', 'autodiff', 'nn', 'proofs', 'models'] as const;

/** One runnable code block, from a doc comment or a guide. */
export interface Example {
  /** Path of the file it comes from, relative to the repository root. */
  readonly file: string;
  /** The documented symbol (`Tensor.toArray`), or the guide's heading. */
  readonly symbol: string;
  /** 1-based line in `file` of the block's first line of code. */
  readonly line: number;
  /** The code, with the comment's leading ` * ` removed. */
  readonly code: string;
}

/** Code fences whose info string is `ts` or `typescript` run; `ts no-run` opts out. */
const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})\s*(\S*)(.*)$/;

interface Fence {
  readonly lang: string;
  readonly info: string;
  /** Index of the first line of code in `lines`. */
  readonly start: number;
  readonly code: string;
}

/** The fenced code blocks of a markdown text, given as lines. */
function fencesOf(lines: readonly string[]): Fence[] {
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', marker = '', lang = '', rest = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    const close = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    for (; j < lines.length && !close.test(lines[j]!); j++) {
      const l = lines[j]!;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    out.push({ lang: lang.toLowerCase(), info: rest.trim(), start: i + 1, code: body.join('\n') });
    i = j;
  }
  return out;
}

const isRunnable = (f: Fence): boolean => (f.lang === 'ts' || f.lang === 'typescript') && !/\bno-run\b/.test(f.info);

/** The text of a `/** ... *\/` comment, one entry per line, without `/**`, `*\/` and leading ` * `. */
function commentLines(raw: string): string[] {
  return raw
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''));
}

/** A doc comment's block tags (`@example`, `@category`, ...), each with its lines; fences are not split. */
export function blockTags(lines: readonly string[]): { tag: string; lines: string[]; offset: number }[] {
  const tags: { tag: string; lines: string[]; offset: number }[] = [{ tag: '', lines: [], offset: 0 }];
  let inFence: string | undefined;
  lines.forEach((line, i) => {
    const fence = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (inFence === undefined && fence) inFence = fence;
    else if (inFence !== undefined && fence && fence[0] === inFence[0] && fence.length >= inFence.length && /^\s*[`~]+\s*$/.test(line)) inFence = undefined;
    const tag = inFence === undefined ? /^@(\w+)\s?(.*)$/.exec(line) : null;
    if (tag) tags.push({ tag: tag[1]!, lines: [tag[2]!], offset: i });
    else tags[tags.length - 1]!.lines.push(line);
  });
  return tags;
}

/** The name a doc comment documents: the declaration right after it. */
function nameOf(node: ts.Node): string | undefined {
  const own = (n: ts.Node): string | undefined => {
    if (ts.isVariableStatement(n)) return n.declarationList.declarations.map((d) => d.name.getText()).join(', ');
    if (ts.isConstructorDeclaration(n)) return 'constructor';
    const name = (n as { name?: ts.Node }).name;
    return name ? name.getText() : undefined;
  };
  const name = own(node);
  if (name === undefined) return undefined;
  const parent = node.parent;
  if (parent && (ts.isClassLike(parent) || ts.isInterfaceDeclaration(parent) || ts.isEnumDeclaration(parent))) {
    return `${parent.name?.getText() ?? '(anonymous)'}.${name}`;
  }
  return name;
}

/** Every file under `dir` whose name ends in `.ts` but not `.d.ts`, sorted. */
function tsFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFilesUnder(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** The runnable `@example` blocks of every doc comment in one TypeScript file. */
export function examplesInSource(path: string): Example[] {
  const text = readFileSync(path, 'utf8');
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const file = relative(ROOT, path);
  const seen = new Set<number>();
  const out: Example[] = [];
  const visit = (node: ts.Node): void => {
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      if (seen.has(range.pos) || !text.startsWith('/**', range.pos)) continue;
      seen.add(range.pos);
      const lines = commentLines(text.slice(range.pos, range.end));
      const firstLine = sf.getLineAndCharacterOfPosition(range.pos).line; // 0-based
      const tags = blockTags(lines);
      const isModule = tags.some((t) => t.tag === 'packageDocumentation' || t.tag === 'module');
      const symbol = isModule ? '(module)' : (nameOf(node) ?? `(comment at line ${firstLine + 1})`);
      for (const t of tags) {
        if (t.tag !== 'example') continue;
        for (const f of fencesOf(t.lines).filter(isRunnable)) {
          out.push({ file, symbol, line: firstLine + t.offset + f.start + 1, code: f.code });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Every runnable `@example` in `<layer>/src/**\/*.ts`, in file order. */
export function sourceExamples(): Example[] {
  return LAYERS.flatMap((ws) => tsFilesUnder(join(ROOT, ws, 'src')).flatMap(examplesInSource));
}

/** The runnable `ts` blocks of the guides in docs/guides, each named by the heading above it. */
export function guideExamples(): Example[] {
  const dir = join(ROOT, 'docs', 'guides');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .flatMap((name) => {
      const lines = readFileSync(join(dir, name), 'utf8').split('\n');
      return fencesOf(lines)
        .filter(isRunnable)
        .map((f) => {
          let heading = name;
          for (let i = f.start - 1; i >= 0; i--) {
            const h = /^#{1,6}\s+(.*)$/.exec(lines[i]!);
            if (h) {
              heading = h[1]!.trim();
              break;
            }
          }
          return { file: `docs/guides/${name}`, symbol: heading, line: f.start + 1, code: f.code };
        });
    });
}

/** The `@module` / `@packageDocumentation` doc comments at the top of a file. */
function moduleComments(sf: ts.SourceFile): ts.JSDoc[] {
  const first = sf.statements[0];
  if (!first) return [];
  return ts
    .getJSDocCommentsAndTags(first)
    .filter(ts.isJSDoc)
    .filter((c) => c.tags?.some((t) => t.tagName.text === 'module' || t.tagName.text === 'packageDocumentation'));
}

/** A public export whose doc comment falls short, and how. */
export interface Shortfall {
  readonly name: string;
  readonly where: string;
  readonly missing: readonly string[];
}

/** The compiler options of the test type-check (tsconfig.test.json: strict, paths to each src/index.ts). */
export function testCompilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.test.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}

/**
 * Checks the doc comment of every public export of one layer (everything the
 * index file, its src/index.ts, exports, following `export * as ns` into namespaces): each needs
 * a description, an `@example` with a ```ts block, and a `@category`.
 * Exports marked `@internal`, `@hidden` or `@ignore` are not public.
 */
export function publicExportShortfalls(program: ts.Program, indexPath: string): Shortfall[] {
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(indexPath);
  if (!index) throw new Error(`${indexPath} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(index);
  if (!moduleSymbol) return [];
  const out: Shortfall[] = [];
  const walk = (module: ts.Symbol, prefix: string): void => {
    for (const exported of checker.getExportsOfModule(module)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = prefix + exported.getName();
      const decls = target.declarations ?? [];
      const sourceModule = decls.find(ts.isSourceFile);
      if (sourceModule) {
        // `export * as tree from './tree.js'`: the namespace needs a description
        // and a @category (on the export, or in the file's `@module` comment),
        // and its members are public exports too.
        const statement = exported.declarations?.find(ts.isNamespaceExport)?.parent;
        const comments = [
          ...(statement ? ts.getJSDocCommentsAndTags(statement) : []),
          ...moduleComments(sourceModule),
        ].filter(ts.isJSDoc);
        const missing: string[] = [];
        if (!comments.some((c) => (ts.getTextOfJSDocComment(c.comment) ?? '').trim().length > 0)) missing.push('a description');
        if (!comments.some((c) => c.tags?.some((t) => t.tagName.text === 'category'))) missing.push('@category');
        if (missing.length > 0) out.push({ name, where: `${relative(ROOT, sourceModule.fileName)}:1`, missing });
        walk(target, `${name}.`);
        continue;
      }
      const docs = decls.map((d) => ({ decl: d, tags: ts.getJSDocTags(d), comments: ts.getJSDocCommentsAndTags(d) }));
      if (docs.some(({ tags }) => tags.some((t) => ['internal', 'hidden', 'ignore'].includes(t.tagName.text)))) continue;
      const missing: string[] = [];
      const hasDescription = docs.some(({ comments }) =>
        comments.some((c) => ts.isJSDoc(c) && (ts.getTextOfJSDocComment(c.comment) ?? '').trim().length > 0),
      );
      if (!hasDescription) missing.push('a description');
      const examples = docs.flatMap(({ tags }) => tags.filter((t) => t.tagName.text === 'example'));
      if (examples.length === 0) missing.push('@example');
      else if (!examples.some((t) => /```\s*(ts|typescript)\b/.test(ts.getTextOfJSDocComment(t.comment) ?? ''))) {
        missing.push('a ```ts block in @example');
      }
      if (!docs.some(({ tags }) => tags.some((t) => t.tagName.text === 'category'))) missing.push('@category');
      if (missing.length > 0) {
        const d = decls[0];
        const where = d
          ? `${relative(ROOT, d.getSourceFile().fileName)}:${d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1}`
          : '(no declaration)';
        out.push({ name, where, missing });
      }
    }
  };
  walk(moduleSymbol, '');
  return out;
}
