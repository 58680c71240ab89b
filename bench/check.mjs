// `hotstate check` on a generated project of 1,000 modules, against `tsc --noEmit` on the same
// project: both as the user runs them, one subprocess per run, wall time from spawn to exit.
//
//   node bench/check.mjs [--rounds 7] [--modules 1000] [--seed 1] [--skip-lib-check]
//                        [--no-build] [--dist <dir>] [--no-phases] [--keep <dir>] [--json] [--verbose]
//
// 1. Writes a project (deterministic for a seed): tsconfig.json (strict, ES2022, ESNext modules,
//    moduleResolution bundler, noEmit, allowImportingTsExtensions, include ["src"]; with
//    --skip-lib-check also skipLibCheck), an empty node_modules/ (as an installed project has;
//    hotstate keeps its cache there) and N modules in five folders under src/. Module i
//    imports 1–3 earlier modules and has 30–80 lines: an interface and a union type alias, module
//    `let` state with declared and inferred types (arrays of interfaces, Maps, unions, records,
//    tuples, destructuring, Promises), a class with a `#private` field, a static field and
//    parameter properties, functions; some modules add a generic class, a subclass of an imported
//    class, `var`s, a `/** @hotstate keep */` const, auto-accessors, async functions.
// 2. `hotstate migrate` writes the snapshot (not timed); then one warm-up round, then `--rounds`
//    interleaved rounds (the order rotates each round) of:
//      tsc       node node_modules/typescript/bin/tsc -p <project>/tsconfig.json --noEmit   (exit 0)
//      check     node bench/.build/dist/cli/bin.js check --root <project>                  (exit 0)
//      cold      the same without its cache: node_modules/.cache/hotstate removed first     (exit 0)
//      added     the same after a one-line edit that adds `let benchAdded = 0;` to one module
//                (exit 1, exactly one HS102 finding); the file is restored after the run
//      retyped   the same after a one-line edit that widens a declared type
//                (`let selected: T | null` → `T | null | undefined`: exit 1, one HS102 finding;
//                the only row where the assignability program runs)
//    Peak RSS of each command once more, untimed, with `/usr/bin/time -f %M` when it exists.
// 3. Where `hotstate check`'s time goes (unless --no-phases): per round, child processes
//    (`--phases-child`) that do what the CLI does (readProject step by step, checkProject,
//    render) with the compiled modules, timing each phase with performance.now(). The compiled
//    modules get a wrapped `typescript` (createProgram, getTypeChecker, every checker method,
//    forEachChild) through require's cache, and Node loader hooks hand them a wrapped
//    `oxc-parser` (parseSync) and give schema/extract.js a wrapped shape writer, `inventory` and
//    `textHash`, so the extraction splits into program creation, binding, checker queries,
//    shapes, oxc parsing, the state analysis, node lookup and the rest. Four children per round:
//    the clean project, the retyped one, the clean one without the cache, and the clean one with
//    light wrappers (no per-call checker timing: what the instrumentation itself costs). Also per
//    round, `tsc --extendedDiagnostics` for tsc's own split (parse, bind, check).
//
// The CLI runs from bench/.build/dist, which this script builds first (as run.mjs does) unless
// --no-build; the build includes cli/ and schema/. `--dist <dir>` benchmarks another compiled copy
// of the package instead (a folder with cli/bin.js whose imports resolve `typescript` and
// `oxc-parser`), without building. `--keep <dir>` writes the project there and leaves it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_DIR, buildPrivate, distDir, fmtMs, fmtRatio, median, quantile, ROOT, table, tempDir } from './lib.mjs';

const self = fileURLToPath(import.meta.url);
export const TARGET = 1.0;
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TIME = '/usr/bin/time';
const cliOf = (dist) => path.join(dist, 'cli', 'bin.js');
/** Where hotstate keeps what it found in each module's text across runs (schema/plan-cache.ts). */
const cacheDir = (root) => path.join(root, 'node_modules', '.cache', 'hotstate');
/** Marks a generated project, so that --keep never deletes anything else. */
const MARKER = '.hotstate-bench-check';

// ---------------------------------------------------------------------------------------------
// The generated project

/** mulberry32: a small seeded PRNG, so the same seed writes the same project. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FOLDERS = ['model', 'services', 'state', 'ui', 'util'];
const KIND_POOL = ['draft', 'active', 'archived', 'pending', 'done', 'failed', 'open', 'closed', 'queued', 'running', 'paused', 'stale'];
const pad = (i) => String(i).padStart(4, '0');
const fileOf = (i) => `src/${FOLDERS[i % FOLDERS.length]}/m${pad(i)}.ts`;
const importPath = (from, to) => {
  const rel = path.posix.relative(path.posix.dirname(fileOf(from)), fileOf(to));
  return rel.startsWith('.') ? rel : `./${rel}`;
};

/**
 * The source of module `i`: a core (31 lines with one import) and optional blocks in a random
 * order while the module stays within its random target length (30–80 lines, not counting the
 * blank line after the imports).
 */
function moduleSource(i, rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const chance = (p) => rand() < p;
  // Dependencies: 1–3 distinct earlier modules, mostly recent ones (a folder's neighbours), some anywhere.
  const deps = [];
  if (i > 0) {
    const want = Math.min(i, 1 + Math.floor(rand() * 3));
    while (deps.length < want) {
      const j = chance(0.6) ? Math.max(0, i - 1 - Math.floor(rand() * 20)) : Math.floor(rand() * i);
      if (!deps.includes(j)) deps.push(j);
    }
    deps.sort((a, b) => a - b);
  }
  const kinds = [];
  while (kinds.length < 3) {
    const k = pick(KIND_POOL);
    if (!kinds.includes(k)) kinds.push(k);
  }
  const imports = new Map(deps.map((j) => [j, new Set([`type Entity${j}`])]));
  const use = (j, name) => imports.get(j).add(name);
  const E = `Entity${i}`;
  const K = `Kind${i}`;
  const R = `Registry${i}`;

  // Module state that uses a dependency (always one per dependency).
  const depState = deps.map((j) => {
    const variant = Math.floor(rand() * 4);
    if (variant === 0) return `let linked${j}: Entity${j}[] = [];`;
    if (variant === 1) {
      use(j, `Registry${j}`);
      return `let registry${j} = new Registry${j}('m${i}');`;
    }
    if (variant === 2) return `let last${j}: Entity${j} | undefined;`;
    use(j, `describe${j}`);
    return `let labels${j} = new Map<number, ReturnType<typeof describe${j}>>();`;
  });

  const core = [
    `export type ${K} = ${kinds.map((k) => `'${k}'`).join(' | ')};`,
    '',
    `export interface ${E} {`,
    '  id: number;',
    '  name: string;',
    `  kind: ${K};`,
    '  tags: string[];',
    ...deps.map((j) => `  link${j}?: Entity${j};`),
    '}',
    '',
    'let counter = 0;',
    `let selected: ${E} | null = null;`,
    `let items: ${E}[] = [];`,
    ...depState,
    '',
    `export class ${R} {`,
    `  #entries: ${E}[] = [];`,
    '  static created = 0;',
    `  constructor(readonly label: string = 'registry${i}', public capacity: number = 16) {`,
    `    ${R}.created += 1;`,
    '  }',
    `  add(entity: ${E}): number {`,
    '    return this.#entries.push(entity);',
    '  }',
    '}',
    '',
    `export function describe${i}(entity: ${E}): string {`,
    '  return `${entity.id} ${entity.name} (${entity.kind})`;',
    '}',
  ];

  const extras = [
    () => [
      `export function add${i}(name: string, kind: ${K} = '${kinds[0]}'): ${E} {`,
      '  counter += 1;',
      `  const entity: ${E} = { id: counter, name, kind, tags: [] };`,
      '  items.push(entity);',
      '  selected = entity;',
      '  return entity;',
      '}',
    ],
    () => {
      const dep = deps.find((j) => depState[deps.indexOf(j)].startsWith(`let linked${j}`));
      if (dep !== undefined) use(dep, `describe${dep}`);
      return [
        `export function summarize${i}(): string[] {`,
        `  const out = items.map(describe${i});`,
        ...(dep !== undefined ? [`  for (const e of linked${dep}) out.push(describe${dep}(e));`] : []),
        '  if (selected !== null) out.unshift(`selected: ${selected.name}`);',
        '  return out;',
        '}',
      ];
    },
    () => [
      `export type Event${i} =`,
      `  | { type: 'added'; entity: ${E} }`,
      "  | { type: 'removed'; id: number }",
      "  | { type: 'renamed'; id: number; from: string; to: string };",
      '',
      `let events: Event${i}[] = [];`,
      `let lastEvent: Event${i} | undefined;`,
      `export function record${i}(event: Event${i}): number {`,
      '  lastEvent = event;',
      '  return events.push(event);',
      '}',
    ],
    () => [
      "let status: 'idle' | 'loading' | { error: string } = 'idle';",
      `export function fail${i}(error: string): void {`,
      '  status = { error };',
      '}',
      `export const isBusy${i} = (): boolean => status === 'loading';`,
    ],
    () => [`let totals: Record<${K}, number> = { ${kinds.map((k) => `${k}: 0`).join(', ')} };`, `let byKind = new Map<${K}, ${E}[]>();`],
    () => ['let range: [min: number, max: number] = [0, 100];', `let { limit, offset } = { limit: ${10 + Math.floor(rand() * 90)}, offset: 0 };`],
    () => ['var legacyHits = 0;', `for (var warm${i} = 0; warm${i} < 2; warm${i}++) legacyHits += warm${i};`],
    () => ['/** @hotstate keep */', 'const index = new Map<string, Set<number>>();'],
    () => [
      `export class Cache${i}<T> {`,
      '  #map = new Map<string, { value: T; at: number }>();',
      '  hits = 0;',
      '  constructor(private readonly ttl: number = 1000) {}',
      '  get(key: string): T | undefined {',
      '    const hit = this.#map.get(key);',
      '    if (hit === undefined || Date.now() - hit.at > this.ttl) return undefined;',
      '    this.hits += 1;',
      '    return hit.value;',
      '  }',
      '  set(key: string, value: T): void {',
      '    this.#map.set(key, { value, at: Date.now() });',
      '  }',
      '}',
      '',
      `let cache = new Cache${i}<${E}>(${100 * (1 + Math.floor(rand() * 9))});`,
    ],
    () => {
      const j = deps[Math.floor(rand() * deps.length)];
      if (j === undefined) return [];
      use(j, `Registry${j}`);
      return [
        `export class Special${i} extends Registry${j} {`,
        '  flagged = new Set<number>();',
        '  #notes: string[] = [];',
        '  constructor(public owner: string, label?: string) {',
        '    super(label);',
        '  }',
        '  note(text: string): number {',
        '    return this.#notes.push(`${this.owner}: ${text}`);',
        '  }',
        '}',
      ];
    },
    () => [
      `let pending: Promise<${E}[]> | null = null;`,
      `export async function load${i}(names: string[]): Promise<${E}[]> {`,
      '  if (pending !== null) return pending;',
      `  pending = Promise.resolve(names.map((name, n): ${E} => ({ id: n, name, kind: '${kinds[1]}', tags: [] })));`,
      '  try {',
      '    return await pending;',
      '  } finally {',
      '    pending = null;',
      '  }',
      '}',
    ],
    () => [`export const score${i} = (list: readonly ${E}[] = items): number =>`, '  list.reduce((sum, e) => sum + e.tags.length, 0);'],
    () => [
      'let settings = {',
      '  pageSize: 20,',
      "  sort: 'name' as 'name' | 'id',",
      `  filters: { kind: null as ${K} | null, tags: [] as string[] },`,
      '};',
    ],
    () => (chance(0.3) ? [`export class Meta${i} {`, '  accessor version = 1;', '  static accessor instances = 0;', '  updatedAt: Date | null = null;', '}'] : []),
    () => [`export function byKind${i}(kind: ${K}): ${E}[] {`, '  return items.filter((e) => e.kind === kind);', '}'],
    () => [
      `export interface Options${i} {`,
      '  readonly endpoint: string;',
      '  retries?: number;',
      '  headers: Record<string, string>;',
      '}',
      '',
      `let options: Readonly<Options${i}> = { endpoint: '/api/m${i}', headers: {} };`,
    ],
    () => [
      `export class Stats${i} {`,
      '  private samples: number[] = [];',
      '  protected max = -Infinity;',
      '  lastAt?: number;',
      '  push(value: number): void {',
      '    this.samples.push(value);',
      '    this.max = Math.max(this.max, value);',
      '    this.lastAt = Date.now();',
      '  }',
      '  get mean(): number {',
      '    return this.samples.length === 0 ? 0 : this.samples.reduce((a, b) => a + b, 0) / this.samples.length;',
      '  }',
      '}',
      '',
      `let stats = new Stats${i}();`,
    ],
  ];
  // Fisher–Yates with the seeded PRNG.
  for (let k = extras.length - 1; k > 0; k--) {
    const r = Math.floor(rand() * (k + 1));
    [extras[k], extras[r]] = [extras[r], extras[k]];
  }
  const targetLines = 30 + Math.floor(rand() * 51);
  const body = [...core];
  const importLines = () => deps.length;
  for (const extra of extras) {
    const before = new Map([...imports].map(([j, names]) => [j, new Set(names)]));
    const lines = extra();
    if (lines.length === 0) continue;
    if (importLines() + body.length + 1 + lines.length > targetLines) {
      // Undo the imports this block would have added.
      for (const [j, names] of before) imports.set(j, names);
      continue;
    }
    body.push('', ...lines);
  }
  const header = deps.map((j) => `import { ${[...imports.get(j)].join(', ')} } from '${importPath(i, j)}';`);
  return [...header, ...(header.length ? [''] : []), ...body, ''].join('\n');
}

export const TSCONFIG = (skipLibCheck) =>
  `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        ...(skipLibCheck ? { skipLibCheck: true } : {}),
      },
      include: ['src'],
    },
    null,
    2,
  )}\n`;

/** Writes the project into `dir`; returns its files and line counts. */
export function generateProject(dir, { modules = 1000, seed = 1, skipLibCheck = false } = {}) {
  const rand = prng(seed);
  const files = [];
  let lines = 0;
  const sizes = [];
  for (const folder of FOLDERS) mkdirSync(path.join(dir, 'src', folder), { recursive: true });
  writeFileSync(path.join(dir, 'tsconfig.json'), TSCONFIG(skipLibCheck));
  // An installed project has one (hotstate keeps its cache there); empty, so tsc finds no @types in it.
  mkdirSync(path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, MARKER), `written by bench/check.mjs: ${modules} modules, seed ${seed}\n`);
  for (let i = 0; i < modules; i++) {
    const code = moduleSource(i, rand);
    const file = fileOf(i);
    writeFileSync(path.join(dir, file), code);
    const n = code.split('\n').length - 1;
    lines += n;
    sizes.push(n);
    files.push(file);
  }
  return { dir, files, lines, sizes };
}

// ---------------------------------------------------------------------------------------------
// Subprocesses

/** Runs a command; wall time from spawn to the child's exit. */
function timed(command, args, { env } = {}) {
  return new Promise((resolve, reject) => {
    let exitAt;
    const t0 = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', () => (exitAt = performance.now()));
    child.on('close', (code, signal) => resolve({ ms: (exitAt ?? performance.now()) - t0, code: code ?? signal, stdout, stderr }));
  });
}

function fail(what, run, expected) {
  const out = [`${what}: exit ${run.code}, expected ${expected}`];
  if (run.stdout.trim()) out.push(`stdout:\n${run.stdout.slice(0, 4000)}`);
  if (run.stderr.trim()) out.push(`stderr:\n${run.stderr.slice(0, 4000)}`);
  throw new Error(out.join('\n'));
}

/** The timed commands; `before`/`after` apply and undo a one-line edit. */
function variants(root, dist, editFile) {
  const tsconfig = path.join(root, 'tsconfig.json');
  const cli = cliOf(dist);
  const file = path.join(root, editFile);
  const original = readFileSync(file, 'utf8');
  const i = Number(/m(\d+)\.ts$/.exec(editFile)[1]);
  const selectedLine = `let selected: Entity${i} | null = null;`;
  if (!original.includes(selectedLine)) throw new Error(`${editFile} has no \`${selectedLine}\``);
  const expectOne = (run, pattern) => {
    const codes = [...run.stdout.matchAll(/ error (HS\d{3}) /g)].map((m) => m[1]);
    return codes.length === 1 && codes[0] === 'HS102' && pattern.test(run.stdout) && /1 finding/.test(run.stdout);
  };
  return [
    { name: 'tsc', label: '`tsc -p tsconfig.json --noEmit`', command: process.execPath, args: [TSC, '-p', tsconfig, '--noEmit'], exit: 0 },
    { name: 'check', label: '`hotstate check`, clean', command: process.execPath, args: [cli, 'check', '--root', root], exit: 0 },
    {
      name: 'cold',
      label: '`hotstate check`, clean, without its cache',
      command: process.execPath,
      args: [cli, 'check', '--root', root],
      exit: 0,
      before: () => rmSync(cacheDir(root), { recursive: true, force: true }),
    },
    {
      name: 'added',
      label: '`hotstate check` after a one-line edit: a binding added',
      command: process.execPath,
      args: [cli, 'check', '--root', root],
      exit: 1,
      before: () => writeFileSync(file, `${original}let benchAdded = 0;\n`),
      after: () => writeFileSync(file, original),
      verify: (run) => expectOne(run, /`benchAdded` is new/),
    },
    {
      name: 'retyped',
      label: '`hotstate check` after a one-line edit: a type widened',
      command: process.execPath,
      args: [cli, 'check', '--root', root],
      exit: 1,
      before: () => writeFileSync(file, original.replace(selectedLine, `let selected: Entity${i} | null | undefined = null;`)),
      after: () => writeFileSync(file, original),
      verify: (run) => expectOne(run, /`selected`: type widened/),
    },
  ];
}

async function runVariant(v) {
  v.before?.();
  try {
    const run = await timed(v.command, v.args);
    if (run.code !== v.exit) fail(v.label, run, v.exit);
    if (v.verify && !v.verify(run)) fail(`${v.label}: unexpected findings`, run, `${v.exit} with one HS102 finding`);
    return run;
  } finally {
    v.after?.();
  }
}

/** Peak resident set size (MB) of one run, with GNU time; undefined without it. */
function peakRss(v) {
  if (!existsSync(TIME)) return undefined;
  v.before?.();
  try {
    const run = spawnSync(TIME, ['-f', '%M', v.command, ...v.args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const kb = Number(run.stderr.trim().split('\n').at(-1));
    return Number.isFinite(kb) ? kb / 1024 : undefined;
  } finally {
    v.after?.();
  }
}

// ---------------------------------------------------------------------------------------------
// Phases, in a child process: what `hotstate check` does, timed step by step

/**
 * `typescript` with createProgram, getTypeChecker, every checker method (of the project's
 * checker) and forEachChild timed into `P`. With `light`, neither the checker's methods nor
 * forEachChild are wrapped (millions of calls: the instrumentation costs), to measure what the
 * instrumentation itself adds. The real module has getters only: the wrappers are own properties
 * of an object inheriting from it.
 */
function wrapTypescript(real, P, { light = false } = {}) {
  const now = () => performance.now();
  const ts = Object.create(real);
  const define = (key, value) => Object.defineProperty(ts, key, { value, writable: true, enumerable: true, configurable: true });
  define('createProgram', function (...args) {
    const roots = Array.isArray(args[0]) ? args[0] : args[0].rootNames;
    const kind = roots.some((r) => r.includes('__hotstate_assignability__')) ? 'assignability' : P.programs.some((p) => p.kind === 'project') ? 'migrations' : 'project';
    const rec = { kind, start: now(), createMs: 0, checkerMs: 0, diagnosticsMs: 0, files: 0 };
    const program = real.createProgram(...args);
    rec.createMs = now() - rec.start;
    rec.files = program.getSourceFiles().length;
    P.programs.push(rec);
    const getTypeChecker = program.getTypeChecker;
    let checker;
    program.getTypeChecker = () => {
      if (checker !== undefined) return checker;
      const s = now();
      checker = getTypeChecker();
      rec.checkerMs += now() - s;
      if (kind === 'project' && !light) {
        for (const [key, f] of Object.entries(checker)) {
          if (typeof f !== 'function') continue;
          checker[key] = function (...a) {
            if (P.depth > 0) return f.apply(this, a);
            P.depth++;
            P.checkerCalls++;
            const s = now();
            try {
              return f.apply(this, a);
            } finally {
              P.depth--;
              const ms = now() - s;
              P.checkerMs += ms;
              P.methods[key] = (P.methods[key] ?? 0) + ms;
            }
          };
        }
      }
      return checker;
    };
    for (const m of ['getSyntacticDiagnostics', 'getSemanticDiagnostics']) {
      const f = program[m];
      program[m] = (...a) => {
        const s = now();
        try {
          return f(...a);
        } finally {
          rec.diagnosticsMs += now() - s;
        }
      };
    }
    return program;
  });
  if (!light) {
    define('forEachChild', function (node, cb, cbs) {
      if (P.forEachDepth > 0) return real.forEachChild(node, cb, cbs);
      P.forEachDepth++;
      P.nodeAtCalls++;
      const s = now();
      try {
        return real.forEachChild(node, cb, cbs);
      } finally {
        P.forEachDepth--;
        P.nodeAtMs += now() - s;
      }
    });
  }
  return ts;
}

/**
 * Loader hooks: `oxc-parser` (parseSync) is wrapped for the compiled modules, and
 * schema/extract.js gets wrapped `shapeOf`/`shapeWriter`, `inventory` and `textHash`. A compiled
 * copy that imports `typescript` (rather than `require`-ing it) gets `globalThis.__hsTypescript`.
 */
function hooksSource(dist) {
  const distUrl = pathToFileURL(dist + path.sep).href;
  const extractUrl = pathToFileURL(path.join(dist, 'schema', 'extract.js')).href;
  const dataUrl = (code) => `data:text/javascript,${encodeURIComponent(code)}`;
  const tsShim = dataUrl('export default globalThis.__hsTypescript;');
  /**
   * A module that is `realUrl` with the named functions timed by P.wrap; for each `factories`
   * entry `[factory, name]`, the functions that `factory` returns are timed as `name`.
   */
  const fnShim = (realUrl, names, factories = []) =>
    dataUrl(`
import * as real from ${JSON.stringify(realUrl)};
export * from ${JSON.stringify(realUrl)};
${names.map((name) => `export function ${name}(...a) { return globalThis.__hsPhases.wrap(${JSON.stringify(name)}, real.${name}, this, a); }`).join('\n')}
${factories.map(([factory, name]) => `export function ${factory}(...a) { const f = real.${factory}(...a); return (...b) => globalThis.__hsPhases.wrap(${JSON.stringify(name)}, f, undefined, b); }`).join('\n')}
`);
  const fromDist = (file) => pathToFileURL(path.join(dist, file)).href;
  const oxcShim = fnShim(import.meta.resolve('oxc-parser'), ['parseSync']);
  const extractShims = {
    './shape.js': fnShim(fromDist('schema/shape.js'), ['shapeOf'], [['shapeWriter', 'shapeOf']]),
    '../plugin/analyze.js': fnShim(fromDist('plugin/analyze.js'), ['inventory']),
    '../plugin/hash.js': fnShim(fromDist('plugin/hash.js'), ['textHash']),
  };
  return dataUrl(`
const DIST = ${JSON.stringify(distUrl)};
const EXTRACT = ${JSON.stringify(extractUrl)};
const EXTRACT_SHIMS = ${JSON.stringify(extractShims)};
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent !== undefined && parent.startsWith(DIST)) {
    if (specifier === 'typescript') return { url: ${JSON.stringify(tsShim)}, shortCircuit: true };
    if (specifier === 'oxc-parser') return { url: ${JSON.stringify(oxcShim)}, shortCircuit: true };
    if (parent === EXTRACT && Object.hasOwn(EXTRACT_SHIMS, specifier)) return { url: EXTRACT_SHIMS[specifier], shortCircuit: true };
  }
  return next(specifier, context);
}
`);
}

/** What `hotstate check` does (cli/main.ts, readProject, checkProject, render), phase by phase. */
async function phasesChild({ root, dist, light }) {
  const startup = performance.now(); // since this process started: node's startup and this script's imports
  const now = () => performance.now();
  const P = (globalThis.__hsPhases = {
    programs: [],
    depth: 0,
    checkerMs: 0,
    checkerCalls: 0,
    methods: {},
    forEachDepth: 0,
    nodeAtMs: 0,
    nodeAtCalls: 0,
    fn: {},
    /** Times `f`; its own time excludes the checker's time while it ran. */
    wrap(name, f, self, args) {
      const c0 = P.checkerMs;
      const s = now();
      try {
        return f.apply(self, args);
      } finally {
        const record = (P.fn[name] ??= { ms: 0, checkerMs: 0, calls: 0 });
        record.ms += now() - s;
        record.checkerMs += P.checkerMs - c0;
        record.calls++;
      }
    },
  });
  const fn = (name) => P.fn[name] ?? { ms: 0, checkerMs: 0, calls: 0 };
  const { createRequire, register } = await import('node:module');
  register(hooksSource(dist));
  const phases = { startup };

  let s = now();
  const requireFromDist = createRequire(path.join(dist, 'schema', 'extract.js'));
  const real = requireFromDist('typescript');
  phases.importTypescript = now() - s;
  // The compiled modules get the wrapped module from require's cache (or, if they import it, from the hook).
  const ts = (globalThis.__hsTypescript = wrapTypescript(real, P, { light }));
  requireFromDist.cache[requireFromDist.resolve('typescript')].exports = ts;
  s = now();
  const mod = async (file) => import(pathToFileURL(path.join(dist, file)).href);
  const [{ extractProject }, { parseSnapshot }, { readMigrations }, { diffStates }, { assignability }, { projectOptions }, { checkProject }, { render }] = await Promise.all(
    ['schema/extract.js', 'schema/snapshot.js', 'schema/migrations.js', 'schema/diff.js', 'schema/assignable.js', 'cli/project.js', 'cli/check.js', 'cli/findings.js'].map(mod),
  );
  phases.importHotstate = now() - s;

  // readProject (cli/project.ts), step by step.
  const options = projectOptions({ root }, root);
  s = now();
  const extracted = extractProject({ root: options.root, tsconfig: options.tsconfig, skip: [path.relative(options.root, options.migrations)], cache: true });
  phases.extract = now() - s;
  const project = P.programs.find((p) => p.kind === 'project');
  const shape = fn('shapeOf');
  phases.readTsconfig = project.start - s;
  phases.createProgram = project.createMs;
  phases.createChecker = project.checkerMs;
  phases.checkerTypes = P.checkerMs - shape.checkerMs;
  phases.checkerInShapes = shape.checkerMs;
  phases.shapeOwn = shape.ms - shape.checkerMs;
  phases.oxcParse = fn('parseSync').ms;
  phases.inventory = fn('inventory').ms;
  phases.nodeAt = P.nodeAtMs;
  phases.textHash = fn('textHash').ms;
  phases.extractOther =
    phases.extract - phases.readTsconfig - phases.createProgram - phases.createChecker - P.checkerMs - phases.shapeOwn - phases.oxcParse - phases.inventory - phases.nodeAt - phases.textHash;
  const textHashInExtract = fn('textHash').calls;

  s = now();
  const snapshotText = readFileSync(options.snapshot, 'utf8');
  const snapshot = parseSnapshot(snapshotText, path.relative(options.root, options.snapshot));
  phases.snapshot = now() - s;
  s = now();
  const { migrations, malformed } = readMigrations(options.migrations);
  phases.readMigrations = now() - s;
  let assignMs = 0;
  let pairs = 0;
  const timedAssignability = (list) => {
    const t = now();
    try {
      pairs += list.length;
      return assignability(list, extracted.program);
    } finally {
      assignMs += now() - t;
    }
  };
  s = now();
  const changes = diffStates(snapshot.state, extracted.state, timedAssignability);
  phases.diff = now() - s - assignMs;
  phases.assignability = assignMs;

  s = now();
  const findings = checkProject({ options, extracted, snapshot, snapshotText, migrations, malformed, changes });
  phases.findings = now() - s;
  s = now();
  const text = render(findings, 'text', { root: options.root, color: false, source: (file) => readFileSync(file, 'utf8') });
  phases.render = now() - s;
  phases.total = now();

  const modules = Object.values(extracted.state.modules);
  return {
    light,
    phases,
    counts: {
      files: project.files,
      modules: modules.length,
      bindings: modules.reduce((n, m) => n + Object.keys(m.bindings).length, 0),
      fields: modules.reduce((n, m) => n + Object.values(m.classes).reduce((k, c) => k + Object.keys(c).length, 0), 0),
      checkerCalls: P.checkerCalls,
      checkerMethods: Object.fromEntries(Object.entries(P.methods).sort((a, b) => b[1] - a[1])),
      shapeOfCalls: shape.calls,
      textHashCalls: textHashInExtract,
      nodeAtCalls: P.nodeAtCalls,
      oxcCalls: fn('parseSync').calls,
      assignabilityPairs: pairs,
      programs: P.programs.map((p) => ({ kind: p.kind, files: p.files, createMs: p.createMs, checkerMs: p.checkerMs, diagnosticsMs: p.diagnosticsMs })),
      findings: findings.map((f) => f.code),
      textChars: text.length,
      tsVersion: ts.version,
    },
  };
}

/** tsc's own phases (seconds in its output), with --extendedDiagnostics. */
function parseExtendedDiagnostics(stdout) {
  const out = {};
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z/ ]+?):\s+([\d.]+)(s|K)?\s*$/.exec(line.trim());
    if (!m) continue;
    out[m[1]] = m[3] === 's' ? Number(m[2]) * 1000 : Number(m[2]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const summarize = (samples) => ({ n: samples.length, median: median(samples), p10: quantile(samples, 0.1), p90: quantile(samples, 0.9), samples });

export async function runCheckBench({ rounds = 7, modules = 1000, seed = 1, skipLibCheck = false, phases = true, keep, dist = distDir(), log = () => {} } = {}) {
  if (!existsSync(cliOf(dist))) throw new Error(`${cliOf(dist)} is missing: run without --no-build`);
  const root = keep !== undefined ? path.resolve(keep) : path.join(tempDir('hotstate-check-'), 'project');
  if (keep !== undefined && existsSync(root)) {
    // Only ever replace a project this script wrote.
    if (readdirSync(root).length > 0 && !existsSync(path.join(root, MARKER))) throw new Error(`--keep ${keep}: not empty and not written by bench/check.mjs; choose a new folder`);
    rmSync(root, { recursive: true, force: true });
  }
  const project = generateProject(root, { modules, seed, skipLibCheck });
  log(`wrote ${modules} modules (${project.lines} lines) to ${root}`);
  const editFile = project.files[Math.floor(modules / 2)];

  // The snapshot, once, not timed.
  const migrate = await timed(process.execPath, [cliOf(dist), 'migrate', '--root', root]);
  if (migrate.code !== 0) fail('hotstate migrate', migrate, 0);
  log(`hotstate migrate: ${fmtMs(migrate.ms)} ms`);

  const list = variants(root, dist, editFile);
  // Warm-up round (file system cache, node's compile cache for nothing: each run is a new process).
  for (const v of list) {
    const run = await runVariant(v);
    log(`warm-up ${v.name}: ${fmtMs(run.ms)} ms`);
  }
  const samples = Object.fromEntries(list.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < list.length; k++) {
      const v = list[(round + k) % list.length];
      const run = await runVariant(v);
      samples[v.name].push(run.ms);
      log(`round ${round + 1}/${rounds} ${v.name}: ${fmtMs(run.ms)} ms`);
    }
  }
  const results = Object.fromEntries(list.map((v) => [v.name, { label: v.label, exit: v.exit, ...summarize(samples[v.name]) }]));
  const paired = samples.check.map((ms, i) => ms / samples.tsc[i]);
  const memory = Object.fromEntries(list.map((v) => [v.name, peakRss(v)]));

  let breakdown;
  if (phases) {
    // Per round, in a rotating order: the clean project and the retyped one with every wrapper,
    // the clean project without the cache, the clean project with the light wrappers (the
    // instrumentation's own cost), and tsc's split.
    const runs = { clean: [], retyped: [], cold: [], light: [] };
    const tscPhases = [];
    const retyped = list.find((v) => v.name === 'retyped');
    const jobs = ['clean', 'retyped', 'cold', 'light', 'tsc'];
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < jobs.length; k++) {
        const which = jobs[(round + k) % jobs.length];
        if (which === 'tsc') {
          const tsc = await timed(process.execPath, [TSC, '-p', path.join(root, 'tsconfig.json'), '--noEmit', '--extendedDiagnostics']);
          if (tsc.code !== 0) fail('tsc --extendedDiagnostics', tsc, 0);
          tscPhases.push({ ...parseExtendedDiagnostics(tsc.stdout), wallMs: tsc.ms });
          continue;
        }
        if (which === 'retyped') retyped.before();
        if (which === 'cold') rmSync(cacheDir(root), { recursive: true, force: true });
        try {
          const child = await timed(process.execPath, [self, '--phases-child', root, dist, ...(which === 'light' ? ['--light'] : [])]);
          if (child.code !== 0) fail(`phases child (${which})`, child, 0);
          const result = JSON.parse(child.stdout);
          const expected = which === 'retyped' ? ['HS102'] : [];
          if (JSON.stringify(result.counts.findings) !== JSON.stringify(expected)) throw new Error(`phases child (${which}): findings ${result.counts.findings.join(', ') || 'none'}, expected ${expected.join(', ') || 'none'}`);
          result.wallMs = child.ms;
          runs[which].push(result);
        } finally {
          if (which === 'retyped') retyped.after();
        }
      }
      log(`phases round ${round + 1}/${rounds}: clean ${fmtMs(runs.clean.at(-1).phases.total)} ms in process (light ${fmtMs(runs.light.at(-1).phases.total)}), tsc ${fmtMs(tscPhases.at(-1).wallMs)} ms`);
    }
    const med = (list, f) => median(list.map(f));
    const phaseMedians = (list) => Object.fromEntries(Object.keys(list[0].phases).map((k) => [k, med(list, (r) => r.phases[k])]).concat([['wallMs', med(list, (r) => r.wallMs)]]));
    const methodMedians = (list) => {
      const keys = Object.keys(list[0].counts.checkerMethods).slice(0, 8);
      return Object.fromEntries(keys.map((k) => [k, med(list, (r) => r.counts.checkerMethods[k] ?? 0)]));
    };
    const tscKeys = Object.keys(tscPhases[0]);
    breakdown = {
      clean: { phases: phaseMedians(runs.clean), counts: runs.clean[0].counts, checkerMethods: methodMedians(runs.clean) },
      retyped: { phases: phaseMedians(runs.retyped), counts: runs.retyped[0].counts },
      cold: { phases: phaseMedians(runs.cold), counts: runs.cold[0].counts },
      light: { phases: phaseMedians(runs.light), counts: runs.light[0].counts },
      tsc: Object.fromEntries(tscKeys.map((k) => [k, med(tscPhases, (r) => r[k])])),
    };
  }

  const sizes = [...project.sizes].sort((a, b) => a - b);
  const result = {
    node: process.version,
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    loadavg: os.loadavg(),
    modules,
    seed,
    skipLibCheck,
    lines: project.lines,
    moduleLines: { min: sizes[0], median: median(sizes), max: sizes.at(-1) },
    editFile,
    rounds,
    results,
    ratio: results.check.median / results.tsc.median,
    pairedRatio: { median: median(paired), q1: quantile(paired, 0.25), q3: quantile(paired, 0.75) },
    ratioCold: results.cold.median / results.tsc.median,
    ratioAdded: results.added.median / results.tsc.median,
    ratioRetyped: results.retyped.median / results.tsc.median,
    memory,
    breakdown,
  };
  result.targetMet = result.ratio <= TARGET;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Output

const ms = (s) => `${fmtMs(s.median)} [${fmtMs(s.p10)}–${fmtMs(s.p90)}]`;
const mb = (x) => (x === undefined ? '-' : x.toFixed(0));

export function checkTable(r) {
  const rows = ['tsc', 'check', 'cold', 'added', 'retyped'].map((name) => {
    const x = r.results[name];
    const ratio = x.median / r.results.tsc.median;
    return [x.label, String(x.exit), ms(x), name === 'check' ? `**${fmtRatio(ratio)}**` : fmtRatio(ratio), mb(r.memory[name])];
  });
  return table(['command', 'exit', 'wall ms, median [p10–p90]', 'ratio of medians to tsc', 'peak RSS MB'], rows);
}

export function targetLine(r) {
  return (
    `hotstate check / tsc --noEmit = **${fmtRatio(r.ratio)}** (median of per-round ratios ${fmtRatio(r.pairedRatio.median)} [IQR ${fmtRatio(r.pairedRatio.q1)}–${fmtRatio(r.pairedRatio.q3)}]); ` +
    `target ≤ ${TARGET.toFixed(1)}: ${r.targetMet ? 'met' : `MISSED by ${fmtRatio(r.ratio - TARGET)}`}`
  );
}

const PHASES = [
  ['startup', 'node startup and the bench script (before any hotstate code)'],
  ['importTypescript', 'load `typescript` (`require` of the CommonJS package)'],
  ['importHotstate', 'load hotstate (`cli/`, `schema/`, `plugin/`, oxc-parser)'],
  ['readTsconfig', 'read tsconfig.json, list the files'],
  ['createProgram', '`ts.createProgram`: read, parse, resolve every file (+ lib files)'],
  ['createChecker', '`getTypeChecker()`: bind every file'],
  ['checkerTypes', 'checker: type of each declaration, `typeToString` where read (outside `shapeOf`)'],
  ['checkerInShapes', 'checker calls made by `shapeOf` (properties, signatures, their types)'],
  ['shapeOwn', '`shapeOf`, its own code (strings, sorting, `wrap`/`compound`)'],
  ['oxcParse', 'oxc-parser `parseSync` of every module (a second parse)'],
  ['inventory', '`inventory` (the transform\'s analysis: which declarations are state)'],
  ['nodeAt', '`nodeAt`: walk the TS AST from the top, once per declaration'],
  ['textHash', '`textHash` of initializers'],
  ['extractOther', 'rest of the extraction (positions, entries, bookkeeping; instrumentation)'],
  ['extract', '= `extractProject`'],
  ['snapshot', 'read and parse hotstate/schema.json'],
  ['readMigrations', 'read hotstate/migrations/'],
  ['diff', 'diff snapshot ↔ sources (without assignability)'],
  ['assignability', 'assignability program (`schema/assignable.ts`)'],
  ['findings', '`checkProject` (findings, migration type check)'],
  ['render', 'render the text output'],
  ['total', 'total in the process (from its start)'],
  ['wallMs', 'wall time of the child, spawn to exit'],
];
/** Rows the light run does not split (no checker or forEachChild wrappers: all in "rest"). */
const NOT_IN_LIGHT = new Set(['checkerTypes', 'checkerInShapes', 'nodeAt']);

export function phaseTable(r) {
  const b = r.breakdown;
  const rows = PHASES.map(([k, label]) => {
    const c = b.clean.phases[k];
    const share = ['total', 'wallMs', 'extract'].includes(k) ? '' : `${((100 * c) / b.clean.phases.total).toFixed(1)} %`;
    const light = NOT_IN_LIGHT.has(k) ? '(in rest)' : k === 'shapeOwn' ? `${fmtMs(b.light.phases[k])} (with checker)` : fmtMs(b.light.phases[k]);
    return [k === 'extract' ? `**${label}**` : label, fmtMs(c), share, fmtMs(b.retyped.phases[k]), fmtMs(b.cold.phases[k]), light];
  });
  return table(['phase (median ms)', 'clean', 'share', 'after the retype', 'clean, without the cache', 'clean, light wrappers'], rows);
}

export function tscPhaseTable(r) {
  const t = r.breakdown.tsc;
  const keys = ['I/O Read time', 'Parse time', 'ResolveModule time', 'Program time', 'Bind time', 'Check time', 'Total time', 'Memory used', 'wallMs'];
  const rows = keys.filter((k) => t[k] !== undefined).map((k) => [k === 'wallMs' ? 'wall time, spawn to exit' : k, k === 'Memory used' ? `${(t[k] / 1024).toFixed(0)} MB` : fmtMs(t[k])]);
  return table(['tsc --extendedDiagnostics (median)', 'ms'], rows);
}

export function countsLine(r) {
  const c = r.breakdown.clean.counts;
  const methods = Object.entries(r.breakdown.clean.checkerMethods)
    .slice(0, 5)
    .map(([k, v]) => `\`${k}\` ${fmtMs(v)}`)
    .join(', ');
  return (
    `${c.modules} modules with state, ${c.bindings} bindings, ${c.fields} class fields; ${c.files} files in the program; ` +
    `${c.checkerCalls} checker calls (most time: ${methods} ms), ${c.shapeOfCalls} \`shapeOf\` calls, ${c.nodeAtCalls} \`nodeAt\` walks, ${c.oxcCalls} oxc parses; ` +
    `after the retype: ${r.breakdown.retyped.counts.assignabilityPairs} assignability pair(s); programs: ${r.breakdown.retyped.counts.programs.map((p) => `${p.kind} (${p.files} files, create ${fmtMs(p.createMs)} + diagnostics ${fmtMs(p.diagnosticsMs)} ms)`).join(', ')}`
  );
}

function parseArgs(argv) {
  const opts = { rounds: 7, modules: 1000, seed: 1, skipLibCheck: false, phases: true, json: false, build: true, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') opts.rounds = Number(argv[++i]);
    else if (argv[i] === '--modules') opts.modules = Number(argv[++i]);
    else if (argv[i] === '--seed') opts.seed = Number(argv[++i]);
    else if (argv[i] === '--skip-lib-check') opts.skipLibCheck = true;
    else if (argv[i] === '--no-phases') opts.phases = false;
    else if (argv[i] === '--keep') opts.keep = argv[++i];
    else if (argv[i] === '--json') opts.json = true;
    else if (argv[i] === '--no-build') opts.build = false;
    else if (argv[i] === '--dist') opts.dist = path.resolve(argv[++i]);
    else if (argv[i] === '--verbose') opts.verbose = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return opts;
}

if (process.argv[1] === self) {
  if (process.argv[2] === '--phases-child') {
    const result = await phasesChild({ root: process.argv[3], dist: process.argv[4], light: process.argv[5] === '--light' });
    process.stdout.write(JSON.stringify(result));
  } else {
    const opts = parseArgs(process.argv.slice(2));
    const dist = opts.dist ?? distDir();
    if (opts.dist === undefined && dist === BUILD_DIR && (opts.build || !existsSync(cliOf(BUILD_DIR)))) {
      console.error('building the package into bench/.build/dist ...');
      buildPrivate();
    }
    const r = await runCheckBench({ ...opts, dist, log: opts.verbose ? (line) => console.error(line) : () => {} });
    if (opts.json) console.log(JSON.stringify(r, null, 2));
    else {
      console.log(`## \`hotstate check\` on ${r.modules} modules (target: hotstate check / tsc --noEmit ≤ ${TARGET.toFixed(1)})\n`);
      console.log(
        `Node ${r.node}, ${r.cores} cores (${r.cpu}), load average ${r.loadavg.map((l) => l.toFixed(2)).join(' ')}; ${r.modules} modules, ${r.lines} lines ` +
          `(${r.moduleLines.min}–${r.moduleLines.max} per module, median ${r.moduleLines.median}), seed ${r.seed}${r.skipLibCheck ? ', skipLibCheck' : ''}; ${r.rounds} interleaved rounds after one warm-up round; edits in ${r.editFile}\n`,
      );
      console.log(checkTable(r));
      console.log(`\n${targetLine(r)}\n`);
      if (r.breakdown) {
        console.log(`Where \`hotstate check\`'s time goes (one child process per round doing what the CLI does, medians of ${r.rounds}):\n`);
        console.log(phaseTable(r));
        console.log(`\n${countsLine(r)}\n`);
        console.log(tscPhaseTable(r));
      }
    }
  }
}
