import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createTransformer, type TransformOptions, type TransformResult } from '../plugin/transform.ts';
import { scenarios } from './scenarios.ts';

/**
 * The incremental transform (a transformer that saw an earlier version of the module) must give
 * exactly what a fresh transform of the new source gives: code, schema, diagnostics, source map,
 * and the same error for a source that does not parse.
 */

const here = path.dirname(fileURLToPath(import.meta.url));

function filesUnder(dir: string): Array<[string, string]> {
  return readdirSync(dir).flatMap((name): Array<[string, string]> => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full);
    return /\.[jt]sx?$/.test(name) ? [[full, readFileSync(full, 'utf8')]] : [];
  });
}

/** ~30 lines of application code per block: classes with private members, state, arrows, types. */
const block = (i: number): string => `
export interface Item${i} { id: number; title: string; done: boolean }
export class Store${i} {
  items: Item${i}[] = [];
  #nextId = 1;
  static made = 0;
  add(title: string): Item${i} {
    const item: Item${i} = { id: this.#nextId++, title, done: false };
    this.items.push(item);
    return item;
  }
  get open(): number {
    return this.items.filter((x) => !x.done).length;
  }
}
let store${i}: Store${i} = new Store${i}();
export const format${i} = (item: Item${i}): string => \`\${item.id}. \${item.title}\`;
export function summary${i}(): string {
  return store${i}.items.map(format${i}).join('\\n') + ' (' + store${i}.open + ' open)';
}
`;

const generated = `let count: number = 0;\nexport function bump(): number {\n  count += 1;\n  return count;\n}\n${[0, 1, 2].map(block).join('')}`;

const modules: Array<[string, string]> = [
  ...filesUnder(path.join(here, 'fixtures')),
  ['/p/src/generated.ts', generated],
  ...scenarios.flatMap((scenario) => Object.entries(scenario.files).map(([file, code]): [string, string] => [`/p/${file}`, code])),
];

type Outcome = { result: TransformResult | null } | { error: string };

function run(transform: (code: string, options: TransformOptions) => TransformResult | null, code: string, options: TransformOptions): Outcome {
  try {
    return { result: transform(code, options) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** What must be equal: everything the transform returns. */
function comparable(outcome: Outcome): unknown {
  if ('error' in outcome) return outcome;
  const { result } = outcome;
  if (result === null) return null;
  return { code: result.code, schema: result.schema, diagnostics: result.diagnostics, map: JSON.parse(result.map.toString()) };
}

const optionsFor = (filename: string): TransformOptions => ({ id: path.basename(filename), filename });

/** Transforms `versions` in turn with one transformer, each compared with a fresh transform. */
function checkSequence(filename: string, versions: string[], options: TransformOptions = optionsFor(filename)): { incremental: number } {
  const transformer = createTransformer();
  for (const version of versions) {
    const incremental = run(transformer.transform, version, options);
    const fresh = run(createTransformer().transform, version, options);
    expect(comparable(incremental)).toEqual(comparable(fresh));
  }
  return { incremental: transformer.stats.incremental };
}

/** Snippets an edit inserts: tokens, whole lines, declarations, directives, trouble for ASI. */
const SNIPPETS = [
  'x', '1', ';', '\n', '}', '{', '(', ')', ' ', 'count', 'this', '.v', '+ 1', 'return 2;', '// note\n', '/* c */',
  '\nlet added = 1;\n', '\nexport function added() { return 1; }\n', '\nconst f2 = () => 2;\n', '\nclass Added { #p = 1; get p() { return this.#p; } }\n',
  '// @hotstate keep\n', '// @hotstate reset\n', '// @hotstate ignore\n', '\n(0)', '\n[1].length', '\nvar late = 2;', 'await 1;', '`t`', "'s'",
];

/** One edit: replace `[at, at + remove)` with a snippet or with a line copied from elsewhere in the module. */
const editArb = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.nat(12), snippet: fc.nat(SNIPPETS.length - 1), copyLine: fc.option(fc.double({ min: 0, max: 1, noNaN: true })) });

function applyEdit(code: string, edit: { at: number; remove: number; snippet: number; copyLine: number | null }): string {
  const at = Math.floor(edit.at * code.length);
  const lines = code.split('\n');
  const insert = edit.copyLine === null ? SNIPPETS[edit.snippet]! : `${lines[Math.floor(edit.copyLine * lines.length)] ?? ''}\n`;
  return code.slice(0, at) + insert + code.slice(Math.min(code.length, at + edit.remove));
}

/** An edit inside one line: what a developer mostly does (a function body, an initializer). */
function applyLineEdit(code: string, edit: { line: number; column: number; remove: number; snippet: number }): string {
  const lines = code.split('\n');
  const index = Math.floor(edit.line * lines.length) % lines.length;
  const text = lines[index]!;
  const column = Math.floor(edit.column * (text.length + 1));
  const snippet = SNIPPETS[edit.snippet]!.replace(/\n/g, ' ');
  lines[index] = text.slice(0, column) + snippet + text.slice(Math.min(text.length, column + edit.remove));
  return lines.join('\n');
}
const lineEditArb = fc.record({ line: fc.double({ min: 0, max: 1, noNaN: true }), column: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.nat(6), snippet: fc.nat(SNIPPETS.length - 1) });

/** A digit or a name changed into another one of the module: mostly edits inside one statement. */
function applyTokenEdit(code: string, edit: { which: number; other: number; digit: boolean }): string {
  const pattern = edit.digit ? /\d/g : /[A-Za-z_$][\w$]*/g;
  const found = [...code.matchAll(pattern)];
  if (found.length === 0) return code;
  const match = found[Math.floor(edit.which * found.length) % found.length]!;
  const replacement = edit.digit ? String(Math.floor(edit.other * 10) % 10) : found[Math.floor(edit.other * found.length) % found.length]![0];
  return code.slice(0, match.index) + replacement + code.slice(match.index + match[0].length);
}
/** Whole lines deleted, or moved elsewhere: statements removed, added, reordered. */
function applyLinesEdit(code: string, edit: { from: number; count: number; to: number | null }): string {
  const lines = code.split('\n');
  const from = Math.floor(edit.from * lines.length);
  const taken = lines.splice(from, edit.count);
  if (edit.to !== null) lines.splice(Math.floor(edit.to * lines.length), 0, ...taken);
  return lines.join('\n');
}
const linesArb = fc.record({ from: fc.double({ min: 0, max: 1, noNaN: true }), count: fc.integer({ min: 1, max: 8 }), to: fc.option(fc.double({ min: 0, max: 1, noNaN: true })) });

const tokenEditArb = fc.record({ which: fc.double({ min: 0, max: 1, noNaN: true }), other: fc.double({ min: 0, max: 1, noNaN: true }), digit: fc.boolean() });

describe('incremental transform = fresh transform', () => {
  test('random edits of the fixtures and scenario modules, in sequences', () => {
    let incremental = 0;
    fc.assert(
      fc.property(fc.nat(modules.length - 1), fc.array(
          fc.oneof(
            { arbitrary: editArb.map((e) => (code: string) => applyEdit(code, e)), weight: 1 },
            { arbitrary: lineEditArb.map((e) => (code: string) => applyLineEdit(code, e)), weight: 1 },
            { arbitrary: tokenEditArb.map((e) => (code: string) => applyTokenEdit(code, e)), weight: 4 },
            // Several places at once (one save after edits in several functions).
            { arbitrary: fc.array(tokenEditArb, { minLength: 2, maxLength: 4 }).map((es) => (code: string) => es.reduce(applyTokenEdit, code)), weight: 2 },
            { arbitrary: linesArb.map((e) => (code: string) => applyLinesEdit(code, e)), weight: 2 },
          ),
          { minLength: 1, maxLength: 6 },
        ), (m, edits) => {
        const [filename, original] = modules[m]!;
        const versions = [original];
        for (const edit of edits) versions.push(edit(versions.at(-1)!));
        incremental += checkSequence(filename, versions).incremental;
      }),
      { numRuns: Number(process.env.HOTSTATE_FC_RUNS ?? 300) },
    );
    // Most one-line edits stay inside a statement: the property is not vacuous.
    expect(incremental).toBeGreaterThan(300);
  });

  test('the edits of the scenario table, version after version', () => {
    for (const scenario of scenarios) {
      const versions = new Map<string, string[]>(Object.entries(scenario.files).map(([file, code]) => [file, [code]]));
      for (const step of scenario.steps) {
        const edits = step.edit ? [step.edit] : step.rapid ? step.rapid[1].map((content): [string, string] => [step.rapid![0], content]) : [];
        for (const [file, content] of edits) versions.set(file, [...(versions.get(file) ?? []), content]);
      }
      for (const [file, list] of versions) checkSequence(`/p/${file}`, list);
    }
  });

  test('a one-line edit in a function body re-instruments only what it touched', () => {
    const transformer = createTransformer();
    const options = optionsFor('/p/src/generated.ts');
    transformer.transform(generated, options);
    const edited = generated.replace('count += 1;', 'count += 2;');
    expect(transformer.transform(edited, options)!.code).toBe(createTransformer().transform(edited, options)!.code);
    expect(transformer.stats).toEqual({ full: 1, incremental: 1 });
  });
});

describe('what makes the incremental transform start over', () => {
  const options = optionsFor('/p/src/generated.ts');

  test('an option change is a different module', () => {
    const transformer = createTransformer();
    transformer.transform(generated, options);
    for (const changed of [{ ...options, onIncompatible: 'reject' as const }, { ...options, refresh: true }, { ...options, runtime: '/runtime.js' }]) {
      expect(comparable({ result: transformer.transform(generated, changed) })).toEqual(comparable({ result: createTransformer().transform(generated, changed) }));
    }
    expect(transformer.stats).toEqual({ full: 4, incremental: 0 });
  });

  test('a cache too small for two modules keeps the last one only, and stays correct', () => {
    const transformer = createTransformer({ cacheSize: 1 });
    const other = optionsFor('/p/src/other.ts');
    const edited = generated.replace('count += 1;', 'count += 2;');
    for (const [code, opts] of [[generated, options], [generated, other], [edited, options], [edited, other], [generated, other]] as const) {
      expect(transformer.transform(code, opts)!.code).toBe(createTransformer().transform(code, opts)!.code);
    }
    expect(transformer.stats).toEqual({ full: 4, incremental: 1 });
  });

  test('migrations are part of the prelude only: the same source is put together again', () => {
    const transformer = createTransformer();
    transformer.transform(generated, options);
    const migrations = [{ file: 'hotstate/migrations/0001-count.ts', specifier: '/hotstate/migrations/0001-count.ts' }];
    const out = transformer.transform(generated, { ...options, migrations })!.code;
    expect(out).toBe(createTransformer().transform(generated, { ...options, migrations })!.code);
    expect(out).toContain('__hs_migration_0');
  });

  test('an ignore directive added in a function body, then removed', () => {
    const ignored = generated.replace('count += 1;', 'count += 1; // @hotstate ignore');
    checkSequence(options.filename, [generated, ignored, generated, ignored]);
    const transformer = createTransformer();
    transformer.transform(generated, options);
    expect(transformer.transform(ignored, options)).toBeNull();
  });

  test('a state binding renamed: every statement that reads it is instrumented again', () => {
    const renamed = generated.replace('let count: number = 0;', 'let total: number = 0;');
    checkSequence(options.filename, [generated, renamed, renamed.replace(/count/g, 'total')]);
    const transformer = createTransformer();
    transformer.transform(generated, options);
    transformer.transform(renamed, options);
    expect(transformer.stats).toEqual({ full: 2, incremental: 0 });
  });

  test('a function renamed or added is re-instrumented alone; the prelude and schema follow', () => {
    const renamed = generated.replace('export function bump()', 'export function bumpIt()');
    const added = renamed.replace('export function bumpIt', 'function extra() { return 1; }\nexport function bumpIt');
    const { incremental } = checkSequence(options.filename, [generated, renamed, added]);
    expect(incremental).toBe(2);
  });

  test('a statement that loses its semicolon before a line that could continue it', () => {
    const source = 'let a = 1;\nlet b = a;\n[a, b] = [b, a];\nexport function f() { return a; }\n';
    checkSequence('/p/asi.ts', [source, source.replace('let b = a;', 'let b = a'), source]);
    const noSemicolons = 'let a = 1\nlet b = a\nexport const g = () => b\n(0)\n';
    checkSequence('/p/asi2.ts', [noSemicolons, noSemicolons.replace('() => b', '() => a'), noSemicolons.replace('\n(0)', '\n;(0)')]);
  });

  test('a hashbang line, a syntax error and its fix, a module emptied', () => {
    const hashbang = '#!/usr/bin/env node\nlet x = 1;\nexport function f() { return x; }\n';
    checkSequence('/p/bin.ts', [hashbang, hashbang.replace('return x;', 'return x + 1;'), hashbang.replace('#!/usr/bin/env node', '#!/usr/bin/env tsx')]);
    checkSequence('/p/err.ts', [generated, generated.replace('count += 1;', 'count += ;'), generated.replace('count += 1;', 'count += 3;'), '', generated]);
  });
});

describe('source map', () => {
  test('segments point at the same character in the output and in the source, where the text was kept', () => {
    for (const [filename, code] of modules) {
      const result = createTransformer().transform(code, optionsFor(filename));
      if (result === null) continue;
      const output = result.code.split('\n');
      const source = code.split('\n');
      let line = 0;
      let agree = 0;
      let total = 0;
      let original = [0, 0];
      for (const lineMappings of result.map.mappings.split(';')) {
        let column = 0;
        for (const segment of lineMappings ? lineMappings.split(',') : []) {
          const [dc, , dl, dcol] = decode(segment);
          column += dc!;
          original = [original[0]! + dl!, original[1]! + dcol!];
          total++;
          expect(original[0]).toBeLessThan(source.length);
          if (output[line]![column] === source[original[0]!]![original[1]!]) agree++;
        }
        line++;
      }
      expect(agree / total, filename).toBeGreaterThan(0.9);
    }
  });
});

function decode(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(ch);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
