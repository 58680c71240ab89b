import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFiles } from './files.ts';
import { afterEach, describe, expect, test } from 'vitest';
import { extractProject } from '../schema/extract.ts';
import { serializeSnapshot } from '../schema/snapshot.ts';

const TSCONFIG = JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true }, include: ['src'] });
const A = `export interface Item {\n  id: number;\n}\nlet items: Item[] = [];\nexport class Box {\n  #open = false;\n  constructor(public size: number) {}\n}\n`;

let root: string | undefined;
afterEach(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function project(files: Record<string, string>, { installed = true } = {}): string {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-plan-cache-')));
  writeFiles(root, { 'tsconfig.json': TSCONFIG, ...files });
  if (installed) mkdirSync(path.join(root, 'node_modules'));
  return root;
}

const cacheFile = (dir: string): string => path.join(dir, 'node_modules', '.cache', 'hotstate', 'modules.json');
const snapshot = (dir: string, cache = true): string => serializeSnapshot(extractProject({ root: dir, cache }).state);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface CacheFile {
  format: string;
  code: string;
  modules: Record<string, { text: string; plan: unknown }>;
}
const readCache = (dir: string): CacheFile => JSON.parse(readFileSync(cacheFile(dir), 'utf8')) as CacheFile;
const writeCache = (dir: string, data: CacheFile): void => writeFileSync(cacheFile(dir), JSON.stringify(data));

describe('the per-module cache of what the analysis finds (node_modules/.cache/hotstate)', () => {
  test('a run with the cache reads the same state as one without it', () => {
    const dir = project({ 'src/a.ts': A, 'src/b.ts': `import type { Item } from './a.ts';\nvar seen: Item | undefined;\n` });
    const fresh = snapshot(dir, false);
    expect(existsSync(cacheFile(dir))).toBe(false);
    expect(snapshot(dir)).toBe(fresh); // writes the cache
    expect(Object.keys(readCache(dir).modules).sort()).toEqual(['src/a.ts', 'src/b.ts']);
    expect(snapshot(dir)).toBe(fresh); // reads it
  });

  test('is used for an unchanged module: its entry stands for that exact text and code', () => {
    const dir = project({ 'src/a.ts': A });
    snapshot(dir);
    const cache = readCache(dir);
    expect(cache.modules['src/a.ts']!.text).toBe(sha256(A));
    // An entry that says the module has no state, for the module's current text: it is believed.
    cache.modules['src/a.ts']!.plan = { bindings: [], classes: [], annotations: { bindings: [], fields: [] } };
    writeCache(dir, cache);
    expect(extractProject({ root: dir, cache: true }).state.modules['src/a.ts']).toEqual({ bindings: {}, classes: {} });
  });

  test('a stale entry cannot hide a change: a new text, or other hotstate code, gets a new plan', () => {
    const dir = project({ 'src/a.ts': A });
    snapshot(dir);
    const empty = { bindings: [], classes: [], annotations: { bindings: [], fields: [] } };

    // The text changed since the entry was written (the entry is for the old text).
    const cache = readCache(dir);
    cache.modules['src/a.ts']!.plan = empty;
    writeCache(dir, cache);
    writeFileSync(path.join(dir, 'src/a.ts'), `${A}let added = 0;\n`);
    const state = extractProject({ root: dir, cache: true }).state.modules['src/a.ts']!;
    expect(Object.keys(state.bindings).sort()).toEqual(['added', 'items']);
    expect(Object.keys(state.classes.Box!).sort()).toEqual(['#open', 'size']);
    expect(readCache(dir).modules['src/a.ts']!.text).toBe(sha256(`${A}let added = 0;\n`));

    // The same text, but the entry was written by other code (another hotstate or oxc-parser).
    const other = readCache(dir);
    other.code = sha256('another version');
    other.modules['src/a.ts']!.plan = empty;
    writeCache(dir, other);
    expect(Object.keys(extractProject({ root: dir, cache: true }).state.modules['src/a.ts']!.bindings).sort()).toEqual(['added', 'items']);
    expect(readCache(dir).code).not.toBe(other.code);
  });

  test('an unreadable cache is ignored and written again', () => {
    const dir = project({ 'src/a.ts': A });
    const fresh = snapshot(dir, false);
    mkdirSync(path.dirname(cacheFile(dir)), { recursive: true });
    writeFileSync(cacheFile(dir), '{"format": "hotstate-modules/1", "modu');
    expect(snapshot(dir)).toBe(fresh);
    expect(readCache(dir).modules['src/a.ts']!.text).toBe(sha256(A));
    // Entries of the wrong shape are dropped one by one.
    writeCache(dir, { ...readCache(dir), modules: { 'src/a.ts': { text: sha256(A), plan: { bindings: 'none' } } } });
    expect(snapshot(dir)).toBe(fresh);
  });

  test('modules that are gone leave the cache; without node_modules there is none', () => {
    const dir = project({ 'src/a.ts': A, 'src/b.ts': 'let b = 1;\n' });
    snapshot(dir);
    rmSync(path.join(dir, 'src/b.ts'));
    snapshot(dir);
    expect(Object.keys(readCache(dir).modules)).toEqual(['src/a.ts']);

    const bare = project({ 'src/a.ts': A }, { installed: false });
    snapshot(bare);
    expect(existsSync(path.join(bare, 'node_modules'))).toBe(false);
  });
});
