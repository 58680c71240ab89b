import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { hotstate } from '../plugin/vite.ts';
import { openPage, type PageProject } from './browser.ts';
import { writeFiles } from './files.ts';

/**
 * Migrations in a real Chromium page: the page's runtime applies a module's migrations during the
 * hot update, without a reload, to module state and to every live instance (in a page instances
 * register as they are constructed, since the page cannot ask its heap).
 */
const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'hotstate-e2e-migrations-')));
let project: PageProject | undefined;
let page: Page;
const reports: string[] = [];
const write = (name: string, content: string) => project!.write(name, content);

/** Waits for the page's next update report (console group title plus its lines) matching `pattern`. */
async function report(pattern: RegExp): Promise<string> {
  const seen = reports.length;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = reports.slice(seen).find((r) => pattern.test(r));
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no report matching ${pattern}; got: ${reports.join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const STORE = `
export class Item {
  done: boolean = false;
  constructor(public title: string) {}
}
export let items: Item[] = [new Item('a'), new Item('b')];
export let total: number = 0;
export function add(n: number): void { total += n; }
`;

const migration = (covers: string, body: string): string => `export const migration = {
  module: 'src/store.ts',
  covers: { ${covers} },
  ${body}
};
`;

beforeAll(async () => {
  writeFiles(root, {
    'index.html': '<!doctype html><script type="module" src="/src/main.ts"></script>\n',
    'src/main.ts': `import * as store from './store.ts';\n(window as any).store = store;\n`,
    'src/store.ts': STORE,
  });
  project = await openPage(
    { root, plugins: [hotstate({ onIncompatible: 'reject', stubs: false })] },
    {
      // A report is logged as one collapsed group: its title, then its lines (and a warning for failures).
      listen: (page) =>
        page.on('console', (message) => {
          if (message.type() === 'startGroupCollapsed' && message.text().startsWith('[hotstate] ')) reports.push(message.text());
          else if (reports.length > 0 && (message.type() === 'log' || message.type() === 'warning')) reports[reports.length - 1] += `\n${message.text()}`;
        }),
      ready: (page) => page.waitForFunction(() => (window as any).store !== undefined),
    },
  );
  page = project.page;
}, 60_000);

afterAll(() => project?.close());

test('the page applies a migration during the update that changes the type', async () => {
  await page.evaluate(() => (window as any).store.add(5));
  // Written before the change: the module imports it from now on, and nothing is migrated yet.
  const brought = report(/src\/store\.ts/);
  await write('hotstate/migrations/0001-total.ts', migration(`total: { from: 'number', to: 'string', source: { from: ': number', to: ': string' } }`, `state(old: { total: number }) { return { total: \`\${old.total} points\` }; },`));
  expect(await brought).not.toContain('migrated');

  const applied = report(/src\/store\.ts/);
  await write('src/store.ts', STORE.replace('export let total: number = 0;', "export let total: string = '';").replace('total += n;', 'total += String(n);'));
  expect(await applied).toContain('* total: migrated (by hotstate/migrations/0001-total.ts)');
  expect(await page.evaluate(() => (window as any).store.total)).toBe('5 points');
  expect(await page.evaluate(() => (window as any).marker)).toBe('no reload');
}, 60_000);

test('a migration carries every live instance through a type change in the page', async () => {
  await page.evaluate(() => ((window as any).store.items[1].done = true));
  const brought = report(/src\/store\.ts/);
  await write(
    'hotstate/migrations/0002-status.ts',
    migration(
      `'Item.status': { from: 'boolean', to: 'string', renamedFrom: 'Item.done', source: { from: ': boolean', to: ': string' } }`,
      `instances: { Item(old: { done: boolean }) { return { status: old.done ? 'closed' : 'open' }; } },`,
    ),
  );
  await brought;
  const applied = report(/src\/store\.ts/);
  await write('src/store.ts', STORE.replace('export let total: number = 0;', "export let total: string = '';").replace('total += n;', 'total += String(n);').replace('done: boolean = false;', "status: string = 'open';"));
  const text = await applied;
  expect(text).toContain('* Item.status: migrated (by hotstate/migrations/0002-status.ts; done on 2 existing instances)');
  expect(text).toContain('- Item.done: dropped (renamed to `Item.status` by hotstate/migrations/0002-status.ts; done on 2 existing instances)');
  // The same objects, transformed.
  expect(await page.evaluate(() => (window as any).store.items.map((item: any) => [item.title, item.status, Object.hasOwn(item, 'done')]))).toEqual([
    ['a', 'open', false],
    ['b', 'closed', false],
  ]);
  expect(await page.evaluate(() => (window as any).store.total)).toBe('5 points');
  expect(await page.evaluate(() => (window as any).marker)).toBe('no reload');
}, 60_000);
