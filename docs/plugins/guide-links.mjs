// @ts-check
/**
 * Links between the guides and the API pages, both ways.
 *
 * - **Guide to API.** A code span in a guide (or in the README, the home
 *   page) that names an export, such as `lstmCell`, `tree.map`,
 *   `Tensor.toArray` or `grad(f)`, becomes a link to its page. A name that
 *   several packages export (`split`, `stack`) links to the package the
 *   guide's own code imports it from, and is left alone when the guide
 *   imports it from none. A few words that are names of ops but usually mean
 *   something else in prose (`step`, `key`, ...) link only where the guide
 *   imports them.
 * - **API to guide.** A guide lists in its front matter the exports it
 *   teaches (`teaches: [grad, vjp]`); each one's page ends its description
 *   with "See the guide: <title>, <section>", the section being the first
 *   whose prose names it in a code span, or the one named by an anchor
 *   (`teaches: [gruCell#gru]`). An unknown or ambiguous name, or an unknown
 *   anchor, in `teaches` fails the build.
 * - **Errors.** The error class a `@throws` tag starts with (`ArgumentError -
 *   when ...`) becomes a link to that class, and several `@throws` tags make
 *   one "Throws" section with a list.
 */
import { Comment, ReflectionKind } from 'typedoc';

/** Names that link from a guide's prose only where the guide's code imports them. */
const PROSE_WORDS = new Set([
  'abs', 'add', 'cast', 'ceil', 'clip', 'concat', 'cos', 'div', 'dot', 'equal', 'exp', 'floor', 'index', 'init', 'key', 'less',
  'log', 'max', 'mean', 'min', 'mul', 'neg', 'norm', 'pad', 'pow', 'round', 'sign', 'sin', 'slice', 'split', 'sqrt', 'square',
  'stack', 'step', 'sub', 'sum', 'tree', 'where', 'ones', 'zeros', 'full', 'scalar', 'sequence', 'run', 'train', 'evaluate',
]);

/** Kinds a code span may link to. */
const LINKABLE = ReflectionKind.Module | ReflectionKind.Function | ReflectionKind.Class | ReflectionKind.Interface | ReflectionKind.TypeAlias |
  ReflectionKind.Variable | ReflectionKind.Namespace | ReflectionKind.Enum | ReflectionKind.Method | ReflectionKind.Property |
  ReflectionKind.Accessor;

/**
 * Every exported name of the project, with the package exporting it:
 * top-level exports (`lstmCell`), namespace members (`tree.map`) and class
 * members (`Tensor.toArray`).
 *
 * @param {import('typedoc').ProjectReflection} project
 * @returns {Map<string, { refl: import('typedoc').Reflection; pkg: string }[]>}
 */
function exportedNames(project) {
  /** @type {Map<string, { refl: import('typedoc').Reflection; pkg: string }[]>} */
  const names = new Map();
  /** @param {string} name @param {import('typedoc').Reflection} refl @param {string} pkg */
  const add = (name, refl, pkg) => {
    if (!refl.kindOf(LINKABLE)) return;
    const list = names.get(name) ?? [];
    if (!list.some((x) => x.refl === refl)) list.push({ refl, pkg });
    names.set(name, list);
  };
  for (const mod of project.getChildrenByKind(ReflectionKind.Module)) {
    // `@mnemo/nn` links to the package's page.
    add(mod.name, mod, mod.name);
    for (const child of mod.children ?? []) {
      /** @type {any} */
      const c = child;
      const target = child.kindOf(ReflectionKind.Reference) ? c.getTargetReflectionDeep() : child;
      // A re-export of another package's declaration links to where it is documented.
      if (target !== child) continue;
      add(child.name, child, mod.name);
      if (child.kindOf(ReflectionKind.Namespace | ReflectionKind.Class)) {
        for (const m of c.children ?? []) {
          if (m.kindOf(ReflectionKind.Reference)) continue;
          add(`${child.name}.${m.name}`, m, mod.name);
        }
      }
    }
  }
  return names;
}

/**
 * The names the `ts` blocks of a guide import, with the package of each
 * (`mnemo`, the umbrella package, stands for every package).
 *
 * @param {readonly import('typedoc').CommentDisplayPart[]} parts
 * @returns {Map<string, string>}
 */
function importsOf(parts) {
  /** @type {Map<string, string>} */
  const out = new Map();
  for (const p of parts) {
    if (p.kind !== 'code' || !p.text.startsWith('```')) continue;
    for (const m of p.text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
      const pkg = m[2] ?? '';
      if (!pkg.startsWith('@mnemo/') && pkg !== 'mnemo') continue;
      for (const spec of (m[1] ?? '').split(',')) {
        const name = spec.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]?.trim();
        if (name) out.set(name, pkg);
      }
    }
    for (const m of p.text.matchAll(/import\s+\*\s+as\s+(\w+)\s+from\s+'(@mnemo\/\w+)'/g)) out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}

/**
 * A code span that names an export: `name`, `ns.name`, `name(args)` (args
 * without markdown or TeX characters), or a package, `@mnemo/nn`.
 */
const NAME_SPAN = /^(@mnemo\/[a-z]+|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)(\([^*_$`\\<>]*\))?$/;

/**
 * The reflection a code span of a guide names, if it names one unambiguously.
 *
 * @param {string} span the code without its backticks
 * @param {Map<string, { refl: import('typedoc').Reflection; pkg: string }[]>} names
 * @param {Map<string, string>} imports
 */
function targetOf(span, names, imports) {
  const m = NAME_SPAN.exec(span);
  if (!m) return undefined;
  const name = m[1] ?? '';
  const candidates = names.get(name);
  if (!candidates) return undefined;
  const head = name.split('.')[0] ?? name;
  const from = imports.get(head);
  /** @type {import('typedoc').Reflection | undefined} */
  let target;
  if (from !== undefined) {
    const inPkg = from === 'mnemo' ? candidates : candidates.filter((c) => c.pkg === from);
    target = inPkg.length === 1 ? inPkg[0]?.refl : undefined;
  } else if (!PROSE_WORDS.has(head) && candidates.length === 1) {
    target = candidates[0]?.refl;
  }
  // A namespace links by its members (`init.zeros`); `init` or `init(key)` alone is a cell's method in prose.
  if (target?.kindOf(ReflectionKind.Namespace)) return undefined;
  return target;
}

/** @param {string} s */
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Turns the code spans of some markdown parts that name exports into links.
 *
 * @param {import('typedoc').CommentDisplayPart[]} parts
 * @param {Map<string, { refl: import('typedoc').Reflection; pkg: string }[]>} names
 * @returns {number} how many it linked
 */
function linkCodeSpans(parts, names) {
  const imports = importsOf(parts);
  let linked = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (!p || p.kind !== 'code' || p.text.startsWith('```')) continue;
    const inner = p.text.replace(/^(`+)\s?([\s\S]*?)\s?\1$/, '$2');
    const target = targetOf(inner, names, imports);
    if (!target) continue;
    parts[i] = { kind: 'inline-tag', tag: '@linkcode', text: escapeHtml(inner), target };
    linked++;
  }
  return linked;
}

/**
 * The sections of a guide (level 2 and 3 headings) in order, each with its
 * text, typedoc's anchor for it, and the names its code spans hold.
 *
 * @param {readonly import('typedoc').CommentDisplayPart[]} parts
 * @returns {{ text: string; slug: string; names: Set<string> }[]}
 */
function sectionsOf(parts) {
  // The markdown again, code blocks blanked, to find the headings line by line.
  const markdown = parts.map((p) => (p.kind === 'code' && p.text.startsWith('```') ? '\n' : p.text)).join('');
  /** @type {{ text: string; slug: string; names: Set<string> }[]} */
  const out = [{ text: '', slug: '', names: new Set() }];
  /** @type {Map<string, number>} */
  const seen = new Map();
  for (const line of markdown.split('\n')) {
    const h = /^(#{1,6})\s+(.+)$/.exec(line);
    if (h && (h[1] ?? '').length >= 2 && (h[1] ?? '').length <= 3) {
      const text = (h[2] ?? '').replace(/`/g, '').trim();
      const base = slugOf(text);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.push({ text, slug: n === 0 ? base : `${base}-${n}`, names: new Set() });
      continue;
    }
    for (const m of line.matchAll(/(`+)\s?([^`]+?)\s?\1/g)) {
      const name = NAME_SPAN.exec(m[2] ?? '')?.[1];
      if (name) out[out.length - 1]?.names.add(name);
    }
  }
  return out;
}

/**
 * typedoc's anchor of a heading (its Slugger, lower case).
 *
 * @param {string} text
 */
function slugOf(text) {
  const slug = text
    .trim()
    .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, '')
    .replace(/\s/g, '-')
    .replace(/--+/, '-');
  return (slug || '_').toLocaleLowerCase();
}

/**
 * The names a guide's front matter says it teaches.
 *
 * @param {import('typedoc').DocumentReflection} doc
 * @returns {string[]}
 */
function taughtBy(doc) {
  const t = doc.frontmatter['teaches'];
  if (t === undefined) return [];
  if (Array.isArray(t)) return t.map(String);
  return String(t).split(/[\s,]+/).filter(Boolean);
}

/**
 * The comment that a reflection's page shows as its description.
 *
 * @param {import('typedoc').Reflection} refl
 * @returns {import('typedoc').Comment}
 */
function pageComment(refl) {
  /** @type {any} */
  const r = refl;
  const holder = r.signatures?.[0] ?? r;
  holder.comment ??= new Comment();
  return holder.comment;
}

/**
 * Adds the links between guides and API pages, and links the error classes of `@throws` tags.
 *
 * @param {import('typedoc').Application} app
 * @param {import('typedoc').ProjectReflection} project
 */
export function linkGuides(app, project) {
  const names = exportedNames(project);
  const docs = /** @type {import('typedoc').DocumentReflection[]} */ (project.getReflectionsByKind(ReflectionKind.Document));

  // API pages -> guides.
  /** @type {Map<import('typedoc').Reflection, import('typedoc').CommentDisplayPart[][]>} */
  const seeAlso = new Map();
  for (const doc of docs) {
    const path = project.files.getReflectionPath(doc);
    if (!path) throw new Error(`mnemo plugin: no file for the guide ${doc.name}`);
    const imports = importsOf(doc.content);
    const sections = sectionsOf(doc.content);
    for (const entry of taughtBy(doc)) {
      // `name`, or `name#anchor` to point at a section whose code spans do not name it.
      const [name = '', anchor] = entry.split('#');
      const candidates = names.get(name) ?? [];
      const from = imports.get(name.split('.')[0] ?? name);
      const chosen = candidates.length === 1 ? candidates : candidates.filter((c) => c.pkg === from);
      if (chosen.length !== 1 || !chosen[0]) {
        app.logger.error(
          `guide "${doc.name}" teaches ${name}, which ` +
            (candidates.length === 0 ? 'no package exports' : `${candidates.length} packages export and the guide imports from none of them`),
        );
        continue;
      }
      const section = anchor === undefined ? sections.find((sec) => sec.slug && sec.names.has(name)) : sections.find((sec) => sec.slug === anchor);
      if (anchor !== undefined && !section) {
        app.logger.error(`guide "${doc.name}" teaches ${entry}, but has no heading with the anchor #${anchor}`);
        continue;
      }
      const { target } = project.files.registerAbsolute(path);
      const label = section ? `${doc.name}, ${section.text}` : doc.name;
      /** @type {import('typedoc').CommentDisplayPart[]} */
      const link = [
        { kind: 'text', text: `[${label.replace(/[[\]]/g, '')}](` },
        { kind: 'relative-link', text: doc.name, target, targetAnchor: section?.slug },
        { kind: 'text', text: ')' },
      ];
      const list = seeAlso.get(chosen[0].refl) ?? [];
      list.push(link);
      seeAlso.set(chosen[0].refl, list);
    }
  }
  for (const [refl, links] of seeAlso) {
    const comment = pageComment(refl);
    /** @type {import('typedoc').CommentDisplayPart[]} */
    const parts = [{ kind: 'text', text: `\n\n${links.length === 1 ? 'See the guide' : 'See the guides'}: ` }];
    links.forEach((l, i) => {
      if (i > 0) parts.push({ kind: 'text', text: i === links.length - 1 ? ' and ' : ', ' });
      parts.push(...l);
    });
    parts.push({ kind: 'text', text: '.' });
    comment.summary.push(...parts);
  }

  // Guides and the home page -> API pages.
  let linked = 0;
  for (const doc of docs) linked += linkCodeSpans(doc.content, names);
  if (project.readme) linked += linkCodeSpans(project.readme, names);
  app.logger.verbose(`mnemo plugin: linked ${linked} code spans of the guides to API pages`);

  // @throws ErrorClass - ... -> a link to the class.
  /** @type {Map<string, import('typedoc').Reflection>} */
  const classes = new Map();
  for (const c of project.getReflectionsByKind(ReflectionKind.Class)) classes.set(c.name, c);
  for (const refl of Object.values(project.reflections)) {
    for (const tag of refl.comment?.blockTags ?? []) {
      if (tag.tag !== '@throws') continue;
      const first = tag.content[0];
      if (first?.kind !== 'text') continue;
      const m = /^\s*([A-Z][\w$]*)(\s+-\s+|\s+|$)/.exec(first.text);
      const cls = m && classes.get(m[1] ?? '');
      if (!m || !cls) continue;
      tag.content.splice(0, 1, { kind: 'inline-tag', tag: '@link', text: m[1] ?? '', target: cls }, { kind: 'text', text: ` ${first.text.slice(m[0].length)}` });
    }
    // Several @throws become one "Throws" section with a list, not one heading each.
    const comment = refl.comment;
    const all = comment?.blockTags.filter((t) => t.tag === '@throws') ?? [];
    if (comment && all.length > 1) {
      /** @type {import('typedoc').CommentDisplayPart[]} */
      const list = [];
      all.forEach((t, i) => {
        list.push({ kind: 'text', text: `${i === 0 ? '' : '\n'}- ` });
        // A blank line would end the list item.
        list.push(...t.content.map((p) => (p.kind === 'text' ? { ...p, text: p.text.replace(/\n\s*\n/g, '\n') } : p)));
      });
      all[0].content = list;
      comment.blockTags = comment.blockTags.filter((t) => t.tag !== '@throws' || t === all[0]);
    }
  }
}
