import { expect } from 'vitest';
import type { UpdateReport } from '../runtime/contract.ts';
import type { HotstateOptions } from '../plugin/options.ts';

/**
 * The edit scenarios every host must pass: load a project, act on it, edit files, and assert what
 * survived. Hosts run the same list (see vite-host.test.ts); a scenario never knows which host
 * runs it.
 */
export interface ScenarioContext {
  /** The entry module, loaded once before the first step: its namespace is a reference taken before every update. */
  mod: Record<string, any>;
  /** Loads another module of the project (as an importer would). */
  load(file: string): Promise<Record<string, any>>;
  /** Loads a module in a second, independent module runner: a fresh load, not a hot update. */
  loadFresh(file: string): Promise<Record<string, any>>;
  /** All reports of the step's edits, in order (several for `rapid`). */
  reports: UpdateReport[];
  /** What the host printed for the user (the dev server's terminal). */
  printed: string[];
  /** The report of the step's edit. */
  report: UpdateReport | undefined;
  /** Scratch space that lives across steps (references taken before an update, counters, ...). */
  saved: Record<string, any>;
}

export interface Step {
  /** Before the edit: build up state, take references. */
  act?: (ctx: ScenarioContext) => unknown;
  /** The edit: file → new content. The step waits for that module's update report. */
  edit?: [file: string, content: string];
  /** Several versions of one file written in quick succession; the step waits for every report. */
  rapid?: [file: string, contents: string[]];
  /** The expected report status (default `applied` when there is an edit). */
  status?: UpdateReport['status'];
  /** After the edit: what must hold. */
  check: (ctx: ScenarioContext) => unknown;
}

export interface Scenario {
  name: string;
  files: Record<string, string>;
  entry: string;
  options?: HotstateOptions;
  steps: Step[];
}

/** The report entry for `name`, for concise assertions. */
export function entry(report: UpdateReport | undefined, name: string): { outcome: string; reason?: string } | undefined {
  return report?.entries.find((e) => e.name === name);
}

const counter = (body: string, extra = ''): string => `export let count = 0;\n${extra}export function inc() { ${body} return count; }\n`;

export const scenarios: Scenario[] = [
  {
    name: 'module let keeps its value when the code that uses it changes',
    files: { 'src/counter.ts': counter('count += 1;') },
    entry: 'src/counter.ts',
    steps: [
      {
        act: ({ mod }) => (mod.inc(), mod.inc()),
        edit: ['src/counter.ts', counter('count += 10;')],
        check: ({ mod, report }) => {
          expect(mod.count).toBe(2);
          expect(mod.inc()).toBe(12);
          expect(entry(report, 'count')?.outcome).toBe('kept');
        },
      },
    ],
  },
  {
    name: 'export let is a live binding for importers loaded before and after the update',
    files: {
      'src/store.ts': `export let total = 1;\nexport function add(n: number) { total += n; }\n`,
      'src/view.ts': `import { total } from './store.ts';\nexport const read = () => total;\n`,
    },
    entry: 'src/store.ts',
    steps: [
      {
        act: async (ctx) => {
          ctx.saved.view = await ctx.load('src/view.ts');
          ctx.mod.add(1);
          expect(ctx.saved.view.read()).toBe(2);
        },
        edit: ['src/store.ts', `export let total = 1;\nexport function add(n: number) { total += n * 100; }\n`],
        check: async (ctx) => {
          ctx.mod.add(1);
          expect(ctx.mod.total).toBe(102);
          expect(ctx.saved.view.read()).toBe(102);
          const fresh = await ctx.load('src/store.ts');
          expect(fresh.total).toBe(102);
        },
      },
    ],
  },
  {
    name: 'const is code (re-created, reported); @hotstate keep makes it state',
    files: {
      'src/c.ts': `export const made = { at: Math.random() };\n// @hotstate keep\nexport const kept = { at: Math.random() };\nexport const v = 1;\n`,
    },
    entry: 'src/c.ts',
    steps: [
      {
        act: async (ctx) => {
          ctx.saved.made = ctx.mod.made;
          ctx.saved.kept = ctx.mod.kept;
        },
        edit: ['src/c.ts', `export const made = { at: Math.random() };\n// @hotstate keep\nexport const kept = { at: Math.random() };\nexport const v = 2;\n`],
        check: async ({ load, saved, report }) => {
          const mod = await load('src/c.ts');
          expect(mod.v).toBe(2);
          expect(mod.made).not.toBe(saved.made);
          expect(mod.kept).toBe(saved.kept);
          expect(entry(report, 'made')?.outcome).toBe('recreated');
          expect(entry(report, 'made')?.reason).toMatch(/@hotstate keep/);
          expect(entry(report, 'kept')?.outcome).toBe('kept');
        },
      },
    ],
  },
  {
    name: 'a kept const refuses assignment, as a const does',
    files: { 'src/kc.ts': `// @hotstate keep\nexport const cache = new Map<string, number>();\nexport function clear() { (cache as any) = new Map(); }\n` },
    entry: 'src/kc.ts',
    steps: [
      {
        act: ({ mod }) => expect(() => mod.clear()).toThrow(new TypeError('Assignment to constant variable.')),
        edit: ['src/kc.ts', `// @hotstate keep\nexport const cache = new Map<string, number>();\nexport function clear() { cache.clear(); }\n`],
        check: ({ mod }) => {
          mod.cache.set('a', 1);
          mod.clear();
          expect(mod.cache.size).toBe(0);
        },
      },
    ],
  },
  {
    name: 'a let that becomes export let keeps one value for old and new code',
    files: {
      'src/ex.ts': `import { once } from 'hotstate/runtime';\nlet hits = 0;\nexport let bump: () => void;\nonce('bumper', () => { bump = () => { hits++; }; });\nexport function read() { return hits; }\n`,
    },
    entry: 'src/ex.ts',
    steps: [
      {
        act: ({ mod, saved }) => {
          saved.bump = mod.bump;
          saved.bump();
        },
        edit: ['src/ex.ts', `import { once } from 'hotstate/runtime';\nexport let hits = 0;\nexport let bump: () => void;\nonce('bumper', () => { bump = () => { hits++; }; });\nexport function read() { return hits; }\n`],
        check: async ({ saved, load }) => {
          saved.bump();
          const mod = await load('src/ex.ts');
          expect([mod.read(), mod.hits]).toEqual([2, 2]);
        },
      },
    ],
  },
  {
    name: 'once called after the module evaluated fails with a clear error',
    files: { 'src/late.ts': `import { once } from 'hotstate/runtime';\nexport function later() { once('late', () => {}); }\n` },
    entry: 'src/late.ts',
    steps: [{ check: ({ mod }) => expect(() => mod.later()).toThrow(/src\/late\.ts: once\('late'\) was called after the module finished evaluating/) }],
  },
  {
    name: '@hotstate reset re-initializes on every update; an edited initializer keeps the value and says so',
    files: { 'src/r.ts': `// @hotstate reset\nexport let hits = 0;\nexport let limit = 5;\nexport function hit() { hits++; limit++; }\n` },
    entry: 'src/r.ts',
    steps: [
      {
        act: ({ mod }) => (mod.hit(), mod.hit()),
        edit: ['src/r.ts', `// @hotstate reset\nexport let hits = 0;\nexport let limit = 50;\nexport function hit() { hits++; limit++; }\n`],
        check: ({ mod, report }) => {
          expect(mod.hits).toBe(0);
          expect(mod.limit).toBe(7);
          expect(entry(report, 'hits')?.outcome).toBe('reset');
          expect(entry(report, 'limit')?.outcome).toBe('kept');
          expect(entry(report, 'limit')?.reason).toMatch(/initializer changed/);
        },
      },
    ],
  },
  {
    name: 'added bindings are initialized, removed ones dropped; destructured let and var are state',
    files: { 'src/d.ts': `export let { a, b: [c] } = { a: 1, b: [2] };\nexport var v = 'v1';\nexport let gone = 1;\nexport function set() { a = 10; c = 20; v = 'set'; }\n` },
    entry: 'src/d.ts',
    steps: [
      {
        act: ({ mod }) => mod.set(),
        edit: ['src/d.ts', `export let { a, b: [c] } = { a: 1, b: [2] };\nexport var v = 'v2';\nexport let added = a + c;\nexport function set() {}\n`],
        check: async ({ load, report }) => {
          const mod = await load('src/d.ts');
          expect([mod.a, mod.c, mod.v, mod.added, mod.gone]).toEqual([10, 20, 'set', 30, undefined]);
          expect(entry(report, 'added')?.outcome).toBe('initialized');
          expect(entry(report, 'gone')?.outcome).toBe('dropped');
        },
      },
    ],
  },
  {
    name: 'functions keep one identity; references taken before the update run the newest body',
    files: {
      'src/f.ts': `export function greet(name: string) { return 'hello ' + name; }\nexport const shout = (s: string) => s.toUpperCase();\nexport const later = function () { return 1; };\n`,
    },
    entry: 'src/f.ts',
    steps: [
      {
        act: ({ mod, saved }) => {
          saved.refs = [mod.greet, mod.shout, mod.later];
          saved.bound = mod.greet.bind(null, 'bound');
        },
        edit: ['src/f.ts', `export function greet(name: string) { return 'hi ' + name; }\nexport const shout = (s: string) => s + '!';\nexport const later = function () { return 2; };\n`],
        check: async ({ saved, load }) => {
          const [greet, shout, later] = saved.refs;
          expect(greet('a')).toBe('hi a');
          expect(shout('a')).toBe('a!');
          expect(later()).toBe(2);
          expect(saved.bound()).toBe('hi bound');
          const mod = await load('src/f.ts');
          expect(mod.greet).toBe(greet);
          expect(mod.shout).toBe(shout);
          expect(mod.later).toBe(later);
          expect([greet.name, shout.name, later.name]).toEqual(['greet', 'shout', 'later']);
        },
      },
    ],
  },
  {
    name: 'live instances run new methods and getters, keep #private state, get added fields',
    files: {
      'src/task.ts': `export class Task {\n  #done = false;\n  title: string;\n  constructor(title: string) { this.title = title; }\n  finish() { this.#done = true; }\n  get label() { return this.title + (this.#done ? ' ✓' : ''); }\n}\n`,
    },
    entry: 'src/task.ts',
    steps: [
      {
        act: ({ mod, saved }) => {
          saved.a = new mod.Task('a');
          saved.b = new mod.Task('b');
          saved.a.finish();
          saved.Task = mod.Task;
        },
        edit: [
          'src/task.ts',
          `export class Task {\n  #done = false;\n  #touched = 0;\n  title = 'untitled';\n  priority = this.title.length * 10;\n  constructor(title: string) { this.title = title; }\n  finish() { this.#done = true; this.#touched++; }\n  get label() { return '[' + this.title + (this.#done ? ' done' : '') + ' p' + this.priority + ' t' + this.#touched + ']'; }\n  static make(t: string) { return new Task(t); }\n}\n`,
        ],
        check: async ({ saved, load }) => {
          const mod = await load('src/task.ts');
          expect(mod.Task).toBe(saved.Task);
          expect(saved.a.label).toBe('[a done p10 t0]');
          expect(saved.b.label).toBe('[b p10 t0]');
          saved.b.finish();
          expect(saved.b.label).toBe('[b done p10 t1]');
          const c = mod.Task.make('ccc');
          expect(c).toBeInstanceOf(saved.Task);
          expect(saved.a).toBeInstanceOf(mod.Task);
          expect(c.label).toBe('[ccc p80 t0]');
        },
      },
    ],
  },
  {
    name: 'fields removed by an update are deleted from live instances; retyped fields start again from the new initializer',
    files: { 'src/shape.ts': `export class Shape {\n  size: number = 1;\n  legacy = 'old';\n  grow() { this.size++; }\n}\nexport class Square extends Shape {}\n` },
    entry: 'src/shape.ts',
    steps: [
      {
        act: ({ mod, saved }) => {
          saved.shape = new mod.Shape();
          saved.square = new mod.Square();
          saved.shape.grow();
          saved.square.grow();
        },
        edit: ['src/shape.ts', `export class Shape {\n  size: string = 'M';\n  grow() { this.size += '+'; }\n}\nexport class Square extends Shape {}\n`],
        check: ({ saved, report }) => {
          expect(Object.keys(saved.shape)).not.toContain('legacy');
          expect(saved.square.legacy).toBeUndefined();
          expect(saved.shape.size).toBe('M');
          saved.square.grow();
          expect(saved.square.size).toBe('M+');
          expect(entry(report, 'Shape.legacy')).toMatchObject({ outcome: 'dropped', reason: expect.stringMatching(/deleted from existing instances; done on 2 existing instances/) });
          expect(entry(report, 'Shape.size')).toMatchObject({ outcome: 'reset', reason: expect.stringMatching(/`number` to `string`/) });
        },
      },
    ],
  },
  {
    name: 'constructors keep new.target, instanceof and Object.freeze(this) after an update',
    files: {
      'src/ctor.ts': `export const version = 1;\nexport class Shape {\n  constructor() { if (new.target === Shape) throw new Error('abstract'); }\n}\nexport class Point extends Shape {\n  static all: Point[] = [];\n  x = 1;\n  constructor() { super(); if (!(this instanceof Point)) throw new Error('not a Point'); Point.all.push(this); Object.freeze(this); }\n}\n`,
    },
    entry: 'src/ctor.ts',
    steps: [
      {
        edit: ['src/ctor.ts', `export const version = 2;\nexport class Shape {\n  constructor() { if (new.target === Shape) throw new Error('abstract'); }\n}\nexport class Point extends Shape {\n  static all: Point[] = [];\n  x = 1;\n  constructor() { super(); if (!(this instanceof Point)) throw new Error('not a Point'); Point.all.push(this); Object.freeze(this); }\n}\n`],
        check: ({ mod }) => {
          expect(() => new mod.Shape()).toThrow('abstract');
          const p = new mod.Point();
          expect(Object.isFrozen(p)).toBe(true);
          expect(p).toBeInstanceOf(mod.Point);
          expect(mod.Point.all).toContain(p);
        },
      },
    ],
  },
  {
    name: 'private methods, accessors and static private fields follow the update on old instances; brand checks stay exact',
    files: { 'src/meter.ts': `export class Meter {\n  #reading = 0;\n  static #count = 0;\n  constructor() { Meter.#count++; }\n  #scale(x: number) { return x; }\n  get #display() { return String(this.#scale(this.#reading)); }\n  add(n: number) { this.#reading += n; return this.#display; }\n  static count() { return Meter.#count; }\n  static isMeter(o: object) { return #reading in o; }\n}\n` },
    entry: 'src/meter.ts',
    steps: [
      {
        act: ({ mod, saved }) => {
          saved.m = new mod.Meter();
          expect(saved.m.add(1)).toBe('1');
        },
        edit: ['src/meter.ts', `export class Meter {\n  #reading = 0;\n  static #count = 0;\n  constructor() { Meter.#count++; }\n  #scale(x: number) { return x * 10; }\n  get #display() { return '[' + this.#scale(this.#reading) + ']'; }\n  #twice(x: number) { return 2 * x; }\n  add(n: number) { this.#reading += this.#twice(n); return this.#display; }\n  static count() { return Meter.#count; }\n  static isMeter(o: object) { return #reading in o; }\n}\n`],
        check: ({ mod, saved }) => {
          expect(saved.m.add(1)).toBe('[30]');
          expect(mod.Meter.count()).toBe(1);
          const fresh = new mod.Meter();
          expect(fresh.add(2)).toBe('[40]');
          expect(mod.Meter.count()).toBe(2);
          expect([mod.Meter.isMeter(saved.m), mod.Meter.isMeter(fresh), mod.Meter.isMeter({}), mod.Meter.isMeter(Object.create(saved.m))]).toEqual([true, true, false, false]);
          expect(Reflect.ownKeys(saved.m)).toEqual([]);
        },
      },
    ],
  },
  {
    name: 'subclasses in other modules follow their parent; super calls reach the newest parent method',
    files: {
      'src/base.ts': `export class Animal {\n  name = 'x';\n  speak() { return 'generic'; }\n}\n`,
      'src/dog.ts': `import { Animal } from './base.ts';\nexport class Dog extends Animal {\n  speak() { return 'woof+' + super.speak(); }\n}\nexport const make = () => new Dog();\n`,
    },
    entry: 'src/base.ts',
    steps: [
      {
        act: async (ctx) => {
          ctx.saved.dogs = await ctx.load('src/dog.ts');
          ctx.saved.rex = ctx.saved.dogs.make();
          expect(ctx.saved.rex.speak()).toBe('woof+generic');
        },
        edit: ['src/base.ts', `export class Animal {\n  name = 'x';\n  speak() { return 'animal:' + this.name; }\n}\n`],
        check: ({ saved, mod }) => {
          expect(saved.rex.speak()).toBe('woof+animal:x');
          expect(saved.dogs.make().speak()).toBe('woof+animal:x');
          expect(saved.rex).toBeInstanceOf(mod.Animal);
        },
      },
    ],
  },
  {
    name: 'static fields are state; new static fields are initialized',
    files: { 'src/s.ts': `export class Registry {\n  static count = 0;\n  static add() { return ++Registry.count; }\n}\n` },
    entry: 'src/s.ts',
    steps: [
      {
        act: ({ mod }) => (mod.Registry.add(), mod.Registry.add()),
        edit: ['src/s.ts', `export class Registry {\n  static count = 0;\n  static step = 5;\n  static add() { return (Registry.count += Registry.step); }\n}\n`],
        check: ({ mod, report }) => {
          expect(mod.Registry.count).toBe(2);
          expect(mod.Registry.add()).toBe(7);
          expect(entry(report, 'Registry.static step')?.outcome).toBe('initialized');
        },
      },
    ],
  },
  {
    name: 'a module that throws while evaluating is rolled back: old code and state stay; the next good edit applies',
    files: { 'src/t.ts': counter('count += 1;') },
    entry: 'src/t.ts',
    steps: [
      {
        act: ({ mod }) => mod.inc(),
        edit: ['src/t.ts', counter('count += 100;', 'count = 999;\nthrow new Error("boom");\n')],
        status: 'rolled-back',
        check: ({ mod }) => {
          expect(mod.count).toBe(1);
          expect(mod.inc()).toBe(2);
        },
      },
      {
        edit: ['src/t.ts', counter('count += 1000;')],
        check: ({ mod }) => {
          expect(mod.inc()).toBe(1002);
        },
      },
    ],
  },
  {
    name: 'a syntax error is rolled back with state intact; the fix applies',
    files: { 'src/x.ts': counter('count += 1;') },
    entry: 'src/x.ts',
    steps: [
      {
        act: ({ mod }) => (mod.inc(), mod.inc()),
        edit: ['src/x.ts', counter('count += ;')],
        status: 'rolled-back',
        check: ({ mod }) => {
          expect(mod.inc()).toBe(3);
        },
      },
      {
        edit: ['src/x.ts', counter('count += 2;')],
        check: ({ mod }) => expect(mod.inc()).toBe(5),
      },
    ],
  },
  {
    name: 'a declared type changed incompatibly resets the binding (default policy) and says why',
    files: { 'src/ty.ts': `export let value: number = 1;\nexport let wide: number = 1;\nexport function bump() { value = 41; wide = 41; }\n` },
    entry: 'src/ty.ts',
    steps: [
      {
        act: ({ mod }) => mod.bump(),
        edit: ['src/ty.ts', `export let value: string = 'new';\nexport let wide: number | string = 1;\nexport function bump() {}\n`],
        check: ({ mod, report }) => {
          expect(mod.value).toBe('new');
          expect(mod.wide).toBe(41);
          expect(entry(report, 'value')?.outcome).toBe('reset');
          expect(entry(report, 'value')?.reason).toMatch(/`number` to `string`/);
          expect(entry(report, 'wide')?.outcome).toBe('kept');
        },
      },
    ],
  },
  {
    name: "onIncompatible: 'reject' keeps the old code and state and reports the rejection",
    options: { onIncompatible: 'reject' },
    files: { 'src/rj.ts': `export let value: number = 1;\nexport function get() { return value; }\n` },
    entry: 'src/rj.ts',
    steps: [
      {
        edit: ['src/rj.ts', `export let value: string = 'x';\nexport function get() { return 'new code ' + value; }\n`],
        status: 'rejected',
        check: ({ mod, report }) => {
          expect(mod.get()).toBe(1);
          expect(report?.error).toMatch(/rejected.*`value`.*`number` to `string`/);
        },
      },
    ],
  },
  {
    name: 'after a rejected update, a syntax error is still reported, and a good edit applies',
    options: { onIncompatible: 'reject' },
    files: { 'src/rj2.ts': `export let value: number = 1;\nexport function get() { return value; }\n` },
    entry: 'src/rj2.ts',
    steps: [
      { edit: ['src/rj2.ts', `export let value: string = 'x';\nexport function get() { return value; }\n`], status: 'rejected', check: ({ mod }) => expect(mod.get()).toBe(1) },
      { edit: ['src/rj2.ts', `export let value: number = ;\n`], status: 'rolled-back', check: ({ mod }) => expect(mod.get()).toBe(1) },
      { edit: ['src/rj2.ts', `export let value: number = 1;\nexport function get() { return value * 100; }\n`], check: ({ mod }) => expect(mod.get()).toBe(100) },
    ],
  },
  {
    name: "onIncompatible: 'keep' keeps the old value",
    options: { onIncompatible: 'keep' },
    files: { 'src/k.ts': `export let value: number = 1;\nexport function set() { value = 5; }\n` },
    entry: 'src/k.ts',
    steps: [
      {
        act: ({ mod }) => mod.set(),
        edit: ['src/k.ts', `export let value: string = 'x';\nexport function set() {}\n`],
        check: ({ mod }) => expect(mod.value).toBe(5),
      },
    ],
  },
  {
    name: 'once keeps exactly one timer across updates, running the newest tick; removing it cleans up',
    files: {
      'src/clock.ts': `import { once } from 'hotstate/runtime';\nexport let ticks: string[] = [];\nexport let timers = 0;\nexport function tick() { ticks.push('v1'); }\nonce('clock', () => { timers++; const t = setInterval(tick, 5); return () => { timers--; clearInterval(t); }; });\n`,
    },
    entry: 'src/clock.ts',
    steps: [
      {
        edit: [
          'src/clock.ts',
          `import { once } from 'hotstate/runtime';\nexport let ticks: string[] = [];\nexport let timers = 0;\nexport function tick() { ticks.push('v2'); }\nonce('clock', () => { timers++; const t = setInterval(tick, 5); return () => { timers--; clearInterval(t); }; });\n`,
        ],
        check: async ({ mod }) => {
          mod.ticks.length = 0;
          await new Promise((r) => setTimeout(r, 40));
          expect(mod.timers).toBe(1);
          expect(mod.ticks.length).toBeGreaterThan(0);
          expect(new Set(mod.ticks)).toEqual(new Set(['v2']));
        },
      },
      {
        edit: ['src/clock.ts', `export let ticks: string[] = [];\nexport let timers = 0;\nexport function tick() {}\n`],
        check: async ({ mod }) => {
          expect(mod.timers).toBe(0);
          const seen = mod.ticks.length;
          await new Promise((r) => setTimeout(r, 30));
          expect(mod.ticks.length).toBe(seen);
        },
      },
    ],
  },
  {
    name: 'once with changed deps cleans up the old effect after commit, then sets up again',
    files: { 'src/fx.ts': `import { once } from 'hotstate/runtime';\nexport let log: string[] = [];\nonce('fx', () => { log.push('setup a'); return () => log.push('cleanup a'); }, ['a']);\n` },
    entry: 'src/fx.ts',
    steps: [
      {
        edit: ['src/fx.ts', `import { once } from 'hotstate/runtime';\nexport let log: string[] = [];\nonce('fx', () => { log.push('setup b'); return () => log.push('cleanup b'); }, ['b']);\n`],
        check: ({ mod }) => expect(mod.log).toEqual(['setup a', 'cleanup a', 'setup b']),
      },
      {
        edit: ['src/fx.ts', `import { once } from 'hotstate/runtime';\nexport let log: string[] = [];\nonce('fx', () => { log.push('setup c'); return () => log.push('cleanup c'); }, ['b']);\nthrow new Error('no');\n`],
        status: 'rolled-back',
        check: ({ mod }) => expect(mod.log).toEqual(['setup a', 'cleanup a', 'setup b']),
      },
    ],
  },
  {
    name: 'rapid successive edits apply in order and the last version wins, with state kept',
    files: { 'src/rapid.ts': counter('count += 1;') },
    entry: 'src/rapid.ts',
    steps: [
      {
        act: ({ mod }) => mod.inc(),
        rapid: ['src/rapid.ts', [2, 3, 4, 5, 6].map((n) => counter(`count += ${n};`))],
        check: ({ mod, reports }) => {
          expect(reports.map((r) => r.status)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
          expect(mod.inc()).toBe(7);
        },
      },
    ],
  },
  {
    name: 'a fresh, independent load starts from the initializers; the hot lineage keeps its state',
    files: { 'src/fresh.ts': counter('count += 1;') },
    entry: 'src/fresh.ts',
    steps: [
      {
        act: ({ mod }) => (mod.inc(), mod.inc()),
        edit: ['src/fresh.ts', counter('count += 2;')],
        check: async ({ mod, loadFresh }) => {
          const fresh = await loadFresh('src/fresh.ts');
          expect(fresh.count).toBe(0);
          expect(fresh.inc()).toBe(2);
          expect(mod.count).toBe(2);
          expect(fresh.inc).not.toBe(mod.inc);
        },
      },
    ],
  },
  {
    name: 'modules with top-level await keep their state',
    files: { 'src/tla.ts': `export let loaded = await Promise.resolve(['a']);
export const version = 1;
` },
    entry: 'src/tla.ts',
    steps: [
      {
        act: ({ mod }) => mod.loaded.push('b'),
        edit: ['src/tla.ts', `export let loaded = await Promise.resolve(['x']);
export const version = 2;
`],
        check: async ({ load }) => {
          const mod = await load('src/tla.ts');
          expect(mod.version).toBe(2);
          expect(mod.loaded).toEqual(['a', 'b']);
        },
      },
    ],
  },
  {
    name: 'errors thrown in instrumented code point at the original line and column, before and after an update',
    files: { 'src/err.ts': `export let n = 0;
export function fail() {
  n++; throw new Error('here');
}
` },
    entry: 'src/err.ts',
    steps: [
      {
        act: ({ mod }) => expect(() => mod.fail()).toThrow(expect.objectContaining({ stack: expect.stringMatching(/src\/err\.ts:3:14\)/) })),
        edit: ['src/err.ts', `export let n = 0;

export function fail() {
  n++;
  if (n > 0) throw new TypeError('there');
}
`],
        check: ({ mod }) => {
          expect(() => mod.fail()).toThrow(expect.objectContaining({ stack: expect.stringMatching(/src\/err\.ts:5:20\)/) }));
          expect(mod.n).toBe(2);
        },
      },
    ],
  },
  {
    name: 'importers of an exported const run again with the new value; their own state survives',
    files: {
      'src/config.ts': `export const greeting = 'hello';\nexport let uses = 0;\nexport function use() { return ++uses; }\n`,
      'src/app.ts': `import { greeting, use } from './config.ts';\nexport let renders = 0;\nexport let shown = '';\nrenders++;\nshown = greeting + ' #' + use();\n`,
    },
    entry: 'src/app.ts',
    steps: [
      {
        act: async ({ mod, load, saved }) => {
          expect([mod.renders, mod.shown]).toEqual([1, 'hello #1']);
          saved.config = await load('src/config.ts');
        },
        edit: ['src/config.ts', `export const greeting = 'howdy';\nexport let uses = 0;\nexport function use() { return ++uses; }\n`],
        check: async ({ mod }) => {
          await expect.poll(() => mod.shown).toBe('howdy #2');
          expect(mod.renders).toBe(2);
        },
      },
      {
        edit: ['src/config.ts', `export const greeting = 'hey';\nexport let uses = 0;\nexport function use() { return ++uses; }\nthrow new Error('broken config');\n`],
        status: 'rolled-back',
        check: ({ mod, saved }) => {
          expect(mod.shown).toBe('howdy #2');
          expect(saved.config.use()).toBe(3);
        },
      },
    ],
  },
  {
    name: 'each update is printed for the user and sent to listeners as hotstate:update',
    files: {
      'src/watched.ts': `export let n = 0;\nexport const v = 1;\n`,
      'src/listener.ts': `export let seen: string[] = [];\nimport.meta.hot?.on('hotstate:update', (report) => { seen.push(report.id + ':' + report.status); });\n`,
    },
    entry: 'src/listener.ts',
    steps: [
      {
        act: ({ load }) => load('src/watched.ts'),
        edit: ['src/watched.ts', `export let n = 0;\nexport const v = 2;\n`],
        check: async ({ mod, printed }) => {
          await expect.poll(() => mod.seen).toEqual(['src/watched.ts:applied']);
          expect(printed.join('\n')).toMatch(/\[hotstate\] updated src\/watched\.ts\n\s+= n: kept\n\s+~ v: recreated/);
        },
      },
    ],
  },
  {
    name: 'an update that arrives while a module with top-level await is still evaluating waits for it',
    files: { 'src/slow.ts': `export let log: string[] = [];\nlog.push('start 1');\nawait new Promise((r) => setTimeout(r, 10));\nlog.push('end 1');\n` },
    entry: 'src/slow.ts',
    steps: [
      {
        rapid: ['src/slow.ts', [2, 3].map((n) => `export let log: string[] = [];\nlog.push('start ${n}');\nawait new Promise((r) => setTimeout(r, 400));\nlog.push('end ${n}');\n`)],
        check: ({ mod, reports }) => {
          expect(reports.map((r) => r.status)).toEqual(['applied', 'applied']);
          expect(mod.log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
        },
      },
    ],
  },
  {
    name: 'binding names like __proto__, constructor and hasOwnProperty are ordinary state',
    files: { 'src/p.ts': `export let __proto__ = 1;\nexport let constructor = 2;\nexport let hasOwnProperty = 3;\nexport function bump() { __proto__++; constructor++; hasOwnProperty++; }\n` },
    entry: 'src/p.ts',
    steps: [
      {
        act: ({ mod }) => mod.bump(),
        edit: ['src/p.ts', `export let __proto__ = 1;\nexport let constructor = 2;\nexport let hasOwnProperty = 3;\nexport function bump() { __proto__ += 10; constructor += 10; hasOwnProperty += 10; }\n`],
        check: ({ mod }) => {
          mod.bump();
          expect([mod.__proto__, mod.constructor, mod.hasOwnProperty]).toEqual([12, 13, 14]);
        },
      },
    ],
  },
  {
    name: 'a function removed by an update fails with a clear error when an old reference calls it',
    files: { 'src/gone.ts': `export function old() { return 1; }\nexport function keep() { return 1; }\n` },
    entry: 'src/gone.ts',
    steps: [
      {
        act: ({ mod, saved }) => (saved.old = mod.old),
        edit: ['src/gone.ts', `export function keep() { return 2; }\n`],
        check: ({ saved, report }) => {
          expect(() => saved.old()).toThrow(/src\/gone\.ts: function `old` was removed by a hot update/);
          expect(entry(report, 'old')?.outcome).toBe('dropped');
        },
      },
    ],
  },
  {
    name: "a user's own import.meta.hot calls keep working",
    files: { 'src/own.ts': `export let seen = import.meta.hot?.data.previous ?? 'none';\nexport const now = 'v1';\nimport.meta.hot?.dispose((data) => { data.previous = now; });\n` },
    entry: 'src/own.ts',
    steps: [
      {
        edit: ['src/own.ts', `export const seenNow = import.meta.hot?.data.previous ?? 'none';\nexport const now = 'v2';\nimport.meta.hot?.dispose((data) => { data.previous = now; });\n`],
        check: async ({ load }) => expect((await load('src/own.ts')).seenNow).toBe('v1'),
      },
    ],
  },
];
