import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createServer, createServerModuleRunner, type ViteDevServer } from 'vite';
import type { ModuleRunner } from 'vite/module-runner';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startProject, type Project } from './harness.ts';

/**
 * SPEC §1: without an update, an instrumented program behaves exactly as the original. Every
 * fixture under fixtures/semantics/ exports `run()`, which returns a log of labelled,
 * JSON-serializable observations. Each fixture is loaded twice from the same project folder:
 * by a Vite dev server with the hotstate plugin (the harness) and by a second Vite dev server
 * without it. The two logs, or the two errors, must be equal.
 *
 * `bugs/` holds the differences found so far; each is a `test.fails` until it is fixed, next to
 * a test that pins down what plain JavaScript does.
 */

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'semantics');

/** Every fixture file, as `src/<path relative to the fixture folder>` → content. */
function fixtureFiles(dir = FIXTURES, prefix = 'src'): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(files, fixtureFiles(full, `${prefix}/${name}`));
    else files[`${prefix}/${name}`] = readFileSync(full, 'utf8');
  }
  return files;
}

type Observation = [label: string, value: unknown];
interface ErrorShape {
  error: string;
  message: string;
}
type Outcome = { log: Observation[] } | { threw: ErrorShape };

function errorShape(error: unknown): ErrorShape {
  return error instanceof Error
    ? { error: error.constructor.name, message: error.message }
    : { error: typeof error, message: String(error) };
}

/** Imports a fixture and calls its `run()`; an error while loading or running is the outcome too. */
async function observe(runner: ModuleRunner, entry: string): Promise<Outcome> {
  try {
    const mod = await runner.import(`/src/${entry}`);
    return { log: (await mod.run()) as Observation[] };
  } catch (error) {
    return { threw: errorShape(error) };
  }
}

function logOf(outcome: Outcome): Observation[] {
  if ('threw' in outcome) throw new Error(`the fixture threw: ${outcome.threw.error}: ${outcome.threw.message}`);
  return outcome.log;
}

function valueOf(outcome: Outcome, label: string): unknown {
  const found = logOf(outcome).find(([l]) => l === label);
  if (found === undefined) throw new Error(`no observation labelled "${label}"`);
  return found[1];
}

let instrumented: Project;
let plain: { server: ViteDevServer; runner: ModuleRunner };

beforeAll(async () => {
  instrumented = await startProject(fixtureFiles());
  // Same folder, same Vite, no hotstate: the reference behaviour.
  const server = await createServer({
    root: instrumented.root,
    configFile: false,
    logLevel: 'silent',
    appType: 'custom',
    server: { middlewareMode: true, ws: false, watch: null },
    plugins: [],
  });
  plain = { server, runner: createServerModuleRunner(server.environments.ssr, { hmr: false }) };
});

afterAll(async () => {
  await plain?.runner.close();
  await plain?.server.close();
  await instrumented?.close();
});

async function both(entry: string): Promise<{ plain: Outcome; instrumented: Outcome }> {
  return { plain: await observe(plain.runner, entry), instrumented: await observe(instrumented.runner, entry) };
}

const ReferenceErrorOf = (name: string): ErrorShape => ({ error: 'ReferenceError', message: `Cannot access '${name}' before initialization` });

interface Fixture {
  entry: string;
  /** Modules the fixture loads, besides `entry`, that must come out instrumented. */
  uses?: string[];
  /** The log must have at least this many observations (so the comparison is never vacuous). */
  min: number;
  /** Spot checks of the plain log: JavaScript's own semantics, label → value. */
  expect?: Record<string, unknown>;
}

const FIXTURE_LIST: Fixture[] = [
  {
    entry: 'hoisting.ts',
    min: 20,
    expect: {
      'hoisted call before its declaration': 20,
      'hoisted function name and length': ['later', 2],
      'var before its declaration': '<undefined>',
      'typeof var before its declaration': 'undefined',
      'let read too early': ReferenceErrorOf('late'),
      'typeof let too early': ReferenceErrorOf('late'),
      'let written too early': ReferenceErrorOf('late'),
      'let incremented too early': ReferenceErrorOf('lateCount'),
      'const read too early': ReferenceErrorOf('LIMIT'),
      'class used too early': ReferenceErrorOf('Widget'),
      'const arrow called too early': ReferenceErrorOf('arrowLate'),
      'destructured let too early': ReferenceErrorOf('pairA'),
      'let after its declaration': ['late value', 'written', 0, 1],
    },
  },
  {
    entry: 'functions.ts',
    min: 100,
    expect: {
      'arrow: name, length, kind': ['arrow', 2, 'Function'],
      'arrow: prototype': ['undefined', ['length', 'name']],
      'arrowDefaults: name, length, kind': ['arrowDefaults', 1, 'Function'],
      'asyncUnparenthesized: name, length, kind': ['asyncUnparenthesized', 1, 'AsyncFunction'],
      'anonymousExpression: name, length, kind': ['anonymousExpression', 1, 'Function'],
      'namedExpression: name, length, kind': ['inner', 2, 'Function'],
      'declared: name, length, kind': ['declared', 2, 'Function'],
      'arrow this': ['<undefined>', '<undefined>', '<undefined>'],
      'this: plain call': '<undefined this>',
      'this: apply with a primitive': 5,
      'new on an arrow': { error: 'TypeError', message: 'arrow is not a constructor' },
      'new.target': ['constructed:Tracker', 'called', 'constructed:Point'],
      'exported arrow identity through a dynamic import': true,
    },
  },
  {
    entry: 'state.ts',
    min: 40,
    expect: {
      swap: [2, 1],
      'shorthand default in an assignment pattern': 77,
      'hoisted var shadow': ['undefined', 'hoisted local'],
      'loop head TDZ': 'ReferenceError',
    },
  },
  {
    entry: 'live-reader.ts',
    uses: ['live-counter.ts', 'live-other.ts'],
    min: 12,
    expect: {
      'bump returns': [1, 3, 5],
      'named import after bumps': 5,
      'second importer after bumps': 5,
      'write from the second importer': [105, 105, 105, 105],
    },
  },
  {
    entry: 'classes.ts',
    uses: ['classes-base.ts'],
    min: 30,
    expect: {
      'instanceof across modules': [true, true, true, false, false, true, false],
      'static registry with new.target names': ['Rect#1', 'Square#2', 'Circle#3', 'Square#4', 'Rect#5'],
      'class called without new': { error: 'TypeError', message: "Class constructor Rect cannot be invoked without 'new'" },
      'Symbol.hasInstance': [true, false, true, false],
    },
  },
  {
    entry: 'privates.ts',
    min: 14,
    expect: { '#field in': [true, true, false, false, false], 'subclass #field in': [true, false] },
  },
  {
    entry: 'iterators.ts',
    min: 18,
    expect: { 'microtask interleaving': ['a1', 'b1', 'a2', 'b2', 'then', 'a3', 'b3'], delegation: [1, 2, 'done', 'x', 'y'] },
  },
  {
    entry: 'cycle.ts',
    uses: ['cycle-a.ts', 'cycle-b.ts'],
    min: 5,
    expect: { 'mutual recursion': [true, true, false, false] },
  },
  {
    entry: 'tla.ts',
    uses: ['tla-dep.ts'],
    min: 5,
    expect: { 'values from top-level await': ['loaded by await', 14, 'timer value', 'destructured after await'] },
  },
  {
    entry: 'no-semicolons.ts',
    min: 4,
    expect: {
      'calls through module lets, each statement on its own line': [[['first', 'second']][0], 'handled', 'a|b'],
      'var patterns in a block': [1, 2, 3],
      'private members after fields without semicolons': [1, 3, 3],
      'await in a class heritage': 'loaded:base',
    },
  },
  {
    entry: 'decorators/decorated.ts',
    min: 8,
    expect: { 'self reference is the decorated class': [true, '', 'service'], 'wrapped method': 'w(svc:8080)' },
  },
];

describe('an instrumented program behaves as the plain program', () => {
  for (const fixture of FIXTURE_LIST) {
    test(fixture.entry, async () => {
      const outcome = await both(fixture.entry);
      const log = logOf(outcome.plain);
      expect(log.length).toBeGreaterThanOrEqual(fixture.min);
      expect(new Set(log.map(([label]) => label)).size, 'labels are unique').toBe(log.length);
      for (const [label, value] of Object.entries(fixture.expect ?? {})) {
        expect(valueOf(outcome.plain, label), label).toEqual(value);
      }
      expect(outcome.instrumented).toEqual(outcome.plain);
    });
  }

  test('the instrumented side really is instrumented, the plain side is not', async () => {
    const modules = ['observe.ts', ...FIXTURE_LIST.flatMap((f) => [f.entry, ...(f.uses ?? [])])];
    for (const file of modules) {
      const hot = await instrumented.server.environments.ssr.transformRequest(`/src/${file}`);
      const cold = await plain.server.environments.ssr.transformRequest(`/src/${file}`);
      expect(hot?.code, file).toContain('__hotstate');
      expect(cold?.code, file).not.toContain('__hotstate');
    }
  });
});

interface KnownDifference {
  entry: string;
  /** What plain JavaScript logs (the instrumented program should log the same). */
  plain: Observation[];
}

const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    entry: 'bugs/static-self-reference.ts',
    plain: [
      ['static field initialized by a static factory', { $class: 'Color', hex: '#f00' }],
      ['static field constructing an instance whose field initializer names the class', 1],
      ['static block constructing an instance whose constructor names the class', ['builtin']],
    ],
  },
  {
    entry: 'bugs/decorators/class-decorator-factory.ts',
    plain: [['registry filled by the class decorator', [['widget'], 'widget']]],
  },
  {
    entry: 'bugs/var-assigned-before-declaration.ts',
    plain: [['var assigned before its bare declaration', 'configured']],
  },
  {
    entry: 'bugs/var-declared-twice.ts',
    plain: [
      ['first declaration', 1],
      ['second declaration', 2],
    ],
  },
  {
    entry: 'bugs/var-redeclared-in-block.ts',
    plain: [
      ['var redeclared in a block', true],
      ['var redeclared by a for loop', 3],
    ],
  },
  {
    entry: 'bugs/destructuring-default.ts',
    plain: [
      ['array pattern default reads an earlier element', [640, 640]],
      ['object pattern default reads an earlier property', [5, 10]],
    ],
  },
  {
    entry: 'bugs/proto-shorthand.ts',
    plain: [
      ['own keys of { __proto__ } holding a string', ['__proto__']],
      ['{ __proto__ } holding an object', [['__proto__'], true]],
    ],
  },
  {
    entry: 'bugs/let-function-this.ts',
    plain: [
      ['plain call', 'undefined this'],
      ['optional call', 'undefined this'],
      ['tagged template', 'tag with undefined this'],
      ['detached method', { error: 'TypeError', message: "Cannot read properties of undefined (reading 'name')" }],
    ],
  },
  {
    entry: 'bugs/parameter-scope.ts',
    plain: [
      ['let in the body', [3, 6]],
      ['var in the body of a top-level arrow', [3, 0]],
      ['function declaration in the body', 'module fallback'],
    ],
  },
  {
    entry: 'bugs/var-scope.ts',
    plain: [
      ['var in a static block', 42],
      ['var in a namespace', 'namespace total'],
      ['module let untouched', 'module total'],
    ],
  },
  {
    entry: 'bugs/arrow-comment.ts',
    plain: [['arrow with a comment before =>', 100]],
  },
  {
    entry: 'bugs/error-messages.ts',
    plain: [
      ['call of a non-function', { error: 'TypeError', message: 'handler is not a function' }],
      ['iteration of a non-iterable', { error: 'TypeError', message: 'items is not iterable' }],
      ['new of a non-constructor', { error: 'TypeError', message: 'Factory is not a constructor' }],
      ['Reflect.construct of a top-level arrow', { error: 'TypeError', message: '(x) => x * 2 is not a constructor' }],
    ],
  },
  {
    entry: 'bugs/cycle-var.ts',
    plain: [
      ['b', ['<undefined>', 1, 1]],
      ['a', [1, 3]],
    ],
  },
  {
    entry: 'bugs/private-brand-check.ts',
    plain: [
      ['instance', [true, true]],
      ['object inheriting from an instance', [false, false]],
      ['the class prototype', false],
      ['a proxy of an instance', false],
      ['a primitive', { error: 'TypeError', message: "Cannot use 'in' operator to search for '#secret' in 5" }],
    ],
  },
  {
    entry: 'bugs/private-frozen.ts',
    plain: [['private write on a frozen instance', '12.34 EUR']],
  },
  {
    entry: 'bugs/private-visible-keys.ts',
    plain: [
      ['Reflect.ownKeys', ['name']],
      ['own symbols', 0],
      ['spread copy passes the brand check', false],
      ['Object.assign copy passes the brand check', false],
    ],
  },
  {
    entry: 'bugs/private-foreign-receiver.ts',
    plain: [
      ['getter on a plain object', { error: 'TypeError', message: 'Cannot read private member #reading from an object whose class did not declare it' }],
      ['setter on a plain object', { error: 'TypeError', message: 'Cannot write private member #reading to an object whose class did not declare it' }],
      ['private method on a plain object', { error: 'TypeError', message: 'Receiver must be an instance of class Meter' }],
      ['getter on a proxy of an instance', { error: 'TypeError', message: 'Cannot read private member #reading from an object whose class did not declare it' }],
      ['static private through a subclass', { error: 'TypeError', message: 'Cannot read private member #count from an object whose class did not declare it' }],
      ['private field initialized twice on the same object', { error: 'TypeError', message: 'Cannot initialize #stamped twice on the same object' }],
    ],
  },
];

/** Entries of KNOWN_DIFFERENCES that hotstate now gets right: they must stay right. */
const FIXED = new Set<string>([
  'bugs/static-self-reference.ts',
  'bugs/decorators/class-decorator-factory.ts',
  'bugs/proto-shorthand.ts',
  'bugs/let-function-this.ts',
  'bugs/parameter-scope.ts',
  'bugs/var-scope.ts',
  'bugs/arrow-comment.ts',
  'bugs/var-assigned-before-declaration.ts',
  'bugs/var-declared-twice.ts',
  'bugs/var-redeclared-in-block.ts',
  'bugs/destructuring-default.ts',
  'bugs/private-brand-check.ts',
  'bugs/private-frozen.ts',
  'bugs/private-visible-keys.ts',
  'bugs/private-foreign-receiver.ts',
  'bugs/cycle-var.ts',
]);

describe('differences found by this suite (see each fixture)', () => {
  for (const difference of KNOWN_DIFFERENCES) {
    test(`${difference.entry}: what plain JavaScript does`, async () => {
      expect(await observe(plain.runner, difference.entry)).toEqual({ log: difference.plain });
    });
    (FIXED.has(difference.entry) ? test : test.fails)(`${difference.entry}: the instrumented program does the same`, async () => {
      expect(await observe(instrumented.runner, difference.entry)).toEqual({ log: difference.plain });
    });
  }
});
