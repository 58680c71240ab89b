import { decode } from '@jridgewell/sourcemap-codec';
import type { Plugin, TransformResult } from 'vite';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { transform } from '../plugin/transform.ts';
import { startProject, type Project } from './harness.ts';
import { scenarioSuite } from './scenario-suite.ts';

let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  project = undefined;
});

scenarioSuite('Vite host: dev server in middleware mode + module runner');

describe('Vite host: options', () => {
  test('include and exclude decide which files are instrumented; node_modules never is', async () => {
    project = await startProject(
      {
        'src/app.ts': `export let a = 1;\n`,
        'src/legacy/old.ts': `export let b = 1;\n`,
        'lib/other.ts': `export let c = 1;\n`,
        'node_modules/dep/index.js': `export let d = 1;\n`,
      },
      { include: ['src/**', 'node_modules/**'], exclude: ['src/legacy/**'] },
    );
    const instrumented = async (url: string) => (await project!.server.environments.ssr.transformRequest(url))!.code.includes('__hotstate');
    expect(await instrumented('/src/app.ts')).toBe(true);
    expect(await instrumented('/src/legacy/old.ts')).toBe(false);
    expect(await instrumented('/lib/other.ts')).toBe(false);
    expect(await instrumented('/node_modules/dep/index.js')).toBe(false);
  });
});

describe('Vite host: pre-transform of changed modules', () => {
  // The page's request for the new version joins a transform that started when the file changed.
  const clientCode = async (url: string) => (await project!.server.environments.client.moduleGraph.getModuleByUrl(url))?.transformResult?.code;
  const eventually = async (probe: () => Promise<boolean>) => {
    const deadline = Date.now() + 5_000;
    while (!(await probe())) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  };

  test('a changed instrumented module is transformed for the page before the page asks; once', async () => {
    project = await startProject({ 'src/a.ts': `export let n = 1;\nexport function v() { return 'one'; }\n`, 'src/plain.ts': `export const x = 1;\n` }, { exclude: ['src/plain.ts'] });
    let transforms = 0;
    const client = project.server.environments.client;
    const transformRequest = client.transformRequest.bind(client);
    client.transformRequest = (url, ...rest) => (url.startsWith('/src/a.ts') && transforms++, transformRequest(url, ...rest));
    await client.transformRequest('/src/a.ts');
    await client.transformRequest('/src/plain.ts');
    await project.load('src/a.ts');
    transforms = 0;

    await project.edit('src/a.ts', `export let n = 1;\nexport function v() { return 'two'; }\n`);
    expect(await eventually(async () => (await clientCode('/src/a.ts'))?.includes('"two"') === true)).toBe(true);
    expect(transforms).toBe(1);
    // The page's request (with Vite's `?t=`) is served from that result.
    expect(await client.transformRequest('/src/a.ts?t=123')).toMatchObject({ code: expect.stringContaining('"two"') });
    expect(transforms).toBe(2);

    // Not instrumented: left to the page's request, as without hotstate.
    await project.write({ 'src/plain.ts': `export const x = 2;\n` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await clientCode('/src/plain.ts')).toBeUndefined();
  });

  test('a syntax error found by the pre-transform is reported once, by the request that needs it', async () => {
    project = await startProject({ 'src/a.ts': `export let n = 1;\n` });
    await project.server.environments.client.transformRequest('/src/a.ts');
    await project.load('src/a.ts');
    await project.edit('src/a.ts', `export let n = ;\n`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(project.printed.filter((line) => /Pre-transform error/.test(line))).toEqual([]);
    await expect(project.server.environments.client.transformRequest('/src/a.ts')).rejects.toThrow(/src\/a\.ts/);
  });

  test('pretransform: false leaves the transform to the page', async () => {
    project = await startProject({ 'src/a.ts': `export let n = 1;\n` }, { pretransform: false });
    await project.server.environments.client.transformRequest('/src/a.ts');
    await project.load('src/a.ts');
    await project.edit('src/a.ts', `export let n = 2;\n`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await clientCode('/src/a.ts')).toBeUndefined();
  });
});

describe('Vite host: TypeScript and source maps', () => {
  const source = [
    `export interface Item { id: number; title: string; done: boolean }`,
    `enum Level { Low, High }`,
    `export let level: Level = Level.Low;`,
    `export class Store {`,
    `  items: Item[] = [];`,
    `  #next: number = 1;`,
    `  add(title: string, tags: string[] = []): Item {`,
    `    const item: Item = { id: this.#next++, title, done: tags.length > 99 };`,
    `    this.items.push(item);`,
    `    return item as Item;`,
    `  }`,
    `}`,
    `export const label = (item: Item): string => \`#\${item.id} \${item.title}\`;`,
    ``,
  ].join('\n');
  /** Snippets of `source` that the served code keeps as they are, each once. */
  const snippets = ['Level.Low', 'add(title', 'tags.length > 99', 'this.items.push(item)', 'return item', '`#${item.id} ${item.title}`'];

  /** Where generated position (line, column; 0-based) comes from, by the map's segment at or before it. */
  const originalOf = (mappings: string, line: number, column: number): [number, number] | undefined => {
    const segment = decode(mappings)[line]?.filter((s) => s[0] <= column).at(-1);
    return segment && segment.length >= 4 ? [segment[2]!, segment[3]!] : undefined;
  };
  const positionOf = (text: string, snippet: string): [number, number] => {
    const at = text.indexOf(snippet);
    expect(at, snippet).toBeGreaterThanOrEqual(0);
    expect(text.indexOf(snippet, at + 1), `${snippet} occurs once`).toBe(-1);
    const before = text.slice(0, at).split('\n');
    return [before.length - 1, before.at(-1)!.length];
  };
  const expectMapsBack = (served: TransformResult) => {
    const map = served.map as { mappings: string; sources: string[]; sourcesContent?: string[] };
    expect(map.sources).toEqual([expect.stringMatching(/a\.ts$/)]);
    expect(map.sourcesContent).toEqual([source]);
    for (const snippet of snippets) {
      const [line, column] = positionOf(served.code, snippet);
      expect(originalOf(map.mappings, line, column), snippet).toEqual(positionOf(source, snippet));
    }
  };
  /** Counts the runs of Vite's TypeScript step (`vite:oxc`) that transformed `src/a.ts`. */
  const countOxc = (): { plugin: Plugin; runs: () => number } => {
    let runs = 0;
    const plugin: Plugin = {
      name: 'count-vite-oxc',
      configResolved(config) {
        const oxc = config.plugins.find((p) => p.name === 'vite:oxc')!;
        const hook = oxc.transform as Extract<Plugin['transform'], Function>;
        (oxc as Plugin).transform = async function (this: ThisParameterType<typeof hook>, code: string, id: string, ...rest: never[]) {
          const result = await hook.call(this, code, id, ...rest);
          if (id.endsWith('/src/a.ts') && result != null) runs++;
          return result;
        } as typeof hook;
      },
    };
    return { plugin, runs: () => runs };
  };

  test('an instrumented module leaves hotstate as JavaScript, with one map to its TypeScript, exact to the column', async () => {
    const oxc = countOxc();
    project = await startProject({ 'src/a.ts': source }, {}, [oxc.plugin]);
    for (const environment of ['client', 'ssr'] as const) {
      const served = (await project.server.environments[environment].transformRequest('/src/a.ts'))!;
      expect(served.code).toContain('__hotstate');
      expect(served.code).not.toMatch(/interface Item|: (?:number|string|Item)\b|as Item/);
      expectMapsBack(served);
    }
    // Vite's own TypeScript step passed over what hotstate returned.
    expect(oxc.runs()).toBe(0);
    // And the module runs: the enum, the class with its private field, the arrow.
    const a = await project.load('src/a.ts');
    expect(a.label(new a.Store().add('x'))).toBe('#1 x');
    expect(a.level).toBe(0);
  });

  test('the same positions as Vite maps them for the module without hotstate', async () => {
    const oxc = countOxc();
    project = await startProject({ 'src/a.ts': source }, { exclude: ['src/a.ts'] }, [oxc.plugin]);
    const served = (await project.server.environments.client.transformRequest('/src/a.ts'))!;
    expect(served.code).not.toContain('__hotstate');
    expectMapsBack(served);
    expect(oxc.runs()).toBe(1);
  });

  // JSX options a project may have: the classic runtime with an injected pragma, and React refresh.
  const jsxOptions: Plugin = {
    name: 'jsx-options',
    config: () => ({ oxc: { jsx: { runtime: 'classic', pragma: 'h', refresh: true }, jsxInject: `import { h } from '/src/h.ts'` } }),
  };
  const views = {
    'src/h.ts': `export const h = (tag: string, props: unknown, ...children: unknown[]) => ({ tag, children });\n`,
    'src/View.tsx': `let clicks: number = 0;\nexport function View(props: { name: string }) { return <p>{props.name} {++clicks}</p>; }\n`,
  };

  test('hotstate runs Vite\'s TypeScript step as `vite:oxc` would on its output: client and SSR, JSX refresh, jsxInject', async () => {
    let original: (this: unknown, code: string, id: string) => Promise<{ code: string } | null>;
    const capture: Plugin = {
      name: 'capture-vite-oxc',
      // Before hotstate's configResolved, which makes `vite:oxc` pass over what hotstate returns.
      enforce: 'pre',
      configResolved(config) {
        const hook = config.plugins.find((p) => p.name === 'vite:oxc')!.transform!;
        original = (typeof hook === 'function' ? hook : hook.handler) as typeof original;
      },
    };
    const compared: string[] = [];
    const compare: Plugin = {
      name: 'compare-with-vite-oxc',
      enforce: 'pre',
      async transform(code, id) {
        if (!/\/src\/(a\.ts|View\.tsx)$/.test(id)) return null;
        const client = this.environment.config.consumer === 'client';
        const options = { id: id.slice(id.indexOf('src/')), filename: id, migrations: [], onIncompatible: 'reset' as const, refresh: client, trackInstances: client };
        const instrumented = transform(await readFile(id, 'utf8'), options)!;
        expect(code).toBe((await original.call(this, instrumented.code, id))!.code);
        compared.push(`${this.environment.name} ${id.slice(id.indexOf('src/'))}`);
        return null;
      },
    };
    project = await startProject({ ...views, 'src/a.ts': source }, { reactRefresh: true }, [jsxOptions, capture], [compare]);
    for (const environment of ['client', 'ssr'] as const) {
      for (const url of ['/src/a.ts', '/src/View.tsx']) await project.server.environments[environment].transformRequest(url);
    }
    expect(compared).toEqual(['client src/a.ts', 'client src/View.tsx', 'ssr src/a.ts', 'ssr src/View.tsx']);
  });

  test('a plugin between hotstate and Vite gets JavaScript; Vite does not run its TypeScript step again, and the map holds', async () => {
    const oxc = countOxc();
    const seen: string[] = [];
    const between: Plugin = {
      name: 'between',
      enforce: 'pre',
      transform: (code, id) => (/\/src\/(a\.ts|View\.tsx)$/.test(id) ? (seen.push(code), { code: `${code}\n// seen`, map: null }) : null),
    };
    project = await startProject({ ...views, 'src/a.ts': source }, {}, [jsxOptions, oxc.plugin], [between]);
    const served = (await project.server.environments.client.transformRequest('/src/a.ts'))!;
    expect(served.code).toContain('// seen');
    expectMapsBack(served);
    // The JSX module: the pragma is injected once, and each component registered with React refresh once.
    const view = (await project.server.environments.client.transformRequest('/src/View.tsx'))!.code;
    expect(view.match(/import \{ h \}/g)).toHaveLength(1);
    expect(view.match(/\$RefreshReg\$\(/g)).toHaveLength(1);
    expect(seen.join('\n')).not.toMatch(/: (?:number|string)\b|<p>/);
    expect(oxc.runs()).toBe(0);
    // And it runs, with its state (SSR: no refresh).
    const { View } = await project.load('src/View.tsx');
    expect([View({ name: 'a' }), View({ name: 'b' })]).toEqual([
      { tag: 'p', children: ['a', ' ', 1] },
      { tag: 'p', children: ['b', ' ', 2] },
    ]);
  });

  test('after the dev server restarts (a config change), the new server runs the step once, as the old one did', async () => {
    const oxc = countOxc();
    project = await startProject({ 'src/a.ts': source }, {}, [oxc.plugin]);
    const before = (await project.server.environments.client.transformRequest('/src/a.ts'))!;
    await project.server.restart();
    const after = (await project.server.environments.client.transformRequest('/src/a.ts'))!;
    expect(after.code).toBe(before.code);
    expectMapsBack(after);
    expect(oxc.runs()).toBe(0);
  });

  test('an error that oxc reports (not the parser) comes from Vite\'s own step, with the file', async () => {
    project = await startProject({ 'src/a.ts': `export let a = 1;\nlet a = 2;\n` });
    const error = await project.server.environments.client.transformRequest('/src/a.ts').then(
      () => undefined,
      (caught: unknown) => caught as { plugin?: string; message: string; id?: string },
    );
    expect(error).toMatchObject({ plugin: 'vite:oxc', id: expect.stringMatching(/src\/a\.ts$/) });
    expect(error!.message).toMatch(/a/);
  });

  test('with `oxc: false` hotstate leaves TypeScript to whatever the project uses instead', async () => {
    const noOxc: Plugin = { name: 'no-oxc', config: () => ({ oxc: false }) };
    project = await startProject({ 'src/a.ts': source }, {}, [noOxc]);
    const served = (await project.server.environments.client.transformRequest('/src/a.ts'))!;
    expect(served.code).toContain('__hotstate');
    expect(served.code).toContain('interface Item');
  });
});
