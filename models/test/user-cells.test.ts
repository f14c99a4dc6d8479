/**
 * A researcher's own cell from the command line (issue 16): `--cell
 * ./janet.ts` wherever a cell is named (train on every task, compare,
 * gradcheck), resumed and scored from the path its run records, and every
 * way a module can be unusable, each with its exit code, a message naming the
 * option, the file and what was found, and the JSON error object.
 *
 * The modules live in a folder outside the repository. In-process runs import
 * them through vitest (`io.importModule`), so that they share the test's
 * instances of mnemo; the last block runs `mnemo` as a process, where its own
 * loader (Node module hooks and esbuild) imports them.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Tensor } from '@mnemo/core';
import { tree, type Tree } from '@mnemo/autodiff';
import { cellFamily, unregisterCell } from '@mnemo/nn';
import {
  CellModuleError,
  EXIT,
  RUN_FILES,
  createRunDir,
  jobOf,
  loadCellModule,
  resolveConfig,
  resumeRun,
  runCli,
  runTraining,
  type CliIo,
} from '@mnemo/models';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const GUIDE_JANET = join(REPO, 'docs', 'guides', 'examples', 'janet.ts');

/** The cells' folder: outside the repository, with no package.json (so nothing says "type": "module"). */
const cells = mkdtempSync(join(tmpdir(), 'mnemo-user-cells-'));
const out = join(cells, 'runs');
mkdirSync(out);
const at = (name: string): string => join(cells, name);

copyFileSync(GUIDE_JANET, at('janet.ts'));
// The same cell in JavaScript, under another family name, importing the umbrella package.
// (The specifier is spliced in: this is the user's file's import, which the layering
// test, reading this file's text, would otherwise count as the models layer's own.)
const UMBRELLA = 'mnemo';
writeFileSync(
  at('janet-js.mjs'),
  `import { add, matmul, mul, sigmoid, split, sub, tanh, defineCell, init } from '${UMBRELLA}';
export default defineCell('janetjs', ({ inputSize: D, hiddenSize: H }) => ({
  gates: ['f', 'g'],
  params: { wx: { shape: [D, 2 * H], init: init.rnnUniform(H) }, wh: { shape: [H, 2 * H], init: init.rnnUniform(H) }, b: { shape: [2 * H], init: init.zeros } },
  state: { c: H },
  step(p, { c }, x, gate) {
    const [zf, zg] = split(add(add(matmul(x, p.wx), p.b), matmul(c, p.wh)), 2, -1);
    const s = gate.probe('f', zf);
    const g = gate('g', tanh, zg);
    const next = add(mul(sigmoid(s), c), mul(sub(1, sigmoid(sub(s, 1))), g));
    return [{ c: next }, next];
  },
}));
`,
);
writeFileSync(at('helpers.ts'), 'export const trainOnAdding = (): number => 0;\nexport const WIDTH = 3;\n');
writeFileSync(
  at('two.ts'),
  `import { mguCell, type CellFamilyDefinition } from '@mnemo/nn';
export { janet } from './janet.js';
export const mymgu: CellFamilyDefinition = { family: 'mymgu', make: mguCell, help: 'mymgu  the MGU from a module' };
`,
);
// A cell that says its output has one feature more than its step gives.
writeFileSync(
  at('liar.ts'),
  `import type { CellOptions } from '@mnemo/nn';
import { janetCell } from './janet.js';
export default (o: CellOptions) => ({ ...janetCell(o), name: 'liar', outputSize: o.hiddenSize + 1 });
`,
);
writeFileSync(at('throws.ts'), "import '@mnemo/nn';\nthrow new Error('cannot reach the lab GPU');\n");
writeFileSync(at('syntax.ts'), 'export const janet: number = ;\n');
writeFileSync(at('syntax.mjs'), 'export const janet = ;\n');
writeFileSync(at('lstm.ts'), "import { mguCell } from '@mnemo/nn';\nexport const lstm = { family: 'lstm', make: mguCell, help: 'lstm  not the LSTM' };\n");
mkdirSync(at('other'));
copyFileSync(GUIDE_JANET, at('other/janet.ts'));

afterAll(() => {
  for (const f of ['janet', 'janetjs', 'mymgu', 'liar', 'moved']) if (cellFamily(f)?.builtin === false) unregisterCell(f);
});

/** Import through vitest, so that the module gets the test's own @mnemo/* (see CliIo.importModule). */
const importModule = (url: string): Promise<unknown> => import(/* @vite-ignore */ url);

/** Run the command line in-process; `stopAt` aborts it (as Ctrl-C does) once its output shows that text. */
async function cli(argv: readonly string[], stopAt?: RegExp): Promise<{ code: number; out: string; err: string }> {
  const o: string[] = [];
  const e: string[] = [];
  const ac = new AbortController();
  const watch = (s: string): void => {
    if (stopAt !== undefined && stopAt.test(s)) ac.abort('SIGINT');
  };
  const io: CliIo = { stdout: (s) => (o.push(s), watch(s)), stderr: (s) => (e.push(s), watch(s)), stdoutIsTTY: false, stderrIsTTY: false, signal: ac.signal, importModule };
  const code = await runCli(argv, io);
  return { code, out: o.join(''), err: e.join('') };
}

/** The JSON error object of a failed `--json` run. */
const jsonError = (text: string): { code: number; message: string; field: string | null } => (JSON.parse(text) as { error: { code: number; message: string; field: string | null } }).error;

const TINY = ['--hidden', '4', '--steps', '4', '--batch', '4', '--test-size', '10', '--out', out] as const;
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('a cell module trains, compares and checks like a built-in cell', () => {
  it('mnemo train adding --cell <file>: the run records the module, its summary names the family and the path', async () => {
    const r = await cli(['train', 'adding', '--cell', at('janet.ts'), '--steps-per-sequence', '6', ...TINY, '--name', 'janet']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.out).toContain(`cell: janet, from ${at('janet.ts')}`);
    expect(r.out).toMatch(/model: 1 x janet 4/);
    const dir = join(out, 'janet');
    expect(readJson(join(dir, RUN_FILES.config))).toMatchObject({ cell: 'janet', cellModule: at('janet.ts') });
    expect(readJson(join(dir, RUN_FILES.summaryJson))).toMatchObject({ cell: 'janet', cellModule: at('janet.ts'), status: 'finished' });
    expect(readFileSync(join(dir, RUN_FILES.summaryMd), 'utf8')).toMatch(new RegExp(`^# adding: janet \\(from ${at('janet.ts').replace(/[.\\/]/g, '\\$&')}\\), finished`));
  });

  it('the run directory is named after the family; --variant and an unknown variant of a module cell', async () => {
    const r = await cli(['train', 'temporal-order', '--cell', at('janet-js.mjs'), '--steps-per-sequence', '10', ...TINY]);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(existsSync(join(out, 'temporal-order-janetjs', RUN_FILES.checkpoint))).toBe(true);
    const bad = await cli(['train', 'adding', '--cell', at('janet.ts'), '--variant', 'wide', '--json', ...TINY]);
    expect(bad.code).toBe(EXIT.usage);
    expect(jsonError(bad.out)).toMatchObject({ code: 2, field: '--variant' });
    expect(bad.err).toMatch(/unknown variant 'wide' of janet; janet accepts no variants/);
  });

  it('--resume finds the module again from config.json, and continues exactly; eval scores it', async () => {
    const args = ['train', 'adding', '--cell', at('janet.ts'), '--steps-per-sequence', '6', '--hidden', '4', '--batch', '4', '--test-size', '10', '--out', out];
    const straight = await cli([...args, '--steps', '6', '--name', 'straight']);
    expect(straight.code, straight.err).toBe(EXIT.ok);
    const stopped = await cli([...args, '--steps', '6', '--name', 'stopped'], /step 3\//);
    expect(stopped.code).toBe(EXIT.interrupted);
    const dir = join(out, 'stopped');
    const resumed = await cli(['train', '--resume', dir]);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    expect(resumed.out).toMatch(/resuming at step 3 of 6/);
    expect(resumed.out).toContain(`cell: janet, from ${at('janet.ts')}`);
    const content = (d: string): unknown => (readJson(join(d, RUN_FILES.checkpoint)) as { content: unknown }).content;
    expect(content(dir)).toEqual(content(join(out, 'straight')));
    const e = await cli(['eval', dir, '--json']);
    expect(e.code, e.err).toBe(EXIT.ok);
    expect(JSON.parse(e.out)).toMatchObject({ cell: 'janet', cellModule: at('janet.ts'), step: 6, examples: 10 });
    expect((await cli(['eval', dir])).out).toContain(`adding, janet (from ${at('janet.ts')}), checkpoint at step 6 of 6`);
  });

  it('a moved or deleted module: --resume and eval say where it was and what to do (exit 3)', async () => {
    const moved = at('moved.ts');
    writeFileSync(moved, "import { janetCell } from './janet.js';\nexport const moved = { family: 'moved', make: janetCell, help: 'moved  JANET, soon moved' };\n");
    const r = await cli(['train', 'adding', '--cell', moved, '--steps-per-sequence', '6', ...TINY, '--name', 'moved']);
    expect(r.code, r.err).toBe(EXIT.ok);
    renameSync(moved, `${moved}.bak`);
    const dir = join(out, 'moved');
    for (const argv of [['train', '--resume', dir, '--steps', '8', '--json'], ['eval', dir, '--json']]) {
      const x = await cli(argv);
      expect(x.code, argv.join(' ')).toBe(EXIT.data);
      expect(jsonError(x.out)).toEqual({
        code: 3,
        field: 'cellModule',
        message: `cellModule ${moved}: the run in ${dir} trains a cell from this module, which is no longer there (moved or deleted?): put it back, or write its new absolute path as cellModule in ${join(dir, 'config.json')}`,
      });
    }
  });

  it('charlm and seq2seq train a module cell too', async () => {
    const lm = await cli(['train', 'charlm', '--cell', at('janet.ts'), '--hidden', '4', '--embedding', '4', '--batch', '2', '--chunk', '6', '--steps', '2', '--eval-every', '2', '--out', out]);
    expect(lm.code, lm.err).toBe(EXIT.ok);
    expect(readJson(join(out, 'charlm-janet', RUN_FILES.config))).toMatchObject({ cell: 'janet', cellModule: at('janet.ts') });
    const s2s = await cli(['train', 'seq2seq', '--cell', at('janet.ts'), '--hidden', '4', '--embedding', '4', '--batch', '4', '--steps', '2', '--max-test-size', '3', '--test-count', '4', '--out', out]);
    expect(s2s.code, s2s.err).toBe(EXIT.ok);
    expect(readJson(join(out, 'seq2seq-add-janet', RUN_FILES.config))).toMatchObject({ cell: 'janet', cellModule: at('janet.ts') });
  });

  it('mnemo compare --cells lstm,gru,<file>: one table, the module named under it; each run records its module; --resume', async () => {
    const args = ['compare', '--task', 'adding', '--cells', `lstm,gru,${at('janet.ts')}`, '--steps-per-sequence', '5', '--hidden', '3', '--steps', '4', '--batch', '4', '--test-size', '10'];
    const straight = await cli([...args, '--out', join(out, 'cmp-straight')]);
    expect(straight.code, straight.err).toBe(EXIT.ok);
    expect(straight.out).toMatch(/\nlstm .*\ngru .*\njanet /);
    expect(straight.out).toContain(`janet: ${at('janet.ts')}`);
    const stopped = await cli([...args, '--out', join(out, 'cmp')], /\[3\] janet/);
    expect(stopped.code).toBe(EXIT.interrupted);
    const dir = join(out, 'cmp', 'compare-adding-5');
    expect(readJson(join(dir, 'compare-config.json'))).toMatchObject({ cells: ['lstm', 'gru', 'janet'], cellModules: { janet: at('janet.ts') } });
    const resumed = await cli(['compare', '--resume', dir, '--json']);
    expect(resumed.code, resumed.err).toBe(EXIT.ok);
    const rows = (text: string): unknown => (JSON.parse(text) as { rows: { cell: string; testLoss: number }[] }).rows.map((r) => [r.cell, r.testLoss]);
    expect(rows(resumed.out)).toEqual(rows(readFileSync(join(out, 'cmp-straight', 'compare-adding-5', 'compare.json'), 'utf8')));
    expect(readJson(join(dir, 'janet', RUN_FILES.config))).toMatchObject({ cell: 'janet', cellModule: at('janet.ts') });
    expect(readJson(join(dir, 'gru', RUN_FILES.config))['cellModule']).toBeUndefined();
    // compare's other tasks.
    const t = await cli(['compare', '--task', 'temporal-order', '--cells', `${at('janet-js.mjs')},rnn`, '--steps-per-sequence', '10', '--hidden', '3', '--steps', '2', '--batch', '4', '--test-size', '10', '--out', out]);
    expect(t.code, t.err).toBe(EXIT.ok);
    expect(t.out).toMatch(/\njanetjs .*\nrnn /);
  });

  it('mnemo gradcheck <file>: the BPTT report of the module cell, and the module in JSON', async () => {
    const g = await cli(['gradcheck', at('janet.ts'), '--steps', '3', '--hidden', '2', '--input', '2', '--batch', '1']);
    expect(g.code, g.err).toBe(EXIT.ok);
    expect(g.out).toMatch(new RegExp(`^cell janet, from .*janet\\.ts\\nBPTT gradient check: janet \\(input 2, hidden 2, output 2\\)[\\s\\S]*PASS`));
    const j = await cli(['gradcheck', at('two.ts#mymgu'), '--steps', '2', '--hidden', '2', '--input', '2', '--batch', '1', '--json']);
    expect(j.code, j.err).toBe(EXIT.ok);
    expect(JSON.parse(j.out)).toMatchObject({ ok: true, cellModule: at('two.ts') });
  });

  it('--help of train, compare and gradcheck shows how to name a module and what it exports, and the registered families', async () => {
    for (const command of ['train', 'compare', 'gradcheck']) {
      const h = await cli([command, '--help']);
      expect(h.code).toBe(EXIT.ok);
      expect(h.out).toMatch(/Your own cell: name its module file/);
      expect(h.out).toMatch(/exports one of: a cell family definition \{ family, make, help/);
      expect(h.out).toMatch(/Cells \(name, then variants[\s\S]*gru/);
    }
    // The list is read when the help is printed: the families loaded by now are in it.
    expect((await cli(['train', '--help'])).out).toContain('janet             JANET (van der Westhuizen & Lasenby 2018)');
  });
});

describe('a module that cannot be used: exit 2 or 3, the option, the file and what was found', () => {
  /** Each case: the words, the exit code, the JSON error's field, and what the message must say. */
  const cases: [string, string[], number, string, RegExp][] = [
    ['a file that does not exist', ['train', 'adding', '--cell', at('janett.ts')], 2, '--cell', /^--cell \S*janett\.ts: no such file \(\S*janett\.ts\)$/],
    ['a folder', ['train', 'adding', '--cell', `${at('other')}/`], 2, '--cell', /is a folder; name the module file \(\.ts, \.mts, \.js, \.mjs\)/],
    ['not a module file', ['train', 'adding', '--cell', at('runs')], 2, '--cell', /is a folder/],
    [
      'a module that exports no cell',
      ['train', 'adding', '--cell', at('helpers.ts')],
      3,
      '--cell',
      /helpers\.ts: exports no cell: export a family definition \{ family, make, help \}.*; its exports are trainOnAdding, WIDTH$/,
    ],
    [
      'a module that exports several families',
      ['compare', '--cells', `lstm,${at('two.ts')}`],
      2,
      '--cells',
      /two\.ts: exports several family definitions \(janet, mymgu\); say which one: \S*two\.ts#<family>, e\.g\. \S*two\.ts#janet$/,
    ],
    ['#family naming none of them', ['gradcheck', at('two.ts#gru')], 2, 'cell', /two\.ts#gru: the module has no cell 'gru'; it exports family definitions janet, mymgu$/],
    [
      'a cell of the wrong shape',
      ['train', 'adding', '--cell', at('liar.ts')],
      3,
      '--cell',
      /liar\.ts: liar\.step: returned an output of shape \[2, 4\], expected \[2, 5\] \(batch 2, outputSize 5\)$/,
    ],
    ['a module that throws while loading', ['gradcheck', at('throws.ts')], 3, 'cell', /throws\.ts: the module threw while loading: cannot reach the lab GPU/],
    ['a syntax error', ['train', 'adding', '--cell', at('syntax.ts')], 3, '--cell', /syntax\.ts: a syntax error: .*Unexpected/],
    ["a family named like a built-in cell", ['train', 'adding', '--cell', at('lstm.ts')], 3, '--cell', /lstm\.ts: its family is named 'lstm', like mnemo's built-in cell; give the family another name$/],
    [
      'two modules of one command line with one family',
      ['compare', '--cells', `${at('janet.ts')},${at('other/janet.ts')}`],
      2,
      '--cells',
      /other\/janet\.ts: its family 'janet' is also the family of \S*janet\.ts; give one of them another name$/,
    ],
  ];
  for (const [what, argv, code, field, message] of cases) {
    it(`${what}: exit ${code}`, async () => {
      const r = await cli([...argv, '--json', ...(argv[0] === 'gradcheck' ? [] : ['--steps', '1', '--out', out])]);
      expect(r.code, r.err).toBe(code);
      const e = jsonError(r.out);
      expect([e.code, e.field]).toEqual([code, field]);
      expect(e.message).toMatch(message);
      expect(r.err).toBe(`mnemo ${argv[0]}: ${e.message}\n`);
    });
  }

  it('as a library: loadCellModule throws CellModuleError with the kind and the exit code', async () => {
    const e = await loadCellModule(at('helpers.ts'), { importModule }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CellModuleError);
    expect([(e as CellModuleError).kind, (e as CellModuleError).exitCode, (e as CellModuleError).path]).toEqual(['no-cell', 3, at('helpers.ts')]);
    const m = await loadCellModule('./janet.ts', { cwd: cells, importModule });
    expect([m.family, m.path]).toEqual(['janet', at('janet.ts')]);
    expect((await loadCellModule(at('janet.ts'), { importModule })).registration).toBe(m.registration); // loaded again: the same family
  });
});

describe("a module cell's run resumes bit for bit", () => {
  it('adding with JANET from a module file: N steps straight equal N/2, a stop and resumeRun', async () => {
    await loadCellModule(at('janet.ts'), { importModule });
    const config = { ...resolveConfig('adding', { sequenceLength: 6, hidden: 5, batch: 4, steps: 8, cell: 'janet', checkpointEvery: 3 }), cellModule: at('janet.ts') };
    const bytes = (t: Tree): string[] => tree.leaves(t).map((l: Tensor) => Buffer.from(new Float64Array(l.toArray()).buffer).toString('base64'));
    const straight = await runTraining(jobOf(config), { evaluate: false });
    const dir = createRunDir(out, 'bitwise');
    await runTraining(jobOf(config), { runDir: dir, stopAt: 4, evaluate: false });
    const resumed = await resumeRun(dir, { evaluate: false, importModule });
    expect(resumed.state.step).toBe(8);
    expect(bytes(resumed.state.params)).toEqual(bytes(straight.state.params));
    expect(bytes(resumed.state.optState.slots)).toEqual(bytes(straight.state.optState.slots));
  });
});

describe("mnemo as a process: its own loader imports a module from a folder outside the repository", () => {
  /** `mnemo` run by node on the TypeScript sources through tsx (as cli.test.ts does), in the cells' folder. */
  const mnemo = (...argv: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((done) => {
      const p = spawn(process.execPath, ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href, join(REPO, 'models', 'src', 'cli.ts'), ...argv], {
        cwd: cells,
        env: { ...process.env, FORCE_COLOR: '0', TSX_TSCONFIG_PATH: join(REPO, 'tsconfig.test.json'), NODE_PATH: '' },
      });
      let o = '';
      let e = '';
      p.stdout.on('data', (d: Buffer) => (o += d.toString()));
      p.stderr.on('data', (d: Buffer) => (e += d.toString()));
      p.on('close', (code) => done({ code, out: o, err: e }));
    });

  it('train ./janet.ts (TypeScript, a relative path, @mnemo/* imports with no mnemo installed there), then --resume', async () => {
    const t = await mnemo('train', 'adding', '--cell', './janet.ts', '--steps-per-sequence', '5', '--hidden', '3', '--steps', '3', '--batch', '4', '--test-size', '8', '--out', 'proc', '--name', 'janet');
    expect(t.code, t.err).toBe(0);
    expect(t.out).toContain(`cell: janet, from ${at('janet.ts')}`);
    const r = await mnemo('train', '--resume', join('proc', 'janet'), '--steps', '5');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/resuming at step 3 of 5/);
  }, 120_000);

  it("gradcheck ./janet-js.mjs (JavaScript importing 'mnemo')", async () => {
    const g = await mnemo('gradcheck', './janet-js.mjs', '--steps', '2', '--hidden', '2', '--input', '2', '--batch', '1');
    expect(g.code, g.err).toBe(0);
    expect(g.out).toMatch(/BPTT gradient check: janetjs[\s\S]*PASS/);
  }, 120_000);

  it('syntax errors say where (TypeScript through esbuild, JavaScript too); a throw says where it was thrown', async () => {
    const ts = await mnemo('gradcheck', './syntax.ts', '--json');
    expect(ts.code).toBe(3);
    expect(jsonError(ts.out)).toEqual({ code: 3, field: 'cell', message: `cell ./syntax.ts: a syntax error: ${at('syntax.ts')}:1:30: Unexpected ";"` });
    const js = await mnemo('gradcheck', './syntax.mjs');
    expect(js.code).toBe(3);
    expect(js.err).toBe(`mnemo gradcheck: cell ./syntax.mjs: a syntax error: ${at('syntax.mjs')}:1:22: Unexpected token ';'\n`);
    const thrown = await mnemo('gradcheck', './throws.ts');
    expect(thrown.code).toBe(3);
    expect(thrown.err).toBe(`mnemo gradcheck: cell ./throws.ts: the module threw while loading: cannot reach the lab GPU (at ${at('throws.ts')}:2:7)\n`);
  }, 120_000);
});
