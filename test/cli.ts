import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFiles } from './files.ts';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';

/**
 * The `hotstate` CLI as users run it: compiled to JavaScript, started as a subprocess in a
 * project folder that is a git repository.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Inside the checkout, so the compiled CLI finds its dependencies in the checkout's node_modules;
 * one folder per test process, so that two test runs never share a build.
 */
const BUILD = path.join(ROOT, 'node_modules', '.cache', `hotstate-cli-test-${process.pid}`);
export const CLI = path.join(BUILD, 'cli', 'bin.js');

/** Compiles the package (once per test run) with the same config as `npm run build`. */
export function buildCli(): void {
  rmSync(BUILD, { recursive: true, force: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', BUILD, '--sourceMap', 'false', '--declaration', 'false', '--isolatedDeclarations', 'false'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  if (!existsSync(CLI)) throw new Error(`the build did not write ${CLI}`);
}

export function removeCliBuild(): void {
  rmSync(BUILD, { recursive: true, force: true });
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Repo {
  root: string;
  write(files: Record<string, string>): void;
  read(file: string): string;
  commit(message: string): void;
  /** Runs git in the repository. */
  git(...args: string[]): void;
  hotstate(args: string[], env?: Record<string, string>): Run;
  remove(): void;
}

const TSCONFIG = JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, allowImportingTsExtensions: true }, include: ['src', 'hotstate'] }, null, 2);

export function repo(files: Record<string, string>): Repo {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-cli-')));
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.name=hotstate test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: root, stdio: 'pipe' });
  };
  const write = (more: Record<string, string>): void => writeFiles(root, more);
  git('init', '-q', '-b', 'main');
  write({ 'tsconfig.json': TSCONFIG, ...files });
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return {
    root,
    write,
    read: (file) => readFileSync(path.join(root, file), 'utf8'),
    git,
    commit(message) {
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
    },
    hotstate(args, env = {}) {
      const result = spawnSync(process.execPath, [CLI, ...args], {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, ...env },
      });
      return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * For a test file that runs the built CLI: builds it once for the file and removes it after, and
 * removes every repository a test made with `repo` when that test ends.
 */
export function cliTests(): { repo: typeof repo } {
  const made: Repo[] = [];
  beforeAll(() => buildCli(), 120_000);
  afterAll(() => removeCliBuild());
  afterEach(() => {
    for (const created of made.splice(0)) created.remove();
  });
  return {
    repo: (files) => {
      const created = repo(files);
      made.push(created);
      return created;
    },
  };
}
