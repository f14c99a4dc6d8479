import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The layers, lowest first: a layer may import only layers before it (`mnemo`, the umbrella package, re-exports them all). */
const LAYERS = ['core', 'autodiff', 'nn', 'proofs', 'models', 'mnemo'] as const;
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function filesUnder(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(filesUnder(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Every module specifier imported or re-exported by a source file. */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

/** The layer a specifier points into, or undefined for packages outside mnemo. */
function layerOf(spec: string, from: string): string | undefined {
  const pkg = /^@mnemo\/([a-z]+)/.exec(spec);
  if (pkg) return pkg[1];
  if (spec === 'mnemo' || spec.startsWith('mnemo/')) return 'mnemo';
  if (!spec.startsWith('.')) return undefined;
  const target = relative(root, resolve(from, '..', spec)).split(sep)[0];
  return target;
}

function violations(layer: string, files: readonly string[]): string[] {
  const rank = LAYERS.indexOf(layer as (typeof LAYERS)[number]);
  const found: string[] = [];
  for (const f of files) {
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      const target = layerOf(spec, f);
      if (target === undefined || target === layer) continue;
      const t = LAYERS.indexOf(target as (typeof LAYERS)[number]);
      if (t < 0) {
        // Tests may use the docs' test tooling (it runs doc examples); sources may not.
        if (target === 'docs' && !relative(root, f).split(sep).includes('test')) found.push(`${relative(root, f)} imports ${spec} (the docs are not a library)`);
        continue;
      }
      if (t > rank) found.push(`${relative(root, f)} imports ${spec}: ${layer} must not import the higher layer ${target}`);
      if (spec.startsWith('.')) found.push(`${relative(root, f)} reaches into ${target} by a relative path (${spec}); import @mnemo/${target}`);
    }
  }
  return found;
}

describe('layering: a lower layer never imports a higher one', () => {
  it.each(LAYERS)('%s imports only layers below it (sources and tests)', (layer) => {
    // This file spells upward imports inside strings for the teeth test below: skip it.
    const files = filesUnder(join(root, layer, 'src'))
      .concat(filesUnder(join(root, layer, 'test')))
      .filter((f) => !f.endsWith('layering.test.ts'));
    expect(files.length).toBeGreaterThan(0);
    expect(violations(layer, files)).toEqual([]);
  });

  it.each(LAYERS)("%s's package.json depends only on layers below it", (layer) => {
    const pkg = JSON.parse(readFileSync(join(root, layer, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const deps = Object.keys(pkg.dependencies ?? {})
      .filter((d) => d.startsWith('@mnemo/') || d === 'mnemo')
      .map((d) => d.replace(/^@mnemo\//, ''));
    for (const d of deps) expect(LAYERS.indexOf(d as (typeof LAYERS)[number]), `${layer} depends on ${d}`).toBeLessThan(LAYERS.indexOf(layer));
  });

  it('the check has teeth: an upward import is reported', () => {
    const dir = join(root, 'core', 'test');
    const probe = join(dir, 'layering.test.ts');
    // This very file names @mnemo packages only inside strings, so check a synthetic text instead.
    const fake = `import { lstmCell } from '@mnemo/nn';\nexport * from "../../models/src/index.js";\n`;
    const specs = importsOf(fake);
    expect(specs).toEqual(['@mnemo/nn', '../../models/src/index.js']);
    expect(layerOf(specs[0]!, probe)).toBe('nn');
    expect(layerOf(specs[1]!, probe)).toBe('models');
    const tmp = join(mkdtempSync(join(tmpdir(), 'mnemo-layering-')), 'upward.ts');
    writeFileSync(tmp, fake);
    expect(violations('core', [tmp])).toEqual([expect.stringContaining('core must not import the higher layer nn')]);
    expect(violations('models', [tmp])).toEqual([]);
  });
});
