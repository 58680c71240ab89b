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
        report: undefined,
        saved: {},
      };
      for (const step of scenario.steps) {
        await step.act?.(ctx);
        ctx.report = undefined;
        if (step.edit) {
          ctx.report = await p.edit(step.edit[0], step.edit[1]);
          expect(ctx.report.status, ctx.report.error).toBe(step.status ?? 'applied');
        }
        await step.check(ctx);
      }
    });
  }
});
