/**
 * A scratch project that installs mnemo's packed tarballs offline: its
 * package.json names the tarballs, and its package-lock.json pins every
 * third-party package they need at the version and integrity of the
 * repository's own lockfile, so that `npm ci --offline` takes them from the
 * npm cache that the repository's `npm ci` filled, and never asks a registry
 * about anything (the mnemo packages least of all).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of a package-lock.json's `packages`. */
interface LockEntry {
  readonly version?: string;
  readonly resolved?: string;
  readonly integrity?: string;
  readonly link?: boolean;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly peer?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly [key: string]: unknown;
}

/** A workspace to pack: its folder in the repository and its package.json. */
export interface Workspace {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly dependencies: Record<string, string>;
  readonly bin?: Record<string, string>;
}

/** Whether a package name is one of mnemo's own (packed, never fetched). */
export const isMnemo = (name: string): boolean => name === 'mnemo' || name.startsWith('@mnemo/');

/**
 * The package-lock.json of a scratch project whose dependencies are the
 * tarballs `tarballs` (workspace name -> path relative to the scratch
 * project), plus `extra` third-party packages (for example `@types/node`):
 * each third-party package needed is copied from the repository's lockfile,
 * at the place npm put it there (a package nested under a workspace moves
 * under that package's folder in node_modules).
 */
export function scratchLock(root: string, workspaces: readonly Workspace[], tarballs: ReadonlyMap<string, string>, extra: readonly string[]): object {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const entries = lock.packages;
  const out: Record<string, LockEntry> = {};
  const byName = new Map(workspaces.map((w) => [w.name, w]));

  /** The lockfile key that `name` resolves to from the package at `from` (node's lookup: nearest node_modules first). */
  const resolve = (from: string, name: string): string | undefined => {
    let dir = from;
    for (;;) {
      const key = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      if (entries[key] !== undefined) return key;
      if (dir === '') return undefined;
      const cut = dir.lastIndexOf('/node_modules/');
      dir = cut < 0 ? '' : dir.slice(0, cut);
    }
  };
  /** Where a repository lockfile key lands in the scratch project. */
  const place = (key: string): string => {
    const w = workspaces.find((ws) => key.startsWith(`${ws.dir}/node_modules/`));
    return w ? `node_modules/${w.name}/${key.slice(w.dir.length + 1)}` : key;
  };
  const visit = (from: string, deps: Record<string, string>, optional: boolean): void => {
    for (const name of Object.keys(deps)) {
      if (isMnemo(name)) continue;
      const key = resolve(from, name);
      if (key === undefined) {
        if (optional) continue;
        throw new Error(`package-lock.json has no entry for ${name}, needed by ${from || 'the scratch project'}`);
      }
      const at = place(key);
      if (out[at] !== undefined) continue;
      const e = entries[key]!;
      if (e.link) throw new Error(`${name} is a link in package-lock.json; only registry packages can be copied`);
      const { dev: _dev, peer: _peer, ...kept } = e;
      out[at] = kept;
      visit(key, e.dependencies ?? {}, optional);
      visit(key, e.optionalDependencies ?? {}, true);
      const peers = Object.fromEntries(Object.entries(e.peerDependencies ?? {}).filter(([p]) => !e.peerDependenciesMeta?.[p]?.optional));
      visit(key, peers, optional);
    }
  };

  const rootDeps: Record<string, string> = {};
  for (const [name, file] of tarballs) {
    const w = byName.get(name);
    if (w === undefined) throw new Error(`no workspace is named ${name}`);
    rootDeps[name] = `file:${file}`;
    out[`node_modules/${name}`] = { version: w.version, resolved: `file:${file}`, dependencies: w.dependencies, ...(w.bin ? { bin: w.bin } : {}) };
    visit(w.dir, w.dependencies, false);
  }
  const devDeps: Record<string, string> = {};
  for (const name of extra) {
    const key = resolve('', name);
    if (key === undefined) throw new Error(`package-lock.json has no entry for ${name}`);
    devDeps[name] = entries[key]!.version!;
    visit('', { [name]: devDeps[name]! }, false);
  }
  return {
    name: 'mnemo-scratch',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'mnemo-scratch', version: '1.0.0', dependencies: rootDeps, devDependencies: devDeps }, ...sortKeys(out) },
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]));
}
