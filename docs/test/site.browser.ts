/**
 * The browser test of the documentation site (`npm run test:site`, after
 * `npm run docs`). It serves docs/site on 127.0.0.1 and drives Debian's
 * Chromium with playwright-core:
 *
 * - the home page renders with no console errors, failed requests or HTTP errors,
 *   and starts people: "Start here" links to the guides of the path, and the
 *   Performance section to the Performance guide;
 * - the search finds each of {@link SEARCH_CHECKS} where it should rank, with a
 *   summary; it lists more than ten results, and internals after the rest;
 * - the main entries link to the guide that teaches them, and code names in
 *   guides to their API pages; every cell factory's page shows its equations
 *   typeset, a shape table and its guide;
 * - no file name is linked as a web site;
 * - every guide renders all its code blocks, highlighted, and all its math,
 *   typeset by KaTeX with KaTeX's own fonts (no raw TeX left on the page);
 * - every internal link, script, stylesheet and image on every page reachable
 *   from the home page, and every entry of the navigation and search data,
 *   resolves, fragments included: zero broken links (a static crawl of all
 *   pages' HTML, fast enough for hundreds of pages);
 * - a page of every kind (home, each module, each guide, the first page of each
 *   folder) renders in Chromium with no console errors, and the links its
 *   scripts build resolve too;
 * - screenshots of the home page, of one guide and of lstmCell's page go to
 *   docs/screenshots/.
 *
 * MNEMO_SITE_DIR and MNEMO_GUIDES_DIR point it at another build (for testing
 * this test on a scratch project).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './doc-comments.js';

const SITE = resolve(process.env['MNEMO_SITE_DIR'] ?? join(ROOT, 'docs', 'site'));
const GUIDES = resolve(process.env['MNEMO_GUIDES_DIR'] ?? join(ROOT, 'docs', 'guides'));
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';

/**
 * What the search must find: the query typed, and a result whose text matches
 * `text` (an export reads `@mnemo/nn.scan`, a guide its title, a guide's
 * section `Guide title › Heading`) and whose link matches `href` (each
 * module's pages carry its package name, `_mnemo_nn.` for `@mnemo/nn`;
 * guides are under `documents/`). `within`: it must be among the first
 * `within` results. `beforeInternal`: it must come before every result marked
 * internal. Extend freely.
 */
export const SEARCH_CHECKS: readonly { query: string; text: RegExp; href: RegExp; within?: number; beforeInternal?: boolean }[] = [
  { query: 'tensor', text: /(^|\.)tensor$/, href: /_mnemo_core\./, within: 3 },
  { query: 'valueAndGrad', text: /(^|\.)valueAndGrad$/, href: /_mnemo_autodiff\./, within: 1 },
  { query: 'scan', text: /(^|\.)scan$/, href: /_mnemo_nn\./, within: 1 },
  { query: 'lstm', text: /(^|\.)lstmCell$/, href: /_mnemo_nn\.lstmCell\.html$/, within: 1, beforeInternal: true },
  { query: 'LSTM', text: /lstm/i, href: /_mnemo_nn\./ },
  { query: 'gradcheck', text: /(^|\.)gradcheck$/, href: /_mnemo_proofs\./, within: 1 },
  { query: 'LSTM family', text: /^The LSTM family and GRU family$/, href: /documents\//, within: 3 },
  { query: 'mnist', text: /^The flagship MNIST run$/, href: /documents\//, within: 10 },
  { query: 'new cell', text: /^Writing a new cell$/, href: /documents\//, within: 3 },
  { query: 'compiler', text: /^The cell compiler$/, href: /documents\//, within: 3 },
  { query: 'performance', text: /^Performance$/, href: /documents\//, within: 3 },
  { query: 'peepholes', text: /› Peepholes$/, href: /documents\/.*#peepholes$/, within: 5 },
  { query: 'matmul', text: /(^|\.)matmul$/, href: /_mnemo_autodiff\./, within: 1, beforeInternal: true },
];

/**
 * The pages of the cell factories: each shows its equations typeset by KaTeX,
 * a table of shapes (inputs, states, outputs, parameters), and links to the
 * guide that derives it.
 */
const CELL_PAGES = ['lstmCell', 'tutorialLstmCell', 'gruCell', 'mguCell', 'mutCell', 'rnnCell', 'defineCell'];

/**
 * The main entries, each of whose pages must link to the guide that teaches
 * it ("See the guide: ..."), and the guide's page (its title) that it links to.
 */
const TAUGHT: readonly { name: string; module: string; guide: string }[] = [
  { name: 'grad', module: 'autodiff', guide: 'How the tape works' },
  { name: 'valueAndGrad', module: 'autodiff', guide: 'Getting started' },
  { name: 'vjp', module: 'autodiff', guide: 'How the tape works' },
  { name: 'gradcheck', module: 'proofs', guide: 'Gradient checking' },
  { name: 'assertGradcheck', module: 'proofs', guide: 'Gradient checking' },
  { name: 'bpttReport', module: 'proofs', guide: 'Gradient checking' },
  { name: 'proveCell', module: 'proofs', guide: 'Gradient checking' },
  { name: 'lstmCell', module: 'nn', guide: 'The LSTM family and GRU family' },
  { name: 'gruCell', module: 'nn', guide: 'The LSTM family and GRU family' },
  { name: 'defineCell', module: 'nn', guide: 'Writing a new cell' },
  { name: 'scan', module: 'nn', guide: 'The cell compiler' },
  { name: 'explainScan', module: 'nn', guide: 'The cell compiler' },
  { name: 'tensor', module: 'core', guide: 'Getting started' },
  { name: 'setBackend', module: 'core', guide: 'Backends and gpu.js' },
];

/**
 * Code names in guides that must link to their API pages: the guide, the
 * name as its code span reads, and the page it must link to.
 */
const GUIDE_LINKS: readonly { guide: string; code: string; page: RegExp }[] = [
  { guide: 'How the tape works', code: 'vjp', page: /_mnemo_autodiff\.vjp\.html$/ },
  { guide: 'Gradient checking', code: 'bpttReport', page: /_mnemo_proofs\.bpttReport\.html$/ },
  { guide: 'Writing a new cell', code: 'defineCell', page: /_mnemo_nn\.defineCell\.html$/ },
  { guide: 'The cell compiler', code: 'explainScan', page: /_mnemo_nn\.explainScan\.html$/ },
  { guide: 'Tensors and ops', code: 'ShapeError', page: /_mnemo_core\.ShapeError\.html$/ },
];

/** The guide whose screenshot is saved (if it is written), else the first written one. */
const SCREENSHOT_GUIDE = 'lstm-and-gru-families.md';

/** A guide still marked as a placeholder is reported as a todo, not checked. */
const PLACEHOLDER = '<!-- mnemo:placeholder';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/** A static file server for `dir` on 127.0.0.1, on a port the system picks. */
async function serve(dir: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (file !== dir && !file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    // Let the browser cache scripts, styles and fonts across the crawl's pages.
    res.writeHead(200, { 'content-type': type, 'cache-control': file.endsWith('.html') ? 'no-cache' : 'max-age=3600' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** Runs a function's source in the page (the test tsconfig has no DOM types). */
async function inPage<T>(page: Page, fn: string, arg?: unknown): Promise<T> {
  return (await page.evaluate(`(${fn})(${JSON.stringify(arg ?? null)})`)) as T;
}

interface PageProblems {
  readonly errors: string[];
}

/** Records console errors, uncaught exceptions, failed requests and HTTP errors of a page. */
function watch(page: Page): PageProblems {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    // ERR_ABORTED: the page navigated away before the request ended (not a broken link).
    const why = r.failure()?.errorText ?? '?';
    if (why !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} (${why})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { errors };
}

/** Loads a page and waits until typedoc's script has shown it and built the navigation. */
async function open(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(
    `document.body.style.display !== 'none' && document.querySelector('#tsd-nav-container a') !== null`,
    undefined,
    { timeout: 15_000 },
  );
}

/** Front-matter title, else first heading, of a guide. */
function guideTitle(markdown: string, file: string): string {
  const fm = /^---\n([\s\S]*?)\n---/.exec(markdown)?.[1];
  const title = fm ? /^title:\s*(.+)$/m.exec(fm)?.[1] : undefined;
  return (title ?? /^#\s+(.+)$/m.exec(markdown)?.[1] ?? file).trim().replace(/^['"]|['"]$/g, '');
}

/** The markdown with fenced code and code spans removed. */
function proseOf(markdown: string): string {
  return markdown.replace(/^(\s*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?\n\s*\2[`~]*\s*$/gm, '').replace(/`+[^`\n]*`+/g, '');
}

/** Whether the prose holds TeX: a `$$` block or an inline `$x$`. */
const hasMath = (prose: string): boolean => /\$\$[\s\S]+?\$\$/.test(prose) || /(^|[^\\$])\$[^\s$][^$\n]*?[^\s\\$]?\$(?!\d)/.test(prose);

interface Guide {
  readonly file: string;
  readonly title: string;
  readonly markdown: string;
  readonly placeholder: boolean;
}

const guides: Guide[] = existsSync(GUIDES)
  ? readdirSync(GUIDES)
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((file) => {
        const markdown = readFileSync(join(GUIDES, file), 'utf8');
        return { file, title: guideTitle(markdown, file), markdown, placeholder: markdown.includes(PLACEHOLDER) };
      })
  : [];

describe('the documentation site', () => {
  let server: Server | undefined;
  let origin = '';
  let browser: Browser | undefined;
  /** Site-relative URL of each document page, by its title. */
  const documentPages = new Map<string, string>();

  beforeAll(async () => {
    if (!existsSync(join(SITE, 'index.html'))) {
      throw new Error(`${SITE}/index.html is missing: build the site first with \`npm run docs\``);
    }
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (\`apt-get install -y chromium\`)`);
    }
    ({ server, origin } = await serve(SITE));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const docs = join(SITE, 'documents');
    for (const f of existsSync(docs) ? readdirSync(docs) : []) {
      const title = /<title>(.*?) \|/.exec(readFileSync(join(docs, f), 'utf8'))?.[1];
      if (title) documentPages.set(decodeEntities(title), `documents/${f}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
  });

  const newPage = async (): Promise<{ page: Page; problems: PageProblems }> => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    return { page, problems: watch(page) };
  };

  it('the home page renders with no console errors', async () => {
    const { page, problems } = await newPage();
    await open(page, `${origin}/index.html`);
    await page.waitForLoadState('networkidle');
    const info = await inPage<{ title: string; h1: number; text: number; navLinks: number }>(
      page,
      `() => ({ title: document.title, h1: document.querySelectorAll('.col-content h1, .col-content h2').length,
               text: document.querySelector('.col-content')?.textContent.trim().length ?? 0,
               navLinks: document.querySelectorAll('#tsd-nav-container a').length })`,
    );
    expect(info.title).toMatch(/mnemo/);
    expect(info.h1).toBeGreaterThan(0);
    expect(info.text).toBeGreaterThan(100);
    expect(info.navLinks).toBeGreaterThan(0);
    // It starts people: a "Start here" section whose steps link to the guides
    // on the tape, writing a cell and the MNIST run, and a Performance section
    // that is a summary pointing to the Performance guide.
    const start = await inPage<{ steps: string[]; perf: string[] }>(
      page,
      `() => {
        const section = (title) => {
          const h = [...document.querySelectorAll('.col-content h2')].find((e) => e.textContent.trim().startsWith(title));
          const out = [];
          for (let e = h?.nextElementSibling; e && e.tagName !== 'H2'; e = e.nextElementSibling) out.push(e);
          return out.flatMap((e) => [...e.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')));
        };
        return { steps: section('Start here'), perf: section('Performance') };
      }`,
    );
    for (const guide of ['Getting_started', 'How_the_tape_works', 'Writing_a_new_cell', 'Gradient_checking', 'The_flagship_MNIST_run']) {
      expect(start.steps.some((h) => h.includes(`documents/${guide}.html`)), `"Start here" links to ${guide}: ${start.steps.join(', ')}`).toBe(true);
    }
    expect(start.perf.some((h) => h.includes('documents/Performance.html')), 'the Performance section links to the Performance guide').toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'home.png') });
    await page.close();
    expect(problems.errors).toEqual([]);
  });

  for (const check of SEARCH_CHECKS) {
    it(`the search finds ${check.query}`, async () => {
      const { page, problems } = await newPage();
      await open(page, `${origin}/index.html`);
      await page.click('#tsd-search-trigger');
      await page.fill('#tsd-search-input', check.query);
      // Results appear once the search's index (assets/mnemo-search-data.js) has loaded.
      let results: { text: string; href: string; summary: string; internal: boolean }[] = [];
      const at = (): number => results.findIndex((r) => check.text.test(r.text) && check.href.test(r.href));
      for (let tries = 0; tries < 50 && at() < 0; tries++) {
        await page.waitForTimeout(100);
        results = await inPage<{ text: string; href: string; summary: string; internal: boolean }[]>(
          page,
          `() => [...document.querySelectorAll('#tsd-search-results li a')].map((a) => ({
            text: a.querySelector('.text').textContent.trim().replace(/\\s+/g, ' '), href: a.href,
            summary: a.querySelector('.mnemo-search-summary')?.textContent ?? '',
            internal: a.parentElement.classList.contains('mnemo-internal') }))`,
        );
      }
      await page.close();
      const shown = JSON.stringify(results.slice(0, 10).map((r) => `${r.text}${r.internal ? ' (internal)' : ''}`));
      const rank = at();
      expect(rank, `results for "${check.query}": ${shown}`).toBeGreaterThanOrEqual(0);
      if (check.within !== undefined) expect(rank, `rank of the result for "${check.query}": ${shown}`).toBeLessThan(check.within);
      if (check.beforeInternal) {
        const firstInternal = results.findIndex((r) => r.internal);
        if (firstInternal >= 0) expect(rank, `"${check.query}": an internal result comes first: ${shown}`).toBeLessThan(firstInternal);
      }
      // Each result shows the summary of what it finds.
      expect(results[rank]!.summary.length, `"${check.query}": the result has no summary`).toBeGreaterThan(10);
      expect(problems.errors).toEqual([]);
    });
  }

  it('the search lists more than ten results, and internals last, marked', async () => {
    const { page, problems } = await newPage();
    await open(page, `${origin}/index.html`);
    await page.click('#tsd-search-trigger');
    const resultsFor = async (query: string): Promise<{ text: string; internal: boolean }[]> => {
      await page.fill('#tsd-search-input', query);
      let results: { text: string; internal: boolean }[] = [];
      for (let tries = 0; tries < 50 && results.length === 0; tries++) {
        await page.waitForTimeout(100);
        results = await inPage<{ text: string; internal: boolean }[]>(
          page,
          `() => [...document.querySelectorAll('#tsd-search-results li')].map((li) => ({
            text: li.querySelector('.text').textContent.trim(), internal: li.classList.contains('mnemo-internal') }))`,
        );
      }
      return results;
    };
    const cell = await resultsFor('cell');
    expect(cell.length, 'results for "cell"').toBeGreaterThan(10);
    // gemm is a kernel: its results are internal, and come after anything that is not.
    const gemm = await resultsFor('gemm');
    expect(gemm.some((r) => r.internal), `results for "gemm": ${JSON.stringify(gemm)}`).toBe(true);
    const lastPublic = gemm.map((r) => r.internal).lastIndexOf(false);
    const firstInternal = gemm.findIndex((r) => r.internal);
    expect(lastPublic < firstInternal || lastPublic === -1, `results for "gemm": ${JSON.stringify(gemm)}`).toBe(true);
    await page.close();
    expect(problems.errors).toEqual([]);
  });

  it('every main entry links to the guide that teaches it', () => {
    const missing: string[] = [];
    for (const t of TAUGHT) {
      const file = apiPage(t.module, t.name);
      if (!file) {
        missing.push(`${t.name}: no page in @mnemo/${t.module}`);
        continue;
      }
      const html = readFileSync(join(SITE, file), 'utf8');
      const guideUrl = documentPages.get(t.guide);
      const link = new RegExp(`See the guides?: [^]*?<a href="\\.\\./${escapeRegExp(guideUrl ?? '?')}(#[^"]*)?">`);
      if (!guideUrl || !link.test(html)) missing.push(`${t.name} (${file}) does not link to the guide "${t.guide}"`);
    }
    expect(missing).toEqual([]);
  });

  it('code names in guides link to their API pages', () => {
    const missing: string[] = [];
    for (const l of GUIDE_LINKS) {
      const url = documentPages.get(l.guide);
      const html = url ? readFileSync(join(SITE, url), 'utf8') : '';
      const links = [...html.matchAll(/<a href="([^"]*)"[^>]*><code>([^<]*)<\/code><\/a>/g)].filter((m) => m[2] === l.code);
      if (!links.some((m) => l.page.test(m[1]!))) missing.push(`"${l.guide}": \`${l.code}\` does not link to ${l.page}`);
    }
    expect(missing).toEqual([]);
  });

  for (const name of CELL_PAGES) {
    it(`the page of ${name} shows its equations, a shape table and its guide`, async () => {
      const file = apiPage('nn', name);
      expect(file, `no page for ${name}`).toBeDefined();
      const { page, problems } = await newPage();
      await open(page, `${origin}/${file}`);
      await page.evaluate('document.fonts.ready');
      const seen = await inPage<{ katex: number; display: number; errors: number; zeroSize: number; shapeRows: string[]; guide: boolean }>(
        page,
        `() => {
          const content = document.querySelector('.col-content');
          const katex = [...content.querySelectorAll('.katex')];
          const table = [...content.querySelectorAll('table')].find((t) => /shape/i.test(t.querySelector('tr')?.textContent ?? ''));
          return {
            katex: katex.length,
            display: content.querySelectorAll('.katex-display').length,
            errors: content.querySelectorAll('.katex-error').length,
            zeroSize: katex.filter((k) => { const r = k.getBoundingClientRect(); return r.width === 0 || r.height === 0; }).length,
            shapeRows: table ? [...table.querySelectorAll('tr')].slice(1).map((tr) => tr.cells[0]?.textContent.trim() ?? '') : [],
            guide: [...content.querySelectorAll('a[href*="documents/"]')].some((a) => /See the guide/.test(a.parentElement?.textContent ?? '')),
          };
        }`,
      );
      if (name === 'lstmCell') await page.screenshot({ path: join(SCREENSHOTS, 'cell-lstmCell.png'), fullPage: true });
      await page.close();
      expect(seen.display, 'display equations').toBeGreaterThan(0);
      expect(seen.errors, 'KaTeX errors').toBe(0);
      expect(seen.zeroSize, 'formulas with no size').toBe(0);
      for (const row of ['input', 'state', 'output', 'parameter']) {
        expect(seen.shapeRows.some((r) => r.startsWith(row)), `a "${row}" row in the shape table: ${seen.shapeRows.join(', ')}`).toBe(true);
      }
      expect(seen.guide, 'a "See the guide" link').toBe(true);
      expect(problems.errors).toEqual([]);
    });
  }

  it('lists every guide in the site', () => {
    expect(guides.length).toBeGreaterThan(0);
    const missing = guides.filter((g) => !documentPages.has(g.title)).map((g) => `${g.file} ("${g.title}")`);
    expect(missing, `guides without a page; pages: ${[...documentPages.keys()].join(', ')}`).toEqual([]);
  });

  for (const guide of guides) {
    if (guide.placeholder) {
      it.todo(`guide ${guide.file}: still a placeholder, to be written`);
      continue;
    }
    it(`guide ${guide.file} renders its code and math`, async () => {
      const url = documentPages.get(guide.title);
      expect(url, `no page for ${guide.file}`).toBeDefined();
      const { page, problems } = await newPage();
      await open(page, `${origin}/${url}`);
      await page.evaluate('document.fonts.ready');
      const fences = [...guide.markdown.matchAll(/^[ \t]*(`{3,}|~{3,})[ \t]*(\S*)/gm)].length / 2;
      const math = hasMath(proseOf(guide.markdown));
      const seen = await inPage<{
        blocks: number;
        highlighted: number;
        emptyBlocks: number;
        katex: number;
        katexErrors: number;
        zeroSize: number;
        rawTex: string[];
        katexFont: boolean;
        katexFontFamily: string;
      }>(
        page,
        `() => {
          const content = document.querySelector('.col-content');
          const blocks = [...content.querySelectorAll('pre > code')];
          const katex = [...content.querySelectorAll('.katex')];
          const clone = content.cloneNode(true);
          clone.querySelectorAll('pre, code, .katex, .katex-display').forEach((e) => e.remove());
          const text = clone.textContent;
          const raw = [...text.matchAll(/\\$\\$[^$]*\\$\\$|\\$[^\\s$][^$\\n]*\\$/g)].map((m) => m[0]).slice(0, 5);
          const html = katex[0]?.querySelector('.katex-html');
          return {
            blocks: blocks.length,
            highlighted: blocks.filter((b) => b.querySelector('span[class^="hl-"]')).length,
            emptyBlocks: blocks.filter((b) => b.textContent.trim() === '').length,
            katex: katex.length,
            katexErrors: content.querySelectorAll('.katex-error').length,
            zeroSize: katex.filter((k) => { const r = k.getBoundingClientRect(); return r.width === 0 || r.height === 0; }).length,
            rawTex: raw,
            katexFont: document.fonts.check('16px KaTeX_Main') && [...document.fonts].some((f) => f.family.includes('KaTeX') && f.status === 'loaded'),
            katexFontFamily: html ? getComputedStyle(html.querySelector('.mord') ?? html).fontFamily : '',
          };
        }`,
      );
      if (seen.katex > 0 || math) {
        await page.screenshot({ path: join(SCREENSHOTS, `guide-${guide.file.replace(/\.md$/, '')}.png`), fullPage: true });
      }
      await page.close();
      expect(fences, `${guide.file} has no code block: every guide needs runnable code`).toBeGreaterThan(0);
      expect(seen.blocks, 'code blocks on the page vs fences in the markdown').toBe(fences);
      expect(seen.emptyBlocks, 'empty code blocks').toBe(0);
      expect(seen.highlighted, 'code blocks with syntax highlighting').toBeGreaterThan(0);
      expect(seen.katexErrors, 'KaTeX errors').toBe(0);
      expect(seen.rawTex, 'TeX left unrendered in the text').toEqual([]);
      if (math) {
        expect(seen.katex, 'typeset formulas').toBeGreaterThan(0);
        expect(seen.zeroSize, 'formulas with no size').toBe(0);
        expect(seen.katexFontFamily, 'font of the formulas').toMatch(/KaTeX/);
        expect(seen.katexFont, 'KaTeX fonts loaded from the site').toBe(true);
      }
      expect(problems.errors).toEqual([]);
    });
  }

  it('saves a screenshot of a guide', async () => {
    const written = guides.filter((g) => !g.placeholder);
    const guide = written.find((g) => g.file === SCREENSHOT_GUIDE) ?? written[0] ?? guides[0];
    expect(guide).toBeDefined();
    const { page } = await newPage();
    await open(page, `${origin}/${documentPages.get(guide!.title)}`);
    await page.evaluate('document.fonts.ready');
    await page.screenshot({ path: join(SCREENSHOTS, 'guide.png') });
    await page.close();
  });

  it('has no broken internal link on any page (crawled from the home page)', () => {
    const crawl = crawlSite(SITE);
    const unreached = htmlFilesUnder(SITE).filter((f) => f !== 'hierarchy.html' && !crawl.pages.has(f));
    console.info(`crawled ${crawl.pages.size} pages, ${crawl.links} internal links, ${crawl.fragments} with a fragment`);
    expect(crawl.broken, crawl.broken.slice(0, 50).join('\n')).toEqual([]);
    // Every page of the site is reachable by links from the home page (typedoc
    // writes hierarchy.html even when no class page links to it).
    expect(unreached, 'pages no link leads to').toEqual([]);
  });

  it('links no file name as if it were a web site (compare.md is not http://compare.md/)', () => {
    const bad: string[] = [];
    for (const f of htmlFilesUnder(SITE)) {
      const html = readFileSync(join(SITE, f), 'utf8');
      for (const m of html.matchAll(/href="(https?:\/\/[^"/]+\.(?:md|json|svg|ts|js|mjs|txt|csv|jsonl)\/?)"/g)) bad.push(`${f}: ${m[1]}`);
    }
    expect(bad).toEqual([]);
  });

  it('renders pages of every kind in the browser, with working navigation and no console errors', { timeout: 600_000 }, async () => {
    // The static crawl above reads every page's HTML; here a page of each kind
    // (the home page, every module, every guide, the first page of each folder)
    // is rendered, and the links its scripts build (navigation, breadcrumbs) are checked too.
    const files = htmlFilesUnder(SITE);
    const folders = [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]!))];
    const sample = [
      ...new Set([
        'index.html',
        ...files.filter((f) => f.startsWith('modules/') || f.startsWith('documents/')),
        ...folders.map((d) => files.find((f) => f.startsWith(`${d}/`))!),
      ]),
    ];
    const known = new Set(files);
    const ids = pageIds(SITE);
    const broken: string[] = [];
    const { page, problems } = await newPage();
    for (const file of sample) {
      const before = problems.errors.length;
      await open(page, `${origin}/${file}`);
      const links = await inPage<string[]>(page, `() => [...document.querySelectorAll('a[href]')].map((a) => a.href)`);
      for (const err of problems.errors.slice(before)) broken.push(`${file}: ${err}`);
      for (const link of links) {
        if (!link.startsWith(`${origin}/`)) continue;
        const [target = '', fragment] = link.slice(origin.length + 1).split('#');
        const path = decodeURIComponent(target.split('?')[0]!) || 'index.html';
        if (!known.has(path) && !existsSync(join(SITE, path))) broken.push(`${file}: link to missing ${path}`);
        else if (fragment && ids.has(path) && !ids.get(path)!.has(decodeURIComponent(fragment))) {
          broken.push(`${file}: link to ${path}#${fragment}, but that page has no such id`);
        }
      }
      expect(links.length, `${file} has links`).toBeGreaterThan(0);
    }
    await page.close();
    console.info(`rendered ${sample.length} pages`);
    expect(broken, broken.slice(0, 50).join('\n')).toEqual([]);
  });
});

/** What a static crawl of the site found. */
interface Crawl {
  /** Site-relative paths of the pages reached. */
  readonly pages: Set<string>;
  readonly links: number;
  readonly fragments: number;
  readonly broken: string[];
}

/** Decodes the `window.x = "<base64 zlib JSON>"` data files typedoc writes (navigation, search). */
function typedocData(site: string, file: string): unknown {
  const m = /=\s*"([^"]+)"/.exec(readFileSync(join(site, file), 'utf8'));
  if (!m) throw new Error(`${file}: no data found`);
  return JSON.parse(inflateSync(Buffer.from(m[1]!, 'base64')).toString('utf8'));
}

const ATTR = /\s(href|src|id|name)="([^"]*)"/g;

/** The ids (and anchor names) of every HTML file of the site, by site-relative path. */
function pageIds(site: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of htmlFilesUnder(site)) {
    const html = readFileSync(join(site, f), 'utf8');
    const ids = new Set<string>();
    for (const m of html.matchAll(ATTR)) if (m[1] === 'id' || m[1] === 'name') ids.add(decodeEntities(m[2]!));
    out.set(f, ids);
  }
  return out;
}

/**
 * Follows every link, script, stylesheet and image of every page reachable from
 * index.html, and every entry of the navigation and search data that the
 * pages' scripts turn into links; checks that each target file exists and that
 * each fragment names an id on its page.
 */
function crawlSite(site: string): Crawl {
  const ids = pageIds(site);
  const broken: string[] = [];
  const pages = new Set<string>(['index.html']);
  const queue = ['index.html'];
  const fragmentLinks: { from: string; to: string; id: string }[] = [];
  let links = 0;
  const follow = (from: string, href: string): void => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return; // other sites, mailto:, javascript:, data:
    links++;
    const url = new URL(decodeEntities(href), `http://site/${from}`);
    let path = decodeURIComponent(url.pathname.slice(1));
    if (path === '' || path.endsWith('/')) path += 'index.html';
    const fragment = decodeURIComponent(url.hash.slice(1));
    if (!existsSync(join(site, path))) {
      broken.push(`${from}: ${href} -> ${path} does not exist`);
      return;
    }
    if (fragment) fragmentLinks.push({ from, to: path, id: fragment });
    if (path.endsWith('.html') && !pages.has(path)) {
      pages.add(path);
      queue.push(path);
    }
  };
  for (let page = queue.shift(); page !== undefined; page = queue.shift()) {
    const html = readFileSync(join(site, page), 'utf8');
    for (const m of html.matchAll(ATTR)) {
      if ((m[1] === 'href' || m[1] === 'src') && m[2] !== '' && m[2] !== '#') follow(page, m[2]!);
    }
  }
  interface NavNode {
    path?: string;
    children?: NavNode[];
  }
  const walkNav = (nodes: readonly NavNode[]): void => {
    for (const n of nodes) {
      if (n.path) follow('(navigation data)', n.path);
      walkNav(n.children ?? []);
    }
  };
  walkNav(typedocData(site, 'assets/navigation.js') as NavNode[]);
  for (const row of (typedocData(site, 'assets/search.js') as { rows: { url: string }[] }).rows) follow('(search data)', row.url);
  for (const { from, to, id } of fragmentLinks) {
    const onPage = ids.get(to);
    if (onPage && !onPage.has(id)) broken.push(`${from}: link to ${to}#${id}, but that page has no id "${id}"`);
  }
  return { pages, links, fragments: fragmentLinks.length, broken };
}

/** Site-relative paths of every HTML file under `dir`. */
function htmlFilesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) return htmlFilesUnder(dir, rel);
    return e.name.endsWith('.html') ? [rel] : [];
  });
}

function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The site-relative path of the page of an export of a layer (`nn`, `lstmCell`), whatever its kind. */
function apiPage(module: string, name: string): string | undefined {
  for (const folder of ['functions', 'variables', 'classes', 'interfaces', 'types']) {
    const file = `${folder}/_mnemo_${module}.${name}.html`;
    if (existsSync(join(SITE, file))) return file;
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
