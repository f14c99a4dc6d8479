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

/**
 * A doc comment's block tags (`@example`, `@category`, ...), each with its
 * lines; fences are not split. A tag may also follow text on its line
 * (`/** Sum over axes. @example`), as TypeScript and typedoc read it.
 */
export function blockTags(lines: readonly string[]): { tag: string; lines: string[]; offset: number }[] {
  const tags: { tag: string; lines: string[]; offset: number }[] = [{ tag: '', lines: [], offset: 0 }];
  let inFence: string | undefined;
  lines.forEach((whole, i) => {
    const inline = inFence === undefined ? /^(.*\S)\s+(@(?:example|category)\b.*)$/.exec(whole) : null;
    if (inline && !/^\s*@/.test(whole)) {
      tags[tags.length - 1]!.lines.push(inline[1]!);
      whole = inline[2]!;
    }
    const line = whole;
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

/** `file:line` of a declaration, relative to the repository. */
const whereOf = (d: ts.Node): string => `${relative(ROOT, d.getSourceFile().fileName)}:${d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1}`;

/** One export of a layer: its name (`tree.map` inside a namespace), what it resolves to, and where that is declared. */
interface PublicExport {
  readonly name: string;
  readonly exported: ts.Symbol;
  readonly target: ts.Symbol;
  readonly decls: readonly ts.Declaration[];
  /** For a namespace (`export * as tree from './tree.js'`), its file; its members follow it in the list. */
  readonly namespaceFile?: ts.SourceFile;
}

/** Every export of the layer whose index is `indexPath`, in order, each namespace followed by its members. */
function publicExports(program: ts.Program, indexPath: string): { checker: ts.TypeChecker; exports: PublicExport[] } {
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(indexPath);
  if (!index) throw new Error(`${indexPath} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(index);
  const exports: PublicExport[] = [];
  const walk = (module: ts.Symbol, prefix: string): void => {
    for (const exported of checker.getExportsOfModule(module)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = prefix + exported.getName();
      const decls = target.declarations ?? [];
      const namespaceFile = decls.find(ts.isSourceFile);
      exports.push({ name, exported, target, decls, ...(namespaceFile ? { namespaceFile } : {}) });
      if (namespaceFile) walk(target, `${name}.`);
    }
  };
  if (moduleSymbol) walk(moduleSymbol, '');
  return { checker, exports };
}

/**
 * Checks the doc comment of every public export of one layer (everything the
 * index file, its src/index.ts, exports, following `export * as ns` into namespaces): each needs
 * a description, an `@example` with a ```ts block, and a `@category`.
 * Exports marked `@internal`, `@hidden` or `@ignore` are not public.
 */
export function publicExportShortfalls(program: ts.Program, indexPath: string): Shortfall[] {
  const out: Shortfall[] = [];
  for (const { name, exported, decls, namespaceFile: sourceModule } of publicExports(program, indexPath).exports) {
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
      continue;
    }
    const docs = decls.map((d) => ({ decl: d, tags: ts.getJSDocTags(d), comments: ts.getJSDocCommentsAndTags(d) }));
    if (docs.some(({ tags }) => isHidden(tags))) continue;
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
    if (missing.length > 0) out.push({ name, where: decls[0] ? whereOf(decls[0]) : '(no declaration)', missing });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Parameters, return values and errors of public functions
// ---------------------------------------------------------------------------

/** What the doc comment of one public function (or method of a public class) says, and what it must say. */
export interface FunctionDoc {
  /** `lstmCell`, `tree.map`, `Tensor.reshape`, `Tensor.constructor`. */
  readonly name: string;
  /** `core/src/shape.ts:12`. */
  readonly where: string;
  /** `function`, `variable` (a function-valued const), `method` or `constructor`. */
  readonly kind: 'function' | 'variable' | 'method' | 'constructor';
  /** Its parameters by name (`(destructured)` for a binding pattern) and whether an `@param` describes each. */
  readonly params: readonly { readonly name: string; readonly documented: boolean }[];
  /** It returns something (not void, undefined or Promise<void>), so it needs `@returns`. */
  readonly needsReturns: boolean;
  readonly hasReturns: boolean;
  /** Its body, or a function of this repository it calls (transitively), has a `throw`. */
  readonly canThrow: boolean;
  readonly hasThrows: boolean;
  /** A `@throws Never.` (or `Nothing`) tag says it throws nothing. */
  readonly saysNever: boolean;
  /** Classes of the errors thrown in its own body or in the functions it calls (`throw new X(...)`). */
  readonly thrownClasses: readonly string[];
  /** Classes named by its `@throws` tags (the first name of each tag). */
  readonly throwsNamed: readonly string[];
  /** `@throws` tags whose first word names no error class. */
  readonly badThrows: readonly string[];
  /** Error classes it throws (itself or through what it calls) that no `@throws` tag names. */
  readonly unnamedThrows: readonly string[];
  /** Words in the summary (the description's first paragraph). */
  readonly summaryWords: number;
}

/** The first paragraph of a doc comment's description, as plain words. */
function summaryOf(text: string): string {
  const first = text.trim().split(/\n\s*\n/)[0] ?? '';
  return first.replace(/\{@link\s+([^}|\s]+)(?:[\s|]+([^}]*))?\}/g, (_m, target: string, label?: string) => label || target.replace(/^.*!/, ''));
}

const wordCount = (s: string): number => s.split(/\s+/).filter((w) => /[A-Za-z0-9]/.test(w)).length;

/** Names of the error classes every `@throws` may name: the built-in ones and each class of the repo that extends one. */
function errorClassNames(program: ts.Program): Set<string> {
  const names = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError']);
  const extendsOf = new Map<string, string>();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.includes('/node_modules/')) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isClassDeclaration(n) && n.name) {
        const base = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression.getText();
        if (base) extendsOf.set(n.name.text, base);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, base] of extendsOf) {
      if (!names.has(name) && names.has(base)) {
        names.add(name);
        grew = true;
      }
    }
  }
  return names;
}

/** The class a `@throws` tag names: `{@link X}`, `{@link pkg!X}`, `X -`, `` `X` `` or `X`, first in the tag. */
function thrownClassOfTag(text: string): string | undefined {
  const t = text.trim().replace(/^`([A-Za-z_$][\w$]*)`/, '$1');
  const link = /^\{@link\s+(?:[^}!\s]*!)?([A-Za-z_$][\w$]*)[^}]*\}/.exec(t);
  if (link) return link[1];
  return /^\{?([A-Za-z_$][\w$]*)\}?(?=$|[\s,:;.-])/.exec(t)?.[1];
}

/**
 * The transitive throw analysis: which error classes a function body throws,
 * itself or through the functions of the repository that it calls (calls
 * resolved by the type checker; calls through interfaces and callbacks are
 * not followed, so this is a lower bound).
 */
class ThrowAnalysis {
  private readonly memo = new Map<ts.Node, Set<string>>();
  constructor(private readonly checker: ts.TypeChecker) {}

  /** Classes thrown by `node` (a body, an initializer, a declaration). `'?'` stands for `throw` of something that is not `new X`. */
  of(node: ts.Node): Set<string> {
    const known = this.memo.get(node);
    if (known) return known;
    const out = new Set<string>();
    this.memo.set(node, out); // recursion sees the partial set
    const visit = (n: ts.Node): void => {
      if (ts.isThrowStatement(n)) {
        const e = n.expression;
        if (ts.isNewExpression(e) && ts.isIdentifier(e.expression)) out.add(e.expression.text);
        else out.add('?');
      } else if (ts.isCallExpression(n) || ts.isNewExpression(n) || ts.isDecorator(n)) {
        for (const c of this.calleeBodies(n)) for (const x of this.of(c)) out.add(x);
      }
      // A `try` whose catch does not rethrow swallows what its block throws; one
      // whose catch throws only new errors (`throw new X(...)`) turns them into those.
      if (ts.isTryStatement(n) && n.catchClause && !mayRethrow(n.catchClause)) {
        if (n.finallyBlock) ts.forEachChild(n.finallyBlock, visit);
        ts.forEachChild(n.catchClause, visit);
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(node);
    return out;
  }

  private calleeBodies(call: ts.CallExpression | ts.NewExpression | ts.Decorator): ts.Node[] {
    let decl: ts.Declaration | undefined;
    try {
      decl = this.checker.getResolvedSignature(call as ts.CallLikeExpression)?.declaration as ts.Declaration | undefined;
    } catch {
      return [];
    }
    if (!decl || ts.isJSDocSignature(decl)) return [];
    const file = decl.getSourceFile();
    if (file.isDeclarationFile || file.fileName.includes('/node_modules/')) return [];
    if ((ts.isFunctionLike(decl) && 'body' in decl && decl.body) || ts.isArrowFunction(decl) || ts.isFunctionExpression(decl)) {
      return [(decl as ts.FunctionLikeDeclaration).body!];
    }
    // A call of a const whose initializer makes the function (`defineCell(...)`): what the initializer calls.
    if (ts.isVariableDeclaration(decl) && decl.initializer) return [decl.initializer];
    return [];
  }
}

/** Whether `n` holds a `throw` of anything but a new error (`throw e`, `throw f()`): what it caught may go on. */
function mayRethrow(n: ts.Node): boolean {
  let found = false;
  const visit = (c: ts.Node): void => {
    if (found) return;
    if (ts.isThrowStatement(c) && !ts.isNewExpression(c.expression)) found = true;
    else ts.forEachChild(c, visit);
  };
  visit(n);
  return found;
}

const isHidden = (tags: readonly ts.JSDocTag[]): boolean => tags.some((t) => ['internal', 'hidden', 'ignore'].includes(t.tagName.text));

/**
 * What the doc comment of every public function of one layer says about its
 * parameters, return value and errors: the functions and function-valued
 * consts its src/index.ts exports (namespaces followed), and the public
 * methods and constructors of its exported classes. Exports marked
 * `@internal`, `@hidden` or `@ignore` are not public.
 */
export function publicFunctionDocs(program: ts.Program, indexPath: string): FunctionDoc[] {
  const { checker, exports } = publicExports(program, indexPath);
  const errorClasses = errorClassNames(program);
  const throwsOf = new ThrowAnalysis(checker);
  const out: FunctionDoc[] = [];
  const seen = new Set<ts.Node>();

  const record = (
    name: string,
    kind: FunctionDoc['kind'],
    docNodes: readonly ts.Node[],
    paramDecls: readonly ts.ParameterDeclaration[] | undefined,
    signature: ts.Signature | undefined,
    body: ts.Node | undefined,
    at: ts.Node,
  ): void => {
    const tags = docNodes.flatMap((d) => ts.getJSDocTags(d));
    const comments = docNodes.flatMap((d) => ts.getJSDocCommentsAndTags(d)).filter(ts.isJSDoc);
    const text = (t: ts.JSDocTag): string => (ts.getTextOfJSDocComment(t.comment) ?? '').replace(/^\s*-\s*/, '').trim();
    const paramTags = tags.filter(ts.isJSDocParameterTag).filter((t) => !t.name.getText().includes('.') && text(t).length > 0);
    const tagged = paramTags.map((t) => t.name.getText().replace(/^\[|\]$/g, '').replace(/=.*$/, ''));
    let params: { name: string; documented: boolean }[];
    if (paramDecls) {
      const named = paramDecls.filter((p) => ts.isIdentifier(p.name) && p.name.text !== 'this').map((p) => (p.name as ts.Identifier).text);
      const spare = tagged.filter((t) => !named.includes(t));
      params = paramDecls
        .filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this'))
        .map((p) => {
          if (ts.isIdentifier(p.name)) return { name: p.name.text, documented: tagged.includes(p.name.text) };
          // typedoc names a destructured parameter after the @param at its place; any tag not naming another parameter will do.
          return { name: '(destructured)', documented: spare.shift() !== undefined };
        });
    } else {
      params = (signature?.getParameters() ?? []).map((s) => ({ name: s.getName(), documented: tagged.includes(s.getName()) }));
    }
    let needsReturns = false;
    if (kind !== 'constructor' && signature) {
      const r = checker.getReturnTypeOfSignature(signature);
      const s = checker.typeToString(r);
      needsReturns = !(r.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Never)) && s !== 'Promise<void>';
    }
    const thrownClasses = body ? [...throwsOf.of(body)].sort() : [];
    // The @throws tags read from the comments' text: TypeScript splits `@throws {@link X} ...` into two tags.
    const throwsTags = comments.flatMap((c) => {
      const raw = c.getSourceFile().text.slice(c.getStart(), c.end);
      return blockTags(commentLines(raw))
        .filter((t) => t.tag === 'throws')
        .map((t) => t.lines.join(' ').replace(/\s+/g, ' ').trim());
    });
    // `@throws Never.` says that a function throws nothing, which holds only if it cannot throw.
    const never = throwsTags.filter((t) => /^(never|nothing)\b/i.test(t));
    const naming = throwsTags.filter((t) => !never.includes(t));
    const throwsNamed = naming.map(thrownClassOfTag).filter((c): c is string => c !== undefined);
    const badThrows = naming.filter((t) => {
      const c = thrownClassOfTag(t);
      return c === undefined || !errorClasses.has(c);
    });
    const description = comments.map((c) => ts.getTextOfJSDocComment(c.comment) ?? '').find((t) => t.trim().length > 0) ?? '';
    out.push({
      name,
      where: whereOf(at),
      kind,
      params,
      needsReturns,
      hasReturns: tags.some((t) => (t.tagName.text === 'returns' || t.tagName.text === 'return') && text(t).length > 0),
      canThrow: thrownClasses.length > 0,
      hasThrows: naming.length > 0,
      saysNever: never.length > 0,
      thrownClasses,
      throwsNamed,
      badThrows,
      unnamedThrows: thrownClasses.filter((c) => errorClasses.has(c) && !throwsNamed.includes(c)),
      summaryWords: wordCount(summaryOf(description)),
    });
  };

  for (const { name, target, decls, namespaceFile } of exports) {
    if (namespaceFile) continue;
    if (decls.some((d) => isHidden(ts.getJSDocTags(d)))) continue;
    const first = decls[0];
    if (!first || seen.has(first)) continue;
    seen.add(first);
    const fns = decls.filter(ts.isFunctionDeclaration);
    if (fns.length > 0) {
      const impl = fns.find((f) => f.body) ?? fns[0]!;
      const overloads = fns.filter((f) => !f.body);
      const sigDecl = overloads[0] ?? impl;
      record(name, 'function', fns, sigDecl.parameters, checker.getSignatureFromDeclaration(sigDecl), impl.body, sigDecl);
      continue;
    }
    const variable = decls.find(ts.isVariableDeclaration);
    if (variable) {
      const type = checker.getTypeOfSymbolAtLocation(target, variable);
      const calls = type.getCallSignatures();
      if (calls.length === 0 || type.getConstructSignatures().length > 0) continue;
      const init = variable.initializer;
      const fnInit = init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) ? init : undefined;
      record(name, 'variable', [variable], fnInit?.parameters, calls[0], init, variable);
      continue;
    }
    const cls = decls.find(ts.isClassDeclaration);
    if (cls) {
      for (const member of cls.members) {
        const mods = ts.getCombinedModifierFlags(member as ts.Declaration);
        if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
        if (member.name && ts.isPrivateIdentifier(member.name)) continue;
        if (isHidden(ts.getJSDocTags(member))) continue;
        if (ts.isConstructorDeclaration(member)) {
          record(`${name}.constructor`, 'constructor', [member], member.parameters, checker.getSignatureFromDeclaration(member), member.body, member);
        } else if (ts.isMethodDeclaration(member) && member.body) {
          record(`${name}.${member.name.getText()}`, 'method', [member], member.parameters, checker.getSignatureFromDeclaration(member), member.body, member);
        }
      }
    }
  }
  return out;
}

/** The fewest words a summary (the description's first paragraph) may have. */
export const MIN_SUMMARY_WORDS = 8;

/**
 * What one public function's doc comment lacks: an `@param` per parameter,
 * `@returns` when it returns something, `@throws` when it can throw, naming
 * an error class, and naming every error class it throws; a summary of at
 * least {@link MIN_SUMMARY_WORDS} words.
 */
export function functionDocShortfalls(d: FunctionDoc): string[] {
  const out: string[] = [];
  for (const p of d.params) if (!p.documented) out.push(`@param ${p.name}`);
  if (d.needsReturns && !d.hasReturns) out.push('@returns');
  if (d.canThrow && d.saysNever) out.push(`no "@throws Never" (it throws ${d.thrownClasses.join(', ')})`);
  else if (d.canThrow && !d.hasThrows) out.push(`@throws (it throws ${d.thrownClasses.join(', ')})`);
  for (const t of d.badThrows) out.push(`@throws naming an error class first (not "${t.slice(0, 40)}")`);
  for (const c of d.unnamedThrows) out.push(`@throws ${c} (it throws one)`);
  if (d.summaryWords < MIN_SUMMARY_WORDS) out.push(`a summary of at least ${MIN_SUMMARY_WORDS} words (it has ${d.summaryWords})`);
  return out;
}

/** Documented and required counts of parameters, return values and errors over some functions. */
export function functionDocCoverage(docs: readonly FunctionDoc[]): {
  readonly functions: number;
  readonly params: readonly [number, number];
  readonly returns: readonly [number, number];
  readonly throws: readonly [number, number];
  readonly shortSummaries: number;
} {
  const params = docs.flatMap((d) => d.params);
  const returning = docs.filter((d) => d.needsReturns);
  const throwing = docs.filter((d) => d.canThrow);
  return {
    functions: docs.length,
    params: [params.filter((p) => p.documented).length, params.length],
    returns: [returning.filter((d) => d.hasReturns).length, returning.length],
    throws: [throwing.filter((d) => d.hasThrows && d.unnamedThrows.length === 0).length, throwing.length],
    shortSummaries: docs.filter((d) => d.summaryWords < MIN_SUMMARY_WORDS).length,
  };
}

/**
 * The public exports of one layer (functions, types, constants, classes;
 * namespaces followed) whose summary, the first paragraph of the doc
 * comment, has fewer than {@link MIN_SUMMARY_WORDS} words.
 */
export function shortSummaries(program: ts.Program, indexPath: string): { name: string; where: string; words: number }[] {
  const out: { name: string; where: string; words: number }[] = [];
  for (const { name, decls, namespaceFile } of publicExports(program, indexPath).exports) {
    const decl = decls[0];
    if (!decl || namespaceFile || isHidden(ts.getJSDocTags(decl))) continue;
    const description =
      ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc).map((c) => ts.getTextOfJSDocComment(c.comment) ?? '').find((t) => t.trim().length > 0) ?? '';
    const words = wordCount(summaryOf(description));
    if (words < MIN_SUMMARY_WORDS) out.push({ name, where: whereOf(decl), words });
  }
  return out;
}
