import fc from 'fast-check';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFiles } from './files.ts';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assignability } from '../schema/assignable.ts';
import { diffStates, isUnsafe, targetLabel, type Change } from '../schema/diff.ts';
import { extractProject } from '../schema/extract.ts';
import { coveringMigration, migrationStub, NOT_IMPLEMENTED, readMigration, type MigrationFile } from '../schema/migrations.ts';
import type { ModuleState, ProjectState } from '../schema/types.ts';
import { arbitraryFor, conforms, UnsupportedShapeError } from './shape-arbitrary.ts';

/**
 * Property tests of migrations as `hotstate migrate` writes them: values generated from the
 * stub's `Old` types, run through a completed migration, must be values of its `New` types.
 * The generator and the validator (`shape-arbitrary.ts`) are first checked against each other
 * and against the checker's assignability (`schema/assignable.ts`).
 */

const RUNS = 60;

// ---------------------------------------------------------------------------------------------
// The generator and the validator

/** Shapes as `shapeOf` writes them: members sorted, `?` for optional, brands for class instances. */
const SHAPES = [
  'number',
  'string',
  'boolean | null',
  '-2 | 1 | 3n | "a" | undefined',
  'bigint',
  'unknown',
  'Date',
  'number[]',
  'readonly (number | string)[]',
  '{ id: number; title: string }[]',
  '{ a?: number; b: { c: string[]; d?: null | { e: boolean } } }',
  '{ kind: "circle"; r: number } | { kind: "square"; side: number }',
  'null | { first: string; last?: string } | { name: string }',
  '[number, string]',
  '[number, string?, ...boolean[]]',
  'readonly [Date, ...number[]]',
  '[...string[], number]',
  'Map<string, { hits: number; since: Date }>',
  'Set<"a" | "b">',
  'Map<number, Set<string>>',
  '{ [key: string]: number }',
  '{ [key: string]: string | number; [key: number]: number; fixed: string }',
  'Record<"high" | "low", boolean>',
  '{ "#ref": "src/tasks.ts#Task" }[]',
  '{ "#done": boolean; "quoted key": 1 | 2 }',
];

/** Pairs the checker says fit: every value of the first must be a value of the second. */
const FITTING = [
  { from: '{ a: number; b: string }', to: '{ a: number }' },
  { from: 'number', to: 'number | string' },
  { from: '[number, string]', to: '(number | string)[]' },
  { from: '[number, string?]', to: '[number, string?, ...boolean[]]' },
  { from: '{ id: number }[]', to: '{ id: number | string }[]' },
  { from: '{ a: number }', to: '{ a: number; b?: string }' },
  { from: '"a" | "b"', to: 'string' },
  { from: '{ kind: "a"; n: number }', to: '{ kind: "a"; n: number } | { kind: "b"; s: string }' },
  { from: 'Set<1 | 2>', to: 'Set<number>' },
  { from: '{ [key: string]: number }', to: 'Record<string, number | null>' },
  { from: 'Date', to: 'Date | null' },
  { from: '{ "#ref": "src/a.ts#Task" }', to: '{ "#ref": "src/a.ts#Task" }' },
];

/** Pairs that differ in a required property (or element): some value of the first must not fit the second. */
const CLASHING = [
  { from: '{ id: number; title: string }', to: '{ done: boolean; id: number; title: string }' },
  { from: '{ id: number }[]', to: '{ id: string }[]' },
  { from: '{ a?: number }', to: '{ a: number }' },
  { from: '{ kind: "a"; n: number } | { kind: "b"; s: string }', to: '{ kind: "a"; n: number }' },
  { from: '{ user: { age: number; name: string } }', to: '{ user: { age: number; first: string; last: string } }' },
  { from: 'Map<string, { hits: number }>', to: 'Map<string, { hits: number; since: Date }>' },
  { from: '[number, string]', to: '[number, number]' },
  { from: '{ "#ref": "src/a.ts#Task" }', to: '{ "#ref": "src/b.ts#Task" }' },
];

describe('arbitraryFor and conforms agree with each other and with the checker', () => {
  test.each(SHAPES)('every value generated for %s conforms to it', (shape) => {
    fc.assert(
      fc.property(arbitraryFor(shape), (value) => {
        expect(conforms(value, shape)).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });

  test('assignable (by the checker) ⇒ every value of the old shape is a value of the new one', () => {
    expect(assignability(FITTING)).toEqual(FITTING.map(() => true));
    for (const { from, to } of FITTING) {
      fc.assert(
        fc.property(arbitraryFor(from), (value) => {
          expect(conforms(value, to), `${from} → ${to}`).toBeUndefined();
        }),
        { numRuns: RUNS },
      );
    }
  });

  test('not assignable, a required property differs ⇒ some generated values do not conform', () => {
    expect(assignability(CLASHING)).toEqual(CLASHING.map(() => false));
    for (const { from, to } of CLASHING) {
      const run = fc.check(
        fc.property(arbitraryFor(from), (value) => conforms(value, to) === undefined),
        { numRuns: 200 },
      );
      expect(run.failed, `no value of ${from} was found not to fit ${to}`).toBe(true);
      expect(conforms(run.counterexample![0], to)).toMatch(/^\$/);
    }
  });

  test('optional properties are sometimes absent and sometimes present; optional and rest elements vary the length', () => {
    const objects = fc.sample(arbitraryFor('{ a?: number; b: string }'), 200) as Array<Record<string, unknown>>;
    expect(objects.some((o) => !('a' in o))).toBe(true);
    expect(objects.some((o) => typeof o.a === 'number')).toBe(true);
    expect(objects.every((o) => typeof o.b === 'string')).toBe(true);
    const tuples = fc.sample(arbitraryFor('[number, string?, ...boolean[]]'), 200) as unknown[][];
    expect(new Set(tuples.map((t) => Math.min(t.length, 3)))).toEqual(new Set([1, 2, 3]));
    const unions = fc.sample(arbitraryFor('{ kind: "circle"; r: number } | { kind: "square"; side: number } | null'), 200) as Array<{ kind: string } | null>;
    expect(new Set(unions.map((u) => u?.kind ?? null))).toEqual(new Set(['circle', 'square', null]));
  });

  test('conforms names the first mismatch by its path', () => {
    expect(conforms({ items: [{ id: 1 }, { id: '2' }] }, '{ items: { id: number }[] }')).toBe('$.items[1].id: expected number, got "2"');
    expect(conforms({ user: { name: 'Ada' } }, '{ user: { first: string; name: string } }')).toBe('$.user.first: missing (required by { first: string; name: string })');
    expect(conforms(new Map([['a', { hits: 1 }]]), 'Map<string, { hits: number; since: Date }>')).toBe('$.get("a").since: missing (required by { hits: number; since: Date })');
    expect(conforms([1], '[number, string]')).toBe('$: expected 2 elements for [number, string], got 1');
    expect(conforms({ kind: 'square', side: '1' }, '{ kind: "circle"; r: number } | { kind: "square"; side: number }')).toBe('$.side: expected number, got "1"');
    expect(conforms('light', '"dark" | "light"')).toBeUndefined();
    expect(conforms('system', '"dark" | "light"')).toBe('$: expected "dark" | "light", got "system" (no member fits)');
    // Structural by default, like the checker; `exact` also rejects undeclared properties.
    expect(conforms({ a: 1, b: 2 }, '{ a: number }')).toBeUndefined();
    expect(conforms({ a: 1, b: 2 }, '{ a: number }', { exact: true })).toBe('$.b: unexpected property (not in { a: number })');
    // An optional property may be absent or undefined, as with the checker's default options.
    expect(conforms({}, '{ a?: number }')).toBeUndefined();
    expect(conforms({ a: undefined }, '{ a?: number }')).toBeUndefined();
    expect(conforms({ a: null }, '{ a?: number }')).toBe('$.a: expected number, got null');
  });

  test('a shape the generator does not support is a clear error', () => {
    expect(() => arbitraryFor('(n: number) => string')).toThrow(UnsupportedShapeError);
    expect(() => arbitraryFor('(n: number) => string')).toThrow('unsupported shape "(n: number) => string": function types');
    expect(() => arbitraryFor('Promise<string[]>')).toThrow(/unsupported shape "Promise<string\[\]>": the type Promise/);
    expect(() => arbitraryFor('{ a: number } & { b: string }')).toThrow(/intersections/);
    expect(() => arbitraryFor('{ a: number; m(): void }')).toThrow(/methods/);
    expect(() => arbitraryFor('{ count: number; (n: number) => string }')).toThrow(/not a type/);
    expect(() => arbitraryFor('{ a: ')).toThrow(/not a type: "\{ a: "/);
    expect(() => arbitraryFor('never')).toThrow(/never/);
    expect(() => conforms(1, 'Promise<number>')).toThrow(UnsupportedShapeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Migrations

/** A small project before and after a change, one module per scenario. */
const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, lib: ['ES2023'], types: [], noEmit: true, skipLibCheck: true },
  include: ['src'],
});

interface Scenario {
  name: string;
  module: string;
  before: string;
  after: string;
  /** The unsafe changes `hotstate migrate` finds, as `label kind`. */
  changes: string[];
  /**
   * What the user writes in place of each function body of the stub: `state` first, then
   * `instances`, classes in name order.
   */
  bodies: string[];
  /** What the migrated values must say about the old ones, beyond fitting their types. */
  meaning?: (old: Record<string, any>, migrated: Record<string, any>, cls?: string) => void;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'number → string',
    module: 'src/counter.ts',
    before: 'let count = 0;\nlet total: number = 0;\nexport function bump(): void {\n  count += 1;\n  total += 1;\n}\n',
    after: "let count = 0;\nlet total: string = '0';\nexport function bump(): void {\n  count += 1;\n  total = String(Number(total) + 1);\n}\n",
    changes: ['total incompatible'],
    bodies: ['return { total: String(old.total) };'],
    meaning: (old, migrated) => expect(migrated.total).toBe(String(old.total)),
  },
  {
    name: 'array element type: ids become strings, a required field is added',
    module: 'src/todos.ts',
    before: 'export interface Todo {\n  id: number;\n  title: string;\n}\nexport let todos: Todo[] = [];\n',
    after: 'export interface Todo {\n  id: string;\n  title: string;\n  done: boolean;\n}\nexport let todos: Todo[] = [];\n',
    changes: ['todos incompatible'],
    bodies: ['return { todos: old.todos.map((todo) => ({ id: String(todo.id), title: todo.title, done: false })) };'],
    meaning: (old, migrated) => expect(migrated.todos.map((t: { id: string; title: string }) => [t.id, t.title])).toEqual(old.todos.map((t: { id: number; title: string }) => [String(t.id), t.title])),
  },
  {
    name: 'split: name into first and last (an optional property carried over)',
    module: 'src/profile.ts',
    before: "export let user: { name: string; age: number; nickname?: string } = { name: '', age: 0 };\n",
    after: "export let user: { first: string; last: string; age: number; nickname?: string } = { first: '', last: '', age: 0 };\n",
    changes: ['user incompatible'],
    bodies: [
      [
        "const [first = '', ...rest] = old.user.name.trim().split(/\\s+/);",
        'const { age, nickname } = old.user;',
        "return { user: { age, first, last: rest.join(' '), ...(nickname !== undefined ? { nickname } : {}) } };",
      ].join('\n'),
    ],
    meaning: (old, migrated) => {
      const words = (s: string): string => s.trim().split(/\s+/).filter(Boolean).join(' ');
      expect(words(`${migrated.user.first} ${migrated.user.last}`)).toBe(words(old.user.name));
      expect(migrated.user.nickname).toBe(old.user.nickname);
    },
  },
  {
    // `first` → `fullName` is the rename `hotstate migrate --rename src/names.ts:first=fullName`
    // confirms (the same change the diff suspects); the stub writes it out, the user adds `last`.
    name: 'merge: first and last into fullName (a confirmed rename, completed by hand)',
    module: 'src/names.ts',
    before: "let first = '';\nlet last: string | null = null;\nexport const greet = (): string => `${first} ${last ?? ''}`;\n",
    after: "let fullName = '';\nexport const greet = (): string => fullName;\n",
    changes: ['fullName rename'],
    bodies: ["return { fullName: [old.first, old.last ?? ''].filter((part) => part !== '').join(' ') };"],
    meaning: (old, migrated) => expect(migrated.fullName).toBe([old.first, old.last ?? ''].filter((p: string) => p !== '').join(' ')),
  },
  {
    name: 'a union narrowed with a default, and a union of objects reshaped',
    module: 'src/view.ts',
    before:
      "export let theme: 'dark' | 'light' | 'system' | null = null;\n" +
      "export let selection: { kind: 'circle'; r: number } | { kind: 'square'; side: number } | null = null;\n",
    after: "export let theme: 'dark' | 'light' = 'light';\nexport let selection: { kind: 'circle'; radius: number } | { kind: 'square'; side: number } | null = null;\n",
    changes: ['selection incompatible', 'theme incompatible'],
    bodies: [
      [
        "const theme = old.theme === 'dark' || old.theme === 'light' ? old.theme : 'light';",
        "const selection = old.selection === null || old.selection.kind === 'square' ? old.selection : { kind: 'circle' as const, radius: old.selection.r };",
        'return { theme, selection };',
      ].join('\n'),
    ],
    meaning: (old, migrated) => {
      expect(migrated.theme).toBe(old.theme === 'dark' ? 'dark' : 'light');
      if (old.selection?.kind === 'circle') expect(migrated.selection.radius).toBe(old.selection.r);
    },
  },
  {
    name: 'class fields retyped (instances) and a binding number → bigint',
    module: 'src/tasks.ts',
    before:
      'export class Task {\n  #done = false;\n  title: string;\n  constructor(title: string, public priority: number = 1) {\n    this.title = title;\n  }\n  get done(): boolean {\n    return this.#done;\n  }\n}\n' +
      'let nextId = 0;\nexport let tasks: Task[] = [];\nexport const add = (title: string): Task => new Task(`${nextId++} ${title}`);\n',
    after:
      "export class Task {\n  #done: Date | null = null;\n  title: string;\n  constructor(title: string, public priority: 'high' | 'low' | 'normal' = 'normal') {\n    this.title = title;\n  }\n  get done(): boolean {\n    return this.#done !== null;\n  }\n}\n" +
      'let nextId = 0n;\nexport let tasks: Task[] = [];\nexport const add = (title: string): Task => new Task(`${nextId++} ${title}`);\n',
    changes: ['Task.#done incompatible', 'Task.priority incompatible', 'nextId incompatible'],
    bodies: [
      'return { nextId: Number.isFinite(old.nextId) ? BigInt(Math.trunc(old.nextId)) : 0n };',
      "return { '#done': old['#done'] ? new Date(0) : null, priority: old.priority > 1 ? 'high' : old.priority < 1 ? 'low' : 'normal' };",
    ],
    meaning: (old, migrated, cls) => {
      if (cls === 'Task') expect(migrated['#done'] !== null).toBe(old['#done']);
      else if (Number.isFinite(old.nextId)) expect(migrated.nextId).toBe(BigInt(Math.trunc(old.nextId)));
    },
  },
  {
    name: 'Set, Map and tuple state reshaped',
    module: 'src/cache.ts',
    before: 'let seen = new Set<number>();\nlet sessions = new Map<string, number>();\nlet origin: [number, number] = [0, 0];\nexport const size = (): number => seen.size + sessions.size + origin[0];\n',
    after:
      'let seen = new Set<string>();\nlet sessions = new Map<string, { hits: number; since: Date }>();\nlet origin: { x: number; y: number } = { x: 0, y: 0 };\nexport const size = (): number => seen.size + sessions.size + origin.x;\n',
    changes: ['origin incompatible', 'seen incompatible', 'sessions incompatible'],
    bodies: [
      [
        'return {',
        '  seen: new Set([...old.seen].map(String)),',
        '  sessions: new Map([...old.sessions].map(([id, hits]): [string, { hits: number; since: Date }] => [id, { hits, since: new Date(0) }])),',
        '  origin: { x: old.origin[0], y: old.origin[1] },',
        '};',
      ].join('\n'),
    ],
    meaning: (old, migrated) => {
      expect([...migrated.seen]).toEqual([...new Set([...old.seen].map(String))]);
      expect([...migrated.sessions.keys()]).toEqual([...old.sessions.keys()]);
    },
  },
];

/** Implementations that are wrong: one the checker rejects, two it cannot see through. */
const WRONG = {
  /** `id` left a number. */
  typeError: { scenario: 'src/todos.ts', bodies: ['return { todos: old.todos.map((todo) => ({ id: todo.id, title: todo.title, done: false })) };'] },
  /** Spreads the old object: type-checks, but keeps the `name` the new shape no longer has. */
  staleProperty: {
    scenario: 'src/profile.ts',
    bodies: ["const [first = '', ...rest] = old.user.name.split(' ');\nreturn { user: { ...old.user, first, last: rest.join(' ') } };"],
  },
  /** `BigInt(0.5)` throws: type-checks, fails for some old values. */
  throws: {
    scenario: 'src/tasks.ts',
    bodies: ['return { nextId: BigInt(old.nextId) };', "return { '#done': old['#done'] ? new Date(0) : null, priority: 'normal' };"],
  },
};

/** Replaces the body of each function of a stub (`state(old: Old): Partial<New> {` … `},`) in order. */
function implement(stub: string, bodies: string[]): string {
  let i = 0;
  const out = stub.replace(/^( *)([\w$"]+)\(old: (Old\w*)\): Partial<New\w*> \{\n[\s\S]*?\n\1\},$/gm, (whole, indent: string) => {
    const body = bodies[i++];
    if (body === undefined) return whole;
    const head = whole.slice(0, whole.indexOf('{\n') + 2);
    return `${head}${body.replace(/^/gm, `${indent}  `)}\n${indent}},`;
  });
  if (i !== bodies.length) throw new Error(`the stub has ${i} functions, the scenario ${bodies.length} bodies:\n${stub}`);
  return out;
}

/** The members of `export interface <name>` in a stub, as name → shape text. */
function interfaceShapes(code: string, name: string): Record<string, string> {
  const sf = ts.createSourceFile('/stub.ts', code, ts.ScriptTarget.Latest, true);
  const declaration = sf.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (declaration === undefined) throw new Error(`no interface ${name} in the stub`);
  const shapes: Record<string, string> = {};
  for (const m of declaration.members) {
    if (!ts.isPropertySignature(m) || m.type === undefined || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) throw new Error(`unexpected member ${m.getText()}`);
    shapes[m.name.text] = m.type.getText();
  }
  return shapes;
}

/** Fields as one object shape: `{ a: T; "#b": U }`. */
const objectShape = (fields: Record<string, string>): string =>
  `{ ${Object.entries(fields)
    .map(([key, shape]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ${shape}`)
    .join('; ')} }`;

interface MigrationModule {
  migration: {
    module: string;
    covers: Record<string, { from: string; to: string; renamedFrom?: string; source: { from: string; to: string } }>;
    state?: (old: Record<string, unknown>) => Record<string, unknown>;
    instances?: Record<string, (old: Record<string, unknown>) => Record<string, unknown>>;
  };
}

/** Compiled as `hotstate` would load it, from a file of its own. */
async function load(file: string, code: string): Promise<MigrationModule> {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: file }).outputText;
  const out = file.replace(/\.ts$/, '.mjs');
  writeFileSync(out, js);
  return (await import(/* @vite-ignore */ pathToFileURL(out).href)) as MigrationModule;
}

interface Prepared {
  scenario: Scenario;
  changes: Change[];
  before: ModuleState;
  after: ModuleState;
  stub: string;
  completed: string;
  files: { stub: string; completed: string };
  stubModule: MigrationModule;
  completedModule: MigrationModule;
}

let root: string;
let prepared: Map<string, Prepared>;
let wrong: Map<keyof typeof WRONG, { file: string; code: string; module: MigrationModule }>;
let diagnostics: Map<string, ts.Diagnostic[]>;
let programDiagnostics: readonly ts.Diagnostic[];

const write = writeFiles;

/** Strict, as this repository's own tsconfig: the migrations folder is part of the project. */
const CHECK_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2023.d.ts'],
  types: [],
  noEmit: true,
  skipLibCheck: true,
};

beforeAll(async () => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-migration-properties-')));
  // The project before and after the edit, read as `hotstate check` reads it; the change list as `hotstate migrate` builds it.
  write(path.join(root, 'before'), { 'tsconfig.json': TSCONFIG, ...Object.fromEntries(SCENARIOS.map((s) => [s.module, s.before])) });
  write(path.join(root, 'after'), { 'tsconfig.json': TSCONFIG, ...Object.fromEntries(SCENARIOS.map((s) => [s.module, s.after])) });
  const before: ProjectState = extractProject({ root: path.join(root, 'before') }).state;
  const after: ProjectState = extractProject({ root: path.join(root, 'after') }).state;
  // The one suspected rename among the scenarios is confirmed, as `hotstate migrate --rename` does.
  const pending = diffStates(before, after, assignability)
    .filter(isUnsafe)
    .map((c): Change => (c.change === 'rename' ? { ...c, confirmed: true } : c));
  const dir = path.join(root, 'migrations');
  mkdirSync(dir);

  prepared = new Map();
  for (const [i, scenario] of SCENARIOS.entries()) {
    const changes = pending.filter((c) => c.module === scenario.module);
    const b = before.modules[scenario.module]!;
    const a = after.modules[scenario.module]!;
    const stub = migrationStub(scenario.module, changes, b, a);
    const completed = implement(stub, scenario.bodies);
    const files = { stub: path.join(dir, `${i}-stub.ts`), completed: path.join(dir, `${i}-completed.ts`) };
    writeFileSync(files.stub, stub);
    writeFileSync(files.completed, completed);
    prepared.set(scenario.module, { scenario, changes, before: b, after: a, stub, completed, files, stubModule: await load(files.stub, stub), completedModule: await load(files.completed, completed) });
  }
  wrong = new Map();
  for (const [name, { scenario, bodies }] of Object.entries(WRONG) as Array<[keyof typeof WRONG, (typeof WRONG)[keyof typeof WRONG]]>) {
    const code = implement(prepared.get(scenario)!.stub, bodies);
    const file = path.join(dir, `wrong-${name}.ts`);
    writeFileSync(file, code);
    wrong.set(name, { file, code, module: await load(file, code) });
  }

  // Every file in the migrations folder, type-checked in one program as `hotstate check` does.
  const rootNames = [...[...prepared.values()].flatMap((p) => [p.files.stub, p.files.completed]), ...[...wrong.values()].map((w) => w.file)];
  const program = ts.createProgram({ rootNames, options: CHECK_OPTIONS });
  programDiagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  diagnostics = new Map(rootNames.map((file) => [file, [...program.getSyntacticDiagnostics(program.getSourceFile(file)), ...program.getSemanticDiagnostics(program.getSourceFile(file))]]));
}, 60_000);

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

const messages = (list: readonly ts.Diagnostic[]): string[] =>
  list.map((d) => {
    const at = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${at !== undefined ? `${at.line + 1}:${at.character + 1} ` : ''}TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });

/** Old states generated from the stub's own `Old` (or `Old<Class>`) interface. */
function olds(p: Prepared, interfaceName: string): { shapes: Record<string, string>; arbitrary: fc.Arbitrary<Record<string, unknown>> } {
  const shapes = interfaceShapes(p.stub, interfaceName);
  return { shapes, arbitrary: arbitraryFor(objectShape(shapes)) as fc.Arbitrary<Record<string, unknown>> };
}

/**
 * The migrated state fits the new types: the function's result merged over the old values, for
 * every changed target and every key it returns; no key the new state does not have.
 */
function checkMigrated(p: Prepared, old: Record<string, unknown>, result: Record<string, unknown>, newShapes: Record<string, string>, targets: string[]): void {
  expect(result).toBeTypeOf('object');
  for (const key of Object.keys(result)) expect(newShapes, `returned \`${key}\`, which the new state does not have`).toHaveProperty([key]);
  const merged = { ...old, ...result };
  for (const key of new Set([...targets, ...Object.keys(result)])) {
    expect(conforms(merged[key], newShapes[key]!, { exact: true }), `${p.scenario.module}: \`${key}\` after the migration`).toBeUndefined();
  }
}

/** The property over one migration module: every old state migrates to the new types. */
function migratesEveryOldState(p: Prepared, module: MigrationModule): void {
  const bindingTargets = p.changes.flatMap((c) => (c.target.kind === 'binding' ? [c.target.name] : []));
  if (bindingTargets.length > 0) {
    const { arbitrary } = olds(p, 'Old');
    const newShapes = interfaceShapes(p.stub, 'New');
    fc.assert(
      fc.property(arbitrary, (old) => {
        const result = module.migration.state!(old);
        checkMigrated(p, old, result, newShapes, bindingTargets);
        p.scenario.meaning?.(old, { ...old, ...result });
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  }
  for (const cls of [...new Set(p.changes.flatMap((c) => (c.target.kind === 'field' ? [c.target.cls] : [])))]) {
    const targets = p.changes.flatMap((c) => (c.target.kind === 'field' && c.target.cls === cls ? [c.target.key] : []));
    const { arbitrary } = olds(p, `Old${cls}`);
    const newShapes = interfaceShapes(p.stub, `New${cls}`);
    fc.assert(
      fc.property(arbitrary, (old) => {
        const result = module.migration.instances![cls]!(old);
        checkMigrated(p, old, result, newShapes, targets);
        p.scenario.meaning?.(old, { ...old, ...result }, cls);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  }
}

describe.each(SCENARIOS.map((s) => [s.name, s.module] as const))('migration: %s (%s)', (_, module) => {
  const get = (): Prepared => prepared.get(module)!;

  test('the stub covers exactly the unsafe changes, typed with the old and new state', () => {
    const p = get();
    expect(p.changes.map((c) => `${targetLabel(c.target)} ${c.change}`)).toEqual(p.scenario.changes);
    // Old/New are the module's state as extracted, shape for shape.
    if (p.changes.some((c) => c.target.kind === 'binding')) {
      expect(interfaceShapes(p.stub, 'Old')).toEqual(Object.fromEntries(Object.entries(p.before.bindings).map(([k, v]) => [k, v.shape])));
      expect(interfaceShapes(p.stub, 'New')).toEqual(Object.fromEntries(Object.entries(p.after.bindings).map(([k, v]) => [k, v.shape])));
    }
    const read = readMigration(p.files.stub, p.stub) as MigrationFile;
    expect(read).toMatchObject({ module });
    for (const change of p.changes) expect(coveringMigration([read], change)?.covered.target).toBe(targetLabel(change.target));
    // The completed migration still covers them and is no longer a stub.
    const done = readMigration(p.files.completed, p.completed) as MigrationFile;
    expect(done.notImplemented).toBeUndefined();
    expect(done.covers.map(({ target, from, to }) => ({ target, from, to }))).toEqual(read.covers.map(({ target, from, to }) => ({ target, from, to })));
    // What check reads statically is what the runtime gets; `source` is for the runtime only.
    const covers = Object.entries(p.completedModule.migration.covers);
    expect(Object.fromEntries(covers.map(([target, { source: _source, ...rest }]) => [target, rest]))).toEqual(
      Object.fromEntries(read.covers.map((c) => [c.target, { from: c.from, to: c.to, ...(c.renamedFrom !== undefined ? { renamedFrom: c.renamedFrom } : {}) }])),
    );
    for (const [, { source }] of covers) expect(source).toEqual({ from: expect.any(String), to: expect.any(String) });
  });

  test('the stub and the completed migration type-check (strict)', () => {
    const p = get();
    expect(messages(programDiagnostics)).toEqual([]);
    expect(messages(diagnostics.get(p.files.stub)!)).toEqual([]);
    expect(messages(diagnostics.get(p.files.completed)!)).toEqual([]);
  });

  test('property: every old state, migrated, fits the new types', () => {
    migratesEveryOldState(get(), get().completedModule);
  });

  test('property: the unimplemented stub throws NOT_IMPLEMENTED naming the module', () => {
    const p = get();
    const read = readMigration(p.files.stub, p.stub) as MigrationFile;
    const calls: Array<{ name: string; interfaceName: string; run: (old: Record<string, unknown>) => unknown }> = [];
    if (p.changes.some((c) => c.target.kind === 'binding')) calls.push({ name: 'state', interfaceName: 'Old', run: (old) => p.stubModule.migration.state!(old) });
    for (const cls of Object.keys(p.stubModule.migration.instances ?? {})) {
      calls.push({ name: `instances.${cls}`, interfaceName: `Old${cls}`, run: (old) => p.stubModule.migration.instances![cls]!(old) });
    }
    expect(calls.length).toBeGreaterThan(0);
    // A confirmed rename needs no code: its stub is complete as written (README: `--rename`
    // "writes the migration out already"); it must return the old value under the new name.
    const renameOnly = p.changes.every((c) => c.change === 'rename');
    if (renameOnly) expect(p.stub).toContain('return { fullName: old.first };');
    else expect(read.notImplemented).toBeDefined();
    for (const call of calls) {
      fc.assert(
        fc.property(olds(p, call.interfaceName).arbitrary, (old) => {
          if (renameOnly) {
            const result = call.run(old) as Record<string, unknown>;
            checkMigrated(p, old, result, interfaceShapes(p.stub, 'New'), []);
            expect(result).toEqual({ fullName: old.first });
            return;
          }
          let thrown: unknown;
          try {
            call.run(old);
          } catch (error) {
            thrown = error;
          }
          expect(thrown, `${call.name} did not throw`).toBeInstanceOf(Error);
          const message = (thrown as Error).message;
          expect(message.startsWith(NOT_IMPLEMENTED), message).toBe(true);
          expect(message).toContain(module);
        }),
        { numRuns: 20 },
      );
    }
  });
});

describe('wrong migrations are caught', () => {
  test('by the checker: a field of the wrong type', () => {
    const found = messages(diagnostics.get(wrong.get('typeError')!.file)!);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/TS2322: .*Types of property 'id' are incompatible\. +Type 'number' is not assignable to type 'string'/);
  });

  test('by the property where the checker cannot see: a stale property kept by a spread', () => {
    const w = wrong.get('staleProperty')!;
    expect(messages(diagnostics.get(w.file)!)).toEqual([]);
    expect(() => migratesEveryOldState(prepared.get('src/profile.ts')!, w.module)).toThrow(/`user` after the migration: expected '\$\.name: unexpected property/);
  });

  test('by the property where the checker cannot see: a conversion that throws for some old values', () => {
    const w = wrong.get('throws')!;
    expect(messages(diagnostics.get(w.file)!)).toEqual([]);
    expect(() => migratesEveryOldState(prepared.get('src/tasks.ts')!, w.module)).toThrow(/RangeError/);
  });
});
