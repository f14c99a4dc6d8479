/**
 * The playground of the documentation site (docs/playground/playground.md):
 * an editable cell module that the page imports, checks with `cellFromModule`,
 * proves with `bpttReport` and `proveCell`, and trains on the adding problem
 * with a live plot of the loss. Bundled by the docs build (esbuild, through
 * docs/plugins/mnemo-browser.mjs) into the site's assets/mnemo/, beside the
 * layers' bundles that the user's module imports through the page's import map.
 *
 * Every error (a syntax error in the module, a cell that `checkCell` rejects,
 * a failed proof, a step that throws) is shown in the page.
 */
import { gemmInfo, key, split, startGemmThreads, uniform, unsafeFromData, type Key, type Tensor } from '@mnemo/core';
import { index, valueAndGrad, type Tree } from '@mnemo/autodiff';
import { adam, cellFromModule, dense, explainScan, mse, scan, type Cell, type CellFamilyDefinition, type DenseParams } from '@mnemo/nn';
import { bpttReport, proveCell, type Agreement, type BpttReport } from '@mnemo/proofs';

/** The playground's first cell: docs/playground/janet.js, put in by the build. */
declare const JANET_SOURCE: string;

/** The adding problem: sequence length, batch, steps and the size of the trained cell. */
export const TRAINING = { steps: 300, batch: 32, length: 10, hidden: 16, lr: 0.01, seed: 0 } as const;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the playground page has no #${id}`);
  return el as T;
};

const code = $<HTMLTextAreaElement>('pg-code');
const checkButton = $<HTMLButtonElement>('pg-check');
const trainButton = $<HTMLButtonElement>('pg-train');
const resetButton = $<HTMLButtonElement>('pg-reset');
const status = $('pg-status');
const errorBox = $('pg-error');
const report = $('pg-report');
const plot = $('pg-plot');
const env = $('pg-env');

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

function say(text: string): void {
  status.textContent = text;
}

function showError(what: string, e: unknown): void {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  errorBox.textContent = `${what}\n\n${message}`;
  errorBox.hidden = false;
  say(`${what}: see the message below.`);
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/** Runs a button's work with the buttons off, showing any error; the page stays usable. */
async function guarded(what: string, work: () => Promise<void>): Promise<void> {
  for (const b of [checkButton, trainButton, resetButton]) b.disabled = true;
  clearError();
  try {
    await work();
  } catch (e) {
    showError(what, e);
  } finally {
    for (const b of [checkButton, trainButton, resetButton]) b.disabled = false;
  }
}

// ---------------------------------------------------------------------------
// The user's module
// ---------------------------------------------------------------------------

/** Imports the editor's text as an ES module (its imports resolve through the page's import map). */
async function importModule(source: string): Promise<Record<string, unknown>> {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    return (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The cell family the editor's module exports, checked as the command line checks a cell module. */
async function loadFamily(): Promise<CellFamilyDefinition> {
  let ns: Record<string, unknown>;
  try {
    ns = await importModule(code.value);
  } catch (e) {
    throw new Error(`the module does not load: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return cellFromModule(ns, { source: 'the playground' });
}

const make = (def: CellFamilyDefinition, inputSize: number, hiddenSize: number, dtype: 'float32' | 'float64'): Cell =>
  def.make({ inputSize, hiddenSize, dtype, variants: [] });

/** Lets the page paint before the next piece of work. */
const frame = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

// ---------------------------------------------------------------------------
// Checking gradients
// ---------------------------------------------------------------------------

const sci = (v: number): string => (v === 0 ? '0' : v.toExponential(1));

function cellOf(tag: string, text: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

function table(caption: string, head: readonly string[], rows: readonly (readonly string[])[]): HTMLTableElement {
  const t = document.createElement('table');
  t.className = 'pg-table';
  t.append(cellOf('caption', caption));
  const thead = t.createTHead().insertRow();
  for (const h of head) thead.append(cellOf('th', h));
  const body = t.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    r.forEach((v, i) => tr.append(cellOf('td', v, i === r.length - 1 ? (v === 'yes' ? 'pg-ok' : 'pg-fail') : undefined)));
  }
  return t;
}

const okOf = (blocks: readonly (Agreement | undefined)[]): string => (blocks.every((b) => b === undefined || b.ok) ? 'yes' : 'NO');

/** The BPTT report as two tables: per time step (state and gates), and per parameter. */
function renderReport(r: BpttReport): void {
  const states = r.stateLeaves;
  const gates = r.cell.gates;
  const steps = table(
    `Gradients through time: ${r.cell.name}, input ${r.cell.inputSize}, hidden ${r.cell.hiddenSize}, batch ${r.batch}, ${r.steps} steps, float64, against central differences`,
    ['step', ...states.map((s) => `|dL/d${s}|`), ...states.map((s) => `${s} rel. error`), ...gates.map((g) => `gate ${g} rel. error`), 'ok'],
    r.time.map((row) => [
      String(row.t),
      ...states.map((s) => sci(row.state[s]?.analyticNorm ?? 0)),
      ...states.map((s) => sci(row.state[s]?.maxRelError ?? 0)),
      ...gates.map((g) => sci(row.gates[g]?.maxRelError ?? 0)),
      okOf([...states.map((s) => row.state[s]), ...gates.map((g) => row.gates[g])]),
    ]),
  );
  steps.id = 'pg-steps';
  const params = table(
    'Parameters',
    ['parameter', 'shape', '|grad|', 'max abs. error', 'max rel. error', 'ok'],
    r.params.map((p) => [p.path, `[${p.shape.join(', ')}]`, sci(p.analyticNorm), sci(p.maxAbsError), sci(p.maxRelError), p.ok ? 'yes' : 'NO']),
  );
  params.id = 'pg-params';
  const verdict = cellOf('p', r.ok ? `bpttReport: PASS (${r.total.checked} comparisons)` : `bpttReport: FAIL\n${r.problems.join('\n')}`, r.ok ? 'pg-ok' : 'pg-fail');
  verdict.id = 'pg-verdict';
  report.replaceChildren(verdict, steps, params);
}

async function check(): Promise<void> {
  say('Loading the module…');
  const def = await loadFamily();
  say(`Checking ${def.family}'s gradients through time…`);
  await frame();
  const r = bpttReport(make(def, 2, 3, 'float64'), { steps: 4, batch: 2 });
  renderReport(r);
  await frame();
  say(`bpttReport done; proveCell draws random sizes, batches and lengths…`);
  await frame();
  const runs = 5;
  proveCell((sizes) => make(def, sizes.inputSize, sizes.hiddenSize, 'float64'), { numRuns: runs, maxSteps: 4 });
  const proof = cellOf('p', `proveCell: PASS (${runs} random configurations: sizes, batches, lengths, masks)`, 'pg-ok');
  proof.id = 'pg-proof';
  report.prepend(proof);
  say(`${def.family}: gradients checked${r.ok ? '' : ', with failures (see the tables)'}.`);
}

// ---------------------------------------------------------------------------
// Training on the adding problem
// ---------------------------------------------------------------------------

/**
 * A batch of the adding problem: at each step a value in [0, 1) and a marker;
 * one marked step in each half of the sequence; the target is the sum of the
 * two marked values. Predicting the mean (1) scores 1/6 (the variance).
 */
function addingBatch(k: Key, batch: number, length: number): { x: Tensor; y: Tensor } {
  const [kv, km] = split(k, 2) as [Key, Key];
  const values = uniform(kv, [batch, length], { dtype: 'float32' }).toArray();
  const marks = uniform(km, [batch, 2], { dtype: 'float32' }).toArray();
  const half = Math.floor(length / 2);
  const x = new Float32Array(batch * length * 2);
  const y = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    const first = Math.floor(marks[2 * b]! * half);
    const second = half + Math.floor(marks[2 * b + 1]! * (length - half));
    for (let t = 0; t < length; t++) {
      x[(b * length + t) * 2] = values[b * length + t]!;
      if (t === first || t === second) {
        x[(b * length + t) * 2 + 1] = 1;
        y[b] = y[b]! + values[b * length + t]!;
      }
    }
  }
  return { x: unsafeFromData(x, [batch, length, 2]), y: unsafeFromData(y, [batch, 1]) };
}

/** The loss curve as an SVG polyline on a log scale, with the baseline of predicting the mean. */
function drawPlot(losses: readonly number[], total: number): void {
  const w = 640;
  const h = 240;
  const pad = 40;
  const finite = losses.filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(Math.min(1e-2, ...finite)));
  const hi = Math.ceil(Math.log10(Math.max(1, ...finite)));
  const x = (i: number): number => pad + ((w - 2 * pad) * i) / Math.max(1, total - 1);
  const y = (v: number): number => h - pad - ((h - 2 * pad) * (Math.log10(Math.max(v, 10 ** lo)) - lo)) / (hi - lo);
  const grid: string[] = [];
  for (let d = lo; d <= hi; d++) {
    grid.push(`<line x1="${pad}" y1="${y(10 ** d)}" x2="${w - pad}" y2="${y(10 ** d)}" class="pg-grid"/>`);
    grid.push(`<text x="${pad - 4}" y="${y(10 ** d) + 4}" text-anchor="end" class="pg-label">1e${d}</text>`);
  }
  const points = losses.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const baseline = y(1 / 6);
  const last = losses[losses.length - 1];
  plot.innerHTML = `<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="training loss">
    ${grid.join('')}
    <line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" class="pg-axis"/>
    <line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" class="pg-axis"/>
    <line x1="${pad}" y1="${baseline}" x2="${w - pad}" y2="${baseline}" class="pg-baseline"/>
    <text x="${w - pad}" y="${baseline - 4}" text-anchor="end" class="pg-label">predicting the mean: 1/6</text>
    <text x="${pad}" y="${pad - 12}" class="pg-label">mean squared error per step (log scale)</text>
    <text x="${w - pad}" y="${h - 12}" text-anchor="end" class="pg-label">step ${losses.length} of ${total}${last === undefined ? '' : `: loss ${last.toFixed(4)}`}</text>
    <polyline points="${points}" class="pg-loss"/>
  </svg>`;
  plot.dataset['points'] = String(losses.length);
}

async function train(): Promise<void> {
  say('Loading the module…');
  const def = await loadFamily();
  const { steps, batch, length, hidden, lr, seed } = TRAINING;
  const cell = make(def, 2, hidden, 'float32');
  const [kc, kd, kData] = split(key(seed), 3) as [Key, Key, Key];
  type Params = { cell: Tree; out: DenseParams };
  let params: Params = { cell: cell.init(kc), out: dense.init(kd, cell.outputSize, 1) };
  const opt = adam({ lr });
  let state = opt.init(params);
  const probe = addingBatch(kData, batch, length);
  const compiled = explainScan(cell, params.cell, probe.x).compiled;
  env.textContent = describeEnvironment(compiled);
  const loss = (p: Params, x: Tensor, y: Tensor): Tensor => {
    const { outputs } = scan(cell, p.cell, x);
    return mse(dense.apply(p.out, index(outputs, 1, length - 1)), y);
  };
  const step = valueAndGrad(loss);
  const losses: number[] = [];
  const keys = split(kData, steps);
  drawPlot(losses, steps);
  for (let i = 0; i < steps; i++) {
    const { x, y } = addingBatch(keys[i]!, batch, length);
    const [value, grads] = step(params, x, y);
    [params, state] = opt.update(grads, state, params);
    const v = value.item();
    if (!Number.isFinite(v)) throw new Error(`the loss became ${v} at step ${i + 1}`);
    losses.push(v);
    if (i % 10 === 9 || i === steps - 1) {
      drawPlot(losses, steps);
      say(`Training ${def.family} on the adding problem: step ${i + 1} of ${steps}, loss ${v.toFixed(4)}`);
      await frame();
    }
  }
  const tail = losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
  plot.dataset['done'] = 'true';
  plot.dataset['final'] = String(tail);
  say(`${def.family} trained: ${steps} steps of Adam; mean loss over the last 20 steps ${tail.toFixed(4)} (predicting the mean scores ${(1 / 6).toFixed(4)}).`);
}

function describeEnvironment(compiled?: boolean): string {
  const g = gemmInfo();
  const threads =
    g.helpers === 'web-workers'
      ? `${g.threads} of ${g.maxThreads} threads (Web Workers: this page is cross-origin isolated)`
      : `one thread${g.notes.length > 0 ? ` (${g.notes[g.notes.length - 1]})` : ''}`;
  const scanText = compiled === undefined ? '' : `scan: ${compiled ? 'compiled to WebAssembly' : 'on the tape (the compiler declined this cell)'}. `;
  return `${scanText}Matrix products: ${g.kernel === 'wasm-simd' ? 'WebAssembly SIMD' : 'JavaScript'}, ${threads}.`;
}

// ---------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------

/** Starts the page: the first cell in the editor, the buttons, and errors nobody caught. */
function start(): void {
  code.value = JANET_SOURCE;
  checkButton.addEventListener('click', () => void guarded('Checking the cell failed', check));
  trainButton.addEventListener('click', () => void guarded('Training failed', train));
  resetButton.addEventListener('click', () => {
    code.value = JANET_SOURCE;
    clearError();
    say('The editor holds the guide’s JANET cell again.');
  });
  window.addEventListener('error', (e) => showError('An error nobody caught', e.error ?? e.message));
  window.addEventListener('unhandledrejection', (e) => showError('An error nobody caught', e.reason));
  drawPlot([], TRAINING.steps);
  env.textContent = describeEnvironment();
  // Helper threads (Web Workers, where the page is cross-origin isolated) start now rather than at the first large product.
  void startGemmThreads().then(() => (env.textContent = describeEnvironment()), (e: unknown) => showError('The helper threads did not start', e));
  for (const b of [checkButton, trainButton, resetButton]) b.disabled = false;
  document.body.dataset['playground'] = 'ready';
  say('Ready: edit the cell, then check its gradients or train it.');
}

start();
