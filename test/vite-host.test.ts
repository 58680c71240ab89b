import { afterEach, describe, expect, test } from 'vitest';
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
