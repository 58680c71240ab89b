import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { readTree } from './files.ts';
import { fileURLToPath } from 'node:url';
import { parseSync } from 'oxc-parser';
import { SourceMapConsumer } from 'source-map-js';
import { describe, expect, test } from 'vitest';
import { cliTests, type Repo } from './cli.ts';

/** `hotstate instrument` on what the repository's tsc emits, run as users run it. */

const TSC = path.join(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'node_modules', 'typescript', 'bin', 'tsc');

const cli = cliTests();
let project: Repo | undefined;

const COUNTER = `export interface Item {
  id: number;
  title: string;
}

type Total = number;

let count = 0;
let total: Total = 0;
export let items: Item[] = [];

export function bump(): number {
  count += 1;
  total += 1;
  console.log('bump-marker', total);
  return count;
}
`;

const FILES = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, sourceMap: true, outDir: 'dist', rootDir: 'src' }, include: ['src'] }),
  'src/counter.ts': COUNTER,
  'src/main.ts': `import { bump } from './counter.js';\n\nexport class App {\n  clicks: number = 0;\n  click(): number {\n    this.clicks += 1;\n    return bump();\n  }\n}\n`,
  'src/legacy.ts': `// @hotstate ignore\nexport let untouched: number = 1;\n`,
};

/** A project compiled by tsc (`sourceMap: true`) into dist/. */
function compiled(): Repo {
  project = cli.repo(FILES);
  execFileSync(process.execPath, [TSC, '-p', path.join(project.root, 'tsconfig.json')], { cwd: project.root, stdio: 'pipe' });
  return project;
}

/** 1-based line and 0-based column of the first occurrence of `needle`. */
function position(code: string, needle: string): { line: number; column: number } {
  const at = code.indexOf(needle);
  expect(at).toBeGreaterThanOrEqual(0);
  const before = code.slice(0, at).split('\n');
  return { line: before.length, column: before.at(-1)!.length };
}

describe('hotstate instrument', () => {
  test('instruments tsc output in place, chains its source maps, and a second run changes no byte', () => {
    const p = compiled();
    const run = p.hotstate(['instrument', 'dist']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('instrumented 2 files, skipped 1\n');
    expect(run.status).toBe(0);

    for (const file of ['dist/counter.js', 'dist/main.js']) {
      const code = p.read(file);
      expect(parseSync(file, code).errors).toEqual([]);
      expect(code).toMatch(/^import \{ __hotstate as \w+ \} from "hotstate\/runtime";/);
      expect(code).toContain(`"id":"${file}"`);
      expect(code.trimEnd().split('\n').at(-1)).toBe(`//# sourceMappingURL=${path.basename(file)}.map`);
      expect(code.match(/sourceMappingURL/g)).toHaveLength(1);
    }
    expect(p.read('dist/legacy.js')).not.toContain('hotstate/runtime');
    // The declared types come from the TypeScript source the map names (the JavaScript has none),
    // with its line numbers: \`let total: Total\` is line 9 of src/counter.ts.
    expect(p.read('dist/counter.js')).toContain('["total",0,9,"Total"');
    expect(p.read('dist/main.js')).toContain('["clicks",0,4,"number"');

    // The chained map goes from the instrumented code back to the TypeScript source.
    const code = p.read('dist/counter.js');
    const map = JSON.parse(p.read('dist/counter.js.map'));
    expect(map.sources).toEqual(['../src/counter.ts']);
    const consumer = new SourceMapConsumer(map);
    const generated = position(code, "'bump-marker'");
    const original = consumer.originalPositionFor(generated);
    expect(original.source).toMatch(/src\/counter\.ts$/);
    expect({ line: original.line, column: original.column }).toEqual(position(COUNTER, "'bump-marker'"));
    const click = new SourceMapConsumer(JSON.parse(p.read('dist/main.js.map'))).originalPositionFor(position(p.read('dist/main.js'), 'click()'));
    expect(click.line).toBe(5);

    const before = readTree(path.join(p.root, 'dist'));
    const again = p.hotstate(['instrument', 'dist']);
    expect(again.stdout).toBe('instrumented 0 files, skipped 3\n');
    expect(again.status).toBe(0);
    expect(readTree(path.join(p.root, 'dist'))).toEqual(before);
  }, 60_000);

  test('--out-dir leaves the input untouched; --runtime, --root and --on-incompatible reach the code', () => {
    const p = compiled();
    const input = readTree(path.join(p.root, 'dist'));
    const run = p.hotstate(['instrument', 'dist', '--out-dir', 'out', '--runtime', '@acme/rt', '--root', 'dist', '--on-incompatible', 'reject']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('instrumented 2 files, skipped 1\n');
    expect(run.status).toBe(0);
    expect(readTree(path.join(p.root, 'dist'))).toEqual(input);

    const code = p.read('out/counter.js');
    expect(code).toContain('from "@acme/rt"');
    expect(code).toContain('"id":"counter.js"');
    expect(code).toContain('"onIncompatible":"reject"');
    expect(p.read('out/legacy.js')).toBe(p.read('dist/legacy.js'));
    const map = JSON.parse(p.read('out/counter.js.map'));
    expect(map.sources.map((source: string) => path.resolve(p.root, 'out', source))).toEqual([path.join(p.root, 'src/counter.ts')]);
    const original = new SourceMapConsumer(map).originalPositionFor(position(code, "'bump-marker'"));
    expect(original.line).toBe(position(COUNTER, "'bump-marker'").line);

    // Running it again into the same folder writes the same bytes.
    const out = readTree(path.join(p.root, 'out'));
    p.hotstate(['instrument', 'dist', '--out-dir', 'out', '--runtime', '@acme/rt', '--root', 'dist', '--on-incompatible', 'reject']);
    expect(readTree(path.join(p.root, 'out'))).toEqual(out);
  }, 60_000);

  test('chains an inline source map, and skips node_modules', () => {
    const p = compiled();
    const inner = { version: 3, sources: ['../src/tiny.ts'], names: [], mappings: 'AAAA;AACA' };
    p.write({
      'dist/tiny.mjs': `let n = 1;\nexport const read = () => n;\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(inner)).toString('base64')}\n`,
      'dist/node_modules/dep/index.js': 'export let x = 1;\n',
      'dist/bin.js': '#!/usr/bin/env node\nlet runs = 0;\nexport const run = () => ++runs;\n',
    });
    const run = p.hotstate(['instrument', 'dist']);
    expect(run.stdout).toBe('instrumented 4 files, skipped 1\n');
    expect(p.read('dist/bin.js')).toMatch(/^#!\/usr\/bin\/env node\nimport \{ __hotstate as /);
    const before = readTree(path.join(p.root, 'dist'));
    expect(p.hotstate(['instrument', 'dist']).stdout).toBe('instrumented 0 files, skipped 5\n');
    expect(readTree(path.join(p.root, 'dist'))).toEqual(before);
    expect(p.read('dist/node_modules/dep/index.js')).toBe('export let x = 1;\n');
    const code = p.read('dist/tiny.mjs');
    expect(code).not.toContain('data:application/json');
    const map = JSON.parse(p.read('dist/tiny.mjs.map'));
    expect(map.sources).toEqual(['../src/tiny.ts']);
    expect(new SourceMapConsumer(map).originalPositionFor(position(code, 'export const read')).line).toBe(2);
  }, 60_000);

  test('a file that does not parse is named with line and column; the others are still written', () => {
    const p = compiled();
    p.write({ 'dist/broken.js': 'export let a = 1;\nexport const b = ;\n' });
    const run = p.hotstate(['instrument', 'dist']);
    expect(run.stderr).toContain(`syntax error at ${path.join('dist', 'broken.js')}:2:18`);
    expect(run.stdout).toBe('instrumented 2 files, skipped 1, failed 1\n');
    expect(run.status).toBe(1);
    expect(p.read('dist/broken.js')).toBe('export let a = 1;\nexport const b = ;\n');
    expect(p.read('dist/counter.js')).toContain('hotstate/runtime');
  }, 60_000);

  test('CommonJS output is refused with what to do; ES modules next to it are still instrumented', () => {
    const p = compiled();
    // A dynamic import() is not module syntax: this is still CommonJS.
    const cjs = '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.n = void 0;\nexports.n = 1;\nexports.load = () =>\n  import("./counter.js");\n';
    p.write({ 'dist/old-cjs.js': cjs });
    const run = p.hotstate(['instrument', 'dist']);
    expect(run.stderr).toContain(`${path.join('dist', 'old-cjs.js')}: this is CommonJS`);
    expect(run.stderr).toContain('"module": "esnext"');
    expect(run.stdout).toBe('instrumented 2 files, skipped 1, failed 1\n');
    expect(run.status).toBe(1);
    expect(p.read('dist/old-cjs.js')).toBe(cjs);
    expect(p.read('dist/counter.js')).toContain('hotstate/runtime');
  }, 60_000);

  test('usage: --help, a missing folder, a bad option', () => {
    project = cli.repo({});
    const help = project.hotstate(['instrument', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: hotstate instrument [options] <dir>');
    expect(project.hotstate(['--help']).stdout).toContain('instrument');
    for (const args of [[], ['nope'], ['.', '--on-incompatible', 'maybe'], ['.', '--frobnicate']]) {
      const run = project.hotstate(['instrument', ...args]);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^hotstate: /);
    }
  }, 60_000);
});
