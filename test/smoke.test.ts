import { afterEach, expect, test } from 'vitest';
import { startProject, type Project } from './harness.ts';

let project: Project | undefined;
afterEach(async () => project?.close());

test('a module let survives an edit of the function that uses it', async () => {
  project = await startProject({
    'src/counter.ts': `export let count = 0;\nexport function inc() { count += 1; return count; }\n`,
  });
  const mod = await project.load('src/counter.ts');
  mod.inc();
  mod.inc();
  expect(mod.count).toBe(2);
  const report = await project.edit('src/counter.ts', `export let count = 0;\nexport function inc() { count += 10; return count; }\n`);
  expect(report.status).toBe('applied');
  expect(mod.inc()).toBe(12);
  expect(mod.count).toBe(12);
});
