import { afterEach, describe, expect, test } from 'vitest';
import { startProject, type Project } from './harness.ts';
import { scenarios, type ScenarioContext } from './scenarios.ts';

let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  project = undefined;
});

describe('Vite host: dev server in middleware mode + module runner', () => {
  for (const scenario of scenarios) {
    test(scenario.name, async () => {
      project = await startProject(scenario.files, scenario.options);
      const p = project;
      const ctx: ScenarioContext = {
        mod: await p.load(scenario.entry),
        load: (file) => p.load(file),
        loadFresh: (file) => p.freshRunner().import(`/${file}`),
        report: undefined,
        reports: [],
        printed: p.printed,
        saved: {},
      };
      for (const step of scenario.steps) {
        await step.act?.(ctx);
        ctx.reports = step.rapid ? await p.editAll(...step.rapid) : step.edit ? [await p.edit(...step.edit)] : [];
        ctx.report = ctx.reports.at(-1);
        if (step.edit) expect(ctx.report?.status, ctx.report?.error).toBe(step.status ?? 'applied');
        await step.check(ctx);
      }
    });
  }
});

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
