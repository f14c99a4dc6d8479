/**
 * The packages install (`npm run test:pack`, part of `npm test`): `npm pack`
 * of every workspace that is published (core, autodiff, nn, proofs, models and
 * the umbrella `mnemo`) gives tarballs with complete metadata; an empty
 * scratch project installs them offline (`npm ci --offline`, the third-party
 * packages coming from the npm cache that the repository's `npm ci` filled);
 * there a strict TypeScript program for Node and one for a browser page (DOM
 * types, no Node types) compile against the packages' types, the Node one
 * runs `grad`, a cell under `scan`, `gradcheck` and parameter files, and the
 * `mnemo` command answers `--help`, runs a gradient check, and trains and
 * checks a user's cell from a module file in a folder of its own.
 *
 * It builds first (`tsc -b`): the tarballs hold what `dist` holds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMnemo, scratchLock, type Workspace } from './scratch.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The published workspaces, lowest layer first. */
const PUBLISHED = ['core', 'autodiff', 'nn', 'proofs', 'models', 'mnemo'] as const;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly license?: string;
  readonly keywords?: readonly string[];
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string };
  readonly engines?: { readonly node?: string };
  readonly files?: readonly string[];
  readonly type?: string;
  readonly main?: string;
  readonly types?: string;
  readonly exports?: Record<string, { readonly types?: string; readonly default?: string }>;
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
}

/** What `npm pack --json` says of one tarball. */
interface Packed {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** Runs a command, failing with its output if it fails. */
function run(cmd: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The Node consumer: everything through the published entries, checked by the test from what it prints. */
const NODE_CONSUMER = `
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor, grad, sum, tanh, mul, key, normal, lstmCell, scan, explainScan, gradcheck, type Tensor } from 'mnemo';
import { gemmInfo } from '@mnemo/core';
import { valueAndGrad } from '@mnemo/autodiff';
import { gruCell } from '@mnemo/nn';
import { saveParams, loadParamsOrThrow } from '@mnemo/nn/node';
import { bpttReport } from '@mnemo/proofs';
import * as browser from 'mnemo/browser';

const f = (x: Tensor): Tensor => sum(tanh(mul(x, x)));
const g = grad(f)(tensor([0.5, -1], 'float64'));

const cell = lstmCell({ inputSize: 3, hiddenSize: 4 });
const params = cell.init(key(0));
const xs = normal(key(1), [2, 5, 3]);
const compiled = explainScan(cell, params, xs).compiled;
const [loss, grads] = valueAndGrad((p: typeof params) => sum(scan(cell, p, xs).outputs))(params);

const check = gradcheck((x: Tensor) => sum(mul(tanh(x), x)), [normal(key(2), [3], { dtype: 'float64' })]);
const report = bpttReport(gruCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }), { steps: 3, batch: 1 });

const file = join(mkdtempSync(join(tmpdir(), 'mnemo-consumer-')), 'params.json');
saveParams(file, { params });
const back = loadParamsOrThrow(file, { like: params });

// Never called: the types are real, not any (a cell needs its hidden size).
// @ts-expect-error
const incomplete = (): unknown => lstmCell({ inputSize: 3 });
void incomplete;

console.log(JSON.stringify({
  grad: Array.from(g.toArray()),
  compiled,
  loss: loss.item(),
  gradShape: grads.wx.shape,
  gradcheck: check._tag,
  bptt: report.ok,
  roundTrip: back.params.wh.toArray().join() === params.wh.toArray().join(),
  kernel: gemmInfo().kernel,
  sameGrad: browser.grad === grad,
}));
`;

/** A user's cell in JavaScript, importing the umbrella package. */
const ELMAN_MODULE = `
import { add, matmul, tanh, defineCell, init } from 'mnemo';
export default defineCell('elman', ({ inputSize: D, hiddenSize: H }) => ({
  gates: ['h'],
  params: { w: { shape: [D, H], init: init.rnnUniform(H) }, u: { shape: [H, H], init: init.rnnUniform(H) } },
  state: { h: H },
  step(p, s, x, gate) {
    const h = gate('h', tanh, add(matmul(x, p.w), matmul(s.h, p.u)));
    return [{ h }, h];
  },
}));
`;

/** The browser consumer: DOM types and no Node types, strict, no skipLibCheck. */
const BROWSER_CONSUMER = `
import { tensor, grad, sum, tanh, mul, key, normal, lstmCell, scan, gradcheck, gemmInfo, type Tensor } from 'mnemo/browser';
import { encodeParams, decodeParams } from '@mnemo/nn';
import { proveCell } from '@mnemo/proofs';

const g = grad((x: Tensor) => sum(tanh(mul(x, x))))(tensor([0.5, -1], 'float64'));
const cell = lstmCell({ inputSize: 2, hiddenSize: 3 });
const out = scan(cell, cell.init(key(0)), normal(key(1), [1, 4, 2])).outputs;
const check = gradcheck((x: Tensor) => sum(mul(x, x)), [tensor([1, 2], 'float64')]);
const text = encodeParams({ params: { g } });
proveCell((sizes) => lstmCell(sizes), { numRuns: 1 });
document.body.textContent = [g.toArray().join(), out.shape.join(), check._tag, decodeParams(text)._tag, gemmInfo().helpers].join(' ');
`;

describe('the packages install', () => {
  let scratch = '';
  const packed = new Map<string, Packed>();
  const manifests = new Map<string, PackageJson>();

  beforeAll(() => {
    run(process.execPath, [TSC, '-b'], ROOT);
    scratch = mkdtempSync(join(tmpdir(), 'mnemo-install-'));
    const packs = join(scratch, 'packs');
    mkdirSync(packs);
    const json = run(NPM, ['pack', '--json', '--pack-destination', packs, ...PUBLISHED.flatMap((w) => ['-w', w])], ROOT);
    for (const p of JSON.parse(json) as Packed[]) packed.set(p.name, p);
    for (const dir of PUBLISHED) {
      const pkg = readJson<PackageJson>(join(ROOT, dir, 'package.json'));
      manifests.set(dir, pkg);
    }
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('packs every published workspace, with complete metadata', () => {
    const rootPkg = readJson<PackageJson & { private?: boolean }>(join(ROOT, 'package.json'));
    expect(rootPkg.private, 'the repository root is not published').toBe(true);
    for (const dir of PUBLISHED) {
      const pkg = manifests.get(dir)!;
      const p = packed.get(pkg.name);
      expect(p, `npm pack made no tarball for ${pkg.name}`).toBeDefined();
      const files = new Set(p!.files.map((f) => f.path));
      expect(pkg.version, pkg.name).toBe(rootPkg.version);
      expect(pkg.description?.length ?? 0, `${pkg.name} description`).toBeGreaterThan(20);
      expect(pkg.license, pkg.name).toBe('MIT');
      expect(pkg.keywords?.length ?? 0, `${pkg.name} keywords`).toBeGreaterThan(2);
      expect(pkg.engines?.node, `${pkg.name} engines`).toBe(rootPkg.engines?.node);
      expect(pkg.repository, `${pkg.name} repository`).toEqual({ ...rootPkg.repository, directory: dir });
      expect(pkg.type, pkg.name).toBe('module');
      expect(pkg.files, `${pkg.name} files`).toContain('dist');
      // Every entry has types, and both files are in the tarball.
      expect(Object.keys(pkg.exports ?? {}), `${pkg.name} exports`).toContain('.');
      for (const [sub, e] of Object.entries(pkg.exports ?? {})) {
        for (const f of [e.types, e.default]) {
          expect(f, `${pkg.name} exports["${sub}"]`).toMatch(/^\.\/dist\/.+\.(d\.ts|js)$/);
          expect(files.has(f!.slice(2)), `${pkg.name}: ${f} is not in the tarball`).toBe(true);
        }
      }
      for (const b of Object.values(pkg.bin ?? {})) expect(files.has(b.replace(/^\.\//, '')), `${pkg.name}: bin ${b}`).toBe(true);
      // Only what the sources build: no build info, no stale output of a removed source file.
      for (const f of files) {
        expect(f, pkg.name).not.toMatch(/tsbuildinfo|(^|\/)test\//);
        const js = /^dist\/(.+)\.js$/.exec(f);
        if (js) expect(files.has(`src/${js[1]}.ts`), `${pkg.name}: ${f} has no source in src/`).toBe(true);
      }
      // mnemo's packages depend on each other at exactly this version.
      for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) if (isMnemo(dep)) expect(range, `${pkg.name} -> ${dep}`).toBe(pkg.version);
    }
    expect(manifests.get('models')!.bin).toEqual({ mnemo: './bin/mnemo.js' });
    expect(Object.keys(manifests.get('nn')!.exports!)).toEqual(['.', './node']);
    expect(Object.keys(manifests.get('mnemo')!.exports!)).toEqual(['.', './browser']);
  });

  it('installs into an empty project offline, where TypeScript programs for Node and for a page compile and the Node one runs', () => {
    const workspaces: Workspace[] = PUBLISHED.map((dir) => {
      const m = manifests.get(dir)!;
      return { dir, name: m.name, version: m.version, dependencies: m.dependencies ?? {}, ...(m.bin ? { bin: m.bin } : {}) };
    });
    const tarballs = new Map(workspaces.map((w) => [w.name, `packs/${packed.get(w.name)!.filename}`]));
    // esbuild's binary for this machine (an optional package of esbuild, which @mnemo/models needs for TypeScript
    // cell modules): npm installs it by default; the install below leaves optional packages out, so it is named.
    const lock = scratchLock(ROOT, workspaces, tarballs, ['@types/node', `@esbuild/${process.platform}-${process.arch}`]) as { packages: Record<string, { dependencies?: object; devDependencies?: object }> };
    const top = lock.packages['']!;
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'mnemo-scratch', version: '1.0.0', private: true, type: 'module', dependencies: top.dependencies, devDependencies: top.devDependencies }, null, 2));
    writeFileSync(join(scratch, 'package-lock.json'), JSON.stringify(lock, null, 2));
    // --offline: nothing from a registry (mnemo's packages are the tarballs); optional packages (gpu.js's
    // headless-gl, a native build) are left out, and no install script runs.
    run(NPM, ['ci', '--offline', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'], scratch);

    writeFileSync(join(scratch, 'node.ts'), NODE_CONSUMER);
    writeFileSync(join(scratch, 'browser.ts'), BROWSER_CONSUMER);
    const strict = { strict: true, target: 'ES2022', skipLibCheck: false, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true };
    writeFileSync(join(scratch, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: { ...strict, module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], outDir: 'out' }, files: ['node.ts'] }));
    writeFileSync(join(scratch, 'tsconfig.browser.json'), JSON.stringify({ compilerOptions: { ...strict, module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [], noEmit: true }, files: ['browser.ts'] }));
    run(process.execPath, [TSC, '-p', 'tsconfig.browser.json'], scratch);
    run(process.execPath, [TSC, '-p', 'tsconfig.node.json'], scratch);

    const result = JSON.parse(run(process.execPath, [join('out', 'node.js')], scratch)) as Record<string, unknown>;
    const expected = [0.5, -1].map((x) => 2 * x * (1 - Math.tanh(x * x) ** 2));
    for (const [i, v] of (result['grad'] as number[]).entries()) expect(v).toBeCloseTo(expected[i]!, 12);
    expect(result).toMatchObject({ compiled: true, gradShape: [3, 16], gradcheck: 'Right', bptt: true, roundTrip: true, kernel: 'wasm-simd', sameGrad: true });
    expect(Number.isFinite(result['loss'])).toBe(true);
  });

  it('has the mnemo command, which answers --help and checks a cell', () => {
    const help = run(NPM, ['exec', '--offline', '--', 'mnemo', '--help'], scratch);
    expect(help).toMatch(/mnemo train mnist/);
    expect(help).toMatch(/Exit codes/);
    const report = run(NPM, ['exec', '--offline', '--', 'mnemo', 'gradcheck', 'gru', '--steps', '3', '--hidden', '2', '--json'], scratch);
    expect(JSON.parse(report)).toMatchObject({ ok: true });
  });

  it("trains and checks a user's cell from a module file outside the project: TypeScript importing @mnemo/*, JavaScript importing mnemo", () => {
    // A folder with no node_modules and no package.json above it but the system's: the module finds mnemo through the command.
    const cells = mkdtempSync(join(tmpdir(), 'mnemo-cells-'));
    copyFileSync(join(ROOT, 'docs', 'guides', 'examples', 'janet.ts'), join(cells, 'janet.ts'));
    writeFileSync(join(cells, 'elman.mjs'), ELMAN_MODULE);
    try {
      const trained = run(
        NPM,
        ['exec', '--offline', '--', 'mnemo', 'train', 'adding', '--cell', join(cells, 'janet.ts'), '--steps-per-sequence', '5', '--hidden', '4', '--steps', '3', '--batch', '4', '--test-size', '8', '--out', join(cells, 'runs'), '--json'],
        scratch,
      );
      expect(JSON.parse(trained)).toMatchObject({ status: 'finished', cell: 'janet', cellModule: join(cells, 'janet.ts'), stepsDone: 3 });
      const scored = run(NPM, ['exec', '--offline', '--', 'mnemo', 'eval', join(cells, 'runs', 'adding-janet'), '--json'], scratch);
      expect(JSON.parse(scored)).toMatchObject({ cell: 'janet', step: 3, examples: 8 });
      const checked = run(NPM, ['exec', '--offline', '--', 'mnemo', 'gradcheck', join(cells, 'elman.mjs'), '--steps', '3', '--hidden', '2', '--json'], scratch);
      expect(JSON.parse(checked)).toMatchObject({ ok: true, cellModule: join(cells, 'elman.mjs') });
    } finally {
      rmSync(cells, { recursive: true, force: true });
    }
  });
});
