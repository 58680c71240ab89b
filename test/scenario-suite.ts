import { afterEach, describe, expect, test } from 'vitest';
import type { Plugin } from 'vite';
import type { HotstateOptions } from '../plugin/options.ts';
import { startProject, type Project } from './harness.ts';
import { scenarios, type ScenarioContext } from './scenarios.ts';

/**
 * Runs every scenario of `scenarios.ts` through one host: a Vite dev server with the hotstate
 * plugin and a module runner, where `host` (if given) compiles each module first, the way that
 * host would (tsc with `hotstate/tsc`, or a compiler followed by `hotstate instrument`). The
 * scenarios and their expectations are the same for every host.
 */
export function scenarioSuite(name: string, host?: (options: HotstateOptions) => Plugin[]): void {
  let project: Project | undefined;
  afterEach(async () => {
    await project?.close();
    project = undefined;
  });

  describe(name, () => {
    for (const scenario of scenarios) {
      test(scenario.name, async () => {
        project = await startProject(scenario.files, scenario.options, host?.(scenario.options ?? {}));
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
}
