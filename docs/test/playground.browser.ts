/**
 * mnemo in the browser, and the site's playground (`npm run test:site`, after
 * `npm run docs`), in Debian's Chromium driven by playwright-core:
 *
 * - the bundle the docs build wrote (docs/site/assets/mnemo) imports nothing
 *   from outside itself: no Node built-in, no bare package name;
 * - in the page, `grad`, a cell, `scan` (compiled: `explainScan(...).compiled`)
 *   and `gradcheck` run, with the same numbers as in Node;
 * - the gemm runs on Web Workers where the page is cross-origin isolated
 *   (served with COOP and COEP) and on one thread where it is not, and
 *   `gemmInfo()` says which; threaded products equal one-thread ones;
 * - the playground: edit the cell, check it (the BPTT tables), train it (the
 *   plot updates as it goes, the loss ends below the baseline, the same loss
 *   with threads as without), and errors in the user's module are shown in
 *   the page; no console errors anywhere. Screenshots go to docs/screenshots/.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { key, normal, tensor, type Tensor } from '@mnemo/core';
import { grad, mul, sum, tanh, valueAndGrad, type Tree } from '@mnemo/autodiff';
import { lstmCell, scan } from '@mnemo/nn';
import { ROOT } from './doc-comments.js';

const SITE = resolve(process.env['MNEMO_SITE_DIR'] ?? join(ROOT, 'docs', 'site'));
const BUNDLE = join(SITE, 'assets', 'mnemo');
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const PLAYGROUND = 'documents/Playground.html';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/**
 * A static server for the site; with `isolated`, every response carries the
 * headers that make a page cross-origin isolated (shared memory, Web Worker threads).
 */
async function serve(dir: string, isolated: boolean): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    let file = normalize(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (file !== dir && !file.startsWith(dir + sep)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end('not found');
    const headers: Record<string, string> = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.writeHead(200, headers).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Console errors, uncaught exceptions, failed requests and HTTP errors of a page. */
function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return errors;
}

/** Runs a function's source in the page (the test tsconfig has no DOM types). */
async function inPage<T>(page: Page, fn: string, arg?: unknown): Promise<T> {
  return (await page.evaluate(`(${fn})(${JSON.stringify(arg ?? null)})`)) as T;
}

/** Every JavaScript file of the bundle, relative to it. */
function bundleFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? bundleFiles(dir, rel) : e.name.endsWith('.js') ? [rel] : [];
  });
}

/** Module specifiers that name a Node built-in in import syntax (static, dynamic, re-export or require), minified or not. */
function nodeImportsOf(js: string): string[] {
  const out: string[] = [];
  for (const m of js.matchAll(/\b(?:from|import|require\s*\()\s*\(?\s*["'](node:[^"']+)["']/g)) out.push(m[1]!);
  return out;
}

/** What the page computes with the bundle: grad, a cell under scan (compiled), gradcheck, and the gemm's report. */
const IN_PAGE_CHECK = `async () => {
  const at = (f) => new URL('../assets/mnemo/' + f, location.href).href;
  const { tensor, key, normal, gemmInfo } = await import(at('core.js'));
  const { grad, valueAndGrad, sum, tanh, mul } = await import(at('autodiff.js'));
  const { lstmCell, scan, explainScan } = await import(at('nn.js'));
  const { gradcheck } = await import(at('proofs.js'));
  const umbrella = await import(at('mnemo.js'));
  const g = grad((x) => sum(tanh(mul(x, x))))(tensor([0.5, -1], 'float64'));
  const cell = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' });
  const params = cell.init(key(0));
  const xs = normal(key(1), [2, 6, 3], { dtype: 'float64' });
  const explained = explainScan(cell, params, xs);
  const [loss, grads] = valueAndGrad((p) => sum(scan(cell, p, xs).outputs))(params);
  const check = gradcheck((x) => sum(mul(tanh(x), x)), [normal(key(2), [4], { dtype: 'float64' })]);
  return {
    grad: Array.from(g.toArray()),
    compiled: explained.compiled,
    loss: loss.item(),
    gradWh: Array.from(grads.wh.toArray()),
    gradcheck: check._tag,
    sameModule: umbrella.grad === grad && umbrella.lstmCell === lstmCell,
    info: gemmInfo(),
  };
}`;

/** Threads in the page: start the helpers, then a threaded product and a threaded compiled scan against one thread. */
const IN_PAGE_THREADS = `async () => {
  const at = (f) => new URL('../assets/mnemo/' + f, location.href).href;
  const { key, normal, startGemmThreads, gemmInfo, wasmGemm, unsafeDataOf } = await import(at('core.js'));
  const { valueAndGrad, sum } = await import(at('autodiff.js'));
  const { lstmCell, scan } = await import(at('nn.js'));
  const started = await startGemmThreads();
  const m = 300, k = 200, n = 260;
  const a = unsafeDataOf(normal(key(3), [m, k])), b = unsafeDataOf(normal(key(4), [k, n]));
  const threaded = new Float32Array(m * n), single = new Float32Array(m * n);
  wasmGemm({ a, b, out: threaded, m, k, n, transA: false, transB: false });
  wasmGemm({ a, b, out: single, m, k, n, transA: false, transB: false }, { threads: 1 });
  const cell = lstmCell({ inputSize: 16, hiddenSize: 64 });
  const params = cell.init(key(5));
  const xs = normal(key(6), [64, 12, 16]);
  const [loss, grads] = valueAndGrad((p) => sum(scan(cell, p, xs).outputs))(params);
  return {
    started, info: gemmInfo(), cores: navigator.hardwareConcurrency, isolated: crossOriginIsolated,
    sameProduct: threaded.every((v, i) => Object.is(v, single[i])),
    scanLoss: loss.item(), scanGradSum: Array.from(grads.wx.toArray()).reduce((s, v) => s + v, 0),
  };
}`;

describe('mnemo in the browser and the playground', () => {
  let plain: { server: Server; origin: string } | undefined;
  let isolated: { server: Server; origin: string } | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(join(SITE, PLAYGROUND))) throw new Error(`${SITE}/${PLAYGROUND} is missing: build the site first with \`npm run docs\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (\`apt-get install -y chromium\`)`);
    plain = await serve(SITE, false);
    isolated = await serve(SITE, true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of [plain, isolated]) await new Promise((ok) => (s ? s.server.close(ok) : ok(undefined)));
  });

  /** A new page on the playground, ready (the bundle loaded and the buttons on). */
  const openPlayground = async (origin: string): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watch(page);
    await page.goto(`${origin}/${PLAYGROUND}`, { waitUntil: 'load' });
    await page.waitForFunction(`document.body.dataset.playground === 'ready'`, undefined, { timeout: 30_000 });
    return { page, errors };
  };

  /** Clicks a playground button and waits until its work is over (the buttons come back on). */
  const press = async (page: Page, id: string): Promise<void> => {
    await page.click(`#${id}`);
    await page.waitForFunction(`!document.getElementById('${id}').disabled`, undefined, { timeout: 120_000 });
  };

  const text = async (page: Page, selector: string): Promise<string> => (await page.textContent(selector)) ?? '';

  /** A screenshot of the page's content column, without typedoc's sticky toolbar over it. */
  const shoot = async (page: Page, file: string): Promise<void> => {
    await page.addStyleTag({ content: '.tsd-page-toolbar { display: none !important; }' });
    await page.locator('.col-content').screenshot({ path: join(SCREENSHOTS, file) });
  };

  it('the bundle imports no Node built-in and no package from outside itself', () => {
    // esbuild's own account (docs/plugins/mnemo-browser.mjs wrote it from its metafile) ...
    const summary = JSON.parse(readFileSync(join(BUNDLE, 'bundle.json'), 'utf8')) as {
      files: Record<string, number>;
      bytes: number;
      imports: Record<string, string[]>;
      external: string[];
    };
    expect(summary.external).toEqual([]);
    const files = bundleFiles(BUNDLE);
    expect(files.sort()).toEqual(Object.keys(summary.files).sort());
    for (const entry of ['core.js', 'autodiff.js', 'nn.js', 'proofs.js', 'mnemo.js', 'playground.js']) {
      expect(files).toContain(entry);
      expect(summary.imports[entry]!.length, `${entry} imports the shared chunks`).toBeGreaterThan(0);
    }
    for (const [f, deps] of Object.entries(summary.imports)) for (const d of deps) expect(files, `${f} imports ${d}`).toContain(d);
    // ... and the files themselves: no import of a Node built-in anywhere.
    const node = files.flatMap((f) => nodeImportsOf(readFileSync(join(BUNDLE, f), 'utf8')).map((spec) => `${f} imports ${spec}`));
    expect(node).toEqual([]);
    expect(nodeImportsOf(`import{x as y}from"node:fs";await import('node:os');require("node:path")`), 'the check has teeth').toEqual(['node:fs', 'node:os', 'node:path']);
    console.info(`bundle: ${files.length} files, ${(summary.bytes / 1024).toFixed(0)} KiB (${relative(ROOT, BUNDLE)})`);
  });

  it('runs grad, a cell, a compiled scan and gradcheck in the page, with the numbers Node gets', async () => {
    const { page, errors } = await openPlayground(plain!.origin);
    const got = await inPage<{
      grad: number[];
      compiled: boolean;
      loss: number;
      gradWh: number[];
      gradcheck: string;
      sameModule: boolean;
      info: { kernel: string; helpers: string; threads: number; notes: string[] };
    }>(page, IN_PAGE_CHECK);
    await page.close();
    // The same computations in Node.
    const g = grad((x: Tensor) => sum(tanh(mul(x, x))))(tensor([0.5, -1], 'float64'));
    const cell = lstmCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' });
    const params = cell.init(key(0));
    const xs = normal(key(1), [2, 6, 3], { dtype: 'float64' });
    const [loss, grads] = valueAndGrad((p: Tree) => sum(scan(cell, p as typeof params, xs).outputs))(params);
    for (const [i, v] of got.grad.entries()) expect(Math.abs(v - g.toArray()[i]!)).toBeLessThan(1e-14);
    expect(got.compiled, 'explainScan(...).compiled in the page').toBe(true);
    expect(Math.abs(got.loss - loss.item())).toBeLessThan(1e-12);
    const wh = (grads as typeof params).wh.toArray();
    expect(Math.max(...got.gradWh.map((v, i) => Math.abs(v - wh[i]!)))).toBeLessThan(1e-12);
    expect(got.gradcheck).toBe('Right');
    expect(got.sameModule, 'mnemo.js and the layers share one copy of the code').toBe(true);
    expect(got.info.kernel).toBe('wasm-simd');
    // Not cross-origin isolated: one thread, and gemmInfo says why.
    expect(got.info.helpers).toBe('none');
    expect(got.info.threads).toBe(1);
    expect(got.info.notes.join('\n')).toMatch(/not cross-origin isolated/);
    expect(errors).toEqual([]);
  });

  it('runs the gemm on Web Workers where the page is cross-origin isolated, with the numbers of one thread', async () => {
    const { page, errors } = await openPlayground(isolated!.origin);
    const got = await inPage<{
      started: { helpers: string; threads: number; maxThreads: number };
      info: { helpers: string; calls: { threaded: number; helperChunks: number } };
      cores: number;
      isolated: boolean;
      sameProduct: boolean;
      scanLoss: number;
      scanGradSum: number;
    }>(page, IN_PAGE_THREADS);
    const env = await text(page, '#pg-env');
    await page.close();
    expect(got.isolated).toBe(true);
    const expectThreads = Math.min(got.cores, 4);
    if (expectThreads > 1) {
      expect(got.started.helpers).toBe('web-workers');
      expect(got.started.maxThreads).toBe(expectThreads);
      expect(got.started.threads, 'helpers ready after startGemmThreads').toBe(expectThreads);
      expect(got.info.calls.threaded, 'products split across threads').toBeGreaterThan(0);
      expect(env).toMatch(/Web Workers/);
    } else {
      expect(got.started.helpers).toBe('none');
    }
    expect(got.sameProduct, 'a threaded product equals the one-thread product bit for bit').toBe(true);
    // The compiled scan with its sweeps on the helpers gives Node's numbers.
    const cell = lstmCell({ inputSize: 16, hiddenSize: 64 });
    const params = cell.init(key(5));
    const xs = normal(key(6), [64, 12, 16]);
    const [loss, grads] = valueAndGrad((p: Tree) => sum(scan(cell, p as typeof params, xs).outputs))(params);
    expect(Math.abs(got.scanLoss - loss.item()) / Math.abs(loss.item())).toBeLessThan(1e-5);
    const gradSum = Array.from((grads as typeof params).wx.toArray()).reduce((s, v) => s + v, 0);
    expect(Math.abs(got.scanGradSum - gradSum)).toBeLessThan(1e-3 * (1 + Math.abs(gradSum)));
    console.info(`threads in the page: ${got.started.threads} (${got.started.helpers}); helper chunks ${got.info.calls.helperChunks}`);
    expect(errors).toEqual([]);
  });

  let plainLoss = '';

  it('the playground: edit the cell, see the BPTT tables, train it with a live plot, no console errors', async () => {
    const { page, errors } = await openPlayground(plain!.origin);
    const original = await page.inputValue('#pg-code');
    expect(original).toMatch(/defineCell\('janet'/);
    // Edit: another family name and beta, which the page must use.
    const edited = original.replace("defineCell('janet'", "defineCell('janet-b2'").replace('o.beta ?? 1', 'o.beta ?? 2');
    expect(edited).not.toBe(original);
    await page.fill('#pg-code', edited);
    await press(page, 'pg-check');
    expect(await text(page, '#pg-error')).toBe('');
    expect(await text(page, '#pg-status')).toMatch(/janet-b2: gradients checked/);
    expect(await text(page, '#pg-verdict')).toMatch(/bpttReport: PASS/);
    expect(await text(page, '#pg-proof')).toMatch(/proveCell: PASS/);
    const tables = await inPage<{ head: string[]; steps: string[][]; params: string[][] }>(
      page,
      `() => ({
        head: [...document.querySelectorAll('#pg-steps th')].map((c) => c.textContent),
        steps: [...document.querySelectorAll('#pg-steps tbody tr')].map((r) => [...r.cells].map((c) => c.textContent)),
        params: [...document.querySelectorAll('#pg-params tbody tr')].map((r) => [...r.cells].map((c) => c.textContent)),
      })`,
    );
    expect(tables.head).toEqual(['step', '|dL/dc|', 'c rel. error', 'gate f rel. error', 'gate g rel. error', 'ok']);
    expect(tables.steps.map((r) => r[0])).toEqual(['1', '2', '3', '4']);
    expect(tables.steps.every((r) => r[r.length - 1] === 'yes')).toBe(true);
    expect(tables.params.map((r) => `${r[0]} ${r[1]}`)).toEqual(['b [6]', 'wh [3, 6]', 'wx [2, 6]']);
    await shoot(page, 'playground-check.png');

    // Train: record every update of the plot while it runs.
    await page.evaluate(`(() => {
      const plot = document.getElementById('pg-plot');
      window.__pgSeen = [];
      new MutationObserver(() => window.__pgSeen.push(Number(plot.dataset.points))).observe(plot, { attributes: true, attributeFilter: ['data-points'] });
    })()`);
    await press(page, 'pg-train');
    expect(await text(page, '#pg-error')).toBe('');
    const seen = await inPage<number[]>(page, '() => window.__pgSeen');
    const plot = await inPage<{ points: string; done: string; final: string; polyline: number }>(
      page,
      `() => { const p = document.getElementById('pg-plot'); return { points: p.dataset.points, done: p.dataset.done, final: p.dataset.final, polyline: p.querySelector('polyline').getAttribute('points').trim().split(/\\s+/).length }; }`,
    );
    expect(plot.done).toBe('true');
    expect(plot.points).toBe('300');
    expect(plot.polyline).toBe(300);
    const distinct = [...new Set(seen)].filter((n) => n > 0);
    expect(distinct.length, `plot updates seen while training: ${seen.join(', ')}`).toBeGreaterThan(3);
    expect(distinct).toEqual([...distinct].sort((x, y) => x - y));
    expect(Number(plot.final), 'the mean loss of the last 20 steps is below predicting the mean (1/6)').toBeLessThan(1 / 6);
    expect(await text(page, '#pg-status')).toMatch(/janet-b2 trained: 300 steps/);
    expect(await text(page, '#pg-env')).toMatch(/scan: compiled to WebAssembly/);
    plainLoss = plot.final;
    await shoot(page, 'playground.png');
    await page.close();
    expect(errors).toEqual([]);
  });

  it('the playground shows errors in the user’s module in the page', async () => {
    const { page, errors } = await openPlayground(plain!.origin);
    const original = await page.inputValue('#pg-code');
    const tryModule = async (source: string): Promise<string> => {
      await page.fill('#pg-code', source);
      await press(page, 'pg-check');
      expect(await page.isVisible('#pg-error')).toBe(true);
      return text(page, '#pg-error');
    };
    // Not JavaScript.
    expect(await tryModule(`${original}\nexport const broken = ;\n`)).toMatch(/the module does not load/);
    // No cell.
    expect(await tryModule(`export const answer = 42;\n`)).toMatch(/CellCheckError: .*exports no cell/);
    // A parameter of the wrong shape: the cell's checks name it.
    expect(await tryModule(original.replace('wh: { shape: [H, 2 * H]', 'wh: { shape: [H, H]'))).toMatch(/janet/);
    // A wrong derivative (tanh without its 1 - y²): the tables say NO and proveCell's failure is shown.
    const wrong = original
      .replace("import { add, matmul, mul, sigmoid, split, sub, tanh } from '@mnemo/autodiff';", "import { add, customVjp, matmul, mul, sigmoid, split, sub, tanh } from '@mnemo/autodiff';")
      .replace(
        'export const janetCell',
        'const badTanh = customVjp((x) => tanh(x), { fwd: (x) => { const y = tanh(x); return [y, y]; }, bwd: (y, g) => [g] });\n\nexport const janetCell',
      )
      .replace("gate('g', tanh, zg)", "gate('g', badTanh, zg)");
    expect(wrong).toMatch(/gate\('g', badTanh, zg\)/);
    const message = await tryModule(wrong);
    expect(message).toMatch(/Checking the cell failed/);
    expect(await text(page, '#pg-verdict')).toMatch(/bpttReport: FAIL/);
    const noRows = await inPage<number>(page, `() => [...document.querySelectorAll('#pg-steps tbody tr, #pg-params tbody tr')].filter((r) => r.cells[r.cells.length - 1].textContent === 'NO').length`);
    expect(noRows).toBeGreaterThan(0);
    await shoot(page, 'playground-error.png');
    // Reset brings the guide's cell back, and it checks again.
    await page.click('#pg-reset');
    expect(await page.inputValue('#pg-code')).toBe(original);
    await press(page, 'pg-check');
    expect(await page.isVisible('#pg-error')).toBe(false);
    expect(await text(page, '#pg-verdict')).toMatch(/PASS/);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('the playground trains to the same loss with Web Worker threads as on one thread', async () => {
    expect(plainLoss, 'the one-thread run above').not.toBe('');
    const { page, errors } = await openPlayground(isolated!.origin);
    const original = await page.inputValue('#pg-code');
    await page.fill('#pg-code', original.replace("defineCell('janet'", "defineCell('janet-b2'").replace('o.beta ?? 1', 'o.beta ?? 2'));
    await press(page, 'pg-train');
    expect(await text(page, '#pg-error')).toBe('');
    const final = await inPage<string>(page, `() => document.getElementById('pg-plot').dataset.final`);
    await page.close();
    expect(final).toBe(plainLoss);
    expect(errors).toEqual([]);
  });
});
