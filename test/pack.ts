import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';

export { writeFiles } from './files.ts';

/**
 * The package as a user gets it: `npm pack` of this repository (with `dist/` built as `prepack` does),
 * installed with `npm install` into fresh app folders in a temporary directory. One pack per test
 * file; the temporary directory is removed after the file's tests.
 */

export const REPO = path.resolve(import.meta.dirname, '..');

export interface Packed {
  /** The temporary directory: the tarball and the app folders are in it. */
  work: string;
  /** The tarball's absolute path. */
  tarball: string;
  /** The files the tarball ships, relative to the package root (`dist/plugin/vite.js`…). */
  files: string[];
}

let packed: Packed | undefined;
// Registered as this module loads, so in the importing test file's root suite.
afterAll(() => {
  if (packed !== undefined) rmSync(packed.work, { recursive: true, force: true });
});

/**
 * Packs the repository (once per test file) into a fresh temporary directory. The package is
 * staged there (what `files` ships, with `dist/` built as `prepack` builds it), so that test files
 * packing at the same time never share the repository's `dist/`.
 */
export function pack(): Packed {
  if (packed !== undefined) return packed;
  const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-pack-')));
  let out: string;
  try {
    const stage = path.join(work, 'package');
    const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { files: string[] };
    mkdirSync(stage);
    for (const file of ['package.json', ...manifest.files.filter((f) => f !== 'dist')]) cpSync(path.join(REPO, file), path.join(stage, file));
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')], { cwd: REPO, stdio: 'pipe' });
    out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  const result = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = { work, tarball: path.join(work, result[0]!.filename), files: result[0]!.files.map((f) => f.path) };
  return packed;
}

/** The version of a package installed in this repository's node_modules (to install the same one in an app). */
export function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--loglevel=error'];

/** Creates `<work>/<name>` with a package.json (`"type": "module"` unless given) for {@link installApp}. */
function createApp(name: string, packageJson: Record<string, unknown>): { app: string; tarball: string } {
  const { work, tarball } = pack();
  const app = path.join(work, name);
  mkdirSync(app, { recursive: true });
  writeFileSync(path.join(app, 'package.json'), `${JSON.stringify({ name, private: true, type: 'module', ...packageJson }, null, 2)}\n`);
  return { app, tarball };
}

/**
 * A fresh app folder `<work>/<name>` with the packed hotstate and `dependencies` (pinned
 * `name@version` specs) installed from the registry. Returns the folder.
 */
export function installApp(name: string, dependencies: string[], packageJson: Record<string, unknown> = {}): string {
  const { app, tarball } = createApp(name, packageJson);
  execFileSync('npm', [...NPM_INSTALL, tarball, ...dependencies], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return app;
}

/** {@link installApp} without blocking: several apps install at once (the time is mostly the network's). */
export async function installAppAsync(name: string, dependencies: string[], packageJson: Record<string, unknown> = {}): Promise<string> {
  const { app, tarball } = createApp(name, packageJson);
  await promisify(execFile)('npm', [...NPM_INSTALL, tarball, ...dependencies], { cwd: app, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return app;
}
