import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFiles } from './files.ts';
import { SourceMapConsumer } from 'source-map-js';
import ts from 'typescript';
import ts59 from 'typescript-5.9';
import { afterEach, describe, expect, test } from 'vitest';
import hotstateTsPatch, { factory, hotstateTransformer, TSC_DIAGNOSTICS } from '../plugin/tsc.ts';

/**
 * `hotstate/tsc` inside the real TypeScript compilers (6.0 and 5.9, each the host's own copy):
 * `program.emit` with custom transformers, `ts.transpileModule`, the ts-patch and ts-jest entry
 * points, diagnostics and source maps. What the emitted code does is the scenario table's job
 * (tsc-host.test.ts); the packaged hosts are in tsc-hosts.test.ts.
 */

const require = createRequire(import.meta.url);

const TYPES = `export interface Task {\n  title: string;\n}\n`;
const APP = `// The app's state.
import type { Task } from './types';
import { Shape } from './shape';

export let count: number = 0;
export let tasks: Task[] = [];

export function inc(by: number = 1): number {
  count += by;
  return count;
}

export class Box {
  size: number = 1;
  #secret = 'kept';
  area(): number {
    return this.size * Shape.unit;
  }
}
`;
const SHAPE = `export class Shape {\n  static unit = 2;\n}\n`;

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function project(files: Record<string, string>): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-tsc-')));
  dirs.push(root);
  writeFiles(root, files);
  return root;
}

/** Emits every file of a program with the transformer; returns the written files by path relative to `root`. */
function emit(host: typeof ts, root: string, files: string[], options: ts.CompilerOptions) {
  const program = host.createProgram(
    files.map((f) => path.join(root, f)),
    { target: host.ScriptTarget.ES2022, module: host.ModuleKind.ESNext, moduleResolution: host.ModuleResolutionKind.Bundler, strict: true, outDir: path.join(root, 'dist'), rootDir: root, ...options },
  );
  const written = new Map<string, string>();
  const diagnostics: ts.Diagnostic[] = [];
  const result = program.emit(undefined, (file, text) => written.set(path.relative(root, file), text), undefined, false, {
    before: [hotstateTransformer({ ts: host, program, root, onDiagnostic: (d) => diagnostics.push(d) })],
  });
  return { written, diagnostics: [...result.diagnostics, ...diagnostics], program };
}

const line = (text: string, needle: string): { line: number; column: number } => {
  const at = text.indexOf(needle);
  expect(at, needle).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before.at(-1)!.length };
};

for (const host of [ts, ts59 as unknown as typeof ts]) {
  describe(`hotstate/tsc in TypeScript ${host.version}`, () => {
    test('program.emit instruments each module, elides type-only imports, and maps back to the TypeScript', () => {
      const root = project({ 'src/types.ts': TYPES, 'src/shape.ts': SHAPE, 'src/app.ts': APP });
      const { written, diagnostics } = emit(host, root, ['src/app.ts', 'src/types.ts', 'src/shape.ts'], { sourceMap: true });
      expect(diagnostics).toEqual([]);
      const app = written.get('dist/src/app.js')!;
      expect(app).toMatch(/^import \{ __hotstate as /);
      expect(app).toContain('"id": "src/app.ts"');
      // The schema keeps the declared types, which only the TypeScript has.
      expect(app).toContain('\\"count\\",0,5,\\"number\\"');
      expect(app).not.toMatch(/from '\.\/types'/);
      expect(app).toContain(`import { Shape } from './shape';`);
      expect(app).not.toMatch(/: number|: Task/);
      // Comments and literals come from the original text.
      expect(app).toContain(`#secret = 'kept';`);
      expect(written.get('dist/src/types.js')).toMatch(/^import \{ __hotstate as /);

      const map = new SourceMapConsumer(JSON.parse(written.get('dist/src/app.js.map')!));
      expect(map.sources).toEqual(['../../src/app.ts']);
      for (const needle of ['count.v += by', 'return this.size', 'export class Box', 'Shape.unit']) {
        const at = line(app, needle);
        const original = map.originalPositionFor({ line: at.line, column: at.column });
        const expected = line(APP, needle.replace('count.v', 'count'));
        expect({ needle, line: original.line, column: original.column }).toEqual({ needle, ...expected });
      }
    });

    test('transpileModule: the same output, with the host\'s target and helpers', () => {
      const out = host.transpileModule(APP, {
        fileName: '/p/src/app.ts',
        compilerOptions: { target: host.ScriptTarget.ES2017, module: host.ModuleKind.ESNext },
        reportDiagnostics: true,
        transformers: { before: [hotstateTransformer({ ts: host, root: '/p' })] },
      });
      expect(out.diagnostics).toEqual([]);
      expect(out.outputText).toMatch(/^import \{ __hotstate as /m);
      // ES2017 has no class fields and no #private: the host downlevels them, instrumented code included.
      expect(out.outputText).not.toMatch(/^\s*#secret = |static \{/m);
      expect(out.outputText).toContain('__classPrivateFieldGet');
    });

    test('CommonJS output is an error diagnostic naming the file and what to do; the file is emitted as without hotstate', () => {
      const root = project({ 'src/shape.ts': SHAPE });
      const { written, diagnostics } = emit(host, root, ['src/shape.ts'], { module: host.ModuleKind.CommonJS, moduleResolution: host.ModuleResolutionKind.Node10 });
      expect(diagnostics).toHaveLength(1);
      const [diagnostic] = diagnostics;
      expect(diagnostic).toMatchObject({ code: TSC_DIAGNOSTICS.commonJs, category: host.DiagnosticCategory.Error });
      expect(diagnostic!.file?.fileName).toBe(path.join(root, 'src/shape.ts'));
      expect(host.flattenDiagnosticMessageText(diagnostic!.messageText, '\n')).toMatch(/emitted as CommonJS.*"module": "esnext".*@hotstate ignore/);
      expect(written.get('dist/src/shape.js')).not.toContain('__hotstate');
    });

    test('a pattern hotstate does not upgrade is a warning at its line; a syntax error is reported once, by TypeScript', () => {
      const source = `export class Store {\n  accessor size = 1;\n}\n`;
      const reported: ts.Diagnostic[] = [];
      const onDiagnostic = (d: ts.Diagnostic) => reported.push(d);
      host.transpileModule(source, {
        fileName: '/p/src/store.ts',
        compilerOptions: { target: host.ScriptTarget.ES2022, module: host.ModuleKind.ESNext },
        transformers: { before: [hotstateTransformer({ ts: host, root: '/p', onDiagnostic })] },
      });
      const warnings = reported.filter((d) => d.code === TSC_DIAGNOSTICS.unsupported);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ category: host.DiagnosticCategory.Warning, start: source.indexOf('accessor') });
      expect(host.flattenDiagnosticMessageText(warnings[0]!.messageText, '\n')).toMatch(/`accessor` fields/);

      const broken = host.transpileModule(`export let n = ;\n`, {
        fileName: '/p/src/broken.ts',
        compilerOptions: { module: host.ModuleKind.ESNext },
        reportDiagnostics: true,
        transformers: { before: [hotstateTransformer({ ts: host, root: '/p', onDiagnostic })] },
      });
      expect(broken.diagnostics!.map((d) => d.code)).toEqual([1109]);
      expect(reported).toHaveLength(1);
    });

    test('files whose emit needs the checker (enums, namespaces) are compiled first, and come out right', () => {
      const out = host.transpileModule(`export enum Color { Red, Green }\nexport namespace Paint { export const mix = (c: Color) => c + 1; }\nexport let last: Color = Color.Green;\n`, {
        fileName: '/p/src/enum.ts',
        compilerOptions: { target: host.ScriptTarget.ES2022, module: host.ModuleKind.ESNext },
        transformers: { before: [hotstateTransformer({ ts: host, root: '/p', onDiagnostic: (d) => { throw new Error(String(d.messageText)); } })] },
      }).outputText;
      expect(out).toContain('Color[Color["Green"] = 1] = "Green"');
      expect(out).toMatch(/Paint\.mix = /);
      expect(out).toMatch(/^import \{ __hotstate as /m);
    });

    test('type-only exports and imports are left out, also next to exported state', () => {
      const out = host.transpileModule(
        `import type { X } from './x';\nimport { type Y, z } from './y';\nexport type { X };\ninterface Shape { n: number }\nexport let count: number = z;\nexport { type Y };\nlet local: Shape = { n: 1 };\nexport { local, Shape };\n`,
        {
          fileName: '/p/src/types.ts',
          compilerOptions: { target: host.ScriptTarget.ES2022, module: host.ModuleKind.ESNext },
          transformers: { before: [hotstateTransformer({ ts: host, root: '/p', onDiagnostic: (d) => { throw new Error(String(d.messageText)); } })] },
        },
      ).outputText;
      expect(out).not.toMatch(/(import|export) [^;]*\b(X|Y|Shape)\b/);
      expect(out).not.toMatch(/interface/);
      expect(out).toMatch(/import \{ z \} from '\.\/y';/);
      expect(out).toMatch(/export \{ __hs\w* as count \}/);
      expect(out).toMatch(/export \{ __hs\w* as local \}/);
    });

    test('import x = require() comes out as the host writes it (preserve, nodenext), and lone \\r or U+2028 line breaks keep the placement', () => {
      const compile = (fileName: string, code: string, module: ts.ModuleKind) =>
        host.transpileModule(code, {
          fileName,
          compilerOptions: { target: host.ScriptTarget.ES2022, module },
          transformers: { before: [hotstateTransformer({ ts: host, root: '/p', onDiagnostic: (d) => { throw new Error(String(d.messageText)); } })] },
        }).outputText;
      const source = `import fs = require('fs');\nexport let n: number = fs.constants.F_OK;\n`;
      expect(compile('/p/src/a.ts', source, host.ModuleKind.Preserve)).toContain('const fs = require("fs");');
      const node = compile('/p/src/a.mts', source, host.ModuleKind.NodeNext);
      expect(node).toMatch(/createRequire/);
      expect(node).toContain('const fs = __require("fs");');

      // TypeScript starts a new line at U+2028 and at a lone \r: every later node still finds its original.
      for (const brk of ['\u2028', '\r']) {
        const out = compile('/p/src/b.ts', `/* a note${brk} on two lines */\nexport let size: number = 1; // the size\nexport const label = 'big';\n`, host.ModuleKind.ESNext);
        expect(out).toContain(`'big'`);
      }
    });

    test('the ts-patch entry reads its options from the plugins entry; the ts-jest entry takes the compiler ts-jest loaded', () => {
      const root = project({ 'src/shape.ts': SHAPE });
      const program = host.createProgram([path.join(root, 'src/shape.ts')], { module: host.ModuleKind.ESNext, target: host.ScriptTarget.ES2022 });
      const outputs: string[] = [];
      const emitWith = (before: ts.TransformerFactory<ts.SourceFile>) => program.emit(undefined, (_f, text) => outputs.push(text), undefined, false, { before: [before] });
      emitWith(hotstateTsPatch(program, { transform: 'hotstate/tsc', onIncompatible: 'reject', root }, { ts: host }));
      expect(outputs.pop()).toContain('"id": "src/shape.ts", "schema"');
      expect(() => hotstateTsPatch(program, { onIncompatible: 'never' }, { ts: host })).toThrow(/"hotstate\/tsc" entry of compilerOptions\.plugins: "onIncompatible" must be reset, reject or keep/);
      expect(() => hotstateTsPatch(program, {}, {})).toThrow(/needs ts-patch 3 or later.*tspc/);
      emitWith(factory({ configSet: { compilerModule: host }, program }, { root }));
      expect(outputs.pop()).toMatch(/^import \{ __hotstate as /);
    });
  });
}

test('hotstate/tsc never loads a TypeScript of its own: nothing it imports at run time is typescript', () => {
  const seen = new Set<string>();
  const runtimeImports: string[] = [];
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, typeOnly, specifier] of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[\w$*\s,]|\{[^}]*\})*?from\s*'([^']+)'/gm)) {
      if (specifier!.startsWith('.')) walk(path.resolve(path.dirname(file), specifier!));
      else if (typeOnly === undefined) runtimeImports.push(specifier!);
    }
    for (const [, specifier] of text.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]/g)) runtimeImports.push(specifier!);
  };
  walk(path.resolve(import.meta.dirname, '../plugin/tsc.ts'));
  expect(seen.size).toBeGreaterThan(5);
  expect(runtimeImports.filter((specifier) => /typescript/.test(specifier))).toEqual([]);
});

describe('hotstate/tsc without a transformer API', () => {
  test('TypeScript 7 fails at once and names hotstate instrument', () => {
    const ts7 = require('typescript-7') as { version: string };
    expect(ts7.version).toMatch(/^7\./);
    expect(() => hotstateTransformer({ ts: ts7 as unknown as typeof ts })).toThrow(/TypeScript 7\.\d+\.\d+.*no transformer API.*npx hotstate instrument <outDir>/);
    expect(() => hotstateTsPatch(undefined as unknown as ts.Program, {}, { ts: ts7 as unknown as typeof ts })).toThrow(/hotstate instrument/);
  });

  test('a missing TypeScript module is a usage error', () => {
    expect(() => hotstateTransformer({} as never)).toThrow(/needs the TypeScript module your build compiles with/);
  });
});
