// @ts-check
/**
 * The site's search: typedoc's own search box, fed by an index of ours.
 *
 * typedoc's search ranks by a full-text score, lists ten results with no
 * summary, and finds a guide only by words of its body. This module writes
 * `assets/mnemo-search-data.js` (every page and member with its kind, its
 * category, its summary, and whether it is internal; every guide by its
 * title and by each of its headings) and `assets/mnemo-search.js`, the script
 * that answers the search box from it (see `search-ui.js` beside this file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Comment, ReflectionKind } from 'typedoc';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Categories whose exports are internals (kernels, the compiler's program
 * format, primitives): listed in the site under that category, and ranked
 * last by the search, marked "internal".
 */
export const INTERNAL_CATEGORIES = ['Internals'];

/** Kinds the search lists, with the weight of each in the ranking (members count less than exports). */
const KIND_WEIGHTS = new Map([
  [ReflectionKind.Function, 1],
  [ReflectionKind.Class, 1],
  [ReflectionKind.Module, 1],
  [ReflectionKind.Document, 1],
  [ReflectionKind.Namespace, 0.9],
  [ReflectionKind.Interface, 0.8],
  [ReflectionKind.TypeAlias, 0.8],
  [ReflectionKind.Variable, 0.8],
  [ReflectionKind.Enum, 0.8],
  [ReflectionKind.Method, 0.5],
  [ReflectionKind.Property, 0.45],
  [ReflectionKind.Accessor, 0.45],
  [ReflectionKind.Constructor, 0.4],
  [ReflectionKind.EnumMember, 0.4],
]);

/** The heading kind of the index: a section of a guide (not a typedoc kind). */
const SECTION = 0;

/**
 * The plain text of comment parts, paragraphs separated by blank lines: code
 * without backticks, links by their text, TeX without dollars, markdown
 * emphasis and links reduced to words, display math and code blocks left out.
 *
 * @param {readonly import('typedoc').CommentDisplayPart[]} parts
 * @returns {string}
 */
export function plainText(parts) {
  const text = parts
    .map((p) => {
      if (p.kind === 'code') return p.text.startsWith('```') ? '' : p.text.replace(/^`+|`+$/g, '');
      if (p.kind === 'inline-tag') return p.text.replace(/^.*!/, '');
      if (p.kind === 'relative-link') return '';
      return p.text;
    })
    .join('');
  return text
    .replace(/\$\$[\s\S]*?\$\$/g, ' ')
    .replace(/\$([^$\n]+)\$/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)?/g, '$1')
    .replace(/[*_]{1,2}([^*_\n]+)[*_]{1,2}/g, '$1')
    .split(/\n\s*\n/)
    .map((para) => para.replace(/\s+/g, ' ').trim())
    .filter((para) => para.length > 0)
    .join('\n\n');
}

/** The first paragraph of a text, cut at a word near `max` characters. */
function firstParagraph(text, max = 200) {
  const para = (text.split(/\n\s*\n/)[0] ?? '').replace(/\s+/g, ' ').trim();
  if (para.length <= max) return para;
  const cut = para.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max - 20))}…`;
}

/**
 * The summary of a reflection's comment (or of its first signature's).
 *
 * @param {import('typedoc').Reflection} refl
 */
function summaryOf(refl) {
  /** @type {any} */
  const r = refl;
  const comment = r.comment ?? r.signatures?.[0]?.comment ?? r.getSignature?.comment;
  if (!comment) return '';
  return firstParagraph(plainText(comment.summary));
}

/**
 * The first paragraph of a guide that is not a heading.
 *
 * @param {readonly import('typedoc').CommentDisplayPart[]} content
 */
function documentSummary(content) {
  const paras = plainText(content.filter((p) => !(p.kind === 'code' && p.text.startsWith('```')))).split('\n\n');
  return firstParagraph(paras.find((para) => !para.startsWith('#')) ?? '');
}

/** @param {import('typedoc').Reflection} refl */
function categoryOf(refl) {
  /** @type {any} */
  const r = refl;
  const comment = r.comment ?? r.signatures?.[0]?.comment;
  const tag = comment?.blockTags?.find((/** @type {any} */ t) => t.tag === '@category');
  if (tag) return Comment.combineDisplayParts(tag.content).trim();
  // Categories are stripped from comments once typedoc has grouped the reflections: find the group holding it.
  for (const cat of r.parent?.categories ?? []) if (cat.children.includes(refl)) return cat.title;
  return '';
}

/**
 * @typedef {object} SearchEntry
 * @property {string} n the name (a guide's title, a heading's text)
 * @property {string} [p] the parent: the package, class or namespace; the guide of a heading
 * @property {number} k the typedoc kind (0 for a guide's section)
 * @property {string} u the site-relative URL
 * @property {string} [s] the summary (first paragraph, plain text)
 * @property {string} [c] the category
 * @property {1} [i] internal
 * @property {number} w the weight of its kind
 */

/**
 * The headings (with their ids and the paragraph after each) of a rendered guide page.
 *
 * @param {string} html
 * @returns {{ id: string; text: string; level: number; summary: string }[]}
 */
function headingsOf(html) {
  const content = html.slice(html.indexOf('<div class="tsd-panel tsd-typography">'));
  /** @type {{ id: string; text: string; level: number; summary: string }[]} */
  const out = [];
  const re = /<h([23]) id="([^"]+)"[^>]*>([\s\S]*?)<\/h\1>([\s\S]*?)(?=<h[1-6][ >]|$)/g;
  for (const m of content.matchAll(re)) {
    const text = stripTags(m[3] ?? '');
    const para = /<p>([\s\S]*?)<\/p>/.exec(m[4] ?? '')?.[1];
    out.push({ id: decodeEntities(m[2] ?? ''), text, level: Number(m[1]), summary: firstParagraph(para ? stripTags(para) : '') });
  }
  return out;
}

/** @param {string} html */
function stripTags(html) {
  // KaTeX writes each formula twice (MathML and HTML): keep the TeX annotation only.
  const noKatex = html.replace(/<span class="katex">[\s\S]*?<annotation encoding="application\/x-tex">([\s\S]*?)<\/annotation>[\s\S]*?<\/span><\/span><\/span>(?:<\/span>)*/g, '$1');
  return decodeEntities(noKatex.replace(/<a [^>]*class="tsd-anchor-icon"[\s\S]*?<\/a>/g, '').replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim();
}

/** @param {string} s */
function decodeEntities(s) {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * Builds the search index of a rendered site.
 *
 * @param {import('typedoc').Application} app
 * @param {import('typedoc').RendererEvent} event
 * @returns {SearchEntry[]}
 */
export function buildSearchIndex(app, event) {
  const router = app.renderer.router;
  if (!router) throw new Error('mnemo search: the renderer has no router');
  /** @type {SearchEntry[]} */
  const entries = [];
  for (const refl of Object.values(event.project.reflections)) {
    const weight = KIND_WEIGHTS.get(refl.kind);
    if (weight === undefined || !router.hasUrl(refl)) continue;
    /** @type {any} */
    const r = refl;
    const parent = r.parent && !r.parent.isProject() ? r.parent.getFullName() : undefined;
    const category = categoryOf(refl) || (r.parent && categoryOf(r.parent)) || '';
    const internal = INTERNAL_CATEGORIES.includes(category) || (r.parent && INTERNAL_CATEGORIES.includes(categoryOf(r.parent)));
    /** @type {SearchEntry} */
    const e = { n: refl.name, k: refl.kind, u: router.getFullUrl(refl), w: weight };
    if (parent) e.p = parent;
    const s = refl.kind === ReflectionKind.Document ? documentSummary(r.content) : summaryOf(refl);
    if (s) e.s = s;
    if (category) e.c = category;
    if (internal) e.i = 1;
    entries.push(e);
    if (refl.kind === ReflectionKind.Document) {
      const html = readFileSync(join(event.outputDirectory, e.u), 'utf8');
      for (const h of headingsOf(html)) {
        /** @type {SearchEntry} */
        const section = { n: h.text, p: refl.name, k: SECTION, u: `${e.u}#${h.id}`, w: h.level === 2 ? 0.9 : 0.8 };
        if (h.summary) section.s = h.summary;
        entries.push(section);
      }
    }
  }
  return entries;
}

/**
 * Writes the index and the search script into the site.
 *
 * @param {import('typedoc').Application} app
 * @param {import('typedoc').RendererEvent} event
 */
export function writeSearch(app, event) {
  const entries = buildSearchIndex(app, event);
  const assets = join(event.outputDirectory, 'assets');
  writeFileSync(join(assets, 'mnemo-search-data.js'), `window.mnemoSearchData = ${JSON.stringify(entries)};\n`);
  writeFileSync(join(assets, 'mnemo-search.js'), readFileSync(join(here, 'search-ui.js'), 'utf8'));
}
