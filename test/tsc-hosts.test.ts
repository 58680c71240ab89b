import { decode } from '@jridgewell/sourcemap-codec';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installAppAsync, pack, repoVersion, writeFiles } from './pack.ts';

/**
 * `hotstate/tsc` in the hosts users compile with, from the packed package installed in fresh app
 * folders: tsc with ts-patch (TypeScript 6.0 and 5.9), `tsc --watch` with `hotstate run`,
 * webpack with ts-loader, jest with ts-jest, and TypeScript 7 with `hotstate instrument`. Each
 * configuration is the one the README shows.
 */

const V = {
  typescript: repoVersion('typescript'), // 6.0.x
  typescript59: repoVersion('typescript-5.9'),
  typescript7: repoVersion('typescript-7'),
  tsPatch: repoVersion('ts-patch'), // 3.3.x: ts-patch 4 needs Node 22
  vite: repoVersion('vite'),
  webpack: '5.112.2',
  webpackCli: '6.0.1', // webpack-cli 7 needs Node 22
  tsLoader: '9.6.2',
  jest: '30.5.2',
  tsJest: '29.4.15',
};

/** One app folder per host, all installed at once while the first tests run. */
let apps: Record<'tsPatch60' | 'tsPatch59' | 'webpack' | 'jest' | 'ts7', Promise<string>>;
beforeAll(() => {
  pack();
  apps = {
    tsPatch60: installAppAsync('ts-patch-6.0', [`typescript@${V.typescript}`, `ts-patch@${V.tsPatch}`, `vite@${V.vite}`]),
    tsPatch59: installAppAsync('ts-patch-5.9', [`typescript@${V.typescript59}`, `ts-patch@${V.tsPatch}`]),
    webpack: installAppAsync('webpack', [`typescript@${V.typescript}`, `webpack@${V.webpack}`, `webpack-cli@${V.webpackCli}`, `ts-loader@${V.tsLoader}`]),
    jest: installAppAsync('jest', [`typescript@${V.typescript}`, `jest@${V.jest}`, `ts-jest@${V.tsJest}`, `@jest/globals@${V.jest}`]),
    ts7: installAppAsync('ts7', [`typescript@${V.typescript7}`]),
  };
  // Each test awaits its own app; a failed install fails that test, not the others.
  for (const app of Object.values(apps)) app.catch(() => {});
}, 120_000);

interface Run {
  status: number | null;
  output: string;
}

/** Runs a command in an app folder (a `.bin` script through this Node, so that a timeout ends the compiler itself). */
function run(cwd: string, command: string, args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    // A compiler that loops must fail the test in seconds, not fill the machine's memory.
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', NODE_OPTIONS: '--max-old-space-size=1024', ...env },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}${result.error ? String(result.error) : ''}` };
}
const node = (cwd: string, args: string[], env?: Record<string, string>): Run => run(cwd, process.execPath, args, env);

/** Where the first mapped segment at or before `needle`'s first occurrence in `file` points in the original source. */
function originalPosition(file: string, needle: string): { source: string; line: number } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((text) => text.includes(needle));
  expect(line, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  const column = lines[line]!.indexOf(needle);
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; mappings: string };
  const segment = (decode(map.mappings)[line] ?? []).filter((s) => s[0] <= column && s.length >= 4).at(-1);
  expect(segment, `a mapping for ${needle} in ${file}`).toBeDefined();
  return { source: map.sources[segment![1]!]!, line: segment![2]! + 1 };
}

/** The instrumented output's first statement (after comments), as `hotstate instrument` and the Vite plugin recognise it. */
const INSTRUMENTED = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*import \{ __hotstate as /;

// The program every host compiles: state in a module `let`, a function that changes it.
const COUNTER = `export let count: number = 0;

export function tick(): number {
  count += 1;
  return count;
}
`;
const MAIN = `import { count, tick } from './counter.js';

tick();
tick();
console.log(\`count \${count}\`);
`;

const TS_PATCH_TSCONFIG = `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "strict": true,
    "rootDir": "src",
    "outDir": "dist",
    "sourceMap": true,
    "plugins": [{ "transform": "hotstate/tsc" }]
  },
  "include": ["src"]
}
`;

describe('tsc with ts-patch (tspc, no `ts-patch install`)', () => {
  for (const [label, key] of [
    ['TypeScript 6.0', 'tsPatch60'],
    ['TypeScript 5.9', 'tsPatch59'],
  ] as const) {
    test(`${label}: tspc emits instrumented ES modules with source maps to the .ts lines, and node runs them`, { timeout: 240_000 }, async () => {
      const app = await apps[key];
      rmSync(path.join(app, 'dist'), { recursive: true, force: true });
      writeFiles(app, { 'tsconfig.json': TS_PATCH_TSCONFIG, 'src/counter.ts': COUNTER, 'src/main.ts': MAIN });

      const tspc = node(app, ['node_modules/.bin/tspc']); // `npx tspc`
      expect(tspc.output).toBe('');
      expect(tspc.status).toBe(0);

      const counter = readFileSync(path.join(app, 'dist/counter.js'), 'utf8');
      expect(counter).toMatch(INSTRUMENTED);
      expect(counter).toContain('"id": "src/counter.ts"'); // module IDs are the sources' paths from the project root
      expect(counter).toContain('count.v += 1;'); // the state lives in the store
      expect(counter).toMatch(/\n\/\/# sourceMappingURL=counter\.js\.map\s*$/);
      expect(readFileSync(path.join(app, 'dist/main.js'), 'utf8')).toMatch(INSTRUMENTED);
      expect(originalPosition(path.join(app, 'dist/counter.js'), 'count.v += 1')).toEqual({ source: '../src/counter.ts', line: 4 });
      expect(originalPosition(path.join(app, 'dist/counter.js'), 'return count.v')).toEqual({ source: '../src/counter.ts', line: 5 });

      // Plain node: no import.meta.hot, so the code runs once, exactly as without hotstate.
      expect(node(app, ['dist/main.js'])).toEqual({ status: 0, output: 'count 2\n' });

      // hotstate's diagnostics are tsc's: printed with the file and position, and an error fails the build.
      writeFiles(app, { 'tsconfig.json': TS_PATCH_TSCONFIG.replace('"NodeNext"', '"CommonJS"') });
      const commonJs = node(app, ['node_modules/.bin/tspc']);
      expect(commonJs.output).toContain('src/counter.ts(1,1): error TS960002: hotstate: this file is emitted as CommonJS');
      expect(commonJs.status).toBe(2);
    });
  }
});

/** A subprocess in its own process group, so that it is ended with everything it started. */
interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<void>;
}
const children: Child[] = [];

function start(cwd: string, command: string, args: string[]): Child {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', NODE_OPTIONS: '--max-old-space-size=1024' };
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const started: Child = { process: child, stdout: () => stdout, stderr: () => stderr, exited };
  children.push(started);
  return started;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the whole process group, then waits until no process of the group is left (SIGKILL after 10 s). */
async function stop(child: Child): Promise<void> {
  const pid = child.process.pid!;
  if (groupAlive(pid)) process.kill(-pid, 'SIGTERM');
  for (let waited = 0; groupAlive(pid) && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pid)) {
    process.kill(-pid, 'SIGKILL');
    throw new Error(`process group ${pid} (${child.process.spawnargs.join(' ')}) did not end on SIGTERM`);
  }
  await child.exited;
}

afterAll(() => {
  for (const child of children) {
    try {
      process.kill(-child.process.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Waits until `child`'s stdout matches; fails at once if it exited, and after `timeout` ms. */
async function waitFor(child: Child, pattern: RegExp, timeout = 60_000): Promise<RegExpMatchArray> {
  const what = (): string => `${child.process.spawnargs.join(' ')}\n--- stdout:\n${child.stdout()}\n--- stderr:\n${child.stderr()}`;
  for (let waited = 0; waited < timeout; waited += 50) {
    const match = child.stdout().match(pattern);
    if (match !== null) return match;
    if (child.process.exitCode !== null || child.process.signalCode !== null) throw new Error(`exited while waiting for ${pattern}: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${pattern}: ${what()}`);
}

test('tspc --watch + hotstate run dist/main.js: an edit of a .ts file is applied to the running program, which keeps its state', { timeout: 240_000 }, async () => {
  const app = await apps.tsPatch60;
  rmSync(path.join(app, 'dist'), { recursive: true, force: true });
  const counter = (version: string, step: number): string => `export let count: number = 0;

export function tick(): string {
  count += ${step};
  return \`${version} count=\${count}\`;
}
`;
  writeFiles(app, {
    'tsconfig.json': TS_PATCH_TSCONFIG,
    'src/counter.ts': counter('v1', 1),
    'src/main.ts': `import { once } from 'hotstate/runtime';
import { tick } from './counter.js';

once('timer', () => {
  console.log('setup');
  const timer = setInterval(() => console.log(tick()), 100);
  return () => {
    console.log('cleanup');
    clearInterval(timer);
  };
});
`,
  });

  const tsc = start(app, 'npx', ['--no-install', 'tspc', '--watch', '--preserveWatchOutput']);
  try {
    await waitFor(tsc, /Found 0 errors\. Watching for file changes\./);
    expect(readFileSync(path.join(app, 'dist/counter.js'), 'utf8')).toMatch(INSTRUMENTED);
    const program = start(app, 'npx', ['--no-install', 'hotstate', 'run', 'dist/main.js']);
    try {
      await waitFor(program, /^v1 count=3$/m);
      writeFileSync(path.join(app, 'src/counter.ts'), counter('v2', 10));
      await waitFor(program, /^v2 count=\d+\n(?:.*\n)*v2 count=\d+$/m);
      expect(program.stderr()).toContain('[hotstate] updated src/counter.ts');
      expect(program.stderr()).toMatch(/^\s+= count: kept$/m);

      // One timer throughout (set up once), which ran the new tick from the update on, with the kept count.
      const lines = program.stdout().trim().split('\n');
      expect(lines[0]).toBe('setup');
      const ticks = lines.slice(1).map((line) => line.match(/^(v1|v2) count=(\d+)$/));
      expect(ticks.every((match) => match !== null), lines.join('\n')).toBe(true);
      const v1 = ticks.filter((m) => m![1] === 'v1').map((m) => Number(m![2]));
      const v2 = ticks.filter((m) => m![1] === 'v2').map((m) => Number(m![2]));
      expect(ticks.findIndex((m) => m![1] === 'v2')).toBe(v1.length); // every v1 before every v2
      expect(v1).toEqual(v1.map((_, i) => i + 1));
      expect(v2).toEqual(v2.map((_, i) => v1.length + 10 * (i + 1)));
    } finally {
      await stop(program);
    }
    // SIGTERM ran the program's `once` cleanup before it exited.
    expect(program.stdout().trim().split('\n').at(-1)).toBe('cleanup');
  } finally {
    await stop(tsc);
  }
});

/** The tsconfig.json of a bundler-style host (ES modules, bundler resolution), as the README shows it. */
const bundlerTsconfig = (extra: Record<string, unknown>): string =>
  `${JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, ...extra }, include: ['src'] }, null, 2)}\n`;

test('webpack + ts-loader with getCustomTransformers: an instrumented ES module bundle that runs in node', { timeout: 240_000 }, async () => {
  const app = await apps.webpack;
  writeFiles(app, {
    'tsconfig.json': bundlerTsconfig({ sourceMap: true }),
    'webpack.config.js': `import ts from 'typescript';
import { hotstateTransformer } from 'hotstate/tsc';

export default {
  mode: 'development',
  target: 'node',
  entry: './src/main.ts',
  devtool: 'source-map',
  experiments: { outputModule: true },
  output: { module: true, filename: 'main.js', clean: true },
  resolve: { extensions: ['.ts', '.js'] },
  module: {
    rules: [
      {
        test: /\\.ts$/,
        loader: 'ts-loader',
        options: {
          getCustomTransformers: (program) => ({ before: [hotstateTransformer({ ts, program })] }),
        },
      },
    ],
  },
};
`,
    'src/counter.ts': COUNTER,
    'src/main.ts': MAIN.replace("'./counter.js'", "'./counter'"),
  });

  const webpack = node(app, ['node_modules/.bin/webpack']); // `npx webpack`
  expect(webpack.output).toContain('compiled successfully');
  expect(webpack.status).toBe(0);
  const bundle = readFileSync(path.join(app, 'dist/main.js'), 'utf8');
  // Both modules instrumented (the runtime they import is bundled, as it is).
  // Module IDs are relative to the tsconfig.json's folder, as `hotstate check` names them.
  const instrumented = [...bundle.matchAll(/__hotstate\.enter\(__hs_hot, \{ "contract": \d+, "id": "([^"]+)"/g)].map((m) => m[1]!);
  expect(instrumented).toEqual(['src/counter.ts', 'src/main.ts']);
  expect(bundle.includes('count.v += 1;'), 'the state lives in the store').toBe(true);
  expect(node(app, ['dist/main.js'])).toEqual({ status: 0, output: 'count 2\n' });
});

test('jest + ts-jest (ESM) with astTransformers: the code under test is instrumented and behaves', { timeout: 240_000 }, async () => {
  const app = await apps.jest;
  writeFiles(app, {
    'tsconfig.json': bundlerTsconfig({ esModuleInterop: true }),
    'jest.config.js': `export default {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\\\.{1,2}/.*)\\\\.js$': '$1' },
  transform: {
    '^.+\\\\.ts$': ['ts-jest', { useESM: true, astTransformers: { before: [{ path: 'hotstate/tsc' }] } }],
  },
};
`,
    'src/counter.ts': COUNTER,
    'src/counter.test.ts': `import { expect, test } from '@jest/globals';
import { count, tick } from './counter.js';

test('counts', () => {
  expect(tick()).toBe(1);
  expect(tick()).toBe(2);
  expect(count).toBe(2);
});

test('the module under test is instrumented', () => {
  expect(String(tick)).toContain('__hs.forward("tick"');
});
`,
  });

  // `NODE_OPTIONS=--experimental-vm-modules npx jest`; no cache, so that this package's transform runs.
  const jest = node(app, ['node_modules/.bin/jest', '--ci', '--no-cache'], { NODE_OPTIONS: '--experimental-vm-modules --max-old-space-size=1024' });
  expect(jest.output).toContain('✓ the module under test is instrumented');
  expect(jest.output).toMatch(/Tests:\s+2 passed, 2 total/);
  expect(jest.status).toBe(0);
});

test('TypeScript 7: hotstate/tsc says to use `hotstate instrument`, and tsc 7 + hotstate instrument gives instrumented files that run', { timeout: 240_000 }, async () => {
  const app = await apps.ts7;
  writeFiles(app, {
    'transformer.cjs': `const ts = require('typescript');
const { hotstateTransformer } = require('hotstate/tsc');
hotstateTransformer({ ts });
`,
    // The ts-patch project without its plugins entry.
    'tsconfig.json': TS_PATCH_TSCONFIG.replace(/,\n\s*"plugins": \[[^\]]*\]/, ''),
    'src/counter.ts': COUNTER,
    'src/main.ts': MAIN,
  });

  const transformer = node(app, ['transformer.cjs']);
  expect(transformer.status).toBe(1);
  expect(transformer.output).toContain('found TypeScript 7.');
  expect(transformer.output).toContain('npx hotstate instrument <outDir>');

  const tsc = node(app, ['node_modules/typescript/bin/tsc']); // `npx tsc`, TypeScript 7
  expect(tsc).toEqual({ status: 0, output: '' });
  expect(readFileSync(path.join(app, 'dist/counter.js'), 'utf8')).not.toContain('__hotstate');
  const instrument = node(app, ['node_modules/.bin/hotstate', 'instrument', 'dist']);
  expect(instrument).toEqual({ status: 0, output: 'instrumented 2 files, skipped 0\n' });
  expect(readFileSync(path.join(app, 'dist/counter.js'), 'utf8')).toMatch(INSTRUMENTED);
  expect(originalPosition(path.join(app, 'dist/counter.js'), 'count.v += 1')).toEqual({ source: '../src/counter.ts', line: 4 });
  expect(node(app, ['dist/main.js'])).toEqual({ status: 0, output: 'count 2\n' });
});
