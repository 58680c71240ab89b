import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { cliTests, type Repo } from './cli.ts';

const cli = cliTests();
let project: Repo | undefined;

const COUNTER_V1 = `export interface Item {
  id: number;
  title: string;
}

let count = 0;
let total: number = 0;
export let items: Item[] = [];

export class Task {
  #done = false;
  title: string;
  constructor(title: string, public priority: number = 1) {
    this.title = title;
  }
}

export function bump(): number {
  count += 1;
  total += 1;
  return count;
}
`;

const migrations = (p: Repo): string[] => (existsSync(path.join(p.root, 'hotstate/migrations')) ? readdirSync(path.join(p.root, 'hotstate/migrations')).sort() : []);
const json = (p: Repo, args: string[] = []) => {
  const run = p.hotstate(['check', '--format', 'json', ...args]);
  return { status: run.status, ...(JSON.parse(run.stdout) as { findings: Array<{ code: string; file: string; line: number; column: number; message: string }> }) };
};

describe('hotstate check / migrate: a project over a series of commits', { timeout: 180_000 }, () => {
  test('add, retype, rename and remove state; stubs, snapshot and exit codes', () => {
    project = cli.repo({ 'src/counter.ts': COUNTER_V1 });
    const p = project;

    // No snapshot yet: a finding that says what to do.
    let run = p.hotstate(['check']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('hotstate/schema.json:1:1 error HS100 snapshot-missing');
    expect(run.stdout).toContain('Run `npx hotstate migrate` to write it');

    run = p.hotstate(['migrate']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('wrote hotstate/schema.json\n');
    expect(migrations(p)).toEqual([]);
    const snapshot = p.read('hotstate/schema.json');
    expect(snapshot).toMatchInlineSnapshot(`
      "{
        "format": "hotstate-schema/1",
        "modules": {
          "src/counter.ts": {
            "bindings": {
              "count": {"kind":"let","type":"number","shape":"number","declared":false,"init":"350ca8af"},
              "items": {"kind":"let","type":"Item[]","shape":"{ id: number; title: string }[]","declared":true,"annotation":"Item[]","init":"741638a5"},
              "total": {"kind":"let","type":"number","shape":"number","declared":true,"annotation":"number","init":"350ca8af"}
            },
            "classes": {
              "Task": {
                "#done": {"type":"boolean","shape":"boolean","declared":false,"init":"0b069958"},
                "priority": {"type":"number","shape":"number","declared":true,"annotation":"number","parameter":true},
                "title": {"type":"string","shape":"string","declared":true,"annotation":"string"}
              }
            }
          }
        }
      }
      "
    `);
    p.commit('state schema snapshot');
    run = p.hotstate(['check']);
    expect(run).toEqual({ status: 0, stderr: '', stdout: 'hotstate check: no findings; the state schema matches the snapshot and every migration.\n' });

    // Code-only edit: still clean, snapshot untouched by migrate.
    p.write({ 'src/counter.ts': COUNTER_V1.replace('count += 1;', 'count += 2;') });
    expect(p.hotstate(['check']).status).toBe(0);
    p.commit('code only');

    // An added binding makes the snapshot stale; migrate records it without a stub.
    p.write({ 'src/counter.ts': `${p.read('src/counter.ts')}\nlet label = 'x';\n` });
    let report = json(p);
    expect(report.status).toBe(1);
    expect(report.findings.map((f) => [f.code, f.file, f.line, f.column])).toEqual([['HS102', 'src/counter.ts', 24, 5]]);
    expect(report.findings[0]!.message).toContain('src/counter.ts: `label` is new');
    expect(p.hotstate(['migrate']).status).toBe(0);
    expect(migrations(p)).toEqual([]);
    expect(p.hotstate(['check']).status).toBe(0);
    p.commit('label');

    // Retype: incompatible, with file:line:col and a code frame.
    p.write({ 'src/counter.ts': p.read('src/counter.ts').replace('let total: number = 0;', "let total: string = '0';").replace('total += 1;', "total += '1';") });
    run = p.hotstate(['check']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatchInlineSnapshot(`
      "src/counter.ts:7:5 error HS201 incompatible-type
        src/counter.ts: \`total\`: type changed from \`number\` to \`string\`, which old values do not fit; on a hot update it would be reset and its state lost. Run \`npx hotstate migrate\` and fill in the migration stub it writes, or keep the old type.
          6 | let count = 0;
        > 7 | let total: string = '0';
            |     ^

      hotstate check: 1 finding (1 error).
      "
    `);

    // migrate writes a stub typed with the old and new state; check says it is not implemented.
    run = p.hotstate(['migrate']);
    expect(run.status).toBe(0);
    expect(migrations(p)).toEqual(['0001-src-counter-total.ts']);
    const stub = p.read('hotstate/migrations/0001-src-counter-total.ts');
    expect(stub).toMatchInlineSnapshot(`
      "/**
       * hotstate migration for src/counter.ts, written by \`hotstate migrate\`.
       * Fill in the functions below (they receive the state as it was and return the new values),
       * then run \`npx hotstate check\`. Keep \`module\` and \`covers\` as they are: hotstate applies this
       * migration to exactly these changes.
       */

      /** src/counter.ts: module state before the change. */
      export interface Old {
        count: number;
        items: { id: number; title: string }[];
        label: string;
        total: number;
      }

      /** src/counter.ts: module state after the change. */
      export interface New {
        count: number;
        items: { id: number; title: string }[];
        label: string;
        total: string;
      }

      export const migration = {
        module: "src/counter.ts",
        covers: {
          "total": { from: "number", to: "string", source: { from: ": number", to: ": string" } },
        },
        state(old: Old): Partial<New> {
          // Return the new values:
          // total: number → string
          throw new Error("hotstate migration not implemented: src/counter.ts: total (number → string)");
        },
      };
      "
    `);
    report = json(p);
    expect(report.findings.map((f) => [f.code, f.file])).toEqual([['HS301', 'hotstate/migrations/0001-src-counter-total.ts']]);
    expect(report.status).toBe(1);

    // A wrong implementation does not type-check against the generated types.
    const implemented = stub.replace(/\/\/ Return the new values[\s\S]*?throw new Error\([^\n]*\);/, 'return { total: old.total };');
    p.write({ 'hotstate/migrations/0001-src-counter-total.ts': implemented });
    report = json(p);
    expect(report.findings.map((f) => f.code)).toEqual(['HS302']);
    expect(report.findings[0]!.message).toMatch(/Type 'number' is not assignable to type 'string'/);

    p.write({ 'hotstate/migrations/0001-src-counter-total.ts': implemented.replace('return { total: old.total };', 'return { total: String(old.total) };') });
    expect(p.hotstate(['check'])).toMatchObject({ status: 0 });
    p.commit('total is a string');

    // Rename (same type): suspected, never applied without confirmation.
    p.write({ 'src/counter.ts': p.read('src/counter.ts').replace(/\bcount\b/g, 'hits') });
    report = json(p);
    expect(report.findings.map((f) => [f.code, f.line])).toEqual([['HS202', 6]]);
    expect(report.findings[0]!.message).toContain('npx hotstate migrate --rename src/counter.ts:count=hits');
    run = p.hotstate(['migrate', '--rename', 'src/counter.ts:count=hits']);
    expect(run.status).toBe(0);
    expect(migrations(p)).toEqual(['0001-src-counter-total.ts', '0002-src-counter-hits.ts']);
    expect(p.read('hotstate/migrations/0002-src-counter-hits.ts')).toContain('return { hits: old.count };');
    expect(p.hotstate(['check']).status).toBe(0);
    p.commit('rename count to hits');

    // Remove a field: recorded by migrate; no stub needed.
    p.write({ 'src/counter.ts': p.read('src/counter.ts').replace('  #done = false;\n', '') });
    report = json(p);
    expect(report.findings.map((f) => [f.code, f.file, f.line])).toEqual([['HS102', 'hotstate/schema.json', expect.any(Number)]]);
    expect(report.findings[0]!.message).toContain('field `Task.#done` was removed');
    expect(p.hotstate(['migrate']).status).toBe(0);
    expect(p.hotstate(['check']).status).toBe(0);
  });

  test('a required property added to an interface in state, and an array element type change, are incompatible', () => {
    project = cli.repo({ 'src/counter.ts': COUNTER_V1 });
    const p = project;
    p.hotstate(['migrate']);
    p.write({ 'src/counter.ts': COUNTER_V1.replace('  title: string;\n}', '  title: string;\n  owner: string;\n}') });
    let report = json(p);
    expect(report.findings.map((f) => [f.code, f.line, f.column])).toEqual([['HS201', 9, 12]]);
    expect(report.findings[0]!.message).toContain('`items`: type `Item[]` changed from `{ id: number; title: string }[]` to `{ id: number; owner: string; title: string }[]`');
    p.write({ 'src/counter.ts': COUNTER_V1.replace('id: number;', 'id: string;') });
    report = json(p);
    expect(report.findings.map((f) => f.code)).toEqual(['HS201']);
    // Optional: old values still fit.
    p.write({ 'src/counter.ts': COUNTER_V1.replace('  title: string;\n}', '  title: string;\n  owner?: string;\n}') });
    report = json(p);
    expect(report.findings.map((f) => f.code)).toEqual(['HS102']);
    expect(report.findings[0]!.message).toContain('widened from `{ id: number; title: string }[]` to `{ id: number; owner?: string; title: string }[]`');
  });

  test('snapshots of two branches that change different state merge without conflicts', () => {
    project = cli.repo({ 'src/a.ts': `let a = 1;\n`, 'src/b.ts': `let b = 1;\n` });
    const p = project;
    p.hotstate(['migrate']);
    p.commit('snapshot');
    p.git('checkout', '-q', '-b', 'feature');
    p.write({ 'src/a.ts': `let a = 1;\nlet a2 = 'x';\n` });
    p.hotstate(['migrate']);
    p.commit('a2');
    p.git('checkout', '-q', 'main');
    p.write({ 'src/b.ts': `let b = 1;\nlet b2 = true;\n`, 'src/c.ts': `export let c: number[] = [];\n` });
    p.hotstate(['migrate']);
    p.commit('b2 and c');
    p.git('merge', '-q', '--no-edit', 'feature');
    expect(p.hotstate(['check'])).toMatchObject({ status: 0 });
  });

  test('a suspected rename is never written out unconfirmed; static fields are migrated once per class', () => {
    project = cli.repo({ 'src/a.ts': `let count = 0;\nexport class Task {\n  static made: number = 0;\n  title = '';\n}\nexport const bump = () => ++count;\n` });
    const p = project;
    p.hotstate(['migrate']);
    p.write({ 'src/a.ts': `let hits = 0;\nexport class Task {\n  static made: string = '';\n  title = '';\n}\nexport const bump = () => ++hits;\n` });
    expect(json(p).findings.map((f) => f.code).sort()).toEqual(['HS201', 'HS202']);
    expect(p.hotstate(['migrate']).status).toBe(0);
    expect(migrations(p)).toEqual(['0001-src-a-task-static-made-hits.ts']);
    const stub = p.read('hotstate/migrations/0001-src-a-task-static-made-hits.ts');
    expect(stub).toContain('// hits: new, and count is gone. If it is a rename: hits: old.count');
    expect(stub).not.toContain('return { hits: old.count }');
    expect(stub).toContain('export interface OldTaskStatics {\n  made: number;\n}');
    expect(stub).toContain('statics: {\n    Task(old: OldTaskStatics): Partial<NewTaskStatics> {');
    expect(stub).not.toContain('instances:');
    const report = json(p);
    expect(report.findings.map((f) => f.code)).toEqual(['HS301']);
  });

  test('types from packages are named by their path inside node_modules, never by a machine path', () => {
    project = cli.repo({
      'node_modules/pkg/package.json': JSON.stringify({ name: 'pkg', types: 'index.d.ts' }),
      'node_modules/pkg/index.d.ts': 'export declare class Thing { size: number }\n',
      'src/a.ts': `import { Thing } from 'pkg';\nexport let thing: Thing | null = null;\n`,
    });
    const p = project;
    expect(p.hotstate(['migrate']).status).toBe(0);
    const snapshot = p.read('hotstate/schema.json');
    expect(snapshot).toContain('"shape":"null | { \\"#ref\\": \\"pkg/index.d.ts#Thing\\" }"');
    expect(snapshot).not.toContain(p.root);
    expect(snapshot).not.toContain('/tmp');
  });

  test('formats: github annotations; colors follow NO_COLOR and FORCE_COLOR', () => {
    project = cli.repo({ 'src/a.ts': `let n: number = 1;\nexport const read = () => n;\n` });
    const p = project;
    p.hotstate(['migrate']);
    p.write({ 'src/a.ts': `let n: string = '1';\nexport const read = () => n;\n` });
    const github = p.hotstate(['check', '--format', 'github']);
    expect(github.status).toBe(1);
    expect(github.stdout).toMatchInlineSnapshot(`
      "::error file=src/a.ts,line=1,col=5,title=HS201 incompatible-type::src/a.ts: \`n\`: type changed from \`number\` to \`string\`, which old values do not fit; on a hot update it would be reset and its state lost. Run \`npx hotstate migrate\` and fill in the migration stub it writes, or keep the old type.
      "
    `);
    expect(p.hotstate(['check'], { FORCE_COLOR: '1' }).stdout).toContain('\u001b[31merror\u001b[0m');
    expect(p.hotstate(['check'], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout).not.toContain('\u001b[');
  });

  test('a corrupt snapshot is a finding; bad usage and configuration exit 2', () => {
    project = cli.repo({ 'src/a.ts': `let n = 1;\n` });
    const p = project;
    p.hotstate(['migrate']);
    p.write({ 'hotstate/schema.json': p.read('hotstate/schema.json').replace('        "n": {', '<<<<<<< HEAD\n        "n": {') });
    let report = json(p);
    expect(report.findings.map((f) => [f.code, f.file, f.line])).toEqual([['HS101', 'hotstate/schema.json', 6]]);
    expect(report.findings[0]!.message).toContain('merge conflict marker');
    p.write({ 'hotstate/schema.json': '{"format": "hotstate-schema/1", "modules": {"../../etc/passwd": {"bindings": {}, "classes": {}}}}' });
    report = json(p);
    expect(report.findings[0]!.message).toContain('is not a path inside the project');

    let run = p.hotstate(['check', '--format', 'xml']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--format xml: expected text, json or github.');
    run = p.hotstate(['check', '--bogus']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--bogus'");
    run = p.hotstate(['check', '--project', 'nope.json']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/cannot read .*nope\.json/);
    run = p.hotstate(['frobnicate']);
    expect(run.status).toBe(2);
    expect(p.hotstate(['check', '--help'])).toMatchObject({ status: 0, stdout: expect.stringContaining('Usage: hotstate check') });
    run = p.hotstate(['migrate', '--rename', 'nonsense']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('expected <module>:<old name>=<new name>');
  });
});
